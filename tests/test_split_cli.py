"""``geo-tenglong check-split`` / ``check-merge`` and the ``split_merge`` stage in a run."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from geo_tenglong.cli import check as check_mod
from geo_tenglong.cli import main

from conftest import ZONE40, write_workspace
from test_split_merge_cases import (
    BUYER_B,
    BUYER_D,
    P_CORNER,
    P_EAST,
    P_MAIN,
    buildings,
    cut_line,
    eval_table,
    parcels,
    proposal,
)


@pytest.fixture
def ws(tmp_path):
    props = pd.concat([proposal("S-OK", P_MAIN, [100, 200]), proposal("S-SMALL", P_MAIN, [66.66]),
                       proposal("S-UNKNOWN", "331023999999GB99999", [100])], ignore_index=True)
    props = gpd.GeoDataFrame(props, geometry="geometry", crs=ZONE40)
    merge_csv = ("方案编号,宗地代码列表,受让方统一社会信用代码\n"
                 f"M-OK,{P_MAIN};{P_EAST},{BUYER_B}\n"
                 f"M-CORNER,{P_EAST};{P_CORNER},{BUYER_D}\n"
                 f"M-UNKNOWN,{P_MAIN};331023999999GB99999,{BUYER_B}\n")
    root = tmp_path / "ws"
    root.mkdir()
    (root / "merge.csv").write_text(merge_csv, encoding="utf-8")
    return write_workspace(root, parcels(), layers={"buildings": buildings(), "split_proposals": props},
                           extra_toml='\n[tables]\nmerge_proposals = "merge.csv"\n')


@pytest.fixture
def with_classes(monkeypatch):
    monkeypatch.setattr(check_mod, "enterprise_eval", lambda ws, parcels: eval_table())


def invoke(*args):
    return CliRunner().invoke(main, list(map(str, args)))


def test_check_split_prints_a_condition_table_per_proposal(ws, with_classes):
    r = invoke("check-split", "--workspace", ws)
    assert r.exit_code == 0, r.output
    out = r.output
    for word in ("条件", "结果", "实测值", "限值", "说明"):
        assert word in out
    assert "方案 S-OK" in out and "方案 S-SMALL" in out and "方案 S-UNKNOWN" in out
    block = out.split("方案 S-SMALL:")[1].split("方案 S-UNKNOWN:")[0]
    line = next(ln for ln in block.splitlines() if ln.strip().startswith("每宗面积"))
    assert "不符合" in line and "9.9990 亩" in line and "≥10 亩" in line and "TT-SPLIT 四(八)" in line
    ok = out.split("方案 S-OK:")[1].split("方案 S-SMALL:")[0]
    assert "结论: 符合" in ok.splitlines()[0]
    assert "受让方亩均评价" in ok and "B 类" in ok
    unknown = out.split("方案 S-UNKNOWN:")[1]
    assert "结论: 不符合" in unknown and "331023999999GB99999 不在宗地图层中" in unknown
    assert "共 3 个分割方案" in out


def test_check_split_reads_a_proposal_file_of_lines(ws, tmp_path, with_classes):
    lines = gpd.GeoDataFrame({"方案编号": ["L1", "L1"], "宗地代码": [P_MAIN, P_MAIN], "受让方统一社会信用代码": [BUYER_D] * 2},
                             geometry=[cut_line(100), cut_line(200)], crs=ZONE40)
    path = tmp_path / "cuts.geojson"
    lines.to_file(path, driver="GeoJSON")
    r = invoke("check-split", path, "--workspace", ws)
    assert r.exit_code == 0, r.output
    assert "方案 L1" in r.output and "3 块 (15.0000 / 15.0000 / 15.0000 亩)" in r.output
    line = next(ln for ln in r.output.splitlines() if ln.strip().startswith("受让方亩均评价"))
    assert "不符合" in line and "D 类" in line
    assert "共 1 个分割方案" in r.output


def test_check_split_under_deqing_is_not_applicable(ws, with_classes):
    r = invoke("check-split", "--workspace", ws, "--ruleset", "deqing-2021")
    assert r.exit_code == 0, r.output
    assert "本县规则集无此条款" in r.output and "结论: 不适用" in r.output and "不符合" not in r.output


def test_check_merge_from_the_workspace_and_from_a_file(ws, tmp_path, with_classes):
    r = invoke("check-merge", "--workspace", ws)
    assert r.exit_code == 0, r.output
    out = r.output
    ok = out.split("方案 M-OK:")[1].split("方案 M-CORNER:")[0]
    assert "结论: 符合" in ok and "合并后使用期限至 2055-12-31" in ok
    adj = next(ln for ln in ok.splitlines() if ln.strip().startswith("界线相邻"))
    assert "100.00 m" in adj and "≥1 m" in adj
    corner = out.split("方案 M-CORNER:")[1].split("方案 M-UNKNOWN:")[0]
    line = next(ln for ln in corner.splitlines() if ln.strip().startswith("界线相邻"))
    assert "不符合" in line and "0.00 m" in line
    assert "331023999999GB99999 不在宗地图层中" in out.split("方案 M-UNKNOWN:")[1]
    # an xlsx file with the same rows
    xlsx = tmp_path / "merge.xlsx"
    pd.read_csv(ws / "merge.csv", dtype=str).iloc[:1].to_excel(xlsx, index=False)
    r = invoke("check-merge", xlsx, "--workspace", ws)
    assert r.exit_code == 0, r.output
    assert "方案 M-OK" in r.output and "共 1 个合并方案" in r.output


def test_bad_proposal_files_exit_2_naming_the_file(ws, tmp_path):
    bad = tmp_path / "proposals.txt"
    bad.write_text("x", encoding="utf-8")
    r = invoke("check-split", bad, "--workspace", ws)
    assert r.exit_code == 2 and "proposals.txt" in r.output and ".gpkg" in r.output
    r = invoke("check-merge", tmp_path / "none.csv", "--workspace", ws)
    assert r.exit_code == 2 and "none.csv" in r.output
    no_cols = tmp_path / "m.csv"
    no_cols.write_text("方案编号\nM1\n", encoding="utf-8")
    r = invoke("check-merge", no_cols, "--workspace", ws)
    assert r.exit_code == 2 and "parcel_ids" in r.output


def test_workspace_without_proposals_asks_for_a_file(tmp_path):
    root = write_workspace(tmp_path / "bare", parcels())
    r = invoke("check-split", "--workspace", root)
    assert r.exit_code == 2 and "split_proposals" in r.output
    r = invoke("check-merge", "--workspace", root)
    assert r.exit_code == 2 and "merge_proposals" in r.output


def test_stage_writes_split_checks_and_merge_checks(ws, tmp_path):
    """The split_merge stage on its own (the other stages are tested by their owners), written and read back."""
    from geo_tenglong.pipeline import STAGES, analyse
    from geo_tenglong.results import Results
    from geo_tenglong.workspace import load_workspace

    names = [s.name for s in STAGES]
    assert names.index("split_merge") == names.index("targets") - 1
    stage = [s for s in STAGES if s.name == "split_merge"]
    results = analyse(load_workspace(ws), stages=stage)
    out = tmp_path / "out"
    results.write(out)
    back = Results.read(out)
    assert {"split_checks", "merge_checks"} <= set(back.layers)
    parts = back.layers["split_checks"]
    assert len(parts) == 3 + 2 + 2
    verdicts = parts.drop_duplicates("proposal_id").set_index("proposal_id")["verdict"].to_dict()
    assert verdicts == {"S-OK": "missing_data", "S-SMALL": "fail", "S-UNKNOWN": "fail"}  # no 亩均评价 → buyer unknown
    merge = back.layers["merge_checks"].set_index("proposal_id")
    assert merge.loc["M-OK", "unified_term_end"] == "2055-12-31"
    assert merge["verdict"].to_dict() == {"M-OK": "missing_data", "M-CORNER": "fail", "M-UNKNOWN": "fail"}
    mine = back.findings
    assert set(mine["rule_id"]) == {"TT-SPLIT", "TT-MERGE", "TT-TRANSFER"}
    assert (mine["clause"] == "四(八)").all()
    assert results.summary["split_merge"] == {"split_proposals": 3, "split_verdicts": {"fail": 2, "missing_data": 1},
                                              "merge_proposals": 3, "merge_verdicts": {"fail": 2, "missing_data": 1}}
