"""工业用地供应比例: the industrial share of the land supplied, by year (``land_supply_check``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .lookups import clause_of, county_of, render, rule_text, status_labels
from .sheet import COUNTY, RULES, Sheet, heading

__all__ = ["SHEET_NAME", "land_supply_sheet"]

SHEET_NAME = "工业用地供应比例"
_T = "land_supply_check"


def land_supply_sheet(results, ws=None) -> Sheet:
    """One row per year, oldest first, with 合计 of the areas.

    Parameters
    ----------
    results : Results
    ws : Workspace, optional
        Unused (the sheets' common signature).

    Returns
    -------
    Sheet
    """
    t = results.layer(_T)
    if t is None:
        return Sheet(SHEET_NAME, None, note="未生成 land_supply_check (工业用地供应比例) 表: 本县规则集无此条款或缺少土地供应台账(land_supply)。")
    t = pd.DataFrame(t).reset_index(drop=True)
    year = pd.to_numeric(t["year"], errors="coerce")
    clauses = {r: clause_of(results, str(r)) for r in t["rule_id"].dropna().unique()}
    data: dict[str, object] = {COUNTY: county_of(results),
                               heading(_T, "year"): np.where(year.isna(), None, year.fillna(0).astype(np.int64).astype(str))}
    kinds = {heading(_T, "year"): "text"}
    for name in ("total_mu", "industrial_mu", "industrial_share"):
        h, vals, k = render(t, _T, name)
        data[h], kinds[h] = vals, k
    data[heading(_T, "status")] = status_labels(t["status"])
    data[RULES] = [rule_text(r, clauses.get(r, "")) for r in t["rule_id"]]
    frame = pd.DataFrame(data, index=range(len(t)))
    frame = frame.iloc[np.argsort(year.to_numpy(), kind="stable")].reset_index(drop=True)
    return Sheet(SHEET_NAME, frame, kinds, totals=[heading(_T, "total_mu"), heading(_T, "industrial_mu")])
