"""Static charts for the one-pager as PNG bytes (matplotlib, Agg, no internet).

The parcel reports' maps are inline SVG (:mod:`.map_svg`), not matplotlib figures.

Chinese labels are set in the Noto Sans SC that the package installs (:mod:`.fonts`, registered with
matplotlib's font manager, no system font needed); DejaVu Sans is the fallback for the rest. Figures
are built with :class:`matplotlib.figure.Figure` directly, never pyplot, so no global state or GUI is touched.
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
import re
import sys
import warnings

import numpy as np
from matplotlib.figure import Figure

from .fonts import cjk_font

__all__ = ["STATUS_COLORS", "bar_chart", "cjk_font", "font_family", "png_data_uri", "progress_chart"]

#: Colours shared by the figures and the HTML (fail / warn / pass).
STATUS_COLORS = {"fail": "#c0392b", "warn": "#e67e22", "pass": "#27ae60", "not_applicable": "#7f8c8d",
                 "missing_data": "#95a5a6"}
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
