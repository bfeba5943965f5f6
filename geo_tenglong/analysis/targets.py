"""Compare the county's metrics with the targets of its ruleset (TT-T*, DQ-T*)."""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..findings import FAIL, MISSING_DATA, PASS, fmt_value, make_findings
from ..stage import StageResult

if TYPE_CHECKING:
    from ..results import Results
    from ..workspace import Workspace

_OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}
TARGET_COLUMNS = ["rule_id", "clause", "label", "metric", "op", "target", "value", "unit", "year", "status", "progress"]


def assess_targets(ws: Workspace, results: Results) -> StageResult:
    """One finding per target item: the county's measured metric against the target.

    Parameters
    ----------
    ws : Workspace
    results : Results
        Earlier stages' metrics (``results.metrics``).

    Returns
    -------
    StageResult
        Findings about the county (feature id = the admin code) and a ``targets`` table with
        ``progress`` = value / target (for "≥" targets) for the progress bars of maps and reports.
    """
    rows = []
    for t in ws.ruleset.targets:
        value = results.metrics.get(t.metric)
        value = np.nan if value is None else float(value)
        if np.isnan(value):
            status = MISSING_DATA
        else:
            status = PASS if _OPS[t.op](value, t.value) else FAIL
        progress = value / t.value if t.op in (">=", ">") and t.value and not np.isnan(value) else np.nan
        rows.append({"rule_id": t.rule_id, "clause": t.clause, "label": t.label, "metric": t.metric, "op": t.op,
                     "target": t.value, "value": value, "unit": t.unit, "year": t.year, "status": status,
                     "progress": progress})
    table = pd.DataFrame(rows, columns=TARGET_COLUMNS)
    messages = [
        f"{r.label}: 当前{fmt_value(r.value, r.target, 2, r.unit)}, 目标{r.op}{r.target:g}{r.unit}"
        for r in table.itertuples()
    ]
    findings = make_findings(np.repeat(ws.admin_code, len(table)), table["rule_id"].to_numpy(), "", table["status"],
                             table["value"], table["target"], table["unit"], messages) if len(table) else None
    if findings is not None:
        findings["clause"] = table["clause"].astype("string").to_numpy()
    return StageResult(findings=findings if findings is not None else make_findings([], "", "", []),
                       layers={"targets": table}, summary={"met": int((table["status"] == PASS).sum()),
                                                          "total": len(table)})
