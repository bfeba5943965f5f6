"""The Excel workbook: sheets, headers, formats and values against an independent computation."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from shapely.geometry import box

from geo_tenglong.findings import concat_findings, make_findings
from geo_tenglong.report.workbook import COUNTY_SHEETS, HEADER_ROW, NO_DATA, SHEETS, WORKBOOK_FILE, write_workbook
from geo_tenglong.rules import load_ruleset

from test_reports_fixture import EVIL, IDS, make_results, make_ws


def _ws():
    """The reports' stand-in workspace with the county's ruleset (which county sheets to show)."""
    ws = make_ws()
    ws.ruleset = load_ruleset("tiantai-2022")
    ws.root = "/nonexistent"
    return ws


@pytest.fixture()
def book(tmp_path):
    res = make_results()
    paths = write_workbook(res, tmp_path, None, _ws())
    assert paths == [tmp_path / WORKBOOK_FILE]
    return res, load_workbook(paths[0])


def _rows(sheet):
    rows = list(sheet.iter_rows(min_row=HEADER_ROW, values_only=True))
    header = rows[0]
    return header, [dict(zip(header, r)) for r in rows[1:]]


def test_every_sheet_present_in_order(book):
    _res, wb = book
    names = wb.sheetnames
    assert [n for n in names if n in SHEETS] == SHEETS
    for name in SHEETS:
        sh = wb[name]
        if sh[f"A{HEADER_ROW}"].value == NO_DATA:
            continue
        assert sh.freeze_panes in ("A4", "B4")
        assert sh.auto_filter.ref.startswith("A3:")


def test_enterprise_sheet_two_years_of_tax_per_mu(book):
    res, wb = book
    header, rows = _rows(wb["亩均效益评价结果(规上)"])
    for h in ("区县", "乡镇(街道)", "园区", "企业名称", "统一社会信用代码", "宗地代码", "占地面积(亩)",
              "2021年亩均税收(万元/亩)", "2022年亩均税收(万元/亩)", "类别", "低效类型"):
        assert h in header, h
    ev = res.layers["enterprise_eval"]
    by_name = {r["企业名称"]: r for r in rows if r["企业名称"]}
    assert EVIL in by_name  # markup stays literal text in Excel
    b = by_name["天台乙公司"]
    land = ev.loc[(ev.uscc == "91331023MA2BBBBB2X") & (ev.year == 2022), "land_mu"].iloc[0]
    assert b["2022年亩均税收(万元/亩)"] == pytest.approx(150 / land)
    assert b["2021年亩均税收(万元/亩)"] == pytest.approx(135 / land)
    assert b["园区"] == "天台经济开发区" and b["乡镇(街道)"] == "始丰街道"
    assert b["宗地代码"] == IDS[1]
    assert "天台小微厂" not in by_name  # 规下 goes to its own sheet
    _h, small = _rows(wb["亩均效益评价结果(规下)"])
    assert [r["企业名称"] for r in small if r["序号"] != "合计"] == ["天台小微厂"]
    # number formats by unit
    sh = wb["亩均效益评价结果(规上)"]
    col = header.index("占地面积(亩)") + 1
    assert sh.cell(row=HEADER_ROW + 1, column=col).number_format == "#,##0.0000"


def test_low_efficiency_list_and_totals(book):
    res, wb = book
    header, rows = _rows(wb["低效企业与低效用地清单"])
    assert "规则与条款" in header and "占地面积(亩)" in header
    data = [r for r in rows if r["序号"] != "合计"]
    p = res.parcels
    expected = p[p.low_efficiency | p.reclaimable]
    assert sorted(r["宗地代码"] for r in data) == sorted(expected.parcel_id)
    total = next(r for r in rows if r["序号"] == "合计")
    assert total["占地面积(亩)"] == pytest.approx(expected.area_mu.sum(), abs=1e-4)
    first = next(r for r in data if r["宗地代码"] == IDS[0])
    assert "TT-T4(二、主要目标)" in first["规则与条款"]
    assert first["企业名称"] == EVIL


def test_idle_and_issue_sheets(book):
    _res, wb = book
    _h, rows = _rows(wb["闲置土地清单"])
    data = [r for r in rows if r["序号"] != "合计"]
    assert [r["宗地代码"] for r in data] == [IDS[3]]
    assert data[0]["土地闲置费(万元)"] == 84.0
    assert "闲置满两年" in data[0]["闲置情形"]
    _h, issues = _rows(wb["数据问题"])
    kinds = {r["问题类型"] for r in issues}
    assert {"企业未匹配到宗地", "统一社会信用代码无效", "几何已修复"} <= kinds
    _h, split = _rows(wb["分割合并核查"])
    assert {r["核查类型"] for r in split} == {"分割", "合并"}
    assert any("TT-SPLIT" in (r.get("规则与条款") or "") for r in split)


def test_missing_layers_say_so(tmp_path):
    res = make_results()
    for name in ("idle_land", "fragments", "fragment_offers", "split_checks", "merge_checks", "enterprise_eval"):
        res.layers.pop(name)
    wb = load_workbook(write_workbook(res, tmp_path, None, None)[0])
    for name in ("闲置土地清单", "零星边角地清单", "分割合并核查", "亩均效益评价结果(规上)", "亩均效益评价结果(规下)"):
        assert wb[name][f"A{HEADER_ROW}"].value == NO_DATA


def test_formula_like_text_stays_text(tmp_path):
    res = make_results()
    res.parcels.loc[0, "holder_name"] = "=HYPERLINK(\"http://x\")"
    wb = load_workbook(write_workbook(res, tmp_path, None, None)[0])
    _h, rows = _rows(wb["低效企业与低效用地清单"])
    assert any(r["企业名称"] == "=HYPERLINK(\"http://x\")" for r in rows)
    sh = wb["低效企业与低效用地清单"]
    assert all(c.data_type != "f" for row in sh.iter_rows() for c in row)


def test_workbook_from_saved_results_matches(tmp_path):
    """After a GeoPackage round trip (lists become JSON text, booleans integers) the lists agree."""
    from geo_tenglong.results import Results

    res = make_results()
    res.write(tmp_path / "out")
    back = Results.read(tmp_path / "out")
    a = load_workbook(write_workbook(res, tmp_path / "a", None, None)[0])
    b = load_workbook(write_workbook(back, tmp_path / "b", None, None)[0])
    for name in ("亩均效益评价结果(规上)", "低效企业与低效用地清单", "闲置土地清单", "数据问题"):
        ra = list(a[name].iter_rows(min_row=HEADER_ROW, values_only=True))
        rb = list(b[name].iter_rows(min_row=HEADER_ROW, values_only=True))
        assert ra[0] == rb[0] and len(ra) == len(rb), name
        ka = {r[ra[0].index("宗地代码")] for r in ra[1:]}
        kb = {r[rb[0].index("宗地代码")] for r in rb[1:]}
        assert ka == kb, name


# ------------------------------------------------------------- the later stages' sheets

def _later_stage_results():
    """The fixture plus the layers and findings of the stages after ``reclaim`` (values chosen here)."""
    res = make_results()
    res.layers["high_energy_review"] = pd.DataFrame({
        "project_id": ["XM1", "XM2"], "uscc": ["91330521AAAAAAAA1X", "91330521BBBBBBBB2X"], "name": ["甲项目", "乙项目"],
        "parcel_id": [IDS[0], None], "built_year": [2019, 2012], "energy_tce": [1200.0, 6100.0],
        "threshold_tce": [1000.0, 5000.0], "listed": [True, True]})
    res.layers["clusters"] = gpd.GeoDataFrame({
        "cluster_id": ["JJD001"], "parcel_count": [3], "area_mu": [25.5], "enterprise_count": [2],
        "tax_per_mu": [4.2], "d_share": [0.6], "park_distance_m": [820.4], "treatment": ["关停淘汰"],
        "parcel_ids": [f"{IDS[0]};{IDS[1]};{IDS[2]}"], "class_A": [0], "class_B": [1], "class_C": [0], "class_D": [2]},
        geometry=[box(0, 0, 10, 10)], crs="EPSG:4528")
    res.layers["old_parks"] = pd.DataFrame({
        "park_id": ["P9"], "name": ["某老工业园区"], "parcel_count": [4], "area_mu": [40.0], "tax_per_mu": [28.0],
        "floor_area_m2": [40000.0], "far": [40000.0 / (40.0 * 10000 / 15)], "renovated_mu": [12.0]})
    res.layers["land_supply_check"] = pd.DataFrame({
        "year": [2022, 2021], "total_mu": [100.0, 80.0], "industrial_mu": [35.0, 20.0],
        "industrial_share": [0.35, 0.25], "rule_id": ["TT-SUPPLY", "TT-SUPPLY"], "status": ["pass", "fail"]})
    res.layers["subsidies"] = pd.DataFrame({
        "renovation_id": ["JG1", "JG2"], "parcel_id": [IDS[1], IDS[4]], "eval_class": ["A", "C"],
        "equipment_investment": [2500.0, 300.0], "tier": [2, 0], "uplift": [0.25, 0.0], "cap_uplift": [0.30, 0.0],
        "leased_plant_m2": [20000.0, np.nan], "lease_subsidy_wan": [50.0, 0.0]})
    res.findings = concat_findings([
        res.findings,
        make_findings([IDS[2]], "TT-KEEP", "四(二)", "fail", 0.8, 0.5, "比例", "宗地80.0%已规划为非工业用地"),
        make_findings([IDS[3]], "TT-PRE", "四(十三)", "pass", 0.1, 0.25, "比例", "开发投资仅占总投资10.0%"),
        make_findings(["JG1"], "TT-TECH", "四(十一)", "pass", 0.25, np.nan, "比例", "设备投资2500万元(第2档)"),
        make_findings(["XM1", "XM2"], "DQ-HIGH", "三(一)2", "warn", [1200.0, 6100.0], [1000.0, 5000.0], "吨标准煤", "两高"),
        make_findings(["P9"], "DQ-PARK", "三(一)4", "fail", 1.5, 2.0, "", "容积率"),
        make_findings(["P9"], "DQ-PARK", "三(一)4", "fail", 28.0, 30.0, "万元/亩", "亩均税收"),
    ])
    return res


@pytest.fixture()
def later_book(tmp_path):
    res = _later_stage_results()
    return res, load_workbook(write_workbook(res, tmp_path, None, _ws())[0])


def test_later_stage_sheets_present(later_book):
    _res, wb = later_book
    for name in list(COUNTY_SHEETS) + ["工业用地供应比例"]:
        assert name in wb.sheetnames, name
        sh = wb[name]
        assert sh[f"A{HEADER_ROW}"].value == "序号" and sh.freeze_panes in ("A4", "B4")
        assert sh.auto_filter.ref.startswith("A3:")
        assert "规则与条款" in _rows(sh)[0], name
    assert wb.sheetnames[-1] == "数据问题"


def test_high_energy_and_clusters(later_book):
    res, wb = later_book
    header, rows = _rows(wb["两高项目评估清单"])
    for h in ("项目编号", "项目名称", "统一社会信用代码", "宗地代码", "建成年份", "年综合能耗(吨标准煤)", "评估标准(吨标准煤)"):
        assert h in header, h
    data = [r for r in rows if r["序号"] != "合计"]
    assert [r["项目编号"] for r in data] == ["XM2", "XM1"]  # largest consumer first
    assert data[1]["园区"] == "天台经济开发区" and data[1]["宗地代码"] == IDS[0]
    total = next(r for r in rows if r["序号"] == "合计")
    assert total["年综合能耗(吨标准煤)"] == pytest.approx(res.layers["high_energy_review"]["energy_tce"].sum())
    assert data[0]["规则与条款"] == "DQ-HIGH(三(一)2)"
    header, rows = _rows(wb["园区外集聚点"])
    c = rows[0]
    assert c["集聚点编号"] == "JJD001" and c["建议处置方式"] == "关停淘汰"
    assert c["D类用地占比(%)"] == pytest.approx(60.0)
    assert c["宗地代码"] == "、".join(IDS[:3]) and c["D类企业宗地(宗)"] == 2
    assert "geometry" not in header
    sh = wb["园区外集聚点"]
    assert sh.cell(row=HEADER_ROW + 1, column=header.index("占地面积(亩)") + 1).number_format == "#,##0.0000"


def test_old_parks_supply_subsidies(later_book):
    _res, wb = later_book
    _h, rows = _rows(wb["老旧工业园区"])
    park = rows[0]
    assert park["园区名称"] == "某老工业园区"
    assert park["容积率"] == pytest.approx(40000.0 / (40.0 * 10000 / 15), abs=1e-6)
    assert park["容积率核查"] == "不符合" and park["亩均税收核查"] == "不符合"
    _h, rows = _rows(wb["工业用地供应比例"])
    data = [r for r in rows if r["序号"] != "合计"]
    assert [r["年度"] for r in data] == ["2021", "2022"]
    assert data[0]["工业用地占比(%)"] == pytest.approx(20.0 / 80.0 * 100) and data[0]["核查结论"] == "不符合"
    total = next(r for r in rows if r["序号"] == "合计")
    assert total["出让土地面积(亩)"] == pytest.approx(180.0) and total["其中工业用地(亩)"] == pytest.approx(55.0)
    _h, rows = _rows(wb["技改补助测算"])
    data = {r["技改项目编号"]: r for r in rows if r["序号"] != "合计"}
    assert data["JG1"]["补助标准提高(%)"] == pytest.approx(25.0) and data["JG1"]["投资档次"] == "第2档"
    assert data["JG1"]["说明"].startswith("设备投资2500万元")
    assert data["JG2"]["投资档次"] == "未达档"
    total = next(r for r in rows if r["序号"] == "合计")
    assert total["租赁厂房补助(万元)"] == pytest.approx(50.0)


def test_keep_and_preregistration_from_findings(later_book):
    res, wb = later_book
    header, rows = _rows(wb["规划调整与预告登记"])
    for h in ("事项", "宗地代码", "企业名称", "占地面积(亩)", "指标值(%)", "标准(%)", "结论", "说明", "规则与条款"):
        assert h in header, h
    data = {r["宗地代码"]: r for r in rows if r["序号"] != "合计"}
    assert set(data) == {IDS[2], IDS[3]}
    keep = data[IDS[2]]
    assert keep["指标值(%)"] == pytest.approx(80.0) and keep["标准(%)"] == pytest.approx(50.0)
    assert keep["结论"] == "不符合" and keep["规则与条款"] == "TT-KEEP(四(二))"
    p = res.parcels.set_index("parcel_id")
    assert keep["占地面积(亩)"] == pytest.approx(p.loc[IDS[2], "area_mu"], abs=1e-4)
    assert data[IDS[3]]["结论"] == "符合" and data[IDS[3]]["标准(%)"] == pytest.approx(25.0)
    total = next(r for r in rows if r["序号"] == "合计")
    assert total["占地面积(亩)"] == pytest.approx(p.loc[[IDS[2], IDS[3]], "area_mu"].sum(), abs=1e-4)


def test_county_sheets_follow_the_ruleset(tmp_path):
    """A rule the county lacks (only a "无此条款" finding) gives no sheet; a rule it has without data says so."""
    res = make_results()
    res.findings = concat_findings([
        res.findings,
        make_findings(["331023"], "DQ-HIGH", "", "not_applicable", message="本县规则集(tiantai-2022)无此条款,不适用"),
        make_findings(["331023"], "TT-TECH", "四(十一)", "missing_data", message="缺少零增地技改方案图层(renovations)"),
    ])
    wb = load_workbook(write_workbook(res, tmp_path, None, None)[0])
    assert "两高项目评估清单" not in wb.sheetnames and "园区外集聚点" not in wb.sheetnames
    assert wb["技改补助测算"][f"A{HEADER_ROW}"].value == NO_DATA
    assert wb["工业用地供应比例"][f"A{HEADER_ROW}"].value == NO_DATA


# ------------------------------------------------------------- the workbook as handed up (issue 16.6)

def _handed_up(tmp_path):
    """The fixture run inside a workspace folder under tmp_path, with absolute paths in its data problems."""
    res = make_results()
    root = tmp_path / "县局数据"
    res.info.update(workspace=str(root), run_id="20230701T090000-ab12cd", bureau="天台县自然资源和规划局")
    res.layers["data_issues"] = pd.DataFrame({
        "source": [f"{root}/宗地/tiantai.gpkg:parcels", "/home/analyst/Downloads/企业名单.xlsx", "contracts.xlsx"],
        "feature": [IDS[2], "row 7", "row 3"], "kind": ["repaired_geometry", "bad_value", "bad_value"],
        "message": ["自相交面已修复", f"无法读取 {root}/企业/企业名单.xlsx 第 7 行", "日期格式错误 (/tmp/x/y.csv)"]})
    ws = _ws()
    ws.root = root
    return res, load_workbook(write_workbook(res, tmp_path / "out", None, ws)[0])


def test_every_sheet_starts_with_a_title_block(tmp_path):
    _res, wb = _handed_up(tmp_path)
    for sh in wb.worksheets:
        assert sh["A1"].value == f"天台县{sh.title}"
        line = sh["A2"].value
        assert "制表单位：天台县自然资源和规划局" in line
        assert "制表日期：2023-07-01" in line and "数据截止日期：2023-06-30" in line
        if sh[f"A{HEADER_ROW}"].value == NO_DATA:
            continue
        assert sh[f"A{HEADER_ROW}"].value == "序号"
        n = sh.max_row
        assert sh.auto_filter.ref.startswith(f"A{HEADER_ROW}:")
        last = int("".join(ch for ch in sh.auto_filter.ref.split(":")[1] if ch.isdigit()))
        # the filter covers the data, not the 合计 row below it
        assert last == (n - 1 if sh.cell(row=n, column=1).value == "合计" else n)
    low = wb["低效企业与低效用地清单"]
    assert low.freeze_panes == f"B{HEADER_ROW + 1}"
    assert [c.value for c in low[HEADER_ROW]][:4] == ["序号", "区县", "乡镇(街道)", "园区"]
    assert low.cell(row=HEADER_ROW + 1, column=1).value == 1


def test_totals_row_sums_the_data(tmp_path):
    res, wb = _handed_up(tmp_path)
    sh = wb["闲置土地清单"]
    header, rows = _rows(sh)
    total = rows[-1]
    assert total["序号"] == "合计" and total["区县"] == f"共 {len(rows) - 1} 条"
    assert total["土地闲置费(万元)"] == pytest.approx(84.0)
    assert total["占地面积(亩)"] == pytest.approx(res.parcels.set_index("parcel_id").loc[IDS[3], "area_mu"], abs=1e-4)
    assert sh.cell(row=sh.max_row, column=header.index("占地面积(亩)") + 1).number_format == "#,##0.0000"


def test_no_absolute_local_path_anywhere(tmp_path):
    _res, wb = _handed_up(tmp_path)
    root = str(tmp_path)
    for sh in wb.worksheets:
        for row in sh.iter_rows(values_only=True):
            for v in row:
                if isinstance(v, str):
                    assert root not in v and str(Path.cwd()) not in v and "/tmp/" not in v and "/home/" not in v, v
    _h, rows = _rows(wb["数据问题"])
    sources = [r["来源文件"] for r in rows if r["问题类别"] == "输入数据"]
    assert sources == ["宗地/tiantai.gpkg:parcels", "企业名单.xlsx", "contracts.xlsx"]
    messages = [r["说明"] for r in rows if r["问题类别"] == "输入数据"]
    assert messages[1] == "无法读取 企业/企业名单.xlsx 第 7 行" and messages[2] == "日期格式错误 (y.csv)"
    props = " ".join(str(v) for v in vars(wb.properties).values() if v)
    assert root not in props


def test_properties_carry_title_creator_and_run_id(tmp_path):
    _res, wb = _handed_up(tmp_path)
    assert wb.properties.title == "天台县腾笼换鸟清单"
    assert wb.properties.creator == "geo-tenglong"
    assert wb.custom_doc_props["run_id"].value == "20230701T090000-ab12cd"


def test_without_run_id_no_property(tmp_path):
    wb = load_workbook(write_workbook(make_results(), tmp_path, None, None)[0])
    assert "run_id" not in wb.custom_doc_props.names
    assert "制表单位：天台县　" in wb["数据问题"]["A2"].value  # no bureau recorded: the county


def test_rows_streamed_in_chunks_keep_order(tmp_path, monkeypatch):
    """Cell values are made a chunk of rows at a time; the rows and 序号 run on across chunks."""
    from geo_tenglong.report.workbook import writer

    res = make_results()
    whole = load_workbook(write_workbook(res, tmp_path / "a", None, None)[0])
    monkeypatch.setattr(writer, "_CHUNK", 2)
    chunked = load_workbook(write_workbook(res, tmp_path / "b", None, None)[0])
    for name in whole.sheetnames:
        assert list(whole[name].values) == list(chunked[name].values), name
    _h, rows = _rows(chunked["亩均效益评价结果(规上)"])
    assert [r["序号"] for r in rows] == [1, 2, 3, 4, "合计"]
