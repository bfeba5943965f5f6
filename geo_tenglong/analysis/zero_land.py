"""TT-ZERO (天台 三(五)16): admission and start of 零增地技改 plans.

对明令淘汰、限制类项目和近期列入当地搬迁改造的企业不得进行"零增地"技改; 经审批同意的"零增地"技改项目,
原则上要求3个月内开工建设. Per plan (the ``renovations`` layer) two findings, cited to the clause:

- admission: the plan's ``policy_category`` is one of the ruleset's barred categories (淘汰类, 限制类),
  or its enterprise is listed for relocation — a 整治 task whose 整治方式 is one the ruleset names
  (搬迁入园, 整体腾退), from the history's 整治台账 when the run has one (``ws.history``),
  else this run's default treatment — is ``fail``; a blank category or an unknown enterprise is
  ``missing_data``.
- start: approved (``approved_date``) and not started (``actual_start``) more than
  ``start_within_months`` ago is ``fail``; started later than that is ``warn``; an accepted plan or
  one still inside the period passes; no approval date is ``missing_data``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..findings import FAIL, MISSING_DATA, PASS, WARN, concat_findings, make_findings, not_in_ruleset
from ..stage import StageResult
from ..values import parse_date_series, yes_no_series
from ..workspace import Workspace
from .ledger_lists import LIST_RECTIFY, PREFIX, history_tasks, rectification_rows

RULE = "TT-ZERO"
CLOSED = "已销号"


def relocation_listed(ws: Workspace, results, treatments: tuple[str, ...]) -> pd.Series:
    """Enterprises listed for relocation: uscc → the 整治方式 that lists them.

    The 整治台账 of the history, when the run has one (``ws.history``: its open ``ZZ-``
    tasks, with the treatment the township chose), overrides this run's default treatments.
    """
    rows = rectification_rows(ws, results)
    rows = rows[rows["listed"]]
    treatment = pd.Series(rows["treatment"].to_numpy(), index=rows["task_id"].astype(str).to_numpy(), dtype="string")
    uscc = pd.Series(rows["uscc"].to_numpy(), index=treatment.index, dtype="string")
    tasks = history_tasks(ws)
    if tasks is not None and len(tasks):
        zz = tasks[tasks["task_id"].astype(str).str.startswith(PREFIX[LIST_RECTIFY])]
        closed = zz.loc[zz["status"] == CLOSED, "task_id"].astype(str)
        treatment = treatment.drop(closed, errors="ignore")
        open_ = zz[zz["status"] != CLOSED]
        treatment = pd.concat([treatment.drop(open_["task_id"].astype(str), errors="ignore"),
                               pd.Series(open_["treatment"].to_numpy(), index=open_["task_id"].astype(str).to_numpy(),
                                         dtype="string")])
        uscc = pd.concat([uscc, pd.Series(open_["uscc"].to_numpy(), index=open_["task_id"].astype(str).to_numpy(),
                                          dtype="string")])
        uscc = uscc[~uscc.index.duplicated()]
    chosen = treatment[treatment.isin(list(treatments)).fillna(False)]
    out = pd.Series(chosen.to_numpy(), index=uscc.reindex(chosen.index).to_numpy(), dtype="string")
    return out[out.index.notna() & ~out.index.duplicated()]


def _by_parcel(parcels: pd.DataFrame, column: str, ids: pd.Series) -> np.ndarray:
    if column not in parcels.columns:
        return np.full(len(ids), None, dtype=object)
    s = pd.Series(parcels[column].to_numpy(), index=parcels["parcel_id"].astype(str).to_numpy())
    s = s[~s.index.duplicated()]
    return s.reindex(ids.astype(str).to_numpy()).astype(object).where(lambda x: x.notna(), None).to_numpy()


def _text(plans: pd.DataFrame, column: str) -> pd.Series:
    if column not in plans.columns:
        return pd.Series(pd.NA, index=plans.index, dtype="string")
    return plans[column].astype("string").str.strip().replace("", pd.NA)


def _dates(plans: pd.DataFrame, column: str) -> tuple[pd.Series, np.ndarray]:
    """A date column (NaT where blank or unreadable) and where it held something not a date."""
    if column not in plans.columns:
        return pd.Series(pd.NaT, index=plans.index, dtype="datetime64[ns]"), np.zeros(len(plans), dtype=bool)
    parsed = parse_date_series(plans[column].astype(object))
    return parsed.dates, parsed.invalid.to_numpy(dtype=bool)


def _admission(category: pd.Series, barred: tuple[str, ...], holder: pd.Series,
               relocating: pd.Series) -> tuple[np.ndarray, list[str]]:
    status, reasons = [], []
    for cat, uscc in zip(category, holder):
        fails, missing = [], []
        if pd.isna(cat):
            missing.append("未填产业政策类别")
        elif any(b in str(cat) for b in barred):
            fails.append(f"属{cat}项目(明令淘汰、限制类项目不得实施零增地技改)")
        if pd.isna(uscc):
            missing.append("未能确定实施企业")
        elif uscc in relocating.index:
            fails.append(f"企业已列入整治清单({relocating[uscc]}),近期列入搬迁改造的企业不得实施零增地技改")
        status.append(FAIL if fails else (MISSING_DATA if missing else PASS))
        reasons.append(";".join(fails or missing) or "准入符合:非淘汰、限制类项目,企业未列入搬迁改造")
    return np.asarray(status, dtype=object), reasons


def _start(approved: tuple[pd.Series, np.ndarray], started: tuple[pd.Series, np.ndarray], accepted: np.ndarray,
           as_of: pd.Timestamp, months: int) -> tuple[np.ndarray, pd.Series, list[str]]:
    (approved_on, bad_approved), (started_on, bad_started) = approved, started
    due = approved_on + pd.DateOffset(months=months)
    status, reasons = [], []
    for a, s, d, acc, bad_a, bad_s in zip(approved_on, started_on, due, accepted, bad_approved, bad_started):
        if acc:
            status.append(PASS)
            reasons.append("已验收")
        elif bad_a or pd.isna(a):
            status.append(MISSING_DATA)
            reasons.append(("审批日期无法识别" if bad_a else "缺少审批日期") + ",无法核对开工期限")
        elif bad_s:
            status.append(MISSING_DATA)
            reasons.append("实际开工日期无法识别,无法核对开工期限")
        elif pd.notna(s):
            late = s > d
            status.append(WARN if late else PASS)
            reasons.append(f"审批{a:%Y-%m-%d},{'超过' if late else ''}{months}个月{'后' if late else '内'}开工"
                           f"({s:%Y-%m-%d}{',应于' + format(d, '%Y-%m-%d') + '前' if late else ''})")
        elif as_of > d:
            status.append(FAIL)
            reasons.append(f"审批{a:%Y-%m-%d}后超过{months}个月未开工(应于{d:%Y-%m-%d}前开工)")
        else:
            status.append(PASS)
            reasons.append(f"审批{a:%Y-%m-%d},尚在{months}个月开工期限内(至{d:%Y-%m-%d})")
    return np.asarray(status, dtype=object), due, reasons


def assess_zero_land(ws: Workspace, results) -> StageResult:
    """Check every 零增地技改 plan against TT-ZERO: the ``zero_land`` table and two findings a plan.

    Parameters
    ----------
    ws : Workspace
        Its ``renovations`` layer (``approved_date``, ``actual_start``, ``policy_category``,
        ``accepted``, ``uscc`` — the parcel's holder when blank).
    results : Results
        After the efficiency stage (holders, townships, the 整治 list's default treatments).

    Returns
    -------
    StageResult
    """
    spec = ws.ruleset.get(RULE)
    if spec is None:
        return StageResult(findings=not_in_ruleset(ws.admin_code, RULE, ws.ruleset.name))
    layer = ws.layer("renovations")
    if layer is None:
        return StageResult(findings=make_findings([ws.admin_code], RULE, spec.clause, MISSING_DATA,
                                                  message="缺少零增地技改方案图层(renovations),无法核对零增地技改准入"))
    plans = pd.DataFrame(layer.drop(columns=layer.geometry.name)).reset_index(drop=True)
    parcels = results.parcels
    ids = _text(plans, "parcel_id")
    holder = _text(plans, "uscc").fillna(pd.Series(_by_parcel(parcels, "holder_uscc", ids.fillna("")),
                                                   dtype="string"))
    relocating = relocation_listed(ws, results, spec.relocation_treatments)
    category = _text(plans, "policy_category")
    admission, adm_reason = _admission(category, spec.barred_categories, holder, relocating)
    accepted = (yes_no_series(plans["accepted"]).fillna(False).to_numpy(dtype=bool) if "accepted" in plans.columns
                else np.zeros(len(plans), dtype=bool))
    approved, started = _dates(plans, "approved_date"), _dates(plans, "actual_start")
    start, due, start_reason = _start(approved, started, accepted, pd.Timestamp(ws.as_of), spec.start_within_months)
    names = _by_parcel(parcels, "holder_name", ids.fillna(""))
    table = pd.DataFrame({
        "renovation_id": _text(plans, "renovation_id").to_numpy(), "parcel_id": ids.to_numpy(),
        "uscc": holder.to_numpy(), "name": pd.Series(names, dtype="string").to_numpy(),
        "township": pd.Series(_by_parcel(parcels, "township", ids.fillna("")), dtype="string").to_numpy(),
        "policy_category": category.to_numpy(),
        "relocation_treatment": relocating.reindex(holder.fillna("").to_numpy()).to_numpy(),
        "approved_date": approved[0].to_numpy(), "actual_start": started[0].to_numpy(), "start_due": due.to_numpy(),
        "accepted": accepted, "admission": admission, "start_status": start,
        "reason": [f"{a};{s}" for a, s in zip(adm_reason, start_reason)]})
    table = table.astype({c: "string" for c in ("renovation_id", "parcel_id", "uscc", "name", "township",
                                                "policy_category", "relocation_treatment", "admission",
                                                "start_status", "reason")})
    plan_ids = table["renovation_id"].fillna("").to_numpy()
    findings = concat_findings([
        make_findings(plan_ids, RULE, spec.clause, admission, message=[f"零增地技改准入:{r}" for r in adm_reason]),
        make_findings(plan_ids, RULE, spec.clause, start, threshold=float(spec.start_within_months), unit="月",
                      message=[f"零增地技改开工:{r}" for r in start_reason])])
    return StageResult(findings=findings, layers={"zero_land": table},
                       summary={"refused": int((admission == FAIL).sum()), "not_started": int((start == FAIL).sum())})
