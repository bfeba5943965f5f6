"""界址点成果表: corner_points(), parcel_areas(), the Excel/CSV table and the corners layer."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo_tenglong.errors import InputError
from geo_tenglong.io.coords import read_coords, write_coords
from geo_tenglong.report.corner_table import (
    corner_points,
    crs_label,
    parcel_areas,
    write_corner_points,
    write_corner_table,
)

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "jzd"
X0, Y0 = 40503000.0, 3224000.0


def parcels():
    holed = shapely.Polygon(shapely.box(X0, Y0, X0 + 200, Y0 + 200).exterior.coords,
                            [shapely.box(X0 + 50, Y0 + 50, X0 + 150, Y0 + 150).exterior.coords])
    parts = shapely.MultiPolygon([shapely.box(X0, Y0 + 1000, X0 + 100, Y0 + 1100),
                                  shapely.box(X0, Y0 + 1200, X0 + 150, Y0 + 1350)])
    return gpd.GeoDataFrame({"parcel_id": ["A", "B"]}, geometry=[holed, parts], crs=4528)


def test_corner_points_rows_labels_edges():
    t = corner_points(parcels())
    a = t[t.parcel_id == "A"]
    assert len(a) == 10                                      # 2 rings x (4 corners + closing)
    assert a.point_no.tolist() == ["J1", "J2", "J3", "J4", "J1", "J5", "J6", "J7", "J8", "J5"]
    assert a.ring.tolist() == [1] * 5 + [2] * 5
    assert a.part.tolist() == [1] * 10
    assert a.seq.tolist() == list(range(1, 11))
    assert a.is_closing.tolist() == [False] * 4 + [True] + [False] * 4 + [True]
    assert a.edge_m[~a.is_closing].tolist() == [200.0] * 4 + [100.0] * 4
    assert a.edge_m[a.is_closing].isna().all()
    # X is the northing, Y the easting with the zone prefix
    assert a.x.between(Y0, Y0 + 200).all() and a.y.between(X0, X0 + 200).all()
    assert set(a.area_m2) == {30000.0} and set(a.area_ha) == {3.0} and set(a.area_mu) == {45.0}
    b = t[t.parcel_id == "B"]
    assert b.part.tolist() == [1] * 5 + [2] * 5 and b.ring.tolist() == [1] * 5 + [2] * 5
    assert b.area_m2.iloc[0] == 32500.0 and b.area_mu.iloc[0] == pytest.approx(48.75)
    assert t.crs.iloc[0] == "2000国家大地坐标系 3度带 第40带 (EPSG:4528)"


def test_corner_points_match_the_writer(tmp_path):
    """Same order and labels as an exported coordinate file."""
    (out,) = write_coords(parcels(), tmp_path / "p.txt")
    lines = [ln.split(",") for ln in out.read_text(encoding="gbk").splitlines() if ln.startswith("J")]
    t = corner_points(parcels())
    assert t.point_no.tolist() == [ln[0] for ln in lines]
    assert t.x.tolist() == [float(ln[2]) for ln in lines]
    assert t.y.tolist() == [float(ln[3]) for ln in lines]


def test_surveyor_labels_are_kept():
    cf = read_coords(DATA / "tiantai-gbk-crlf-hole.txt")        # labels restart per ring: J1…J4, J1…J4
    t = corner_points(cf.plots)
    first = t[t.parcel_id == cf.plots.parcel_id.iloc[0]]
    assert first.point_no.tolist() == ["J1", "J2", "J3", "J4", "J1"] * 2
    # a changed geometry no longer fits the labels: generated ones are used
    changed = cf.plots.copy()
    changed.loc[0, "geometry"] = shapely.box(X0, Y0, X0 + 10, Y0 + 10)
    t2 = corner_points(changed)
    assert t2[t2.parcel_id == changed.parcel_id.iloc[0]].point_no.tolist() == ["J1", "J2", "J3", "J4", "J1"]


def test_windr07_corner_counts():
    src = Path(__file__).resolve().parent / "data" / "jzd" / "windr07-sampledata-gbk-crlf.txt"
    cf = read_coords(src)
    s = parcel_areas(cf.plots)
    assert s.n_rings.tolist() == [1, 1, 2, 6, 2]
    assert s.n_points.tolist() == [4, 84, 28, 23, 17]
    assert s.area_m2.tolist() == pytest.approx([109.43, 14969.69, 459.72, 989.26, 165.19])


def test_parcel_areas_and_missing_ids():
    gdf = parcels()
    gdf["parcel_id"] = ["A", None]
    s = parcel_areas(gdf)
    assert s.parcel_id.tolist() == ["A", "#2"]
    assert s.area_ha.tolist() == [3.0, 3.25]
    assert s.n_points.tolist() == [8, 8]


def test_crs_label_unprefixed():
    assert crs_label(parcels().to_crs(4549).crs) == "2000国家大地坐标系 3度带 中央经线120°（无带号） (EPSG:4549)"


def test_bad_inputs():
    with pytest.raises(InputError, match="geographic"):
        corner_points(parcels().to_crs(4490))
    with pytest.raises(InputError, match="no CRS"):
        corner_points(parcels().set_crs(None, allow_override=True))
    pts = parcels()
    pts.geometry = pts.centroid
    with pytest.raises(InputError, match="Point geometry; expected Polygon"):
        corner_points(pts)


def test_write_xlsx_csv_and_points(tmp_path):
    gdf = parcels()
    xlsx = write_corner_table(gdf, tmp_path / "成果表.xlsx")
    sheets = pd.read_excel(xlsx, sheet_name=None)
    assert list(sheets) == ["界址点成果表", "面积汇总"]
    table = sheets["界址点成果表"]
    assert list(table.columns) == ["地块编号", "圈号", "序号", "点号", "X坐标(米)", "Y坐标(米)", "边长(米)",
                                   "面积(平方米)", "面积(公顷)", "面积(亩)", "坐标系"]
    assert len(table) == 20
    summary = sheets["面积汇总"]
    assert summary["面积(亩)"].tolist() == [45.0, 48.75]
    csv = write_corner_table(corner_points(gdf), tmp_path / "t.csv")
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(csv, encoding="utf-8-sig")
    assert back["点号"].tolist() == table["点号"].tolist()
    assert np.allclose(back["X坐标(米)"], table["X坐标(米)"])
    gpkg = write_corner_points(gdf, tmp_path / "corners.gpkg")
    pts = gpd.read_file(gpkg, layer="corners")
    assert len(pts) == 16 and pts.crs.to_epsg() == 4528
    assert np.allclose(pts.geometry.x, pts.y) and np.allclose(pts.geometry.y, pts.x)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corners.gpkg", "t.csv", "成果表.xlsx"]


def test_write_table_refuses_inputs_and_other_suffixes(tmp_path):
    with pytest.raises(InputError, match="over an input"):
        write_corner_table(parcels(), tmp_path / "a.csv", inputs=[tmp_path / "a.csv"])
    with pytest.raises(InputError, match=r"\.xlsx or \.csv"):
        write_corner_table(parcels(), tmp_path / "a.txt")
