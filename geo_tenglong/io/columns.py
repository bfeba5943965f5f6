"""Column coercion shared by layer and table readers, with errors that name the row."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import InputError
from .schema import Schema

_FULL_WIDTH = str.maketrans("０１２３４５６７８９．，－", "0123456789.,-")
_NUM_SEP = re.compile(r"[,\s\u00a0\u3000]")
_TRUE = {"是", "true", "t", "yes", "y", "1", "1.0", "有", "√"}
_FALSE = {"否", "false", "f", "no", "n", "0", "0.0", "无", ""}
#: pandas' default NA strings (``na_values`` of ``read_csv``/``read_excel``), compared as typed.
PANDAS_NA = frozenset({"#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                       "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"})
#: Cells that say "no value" in a number column: pandas' defaults, dashes and the Chinese words
#: bureaus type. Read as missing, and listed (:func:`coerce_columns` with ``issues``).
NA_MARKERS = PANDAS_NA | frozenset({"-", "--", "—", "——", "－", "/", "无", "暂无", "空", "缺", "不详"})
#: At most this many cells of one column and kind are listed one by one; the rest in one line.
MAX_LISTED_CELLS = 50


def _row_label(df: pd.DataFrame, pos: int, row_offset: int, id_col: str | None) -> str:
    number = int(df["source_row"].iloc[pos]) if "source_row" in df.columns else pos + row_offset
    label = f"row {number}"
    if id_col and id_col in df.columns:
        val = df[id_col].iloc[pos]
        if isinstance(val, str) and val.strip():
            label += f" ({id_col} {val.strip()})"
    return label


def _as_text(s: pd.Series) -> pd.Series:
    """Text column: stripped strings, blanks as NA; codes read as numbers lose the spurious '.0'."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        num = s.astype(float)
        whole = num.notna() & (num % 1 == 0)
        text = num.astype(str).astype("string")
        text[whole] = num[whole].astype("int64").astype(str)
        text[num.isna()] = pd.NA
        return text
    if s.dtype == object:
        is_float = s.map(type).eq(float)
        if is_float.any():  # mixed cells from a spreadsheet: 123.0 → "123"
            s = s.copy()
            s[is_float] = s[is_float].map(lambda v: None if np.isnan(v) else (str(int(v)) if v.is_integer() else str(v)))
    text = s.astype("string").str.strip()
    return text.mask(text == "")


def parse_numbers(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Numbers from an object or string column, cleaning only the cells that do not parse as they are.

    Parameters
    ----------
    s : Series
        Cells as read: numbers, missing, or text such as ``"1,234.5"``, full-width ``"１，２３４"``,
        ``"1 234"``, or a :data:`NA_MARKERS` cell such as ``"N/A"``, ``"-"`` or ``"—"`` (missing).

    Returns
    -------
    num : Series of float
        The values, NaN where missing or not a number.
    bad : ndarray of bool
        Cells holding something that is not a number, even after full-width digits are made
        half-width and thousands separators and spaces removed.

    Examples
    --------
    >>> num, bad = parse_numbers(pd.Series(["1,234.5", "１，２３４", "—", 7.0, None, "x"], dtype=object))
    >>> num.tolist()[:4], bad.tolist()
    ([1234.5, 1234.0, nan, 7.0], [False, False, False, False, False, True])
    """
    num = pd.to_numeric(s, errors="coerce").astype(float)
    retry = num.isna().to_numpy() & s.notna().to_numpy()
    bad = np.zeros(len(s), dtype=bool)
    if retry.any():
        # "1,234.5", full-width "１，２３４", "1 234" as typed or exported: the separators go
        sub = s[retry].astype(object)
        is_text = sub.map(type).eq(str)
        text = sub[is_text].str.translate(_FULL_WIDTH).str.replace(_NUM_SEP, "", regex=True)
        cleaned = sub.where(~is_text, text)
        marker = sub[is_text].str.strip().isin(NA_MARKERS).reindex(sub.index, fill_value=False)
        cleaned = cleaned.where(~(marker | cleaned.isin(NA_MARKERS | {""})), None)
        again = pd.to_numeric(cleaned, errors="coerce").astype(float)
        num[retry] = again.to_numpy()
        bad[retry] = again.isna().to_numpy() & cleaned.notna().to_numpy()
    return num, bad


def na_markers(s: pd.Series) -> np.ndarray:
    """Cells of ``s`` holding an NA marker (:data:`NA_MARKERS`: ``"N/A"``, ``"NULL"``, ``"-"``, ``"无"`` …).

    Examples
    --------
    >>> na_markers(pd.Series(["N/A", " - ", "12", None, "", "无"], dtype=object)).tolist()
    [True, True, False, False, False, True]
    """
    if not (s.dtype == object or pd.api.types.is_string_dtype(s)):
        return np.zeros(len(s), dtype=bool)
    text = s.map(lambda v: v.strip() if isinstance(v, str) else None)
    return text.isin(NA_MARKERS).to_numpy()


def _cell_issues(df: pd.DataFrame, mask: np.ndarray, col: str, kind: str, path, row_offset: int, row_word: str,
                 id_col: str | None, labels: dict[str, str] | None) -> list[dict]:
    """``data_issues`` rows for the cells of ``col`` in ``mask`` (the first :data:`MAX_LISTED_CELLS`, then one line)."""
    from pathlib import Path

    shown = (labels or {}).get(col)
    column = f"“{shown}”({col})" if shown and shown != col else f"“{col}”"
    name = Path(str(path)).name
    what = "缺失值标记" if kind == "na_value" else "不是数字"
    rows = []
    positions = np.flatnonzero(mask)
    for pos in positions[:MAX_LISTED_CELLS]:
        where = _row_label(df, int(pos), row_offset, id_col).replace("row", row_word, 1)
        number = where.split()[1]
        unit = "行" if row_word == "row" else "个要素"
        rows.append({"source": str(path), "feature": where, "kind": kind,
                     "message": f"{name} 第{number}{unit} {column} 为“{df[col].iloc[int(pos)]}”({what}),按缺失值处理"})
    if len(positions) > MAX_LISTED_CELLS:
        rest = positions[MAX_LISTED_CELLS:]
        first = _row_label(df, int(rest[0]), row_offset, None).replace("row", row_word, 1)
        rows.append({"source": str(path), "feature": f"{first} …", "kind": kind,
                     "message": f"{name} {column} 另有{len(rest)}处{what},均按缺失值处理"})
    return rows


def coerce_columns(df: pd.DataFrame, schema: Schema, path, row_offset: int = 2, row_word: str = "row",
                   issues: list[dict] | None = None, labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Check required columns and coerce numeric, boolean and text columns.

    Parameters
    ----------
    df : DataFrame
        Columns already mapped to field names.
    schema : Schema
    path : Path
        The source file, for error messages.
    row_offset : int
        Added to the 0-based position to give the row number a user sees (2 for a spreadsheet
        with one header row; 1 for features).
    row_word : str
        ``"row"`` for tables, ``"feature"`` for layers.
    issues : list of dict, optional
        When given, a number cell holding an NA marker (``"N/A"``, ``"NULL"``, ``"-"`` …, see
        :data:`NA_MARKERS`) or text that is not a number is read as missing (a yes/no cell holding
        an NA marker as an empty one) and listed here as a
        ``data_issues`` row (``source``, ``feature``: the row, ``kind``: ``na_value`` or
        ``bad_value``, ``message`` naming the file, row and column), so the value the analysis
        cannot use is never silent. Without it, NA markers are read as missing and text that is
        not a number raises.
    labels : dict, optional
        Field name → the header as the file has it, for the messages.

    Returns
    -------
    DataFrame
        A copy with coerced columns.

    Raises
    ------
    InputError
        For a missing required column, text in a boolean column, or (without ``issues``) text in a
        numeric column, naming the row.
    """
    missing = [c for c in schema.required if c not in df.columns]
    if missing:
        raise InputError(f"missing required column {missing[0]!r} (columns present: {list(df.columns)})", path)
    out = df.copy()
    id_col = schema.unique or (schema.required[0] if schema.required else None)
    for col in schema.text:
        if col in out.columns:
            out[col] = _as_text(out[col])
    for col in schema.numeric:
        if col not in out.columns:
            continue
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            # "1,234.5", full-width "１，２３４", "1 234" as typed or exported: the separators go
            num, bad = parse_numbers(s)
            if issues is not None:
                marker = np.zeros(len(s), dtype=bool)
                unread = num.isna().to_numpy() & s.notna().to_numpy()  # only cells that did not parse
                if unread.any():
                    marker[unread] = na_markers(s[unread])
                issues.extend(_cell_issues(out, marker, col, "na_value", path, row_offset, row_word, id_col, labels))
                issues.extend(_cell_issues(out, bad, col, "bad_value", path, row_offset, row_word, id_col, labels))
            elif bad.any():
                pos = int(np.flatnonzero(bad)[0])
                where = _row_label(out, pos, row_offset, id_col).replace("row", row_word, 1)
                raise InputError(f"column {col!r} must hold a number, found {s.iloc[pos]!r}", path, where)
            out[col] = num.astype(float)
        elif pd.api.types.is_bool_dtype(s):
            out[col] = s.astype(float)
        else:
            out[col] = pd.to_numeric(s, errors="coerce").astype(float)
    for col in schema.boolean:
        if col not in out.columns:
            continue
        s = out[col]
        if pd.api.types.is_bool_dtype(s):
            continue
        keys = s.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip().lower())
        marker = na_markers(s) & ~keys.isin(_TRUE | _FALSE).to_numpy()  # "N/A": blank, as an empty cell, and listed
        if issues is not None and marker.any():
            issues.extend(_cell_issues(out, marker, col, "na_value", path, row_offset, row_word, id_col, labels))
            keys = keys.mask(marker, "")
        bad = ~keys.isin(_TRUE | _FALSE)
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            where = _row_label(out, pos, row_offset, id_col).replace("row", row_word, 1)
            raise InputError(f"column {col!r} must hold 是/否 (yes/no), found {s.iloc[pos]!r}", path, where)
        out[col] = keys.isin(_TRUE)
    return out


def check_unique(df: pd.DataFrame, col: str, path, row_offset: int = 1, row_word: str = "feature",
                 required: bool = False) -> None:
    """Raise :class:`InputError` naming the rows when ``col`` repeats a value (or, when ``required``, is blank).

    A blank id (NULL, empty text) would go through the analysis as ``nan`` and fail, or be judged,
    only once the outputs are written; a required id is checked here, before the first output byte.
    """
    if col not in df.columns:
        return
    s = df[col]
    if required:
        blank = s.isna() | s.astype("string").str.strip().eq("").fillna(False)
        if blank.any():
            rows = [str(int(p) + row_offset) for p in np.flatnonzero(blank.to_numpy())]
            more = f" (and {row_word}s {', '.join(rows[1:6])}{' …' if len(rows) > 6 else ''})" if len(rows) > 1 else ""
            raise InputError(f"{col} is empty (编号为空){more}; every {row_word} needs one", path, f"{row_word} {rows[0]}")
    dup = s.notna() & s.duplicated(keep=False)
    if dup.any():
        first = s[dup].iloc[0]
        rows = [str(int(p) + row_offset) for p in np.flatnonzero((s == first).fillna(False).to_numpy())]
        raise InputError(f"duplicate {col} {first!r} at {row_word}s {', '.join(rows)}; ids must be unique", path,
                         f"{row_word} {rows[0]}")
