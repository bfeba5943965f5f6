"""WGS-84 ↔ GCJ-02 (the "Mars" datum of Gaode/AMap and other Chinese online maps).

GCJ-02 adds a deterministic, non-linear offset of a few hundred metres to WGS-84 (CGCS2000 is
WGS-84 within centimetres at map scale). A Gaode basemap is drawn in GCJ-02, so overlays in
WGS-84 must be shifted by the same offset to line up with it. The forward formula is the
well-known public one (Krasovsky ellipsoid constants); the inverse is found by fixed-point
iteration to well under a centimetre. Points outside mainland China are not shifted.
"""

from __future__ import annotations

import numpy as np
import shapely

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by the formula
_EE = 0.00669342162296594323  # its first eccentricity squared


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = lon - 105.0
    y = lat - 35.0
    sx = np.sqrt(np.abs(x))
    common = 20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx
            + common * 2.0 / 3.0
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx
            + common * 2.0 / 3.0
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return dlon, dlat


def in_china(lon, lat) -> np.ndarray:
    """Whether points fall in the rough mainland-China box where GCJ-02 applies."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Shift WGS-84 longitudes/latitudes to GCJ-02 (vectorised).

    Parameters
    ----------
    lon, lat : float or array-like
        WGS-84 (or CGCS2000) degrees.

    Returns
    -------
    tuple of ndarray
        GCJ-02 longitude and latitude; points outside China are returned unchanged.

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(116.404, 39.915)
    >>> round(float(lon), 6), round(float(lat), 6)
    (116.410244, 39.916404)
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlon, dlat = _delta(lon, lat)
    inside = in_china(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def gcj02_to_wgs84(lon, lat, tol: float = 1e-9, max_iter: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Invert :func:`wgs84_to_gcj02` by fixed-point iteration (vectorised).

    Parameters
    ----------
    lon, lat : float or array-like
        GCJ-02 degrees.
    tol : float
        Stop when every point moves less than this many degrees (1e-9° ≈ 0.1 mm).
    max_iter : int

    Returns
    -------
    tuple of ndarray
        WGS-84 longitude and latitude.
    """
    glon = np.asarray(lon, dtype=float)
    glat = np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(max_iter):
        tlon, tlat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = tlon - glon, tlat - glat
        wlon = wlon - elon
        wlat = wlat - elat
        if np.all(np.abs(elon) < tol) and np.all(np.abs(elat) < tol):
            break
    return wlon, wlat


def shift_geometries(geoms, to_gcj02: bool = True):
    """Shift shapely geometries (in EPSG:4326, x = longitude) to GCJ-02 or back.

    Parameters
    ----------
    geoms : array-like of shapely geometries, or a GeoSeries
    to_gcj02 : bool
        ``True``: WGS-84 → GCJ-02; ``False``: GCJ-02 → WGS-84.

    Returns
    -------
    ndarray of shapely geometries (or a GeoSeries when given one)
    """
    func = wgs84_to_gcj02 if to_gcj02 else gcj02_to_wgs84

    def _xy(coords: np.ndarray) -> np.ndarray:
        if len(coords) == 0:
            return coords
        x, y = func(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    if hasattr(geoms, "geometry") and hasattr(geoms, "crs"):
        out = geoms.copy()
        out[:] = shapely.transform(np.asarray(geoms.values), _xy)
        return out
    return shapely.transform(np.asarray(geoms), _xy)
