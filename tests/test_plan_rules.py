"""Issue 10's rules on cases built for them: TT-KEEP, TT-PRE, TT-TECH, TT-SUPPLY/DQ-SUPPLY,
DQ-HIGH, DQ-PARK, DQ-CLUSTER. Expected values are worked out by hand here."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo_tenglong.analysis.clusters import assess_clusters, link_groups
from geo_tenglong.analysis.high_energy import assess_high_energy
from geo_tenglong.analysis.land_supply import assess_land_supply
from geo_tenglong.analysis.old_parks import assess_old_parks
from geo_tenglong.analysis.preregistration import assess_preregistration
from geo_tenglong.analysis.rezoned import assess_rezoned
from geo_tenglong.analysis.subsidies import leased_plant_subsidy, tech_uplift
from geo_tenglong.pipeline import base_parcels
from geo_tenglong.results import Results
from geo_tenglong.rules import load_ruleset
from geo_tenglong.workspace import load_workspace

from conftest import ZONE40, box, write_workspace

TT = load_ruleset("tiantai-2022")


def _setup(tmp_path, parcels, ruleset="tiantai-2022", layers=None, tables=None):
    extra = ""
    if tables:
        extra = "[tables]\n"
        for name, frame in tables.items():
            frame.to_csv(tmp_path / f"{name}.csv", index=False)
            extra += f'{name} = "{name}.csv"\n'
    root = write_workspace(tmp_path, parcels, extra_toml=extra, ruleset=ruleset, layers=layers)
    ws = load_workspace(root)
    return ws, Results(info={}, parcels=base_parcels(ws))


def _by(findings, rule):
    return findings[findings["rule_id"] == rule].set_index("parcel_id")


# --- TT-SUPPLY / DQ-SUPPLY -------------------------------------------------------------------

LEDGER = pd.DataFrame({"年度": [2021, 2021, 2022, 2022, 2022],
                       "用途": ["工业", "住宅", "工业", "商服", "住宅"],
                       "面积(亩)": [300.0, 700.0, 290.0, 300.0, 410.0]})


def test_land_supply_shares_tiantai(tmp_path, tiny_parcels):
    ws, res = _setup(tmp_path, tiny_parcels, tables={"land_supply": LEDGER})
    out = assess_land_supply(ws, res)
    f = _by(out.findings, "TT-SUPPLY")
    assert f.loc["331023-2021", "value"] == pytest.approx(0.30) and f.loc["331023-2021", "status"] == "pass"  # 30 % is enough (不低于)
    assert f.loc["331023-2022", "value"] == pytest.approx(0.29) and f.loc["331023-2022", "status"] == "fail"
    assert f.loc["331023-2021", "clause"] == "四(十四)"
    assert _by(out.findings, "DQ-SUPPLY")["status"].tolist() == ["not_applicable"]


def test_land_supply_deqing_needs_half(tmp_path, tiny_parcels):
    ws, res = _setup(tmp_path, tiny_parcels, ruleset="deqing-2021", tables={"land_supply": LEDGER})
    f = _by(assess_land_supply(ws, res).findings, "DQ-SUPPLY")
    assert f["status"].tolist() == ["fail", "fail"] and f["threshold"].tolist() == [0.5, 0.5]


def test_land_supply_missing_table(tmp_path, tiny_parcels):
    ws, res = _setup(tmp_path, tiny_parcels)
    assert _by(assess_land_supply(ws, res).findings, "TT-SUPPLY")["status"].tolist() == ["missing_data"]


# --- TT-TECH ---------------------------------------------------------------------------------

def test_tech_uplift_tiers_and_classes():
    spec = TT.get("TT-TECH")
    inv = [499.99, 500, 1999.99, 2000, 4999, 5000, 8000, np.nan]
    cls = ["A", "A", "B", "B", "A", "A", "C", "A"]
    out = tech_uplift(inv, cls, spec)
    assert out["tier"].tolist() == [0, 1, 1, 2, 2, 3, 3, -1]
    np.testing.assert_allclose(out["uplift"], [0, 0.20, 0.10, 0.15, 0.25, 0.30, 0, np.nan])
    np.testing.assert_allclose(out["cap_uplift"], [0, 0.30, 0.20, 0.20, 0.30, 0.30, 0, np.nan])


def test_leased_plant_subsidy():
    spec = TT.get("TT-TECH")
    # 10000 m² × 3 元 × 12 = 36 万元; 20000 m² → 72 万元, capped at 50; 999 万元 project or class C → 0
    out = leased_plant_subsidy([10000, 20000, 10000, 10000, 0], [1000, 3000, 999, 5000, 5000], ["B", "A", "A", "C", "A"], spec)
    np.testing.assert_allclose(out, [36.0, 50.0, 0.0, 0.0, 0.0])


def test_tech_without_class_is_missing_data_not_a_crash():
    """Issue 14.1: a plan whose holder has no 亩均 class (pd.NA) crashed with "boolean value of NA"."""
    spec = TT.get("TT-TECH")
    cls = pd.Series(["A", pd.NA, None, "B"], dtype="string")
    out = tech_uplift([600, 600, 100, 600], cls, spec)
    assert out["tier"].tolist() == [1, 1, 0, 1]
    np.testing.assert_allclose(out["uplift"], [0.20, np.nan, 0.0, 0.10])  # below every tier: no class needed
    lease = leased_plant_subsidy([10000, 10000, 0, np.nan], [1000, 1000, 1000, 1000], cls, spec)
    np.testing.assert_allclose(lease, [36.0, np.nan, 0.0, np.nan])


def test_tech_plan_on_parcel_without_class(tmp_path, tiny_parcels):
    """The stage on a plan whose parcel has no class: missing_data naming the class, and a plan
    whose leased plant hangs on the 生产设备 investment (1200 万元 total, 800 equipment: no subsidy)."""
    from geo_tenglong.analysis.subsidies import assess_subsidies

    plans = gpd.GeoDataFrame({"renovation_id": ["R1", "R2"], "parcel_id": tiny_parcels["parcel_id"][:2].tolist(),
                              "equipment_investment": [600.0, 800.0], "total_investment": [1200.0, 1200.0],
                              "leased_plant_m2": [1000.0, 1000.0]},
                             geometry=[box(0, 100, 10, 110), box(100, 100, 110, 110)], crs=ZONE40)
    ws, res = _setup(tmp_path, tiny_parcels, layers={"renovations": plans})
    res.parcels["eval_class"] = pd.Series([pd.NA, "B", "A"], dtype="string").to_numpy()
    f = _by(assess_subsidies(ws, res).findings, "TT-TECH")
    assert f.loc["R1", "status"] == "missing_data" and "亩均评价" in f.loc["R1", "message"]
    assert f.loc["R2", "status"] == "pass" and "租赁厂房补助" not in f.loc["R2", "message"]
    # without the efficiency stage at all: still no crash
    res2 = Results(info={}, parcels=base_parcels(ws))
    assert set(_by(assess_subsidies(ws, res2).findings, "TT-TECH")["status"]) == {"missing_data"}


def test_leased_plant_reads_equipment_investment():
    """TT-TECH 四(十一): "实际投资额1000万元以上" is the 生产设备(含软件)实际投资额 the clause defines."""
    spec = TT.get("TT-TECH")
    # equipment 999.99 of a 5000 万元 project: no subsidy; exactly 1000 (以上, inclusive): subsidy
    out = leased_plant_subsidy([10000, 10000], [999.99, 1000.0], ["A", "A"], spec)
    np.testing.assert_allclose(out, [0.0, 36.0])


# --- DQ-HIGH ---------------------------------------------------------------------------------

def test_high_energy_review_list(tmp_path, tiny_parcels):
    projects = pd.DataFrame({"项目编号": ["P1", "P2", "P3", "P4", "P5"], "统一社会信用代码": ["u"] * 5,
                             "建成年份": [2018, 2019, 2017, 2010, None],
                             "年综合能耗": [1000, 999.9, 4999, 5000, 8000]})
    ws, res = _setup(tmp_path, tiny_parcels, ruleset="deqing-2021", tables={"projects": projects})
    out = assess_high_energy(ws, res)
    f = _by(out.findings, "DQ-HIGH")
    assert set(f.index[f["status"] == "warn"]) == {"P1", "P4"}
    assert f.loc["P1", "threshold"] == 1000 and f.loc["P4", "threshold"] == 5000
    assert f.loc["P5", "status"] == "missing_data"
    assert out.layers["high_energy_review"]["project_id"].tolist() == ["P1", "P4"]


def test_high_energy_not_in_tiantai(tmp_path, tiny_parcels):
    ws, res = _setup(tmp_path, tiny_parcels)
    assert assess_high_energy(ws, res).findings["status"].tolist() == ["not_applicable"]


# --- TT-KEEP ---------------------------------------------------------------------------------

def test_rezoned_parcels_by_class(tmp_path, tiny_parcels):
    # parcels are 100 m squares side by side at x 0–100, 100–200, 200–300
    zoning = gpd.GeoDataFrame({"land_use_code": ["M1", "R2", "M2", "B1"]},
                              geometry=[box(0, -50, 140, 150), box(140, -50, 200, 150), box(200, -50, 210, 150),
                                        box(210, -50, 300, 150)], crs=ZONE40)
    ws, res = _setup(tmp_path, tiny_parcels, layers={"zoning": zoning})
    res.parcels["eval_class"] = ["A", "A", "C"]
    out = assess_rezoned(ws, res)
    np.testing.assert_allclose(out.parcel_columns["rezoned_share"], [0.0, 0.6, 0.9])
    f = _by(out.findings, "TT-KEEP")
    assert list(f.index) == ["331023101001GB00002", "331023101001GB00003"]
    assert f["status"].tolist() == ["pass", "fail"] and f["clause"].iloc[0] == "四(二)"


# --- TT-PRE ----------------------------------------------------------------------------------

def test_preregistration(tmp_path, tiny_parcels):
    contracts = pd.DataFrame({"宗地代码": ["331023101001GB00001", "331023101001GB00002"],
                              "总投资": [10000, 8000], "已完成投资": [2499, 2000]})
    ws, res = _setup(tmp_path, tiny_parcels, tables={"contracts": contracts})
    res.parcels["low_efficiency"] = [True, True, True]
    res.parcels.loc[2, "low_efficiency"] = True
    f = _by(assess_preregistration(ws, res).findings, "TT-PRE")
    assert f.loc["331023101001GB00001", "status"] == "pass"  # 24.99 % < 25 %
    assert "331023101001GB00002" not in f.index  # exactly 25 % is not "未达到25%": ordinary transfer
    assert f.loc["331023101001GB00003", "status"] == "missing_data"  # no contract


# --- DQ-PARK ---------------------------------------------------------------------------------

def test_old_parks_far_tax_and_renovated(tmp_path, tiny_parcels):
    parks = gpd.GeoDataFrame({"park_id": ["LG1", "GX"], "name": ["某老工业园区", "高新区"], "kind": ["老工业园区", "高新区"]},
                             geometry=[box(-10, -10, 210, 110), box(210, -10, 400, 110)], crs=ZONE40)
    reno = gpd.GeoDataFrame({"renovation_id": ["R1"], "parcel_id": ["331023101001GB00001"], "accepted": [True]},
                            geometry=[box(0, 0, 1, 1)], crs=ZONE40)
    ws, res = _setup(tmp_path, tiny_parcels, ruleset="deqing-2021", layers={"parks": parks, "renovations": reno})
    res.parcels["floor_area_m2"] = [25000.0, 15000.0, 99999.0]
    res.parcels["tax_per_mu"] = [40.0, 10.0, 99.0]
    out = assess_old_parks(ws, res)
    row = out.layers["old_parks"].set_index("park_id").loc["LG1"]
    assert row["far"] == pytest.approx(40000 / 20000)  # 2.0
    assert row["tax_per_mu"] == pytest.approx((40 * 15 + 10 * 15) / 30)  # 25.0
    assert row["renovated_mu"] == pytest.approx(15.0)
    f = out.findings[out.findings["parcel_id"] == "LG1"]
    assert sorted(f["status"]) == ["fail", "pass"]  # FAR ok, 亩均税收 25 < 30
    county = _by(out.findings, "DQ-PARK").loc["331023"]
    assert county["value"] == pytest.approx(15.0) and county["status"] == "fail"


# --- DQ-CLUSTER ------------------------------------------------------------------------------

def _cluster_layout():
    ids, geoms = [], []
    def add(x, y, s=60):
        ids.append(f"331023101001GB{len(ids) + 1:05d}")
        geoms.append(box(x, y, x + s, y + s))
    for x in (0, 100, 200):            # cluster 1: 40 m gaps, 1 km east of the park
        add(x, 0)
    for x in (5000, 5100, 5200, 5300):  # cluster 2: far from the park
        add(x, 0)
    add(9000, 0)                        # an outlier
    add(-2000, 0)                       # inside the park
    return gpd.GeoDataFrame({"parcel_id": ids}, geometry=geoms, crs=ZONE40)


def test_link_groups_single_linkage():
    g = _cluster_layout().geometry.to_numpy()
    labels = link_groups(g, 50.0)
    assert len(set(labels[:3])) == 1 and len(set(labels[3:7])) == 1
    assert labels[0] != labels[3] and labels[7] not in labels[:7]
    assert len(set(link_groups(g, 30.0)[:3])) == 3  # gaps of 40 m are not linked at 30 m


def test_clusters_found_with_treatments(tmp_path):
    parcels = _cluster_layout()
    parks = gpd.GeoDataFrame({"park_id": ["P"], "kind": ["经开区"]}, geometry=[box(-2500, -500, -1000, 500)], crs=ZONE40)
    ws, res = _setup(tmp_path, parcels, ruleset="deqing-2021", layers={"parks": parks})
    res.parcels["tax_per_mu"] = [20.0] * 3 + [3.0] * 4 + [1.0, 50.0]
    res.parcels["eval_class"] = ["B"] * 3 + ["D"] * 4 + ["D", "A"]
    res.parcels["holder_uscc"] = ["u1", "u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8"]
    out = assess_clusters(ws, res)
    layer = out.layers["clusters"].set_index("cluster_id")
    assert list(layer.index) == ["JJD001", "JJD002"]  # numbered west to east
    assert layer.loc["JJD001", "parcel_count"] == 3 and layer.loc["JJD001", "enterprise_count"] == 2
    assert layer.loc["JJD001", "area_mu"] == pytest.approx(3 * 3600 / (10000 / 15), abs=1e-3)
    assert layer.loc["JJD001", "park_distance_m"] == pytest.approx(1000.0)
    assert layer.loc["JJD001", "treatment"] == "整合入园"
    assert layer.loc["JJD002", "treatment"] == "关停淘汰" and layer.loc["JJD002", "class_D"] == 4
    cols = out.parcel_columns["cluster_id"]
    assert pd.isna(cols.iloc[7]) and pd.isna(cols.iloc[8])  # the outlier and the parcel in the park
    assert (out.findings["clause"] == "三(一)5").all()


def test_clusters_not_in_tiantai(tmp_path, tiny_parcels):
    ws, res = _setup(tmp_path, tiny_parcels)
    assert assess_clusters(ws, res).findings["status"].tolist() == ["not_applicable"]


def test_high_energy_project_under_construction_counts_as_since_2018(tmp_path, tiny_parcels):
    """DQ-HIGH 三(一)2 (issue 14 reading): a project under construction without a 建成年份 is
    2018年以来建设的, so 1000 吨标准煤 lists it; without either it is still missing_data."""
    projects = pd.DataFrame({"项目编号": ["Z1", "Z2", "Z3"], "统一社会信用代码": ["u"] * 3,
                             "是否在建": ["是", "是", "否"], "建成年份": [None, None, None],
                             "年综合能耗": [1000, 999.99, 3000]})
    ws, res = _setup(tmp_path, tiny_parcels, ruleset="deqing-2021", tables={"projects": projects})
    f = _by(assess_high_energy(ws, res).findings, "DQ-HIGH")
    assert f.loc["Z1", "status"] == "warn" and f.loc["Z1", "threshold"] == 1000 and "在建" in f.loc["Z1", "message"]
    assert "Z2" not in f.index or f.loc["Z2", "status"] != "warn"
    assert f.loc["Z3", "status"] == "missing_data"


def test_old_parks_without_renovation_plans_is_missing_not_zero(tmp_path, tiny_parcels):
    """DQ-PARK: no renovations layer → the renovated land is unknown (missing_data), not 0 亩 failing 1 万亩."""
    parks = gpd.GeoDataFrame({"park_id": ["LG1"], "name": ["某老工业园区"], "kind": ["老工业园区"]},
                             geometry=[box(-10, -10, 210, 110)], crs=ZONE40)
    ws, res = _setup(tmp_path, tiny_parcels, ruleset="deqing-2021", layers={"parks": parks})
    out = assess_old_parks(ws, res)
    county = _by(out.findings, "DQ-PARK").loc["331023"]
    assert county["status"] == "missing_data" and "old_park_renovated_mu" not in out.metrics


def test_clusters_without_classes_show_no_d_share(tmp_path):
    """DQ-CLUSTER: with no 亩均 class on any parcel the D-class share is unknown (无数据), not 0 %."""
    parcels = _cluster_layout()
    parks = gpd.GeoDataFrame({"park_id": ["P"], "kind": ["经开区"]}, geometry=[box(-2500, -500, -1000, 500)], crs=ZONE40)
    ws, res = _setup(tmp_path, parcels, ruleset="deqing-2021", layers={"parks": parks})
    res.parcels["eval_class"] = pd.Series([pd.NA] * len(parcels), dtype="string").to_numpy()
    out = assess_clusters(ws, res)
    layer = out.layers["clusters"]
    assert layer["d_share"].isna().all()
    assert out.findings["message"].str.contains("D类用地占无数据").all()
