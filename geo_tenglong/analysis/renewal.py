"""TT-RENEW (天台 三(一)4; 德清's DQ-STD 三(一)3 carries it too): 工业用地到期续签履约.

Industrial land whose term (``term_end``) ends within ``renew_within_years`` of the as-of date — or
has ended already — is listed with its performance (亩均评价 class, 亩均税收, 容积率, idle tier) so
the bureau can decide the renewal on it; one ``warn`` finding per parcel. The rule names no renewal
outcome by class, so the tool decides none.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..findings import MISSING_DATA, WARN, concat_findings, fmt_value, make_findings, not_in_ruleset
from ..io.dates import add_years, days_between
from ..stage import StageResult
from ..values import parse_date_series
from ..workspace import Workspace
from .enterprise_land import industrial_mask

RULES = ("TT-RENEW", "DQ-STD")
COLUMNS = ["parcel_id", "owner_uscc", "owner_name", "township", "park_id", "area_mu", "term_end", "days_left",
           "eval_class", "tax_per_mu", "far", "idle_tier"]


def renewal_rule(ws: Workspace):
    """The county's 到期续签 rule (TT-RENEW, or 德清's DQ-STD), or None."""
    return ws.ruleset.first(*RULES)


def _industrial(ws: Workspace, parcels: pd.DataFrame) -> np.ndarray:
    spec = ws.ruleset.get("MJ-EVAL") or ws.ruleset.get("NAT-COVER")
    codes = list(spec.industrial_land_codes) if spec is not None else list(ws.standards.industrial)
    if "land_use_code" not in parcels.columns:
        return np.ones(len(parcels), dtype=bool)
    blank = bool(ws.parcels.attrs.get("unknown_land_use_is_industrial", False))
    return industrial_mask(parcels["land_use_code"], codes, blank)


def _message(end: pd.Timestamp, days: float, cls, tax, far) -> str:
    when = f"已于{end:%Y-%m-%d}到期" if days < 0 else f"将于{end:%Y-%m-%d}到期(剩余{int(days)}天)"
    return (f"工业用地使用期限{when},请按履约情况办理续签:亩均评价"
            f"{cls if isinstance(cls, str) and cls else '无'}类,亩均税收{fmt_value(tax, None, 2, '万元/亩')},"
            f"容积率{fmt_value(far, None, 2)}")


def assess_renewal(ws: Workspace, results) -> StageResult:
    """List industrial land whose term ends soon (``renewal`` table) with a finding each.

    Parameters
    ----------
    ws : Workspace
    results : Results
        After the efficiency, intensity and idle stages (their parcel columns are shown).

    Returns
    -------
    StageResult
    """
    spec = renewal_rule(ws)
    if spec is None:
        return StageResult(findings=not_in_ruleset(ws.admin_code, "TT-RENEW", ws.ruleset.name))
    parcels = pd.DataFrame(results.parcels.drop(columns=results.parcels.geometry.name))
    if "term_end" not in parcels.columns:
        return StageResult(findings=make_findings([ws.admin_code], spec.rule_id, spec.clause, MISSING_DATA,
                                                  message="宗地图层缺少土地使用期限(term_end),无法列出到期续签宗地"))
    as_of = pd.Timestamp(ws.as_of)
    end = parse_date_series(parcels["term_end"].astype(object)).dates
    horizon = add_years(pd.Series([as_of]), spec.renew_within_years).iloc[0]
    industrial = _industrial(ws, parcels)
    soon = industrial & (end <= horizon).fillna(False).to_numpy(dtype=bool)
    granted = (parcels["rights_type"].astype("string").eq("出让").fillna(False).to_numpy(dtype=bool)
               if "rights_type" in parcels.columns else np.zeros(len(parcels), dtype=bool))
    no_term = industrial & end.isna().to_numpy() & granted
    table = parcels.loc[soon].reindex(columns=COLUMNS).copy()
    table["term_end"] = end[soon].to_numpy()
    table["days_left"] = days_between(np.full(int(soon.sum()), as_of, dtype="datetime64[ns]"), end[soon].to_numpy())
    table = table.sort_values("term_end", kind="stable").reset_index(drop=True)
    for c in ("parcel_id", "owner_uscc", "owner_name", "township", "park_id", "eval_class"):
        table[c] = table[c].astype("string")
    for c in ("area_mu", "tax_per_mu", "far", "idle_tier"):
        table[c] = pd.to_numeric(table[c], errors="coerce").astype(float)
    msg = [_message(e, d, c, t, f) for e, d, c, t, f in
           zip(table["term_end"], table["days_left"], table["eval_class"], table["tax_per_mu"], table["far"])]
    findings = [make_findings(table["parcel_id"].fillna("").to_numpy(), spec.rule_id, spec.clause, WARN,
                              table["days_left"].to_numpy(dtype=float), np.nan, "天", msg)]
    if no_term.any():
        findings.append(make_findings(parcels.loc[no_term, "parcel_id"].astype(str).to_numpy(), spec.rule_id,
                                      spec.clause, MISSING_DATA, message="出让工业用地缺少土地使用期限,无法判断是否临近到期"))
    return StageResult(findings=concat_findings(findings), layers={"renewal": table},
                       summary={"listed": len(table), "area_mu": float(table["area_mu"].sum())})
