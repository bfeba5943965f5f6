"""Reading a workspace: formats, header aliases, CRS handling, repairs and bad input."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import shapely

from geo_tenglong.errors import InputError
from geo_tenglong.io.schema import TABLES
from geo_tenglong.io.tables import read_table
from geo_tenglong.workspace import load_workspace

from conftest import ZONE40, box, write_workspace


def test_minimal_workspace_loads(tmp_path, tiny_parcels):
    ws = load_workspace(write_workspace(tmp_path / "ws", tiny_parcels))
    assert ws.county == "天台县" and ws.admin_code == "331023"
    assert ws.as_of == dt.date(2023, 6, 30)
    assert ws.ruleset.name == "tiantai-2022"
    assert ws.crs.to_epsg() == ZONE40
    assert list(ws.parcels["parcel_id"]) == list(tiny_parcels["parcel_id"])
    assert ws.table("enterprises") is None and ws.layer("buildings") is None
    assert ws.data_issues.empty


def test_overrides_for_ruleset_and_as_of(tmp_path, tiny_parcels):
    ws = load_workspace(write_workspace(tmp_path / "ws", tiny_parcels), ruleset="deqing-2021", as_of="2024-01-31")
    assert ws.ruleset.name == "deqing-2021"
    assert ws.as_of == dt.date(2024, 1, 31)


def test_layers_are_brought_to_the_workspace_crs(tmp_path, tiny_parcels):
    roads = gpd.GeoDataFrame({"name": ["始丰路"]}, geometry=[box(0, 100, 300, 120)], crs=ZONE40).to_crs(4490)
    ws = load_workspace(write_workspace(tmp_path / "ws", tiny_parcels, layers={"roads": roads}))
    assert ws.layer("roads").crs.to_epsg() == ZONE40
    assert ws.layer("roads").geometry.iloc[0].area == pytest.approx(300 * 20, rel=1e-6)


def test_gbk_shapefile_with_chinese_fields(tmp_path, tiny_parcels):
    shp_dir = tmp_path / "ws"
    shp_dir.mkdir()
    parcels = tiny_parcels.rename(columns={"parcel_id": "宗地代码"}).assign(owner_name=["天台县某某机械有限公司", "", ""])
    parcels.to_file(shp_dir / "parcels.shp", encoding="GBK")
    assert (shp_dir / "parcels.cpg").read_text().strip().upper() in {"GBK", "CP936", "936"}
    # the attribute file really is GBK, not UTF-8
    assert "天台县".encode("gbk") in (shp_dir / "parcels.dbf").read_bytes()
    (shp_dir / "workspace.toml").write_text(
        '[workspace]\nruleset = "tiantai-2022"\nas_of = 2023-06-30\n[layers]\nparcels = "parcels.shp"\n', encoding="utf-8")
    ws = load_workspace(shp_dir)
    assert ws.parcels["parcel_id"].iloc[0] == "331023101001GB00001"
    assert ws.parcels["owner_name"].iloc[0] == "天台县某某机械有限公司"


def test_layer_without_crs_detected_from_zone_prefix(tmp_path, tiny_parcels):
    ws_dir = tmp_path / "ws"
    ws_dir.mkdir()
    tiny_parcels.set_crs(None, allow_override=True).to_file(ws_dir / "parcels.shp")
    (ws_dir / "parcels.prj").unlink(missing_ok=True)
    (ws_dir / "workspace.toml").write_text(
        '[workspace]\nruleset = "tiantai-2022"\nas_of = 2023-06-30\n[layers]\nparcels = "parcels.shp"\n', encoding="utf-8")
    ws = load_workspace(ws_dir)
    assert ws.parcels.crs.to_epsg() == ZONE40
    assert (ws.data_issues["kind"] == "assumed_crs").sum() == 1


def test_layer_without_crs_and_without_prefix_is_refused(tmp_path, tiny_parcels):
    ws_dir = tmp_path / "ws"
    ws_dir.mkdir()
    shifted = tiny_parcels.set_crs(None, allow_override=True).translate(xoff=-40_000_000)
    gpd.GeoDataFrame(tiny_parcels.drop(columns="geometry"), geometry=shifted).to_file(ws_dir / "parcels.shp")
    (ws_dir / "workspace.toml").write_text(
        '[workspace]\nruleset = "tiantai-2022"\nas_of = 2023-06-30\n[layers]\nparcels = "parcels.shp"\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"parcels\.shp.*no CRS"):
        load_workspace(ws_dir)


def test_invalid_geometry_is_repaired_and_listed(tmp_path, tiny_parcels):
    bowtie = shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])
    parcels = tiny_parcels.copy()
    parcels.loc[1, "geometry"] = shapely.affinity.translate(bowtie, 40503000, 3224000)
    ws = load_workspace(write_workspace(tmp_path / "ws", parcels))
    assert ws.parcels.geometry.is_valid.all()
    issue = ws.data_issues.iloc[0]
    assert issue["kind"] == "repaired_geometry" and "GB00002" in issue["feature"]
    assert ws.parcels.geometry.iloc[1].area == pytest.approx(50.0)


def test_chinese_header_xlsx(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "企业名称", "年度", "营业收入（万元）", "税收实际贡献(万元)", "工业增加值(万元)",
               "年平均职工人数", "行业", "备注"])
    ws.append(["91331023MA2AAAAA0X", "甲公司", 2022, "12,000.5", 300, None, 120, "机械", "x"])
    ws.append([None] * 9)  # a blank row, dropped
    ws.append(["91331023MA2AAAAB0Y", "乙公司", 2022, 800, " ", 50, 0, "纺织", ""])
    wb.save(tmp_path / "ent.xlsx")
    df = read_table(tmp_path / "ent.xlsx", TABLES["enterprises"])
    assert {"uscc", "name", "year", "revenue", "tax", "value_added", "employees", "industry", "备注"} <= set(df.columns)
    assert df["revenue"].tolist() == [12000.5, 800.0]
    assert pd.isna(df["tax"].iloc[1]) and pd.isna(df["value_added"].iloc[0])
    assert df["source_row"].tolist() == [2, 4]


def test_numeric_column_holding_text_names_the_row(tmp_path):
    # not a number: missing, and listed by file, row and column (issue 15.4), no longer a stop
    (tmp_path / "ent.csv").write_text("统一社会信用代码,年度,税收实际贡献(万元)\nA,2022,12\nB,2022,十二\n", encoding="utf-8")
    df = read_table(tmp_path / "ent.csv", TABLES["enterprises"])
    assert df["tax"].tolist()[0] == 12.0 and pd.isna(df["tax"].iloc[1])
    [issue] = [i for i in df.attrs["data_issues"] if i["kind"] == "bad_value"]
    assert issue["feature"] == "row 3 (uscc B)" and issue["source"].endswith("ent.csv")
    assert "“税收实际贡献(万元)”(tax) 为“十二”" in issue["message"]


def test_gbk_csv_is_read(tmp_path):
    (tmp_path / "t.csv").write_bytes("宗地代码,统一社会信用代码,租用建筑面积\nP1,U1,1200\n".encode("gbk"))
    df = read_table(tmp_path / "t.csv", TABLES["tenancy"])
    assert df.loc[0, "parcel_id"] == "P1" and df.loc[0, "floor_area_m2"] == 1200.0


def test_workspace_aliases_extend_the_builtin_ones(tmp_path, tiny_parcels):
    root = write_workspace(tmp_path / "ws", tiny_parcels,
                           extra_toml='[tables]\ntenancy = "t.csv"\n[aliases]\nfloor_area_m2 = ["承租面积"]\n')
    (root / "t.csv").write_text("宗地代码,统一社会信用代码,承租面积\nP1,U1,99\n", encoding="utf-8")
    assert load_workspace(root).table("tenancy")["floor_area_m2"].tolist() == [99.0]


@pytest.mark.parametrize("mutate,match", [
    (lambda root: (root / "workspace.toml").unlink(), "no workspace.toml"),
    (lambda root: (root / "ws.gpkg").unlink(), r"ws\.gpkg: layer file not found"),
    (lambda root: (root / "workspace.toml").write_text("[workspace\n", encoding="utf-8"), "not valid TOML"),
    (lambda root: (root / "workspace.toml").open("a", encoding="utf-8").write("[layers2]\n"), r"unknown table \[layers2\]"),
    (lambda root: (root / "workspace.toml").open("a", encoding="utf-8").write('[tables]\ncontracts = "c.xlsx"\n'),
     r"c\.xlsx: table file not found"),
])
def test_bad_workspace_files(tmp_path, tiny_parcels, mutate, match):
    root = write_workspace(tmp_path / "ws", tiny_parcels)
    mutate(root)
    with pytest.raises(InputError, match=match):
        load_workspace(root)


def test_unknown_layer_name_and_ruleset(tmp_path, tiny_parcels):
    root = write_workspace(tmp_path / "ws", tiny_parcels)
    with pytest.raises(InputError, match="no ruleset named 'hangzhou'"):
        load_workspace(root, ruleset="hangzhou")
    text = (root / "workspace.toml").read_text(encoding="utf-8")
    (root / "workspace.toml").write_text(text.replace("[layers]", '[layers]\nfarms = "x.gpkg"'), encoding="utf-8")
    with pytest.raises(InputError, match="layers.farms"):
        load_workspace(root)


def test_duplicate_parcel_ids_are_refused(tmp_path, tiny_parcels):
    parcels = tiny_parcels.copy()
    parcels.loc[2, "parcel_id"] = parcels.loc[0, "parcel_id"]
    with pytest.raises(InputError, match=r"duplicate parcel_id '331023101001GB00001' at features 1, 3"):
        load_workspace(write_workspace(tmp_path / "ws", parcels))


def test_missing_parcel_id_column(tmp_path, tiny_parcels):
    with pytest.raises(InputError, match="missing required column 'parcel_id'"):
        load_workspace(write_workspace(tmp_path / "ws", tiny_parcels.drop(columns="parcel_id")))


def test_text_in_numeric_layer_field_names_the_feature(tmp_path, tiny_parcels):
    parcels = tiny_parcels.assign(contract_far=["1.2", "高", None])
    ws = load_workspace(write_workspace(tmp_path / "ws", parcels))
    assert ws.parcels["contract_far"].isna().tolist() == [False, True, True]
    bad = ws.data_issues[ws.data_issues["kind"] == "bad_value"]
    assert bad["feature"].tolist() == ["feature 2 (parcel_id 331023101001GB00002)"]
    assert "“contract_far” 为“高”" in bad["message"].iloc[0]


@pytest.mark.parametrize("fmt", ["filegdb", "parquet"])
def test_filegdb_and_geoparquet_layers(tmp_path, tiny_parcels, fmt):
    root = tmp_path / "ws"
    root.mkdir()
    if fmt == "filegdb":
        tiny_parcels.to_file(root / "county.gdb", layer="宗地", driver="OpenFileGDB")
        entry = 'parcels = { path = "county.gdb", layer = "宗地" }'
    else:
        tiny_parcels.to_parquet(root / "parcels.parquet")
        entry = 'parcels = "parcels.parquet"'
    (root / "workspace.toml").write_text(
        f'[workspace]\nruleset = "tiantai-2022"\nas_of = 2023-06-30\n[layers]\n{entry}\n', encoding="utf-8")
    ws = load_workspace(root)
    assert ws.parcels["parcel_id"].tolist() == tiny_parcels["parcel_id"].tolist()
    assert ws.parcels.geometry.area.sum() == pytest.approx(30000.0)


def test_missing_layer_inside_a_geopackage(tmp_path, tiny_parcels):
    root = write_workspace(tmp_path / "ws", tiny_parcels)
    text = (root / "workspace.toml").read_text(encoding="utf-8")
    text = text.replace("[layers]", '[layers]\nroads = { path = "ws.gpkg", layer = "道路" }')
    (root / "workspace.toml").write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=r"ws\.gpkg: no layer '道路'; layers present: \['parcels'\]"):
        load_workspace(root)
