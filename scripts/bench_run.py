#!/usr/bin/env python
"""Benchmark the whole run (what ``geo-tenglong run`` does): CPU and wall seconds per stage and per output.

    python scripts/bench_run.py                                  # the bundled sample (layers/)
    python scripts/bench_run.py --parcels 100000                 # bench-out/county-100000, generated once
    python scripts/bench_run.py --parcels 1000000 --reports fail
    python scripts/bench_run.py --workspace DIR --no-pdf

A synthetic county comes from ``scripts/make_sample_layers.py --parcels N --out DIR`` and is kept
under ``bench-out/`` (git-ignored) for the next run. The run is the library's own: the workspace is
loaded, :func:`geo_tenglong.pipeline.analyse` runs every stage and
:func:`geo_tenglong.pipeline.write_outputs` writes results.gpkg and every output into a temporary
folder; each row is timed between the progress calls those functions make, so nothing is
re-implemented here. CPU seconds count this process and its children once they have ended (report
workers, Chromium); peak RSS is this process's maximum so far (``resource``) and the largest child's.
No tracemalloc (it slows the timed code). The machine is shared: compare CPU seconds.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def cpu_seconds() -> float:
    """CPU of this process and of its ended children (workers, Chromium)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def peak_rss_mb() -> tuple[float, float]:
    """(this process, its largest ended child) maximum resident set size in MB (Linux: KB units)."""
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


class Clock:
    """Rows of (section, step, CPU s, wall s, peak RSS MB, largest child MB), one per progress call."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, float, float, float, float]] = []
        self._open: tuple[str, str, float, float] | None = None

    def start(self, section: str, step: str) -> None:
        self.stop()
        self._open = (section, step, cpu_seconds(), time.perf_counter())

    def stop(self) -> None:
        if self._open is not None:
            section, step, cpu, wall = self._open
            self.rows.append((section, step, cpu_seconds() - cpu, time.perf_counter() - wall, *peak_rss_mb()))
            self._open = None

    def hook(self, section: str, names: dict[str, str]):
        """A progress callback that starts a new row per label (named by ``names`` when known, else by
        the English in its parentheses: "写出结果 (writing results.gpkg)" → "writing results.gpkg")."""
        def step(label: str) -> None:
            english = label.partition(" (")[2].rstrip(")")
            self.start(section, names.get(label, english or label))
        return step


def ensure_county(n: int, out: Path) -> Path:
    """Generate the synthetic county of ``n`` parcels unless it is there already."""
    if not (out / "workspace.toml").is_file():
        cpu, wall = cpu_seconds(), time.perf_counter()
        subprocess.run([sys.executable, str(REPO / "scripts" / "make_sample_layers.py"), "--parcels", str(n),
                        "--out", str(out)], check=True)
        print(f"generated {n:,} parcels in {time.perf_counter() - wall:.1f} s wall, "
              f"{cpu_seconds() - cpu:.1f} s CPU → {out}", file=sys.stderr)
    return out


def bench(workspace: Path, reports: str, pdf: bool, keep: Path | None) -> tuple[Clock, dict]:
    """Run the whole job on ``workspace``, timing every stage and output."""
    if not pdf:
        os.environ["GEO_TENGLONG_CHROMIUM"] = "none"
    os.environ["GEO_TENGLONG_QUIET"] = "1"
    from geo_tenglong.completeness import INCOMPLETE_KEY, check_completeness
    from geo_tenglong.pipeline import OUTPUTS, STAGES, analyse, write_outputs
    from geo_tenglong.workspace import load_workspace

    clock = Clock()
    clock.start("load", "load workspace")
    ws = load_workspace(workspace)
    clock.start("analysis", "parcel areas")
    results = analyse(ws, progress=clock.hook("analysis", {s.label: s.name for s in STAGES}))
    clock.start("analysis", "completeness")
    results.info[INCOMPLETE_KEY] = [p.to_dict() for p in check_completeness(ws, results)]
    with tempfile.TemporaryDirectory(prefix="bench-run-", dir=keep) as tmp:
        out = Path(tmp) / "out"
        names = {label: name for name, label, _spec in OUTPUTS}
        written = write_outputs(results, ws, out, Path(tmp) / "maps", progress=clock.hook("outputs", names),
                                output_options={"reports": {"which": reports}})
        clock.stop()
        sizes: dict[str, float] = {}
        for path in written:
            key = "reports" if "reports" in Path(path).parts else Path(path).name
            sizes[key] = sizes.get(key, 0.0) + (Path(path).stat().st_size if Path(path).exists() else 0) / 2**20
        n_reports = sum(1 for p in written if "reports" in Path(p).parts and Path(p).suffix == ".html") - \
            (1 if (out / "reports" / "index.html").exists() else 0)
    info = {"parcels": len(results.parcels), "findings": len(results.findings), "reports": n_reports,
            "buildings": len(ws.layer("buildings")) if ws.layer("buildings") is not None else 0, "sizes": sizes}
    return clock, info


def print_table(title: str, clock: Clock, info: dict) -> None:
    rows = clock.rows
    print(f"\n### {title}: {info['parcels']:,} parcels, {info['buildings']:,} buildings, {info['findings']:,} findings, "
          f"{info['reports']:,} parcel reports ({os.cpu_count()} cores)\n")
    print(f"| {'section':<9} | {'step':<22} | {'CPU s':>8} | {'wall s':>8} | {'peak RSS MB':>11} | {'child MB':>8} |")
    print(f"|{'-' * 11}|{'-' * 24}|{'-' * 10}|{'-' * 10}|{'-' * 13}|{'-' * 10}|")
    for section, step, cpu, wall, rss, child in rows:
        print(f"| {section:<9} | {step:<22} | {cpu:8.2f} | {wall:8.2f} | {rss:11.0f} | {child:8.0f} |")
    for section in ("load", "analysis", "outputs"):
        part = [r for r in rows if r[0] == section]
        print(f"| {section:<9} | {'(sum)':<22} | {sum(r[2] for r in part):8.2f} | {sum(r[3] for r in part):8.2f} "
              f"| {'':>11} | {'':>8} |")
    print(f"| {'whole run':<9} | {'':<22} | {sum(r[2] for r in rows):8.2f} | {sum(r[3] for r in rows):8.2f} "
          f"| {max(r[4] for r in rows):11.0f} | {max(r[5] for r in rows):8.0f} |")
    print("\nfiles: " + ", ".join(f"{k} {v:.1f} MB" for k, v in sorted(info["sizes"].items())))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parcels", type=int, help="a synthetic county of N parcels (generated under --out once)")
    ap.add_argument("--workspace", type=Path, help="a workspace folder (default: the bundled sample layers/)")
    ap.add_argument("--reports", default="auto", help="as `geo-tenglong run --reports` (default auto)")
    ap.add_argument("--no-pdf", action="store_true", help="no Chromium (HTML reports only)")
    ap.add_argument("--out", type=Path, default=REPO / "bench-out", help="where synthetic counties are kept")
    ap.add_argument("--tmp", type=Path, default=None, help="folder for the run's outputs (default: the system's)")
    args = ap.parse_args(argv)
    if args.parcels:
        workspace = ensure_county(args.parcels, args.workspace or args.out / f"county-{args.parcels}")
    else:
        workspace = args.workspace or REPO / "layers"
    clock, info = bench(workspace, args.reports, not args.no_pdf, args.tmp)
    print_table(f"{workspace.name}, --reports {args.reports}{'' if not args.no_pdf else ', no PDF'}", clock, info)
    return 0


if __name__ == "__main__":
    sys.exit(main())
