"""TT-CORNER-PTS (天台 四(三)): parcels held as corner-point lists, checked against the polygons."""

from __future__ import annotations

import dataclasses

from .schema import RuleSpec, bound, rule_spec


@rule_spec("TT-CORNER-PTS")
@dataclasses.dataclass(frozen=True)
class CornerPointsRule(RuleSpec):
    """Corner coordinates (界址点) of every red line.

    Attributes
    ----------
    max_deviation_m : float
        Largest distance (Hausdorff) allowed between a parcel's polygon and the red line of its
        corner-coordinate file before they are reported as disagreeing (界址点 precision).
    """

    max_deviation_m: float = bound(0.05, min=0)
