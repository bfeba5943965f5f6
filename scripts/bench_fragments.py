#!/usr/bin/env python
"""Benchmark: finding 零星边角地/夹心地 (``geo_tenglong.analysis.fragments.find_gaps``) at scale.

Usage
-----
``python scripts/bench_fragments.py [--sizes 100000 1000000] [--naive-max 100000] [--source synthetic|sample]``

For each size N it builds a synthetic county of N parcels (``--source sample`` asks
``scripts/make_sample_layers.py --parcels N --out DIR`` for it instead; the built-in layout is the
default because it plants a known number of gaps to check against), then times

- the tiled planar partition of :func:`find_gaps` (nodes and polygonizes tile by tile), and
- the naive way beside it: one union of every parcel, road and water, differenced from the study
  area (:func:`naive_gaps`) — run only up to ``--naive-max`` parcels, because it grows badly;

and prints a table (wall-clock and CPU seconds — the CPU figure is what a busy shared machine
does not distort —, plots found, their total area, the planted gaps), with the time to
describe and classify the plots (:func:`describe_plots`: width, compactness, neighbours) beside. The built-in layout:
a grid of street blocks, 20 m road surfaces between them, every block cut into 12 parcels along
jittered lines (so parcels tile the block exactly, with skewed edges), then about 3 % of the parcels
removed (the planted gaps) and one parcel in 200 pulled 2 m away from its neighbour (a sliver).

``python scripts/bench_fragments.py --stage [--sizes N …] [--workers 2]`` times the whole stage
instead (:func:`assess_fragments`: the gaps, the plots' widths, condition (a), the shared
boundaries and offers) on that county as a workspace — roads, the study area, a 城镇开发边界 a
block short of it on the east and every tenth block 永久基本农田 — once in this process and once
with ``map_tiles`` on a ``distributed.LocalCluster`` of ``--workers`` single-threaded workers (as
``--engine dask`` runs it): this process's CPU seconds, the workers' CPU seconds (their processes'
``getrusage``, receiving and all) and wall seconds, and whether the two gave the same bytes.
"""

from __future__ import annotations

import argparse
import datetime
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import geopandas as gpd
import pandas as pd

from geo_tenglong.analysis.fragments import assess_fragments, describe_plots, find_gaps, naive_gaps

BLOCK_W, BLOCK_H, ROAD = 200.0, 150.0, 20.0
NX, NY = 4, 3  # parcels per block
NOISE_M2 = 0.01  # overlay dust below this is no plot (the tiantai-2022 noise_area_m2), both ways


def synthetic_county(n_parcels: int, seed: int = 7, gap_share: float = 0.03, sliver_every: int = 200):
    """A grid of blocks cut into parcels, with roads between blocks and planted gaps.

    Returns
    -------
    parcels, roads : ndarray of Polygon
    study_area : Polygon
    planted : int
        Number of parcels removed as gaps (adjacent removed parcels make one plot, so the plots
        found can be fewer).
    """
    rng = np.random.default_rng(seed)
    n_blocks = int(np.ceil(n_parcels / (NX * NY)))
    gx = int(np.ceil(np.sqrt(n_blocks)))
    gy = int(np.ceil(n_blocks / gx))
    pitch_x, pitch_y = BLOCK_W + ROAD, BLOCK_H + ROAD
    x0, y0 = 40_500_000.0, 3_200_000.0
    bi = np.arange(gx * gy)[:n_blocks]
    bx = x0 + ROAD + (bi % gx) * pitch_x
    by = y0 + ROAD + (bi // gx) * pitch_y
    # a jittered (NX+1) x (NY+1) lattice per block; the outer ring stays on the block outline
    u = np.linspace(0, BLOCK_W, NX + 1)
    v = np.linspace(0, BLOCK_H, NY + 1)
    lx = np.broadcast_to(u[None, None, :], (n_blocks, NY + 1, NX + 1)).copy()
    ly = np.broadcast_to(v[None, :, None], (n_blocks, NY + 1, NX + 1)).copy()
    lx[:, :, 1:-1] += rng.uniform(-8, 8, size=(n_blocks, NY + 1, NX - 1))
    ly[:, 1:-1, :] += rng.uniform(-6, 6, size=(n_blocks, NY - 1, NX + 1))
    lx += bx[:, None, None]
    ly += by[:, None, None]
    # parcel (b, j, i): corners (j,i) (j,i+1) (j+1,i+1) (j+1,i)
    j, i = np.meshgrid(np.arange(NY), np.arange(NX), indexing="ij")
    j, i = j.ravel(), i.ravel()
    cx = np.stack([lx[:, j, i], lx[:, j, i + 1], lx[:, j + 1, i + 1], lx[:, j + 1, i], lx[:, j, i]], axis=-1)
    cy = np.stack([ly[:, j, i], ly[:, j, i + 1], ly[:, j + 1, i + 1], ly[:, j + 1, i], ly[:, j, i]], axis=-1)
    coords = np.stack([cx, cy], axis=-1).reshape(-1, 5, 2)[:n_parcels]
    coords = np.round(coords, 3)
    parcels = shapely.polygons(coords)
    # planted gaps: parcels removed; slivers: a parcel's east edge pulled 2 m west
    drop = rng.random(len(parcels)) < gap_share
    sliver = np.zeros(len(parcels), dtype=bool)
    sliver[::sliver_every] = True
    sliver &= ~drop
    c = coords[sliver].copy()
    c[:, 1:3, 0] -= 2.0
    parcels[sliver] = shapely.polygons(c)
    parcels = parcels[~drop]
    # roads: one surface per grid line, the whole length of the county
    width = gx * pitch_x + ROAD
    height = gy * pitch_y + ROAD
    roads = [shapely.box(x0 + k * pitch_x, y0, x0 + k * pitch_x + ROAD, y0 + height) for k in range(gx + 1)]
    roads += [shapely.box(x0, y0 + k * pitch_y, x0 + width, y0 + k * pitch_y + ROAD) for k in range(gy + 1)]
    study = shapely.box(x0, y0, x0 + width, y0 + height)
    return parcels, np.asarray(roads, dtype=object), study, int(drop.sum())


def sample_county(n_parcels: int, workdir: Path):
    """Parcels (and roads, when written) from ``scripts/make_sample_layers.py --parcels N``.

    Scale mode writes parcels and buildings only: the streets between its blocks have no road
    layer, so with the parcels' envelope as the study area they come out as one large
    其他空闲地 — a harder case for the tile merge than real data, where roads are mapped.
    """
    from geo_tenglong.workspace import load_workspace

    out = workdir / f"sample_{n_parcels}"
    subprocess.run([sys.executable, str(Path(__file__).with_name("make_sample_layers.py")), "--parcels",
                    str(n_parcels), "--out", str(out)], check=True)
    ws = load_workspace(out)
    parcels = ws.parcels.geometry.to_numpy()
    roads = ws.layer("roads").geometry.to_numpy() if ws.layer("roads") is not None else np.empty(0, dtype=object)
    area = ws.layer("study_area") if ws.layer("study_area") is not None else ws.layer("urban_boundary")
    study = shapely.union_all(area.geometry.to_numpy()) if area is not None else \
        shapely.box(*shapely.total_bounds(parcels))
    return parcels, roads, study, -1


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def county_workspace(n_parcels: int):
    """The synthetic county as a workspace and results for :func:`assess_fragments`."""
    from geo_tenglong.results import Results
    from geo_tenglong.rules import load_ruleset
    from geo_tenglong.workspace import Workspace

    parcels, roads, study, _ = synthetic_county(n_parcels)
    crs = "EPSG:4528"
    x0, y0, x1, y1 = study.bounds
    urban = shapely.box(x0, y0, x1 - (BLOCK_W + ROAD), y1)
    blocks = roads[:0]
    if len(parcels):
        c = shapely.centroid(parcels[::NX * NY * 10])
        blocks = shapely.buffer(c, 40.0, quad_segs=4)

    def layer(geoms, **cols):
        return gpd.GeoDataFrame(cols, geometry=list(geoms), crs=crs)

    ids = np.char.add("P", np.arange(len(parcels)).astype(str))
    p = layer(parcels, parcel_id=ids)
    layers = {"parcels": p, "roads": layer(roads), "study_area": layer([study]), "urban_boundary": layer([urban]),
              "basic_farmland": layer(blocks)}
    ws = Workspace(root=Path("."), county="合成", admin_code="331023", ruleset=load_ruleset("tiantai-2022"),
                   as_of=datetime.date(2023, 6, 30), crs=p.crs, layers=layers, tables={}, rasters={},
                   landcover_classes={}, coords_folder=None, inputs=[], data_issues=pd.DataFrame(), aliases={})
    parcels_out = p.assign(area_m2=shapely.area(parcels).round(2))
    return ws, Results(info={}, parcels=parcels_out)


def stage_rows(sizes: list[int], workers: int) -> list[str]:
    """Time :func:`assess_fragments` in this process and with its tiles on a local cluster."""
    from distributed import Client, LocalCluster

    from geo_tenglong.engine.dask import tile_map

    def usage(dask_worker=None) -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    rows = []
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        # imports are not the stage's cost; the workers run the code this script imports
        where = client.run(lambda: [__import__(m) for m in ("geo_tenglong.analysis.fragments",
                                                            "geo_tenglong.engine.dask")][0].__file__)
        print(f"workers run {set(where.values())}", file=sys.stderr)
        for n in sizes:
            ws, results = county_workspace(n)
            t, c = time.perf_counter(), _cpu()
            single = assess_fragments(ws, results)
            t_single, c_single = time.perf_counter() - t, _cpu() - c
            before = client.run(usage)
            t, c = time.perf_counter(), _cpu()
            dask = assess_fragments(ws, results, map_tiles=tile_map(client))
            t_dask, c_dask = time.perf_counter() - t, _cpu() - c
            after = client.run(usage)
            w_dask = sum(after[w] - before[w] for w in after)
            a, b = single.layers["fragments"], dask.layers["fragments"]
            same = (shapely.to_wkb(a.geometry.to_numpy()).tolist() == shapely.to_wkb(b.geometry.to_numpy()).tolist()
                    and pd.DataFrame(a.drop(columns="geometry")).equals(pd.DataFrame(b.drop(columns="geometry")))
                    and single.layers["fragment_offers"].equals(dask.layers["fragment_offers"]))
            rows.append(f"| {len(results.parcels):,} | {len(a):,} | {c_single:.2f} | {t_single:.2f} | {c_dask:.2f} | "
                        f"{w_dask:.2f} | {t_dask:.2f} | {'yes' if same else 'NO'} |")
            print(rows[-1], flush=True)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--naive-max", type=int, default=100_000,
                    help="run the naive union-and-difference only up to this many parcels")
    ap.add_argument("--source", choices=["synthetic", "sample"], default="synthetic")
    ap.add_argument("--tile", type=int, default=1000, help="open boundary segments per tile")
    ap.add_argument("--stage", action="store_true", help="time the whole stage, single process and dask workers")
    ap.add_argument("--workers", type=int, default=2, help="dask workers for --stage")
    args = ap.parse_args(argv)
    if args.stage:
        rows = stage_rows(args.sizes, args.workers)
        print("\n| parcels | plots | single CPU s | single wall s | dask run process CPU s | dask workers CPU s "
              "| dask wall s | same bytes |\n|---:|---:|---:|---:|---:|---:|---:|---|")
        print("\n".join(rows))
        return 0

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            t = time.perf_counter()
            if args.source == "sample":
                parcels, roads, study, planted = sample_county(n, Path(tmp))
            else:
                parcels, roads, study, planted = synthetic_county(n)
            t_build = time.perf_counter() - t
            occupied = np.concatenate([parcels, roads])
            t, c = time.perf_counter(), time.process_time()
            plots = find_gaps(occupied, [study], max_per_tile=args.tile, noise_area_m2=NOISE_M2)
            t_tiled, c_tiled = time.perf_counter() - t, time.process_time() - c
            area = float(shapely.area(plots).sum())
            t, c = time.perf_counter(), time.process_time()
            desc, _ = describe_plots(plots, parcels, np.arange(len(parcels)).astype(str), roads, None, [study])
            t_desc, c_desc = time.perf_counter() - t, time.process_time() - c
            kinds = desc["kind"].value_counts()
            kind_txt = "/".join(str(int(kinds.get(k, 0))) for k in ("夹心地", "边角地", "狭长碎片", "其他空闲地"))
            if n <= args.naive_max:
                t, c = time.perf_counter(), time.process_time()
                naive = naive_gaps(occupied, [study])
                naive = naive[shapely.area(naive) >= NOISE_M2]
                t_naive, c_naive = time.perf_counter() - t, time.process_time() - c
                naive_txt = f"{t_naive:6.1f} /{c_naive:6.1f} s  {len(naive):>8,d}  {shapely.area(naive).sum():>14,.1f}"
            else:
                naive_txt = f"{'not run (> --naive-max)':>42}"
            rows.append(f"{len(parcels):>10,d} {planted:>8,d} {t_build:7.1f} s | {t_tiled:6.1f} /{c_tiled:6.1f} s  "
                        f"{len(plots):>8,d}  {area:>14,.1f} | {t_desc:6.1f} /{c_desc:6.1f} s  {kind_txt:>21} | {naive_txt}")
            print(rows[-1], flush=True)
    head = (f"{'parcels':>10} {'planted':>8} {'build':>9} | {'tiled wall/CPU':>16}  {'plots':>8}  {'area m²':>14} | "
            f"{'describe wall/CPU':>17}  {'夹心/边角/碎片/空闲':>17} | {'naive wall/CPU':>16}  {'plots':>8}  "
            f"{'area m²':>14}")
    print()
    print(head)
    print("-" * len(head))
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
