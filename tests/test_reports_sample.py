"""Workbook, parcel reports and one-pager on the bundled sample county (skip when absent)."""

from __future__ import annotations

import unicodedata

import pandas as pd
import pytest
from openpyxl import load_workbook

from geo_tenglong.report.onepager import ONEPAGER_FILE, write_onepager
from geo_tenglong.report.parcel_report import flagged_parcels, render_reports_html, write_parcel_reports
from geo_tenglong.report.pdf import find_chromium, pdf_fonts
from geo_tenglong.report.workbook import HEADER_ROW, SHEETS, write_workbook


@pytest.fixture(scope="module")
def sample_ws(sample_dir):
    from geo_tenglong.workspace import load_workspace

    return load_workspace(sample_dir)


def test_sample_workbook_against_pandas(sample_results, sample_ws, tmp_path):
    res = sample_results
    wb = load_workbook(write_workbook(res, tmp_path, None, sample_ws)[0], read_only=True)
    assert [n for n in wb.sheetnames if n in SHEETS] == SHEETS
    rows = list(wb["低效企业与低效用地清单"].iter_rows(min_row=HEADER_ROW, values_only=True))
    header, data = rows[0], [r for r in rows[1:] if r[0] != "合计"]
    p = res.parcels
    flag = pd.Series(False, index=p.index)
    for c in ("low_efficiency", "reclaimable"):
        if c in p:
            flag |= p[c].fillna(False).astype(bool)
    assert len(data) == int(flag.sum())
    col = header.index("占地面积(亩)")
    assert sum(r[col] or 0 for r in data) == pytest.approx(p.loc[flag, "area_mu"].sum(), abs=1e-3)
    ev = res.layers.get("enterprise_eval")
    if ev is not None and len(ev):
        last = ev[ev["year"] == ev["year"].max()]
        big = [r for r in wb["亩均效益评价结果(规上)"].iter_rows(min_row=HEADER_ROW + 1, values_only=True) if r[0] != "合计"]
        assert len(big) == int((last["scale"] == "规上").sum())


def test_sample_markup_name_is_escaped(sample_results, sample_ws):
    p = sample_results.parcels
    names = p.get("owner_name", pd.Series(dtype=object)).astype(str)
    hit = p[names.str.contains("<script>", regex=False)]
    if not len(hit):
        pytest.skip("the sample has no enterprise name with markup on a parcel")
    html, _ = render_reports_html(sample_results, [str(hit["parcel_id"].iloc[0])], sample_ws)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.skipif(find_chromium() is None, reason="no Chromium: PDFs are skipped")
def test_sample_report_and_onepager_pdfs(sample_results, sample_ws, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    pid = flagged_parcels(sample_results)[0]
    write_parcel_reports(sample_results, [pid], tmp_path / "reports", sample_ws)
    from geo_tenglong.report.parcel_report import report_relpath

    pdf = tmp_path / "reports" / report_relpath(pid, ".pdf")
    assert any("CJK" in f for f in pdf_fonts(pdf))
    assert pid in unicodedata.normalize("NFKC", pypdf.PdfReader(str(pdf)).pages[0].extract_text())
    write_onepager(sample_results, tmp_path, None, sample_ws)
    one = tmp_path / f"{ONEPAGER_FILE}.pdf"
    reader = pypdf.PdfReader(str(one))
    assert len(reader.pages) == 1 and any("CJK" in f for f in pdf_fonts(one))
