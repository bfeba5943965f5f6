"""Benchmark: the workbook, the reports of every flagged parcel and the one-pager; and the parcel map,
matplotlib (before) against inline SVG (now), side by side on the same parcels.

Usage::

    python scripts/bench_reports.py [WORKSPACE] [--limit N] [--no-pdf] [--split] [--maps N]

Analyses the workspace (default: the bundled sample ``layers/``) once, then writes the outputs as
``run`` does (HTML per flagged parcel, the PDF atlas, the index, the one-pager) into a temporary
folder and prints a table of CPU seconds (this process; Chromium's own CPU is counted separately
from its child-process times) and wall seconds per phase. ``--maps N`` draws the maps of the first
N flagged parcels both ways; the matplotlib map (removed from the package when the reports moved to
SVG) lives only in this script as ``old_parcel_map``.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely
from matplotlib.collections import PathCollection
from matplotlib.path import Path as MplPath

from geo_tenglong.report.figures import _figure, _rc, _save

_LATIN = "DejaVu Sans"


# ------------------------------------------------------ the matplotlib parcel map (before, for comparison)

def _polygon_path(geoms) -> MplPath | None:
    """One compound path of every polygon ring (holes included) of ``geoms``."""
    geoms = [g for g in np.atleast_1d(geoms) if g is not None and not g.is_empty]
    if not geoms:
        return None
    polys = shapely.get_parts(shapely.get_parts(np.asarray(geoms, dtype=object)))
    verts, codes = [], []
    for poly in polys:
        if poly.geom_type != "Polygon":
            continue
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)
            if len(xy) < 3:
                continue
            c = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
            c[0] = MplPath.MOVETO
            c[-1] = MplPath.CLOSEPOLY
            verts.append(xy)
            codes.append(c)
    if not verts:
        return None
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def _add(ax, geoms, **style):
    paths = [p for p in (_polygon_path([g]) for g in np.atleast_1d(geoms)) if p is not None]
    if paths:
        ax.add_collection(PathCollection(paths, **style))


def _nice_length(span: float) -> float:
    raw = span / 4
    mag = 10 ** math.floor(math.log10(raw))
    for m in (5, 2, 1):
        if m * mag <= raw:
            return m * mag
    return mag


def _scale_bar(ax, xmin, xmax, ymin, ymax):
    length = _nice_length(xmax - xmin)
    x0 = xmin + (xmax - xmin) * 0.05
    y0 = ymin + (ymax - ymin) * 0.05
    h = (ymax - ymin) * 0.012
    half = length / 2
    ax.add_patch(_rect(x0, y0, half, h, "black"))
    ax.add_patch(_rect(x0 + half, y0, half, h, "white"))
    box = {"facecolor": "white", "edgecolor": "none", "alpha": 0.75, "pad": 0.6}
    ax.text(x0, y0 + h * 2.2, "0", ha="center", va="bottom", fontsize=7, fontfamily=_LATIN, zorder=12, bbox=box)
    label = f"{length / 1000:g} 千米" if length >= 1000 else f"{length:g} 米"
    ax.text(x0 + length, y0 + h * 2.2, label, ha="center", va="bottom", fontsize=7, zorder=12, bbox=box)


def _rect(x, y, w, h, color):
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, facecolor=color, edgecolor="black", linewidth=0.6, zorder=10)


def _north_arrow(ax):
    ax.annotate("", xy=(0.93, 0.95), xytext=(0.93, 0.82), xycoords="axes fraction",
                arrowprops={"arrowstyle": "-|>,head_width=0.5,head_length=0.9", "color": "black", "lw": 1.4}, zorder=11)
    ax.text(0.93, 0.955, "北", transform=ax.transAxes, ha="center", va="bottom", fontsize=10, zorder=11,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.75, "pad": 0.6})


def old_parcel_map(parcel, neighbours=(), buildings=(), plots=(), corner_xy=None, width_in: float = 4.3,
               height_in: float = 3.6, dpi: int = 130, margin: float = 0.35) -> bytes:
    """A static map of one parcel: its neighbours, buildings and nearby corner plots, with a scale
    bar and a north arrow.

    Parameters
    ----------
    parcel : shapely Polygon or MultiPolygon
        In a planar CRS in metres (the workspace CRS), north up.
    neighbours, buildings, plots : sequence of geometry
        Surrounding parcels, building footprints and 零星边角地/夹心地 to draw.
    corner_xy : array (n, 2), optional
        Corner points (easting, northing) labelled J1…Jn.
    width_in, height_in, dpi : float
        Image size.
    margin : float
        Extra extent around the parcel, as a share of its larger side.

    Returns
    -------
    bytes
        PNG image.
    """
    with _rc():
        fig = _figure(width_in, height_in)
        ax = fig.add_axes((0, 0, 1, 1))
        minx, miny, maxx, maxy = parcel.bounds
        size = max(maxx - minx, maxy - miny, 20.0)
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        aspect = width_in / height_in
        half_h = size * (0.5 + margin)
        half_w = max(half_h * aspect, size * (0.5 + margin))
        half_h = half_w / aspect
        xmin, xmax, ymin, ymax = cx - half_w, cx + half_w, cy - half_h, cy + half_h
        ax.set_facecolor("#f7f7f2")
        _add(ax, neighbours, facecolor="#e8e8e0", edgecolor="#8c8c8c", linewidths=0.6, zorder=1)
        _add(ax, [parcel], facecolor="#fde0dc", edgecolor="#c0392b", linewidths=1.8, zorder=2)
        _add(ax, plots, facecolor="#f5b041", edgecolor="#b9770e", linewidths=0.8, alpha=0.85, hatch="///", zorder=3)
        _add(ax, buildings, facecolor="#5d6d7e", edgecolor="#2c3e50", linewidths=0.4, zorder=4)
        if corner_xy is not None and len(corner_xy):
            xy = np.asarray(corner_xy, dtype=float)
            ax.plot(xy[:, 0], xy[:, 1], "o", ms=2.5, color="#c0392b", zorder=5)
            step = max(1, math.ceil(len(xy) / 16))  # keep labels legible on very detailed boundaries
            for k in range(0, len(xy), step):
                # ASCII labels in a Latin font: laying out text in the big CJK font costs ~6 ms a label
                ax.annotate(f"J{k + 1}", xy[k], xytext=(2, 2), textcoords="offset points", fontsize=6,
                            color="#922b21", zorder=6, fontfamily=_LATIN)
        ax.set_xlim(xmin, xmax)
        ax.set_ylim(ymin, ymax)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        for side in ax.spines.values():
            side.set_edgecolor("#555555")
        _scale_bar(ax, xmin, xmax, ymin, ymax)
        _north_arrow(ax)
        return _save(fig, dpi)


# --------------------------------------------------------------------------------------- timing

def _cpu() -> float:
    """CPU seconds of this process and its finished children (Chromium)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _timed(func):
    c, w = _cpu(), time.perf_counter()
    value = func()
    return value, _cpu() - c, time.perf_counter() - w


def compare_maps(results, ws, ids) -> list[tuple]:
    """CPU seconds per map, matplotlib PNG (with its data URI) against inline SVG, on the same parcels."""
    from geo_tenglong.report.figures import png_data_uri
    from geo_tenglong.report.map_svg import parcel_map_svg
    from geo_tenglong.report.parcel_report import _Context

    ctx = _Context(results, ws)
    ctx.prepare(ids)
    inputs = []
    for pid in ids:
        geom = ctx.geoms[ctx.pos[pid]]
        if geom is None or geom.is_empty:
            continue
        uniq = ctx.corners(pid).drop_duplicates("点号", keep="first")
        inputs.append((geom, *ctx.neighbours(geom, pid), uniq[["Y", "X"]].to_numpy(dtype=float),
                       uniq["点号"].astype(str).tolist()))
    n = max(len(inputs), 1)

    def old():
        return [png_data_uri(old_parcel_map(g, nb, b, pl, corner_xy=xy, width_in=4.1, height_in=2.85, dpi=110))
                for g, nb, b, pl, xy, _labels in inputs]

    def new():
        return [parcel_map_svg(g, nb, b, pl, corner_xy=xy, labels=labels) for g, nb, b, pl, xy, labels in inputs]

    old_maps, old_cpu, old_wall = _timed(old)
    new_maps, new_cpu, new_wall = _timed(new)
    kb_old = sum(len(m) for m in old_maps) / n / 1024
    kb_new = sum(len(m.encode()) for m in new_maps) / n / 1024
    return [(f"  map, matplotlib PNG ({n} parcels)", old_cpu, old_wall, f"{old_cpu / n * 1000:.1f} ms CPU/map, {kb_old:.0f} KB"),
            (f"  map, inline SVG ({n} parcels)", new_cpu, new_wall,
             f"{new_cpu / n * 1000:.2f} ms CPU/map, {kb_new:.0f} KB; {old_cpu / max(new_cpu, 1e-9):.0f}x faster")]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workspace", nargs="?", default="layers")
    ap.add_argument("--limit", type=int, default=None, help="only the first N flagged parcels")
    ap.add_argument("--no-pdf", action="store_true", help="HTML only")
    ap.add_argument("--split", action="store_true", help="also cut per-parcel PDFs (what `report` does; run does not)")
    ap.add_argument("--maps", type=int, default=200, help="parcels whose map is drawn both ways (0: skip)")
    ap.add_argument("--workers", type=int, default=None, help="report worker processes (default: every core)")
    args = ap.parse_args(argv)

    from geo_tenglong.pipeline import analyse
    from geo_tenglong.report.onepager import write_onepager
    from geo_tenglong.report.parcel_report import ATLAS_FILE, flagged_parcels, write_parcel_reports
    from geo_tenglong.report.pdf import find_chromium
    from geo_tenglong.report.workbook import write_workbook
    from geo_tenglong.workspace import load_workspace

    rows = []
    (ws, results), cpu, wall = _timed(lambda: (lambda w: (w, analyse(w)))(load_workspace(args.workspace)))
    rows.append(("load + analyse (not reports)", cpu, wall, ""))
    ids = flagged_parcels(results)
    if args.limit:
        ids = ids[: args.limit]
    if args.maps:
        rows.extend(compare_maps(results, ws, ids[: args.maps]))
    pdf = not args.no_pdf
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        _, cpu, wall = _timed(lambda: write_workbook(results, out, None, ws))
        rows.append(("workbook (腾笼换鸟清单.xlsx)", cpu, wall, f"{len(results.parcels)} parcels"))
        timings: dict = {}
        written, cpu, wall = _timed(lambda: write_parcel_reports(
            results, ids, out / "reports", ws, pdf=pdf, atlas=True, index=True, split=args.split, timings=timings,
            workers=args.workers))
        n = max(len(ids), 1)
        rows.append(("  reports: pages (maps, tables, HTML)", timings.get("pages_cpu", math.nan),
                     timings.get("pages", math.nan), f"{timings.get('pages_cpu', 0) / n * 1000:.1f} ms CPU/parcel"))
        if pdf:
            rows.append(("  reports: Chromium atlas PDF", timings.get("pdf_cpu", math.nan), timings.get("pdf", math.nan),
                         find_chromium() or "no Chromium"))
            if args.split:
                rows.append(("  reports: split into per-parcel PDFs", math.nan, timings.get("split", math.nan), ""))
        size = sum(p.stat().st_size for p in written if p.exists()) / 1e6
        atlas = out / "reports" / ATLAS_FILE
        if atlas.is_file():
            from pypdf import PdfReader

            rows.append(("  atlas", math.nan, math.nan, f"{len(PdfReader(str(atlas)).pages)} pages, "
                                                       f"{atlas.stat().st_size / 1e6:.1f} MB"))
        rows.append((f"reports for {len(ids)} flagged parcels", cpu, wall, f"{len(written)} files, {size:.1f} MB"))
        _, cpu, wall = _timed(lambda: write_onepager(results, out, None, ws, pdf=pdf))
        rows.append(("one-pager (HTML+PDF)" if pdf else "one-pager (HTML)", cpu, wall, ""))
    width = max(len(r[0]) for r in rows)
    print(f"{os.cpu_count()} cores; CPU = this process + its children (workers, Chromium)")
    print(f"| {'phase':<{width}} | {'CPU s':>8} | {'wall s':>8} | note |")
    print(f"|{'-' * (width + 2)}|{'-' * 10}|{'-' * 10}|------|")
    for name, cpu, wall, note in rows:
        print(f"| {name:<{width}} | {cpu:8.2f} | {wall:8.2f} | {note} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
