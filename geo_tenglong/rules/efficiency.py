"""Rule specifications for the 亩均效益 (per-mu efficiency) evaluation.

``MJ-EVAL`` — the evaluation itself (scope, indicator weights, benchmarks, classes) — has no id in
POLICY.md: it is defined here and documented in ``docs/rules.md``. ``TT-T4`` (low-efficiency
enterprises) and ``TT-RATE`` (key projects lift the class) are 天台's; 德清's ruleset lacks them and
the efficiency stage then reports ``not_applicable``.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from ..errors import RulesetError
from .schema import RuleSpec, bound, rule_spec

#: The indicators an evaluation can weight (names of ``enterprise_eval`` columns).
INDICATORS = ("tax_per_mu", "va_per_mu", "labour_productivity", "va_per_energy", "va_per_emission", "rd_ratio")
CLASSES = ("A", "B", "C", "D")


def _check_keys(mapping: dict, allowed, where: str) -> None:
    unknown = sorted(set(mapping) - set(allowed))
    if unknown:
        raise RulesetError(f"unknown key {unknown[0]!r}; expected one of {list(allowed)}", None,
                           f"{where}.{unknown[0]}")


@rule_spec("MJ-EVAL")
@dataclasses.dataclass(frozen=True)
class EvalSpec(RuleSpec):
    """亩均效益综合评价: who is evaluated, how indicators are scored and how classes are drawn.

    Attributes
    ----------
    year : int
        The evaluation year; 0 = the latest year in the data before the as-of year.
    large_label : str
        How the ``scale`` column names 规上 enterprises (anything else is 规下).
    small_min_mu : float
        规下 enterprises are in scope with at least this much land (亩, inclusive).
    industrial_land_codes : tuple of str
        ``land_use_code`` prefixes counted as industrial land (the land an enterprise occupies).
    weights_large, weights_small : dict
        Indicator → weight for 规上 and 规下 enterprises (indicators: :data:`INDICATORS`).
    benchmarks : dict
        Indicator → fixed benchmark; an indicator not listed is benchmarked against the county
        figure of the in-scope group of the same scale (Σ numerator / Σ denominator, or the plain
        mean of the enterprises' values with ``benchmark_kind = "mean"``).
    benchmark_kind : {"total", "mean"}
    class_method : {"rank", "bands"}
        Classes by rank share within each scale group, or by score bands.
    class_shares : dict
        Class → share of the group (rank method); must sum to 1.
    score_bands : dict
        Class → lowest score of the class (bands method; D takes the rest).
    class_names : dict
        Class → Chinese name.
    tenants : {"pool", "apportion"}
        一地多企: tenants pooled with the parcel holder (share its result), or given land in
        proportion to the floor area they use.
    """

    year: int = bound(0, min=0)
    large_label: str = "规上"
    small_min_mu: float = bound(3.0, min=0)
    industrial_land_codes: tuple[str, ...] = ("1001",)
    weights_large: dict[str, float] = bound({"tax_per_mu": 30.0, "va_per_mu": 20.0, "va_per_energy": 20.0,
                                             "va_per_emission": 10.0, "labour_productivity": 10.0,
                                             "rd_ratio": 10.0}, min=0)
    weights_small: dict[str, float] = bound({"tax_per_mu": 100.0}, min=0)
    benchmarks: dict[str, float] = bound({}, min=0)
    benchmark_kind: Literal["total", "mean"] = "total"
    class_method: Literal["rank", "bands"] = "rank"
    class_shares: dict[str, float] = bound({"A": 0.1, "B": 0.35, "C": 0.45, "D": 0.1}, min=0, max=1)
    score_bands: dict[str, float] = bound({"A": 120.0, "B": 90.0, "C": 60.0}, min=0)
    class_names: dict[str, str] = dataclasses.field(default_factory=lambda: {
        "A": "A类", "B": "B类", "C": "C类", "D": "D类"})
    tenants: Literal["pool", "apportion"] = "pool"

    def __post_init__(self):
        where = f"rules.{self.rule_id}"
        _check_keys(self.weights_large, INDICATORS, f"{where}.weights_large")
        _check_keys(self.weights_small, INDICATORS, f"{where}.weights_small")
        _check_keys(self.benchmarks, INDICATORS, f"{where}.benchmarks")
        _check_keys(self.class_shares, CLASSES, f"{where}.class_shares")
        _check_keys(self.score_bands, CLASSES[:3], f"{where}.score_bands")
        _check_keys(self.class_names, CLASSES, f"{where}.class_names")
        for name in ("weights_large", "weights_small", "benchmarks", "class_shares", "score_bands"):
            for key, value in getattr(self, name).items():
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 \
                        or (name == "benchmarks" and value == 0) or (name == "class_shares" and value > 1):
                    raise RulesetError(f"bad value {value!r}", None, f"{where}.{name}.{key}")
        for name in ("weights_large", "weights_small"):
            if sum(getattr(self, name).values()) <= 0:
                raise RulesetError("the weights must not all be zero", None, f"{where}.{name}")
        if self.class_method == "rank":
            missing = [c for c in CLASSES if c not in self.class_shares]
            if missing:
                raise RulesetError(f"class {missing[0]} has no share", None, f"{where}.class_shares")
            total = sum(self.class_shares.values())
            if abs(total - 1.0) > 1e-3:
                raise RulesetError(f"the class shares sum to {total:.4f}, not 1", None, f"{where}.class_shares")
        else:
            missing = [c for c in CLASSES[:3] if c not in self.score_bands]
            if missing:
                raise RulesetError(f"class {missing[0]} has no lower score", None, f"{where}.score_bands")
            b = self.score_bands
            if not b["A"] >= b["B"] >= b["C"]:
                raise RulesetError("bands must fall from A to C", None, f"{where}.score_bands")

    def weights(self, large: bool) -> dict[str, float]:
        """The weights of the 规上 (``large``) or 规下 group."""
        return self.weights_large if large else self.weights_small

    def class_name(self, cls: str) -> str:
        """The Chinese name of a class (``优先发展类`` …)."""
        return self.class_names.get(cls, f"{cls}类")


@rule_spec("TT-T4")
@dataclasses.dataclass(frozen=True)
class LowEfficiencySpec(RuleSpec):
    """TT-T4: the enterprises the 改造提升 target is about.

    Attributes
    ----------
    revenue_min : float
        亿元企业: 营业收入 at least this (万元, inclusive) in the last year.
    large_tax_max : float
        亿元企业 with 亩均税收 at most this (万元/亩, inclusive) …
    large_years : int
        … in each of this many consecutive years up to the evaluation year.
    low_tax_max : float
        低效企业: 亩均税收 at most this (万元/亩, inclusive) …
    low_years : int
        … in each of this many consecutive years up to the evaluation year.
    in_scope_only : bool
        Only enterprises in the 亩均评价 scope (else every enterprise with land).
    upgrade_targets_reclaimable : bool
        Whether the land of 亿元企业 at ≤ ``large_tax_max`` counts as 可腾退低效工业用地 (TT-T8).
        ``false`` (issue 14's reading): they are 改造提升 targets, listed but not land to free;
        the ≤ ``low_tax_max`` low-efficiency enterprises always count.
    """

    revenue_min: float = bound(10000.0, min=0)
    large_tax_max: float = bound(10.0, min=0)
    large_years: int = bound(2, min=1, max=5)
    low_tax_max: float = bound(5.0, min=0)
    low_years: int = bound(1, min=1, max=5)
    in_scope_only: bool = True
    upgrade_targets_reclaimable: bool = False


@rule_spec("TT-RATE")
@dataclasses.dataclass(frozen=True)
class RatingIncentiveSpec(RuleSpec):
    """TT-RATE: a key project under construction lifts its enterprise's class.

    Attributes
    ----------
    class_a_investment : float
        Total investment (万元, inclusive) that puts the enterprise in class A.
    not_d_investment : float
        Total investment (万元, inclusive) that keeps it out of class D (D → C).
    key_only : bool
        Only projects marked ``key_project`` count.
    """

    class_a_investment: float = bound(10000.0, min=0)
    not_d_investment: float = bound(3000.0, min=0)
    key_only: bool = True
