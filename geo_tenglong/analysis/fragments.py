"""零星边角地、夹心地: the unallocated land between parcels, roads and water (TT-CORNER, 天台 四(六)).

How the plots are found (the geoplanar approach, tiled so that it scales to a province):

1. The study area is the ``study_area`` layer when the workspace has one, else the 城镇开发边界
   (``urban_boundary``); with neither, only land *enclosed* by parcels, roads and water is sought.
2. The extent is cut into rectangular tiles by recursive median splits of the features' centres,
   so that every tile holds at most a few thousand features whatever the density.
3. In each tile the boundaries of the parcels, roads and water (and of the study area) are clipped
   to the tile, noded together with the tile's frame (:func:`shapely.union_all`) and polygonized:
   the faces of the planar partition.
4. One representative point per face (:func:`shapely.point_on_surface`), tested against an
   :class:`shapely.STRtree` of the features and of the study area, drops the faces covered by a
   parcel, road or water, or outside the study area. What remains is unallocated.
5. Unallocated faces sharing an edge (a gap cut by a tile frame) are dissolved into one plot.

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

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .. import units
from ..findings import MISSING_DATA, NOT_APPLICABLE, make_findings
from ..stage import StageResult

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


# --------------------------------------------------------------------------------------------
# finding the gaps
# --------------------------------------------------------------------------------------------

def _polygonal(geoms) -> np.ndarray:
    """Polygonal, non-empty geometries of ``geoms`` as a flat array of Polygons."""
    arr = np.asarray(geoms, dtype=object)
    if not len(arr):
        return np.empty(0, dtype=object)
    parts = shapely.get_parts(arr[~(shapely.is_missing(arr) | shapely.is_empty(arr))])
    kind = shapely.get_type_id(parts)
    return parts[kind == shapely.GeometryType.POLYGON]


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
    return np.array(out[::-1] if out else [], dtype=float).reshape(-1, 4)


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
    (kept to be safe). Only free land narrower than ``offset_m`` along a segment's whole length
    could be missed, so the offset is tiny: a wide gap reached through a sub-millimetre crack
    between two parcels must keep the crack's edges, or its ring would not close.
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
    one_sided = order[np.flatnonzero(new)[~(has_f & has_b)]]
    a, b = a[one_sided], b[one_sided]
    d = b - a
    length = np.hypot(d[:, 0], d[:, 1])
    unit = d / length[:, None]
    right = np.column_stack([unit[:, 1], -unit[:, 0]])
    shrink = np.minimum(offset_m, length / 4.0)[:, None]
    moved = shapely.linestrings(np.stack([a + right * offset_m + unit * shrink,
                                          b + right * offset_m - unit * shrink], axis=1))
    inside = np.zeros(len(moved), dtype=bool)
    inside[shapely.STRtree(moved).query(occ, predicate="contains_properly")[1]] = True
    return shapely.linestrings(np.stack([a[~inside], b[~inside]], axis=1))


def _tile_faces(bounds, lines: np.ndarray) -> np.ndarray:
    """The faces of the planar partition made by ``lines`` clipped to one tile and its frame."""
    x0, y0, x1, y1 = bounds
    clipped = shapely.clip_by_rect(lines, x0, y0, x1, y1)
    clipped = clipped[~shapely.is_empty(clipped)]
    frame = shapely.box(x0, y0, x1, y1).exterior
    noded = shapely.union_all(np.concatenate([clipped, [frame]]))
    return shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))


def representative_points(polys: np.ndarray) -> np.ndarray:
    """A point inside each polygon: its centroid when that lies inside, else
    :func:`shapely.point_on_surface` (the centroid is ten times cheaper)."""
    pts = shapely.centroid(polys)
    xy = shapely.get_coordinates(pts)
    outside = ~shapely.contains_xy(polys, xy[:, 0], xy[:, 1])
    if outside.any():
        pts[outside] = shapely.point_on_surface(polys[outside])
    return pts


def _merge_touching(faces: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Dissolve faces that share an edge (not just a corner); only ``candidates`` may merge.

    Parameters
    ----------
    faces : ndarray of Polygon
        Non-overlapping faces.
    candidates : ndarray of bool
        Faces that may touch another one along an edge (e.g. those reaching a tile frame).
    """
    idx = np.flatnonzero(candidates)
    if len(idx) < 2:
        return faces
    sub = faces[idx]
    tree = shapely.STRtree(sub)
    a, b = tree.query(sub, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    if len(a):
        shared = shapely.length(shapely.intersection(shapely.boundary(sub[a]), shapely.boundary(sub[b])))
        edge = shared > EXACT_TOLERANCE_M
        a, b = a[edge], b[edge]
    if not len(a):
        return faces
    n = len(sub)
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    order = np.argsort(label, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(label[order]) != 0])
    merged = []
    for g in np.split(order, starts[1:]):
        if len(g) == 1:
            merged.append(sub[g[0]])
        else:
            merged.extend(_polygonal([shapely.union_all(sub[g])]))
    rest = faces[~candidates]
    return np.concatenate([rest, np.asarray(merged, dtype=object)])


def find_gaps(occupied, study_area=None, *, max_per_tile: int = 1000, noise_area_m2: float = 0.0,
              progress=None) -> np.ndarray:
    """The unallocated land: faces of the planar partition covered by no occupied feature.

    Parameters
    ----------
    occupied : array-like of (Multi)Polygon
        Parcels, road surfaces and water, in one planar CRS (metres).
    study_area : array-like of (Multi)Polygon, optional
        Where gaps are sought. Without it only land enclosed by the features counts: faces
        reaching the features' outer envelope are dropped.
    max_per_tile : int
        Most boundary segments per tile, counted after dropping those with occupied land on both
        sides (see :func:`_open_segments`).
    noise_area_m2 : float
        Plots smaller than this are dropped (numerical dust).
    progress : callable, optional
        Called as ``progress(done, total)`` after each tile.

    Returns
    -------
    ndarray of Polygon
        One polygon per plot, adjacent unallocated faces dissolved, ordered by representative
        point (west to east, then south to north).

    Notes
    -----
    No union of everything is ever built: boundary segments that cannot bound a gap are dropped by
    sorting and one STRtree query, then each tile nodes and polygonizes only the linework that
    crosses it, so the work grows about linearly with the number of parcels.

    Examples
    --------
    >>> import shapely
    >>> parcels = [shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10), shapely.box(0, 10, 30, 20)]
    >>> [g.bounds for g in find_gaps(parcels, [shapely.box(0, 0, 30, 20)])]
    [(10.0, 0.0, 20.0, 10.0)]
    """
    occ = _polygonal(occupied)
    enclosed_only = study_area is None
    if not enclosed_only:
        area_parts = _polygonal(study_area)
        if len(area_parts) > 1:
            area_parts = _polygonal([shapely.union_all(area_parts)])
        if not len(area_parts):
            return np.empty(0, dtype=object)
        extent = shapely.total_bounds(area_parts)
        if len(occ):  # features off the study area's envelope play no part
            occ = occ[np.unique(shapely.STRtree(occ).query(shapely.box(*extent)))]
    else:
        if not len(occ):
            return np.empty(0, dtype=object)
        extent = shapely.total_bounds(occ) + np.array([-1.0, -1.0, 1.0, 1.0])
        area_parts = np.asarray([shapely.box(*extent)], dtype=object)

    segs = _open_segments(occ)
    area_lines = shapely.get_parts(shapely.boundary(area_parts))
    lines = np.concatenate([segs, area_lines])
    bounds = shapely.bounds(lines)
    centres = (bounds[:, :2] + bounds[:, 2:]) / 2.0
    tiles = kd_tiles(centres, extent, max_per_tile=max_per_tile)
    line_tree = shapely.STRtree(lines)

    faces, tile_of = [], []
    for k, tb in enumerate(tiles):
        f = _tile_faces(tb, lines[line_tree.query(shapely.box(*tb))])
        faces.append(f)
        tile_of.append(np.full(len(f), k, dtype=np.int64))
        if progress:
            progress(k + 1, len(tiles))
    faces = np.concatenate(faces) if faces else np.empty(0, dtype=object)
    tile_of = np.concatenate(tile_of) if tile_of else np.empty(0, dtype=np.int64)
    if not len(faces):
        return faces

    pts = representative_points(faces)
    keep = np.zeros(len(faces), dtype=bool)
    keep[shapely.STRtree(area_parts).query(pts, predicate="within")[0]] = True
    if len(occ):
        keep[shapely.STRtree(occ).query(pts, predicate="within")[0]] = False
    faces, tile_of = faces[keep], tile_of[keep]
    if not len(faces):
        return faces

    # faces reaching their tile's frame may continue in the next tile
    fb = shapely.bounds(faces)
    tb = tiles[tile_of]
    eps = 1e-9 * max(1.0, float(np.abs(extent).max()))
    at_frame = ((fb[:, 0] <= tb[:, 0] + eps) | (fb[:, 1] <= tb[:, 1] + eps)
                | (fb[:, 2] >= tb[:, 2] - eps) | (fb[:, 3] >= tb[:, 3] - eps))
    plots = _merge_touching(faces, at_frame)

    if enclosed_only and len(plots):
        pb = shapely.bounds(plots)
        outer = ((pb[:, 0] <= extent[0] + eps) | (pb[:, 1] <= extent[1] + eps)
                 | (pb[:, 2] >= extent[2] - eps) | (pb[:, 3] >= extent[3] - eps))
        plots = plots[~outer]
    if noise_area_m2 > 0 and len(plots):
        plots = plots[shapely.area(plots) >= noise_area_m2]
    if len(plots):
        rp = shapely.get_coordinates(representative_points(plots))
        plots = plots[np.lexsort((rp[:, 1], rp[:, 0]))]
    return plots


def naive_gaps(occupied, study_area) -> np.ndarray:
    """The naive way, for comparison: the study area minus one union of every feature.

    Parameters
    ----------
    occupied, study_area : array-like of (Multi)Polygon

    Returns
    -------
    ndarray of Polygon
    """
    occ = _polygonal(occupied)
    area = shapely.union_all(_polygonal(study_area))
    return _polygonal([shapely.difference(area, shapely.union_all(occ))])
