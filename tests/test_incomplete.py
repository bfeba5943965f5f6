"""No silent empty result: `run` says 数据不足 and exits 1 (geo_tenglong/completeness.py)."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from geo_tenglong.cli import main
from geo_tenglong.completeness import (
    MIN_BUILDING_SHARE,
    MIN_CONTRACT_SHARE,
    MIN_HOLDER_SHARE,
    check_completeness,
    coverage_problems,
)
from geo_tenglong.coverage import compute_coverage
from geo_tenglong.workspace import load_workspace

from conftest import REPO, box, write_workspace

U1, U2 = "91331023MA2AAAAA0X", "91331023MA2AAAAB0Y"
IDS = [f"331023101001GB0000{i}" for i in range(1, 4)]


def _ws(root, codes=("1001",) * 3, buildings=True):
    parcels = gpd.GeoDataFrame({"parcel_id": IDS, "owner_uscc": [U1, U2, None], "land_use_code": list(codes)},
                               geometry=[box(i * 100, 0, i * 100 + 100, 100) for i in range(3)], crs=4528)
    layers = {}
    if buildings:
        layers["buildings"] = gpd.GeoDataFrame(
            {"building_id": ["B1", "B2"], "floors": [3, 2], "height_m": [15.0, 10.0], "use": ["生产", "生产"]},
            geometry=[box(10, 10, 60, 60), box(110, 10, 170, 70)], crs=4528)
    root.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"统一社会信用代码": [U1, U2], "企业名称": ["甲公司", "乙公司"], "年度": [2022, 2022],
                  "企业规模": ["规上", "规上"], "营业收入(万元)": [5000.0, 800.0], "税收实际贡献(万元)": [300.0, 20.0],
                  "工业增加值(万元)": [1200.0, 150.0], "年平均职工人数(人)": [80, 20],
                  "综合能耗(吨标煤)": [500.0, 100.0]}).to_csv(root / "ent.csv", index=False)
    return write_workspace(root, parcels, layers=layers, extra_toml='\n[tables]\nenterprises = "ent.csv"\n')


def _run(ws, tmp_path, *extra):
    return CliRunner().invoke(main, ["run", str(ws), "--out", str(tmp_path / "out"), "--maps", str(tmp_path / "maps"),
                                     "-q", *extra], env={"GEO_TENGLONG_CHROMIUM": "none"})


@pytest.fixture(scope="module")
def not_industrial(tmp_path_factory):
    """A workspace whose parcels are all coded 0701 (城镇住宅用地), run once."""
    tmp = tmp_path_factory.mktemp("not_industrial")
    ws = _ws(tmp / "ws", codes=("0701",) * 3)
    return ws, tmp, _run(ws, tmp)


def test_no_industrial_parcel_exits_1_with_the_line(not_industrial):
    _, _, r = not_industrial
    assert r.exit_code == 1, r.output
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("数据不足")]
    assert len(lines) == 1 and "没有一宗按用地代码计为工业用地" in lines[0], r.stderr
    assert r.stdout == ""  # quiet: the problems are on stderr only


def test_no_industrial_parcel_is_marked_in_summary_workbook_and_onepager(not_industrial):
    _, tmp, _ = not_industrial
    out = tmp / "out"
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    marks = summary["info"]["incomplete"]
    assert [m["stage"] for m in marks] == ["efficiency"]
    assert marks[0]["message"].startswith("数据不足: 3 宗宗地中没有一宗")
    book = load_workbook(out / "腾笼换鸟清单.xlsx", read_only=True)
    first, second = book.worksheets[:2]
    assert "数据不足: 3 宗宗地中没有一宗" in str(first.cell(2, 1).value)
    assert first.cell(2, 1).value.startswith("制表单位：")
    assert "数据不足" not in str(second.cell(2, 1).value)  # the first sheet only
    html = (out / "一页纸汇报.html").read_text(encoding="utf-8")
    assert "结果不完整" in html and "数据不足: 3 宗宗地中没有一宗" in html
    assert "本次运行无亩均效益评价数据" not in html  # the class chart's place says why instead


def test_allow_incomplete_exits_0_and_keeps_the_marks(tmp_path):
    ws = _ws(tmp_path / "ws", codes=("0701",) * 3)
    r = _run(ws, tmp_path, "--allow-incomplete")
    assert r.exit_code == 0, r.output
    assert "数据不足" in r.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert len(summary["info"]["incomplete"]) == 1


def test_without_buildings_the_intensity_line(tmp_path):
    ws = _ws(tmp_path / "ws", buildings=False)
    r = _run(ws, tmp_path)
    assert r.exit_code == 1, r.output
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("数据不足")]
    assert lines == ["数据不足: 缺少建筑物图层,容积率与建筑系数无法计算"]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert [m["stage"] for m in summary["info"]["incomplete"]] == ["intensity"]


def test_a_complete_small_workspace_exits_0_without_marks(tmp_path):
    ws = _ws(tmp_path / "ws")
    r = _run(ws, tmp_path)
    assert r.exit_code == 0, r.output
    assert "数据不足" not in r.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["info"]["incomplete"] == []
    assert "结果不完整" not in (tmp_path / "out" / "一页纸汇报.html").read_text(encoding="utf-8")


def test_an_enterprise_table_matching_no_parcel_is_a_problem_after_analysis(tmp_path):
    ws = _ws(tmp_path / "ws")
    ent = pd.read_csv(ws / "ent.csv", dtype=str)
    ent["统一社会信用代码"] = ["91331023MA2AAAAC0Z", "91331023MA2AAAAD0A"]  # nobody's holder
    ent.to_csv(ws / "ent.csv", index=False)
    from geo_tenglong.pipeline import analyse

    w = load_workspace(ws)
    problems = check_completeness(w, analyse(w))
    assert [p.stage for p in problems] == ["efficiency"]
    assert "没有一宗工业用地的权利人与企业亩均数据匹配" in problems[0].message


def test_low_coverage_thresholds_catch_a_failed_join(tmp_path):
    cov = compute_coverage(load_workspace(_ws(tmp_path / "ws")))
    assert coverage_problems(cov) == []
    low = dict(parcels=1000, parcels_industrial=1000, parcels_holder_matched=int(1000 * MIN_HOLDER_SHARE) - 1,
               industrial_parcels_with_buildings=int(1000 * MIN_BUILDING_SHARE) - 1, contracts=100,
               contracts_matched=int(100 * MIN_CONTRACT_SHARE) - 1, enterprises=900, buildings=50)
    import dataclasses

    problems = coverage_problems(dataclasses.replace(cov, **low))
    assert [p.stage for p in problems] == ["efficiency", "intensity", "idle"]
    assert all(p.message.startswith("数据不足: ") and "\n" not in p.message for p in problems)
    ok = {**low, "parcels_holder_matched": 100, "industrial_parcels_with_buildings": 100, "contracts_matched": 10}
    assert coverage_problems(dataclasses.replace(cov, **ok)) == []


def test_the_sample_is_complete(sample_dir, sample_results):
    assert check_completeness(load_workspace(sample_dir), sample_results) == []


def test_the_deqing_sample_coverage_is_complete(sample_dir):
    deqing = REPO / "layers" / "deqing"
    if not (deqing / "workspace.toml").is_file():
        pytest.skip("layers/deqing not generated")
    assert coverage_problems(compute_coverage(load_workspace(deqing))) == []


def test_after_analysis_zero_evaluated_and_no_far_are_problems():
    from geo_tenglong.completeness import Incomplete, result_problems
    from geo_tenglong.results import Results

    parcels = gpd.GeoDataFrame({"parcel_id": IDS, "far": [float("nan")] * 3},
                               geometry=[box(i * 100, 0, i * 100 + 100, 100) for i in range(3)], crs=4528)
    ev = pd.DataFrame({"uscc": [U1, U2, U2], "year": [2022, 2021, 2022], "eval_class": [None, None, None]})
    res = Results(info={}, parcels=parcels, layers={"enterprise_eval": ev})
    problems = result_problems(res)
    assert [p.stage for p in problems] == ["efficiency", "intensity"]
    assert problems[0].message == "数据不足: 2 家企业中没有一家参评(均未关联到工业用地),亩均效益分类为空"
    # a stage the coverage already flagged is not flagged twice
    assert result_problems(res, [Incomplete("intensity", "数据不足: x")])[0].stage == "efficiency"
    # one evaluated enterprise and one FAR are enough
    ev.loc[0, "eval_class"] = "B"
    parcels.loc[0, "far"] = 1.2
    assert result_problems(Results(info={}, parcels=parcels, layers={"enterprise_eval": ev})) == []
