"""DQ-HIGH (德清 三(一)2): the "两高" review list from the projects table.

Projects built since 2018 with 年综合能耗 ≥ 1000 吨标准煤, and projects built before 2018 with
≥ 5000 吨标准煤 (both bounds inclusive, "以上(含)"), are listed for one-by-one review. A project
under construction (``under_construction``) without a 建成年份 is 2018年以来建设的 (issue 14's
reading): it is being built now.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..findings import MISSING_DATA, WARN, concat_findings, fmt_value, make_findings, not_in_ruleset
from ..stage import StageResult

if TYPE_CHECKING:
    from ..results import Results
    from ..workspace import Workspace

RULE = "DQ-HIGH"


def review_thresholds(built_year, spec) -> np.ndarray:
    """The energy threshold (tce) that applies to each project by its build year (NaN if unknown)."""
    year = np.asarray(built_year, dtype=float)
    return np.where(np.isnan(year), np.nan,
                    np.where(year >= spec.since_year, spec.min_energy_since_tce, spec.min_energy_before_tce))


def assess_high_energy(ws: Workspace, results: Results) -> StageResult:
    """List the projects that must be reviewed as "两高" projects (``high_energy_review`` table)."""
    spec = ws.ruleset.get(RULE)
    if spec is None:
        return StageResult(findings=not_in_ruleset(ws.admin_code, RULE, ws.ruleset.name))
    projects = ws.table("projects")
    if projects is None or "energy_tce" not in projects.columns or \
            not ({"built_year", "under_construction"} & set(projects.columns)):
        return StageResult(findings=make_findings([ws.admin_code], RULE, spec.clause, MISSING_DATA,
                                                  message="缺少项目表(projects)的建成年份或年综合能耗,无法筛查\"两高\"项目"))
    years = pd.to_numeric(projects["built_year"], errors="coerce").to_numpy(dtype=float) \
        if "built_year" in projects.columns else np.full(len(projects), np.nan)
    building = projects["under_construction"].astype("boolean").fillna(False).to_numpy(dtype=bool) \
        if "under_construction" in projects.columns else np.zeros(len(projects), bool)
    in_progress = building & np.isnan(years)
    years = np.where(in_progress, float(max(spec.since_year, ws.as_of.year)), years)
    threshold = review_thresholds(years, spec)
    energy = pd.to_numeric(projects["energy_tce"], errors="coerce").to_numpy(dtype=float)
    known = ~np.isnan(threshold) & ~np.isnan(energy)
    listed = known & (energy >= np.nan_to_num(threshold, nan=np.inf))
    ids = projects["project_id"] if "project_id" in projects.columns else projects["source_row"].map(lambda r: f"项目第{r}行")
    ids = ids.astype("string").fillna(projects["source_row"].map(lambda r: f"项目第{r}行").astype("string"))
    name = projects["name"].astype("string").fillna("") if "name" in projects.columns else pd.Series([""] * len(projects))
    table = pd.DataFrame({"project_id": ids, "uscc": projects["uscc"], "name": name,
                          "parcel_id": projects.get("parcel_id"), "built_year": np.where(in_progress, np.nan, years),
                          "energy_tce": energy, "threshold_tce": threshold, "listed": listed})
    msg = [f"{n}:{'在建' if ip else f'{int(y)}年建成'},年综合能耗{fmt_value(e, t, 1)}吨标准煤,"
           f"达到{f'{spec.since_year}年以来' if y >= spec.since_year else f'{spec.since_year}年以前'}项目"
           f"{t:g}吨标准煤的标准,列入\"两高\"项目逐一评估检查"
           for n, y, e, t, ip in zip(name[listed], years[listed], energy[listed], threshold[listed],
                                     in_progress[listed])]
    frames = [make_findings(ids[listed], RULE, spec.clause, WARN, energy[listed], threshold[listed], "吨标准煤", msg)]
    if (~known).any():
        frames.append(make_findings(ids[~known], RULE, spec.clause, MISSING_DATA, energy[~known], threshold[~known],
                                    "吨标准煤", [f"项目表第{r}行缺少建成年份或年综合能耗" for r in projects["source_row"][~known]]))
    return StageResult(findings=concat_findings(frames), layers={"high_energy_review": table[table["listed"]]},
                       summary={"listed": int(listed.sum()), "projects": len(projects)})
