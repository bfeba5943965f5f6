"""Read bureau tables (.xlsx, .csv) with Chinese headers into field-named DataFrames.

Tables arrive as bureaus and the provincial 亩均论英雄 platform export them, and every table is
read the same way (:func:`read_table`):

- the header row is found below one or two title rows (the row whose cells name the most fields);
- a header merged over two rows — ``税收(万元)`` with ``本年``/``上年`` beneath — gives ``tax`` for
  the table's year and a row of the year before for ``上年`` (a ``2022``/``2022年`` beneath gives
  that year); a category over field names (``经济指标`` over ``营业收入``) gives the field;
- 合计/总计/小计 rows are dropped and listed as data issues (``df.attrs["data_issues"]``);
- a workbook with one sheet per year is read whole (every sheet whose name holds a year);
- the year, when no column holds it, comes from the sheet name or the file name
  (``2022年亩均效益评价`` → 2022);
- numbers stored as text with thousands separators (``"1,234.5"``) are read as numbers
  (:func:`geo_tenglong.io.columns.coerce_columns`); a number cell holding ``"N/A"``, ``"NULL"``,
  ``"-"`` … or text that is not a number is read as missing and listed as a data issue naming the
  file, row and column (never blanked silently, as pandas' default NA strings would be).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .aliases import map_headers, normalize_header
from .columns import PANDAS_NA, coerce_columns
from .schema import TABLES, Schema

#: Sub-header words under a merged header → years relative to the table's year.
PERIOD_WORDS = {"本年": 0, "本期": 0, "当年": 0, "今年": 0, "本年度": 0, "当期": 0, "本年累计": 0,
                "上年": -1, "上期": -1, "去年": -1, "上年度": -1, "上年同期": -1, "同期": -1}
_TOTAL = re.compile(r"^(合\s*计|总\s*计|小\s*计|全县合计|全市合计|总合计)")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?:\s*年|(?!\d))")
_HEADER_SCAN_ROWS = 12
#: Per-year values: a 上年 row does not repeat the 本年 row's figures.
_YEAR_VALUES = ({c for s in TABLES.values() for c in s.numeric} - {"year"}) | {"land_mu"}


def year_in_name(name: str) -> int | None:
    """The year a sheet or file name holds (``"2022年亩均效益评价"`` → 2022), or ``None``.

    Examples
    --------
    >>> year_in_name("2022年亩均效益评价"), year_in_name("亩均_2021.xlsx"), year_in_name("Sheet1")
    (2022, 2021, None)
    """
    found = _YEAR.findall(str(name))
    return int(found[-1]) if len(set(found)) == 1 else None


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _read_csv_grid(path: Path) -> pd.DataFrame:
    """Cells of a CSV (UTF-8 with or without BOM, or GBK) or of Excel's "Unicode text" (UTF-16, tabs)."""
    raw = path.read_bytes()
    # Excel's 另存为 "Unicode 文本": UTF-16 with a BOM, tab-separated
    encodings = ("utf-16",) if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig", "gb18030")
    for enc in encodings:
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError as exc:
            last = exc
    else:
        raise InputError(f"not UTF-8, GBK or UTF-16 text ({last})", path)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        raise InputError(f"not a readable CSV table: {exc}", path) from None
    width = max((len(r) for r in rows), default=0)
    return pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)


def dbf_encoding(shp: Path) -> str | None:
    """``"GBK"`` for a Shapefile without a ``.cpg`` whose DBF bytes are GBK, not UTF-8; else ``None``.

    A ``.cpg`` is honoured by GDAL; without one GDAL reads ISO-8859-1 and Chinese is garbled.
    """
    if shp.with_suffix(".cpg").exists() or shp.with_suffix(".CPG").exists():
        return None
    dbf = next((p for p in (shp.with_suffix(".dbf"), shp.with_suffix(".DBF")) if p.exists()), None)
    if dbf is None:
        return None
    raw = dbf.read_bytes()[:400_000]
    if len(raw) < 32:
        return None
    header_len = int.from_bytes(raw[8:10], "little")
    names = b"".join(raw[i:i + 11].split(b"\0", 1)[0] + b" " for i in range(32, header_len - 1, 32))
    data = names + raw[header_len:]          # field names and records are text; the header is binary
    if all(b < 0x80 for b in data):
        return None
    try:
        data.decode("utf-8")
        return None
    except UnicodeDecodeError:
        pass
    try:
        data.decode("gb18030")
        return "GBK"
    except UnicodeDecodeError:
        return None


def _read_dbf_grid(path: Path) -> pd.DataFrame:
    """A standalone .dbf table (e.g. 权利人 QLR.dbf) as a grid whose first row is the header."""
    import pyogrio

    encoding = dbf_encoding(path.with_suffix(".shp"))
    try:
        df = pyogrio.read_dataframe(path, read_geometry=False, **({"encoding": encoding} if encoding else {}))
    except Exception as exc:  # noqa: BLE001 - GDAL raises several types for a damaged file
        raise InputError(f"not a readable dBASE table ({exc})", path) from None
    return pd.DataFrame([list(df.columns), *df.astype(object).to_numpy().tolist()], dtype=object)


def _read_grids(path: Path, sheet: str | int | None) -> list[tuple[str | None, pd.DataFrame]]:
    """(sheet name, raw grid without a header) for each sheet to read; one for a CSV or DBF."""
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt"}:
        return [(None, _read_csv_grid(path))]
    if suffix == ".dbf":
        return [(None, _read_dbf_grid(path))]
    if suffix not in {".xlsx", ".xlsm"}:
        raise InputError(f"unsupported table format {suffix!r}; expected .xlsx, .csv or .dbf", path)
    try:
        # "N/A", "NULL" … stay text here (pandas would blank them silently): a number column lists
        # them as data issues (coerce_columns), other columns blank them in read_table as before
        kw = {"dtype": object, "engine": "openpyxl", "header": None, "keep_default_na": False, "na_values": [""]}
        if sheet is not None:
            grid = pd.read_excel(path, sheet_name=sheet, **kw)
            return [(str(sheet), grid)]
        sheets = pd.read_excel(path, sheet_name=None, **kw)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a damaged workbook
        raise InputError(f"not a readable Excel workbook ({type(exc).__name__}: {exc})", path) from None
    names = list(sheets)
    by_year = [n for n in names if year_in_name(n) is not None and not sheets[n].dropna(how="all").empty]
    if len(by_year) >= 2:                 # one sheet per year: read them all
        return [(n, sheets[n]) for n in by_year]
    return [(names[0], sheets[names[0]])]


def _find_header(grid: pd.DataFrame, target, aliases, standards) -> int:
    best, best_row = 0, 0
    for r in range(min(_HEADER_SCAN_ROWS, len(grid))):
        cells = [_cell(v) for v in grid.iloc[r]]
        cells = [c for c in cells if c]
        if len(cells) < 2:
            continue
        n = len(map_headers(cells, aliases, target, standards))
        if n > best:
            best, best_row = n, r
    return best_row


def _is_period(text: str) -> bool:
    return normalize_header(text) in PERIOD_WORDS or year_in_name(text) is not None and len(text) <= 6


def _header_names(grid: pd.DataFrame, row: int, target, aliases, standards) -> tuple[list, int]:
    """Column names (a name, or (name, period) for a 本年/上年 column) and the header's row count."""
    top = [_cell(v) for v in grid.iloc[row]]
    if row + 1 >= len(grid):
        return top, 1
    sub = [_cell(v) for v in grid.iloc[row + 1]]
    # A second header row sits under a merged cell: some of its cells have a blank above them, and
    # they are period words (本年/上年/2022年) or field names — never data.
    merged = [s for t, s in zip(top, sub) if s and not t]
    numeric = sum(bool(re.fullmatch(r"[-+]?[\d,.]+", s)) for s in sub if s and not _is_period(s))
    if not merged or numeric or not (any(_is_period(s) for s in merged)
                                     or map_headers(merged, aliases, target, standards)):
        return top, 1
    names: list = []
    last_top = ""
    for t, s in zip(top, sub):
        if t:
            last_top = t
        owner = t or last_top
        if s and _is_period(s):
            key = normalize_header(s)
            names.append((owner, PERIOD_WORDS[key] if key in PERIOD_WORDS else ("year", year_in_name(s))))
        elif s:
            names.append(s if map_headers([s], aliases, target, standards) or not owner else f"{owner}{s}")
        else:
            names.append(t)
    return names, 2


def _total_rows(df: pd.DataFrame) -> np.ndarray:
    text = df.iloc[:, : min(4, df.shape[1])].map(_cell)
    return text.apply(lambda col: col.str.replace(" ", "").str.match(_TOTAL)).any(axis=1).to_numpy()


def _expand_periods(df: pd.DataFrame, year: int | None, path: Path | str) -> pd.DataFrame:
    """Columns named (field, period) → one row per period (本年 = the table's year, 上年 = year − 1)."""
    period_cols = [c for c in df.columns if isinstance(c, tuple)]
    if not period_cols:
        return df
    base = df.drop(columns=period_cols)
    periods = sorted({c[1] for c in period_cols}, key=lambda p: (isinstance(p, tuple), p if isinstance(p, int) else 0))
    parts = []
    for p in periods:
        if isinstance(p, tuple):
            y = p[1]
        else:
            y = None if year is None else year + p
        if y is None and "year" in base.columns and p != 0:
            yr = pd.to_numeric(base["year"], errors="coerce") + p
        else:
            yr = y
        cols = {c[0]: df[c] for c in period_cols if c[1] == p}
        part = base.copy() if p == 0 else base.drop(columns=[c for c in base.columns if c in _YEAR_VALUES
                                                              or str(c).startswith("platform_")])
        for name, values in cols.items():
            part[name] = values.to_numpy()
        if yr is not None:
            part["year"] = yr
        elif p != 0:
            raise InputError("a 上年 column needs the table's year: add a year column or put the year in the sheet name",
                             path)
        keep = pd.DataFrame(cols).map(_cell).ne("").any(axis=1).to_numpy()
        part["_period_rank"] = 0 if p == 0 else 1
        parts.append(part[keep] if p != 0 else part)
    return pd.concat(parts, ignore_index=False)


def _read_sheet(path: Path | str, sheet_name, grid: pd.DataFrame, target, aliases, standards,
                issues: list, headers: list, derived: list, stem: str) -> pd.DataFrame:
    if grid.shape[0] == 0 or grid.shape[1] == 0:
        raise InputError("empty table: no header row and no data", path,
                         f"sheet {sheet_name!r}" if sheet_name is not None else None)
    grid = grid.copy()
    grid.index = np.arange(len(grid))
    row = _find_header(grid, target, aliases, standards)
    names, n_header = _header_names(grid, row, target, aliases, standards)
    body = grid.iloc[row + n_header:].copy()
    body.columns = range(body.shape[1])
    body = body.iloc[:, : len(names)]
    labels = [n if n else f"列{i + 1}" for i, n in enumerate(names)]
    body.columns = pd.Index(labels, dtype=object)
    body["source_row"] = body.index.to_numpy() + 1     # the grid has no header: index 0 is row 1
    body = body[body.drop(columns="source_row").map(_cell).ne("").any(axis=1)]
    where = (path.name if isinstance(path, Path) else str(path)) + (f" [{sheet_name}]" if sheet_name is not None else "")
    totals = _total_rows(body.drop(columns="source_row"))
    for r in body["source_row"][totals]:
        issues.append({"source": str(path), "feature": f"row {int(r)}" + (f" (sheet {sheet_name})" if sheet_name else ""),
                       "kind": "total_row", "message": f"{where} 第{int(r)}行为合计/总计行,已忽略"})
    body = body[~totals]
    flat = [c for c in body.columns if not isinstance(c, tuple)]
    headers.extend(h for h in [c if not isinstance(c, tuple) else c[0] for c in body.columns]
                   if h != "source_row" and h not in headers)
    body = body.rename(columns=map_headers([c for c in flat if c != "source_row"], aliases, target, standards))
    body = body.rename(columns={c: (map_headers([c[0]], aliases, target, standards).get(c[0], c[0]), c[1])
                                for c in body.columns if isinstance(c, tuple)})
    body = body.loc[:, ~pd.Index([str(c) for c in body.columns]).duplicated()]
    year = year_in_name(sheet_name) if sheet_name is not None else None
    if year is None:
        year = year_in_name(stem)
    if "year" not in body.columns and year is not None:
        derived.append("year")
    body = _expand_periods(body, year, path)
    if "year" not in body.columns and year is not None:
        body["year"] = year
    elif year is not None:
        blank = body["year"].map(_cell).eq("")
        body.loc[blank, "year"] = year
    if sheet_name is not None:
        body["source_sheet"] = str(sheet_name)
    return body


def read_table(path: str | Path, schema: Schema | None = None, sheet: str | int | None = None,
               aliases: dict[str, list[str]] | None = None, target: str | None = None,
               standards=None) -> pd.DataFrame:
    """Read a table and map its headers to field names.

    Parameters
    ----------
    path : str or Path
        ``.xlsx`` / ``.xlsm`` (the first sheet, every sheet whose name holds a year, or ``sheet``)
        or ``.csv`` (UTF-8, with or without BOM, or GBK; or Excel's "Unicode text": UTF-16, tab-separated).
    schema : Schema, optional
        Columns to check and coerce (see :mod:`geo_tenglong.io.schema`).
    sheet : str or int, optional
    aliases : dict, optional
        Extra header aliases (field → headers) from the workspace.
    target : str, optional
        The workspace table read (``enterprises`` …): its standard headers apply.
    standards : Standards, optional
        The workspace's standards (:func:`geo_tenglong.standards.load_standards`).

    Returns
    -------
    DataFrame
        Field-named columns (unrecognised headers kept as they are), plus ``source_row``: the
        row number a user sees in the file, and ``source_sheet`` for a workbook. Dropped total
        rows are listed in ``df.attrs["data_issues"]`` (``source``, ``feature``, ``kind``, ``message``),
        the headers as the file has them in ``df.attrs["headers"]``, and ``df.attrs["derived"]``
        lists the columns taken from the sheet or file name (``year``).

    Raises
    ------
    InputError
        For a missing or unreadable file, a missing required column, or a bad value (naming the row).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("table file not found", path)
    if path.stat().st_size == 0:
        raise InputError("empty file (0 bytes): expected a table with a header row", path)
    return table_from_grids(_read_grids(path, sheet), path, schema, aliases, target, standards, stem=path.stem)


def table_from_grids(grids: list[tuple[str | None, pd.DataFrame]], path: Path | str, schema: Schema | None = None,
                     aliases: dict[str, list[str]] | None = None, target: str | None = None, standards=None,
                     stem: str = "") -> pd.DataFrame:
    """Read raw grids (one per sheet) as :func:`read_table` reads a file's: the same headers, rows and checks.

    Parameters
    ----------
    grids : list of (sheet name or None, DataFrame)
        Cells without a header, the header row among them (a database table: its column names
        as the first row, see :func:`geo_tenglong.io.db.read.read_db_table`).
    path : Path or str
        The file, or the database connection and table, for messages and the data-issues list.
    schema, aliases, target, standards
        As for :func:`read_table`.
    stem : str
        The name a year may be read from when no column or sheet holds it (the file's stem).

    Returns
    -------
    DataFrame
        As :func:`read_table`.
    """
    issues: list[dict] = []
    headers: list[str] = []
    derived: list[str] = []
    parts = [_read_sheet(path, name, grid, target, aliases, standards, issues, headers, derived, stem)
             for name, grid in grids]
    df = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
    if "_period_rank" in df.columns:
        # a 上年 column repeats a row another sheet already holds: the sheet of that year wins
        if {"uscc", "year"} <= set(df.columns):
            df = df.assign(_k=df["uscc"].map(_cell), _y=pd.to_numeric(df["year"], errors="coerce"))
            df = df.sort_values("_period_rank", kind="stable")
            df = df[~(df.duplicated(["_k", "_y"], keep="first") & (df["_period_rank"] > 0))]
            df = df.sort_index().drop(columns=["_k", "_y"])
        df = df.drop(columns="_period_rank").reset_index(drop=True)
    if len(parts) > 1 and "source_sheet" in df.columns:
        df = df.sort_values(["source_sheet", "source_row"], kind="stable").reset_index(drop=True)
    if str(path).lower().endswith((".xlsx", ".xlsm")):
        numeric = set(schema.numeric) if schema is not None else set()
        for col in df.columns:
            if col not in numeric and df[col].dtype == object:
                df[col] = df[col].mask(df[col].map(lambda v: isinstance(v, str) and v.strip() in PANDAS_NA))
    if schema is not None:
        fields = map_headers(headers, aliases, target, standards)
        labels = {field: header for header, field in reversed(list(fields.items()))}
        df = coerce_columns(df, schema, path, row_offset=2, issues=issues, labels=labels)
    df.attrs["data_issues"] = issues
    df.attrs["headers"] = headers
    df.attrs["derived"] = sorted(set(derived))
    return df
