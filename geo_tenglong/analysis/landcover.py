"""Land-cover shares per parcel from classified rasters, weighted by pixel coverage.

For every parcel and raster, :func:`zonal_shares` gives the share of the parcel's area that shows
``built``, ``bare``, ``vegetation`` and ``water``. Each pixel counts with the fraction of its area
the parcel covers (exactextract's coverage fractions), so a 1-mu parcel on 2 m pixels neither gains
nor loses the edge pixels it half covers, and a parcel smaller than a pixel gets that pixel's class.

Conventions
-----------
- Shares are of the parcel area that has *valid* pixels: pixel values not in the class map
  (``0`` = nodata, or any other unlisted value) and the part of a parcel outside the raster are left
  out, and ``valid_coverage`` says how much of the parcel the shares rest on (0 … 1). A parcel that
  does not touch the raster has ``in_raster = False`` and NaN shares.
- A raster in another CRS than the parcels is never resampled: the parcel polygons are projected to
  the raster's CRS (vertices transformed, after densifying long edges) and measured on the raster's
  own grid.
- Rasters are read window by window: parcels are grouped by the 2048 × 2048-pixel tile their
  centre falls in, and each group's bounding window is read once and handed to exactextract as an
  array; a 50,000 × 50,000 tiled GeoTIFF is never loaded whole (memory: one window).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import rasterio
import shapely
from exactextract import exact_extract
from exactextract.feature import Feature, FeatureSource
from exactextract.raster import NumPyRasterSource, RasterioRasterSource
from rasterio.errors import RasterioError
from rasterio.windows import Window

#: The cover classes a land-cover raster maps its values to.
COVER_CLASSES = ("built", "bare", "vegetation", "water")
SHARE_COLUMNS = [*COVER_CLASSES, "valid_coverage", "in_raster"]

#: Densify edges longer than this (in the parcels' units) before projecting to another CRS, so a
#: straight boundary stays faithful where the projections bend differently.
DENSIFY_M = 20.0


class _WkbFeature(Feature):
    """A feature exactextract reads as WKB (cheaper than GeoJSON for 100,000 parcels)."""

    __slots__ = ("fid", "wkb")

    def __init__(self, fid=None, wkb=None):
        Feature.__init__(self)
        self.fid = fid
        self.wkb = wkb

    def geometry(self):
        return self.wkb

    def set_geometry(self, wkb):
        self.wkb = wkb

    def set_geometry_format(self):
        return "wkb"

    def get(self, name):
        if name == "fid":
            return self.fid
        raise KeyError(name)

    def set(self, name, value):
        if name == "fid":
            self.fid = value

    def fields(self):
        return ["fid"]


class _WkbSource(FeatureSource):
    def __init__(self, fids: np.ndarray, wkbs: np.ndarray, srs_wkt: str | None):
        super().__init__()
        self.fids = fids
        self.wkbs = wkbs
        self.wkt = srs_wkt

    def count(self):
        return len(self.fids)

    def __iter__(self):
        for fid, wkb in zip(self.fids.tolist(), self.wkbs.tolist()):
            yield _WkbFeature(fid, wkb)

    def srs_wkt(self):
        return self.wkt


def raster_crs(path: str | Path, default=None) -> pyproj.CRS | None:
    """The CRS of a raster, or ``default`` when the file carries none."""
    with rasterio.open(path) as ds:
        return pyproj.CRS.from_user_input(ds.crs) if ds.crs else (
            pyproj.CRS.from_user_input(default) if default is not None else None)


#: A projected parcel whose representative point does not come back within this distance (in the
#: parcels' units) after projecting there and back is not trusted (it is treated as outside).
ROUND_TRIP_TOL = 0.01


def to_raster_crs(geoms: gpd.GeoSeries, target: pyproj.CRS | None) -> gpd.GeoSeries:
    """Project ``geoms`` to the raster CRS ``target`` (vertices only: the raster is never resampled).

    Long edges are densified first (every :data:`DENSIFY_M` in the source units) so a straight
    parcel edge in one projection stays the same line on the ground in the other. The projection
    is verified per parcel: its representative point is projected there and back and must return
    within :data:`ROUND_TRIP_TOL`; parcels that fail, or project to non-finite coordinates (outside
    the target's domain), become empty — they are then reported as outside the raster.
    """
    if target is None or geoms.crs is None or pyproj.CRS.from_user_input(geoms.crs).equals(target):
        return geoms
    src = pyproj.CRS.from_user_input(geoms.crs)
    dense = geoms
    if src.is_projected:
        dense = gpd.GeoSeries(shapely.segmentize(geoms.values, DENSIFY_M), index=geoms.index, crs=geoms.crs)
    out = dense.to_crs(target)
    fwd = pyproj.Transformer.from_crs(src, target, always_xy=True)
    pts = shapely.get_coordinates(shapely.point_on_surface(geoms.values))
    ok = ~shapely.is_empty(geoms.values)
    if ok.any():
        px, py = pts[:, 0], pts[:, 1]
        tx, ty = fwd.transform(px, py)
        bx, by = fwd.transform(tx, ty, direction="INVERSE")
        err = np.hypot(np.asarray(bx) - px, np.asarray(by) - py)
        good = np.isfinite(err) & (err <= ROUND_TRIP_TOL)
        ok[np.flatnonzero(ok)] = good
    finite = np.isfinite(shapely.bounds(out.values)).all(axis=1)
    bad = ~(ok & finite) & ~shapely.is_empty(geoms.values)
    if bad.any():
        out = out.copy()
        out[bad] = shapely.Polygon()
    return out


#: Side of the raster tiles parcels are grouped by (pixels): each group's window is read once.
CHUNK_PX = 2048
_OPS = ["unique", "frac", "count"]


def zonal_shares(polygons: gpd.GeoSeries | gpd.GeoDataFrame, raster: str | Path,
                 classes: Mapping[int, str], *, assume_crs=None, strategy: str = "chunked",
                 chunk_px: int = CHUNK_PX) -> pd.DataFrame:
    """Coverage-weighted shares of each cover class per polygon, read window by window.

    Parameters
    ----------
    polygons : GeoSeries or GeoDataFrame
        Parcels, in any CRS (they are projected to the raster's).
    raster : str or Path
        A classified land-cover GeoTIFF (one band of class values).
    classes : mapping of int to str
        Raster value → ``built`` / ``bare`` / ``vegetation`` / ``water``. Values not listed (``0``
        = nodata) are not land cover and are left out of the shares.
    assume_crs : CRS-like, optional
        The CRS to assume when the raster has none (default: the polygons' CRS).
    strategy : str
        ``"chunked"`` (default): parcels are grouped by the ``chunk_px`` × ``chunk_px`` raster
        tile their centre falls in; each group's bounding window is read once and handed to
        exactextract as an array (memory: one window). ``"feature-sequential"``: exactextract
        reads each parcel's own window. ``"raster-sequential"``: exactextract reads the raster in
        strips. All give the same shares.
    chunk_px : int
        Tile side for ``"chunked"``.

    Returns
    -------
    DataFrame
        Indexed like ``polygons``; columns ``built``, ``bare``, ``vegetation``, ``water`` (shares
        of the parcel's valid area, 0…1, NaN where it has none), ``valid_coverage`` (valid area /
        parcel area, 0…1), ``in_raster`` (bool: the parcel touches the raster's extent) and
        ``unreadable`` (bool: the part of the raster under the parcel could not be read — a damaged
        or truncated file; its shares are NaN and its coverage 0, the other parcels keep theirs).

    Examples
    --------
    >>> shares = zonal_shares(parcels.geometry, "landcover_2023.tif", {1: "built", 2: "bare"})  # doctest: +SKIP
    >>> shares.loc[0, "built"]  # doctest: +SKIP
    0.62
    """
    geoms = polygons.geometry if isinstance(polygons, gpd.GeoDataFrame) else polygons
    out = pd.DataFrame(np.nan, index=geoms.index, columns=list(COVER_CLASSES))
    out["valid_coverage"] = 0.0
    out["in_raster"] = False
    out["unreadable"] = False
    unknown = sorted(set(classes.values()) - set(COVER_CLASSES))
    if unknown:
        raise ValueError(f"unknown land-cover class {unknown[0]!r}; expected one of {COVER_CLASSES}")
    if strategy not in ("chunked", "feature-sequential", "raster-sequential"):
        raise ValueError(f"unknown strategy {strategy!r}")
    if not len(geoms):
        return out
    with rasterio.open(raster) as ds:
        if ds.transform.b != 0 or ds.transform.d != 0:
            raise ValueError(f"{raster}: rotated rasters are not supported")
        crs = pyproj.CRS.from_user_input(ds.crs) if ds.crs else None
        if crs is None:
            crs = pyproj.CRS.from_user_input(assume_crs if assume_crs is not None else geoms.crs)
        g = to_raster_crs(geoms, crs)
        arr = g.values
        left, bottom, right, top = ds.bounds
        b = shapely.bounds(arr)
        touches = (~shapely.is_empty(arr) & (b[:, 0] < right) & (b[:, 2] > left)
                   & (b[:, 1] < top) & (b[:, 3] > bottom))
        pos = np.flatnonzero(touches)
        out.iloc[pos, out.columns.get_loc("in_raster")] = True
        if not len(pos):
            return out
        failed: list[np.ndarray] = []
        parts = _extract(ds, arr, b, pos, crs.to_wkt(), strategy, chunk_px, failed)
        cell_area = abs(ds.transform.a * ds.transform.e)
    if failed:
        out.iloc[np.concatenate(failed), out.columns.get_loc("unreadable")] = True
    weighted = (_class_weights(pd.concat(parts, ignore_index=True), len(out), classes) if parts
                else np.zeros((len(out), len(COVER_CLASSES))))
    valid = weighted.sum(axis=1)
    area_px = shapely.area(arr) / cell_area
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = weighted / valid[:, None]
        coverage = np.where(area_px > 0, valid / area_px, np.nan)
    shares[valid <= 0] = np.nan
    touched = out["in_raster"].to_numpy()
    for i, c in enumerate(COVER_CLASSES):
        out[c] = np.where(touched, shares[:, i], np.nan)
    out["valid_coverage"] = np.where(touched, np.clip(coverage, 0, 1), 0.0)
    return out



def _extract(ds: rasterio.io.DatasetReader, arr: np.ndarray, b: np.ndarray, pos: np.ndarray, wkt: str,
             strategy: str, chunk_px: int, failed: list[np.ndarray] | None = None) -> list[pd.DataFrame]:
    """Run exactextract's ``unique``/``frac``/``count`` over the polygons ``arr[pos]``.

    Parameters
    ----------
    ds : rasterio.io.DatasetReader
        The open land-cover raster.
    arr, b : numpy.ndarray
        Polygons in the raster's CRS and their bounds.
    pos : numpy.ndarray
        Positions of the polygons touching the raster.
    wkt : str
        The raster's CRS.
    strategy, chunk_px
        As :func:`zonal_shares`.
    failed : list, optional
        Receives the positions of polygons whose window could not be read (``"chunked"`` only; the
        other strategies raise).

    Returns
    -------
    list of pandas.DataFrame
        exactextract results with ``fid`` = position in ``arr``.
    """
    if strategy == "chunked" and ds.transform.a > 0 and ds.transform.e < 0:
        return list(_chunked(ds, arr, b, pos, wkt, chunk_px, failed if failed is not None else []))
    left, bottom, right, top = ds.bounds
    order = pos[np.argsort(gpd.GeoSeries(arr[pos]).hilbert_distance(
        total_bounds=(left, bottom, right, top)).to_numpy(), kind="stable")]
    src = _WkbSource(order.astype(np.int64), shapely.to_wkb(arr[order]), wkt)
    return [exact_extract(RasterioRasterSource(ds), src, _OPS, include_cols=["fid"], strategy=strategy,
                          max_cells_in_memory=4_000_000, output="pandas")]


def _class_weights(res: pd.DataFrame, n: int, classes: Mapping[int, str]) -> np.ndarray:
    """Covered cells per polygon and cover class from exactextract's results.

    Parameters
    ----------
    res : pandas.DataFrame
        exactextract results (``fid``, ``unique``, ``frac``, ``count``).
    n : int
        Number of polygons.
    classes : mapping of int to str
        Raster value → cover class; other values are left out.

    Returns
    -------
    numpy.ndarray
        ``(n, len(COVER_CLASSES))`` coverage-weighted cell counts.
    """
    fid = res["fid"].to_numpy(dtype=np.int64)
    uniques = res["unique"].to_numpy()
    fracs = res["frac"].to_numpy()
    counts = res["count"].to_numpy(dtype=float)
    lengths = np.fromiter((len(u) for u in uniques), dtype=np.int64, count=len(uniques))
    weighted = np.zeros((n, len(COVER_CLASSES)))
    if lengths.sum():
        rows = np.repeat(fid, lengths)
        vals = np.concatenate([np.asarray(u, dtype=float) for u in uniques if len(u)])
        w = np.concatenate([np.asarray(f, dtype=float) for f in fracs if len(f)]) * np.repeat(counts, lengths)
        class_index = {c: i for i, c in enumerate(COVER_CLASSES)}
        lut = {float(v): class_index[name] for v, name in classes.items()}
        col = pd.Series(vals).map(lut).fillna(-1).to_numpy(dtype=np.int64)
        keep = col >= 0
        np.add.at(weighted, (rows[keep], col[keep]), w[keep])
    return weighted

def _chunked(ds, geoms: np.ndarray, bounds: np.ndarray, pos: np.ndarray, wkt: str, chunk_px: int,
             failed: list[np.ndarray]):
    """exactextract results for the parcels ``pos``, one raster window read per group of parcels.

    Parcels are grouped by the ``chunk_px`` tile holding their bounding-box centre; a group's window
    is the union of its parcels' boxes (clipped to the raster, aligned to its grid), read once with
    rasterio and passed to exactextract as an in-memory source. When GDAL cannot read a window (a
    damaged or truncated file) its parcels are read one by one; those it still cannot read are
    added to ``failed``, and the rest go on.
    """
    inv = ~ds.transform
    bx = bounds[pos]
    # pixel coordinates of each box (north-up raster: col grows east, row grows south)
    ca, ra = inv * (bx[:, 0], bx[:, 3])
    cb, rb = inv * (bx[:, 2], bx[:, 1])
    c0 = np.clip(np.floor(np.minimum(ca, cb)), 0, ds.width).astype(np.int64)
    c1 = np.clip(np.ceil(np.maximum(ca, cb)), 0, ds.width).astype(np.int64)
    r0 = np.clip(np.floor(np.minimum(ra, rb)), 0, ds.height).astype(np.int64)
    r1 = np.clip(np.ceil(np.maximum(ra, rb)), 0, ds.height).astype(np.int64)
    key = ((c0 + c1) // 2 // chunk_px) * (ds.height // chunk_px + 2) + (r0 + r1) // 2 // chunk_px
    order = np.argsort(key, kind="stable")
    splits = np.flatnonzero(np.diff(key[order])) + 1
    nodata = ds.nodata
    nodata = None if nodata is None else (nodata if ds.dtypes[0].startswith("float") else int(nodata))
    t = ds.transform
    groups = list(np.split(order, splits))
    while groups:
        idx = groups.pop(0)
        wc0, wc1 = int(c0[idx].min()), int(c1[idx].max())
        wr0, wr1 = int(r0[idx].min()), int(r1[idx].max())
        if wc1 <= wc0 or wr1 <= wr0:
            continue
        window = Window(wc0, wr0, wc1 - wc0, wr1 - wr0)
        try:
            data = ds.read(1, window=window)
        except RasterioError:  # part of the file is damaged: each parcel on its own, to lose only those over it
            if len(idx) > 1:
                groups[:0] = [idx[i:i + 1] for i in range(len(idx))]
            else:
                failed.append(pos[idx])
            continue
        xmin, ymax = t * (wc0, wr0)
        xmax, ymin = t * (wc1, wr1)
        rast = NumPyRasterSource(data, xmin, ymin, xmax, ymax, nodata=nodata, srs_wkt=wkt)
        sel = pos[idx]
        src = _WkbSource(sel.astype(np.int64), shapely.to_wkb(geoms[sel]), wkt)
        yield exact_extract(rast, src, _OPS, include_cols=["fid"], output="pandas")


def _overlapping_parcels(pi: np.ndarray, pieces: np.ndarray) -> np.ndarray:
    """Parcels where two footprint pieces share interior (a union would measure less than the sum).

    Parameters
    ----------
    pi : ndarray of int
        The parcel position of each piece.
    pieces : ndarray of shapely geometries
        Footprints clipped to their parcel.

    Returns
    -------
    ndarray of int
        Sorted parcel positions. Pieces that only touch (shared walls) do not count: their union's
        area is their summed area.
    """
    tree = shapely.STRtree(pieces)
    a, b = tree.query(pieces, predicate="intersects")
    keep = (a < b) & (pi[a] == pi[b])
    a, b = a[keep], b[keep]
    if not len(a):
        return np.empty(0, dtype=np.intp)
    inner = shapely.relate_pattern(pieces[a], pieces[b], "T********")
    return np.unique(pi[a[inner]])


def footprint_share(parcels: gpd.GeoSeries, buildings: gpd.GeoSeries | None) -> np.ndarray:
    """Share of each parcel covered by building footprints (overlapping footprints counted once).

    Parameters
    ----------
    parcels, buildings : GeoSeries
        In the same planar CRS. ``buildings`` may be ``None`` (→ NaN).

    Returns
    -------
    ndarray of float
        Footprint area inside the parcel / parcel area, in parcel order.
    """
    n = len(parcels)
    if buildings is None:
        return np.full(n, np.nan)
    out = np.zeros(n)
    pa = shapely.area(parcels.values)
    bgeoms = buildings.values[~shapely.is_empty(buildings.values) & ~pd.isna(buildings.values)]
    if not len(bgeoms) or not n:
        return out
    tree = shapely.STRtree(bgeoms)
    pi, bi = tree.query(parcels.values, predicate="intersects")
    if not len(pi):
        return out
    pieces = shapely.intersection(parcels.values[pi], bgeoms[bi])
    area = pd.Series(shapely.area(pieces), index=pi).groupby(level=0).sum()
    multi = _overlapping_parcels(pi, pieces)
    if len(multi):
        # overlapping footprints on one parcel: measure their union once (only those parcels)
        sub = gpd.GeoDataFrame({"p": pi}, geometry=pieces)
        unions = sub[sub["p"].isin(multi)].dissolve(by="p")
        area.loc[unions.index] = shapely.area(unions.geometry.values)
    out[area.index.to_numpy()] = area.to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pa > 0, np.clip(out / pa, 0, 1), np.nan)
