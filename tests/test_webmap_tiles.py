"""The briefing map of a big county: parcels as a PMTiles archive in a script beside the page.

The archive is read back with GDAL (pyogrio's PMTiles driver) and the ``pmtiles`` reader, not with
the code that wrote it: every parcel is in the top zoom with its attributes, findings and style
categories, the overview zooms carry only the categories, and the page refers to the file instead
of embedding the parcels. The browser side is in ``tests/test_map_browser.py``.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import re
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from pmtiles import reader as pm_reader
from pmtiles.tile import zxy_to_tileid

from geo_tenglong.webmap import briefing, tiles
from geo_tenglong.webmap.links import report_file

from map_results import EVIL_NAME, map_results, map_workspace


def payload_of(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="gt-data">(.*?)</script>', html, re.DOTALL)
    assert m, "no data block"
    return json.loads(m.group(1))


TILES_FILE = re.compile(r'gtTileData\(\[("[A-Za-z0-9+/=]*"(?:,"[A-Za-z0-9+/=]*")*)\],"([A-Za-z0-9+/=]*)"\);\n')


def archive_of(script: str) -> bytes:
    m = TILES_FILE.fullmatch(script)
    assert m, script[:200]
    return b"".join(base64.b64decode(c) for c in json.loads("[" + m.group(1) + "]"))


def search_of(script: str) -> str:
    m = TILES_FILE.fullmatch(script)
    assert m
    return gzip.decompress(base64.b64decode(m.group(2))).decode("utf-8")


@pytest.fixture(scope="module")
def tiled_map(tmp_path_factory):
    res = map_results(120)
    out = tmp_path_factory.mktemp("tiles")
    reports = out / "reports"
    reports.mkdir()
    pid = str(res.parcels["parcel_id"].iloc[7])
    (reports / report_file(pid)).write_text("<html></html>", encoding="utf-8")
    path = briefing.save_briefing_map(res, out / "maps" / "briefing.html", ws=map_workspace(res),
                                      reports_dir=reports, tiles=True)
    script = briefing.tiles_path(path).read_text(encoding="utf-8")
    archive = out / "parcels.pmtiles"
    archive.write_bytes(archive_of(script))
    return res, path, script, archive, pid


def test_threshold_decides_unless_forced():
    assert not tiles.use_tiles(tiles.TILE_THRESHOLD, None)
    assert tiles.use_tiles(tiles.TILE_THRESHOLD + 1, None)
    assert tiles.use_tiles(10, True) and not tiles.use_tiles(10**7, False)


def test_zoom_range_opens_on_existing_tiles():
    county = (120.8, 28.9, 121.3, 29.4)  # about 50 km: the page opens at zoom 10 or so
    lo, hi = tiles.zoom_range(county)
    assert hi == tiles.TOP_ZOOM and lo < hi
    province = (118.0, 27.0, 123.0, 31.2)
    assert tiles.zoom_range(province)[0] < lo  # a wider extent starts lower
    assert tiles.zoom_range((121.0, 29.0, 121.0001, 29.0001))[0] == hi - 1


def test_page_refers_to_the_tiles_instead_of_embedding_parcels(tiled_map):
    res, path, script, _, _ = tiled_map
    html = path.read_text(encoding="utf-8")
    assert '<script src="briefing.pmtiles.js" charset="utf-8"' in html
    assert "protomapsL" in html and "var pmtiles=" in html  # the two libraries inlined
    assert "protomaps-leaflet.js.map" not in html and "pmtiles.js.map" not in html
    data = payload_of(html)
    layers = {lp["name"]: lp for lp in data["layers"]}
    parcels = layers["parcels"]
    assert "geom" not in parcels and "cols" not in parcels and "cat" not in parcels
    assert parcels["tiles"]["file"] == "briefing.pmtiles.js" and parcels["n"] == len(res.parcels)
    assert parcels["reportPrefix"] == "../reports/"
    assert layers["reclaimable"]["tiles"]["prop"] == "r" and "rows" not in layers["reclaimable"]
    assert "geom" in layers["idle_land"]  # the small layers stay in the page
    # the parcels' findings travel in the tiles; those of other features stay in the page
    ids = set(data["findings"]["id"].get("d", data["findings"]["id"].get("v", [])))
    idle = set(res.layers["idle_land"]["parcel_id"].astype(str))  # idle land stays in the page, so its findings
    assert not (ids & set(res.parcels["parcel_id"].astype(str))) - idle
    assert ids - idle  # fragments' and proposals' findings
    # a name from the data never reaches the tiles file as markup
    assert script.isascii() and "<" not in script  # base64 only: nothing from the data as text
    assert EVIL_NAME in search_of(script)


def test_archive_holds_every_parcel_with_its_attributes(tiled_map):
    res, _, _, archive, pid = tiled_map
    with open(archive, "rb") as fh:
        get = pm_reader.MmapSource(fh)
        header = pm_reader.Reader(get).header()
        zooms = {z for (z, _, _), _ in pm_reader.all_tiles(get)}
    assert header["max_zoom"] == tiles.TOP_ZOOM and header["min_zoom"] < tiles.TOP_ZOOM
    assert zooms == set(range(header["min_zoom"], header["max_zoom"] + 1))
    top = pyogrio.read_dataframe(archive, layer=tiles.TILE_LAYER)  # GDAL reads the top zoom
    parcels = res.parcels.assign(parcel_id=res.parcels["parcel_id"].astype(str))
    assert set(top["parcel_id"]) == set(parcels["parcel_id"])
    one = top.drop_duplicates("parcel_id").set_index("parcel_id")
    row = parcels.set_index("parcel_id").loc[pid]
    assert one.loc[pid, "_name"] == row["holder_name"]
    assert one.loc[pid, "area_mu"] == pytest.approx(row["area_mu"], abs=1e-4)
    assert one.loc[pid, "_report"] == report_file(pid)
    assert one["_report"].notna().sum() == 1
    # 可腾退 parcels, and only they, have an r category
    rec = parcels.set_index("parcel_id")["reclaimable"].astype(bool)
    assert ((one["r"] >= 0) == rec.reindex(one.index)).all()
    # each parcel's findings, most severe first
    f = res.findings[res.findings["parcel_id"].astype(str) == pid]
    listed = json.loads(one.loc[pid, "_f"])
    assert len(listed) == len(f) and {r[1] for r in listed} == set(f["rule_id"])
    order = [{"fail": 0, "warn": 1, "missing_data": 2, "pass": 3}.get(r[0], 9) for r in listed]
    assert order == sorted(order)


def test_overview_zooms_carry_only_the_categories(tiled_map):
    _, _, _, archive, _ = tiled_map
    with open(archive, "rb") as fh:
        header = pm_reader.Reader(pm_reader.MmapSource(fh)).header()
    low = pyogrio.read_dataframe(archive, layer=tiles.TILE_LAYER, ZOOM_LEVEL=str(header["min_zoom"]))
    assert len(low) and low["c"].notna().all() and low["r"].notna().all()
    # the layer's schema lists every field (the top zoom's); here they are all empty
    assert low[["parcel_id", "_name", "_f"]].isna().all().all()
    top = pyogrio.read_dataframe(archive, layer=tiles.TILE_LAYER, ZOOM_LEVEL=str(header["max_zoom"]))
    assert top["parcel_id"].notna().all()


def test_search_index_lines_point_at_their_parcels(tiled_map):
    res, _, script, _, _ = tiled_map
    lines = search_of(script).split("\n")
    assert len(lines) == len(res.parcels)
    xy, text = lines[0].split("\t")
    name, uscc, pid = text.split("\u0001")[:3]
    first = res.parcels.iloc[0]
    assert pid == str(first["parcel_id"]) and name == first["holder_name"] and uscc == first["holder_uscc"]
    x, y = (int(v) / 1e6 for v in xy.split(","))
    from shapely.geometry import Point
    assert res.parcels.to_crs(4326).geometry.iloc[0].contains(Point(x, y))


def test_a_smaller_map_removes_the_stale_tiles_file(tiled_map, tmp_path):
    res = map_results(30)
    path = tmp_path / "briefing.html"
    briefing.save_briefing_map(res, path, tiles=True)
    assert briefing.tiles_path(path).is_file()
    briefing.save_briefing_map(res, path)  # 30 parcels: below the threshold
    assert not briefing.tiles_path(path).exists()
    assert "gtTileData" not in path.read_text(encoding="utf-8").split("<body>")[1]
    assert "geom" in [lp for lp in payload_of(path.read_text(encoding="utf-8"))["layers"]
                      if lp["name"] == "parcels"][0]


def test_tiles_file_name_follows_the_map(tmp_path):
    assert briefing.tiles_path(tmp_path / "县 汇报图.html") == tmp_path / "县 汇报图.pmtiles.js"
    res = map_results(20)
    path = briefing.save_briefing_map(res, tmp_path / "县 汇报图#1.html", tiles=True)
    html = path.read_text(encoding="utf-8")
    assert 'src="%E5%8E%BF%20%E6%B1%87%E6%8A%A5%E5%9B%BE%231.pmtiles.js"' in html
    assert Path(tmp_path / "县 汇报图#1.pmtiles.js").is_file()


def test_properties_format_by_kind_and_a_block_is_its_rows_of_the_whole():
    res = map_results(40)
    from geo_tenglong.webmap.payload import collect_layers

    parcels = collect_layers(res)["parcels"]
    fields = [("area_mu", "面积(亩)", "num4"), ("reclaimable", "可腾退", "bool"), ("_tenants", "入驻", "text")]
    cat = np.zeros(len(parcels), dtype=np.int64)
    props = tiles.ParcelProperties(parcels, fields, cat, cat - 1, None, None, "parcel_id").frame(np.arange(len(parcels)))
    assert props["reclaimable"].isin([0.0, 1.0]).all()
    given = props["_tenants"].dropna()
    assert all(isinstance(v, str) and v not in {"<NA>", "nan", ""} for v in given)
    assert props["_tenants"].notna().sum() == parcels["_tenants"].notna().sum() >= 1
    assert props["_f"].isna().all() and (props["r"] == -1).all()
    # with findings (two rows sharing an id share its list): a block's rows are the whole frame's rows
    twice = parcels.assign(parcel_id=parcels["parcel_id"].where(parcels.index != 5, parcels["parcel_id"].iloc[3]))
    whole = tiles.ParcelProperties(twice, fields, cat, cat - 1, None, res.findings, "parcel_id")
    every = whole.frame(np.arange(len(twice)))
    rows = np.array([31, 5, 3, 17])
    block = whole.frame(rows)
    assert block.equals(every.iloc[rows].reset_index(drop=True))
    assert block["_f"].iloc[1] == block["_f"].iloc[2] is not None
    listed = json.loads(block["_f"].iloc[0])
    f = res.findings[res.findings["parcel_id"].astype(str) == str(twice["parcel_id"].iloc[31])]
    assert sorted(r[1] for r in listed) == sorted(f["rule_id"])


def test_archive_is_cut_into_pieces_the_page_joins(monkeypatch):
    archive = bytes(range(256)) * 10
    monkeypatch.setattr(tiles, "CHUNK_BYTES", 300)
    buf = io.StringIO()
    tiles.ParcelTiles(archive=archive, search=gzip.compress(b"a\tb"), minzoom=1, maxzoom=2).write_script(buf)
    script = buf.getvalue()
    pieces = json.loads("[" + TILES_FILE.fullmatch(script).group(1) + "]")
    assert len(pieces) == 9 and all(len(p) == 400 for p in pieces[:-1])
    assert archive_of(script) == archive and search_of(script) == "a\tb"


def _all_tiles(archive: bytes) -> dict:
    get = pm_reader.MemorySource(archive)
    return {zxy: data for zxy, data in pm_reader.all_tiles(get)}


def test_tiles_written_block_by_block_are_those_of_one_pass(monkeypatch):
    """Every zoom is written in blocks of tiles; a parcel near a block's edge (or crossing it) must
    reach every tile one pass over all parcels gives it, so the tiles are the same bytes."""
    from geo_tenglong.webmap.payload import build_map

    res = map_results(2500)
    res.parcels.loc[7, "geometry"] = res.parcels.geometry.iloc[7].buffer(400)  # a parcel across many tiles
    monkeypatch.setattr(tiles, "BLOCK_FEATURES", 10**9)
    _, one = build_map(res, tiles_file="t.pmtiles.js")
    monkeypatch.setattr(tiles, "BLOCK_FEATURES", 60)
    passes = []
    real = tiles.pyogrio.write_dataframe
    monkeypatch.setattr(tiles.pyogrio, "write_dataframe", lambda df, *a, **k: (passes.append(len(df)), real(df, *a, **k)))
    _, blocks = build_map(res, tiles_file="t.pmtiles.js")
    zooms = one.maxzoom - one.minzoom + 1
    assert len(passes) > 2 * zooms and max(passes) < len(res.parcels)  # blocks, not one pass a zoom
    a, b = _all_tiles(one.archive), _all_tiles(blocks.archive)
    assert a.keys() == b.keys() and all(a[k] == b[k] for k in a)
    reader = pm_reader.Reader(pm_reader.MemorySource(blocks.archive))
    header, meta = reader.header(), reader.metadata()
    assert header["clustered"]  # written in tile-id order
    west, south, east, north = res.parcels.to_crs(4326).total_bounds
    assert header["min_lon_e7"] == round(west * 1e7) and header["max_lat_e7"] == round(north * 1e7)
    assert "tilestats" not in meta and set(meta["vector_layers"][0]["fields"]) >= {"c", "r", "parcel_id", "_f"}


def test_blocks_hold_every_feature_reaching_them():
    # 10 × 10 boxes 2 km apart around a corner of four zoom-2 tiles (90°E, 0°), one box spanning all
    # four, and one 100 m east of the corner's meridian: within the margin of the blocks west of it
    lon0, lat0 = 90.0, 0.0
    xs, ys = np.meshgrid(np.arange(-5, 5), np.arange(-5, 5))
    w, s = lon0 + xs.ravel() * 0.02 + 0.005, lat0 + ys.ravel() * 0.02 + 0.005
    b = np.column_stack([w, s, w + 0.005, s + 0.005])
    b = np.vstack([b, [[lon0 - 0.02, lat0 - 0.02, lon0 + 0.02, lat0 + 0.02], [lon0 + 0.001, 0.005, lon0 + 0.0015, 0.006]]])
    blocks = tiles._blocks(b, 12, 30)
    assert {bz for bz, *_ in blocks} == {2} and len(blocks) == 4  # at zoom 1 a block would hold 51
    by_block = {(bx, by): set(rows.tolist()) for _, bx, by, rows in blocks}
    east, north = 3, 1  # zoom-2 tiles: column 3 is east of 90°E, row 1 north of the equator
    for (_, by), rows in by_block.items():
        assert 100 in rows  # the big box
        assert (101 in rows) == (by == north)  # east of the meridian, and in the margin west of it
        assert len(rows - {100, 101}) == 25
    assert by_block[(east, north)] >= {101}
    ids = [zxy_to_tileid(bz, bx, by) for bz, bx, by, _ in blocks]
    assert ids == sorted(ids)
    assert len(tiles._blocks(b, 12, 1000)) == 1  # all fit in one block


def overview(gdf, zoom: int):
    """Every feature of the overview of ``gdf`` (``c``, ``r``, geometry) at ``zoom``."""
    ov = tiles.Overview(gdf.geometry.values, gdf["c"].to_numpy(), gdf["r"].to_numpy(), zoom)
    frame = ov.frame(np.arange(len(ov)))
    assert np.allclose(ov.bounds, shapely.bounds(frame.geometry.values))
    return frame


def test_overview_merges_small_parcels_into_cells_of_their_prevailing_class_and_reclaimable_share():
    import geopandas as gpd

    # 400 parcels of ~8 m in one 80 m block (class 1 for 300, class 2 for 100), and one 2 km parcel
    xs, ys = np.meshgrid(np.arange(20), np.arange(20))
    lon, lat = 121.0 + xs.ravel() * 4e-5, 29.0 + ys.ravel() * 4e-5
    small = shapely.box(lon, lat, lon + 3e-5, lat + 3e-5)
    c = np.where(np.arange(400) < 300, 1, 2)
    big = shapely.box(121.1, 29.1, 121.12, 29.12)
    r = np.full(400, -1)
    gdf = gpd.GeoDataFrame({"c": np.append(c, 3), "r": np.append(r, 0)}, geometry=np.append(small, big),
                           crs="EPSG:4326")
    low = overview(gdf, 8)  # a cell of ~1.2 km: the block is one cell
    assert len(low) == 2
    cell = low[low["c"] != 3].iloc[0]
    assert cell["c"] == 1 and cell["r"] == -1
    r[:99] = 0  # 99 of 400 可腾退: under a quarter, not marked
    assert overview(gdf.assign(r=np.append(r, 0)), 8).iloc[1]["r"] == -1
    r[:100] = 0  # a quarter: marked, its class stays the prevailing one
    cell = overview(gdf.assign(r=np.append(r, 0)), 8).iloc[1]
    assert cell["c"] == 1 and cell["r"] == 0
    assert cell.geometry.covers(shapely.points(lon, lat)).all()
    kept = low[low["c"] == 3].iloc[0]
    assert kept.geometry.equals(big) and kept["r"] == 0  # big enough: drawn as it is
    high = overview(gdf, 18)  # a cell of ~1.2 m: every parcel spans two cells
    assert len(high) == 401


def test_a_tiles_file_name_that_is_an_input_is_refused(tmp_path):
    from geo_tenglong.errors import InputError

    path = tmp_path / "briefing.html"
    precious = briefing.tiles_path(path)
    precious.write_text("an input", encoding="utf-8")
    with pytest.raises(InputError):
        briefing.save_briefing_map(map_results(10), path, inputs=[precious])
    assert precious.read_text(encoding="utf-8") == "an input" and not path.exists()
