"""The planted split and merge proposals of the bundled sample county get their expected verdicts.

``layers/manifest.json`` lists the proposals by case (``split.pass``, ``split.fail_min_area`` …);
a ``pass_*`` case must pass and a ``fail_*`` case must fail for the named reason only. Key figures
are recomputed here from the raw layers (areas, the corner contact, the unified term) rather than
trusted from the stage.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner

from geo_tenglong.analysis.split_merge import check_merge, check_split
from geo_tenglong.cli import main
from geo_tenglong.rules import load_ruleset

SPLIT_REASONS = {"fail_min_area": "每宗面积", "fail_max_parts": "分割数量", "fail_building_cut": "以幢为最小分割单位",
                 "fail_not_completed": "已竣工投产", "fail_second_split": "不得二次分割",
                 "fail_merged_parcel": "合并后不得分割", "fail_admin_alone": "行政办公及生活服务用地",
                 "fail_buyer_rating": "受让方亩均评价", "fail_parts_gap": "分块覆盖宗地",
                 "fail_parts_overlap": "分块互不重叠"}
MERGE_REASONS = {"fail_corner_touch": "界线相邻", "fail_rights_type": "使用权类型一致",
                 "fail_buyer_rating": "受让方亩均评价"}


@pytest.fixture(scope="module")
def manifest(sample_dir):
    m = json.loads((sample_dir / "manifest.json").read_text(encoding="utf-8"))
    if "split" not in m or "merge" not in m:
        pytest.skip("the sample has no planted split/merge proposals")
    return m


def _cases(section: dict):
    for key, ids in section.items():
        for pid in ids:
            yield key, pid


def test_split_verdicts(sample_results, manifest):
    parts = sample_results.layers["split_checks"]
    by_id = parts.drop_duplicates("proposal_id").set_index("proposal_id")
    assert set(by_id.index) == {pid for _, pid in _cases(manifest["split"])}
    for key, pid in _cases(manifest["split"]):
        row = by_id.loc[pid]
        if key.startswith("pass"):
            assert row["verdict"] == "pass", (key, pid, row["failed"], row["message"])
        else:
            assert row["verdict"] == "fail", (key, pid)
            assert row["failed"] == SPLIT_REASONS[key], (key, pid, row["failed"], row["message"])


def test_merge_verdicts(sample_results, manifest):
    table = sample_results.layers["merge_checks"].set_index("proposal_id")
    assert set(table.index) == {pid for _, pid in _cases(manifest["merge"])}
    for key, pid in _cases(manifest["merge"]):
        row = table.loc[pid]
        if key.startswith("pass"):
            assert row["verdict"] == "pass", (key, pid, row["failed"], row["message"])
        else:
            assert row["verdict"] == "fail", (key, pid)
            assert row["failed"] == MERGE_REASONS[key], (key, pid, row["failed"], row["message"])


def test_findings_cite_the_rule_and_clause(sample_results, manifest):
    ids = {pid for section in ("split", "merge") for _, pid in _cases(manifest[section])}
    mine = sample_results.findings[sample_results.findings["parcel_id"].isin(ids)]
    assert set(mine["rule_id"]) == {"TT-SPLIT", "TT-MERGE", "TT-TRANSFER"}
    assert (mine["clause"] == "四(八)").all()
    # 13 conditions per split proposal, 8 per merge proposal
    counts = mine.groupby("parcel_id").size()
    for _, pid in _cases(manifest["split"]):
        assert counts[pid] == 13
    for _, pid in _cases(manifest["merge"]):
        assert counts[pid] == 8


def test_split_figures_recomputed_from_the_layers(sample_dir, sample_results, manifest):
    raw = pyogrio.read_dataframe(sample_dir / "tiantai.gpkg", layer="split_proposals")
    mu = shapely.area(raw.geometry.to_numpy()) / (10000 / 15)
    exact = raw["proposal_id"].to_numpy() == manifest["split"]["pass_part_exactly_10mu"][0]
    small = raw["proposal_id"].to_numpy() == manifest["split"]["fail_min_area"][0]
    assert np.isclose(mu[exact].min(), 10.0, atol=1e-6)
    assert np.isclose(mu[small].min(), 9.999, atol=1e-6)
    parts = sample_results.layers["split_checks"]
    assert parts.loc[parts["proposal_id"] == manifest["split"]["pass_part_exactly_10mu"][0], "area_mu"].min() == 10.0
    assert parts.loc[parts["proposal_id"] == manifest["split"]["fail_min_area"][0], "area_mu"].min() == 9.999
    # the cut building: one named, reaching 5 m over; the 5 cm one passes
    cut = parts[parts["proposal_id"] == manifest["split"]["fail_building_cut"][0]]["cut_buildings"].dropna().unique()
    assert len(cut) == 1 and ";" not in cut[0]
    over = sample_results.findings
    over = over[(over["parcel_id"] == manifest["split"]["fail_building_cut"][0]) & (over["unit"] == "m")
                & (over["rule_id"] == "TT-SPLIT")]
    assert over["value"].iloc[0] == pytest.approx(5.0, abs=0.01)
    ok = sample_results.findings
    ok = ok[(ok["parcel_id"] == manifest["split"]["pass_building_over_5cm"][0]) & (ok["unit"] == "m")]
    assert ok["value"].iloc[0] == pytest.approx(0.05, abs=0.005)


def test_merge_figures_recomputed_from_the_layers(sample_dir, manifest):
    parcels = pyogrio.read_dataframe(sample_dir / "tiantai.gpkg", layer="parcels").set_index("parcel_id")
    merges = pd.read_csv(sample_dir / "merge_proposals.csv", dtype=str, encoding="utf-8-sig").set_index("方案编号")
    corner = merges.loc[manifest["merge"]["fail_corner_touch"][0]].iloc[0].split(";")
    a, b = parcels.loc[corner[0], "geometry"], parcels.loc[corner[1], "geometry"]
    assert shapely.intersection(a, b).length == 0 and shapely.distance(a, b) < 0.01  # a point contact
    unified = merges.loc[manifest["merge"]["pass_term_unified"][0]].iloc[0].split(";")
    ends = pd.to_datetime(parcels.loc[unified, "term_end"])
    assert ends.nunique() == 2
    ws_table = check_merge(parcels.reset_index().set_geometry("geometry"),
                           pd.DataFrame({"proposal_id": ["X"], "parcel_ids": [";".join(unified)], "buyer_uscc": [None]}),
                           load_ruleset("tiantai-2022"))[1]
    assert ws_table["unified_term_end"].iloc[0] == ends.min().date().isoformat()


def test_sample_under_deqing_is_not_applicable(sample_dir, manifest):
    from geo_tenglong.workspace import load_workspace

    ws = load_workspace(sample_dir, ruleset="deqing-2021")
    f, parts = check_split(ws.parcels, ws.layer("buildings"), ws.layer("split_proposals"), ws.ruleset)
    assert set(f["status"]) == {"not_applicable"} and set(parts["verdict"]) == {"not_applicable"}
    f, table = check_merge(ws.parcels, ws.table("merge_proposals"), ws.ruleset)
    assert set(f["status"]) == {"not_applicable"} and set(table["verdict"]) == {"not_applicable"}


def test_check_split_cli_on_the_sample(sample_dir, manifest):
    r = CliRunner().invoke(main, ["check-split", "--workspace", str(sample_dir)])
    assert r.exit_code == 0, r.output
    n = sum(len(v) for v in manifest["split"].values())
    fails = sum(len(v) for k, v in manifest["split"].items() if k.startswith("fail"))
    assert f"共 {n} 个分割方案: 不符合 {fails}, 符合 {n - fails}" in r.output
