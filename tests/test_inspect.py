"""``geo-tenglong inspect`` and the coverage it reports (geo_tenglong/coverage.py, inspect.py)."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from geo_tenglong.cli.inspect import inspect_cmd
from geo_tenglong.coverage import compute_coverage
from geo_tenglong.inspect import inspect_workspace
from geo_tenglong.workspace import load_workspace

from conftest import box, write_workspace

U1, U2, U3 = "91331023MA2AAAAA0X", "91331023MA2AAAAB0Y", "91331023MA2AAAAC0Z"
IDS = [f"331023101001GB0000{i}" for i in range(1, 5)]


@pytest.fixture(scope="module")
def sample_inspection(sample_dir):
    return inspect_workspace(sample_dir)


def test_sample_coverage_matches_an_independent_count(sample_inspection, sample_dir):
    c = sample_inspection.coverage
    parcels = gpd.read_file(sample_dir / "tiantai.gpkg", layer="parcels")
    ent = pd.read_excel(sample_dir / "enterprises.xlsx", dtype=str)
    con = pd.read_excel(sample_dir / "contracts.xlsx", dtype=str)
    assert c.parcels == len(parcels)
    assert c.parcels_industrial == parcels["land_use_code"].str.startswith("1001").sum()
    assert c.parcels_holder_matched == parcels["owner_uscc"].isin(set(ent["统一社会信用代码"])).sum()
    assert c.enterprises == ent["统一社会信用代码"].nunique()
    assert c.contracts == len(con) and c.contracts_matched == con["宗地代码"].isin(set(parcels["parcel_id"])).sum()
    assert c.enterprise_years == [2021, 2022]
    assert c.problems() == []


def test_sample_sources_list_rows_and_mapping(sample_inspection):
    by = {s.name: s for s in sample_inspection.sources}
    assert by["parcels"].rows == 1542 and by["parcels"].crs == "EPSG:4528" and by["parcels"].mapping == {}
    assert by["enterprises"].mapping["统一社会信用代码"] == "uscc"
    assert by["enterprises"].kind == "table" and by["enterprises"].crs is None


def test_cli_json(sample_dir):
    res = CliRunner().invoke(inspect_cmd, [str(sample_dir), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["county"] == "天台县" and doc["problems"] == []
    assert doc["coverage"]["parcels"] == 1542
    assert {s["name"] for s in doc["sources"]} >= {"parcels", "buildings", "enterprises", "contracts"}


def test_cli_table_is_in_chinese(sample_dir):
    res = CliRunner().invoke(inspect_cmd, [str(sample_dir)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "数据覆盖" in res.output and "按用地代码计为工业用地的宗地" in res.output


def _ws(tmp_path, codes, extra="", parcels_extra=None, buildings=None):
    data = {"parcel_id": IDS, "owner_uscc": [U1, U2, None, U3], "land_use_code": codes}
    data.update(parcels_extra or {})
    parcels = gpd.GeoDataFrame(data, geometry=[box(i * 100, 0, i * 100 + 100, 100) for i in range(4)], crs=4528)
    layers = {"buildings": buildings} if buildings is not None else None
    return write_workspace(tmp_path, parcels, extra_toml=extra, layers=layers)


def _tables(root, contracts_dates=("2020-01-01", "2020-02-01")):
    pd.DataFrame({"统一社会信用代码": [U1, U2, "91331023MA2AAAAD0A"], "年度": [2022] * 3,
                  "用地面积(亩)": [15.0, 99.0, 3.0]}).to_csv(root / "ent.csv", index=False)
    pd.DataFrame({"合同编号": ["C1", "C2"], "宗地代码": [IDS[0], "331023101001GB09999"],
                  "签订日期": list(contracts_dates)}).to_csv(root / "con.csv", index=False)
    return '\n[tables]\nenterprises = "ent.csv"\ncontracts = "con.csv"\n'


def test_no_industrial_parcel_is_said_in_one_line(tmp_path):
    root = _ws(tmp_path, ["0602", "0602", "0701", "1002"])
    (root / "workspace.toml").write_text((root / "workspace.toml").read_text(encoding="utf-8") + _tables(root),
                                         encoding="utf-8")
    c = compute_coverage(load_workspace(root))
    assert c.parcels_industrial == 0
    problems = c.problems()
    assert any("没有一宗按用地代码计为工业用地" in p for p in problems)
    assert any("缺少建筑物图层" in p for p in problems)


def test_holders_contracts_dates_and_declared_areas(tmp_path):
    root = _ws(tmp_path, ["0601", "100102", None, "M2"],
               parcels_extra={"ZDMJ": [10000.0, 15.0, 10000.0, 12000.0], "MJDW": ["1", "2", "1", "1"]},
               buildings=gpd.GeoDataFrame({"building_id": ["B1", "B2", "B3"], "parcel_id": [IDS[0], None, None]},
                                          geometry=[box(10, 10, 20, 20), box(110, 10, 120, 20), box(900, 0, 910, 10)],
                                          crs=4528))
    extra = _tables(root, ("2020-01-01", "明年"))
    (root / "workspace.toml").write_text((root / "workspace.toml").read_text(encoding="utf-8") + extra, encoding="utf-8")
    c = compute_coverage(load_workspace(root))
    assert c.parcels_industrial == 3 and c.parcels_without_land_use == 1
    assert c.parcels_holder_matched == 2            # U1 and U2; U3 has no 亩均 row
    assert c.enterprises == 3 and c.enterprises_without_land == 1
    assert c.contracts == 2 and c.contracts_matched == 1
    assert c.unreadable_dates == {"contracts.signed_date": 1}
    assert (c.buildings, c.buildings_matched, c.buildings_by_location) == (3, 2, 1)   # B3 lies on no parcel
    assert c.industrial_parcels_with_buildings == 2
    # 15 亩 declared for a 1 ha parcel is right; 12,000 m² for 10,000 m² is not; U2 declares 99 亩 of 15
    mism = {(m["source"], m["id"]) for m in c.area_mismatch}
    assert mism == {("parcels", IDS[3]), ("enterprises", U2)}


def test_unknown_land_use_counts_when_the_workspace_says_so(tmp_path):
    root = _ws(tmp_path, ["0601", None, None, "0701"])
    text = (root / "workspace.toml").read_text(encoding="utf-8")
    assert compute_coverage(load_workspace(root)).parcels_industrial == 1
    (root / "workspace.toml").write_text(text.replace('crs = "EPSG:4528"', 'crs = "EPSG:4528"\n'
                                                      'unknown_land_use_is_industrial = true'), encoding="utf-8")
    assert compute_coverage(load_workspace(root)).parcels_industrial == 3


def test_parcels_imported_from_corner_files(tmp_path, sample_dir):
    """界址点 files carry 地类编码 (often blank) and 地块面积: read as land use and declared area."""
    from geo_tenglong.io.coords import read_coords_folder

    plots = read_coords_folder(sample_dir / "jzd", crs=4528)[0]
    plots = plots[["parcel_id", "land_class_code", "stated_area_m2", "geometry"]].drop_duplicates("parcel_id")
    plots = plots.reset_index(drop=True)
    plots.loc[:2, "land_class_code"] = None                     # three files without 地类编码
    plots.to_file(tmp_path / "jzd.gpkg", layer="plots")
    root = write_workspace(tmp_path / "ws", plots)
    c = compute_coverage(load_workspace(root))
    assert c.parcels_without_land_use == 3
    assert c.parcels_industrial == len(plots) - 3                # blank 地类编码: not industrial by default
    assert c.area_mismatch == []                                # 地块面积 agrees with the outline (< 1 m²)
    ws = load_workspace(root)
    assert ws.parcels["declared_area"].notna().all()
    # a 地块面积 2 % off the outline is listed
    plots.loc[5, "stated_area_m2"] = plots.geometry.iloc[5].area * 1.02
    plots.to_file(tmp_path / "ws" / "ws.gpkg", layer="parcels", mode="w")
    bad = compute_coverage(load_workspace(root)).area_mismatch
    assert [m["id"] for m in bad] == [plots["parcel_id"].iloc[5]]


def test_notes_on_land_use_and_areas(tmp_path):
    root = _ws(tmp_path, ["0601", None, None, "0701"], parcels_extra={"ZDMJ": [10000.0, 1.0, 10000.0, 10000.0]})
    c = compute_coverage(load_workspace(root))
    notes = " ".join(c.notes())
    assert "2 宗宗地无用地代码,不计为工业用地" in notes and "1 处申报面积与图形面积不符" in notes
    bare = gpd.GeoDataFrame({"parcel_id": IDS[:2]}, geometry=[box(0, 0, 10, 10), box(20, 0, 30, 10)], crs=4528)
    c = compute_coverage(load_workspace(write_workspace(tmp_path / "bare", bare)))
    # no land-use field at all: not industrial unless the workspace says so (issue 13.4)
    assert c.parcels_industrial == 0 and "没有用地代码字段,全部宗地不计为工业用地" in " ".join(c.notes())
    said = write_workspace(tmp_path / "said", bare)
    text = (said / "workspace.toml").read_text(encoding="utf-8")
    (said / "workspace.toml").write_text(text.replace("[workspace]\n", "[workspace]\nunknown_land_use_is_industrial = true\n"),
                                         encoding="utf-8")
    c = compute_coverage(load_workspace(said))
    assert c.parcels_industrial == 2 and "没有用地代码字段,全部宗地按工业用地计" in " ".join(c.notes())


def test_inspect_needs_no_as_of_date(tmp_path):
    root = _ws(tmp_path, ["0601"] * 4)
    text = (root / "workspace.toml").read_text(encoding="utf-8")
    (root / "workspace.toml").write_text(text.replace("as_of = 2023-06-30\n", ""), encoding="utf-8")
    res = CliRunner().invoke(inspect_cmd, [str(root), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["coverage"]["parcels_industrial"] == 4
