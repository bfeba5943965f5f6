"""Coverage-weighted land-cover shares (geo_tenglong.analysis.landcover), checked against exact
pixel–polygon intersection areas computed here with shapely boxes."""

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin
from shapely.affinity import rotate
from shapely.geometry import Polygon, box

from geo_tenglong.analysis.landcover import COVER_CLASSES, footprint_share, zonal_shares

CLASSES = {1: "built", 2: "bare", 3: "vegetation", 4: "water"}
PIX = 2.0


def write_raster(path, arr, x0, y0, crs, pix=PIX, tiled=False):
    profile = dict(driver="GTiff", width=arr.shape[1], height=arr.shape[0], count=1, dtype="uint8", crs=crs,
                   transform=from_origin(x0, y0, pix, pix), nodata=0, compress="deflate")
    if tiled:
        profile.update(tiled=True, blockxsize=256, blockysize=256)
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(arr, 1)
    return path


def expected_shares(poly, arr, x0, y0, pix=PIX):
    """Exact shares: intersect the polygon with every pixel box."""
    rows, cols = arr.shape
    area = {c: 0.0 for c in COVER_CLASSES}
    for r in range(rows):
        for c in range(cols):
            cell = box(x0 + c * pix, y0 - (r + 1) * pix, x0 + (c + 1) * pix, y0 - r * pix)
            a = poly.intersection(cell).area
            if a > 0 and int(arr[r, c]) in CLASSES:
                area[CLASSES[int(arr[r, c])]] += a
    valid = sum(area.values())
    shares = {k: (v / valid if valid else np.nan) for k, v in area.items()}
    shares["valid_coverage"] = valid / poly.area
    return shares


X0, Y0 = 40_597_000.0, 3_230_040.0   # 天台, CGCS2000 GK zone 40 (EPSG:4528)


@pytest.fixture
def grid(tmp_path):
    rng = np.random.default_rng(7)
    arr = rng.integers(0, 5, size=(15, 20)).astype("uint8")   # 0 = nodata, sprinkled
    return write_raster(tmp_path / "lc.tif", arr, X0, Y0, "EPSG:4528"), arr


def polygons():
    irregular = Polygon([(X0 + 3.3, Y0 - 4.1), (X0 + 17.9, Y0 - 2.7), (X0 + 21.2, Y0 - 13.4),
                         (X0 + 9.6, Y0 - 19.8), (X0 + 2.1, Y0 - 11.0)])
    return {
        "irregular": irregular,
        "rotated": rotate(box(X0 + 14, Y0 - 26, X0 + 30, Y0 - 14), 27, origin="centroid"),
        "tiny": box(X0 + 10.3, Y0 - 6.7, X0 + 10.6, Y0 - 6.5),          # 0.06 m² inside one 4 m² pixel
        "tiny_across": box(X0 + 11.8, Y0 - 8.3, X0 + 12.3, Y0 - 7.9),   # smaller than a pixel, on four
        "edge": box(X0 + 33.0, Y0 - 9.0, X0 + 47.0, Y0 - 1.0),          # straddles the east edge (x = +40)
        "corner": box(X0 - 3.0, Y0 - 3.0, X0 + 3.0, Y0 + 3.0),          # straddles the NW corner
        "one_mu": Polygon([(X0 + 1.37, Y0 - 1.11), (X0 + 26.37, Y0 - 1.11),
                           (X0 + 26.37, Y0 - 1.11 - 666.6667 / 25), (X0 + 1.37, Y0 - 1.11 - 666.6667 / 25)]),
    }


def test_shares_match_exact_pixel_intersections(grid):
    path, arr = grid
    polys = polygons()
    gs = gpd.GeoSeries(list(polys.values()), index=list(polys), crs="EPSG:4528")
    got = zonal_shares(gs, path, CLASSES)
    for name, poly in polys.items():
        want = expected_shares(poly, arr, X0, Y0)
        for col in [*COVER_CLASSES, "valid_coverage"]:
            if np.isnan(want[col]):
                assert np.isnan(got.loc[name, col]), (name, col)
            else:
                assert got.loc[name, col] == pytest.approx(want[col], abs=1e-7), (name, col)
        assert got.loc[name, "in_raster"]


def test_tiny_parcel_takes_its_pixel_class(grid):
    path, arr = grid
    got = zonal_shares(gpd.GeoSeries([polygons()["tiny"]], crs="EPSG:4528"), path, CLASSES)
    cls = arr[int(6.6 // PIX), int(10.45 // PIX)]
    if cls:
        assert got.loc[0, CLASSES[int(cls)]] == pytest.approx(1.0)
        assert got.loc[0, "valid_coverage"] == pytest.approx(1.0)


def test_one_mu_parcel_keeps_its_area(tmp_path):
    # all built: a 1-mu parcel whose edges cut pixels must count exactly 1 mu of built cover
    arr = np.ones((20, 20), dtype="uint8")
    path = write_raster(tmp_path / "built.tif", arr, X0, Y0, "EPSG:4528")
    poly = polygons()["one_mu"]
    got = zonal_shares(gpd.GeoSeries([poly], crs="EPSG:4528"), path, CLASSES)
    assert got.loc[0, "built"] == pytest.approx(1.0)
    assert got.loc[0, "valid_coverage"] * poly.area == pytest.approx(666.6667, rel=1e-7)


def test_outside_raster_and_empty(grid):
    path, _ = grid
    gs = gpd.GeoSeries([box(X0 + 500, Y0, X0 + 510, Y0 + 10), Polygon()], index=["far", "empty"], crs="EPSG:4528")
    got = zonal_shares(gs, path, CLASSES)
    assert not got["in_raster"].any()
    assert got[list(COVER_CLASSES)].isna().all().all()
    assert (got["valid_coverage"] == 0).all()


def test_nodata_only_parcel_has_no_shares(tmp_path):
    arr = np.zeros((5, 5), dtype="uint8")
    path = write_raster(tmp_path / "nodata.tif", arr, X0, Y0, "EPSG:4528")
    got = zonal_shares(gpd.GeoSeries([box(X0 + 1, Y0 - 5, X0 + 5, Y0 - 1)], crs="EPSG:4528"), path, CLASSES)
    assert got.loc[0, "in_raster"]
    assert np.isnan(got.loc[0, "built"]) and got.loc[0, "valid_coverage"] == 0


def test_raster_in_another_crs_projects_the_parcels(tmp_path, grid):
    """A UTM 51N raster: parcels (EPSG:4528) are projected to it and measured on its own grid."""
    _, arr = grid
    ux0, uy0 = 305_000.0, 3_221_040.0
    path = write_raster(tmp_path / "utm.tif", arr, ux0, uy0, "EPSG:32651")
    to_4528 = pyproj.Transformer.from_crs("EPSG:32651", "EPSG:4528", always_xy=True)
    polys_utm = {k: shapely.affinity.translate(p, ux0 - X0, uy0 - Y0) for k, p in polygons().items()}
    parcels = gpd.GeoSeries([shapely.transform(p, lambda xy: np.column_stack(to_4528.transform(xy[:, 0], xy[:, 1])))
                             for p in polys_utm.values()], index=list(polys_utm), crs="EPSG:4528")
    # the parcels really are far from the raster in their own CRS: a naive overlay would miss them
    assert parcels.total_bounds[0] > 40_000_000
    got = zonal_shares(parcels, path, CLASSES)
    for name, poly in polys_utm.items():
        want = expected_shares(poly, arr, ux0, uy0)
        for col in [*COVER_CLASSES, "valid_coverage"]:
            if np.isnan(want[col]):
                assert np.isnan(got.loc[name, col])
            else:
                assert got.loc[name, col] == pytest.approx(want[col], abs=2e-4), (name, col)


def test_raster_without_crs_assumes_the_parcels_crs(tmp_path, grid):
    _, arr = grid
    path = write_raster(tmp_path / "nocrs.tif", arr, X0, Y0, None)
    poly = polygons()["irregular"]
    got = zonal_shares(gpd.GeoSeries([poly], crs="EPSG:4528"), path, CLASSES)
    assert got.loc[0, "built"] == pytest.approx(expected_shares(poly, arr, X0, Y0)["built"], abs=1e-9)


@pytest.mark.parametrize("strategy", ["chunked", "feature-sequential"])
def test_reads_windows_not_the_whole_raster(tmp_path, monkeypatch, strategy):
    """A 4096 × 4096 tiled raster: every read is a window much smaller than the raster."""
    arr = np.ones((4096, 4096), dtype="uint8")
    path = write_raster(tmp_path / "big.tif", arr, X0, Y0, "EPSG:4528", tiled=True)
    seen = []
    original = rasterio.io.DatasetReader.read

    def spy(self, *args, window=None, **kw):
        assert window is not None, "a read without a window loads the whole raster"
        seen.append(window.width * window.height)
        return original(self, *args, window=window, **kw)

    monkeypatch.setattr(rasterio.io.DatasetReader, "read", spy)
    gs = gpd.GeoSeries([box(X0 + 100 * i, Y0 - 100 * i - 40, X0 + 100 * i + 30, Y0 - 100 * i) for i in range(1, 30)],
                       crs="EPSG:4528")
    got = zonal_shares(gs, path, CLASSES, strategy=strategy, chunk_px=256)
    assert (got["built"] == 1).all()
    assert seen and max(seen) <= 4096 * 4096 / 100


def test_strategies_agree(grid):
    path, _ = grid
    polys = polygons()
    gs = gpd.GeoSeries(list(polys.values()), index=list(polys), crs="EPSG:4528")
    cols = [*COVER_CLASSES, "valid_coverage"]
    base = zonal_shares(gs, path, CLASSES, strategy="feature-sequential")[cols]
    for strategy, chunk in (("chunked", 4), ("chunked", 2048), ("raster-sequential", 2048)):
        got = zonal_shares(gs, path, CLASSES, strategy=strategy, chunk_px=chunk)[cols]
        np.testing.assert_allclose(got.to_numpy(), base.to_numpy(), atol=1e-12)


def test_unknown_class_name_is_refused(grid):
    path, _ = grid
    with pytest.raises(ValueError, match="cloud"):
        zonal_shares(gpd.GeoSeries([polygons()["tiny"]], crs="EPSG:4528"), path, {1: "cloud"})


def test_footprint_share_counts_overlaps_once():
    parcel = box(0, 0, 10, 10)
    b = gpd.GeoSeries([box(0, 0, 5, 5), box(2, 2, 6, 6), box(8, 8, 12, 12), box(20, 20, 30, 30)])
    got = footprint_share(gpd.GeoSeries([parcel, box(100, 100, 110, 110)]), b)
    want = (shapely.union_all([box(0, 0, 5, 5), box(2, 2, 6, 6)]).area + 4) / 100
    assert got[0] == pytest.approx(want)
    assert got[1] == 0
    assert np.isnan(footprint_share(gpd.GeoSeries([parcel]), None)[0])


def test_footprint_share_touching_contained_and_overlapping_footprints():
    """Shared walls are summed; a footprint inside another and a partial overlap are counted once."""
    parcels = gpd.GeoSeries([box(0, 0, 10, 10), box(20, 0, 30, 10), box(40, 0, 50, 10)])
    b = gpd.GeoSeries([box(0, 0, 5, 10), box(5, 0, 8, 10),          # parcel 0: two rows sharing a wall
                       box(20, 0, 26, 6), box(21, 1, 23, 3),        # parcel 1: one inside the other
                       box(40, 0, 44, 4), box(43, 3, 47, 7), box(48, 8, 50, 10)])  # parcel 2: overlap + apart
    got = footprint_share(parcels, b)
    assert got[0] == pytest.approx(0.8)
    assert got[1] == pytest.approx(0.36)
    assert got[2] == pytest.approx((16 + 16 - 1 + 4) / 100)


def test_parcels_in_lon_lat_on_a_projected_raster(grid):
    path, arr = grid
    polys = {k: v for k, v in polygons().items() if k in ("irregular", "rotated", "one_mu")}
    gs = gpd.GeoSeries(list(polys.values()), index=list(polys), crs="EPSG:4528").to_crs("EPSG:4326")
    got = zonal_shares(gs, path, CLASSES)
    for name, poly in polys.items():
        want = expected_shares(poly, arr, X0, Y0)
        for col in [*COVER_CLASSES, "valid_coverage"]:
            assert got.loc[name, col] == pytest.approx(want[col], abs=1e-4), (name, col)
