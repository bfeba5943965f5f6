"""Random dates: years weighted towards the 2000s and 2010s, dates within a year."""

from __future__ import annotations

import datetime as dt

import numpy as np

from .planted.cases import D


def draw_year(rng: np.random.Generator) -> int:
    return int(rng.choice(np.arange(1998, 2023), p=_YEAR_P))


_YEAR_W = np.array([1, 1, 2, 2, 3, 4, 5, 6, 6, 6, 5, 5, 5, 5, 5, 5, 4, 4, 4, 4, 4, 4, 4, 3, 3], float)
_YEAR_P = _YEAR_W / _YEAR_W.sum()


def rand_date(rng: np.random.Generator, year: int, lo_month: int = 1, hi_month: int = 12) -> dt.date:
    return D(year, int(rng.integers(lo_month, hi_month + 1)), int(rng.integers(1, 29)))


def add_years(d: dt.date, n: int) -> dt.date:
    try:
        return d.replace(year=d.year + n)
    except ValueError:
        return d.replace(year=d.year + n, day=28)
