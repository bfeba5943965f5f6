"""Small geometry helpers: rotation, 1 mm snapping, polygon parts, irregular outlines."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely
import shapely.affinity
import shapely.ops
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from .constants import GRID


def rotate_xy(x: np.ndarray, y: np.ndarray, angle_deg: float, cx: float, cy: float) -> tuple[np.ndarray, np.ndarray]:
    """Rotate coordinates by ``angle_deg`` (counter-clockwise) about (cx, cy)."""
    a = math.radians(angle_deg)
    c, s = math.cos(a), math.sin(a)
    x = np.asarray(x, dtype=float) - cx
    y = np.asarray(y, dtype=float) - cy
    return cx + c * x - s * y, cy + s * x + c * y


def snap(geoms: Any) -> Any:
    """Snap geometries to the cadastral 1 mm grid, keeping them valid.

    The result carries no fixed precision model (a WKB round trip drops it), so later overlays
    work in floating precision exactly as a reader of the written files would."""
    return shapely.from_wkb(shapely.to_wkb(shapely.set_precision(geoms, GRID)))


def polygons_of(geom: BaseGeometry | None) -> list:
    """The polygons of a (Multi)Polygon or collection, dropping lines and points."""
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type == "Polygon":
        return [geom]
    return [g for part in getattr(geom, "geoms", []) for g in polygons_of(part)]


def largest_polygon(geom: BaseGeometry | None) -> Polygon | None:
    """The largest polygon of ``geom`` (or None)."""
    polys = polygons_of(geom)
    return max(polys, key=lambda p: p.area) if polys else None


def area_outline(rng: np.random.Generator, cx: float, cy: float, width: float, height: float, angle: float,
                 n: int = 72) -> Polygon:
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
