"""TT-ZERO (天台 三(五)16) on plans built for it: barred categories, relocation, the 3-month start.

Dates are worked out by hand: as of 2023-06-30, a plan approved 2023-01-10 was due to start by
2023-04-10; one approved 2023-05-01 is due by 2023-08-01 (still inside the period).
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import pandas as pd

from geo_tenglong.analysis.ledger_lists import assess_ledger_lists
from geo_tenglong.analysis.zero_land import assess_zero_land
from geo_tenglong.pipeline import base_parcels
from geo_tenglong.results import Results
from geo_tenglong.workspace import load_workspace

from conftest import ZONE40, box, write_workspace

IDS = [f"331023101001GB0000{i}" for i in range(1, 7)]
USCC = ["91331023MA2AAAAA1X", "91331023MA2AAAAA2X", "91331023MA2AAAAA3X", "91331023MA2AAAAA4X",
        "91331023MA2AAAAA5X", "91331023MA2AAAAA6X"]


def _parcels() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"parcel_id": IDS, "owner_uscc": USCC, "township": ["始丰街道"] * 4 + ["福溪街道"] * 2,
                             "land_use_code": ["1001"] * 6},
                            geometry=[box(i * 100, 0, i * 100 + 100, 100) for i in range(6)], crs=ZONE40)


def _plans() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "方案编号": ["R1", "R2", "R3", "R4", "R5", "R6"],
        "宗地代码": IDS,
        "统一社会信用代码": USCC,
        "产业政策类别": ["鼓励类", "限制类", "允许类", None, "鼓励类", "鼓励类"],
        "审批日期": ["2023-01-10", "2023-05-01", "2023-01-01", None, "2023-01-01", "今年一月"],
        "实际开工日期": ["2023-03-01", None, None, None, "2023-05-15", None],
        "accepted": [False, False, False, True, False, False]},
        geometry=[None] * 6, crs=ZONE40).rename(columns={"方案编号": "renovation_id"})


def _setup(tmp_path, relocation_default: bool = False):
    root = write_workspace(tmp_path, _parcels(), layers={"renovations": _plans()})
    ws = load_workspace(root)
    if relocation_default:  # the county lists class D enterprises for relocation by default
        spec = ws.ruleset.get("TT-LEDGER")
        rules = {**ws.ruleset.rules, "TT-LEDGER": dataclasses.replace(spec, class_treatment={"D": "搬迁入园"})}
        ws.ruleset = dataclasses.replace(ws.ruleset, rules=rules)
    res = Results(info={}, parcels=base_parcels(ws))
    res.parcels["holder_uscc"] = USCC
    res.parcels["holder_name"] = [f"企业{i}" for i in range(1, 7)]
    # enterprise 3 is class D in the evaluation year (上一年度 2022)
    res.layers["enterprise_eval"] = pd.DataFrame({
        "uscc": USCC, "name": [f"企业{i}" for i in range(1, 7)], "year": [2022] * 6, "in_scope": [True] * 6,
        "eval_class": ["A", "B", "D", "C", "B", "B"], "low_efficiency_type": [None] * 6,
        "tax_per_mu": [40.0, 20.0, 3.0, 12.0, 18.0, 18.0], "parcel_ids": IDS})
    res.summary["efficiency"] = {"eval_year": 2022}
    return ws, res


def _by(out, plan):
    f = out.findings.set_index(["parcel_id", "message"])
    rows = f.loc[plan]
    adm = rows[rows.index.str.startswith("零增地技改准入")]["status"].iloc[0]
    start = rows[rows.index.str.startswith("零增地技改开工")]["status"].iloc[0]
    return adm, start


def test_admission_and_start(tmp_path):
    ws, res = _setup(tmp_path)
    out = assess_zero_land(ws, res)
    assert _by(out, "R1") == ("pass", "pass")           # 鼓励类, started 2023-03-01 ≤ 2023-04-10
    assert _by(out, "R2") == ("fail", "pass")           # 限制类 refused; approved 2023-05-01, due 2023-08-01
    assert _by(out, "R3") == ("pass", "fail")           # not listed for relocation (D → 改造提升); due 2023-04-01
    assert _by(out, "R4") == ("missing_data", "pass")   # no category; accepted
    assert _by(out, "R5") == ("pass", "warn")           # started 2023-05-15, after 2023-04-01
    assert _by(out, "R6") == ("pass", "missing_data")   # an approval date that is not a date
    table = out.layers["zero_land"].set_index("renovation_id")
    assert table.loc["R3", "start_due"] == pd.Timestamp("2023-04-01")
    assert table.loc["R1", "start_due"] == pd.Timestamp("2023-04-10")
    assert set(out.findings["clause"]) == {"三(五)16"} and set(out.findings["rule_id"]) == {"TT-ZERO"}
    assert "限制类" in table.loc["R2", "reason"]
    assert "审批日期无法识别" in table.loc["R6", "reason"]


def test_enterprise_listed_for_relocation_is_refused(tmp_path):
    ws, res = _setup(tmp_path, relocation_default=True)
    out = assess_zero_land(ws, res)
    assert _by(out, "R3")[0] == "fail"
    table = out.layers["zero_land"].set_index("renovation_id")
    assert table.loc["R3", "relocation_treatment"] == "搬迁入园"
    assert "搬迁" in table.loc["R3", "reason"]
    assert table["relocation_treatment"].notna().sum() == 1


def test_zero_list_tasks_follow_admission_and_acceptance(tmp_path):
    ws, res = _setup(tmp_path)
    res.layers["zero_land"] = assess_zero_land(ws, res).layers["zero_land"]
    lists = assess_ledger_lists(ws, res).layers["ledger_lists"].set_index("task_id")
    lz = lists[lists["list"] == "零增地技改"]
    assert sorted(lz.index[lz["listed"]]) == ["LZ-R1", "LZ-R3", "LZ-R5", "LZ-R6"]   # R2 refused, R4 accepted
    assert lz.loc["LZ-R4", "reason"] == "销号:已验收"
    assert lz.loc["LZ-R2", "reason"].startswith("移出清单:不予准入")
    assert lz.loc["LZ-R1", "deadline"] == pd.Timestamp("2025-06-30")   # TT-ZERO-LIST: 24 months


def test_deqing_has_no_zero_land_rule(tmp_path):
    root = write_workspace(tmp_path, _parcels(), layers={"renovations": _plans()}, ruleset="deqing-2021")
    ws = load_workspace(root)
    out = assess_zero_land(ws, Results(info={}, parcels=base_parcels(ws)))
    assert out.findings["status"].tolist() == ["not_applicable"]
    assert "zero_land" not in out.layers
