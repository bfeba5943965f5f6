"""Dates as bureaus type them, and calendar arithmetic in full years.

Contract tables arrive with dates in every form a clerk types or Excel stores: ``2021-03-01``,
``2021/3/1``, ``2021年3月1日``, ``2021.3.1``, ``20210301``, an Excel serial number (``44256``), or a
real date cell. :func:`parse_dates` reads a whole column at once (vectorised with pandas string
methods) and says which cells it could not read, so the caller can name the row.

:func:`full_years` counts full calendar years the way Chinese law counts a period in years
(《民法典》第二百条至第二百零三条): the period ends on the corresponding date of the last year, and
when that year has no such date (29 February) on the last day of that month. So 2021-03-01 →
2022-03-01 is one full year and 2020-02-29 → 2021-02-28 is one full year.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import NamedTuple

import numpy as np
import pandas as pd

#: Excel's 1900 date system: serial 1 = 1900-01-01, with Lotus' phantom 1900-02-29 (serial 60).
EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
#: Serials accepted as Excel dates (1950-01-01 … 2099-12-31); other numbers are not dates.
EXCEL_SERIAL_RANGE = (18264, 73050)

_YMD = (r"^\s*(?P<y>\d{4})\s*(?:[-/.年]|\s)\s*(?P<m>\d{1,2})\s*(?:[-/.月]|\s)\s*(?P<d>\d{1,2})\s*[日号]?"
        r"(?:\s*[T ]?\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2}(?:\.\d+)?)?)?\s*$")
_COMPACT = r"^\s*(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})(?:\.0+)?\s*$"
_SERIAL = r"^\s*(?P<n>\d{4,5}(?:\.\d+)?)\s*$"
_EMPTY = {"", "-", "—", "/", "无", "nan", "nat", "none", "null"}


class ParsedDates(NamedTuple):
    """The result of :func:`parse_dates`.

    Attributes
    ----------
    dates : Series of datetime64[ns]
        The dates (midnight), ``NaT`` where the cell was empty or unreadable.
    invalid : Series of bool
        True where the cell held something that is not a date (``2021-02-30``, ``明年``).
    """

    dates: pd.Series
    invalid: pd.Series


def _from_parts(y, m, d) -> pd.Series:
    parts = pd.DataFrame({"year": pd.to_numeric(y, errors="coerce"), "month": pd.to_numeric(m, errors="coerce"),
                          "day": pd.to_numeric(d, errors="coerce")})
    ok = parts.notna().all(axis=1)
    out = pd.Series(pd.NaT, index=parts.index, dtype="datetime64[ns]")
    if ok.any():
        out[ok] = pd.to_datetime(parts[ok].astype("int64"), errors="coerce")
    return out


def _from_serial(n: pd.Series) -> pd.Series:
    n = pd.to_numeric(n, errors="coerce")
    lo, hi = EXCEL_SERIAL_RANGE
    ok = n.notna() & (n >= lo) & (n <= hi)
    out = pd.Series(pd.NaT, index=n.index, dtype="datetime64[ns]")
    if ok.any():
        days = np.floor(n[ok].to_numpy(dtype=float)).astype("int64")
        out[ok] = (EXCEL_EPOCH + days.astype("timedelta64[D]")).astype("datetime64[ns]")
    return out


def parse_dates(values) -> ParsedDates:
    """Read a column of dates in the forms bureaus type.

    Parameters
    ----------
    values : array-like
        Cells of one column: ``datetime``/``date``/``Timestamp`` objects, Excel serial numbers
        (int or float, 1950–2099), or text in the forms ``2021-03-01``, ``2021/3/1``,
        ``2021年3月1日``, ``2021.3.1``, ``20210301``, optionally with a time of day (dropped).
        Full-width digits are accepted. Empty cells (``None``, NaN, ``""``, ``-``, ``无``) are
        missing, not invalid.

    Returns
    -------
    ParsedDates
        ``dates`` (datetime64[ns], time of day dropped) and ``invalid`` (bool), both indexed
        like ``values``.

    Examples
    --------
    >>> parse_dates(["2021/3/1", "2021年3月1日", 44256, "2021-02-30", None]).dates.dt.strftime("%Y-%m-%d").tolist()
    ['2021-03-01', '2021-03-01', '2021-03-01', nan, nan]
    """
    s = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    s = s.astype(object)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    is_dt = s.map(lambda v: isinstance(v, (dt.date, np.datetime64)) and not pd.isna(v)).astype(bool)
    if is_dt.any():
        out[is_dt] = pd.to_datetime(s[is_dt].map(pd.Timestamp)).dt.tz_localize(None).dt.normalize()
    is_num = s.map(lambda v: isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                   and not pd.isna(v)).astype(bool)
    text = s.where(~(is_dt | is_num)).map(
        lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT
        else unicodedata.normalize("NFKC", str(v)).strip())
    # numbers: a whole number of eight digits is YYYYMMDD, otherwise an Excel serial
    num_text = s[is_num].map(lambda v: f"{float(v):.10g}")
    text = text.where(~is_num, num_text)
    empty = text.isna() | text.str.lower().isin(_EMPTY)
    empty &= ~is_dt
    todo = ~(is_dt | empty)
    if todo.any():
        t = text[todo]
        ymd = t.str.extract(_YMD)
        got = _from_parts(ymd["y"], ymd["m"], ymd["d"])
        miss = ymd["y"].isna()
        if miss.any():
            compact = t[miss].str.extract(_COMPACT)
            got[miss] = _from_parts(compact["y"], compact["m"], compact["d"])
            miss2 = miss & compact["y"].reindex(t.index).isna()
            if miss2.any():
                serial = t[miss2].str.extract(_SERIAL)["n"]
                got[miss2] = _from_serial(serial)
        out[todo] = got
    invalid = todo & out.isna()
    return ParsedDates(out, invalid.astype(bool))


def _ymd(dates) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = pd.DatetimeIndex(pd.to_datetime(pd.Series(dates).to_numpy()))
    return (np.asarray(d.year, dtype=float), np.asarray(d.month, dtype=float), np.asarray(d.day, dtype=float))


def _days_in_month(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    base = np.array([np.nan, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=float)
    m = np.nan_to_num(month, nan=0).astype(int)
    return base[m] + ((m == 2) & leap)


def add_years(dates, years) -> pd.Series:
    """``dates`` plus whole ``years``, 29 February falling back to 28 February (《民法典》第二百零二条).

    Parameters
    ----------
    dates : array-like of datetime64
    years : int or array-like of int

    Returns
    -------
    Series of datetime64[ns]
        ``NaT`` where a date or a year count is missing.

    Examples
    --------
    >>> add_years(pd.to_datetime(["2020-02-29"]), 1).dt.strftime("%Y-%m-%d").tolist()
    ['2021-02-28']
    """
    y, m, d = _ymd(dates)
    n = np.broadcast_to(np.asarray(years, dtype=float), y.shape)
    ty = y + n
    td = np.minimum(d, _days_in_month(ty, m))
    return _from_parts(pd.Series(ty), pd.Series(m), pd.Series(td))


def full_years(start, end) -> np.ndarray:
    """Full calendar years from ``start`` to ``end`` (floor; negative when ``end`` is earlier).

    A year is full on the corresponding date (2021-03-01 → 2022-03-01 is one year); a start on
    29 February reaches its anniversary on 28 February of a common year.

    Parameters
    ----------
    start, end : array-like of datetime64 (or scalar for ``end``)

    Returns
    -------
    ndarray of float
        Whole numbers; NaN where a date is missing.

    Examples
    --------
    >>> full_years(pd.to_datetime(["2021-03-01", "2021-03-01", "2020-02-29"]),
    ...            pd.to_datetime(["2022-02-28", "2022-03-01", "2021-02-28"])).tolist()
    [0.0, 1.0, 1.0]
    """
    sy, sm, sd = _ymd(start)
    if np.ndim(end) == 0 or isinstance(end, (dt.date, pd.Timestamp)):
        e = pd.Timestamp(end)
        ey, em, ed = (np.full(sy.shape, float(e.year)), np.full(sy.shape, float(e.month)),
                      np.full(sy.shape, float(e.day)))
    else:
        ey, em, ed = _ymd(end)
    years = ey - sy
    anniv_day = np.minimum(sd, _days_in_month(ey, sm))
    before = (em < sm) | ((em == sm) & (ed < anniv_day))
    return years - before


def days_between(start, end) -> np.ndarray:
    """Days from ``start`` to ``end`` (``end - start``), NaN where a date is missing."""
    s = pd.to_datetime(pd.Series(start).to_numpy())
    scalar = np.ndim(end) == 0 or isinstance(end, (dt.date, pd.Timestamp))
    e = pd.Timestamp(end) if scalar else pd.to_datetime(pd.Series(end).to_numpy())
    return np.asarray(pd.TimedeltaIndex(e - s).days, dtype=float)
