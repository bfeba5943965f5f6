"""No absolute local path in the workbook: file names relative to the workspace folder."""

from __future__ import annotations

import os
from pathlib import PurePath

import numpy as np
import pandas as pd

__all__ = ["relative_sources", "strip_root"]


def _roots(root) -> list[str]:
    if root is None or str(root) in ("", "."):
        return []
    text = str(root).rstrip("/\\")
    out = [text]
    try:
        real = os.path.realpath(text)
        if real != text:
            out.append(real)
    except OSError:
        pass
    return out


def relative_sources(values: pd.Series, root) -> np.ndarray:
    """File names as the user sees them in the workspace: relative to ``root``; an absolute path
    outside it keeps only its file name. A ``path:layer`` suffix is kept.

    Examples
    --------
    >>> out = relative_sources(pd.Series(["/w/a/b.gpkg:parcels", "/elsewhere/c.xlsx", "d.csv", None]), "/w")
    >>> out[:3].tolist(), bool(pd.isna(out[3]))
    (['a/b.gpkg:parcels', 'c.xlsx', 'd.csv'], True)
    """
    s = pd.Series(values.to_numpy(dtype=object))
    ok = s.notna()
    text = s[ok].astype(str)
    for r in _roots(root):
        text = text.str.replace(r + "/", "", regex=False).str.replace(r + "\\", "", regex=False)
    absolute = text.str.match(r"^(/|[A-Za-z]:[\\/]|\\\\)")
    if absolute.any():
        text[absolute] = text[absolute].map(lambda t: PurePath(t.replace("\\", "/")).name)
    out = s.copy()
    out[ok] = text
    return out.to_numpy(dtype=object)


def strip_root(values: pd.Series, root) -> pd.Series:
    """Text with every occurrence of the workspace folder removed (``/w/x.csv`` → ``x.csv``)."""
    s = values
    for r in _roots(root):
        s = s.str.replace(r + "/", "", regex=False).str.replace(r + "\\", "", regex=False)
    return s
