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
        ``"1 234"``, ``"-"`` or ``"—"`` (missing).

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
        cleaned = sub.where(~is_text, text).replace({"": None, "-": None, "—": None})
        again = pd.to_numeric(cleaned, errors="coerce").astype(float)
        num[retry] = again.to_numpy()
        bad[retry] = again.isna().to_numpy() & cleaned.notna().to_numpy()
    return num, bad


def coerce_columns(df: pd.DataFrame, schema: Schema, path, row_offset: int = 2, row_word: str = "row") -> pd.DataFrame:
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

    Returns
    -------
    DataFrame
        A copy with coerced columns.

    Raises
    ------
    InputError
        For a missing required column, or text in a numeric or boolean column (naming the row).
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
            if bad.any():
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
