"""The 整治台账 a quarter's townships filled in (``整治台账_填报.xlsx``), in the ledger's xlsx format.

Sheet ``整治台账``: a title row, the header row, one row per task the townships touched. Task ids are
the ledger's deterministic ones (``ZZ-<统一社会信用代码>`` for the 高耗低效整治 list), so the file
can be written for the sample without running the tool.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .writers import fixed_xlsx_bytes

SHEET = "整治台账"
HEADERS = ["任务编号", "清单", "统一社会信用代码", "企业名称", "宗地代码", "乡镇(街道)", "整治方式", "完成时限",
           "状态", "进展说明"]
LIST_NAME = "高耗低效整治"


def task_row(uscc: str, name: str, pid: str, township: str, treatment: str, deadline: dt.date,
             status: str, note: str) -> list:
    """One filled-in row of the 高耗低效整治 list."""
    return [f"ZZ-{uscc}", LIST_NAME, uscc, name, pid, township, treatment, deadline, status, note]


def write_ledger(path: Path, title: str, rows: list[list]) -> None:
    """Write the filled ledger: title row, header row, ``rows``; dates as date cells; fixed zip stamps."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append([title])
    ws.append(HEADERS)
    for r in rows:
        ws.append(r)
        ws.cell(row=ws.max_row, column=HEADERS.index("完成时限") + 1).number_format = "yyyy-mm-dd"
    for col, width in zip("ABCDEFGHIJ", (24, 12, 22, 30, 22, 12, 10, 12, 12, 40)):
        ws.column_dimensions[col].width = width
    path.write_bytes(fixed_xlsx_bytes(wb))
