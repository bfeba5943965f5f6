"""The generic ruleset machinery: strict keys, types and bounds, named in the error."""

from __future__ import annotations

import dataclasses

import pytest

from geo_tenglong.errors import RulesetError
from geo_tenglong.rules import builtin_rulesets, load_ruleset
from geo_tenglong.rules.schema import RuleSpec, bound, from_table


@dataclasses.dataclass(frozen=True)
class _Demo(RuleSpec):
    floor_mu: float = bound(10.0, min=0)
    max_parts: int = bound(3, min=1)
    classes: tuple[str, ...] = ("C", "D")
    enabled: bool = True


def test_builtin_rulesets_load():
    assert {"tiantai-2022", "deqing-2021"} <= set(builtin_rulesets())
    tt, dq = load_ruleset("tiantai-2022"), load_ruleset("deqing-2021")
    assert tt.info.county == "天台县" and dq.info.county == "德清县"
    assert [t.value for t in tt.targets_for("tax_per_mu")] == [25.0]
    assert [t.value for t in dq.targets_for("tax_per_mu")] == [39.8]
    assert [(t.value, t.candidate_metric) for t in dq.targets_for("freed_mu")] == [(4950.0, "reclaimable_mu")]


def test_from_table_converts_and_defaults():
    spec = from_table(_Demo, {"clause": "四(八)", "floor_mu": 12, "classes": ["D"]}, "rules.DEMO")
    assert spec.floor_mu == 12.0 and isinstance(spec.floor_mu, float)
    assert spec.classes == ("D",) and spec.max_parts == 3


@pytest.mark.parametrize("table,key,match", [
    ({"clause": "x", "floor": 1}, "rules.DEMO.floor", "unknown key 'floor'"),
    ({"floor_mu": 1}, "rules.DEMO.clause", "required key is missing"),
    ({"clause": "x", "floor_mu": "ten"}, "rules.DEMO.floor_mu", "expected a number"),
    ({"clause": "x", "floor_mu": -1}, "rules.DEMO.floor_mu", "below the minimum 0"),
    ({"clause": "x", "max_parts": 2.5}, "rules.DEMO.max_parts", "expected a whole number"),
    ({"clause": "x", "enabled": "yes"}, "rules.DEMO.enabled", "expected true or false"),
    ({"clause": "x", "classes": "CD"}, "rules.DEMO.classes", "expected a list"),
])
def test_from_table_rejects_naming_the_key(table, key, match):
    with pytest.raises(RulesetError) as err:
        from_table(_Demo, table, "rules.DEMO", "demo.toml")
    assert key in str(err.value) and match in str(err.value) and "demo.toml" in str(err.value)


def _copy_with(tmp_path, old, new):
    src = load_ruleset("tiantai-2022").path.read_text(encoding="utf-8")
    assert old in src
    p = tmp_path / "edited.toml"
    p.write_text(src.replace(old, new, 1), encoding="utf-8")
    return p


def test_a_bureau_copy_with_changed_numbers_loads(tmp_path):
    p = _copy_with(tmp_path, "value = 25.0", "value = 28.0")
    assert load_ruleset(p).targets_for("tax_per_mu")[0].value == 28.0


@pytest.mark.parametrize("old,new,match", [
    ('op = ">="', 'op = "=>"', r"targets\[0\]\.op"),
    ("value = 25.0", 'value = "25"', r"targets\[0\]\.value: expected a number"),
    ("[ruleset]", "[ruleset]\nauthor = 1", r"ruleset\.author"),
    ("[ruleset]", "[rules.XX-NOPE]\nclause = 'x'\n[ruleset]", r"rules\.XX-NOPE: unknown rule id"),
    ("[ruleset]", "[extras]\n[ruleset]", "unknown top-level key"),
    ("[ruleset]", "[ruleset", "not valid TOML"),
])
def test_malformed_copies_are_refused(tmp_path, old, new, match):
    with pytest.raises(RulesetError, match=match):
        load_ruleset(_copy_with(tmp_path, old, new))
