"""用地强度 on a small fixture: floor area (8 m storeys twice), FAR, 建筑系数, admin share, height,
TT-FAR-DEFAULT, TT-HOUSING, TT-FEE, TT-VERT, building assignment by location.

Expected values are computed here from the fixture's rectangles, independently of the code.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from test_efficiency_support import X0, Y0, code, ent_rows, make_ws, parcels_frame, run_stages

M2_PER_MU = 10000.0 / 15.0
#: Q1's floor area: b1 12 m storey twice, b2, office b3, b8 ten storeys; the 堆场 has none
FA1 = 60 * 50 * 2 + 40 * 20 * 3 + 20 * 10 * 4 + 40 * 40 * 10


def fixture():
    parcels = parcels_frame([
        # Q1: outside parks, no plan conditions, no contract FAR → TT-FAR-DEFAULT (1.1, 24 m)
        {"parcel_id": "Q1", "mu": 30.0, "owner_uscc": code(1), "land_use_code": "1001", "status": "已竣工投产"},
        # Q2: in the 经济开发区, contract FAR 1.2
        {"parcel_id": "Q2", "mu": 60.0, "owner_uscc": code(2), "land_use_code": "1001", "status": "已竣工投产",
         "park_id": "KFQ", "contract_far": 1.2},
        # Q3: outside parks, buildings without parcel_id (by location), low coverage
        {"parcel_id": "Q3", "mu": 15.0, "owner_uscc": code(3), "land_use_code": "1001", "status": "已竣工投产"},
    ])
    parcels["contract_far"] = parcels["contract_far"].astype(float)
    parcels["plan_conditions"] = False
    x1, x2, x3 = X0, X0 + 400, X0 + 800
    b = [
        # Q1: 60×50 single storey 12 m (counts twice); 40×20 3 storeys 15 m tallest 5; 20×10 office 4 floors;
        #     30×10 堆场 (coverage only)
        ("b1", "Q1", box(x1 + 1, Y0 + 1, x1 + 61, Y0 + 51), 1, 12.0, 12.0, "生产"),
        ("b2", "Q1", box(x1 + 62, Y0 + 1, x1 + 102, Y0 + 21), 3, 15.0, 5.0, "仓储"),
        ("b3", "Q1", box(x1 + 62, Y0 + 30, x1 + 82, Y0 + 40), 4, 26.0, 6.5, "行政办公"),
        ("b4", "Q1", box(x1 + 1, Y0 + 60, x1 + 31, Y0 + 70), np.nan, np.nan, np.nan, "堆场"),
        ("b8", "Q1", box(x1 + 90, Y0 + 50, x1 + 130, Y0 + 90), 10, 35.0, 3.5, "生产"),
        # Q2: 100×80 2 storeys 20 m without storey height (both 10 m → both twice); dormitory 20×20 × 6
        ("b5", "Q2", box(x2 + 1, Y0 + 1, x2 + 101, Y0 + 81), 2, 20.0, np.nan, "生产"),
        ("b6", "Q2", box(x2 + 110, Y0 + 1, x2 + 130, Y0 + 21), 6, 19.0, 3.0, "生活服务"),
        # Q3: no parcel_id, located by overlap: 30×30, 2 storeys 9 m (tallest 5)
        ("b7", None, box(x3 + 1, Y0 + 1, x3 + 31, Y0 + 31), 2, 9.0, 5.0, "生产"),
    ]
    bl = gpd.GeoDataFrame({"building_id": [r[0] for r in b], "parcel_id": pd.Series([r[1] for r in b], dtype="string"),
                           "floors": [r[3] for r in b], "height_m": [r[4] for r in b],
                           "storey_height_m": [r[5] for r in b], "use": [r[6] for r in b], "completed": True},
                          geometry=[r[2] for r in b], crs="EPSG:4528")
    parks = gpd.GeoDataFrame({"park_id": ["KFQ"], "name": ["天台经济开发区"], "kind": ["经济开发区"],
                              "standard_land_rules": [True]}, geometry=[box(x2 - 10, Y0 - 10, x2 + 300, Y0 + 300)],
                             crs="EPSG:4528")
    ren = gpd.GeoDataFrame({"renovation_id": ["R1", "R2", "R3"], "parcel_id": ["Q1", "Q1", "Q3"],
                            "uscc": [code(1), code(1), code(3)],
                            "floor_area_after_m2": [np.nan, np.nan, 12000.0],
                            "expansion_floor_area_m2": [6000.0, 5000.0, 900.0],
                            "accepted": [True, True, True]}, geometry=[None, None, None], crs="EPSG:4528")
    ent = pd.DataFrame([ent_rows(code(i), f"企业{i}", "规上", 2022, 5000, 100, 800, 50, 100, 1, 10)
                        for i in (1, 2, 3)])
    return parcels, {"buildings": bl, "parks": parks, "renovations": ren}, {"enterprises": ent}


@pytest.fixture(scope="module")
def res():
    parcels, layers, tables = fixture()
    return run_stages(make_ws(parcels, tables, layers), ("efficiency", "intensity"))


def test_floor_area_far_coverage(res):
    p = res.parcels.set_index("parcel_id")
    land1 = 30 * M2_PER_MU
    fa1 = FA1
    assert p.loc["Q1", "floor_area_m2"] == pytest.approx(fa1, abs=0.01)
    assert p.loc["Q1", "far"] == pytest.approx(fa1 / land1, abs=1e-4)
    cov1 = (60 * 50 + 40 * 20 + 20 * 10 + 30 * 10 + 40 * 40) / land1
    assert p.loc["Q1", "building_coverage"] == pytest.approx(cov1, abs=1e-4)
    assert p.loc["Q1", "admin_share"] == pytest.approx(20 * 10 * 4 / fa1, abs=1e-4)
    assert p.loc["Q1", "max_height_m"] == 35.0
    fa2 = 100 * 80 * 4 + 20 * 20 * 6                  # 2 storeys of 10 m, each twice
    assert p.loc["Q2", "floor_area_m2"] == pytest.approx(fa2, abs=0.01)
    assert p.loc["Q3", "floor_area_m2"] == pytest.approx(30 * 30 * 2, abs=0.01)   # located by overlap


def test_far_limits_and_default_rule(res):
    p = res.parcels.set_index("parcel_id")
    assert p.loc["Q1", "far_limit"] == 1.1 and p.loc["Q2", "far_limit"] == 1.2
    f = res.findings[res.findings["rule_id"] == "TT-FAR-DEFAULT"].set_index("parcel_id")
    assert "Q2" not in f.index                            # in the 经济开发区: 标准地 rules
    assert f.loc["Q1", "status"] == "fail"                 # 35 m > 24 m, FAR 1.26 > 1.1
    assert f.loc["Q3", "status"] == "pass"


def test_coverage_rule(res):
    f = res.findings[res.findings["rule_id"] == "NAT-COVER"].set_index("parcel_id")
    land3 = 15 * M2_PER_MU
    assert f.loc["Q3", "value"] == pytest.approx(900 / land3, abs=1e-4)
    assert f.loc["Q3", "status"] == ("pass" if 900 / land3 >= 0.3 else "fail")
    assert f.loc["Q1", "status"] == ("pass" if (3000 + 800 + 200 + 300 + 1600) / (30 * M2_PER_MU) >= 0.3 else "fail")


def test_admin_share_and_housing(res):
    f = res.findings
    q2 = f[f["parcel_id"] == "Q2"]
    share = 20 * 20 * 6 / (100 * 80 * 4 + 20 * 20 * 6)
    # Q2 is an existing project in a park: TT-HOUSING raises the cap to 15 %
    row = q2[q2["rule_id"] == "TT-HOUSING"].iloc[0]
    assert row["threshold"] == pytest.approx(0.15) and row["value"] == pytest.approx(share, abs=1e-4)
    assert row["status"] == ("pass" if share <= 0.15 else "fail")
    q1 = f[(f["parcel_id"] == "Q1") & (f["rule_id"] == "NAT-ADMIN")].iloc[0]
    assert q1["threshold"] == pytest.approx(0.07)
    fa1 = FA1
    assert q1["status"] == ("pass" if 800 / fa1 <= 0.07 else "fail")


def test_fee_exempt_floor_area(res):
    f = res.findings[res.findings["rule_id"] == "TT-FEE"].set_index("parcel_id")
    fa1 = FA1
    exempt = fa1 - 1.1 * 30 * M2_PER_MU
    assert exempt > 0
    assert f.loc["Q1", "value"] == pytest.approx(exempt, abs=0.01)
    assert "Q2" not in f.index   # the contract sets a FAR


def test_vertical_subsidy(res):
    f = res.findings[res.findings["rule_id"] == "TT-VERT"].set_index("parcel_id")
    fa1 = FA1
    land1 = 30 * M2_PER_MU
    far_r1 = (fa1 + 6000) / land1
    assert far_r1 > 1.1   # above the default contract FAR and 通用设备制造业's 0.7
    assert f.loc["R1", "status"] == "pass" and f.loc["R1", "value"] == pytest.approx(30.0)   # 6000 × 50 元
    # R2 would be 25 万元 but the enterprise's cap is 50 万元: 20 left
    assert f.loc["R2", "status"] == "pass" and f.loc["R2", "value"] == pytest.approx(20.0)
    assert f.loc["R3", "status"] == "fail" and "1,000" in f.loc["R3", "message"]


def test_deqing_not_applicable():
    parcels, layers, tables = fixture()
    res = run_stages(make_ws(parcels, tables, layers, ruleset="deqing-2021"), ("efficiency", "intensity"))
    f = res.findings
    for rid in ("TT-FAR-DEFAULT", "TT-FEE", "TT-VERT"):
        sub = f[f["rule_id"] == rid]
        assert len(sub) == 1 and sub.iloc[0]["status"] == "not_applicable", rid
    assert (f["rule_id"] == "DQ-HOUSING").any()
    p = res.parcels.set_index("parcel_id")
    assert np.isnan(p.loc["Q1", "far_limit"]) and p.loc["Q2", "far_limit"] == 1.2


def test_no_buildings_layer_is_missing_data():
    parcels, _layers, tables = fixture()
    res = run_stages(make_ws(parcels, tables, {}), ("efficiency", "intensity"))
    f = res.findings[res.findings["rule_id"] == "NAT-COVER"]
    assert set(f["status"]) == {"missing_data"}


# --- issue 14: missing is missing, heights on 建筑物, messages on the right side ---------------

def test_no_buildings_layer_far_and_coverage_are_missing_not_zero():
    """Without a buildings layer FAR and 建筑系数 are unknown (today they were 0.00), and every rule
    resting on them says missing_data."""
    parcels, _layers, tables = fixture()
    res = run_stages(make_ws(parcels, tables, {}), ("efficiency", "intensity"))
    p = res.parcels.set_index("parcel_id")
    for c in ("floor_area_m2", "far", "building_coverage", "admin_share"):
        assert p[c].isna().all(), c
    f = res.findings
    for rid in ("TT-FAR-DEFAULT", "NAT-ADMIN"):
        sub = f[f["rule_id"] == rid]
        assert len(sub) and set(sub["status"]) == {"missing_data"}, rid
    assert not (f["rule_id"] == "TT-FEE").any()          # nothing measured, nothing exempt
    assert res.summary["intensity"]["county_far"] is None


def test_height_is_judged_on_buildings_structures_shown_beside():
    """TT-FAR-DEFAULT 四(五): a 40 m chimney (构筑物) beside a 12 m plant passes the 24 m cap and is
    shown in the message; a 建筑物 without a height cannot be confirmed."""
    parcels = parcels_frame([
        {"parcel_id": "H1", "mu": 30.0, "owner_uscc": code(1), "land_use_code": "1001", "status": "已竣工投产"},
        {"parcel_id": "H2", "mu": 30.0, "owner_uscc": code(2), "land_use_code": "1001", "status": "已竣工投产"},
    ])
    parcels["plan_conditions"] = False
    x1, x2 = X0, X0 + 400
    bl = gpd.GeoDataFrame({"building_id": ["c1", "b1", "b2", "b3"], "parcel_id": ["H1", "H1", "H2", "H2"],
                           "floors": [np.nan, 1, 1, 2], "height_m": [40.0, 12.0, 8.0, np.nan],
                           "storey_height_m": [np.nan, 12.0, 8.0, np.nan],
                           "use": ["构筑物", "生产", "生产", "生产"], "completed": True},
                          geometry=[box(x1 + 1, Y0 + 1, x1 + 5, Y0 + 5), box(x1 + 10, Y0 + 10, x1 + 60, Y0 + 60),
                                    box(x2 + 1, Y0 + 1, x2 + 51, Y0 + 51), box(x2 + 60, Y0 + 1, x2 + 80, Y0 + 21)],
                          crs="EPSG:4528")
    res = run_stages(make_ws(parcels, {}, {"buildings": bl}), ("intensity",))
    p = res.parcels.set_index("parcel_id")
    assert p.loc["H1", "max_height_m"] == 12.0 and p.loc["H1", "max_structure_height_m"] == 40.0
    f = res.findings[res.findings["rule_id"] == "TT-FAR-DEFAULT"].set_index("parcel_id")
    assert f.loc["H1", "status"] == "pass" and "构筑物最高40米" in f.loc["H1", "message"]
    assert f.loc["H2", "status"] == "missing_data" and "缺少高度" in f.loc["H2", "message"]


def test_coverage_just_under_30_pct_prints_under_30():
    """NAT-COVER: 建筑系数 29.99 % fails and must not print as "30.0%"."""
    parcels = parcels_frame([{"parcel_id": "C1", "mu": 15.0, "owner_uscc": code(1), "land_use_code": "1001",
                              "status": "已竣工投产"}])
    side = 10000 * 0.2999
    bl = gpd.GeoDataFrame({"building_id": ["b"], "parcel_id": ["C1"], "floors": [1], "height_m": [6.0],
                           "use": ["生产"], "completed": True},
                          geometry=[box(X0, Y0, X0 + 100, Y0 + side / 100)], crs="EPSG:4528")
    res = run_stages(make_ws(parcels, {}, {"buildings": bl}), ("intensity",))
    row = res.findings[res.findings["rule_id"] == "NAT-COVER"].iloc[0]
    assert row["status"] == "fail"
    assert "29.99%" in row["message"] and "30.0%" not in row["message"]


def test_housing_relaxation_without_a_class_is_missing_data():
    """TT-HOUSING 四(十七): outside parks the 15 % cap needs class A/B in 上一年度亩均评价; a 60 亩 parcel
    whose enterprise has no class, at 10 % admin share, cannot be judged (not a 7 % fail)."""
    parcels = parcels_frame([{"parcel_id": "A1", "mu": 60.0, "owner_uscc": code(1), "land_use_code": "1001",
                              "status": "已竣工投产"}])
    parcels["plan_conditions"] = True
    bl = gpd.GeoDataFrame({"building_id": ["p", "o"], "parcel_id": ["A1", "A1"], "floors": [1, 1],
                           "height_m": [6.0, 4.0], "use": ["生产", "行政办公"], "completed": True},
                          geometry=[box(X0, Y0, X0 + 90, Y0 + 100), box(X0 + 100, Y0, X0 + 110, Y0 + 100)],
                          crs="EPSG:4528")
    res = run_stages(make_ws(parcels, {}, {"buildings": bl}), ("efficiency", "intensity"))
    row = res.findings[res.findings["rule_id"] == "NAT-ADMIN"].iloc[0]
    assert row["value"] == pytest.approx(0.1) and row["status"] == "missing_data"
    assert "无上一年度亩均评价结果" in row["message"]


def test_parcel_without_geometry_is_missing_data_not_a_nan_failure():
    """A checked parcel whose polygon is missing has no 建筑系数: NAT-COVER says missing_data,
    never 不符合 with "建筑系数nan%" (issue 15.4)."""
    parcels, layers, tables = fixture()
    parcels.loc[parcels["parcel_id"] == "Q3", "geometry"] = None
    res = run_stages(make_ws(parcels, tables, layers), ("efficiency", "intensity"))
    f = res.findings[res.findings["rule_id"] == "NAT-COVER"].set_index("parcel_id")
    assert f.loc["Q3", "status"] == "missing_data"
    assert "nan" not in f.loc["Q3", "message"]
    assert f.loc["Q1", "status"] in {"pass", "fail"}
