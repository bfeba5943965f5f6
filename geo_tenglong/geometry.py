"""Small vectorised geometry helpers shared by analyses (shapely 2 arrays + STRtree)."""

from __future__ import annotations

import numpy as np
import shapely


def area_share_in(geoms, zones) -> np.ndarray:
    """Share of each geometry's area that lies in any of ``zones``.

    Parameters
    ----------
    geoms : array-like of Polygon
    zones : array-like of Polygon
        Assumed not to overlap each other (a partition such as zoning, or a dissolved layer);
        overlapping zones would be counted twice, so the result is clipped to 1.

    Returns
    -------
    numpy.ndarray
        Values in [0, 1]; NaN for empty or zero-area geometries.
    """
    geoms = np.asarray(geoms, dtype=object)
    zones = np.asarray(zones, dtype=object)
    total = shapely.area(geoms)
    inside: np.ndarray = np.zeros(len(geoms))
    if len(geoms) and len(zones):
        gi, zi = shapely.STRtree(zones).query(geoms, predicate="intersects")
        if len(gi):
            part = shapely.area(shapely.intersection(geoms[gi], zones[zi]))
            inside = np.bincount(gi, weights=part, minlength=len(geoms))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, inside / total, np.nan)
    return np.clip(share, 0, 1)


def in_any(geoms, zones) -> np.ndarray:
    """Whether each geometry's representative point lies in any of ``zones`` (boolean array)."""
    geoms = np.asarray(geoms, dtype=object)
    zones = np.asarray(zones, dtype=object)
    hit = np.zeros(len(geoms), dtype=bool)
    if len(geoms) and len(zones):
        pts = shapely.point_on_surface(geoms)
        gi, _ = shapely.STRtree(zones).query(pts, predicate="within")
        hit[gi] = True
    return hit


def zone_index(geoms, zones) -> np.ndarray:
    """Index of the zone holding each geometry's representative point, or -1 (first match)."""
    geoms = np.asarray(geoms, dtype=object)
    zones = np.asarray(zones, dtype=object)
    out = np.full(len(geoms), -1, dtype=np.int64)
    if len(geoms) and len(zones):
        gi, zi = shapely.STRtree(zones).query(shapely.point_on_surface(geoms), predicate="within")
        order = np.argsort(gi, kind="stable")
        gi, zi = gi[order], zi[order]
        first = np.r_[True, gi[1:] != gi[:-1]] if len(gi) else np.array([], dtype=bool)
        out[gi[first]] = zi[first]
    return out
