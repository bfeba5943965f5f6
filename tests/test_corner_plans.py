"""零增地技改 plans requesting corner plots, checked against TT-CORNER 四(六) (a), (b), (c).

Numbers are worked out by hand from the layout (metres from conftest.ORIGIN):

- P1 = box(0,0,100,100): 10 000 m², floor area before 8 000 m² → FAR 0.8. 20 % = 2 000 m².
- P2 = box(200,0,300,100): 10 000 m², floor area 8 000 m².
- P3 = box(0,300,300,500): 60 000 m² (90 亩), floor area 30 000 m² → FAR 0.5. 20 % = 12 000 m², so
  the 10 亩 = 6 666.67 m² cap binds.
- N  = box(100,0,150,100): P1's neighbour to the east.
- 永久基本农田 box(200,100,250,140); 城镇开发边界 and 控规 M1 cover everything.

The floor areas before come from a stand-in for the intensity stage (``floor_area_m2``).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo_tenglong.analysis.corner_plans import assess_corner_plans
from geo_tenglong.findings import FAIL, MISSING_DATA, NOT_APPLICABLE, PASS
from geo_tenglong.pipeline import analyse
from geo_tenglong.results_schema import stage_schema
from geo_tenglong.stage import Stage, StageResult
from geo_tenglong.workspace import load_workspace

from conftest import ZONE40, box, write_workspace

M2_PER_MU = 10000 / 15
P = {"P1": "331023101001GB00001", "P2": "331023101001GB00002", "P3": "331023101001GB00003",
     "N": "331023101001GB00004"}
FLOOR_BEFORE = {P["P1"]: 8000.0, P["P2"]: 8000.0, P["P3"]: 30000.0, P["N"]: 0.0}
THIRD = 100 / 3  # 200 × 100/3 = 6 666.67 m² = 10 亩

# renovation_id: (parcel, requested plot or None, floor_area_after_m2, renovation_floor_area_m2)
PLANS = {
    # exactly 20 %; FAR after 11520 / 12000 = 0.96 = 1.2 × 0.8 exactly; share 1000/11520 = 8.7 %
    "R01": ("P1", box(0, 100, 100, 120), 11520.0, 1000.0),
    # 1 m² over 20 % (2001 m²); FAR after 11520 / 12001 → +19.99 %, share 8.7 %: (c) fails too
    "R02": ("P1", box(0, 100, 100, 120.01), 11520.0, 1000.0),
    # exactly 10 亩; FAR after 38000 / 66666.67 = 0.57 (+14 %), but 7600 / 38000 = exactly 20 %
    "R03": ("P3", box(300, 300, 300 + THIRD, 500), 38000.0, 7600.0),
    # 2 m² over 10 亩
    "R04": ("P3", box(300, 300, 300 + THIRD + 0.01, 500), 38000.0, 7600.0),
    # half of the plot (1000 of 2000 m²) in 永久基本农田
    "R05": ("P2", box(200, 100, 300, 120), 20000.0, 9000.0),
    # 5 m away from P2: not adjacent
    "R06": ("P2", box(200, -25, 300, -5), 20000.0, 9000.0),
    # touches P2 only at its corner (300, 100)
    "R07": ("P2", box(300, 100, 320, 200), 20000.0, 9000.0),
    # on the neighbour's land (overlaps N by 20 × 100 = 2000 m²)
    "R08": ("P1", box(100, 0, 120, 100), 20000.0, 9000.0),
    # no plot requested
    "R09": ("P1", None, 9000.0, 1000.0),
    # two plots together (500 + 500 m² = 10 %), the second 10 m west of P1: not adjacent
    "R11": ("P1", shapely.MultiPolygon([box(0, 100, 50, 110), box(-20, 0, -10, 50)]), 11520.0, 3000.0),
    # a parcel that does not exist (share 1000/20000 = 5 % cannot carry (c) without the FAR)
    "R10": ("331023101001GB09999", box(0, -20, 100, 0), 20000.0, 1000.0),
}


def _gdf(geoms, **cols):
    return gpd.GeoDataFrame(cols or {"id": [str(i) for i in range(len(geoms))]}, geometry=geoms, crs=ZONE40)


def _workspace(tmp_path, ruleset="tiantai-2022"):
    parcels = _gdf([box(0, 0, 100, 100), box(200, 0, 300, 100), box(0, 300, 300, 500), box(100, 0, 150, 100)],
                   parcel_id=[P["P1"], P["P2"], P["P3"], P["N"]])
    plans = _gdf([g for _, g, _, _ in PLANS.values()], renovation_id=list(PLANS),
                 parcel_id=[P.get(p, p) for p, _, _, _ in PLANS.values()],
                 floor_area_after_m2=[f for _, _, f, _ in PLANS.values()],
                 renovation_floor_area_m2=[r for _, _, _, r in PLANS.values()])
    everywhere = box(-100, -100, 1000, 1000)
    layers = {"renovations": plans, "urban_boundary": _gdf([everywhere]),
              "basic_farmland": _gdf([box(200, 100, 250, 140)]), "eco_redline": _gdf([box(900, 900, 950, 950)]),
              "zoning": _gdf([everywhere], zone_id=["Z1"], land_use_code=["M1"])}
    return load_workspace(write_workspace(tmp_path / "ws", parcels, layers=layers, ruleset=ruleset))


def _floor_area_stage(ws, results):
    """Stand-in for the intensity stage: publishes ``floor_area_m2`` and ``far``."""
    cols = pd.DataFrame({"parcel_id": list(FLOOR_BEFORE), "floor_area_m2": list(FLOOR_BEFORE.values())})
    cols = cols.set_index("parcel_id")
    area = results.parcels.set_index("parcel_id")["area_m2"]
    cols["far"] = cols["floor_area_m2"] / area.reindex(cols.index)
    for f in stage_schema("intensity").parcel_columns:  # the other declared intensity columns, unknown here
        if f.name not in cols.columns:
            cols[f.name] = np.nan
    return StageResult(parcel_columns=cols)


def _run(ws, with_far=True):
    stages = ([Stage("intensity", "用地强度", _floor_area_stage)] if with_far else []) + \
        [Stage("corner_plans", "零增地技改用地核查", assess_corner_plans)]
    return analyse(ws, stages=stages)


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    return _workspace(tmp_path_factory.mktemp("plans"))


@pytest.fixture(scope="module")
def results(ws):
    return _run(ws)


def _f(results, rid, cond):
    """The finding of one condition: (a) by unit %, threshold 100; (b) share % / 20; (b) 亩; (c) by message."""
    f = results.findings[(results.findings["parcel_id"] == rid) & (results.findings["rule_id"] == "TT-CORNER")]
    hit = f[f["message"].str.startswith({"a": "(a)", "b_share": "(b)面积占比", "b_area": "(b)面积上限",
                                         "c": "(c)"}[cond])]
    assert len(hit) == 1, (rid, cond, f)
    row = hit.iloc[0]
    assert row["clause"] == "四(六)"
    return row


def test_exactly_20_pct_passes_and_just_over_fails(results):
    b = _f(results, "R01", "b_share")
    assert b["status"] == PASS and b["value"] == pytest.approx(20.0) and b["threshold"] == 20.0 and b["unit"] == "%"
    b = _f(results, "R02", "b_share")
    assert b["status"] == FAIL and b["value"] == pytest.approx(20.01)
    # both are well under 10 亩 (2000 m² = 3 亩)
    assert _f(results, "R01", "b_area")["status"] == PASS
    assert _f(results, "R01", "b_area")["value"] == pytest.approx(3.0)


def test_exactly_10_mu_passes_and_just_over_fails(results):
    b = _f(results, "R03", "b_area")
    assert b["status"] == PASS and b["value"] == pytest.approx(10.0, abs=1e-9) and b["threshold"] == 10.0
    assert b["unit"] == "亩"
    b = _f(results, "R04", "b_area")
    assert b["status"] == FAIL and b["value"] == pytest.approx(10.0 + 2.0 / M2_PER_MU)
    # 10 亩 of a 90 亩 parcel is 11.1 %: the share limit passes, only the cap bites
    s = _f(results, "R04", "b_share")
    assert s["status"] == PASS and s["value"] == pytest.approx(100 * (20000 / 3 + 2) / 60000)


def test_far_rise_of_exactly_20_pct_passes(results):
    c = _f(results, "R01", "c")
    assert c["status"] == PASS and c["value"] == pytest.approx(20.0) and c["threshold"] == pytest.approx(20.0)
    # the FAR after counts the requested plot as land: 11520 / (10000 + 2001)
    c = _f(results, "R02", "c")
    assert c["status"] == FAIL
    assert c["value"] == pytest.approx((11520 / 12001 / 0.8 - 1) * 100)


def test_renovation_share_of_exactly_20_pct_passes_alone(results):
    c = _f(results, "R03", "c")
    assert c["status"] == PASS
    assert c["value"] == pytest.approx(20.0)  # 7600 / 38000, reported as the passing alternative
    table = results.layers["corner_plan_checks"].set_index("renovation_id")
    assert table.loc["R03", "far_after"] == pytest.approx(0.57, abs=1e-4)
    assert table.loc["R03", "far_rise_pct"] == pytest.approx(14.0, abs=0.01)
    assert table.loc["R03", "renovation_share_pct"] == pytest.approx(20.0)


def test_plot_half_in_farmland_fails_a(results):
    a = _f(results, "R05", "a")
    assert a["status"] == FAIL and a["value"] == pytest.approx(50.0) and a["threshold"] == 100.0
    assert "永久基本农田1000.0㎡" in a["message"]
    assert _f(results, "R01", "a")["status"] == PASS and _f(results, "R01", "a")["value"] == pytest.approx(100.0)


def test_plot_not_adjacent_or_touching_at_a_corner_fails_a(results):
    for rid in ("R06", "R07"):
        a = _f(results, rid, "a")
        assert a["status"] == FAIL and "不相邻" in a["message"], rid
        assert a["value"] == 0.0


def test_plot_on_another_parcel_fails_a(results):
    a = _f(results, "R08", "a")
    assert a["status"] == FAIL and "重叠2000.0㎡" in a["message"]


def test_plan_without_plots_and_unknown_parcel(results):
    f = results.findings[results.findings["parcel_id"] == "R09"]
    assert list(f["status"]) == [NOT_APPLICABLE]
    assert _f(results, "R10", "b_share")["status"] == MISSING_DATA
    assert _f(results, "R10", "a")["status"] == MISSING_DATA
    assert _f(results, "R10", "c")["status"] == MISSING_DATA


def test_checks_table(results):
    t = results.layers["corner_plan_checks"].set_index("renovation_id")
    assert t.loc["R01", "overall"] == PASS and t.loc["R01", "requested_area_m2"] == 2000.0
    assert t.loc["R01", "original_area_m2"] == 10000.0 and t.loc["R01", "far_before"] == pytest.approx(0.8)
    assert t.loc["R02", "overall"] == FAIL and "(b)面积占比" in t.loc["R02", "reason"]
    assert t.loc["R04", "cond_b_area"] == FAIL and t.loc["R04", "cond_b_share"] == PASS
    assert t.loc["R09", "overall"] == NOT_APPLICABLE


def test_without_far_the_far_test_is_missing_data(ws):
    res = _run(ws, with_far=False)
    assert _f(res, "R01", "c")["status"] == MISSING_DATA  # share 8.7 % cannot carry it alone
    assert _f(res, "R03", "c")["status"] == PASS  # share exactly 20 % carries it
    assert _f(res, "R01", "b_share")["status"] == PASS


def test_deqing_reports_not_applicable(tmp_path):
    res = _run(_workspace(tmp_path, ruleset="deqing-2021"))
    f = res.findings[res.findings["rule_id"] == "TT-CORNER"]
    assert set(f["status"]) == {NOT_APPLICABLE}
    assert (f["parcel_id"] == "R01").sum() == 4
    assert np.all(f.loc[f["parcel_id"] == "R01", "message"].str.contains("本县规则集无此条款"))


def test_several_plots_count_together_and_each_must_be_adjacent(results):
    b = _f(results, "R11", "b_share")
    assert b["status"] == PASS and b["value"] == pytest.approx(10.0)  # (500 + 500) / 10000
    a = _f(results, "R11", "a")
    assert a["status"] == FAIL and a["value"] == pytest.approx(50.0) and "不相邻" in a["message"]
    t = results.layers["corner_plan_checks"].set_index("renovation_id")
    assert t.loc["R11", "plot_count"] == 2 and t.loc["R11", "requested_area_m2"] == 1000.0
