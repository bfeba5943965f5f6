"""The Excel workbook: sheets, headers, formats and values against an independent computation."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from geo_tenglong.report.workbook import NO_DATA, SHEETS, WORKBOOK_FILE, write_workbook

from test_reports_fixture import EVIL, IDS, make_results, make_ws


@pytest.fixture()
def book(tmp_path):
    res = make_results()
    paths = write_workbook(res, tmp_path, None, make_ws())
    assert paths == [tmp_path / WORKBOOK_FILE]
    return res, load_workbook(paths[0])


def _rows(sheet):
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    return header, [dict(zip(header, r)) for r in rows[1:]]


def test_every_sheet_present_in_order(book):
    _res, wb = book
    names = wb.sheetnames
    assert [n for n in names if n in SHEETS] == SHEETS
    for name in SHEETS:
        sh = wb[name]
        assert sh.freeze_panes in ("A2", "B2")
        assert sh.auto_filter.ref.startswith("A1:")


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
    assert sh.cell(row=2, column=col).number_format == "#,##0.0000"


def test_low_efficiency_list_and_totals(book):
    res, wb = book
    header, rows = _rows(wb["低效企业与低效用地清单"])
    assert "规则与条款" in header and "占地面积(亩)" in header
    data = [r for r in rows if r["序号"] != "合计"]
    p = res.parcels
    expected = p[p.low_efficiency | p.reclaimable]
    assert sorted(r["宗地代码"] for r in data) == sorted(expected.parcel_id)
    total = [r for r in rows if r["序号"] == "合计"][0]
    assert total["占地面积(亩)"] == pytest.approx(expected.area_mu.sum(), abs=1e-4)
    first = [r for r in data if r["宗地代码"] == IDS[0]][0]
    assert "TT-T4(二、主要目标)" in first["规则与条款"]
    assert first["企业名称"] == EVIL


def test_idle_and_issue_sheets(book):
    res, wb = book
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
        assert wb[name]["A1"].value == NO_DATA


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
        ra = list(a[name].iter_rows(values_only=True))
        rb = list(b[name].iter_rows(values_only=True))
        assert ra[0] == rb[0] and len(ra) == len(rb), name
        ka = {r[ra[0].index("宗地代码")] for r in ra[1:]}
        kb = {r[rb[0].index("宗地代码")] for r in rb[1:]}
        assert ka == kb, name
