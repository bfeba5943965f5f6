"""Rule specification for scattered corner plots and sandwiched plots (天台 四(六)).

``TT-CORNER``: an industrial enterprise doing 零增地技改 may also develop the 零星边角地、夹心地 next
to its land when (a) the plots comply with plans, (b) their cumulative area is ≤ 20 % of the
original land area **and** ≤ 10 亩, and (c) after the renovation the FAR has risen by ≥ 20 %, or the
renovation's floor area is ≥ 20 % of the total floor area after it.

The same table also carries the numbers the tool needs to *find* such plots (sliver width, noise
area, tolerances); they are survey-practice choices a bureau may tune, so they live here and not
in code. 德清's document has no such rule: ``deqing-2021.toml`` carries no table and the checks
report ``not_applicable``.
"""

from __future__ import annotations

import dataclasses

from .schema import RuleSpec, bound, rule_spec


@rule_spec("TT-CORNER")
@dataclasses.dataclass(frozen=True)
class CornerRule(RuleSpec):
    """TT-CORNER — 零星边角地、夹心地 developed together with a 零增地技改.

    Attributes
    ----------
    max_share : float
        (b) Most the requested plots may add, as a share of the original land area (``0.20``;
        "不超过" — inclusive: exactly 20 % passes).
    max_area_mu : float
        (b) Most the requested plots may add, in 亩 (``10``; inclusive).
    min_far_uplift : float
        (c) FAR after ÷ FAR before must reach this (``1.2``: "容积率提高20%以上", 以上 inclusive).
    min_renovation_share : float
        (c) … or the renovation's floor area ÷ the total floor area after it must reach this
        (``0.20``, inclusive).
    industrial_zoning_codes : tuple of str
        (a) 控规 ``land_use_code`` values zoned for industry; a code matches when it starts with
        one of these (``"M"`` covers M1/M2/M3 of GB 50137; ``"1001"`` is 工业用地 in the
        国土空间 用地用海分类).
    sliver_width_m : float
        A plot narrower than this (m; twice the radius of its largest inscribed circle) is a
        狭长碎片 — survey or digitising misfit between boundaries (2 m strips between parcels are
        typical) — reported apart and offered to no one. A 3.5 m strip along a parcel is a usable
        side yard and stays a plot.
    noise_area_m2 : float
        Faces smaller than this (m²) are numerical dust of the overlay and dropped altogether.
    noise_width_m : float
        Plots narrower than this (m) are coordinate misfits (parcels surveyed to the millimetre
        against a 城镇开发边界 or 控规 drawn otherwise), dropped altogether — the precision of a
        界址点 is ±5 cm.
    area_tolerance_m2 : float
        Areas are compared with the limits of (b) at cadastral precision: a requested area within
        this much (m²) of a limit is at the limit.
    snap_tolerance_m : float
        A requested plot's boundary within this distance (m) of the parcel counts as shared with it
        (plots are drawn by hand); found fragments are built from the parcels' own linework and use
        1 mm.
    min_shared_length_m : float
        A requested plot is adjacent to the parcel (相邻) when they share at least this much
        boundary (m); plots touching it only at a corner share (almost) none.
    overlap_tolerance_m2 : float
        A requested plot may overlap existing parcels, roads or water by at most this area (m²)
        before it counts as not free land; parts of a plot under a constraint (农田, 红线, outside
        the 城镇开发边界, non-industrial zoning) smaller than this are digitising noise too.
    """

    max_share: float = bound(0.20, min=0, max=1)
    max_area_mu: float = bound(10.0, min=0)
    min_far_uplift: float = bound(1.2, min=0)
    min_renovation_share: float = bound(0.20, min=0, max=1)
    industrial_zoning_codes: tuple[str, ...] = ("M", "1001")
    sliver_width_m: float = bound(3.0, min=0)
    noise_area_m2: float = bound(0.01, min=0)
    noise_width_m: float = bound(0.05, min=0)
    area_tolerance_m2: float = bound(0.01, min=0)
    snap_tolerance_m: float = bound(0.1, min=0)
    overlap_tolerance_m2: float = bound(1.0, min=0)
    min_shared_length_m: float = bound(1.0, min=0)
