"""``geo-tenglong coords`` import / export / table: exit codes, messages, files written."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from geo_tenglong.cli.coords import coords

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "jzd"
GOOD = DATA / "tiantai-gbk-crlf-hole.txt"


def run(*args):
    return CliRunner().invoke(coords, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "jzd"
    d.mkdir()
    (d / "a.txt").write_bytes(GOOD.read_bytes())
    (d / "b.txt").write_bytes((DATA / "tiantai-utf16le.txt").read_bytes().decode("utf-16")
                              .replace("GB0000", "GB9000").replace("3224", "3234").encode("utf-16"))
    return d


def test_help_names_the_chinese_terms():
    res = run("--help")
    assert res.exit_code == 0
    assert "界址点坐标交换格式" in res.output and "界址点成果表" in res.output
    for cmd in ("import", "export", "table"):
        assert run(cmd, "--help").exit_code == 0


def test_import_folder_ok(folder, tmp_path):
    out = tmp_path / "parcels.gpkg"
    res = run("import", folder, "-o", out)
    assert res.exit_code == 0, res.output
    gdf = gpd.read_file(out, layer="parcels")
    assert len(gdf) == 4 and gdf.crs.to_epsg() == 4528
    assert gdf.area.sum() == pytest.approx(2 * (30000 + 32500))


def test_import_keeps_other_layers_of_an_existing_gpkg(folder, tmp_path):
    out = tmp_path / "results.gpkg"
    other = gpd.GeoDataFrame({"road_id": [1]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4528)
    other.to_file(out, layer="roads", driver="GPKG")
    assert run("import", folder, "-o", out).exit_code == 0
    assert run("import", folder / "a.txt", "-o", out).exit_code == 0
    assert len(gpd.read_file(out, layer="roads")) == 1
    assert len(gpd.read_file(out, layer="parcels")) == 2


def test_import_some_bad_files_exit_1(folder, tmp_path):
    (folder / "bad.txt").write_text("[属性描述]\n坐标系=2000国家大地坐标系\n[地块坐标]\n3,1,x,@\n", encoding="utf-8")
    out = tmp_path / "parcels.gpkg"
    res = CliRunner().invoke(coords, ["import", str(folder), "-o", str(out)])
    assert res.exit_code == 1
    assert "bad.txt, line 4" in res.output          # the failure is listed (stderr is mixed in here)
    assert len(gpd.read_file(out, layer="parcels")) == 4


def test_import_bad_single_file_exit_2_one_line(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    res = CliRunner().invoke(coords, ["import", str(bad), "-o", str(tmp_path / "p.gpkg")])
    assert res.exit_code == 2
    last = res.output.strip().splitlines()[-1]
    assert last.startswith("geo-tenglong: error: ") and "bad.txt" in last
    assert not (tmp_path / "p.gpkg").exists()


def test_import_writes_findings_table(tmp_path):
    src = tmp_path / "w.txt"
    src.write_bytes(GOOD.read_bytes().replace(b"10,3.0000,", b"10,3.9000,"))
    out = tmp_path / "p.gpkg"
    res = run("import", src, "-o", out)
    assert res.exit_code == 0, res.output
    f = gpd.read_file(out, layer="parcels_findings")
    assert f.rule_id.tolist() == ["TT-CORNER-PTS"] and f.clause.tolist() == ["四(三)"] and f.status.tolist() == ["warn"]
    src.write_bytes(GOOD.read_bytes())                  # fixed: the next import leaves no stale finding
    assert run("import", src, "-o", out).exit_code == 0
    assert len(gpd.read_file(out, layer="parcels_findings")) == 0


def test_import_refuses_to_overwrite_an_input(tmp_path):
    src = tmp_path / "a.txt"
    src.write_bytes(GOOD.read_bytes())
    res = CliRunner().invoke(coords, ["import", str(src), "-o", str(src)])
    assert res.exit_code == 2 and "over an input" in res.output
    assert src.read_bytes() == GOOD.read_bytes()


def test_export_gpkg_to_folder_and_back(folder, tmp_path):
    gpkg = tmp_path / "parcels.gpkg"
    assert run("import", folder, "-o", gpkg).exit_code == 0
    out = tmp_path / "export"
    res = run("export", gpkg, "-o", out, "--producer", "天台县自然资源和规划局")
    assert res.exit_code == 0, res.output
    files = sorted(out.glob("*.txt"))
    assert len(files) == 4
    raw = files[0].read_bytes()
    assert b"\r\n" in raw and "数据产生单位=天台县自然资源和规划局" in raw.decode("gbk")
    back = gpd.read_file(gpkg, layer="parcels")
    res = run("import", out, "-o", tmp_path / "again.gpkg")
    again = gpd.read_file(tmp_path / "again.gpkg", layer="parcels")
    assert sorted(again.area.round(3)) == sorted(back.area.round(3))


def test_export_single_file_utf8_lf(folder, tmp_path):
    out = tmp_path / "all.txt"
    res = run("export", folder, "-o", out, "--encoding", "utf-8", "--lf")
    assert res.exit_code == 0, res.output
    raw = out.read_bytes()
    assert b"\r" not in raw and raw.decode("utf-8").count(",@") == 4


def test_table_xlsx_and_points(folder, tmp_path):
    gpkg = tmp_path / "parcels.gpkg"
    run("import", folder, "-o", gpkg)
    res = run("table", gpkg, "-o", tmp_path / "t.xlsx", "--points", tmp_path / "c.gpkg")
    assert res.exit_code == 0, res.output
    t = pd.read_excel(tmp_path / "t.xlsx", sheet_name="界址点成果表")
    assert t["地块编号"].nunique() == 4
    assert len(gpd.read_file(tmp_path / "c.gpkg", layer="corners")) == 32
    res = run("table", folder, "-o", tmp_path / "t.csv")
    assert res.exit_code == 0
    csv = pd.read_csv(tmp_path / "t.csv", encoding="utf-8-sig")
    assert csv["点号"].iloc[0] == "J1"                   # the surveyor's labels from the files


def test_table_bad_vector_file_exit_2(tmp_path):
    bogus = tmp_path / "x.gpkg"
    bogus.write_text("not a geopackage")
    res = CliRunner().invoke(coords, ["table", str(bogus), "-o", str(tmp_path / "t.csv")])
    assert res.exit_code == 2 and "cannot open" in res.output


def test_import_max_mb_lists_a_big_file_and_imports_the_rest(folder, tmp_path):
    out = tmp_path / "out.gpkg"
    res = run("import", folder, "-o", out, "--max-mb", "0.0012")       # a.txt (~1 KB) fits, b.txt (~1.7 KB) not
    assert res.exit_code == 1
    assert "b.txt" in res.output and "MB limit" in res.output
    assert len(gpd.read_file(out, layer="parcels")) == 2
