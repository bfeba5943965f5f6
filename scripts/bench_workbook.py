#!/usr/bin/env python
"""Benchmark the workbook (腾笼换鸟清单.xlsx): CPU and wall time, and peak memory, on the sample and at scale.

Usage::

    python scripts/bench_workbook.py                      # the sample and a synthetic 100 k-parcel results
    python scripts/bench_workbook.py --parcels 20000      # another size
    python scripts/bench_workbook.py --memory             # peak memory, each case in its own process
    python scripts/bench_workbook.py --engines 100000     # xlsxwriter vs openpyxl write-only, one sheet

The sample (``layers/``) is analysed once and its Results pickled under ``bench-out/`` (git-ignored)
for the next run. The synthetic results are built cheaply by tiling the sample's Results — every
parcel, finding and layer row repeated with suffixed ids (``…-T0007``) — so the lists keep the
sample's mix of flagged, idle and split parcels at any size. The timed run measures CPU
(``time.process_time``) and wall time of :func:`geo_tenglong.report.workbook.write_workbook` only.
``--memory`` runs each case again in a fresh process and reports how much the process's maximum
RSS grew while the workbook was written (no tracemalloc: it would slow the writer several times).
"""

from __future__ import annotations

import argparse
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CACHE = REPO / "bench-out" / "sample_results.pickle"

#: Columns that hold parcel ids (one, or several joined) and other feature ids, per layer.
_ID_COLUMNS = ("parcel_id", "fragment_id", "proposal_id", "renovation_id", "cluster_id", "project_id", "park_id")
_LIST_COLUMNS = ("parcel_ids",)


def sample_results(workspace: Path):
    """The sample's Results (and Workspace), analysed once and cached."""
    from geo_tenglong.workspace import load_workspace

    ws = load_workspace(workspace)
    if CACHE.is_file():
        with CACHE.open("rb") as fh:
            return pickle.load(fh), ws
    from geo_tenglong.pipeline import analyse

    results = analyse(ws)
    CACHE.parent.mkdir(exist_ok=True)
    with CACHE.open("wb") as fh:
        pickle.dump(results, fh)
    return results, ws


def _suffix_ids(frame: pd.DataFrame, suffix: str) -> pd.DataFrame:
    out = frame.copy()
    for c in _ID_COLUMNS:
        if c in out.columns:
            s = out[c]
            out[c] = s.where(s.isna() | (s.astype(str) == ""), s.astype(str) + suffix)
    for c in _LIST_COLUMNS:
        if c in out.columns:
            s = out[c].astype(object)
            ok = s.notna() & (s.astype(str) != "")
            out.loc[ok, c] = s[ok].astype(str).str.split(";").map(lambda xs: ";".join(x + suffix for x in xs))
    for c in ("uscc", "holder_uscc", "owner_uscc"):
        if c in out.columns:
            s = out[c]
            out[c] = s.where(s.isna(), s.astype(str) + suffix)
    return out


def tile(results, n_parcels: int):
    """The sample's Results repeated until it holds at least ``n_parcels`` parcels (ids suffixed per copy)."""
    import geopandas as gpd

    from geo_tenglong.results import Results

    k = int(np.ceil(n_parcels / len(results.parcels)))
    suffixes = [f"-T{i:04d}" for i in range(k)]

    def rep(frame):
        parts = [_suffix_ids(frame, s) for s in suffixes]
        if isinstance(frame, gpd.GeoDataFrame):
            return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry=frame.geometry.name, crs=frame.crs)
        return pd.concat(parts, ignore_index=True)

    parcels = rep(results.parcels).iloc[:n_parcels].reset_index(drop=True)
    layers = {name: rep(layer) for name, layer in results.layers.items()
              if name not in ("targets", "reclaim_by_area", "land_supply_check", "old_parks")}
    for name in ("targets", "reclaim_by_area", "land_supply_check", "old_parks"):
        if name in results.layers:
            layers[name] = results.layers[name]
    return Results(info=dict(results.info), parcels=parcels, findings=rep(results.findings), layers=layers,
                   metrics=dict(results.metrics), summary=dict(results.summary))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _case(label: str, results, ws, rows: list) -> None:
    from geo_tenglong.report.workbook import write_workbook

    with tempfile.TemporaryDirectory() as tmp:
        rss0 = _rss_mb()
        c, w = time.process_time(), time.perf_counter()
        path = write_workbook(results, tmp, None, ws)[0]
        cpu, wall = time.process_time() - c, time.perf_counter() - w
        rows.append((label, len(results.parcels), cpu, wall, path.stat().st_size / 1e6, _rss_mb() - rss0))


def compare_engines(n_rows: int) -> list:
    """The same sheet (``n_rows`` × 12 mixed columns, number format per column) written three ways:
    xlsxwriter constant_memory with column formats (what the writer does), openpyxl write-only with a
    ``WriteOnlyCell`` per formatted cell (the only way it formats a cell), and openpyxl write-only
    with plain values and no formats at all (a lower bound that would lose the formats)."""
    import xlsxwriter
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    rng = np.random.default_rng(0)
    cols = [[f"3310230{i:012d}" for i in range(n_rows)], ["天台县某某机械有限公司"] * n_rows]
    cols += [np.round(rng.random(n_rows) * 100, 4).tolist() for _ in range(8)]
    cols += [["是", "否"][i % 2] for i in range(n_rows)], [f"TT-T4(二、主要目标)[不符合]; {i}" for i in range(n_rows)]
    fmts = ["@", "@"] + ["#,##0.0000"] * 8 + ["@", "@"]
    rows = list(zip(*cols, strict=True))
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        c, w = time.process_time(), time.perf_counter()
        book = xlsxwriter.Workbook(f"{tmp}/x.xlsx", {"constant_memory": True, "strings_to_formulas": False,
                                                     "strings_to_urls": False, "strings_to_numbers": False})
        sh = book.add_worksheet("s")
        for j, f in enumerate(fmts):
            sh.set_column(j, j, 12, book.add_format({"num_format": f}))
        for i, row in enumerate(rows):
            sh.write_row(i, 0, row)
        book.close()
        out.append(("xlsxwriter, column formats", n_rows, time.process_time() - c, time.perf_counter() - w))
        c, w = time.process_time(), time.perf_counter()
        book = Workbook(write_only=True)
        sh = book.create_sheet("s")
        for row in rows:
            cells = []
            for v, f in zip(row, fmts, strict=True):
                cell = WriteOnlyCell(sh, value=v)
                cell.number_format = f
                cells.append(cell)
            sh.append(cells)
        book.save(f"{tmp}/y.xlsx")
        out.append(("openpyxl write-only, cells", n_rows, time.process_time() - c, time.perf_counter() - w))
        c, w = time.process_time(), time.perf_counter()
        book = Workbook(write_only=True)
        sh = book.create_sheet("s")
        for row in rows:
            sh.append(row)
        book.save(f"{tmp}/z.xlsx")
        out.append(("openpyxl write-only, no formats", n_rows, time.process_time() - c, time.perf_counter() - w))
    return out


def _build(case: str, workspace: Path, parcels: int):
    results, ws = sample_results(workspace)
    if case == "sample":
        return "sample", results, ws
    return f"synthetic {parcels:,}", tile(results, parcels), ws


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workspace", nargs="?", default=str(REPO / "layers"))
    ap.add_argument("--parcels", type=int, default=100_000, help="size of the synthetic results (tiled sample)")
    ap.add_argument("--cases", default="sample,synthetic", help="comma-separated: sample, synthetic")
    ap.add_argument("--memory", action="store_true", help="peak memory: each case in a fresh process")
    ap.add_argument("--engines", type=int, metavar="ROWS",
                    help="only compare xlsxwriter and openpyxl write-only on one sheet of ROWS rows")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # child process of --memory
    args = ap.parse_args(argv)
    if args.engines:
        print(f"{'engine':<32} {'rows':>9} {'CPU s':>8} {'wall s':>8}")
        for label, n, cpu, wall in compare_engines(args.engines):
            print(f"{label:<32} {n:>9,} {cpu:8.2f} {wall:8.2f}")
        return 0
    workspace = Path(args.workspace)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]

    if args.one:
        rows: list = []
        label, results, ws = _build(args.one, workspace, args.parcels)
        _case(label, results, ws, rows)
        print(repr(rows[0]))
        return 0

    rows = []
    if args.memory:
        for case in cases:
            out = subprocess.run([sys.executable, __file__, str(workspace), "--parcels", str(args.parcels),
                                  "--one", case], check=True, capture_output=True, text=True).stdout
            rows.append(eval(out.strip().splitlines()[-1]))  # our own child's repr of a tuple
    else:
        for case in cases:
            label, results, ws = _build(case, workspace, args.parcels)
            _case(label, results, ws, rows)
    print(f"{'case':<20} {'parcels':>9} {'CPU s':>8} {'wall s':>8} {'MB file':>8} {'+max RSS MB':>12}")
    for label, n, cpu, wall, size, rss in rows:
        print(f"{label:<20} {n:>9,} {cpu:8.2f} {wall:8.2f} {size:8.1f} {rss:12.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
