"""TT-PRE (天台 四(十三)): low-efficiency land under 25 % development investment → 预告登记 transfer."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..findings import MISSING_DATA, PASS, fmt_share_pair, make_findings, not_in_ruleset
from ..stage import StageResult

if TYPE_CHECKING:
    from ..results import Results
    from ..workspace import Workspace

RULE = "TT-PRE"


def low_efficiency_mask(parcels: pd.DataFrame) -> np.ndarray:
    """Parcels that count as low-efficiency land: reclaimable, or TT-T4 low-efficiency, or class D."""
    mask = np.zeros(len(parcels), dtype=bool)
    for col, test in (("reclaimable", lambda s: s.fillna(False).astype(bool)),
                      ("low_efficiency", lambda s: s.fillna(False).astype(bool)),
                      ("eval_class", lambda s: s.astype("string").eq("D").fillna(False))):
        if col in parcels.columns:
            mask |= test(parcels[col]).to_numpy()
    return mask


def invested_share(parcels: pd.DataFrame, contracts: pd.DataFrame) -> np.ndarray:
    """Invested / total investment per parcel from the contracts (summed over a parcel's contracts)."""
    sums = contracts.groupby("parcel_id")[["invested", "total_investment"]].sum(min_count=1)
    joined = parcels[["parcel_id"]].join(sums, on="parcel_id")
    total = joined["total_investment"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, joined["invested"].to_numpy(dtype=float) / total, np.nan)


def assess_preregistration(ws: Workspace, results: Results) -> StageResult:
    """For each low-efficiency parcel: whether its investment share allows 预告登记 transfer."""
    spec = ws.ruleset.get(RULE)
    if spec is None:
        return StageResult(findings=not_in_ruleset(ws.admin_code, RULE, ws.ruleset.name))
    parcels = results.parcels
    low = low_efficiency_mask(parcels)
    sub = parcels[low]
    contracts = ws.table("contracts")
    if contracts is None or not {"invested", "total_investment"} <= set(contracts.columns):
        return StageResult(findings=make_findings(sub["parcel_id"], RULE, spec.clause, MISSING_DATA,
                                                  threshold=spec.max_invested_share, unit="比例",
                                                  message="缺少出让合同投资数据,无法判断开发投资是否达到25%"))
    share = invested_share(sub, contracts)
    eligible = share < spec.max_invested_share
    unknown = np.isnan(share)
    keep = eligible | unknown  # land past 25 % transfers by ordinary rules: nothing to report
    status = np.where(unknown, MISSING_DATA, PASS)[keep]
    pct = [fmt_share_pair(v, spec.max_invested_share) for v in share[keep]]
    msg = np.where(status == PASS, [f"低效工业用地,开发投资仅占总投资{p}(<{t}),可签订附条件转让合同并办理预告登记"
                                    for p, t in pct],
                   "低效工业用地,合同缺少总投资或已完成投资,无法判断能否预告登记转让")
    findings = make_findings(sub["parcel_id"][keep], RULE, spec.clause, status, share[keep], spec.max_invested_share,
                             "比例", msg)
    return StageResult(findings=findings, summary={"eligible": int(eligible.sum()),
                                                   "eligible_mu": float(sub["area_mu"][eligible].sum())})
