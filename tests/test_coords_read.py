"""Reader of the 界址点坐标交换格式: real files (vendored in tests/data/jzd) and every quirk
real producers write, each built here byte by byte."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely

from geo_tenglong.analysis.corner_files import area_findings
from geo_tenglong.errors import InputError
from geo_tenglong.io.coords import read_coords, read_coords_folder, read_coords_many

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data" / "jzd"

HEADER = ("[属性描述]\n格式版本号=1.01版本\n数据产生单位=天台县自然资源和规划局\n数据产生日期=2023-6-30\n"
          "坐标系=2000国家大地坐标系\n几度分带=3\n投影类型=高斯克吕格\n计量单位=米\n带号=40\n精度=0.001\n"
          "转换参数=,,,,,,\n[地块坐标]\n")
# a 100 m x 50 m rectangle in zone 40 (X north, Y east): 5000 m² = 0.5 公顷
RECT = ("5,0.5000,1,地块一,面,,工业用地,0601,@\n"
        "J1,1,3224000.000,40503000.000\nJ2,1,3224000.000,40503100.000\nJ3,1,3224050.000,40503100.000\n"
        "J4,1,3224050.000,40503000.000\nJ1,1,3224000.000,40503000.000\n")


def write(tmp_path, data: bytes | str, name="jzd.txt") -> Path:
    p = tmp_path / name
    p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return p


def read_text(tmp_path, text: str, name="jzd.txt"):
    return read_coords(write(tmp_path, text, name))


# ------------------------------------------------------------------------------------------------
# real files (tests/data/jzd, vendored from the shared fixtures)

#: (file, plot index) -> computed area in m² as tests/data/jzd/README.md states it.
SHARED_AREAS = {
    ("windr07-sampledata-gbk-crlf.txt", 0): 109.432, ("windr07-sampledata-gbk-crlf.txt", 1): 14969.687,
    ("windr07-sampledata-gbk-crlf.txt", 2): 459.722, ("windr07-sampledata-gbk-crlf.txt", 3): 989.264,
    ("windr07-sampledata-gbk-crlf.txt", 4): 165.193, ("hangzhou-zone40-v101.txt", 0): 57089.50,
    ("edcfoshan-44120000319.txt", 0): 103262.23,
}
SHARED_EPSG = {"windr07-sampledata-gbk-crlf.txt": 4525, "hangzhou-zone40-v101.txt": 4528,
               "edcfoshan-44120000105.txt": 4526, "edcfoshan-44120000319.txt": 4526,
               "edcfoshan-44120002411.txt": 4526, "edcfoshan-broken-output-000.txt": 4526}


def shared_files():
    return sorted(SHARED_EPSG)


@pytest.fixture
def shared_dir():
    return DATA


@pytest.mark.parametrize("name", shared_files())
def test_every_shared_file_reads(shared_dir, name):
    cf = read_coords(shared_dir / name)
    assert len(cf.plots) >= 1
    assert cf.crs.to_epsg() == SHARED_EPSG[name]
    assert shapely.is_valid(cf.plots.geometry.to_numpy()).all()
    assert len(cf.area_checks) == 0           # their stated areas agree within precision


@pytest.mark.parametrize("key", sorted(SHARED_AREAS), ids=lambda k: f"{k[0]}#{k[1] + 1}")
def test_shared_areas_match_readme(shared_dir, key):
    name, k = key
    cf = read_coords(shared_dir / name)
    # README rounds to 0.001 m² (0.01 for the last two): agree to 0.01 m²
    assert cf.plots.area_m2.iloc[k] == pytest.approx(SHARED_AREAS[key], abs=0.01)


def test_windr07_structure(shared_dir):
    cf = read_coords(shared_dir / "windr07-sampledata-gbk-crlf.txt")
    assert cf.encoding == "gbk"
    p = cf.plots
    assert p.geom_type.tolist() == ["Polygon", "Polygon", "Polygon", "MultiPolygon", "MultiPolygon"]
    assert len(p.geometry.iloc[2].interiors) == 1                  # plot 3 has a hole
    g4 = p.geometry.iloc[3]                                        # 6 rings: parts, a hole, 2 islands
    assert len(g4.geoms) == 5 and sum(len(q.interiors) for q in g4.geoms) == 1
    assert len(p.geometry.iloc[4].geoms) == 2                      # plot 5 two parts
    # stated areas in m² recognised as m²
    assert p.stated_area_unit.tolist() == ["平方米"] * 5
    assert p.n_rings.tolist() == [1, 1, 2, 6, 2]


def test_hangzhou_and_edcfoshan_units(shared_dir):
    hz = read_coords(shared_dir / "hangzhou-zone40-v101.txt")
    assert hz.header["格式版本号"] == "1.01版本"
    assert hz.plots.stated_area_unit.iloc[0] == "公顷"
    assert hz.plots.point_labels.iloc[0].split(",")[:2] == ["J01", "J02"]
    ed = read_coords(shared_dir / "edcfoshan-44120000319.txt")
    assert ed.plots.stated_area_m2.iloc[0] == pytest.approx(103262.0)
    broken = read_coords(shared_dir / "edcfoshan-broken-output-000.txt")
    assert broken.plots.sheet_no.iloc[0] == ""                     # blank fields holding spaces
    assert np.isnan(broken.plots.stated_area_m2.iloc[0])


def test_shared_folder_import(shared_dir):
    gdf, failures = read_coords_folder([shared_dir / n for n in shared_files()])
    assert failures == []
    assert len(gdf) == 10 and gdf.parcel_id.is_unique


# ------------------------------------------------------------------------------------------------
# encodings and line ends


def test_gbk_crlf_file_with_hole_and_parts():
    cf = read_coords(DATA / "tiantai-gbk-crlf-hole.txt")
    assert cf.encoding == "gbk"
    assert cf.crs.to_epsg() == 4528
    p = cf.plots
    assert p.parcel_id.tolist() == ["331023001001GB00001", "331023001001GB00002"]
    assert p.plot_name.tolist() == ["天台县工业地块一", "天台县工业地块二"]
    assert p.geom_type.tolist() == ["Polygon", "MultiPolygon"]
    assert p.area_m2.tolist() == pytest.approx([30000.0, 32500.0])
    assert cf.header["数据产生单位"] == "天台县自然资源和规划局"


def test_utf16le_file_same_as_gbk():
    a = read_coords(DATA / "tiantai-gbk-crlf-hole.txt").plots
    b = read_coords(DATA / "tiantai-utf16le.txt").plots
    assert shapely.equals(a.geometry.to_numpy(), b.geometry.to_numpy()).all()
    assert a.plot_name.tolist() == b.plot_name.tolist()


@pytest.mark.parametrize("encoding, prefix", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gbk", b""),
                                              ("utf-16-le", b"\xff\xfe"), ("utf-16-le", b""),
                                              ("utf-16-be", b"\xfe\xff")])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_encodings_and_line_ends(tmp_path, encoding, prefix, newline):
    text = (HEADER + RECT).replace("\n", newline)
    cf = read_coords(write(tmp_path, prefix + text.encode(encoding)))
    assert cf.plots.plot_name.iloc[0] == "地块一"
    assert cf.plots.area_m2.iloc[0] == pytest.approx(5000.0)
    assert cf.header["坐标系"] == "2000国家大地坐标系"


def test_stray_cr_and_no_final_newline(tmp_path):
    text = (HEADER + RECT).replace("\n", "\r\n")
    text = text.replace("J2,1,3224000.000,40503100.000\r\n", "J2,1,3224000.000,40503100.000\r")  # a lone CR
    text = text.rstrip("\r\n") + "\r"                                                         # ends in bare CR
    cf = read_coords(write(tmp_path, text.encode("gbk")))
    assert cf.plots.area_m2.iloc[0] == pytest.approx(5000.0)
    cf = read_text(tmp_path, (HEADER + RECT).rstrip("\n"), "nofinal.txt")
    assert cf.plots.area_m2.iloc[0] == pytest.approx(5000.0)


def test_full_width_punctuation(tmp_path):
    text = HEADER.replace("1.01版本", "1．01版本") + RECT.replace(",", "，").replace(".000", "．000")
    cf = read_text(tmp_path, text)
    assert cf.header["格式版本号"] == "1.01版本"
    assert cf.plots.area_m2.iloc[0] == pytest.approx(5000.0)
    assert cf.plots.plot_use.iloc[0] == "工业用地"


def test_full_width_comma_inside_a_name_is_kept(tmp_path):
    cf = read_text(tmp_path, HEADER + RECT.replace("地块一", "地块一，东区"))
    assert cf.plots.plot_name.iloc[0] == "地块一，东区"
    assert cf.plots.plot_use.iloc[0] == "工业用地"


def test_blank_fields_holding_spaces(tmp_path):
    text = HEADER + RECT.replace("5,0.5000,1,地块一,面,,工业用地,0601,@", "5 , 0.5000 ,1,  地块一 ,面,  , , ,@ ")
    cf = read_text(tmp_path, text)
    p = cf.plots.iloc[0]
    assert (p.plot_name, p.sheet_no, p.plot_use, p.land_class_code) == ("地块一", "", "", "")
    assert p.stated_area_m2 == pytest.approx(5000.0)


# ------------------------------------------------------------------------------------------------
# labels, rings, counts


def test_labels_restart_per_ring_and_hole_by_containment(tmp_path):
    # the hole comes first (圈号 1) and winds the same way as the outline: containment decides
    text = HEADER + """10,0.3000,1,,面,,,,@
J1,1,3224050.000,40503050.000
J2,1,3224050.000,40503150.000
J3,1,3224150.000,40503150.000
J4,1,3224150.000,40503050.000
J1,1,3224050.000,40503050.000
J1,2,3224000.000,40503000.000
J2,2,3224000.000,40503200.000
J3,2,3224200.000,40503200.000
J4,2,3224200.000,40503000.000
J1,2,3224000.000,40503000.000
"""
    g = read_text(tmp_path, text).plots.geometry.iloc[0]
    assert g.geom_type == "Polygon" and len(g.interiors) == 1
    assert g.area == pytest.approx(30000.0)


def test_island_inside_hole_is_a_part(tmp_path):
    text = HEADER + """15,3.1600,1,,面,,,,@
J1,1,3224000.000,40503000.000
J2,1,3224000.000,40503200.000
J3,1,3224200.000,40503200.000
J4,1,3224200.000,40503000.000
J5,1,3224000.000,40503000.000
J6,2,3224050.000,40503050.000
J7,2,3224050.000,40503150.000
J8,2,3224150.000,40503150.000
J9,2,3224150.000,40503050.000
J10,2,3224050.000,40503050.000
J11,3,3224080.000,40503080.000
J12,3,3224080.000,40503120.000
J13,3,3224120.000,40503120.000
J14,3,3224120.000,40503080.000
J15,3,3224080.000,40503080.000
"""
    cf = read_text(tmp_path, text)
    g = cf.plots.geometry.iloc[0]
    assert g.geom_type == "MultiPolygon" and len(g.geoms) == 2
    assert g.area == pytest.approx(40000 - 10000 + 1600)
    assert len(cf.area_checks) == 0


def test_rings_with_one_ring_number_split_on_closure(tmp_path):
    # two parts both written with 圈号 1: each closes on its first point, the next starts a new ring
    text = HEADER + """10,0.0200,1,,面,,,,@
J1,1,3224000.000,40503000.000
J2,1,3224000.000,40503100.000
J3,1,3224100.000,40503100.000
J4,1,3224100.000,40503000.000
J1,1,3224000.000,40503000.000
J5,1,3224300.000,40503000.000
J6,1,3224300.000,40503100.000
J7,1,3224400.000,40503100.000
J8,1,3224400.000,40503000.000
J5,1,3224300.000,40503000.000
"""
    g = read_text(tmp_path, text).plots.geometry.iloc[0]
    assert g.geom_type == "MultiPolygon" and g.area == pytest.approx(20000.0)


def test_closing_on_a_new_label(tmp_path):
    text = HEADER + RECT.replace("J1,1,3224000.000,40503000.000\n", "J5,1,3224000.000,40503000.000\n")
    text = text.replace("J5,1", "J1,1", 1)
    cf = read_text(tmp_path, text)
    assert cf.plots.point_labels.iloc[0] == "J1,J2,J3,J4"
    assert cf.plots.area_m2.iloc[0] == pytest.approx(5000.0)


def test_unclosed_ring_and_count_without_closing_point(tmp_path):
    text = HEADER + RECT.replace("J1,1,3224000.000,40503000.000\n", "", 2)
    text = text.replace("5,0.5000", "4,0.5000")
    text = text.replace("J2,1", "J1,1,3224000.000,40503000.000\nJ2,1", 1)
    cf = read_text(tmp_path, text)
    assert cf.plots.area_m2.iloc[0] == pytest.approx(5000.0)
    assert any("未闭合" in w for w in cf.warnings)


def test_count_leaving_out_the_closing_point(tmp_path):
    cf = read_text(tmp_path, HEADER + RECT.replace("5,0.5000", "4,0.5000"))
    assert cf.plots.declared_points.iloc[0] == 4
    assert cf.plots.area_m2.iloc[0] == pytest.approx(5000.0)


def test_several_plots(tmp_path):
    second = RECT.replace(",1,地块一", ",2,地块二").replace("3224", "3226")
    cf = read_text(tmp_path, HEADER + RECT + second)
    assert cf.plots.parcel_id.tolist() == ["1", "2"]
    assert cf.plots.source_line.tolist() == [13, 19]


def test_blank_plot_numbers_get_file_based_ids(tmp_path):
    text = HEADER + RECT.replace(",1,地块一", ",,地块一") + RECT.replace(",1,地块一", ",,地块二").replace("3224", "3226")
    cf = read_text(tmp_path, text, "红线.txt")
    assert cf.plots.parcel_id.tolist() == ["红线-1", "红线-2"]


# ------------------------------------------------------------------------------------------------
# header variants


def test_project_info_section(tmp_path):
    text = "[项目信息]\n项目名称=天台县腾笼换鸟示范区\n项目代码=2023-331023-01\n" + HEADER + RECT
    cf = read_text(tmp_path, text)
    assert cf.project == {"项目名称": "天台县腾笼换鸟示范区", "项目代码": "2023-331023-01"}
    assert cf.plots.area_m2.iloc[0] == pytest.approx(5000.0)


def test_thirteen_field_plot_line(tmp_path):
    # 土地整治 files carry extra fields after 地类编码 (e.g. 项目类型, 建设规模, 新增耕地, 备注)
    text = HEADER + RECT.replace("0601,@", "0601,土地整理,0.5000,0.1200,示范,@")
    p = read_text(tmp_path, text).plots.iloc[0]
    assert p.land_class_code == "0601"
    assert p.extra_fields == "土地整理,0.5000,0.1200,示范"


def test_extra_header_keys_are_kept(tmp_path):
    text = HEADER.replace("转换参数=,,,,,,\n", "转换参数=,,,,,,\n项目类型=土地整治\n高程基准=1985国家高程基准\n") + RECT
    cf = read_text(tmp_path, text)
    assert cf.header["项目类型"] == "土地整治" and cf.header["高程基准"] == "1985国家高程基准"


def test_seven_key_header_without_version(tmp_path):
    text = ("[属性描述]\n坐标系=2000国家大地坐标系\n几度分带=3\n投影类型=高斯克吕格\n计量单位=米\n带号=40\n精度=0.001\n"
            "转换参数=,,,,,,\n[地块坐标]\n" + RECT)
    assert read_text(tmp_path, text).crs.to_epsg() == 4528


# ------------------------------------------------------------------------------------------------
# areas


@pytest.mark.parametrize("stated, unit, m2", [("0.5000", "公顷", 5000.0), ("5000.00", "平方米", 5000.0),
                                              ("0.5000公顷", "公顷", 5000.0), ("5000平方米", "平方米", 5000.0),
                                              ("7.5亩", "亩", 5000.0), ("0.5ha", "公顷", 5000.0)])
def test_stated_area_units(tmp_path, stated, unit, m2):
    cf = read_text(tmp_path, HEADER + RECT.replace("0.5000", stated, 1))
    p = cf.plots.iloc[0]
    assert p.stated_area_unit == unit
    assert p.stated_area_m2 == pytest.approx(m2)
    assert len(cf.area_checks) == 0


def test_area_disagreement_is_a_warning_finding(tmp_path):
    cf = read_text(tmp_path, HEADER + RECT.replace("0.5000", "0.7655公顷", 1))
    assert len(cf.area_checks) == 1
    check = cf.area_checks.iloc[0]
    assert (check.parcel_id, check.source_line) == ("1", 13)
    assert "rule_id" not in cf.area_checks.columns            # io knows no rule; the stage does
    f = area_findings(cf.area_checks)
    row = f.iloc[0]
    assert (row.parcel_id, row.rule_id, row.clause, row.status, row.unit) == ("1", "TT-CORNER-PTS", "四(三)",
                                                                             "warn", "m²")
    assert row.value == pytest.approx(2655.0)
    assert row.value > row.threshold
    assert "0.7655公顷" in row.message and "5000.00平方米" in row.message


def test_area_within_rounding_is_no_finding(tmp_path):
    # 5000.40 m² written to 4 decimals of 公顷 is 0.5000: one unit of the last digit is tolerated
    text = HEADER + RECT.replace("3224050.000,40503100.000", "3224050.008,40503100.000")
    cf = read_text(tmp_path, text)
    assert cf.plots.area_m2.iloc[0] == pytest.approx(5000.4)
    assert len(cf.area_checks) == 0


def test_unreadable_area_is_a_warning_not_a_crash(tmp_path):
    cf = read_text(tmp_path, HEADER + RECT.replace("0.5000", "DKMC", 1))
    assert np.isnan(cf.plots.stated_area_m2.iloc[0])
    assert any("无法识别" in w for w in cf.warnings)


# ------------------------------------------------------------------------------------------------
# CRS


def _zone_text(datum="2000国家大地坐标系", width="3", zone="40", y_prefix="40", north="3224", y_local="503"):
    head = (HEADER.replace("坐标系=2000国家大地坐标系", f"坐标系={datum}").replace("几度分带=3", f"几度分带={width}")
            .replace("带号=40", f"带号={zone}"))
    return head + RECT.replace("40503", f"{y_prefix}{y_local}").replace("3224", north)


@pytest.mark.parametrize("kwargs, epsg", [
    ({}, 4528),                                                   # CGCS2000 3° zone 40 with prefix
    ({"y_prefix": ""}, 4549),                                     # without prefix: CM 120°E
    ({"zone": ""}, 4528),                                         # blank 带号, zone from the prefix
    ({"width": "6", "zone": "20", "y_prefix": "20"}, 4498),       # 6° zone 20 with prefix
    ({"width": "6", "zone": "20", "y_prefix": ""}, 4509),         # 6° zone 20 without prefix (CM 117°E)
    ({"width": "", "zone": "", "y_prefix": "20"}, 4498),          # width from the zone number
    ({"datum": "1980西安坐标系"}, 2364),                          # Xian80 3° zone 40
    ({"datum": "80"}, 2364),
    ({"datum": "西安80", "y_prefix": ""}, 2385),                  # Xian80 3° CM 120°E
    ({"datum": "1954北京坐标系"}, 2416),                          # Beijing54 3° zone 40
    ({"datum": "54", "width": "6", "zone": "20", "y_prefix": "20"}, 21420),
    ({"datum": "2000国家大地坐标系(CGCS2000)"}, 4528),
])
def test_crs_from_header_and_prefix(tmp_path, kwargs, epsg):
    cf = read_text(tmp_path, _zone_text(**kwargs))
    assert cf.crs.to_epsg() == epsg
    assert cf.plots.area_m2.iloc[0] == pytest.approx(5000.0)


def test_other_datums_are_kept_and_reported(tmp_path):
    cf = read_text(tmp_path, _zone_text(datum="1980西安坐标系"))
    assert cf.plots.geometry.iloc[0].bounds[0] == 40503000.0      # coordinates untouched
    assert any("非2000" in w for w in cf.warnings)


def test_blank_zone_is_reported(tmp_path):
    cf = read_text(tmp_path, _zone_text(zone=""))
    assert any("带号为空" in w for w in cf.warnings)


# ------------------------------------------------------------------------------------------------
# folders


def test_folder_import_keeps_good_files_and_lists_bad(tmp_path):
    write(tmp_path, HEADER + RECT, "a.txt")
    write(tmp_path, HEADER + RECT.replace("3224", "3226"), "b.txt")
    write(tmp_path, HEADER + RECT.replace("J3,1,3224050.000", "J3,1,abc"), "bad.txt")
    (tmp_path / "notes.md").write_text("not a coordinate file")
    gdf, failures = read_coords_folder(tmp_path)
    assert len(gdf) == 2 and gdf.crs.to_epsg() == 4528
    assert [p.name for p, _ in failures] == ["bad.txt"]
    assert "bad.txt, line 16" in failures[0][1] and "must be a number" in failures[0][1]
    # plot number 1 in both files: ids made unique with the file name
    assert sorted(gdf.parcel_id) == ["a-1", "b-1"]


def test_folder_import_other_datum_fails_other_zone_reprojects(tmp_path):
    write(tmp_path, _zone_text(), "a.txt")
    write(tmp_path, _zone_text(north="3226"), "b.txt")
    write(tmp_path, _zone_text(datum="1980西安坐标系"), "xian.txt")
    write(tmp_path, _zone_text(zone="", y_prefix="").replace("带号=", "带号=40"), "noprefix.txt")
    batch = read_coords_many([tmp_path])
    assert batch.plots.crs.to_epsg() == 4528
    assert len(batch.plots) == 3
    assert [p.name for p, _ in batch.failures] == ["xian.txt"]
    assert "datum" in batch.failures[0][1]
    # the unprefixed file was reprojected onto the prefixed zone: same place, prefix added
    row = batch.plots[batch.plots.source_file.str.endswith("noprefix.txt")].iloc[0]
    assert row.geometry.bounds[0] == pytest.approx(40503000.0, abs=1e-6)
    assert any("投影变换" in w for w in batch.warnings)


def test_folder_findings_follow_renamed_ids(tmp_path):
    write(tmp_path, HEADER + RECT, "a.txt")
    write(tmp_path, HEADER + RECT.replace("0.5000", "0.9000", 1).replace("3224", "3226"), "b.txt")
    batch = read_coords_many([tmp_path])
    assert batch.area_checks.parcel_id.tolist() == ["b-1"]


def test_missing_path_is_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_coords_folder(tmp_path / "nope")
