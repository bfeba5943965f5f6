"""Benchmark the 界址点坐标交换格式 reader: generate many files, import them, print files/s.

Usage::

    python scripts/bench_coords.py                  # 10,000 files of ~50 points
    python scripts/bench_coords.py -n 2000 -p 50    # smaller
    python scripts/bench_coords.py --keep DIR       # keep the generated files in DIR

Files are GBK with CRLF, one plot each (every tenth with a hole), in CGCS2000 3° zone 40 with the
zone prefix — what a folder of 勘测定界 files from one county looks like.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo_tenglong.io.coords import read_coords_many, write_coords  # noqa: E402
from geo_tenglong.report.corner_table import corner_points  # noqa: E402

HEADER = ("[属性描述]\r\n格式版本号=1.01版本\r\n数据产生单位=天台县自然资源和规划局\r\n数据产生日期=2023-6-30\r\n"
          "坐标系=2000国家大地坐标系\r\n几度分带=3\r\n投影类型=高斯克吕格\r\n计量单位=米\r\n带号=40\r\n精度=0.001\r\n"
          "转换参数=,,,,,,\r\n[地块坐标]\r\n")


def _ring(rng, cx, cy, r, n, reverse=False):
    t = (np.arange(n) + rng.uniform(-0.3, 0.3, n)) * (2 * np.pi / n)   # jittered, never crossing
    rr = r * rng.uniform(0.85, 1.0, n)
    x, y = cx + rr * np.cos(t), cy + rr * np.sin(t)
    if reverse:
        x, y = x[::-1], y[::-1]
    return np.round(x, 3), np.round(y, 3)


def generate(folder: Path, n_files: int, n_points: int, seed: int = 0) -> int:
    """Write ``n_files`` files of about ``n_points`` point lines; return the total point lines."""
    rng = np.random.default_rng(seed)
    total = 0
    for k in range(n_files):
        cx = 40_480_000 + rng.uniform(0, 40_000)
        cy = 3_220_000 + rng.uniform(0, 40_000)
        r = rng.uniform(30, 200)
        rings = []
        if k % 10 == 9:
            rings.append(_ring(rng, cx, cy, r, n_points - 8))
            rings.append(_ring(rng, cx, cy, r * 0.3, 6, reverse=True))
        else:
            rings.append(_ring(rng, cx, cy, r, n_points - 1))
        lines = []
        label = 0
        area = 0.0
        for ring_no, (x, y) in enumerate(rings, start=1):
            a = 0.5 * abs(np.dot(x - cx, np.roll(y - cy, -1)) - np.dot(y - cy, np.roll(x - cx, -1)))
            area += a if ring_no == 1 else -a
            first = label + 1
            for e, nn in zip(x, y):
                label += 1
                lines.append(f"J{label},{ring_no},{nn:.3f},{e:.3f}")
            lines.append(f"J{first},{ring_no},{y[0]:.3f},{x[0]:.3f}")
        total += len(lines)
        plot = f"{len(lines)},{area / 1e4:.4f},{k + 1},地块{k + 1},面,,工业用地,0601,@"
        text = HEADER + plot + "\r\n" + "\r\n".join(lines) + "\r\n"
        (folder / f"jzd_{k:05d}.txt").write_bytes(text.encode("gbk"))
    return total


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--files", type=int, default=10_000)
    ap.add_argument("-p", "--points", type=int, default=50)
    ap.add_argument("--keep", type=Path, default=None, help="generate into this folder and keep it")
    ap.add_argument("--no-export", action="store_true", help="skip timing the writer and the corner table")
    args = ap.parse_args(argv)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench_coords_"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        src = folder / "jzd"
        src.mkdir(exist_ok=True)
        t0 = time.perf_counter()
        n_lines = generate(src, args.files, args.points)
        t_gen = time.perf_counter() - t0
        t0, c0 = time.perf_counter(), time.process_time()
        batch = read_coords_many([src])
        t_read, c_read = time.perf_counter() - t0, time.process_time() - c0
        ok = len(batch.plots)
        rows = [("files", f"{args.files:,}"), ("point lines", f"{n_lines:,}"), ("generate (s)", f"{t_gen:.2f}"),
                ("import wall (s)", f"{t_read:.2f}"), ("import CPU (s)", f"{c_read:.2f}"), ("files/s", f"{args.files / t_read:,.0f}"),
                ("points/s", f"{n_lines / t_read:,.0f}"), ("plots imported", f"{ok:,}"),
                ("failed files", f"{len(batch.failures):,}"), ("area checks", f"{len(batch.area_checks):,}")]
        if not args.no_export:
            t0, c0 = time.perf_counter(), time.process_time()
            written = write_coords(batch.plots, folder / "export")
            t_write, c_write = time.perf_counter() - t0, time.process_time() - c0
            t0 = time.perf_counter()
            table = corner_points(batch.plots)
            t_table = time.perf_counter() - t0
            rows += [("export, file per parcel wall (s)", f"{t_write:.2f}"), ("export CPU (s)", f"{c_write:.2f}"),
                     ("export files/s", f"{len(written) / t_write:,.0f}"),
                     ("corner_points (s)", f"{t_table:.2f}"), ("corner rows", f"{len(table):,}")]
        w = max(len(k) for k, _ in rows)
        print(f"{'measure':<{w}}  value")
        print(f"{'-' * w}  {'-' * 12}")
        for k, v in rows:
            print(f"{k:<{w}}  {v:>12}")
        if batch.failures:
            print("first failure:", batch.failures[0][1], file=sys.stderr)
        return 0 if ok == args.files and not batch.failures else 1
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
