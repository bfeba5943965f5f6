#!/usr/bin/env python
"""Time ``init`` (scan + place + write) and ``inspect`` (load + coverage) on the bundled sample and on
the sample exported in the national standard schemas (``tests/standard_county.py``).

Usage
-----
``python scripts/bench_init.py [--out /tmp/bench_init]``

Prints one row per step with wall and CPU seconds (the machine is shared: CPU time is the steadier
figure). Reading a layer is sampled (the first 500 features), so ``init`` grows with the number of
files, not of features; ``inspect`` reads everything, as ``run`` does.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def _timed(label: str, fn, rows: list) -> object:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    rows.append((label, time.perf_counter() - wall, time.process_time() - cpu))
    return out


def main() -> None:
    """Build the folders, run the steps, print the table."""
    from geo_tenglong.init import init_workspace
    from geo_tenglong.inspect import inspect_workspace

    from standard_county import build_standard_county

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("/tmp/bench_init"))
    args = ap.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    sample = args.out / "sample"
    shutil.copytree(ROOT / "layers", sample, ignore=shutil.ignore_patterns("deqing", "workspace.toml"))
    rows: list = []
    std = _timed("build standard-schema folder", lambda: build_standard_county(ROOT / "layers", args.out / "std"), rows)
    for name, folder in (("sample", sample), ("standard", std)):
        _timed(f"init {name}", lambda f=folder: init_workspace(f, force=True), rows)
        _timed(f"inspect {name}", lambda f=folder: inspect_workspace(f), rows)
    print(f"{'step':36} {'wall s':>8} {'cpu s':>8}")
    for label, wall, cpu in rows:
        print(f"{label:36} {wall:8.2f} {cpu:8.2f}")


if __name__ == "__main__":
    main()
