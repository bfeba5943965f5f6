"""Writer of the 界址点坐标交换格式: layout, encodings, atomic writes, and read → write → read."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo_tenglong.errors import InputError
from geo_tenglong.io.coords import HEADER_KEYS, read_coords, write_coords

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data" / "jzd"
SHARED_JZD = Path(__file__).resolve().parent / "data" / "jzd"
ATTRS = ["plot_no", "plot_name", "shape_type", "sheet_no", "plot_use", "land_class_code", "extra_fields"]

X0, Y0 = 40503000.0, 3224000.0     # easting (with zone prefix), northing near 天台


def parcels():
    """A square with a hole, and two separate parts — zone 40, EPSG:4528."""
    holed = shapely.Polygon(shapely.box(X0, Y0, X0 + 200, Y0 + 200).exterior.coords,
                            [shapely.box(X0 + 50, Y0 + 50, X0 + 150, Y0 + 150).exterior.coords])
    parts = shapely.MultiPolygon([shapely.box(X0, Y0 + 1000, X0 + 100, Y0 + 1100),
                                  shapely.box(X0, Y0 + 1200, X0 + 150, Y0 + 1350)])
    return gpd.GeoDataFrame({"parcel_id": ["331023001001GB00001", "331023001001GB00002"],
                             "owner_name": ["天台县某机械有限公司", "天台县某汽配有限公司"],
                             "land_use_code": ["0601", "0601"]},
                            geometry=[holed, parts], crs=4528)


def same_geometry(a, b, tol=0.001) -> bool:
    a = shapely.normalize(np.asarray(a))
    b = shapely.normalize(np.asarray(b))
    return bool(shapely.equals_exact(a, b, tolerance=tol).all())


def test_layout_gbk_crlf_header_labels_rings(tmp_path):
    (path,) = write_coords(parcels(), tmp_path / "out.txt", date="2023-06-30")
    raw = path.read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    text = raw.decode("gbk")
    lines = text.split("\r\n")
    assert lines[0] == "[属性描述]"
    assert [ln.split("=")[0] for ln in lines[1:11]] == list(HEADER_KEYS)
    assert lines[1] == "格式版本号=1.01版本"
    assert "坐标系=2000国家大地坐标系" in lines and "带号=40" in lines and "几度分带=3" in lines
    assert "数据产生日期=2023-06-30" in lines and "转换参数=,,,,,," in lines
    assert lines[11] == "[地块坐标]"
    # plot 1: 10 point lines (2 rings of 4 + closings), 3.0000 ha
    assert lines[12] == "10,3.0000,331023001001GB00001,天台县某机械有限公司,面,,,0601,@"
    pts = [ln.split(",") for ln in lines[13:23]]
    assert [p[0] for p in pts] == ["J1", "J2", "J3", "J4", "J1", "J5", "J6", "J7", "J8", "J5"]
    assert [p[1] for p in pts] == ["1"] * 5 + ["2"] * 5                # hole right after its outer ring
    assert all(len(p[2].split(".")[1]) == 3 for p in pts)              # millimetres
    assert float(pts[0][2]) < 1e7 and float(pts[0][3]) > 4e7           # X north, Y east with prefix
    assert lines[23] == "10,3.2500,331023001001GB00002,天台县某汽配有限公司,面,,,0601,@"
    assert text.endswith("\r\n")


def test_outer_rings_clockwise_holes_counter_clockwise(tmp_path):
    (path,) = write_coords(parcels().iloc[[0]], tmp_path / "o.txt")
    lines = path.read_text(encoding="gbk").splitlines()[13:23]

    def ring(rows):
        return np.array([[float(r.split(",")[3]), float(r.split(",")[2])] for r in rows])

    assert not shapely.LinearRing(ring(lines[0:5])).is_ccw
    assert shapely.LinearRing(ring(lines[5:10])).is_ccw


def test_utf8_on_request_and_lf(tmp_path):
    (path,) = write_coords(parcels(), tmp_path / "u.txt", encoding="utf-8", newline="\n")
    raw = path.read_bytes()
    assert b"\r" not in raw
    assert "天台县某机械有限公司" in raw.decode("utf-8")


def test_one_file_per_parcel(tmp_path):
    written = write_coords(parcels(), tmp_path / "jzd")
    assert [p.name for p in written] == ["331023001001GB00001.txt", "331023001001GB00002.txt"]
    assert read_coords(written[1]).plots.parcel_id.tolist() == ["331023001001GB00002"]
    one = write_coords(parcels(), tmp_path / "jzd2", one_file_per_parcel=False)
    assert one == [tmp_path / "jzd2"]
    assert len(read_coords(one[0]).plots) == 2


def test_file_names_are_safe_and_unique(tmp_path):
    gdf = parcels()
    gdf["parcel_id"] = ["a/b", "a/b"]
    written = write_coords(gdf, tmp_path / "jzd")
    assert [p.name for p in written] == ["a_b.txt", "a_b_2.txt"]


def test_round_trip_own_file(tmp_path):
    cf = read_coords(DATA / "tiantai-gbk-crlf-hole.txt")
    (out,) = write_coords(cf.plots, tmp_path / "rt.txt", header=cf.header, project=cf.project)
    back = read_coords(out)
    assert same_geometry(cf.plots.geometry, back.plots.geometry)
    assert cf.plots[ATTRS + ["parcel_id"]].equals(back.plots[ATTRS + ["parcel_id"]])
    assert back.crs == cf.crs
    assert back.header["数据产生单位"] == cf.header["数据产生单位"]
    old = dict(cf.header, 格式版本号="1.0", 高程基准="1985国家高程基准")
    (out,) = write_coords(cf.plots, tmp_path / "rt2.txt", header=old)
    back = read_coords(out)
    assert back.header["格式版本号"] == "1.01版本" and back.header["高程基准"] == "1985国家高程基准"
    assert len(back.area_checks) == 0


def test_round_trip_parcels(tmp_path):
    gdf = parcels()
    (out,) = write_coords(gdf, tmp_path / "rt.txt")
    back = read_coords(out).plots
    assert same_geometry(gdf.geometry, back.geometry)
    assert back.parcel_id.tolist() == gdf.parcel_id.tolist()
    assert back.plot_name.tolist() == gdf.owner_name.tolist()
    assert back.area_m2.tolist() == pytest.approx(gdf.area.tolist())


def test_round_trip_attributes_with_commas_and_extra_fields(tmp_path):
    gdf = parcels()
    gdf["plot_name"] = ["名称,带逗号", "名称，全角"]
    gdf["extra_fields"] = ["土地整理,0.5000,0.1200,示范", ""]
    (out,) = write_coords(gdf, tmp_path / "x.txt")
    back = read_coords(out).plots
    # an ASCII comma cannot live in a field; a full-width one can and is kept as written
    assert back.plot_name.tolist() == ["名称、带逗号", "名称，全角"]
    assert back.extra_fields.tolist() == ["土地整理,0.5000,0.1200,示范", ""]


@pytest.mark.parametrize("name", ["windr07-sampledata-gbk-crlf.txt", "hangzhou-zone40-v101.txt",
                                  "edcfoshan-44120000105.txt", "edcfoshan-44120000319.txt",
                                  "edcfoshan-44120002411.txt", "edcfoshan-broken-output-000.txt"])
@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_round_trip_shared_files(tmp_path, name, encoding):
    src = SHARED_JZD / name
    cf = read_coords(src)
    (out,) = write_coords(cf.plots, tmp_path / name, header=cf.header, encoding=encoding)
    back = read_coords(out)
    assert back.crs == cf.crs
    assert same_geometry(cf.plots.geometry, back.plots.geometry)
    assert np.allclose(back.plots.area_m2, cf.plots.area_m2, atol=0.01)
    assert cf.plots[ATTRS].equals(back.plots[ATTRS])
    assert len(back.area_checks) == 0              # the 公顷 written agree with the geometry


def test_never_over_an_input(tmp_path):
    src = tmp_path / "in.txt"
    src.write_bytes((DATA / "tiantai-gbk-crlf-hole.txt").read_bytes())
    cf = read_coords(src)
    before = src.read_bytes()
    with pytest.raises(InputError, match="over an input"):
        write_coords(cf.plots, src)                      # source_file column protects it
    with pytest.raises(InputError, match="over an input"):
        write_coords(parcels(), src, inputs=[src])
    assert src.read_bytes() == before


def test_atomic_write_leaves_no_temp_files_and_keeps_old_on_error(tmp_path):
    target = tmp_path / "out.txt"
    write_coords(parcels(), target)
    old = target.read_bytes()
    bad = parcels()
    bad["owner_name"] = ["\U0001F600 emoji", "x"]                     # not in GBK
    with pytest.raises(InputError, match="cannot be written in gbk"):
        write_coords(bad, target)
    assert target.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
    write_coords(bad, target, encoding="utf-8")
    assert "\U0001F600" in target.read_text(encoding="utf-8")


def test_per_parcel_error_writes_nothing(tmp_path):
    bad = parcels()
    bad["parcel_id"] = ["ok", "bad"]
    bad["owner_name"] = ["x", "\U0001F600"]
    with pytest.raises(InputError, match=r"bad\.txt, line 13: character"):
        write_coords(bad, tmp_path / "jzd")
    assert not any((tmp_path / "jzd").glob("*")) if (tmp_path / "jzd").exists() else True


def test_unprefixed_and_other_datum_crs(tmp_path):
    gdf = parcels().to_crs(4549)                       # CGCS2000 3° CM 120°E, no prefix
    (out,) = write_coords(gdf, tmp_path / "np.txt")
    back = read_coords(out)
    assert back.crs.to_epsg() == 4549
    assert "带号=40" in out.read_text(encoding="gbk")
    xian = parcels().set_crs(2364, allow_override=True)   # Xian80 3° zone 40: kept as it is
    (out,) = write_coords(xian, tmp_path / "xa.txt")
    assert "坐标系=1980西安坐标系" in out.read_text(encoding="gbk")
    assert read_coords(out).crs.to_epsg() == 2364


def test_geographic_input_is_projected_to_its_zone(tmp_path):
    (out,) = write_coords(parcels().to_crs(4490), tmp_path / "geo.txt")
    back = read_coords(out)
    assert back.crs.to_epsg() == 4528
    assert back.plots.area_m2.tolist() == pytest.approx([30000.0, 32500.0], abs=0.05)


def test_bad_geometries_and_crs(tmp_path):
    gdf = parcels()
    with pytest.raises(InputError, match="no CRS"):
        write_coords(gdf.set_crs(None, allow_override=True), tmp_path / "a.txt")
    with pytest.raises(InputError, match="no Chinese Gauss-Krüger zone"):
        write_coords(gdf.to_crs(3857), tmp_path / "a.txt")
    lines = gdf.copy()
    lines.geometry = [shapely.LineString([(X0, Y0), (X0 + 1, Y0 + 1)]), gdf.geometry.iloc[1]]
    with pytest.raises(InputError, match="LineString geometry"):
        write_coords(lines, tmp_path / "a.txt")
    with pytest.raises(InputError, match="outside 3° zone 41"):
        write_coords(gdf.set_crs(4529, allow_override=True), tmp_path / "a.txt")
