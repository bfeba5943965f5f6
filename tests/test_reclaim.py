"""可腾退低效用地: class D, TT-T4 and non-government idle land, totalled by park and township."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo_tenglong.analysis.reclaim import assess_reclaim, by_area, reclaim_flags
from geo_tenglong.results import Results

from test_efficiency_support import make_ws, parcels_frame


def parcels_with_columns(idle=True):
    p = parcels_frame([
        {"parcel_id": "A", "mu": 10.0, "park_id": "KFQ", "township": "始丰街道"},
        {"parcel_id": "B", "mu": 20.0, "park_id": "KFQ", "township": "福溪街道"},
        {"parcel_id": "C", "mu": 5.5, "township": "坦头镇"},
        {"parcel_id": "D", "mu": 7.25, "township": "坦头镇"},
        {"parcel_id": "E", "mu": 3.0, "township": "坦头镇"},
    ])
    p["eval_class"] = pd.Series(["D", "B", None, "A", "C"], dtype="string")
    p["low_efficiency"] = [False, True, False, False, True]
    p["low_efficiency_type"] = pd.Series([None, "低效企业亩均税收≤5万元/亩", None, None, "低效企业亩均税收≤5万元/亩"],
                                         dtype="string")
    if idle:
        p["idle_tier"] = [0, 0, 2, 1, 0]
        p["idle_gov_cause"] = pd.Series([None, None, None, "规划调整", None], dtype="string")
    return p


def test_flags_and_reasons():
    f = reclaim_flags(parcels_with_columns())
    assert f["reclaimable"].tolist() == [True, True, True, False, True]
    assert "D类" in f.loc[0, "reclaim_reason"] and "闲置" in f.loc[2, "reclaim_reason"]
    assert pd.isna(f.loc[3, "reclaim_reason"])     # idle for a government cause: not reclaimable


def test_without_idle_columns_uses_efficiency_alone():
    f = reclaim_flags(parcels_with_columns(idle=False))
    assert f["reclaimable"].tolist() == [True, True, False, False, True]


@pytest.mark.parametrize("ruleset,rule", [("tiantai-2022", "TT-T8"), ("deqing-2021", "DQ-T2")])
def test_stage_totals_against_its_own_target(ruleset, rule):
    p = parcels_with_columns()
    ws = make_ws(p[["parcel_id", "park_id", "township", "geometry"]], ruleset=ruleset)
    res = Results(info={}, parcels=p)
    out = assess_reclaim(ws, res)
    assert out.metrics["reclaimable_mu"] == pytest.approx(10.0 + 20.0 + 5.5 + 3.0, abs=1e-4)
    assert set(out.findings["rule_id"]) == {rule}
    t = out.layers["reclaim_by_area"].set_index(["level", "area_id"])
    assert t.loc[("park", "KFQ"), "reclaimable_mu"] == pytest.approx(30.0, abs=1e-4)
    assert t.loc[("park", "园区外"), "reclaimable_mu"] == pytest.approx(8.5, abs=1e-4)
    assert t.loc[("township", "坦头镇"), "idle_mu"] == pytest.approx(5.5, abs=1e-4)
    assert t.loc[("township", "坦头镇"), "parcels"] == 2
    # totals by park and by township both add up to the county figure
    for level in ("park", "township"):
        assert t.loc[level, "reclaimable_mu"].sum() == pytest.approx(out.metrics["reclaimable_mu"], abs=1e-3)


def test_by_area_empty():
    p = parcels_with_columns()
    f = reclaim_flags(p)
    f["reclaimable"] = False
    out = by_area(p, f, np.ones(len(p)))
    assert len(out) == 0 and "reclaimable_mu" in out.columns


def test_billion_yuan_upgrade_targets_are_listed_not_counted():
    """Issue 14 reading: 亿元企业 at ≤ 10 万元/亩 are 改造提升 targets, not land to free, unless the
    ruleset's TT-T4.upgrade_targets_reclaimable says so; ≤ 5 万元/亩 enterprises always count."""
    from dataclasses import replace

    p = parcels_with_columns(idle=False)
    p["low_efficiency"] = [False, True, False, True, True]
    p["low_tax_enterprise"] = [False, True, False, False, True]   # B, E: ≤ 5
    p["upgrade_target"] = [False, False, False, True, True]       # D: 亿元 only; E: both kinds
    p["low_efficiency_type"] = pd.Series([None, "低效企业亩均税收≤5万元/亩", None, "亿元企业…≤10万元/亩",
                                          "亿元企业…≤10万元/亩;低效企业亩均税收≤5万元/亩"], dtype="string")
    f = reclaim_flags(p)
    assert f["reclaimable"].tolist() == [True, True, False, False, True]
    assert "亿元企业" not in f.loc[4, "reclaim_reason"] and "低效企业" in f.loc[4, "reclaim_reason"]
    assert reclaim_flags(p, upgrade_targets_reclaimable=True)["reclaimable"].tolist() == [True, True, False, True, True]
    ws = make_ws(p[["parcel_id", "park_id", "township", "geometry"]])
    out = assess_reclaim(ws, Results(info={}, parcels=p))
    assert out.metrics["reclaimable_mu"] == pytest.approx(10.0 + 20.0 + 3.0, abs=1e-4)
    assert out.summary["upgrade_target_mu"] == pytest.approx(7.25 + 3.0, abs=1e-4)
    rules = dict(ws.ruleset.rules)
    rules["TT-T4"] = replace(rules["TT-T4"], upgrade_targets_reclaimable=True)
    ws.ruleset = replace(ws.ruleset, rules=rules)
    out = assess_reclaim(ws, Results(info={}, parcels=p))
    assert out.metrics["reclaimable_mu"] == pytest.approx(10.0 + 20.0 + 7.25 + 3.0, abs=1e-4)
