"""Reader of the 界址点坐标交换格式 (the "部标" txt of 勘测定界 / 建设用地报批).

A file looks like::

    [属性描述]
    格式版本号=1.01版本
    数据产生单位=…
    数据产生日期=2019-4-19
    坐标系=2000国家大地坐标系
    几度分带=3
    投影类型=高斯克吕格
    计量单位=米
    带号=40
    精度=0.001
    转换参数=,,,,,,
    [地块坐标]
    5,0.0109,1,地块一,面,,工业用地,0601,@      <- plot line: 界址点数,地块面积,地块编号,地块名称,
    J1,1,3353189.181,40520986.477                 图形属性,图幅号,地块用途,地类编码,[…],@
    J2,1,…                                      <- point line: 点号,圈号,X (north),Y (east)

with an optional ``[项目信息]`` section of ``key=value`` lines. The reader takes what real
producers write (see ``/work/shared/fixtures/jzd/README.md``): GBK, UTF-8 with or without BOM,
UTF-16; CRLF, LF, stray CR; full-width punctuation; blank fields holding spaces; point labels that
restart per ring or close on a new label; unclosed rings; 界址点数 with or without the closing
points; a blank 带号 with the zone only in the Y prefix; areas in 公顷, in m² or with a unit suffix.

Rings become holes or separate parts by containment: a ring inside an odd number of the plot's other
rings is a hole, whatever its 圈号 or winding says.

Parsing is split in two so that a folder of thousands of files is fast: :func:`parse_coords_text`
turns one file into plain arrays (no shapely), and :func:`_build` makes the geometries of many files
at once with shapely 2's array constructors.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..crs import CGCS2000, GKZone, normalize_datum
from ..errors import InputError
from ..findings import WARN, concat_findings, empty_findings, make_findings

__all__ = ["CoordsFile", "CoordsBatch", "HEADER_KEYS", "PLOT_FIELDS", "read_coords", "read_coords_many",
           "read_coords_folder", "parse_coords_text", "decode_coords_bytes", "find_coords_files"]

#: The keys of ``[属性描述]`` in format version 1.01, in order.
HEADER_KEYS = ("格式版本号", "数据产生单位", "数据产生日期", "坐标系", "几度分带", "投影类型", "计量单位",
               "带号", "精度", "转换参数")

#: Plot-line fields before ``@`` -> column names of the plots table.
PLOT_FIELDS = (("界址点数", "declared_points"), ("地块面积", "stated_area"), ("地块编号", "plot_no"),
               ("地块名称", "plot_name"), ("图形属性", "shape_type"), ("图幅号", "sheet_no"),
               ("地块用途", "plot_use"), ("地类编码", "land_class_code"))

RULE_ID = "TT-CORNER-PTS"
CLAUSE = "四(三)"

#: Coordinates closer than this (m) are the same point (closing a ring, duplicates).
SAME_POINT_M = 0.0005
#: Coordinate precision assumed when 精度 is blank or unreadable (m).
DEFAULT_PRECISION_M = 0.001

_SECTIONS = {"属性描述": "header", "项目信息": "project", "地块坐标": "plots"}

# full-width and look-alike punctuation -> ASCII
_FULLWIDTH = {ord("．"): ".", ord("。"): ".", ord("＝"): "=", ord("［"): "[", ord("］"): "]",
              ord("【"): "[", ord("】"): "]", ord("＠"): "@", ord("－"): "-", ord("＋"): "+", ord("："): ":",
              ord("\u3000"): " ", ord("\ufeff"): "", ord("\t"): " "}
_FULLWIDTH.update({0xFF10 + i: str(i) for i in range(10)})
_FULLWIDTH_RE = re.compile("[" + re.escape("".join(chr(c) for c in _FULLWIDTH)) + "]")

_AREA_RE = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")
_AREA_UNITS = {"公顷": "公顷", "ha": "公顷", "hm2": "公顷", "hm²": "公顷", "平方米": "平方米", "m2": "平方米",
               "m²": "平方米", "㎡": "平方米", "平米": "平方米", "亩": "亩"}
_UNIT_M2 = {"公顷": 10000.0, "平方米": 1.0, "亩": 10000.0 / 15.0}


# --------------------------------------------------------------------------------------------------
# data classes


@dataclass
class CoordsFile:
    """One 界址点坐标交换格式 file, read.

    Attributes
    ----------
    path : Path
        The file.
    header : dict
        ``[属性描述]`` as written (keys and values stripped, full-width punctuation normalised).
    project : dict
        ``[项目信息]`` (empty when the file has none).
    plots : GeoDataFrame
        One row per plot (地块): ``parcel_id``, the plot-line attributes (``plot_no`` 地块编号,
        ``plot_name`` 地块名称, ``shape_type`` 图形属性, ``sheet_no`` 图幅号, ``plot_use`` 地块用途,
        ``land_class_code`` 地类编码, ``extra_fields`` for the longer 土地整治 plot lines), the
        declared count, the stated area (``stated_area`` as written, ``stated_area_unit`` and
        ``stated_area_m2`` as understood), the computed ``area_m2``, ``n_rings``,
        ``point_labels`` (ring-wise labels, ``|`` between rings), ``source_file``, ``source_line``,
        and the (Multi)Polygon in the file's CRS.
    findings : DataFrame
        Findings (:func:`geo_tenglong.findings.make_findings`): stated vs computed area.
    warnings : list of str
        Things taken in stride (non-CGCS2000 datum, blank 带号, unclosed rings …), in Chinese.
    encoding : str
        The encoding the file was decoded with.
    """

    path: Path
    header: dict
    project: dict
    plots: gpd.GeoDataFrame
    findings: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    encoding: str = ""

    @property
    def crs(self):
        """The CRS of :attr:`plots`."""
        return self.plots.crs


@dataclass
class CoordsBatch:
    """Many files read together (:func:`read_coords_many`).

    Attributes
    ----------
    plots : GeoDataFrame
        All plots of the good files, in one CRS.
    findings : DataFrame
        Their findings.
    warnings : list of str
        ``"file: message"`` lines.
    failures : list of (Path, str)
        Files that could not be imported and why.
    """

    plots: gpd.GeoDataFrame
    findings: pd.DataFrame
    warnings: list[str]
    failures: list[tuple[Path, str]]


@dataclass
class _Ring:
    """A ring as parsed: coordinates (x = east, y = north), labels of its distinct points, lines."""

    xy: np.ndarray           # (n, 2), closed (first point repeated at the end)
    labels: list             # labels of the n - 1 distinct points
    lines: np.ndarray        # source line of each distinct point
    ring_no: str
    closed: bool = True      # whether the file closed it (else the reader did)


@dataclass
class _Plot:
    attrs: dict
    line: int
    rings: list
    n_lines: int


@dataclass
class _Parsed:
    path: Path
    header: dict
    project: dict
    plots: list
    zone: GKZone
    warnings: list
    encoding: str
    precision_m: float


# --------------------------------------------------------------------------------------------------
# decoding


def decode_coords_bytes(data: bytes, path: str | Path | None = None) -> tuple[str, str]:
    """Decode a coordinate file's bytes: UTF-8 (with or without BOM), UTF-16 (BOM or not) or GBK.

    Parameters
    ----------
    data : bytes
        The file's content.
    path : str or Path, optional
        For error messages.

    Returns
    -------
    (str, str)
        The text, with full-width punctuation made ASCII and every line ending (CRLF, LF, a lone CR)
        made ``\\n``; and the name of the encoding used.

    Raises
    ------
    InputError
        For an empty file, a binary file or bytes that are neither UTF-8 nor GBK.
    """
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise InputError("the file is empty; expected a 界址点坐标交换格式 text starting with [属性描述]", path, "line 1")
    if data.startswith(b"\xef\xbb\xbf"):
        text, enc = _decode(data[3:], "utf-8", path), "utf-8-sig"
    elif data.startswith(b"\xff\xfe"):
        text, enc = _decode(data[2:], "utf-16-le", path), "utf-16-le"
    elif data.startswith(b"\xfe\xff"):
        text, enc = _decode(data[2:], "utf-16-be", path), "utf-16-be"
    elif _utf16_without_bom(data) == "le":
        text, enc = _decode(data, "utf-16-le", path), "utf-16-le"
    elif _utf16_without_bom(data) == "be":
        text, enc = _decode(data, "utf-16-be", path), "utf-16-be"
    else:
        if b"\x00" in data:
            line = data[: data.index(b"\x00")].count(b"\n") + 1
            raise InputError("binary data (NUL bytes): not a 界址点坐标交换格式 text file", path, f"line {line}")
        try:
            text, enc = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, enc = _decode(data, "gb18030", path), "gbk"
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _FULLWIDTH_RE.search(text):      # translate() is slow; most files need none
        text = text.translate(_FULLWIDTH)
    if "，" in text:                     # a separator only on lines without ASCII commas
        text = "\n".join(ln.replace("，", ",") if "," not in ln else ln for ln in text.split("\n"))
    bad = re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise InputError(f"control character {bad.group()!r}: not a text file", path, f"line {line}")
    return text, enc


def _utf16_without_bom(data: bytes) -> str | None:
    """'le' or 'be' when the bytes look like UTF-16 without a BOM: ASCII characters ([, =, digits,
    commas, line ends) leave NUL bytes on one side only."""
    sample = data[:512]
    if len(sample) < 8 or len(data) % 2:
        return None
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    if odd >= 4 and even * 8 < odd:      # a CJK character may have a zero low byte (U+4E00 一)
        return "le"
    if even >= 4 and odd * 8 < even:
        return "be"
    return None


def _decode(data: bytes, encoding: str, path) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].decode(encoding, errors="replace").count("\n") + 1
        raise InputError(f"cannot decode byte {exc.start} as UTF-8, UTF-16 or GBK: not a text file",
                         path, f"line {line}") from None


# --------------------------------------------------------------------------------------------------
# parsing one file into arrays


def parse_coords_text(text: str, path: str | Path = "<text>") -> _Parsed:
    """Parse decoded text into header, plots and rings (no geometry yet).

    Parameters
    ----------
    text : str
        Text as :func:`decode_coords_bytes` returns it (``\n`` line ends, ASCII punctuation).
    path : str or Path
        The file the text came from, for error messages.

    Returns
    -------
    _Parsed
        Header and project dicts, plots with their rings as coordinate arrays, the zone, the
        precision (m) and warnings; :func:`read_coords` turns it into geometries.

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
    section = None
    body_start = None
    for i, raw in enumerate(lines):
        s = raw.strip()
        if not s:
            continue
        if s.startswith("["):
            name = s.strip("[] ")
            if not s.endswith("]") or name not in _SECTIONS:
                raise InputError(f"unknown section {s!r}; expected [属性描述], [项目信息] or [地块坐标]",
                                 path, f"line {i + 1}")
            section = _SECTIONS[name]
            if section == "plots":
                body_start = i + 1
                break
            continue
        if section is None:
            raise InputError(f"expected the section header [属性描述], found {s[:40]!r}", path, f"line {i + 1}")
        if "=" not in s:
            raise InputError(f"expected key=value in [{'属性描述' if section == 'header' else '项目信息'}], "
                             f"found {s[:40]!r}", path, f"line {i + 1}")
        key, value = s.split("=", 1)
        key = key.strip()
        if section == "header":
            header[key] = value.strip()
            header_lines[key] = i + 1
        else:
            project[key] = value.strip()
    if body_start is None:
        raise InputError("no [地块坐标] section: the file holds no plot", path, f"line {len(lines)}")
    if section is None:
        raise InputError("expected [属性描述] before [地块坐标]", path, f"line {body_start}")

    plots = _parse_body(lines, body_start, path)
    warnings: list[str] = []
    all_x = np.concatenate([r.xy[:, 0] for p in plots for r in p.rings])
    all_y = np.concatenate([r.xy[:, 1] for p in plots for r in p.rings])
    zone = _zone(header, header_lines, all_x, all_y, plots, path, warnings)
    precision = _precision(header.get("精度", ""))
    for p in plots:
        warnings.extend(p.attrs.pop("_warnings", []))
    return _Parsed(path, header, project, plots, zone, warnings, "", precision)


def _parse_body(lines: list, start: int, path: Path) -> list:
    # line numbers (1-based) of the non-blank body lines
    idx = [i for i in range(start, len(lines)) if lines[i].strip()]
    if not idx:
        raise InputError("[地块坐标] holds no plot; expected a plot line 界址点数,地块面积,…,@",
                         path, f"line {start}")
    is_plot = ["@" in lines[i] for i in idx]
    if not is_plot[0]:
        raise InputError(f"expected a plot line 界址点数,地块面积,地块编号,…,@ before the points, found "
                         f"{lines[idx[0]].strip()[:40]!r}", path, f"line {idx[0] + 1}")
    plot_pos = [k for k, f in enumerate(is_plot) if f] + [len(idx)]
    plots = []
    for a, b in zip(plot_pos[:-1], plot_pos[1:]):
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
        plots.append(_Plot(attrs, pl + 1, rings, len(pidx)))
    return plots


def _plot_attrs(line: str, lineno: int, path: Path) -> dict:
    fields = [f.strip() for f in line.split(",")]
    while fields and fields[-1] == "":
        fields.pop()
    if not fields or fields[-1] != "@":
        raise InputError("a plot line must end with the field '@' (界址点数,地块面积,地块编号,…,@)", path,
                         f"line {lineno}")
    fields = fields[:-1]
    if "@" in fields:
        raise InputError("'@' may only be the last field of a plot line", path, f"line {lineno}")
    if len(fields) < 2:
        raise InputError("a plot line needs at least 界址点数 and 地块面积 before '@'", path, f"line {lineno}")
    count = fields[0]
    try:
        n = float(count)
        if not n.is_integer() or n < 1:
            raise ValueError
    except ValueError:
        raise InputError(f"界址点数 must be a positive whole number, found {count!r}", path, f"line {lineno}") from None
    attrs = {"declared_points": int(n)}
    padded = fields + [""] * (len(PLOT_FIELDS) - len(fields))
    for (_, col), value in zip(PLOT_FIELDS[1:], padded[1:len(PLOT_FIELDS)]):
        attrs[col] = value
    attrs["extra_fields"] = ",".join(fields[len(PLOT_FIELDS):])
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
    try:
        ne = np.array([r[2:] for r in rows], dtype=float)          # (n, 2): X north, Y east
    except ValueError:
        for r, ln in zip(rows, linenos):
            for name, v in (("X", r[2]), ("Y", r[3])):
                try:
                    float(v)
                except ValueError:
                    raise InputError(f"{name} coordinate must be a number, found {v.strip()[:30]!r}",
                                     path, f"line {ln}") from None
        raise
    if not np.isfinite(ne).all():
        ln = linenos[np.argmin(np.isfinite(ne).all(axis=1))]
        raise InputError("coordinates must be finite numbers", path, f"line {ln}")
    xy = ne[:, ::-1]                        # GIS order: x = east (surveyor's Y), y = north (X)
    _check_ranges(xy[:, 1], xy[:, 0], linenos, path)
    return _split_rings(xy, labels, ringnos, linenos, path)


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
    for s, e in zip(starts[:-1], starts[1:]):
        a = s
        while a < e:
            first = xy[a]
            d = np.abs(xy[a + 1:e] - first).max(axis=1) if e - a > 1 else np.empty(0)
            close = np.nonzero(d <= SAME_POINT_M)[0]
            # a point that repeats the first label closes the ring too - it must repeat the coordinates
            same_label = []
            if labels[a]:
                try:
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
            rings.append(_Ring(np.concatenate((pts, pts[:1])), labels[a:end], linenos[a:end],
                               ringnos[a], closed))
            a = nxt
    return rings


def _check_count(attrs, n_lines, n_closing, n_rings, lineno, path):
    n = attrs["declared_points"]
    distinct = n_lines - n_closing
    if n in (n_lines, distinct, distinct + n_rings):
        return
    raise InputError(f"界址点数 is {n} but {n_lines} point lines follow ({distinct} distinct points in "
                     f"{n_rings} ring(s)); expected the count with or without the closing points",
                     path, f"line {lineno}")


# --------------------------------------------------------------------------------------------------
# CRS


def _zone(header, header_lines, east_x, north_y, plots, path, warnings) -> GKZone:
    where = lambda key: f"line {header_lines[key]}" if key in header_lines else None  # noqa: E731
    datum_text = header.get("坐标系", "").strip()
    if datum_text:
        try:
            datum = normalize_datum(datum_text)
        except ValueError:
            raise InputError(f"坐标系 {datum_text!r} is not recognised; expected 2000国家大地坐标系, "
                             "1980西安坐标系 or 1954北京坐标系", path, where("坐标系")) from None
    else:
        datum = CGCS2000
        warnings.append("坐标系为空，按2000国家大地坐标系读取")
    if datum != CGCS2000:
        warnings.append(f"坐标系为{datum_text}（非2000国家大地坐标系），坐标按原样保留，未做转换")
    width_text = header.get("几度分带", "").strip()
    width = None
    if width_text:
        m = re.match(r"^\s*(\d+)", width_text)
        if not m or int(m.group(1)) not in (3, 6):
            raise InputError(f"几度分带 must be 3 or 6, found {width_text!r}", path, where("几度分带"))
        width = int(m.group(1))
    zone_text = header.get("带号", "").strip()
    zone_no = None
    if zone_text:
        m = re.match(r"^\s*(\d+)\s*$", zone_text)
        if not m:
            raise InputError(f"带号 must be a zone number, found {zone_text!r}", path, where("带号"))
        zone_no = int(m.group(1))
    prefixes = np.floor(east_x / 1.0e6).astype(int)
    pset = np.unique(prefixes) if prefixes.min() != prefixes.max() else prefixes[:1]
    if pset.size > 1:
        # name the first point whose prefix differs from the first one
        first = prefixes[0]
        for p in plots:
            for r in p.rings:
                bad = np.nonzero(np.floor(r.xy[:-1, 0] / 1.0e6).astype(int) != first)[0]
                if bad.size:
                    raise InputError(f"Y coordinates carry different zone prefixes ({sorted(pset.tolist())}); "
                                     "one file holds one zone", path, f"line {r.lines[bad[0]]}")
    prefix = int(pset[0])
    if prefix:
        if zone_no is not None and zone_no != prefix:
            raise InputError(f"带号 {zone_no} disagrees with the zone prefix {prefix} of the Y coordinates",
                             path, where("带号"))
        if zone_no is None:
            warnings.append(f"带号为空，按Y坐标前缀取第{prefix}带")
        zone_no, prefixed = prefix, True
    else:
        if zone_no is None:
            raise InputError("带号 is blank and the Y coordinates carry no zone prefix: the zone is unknown",
                             path, where("带号") or f"line {plots[0].line}")
        prefixed = False
    if width is None:
        width = 3 if 25 <= zone_no <= 45 else 6 if 13 <= zone_no <= 23 else 3
    try:
        return _gk_zone(datum, width, zone_no, prefixed)
    except ValueError as exc:
        raise InputError(f"{exc} (几度分带={width}, 带号={zone_no})", path, where("带号")) from None


@functools.lru_cache(maxsize=256)
def _gk_zone(datum: str, width: int, zone: int, prefixed: bool) -> GKZone:
    return GKZone(datum, width, zone, prefixed)


def _precision(text: str) -> float:
    """精度 in metres: ``0.001`` as is, a whole number ``3`` as decimals (0.001 m)."""
    try:
        v = float(text.strip())
    except ValueError:
        return DEFAULT_PRECISION_M
    if v <= 0:
        return DEFAULT_PRECISION_M
    if v >= 1 and v.is_integer() and v <= 6:
        return 10.0 ** -v
    if v >= 1:
        return DEFAULT_PRECISION_M
    return v


# --------------------------------------------------------------------------------------------------
# geometry for many parsed files at once


def _build(parsed: Sequence[_Parsed]):
    """Geometries of all plots of all parsed files, built at once.

    Returns
    -------
    plot_keys : list of (file index, plot index)
    geoms, area, perimeter : numpy arrays, one item per plot
    orders : dict plot number -> ring order (outer ring then its holes), for multi-ring plots
    errors : dict file index -> the first InputError of that file
    """
    # one linear ring per parsed ring, all files at once
    ring_xy = []
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
    # validity, all at once
    valid = shapely.is_valid(geoms)
    for pi in np.nonzero(~valid)[0]:
        k, j = plot_keys[pi]
        if k not in errors:
            errors[k] = _invalid_error(geoms[pi], parsed[k].plots[j], parsed[k].path)
    area = shapely.area(geoms)
    perim = shapely.length(geoms)
    return plot_keys, geoms, orders, area, perim, errors


def _assemble(polys, plot: _Plot, path):
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


def _invalid_error(geom, plot: _Plot, path) -> InputError:
    reason = shapely.is_valid_reason(geom)
    m = re.search(r"\[([-\d.eE+]+) ([-\d.eE+]+)\]", reason)
    line = plot.line
    where_txt = ""
    if m:
        pt = np.array([float(m.group(1)), float(m.group(2))])
        # the segments through the reported point (start line, labels), else the nearest point
        segs = []
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
    expl = {"Self-intersection": "the boundary crosses itself", "Ring Self-intersection": "a ring touches itself",
            "Too few points": "a ring has too few points", "Interior is disconnected": "holes cut the plot apart",
            "Nested shells": "parts lie inside each other", "Self-intersection ": "the boundary crosses itself"}
    what = "" if where_txt.startswith("rings ") else expl.get(kind, kind)
    return InputError(f"plot {plot.attrs.get('plot_no') or plot.line} is not a valid polygon: "
                      f"{what}{where_txt}", path, f"line {line}")


# --------------------------------------------------------------------------------------------------
# stated area


def _parse_area(text: str):
    """(value, unit or '', ok) of a 地块面积 field."""
    text = text.strip().replace(" ", "")
    if not text:
        return np.nan, "", True
    m = _AREA_RE.match(text)
    if not m:
        return np.nan, "", False
    unit_txt = m.group(2).strip("()（）")
    if unit_txt and unit_txt.lower() not in _AREA_UNITS and unit_txt not in _AREA_UNITS:
        return np.nan, "", False
    unit = _AREA_UNITS.get(unit_txt.lower(), _AREA_UNITS.get(unit_txt, "")) if unit_txt else ""
    return float(m.group(1)), unit, True


def _area_tolerance(text: str, unit_m2: float, perimeter: float, precision_m: float) -> float:
    """One unit of the stated area's last written digit, plus the effect of the coordinate precision."""
    num = _AREA_RE.match(text.strip().replace(" ", "")).group(1)
    decimals = len(num.split(".")[1]) if "." in num else 0
    return 10.0 ** -decimals * unit_m2 + perimeter * precision_m


_COLUMNS = ("parcel_id", "plot_no", "plot_name", "shape_type", "sheet_no", "plot_use", "land_class_code",
            "extra_fields", "declared_points", "stated_area", "stated_area_unit", "stated_area_m2", "area_m2",
            "n_rings", "point_labels", "source_file", "source_line")
_TEXT_COLS = ("plot_no", "plot_name", "shape_type", "sheet_no", "plot_use", "land_class_code", "extra_fields")


class _Acc:
    """Column lists of plots (and their findings) accumulated over many files."""

    def __init__(self):
        self.cols = {c: [] for c in _COLUMNS}
        self.geoms = []
        self.f_ids, self.f_val, self.f_thr, self.f_msg = [], [], [], []

    def add_file(self, pf: _Parsed, geoms, areas, perims, orders_by_plot):
        cols = self.cols
        pids = _parcel_ids([p.attrs.get("plot_no", "") for p in pf.plots], pf.path)
        src = str(pf.path)
        for j, p in enumerate(pf.plots):
            a = p.attrs
            for c in _TEXT_COLS:
                cols[c].append(a.get(c, ""))
            cols["parcel_id"].append(pids[j])
            cols["declared_points"].append(a["declared_points"])
            cols["n_rings"].append(len(p.rings))
            if len(p.rings) == 1:
                cols["point_labels"].append(",".join(p.rings[0].labels))
            else:
                order = orders_by_plot.get(j) or range(len(p.rings))
                cols["point_labels"].append("|".join(",".join(p.rings[r].labels) for r in order))
            cols["source_file"].append(src)
            cols["source_line"].append(p.line)
            area = float(areas[j])
            cols["area_m2"].append(area)
            text = a.get("stated_area", "")
            cols["stated_area"].append(text)
            value, unit, ok = _parse_area(text)
            if not ok:
                pf.warnings.append(f"第{p.line}行 地块面积 {text!r} 无法识别，未与计算面积比对")
            if not np.isfinite(value):
                cols["stated_area_unit"].append("")
                cols["stated_area_m2"].append(np.nan)
                continue
            if unit:
                unit_m2 = _UNIT_M2[unit]
            else:   # 公顷 or m²: whichever reading agrees with the coordinates
                unit_m2 = 1e4 if abs(value * 1e4 - area) < abs(value - area) else 1.0
                unit = "公顷" if unit_m2 == 1e4 else "平方米"
            cols["stated_area_unit"].append(unit)
            cols["stated_area_m2"].append(value * unit_m2)
            tol = _area_tolerance(text, unit_m2, float(perims[j]), pf.precision_m)
            diff = value * unit_m2 - area
            if abs(diff) > tol:
                self.f_ids.append(len(cols["area_m2"]) - 1)     # row, keyed to parcel_id at the end
                self.f_val.append(abs(diff))
                self.f_thr.append(tol)
                self.f_msg.append(f"地块{a.get('plot_no') or j + 1}申报面积{text}与界址点坐标计算面积"
                                  f"{area:.2f}平方米（{area / 1e4:.4f}公顷）相差{abs(diff):.2f}平方米，"
                                  f"超出允许误差{tol:.2f}平方米，请核实界址点坐标")
        self.geoms.append(geoms)

    def frame(self, crs) -> gpd.GeoDataFrame:
        cols = self.cols
        data = {c: cols[c] for c in _COLUMNS}
        for c in ("declared_points", "n_rings", "source_line"):
            data[c] = np.asarray(cols[c], dtype=np.int64)
        for c in ("stated_area_m2", "area_m2"):
            data[c] = np.asarray(cols[c], dtype=float)
        geoms = np.concatenate(self.geoms) if self.geoms else np.empty(0, dtype=object)
        return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs=crs), crs=crs)

    def findings(self, parcel_ids=None) -> pd.DataFrame:
        """Findings keyed by ``parcel_ids`` (the final ids of this accumulator's rows)."""
        if not self.f_ids:
            return empty_findings()
        ids = np.asarray(self.cols["parcel_id"] if parcel_ids is None else parcel_ids, dtype=object)
        return make_findings(ids[self.f_ids], RULE_ID, CLAUSE, WARN, self.f_val, self.f_thr, "m²", self.f_msg)


def _parcel_ids(plot_nos, path: Path) -> list:
    ids = [s.strip() for s in plot_nos]
    if all(ids) and len(set(ids)) == len(ids):
        return ids
    return [f"{path.stem}-{s or k + 1}" for k, s in enumerate(ids)]


# --------------------------------------------------------------------------------------------------
# public API


def _parse_file(path: Path) -> _Parsed:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", path) from None
    text, enc = decode_coords_bytes(data, path)
    parsed = parse_coords_text(text, path)
    parsed.encoding = enc
    return parsed


def _accumulate(parsed: list[_Parsed]):
    """Build geometries for all parsed files; group the good ones by EPSG.

    Returns
    -------
    (dict epsg -> _Acc, dict epsg -> list of _Parsed, list of (_Parsed, InputError))
    """
    if not parsed:
        return {}, {}, []
    plot_keys, geoms, orders, areas, perims, errors = _build(parsed)
    accs: dict = {}
    members: dict = {}
    bad = []
    pos = 0
    for k, pf in enumerate(parsed):
        n = len(pf.plots)
        sl = slice(pos, pos + n)
        ords = {j: orders[pos + j] for j in range(n) if pos + j in orders} if orders else {}
        pos += n
        if k in errors:
            bad.append((pf, errors[k]))
            continue
        epsg = pf.zone.epsg
        acc = accs.get(epsg)
        if acc is None:
            acc = accs[epsg] = _Acc()
            members[epsg] = []
        acc.add_file(pf, geoms[sl], areas[sl], perims[sl], ords)
        members[epsg].append(pf)
    return accs, members, bad


def read_coords(path: str | Path) -> CoordsFile:
    """Read one 界址点坐标交换格式 file.

    Parameters
    ----------
    path : str or Path
        The ``.txt`` file.

    Returns
    -------
    CoordsFile
        Header, project info, one row per plot with its (Multi)Polygon in the file's CRS,
        area findings (rule TT-CORNER-PTS, clause 四(三)) and warnings.

    Raises
    ------
    InputError
        When the file is malformed; the message names the file, the line and what was expected.

    Examples
    --------
    >>> cf = read_coords("jzd/hangzhou.txt")          # doctest: +SKIP
    >>> cf.crs.to_epsg(), round(cf.plots.area_m2[0], 2)  # doctest: +SKIP
    (4528, 57089.5)
    """
    path = Path(path)
    parsed = _parse_file(path)
    accs, _, bad = _accumulate([parsed])
    if bad:
        raise bad[0][1]
    (epsg, acc), = accs.items()
    return CoordsFile(path, parsed.header, parsed.project, acc.frame(epsg), acc.findings(), parsed.warnings,
                      parsed.encoding)


def find_coords_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand files and folders into a sorted list of coordinate files (``*.txt``, recursively).

    Parameters
    ----------
    paths : iterable of str or Path
        Files (taken whatever their suffix) and folders (searched for ``*.txt``).

    Returns
    -------
    list of Path

    Raises
    ------
    InputError
        For a path that does not exist.
    """
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() == ".txt"))
        elif p.is_file():
            out.append(p)
        else:
            raise InputError("no such file or folder", p)
    return out


def read_coords_many(paths: Iterable[str | Path], crs=None, progress=None) -> CoordsBatch:
    """Read many coordinate files; the good ones are imported, the bad ones listed.

    Parameters
    ----------
    paths : iterable of str or Path
        Files and folders (folders are searched for ``*.txt``).
    crs : optional
        The CRS of the result. By default the CRS most plots are in. Files in another zone of
        the same datum are reprojected (with a warning); files on another datum fail, since datums
        are never shifted silently.
    progress : callable, optional
        Called with the number of files parsed so far, now and then.

    Returns
    -------
    CoordsBatch
    """
    import pyproj

    from ..crs import zone_from_epsg

    files = find_coords_files(paths)
    failures: list[tuple[Path, str]] = []
    parsed: list[_Parsed] = []
    for i, f in enumerate(files):
        try:
            parsed.append(_parse_file(f))
        except InputError as exc:
            failures.append((f, str(exc)))
        if progress is not None and i % 500 == 499:
            progress(i + 1)
    accs, members, bad = _accumulate(parsed)
    failures.extend((pf.path, str(exc)) for pf, exc in bad)
    warns: list[str] = []
    if crs is not None:
        target = pyproj.CRS.from_user_input(crs)
    elif accs:
        target = pyproj.CRS.from_epsg(max(accs, key=lambda e: len(accs[e].cols["parcel_id"])))
    else:
        target = None
    tz = zone_from_epsg(target.to_epsg() or 0) if target is not None else None
    frames, used = [], []
    for epsg, acc in accs.items():
        z = zone_from_epsg(epsg)
        if epsg != target.to_epsg() and tz is not None and z.datum != tz.datum:
            for pf in members[epsg]:
                failures.append((pf.path, f"{pf.path}: datum {z.datum} (EPSG:{epsg}) differs from the other "
                                          f"files' {tz.datum} (EPSG:{tz.epsg}); import it separately, datums are "
                                          "not shifted silently"))
            continue
        for pf in members[epsg]:
            warns.extend(f"{pf.path}: {w}" for w in pf.warnings)
        fr = acc.frame(epsg)
        if epsg != target.to_epsg():
            warns.extend(f"{pf.path}: 由EPSG:{epsg}投影变换到EPSG:{target.to_epsg()}" for pf in members[epsg])
            fr = fr.to_crs(target)
        frames.append(fr)
        used.append(acc)
    if not frames:
        plots = gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in _COLUMNS},
                                 geometry=gpd.GeoSeries([], crs=target), crs=target)
    elif len(frames) == 1:
        plots = frames[0]
    else:
        plots = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=target)
    if len(plots):
        dup = plots["parcel_id"].duplicated(keep=False)
        if dup.any():
            stems = plots.loc[dup, "source_file"].map(lambda s: Path(s).stem)
            plots.loc[dup, "parcel_id"] = stems + "-" + plots.loc[dup, "parcel_id"].astype(str)
            warns.append(f"{int(dup.sum())}个地块编号在多个文件中重复，已在编号前加文件名")
    finds, pos = [], 0
    for acc, fr in zip(used, frames):
        finds.append(acc.findings(plots["parcel_id"].to_numpy()[pos:pos + len(fr)]))
        pos += len(fr)
    failures.sort(key=lambda t: str(t[0]))
    return CoordsBatch(plots, concat_findings(finds), warns, failures)


def read_coords_folder(paths: Iterable[str | Path] | str | Path, crs=None):
    """Read coordinate files and folders into one GeoDataFrame.

    Parameters
    ----------
    paths : str, Path or iterable of them
        Files and folders.
    crs : optional
        Target CRS (see :func:`read_coords_many`).

    Returns
    -------
    (GeoDataFrame, list of (Path, str))
        The plots of the good files, and the files that failed with the reason.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    batch = read_coords_many(paths, crs=crs)
    return batch.plots, batch.failures
