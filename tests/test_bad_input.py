"""Bad input and OS failures: exit 2 with one line naming the file or path; ``--debug`` shows the traceback."""

from __future__ import annotations

import errno
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from geo_tenglong.cli import main

from conftest import write_workspace


def _failing_write(exc_factory):
    from geo_tenglong import results as results_mod

    original = results_mod._write_layer

    def failing(layer, path, name, **kw):
        if name == "findings":
            raise exc_factory(path)
        return original(layer, path, name, **kw)

    return results_mod, failing


def _run(tmp_path, *extra: str):
    ws = tmp_path / "ws"
    args = [*extra, "run", str(ws), "--out", str(tmp_path / "out"), "--maps", str(tmp_path / "m"), "-q",
            "--allow-incomplete"]
    return CliRunner().invoke(main, args)


@pytest.mark.parametrize("exc_factory, reason", [
    (lambda p: OSError(errno.ENOSPC, "No space left on device", str(p)), "No space left on device"),
    (lambda p: PermissionError(errno.EACCES, "Permission denied", str(p)), "Permission denied"),
], ids=["disk-full", "permission"])
def test_os_error_while_writing_is_one_line_naming_the_path(tmp_path, tiny_parcels, monkeypatch, exc_factory, reason):
    write_workspace(tmp_path / "ws", tiny_parcels)
    results_mod, failing = _failing_write(exc_factory)
    monkeypatch.setattr(results_mod, "_write_layer", failing)
    r = _run(tmp_path)
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("geo-tenglong: error: 无法读写 ")
    assert lines[0] == f"geo-tenglong: error: 无法读写 {tmp_path / 'out' / 'results.gpkg'}: {reason}"
    assert "Traceback" not in r.stderr


def test_debug_shows_the_traceback(tmp_path, tiny_parcels, monkeypatch):
    write_workspace(tmp_path / "ws", tiny_parcels)
    results_mod, failing = _failing_write(lambda p: OSError(errno.ENOSPC, "No space left on device", str(p)))
    monkeypatch.setattr(results_mod, "_write_layer", failing)
    r = _run(tmp_path, "--debug")
    assert r.exit_code == 2
    assert "Traceback" in r.stderr and "in failing" in r.stderr
    assert r.stderr.rstrip().splitlines()[-1].startswith("geo-tenglong: error: 无法读写 ")


def test_os_error_without_a_path_still_one_line(tmp_path, tiny_parcels, monkeypatch):
    write_workspace(tmp_path / "ws", tiny_parcels)
    results_mod, failing = _failing_write(lambda p: OSError("disk full"))
    monkeypatch.setattr(results_mod, "_write_layer", failing)
    r = _run(tmp_path)
    assert r.exit_code == 2
    assert r.stderr.strip() == "geo-tenglong: error: 文件读写失败: disk full"


def test_input_error_is_unchanged_and_debug_adds_the_traceback(tmp_path):
    missing = tmp_path / "nowhere"
    missing.mkdir()
    r = CliRunner().invoke(main, ["run", str(missing), "--out", str(tmp_path / "o"), "-q"])
    assert r.exit_code == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = CliRunner().invoke(main, ["--debug", "run", str(missing), "--out", str(tmp_path / "o"), "-q"])
    assert r.exit_code == 2 and "Traceback" in r.stderr


# ---------------------------------------------------------------------------------- unreadable files


@pytest.mark.parametrize("name", ["enterprises.csv", "enterprises.xlsx"])
def test_a_zero_byte_table_is_one_line_naming_it(tmp_path, tiny_parcels, name):
    ws = write_workspace(tmp_path / "ws", tiny_parcels, extra_toml=f'[tables]\nenterprises = "{name}"\n')
    (ws / name).write_bytes(b"")
    r = CliRunner().invoke(main, ["run", str(ws), "--out", str(tmp_path / "out"), "-q"])
    assert r.exit_code == 2, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and "empty file" in lines[0], r.stderr
    assert not (tmp_path / "out" / "results.gpkg").exists()


def test_a_workbook_with_a_blank_sheet_names_the_sheet(tmp_path):
    import openpyxl

    from geo_tenglong.errors import InputError
    from geo_tenglong.io.tables import read_table

    openpyxl.Workbook().save(tmp_path / "blank.xlsx")
    with pytest.raises(InputError, match=r"blank\.xlsx, sheet 'Sheet': empty table"):
        read_table(tmp_path / "blank.xlsx")


def test_a_zero_byte_layer_is_one_line_naming_it(tmp_path, tiny_parcels):
    ws = write_workspace(tmp_path / "ws", tiny_parcels)
    (ws / "ws.gpkg").write_bytes(b"")
    r = CliRunner().invoke(main, ["run", str(ws), "--out", str(tmp_path / "out"), "-q"])
    assert r.exit_code == 2, r.output
    assert r.stderr.strip() == (f"geo-tenglong: error: {ws / 'ws.gpkg'}: empty file (0 bytes): "
                                "expected a vector layer (GeoPackage, Shapefile …)")


def test_a_layer_gdal_cannot_read_is_one_line_naming_it(tmp_path, tiny_parcels):
    ws = write_workspace(tmp_path / "ws", tiny_parcels)
    (ws / "ws.gpkg").write_bytes(b"not a geopackage")
    r = CliRunner().invoke(main, ["run", str(ws), "--out", str(tmp_path / "out"), "-q"])
    assert r.exit_code == 2, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "ws.gpkg" in lines[0], r.stderr


def test_a_gbk_shapefile_without_cpg_is_read_as_gbk(tmp_path):
    import os

    import geopandas as gpd
    import shapely

    from geo_tenglong.errors import InputError
    from geo_tenglong.io.layers import read_layer

    gdf = gpd.GeoDataFrame({"名称": ["腾笼换鸟地块"]}, geometry=[shapely.box(0, 0, 10, 10)], crs=4549)
    gdf.to_file(tmp_path / "gbk.shp", encoding="GBK")
    os.remove(tmp_path / "gbk.cpg")
    assert read_layer(tmp_path / "gbk.shp")["名称"].tolist() == ["腾笼换鸟地块"]  # GBK found in the DBF
    assert read_layer(tmp_path / "gbk.shp", encoding="GBK")["名称"].tolist() == ["腾笼换鸟地块"]  # the override
    # text GDAL cannot read as the encoding named: one line naming the file and how to say the encoding
    with pytest.raises(InputError, match=r"gbk\.shp: ") as info:
        read_layer(tmp_path / "gbk.shp", encoding="UTF-8")
    assert "\n" not in str(info.value)


# ---------------------------------------------------------------------------------- parcel geometry


@pytest.mark.parametrize("dims", ["Z", "M"])
def test_parcels_with_z_or_m_are_flattened_with_a_note_and_the_run_writes(tmp_path, tiny_parcels, dims):
    import pyogrio
    import shapely

    from geo_tenglong.workspace import load_workspace

    ws = write_workspace(tmp_path / "ws", tiny_parcels)
    gdf = tiny_parcels.copy()
    coords = [shapely.get_coordinates(g) for g in gdf.geometry]
    gdf = gdf.set_geometry([shapely.Polygon([(x, y, 5.0) for x, y in c]) for c in coords])
    pyogrio.write_dataframe(gdf, ws / "ws.gpkg", layer="parcels")
    if dims == "M":  # pyogrio writes no M: GDAL's ogr2ogr turns the Z layer into a measured one
        if shutil.which("ogr2ogr") is None:
            pytest.skip("ogr2ogr not installed")
        subprocess.run(["ogr2ogr", "-f", "GPKG", "-dim", "XYM", str(ws / "m.gpkg"), str(ws / "ws.gpkg"), "parcels"],
                       check=True, capture_output=True)
        (ws / "m.gpkg").replace(ws / "ws.gpkg")
    read = pyogrio.read_dataframe(ws / "ws.gpkg", layer="parcels", use_arrow=True).geometry.to_numpy()
    assert shapely.has_m(read).all() == (dims == "M") and shapely.has_z(read).all() == (dims == "Z")
    loaded = load_workspace(ws)
    geoms = loaded.parcels.geometry.to_numpy()
    assert not shapely.has_z(geoms).any() and not shapely.has_m(geoms).any()
    notes = loaded.data_issues[loaded.data_issues["message"].str.contains("二维")]
    assert len(notes) == 1 and f"3 个要素带 {dims} 坐标" in notes["message"].iloc[0]
    r = CliRunner().invoke(main, ["run", str(ws), "--out", str(tmp_path / "out"), "--maps", str(tmp_path / "m"),
                                  "-q", "--allow-incomplete"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "out" / "results.gpkg").exists()


def test_point_empty_and_null_parcels_are_listed_and_have_no_area(tmp_path, tiny_parcels):
    import geopandas as gpd
    import shapely

    from geo_tenglong.pipeline import analyse
    from geo_tenglong.workspace import load_workspace

    parcels = tiny_parcels.assign(land_use_code="1001", status="已竣工投产")  # industrial: every check applies
    ids = parcels["parcel_id"].tolist()
    geoms = list(parcels.geometry)
    centre = geoms[0].centroid
    buildings = gpd.GeoDataFrame({"building_id": ["B1", "B3"], "floors": [2, 3], "height_m": [8.0, 12.0]},
                                 geometry=[g.buffer(-30) for g in (geoms[0], geoms[2])], crs=parcels.crs)
    geoms[0], geoms[1], geoms[2] = shapely.Point(centre.x, centre.y), shapely.Polygon(), geoms[2]
    ws = write_workspace(tmp_path / "ws", parcels.set_geometry(geoms, crs=parcels.crs), layers={"buildings": buildings})
    loaded = load_workspace(ws)
    issues = loaded.data_issues
    point = issues[issues["feature"].str.contains("331023101001GB00001")]
    assert point["kind"].tolist() == ["invalid_geometry"] and "Point" in point["message"].iloc[0]
    empty = issues[issues["feature"].str.contains("331023101001GB00002")]
    assert empty["kind"].tolist() == ["empty_geometry"]
    assert loaded.parcels.geometry.isna().tolist() == [True, True, False]
    area = analyse(loaded).parcels.set_index("parcel_id")["area_m2"]
    assert area.isna().tolist() == [True, True, False]  # never 0 for a parcel without an area
    r = CliRunner().invoke(main, ["run", str(ws), "--out", str(tmp_path / "out"), "--maps", str(tmp_path / "m"),
                                  "-q", "--allow-incomplete", "--reports", "all"])
    assert r.exit_code == 0, r.output
    # never a judgement on a NaN area: no "建筑系数nan%" in any finding, report, one-pager or map
    import pyogrio

    findings = pyogrio.read_dataframe(tmp_path / "out" / "results.gpkg", layer="findings")
    assert not findings["message"].str.contains("nan", case=False).any()
    mine = findings[findings["parcel_id"].isin(ids[:2])]
    assert "NAT-COVER" in set(mine["rule_id"]) and set(mine["status"]) <= {"missing_data", "not_applicable"}
    texts = [p.read_text(encoding="utf-8") for p in [*(tmp_path / "out").rglob("*.html"), *(tmp_path / "m").rglob("*.html")]]
    assert len(texts) > 2 and not any("nan%" in t.lower() for t in texts)


@pytest.mark.parametrize("case", ["no features", "no usable polygon"])
def test_a_parcels_layer_with_nothing_to_analyse_stops_before_any_output(tmp_path, tiny_parcels, case):
    import shapely

    if case == "no features":
        parcels = tiny_parcels.iloc[:0]
        expected = "the layer has no features (图层为空): expected parcel polygons"
    else:
        parcels = tiny_parcels.set_geometry([shapely.Point(0, 0), shapely.Polygon(), None], crs=tiny_parcels.crs)
        expected = "none of its 3 features has a usable polygon (没有一个要素是有效的面): expected parcel polygons"
    ws = write_workspace(tmp_path / "ws", parcels)
    r = _run(tmp_path)
    assert r.exit_code == 2, r.output  # it used to fail writing the map, after the analysis (exit 1)
    assert r.stderr.strip() == f"geo-tenglong: error: {ws / 'ws.gpkg'} (layer parcels): {expected}"
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------------- messages naming their file


def test_unknown_ruleset_in_workspace_toml_names_the_file_and_key(tmp_path, tiny_parcels):
    ws = write_workspace(tmp_path / "ws", tiny_parcels, ruleset="nosuch-2020")
    r = CliRunner().invoke(main, ["run", str(ws), "--out", str(tmp_path / "out"), "-q"])
    assert r.exit_code == 2
    line = r.stderr.strip()
    assert "\n" not in line and f"{ws / 'workspace.toml'}, workspace.ruleset: no ruleset named 'nosuch-2020'" in line


def test_class_shares_summing_to_1_5_name_the_ruleset_file_and_key(tmp_path, tiny_parcels):
    from geo_tenglong.rules.loader import BUILTIN_DIR

    text = (BUILTIN_DIR / "tiantai-2022.toml").read_text(encoding="utf-8")
    assert "class_shares = { A = 0.107372" in text
    bad = tmp_path / "bad-rules.toml"
    bad.write_text(text.replace("class_shares = { A = 0.107372", "class_shares = { A = 0.607372"), encoding="utf-8")
    ws = write_workspace(tmp_path / "ws", tiny_parcels)
    r = CliRunner().invoke(main, ["run", str(ws), "--ruleset", str(bad), "--out", str(tmp_path / "out"), "-q"])
    assert r.exit_code == 2
    assert r.stderr.strip() == (f"geo-tenglong: error: {bad}, rules.MJ-EVAL.class_shares: "
                                "the class shares sum to 1.5000, not 1")


# ---------------------------------------------------------------------------------- writing results.gpkg


def test_input_columns_gdal_would_refuse_are_renamed_and_the_run_writes(tmp_path, tiny_parcels):
    """A fid column, a name differing only in case and an AREA_M2 beside the computed area_m2 are
    input columns a GeoPackage refuses; they used to fail after the whole analysis (FieldError)."""
    import pyogrio

    ws = write_workspace(tmp_path / "ws", tiny_parcels)
    # GeoParquet may hold what a GeoPackage cannot: a fid column (GDAL's own key), names differing in case
    tiny_parcels.assign(fid=["a", "b", "c"], REMARK=["x", "y", "z"], remark=["p", "q", "r"],
                        AREA_M2=[1.0, 2.0, 3.0], geom=["g1", "g2", "g3"]).to_parquet(ws / "p.parquet")
    text = (ws / "workspace.toml").read_text(encoding="utf-8")
    (ws / "workspace.toml").write_text(text.replace('{ path = "ws.gpkg", layer = "parcels" }', '"p.parquet"'),
                                       encoding="utf-8")
    r = _run(tmp_path)
    assert r.exit_code == 0, r.output
    written = pyogrio.read_dataframe(tmp_path / "out" / "results.gpkg", layer="parcels")
    assert written["area_m2"].tolist() == [10000.0] * 3  # the computed area keeps its name
    assert written["AREA_M2_2"].tolist() == [1.0, 2.0, 3.0]
    assert written["fid_2"].tolist() == ["a", "b", "c"] and written["geom_2"].tolist() == ["g1", "g2", "g3"]
    assert sorted(c for c in written.columns if c.lower().startswith("remark")) == ["REMARK_2", "remark"]


def test_a_layer_gdal_refuses_to_write_is_one_line_naming_results_gpkg(tmp_path, tiny_parcels, monkeypatch):
    import pyogrio.errors

    from geo_tenglong import results as results_mod

    write_workspace(tmp_path / "ws", tiny_parcels)
    real = results_mod.pyogrio.write_dataframe

    def refuse(frame, path, layer=None, **kw):
        if layer == "findings":
            raise pyogrio.errors.FieldError("Error adding field 'x' to layer")
        return real(frame, path, layer=layer, **kw)

    monkeypatch.setattr(results_mod.pyogrio, "write_dataframe", refuse)
    r = _run(tmp_path)
    assert r.exit_code == 2, r.output
    assert r.stderr.strip() == (f"geo-tenglong: error: {tmp_path / 'out' / 'results.gpkg'}: "
                                "无法写出图层 findings (FieldError: Error adding field 'x' to layer)")
    assert not (tmp_path / "out").exists() and [p.name for p in tmp_path.iterdir() if p.name.startswith(".geo")] == []


# ---------------------------------------------------------------------------------- ids


@pytest.mark.parametrize("blank", [None, "  "], ids=["null", "blank"])
def test_a_parcel_without_宗地代码_fails_before_any_output_naming_the_feature(tmp_path, tiny_parcels, blank):
    ws = write_workspace(tmp_path / "ws", tiny_parcels)
    assert _run(tmp_path).exit_code == 0
    before = {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    parcels = tiny_parcels.copy()
    parcels.loc[1, "parcel_id"] = blank
    write_workspace(ws, parcels)
    r = _run(tmp_path)
    assert r.exit_code == 2, r.output
    assert r.stderr.strip() == (f"geo-tenglong: error: {ws / 'ws.gpkg'}, feature 2: "
                                "parcel_id is empty (编号为空); every feature needs one")
    assert {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()} == before


# ---------------------------------------------------------------------------------- nothing silent


def _enterprise_table(path, tax_cells):
    import pandas as pd

    df = pd.DataFrame({"统一社会信用代码": [f"91331023MA2AAAAA{i}X" for i in range(len(tax_cells))],
                       "企业名称": [f"企业{i}" for i in range(len(tax_cells))], "年度": [2022] * len(tax_cells),
                       "税收实际贡献(万元)": tax_cells, "营业收入(万元)": ["1,000"] * len(tax_cells)})
    if path.suffix == ".csv":
        df.to_csv(path, index=False)
    else:
        df.to_excel(path, index=False)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_na_markers_and_unreadable_numbers_are_listed_by_file_row_and_column(tmp_path, tiny_parcels, suffix):
    from openpyxl import load_workbook

    from geo_tenglong.io.columns import PANDAS_NA

    markers = sorted(PANDAS_NA) + ["-", "—", "无"]
    cells = ["12.5", *markers, "约5"]
    ws = write_workspace(tmp_path / "ws", tiny_parcels, extra_toml=f'[tables]\nenterprises = "ent{suffix}"\n')
    _enterprise_table(ws / f"ent{suffix}", cells)
    r = _run(tmp_path)
    assert r.exit_code == 0, r.output
    import pyogrio

    issues = pyogrio.read_dataframe(tmp_path / "out" / "results.gpkg", layer="data_issues")
    listed = issues[issues["kind"].isin(["na_value", "bad_value"])]
    # every marker and the unreadable 约5, on its own row (header is row 1, 12.5 is row 2)
    assert listed["feature"].str.extract(r"row (\d+)")[0].astype(int).tolist() == list(range(3, 3 + len(cells) - 1))
    assert listed["kind"].tolist() == ["na_value"] * len(markers) + ["bad_value"]
    assert all(f"ent{suffix}" in m and "“税收实际贡献(万元)”(tax)" in m for m in listed["message"])
    assert "“约5”(不是数字)" in listed["message"].iloc[-1]
    book = load_workbook(next((tmp_path / "out").glob("*.xlsx")), read_only=True)
    text = "\n".join(str(c) for ws_ in book.worksheets for row in ws_.iter_rows(values_only=True) for c in row if c)
    assert listed["message"].iloc[0] in text  # reaches the workbook's 数据问题 list


def test_na_marker_in_a_numeric_layer_field_is_listed_by_feature(tmp_path, tiny_parcels):
    from geo_tenglong.workspace import load_workspace

    ws = write_workspace(tmp_path / "ws", tiny_parcels.assign(容积率=["1.2", "N/A", "x"]))
    loaded = load_workspace(ws)
    assert loaded.parcels["contract_far"].isna().tolist() == [False, True, True]
    issues = loaded.data_issues[loaded.data_issues["kind"].isin(["na_value", "bad_value"])]
    assert issues["feature"].tolist() == ["feature 2 (parcel_id 331023101001GB00002)",
                                          "feature 3 (parcel_id 331023101001GB00003)"]
    assert "ws.gpkg 第2个要素 “容积率”(contract_far) 为“N/A”" in issues["message"].iloc[0]


# ---------------------------------------------------------------------------------- a damaged raster


def test_a_truncated_land_cover_raster_loses_only_the_evidence_it_no_longer_holds(tmp_path):
    import geopandas as gpd
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    from geo_tenglong.analysis.landcover import zonal_shares
    from geo_tenglong.pipeline import analyse
    from geo_tenglong.workspace import load_workspace

    from conftest import ORIGIN, ZONE40, box

    ids = ["331023101001GB00001", "331023101001GB00002"]
    parcels = gpd.GeoDataFrame({"parcel_id": ids, "land_use_code": ["1001"] * 2},  # north and far south
                               geometry=[box(0, 0, 100, 100), box(0, -1800, 100, -1700)], crs=ZONE40)
    ws = write_workspace(tmp_path / "ws", parcels, extra_toml=(
        '[rasters]\nlandcover = [ { path = "lc2021.tif", date = 2021-06-01 }, { path = "lc2023.tif", date = 2023-06-01 } ]\n'))
    cells = np.random.default_rng(7).integers(1, 5, (2000, 200)).astype("uint8")
    for name in ("lc2021.tif", "lc2023.tif"):
        with rasterio.open(ws / name, "w", driver="GTiff", width=200, height=2000, count=1, dtype="uint8",
                           crs=f"EPSG:{ZONE40}", transform=from_origin(ORIGIN[0] - 50, ORIGIN[1] + 150, 1, 1),
                           tiled=True, blockxsize=64, blockysize=64) as ds:
            ds.write(cells, 1)
    whole = (ws / "lc2023.tif").read_bytes()
    (ws / "lc2023.tif").write_bytes(whole[: len(whole) // 2])  # the southern tiles are gone

    loaded = load_workspace(ws)
    shares = zonal_shares(loaded.parcels.geometry, ws / "lc2023.tif", loaded.landcover_classes)
    assert shares["unreadable"].tolist() == [False, True]
    assert shares["valid_coverage"].tolist()[0] == 1.0 and np.isnan(shares["built"].iloc[1])

    findings = analyse(loaded).findings
    img = findings[findings["rule_id"] == "IDLE-IMG"]
    county = img[img["parcel_id"] == "331023"]["message"].tolist()
    assert county == ["土地覆盖影像 lc2023.tif(2023-06-01,末期影像)部分损坏,1宗地块处无法读取,这些宗地缺少该期影像的建成/裸地比例"]
    south = img[img["parcel_id"] == ids[1]]
    assert south["status"].tolist() == ["missing_data"]
    assert "2023-06-01影像(lc2023.tif)此处损坏无法读取" in south["message"].iloc[0]
    assert not (img["parcel_id"] == ids[0]).any() or (img.loc[img["parcel_id"] == ids[0], "status"] != "missing_data").all()


def test_na_marker_in_a_yes_no_field_is_blank_and_listed(tmp_path, tiny_parcels):
    from geo_tenglong.workspace import load_workspace

    ws = write_workspace(tmp_path / "ws", tiny_parcels.assign(standard_land=["是", "N/A", "否"]))
    loaded = load_workspace(ws)  # it used to stop: column 'standard_land' must hold 是/否
    assert loaded.parcels["standard_land"].tolist() == [True, False, False]
    issues = loaded.data_issues[loaded.data_issues["kind"] == "na_value"]
    assert issues["feature"].tolist() == ["feature 2 (parcel_id 331023101001GB00002)"]


@pytest.mark.parametrize("encoding, sep", [("utf-16", "\t"), ("utf-8-sig", "\t"), ("gbk", ",")])
def test_tables_in_the_encodings_bureaus_export_are_read(tmp_path, encoding, sep):
    from geo_tenglong.io.schema import TABLES
    from geo_tenglong.io.tables import read_table

    text = sep.join(["统一社会信用代码", "年度", "税收实际贡献(万元)"]) + "\n" + sep.join(["91331023MA2AAAAA0X", "2022", "1234.5"]) + "\n"
    (tmp_path / "ent.txt").write_bytes(text.encode(encoding))  # utf-16 writes its BOM (Excel's "Unicode 文本")
    df = read_table(tmp_path / "ent.txt", TABLES["enterprises"])
    assert df[["uscc", "year", "tax"]].values.tolist() == [["91331023MA2AAAAA0X", 2022.0, 1234.5]]
