"""Compact encodings of the map's data: geometries as delta-encoded integer micro-degrees, columns
as plain or dictionary-encoded lists, and JSON that is safe inside ``<script type="application/json">``.

Pure functions of their inputs (no HTML, no I/O); :mod:`.payload` uses them to build the page's data
and ``static/briefing.js`` decodes them.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import shapely

from .styles import bool_values

#: Coordinates are stored as integers of 1e-6 degree (≈ 0.11 m north–south, 0.10 m east–west here).
COORD_SCALE = 1_000_000


def encode_geometries(geoms, scale: int = COORD_SCALE) -> tuple[list, list[int] | None]:
    """Encode EPSG:4326 geometries compactly for the page.

    Each feature becomes a list of parts; a polygon part is a list of rings, a line or point part
    a single flat list. A flat list holds integer ``x, y`` pairs in ``1/scale`` degrees, the first
    pair absolute and the others as differences from the previous vertex; polygon rings omit their
    closing vertex. Empty or missing geometries encode as an empty list.

    Parameters
    ----------
    geoms : array-like of shapely geometries (x = longitude)
    scale : int

    Returns
    -------
    features : list
    kinds : list of int or None
        Per feature 2 (polygon), 1 (line) or 0 (point), or ``None`` when every feature is a polygon.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> encode_geometries([box(121.0, 29.0, 121.000002, 29.000001)])
    ([[[[121000002, 29000000, 0, 1, -2, 0, 0, -1]]]], None)
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    feats: list = [[] for _ in range(n)]
    kinds = np.full(n, -1, dtype=np.int64)
    valid = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not valid.any():
        return feats, None
    parts, owner = shapely.get_parts(geoms[valid], return_index=True)
    owner = np.flatnonzero(valid)[owner]
    # explode nested collections until every part is a single geometry
    while True:
        multi = shapely.get_type_id(parts) >= 4
        if not multi.any():
            break
        sub, sidx = shapely.get_parts(parts[multi], return_index=True)
        parts = np.concatenate([parts[~multi], sub])
        owner = np.concatenate([owner[~multi], owner[multi][sidx]])
    order = np.argsort(owner, kind="stable")
    parts, owner = parts[order], owner[order]
    tid = shapely.get_type_id(parts)
    dim = np.where(tid == 3, 2, np.where((tid == 1) | (tid == 2), 1, 0))
    best = np.full(n, -1, dtype=np.int64)
    np.maximum.at(best, owner, dim)
    keep = (dim == best[owner]) & ~shapely.is_empty(parts)
    parts, owner, dim = parts[keep], owner[keep], dim[keep]
    kinds[:] = best

    poly = dim == 2
    if poly.any():
        rings, ring_part = shapely.get_rings(parts[poly], return_index=True)
        _fill_flat(feats, owner[poly], rings, ring_part, scale, drop_closing=True, nested=True)
    lines = dim == 1
    if lines.any():
        lparts = parts[lines]
        _fill_flat(feats, owner[lines], lparts, np.arange(len(lparts)), scale, drop_closing=False, nested=False)
    pts = dim == 0
    if pts.any():
        pparts = parts[pts]
        _fill_flat(feats, owner[pts], pparts, np.arange(len(pparts)), scale, drop_closing=False, nested=False)
    all_poly = bool(np.all((kinds == 2) | (kinds == -1)))
    return feats, None if all_poly else [int(k) if k >= 0 else 2 for k in kinds]


def _fill_flat(feats, part_owner, seqs, seq_part, scale, drop_closing: bool, nested: bool) -> None:
    """Append the delta-encoded coordinate lists of ``seqs`` (rings or lines) to ``feats``."""
    coords, cidx = shapely.get_coordinates(seqs, return_index=True)
    if drop_closing:
        last = np.ones(len(cidx), dtype=bool)
        last[:-1] = cidx[1:] != cidx[:-1]
        coords, cidx = coords[~last], cidx[~last]
    ints = np.rint(coords * scale).astype(np.int64)
    deltas = ints.copy()
    deltas[1:] -= ints[:-1]
    first = np.ones(len(cidx), dtype=bool)
    first[1:] = cidx[1:] != cidx[:-1]
    deltas[first] = ints[first]
    flat = deltas.ravel().tolist()
    counts = np.bincount(cidx, minlength=len(seqs)) * 2
    bounds = np.concatenate([[0], np.cumsum(counts)])
    cur_part = -1
    for s in range(len(seqs)):
        p = int(seq_part[s])
        seq = flat[bounds[s]:bounds[s + 1]]
        if not seq:
            continue
        f = feats[int(part_owner[p])]
        if nested:
            if p != cur_part:
                f.append([])
                cur_part = p
            f[-1].append(seq)
        else:
            f.append(seq)


def _num_list(values, decimals: int) -> list:
    arr = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    arr = np.round(arr, decimals)
    out = arr.tolist()
    return [None if math.isnan(v) else (int(v) if decimals == 0 or float(v).is_integer() else v) for v in out]


def encode_column(values: pd.Series, kind: str = "text") -> dict:
    """A column of the page's property table.

    Numbers become ``{"v": [...]}`` (rounded; NaN → null); text becomes ``{"v": [...]}`` or, when
    values repeat, dictionary-encoded ``{"d": [distinct values], "i": [codes, -1 = null]}``.
    """
    if kind in {"int", "idle"}:
        return {"v": _num_list(values, 0)}
    if kind in {"num1", "num2", "num4", "pct"}:
        return {"v": _num_list(values, {"num1": 1, "num2": 2, "num4": 4, "pct": 4}[kind])}
    if kind == "bool":
        return {"v": [None if v is None else int(v) for v in bool_values(values)]}
    s = pd.Series(values).astype("string")
    s = s.where(s.notna() & (s.str.strip() != ""), pd.NA)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    if len(uniques) <= max(1, len(s) // 2):
        return {"d": [str(u) for u in uniques], "i": codes.tolist()}
    return {"v": [None if v is pd.NA else str(v) for v in s.tolist()]}


def json_for_script(obj: Any) -> str:
    r"""JSON safe inside ``<script type="application/json">``: ``<``, ``>``, ``&`` as ``\u003c`` etc.

    Examples
    --------
    >>> print(json_for_script({"name": "</script>&"}))
    {"name":"\u003c/script\u003e\u0026"}
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
