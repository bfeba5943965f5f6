"""Split proposals against 四(八) (TT-SPLIT, TT-MERGE, TT-TRANSFER): every condition, passing and failing."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo_tenglong.analysis.split_merge import SPLIT_CHECK_COLUMNS, check_split, parts_from_cut_lines
from geo_tenglong.findings import COLUMNS
from geo_tenglong.rules import load_ruleset

from conftest import ZONE40, box
from test_split_merge_cases import (
    BUYER_B,
    BUYER_C,
    BUYER_D,
    BUYER_NEW,
    OWNER,
    P_BUILDING,
    P_FOUR,
    P_IRE,
    P_MAIN,
    P_MERGED,
    P_SPLIT,
    P_STD,
    X0,
    buildings,
    by_condition,
    cut_line,
    eval_table,
    parcels,
    proposal,
    with_building,
)


@pytest.fixture(scope="module")
def tiantai():
    return load_ruleset("tiantai-2022")


def run(props, ruleset, blds=None, evals="default"):
    blds = buildings() if blds is None else blds
    return check_split(parcels(), blds, props, ruleset, eval_table() if evals == "default" else evals)


def cond(findings, pid, name):
    return by_condition(findings, pid)[name]


def test_good_proposal_passes_every_condition(tiantai):
    f, layer = run(proposal("S1", P_MAIN, [100, 200]), tiantai)
    assert list(f.columns[:len(COLUMNS)]) == COLUMNS and "condition" in f.columns
    conds = by_condition(f, "S1")
    assert set(conds) == {"宗地", "分块覆盖宗地", "分块互不重叠", "分块位于宗地内", "分割数量", "每宗面积",
                          "以幢为最小分割单位", "行政办公及生活服务用地", "已竣工投产", "不得二次分割", "合并后不得分割",
                          "受让方亩均评价", "标准地指标继承"}
    assert {r["status"] for r in conds.values()} <= {"pass", "not_applicable"}
    assert conds["标准地指标继承"]["status"] == "not_applicable"
    assert (f["clause"] == "四(八)").all()
    assert conds["合并后不得分割"]["rule_id"] == "TT-MERGE"
    assert conds["受让方亩均评价"]["rule_id"] == "TT-TRANSFER"
    assert conds["每宗面积"]["rule_id"] == "TT-SPLIT"
    assert conds["每宗面积"]["value"] == 15.0 and conds["每宗面积"]["threshold"] == 10.0
    assert conds["每宗面积"]["unit"] == "亩"
    assert conds["分割数量"]["value"] == 3 and conds["分割数量"]["threshold"] == 3
    assert list(layer.columns) == [*SPLIT_CHECK_COLUMNS, "geometry"]
    assert layer.crs.to_epsg() == ZONE40
    assert layer["area_mu"].tolist() == [15.0, 15.0, 15.0]
    assert (layer["verdict"] == "pass").all() and (layer["part_status"] == "pass").all()
    # buildings are assigned to the part holding them; B-WARE is found by location
    assert layer["buildings"].tolist() == ["B-PROD-1", "B-PROD-2;B-WARE", "B-OFFICE;B-DORM;B-PROD-3"]


def test_exactly_ten_mu_passes_and_9_999_fails(tiantai):
    props = pd.concat([proposal("S10", P_MAIN, [200 / 3]), proposal("S9", P_MAIN, [66.66])], ignore_index=True)
    f, layer = run(props, tiantai)
    ten, nine = cond(f, "S10", "每宗面积"), cond(f, "S9", "每宗面积")
    assert ten["status"] == "pass" and ten["value"] == 10.0
    assert nine["status"] == "fail" and nine["value"] == 9.999 and "9.9990 亩" in nine["message"]
    assert layer.loc[layer["proposal_id"] == "S9", "area_ok"].tolist() == [False, True]
    assert layer.loc[layer["proposal_id"] == "S9", "part_status"].tolist() == ["fail", "pass"]
    # the planar area in the workspace CRS, not rounded away
    assert abs(layer.loc[layer["proposal_id"] == "S10", "area_m2"].iloc[0] - 6666.67) < 0.01
    assert layer.loc[layer["proposal_id"] == "S9", "verdict"].iloc[0] == "fail"


def test_three_parts_pass_four_fail_unless_industrial_real_estate(tiantai):
    props = pd.concat([
        proposal("S3", P_FOUR, [X0 + 400 / 3, X0 + 800 / 3], y0=800, y1=900, x0=X0, x1=X0 + 400),
        proposal("S4", P_FOUR, [X0 + 100, X0 + 200, X0 + 300], y0=800, y1=900, x0=X0, x1=X0 + 400),
        proposal("S4-IRE", P_IRE, [X0 + 100, X0 + 200, X0 + 300], y0=600, y1=700, x0=X0, x1=X0 + 400),
    ], ignore_index=True)
    f, _ = run(props, tiantai)
    assert cond(f, "S3", "分割数量")["status"] == "pass"
    four = cond(f, "S4", "分割数量")
    assert four["status"] == "fail" and four["value"] == 4 and four["threshold"] == 3
    ire = cond(f, "S4-IRE", "分割数量")
    assert ire["status"] == "pass" and "工业地产" in ire["message"]
    # nothing else fails for them
    for pid in ("S3", "S4-IRE"):
        assert set(f.loc[f["parcel_id"] == pid, "status"]) <= {"pass", "not_applicable"}, pid


def test_one_part_is_not_a_split(tiantai):
    f, _ = run(proposal("S1P", P_MAIN, []), tiantai)
    assert cond(f, "S1P", "分割数量")["status"] == "fail"


@pytest.mark.parametrize("reach,status", [(0.05, "pass"), (0.4, "pass"), (0.6, "fail"), (5.0, "fail")])
def test_building_crossing_a_part_line(tiantai, reach, status):
    blds = with_building("B-CROSS", box(170, 50, 200 + reach, 95))
    f, layer = run(proposal("SX", P_MAIN, [100, 200]), tiantai, blds)
    c = cond(f, "SX", "以幢为最小分割单位")
    assert c["status"] == status
    assert c["value"] == pytest.approx(reach, abs=1e-6) and c["threshold"] == 0.5 and c["unit"] == "m"
    if status == "fail":
        assert "B-CROSS" in c["message"]
        assert layer["cut_buildings"].iloc[0] == "B-CROSS"
    else:
        assert "B-CROSS" not in c["message"] and pd.isna(layer["cut_buildings"].iloc[0])


def test_building_cut_in_the_middle_is_named(tiantai):
    # a line through B-PROD-2 (x 110..160): 25 m on each side
    f, _ = run(proposal("SM", P_MAIN, [135]), tiantai)
    c = cond(f, "SM", "以幢为最小分割单位")
    assert c["status"] == "fail" and "B-PROD-2" in c["message"] and c["value"] == pytest.approx(25.0)


def test_admin_and_living_buildings_alone_in_a_part_fail(tiantai):
    alone = buildings()
    alone = alone[alone["building_id"] != "B-PROD-3"]
    f, layer = run(proposal("SA", P_MAIN, [100, 200]), tiantai, alone)
    c = cond(f, "SA", "行政办公及生活服务用地")
    assert c["status"] == "fail" and c["value"] == 1 and "分块 3" in c["message"]
    assert layer["admin_only"].tolist() == [False, False, True]
    assert layer["part_status"].tolist() == ["pass", "pass", "fail"]
    # with B-PROD-3 beside them they are not split off
    f, _ = run(proposal("SA", P_MAIN, [100, 200]), tiantai)
    assert cond(f, "SA", "行政办公及生活服务用地")["status"] == "pass"


def test_no_buildings_layer_is_missing_data(tiantai):
    f, _ = check_split(parcels(), None, proposal("SN", P_MAIN, [100, 200]), tiantai, eval_table())
    assert cond(f, "SN", "以幢为最小分割单位")["status"] == "missing_data"
    assert cond(f, "SN", "行政办公及生活服务用地")["status"] == "missing_data"


def test_parcel_state_second_split_and_merged(tiantai):
    props = pd.concat([
        proposal("S-BUILDING", P_BUILDING, [X0 + 150], y0=400, y1=500, x0=X0, x1=X0 + 300),
        proposal("S-SECOND", P_SPLIT, [X0 + 150], y0=0, y1=100, x0=X0, x1=X0 + 300),
        proposal("S-MERGED", P_MERGED, [X0 + 150], y0=200, y1=300, x0=X0, x1=X0 + 300),
    ], ignore_index=True)
    f, _ = run(props, tiantai)
    c = cond(f, "S-BUILDING", "已竣工投产")
    assert c["status"] == "fail" and "在建" in c["message"]
    assert cond(f, "S-SECOND", "不得二次分割")["status"] == "fail"
    assert cond(f, "S-SECOND", "已竣工投产")["status"] == "pass"
    m = cond(f, "S-MERGED", "合并后不得分割")
    assert m["status"] == "fail" and m["rule_id"] == "TT-MERGE"
    assert cond(f, "S-MERGED", "不得二次分割")["status"] == "pass"


@pytest.mark.parametrize("buyer,status", [(BUYER_B, "pass"), (BUYER_C, "fail"), (BUYER_D, "fail"),
                                          (BUYER_NEW, "missing_data"), (None, "missing_data")])
def test_buyer_class_last_year(tiantai, buyer, status):
    f, layer = run(proposal("SB", P_MAIN, [100, 200], buyer=buyer), tiantai)
    c = cond(f, "SB", "受让方亩均评价")
    assert c["status"] == status and c["rule_id"] == "TT-TRANSFER"
    if buyer in (BUYER_C, BUYER_D):
        assert "2022" in c["message"] and buyer in c["message"]
        assert layer["buyer_class"].iloc[0] in ("C", "D")


def test_buyer_class_without_eval_table_is_missing_data(tiantai):
    f, _ = run(proposal("SE", P_MAIN, [100, 200]), tiantai, evals=None)
    c = cond(f, "SE", "受让方亩均评价")
    assert c["status"] == "missing_data" and "enterprise_eval" in c["message"]


def test_several_buyers_each_checked(tiantai):
    props = proposal("SBB", P_MAIN, [100, 200])
    props["buyer_uscc"] = [BUYER_B, BUYER_D, None]
    f, layer = run(props, tiantai)
    c = cond(f, "SBB", "受让方亩均评价")
    assert c["status"] == "fail" and BUYER_B in c["message"] and BUYER_D in c["message"]
    assert layer["buyer_class"].tolist()[:2] == ["B", "D"]


def test_a_part_kept_by_the_owner_is_no_transfer(tiantai):
    # the owner (class D) keeps part 1; part 2 and 3 go to a class B buyer
    props = proposal("SK", P_MAIN, [100, 200])
    props["buyer_uscc"] = [OWNER, BUYER_B, BUYER_B]
    f, layer = run(props, tiantai)
    c = cond(f, "SK", "受让方亩均评价")
    assert c["status"] == "pass" and OWNER in c["message"] and "不涉及转让" in c["message"]
    assert pd.isna(layer["buyer_class"].iloc[0]) and layer["buyer_class"].tolist()[1:] == ["B", "B"]
    # every part stays with the owner: nothing to check
    props["buyer_uscc"] = OWNER
    f, _ = run(props.assign(proposal_id="SK2"), tiantai)
    assert cond(f, "SK2", "受让方亩均评价")["status"] == "not_applicable"


def test_standard_land_passes_indicators_to_each_part(tiantai):
    f, _ = run(proposal("SS", P_STD, [100, 200], y0=100, y1=200), tiantai)
    c = cond(f, "SS", "标准地指标继承")
    assert c["status"] == "warn" and "标准地" in c["message"] and c["rule_id"] == "TT-TRANSFER"
    # a note, not a failure: the proposal still passes
    assert set(f.loc[f["parcel_id"] == "SS", "status"]) == {"pass", "warn"}


def test_gap_overlap_and_parts_outside(tiantai):
    gap = proposal("SG", P_MAIN, [100, 200])
    gap.loc[1, "geometry"] = box(100, 0, 195, 100)       # 5 m × 100 m gap = 500 m²
    over = proposal("SO", P_MAIN, [100, 200])
    over.loc[1, "geometry"] = box(100, 0, 210, 100)      # overlaps part 3 by 1000 m²
    out = proposal("SOUT", P_MAIN, [100, 200])
    out.loc[2, "geometry"] = box(200, 0, 300, 130)       # 3000 m² north of the parcel
    noise = proposal("SNOISE", P_MAIN, [100, 200])
    noise.loc[1, "geometry"] = box(100, 0, 199.97, 100)  # 3 cm sliver: survey noise
    f, layer = run(pd.concat([gap, over, out, noise], ignore_index=True), tiantai)
    g = cond(f, "SG", "分块覆盖宗地")
    assert g["status"] == "fail" and g["value"] == pytest.approx(500.0) and g["unit"] == "m²"
    o = cond(f, "SO", "分块互不重叠")
    assert o["status"] == "fail" and o["value"] == pytest.approx(1000.0) and "分块 2 与 3" in o["message"]
    x = cond(f, "SOUT", "分块位于宗地内")
    assert x["status"] == "fail" and x["value"] == pytest.approx(3000.0)
    assert "SOUT" in x["message"] and "分块 3" in x["message"]
    assert layer.loc[layer["proposal_id"] == "SOUT", "part_status"].tolist()[2] == "fail"
    n = by_condition(f, "SNOISE")
    assert n["分块覆盖宗地"]["status"] == "pass" and n["分块覆盖宗地"]["value"] == 0
    assert "碎缝" in n["分块覆盖宗地"]["message"]


def test_unknown_parcel_is_a_clear_error_and_others_are_checked(tiantai):
    props = pd.concat([proposal("S-UNKNOWN", "331023999999GB99999", [100]), proposal("S-OK", P_MAIN, [100, 200])],
                      ignore_index=True)
    f, layer = run(props, tiantai)
    bad = f[f["parcel_id"] == "S-UNKNOWN"]
    assert len(bad) == 1 and bad["status"].iloc[0] == "fail"
    assert "331023999999GB99999" in bad["message"].iloc[0] and "不在宗地图层" in bad["message"].iloc[0]
    assert set(f.loc[f["parcel_id"] == "S-OK", "status"]) <= {"pass", "not_applicable"}
    assert len(f[f["parcel_id"] == "S-OK"]) == 13
    assert layer.loc[layer["proposal_id"] == "S-UNKNOWN", "verdict"].unique().tolist() == ["fail"]


def test_parcel_without_geometry_is_missing_data(tiantai):
    pars = parcels()
    pars.loc[pars["parcel_id"] == P_MAIN, "geometry"] = shapely.Polygon()
    f, _ = check_split(pars, buildings(), proposal("SG0", P_MAIN, [100, 200]), tiantai, eval_table())
    assert len(f) == 1 and f["status"].iloc[0] == "missing_data" and "没有面状图形" in f["message"].iloc[0]


def test_parts_naming_two_parcels_are_an_error(tiantai):
    props = proposal("S-TWO", P_MAIN, [100, 200])
    props.loc[2, "parcel_id"] = P_STD
    f, _ = run(props, tiantai)
    assert by_condition(f, "S-TWO")["宗地"]["status"] == "fail"


def test_deqing_reports_not_applicable():
    f, layer = run(proposal("SD", P_MAIN, [100, 200]), load_ruleset("deqing-2021"))
    assert len(f) == 2 and set(f["status"]) == {"not_applicable"}
    assert set(f["rule_id"]) == {"TT-SPLIT", "TT-TRANSFER"}
    assert (f["message"].str.contains("本县规则集无此条款")).all()
    assert (layer["verdict"] == "not_applicable").all()


def test_no_proposals_gives_no_findings_and_an_empty_layer(tiantai):
    f, layer = check_split(parcels(), buildings(), None, tiantai, eval_table())
    assert len(f) == 0 and len(layer) == 0 and list(layer.columns)[:-1] == SPLIT_CHECK_COLUMNS


# ------------------------------------------------------------------------------------------------
# cut lines
# ------------------------------------------------------------------------------------------------

def test_parts_from_cut_lines_cover_the_parcel():
    parcel = box(0, 0, 300, 100)
    parts = parts_from_cut_lines(parcel, [cut_line(100), cut_line(200)])
    assert [round(p.area) for p in parts] == [10000, 10000, 10000]
    assert shapely.union_all(parts).symmetric_difference(parcel).area < 1e-6
    # a line drawn 20 cm short of the boundary still cuts (ends are extended)
    short = parts_from_cut_lines(parcel, [cut_line(100, 0.2, 99.8)])
    assert [round(p.area) for p in short] == [10000, 20000]
    # a line that does not cross cuts nothing
    assert len(parts_from_cut_lines(parcel, [cut_line(100, 20, 80)])) == 1


def test_split_given_as_lines_is_checked_like_parts(tiantai):
    lines = gpd.GeoDataFrame({"proposal_id": ["SL", "SL"], "parcel_id": [P_MAIN, P_MAIN], "buyer_uscc": [BUYER_B] * 2},
                             geometry=[cut_line(100), cut_line(200)], crs=ZONE40)
    f, layer = run(lines, tiantai)
    assert set(f.loc[f["parcel_id"] == "SL", "status"]) <= {"pass", "not_applicable"}
    assert layer["part_no"].tolist() == [1, 2, 3]
    assert layer["area_mu"].tolist() == [15.0, 15.0, 15.0]
    assert (layer.geom_type == "Polygon").all()
    # a line through a building: cut
    lines2 = lines.copy()
    lines2["proposal_id"] = "SL2"
    lines2.loc[1, "geometry"] = cut_line(135)
    f, _ = run(lines2, tiantai)
    assert cond(f, "SL2", "以幢为最小分割单位")["status"] == "fail"


def test_proposals_in_another_crs_are_reprojected(tiantai):
    props = proposal("SC", P_MAIN, [100, 200]).to_crs(4490)
    f, layer = run(props, tiantai)
    assert cond(f, "SC", "分块覆盖宗地")["status"] == "pass"
    assert layer["area_mu"].round(2).tolist() == [15.0, 15.0, 15.0]
    assert np.isfinite(f["value"]).any()


@pytest.mark.parametrize("status, expected", [("已竣工投产", "pass"), ("停产", "warn"), ("在建", "fail"),
                                              ("未动工", "fail"), (None, "missing_data")])
def test_completed_then_stopped_is_a_note_for_review(tiantai, status, expected):
    """Issue 14: land completed and put into production that has since stopped (停产) is 提示, not 不符合."""
    pars = parcels()
    pars.loc[pars["parcel_id"] == P_MAIN, "status"] = status
    f, layer = check_split(pars, buildings(), proposal("SS", P_MAIN, [100, 200]), tiantai, eval_table())
    c = cond(f, "SS", "已竣工投产")
    assert c["status"] == expected and c["rule_id"] == "TT-SPLIT" and c["clause"] == "四(八)"
    if status == "停产":
        assert "停产" in c["message"] and "提示" in c["message"]
        # a note does not fail the proposal, and shows in its message
        assert layer["verdict"].iloc[0] == "pass" and "停产" in layer["message"].iloc[0]


def test_stopped_status_can_be_judged_strictly_by_a_ruleset(tiantai):
    import dataclasses

    strict = dataclasses.replace(tiantai.get("TT-SPLIT"), review_statuses=())

    class Rules:
        def get(self, rule_id):
            return strict if rule_id == "TT-SPLIT" else tiantai.get(rule_id)

    pars = parcels()
    pars.loc[pars["parcel_id"] == P_MAIN, "status"] = "停产"
    f, _ = check_split(pars, buildings(), proposal("SS", P_MAIN, [100, 200]), Rules(), eval_table())
    assert cond(f, "SS", "已竣工投产")["status"] == "fail"


def test_split_buyer_class_is_the_year_before_as_of_not_the_latest(tiantai):
    """Issue 14.2: with an as-of date, 上一年度 is its year − 1 even when next year's rows are present."""
    import datetime as dt

    ev = pd.concat([eval_table(), pd.DataFrame({"uscc": [BUYER_D], "year": [2023], "eval_class": ["A"],
                                                "class_name": ["优先发展类"]})], ignore_index=True)
    props = proposal("SY", P_MAIN, [100, 200], buyer=BUYER_D)
    f, layer = check_split(parcels(), buildings(), props, tiantai, ev, as_of=dt.date(2023, 6, 30))
    c = cond(f, "SY", "受让方亩均评价")
    assert c["status"] == "fail" and "2022" in c["message"]
    assert layer["buyer_class"].iloc[0] == "D"
    f, _ = check_split(parcels(), buildings(), props, tiantai, ev, eval_year=2022)
    assert cond(f, "SY", "受让方亩均评价")["status"] == "fail"


@pytest.mark.parametrize("flag", ["是", "√", "Y", 1, True])
def test_industrial_real_estate_flag_in_any_yes_word(tiantai, flag):
    pars = parcels()
    pars["industrial_real_estate"] = pars["industrial_real_estate"].astype(object)
    pars.loc[pars["parcel_id"] == P_FOUR, "industrial_real_estate"] = flag
    props = proposal("S4", P_FOUR, [X0 + 100, X0 + 200, X0 + 300], y0=800, y1=900, x0=X0, x1=X0 + 400)
    f, _ = check_split(pars, buildings(), props, tiantai, eval_table())
    c = cond(f, "S4", "分割数量")
    assert c["status"] == "pass" and "工业地产" in c["message"]


def test_stage_reads_the_year_before_as_of_when_efficiency_gives_no_year(tiantai):
    """The stage's 上一年度 is the efficiency stage's eval_year, else as-of year − 1 — never the latest year."""
    import datetime as dt
    from types import SimpleNamespace

    from geo_tenglong.analysis.split_merge import assess_split_merge

    ev = pd.concat([eval_table(), pd.DataFrame({"uscc": [BUYER_D], "year": [2023], "eval_class": ["A"],
                                                "class_name": ["优先发展类"]})], ignore_index=True)
    layers = {"buildings": buildings(), "split_proposals": proposal("SY", P_MAIN, [100, 200], buyer=BUYER_D)}
    ws = SimpleNamespace(layer=layers.get, table=lambda name: None, ruleset=tiantai, as_of=dt.date(2023, 6, 30))
    for summary in ({}, {"efficiency": {"eval_year": 2022}}):
        results = SimpleNamespace(parcels=parcels(), summary=summary,
                                  layer=lambda name: ev if name == "enterprise_eval" else None)
        out = assess_split_merge(ws, results)
        c = cond(out.findings, "SY", "受让方亩均评价")
        assert c["status"] == "fail" and "2022" in c["message"], summary
