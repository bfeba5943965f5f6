"""Writer of the 界址点坐标交换格式 (format version 1.01).

Each parcel becomes one plot: its plot line, then its rings: for every part the outer ring, then its
holes, 圈号 1, 2, … in that order. Coordinates are written to the millimetre (a plot read from a file
with more decimals keeps them), X the northing and Y the easting (with the zone prefix when the CRS
has it).

What was read is written back as read, so import → export → import is lossless:

- 地块面积 is the ``stated_area`` text as read (blank stays blank, 0 stays 0, m² stay m² with their
  decimals); only parcels without that column get the area computed, in 公顷 to 4 decimals.
- 界址点数 is ``declared_points`` as read when it still fits the rings (with or without the closing
  points; ``<NA>`` = written 0); else the number of point lines written.
- Point labels are ``point_labels`` (and ``closing_labels``) as read when they still fit the
  geometry ring by ring, and the rings keep their direction and first point; otherwise points are
  labelled J1, J2, … continuously through the plot, each ring closed by repeating its first label,
  outer rings clockwise and holes counter-clockwise.
- The plot line keeps its layout: 乡镇代码/村名 give the provincial (报省) line, ``extra_fields`` the
  12-field 土地整治 line (see :mod:`.layouts`).

Files are written atomically (a temporary file in the same folder, then ``os.replace``) and never
over an input file.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ...crs import BEIJING54, CGCS2000, XIAN80, GKZone, zone_from_epsg, zone_from_longitude
from ...errors import InputError
from ..atomic import write_bytes_atomic
from .layouts import LAYOUTS
from .model import HEADER_KEYS

__all__ = ["DATUM_NAMES", "format_coords", "write_coords"]

#: How each datum is named in the 坐标系 key.
DATUM_NAMES = {CGCS2000: "2000国家大地坐标系", XIAN80: "1980西安坐标系", BEIJING54: "1954北京坐标系"}

#: Columns looked up, in order, for each plot-line field.
_FIELD_SOURCES = {
    "plot_no": ("plot_no", "parcel_id"),
    "plot_name": ("plot_name", "owner_name"),
    "shape_type": ("shape_type",),
    "sheet_no": ("sheet_no",),
    "plot_use": ("plot_use",),
    "land_class_code": ("land_class_code", "land_use_code"),
}


def _zone_of(gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, GKZone]:
    if gdf.crs is None:
        raise InputError("the parcels have no CRS; expected a Gauss-Krüger zone such as EPSG:4528")
    epsg = gdf.crs.to_epsg()
    zone = zone_from_epsg(epsg) if epsg else None
    if zone is not None:
        return gdf, zone
    if gdf.crs.is_geographic:
        lon = float(gdf.to_crs(4490).geometry.union_all().centroid.x)
        zone = zone_from_longitude(lon, 3, CGCS2000, prefixed=True)
        return gdf.to_crs(zone.epsg), zone
    raise InputError(f"the parcels' CRS ({gdf.crs.name}) is no Chinese Gauss-Krüger zone; reproject them "
                     "to one (e.g. EPSG:4528, CGCS2000 3° zone 40) first")


def _check_in_zone(gdf: gpd.GeoDataFrame, zone: GKZone) -> None:
    """Eastings must carry the zone's prefix (or none for an unprefixed CRS), else the file lies."""
    x = shapely.get_coordinates(gdf.geometry.to_numpy())[:, 0]
    if not len(x):
        return
    prefix = np.floor(x / 1e6).astype(int)
    expected = zone.zone if zone.prefixed else 0
    local = np.mod(x, 1e6)
    bad = (prefix != expected) | (local < 1e5) | (local > 9e5)
    if bad.any():
        k = int(np.argmax(bad))
        raise InputError(f"easting {x[k]:.3f} lies outside {zone.width}° zone {zone.zone} (EPSG:{zone.epsg}); "
                         "reproject the parcels to the zone they lie in before writing coordinates")


def _clean(value) -> str:
    """A field value safe inside a comma-separated line."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    s = str(value)
    if s in ("nan", "None", "<NA>"):
        return ""
    return re.sub(r"[\r\n]+", " ", s).replace(",", "、").replace("@", "").strip()


def _has(row, col: str) -> bool:
    return col in row


def _field(row, key: str) -> str:
    """A plot-line field: the column as read when the parcels carry it, else a fallback column."""
    sources = _FIELD_SOURCES[key]
    if _has(row, sources[0]):
        return _clean(row[sources[0]])
    for col in sources[1:]:
        if _has(row, col) and _clean(row[col]):
            return _clean(row[col])
    return "面" if key == "shape_type" else ""


def _rings(geom) -> list[np.ndarray]:
    """Closed rings (x = east, y = north) in writing order: per part the outer ring then its holes."""
    parts = geom.geoms if geom.geom_type == "MultiPolygon" else [geom]
    out = []
    for p in parts:
        out.append(shapely.get_coordinates(p.exterior))
        out.extend(shapely.get_coordinates(h) for h in p.interiors)
    return out


def _text(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)


def _labels_as_read(row, rings: list[np.ndarray]) -> tuple[list, list] | None:
    """The labels read with the plot, ring by ring, when they still fit ``rings``; else None."""
    text = _text(row.get("point_labels")) if _has(row, "point_labels") else ""
    if not text:
        return None
    labels = [r.split(",") for r in text.split("|")]
    if len(labels) != len(rings) or any(len(lab) != len(r) - 1 for lab, r in zip(labels, rings)):
        return None
    closing = _text(row.get("closing_labels")).split("|") if _has(row, "closing_labels") else []
    if len(closing) != len(rings):
        closing = [""] * len(rings)
    return labels, [c or lab[0] for c, lab in zip(closing, labels)]


def _number(v: float, as_read: bool) -> str:
    """A coordinate to the millimetre; one read from a file with more decimals keeps them."""
    s = f"{v:.3f}"
    return s if not as_read or float(s) == v else np.format_float_positional(v, unique=True, trim="-")


def _declared(row, n_lines: int, rings: list[np.ndarray]) -> str:
    if not _has(row, "declared_points"):
        return str(n_lines)
    v = row.get("declared_points")
    if _text(v) == "":
        return "0"                                  # read as 0: not given
    n = int(v)
    distinct = sum(len(r) - 1 for r in rings)
    return str(n) if n in (distinct, distinct + len(rings)) else str(n_lines)


def _stated_area(row, geom) -> str:
    if _has(row, "stated_area"):
        return _clean(row.get("stated_area"))
    return f"{geom.area / 10000.0:.4f}"


def _layout_fields(row, head: list[str]) -> list[str]:
    """The plot-line fields before '@' in the layout the parcel was read with."""
    base = head[:2] + [_field(row, key) for key in _FIELD_SOURCES]
    town = _clean(row.get("township_code", "")) if _has(row, "township_code") else ""
    village = _clean(row.get("village_name", "")) if _has(row, "village_name") else ""
    extra_text = _text(row.get("extra_fields", "")) if _has(row, "extra_fields") else ""
    extra = [_clean(f) for f in extra_text.split(",")] if extra_text.strip() else []
    if (town or village) and extra:
        raise InputError("a plot with 乡镇代码/村名 and 土地整治 extra fields fits no known plot-line layout")
    if town or village:
        layout = _text(row.get("plot_layout", "")) if _has(row, "plot_layout") else ""
        cols = LAYOUTS[layout if layout.startswith("报省") else "报省"]
        values = dict(zip(LAYOUTS["部标"], base))
        values.update(township_code=town, village_name=village)
        return [values[c] for c in cols]
    if extra:
        n_extra = LAYOUTS["土地整治"].count("")
        if len(extra) > n_extra:
            raise InputError(f"extra_fields holds {len(extra)} fields; the 土地整治 plot line has room for {n_extra}")
        return base + extra + [""] * (n_extra - len(extra))
    return base


def _plot_lines(row, geom, oriented, k: int) -> list[str]:
    if geom is None or geom.is_empty:
        raise InputError("empty geometry: a plot needs at least one ring", where=f"feature {k + 1}")
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise InputError(f"{geom.geom_type} geometry; expected Polygon or MultiPolygon", where=f"feature {k + 1}")
    rings = _rings(geom)
    as_read = _labels_as_read(row, rings)
    if as_read is None:
        rings = _rings(oriented)
        labels, closing, label = [], [], 0
        for ring in rings:
            labels.append([f"J{i}" for i in range(label + 1, label + len(ring))])
            closing.append(labels[-1][0])
            label += len(ring) - 1
    else:
        labels, closing = as_read
    keep = as_read is not None
    pts = []
    for ring_no, (ring, labs, close) in enumerate(zip(rings, labels, closing), start=1):
        for lab, (e, n) in zip([*labs, close], ring):
            pts.append(f"{lab},{ring_no},{_number(n, keep)},{_number(e, keep)}")
    fields = _layout_fields(row, [_declared(row, len(pts), rings), _stated_area(row, geom)])
    return [",".join(fields) + ",@"] + pts


def format_coords(gdf: gpd.GeoDataFrame, header: dict | None = None, project: dict | None = None,
                  date: str | _dt.date | None = None, extensions: dict | None = None) -> str:
    """The text of one 界址点坐标交换格式 file holding every parcel of ``gdf`` (``\\n`` line ends).

    Parameters
    ----------
    gdf : GeoDataFrame
        Parcels with (Multi)Polygons in a Gauss-Krüger CRS (geographic coordinates are projected
        to the CGCS2000 3° zone of their centre). Plot-line fields come from ``plot_no``,
        ``plot_name``, ``shape_type``, ``sheet_no``, ``plot_use``, ``land_class_code`` as they are
        when the column exists (parcels read from a file); else from ``parcel_id``, ``owner_name``,
        ``land_use_code`` and 面. ``stated_area``, ``declared_points``, ``point_labels``,
        ``closing_labels``, ``township_code``/``village_name``/``plot_layout`` and ``extra_fields``
        are written as read (see the module docstring).
    header : dict, optional
        ``[属性描述]`` values to keep (数据产生单位, 数据产生日期, 精度, 转换参数, extra keys);
        格式版本号 is always 1.01版本, and 坐标系, 几度分带, 投影类型, 计量单位 and 带号 always
        follow the CRS.
    project : dict, optional
        ``[项目信息]`` key/values; the section is written only when given.
    date : str or date, optional
        数据产生日期 when ``header`` has none (default today).
    extensions : dict, optional
        Extension sections (``CoordsFile.extensions``: name -> lines), written as read after
        ``[属性描述]``.

    Returns
    -------
    str
    """
    gdf, zone = _zone_of(gdf)
    _check_in_zone(gdf, zone)
    out = _header_lines(zone, header, project, date, extensions)
    for lines in _plots_lines(gdf):
        out.extend(lines)
    return "\n".join(out) + "\n"


def _header_lines(zone: GKZone, header, project, date, extensions=None) -> list[str]:
    h = {k: "" for k in HEADER_KEYS}
    h.update({"精度": "0.001", "转换参数": ",,,,,,"})
    for k, v in (header or {}).items():
        if v not in (None, ""):
            h[k] = _clean(v) if k != "转换参数" else str(v).strip()
    if not h["数据产生日期"]:
        d = date or _dt.date.today()
        h["数据产生日期"] = d.isoformat() if isinstance(d, _dt.date) else str(d)
    h.update({"格式版本号": "1.01版本", "坐标系": DATUM_NAMES[zone.datum], "几度分带": str(zone.width),
              "投影类型": "高斯克吕格", "计量单位": "米", "带号": str(zone.zone)})
    out = []
    if project:
        out.append("[项目信息]")
        out.extend(f"{_clean(k)}={_clean(v)}" for k, v in project.items())
    out.append("[属性描述]")
    out.extend(f"{k}={v}" for k, v in h.items())       # the 1.01 keys in order, then any extra ones
    for name, lines in (extensions or {}).items():
        out.append(f"[{_clean(name)}]")
        out.extend(re.sub(r"[\r\n]+", " ", str(line)) for line in lines if not str(line).lstrip().startswith("["))
    out.append("[地块坐标]")
    return out


def _plots_lines(gdf: gpd.GeoDataFrame):
    """Yield the lines of each parcel's plot, in row order."""
    geoms = gdf.geometry.to_numpy()
    oriented = shapely.orient_polygons(geoms, exterior_cw=True)
    rows = gdf.drop(columns=gdf.geometry.name).to_dict("records")
    for k, (row, geom, orient) in enumerate(zip(rows, geoms, oriented)):
        yield _plot_lines(row, geom, orient, k)


def _safe_name(s: str) -> str:
    s = re.sub(r'[\\/:*?"<>|\s]+', "_", s).strip("._")
    return s[:100] or "parcel"


def write_coords(gdf: gpd.GeoDataFrame, path_or_dir: str | Path, one_file_per_parcel: bool | None = None,
                 encoding: str = "gbk", newline: str = "\r\n", header: dict | None = None,
                 project: dict | None = None, inputs: Iterable[str | Path] = (), extensions: dict | None = None,
                 date: str | _dt.date | None = None) -> list[Path]:
    """Write parcels as 界址点坐标交换格式 files.

    Parameters
    ----------
    gdf : GeoDataFrame
        Parcels (see :func:`format_coords` for the columns used).
    path_or_dir : str or Path
        A ``.txt`` file (all parcels in it) or a folder (one file per parcel, named by
        ``parcel_id``, else ``plot_no``, else the row number).
    one_file_per_parcel : bool, optional
        Force one way or the other; by default a ``.txt`` path means one file, anything else a
        folder with one file per parcel.
    encoding : str
        ``"gbk"`` (default, what most bureau software reads) or ``"utf-8"``.
    newline : str
        Line end, CRLF by default.
    header, project, date, extensions
        See :func:`format_coords`.
    inputs : iterable of paths
        Files that must not be written over (the parcels' ``source_file`` column is added).

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    InputError
        For a geometry or CRS the format cannot hold, text the encoding cannot hold, or a target
        that is an input.

    Examples
    --------
    >>> write_coords(parcels, "out/jzd")                        # doctest: +SKIP
    [PosixPath('out/jzd/331023001001GB00001.txt'), ...]
    """
    target = Path(path_or_dir)
    if one_file_per_parcel is None:
        one_file_per_parcel = target.suffix.lower() != ".txt"
    protected = [Path(p) for p in inputs]
    if "source_file" in gdf.columns:
        protected.extend(Path(p) for p in gdf["source_file"].dropna().unique())
    protected_set = {p.resolve() for p in protected}
    gdf, zone = _zone_of(gdf)
    _check_in_zone(gdf, zone)
    head = _header_lines(zone, header, project, date, extensions)
    if not one_file_per_parcel:
        jobs: Iterable[tuple[Path, Iterable[list[str]]]] = [(target, _plots_lines(gdf))]
    else:
        if target.exists() and not target.is_dir():
            raise InputError("expected a folder for one file per parcel", target)
        names = gdf["parcel_id"] if "parcel_id" in gdf.columns else (
            gdf["plot_no"] if "plot_no" in gdf.columns else None)
        names = [_clean(v) for v in names] if names is not None else [""] * len(gdf)
        used: set = set()
        paths = []
        for k, name_k in enumerate(names):
            base = _safe_name(name_k) if name_k else f"parcel_{k + 1}"
            name, n = base, 1
            while name.lower() in used:
                n += 1
                name = f"{base}_{n}"
            used.add(name.lower())
            paths.append(target / f"{name}.txt")
        jobs = ((path, [lines]) for path, lines in zip(paths, _plots_lines(gdf)))
    # format and encode everything first, so a bad parcel leaves no half-written folder behind
    encoded = []
    for path, plot_lines in jobs:
        if path.resolve() in protected_set:
            raise InputError("refusing to write an output over an input file", path)
        out = list(head)
        for lines in plot_lines:
            out.extend(lines)
        text = "\n".join(out) + "\n"
        try:
            data = text.replace("\n", newline).encode(encoding)
        except UnicodeEncodeError as exc:
            bad = exc.object[exc.start:exc.end]
            raise InputError(f"character {bad!r} cannot be written in {encoding}; write with encoding='utf-8'",
                             path, f"line {text.count(chr(10), 0, exc.start) + 1}") from None
        except LookupError:
            raise InputError(f"unknown encoding {encoding!r}; expected gbk or utf-8", path) from None
        encoded.append((path, data))
    return [write_bytes_atomic(path, data) for path, data in encoded]
