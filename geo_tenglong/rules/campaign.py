"""Rules on running the campaign's lists and land contracts over time.

TT-LEDGER / DQ-LEDGER (高耗低效整治企业清单, 闭环管理), TT-ZERO and TT-ZERO-LIST (零增地技改项目清单),
TT-RETAIN (留驻优质企业项目清单), TT-STD / DQ-STD (标准地 达产复核) and TT-RENEW (到期续签; 德清's
DQ-STD carries it too).
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from .schema import RuleSpec, bound, rule_spec

#: The treatments the plans name (天台 三(一)1, 德清 三(一)1), in the order the ledger lists them.
TREATMENTS: tuple[str, ...] = ("改造提升", "兼并重组", "回收流转", "整体腾退", "搬迁入园", "关停退出", "限期整改")


def _check_treatments(values: dict[str, str] | tuple[str, ...], where: str) -> None:
    items = values.values() if isinstance(values, dict) else values
    bad = sorted(set(items) - set(TREATMENTS))
    if bad:
        raise ValueError(f"{where}: unknown treatment {bad[0]!r}; expected one of {list(TREATMENTS)}")


@dataclasses.dataclass(frozen=True)
class _LedgerRule(RuleSpec):
    """Who is put on the 高耗低效整治企业清单, with which default treatment and deadline.

    Attributes
    ----------
    classes : tuple of str
        亩均评价 classes (上一年度) whose enterprises get a 整治 task (D = 倒逼整治类).
    low_efficiency : bool
        Enterprises the efficiency stage flags as low-efficiency (TT-T4's ≤ 5 万元/亩 and 亿元企业
        ≤ 10 万元/亩 two years running) get a task too.
    class_treatment : dict
        Default 整治方式 by class; townships change it in the ledger file (一企一方案).
    low_efficiency_treatment : str
        Default 整治方式 of an enterprise listed for low efficiency only.
    deadline_months : int
        完成时限: months after the run that opened the task.
    """

    classes: tuple[str, ...] = ("D",)
    low_efficiency: bool = True
    class_treatment: dict[str, str] = dataclasses.field(default_factory=lambda: {"D": "改造提升"})
    low_efficiency_treatment: str = "改造提升"
    deadline_months: int = bound(12, min=1, max=120)

    def __post_init__(self):
        _check_treatments(self.class_treatment, "class_treatment")
        _check_treatments((self.low_efficiency_treatment,), "low_efficiency_treatment")


@rule_spec("TT-LEDGER")
@dataclasses.dataclass(frozen=True)
class TiantaiLedgerRule(_LedgerRule):
    """天台 三(一)1: 高耗低效整治企业清单, 闭环管理, 一企一方案, 达标销号."""


@rule_spec("DQ-LEDGER")
@dataclasses.dataclass(frozen=True)
class DeqingLedgerRule(_LedgerRule):
    """德清 三(一)1: 高耗低效企业清单, 闭环管理, 一企一策, 达标销号."""


@rule_spec("TT-ZERO")
@dataclasses.dataclass(frozen=True)
class ZeroLandRule(RuleSpec):
    """零增地技改 admission and start (天台 三(五)16).

    Attributes
    ----------
    barred_categories : tuple of str
        ``policy_category`` values (产业结构调整指导目录) barred from 零增地技改 (明令淘汰、限制类).
    relocation_treatments : tuple of str
        整治方式 of a 整治 task that means the enterprise is listed for relocation (近期列入当地搬迁改造).
    start_within_months : int
        An approved plan should start within this many months of approval (原则上3个月内开工建设).
    """

    barred_categories: tuple[str, ...] = ("淘汰类", "限制类")
    relocation_treatments: tuple[str, ...] = ("搬迁入园", "整体腾退")
    start_within_months: int = bound(3, min=1, max=60)

    def __post_init__(self):
        _check_treatments(self.relocation_treatments, "relocation_treatments")


@rule_spec("TT-ZERO-LIST")
@dataclasses.dataclass(frozen=True)
class ZeroLandListRule(RuleSpec):
    """《"零增地"技改项目清单》 (天台 三(五)16): every plan is a task, closed when accepted (验收).

    Attributes
    ----------
    deadline_months : int
        完成时限 of a plan's task: months after the run that opened it.
    """

    deadline_months: int = bound(24, min=1, max=120)


@rule_spec("TT-RETAIN")
@dataclasses.dataclass(frozen=True)
class RetainRule(RuleSpec):
    """《留驻优质企业项目清单》 (天台 三(六)17): who counts as a local quality enterprise.

    Attributes
    ----------
    classes : tuple of str
        亩均评价 classes (上一年度) that qualify (A类).
    kinds : tuple of str
        Words of the enterprise table's ``quality_kinds`` column that qualify (上市, 拟上市, 单项冠军,
        小巨人, 隐形冠军, 未来工厂, "132" 产业集群); a cell matches when it contains one of them.
    deadline_months : int
        The list is updated yearly (年度更新): months after the run that opened the entry.
    """

    classes: tuple[str, ...] = ("A",)
    kinds: tuple[str, ...] = ("上市", "拟上市", "单项冠军", "小巨人", "隐形冠军", "未来工厂", "132")
    deadline_months: int = bound(12, min=1, max=120)


@dataclasses.dataclass(frozen=True)
class _StandardLandRule(RuleSpec):
    """标准地 达产复核: when a parcel's committed indicators are compared with actual ones.

    Attributes
    ----------
    review_after_years : int
        Whole years after the date ``review_basis`` names at which the 达产复核 is due.
    review_basis : {"completion", "supply"}
        Count from the actual completion (实际竣工日期; the agreed one when absent) or from the
        contract's signing (供地).
    tolerance : float
        Share below the committed value still accepted (0 = any shortfall is one).
    """

    review_after_years: int = bound(3, min=0, max=20)
    review_basis: Literal["completion", "supply"] = "completion"
    tolerance: float = bound(0.0, min=0, max=1)


@rule_spec("TT-STD")
@dataclasses.dataclass(frozen=True)
class TiantaiStandardLandRule(_StandardLandRule):
    """天台 三(一)4: 标准地 事中事后监管 against the 投资监管协议."""


@dataclasses.dataclass(frozen=True)
class _RenewalRule(RuleSpec):
    """到期续签履约: industrial land whose term ends within ``renew_within_years`` of the as-of date."""

    renew_within_years: int = bound(3, min=0, max=50)


@rule_spec("TT-RENEW")
@dataclasses.dataclass(frozen=True)
class TiantaiRenewalRule(_RenewalRule):
    """天台 三(一)4: 工业用地到期续签履约."""


@rule_spec("DQ-STD")
@dataclasses.dataclass(frozen=True)
class DeqingStandardLandRule(_StandardLandRule, _RenewalRule):
    """德清 三(一)3: 标准地 事中事后监管 (as TT-STD) and 到期续签履约 (as TT-RENEW) in one clause."""
