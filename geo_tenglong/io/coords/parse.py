"""Decoded text of a 界址点坐标交换格式 file to sections and records: the ``[属性描述]`` and
``[项目信息]`` key/values, extension sections kept as written, and per plot its attributes and
rings as coordinate arrays (no geometry yet).

Numbers are read as the format writes them — ASCII digits, an optional sign, decimal point and
exponent. What only Python would read (``1_000``, full-width ``１２``, Arabic-Indic ``١٢``) is
refused with its line, as is a 圈号 that is not a positive whole number. ``0`` in 界址点数 or
地块面积 means "not given".
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np

from ...errors import InputError
from .layouts import split_plot_line
from .model import SAME_POINT_M, Parsed, Plot, Ring
from .zone import precision_of, zone_of

__all__ = ["parse_coords_text"]

_SECTIONS = {"属性描述": "header", "项目信息": "project", "地块坐标": "plots"}
_WHOLE_RE = re.compile(r"^[0-9]+(?:\.0*)?$")
_NUMBER_RE = re.compile(r"^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$")
_NOT_NUMBER_CHAR = re.compile(r"[^0-9.eE+\-\s]")


def parse_coords_text(text: str, path: str | Path = "<text>") -> Parsed:
    """Parse decoded text into header, plots and rings (no geometry yet).

    Parameters
    ----------
    text : str
        Text as :func:`~.decode.decode_coords_bytes` returns it (``\\n`` line ends, ASCII punctuation).
    path : str or Path
        The file the text came from, for error messages.

    Returns
    -------
    Parsed
        Header and project dicts, extension sections, plots with their rings as coordinate arrays,
        the zone, the precision (m) and warnings; :func:`~.batch.read_coords` turns it into geometries.

    Raises
    ------
    InputError
        Naming the file, the line and what was expected.
    """
    path = Path(path)
    lines = text.split("\n")
    header: dict = {}
    project: dict = {}
    header_lines: dict = {}
    extensions: dict = {}
    ext_lines: dict = {}
    warnings: list[str] = []
    section = None
    ext_name = ""
    body: tuple[int, int] | None = None
    i = 0
    n = len(lines)
    while i < n:
        s = lines[i].strip()
        if not s:
            i += 1
            continue
        if s.startswith("["):
            section, ext_name = _section(s, i + 1, path, header, body)
            if section == "plots":
                start = i + 1
                i = start
                while i < n and not lines[i].lstrip().startswith("["):
                    i += 1
                body = (start, i)
                continue
            if section == "extension":
                if ext_name in extensions:
                    raise InputError(f"section [{ext_name}] appears twice", path, f"line {i + 1}")
                extensions[ext_name] = []
                ext_lines[ext_name] = i + 1
                warnings.append(f"第{i + 1}行 扩展节[{ext_name}]已原样保留，未参与读取")
            i += 1
            continue
        if section is None:
            raise InputError(f"expected the section header [属性描述], found {s[:40]!r}", path, f"line {i + 1}")
        if section == "extension":
            extensions[ext_name].append(s)
        elif "=" not in s:
            raise InputError(f"expected key=value in [{'属性描述' if section == 'header' else '项目信息'}], "
                             f"found {s[:40]!r}", path, f"line {i + 1}")
        else:
            key, value = s.split("=", 1)
            key = key.strip()
            if section == "header":
                header[key] = value.strip()
                header_lines[key] = i + 1
            else:
                project[key] = value.strip()
        i += 1
    if body is None:
        if ext_lines:
            name, line = next(iter(ext_lines.items()))
            raise InputError(f"no [地块坐标] section: the file holds no plot (the unknown section [{name}] is "
                             "not the plot coordinates)", path, f"line {line}")
        raise InputError("no [地块坐标] section: the file holds no plot", path, f"line {n}")
    plots = _parse_body(lines, body, path)
    all_x = np.concatenate([r.xy[:, 0] for p in plots for r in p.rings])
    zone = zone_of(header, header_lines, all_x, plots, path, warnings)
    precision = precision_of(header.get("精度", ""))
    for p in plots:
        warnings.extend(p.attrs.pop("_warnings", []))
    return Parsed(path, header, project, plots, zone, warnings, "", precision, extensions)


def _section(s: str, lineno: int, path: Path, header: dict, body) -> tuple[str, str]:
    """(kind, name) of a section line: header/project/plots, or extension with its name."""
    if not s.endswith("]"):
        raise InputError(f"section line {s[:40]!r} does not end with ']'", path, f"line {lineno}")
    name = re.sub(r"\s+", "", s[1:-1])
    if not name:
        raise InputError("empty section name '[]'", path, f"line {lineno}")
    kind = _SECTIONS.get(name, "extension")
    if kind == "plots" and body is not None:
        raise InputError("a second [地块坐标] section; one file holds one [地块坐标]", path, f"line {lineno}")
    if kind == "plots" and not header and body is None:
        raise InputError("expected [属性描述] before [地块坐标]", path, f"line {lineno}")
    return kind, name


def _parse_body(lines: list, span: tuple[int, int], path: Path) -> list:
    start, stop = span
    idx = [i for i in range(start, stop) if lines[i].strip()]
    if not idx:
        raise InputError("[地块坐标] holds no plot; expected a plot line 界址点数,地块面积,…,@",
                         path, f"line {start}")
    is_plot = ["@" in lines[i] for i in idx]
    if not is_plot[0]:
        raise InputError(f"expected a plot line 界址点数,地块面积,地块编号,…,@ before the points, found "
                         f"{lines[idx[0]].strip()[:40]!r}", path, f"line {idx[0] + 1}")
    plot_pos = [k for k, f in enumerate(is_plot) if f] + [len(idx)]
    plots = []
    for a, b in itertools.pairwise(plot_pos):
        pl = idx[a]
        attrs = _plot_attrs(lines[pl], pl + 1, path)
        pidx = idx[a + 1:b]
        if not pidx:
            raise InputError("plot line is followed by no point line (点号,圈号,X,Y)", path, f"line {pl + 1}")
        rings = _parse_points([lines[i] for i in pidx], np.asarray(pidx) + 1, path)
        n_closing = len(pidx) - sum(len(r.labels) for r in rings)
        _check_count(attrs, len(pidx), n_closing, len(rings), pl + 1, path)
        n_open = sum(not r.closed for r in rings)
        if n_open:
            attrs["_warnings"] = [f"第{pl + 1}行地块有{n_open}个环未闭合，已按首点自动闭合"]
        plots.append(Plot(attrs, pl + 1, rings, len(pidx)))
    return plots


def _plot_attrs(line: str, lineno: int, path: Path) -> dict:
    layout, attrs = split_plot_line(line, lineno, path)
    count = attrs["declared_points"]
    if not _WHOLE_RE.match(count):
        raise InputError(f"界址点数 must be a positive whole number written in ASCII digits (0 when not given), "
                         f"found {count!r}", path, f"line {lineno}")
    value = int(float(count))
    attrs["declared_points"] = value if value > 0 else None       # 0 = not given
    attrs["plot_layout"] = layout
    return attrs


def _parse_points(block: list, linenos: np.ndarray, path: Path) -> list:
    rows = [s.split(",") for s in block]
    if set(map(len, rows)) != {4}:
        fixed = []
        for r, ln in zip(rows, linenos):
            if len(r) > 4 and all(not f.strip() for f in r[4:]):
                r = r[:4]
            if len(r) != 4:
                shown = ",".join(r).strip()[:50]
                if len(r) > 4:
                    msg = (f"expected a point line 点号,圈号,X,Y (4 fields) or a plot line ending in '@', "
                           f"found {len(r)} fields without '@': {shown!r}")
                else:
                    msg = f"expected a point line 点号,圈号,X,Y (4 fields), found {len(r)}: {shown!r}"
                raise InputError(msg, path, f"line {ln}")
            fixed.append(r)
        rows = fixed
    labels = [r[0].strip() for r in rows]
    ringnos = [r[1].strip() for r in rows]
    _check_ring_numbers(ringnos, linenos, path)
    coords = [r[2:] for r in rows]
    if _NOT_NUMBER_CHAR.search("".join(r[2] + r[3] for r in rows)):
        _raise_bad_number(rows, linenos, path)
    try:
        ne = np.array(coords, dtype=float)          # (n, 2): X north, Y east
    except ValueError:
        _raise_bad_number(rows, linenos, path)
    if not np.isfinite(ne).all():
        ln = linenos[np.argmin(np.isfinite(ne).all(axis=1))]
        raise InputError("coordinates must be finite numbers", path, f"line {ln}")
    xy = ne[:, ::-1]                        # GIS order: x = east (surveyor's Y), y = north (X)
    _check_ranges(xy[:, 1], xy[:, 0], linenos, path)
    return _split_rings(xy, labels, ringnos, linenos, path)


def _check_ring_numbers(ringnos: list, linenos, path: Path) -> None:
    prev = None
    for r, ln in zip(ringnos, linenos):
        if r == prev:
            continue
        if not _WHOLE_RE.match(r) or float(r) < 1:
            raise InputError(f"圈号 must be a positive whole number (1, 2, …), found {r!r}", path, f"line {ln}")
        prev = r


def _raise_bad_number(rows, linenos, path):
    for r, ln in zip(rows, linenos):
        for name, v in (("X", r[2]), ("Y", r[3])):
            if not _NUMBER_RE.match(v.strip()):
                raise InputError(f"{name} coordinate must be a number (finite, in ASCII digits, e.g. 3224000.125), "
                                 f"found {v.strip()[:30]!r}", path, f"line {ln}") from None
    raise InputError("coordinates must be numbers", path, f"line {linenos[0]}")   # pragma: no cover


def _check_ranges(north, east, linenos, path):
    # northing of China: about 1 900 km (18° N) to 6 000 km (54° N); easting in zone 250–750 km
    bad = (north < 1.0e5) | (north > 7.0e6)
    if bad.any():
        k = int(np.argmax(bad))
        if 13 <= north[k] // 1.0e6 <= 45 and 1.0e6 < east[k] < 7.0e6:
            msg = (f"X = {north[k]:.3f} looks like an easting and Y = {east[k]:.3f} like a northing; "
                   "X is the northing (north), Y the easting with the zone prefix")
        else:
            msg = f"X (northing) = {north[k]:.3f} is outside China (expected 100 000–7 000 000 m)"
        raise InputError(msg, path, f"line {linenos[k]}")
    local = np.mod(east, 1.0e6)
    bad = (local < 1.0e5) | (local > 9.0e5) | (east >= 1.0e8) | (east < 0)
    if bad.any():
        k = int(np.argmax(bad))
        raise InputError(f"Y (easting) = {east[k]:.3f} is no Gauss-Krüger easting "
                         "(expected 100 000–900 000 m, optionally with the zone prefix, e.g. 40500000)",
                         path, f"line {linenos[k]}")


def _split_rings(xy, labels, ringnos, linenos, path) -> list:
    n = len(labels)
    # groups of consecutive points with the same 圈号
    starts = [0] + [k for k in range(1, n) if ringnos[k] != ringnos[k - 1]] + [n]
    rings = []
    for s, e in itertools.pairwise(starts):
        a = s
        while a < e:
            first = xy[a]
            d = np.abs(xy[a + 1:e] - first).max(axis=1) if e - a > 1 else np.empty(0)
            close = np.nonzero(d <= SAME_POINT_M)[0]
            # a point that repeats the first label closes the ring too - it must repeat the coordinates
            same_label = []
            if labels[a]:
                try:  # noqa: SIM105 - per ring in the parser's loop; contextlib.suppress costs more
                    same_label = [labels.index(labels[a], a + 1, e)]
                except ValueError:
                    pass
            end = e            # exclusive end of the distinct points
            nxt = e            # where the next ring starts
            closed = False
            if close.size:
                end = a + 1 + int(close[0])
                nxt = end + 1
                closed = True
            if same_label and (not closed or same_label[0] < end):
                k = same_label[0]
                dist = float(np.hypot(*(xy[k] - first)))
                raise InputError(f"point {labels[k]} repeats the label of the ring's first point (line "
                                 f"{linenos[a]}) but not its coordinates ({dist:.3f} m apart); a ring closes "
                                 "by repeating its first point", path, f"line {linenos[k]}")
            pts = xy[a:end]
            if end - a < 3:
                raise InputError(f"ring {ringnos[a] or '?'} has {end - a} distinct point(s); a ring needs at "
                                 "least 3", path, f"line {linenos[a]}")
            step = np.abs(np.diff(pts, axis=0)).max(axis=1)
            dup = np.nonzero(step <= SAME_POINT_M)[0]
            if dup.size:
                k = a + int(dup[0]) + 1
                raise InputError(f"duplicate point: {labels[k] or 'this point'} repeats the coordinates of "
                                 f"the point before it (line {linenos[k - 1]})", path, f"line {linenos[k]}")
            rings.append(Ring(np.concatenate((pts, pts[:1])), labels[a:end], linenos[a:end],
                              ringnos[a], closed, labels[end] if closed else ""))
            a = nxt
    return rings


def _check_count(attrs, n_lines, n_closing, n_rings, lineno, path):
    n = attrs["declared_points"]
    if n is None:           # written as 0: not given
        return
    distinct = n_lines - n_closing
    if n in (n_lines, distinct, distinct + n_rings):
        return
    raise InputError(f"界址点数 is {n} but {n_lines} point lines follow ({distinct} distinct points in "
                     f"{n_rings} ring(s)); expected the count with or without the closing points",
                     path, f"line {lineno}")
