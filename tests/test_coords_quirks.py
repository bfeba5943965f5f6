"""Issue 14: corner-coordinate files from other producers — datum spellings, 0 for "not given",
plot-line layouts, extension sections, strict numbers and 圈号, the size limit, and a lossless
import → export → import. Each test here failed against the reader before the fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from geo_tenglong.errors import InputError
from geo_tenglong.io.coords import LAYOUTS, datum_of, decode_coords_bytes, read_coords, read_coords_many, write_coords
from geo_tenglong.io.coords.zone import DATUM_KEYS

DATA = Path(__file__).resolve().parent / "data" / "jzd"
FIXTURES = sorted(p.name for p in DATA.glob("*.txt"))

HEADER = ("[属性描述]\n格式版本号=1.01版本\n数据产生单位=天台县自然资源和规划局\n数据产生日期=2023-6-30\n"
          "坐标系=2000国家大地坐标系\n几度分带=3\n投影类型=高斯克吕格\n计量单位=米\n带号=40\n精度=0.001\n"
          "转换参数=,,,,,,\n[地块坐标]\n")
PLOT = "5,0.5000,1,地块一,面,,工业用地,0601,@\n"           # line 13
POINTS = ("J1,1,3224000.000,40503000.000\nJ2,1,3224000.000,40503100.000\nJ3,1,3224050.000,40503100.000\n"
          "J4,1,3224050.000,40503000.000\nJ1,1,3224000.000,40503000.000\n")    # lines 14-18
RECT = PLOT + POINTS


def write(tmp_path, text: str, name="jzd.txt", encoding="utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def read_text(tmp_path, text: str, name="jzd.txt"):
    return read_coords(write(tmp_path, text, name))


def refused(tmp_path, text: str, line: int, phrase: str, **kw):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        read_coords(path, **kw)
    msg = str(info.value)
    assert info.value.path == path and info.value.where == f"line {line}", msg
    assert phrase in msg, msg
    return msg


# ------------------------------------------------------------------------------------------------
# datum spellings


@pytest.mark.parametrize("name, epsg", [
    ("80国家大地坐标系", 2364), ("西安1980坐标系", 2364), ("1980西安坐标系", 2364), ("西安80坐标系", 2364),
    ("1980西安国家大地坐标系", 2364), ("1980年西安坐标系", 2364), ("西安 80", 2364), ("Xian 1980", 2364),
    ("北京1954坐标系", 2416), ("54北京坐标系", 2416), ("1954年北京坐标系", 2416), ("北京54", 2416),
    ("2000国家大地坐标系", 4528), ("CGCS2000", 4528), ("国家2000", 4528), ("ＣＧＣＳ２０００", 4528),
    ("2000 国家大地坐标系", 4528), ("2000国家大地坐标系(CGCS2000)", 4528), ("CGCS_2000", 4528),
    ("China Geodetic Coordinate System 2000", 4528),
])
def test_datum_spellings(tmp_path, name, epsg):
    cf = read_text(tmp_path, HEADER.replace("坐标系=2000国家大地坐标系", f"坐标系={name}") + RECT)
    assert cf.crs.to_epsg() == epsg


@pytest.mark.parametrize("name", ["WGS84", "地方坐标系", "2000国家大地坐标系(西安80)", "1990坐标系"])
def test_unknown_or_contradictory_datum_is_refused_on_its_line(tmp_path, name):
    refused(tmp_path, HEADER.replace("坐标系=2000国家大地坐标系", f"坐标系={name}") + RECT, 5, "is not recognised")


def test_datum_table_is_documented_keys_only():
    # the table maps normalised names, not raw spellings: no key holds filler words or spaces
    assert all(" " not in k and "坐标系" not in k and "年" not in k for k in DATUM_KEYS)
    assert datum_of("西安80坐标系") == datum_of("80") == DATUM_KEYS["80"]


# ------------------------------------------------------------------------------------------------
# 0 for "not given"


def test_zero_point_count_means_not_given(tmp_path):
    cf = read_text(tmp_path, HEADER + RECT.replace("5,0.5000", "0,0.5000", 1))
    p = cf.plots.iloc[0]
    assert p.declared_points is pd.NA
    assert p.area_m2 == pytest.approx(5000.0)


@pytest.mark.parametrize("zero", ["0", "0.0000", "0公顷"])
def test_zero_area_means_not_given(tmp_path, zero):
    cf = read_text(tmp_path, HEADER + RECT.replace("5,0.5000", f"5,{zero}", 1))
    p = cf.plots.iloc[0]
    assert np.isnan(p.stated_area_m2) and p.stated_area == zero
    assert len(cf.area_checks) == 0                     # not a 5000 m² disagreement


# ------------------------------------------------------------------------------------------------
# plot-line layouts


def test_provincial_line_with_township_and_village(tmp_path):
    line = "5,0.5000,331023001,城关村,331023001001GB00001,地块一,面,,工业用地,0601,@\n"
    cf = read_text(tmp_path, HEADER + line + POINTS)
    p = cf.plots.iloc[0]
    assert (p.township_code, p.village_name, p.plot_no, p.plot_name) == ("331023001", "城关村",
                                                                         "331023001001GB00001", "地块一")
    assert (p.shape_type, p.plot_use, p.land_class_code, p.plot_layout) == ("面", "工业用地", "0601", "报省")
    assert p.stated_area_m2 == pytest.approx(5000.0) and len(cf.area_checks) == 0


def test_provincial_line_with_township_first(tmp_path):
    line = "331023001001,城关村,5,0.5000,7,地块七,面,,工业用地,0601,@\n"
    p = read_text(tmp_path, HEADER + line + POINTS).plots.iloc[0]
    assert (p.township_code, p.village_name, p.plot_no, p.declared_points) == ("331023001001", "城关村", "7", 5)
    assert p.plot_layout == "报省(乡镇在前)"


@pytest.mark.parametrize("line", [
    "5,0.5000,1,地块一,面,,工业用地,0601,备注,@\n",                        # 9 fields
    "5,0.5000,1,地块一,面,,工业用地,0601,a,b,@\n",                         # 10 without 乡镇代码/村名
    "5,0.5000,3310,城关村,1,地块一,面,,工业用地,0601,@\n",                 # 10, code too short
    "5,0.5000,1,地块一,面,,工业用地,0601,a,b,c,@\n",                       # 11
    "5,0.5000,331023001,城关村,1,地块一,面,,工业用地,0601,土地整理,1,2,3,@\n",  # 14
])
def test_plot_line_of_no_known_layout_is_refused_not_shifted(tmp_path, line):
    refused(tmp_path, HEADER + line + POINTS, 13, "matches no known layout")


def test_layouts_table_is_consistent():
    assert len(LAYOUTS["部标"]) == 8 and len(LAYOUTS["土地整治"]) == 12
    assert {len(v) for k, v in LAYOUTS.items() if k.startswith("报省")} == {10}


# ------------------------------------------------------------------------------------------------
# extension sections


def test_extension_sections_are_kept_with_a_note(tmp_path):
    text = (HEADER.replace("[地块坐标]\n", "[扩展信息]\n项目名称=示范区\n备注=测试\n[地块坐标]\n") + RECT
            + "[ 其他 信息 ]\n任意=内容\n")
    cf = read_text(tmp_path, text)
    assert cf.plots.area_m2.iloc[0] == pytest.approx(5000.0)
    assert cf.extensions == {"扩展信息": ["项目名称=示范区", "备注=测试"], "其他信息": ["任意=内容"]}
    assert sum("扩展节" in w for w in cf.warnings) == 2


def test_extension_section_before_the_header_is_kept(tmp_path):
    cf = read_text(tmp_path, "[扩展信息]\n来源=外单位\n" + HEADER + RECT)
    assert cf.extensions["扩展信息"] == ["来源=外单位"] and len(cf.plots) == 1


# ------------------------------------------------------------------------------------------------
# numbers and 圈号


@pytest.mark.parametrize("ring", ["0", "-1", "1.5", "a", "", "１", "1_0"])
def test_ring_number_must_be_a_positive_whole_number(tmp_path, ring):
    refused(tmp_path, HEADER + PLOT + POINTS.replace("J1,1,", f"J1,{ring},", 1), 14,
            "圈号 must be a positive whole number")


@pytest.mark.parametrize("value", ["3224_050.000", "３２２４０５０.000", "٣٢٢٤٠٥٠.000", "3e\u0665"])
def test_python_only_numbers_in_coordinates_are_refused(tmp_path, value):
    refused(tmp_path, HEADER + PLOT + POINTS.replace("J3,1,3224050.000", f"J3,1,{value}"), 16,
            "X coordinate must be a number")


@pytest.mark.parametrize("count", ["1_0", "５", "٥"])
def test_python_only_numbers_in_the_point_count_are_refused(tmp_path, count):
    refused(tmp_path, HEADER + RECT.replace("5,0.5000", f"{count},0.5000", 1), 13, "界址点数 must be")


def test_python_only_numbers_in_the_area_are_not_read(tmp_path):
    cf = read_text(tmp_path, HEADER + RECT.replace("5,0.5000", "5,0_5000", 1))
    assert np.isnan(cf.plots.stated_area_m2.iloc[0]) and any("无法识别" in w for w in cf.warnings)


def test_full_width_zone_number_is_refused(tmp_path):
    refused(tmp_path, HEADER.replace("带号=40", "带号=４０") + RECT, 9, "带号 must be a zone number")


def test_full_width_dot_is_still_punctuation(tmp_path):
    cf = read_text(tmp_path, HEADER + RECT.replace("3224050.000", "3224050．000"))
    assert cf.plots.area_m2.iloc[0] == pytest.approx(5000.0)


# ------------------------------------------------------------------------------------------------
# size limit


def test_file_over_the_size_limit_is_refused(tmp_path):
    text = HEADER + RECT + "\n" * 200
    msg = refused(tmp_path, text, 1, "over the", max_bytes=100)
    assert "MB" in msg
    path = write(tmp_path, text, "ok.txt")
    assert len(read_coords(path, max_bytes=None).plots) == 1


def test_size_limit_in_a_folder_lists_the_file(tmp_path):
    write(tmp_path, HEADER + RECT, "a.txt")
    write(tmp_path, HEADER + RECT.replace("3224", "3226") + " " * 5000, "big.txt")
    batch = read_coords_many([tmp_path], max_bytes=2000)
    assert len(batch.plots) == 1
    assert [p.name for p, _ in batch.failures] == ["big.txt"] and "limit" in batch.failures[0][1]


# ------------------------------------------------------------------------------------------------
# import -> export -> import is lossless


def _records(path: Path):
    """(plot-line fields, point-line fields) of a file: text fields stripped, coordinates as floats."""
    text, _ = decode_coords_bytes(path.read_bytes(), path)
    body = text.split("[地块坐标]", 1)[1].split("\n[", 1)[0]
    plots, points = [], []
    for line in body.split("\n"):
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split(",")]
        if "@" in fields:
            plots.append(fields[:fields.index("@")])
        else:
            points.append((fields[0], fields[1], float(fields[2]), float(fields[3])))
    return plots, points


def _pad(plots):
    n = max(len(p) for p in plots)
    return [p + [""] * (n - len(p)) for p in plots]


@pytest.mark.parametrize("name", FIXTURES)
@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_fixture_round_trip_is_lossless(tmp_path, name, encoding):
    cf = read_coords(DATA / name)
    (out,) = write_coords(cf.plots, tmp_path / name, header=cf.header, encoding=encoding)
    back = read_coords(out)
    cols = [c for c in cf.plots.columns if c not in ("geometry", "source_file", "source_line", "parcel_id")]
    pd.testing.assert_frame_equal(back.plots[cols], cf.plots[cols])
    plots_in, points_in = _records(DATA / name)
    plots_out, points_out = _records(out)
    assert _pad(plots_out) == _pad(plots_in)            # every plot-line field as written
    assert points_out == points_in                      # labels, 圈号 and coordinates, point by point


@pytest.mark.parametrize("stated, unit", [("5000.00", "平方米"), ("", ""), ("0", ""), ("0.7655公顷", "公顷"),
                                          ("7.50亩", "亩")])
def test_stated_area_is_written_as_read(tmp_path, stated, unit):
    cf = read_text(tmp_path, HEADER + RECT.replace("5,0.5000", f"5,{stated}", 1))
    (out,) = write_coords(cf.plots, tmp_path / "out.txt")
    back = read_coords(out)
    assert back.plots.stated_area.iloc[0] == stated
    assert back.plots.stated_area_unit.iloc[0] == unit
    assert len(back.area_checks) == len(cf.area_checks)       # a wrong declaration stays wrong


def test_labels_direction_and_count_are_written_as_read(tmp_path):
    # counter-clockwise ring starting at the north-east corner, labels of a producer's own, a count
    # without the closing point and a closing point with a new label
    points = ("A7,1,3224050.000,40503100.000\nA8,1,3224050.000,40503000.000\nA9,1,3224000.000,40503000.000\n"
              "A10,1,3224000.000,40503100.000\nA11,1,3224050.000,40503100.000\n")
    src = write(tmp_path, HEADER + "4,0.5000,1,地块一,面,,工业用地,0601,@\n" + points, "src.txt")
    cf = read_coords(src)
    (out,) = write_coords(cf.plots, tmp_path / "out.txt")
    assert _records(out) == _records(src)
    back = read_coords(out).plots.iloc[0]
    assert (back.point_labels, back.closing_labels, back.declared_points) == ("A7,A8,A9,A10", "A11", 4)


def test_changed_geometry_gets_fresh_labels(tmp_path):
    cf = read_text(tmp_path, HEADER + RECT.replace("J", "K"))
    gdf = cf.plots.copy()
    # a fifth corner: the four labels read no longer fit the ring
    gdf.loc[0, "geometry"] = shapely.Polygon([(40503000, 3224000), (40503100, 3224000), (40503100, 3224050),
                                              (40503050, 3224080), (40503000, 3224050)])
    (out,) = write_coords(gdf, tmp_path / "out.txt")
    back = read_coords(out).plots.iloc[0]
    assert back.point_labels == "J1,J2,J3,J4,J5"
    assert len(read_coords(out).area_checks) == 1        # the stated 0.5 公顷 no longer fits: reported


def test_provincial_and_land_consolidation_layouts_round_trip(tmp_path):
    prov = "5,0.5000,331023001,城关村,1,地块一,面,,工业用地,0601,@\n"
    tdzz = "5,0.5000,2,地块二,面,,耕地,0103,土地整理,0.5000,,示范,@\n"
    text = HEADER + prov + POINTS + tdzz + POINTS.replace("3224", "3226")
    src = write(tmp_path, text, "src.txt")
    (out,) = write_coords(read_coords(src).plots, tmp_path / "out.txt")
    assert _records(out) == _records(src)


def test_extensions_and_project_survive_when_passed_back(tmp_path):
    text = "[项目信息]\n项目名称=示范区\n" + HEADER.replace("[地块坐标]\n", "[扩展信息]\n备注=测试\n[地块坐标]\n") + RECT
    cf = read_text(tmp_path, text)
    (out,) = write_coords(cf.plots, tmp_path / "out.txt", header=cf.header, project=cf.project,
                          extensions=cf.extensions)
    back = read_coords(out)
    assert back.project == cf.project and back.extensions == cf.extensions


def test_coordinates_to_the_millimetre_unless_read_with_more(tmp_path):
    fine = read_text(tmp_path, HEADER + RECT.replace("J3,1,3224050.000,40503100.000",
                                                     "J3,1,3224050.0004,40503100.0006"))
    (out,) = write_coords(fine.plots, tmp_path / "fine.txt")
    assert "J3,1,3224050.0004,40503100.0006" in out.read_text(encoding="gbk")
    gis = fine.plots.drop(columns=["point_labels", "closing_labels"])      # a polygon, not a file's points
    (out,) = write_coords(gis, tmp_path / "gis.txt")
    assert "3224050.000,40503100.001" in out.read_text(encoding="gbk")
