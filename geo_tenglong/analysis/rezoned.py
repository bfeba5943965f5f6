"""TT-KEEP (天台 四(二)): industrial parcels rezoned to non-industrial use in the 控规.

Such a parcel, not yet scheduled for expropriation, may keep its industrial use for 零增地技改
only if its enterprise was class A or B in last year's 亩均评价.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..findings import FAIL, MISSING_DATA, PASS, fmt_share, make_findings, not_in_ruleset
from ..geometry import area_share_in
from ..stage import StageResult

if TYPE_CHECKING:
    from ..results import Results
    from ..workspace import Workspace

RULE = "TT-KEEP"


def non_industrial_share(parcels, zoning, industrial_prefixes) -> np.ndarray:
    """Share of each parcel's area lying in zoning that is not industrial.

    Parameters
    ----------
    parcels : GeoDataFrame
    zoning : GeoDataFrame
        With ``land_use_code``.
    industrial_prefixes : sequence of str
        Code prefixes counted as industrial (``"M"`` → M1, M2, M3).

    Returns
    -------
    numpy.ndarray
    """
    codes = zoning["land_use_code"].astype("string").fillna("").str.strip().str.upper()
    industrial = codes.str.startswith(tuple(p.upper() for p in industrial_prefixes))
    return area_share_in(parcels.geometry.to_numpy(), zoning.geometry[~industrial.to_numpy()].to_numpy())


def assess_rezoned(ws: Workspace, results: Results) -> StageResult:
    """Findings for parcels whose zoning turned non-industrial, eligible by last year's class.

    Adds the parcel column ``rezoned_share`` (share of the parcel in non-industrial zoning).
    """
    spec = ws.ruleset.get(RULE)
    if spec is None:
        return StageResult(findings=not_in_ruleset(ws.admin_code, RULE, ws.ruleset.name))
    zoning = ws.layer("zoning")
    if zoning is None or "land_use_code" not in zoning.columns:
        return StageResult(findings=make_findings([ws.admin_code], RULE, spec.clause, MISSING_DATA,
                                                  message="缺少控规用地图层(zoning),无法判断工业用地是否已调整为非工业用地"))
    parcels = results.parcels
    share = non_industrial_share(parcels, zoning, spec.industrial_zoning_codes)
    cols = pd.DataFrame({"rezoned_share": np.round(share, 4)}, index=parcels["parcel_id"].to_numpy())
    hit = share >= spec.min_affected_share
    sub = parcels[hit]
    cls = sub["eval_class"] if "eval_class" in sub.columns else pd.Series([None] * len(sub), index=sub.index)
    cls = cls.astype("string")
    eligible = cls.isin(spec.eligible_classes).to_numpy()
    known = cls.notna().to_numpy()
    status = np.where(~known, MISSING_DATA, np.where(eligible, PASS, FAIL))
    pct = [fmt_share(v, spec.min_affected_share) for v in share[hit]]
    cls_text = cls.fillna("无评价").to_numpy()
    msg = np.where(
        eligible, [f"宗地{p}已规划为非工业用地;上年度亩均评价{c}类,可保留工业用地性质实施零增地技改(需未列入近期征收计划)"
                   for p, c in zip(pct, cls_text)],
        [f"宗地{p}已规划为非工业用地;上年度亩均评价{c},不符合保留工业用地性质的条件(须A/B类)" for p, c in zip(pct, cls_text)])
    findings = make_findings(sub["parcel_id"], RULE, spec.clause, status, share[hit],
                             spec.min_affected_share, "比例", msg)
    return StageResult(findings=findings, parcel_columns=cols,
                       summary={"rezoned_parcels": int(hit.sum()), "eligible": int((status == PASS).sum())})
