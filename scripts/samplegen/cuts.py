"""Exact-area cuts: carving a plot from a neighbour, half-plane clips, bisection to an area."""

from __future__ import annotations

import numpy as np
import shapely
import shapely.affinity
import shapely.ops
from shapely.geometry import LineString, Polygon
from shapely.geometry.base import BaseGeometry

from .geometry import largest_polygon
from .layout import MIN_PARCEL_M2


def carve_exact(neighbour: BaseGeometry, parcel: BaseGeometry, target_m2: float,
                check_rest: bool = True) -> BaseGeometry | None:
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


def halfplane(origin: np.ndarray, direction: np.ndarray, length: float = 5000.0) -> Polygon:
    """The half plane left of the line through ``origin`` along ``direction`` (as a big square)."""
    d = np.asarray(direction, float) / np.hypot(*direction)
    n = np.array([-d[1], d[0]])
    o = np.asarray(origin, float)
    pts = [o - d * length, o + d * length, o + d * length + n * length, o - d * length + n * length]
    return Polygon(pts)


def long_axis(poly: BaseGeometry) -> tuple[np.ndarray, np.ndarray, float]:
    """(origin, unit long-axis vector, length) of a polygon's oriented envelope."""
    ex = np.asarray(shapely.oriented_envelope(poly).exterior.coords)[:4]
    e1, e2 = ex[1] - ex[0], ex[3] - ex[0]
    if np.hypot(*e1) >= np.hypot(*e2):
        return ex[0], e1 / np.hypot(*e1), np.hypot(*e1)
    return ex[0], e2 / np.hypot(*e2), np.hypot(*e2)


def clip_ring(xy: np.ndarray, c: np.ndarray, u: np.ndarray) -> np.ndarray:
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


def cut_at_area(poly: BaseGeometry, target_m2: float) -> tuple[BaseGeometry, BaseGeometry, LineString]:
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


def split_parts(poly: BaseGeometry, part_areas: list[float]) -> tuple[list, list]:
    """Cut ``poly`` into len(part_areas)+1 parts, the first ones with exactly the given areas."""
    parts, cuts, rest = [], [], poly
    for a in part_areas:
        first, rest, cut = cut_at_area(rest, a)
        parts.append(largest_polygon(first) if first.geom_type != "Polygon" else first)
        cuts.append(cut)
    parts.append(largest_polygon(rest) if rest.geom_type != "Polygon" else rest)
    return parts, cuts
