"""``geo-tenglong init`` on a county folder in the national standard schemas, built from the sample."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from click.testing import CliRunner

from geo_tenglong.errors import InputError
from geo_tenglong.init import init_workspace
from geo_tenglong.init_detect import dbf_encoding, scan_folder
from geo_tenglong.workspace import load_workspace, read_config

from standard_county import build_standard_county


@pytest.fixture(scope="session")
def standard_county(sample_dir, tmp_path_factory):
    """The sample county as a bureau would hand it over, and what init made of it."""
    folder = build_standard_county(sample_dir, tmp_path_factory.mktemp("county") / "天台县数据")
    return folder, init_workspace(folder)


def test_init_places_every_layer_and_table_of_the_sample(standard_county, sample_dir):
    _, result = standard_county
    sample_cfg = read_config(sample_dir)
    assert set(result.placed) == set(sample_cfg["layers"]) | set(sample_cfg["tables"])
    assert result.placed["parcels"].source.path.name == "ZD.shp"
    assert result.placed["buildings"].source.layer == "ZRZ"
    assert result.placed["zoning"].source.layer == "KGDK"
    assert result.placed["enterprises"].source.path.name == "亩均论英雄导出.xlsx"
    assert result.unplaced == ["说明.docx"]


def test_init_reads_county_ruleset_as_of_and_crs_off_the_data(standard_county):
    _, result = standard_county
    s = {k: (v.value if v else None) for k, v in result.settings.items()}
    assert s == {"county": "天台县", "admin_code": "331023", "ruleset": "tiantai-2022",
                 "as_of": dt.date(2023, 6, 30), "crs": "EPSG:4528"}
    assert "331023" in result.settings["admin_code"].evidence


def test_the_written_file_carries_the_evidence(standard_county):
    folder, _ = standard_county
    text = (folder / "workspace.toml").read_text(encoding="utf-8")
    assert 'parcels = { path = "ZD.shp", encoding = "GBK" }' in text     # GBK detected without a .cpg
    assert "ZDDM→parcel_id" in text and "QLRMC→owner_name" in text and "YT→land_use_code" in text
    assert 'buildings = { path = "不动产及规划.gdb", layer = "ZRZ" }' in text
    assert "说明.docx: 不支持的文件类型" in text
    assert 'folder = "界址点"' in text and "date = 2021-10-15" in text
    cfg = read_config(folder)
    assert cfg["workspace"]["ruleset"] == "tiantai-2022"


def test_gbk_detection_with_and_without_cpg(standard_county):
    folder, _ = standard_county
    assert dbf_encoding(folder / "ZD.shp") == "GBK"
    assert dbf_encoding(folder / "园区范围.shp") is None        # has a .cpg: GDAL honours it


def test_init_then_analyse_gives_the_sample_findings(standard_county, sample_results):
    from geo_tenglong.pipeline import analyse

    folder, _ = standard_county
    ws = load_workspace(folder)
    assert (ws.parcels["land_use_code"] == "0601").all()          # GB/T 21010 codes count as industrial
    assert sorted(ws.data_issues.loc[ws.data_issues["kind"] == "total_row", "source"].map(
        lambda p: p.rsplit("/", 1)[-1])) == ["亩均论英雄导出.xlsx", "亩均论英雄导出.xlsx", "出让合同台账.xlsx"]
    ours = analyse(ws).findings.groupby(["rule_id", "status"]).size()
    theirs = sample_results.findings.groupby(["rule_id", "status"]).size()
    both = pd.concat({"standard": ours, "sample": theirs}, axis=1).fillna(0)
    assert both["sample"].sum() > 1000
    assert both[both["standard"] != both["sample"]].empty, both[both["standard"] != both["sample"]]


def test_init_never_overwrites_without_force(tmp_path, sample_dir):
    (tmp_path / "workspace.toml").write_text("# mine\n", encoding="utf-8")
    with pytest.raises(InputError, match="--force"):
        init_workspace(tmp_path)
    assert (tmp_path / "workspace.toml").read_text(encoding="utf-8") == "# mine\n"


def test_cli_writes_to_another_file_with_relative_paths(tmp_path, sample_dir):
    from geo_tenglong.cli.init import init_cmd

    out = tmp_path / "cfg" / "workspace.toml"
    res = CliRunner().invoke(init_cmd, [str(sample_dir / "deqing"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "德清县" in res.output and "deqing-2021" in res.output
    text = out.read_text(encoding="utf-8")
    assert str((sample_dir / "deqing" / "deqing.gpkg").resolve()) in text     # outside cfg/: absolute
    again = CliRunner().invoke(init_cmd, [str(sample_dir / "deqing"), "-o", str(out)])
    assert again.exit_code != 0 and isinstance(again.exception, InputError)
    assert CliRunner().invoke(init_cmd, [str(sample_dir / "deqing"), "-o", str(out), "--force"]).exit_code == 0


def test_an_empty_folder_leaves_the_questions_open(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing here", encoding="utf-8")
    result = init_workspace(tmp_path)
    assert "# parcels = ?" in result.text and "# county = ?" in result.text
    assert result.unplaced == ["notes.txt"]


def _parcels_gdf(n=4):
    import geopandas as gpd

    from conftest import box

    return gpd.GeoDataFrame({"ZDDM": [f"331023101001GB0000{i}" for i in range(1, n + 1)],
                             "QLRDM": ["91331023MA2AAAAA0X"] * n, "YT": ["0601"] * n},
                            geometry=[box(i * 100, 0, i * 100 + 90, 90) for i in range(n)], crs=4528)


def test_values_give_away_an_unknown_holder_field(tmp_path):
    _parcels_gdf().to_file(tmp_path / "宗地.gpkg", layer="ZD")
    result = init_workspace(tmp_path)
    g = result.placed["parcels"]
    assert g.mapping["QLRDM"] == "owner_uscc" and g.aliases == {"owner_uscc": ["QLRDM"]}
    assert 'owner_uscc = ["QLRDM"]    # 由字段值推断' in result.text
    ws = load_workspace(tmp_path, as_of="2023-06-30")     # the alias written makes the reader use it
    assert ws.parcels["owner_uscc"].tolist() == ["91331023MA2AAAAA0X"] * 4


def test_zd_beats_dltb_and_points_are_not_placed(tmp_path):
    import geopandas as gpd
    import shapely

    _parcels_gdf().to_file(tmp_path / "ZD.shp", encoding="UTF-8")
    dltb = _parcels_gdf().rename(columns={"ZDDM": "TBBH", "YT": "DLBM"}).drop(columns="QLRDM")
    dltb["DLMC"] = "工业用地"
    dltb.to_file(tmp_path / "DLTB.shp", encoding="UTF-8")
    gpd.GeoDataFrame({"JZDH": ["J1"]}, geometry=[shapely.Point(40503000, 3224000)], crs=4528).to_file(
        tmp_path / "JZD.shp", encoding="UTF-8")
    result = init_workspace(tmp_path)
    assert result.placed["parcels"].source.path.name == "ZD.shp"
    why = {g.source.path.name: " ".join(g.evidence) for g in result.guesses if not g.target}
    assert "已有更符合的数据源" in why["DLTB.shp"]
    assert "Point" in why["JZD.shp"]


def test_a_layer_without_prj_and_a_raster_without_date(tmp_path):
    import numpy as np
    import rasterio

    _parcels_gdf().to_file(tmp_path / "ZD.shp", encoding="UTF-8")
    (tmp_path / "ZD.prj").unlink()
    with rasterio.open(tmp_path / "土地覆盖.tif", "w", driver="GTiff", width=4, height=4, count=1, dtype="uint8",
                       crs="EPSG:4528", transform=rasterio.transform.from_origin(40503000, 3224100, 2, 2)) as r:
        r.write(np.ones((1, 4, 4), dtype="uint8"))
    result = init_workspace(tmp_path)
    assert result.settings["crs"].value == "EPSG:4528" and "无坐标系文件" in result.settings["crs"].evidence
    assert '{ path = "土地覆盖.tif" }' in result.text and "缺日期的影像请补上" in result.text
    assert "默认值,请按影像的分类核对" in result.text
    assert result.settings["as_of"] is None and "# as_of = ?" in result.text


def test_cli_exit_code_2_when_the_file_exists(tmp_path):
    from geo_tenglong.cli import main

    (tmp_path / "workspace.toml").write_text("", encoding="utf-8")
    res = CliRunner().invoke(main, ["init", str(tmp_path)])
    assert res.exit_code == 2 and "--force" in res.output


def test_a_named_layer_missing_its_id_field_is_placed_with_the_question(tmp_path):
    gdf = _parcels_gdf().rename(columns={"ZDDM": "BH"})
    gdf["BH"] = ["1", "2", "3", "4"]                      # no 宗地代码 anywhere
    gdf.to_file(tmp_path / "ZD.shp", encoding="UTF-8")
    result = init_workspace(tmp_path)
    assert result.placed["parcels"].missing == ["parcel_id"]
    assert 'parcels = "ZD.shp"' in result.text
    assert "parcels: parcel_id —— 在 [aliases] 中写明本县字段名" in result.text
    with pytest.raises(InputError, match="parcel_id"):
        load_workspace(tmp_path, ruleset="tiantai-2022", as_of="2023-06-30")


def test_outputs_of_a_run_and_excel_lock_files_are_skipped(tmp_path):
    _parcels_gdf().to_file(tmp_path / "ZD.shp", encoding="UTF-8")
    (tmp_path / "out").mkdir()
    _parcels_gdf().to_file(tmp_path / "out" / "results.gpkg", layer="parcels")
    (tmp_path / "~$亩均.xlsx").write_bytes(b"lock")
    result = init_workspace(tmp_path)
    assert [s.path.name for s in result.sources] == ["ZD.shp"]


def test_a_subfolder_that_is_a_workspace_is_not_scanned(tmp_path):
    """layers/quarters/2023Q3 or layers/deqing hold their own workspace.toml: not this folder's inputs."""
    _parcels_gdf().to_file(tmp_path / "ZD.shp", encoding="UTF-8")
    for sub, toml in (("2023Q3", True), ("资料", False)):
        (tmp_path / sub).mkdir()
        _parcels_gdf().to_file(tmp_path / sub / "ZD.shp", encoding="UTF-8")
        if toml:
            (tmp_path / sub / "workspace.toml").write_text("[workspace]\n", encoding="utf-8")
    assert sorted(s.path.relative_to(tmp_path).as_posix() for s in scan_folder(tmp_path)) == ["ZD.shp", "资料/ZD.shp"]


def test_the_sample_root_prefers_its_own_files_over_a_subfolder(sample_dir, tmp_path):
    result = init_workspace(sample_dir, out=tmp_path / "workspace.toml")     # layers/ holds deqing/ too
    assert result.settings["county"].value == "天台县"
    assert result.placed["parcels"].source.path.name == "tiantai.gpkg"
    assert result.placed["enterprises"].source.path.parent == sample_dir.resolve()


def test_a_separate_qlr_table_fills_the_holders(tmp_path):
    """权利人 (QLR) kept apart from 宗地, as a GBK .dbf without .cpg: init places it, the reader joins it."""
    zd = _parcels_gdf().drop(columns="QLRDM")
    zd.to_file(tmp_path / "ZD.shp", encoding="UTF-8")
    qlr = pd.DataFrame({"BDCDYH": [f"331023101001GB0000{i}W00000000" for i in (1, 2, 2, 3)],
                        "QLRMC": ["甲公司", "乙公司", "丙公司", "丁公司"],
                        "ZJH": ["91331023MA2AAAAA0X", "91331023MA2AAAAB0Y", "91331023MA2AAAAC0Z", None]})
    import pyogrio

    pyogrio.write_dataframe(qlr, tmp_path / "QLR.dbf", driver="ESRI Shapefile", encoding="GBK")
    (tmp_path / "QLR.cpg").unlink(missing_ok=True)
    result = init_workspace(tmp_path)
    assert result.placed["holders"].source.path.name == "QLR.dbf"
    ws = load_workspace(tmp_path, as_of="2023-06-30")
    p = ws.parcels.set_index("parcel_id")
    assert p.loc["331023101001GB00001", "owner_name"] == "甲公司"
    assert p.loc["331023101001GB00002", "owner_uscc"] == "91331023MA2AAAAB0Y"      # 共有: the first holder
    assert pd.isna(p.loc["331023101001GB00004", "owner_name"])
    shared = ws.data_issues[ws.data_issues["kind"] == "shared_holders"]
    assert shared["message"].tolist() == ["宗地331023101001GB00002有2个权利人(共有),取第一个"]
