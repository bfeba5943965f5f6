"""TT-CORNER-PTS: the workspace's corner files are read by run and checked against the parcels."""

from __future__ import annotations

import shapely

from geo_tenglong.analysis.corner_files import assess_corner_files
from geo_tenglong.io.coords import write_coords
from geo_tenglong.pipeline import base_parcels
from geo_tenglong.results import Results
from geo_tenglong.results_schema import check_stage
from geo_tenglong.workspace import load_workspace

from conftest import write_workspace


def _ws(tmp_path, parcels, files_from, ruleset="tiantai-2022"):
    root = write_workspace(tmp_path / "ws", parcels, extra_toml='[coords]\nfolder = "jzd"\n', ruleset=ruleset)
    (root / "jzd").mkdir()
    write_coords(files_from, root / "jzd", one_file_per_parcel=True)
    ws = load_workspace(root)
    return ws, Results(info={}, parcels=base_parcels(ws))


def test_files_match_parcels_and_a_shifted_one_is_reported(tmp_path, tiny_parcels):
    files = tiny_parcels.iloc[:2].copy()
    files["plot_no"] = files["parcel_id"]
    # the second file's red line lies 0.30 m east of the parcel polygon
    files.loc[1, "geometry"] = shapely.affinity.translate(files.geometry.iloc[1], xoff=0.30)
    ws, res = _ws(tmp_path, tiny_parcels, files)
    out = assess_corner_files(ws, res)
    f = out.findings.set_index("parcel_id")
    assert f.loc["331023101001GB00001", "status"] == "pass"
    assert f.loc["331023101001GB00002", "status"] == "warn"
    assert abs(f.loc["331023101001GB00002", "value"] - 0.30) < 0.002
    assert (out.findings["clause"] == "四(三)").all()
    cols = out.parcel_columns
    assert cols["corner_source"].tolist() == ["界址点文件", "界址点文件", "宗地图形"]
    assert cols["point_labels"].iloc[0].startswith("J1,")


def test_a_plot_for_no_parcel_and_a_broken_file(tmp_path, tiny_parcels):
    files = tiny_parcels.iloc[:1].copy()
    files["parcel_id"] = "331023101001GB09999"
    ws, res = _ws(tmp_path, tiny_parcels, files)
    (ws.coords_folder / "broken.txt").write_text("[属性描述]\n坐标系=2000国家大地坐标系\n[地块坐标]\n1,2,3\n", encoding="utf-8")
    out = assess_corner_files(ws, res)
    statuses = dict(zip(out.findings["message"].str[:12], out.findings["status"]))
    assert "missing_data" in statuses.values() and "warn" in statuses.values()
    assert out.summary["files_failed"] == 1 and out.summary["matched"] == 0


def test_deqing_has_no_such_clause(tmp_path, tiny_parcels):
    files = tiny_parcels.iloc[:1].copy()
    ws, res = _ws(tmp_path, tiny_parcels, files, ruleset="deqing-2021")
    out = assess_corner_files(ws, res)
    assert out.findings["status"].tolist() == ["not_applicable"]
    assert out.parcel_columns["corner_source"].iloc[0] == "界址点文件"


def test_area_disagreement_becomes_a_finding_of_the_stage(tmp_path, tiny_parcels):
    # io reports the disagreement as data; the stage gives it rule id and clause
    files = tiny_parcels.iloc[:1].copy()
    files["plot_no"] = files["parcel_id"]
    files["stated_area"] = "9.9999"                      # 公顷, far from the polygon's area
    ws, res = _ws(tmp_path, tiny_parcels, files)
    out = assess_corner_files(ws, res)
    area = out.findings[out.findings["unit"] == "m²"]
    assert len(area) == 1
    row = area.iloc[0]
    assert (row.parcel_id, row.rule_id, row.clause, row.status) == ("331023101001GB00001", "TT-CORNER-PTS", "四(三)",
                                                                     "warn")
    assert "9.9999" in row.message
    check_stage("corner_files", out)                     # publishes only what the schema declares
