"""The one value layer: how a cell becomes a date, a yes/no, an id, a list of ids or a polygon.

Every stage, reader and output reads cells through these functions, so that ``2055年12月31日``,
``√`` or ``12.0`` mean the same thing everywhere (issue 17.2, issue 14.3).

- Dates: :func:`parse_date` (one cell) and :func:`parse_date_series` (a column) delegate to the
  vectorised engine :func:`geo_tenglong.io.dates.parse_dates` (``2055-12-31``, ``2055/12/31``,
  ``2055年12月31日``, ``2055.12.31``, ``20551231``, Excel serials 1950–2099, date cells).
- Yes/no: one vocabulary, :data:`YES` and :data:`NO`; :func:`parse_yes_no` and
  :func:`yes_no_series` give ``None``/``<NA>`` for a blank or an unknown word, never ``False``.
- Ids: :func:`clean_id` (``12.0`` → ``"12"``, blanks → ``None``), :func:`clean_text` (any text
  cell, same rules), :func:`split_ids` and :func:`join_ids` for ``;``-joined lists.
- Polygons: :func:`polygonal` / :func:`polygonal_array` keep a feature's polygonal part (one
  geometry per feature, ``None`` where there is none); :func:`polygon_parts` flattens geometries
  into their single Polygons of positive area (for overlay and gap finding, where features do not
  matter).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from .io.dates import ParsedDates, parse_dates

__all__ = ["NO", "YES", "ParsedDates", "clean_id", "clean_text", "clean_text_array", "join_ids", "parse_date", "parse_date_series",
           "parse_yes_no", "polygon_parts", "polygonal", "polygonal_array", "split_ids", "yes_no_series"]

# ------------------------------------------------------------------------------------------ dates


def parse_date_series(values: Any) -> ParsedDates:
    """Read a column of dates in every form bureaus type (see :mod:`geo_tenglong.io.dates`).

    Parameters
    ----------
    values : array-like
        Cells of one column (text, Excel serials, ``date``/``datetime``/``Timestamp`` cells).

    Returns
    -------
    ParsedDates
        ``dates`` (datetime64[ns], ``NaT`` where blank or unreadable) and ``invalid`` (True where
        the cell held something that is not a date), indexed like ``values``.

    Examples
    --------
    >>> parse_date_series(["2055年12月31日", 44256, "明年", None]).dates.dt.strftime("%Y-%m-%d").tolist()
    ['2055-12-31', '2021-03-01', nan, nan]
    >>> parse_date_series(["2055年12月31日", 44256, "明年", None]).invalid.tolist()
    [False, False, True, False]
    """
    return parse_dates(values)


def parse_date(value: Any) -> dt.date | None:
    """One cell as a date, ``None`` when it is blank or not a date.

    Parameters
    ----------
    value : object
        A cell: text such as ``2055年12月31日`` or ``2055.12.31``, an Excel serial number, a
        ``date``/``datetime``/``Timestamp``.

    Returns
    -------
    datetime.date or None

    Examples
    --------
    >>> parse_date("2055年12月31日"), parse_date("2055.12.31"), parse_date(44256)
    (datetime.date(2055, 12, 31), datetime.date(2055, 12, 31), datetime.date(2021, 3, 1))
    >>> parse_date(pd.Timestamp("2030-06-30 12:00")), parse_date(""), parse_date("2021-02-30")
    (datetime.date(2030, 6, 30), None, None)
    """
    if _is_blank(value):
        return None
    if isinstance(value, (dt.date, np.datetime64)):  # a date cell: no text to read (the common case)
        ts = pd.Timestamp(value)
        return None if pd.isna(ts) else ts.date()
    got = parse_dates(pd.Series([value], dtype=object)).dates.iloc[0]
    return None if pd.isna(got) else got.date()


# ------------------------------------------------------------------------------------------ yes/no

#: Words read as yes (compared after NFKC normalisation, stripping and lower-casing).
YES: frozenset[str] = frozenset({"有", "是", "√", "✓", "✔", "通过", "符合", "合格", "可", "可以", "y", "yes", "true", "t",
                                 "1", "pass", "ok"})
#: Words read as no.
NO: frozenset[str] = frozenset({"无", "否", "×", "✗", "✘", "不通过", "不符合", "不合格", "n", "no", "false", "f", "0",
                                "fail"})
_WORDS = {**dict.fromkeys(YES, True), **dict.fromkeys(NO, False)}


def _is_blank(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, (float, np.floating)) and bool(np.isnan(value))


def _word(value: Any) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip().lower()


def parse_yes_no(value: Any) -> bool | None:
    """One yes/no cell: ``True``, ``False``, or ``None`` for a blank or a word outside the vocabulary.

    Parameters
    ----------
    value : object
        ``bool``, a number (1 yes, 0 no, any other number unknown) or text in :data:`YES` /
        :data:`NO` (full-width forms and any case accepted).

    Returns
    -------
    bool or None

    Examples
    --------
    >>> [parse_yes_no(v) for v in ["是", "√", "通过", "Y", 1, 1.0, True]]
    [True, True, True, True, True, True, True]
    >>> [parse_yes_no(v) for v in ["否", "×", "不合格", "ｎｏ", 0, False]]
    [False, False, False, False, False, False]
    >>> [parse_yes_no(v) for v in [None, float("nan"), "", "待定", 2]]
    [None, None, None, None, None]
    """
    if _is_blank(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return True if value == 1 else False if value == 0 else None
    return _WORDS.get(_word(value))


def yes_no_series(values: Any) -> pd.Series:
    """A column of yes/no cells as pandas ``boolean`` (``<NA>`` for blanks and unknown words).

    Parameters
    ----------
    values : array-like
        Cells read as :func:`parse_yes_no` reads one.

    Returns
    -------
    Series of boolean
        Indexed like ``values`` when it is a Series.

    Examples
    --------
    >>> yes_no_series(["有", "无", None, "待定", 1]).tolist()
    [True, False, <NA>, <NA>, True]
    """
    s = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("boolean")
    if pd.api.types.is_numeric_dtype(s.dtype):
        num = s.astype(float)
        out = pd.Series(pd.NA, index=s.index, dtype="boolean")
        out[num == 1] = True
        out[num == 0] = False
        return out
    # text columns: one dictionary lookup per distinct cell
    codes, uniques = pd.factorize(s.astype(object), use_na_sentinel=True)
    looked = np.array([parse_yes_no(u) for u in uniques] + [None], dtype=object)
    return pd.Series(looked[codes], index=s.index, dtype=object).astype("boolean")


# ------------------------------------------------------------------------------------------ ids and lists

_SEPARATORS = re.compile(r"[;；,，、\s]+")


def clean_text(value: Any) -> str | None:
    """A text cell stripped, ``None`` for blanks; a whole float (a code Excel stored as a number) loses ``.0``.

    Examples
    --------
    >>> clean_text(" 已竣工投产 "), clean_text(12.0), clean_text(12.5), clean_text("  "), clean_text(float("nan"))
    ('已竣工投产', '12', '12.5', None, None)
    """
    if _is_blank(value):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def clean_text_array(values: Any) -> np.ndarray:
    """:func:`clean_text` of every value, the text cells at once.

    Examples
    --------
    >>> clean_text_array([" A类 ", "", None, 12.0, float("nan")]).tolist()
    ['A类', None, None, '12', None]
    """
    arr = np.asarray(values, dtype=object)
    out = np.full(len(arr), None, dtype=object)
    text = np.fromiter((isinstance(v, str) for v in arr), dtype=bool, count=len(arr))
    stripped = pd.Series(arr[text], dtype=object).str.strip().to_numpy(dtype=object)
    out[np.flatnonzero(text)[stripped != ""]] = stripped[stripped != ""]
    other = np.flatnonzero(~text)
    out[other] = [clean_text(arr[i]) for i in other]
    return out


def clean_id(value: Any) -> str | None:
    """An id cell (宗地代码, 信用代码, proposal id): stripped text, ``12.0`` → ``"12"``, blanks → ``None``.

    Parameters
    ----------
    value : object

    Returns
    -------
    str or None

    Examples
    --------
    >>> clean_id(330123001001.0), clean_id(" P-1 "), clean_id(np.int64(7)), clean_id(None), clean_id("")
    ('330123001001', 'P-1', '7', None, None)
    """
    return clean_text(value)


def split_ids(value: Any) -> list[str]:
    """The ids held in one cell, in order, each once.

    Separators are ``;`` ``；`` ``,`` ``，`` ``、`` and whitespace. A list, tuple, array or Series
    of ids, or a JSON list (a list column after a GeoPackage round trip), is read item by item.

    Parameters
    ----------
    value : object

    Returns
    -------
    list of str
        Empty for a blank cell.

    Examples
    --------
    >>> split_ids("A1;A2；A3, A4，A5、A6 A7;;A1")
    ['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7']
    >>> split_ids('["a", "b"]'), split_ids(["a", 12.0, None]), split_ids(None), split_ids(" ")
    (['a', 'b'], ['a', '12'], [], [])
    """
    if isinstance(value, (list, tuple, np.ndarray, pd.Series)):
        items: Iterable[Any] = list(value)
    else:
        text = clean_text(value)
        if text is None:
            return []
        items = [text]
        if text.startswith("["):
            try:
                loaded = json.loads(text)
            except ValueError:
                loaded = None
            if isinstance(loaded, list):
                items = loaded
    out: list[str] = []
    for item in items:
        text = clean_text(item)
        if text is not None:
            out.extend(p for p in _SEPARATORS.split(text) if p)
    return list(dict.fromkeys(out))


def join_ids(items: Any) -> str:
    """Ids as one ``;``-joined cell, in order, each once (``""`` when there are none).

    Examples
    --------
    >>> join_ids(["A1", "A2", None, "A1", 12.0]), join_ids("A1，A2"), join_ids([])
    ('A1;A2;12', 'A1;A2', '')
    """
    return ";".join(split_ids(items))


# ------------------------------------------------------------------------------------------ polygons

_POLYGONAL_TYPES = (int(shapely.GeometryType.POLYGON), int(shapely.GeometryType.MULTIPOLYGON))
_COLLECTION_TYPES = (int(shapely.GeometryType.MULTIPOINT), int(shapely.GeometryType.MULTILINESTRING),
                     int(shapely.GeometryType.GEOMETRYCOLLECTION))


def polygonal(geom: BaseGeometry | None) -> shapely.Polygon | shapely.MultiPolygon | None:
    """The polygonal part of one feature's geometry, ``None`` when it has none.

    A Polygon or MultiPolygon is returned as it is; from a collection (what ``make_valid`` or an
    intersection returns) the polygons are kept and unioned; a line, a point, an empty or missing
    geometry gives ``None``.

    Parameters
    ----------
    geom : shapely geometry or None

    Returns
    -------
    Polygon, MultiPolygon or None

    Examples
    --------
    >>> from shapely import GeometryCollection, LineString, box
    >>> polygonal(GeometryCollection([box(0, 0, 1, 1), LineString([(0, 0), (5, 5)])])).area
    1.0
    >>> polygonal(LineString([(0, 0), (1, 1)])), polygonal(None), polygonal(shapely.Polygon())
    (None, None, None)
    """
    if geom is None or shapely.is_missing(geom) or shapely.is_empty(geom):
        return None
    kind = int(shapely.get_type_id(geom))
    if kind in _POLYGONAL_TYPES:
        return geom
    if kind not in _COLLECTION_TYPES:
        return None
    parts = shapely.get_parts(geom)
    while len(parts) and (shapely.get_type_id(parts) == shapely.GeometryType.GEOMETRYCOLLECTION).any():
        parts = shapely.get_parts(parts)
    parts = parts[np.isin(shapely.get_type_id(parts), _POLYGONAL_TYPES) & ~shapely.is_empty(parts)]
    return shapely.union_all(parts) if len(parts) else None


def polygonal_array(geoms: Any) -> np.ndarray:
    """:func:`polygonal` of every geometry: an object array of the same length.

    Examples
    --------
    >>> from shapely import LineString, box
    >>> [g if g is None else g.geom_type for g in polygonal_array([box(0, 0, 1, 1), LineString([(0, 0), (1, 1)]), None])]
    ['Polygon', None, None]
    """
    arr = np.asarray(list(geoms) if not isinstance(geoms, np.ndarray) else geoms, dtype=object).ravel()
    out = np.full(len(arr), None, dtype=object)
    if not len(arr):
        return out
    kinds = shapely.get_type_id(arr)  # -1 for None
    ok = np.isin(kinds, _POLYGONAL_TYPES) & ~shapely.is_empty(arr)
    out[ok] = arr[ok]
    for i in np.flatnonzero(np.isin(kinds, _COLLECTION_TYPES)):
        out[i] = polygonal(arr[i])
    return out


def polygon_parts(geoms: Any) -> np.ndarray:
    """Every single Polygon of positive area in ``geoms``, flattened (features are not kept).

    For overlays that only need the covered area (gaps between parcels, occupied land): multi
    parts are split, lines, points, empty and missing geometries dropped.

    Examples
    --------
    >>> from shapely import MultiPolygon, LineString, box
    >>> [round(p.area) for p in polygon_parts([MultiPolygon([box(0, 0, 1, 1), box(2, 0, 4, 1)]),
    ...                                        LineString([(0, 0), (1, 1)]), None])]
    [1, 2]
    """
    arr = np.asarray(list(geoms) if not isinstance(geoms, np.ndarray) else geoms, dtype=object).ravel()
    if not len(arr):
        return np.empty(0, dtype=object)
    parts = shapely.get_parts(arr[~(shapely.is_missing(arr) | shapely.is_empty(arr))])
    parts = parts[shapely.get_type_id(parts) == shapely.GeometryType.POLYGON]
    return parts[shapely.area(parts) > 0]
