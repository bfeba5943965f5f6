"""Benchmark: the reports' index alone (index.html and the townships' pages), at any count.

Usage::

    python scripts/bench_index.py [SOURCE] [--which auto|flagged|fail|all] [--keep DIR]

SOURCE is what ``geo-tenglong report --results`` reads: a workspace folder (analysed first; default
the bundled sample ``layers/``) or a ``results.gpkg``. The parcels ``run --reports WHICH`` would
report on are indexed as ``run`` indexes them, without writing their reports: each parcel's entry
(owner, 不符合 and 提示 rule ids) is taken from the findings about the parcel itself (a report also
shows those of the plots and proposals related to it: a few rule ids more on a few rows, the same
work). Prints the CPU seconds (``time.process_time``) and wall seconds of building the rows and of
writing the pages, the number of files (the townships' pages and index.html), the largest and the total size.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def entries_from_findings(results, ids: list[str]) -> dict[str, dict]:
    """What each report's page would give the index: owner (the user of the land, else the holder)
    and the sorted rule ids of the parcel's 不符合 and 提示 findings."""
    p = results.parcels.set_index(results.parcels["parcel_id"].astype(str)).loc[ids]
    holder = p["holder_name"] if "holder_name" in p else pd.Series(None, index=p.index, dtype=object)
    owner = holder.where(holder.notna() & (holder.astype(str).str.strip() != ""), p.get("owner_name"))
    f = results.findings
    f = f.loc[f["status"].isin(["fail", "warn"]) & f["parcel_id"].astype(str).isin(set(ids)),
              ["parcel_id", "status", "rule_id"]].astype(str).drop_duplicates().sort_values("rule_id")
    rules = f.groupby(["parcel_id", "status"])["rule_id"].agg(list).to_dict()
    return {pid: {"owner": "—" if pd.isna(o) else str(o), "fail": rules.get((pid, "fail"), []),
                  "warn": rules.get((pid, "warn"), [])} for pid, o in zip(ids, owner.tolist(), strict=True)}


def bench(results, ws, which: str, out: Path) -> dict:
    """Index the parcels ``run --reports which`` reports on into ``out``; the figures."""
    from geo_tenglong.report.parcel_report import report_selection
    from geo_tenglong.report.report_index import index_rows, rule_titles, write_index
    from geo_tenglong.report.workbook import park_names

    ids = report_selection(results, which)
    entries = entries_from_findings(results, ids)
    parks = park_names(results, ws)
    pos = pd.Index(results.parcels["parcel_id"].astype(str)).get_indexer(ids)
    cpu, wall = time.process_time(), time.perf_counter()
    rows = index_rows(results.parcels.iloc[pos], entries, parks, atlas_pages={pid: k + 1 for k, pid in
                                                                                 enumerate(ids)})
    rows_cpu, rows_wall = time.process_time() - cpu, time.perf_counter() - wall
    cpu, wall = time.process_time(), time.perf_counter()
    written = write_index(rows, out, results.info, rule_titles(getattr(ws, "ruleset", None)), atlas=True)
    pages_cpu, pages_wall = time.process_time() - cpu, time.perf_counter() - wall
    sizes = np.array([p.stat().st_size for p in written])
    return {"reports": len(ids), "townships": rows["township"].nunique(), "files": len(written),
            "rows_cpu": rows_cpu, "rows_wall": rows_wall, "pages_cpu": pages_cpu, "pages_wall": pages_wall,
            "largest_mb": sizes.max() / 1e6, "index_mb": (out / "index.html").stat().st_size / 1e6,
            "total_mb": sizes.sum() / 1e6}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("source", nargs="?", default="layers", help="workspace folder or results.gpkg")
    ap.add_argument("--which", default="auto", help="which parcels are reported (run --reports)")
    ap.add_argument("--keep", type=Path, help="write the pages into this folder (kept) instead of a temporary one")
    args = ap.parse_args(argv)
    from geo_tenglong.source import load_source

    cpu, wall = time.process_time(), time.perf_counter()
    src = load_source(args.source)
    print(f"loaded {args.source}: {len(src.results.parcels):,} parcels in {time.process_time() - cpu:.1f} s CPU "
          f"({time.perf_counter() - wall:.1f} s wall)", file=sys.stderr)
    tmp = Path(tempfile.mkdtemp(prefix="bench-index-"))
    out = args.keep or tmp
    try:
        r = bench(src.results, src.ws, args.which, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("| reports | townships | files | rows CPU s | pages CPU s | wall s | largest page MB | index.html MB "
          "| all pages MB |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| {r['reports']:,} | {r['townships']} | {r['files']:,} | {r['rows_cpu']:.2f} | {r['pages_cpu']:.2f} | "
          f"{r['rows_wall'] + r['pages_wall']:.2f} | {r['largest_mb']:.2f} | {r['index_mb']:.2f} | "
          f"{r['total_mb']:.1f} |")
    per = (r["rows_cpu"] + r["pages_cpu"]) / max(r["reports"], 1) * 1e6
    print(f"{per:.0f} µs CPU a report; {math.ceil(r['reports'] / max(r['files'] - 1, 1)):,} reports a township page "
          "on average")
    return 0


if __name__ == "__main__":
    sys.exit(main())
