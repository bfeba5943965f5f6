"""TT-TECH (天台 四(十一)): the 技改 subsidy uplift and the leased-plant subsidy, as calculators.

"以上" in the document includes the number itself (民法典 第一千二百五十九条), so tiers and the
1000 万元 project threshold are inclusive.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..findings import MISSING_DATA, NOT_APPLICABLE, PASS, make_findings, not_in_ruleset
from ..stage import StageResult

RULE = "TT-TECH"


def tech_uplift(equipment_investment_wan, eval_class, spec) -> pd.DataFrame:
    """The subsidy-standard and cap uplift for 技改 projects.

    Parameters
    ----------
    equipment_investment_wan : array-like of float
        Actual investment in production equipment (incl. software), 万元.
    eval_class : array-like of str
        Last year's 亩均评价 class of the enterprise.
    spec : TechSubsidyRule

    Returns
    -------
    DataFrame
        ``tier`` (1-based; 0 = below the lowest tier), ``uplift`` (raise of the subsidy standard,
        0.2 = +20 %), ``cap_uplift`` (raise of the cap); NaN where the investment is unknown.

    Examples
    --------
    >>> from geo_tenglong.rules import load_ruleset
    >>> spec = load_ruleset("tiantai-2022").get("TT-TECH")
    >>> tech_uplift([500, 2000, 6000], ["A", "B", "C"], spec)["uplift"].tolist()
    [0.2, 0.15, 0.0]
    """
    inv = np.asarray(equipment_investment_wan, dtype=float)
    cls = pd.Series(eval_class, dtype="string").to_numpy()
    floors = np.asarray(spec.tier_floors_wan, dtype=float)
    tier = np.searchsorted(floors, inv, side="right")  # number of floors <= investment
    idx = np.clip(tier - 1, 0, len(floors) - 1)
    is_a = cls == "A"
    is_b = cls == "B"
    uplift = np.where(tier > 0, np.where(is_a, np.asarray(spec.uplift_a)[idx], np.where(is_b, np.asarray(spec.uplift_b)[idx], 0.0)), 0.0)
    cap = np.where(tier > 0, np.where(is_a, spec.cap_uplift_a, np.where(is_b, spec.cap_uplift_b, 0.0)), 0.0)
    unknown = np.isnan(inv)
    return pd.DataFrame({"tier": np.where(unknown, -1, tier), "uplift": np.where(unknown, np.nan, uplift),
                         "cap_uplift": np.where(unknown, np.nan, cap)})


def leased_plant_subsidy(leased_m2, project_investment_wan, eval_class, spec) -> np.ndarray:
    """The leased-plant subsidy in 万元: 3 元/m²/month for 12 months, at most 50 万元.

    Only for new major 技改 projects of ≥ 1000 万元 whose enterprise was class B or better last
    year; 0 otherwise, NaN where the area or investment is unknown.

    Examples
    --------
    >>> from geo_tenglong.rules import load_ruleset
    >>> spec = load_ruleset("tiantai-2022").get("TT-TECH")
    >>> leased_plant_subsidy([10000, 20000], [1000, 1500], ["B", "A"], spec).tolist()
    [36.0, 50.0]
    """
    m2 = np.asarray(leased_m2, dtype=float)
    inv = np.asarray(project_investment_wan, dtype=float)
    cls = pd.Series(eval_class, dtype="string").isin(spec.lease_classes).fillna(False).to_numpy()
    raw = m2 * spec.lease_yuan_per_m2_month * spec.lease_months / 10000.0
    ok = cls & (inv >= spec.lease_min_investment_wan) & (m2 > 0)
    out = np.where(ok, np.minimum(raw, spec.lease_cap_wan), 0.0)
    return np.where(np.isnan(m2) | np.isnan(inv), np.nan, out)


def assess_subsidies(ws, results) -> StageResult:
    """Apply the TT-TECH calculators to the renovation plans (``subsidies`` table and findings)."""
    spec = ws.ruleset.get(RULE)
    if spec is None:
        return StageResult(findings=not_in_ruleset(ws.admin_code, RULE, ws.ruleset.name))
    plans = ws.layer("renovations")
    if plans is None:
        return StageResult(findings=make_findings([ws.admin_code], RULE, spec.clause, MISSING_DATA,
                                                  message="缺少零增地技改方案图层(renovations),无法测算技改补助"))
    plans = pd.DataFrame(plans.drop(columns=plans.geometry.name))
    classes = results.parcels.set_index("parcel_id")["eval_class"] if "eval_class" in results.parcels.columns else None
    cls = plans["parcel_id"].map(classes) if classes is not None else pd.Series([None] * len(plans))
    get = lambda c: plans[c].to_numpy(dtype=float) if c in plans.columns else np.full(len(plans), np.nan)  # noqa: E731
    up = tech_uplift(get("equipment_investment"), cls, spec)
    lease = leased_plant_subsidy(get("leased_plant_m2"), get("total_investment"), cls, spec)
    table = pd.DataFrame({"renovation_id": plans["renovation_id"], "parcel_id": plans["parcel_id"],
                          "eval_class": cls.astype("string").to_numpy(), "equipment_investment": get("equipment_investment"),
                          "tier": up["tier"], "uplift": up["uplift"], "cap_uplift": up["cap_uplift"],
                          "leased_plant_m2": get("leased_plant_m2"), "lease_subsidy_wan": lease})
    status = np.where(up["uplift"].isna(), MISSING_DATA, np.where(up["uplift"] > 0, PASS, NOT_APPLICABLE))
    msg = [("缺少设备投资额" if np.isnan(u) else
            f"设备投资{inv:g}万元(第{t}档),{c or '无评价'}类企业补助标准提高{u * 100:g}%、限额提高{cu * 100:g}%"
            if u > 0 else f"设备投资{inv:g}万元,{c or '无评价'}类企业不享受提标") +
           ("" if not (ls > 0) else f";新租赁厂房补助{ls:.2f}万元")
           for inv, t, u, cu, c, ls in zip(table["equipment_investment"], table["tier"], table["uplift"],
                                           table["cap_uplift"], table["eval_class"].fillna(""), table["lease_subsidy_wan"])]
    findings = make_findings(table["renovation_id"], RULE, spec.clause, status, table["uplift"], np.nan, "比例", msg)
    return StageResult(findings=findings, layers={"subsidies": table},
                       summary={"lease_subsidy_wan": float(np.nansum(lease))})
