"""Benchmark: time to write the workbook, the reports of every flagged parcel and the one-pager.

Usage::

    python scripts/bench_reports.py [WORKSPACE] [--limit N] [--no-pdf] [--split]

Analyses the workspace (default: the bundled sample ``layers/``) once, then writes the outputs as
``run`` does (HTML per flagged parcel, the PDF atlas, the index, the one-pager) into a temporary
folder and prints a table of seconds per phase. The machine's load matters: note it with the
figures (``uptime``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workspace", nargs="?", default="layers")
    ap.add_argument("--limit", type=int, default=None, help="only the first N flagged parcels")
    ap.add_argument("--no-pdf", action="store_true", help="HTML only")
    ap.add_argument("--split", action="store_true", help="also cut per-parcel PDFs (what `report` does; run does not)")
    args = ap.parse_args(argv)

    from geo_tenglong.pipeline import analyse
    from geo_tenglong.report.onepager import write_onepager
    from geo_tenglong.report.parcel_report import ATLAS_FILE, flagged_parcels, write_parcel_reports
    from geo_tenglong.report.pdf import find_chromium
    from geo_tenglong.report.workbook import write_workbook
    from geo_tenglong.workspace import load_workspace

    rows = []
    t = time.perf_counter()
    ws = load_workspace(args.workspace)
    results = analyse(ws)
    rows.append(("load + analyse (not reports)", time.perf_counter() - t, ""))
    ids = flagged_parcels(results)
    if args.limit:
        ids = ids[: args.limit]
    pdf = not args.no_pdf
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        t = time.perf_counter()
        write_workbook(results, out, None, ws)
        rows.append(("workbook (腾笼换鸟清单.xlsx)", time.perf_counter() - t, f"{len(results.parcels)} parcels"))
        timings: dict = {}
        t = time.perf_counter()
        written = write_parcel_reports(results, ids, out / "reports", ws, pdf=pdf, atlas=True, index=True,
                                       split=args.split, timings=timings)
        total = time.perf_counter() - t
        n = max(len(ids), 1)
        rows.append(("  reports: pages (maps, tables, HTML)", timings.get("pages", float("nan")), f"{timings.get('pages', 0) / n * 1000:.0f} ms/parcel"))
        if pdf:
            rows.append(("  reports: Chromium atlas PDF", timings.get("pdf", float("nan")), find_chromium() or "no Chromium"))
            if args.split:
                rows.append(("  reports: split into per-parcel PDFs", timings.get("split", float("nan")), ""))
        size = sum(p.stat().st_size for p in written if p.exists()) / 1e6
        atlas = out / "reports" / ATLAS_FILE
        if atlas.is_file():
            from pypdf import PdfReader

            rows.append(("  atlas", float("nan"), f"{len(PdfReader(str(atlas)).pages)} pages, "
                                                 f"{atlas.stat().st_size / 1e6:.1f} MB"))
        rows.append((f"reports for {len(ids)} flagged parcels", total, f"{len(written)} files, {size:.1f} MB"))
        t = time.perf_counter()
        write_onepager(results, out, None, ws, pdf=pdf)
        rows.append(("one-pager (HTML+PDF)" if pdf else "one-pager (HTML)", time.perf_counter() - t, ""))
    width = max(len(r[0]) for r in rows)
    print(f"{'phase':<{width}}  {'seconds':>8}  note")
    for name, secs, note in rows:
        print(f"{name:<{width}}  {secs:8.2f}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
