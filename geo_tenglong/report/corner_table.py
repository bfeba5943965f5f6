"""界址点成果表: every corner point of every parcel, with edge lengths, areas and the CRS.

Rule TT-CORNER-PTS (天政发〔2022〕1号 四(三)) asks that parcels be held as corner-point lists as
well as polygons; this module turns polygons into those lists. :func:`corner_points` is the
library function (parcel reports reuse it); :func:`write_corner_table` writes the table as Excel or
CSV with Chinese headers, :func:`write_corner_points` the corners as a GeoPackage point layer.

Point order follows the 界址点坐标交换格式 writer: per part the outer ring, then its holes; outer
rings clockwise as seen on the map. Labels are the surveyor's (the ``point_labels`` column the
coordinate reader keeps) or, where there are none, J1, J2, … through the parcel. Each ring ends
with its first point repeated (``is_closing``), and 边长 is the length from a point to the next.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..crs import zone_from_epsg
from ..errors import InputError
from ..io.atomic import atomic_path, check_not_input
from ..units import MU_DECIMALS, m2_to_ha, m2_to_mu

__all__ = ["corner_points", "parcel_areas", "crs_label", "write_corner_table", "write_corner_points",
           "TABLE_HEADERS"]

_DATUM_CN = {"CGCS2000": "2000国家大地坐标系", "Xian80": "1980西安坐标系", "Beijing54": "1954北京坐标系"}

#: English column -> Chinese header of the 界址点成果表.
TABLE_HEADERS = {"parcel_id": "地块编号", "ring": "圈号", "seq": "序号", "point_no": "点号",
                 "x": "X坐标(米)", "y": "Y坐标(米)", "edge_m": "边长(米)", "area_m2": "面积(平方米)",
                 "area_ha": "面积(公顷)", "area_mu": "面积(亩)", "crs": "坐标系"}
_SUMMARY_HEADERS = {"parcel_id": "地块编号", "n_points": "界址点数", "n_rings": "圈数", "area_m2": "面积(平方米)",
                    "area_ha": "面积(公顷)", "area_mu": "面积(亩)", "crs": "坐标系"}


def crs_label(crs) -> str:
    """A planner-readable name of a CRS.

    Parameters
    ----------
    crs : pyproj.CRS or None

    Returns
    -------
    str
        E.g. ``2000国家大地坐标系 3度带 第40带 (EPSG:4528)``; ``未知坐标系`` for None.
    """
    if crs is None:
        return "未知坐标系"
    epsg = crs.to_epsg()
    z = zone_from_epsg(epsg) if epsg else None
    if z is None:
        return f"{crs.name} (EPSG:{epsg})" if epsg else crs.name
    kind = f"第{z.zone}带" if z.prefixed else f"中央经线{z.central_meridian:g}°（无带号）"
    return f"{_DATUM_CN[z.datum]} {z.width}度带 {kind} (EPSG:{epsg})"


def _check(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        raise InputError("the parcels have no CRS; corner coordinates need a projected CRS such as EPSG:4528")
    if gdf.crs.is_geographic:
        raise InputError(f"the parcels are in geographic coordinates ({gdf.crs.name}); reproject them to a "
                         "Gauss-Krüger zone (e.g. EPSG:4528) for corner coordinates and edge lengths")
    types = gdf.geometry.geom_type
    bad = ~types.isin(["Polygon", "MultiPolygon"]) | gdf.geometry.is_empty.to_numpy()
    if bad.any():
        k = int(np.argmax(bad.to_numpy()))
        raise InputError(f"{types.iloc[k] or 'empty'} geometry; expected Polygon or MultiPolygon",
                         where=f"feature {k + 1}")
    return gdf


def _ids(gdf) -> np.ndarray:
    if "parcel_id" in gdf.columns:
        ids = gdf["parcel_id"].astype(object).to_numpy()
        blank = pd.isna(ids) | (pd.Series(ids).astype(str).str.strip() == "").to_numpy()
        if not blank.any():
            return ids.astype(str)
        ids = ids.astype(object)
        ids[blank] = [f"#{k + 1}" for k in np.nonzero(blank)[0]]
        return ids.astype(str)
    return np.array([f"#{k + 1}" for k in range(len(gdf))])


def parcel_areas(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """Per parcel: ``parcel_id``, ``n_points`` (distinct corners), ``n_rings``, ``area_m2``,
    ``area_ha``, ``area_mu`` (planar, 坐标解析法) and ``crs``.

    Parameters
    ----------
    gdf : GeoDataFrame
        Parcels in a projected CRS.

    Returns
    -------
    pandas.DataFrame
    """
    gdf = _check(gdf)
    geoms = gdf.geometry.to_numpy()
    area = shapely.area(geoms)
    parts, pidx = shapely.get_parts(geoms, return_index=True)
    rings, ridx = shapely.get_rings(parts, return_index=True)
    n_rings = np.bincount(pidx[ridx], minlength=len(gdf))
    n_pts = np.bincount(pidx[ridx], weights=shapely.get_num_coordinates(rings) - 1, minlength=len(gdf))
    return pd.DataFrame({"parcel_id": _ids(gdf), "n_points": n_pts.astype(np.int64), "n_rings": n_rings,
                         "area_m2": np.round(area, 2), "area_ha": np.round(m2_to_ha(area), 4),
                         "area_mu": np.round(m2_to_mu(area), MU_DECIMALS), "crs": crs_label(gdf.crs)})


def corner_points(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """The 界址点 list of each parcel.

    Parameters
    ----------
    gdf : GeoDataFrame
        Parcels ((Multi)Polygons) in a projected CRS, with ``parcel_id`` (else ``#1``, ``#2`` …)
        and optionally ``point_labels`` (as the coordinate reader writes it: labels comma-separated,
        rings separated by ``|``).

    Returns
    -------
    pandas.DataFrame
        One row per point, ring by ring, each ring closed by its first point again:
        ``parcel_id``, ``part`` (1-based), ``ring`` (圈号, 1-based through the parcel), ``seq``
        (1-based through the parcel), ``point_no`` (点号), ``x`` (northing X, m), ``y`` (easting
        Y, m), ``edge_m`` (边长 to the next point; NaN on the closing row), ``is_closing``, and the
        parcel's ``area_m2``, ``area_ha``, ``area_mu`` and ``crs``.

    Raises
    ------
    InputError
        For no CRS, geographic coordinates or a geometry that is no polygon.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> g = gpd.GeoDataFrame({"parcel_id": ["A"]}, geometry=[shapely.box(40500000, 3300000,
    ...                      40500010, 3300020)], crs=4528)
    >>> t = corner_points(g)
    >>> t[["point_no", "x", "y", "edge_m"]].head(2).to_numpy().tolist()
    [['J1', 3300000.0, 40500010.0, 10.0], ['J2', 3300000.0, 40500000.0, 20.0]]
    """
    gdf = _check(gdf)
    ids = _ids(gdf)
    labels_col = gdf["point_labels"].to_numpy() if "point_labels" in gdf.columns else None
    geoms = gdf.geometry.to_numpy()
    if labels_col is None:
        geoms = shapely.orient_polygons(geoms, exterior_cw=True)
    else:   # keep the surveyor's order where labels exist; orient the rest like the writer
        has = pd.notna(labels_col) & (pd.Series(labels_col).astype(str).str.len() > 0).to_numpy()
        geoms = geoms.copy()
        geoms[~has] = shapely.orient_polygons(geoms[~has], exterior_cw=True)
    parts, pidx = shapely.get_parts(geoms, return_index=True)
    rings, ridx = shapely.get_rings(parts, return_index=True)
    owner = pidx[ridx]                                  # parcel of each ring
    coords, cidx = shapely.get_coordinates(rings, return_index=True)
    n = len(coords)
    ring_len = np.bincount(cidx, minlength=len(rings))
    last = np.zeros(n, dtype=bool)
    last[np.cumsum(ring_len) - 1] = True
    edge = np.full(n, np.nan)
    step = np.hypot(*(coords[1:] - coords[:-1]).T)
    edge[:-1][~last[:-1]] = step[~last[:-1]]
    # ring number and part number within each parcel
    ring_first = np.r_[True, owner[1:] != owner[:-1]]
    ring_start = np.maximum.accumulate(np.where(ring_first, np.arange(len(rings)), 0))
    ring_no = np.arange(len(rings)) - ring_start + 1
    part_first = np.r_[True, pidx[1:] != pidx[:-1]]
    part_start = np.maximum.accumulate(np.where(part_first, np.arange(len(parts)), 0))
    part_no = np.arange(len(parts)) - part_start + 1
    pt_owner = owner[cidx]
    # sequence through the parcel; generated labels count distinct points only
    first_pt = np.searchsorted(pt_owner, pt_owner, side="left")     # each point's parcel's first row
    seq = np.arange(n) - first_pt + 1
    distinct = ~last
    dcount = np.cumsum(distinct)
    lab_no = dcount - (dcount[first_pt] - distinct[first_pt])
    ring_first_pt = np.cumsum(ring_len) - ring_len          # index of each ring's first coordinate
    lab_no[last] = lab_no[ring_first_pt[cidx[last]]]
    labels = np.char.add("J", lab_no.astype(str)).astype(object)
    if labels_col is not None:
        _apply_labels(labels, labels_col, owner, ring_len, ring_first_pt)
    area = shapely.area(gdf.geometry.to_numpy())
    return pd.DataFrame({
        "parcel_id": ids[pt_owner], "part": part_no[ridx[cidx]],
        "ring": ring_no[cidx], "seq": seq, "point_no": labels,
        "x": np.round(coords[:, 1], 3), "y": np.round(coords[:, 0], 3), "edge_m": np.round(edge, 3),
        "is_closing": last, "area_m2": np.round(area[pt_owner], 2), "area_ha": np.round(m2_to_ha(area[pt_owner]), 4),
        "area_mu": np.round(m2_to_mu(area[pt_owner]), MU_DECIMALS), "crs": crs_label(gdf.crs),
    })


def _apply_labels(labels, labels_col, owner, ring_len, ring_first_pt):
    """Put the surveyor's labels where they fit the geometry ring for ring."""
    for k in np.unique(owner):
        text = labels_col[k]
        if not isinstance(text, str) or not text:
            continue
        per_ring = [r.split(",") for r in text.split("|")]
        rk = np.nonzero(owner == k)[0]
        if len(per_ring) != len(rk) or any(len(lbl) != ring_len[r] - 1 for lbl, r in zip(per_ring, rk)):
            continue     # geometry changed since reading: keep generated labels
        for lbl, r in zip(per_ring, rk):
            s = ring_first_pt[r]
            labels[s:s + ring_len[r] - 1] = lbl
            labels[s + ring_len[r] - 1] = lbl[0]


def _points_table(obj) -> tuple[pd.DataFrame, pd.DataFrame]:
    if isinstance(obj, gpd.GeoDataFrame):
        return corner_points(obj), parcel_areas(obj)
    pts = obj
    summ = (pts[~pts["is_closing"]].groupby("parcel_id", sort=False)
            .agg(n_points=("seq", "size"), n_rings=("ring", "max"), area_m2=("area_m2", "first"),
                 area_ha=("area_ha", "first"), area_mu=("area_mu", "first"), crs=("crs", "first")).reset_index())
    return pts, summ


def write_corner_table(parcels_or_points, path: str | Path, inputs: Iterable[str | Path] = ()) -> Path:
    """Write the 界址点成果表 as ``.xlsx`` (sheets 界址点成果表 and 面积汇总) or ``.csv``.

    Parameters
    ----------
    parcels_or_points : GeoDataFrame or DataFrame
        Parcels, or the output of :func:`corner_points`.
    path : str or Path
        ``.xlsx`` or ``.csv`` (UTF-8 with BOM, so Excel shows the Chinese headers).
    inputs : iterable of paths
        Files that must not be overwritten.

    Returns
    -------
    Path
    """
    path = Path(path)
    check_not_input(path, inputs)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise InputError("the table must be .xlsx or .csv", path)
    pts, summ = _points_table(parcels_or_points)
    table = pts[list(TABLE_HEADERS)].rename(columns=TABLE_HEADERS)
    summary = summ[list(_SUMMARY_HEADERS)].rename(columns=_SUMMARY_HEADERS)
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            table.to_csv(tmp, index=False, encoding="utf-8-sig")
        else:
            with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
                table.to_excel(xw, sheet_name="界址点成果表", index=False)
                summary.to_excel(xw, sheet_name="面积汇总", index=False)
                _format_sheets(xw)
    return path


def _format_sheets(xw) -> None:
    fmts = {"X坐标(米)": "0.000", "Y坐标(米)": "0.000", "边长(米)": "0.000", "面积(平方米)": "0.00",
            "面积(公顷)": "0.0000", "面积(亩)": "0.0000"}
    for ws in xw.book.worksheets:
        ws.freeze_panes = "A2"
        for col in ws.iter_cols(min_row=1, max_row=1):
            head = col[0].value
            letter = col[0].column_letter
            ws.column_dimensions[letter].width = max(10, min(40, 2 * len(str(head)) + 2))
            if head == "坐标系":
                ws.column_dimensions[letter].width = 42
            fmt = fmts.get(head)
            if fmt:
                for cell in ws[letter][1:]:
                    cell.number_format = fmt


def write_corner_points(gdf: gpd.GeoDataFrame, path: str | Path, layer: str = "corners",
                        inputs: Iterable[str | Path] = ()) -> Path:
    """Write the corners as a GeoPackage point layer (closing points left out).

    Parameters
    ----------
    gdf : GeoDataFrame
        Parcels in a projected CRS.
    path : str or Path
        The ``.gpkg`` to write (replaced atomically).
    layer : str
        Layer name.
    inputs : iterable of paths
        Files that must not be overwritten.

    Returns
    -------
    Path
    """
    path = Path(path)
    check_not_input(path, inputs)
    pts = corner_points(gdf)
    pts = pts[~pts["is_closing"]].drop(columns=["is_closing"]).reset_index(drop=True)
    layer_gdf = gpd.GeoDataFrame(pts, geometry=gpd.points_from_xy(pts["y"], pts["x"]), crs=gdf.crs)
    with atomic_path(path) as tmp:
        layer_gdf.to_file(tmp, layer=layer, driver="GPKG")
    return path
