"""Rules on measuring the campaign over time: the 赛马 and 约谈 (TT-ASSESS, DQ-ASSESS) and the carbon
factor behind the 减碳 targets (TT-T9, DQ-T2)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Literal

from .schema import RuleSpec, bound, rule_spec

#: Measures a 赛马 may rank townships and parks on: code → Chinese label. Higher is better for each.
RACE_MEASURES = {
    "tax_per_mu_growth": "亩均税收增长率",
    "freed_mu": "腾出低效用地亩数",
    "closed_tasks": "整治销号数",
}
RaceMeasure = Literal["tax_per_mu_growth", "freed_mu", "closed_tasks"]


@dataclasses.dataclass(frozen=True)
class _AssessRule(RuleSpec):
    """月度监测、季度通报、年度考核 and the 赛马 between townships (and parks).

    Attributes
    ----------
    campaign_start : date
        The day the campaign's targets are counted from (freed land, closed tasks).
    measures : tuple of str
        What the 赛马 ranks on (:data:`RACE_MEASURES`); each is ranked (1 = best) and the ranks summed.
    interview_bottom : int
        How many of the lowest-ranked townships are marked for 通报约谈 (0: the clause names no 约谈).
    """

    campaign_start: dt.date = dt.date(2022, 1, 1)
    measures: tuple[RaceMeasure, ...] = ("tax_per_mu_growth", "freed_mu", "closed_tasks")
    interview_bottom: int = bound(0, min=0)

    def __post_init__(self) -> None:
        if not self.measures:
            raise ValueError("measures: name at least one of " + ", ".join(RACE_MEASURES))


@rule_spec("TT-ASSESS")
@dataclasses.dataclass(frozen=True)
class TiantaiAssess(_AssessRule):
    """天台 五(二): 对考核排名靠后的工业镇(街道)进行通报约谈."""


@rule_spec("DQ-ASSESS")
@dataclasses.dataclass(frozen=True)
class DeqingAssess(_AssessRule):
    """德清 五(二): 赛马, 季度通报 (the clause names no 约谈)."""


@dataclasses.dataclass(frozen=True)
class _CarbonRule(RuleSpec):
    """The carbon factor turning freed energy (吨标准煤) into 减碳 (吨 CO₂).

    Attributes
    ----------
    carbon_t_per_tce : float
        吨 CO₂ per 吨标准煤 of energy freed.
    source : str
        Where the factor comes from (shown with the figure).
    """

    carbon_t_per_tce: float = bound(2.0, min=0.0, max=5.0)
    source: str = ""


@rule_spec("TT-T9")
@dataclasses.dataclass(frozen=True)
class TiantaiCarbon(_CarbonRule):
    """天台 二: 腾出用能 7500 吨标准煤; 减少碳排放 15000 吨."""


@rule_spec("DQ-T2")
@dataclasses.dataclass(frozen=True)
class DeqingCarbon(_CarbonRule):
    """德清 二: 腾出用能 5 万吨标准煤, 减碳 10 万吨."""
