"""The leadership one-pager, the `report` command and the `run` outputs registration."""

from __future__ import annotations

import unicodedata

import pytest
from click.testing import CliRunner

from geo_tenglong.cli import main
from geo_tenglong.report.onepager import ONEPAGER_FILE, onepager_context, render_onepager, write_onepager
from geo_tenglong.report.pdf import find_chromium, pdf_fonts

from test_reports_fixture import IDS, make_results, make_ws


def test_onepager_figures_and_escaping():
    res = make_results()
    ctx = onepager_context(res, make_ws())
    kpi = {k["l"]: k for k in ctx["kpis"]}
    # the candidate pool is shown as such; the target's progress is the land actually freed (issue 19.5)
    assert kpi["可腾退低效工业用地"]["v"] == "36.5 亩" and "不计为完成" in kpi["可腾退低效工业用地"]["s"]
    assert kpi["已腾出低效工业用地"]["v"] == "12.2 亩" and kpi["已腾出低效工业用地"]["s"] == "目标 200 亩 · 自 2023-06-30"
    t8 = next(t for t in ctx["targets"] if t["rule_id"] == "TT-T8")
    assert t8["value"] == "12.25" and t8["label"] == "腾出低效工业用地(候选 36.5 亩, 不计为完成)"
    assert kpi["闲置土地"]["v"] == "1 宗"
    # top parcels: reclaimable first, idle before others, every one links to its report
    assert [r["parcel_id"] for r in ctx["top"]][:1] == [IDS[3]]
    assert all(r["href"].startswith("reports/") for r in ctx["top"])
    assert ctx["progress_uri"].startswith("data:image/png;base64,") and len(ctx["reclaim_uris"]) == 2
    html = render_onepager(res, make_ws())
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for text in ("目标完成情况", "规上工业亩均税收", "天台经济开发区", "白鹤镇", "重点处置宗地"):
        assert text in html


def test_onepager_links_only_the_reports_written(tmp_path):
    """With ``run --reports fail`` a parcel with only 提示 findings has no report: no dead link to it."""
    from geo_tenglong.report.parcel_report import report_relpath

    res = make_results()
    top = [r["parcel_id"] for r in onepager_context(res, make_ws())["top"]]
    assert len(top) >= 2
    reports = tmp_path / "reports"
    written = reports / report_relpath(top[0])
    written.parent.mkdir(parents=True)
    written.write_text("<html></html>", encoding="utf-8")
    rows = {r["parcel_id"]: r["href"] for r in onepager_context(res, make_ws(), reports)["top"]}
    assert rows[top[0]] == f"reports/{report_relpath(top[0])}"
    assert all(rows[pid] == "" for pid in top[1:])
    html = render_onepager(res, make_ws(), reports)
    assert html.count('href="reports/') == 1


def test_onepager_without_optional_layers():
    res = make_results()
    res.layers.clear()
    html = render_onepager(res, None)
    assert "本次运行无目标对照数据" in html


@pytest.mark.skipif(find_chromium() is None, reason="no Chromium: PDFs are skipped")
def test_onepager_pdf_is_one_a4_page_in_a_cjk_font(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    written = write_onepager(make_results(), tmp_path, None, make_ws())
    pdf = tmp_path / f"{ONEPAGER_FILE}.pdf"
    assert pdf in written
    reader = pypdf.PdfReader(str(pdf))
    assert len(reader.pages) == 1
    assert any("CJK" in f or "NotoSansSC" in f for f in pdf_fonts(pdf))
    assert "攻坚行动" in unicodedata.normalize("NFKC", reader.pages[0].extract_text())


def test_report_command_from_saved_results(tmp_path):
    res = make_results()
    res.write(tmp_path / "out")
    runner = CliRunner()
    out = tmp_path / "reports"
    r = runner.invoke(main, ["report", IDS[0], "--results", str(tmp_path / "out" / "results.gpkg"),
                             "-o", str(out), "--no-pdf", "-q"])
    assert r.exit_code == 0, r.output
    html = (out / f"{IDS[0]}.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;" in html and "<script>alert" not in html
    r = runner.invoke(main, ["report", IDS[1], "../../evil", "-r", str(tmp_path / "out"), "-o", str(out), "--no-pdf", "-q"])
    assert r.exit_code == 1 and "../../evil" in r.output
    assert not (tmp_path / "evil.html").exists()
    r = runner.invoke(main, ["report", "../../evil", "-r", str(tmp_path / "out"), "-o", str(out), "--no-pdf", "-q"])
    assert r.exit_code == 2


def test_run_registers_the_outputs():
    from geo_tenglong.pipeline import OUTPUTS

    names = [n for n, _label, _f in OUTPUTS]
    assert {"workbook", "reports", "onepager"} <= set(names)
    assert names.index("reports") < names.index("map") if "map" in names else True
