"""Split and merge proposal files (分割方案 / 合并方案) read into frames in the workspace CRS.

A split proposal file holds one polygon per part (or cut lines across the parcel) with
``proposal_id``, ``parcel_id`` and optionally ``part_no``, ``buyer_uscc``; a merge proposal file is a
table with ``proposal_id``, ``parcel_ids`` (``;``-joined) and ``buyer_uscc``. Headers may be the
Chinese ones of the workspace's aliases. Used by ``geo-tenglong check-split`` / ``check-merge``
when the user names a file instead of the workspace's own ``split_proposals`` / ``merge_proposals``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd

from .. import crs as gk
from ..errors import InputError
from .aliases import map_headers
from .columns import coerce_columns
from .layers import read_layer
from .schema import LAYERS, TABLES
from .tables import read_table

if TYPE_CHECKING:
    import pandas as pd

    from ..workspace import Workspace

__all__ = ["MERGE_SUFFIXES", "SPLIT_SUFFIXES", "read_merge_proposals", "read_split_proposals"]

#: File suffixes a split proposal may have (vector layers).
SPLIT_SUFFIXES = {".gpkg", ".shp", ".geojson", ".json", ".parquet", ".geoparquet"}
#: File suffixes a merge proposal may have (tables).
MERGE_SUFFIXES = {".csv", ".xlsx", ".xlsm"}


def read_split_proposals(path: str | Path, ws: Workspace, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a split proposal file (parts as polygons, or cut lines) into the workspace CRS.

    Parameters
    ----------
    path : str or Path
        GeoPackage, Shapefile, GeoJSON or GeoParquet with ``proposal_id``, ``parcel_id`` and
        optionally ``part_no``, ``buyer_uscc`` (Chinese headers per the aliases).
    ws : Workspace
        Gives the CRS and the header aliases.
    layer : str, optional
        Layer inside a multi-layer file.

    Returns
    -------
    GeoDataFrame
        The proposal features in ``ws.crs``, columns coerced to the ``split_proposals`` schema.

    Raises
    ------
    InputError
        For an unsupported format, a missing column, or coordinates whose CRS cannot be told.
    """
    path = Path(path)
    if path.suffix.lower() not in SPLIT_SUFFIXES:
        raise InputError(f"unsupported split proposal format {path.suffix!r}; expected .gpkg, .shp or .geojson", path)
    gdf = read_layer(path, layer=layer)
    gdf = gdf.rename(columns=map_headers([c for c in gdf.columns if c != gdf.geometry.name], ws.aliases))
    gdf = gdf.loc[:, ~gdf.columns.duplicated()]
    if gdf.crs is None and len(gdf):
        b = gdf.geometry.bounds
        try:
            gdf = gdf.set_crs(gk.detect_crs(b[["minx", "maxx"]].to_numpy().ravel(), b[["miny", "maxy"]].to_numpy().ravel()))
        except ValueError as exc:
            raise InputError(f"the file has no CRS and its coordinates do not give the zone away ({exc})", path) from None
    if gdf.crs is not None and not gdf.crs.equals(ws.crs):
        gdf = gdf.to_crs(ws.crs)
    return gpd.GeoDataFrame(coerce_columns(gdf, LAYERS["split_proposals"], path, row_offset=1, row_word="feature"),
                            crs=ws.crs)


def read_merge_proposals(path: str | Path, ws: Workspace) -> pd.DataFrame:
    """Read a merge proposal table (``.csv`` or ``.xlsx``: 方案编号, 宗地代码列表 ``;``-joined, 受让方…).

    Parameters
    ----------
    path : str or Path
        The table file.
    ws : Workspace
        Gives the header aliases.

    Returns
    -------
    DataFrame
        Columns of the ``merge_proposals`` schema plus ``source_row``.

    Raises
    ------
    InputError
        For an unsupported format or a missing or malformed column.
    """
    path = Path(path)
    if path.suffix.lower() not in MERGE_SUFFIXES:
        raise InputError(f"unsupported merge proposal format {path.suffix!r}; expected .csv or .xlsx", path)
    return read_table(path, TABLES["merge_proposals"], aliases=ws.aliases)
