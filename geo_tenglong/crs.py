"""Chinese Gauss-Krüger projected coordinate systems (CGCS2000, 西安80, 北京54).

Parcels in China are surveyed in 3° (or 6°) Gauss-Krüger zones. The easting either carries the
zone number as a prefix (zone 40: ``40 500 000 m`` at the central meridian) or not (``500 000 m``,
the CRS is then named by its central meridian). This module maps datum, zone width, zone number and
prefix to EPSG codes, detects the zone from coordinates, and computes cadastral areas.

EPSG numbering (checked against the EPSG registry in the tests):

========  =====  ===================  ======================
datum     width  with zone prefix     without prefix (by CM)
========  =====  ===================  ======================
CGCS2000  3°     4488 + N (N 25–45)   4534 + (N − 25)
CGCS2000  6°     4478 + N (N 13–23)   4489 + N
西安80     3°     2324 + N (N 25–45)   2345 + N
西安80     6°     2314 + N (N 13–23)   2325 + N
北京54     3°     2376 + N (N 25–45)   2397 + N
北京54     6°     21400 + N (N 13–23) 21460 + N
========  =====  ===================  ======================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyproj

CGCS2000 = "CGCS2000"
XIAN80 = "Xian80"
BEIJING54 = "Beijing54"

_DATUM_ALIASES = {
    "cgcs2000": CGCS2000, "2000": CGCS2000, "2000国家大地坐标系": CGCS2000, "国家2000": CGCS2000,
    "2000国家坐标系": CGCS2000, "cgcs 2000": CGCS2000,
    "xian80": XIAN80, "xian 80": XIAN80, "西安80": XIAN80, "80": XIAN80, "1980西安坐标系": XIAN80,
    "西安80坐标系": XIAN80, "80西安": XIAN80, "xian1980": XIAN80,
    "beijing54": BEIJING54, "北京54": BEIJING54, "54": BEIJING54, "1954北京坐标系": BEIJING54,
    "北京54坐标系": BEIJING54, "54北京": BEIJING54, "beijing1954": BEIJING54,
}

#: (datum, width) -> (offset with prefix, offset without prefix) so that EPSG = offset + N.
_EPSG_OFFSETS = {
    (CGCS2000, 3): (4488, 4534 - 25),
    (CGCS2000, 6): (4478, 4489),
    (XIAN80, 3): (2324, 2345),
    (XIAN80, 6): (2314, 2325),
    (BEIJING54, 3): (2376, 2397),
    (BEIJING54, 6): (21400, 21460),
}
_ZONE_RANGE = {3: (25, 45), 6: (13, 23)}


def normalize_datum(name: str) -> str:
    """Map a datum name as written in Chinese files (``2000国家大地坐标系``, ``80``, ``北京54``) to
    one of :data:`CGCS2000`, :data:`XIAN80`, :data:`BEIJING54`.

    Raises
    ------
    ValueError
        If the name is not recognised.
    """
    key = name.strip().lower().replace("_", "").replace("-", "")
    if key in _DATUM_ALIASES:
        return _DATUM_ALIASES[key]
    for alias, datum in _DATUM_ALIASES.items():
        if len(alias) > 2 and alias in key:
            return datum
    raise ValueError(f"unknown geodetic datum {name!r}; expected CGCS2000 (2000国家大地坐标系), 西安80 or 北京54")


@dataclass(frozen=True)
class GKZone:
    """A Gauss-Krüger zone.

    Attributes
    ----------
    datum : str
        :data:`CGCS2000`, :data:`XIAN80` or :data:`BEIJING54`.
    width : int
        Zone width in degrees, 3 or 6.
    zone : int
        Zone number (3°: 25–45 in China; 6°: 13–23).
    prefixed : bool
        Whether eastings carry the zone number as a prefix.
    """

    datum: str
    width: int
    zone: int
    prefixed: bool = True

    def __post_init__(self):
        if self.width not in (3, 6):
            raise ValueError(f"zone width must be 3 or 6 degrees, got {self.width}")
        lo, hi = _ZONE_RANGE[self.width]
        if not lo <= self.zone <= hi:
            raise ValueError(f"{self.width}° zone {self.zone} is outside China's range {lo}–{hi}")
        if (self.datum, self.width) not in _EPSG_OFFSETS:
            raise ValueError(f"unknown datum {self.datum!r}")

    @property
    def central_meridian(self) -> float:
        """Central meridian in degrees east."""
        return float(self.zone * 3 if self.width == 3 else self.zone * 6 - 3)

    @property
    def epsg(self) -> int:
        """The EPSG code of this zone."""
        with_prefix, without = _EPSG_OFFSETS[(self.datum, self.width)]
        return (with_prefix if self.prefixed else without) + self.zone

    @property
    def crs(self) -> pyproj.CRS:
        """The :class:`pyproj.CRS` of this zone."""
        return pyproj.CRS.from_epsg(self.epsg)


def zone_from_easting(easting, datum: str = CGCS2000) -> GKZone:
    """Detect the zone from eastings that carry the zone prefix.

    Parameters
    ----------
    easting : float or array-like
        Easting values (the surveyor's Y). All must share one prefix.
    datum : str
        Datum to attach to the zone.

    Returns
    -------
    GKZone
        With ``prefixed=True``.

    Raises
    ------
    ValueError
        If eastings have no prefix (< 1 000 000 m), mix prefixes, or the prefix is no Chinese zone.

    Examples
    --------
    >>> zone_from_easting(40_512_345.6).epsg
    4528
    """
    e = np.atleast_1d(np.asarray(easting, dtype=float))
    e = e[np.isfinite(e)]
    if e.size == 0:
        raise ValueError("no finite easting to detect the zone from")
    prefixes = np.unique(np.floor(e / 1_000_000).astype(int))
    if prefixes.size != 1:
        raise ValueError(f"eastings carry several zone prefixes: {sorted(prefixes.tolist())}")
    prefix = int(prefixes[0])
    if prefix == 0:
        raise ValueError("eastings carry no zone prefix (all below 1 000 000 m)")
    if 13 <= prefix <= 23:
        width = 6
    elif 25 <= prefix <= 45:
        width = 3
    else:
        raise ValueError(f"easting prefix {prefix} is not a Chinese Gauss-Krüger zone (6°: 13–23, 3°: 25–45)")
    return GKZone(normalize_datum(datum), width, prefix, True)


def zone_from_longitude(lon: float, width: int = 3, datum: str = CGCS2000, prefixed: bool = True) -> GKZone:
    """The zone containing a longitude.

    Examples
    --------
    >>> zone_from_longitude(121.03).zone
    40
    """
    zone = int(round(lon / 3.0)) if width == 3 else int(lon // 6) + 1
    return GKZone(normalize_datum(datum), width, zone, prefixed)


def zone_from_epsg(epsg: int) -> GKZone | None:
    """Inverse of :attr:`GKZone.epsg`; ``None`` for a code that is no Chinese GK zone."""
    for (datum, width), (with_prefix, without) in _EPSG_OFFSETS.items():
        lo, hi = _ZONE_RANGE[width]
        for prefixed, offset in ((True, with_prefix), (False, without)):
            n = epsg - offset
            if lo <= n <= hi:
                return GKZone(datum, width, n, prefixed)
    return None


def detect_crs(x, y, datum: str = CGCS2000) -> pyproj.CRS:
    """Guess the CRS of a layer that has none, from its coordinates.

    Longitude/latitude-looking coordinates give EPSG:4490 (CGCS2000 geographic); eastings with a
    zone prefix give that zone.

    Parameters
    ----------
    x, y : array-like
        Coordinates in GIS order (x = easting or longitude, y = northing or latitude).
    datum : str
        Datum to assume for projected coordinates.

    Raises
    ------
    ValueError
        When the coordinates give the zone away neither way (no prefix, not degrees).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.size and np.all((x >= 73) & (x <= 136)) and np.all((y >= 3) & (y <= 54)):
        return pyproj.CRS.from_epsg(4490)
    return zone_from_easting(x, datum).crs


def planar_area(geoms) -> np.ndarray:
    """Cadastral (planar, 坐标解析法) area in m² of geometries in a projected CRS.

    Parameters
    ----------
    geoms : GeoSeries or array of shapely geometries

    Returns
    -------
    numpy.ndarray of float
    """
    import shapely

    return shapely.area(np.asarray(geoms))


def ellipsoidal_area(gdf) -> np.ndarray:
    """Area on the CGCS2000 (GRS80) ellipsoid in m², for comparison with the planar area.

    Parameters
    ----------
    gdf : GeoDataFrame or GeoSeries
        With a CRS.

    Returns
    -------
    numpy.ndarray of float
    """
    geod = pyproj.Geod(ellps="GRS80")
    geo = gdf.to_crs(4490).geometry if hasattr(gdf, "geometry") else gdf.to_crs(4490)
    return np.array([abs(geod.geometry_area_perimeter(g)[0]) if g is not None else np.nan for g in geo])
