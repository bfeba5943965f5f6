"""The charts and PDFs are set in the Noto Sans SC the package installs, with no CJK font on the system."""

from __future__ import annotations

import unicodedata
import warnings
from pathlib import Path

import pytest

from geo_tenglong.report import figures
from geo_tenglong.report.fonts import BUNDLED_FAMILY, bundled_font, cjk_font, font_face_css
from geo_tenglong.report.onepager import ONEPAGER_FILE, render_onepager, write_onepager
from geo_tenglong.report.parcel_report import render_reports_html
from geo_tenglong.report.pdf import find_chromium, pdf_fonts

from test_reports_fixture import IDS, make_results, make_ws

needs_chromium = pytest.mark.skipif(find_chromium() is None, reason="no Chromium: PDFs are skipped")

_NO_CJK_FONTCONFIG = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>{dirs}<cachedir>{cache}</cachedir></fontconfig>
"""


def _fontconfig_without_cjk(tmp_path: Path) -> Path:
    """A fontconfig file that knows only DejaVu (if present): no CJK font at all."""
    dejavu = Path("/usr/share/fonts/truetype/dejavu")
    conf = tmp_path / "fonts.conf"
    conf.write_text(_NO_CJK_FONTCONFIG.format(dirs=f"<dir>{dejavu}</dir>" if dejavu.is_dir() else "",
                                              cache=tmp_path / "fc-cache"), encoding="utf-8")
    return conf


def test_the_bundled_font_is_installed_and_covers_the_reports_text():
    from matplotlib.ft2font import FT2Font

    path = bundled_font()
    assert path is not None, "pylopdf-fonts-zh-cn is a dependency: pip install geo-tenglong installs it"
    charmap = FT2Font(str(path)).get_charmap()
    text = "腾笼换鸟凤凰涅槃亩均效益评价宗地分析报告闲置土地零星边角地夹心地界址点成果表园区乡镇街道可腾退㎡²≤≥—…"
    assert [c for c in text if ord(c) not in charmap] == []


def test_matplotlib_uses_the_bundled_font_file():
    from matplotlib import font_manager

    name, path = cjk_font()
    assert name == BUNDLED_FAMILY and Path(path) == bundled_font()
    chosen = font_manager.findfont(font_manager.FontProperties(family=figures.font_family()),
                                   fallback_to_default=False)
    assert Path(chosen) == bundled_font()


def test_charts_raise_no_glyph_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = figures.bar_chart(["天台经济开发区", "坦头镇", "平桥镇 ㎡ ≤ 10 亩"], [12.5, 3.25, 1.0],
                                title="可腾退用地(亩)≥ 1/3", unit="亩")
    assert png[:4] == b"\x89PNG"
    assert [str(w.message) for w in caught if "Glyph" in str(w.message) or "missing" in str(w.message)] == []


def test_report_and_onepager_html_carry_the_font_face():
    css = font_face_css()
    assert css.startswith("@font-face") and f'"{BUNDLED_FAMILY}"' in css and bundled_font().as_uri() in css
    html, _pages = render_reports_html(make_results(), [IDS[0]], make_ws())
    assert css in html
    assert css in render_onepager(make_results(), make_ws())


@needs_chromium
def test_pdfs_embed_the_bundled_font_without_any_system_cjk_font(tmp_path, monkeypatch):
    pypdf = pytest.importorskip("pypdf")
    monkeypatch.setenv("FONTCONFIG_FILE", str(_fontconfig_without_cjk(tmp_path)))
    written = write_onepager(make_results(), tmp_path, None, make_ws())
    pdf = tmp_path / f"{ONEPAGER_FILE}.pdf"
    assert pdf in written
    fonts = pdf_fonts(pdf)
    assert any("NotoSansSC" in f for f in fonts), fonts
    assert not any("CJK" in f for f in fonts), fonts  # the system's Noto Sans CJK was hidden
    text = unicodedata.normalize("NFKC", pypdf.PdfReader(str(pdf)).pages[0].extract_text())
    assert "攻坚行动" in text


def test_a_character_no_font_has_is_one_line_not_a_warning_per_glyph(capsys, monkeypatch):
    monkeypatch.setattr(figures, "_missing_glyphs_told", set())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figures.bar_chart(["园区\U0001F3ED", "\U0001F3ED\U0001F3ED镇"], [1.0, 2.0], title="\U0001F3ED")
        figures.bar_chart(["\U0001F3ED"], [1.0])
    assert [str(w.message) for w in caught if "Glyph" in str(w.message)] == []
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "\U0001F3ED" in err[0], err
