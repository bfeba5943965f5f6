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
``manifest.json`` (keys ``idle.*``, ``corners.*``, ``renovation.*``, ``split.*``, ``merge.*``,
``efficiency.*``, ``rating.*``, ``intensity.*``, ``housing.*``, ``keep.*``, ``supply.*``,
``faults.*``, ``imagery.*``, ``headers``). Values sit exactly where thresholds bite: tax set so that
``tax / (planar area / (10000/15))`` is exactly 10.0 or 5.0; requested corner plots of exactly
20 % of a parcel or exactly 10 亩 (found by bisection on the polygon area); split parts of exactly
10 亩 and of 9.999 亩. See the manifest's ``_about`` entry for one line per key.

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

import geopandas as gpd  # noqa: E402
import pandas as pd  # noqa: E402
import pyogrio  # noqa: E402
import pyproj  # noqa: E402
import shapely  # noqa: E402
from shapely.geometry import LineString, MultiPoint, Point, Polygon, box  # noqa: E402

from geo_tenglong.uscc import ALPHABET, WEIGHTS, check_char  # noqa: E402

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
        AreaSpec("c_luoshe", "洛舍集聚点", None, 1200, 2600, 500, 380, 18, (180, 260),
                 (_dq("洛舍镇"),), (0.55, 0.40, 0.05, 0.0)),
        AreaSpec("c_yuyue", "禹越集聚点", None, -1200, -3200, 520, 380, -20, (180, 260),
                 (_dq("禹越镇"),), (0.55, 0.40, 0.05, 0.0)),
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
    """Snap geometries to the cadastral 1 mm grid, keeping them valid."""
    return shapely.set_precision(geoms, GRID)


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
    else:
        origin = ex[0]
    length, depth = np.hypot(*e1), np.hypot(*e2)
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
    import shapely.ops  # noqa: F401  (substring)

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
        b.cells = [snap(c) for c in subdivide_block(rng, b.geom, target, MIN_PARCEL_M2)]
    ponds = make_ponds(rng, (ax, ay), outlines, river)
    return Layout((ax, ay), outlines, roads, blocks, river, ponds, parks)


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
    gap = strip(hi)
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
        i = county.pick("gap", lambda i, p: small(i, p) and parkcond(p) and is_enclosed(county, i))
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
        def fits(i, p):
            if not (lo * M2_PER_MU < p.area < hi * M2_PER_MU):
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
                county.renov_plots[rid] = (i, gap, key)
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
        def fits(i, p):
            if not (lo * M2_PER_MU < p.area < hi * M2_PER_MU) or p.geom.interiors:
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
        county.splits[sid] = dict(index=i, key=key, parts=parts, cuts=cuts)


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
        return [i, j]

    county.merges["M01"] = ("merge.pass", pair("merge"))
    county.merges["M02"] = ("merge.fail_corner_touch", [quads[0], quads[2]])
    county.merges["M03"] = ("merge.fail_rights_type", pair("merge"))
    county.merges["M04"] = ("merge.pass_term_unified", pair("merge"))
    county.merges["M05"] = ("merge.fail_buyer_rating", pair("merge"))
    county.merges["M06"] = ("merge.pass", [quads[1], quads[2]])


def assign_ids(county: County) -> None:
    """宗地代码 for every parcel: admin code + township + 街坊 (block, numbered north to south) +
    ``GB`` + sequence number (west to east, with the small gaps real cadastres have)."""
    admin = county.profile.admin_code
    county.parcels = [p for p in county.parcels if p is not None]
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
