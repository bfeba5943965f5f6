#!/usr/bin/env python
"""Benchmark: the 整治台账 at county and province scale.

Synthetic ``ledger_lists`` tables of N entries (a tenth listed) are recorded as three runs into one
history store with :func:`geo_tenglong.history.ledger.update_ledger` — the first opens the tasks,
the second flips a tenth of the entries (closes and opens), the third flips them back (reopens) —
then the ledger file is exported and imported back unchanged. Times are CPU (process) and wall
seconds of each step, one run each (the store is written, so a repeat would measure another case).

Usage::

    python scripts/bench_ledger.py [--entries 2500 100000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from geo_tenglong.history.ledger import read_tasks, update_ledger  # noqa: E402
from geo_tenglong.history.ledger_xlsx import export_ledger, import_ledger  # noqa: E402
from geo_tenglong.history.store import connect, record_run  # noqa: E402
from geo_tenglong.results import Results  # noqa: E402


def lists_table(n: int, listed: np.ndarray) -> pd.DataFrame:
    """A ledger_lists table of ``n`` 高耗低效整治 entries."""
    uscc = [f"91331023MA{i:08d}" for i in range(n)]
    return pd.DataFrame({
        "task_id": [f"ZZ-{u}" for u in uscc], "list": "高耗低效整治", "rule_id": "TT-LEDGER", "clause": "三(一)1",
        "uscc": uscc, "name": [f"企业{i}" for i in range(n)], "parcel_id": [f"331023101{i:06d}GB00001" for i in range(n)],
        "township": np.array(["始丰街道", "平桥镇", "福溪街道"])[np.arange(n) % 3],
        "treatment": np.where(listed, "改造提升", None), "deadline": np.where(listed, pd.Timestamp("2024-06-30"), pd.NaT),
        "listed": listed, "reason": np.where(listed, "亩均评价D类", "达标销号:亩均评价C类")})


def results_for(lists: pd.DataFrame, as_of: str, run_id: str) -> Results:
    import geopandas as gpd

    parcels = gpd.GeoDataFrame({"parcel_id": pd.Series(dtype=str)}, geometry=[], crs="EPSG:4528")
    return Results(info={"run_id": run_id, "as_of": as_of, "admin_code": "331023", "county": "天台县"},
                   parcels=parcels, layers={"ledger_lists": lists})


def timed(step: Callable[[], object]) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    step()
    return time.process_time() - cpu, time.perf_counter() - wall


def bench(n: int, folder: Path) -> list[tuple[str, float, float]]:
    rng = np.random.default_rng(19)
    listed = np.zeros(n, dtype=bool)
    listed[rng.choice(n, n // 10, replace=False)] = True
    flip = rng.choice(n, max(1, n // 10), replace=False)
    flipped = listed.copy()
    flipped[flip] = ~flipped[flip]
    store, out = folder / f"history_{n}.gpkg", folder / f"ledger_{n}.xlsx"
    rows = []
    for label, lst, as_of in (("run 1: open", listed, "2023-06-30"), ("run 2: close/open a tenth", flipped, "2023-09-30"),
                              ("run 3: reopen", listed, "2023-12-31")):
        res = results_for(lists_table(n, lst), as_of, f"r{as_of}")
        rows.append((label, *timed(lambda res=res: record_run(res, store, updaters=[update_ledger]))))
    rows.append(("export xlsx", *timed(lambda: export_ledger(store, out))))
    rows.append(("import xlsx (no change)", *timed(lambda: import_ledger(out, store))))
    tasks = read_tasks(store)
    with connect(store) as conn:
        events = conn.execute("SELECT count(*) FROM ledger_events").fetchone()[0]
    print(f"\n{n:,} entries: {len(tasks):,} tasks, {events:,} events, statuses "
          f"{tasks['status'].value_counts().to_dict()}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, nargs="+", default=[2500, 100000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.entries:
            rows = bench(n, Path(tmp))
            print(f"{'step':28} {'CPU s':>8} {'wall s':>8}")
            for label, cpu, wall in rows:
                print(f"{label:28} {cpu:8.2f} {wall:8.2f}")


if __name__ == "__main__":
    main()
