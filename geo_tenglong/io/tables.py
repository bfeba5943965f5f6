"""Read bureau tables (.xlsx, .csv) with Chinese headers into field-named DataFrames."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputError
from .aliases import map_headers
from .columns import coerce_columns
from .schema import Schema


def _read_csv(path: Path) -> pd.DataFrame:
    last = None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(path, dtype=object, encoding=enc, keep_default_na=False)
        except UnicodeDecodeError as exc:
            last = exc
        except pd.errors.ParserError as exc:
            raise InputError(f"not a readable CSV table: {exc}", path) from None
    raise InputError(f"not UTF-8 or GBK text ({last})", path)


def read_table(path: str | Path, schema: Schema | None = None, sheet: str | int | None = None,
               aliases: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """Read a table and map its headers to field names.

    Parameters
    ----------
    path : str or Path
        ``.xlsx`` / ``.xlsm`` (first sheet unless ``sheet``) or ``.csv`` (UTF-8, with or without
        BOM, or GBK).
    schema : Schema, optional
        Columns to check and coerce (see :mod:`geo_tenglong.io.schema`).
    sheet : str or int, optional
    aliases : dict, optional
        Extra header aliases (field → headers) from the workspace.

    Returns
    -------
    DataFrame
        Field-named columns (unrecognised headers kept as they are), plus ``source_row``: the
        row number a user sees in the file (header = row 1).

    Raises
    ------
    InputError
        For a missing or unreadable file, a missing required column, or a bad value (naming the row).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("table file not found", path)
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        try:
            df = pd.read_excel(path, sheet_name=sheet or 0, dtype=object, engine="openpyxl")
        except Exception as exc:  # openpyxl raises many types for a damaged workbook
            raise InputError(f"not a readable Excel workbook ({type(exc).__name__}: {exc})", path) from None
    elif suffix in {".csv", ".txt"}:
        df = _read_csv(path)
    else:
        raise InputError(f"unsupported table format {suffix!r}; expected .xlsx or .csv", path)
    df = df.rename(columns=map_headers(df.columns, aliases))
    df = df.loc[:, ~df.columns.duplicated()]
    df = df.dropna(how="all")
    df["source_row"] = df.index.to_numpy() + 2
    df = df.reset_index(drop=True)
    if schema is not None:
        df = coerce_columns(df, schema, path, row_offset=2)
    return df
