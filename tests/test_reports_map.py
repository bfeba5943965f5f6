"""The parcel map of a report as inline SVG: geometry placed north up, clipped, escaped, and printable."""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from shapely.geometry import Polygon, box

from geo_tenglong.report.map_svg import MAP_HEIGHT, MAP_WIDTH, MAX_LABELS, nice_length, parcel_map_svg
from geo_tenglong.report.pdf import find_chromium, html_to_pdf

NS = {"s": "http://www.w3.org/2000/svg"}


def _tree(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # also proves the SVG is well-formed XML


def _groups(svg: str, stroke: str) -> list[ET.Element]:
    return [g for g in _tree(svg).iter("{http://www.w3.org/2000/svg}g") if g.get("stroke") == stroke]


def _points(d: str) -> np.ndarray:
    return np.array([[float(v) for v in p.split(",")] for p in re.findall(r"-?[\d.]+,-?[\d.]+", d)])


def test_parcel_is_centred_north_up_and_to_scale():
    parcel = box(1000, 5000, 1100, 5060)  # 100 m wide, 60 m tall
    svg = parcel_map_svg(parcel)
    (g,) = _groups(svg, "#c0392b")
    pts = _points(g.find("s:path", NS).get("d"))
    assert len(pts) == 4  # the closing point is left to Z
    centre = pts.mean(axis=0)
    assert centre == pytest.approx([MAP_WIDTH / 2, MAP_HEIGHT / 2], abs=0.1)
    width_px = pts[:, 0].max() - pts[:, 0].min()
    height_px = pts[:, 1].max() - pts[:, 1].min()
    assert width_px / height_px == pytest.approx(100 / 60, rel=0.01)  # same scale both ways
    # north up: the northern edge (y = 5060) is drawn at the top (smaller SVG y)
    (dot,) = _tree(parcel_map_svg(parcel, corner_xy=[(1000, 5060)], labels=["J1"])).findall(".//s:circle", NS)
    assert (float(dot.get("cx")), float(dot.get("cy"))) == pytest.approx((pts[:, 0].min(), pts[:, 1].min()), abs=0.1)


def test_holes_are_subpaths_of_one_evenodd_path():
    holed = Polygon(box(0, 0, 100, 100).exterior.coords, [box(40, 40, 60, 60).exterior.coords])
    svg = parcel_map_svg(holed)
    (g,) = _groups(svg, "#c0392b")
    assert g.get("fill-rule") == "evenodd"
    (path,) = g.findall("s:path", NS)
    assert path.get("d").count("M") == 2 and path.get("d").count("Z") == 2


def test_far_features_are_cut_to_the_frame():
    parcel = box(0, 0, 50, 50)
    huge = box(-100_000, -100_000, 100_000, -10)  # a road parcel running far out of view
    far = box(90_000, 90_000, 90_010, 90_010)  # entirely outside
    svg = parcel_map_svg(parcel, neighbours=[huge, far], buildings=[box(10, 10, 20, 20)], plots=[box(-20, 0, -5, 10)])
    (g,) = _groups(svg, "#8c8c8c")
    paths = g.findall("s:path", NS)
    assert len(paths) == 1  # the far one is gone
    pts = _points(paths[0].get("d"))
    assert pts[:, 0].min() > -0.1 * MAP_WIDTH and pts[:, 0].max() < 1.1 * MAP_WIDTH
    assert len(_groups(svg, "#2c3e50")) == 1 and len(_groups(svg, "#b9770e")) == 1


def test_labels_are_escaped_and_thinned():
    ring = [(50 + 40 * np.cos(a), 50 + 40 * np.sin(a)) for a in np.linspace(0, 2 * np.pi, 100, endpoint=False)]
    labels = [f"J{k}" for k in range(1, 101)]
    labels[0] = "<script>alert(1)</script>"
    svg = parcel_map_svg(Polygon(ring), corner_xy=ring, labels=labels, uid='x"><script>')
    assert "<script" not in svg
    assert "&lt;script&gt;" in svg
    texts = [t.text for t in _tree(svg).iter("{http://www.w3.org/2000/svg}text")]
    corner_labels = [t for t in texts if t and (t.startswith("J") or t.startswith("<"))]
    assert 1 < len(corner_labels) <= MAX_LABELS
    assert len(_tree(svg).findall(".//s:circle", NS)) == 100  # every point is drawn


@pytest.mark.parametrize(("span", "length"), [(230.0, 50.0), (90.0, 20.0), (41.0, 10.0), (8000.0, 2000.0)])
def test_scale_bar_length_is_round(span, length):
    assert nice_length(span) == length


def test_scale_bar_is_drawn_to_scale():
    parcel = box(0, 0, 200, 100)
    svg = parcel_map_svg(parcel)
    (g,) = _groups(svg, "#000")
    rects = g.findall("s:rect", NS)
    bar_px = sum(float(r.get("width")) for r in rects)
    (pg,) = _groups(svg, "#c0392b")
    pts = _points(pg.find("s:path", NS).get("d"))
    px_per_m = (pts[:, 0].max() - pts[:, 0].min()) / 200
    label = next(t.text for t in _tree(svg).iter("{http://www.w3.org/2000/svg}text") if t.text and "米" in t.text)
    metres = float(label.split()[0])
    assert bar_px == pytest.approx(metres * px_per_m, rel=0.01)


@pytest.mark.skipif(find_chromium() is None, reason="no Chromium: PDFs are skipped")
def test_chinese_text_of_the_map_is_printed(tmp_path):
    from pypdf import PdfReader

    from geo_tenglong.report.fonts import font_face_css

    svg = parcel_map_svg(box(0, 0, 120, 80), corner_xy=[(0, 80)], labels=["J1"])
    page = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><style>{font_face_css()}'
            f'svg {{ width: 104mm; }}</style></head><body>{svg}</body></html>')
    src = tmp_path / "map.html"
    src.write_text(page, encoding="utf-8")
    pdf = html_to_pdf(src, tmp_path / "map.pdf")
    assert pdf is not None
    # NFKC: the font's cmap may map 米's glyph to the Kangxi radical ⽶ (U+2F76) on extraction
    text = unicodedata.normalize("NFKC", PdfReader(str(pdf)).pages[0].extract_text())
    assert "北" in text and "米" in text and "J1" in text
