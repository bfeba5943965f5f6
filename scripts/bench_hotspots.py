#!/usr/bin/env python
"""Benchmark: the two analysis hot spots of issue 20 point 2, old against new, side by side.

1. ``footprint_share`` (idle stage): the old code dissolved every parcel holding two or more
   footprint pieces; the new one dissolves only parcels whose pieces share interior and sums areas
   for the rest. Both are run on the same parcels and buildings and checked to agree (to 1e-9).
2. Numeric column coercion while loading (``coerce_columns`` on the enterprise table read as text):
   the old code cleaned each cell with a Python lambda; the new one uses pandas str methods. Both
   results are checked to be equal.

The old implementations live only in this script (``old_footprint_share``, ``old_parse_numbers``).
Timings are CPU (process) and wall seconds, best of ``--repeat`` runs; no tracemalloc.

Usage::

    python scripts/make_sample_layers.py --parcels 100000 --out /tmp/h15_100k   # once
    python scripts/bench_hotspots.py --parcels 100000 [--workspace /tmp/h15_100k] [--repeat 1]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import geopandas as gpd  # noqa: E402
import pandas as pd  # noqa: E402
import shapely  # noqa: E402

from geo_tenglong.analysis import landcover  # noqa: E402
from geo_tenglong.io import columns  # noqa: E402
from geo_tenglong.io.schema import TABLES  # noqa: E402


def old_footprint_share(parcels: gpd.GeoSeries, buildings: gpd.GeoSeries) -> np.ndarray:
    """The footprint share as it was before issue 20.2: one dissolve over every multi-piece parcel."""
    n = len(parcels)
    out = np.zeros(n)
    pa = shapely.area(parcels.values)
    bgeoms = buildings.values[~shapely.is_empty(buildings.values) & ~pd.isna(buildings.values)]
    tree = shapely.STRtree(bgeoms)
    pi, bi = tree.query(parcels.values, predicate="intersects")
    pieces = shapely.intersection(parcels.values[pi], bgeoms[bi])
    frame = gpd.GeoDataFrame({"p": pi}, geometry=pieces)
    single = frame.groupby("p").size()
    area = pd.Series(shapely.area(pieces), index=pi).groupby(level=0).sum()
    multi = single[single > 1].index
    if len(multi):
        sub = frame[frame["p"].isin(multi)]
        unions = sub.dissolve(by="p")
        area.loc[unions.index] = shapely.area(unions.geometry.values)
    out[area.index.to_numpy()] = area.to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pa > 0, np.clip(out / pa, 0, 1), np.nan)


def old_parse_numbers(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Numeric-cell parsing as it was before issue 20.2: a Python lambda cleaning every cell."""
    cleaned = s.map(lambda v: columns._NUM_SEP.sub("", v.translate(columns._FULL_WIDTH)) if isinstance(v, str) else v)
    cleaned = cleaned.replace({"": None, "-": None, "—": None})
    num = pd.to_numeric(cleaned, errors="coerce")
    return num, (num.isna() & cleaned.notna()).to_numpy()


def timed(func: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Best CPU and wall seconds of ``repeat`` calls, and the last result."""
    best_cpu = best_wall = float("inf")
    result = None
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        result = func()
        best_cpu = min(best_cpu, time.process_time() - c0)
        best_wall = min(best_wall, time.perf_counter() - w0)
    return best_cpu, best_wall, result


def overlap_census(parcels: gpd.GeoSeries, buildings: gpd.GeoSeries) -> tuple[int, int, int]:
    """Parcels with a footprint, with two or more pieces, and with pieces sharing interior."""
    bgeoms = buildings.values
    pi, bi = shapely.STRtree(bgeoms).query(parcels.values, predicate="intersects")
    pieces = shapely.intersection(parcels.values[pi], bgeoms[bi])
    counts = np.bincount(pi, minlength=len(parcels))
    overlapping = landcover._overlapping_parcels(pi, pieces)
    return int((counts > 0).sum()), int((counts > 1).sum()), len(overlapping)


def coerce_with(parse: Callable[[pd.Series], tuple[pd.Series, np.ndarray]], raw: pd.DataFrame) -> pd.DataFrame:
    """``coerce_columns`` on the enterprise table with the given numeric-cell parser."""
    saved = columns.parse_numbers
    columns.parse_numbers = parse  # type: ignore[assignment]
    try:
        return columns.coerce_columns(raw, TABLES["enterprises"], "enterprises.csv")
    finally:
        columns.parse_numbers = saved


def raw_enterprises(path: Path) -> pd.DataFrame:
    """The enterprise CSV as text cells under field names (what the reader hands to coerce_columns)."""
    from geo_tenglong.io.tables import read_table

    raw = read_table(path, None, target="enterprises")
    # a few thousands separators and full-width digits, as typed by hand
    raw.loc[raw.index[::7], "revenue"] = raw.loc[raw.index[::7], "revenue"].map(lambda v: f"{float(v):,.2f}")
    return raw


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parcels", type=int, default=100_000)
    ap.add_argument("--workspace", type=Path, default=None, help="default /tmp/h15_<N> (generated if absent)")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args(argv)
    ws = args.workspace or Path(f"/tmp/h15_{args.parcels // 1000}k")
    if not (ws / "parcels.parquet").exists():
        subprocess.run([sys.executable, str(ROOT / "scripts/make_sample_layers.py"), "--parcels", str(args.parcels),
                        "--out", str(ws)], check=True)
    parcels = gpd.read_parquet(ws / "parcels.parquet").geometry
    buildings = gpd.read_parquet(ws / "buildings.parquet").geometry
    with_fp, multi, overlapping = overlap_census(parcels, buildings)
    print(f"{len(parcels)} parcels, {len(buildings)} buildings; {with_fp} parcels with footprints, {multi} with two "
          f"or more pieces, {overlapping} with pieces sharing interior (the only ones dissolved now)")

    rows = []
    oc, ow, old_fp = timed(lambda: old_footprint_share(parcels, buildings), args.repeat)
    nc, nw, new_fp = timed(lambda: landcover.footprint_share(parcels, buildings), args.repeat)
    same = np.allclose(old_fp, new_fp, rtol=0, atol=1e-9, equal_nan=True)
    rows.append(("footprint_share", oc, ow, nc, nw, same))

    raw = raw_enterprises(ws / "enterprises.csv")
    oc, ow, old_df = timed(lambda: coerce_with(old_parse_numbers, raw), args.repeat)
    nc, nw, new_df = timed(lambda: coerce_with(columns.parse_numbers, raw), args.repeat)
    rows.append((f"coerce_columns ({len(raw)} enterprise rows)", oc, ow, nc, nw, old_df.equals(new_df)))
    numeric = [c for c in TABLES["enterprises"].numeric if c in raw.columns]
    oc, ow, old_n = timed(lambda: [old_parse_numbers(raw[c])[0].astype(float) for c in numeric], args.repeat)
    nc, nw, new_n = timed(lambda: [columns.parse_numbers(raw[c])[0] for c in numeric], args.repeat)
    same = all(a.equals(b) for a, b in zip(old_n, new_n, strict=True))
    rows.append((f"  of which numeric parsing ({len(numeric)} columns)", oc, ow, nc, nw, same))

    print(f"{'hot spot':42} {'old CPU s':>9} {'old wall s':>10} {'new CPU s':>9} {'new wall s':>10} "
          f"{'CPU ×':>6} {'same':>5}")
    for name, oc, ow, nc, nw, same in rows:
        print(f"{name:42} {oc:9.2f} {ow:10.2f} {nc:9.2f} {nw:10.2f} {oc / max(nc, 1e-9):6.1f} {str(same):>5}")
    return 0 if all(r[-1] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
