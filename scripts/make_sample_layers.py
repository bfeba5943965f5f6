#!/usr/bin/env python
"""Generate the bundled sample county workspace (``layers/``) deterministically.

Usage
-----
``python scripts/make_sample_layers.py``
    regenerate ``layers/`` (天台县, ruleset ``tiantai-2022``).
``python scripts/make_sample_layers.py --county deqing``
    regenerate ``layers/deqing/`` (德清县, ruleset ``deqing-2021``).
``python scripts/make_sample_layers.py --parcels 1000000 --out /tmp/big [--format parquet|gpkg]``
    scale mode: a synthetic county of N parcels for benchmarks (no planted cases).

Layout
------
Everything is in CGCS2000 3° Gauss-Krüger zone 40 with the zone prefix (EPSG:4528), placed around
the county's longitude/latitude (converted with pyproj). The county is a set of *areas*: industrial
parks (经济开发区, 创业创新园 …, written to ``parks``) and small industrial sites outside parks. Each
area has an irregular outline and a slightly curved road grid; the road surfaces (buffers of the
centre lines, made non-overlapping) are the ``roads`` layer, and the blocks between roads are cut
into irregular parcels by Lloyd-relaxed Voronoi cells clipped to the block. Parcel coordinates are
snapped to a 1 mm grid (so the 界址点 files, written to 0.001 m, reproduce them exactly); planted
geometries that need an exact area (10 亩, 20 % of a parcel) keep full precision. A river crosses
the county between the areas; 永久基本农田 and 生态保护红线 lie outside the areas; the 城镇开发边界 is
the union of the areas. Buildings are clipped rectangles laid out in completed parcels; the two
land-cover rasters are rasterised from parcels, buildings, roads and water, so they agree with the
vector data by construction.

Parcel ids follow the 不动产单元 宗地代码: admin code (6) + 街道/乡镇 (3) + 街坊 (3) + ``GB`` + 宗地顺序号
(5), e.g. ``331023101001GB00012``.

Planted cases
-------------
The generator picks parcels and enterprises for every case the analyses must tell apart and writes
``manifest.json`` (one line per key under ``_about``):

- ``idle``: NAT-IDLE-1 tier 1 (1–2 years past the agreed start) and tier 2 (≥ 2 years); NAT-IDLE-2
  by developed area < 1/3 and by investment < 25 %, both suspended ≥ 1 year; suspended < 1 year
  and < 1 year past the start (not idle); a 规划调整 government cause (not penalised).
- ``imagery``: a contract that says started on a parcel bare on both rasters; a parcel with no
  contract, bare on both dates.
- ``corners``: 夹心地 enclosed by ≥ 3 parcels, 边角地 against a road, 2 m slivers, plots half in
  永久基本农田, outside the 城镇开发边界, zoned G; plots requested by renovations (``renovation``) of
  exactly 20 % of the parcel, exactly 10 亩, and 1 m² over each; FAR ×1.1 with the renovation's
  floor area at 25 % (passes by clause (c)) and at 10 % (fails); TT-VERT / TT-TECH bound cases.
- ``split``: pass; a part of exactly 10 亩 (pass) and of 9.999 亩; 3 parts; 4 parts (fail) and 4
  on an 工业地产 parcel (pass); a plant crossing a part line by 5 m (fail) and by 5 cm (tolerated);
  not 已竣工投产; split_from set; merged_from set; admin/living buildings alone in a part; a C/D
  buyer; parts leaving a gap; parts overlapping.
- ``merge``: pass; touching at a corner only; 出让 + 划拨; different term ends (pass, unified); a
  C/D buyer.
- ``efficiency``: 亿元 enterprises at ≤ 10 万元/亩 in both years, in one year, exactly 10.0;
  revenue exactly 1 亿 and 0.01 万元 under; ≤ 5, exactly 5.0 and 5.01 万元/亩.
- ``rating``: key projects ≥ 1 亿 (also exactly), ≥ 3000 万 (also exactly), 2999, completed and
  non-key ones; planted A-grade buyers and a D-grade buyer.
- ``keep`` (blocks rezoned R/B/G), ``housing`` (≥ 50 亩 outside parks), ``intensity`` (FAR either
  side of 1.1 in and outside parks, > 24 m outside parks with no plan conditions, > 8 m
  single-storey plants, admin shares > 7 %), ``supply`` (years either side of the threshold).
- ``faults``: an invalid 统一社会信用代码, a duplicated row, zero employees, a missing and a
  negative value, a ``待定`` date, a name with markup, enterprises without land, parcels
  without an enterprise, buildings without a parcel_id.

Ordinary enterprises and plants are realistic, so that a flagged parcel is the exception: 规上
亩均税收 about 25 万元/亩 county-wide (德清 about 35), low-efficiency enterprises (≤ 5 万元/亩) about
6 % of those evaluated (德清 about 10 %), 行政办公/生活服务 within 7 % of the floor area on about 95 %
of plants, 建筑系数 ≥ 30 % on nearly all completed plants (``enterprise_rows``, ``modest_admin``).
Those changes draw nothing more from the main random stream (a second stream sizes the offices),
so every planted case keeps its parcel, enterprise and value.

Values sit exactly where thresholds bite: tax set so that ``tax / (planar area / (10000/15))`` is
exactly 10.0 or 5.0 in floating point (the parcel is chosen so a 16-digit tax allows it); plots and
split parts of exact area come from an exact half-plane clip and bisection (overlays may snap).

Determinism
-----------
One seeded ``numpy.random.Generator``; GDAL's ``OGR_CURRENT_DATE`` fixed for GeoPackages; the
Shapefile's DBF date patched; xlsx files rewritten with fixed zip dates and document properties.
Two runs give the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import math
import os
import re
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FIXED_DATE = "2023-06-30T00:00:00Z"
os.environ.setdefault("OGR_CURRENT_DATE", FIXED_DATE)

import geopandas as gpd
import pandas as pd
import pyogrio
import pyproj
import shapely
import shapely.affinity
import shapely.ops
from shapely.geometry import LineString, MultiPoint, Point, Polygon

from geo_tenglong.uscc import ALPHABET, WEIGHTS, check_char

pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_DATE})

EPSG = 4528
M2_PER_MU = 10000.0 / 15.0
GRID = 0.001  # cadastral coordinate precision, m


# --------------------------------------------------------------------------------------------
# County profiles
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AreaSpec:
    """One industrial area: a park or a site outside parks.

    Offsets and sizes are metres from the county anchor point; ``townships`` are (code, name)
    pairs, split west to east across the area.
    """

    key: str
    name: str
    kind: str | None            # park kind, None for a site outside parks
    dx: float
    dy: float
    width: float
    height: float
    angle: float                # degrees, rotation of the road grid
    spacing: tuple[float, float]
    townships: tuple[tuple[str, str], ...]
    size_mix: tuple[float, float, float, float] = (0.30, 0.45, 0.20, 0.05)
    standard_land_rules: bool = True


@dataclass(frozen=True)
class Profile:
    """A county: where it is, what it is called and how its industrial land is laid out."""

    key: str
    county: str
    admin_code: str
    ruleset: str
    lon: float
    lat: float
    as_of: str
    seed: int
    out: str
    gpkg: str
    areas: tuple[AreaSpec, ...]
    river_name: str
    road_names: tuple[str, ...]
    supply_share: tuple[float, float, float]     # industrial share 2021, 2022, 2023
    target_parcels: int
    industries: tuple[str, ...]
    name_prefixes: tuple[str, ...]
    supply_threshold: float = 0.30      # TT-SUPPLY 30 %, DQ-SUPPLY 50 %
    guishang: int = 380                 # 规上 enterprises among the ordinary landholders
    tenant_hosts: int = 60              # parcels hosting tenants (一地多企)
    landless: int = 40                  # enterprises with no land at all
    sales_per_mu: tuple[float, float] = (330.0, 300.0)   # median 营业收入 per 亩 (万元), 规上 / 规下


TT_TOWNS = {"始丰街道": "101", "赤城街道": "102", "福溪街道": "103", "坦头镇": "104", "平桥镇": "105",
            "白鹤镇": "106", "三合镇": "107", "洪畴镇": "108", "街头镇": "109"}


def _tt(name):
    return (TT_TOWNS[name], name)


TIANTAI = Profile(
    key="tiantai", county="天台县", admin_code="331023", ruleset="tiantai-2022",
    lon=121.03, lat=29.14, as_of="2023-06-30", seed=331023, out="layers", gpkg="tiantai.gpkg",
    areas=(
        AreaSpec("kfq", "天台经济开发区", "经济开发区", 0, 0, 3900, 2300, 9, (260, 420),
                 (_tt("始丰街道"), _tt("福溪街道"))),
        AreaSpec("tingtou", "天台县创业创新园（亭头区块）", "创业创新园", 3900, -1900, 1700, 1200, -6,
                 (230, 360), (_tt("福溪街道"),)),
        AreaSpec("tantou", "坦头创业创新园", "创业创新园", -4100, -2300, 1400, 1000, 15, (230, 340),
                 (_tt("坦头镇"),)),
        AreaSpec("pingqiao", "平桥创业创新园", "创业创新园", -4600, 1500, 1100, 800, -3, (220, 320),
                 (_tt("平桥镇"),)),
        AreaSpec("s_chicheng", "赤城工业点", None, 1700, 2300, 650, 420, 20, (200, 280),
                 (_tt("赤城街道"),), (0.45, 0.45, 0.10, 0.0)),
        AreaSpec("s_baihe", "白鹤工业点", None, -2100, 3000, 700, 450, -12, (200, 300),
                 (_tt("白鹤镇"),), (0.40, 0.40, 0.15, 0.05)),
        AreaSpec("s_sanhe", "三合工业点", None, 5200, 1300, 600, 450, 5, (200, 280),
                 (_tt("三合镇"),), (0.45, 0.40, 0.15, 0.0)),
        AreaSpec("s_hongchou", "洪畴工业点", None, 2500, -3600, 650, 400, -18, (200, 300),
                 (_tt("洪畴镇"),), (0.40, 0.40, 0.20, 0.0)),
        AreaSpec("s_jietou", "街头工业点", None, -1500, -3700, 600, 420, 30, (200, 300),
                 (_tt("街头镇"),), (0.45, 0.45, 0.10, 0.0)),
        AreaSpec("s_pingqiao", "平桥工业点", None, -6200, -600, 700, 480, 8, (200, 320),
                 (_tt("平桥镇"),), (0.30, 0.40, 0.20, 0.10)),
        AreaSpec("s_shifeng", "始丰工业点", None, -2600, 1700, 560, 420, -25, (200, 280),
                 (_tt("始丰街道"),), (0.40, 0.40, 0.20, 0.0)),
    ),
    river_name="始丰溪",
    road_names=("始丰大道", "赤城路", "福溪路", "兴业路", "创业路", "工业大道", "人民东路", "坦头大道",
                "天工路", "云海路", "丰泽路", "银杏路", "平安路", "兴园路", "聚贤路", "腾飞路",
                "和合路", "济公大道", "国清路", "桐柏路", "寒山路", "华顶路", "溪头路", "亭头路",
                "城东路", "城南大道", "滨溪路", "南屏路", "塔后路", "三合路", "泳溪路", "龙溪路"),
    supply_share=(0.35, 0.24, 0.30),
    target_parcels=1500,
    industries=("汽车零部件及配件制造", "橡胶和塑料制品业", "医药制造业", "通用设备制造业", "纺织业",
                "金属制品业", "电气机械和器材制造业", "化学原料和化学制品制造业", "非金属矿物制品业",
                "专用设备制造业", "工业滤布制造", "汽车用品制造"),
    name_prefixes=("浙江", "天台县", "台州", "天台"),
)

DQ_TOWNS = {"武康街道": "001", "舞阳街道": "002", "阜溪街道": "003", "下渚湖街道": "004",
            "乾元镇": "101", "新市镇": "102", "洛舍镇": "103", "钟管镇": "104", "禹越镇": "105",
            "新安镇": "106", "雷甸镇": "107"}


def _dq(name):
    return (DQ_TOWNS[name], name)


DEQING = Profile(
    key="deqing", county="德清县", admin_code="330521", ruleset="deqing-2021",
    lon=119.97, lat=30.54, as_of="2023-06-30", seed=330521, out="layers/deqing", gpkg="deqing.gpkg",
    areas=(
        AreaSpec("gxq", "德清县高新技术产业开发区", "高新区", 0, 0, 2700, 1700, 4, (280, 420),
                 (_dq("武康街道"), _dq("舞阳街道"))),
        AreaSpec("jkq", "德清经济开发区", "经济开发区", 3600, -1700, 1900, 1300, -8, (260, 400),
                 (_dq("阜溪街道"),)),
        AreaSpec("old_xinshi", "新市老工业园区", "老工业园区", -3300, 2600, 1000, 700, 12, (200, 300),
                 (_dq("新市镇"),), (0.50, 0.40, 0.10, 0.0), False),
        AreaSpec("old_zhongguan", "钟管老工业园区", "老工业园区", -3600, -1800, 900, 700, -10, (200, 300),
                 (_dq("钟管镇"),), (0.50, 0.40, 0.10, 0.0), False),
        AreaSpec("c_luoshe", "洛舍集聚点", None, 1200, 2600, 700, 480, 18, (200, 300),
                 (_dq("洛舍镇"),), (0.35, 0.35, 0.20, 0.10)),
        AreaSpec("c_yuyue", "禹越集聚点", None, -1200, -3200, 650, 450, -20, (200, 300),
                 (_dq("禹越镇"),), (0.40, 0.35, 0.15, 0.10)),
        AreaSpec("c_leidian", "雷甸集聚点", None, 5400, 1000, 480, 360, 6, (180, 260),
                 (_dq("雷甸镇"),), (0.55, 0.40, 0.05, 0.0)),
        AreaSpec("c_xinan", "新安集聚点", None, -5600, 300, 500, 400, -4, (180, 260),
                 (_dq("新安镇"),), (0.55, 0.40, 0.05, 0.0)),
    ),
    river_name="东苕溪",
    road_names=("云岫路", "武康大道", "志远路", "长虹街", "环城北路", "北湖街", "敦和路", "曲园路",
                "双山路", "临溪街", "湘溪路", "康乾街", "塔山街", "秋北路", "永安街", "阜溪路",
                "乾元大道", "新市大道", "钟管路", "禹越路", "雷甸路", "洛舍路", "经一路", "纬二路"),
    supply_share=(0.55, 0.42, 0.50),
    target_parcels=800,
    industries=("通用设备制造业", "电气机械和器材制造业", "非金属矿物制品业", "金属制品业",
                "木材加工和木、竹、藤、棕、草制品业", "家具制造业", "化学原料和化学制品制造业",
                "计算机、通信和其他电子设备制造业", "橡胶和塑料制品业", "地理信息产业"),
    name_prefixes=("浙江", "德清县", "湖州", "德清"),
    supply_threshold=0.50, guishang=210, tenant_hosts=35, landless=25,
    sales_per_mu=(480.0, 400.0),      # 德清 is richer: 规上 亩均税收 about 36 against its target 39.8
)

PROFILES = {"tiantai": TIANTAI, "deqing": DEQING}


def anchor_xy(profile: Profile) -> tuple[float, float]:
    """The county anchor point (lon, lat) projected to EPSG:4528 and rounded to the metre."""
    tr = pyproj.Transformer.from_crs(4490, EPSG, always_xy=True)
    x, y = tr.transform(profile.lon, profile.lat)
    return round(x), round(y)


# --------------------------------------------------------------------------------------------
# Geometry helpers
# --------------------------------------------------------------------------------------------

def rotate_xy(x, y, angle_deg: float, cx: float, cy: float):
    """Rotate coordinates by ``angle_deg`` (counter-clockwise) about (cx, cy)."""
    a = math.radians(angle_deg)
    c, s = math.cos(a), math.sin(a)
    x = np.asarray(x, dtype=float) - cx
    y = np.asarray(y, dtype=float) - cy
    return cx + c * x - s * y, cy + s * x + c * y


def snap(geoms):
    """Snap geometries to the cadastral 1 mm grid, keeping them valid.

    The result carries no fixed precision model (a WKB round trip drops it), so later overlays
    work in floating precision exactly as a reader of the written files would."""
    return shapely.from_wkb(shapely.to_wkb(shapely.set_precision(geoms, GRID)))


def polygons_of(geom) -> list:
    """The polygons of a (Multi)Polygon or collection, dropping lines and points."""
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type == "Polygon":
        return [geom]
    return [g for part in getattr(geom, "geoms", []) for g in polygons_of(part)]


def largest_polygon(geom):
    """The largest polygon of ``geom`` (or None)."""
    polys = polygons_of(geom)
    return max(polys, key=lambda p: p.area) if polys else None


def area_outline(rng, cx, cy, width, height, angle, n=72) -> Polygon:
    """An irregular, roughly rectangular outline (a noisy superellipse)."""
    theta = np.linspace(0, 2 * np.pi, n, endpoint=False)
    p = 4.0
    a, b = width / 2, height / 2
    r = (np.abs(np.cos(theta)) ** p / a ** p + np.abs(np.sin(theta)) ** p / b ** p) ** (-1 / p)
    noise = np.zeros(n)
    for k in (2, 3, 5):
        noise += rng.uniform(0.01, 0.035) * np.sin(k * theta + rng.uniform(0, 2 * np.pi))
    r = r * (1 + noise)
    x, y = rotate_xy(cx + r * np.cos(theta), cy + r * np.sin(theta), angle, cx, cy)
    return shapely.make_valid(Polygon(np.column_stack([x, y])))


@dataclass
class Road:
    line: LineString
    width: float
    road_class: str
    name: str
    poly: object = None


def _wave(rng, amp_range=(6, 22), len_range=(900, 1900)):
    return rng.uniform(*amp_range), rng.uniform(*len_range), rng.uniform(0, 2 * np.pi)


def road_grid(rng, spec: AreaSpec, outline: Polygon, cx: float, cy: float, names) -> list[Road]:
    """Centre lines of a slightly curved road grid over ``outline`` (in the area's rotated frame)."""
    lx, ly = rotate_xy(*np.asarray(outline.exterior.coords).T, -spec.angle, cx, cy)
    minx, maxx, miny, maxy = lx.min(), lx.max(), ly.min(), ly.max()

    def positions(lo, hi):
        out, pos = [], lo + rng.uniform(0.45, 0.8) * spec.spacing[1]
        while pos < hi - 0.35 * spec.spacing[0]:
            out.append(pos)
            pos += rng.uniform(*spec.spacing)
        return out

    xs, ys = positions(minx, maxx), positions(miny, maxy)
    vwaves = [_wave(rng) for _ in xs]
    hwaves = [_wave(rng) for _ in ys]
    roads = []
    name_iter = iter(names)

    def add(u, v, width, cls):
        gx, gy = rotate_xy(u, v, spec.angle, cx, cy)
        roads.append(Road(LineString(np.column_stack([gx, gy])), width, cls, next(name_iter, "")))

    big = len(xs) > 3
    for i, (x0, (amp, ln, ph)) in enumerate(zip(xs, vwaves)):
        main = big and i % 3 == 1
        v = np.arange(miny - 60, maxy + 60, 15.0)
        if not main and len(ys) >= 2 and rng.random() < 0.25:
            # a street ending at a cross road (T junction)
            j = int(rng.integers(0, len(ys)))
            ha, hl, hp = hwaves[j]
            vcut = ys[j] + ha * np.sin(2 * np.pi * x0 / hl + hp)
            v = v[v <= vcut + 4] if rng.random() < 0.5 else v[v >= vcut - 4]
            if len(v) < 2:
                continue
        u = x0 + amp * np.sin(2 * np.pi * v / ln + ph)
        add(u, v, 32.0 if main else float(rng.choice([16.0, 18.0, 20.0, 24.0])), "主干路" if main else "次干路")
    for j, (y0, (amp, ln, ph)) in enumerate(zip(ys, hwaves)):
        main = big and j % 2 == 0
        u = np.arange(minx - 60, maxx + 60, 15.0)
        v = y0 + amp * np.sin(2 * np.pi * u / ln + ph)
        add(u, v, 32.0 if main else float(rng.choice([16.0, 18.0, 20.0, 24.0])), "主干路" if main else "次干路")
    return roads


def road_surfaces(roads: list[Road], clip) -> None:
    """Buffer centre lines into road polygons clipped to ``clip``; main roads first, no overlaps."""
    taken = None
    for road in sorted(roads, key=lambda r: -r.width):
        poly = road.line.buffer(road.width / 2, cap_style="flat", quad_segs=4).intersection(clip)
        if taken is not None:
            poly = poly.difference(taken)
        road.poly = shapely.union_all(polygons_of(snap(poly)))
        taken = road.poly if taken is None else taken.union(road.poly)
    roads[:] = [r for r in roads if r.poly is not None and not r.poly.is_empty and r.poly.area > 50]


def random_points_in(rng, poly, n: int) -> np.ndarray:
    """``n`` uniform random points inside ``poly`` (rejection sampling)."""
    minx, miny, maxx, maxy = poly.bounds
    out = np.empty((0, 2))
    shapely.prepare(poly)
    while len(out) < n:
        cand = np.column_stack([rng.uniform(minx, maxx, 4 * n), rng.uniform(miny, maxy, 4 * n)])
        out = np.vstack([out, cand[shapely.contains_xy(poly, cand[:, 0], cand[:, 1])]])
    return out[:n]


def voronoi_cells(block, seeds: np.ndarray) -> list:
    """Voronoi cells of ``seeds`` clipped to ``block`` (one polygon per seed, in seed order)."""
    vor = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=block, ordered=True)
    return [largest_polygon(c.intersection(block)) for c in vor.geoms]


def grid_seeds(rng, block, n: int) -> np.ndarray:
    """About ``n`` jittered seeds in rows along the block's long axis, so that Voronoi cells come
    out as the slightly irregular strips that front the streets in real industrial blocks."""
    env = shapely.oriented_envelope(block)
    ex = np.asarray(env.exterior.coords)[:4]
    e1, e2 = ex[1] - ex[0], ex[3] - ex[0]
    if np.hypot(*e1) < np.hypot(*e2):
        e1, e2 = e2, e1
    origin = ex[0]
    depth = np.hypot(*e2)
    rows = max(1, min(3, int(round(depth / math.sqrt(block.area / n) * 0.8))))
    cols = max(1, int(math.ceil(n / rows)))
    fu = (np.arange(cols) + 0.5) / cols
    fv = (np.arange(rows) + 0.5) / rows
    uu, vv = np.meshgrid(fu, fv)
    uu = uu + rng.uniform(-0.3, 0.3, uu.shape) / cols
    vv = vv + rng.uniform(-0.15, 0.15, vv.shape) / rows
    pts = origin + np.outer(uu.ravel(), e1) + np.outer(vv.ravel(), e2)
    inside = shapely.contains_xy(block, pts[:, 0], pts[:, 1])
    pts = pts[inside]
    if len(pts) < 2:
        pts = random_points_in(rng, block, max(2, n))
    return pts


def subdivide_block(rng, block, target_m2: float, min_m2: float) -> list:
    """Cut a block into irregular parcels of about ``target_m2`` (Voronoi cells of jittered rows)."""
    n = int(round(block.area / target_m2))
    if n <= 1:
        return [block]
    seeds = grid_seeds(rng, block, n)
    cells = [c for c in voronoi_cells(block, seeds) if c is not None and not c.is_empty]
    return merge_small(cells, min_m2)


def merge_small(cells: list, min_m2: float) -> list:
    """Merge cells smaller than ``min_m2`` (or too thin to use) into the neighbour sharing most edge."""
    cells = list(cells)
    while len(cells) > 1:
        small = [i for i, c in enumerate(cells) if c.area < min_m2 or c.buffer(-6).is_empty]
        if not small:
            break
        i = min(small, key=lambda k: cells[k].area)
        best, best_len = None, 0.0
        for j, c in enumerate(cells):
            if j != i:
                shared = cells[i].boundary.intersection(c.boundary).length
                if shared > best_len:
                    best, best_len = j, shared
        if best is None:
            break
        merged = largest_polygon(cells[best].union(cells[i]))
        cells[best] = merged
        del cells[i]
    return cells


# --------------------------------------------------------------------------------------------
# Layout: areas, river, roads, blocks, parcels
# --------------------------------------------------------------------------------------------

SIZE_TARGETS_M2 = (3200.0, 9000.0, 28000.0, 90000.0)   # small / medium / large / huge blocks
MIN_PARCEL_M2 = 1400.0                                 # a little over 2 亩
MAX_PARCEL_M2 = 100000.0                               # 150 亩

RIVER_WAYPOINTS = ((-9000, 600), (-6800, 450), (-5200, 500), (-3600, -600), (-2400, -1650),
                   (-600, -1700), (1500, -1550), (2500, -1150), (3500, -650), (5000, -600),
                   (7000, -150), (9000, 100))


@dataclass
class Block:
    """A block between roads, with the parcels it is cut into."""

    geom: object
    area_key: str
    park_id: str | None
    township: tuple[str, str]
    zone: str = "M2"
    size_class: int = 1
    cells: list = field(default_factory=list)


@dataclass
class Layout:
    """The county's geometry before attributes."""

    anchor: tuple[float, float]
    outlines: dict
    roads: list
    blocks: list
    river: object
    ponds: list
    parks: list          # (park_id, AreaSpec, polygon)


def chaikin(points: np.ndarray, rounds: int = 3) -> np.ndarray:
    """Smooth a polyline by Chaikin corner cutting (end points kept)."""
    for _ in range(rounds):
        p, q = points[:-1], points[1:]
        mid = np.empty((2 * len(p), 2))
        mid[0::2] = 0.75 * p + 0.25 * q
        mid[1::2] = 0.25 * p + 0.75 * q
        points = np.vstack([points[:1], mid, points[-1:]])
    return points


def make_river(rng, anchor) -> object:
    """The river: a smoothed, slightly varying-width polygon through the waypoints."""
    pts = np.array(RIVER_WAYPOINTS, dtype=float) + anchor
    pts[1:-1] += rng.uniform(-60, 60, (len(pts) - 2, 2))
    line = LineString(chaikin(pts, 4))
    pieces = []
    n = 24
    for k in range(n):
        seg = shapely.ops.substring(line, k / n, (k + 1) / n, normalized=True)
        pieces.append(seg.buffer(rng.uniform(38, 58), quad_segs=6))
    return snap(shapely.union_all(pieces).simplify(0.5))


def township_for(spec: AreaSpec, x: float, outline) -> tuple[str, str]:
    """The township of a point of an area: the area's townships split west to east."""
    if len(spec.townships) == 1:
        return spec.townships[0]
    minx, _, maxx, _ = outline.bounds
    k = int((x - minx) / (maxx - minx) * len(spec.townships))
    return spec.townships[min(max(k, 0), len(spec.townships) - 1)]


def build_layout(rng, profile: Profile) -> Layout:
    """Outlines, river, roads and blocks of every area, and the blocks cut into parcels."""
    import shapely.ops

    ax, ay = anchor_xy(profile)
    river = make_river(rng, (ax, ay))
    keep_off = river.buffer(25)
    outlines, roads, blocks, parks = {}, [], [], []
    names = list(profile.road_names)
    park_no = 0
    for spec in profile.areas:
        cx, cy = ax + spec.dx, ay + spec.dy
        outline = largest_polygon(area_outline(rng, cx, cy, spec.width, spec.height, spec.angle)
                                  .difference(keep_off))
        outline = snap(outline)
        rng.shuffle(names)
        area_roads = road_grid(rng, spec, outline, cx, cy, names)
        road_surfaces(area_roads, outline)
        road_union = shapely.union_all([r.poly for r in area_roads])
        park_id = None
        if spec.kind:
            park_no += 1
            park_id = f"P{park_no:02d}"
        kept = []
        for b in polygons_of(snap(outline.difference(road_union))):
            if b.area >= MIN_PARCEL_M2 * 1.2 and not b.buffer(-8).is_empty:
                kept.append(b)
        # the area is what its blocks and roads cover: dropped slivers fall outside it
        outline = snap(largest_polygon(shapely.union_all(kept + [road_union]).buffer(0)))
        outlines[spec.key] = outline
        for b in kept:
            blocks.append(Block(b, spec.key, park_id, township_for(spec, b.centroid.x, outline)))
        roads.extend(area_roads)
        if park_id:
            parks.append((park_id, spec, outline))
    targets = assign_size_classes(rng, profile, blocks)
    for b in blocks:
        target = min(targets[b.size_class], MAX_PARCEL_M2)
        if b.size_class == 3:
            target = max(b.geom.area / math.ceil(b.geom.area / MAX_PARCEL_M2), 40000.0)
        b.cells = resolve_overlaps([snap(c) for c in subdivide_block(rng, b.geom, target, MIN_PARCEL_M2)])
    ponds = make_ponds(rng, (ax, ay), outlines, river)
    return Layout((ax, ay), outlines, roads, blocks, river, ponds, parks)


def resolve_overlaps(cells: list) -> list:
    """Remove the hair-thin overlaps that snapping neighbours separately can leave: the larger
    cell of an overlapping pair gives the overlap up."""
    if len(cells) < 2:
        return cells
    tree = shapely.STRtree(cells)
    left, right = tree.query(cells, predicate="intersects")
    for i, j in zip(left, right):
        if i >= j:
            continue
        inter = cells[i].intersection(cells[j])
        if inter.area > 0:
            big, small = (i, j) if cells[i].area >= cells[j].area else (j, i)
            cells[big] = snap(largest_polygon(cells[big].difference(cells[small])))
    return cells


def assign_size_classes(rng, profile: Profile, blocks: list) -> tuple:
    """Draw a parcel-size class per block; return the target parcel sizes per class, rescaled so
    the county has about the profile's parcel count."""
    specs = {a.key: a for a in profile.areas}
    for b in blocks:
        mix = np.asarray(specs[b.area_key].size_mix)
        b.size_class = int(rng.choice(4, p=mix / mix.sum()))
        if b.size_class == 3 and b.geom.area < 40000:
            b.size_class = 2
    expected = sum(b.geom.area / SIZE_TARGETS_M2[b.size_class] for b in blocks)
    scale = expected / profile.target_parcels
    return tuple(t * scale if i < 3 else t for i, t in enumerate(SIZE_TARGETS_M2))


def make_ponds(rng, anchor, outlines, river) -> list:
    """Two small ponds near the river, clear of the areas."""
    avoid = shapely.union_all(list(outlines.values())).buffer(30)
    ponds = []
    for dx, dy in ((-1800, -2500), (6200, 600)):
        p = area_outline(rng, anchor[0] + dx, anchor[1] + dy, 180, 110, rng.uniform(0, 180), 24)
        p = largest_polygon(p.difference(avoid).difference(river))
        if p is not None and p.area > 2000:
            ponds.append(snap(p))
    return ponds


# --------------------------------------------------------------------------------------------
# Parcel records and planted geometry
# --------------------------------------------------------------------------------------------

def mu(m2):
    """m² to 亩."""
    return m2 / M2_PER_MU


@dataclass
class ParcelRec:
    """One parcel while the county is being built (attributes filled in later)."""

    geom: object
    block: int
    area_key: str
    park_id: str | None
    township: tuple[str, str]
    role: str = ""                  # planted role, "" for an ordinary parcel
    attrs: dict = field(default_factory=dict)

    @property
    def area(self) -> float:
        return self.geom.area


@dataclass
class Gap:
    """A planted unallocated plot (零星边角地/夹心地)."""

    key: str
    geom: object
    note: str = ""


class County:
    """Mutable state of the generation: layout, parcels, gaps and the manifest being written."""

    def __init__(self, profile: Profile, rng, layout: Layout):
        self.profile = profile
        self.rng = rng
        self.layout = layout
        self.parcels: list[ParcelRec] = []
        for bi, b in enumerate(layout.blocks):
            for c in b.cells:
                self.parcels.append(ParcelRec(c, bi, b.area_key, b.park_id, b.township))
        self.gaps: list[Gap] = []
        self.manifest: dict = {}
        self.road_union = shapely.union_all([r.poly for r in layout.roads])
        self.farmland_extra = []       # polygons added to 永久基本农田
        self.ub_holes = []             # polygons cut out of the 城镇开发边界
        self.zoning_extra = []         # (polygon, code) zoning patches
        self._tree = None
        self._nb = {}

    # -- neighbourhood -------------------------------------------------------------------------
    def tree(self):
        if self._tree is None:
            self._tree = shapely.STRtree([p.geom if p is not None else Point() for p in self.parcels])
        return self._tree

    def invalidate(self):
        self._tree = None
        self._nb = {}

    def neighbours(self, i: int, min_shared: float = 1.0) -> list[tuple[int, float]]:
        """Parcels sharing at least ``min_shared`` metres of boundary with parcel ``i``."""
        key = (i, min_shared)
        if key in self._nb:
            return self._nb[key]
        g = self.parcels[i].geom
        out = []
        for j in self.tree().query(g.buffer(0.01)):
            j = int(j)
            if j == i or self.parcels[j] is None:
                continue
            shared = g.boundary.intersection(self.parcels[j].geom.buffer(0.005)).length
            if shared >= min_shared:
                out.append((j, shared))
        self._nb[key] = out
        return out

    def road_contact(self, i: int) -> float:
        """Length of parcel ``i``'s boundary on a road surface."""
        return self.parcels[i].geom.boundary.intersection(self.road_union.buffer(0.005)).length

    def free(self, i: int) -> bool:
        return self.parcels[i] is not None and not self.parcels[i].role

    def pick(self, role: str, cond, prefer=None) -> int:
        """Reserve a free parcel satisfying ``cond(i, rec)`` for ``role`` (random among matches,
        or the best by ``prefer`` when given)."""
        if prefer:
            cands = [i for i, p in enumerate(self.parcels) if p is not None and not p.role and cond(i, p)]
            i = max(cands, key=prefer) if cands else None
        else:   # random order, first match: a uniform choice without testing every parcel
            i = next((int(i) for i in self.rng.permutation(len(self.parcels))
                      if self.parcels[i] is not None and not self.parcels[i].role
                      and cond(int(i), self.parcels[i])), None)
        if i is None:
            raise RuntimeError(f"no parcel fits planted role {role!r}")
        self.parcels[i].role = role
        return i

    def remove_as_gap(self, i: int, key: str, note: str = "") -> Gap:
        gap = Gap(key, self.parcels[i].geom, note)
        self.gaps.append(gap)
        self.parcels[i] = None
        self.invalidate()
        return gap


def is_enclosed(county: County, i: int) -> bool:
    """All of parcel ``i``'s boundary is shared with other parcels (no road, no outline edge)."""
    nb = county.neighbours(i)
    return len(nb) >= 3 and sum(s for _, s in nb) >= county.parcels[i].geom.length - 0.5


def carve_exact(neighbour, parcel, target_m2: float, check_rest: bool = True):
    """Cut from ``neighbour`` the strip along ``parcel`` whose area is exactly ``target_m2``.

    The strip is ``neighbour ∩ parcel.buffer(d)`` with ``d`` found by bisection; returns
    (strip, neighbour remainder) or None when the neighbour cannot give that much in one piece.
    """
    def strip(d):
        return neighbour.intersection(parcel.buffer(d, join_style="mitre", mitre_limit=3.0))

    lo, hi = 0.0, 1.0
    while strip(hi).area < target_m2:
        hi *= 2
        if hi > 600:
            return None
    for _ in range(80):
        mid = (lo + hi) / 2
        if strip(mid).area < target_m2:
            lo = mid
        else:
            hi = mid
    gap = strip(hi * 1.01 + 0.05)          # a little more, then cut exactly
    if gap.geom_type != "Polygon":
        gap = largest_polygon(gap)
    if gap.area < target_m2:
        return None
    # buffers are not exactly continuous in d: trim the strip to the exact area with a straight cut
    gap = cut_at_area(gap, target_m2)[0]
    if gap.geom_type != "Polygon" or abs(gap.area - target_m2) > 1e-6:
        return None
    rest = neighbour.difference(gap)
    if check_rest and (rest.geom_type != "Polygon" or rest.area < MIN_PARCEL_M2 or rest.buffer(-5).is_empty):
        return None
    return gap, rest


def halfplane(origin, direction, length=5000.0) -> Polygon:
    """The half plane left of the line through ``origin`` along ``direction`` (as a big square)."""
    d = np.asarray(direction, float) / np.hypot(*direction)
    n = np.array([-d[1], d[0]])
    o = np.asarray(origin, float)
    pts = [o - d * length, o + d * length, o + d * length + n * length, o - d * length + n * length]
    return Polygon(pts)


def long_axis(poly):
    """(origin, unit long-axis vector, length) of a polygon's oriented envelope."""
    ex = np.asarray(shapely.oriented_envelope(poly).exterior.coords)[:4]
    e1, e2 = ex[1] - ex[0], ex[3] - ex[0]
    if np.hypot(*e1) >= np.hypot(*e2):
        return ex[0], e1 / np.hypot(*e1), np.hypot(*e1)
    return ex[0], e2 / np.hypot(*e2), np.hypot(*e2)


def clip_ring(xy: np.ndarray, c, u) -> np.ndarray:
    """Sutherland–Hodgman clip of a closed ring (no repeated end point) to the half plane
    ``(p - c) · u <= 0``. Exact to floating point, unlike an overlay that may snap."""
    d = (xy - c) @ u
    out = []
    n = len(xy)
    for k in range(n):
        p, q = xy[k], xy[(k + 1) % n]
        dp, dq = d[k], d[(k + 1) % n]
        if dp <= 0:
            out.append(p)
        if (dp < 0 < dq) or (dq < 0 < dp):
            out.append(p + (q - p) * (dp / (dp - dq)))
    return np.asarray(out)


def ring_area(xy: np.ndarray) -> float:
    """Shoelace area of a ring, computed about its first point (as GEOS does)."""
    if len(xy) < 3:
        return 0.0
    x = xy[:, 0] - xy[0, 0]
    y = xy[:, 1] - xy[0, 1]
    return abs(float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))) / 2


def cut_at_area(poly, target_m2: float):
    """Cut ``poly`` across its long axis so the first piece has exactly ``target_m2``.

    Simple polygons are clipped with :func:`clip_ring` (exact and continuous in the cut
    position), so bisection reaches the area to floating precision. Returns (piece, rest, cut).
    """
    origin, u, length = long_axis(poly)
    n = np.array([-u[1], u[0]])
    xy = np.asarray(poly.exterior.coords)[:-1] if poly.geom_type == "Polygon" else None
    simple = xy is not None and not poly.interiors

    def area_at(s):
        if simple:
            return ring_area(clip_ring(xy, origin + s * u, u))
        return poly.intersection(halfplane(origin + s * u, n)).area

    lo, hi = 0.0, length
    for _ in range(100):
        mid = (lo + hi) / 2
        if area_at(mid) < target_m2:
            lo = mid
        else:
            hi = mid
    c = origin + hi * u
    first = None
    if simple:
        ring = clip_ring(xy, c, u)
        cand = Polygon(ring)
        if cand.is_valid:
            first = cand
    if first is None:
        first = poly.intersection(halfplane(c, n))
    rest = poly.difference(first)
    cut = LineString([c - n * 2000, c + n * 2000]).intersection(poly)
    return first, rest, cut


def split_parts(poly, part_areas: list[float]):
    """Cut ``poly`` into len(part_areas)+1 parts, the first ones with exactly the given areas."""
    parts, cuts, rest = [], [], poly
    for a in part_areas:
        first, rest, cut = cut_at_area(rest, a)
        parts.append(largest_polygon(first) if first.geom_type != "Polygon" else first)
        cuts.append(cut)
    parts.append(largest_polygon(rest) if rest.geom_type != "Polygon" else rest)
    return parts, cuts


def in_park(p: ParcelRec) -> bool:
    return p.park_id is not None


def plant_quadrant_block(county: County) -> list[int]:
    """Replace the cells of one block outside parks by four quadrants meeting at one point, so
    that diagonal quadrants touch only at a corner (merge case). Returns the four indices."""
    blocks = county.layout.blocks
    cands = [bi for bi, b in enumerate(blocks)
             if b.park_id is None and 35000 < b.geom.area < 90000 and len(b.cells) >= 4]
    bi = cands[int(county.rng.integers(len(cands)))]
    block = blocks[bi].geom
    origin, u, length = long_axis(block)
    c = np.round(np.asarray(block.centroid.coords[0]), 3)
    n = np.array([-u[1], u[0]])
    L = 3000.0
    quads = []
    for su, sn in ((1, 1), (-1, 1), (-1, -1), (1, -1)):
        wedge = Polygon([c, c + su * u * L, c + su * u * L + sn * n * L, c + sn * n * L])
        quads.append(snap(largest_polygon(block.intersection(wedge))))
    # drop the block's old cells and append the quadrants
    county.parcels = [p for p in county.parcels if p.block != bi]
    start = len(county.parcels)
    for q in quads:
        county.parcels.append(ParcelRec(q, bi, blocks[bi].area_key, None, blocks[bi].township,
                                        role="merge_quadrant"))
    county.invalidate()
    county.manifest["_corner_point"] = [float(c[0]), float(c[1])]
    return list(range(start, start + 4))


def plant_enclave(county: County) -> tuple[int, int]:
    """Cut a small parcel out of the middle of a large one: the large parcel gets a hole."""
    i = county.pick("hole_outer", lambda i, p: 25 * M2_PER_MU < p.area < 60 * M2_PER_MU
                    and not p.geom.buffer(-45).is_empty)
    outer = county.parcels[i]
    c = np.round(np.asarray(outer.geom.buffer(-45).representative_point().coords[0]), 3)
    origin, u, _ = long_axis(outer.geom)
    n = np.array([-u[1], u[0]])
    hw, hd = 22.5, 20.0
    ring = [c - u * hw - n * hd, c + u * hw - n * hd, c + u * hw + n * hd, c - u * hw + n * hd]
    inner = snap(Polygon(np.round(ring, 3)))
    outer.geom = snap(outer.geom.difference(inner))
    county.parcels.append(ParcelRec(inner, outer.block, outer.area_key, outer.park_id,
                                    outer.township, role="hole_inner"))
    county.invalidate()
    return i, len(county.parcels) - 1


def plant_gaps(county: County) -> None:
    """零星边角地/夹心地: enclosed gaps, corner gaps, 2 m slivers, and gaps in 永久基本农田, outside
    the 城镇开发边界 and in non-industrial zoning."""
    small = (lambda i, p: 2.2 * M2_PER_MU < p.area < 8 * M2_PER_MU)
    for k in range(4):
        parkcond = (lambda p: in_park(p)) if k < 3 else (lambda p: not in_park(p))
        try:
            i = county.pick("gap", lambda i, p, c=parkcond: small(i, p) and c(p) and is_enclosed(county, i))
        except RuntimeError:        # a county whose sites have no enclosed small parcel
            i = county.pick("gap", lambda i, p: small(i, p) and is_enclosed(county, i))
        county.remove_as_gap(i, "corners.enclosed", "夹心地: enclosed by parcels")
    for k in range(3):
        i = county.pick("gap", lambda i, p: small(i, p) and county.road_contact(i) > 15
                        and len(county.neighbours(i)) >= 2)
        county.remove_as_gap(i, "corners.corner", "边角地: between parcels and a road")
    for k in range(3):
        def sliver_ok(i, p):
            return 6 * M2_PER_MU < p.area < 40 * M2_PER_MU and any(s > 60 for _, s in county.neighbours(i))
        i = county.pick("sliver_donor", sliver_ok)
        j = max(county.neighbours(i), key=lambda t: t[1])[0]
        a = county.parcels[i].geom
        new_a = largest_polygon(a.difference(county.parcels[j].geom.buffer(2.0, join_style="mitre")))
        sliver = a.difference(new_a)
        county.parcels[i].geom = new_a
        county.parcels[j].role = county.parcels[j].role or "sliver_neighbour"
        county.gaps.append(Gap("corners.sliver", largest_polygon(sliver), "2 m sliver between two parcels"))
        county.invalidate()
    # gaps at a site's outer edge: half in 永久基本农田, and one outside the 城镇开发边界
    outline_edge = {k: o.exterior for k, o in county.layout.outlines.items()}

    def edge_cell(i, p):
        return (not in_park(p) and small(i, p) and county.road_contact(i) < 1
                and p.geom.boundary.intersection(outline_edge[p.area_key].buffer(0.01)).length > 20)

    i = county.pick("gap", edge_cell)
    site = county.parcels[i].area_key
    g = county.remove_as_gap(i, "corners.half_in_farmland", "half inside 永久基本农田")
    outside = county.layout.outlines[site].buffer(300).difference(county.layout.outlines[site])
    half = carve_exact(g.geom, outside, g.geom.area / 2, check_rest=False)[0]
    county.farmland_extra.append((site, half))
    i = county.pick("gap", lambda i, p: edge_cell(i, p) and p.area_key != site)
    g = county.remove_as_gap(i, "corners.outside_urban_boundary", "outside 城镇开发边界")
    county.ub_holes.append(g.geom)
    i = county.pick("gap", lambda i, p: small(i, p) and is_enclosed(county, i))
    g = county.remove_as_gap(i, "corners.non_industrial_zoning", "zoned G (绿地) in 控规")
    county.zoning_extra.append((g.geom, "G"))


# Renovation (零增地技改) plans that request corner plots: (id, manifest key, parcel 亩 range,
# requested area as a function of the parcel's planar area in m²)
RENOVATION_PLOT_CASES = (
    ("R01", "renovation.plots_pct20_exact", (15, 45), lambda a: 0.2 * a),
    ("R02", "renovation.plots_pct20_over", (15, 45), lambda a: 0.2 * a + 1.0),
    ("R03", "renovation.plots_mu10_exact", (52, 160), lambda a: 10 * M2_PER_MU),
    ("R04", "renovation.plots_mu10_over", (52, 160), lambda a: 10 * M2_PER_MU + 1.0),
    ("R05", "renovation.far_fail_area_pass", (12, 60), lambda a: 0.04 * a),
    ("R06", "renovation.far_fail_area_fail", (12, 60), lambda a: 0.04 * a),
)


def plant_renovation_plots(county: County) -> None:
    """Carve, next to each renovating parcel, a plot of exactly the requested area."""
    county.renov_plots = {}
    for rid, key, (lo, hi), want in RENOVATION_PLOT_CASES:
        def fits(i, p, lo=lo, hi=hi, want=want):
            if not (lo * M2_PER_MU < p.area < hi * M2_PER_MU):
                return False
            if lo >= 45 and not in_park(p):     # keep big parcels outside parks for TT-HOUSING
                return False
            target = want(p.area)
            for j, shared in county.neighbours(i):
                if county.free(j) and shared > 15 and county.parcels[j].area > target + 1600:
                    return True
            return False

        for _attempt in range(30):
            i = county.pick("renovation", fits)
            p = county.parcels[i]
            target = want(p.area)
            done = False
            for j, shared in sorted(county.neighbours(i), key=lambda t: -t[1]):
                if not county.free(j) or county.parcels[j].area < target + 1600:
                    continue
                res = carve_exact(county.parcels[j].geom, p.geom, target)
                if res is None:
                    continue
                gap, rest = res
                county.parcels[j].geom = rest
                county.parcels[j].role = "renovation_donor"
                county.gaps.append(Gap("corners.requested", gap, f"requested by renovation {rid}"))
                county.renov_plots[rid] = (county.parcels[i], gap, key)
                p.attrs["renovation"] = rid
                county.invalidate()
                done = True
                break
            if done:
                break
            p.role = "skipped"
        else:
            raise RuntimeError(f"could not plant renovation plot {rid}")


# Split proposals: (id, manifest key, parcel 亩 range, part areas as a function of parcel m²)
SPLIT_CASES = (
    ("S01", "split.pass", (25, 60), lambda a: [a / 2]),
    ("S02", "split.pass_part_exactly_10mu", (22, 45), lambda a: [10 * M2_PER_MU]),
    ("S03", "split.fail_min_area", (22, 45), lambda a: [9.999 * M2_PER_MU]),
    ("S04", "split.pass_three_parts", (36, 90), lambda a: [a / 3, a / 3]),
    ("S05", "split.fail_max_parts", (48, 120), lambda a: [a / 4] * 3),
    ("S06", "split.pass_four_parts_industrial_real_estate", (48, 120), lambda a: [a / 4] * 3),
    ("S07", "split.fail_building_cut", (25, 70), lambda a: [a / 2]),
    ("S08", "split.pass_building_over_5cm", (25, 70), lambda a: [a / 2]),
    ("S09", "split.fail_not_completed", (25, 60), lambda a: [a / 2]),
    ("S10", "split.fail_second_split", (25, 60), lambda a: [a / 2]),
    ("S11", "split.fail_merged_parcel", (25, 60), lambda a: [a / 2]),
    ("S12", "split.fail_admin_alone", (25, 60), lambda a: [a / 2]),
    ("S13", "split.fail_buyer_rating", (25, 60), lambda a: [a / 2]),
    ("S14", "split.fail_parts_gap", (25, 60), lambda a: [a / 2]),
    ("S15", "split.fail_parts_overlap", (25, 60), lambda a: [a / 2]),
)


def plant_splits(county: County) -> None:
    """Pick a parcel for every split case and cut it into parts (exact areas by bisection)."""
    county.splits = {}
    for sid, key, (lo, hi), parts_of in SPLIT_CASES:
        def fits(i, p, lo=lo, hi=hi):
            if not (lo * M2_PER_MU < p.area < hi * M2_PER_MU) or p.geom.interiors:
                return False
            if lo >= 45 and not in_park(p):     # keep big parcels outside parks for TT-HOUSING
                return False
            _, _, length = long_axis(p.geom)
            return p.area / length > 55      # wide enough for a building across the cut

        for _attempt in range(40):
            i = county.pick("split", fits)
            p = county.parcels[i]
            parts, cuts = split_parts(p.geom, parts_of(p.area))
            ok = all(q is not None and not q.buffer(-8).is_empty for q in parts)
            ok = ok and all(c.geom_type == "LineString" for c in cuts)
            targets = parts_of(p.area)
            ok = ok and all(abs(q.area - t) < 1e-6 for q, t in zip(parts, targets))
            if ok:
                break
            p.role = "skipped"
        else:
            raise RuntimeError(f"could not plant split {sid}")
        if sid == "S14":
            parts[1] = largest_polygon(parts[1].difference(cuts[0].buffer(1.0, cap_style="flat")))
        if sid == "S15":
            parts[0] = largest_polygon(parts[0].union(parts[1].intersection(cuts[0].buffer(1.0, cap_style="flat"))))
        p.attrs["split"] = sid
        county.splits[sid] = dict(parcel=p, key=key, parts=parts, cuts=cuts)


def plant_merges(county: County, quads: list[int]) -> None:
    """Pairs of parcels for the merge proposals."""
    county.merges = {}

    def pair(role):
        def fits(i, p):
            return (8 * M2_PER_MU < p.area < 40 * M2_PER_MU
                    and any(county.free(j) and s > 30 and 8 * M2_PER_MU < county.parcels[j].area < 40 * M2_PER_MU
                            for j, s in county.neighbours(i)))
        i = county.pick(role, fits)
        j = next(j for j, s in sorted(county.neighbours(i), key=lambda t: -t[1])
                 if county.free(j) and s > 30 and 8 * M2_PER_MU < county.parcels[j].area < 40 * M2_PER_MU)
        county.parcels[j].role = role
        return [county.parcels[i], county.parcels[j]]

    county.merges["M01"] = ("merge.pass", pair("merge"))
    quads = [county.parcels[q] for q in quads]
    county.merges["M02"] = ("merge.fail_corner_touch", [quads[0], quads[2]])
    county.merges["M03"] = ("merge.fail_rights_type", pair("merge"))
    county.merges["M04"] = ("merge.pass_term_unified", pair("merge"))
    county.merges["M05"] = ("merge.fail_buyer_rating", pair("merge"))
    county.merges["M06"] = ("merge.pass", [quads[1], quads[2]])


def clean_overlaps(county: County) -> None:
    """Overlays may snap by a fraction of a millimetre; give any resulting overlap to the parcel
    whose exact area does not matter (planted exact-area parcels are kept as they are)."""
    for _ in range(3):
        if not _clean_pass(county):
            break


def _clean_pass(county: County) -> bool:
    geoms = [p.geom for p in county.parcels]
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    exact = ("renovation", "split")
    changed = False
    for i, j in zip(left, right):
        if i >= j:
            continue
        pi, pj = county.parcels[i], county.parcels[j]
        if pi.geom.intersection(pj.geom).area <= 1e-7:
            continue
        if pi.role in exact:
            victim, other = pj, pi
        elif pj.role in exact:
            victim, other = pi, pj
        else:
            victim, other = (pi, pj) if pi.area >= pj.area else (pj, pi)
        victim.geom = snap(largest_polygon(victim.geom.difference(other.geom)))
        changed = True
    return changed


def assign_ids(county: County) -> None:
    """宗地代码 for every parcel: admin code + township + 街坊 (block, numbered north to south) +
    ``GB`` + sequence number (west to east, with the small gaps real cadastres have)."""
    admin = county.profile.admin_code
    county.parcels = [p for p in county.parcels if p is not None]
    clean_overlaps(county)
    county.invalidate()
    by_town: dict[str, list[int]] = {}
    for bi, b in enumerate(county.layout.blocks):
        by_town.setdefault(b.township[0], []).append(bi)
    block_no = {}
    for town, bis in by_town.items():
        bis.sort(key=lambda bi: (-round(county.layout.blocks[bi].geom.centroid.y, -1),
                                 county.layout.blocks[bi].geom.centroid.x))
        for k, bi in enumerate(bis, start=1):
            block_no[bi] = k
    members: dict[int, list[ParcelRec]] = {}
    for p in county.parcels:
        members.setdefault(p.block, []).append(p)
    for bi, ps in members.items():
        ps.sort(key=lambda p: (round(p.geom.centroid.x, -1), -p.geom.centroid.y))
        seq = 0
        for p in ps:
            seq += int(county.rng.choice([1, 1, 1, 2, 3]))
            town = county.layout.blocks[bi].township[0]
            p.attrs["parcel_id"] = f"{admin}{town}{block_no[bi]:03d}GB{seq:05d}"
    ids = [p.attrs["parcel_id"] for p in county.parcels]
    assert len(set(ids)) == len(ids), "duplicate parcel ids"
    county.by_id = {p.attrs["parcel_id"]: p for p in county.parcels}


# --------------------------------------------------------------------------------------------
# Enterprises: codes, names, figures
# --------------------------------------------------------------------------------------------

TRADE_CHARS = "华泰立新宏盛德通达丰鑫荣恒誉凯博晨耀银天和合欣创佳美嘉瑞祥远宇星光源力精明安禾盈峰川海永兴旺隆昌汇"
INDUSTRY_WORDS = {
    "汽车零部件及配件制造": ("汽车部件", "汽配"), "橡胶和塑料制品业": ("塑业", "橡塑制品"),
    "医药制造业": ("药业", "生物医药"), "通用设备制造业": ("机械", "通用设备"), "纺织业": ("纺织", "织造"),
    "金属制品业": ("五金制品", "金属制品"), "电气机械和器材制造业": ("电器", "电机"),
    "化学原料和化学制品制造业": ("化工", "新材料"), "非金属矿物制品业": ("建材", "陶瓷"),
    "专用设备制造业": ("机电设备", "智能装备"), "工业滤布制造": ("滤材", "过滤科技"),
    "汽车用品制造": ("汽车用品", "车饰"), "木材加工和木、竹、藤、棕、草制品业": ("木业", "竹木制品"),
    "家具制造业": ("家具", "家居"), "计算机、通信和其他电子设备制造业": ("电子", "光电科技"),
    "地理信息产业": ("测绘科技", "地信科技"),
}
HTML_NAME = "{county}<script>alert(1)</script>精工 & \"星月\" '五金'有限公司"


def org_code(rng) -> str:
    """A GB 11714 组织机构代码 body (8 chars) with its check character."""
    if rng.random() < 0.7:
        body = "MA" + "".join(rng.choice(list("0123456789ABCDEFGHJKLMNPQRTUWXY"), 6))
    else:
        body = "".join(rng.choice(list("0123456789"), 8))
    vals = [int(c) if c.isdigit() else ord(c) - 55 for c in body]
    c9 = 11 - sum(v * w for v, w in zip(vals, (3, 7, 9, 10, 5, 8, 4, 2))) % 11
    return body + ("X" if c9 == 10 else "0" if c9 == 11 else str(c9))


def new_uscc(rng, admin_code: str, taken: set) -> str:
    """A valid 统一社会信用代码 of an enterprise (91 = 工商, 企业) registered in the county."""
    while True:
        code17 = "91" + admin_code + org_code(rng)
        code = code17 + check_char(code17)
        if code not in taken:
            taken.add(code)
            return code


def new_name(rng, profile: Profile, industry: str, taken: set) -> str:
    while True:
        trade = "".join(rng.choice(list(TRADE_CHARS), 2))
        word = INDUSTRY_WORDS.get(industry, ("实业", "科技"))[int(rng.integers(2))]
        suffix = "股份有限公司" if rng.random() < 0.15 else "有限公司"
        name = f"{rng.choice(list(profile.name_prefixes))}{trade}{word}{suffix}"
        if name not in taken:
            taken.add(name)
            return name


@dataclass
class Enterprise:
    uscc: str
    name: str
    industry: str
    scale: str = "规下"
    parcels: list = field(default_factory=list)    # ParcelRec
    tenant_m2: float = 0.0
    role: str = ""
    tpm: tuple | None = None        # planted 亩均税收 (2021, 2022)
    revenue: tuple | None = None    # planted 营业收入 (2021, 2022)
    quality: str = "ordinary"       # good / bad / ordinary: drives the other indicators
    draw_scale: str | None = None   # the scale the first version gave (it decides which draws are made)
    legacy: bool = False            # figures mapped as in the first version (owners of planted plans)
    fixed_tpm: tuple | None = None  # 亩均税收 set after the draws (a plan owner's class)
    rows: dict = field(default_factory=dict)

    @property
    def land_m2(self) -> float:
        return sum(p.area for p in self.parcels)


def exact_tax(tpm: float, area_m2: float) -> float:
    """Tax such that ``tax / (area_m2 / (10000/15))`` == ``tpm`` exactly in floating point, and that
    survives the xlsx round trip (openpyxl writes floats with 16 significant digits)."""
    land_mu = area_m2 / M2_PER_MU
    base = tpm * land_mu
    step = np.spacing(base)
    best, best_err = None, math.inf
    for k in range(400):
        for sign in (1, -1):
            t = float("%.16g" % (base + sign * k * step))
            err = abs(t / land_mu - tpm)
            if err == 0:
                return t
            if err < best_err:
                best, best_err = t, err
    return best        # off by an ulp or two: analyses must compare with a tolerance anyway


def has_exact_tax(tpms, area_m2: float) -> bool:
    """Whether every 亩均税收 in ``tpms`` can be hit exactly on a parcel of ``area_m2``."""
    land_mu = area_m2 / M2_PER_MU
    return all(exact_tax(t, area_m2) / land_mu == t for t in tpms)


def enterprise_rows(rng, e: Enterprise, sales: tuple[float, float] = (330.0, 300.0)) -> dict:
    """The 2021 and 2022 figures of one enterprise (万元, 人, 吨标准煤, 吨).

    Every call draws the same random numbers in the same order as the first version of this
    generator (so every later pick — data faults, contract date forms, 界址点 files — stays put);
    only the mapping of the draws to figures changed. Planted enterprises (``e.role``) keep the
    first mapping. The others follow the realistic one, calibrated on 天台's 2022 亩均评价 and its
    targets: 规上 亩均税收 about 25 万元/亩 county-wide, 亩均增加值 about 140, 全员劳动生产率 about 24
    万元/人; 规下 enterprises mostly pay 6–20 万元/亩, so that low-efficiency enterprises (≤ 5 万元/亩)
    are a minority, concentrated among 规下 enterprises holding much land for their turnover (a
    规下 enterprise's 营业收入 stays under 2000 万元). Sales per 亩 rise mildly with the land held
    (larger plants are the more productive ones), so the lowest-rated (class D) enterprises are
    mostly small ones.
    """
    land_mu = max(e.land_m2 / M2_PER_MU, 0.0)
    if e.tenant_m2 and not land_mu:
        land_mu = e.tenant_m2 / 0.8 / M2_PER_MU       # nominal: floor area at FAR 0.8
    legacy = (bool(e.role) and e.role not in ("tenant", "landless")) or e.legacy
    rows = {}
    z = rng.normal(0.0, 1.0)              # sales per 亩
    u_rate = rng.uniform(0.0, 1.0)        # tax / revenue
    if e.scale == "规上":
        if legacy:
            rev_per_mu = math.exp(math.log(380) + 0.7 * z)
            rate = 0.02 + (0.07 - 0.02) * u_rate
        else:
            rev_per_mu = math.exp(math.log(sales[0]) + 0.5 * z + 0.4 * math.log(max(land_mu, 3) / 20))
            rate = 0.03 + 0.035 * u_rate
        rev0 = float(np.clip(rev_per_mu * max(land_mu, 3), 2000, 200000)) if e.revenue is None else None
    else:
        if legacy:
            rev_per_mu = math.exp(math.log(110) + 0.6 * z)
            rate = 0.015 + (0.05 - 0.015) * u_rate
        else:
            rev_per_mu = math.exp(math.log(sales[1]) + 0.45 * z + 0.7 * math.log(max(land_mu, 2) / 6))
            rate = 0.028 + 0.03 * u_rate
        rev0 = float(np.clip(rev_per_mu * max(land_mu, 2), 60, 1950)) if e.revenue is None else None
    growth = rng.normal(1.05, 0.09)
    u_va = rng.uniform(0.0, 1.0)
    va_ratio = {"good": 0.32, "bad": 0.09}.get(e.quality, (0.16 + (0.3 - 0.16) * u_va) if legacy else (0.19 + 0.13 * u_va))
    z_energy = rng.normal(0.0, 1.0)
    energy_per_va = {"good": 0.04, "bad": 0.9}.get(e.quality, math.exp(math.log(0.18) + 0.6 * z_energy))
    u_prod = rng.uniform(0.0, 1.0)
    productivity = {"good": 45.0, "bad": 8.0}.get(e.quality, (12 + (40 - 12) * u_prod) if legacy else (14 + 26 * u_prod))
    u_rd = rng.uniform(0.0, 1.0)
    rd_ratio = {"good": 0.045, "bad": 0.002}.get(e.quality, (0.04 if e.scale == "规上" else 0.015) * u_rd)
    for k, year in enumerate((2021, 2022)):
        if e.revenue is not None:
            revenue = float(e.revenue[k])
        else:
            revenue = round(rev0 * (growth if k else 1.0) * rng.normal(1, 0.02), 2)
            floor = 2000.0 + rng.uniform(10, 300) if (e.draw_scale or e.scale) == "规上" else None
            if e.scale == "规上":
                revenue = max(revenue, floor if floor is not None else 2000.0 + 10 + 290 * u_rd)
            else:
                revenue = min(revenue, 1990.0)
        if e.tpm is not None:
            tax = exact_tax(e.tpm[k], e.land_m2)
        else:
            tax = round(revenue * rate * rng.normal(1, 0.05), 2)
            if e.fixed_tpm is not None:
                tax = round(e.fixed_tpm[k] * land_mu, 2)
        va = round(revenue * va_ratio * rng.normal(1, 0.03), 2)
        employees = max(3, int(round(va / productivity)))
        energy = round(va * energy_per_va * rng.normal(1, 0.05), 2)
        emissions = round(energy * rng.uniform(0.002, 0.012), 3)
        rd = round(revenue * rd_ratio, 2)
        rows[year] = dict(revenue=revenue, tax=tax, value_added=va, employees=employees,
                          energy_tce=energy, emissions_t=emissions, rd_expense=rd)
    return rows


# --------------------------------------------------------------------------------------------
# Parcel attributes and planted roles
# --------------------------------------------------------------------------------------------

D = dt.date
ZONE_NAMES = {"M1": "一类工业用地", "M2": "二类工业用地", "M3": "三类工业用地", "R": "居住用地",
              "B": "商业服务业设施用地", "G": "绿地与广场用地", "S": "道路与交通设施用地"}

# Idle-land cases: id -> (manifest key, status, agreed_start, actual_start, developed share,
# invested share, suspended_since, gov_cause, land cover 2021/2023)
IDLE_CASES = {
    "I01": ("idle.nat_idle_1_tier1", "未动工", D(2022, 3, 15), None, 0, 0, None, None, (2, 2)),
    "I02": ("idle.nat_idle_1_tier2", "未动工", D(2020, 9, 10), None, 0, 0, None, None, (2, 2)),
    "I03": ("idle.nat_idle_2_developed_area", "在建", D(2020, 8, 1), D(2020, 11, 2), 0.2, 0.45,
            D(2021, 11, 20), None, (2, 2)),
    "I04": ("idle.nat_idle_2_investment", "在建", D(2020, 10, 1), D(2020, 12, 15), 0.5, 0.18,
            D(2022, 2, 15), None, (2, 2)),
    "I05": ("idle.not_idle_suspended_under_1y", "在建", D(2021, 9, 1), D(2021, 10, 8), 0.2, 0.15,
            D(2022, 12, 20), None, (2, 2)),
    "I06": ("idle.not_idle_under_1y", "未动工", D(2022, 11, 1), None, 0, 0, None, None, (3, 2)),
    "I07": ("idle.gov_cause", "未动工", D(2020, 6, 1), None, 0, 0, None, "规划调整", (2, 2)),
    "I08": ("imagery.contract_started_but_bare", "在建", D(2021, 3, 1), D(2021, 6, 1), 0.4, 0.5,
            None, None, (2, 2)),
}

# Planted enterprises: role -> (manifest key, scale, 亩均税收 2021/2022, revenue 2021/2022, quality)
EFFICIENCY_CASES = {
    "E01": ("efficiency.billion_low_both_years", "规上", (8.0, 9.0), (15000.0, 16500.0), "ordinary"),
    "E02": ("efficiency.billion_low_one_year", "规上", (14.0, 9.5), (14000.0, 15500.0), "ordinary"),
    "E03": ("efficiency.billion_exactly_10", "规上", (10.0, 10.0), (12000.0, 12600.0), "ordinary"),
    "E04": ("efficiency.revenue_exactly_1yi_low", "规上", (7.0, 7.5), (10000.0, 10000.0), "ordinary"),
    "E05": ("efficiency.revenue_just_under_1yi_low", "规上", (7.0, 7.5), (9999.99, 9999.99), "ordinary"),
    "E06": ("efficiency.low_le5", "规下", (3.5, 3.0), (800.0, 850.0), "ordinary"),
    "E07": ("efficiency.low_exactly_5", "规上", (6.0, 5.0), (3000.0, 3200.0), "ordinary"),
    "E08": ("efficiency.low_just_over_5", "规上", (6.0, 5.01), (3100.0, 3300.0), "ordinary"),
}

# Key projects (TT-RATE): id -> (manifest key, total investment, key project, under construction)
PROJECT_CASES = {
    "K01": ("rating.key_project_a_override", 12000.0, True, True),
    "K02": ("rating.key_project_exactly_1yi_a_override", 10000.0, True, True),
    "K03": ("rating.key_project_not_d", 4500.0, True, True),
    "K04": ("rating.key_project_exactly_3000_not_d", 3000.0, True, True),
    "K05": ("rating.key_project_below_3000_no_override", 2999.0, True, True),
    "K06": ("rating.key_project_completed_no_override", 15000.0, True, False),
    "K07": ("rating.non_key_project_no_override", 20000.0, False, True),
}


def draw_year(rng) -> int:
    return int(rng.choice(np.arange(1998, 2023), p=_YEAR_P))


_YEAR_W = np.array([1, 1, 2, 2, 3, 4, 5, 6, 6, 6, 5, 5, 5, 5, 5, 5, 4, 4, 4, 4, 4, 4, 4, 3, 3], float)
_YEAR_P = _YEAR_W / _YEAR_W.sum()


def rand_date(rng, year: int, lo_month=1, hi_month=12) -> dt.date:
    return D(year, int(rng.integers(lo_month, hi_month + 1)), int(rng.integers(1, 29)))


def add_years(d: dt.date, n: int) -> dt.date:
    try:
        return d.replace(year=d.year + n)
    except ValueError:
        return d.replace(year=d.year + n, day=28)


def set_zoning(county: County) -> None:
    """控规 codes per block (mostly M1/M2); three small blocks rezoned to R / B / G (TT-KEEP)."""
    rng = county.rng
    for b in county.layout.blocks:
        if b.area_key in ("kfq", "gxq", "jkq"):
            b.zone = "M2" if rng.random() < 0.7 else "M1"
        elif b.park_id:
            b.zone = "M1" if rng.random() < 0.6 else "M2"
        else:
            b.zone = str(rng.choice(["M1", "M2", "M3"], p=[0.5, 0.4, 0.1]))
    members: dict[int, list] = {}
    for p in county.parcels:
        members.setdefault(p.block, []).append(p)
    cands = [bi for bi, ps in members.items()
             if 3 <= len(ps) <= 10 and all(not q.role for q in ps)]
    chosen = [cands[i] for i in rng.choice(len(cands), 3, replace=False)]
    county.rezoned = {}
    for bi, code in zip(sorted(chosen), ("R", "B", "G")):
        county.layout.blocks[bi].zone = code
        for q in members[bi]:
            q.attrs["zone"] = code
        county.rezoned[bi] = members[bi]
    for p in county.parcels:
        p.attrs.setdefault("zone", county.layout.blocks[p.block].zone)


def base_parcel_attributes(county: County) -> None:
    """Rights, terms, status and planning attributes of ordinary parcels."""
    rng = county.rng
    specs = {a.key: a for a in county.profile.areas}
    for p in county.parcels:
        a = p.attrs
        a["township"] = p.township[1]
        a["park_id"] = p.park_id
        a["land_use_code"] = "1001"
        a["rights_nature"] = "国有"
        year = draw_year(rng)
        a["rights_type"] = "出让" if rng.random() < 0.94 else ("划拨" if rng.random() < 0.7 else "租赁")
        a["term_start"] = rand_date(rng, year)
        if year >= 2021 and rng.random() < 0.55:
            # recent land: under construction, or not yet due to start
            if rng.random() < 0.55:
                a["status"] = "在建"
            else:
                a["status"] = "未动工"
                a["term_start"] = rand_date(rng, 2022, 6, 12)
        else:
            a["status"] = "已竣工投产" if rng.random() < 0.96 else "停产"
        spec = specs[p.area_key]
        park_rules = bool(p.park_id) and spec.standard_land_rules
        a["standard_land"] = a["term_start"].year >= 2018 and a["rights_type"] == "出让"
        a["plan_conditions"] = True if p.park_id else bool(rng.random() < 0.55)
        if a["standard_land"]:
            a["contract_far"] = float(rng.choice([1.2, 1.5, 1.6, 1.8, 2.0]))
        elif a["plan_conditions"] and rng.random() < 0.6:
            a["contract_far"] = float(rng.choice([0.8, 1.0, 1.2, 1.5]))
        else:
            a["contract_far"] = None
        a["park_rules"] = park_rules
        a["split_from"] = None
        a["merged_from"] = None
        a["industrial_real_estate"] = False
        a["intensity"] = str(rng.choice(["low", "mid", "high"], p=[0.3, 0.45, 0.25]))
        set_term_end(a)


def set_term_end(a: dict) -> None:
    if a["rights_type"] == "出让":
        a["term_end"] = add_years(a["term_start"], 50) - dt.timedelta(days=1)
    elif a["rights_type"] == "租赁":
        a["term_end"] = add_years(a["term_start"], 20) - dt.timedelta(days=1)
    else:
        a["term_end"] = None


def completed_parcel(a: dict, year: int | None = None, month: int = 4) -> None:
    """Make a parcel an ordinary completed one, supplied in ``year``."""
    a["status"] = "已竣工投产"
    a["rights_type"] = "出让"
    if year is not None:
        a["term_start"] = D(year, month, 10)
    set_term_end(a)


def fake_id(county: County, p: ParcelRec, n: int) -> str:
    """A 宗地代码 in the same 街坊 that no current parcel has (a parcel before a split/merge)."""
    base = p.attrs["parcel_id"][:14]
    cand = f"{base}{90000 + n:05d}"
    assert cand not in county.by_id
    return cand


def plant_roles(county: County) -> None:
    """Attributes of the geometric planted cases, and the parcels picked for the rest."""
    rng = county.rng
    for p in county.parcels:
        if p.role == "skipped":
            p.role = ""
    yr = lambda: int(rng.integers(2006, 2016))
    for sid, sp in county.splits.items():
        a = sp["parcel"].attrs
        completed_parcel(a, yr())
        a["intensity"] = "mid"
        if sid == "S09":
            a["status"] = "在建"
            completed_parcel(a, 2021)
            a["status"] = "在建"
        if sid == "S10":
            a["split_from"] = fake_id(county, sp["parcel"], 1)
        if sid == "S11":
            a["merged_from"] = f"{fake_id(county, sp['parcel'], 2)};{fake_id(county, sp['parcel'], 3)}"
        if sid == "S06":
            a["industrial_real_estate"] = True
    for rid, (p, gap, key) in county.renov_plots.items():
        completed_parcel(p.attrs, yr())
        p.attrs["intensity"] = "mid"
    for mid, (key, pair) in county.merges.items():
        y = 2010 if mid in ("M02", "M06") else yr()      # the four quadrants share one term
        for k, p in enumerate(pair):
            completed_parcel(p.attrs, y)
        if mid == "M03":
            pair[1].attrs["rights_type"] = "划拨"
            set_term_end(pair[1].attrs)
        if mid == "M04":
            completed_parcel(pair[1].attrs, y + 3, 9)
    for p in county.parcels:
        if p.role in ("hole_outer", "hole_inner"):
            completed_parcel(p.attrs, yr())
    # idle land
    county.idle = {}
    for iid, (key, status, agreed, actual, dev, inv, susp, cause, lc) in IDLE_CASES.items():
        p = county.parcels[county.pick("idle", lambda i, p: 8 * M2_PER_MU < p.area < 40 * M2_PER_MU)]
        a = p.attrs
        a.update(status=status, rights_type="出让", term_start=agreed - dt.timedelta(days=120))
        a["standard_land"] = a["term_start"].year >= 2018
        set_term_end(a)
        county.idle[iid] = dict(parcel=p, key=key, agreed_start=agreed, actual_start=actual,
                                developed=dev, invested=inv, suspended=susp, gov_cause=cause)
        a["lc"] = lc
    i = county.pick("idle", lambda i, p: 5 * M2_PER_MU < p.area < 30 * M2_PER_MU)
    county.no_contract_bare = county.parcels[i]
    vacant_parcel(county.parcels[i].attrs, (2, 2))
    county.vacant = [county.parcels[i]]
    for _ in range(11):
        i = county.pick("vacant", lambda i, p: p.area < 40 * M2_PER_MU)
        vacant_parcel(county.parcels[i].attrs, (3, 3))
        county.vacant.append(county.parcels[i])


def vacant_parcel(a: dict, lc) -> None:
    """Unsupplied land: no owner, no contract, not started."""
    a.update(status="未动工", rights_type=None, term_start=None, term_end=None, contract_far=None,
             standard_land=False, lc=lc, vacant=True)


def make_enterprises(county: County) -> None:
    """Owners for every supplied parcel, tenants, enterprises without land, and the planted ones."""
    rng, prof = county.rng, county.profile
    codes, names = set(), set()
    ents: list[Enterprise] = []
    county.enterprises = ents
    county.planted_ents = {}

    def new(industry=None, **kw) -> Enterprise:
        ind = industry or str(rng.choice(list(prof.industries)))
        e = Enterprise(new_uscc(rng, prof.admin_code, codes), new_name(rng, prof, ind, names), ind, **kw)
        ents.append(e)
        return e

    def own(e: Enterprise, p: ParcelRec):
        e.parcels.append(p)
        p.attrs["owner"] = e

    def completed_single(role, lo, hi, cond=lambda p: True, tpm=()):
        i = county.pick(role, lambda i, p: lo * M2_PER_MU < p.area < hi * M2_PER_MU and cond(p)
                        and has_exact_tax(tpm, p.area))
        p = county.parcels[i]
        completed_parcel(p.attrs, int(rng.integers(2005, 2017)))
        return p

    for eid, (key, scale, tpm, rev, quality) in EFFICIENCY_CASES.items():
        p = completed_single("efficiency", 10, 45, (lambda p: not in_park(p)) if eid in ("E06", "E08") else in_park,
                             tpm=tpm)
        e = new(scale=scale, tpm=tpm, revenue=rev, quality=quality, role=eid)
        own(e, p)
        county.planted_ents[eid] = (key, e)
    for kid, (key, total, is_key, building) in PROJECT_CASES.items():
        p = completed_single("rating", 8, 40)
        e = new(scale="规上", tpm=(1.5, 1.2), revenue=(3500.0, 3800.0), quality="bad", role=kid)
        own(e, p)
        county.planted_ents[kid] = (key, e)
    for gid, tpm, rev in (("G1", (62.0, 68.0), (42000.0, 46000.0)), ("G2", (72.0, 75.0), (38000.0, 41000.0)),
                          ("G3", (55.0, 62.0), (30000.0, 33000.0))):
        p = completed_single("buyer", 10, 40)
        e = new(scale="规上", tpm=tpm, revenue=rev, quality="good", role=gid)
        own(e, p)
        county.planted_ents[gid] = ("rating.good_buyers", e)
    p = completed_single("buyer", 6, 30)
    bad = new(scale="规上", tpm=(0.6, 0.5), revenue=(2300.0, 2400.0), quality="bad", role="BAD")
    own(bad, p)
    county.planted_ents["BAD"] = ("rating.bad_buyer", bad)
    # TT-KEEP: an A-class and a D-class owner in each rezoned block
    county.keep = {"A": [], "D": []}
    for bi, ps in county.rezoned.items():
        pa, pd_ = ps[0], ps[1]
        for p, cls in ((pa, "A"), (pd_, "D")):
            p.role = p.role or "keep"
            completed_parcel(p.attrs, int(rng.integers(2005, 2015)))
            if cls == "A":
                e = new(scale="规上", tpm=(70.0, 72.0), revenue=(30000.0, 32000.0), quality="good", role="KEEP_A")
            else:
                e = new(scale="规上", tpm=(0.8, 0.7), revenue=(2600.0, 2700.0), quality="bad", role="KEEP_D")
            own(e, p)
            county.keep[cls].append(p)
    # TT-HOUSING: parcels ≥ 50 亩 outside parks
    county.housing = {"ab": [], "cd": []}
    for cls in ("ab", "ab", "cd"):
        p = completed_single("housing", 50, 400, lambda p: not in_park(p))
        if cls == "ab":
            e = new(scale="规上", tpm=(58.0, 61.0), revenue=(60000.0, 65000.0), quality="good", role="HOUSING_A")
        else:
            e = new(scale="规上", tpm=(2.0, 1.8), revenue=(5000.0, 5200.0), quality="bad", role="HOUSING_D")
        own(e, p)
        county.housing[cls].append(p)
    # the enterprise whose name carries markup
    p = completed_single("html", 4, 30)
    e = new(role="HTML")
    e.name = HTML_NAME.format(county=prof.county)
    own(e, p)
    county.html_ent = e
    # ordinary owners: most hold one parcel, some two, a few four (neighbours in the block)
    order = [int(i) for i in rng.permutation(len(county.parcels))]
    for i in order:
        p = county.parcels[i]
        if "owner" in p.attrs or p.attrs.get("vacant"):
            continue
        e = new()
        own(e, p)
        extra = 1 if rng.random() < 0.36 else (3 if rng.random() < 0.09 else 0)
        if extra and not p.role:
            for j, _ in county.neighbours(i):
                q = county.parcels[j]
                if extra and "owner" not in q.attrs and not q.role and not q.attrs.get("vacant"):
                    own(e, q)
                    extra -= 1
    # 规上: the larger landholders
    ordinary = [e for e in ents if not e.role]
    n_big = prof.guishang - sum(1 for e in ents if e.role and e.scale == "规上")
    # (the draw is the first version's; a narrower spread makes 规上 the larger landholders, as
    # revenue follows land: few 规下 enterprises hold much land)
    noise = rng.normal(0, 1.0, len(ordinary))
    land = np.array([e.land_m2 for e in ordinary])
    for e in ordinary:
        e.draw_scale = "规下"
    for k in np.argsort(-land * np.exp(0.6 * noise))[:n_big]:
        ordinary[int(k)].draw_scale = "规上"          # the first version's pick: it decides the draws
    for k in np.argsort(-land * np.exp(0.1 * noise))[:n_big]:
        ordinary[int(k)].scale = "规上"
    # tenants (一地多企) on completed, ordinary parcels
    hosts = [p for p in county.parcels if p.attrs.get("status") == "已竣工投产" and not p.role
             and p.area > 8 * M2_PER_MU and not p.attrs["owner"].role]
    county.tenancy = []
    for k in rng.choice(len(hosts), prof.tenant_hosts, replace=False):
        host = hosts[int(k)]
        for _ in range(int(rng.choice([1, 1, 2, 3]))):
            t = new(scale="规上" if rng.random() < 0.12 else "规下", role="tenant")
            county.tenancy.append([host, t, 0.0])
    # enterprises without any land
    county.landless = [new(scale="规上" if rng.random() < 0.2 else "规下", role="landless") for _ in range(prof.landless)]
    for p in county.parcels:
        p.attrs.setdefault("owner", None)


# --------------------------------------------------------------------------------------------
# Buildings
# --------------------------------------------------------------------------------------------

def footprints(rng, poly, setback: float, fill: float) -> list:
    """Rectangular footprints laid out in rows inside ``poly`` (clipped where the shape bites)."""
    inner = poly.buffer(-setback, join_style="mitre")
    if inner.is_empty or inner.area < 150:
        return []
    inner = largest_polygon(inner)
    origin, u, length = long_axis(inner)
    n = np.array([-u[1], u[0]])
    ex = np.asarray(shapely.oriented_envelope(inner).exterior.coords)[:4]
    proj = (ex - origin) @ n
    nlo, nhi = proj.min(), proj.max()
    width = nhi - nlo
    k = max(1, int(round(length / rng.uniform(32, 62))))
    m = 1 if width < 55 else (2 if width < 130 else 3)
    cu, cn = length / k, width / m
    f = math.sqrt(fill)
    out = []
    for a in range(k):
        for b in range(m):
            cen = origin + u * (a + 0.5) * cu + n * (nlo + (b + 0.5) * cn)
            hu, hn = cu * f / 2, cn * f / 2
            rect = Polygon([cen - u * hu - n * hn, cen + u * hu - n * hn, cen + u * hu + n * hn,
                            cen - u * hu + n * hn])
            clipped = largest_polygon(rect.intersection(inner))
            if clipped is not None and clipped.area >= max(80.0, 0.55 * rect.area):
                out.append(snap(shapely.simplify(clipped, 0.01)))
    return out


def building_attrs(rng, use: str, intensity: str, tall: bool = False) -> dict:
    """floors, height_m and storey_height_m for a building of ``use``."""
    if use in ("构筑物", "堆场"):
        return dict(floors=0, height_m=round(rng.uniform(10, 22), 1) if use == "构筑物" else 0.0,
                    storey_height_m=0.0)
    if use == "生产":
        if tall:
            floors = int(rng.integers(6, 8))
        elif intensity == "low" or rng.random() < 0.25:
            floors = 1
        else:
            floors = int(rng.choice([2, 3, 4, 5, 6] if intensity == "high" else [1, 2, 2, 3, 4]))
        if floors == 1:
            sh = round(rng.uniform(6.5, 12.0), 1)       # > 8 m single-storey plants count twice
            return dict(floors=1, height_m=sh, storey_height_m=sh)
        sh = round(rng.uniform(5.0, 7.0), 1)
        return dict(floors=floors, height_m=round(sh + (floors - 1) * 4.5, 1), storey_height_m=sh)
    if use == "仓储":
        if rng.random() < 0.5:
            sh = round(rng.uniform(7.0, 11.0), 1)
            return dict(floors=1, height_m=sh, storey_height_m=sh)
        floors = int(rng.integers(2, 4))
        return dict(floors=floors, height_m=round(floors * 5.0, 1), storey_height_m=5.0)
    floors = int(rng.integers(7, 9)) if tall else int(rng.integers(3, 7))
    sh = 3.6 if use == "行政办公" else 3.3
    return dict(floors=floors, height_m=round(floors * sh + 0.9, 1), storey_height_m=sh)


def floor_area(b: dict) -> float:
    """Floor area as NAT-FAR counts it: a storey taller than 8 m counts twice."""
    f = b["geom"].area * b["floors"]
    if b["floors"] == 1 and b["storey_height_m"] > 8:
        f *= 2
    return f


def buildings_for(rng, p: ParcelRec, poly=None, uses=None, tall=False, admin_heavy=False) -> list:
    """Buildings of one parcel (or of ``poly``, a part of it)."""
    a = p.attrs
    poly = p.geom if poly is None else poly
    fill = {"low": rng.uniform(0.45, 0.6), "mid": rng.uniform(0.55, 0.75), "high": rng.uniform(0.65, 0.85)}[a["intensity"]]
    rects = footprints(rng, poly, float(rng.uniform(5, 9)), fill)
    rects.sort(key=lambda g: -g.area)
    out = []
    for k, g in enumerate(rects):
        if uses is not None:
            use = uses[k % len(uses)]
        elif k == 0:
            use = "生产"
        elif k == len(rects) - 1 and len(rects) >= 2 and p.area > 4 * M2_PER_MU:
            use = "行政办公" if rng.random() < 0.7 else "生活服务"
        else:
            r = rng.random()
            use = "生产" if r < 0.55 else "仓储" if r < 0.85 else "生活服务" if r < 0.92 else "构筑物" if r < 0.96 else "堆场"
        b = dict(geom=g, use=use, parcel=p, **building_attrs(rng, use, a["intensity"], tall and k == 0))
        if admin_heavy and use == "行政办公":
            b.update(floors=8, height_m=round(8 * 3.6 + 0.9, 1), storey_height_m=3.6)
        out.append(b)
    return out


ADMIN_USES = ("行政办公", "生活服务")
# planted parcels whose buildings stay as first laid out (their floor areas are part of a case)
PLAIN_ADMIN_ROLES = ("housing", "keep", "renovation", "renovation_plots", "idle", "split")


def modest_admin(rng, p: ParcelRec, bs: list) -> None:
    """Shrink the 行政办公/生活服务 buildings of an ordinary parcel to a realistic share.

    The layout gives the office the last (smallest) footprint of the row and 3–6 storeys, which
    alone would put most plants far over NAT-ADMIN's 7 % of floor area. Plants are built to the
    rule: most keep the office and dormitories at 2.5–6.8 % of the floor area, about one in
    twenty at 7.5–13 %. The office footprint shrinks about its centre (inside the original one);
    a small office keeps at least two storeys. The other buildings grow about their centres by
    what the office gave up — and small plants up to a 建筑系数 of about 33–45 % — staying 2 m
    inside the parcel and 3 m from each other. ``rng`` is a stream of its own: the main stream,
    and so every later pick, is untouched."""
    u_over, u_share, u_cover = rng.random(), rng.random(), rng.random()
    admin = [b for b in bs if b["use"] in ADMIN_USES]
    others = [b for b in bs if b["use"] not in ADMIN_USES]
    if not others:
        return
    share = 0.075 + 0.055 * u_share if u_over < 0.05 else 0.025 + 0.043 * u_share
    have = sum(floor_area(b) for b in admin)
    other = sum(floor_area(b) for b in others)
    f = min(1.0, share * other / (1 - share) / have) if have > 0 else 1.0
    admin_fp = sum(b["geom"].area for b in admin)
    # grow the others first: back what the office gives up, or to the plant's 建筑系数 (one
    # plant in twenty is left as laid out)
    other_fp = sum(b["geom"].area for b in others)
    cover = 0.0 if u_cover < 0.05 else 0.33 + 0.12 * (u_cover - 0.05) / 0.95
    gain = max(admin_fp * (1 - f), cover * p.area - other_fp - admin_fp * f)
    if gain <= 0 or other_fp <= 0:
        return
    g = min(1.45, math.sqrt(1 + gain / other_fp))
    inner = p.geom.buffer(-2.0, join_style="mitre")
    for b in others:
        rest = [c["geom"] for c in bs if c is not b]
        room = inner.difference(shapely.union_all(rest).buffer(3.0, join_style="mitre")) if rest else inner
        grown = largest_polygon(shapely.affinity.scale(b["geom"], g, g, origin=b["geom"].centroid).intersection(room))
        if grown is not None and grown.area > b["geom"].area:
            b["geom"] = snap(shapely.simplify(grown, 0.01))
    other = sum(floor_area(b) for b in others)
    f = min(1.0, share * other / (1 - share) / have) if have > 0 else 1.0
    for b in admin if f < 1.0 else ():
        area = b["geom"].area * f
        if area < 150 and b["floors"] > 2:
            area *= b["floors"] / 2
            sh = b["storey_height_m"]
            b.update(floors=2, height_m=round(2 * sh + 0.9, 1))
        k = math.sqrt(min(1.0, area / b["geom"].area))
        g_ = shapely.affinity.scale(b["geom"], k, k, origin=b["geom"].centroid)
        b["geom"] = snap(largest_polygon(g_.intersection(b["geom"])))


def set_completion(rng, bs: list, a: dict) -> None:
    """completed / completed_year from the parcel's status and dates."""
    start = a.get("term_start") or D(2015, 1, 1)
    for b in bs:
        if a["status"] in ("已竣工投产", "停产"):
            b["completed"] = True
            b["completed_year"] = int(min(2022, start.year + int(rng.integers(1, 4))))
        else:
            b["completed"] = False
            b["completed_year"] = None


def straddling_building(p: ParcelRec, cut, over: float):
    """A 30 m × (25 m + over) plant across the split line: ``over`` metres in the second part."""
    c = np.asarray(cut.interpolate(0.5, normalized=True).coords[0])
    origin, u, _ = long_axis(p.geom)
    n = np.array([-u[1], u[0]])
    ring = [c - u * 25 - n * 15, c + u * over - n * 15, c + u * over + n * 15, c - u * 25 + n * 15]
    return Polygon(ring)


def make_buildings(county: County) -> None:
    """Buildings of every parcel, with the planted split, height and admin-share cases."""
    rng = county.rng
    bs_all = []
    split_parcels = {id(sp["parcel"]): sid for sid, sp in county.splits.items()}
    county.tall, county.admin_heavy = [], []
    county.admin_set = set()
    outside_noplan = [p for p in county.parcels if not p.park_id and not p.attrs["plan_conditions"]
                      and p.attrs["status"] == "已竣工投产" and not p.role and p.area > 4 * M2_PER_MU]
    tall_set = {id(outside_noplan[int(k)]) for k in rng.choice(len(outside_noplan), 6, replace=False)}
    admin_set = {id(p) for p in county.parcels[::97] if not p.role and p.attrs["status"] == "已竣工投产"}
    county.admin_set = admin_set
    for p in county.parcels:
        a = p.attrs
        if a["status"] == "未动工" or a.get("vacant"):
            continue
        if id(p) in split_parcels:
            bs = split_buildings(county, p, split_parcels[id(p)])
        elif p.role == "idle":
            case = next(c for c in county.idle.values() if c["parcel"] is p)
            bs = []
            if case["developed"] and "imagery" not in case["key"]:
                part, _, _ = cut_at_area(p.geom, p.area * case["developed"])
                bs = buildings_for(rng, p, part, uses=["生产"])[:2]
                if not bs:      # a narrow developed strip: one frame with a small setback
                    bs = [dict(geom=g, use="生产", parcel=p, **building_attrs(rng, "生产", "mid"))
                          for g in footprints(rng, part, 3.0, 0.5)[:1]]
        else:
            bs = buildings_for(rng, p, tall=id(p) in tall_set, admin_heavy=id(p) in admin_set)
            if id(p) in tall_set and bs:
                county.tall.append(bs[0])
            if id(p) in admin_set and any(b["use"] == "行政办公" for b in bs):
                county.admin_heavy.append(p)
        set_completion(rng, bs, a)
        bs_all.extend(bs)
    # a few buildings whose parcel_id the surveyor left empty (joined by location)
    for k, b in enumerate(bs_all):
        b["building_id"] = f"JZ{k + 1:06d}"
        b["parcel_id"] = b["parcel"].attrs["parcel_id"] if k % 53 else None
    county.buildings = bs_all


def realistic_buildings(county: County) -> None:
    """``modest_admin`` on every plant but the planted ones, the admin-share cases and the sites of
    零增地技改 plans (run after the plans, whose floor areas are taken from the buildings as first
    laid out, so the TT-VERT and TT-CORNER cases keep their numbers)."""
    by = {}
    for b in county.buildings:
        by.setdefault(id(b["parcel"]), []).append(b)
    skip = set(county.admin_set) | {id(r["parcel"]) for r in county.renovations}
    for p in county.parcels:
        bs = by.get(id(p))
        if bs and p.role not in PLAIN_ADMIN_ROLES and id(p) not in skip and p.role != "idle":
            modest_admin(county.rng_admin, p, bs)


def split_buildings(county: County, p: ParcelRec, sid: str) -> list:
    """Buildings of a parcel with a split proposal: none crosses a cut, except in S07/S08."""
    rng = county.rng
    sp = county.splits[sid]
    clear = shapely.union_all([c.buffer(45 if sid in ("S07", "S08") else 4) for c in sp["cuts"]])
    bs = []
    for k, part in enumerate(sp["parts"]):
        area = largest_polygon(part.difference(clear))
        if area is None:
            continue
        uses = ["行政办公", "生活服务"] if (sid == "S12" and k == 1) else None
        part_bs = buildings_for(rng, p, area, uses=uses)
        if sid == "S12" and k == 0:
            part_bs = [b for b in part_bs if b["use"] not in ("行政办公", "生活服务")] or part_bs[:1]
            for b in part_bs:
                b["use"] = "生产" if b["use"] in ("行政办公", "生活服务") else b["use"]
        bs.extend(part_bs)
    if sid in ("S07", "S08"):
        over = 5.0 if sid == "S07" else 0.05
        g = straddling_building(p, sp["cuts"][0], over)
        # keep it on the side of part 0 by construction: orient by the cut's normal
        if g.intersection(sp["parts"][0]).area < g.intersection(sp["parts"][1]).area:
            g = shapely.affinity.rotate(g, 180, origin=sp["cuts"][0].interpolate(0.5, normalized=True))
        b = dict(geom=g, use="生产", parcel=p, **building_attrs(rng, "生产", "mid"))
        bs.append(b)
        sp["straddler"] = b
    return bs


# --------------------------------------------------------------------------------------------
# Contracts, tenancy, projects, renovations, proposals, land supply
# --------------------------------------------------------------------------------------------

def land_price_per_mu(rng, year: int) -> float:
    return (6.0 + 1.4 * max(0, year - 1998)) * rng.uniform(0.9, 1.1)


def make_contracts(county: County) -> None:
    """出让合同/划拨决定书 for supplied parcels, consistent with status, buildings and the idle cases."""
    rng = county.rng
    idle_by_parcel = {id(c["parcel"]): (iid, c) for iid, c in county.idle.items()}
    fa = {}
    for b in county.buildings:
        fa[id(b["parcel"])] = fa.get(id(b["parcel"]), 0.0) + b["geom"].area
    rows = []
    seq = {}
    for p in sorted(county.parcels, key=lambda p: p.attrs["parcel_id"]):
        a = p.attrs
        if a.get("vacant") or a["rights_type"] not in ("出让", "划拨"):
            continue
        signed = a["term_start"]
        seq[signed.year] = seq.get(signed.year, 0) + int(rng.integers(1, 4))
        kind = a["rights_type"]
        cid = f"{county.profile.admin_code}{signed.year}{'B' if kind == '出让' else 'A'}{seq[signed.year]:05d}"
        mu_ = p.area / M2_PER_MU
        total = round(mu_ * rng.uniform(180, 450), 2)
        agreed = signed + dt.timedelta(days=int(rng.integers(60, 150)))
        row = dict(contract_id=cid, parcel_id=a["parcel_id"], kind=kind, signed_date=signed,
                   agreed_start=agreed, agreed_completion=add_years(agreed, 2),
                   actual_start=None, total_investment=total, invested=0.0,
                   due_area_m2=round(p.area, 2), developed_area_m2=0.0, suspended_since=None,
                   gov_cause=None,
                   land_price=round(mu_ * land_price_per_mu(rng, signed.year) * (1 if kind == "出让" else 0.25), 2))
        if id(p) in idle_by_parcel:
            iid, c = idle_by_parcel[id(p)]
            row.update(agreed_start=c["agreed_start"], agreed_completion=add_years(c["agreed_start"], 2),
                       actual_start=c["actual_start"], invested=round(total * c["invested"], 2),
                       developed_area_m2=round(p.area * c["developed"], 2),
                       suspended_since=c["suspended"], gov_cause=c["gov_cause"])
            c["contract_id"] = cid
        elif a["status"] in ("已竣工投产", "停产"):
            row.update(actual_start=agreed + dt.timedelta(days=int(rng.integers(-20, 90))), invested=total,
                       developed_area_m2=round(p.area, 2))
        elif a["status"] == "在建":
            start = agreed + dt.timedelta(days=int(rng.integers(0, 60)))
            share = float(rng.uniform(0.35, 0.9))
            row.update(actual_start=start, invested=round(total * share, 2),
                       developed_area_m2=round(p.area * share, 2))
            a["actual_start"] = start
        rows.append(row)
    county.contracts = rows


def make_tenancy_floor_areas(county: County) -> None:
    """Floor area each tenant uses: a share of its host parcel's floor area."""
    rng = county.rng
    fa = {}
    for b in county.buildings:
        if b["completed"]:
            fa[id(b["parcel"])] = fa.get(id(b["parcel"]), 0.0) + b["geom"].area * max(b["floors"], 1)
    for row in county.tenancy:
        host, t, _ = row
        row[2] = round(fa.get(id(host), 2000.0) * rng.uniform(0.05, 0.2), 1)
        t.tenant_m2 = row[2]


def far_before(county: County, p: ParcelRec) -> tuple[float, float]:
    """(floor area, FAR) of a parcel's completed buildings, counting > 8 m storeys twice."""
    total = sum(floor_area(b) for b in county.buildings if b["parcel"] is p and b["completed"])
    return total, total / p.area


def make_renovations(county: County) -> None:
    """零增地技改 plans: the six corner-plot cases plus TT-VERT, TT-TECH and TT-KEEP ones."""
    rng = county.rng
    rows = []
    for rid, (p, gap, key) in county.renov_plots.items():
        fa, _ = far_before(county, p)
        if rid in ("R05", "R06"):
            after = fa * 1.1                         # FAR rises by 10 % only (< 20 %)
            reno = after * (0.25 if rid == "R05" else 0.10)
        else:
            after = fa * 1.6
            reno = after - fa
        rows.append(dict(renovation_id=rid, parcel=p, floor_area_after_m2=round(after, 2),
                         renovation_floor_area_m2=round(reno, 2), expansion_floor_area_m2=round(after - fa, 2),
                         accepted=False, equipment_investment=round(float(rng.uniform(600, 3000)), 2),
                         total_investment=round(float(rng.uniform(3000, 9000)), 2), leased_plant_m2=0.0,
                         geometry=shapely.MultiPolygon([gap]), key=key))
    # TT-VERT / TT-TECH: no plots; tiers of equipment investment at the bounds
    extra = [("R07", 480.0, 1200.0, True, "renovation.vert_pass"),
             ("R08", 500.0, 999.0, True, "renovation.vert_fail_expansion_under_1000"),
             ("R09", 2000.0, 1500.0, False, "renovation.vert_fail_not_accepted"),
             ("R10", 5000.0, 3000.0, True, "renovation.tech_tier3_exact_5000"),
             ("R11", 1999.99, 0.0, False, "renovation.tech_tier1")]
    for rid, equip, expansion, accepted, key in extra:
        while True:
            i = county.pick("renovation", lambda i, p: p.attrs["status"] == "已竣工投产"
                            and p.attrs["owner"] is not None and not p.attrs["owner"].role
                            and p.area > 6 * M2_PER_MU)
            p = county.parcels[i]
            fa, far = far_before(county, p)
            if fa > 0:
                break
        rows.append(dict(renovation_id=rid, parcel=p, floor_area_after_m2=round(fa + expansion, 2),
                         renovation_floor_area_m2=round(expansion, 2), expansion_floor_area_m2=round(expansion, 2),
                         accepted=accepted, equipment_investment=equip, total_investment=round(equip * 1.6, 2),
                         leased_plant_m2=1800.0 if rid == "R11" else 0.0,
                         geometry=shapely.MultiPolygon(), key=key))
    # TT-KEEP: renovation on a rezoned parcel by a class-A and a class-D enterprise
    for rid, p, key in (("R12", county.keep["A"][0], "keep.renovation_class_a"),
                        ("R13", county.keep["D"][0], "keep.renovation_class_d")):
        fa, _ = far_before(county, p)
        rows.append(dict(renovation_id=rid, parcel=p, floor_area_after_m2=round(fa * 1.3, 2),
                         renovation_floor_area_m2=round(fa * 0.3, 2), expansion_floor_area_m2=round(fa * 0.3, 2),
                         accepted=False, equipment_investment=800.0, total_investment=1500.0, leased_plant_m2=0.0,
                         geometry=shapely.MultiPolygon(), key=key))
    county.renovations = rows
    for r in rows:          # the TT-TECH / TT-VERT cases rest on their owners' classes: first mapping
        owner = r["parcel"].attrs.get("owner")
        if owner is not None:
            owner.legacy = True
            if r["renovation_id"] == "R11" and owner.scale == "规下":
                owner.fixed_tpm = (11.5, 12.0)    # a class-B 规下 enterprise (the tier-1 uplift needs A/B)


def make_projects(county: County) -> None:
    """重点项目 (projects.csv): the TT-RATE cases plus ordinary projects."""
    rng = county.rng
    rows = []
    for kid, (key, total, is_key, building) in PROJECT_CASES.items():
        e = county.planted_ents[kid][1]
        p = e.parcels[0]
        rows.append(dict(project_id=f"XM2022{len(rows) + 1:04d}", uscc=e.uscc, parcel_id=p.attrs["parcel_id"],
                         name=f"{e.name[:-4]}技改扩产项目", key_project=is_key, total_investment=total,
                         under_construction=building, built_year=2023 if building else 2021,
                         energy_tce=round(float(rng.uniform(300, 3000)), 1), key=key))
    ordinary = [e for e in county.enterprises if not e.role and e.parcels]
    for k in rng.choice(len(ordinary), 40, replace=False):
        e = ordinary[int(k)]
        building = bool(rng.random() < 0.4)
        by = int(rng.integers(2015, 2023))
        rows.append(dict(project_id=f"XM2022{len(rows) + 1:04d}", uscc=e.uscc,
                         parcel_id=e.parcels[0].attrs["parcel_id"], name=f"{e.name[:-4]}年产扩建项目",
                         key_project=bool(rng.random() < 0.5), total_investment=round(float(rng.uniform(500, 25000)), 2),
                         under_construction=building, built_year=2023 if building else by,
                         energy_tce=round(float(math.exp(rng.normal(math.log(900), 1.0))), 1), key=""))
    county.projects = rows


def make_proposals(county: County) -> None:
    """Split parts (layer) and merge proposals (table)."""
    good = [county.planted_ents[g][1] for g in ("G1", "G2", "G3")]
    bad = county.planted_ents["BAD"][1]
    parts = []
    for sid, sp in county.splits.items():
        owner = sp["parcel"].attrs["owner"]
        for k, g in enumerate(sp["parts"]):
            buyer = owner if k == 0 else good[(k - 1) % 3]
            if sid == "S13" and k == 1:
                buyer = bad
            parts.append(dict(proposal_id=f"FG{sid[1:]}", parcel_id=sp["parcel"].attrs["parcel_id"],
                              part_no=k + 1, buyer_uscc=buyer.uscc, geometry=g))
    county.split_rows = parts
    merges = []
    for mid, (key, pair) in county.merges.items():
        buyer = bad if mid == "M05" else good[int(mid[-1]) % 3]
        merges.append(dict(proposal_id=f"HB{mid[1:]}", parcel_ids=";".join(p.attrs["parcel_id"] for p in pair),
                           buyer_uscc=buyer.uscc, key=key))
    county.merge_rows = merges


def make_land_supply(county: County) -> list[dict]:
    """土地供应台账 2021–2023 with the profile's industrial shares (one year exactly on 30 %)."""
    rng = county.rng
    rows = []
    for year, share in zip((2021, 2022, 2023), county.profile.supply_share):
        total = float(rng.integers(18, 30)) * 100.0
        ind = round(total * share, 4)
        rest = total - ind
        w = np.array([0.25, 0.45, 0.2, 0.1])
        others = np.round(rest * w, 4)
        others[-1] = round(rest - others[:-1].sum(), 4)
        rows.append(dict(year=year, use="工业", area_mu=ind))
        for use, v in zip(("商服", "住宅", "公共管理与公共服务", "交通运输"), others):
            rows.append(dict(year=year, use=use, area_mu=float(v)))
    return rows


# --------------------------------------------------------------------------------------------
# Constraint layers and rasters
# --------------------------------------------------------------------------------------------

def constraint_layers(county: County) -> dict:
    """城镇开发边界, 永久基本农田, 生态保护红线, 控规 zoning, parks, water, roads as GeoDataFrames."""
    rng, lay, prof = county.rng, county.layout, county.profile
    crs = f"EPSG:{EPSG}"
    areas = shapely.union_all(list(lay.outlines.values()))
    ub = areas
    for h in county.ub_holes:
        ub = ub.difference(h)
    urban = gpd.GeoDataFrame({"id": ["CZKFBJ01"], "name": ["城镇开发边界"]}, geometry=[snap(ub)], crs=crs)
    # basic farmland around three sites outside parks (one holds half of a planted gap)
    avoid = areas.buffer(20).union(lay.river.buffer(10)).union(shapely.union_all([r.poly for r in lay.roads]))
    sites = [a.key for a in prof.areas if a.kind is None]
    farm_site, half = county.farmland_extra[0]
    chosen = [farm_site] + [s for s in sites if s != farm_site][:2]
    farm = []
    for k, key in enumerate(chosen):
        ring = lay.outlines[key].buffer(350).difference(avoid)
        if key == farm_site:
            near = lay.outlines[key].buffer(350).difference(lay.outlines[key]).difference(
                areas.difference(lay.outlines[key]).buffer(20)).difference(lay.river.buffer(10))
            ring = ring.union(near.intersection(half.buffer(60))).union(half)
        farm.append(snap(shapely.union_all(polygons_of(ring))))
    farmland = gpd.GeoDataFrame({"id": [f"JBNT{k + 1:03d}" for k in range(len(farm))],
                                 "name": ["永久基本农田保护图斑"] * len(farm)}, geometry=farm, crs=crs)
    ax, ay = lay.anchor
    eco = []
    for dx, dy, w, h in ((0, 5200, 9000, 1800), (1000, -5800, 8000, 1600)):
        blob = area_outline(rng, ax + dx, ay + dy, w, h, rng.uniform(-8, 8), 48)
        eco.append(snap(largest_polygon(blob.difference(areas.buffer(150)))))
    eco_gdf = gpd.GeoDataFrame({"id": ["STBHHX01", "STBHHX02"], "name": ["生态保护红线（北部山区）", "生态保护红线（南部山区）"]},
                               geometry=eco, crs=crs)
    zones = []
    g_gap = county.zoning_extra[0][0] if county.zoning_extra else None
    for b in lay.blocks:
        geom = b.geom
        if g_gap is not None and geom.intersects(g_gap) and geom.intersection(g_gap).area > 1:
            zones.append((g_gap, "G"))
            geom = geom.difference(g_gap)
        zones.append((geom, b.zone))
    for key, o in lay.outlines.items():
        ru = shapely.union_all([r.poly for r in lay.roads]).intersection(o)
        zones.append((ru, "S"))
    zoning = gpd.GeoDataFrame({"zone_id": [f"KG{k + 1:04d}" for k in range(len(zones))],
                               "land_use_code": [z for _, z in zones],
                               "land_use_name": [ZONE_NAMES[z] for _, z in zones]},
                              geometry=[snap(g) for g, _ in zones], crs=crs)
    parks = gpd.GeoDataFrame({"park_id": [pid for pid, _, _ in lay.parks], "name": [s.name for _, s, _ in lay.parks],
                              "kind": [s.kind for _, s, _ in lay.parks],
                              "standard_land_rules": [bool(s.standard_land_rules) for _, s, _ in lay.parks]},
                             geometry=[g for _, _, g in lay.parks], crs=crs)
    water = gpd.GeoDataFrame({"water_id": [f"SY{k + 1:02d}" for k in range(1 + len(lay.ponds))],
                              "name": [prof.river_name] + ["水塘"] * len(lay.ponds)},
                             geometry=[lay.river] + lay.ponds, crs=crs)
    roads = gpd.GeoDataFrame({"road_id": [f"DL{k + 1:04d}" for k in range(len(lay.roads))],
                              "name": [r.name for r in lay.roads], "road_class": [r.road_class for r in lay.roads],
                              "width_m": [float(r.width) for r in lay.roads]},
                             geometry=[r.poly for r in lay.roads], crs=crs)
    return dict(urban_boundary=urban, basic_farmland=farmland, eco_redline=eco_gdf, zoning=zoning,
                parks=parks, water=water, roads=roads)


def yard_classes(p: ParcelRec, bs: list) -> tuple[int, int]:
    """Land cover of a parcel outside its buildings on the 2021 and 2023 images."""
    a = p.attrs
    if "lc" in a:
        return a["lc"]
    if a["status"] in ("已竣工投产", "停产"):
        first = min((b["completed_year"] for b in bs), default=2015)
        return (1 if first <= 2020 else 2, 1)
    if a["status"] == "在建":
        return (2 if a.get("actual_start") and a["actual_start"] <= D(2021, 10, 15) else 3, 2)
    return (3, 3)


RASTER_DATES = (("landcover_2021.tif", D(2021, 10, 15)), ("landcover_2023.tif", D(2023, 4, 20)))


def write_rasters(county: County, layers: dict, out: Path, pixel: float = 2.0) -> list:
    """Two land-cover GeoTIFFs rasterised from the vector data (so they agree with it)."""
    import rasterio
    from rasterio.features import rasterize
    from rasterio.transform import from_origin

    lay = county.layout
    areas = shapely.union_all(list(lay.outlines.values()))
    cover = areas.buffer(250)
    minx, miny, maxx, maxy = cover.bounds
    x0, y1 = math.floor(minx / pixel) * pixel, math.ceil(maxy / pixel) * pixel
    width, height = int(math.ceil((maxx - x0) / pixel)), int(math.ceil((y1 - miny) / pixel))
    transform = from_origin(x0, y1, pixel, pixel)
    by_parcel: dict[int, list] = {}
    for b in county.buildings:
        by_parcel.setdefault(id(b["parcel"]), []).append(b)
    written = []
    for k, (name, date) in enumerate(RASTER_DATES):
        shapes = [(cover, 3), (lay.river, 4)] + [(g, 4) for g in lay.ponds]
        shapes += [(r.poly, 1) for r in lay.roads]
        for p in county.parcels:
            bs = by_parcel.get(id(p), [])
            shapes.append((p.geom, yard_classes(p, bs)[k]))
        for b in county.buildings:
            if b["completed"]:
                v = 1 if b["completed_year"] <= date.year - (1 if k == 0 else 0) else 2
            else:
                started = b["parcel"].attrs.get("actual_start")
                idle_started = b["parcel"].role == "idle"
                v = 1 if (k == 1 or idle_started) else (2 if started and started <= date else None)
            if v:
                shapes.append((b["geom"], v))
        arr = rasterize(shapes, out_shape=(height, width), transform=transform, fill=0, dtype="uint8")
        profile = dict(driver="GTiff", width=width, height=height, count=1, dtype="uint8", crs=f"EPSG:{EPSG}",
                       transform=transform, nodata=0, tiled=True, blockxsize=256, blockysize=256,
                       compress="deflate", predictor=1, zlevel=9, interleave="band")
        path = out / name
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(arr, 1)
            dst.update_tags(ACQUISITION_DATE=date.isoformat(), CLASSES="0=nodata,1=built,2=bare,3=vegetation,4=water",
                            TIFFTAG_DATETIME=date.strftime("%Y:%m:%d 00:00:00"))
            dst.set_band_description(1, "landcover")
        written.append((name, date))
    return written


# --------------------------------------------------------------------------------------------
# 界址点坐标交换格式
# --------------------------------------------------------------------------------------------

def jzd_plot_lines(p: ParcelRec) -> list[str]:
    """One parcel in 界址点坐标交换格式: the plot line, then J-points ring by ring (X = north,
    Y = east with the zone prefix), each ring closed by repeating its first label."""
    g = shapely.orient_polygons(p.geom, exterior_cw=True)
    rings = [g.exterior] + list(g.interiors)
    pts, label = [], 0
    for r_no, ring in enumerate(rings, start=1):
        xy = np.asarray(ring.coords)[:-1]
        first = label + 1
        for x, y in xy:
            label += 1
            pts.append(f"J{label},{r_no},{y:.3f},{x:.3f}")
        pts.append(f"J{first},{r_no},{xy[0][1]:.3f},{xy[0][0]:.3f}")
    owner = p.attrs["owner"].name if p.attrs.get("owner") else ""
    head = f"{len(pts)},{p.area / 10000:.4f},{p.attrs['parcel_id']},{owner},面,,工业用地,{p.attrs['land_use_code']},@"
    return [head] + pts


def write_jzd(county: County, out: Path) -> list[str]:
    """A few dozen parcels in 界址点 files (GBK, CRLF), one to three parcels per file; the parcel
    with a hole is among them."""
    rng = county.rng
    folder = out / "jzd"
    folder.mkdir(parents=True, exist_ok=True)
    for f in folder.glob("*.txt"):
        f.unlink()
    chosen = [p for p in county.parcels if p.role == "hole_outer"]
    chosen += [p for _, pair in county.merges.values() for p in pair][:4]
    ordinary = [p for p in county.parcels if not p.role and p.attrs.get("owner") is not None]
    for k in rng.choice(len(ordinary), 31, replace=False):
        chosen.append(ordinary[int(k)])
    header = ["[属性描述]", "格式版本号=1.01版本", f"数据产生单位={county.profile.county}自然资源和规划局",
              "数据产生日期=2023-6-30", "坐标系=2000国家大地坐标系", "几度分带=3", "投影类型=高斯克吕格",
              "计量单位=米", "带号=40", "精度=0.001", "转换参数=0,0,0,0,0,0,0", "[地块坐标]"]
    ids, k = [], 0
    while k < len(chosen):
        n = 1 if k < 6 else int(rng.choice([1, 2, 3]))
        group = chosen[k:k + n]
        k += n
        lines = list(header)
        for p in group:
            lines += jzd_plot_lines(p)
            ids.append(p.attrs["parcel_id"])
        name = f"{group[0].attrs['parcel_id']}.txt" if n == 1 else f"{group[0].attrs['parcel_id']}_等{n}宗.txt"
        (folder / name).write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    return ids


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------

ENTERPRISE_HEADERS = {"uscc": "统一社会信用代码", "name": "企业名称", "year": "年度", "scale": "规模",
                      "revenue": "营业收入(万元)", "tax": "税收实际贡献(万元)", "value_added": "工业增加值(万元)",
                      "employees": "年平均职工人数", "energy_tce": "综合能耗(吨标准煤)",
                      "emissions_t": "主要污染物排放量(吨)", "rd_expense": "R&D经费支出(万元)", "industry": "行业"}
CONTRACT_HEADERS = {"contract_id": "合同编号", "parcel_id": "宗地代码", "kind": "供地方式", "signed_date": "签订日期",
                    "agreed_start": "约定动工日期", "agreed_completion": "约定竣工日期", "actual_start": "实际动工日期",
                    "total_investment": "总投资(万元)", "invested": "已完成投资(万元)",
                    "due_area_m2": "应开发面积(平方米)", "developed_area_m2": "已开发面积(平方米)",
                    "suspended_since": "停工日期", "gov_cause": "政府原因", "land_price": "出让价款(万元)"}
TENANCY_HEADERS = {"parcel_id": "宗地代码", "uscc": "统一社会信用代码", "floor_area_m2": "租用建筑面积(平方米)"}
PROJECT_HEADERS = {"project_id": "项目编号", "uscc": "统一社会信用代码", "parcel_id": "宗地代码", "name": "项目名称",
                   "key_project": "是否重点项目", "total_investment": "总投资(万元)", "under_construction": "是否在建",
                   "built_year": "建成年份", "energy_tce": "年综合能耗(吨标准煤)"}
MERGE_HEADERS = {"proposal_id": "方案编号", "parcel_ids": "合并宗地代码", "buyer_uscc": "受让方统一社会信用代码"}
SUPPLY_HEADERS = {"year": "年度", "use": "用途", "area_mu": "供地面积(亩)"}
XLSX_EPOCH = dt.datetime(2023, 6, 30, 9, 0, 0)


def write_xlsx(path: Path, sheet: str, headers: list[str], rows: list[list], number_formats: dict | None = None):
    """Write one sheet with openpyxl, then rewrite the zip with fixed entry dates and properties."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(headers)
    for r in rows:
        ws.append(r)
    for (r, c), fmt in (number_formats or {}).items():
        ws.cell(row=r, column=c).number_format = fmt
    for c, h in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(c)].width = max(10, 2 * len(h) + 2)
    wb.properties.creator = "geo-tenglong sample generator"
    wb.properties.created = XLSX_EPOCH
    wb.properties.modified = XLSX_EPOCH
    wb.properties.lastModifiedBy = "geo-tenglong"
    buf = io.BytesIO()
    wb.save(buf)
    fixed = io.BytesIO()
    stamp = XLSX_EPOCH.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                              lambda m: m.group(1) + stamp.encode() + m.group(2), data)
            zi = zipfile.ZipInfo(info.filename, date_time=XLSX_EPOCH.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            zout.writestr(zi, data)
    path.write_bytes(fixed.getvalue())


def write_csv(path: Path, headers: list[str], rows: list[list]) -> None:
    """UTF-8 with BOM (as Excel writes it), CRLF."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(headers)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))


def enterprise_table(county: County) -> tuple[list[list], dict]:
    """Rows of enterprises.xlsx (2021 then 2022) with the planted data faults; returns the faults."""
    rng = county.rng
    for e in county.enterprises:
        e.rows = enterprise_rows(rng, e, county.profile.sales_per_mu)
    plain = [e for e in county.enterprises if not e.role and e.parcels and len(e.parcels) == 1
             and e.parcels[0].attrs["status"] == "已竣工投产"]
    pick = [plain[int(k)] for k in rng.choice(len(plain), 5, replace=False)]
    bad_code, dup, zero, missing, negative = pick
    zero.rows[2022]["employees"] = 0
    missing.rows[2022]["tax"] = None
    negative.rows[2022]["energy_tce"] = -abs(negative.rows[2022]["energy_tce"])
    wrong = bad_code.uscc[:17] + ALPHABET[(ALPHABET.index(bad_code.uscc[17]) + 7) % 31]
    rows = []
    for year in (2021, 2022):
        for e in county.enterprises:
            r = e.rows[year]
            code = wrong if (e is bad_code and year == 2022) else e.uscc
            row = [code, e.name, year, e.scale, r["revenue"], r["tax"], r["value_added"], r["employees"],
                   r["energy_tce"], r["emissions_t"], r["rd_expense"], e.industry]
            rows.append(row)
            if e is dup and year == 2022:
                rows.append(list(row))
    faults = {
        "invalid_uscc": [{"uscc": wrong, "valid_uscc": bad_code.uscc, "name": bad_code.name, "year": 2022}],
        "duplicate_row": [{"uscc": dup.uscc, "name": dup.name, "year": 2022}],
        "zero_employees": [{"uscc": zero.uscc, "year": 2022, "field": "employees"}],
        "missing_value": [{"uscc": missing.uscc, "year": 2022, "field": "tax"}],
        "negative_value": [{"uscc": negative.uscc, "year": 2022, "field": "energy_tce",
                            "value": negative.rows[2022]["energy_tce"]}],
    }
    return rows, faults


def contract_cells(county: County) -> tuple[list[list], dict, dict]:
    """Rows of contracts.xlsx with dates in the forms bureaus type, and exactly one unreadable date."""
    rng = county.rng
    rows, fmts = [], {}
    date_fields = ("signed_date", "agreed_start", "agreed_completion", "actual_start", "suspended_since")
    keys = list(CONTRACT_HEADERS)
    planted = {c["contract_id"] for c in county.idle.values() if "contract_id" in c}
    ordinary = [k for k, r in enumerate(county.contracts) if r["contract_id"] not in planted]
    tbd_row = ordinary[int(rng.integers(len(ordinary)))]
    unreadable = None
    for k, r in enumerate(county.contracts):
        row = []
        for c, key in enumerate(keys, start=1):
            v = r[key]
            if key in date_fields and v is not None:
                form = int(rng.choice(5, p=[0.45, 0.2, 0.12, 0.13, 0.1]))
                if form == 0:
                    v = dt.datetime(v.year, v.month, v.day)
                    fmts[(k + 2, c)] = "yyyy-mm-dd"
                elif form == 1:
                    v = v.isoformat()
                elif form == 2:
                    v = f"{v.year}/{v.month}/{v.day}"
                elif form == 3:
                    v = f"{v.year}年{v.month}月{v.day}日"
                else:
                    v = (v - D(1899, 12, 30)).days          # Excel serial number in a General cell
            if k == tbd_row and key == "agreed_completion":
                unreadable = {"contract_id": r["contract_id"], "parcel_id": r["parcel_id"],
                              "field": "agreed_completion", "header": CONTRACT_HEADERS[key], "value": "待定",
                              "row": k + 2}
                v = "待定"
            row.append(v)
        rows.append(row)
    return rows, fmts, unreadable


# --------------------------------------------------------------------------------------------
# Writing the workspace
# --------------------------------------------------------------------------------------------

def to_dt64(values) -> pd.Series:
    return pd.to_datetime(pd.Series([v if v is not None else pd.NaT for v in values], dtype=object)).astype("datetime64[ms]")


def parcels_gdf(county: County) -> gpd.GeoDataFrame:
    ps = sorted(county.parcels, key=lambda p: p.attrs["parcel_id"])
    cols = {
        "parcel_id": [p.attrs["parcel_id"] for p in ps],
        "owner_uscc": [p.attrs["owner"].uscc if p.attrs["owner"] else None for p in ps],
        "owner_name": [p.attrs["owner"].name if p.attrs["owner"] else None for p in ps],
        "land_use_code": [p.attrs["land_use_code"] for p in ps],
        "township": [p.attrs["township"] for p in ps],
        "park_id": [p.attrs["park_id"] for p in ps],
        "rights_nature": [p.attrs["rights_nature"] for p in ps],
        "rights_type": [p.attrs["rights_type"] for p in ps],
        "term_start": to_dt64([p.attrs["term_start"] for p in ps]),
        "term_end": to_dt64([p.attrs["term_end"] for p in ps]),
        "contract_far": [p.attrs["contract_far"] if p.attrs["contract_far"] is not None else np.nan for p in ps],
        "plan_conditions": [bool(p.attrs["plan_conditions"]) for p in ps],
        "standard_land": [bool(p.attrs["standard_land"]) for p in ps],
        "status": [p.attrs["status"] for p in ps],
        "split_from": [p.attrs["split_from"] for p in ps],
        "merged_from": [p.attrs["merged_from"] for p in ps],
        "industrial_real_estate": [bool(p.attrs["industrial_real_estate"]) for p in ps],
    }
    return gpd.GeoDataFrame(cols, geometry=[p.geom for p in ps], crs=f"EPSG:{EPSG}")


def buildings_gdf(county: County) -> gpd.GeoDataFrame:
    bs = county.buildings
    return gpd.GeoDataFrame({
        "building_id": [b["building_id"] for b in bs],
        "parcel_id": [b["parcel_id"] for b in bs],
        "floors": np.array([b["floors"] for b in bs], dtype="int32"),
        "height_m": [float(b["height_m"]) for b in bs],
        "storey_height_m": [float(b["storey_height_m"]) for b in bs],
        "use": [b["use"] for b in bs],
        "completed": [bool(b["completed"]) for b in bs],
        "completed_year": pd.array([b["completed_year"] for b in bs], dtype="Int32"),
    }, geometry=[b["geom"] for b in bs], crs=f"EPSG:{EPSG}")


def renovations_gdf(county: County) -> gpd.GeoDataFrame:
    rs = county.renovations
    cols = ["renovation_id", "floor_area_after_m2", "renovation_floor_area_m2", "expansion_floor_area_m2",
            "accepted", "equipment_investment", "total_investment", "leased_plant_m2"]
    data = {c: [r[c] for r in rs] for c in cols}
    data["parcel_id"] = [r["parcel"].attrs["parcel_id"] for r in rs]
    data["uscc"] = [r["parcel"].attrs["owner"].uscc for r in rs]
    order = ["renovation_id", "parcel_id", "uscc"] + cols[1:]
    return gpd.GeoDataFrame({c: data[c] for c in order}, geometry=[r["geometry"] for r in rs], crs=f"EPSG:{EPSG}")


def splits_gdf(county: County) -> gpd.GeoDataFrame:
    rs = county.split_rows
    return gpd.GeoDataFrame({c: [r[c] for r in rs] for c in ("proposal_id", "parcel_id", "part_no", "buyer_uscc")},
                            geometry=[r["geometry"] for r in rs], crs=f"EPSG:{EPSG}")


def write_gpkg_layers(path: Path, layers: dict) -> None:
    if path.exists():
        path.unlink()
    for name, gdf in layers.items():
        multi = any(t.startswith("Multi") for t in gdf.geom_type.dropna().unique())
        pyogrio.write_dataframe(gdf, path, layer=name, driver="GPKG", promote_to_multi=multi or None)


def write_shapefile_gbk(path: Path, gdf: gpd.GeoDataFrame) -> None:
    """A Shapefile with a GBK .cpg; the DBF's last-update date is pinned for reproducibility."""
    for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
        f = path.with_suffix(ext)
        if f.exists():
            f.unlink()
    pyogrio.write_dataframe(gdf, path, driver="ESRI Shapefile", encoding="GBK", promote_to_multi=True)
    dbf = path.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[1:4] = bytes([2023 - 1900, 6, 30])
    dbf.write_bytes(bytes(data))


def workspace_toml(profile: Profile, gpkg: str, vector_layers: list[str]) -> str:
    lines = ["# Sample county workspace, generated by scripts/make_sample_layers.py (do not edit by hand).",
             "[workspace]", f'county = "{profile.county}"', f'admin_code = "{profile.admin_code}"',
             f'ruleset = "{profile.ruleset}"', f"as_of = {profile.as_of}", f'crs = "EPSG:{EPSG}"', "", "[layers]"]
    for name in vector_layers:
        lines.append(f'{name} = {{ path = "{gpkg}", layer = "{name}" }}')
    lines += ['roads = "roads.shp"', "", "[tables]", 'enterprises = "enterprises.xlsx"', 'tenancy = "tenancy.csv"',
              'contracts = "contracts.xlsx"', 'projects = "projects.csv"', 'merge_proposals = "merge_proposals.csv"',
              'land_supply = "land_supply.csv"', "", "[rasters]",
              'landcover = [ { path = "landcover_2021.tif", date = 2021-10-15 },',
              '              { path = "landcover_2023.tif", date = 2023-04-20 } ]',
              'landcover_classes = { 1 = "built", 2 = "bare", 3 = "vegetation", 4 = "water" }', "",
              "[coords]", 'folder = "jzd"', "", "[aliases]", ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Manifest
# --------------------------------------------------------------------------------------------

ABOUT = {
    "idle.nat_idle_1_tier1": "NAT-IDLE-1: not started, 1–2 years past the agreed start → 土地闲置费 20 % (NAT-IDLE-FEE)",
    "idle.nat_idle_1_tier2": "NAT-IDLE-1: not started, ≥ 2 years past the agreed start → 无偿收回 candidate (NAT-IDLE-BACK)",
    "idle.nat_idle_2_developed_area": "NAT-IDLE-2: developed area < 1/3 (investment ≥ 25 %), suspended ≥ 1 year",
    "idle.nat_idle_2_investment": "NAT-IDLE-2: investment < 25 % (developed area ≥ 1/3), suspended ≥ 1 year",
    "idle.not_idle_suspended_under_1y": "started, below both NAT-IDLE-2 bounds, but suspended < 1 year: not idle",
    "idle.not_idle_under_1y": "not started, agreed start < 1 year before as_of: not idle",
    "idle.gov_cause": "not started for > 2 years with gov_cause 规划调整: reported with the cause, not penalised (NAT-IDLE-GOV)",
    "imagery.contract_started_but_bare": "contract has actual_start, status 在建, parcel bare on both rasters, no buildings",
    "imagery.no_contract_bare": "parcel with no contract record (and no owner), bare on both rasters",
    "corners.*": "unallocated plots: {centroid, point (inside), area_m2, area_mu, note}",
    "corners.enclosed": "夹心地 enclosed by ≥ 3 parcels",
    "corners.corner": "边角地 between parcels and a road",
    "corners.sliver": "2 m wide slivers between two parcels",
    "corners.half_in_farmland": "plot half inside 永久基本农田 (TT-CORNER (a) fails)",
    "corners.outside_urban_boundary": "plot outside the 城镇开发边界 (TT-CORNER (a) fails)",
    "corners.non_industrial_zoning": "plot zoned G in 控规 (TT-CORNER (a) fails)",
    "corners.requested": "plots requested by renovation plans R01–R06 (geometry = the renovation's geometry)",
    "renovation.plots_pct20_exact": "TT-CORNER: plots exactly 20 % of the parcel (< 10 亩), FAR ×1.6: pass",
    "renovation.plots_pct20_over": "TT-CORNER: plots 20 % of the parcel + 1 m²: fail (b)",
    "renovation.plots_mu10_exact": "TT-CORNER: plots exactly 10 亩 (< 20 %): pass",
    "renovation.plots_mu10_over": "TT-CORNER: plots 10 亩 + 1 m²: fail (b)",
    "renovation.far_fail_area_pass": "TT-CORNER (c): FAR after = 1.1 × before, renovation floor area 25 % of total: pass",
    "renovation.far_fail_area_fail": "TT-CORNER (c): FAR after = 1.1 × before, renovation floor area 10 % of total: fail",
    "renovation.vert_*": "TT-VERT cases (expansion ≥ 1000 m², accepted); renovation.tech_*: TT-TECH tiers at the bounds",
    "keep.*": "TT-KEEP: rezoned_parcels lie in blocks zoned R/B/G; class_a_parcels / class_d_parcels owned by planted A / D enterprises",
    "split.*": "TT-SPLIT proposal ids (split_proposals layer); pass_* must pass, fail_* fail for the named reason only",
    "merge.*": "TT-MERGE proposal ids (merge_proposals.csv)",
    "efficiency.*": "亩均税收 cases (uscc), tax set so tax / (planar area / (10000/15)) hits the value to floating precision (|error| < 1e-12; exact where a 16-digit tax allows)",
    "rating.*": "TT-RATE / TT-TRANSFER: key projects (projects.csv) and planted A-grade buyers / a D-grade buyer (uscc)",
    "housing.*": "TT-HOUSING: parcels ≥ 50 亩 outside parks, owners planted class A/B or C/D",
    "intensity.*": "TT-FAR-DEFAULT / NAT-FAR / NAT-ADMIN examples computed by the generator",
    "supply.*": "TT-SUPPLY / DQ-SUPPLY: industrial share of each year's supply against the county's threshold",
    "faults.*": "planted data faults the readers must report",
    "tenancy.parcels_with_tenants": "一地多企 host parcels",
    "headers": "every Chinese header used in the tables, per table",
}


def gap_entry(g: Gap) -> dict:
    c = g.geom.centroid
    pt = g.geom.representative_point()
    return {"centroid": [round(c.x, 3), round(c.y, 3)], "point": [round(pt.x, 3), round(pt.y, 3)],
            "area_m2": round(g.geom.area, 6), "area_mu": round(g.geom.area / M2_PER_MU, 6), "note": g.note}


def put(manifest: dict, dotted: str, value) -> None:
    head, tail = dotted.split(".", 1)
    manifest.setdefault(head, {}).setdefault(tail, [])
    if isinstance(value, list):
        manifest[head][tail].extend(value)
    else:
        manifest[head][tail].append(value)


def build_manifest(county: County, extra: dict) -> dict:
    m: dict = {"_about": ABOUT, "county": county.profile.county, "admin_code": county.profile.admin_code,
               "ruleset": county.profile.ruleset, "as_of": county.profile.as_of, "crs": f"EPSG:{EPSG}",
               "seed": county.profile.seed}
    pid = lambda p: p.attrs["parcel_id"]
    for iid, c in county.idle.items():
        put(m, c["key"], pid(c["parcel"]))
    put(m, "imagery.no_contract_bare", pid(county.no_contract_bare))
    for g in county.gaps:
        put(m, g.key, gap_entry(g))
    for r in county.renovations:
        put(m, r["key"], r["renovation_id"])
    for sid, sp in county.splits.items():
        put(m, sp["key"], f"FG{sid[1:]}")
    for row in county.merge_rows:
        put(m, row["key"], row["proposal_id"])
    for key, e in county.planted_ents.values():
        put(m, key, e.uscc)
    m["rating"]["project_ids"] = [r["project_id"] for r in county.projects if r["key"]]
    for bi, ps in county.rezoned.items():
        put(m, "keep.rezoned_parcels", [pid(p) for p in ps])
    put(m, "keep.class_a_parcels", [pid(p) for p in county.keep["A"]])
    put(m, "keep.class_d_parcels", [pid(p) for p in county.keep["D"]])
    put(m, "housing.outside_park_ge50_class_ab", [pid(p) for p in county.housing["ab"]])
    put(m, "housing.outside_park_ge50_class_cd", [pid(p) for p in county.housing["cd"]])
    m["intensity"] = intensity_examples(county)
    m["supply"] = extra["supply"]
    m["faults"] = extra["faults"]
    m["faults"]["unreadable_date"] = [extra["unreadable"]]
    m["faults"]["html_name"] = [{"uscc": county.html_ent.uscc, "name": county.html_ent.name}]
    m["faults"]["enterprises_without_land"] = [e.uscc for e in county.landless]
    m["faults"]["parcels_without_enterprise"] = sorted(pid(p) for p in county.parcels if p.attrs["owner"] is None)
    m["faults"]["buildings_without_parcel_id"] = [b["building_id"] for b in county.buildings if b["parcel_id"] is None]
    m["tenancy"] = {"parcels_with_tenants": sorted({pid(h) for h, _, _ in county.tenancy}),
                    "tenants": sorted({t.uscc for _, t, _ in county.tenancy})}
    m["geometry"] = {"hole_parcels": [pid(p) for p in county.parcels if p.role == "hole_outer"],
                     "enclave_parcels": [pid(p) for p in county.parcels if p.role == "hole_inner"],
                     "corner_touch_point": county.manifest.get("_corner_point"),
                     "jzd_parcels": extra["jzd"]}
    m["headers"] = extra["headers"]
    m["counts"] = extra["counts"]
    return m


def intensity_examples(county: County) -> dict:
    """FAR / height / admin-share examples, computed from the generated buildings."""
    by = {}
    for b in county.buildings:
        by.setdefault(id(b["parcel"]), []).append(b)
    out = {"far_below_1_1_in_park": [], "far_above_1_1_in_park": [], "far_below_1_1_outside_no_plan": [],
           "far_above_1_1_outside_no_plan": []}
    for p in sorted(county.parcels, key=lambda p: p.attrs["parcel_id"]):
        if p.role or p.attrs["status"] != "已竣工投产":
            continue
        bs = [b for b in by.get(id(p), []) if b["completed"]]
        if not bs:
            continue
        far = sum(floor_area(b) for b in bs) / p.area
        if abs(far - 1.1) < 0.05:
            continue
        if p.park_id:
            key = "far_below_1_1_in_park" if far < 1.1 else "far_above_1_1_in_park"
        elif not p.attrs["plan_conditions"]:
            key = "far_below_1_1_outside_no_plan" if far < 1.1 else "far_above_1_1_outside_no_plan"
        else:
            continue
        if len(out[key]) < 8:
            out[key].append(p.attrs["parcel_id"])
    out["height_over_24_outside_park_no_plan"] = [b["building_id"] for b in county.tall if b["height_m"] > 24]
    out["single_storey_over_8m"] = [b["building_id"] for b in county.buildings
                                    if b["floors"] == 1 and b["storey_height_m"] > 8][:10]
    out["admin_share_over_7pct"] = []
    for p in county.admin_heavy:
        bs = [b for b in by.get(id(p), []) if b["completed"]]
        total = sum(floor_area(b) for b in bs)
        admin = sum(floor_area(b) for b in bs if b["use"] in ("行政办公", "生活服务"))
        if total and admin / total > 0.07:
            out["admin_share_over_7pct"].append(p.attrs["parcel_id"])
    return out


# --------------------------------------------------------------------------------------------
# Scale mode: a synthetic county of N parcels, vectorised
# --------------------------------------------------------------------------------------------

SCALE_BLOCK = (8, 4)          # parcels per block along x and y
SCALE_CELL = (95.0, 85.0)     # nominal parcel size, m
SCALE_ROAD = 24.0             # road width between blocks, m


def scale_parcel_coords(rng, n: int, anchor) -> tuple[np.ndarray, np.ndarray]:
    """Corner coordinates (n, 5, 2) of n jittered quadrilateral parcels in blocks, and each
    parcel's block number. Neighbours share their (snapped) corner points, so parcels never
    overlap."""
    bx, by = SCALE_BLOCK
    w, h = SCALE_CELL
    per_block = bx * by
    nb = -(-n // per_block)
    gx = int(math.ceil(math.sqrt(nb * (by * h) / (bx * w))))
    gy = -(-nb // gx)
    bw, bh = bx * w + SCALE_ROAD, by * h + SCALE_ROAD
    ox = anchor[0] - gx * bw / 2
    oy = anchor[1] - gy * bh / 2
    blk = np.arange(nb)
    x0 = ox + (blk % gx) * bw
    y0 = oy + (blk // gx) * bh
    i = np.arange(bx + 1)
    j = np.arange(by + 1)
    vx = x0[:, None, None] + i[None, :, None] * w + np.zeros((1, 1, by + 1))
    vy = y0[:, None, None] + j[None, None, :] * h + np.zeros((1, bx + 1, 1))
    jx = rng.uniform(-0.22, 0.22, vx.shape) * w
    jy = rng.uniform(-0.22, 0.22, vy.shape) * h
    jx[:, [0, -1], :] = 0.0            # block edges stay straight along the roads
    jy[:, :, [0, -1]] = 0.0
    vx = np.round(vx + jx, 3)
    vy = np.round(vy + jy, 3)
    # cells (block, a, b) -> corners (a,b) (a+1,b) (a+1,b+1) (a,b+1) (a,b)
    a, b = np.meshgrid(np.arange(bx), np.arange(by), indexing="ij")
    a, b = a.ravel(), b.ravel()
    ca = np.stack([a, a + 1, a + 1, a, a], axis=1)
    cb = np.stack([b, b, b + 1, b + 1, b], axis=1)
    xs = vx[:, ca, cb]                  # (nb, per_block, 5)
    ys = vy[:, ca, cb]
    coords = np.stack([xs, ys], axis=-1).reshape(-1, 5, 2)[:n]
    block_of = np.repeat(blk, per_block)[:n]
    return coords, block_of


def scale_buildings(coords: np.ndarray) -> np.ndarray:
    """Two footprints per parcel: the two halves of the quad (split across x), shrunk toward
    their own centres so they stay inside the parcel and apart."""
    p0, p1, p2, p3 = coords[:, 0], coords[:, 1], coords[:, 2], coords[:, 3]
    out = []
    for lo, hi in ((0.08, 0.46), (0.54, 0.92)):
        q0 = p0 + (p1 - p0) * lo
        q1 = p0 + (p1 - p0) * hi
        q2 = p3 + (p2 - p3) * hi
        q3 = p3 + (p2 - p3) * lo
        quad = np.stack([q0, q1, q2, q3], axis=1)
        c = quad.mean(axis=1, keepdims=True)
        quad = np.round(c + (quad - c) * 0.78, 3)
        out.append(np.concatenate([quad, quad[:, :1]], axis=1))
    return np.concatenate(out)


def scale_uscc(rng, n: int, admin_code: str) -> np.ndarray:
    """n distinct valid 统一社会信用代码, vectorised (the serial part encodes a permuted index)."""
    alpha = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
    head = np.array([ALPHABET.index(c) for c in "91" + admin_code])
    serial = (rng.permutation(n).astype(np.int64) * 7919 + 104729) % (31 ** 9)
    digits = np.empty((n, 9), dtype=np.int64)
    for k in range(8, -1, -1):
        digits[:, k] = serial % 31
        serial //= 31
    vals = np.concatenate([np.broadcast_to(head, (n, 8)), digits], axis=1)
    check = (31 - (vals * np.asarray(WEIGHTS)).sum(axis=1) % 31) % 31
    allv = np.concatenate([vals, check[:, None]], axis=1)
    return alpha[allv].view("S18").ravel().astype(str)


def generate_scale(n: int, out: Path, fmt: str, profile: Profile, quiet: bool = False) -> dict:
    """Scale mode: N parcels (+ ~2 buildings each, enterprises in proportion), no planted cases."""
    t0 = time.time()
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, file=sys.stderr))
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(profile.seed + n)
    coords, block_of = scale_parcel_coords(rng, n, anchor_xy(profile))
    geoms = shapely.polygons(coords)
    say(f"{n} parcels built in {time.time() - t0:.1f}s")
    # ids: township = 101 + block // 999, 街坊 = block % 999 + 1, sequence = position in block
    per_block = SCALE_BLOCK[0] * SCALE_BLOCK[1]
    seq = np.arange(n) % per_block + 1
    town = 101 + block_of // 999
    jf = block_of % 999 + 1
    ids = (pd.Series(town).astype(str).radd(profile.admin_code) + pd.Series(jf).astype(str).str.zfill(3)
           + "GB" + pd.Series(seq).astype(str).str.zfill(5))
    n_ent = max(1, int(round(n * 0.83)))
    codes = scale_uscc(rng, n_ent, profile.admin_code)
    owner = np.concatenate([rng.permutation(n_ent), rng.integers(0, n_ent, n - n_ent)])[:n] if n >= n_ent         else rng.permutation(n_ent)[:n]
    status = rng.choice(np.array(["已竣工投产", "停产", "在建", "未动工"]), n, p=[0.9, 0.04, 0.03, 0.03])
    start = (np.datetime64("1998-01-01") + rng.integers(0, 365 * 25, n).astype("timedelta64[D]")).astype("datetime64[ms]")
    term_end = (start.astype("datetime64[D]") + np.timedelta64(365 * 50 + 12, "D")).astype("datetime64[ms]")
    ind = np.array(list(profile.industries))
    names = (pd.Series(rng.choice(np.array(list(profile.name_prefixes)), n_ent))
             + pd.Series(rng.choice(np.array(list(TRADE_CHARS)), n_ent))
             + pd.Series(rng.choice(np.array(list(TRADE_CHARS)), n_ent))
             + pd.Series(np.arange(n_ent)).astype(str) + "号工业有限公司")
    parcels = gpd.GeoDataFrame({
        "parcel_id": ids, "owner_uscc": codes[owner], "owner_name": names.to_numpy()[owner],
        "land_use_code": "1001", "township": pd.Series(town).astype(str).radd("乡镇"), "park_id": None,
        "rights_nature": "国有", "rights_type": "出让", "term_start": start, "term_end": term_end,
        "contract_far": np.where(rng.random(n) < 0.4, 1.2, np.nan), "plan_conditions": rng.random(n) < 0.6,
        "standard_land": start >= np.datetime64("2018-01-01"), "status": status, "split_from": None,
        "merged_from": None, "industrial_real_estate": False,
    }, geometry=geoms, crs=f"EPSG:{EPSG}")
    bcoords = scale_buildings(coords)
    nbld = len(bcoords)
    bparcel = np.tile(np.arange(n), 2)
    has_bld = np.isin(status[bparcel], ["已竣工投产", "停产"])
    floors = rng.choice([1, 2, 3, 4, 5], nbld, p=[0.35, 0.2, 0.2, 0.15, 0.1])
    sh = np.where(floors == 1, np.round(rng.uniform(6.5, 12, nbld), 1), np.round(rng.uniform(4.5, 6.5, nbld), 1))
    buildings = gpd.GeoDataFrame({
        "building_id": pd.Series(np.arange(nbld) + 1).astype(str).str.zfill(8).radd("JZ"),
        "parcel_id": ids.to_numpy()[bparcel], "floors": floors.astype("int32"),
        "height_m": np.where(floors == 1, sh, np.round(sh + (floors - 1) * 4.5, 1)), "storey_height_m": sh,
        "use": rng.choice(np.array(["生产", "仓储", "行政办公"]), nbld, p=[0.7, 0.2, 0.1]),
        "completed": True, "completed_year": pd.array(np.full(nbld, 2015), dtype="Int32"),
    }, geometry=shapely.polygons(bcoords), crs=f"EPSG:{EPSG}")[has_bld].reset_index(drop=True)
    say(f"{len(buildings)} buildings in {time.time() - t0:.1f}s")
    land_mu = np.bincount(owner, weights=shapely.area(geoms), minlength=n_ent) / M2_PER_MU
    big = land_mu > np.quantile(land_mu, 0.7)
    revenue = np.where(big, np.clip(land_mu * np.exp(rng.normal(np.log(380), 0.7, n_ent)), 2000, 200000),
                       np.clip(land_mu * np.exp(rng.normal(np.log(110), 0.6, n_ent)), 60, 1950))
    rows = []
    for k, year in enumerate((2021, 2022)):
        rev = np.round(revenue * (1 + 0.05 * k) * rng.normal(1, 0.03, n_ent), 2)
        rev = np.where(big, np.maximum(rev, 2000.5), np.minimum(rev, 1990.0))
        va = np.round(rev * rng.uniform(0.16, 0.3, n_ent), 2)
        energy = np.round(va * np.exp(rng.normal(np.log(0.18), 0.6, n_ent)), 2)
        rows.append(pd.DataFrame({
            "统一社会信用代码": codes, "企业名称": names, "年度": year, "规模": np.where(big, "规上", "规下"),
            "营业收入(万元)": rev, "税收实际贡献(万元)": np.round(rev * rng.uniform(0.015, 0.07, n_ent), 2),
            "工业增加值(万元)": va, "年平均职工人数": np.maximum(3, np.round(va / rng.uniform(12, 40, n_ent))).astype(int),
            "综合能耗(吨标准煤)": energy, "主要污染物排放量(吨)": np.round(energy * 0.006, 3),
            "R&D经费支出(万元)": np.round(rev * rng.uniform(0, 0.03, n_ent), 2),
            "行业": ind[rng.integers(0, len(ind), n_ent)]}))
    ent = pd.concat(rows, ignore_index=True)
    if fmt == "parquet":
        parcels.to_parquet(out / "parcels.parquet", index=False)
        buildings.to_parquet(out / "buildings.parquet", index=False)
        layer_lines = ['parcels = "parcels.parquet"', 'buildings = "buildings.parquet"']
    else:
        write_gpkg_layers(out / "scale.gpkg", {"parcels": parcels, "buildings": buildings})
        layer_lines = ['parcels = { path = "scale.gpkg", layer = "parcels" }',
                       'buildings = { path = "scale.gpkg", layer = "buildings" }']
    ent.to_csv(out / "enterprises.csv", index=False, encoding="utf-8-sig")
    toml = ["# Synthetic scale-test county from scripts/make_sample_layers.py --parcels "
            f"{n} (no planted cases).", "[workspace]", f'county = "{profile.county}（合成 {n} 宗）"',
            f'admin_code = "{profile.admin_code}"', f'ruleset = "{profile.ruleset}"', f"as_of = {profile.as_of}",
            f'crs = "EPSG:{EPSG}"', "", "[layers]", *layer_lines, "", "[tables]", 'enterprises = "enterprises.csv"', ""]
    (out / "workspace.toml").write_text("\n".join(toml), encoding="utf-8")
    say(f"wrote {out} ({n} parcels, {len(buildings)} buildings, {n_ent} enterprises) in {time.time() - t0:.1f}s")
    return {"parcels": n, "buildings": len(buildings), "enterprises": n_ent, "seconds": time.time() - t0}


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------

def build_county(profile: Profile) -> County:
    """Everything but the writing."""
    rng = np.random.default_rng(profile.seed)
    county = County(profile, rng, build_layout(rng, profile))
    county.rng_admin = np.random.default_rng([profile.seed, 1])     # admin building sizes only
    quads = plant_quadrant_block(county)
    plant_enclave(county)
    plant_gaps(county)
    plant_renovation_plots(county)
    plant_splits(county)
    plant_merges(county, quads)
    assign_ids(county)
    set_zoning(county)
    base_parcel_attributes(county)
    plant_roles(county)
    make_enterprises(county)
    make_buildings(county)
    make_contracts(county)
    make_tenancy_floor_areas(county)
    make_renovations(county)
    realistic_buildings(county)
    make_projects(county)
    make_proposals(county)
    return county


def generate(profile: Profile, out: Path, quiet: bool = False) -> dict:
    """Generate the workspace of ``profile`` into ``out``; returns the manifest."""
    t0 = time.time()
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, file=sys.stderr))
    out.mkdir(parents=True, exist_ok=True)
    county = build_county(profile)
    say(f"built {len(county.parcels)} parcels, {len(county.buildings)} buildings in {time.time() - t0:.1f}s")
    layers = constraint_layers(county)
    vector = {"parcels": parcels_gdf(county), "buildings": buildings_gdf(county)}
    for name in ("water", "parks", "urban_boundary", "basic_farmland", "eco_redline", "zoning"):
        vector[name] = layers[name]
    vector["renovations"] = renovations_gdf(county)
    vector["split_proposals"] = splits_gdf(county)
    write_gpkg_layers(out / profile.gpkg, vector)
    write_shapefile_gbk(out / "roads.shp", layers["roads"])
    # tables
    ent_rows, faults = enterprise_table(county)
    write_xlsx(out / "enterprises.xlsx", "亩均效益数据", list(ENTERPRISE_HEADERS.values()), ent_rows)
    c_rows, c_fmts, unreadable = contract_cells(county)
    write_xlsx(out / "contracts.xlsx", "供地合同", list(CONTRACT_HEADERS.values()), c_rows, c_fmts)
    write_csv(out / "tenancy.csv", list(TENANCY_HEADERS.values()),
              [[h.attrs["parcel_id"], t.uscc, fa] for h, t, fa in county.tenancy])
    yes = lambda v: "是" if v else "否"
    write_csv(out / "projects.csv", list(PROJECT_HEADERS.values()),
              [[r["project_id"], r["uscc"], r["parcel_id"], r["name"], yes(r["key_project"]), r["total_investment"],
                yes(r["under_construction"]), r["built_year"], r["energy_tce"]] for r in county.projects])
    write_csv(out / "merge_proposals.csv", list(MERGE_HEADERS.values()),
              [[r["proposal_id"], r["parcel_ids"], r["buyer_uscc"]] for r in county.merge_rows])
    supply = make_land_supply(county)
    write_csv(out / "land_supply.csv", list(SUPPLY_HEADERS.values()),
              [[r["year"], r["use"], r["area_mu"]] for r in supply])
    shares = {}
    for y in (2021, 2022, 2023):
        tot = sum(r["area_mu"] for r in supply if r["year"] == y)
        ind = sum(r["area_mu"] for r in supply if r["year"] == y and r["use"] == "工业")
        shares[str(y)] = ind / tot
    write_rasters(county, layers, out)
    jzd = write_jzd(county, out)
    (out / "workspace.toml").write_text(workspace_toml(profile, profile.gpkg, [k for k in vector]), encoding="utf-8")
    headers = {"enterprises": list(ENTERPRISE_HEADERS.values()), "contracts": list(CONTRACT_HEADERS.values()),
               "tenancy": list(TENANCY_HEADERS.values()), "projects": list(PROJECT_HEADERS.values()),
               "merge_proposals": list(MERGE_HEADERS.values()), "land_supply": list(SUPPLY_HEADERS.values())}
    counts = {"parcels": len(county.parcels), "buildings": len(county.buildings),
              "enterprises": len(county.enterprises),
              "enterprises_guishang": sum(e.scale == "规上" for e in county.enterprises),
              "enterprise_rows": len(ent_rows), "contracts": len(county.contracts), "tenancy": len(county.tenancy),
              "gaps": len(county.gaps), "roads": len(county.layout.roads)}
    extra = dict(faults=faults, unreadable=unreadable, jzd=jzd, headers=headers, counts=counts,
                 supply={"threshold": profile.supply_threshold, "industrial_share": shares,
                         "years_below_threshold": [int(y) for y, s in shares.items() if s < profile.supply_threshold],
                         "years_at_or_above_threshold": [int(y) for y, s in shares.items()
                                                         if s >= profile.supply_threshold]})
    manifest = build_manifest(county, extra)
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    say(f"wrote {out} in {time.time() - t0:.1f}s")
    return manifest


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--county", choices=sorted(PROFILES), default="tiantai")
    ap.add_argument("--out", type=Path, default=None, help="output folder (default: the profile's, under the repo)")
    ap.add_argument("--parcels", type=int, default=None, help="scale mode: a synthetic county of N parcels")
    ap.add_argument("--format", choices=("parquet", "gpkg"), default="parquet", help="scale mode output format")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    if args.parcels is not None:
        out = args.out or Path(f"/tmp/geo_tenglong_scale_{args.parcels}")
        generate_scale(args.parcels, out, args.format, PROFILES[args.county], quiet=args.quiet)
        return 0
    profile = PROFILES[args.county]
    generate(profile, args.out or ROOT / profile.out, quiet=args.quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
