"""零星边角地、夹心地: the unallocated land between parcels, roads and water (TT-CORNER, 天台 四(六)).

How the plots are found (the geoplanar approach, tiled so that it scales to a province):

1. The study area is the ``study_area`` layer when the workspace has one, else the 城镇开发边界
   (``urban_boundary``) together with the 控规 coverage (see :func:`study_area_of`); with none of
   them, only land *enclosed* by parcels, roads and water is sought.
2. The extent is cut into rectangular tiles by recursive median splits (a k-d tree), so that
   every tile holds about the same number of parcels, roads and water polygons whatever the
   density. Plots can be arbitrarily large, so no fixed halo bounds them: the tiles are the
   partition, and every feature within :data:`TILE_MARGIN_M` of a tile is that tile's halo (large
   ones clipped to the tile grown by that margin, :func:`_tile_jobs`).
3. Each tile, on its own (:func:`tile_gaps`, a job of ``map_tiles``): drops the boundary segments
   of its features with occupied land on both sides — those shared exactly by two neighbours
   (found by sorting) and those whose far side lies inside one feature (one STRtree query), most
   of a province's linework —, clips the rest and the study area's boundary to the tile, nodes
   them with the tile's frame (:func:`shapely.union_all`) and polygonizes: the faces of the
   planar partition. One representative point per face, tested against the tile's features and
   study area, drops the faces covered by a parcel, road or water, or outside the study area. It
   returns the unallocated faces, each flagged whether it reaches the tile's frame.
4. Faces not reaching a frame are whole plots. Those reaching one are joined in the calling
   process (the ``run`` process with ``--engine dask``): faces sharing an edge (a plot cut by a
   tile frame) are dissolved into one plot, once. Without a study area, a plot reaching the
   features' envelope is not enclosed: its faces are dropped without being dissolved.

The tiles are independent: with ``--engine dask`` they run on the workers (``map_tiles`` of
:func:`geo_tenglong.engine.dask.tile_map`), in one process one after another (:func:`_each`) —
the same code and the same jobs, so the same plots, byte for byte. So do the plots' widths and
condition (a) below, the costly part of describing them (:func:`plot_measures`, batches of
:data:`PLOTS_PER_JOB` plots, each with the constraint polygons meeting its plots); the boundary
each plot shares with parcels, roads, water and the edge, the kinds and the offers are measured
in the calling process (one STRtree query each).

Each plot is then described — area (m², 亩), width (twice the radius of its largest inscribed
circle), Polsby–Popper compactness 4πA/P², and the length of boundary it shares with each parcel,
with roads, water and the study-area edge — and classified: 狭长碎片 (narrower than the ruleset's
sliver width: survey noise, reported apart), 夹心地 (its whole boundary shared with parcels), 边角地
(shares boundary with a parcel and with a road, water or the edge) or 其他空闲地 (touches no parcel,
so no enterprise can take it under 四(六)). Boundary sharing is measured per boundary segment: the
plots are built from the features' own noded linework, so each segment lies along one feature.

Condition (a), compliance with plans, is measured on each plot: its part inside the 城镇开发边界,
outside 永久基本农田 and 生态保护红线 and zoned for industry is its usable area; the reason lists what
the rest falls foul of. A missing constraint layer makes that part ``missing_data``.

Who could take a plot: the enterprises holding the parcels it shares boundary with (a corner touch
is no share), ordered by shared length, each up to min(20 % of the parcel's area, 10 亩) — the
``fragment_offers`` table. The site of a 零增地技改 is a parcel (a plan names one ``parcel_id``), so
the "original land" is that parcel's area.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .. import units
from ..findings import fmt_value
from ..stage import StageResult
from ..values import polygon_parts

if TYPE_CHECKING:
    from ..results import Results
    from ..workspace import Workspace

RULE_ID = "TT-CORNER"

ENCLOSED = "夹心地"
CORNER = "边角地"
SLIVER = "狭长碎片"
OPEN = "其他空闲地"
KINDS = (ENCLOSED, CORNER, SLIVER, OPEN)

#: Columns of the ``fragments`` layer (before the geometry).
FRAGMENT_COLUMNS = [
    "fragment_id", "kind", "area_m2", "area_mu", "width_m", "perimeter_m", "compactness",
    "parcel_count", "neighbours", "parcel_shared_m", "road_shared_m", "water_shared_m", "edge_shared_m",
    "compliant", "compliance", "usable_area_m2", "usable_area_mu", "reason",
]
#: Columns of the ``fragment_offers`` table.
OFFER_COLUMNS = [
    "fragment_id", "kind", "rank", "parcel_id", "holder_uscc", "holder_name", "eval_class", "shared_length_m",
    "parcel_area_m2", "cap_m2", "cap_mu", "fragment_area_m2", "usable_area_m2", "max_take_m2", "max_take_mu",
    "whole_plot",
]

#: Shared boundary is measured to this distance (m) on plots built from the features' own linework.
EXACT_TOLERANCE_M = 1e-3
#: How far (m) a boundary segment is moved to test what lies on its far side (see _open_segments):
#: about a hundred units in the last place of Gauss-Krüger coordinates with the zone prefix.
PROBE_OFFSET_M = 1e-6

_EMPTY_POLY = shapely.Polygon()

#: ``map_tiles(func, jobs)``: ``func(*job)`` for each job, the results in the jobs' order (see
#: :func:`find_gaps`; the dask engine runs them on its workers).
TileMap = Callable[[Callable[..., Any], Iterable[tuple]], Iterable[Any]]
#: A tile's job holds the features and study area within this distance (m) of the tile.
TILE_MARGIN_M = 1.0
#: Features with more vertices than this that reach beyond the margin are sent clipped to it.
CLIP_ABOVE_VERTICES = 64


# --------------------------------------------------------------------------------------------
# finding the gaps
# --------------------------------------------------------------------------------------------


def kd_tiles(centres: np.ndarray, extent, max_per_tile: int = 2000) -> np.ndarray:
    """Cut ``extent`` into rectangles holding at most ``max_per_tile`` of the points ``centres``.

    Recursive median splits along the longer side (a k-d tree's leaves), so that dense and sparse
    parts of a province get tiles of similar load.

    Parameters
    ----------
    centres : ndarray, shape (n, 2)
    extent : sequence of 4 floats
        ``xmin, ymin, xmax, ymax``, covering every point.
    max_per_tile : int

    Returns
    -------
    ndarray, shape (k, 4)
        The tiles' bounds; they cover ``extent`` without overlapping.

    Examples
    --------
    >>> pts = np.array([[0.5, 0.5], [1.5, 0.5], [2.5, 0.5], [3.5, 0.5]])
    >>> kd_tiles(pts, (0, 0, 4, 1), max_per_tile=2).tolist()
    [[0.0, 0.0, 2.0, 1.0], [2.0, 0.0, 4.0, 1.0]]
    """
    out = []
    stack = [(np.asarray(extent, dtype=float), np.asarray(centres, dtype=float).reshape(-1, 2))]
    while stack:
        box, pts = stack.pop()
        x0, y0, x1, y1 = box
        if len(pts) <= max_per_tile or (x1 - x0) < 1e-6 and (y1 - y0) < 1e-6:
            out.append(box)
            continue
        axis = 0 if (x1 - x0) >= (y1 - y0) else 1
        lo, hi = box[axis], box[axis + 2]
        cut = float(np.median(pts[:, axis]))
        if not lo < cut < hi:  # points piled on the tile's edge: halve the tile instead
            cut = (lo + hi) / 2.0
        left = pts[:, axis] < cut
        a, b = box.copy(), box.copy()
        a[axis + 2] = cut
        b[axis] = cut
        stack.append((b, pts[~left]))
        stack.append((a, pts[left]))
    return np.array(out, dtype=float).reshape(-1, 4)


def _open_segments(occ: np.ndarray, offset_m: float = PROBE_OFFSET_M) -> np.ndarray:
    """The boundary segments of ``occ`` that may border unallocated land, as 2-point lines.

    A segment with occupied land on both sides cannot bound a gap, and dropping it only merges
    occupied faces. Exteriors are oriented counter-clockwise and holes clockwise, so every feature
    lies on the left of its own segments; a segment is dropped when

    1. the same segment (same end points) also occurs in the opposite direction — a boundary shared
       exactly by two neighbours (most of them: parcels are cut from one block); or
    2. a copy of it moved ``offset_m`` to its right lies properly inside one feature — a parcel's
       edge along a road surface, or a short edge against a neighbour's long one (a T-junction).

    Segments kept are those along free land, the study-area edge, or several features at once
    (kept to be safe), plus dropped ones continuing from a kept segment's loose end (see
    :func:`_dangling_neighbours`). Only free land narrower than ``offset_m`` along a segment's
    whole length could be missed, so the offset is tiny: a wide gap reached through a
    sub-millimetre crack between two parcels must keep the crack's edges, or its ring would not
    close.
    """
    if not len(occ):
        return np.empty(0, dtype=object)
    rings = shapely.get_rings(shapely.orient_polygons(occ))
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    s = np.flatnonzero(ring[:-1] == ring[1:])
    a, b = coords[s], coords[s + 1]
    nonzero = np.any(a != b, axis=1)
    a, b = a[nonzero], b[nonzero]
    fwd = (a[:, 0] < b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] < b[:, 1]))
    p = np.where(fwd[:, None], a, b)
    q = np.where(fwd[:, None], b, a)
    order = np.lexsort((q[:, 1], q[:, 0], p[:, 1], p[:, 0]))
    key = np.column_stack([p, q])[order]
    new = np.r_[True, np.any(key[1:] != key[:-1], axis=1)]
    group = np.cumsum(new) - 1
    f = fwd[order]
    has_f = np.zeros(group[-1] + 1, dtype=bool)
    has_b = np.zeros(group[-1] + 1, dtype=bool)
    has_f[group[f]] = True
    has_b[group[~f]] = True
    first = order[np.flatnonzero(new)]  # one copy of every distinct segment
    two_sided = has_f & has_b
    a, b = a[first], b[first]
    one = ~two_sided
    d = b[one] - a[one]
    length = np.hypot(d[:, 0], d[:, 1])
    unit = d / length[:, None]
    right = np.column_stack([unit[:, 1], -unit[:, 0]])
    shrink = np.minimum(offset_m, length / 4.0)[:, None]
    moved = shapely.linestrings(np.stack([a[one] + right * offset_m + unit * shrink,
                                          b[one] - unit * shrink + right * offset_m], axis=1))
    inside = np.zeros(len(moved), dtype=bool)
    inside[shapely.STRtree(moved).query(occ, predicate="contains_properly")[1]] = True
    keep = np.zeros(len(a), dtype=bool)
    keep[np.flatnonzero(one)[~inside]] = True
    keep |= _dangling_neighbours(a, b, keep)
    return shapely.linestrings(np.stack([a[keep], b[keep]], axis=1))


def _dangling_neighbours(a: np.ndarray, b: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Dropped segments to restore because they end where a kept segment dangles.

    A kept segment ending on another feature's edge (a T-junction) touches it only up to rounding:
    its end may miss the edge by 1e-10 m and noding would leave the ring of the gap open. The
    dropped segment that continued from that end (along the edge it meets) closes it again.
    """
    ends = np.concatenate([a[keep], b[keep]])
    if not len(ends):
        return np.zeros(len(a), dtype=bool)
    pts = ends[:, 0] + 1j * ends[:, 1]
    uniq, count = np.unique(pts, return_counts=True)
    loose = uniq[count == 1]
    za, zb = a[:, 0] + 1j * a[:, 1], b[:, 0] + 1j * b[:, 1]
    return ~keep & (np.isin(za, loose) | np.isin(zb, loose))


def _each(func: Callable[..., Any], jobs: Iterable[tuple]) -> Iterable[Any]:
    """The tiles one after another in this process, as they are asked for."""
    return (func(*job) for job in jobs)


def _tile_faces(bounds, lines: np.ndarray) -> np.ndarray:
    """The faces of the planar partition made by ``lines`` clipped to one tile and its frame."""
    x0, y0, x1, y1 = bounds
    clipped = shapely.clip_by_rect(lines, x0, y0, x1, y1)
    clipped = clipped[~shapely.is_empty(clipped)]
    frame = shapely.box(x0, y0, x1, y1).exterior
    noded = shapely.union_all(np.concatenate([clipped, [frame]]))
    return shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))


def tile_gaps(bounds, features: np.ndarray, area: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """One tile's unallocated faces, and which of them reach the tile's frame (one job of :func:`find_gaps`).

    Parameters
    ----------
    bounds : sequence of 4 floats
        The tile.
    features : ndarray of Polygon
        Every occupied polygon within :data:`TILE_MARGIN_M` of the tile (large ones clipped to the
        tile grown by that margin).
    area : ndarray of Polygon
        The study area's polygons within that margin of the tile, clipped the same way.
    eps : float
        A face whose bounds come this close to the frame reaches it.

    Returns
    -------
    faces : ndarray of Polygon
        The tile's faces covered by no feature and inside the study area.
    at_frame : ndarray of bool
        Faces reaching the tile's frame: they may go on in the next tile.

    Notes
    -----
    Inside the tile the features and the study area are whole, so this is the county-wide answer
    restricted to the tile: a segment the tile keeps (see :func:`_open_segments`) that the county
    would have dropped has occupied land on both sides and only splits occupied faces.
    """
    lines = np.concatenate([_open_segments(features), shapely.get_parts(shapely.boundary(area))])
    faces = _tile_faces(bounds, lines)
    if len(faces):
        pts = representative_points(faces)
        keep = np.zeros(len(faces), dtype=bool)
        keep[shapely.STRtree(area).query(pts, predicate="within")[0]] = True
        if len(features):
            # "intersects", not "within": a face's point may lie on a dropped edge between two features
            keep[shapely.STRtree(features).query(pts, predicate="intersects")[0]] = False
        faces = faces[keep]
    fb = shapely.bounds(faces).reshape(-1, 4)
    x0, y0, x1, y1 = bounds
    at_frame = ((fb[:, 0] <= x0 + eps) | (fb[:, 1] <= y0 + eps) | (fb[:, 2] >= x1 - eps) | (fb[:, 3] >= y1 - eps))
    return faces, at_frame


def representative_points(polys: np.ndarray) -> np.ndarray:
    """A point inside each polygon: its centroid when that lies inside, else
    :func:`shapely.point_on_surface` (the centroid is ten times cheaper)."""
    pts = shapely.centroid(polys)
    xy = shapely.get_coordinates(pts)
    outside = ~shapely.contains_xy(polys, xy[:, 0], xy[:, 1])
    if outside.any():
        pts[outside] = shapely.point_on_surface(polys[outside])
    return pts


def _merge_touching(faces: np.ndarray, candidates: np.ndarray, unwanted: np.ndarray | None = None) -> np.ndarray:
    """Dissolve faces that share an edge (not just a corner); only ``candidates`` may merge.

    Parameters
    ----------
    faces : ndarray of Polygon
        Non-overlapping faces.
    candidates : ndarray of bool
        Faces that may touch another one along an edge (e.g. those reaching a tile frame).
    unwanted : ndarray of bool, optional
        Faces whose plot is not wanted: each is left out with every face it would merge with,
        without dissolving them.
    """
    unwanted = np.zeros(len(faces), dtype=bool) if unwanted is None else unwanted
    idx = np.flatnonzero(candidates)
    rest = faces[~candidates & ~unwanted]
    if not len(idx):
        return rest
    sub = faces[idx]
    tree = shapely.STRtree(sub)
    a, b = tree.query(sub, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    if len(a):
        shared = shapely.length(shapely.intersection(shapely.boundary(sub[a]), shapely.boundary(sub[b])))
        edge = shared > EXACT_TOLERANCE_M
        a, b = a[edge], b[edge]
    n = len(sub)
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    dropped = np.zeros(label.max() + 1, dtype=bool)
    dropped[label[unwanted[idx]]] = True
    order = np.argsort(label, kind="stable")
    order = order[~dropped[label[order]]]
    starts = np.flatnonzero(np.r_[True, np.diff(label[order]) != 0]) if len(order) else np.empty(0, dtype=np.int64)
    merged = []
    for g in np.split(order, starts[1:]) if len(order) else []:
        if len(g) == 1:
            merged.append(sub[g[0]])
        else:
            merged.extend(polygon_parts([shapely.union_all(sub[g])]))
    return np.concatenate([rest, np.asarray(merged, dtype=object)])


def find_gaps(occupied: Any, study_area: Any = None, *, max_per_tile: int = 1000, noise_area_m2: float = 0.0,
              progress: Callable[[int, int], Any] | None = None, map_tiles: TileMap | None = None) -> np.ndarray:
    """The unallocated land: faces of the planar partition covered by no occupied feature.

    Parameters
    ----------
    occupied : array-like of (Multi)Polygon
        Parcels, road surfaces and water, in one planar CRS (metres).
    study_area : array-like of (Multi)Polygon, optional
        Where gaps are sought. Without it only land enclosed by the features counts: plots
        reaching the features' outer envelope are dropped.
    max_per_tile : int
        Most occupied polygons per tile (counted by the centres of their bounds).
    noise_area_m2 : float
        Plots smaller than this are dropped (numerical dust).
    progress : callable, optional
        Called as ``progress(done, total)`` after each tile.
    map_tiles : callable, optional
        ``map_tiles(func, jobs)`` returns ``func(*job)`` for every tile's job, in order
        (:data:`TileMap`): where the tiles run (:func:`tile_gaps`), e.g. on a dask cluster. By
        default one after another in this process. A tile's job holds only what lies within
        :data:`TILE_MARGIN_M` of it, and the plots do not depend on where it runs.

    Returns
    -------
    ndarray of Polygon
        One polygon per plot, adjacent unallocated faces dissolved, ordered by representative
        point (west to east, then south to north).

    Notes
    -----
    No union of everything is ever built: each tile drops the boundary segments of its features
    that cannot bound a gap, nodes and polygonizes the rest with the study area's boundary, and
    keeps the faces that are unallocated; only faces reaching a tile's frame are joined here, so
    the work grows about linearly with the number of parcels.

    Examples
    --------
    >>> import shapely
    >>> parcels = [shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10), shapely.box(0, 10, 30, 20)]
    >>> [g.bounds for g in find_gaps(parcels, [shapely.box(0, 0, 30, 20)])]
    [(10.0, 0.0, 20.0, 10.0)]
    """
    occ, area_parts, extent = _gap_frame(occupied, study_area)
    if area_parts is None:
        return np.empty(0, dtype=object)
    eps = 1e-9 * max(1.0, float(np.abs(extent).max()))
    parts: list[np.ndarray] = []
    frames: list[np.ndarray] = []
    tiles = kd_tiles(_centres(occ), extent, max_per_tile=max_per_tile)
    for faces, at_frame in (map_tiles or _each)(tile_gaps, _tile_jobs(occ, area_parts, tiles, eps)):
        parts.append(faces)
        frames.append(at_frame)
        if progress:
            progress(len(parts), len(tiles))
    faces = np.concatenate(parts) if parts else np.empty(0, dtype=object)
    if not len(faces):
        return faces
    at_frame = np.concatenate(frames)
    outer = None
    if study_area is None:  # enclosed land only: a plot reaching the envelope reaches it with one of its faces
        fb = shapely.bounds(faces)
        outer = ((fb[:, 0] <= extent[0] + eps) | (fb[:, 1] <= extent[1] + eps)
                 | (fb[:, 2] >= extent[2] - eps) | (fb[:, 3] >= extent[3] - eps))
    plots = _merge_touching(faces, at_frame, outer)
    if noise_area_m2 > 0 and len(plots):
        plots = plots[shapely.area(plots) >= noise_area_m2]
    if len(plots):
        rp = shapely.get_coordinates(representative_points(plots))
        plots = plots[np.lexsort((rp[:, 1], rp[:, 0]))]
    return plots


def _centres(geoms: np.ndarray) -> np.ndarray:
    """The centres of the geometries' bounds, shape (n, 2)."""
    b = shapely.bounds(geoms).reshape(-1, 4)
    return (b[:, :2] + b[:, 2:]) / 2.0


def _gap_frame(occupied: Any, study_area: Any) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """The occupied polygons, the area searched and its extent, for :func:`find_gaps`.

    Parameters
    ----------
    occupied, study_area
        As :func:`find_gaps`.

    Returns
    -------
    occ : numpy.ndarray of Polygon
        Occupied polygons (those off the study area's envelope dropped).
    area_parts : numpy.ndarray of Polygon or None
        The study area's polygons, or the features' envelope grown by 1 m without a study area;
        ``None`` when there is nothing to search.
    extent : numpy.ndarray
        ``(xmin, ymin, xmax, ymax)`` of the area searched.
    """
    occ = polygon_parts(occupied)
    if study_area is not None:
        area_parts = polygon_parts(study_area)
        if len(area_parts) > 1:
            area_parts = polygon_parts([shapely.union_all(area_parts)])
        if not len(area_parts):
            return occ, None, np.zeros(4)
        extent = shapely.total_bounds(area_parts)
        if len(occ):  # features off the study area's envelope play no part (their bounds miss it)
            b = shapely.bounds(occ)
            occ = occ[(b[:, 2] >= extent[0]) & (b[:, 0] <= extent[2]) & (b[:, 3] >= extent[1]) & (b[:, 1] <= extent[3])]
    else:
        if not len(occ):
            return occ, None, np.zeros(4)
        extent = shapely.total_bounds(occ) + np.array([-1.0, -1.0, 1.0, 1.0])
        area_parts = np.asarray([shapely.box(*extent)], dtype=object)
    return occ, area_parts, extent


def _tile_jobs(occ: np.ndarray, area_parts: np.ndarray, tiles: np.ndarray, eps: float) -> Iterator[tuple]:
    """Each tile's job for :func:`tile_gaps`: its bounds, what lies near it, ``eps``.

    A tile gets the occupied polygons and study-area polygons within :data:`TILE_MARGIN_M` of it;
    those reaching beyond that margin with more than :data:`CLIP_ABOVE_VERTICES` vertices (a road
    network, a river, the study area) are clipped to the tile grown by the margin, so that a tile's
    job stays small. The clipping adds edges only along the grown frame, outside the tile.
    """
    grown = tiles + np.array([-TILE_MARGIN_M, -TILE_MARGIN_M, TILE_MARGIN_M, TILE_MARGIN_M])
    boxes = shapely.box(grown[:, 0], grown[:, 1], grown[:, 2], grown[:, 3])
    near = [_near(geoms, boxes) for geoms in (occ, area_parts)]
    for k, tb in enumerate(tiles):
        yield (tb, *(_clipped(geoms[rows[k]], grown[k]) for geoms, rows in zip((occ, area_parts), near)), eps)


def _near(geoms: np.ndarray, boxes: np.ndarray) -> list[np.ndarray]:
    """Per box, the rows of ``geoms`` meeting it (one STRtree query for all boxes)."""
    box, row = shapely.STRtree(geoms).query(boxes, predicate="intersects")
    order = np.lexsort((row, box))
    box, row = box[order], row[order]
    return np.split(row, np.searchsorted(box, np.arange(1, len(boxes))))


def _clipped(geoms: np.ndarray, grown: np.ndarray) -> np.ndarray:
    """``geoms`` with the large ones reaching beyond ``grown`` clipped to it (see :func:`_tile_jobs`)."""
    b = shapely.bounds(geoms).reshape(-1, 4)
    beyond = (b[:, 0] < grown[0]) | (b[:, 1] < grown[1]) | (b[:, 2] > grown[2]) | (b[:, 3] > grown[3])
    big = beyond & (shapely.get_num_coordinates(geoms) > CLIP_ABOVE_VERTICES)
    if not big.any():
        return geoms
    cut = polygon_parts(shapely.clip_by_rect(geoms[big], *grown))
    return np.concatenate([geoms[~big], cut])


def naive_gaps(occupied, study_area) -> np.ndarray:
    """The naive way, for comparison: the study area minus one union of every feature.

    Parameters
    ----------
    occupied, study_area : array-like of (Multi)Polygon

    Returns
    -------
    ndarray of Polygon
    """
    occ = polygon_parts(occupied)
    area = shapely.union_all(polygon_parts(study_area))
    return polygon_parts([shapely.difference(area, shapely.union_all(occ))])


# --------------------------------------------------------------------------------------------
# describing the plots
# --------------------------------------------------------------------------------------------

def boundary_segments(polys: np.ndarray, max_length: float | None = None):
    """Every straight segment of the polygons' rings.

    Parameters
    ----------
    polys : ndarray of Polygon
    max_length : float, optional
        Densify first, so no segment is longer (for hand-drawn plots whose edges run past the
        vertices of what they touch).

    Returns
    -------
    owner : ndarray of int
        Index of the polygon each segment belongs to.
    length : ndarray of float
    mid : ndarray of Point
        The segments' midpoints.
    """
    if max_length:
        polys = shapely.segmentize(polys, max_length)
    rings = shapely.get_rings(polys)
    ring_owner = np.repeat(np.arange(len(polys)), shapely.get_num_interior_rings(polys) + 1)
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    s = np.flatnonzero(ring[:-1] == ring[1:]) if len(ring) else np.empty(0, dtype=np.int64)
    a, b = coords[s], coords[s + 1]
    length = np.hypot(*(b - a).T) if len(s) else np.empty(0)
    return ring_owner[ring[s]], length, shapely.points((a + b) / 2.0)


def shared_lengths(owner: np.ndarray, length: np.ndarray, mid: np.ndarray, others: np.ndarray,
                   tolerance: float) -> pd.DataFrame:
    """Boundary length each polygon shares with each of ``others``.

    A segment counts for a neighbour when its midpoint lies within ``tolerance`` of it; touching
    at a corner shares no segment, so no length.

    Returns
    -------
    DataFrame
        ``owner``, ``other`` (index into ``others``), ``shared_m``; only pairs with shared > 0.
    """
    if not len(others) or not len(mid):
        return pd.DataFrame({"owner": np.empty(0, dtype=np.int64), "other": np.empty(0, dtype=np.int64),
                             "shared_m": np.empty(0)})
    seg, other = shapely.STRtree(others).query(mid, predicate="dwithin", distance=tolerance)
    frame = pd.DataFrame({"owner": owner[seg], "other": other, "shared_m": length[seg]})
    return frame.groupby(["owner", "other"], as_index=False, sort=True)["shared_m"].sum()


def _touched_length(owner, length, mid, geoms, tolerance, n) -> np.ndarray:
    """Per polygon, the length of its segments within ``tolerance`` of any of ``geoms`` (each counted once)."""
    out = np.zeros(n)
    if geoms is None or not len(geoms) or not len(mid):
        return out
    seg = np.unique(shapely.STRtree(geoms).query(mid, predicate="dwithin", distance=tolerance)[0])
    np.add.at(out, owner[seg], length[seg])
    return out


def plot_width(plots: np.ndarray, fine_below_m: float = 10.0, fine_tolerance_m: float = 0.01) -> np.ndarray:
    """Twice the radius of each polygon's largest inscribed circle (m).

    :func:`shapely.maximum_inscribed_circle` first to a thousandth of each polygon's extent, then
    again to ``fine_tolerance_m`` for those found narrower than ``fine_below_m`` — a 500 m long
    sliver must be measured to the centimetre, a 2 km field need not be.

    Examples
    --------
    >>> import shapely
    >>> plot_width(np.array([shapely.box(0, 0, 500, 2), shapely.box(0, 0, 40, 30)])).round(2).tolist()
    [2.0, 30.0]
    """
    if not len(plots):
        return np.empty(0)
    ext = shapely.bounds(plots)
    coarse = np.maximum(np.maximum(ext[:, 2] - ext[:, 0], ext[:, 3] - ext[:, 1]) / 1000.0, fine_tolerance_m)
    width = 2.0 * shapely.length(shapely.maximum_inscribed_circle(plots, tolerance=coarse))
    redo = (width < fine_below_m + 2 * coarse) & (coarse > fine_tolerance_m)
    if redo.any():
        width[redo] = 2.0 * shapely.length(shapely.maximum_inscribed_circle(plots[redo], tolerance=fine_tolerance_m))
    return width


def describe_plots(plots: np.ndarray, parcel_geoms: np.ndarray, parcel_ids, roads=None, water=None,
                   study_area=None, sliver_width_m: float = 3.0,
                   width: np.ndarray | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Measure and classify unallocated plots.

    Parameters
    ----------
    plots : ndarray of Polygon
        From :func:`find_gaps`.
    parcel_geoms : ndarray of (Multi)Polygon
    parcel_ids : array-like of str
        The 宗地代码 of ``parcel_geoms``.
    roads, water : ndarray of (Multi)Polygon, optional
    study_area : ndarray of (Multi)Polygon, optional
        Its boundary is the "edge" a 边角地 may lie against.
    sliver_width_m : float
        Plots narrower than this are 狭长碎片.
    width : ndarray, optional
        The plots' widths when already measured (:func:`plot_width`).

    Returns
    -------
    plots : DataFrame
        One row per plot: ``kind, area_m2, area_mu, width_m, perimeter_m, compactness,
        parcel_count, neighbours`` (JSON text: ``[{"parcel_id", "shared_m"}]`` by shared length)
        ``, parcel_shared_m, road_shared_m, water_shared_m, edge_shared_m``.
    neighbours : DataFrame
        ``plot`` (row of ``plots``), ``parcel`` (index into ``parcel_geoms``), ``parcel_id``,
        ``shared_m``, sorted by plot and decreasing shared length.

    Notes
    -----
    Width: see :func:`plot_width`. Compactness is Polsby–Popper 4πA/P² (1 for a disc, π/4 ≈ 0.785
    for a square, near 0 for a sliver).
    """
    n = len(plots)
    area = shapely.area(plots)
    perimeter = shapely.length(plots)
    if width is None:
        width = plot_width(plots, fine_below_m=2 * sliver_width_m)
    compactness = np.where(perimeter > 0, 4 * math.pi * area / np.where(perimeter > 0, perimeter, 1) ** 2, 0.0)

    owner, length, mid = boundary_segments(plots)
    parcel_geoms = np.asarray(parcel_geoms, dtype=object)
    nb = shared_lengths(owner, length, mid, parcel_geoms, EXACT_TOLERANCE_M)
    nb = nb.rename(columns={"owner": "plot", "other": "parcel"})
    nb["parcel_id"] = np.asarray(parcel_ids, dtype=object)[nb["parcel"].to_numpy()]
    nb = nb.sort_values(["plot", "shared_m", "parcel_id"], ascending=[True, False, True], kind="stable")
    nb = nb.reset_index(drop=True)

    parcel_len = _touched_length(owner, length, mid, parcel_geoms, EXACT_TOLERANCE_M, n)
    road_len = _touched_length(owner, length, mid, polygon_parts(roads) if roads is not None else None,
                               EXACT_TOLERANCE_M, n)
    water_len = _touched_length(owner, length, mid, polygon_parts(water) if water is not None else None,
                                EXACT_TOLERANCE_M, n)
    edge = shapely.get_parts(shapely.boundary(polygon_parts(study_area))) if study_area is not None else None
    edge_len = _touched_length(owner, length, mid, edge, EXACT_TOLERANCE_M, n)

    kind = np.full(n, OPEN, dtype=object)
    touches_parcel = parcel_len > 0
    kind[touches_parcel] = CORNER
    kind[touches_parcel & (perimeter - parcel_len <= 0.01)] = ENCLOSED
    kind[width < sliver_width_m] = SLIVER

    counts = np.bincount(nb["plot"].to_numpy(), minlength=n) if n else np.zeros(0, dtype=int)
    lists: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    for p, pid, s in zip(nb["plot"].to_numpy(), nb["parcel_id"].to_numpy(), nb["shared_m"].to_numpy()):
        lists[p].append({"parcel_id": str(pid), "shared_m": round(float(s), 2)})
    frame = pd.DataFrame({
        "kind": kind, "area_m2": area.round(2), "area_mu": units.m2_to_mu(area).round(units.MU_DECIMALS),
        "width_m": np.round(width, 2), "perimeter_m": perimeter.round(2), "compactness": compactness.round(4),
        "parcel_count": counts, "neighbours": [json.dumps(v, ensure_ascii=False) for v in lists],
        "parcel_shared_m": parcel_len.round(2), "road_shared_m": road_len.round(2),
        "water_shared_m": water_len.round(2), "edge_shared_m": edge_len.round(2),
    })
    return frame, nb


# --------------------------------------------------------------------------------------------
# condition (a): compliance with plans
# --------------------------------------------------------------------------------------------

#: The polygons of condition (a): 城镇开发边界, 永久基本农田, 生态保护红线, 控规 zoned for industry
#: (``None``: the layer is missing); see :func:`constraint_geoms`.
Constraints = tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None, np.ndarray | None]

#: The constraint layers of condition (a): name → (Chinese label, the plot must lie inside?).
CONSTRAINTS = {
    "urban_boundary": ("城镇开发边界", True),
    "basic_farmland": ("永久基本农田", False),
    "eco_redline": ("生态保护红线", False),
    "zoning": ("控规工业用地", True),
}


def covered_part(geoms: np.ndarray, layer: np.ndarray) -> np.ndarray:
    """Per geometry, its part covered by ``layer`` (``geom ∩ union(layer)``), pairwise via an STRtree.

    Only the layer's polygons that meet a geometry are intersected with it; nothing is unioned
    beyond a geometry's own pieces.
    """
    out = np.array([_EMPTY_POLY] * len(geoms), dtype=object)
    layer = polygon_parts(layer)
    if not len(geoms) or not len(layer):
        return out
    i, j = shapely.STRtree(layer).query(geoms, predicate="intersects")
    if not len(i):
        return out
    order = np.lexsort((j, i))  # each geometry's pieces in layer order, whatever the tree's order
    i, j = i[order], j[order]
    pieces = shapely.intersection(geoms[i], layer[j])
    starts = np.flatnonzero(np.r_[True, i[1:] != i[:-1]])
    ends = np.r_[starts[1:], len(i)]
    single = ends - starts == 1
    out[i[starts[single]]] = pieces[starts[single]]
    for s, e in zip(starts[~single], ends[~single]):
        out[i[s]] = shapely.union_all(pieces[s:e])
    return out


def industrial_zones(zoning: gpd.GeoDataFrame | None, codes) -> np.ndarray | None:
    """The 控规 polygons zoned for industry (``land_use_code`` starting with one of ``codes``), or
    ``None`` when the zoning layer or its code column is missing."""
    if zoning is None or "land_use_code" not in zoning.columns:
        return None
    code = zoning["land_use_code"].astype("string").str.strip().str.upper().fillna("")
    hit = np.zeros(len(zoning), dtype=bool)
    for c in codes:
        hit |= code.str.startswith(str(c).upper()).to_numpy(dtype=bool)
    return zoning.geometry.to_numpy()[hit]


def plan_compliance(geoms: np.ndarray, layers: dict, industrial_codes, tolerance_m2: float = 1.0) -> pd.DataFrame:
    """Condition (a): the part of each plot that complies with plans, and why the rest does not.

    Parameters
    ----------
    geoms : ndarray of (Multi)Polygon
    layers : dict
        ``urban_boundary``, ``basic_farmland``, ``eco_redline``, ``zoning`` GeoDataFrames (any
        may be missing or ``None``).
    industrial_codes : sequence of str
        Zoning code prefixes counted as industrial.
    tolerance_m2 : float
        Parts smaller than this (m²) are digitising noise: ignored in the verdict.

    Returns
    -------
    DataFrame
        ``usable`` (geometry of the compliant part), ``usable_area_m2`` (unrounded), ``outside_urban_m2``,
        ``farmland_m2``, ``redline_m2``, ``non_industrial_m2``, ``missing`` (Chinese names of the
        missing layers, ``、``-joined), ``compliant`` (nullable bool: the whole plot complies;
        ``<NA>`` when a layer is missing and the others leave nothing to object to),
        ``compliance`` (符合 / 部分符合 / 不符合 / 数据缺失), ``reason`` (Chinese).
    """
    return compliance_of(geoms, *constraint_geoms(layers, industrial_codes), tolerance_m2=tolerance_m2)


def constraint_geoms(layers: dict, industrial_codes) -> Constraints:
    """The polygons of condition (a)'s layers: 城镇开发边界, 永久基本农田, 生态保护红线 and the 控规
    zoned for industry (:func:`industrial_zones`), each ``None`` when missing.

    Parameters
    ----------
    layers : dict
        As :func:`plan_compliance`.
    industrial_codes : sequence of str
    """
    def geoms(name: str) -> np.ndarray | None:
        lay = layers.get(name)
        return None if lay is None else polygon_parts(lay.geometry.to_numpy())

    zones = industrial_zones(layers.get("zoning"), industrial_codes)
    return (geoms("urban_boundary"), geoms("basic_farmland"), geoms("eco_redline"),
            None if zones is None else polygon_parts(zones))


def compliance_of(geoms: np.ndarray, urban: np.ndarray | None, farmland: np.ndarray | None,
                  redline: np.ndarray | None, zones: np.ndarray | None, tolerance_m2: float = 1.0) -> pd.DataFrame:
    """:func:`plan_compliance` on the constraint polygons (:func:`constraint_geoms`; ``None``: missing).

    Each plot's figures depend only on the polygons meeting it, so a batch of plots gives the same
    answer with only the polygons near it (see :func:`plot_measures`).
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    area = shapely.area(geoms)
    usable = geoms.copy()
    lost = {}
    missing = []
    if urban is None:
        missing.append("城镇开发边界")
        lost["outside_urban_m2"] = np.full(n, np.nan)
    else:
        inside = covered_part(geoms, urban)
        lost["outside_urban_m2"] = area - shapely.area(inside)
        usable = shapely.intersection(usable, inside)
    for name, col, lay in (("basic_farmland", "farmland_m2", farmland), ("eco_redline", "redline_m2", redline)):
        if lay is None:
            missing.append(CONSTRAINTS[name][0])
            lost[col] = np.full(n, np.nan)
        else:
            hit = covered_part(geoms, lay)
            lost[col] = shapely.area(hit)
            usable = shapely.difference(usable, hit)
    if zones is None:
        missing.append("控规(用地性质)")
        lost["non_industrial_m2"] = np.full(n, np.nan)
    else:
        ind = covered_part(geoms, zones)
        lost["non_industrial_m2"] = area - shapely.area(ind)
        usable = shapely.intersection(usable, ind)
    usable_area = shapely.area(usable) if n else np.empty(0)
    usable_area = np.where(area - usable_area <= tolerance_m2, area, usable_area)

    labels = {"outside_urban_m2": "城镇开发边界外", "farmland_m2": "占永久基本农田", "redline_m2": "占生态保护红线",
              "non_industrial_m2": "控规非工业用地"}
    reasons = []
    for k in range(n):
        parts = [f"{labels[c]}{fmt_value(v[k], tolerance_m2, 1)}㎡" for c, v in lost.items()
                 if np.isfinite(v[k]) and v[k] > tolerance_m2]
        if missing:
            parts.append("缺少图层:" + "、".join(missing))
        reasons.append(";".join(parts))
    full = usable_area >= area - tolerance_m2
    none = usable_area <= tolerance_m2
    compliance = np.where(full, "符合", np.where(none, "不符合", "部分符合")).astype(object)
    compliant = pd.array(full, dtype="boolean")
    if missing:
        unknown = full  # nothing objected to so far, but a layer could not be checked
        compliance[unknown] = "数据缺失"
        compliant[unknown] = pd.NA
    out = pd.DataFrame({"usable": usable, "usable_area_m2": usable_area, **{c: np.round(v, 2) for c, v in lost.items()}})
    out["missing"] = "、".join(missing)
    out["compliant"] = compliant
    out["compliance"] = compliance
    out["reason"] = reasons
    return out


def plot_measures(plots: np.ndarray, urban: np.ndarray | None, farmland: np.ndarray | None,
                  redline: np.ndarray | None, zones: np.ndarray | None, fine_below_m: float,
                  tolerance_m2: float) -> tuple[np.ndarray, pd.DataFrame]:
    """A batch of plots' widths (:func:`plot_width`) and condition (a) (:func:`compliance_of`
    without the ``usable`` geometry): one job of ``map_tiles`` in :func:`assess_fragments`.

    The constraint polygons are those meeting the batch's plots (``None``: the layer is missing).
    """
    comp = compliance_of(plots, urban, farmland, redline, zones, tolerance_m2=tolerance_m2)
    return plot_width(plots, fine_below_m=fine_below_m), comp.drop(columns="usable")


#: Plots per job of :func:`plot_measures` (the widths are most of a plot's cost, ~1 ms each).
PLOTS_PER_JOB = 500


def _measures(plots: np.ndarray, constraints: Constraints, fine_below_m: float,
              tolerance_m2: float, map_tiles: TileMap) -> tuple[np.ndarray, pd.DataFrame]:
    """Every plot's width and condition (a), :data:`PLOTS_PER_JOB` consecutive plots a job.

    Each job gets the constraint polygons meeting its plots, whole and in layer order, so a
    plot's figures are those of one call on every plot, wherever the job runs.
    """
    if not len(plots):
        return plot_measures(plots, *constraints, fine_below_m, tolerance_m2)
    starts = np.arange(0, len(plots), PLOTS_PER_JOB)
    batch = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(plots)]))
    near: list[tuple[np.ndarray, list[np.ndarray]] | None] = []
    for geoms in constraints:
        if geoms is None:
            near.append(None)
            continue
        plot, row = shapely.STRtree(geoms).query(plots, predicate="intersects")
        pairs = np.unique(np.column_stack([batch[plot], row]), axis=0).reshape(-1, 2)
        near.append((geoms, np.split(pairs[:, 1], np.searchsorted(pairs[:, 0], np.arange(1, len(starts))))))
    jobs = ((plots[s:s + PLOTS_PER_JOB], *(None if n is None else n[0][n[1][k]] for n in near), fine_below_m,
             tolerance_m2) for k, s in enumerate(starts))
    done = list(map_tiles(plot_measures, jobs))
    return np.concatenate([w for w, _ in done]), pd.concat([c for _, c in done], ignore_index=True)


# --------------------------------------------------------------------------------------------
# who could take a plot
# --------------------------------------------------------------------------------------------

def cap_m2(parcel_area_m2, spec) -> np.ndarray:
    """Condition (b): the most a parcel's holder may add, min(share × original area, cap 亩), in m²."""
    return np.minimum(spec.max_share * np.asarray(parcel_area_m2, dtype=float), units.mu_to_m2(spec.max_area_mu))


def build_offers(fragments: pd.DataFrame, neighbours: pd.DataFrame, parcels: pd.DataFrame, spec) -> pd.DataFrame:
    """The ``fragment_offers`` table: each 夹心地/边角地 offered to the holders of the parcels it
    shares boundary with, by decreasing shared length.

    Parameters
    ----------
    fragments : DataFrame
        The fragments (``fragment_id``, ``kind``, ``area_m2``, ``usable_area_m2``), row order as
        ``neighbours["plot"]`` refers to.
    neighbours : DataFrame
        From :func:`describe_plots`.
    parcels : DataFrame
        The results' parcels: ``parcel_id``, ``area_m2`` and, when the efficiency stage ran,
        ``holder_uscc``, ``holder_name``, ``eval_class``.
    spec : CornerRule

    Returns
    -------
    DataFrame
        Columns :data:`OFFER_COLUMNS`. ``cap_m2`` = min(20 % of the parcel's area, 10 亩);
        ``max_take_m2`` = min(cap, the plot's usable area); ``whole_plot`` when the cap allows the
        whole usable plot. 狭长碎片 and 其他空闲地 are offered to no one.
    """
    nb = neighbours.copy()
    nb["kind"] = fragments["kind"].to_numpy()[nb["plot"].to_numpy()] if len(nb) else pd.Series(dtype=object)
    nb = nb[nb["kind"].isin([ENCLOSED, CORNER])]
    if not len(nb):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in OFFER_COLUMNS})
    info = parcels.drop(columns=parcels.geometry.name, errors="ignore").set_index("parcel_id")
    plot = nb["plot"].to_numpy()
    out = pd.DataFrame({
        "fragment_id": fragments["fragment_id"].to_numpy()[plot],
        "kind": nb["kind"].to_numpy(),
        "rank": nb.groupby("plot").cumcount().to_numpy() + 1,
        "parcel_id": nb["parcel_id"].astype(str).to_numpy(),
    })
    for col in ("holder_uscc", "holder_name", "eval_class"):
        out[col] = info[col].reindex(out["parcel_id"]).to_numpy() if col in info.columns else None
    out["shared_length_m"] = nb["shared_m"].round(2).to_numpy()
    area = info["area_m2"].reindex(out["parcel_id"]).to_numpy(dtype=float)
    out["parcel_area_m2"] = area
    cap = cap_m2(area, spec)
    out["cap_m2"] = cap.round(2)
    out["cap_mu"] = units.m2_to_mu(cap).round(units.MU_DECIMALS)
    out["fragment_area_m2"] = fragments["area_m2"].to_numpy()[plot]
    usable = fragments["usable_area_m2"].to_numpy(dtype=float)[plot]
    out["usable_area_m2"] = usable
    take = np.minimum(cap, usable)
    out["max_take_m2"] = take.round(2)
    out["max_take_mu"] = units.m2_to_mu(take).round(units.MU_DECIMALS)
    out["whole_plot"] = usable <= cap + spec.area_tolerance_m2
    return out[OFFER_COLUMNS].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# the stage
# --------------------------------------------------------------------------------------------

def study_area_of(ws):
    """The polygons where fragments are sought and where they came from.

    The ``study_area`` layer when the workspace has one. Else the 城镇开发边界 together with the
    area the 控规 covers (land a detailed plan has allocated): a plot the new 城镇开发边界 leaves out
    next to an enterprise is still found — and fails condition (a). With neither layer, ``None``
    (only land enclosed by parcels, roads and water is sought).

    Returns
    -------
    geoms : ndarray of Polygon or None
    source : str
        ``"study_area"``, ``"urban_boundary"``, ``"urban_boundary+zoning"``, ``"zoning"`` or ``""``.
    """
    lay = ws.layer("study_area")
    if lay is not None and len(lay):
        return polygon_parts(lay.geometry.to_numpy()), "study_area"
    parts, names = [], []
    for name in ("urban_boundary", "zoning"):
        lay = ws.layer(name)
        if lay is not None and len(lay):
            parts.append(polygon_parts(lay.geometry.to_numpy()))
            names.append(name)
    if not parts:
        return None, ""
    return np.concatenate(parts), "+".join(names)


def constraint_layers(ws) -> dict:
    """The layers condition (a) reads (absent ones are left out)."""
    return {name: ws.layer(name) for name in CONSTRAINTS if ws.layer(name) is not None}


def _geoms(layer) -> np.ndarray:
    return np.empty(0, dtype=object) if layer is None else polygon_parts(layer.geometry.to_numpy())


def assess_fragments(ws: Workspace, results: Results, map_tiles: TileMap | None = None) -> StageResult:
    """Find and describe the 零星边角地、夹心地 of the study area (TT-CORNER, 四(六)).

    Parameters
    ----------
    ws : Workspace
    results : Results
        ``results.parcels`` (with ``area_m2``, and ``holder_uscc``, ``holder_name``,
        ``eval_class`` when the efficiency stage ran).
    map_tiles : callable, optional
        Where the gaps' tiles are noded and polygonized (see :func:`find_gaps`).

    Returns
    -------
    StageResult
        Layers ``fragments`` (polygons, columns :data:`FRAGMENT_COLUMNS`) and
        ``fragment_offers`` (:data:`OFFER_COLUMNS`); a summary with counts and areas by kind.
        Under a ruleset without TT-CORNER nothing is sought (``applicable`` false in the summary).
    """
    spec = ws.ruleset.get(RULE_ID)
    if spec is None:
        return StageResult(summary={"applicable": False, "note": "本县规则集无此条款(TT-CORNER)"})
    parcels = results.parcels
    roads, water = _geoms(ws.layer("roads")), _geoms(ws.layer("water"))
    study, source = study_area_of(ws)
    parcel_geoms = parcels.geometry.to_numpy()
    occupied = np.concatenate([polygon_parts(parcel_geoms), roads, water])
    plots = find_gaps(occupied, study, noise_area_m2=spec.noise_area_m2, map_tiles=map_tiles)
    width, comp = _measures(plots, constraint_geoms(constraint_layers(ws), spec.industrial_zoning_codes),
                            2 * spec.sliver_width_m, spec.overlap_tolerance_m2, map_tiles or _each)
    misfit = width < spec.noise_width_m
    noise = {"count": int(misfit.sum()), "area_m2": round(float(shapely.area(plots[misfit]).sum()), 4)}
    plots, comp = plots[~misfit], comp[~misfit].reset_index(drop=True)
    desc, nb = describe_plots(plots, parcel_geoms, parcels["parcel_id"].to_numpy(), roads, water, study,
                              sliver_width_m=spec.sliver_width_m, width=width[~misfit])
    desc.insert(0, "fragment_id", [f"FR{k + 1:05d}" for k in range(len(plots))])
    desc["compliant"] = comp["compliant"].to_numpy()
    desc["compliance"] = comp["compliance"].to_numpy()
    desc["usable_area_m2"] = comp["usable_area_m2"].to_numpy(dtype=float).round(2)
    desc["usable_area_mu"] = units.m2_to_mu(comp["usable_area_m2"].to_numpy(dtype=float)).round(units.MU_DECIMALS)
    desc["reason"] = comp["reason"].to_numpy()
    layer = gpd.GeoDataFrame(desc[FRAGMENT_COLUMNS], geometry=list(plots) if len(plots) else [], crs=ws.crs)
    offers = build_offers(desc, nb, parcels, spec)

    by_kind = {k: {"count": int((desc["kind"] == k).sum()),
                   "area_m2": round(float(desc.loc[desc["kind"] == k, "area_m2"].sum()), 2),
                   "area_mu": round(float(desc.loc[desc["kind"] == k, "area_mu"].sum()), 4)} for k in KINDS}
    summary = {
        "applicable": True, "study_area": source or "enclosed_only",
        "count": len(desc), "area_m2": round(float(desc["area_m2"].sum()), 2),
        "area_mu": round(float(units.m2_to_mu(desc["area_m2"].sum())), 4), "by_kind": by_kind,
        "usable_area_mu": round(float(units.m2_to_mu(desc.loc[desc["kind"].isin([ENCLOSED, CORNER]),
                                                           "usable_area_m2"].sum())), 4),
        "offers": len(offers), "dropped_misfits": noise,
    }
    if not source:
        summary["note"] = "无研究范围与城镇开发边界图层,仅识别被宗地、道路、水域围合的空地"
    return StageResult(layers={"fragments": layer, "fragment_offers": offers}, summary=summary)
