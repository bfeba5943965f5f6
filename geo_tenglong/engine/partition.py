"""Hilbert-curve partitions of the parcels, their halos, and what each partition's stages read.

A parcel belongs to exactly one partition: the one holding its representative point's Hilbert
distance (:func:`hilbert_partitions`). A partition's *halo* is every parcel within a distance of
one of its own parcels (:func:`halo_rows`), so a building that touches one of its parcels finds
every parcel it overlaps. Rows of a parcel-keyed table go to the partition owning their parcel;
rows naming no parcel go to the first partition, so that whatever a stage says about them is said
once (:func:`route_rows`).
"""

from __future__ import annotations

import dask_geopandas
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

#: Hilbert curve order (2**16 cells a side), as dask-geopandas uses by default.
HILBERT_LEVEL = 16


def hilbert_partitions(geoms: gpd.GeoSeries, n: int) -> list[np.ndarray]:
    """Split parcels into ``n`` partitions of consecutive Hilbert distance.

    Parameters
    ----------
    geoms : GeoSeries
        The parcels' geometries (missing or empty ones go to the first partition).
    n : int
        The number of partitions wanted (fewer when there are fewer parcels).

    Returns
    -------
    list of numpy.ndarray
        Row positions of each partition's parcels, ascending; every row in exactly one.
    """
    values = np.asarray(geoms.values)
    ok = ~(pd.isna(values) | shapely.is_empty(values))
    rows = np.flatnonzero(ok)
    points = gpd.GeoSeries(shapely.point_on_surface(values[ok]), crs=geoms.crs)
    dist = np.empty(0, dtype=np.int64)
    if len(rows):
        dpoints = dask_geopandas.from_geopandas(points, npartitions=max(1, min(n, len(rows))))
        dist = dpoints.hilbert_distance(total_bounds=points.total_bounds, level=HILBERT_LEVEL).compute().to_numpy()
    order = rows[np.argsort(dist, kind="stable")]
    parts = [np.sort(p) for p in np.array_split(order, max(1, min(n, len(order))))]
    lone = np.flatnonzero(~ok)
    if len(lone):
        parts[0] = np.sort(np.concatenate([parts[0], lone]))
    return parts


def halo_rows(tree: shapely.STRtree, geoms: np.ndarray, core: np.ndarray, distance: float) -> np.ndarray:
    """The parcels near a partition that it does not own.

    Parameters
    ----------
    tree : shapely.STRtree
        Of every parcel geometry (``geoms``).
    geoms : numpy.ndarray
        Every parcel geometry.
    core : numpy.ndarray
        Row positions of the partition's own parcels.
    distance : float
        Metres: every parcel within this distance of an own parcel's bounding box is in the halo.

    Returns
    -------
    numpy.ndarray
        Row positions, ascending, none of them in ``core``.
    """
    g = geoms[core]
    g = g[~(pd.isna(g) | shapely.is_empty(g))]
    if not len(g):
        return np.empty(0, dtype=np.int64)
    b = shapely.bounds(g)
    boxes = shapely.box(b[:, 0] - distance, b[:, 1] - distance, b[:, 2] + distance, b[:, 3] + distance)
    near = np.unique(tree.query(boxes, predicate="intersects")[1])
    return np.setdiff1d(near, core)


def named_parcel(ids: pd.Series, parcel_ids: pd.Index) -> np.ndarray:
    """Row position of the parcel each id names (after stripping), −1 where it names none.

    The same reading :func:`geo_tenglong.analysis.intensity.assign_buildings` gives a building's
    ``parcel_id``.
    """
    given = ids.astype("string").str.strip()
    hit = parcel_ids.get_indexer(given.fillna("").astype(str))
    return np.where(given.notna().to_numpy() & (hit >= 0), hit, -1)


def route_rows(owner: np.ndarray, part_of_parcel: np.ndarray, part: int) -> np.ndarray:
    """Rows (of a table or layer) that go to partition ``part``.

    Parameters
    ----------
    owner : numpy.ndarray of int
        Each row's parcel (row position), −1 for none (:func:`named_parcel`).
    part_of_parcel : numpy.ndarray of int
        The partition of every parcel.
    part : int

    Returns
    -------
    numpy.ndarray
        Row positions: those whose parcel is in ``part``, and, for the first partition, those
        naming no parcel.
    """
    target = np.where(owner >= 0, part_of_parcel[np.maximum(owner, 0)], 0)
    return np.flatnonzero(target == part)
