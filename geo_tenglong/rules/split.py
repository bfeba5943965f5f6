"""Rule specifications for splitting and merging industrial land (天台 四(八)).

Three ids of POLICY.md share clause 四(八):

- ``TT-SPLIT``: splitting a parcel for transfer (completed and in production, the building as the
  smallest unit, at most 3 parcels unless 工业地产, each ≥ 10 亩, the 行政办公及生活服务 land not
  split off, no second split);
- ``TT-MERGE``: merging (same 权属性质 and 使用权类型, boundaries adjacent, terms unified to the
  shortest, the merged parcel not splittable later);
- ``TT-TRANSFER``: who may receive split or merged land (not class C or D in last year's 亩均评价;
  a 标准地 transferee inherits the original indicators).

德清's document has none of them, so ``deqing-2021.toml`` carries no table and the checks report
``not_applicable``.
"""

from __future__ import annotations

import dataclasses

from .schema import RuleSpec, bound, rule_spec


@rule_spec("TT-SPLIT")
@dataclasses.dataclass(frozen=True)
class SplitRule(RuleSpec):
    """TT-SPLIT — splitting an industrial parcel for transfer.

    Attributes
    ----------
    max_parts : int
        Most parcels a split may produce (``3``); 工业地产 is exempt when
        ``real_estate_exempt``.
    real_estate_exempt : bool
        Whether 工业地产 (``industrial_real_estate``) parcels are exempt from ``max_parts``.
    min_part_mu : float
        Least area of every part in 亩 (``10``), planar area in the workspace CRS compared at the
        cadastral precision of 4 decimals: 10.0000 passes, 9.9990 fails.
    completed_status : str
        The ``status`` a parcel must have (``"已竣工投产"``).
    review_statuses : tuple of str
        Statuses of land that was completed and put into production and has since changed
        (``"停产"``): 已竣工投产 is met once, so the condition is 提示 (``warn``) for review, not
        不符合 (issue 14).
    coverage_tolerance_m2 : float
        Gaps between the parts and the parcel, overlaps between parts and parts outside the parcel
        are survey noise up to this area (m²) …
    sliver_width_m : float
        … or when no wider than this (m): a gap that vanishes under an inward buffer of half this
        width is a digitising sliver, whatever its length.
    building_tolerance_m : float
        A building may reach over a part boundary by at most this much (m, the largest distance of
        the building's outside piece from its main part) before it counts as cut.
    admin_uses : tuple of str
        Building uses of the 行政办公及生活服务 facilities that may not be split off on their own.
    """

    max_parts: int = bound(3, min=1)
    real_estate_exempt: bool = True
    min_part_mu: float = bound(10.0, min=0)
    completed_status: str = "已竣工投产"
    review_statuses: tuple[str, ...] = ("停产",)
    coverage_tolerance_m2: float = bound(1.0, min=0)
    sliver_width_m: float = bound(0.1, min=0)
    building_tolerance_m: float = bound(0.5, min=0)
    admin_uses: tuple[str, ...] = ("行政办公", "生活服务")


@rule_spec("TT-MERGE")
@dataclasses.dataclass(frozen=True)
class MergeRule(RuleSpec):
    """TT-MERGE — merging adjacent industrial parcels for transfer.

    Attributes
    ----------
    adjacency_tolerance_m : float
        Boundaries closer than this (m) count as shared (digitising gaps between neighbours).
    min_shared_length_m : float
        Least shared boundary length (m) for two parcels to be adjacent (界线相邻); parcels touching
        at a corner share (almost) none.
    """

    adjacency_tolerance_m: float = bound(0.1, min=0)
    min_shared_length_m: float = bound(1.0, min=0)


@rule_spec("TT-TRANSFER")
@dataclasses.dataclass(frozen=True)
class TransferRule(RuleSpec):
    """TT-TRANSFER — who may receive split or merged industrial land.

    Attributes
    ----------
    barred_classes : tuple of str
        亩均评价 classes of last year that may not receive the land (``["C", "D"]``).
    """

    barred_classes: tuple[str, ...] = ("C", "D")
