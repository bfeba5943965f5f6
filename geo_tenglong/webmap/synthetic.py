"""Synthetic results for the map's tests and benchmark (no workspace needed).

:func:`synthetic_results` lays ``n`` square-ish parcels on a grid in EPSG:4528 near 天台
(121.03°E, 29.14°N) with the columns the analysis stages publish, a few derived layers
(``idle_land``, ``fragments``, ``split_checks``, ``merge_checks``, ``targets``) and findings;
:func:`synthetic_workspace` gives the parks and 三区三线 layers a workspace would hold.
One enterprise is named ``<script>alert(1)</script>`` with ``&`` and quotes, to test escaping.
"""

from __future__ import annotations

import types

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from .. import units
from ..findings import concat_findings, make_findings
from ..results import Results

CRS = "EPSG:4528"
#: The name that must show literally and run nothing.
EVIL_NAME = "<script>alert(1)</script> & \"双引号\" '单引号' 机械有限公司"
CLASS_NAMES = {"A": "优先发展类", "B": "提升发展类", "C": "调控帮扶类", "D": "倒逼整治类"}


def origin() -> tuple[float, float]:
    """EPSG:4528 coordinates of 121.03°E, 29.14°N."""
    return Transformer.from_crs(4326, CRS, always_xy=True).transform(121.03, 29.14)


def _uscc(i: int) -> str:
    return f"91331023MA{i:08d}"[:18]


def synthetic_results(n: int = 60, seed: int = 8, cell_m: float = 80.0) -> Results:
    """Results of ``n`` grid parcels with every column and layer the map draws.

    Parameters
    ----------
    n : int
        Number of parcels.
    seed : int
    cell_m : float
        Grid spacing in metres (parcels are slightly jittered, sharing no edges exactly).

    Returns
    -------
    Results
    """
    rng = np.random.default_rng(seed)
    x0, y0 = origin()
    cols = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    gx, gy = i % cols, i // cols
    # cells with 8-vertex outlines (a notch on one side) so geometry size is realistic
    xs = x0 + gx * cell_m
    ys = y0 + gy * cell_m
    w = cell_m - 4.0
    notch = rng.uniform(4, 12, n)
    coords = np.stack([
        np.column_stack([xs, ys]), np.column_stack([xs + w, ys]), np.column_stack([xs + w, ys + w * 0.4]),
        np.column_stack([xs + w - notch, ys + w * 0.45]), np.column_stack([xs + w, ys + w * 0.5]),
        np.column_stack([xs + w, ys + w]), np.column_stack([xs, ys + w]), np.column_stack([xs, ys]),
    ], axis=1)
    geoms = shapely.polygons(coords)
    ids = np.array([f"331023{100 + (k % 9):03d}{k:010d}"[:19] for k in i])
    names = np.array([f"天台县第{k + 1}号制造有限公司" for k in i], dtype=object)
    names[min(3, n - 1)] = EVIL_NAME
    classes = rng.choice(list("ABCD") + [None], size=n, p=[0.12, 0.33, 0.4, 0.1, 0.05])
    area_m2 = shapely.area(geoms)
    tax = np.round(rng.gamma(2.0, 8.0, n), 2)
    idle_tier = np.full(n, np.nan)
    idle_idx = rng.choice(n, size=max(1, n // 25), replace=False)
    idle_tier[idle_idx] = rng.integers(0, 3, len(idle_idx))
    reclaim = (classes == "D") | (tax < 3)
    parcels = gpd.GeoDataFrame({
        "parcel_id": ids, "owner_uscc": [_uscc(k) for k in i], "owner_name": names,
        "holder_uscc": [_uscc(k) for k in i], "holder_name": names,
        "township": rng.choice(["赤城街道", "始丰街道", "福溪街道", "平桥镇"], n),
        "park_id": np.where(gx < cols // 2, "P1", ""), "status": "已竣工投产",
        "area_m2": area_m2.round(2), "area_mu": units.m2_to_mu(area_m2).round(4),
        "eval_year": 2022, "eval_class": classes,
        "class_name": [CLASS_NAMES.get(c) for c in classes],
        "eval_score": np.round(rng.uniform(40, 120, n), 2), "tax_per_mu": tax,
        "va_per_mu": np.round(tax * rng.uniform(4, 8, n), 2), "tenant_count": rng.integers(0, 4, n),
        "low_efficiency": reclaim, "low_efficiency_type": np.where(reclaim, "亩均税收≤5万元/亩", None),
        "far": np.round(rng.uniform(0.4, 2.2, n), 2), "building_coverage": np.round(rng.uniform(0.2, 0.6, n), 3),
        "idle_tier": idle_tier, "reclaimable": reclaim,
        "reclaim_reason": np.where(reclaim, "D类企业用地 / 亩均税收低于5万元", None),
    }, geometry=geoms, crs=CRS)
    idle = parcels.iloc[idle_idx][["parcel_id", "idle_tier", "geometry"]].copy()
    idle["idle_rule"] = "NAT-IDLE-1"
    idle["idle_gov_cause"] = [("规划调整" if k % 4 == 0 else None) for k in range(len(idle))]
    # fragments: small plots in the street gaps
    nf = max(2, n // 40)
    fx = x0 + rng.integers(0, cols, nf) * cell_m + cell_m - 4.0
    fy = y0 + rng.integers(0, max(1, n // cols), nf) * cell_m
    frag = gpd.GeoDataFrame({
        "fragment_id": [f"F{k + 1:04d}" for k in range(nf)],
        "fragment_type": np.where(np.arange(nf) % 2 == 0, "零星边角地", "夹心地"),
        "eligible": np.arange(nf) % 3 != 0,
        "note": ["<b>注意</b> 相邻宗地 & 道路" if k == 0 else "" for k in range(nf)],
    }, geometry=shapely.box(fx, fy, fx + 4.0, fy + 30.0), crs=CRS)
    # split checks: halves of a few parcels
    ns = max(1, n // 50)
    sp_rows = []
    for k in range(ns):
        g = geoms[k * 7 % n]
        minx, miny, maxx, maxy = g.bounds
        mid = (minx + maxx) / 2
        for part, box in enumerate([shapely.box(minx, miny, mid, maxy), shapely.box(mid, miny, maxx, maxy)]):
            sp_rows.append({"proposal_id": f"S{k + 1:03d}", "parcel_id": ids[k * 7 % n], "part_no": part + 1,
                            "verdict": ["pass", "fail", "warn"][k % 3], "geometry": g.intersection(box)})
    split = gpd.GeoDataFrame(sp_rows, geometry="geometry", crs=CRS)
    merge = gpd.GeoDataFrame({
        "proposal_id": [f"M{k + 1:03d}" for k in range(ns)],
        "parcel_ids": [f"{ids[(k * 11 + 1) % n]};{ids[(k * 11 + 2) % n]}" for k in range(ns)],
        "verdict": [["fail", "pass"][k % 2] for k in range(ns)],
    }, geometry=[shapely.union_all([geoms[(k * 11 + 1) % n], geoms[(k * 11 + 2) % n]]) for k in range(ns)], crs=CRS)
    reclaim_mu = float(parcels.loc[reclaim, "area_mu"].sum())
    targets = pd.DataFrame([
        {"rule_id": "TT-T1", "clause": "二", "label": "规上工业亩均税收", "metric": "tax_per_mu", "op": ">=",
         "target": 25.0, "value": 18.7, "unit": "万元/亩", "year": 2023, "status": "fail", "progress": 18.7 / 25},
        {"rule_id": "TT-T2", "clause": "二", "label": "规上工业亩均增加值", "metric": "va_per_mu", "op": ">=",
         "target": 150.0, "value": 121.0, "unit": "万元/亩", "year": 2023, "status": "fail",
         "progress": 121 / 150},
        {"rule_id": "TT-T3", "clause": "二", "label": "规上制造业全员劳动生产率", "metric": "labour_productivity",
         "op": ">=", "target": 23.0, "value": 24.1, "unit": "万元/人", "year": 2023, "status": "pass",
         "progress": 24.1 / 23},
        {"rule_id": "TT-T8", "clause": "二", "label": "腾出低效工业用地", "metric": "reclaimable_mu", "op": ">=",
         "target": 200.0, "value": reclaim_mu, "unit": "亩", "year": 2023,
         "status": "pass" if reclaim_mu >= 200 else "fail", "progress": reclaim_mu / 200},
    ])
    findings = concat_findings([
        make_findings(ids, "TT-T4", "二", np.where(reclaim, "fail", "pass"), tax, 5.0, "万元/亩",
                      [f"亩均税收 {t:.2f} 万元/亩" for t in tax]),
        make_findings(ids[idle_idx], "NAT-IDLE-1", "第二条", "fail", np.nan, np.nan, "", "超过约定动工日期满一年未动工"),
        make_findings(ids[: max(1, n // 10)], "TT-FAR-DEFAULT", "四(五)", "warn", 0.8, 1.1, "",
                      "容积率低于 <1.1> & 待核"),
        make_findings(frag["fragment_id"].to_numpy(), "TT-CORNER", "四(六)",
                      np.where(frag["eligible"], "pass", "fail"), message="累计面积不超过原用地20%且不超过10亩"),
        make_findings(merge["proposal_id"].to_numpy(), "TT-MERGE", "四(八)", merge["verdict"].to_numpy(),
                      message="权属性质、使用权类型一致,界线相邻"),
    ])
    info = {"county": "天台县", "admin_code": "331023", "ruleset": "tiantai-2022", "document": "天政发〔2022〕1号",
            "as_of": "2023-06-30", "crs": CRS, "workspace": ""}
    return Results(info=info, parcels=parcels, findings=findings,
                   layers={"idle_land": idle, "fragments": frag, "split_checks": split, "merge_checks": merge,
                           "targets": targets},
                   metrics={"reclaimable_mu": reclaim_mu})


def synthetic_workspace(results: Results):
    """A stand-in workspace holding parks, 城镇开发边界, 永久基本农田 and 生态保护红线 around ``results``."""
    minx, miny, maxx, maxy = results.parcels.total_bounds
    w, h = maxx - minx, maxy - miny
    def gdf(geom, **cols):
        return gpd.GeoDataFrame({k: [v] for k, v in cols.items()}, geometry=[geom], crs=CRS)
    layers = {
        "parks": gdf(shapely.box(minx - 10, miny - 10, minx + w / 2, maxy + 10), park_id="P1",
                     name="天台经济开发区", kind="经济开发区", standard_land_rules=True),
        "urban_boundary": gdf(shapely.box(minx - 60, miny - 60, maxx + 60, maxy + 60), id="UB1",
                              name="天台县城镇开发边界"),
        "basic_farmland": gdf(shapely.box(maxx + 80, miny, maxx + 80 + w / 3, maxy), id="BF1", name="永久基本农田"),
        "eco_redline": gdf(shapely.box(minx, maxy + 80, maxx, maxy + 80 + h / 4), id="ER1", name="生态保护红线"),
    }
    return types.SimpleNamespace(layers=layers, layer=layers.get, root=None, rasters={}, landcover_classes={},
                                 inputs=[])
