#!/usr/bin/env python
"""Benchmark: PostGIS against files for the two ends of a run (issue 18), side by side.

1. Loading the workspace: the sample's layers and tables from their files, and the same rows from
   PostGIS tables (loaded by this script into schema ``bench_src``, as tests/test_postgis.py does).
2. Writing the results: results.gpkg (``Results.write``) against ``write_results`` into a schema
   (one transaction: staging schema, COPY, keys, GIST indexes, swap, runs row).
3. Reading them back: ``Results.read`` against ``read_results`` (what ``map``/``report`` do).

CPU is this process's (time.process_time; the server's own CPU is not in it); wall is elapsed
seconds. Best of ``--repeat`` runs. The server should be local (a loopback cluster).

Usage::

    python scripts/bench_postgis.py --url postgresql://postgres@127.0.0.1:5432/gis [--workspace layers]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402

from geo_tenglong.io.db.results import read_results  # noqa: E402
from geo_tenglong.io.db.url import parse_db_url  # noqa: E402
from geo_tenglong.io.db.write import write_results  # noqa: E402
from geo_tenglong.io.layers import read_layer  # noqa: E402
from geo_tenglong.pipeline import analyse  # noqa: E402
from geo_tenglong.results import Results  # noqa: E402
from geo_tenglong.workspace import load_workspace  # noqa: E402


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    best_cpu = best_wall = float("inf")
    out = None
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        out = fn()
        best_cpu = min(best_cpu, time.process_time() - c0)
        best_wall = min(best_wall, time.perf_counter() - w0)
    return best_cpu, best_wall, out


def load_into_db(workspace: Path, url: str, folder: Path) -> Path:
    """The workspace's layers and tables into schema bench_src; a workspace folder reading them.

    Rasters and the 界址点 folder are left out of both runs' comparison: they are files either way.
    """
    cfg = tomllib.loads((workspace / "workspace.toml").read_text(encoding="utf-8"))
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg2://"))
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS bench_src CASCADE; CREATE SCHEMA bench_src")
    lines = ["[workspace]"] + [f"{k} = {v!r}" if isinstance(v, str) else f"{k} = {v}"
                               for k, v in cfg["workspace"].items()] + ["[layers]"]
    for name, entry in cfg["layers"].items():
        src = {"path": entry} if isinstance(entry, str) else entry
        read_layer(workspace / src["path"], layer=src.get("layer")).to_postgis(name, engine, schema="bench_src")
        lines.append(f'{name} = {{ db = "{url}", table = "bench_src.{name}" }}')
    lines.append("[tables]")
    for name, entry in cfg.get("tables", {}).items():
        path = workspace / entry
        frame = (pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig") if path.suffix == ".csv"
                 else pd.read_excel(path, dtype=str))
        frame.to_sql(name, engine, schema="bench_src", index=False)
        lines.append(f'{name} = {{ db = "{url}", table = "bench_src.{name}" }}')
    engine.dispose()
    (folder / "workspace.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def files_only(workspace: Path, folder: Path) -> Path:
    """The same workspace's layers and tables (absolute paths), without rasters and 界址点 files."""
    cfg = tomllib.loads((workspace / "workspace.toml").read_text(encoding="utf-8"))
    lines = ["[workspace]"] + [f"{k} = {v!r}" if isinstance(v, str) else f"{k} = {v}"
                               for k, v in cfg["workspace"].items()]
    for kind in ("layers", "tables"):
        lines.append(f"[{kind}]")
        for name, entry in cfg.get(kind, {}).items():
            src = {"path": entry} if isinstance(entry, str) else dict(entry)
            src["path"] = (workspace / src["path"]).as_posix()
            lines.append(f"{name} = {{ " + ", ".join(f'{k} = "{v}"' for k, v in src.items()) + " }")
    (folder / "workspace.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True, help="postgresql://user@127.0.0.1:port/db (trust or PGPASSWORD)")
    ap.add_argument("--workspace", default=str(ROOT / "layers"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    workspace = Path(args.workspace).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        (tmpdir / "dbws").mkdir()
        (tmpdir / "filews").mkdir()
        db_ws = load_into_db(workspace, args.url, tmpdir / "dbws")
        file_ws = files_only(workspace, tmpdir / "filews")
        rows = []
        cpu, wall, _ = timed(lambda: load_workspace(file_ws), args.repeat)
        rows.append(("load workspace (layers + tables)", "files", cpu, wall))
        cpu, wall, _ = timed(lambda: load_workspace(db_ws), args.repeat)
        rows.append(("", "PostGIS", cpu, wall))
        results = analyse(load_workspace(workspace))
        results.info["run_id"] = "bench"
        target = parse_db_url(f"{args.url}?schema=bench_out")
        cpu, wall, _ = timed(lambda: results.write(tmpdir / "out"), args.repeat)
        rows.append(("write results", "results.gpkg", cpu, wall))
        started = dt.datetime.now().astimezone()
        cpu, wall, _ = timed(lambda: write_results(results, target, started=started, fingerprint="bench"), args.repeat)
        rows.append(("", "PostGIS schema", cpu, wall))
        cpu, wall, _ = timed(lambda: Results.read(tmpdir / "out"), args.repeat)
        rows.append(("read results back", "results.gpkg", cpu, wall))
        cpu, wall, _ = timed(lambda: read_results(target), args.repeat)
        rows.append(("", "PostGIS schema", cpu, wall))
    print(f"{len(results.parcels)} parcels, {len(results.findings)} findings, {2 + len(results.layers)} result tables;"
          f" best of {args.repeat}; CPU of this process (the server's not included)")
    print(f"{'step':<36}{'where':<16}{'CPU s':>8}{'wall s':>9}")
    for step, where, cpu, wall in rows:
        print(f"{step:<36}{where:<16}{cpu:>8.2f}{wall:>9.2f}")


if __name__ == "__main__":
    main()
