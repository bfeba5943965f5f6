"""Records to polygons: the rings of many parsed files made into (Multi)Polygons at once, holes and
separate parts decided by containment (a ring inside an odd number of the plot's other rings is a
hole, whatever its 圈号 or winding says), and invalid plots explained by line and point labels."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import shapely

from ...errors import InputError
from .model import Parsed, Plot

__all__ = ["build_geometries"]


def build_geometries(parsed: Sequence[Parsed]):
    """Geometries of all plots of all parsed files, built at once.

    Parameters
    ----------
    parsed : sequence of Parsed

    Returns
    -------
    plot_keys : list of (file index, plot index)
    geoms : ndarray of geometries, one per plot
    orders : dict plot number -> ring order (outer ring then its holes), for multi-ring plots
    area, perimeter : ndarray, one per plot
    errors : dict file index -> the first InputError of that file
    """
    ring_xy: list[np.ndarray] = []
    plot_first_ring, plot_n_rings = [], []
    plot_keys = []
    for k, pf in enumerate(parsed):
        for j, p in enumerate(pf.plots):
            plot_first_ring.append(len(ring_xy))
            plot_n_rings.append(len(p.rings))
            plot_keys.append((k, j))
            ring_xy.extend(r.xy for r in p.rings)
    if not ring_xy:
        return [], np.empty(0, dtype=object), {}, np.empty(0), np.empty(0), {}
    lens = np.fromiter((len(a) for a in ring_xy), dtype=np.int64, count=len(ring_xy))
    coords = np.concatenate(ring_xy)
    rings = shapely.linearrings(coords, indices=np.repeat(np.arange(len(ring_xy)), lens))
    ring_polys = shapely.polygons(rings)
    n_plots = len(plot_keys)
    geoms = np.empty(n_plots, dtype=object)
    first = np.asarray(plot_first_ring)
    nr = np.asarray(plot_n_rings)
    single = nr == 1
    geoms[single] = ring_polys[first[single]]
    orders = {}
    errors: dict[int, InputError] = {}
    for pi in np.nonzero(~single)[0]:
        k, j = plot_keys[pi]
        try:
            geoms[pi], orders[pi] = _assemble(ring_polys[first[pi]:first[pi] + nr[pi]], parsed[k].plots[j],
                                              parsed[k].path)
        except InputError as exc:
            errors.setdefault(k, exc)
            geoms[pi] = shapely.Polygon()
    valid = shapely.is_valid(geoms)
    for pi in np.nonzero(~valid)[0]:
        k, j = plot_keys[pi]
        if k not in errors:
            errors[k] = _invalid_error(geoms[pi], parsed[k].plots[j], parsed[k].path)
    return plot_keys, geoms, orders, shapely.area(geoms), shapely.length(geoms), errors


def _assemble(polys, plot: Plot, path):
    """Holes and parts by containment: a ring inside an odd number of other rings is a hole."""
    cov = shapely.covers(polys[:, None], polys[None, :])      # cov[i, j]: ring i covers ring j
    np.fill_diagonal(cov, False)
    both = cov & cov.T
    if both.any():
        i, j = np.argwhere(both)[0]
        raise InputError(f"ring {j + 1} repeats ring {i + 1} of the plot", path, f"line {plot.rings[j].lines[0]}")
    depth = cov.sum(axis=0)                                    # how many rings contain ring j
    areas = shapely.area(polys)
    parts = []
    order = []
    for s in np.nonzero(depth % 2 == 0)[0]:
        holes = [h for h in np.nonzero((depth == depth[s] + 1) & cov[s])[0]]
        # a hole belongs to its smallest containing shell
        holes = [h for h in holes if min((c for c in np.nonzero(cov[:, h])[0] if depth[c] % 2 == 0),
                                         key=lambda c: areas[c]) == s]
        parts.append(shapely.Polygon(shapely.get_coordinates(polys[s]),
                                     [shapely.get_coordinates(polys[h]) for h in holes]))
        order.extend([s, *holes])
    geom = parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
    return geom, order


_EXPLAIN = {"Self-intersection": "the boundary crosses itself", "Ring Self-intersection": "a ring touches itself",
            "Too few points": "a ring has too few points", "Interior is disconnected": "holes cut the plot apart",
            "Nested shells": "parts lie inside each other"}


def _invalid_error(geom, plot: Plot, path) -> InputError:
    reason = shapely.is_valid_reason(geom)
    m = re.search(r"\[([-\d.eE+]+) ([-\d.eE+]+)\]", reason)
    line = plot.line
    where_txt = ""
    if m:
        pt = np.array([float(m.group(1)), float(m.group(2))])
        # the segments through the reported point (start line, labels), else the nearest point
        segs: list[tuple] = []
        for ri, r in enumerate(plot.rings):
            a, b = r.xy[:-1], r.xy[1:]
            ab = b - a
            t = np.clip(((pt - a) * ab).sum(axis=1) / np.maximum((ab * ab).sum(axis=1), 1e-12), 0, 1)
            d = np.hypot(*(a + t[:, None] * ab - pt).T)
            nxt = r.labels[1:] + r.labels[:1]
            segs.extend((d[k], r.lines[k], f"{r.labels[k]}–{nxt[k]}", ri) for k in range(len(d)))
        segs.sort(key=lambda s: (round(s[0], 6), s[1]))
        on = [s for s in segs if s[0] < 1e-6] or segs[:1]
        line = on[0][1]
        names = " and ".join(s[2] for s in on[:2])
        where_txt = f" at X={pt[1]:.3f}, Y={pt[0]:.3f} (segment {names})"
        rings_hit = sorted({s[3] + 1 for s in on})
        if len(rings_hit) > 1:
            where_txt = (f"rings {' and '.join(map(str, rings_hit[:2]))} cross or overlap (parts must not "
                         f"overlap, holes must lie inside their outline){where_txt}")
    kind = reason.split("[")[0].strip()
    what = "" if where_txt.startswith("rings ") else _EXPLAIN.get(kind, kind)
    return InputError(f"plot {plot.attrs.get('plot_no') or plot.line} is not a valid polygon: "
                      f"{what}{where_txt}", path, f"line {line}")
