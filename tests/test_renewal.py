"""TT-RENEW 到期续签 on parcels built for it. As of 2023-06-30 with a 3-year window the horizon is
2026-06-30 (inclusive): 2023-06-30 → 2026-06-30 is 365 + 366 + 365 = 1096 days; a term that ended
2022-12-31 ended 181 days before (Jan–Jun 2023)."""

from __future__ import annotations

import geopandas as gpd
import pytest

from geo_tenglong.analysis.renewal import assess_renewal
from geo_tenglong.pipeline import base_parcels
from geo_tenglong.results import Results
from geo_tenglong.workspace import load_workspace

from conftest import ZONE40, box, write_workspace

IDS = [f"331023101001GB0000{i}" for i in range(1, 6)]


def _setup(tmp_path, ruleset="tiantai-2022"):
    parcels = gpd.GeoDataFrame({
        "parcel_id": IDS, "owner_uscc": [f"91331023MA2AAAAA{i}X" for i in range(1, 6)],
        "township": ["始丰街道"] * 5, "land_use_code": ["1001", "1001", "1001", "0701", "1001"],
        "rights_type": ["出让"] * 5,
        "term_end": ["2026-06-30", "2026-07-01", "2022-12-31", "2024-01-01", None]},
        geometry=[box(i * 100, 0, i * 100 + 100, 100) for i in range(5)], crs=ZONE40)
    root = write_workspace(tmp_path, parcels, ruleset=ruleset)
    ws = load_workspace(root)
    res = Results(info={}, parcels=base_parcels(ws))
    res.parcels["eval_class"] = ["A", "B", "D", None, "C"]
    res.parcels["tax_per_mu"] = [50.0, 30.0, 2.5, None, 10.0]
    res.parcels["far"] = [2.0, 1.5, 0.4, None, 1.0]
    return ws, res


def test_listed_within_window_with_performance(tmp_path):
    ws, res = _setup(tmp_path)
    out = assess_renewal(ws, res)
    table = out.layers["renewal"]
    assert table["parcel_id"].tolist() == [IDS[2], IDS[0]]          # sorted by term end; 0701 is not industrial
    assert table["days_left"].tolist() == [-181.0, 1096.0]
    assert table["eval_class"].tolist() == ["D", "A"]
    assert table["tax_per_mu"].tolist() == pytest.approx([2.5, 50.0])
    f = out.findings.set_index("parcel_id")
    assert f.loc[IDS[0], "status"] == "warn" and f.loc[IDS[0], "rule_id"] == "TT-RENEW"
    assert "亩均评价A类" in f.loc[IDS[0], "message"] and "已于2022-12-31到期" in f.loc[IDS[2], "message"]
    assert f.loc[IDS[4], "status"] == "missing_data"                  # 出让 industrial land without a term
    assert IDS[1] not in f.index and IDS[3] not in f.index


def test_deqing_renewal_under_dq_std(tmp_path):
    ws, res = _setup(tmp_path, ruleset="deqing-2021")
    out = assess_renewal(ws, res)
    assert set(out.findings["rule_id"]) == {"DQ-STD"} and set(out.findings["clause"]) == {"三(一)3"}
    assert len(out.layers["renewal"]) == 2


def test_workbook_sheet_lists_the_parcels_with_a_total(tmp_path):
    import openpyxl

    from geo_tenglong.report.workbook import write_workbook

    ws, res = _setup(tmp_path / "ws")
    out = assess_renewal(ws, res)
    res.layers["renewal"] = out.layers["renewal"]
    res.findings = out.findings
    res.info.update({"county": "天台县", "as_of": "2023-06-30"})
    path = write_workbook(res, tmp_path / "out", None, ws)[0]
    rows = list(openpyxl.load_workbook(path, read_only=True)["到期续签"].iter_rows(values_only=True))
    header = rows[2]
    data = [r for r in rows[3:] if r[header.index("宗地代码")]]
    assert [r[header.index("宗地代码")] for r in data] == [IDS[2], IDS[0]]
    assert [r[header.index("亩均评价类别")] for r in data] == ["D类", "A类"]
    total = next(r for r in rows[3:] if "合计" in [str(c) for c in r if c is not None])
    assert total[header.index("面积(亩)")] == pytest.approx(30.0)          # two parcels of 15 亩
