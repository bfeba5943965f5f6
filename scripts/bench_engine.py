#!/usr/bin/env python
"""Benchmark the analysis on the single-process engine and on the dask engine, stage by stage.

    python scripts/bench_engine.py --parcels 100000            # generates bench-out/county-100000 once
    python scripts/bench_engine.py --workspace /path/to/county --workers 2

Each engine runs in its own process (so each peak RSS is its own): load the workspace, then
``analyse(ws, engine=…)``, timing every stage (CPU seconds of this process, wall seconds) from the
progress calls. The dask engine runs its partitioned stages on a ``distributed.LocalCluster`` of
``--workers`` single-threaded worker processes: a stage's row is the run process's CPU (cutting and
sending partitions, the finish) and the stage's wall time; the partition tasks' CPU seconds (their
threads), the worker processes' CPU seconds and each worker's peak RSS are read from the workers
(``resource.getrusage`` via ``Client.run``). The ``fragments`` stage sends its tiles to the workers:
those tasks' CPU seconds are reported apart. No tracemalloc in the timed runs.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _usage() -> dict:
    """This process's CPU seconds and peak RSS (MB).

    The peak is the kernel's high-water mark of this process's own memory (``VmHWM``), not
    ``ru_maxrss``, which a worker process inherits from the process that started it.
    """
    r = resource.getrusage(resource.RUSAGE_SELF)
    status = Path("/proc/self/status").read_text()
    hwm = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    return {"cpu": r.ru_utime + r.ru_stime, "rss_mb": hwm / 1024}


def ensure_county(n: int, out: Path) -> Path:
    """Generate the synthetic county of ``n`` parcels unless it is there already."""
    if not (out / "workspace.toml").is_file():
        subprocess.run([sys.executable, str(REPO / "scripts" / "make_sample_layers.py"), "--parcels", str(n),
                        "--out", str(out)], check=True)
    return out


def _tally(kind: str, c: float) -> None:
    from distributed import get_worker

    worker = get_worker()
    setattr(worker, kind, getattr(worker, kind, 0.0) + time.thread_time() - c)


def _timed_map(task, func):
    """``run_map`` on a worker, adding its thread's CPU seconds to the worker's tally."""
    from geo_tenglong.engine import dask as engine

    c = time.thread_time()
    out = engine.run_map(task, func)
    _tally("bench_task_cpu", c)
    return out


def _timed_feature(task, name, tables):
    """``run_feature_stage`` on a worker, adding its thread's CPU seconds to the worker's tally."""
    from geo_tenglong.engine import dask as engine

    c = time.thread_time()
    out = engine.run_feature_stage(task, name, tables)
    _tally("bench_task_cpu", c)
    return out


def _timed_tiles(func, jobs):
    """``run_tiles`` on a worker, adding its thread's CPU seconds to the worker's tile tally."""
    from geo_tenglong.engine import dask as engine

    c = time.thread_time()
    out = engine.run_tiles(func, jobs)
    _tally("bench_tile_cpu", c)
    return out


def _task_cpu(dask_worker) -> dict:
    return {"partitions": getattr(dask_worker, "bench_task_cpu", 0.0),
            "tiles": getattr(dask_worker, "bench_tile_cpu", 0.0)}


def one(workspace: str, engine: str, workers: int) -> dict:
    """Run one engine on ``workspace`` in this process; the timings as a dict."""
    from geo_tenglong.pipeline import analyse
    from geo_tenglong.workspace import load_workspace

    marks: list[tuple[str, float, float]] = []

    def progress(label: str) -> None:
        marks.append((label, time.perf_counter(), time.process_time()))

    def load() -> tuple:
        t, c = time.perf_counter(), time.process_time()
        ws = load_workspace(workspace)
        return ws, {"wall": time.perf_counter() - t, "cpu": time.process_time() - c}

    if engine == "dask":
        from distributed import Client, LocalCluster

        # the cluster first, so its worker processes start small
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            client.run(lambda: __import__("geo_tenglong.pipeline"))  # imports are not the engine's cost
            ws, took = load()
            out: dict = {"engine": engine, "parcels": len(ws.parcels), "load": took}
            from geo_tenglong.engine import dask as dask_engine

            dask_engine.run_map = _timed_map  # defined in __main__: sent to the workers by value
            dask_engine.run_feature_stage = _timed_feature
            dask_engine.run_tiles = _timed_tiles
            before = client.run(_usage)
            t, c = time.perf_counter(), time.process_time()
            results = analyse(ws, progress=progress, engine="dask", scheduler=cluster.scheduler_address)
            after = client.run(_usage)
            task_cpu = client.run(_task_cpu)
        out["workers"] = [{"cpu": after[w]["cpu"] - before[w]["cpu"], "task_cpu": task_cpu[w]["partitions"],
                           "tile_cpu": task_cpu[w]["tiles"],
                           "rss_mb": after[w]["rss_mb"], "rss_before_mb": before[w]["rss_mb"]} for w in after]
    else:
        ws, took = load()
        out = {"engine": engine, "parcels": len(ws.parcels), "load": took}
        t, c = time.perf_counter(), time.process_time()
        results = analyse(ws, progress=progress)
    marks.append(("end", time.perf_counter(), time.process_time()))
    out["total"] = {"wall": time.perf_counter() - t, "cpu": time.process_time() - c}
    out["stages"] = [{"label": a[0], "wall": b[1] - a[1], "cpu": b[2] - a[2]} for a, b in zip(marks, marks[1:])]
    out["findings"] = len(results.findings)
    out["client_rss_mb"] = _usage()["rss_mb"]
    return out


def _table(single: dict, dask: dict) -> None:
    print(f"\n{single['parcels']:,} parcels, {single['findings']:,} findings (single) / {dask['findings']:,} (dask), "
          f"{len(dask['workers'])} dask workers\n")
    print("| stage | single CPU s | single wall s | dask client CPU s | dask wall s |")
    print("|---|---:|---:|---:|---:|")
    rows = [("load workspace", single["load"], dask["load"])]
    by_label = {s["label"]: s for s in dask["stages"]}
    rows += [(a["label"], a, by_label.get(a["label"], {"cpu": float("nan"), "wall": float("nan")}))
             for a in single["stages"]]
    for label, a, b in rows:
        print(f"| {label} | {a['cpu']:.2f} | {a['wall']:.2f} | {b['cpu']:.2f} | {b['wall']:.2f} |")
    print(f"| **analysis** | {single['total']['cpu']:.2f} | {single['total']['wall']:.2f} | "
          f"{dask['total']['cpu']:.2f} | {dask['total']['wall']:.2f} |")
    wcpu = sum(w["cpu"] for w in dask["workers"])
    tcpu = sum(w["task_cpu"] for w in dask["workers"])
    fcpu = sum(w["tile_cpu"] for w in dask["workers"])
    print(f"\ndask workers: the partitioned stages' tasks {tcpu:.2f} CPU s and the fragments stage's tiles "
          f"{fcpu:.2f} CPU s (their threads), the worker processes "
          f"{wcpu:.2f} CPU s (with deserialising and the idle event loop over the whole analysis); analysis CPU "
          f"client + worker processes {dask['total']['cpu'] + wcpu:.2f} s (single {single['total']['cpu']:.2f} s)")
    print("peak RSS: single process {:.0f} MB; dask client {:.0f} MB, workers {} MB (before the analysis {} MB)".format(
        single["client_rss_mb"], dask["client_rss_mb"], ", ".join(f"{w['rss_mb']:.0f}" for w in dask["workers"]),
        ", ".join(f"{w['rss_before_mb']:.0f}" for w in dask["workers"])))
    print("(a dask stage's row is the run process's CPU — cutting, sending, the finish — and the stage's wall; "
          "the last row holds disconnecting from the cluster)")


def _one_table(run: dict) -> None:
    print(f"\n{run['parcels']:,} parcels, {run['findings']:,} findings, engine {run['engine']}\n")
    print("| stage | CPU s | wall s |")
    print("|---|---:|---:|")
    for s in [{"label": "load workspace", **run["load"]}, *run["stages"], {"label": "**analysis**", **run["total"]}]:
        print(f"| {s['label']} | {s['cpu']:.2f} | {s['wall']:.2f} |")
    print(f"peak RSS: {run['client_rss_mb']:.0f} MB" + "".join(
        f"; worker {w['cpu']:.2f} CPU s, {w['rss_before_mb']:.0f} -> {w['rss_mb']:.0f} MB" for w in run.get("workers", [])))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parcels", type=int, default=100_000)
    ap.add_argument("--workspace", help="a workspace folder instead of a synthetic county")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=REPO / "bench-out")
    ap.add_argument("--engines", default="single,dask", help="comma-separated: single, dask (default both)")
    ap.add_argument("--one", choices=["single", "dask"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    workspace = args.workspace or str(ensure_county(args.parcels, args.out / f"county-{args.parcels}"))
    if args.one:
        print(json.dumps(one(workspace, args.one, args.workers)))
        return
    runs = {}
    for engine in args.engines.split(","):
        proc = subprocess.run([sys.executable, __file__, "--workspace", workspace, "--workers", str(args.workers),
                               "--one", engine], check=True, capture_output=True, text=True)
        runs[engine] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{engine}: analysis {runs[engine]['total']['wall']:.1f} s wall", file=sys.stderr)
    if len(runs) == 2:
        _table(runs["single"], runs["dask"])
    else:
        _one_table(next(iter(runs.values())))


if __name__ == "__main__":
    main()
