"""Static figures for reports: parcel maps and charts as PNG bytes (matplotlib, Agg, no internet).

Chinese labels are set in the Noto Sans SC that the package installs (:mod:`.fonts`, registered with
matplotlib's font manager, no system font needed); DejaVu Sans is the fallback for the rest. Figures
are built with :class:`matplotlib.figure.Figure` directly, never pyplot, so no global state or GUI is touched.
"""

from __future__ import annotations

import base64
import contextlib
import io
import math
import os
import re
import sys
import warnings

import numpy as np
import shapely
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.path import Path as MplPath

from .fonts import cjk_font

__all__ = ["STATUS_COLORS", "bar_chart", "cjk_font", "font_family", "parcel_map", "png_data_uri", "progress_chart"]

#: Colours shared by the figures and the HTML (fail / warn / pass).
STATUS_COLORS = {"fail": "#c0392b", "warn": "#e67e22", "pass": "#27ae60", "not_applicable": "#7f8c8d",
                 "missing_data": "#95a5a6"}
_LATIN = "DejaVu Sans"
CLASS_COLORS = {"A": "#1a9850", "B": "#91cf60", "C": "#fdae61", "D": "#d73027"}


def font_family() -> list[str]:
    """The font family list for matplotlib: the CJK font first, DejaVu Sans as fallback."""
    found = cjk_font()
    return ([found[0]] if found else []) + ["DejaVu Sans"]


def _figure(width_in: float, height_in: float) -> Figure:
    fig = Figure(figsize=(width_in, height_in))
    return fig


@contextlib.contextmanager
def _rc():
    """Build and save figures in here: the CJK font, and glyph warnings told as one line (:func:`_tell_missing`)."""
    import matplotlib

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with matplotlib.rc_context({"font.family": font_family(), "axes.unicode_minus": False, "font.size": 9}):
            yield
    _tell_missing(caught)


def png_data_uri(png: bytes) -> str:
    """``data:image/png;base64,…`` for embedding a PNG in HTML (works offline)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


_GLYPH_WARNING = re.compile(r"Glyph (\d+) .*missing from")
_missing_glyphs_told: set[str] = set()


def _tell_missing(caught) -> None:
    """Re-issue caught warnings, except matplotlib's "Glyph … missing": one line per new character set.

    The bundled Noto Sans SC (then DejaVu Sans) covers the reports' text; a character in the data
    that neither font has (an emoji in a name, a rare 生僻字) would make matplotlib warn once per
    glyph and draw, thousands of lines in a run.
    """
    missing = set()
    for w in caught:
        m = _GLYPH_WARNING.search(str(w.message))
        if m:
            missing.add(chr(int(m.group(1))))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    new = missing - _missing_glyphs_told
    if new and not os.environ.get("GEO_TENGLONG_QUIET"):
        _missing_glyphs_told.update(new)
        print(f"geo-tenglong: 警告: 图中有字体不含的字符, 显示为方框: {' '.join(sorted(new))}", file=sys.stderr)


def _save(fig: Figure, dpi: int) -> bytes:
    buf = io.BytesIO()
    # fast zlib level: PNG encoding was a third of a parcel map's time, for ~15 % smaller files
    fig.savefig(buf, format="png", dpi=dpi, pil_kwargs={"compress_level": 2})
    return buf.getvalue()


# ------------------------------------------------------------------------------------ the map

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


def parcel_map(parcel, neighbours=(), buildings=(), plots=(), corner_xy=None, width_in: float = 4.3,
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


# --------------------------------------------------------------------------------- the charts

def progress_chart(labels, progress, statuses=None, width_in: float = 4.2, height_in: float | None = None,
                   dpi: int = 130) -> bytes:
    """Horizontal bars of progress towards targets (1.0 = target met), a line at 100 %.

    Parameters
    ----------
    labels : sequence of str
    progress : sequence of float
        value / target; NaN = no data.
    statuses : sequence of str, optional
        Finding statuses to colour the bars.
    """
    labels = list(labels)
    prog = np.asarray(progress, dtype=float)
    statuses = list(statuses) if statuses is not None else ["pass" if p >= 1 else "fail" for p in prog]
    height_in = height_in or max(1.4, 0.32 * len(labels) + 0.6)
    with _rc():
        fig = _figure(width_in, height_in)
        ax = fig.add_subplot(1, 1, 1)
        y = np.arange(len(labels))[::-1]
        shown = np.nan_to_num(np.clip(prog, 0, 1.5) * 100)
        ax.barh(y, shown, color=[STATUS_COLORS.get(s, "#95a5a6") for s in statuses], height=0.6)
        for yi, p, v in zip(y, prog, shown):
            ax.text(v + 2, yi, "无数据" if np.isnan(p) else f"{p * 100:.0f}%", va="center", fontsize=8)
        ax.axvline(100, color="#333333", lw=0.8, ls="--")
        ax.set_yticks(y, labels, fontsize=8)
        ax.set_xlim(0, 175)
        ax.set_xlabel("完成度(当前值/目标值, %)", fontsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        return _save(fig, dpi)


def bar_chart(labels, values, title: str = "", unit: str = "", colors=None, horizontal: bool = True,
              width_in: float = 4.2, height_in: float | None = None, dpi: int = 130) -> bytes:
    """A labelled bar chart (horizontal by default) with the values printed on the bars."""
    labels = [str(v) if len(str(v)) <= 8 else str(v)[:7] + "…" for v in labels]  # long park names
    values = np.asarray(values, dtype=float)
    height_in = height_in or (max(1.4, 0.3 * len(labels) + 0.7) if horizontal else 2.2)
    with _rc():
        fig = _figure(width_in, height_in)
        ax = fig.add_subplot(1, 1, 1)
        colors = colors or "#2e86c1"
        if horizontal:
            y = np.arange(len(labels))[::-1]
            ax.barh(y, values, color=colors, height=0.6)
            ax.set_yticks(y, labels, fontsize=8)
            for yi, v in zip(y, values):
                ax.text(v, yi, f" {v:,.1f}", va="center", fontsize=7)
            ax.set_xlim(0, (values.max() if len(values) else 1) * 1.45 or 1)
            if unit:
                ax.set_xlabel(unit, fontsize=8)
        else:
            x = np.arange(len(labels))
            ax.bar(x, values, color=colors, width=0.6)
            ax.set_xticks(x, labels, fontsize=8)
            for xi, v in zip(x, values):
                ax.text(float(xi), v, f"{v:,.0f}", ha="center", va="bottom", fontsize=8)
            ax.set_ylim(0, (values.max() if len(values) else 1) * 1.2 or 1)
            if unit:
                ax.set_ylabel(unit, fontsize=8)
        if title:
            ax.set_title(title, fontsize=9)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        return _save(fig, dpi)
