"""Road centre lines of an area (a slightly curved grid) and their non-overlapping surfaces."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
import shapely.affinity
import shapely.ops
from shapely.geometry import LineString, Polygon
from shapely.geometry.base import BaseGeometry

from .geometry import polygons_of, rotate_xy, snap
from .profiles import AreaSpec


@dataclass
class Road:
    """A road centre line with its width, class and name; ``poly`` is its surface once cut."""

    line: LineString
    width: float
    road_class: str
    name: str
    poly: BaseGeometry | None = None


def _wave(rng: np.random.Generator, amp_range: tuple[float, float] = (6, 22),
          len_range: tuple[float, float] = (900, 1900)) -> tuple[float, float, float]:
    return rng.uniform(*amp_range), rng.uniform(*len_range), rng.uniform(0, 2 * np.pi)


def road_grid(rng: np.random.Generator, spec: AreaSpec, outline: Polygon, cx: float, cy: float,
              names: list[str]) -> list[Road]:
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


def road_surfaces(roads: list[Road], clip: BaseGeometry) -> None:
    """Buffer centre lines into road polygons clipped to ``clip``; main roads first, no overlaps."""
    taken = None
    for road in sorted(roads, key=lambda r: -r.width):
        poly = road.line.buffer(road.width / 2, cap_style="flat", quad_segs=4).intersection(clip)
        if taken is not None:
            poly = poly.difference(taken)
        road.poly = shapely.union_all(polygons_of(snap(poly)))
        taken = road.poly if taken is None else taken.union(road.poly)
    roads[:] = [r for r in roads if r.poly is not None and not r.poly.is_empty and r.poly.area > 50]
