"""Random dates: years weighted towards the 2000s and 2010s, dates within a year."""

from __future__ import annotations

import datetime as dt

import numpy as np

from .planted.cases import D


def draw_year(rng: np.random.Generator) -> int:
    """A supply year 1998–2022, weighted towards the 2000s and 2010s."""
    return int(rng.choice(np.arange(1998, 2023), p=_YEAR_P))


_YEAR_W = np.array([1, 1, 2, 2, 3, 4, 5, 6, 6, 6, 5, 5, 5, 5, 5, 5, 4, 4, 4, 4, 4, 4, 4, 3, 3], float)
_YEAR_P = _YEAR_W / _YEAR_W.sum()


def rand_date(rng: np.random.Generator, year: int, lo_month: int = 1, hi_month: int = 12) -> dt.date:
    """A random day (1–28) of a month between ``lo_month`` and ``hi_month`` of ``year``."""
    return D(year, int(rng.integers(lo_month, hi_month + 1)), int(rng.integers(1, 29)))


def add_years(d: dt.date, n: int) -> dt.date:
    """``d`` plus ``n`` years (28 February for a 29 February that does not exist)."""
    try:
        return d.replace(year=d.year + n)
    except ValueError:
        return d.replace(year=d.year + n, day=28)
