#!/usr/bin/env python
"""Benchmark: the run history kept in a PostGIS schema (geo_tenglong.history.db_store), which copies
the whole history between the database and a temporary GeoPackage on every command.

Synthetic results of N parcels (scripts/bench_history.py's: a grid, a tenth on the low-efficiency
list, one enterprise per parcel) are recorded as quarters into a GeoPackage store, which is then
pushed into a schema of a throwaway local cluster (scripts/bench_peers.py's). Timed, one run each:

- ``push``: the store's tables into the schema (one transaction);
- ``pull``: the schema's history into a temporary GeoPackage (what bulletin, ledger export and a
  run's reading of the history do);
- ``record in db``: a further quarter recorded the way ``run --out postgresql://…`` does it —
  pull, ``record_run``, push, one transaction (:func:`db_store.update`) — against ``record_run``
  into the GeoPackage file alone.

Times are this process's CPU seconds, the server's CPU seconds (the cluster's processes, from
/proc) and wall seconds; the size is the history tables' in the database.

Usage::

    python scripts/bench_history_db.py [--parcels 1542 100000] [--quarters 4]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
for _p in (ROOT, ROOT / "scripts", ROOT / "tests"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

from bench_history import results  # noqa: E402
from bench_peers import postgis_cluster, server_cpu  # noqa: E402

from geo_tenglong.history import db_store, store  # noqa: E402
from geo_tenglong.io.db.url import connect, parse_db_url  # noqa: E402


def quarter(n: int, k: int, rng: np.random.Generator):
    """Quarter ``k`` (0, 1, 2 …): bench_history's first or second quarter, later ones dated on."""
    r = results(n, min(k, 1), rng)
    r.info.update(run_id=f"q{k}", as_of=f"{2023 + (k + 1) // 4}-{[6, 9, 12, 3][k % 4]:02d}-{[30, 30, 31, 31][k % 4]}")
    return r


def timed(postmaster: int, step: Callable[..., Any], *args: Any) -> tuple[Any, float, float, float]:
    """(result, client CPU s, server CPU s, wall s)."""
    cpu, server, wall = time.process_time(), server_cpu(postmaster), time.perf_counter()
    out = step(*args)
    return out, time.process_time() - cpu, server_cpu(postmaster) - server, time.perf_counter() - wall


def push(db, path: Path) -> list[str]:
    """The store's tables into the schema, one transaction."""
    engine = connect(db)
    try:
        with engine.begin() as conn:
            return db_store.push(path, conn, db.schema)
    finally:
        engine.dispose()


def pull(db) -> int:
    """The schema's history into a temporary GeoPackage; the number of runs read back from it."""
    with db_store.pulled(db) as copy:
        return len(store.runs(copy))


def bench(cluster, postmaster: int, n: int, quarters: int) -> list[tuple[str, float, float, float, str]]:
    rng = np.random.default_rng(19)
    db = parse_db_url(f"{cluster.url()}?schema=h{n}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.gpkg"
        for k in range(quarters):
            store.record_run(quarter(n, k, rng), path, updaters=[])
        tables, c, s, w = timed(postmaster, push, db, path)
        rows.append(("push (whole history)", c, s, w, f"{len(tables)} tables"))
        runs, c, s, w = timed(postmaster, pull, db)
        rows.append(("pull (whole history)", c, s, w, f"{runs} runs"))
        nxt = quarter(n, quarters, rng)
        local = Path(tmp) / "local.gpkg"
        shutil.copy(path, local)
        _, c, s, w = timed(postmaster, store.record_run, nxt, local, (), [])
        rows.append(("record_run into the gpkg file", c, s, w, ""))
        _, c, s, w = timed(postmaster, db_store.update, db, lambda copy: store.record_run(nxt, copy, updaters=[]))
        rows.append(("record in db (pull+record+push)", c, s, w, ""))
    size = cluster.psql("SELECT sum(pg_total_relation_size(format('%I.%I', table_schema, table_name))) "
                        f"FROM information_schema.tables WHERE table_schema = 'h{n}'")
    rows.append(("history tables in the database", 0.0, 0.0, 0.0, f"{int(size) / 1e6:.1f} MB"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, nargs="+", default=[1542, 100_000])
    parser.add_argument("--quarters", type=int, default=4, help="quarters in the history before the timed record")
    args = parser.parse_args()
    print(f"{'parcels':>9} | {'quarters':>8} | {'step':<34} | {'CPU s':>6} | {'server s':>8} | {'wall s':>7} | note")
    print("-" * 100)
    with postgis_cluster() as cluster:
        postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
        for n in args.parcels:
            for step, c, s, w, note in bench(cluster, postmaster, n, args.quarters):
                print(f"{n:>9,} | {args.quarters:>8} | {step:<34} | {c:>6.2f} | {s:>8.2f} | {w:>7.2f} | {note}")


if __name__ == "__main__":
    main()
