#!/usr/bin/env python
"""Benchmark the whole pipeline on a synthetic county: time and peak memory per stage.

    python scripts/bench.py --parcels 100000            # generates bench-out/county-100000 once
    python scripts/bench.py --parcels 1000000 --stages efficiency,intensity

The synthetic county comes from ``scripts/make_sample_layers.py --parcels N --out DIR`` and is
kept under ``bench-out/`` (git-ignored) for the next run. Peak memory is the Python-side peak
(tracemalloc, numpy included) during the stage, and the process's maximum RSS so far.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from geo_tenglong.pipeline import STAGES, base_parcels  # noqa: E402
from geo_tenglong.results import Results  # noqa: E402
from geo_tenglong.workspace import load_workspace  # noqa: E402


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ensure_county(n: int, out: Path) -> Path:
    """Generate the synthetic county of ``n`` parcels unless it is there already."""
    if not (out / "workspace.toml").is_file():
        t = time.perf_counter()
        subprocess.run([sys.executable, str(REPO / "scripts" / "make_sample_layers.py"), "--parcels", str(n),
                        "--out", str(out)], check=True)
        print(f"generated {n:,} parcels in {time.perf_counter() - t:.1f} s → {out}")
    return out


def measure(label: str, func, rows: list):
    """Run ``func`` and append (label, seconds, peak MB, max RSS MB) to ``rows``."""
    tracemalloc.start()
    t = time.perf_counter()
    value = func()
    seconds = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rows.append((label, seconds, peak / 2**20, _rss_mb()))
    print(f"  {label:<22} {seconds:8.2f} s", file=sys.stderr)
    return value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parcels", type=int, default=100_000)
    ap.add_argument("--stages", help="comma-separated stage names (default: all)")
    ap.add_argument("--out", type=Path, default=REPO / "bench-out")
    args = ap.parse_args()
    root = ensure_county(args.parcels, args.out / f"county-{args.parcels}")
    wanted = set(args.stages.split(",")) if args.stages else None
    rows: list = []
    ws = measure("load workspace", lambda: load_workspace(root), rows)
    results = measure("parcel areas", lambda: Results(info={}, parcels=base_parcels(ws)), rows)
    for stage in STAGES:
        if wanted and stage.name not in wanted:
            continue
        out = measure(stage.name, lambda stage=stage: stage.func(ws, results), rows)
        results.add(stage.name, out)
    n_build = len(ws.layer("buildings")) if ws.layer("buildings") is not None else 0
    print(f"\n{args.parcels:,} parcels, {n_build:,} buildings, {len(results.findings):,} findings")
    print(f"| {'stage':<22} | {'time (s)':>9} | {'peak (MB)':>10} | {'max RSS (MB)':>12} |")
    print(f"|{'-' * 24}|{'-' * 11}|{'-' * 12}|{'-' * 14}|")
    for label, sec, peak, rss in rows:
        print(f"| {label:<22} | {sec:9.2f} | {peak:10.0f} | {rss:12.0f} |")
    total = sum(r[1] for r in rows)
    print(f"| {'total':<22} | {total:9.2f} | {'':>10} | {'':>12} |")


if __name__ == "__main__":
    main()
