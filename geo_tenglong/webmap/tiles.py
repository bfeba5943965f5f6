"""The parcels of a big county as offline vector tiles: one PMTiles archive beside the briefing map.

Up to :data:`TILE_THRESHOLD` parcels the map embeds every parcel in the page (:mod:`.payload`);
above it the browser would parse and draw them all at open (``scripts/bench_map.py``: 100,000
inline parcels take ~40 MB and tens of seconds), so the parcels layer (and the 可腾退 layer, a subset
of it) is written as Mapbox vector tiles in one PMTiles archive and drawn tile by tile by
protomaps-leaflet (:mod:`.assets`).

The tiles are written by GDAL's PMTiles driver (through pyogrio, already a dependency: clipping,
quantisation, simplification and MVT encoding are GDAL's), a zoom at a time: the overview zooms carry
only the style categories (``c`` parcels, ``r`` 可腾退, -1 = not), parcels too small to see merged
into cells of their prevailing category (:class:`Overview`); the top zoom carries every
parcel with every popup field, the report link (``_report``) and its findings (``_f``, a JSON list).
Each zoom is written in blocks of tiles of at most :data:`BLOCK_FEATURES` parcels, their attributes
made for the block only (:class:`ParcelProperties`), and the block's tiles are streamed into one
archive with the ``pmtiles`` package: at a million parcels the findings as JSON alone would be
gigabytes, a block's are megabytes; the tiles are the same bytes one pass over every parcel writes.

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
import io
import json
import math
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pmtiles import reader as pm_reader
from pmtiles import tile as pm_tile
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
#: A block of tiles written in one GDAL pass holds at most about this many features (see
#: :func:`build_tiles`): the memory of the top zoom's attributes and findings is a block's, not the county's.
BLOCK_FEATURES = 50_000
#: Rows of the search index and label points made at a time.
_ROWS = 100_000
#: How far (in tiles of the zoom written) a feature's extent is widened when blocks are cut: GDAL
#: puts a feature in every tile its extent reaches within the MVT buffer (80 of 4096 units), and a little more.
_MARGIN = 100 / 4096
#: Bytes of the archive per base64 string in the tiles file (a multiple of 3: 12 MiB).
CHUNK_BYTES = 3 * 4 * 1024 * 1024


@dataclasses.dataclass(frozen=True)
class ParcelTiles:
    """What the page's tiles file holds.

    Attributes
    ----------
    archive : bytes
        The PMTiles archive (MVT, gzip-compressed tiles, layer :data:`TILE_LAYER`).
    search : bytes
        The search index (see the module docstring), gzipped.
    minzoom, maxzoom : int
        Zooms of the archive.
    """

    archive: bytes
    search: bytes
    minzoom: int
    maxzoom: int

    def write_script(self, fh: TextIO) -> None:
        """Write the tiles file's text: ``gtTileData(["<base64>", …], "<base64 of the gzipped search index>");``.

        The archive is cut into pieces of :data:`CHUNK_BYTES` (a browser's longest string is about
        512 M characters), written one at a time; the search index is gzipped (the page inflates it
        at the first search) so the whole file is ASCII, which the browser keeps at one byte a character.
        """
        fh.write("gtTileData([")
        for k in range(0, max(1, len(self.archive)), CHUNK_BYTES):
            fh.write(("," if k else "") + '"' + base64.b64encode(self.archive[k:k + CHUNK_BYTES]).decode("ascii") + '"')
        fh.write('],"' + base64.b64encode(self.search).decode("ascii") + '");\n')


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


class ParcelProperties:
    """The tile attributes of the parcels, made for a block of parcels at a time.

    Style categories, popup fields, report link and findings (``_f``: a JSON list of
    ``[status, rule_id, clause, message, value, threshold, unit]``, most severe first) of the rows
    asked for; a million parcels' findings as JSON text would be gigabytes, so they are indexed
    here once (per parcel its findings' positions) and written out a block at a time.

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
        The run's findings; those whose ``parcel_id`` is a parcel's id become its ``_f``.
    idcol : str
    """

    def __init__(self, gdf: gpd.GeoDataFrame, fields: Sequence[Sequence[str]], cat: np.ndarray, rec: np.ndarray,
                 report: Sequence[str | None] | None, findings: pd.DataFrame | None, idcol: str) -> None:
        self._fields = [(str(col), str(kind)) for col, _, kind in fields]
        self._table = gdf[list(dict.fromkeys(col for col, _ in self._fields))].reset_index(drop=True)
        self.cat = np.asarray(cat).astype(np.int32)
        self.rec = np.asarray(rec).astype(np.int32)
        self._report = None if report is None else np.asarray(list(report), dtype=object)
        self._findings = _FindingsIndex(gdf[idcol].astype("string").reset_index(drop=True), findings)

    def __len__(self) -> int:
        return len(self.cat)

    def frame(self, rows: np.ndarray) -> pd.DataFrame:
        """The attributes of the parcels at positions ``rows``: numbers as floats (NaN is written as
        null), text as str or None."""
        rows = np.asarray(rows, dtype=np.int64)
        table = self._table.iloc[rows]
        out = pd.DataFrame({"c": self.cat[rows], "r": self.rec[rows]})
        for col, kind in self._fields:
            values = table[col]
            if kind == "bool":
                out[col] = np.array([np.nan if v is None else float(v) for v in bool_values(values)], dtype=float)
            elif kind in {"int", "idle", "num1", "num2", "num4", "pct"}:
                decimals = {"num1": 1, "num2": 2}.get(kind, 0 if kind in {"int", "idle"} else 4)
                out[col] = np.round(pd.to_numeric(values, errors="coerce").to_numpy(dtype=float), decimals)
            else:
                s = values.astype("string")
                keep = (s.notna() & (s.str.strip() != "")).to_numpy(dtype=bool)
                out[col] = np.where(keep, s.astype(object).to_numpy(), None)
        if self._report is not None:
            out["_report"] = self._report[rows]
        out["_f"] = self._findings.json(rows)
        return out


_STATUS_ORDER = {"fail": 0, "warn": 1, "missing_data": 2, "pass": 3, "not_applicable": 4}


class _FindingsIndex:
    """The findings about each row's id, most severe first (then by rule), as positions in their table.

    Only positions are kept (the text stays in the findings' own columns): ``json(rows)`` makes
    the JSON lists of a block of rows, reading just their findings; rows sharing an id share its list.
    """

    _TEXT = ("status", "rule_id", "clause", "message")

    def __init__(self, ids: pd.Series, findings: pd.DataFrame | None) -> None:
        codes, uniques = pd.factorize(ids, use_na_sentinel=True)
        self._code = codes
        n = len(uniques)
        self._findings = findings if findings is not None and len(findings) else None
        f = self._findings
        owner = pd.Index(uniques).get_indexer(f["parcel_id"].astype("string")) if f is not None else np.empty(0, int)
        hit = np.flatnonzero(owner >= 0)
        assert f is not None or not len(hit)
        if f is not None and len(hit):
            severity = f["status"].iloc[hit].map(_STATUS_ORDER).fillna(9).to_numpy()
            rule = pd.factorize(f["rule_id"].iloc[hit].astype("string").fillna(""), sort=True)[0]
            order = np.lexsort((rule, severity, owner[hit]))  # stable: ties keep their order
            self._pos = hit[order]
            self._start = np.searchsorted(owner[self._pos], np.arange(n + 1))
        else:
            self._pos = np.empty(0, dtype=np.int64)
            self._start = np.zeros(n + 1, dtype=np.int64)

    def json(self, rows: np.ndarray) -> np.ndarray:
        """Per row a JSON list ``[status, rule_id, clause, message, value, threshold, unit]`` of its
        id's findings (None without any)."""
        out = np.full(len(rows), None, dtype=object)
        f = self._findings
        code = self._code[rows]
        lo = np.where(code >= 0, self._start[np.maximum(code, 0)], 0)
        count = np.where(code >= 0, self._start[np.maximum(code, 0) + 1], 0) - lo
        has = np.flatnonzero(count)
        if f is None or not len(has):
            return out
        pos = self._pos[np.repeat(lo[has] - np.cumsum(count[has]) + count[has], count[has])
                        + np.arange(count[has].sum())]

        def text(col: str) -> list:
            if col not in f.columns:
                return [None] * len(pos)
            s = f[col].iloc[pos].astype("string")
            return s.astype(object).where(s.notna() & (s != ""), None).tolist()

        def number(col: str) -> list:
            if col not in f.columns:
                return [None] * len(pos)
            values = np.round(pd.to_numeric(f[col].iloc[pos], errors="coerce").to_numpy(dtype=float), 4)
            return [None if math.isnan(v) else v for v in values.tolist()]

        listed = list(zip(*(text(c) for c in self._TEXT), number("value"), number("threshold"), text("unit")))
        bounds = np.concatenate([[0], np.cumsum(count[has])]).tolist()
        for j, r in enumerate(has.tolist()):
            out[r] = json.dumps(listed[bounds[j]:bounds[j + 1]], ensure_ascii=False, separators=(",", ":"))
        return out


def label_points(geoms: np.ndarray) -> np.ndarray:
    """``(n, 2)`` coordinates of each geometry's label point (``point_on_surface``), NaN where missing."""
    out = np.full((len(geoms), 2), np.nan)
    for k in range(0, len(geoms), _ROWS):
        part = shapely.point_on_surface(geoms[k:k + _ROWS])
        ok = ~shapely.is_missing(part) & ~shapely.is_empty(part)
        out[k:k + _ROWS][ok] = shapely.get_coordinates(part[ok])
    return out


def search_index(points: np.ndarray, columns: Sequence[pd.Series]) -> bytes:
    """One line per feature: ``x,y`` (1e-6 degree) of its label point, a tab, its texts; gzipped.

    Parameters
    ----------
    points : ndarray
        ``(n, 2)`` longitude and latitude of each feature's label point (:func:`label_points`).
    columns : sequence of Series
        Texts searched and shown (name, credit code, id, other enterprises' names and codes).

    Returns
    -------
    bytes
        The lines joined by newlines, gzip-compressed (written :data:`_ROWS` lines at a time).
    """
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=6, mtime=0) as gz:
        for k in range(0, len(points), _ROWS):
            xy = np.rint(points[k:k + _ROWS] * COORD_SCALE).astype(np.int64)
            line = pd.Series(xy[:, 0].astype(str)) + "," + pd.Series(xy[:, 1].astype(str)) + "\t"
            for j, col in enumerate(columns):
                s = col.iloc[k:k + _ROWS].astype("string").fillna("") \
                    .str.replace(r"[\t\n\r\u0001]", " ", regex=True).reset_index(drop=True)
                line = line + (s if j == 0 else _SEP + s)
            gz.write((("\n" if k else "") + "\n".join(line.tolist())).encode("utf-8"))
    return buf.getvalue()


def build_tiles(geoms: np.ndarray, props: ParcelProperties, search: bytes, bounds: Sequence[float],
                points: np.ndarray | None = None) -> ParcelTiles:
    """Write the parcels' tiles (see the module docstring), a zoom at a time and a block at a time.

    Each zoom is written by GDAL in blocks of tiles (:func:`_blocks`) of at most about
    :data:`BLOCK_FEATURES` features each, and only the block's own tiles are kept, streamed into
    the archive in tile-id order: the tiles are those one pass over every parcel writes, and no
    more than a block's attributes (findings included) are ever held.

    Parameters
    ----------
    geoms : ndarray of shapely geometries in EPSG:4326
    props : ParcelProperties
        The attributes, aligned with ``geoms``.
    search : bytes
        From :func:`search_index`.
    bounds : sequence of float
        West, south, east, north of the parcels.
    points : ndarray, optional
        The parcels' label points (:func:`label_points`), computed when not given.

    Returns
    -------
    ParcelTiles
    """
    minzoom, maxzoom = zoom_range(bounds)
    geoms = np.asarray(geoms, dtype=object)
    valid = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    geoms = geoms[valid]
    points = label_points(geoms) if points is None else np.asarray(points)[valid]
    extents = shapely.bounds(geoms)

    def top(rows: np.ndarray) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(props.frame(valid[rows]), geometry=geoms[rows], crs="EPSG:4326")

    with tempfile.TemporaryDirectory(prefix="gt-tiles-") as tmp:
        target = Path(tmp) / "parcels.pmtiles"
        with open(target, "wb") as out:
            writer = pm_writer.Writer(out)
            for z in range(minzoom, maxzoom):
                over = Overview(geoms, props.cat[valid], props.rec[valid], z, points, extents)
                _write_zoom(writer, over.bounds, over.frame, z, Path(tmp), {"SIMPLIFICATION": OVERVIEW_SIMPLIFY})
                del over
            metadata = _write_zoom(writer, extents, top, maxzoom, Path(tmp), {})
            header = _header(bounds, minzoom, maxzoom)
            metadata = _metadata(metadata, bounds, minzoom, maxzoom)
            writer.finalize(header, metadata)
        archive = target.read_bytes()
    return ParcelTiles(archive=archive, search=search, minzoom=minzoom, maxzoom=maxzoom)


class Overview:
    """The parcels as drawn at overview zoom ``zoom``: small ones merged into cells.

    A tile of zoom ``zoom`` is cut into :data:`OVERVIEW_CELLS` square cells (Web Mercator) a
    side. A parcel whose extent is at least two cells is kept as it is; the others are counted in
    the cell holding their label point, and each such cell becomes one square whose ``c`` is the
    class most of its parcels have and whose ``r`` marks it 可腾退 when at least
    :data:`OVERVIEW_RECLAIM_SHARE` of them are (with "any", every cell of 200 parcels in a county
    with 15 % reclaimable land lit up; with "most", almost none did). So every area with parcels
    stays covered, in its prevailing class, instead of a tile size limit dropping parcels at random.

    The features are the kept parcels (in their order), then the cells; a cell's square is made
    only when :meth:`frame` asks for it (a million parcels at zoom 13 are nearly a million cells).

    Parameters
    ----------
    geoms : ndarray of shapely geometries in EPSG:4326
    cat, rec : ndarray of int
        The parcels' ``c`` and ``r``.
    zoom : int
    points : ndarray, optional
        ``(n, 2)`` label points of the parcels (:func:`label_points`), computed when not given.
    bounds : ndarray, optional
        ``(n, 4)`` extents of the parcels (``shapely.bounds``), computed when not given.

    Attributes
    ----------
    bounds : ndarray
        ``(len(self), 4)`` extents of the features (west, south, east, north).
    """

    def __init__(self, geoms: np.ndarray, cat: np.ndarray, rec: np.ndarray, zoom: int,
                 points: np.ndarray | None = None, bounds: np.ndarray | None = None) -> None:
        cell = 2 * math.pi * _EARTH / 2**zoom / OVERVIEW_CELLS
        b = shapely.bounds(geoms) if bounds is None else bounds
        x0, y0 = _mercator(b[:, 0], b[:, 1])
        x1, y1 = _mercator(b[:, 2], b[:, 3])
        big = np.maximum(x1 - x0, y1 - y0) >= 2 * cell
        cat, rec = np.asarray(cat), np.asarray(rec)
        self._geoms, self._kept = geoms, np.flatnonzero(big)
        self.bounds, self.c, self.r = b[big], cat[big].astype(np.int32), rec[big].astype(np.int32)
        if big.all():
            return
        pts = label_points(geoms[~big]) if points is None else np.asarray(points)[~big]
        px, py = _mercator(pts[:, 0], pts[:, 1])
        cells = pd.DataFrame({"ix": np.floor(px / cell).astype(np.int64), "iy": np.floor(py / cell).astype(np.int64),
                              "c": cat[~big], "r": rec[~big]})

        def prevailing(col: str) -> pd.Series:
            counts = cells.groupby(["ix", "iy", col], sort=False).size().reset_index(name="n")
            counts = counts.sort_values(["n", col], ascending=[False, True], kind="stable")
            return counts.drop_duplicates(["ix", "iy"]).set_index(["ix", "iy"])[col]

        c = prevailing("c")
        by_cell = cells.assign(rec=cells["r"] >= 0).groupby(["ix", "iy"], sort=False)
        share = by_cell["rec"].mean()
        r = by_cell["r"].max().where(share >= OVERVIEW_RECLAIM_SHARE, -1).reindex(c.index)
        ix, iy = c.index.get_level_values(0).to_numpy(), c.index.get_level_values(1).to_numpy()
        west, south = _lonlat(ix * cell, iy * cell)
        east, north = _lonlat((ix + 1) * cell, (iy + 1) * cell)
        self.bounds = np.concatenate([self.bounds, np.column_stack([west, south, east, north])])
        self.c = np.concatenate([self.c, c.to_numpy().astype(np.int32)])
        self.r = np.concatenate([self.r, r.to_numpy().astype(np.int32)])

    def __len__(self) -> int:
        return len(self.c)

    def frame(self, rows: np.ndarray) -> gpd.GeoDataFrame:
        """The features at positions ``rows``: ``c``, ``r`` and geometry (EPSG:4326)."""
        rows = np.asarray(rows, dtype=np.int64)
        geometry = np.empty(len(rows), dtype=object)
        kept = rows < len(self._kept)
        geometry[kept] = self._geoms[self._kept[rows[kept]]]
        b = self.bounds[rows[~kept]]
        geometry[~kept] = shapely.box(b[:, 0], b[:, 1], b[:, 2], b[:, 3])
        return gpd.GeoDataFrame({"c": self.c[rows], "r": self.r[rows]}, geometry=geometry, crs="EPSG:4326")


def _mercator(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lat = np.clip(lat, -85.05, 85.05)
    return (np.radians(lon) * _EARTH, np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) * _EARTH)


def _lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.degrees(x / _EARTH), np.degrees(2 * np.arctan(np.exp(y / _EARTH)) - np.pi / 2)


def _tile_xy(lon: np.ndarray, lat: np.ndarray, zoom: int) -> tuple[np.ndarray, np.ndarray]:
    """Fractional tile column and row of longitudes and latitudes at ``zoom`` (row 0 at the north)."""
    x, y = _mercator(lon, lat)
    half = math.pi * _EARTH
    return (x + half) / (2 * half) * 2**zoom, (half - y) / (2 * half) * 2**zoom


def _blocks(bounds: np.ndarray, zoom: int, limit: int) -> list[tuple[int, int, int, np.ndarray]]:
    """Cut the features with ``bounds`` (``(n, 4)`` degrees) into blocks of tiles for one pass each.

    A block is a tile of the lowest zoom ``bz ≤ zoom`` at which no block's features (by their
    extent's centre) exceed ``limit``; it holds every feature whose extent, widened by
    :data:`_MARGIN` of a zoom-``zoom`` tile, reaches it — more than GDAL's buffer (80/4096), so
    each tile of zoom ``zoom`` inside the block gets every feature that tile gets in one pass over
    all features. Features in no block's centre set only widen blocks that exist.

    Returns
    -------
    list of (bz, bx, by, rows)
        In tile-id order (the Hilbert curve of PMTiles visits a tile's descendants together, so the
        tiles of the blocks in this order are in tile-id order too); ``rows`` ascending.
    """
    cx, cy = _tile_xy((bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2, zoom)
    x0, y1 = _tile_xy(bounds[:, 0], bounds[:, 1], zoom)  # west-south → column, bottom row
    x1, y0 = _tile_xy(bounds[:, 2], bounds[:, 3], zoom)
    bz = zoom
    for z in range(zoom + 1):
        shift = 2.0 ** (zoom - z)
        key = np.floor(cx / shift).astype(np.int64) << 32 | np.floor(cy / shift).astype(np.int64)
        if np.unique(key, return_counts=True)[1].max() <= limit:
            bz = z
            break
    shift = 2.0 ** (zoom - bz)
    centre = set((np.floor(cx / shift).astype(np.int64) << 32 | np.floor(cy / shift).astype(np.int64)).tolist())
    bx0 = np.floor((x0 - _MARGIN) / shift).astype(np.int64)
    bx1 = np.floor((x1 + _MARGIN) / shift).astype(np.int64)
    by0 = np.floor((y0 - _MARGIN) / shift).astype(np.int64)
    by1 = np.floor((y1 + _MARGIN) / shift).astype(np.int64)
    rows, keys = [np.arange(len(bounds))], [bx0 << 32 | by0]
    wide = np.flatnonzero((bx1 > bx0) | (by1 > by0))
    for i in wide.tolist():  # features reaching more than one block: one entry per other block
        bx, by = np.meshgrid(np.arange(bx0[i], bx1[i] + 1), np.arange(by0[i], by1[i] + 1))
        k = (bx.ravel() << 32 | by.ravel())[1:]
        rows.append(np.full(len(k), i))
        keys.append(k)
    row, key = np.concatenate(rows), np.concatenate(keys)
    keep = np.isin(key, np.fromiter(centre, dtype=np.int64, count=len(centre)))
    row, key = row[keep], key[keep]
    order = np.lexsort((row, key))
    row, key = row[order], key[order]
    cut = np.flatnonzero(np.diff(key)) + 1
    out = [(bz, int(k >> 32), int(k & 0xFFFFFFFF), r) for k, r in zip(key[np.r_[0, cut]].tolist(), np.split(row, cut))]
    return sorted(out, key=lambda b: zxy_to_tileid(b[0], b[1], b[2]))


def _write_zoom(writer: pm_writer.Writer, bounds: np.ndarray, features: Callable[[np.ndarray], gpd.GeoDataFrame],
                zoom: int, tmp: Path, options: dict) -> dict:
    """Write the tiles of ``zoom`` for features with extents ``bounds``, block by block: the features
    at positions ``rows`` (ascending) are ``features(rows)``.

    Returns the metadata GDAL wrote for the last block (its layer lists every field).
    """
    metadata: dict = {}
    part = tmp / "part.pmtiles"
    for bz, bx, by, rows in _blocks(bounds, zoom, BLOCK_FEATURES):
        gdf = features(rows)
        pyogrio.write_dataframe(gdf, part, driver="PMTiles", layer=TILE_LAYER,
                                dataset_options={"MINZOOM": zoom, "MAXZOOM": zoom, "NAME": TILE_LAYER,
                                                 "MAX_SIZE": 200_000_000, "MAX_FEATURES": 10_000_000, **options})
        del gdf
        shift = zoom - bz
        with open(part, "rb") as fh:
            get = pm_reader.MmapSource(fh)
            metadata = dict(pm_reader.Reader(get).metadata())
            mine = sorted((zxy_to_tileid(z, x, y), data) for (z, x, y), data in pm_reader.all_tiles(get)
                          if x >> shift == bx and y >> shift == by)
        for tile_id, data in mine:
            writer.write_tile(tile_id, data)
        part.unlink()
    return metadata


def _header(bounds: Sequence[float], minzoom: int, maxzoom: int) -> dict:
    """The archive's header: MVT tiles, gzip-compressed, over ``bounds``, centred on them."""
    west, south, east, north = (float(v) for v in bounds)
    return {"tile_type": pm_tile.TileType.MVT, "tile_compression": pm_tile.Compression.GZIP,
            "min_lon_e7": round(west * 1e7), "min_lat_e7": round(south * 1e7),
            "max_lon_e7": round(east * 1e7), "max_lat_e7": round(north * 1e7),
            "center_zoom": min(maxzoom, minzoom + 2), "center_lon_e7": round((west + east) / 2 * 1e7),
            "center_lat_e7": round((south + north) / 2 * 1e7)}


def _metadata(gdal: dict, bounds: Sequence[float], minzoom: int, maxzoom: int) -> dict:
    """The archive's metadata: GDAL's for the top zoom (its layer lists every field) over every zoom
    and the whole extent, without GDAL's ``tilestats`` (a sample of one block's values)."""
    west, south, east, north = (float(v) for v in bounds)
    out = {k: v for k, v in gdal.items() if k != "tilestats"}
    for layer in out.get("vector_layers", []):
        layer["minzoom"], layer["maxzoom"] = minzoom, maxzoom
    out.update(minzoom=str(minzoom), maxzoom=str(maxzoom), bounds=f"{west:.7f},{south:.7f},{east:.7f},{north:.7f}",
               center=f"{(west + east) / 2:.7f},{(south + north) / 2:.7f},{min(maxzoom, minzoom + 2)}")
    return out
