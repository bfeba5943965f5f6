"""Rules on land use and supply: TT-KEEP, TT-PRE, TT-SUPPLY, DQ-SUPPLY."""

from __future__ import annotations

import dataclasses

from .schema import RuleSpec, bound, rule_spec


@rule_spec("TT-KEEP")
@dataclasses.dataclass(frozen=True)
class KeepIndustrialRule(RuleSpec):
    """Rezoned industrial land may keep industrial use for 零增地技改 (天台 四(二)).

    Attributes
    ----------
    industrial_zoning_codes : tuple of str
        控规 land-use code prefixes that count as industrial (``M`` covers M1/M2/M3).
    min_affected_share : float
        Share of a parcel's area in non-industrial zoning from which the parcel counts as rezoned.
    eligible_classes : tuple of str
        Last year's 亩均评价 classes allowed to keep industrial use.
    """

    industrial_zoning_codes: tuple[str, ...] = ("M",)
    min_affected_share: float = bound(0.5, min=0, max=1)
    eligible_classes: tuple[str, ...] = ("A", "B")


@rule_spec("TT-PRE")
@dataclasses.dataclass(frozen=True)
class PreRegistrationRule(RuleSpec):
    """Low-efficiency land with development investment < 25 % may transfer under 预告登记 (四(十三))."""

    max_invested_share: float = bound(0.25, min=0, max=1)


@dataclasses.dataclass(frozen=True)
class _SupplyRule(RuleSpec):
    """Industrial land's minimum share of each year's land supply (出让土地总量)."""

    min_industrial_share: float = bound(0.3, min=0, max=1)
    industrial_uses: tuple[str, ...] = ("工业", "工业用地")


@rule_spec("TT-SUPPLY")
@dataclasses.dataclass(frozen=True)
class TiantaiSupplyRule(_SupplyRule):
    """天台 四(十四): industrial land ≥ 30 % of each year's land supply."""


@rule_spec("DQ-SUPPLY")
@dataclasses.dataclass(frozen=True)
class DeqingSupplyRule(_SupplyRule):
    """德清 四(二): industrial land ≥ 50 % of each year's land supply."""
