"""TT-STD / DQ-STD 标准地 达产复核 on contracts built for it; every expected value is worked out here.

As of 2023-06-30 with 达产复核 three years after 竣工: completed 2019-12-31 → due 2022-12-31 (due);
agreed completion 2021-01-01 → due 2024-01-01 (not yet); completed 2020-06-30 → due 2023-06-30
(due on the day). Parcels are 100 m × 100 m = 15 亩.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo_tenglong.analysis.standard_land import assess_standard_land
from geo_tenglong.pipeline import base_parcels
from geo_tenglong.results import Results
from geo_tenglong.workspace import load_workspace

from conftest import ZONE40, box, write_workspace

IDS = [f"331023101001GB0000{i}" for i in range(1, 6)]
USCC = [f"91331023MA2AAAAA{i}X" for i in range(1, 6)]
CONTRACTS = pd.DataFrame({
    "合同编号": ["C1", "C2", "C3", "C5"],
    "宗地代码": [IDS[0], IDS[1], IDS[2], IDS[4]],
    "约定竣工日期": ["2019-06-30", "2021-01-01", "2018-01-01", "2020-01-01"],
    "实际竣工日期": ["2019-12-31", None, "2018-05-01", "2020-06-30"],
    "已完成投资(万元)": [4200.0, 3000.0, 5000.0, 2000.0],
    "承诺投资强度(万元/亩)": [300.0, 300.0, None, None],
    "承诺容积率": [1.5, 1.5, 2.0, None],
    "承诺亩均税收(万元/亩)": [30.0, None, None, None],
    "承诺单位能耗增加值": [5.0, None, None, None],
    "承诺亩均增加值(万元/亩)": [100.0, None, None, None],
    "承诺单位排放增加值(万元/吨)": [800.0, None, None, None],
})


def _setup(tmp_path, ruleset="tiantai-2022"):
    parcels = gpd.GeoDataFrame({"parcel_id": IDS, "owner_uscc": USCC, "township": ["始丰街道"] * 5,
                                "land_use_code": ["1001"] * 5,
                                "standard_land": ["是", "是", "否", "是", "是"]},
                               geometry=[box(i * 100, 0, i * 100 + 100, 100) for i in range(5)], crs=ZONE40)
    CONTRACTS.to_csv(tmp_path / "contracts.csv", index=False)
    root = write_workspace(tmp_path, parcels, extra_toml='[tables]\ncontracts = "contracts.csv"\n', ruleset=ruleset)
    ws = load_workspace(root)
    res = Results(info={}, parcels=base_parcels(ws))
    res.parcels["holder_uscc"] = USCC
    res.parcels["holder_name"] = [f"企业{i}" for i in range(1, 6)]
    res.parcels["far"] = [1.6, 1.0, np.nan, 1.2, 1.0]
    res.parcels["tax_per_mu"] = [25.0, 40.0, 30.0, 30.0, 30.0]
    res.parcels["va_per_mu"] = [120.0, 1.0, 1.0, 1.0, 1.0]
    res.layers["enterprise_eval"] = pd.DataFrame({"uscc": USCC, "year": [2022] * 5,
                                                  "va_per_energy": [6.0, 1.0, 1.0, 1.0, 1.0],
                                                  "va_per_emission": [750.0, 1.0, 1.0, 1.0, 1.0]})
    res.summary["efficiency"] = {"eval_year": 2022}
    return ws, res


def test_committed_against_actual(tmp_path):
    ws, res = _setup(tmp_path)
    out = assess_standard_land(ws, res)
    f = out.findings
    p1 = f[f["parcel_id"] == IDS[0]].set_index("threshold")
    assert p1.loc[300.0, "status"] == "fail" and p1.loc[300.0, "value"] == pytest.approx(4200 / 15)  # 280 万元/亩
    assert p1.loc[1.5, "status"] == "pass"        # FAR 1.6 ≥ 1.5
    assert p1.loc[30.0, "status"] == "fail"       # 亩均税收 25 < 30
    assert p1.loc[5.0, "status"] == "pass"        # 单位能耗增加值 6.0 ≥ 5.0
    assert p1.loc[100.0, "status"] == "pass"      # 亩均增加值 120 ≥ 100
    assert p1.loc[800.0, "status"] == "fail"      # 单位排放增加值 750 < 800
    assert set(p1["rule_id"]) == {"TT-STD"} and set(p1["clause"]) == {"三(一)4"}
    assert "承诺300万元/亩" in p1.loc[300.0, "message"]
    table = out.layers["standard_land"].set_index("parcel_id")
    assert table.loc[IDS[0], "shortfalls"] == 3 and table.loc[IDS[0], "verdict"] == "fail"
    assert table.loc[IDS[0], "review_due"] == pd.Timestamp("2022-12-31")


def test_not_due_missing_and_due_on_the_day(tmp_path):
    ws, res = _setup(tmp_path)
    out = assess_standard_land(ws, res)
    status = out.findings.groupby("parcel_id")["status"].agg(lambda s: sorted(set(s)))
    assert status[IDS[1]] == ["not_applicable"]          # due 2024-01-01
    assert status[IDS[2]] == ["missing_data"]            # committed FAR 2.0, actual FAR unknown
    assert status[IDS[3]] == ["missing_data"]            # 标准地 without a contract: no date to count from
    assert status[IDS[4]] == ["missing_data"]            # due 2023-06-30, no committed indicator
    table = out.layers["standard_land"].set_index("parcel_id")
    assert table.loc[IDS[4], "due"] and table.loc[IDS[4], "review_due"] == pd.Timestamp("2023-06-30")
    assert table.loc[IDS[1], "verdict"] == "not_due"
    assert table.loc[IDS[2], "verdict"] == "missing_data"


def test_deqing_cites_dq_std(tmp_path):
    ws, res = _setup(tmp_path, ruleset="deqing-2021")
    out = assess_standard_land(ws, res)
    assert set(out.findings["rule_id"]) == {"DQ-STD"} and set(out.findings["clause"]) == {"三(一)3"}
