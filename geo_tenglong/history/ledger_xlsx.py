"""The 整治台账 file townships fill in: export from the history store, import back into it.

The file (campaign design, fixed): sheet ``整治台账``, a title row, a header row, then one row per
task, columns :data:`HEADERS`. Townships change only 整治方式, 完成时限, 状态 (never to 已销号 or
重新打开: only the data closes or reopens a task) and 进展说明; the other columns are shown for
reference and not read back. The export offers drop-down lists for 整治方式 and 状态, accepts only
dates in 完成时限, and protects the other columns (no password: a guard against slips, not a lock).

The import finds the header row by its 任务编号 cell and is all or nothing: unknown task ids,
unknown 整治方式 or 状态, unreadable dates, a task closed or reopened by hand, or the same task twice
refuse the whole file with one line naming the rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError
from ..io.atomic import atomic_path
from ..rules.campaign import TREATMENTS
from ..values import parse_date
from . import store
from .ledger import (
    CLOSED,
    EVENT_COLUMNS,
    IMPORT_RUN,
    STATUSES,
    TOWNSHIP_STATUSES,
    add_event,
    ensure_tables,
    events_of,
    tasks_of,
)

SHEET = "整治台账"
#: Header → ``ledger_tasks`` column, in the file's order.
HEADERS: dict[str, str] = {"任务编号": "task_id", "清单": "list", "统一社会信用代码": "uscc", "企业名称": "name",
                           "宗地代码": "parcel_id", "乡镇(街道)": "township", "整治方式": "treatment",
                           "完成时限": "deadline", "状态": "status", "进展说明": "note"}
#: Columns a township fills in.
EDITABLE = ("treatment", "deadline", "status", "note")
_WIDTHS = {"task_id": 24, "list": 13, "uscc": 21, "name": 30, "parcel_id": 24, "township": 12, "treatment": 11,
           "deadline": 12, "status": 13, "note": 40}
#: The reference sheet of the tasks' history (not read back).
EVENTS_SHEET = "变更记录"
#: Its headings (the columns of ``ledger_events``) and widths.
EVENT_HEADERS = {"任务编号": 24, "运行": 20, "时间": 20, "原状态": 12, "新状态": 12, "说明": 60}
#: What export and import say about a store without a 整治台账.
NO_LEDGER = "历史库中尚无整治台账(geo-tenglong run 记录运行时生成)"
#: Errors named in the one-line message before "另有N处".
MAX_ERRORS = 12


def export_ledger(history: str | Path, out: str | Path, townships: tuple[str, ...] = ()) -> int:
    """Write the 整治台账 of a history store as the xlsx townships fill in.

    A second sheet, :data:`EVENTS_SHEET`, lists every change of the tasks written (opened, closed
    with the reason, reopened, filled in) for reference; the import does not read it.

    Parameters
    ----------
    history : str or Path
        The history store (``history.gpkg``).
    out : str or Path
        The xlsx to write (atomically).
    townships : tuple of str
        Only the tasks of these townships (乡镇(街道)); all when empty.

    Returns
    -------
    int
        The number of tasks written.

    Raises
    ------
    InputError
        When the store is missing, holds no 整治台账 yet, or no task of the townships asked for.
    """
    import xlsxwriter

    with store.connect(history) as conn:
        if not store.has_table(conn, "ledger_tasks"):
            raise InputError(NO_LEDGER, history)
        tasks = tasks_of(conn)
        events = events_of(conn)
        last = conn.execute("SELECT county, as_of FROM runs ORDER BY as_of DESC LIMIT 1").fetchone()
    if townships:
        tasks = tasks[tasks["township"].isin(townships)].reset_index(drop=True)
        if not len(tasks):
            raise InputError(f"没有乡镇(街道) {'、'.join(townships)} 的任务", history)
    events = events[events["task_id"].isin(set(tasks["task_id"]))]
    county, as_of = (last or ("", ""))
    cols = list(HEADERS.values())
    with atomic_path(out) as tmp:
        book = xlsxwriter.Workbook(str(tmp), {"strings_to_numbers": False, "strings_to_formulas": False,
                                              "strings_to_urls": False})
        sheet = book.add_worksheet(SHEET)
        title = book.add_format({"bold": True, "font_size": 14})
        head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "locked": True})
        locked = book.add_format({"locked": True})
        open_text = book.add_format({"locked": False, "bg_color": "#FFF2CC"})
        open_date = book.add_format({"locked": False, "bg_color": "#FFF2CC", "num_format": "yyyy-mm-dd"})
        sheet.merge_range(0, 0, 0, len(cols) - 1,
                          f"{county or ''}整治台账(截至{as_of or ''};请只填写黄色列:整治方式、完成时限、状态、进展说明)",
                          title)
        for j, (header, col) in enumerate(HEADERS.items()):
            sheet.write_string(1, j, header, head)
            sheet.set_column(j, j, _WIDTHS[col])
        for i, row in enumerate(tasks[cols].itertuples(index=False), start=2):
            for j, (col, value) in enumerate(zip(cols, row)):
                fmt = open_text if col in EDITABLE else locked
                if col == "deadline" and isinstance(value, str) and value:
                    sheet.write_datetime(i, j, dt.datetime.fromisoformat(value), open_date)
                elif col == "deadline":
                    sheet.write_blank(i, j, None, open_date)
                elif value is None or (not isinstance(value, str) and pd.isna(value)):
                    sheet.write_blank(i, j, None, fmt)
                else:
                    sheet.write_string(i, j, str(value), fmt)
        last_row = max(2, len(tasks) + 1)
        col_of = {c: j for j, c in enumerate(cols)}
        sheet.data_validation(2, col_of["treatment"], last_row, col_of["treatment"],
                              {"validate": "list", "source": list(TREATMENTS), "error_title": "整治方式",
                               "error_message": "请从下拉列表选择整治方式"})
        sheet.data_validation(2, col_of["status"], last_row, col_of["status"],
                              {"validate": "list", "source": list(TOWNSHIP_STATUSES), "error_title": "状态",
                               "error_message": "请选择:" + "、".join(TOWNSHIP_STATUSES) + "(已销号由数据核定)"})
        sheet.data_validation(2, col_of["deadline"], last_row, col_of["deadline"],
                              {"validate": "date", "criteria": "between", "minimum": dt.date(2000, 1, 1),
                               "maximum": dt.date(2100, 12, 31), "error_title": "完成时限",
                               "error_message": "请填写日期,如 2024-06-30"})
        sheet.freeze_panes(2, 1)
        sheet.autofilter(1, 0, last_row, len(cols) - 1)
        sheet.protect("", {"autofilter": True, "sort": True, "format_columns": True})
        _events_sheet(book, events, head)
        book.close()
    return len(tasks)


def _events_sheet(book, events: pd.DataFrame, head) -> None:
    """The 变更记录 sheet: every event of the tasks written, oldest first."""
    sheet = book.add_worksheet(EVENTS_SHEET)
    for j, (header, width) in enumerate(EVENT_HEADERS.items()):
        sheet.write_string(0, j, header, head)
        sheet.set_column(j, j, width)
    for i, row in enumerate(events[EVENT_COLUMNS].itertuples(index=False), start=1):
        for j, value in enumerate(row):
            if value is not None and not (not isinstance(value, str) and pd.isna(value)):
                sheet.write_string(i, j, "乡镇填报" if j == 1 and value == IMPORT_RUN else str(value))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(1, len(events)), len(EVENT_HEADERS) - 1)


@dataclass(frozen=True)
class ImportOutcome:
    """What :func:`import_ledger` did: rows read and tasks changed."""

    rows: int
    changed: int


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _read_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(Excel row number, column → cell) for every non-blank row under the header row."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/ValueError subclasses on a bad file
        raise InputError(f"无法读取的xlsx文件({type(exc).__name__}: {exc})", path) from None
    try:
        if SHEET not in book.sheetnames:
            raise InputError(f"没有工作表 {SHEET}(现有: {', '.join(book.sheetnames)})", path)
        rows = list(book[SHEET].iter_rows(values_only=True))
    finally:
        book.close()
    header_at = next((i for i, r in enumerate(rows) if any(_cell_text(c) == "任务编号" for c in r)), None)
    if header_at is None:
        raise InputError("找不到含“任务编号”的表头行", path, f"sheet {SHEET}")
    index = {_cell_text(c): j for j, c in enumerate(rows[header_at]) if _cell_text(c)}
    missing = [h for h in HEADERS if h not in index]
    if missing:
        raise InputError(f"表头缺少 {', '.join(missing)}", path, f"sheet {SHEET}, row {header_at + 1}")
    out = []
    for i, r in enumerate(rows[header_at + 1:], start=header_at + 2):
        cells = {col: (r[index[h]] if index[h] < len(r) else None) for h, col in HEADERS.items()}
        if all(_cell_text(v) is None for v in cells.values()):
            continue
        out.append((i, cells))
    return out


def _check_row(cells: dict[str, Any], task: pd.Series | None, seen: set[str]) -> tuple[list[str], dict[str, Any]]:
    """Problems of one row, and the editable values it sets."""
    task_id = _cell_text(cells["task_id"])
    if task_id is None:
        return ["任务编号为空"], {}
    if task_id in seen:
        return [f"任务编号 {task_id} 重复"], {}
    seen.add(task_id)
    if task is None:
        return [f"任务编号 {task_id} 不存在"], {}
    problems: list[str] = []
    treatment = _cell_text(cells["treatment"])
    if treatment is None and task["treatment"] is not None:
        problems.append("整治方式为空")
    elif treatment is not None and treatment not in TREATMENTS:
        problems.append(f"整治方式 {treatment!r} 不在 {'/'.join(TREATMENTS)} 之中")
    raw_date = cells["deadline"]
    when = parse_date(raw_date)
    if when is None and _cell_text(raw_date) is not None:
        problems.append(f"完成时限 {_cell_text(raw_date)!r} 不是日期")
    elif when is None and task["deadline"] is not None:
        problems.append("完成时限为空")
    status = _cell_text(cells["status"])
    if status not in STATUSES:
        problems.append(f"状态 {status!r} 不在 {'/'.join(STATUSES)} 之中")
    elif status != task["status"] and (status not in TOWNSHIP_STATUSES or task["status"] == CLOSED):
        problems.append(f"状态不能由乡镇从{task['status']}改为{status}(销号、重新打开由数据核定)")
    values = {"treatment": treatment, "deadline": when.isoformat() if when else None, "status": status,
              "note": _cell_text(cells["note"])}
    return problems, values


def import_ledger(path: str | Path, history: str | Path) -> ImportOutcome:
    """Merge a filled-in 整治台账 file back into the history store, all or nothing.

    Parameters
    ----------
    path : str or Path
        The xlsx (sheet ``整治台账``; header row found by its 任务编号 cell).
    history : str or Path
        The history store.

    Returns
    -------
    ImportOutcome

    Raises
    ------
    InputError
        One line naming the file and every refused row (up to :data:`MAX_ERRORS`): unknown task ids,
        values or dates, hand-made closings, duplicate rows. Nothing is written then.
    """
    path = Path(path)
    rows = _read_rows(path)
    with store.connect(history) as conn:
        if not store.has_table(conn, "ledger_tasks"):
            raise InputError(NO_LEDGER, history)
        tasks = tasks_of(conn).set_index("task_id", drop=False)
        tasks = tasks.astype(object).where(tasks.notna(), None)
        errors: list[str] = []
        updates: list[tuple[pd.Series, dict[str, Any]]] = []
        seen: set[str] = set()
        for number, cells in rows:
            task_id = _cell_text(cells["task_id"])
            task = tasks.loc[task_id] if task_id in tasks.index else None
            problems, values = _check_row(cells, task, seen)
            errors.extend(f"第{number}行 {p}" for p in problems)
            if not problems and task is not None:
                updates.append((task, values))
        if errors:
            more = f";另有{len(errors) - MAX_ERRORS}处" if len(errors) > MAX_ERRORS else ""
            raise InputError(f"整治台账未导入,{len(errors)}处错误:" + ";".join(errors[:MAX_ERRORS]) + more, path,
                             f"sheet {SHEET}")
        now = dt.datetime.now().isoformat(timespec="seconds")
        changed = 0
        conn.execute("BEGIN IMMEDIATE")
        try:
            ensure_tables(conn)
            for task, values in updates:
                diff = [c for c in EDITABLE if values[c] != task[c]]
                if not diff:
                    continue
                conn.execute("UPDATE ledger_tasks SET treatment = ?, deadline = ?, status = ?, note = ?, updated = ? "
                             "WHERE task_id = ?", (values["treatment"], values["deadline"], values["status"],
                                                   values["note"], now, task["task_id"]))
                labels = {v: k for k, v in HEADERS.items()}
                reason = "乡镇填报:" + ";".join(f"{labels[c]} {task[c] or '空'}→{values[c] or '空'}" for c in diff)
                add_event(conn, str(task["task_id"]), IMPORT_RUN, now, task["status"], values["status"], reason)
                changed += 1
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return ImportOutcome(rows=len(rows), changed=changed)
