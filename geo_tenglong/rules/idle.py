"""Rule specifications for idle land (闲置土地): 《闲置土地处置办法》 and imagery evidence.

The national rules (NAT-IDLE-*) apply in every county through its own clause (天台 TT-IDLE
三(一)4, 德清 DQ-IDLE 三(一)3); the numbers still live in each ruleset so a bureau can see and cite
them. ``IDLE-IMG`` is this project's rule for evidence from land-cover imagery (docs/rules.md).
"""

from __future__ import annotations

import dataclasses

from .schema import RuleSpec, bound, rule_spec


@rule_spec("NAT-IDLE-1")
@dataclasses.dataclass(frozen=True)
class IdleUnstartedSpec(RuleSpec):
    """Idle, not started: a full ``min_years`` past the agreed start (动工开发日期) and not started.

    Attributes
    ----------
    min_years : int
        Full calendar years past the agreed start after which unstarted land is idle (第二条: 满一年).
    """

    min_years: int = bound(1, min=1, max=10)


@rule_spec("NAT-IDLE-2")
@dataclasses.dataclass(frozen=True)
class IdleSuspendedSpec(RuleSpec):
    """Idle, started: too little developed or invested, and suspended for ``suspended_years``.

    Attributes
    ----------
    area_share_below : float
        Developed area / area due for development below this is too little (第二条: 不足三分之一).
    investment_share_below : float
        Investment made / total investment (land price, taxes and fees excluded) below this is too
        little (不足百分之二十五).
    suspended_years : int
        Full calendar years of suspension (中止开发建设满一年).
    """

    area_share_below: float = bound(1 / 3, min=0, max=1)
    investment_share_below: float = bound(0.25, min=0, max=1)
    suspended_years: int = bound(1, min=1, max=10)


@rule_spec("NAT-IDLE-FEE")
@dataclasses.dataclass(frozen=True)
class IdleFeeSpec(RuleSpec):
    """土地闲置费: ``fee_share`` of the land price once idle for ``min_years`` (第十四条(一)).

    Attributes
    ----------
    fee_share : float
        Share of the 出让/划拨 land price charged (百分之二十).
    min_years : int
        Full years on the idle clock (see :mod:`geo_tenglong.analysis.idle`) from which the fee is due.
    """

    fee_share: float = bound(0.20, min=0, max=1)
    min_years: int = bound(1, min=1, max=10)


@rule_spec("NAT-IDLE-BACK")
@dataclasses.dataclass(frozen=True)
class IdleRecoverySpec(RuleSpec):
    """无偿收回 candidate once idle for ``min_years`` full years (第十四条(二)).

    Attributes
    ----------
    min_years : int
        Full years on the idle clock from which the land is a candidate for recovery (满两年).
    """

    min_years: int = bound(2, min=1, max=10)


@rule_spec("NAT-IDLE-GOV")
@dataclasses.dataclass(frozen=True)
class IdleGovCauseSpec(RuleSpec):
    """Government cause (第八条): idle land is reported with its cause, with no fee or recovery.

    Attributes
    ----------
    none_values : tuple of str
        Texts in the ``gov_cause`` column that mean "no government cause" (besides an empty cell).
    """

    none_values: tuple[str, ...] = ("无", "否", "没有", "-", "—", "/", "不属于", "非政府原因")


@rule_spec("IDLE-IMG")
@dataclasses.dataclass(frozen=True)
class IdleImagerySpec(RuleSpec):
    """Evidence of idle land from land-cover imagery and building footprints.

    Shares are of the parcel area with valid pixels, each pixel weighted by the fraction of it
    the parcel covers.

    Attributes
    ----------
    started_min_built_share : float
        A contract that says started while the latest image shows a smaller built share is
        questioned (合同记载已动工但影像未见建设).
    unstarted_max_built_share : float
        A contract that says not started while the latest image shows a larger built share is
        questioned (合同记载未动工但影像已见建设).
    bare_min_share : float
        Land with no contract record whose bare share is at least this on both dates is
        suspected idle (疑似闲置).
    bare_max_built_share : float
        … provided its built share stays below this on both dates.
    min_valid_coverage : float
        Below this share of the parcel covered by valid pixels the image is not used for the
        parcel (``missing_data``).
    footprint_witness_share : float
        Building footprints (buildings layer) covering at least this share of the parcel count as
        a second witness that the land is built on.
    """

    started_min_built_share: float = bound(0.10, min=0, max=1)
    unstarted_max_built_share: float = bound(0.30, min=0, max=1)
    bare_min_share: float = bound(0.70, min=0, max=1)
    bare_max_built_share: float = bound(0.10, min=0, max=1)
    min_valid_coverage: float = bound(0.50, min=0, max=1)
    footprint_witness_share: float = bound(0.10, min=0, max=1)
