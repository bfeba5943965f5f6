"""The dask engine gives the single-process engine's results (geo_tenglong/engine/dask.py).

Both engines analyse the same loaded workspace; every table is compared in the canonical form of
``scripts/compare_results.py`` (rows sorted, floats to 1e-6, geometries to 1 cm), plus metrics and
summaries. The cluster is a ``distributed.LocalCluster`` of two worker processes.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from dask.utils import key_split

pytest.importorskip("dask_geopandas")
distributed = pytest.importorskip("distributed")

from geo_tenglong.analysis.fragments import find_gaps, kd_tiles, naive_gaps  # noqa: E402
from geo_tenglong.cli import main  # noqa: E402
from geo_tenglong.engine.dask import _partition_count, tile_map  # noqa: E402
from geo_tenglong.engine.partition import hilbert_partitions  # noqa: E402
from geo_tenglong.pipeline import analyse  # noqa: E402
from geo_tenglong.rules import load_ruleset  # noqa: E402
from geo_tenglong.workspace import load_workspace  # noqa: E402

from conftest import box, write_workspace  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("compare_results", REPO / "scripts" / "compare_results.py")
assert _spec and _spec.loader
compare_results = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compare_results)

WORKERS = 2


@pytest.fixture(scope="module")
def scheduler():
    """The address of a local cluster of two single-threaded worker processes."""
    with distributed.LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    """A 2000-parcel synthetic county (scripts/make_sample_layers.py --parcels 2000)."""
    out = tmp_path_factory.mktemp("engine") / "county-2000"
    subprocess.run([sys.executable, str(REPO / "scripts" / "make_sample_layers.py"), "--parcels", "2000",
                    "--out", str(out)], check=True, capture_output=True)
    return out


def _tables(results) -> dict[str, pd.DataFrame]:
    return {"findings": results.findings, "parcels": results.parcels, **results.layers}


def assert_same(single, dask) -> None:
    """Every table, metric and summary of the two results agree (canonical form)."""
    a, b = _tables(single), _tables(dask)
    assert sorted(a) == sorted(b)
    for name in a:
        ca = compare_results._canonical(pd.DataFrame(a[name]))
        cb = compare_results._canonical(pd.DataFrame(b[name]))
        assert list(ca.columns) == list(cb.columns), name
        if not ca.equals(cb):
            both = ca.merge(cb, how="outer", indicator=True)
            raise AssertionError(f"{name} differs:\n{both[both['_merge'] != 'both'].head(6).to_string()}")
    assert single.metrics == pytest.approx(dask.metrics, nan_ok=True)
    assert json.dumps(single.summary, sort_keys=True, default=str) == json.dumps(dask.summary, sort_keys=True,
                                                                                 default=str)


def _part_of(ws) -> np.ndarray:
    """Each parcel's partition on a cluster of :data:`WORKERS` workers."""
    parts = hilbert_partitions(ws.parcels.geometry, _partition_count(len(ws.parcels), WORKERS))
    part_of = np.empty(len(ws.parcels), dtype=int)
    for k, rows in enumerate(parts):
        part_of[rows] = k
    return part_of


def _cross_edge_pairs(ws) -> list[tuple[int, int]]:
    """Pairs of parcels sharing an edge of at least 8 m whose partitions differ."""
    part_of = _part_of(ws)
    geoms = ws.parcels.geometry.to_numpy()
    i, j = shapely.STRtree(geoms).query(geoms, predicate="touches")
    cross = (i < j) & (part_of[i] != part_of[j])
    return [(a, b) for a, b in zip(i[cross], j[cross], strict=True)
            if shapely.intersection(geoms[a].boundary, geoms[b].boundary).length >= 8]


def test_hilbert_partitions_hold_every_parcel_once(synthetic):
    ws = load_workspace(synthetic)
    parts = hilbert_partitions(ws.parcels.geometry, _partition_count(len(ws.parcels), WORKERS))
    rows = np.concatenate(parts)
    assert len(parts) == 2 * WORKERS
    assert sorted(rows.tolist()) == list(range(len(ws.parcels)))
    # consecutive Hilbert distance keeps neighbours together: few touching pairs cross a partition edge
    # (a random split into four would cut three in four)
    part_of = np.empty(len(rows), dtype=int)
    for k, p in enumerate(parts):
        part_of[p] = k
    geoms = ws.parcels.geometry.to_numpy()
    i, j = shapely.STRtree(geoms).query(geoms, predicate="touches")
    assert len(i) > len(geoms)
    assert (part_of[i] != part_of[j]).mean() < 0.1


def test_synthetic_county_same_as_single(synthetic, scheduler):
    ws = load_workspace(synthetic)
    single = analyse(ws)
    dask = analyse(ws, engine="dask", scheduler=scheduler)
    assert len(dask.findings) == len(single.findings) > 1000
    assert_same(single, dask)


def _with_gaps(path: Path, share: float = 0.03):
    """The workspace at ``path`` without a seeded ``share`` of its parcels: the removed ones become 夹心地."""
    ws = load_workspace(path)
    keep = np.random.default_rng(7).random(len(ws.parcels)) >= share
    ws.layers["parcels"] = ws.parcels[keep].reset_index(drop=True)
    return ws


def test_gap_tiles_on_workers_give_the_same_plots(synthetic, scheduler):
    """find_gaps with its tiles noded and polygonized on the cluster: the same plots, byte for byte."""
    ws = _with_gaps(synthetic)
    occupied = ws.parcels.geometry.to_numpy()
    study = [shapely.box(*shapely.total_bounds(occupied))]
    here = find_gaps(occupied, study, max_per_tile=100)
    with distributed.Client(scheduler) as client:
        there = find_gaps(occupied, study, max_per_tile=100, map_tiles=tile_map(client))
    assert len(here) > 10
    assert shapely.to_wkb(there).tolist() == shapely.to_wkb(here).tolist()


def test_fragments_tiles_run_on_the_workers(synthetic, scheduler):
    """A county with 夹心地: the fragments layer, offers and findings are the single engine's, and
    the fragments stage's tiles ran as tasks on the workers."""
    ws = _with_gaps(synthetic)
    single = analyse(ws)
    with distributed.Client(scheduler) as client, distributed.get_task_stream(client) as stream:
        dask = analyse(ws, engine="dask", scheduler=scheduler)
        workers = set(client.scheduler_info()["workers"])
    assert len(single.layers["fragments"]) > 5 and len(single.layers["fragment_offers"])
    assert_same(single, dask)
    assert shapely.to_wkb(dask.layers["fragments"].geometry.to_numpy()).tolist() == \
        shapely.to_wkb(single.layers["fragments"].geometry.to_numpy()).tolist()
    tiles = [t for t in stream.data if key_split(t["key"]) == "run_tiles"]
    assert len(tiles) >= 2
    assert {t["worker"] for t in tiles} <= workers


def _straddlers(ws) -> gpd.GeoDataFrame:
    """Unnamed buildings across the edge of neighbouring parcels in different partitions, 70 % on one side."""
    geoms = ws.parcels.geometry.to_numpy()
    rows = []
    for a, b in _cross_edge_pairs(ws)[:40]:
        edge = shapely.intersection(geoms[a].boundary, geoms[b].boundary)
        mid = edge.interpolate(0.5, normalized=True)
        inward = shapely.centroid(geoms[a])
        dx, dy = inward.x - mid.x, inward.y - mid.y
        norm = float(np.hypot(dx, dy))
        # a 6 m square, 4.2 m of it towards a's centre: mostly on a, partly on b
        cx, cy = mid.x + dx / norm * 1.2, mid.y + dy / norm * 1.2
        rows.append({"building_id": f"X{len(rows):04d}", "parcel_id": None, "floors": 3.0, "height_m": 12.0,
                     "storey_height_m": 4.0, "use": "生产", "completed": True, "completed_year": 2015.0,
                     "geometry": shapely.box(cx - 3, cy - 3, cx + 3, cy + 3)})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=ws.crs)


def test_buildings_straddling_partition_edges(synthetic, scheduler):
    """A building without a parcel id across a partition edge counts once, on the parcel it covers most."""
    ws = load_workspace(synthetic)
    extra = _straddlers(ws)
    assert len(extra) >= 10
    buildings = ws.layers["buildings"].copy()
    # half the buildings lose their parcel id, so they too are placed by overlap
    buildings["parcel_id"] = buildings["parcel_id"].where(np.arange(len(buildings)) % 2 == 0)
    ws.layers["buildings"] = pd.concat([buildings, extra], ignore_index=True)
    single = analyse(ws)
    dask = analyse(ws, engine="dask", scheduler=scheduler)
    assert_same(single, dask)
    # the straddlers are on both sides' footprints but in one side's floor area
    floor = single.parcels.set_index("parcel_id")["floor_area_m2"]
    assert floor.sum() > analyse(load_workspace(synthetic)).parcels["floor_area_m2"].sum()


def test_scheduler_needs_the_dask_engine(tmp_path):
    res = CliRunner().invoke(main, ["run", str(tmp_path), "--scheduler", "tcp://127.0.0.1:8786"])
    assert res.exit_code == 2
    assert "--engine dask" in res.output


def test_run_command_on_a_scheduler(tmp_path, tiny_parcels, scheduler):
    """`run --engine dask --scheduler ADDRESS` writes every output: three parcels (three partitions of
    one) and a building across the first two, counted once, on the second, which it covers most."""
    buildings = gpd.GeoDataFrame({"building_id": ["B1"], "floors": [2], "use": ["生产"]},
                                 geometry=[box(90, 10, 130, 60)], crs=tiny_parcels.crs)
    ws = write_workspace(tmp_path / "ws", tiny_parcels, layers={"buildings": buildings})
    res = CliRunner(env={"GEO_TENGLONG_CHROMIUM": "none"}).invoke(main, [
        "run", str(ws), "-o", str(tmp_path / "out"), "--maps", str(tmp_path / "maps"), "--reports", "none", "--quiet",
        "--allow-incomplete", "--history", str(tmp_path / "history.gpkg"), "--engine", "dask", "--scheduler", scheduler])
    assert res.exit_code == 0, res.output
    parcels = pyogrio.read_dataframe(tmp_path / "out" / "results.gpkg", layer="parcels")
    assert parcels["floor_area_m2"].tolist() == [0.0, 40 * 50 * 2, 0.0]
    assert (tmp_path / "maps" / "briefing.html").is_file()


def _tasks_named(stream, name: str) -> list:
    return [t for t in stream.data if key_split(t["key"]) == name]


@pytest.mark.parametrize("county", ["tiantai", "deqing", "quarters/2023Q3"])
def test_sample_plans_proposals_and_clusters_on_partitions(sample_dir, scheduler, county):
    """Both sample counties whole, and 天台's 2023Q3 quarter: 零增地技改 plans and split/merge proposals
    are checked on the partitions of their parcels (天台), clusters linked on partitions (德清), results
    the single engine's (the quarter once caught the idle 亩 summed from unrounded areas)."""
    ws = load_workspace(sample_dir if county == "tiantai" else sample_dir / county)
    single = analyse(ws)
    with distributed.Client(scheduler) as client, distributed.get_task_stream(client) as stream:
        dask = analyse(ws, engine="dask", scheduler=scheduler)
    assert_same(single, dask)
    features = _tasks_named(stream, "run_feature_stage")
    if county == "deqing":  # no TT-CORNER, TT-SPLIT or TT-MERGE: each plan or proposal is one 不适用, here
        assert not features
    else:
        assert len(features) >= 2  # the plans and proposals lie in more than one partition
    # efficiency, intensity (renovation plans too) and idle — and 德清's clusters — on every partition
    stages = 4 if county == "deqing" else 3
    assert len(_tasks_named(stream, "run_map")) == stages * _partition_count(len(ws.parcels), WORKERS)
    assert (single.layers["idle_land"]["idle_tier"] > 0).any()
    if county == "deqing":
        assert single.summary["clusters"]["clusters"] >= 2
    else:
        assert (single.findings["rule_id"] == "TT-VERT").sum() >= 1


def test_plans_and_proposals_across_partition_edges(synthetic, scheduler):
    """A merge of two neighbours in different partitions, a split naming parcels of two partitions,
    and a 零增地技改 plot reaching over the neighbour's edge: each checked once, as in one process."""
    ws = load_workspace(synthetic)
    pairs = _cross_edge_pairs(ws)[:6]
    assert len(pairs) == 6
    p = ws.parcels
    ids, geoms = p["parcel_id"].to_numpy(), p.geometry.to_numpy()
    ws.tables["merge_proposals"] = pd.DataFrame(
        {"proposal_id": [f"HB{k}" for k in range(3)], "buyer_uscc": [None] * 3,
         "parcel_ids": [f"{ids[a]};{ids[b]}" for a, b in pairs[:2]] + [f"{ids[pairs[2][0]]};{ids[pairs[5][1]]}"]})
    splits, plans = [], []
    for k, (a, b) in enumerate(pairs[3:5]):
        x0, y0, x1, y1 = geoms[a].bounds
        mid = (x0 + x1) / 2
        for no, half in enumerate([shapely.box(x0, y0, mid, y1), shapely.box(mid, y0, x1, y1)]):
            # the second proposal's second part names the neighbour: one proposal, two partitions
            pid = ids[b] if (k == 1 and no == 1) else ids[a]
            splits.append({"proposal_id": f"FG{k}", "parcel_id": pid, "part_no": no + 1, "buyer_uscc": None,
                           "geometry": shapely.intersection(geoms[a], half)})
    for k, (a, b) in enumerate(pairs):
        edge = shapely.intersection(geoms[a].boundary, geoms[b].boundary)
        plot = shapely.intersection(edge.buffer(3.0), geoms[b])  # a strip of the neighbour along the edge
        plans.append({"renovation_id": f"R{k}", "parcel_id": ids[a], "uscc": None,
                      "floor_area_after_m2": 5000.0, "renovation_floor_area_m2": 1500.0,
                      "expansion_floor_area_m2": 0.0, "accepted": True, "equipment_investment": np.nan,
                      "total_investment": np.nan, "leased_plant_m2": np.nan, "geometry": plot})
    # one enterprise's two 工业大厦 expansions on parcels of two partitions: 30 + 30 万元 capped at 50 over both
    for k, row in enumerate(pairs[0]):
        plans.append({**plans[0], "renovation_id": f"V{k}", "parcel_id": ids[row], "uscc": "91331023TESTVERT0X",
                      "floor_area_after_m2": 20 * float(shapely.area(geoms[row])),
                      "expansion_floor_area_m2": 6000.0, "geometry": None})
    ws.layers["split_proposals"] = gpd.GeoDataFrame(splits, geometry="geometry", crs=ws.crs)
    ws.layers["renovations"] = gpd.GeoDataFrame(plans, geometry="geometry", crs=ws.crs)
    single = analyse(ws)
    with distributed.Client(scheduler) as client, distributed.get_task_stream(client) as stream:
        dask = analyse(ws, engine="dask", scheduler=scheduler)
    assert_same(single, dask)
    merged = single.layers["merge_checks"].set_index("proposal_id")["adjacent"]
    assert merged["HB0"] and merged["HB1"] and not merged["HB2"]
    assert single.summary["split_merge"]["split_proposals"] == 2
    # each plot lies on the neighbour's land: not free, so condition (a) fails in both engines
    a = single.findings[(single.findings["rule_id"] == "TT-CORNER") & single.findings["message"].str.contains("与已有宗地、道路或水域重叠")]
    assert set(a["parcel_id"]) == {f"R{k}" for k in range(6)}
    vert = single.findings[single.findings["rule_id"] == "TT-VERT"].set_index("parcel_id")["value"]
    assert sorted(vert[["V0", "V1"]]) == [20.0, 30.0]
    assert len({t["worker"] for t in _tasks_named(stream, "run_feature_stage")}) == WORKERS


def test_cluster_across_partitions(synthetic, scheduler):
    """德清's DQ-CLUSTER on the synthetic county with one park: the clusters outside it link parcels
    of several partitions, and are found once, as in one process."""
    ws = load_workspace(synthetic)
    ws = dataclasses.replace(ws, ruleset=load_ruleset("deqing-2021"))
    x0, y0, x1, y1 = shapely.total_bounds(ws.parcels.geometry.to_numpy())
    park = shapely.box(x0, y0, (x0 + x1) / 2, (y0 + y1) / 2)
    ws.layers["parks"] = gpd.GeoDataFrame({"park_id": ["P1"], "name": ["园区"]}, geometry=[park], crs=ws.crs)
    single = analyse(ws)
    dask = analyse(ws, engine="dask", scheduler=scheduler)
    assert_same(single, dask)
    part_of = _part_of(ws)
    members = single.parcels["cluster_id"].notna().to_numpy()
    assert members.sum() > 100
    assert len(np.unique(part_of[members])) >= 2


def test_enterprise_across_partitions_efficiency_on_workers(synthetic, scheduler):
    """An enterprise holding parcels in two partitions, and a pool (holder — parcel — tenant) tying
    two more: the same land, 亩均 and classes as in one process; efficiency's map ran on the workers,
    one task per partition."""
    from geo_tenglong.analysis.enterprise_land import industrial_mask, normalise_codes
    from geo_tenglong.pipeline import STAGES

    ws = load_workspace(synthetic)
    parts = hilbert_partitions(ws.parcels.geometry, _partition_count(len(ws.parcels), WORKERS))
    p = ws.parcels.copy()
    firms = set(normalise_codes(ws.table("enterprises")["uscc"]).dropna())
    owners = normalise_codes(p["owner_uscc"]).to_numpy(dtype=object)
    usable = industrial_mask(p["land_use_code"], ws.ruleset.get("MJ-EVAL").industrial_land_codes) & \
        np.isin(owners, list(firms))
    a, b, c, d = (next(r for r in part if usable[r]) for part in parts[:4])
    p.loc[p.index[b], "owner_uscc"] = owners[a]                  # the holder of a also holds b
    ws.layers["parcels"] = p
    ws.tables["tenancy"] = pd.DataFrame({"parcel_id": [p["parcel_id"].iloc[d]], "uscc": [owners[c]],
                                         "floor_area_m2": [800.0], "source_row": [2]})  # c's holder rents d
    stages = [s for s in STAGES if s.name == "efficiency"]
    single = analyse(ws, stages=stages)
    with distributed.Client(scheduler) as client, distributed.get_task_stream(client) as stream:
        dask = analyse(ws, engine="dask", scheduler=scheduler, stages=stages)
    assert_same(single, dask)

    ev = dask.layers["enterprise_eval"]
    ey = dask.summary["efficiency"]["eval_year"]
    held = dask.parcels[normalise_codes(dask.parcels["owner_uscc"]).to_numpy(dtype=object) == owners[a]]
    row = ev[(ev["uscc"] == owners[a]) & (ev["year"] == ey)].iloc[0]
    assert set(row["parcel_ids"].split(";")) == set(held["parcel_id"]) >= {p["parcel_id"].iloc[x] for x in (a, b)}
    assert row["land_mu"] == pytest.approx(held["area_mu"].sum(), abs=1e-3)
    assert row["tax_per_mu"] == pytest.approx(row["tax"] / row["land_mu"], rel=1e-3)
    pool = ev[ev["uscc"].isin([owners[c], owners[d]]) & (ev["year"] == ey)]
    assert len(pool) == 2 and (pool["pool_size"] == 2).all() and pool["land_mu"].nunique() == 1
    maps = _tasks_named(stream, "run_map")
    assert len(maps) == len(parts) and len({t["worker"] for t in maps}) == WORKERS


def _tiled_layout():
    """16 × 16 parcels of 10 m in a roof-shaped study area, cut into eight tiles by
    ``max_per_tile=40``: a 2 × 2 hole on the corner where four tiles meet, a corridor across four
    tiles (and its mirror image across two, to keep the tiles symmetric), and open land under the
    roof along the top tiles."""
    hole = {(7, 7), (8, 7), (7, 8), (8, 8)}
    corridor = {(i, j) for i in range(2, 14) for j in (3, 12)}
    cells = [shapely.box(i * 10, j * 10, i * 10 + 10, j * 10 + 10) for j in range(16) for i in range(16)
             if (i, j) not in hole | corridor]
    study = [shapely.Polygon([(0, 0), (160, 0), (160, 160), (80, 175), (0, 160)])]
    return np.asarray(cells, dtype=object), study


def test_plots_across_tile_corners_and_frames_on_workers(scheduler):
    """find_gaps on the workers with the tiles cut through its plots: a plot on the corner of four
    tiles, one across four and the study area's open land along the top tiles are each one plot,
    the naive overlay's, and the same bytes as in one process."""
    cells, study = _tiled_layout()
    b = shapely.bounds(cells)
    tiles = kd_tiles((b[:, :2] + b[:, 2:]) / 2, shapely.total_bounds(study), max_per_tile=40)
    corners = np.r_[tiles[:, :2], tiles[:, 2:], tiles[:, [0, 3]], tiles[:, [2, 1]]].tolist()
    assert corners.count([80.0, 80.0]) == 4  # the hole's centre is the corner of four tiles
    here = find_gaps(cells, study, max_per_tile=40)
    with distributed.Client(scheduler) as client, distributed.get_task_stream(client) as stream:
        there = find_gaps(cells, study, max_per_tile=40, map_tiles=tile_map(client))
        workers = set(client.scheduler_info()["workers"])
    assert shapely.to_wkb(there).tolist() == shapely.to_wkb(here).tolist()
    naive = naive_gaps(cells, study)
    assert len(there) == len(naive) == 4
    assert shapely.symmetric_difference(shapely.union_all(there), shapely.union_all(naive)).area < 1e-6
    corner = [p for p in there if p.contains(shapely.Point(80, 80))]
    assert len(corner) == 1 and corner[0].area == pytest.approx(400.0)
    corridor = [p for p in there if p.contains(shapely.Point(75, 35))]
    assert len(corridor) == 1 and corridor[0].area == pytest.approx(1200.0)
    crossed = tiles[(tiles[:, 0] < 140) & (tiles[:, 2] > 20) & (tiles[:, 1] < 40) & (tiles[:, 3] > 30)]
    assert len(crossed) == 4
    roof = [p for p in there if p.contains(shapely.Point(80, 165))]
    assert len(roof) == 1 and roof[0].area == pytest.approx(160 * 15 / 2)
    runs = _tasks_named(stream, "run_tiles")
    assert len(runs) >= 2 and {t["worker"] for t in runs} <= workers


def test_fragments_stage_leaves_the_tiles_and_widths_to_the_workers(synthetic, scheduler, monkeypatch):
    """With --engine dask the run process neither nodes a tile, drops its segments, nor measures a
    plot's width: with those made to fail here, the stage still gives the single engine's results."""
    from geo_tenglong.analysis import fragments

    ws = _with_gaps(synthetic)
    single = analyse(ws)
    assert len(single.layers["fragments"]) > 5

    def not_here(*args, **kwargs):
        raise AssertionError("fragments tile work in the run process")

    for name in ("_open_segments", "_tile_faces", "plot_width", "compliance_of"):
        monkeypatch.setattr(fragments, name, not_here)
    with distributed.Client(scheduler) as client, distributed.get_task_stream(client) as stream:
        dask = analyse(ws, engine="dask", scheduler=scheduler)
    assert_same(single, dask)
    assert shapely.to_wkb(dask.layers["fragments"].geometry.to_numpy()).tolist() == \
        shapely.to_wkb(single.layers["fragments"].geometry.to_numpy()).tolist()
    assert len(_tasks_named(stream, "run_tiles")) >= 3  # the tiles' batches and the plots' measures


def test_unreachable_scheduler_is_one_line(tmp_path, tiny_parcels, monkeypatch):
    """A scheduler that does not answer: one line naming it, exit 2, before the workspace is read."""
    from geo_tenglong.engine import dask as dask_engine

    monkeypatch.setattr(dask_engine, "CONNECT_TIMEOUT_S", 1)
    ws = write_workspace(tmp_path / "ws", tiny_parcels)
    res = CliRunner().invoke(main, ["run", str(ws), "-o", str(tmp_path / "out"), "--engine", "dask",
                                    "--scheduler", "tcp://127.0.0.1:9"])
    assert res.exit_code == 2, res.output
    assert "无法连接 dask 调度器 tcp://127.0.0.1:9" in res.output
    assert not (tmp_path / "out").exists()
