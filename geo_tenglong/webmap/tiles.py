"""The parcels of a big county as offline vector tiles: one PMTiles archive beside the briefing map.

Up to :data:`TILE_THRESHOLD` parcels the map embeds every parcel in the page (:mod:`.payload`);
above it the browser would parse and draw them all at open (``scripts/bench_map.py``: 100,000
inline parcels take ~40 MB and tens of seconds), so the parcels layer (and the 可腾退 layer, a subset
of it) is written as Mapbox vector tiles in one PMTiles archive and drawn tile by tile by
protomaps-leaflet (:mod:`.assets`).

The tiles are written by GDAL's PMTiles driver (through pyogrio, already a dependency: clipping,
quantisation, simplification and MVT encoding are GDAL's), one pass a zoom: the overview zooms carry
only the style categories (``c`` parcels, ``r`` 可腾退, -1 = not), parcels too small to see merged
into cells of their prevailing category (:func:`overview_features`); the top zoom carries every
parcel with every popup field, the report link (``_report``) and its findings (``_f``, a JSON list).
The archives (disjoint zooms) are merged into one with the ``pmtiles`` package.

A page opened by double-click (``file://``) may not ``fetch()`` a sibling file in Chromium, but it
may run a sibling script: the archive is therefore written base64-encoded inside a script,
``<map>.pmtiles.js`` (:data:`TILES_SUFFIX`), which calls ``gtTileData(archive, search)``; the page
reads byte ranges out of the base64 text as tiles are needed (``static/briefing.js``), so it works
the same from a folder, a USB stick or an intranet web server, with no request leaving the machine.
``search`` is the search box's index of the tiled parcels (one line per parcel: its label point,
then name, credit code, 宗地代码, other enterprises' names and codes), gzipped and base64-encoded
(:meth:`ParcelTiles.script`).
"""

from __future__ import annotations

import base64
import dataclasses
import gzip
import json
import math
import tempfile
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pmtiles import reader as pm_reader
from pmtiles import writer as pm_writer
from pmtiles.tile import zxy_to_tileid

from .encode import COORD_SCALE
from .styles import bool_values

#: Above this many parcels the briefing map draws its parcels from vector tiles (see the module
#: docstring; the measurements are in README.md, "Briefing map at province scale").
TILE_THRESHOLD = 50_000
#: The tiles file beside the map: ``briefing.html`` → ``briefing.pmtiles.js``.
TILES_SUFFIX = ".pmtiles.js"
#: Name of the vector-tile layer holding the parcels.
TILE_LAYER = "parcels"
#: The zoom whose tiles carry every attribute (≈ 0.6 m quantisation at 29°N); the page over-zooms
#: it beyond. The page shows data zoom ``z`` at display zoom ``z + 1`` (512-pixel tiles).
TOP_ZOOM = 14
#: Overview simplification in tile units (4096 a tile, shown at 512 px: half a pixel).
OVERVIEW_SIMPLIFY = 4.0
#: At an overview zoom a tile is cut into this many cells a side (4 px each, shown at 512 px):
#: parcels smaller than two cells are drawn as their cell, in the class most of its parcels have.
OVERVIEW_CELLS = 128
#: An overview cell is 可腾退 when at least this share of its parcels are.
OVERVIEW_RECLAIM_SHARE = 0.25
_EARTH = 6378137.0
_SEP = "\u0001"
#: Bytes of the archive per base64 string in the tiles file (a multiple of 3: 12 MiB).
CHUNK_BYTES = 3 * 4 * 1024 * 1024


@dataclasses.dataclass(frozen=True)
class ParcelTiles:
    """What the page's tiles file holds.

    Attributes
    ----------
    archive : bytes
        The PMTiles archive (MVT, gzip-compressed tiles, layer :data:`TILE_LAYER`).
    search : str
        The search index (see the module docstring).
    minzoom, maxzoom : int
        Zooms of the archive.
    """

    archive: bytes
    search: str
    minzoom: int
    maxzoom: int

    def script(self) -> str:
        """The tiles file's text: ``gtTileData(["<base64>", …], "<base64 of the gzipped search index>");``.

        The archive is cut into pieces of :data:`CHUNK_BYTES` (a browser's longest string is about
        512 M characters); the search index is gzipped (the page inflates it at the first search) so
        the whole file is ASCII, which the browser keeps at one byte a character.
        """
        chunks = ",".join(f'"{base64.b64encode(self.archive[k:k + CHUNK_BYTES]).decode("ascii")}"'
                          for k in range(0, max(1, len(self.archive)), CHUNK_BYTES))
        search = base64.b64encode(gzip.compress(self.search.encode("utf-8"), compresslevel=6, mtime=0))
        return f'gtTileData([{chunks}],"{search.decode("ascii")}");\n'


def use_tiles(n_parcels: int, tiles: bool | None) -> bool:
    """Whether the map draws its parcels from tiles: ``tiles`` when given, else above the threshold."""
    return bool(tiles) if tiles is not None else n_parcels > TILE_THRESHOLD


def zoom_range(bounds: Sequence[float], top: int = TOP_ZOOM) -> tuple[int, int]:
    """Data zooms for parcels within ``bounds`` (west, south, east, north in degrees).

    The lowest is two below the zoom at which the bounds fill a 1400-pixel-wide screen, so the map
    opens (display zoom = data zoom + 1) on tiles that exist.
    """
    west, south, east, north = (float(v) for v in bounds)
    span_x = max(east - west, 1e-6) / 360.0
    merc = [math.log(math.tan(math.pi / 4 + math.radians(v) / 2)) for v in (south, north)]
    span_y = max(merc[1] - merc[0], 1e-9) / (2 * math.pi)
    fit = math.floor(math.log2(min(1400 / 256 / span_x, 900 / 256 / span_y)))
    return max(0, min(top - 1, fit - 2)), top


def property_frame(gdf: gpd.GeoDataFrame, fields: Sequence[Sequence[str]], cat: np.ndarray, rec: np.ndarray,
                   report: Sequence[str | None] | None, findings: pd.DataFrame | None,
                   idcol: str) -> pd.DataFrame:
    """The tile attributes of each parcel: style categories, popup fields, report link, findings.

    Parameters
    ----------
    gdf : GeoDataFrame
        The map's parcels layer.
    fields : sequence of (column, heading, kind)
        The popup fields (:func:`~.payload.layer_payload`'s ``fields``).
    cat, rec : ndarray of int
        The parcels' style category and their 可腾退 category (-1 = not reclaimable).
    report : sequence or None
        Per parcel the file name of its report, or ``None``.
    findings : DataFrame or None
        The run's findings; those whose ``parcel_id`` is a parcel's id become its ``_f``: a JSON list
        of ``[status, rule_id, clause, message, value, threshold, unit]``, most severe first.
    idcol : str

    Returns
    -------
    DataFrame
        Numbers as floats (NaN is written as null), text as str or None.
    """
    out = pd.DataFrame({"c": cat.astype(np.int32), "r": rec.astype(np.int32)}, index=gdf.index)
    for col, _, kind in fields:
        values = gdf[col]
        if kind == "bool":
            out[col] = np.array([np.nan if v is None else float(v) for v in bool_values(values)])
        elif kind in {"int", "idle", "num1", "num2", "num4", "pct"}:
            decimals = {"num1": 1, "num2": 2}.get(kind, 0 if kind in {"int", "idle"} else 4)
            out[col] = np.round(pd.to_numeric(values, errors="coerce").to_numpy(dtype=float), decimals)
        else:
            s = values.astype("string")
            keep = (s.notna() & (s.str.strip() != "")).to_numpy(dtype=bool)
            out[col] = np.where(keep, s.astype(object).to_numpy(), None)
    if report is not None:
        out["_report"] = pd.Series(list(report), index=gdf.index, dtype=object)
    out["_f"] = _findings_json(gdf[idcol].astype("string"), findings).to_numpy()
    return out


_STATUS_ORDER = {"fail": 0, "warn": 1, "missing_data": 2, "pass": 3, "not_applicable": 4}


def _numbers(values: pd.Series) -> list:
    """Numbers rounded to 4 decimals, None where missing."""
    arr = np.round(pd.to_numeric(values, errors="coerce").to_numpy(dtype=float), 4)
    return [None if math.isnan(v) else v for v in arr.tolist()]


def _findings_json(ids: pd.Series, findings: pd.DataFrame | None) -> pd.Series:
    """Per id a JSON list of its findings (None without any)."""
    empty = pd.Series([None] * len(ids), index=ids.index, dtype=object)
    if findings is None or not len(findings):
        return empty
    f = findings[findings["parcel_id"].astype("string").isin(set(ids.dropna()))]
    if not len(f):
        return empty
    f = f.assign(_o=f["status"].map(_STATUS_ORDER).fillna(9)).sort_values(["parcel_id", "_o", "rule_id"],
                                                                         kind="stable")

    def text(col: str) -> list:
        if col not in f.columns:
            return [None] * len(f)
        s = f[col].astype("string")
        return s.astype(object).where(s.notna() & (s != ""), None).tolist()

    value = _numbers(f["value"]) if "value" in f.columns else [None] * len(f)
    threshold = _numbers(f["threshold"]) if "threshold" in f.columns else [None] * len(f)
    rows = zip(text("status"), text("rule_id"), text("clause"), text("message"), value, threshold, text("unit"))
    by_id: dict[str, list] = {}
    for pid, row in zip(f["parcel_id"].astype(str), rows):
        by_id.setdefault(pid, []).append(row)
    lists = {k: json.dumps(v, ensure_ascii=False, separators=(",", ":")) for k, v in by_id.items()}
    return ids.map(lists).astype(object).where(ids.notna(), None)


def search_index(points: np.ndarray, columns: Sequence[pd.Series]) -> str:
    """One line per feature: ``x,y`` (1e-6 degree) of its label point, a tab, its texts.

    Parameters
    ----------
    points : ndarray of shapely Points (EPSG:4326)
    columns : sequence of Series
        Texts searched and shown (name, credit code, id, other enterprises' names and codes).
    """
    xy = np.rint(shapely.get_coordinates(points) * COORD_SCALE).astype(np.int64)
    parts = [pd.Series(xy[:, 0].astype(str)) + "," + pd.Series(xy[:, 1].astype(str)) + "\t"]
    for k, col in enumerate(columns):
        s = col.astype("string").fillna("").str.replace(r"[\t\n\r\u0001]", " ", regex=True).reset_index(drop=True)
        parts.append(s if k == 0 else _SEP + s)
    line = parts[0]
    for p in parts[1:]:
        line = line + p
    return "\n".join(line.tolist())


def build_tiles(geoms: np.ndarray, props: pd.DataFrame, search: str, bounds: Sequence[float]) -> ParcelTiles:
    """Write the parcels' tiles (see the module docstring).

    Parameters
    ----------
    geoms : ndarray of shapely geometries in EPSG:4326
    props : DataFrame
        From :func:`property_frame`, aligned with ``geoms``.
    search : str
        From :func:`search_index`.
    bounds : sequence of float
        West, south, east, north of the parcels.

    Returns
    -------
    ParcelTiles
    """
    minzoom, maxzoom = zoom_range(bounds)
    gdf = gpd.GeoDataFrame(props.reset_index(drop=True), geometry=list(geoms), crs="EPSG:4326")
    gdf = gdf[~(shapely.is_missing(gdf.geometry.values) | shapely.is_empty(gdf.geometry.values))]
    unlimited = {"MAX_SIZE": 200_000_000, "MAX_FEATURES": 10_000_000}
    with tempfile.TemporaryDirectory(prefix="gt-tiles-") as tmp:
        parts = []
        for z in range(minzoom, maxzoom):
            part = Path(tmp) / f"z{z}.pmtiles"
            pyogrio.write_dataframe(overview_features(gdf, z), part, driver="PMTiles", layer=TILE_LAYER,
                                    dataset_options={"MINZOOM": z, "MAXZOOM": z, "NAME": TILE_LAYER,
                                                     "SIMPLIFICATION": OVERVIEW_SIMPLIFY, **unlimited})
            parts.append(part)
        top = Path(tmp) / "top.pmtiles"
        pyogrio.write_dataframe(gdf, top, driver="PMTiles", layer=TILE_LAYER,
                                dataset_options={"MINZOOM": maxzoom, "MAXZOOM": maxzoom, "NAME": TILE_LAYER,
                                                 **unlimited})
        parts.append(top)
        merged = Path(tmp) / "parcels.pmtiles"
        _merge(parts, merged, minzoom, maxzoom)
        archive = merged.read_bytes()
    return ParcelTiles(archive=archive, search=search, minzoom=minzoom, maxzoom=maxzoom)


def overview_features(gdf: gpd.GeoDataFrame, zoom: int) -> gpd.GeoDataFrame:
    """The parcels as drawn at overview zoom ``zoom``: small ones merged into cells.

    A tile of zoom ``zoom`` is cut into :data:`OVERVIEW_CELLS` square cells (Web Mercator) a
    side. A parcel whose extent is at least two cells is kept as it is; the others are counted in
    the cell holding their label point, and each such cell becomes one square whose ``c`` is the
    class most of its parcels have and whose ``r`` marks it 可腾退 when at least
    :data:`OVERVIEW_RECLAIM_SHARE` of them are (with "any", every cell of 200 parcels in a county
    with 15 % reclaimable land lit up; with "most", almost none did). So every area with parcels
    stays covered, in its prevailing class, instead of a tile size limit dropping parcels at random.

    Parameters
    ----------
    gdf : GeoDataFrame
        EPSG:4326, with ``c`` and ``r``.
    zoom : int

    Returns
    -------
    GeoDataFrame
        ``c``, ``r`` and geometry, EPSG:4326.
    """
    cell = 2 * math.pi * _EARTH / 2**zoom / OVERVIEW_CELLS
    values = gdf.geometry.values
    b = shapely.bounds(values)
    x0, y0 = _mercator(b[:, 0], b[:, 1])
    x1, y1 = _mercator(b[:, 2], b[:, 3])
    big = np.maximum(x1 - x0, y1 - y0) >= 2 * cell
    kept = gdf.loc[big, ["c", "r", "geometry"]]
    small = gdf.loc[~big]
    if not len(small):
        return kept
    pts = shapely.get_coordinates(shapely.point_on_surface(small.geometry.values))
    px, py = _mercator(pts[:, 0], pts[:, 1])
    cells = pd.DataFrame({"ix": np.floor(px / cell).astype(np.int64), "iy": np.floor(py / cell).astype(np.int64),
                          "c": small["c"].to_numpy(), "r": small["r"].to_numpy()})

    def prevailing(col: str) -> pd.Series:
        counts = cells.groupby(["ix", "iy", col], sort=False).size().reset_index(name="n")
        counts = counts.sort_values(["n", col], ascending=[False, True], kind="stable")
        return counts.drop_duplicates(["ix", "iy"]).set_index(["ix", "iy"])[col]

    c = prevailing("c")
    by_cell = cells.assign(rec=cells["r"] >= 0).groupby(["ix", "iy"], sort=False)
    share = by_cell["rec"].mean()
    r = by_cell["r"].max().where(share >= OVERVIEW_RECLAIM_SHARE, -1)
    ix, iy = c.index.get_level_values(0).to_numpy(), c.index.get_level_values(1).to_numpy()
    west, south = _lonlat(ix * cell, iy * cell)
    east, north = _lonlat((ix + 1) * cell, (iy + 1) * cell)
    squares = gpd.GeoDataFrame({"c": c.to_numpy(), "r": r.reindex(c.index).to_numpy()},
                               geometry=shapely.box(west, south, east, north), crs=gdf.crs)
    return pd.concat([kept, squares], ignore_index=True)


def _mercator(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lat = np.clip(lat, -85.05, 85.05)
    return (np.radians(lon) * _EARTH, np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) * _EARTH)


def _lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.degrees(x / _EARTH), np.degrees(2 * np.arctan(np.exp(y / _EARTH)) - np.pi / 2)


def _merge(parts: Sequence[Path], target: Path, minzoom: int, maxzoom: int) -> None:
    """Merge PMTiles archives of disjoint zooms (in zoom order) into one.

    The header and metadata are the last (top-zoom) archive's: its layer lists every field.
    """
    header: dict = {}
    metadata: dict = {}
    with open(target, "wb") as out:
        writer = pm_writer.Writer(out)
        for part in parts:
            with open(part, "rb") as fh:
                get = pm_reader.MmapSource(fh)
                reader = pm_reader.Reader(get)
                header, metadata = dict(reader.header()), dict(reader.metadata())
                tiles = sorted(pm_reader.all_tiles(get), key=lambda t: zxy_to_tileid(*t[0]))
                for (z, x, y), data in tiles:
                    writer.write_tile(zxy_to_tileid(z, x, y), data)
        for layer in metadata.get("vector_layers", []):
            layer["minzoom"], layer["maxzoom"] = minzoom, maxzoom
        metadata["minzoom"], metadata["maxzoom"] = str(minzoom), str(maxzoom)
        header["center_zoom"] = min(maxzoom, minzoom + 2)
        writer.finalize(header, metadata)
