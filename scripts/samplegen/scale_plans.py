"""Scale mode's ``--plans``: what the neighbour stages need, at rates that scale with the county.

On top of the scale county's blocks of parcels (:mod:`.scale`), vectorised and from a random
stream of its own (so the parcels, buildings and enterprises drawn before stay the same):

- ``roads``: the 24 m strips between blocks as polygons (one to the right of a block, one above it
  with the crossing), ``study_area`` and ``urban_boundary``: the blocks and roads; ``zoning``: one
  polygon per block, ``M1`` but for a few blocks zoned ``B1``; ``basic_farmland`` and
  ``eco_redline``: one polygon each south of the county (so condition (a) has every layer);
- ``parks``: every block of every fifth column and every fifth row of blocks (a park per band
  segment, the parcels' ``park_id`` set); the blocks between the bands — most of the county — lie
  outside parks, islands of up to 4 × 4 blocks whose parcels DQ-CLUSTER links into clusters;
- 双宗 parcels (:data:`DOUBLE_RATE`): two cells of a block joined into one parcel of about 24 亩,
  so a split of it into its cells passes TT-SPLIT's 10 亩 per part;
- left-out parcels (:data:`HOLE_RATE`): cells without a parcel (and their buildings), the
  夹心地 / 边角地 the ``fragments`` stage finds;
- ``renovations`` (about 0.5 % of parcels): plans requesting a strip of a left-out neighbour's land
  along the shared edge (10 %, 15 % or 30 % of the parcel's area; FAR and floor-area share either
  side of condition (c)), plans requesting a strip of a neighbour parcel (not free land: condition
  (a) fails), plans requesting nothing, and 工业大厦 expansions (``expansion_floor_area_m2``,
  ``uscc``) of enterprises on two distant parcels each, 27.5–45 万元 a plan, so TT-VERT's 50 万元
  cap per enterprise binds over both;
- ``split_proposals`` (about 0.2 %): a 双宗 parcel cut into its two cells (passes but for admin-only
  parts or a parcel not completed), an ordinary parcel cut across x between its two buildings (two
  parts under 10 亩) or across y through them;
- ``merge_proposals`` (about 0.2 %): two or three neighbours in a row of a block (adjacent) and pairs
  facing each other across a road between blocks (not adjacent).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .constants import EPSG
from .profiles import Profile
from .scale import SCALE_BLOCK, SCALE_CELL, SCALE_ROAD, ScaleGrid

#: Shares of the parcels: 双宗 parcels, left-out cells, plans on left-out land, plans on a
#: neighbour's land, plans requesting nothing, enterprises with two 工业大厦 expansions, split
#: proposals of ordinary parcels, merge proposals. Each at least its floor in :data:`FLOORS`.
DOUBLE_RATE, HOLE_RATE = 0.001, 0.004
PLOT_RATE, OVERLAP_RATE, EMPTY_RATE, VERT_RATE = 0.003, 0.0005, 0.0005, 0.0005
SPLIT_RATE, MERGE_RATE = 0.001, 0.002
FLOORS = {"double": 4, "hole": 12, "plot": 9, "overlap": 2, "empty": 2, "vert": 2, "split": 4, "merge": 6}
#: A 双宗 parcel's cells are each at least this large (m², 10.05 亩).
MIN_CELL_M2 = 6700.0
#: Share of proposals (parts of a split) naming no buyer, and of buyers drawn from every enterprise.
NO_BUYER, ANY_BUYER = 0.1, 0.2
#: Every PARK_EVERY-th column and row of blocks is park.
PARK_EVERY = 5
#: Share of blocks zoned 商业 (B1) rather than industry.
NON_INDUSTRIAL_BLOCKS = 0.02
PARK_KINDS = ("经济开发区", "创业创新园", "高新区", "老工业园区")
PER_BLOCK = SCALE_BLOCK[0] * SCALE_BLOCK[1]

NORMAL, DOUBLE, JOINED, HOLE = 0, 1, 2, 3


def _count(rate: float, n: int, key: str) -> int:
    return max(FLOORS[key], int(round(rate * n)))


class _Cells:
    """The parcels' cells: block, (a, b) in the block, neighbours, and what became of each."""

    def __init__(self, n: int, grid: ScaleGrid) -> None:
        i = np.arange(n)
        self.n, self.grid = n, grid
        self.block = i // PER_BLOCK
        self.a, self.b = np.divmod(i % PER_BLOCK, SCALE_BLOCK[1])
        self.state = np.full(n, NORMAL, dtype=np.int8)
        self.used = np.zeros(n, dtype=bool)  # named by a plan or proposal already

    def step(self, rows: np.ndarray, da: int, db: int) -> np.ndarray:
        """The cell ``da`` along x and ``db`` along y of each of ``rows`` in the same block, −1 for none."""
        a, b = self.a[rows] + da, self.b[rows] + db
        ok = (a >= 0) & (a < SCALE_BLOCK[0]) & (b >= 0) & (b < SCALE_BLOCK[1])
        j = rows + da * SCALE_BLOCK[1] + db
        return np.where(ok & (j < self.n), j, -1)

    def free(self, rows: np.ndarray) -> np.ndarray:
        """Whether each of ``rows`` (−1 allowed) is an ordinary parcel nothing names yet."""
        r = np.maximum(rows, 0)
        return (rows >= 0) & (self.state[r] == NORMAL) & ~self.used[r]


def _pick(rng: np.random.Generator, cells: _Cells, members: np.ndarray, count: int) -> np.ndarray:
    """Up to ``count`` random rows of ``members`` (k, m) whose cells are all free and distinct; marks them used."""
    members = members[rng.permutation(len(members))]
    members = members[cells.free(members).all(axis=1)]
    flat = pd.Series(members.ravel())
    dup = flat.duplicated().to_numpy().reshape(members.shape).any(axis=1)
    members = members[~dup][:count]
    cells.used[members.ravel()] = True
    return members


def _rect(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> np.ndarray:
    return shapely.box(np.round(x0, 3), np.round(y0, 3), np.round(x1, 3), np.round(y1, 3))


def _strip(coords: np.ndarray, side: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The part of each quad along its side ``side`` (0 left, 1 right, 2 bottom, 3 top), ``t`` of its depth.

    The strip keeps the side's two corners (shared with the neighbour there) and runs ``t`` of the
    way to the opposite side.
    """
    # (s0, s1, o0, o1): the side's corners and the opposite corners, ring positions
    table = np.array([[0, 3, 1, 2], [1, 2, 0, 3], [0, 1, 3, 2], [3, 2, 0, 1]])[side]
    k = np.arange(len(coords))[:, None]
    s0, s1, o0, o1 = (coords[k[:, 0], table[:, c]] for c in range(4))
    t = t[:, None]
    ring = np.stack([s0, s1, np.round(s1 + t * (o1 - s1), 3), np.round(s0 + t * (o0 - s0), 3), s0], axis=1)
    return shapely.polygons(ring)


def _multi(geoms: np.ndarray) -> np.ndarray:
    """Polygons as MultiPolygons (the renovations layer's type)."""
    return np.array([shapely.multipolygons([g]) for g in geoms], dtype=object)


def plan_layers(rng: np.random.Generator, n: int, profile: Profile, anchor: tuple[float, float], coords: np.ndarray,
                parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, owner: np.ndarray, codes: np.ndarray,
                ent: pd.DataFrame) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, dict[str, Any]]:
    """The scale county with its plans, proposals, parks, roads and study area (see the module docstring).

    Parameters
    ----------
    rng : numpy.random.Generator
        The plans' own random stream.
    n : int
    profile : Profile
    anchor : tuple of float
        The county's centre (as given to :func:`.scale.scale_parcel_coords`).
    coords : numpy.ndarray
        The parcels' rings (n, 5, 2).
    parcels, buildings : GeoDataFrame
        The scale county's layers (not modified).
    owner : numpy.ndarray
        Each parcel's enterprise (index into ``codes``).
    codes : numpy.ndarray
        The enterprises' 统一社会信用代码.
    ent : DataFrame
        The 亩均效益 table (:func:`.scale.scale_enterprises`): buyers are drawn mostly from the
        tenth of enterprises paying the most tax per 亩 (likely class A/B), the rest from all.

    Returns
    -------
    parcels, buildings : GeoDataFrame
        Without the left-out and joined cells, 双宗 parcels joined, ``park_id`` set.
    extra : dict
        Layer or table name → GeoDataFrame / DataFrame: ``roads``, ``study_area``, ``urban_boundary``,
        ``zoning``, ``basic_farmland``, ``eco_redline``, ``parks``, ``renovations``,
        ``split_proposals``, ``merge_proposals`` (a table).
    """
    grid = ScaleGrid.of(n, anchor)
    cells = _Cells(n, grid)
    ids = parcels["parcel_id"].to_numpy(dtype=object)
    crs = f"EPSG:{EPSG}"
    land = shapely.area(parcels.geometry.to_numpy())
    bld_parcel = pd.Index(ids).get_indexer(buildings["parcel_id"].to_numpy(dtype=object))
    floor_now = np.bincount(bld_parcel, weights=shapely.area(buildings.geometry.to_numpy())
                            * buildings["floors"].to_numpy(dtype=float), minlength=n)

    # 双宗 parcels: cell (a, b) with b even joined with (a, b + 1)
    heads = np.flatnonzero(cells.b % 2 == 0)
    tails = cells.step(heads, 0, 1)
    # both cells of at least MIN_CELL_M2, so that each part of the split into them holds 10 亩
    big = (land[heads] >= MIN_CELL_M2) & (land[np.maximum(tails, 0)] >= MIN_CELL_M2)
    pairs = _pick(rng, cells, np.column_stack([heads, tails])[big], _count(DOUBLE_RATE, n, "double"))
    cells.state[pairs[:, 0]], cells.state[pairs[:, 1]] = DOUBLE, JOINED
    # left-out cells
    holes = _pick(rng, cells, np.arange(n)[:, None], _count(HOLE_RATE, n, "hole"))[:, 0]
    cells.state[holes] = HOLE

    renovations = _renovations(rng, n, cells, coords, ids, land, floor_now, holes, owner, codes)
    tax = ent.groupby("统一社会信用代码")["税收实际贡献(万元)"].sum().reindex(codes).to_numpy()
    per_land = tax / np.maximum(np.bincount(owner, weights=land, minlength=len(codes)), 1.0)
    pool = (codes[per_land >= np.quantile(per_land, 0.9)], codes)
    splits = _splits(rng, n, cells, coords, ids, pairs, pool)
    merges = _merges(rng, n, cells, ids, pool)

    geoms = parcels.geometry.to_numpy().copy()
    double_rings = np.concatenate([coords[pairs[:, 0], :3], coords[pairs[:, 1], 2:4], coords[pairs[:, 0], 3:]], axis=1)
    geoms[pairs[:, 0]] = shapely.polygons(double_rings)
    out = parcels.set_geometry(geoms)
    block_park, parks = _parks(rng, grid, profile)
    park_of = block_park[cells.block]
    out["park_id"] = np.where(park_of >= 0, parks["park_id"].to_numpy(dtype=object)[np.maximum(park_of, 0)], None)
    keep = np.isin(cells.state, [NORMAL, DOUBLE])
    moved = np.where(bld_parcel >= 0, bld_parcel, 0)
    moved = np.where(cells.state[moved] == JOINED, moved - 1, moved)  # a joined cell's buildings go to its head
    bld = buildings.assign(parcel_id=ids[moved])[cells.state[moved] != HOLE].reset_index(drop=True)
    area = _study_area(grid)
    extra = {"roads": _roads(grid, crs), "study_area": gpd.GeoDataFrame({"name": ["研究范围"]}, geometry=[area], crs=crs),
             "urban_boundary": gpd.GeoDataFrame({"id": ["UB1"], "name": ["城镇开发边界"]}, geometry=[area], crs=crs),
             "zoning": _zoning(rng, grid, crs), **_protected(grid, crs), "parks": parks.set_crs(crs),
             "renovations": gpd.GeoDataFrame(renovations, geometry="geometry", crs=crs),
             "split_proposals": gpd.GeoDataFrame(splits, geometry="geometry", crs=crs), "merge_proposals": merges}
    return out[keep].reset_index(drop=True), bld, extra


def _renovations(rng: np.random.Generator, n: int, cells: _Cells, coords: np.ndarray, ids: np.ndarray,
                 land: np.ndarray, floor_now: np.ndarray, holes: np.ndarray, owner: np.ndarray,
                 codes: np.ndarray) -> pd.DataFrame:
    """The ``renovations`` layer's rows (geometry = the plots requested, MultiPolygon, empty for none)."""
    steps = ((-1, 0, 0), (1, 0, 1), (0, -1, 2), (0, 1, 3))  # (da, db): the plan's cell from the target; the target's side facing it

    def beside(targets: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Plans on a free neighbour of each target, requesting a strip of the target along their edge."""
        which = rng.integers(0, 4, len(targets))
        plan, target, side = [], [], []
        for k, (da, db, back) in enumerate(steps):
            sel = targets[which == k]
            nb = cells.step(sel, da, db)
            ok = cells.free(nb)
            plan.append(nb[ok])
            target.append(sel[ok])
            side.append(np.full(ok.sum(), back))
        p, t, s = np.concatenate(plan), np.concatenate(target), np.concatenate(side)
        p, first = np.unique(p, return_index=True)
        t, s = t[first], s[first]
        order = rng.permutation(len(p))[:count]
        cells.used[p[order]] = True
        return p[order], t[order], s[order]

    # strips of left-out land: 10 %, 15 % (pass (b)) or 30 % (fail) of the plan's parcel
    p1, t1, s1 = beside(holes, _count(PLOT_RATE, n, "plot"))
    share = rng.choice(np.array([0.10, 0.15, 0.30]), len(p1), p=[0.4, 0.35, 0.25])
    depth = np.clip(share * land[p1] / shapely.area(shapely.polygons(coords[t1])), 0.02, 1.0)
    plots1 = _strip(coords[t1], s1, depth)
    # strips of a neighbour parcel's land (not free: (a) fails)
    normal = np.flatnonzero(cells.state == NORMAL)
    p2, t2, s2 = beside(normal[rng.permutation(len(normal))[:50 * _count(OVERLAP_RATE, n, "overlap")]],
                        _count(OVERLAP_RATE, n, "overlap"))
    plots2 = _strip(coords[t2], s2, np.full(len(p2), 0.1))
    p3 = _pick(rng, cells, normal[:, None], _count(EMPTY_RATE, n, "empty"))[:, 0]
    # two 工业大厦 expansions of one enterprise on two of its parcels (drawn anywhere: far apart)
    free = np.flatnonzero(cells.free(np.arange(n)))
    firsts = pd.DataFrame({"owner": owner[free], "row": free}).groupby("owner")["row"].agg(["first", "last", "size"])
    firsts = firsts[firsts["size"] >= 2]
    take = firsts.iloc[rng.permutation(len(firsts))[:_count(VERT_RATE, n, "vert")]]
    p4 = np.column_stack([take["first"].to_numpy(), take["last"].to_numpy()]).ravel()
    cells.used[p4] = True

    rows = np.concatenate([p1, p2, p3, p4])
    k1, k2, k3, k4 = len(p1), len(p2), len(p3), len(p4)
    empty = shapely.from_wkt("MULTIPOLYGON EMPTY")
    geometry = np.concatenate([_multi(plots1), _multi(plots2), np.full(k3 + k4, empty, dtype=object)])
    good_c = rng.random(len(rows)) < 0.75
    base = np.maximum(floor_now[rows], 0.5 * land[rows])
    after = np.round(base * np.where(good_c, 1.6, 1.05), 2)
    renovated = np.round(after * np.where(good_c, 0.25, 0.10), 2)
    expansion = np.zeros(len(rows))
    expansion[k1 + k2 + k3:] = np.round(rng.uniform(5500.0, 9000.0, k4), 2)
    after[k1 + k2 + k3:] = np.nan        # TT-VERT: the floor area now plus the expansion
    renovated[k1 + k2 + k3:] = expansion[k1 + k2 + k3:]
    equipment = np.round(rng.uniform(300.0, 3000.0, len(rows)), 2)
    uscc = np.full(len(rows), None, dtype=object)
    uscc[k1 + k2 + k3:] = codes[owner[p4]]
    return pd.DataFrame({
        "renovation_id": [f"JG{k + 1:06d}" for k in range(len(rows))], "parcel_id": ids[rows], "uscc": uscc,
        "floor_area_after_m2": after, "renovation_floor_area_m2": renovated, "expansion_floor_area_m2": expansion,
        "accepted": np.r_[rng.random(k1 + k2 + k3) < 0.5, np.ones(k4, dtype=bool)],
        "equipment_investment": equipment, "total_investment": np.round(equipment * rng.uniform(1.5, 3.0, len(rows)), 2),
        "leased_plant_m2": 0.0, "geometry": geometry})


def _buyers(rng: np.random.Generator, pool: tuple[np.ndarray, np.ndarray], k: int) -> np.ndarray:
    """``k`` buyers: random enterprises of ``pool[0]`` (the best) or, for :data:`ANY_BUYER` of
    them, of ``pool[1]`` (all); :data:`NO_BUYER` of them left blank."""
    best, every = pool
    buyer = np.where(rng.random(k) < ANY_BUYER, every[rng.integers(0, len(every), k)],
                     best[rng.integers(0, len(best), k)]).astype(object)
    buyer[rng.random(k) < NO_BUYER] = None
    return buyer


def _splits(rng: np.random.Generator, n: int, cells: _Cells, coords: np.ndarray, ids: np.ndarray,
            pairs: np.ndarray, pool: tuple[np.ndarray, np.ndarray]) -> pd.DataFrame:
    """The ``split_proposals`` layer's rows: two parts each."""
    normal = np.flatnonzero(cells.state == NORMAL)
    ordinary = _pick(rng, cells, normal[:, None], _count(SPLIT_RATE, n, "split"))[:, 0]
    q = coords[ordinary]
    p0, p1, p2, p3 = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
    across_y = rng.random(len(ordinary)) < 0.4   # through both buildings
    m01, m32 = np.round((p0 + p1) / 2, 3), np.round((p3 + p2) / 2, 3)
    m03, m12 = np.round((p0 + p3) / 2, 3), np.round((p1 + p2) / 2, 3)
    left = np.stack([p0, m01, m32, p3, p0], axis=1)
    right = np.stack([m01, p1, p2, m32, m01], axis=1)
    low = np.stack([p0, p1, m12, m03, p0], axis=1)
    high = np.stack([m03, m12, p2, p3, m03], axis=1)
    first = np.where(across_y[:, None, None], low, left)
    second = np.where(across_y[:, None, None], high, right)
    parcel = np.concatenate([pairs[:, 0], ordinary])
    part1 = np.concatenate([coords[pairs[:, 0]], first])
    part2 = np.concatenate([coords[pairs[:, 1]], second])
    k = len(parcel)
    pid = [f"FG{j + 1:06d}" for j in range(k)]
    return pd.DataFrame({"proposal_id": pid * 2, "parcel_id": np.tile(ids[parcel], 2),
                         "part_no": np.repeat([1, 2], k), "buyer_uscc": _buyers(rng, pool, 2 * k),
                         "geometry": np.concatenate([shapely.polygons(part1), shapely.polygons(part2)])}
                        ).sort_values(["proposal_id", "part_no"], kind="stable").reset_index(drop=True)


def _merges(rng: np.random.Generator, n: int, cells: _Cells, ids: np.ndarray,
            pool: tuple[np.ndarray, np.ndarray]) -> pd.DataFrame:
    """The ``merge_proposals`` table (Chinese headers, as bureaus send it)."""
    count = _count(MERGE_RATE, n, "merge")
    rows = np.arange(n)
    two = _pick(rng, cells, np.column_stack([rows, cells.step(rows, 1, 0)]), int(count * 0.45))
    three = _pick(rng, cells, np.column_stack([rows, cells.step(rows, 1, 0), cells.step(rows, 2, 0)]),
                  int(count * 0.2))
    top = np.flatnonzero(cells.b == SCALE_BLOCK[1] - 1)
    facing = (cells.block[top] + cells.grid.gx) * PER_BLOCK + cells.a[top] * SCALE_BLOCK[1]  # (a, 0) of the block above
    facing = np.where(facing < n, facing, -1)
    across = _pick(rng, cells, np.column_stack([top, facing]), count - len(two) - len(three))
    named = [";".join(ids[r]) for r in [*two, *three, *across]]
    buyer = _buyers(rng, pool, len(named))
    return pd.DataFrame({"方案编号": [f"HB{k + 1:06d}" for k in range(len(named))], "合并宗地代码": named,
                         "受让方统一社会信用代码": buyer})


def _parks(rng: np.random.Generator, grid: ScaleGrid, profile: Profile) -> tuple[np.ndarray, gpd.GeoDataFrame]:
    """Each block's park (−1: outside) and the ``parks`` layer: one park per band segment of blocks."""
    blk = np.arange(grid.nb)
    c, r = blk % grid.gx, blk // grid.gx
    row_band, col_band = r % PARK_EVERY == 0, c % PARK_EVERY == 0
    # a row band's segment: PARK_EVERY blocks of the row; a column band's: the blocks between row bands
    key = np.where(row_band, r * grid.gx + c // PARK_EVERY, grid.nb * 2 + (r // PARK_EVERY) * grid.gx + c)
    inside = row_band | col_band
    codes, block_park = np.unique(key[inside], return_inverse=True)
    park = np.full(grid.nb, -1, dtype=np.int64)
    park[inside] = block_park
    x0, y0 = grid.origins()
    w, h = SCALE_BLOCK[0] * SCALE_CELL[0], SCALE_BLOCK[1] * SCALE_CELL[1]
    ext = pd.DataFrame({"park": block_park, "x0": x0[inside], "y0": y0[inside],
                        "x1": x0[inside] + w, "y1": y0[inside] + h}).groupby("park").agg(
        {"x0": "min", "y0": "min", "x1": "max", "y1": "max"})
    k = len(codes)
    kinds = np.array(PARK_KINDS)[rng.integers(0, len(PARK_KINDS), k)]
    layer = gpd.GeoDataFrame({
        "park_id": [f"P{j + 1:05d}" for j in range(k)],
        "name": [f"{profile.county}合成工业园区{j + 1}号" for j in range(k)], "kind": kinds,
        "standard_land_rules": kinds != "老工业园区"},
        geometry=_rect(ext["x0"].to_numpy(), ext["y0"].to_numpy(), ext["x1"].to_numpy(), ext["y1"].to_numpy()))
    return park, layer


def _roads(grid: ScaleGrid, crs: str) -> gpd.GeoDataFrame:
    """The road strips: right of a block when a block follows in its row, above it (with the crossing
    when a block follows) unless in the top row."""
    blk = np.arange(grid.nb)
    c, r = blk % grid.gx, blk // grid.gx
    x0, y0 = grid.origins()
    # the next block's corner as the parcels' corners are computed (ox + c * bw), so that the edges coincide
    x_next, y_next = grid.ox + (c + 1) * grid.bw, grid.oy + (r + 1) * grid.bh
    w, h = SCALE_BLOCK[0] * SCALE_CELL[0], SCALE_BLOCK[1] * SCALE_CELL[1]
    right = (c < grid.gx - 1) & (blk + 1 < grid.nb)
    above = r < grid.gy - 1
    vert = _rect((x0 + w)[right], y0[right], x_next[right], (y0 + h)[right])
    # the crossing belongs to the strip above when a block lies to the right in that row or the next
    wide = above & (c < grid.gx - 1) & ((blk + 1 < grid.nb) | (blk + 1 + grid.gx < grid.nb))
    hor = _rect(x0[above], (y0 + h)[above], np.where(wide, x_next, x0 + w)[above], y_next[above])
    geoms = np.concatenate([vert, hor])
    k = len(geoms)
    return gpd.GeoDataFrame({"road_id": [f"DL{j + 1:06d}" for j in range(k)],
                             "name": [f"合成{'纵' if j < len(vert) else '横'}路{j + 1}" for j in range(k)],
                             "road_class": "支路", "width_m": SCALE_ROAD}, geometry=geoms, crs=crs)


def _study_area(grid: ScaleGrid) -> Any:
    """The blocks and roads: one rectangle per row of blocks (with the road above it), unioned."""
    rows = np.arange(grid.gy)
    count = np.minimum(grid.gx, grid.nb - rows * grid.gx)
    w, h = SCALE_BLOCK[0] * SCALE_CELL[0], SCALE_BLOCK[1] * SCALE_CELL[1]
    y0 = grid.oy + rows * grid.bh
    # a row's road above reaches as far as the row above's blocks do
    reach = np.maximum(count, np.r_[count[1:], 0])
    x1 = grid.ox + (count - 1) * grid.bw + w
    road_x1 = grid.ox + (reach - 1) * grid.bw + w
    top = rows < grid.gy - 1
    boxes = np.concatenate([_rect(np.full(grid.gy, grid.ox), y0, x1, y0 + h),
                            _rect(np.full(top.sum(), grid.ox), (y0 + h)[top], road_x1[top],
                                  grid.oy + (rows + 1)[top] * grid.bh)])
    return shapely.union_all(boxes)


def _zoning(rng: np.random.Generator, grid: ScaleGrid, crs: str) -> gpd.GeoDataFrame:
    """The 控规: one polygon per block, ``M1`` 一类工业用地 but a few ``B1`` 商业用地."""
    x0, y0 = grid.origins()
    w, h = SCALE_BLOCK[0] * SCALE_CELL[0], SCALE_BLOCK[1] * SCALE_CELL[1]
    business = rng.random(grid.nb) < NON_INDUSTRIAL_BLOCKS
    return gpd.GeoDataFrame({"zone_id": [f"KG{j + 1:06d}" for j in range(grid.nb)],
                             "land_use_code": np.where(business, "B1", "M1"),
                             "land_use_name": np.where(business, "商业用地", "一类工业用地")},
                            geometry=_rect(x0, y0, x0 + w, y0 + h), crs=crs)


def _protected(grid: ScaleGrid, crs: str) -> dict[str, gpd.GeoDataFrame]:
    """永久基本农田 and 生态保护红线: one polygon each, south of the county."""
    x1 = grid.ox + grid.gx * grid.bw
    mid = (grid.ox + x1) / 2
    y = grid.oy - 2000.0
    return {"basic_farmland": gpd.GeoDataFrame({"id": ["JBNT1"], "name": ["永久基本农田"]},
                                               geometry=[shapely.box(grid.ox, y, mid - 100.0, y + 1500.0)], crs=crs),
            "eco_redline": gpd.GeoDataFrame({"id": ["STHX1"], "name": ["生态保护红线"]},
                                            geometry=[shapely.box(mid + 100.0, y, x1, y + 1500.0)], crs=crs)}
