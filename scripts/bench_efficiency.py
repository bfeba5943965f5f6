#!/usr/bin/env python
"""Benchmark the 亩均效益 (efficiency), 用地强度 (intensity) and reclaim stages on a synthetic county.

Usage
-----
``python scripts/bench_efficiency.py [--parcels 1000000] [--buildings-per-parcel 2] [--seed 1]``

The county is built here with numpy/shapely (vectorised): a grid of square-ish parcels (100 m
cells), ``buildings-per-parcel`` rectangles inside each (10 % without ``parcel_id``, so they are
placed by overlap), one enterprise per parcel holder (a fifth of them holding two parcels), two
years of figures, 5 % of parcels with a tenant, 100 parks, a few hundred renovation plans and key
projects. Each stage runs once; the table gives wall time and peak resident memory during the
stage (``VmHWM`` after resetting it through ``/proc/self/clear_refs``; on systems without it, the
process high-water mark so far). CPU seconds are printed beside wall time: on a shared machine the
wall time grows with the load, the CPU time much less.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import geopandas as gpd
import pandas as pd
import pyproj
import shapely

from geo_tenglong.pipeline import base_parcels
from geo_tenglong.results import Results
from geo_tenglong.rules import load_ruleset
from geo_tenglong.uscc import ALPHABET, WEIGHTS
from geo_tenglong.workspace import DATA_ISSUE_COLUMNS, Workspace

X0, Y0 = 40_400_000.0, 3_200_000.0


def uscc_codes(ids: np.ndarray) -> np.ndarray:
    """Valid 统一社会信用代码 for integer ids (vectorised check characters)."""
    n = len(ids)
    alpha = np.array([ord(c) for c in ALPHABET], dtype=np.uint32)
    vals = np.zeros((n, 17), dtype=np.int64)
    prefix = "91331023MA"
    for k, ch in enumerate(prefix):
        vals[:, k] = ALPHABET.index(ch)
    rest = ids.astype(np.int64).copy()
    for k in range(16, len(prefix) - 1, -1):
        vals[:, k] = rest % 31
        rest //= 31
    check = (31 - (vals * np.asarray(WEIGHTS)).sum(axis=1) % 31) % 31
    cps = np.concatenate([alpha[vals], alpha[check][:, None]], axis=1).astype("<u4")
    return cps.view("<U18").ravel()


def synthetic_county(n_parcels: int, per_parcel: int, seed: int):
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n_parcels)))
    i = np.arange(n_parcels)
    cx, cy = X0 + (i % side) * 100.0, Y0 + (i // side) * 100.0
    w, h = rng.uniform(45, 95, n_parcels), rng.uniform(45, 95, n_parcels)
    parcels = gpd.GeoDataFrame({
        "parcel_id": np.char.add("331023101001GB", np.char.zfill(i.astype(str), 7)),
        "land_use_code": np.where(rng.random(n_parcels) < 0.92, "1001", "0701"),
        "township": np.asarray(["始丰街道", "福溪街道", "坦头镇", "平桥镇", "白鹤镇"])[i % 5],
        "park_id": np.where(rng.random(n_parcels) < 0.5, np.char.add("P", (i % 100).astype(str)), None),
        "status": np.where(rng.random(n_parcels) < 0.9, "已竣工投产", "在建"),
        "contract_far": np.where(rng.random(n_parcels) < 0.3, rng.choice([1.0, 1.2, 1.5, 2.0], n_parcels), np.nan),
        "plan_conditions": rng.random(n_parcels) < 0.4,
    }, geometry=shapely.box(cx, cy, cx + w, cy + h), crs="EPSG:4528")
    # holders: a fifth of enterprises hold two parcels
    n_ent = int(n_parcels * 0.8)
    holder = np.concatenate([np.arange(n_ent), rng.integers(0, n_ent, n_parcels - n_ent)])
    rng.shuffle(holder)
    codes = uscc_codes(np.arange(n_ent + n_parcels // 20 + 1))
    parcels["owner_uscc"] = pd.array(codes[holder], dtype="string")
    for c in ("parcel_id", "land_use_code", "township", "park_id", "status"):
        parcels[c] = parcels[c].astype("string")

    # buildings inside each parcel, side by side
    nb = n_parcels * per_parcel
    pi = np.repeat(i, per_parcel)
    k = np.tile(np.arange(per_parcel), n_parcels)
    bw = w[pi] / per_parcel
    x0 = cx[pi] + k * bw + 2
    y0 = cy[pi] + 2
    bx1 = x0 + bw * rng.uniform(0.4, 0.9, nb)
    by1 = y0 + h[pi] * rng.uniform(0.3, 0.8, nb)
    floors = rng.integers(1, 7, nb).astype(float)
    storey = np.where(floors == 1, rng.uniform(5, 14, nb), rng.uniform(3.5, 6, nb))
    height = storey + (floors - 1) * 4.0
    bid = np.char.add("B", np.arange(nb).astype(str))
    bpid = parcels["parcel_id"].to_numpy(dtype=object)[pi]
    bpid = np.where(rng.random(nb) < 0.1, None, bpid)
    buildings = gpd.GeoDataFrame({
        "building_id": pd.array(bid, dtype="string"), "parcel_id": pd.array(bpid, dtype="string"),
        "floors": floors, "height_m": np.round(height, 1), "storey_height_m": np.round(storey, 1),
        "use": pd.array(rng.choice(["生产", "生产", "仓储", "行政办公", "生活服务", "构筑物", "堆场"], nb), dtype="string"),
        "completed": rng.random(nb) < 0.97,
    }, geometry=shapely.box(x0, y0, bx1, by1), crs="EPSG:4528")

    # enterprises: two years each
    years = []
    for y in (2021, 2022):
        large = rng.random(n_ent) < 0.3
        revenue = np.where(large, rng.lognormal(9, 1, n_ent), rng.lognormal(6, 1, n_ent))
        years.append(pd.DataFrame({
            "uscc": codes[:n_ent], "name": np.char.add("企业", np.arange(n_ent).astype(str)), "year": float(y),
            "scale": np.where(large, "规上", "规下"), "revenue": revenue, "tax": revenue * rng.uniform(0.005, 0.08, n_ent),
            "value_added": np.where(large, revenue * rng.uniform(0.1, 0.3, n_ent), np.nan),
            "employees": rng.integers(5, 500, n_ent).astype(float), "energy_tce": revenue * rng.uniform(0.01, 0.2, n_ent),
            "emissions_t": rng.uniform(0.1, 30, n_ent), "rd_expense": revenue * rng.uniform(0, 0.05, n_ent),
            "industry": rng.choice(["通用设备制造业", "橡胶和塑料制品业", "纺织业", "金属制品业"], n_ent)}))
    ent = pd.concat(years, ignore_index=True)
    ent["source_row"] = np.arange(len(ent)) + 2
    for c in ("uscc", "name", "scale", "industry"):
        ent[c] = ent[c].astype("string")
    nt = n_parcels // 20
    tenancy = pd.DataFrame({"parcel_id": parcels["parcel_id"].to_numpy()[rng.integers(0, n_parcels, nt)],
                            "uscc": codes[n_ent:n_ent + nt], "floor_area_m2": rng.uniform(200, 3000, nt),
                            "source_row": np.arange(nt) + 2}).astype({"parcel_id": "string", "uscc": "string"})
    np_ = 500
    projects = pd.DataFrame({"project_id": [f"X{j}" for j in range(np_)], "uscc": codes[rng.integers(0, n_ent, np_)],
                             "parcel_id": None, "name": "技改项目", "key_project": True,
                             "total_investment": rng.uniform(1000, 20000, np_), "under_construction": True,
                             "source_row": np.arange(np_) + 2}).astype({"uscc": "string"})
    parks = gpd.GeoDataFrame({"park_id": [f"P{j}" for j in range(100)], "name": [f"园区{j}" for j in range(100)],
                              "kind": ["经济开发区", "创业创新园", "老工业园区", "高新区"] * 25,
                              "standard_land_rules": [True, True, False, False] * 25},
                             geometry=shapely.box(X0 + np.arange(100), Y0, X0 + np.arange(100) + 1, Y0 + 1),
                             crs="EPSG:4528")
    rsel = rng.integers(0, n_parcels, 300)
    renovations = gpd.GeoDataFrame({
        "renovation_id": [f"R{j}" for j in range(300)], "parcel_id": parcels["parcel_id"].to_numpy()[rsel],
        "uscc": parcels["owner_uscc"].to_numpy()[rsel], "floor_area_after_m2": np.nan,
        "expansion_floor_area_m2": rng.uniform(500, 8000, 300), "accepted": rng.random(300) < 0.8},
        geometry=[None] * 300, crs="EPSG:4528")
    return parcels, {"buildings": buildings, "parks": parks, "renovations": renovations}, \
        {"enterprises": ent, "tenancy": tenancy, "projects": projects}


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _status(key: str) -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure(label, func, rows):
    gc.collect()
    _reset_peak()
    before = _status("VmRSS")
    t0, c0 = time.perf_counter(), time.process_time()
    out = func()
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = _status("VmHWM")
    rows.append((label, secs, cpu, peak, peak - before))
    print(f"  {label:<28} {secs:8.1f} s ({cpu:.1f} s CPU)   peak RSS {peak:8.0f} MB (+{peak - before:.0f} MB)", flush=True)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parcels", type=int, default=1_000_000)
    ap.add_argument("--buildings-per-parcel", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ruleset", default="tiantai-2022")
    args = ap.parse_args(argv)

    from geo_tenglong.analysis.efficiency import assess_efficiency
    from geo_tenglong.analysis.intensity import assess_intensity
    from geo_tenglong.analysis.reclaim import assess_reclaim

    rows = []
    print(f"synthetic county: {args.parcels:,} parcels, {args.parcels * args.buildings_per_parcel:,} buildings")
    parcels, layers, tables = measure("build synthetic county", lambda: synthetic_county(
        args.parcels, args.buildings_per_parcel, args.seed), rows)
    rs = load_ruleset(args.ruleset)
    ws = Workspace(root=Path("."), county=rs.info.county, admin_code=rs.info.admin_code, ruleset=rs,
                   as_of=dt.date(2023, 6, 30), crs=pyproj.CRS.from_epsg(4528), layers={"parcels": parcels, **layers},
                   tables=tables, rasters={}, landcover_classes={}, coords_folder=None, inputs=[],
                   data_issues=pd.DataFrame(columns=DATA_ISSUE_COLUMNS), aliases={})
    results = Results(info={}, parcels=base_parcels(ws))
    for name, func in (("efficiency (亩均效益评价)", assess_efficiency), ("intensity (用地强度)", assess_intensity),
                       ("reclaim (可腾退低效用地)", assess_reclaim)):
        out = measure(name, lambda f=func: f(ws, results), rows)
        results.add(name.split()[0], out)
    ev = results.layer("enterprise_eval")
    print()
    print("| stage | wall (s) | CPU (s) | peak RSS (MB) | growth during stage (MB) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, secs, cpu, peak, grow in rows:
        print(f"| {label} | {secs:.1f} | {cpu:.1f} | {peak:.0f} | {grow:.0f} |")
    print()
    print(f"enterprise_eval rows {len(ev):,}; findings {len(results.findings):,}; "
          f"join_issues {len(results.layer('join_issues')):,}; reclaimable_mu {results.metrics.get('reclaimable_mu'):,.1f}; "
          f"cpu count {os.cpu_count()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
