"""Dates as bureaus type them, and full calendar years (geo_tenglong.io.dates)."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from geo_tenglong.io.dates import add_years, days_between, full_years, parse_dates

MARCH_1 = pd.Timestamp("2021-03-01")


@pytest.mark.parametrize("cell", [
    "2021-03-01", "2021/3/1", "2021/03/01", "2021年3月1日", "2021年03月01日", "2021.3.1", "2021.03.01",
    "20210301", 20210301, 44256, 44256.0, "44256", dt.datetime(2021, 3, 1, 14, 30), dt.date(2021, 3, 1),
    pd.Timestamp("2021-03-01 08:00"), np.datetime64("2021-03-01"), "２０２１年３月１日", " 2021-3-1 ",
    "2021-03-01 00:00:00", "2021年3月1号",
])
def test_every_form_reads_as_the_same_day(cell):
    parsed = parse_dates([cell])
    assert parsed.dates.iloc[0] == MARCH_1
    assert not parsed.invalid.iloc[0]


@pytest.mark.parametrize("cell", ["2021-02-30", "2021-13-01", "明年三月", "2021", 2021, "3/1/2021x", True, 12.5])
def test_unreadable_cells_are_invalid(cell):
    parsed = parse_dates([cell])
    assert pd.isna(parsed.dates.iloc[0])
    assert parsed.invalid.iloc[0]


@pytest.mark.parametrize("cell", [None, np.nan, "", "  ", "-", "无", pd.NaT])
def test_empty_cells_are_missing_not_invalid(cell):
    parsed = parse_dates([cell])
    assert pd.isna(parsed.dates.iloc[0])
    assert not parsed.invalid.iloc[0]


def test_excel_serials_and_the_1900_system():
    parsed = parse_dates([43831, 45291, 44255.75])  # 2020-01-01, 2023-12-31, 2021-02-28 18:00
    assert parsed.dates.dt.strftime("%Y-%m-%d").tolist() == ["2020-01-01", "2023-12-31", "2021-02-28"]


def test_mixed_column_keeps_the_index():
    s = pd.Series(["2021/3/1", 44256, None, "坏"], index=[10, 11, 12, 13], dtype=object)
    parsed = parse_dates(s)
    assert list(parsed.dates.index) == [10, 11, 12, 13]
    assert parsed.invalid.tolist() == [False, False, False, True]


@pytest.mark.parametrize("start,end,years", [
    ("2021-03-01", "2022-02-28", 0),
    ("2021-03-01", "2022-03-01", 1),
    ("2021-03-01", "2023-02-28", 1),
    ("2021-03-01", "2023-03-01", 2),
    ("2020-02-29", "2021-02-27", 0),
    ("2020-02-29", "2021-02-28", 1),   # no 29 February in 2021: the month's last day ends the year
    ("2020-02-29", "2024-02-28", 3),
    ("2020-02-29", "2024-02-29", 4),
    ("2021-02-28", "2024-02-28", 3),
    ("2022-06-30", "2022-06-30", 0),
    ("2022-07-01", "2022-06-30", -1),
])
def test_full_years_by_calendar(start, end, years):
    assert full_years(pd.to_datetime([start]), pd.Timestamp(end))[0] == years
    assert full_years(pd.to_datetime([start]), pd.to_datetime([end]))[0] == years


def test_full_years_missing_is_nan():
    assert np.isnan(full_years(pd.to_datetime([None]), pd.Timestamp("2022-01-01"))[0])


def test_add_years_feb_29():
    got = add_years(pd.to_datetime(["2020-02-29", "2020-02-29", "2021-03-01"]), [1, 4, 2])
    assert got.dt.strftime("%Y-%m-%d").tolist() == ["2021-02-28", "2024-02-29", "2023-03-01"]


def test_days_between():
    assert days_between(pd.to_datetime(["2021-03-01"]), dt.date(2022, 3, 1))[0] == 365
    assert days_between(pd.to_datetime(["2020-03-01"]), dt.date(2021, 3, 1))[0] == 365
    assert days_between(pd.to_datetime(["2020-02-01"]), dt.date(2021, 2, 1))[0] == 366
