"""Compare the analysis results of two versions of geo-tenglong on the same workspace.

A refactoring must not change what a run finds. ``dump`` analyses a workspace and writes every
findings row, parcel column, layer and table and the metrics in a canonical, sorted form (floats
rounded to 1e-6, geometries normalised and as WKT rounded to 1 cm); ``diff`` compares two dumps
and prints, per table, the rows only in one of them::

    python scripts/compare_results.py dump layers /tmp/after
    PYTHONPATH=/path/to/old/checkout python scripts/compare_results.py dump layers /tmp/before
    python scripts/compare_results.py diff /tmp/before /tmp/after

Exit status 0 when the dumps agree, 1 when they differ.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

ROUND = 6


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as text: floats rounded, geometries normalised, rows sorted."""
    out = pd.DataFrame(index=range(len(frame)))
    for col in sorted(map(str, frame.columns)):
        s = frame[col].reset_index(drop=True)
        if hasattr(s, "geom_type") or (len(s) and isinstance(s.dropna().iloc[0] if s.notna().any() else None,
                                                             shapely.Geometry)):
            geoms = shapely.normalize(shapely.set_precision(np.asarray(s, dtype=object), 0.01))
            out[col] = shapely.to_wkt(geoms, rounding_precision=2)
        elif pd.api.types.is_float_dtype(s):
            out[col] = s.round(ROUND).map(lambda v: "" if pd.isna(v) else repr(float(v) + 0.0))
        else:
            out[col] = s.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA
                             else str(v))
    return out.sort_values(list(out.columns)).reset_index(drop=True) if len(out.columns) else out


def dump(workspace: str, out_dir: str) -> None:
    """Analyse ``workspace`` and write its canonical results into ``out_dir``."""
    from geo_tenglong.pipeline import analyse
    from geo_tenglong.workspace import load_workspace

    results = analyse(load_workspace(workspace))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = {"findings": results.findings, "parcels": results.parcels, **results.layers}
    for name, frame in tables.items():
        _canonical(pd.DataFrame(frame)).to_csv(out / f"{name}.csv", index=False)
    metrics = {k: (None if v is None or (isinstance(v, float) and np.isnan(v)) else round(float(v), ROUND))
               for k, v in results.metrics.items()}
    (out / "metrics.json").write_text(json.dumps(metrics, sort_keys=True, indent=1), encoding="utf-8")
    print(f"{workspace}: {len(results.findings)} findings, {len(tables)} tables → {out}")


def diff(a: str, b: str, show: int = 5) -> int:
    """Print the differences between two dumps; return the number of tables that differ."""
    pa, pb = Path(a), Path(b)
    names = sorted({p.name for p in pa.iterdir()} | {p.name for p in pb.iterdir()})
    differ = 0
    for name in names:
        fa, fb = pa / name, pb / name
        if not fa.exists() or not fb.exists():
            print(f"{name}: only in {'B' if not fa.exists() else 'A'}")
            differ += 1
            continue
        if fa.read_bytes() == fb.read_bytes():
            print(f"{name}: identical")
            continue
        differ += 1
        if name.endswith(".json"):
            print(f"{name}: differs\n  A {fa.read_text()}\n  B {fb.read_text()}")
            continue
        ta = pd.read_csv(fa, dtype=str, keep_default_na=False)
        tb = pd.read_csv(fb, dtype=str, keep_default_na=False)
        if list(ta.columns) != list(tb.columns):
            print(f"{name}: columns differ: only A {sorted(set(ta.columns) - set(tb.columns))}, "
                  f"only B {sorted(set(tb.columns) - set(ta.columns))}")
            common = [c for c in ta.columns if c in tb.columns]
            ta, tb = ta[common], tb[common]
        ra = ta.apply(lambda r: "\t".join(r), axis=1).value_counts()
        rb = tb.apply(lambda r: "\t".join(r), axis=1).value_counts()
        only_a = (ra.sub(rb, fill_value=0)).clip(lower=0)
        only_b = (rb.sub(ra, fill_value=0)).clip(lower=0)
        print(f"{name}: {int(only_a.sum())} rows only in A, {int(only_b.sum())} only in B "
              f"(A {len(ta)}, B {len(tb)})")
        for label, rows in (("A", only_a[only_a > 0]), ("B", only_b[only_b > 0])):
            for row in list(rows.index)[:show]:
                print(f"  {label}: {row[:300]}")
    return differ


def main(argv: list[str] | None = None) -> int:
    """Command line: ``dump WORKSPACE DIR`` or ``diff DIR_A DIR_B``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("workspace")
    d.add_argument("out_dir")
    f = sub.add_parser("diff")
    f.add_argument("a")
    f.add_argument("b")
    f.add_argument("--show", type=int, default=5)
    args = parser.parse_args(argv)
    if args.cmd == "dump":
        dump(args.workspace, args.out_dir)
        return 0
    return 1 if diff(args.a, args.b, args.show) else 0


if __name__ == "__main__":
    sys.exit(main())
