"""The briefing web map: styling, geometry encoding, GCJ-02, escaping, offline assets, basemaps.

The results come from ``tests/map_results.py`` (every column the results schema declares for the
layers the map draws) or from a small real run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from geo_tenglong.errors import InputError
from geo_tenglong.results import Results
from geo_tenglong.webmap import assets, briefing, payload, styles
from geo_tenglong.webmap.basemaps import raster_basemap, resolve_basemap
from geo_tenglong.webmap.gcj02 import gcj02_to_wgs84, shift_geometries, wgs84_to_gcj02

from map_results import CRS, EVIL_NAME, check_against_schema, map_results, map_workspace, origin

CDN_HOSTS = ("cdn.jsdelivr", "code.jquery", "cdnjs.cloudflare", "bootstrapcdn", "unpkg.com", "googleapis")


def payload_of(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="gt-data">(.*?)</script>', html, re.DOTALL)
    assert m, "no data block"
    return json.loads(m.group(1))


def decode_flat(flat, scale=briefing.COORD_SCALE):
    xy = np.cumsum(np.asarray(flat, dtype=np.int64).reshape(-1, 2), axis=0)
    return xy / scale


@pytest.fixture(scope="module")
def synth():
    res = map_results(60)
    check_against_schema(res)
    return res, map_workspace(res)


@pytest.fixture(scope="module")
def html(synth):
    res, ws = synth
    return briefing.render_briefing_html(res, ws=ws)


# ------------------------------------------------------------------------------ GCJ-02

# (WGS-84 lon, lat) → (GCJ-02 lon, lat): eviltransform's published test cases and coordtransform's
# README example.
KNOWN_PAIRS = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),  # 上海
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),  # 深圳
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),  # 北京
    ((116.404, 39.915), (116.41024449916938, 39.91640428150164)),
]


@pytest.mark.parametrize("wgs, gcj", KNOWN_PAIRS)
def test_wgs84_to_gcj02_known_pairs(wgs, gcj):
    lon, lat = wgs84_to_gcj02(*wgs)
    assert abs(lon - gcj[0]) < 1e-7 and abs(lat - gcj[1]) < 1e-7  # ~1 cm


@pytest.mark.parametrize("wgs, gcj", KNOWN_PAIRS)
def test_gcj02_to_wgs84_inverts(wgs, gcj):
    lon, lat = gcj02_to_wgs84(*gcj)
    assert abs(lon - wgs[0]) < 1e-8 and abs(lat - wgs[1]) < 1e-8


def test_gcj02_shift_size_near_tiantai_and_none_abroad():
    lon, lat = wgs84_to_gcj02(121.03, 29.14)
    # a few hundred metres, mostly east-west, as everywhere in eastern China
    dx = (lon - 121.03) * 111_320 * np.cos(np.radians(29.14))
    dy = (lat - 29.14) * 110_574
    assert 200 < np.hypot(dx, dy) < 800
    lon, lat = wgs84_to_gcj02(np.array([2.35, -74.0]), np.array([48.85, 40.7]))  # Paris, New York
    assert lon.tolist() == [2.35, -74.0] and lat.tolist() == [48.85, 40.7]


def test_shift_geometries_moves_every_vertex():
    poly = box(121.0, 29.0, 121.01, 29.01)
    out = shift_geometries([poly])[0]
    ex, ey = wgs84_to_gcj02(np.array([121.0]), np.array([29.0]))
    assert out.bounds[0] == pytest.approx(ex[0]) and out.bounds[1] == pytest.approx(ey[0])
    back = shift_geometries([out], to_gcj02=False)[0]
    assert shapely.equals_exact(back, poly, tolerance=1e-9)


# ------------------------------------------------------------------------------ styling

def test_parcel_classes_and_unrated():
    df = pd.DataFrame({"eval_class": ["A", "b", "C", "D", None, "", "X"]})
    codes = styles.classify_parcels(df)
    keys = [styles.PARCEL_CATEGORIES[c].key for c in codes]
    assert keys == ["A", "B", "C", "D", "none", "none", "none"]
    assert styles.PARCEL_CATEGORIES[0].label == "A类 优先发展类"
    assert styles.PARCEL_CATEGORIES[3].label == "D类 倒逼整治类"
    # absent column: every parcel unrated, nothing raised
    assert set(styles.classify_parcels(pd.DataFrame({"x": [1, 2]}))) == {4}


def test_reclaimable_stands_out():
    rec = styles.RECLAIM_CATEGORIES[0].style
    weights = [c.style["weight"] for c in styles.PARCEL_CATEGORIES]
    assert rec["weight"] > max(weights) and rec["fillColor"] not in {c.style["fillColor"] for c in styles.PARCEL_CATEGORIES}
    mask = styles.reclaimable_mask(pd.DataFrame({"reclaimable": pd.array([True, False, None, True], dtype="boolean")}))
    assert mask.tolist() == [True, False, False, True]
    # read back from a GeoPackage a bool may be 0/1; text goes through the one yes/no vocabulary (values.py)
    assert styles.reclaimable_mask(pd.DataFrame({"reclaimable": [1, 0, None]})).tolist() == [True, False, False]
    assert styles.reclaimable_mask(pd.DataFrame({"reclaimable": ["是", "否", "待定"]})).tolist() == [True, False, False]


def test_idle_states_running_only_with_a_clock():
    # issue 14.5: 计时中 only when a clock runs (contract rule, days on it) and the land is not yet idle
    df = pd.DataFrame({"idle_rule": pd.array(["NAT-IDLE-1", "NAT-IDLE-1", "NAT-IDLE-2", "NAT-IDLE-1", None, "IDLE-IMG",
                                              "NAT-IDLE-1", None], dtype="string"),
                       "idle_tier": [0, 0, 1, 2, 0, None, 1, None],
                       "idle_days": [120.0, 0.0, 400.0, 800.0, None, None, 500.0, 30.0],
                       "idle_gov_cause": pd.array([None, None, None, None, None, None, "规划调整", None], dtype="string")})
    assert list(styles.idle_state(df)) == ["running", "none", "1", "2", "none", "image", "gov", "none"]
    keys = [styles.IDLE_CATEGORIES[c].key for c in styles.classify_idle(df)]
    assert keys == ["running", "none", "1", "2", "none", "image", "gov", "none"]
    labels = styles.idle_labels(df)
    assert labels[0].startswith("计时中") and labels[1] is None and labels[4] is None
    assert sum(1 for x in labels if x and x.startswith("计时中")) == 1


def test_only_running_clocks_say_running_on_parcels(synth):
    res, ws = synth
    layers = payload.collect_layers(res, map_workspace(res).layers)
    idle = layers["parcels"]["_idle"]
    assert idle.iloc[0].startswith("计时中") and idle.iloc[1].startswith("闲置满一年")
    assert idle.iloc[2].startswith("政府原因")
    # every other parcel is tier 0 without a clock (completed ones included): no idle row at all
    assert idle.iloc[3:].isna().all() and (res.parcels["idle_tier"].iloc[3:] == 0).all()
    data = payload_of(briefing.render_briefing_html(res, ws=ws))
    parcels = next(lp for lp in data["layers"] if lp["name"] == "parcels")
    assert ["_idle", "闲置土地", "text"] in parcels["fields"] and "idle_tier" not in parcels["cols"]
    running = [v for v in _column(parcels["cols"]["_idle"]) if v and v.startswith("计时中")]
    assert len(running) == 1


def test_fragment_type_and_eligibility():
    df = pd.DataFrame({"kind": ["边角地", "夹心地", "夹心地", "狭长碎片", "边角地"],
                       "compliant": pd.array([True, True, False, None, False], dtype="boolean")})
    keys = [styles.FRAGMENT_CATEGORIES[c].key for c in styles.classify_fragments(df)]
    assert keys == ["corner_ok", "enclosed_ok", "enclosed_no", "corner_na", "corner_no"]
    # the declared columns only: no guessing at "fragment_type" or "eligible"
    guessed = pd.DataFrame({"fragment_type": ["夹心地"], "eligible": [True]})
    assert styles.FRAGMENT_CATEGORIES[styles.classify_fragments(guessed)[0]].key == "corner_na"
    no_cols = styles.classify_fragments(pd.DataFrame({"a": [1]}))
    assert styles.FRAGMENT_CATEGORIES[no_cols[0]].key == "corner_na"


def test_proposal_verdicts():
    df = pd.DataFrame({"verdict": ["pass", "fail", "warn", "not_applicable", "missing_data", "不符合", "???"]})
    keys = [styles.SPLIT_CATEGORIES[c].key for c in styles.classify_verdict(df)]
    assert keys == ["pass", "fail", "warn", "not_applicable", "missing_data", "unknown", "unknown"]
    assert set(styles.classify_verdict(pd.DataFrame({"status": ["pass"]}))) == {len(styles._VERDICT_ORDER)}
    assert styles.SPLIT_CATEGORIES[0].label == "分割方案符合"
    assert styles.MERGE_CATEGORIES[2].label == "合并方案不符合"


def test_every_style_is_complete():
    for spec in styles.LAYER_STYLES:
        assert spec.pane in styles.PANES
        for cat in spec.categories:
            assert {"color", "weight", "fillColor", "fillOpacity"} <= set(cat.style)
            assert re.fullmatch(r"#[0-9a-f]{6}", cat.style["fillColor"])


# ------------------------------------------------------------------------------ geometry encoding

def test_encode_polygon_with_hole_and_multipolygon_roundtrip():
    outer = [(121.0, 29.0), (121.001, 29.0), (121.001, 29.001), (121.0, 29.001)]
    hole = [(121.0002, 29.0002), (121.0004, 29.0002), (121.0004, 29.0004)]
    poly = Polygon(outer, [hole])
    multi = MultiPolygon([box(121.01, 29.01, 121.011, 29.011), box(121.02, 29.02, 121.0201234567, 29.021)])
    feats, kinds = briefing.encode_geometries([poly, multi, None, Polygon()])
    assert kinds is None
    assert len(feats[0]) == 1 and len(feats[0][0]) == 2  # one polygon, two rings
    np.testing.assert_allclose(decode_flat(feats[0][0][0]), outer, atol=5e-7)
    np.testing.assert_allclose(decode_flat(feats[0][0][1]), hole, atol=5e-7)
    assert len(feats[1]) == 2
    assert decode_flat(feats[1][1][0]).max(axis=0)[0] == pytest.approx(121.020123, abs=1e-9)  # 6 decimals
    assert feats[2] == [] and feats[3] == []


def test_encode_mixed_kinds():
    feats, kinds = briefing.encode_geometries([box(0, 0, 1, 1), LineString([(0, 0), (1, 2)]), Point(3, 4)])
    assert kinds == [2, 1, 0]
    np.testing.assert_allclose(decode_flat(feats[1][0]), [[0, 0], [1, 2]])
    np.testing.assert_allclose(decode_flat(feats[2][0]), [[3, 4]])


def test_coordinates_are_rounded_to_decimetres(html):
    data = payload_of(html)
    parcels = next(lp for lp in data["layers"] if lp["name"] == "parcels")
    assert data["scale"] == 1_000_000
    assert all(isinstance(v, int) for v in parcels["geom"][0][0][0])
    first = decode_flat(parcels["geom"][0][0][0])[0]
    assert 121.0 < first[0] < 121.1 and 29.1 < first[1] < 29.2


def test_simplify_keeps_shared_edges(synth):
    res, _ = synth
    parcels = res.parcels.copy()
    # two neighbours sharing a wiggly edge
    left = Polygon([(0, 0), (10, 0), (10.2, 5), (10, 10), (0, 10)])
    right = Polygon([(10, 0), (20, 0), (20, 10), (10, 10), (10.2, 5)])
    out = payload._simplify(gpd.GeoSeries([left, right], crs=parcels.crs), 2.0, coverage=True)
    a, b = out.iloc[0], out.iloc[1]
    assert shapely.get_num_coordinates(a) < shapely.get_num_coordinates(left)  # the wiggle went
    assert a.intersection(b).area == pytest.approx(0.0, abs=1e-9)  # no overlap
    assert a.union(b).area == pytest.approx(200.0, abs=1e-6)  # and no gap: the edge moved for both


# ------------------------------------------------------------------------------ offline, escaping

def test_page_is_self_contained(html):
    assert "<link" not in html
    assert not re.search(r'<script[^>]+src=', html)
    for host in CDN_HOSTS:
        assert host not in html
    assert not re.search(r"url\((?!data:|#default#VML)", html)
    assert "L.canvas" in html and "leaflet" in html.lower()


def test_names_from_data_are_never_markup(html):
    assert "<script>alert(1)</script>" not in html
    data_block = re.search(r'id="gt-data">(.*?)</script>', html, re.DOTALL).group(1)
    assert "<" not in data_block and ">" not in data_block and "&" not in data_block
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in data_block
    data = payload_of(html)
    parcels = next(lp for lp in data["layers"] if lp["name"] == "parcels")
    col = parcels["cols"]["_name"]
    names = col["d"] if "d" in col else col["v"]
    assert EVIL_NAME in names  # the JSON carries the literal text
    # the script renders data with textContent, never innerHTML
    js = assets.briefing_js()
    assert "innerHTML" not in js and "insertAdjacentHTML" not in js and "document.write" not in js


def test_layer_names_from_files_are_escaped(tmp_path, synth):
    res, ws = synth
    bm = briefing.Basemap(label="<img src=x onerror=alert(1)>", tiles=[])
    page = briefing.render_briefing_html(res, ws=ws, basemap=bm)
    assert "<img src=x" not in page


def test_absent_layers_are_omitted():
    res = map_results(12)
    bare = Results(info=res.info, parcels=res.parcels[["parcel_id", "owner_name", "area_mu", "geometry"]].copy())
    data = payload_of(briefing.render_briefing_html(bare))
    assert [lp["name"] for lp in data["layers"]] == ["parcels"]
    assert data["summary"]["targets"] == []
    assert data["layers"][0]["legend"][0]["label"] == "未参评"


def test_the_map_leaves_the_results_as_they_were():
    """The map adds its display columns to a shallow copy of the parcels (no copy of a million rows)."""
    res = map_results(20)
    res.parcels.loc[3, "geometry"] = None  # not drawn, so the map's layer is a subset
    before = res.parcels.copy()
    layers = payload.collect_layers(res)
    assert "_name" in layers["parcels"].columns and len(layers["parcels"]) == 19
    assert res.parcels.columns.equals(before.columns) and res.parcels.equals(before)


def test_layers_legend_and_targets(synth, html):
    data = payload_of(html)
    names = [lp["name"] for lp in data["layers"]]
    assert names == ["eco_redline", "basic_farmland", "urban_boundary", "parks", "parcels", "reclaimable",
                     "idle_land", "fragments", "split_checks", "merge_checks"]
    rec = next(lp for lp in data["layers"] if lp["name"] == "reclaimable")
    assert rec["ref"] == "parcels" and "geom" not in rec  # no geometry duplicated
    labels = [t["label"] for t in data["summary"]["targets"]]
    assert labels[:3] == ["规上工业亩均税收", "规上工业亩均增加值", "规上制造业全员劳动生产率"]
    t8 = next(t for t in data["summary"]["targets"] if t["rule"] == "TT-T8")
    assert t8["progress"] == pytest.approx(t8["value"] / 200, abs=1e-4)
    # land freed is the progress; the candidate pool stands beside it, never as progress (issue 19.5)
    cand = synth[0].layers["targets"].set_index("metric").loc["freed_mu", "candidate"]
    assert labels[3] == f"腾出低效工业用地(已腾出; 候选 {cand:,.2f} 亩不计入)" and t8["value"] == 12.5
    parcels = next(lp for lp in data["layers"] if lp["name"] == "parcels")
    assert sum(c["count"] for c in parcels["legend"]) == len(synth[0].parcels)
    assert parcels["search"] == ["_name", "_uscc", "parcel_id", "_ent_names", "_ent_uscc"]
    # popup labels come from the results schema (with the unit), the map's own columns carry theirs
    fields = {f[0]: f[1] for f in parcels["fields"]}
    assert fields["area_mu"] == "面积(亩)" and fields["township"] == "乡镇(街道)"
    assert fields["tax_per_mu"] == "亩均税收(本年)(万元/亩)" and fields["_name"] == "企业名称"
    assert {f[0]: f[2] for f in parcels["fields"]}["building_coverage"] == "pct"
    parks = next(lp for lp in data["layers"] if lp["name"] == "parks")  # a county's 是 read as yes
    assert parks["cols"]["standard_land_rules"] == {"v": [1]}


def test_search_finds_tenants_by_name_and_code(synth):
    res, ws = synth
    data = payload_of(briefing.render_briefing_html(res, ws=ws))
    parcels = next(lp for lp in data["layers"] if lp["name"] == "parcels")
    names, codes = _column(parcels["cols"]["_ent_names"]), _column(parcels["cols"]["_ent_uscc"])
    hits = [k for k, v in enumerate(names) if v and "入驻租户科技有限公司" in v]
    assert hits == [5] and "91331023MA2TENANT1" in codes[5]
    assert names[5].split("、").index("入驻租户科技有限公司") == codes[5].split(" ").index("91331023MA2TENANT1")
    tenants = _column(parcels["cols"]["_tenants"])
    assert "入驻租户科技有限公司" in tenants[5] and res.parcels["holder_name"].iloc[5] in tenants[5]
    assert sum(v is not None for v in tenants) == 1  # one enterprise on the land: no 一地多企 row


def test_findings_carry_rule_and_clause(html):
    f = payload_of(html)["findings"]
    rules = f["rule"]["d"]
    assert "TT-T4" in rules and "TT-CORNER" in rules
    assert "四(六)" in f["clause"]["d"]


def test_merge_table_without_geometry_gets_parcel_union(synth):
    res, _ = synth
    assert not isinstance(res.layers["merge_checks"], gpd.GeoDataFrame)  # declared without geometry
    layers = briefing.collect_layers(res)
    merged = layers["merge_checks"]
    assert merged.geometry.notna().all()
    first = res.layers["merge_checks"]["parcel_ids"].iloc[0].split(";")
    want = res.parcels.set_index("parcel_id").loc[first].geometry.union_all()
    assert merged.geometry.iloc[0].symmetric_difference(want).area == pytest.approx(0.0, abs=1e-6)


# ------------------------------------------------------------------------------ basemaps

def test_gaode_basemap_shifts_overlays(synth):
    res, ws = synth
    plain = payload_of(briefing.render_briefing_html(res, ws=ws))
    shifted = payload_of(briefing.render_briefing_html(res, ws=ws, basemap="gaode-vec"))
    a = decode_flat(next(lp for lp in plain["layers"] if lp["name"] == "parcels")["geom"][0][0][0])[0]
    b = decode_flat(next(lp for lp in shifted["layers"] if lp["name"] == "parcels")["geom"][0][0][0])[0]
    ex, ey = wgs84_to_gcj02(a[0], a[1])
    assert shifted["gcj02"] and not plain["gcj02"]
    assert b[0] == pytest.approx(float(ex), abs=2e-6) and b[1] == pytest.approx(float(ey), abs=2e-6)


def test_tianditu_needs_a_key(monkeypatch, tmp_path):
    monkeypatch.delenv("TIANDITU_TK", raising=False)
    with pytest.raises(InputError, match="TIANDITU_TK"):
        resolve_basemap("tianditu-img")
    monkeypatch.setenv("TIANDITU_TK", "abc123")
    bm = resolve_basemap("tianditu-img")
    assert bm.online and not bm.gcj02 and "tk=abc123" in bm.tiles[0].url and "img_w" in bm.tiles[0].url
    monkeypatch.delenv("TIANDITU_TK")
    (tmp_path / "workspace.toml").write_text('[map]\ntianditu_tk = "fromtoml"\n', encoding="utf-8")
    assert "tk=fromtoml" in resolve_basemap("tianditu-vec", workspace_root=tmp_path).tiles[0].url


def test_xyz_and_unknown_basemaps():
    bm = resolve_basemap("http://10.1.2.3/tiles/{z}/{x}/{y}.png", gcj02=True)
    assert bm.gcj02 and bm.tiles[0].url.startswith("http://10.1.2.3/")
    assert resolve_basemap("none") is None and resolve_basemap(None) is None
    with pytest.raises(InputError, match="unknown basemap"):
        resolve_basemap("googlemaps")


def _write_landcover(path: Path) -> None:
    import rasterio
    from rasterio.transform import from_origin

    x0, y0 = origin()
    data = np.zeros((60, 80), dtype=np.uint8)
    data[:, :20], data[:, 20:40], data[:, 40:60], data[:30, 60:] = 1, 2, 3, 4
    with rasterio.open(path, "w", driver="GTiff", width=80, height=60, count=1, dtype="uint8", crs="EPSG:4528",
                       transform=from_origin(x0, y0 + 120, 2.0, 2.0), nodata=0) as dst:
        dst.write(data, 1)


def test_landcover_geotiff_basemap(tmp_path):
    tif = tmp_path / "landcover.tif"
    _write_landcover(tif)
    bm = raster_basemap(tif, "土地覆盖", {1: "built", 2: "bare", 3: "vegetation", 4: "water"})
    assert bm.image.startswith("data:image/png;base64,") and not bm.online
    (s, w), (n, e) = bm.bounds
    assert 121.0 < w < e < 121.1 and 29.1 < s < n < 29.2
    assert [label for label, _ in bm.legend] == ["建设用地", "裸地", "植被", "水域"]
    # decode the PNG: class colours where data, transparent where 0
    import base64

    from rasterio.io import MemoryFile

    with MemoryFile(base64.b64decode(bm.image.split(",", 1)[1])) as mem, mem.open() as png:
        rgba = png.read()
    assert rgba.shape[0] == 4 and (rgba[3] == 0).any() and (rgba[3] == 255).any()
    assert max(rgba.shape[1:]) <= 2048
    small = raster_basemap(tif, "x", None, max_px=20)
    assert small.image != bm.image


def test_report_links_only_where_a_report_exists(tmp_path, synth):
    res, ws = synth
    out = tmp_path / "out"
    reports = out / "reports"
    reports.mkdir(parents=True)
    pid = res.parcels["parcel_id"].iloc[5]
    (reports / briefing.report_file(pid)).write_text("<html></html>", encoding="utf-8")
    path = briefing.save_briefing_map(res, tmp_path / "maps" / "briefing.html", ws=ws, reports_dir=reports)
    data = payload_of(path.read_text(encoding="utf-8"))
    parcels = next(lp for lp in data["layers"] if lp["name"] == "parcels")
    assert parcels["reportPrefix"] == "../out/reports/"
    col = parcels["cols"]["_report"]
    vals = [col["d"][i] if i >= 0 else None for i in col["i"]] if "d" in col else col["v"]
    assert sum(v is not None for v in vals) == 1 and vals[5] == briefing.report_file(pid)


def test_write_briefing_map_output(tmp_path, synth):
    res, ws = synth
    assert briefing.write_briefing_map(res, tmp_path / "out", None, ws) == []
    written = briefing.write_briefing_map(res, tmp_path / "out", tmp_path / "maps", ws)
    assert written == [tmp_path / "maps" / "briefing.html"] and written[0].stat().st_size > 150_000


def test_map_command_from_results_gpkg(tmp_path):
    from geo_tenglong.cli import main

    res = map_results(30)
    res.write(tmp_path / "out")
    out = tmp_path / "maps" / "b.html"
    r = CliRunner().invoke(main, ["map", str(tmp_path / "out" / "results.gpkg"), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "wrote" in r.output and out.is_file()
    data = payload_of(out.read_text(encoding="utf-8"))
    assert {"parcels", "fragments", "split_checks", "merge_checks", "idle_land"} <= {lp["name"] for lp in data["layers"]}
    r = CliRunner().invoke(main, ["map", str(tmp_path / "nowhere"), "-o", str(out)])
    assert r.exit_code == 2 and "workspace" in r.output


def test_sample_sized_map_stays_under_5_mb(synth):
    res = map_results(1500)
    page = briefing.render_briefing_html(res, ws=map_workspace(res))
    assert len(page.encode("utf-8")) < 5_000_000


def test_orthophoto_geotiff_basemap_is_rgb_and_opaque(tmp_path):
    import rasterio
    from rasterio.transform import from_origin

    x0, y0 = origin()
    tif = tmp_path / "ortho.tif"
    data = (np.arange(3 * 40 * 50, dtype=np.uint16).reshape(3, 40, 50) * 7) % 4000
    with rasterio.open(tif, "w", driver="GTiff", width=50, height=40, count=3, dtype="uint16", crs="EPSG:4528",
                       transform=from_origin(x0, y0 + 80, 2.0, 2.0)) as dst:
        dst.write(data)
    bm = resolve_basemap(str(tif))
    assert bm.label == "影像 ortho" and bm.opacity == 1.0 and bm.legend == [] and not bm.online
    data = payload_of(briefing.render_briefing_html(map_results(4), basemap=bm))
    assert data["basemap"]["image"].startswith("data:image/png;base64,") and data["basemap"]["tiles"] == []


def test_run_and_map_on_a_workspace(tmp_path, tiny_parcels):
    from geo_tenglong.cli import main

    from conftest import box, write_workspace

    urban = gpd.GeoDataFrame({"id": ["UB1"], "name": ["城镇开发边界"]}, geometry=[box(-50, -50, 350, 150)], crs=CRS)
    ws = write_workspace(tmp_path / "ws", tiny_parcels, layers={"urban_boundary": urban},
                         extra_toml='\n[map]\nbasemap = "none"\n')
    r = CliRunner().invoke(main, ["run", str(ws), "--out", str(tmp_path / "out"), "--maps", str(tmp_path / "maps"),
                                  "-q", "--allow-incomplete"])
    assert r.exit_code == 0, r.output
    data = payload_of((tmp_path / "maps" / "briefing.html").read_text(encoding="utf-8"))
    assert {"parcels", "urban_boundary"} <= {lp["name"] for lp in data["layers"]}
    assert len(data["summary"]["targets"]) >= 3
    # from the results: the workspace named in them gives back the 城镇开发边界
    r = CliRunner().invoke(main, ["map", str(tmp_path / "out" / "results.gpkg"), "-o", str(tmp_path / "m2.html")])
    assert r.exit_code == 0, r.output
    assert "urban_boundary" in {lp["name"] for lp in payload_of((tmp_path / "m2.html").read_text("utf-8"))["layers"]}
    # straight from the workspace, writing nothing else
    r = CliRunner().invoke(main, ["map", str(ws), "-o", str(tmp_path / "m3.html"), "-q"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "m3.html").is_file() and r.output == ""
    assert sorted(p.name for p in ws.iterdir()) == ["workspace.toml", "ws.gpkg"]


def test_headline_targets_come_first():
    res = map_results(8)
    t = res.layers["targets"]
    extra = pd.DataFrame([{"rule_id": "TT-T5", "label": "单位工业增加值能耗下降", "metric": "energy_intensity_drop_pct",
                           "op": ">=", "target": 10.4, "value": None, "unit": "%", "status": "missing_data",
                           "progress": None}])
    res.layers["targets"] = pd.concat([extra, t.iloc[::-1]], ignore_index=True)
    labels = [x["label"] for x in briefing.summary_payload(res, briefing.collect_layers(res))["targets"]]
    assert [x.split("(")[0] for x in labels] == ["规上工业亩均税收", "规上工业亩均增加值", "规上制造业全员劳动生产率",
                                                 "腾出低效工业用地", "单位工业增加值能耗下降"]


# ------------------------------------------------------------------------------ 园区外集聚点 (DQ-CLUSTER)

def _with_clusters(res: Results, old_parks: bool = True) -> Results:
    """``res`` plus three clusters (one per treatment, one with a markup id), a finding and old_parks."""
    parcels = res.parcels
    groups = [parcels.iloc[0:3], parcels.iloc[3:7], parcels.iloc[7:9]]
    rows = []
    for k, (g, treat) in enumerate(zip(groups, ["整合入园", "关停淘汰", "整治提高"])):
        rows.append({"cluster_id": f"JJD00{k + 1}" if k else "<b>JJD</b>", "parcel_count": len(g),
                     "area_mu": 10.0 * (k + 1), "enterprise_count": k + 2, "tax_per_mu": 3.5 + k,
                     "d_share": 0.25 * k, "park_distance_m": 800.0 + k, "treatment": treat,
                     "parcel_ids": ";".join(g["parcel_id"].astype(str)), "class_A": 0, "class_B": 1,
                     "class_C": 1, "class_D": k, "geometry": shapely.convex_hull(shapely.union_all(g.geometry.values))})
    clusters = gpd.GeoDataFrame(rows, geometry="geometry", crs=parcels.crs)
    finding = pd.DataFrame([{"parcel_id": "JJD002", "rule_id": "DQ-CLUSTER", "clause": "三(一)5", "status": "warn",
                             "value": 4.5, "threshold": 5.0, "unit": "万元/亩", "message": "园区外集聚点:建议关停淘汰"}])
    layers = {**res.layers, "clusters": clusters}
    if old_parks:
        layers["old_parks"] = pd.DataFrame([{"park_id": "P1", "name": "老园区", "far": 0.85, "tax_per_mu": 12.5,
                                             "renovated_mu": 33.25}])
    return Results(info=res.info, parcels=parcels, findings=pd.concat([res.findings, finding], ignore_index=True),
                   layers=layers)


def _column(c: dict) -> list:
    return [c["d"][i] if i >= 0 else None for i in c["i"]] if "d" in c else c["v"]


def test_cluster_treatments_are_classified():
    df = pd.DataFrame({"treatment": ["整合入园", "关停淘汰", " 整治提高", None, "其他"]})
    keys = [styles.CLUSTER_CATEGORIES[i].key for i in styles.classify_clusters(df)]
    assert keys == ["整合入园", "关停淘汰", "整治提高", "none", "none"]
    assert set(styles.classify_clusters(pd.DataFrame(index=range(2)))) == {len(styles.CLUSTER_CATEGORIES) - 1}


def test_cluster_layer_legend_popup_and_old_parks(synth):
    res, ws = synth
    page = briefing.render_briefing_html(_with_clusters(res), ws=ws)
    data = payload_of(page)
    lp = next(lp for lp in data["layers"] if lp["name"] == "clusters")
    assert lp["label"] == "园区外集聚点" and lp["n"] == 3 and lp["idcol"] == "cluster_id"
    legend = {c["label"]: (c["count"], c["area"]) for c in lp["legend"]}
    assert legend == {"整合入园": (1, 10.0), "关停淘汰": (1, 20.0), "整治提高": (1, 30.0)}
    styles_by_label = {c["label"]: c["style"]["fillColor"] for c in lp["legend"]}
    assert len(set(styles_by_label.values())) == 3
    # outlines only, always SVG: clicks inside a hull still reach the parcels
    assert lp["svg"] is True and lp["pane"] == "gt-focus" and not any(st["fill"] for st in lp["styles"])
    labels = [f[1] for f in lp["fields"]]
    for want in ("集聚点编号", "宗地数(宗)", "占地面积(亩)", "企业数(家)", "亩均税收(万元/亩)", "D类用地占比",
                 "距最近园区(米)", "建议处置方式", "认定依据"):
        assert want in labels
    assert {f[0]: f[2] for f in lp["fields"]}["d_share"] == "pct"
    assert all("DQ-CLUSTER" in r and "三(一)5" in r for r in _column(lp["cols"]["_rule"]))
    assert lp["search"] == ["cluster_id"] and lp["title"] == "treatment"
    # findings keyed by cluster_id reach the popup
    f = data["findings"]
    assert "JJD002" in _column(f["id"]) and "DQ-CLUSTER" in f["rule"]["d"] and "三(一)5" in f["clause"]["d"]
    # a markup id stays data: escaped in the JSON block, never a live tag
    assert "<b>JJD</b>" not in page and "<b>JJD</b>" in _column(lp["cols"]["cluster_id"])
    # switchable: the script gives every payload layer a group in the layer control, in this order
    assert lp["ctl"] == payload.CONTROL_ORDER.index("clusters") and "园区外集聚点" in page
    parks = next(lp for lp in data["layers"] if lp["name"] == "parks")
    assert {"_old_far", "_old_tax_per_mu", "_old_renovated_mu"} <= set(parks["cols"])
    assert _column(parks["cols"]["_old_renovated_mu"])[0] == pytest.approx(33.25)


def test_no_cluster_layer_without_clusters(synth, html):
    res, ws = synth
    assert "clusters" not in {lp["name"] for lp in payload_of(html)["layers"]}
    assert "园区外集聚点" not in html
    empty = Results(info=res.info, parcels=res.parcels, findings=res.findings,
                    layers={**res.layers, "clusters": _with_clusters(res).layers["clusters"].iloc[0:0]})
    data = payload_of(briefing.render_briefing_html(empty, ws=ws))
    assert "clusters" not in {lp["name"] for lp in data["layers"]}
    parks = next(lp for lp in data["layers"] if lp["name"] == "parks")
    assert "_old_far" not in parks["cols"]


# ------------------------------------------------------------------------------ labels, structure

def test_township_and_park_labels(synth):
    res, ws = synth
    data = payload_of(briefing.render_briefing_html(res, ws=ws))
    labels = {(lb["kind"], lb["text"]): lb for lb in data["labels"]}
    towns = {t for k, t in labels if k == "township"}
    assert towns == set(res.parcels["township"])
    park = labels[("park", "天台经济开发区")]
    lat, lon = park["pt"]
    assert 29.1 < lat < 29.2 and 121.0 < lon < 121.1
    # townships at the overview, parks when zoomed in, both at one zoom only
    t_zoom, p_zoom = labels[("township", "平桥镇")]["zoom"], park["zoom"]
    assert t_zoom[0] < p_zoom[0] and t_zoom[1] - p_zoom[0] <= 1
    # the township label sits on one of its parcels
    from shapely.geometry import Point

    town = res.parcels[res.parcels["township"] == "平桥镇"].to_crs(4326)
    lat, lon = labels[("township", "平桥镇")]["pt"]
    assert town.geometry.buffer(1e-6).contains(Point(lon, lat)).any()


def test_page_has_no_flag_imperial_scale_or_long_placeholder():
    js = assets.briefing_js()
    assert 'prefix: "Leaflet"' in js and "attributionControl: false" in js  # no Ukrainian flag prefix
    assert "imperial: false" in js
    placeholder = re.search(r'"placeholder", "([^"]+)"', js).group(1)
    assert len(placeholder) <= 20


def test_webmap_imports_no_pipeline_analysis_or_folium():
    import subprocess
    import sys

    code = ("import sys, geo_tenglong.webmap.briefing, geo_tenglong.webmap.payload, geo_tenglong.webmap.render;"
            "bad = sorted(m for m in sys.modules if m.startswith(('geo_tenglong.pipeline', 'geo_tenglong.analysis',"
            " 'geo_tenglong.workspace', 'folium', 'branca')));"
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout + r.stderr


def test_payload_is_data_only(synth):
    res, _ = synth
    data = payload.build_payload(res, context=map_workspace(res).layers)
    text = json.dumps(data, ensure_ascii=False, allow_nan=False)  # JSON-able, no NaN
    assert "<html" not in text and "<div" not in text
    assert data["bounds"][0][0] < data["bounds"][1][0] and data["basemap"] is None


def test_title_from_the_data_is_escaped_by_the_template():
    res = map_results(4)
    res.info["county"] = "<b>天台县</b>&"
    page = briefing.render_briefing_html(res)
    assert "<title>&lt;b&gt;天台县&lt;/b&gt;&amp;腾笼换鸟" in page and "<b>天台县" not in page
    assert payload_of(page)["summary"]["title"].startswith("<b>天台县</b>&")


def test_feature_ids_are_the_schema_keys():
    from geo_tenglong import results_schema

    for name, col in payload.ID_COLUMNS.items():
        table = "parcels" if name == "reclaimable" else name
        key = results_schema.table_schema(table).key
        assert col == key or (key is None and col in results_schema.table_schema(table).names), name
