"""数据问题: the join problems of the efficiency stage and the problems found reading the workspace.

Files are named relative to the workspace folder: the workbook is handed up, and a path on the
analyst's machine means nothing to the reader (and should not travel with it).
"""

from __future__ import annotations

import pandas as pd

from .lookups import render
from .paths import relative_sources
from .sheet import Sheet, heading

__all__ = ["SHEET_NAME", "issues_sheet"]

SHEET_NAME = "数据问题"

#: 问题类别 of each source table.
_CATEGORY = "问题类别"
_CATEGORIES = {"join_issues": "企业与宗地关联", "data_issues": "输入数据"}


def issues_sheet(results, ws=None) -> Sheet:
    """Join problems then input-data problems, one row each.

    Parameters
    ----------
    results : Results
    ws : Workspace, optional
        Its folder (else ``results.info["workspace"]``) is the root file names are made relative to.

    Returns
    -------
    Sheet
        :data:`~.sheet.NO_DATA` when the run recorded neither.
    """
    join = results.layer("join_issues")
    data = results.layer("data_issues")
    if join is None and data is None:
        return Sheet(SHEET_NAME, None, note="未生成 join_issues / data_issues: 本次运行未记录数据问题。")
    kind_h, source_h, where_h = heading("data_issues", "kind"), heading("data_issues", "source"), heading("data_issues", "feature")
    uscc_h, pid_h, msg_h = heading("join_issues", "uscc"), heading("join_issues", "parcel_id"), heading("data_issues", "message")
    cols = [_CATEGORY, kind_h, source_h, where_h, uscc_h, pid_h, msg_h]
    parts = []
    if join is not None and len(join):
        j = pd.DataFrame(join)
        row = pd.to_numeric(j["source_row"], errors="coerce")
        rows = row.astype("Int64").astype(str).to_numpy(dtype=object, copy=True)
        rows[row.isna().to_numpy()] = None
        parts.append(pd.DataFrame({
            _CATEGORY: _CATEGORIES["join_issues"], kind_h: render(j, "join_issues", "kind")[1],
            source_h: j["source"].to_numpy(dtype=object),
            where_h: rows,
            uscc_h: j["uscc"].to_numpy(dtype=object), pid_h: j["parcel_id"].to_numpy(dtype=object),
            msg_h: j["message"].to_numpy(dtype=object)}, index=range(len(j))))
    if data is not None and len(data):
        d = pd.DataFrame(data)
        parts.append(pd.DataFrame({
            _CATEGORY: _CATEGORIES["data_issues"], kind_h: render(d, "data_issues", "kind")[1],
            source_h: d["source"].to_numpy(dtype=object), where_h: d["feature"].to_numpy(dtype=object),
            uscc_h: None, pid_h: None, msg_h: d["message"].to_numpy(dtype=object)}, index=range(len(d))))
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    root = ws.root if ws is not None else results.info.get("workspace")
    frame[source_h] = relative_sources(frame[source_h], root)
    return Sheet(SHEET_NAME, frame[cols], {uscc_h: "text", pid_h: "text", where_h: "text"})
