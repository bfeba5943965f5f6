"""目标对照: the county's targets, the 腾出 ones as land and enterprises actually freed since the first
recorded run with the candidate pool in its own column (``targets``; issue 19.5)."""

from __future__ import annotations

import pandas as pd

from .lookups import county_of, render
from .sheet import COUNTY, Sheet

__all__ = ["SHEET_NAME", "targets_sheet"]

SHEET_NAME = "目标对照"
_T = "targets"
_COLUMNS = ("rule_id", "clause", "label", "op", "target", "value", "unit", "progress", "candidate", "since", "status",
            "note")


def targets_sheet(results, ws=None) -> Sheet:
    """One row per target item, in the ruleset's order.

    ``实际值`` of a 腾出 target (腾出低效工业用地 …) is what was freed since ``起算日期``; ``候选`` is the
    candidate pool (可腾退低效用地) shown beside it, never counted as done.

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
        return Sheet(SHEET_NAME, None, note="未生成 targets (目标对照) 表。")
    t = pd.DataFrame(t).reset_index(drop=True)
    data: dict[str, object] = {COUNTY: county_of(results)}
    kinds: dict[str, str] = {}
    for name in _COLUMNS:
        if name not in t.columns:
            continue
        h, vals, k = render(t, _T, name)
        data[h], kinds[h] = vals, ("num2" if name in ("target", "value", "candidate") else k)
    return Sheet(SHEET_NAME, pd.DataFrame(data, index=range(len(t))), kinds)
