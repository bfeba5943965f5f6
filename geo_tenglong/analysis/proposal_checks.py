"""What split and merge proposals share: the condition rows, and the TT-TRANSFER checks.

A proposal (a split in :mod:`geo_tenglong.analysis.split`, a merge in
:mod:`geo_tenglong.analysis.merge`) is checked condition by condition; :class:`ConditionRows`
collects one row per condition and turns them into findings (feature id = ``proposal_id``) and a
verdict per proposal. Both kinds transfer land, so both check the buyer's 上一年度亩均评价 and the
inheritance of 标准地 indicators (TT-TRANSFER) here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..findings import FAIL, MISSING_DATA, NOT_APPLICABLE, PASS, WARN, make_findings
from ..values import clean_text_array

NA_MESSAGE = "本县规则集无此条款"
#: How a measured value must compare with the threshold, per condition (for the ``limit`` text).
CONDITION_OPS = {"分块覆盖宗地": "≤", "分块互不重叠": "≤", "分块位于宗地内": "≤", "分割数量": "≤", "每宗面积": "≥",
                 "以幢为最小分割单位": "≤", "行政办公及生活服务用地": "=", "宗地": "≥", "界线相邻": "≥",
                 "权属性质一致": "=", "使用权类型一致": "="}

#: ``uscc → (eval_class, class_name)`` of one evaluation year, with that year (``None``: no table).
EvalInfo = tuple[int | None, dict[str, tuple[str | None, str | None]]]


def verdict(statuses: Iterable[str]) -> str:
    """A proposal's verdict from its conditions: any fail, else any missing, else pass (warn is a note)."""
    found = set(statuses)
    if FAIL in found:
        return FAIL
    if MISSING_DATA in found:
        return MISSING_DATA
    if found & {PASS, WARN}:
        return PASS
    return NOT_APPLICABLE


class ConditionRows:
    """Collects condition rows and turns them into findings in one vectorised call."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, proposal_id: str, condition: str, rule_id: str, clause: str, status: str,
            value: float = np.nan, threshold: float = np.nan, unit: str = "", message: str = "",
            limit: str | None = None) -> None:
        """Add one condition of one proposal (``limit`` defaults to the operator and ``threshold``)."""
        if limit is None:
            limit = "" if threshold is None or np.isnan(threshold) else \
                f"{CONDITION_OPS.get(condition, '')}{threshold:g} {unit}".strip()
        self.rows.append({"proposal_id": proposal_id, "condition": condition, "rule_id": rule_id, "clause": clause,
                          "status": status, "value": value, "threshold": threshold, "unit": unit, "limit": limit,
                          "message": f"{condition}: {message}" if message else condition})

    def verdicts(self) -> tuple[dict[str, str], dict[str, str | None], dict[str, str]]:
        """Per proposal: the verdict, the failed or missing conditions joined with 、, and a message
        (the messages of those conditions and of the notes, or 各项条件均符合)."""
        statuses: dict[str, set[str]] = {}
        failed: dict[str, list[str]] = {}
        notes: dict[str, list[str]] = {}
        for r in self.rows:
            p = r["proposal_id"]
            statuses.setdefault(p, set()).add(r["status"])
            if r["status"] in (FAIL, MISSING_DATA):
                failed.setdefault(p, []).append(r["condition"])
            if r["status"] in (FAIL, MISSING_DATA, WARN):
                notes.setdefault(p, []).append(r["message"])
        verdicts = {p: verdict(s) for p, s in statuses.items()}
        messages = {p: ";".join(notes.get(p, [])) or ("各项条件均符合" if verdicts[p] == PASS else NA_MESSAGE)
                    for p in statuses}
        return verdicts, {p: "、".join(failed[p]) if p in failed else None for p in statuses}, messages

    def findings(self) -> pd.DataFrame:
        """The findings: :data:`geo_tenglong.findings.COLUMNS` plus ``condition`` and ``limit``."""
        if not self.rows:
            out = make_findings([], "", "", [])
            out["condition"] = pd.Series(dtype="string")
            out["limit"] = pd.Series(dtype="string")
            return out
        df = pd.DataFrame(self.rows)
        out = make_findings(df["proposal_id"], "", "", df["status"].to_numpy(), df["value"].to_numpy(),
                            df["threshold"].to_numpy(), "", df["message"].to_numpy())
        for col in ("rule_id", "clause", "unit"):
            out[col] = df[col].astype("string").to_numpy()
        out["condition"] = df["condition"].astype("string").to_numpy()
        out["limit"] = df["limit"].astype("string").to_numpy()
        return out


# ----------------------------------------------------------------------------------------------
# the buyer (TT-TRANSFER)
# ----------------------------------------------------------------------------------------------

def named_parcels(parcels: pd.DataFrame, ids: Iterable[str | None]) -> tuple[pd.DataFrame, dict[str, int]]:
    """The rows of ``parcels`` that ``ids`` name, and each named id's row position among them.

    Proposals name a few parcels of a county: their checks take rows from these, not from every
    parcel (a take from a million wide rows per proposal was most of the stage).

    Parameters
    ----------
    parcels : DataFrame
        ``results.parcels``.
    ids : iterable of str or None
        The 宗地代码 the proposals name (cleaned; ``None`` is skipped).

    Returns
    -------
    (DataFrame, dict)
        The named parcels in their order, and 宗地代码 → row position in that frame (the last row
        where an id repeats).
    """
    wanted = {i for i in ids if i}
    pid = parcels["parcel_id"].astype("string")
    sub = parcels[pid.isin(wanted).fillna(False).to_numpy(dtype=bool)]
    return sub, {p: i for i, p in enumerate(sub["parcel_id"].astype("string")) if p is not pd.NA}


def latest_classes(eval_table: pd.DataFrame | None, year: int | None = None) -> EvalInfo:
    """The 亩均评价 class of every enterprise in the evaluation year ``year`` of ``eval_table``.

    "上一年度亩均评价" is the year before the as-of date (issue 14), the efficiency stage's
    ``eval_year``: next year's rows already in the table do not move it, and a year without rows
    is missing, not borrowed from another year. Without ``year`` the latest year of the table is
    taken (only for callers that know no as-of date).

    Parameters
    ----------
    eval_table : DataFrame or None
        The ``enterprise_eval`` table of the efficiency stage (``uscc, year, eval_class,
        class_name``).
    year : int, optional
        The evaluation year.

    Returns
    -------
    (int or None, dict)
        The year read and ``uscc → (eval_class, class_name)`` for that year (empty when the year
        has no rows); ``(None, {})`` when there is no table or no usable year.
    """
    if eval_table is None or not len(eval_table) or not {"uscc", "year", "eval_class"} <= set(eval_table.columns):
        return None, {}
    years = pd.to_numeric(eval_table["year"], errors="coerce")
    if years.notna().sum() == 0:
        return None, {}
    chosen = int(year) if year is not None else int(years.max())
    rows = eval_table[(years == chosen).to_numpy()]
    keys = clean_text_array(rows["uscc"])
    known = np.flatnonzero(pd.notna(keys))
    upper = pd.Series(keys[known], dtype=object).str.upper().to_numpy(dtype=object)
    classes = clean_text_array(rows["eval_class"].to_numpy(dtype=object)[known])
    names = (clean_text_array(rows["class_name"].to_numpy(dtype=object)[known]) if "class_name" in rows.columns
             else np.full(len(known), None, dtype=object))
    return chosen, dict(zip(upper, zip(classes, names)))


def _buyer_status(buyer: str, year: int, lookup: dict, barred: tuple[str, ...]) -> tuple[str, str, str | None]:
    """(status, note, class) of one buyer in the evaluation year."""
    cls, name = lookup.get(buyer.upper(), (None, None))
    if buyer.upper() not in lookup:
        return MISSING_DATA, f"受让方 {buyer} 未列入 {year} 年度亩均评价", cls
    if cls is None:
        return MISSING_DATA, f"受让方 {buyer} 在 {year} 年度亩均评价中无分类", cls
    if cls.upper() in {c.upper() for c in barred}:
        return FAIL, f"受让方 {buyer} 为 {year} 年度 {cls} 类({name or ''}),不得受让分割合并的工业用地", cls
    return PASS, f"受让方 {buyer} 为 {year} 年度 {cls} 类({name or ''})", cls


def check_buyers(rows: ConditionRows, pid: str, buyers: list[str], transfer: Any, eval_info: EvalInfo,
                 keepers: tuple[str, ...] = ()) -> dict[str, str | None]:
    """One 受让方亩均评价 finding (TT-TRANSFER) for a proposal; returns buyer → class.

    ``keepers`` are the current right holders: a part whose "buyer" is its owner stays with the
    owner and is no transfer, so it is not checked.
    """
    cond = "受让方亩均评价"
    classes: dict[str, str | None] = {}
    if transfer is None:
        rows.add(pid, cond, "TT-TRANSFER", "", NOT_APPLICABLE, message=NA_MESSAGE)
        return classes
    year, lookup = eval_info
    barred = tuple(transfer.barred_classes)
    limit = "非" + "/".join(barred) + "类"
    keep = {k.upper() for k in keepers if k}
    kept = [b for b in buyers if b.upper() in keep]
    buyers = [b for b in buyers if b.upper() not in keep]
    if kept and not buyers:
        rows.add(pid, cond, "TT-TRANSFER", transfer.clause, NOT_APPLICABLE, limit=limit,
                 message=f"各分块由原权利人 {'、'.join(kept)} 保留,不涉及转让")
        return classes
    if not buyers:
        rows.add(pid, cond, "TT-TRANSFER", transfer.clause, MISSING_DATA, limit=limit,
                 message="方案未填受让方统一社会信用代码")
        return classes
    if year is None:
        rows.add(pid, cond, "TT-TRANSFER", transfer.clause, MISSING_DATA, limit=limit,
                 message="缺少上一年度亩均评价结果(enterprise_eval),无法核查受让方 " + "、".join(buyers))
        return classes
    notes, statuses = [], []
    for b in buyers:
        status, note, classes[b] = _buyer_status(b, year, lookup, barred)
        statuses.append(status)
        notes.append(note)
    if kept:
        notes.append(f"{'、'.join(kept)} 为原权利人,所留分块不涉及转让")
    rows.add(pid, cond, "TT-TRANSFER", transfer.clause, verdict(statuses), limit=limit,
             message=";".join(notes) + "(能耗、环保、质量、安全等要求另行核实)")
    return classes


def check_standard_land(rows: ConditionRows, pid: str, flags: list[bool | None], parcel_ids: list[str],
                        transfer: Any, what: str) -> None:
    """One 标准地指标继承 finding (TT-TRANSFER): a note (``warn``) when any parcel is 标准地."""
    cond = "标准地指标继承"
    limit = "按原标准地指标"
    if transfer is None:
        rows.add(pid, cond, "TT-TRANSFER", "", NOT_APPLICABLE, message=NA_MESSAGE)
        return
    if not flags or all(f is None for f in flags):
        rows.add(pid, cond, "TT-TRANSFER", transfer.clause, MISSING_DATA, message="宗地图层无 standard_land(标准地)字段")
        return
    std = [p for p, f in zip(parcel_ids, flags) if f]
    if std:
        rows.add(pid, cond, "TT-TRANSFER", transfer.clause, WARN, limit=limit,
                 message=f"宗地 {'、'.join(std)} 按标准地出让,{what}受让方应按原标准地各项指标要求投资建设")
    else:
        rows.add(pid, cond, "TT-TRANSFER", transfer.clause, NOT_APPLICABLE, message="非标准地,无需继承标准地指标")
