#!/usr/bin/env python
"""Benchmark: the run history at county and province scale.

Synthetic results of N parcels (a grid of 100 m squares; a tenth on the low-efficiency list, one
enterprise per parcel) are recorded as two quarters into one history store; between them a
quarter of the listed parcels leave the list (re-rated, taken back, split). Timed, one run each:
``record_run`` (the first and the second quarter), reading the first quarter's parcel states back
(what the next run's targets stage does), :func:`geo_tenglong.history.compare.changes` (the change
layer) and the store's size. Times are CPU (process) and wall seconds.

Usage::

    python scripts/bench_history.py [--parcels 1500 100000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from geo_tenglong.findings import make_findings  # noqa: E402
from geo_tenglong.history import compare, store  # noqa: E402
from geo_tenglong.results import Results  # noqa: E402


def results(n: int, quarter: int, rng: np.random.Generator) -> Results:
    """Results of ``n`` parcels for quarter 0 or 1 (in quarter 1 a quarter of the listed leave the list)."""
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x, y = 40_500_000 + (i % side) * 100.0, 3_200_000 + (i // side) * 100.0
    geoms = shapely.box(x, y, x + 90, y + 90)
    listed = i % 10 == 0
    cls = np.where(listed, "D", np.array(["A", "B", "C"])[i % 3]).astype(object)
    owner = np.array([f"91331023MA{k:08d}" for k in i], dtype=object)
    split_from = np.full(n, None, dtype=object)
    if quarter:
        leave = listed & (i % 40 == 0)
        cls[leave & (i % 120 == 0)] = "C"
        owner[leave & (i % 120 == 40)] = "11331023MB00000000"
        split_from[leave & (i % 120 == 80)] = [f"P{k:07d}" for k in i[leave & (i % 120 == 80)]]
        listed = listed & ~leave
    ids = np.array([f"P{k:07d}" for k in i], dtype=object)
    ids[split_from != None] = [f"{s}-1" for s in split_from[split_from != None]]  # noqa: E711
    parcels = gpd.GeoDataFrame({
        "parcel_id": ids, "township": np.array(["始丰街道", "福溪街道", "平桥镇", "白鹤镇"])[i % 4],
        "park_id": np.where(i % 3 == 0, "P01", None), "owner_uscc": owner, "holder_uscc": owner,
        "eval_class": cls, "reclaimable": listed, "reclaim_reason": np.where(listed, "D类", None),
        "idle_tier": (i % 97 == 0).astype(int), "split_from": split_from, "merged_from": None,
        "land_use_code": "1001", "area_mu": np.round(8100 / (10000 / 15), 4)}, geometry=geoms, crs="EPSG:4528")
    fails = i[i % 7 == 0]
    findings = make_findings(ids[fails], "NAT-FAR", "", "fail")
    ev = pd.DataFrame({"uscc": owner, "name": [f"企业{k}" for k in i], "year": 2022, "eval_class": cls,
                       "land_mu": 12.15, "tax": rng.uniform(1, 500, n), "tax_per_mu": 1.0, "va_per_mu": 1.0,
                       "energy_tce": rng.uniform(10, 5000, n)})
    info = {"run_id": f"q{quarter}", "as_of": ["2023-06-30", "2023-09-30"][quarter], "admin_code": "331023",
            "county": "天台县", "ruleset": "tiantai-2022", "crs": "EPSG:4528"}
    return Results(info=info, parcels=parcels, findings=findings, layers={"enterprise_eval": ev},
                   summary={"efficiency": {"eval_year": 2022}})


def timed(step: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    out = step(*args, **kwargs)
    return out, time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, nargs="+", default=[1500, 100_000])
    args = parser.parse_args()
    print(f"{'parcels':>9} | {'step':<30} | {'CPU s':>7} | {'wall s':>7} | note")
    print("-" * 80)
    for n in args.parcels:
        rng = np.random.default_rng(19)
        q0, q1 = results(n, 0, rng), results(n, 1, rng)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "history.gpkg"
            rows = []
            _, c, w = timed(store.record_run, q0, path, updaters=[])
            rows.append(("record_run (first quarter)", c, w, ""))
            _, c, w = timed(store.record_run, q1, path, updaters=[])
            rows.append(("record_run (second quarter)", c, w, ""))
            before, c, w = timed(store.parcel_states, path, "q0")
            rows.append(("parcel_states (read back)", c, w, f"{len(before):,} rows"))
            after = store.parcel_states_of(q1)
            ch, c, w = timed(compare.changes, before, after)
            kinds = ch["change"].value_counts().to_dict()
            rows.append(("compare.changes", c, w, ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))))
            size = path.stat().st_size / 1e6
            for step, c, w, note in rows:
                print(f"{n:>9,} | {step:<30} | {c:>7.2f} | {w:>7.2f} | {note}")
            print(f"{n:>9,} | {'store size (two quarters)':<30} | {'':>7} | {'':>7} | {size:.1f} MB")


if __name__ == "__main__":
    main()
