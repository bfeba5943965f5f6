"""TT-TECH (天台 四(十一)): the 技改 subsidy uplift and the leased-plant subsidy, as calculators.

"以上" in the document includes the number itself (民法典 第一千二百五十九条), so tiers and the
1000 万元 project threshold are inclusive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..findings import MISSING_DATA, NOT_APPLICABLE, PASS, make_findings, not_in_ruleset
from ..stage import StageResult

if TYPE_CHECKING:
    from ..results import Results
    from ..workspace import Workspace

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
    cls = _classes(eval_class)
    floors = np.asarray(spec.tier_floors_wan, dtype=float)
    tier = np.searchsorted(floors, np.nan_to_num(inv, nan=-np.inf), side="right")  # floors <= investment
    idx = np.clip(tier - 1, 0, len(floors) - 1)
    is_a = cls == "A"
    is_b = cls == "B"
    uplift = np.where(tier > 0, np.where(is_a, np.asarray(spec.uplift_a)[idx], np.where(is_b, np.asarray(spec.uplift_b)[idx], 0.0)), 0.0)
    cap = np.where(tier > 0, np.where(is_a, spec.cap_uplift_a, np.where(is_b, spec.cap_uplift_b, 0.0)), 0.0)
    # unknown: the investment, or the class of an investment that reaches a tier
    unknown = np.isnan(inv) | ((tier > 0) & (cls == ""))
    return pd.DataFrame({"tier": np.where(np.isnan(inv), -1, tier), "uplift": np.where(unknown, np.nan, uplift),
                         "cap_uplift": np.where(unknown, np.nan, cap)})


def _classes(eval_class) -> np.ndarray:
    """Classes as plain strings, ``""`` where there is none (never ``pd.NA``: no ambiguous truth)."""
    s = pd.Series(np.asarray(eval_class, dtype=object) if eval_class is not None else [], dtype="string")
    return s.str.strip().fillna("").to_numpy(dtype=object)


def leased_plant_subsidy(leased_m2, equipment_investment_wan, eval_class, spec) -> np.ndarray:
    """The leased-plant subsidy in 万元: 3 元/m²/month for 12 months, at most 50 万元.

    Only for new major 技改 projects whose 实际投资额 — the 生产设备(含软件)实际投资额 the same
    clause defines (issue 14's reading), not the total investment — is at least
    ``lease_min_investment_wan`` (以上, inclusive), and whose enterprise was class B or better in
    last year's 亩均评价; 0 otherwise. NaN where the answer hangs on a missing value: the area or
    investment, or the class of a project that meets the rest.

    Examples
    --------
    >>> from geo_tenglong.rules import load_ruleset
    >>> spec = load_ruleset("tiantai-2022").get("TT-TECH")
    >>> leased_plant_subsidy([10000, 20000, 10000], [1000, 1500, 999], ["B", "A", "A"], spec).tolist()
    [36.0, 50.0, 0.0]
    """
    m2 = np.asarray(leased_m2, dtype=float)
    inv = np.asarray(equipment_investment_wan, dtype=float)
    cls = _classes(eval_class)
    eligible_cls = np.isin(cls, list(spec.lease_classes))
    raw = m2 * spec.lease_yuan_per_m2_month * spec.lease_months / 10000.0
    big = np.nan_to_num(inv, nan=-np.inf) >= spec.lease_min_investment_wan - 1e-9
    leased = np.nan_to_num(m2, nan=0.0) > 0
    out = np.where(eligible_cls & big & leased, np.minimum(raw, spec.lease_cap_wan), 0.0)
    unknown = np.isnan(m2) | (leased & np.isnan(inv)) | (leased & big & (cls == ""))
    return np.where(unknown, np.nan, out)


def _fmt_pct(v: float) -> str:
    return f"{v * 100:g}%"


def plan_message(inv: float, tier: int, uplift: float, cap: float, cls: str, year, lease: float,
                 leased_m2: float) -> str:
    """The Chinese message of one plan's TT-TECH finding (what was computed, or what is missing)."""
    label = f"{int(year)}年度" if year is not None and not pd.isna(year) else "上一年度"
    if np.isnan(inv):
        head = "缺少生产设备(含软件)实际投资额,无法测算技改补助提标"
    elif tier <= 0:
        head = f"生产设备实际投资{inv:g}万元,未达到最低档"
    elif not cls:
        head = f"生产设备实际投资{inv:g}万元(第{tier}档),企业无{label}亩均评价结果,无法确定提标比例"
    elif uplift > 0:
        head = f"生产设备实际投资{inv:g}万元(第{tier}档),{label}亩均评价{cls}类,补助标准提高{_fmt_pct(uplift)}、限额提高{_fmt_pct(cap)}"
    else:
        head = f"生产设备实际投资{inv:g}万元(第{tier}档),{label}亩均评价{cls}类,不享受提标"
    if np.isnan(lease):
        tail = ";新租赁厂房补助无法测算(缺少" + ("新租赁厂房面积" if np.isnan(leased_m2) else
                                         "设备投资额" if np.isnan(inv) else f"{label}亩均评价结果") + ")"
    elif lease > 0:
        tail = f";新租赁厂房补助{lease:.2f}万元"
    else:
        tail = ""
    return head + tail


def assess_subsidies(ws: Workspace, results: Results) -> StageResult:
    """Apply the TT-TECH calculators to the renovation plans (``subsidies`` table and findings).

    The class is the plan parcel's ``eval_class`` from the efficiency stage: the evaluation year
    before the as-of date (上一年度亩均评价). A plan whose answer hangs on a missing value (the
    investment, or the class of a plan that reaches a tier) is ``missing_data``.
    """
    spec = ws.ruleset.get(RULE)
    if spec is None:
        return StageResult(findings=not_in_ruleset(ws.admin_code, RULE, ws.ruleset.name))
    plans = ws.layer("renovations")
    if plans is None:
        return StageResult(findings=make_findings([ws.admin_code], RULE, spec.clause, MISSING_DATA,
                                                  message="缺少零增地技改方案图层(renovations),无法测算技改补助"))
    plans = pd.DataFrame(plans.drop(columns=plans.geometry.name))
    n = len(plans)
    parcels = results.parcels
    ids = plans["parcel_id"].astype("string").str.strip()
    if "eval_class" in parcels.columns:
        classes = pd.Series(parcels["eval_class"].astype("string").to_numpy(),
                            index=parcels["parcel_id"].astype("string").to_numpy())
        classes = classes[~classes.index.duplicated()]
        cls = pd.Series(classes.reindex(ids.fillna("").to_numpy()).to_numpy(), dtype="string")
    else:
        cls = pd.Series([pd.NA] * n, dtype="string")
    year = (results.summary.get("efficiency") or {}).get("eval_year")

    def get(c):
        return pd.to_numeric(plans[c], errors="coerce").to_numpy(dtype=float) if c in plans.columns \
            else np.full(n, np.nan)

    cls_text = _classes(cls)
    up = tech_uplift(get("equipment_investment"), cls_text, spec)
    lease = leased_plant_subsidy(get("leased_plant_m2"), get("equipment_investment"), cls_text, spec)
    table = pd.DataFrame({"renovation_id": plans["renovation_id"].astype("string").to_numpy(),
                          "parcel_id": ids.to_numpy(),
                          "eval_class": cls.to_numpy(), "equipment_investment": get("equipment_investment"),
                          "tier": up["tier"], "uplift": up["uplift"], "cap_uplift": up["cap_uplift"],
                          "leased_plant_m2": get("leased_plant_m2"), "lease_subsidy_wan": lease})
    missing = up["uplift"].isna().to_numpy() | np.isnan(lease)
    status = np.where(missing, MISSING_DATA, np.where(up["uplift"].fillna(0).to_numpy() > 0, PASS, NOT_APPLICABLE))
    msg = [plan_message(inv, t, u, cu, c, year, ls, m2) for inv, t, u, cu, c, ls, m2 in
           zip(table["equipment_investment"], table["tier"], table["uplift"], table["cap_uplift"], cls_text,
               table["lease_subsidy_wan"], table["leased_plant_m2"])]
    findings = make_findings(table["renovation_id"].fillna("").to_numpy(), RULE, spec.clause, status, table["uplift"],
                             np.nan, "比例", msg)
    return StageResult(findings=findings, layers={"subsidies": table},
                       summary={"lease_subsidy_wan": float(np.nansum(lease))})
