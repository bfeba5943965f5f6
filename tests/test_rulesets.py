"""The 亩均效益 / 用地强度 sections of both rulesets: they load, a malformed copy is refused naming
the key, and each county's targets come out under its own ids."""

from __future__ import annotations

import re

import pytest

from geo_tenglong.errors import RulesetError
from geo_tenglong.rules import load_ruleset
from geo_tenglong.rules.loader import BUILTIN_DIR

from test_efficiency import fixture_parcels, fixture_tables
from test_efficiency_support import make_ws, run_stages

MINE = ("MJ-EVAL", "TT-T4", "TT-RATE", "NAT-FAR", "NAT-COVER", "NAT-ADMIN", "TT-HOUSING", "DQ-HOUSING",
        "TT-FAR-DEFAULT", "TT-FEE", "TT-VERT")


def test_tiantai_carries_every_efficiency_rule():
    rs = load_ruleset("tiantai-2022")
    for rid in ("MJ-EVAL", "TT-T4", "TT-RATE", "NAT-FAR", "NAT-COVER", "NAT-ADMIN", "TT-HOUSING", "TT-FAR-DEFAULT",
                "TT-FEE", "TT-VERT"):
        assert rs.has(rid), rid
    ev = rs.get("MJ-EVAL")
    # 天台's 2022 result: A 134, B 439, C 575, D 100 of 1,248
    counts = {k: round(v * 1248) for k, v in ev.class_shares.items()}
    assert counts == {"A": 134, "B": 439, "C": 575, "D": 100}
    assert ev.class_names == {"A": "优先发展类", "B": "提升发展类", "C": "调控帮扶类", "D": "倒逼整治类"}
    t4 = rs.get("TT-T4")
    assert (t4.revenue_min, t4.large_tax_max, t4.low_tax_max, t4.large_years) == (10000.0, 10.0, 5.0, 2)
    assert t4.clause == "二、主要目标"
    assert rs.get("TT-RATE").clause == "四(九)" and rs.get("TT-VERT").clause == "四(十二)"


def test_deqing_has_no_tiantai_rules():
    rs = load_ruleset("deqing-2021")
    assert rs.has("MJ-EVAL") and rs.has("DQ-HOUSING") and rs.has("NAT-COVER")
    for rid in ("TT-T4", "TT-RATE", "TT-FAR-DEFAULT", "TT-FEE", "TT-VERT", "TT-HOUSING"):
        assert not rs.has(rid), rid
    assert rs.get("MJ-EVAL").clause == "四(四)"


def _copy_with(tmp_path, name, old, new):
    text = (BUILTIN_DIR / f"{name}.toml").read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / f"{name}-edited.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("name,old,new,key", [
    ("tiantai-2022", "small_min_mu = 3.0", "small_min_mu = -3.0", "rules.MJ-EVAL.small_min_mu"),
    ("tiantai-2022", "small_min_mu = 3.0", "small_min_mu = \"三亩\"", "rules.MJ-EVAL.small_min_mu"),
    ("tiantai-2022", "tenants = \"pool\"", "tenants = \"share\"", "rules.MJ-EVAL.tenants"),
    ("tiantai-2022", "C = 0.460737", "C = 0.5", "rules.MJ-EVAL.class_shares"),
    ("tiantai-2022", "weights_small = { tax_per_mu = 100.0 }", "weights_small = { tax_per_acre = 100.0 }",
     "rules.MJ-EVAL.weights_small.tax_per_acre"),
    ("tiantai-2022", "weights_small = { tax_per_mu = 100.0 }", "weights_small = { tax_per_mu = -1.0 }",
     "rules.MJ-EVAL.weights_small.tax_per_mu"),
    ("tiantai-2022", "large_tax_max = 10.0", "large_tax_maximum = 10.0", "rules.TT-T4.large_tax_maximum"),
    ("tiantai-2022", "large_years = 2", "large_years = 2.5", "rules.TT-T4.large_years"),
    ("tiantai-2022", "class_a_investment = 10000.0", "class_a_investment = true", "rules.TT-RATE.class_a_investment"),
    ("tiantai-2022", "tall_storey_m = 8.0", "tall_storey_m = -8.0", "rules.NAT-FAR.tall_storey_m"),
    ("tiantai-2022", "min_share = 0.30", "min_share = 1.30", "rules.NAT-COVER.min_share"),
    ("tiantai-2022", "max_share = 0.07", "max_share = \"7%\"", "rules.NAT-ADMIN.max_share"),
    ("tiantai-2022", "land_share = 0.15", "land_share = 15", "rules.TT-HOUSING.land_share"),
    ("tiantai-2022", "far_max = 1.1", "far_max = -1.1", "rules.TT-FAR-DEFAULT.far_max"),
    ("tiantai-2022", "far_base = 1.1", "far_bas = 1.1", "rules.TT-FEE.far_bas"),
    ("tiantai-2022", "yuan_per_m2 = 50.0", "yuan_per_m2 = -50.0", "rules.TT-VERT.yuan_per_m2"),
    ("tiantai-2022", "\"通用设备\" = 0.7", "\"通用设备\" = -0.7", "rules.TT-VERT.industry_far.通用设备"),
    ("deqing-2021", "class_method = \"rank\"", "class_method = \"ranking\"", "rules.MJ-EVAL.class_method"),
    ("deqing-2021", "min_land_mu = 50.0", "min_land_mu = -50.0", "rules.DQ-HOUSING.min_land_mu"),
])
def test_malformed_copy_is_refused_naming_the_key(tmp_path, name, old, new, key):
    path = _copy_with(tmp_path, name, old, new)
    with pytest.raises(RulesetError) as exc:
        load_ruleset(path)
    assert key in str(exc.value), str(exc.value)


def test_bands_method_needs_falling_bands(tmp_path):
    path = _copy_with(tmp_path, "tiantai-2022", "class_method = \"rank\"", "class_method = \"bands\"")
    assert load_ruleset(path).get("MJ-EVAL").class_method == "bands"
    text = path.read_text(encoding="utf-8").replace("score_bands = { A = 120.0, B = 90.0, C = 60.0 }",
                                                    "score_bands = { A = 80.0, B = 90.0, C = 60.0 }")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesetError, match=re.escape("rules.MJ-EVAL.score_bands")):
        load_ruleset(path)


@pytest.mark.parametrize("ruleset,ids", [
    ("tiantai-2022", {"TT-T1", "TT-T2", "TT-T3", "TT-T5", "TT-T6"}),
    ("deqing-2021", {"DQ-T1", "DQ-T2"}),
])
def test_each_ruleset_produces_its_own_targets(ruleset, ids):
    res = run_stages(make_ws(fixture_parcels(), fixture_tables(), ruleset=ruleset),
                     ("efficiency", "intensity", "reclaim", "targets"))
    t = res.layer("targets")
    measured = t[t["status"] != "missing_data"]
    assert ids <= set(measured["rule_id"]), set(measured["rule_id"])
    assert all(r.startswith("TT-" if ruleset.startswith("tiantai") else "DQ-") for r in t["rule_id"])
    rows = t.set_index(["rule_id", "metric"])
    first = "TT-T1" if ruleset.startswith("tiantai") else "DQ-T1"
    assert rows.loc[(first, "tax_per_mu"), "target"] == (25.0 if first == "TT-T1" else 39.8)
    assert rows.loc[(first, "tax_per_mu"), "value"] == pytest.approx(res.metrics["tax_per_mu"])
    reclaim_rule = "TT-T8" if first == "TT-T1" else "DQ-T2"
    freed = rows.loc[(reclaim_rule, "freed_mu")]
    assert freed["target"] == (200.0 if first == "TT-T1" else 4950.0)
    # without a run history the land actually freed is unknown: never the candidate pool (issue 19.5)
    assert freed["status"] == "missing_data" and freed["candidate"] == pytest.approx(res.metrics["reclaimable_mu"])
