"""Split lines → parts: a split proposal may draw cut lines across a parcel instead of part polygons.

:func:`parts_from_cut_lines` nodes the lines with the parcel boundary and polygonizes, so a line
drawn a little short of the boundary (extended by ``extend_m``) still cuts, and a line that does
not cross the parcel cuts nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import shapely

_LINES = {"LineString", "MultiLineString", "LinearRing"}


def parts_from_cut_lines(parcel: Any, lines: Iterable[Any], extend_m: float = 0.5) -> list[Any]:
    """Cut a parcel polygon into parts along split lines.

    Parameters
    ----------
    parcel : shapely Polygon or MultiPolygon
        The parcel.
    lines : iterable of shapely LineString / MultiLineString
        The cut lines, drawn across the parcel. Each line's ends are extended by ``extend_m`` so a
        line digitised a little short of the boundary still cuts; overshoot does no harm.
    extend_m : float
        How far to extend each end (m).

    Returns
    -------
    list of shapely Polygon
        The faces of the parcel cut by the lines, ordered west to east (then south to north) by
        their representative point. A line that does not cross the parcel from edge to edge (or
        to another line) cuts nothing.

    Examples
    --------
    >>> from shapely import box, LineString
    >>> parts = parts_from_cut_lines(box(0, 0, 100, 100), [LineString([(50, 0), (50, 100)])])
    >>> [round(p.area) for p in parts]
    [5000, 5000]
    """
    segments = []
    for line in lines:
        if line is None or line.is_empty:
            continue
        for part in shapely.get_parts(line):
            if part.geom_type == "LinearRing":
                part = shapely.LineString(part.coords)
            coords = np.asarray(part.coords, dtype=float)[:, :2]
            if len(coords) < 2:
                continue
            if extend_m > 0:
                for end, nxt in ((0, 1), (-1, -2)):
                    d = coords[end] - coords[nxt]
                    norm = np.hypot(*d)
                    if norm > 0:
                        coords[end] = coords[end] + d / norm * extend_m
            segments.append(shapely.LineString(coords))
    boundary = shapely.boundary(parcel)
    noded = shapely.union_all([boundary, *segments])
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    if not len(faces):
        return [parcel]
    points = shapely.point_on_surface(faces)
    keep = shapely.contains(parcel, points)
    faces, points = faces[keep], points[keep]
    order = np.lexsort((np.round(shapely.get_y(points), 3), np.round(shapely.get_x(points), 3)))
    return list(faces[order])


def is_lines(geoms: Iterable[Any]) -> bool:
    """Whether ``geoms`` (ignoring missing and empty ones) are all lines, i.e. cut lines rather than parts."""
    types = {g.geom_type for g in geoms if g is not None and not g.is_empty}
    return bool(types) and types <= _LINES
