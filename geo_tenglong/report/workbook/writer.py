"""Write the sheets to .xlsx with xlsxwriter in constant-memory mode: each row goes to disk as it is written.

Each sheet starts with a title block — 表名 (row 1), then 制表单位, 制表日期 and 数据截止日期
(row 2) — and the header on row :data:`HEADER_ROW`, frozen, with an autofilter over the data and a
合计 row below it. Number formats are set per column (a cell without its own format takes its
column's), so no Python object is made per cell beyond its value. Cell values are converted a
whole column at a time. Text is never read as a formula, URL or number. No absolute local path
reaches a cell: the workspace folder is cut from every text and other absolute paths keep only
their file name.

Why xlsxwriter and not openpyxl's write-only mode: both stream rows, but openpyxl can give a cell
a number format only through a ``WriteOnlyCell`` object per cell, while xlsxwriter applies column
formats to plain values; on 100 k parcels it wrote the workbook in a fraction of the time
(scripts/bench_workbook.py and the commit message have the figures).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from .paths import strip_root
from .sheet import FORMATS, NO_DATA, SERIAL, TOTAL, Sheet

__all__ = ["HEADER_ROW", "TitleInfo", "write_book"]

#: The 1-based row of each sheet's column headings (rows above: the title block).
HEADER_ROW = 3

#: Rows converted to cell values at a time, and rows sampled for column widths.
_CHUNK, _WIDTH_ROWS = 20_000, 2000

_HEADER_FILL, _TOTAL_FILL, _BORDER_COLOR = "#DDEBF7", "#F2F2F2", "#A6A6A6"
_ABS_PATH = r"(?:(?<=^)|(?<=[\s(（:：'\"]))(?:[A-Za-z]:)?(?:[/\\][^/\\\s:;，、()（）'\"]+){2,}"


@dataclasses.dataclass(frozen=True)
class TitleInfo:
    """What the title block and the workbook's properties say.

    Attributes
    ----------
    county : str
        County name, prefixed to each 表名.
    unit : str
        制表单位: the bureau (``results.info["bureau"]``) or, without one, the county.
    made : str
        制表日期 (``YYYY-MM-DD``): the day the run was made.
    as_of : str
        数据截止日期 (``YYYY-MM-DD``): the as-of date the analyses were run against.
    run_id : str or None
        The run's id, written as the custom property ``run_id`` when known.
    root : str or None
        The workspace folder, cut from every text.
    incomplete : tuple of str
        The run's "数据不足: …" lines, written under the title of the first sheet.
    """

    county: str
    unit: str
    made: str
    as_of: str
    run_id: str | None = None
    root: str | None = None
    incomplete: tuple[str, ...] = ()


def _text_widths(values: list) -> float:
    """Display width of the longest of ``values`` (CJK characters count double)."""
    s = pd.Series([v for v in values if v is not None], dtype=object)
    if not len(s):
        return 0.0
    s = s.astype(str)
    n = s.str.len()
    wide = s.str.count(r"[\u2e80-\uffff]")
    return float((1.1 * (n - wide) + 2.0 * wide).max())


def _clean_object(v):
    """One value of a mixed object column as a cell value (rare path; typed columns are vectorised)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (bool, np.bool_)):
        return "是" if v else "否"
    if isinstance(v, (np.integer, int)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if np.isnan(v) else round(float(v), 6)
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, (list, tuple, np.ndarray)):
        return "、".join(map(str, v))
    if isinstance(v, dict):
        import json

        return json.dumps(v, ensure_ascii=False)
    return v if isinstance(v, (str, dt.date)) else str(v)


def _clean_text(s: pd.Series, root: str | None) -> pd.Series:
    s = strip_root(s, root)
    if s.str.contains("/", regex=False).any() or s.str.contains("\\", regex=False).any():
        s = s.str.replace(_ABS_PATH, lambda m: m.group(0).replace("\\", "/").rsplit("/", 1)[-1], regex=True)
    return s


def column_values(s: pd.Series, kind: str, root: str | None = None) -> list:
    """A column's cell values: numbers rounded to 6 decimals (no binary noise), nulls ``None``,
    booleans 是/否, text columns as text (a number in one becomes its digits), no absolute paths."""
    if pd.api.types.is_bool_dtype(s.dtype):
        arr = s.to_numpy(dtype=object)
        out = np.where(arr == True, "是", "否").astype(object)  # noqa: E712 - elementwise on an object array
        out[pd.isna(arr)] = None
        return out.tolist()
    if pd.api.types.is_numeric_dtype(s.dtype):
        f = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
        nan = np.isnan(f)
        if kind == "text":
            whole = ~nan & (np.floor(f) == f)
            txt = np.where(whole, np.char.mod("%d", np.where(whole, f, 0).astype(np.int64)), f.astype(str)).astype(object)
            txt[nan] = None
            return txt.tolist()
        if pd.api.types.is_integer_dtype(s.dtype):
            out = s.astype(object).to_numpy(copy=True)
            out[nan] = None
            return [None if v is None else int(v) for v in out] if nan.any() else s.astype(np.int64).tolist()
        out = np.round(f, 6).astype(object)
        out[nan] = None
        return out.tolist()
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return [None if pd.isna(v) else v for v in s.dt.to_pydatetime()]
    s = s.astype(object)
    inferred = pd.api.types.infer_dtype(s, skipna=True)
    if inferred not in ("string", "empty"):
        s = s.map(_clean_object)
        if kind == "text":
            s = s.where(s.isna(), s.astype(str))
    ok = s.notna()
    if ok.any():
        text = s[ok]
        is_str = text.map(type) == str if inferred not in ("string", "empty") else None  # noqa: E721 - elementwise
        if is_str is None:
            s[ok] = _clean_text(text, root)
        elif is_str.any():
            s[text[is_str].index] = _clean_text(text[is_str].astype(str), root)
    out = s.to_numpy(dtype=object, copy=True)
    out[~ok.to_numpy()] = None
    return out.tolist()


class _Formats:
    """The workbook's cell formats, made once."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        border = {"border": 1, "border_color": _BORDER_COLOR}
        self.title = book.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
        self.subtitle = book.add_format({"font_color": "#404040", "align": "left", "valign": "vcenter"})
        self.header = book.add_format({"bold": True, "bg_color": _HEADER_FILL, "align": "center", "valign": "vcenter",
                                       "text_wrap": True, **border})
        self.no_data = book.add_format({"bold": True, "font_size": 12})
        self.note = book.add_format({"font_color": "#7F7F7F"})
        self.incomplete = book.add_format({"bold": True, "font_color": "#C00000", "text_wrap": True,
                                           "align": "left", "valign": "vcenter"})
        self.column = {k: book.add_format({"num_format": f}) for k, f in FORMATS.items()}
        self.total = {k: book.add_format({"num_format": f, "bold": True, "bg_color": _TOTAL_FILL})
                      for k, f in FORMATS.items()}
        self.total_plain = book.add_format({"bold": True, "bg_color": _TOTAL_FILL})


def _title_block(wsh, sheet: Sheet, info: TitleInfo, fmt: _Formats, width: int) -> None:
    title = f"{info.county}{sheet.name}" if info.county and not sheet.name.startswith(info.county) else sheet.name
    line = f"制表单位：{info.unit}　　制表日期：{info.made}　　数据截止日期：{info.as_of}"
    sub = fmt.subtitle
    if info.incomplete:  # a partial run says so under the title, one line per problem
        line = "\n".join([line, *info.incomplete])
        sub = fmt.incomplete
        wsh.set_row(1, 15 * (1 + len(info.incomplete)) + 3)
    if width > 1:
        wsh.merge_range(0, 0, 0, width - 1, title, fmt.title)
        wsh.merge_range(1, 0, 1, width - 1, line, sub)
    else:
        wsh.write_string(0, 0, title, fmt.title)
        wsh.write_string(1, 0, line, sub)
    wsh.set_row(0, 24)


def _write_sheet(book: xlsxwriter.Workbook, sheet: Sheet, info: TitleInfo, fmt: _Formats) -> None:
    wsh = book.add_worksheet(sheet.name[:31])
    h0 = HEADER_ROW - 1  # 0-based header row
    if sheet.frame is None:
        wsh.set_column(0, 0, 80)
        _title_block(wsh, sheet, info, fmt, 1)
        wsh.write_string(h0, 0, NO_DATA, fmt.no_data)
        if sheet.note:
            wsh.write_string(h0 + 1, 0, sheet.note, fmt.note)
        return
    frame = sheet.frame
    headers = [SERIAL] + [str(c) for c in frame.columns]
    n = len(frame)
    kinds = [sheet.kinds.get(h, "text") for h in frame.columns]
    head = frame.iloc[:_WIDTH_ROWS]
    widths = [6.0] + [min(max(max(_text_widths([h]) * 0.9,
                                  _text_widths(column_values(head.iloc[:, j], kinds[j], info.root))) + 2, 8.0), 60.0)
                      for j, h in enumerate(frame.columns)]
    wsh.set_column(0, 0, widths[0])
    for j, (w, k) in enumerate(zip(widths[1:], kinds, strict=True), start=1):
        wsh.set_column(j, j, w, fmt.column.get(k))
    _title_block(wsh, sheet, info, fmt, len(headers))
    wsh.set_row(h0, 32)
    wsh.write_row(h0, 0, headers, fmt.header)
    for start in range(0, n, _CHUNK):  # cell values for a chunk of rows at a time: memory stays flat
        part = frame.iloc[start:start + _CHUNK]
        cols = [list(range(start + 1, start + len(part) + 1))]
        cols += [column_values(part.iloc[:, j], kinds[j], info.root) for j in range(part.shape[1])]
        for i, row in enumerate(zip(*cols), start=h0 + 1 + start):
            wsh.write_row(i, 0, row)
    wsh.freeze_panes(h0 + 1, 1 if len(headers) > 6 else 0)
    wsh.autofilter(h0, 0, h0 + n, len(headers) - 1)
    if sheet.totals and n:
        r = h0 + n + 1
        wsh.write_string(r, 0, TOTAL, fmt.total_plain)
        wsh.write_string(r, 1, f"共 {n} 条", fmt.total_plain)
        for j, (h, k) in enumerate(zip(frame.columns, kinds, strict=True), start=1):
            if j == 1:
                continue
            if h in sheet.totals:
                # the number itself (not a formula): readers without a calculation engine see it
                total = float(np.nansum(pd.to_numeric(frame[h], errors="coerce").to_numpy(dtype=float)))
                wsh.write_number(r, j, round(total, 4), fmt.total.get(k, fmt.total["num2"]))
            else:
                wsh.write_blank(r, j, None, fmt.total_plain)


def write_book(sheets: Iterable[Sheet], path: str | Path, info: TitleInfo) -> None:
    """Write ``sheets`` to ``path`` (an .xlsx), rows streamed to disk.

    Parameters
    ----------
    sheets : iterable of Sheet
        Taken one at a time (a generator keeps one sheet's rows in memory).
    path : str or Path
    info : TitleInfo
        Title block and properties.
    """
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                           "strings_to_urls": False, "strings_to_numbers": False,
                                           "default_date_format": FORMATS["date"]})
    fmt = _Formats(book)
    for i, sheet in enumerate(sheets):  # the 数据不足 lines on the first sheet only
        _write_sheet(book, sheet, info if i == 0 else dataclasses.replace(info, incomplete=()), fmt)
    book.set_properties({"title": f"{info.county}腾笼换鸟清单", "author": "geo-tenglong", "company": info.unit,
                         "comments": f"数据截止日期 {info.as_of}" + (f"; run_id {info.run_id}" if info.run_id else "")})
    if info.run_id:
        book.set_custom_property("run_id", str(info.run_id))
    book.close()
