#!/usr/bin/env python
"""Benchmark: land-cover shares for many parcels on a large tiled raster, against rasterstats.

Generates, in a temporary folder, a classified uint8 GeoTIFF (tiled 512 × 512, DEFLATE, 2 m pixels,
classes 1–4 in blobs with 0 = nodata specks) written tile row by tile row, and N parcels of 1–10 亩
(rotated quadrilaterals) spread over it. Then times

- ``geo_tenglong.analysis.landcover.zonal_shares`` (exactextract: coverage-weighted, windowed), and
- ``rasterstats.zonal_stats(categorical=True)`` (pixel-centre rasterisation, one window per parcel)

on the same raster and parcels, and prints a table. rasterstats is slow: ``--rasterstats-parcels``
times it on the first M parcels (in the same order) and extrapolates linearly to N, said so in the
table; the default runs it on all of them.

Usage::

    python scripts/bench_zonal.py [--parcels 100000] [--size 20000] [--rasterstats-parcels N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import geopandas as gpd  # noqa: E402
import rasterio  # noqa: E402
import shapely  # noqa: E402
from rasterio.transform import from_origin  # noqa: E402
from rasterio.windows import Window  # noqa: E402

from geo_tenglong.analysis.landcover import COVER_CLASSES, zonal_shares  # noqa: E402

CLASSES = {1: "built", 2: "bare", 3: "vegetation", 4: "water"}
X0, Y0 = 40_560_000.0, 3_260_000.0  # 天台, EPSG:4528
PIX = 2.0
MU = 10000 / 15


def make_raster(path: Path, size: int, seed: int = 1) -> None:
    """A size × size classified raster, written one strip of tiles at a time (never whole in memory)."""
    rng = np.random.default_rng(seed)
    coarse_n = size // 32 + 2
    coarse = rng.integers(1, 5, size=(coarse_n, coarse_n)).astype("uint8")  # one class per 64 m block
    profile = dict(driver="GTiff", width=size, height=size, count=1, dtype="uint8", crs="EPSG:4528", nodata=0,
                   transform=from_origin(X0, Y0, PIX, PIX), tiled=True, blockxsize=512, blockysize=512,
                   compress="deflate", BIGTIFF="IF_SAFER")
    strip = 512
    with rasterio.open(path, "w", **profile) as ds:
        for r0 in range(0, size, strip):
            h = min(strip, size - r0)
            rows = (np.arange(r0, r0 + h) // 32)[:, None]
            cols = (np.arange(size) // 32)[None, :]
            block = coarse[rows, cols]
            noise = rng.random((h, size))
            block = np.where(noise < 0.08, rng.integers(1, 5, size=(h, size)), block).astype("uint8")
            block[noise > 0.998] = 0
            ds.write(block, 1, window=Window(0, r0, size, h))


def make_parcels(n: int, size: int, seed: int = 2) -> gpd.GeoDataFrame:
    """n rotated quadrilaterals of 1–10 亩 on a jittered grid over the raster."""
    rng = np.random.default_rng(seed)
    extent = size * PIX
    k = int(np.ceil(np.sqrt(n)))
    step = extent / k
    idx = np.arange(n)
    cx = X0 + (idx % k + 0.5) * step + rng.uniform(-0.2, 0.2, n) * step
    cy = Y0 - (idx // k + 0.5) * step + rng.uniform(-0.2, 0.2, n) * step
    area = rng.uniform(1, 10, n) * MU
    ratio = rng.uniform(0.5, 2.0, n)
    w = np.sqrt(area * ratio)
    h = area / w
    w, h = np.minimum(w, step * 0.55), np.minimum(h, step * 0.55)
    ang = rng.uniform(0, np.pi, n)
    corners = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5]])
    dx = corners[None, :, 0] * w[:, None]
    dy = corners[None, :, 1] * h[:, None]
    xs = cx[:, None] + dx * np.cos(ang)[:, None] - dy * np.sin(ang)[:, None]
    ys = cy[:, None] + dx * np.sin(ang)[:, None] + dy * np.cos(ang)[:, None]
    rings = shapely.linearrings(np.stack([xs, ys], axis=-1))
    return gpd.GeoDataFrame({"parcel_id": [f"P{i:07d}" for i in idx]}, geometry=shapely.polygons(rings),
                            crs="EPSG:4528")


def run_rasterstats(parcels: gpd.GeoDataFrame, raster: Path) -> np.ndarray:
    from rasterstats import zonal_stats

    stats = zonal_stats(parcels.geometry.values, str(raster), categorical=True, nodata=0)
    built = np.array([s.get(1, 0) / max(sum(v for k, v in s.items() if k in CLASSES), 1) for s in stats])
    return built


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parcels", type=int, default=100_000)
    ap.add_argument("--size", type=int, default=20_000, help="raster width = height in pixels (2 m)")
    ap.add_argument("--rasterstats-parcels", type=int, default=None,
                    help="time rasterstats on the first N parcels only and extrapolate (default: all)")
    ap.add_argument("--keep", type=Path, default=None, help="keep the generated raster in this folder")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench_zonal_") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        raster = folder / f"landcover_{args.size}.tif"
        t = time.perf_counter()
        if not raster.exists():
            make_raster(raster, args.size)
        t_raster = time.perf_counter() - t
        parcels = make_parcels(args.parcels, args.size)
        mb = raster.stat().st_size / 1e6
        print(f"raster {args.size:,} x {args.size:,} px (2 m, tiled 512, deflate, {mb:,.0f} MB) made in {t_raster:.1f} s; "
              f"{len(parcels):,} parcels of 1-10 mu")

        t, c = time.perf_counter(), time.process_time()
        ours = zonal_shares(parcels.geometry, raster, CLASSES)
        t_ours, c_ours = time.perf_counter() - t, time.process_time() - c
        assert ours["in_raster"].all()

        m = len(parcels) if args.rasterstats_parcels is None else min(args.rasterstats_parcels, len(parcels))
        t, c = time.perf_counter(), time.process_time()
        rs_built = run_rasterstats(parcels.iloc[:m], raster)
        t_rs, c_rs = time.perf_counter() - t, time.process_time() - c
        t_rs_full, c_rs_full = t_rs * len(parcels) / m, c_rs * len(parcels) / m

    diff = np.abs(ours["built"].to_numpy()[:m] - rs_built)
    rows = [
        ("geo_tenglong zonal_shares (exactextract, chunked)", len(parcels), t_ours, c_ours, "measured"),
        ("rasterstats zonal_stats(categorical=True)", m, t_rs, c_rs, "measured"),
    ]
    if m != len(parcels):
        rows.append(("rasterstats, extrapolated", len(parcels), t_rs_full, c_rs_full, f"from {m:,} parcels"))
    print()
    print("| method | parcels | wall s | CPU s | parcels/s (wall) | note |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for name, n, sec, cpu, note in rows:
        print(f"| {name} | {n:,} | {sec:,.1f} | {cpu:,.1f} | {n / sec:,.0f} | {note} |")
    print(f"\nspeed-up for {len(parcels):,} parcels: {t_rs_full / t_ours:.1f}x wall, {c_rs_full / c_ours:.1f}x CPU "
          "(the machine is shared: CPU time is the steadier figure)")
    print(f"built share, |ours - rasterstats| (pixel-centre vs coverage-weighted): "
          f"mean {np.nanmean(diff):.4f}, 95th pct {np.nanpercentile(diff, 95):.4f}, max {np.nanmax(diff):.4f}")
    print(f"classes: {', '.join(COVER_CLASSES)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
