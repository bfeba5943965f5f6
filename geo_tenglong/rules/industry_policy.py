"""Rules on industry and parks: DQ-HIGH, DQ-PARK, DQ-CLUSTER, TT-TECH."""

from __future__ import annotations

import dataclasses

from .schema import RuleSpec, bound, rule_spec


@rule_spec("DQ-HIGH")
@dataclasses.dataclass(frozen=True)
class HighEnergyRule(RuleSpec):
    """The "两高" review list (德清 三(一)2): by build year and 年综合能耗 (both bounds inclusive)."""

    since_year: int = bound(2018, min=1900)
    min_energy_since_tce: float = bound(1000.0, min=0)
    min_energy_before_tce: float = bound(5000.0, min=0)


@rule_spec("DQ-PARK")
@dataclasses.dataclass(frozen=True)
class OldParkRule(RuleSpec):
    """Old industrial parks (德清 三(一)4): FAR about 2.0, 亩均税收 ≥ 30, ≥ 1 万亩 renovated.

    Attributes
    ----------
    park_kinds : tuple of str
        ``parks.kind`` values that are old industrial parks.
    target_far : float
        The park FAR aimed at ("原则上达到2.0左右").
    far_tolerance : float
        How far below ``target_far`` still counts as "about" it.
    min_tax_per_mu : float
    renovated_target_mu : float
        County-wide renovated old-park land aimed at.
    """

    park_kinds: tuple[str, ...] = ("老工业园区",)
    target_far: float = bound(2.0, min=0)
    far_tolerance: float = bound(0.1, min=0)
    min_tax_per_mu: float = bound(30.0, min=0)
    renovated_target_mu: float = bound(10000.0, min=0)


@rule_spec("DQ-CLUSTER")
@dataclasses.dataclass(frozen=True)
class ClusterRule(RuleSpec):
    """Industrial clusters outside parks (园区外集聚点, 德清 三(一)5) and their suggested treatment.

    Parcels outside every park are linked when closer than ``link_distance_m``; a group of at
    least ``min_parcels`` parcels is a cluster. Treatment, first match wins: 关停淘汰 when the
    cluster's 亩均税收 is at most ``close_max_tax_per_mu`` or class-D land is at least
    ``close_min_d_share`` of it; 整合入园 when a park lies within ``integrate_max_distance_m``;
    else 整治提高.
    """

    link_distance_m: float = bound(150.0, min=0)
    min_parcels: int = bound(3, min=2)
    close_max_tax_per_mu: float = bound(5.0, min=0)
    close_min_d_share: float = bound(0.5, min=0, max=1)
    integrate_max_distance_m: float = bound(1500.0, min=0)


@rule_spec("TT-TECH")
@dataclasses.dataclass(frozen=True)
class TechSubsidyRule(RuleSpec):
    """技改 subsidy uplift by investment tier and class, and the leased-plant subsidy (天台 四(十一)).

    Attributes
    ----------
    tier_floors_wan : tuple of float
        Lower bounds (inclusive) of the equipment-investment tiers, 万元.
    uplift_a, uplift_b : tuple of float
        Raise of the subsidy standard per tier for class A / class B (0.20 = +20 %).
    cap_uplift_a, cap_uplift_b : float
        Raise of the subsidy cap for class A / class B.
    lease_min_investment_wan : float
        A leased-plant subsidy needs a project of more than this investment.
    lease_classes : tuple of str
        Classes (last year) eligible for the leased-plant subsidy.
    lease_yuan_per_m2_month, lease_months, lease_cap_wan : float
    """

    tier_floors_wan: tuple[float, ...] = (500.0, 2000.0, 5000.0)
    uplift_a: tuple[float, ...] = (0.20, 0.25, 0.30)
    uplift_b: tuple[float, ...] = (0.10, 0.15, 0.20)
    cap_uplift_a: float = bound(0.30, min=0)
    cap_uplift_b: float = bound(0.20, min=0)
    lease_min_investment_wan: float = bound(1000.0, min=0)
    lease_classes: tuple[str, ...] = ("A", "B")
    lease_yuan_per_m2_month: float = bound(3.0, min=0)
    lease_months: float = bound(12.0, min=0)
    lease_cap_wan: float = bound(50.0, min=0)

    def __post_init__(self):
        n = len(self.tier_floors_wan)
        if len(self.uplift_a) != n or len(self.uplift_b) != n:
            raise ValueError("TT-TECH: uplift_a and uplift_b need one value per tier")
