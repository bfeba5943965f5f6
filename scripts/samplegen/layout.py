"""The county layout: areas, river, ponds, blocks and the Voronoi parcels cut from them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
import shapely.affinity
import shapely.ops
from shapely.geometry import LineString, MultiPoint
from shapely.geometry.base import BaseGeometry

from .geometry import area_outline, largest_polygon, polygons_of, snap
from .profiles import AreaSpec, Profile, anchor_xy
from .roads import road_grid, road_surfaces


def random_points_in(rng: np.random.Generator, poly: BaseGeometry, n: int) -> np.ndarray:
    """``n`` uniform random points inside ``poly`` (rejection sampling)."""
    minx, miny, maxx, maxy = poly.bounds
    out = np.empty((0, 2))
    shapely.prepare(poly)
    while len(out) < n:
        cand = np.column_stack([rng.uniform(minx, maxx, 4 * n), rng.uniform(miny, maxy, 4 * n)])
        out = np.vstack([out, cand[shapely.contains_xy(poly, cand[:, 0], cand[:, 1])]])
    return out[:n]


def voronoi_cells(block: BaseGeometry, seeds: np.ndarray) -> list:
    """Voronoi cells of ``seeds`` clipped to ``block`` (one polygon per seed, in seed order)."""
    vor = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=block, ordered=True)
    return [largest_polygon(c.intersection(block)) for c in vor.geoms]


def grid_seeds(rng: np.random.Generator, block: BaseGeometry, n: int) -> np.ndarray:
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


def subdivide_block(rng: np.random.Generator, block: BaseGeometry, target_m2: float, min_m2: float) -> list:
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



SIZE_TARGETS_M2 = (3200.0, 9000.0, 28000.0, 90000.0)   # small / medium / large / huge blocks
MIN_PARCEL_M2 = 1400.0                                 # a little over 2 亩
MAX_PARCEL_M2 = 100000.0                               # 150 亩

RIVER_WAYPOINTS = ((-9000, 600), (-6800, 450), (-5200, 500), (-3600, -600), (-2400, -1650),
                   (-600, -1700), (1500, -1550), (2500, -1150), (3500, -650), (5000, -600),
                   (7000, -150), (9000, 100))


@dataclass
class Block:
    """A block between roads, with the parcels it is cut into."""

    geom: BaseGeometry
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
    river: BaseGeometry
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


def make_river(rng: np.random.Generator, anchor: tuple[float, float]) -> object:
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


def township_for(spec: AreaSpec, x: float, outline: BaseGeometry) -> tuple[str, str]:
    """The township of a point of an area: the area's townships split west to east."""
    if len(spec.townships) == 1:
        return spec.townships[0]
    minx, _, maxx, _ = outline.bounds
    k = int((x - minx) / (maxx - minx) * len(spec.townships))
    return spec.townships[min(max(k, 0), len(spec.townships) - 1)]


def build_layout(rng: np.random.Generator, profile: Profile) -> Layout:
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


def assign_size_classes(rng: np.random.Generator, profile: Profile, blocks: list) -> tuple:
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


def make_ponds(rng: np.random.Generator, anchor: tuple[float, float], outlines: dict, river: BaseGeometry) -> list:
    """Two small ponds near the river, clear of the areas."""
    avoid = shapely.union_all(list(outlines.values())).buffer(30)
    ponds = []
    for dx, dy in ((-1800, -2500), (6200, 600)):
        p = area_outline(rng, anchor[0] + dx, anchor[1] + dy, 180, 110, rng.uniform(0, 180), 24)
        p = largest_polygon(p.difference(avoid).difference(river))
        if p is not None and p.area > 2000:
            ponds.append(snap(p))
    return ponds
