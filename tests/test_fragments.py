"""零星边角地、夹心地 (TT-CORNER 四(六)): finding, describing and offering the unallocated plots.

Every expected number is worked out by hand from the layout below, never by calling the code.

Layout (metres from conftest.ORIGIN; study area = 城镇开发边界 = 300 × 200)::

    y=200 +-----------------------------------------------+
          |                  road (20 m)                  |
    y=180 +-----------+---------------+--------+----------+
          |           |   C           |   H    |    E     |
    y=150 |           |               | 边角地  +----------+
          |   A       |     +------+  +--------+          |
          |           |     |  G   |  |                   |
    y= 90 |           |     |夹心地 |  |        D          |
    y= 50 |           +-----+------+  |                   |
          |           |   B          S|                   |
    y=  0 +-----------+--------------++-------------------+
          x=0        100   140      198 200      260      300

G = box(100,50,140,90): 40 × 40 = 1600 m², shares 40 m with each of A, B and C (C wraps it).
H = box(200,150,260,180): 60 × 30 = 1800 m², shares 60 m with D, 30 m with C, 30 m with E, 60 m
with the road. S = box(198,0,200,50): a 2 m sliver, 100 m². 永久基本农田 box(230,150,300,200)
covers the east half of H (30 × 30 = 900 m²).
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo_tenglong.analysis.fragments import (
    CLIP_ABOVE_VERTICES,
    CORNER,
    ENCLOSED,
    OPEN,
    SLIVER,
    TILE_MARGIN_M,
    assess_fragments,
    find_gaps,
    kd_tiles,
    naive_gaps,
)
from geo_tenglong.pipeline import analyse
from geo_tenglong.stage import Stage
from geo_tenglong.workspace import load_workspace

from conftest import ORIGIN, ZONE40, box, write_workspace

M2_PER_MU = 10000 / 15
IDS = {k: f"331023101001GB0000{i}" for i, k in enumerate("ABCDE", start=1)}


def _parcels():
    c = shapely.difference(box(100, 50, 200, 180), box(100, 50, 140, 90))
    geoms = {"A": box(0, 0, 100, 180), "B": box(100, 0, 198, 50), "C": c, "D": box(200, 0, 300, 150),
             "E": box(260, 150, 300, 180)}
    return gpd.GeoDataFrame({"parcel_id": [IDS[k] for k in geoms]}, geometry=list(geoms.values()), crs=ZONE40)


def _layer(geoms, **cols):
    return gpd.GeoDataFrame(cols or {"id": [str(i) for i in range(len(geoms))]}, geometry=geoms, crs=ZONE40)


def _layers(with_farmland=True, with_redline=True, with_zoning=True):
    layers = {"roads": _layer([box(0, 180, 300, 200)]), "urban_boundary": _layer([box(0, 0, 300, 200)])}
    if with_farmland:
        layers["basic_farmland"] = _layer([box(230, 150, 300, 200)])
    if with_redline:
        layers["eco_redline"] = _layer([box(1000, 1000, 1100, 1100)])
    if with_zoning:
        layers["zoning"] = _layer([box(0, 0, 300, 200)], zone_id=["Z1"], land_use_code=["M1"])
    return layers


def _run(tmp_path, parcels=None, layers=None, ruleset="tiantai-2022"):
    ws = load_workspace(write_workspace(tmp_path / "ws", _parcels() if parcels is None else parcels,
                                        layers=_layers() if layers is None else layers, ruleset=ruleset))
    return analyse(ws, stages=[Stage("fragments", "零星边角地识别", assess_fragments)])


def _at(frags, x, y):
    """The fragment containing the point (x, y) of the layout."""
    hit = frags[frags.contains(shapely.Point(ORIGIN[0] + x, ORIGIN[1] + y))]
    assert len(hit) == 1, f"no single fragment at ({x}, {y})"
    return hit.iloc[0]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("fragments"))


def test_finds_exactly_the_three_plots(results):
    frags = results.layers["fragments"]
    assert len(frags) == 3
    assert sorted(frags["area_m2"]) == [100.0, 1600.0, 1800.0]
    assert sorted(frags["kind"]) == sorted([ENCLOSED, CORNER, SLIVER])


def test_enclosed_plot(results):
    g = _at(results.layers["fragments"], 120, 70)
    assert g["kind"] == ENCLOSED
    assert g["area_m2"] == 1600.0 and g["area_mu"] == round(1600 / M2_PER_MU, 4) == 2.4
    assert g["width_m"] == pytest.approx(40.0, abs=0.1)
    assert g["perimeter_m"] == 160.0
    assert g["compactness"] == pytest.approx(4 * np.pi * 1600 / 160 ** 2, abs=1e-4)  # π/4 for a square
    assert g["parcel_count"] == 3 and g["parcel_shared_m"] == 160.0 and g["road_shared_m"] == 0
    nb = json.loads(g["neighbours"])
    assert {n["parcel_id"]: n["shared_m"] for n in nb} == {IDS["A"]: 40.0, IDS["B"]: 40.0, IDS["C"]: 80.0}
    assert nb[0]["parcel_id"] == IDS["C"]  # longest shared boundary first


def test_corner_plot_against_a_road(results):
    h = _at(results.layers["fragments"], 230, 165)
    assert h["kind"] == CORNER
    assert h["area_m2"] == 1800.0
    assert h["width_m"] == pytest.approx(30.0, abs=0.1)
    assert h["road_shared_m"] == 60.0 and h["parcel_shared_m"] == 120.0
    nb = {n["parcel_id"]: n["shared_m"] for n in json.loads(h["neighbours"])}
    assert nb == {IDS["D"]: 60.0, IDS["C"]: 30.0, IDS["E"]: 30.0}


def test_two_metre_sliver_is_reported_apart(results):
    s = _at(results.layers["fragments"], 199, 25)
    assert s["kind"] == SLIVER
    assert s["area_m2"] == 100.0 and s["width_m"] == pytest.approx(2.0, abs=0.1)
    assert s["edge_shared_m"] == 2.0  # its south end is the study area's edge
    offers = results.layers["fragment_offers"]
    assert s["fragment_id"] not in set(offers["fragment_id"])


def test_faces_parcels_and_roads_add_up_to_the_study_area(results):
    total = (results.layers["fragments"].area.sum() + results.parcels.area.sum() + 300 * 20)
    assert total == pytest.approx(300 * 200, rel=1e-4)


def test_plot_half_in_farmland_keeps_its_usable_part(results):
    h = _at(results.layers["fragments"], 230, 165)
    assert h["usable_area_m2"] == 900.0
    assert h["usable_area_mu"] == round(900 / M2_PER_MU, 4)
    assert h["compliance"] == "部分符合" and not h["compliant"]
    assert "永久基本农田900.0㎡" in h["reason"]
    g = _at(results.layers["fragments"], 120, 70)
    assert g["compliance"] == "符合" and g["compliant"] and g["usable_area_m2"] == 1600.0 and g["reason"] == ""


def test_offers_by_shared_length_with_the_20pct_and_10mu_cap(results):
    frags = results.layers["fragments"]
    offers = results.layers["fragment_offers"]
    g = _at(frags, 120, 70)["fragment_id"]
    og = offers[offers["fragment_id"] == g].set_index("parcel_id")
    assert list(og.index) == [IDS["C"], IDS["A"], IDS["B"]]  # 80 m, then the 40 m ties by id
    assert list(og["rank"]) == [1, 2, 3]
    # A: 100 × 180 = 18000 m² → 20 % = 3600 m² (< 10 亩 = 6666.67 m²): takes the whole 1600 m²
    assert og.loc[IDS["A"], "cap_m2"] == 3600.0 and og.loc[IDS["A"], "max_take_m2"] == 1600.0
    assert bool(og.loc[IDS["A"], "whole_plot"])
    # B: 98 × 50 = 4900 m² → 20 % = 980 m²: only part of the plot
    assert og.loc[IDS["B"], "cap_m2"] == 980.0 and og.loc[IDS["B"], "max_take_m2"] == 980.0
    assert not bool(og.loc[IDS["B"], "whole_plot"])
    # C: 100 × 130 − 1600 = 11400 m² → 2280 m²
    assert og.loc[IDS["C"], "cap_m2"] == 2280.0
    h = _at(frags, 230, 165)["fragment_id"]
    oh = offers[offers["fragment_id"] == h].set_index("parcel_id")
    assert list(oh.index) == [IDS["D"], IDS["C"], IDS["E"]]
    # D: 15000 m² → 3000 m², but only 900 m² of H is usable
    assert oh.loc[IDS["D"], "max_take_m2"] == 900.0 and bool(oh.loc[IDS["D"], "whole_plot"])
    # E: 40 × 30 = 1200 m² → 240 m²
    assert oh.loc[IDS["E"], "max_take_m2"] == 240.0


def test_ten_mu_cap_binds_on_a_large_parcel(tmp_path):
    # a 300 × 300 parcel (135 亩): 20 % = 18000 m² but the cap is 10 亩 = 6666.67 m²
    big = box(0, 0, 300, 300)
    parcels = gpd.GeoDataFrame({"parcel_id": ["331023101001GB00009", "331023101001GB00008"]},
                               geometry=[big, shapely.difference(box(300, 0, 600, 300), box(300, 100, 400, 200))],
                               crs=ZONE40)
    layers = {"study_area": _layer([box(0, 0, 600, 300)])}
    res = _run(tmp_path, parcels, layers)
    frag = _at(res.layers["fragments"], 350, 150)
    assert frag["kind"] == ENCLOSED and frag["area_m2"] == 10000.0
    offers = res.layers["fragment_offers"].set_index("parcel_id")
    assert offers.loc["331023101001GB00009", "cap_m2"] == round(10 * M2_PER_MU, 2)
    assert offers.loc["331023101001GB00009", "cap_mu"] == 10.0
    # without 城镇开发边界, 农田, 红线 and 控规 the plot's compliance is unknown, its reason says why
    assert frag["compliance"] == "数据缺失" and pd.isna(frag["compliant"])
    assert "缺少图层" in frag["reason"] and "永久基本农田" in frag["reason"]


def test_corner_touch_is_no_neighbour(tmp_path):
    # a 3 × 3 grid of 10 m cells without the middle one: the four diagonal cells touch it at a corner
    cells = [box(i * 10, j * 10, i * 10 + 10, j * 10 + 10) for j in range(3) for i in range(3) if (i, j) != (1, 1)]
    ids = [f"331023101001GB{k:05d}" for k in range(len(cells))]
    parcels = gpd.GeoDataFrame({"parcel_id": ids}, geometry=cells, crs=ZONE40)
    res = _run(tmp_path, parcels, {"study_area": _layer([box(0, 0, 30, 30)])})
    frag = _at(res.layers["fragments"], 15, 15)
    assert frag["kind"] == ENCLOSED and frag["area_m2"] == 100.0 and frag["parcel_count"] == 4
    offered = set(res.layers["fragment_offers"]["parcel_id"])
    edge_neighbours = {ids[1], ids[3], ids[4], ids[6]}  # (1,0), (0,1), (2,1), (1,2)
    assert offered == edge_neighbours


def test_hole_in_a_parcel_is_enclosed(tmp_path):
    ring = shapely.difference(box(0, 0, 100, 100), box(40, 40, 60, 70))
    parcels = gpd.GeoDataFrame({"parcel_id": ["331023101001GB00001"]}, geometry=[ring], crs=ZONE40)
    res = _run(tmp_path, parcels, {"study_area": _layer([box(0, 0, 100, 100)])})
    frag = _at(res.layers["fragments"], 50, 50)
    assert frag["kind"] == ENCLOSED and frag["area_m2"] == 600.0 and frag["width_m"] == pytest.approx(20, abs=0.1)


def test_overlapping_parcels_leave_no_gap(tmp_path):
    parcels = gpd.GeoDataFrame({"parcel_id": ["331023101001GB00001", "331023101001GB00002"]},
                               geometry=[box(0, 0, 60, 50), box(40, 0, 100, 50)], crs=ZONE40)
    res = _run(tmp_path, parcels, {"study_area": _layer([box(0, 0, 100, 50)])})
    assert len(res.layers["fragments"]) == 0


def test_open_land_touching_no_parcel(tmp_path):
    parcels = gpd.GeoDataFrame({"parcel_id": ["331023101001GB00001"]}, geometry=[box(0, 0, 50, 50)], crs=ZONE40)
    layers = {"study_area": _layer([box(0, 0, 200, 50)]), "roads": _layer([box(50, 0, 70, 50)])}
    res = _run(tmp_path, parcels, layers)
    frag = _at(res.layers["fragments"], 100, 25)
    assert frag["kind"] == OPEN and frag["area_m2"] == 130 * 50
    assert len(res.layers["fragment_offers"]) == 0


def test_plot_outside_the_urban_boundary_is_found_and_fails(tmp_path):
    # the 城镇开发边界 stops at x = 230, the 控规 (M1) covers everything: H is sought in their union
    layers = _layers()
    layers["urban_boundary"] = _layer([box(0, 0, 230, 200)])
    res = _run(tmp_path, layers=layers)
    assert res.summary["fragments"]["study_area"] == "urban_boundary+zoning"
    h = _at(res.layers["fragments"], 245, 165)
    assert h["kind"] == CORNER and h["area_m2"] == 1800.0
    # x 230..260 is outside the boundary (900 m²) and in 永久基本农田 (the same 900 m²)
    assert h["usable_area_m2"] == 900.0 and h["compliance"] == "部分符合"
    assert "城镇开发边界外900.0㎡" in h["reason"] and "永久基本农田900.0㎡" in h["reason"]


def test_without_study_area_only_enclosed_land(tmp_path):
    layers = {"roads": _layer([box(0, 180, 300, 200)])}
    res = _run(tmp_path, layers=layers)
    frags = res.layers["fragments"]
    # G and H are closed in by parcels and the road; the sliver opens onto the outside
    assert sorted(frags["area_m2"]) == [1600.0, 1800.0]
    assert res.summary["fragments"]["study_area"] == "enclosed_only"


def test_deqing_has_no_corner_rule(tmp_path):
    res = _run(tmp_path, ruleset="deqing-2021")
    assert "fragments" not in res.layers
    assert res.summary["fragments"]["applicable"] is False


# -- the detection alone: tiles, merging across tiles, against the naive way ------------------------------------

def test_kd_tiles_cover_the_extent():
    rng = np.random.default_rng(1)
    pts = rng.uniform(0, 100, size=(1000, 2))
    tiles = kd_tiles(pts, (0, 0, 100, 100), max_per_tile=50)
    assert np.isclose(((tiles[:, 2] - tiles[:, 0]) * (tiles[:, 3] - tiles[:, 1])).sum(), 100 * 100)
    counts = [((pts[:, 0] >= t[0]) & (pts[:, 0] < t[2]) & (pts[:, 1] >= t[1]) & (pts[:, 1] < t[3])).sum()
              for t in tiles]
    assert max(counts) <= 50 and sum(counts) == 1000


def test_a_gap_cut_by_many_tiles_is_one_plot():
    # a 10 × 10 grid of 10 m parcels with a 30 × 10 m corridor removed, and tiny tiles
    cells = [shapely.box(i * 10, j * 10, i * 10 + 10, j * 10 + 10) for j in range(10) for i in range(10)
             if not (j == 5 and 3 <= i <= 5)]
    plots = find_gaps(cells, [shapely.box(0, 0, 100, 100)], max_per_tile=4)
    assert len(plots) == 1 and plots[0].area == pytest.approx(300.0) and plots[0].geom_type == "Polygon"


def test_tiled_and_naive_agree_on_a_jittered_layout():
    rng = np.random.default_rng(3)
    xs = np.linspace(0, 400, 9) + np.r_[0, rng.uniform(-4, 4, 7), 0]
    ys = np.linspace(0, 300, 7)
    cells = [shapely.Polygon([(xs[i], ys[j]), (xs[i + 1], ys[j]), (xs[i + 1], ys[j + 1]), (xs[i], ys[j + 1])])
             for j in range(6) for i in range(8)]
    keep = rng.random(len(cells)) > 0.15
    cells = [c for c, k in zip(cells, keep) if k]
    cells[0] = shapely.affinity.translate(cells[0], -1.5, 0)  # a sliver and an overlap
    area = [shapely.box(0, 0, 400, 300)]
    tiled = find_gaps(cells, area, max_per_tile=6)
    naive = naive_gaps(cells, area)
    assert len(tiled) == len(naive)
    assert shapely.area(tiled).sum() == pytest.approx(shapely.area(naive).sum(), abs=1e-6)
    assert shapely.symmetric_difference(shapely.union_all(tiled), shapely.union_all(naive)).area < 1e-6


def test_a_tile_job_holds_only_what_lies_near_its_tile():
    """Each tile's job (what the dask engine sends a worker) holds the features within the margin
    of its tile, the large ones (a ring road, a round study area) clipped to it; the plots are
    those of the jobs run in one process, and the naive overlay's."""
    cells = [shapely.box(i * 10, j * 10, i * 10 + 10, j * 10 + 10) for j in range(30) for i in range(30)
             if (i * 7 + j * 3) % 23]
    ring = shapely.Point(150, 150).buffer(160, quad_segs=64).difference(shapely.Point(150, 150).buffer(152))
    study = [shapely.Point(150, 150).buffer(170, quad_segs=64)]
    occupied = np.asarray([*cells, ring], dtype=object)
    jobs = []

    def recording(func, tile_jobs):
        for job in tile_jobs:
            jobs.append(job)
            yield func(*job)

    plots = find_gaps(occupied, study, max_per_tile=60, map_tiles=recording)
    assert shapely.to_wkb(plots).tolist() == shapely.to_wkb(find_gaps(occupied, study, max_per_tile=60)).tolist()
    naive = naive_gaps(occupied, study)
    assert len(plots) == len(naive) > 30 and len(jobs) >= 16
    assert shapely.symmetric_difference(shapely.union_all(plots), shapely.union_all(naive)).area < 1e-6
    for bounds, features, area, _ in jobs:
        grown = np.asarray(bounds) + [-TILE_MARGIN_M, -TILE_MARGIN_M, TILE_MARGIN_M, TILE_MARGIN_M]
        for geoms in (features, area):
            assert shapely.intersects(geoms, shapely.box(*grown)).all()
            b = shapely.bounds(geoms)
            inside = (b[:, :2] >= grown[:2] - 1e-6).all(axis=1) & (b[:, 2:] <= grown[2:] + 1e-6).all(axis=1)
            assert (inside | (shapely.get_num_coordinates(geoms) <= CLIP_ABOVE_VERTICES)).all()
    assert sum(len(j[1]) for j in jobs) < 1.5 * len(occupied)
    assert max(shapely.get_num_coordinates(j[2]).sum() for j in jobs) < shapely.get_num_coordinates(study[0]) / 2
