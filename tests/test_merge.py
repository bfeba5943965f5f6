"""Merge proposals against 四(八) (TT-MERGE, TT-TRANSFER): every condition, passing and failing."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import shapely

from geo_tenglong.analysis.split_merge import MERGE_CHECK_COLUMNS, check_merge, shared_boundary_length, split_ids
from geo_tenglong.rules import load_ruleset

from conftest import box
from test_split_merge_cases import (
    BUYER_B,
    BUYER_C,
    BUYER_D,
    OWNER,
    P_CORNER,
    P_EAST,
    P_GAP,
    P_MAIN,
    P_STD,
    by_condition,
    eval_table,
    parcels,
)

AS_OF = dt.date(2023, 6, 30)


@pytest.fixture(scope="module")
def tiantai():
    return load_ruleset("tiantai-2022")


def merges(*rows):
    return pd.DataFrame(rows, columns=["proposal_id", "parcel_ids", "buyer_uscc"])


def run(props, ruleset, pars=None, evals="default"):
    return check_merge(parcels() if pars is None else pars, props, ruleset,
                       eval_table() if evals == "default" else evals, as_of=AS_OF)


def test_adjacent_parcels_merge(tiantai):
    f, table = run(merges(("M1", f"{P_MAIN};{P_EAST}", BUYER_B)), tiantai)
    conds = by_condition(f, "M1")
    assert set(conds) == {"宗地", "界线相邻", "权属性质一致", "使用权类型一致", "剩余年限统一", "合并后不得分割",
                          "受让方亩均评价", "标准地指标继承"}
    assert {r["status"] for r in conds.values()} <= {"pass", "not_applicable"}
    adj = conds["界线相邻"]
    assert adj["value"] == pytest.approx(100.0) and adj["threshold"] == 1.0 and adj["unit"] == "m"
    assert "100.00 m" in adj["message"]
    assert list(table.columns) == MERGE_CHECK_COLUMNS
    row = table.iloc[0]
    assert row["verdict"] == "pass" and bool(row["adjacent"]) and not bool(row["splittable"])
    assert row["area_mu"] == 60.0 and row["n_parcels"] == 2


def test_touching_at_one_point_is_not_adjacent(tiantai):
    f, table = run(merges(("MC", f"{P_EAST};{P_CORNER}", BUYER_B)), tiantai)
    adj = by_condition(f, "MC")["界线相邻"]
    assert adj["status"] == "fail" and adj["value"] == 0.0
    assert "角点" in adj["message"]
    assert table["verdict"].iloc[0] == "fail" and not bool(table["adjacent"].iloc[0])


def test_digitising_gap_within_tolerance_is_adjacent(tiantai):
    # P_GAP lies 5 cm east of P_EAST
    f, _ = run(merges(("MG", f"{P_EAST};{P_GAP}", BUYER_B)), tiantai)
    adj = by_condition(f, "MG")["界线相邻"]
    assert adj["status"] == "pass" and adj["value"] == pytest.approx(99.9, abs=0.01)


def test_three_parcels_must_form_one_piece(tiantai):
    # P_STD is north of P_MAIN, P_EAST east of P_MAIN: a connected L; P_CORNER touches P_EAST at a corner only
    f, _ = run(merges(("M3", f"{P_STD};{P_MAIN};{P_EAST}", BUYER_B),
                      ("M4", f"{P_STD};{P_MAIN};{P_EAST};{P_CORNER}", BUYER_B)), tiantai)
    assert by_condition(f, "M3")["界线相邻"]["status"] == "pass"
    m4 = by_condition(f, "M4")["界线相邻"]
    assert m4["status"] == "fail" and P_CORNER in m4["message"]


def test_disconnected_pairs_fail_even_though_each_has_a_neighbour():
    a, b = box(0, 0, 100, 100), box(100, 0, 200, 100)
    c, d = box(500, 0, 600, 100), box(600, 0, 700, 100)
    pars = parcels().iloc[:4].copy()
    pars["parcel_id"] = ["A", "B", "C", "D"]
    pars = pars.set_geometry([a, b, c, d])
    f, _ = run(merges(("MD", "A;B;C;D", BUYER_B)), load_ruleset("tiantai-2022"), pars)
    adj = by_condition(f, "MD")["界线相邻"]
    assert adj["status"] == "fail" and "2 片" in adj["message"]


def test_rights_must_match(tiantai):
    # P_STD is 划拨, P_MAIN 出让
    f, table = run(merges(("MR", f"{P_MAIN};{P_STD}", BUYER_B)), tiantai)
    conds = by_condition(f, "MR")
    assert conds["权属性质一致"]["status"] == "pass"
    t = conds["使用权类型一致"]
    assert t["status"] == "fail" and t["value"] == 2 and "划拨" in t["message"] and "出让" in t["message"]
    assert not bool(table["same_rights"].iloc[0])
    pars = parcels()
    pars.loc[pars["parcel_id"] == P_EAST, "rights_nature"] = "集体"
    f, _ = run(merges(("MN", f"{P_MAIN};{P_EAST}", BUYER_B)), tiantai, pars)
    assert by_condition(f, "MN")["权属性质一致"]["status"] == "fail"
    pars.loc[pars["parcel_id"] == P_EAST, "rights_nature"] = None
    f, _ = run(merges(("MN", f"{P_MAIN};{P_EAST}", BUYER_B)), tiantai, pars)
    assert by_condition(f, "MN")["权属性质一致"]["status"] == "missing_data"


def test_terms_are_unified_to_the_earliest_end(tiantai):
    # P_MAIN ends 2055-12-31, P_EAST 2061-06-30
    f, table = run(merges(("MT", f"{P_EAST};{P_MAIN}", BUYER_B)), tiantai)
    t = by_condition(f, "MT")["剩余年限统一"]
    assert t["status"] == "pass" and "2055-12-31" in t["message"] and "不一致" in t["message"]
    # remaining term in full years (io/dates.full_years), as the idle stage counts: 2023-06-30 → 2055-12-31
    assert t["value"] == 32.0 and "剩余 32 整年" in t["message"]
    assert table["unified_term_end"].iloc[0] == "2055-12-31"
    pars = parcels()
    pars.loc[pars["parcel_id"] == P_EAST, "term_end"] = None
    f, _ = run(merges(("MT", f"{P_EAST};{P_MAIN}", BUYER_B)), tiantai, pars)
    assert by_condition(f, "MT")["剩余年限统一"]["status"] == "missing_data"


def test_allocated_land_has_no_term_and_is_not_missing_data(tiantai):
    pars = parcels()
    pars.loc[pars["parcel_id"] == P_STD, "term_end"] = None  # P_STD is 划拨
    f, table = run(merges(("MA", f"{P_MAIN};{P_STD}", BUYER_B)), tiantai, pars)
    t = by_condition(f, "MA")["剩余年限统一"]
    assert t["status"] == "pass" and "划拨用地,无使用期限" in t["message"]
    assert table["unified_term_end"].iloc[0] == "2055-12-31"
    pars.loc[pars["parcel_id"] == P_MAIN, ["term_end", "rights_type"]] = [None, "划拨"]
    f, table = run(merges(("MA", f"{P_MAIN};{P_STD}", BUYER_B)), tiantai, pars)
    assert by_condition(f, "MA")["剩余年限统一"]["status"] == "not_applicable"
    assert pd.isna(table["unified_term_end"].iloc[0])


def test_terms_as_text_are_read():
    pars = parcels()
    pars["term_end"] = pars["term_end"].astype(str)
    f, table = run(merges(("MT", f"{P_EAST};{P_MAIN}", BUYER_B)), load_ruleset("tiantai-2022"), pars)
    assert table["unified_term_end"].iloc[0] == "2055-12-31"


def test_merged_parcel_is_not_splittable(tiantai):
    f, table = run(merges(("MS", f"{P_MAIN};{P_EAST}", BUYER_B)), tiantai)
    assert "不得再分割" in by_condition(f, "MS")["合并后不得分割"]["message"]
    assert table["splittable"].tolist() == [False]


@pytest.mark.parametrize("buyer,status", [(BUYER_B, "pass"), (BUYER_C, "fail"), (BUYER_D, "fail"),
                                          (None, "missing_data")])
def test_buyer_rule(tiantai, buyer, status):
    f, table = run(merges(("MB", f"{P_MAIN};{P_EAST}", buyer)), tiantai)
    assert by_condition(f, "MB")["受让方亩均评价"]["status"] == status
    assert table["verdict"].iloc[0] == status


def test_buyer_already_holding_every_parcel_is_no_transferee(tiantai):
    f, _ = run(merges(("MO", f"{P_MAIN};{P_EAST}", OWNER)), tiantai)
    assert by_condition(f, "MO")["受让方亩均评价"]["status"] == "not_applicable"
    # holding one of them is not enough: the other parcel is transferred to a class D enterprise
    f, _ = run(merges(("MO2", f"{P_MAIN};{P_STD}", OWNER)), tiantai)
    assert by_condition(f, "MO2")["受让方亩均评价"]["status"] == "fail"


def test_standard_land_is_noted(tiantai):
    f, _ = run(merges(("MSTD", f"{P_MAIN};{P_STD}", BUYER_B)), tiantai)
    c = by_condition(f, "MSTD")["标准地指标继承"]
    assert c["status"] == "warn" and P_STD in c["message"]


def test_unknown_parcel_is_a_clear_error_and_others_are_checked(tiantai):
    f, table = run(merges(("MU", f"{P_MAIN};331023999999GB99999", BUYER_B), ("MOK", f"{P_MAIN}；{P_EAST}", BUYER_B),
                          ("MONE", P_MAIN, BUYER_B)), tiantai)
    bad = f[f["parcel_id"] == "MU"]
    assert len(bad) == 1 and bad["status"].iloc[0] == "fail" and "331023999999GB99999" in bad["message"].iloc[0]
    assert by_condition(f, "MONE")["宗地"]["status"] == "fail"
    assert table.set_index("proposal_id")["verdict"].to_dict() == {"MU": "fail", "MOK": "pass", "MONE": "fail"}


def test_deqing_reports_not_applicable():
    f, table = run(merges(("MD", f"{P_MAIN};{P_EAST}", BUYER_B)), load_ruleset("deqing-2021"))
    assert len(f) == 2 and set(f["status"]) == {"not_applicable"}
    assert set(f["rule_id"]) == {"TT-MERGE", "TT-TRANSFER"}
    assert table["verdict"].tolist() == ["not_applicable"]


def test_split_ids_and_shared_length():
    assert split_ids("A;B；C, D、E  F;A") == ["A", "B", "C", "D", "E", "F"]
    assert split_ids(None) == [] and split_ids(" ") == []
    assert shared_boundary_length(box(0, 0, 10, 10), box(10, 0, 20, 10)) == pytest.approx(10.0)
    assert shared_boundary_length(box(0, 0, 10, 10), box(10, 10, 20, 20), 0.1) == 0.0
    # a sloped shared edge with a T-junction still measures its full length
    a = shapely.Polygon([(0, 0), (10, 3), (10, 20), (0, 20)])
    b = shapely.Polygon([(0, 0), (5, 1.5), (10, 3), (10, -10), (0, -10)])
    assert shared_boundary_length(a, b, 0.1) == pytest.approx((10 ** 2 + 3 ** 2) ** 0.5, abs=0.01)


@pytest.mark.parametrize("written", ["2055年12月31日", "2055.12.31", "2055/12/31", "20551231",
                                     (dt.date(2055, 12, 31) - dt.date(1899, 12, 30)).days])
def test_term_end_in_any_form_bureaus_type_is_read(tiantai, written):
    """Issue 14.3: 2055年12月31日 gave missing_data, an Excel serial became 1970."""
    pars = parcels()
    pars["term_end"] = pars["term_end"].astype(object)
    pars.loc[pars["parcel_id"] == P_MAIN, "term_end"] = written
    f, table = run(merges(("MT", f"{P_EAST};{P_MAIN}", BUYER_B)), tiantai, pars)
    t = by_condition(f, "MT")["剩余年限统一"]
    assert t["status"] == "pass", t["message"]
    assert table["unified_term_end"].iloc[0] == "2055-12-31"
    assert t["value"] == 32.0


@pytest.mark.parametrize("as_of, years", [(dt.date(2023, 12, 31), 32.0), (dt.date(2024, 1, 1), 31.0),
                                          (dt.date(2055, 12, 31), 0.0)])
def test_remaining_years_are_full_years(tiantai, as_of, years):
    f, _ = check_merge(parcels(), merges(("MT", f"{P_EAST};{P_MAIN}", BUYER_B)), tiantai, eval_table(), as_of=as_of,
                       eval_year=2022)
    assert by_condition(f, "MT")["剩余年限统一"]["value"] == years


def test_unreadable_term_end_is_missing_data_naming_the_value(tiantai):
    pars = parcels()
    pars["term_end"] = pars["term_end"].astype(object)
    pars.loc[pars["parcel_id"] == P_MAIN, "term_end"] = "长期"
    f, _ = run(merges(("MT", f"{P_EAST};{P_MAIN}", BUYER_B)), tiantai, pars)
    t = by_condition(f, "MT")["剩余年限统一"]
    assert t["status"] == "missing_data" and "长期" in t["message"] and P_MAIN in t["message"]


def test_merge_buyer_class_is_the_year_before_as_of_not_the_latest(tiantai):
    """Issue 14.2: 上一年度 is as-of year − 1; a later year's rows in the table do not move it."""
    ev = pd.concat([eval_table(), pd.DataFrame({"uscc": [BUYER_D], "year": [2023], "eval_class": ["A"],
                                                "class_name": ["优先发展类"]})], ignore_index=True)
    f, table = check_merge(parcels(), merges(("MB", f"{P_MAIN};{P_EAST}", BUYER_D)), tiantai, ev, as_of=AS_OF)
    c = by_condition(f, "MB")["受让方亩均评价"]
    assert c["status"] == "fail" and "2022" in c["message"]
    assert table["buyer_class"].iloc[0] == "D"
    # a year without rows is missing, not borrowed from another year
    f, _ = check_merge(parcels(), merges(("MB", f"{P_MAIN};{P_EAST}", BUYER_B)), tiantai, eval_table(),
                       as_of=dt.date(2025, 3, 1))
    assert by_condition(f, "MB")["受让方亩均评价"]["status"] == "missing_data"


def test_connectivity_names_the_separate_pieces(tiantai):
    """Two adjacent pairs far apart: each parcel has a neighbour, yet the four form two pieces."""
    f, table = run(merges(("M4", f"{P_MAIN};{P_STD};{P_EAST};{P_GAP}", BUYER_B)), tiantai)
    c = by_condition(f, "M4")["界线相邻"]
    assert c["status"] == "pass"  # P_MAIN–P_STD, P_MAIN–P_EAST, P_EAST–P_GAP: one piece
    pars = parcels()
    far = shapely.affinity.translate
    pars.loc[pars["parcel_id"] == P_EAST, "geometry"] = far(box(300, 0, 400, 100), 5000, 0)
    pars.loc[pars["parcel_id"] == P_GAP, "geometry"] = far(box(400, 0, 500, 100), 5000, 0)
    pars = pars.set_geometry("geometry")
    f, table = run(merges(("M4", f"{P_MAIN};{P_STD};{P_EAST};{P_GAP}", BUYER_B)), tiantai, pars)
    c = by_condition(f, "M4")["界线相邻"]
    assert c["status"] == "fail" and "互不相邻的 2 片" in c["message"]
    assert f"{P_MAIN}、{P_STD} | {P_EAST}、{P_GAP}" in c["message"]
    assert table["adjacent"].tolist() == [False]
