"""Small synthetic Results for the workbook and report tests (written for the case, no sample needed).

The values are written for the cases the tests check; the shape comes from the declared results
schema (:mod:`geo_tenglong.results_schema`): every layer is passed through
:func:`~geo_tenglong.results_schema.conform`, which adds the declared columns a case does not need
as nulls and rejects a column no stage publishes, so the fixture cannot drift from what a real run
writes. Other test modules import :func:`make_results`; the tests here check the fixture itself.
"""

from __future__ import annotations

import json
import types

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Polygon, box

from geo_tenglong.findings import concat_findings, make_findings
from geo_tenglong.results import Results
from geo_tenglong.results_schema import check_table, conform

X0, Y0 = 40_500_000.0, 3_230_000.0
EVIL = '<script>alert(1)</script> & "红星" 机械\'s 厂'
IDS = [f"331023{str(i).zfill(3)}001GB{str(i).zfill(5)}"[:19] for i in range(1, 7)]


def _pid(i: int) -> str:
    return IDS[i]


def make_results() -> Results:
    """Six parcels in a row (two in a park), with every stage's columns and layers."""
    geoms = [box(X0 + i * 120, Y0, X0 + i * 120 + 100, Y0 + 80) for i in range(5)]
    geoms.append(Polygon([(X0, Y0 + 100), (X0 + 90, Y0 + 100), (X0 + 110, Y0 + 150), (X0 + 40, Y0 + 190), (X0, Y0 + 160)]))
    area = np.array([g.area for g in geoms])
    parcels = gpd.GeoDataFrame({
        "parcel_id": IDS,
        "owner_uscc": ["91331023MA2AAAAA1X", "91331023MA2BBBBB2X", "91331023MA2CCCCC3X", "91331023MA2DDDDD4X",
                       "91331023MA2EEEEE5X", "91331023MA2FFFFF6X"],
        "owner_name": [EVIL, "天台乙公司", "天台丙公司", "天台丁公司", "天台戊公司", "天台己公司"],
        "land_use_code": "1001", "township": ["始丰街道", "始丰街道", "白鹤镇", "白鹤镇", "平桥镇", "平桥镇"],
        "park_id": ["P1", "P1", "", "", "P2", ""], "rights_nature": "国有", "rights_type": "出让",
        "status": ["已竣工投产", "已竣工投产", "停产", "未动工", "已竣工投产", "在建"],
        "area_m2": area.round(2), "area_mu": (area / (10000 / 15)).round(4),
        "holder_uscc": ["91331023MA2AAAAA1X", "91331023MA2BBBBB2X", "91331023MA2CCCCC3X", None, "91331023MA2EEEEE5X", None],
        "holder_name": [EVIL, "天台乙公司", "天台丙公司", None, "天台戊公司", None],
        "tenant_count": [1, 2, 1, 0, 1, 0], "eval_year": pd.array([2022, 2022, 2022, None, 2022, None], dtype="Int64"),
        "eval_class": ["D", "B", "C", None, "A", None], "class_name": ["倒逼整治类", "提升发展类", "调控帮扶类", None, "优先发展类", None],
        "eval_score": [31.0, 78.5, 55.0, np.nan, 96.0, np.nan],
        "tax_per_mu": [2.5, 30.1, 8.0, np.nan, 61.2, np.nan], "tax_per_mu_prev": [3.0, 28.0, 9.5, np.nan, 55.0, np.nan],
        "va_per_mu": [20.0, 160.0, 60.0, np.nan, 300.0, np.nan],
        "low_efficiency": [True, False, True, False, False, False],
        "low_efficiency_type": ["亩均税收≤5万元/亩的低效企业", None, "亩均税收连续两年≤10万元/亩的亿元企业", None, None, None],
        "far": [0.6, 1.4, 0.8, 0.0, 2.1, 0.3], "building_coverage": [0.22, 0.45, 0.35, 0.0, 0.5, 0.1],
        "admin_share": [0.05, 0.06, 0.09, np.nan, 0.04, 0.0], "max_height_m": [12.0, 18.0, 9.0, np.nan, 30.0, 6.0],
        "far_limit": [np.nan, np.nan, np.nan, np.nan, np.nan, 1.1],
        "idle_rule": [None, None, None, "NAT-IDLE-1", None, None], "idle_tier": [0, 0, 0, 2, 0, 0],
        "idle_days": [np.nan, np.nan, np.nan, 900, np.nan, np.nan], "idle_fee_wan": [np.nan, np.nan, np.nan, 84.0, np.nan, np.nan],
        "idle_gov_cause": [None] * 6,
        "reclaimable": [True, False, True, True, False, False],
        "reclaim_reason": ["低效企业(D类)", None, "低效企业", "闲置满两年", None, None],
    }, geometry=geoms, crs="EPSG:4528")
    years = []
    for year, factor in ((2021, 0.9), (2022, 1.0)):
        years.append(pd.DataFrame({
            "uscc": ["91331023MA2AAAAA1X", "91331023MA2BBBBB2X", "91331023MA2CCCCC3X", "91331023MA2EEEEE5X", "92331023SMALL0001X"],
            "name": [EVIL, "天台乙公司", "天台丙公司", "天台戊公司", "天台小微厂"], "year": year,
            "scale": ["规上", "规上", "规上", "规上", "规下"], "in_scope": True,
            "land_mu": [parcels.area_mu[0], parcels.area_mu[1], parcels.area_mu[2], parcels.area_mu[4], 4.0],
            "parcel_ids": [IDS[0], IDS[1], IDS[2], IDS[4], ""],
            "revenue": np.array([800.0, 12000, 15000, 30000, 300]) * factor,
            "tax": np.array([10.0, 150, 50, 400, 6]) * factor, "value_added": np.array([80.0, 800, 400, 2000, 30]) * factor,
            "employees": [20, 120, 90, 300, 8], "energy_tce": [100.0, 800, 900, 1500, 10], "emissions_t": [1.0, 3, 5, 4, 0.1],
            "rd_expense": [5.0, 300, 200, 900, 0],
        }))
    ev = pd.concat(years, ignore_index=True)
    ev["tax_per_mu"] = ev["tax"] / ev["land_mu"]
    ev["va_per_mu"] = ev["value_added"] / ev["land_mu"]
    ev["labour_productivity"] = ev["value_added"] / ev["employees"]
    ev["va_per_energy"] = ev["value_added"] / ev["energy_tce"]
    ev["va_per_emission"] = ev["value_added"] / ev["emissions_t"]
    ev["rd_ratio"] = ev["rd_expense"] / ev["revenue"]
    ev["score"] = [30.0, 75, 50, 95, 40, 31, 78.5, 55, 96, 42]
    ev["eval_class"] = ["D", "B", "C", "A", "C", "D", "B", "C", "A", "C"]
    ev["class_name"] = ev["eval_class"].map({"A": "优先发展类", "B": "提升发展类", "C": "调控帮扶类", "D": "倒逼整治类"})
    ev["class_note"] = None
    ev["low_efficiency_type"] = None
    findings = concat_findings([
        make_findings([IDS[0]], "TT-T4", "二、主要目标", "fail", 2.5, 5.0, "万元/亩", "亩均税收低于5万元/亩"),
        make_findings([IDS[0]], "NAT-COVER", "国土资发〔2008〕24号", "fail", 22.0, 30.0, "%", "建筑系数不足30%"),
        make_findings([IDS[1]], "NAT-COVER", "国土资发〔2008〕24号", "pass", 45.0, 30.0, "%", "建筑系数达标"),
        make_findings([IDS[2]], "TT-T4", "二、主要目标", "fail", 8.0, 10.0, "万元/亩", "亿元企业亩均税收连续两年≤10"),
        make_findings([IDS[2]], "NAT-ADMIN", "国土资发〔2008〕24号", "warn", 9.0, 7.0, "%", "行政办公用地比例超7%"),
        make_findings([IDS[3]], "NAT-IDLE-1", "第二条", "fail", 900, 365, "天", "超过约定动工日期满一年未动工"),
        make_findings([IDS[3]], "NAT-IDLE-BACK", "第十四条", "fail", 900, 730, "天", "闲置满两年"),
        make_findings(["FR-1"], "TT-CORNER", "四(六)", "warn", 0.25, 0.2, "", "边角地超过原用地20%"),
        make_findings(["SP-1"], "TT-SPLIT", "四(八)", "fail", 8.0, 10.0, "亩", "分割后地块小于10亩"),
        make_findings(["331023"], "TT-T1", "二、主要目标", "fail", 18.0, 25.0, "万元/亩", "规上工业亩均税收"),
    ])
    frag = gpd.GeoDataFrame({"fragment_id": ["FR-1"], "kind": ["夹心地"], "area_m2": [1500.0], "area_mu": [2.25],
                             "parcel_count": [2],
                             "neighbours": [json.dumps([{"parcel_id": IDS[0], "shared_m": 80.0},
                                                        {"parcel_id": IDS[1], "shared_m": 80.0}])]},
                            geometry=[box(X0 + 100, Y0, X0 + 120, Y0 + 80)], crs="EPSG:4528")
    offers = pd.DataFrame({"fragment_id": ["FR-1", "FR-1"], "kind": ["夹心地", "夹心地"], "rank": [1, 2],
                           "parcel_id": [IDS[1], IDS[0]], "holder_uscc": ["91331023MA2BBBBB2X", "91331023MA2AAAAA1X"],
                           "holder_name": ["天台乙公司", EVIL], "eval_class": ["B", "D"], "cap_mu": [2.4, 2.4],
                           "max_take_mu": [2.25, 2.25], "whole_plot": [True, True]})
    split = gpd.GeoDataFrame({"proposal_id": ["SP-1", "SP-1"], "parcel_id": [IDS[4], IDS[4]], "part_no": [1, 2],
                              "area_mu": [4.0, 2.0], "area_ok": [False, False], "part_status": ["fail", "fail"],
                              "verdict": ["fail", "fail"], "failed": ["每宗面积", "每宗面积"]},
                             geometry=[box(X0 + 480, Y0, X0 + 530, Y0 + 80), box(X0 + 530, Y0, X0 + 580, Y0 + 80)], crs="EPSG:4528")
    merge = pd.DataFrame({"proposal_id": ["MG-1"], "parcel_ids": [f"{IDS[1]};{IDS[2]}"], "n_parcels": [2], "verdict": ["pass"]})
    idle = parcels.loc[[3], ["parcel_id", "idle_rule", "idle_tier", "idle_days", "idle_fee_wan", "geometry"]].copy()
    idle["idle_kind"] = "闲置满两年"
    targets = pd.DataFrame({
        "rule_id": ["TT-T1", "TT-T2", "TT-T8"], "clause": ["二、主要目标"] * 3,
        "label": ["规上工业亩均税收", "规上工业亩均增加值", "腾出低效工业用地"],
        "metric": ["tax_per_mu", "va_per_mu", "freed_mu"], "op": [">="] * 3, "target": [25.0, 150.0, 200.0],
        "value": [18.0, 160.0, 12.25], "unit": ["万元/亩", "万元/亩", "亩"], "year": [2023] * 3,
        "status": ["fail", "pass", "fail"], "progress": [0.72, 160 / 150, 12.25 / 200],
        "candidate": [np.nan, np.nan, 36.5], "since": ["", "", "2023-06-30"], "note": ["", "", ""]})
    reclaim = pd.DataFrame({"level": ["park", "park", "township", "township"],
                            "area_id": ["P1", "园区外", "始丰街道", "白鹤镇"],
                            "area_name": ["天台经济开发区", "园区外", "始丰街道", "白鹤镇"], "parcels": [1, 2, 1, 2],
                            "reclaimable_mu": [12.0, 24.0, 12.0, 24.0], "class_d_mu": [12.0, 0, 12.0, 0],
                            "low_efficiency_mu": [12.0, 12.0, 12.0, 12.0], "idle_mu": [0, 12.0, 0, 12.0]})
    join = pd.DataFrame({"kind": ["unmatched_enterprise", "invalid_uscc"], "uscc": ["92331023SMALL0001X", "123"],
                         "parcel_id": [None, IDS[5]], "source": ["enterprises.xlsx", "parcels"], "source_row": [7, 6],
                         "message": ["企业在宗地图层中找不到对应宗地", "统一社会信用代码校验位错误"]})
    data = pd.DataFrame({"source": ["tiantai.gpkg:parcels"], "feature": [IDS[2]], "kind": ["repaired_geometry"],
                         "message": ["自相交面已修复"]})
    info = {"county": "天台县", "admin_code": "331023", "ruleset": "tiantai-2022", "document": "天政发〔2022〕1号",
            "as_of": "2023-06-30", "crs": "EPSG:4528", "workspace": "/nonexistent", "generated": "2023-07-01T09:00:00"}
    layers = {"enterprise_eval": ev, "join_issues": join, "data_issues": data, "idle_land": idle,
              "reclaim_by_area": reclaim, "fragments": frag, "fragment_offers": offers,
              "split_checks": split, "merge_checks": merge, "targets": targets}
    return Results(info=info, parcels=conform("parcels", parcels), findings=findings,
                   layers={name: conform(name, layer) for name, layer in layers.items()},
                   metrics={"tax_per_mu": 18.0, "va_per_mu": 160.0, "labour_productivity": 21.0, "reclaimable_mu": 36.5},
                   summary={"efficiency": {"eval_year": 2022}})  # as the efficiency stage publishes it


def make_ws():
    """A stand-in workspace with buildings and parks (what the reports read from a Workspace)."""
    buildings = gpd.GeoDataFrame({"building_id": ["B1", "B2", "B3"], "parcel_id": [IDS[0], IDS[1], IDS[4]],
                                  "floors": [1, 3, 5], "use": ["生产", "生产", "行政办公"]},
                                 geometry=[box(X0 + 10, Y0 + 10, X0 + 50, Y0 + 40), box(X0 + 130, Y0 + 10, X0 + 200, Y0 + 60),
                                           box(X0 + 490, Y0 + 10, X0 + 540, Y0 + 70)], crs="EPSG:4528")
    parks = gpd.GeoDataFrame({"park_id": ["P1", "P2"], "name": ["天台经济开发区", "天台创业创新园"],
                              "kind": ["经济开发区", "创业创新园"]},
                             geometry=[box(X0 - 10, Y0 - 10, X0 + 230, Y0 + 90), box(X0 + 470, Y0 - 10, X0 + 590, Y0 + 90)],
                             crs="EPSG:4528")
    layers = {"buildings": buildings, "parks": parks}
    return types.SimpleNamespace(layers=layers, layer=layers.get, inputs=[], county="天台县")


def test_fixture_is_consistent():
    res = make_results()
    assert res.parcels["parcel_id"].is_unique
    assert set(res.findings["parcel_id"]) >= {IDS[0], IDS[3]}
    assert res.parcels.crs.to_epsg() == 4528


def test_fixture_has_the_shape_of_a_real_run():
    res = make_results()
    check_table("parcels", res.parcels)
    check_table("findings", res.findings)
    for name, layer in res.layers.items():
        check_table(name, layer)
    assert res.layers["idle_land"]["idle_tier"].tolist() == [2]
