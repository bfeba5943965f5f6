"""DQ-PARK (德清 三(一)4): old industrial parks against FAR ≈ 2.0, 亩均税收 ≥ 30 and 1 万亩 renovated."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..findings import FAIL, MISSING_DATA, PASS, concat_findings, fmt_value, make_findings, not_in_ruleset
from ..geometry import zone_index
from ..stage import StageResult
from .parcel_tax import pooled_by_group

if TYPE_CHECKING:
    from ..results import Results
    from ..workspace import Workspace

RULE = "DQ-PARK"


def assess_old_parks(ws: Workspace, results: Results) -> StageResult:
    """Per old park: FAR from buildings and pooled 亩均税收 against the targets; county-wide, the
    land of old parks under accepted renovation against 1 万亩 (``old_parks`` table)."""
    spec = ws.ruleset.get(RULE)
    if spec is None:
        return StageResult(findings=not_in_ruleset(ws.admin_code, RULE, ws.ruleset.name))
    parks = ws.layer("parks")
    if parks is None or "kind" not in parks.columns:
        return StageResult(findings=make_findings([ws.admin_code], RULE, spec.clause, MISSING_DATA,
                                                  message="缺少园区图层(parks)或园区类型,无法识别老旧工业园区"))
    old = parks[parks["kind"].astype("string").isin(spec.park_kinds).fillna(False).to_numpy()].reset_index(drop=True)
    parcels = results.parcels
    idx = zone_index(parcels.geometry.to_numpy(), old.geometry.to_numpy())
    group = np.where(idx >= 0, old["park_id"].to_numpy(dtype=object)[np.clip(idx, 0, None)] if len(old) else None, None)
    stats = pooled_by_group(parcels, group)  # type: ignore[arg-type]  # numpy's stubs: where(c, x, None) is an array
    plans = ws.layer("renovations")
    renovated = np.zeros(len(parcels), dtype=bool)
    if plans is not None:
        done = plans["accepted"].fillna(False).astype(bool) if "accepted" in plans.columns else pd.Series(True, index=plans.index)
        renovated = parcels["parcel_id"].isin(plans.loc[done.to_numpy(), "parcel_id"]).to_numpy()
    reno = pd.Series(np.where(renovated, parcels["area_mu"], 0.0)).groupby(pd.Series(group)).sum()
    table = old[["park_id"] + [c for c in ("name",) if c in old.columns]].join(stats, on="park_id")
    if "name" not in table.columns:  # a parks layer without names: the column stays, empty
        table.insert(1, "name", pd.Series([None] * len(table), dtype="string"))
    table["renovated_mu"] = table["park_id"].map(reno).fillna(0.0)
    names = table["name"].fillna(table["park_id"]) if "name" in table.columns else table["park_id"]
    frames = []
    far = table["far"].to_numpy(dtype=float)
    far_ok = far >= spec.target_far - spec.far_tolerance
    frames.append(make_findings(table["park_id"], RULE, spec.clause,
                                np.where(np.isnan(far), MISSING_DATA, np.where(far_ok, PASS, FAIL)), far, spec.target_far, "",
                                [f"{n}:园区工业用地容积率{fmt_value(f, spec.target_far - spec.far_tolerance, 2)}"
                                 f"(目标{spec.target_far:g}左右,不低于{spec.target_far - spec.far_tolerance:g})"
                                 if not np.isnan(f)
                                 else f"{n}:缺少建筑面积,无法计算园区容积率" for n, f in zip(names, far)]))
    tax = table["tax_per_mu"].to_numpy(dtype=float)
    frames.append(make_findings(table["park_id"], RULE, spec.clause,
                                np.where(np.isnan(tax), MISSING_DATA, np.where(tax >= spec.min_tax_per_mu, PASS, FAIL)),
                                tax, spec.min_tax_per_mu, "万元/亩",
                                [f"{n}:园区亩均税收{fmt_value(t, spec.min_tax_per_mu, 2, '万元/亩')}"
                                 f"(目标{spec.min_tax_per_mu:g}万元/亩以上)" if not np.isnan(t)
                                 else f"{n}:无亩均税收数据" for n, t in zip(names, tax)]))
    total = float(table["renovated_mu"].sum())
    if plans is None:  # no renovation plans: the renovated land is unknown, not 0
        table["renovated_mu"] = np.nan
        frames.append(make_findings([ws.admin_code], RULE, spec.clause, MISSING_DATA, np.nan,
                                    spec.renovated_target_mu, "亩",
                                    "缺少零增地技改方案图层(renovations),无法统计老旧工业园区已改造提升用地"))
        return StageResult(findings=concat_findings(frames), layers={"old_parks": table},
                           summary={"old_parks": len(table)})
    frames.append(make_findings([ws.admin_code], RULE, spec.clause, PASS if total >= spec.renovated_target_mu else FAIL,
                                total, spec.renovated_target_mu, "亩",
                                f"老旧工业园区已验收改造提升用地{fmt_value(total, spec.renovated_target_mu, 1, '亩')}"
                                f"(目标累计{spec.renovated_target_mu:g}亩以上)"))
    return StageResult(findings=concat_findings(frames), layers={"old_parks": table},
                       metrics={"old_park_renovated_mu": total}, summary={"old_parks": len(table)})
