"""Writer of the 界址点坐标交换格式 (format version 1.01).

Each parcel becomes one plot: its plot line (界址点数 counts every point line, the closing ones
included; 地块面积 in 公顷 to 4 decimals, computed from the geometry), then its rings: for every
part the outer ring, then its holes, 圈号 1, 2, … in that order. Points are labelled J1, J2, …
continuously through the plot and each ring is closed by repeating its first label and coordinates.
Outer rings run clockwise as seen on the map, holes counter-clockwise. Coordinates are written to
the millimetre, X the northing and Y the easting (with the zone prefix when the CRS has it).

Files are written atomically (a temporary file in the same folder, then ``os.replace``) and never
over an input file.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Iterable

import geopandas as gpd
import numpy as np
import shapely

from ..crs import BEIJING54, CGCS2000, XIAN80, GKZone, zone_from_epsg, zone_from_longitude
from ..errors import InputError
from .atomic import write_bytes_atomic
from .coords_read import HEADER_KEYS

__all__ = ["write_coords", "format_coords", "DATUM_NAMES"]

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
    return re.sub(r"[\r\n]+", " ", s).replace(",", "、").replace("，", "、").replace("@", "").strip()


def _field(row, key: str) -> str:
    for col in _FIELD_SOURCES[key]:
        if col in row and _clean(row[col]):
            return _clean(row[col])
    return "面" if key == "shape_type" else ""


def _rings(geom) -> list[np.ndarray]:
    """Closed rings (x = east, y = north) in writing order: per part the outer ring then its holes.
    ``geom`` is already oriented (outer rings clockwise)."""
    parts = geom.geoms if geom.geom_type == "MultiPolygon" else [geom]
    out = []
    for p in parts:
        out.append(shapely.get_coordinates(p.exterior))
        out.extend(shapely.get_coordinates(h) for h in p.interiors)
    return out


def _plot_lines(row, geom, k: int) -> list[str]:
    if geom is None or geom.is_empty:
        raise InputError("empty geometry: a plot needs at least one ring", where=f"feature {k + 1}")
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise InputError(f"{geom.geom_type} geometry; expected Polygon or MultiPolygon", where=f"feature {k + 1}")
    rings = _rings(geom)
    pts = []
    label = 0
    for ring_no, ring in enumerate(rings, start=1):
        ring = ring[:-1]                        # distinct points; the closing line repeats the first
        labels = np.arange(label + 1, label + 1 + len(ring))
        label += len(ring)
        for lab, (e, n) in zip(labels, ring):
            pts.append(f"J{lab},{ring_no},{n:.3f},{e:.3f}")
        pts.append(f"J{labels[0]},{ring_no},{ring[0][1]:.3f},{ring[0][0]:.3f}")
    area_ha = geom.area / 10000.0
    fields = [str(len(pts)), f"{area_ha:.4f}"] + [_field(row, key) for key in _FIELD_SOURCES]
    extra = _clean(row.get("extra_fields", "")) if hasattr(row, "get") else ""
    if extra:
        fields.extend(f.strip() for f in str(row.get("extra_fields")).split(","))
    return [",".join(fields) + ",@"] + pts


def format_coords(gdf: gpd.GeoDataFrame, header: dict | None = None, project: dict | None = None,
                  date: str | _dt.date | None = None) -> str:
    """The text of one 界址点坐标交换格式 file holding every parcel of ``gdf`` (``\\n`` line ends).

    Parameters
    ----------
    gdf : GeoDataFrame
        Parcels with (Multi)Polygons in a Gauss-Krüger CRS (geographic coordinates are projected
        to the CGCS2000 3° zone of their centre). Plot-line fields come from ``plot_no`` (else
        ``parcel_id``), ``plot_name`` (else ``owner_name``), ``shape_type`` (default 面),
        ``sheet_no``, ``plot_use``, ``land_class_code`` (else ``land_use_code``), ``extra_fields``.
    header : dict, optional
        ``[属性描述]`` values to keep (数据产生单位, 数据产生日期, 精度, 转换参数, extra keys);
        格式版本号 is always 1.01版本, and 坐标系, 几度分带, 投影类型, 计量单位 and 带号 always
        follow the CRS.
    project : dict, optional
        ``[项目信息]`` key/values; the section is written only when given.
    date : str or date, optional
        数据产生日期 when ``header`` has none (default today).

    Returns
    -------
    str
    """
    gdf, zone = _zone_of(gdf)
    _check_in_zone(gdf, zone)
    out = _header_lines(zone, header, project, date)
    for lines in _plots_lines(gdf):
        out.extend(lines)
    return "\n".join(out) + "\n"


def _header_lines(zone: GKZone, header, project, date) -> list[str]:
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
    out.append("[地块坐标]")
    return out


def _plots_lines(gdf: gpd.GeoDataFrame):
    """Yield the lines of each parcel's plot, in row order."""
    geoms = shapely.orient_polygons(gdf.geometry.to_numpy(), exterior_cw=True)
    rows = gdf.drop(columns=gdf.geometry.name).to_dict("records")
    for k, (row, geom) in enumerate(zip(rows, geoms)):
        yield _plot_lines(row, geom, k)


def _safe_name(s: str) -> str:
    s = re.sub(r'[\\/:*?"<>|\s]+', "_", s).strip("._")
    return s[:100] or "parcel"


def write_coords(gdf: gpd.GeoDataFrame, path_or_dir: str | Path, one_file_per_parcel: bool | None = None,
                 encoding: str = "gbk", newline: str = "\r\n", header: dict | None = None,
                 project: dict | None = None, inputs: Iterable[str | Path] = (),
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
    header, project, date
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
    head = _header_lines(zone, header, project, date)
    if not one_file_per_parcel:
        jobs = [(target, _plots_lines(gdf))]
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
