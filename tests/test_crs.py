import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from geo_tenglong import crs


@pytest.mark.parametrize("datum,width,zone,prefixed,epsg", [
    ("CGCS2000", 3, 40, True, 4528), ("CGCS2000", 3, 40, False, 4549), ("CGCS2000", 6, 20, True, 4498),
    ("CGCS2000", 6, 20, False, 4509), ("Xian80", 3, 40, True, 2364), ("Xian80", 3, 40, False, 2385),
    ("Beijing54", 3, 40, True, 2416), ("Beijing54", 6, 21, True, 21421), ("CGCS2000", 3, 37, True, 4525),
])
def test_epsg_codes_match_the_registry(datum, width, zone, prefixed, epsg):
    z = crs.GKZone(datum, width, zone, prefixed)
    assert z.epsg == epsg
    # the registry's own definition agrees on the central meridian and the false easting
    params = {p.name: p.value for p in pyproj.CRS.from_epsg(epsg).coordinate_operation.params}
    assert params["Longitude of natural origin"] == pytest.approx(z.central_meridian)
    expected_fe = (zone * 1_000_000 if prefixed else 0) + 500_000
    assert params["False easting"] == pytest.approx(expected_fe)
    assert crs.zone_from_epsg(epsg) == z


def test_zone_from_easting_prefix():
    z = crs.zone_from_easting([40_512_345.6, 40_499_000.0])
    assert (z.width, z.zone, z.epsg) == (3, 40, 4528)
    assert crs.zone_from_easting(20_400_000.0).width == 6


@pytest.mark.parametrize("eastings,match", [
    ([512_345.0], "no zone prefix"), ([40_500_000.0, 39_500_000.0], "several zone prefixes"),
    ([50_500_000.0], "not a Chinese"), ([np.nan], "no finite"),
])
def test_zone_from_easting_errors(eastings, match):
    with pytest.raises(ValueError, match=match):
        crs.zone_from_easting(eastings)


def test_zone_from_longitude_tiantai_and_deqing():
    assert crs.zone_from_longitude(121.03).zone == 40
    assert crs.zone_from_longitude(119.97).zone == 40
    assert crs.zone_from_longitude(119.97, width=6).zone == 20


def test_detect_crs_degrees_and_projected():
    assert crs.detect_crs([121.0, 121.1], [29.1, 29.2]).to_epsg() == 4490
    assert crs.detect_crs([40_500_000.0], [3_225_000.0]).to_epsg() == 4528
    with pytest.raises(ValueError):
        crs.detect_crs([500_000.0], [3_225_000.0])


def test_normalize_datum():
    assert crs.normalize_datum("2000国家大地坐标系") == crs.CGCS2000
    assert crs.normalize_datum("西安80") == crs.XIAN80
    assert crs.normalize_datum("1954北京坐标系") == crs.BEIJING54
    with pytest.raises(ValueError):
        crs.normalize_datum("WGS84")


def test_planar_and_ellipsoidal_area_agree_near_the_central_meridian():
    # 1 km square at the central meridian of zone 40: GK scale factor is 1 there, so the
    # planar and ellipsoidal areas agree to well under 0.1 %.
    sq = shapely.box(40_500_000, 3_225_000, 40_501_000, 3_226_000)
    gdf = gpd.GeoDataFrame(geometry=[sq], crs=4528)
    planar = crs.planar_area(gdf.geometry)[0]
    assert planar == pytest.approx(1e6)
    assert crs.ellipsoidal_area(gdf)[0] == pytest.approx(planar, rel=1e-3)
