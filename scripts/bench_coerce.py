#!/usr/bin/env python
"""Benchmark: the cost of listing NA markers and unreadable numbers while coercing number columns.

``coerce_columns`` on an enterprise table read as text (the CSV path: every cell a string), with a
share of its number cells holding NA markers (``N/A``, ``-``, ``NULL`` …) and text that is not a
number, run without (``issues=None``: markers blanked silently, text stops the run — the old
behaviour) and with an issues list (each such cell listed by row and column, issue 15.4), side by
side. CPU (process) and wall seconds, best of ``--repeat`` runs.

Usage::

    python scripts/bench_coerce.py [--rows 100000] [--bad-share 0.01] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from geo_tenglong.io.columns import coerce_columns  # noqa: E402
from geo_tenglong.io.schema import TABLES  # noqa: E402

MARKERS = ["N/A", "-", "NULL", "#N/A", "无", "—"]


def table(rows: int, bad_share: float, unreadable: bool, seed: int = 0) -> pd.DataFrame:
    """An enterprise table of text cells, ``bad_share`` of its number cells NA markers (or also text)."""
    rng = np.random.default_rng(seed)
    schema = TABLES["enterprises"]
    df = pd.DataFrame({"uscc": [f"91331023{i:010d}" for i in range(rows)], "year": "2022",
                       "source_row": np.arange(2, rows + 2)})
    for col in schema.numeric:
        if col == "year":
            continue
        values = rng.uniform(0, 5000, rows).round(2).astype(str).astype(object)
        hit = rng.random(rows) < bad_share
        values[hit] = rng.choice(MARKERS + (["约5"] if unreadable else []), int(hit.sum()))
        df[col] = values
    return df


def timed(fn, repeat: int) -> tuple[float, float, object]:
    best_cpu = best_wall = float("inf")
    out = None
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        out = fn()
        best_cpu, best_wall = min(best_cpu, time.process_time() - c0), min(best_wall, time.perf_counter() - w0)
    return best_cpu, best_wall, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--bad-share", type=float, default=0.01)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    schema = TABLES["enterprises"]
    markers_only = table(args.rows, args.bad_share, unreadable=False)
    with_text = table(args.rows, args.bad_share, unreadable=True)
    rows = []
    c, w, _ = timed(lambda: coerce_columns(markers_only, schema, "enterprises.csv"), args.repeat)
    rows.append(("NA markers, issues=None (silent)", c, w, "-"))
    issues: list = []
    c, w, _ = timed(lambda: coerce_columns(markers_only, schema, "enterprises.csv", issues=issues.clear() or issues),
                    args.repeat)
    rows.append(("NA markers, listed", c, w, str(len(issues))))
    c, w, _ = timed(lambda: coerce_columns(with_text, schema, "enterprises.csv", issues=issues.clear() or issues),
                    args.repeat)
    rows.append(("NA markers and text, listed", c, w, str(len(issues))))
    print(f"coerce_columns on {args.rows} enterprise rows, {len(schema.numeric) - 1} number columns, "
          f"{args.bad_share:.1%} of their cells NA markers (best of {args.repeat})")
    print(f"{'case':<34} {'CPU s':>8} {'wall s':>8} {'issues':>8}")
    for name, c, w, n in rows:
        print(f"{name:<34} {c:>8.3f} {w:>8.3f} {n:>8}")


if __name__ == "__main__":
    main()
