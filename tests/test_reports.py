"""Parcel reports: escaping, safe file names, the 界址点成果表, and PDFs with CJK fonts."""

from __future__ import annotations

import re
import unicodedata

import pytest
from shapely.geometry import Polygon, box

from geo_tenglong.errors import InputError
from geo_tenglong.report.parcel_report import (
    ATLAS_FILE,
    INDEX_FILE,
    corner_table,
    flagged_parcels,
    render_reports_html,
    report_path,
    report_relpath,
    write_parcel_reports,
)
from geo_tenglong.report.pdf import find_chromium, pdf_fonts
from geo_tenglong.report.report_index import INDEX_DIR

from test_reports_fixture import IDS, make_results, make_ws

needs_chromium = pytest.mark.skipif(find_chromium() is None, reason="no Chromium: PDFs are skipped")


@pytest.mark.parametrize("pid", ["../../etc/passwd", "..", ".", "", "a/b", "a\\b", "C:\\x", "/abs/path", "CON",
                                 "a b\x00c", "<script>", "宗地/../一号", "x" * 500, "\u2025/x"])
def test_report_relpath_never_escapes(tmp_path, pid):
    rel = report_relpath(pid)
    assert "/" not in rel and "\\" not in rel and not rel.startswith(".")
    assert rel.endswith(".html") and len(rel) < 120
    assert re.fullmatch(r"[0-9A-Za-z_\-\u4e00-\u9fff]+\.html", rel)
    path = report_path(tmp_path, pid)
    assert path.parent == tmp_path.resolve()


def test_report_relpath_keeps_plain_ids_and_separates_lookalikes():
    assert report_relpath(IDS[0]) == f"{IDS[0]}.html"
    assert report_relpath(IDS[0], ".pdf") == f"{IDS[0]}.pdf"
    assert report_relpath("a/b") != report_relpath("a_b") != report_relpath("a:b")


def test_corner_table_clockwise_from_north_west():
    t = corner_table(box(0, 0, 30, 20))
    assert list(t["点号"]) == ["J1", "J2", "J3", "J4", "J1"]
    assert (t.iloc[0]["Y"], t.iloc[0]["X"]) == (0, 20)  # Y easting, X northing: NW corner first
    assert (t.iloc[1]["Y"], t.iloc[1]["X"]) == (30, 20)  # then east along the north side (clockwise)
    assert list(t["边长"].iloc[:4]) == [30, 20, 30, 20]
    holed = Polygon(box(0, 0, 30, 30).exterior.coords, [box(10, 10, 20, 20).exterior.coords])
    t = corner_table(holed)
    assert t["圈号"].max() == 2 and len(t) == 10


def test_html_escapes_user_text_and_has_every_part():
    res = make_results()
    html, pages = render_reports_html(res, [IDS[0]], make_ws())
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    for text in ("界址点成果表", "J4", "TT-T4", "二、主要目标", "天台经济开发区", "始丰街道", "12.0000 亩",
                 "8,000.00 平方米", "<svg", "D类", "倒逼整治类"):
        assert text in html, text
    # every finding of the parcel, plus the corner plot next to it
    assert len(pages[0]["findings"]) == 3
    assert any(f["feature"] == "关联对象 FR-1" for f in pages[0]["findings"])


def test_unknown_parcel_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="不存在"):
        write_parcel_reports(make_results(), ["331023999999XX99999"], tmp_path, pdf=False)


def test_flagged_parcels_are_those_with_fail_or_warn():
    assert flagged_parcels(make_results()) == [IDS[0], IDS[2], IDS[3]]


def test_html_only_without_chromium(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GEO_TENGLONG_CHROMIUM", "none")
    import geo_tenglong.report.pdf as pdfmod

    monkeypatch.setattr(pdfmod, "_warned", set())
    written = write_parcel_reports(make_results(), [IDS[0], IDS[3]], tmp_path, make_ws(), atlas=True, index=True)
    top = sorted(p.name for p in written if p.parent == tmp_path)  # the townships' pages go to reports/index/
    assert top == sorted([f"{IDS[0]}.html", f"{IDS[3]}.html", INDEX_FILE])
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "PDF skipped" in err[0] and "未找到" not in err[0], err


def test_one_line_when_no_chromium_is_found(tmp_path, monkeypatch, capsys):
    import geo_tenglong.report.pdf as pdfmod

    monkeypatch.setenv("GEO_TENGLONG_CHROMIUM", str(tmp_path / "no-such-browser"))
    monkeypatch.setattr(pdfmod, "_warned", set())
    write_parcel_reports(make_results(), [IDS[0], IDS[3]], tmp_path, make_ws(), atlas=True, index=True)
    monkeypatch.delenv("GEO_TENGLONG_CHROMIUM")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(pdfmod, "_warned", set())
    write_parcel_reports(make_results(), [IDS[0]], tmp_path / "b", make_ws())
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "no-such-browser" in err[0] and "未找到 Chromium" in err[1], err


@needs_chromium
def test_pdf_reports_use_a_cjk_font(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    res = make_results()
    written = write_parcel_reports(res, flagged_parcels(res), tmp_path, make_ws(), atlas=True, index=True)
    names = {p.name for p in written}
    assert ATLAS_FILE in names and f"{IDS[0]}.pdf" in names and f"{IDS[3]}.pdf" in names
    one = tmp_path / f"{IDS[0]}.pdf"
    fonts = pdf_fonts(one)
    assert any("CJK" in f or "NotoSansSC" in f or "SourceHan" in f for f in fonts), fonts
    reader = pypdf.PdfReader(str(one))
    assert len(reader.pages) == 1
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert abs(width - 595) < 3 and abs(height - 842) < 3  # A4 in points
    text = unicodedata.normalize("NFKC", reader.pages[0].extract_text())
    assert "宗地分析报告" in text and "界址点成果表" in text
    assert "<script>alert(1)</script>" in text  # shown as text, not run
    atlas = pypdf.PdfReader(str(tmp_path / ATLAS_FILE))
    assert [o.title for o in atlas.outline if not isinstance(o, list)][0].startswith("宗地分析报告")
    assert len(atlas.pages) >= 3


@needs_chromium
def test_run_output_writes_html_atlas_and_index(tmp_path):
    from geo_tenglong.report.parcel_report import write_reports

    res = make_results()
    written = write_reports(res, tmp_path, None, make_ws())
    reports = tmp_path / "reports"
    top = {p.name for p in written if p.parent == reports}
    assert top == {f"{i}.html" for i in flagged_parcels(res)} | {ATLAS_FILE, INDEX_FILE}
    assert all(p.parent in (reports, reports / INDEX_DIR) for p in written)
    index = (reports / INDEX_FILE).read_text(encoding="utf-8")
    assert f"{ATLAS_FILE}#page=1" in index and "&lt;script&gt;" in index


def test_empty_geometry_still_gets_a_report():
    from shapely.geometry import Polygon

    res = make_results()
    res.parcels.loc[0, "geometry"] = Polygon()
    html, _pages = render_reports_html(res, [IDS[0]], make_ws())
    assert "未能绘制位置图" in html and "TT-T4" in html


@needs_chromium
def test_atlas_printed_in_chunks_keeps_one_outline_entry_per_parcel(tmp_path, monkeypatch):
    pypdf = pytest.importorskip("pypdf")
    import geo_tenglong.report.parcel_report as pr

    monkeypatch.setattr(pr, "ATLAS_CHUNK", 2)
    res = make_results()
    ids = flagged_parcels(res)
    written = write_parcel_reports(res, ids, tmp_path, make_ws(), atlas=True, index=True)
    atlas = pypdf.PdfReader(str(tmp_path / ATLAS_FILE))
    assert len([o for o in atlas.outline if not isinstance(o, list)]) == len(ids) == 3
    assert {f"{i}.pdf" for i in ids} <= {p.name for p in written}
    index = (tmp_path / INDEX_FILE).read_text(encoding="utf-8")
    assert index.count(f"{ATLAS_FILE}#page=") == 3


def test_share_thresholds_given_as_ratios_are_compared_in_percent():
    from geo_tenglong.findings import concat_findings, make_findings

    res = make_results()
    res.findings = concat_findings([res.findings[res.findings.rule_id != "NAT-COVER"],
                                    make_findings([IDS[0]], "NAT-COVER", "x", "fail", 0.22, 0.3, "", "建筑系数不足")])
    _html, pages = render_reports_html(res, [IDS[0]], make_ws())
    cover = [r for r in pages[0]["indicators"] if r["label"] == "建筑系数"][0]
    assert cover["value"] == "22.00" and cover["target"] == "≥30" and cover["note"] == "未达要求"


def test_a_fragment_concerns_the_parcels_it_neighbours_without_offers():
    """The fragments' ``neighbours`` records (JSON) name the parcels a plot touches: a report links
    the plot to them even when no offer was made (the old reading took each record as an id)."""
    from geo_tenglong.report.parcel_report import _Context

    res = make_results()
    res.layers.pop("fragment_offers")
    related = _Context(res, make_ws())._related()
    assert related[IDS[0]] >= {"FR-1"} and related[IDS[1]] >= {"FR-1"}
    assert not any(pid.startswith("{") for pid in related)
