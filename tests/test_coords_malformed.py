"""Malformed 界址点坐标交换格式 files: each gives an InputError naming the file, the line and what
was expected — never a traceback from deep inside numpy or shapely."""

from __future__ import annotations

import pytest

from geo_tenglong.errors import InputError
from geo_tenglong.io.coords import read_coords, read_coords_folder

HEADER = ("[属性描述]\n格式版本号=1.01版本\n数据产生单位=天台县自然资源和规划局\n数据产生日期=2023-6-30\n"
          "坐标系=2000国家大地坐标系\n几度分带=3\n投影类型=高斯克吕格\n计量单位=米\n带号=40\n精度=0.001\n"
          "转换参数=,,,,,,\n[地块坐标]\n")          # 12 lines: the plot line is line 13
PLOT = "5,0.5000,1,地块一,面,,工业用地,0601,@\n"
P1 = "J1,1,3224000.000,40503000.000\n"
P2 = "J2,1,3224000.000,40503100.000\n"
P3 = "J3,1,3224050.000,40503100.000\n"
P4 = "J4,1,3224050.000,40503000.000\n"
RECT = PLOT + P1 + P2 + P3 + P4 + P1      # lines 13-18


def h(**repl) -> str:
    text = HEADER
    for k, v in repl.items():
        text = text.replace(f"{k}=", f"{k}={v}", 1) if k != "带号" else text.replace("带号=40", f"带号={v}")
    return text


# (id, content, line the error must name, phrase the message must hold)
CASES = [
    ("empty", b"", 1, "empty"),
    ("whitespace-only", b"  \r\n\r\n \n", 1, "empty"),
    ("binary-png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", 3, "binary"),
    ("undecodable-bytes", b"[\xca\xf4\xd0\xd4\xc3\xe8\xca\xf6]\n\xff\xfe\xff\xfe\xff\n", 2, "cannot decode"),
    ("not-this-format", "id,name,x,y\n1,a,2,3\n", 1, "expected the section header [属性描述]"),
    ("unknown-section", HEADER.replace("[地块坐标]", "[坐标]") + RECT, 12, "unknown section"),
    ("header-line-without-equals", HEADER.replace("计量单位=米", "计量单位 米") + RECT, 8, "expected key=value"),
    ("no-plot-section", HEADER.replace("[地块坐标]\n", ""), 12, "no [地块坐标] section"),
    ("plot-section-empty", HEADER + "\n\n", 12, "holds no plot"),
    ("points-before-plot-line", HEADER + P1 + P2 + P3 + P1, 13, "expected a plot line"),
    ("missing-at-first-plot", HEADER + PLOT.replace(",@", ",") + P1 + P2 + P3 + P4 + P1, 13, "expected a plot line"),
    ("missing-at-second-plot", HEADER + RECT + PLOT.replace(",@", "") + P1 + P2 + P3 + P4 + P1, 19,
     "without '@'"),
    ("at-not-last", HEADER + PLOT.replace(",@", ",@,x") + P1 + P2 + P3 + P4 + P1, 13, "'@'"),
    ("plot-line-without-points", HEADER + PLOT + RECT, 13, "followed by no point line"),
    ("count-not-a-number", HEADER + RECT.replace("5,0.5000", "五,0.5000"), 13, "界址点数 must be a positive whole"),
    ("count-too-high", HEADER + RECT.replace("5,0.5000", "9,0.5000"), 13, "界址点数 is 9 but 5 point lines"),
    ("truncated-file", HEADER + PLOT + P1 + P2 + P3, 13, "界址点数 is 5 but 3 point lines"),
    ("truncated-point-line", HEADER + PLOT + P1 + P2 + P3 + P4 + "J5,1,3224000.0", 18, "4 fields"),
    ("x-not-a-number", HEADER + RECT.replace("J3,1,3224050.000", "J3,1,3224O50.000"), 16,
     "X coordinate must be a number"),
    ("y-not-a-number", HEADER + RECT.replace("J2,1,3224000.000,40503100.000", "J2,1,3224000.000,"), 15,
     "Y coordinate must be a number"),
    ("coordinate-nan", HEADER + RECT.replace("J2,1,3224000.000", "J2,1,nan"), 15, "finite"),
    ("x-y-swapped", HEADER + PLOT + "".join(f"{p.split(',')[0]},1,{p.split(',')[3].strip()},{p.split(',')[2]}\n"
                                            for p in (P1, P2, P3, P4, P1)), 14, "X is the northing"),
    ("x-outside-china", HEADER + RECT.replace("J3,1,3224050.000", "J3,1,9224050.000"), 16, "outside China"),
    ("y-no-easting", HEADER + RECT.replace("40503100.000", "40003100.000"), 15, "no Gauss-Krüger easting"),
    ("self-intersecting-ring", HEADER + PLOT + P1 + P2 + P4 + P3 + P1, 15, "crosses itself"),
    ("duplicate-point", HEADER + PLOT.replace("5,", "6,") + P1 + P2 + P2.replace("J2", "J3") + P3 + P4 + P1, 16,
     "duplicate point"),
    ("ring-of-two-points", HEADER + PLOT.replace("5,", "3,") + P1 + P2 + P1, 14, "at least 3"),
    ("closing-label-moved", HEADER + PLOT + P1 + P2 + P3 + P4 + "J1,1,3224000.500,40503000.000\n", 18,
     "repeats the label"),
    ("overlapping-parts", HEADER + PLOT.replace("5,", "10,") + P1 + P2 + P3 + P4 + P1
     + "".join(ln.replace(",1,", ",2,").replace("3224000", "3224020").replace("3224050", "3224070")
               for ln in (P1, P2, P3, P4, P1)), 17, "rings 1 and 2 cross or overlap"),
    ("duplicate-ring", HEADER + PLOT.replace("5,", "10,") + P1 + P2 + P3 + P4 + P1
     + (P1 + P2 + P3 + P4 + P1).replace(",1,", ",2,"), 19, "repeats ring 1"),
    ("zone-mismatch", h(带号="39") + RECT, 9, "带号 39 disagrees with the zone prefix 40"),
    ("zone-unknown", h(带号="") + RECT.replace("40503", "503"), 9, "zone is unknown"),
    ("zone-not-a-number", h(带号="四十") + RECT, 9, "带号 must be a zone number"),
    ("mixed-prefixes", HEADER + RECT.replace("J3,1,3224050.000,40503100.000", "J3,1,3224050.000,41503100.000"),
     16, "different zone prefixes"),
    ("width-not-3-or-6", HEADER.replace("几度分带=3", "几度分带=5") + RECT, 6, "几度分带 must be 3 or 6"),
    ("width-6-with-3-degree-zone", HEADER.replace("几度分带=3", "几度分带=6") + RECT, 9, "outside China's range"),
    ("unknown-datum", HEADER.replace("2000国家大地坐标系", "WGS84") + RECT, 5, "坐标系 'WGS84' is not recognised"),
    ("utf16-odd-byte-count", b"\xff\xfe" + (HEADER + RECT).encode("utf-16-le") + b"\x00", 19, "cannot decode"),
]


@pytest.mark.parametrize("content, line, phrase", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_file_names_file_line_and_expectation(tmp_path, content, line, phrase):
    path = tmp_path / "红线坐标.txt"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("gbk"))
    with pytest.raises(InputError) as info:
        read_coords(path)
    err = info.value
    msg = str(err)
    assert err.path == path, msg
    assert err.where == f"line {line}", msg
    assert msg.startswith(f"{path}, line {line}: "), msg
    assert phrase in msg, msg
    assert "\n" not in msg                     # one line for the CLI


def test_at_least_twenty_malformed_cases():
    assert len(CASES) >= 20


def test_folder_import_lists_every_malformed_file(tmp_path):
    good = HEADER + RECT
    (tmp_path / "good.txt").write_bytes(good.encode("gbk"))
    for name, content, *_ in CASES:
        (tmp_path / f"{name}.txt").write_bytes(content if isinstance(content, bytes) else content.encode("gbk"))
    gdf, failures = read_coords_folder(tmp_path)
    assert len(gdf) == 1
    assert sorted(p.stem for p, _ in failures) == sorted(c[0] for c in CASES)
    for path, reason in failures:
        assert reason.startswith(f"{path}, line "), reason
