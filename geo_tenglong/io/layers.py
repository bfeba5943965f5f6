"""Read vector layers (GeoPackage, Shapefile with a GBK .cpg, FileGDB, GeoParquet, GeoJSON)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from ..errors import InputError
from ..values import polygonal_array

_PARQUET = {".parquet", ".geoparquet"}
#: Polygon, MultiPolygon and GeometryCollection (whose polygonal part is kept): the types an area may have.
_AREA_TYPES = (3, 6, 7)


def read_layer(path: str | Path, layer: str | None = None, encoding: str | None = None,
               columns: list[str] | None = None) -> gpd.GeoDataFrame:
    """Read one vector layer.

    Parameters
    ----------
    path : str or Path
        A GeoPackage, Shapefile, FileGDB folder, GeoParquet or any file GDAL reads.
    layer : str, optional
        Layer name inside a multi-layer source (GeoPackage, FileGDB).
    encoding : str, optional
        Override for Shapefiles without a ``.cpg`` (e.g. ``"GBK"``); a ``.cpg`` is honoured
        otherwise, and without either a DBF whose text is GBK, not UTF-8, is read as GBK
        (:func:`geo_tenglong.io.tables.dbf_encoding`).
    columns : list of str, optional
        Read only these attribute columns.

    Returns
    -------
    GeoDataFrame
        Read through pyogrio's Arrow path where available.

    Raises
    ------
    InputError
        For a missing file or layer, or a source GDAL cannot read.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("layer file not found", path)
    if path.is_file() and path.stat().st_size == 0:
        raise InputError("empty file (0 bytes): expected a vector layer (GeoPackage, Shapefile …)", path)
    if path.suffix.lower() in _PARQUET:
        try:
            return gpd.read_parquet(path, columns=None if columns is None else [*columns, "geometry"])
        except Exception as exc:
            raise InputError(f"not a readable GeoParquet file ({exc})", path) from None
    if layer is not None:
        try:
            names = [row[0] for row in pyogrio.list_layers(path)]
        except Exception as exc:
            raise InputError(f"not a readable vector source ({exc})", path) from None
        if layer not in names:
            raise InputError(f"no layer {layer!r}; layers present: {names}", path)
    if not encoding and path.suffix.lower() == ".shp":
        from .tables import dbf_encoding

        encoding = dbf_encoding(path)  # GBK text without a .cpg: GDAL would read it as ISO-8859-1
    kwargs = {}
    if encoding:
        kwargs["encoding"] = encoding
    try:
        return pyogrio.read_dataframe(path, layer=layer, columns=columns, use_arrow=True, **kwargs)
    except Exception as exc:
        hint = ("; set its encoding in workspace.toml, e.g. { path = …, encoding = \"GBK\" }"
                if "encoded in UTF-8" in str(exc) else "")
        raise InputError(f"not a readable vector layer ({exc}){hint}", path, f"layer {layer}" if layer else None) from None


def repair_geometries(gdf: gpd.GeoDataFrame, path, id_col: str | None = None,
                      polygons_only: bool = False) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Repair invalid polygons with ``shapely.make_valid`` (keeping the polygonal part).

    Parameters
    ----------
    gdf : GeoDataFrame
    path : Path
        Source file, for the report.
    id_col : str, optional
        Column naming features in the report.
    polygons_only : bool
        A layer of areas (parcels): a point or line feature is listed (``invalid_geometry``) and
        replaced by NULL, so no area, coverage or overlay is computed from it; a layer with no
        feature, or none with a usable polygon, is refused (nothing could be analysed or mapped).

    Returns
    -------
    (GeoDataFrame, DataFrame)
        The repaired layer, and one row per repaired or empty feature with ``source``,
        ``feature``, ``kind`` and ``message`` (Chinese), for the 数据问题 list.

    Raises
    ------
    InputError
        With ``polygons_only``, for a layer without features or without one usable polygon.
    """
    geoms = gdf.geometry.to_numpy()
    rows = []
    has_z, has_m = shapely.has_z(geoms), shapely.has_m(geoms)
    extra = has_z | has_m
    if extra.any():  # GeoPackage writers refuse some M layers after the analysis: drop to 2D up front
        dims = "/".join(d for d, has in (("Z", has_z), ("M", has_m)) if has.any())
        geoms = shapely.force_2d(geoms)
        gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
        rows.append({"source": str(path), "feature": "", "kind": "repaired_geometry",
                     "message": f"{int(extra.sum())} 个要素带 {dims} 坐标,已降为二维(平面)处理"})
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if polygons_only:
        kinds = shapely.get_type_id(geoms)
        wrong = ~missing & ~np.isin(kinds, _AREA_TYPES)
        for pos in np.flatnonzero(wrong):
                rows.append({"source": str(path), "feature": _feature_label(gdf, int(pos), id_col),
                             "kind": "invalid_geometry",
                             "message": f"几何类型为{geoms[pos].geom_type},不是面,无法计算面积,按无几何处理"})
        if wrong.any() or (missing & ~shapely.is_missing(geoms)).any():
            # no area can be computed: NULL (area NaN → missing_data), not an empty polygon (area 0)
            geoms = geoms.copy()
            geoms[wrong | missing] = None
            gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
        unusable = missing | wrong
        if not len(gdf):
            raise InputError("the layer has no features (图层为空): expected parcel polygons", path)
        if unusable.all():
            raise InputError(f"none of its {len(gdf)} features has a usable polygon (没有一个要素是有效的面): "
                             "expected parcel polygons", path)
    else:
        unusable = missing
    invalid = ~unusable & ~shapely.is_valid(geoms)
    if invalid.any():
        reasons = shapely.is_valid_reason(geoms[invalid])
        fixed = shapely.make_valid(geoms[invalid])
        polys = polygonal_array(fixed)  # make_valid may add lines or points: keep the polygons
        polys[shapely.is_missing(polys)] = shapely.Polygon()  # no polygon left: an empty polygon
        geoms = geoms.copy()
        geoms[invalid] = polys
        gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
        for pos, reason in zip(np.flatnonzero(invalid), reasons):
            rows.append({"source": str(path), "feature": _feature_label(gdf, int(pos), id_col), "kind": "repaired_geometry",
                         "message": f"几何图形无效({reason}),已自动修复"})
    for pos in np.flatnonzero(missing):
        rows.append({"source": str(path), "feature": _feature_label(gdf, int(pos), id_col), "kind": "empty_geometry",
                     "message": "几何图形为空"})
    return gdf, pd.DataFrame(rows, columns=["source", "feature", "kind", "message"])


def _feature_label(gdf, pos: int, id_col: str | None) -> str:
    label = f"feature {pos + 1}"
    if id_col and id_col in gdf.columns and pd.notna(gdf[id_col].iloc[pos]):
        label += f" ({id_col} {gdf[id_col].iloc[pos]})"
    return label
