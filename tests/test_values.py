"""The one value layer (geo_tenglong.values): dates, yes/no, ids, lists, polygons."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import GeometryCollection, LineString, MultiPolygon, Point, box

from geo_tenglong import values as v

# ---------------------------------------------------------------- dates

@pytest.mark.parametrize("cell", ["2055年12月31日", "2055.12.31", "2055/12/31", "2055-12-31", "20551231",
                                  dt.date(2055, 12, 31), pd.Timestamp("2055-12-31 10:00"), "２０５５年１２月３１日"])
def test_parse_date_reads_every_form(cell):
    assert v.parse_date(cell) == dt.date(2055, 12, 31)


def test_excel_serial_is_not_1970():
    assert v.parse_date(44256) == dt.date(2021, 3, 1)
    assert v.parse_date(44256.0) == dt.date(2021, 3, 1)


@pytest.mark.parametrize("cell", [None, np.nan, "", " ", "无", "明年", "2021-02-30", pd.NaT])
def test_parse_date_blank_or_bad_is_none(cell):
    assert v.parse_date(cell) is None


def test_parse_date_series_says_which_cells_are_invalid():
    got = v.parse_date_series(pd.Series(["2055年12月31日", "坏", None], index=[5, 6, 7]))
    assert list(got.dates.index) == [5, 6, 7]
    assert got.dates.iloc[0] == pd.Timestamp("2055-12-31")
    assert got.invalid.tolist() == [False, True, False]


# ---------------------------------------------------------------- yes / no

YES_CELLS = ["有", "是", "√", "✓", "通过", "符合", "合格", "可", "可以", "Y", "y", "yes", "YES", "true", "True", "t",
             "1", "pass", "ok", "OK", " 是 ", "Ｙ", 1, 1.0, True, np.bool_(True), np.int64(1)]
NO_CELLS = ["无", "否", "×", "✗", "不通过", "不符合", "不合格", "N", "no", "false", "FALSE", "f", "0", "fail", 0, 0.0,
            False, np.bool_(False)]
UNKNOWN_CELLS = [None, np.nan, pd.NA, "", "  ", "待定", "2", 2, 0.5, "是否"]


@pytest.mark.parametrize("cell", YES_CELLS)
def test_yes(cell):
    assert v.parse_yes_no(cell) is True


@pytest.mark.parametrize("cell", NO_CELLS)
def test_no(cell):
    assert v.parse_yes_no(cell) is False


@pytest.mark.parametrize("cell", UNKNOWN_CELLS)
def test_blank_or_unknown_is_none_not_false(cell):
    assert v.parse_yes_no(cell) is None


def test_vocabularies_do_not_overlap():
    assert not v.YES & v.NO


def test_yes_no_series_agrees_with_the_cell_parser():
    cells = YES_CELLS + NO_CELLS + UNKNOWN_CELLS
    got = v.yes_no_series(pd.Series(cells, dtype=object, index=range(10, 10 + len(cells))))
    assert str(got.dtype) == "boolean"
    assert list(got.index) == list(range(10, 10 + len(cells)))
    want = [v.parse_yes_no(c) for c in cells]
    assert [None if x is pd.NA else bool(x) for x in got] == want


@pytest.mark.parametrize("series, want", [
    (pd.Series([True, False]), [True, False]),
    (pd.Series([1, 0, 2]), [True, False, None]),
    (pd.Series([1.0, np.nan, 0.0]), [True, None, False]),
    (pd.Series([True, None], dtype="boolean"), [True, None]),
])
def test_yes_no_series_typed_columns(series, want):
    got = v.yes_no_series(series)
    assert [None if x is pd.NA else bool(x) for x in got] == want


# ---------------------------------------------------------------- ids and lists

@pytest.mark.parametrize("cell, want", [
    (12.0, "12"), (330123001001.0, "330123001001"), (np.float64(5.0), "5"), (12.5, "12.5"), (7, "7"),
    (" A-1 ", "A-1"), ("", None), ("  ", None), (None, None), (np.nan, None), (pd.NA, None),
])
def test_clean_id(cell, want):
    assert v.clean_id(cell) == want


@pytest.mark.parametrize("cell, want", [
    ("A;B", ["A", "B"]), ("A；B", ["A", "B"]), ("A,B", ["A", "B"]), ("A，B", ["A", "B"]), ("A、B", ["A", "B"]),
    ("A B\tC\nD", ["A", "B", "C", "D"]), (" A ; ;B; ", ["A", "B"]), ("B;A;B", ["B", "A"]),
    ('["A", "B"]', ["A", "B"]), (["A", None, "", 3.0, "A"], ["A", "3"]), (np.array(["A", "B"]), ["A", "B"]),
    (None, []), (np.nan, []), ("", []), (12.0, ["12"]),
])
def test_split_ids(cell, want):
    assert v.split_ids(cell) == want


def test_join_ids_round_trips():
    assert v.join_ids(["B", "A", "B", None, " C "]) == "B;A;C"
    assert v.split_ids(v.join_ids(["B", "A"])) == ["B", "A"]
    assert v.join_ids([]) == ""


# ---------------------------------------------------------------- polygons

def test_polygonal_keeps_polygons_as_they_are():
    p = box(0, 0, 1, 1)
    m = MultiPolygon([box(0, 0, 1, 1), box(2, 2, 3, 3)])
    assert v.polygonal(p) is p
    assert v.polygonal(m) is m


def test_polygonal_takes_polygons_out_of_collections():
    gc = GeometryCollection([box(0, 0, 1, 1), LineString([(0, 0), (5, 5)]), Point(9, 9)])
    got = v.polygonal(gc)
    assert got.geom_type == "Polygon" and got.area == pytest.approx(1.0)
    nested = GeometryCollection([GeometryCollection([box(0, 0, 1, 1)]), box(5, 5, 6, 6)])
    assert v.polygonal(nested).area == pytest.approx(2.0)


@pytest.mark.parametrize("geom", [None, shapely.Polygon(), LineString([(0, 0), (1, 1)]), Point(0, 0),
                                  GeometryCollection([LineString([(0, 0), (1, 1)])]), GeometryCollection()])
def test_polygonal_none_without_area(geom):
    assert v.polygonal(geom) is None


def test_polygonal_array_is_per_feature():
    geoms = [box(0, 0, 1, 1), None, LineString([(0, 0), (1, 1)]),
             GeometryCollection([box(0, 0, 2, 1), LineString([(0, 0), (1, 1)])])]
    got = v.polygonal_array(geoms)
    assert len(got) == 4
    assert got[0] is geoms[0] and got[1] is None and got[2] is None
    assert got[3].area == pytest.approx(2.0)
    assert len(v.polygonal_array([])) == 0


def test_polygon_parts_flattens_and_drops_what_has_no_area():
    geoms = np.array([MultiPolygon([box(0, 0, 1, 1), box(2, 0, 4, 1)]), LineString([(0, 0), (1, 1)]), None,
                      shapely.Polygon(), box(0, 0, 0, 1)], dtype=object)
    got = v.polygon_parts(geoms)
    assert sorted(shapely.area(got).tolist()) == [1.0, 2.0]
    assert len(v.polygon_parts([])) == 0


# ---------------------------------------------------------------- doctests

def test_doctests_of_the_value_layer_and_the_split_merge_modules():
    import doctest

    from geo_tenglong.analysis import cut_lines, merge, split

    for module in (v, split, merge, cut_lines):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, module.__name__
        assert result.attempted > 0, module.__name__
