"""The campaign's lists as this run's data sees them: who should be on each list, and who now meets
the rule (the input of the 整治台账's closed loop, :mod:`geo_tenglong.history.ledger`).

Three lists, each keyed by a deterministic task id (campaign.md):

- 高耗低效整治 (TT-LEDGER 天台 三(一)1 / DQ-LEDGER 德清 三(一)1): ``ZZ-<统一社会信用代码>`` for every
  enterprise the ruleset's reading lists — the 上一年度亩均评价 classes it names (D) and, with
  ``low_efficiency``, the low-efficiency enterprises of the efficiency stage (TT-T4) — with the
  default 整治方式 of the ruleset. An evaluated enterprise that is not listed now meets the rule.
- 零增地技改 (TT-ZERO-LIST 三(五)16): ``LZ-<renovation id>`` for every plan the zero_land stage
  admits; an accepted plan (验收) or a refused one is no longer listed.
- 留驻优质企业 (TT-RETAIN 三(六)17): ``LY-<统一社会信用代码>`` for class A enterprises and those whose
  ``quality_kinds`` names a listed kind.

Each row says whether the task is listed now (``listed``) and why (``reason``); a row with
``listed`` false is evidence that a task can be closed, its reason the closing's (达标销号:…,
销号:已验收, 移出清单:…). An enterprise or plan without a
row is not judged (no data): its task keeps its status — except an enterprise with an open task in
the history's 整治台账 that is neither evaluated nor holds any parcel any more (its land recovered or
transferred, or the enterprise gone): that task can be closed.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..findings import fmt_value
from ..rules.campaign import TREATMENTS
from ..stage import StageResult
from ..workspace import Workspace

LIST_RECTIFY = "高耗低效整治"
LIST_ZERO = "零增地技改"
LIST_RETAIN = "留驻优质企业"
#: Task-id prefix of each list.
PREFIX = {LIST_RECTIFY: "ZZ-", LIST_ZERO: "LZ-", LIST_RETAIN: "LY-"}
LEDGER_RULES = ("TT-LEDGER", "DQ-LEDGER")
COLUMNS = ["task_id", "list", "rule_id", "clause", "uscc", "name", "parcel_id", "township", "treatment",
           "deadline", "listed", "reason"]

__all__ = ["COLUMNS", "LIST_RECTIFY", "LIST_RETAIN", "LIST_ZERO", "PREFIX", "TREATMENTS", "assess_ledger_lists",
           "deadline", "eval_year_rows", "history_tasks", "ledger_rule", "quality_kinds", "rectification_rows"]


def ledger_rule(ws: Workspace):
    """The county's 高耗低效整治 rule (TT-LEDGER or DQ-LEDGER), or None."""
    return ws.ruleset.first(*LEDGER_RULES)


def eval_year_rows(results) -> pd.DataFrame | None:
    """The efficiency stage's ``enterprise_eval`` rows of its evaluation year (上一年度), or None."""
    table = results.layers.get("enterprise_eval")
    year = (results.summary.get("efficiency") or {}).get("eval_year")
    if table is None or year is None:
        return None
    return table[table["year"] == year]


def history_tasks(ws: Workspace) -> pd.DataFrame | None:
    """The 整治台账 tasks of the run's history store (``ws.history``), or None without a history."""
    history = getattr(ws, "history", None)
    if history is None:
        return None
    from ..history.ledger import read_tasks

    return read_tasks(history.path)


def _departed(ws: Workspace, results, judged: set[str], spec) -> pd.DataFrame:
    """Open ``ZZ-`` tasks whose enterprise has left: not evaluated and holding no parcel any more."""
    tasks = history_tasks(ws)
    if tasks is None or not len(tasks):
        return _frame({})
    parcels = results.parcels
    holding = set()
    for col in ("holder_uscc", "owner_uscc"):
        if col in parcels.columns:
            holding |= set(parcels[col].dropna().astype(str))
    t = tasks[tasks["task_id"].astype(str).str.startswith(PREFIX[LIST_RECTIFY]) & (tasks["status"] != "已销号")]
    t = t[~t["uscc"].astype(str).isin(judged | holding)]
    return _frame({"task_id": t["task_id"].to_numpy(), "list": LIST_RECTIFY, "rule_id": spec.rule_id,
                   "clause": spec.clause, "uscc": t["uscc"].to_numpy(), "name": t["name"].to_numpy(),
                   "parcel_id": t["parcel_id"].to_numpy(), "township": t["township"].to_numpy(),
                   "treatment": t["treatment"].to_numpy(), "deadline": pd.NaT, "listed": False,
                   "reason": "销号:企业已不再占用工业用地(宗地已收回、流转或企业已退出)"})


def deadline(as_of: dt.date, months: int) -> pd.Timestamp:
    """完成时限: ``months`` calendar months after ``as_of`` (a month end stays in its month)."""
    return pd.Timestamp(as_of) + pd.DateOffset(months=months)


def _townships(parcels: pd.DataFrame) -> pd.Series:
    """Enterprise (holder) → township of its largest parcel."""
    if "holder_uscc" not in parcels.columns or "township" not in parcels.columns:
        return pd.Series(dtype="string")
    p = parcels[["holder_uscc", "township", "area_m2"]].dropna(subset=["holder_uscc"])
    p = p.sort_values("area_m2", ascending=False, kind="stable")
    return p.drop_duplicates("holder_uscc").set_index("holder_uscc")["township"].astype("string")


def _if_listed(listed: np.ndarray, values) -> list:
    """``values`` where ``listed``, None elsewhere."""
    return [v if keep else None for v, keep in zip(values, listed)]


def _frame(rows: dict) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for c in COLUMNS:
        if c not in frame.columns:
            frame[c] = pd.NA
    frame = frame[COLUMNS]
    return frame.astype({c: "string" for c in COLUMNS if c not in ("deadline", "listed")}
                        | {"deadline": "datetime64[ns]", "listed": "bool"})


def rectification_rows(ws: Workspace, results) -> pd.DataFrame:
    """The 高耗低效整治 rows (``ZZ-``): every in-scope enterprise of the evaluation year, listed or not.

    Parameters
    ----------
    ws : Workspace
    results : Results
        With the efficiency stage's ``enterprise_eval`` table and parcel columns.

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS`; empty when the ruleset has no ledger rule or nothing was evaluated.
    """
    spec = ledger_rule(ws)
    ev = eval_year_rows(results)
    if spec is None or ev is None or not len(ev):
        return _frame({})
    ev = ev[ev["in_scope"].fillna(False).astype(bool)].drop_duplicates("uscc")
    cls = ev["eval_class"].astype("string")
    low_type = ev["low_efficiency_type"].astype("string").replace("", pd.NA)
    by_class = cls.isin(list(spec.classes)).fillna(False).to_numpy(dtype=bool)
    by_low = (low_type.notna().to_numpy(dtype=bool) & spec.low_efficiency)
    listed = by_class | by_low
    treatment = [spec.class_treatment.get(str(c), spec.low_efficiency_treatment) if is_cls
                 else spec.low_efficiency_treatment for c, is_cls in zip(cls, by_class)]
    tax = [fmt_value(v, None, 2, "万元/亩") for v in ev["tax_per_mu"]]
    reason = []
    for c, low, is_cls, is_low, t in zip(cls, low_type, by_class, by_low, tax):
        parts = [f"亩均评价{c}类"] if is_cls else []
        if is_low:
            parts.append(str(low))
        reason.append("、".join(parts) + f"(亩均税收{t})" if parts
                      else f"达标销号:亩均评价{c if pd.notna(c) else '无'}类,亩均税收{t}")
    towns = _townships(results.parcels)
    rows = _frame({
        "task_id": PREFIX[LIST_RECTIFY] + ev["uscc"].astype(str).to_numpy(), "list": LIST_RECTIFY,
        "rule_id": spec.rule_id, "clause": spec.clause, "uscc": ev["uscc"].to_numpy(), "name": ev["name"].to_numpy(),
        "parcel_id": ev["parcel_ids"].to_numpy(), "township": towns.reindex(ev["uscc"].astype(str)).to_numpy(),
        "treatment": _if_listed(listed, treatment),
        "deadline": np.where(listed, deadline(ws.as_of, spec.deadline_months), pd.NaT),
        "listed": listed, "reason": reason})
    departed = _departed(ws, results, set(ev["uscc"].astype(str)), spec)
    return pd.concat([rows, departed], ignore_index=True) if len(departed) else rows


def _zero_rows(ws: Workspace, results) -> pd.DataFrame:
    spec = ws.ruleset.get("TT-ZERO-LIST")
    plans = results.layers.get("zero_land")
    if spec is None or plans is None or not len(plans):
        return _frame({})
    accepted = plans["accepted"].fillna(False).astype(bool).to_numpy()
    refused = (plans["admission"] == "fail").fillna(False).to_numpy(dtype=bool)
    listed = ~accepted & ~refused
    reason = np.where(accepted, "销号:已验收", np.where(refused, "移出清单:不予准入," + plans["reason"].fillna("").astype(str),
                                                   plans["reason"].fillna("").astype(str)))
    return _frame({
        "task_id": PREFIX[LIST_ZERO] + plans["renovation_id"].astype(str).to_numpy(), "list": LIST_ZERO,
        "rule_id": spec.rule_id, "clause": spec.clause, "uscc": plans["uscc"].to_numpy(),
        "name": plans["name"].to_numpy(), "parcel_id": plans["parcel_id"].to_numpy(),
        "township": plans["township"].to_numpy(), "treatment": _if_listed(listed, ["改造提升"] * len(plans)),
        "deadline": np.where(listed, deadline(ws.as_of, spec.deadline_months), pd.NaT),
        "listed": listed, "reason": reason})


def quality_kinds(ws: Workspace, year) -> pd.Series:
    """uscc → the enterprise table's ``quality_kinds`` cell of ``year`` (else its latest year)."""
    ent = ws.table("enterprises")
    if ent is None or "quality_kinds" not in ent.columns:
        return pd.Series(dtype="string")
    e = ent[["uscc", "year", "quality_kinds"]].dropna(subset=["uscc"]).copy()
    e["own"] = pd.to_numeric(e["year"], errors="coerce") == year
    e = e.sort_values(["own", "year"], kind="stable").drop_duplicates("uscc", keep="last")
    return e.set_index(e["uscc"].astype(str))["quality_kinds"].astype("string")


def _retain_rows(ws: Workspace, results) -> pd.DataFrame:
    spec = ws.ruleset.get("TT-RETAIN")
    ev = eval_year_rows(results)
    if spec is None or ev is None or not len(ev):
        return _frame({})
    ev = ev.drop_duplicates("uscc")
    year = ev["year"].iloc[0]
    kinds = quality_kinds(ws, year).reindex(ev["uscc"].astype(str)).fillna("")
    matched = [[k for k in spec.kinds if k in str(cell)] for cell in kinds]
    cls = ev["eval_class"].astype("string")
    by_class = cls.isin(list(spec.classes)).fillna(False).to_numpy(dtype=bool)
    listed = by_class | np.array([bool(m) for m in matched], dtype=bool)
    reason = []
    for c, is_cls, m in zip(cls, by_class, matched):
        parts = ([f"亩均评价{c}类"] if is_cls else []) + m
        reason.append("、".join(parts) if parts else f"移出清单:亩均评价{c if pd.notna(c) else '无'}类,无优质企业称号")
    towns = _townships(results.parcels)
    return _frame({
        "task_id": PREFIX[LIST_RETAIN] + ev["uscc"].astype(str).to_numpy(), "list": LIST_RETAIN,
        "rule_id": spec.rule_id, "clause": spec.clause, "uscc": ev["uscc"].to_numpy(), "name": ev["name"].to_numpy(),
        "parcel_id": ev["parcel_ids"].to_numpy(), "township": towns.reindex(ev["uscc"].astype(str)).to_numpy(),
        "treatment": None, "deadline": np.where(listed, deadline(ws.as_of, spec.deadline_months), pd.NaT),
        "listed": listed, "reason": reason})


def assess_ledger_lists(ws: Workspace, results) -> StageResult:
    """Build the ``ledger_lists`` table: the three lists' rows, listed or meeting the rule.

    Runs after the efficiency and zero_land stages. It decides who belongs on each list (the
    ruleset's reading of the clause); the history's 整治台账 opens, closes and reopens tasks from
    it after the run (:func:`geo_tenglong.history.ledger.update_ledger`).
    """
    table = pd.concat([f for f in (rectification_rows(ws, results), _zero_rows(ws, results),
                                   _retain_rows(ws, results)) if len(f)] or [_frame({})], ignore_index=True)
    listed = table[table["listed"]]
    summary = {name: int((listed["list"] == name).sum()) for name in PREFIX}
    return StageResult(layers={"ledger_lists": table}, summary={"listed": summary})
