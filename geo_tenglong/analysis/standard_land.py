"""TT-STD (天台 三(一)4) / DQ-STD (德清 三(一)3): 标准地 达产复核 against the 投资监管协议.

Land supplied as 标准地 (``parcels.standard_land``, or a contract row carrying committed
indicators) is reviewed once due: ``review_after_years`` after the actual completion (the agreed
one when absent) or after signing, per the ruleset. Each committed indicator of the contract is
compared with the actual one; one finding per indicator, ``fail`` for a shortfall (below the
committed value by more than ``tolerance``), ``missing_data`` when the actual cannot be computed.

Actual values come from earlier stages: 投资强度 = the contract's ``invested`` / the parcel's 亩
(万元/亩), 容积率 = the intensity stage's ``far``, 亩均税收 and 亩均增加值 = the efficiency stage's
``tax_per_mu`` and ``va_per_mu``, 单位能耗增加值 and 单位排放增加值 = the holder's ``va_per_energy``
and ``va_per_emission`` in the evaluation year (万元/吨标准煤, 万元/吨).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ..findings import (
    FAIL,
    MISSING_DATA,
    NOT_APPLICABLE,
    PASS,
    concat_findings,
    fmt_pair,
    make_findings,
    not_in_ruleset,
)
from ..io.dates import add_years
from ..stage import StageResult
from ..values import parse_date_series, yes_no_series
from ..workspace import Workspace
from .ledger_lists import eval_year_rows

RULES = ("TT-STD", "DQ-STD")


@dataclasses.dataclass(frozen=True)
class Indicator:
    """One committed indicator of the 投资监管协议."""

    key: str            # suffix of committed_<key> / actual_<key>
    label: str
    unit: str
    decimals: int


INDICATORS = (Indicator("investment_intensity", "投资强度", "万元/亩", 2),
              Indicator("far", "容积率", "", 2),
              Indicator("tax_per_mu", "亩均税收", "万元/亩", 2),
              Indicator("va_per_energy", "单位能耗增加值", "万元/吨标准煤", 2),
              Indicator("va_per_mu", "亩均增加值", "万元/亩", 2),
              Indicator("va_per_emission", "单位排放增加值", "万元/吨", 2))


def standard_land_rule(ws: Workspace):
    """The county's 标准地 rule (TT-STD or DQ-STD), or None."""
    return ws.ruleset.first(*RULES)


def _num(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)


def _dates(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    return parse_date_series(frame[column].astype(object)).dates


def _contracts(ws: Workspace, parcels: pd.DataFrame) -> pd.DataFrame:
    """Contract rows of 标准地: on a parcel marked ``standard_land`` or with any committed value."""
    contracts = ws.table("contracts")
    committed = [f"committed_{i.key}" for i in INDICATORS]
    c = contracts.copy() if contracts is not None else pd.DataFrame({"parcel_id": pd.Series(dtype="string")})
    c["parcel_id"] = c["parcel_id"].astype("string").str.strip()
    has_commitment = np.zeros(len(c), dtype=bool)
    for col in committed:
        has_commitment |= ~np.isnan(_num(c, col))
    std = (yes_no_series(parcels["standard_land"]).fillna(False).to_numpy(dtype=bool)
           if "standard_land" in parcels.columns else np.zeros(len(parcels), dtype=bool))
    std_ids = set(parcels.loc[std, "parcel_id"].astype(str))
    rows = c[has_commitment | c["parcel_id"].isin(std_ids).fillna(False).to_numpy(dtype=bool)]
    without = sorted(std_ids - set(rows["parcel_id"].dropna().astype(str)))
    if without:  # 标准地 with no contract row: reviewed as missing data
        rows = pd.concat([rows, pd.DataFrame({"parcel_id": pd.Series(without, dtype="string")})], ignore_index=True)
    return rows.reset_index(drop=True)


def _text_col(frame: pd.DataFrame, *names: str) -> np.ndarray:
    """The first of ``names`` that ``frame`` has, as text (nulls where none)."""
    for name in names:
        if name in frame.columns:
            return frame[name].astype("string").to_numpy()
    return pd.Series(pd.NA, index=frame.index, dtype="string").to_numpy()


def _actuals(rows: pd.DataFrame, results) -> pd.DataFrame:
    """The actual indicators (and holder, name, township) of each contract row's parcel."""
    parcels = pd.DataFrame(results.parcels.drop(columns=results.parcels.geometry.name)).drop_duplicates("parcel_id")
    parcels.index = parcels["parcel_id"].astype(str).to_numpy()
    p = parcels.reindex(rows["parcel_id"].astype(str).to_numpy())
    area = _num(p, "area_mu")
    invested = _num(rows, "invested")
    with np.errstate(divide="ignore", invalid="ignore"):
        intensity = np.where(area > 0, invested / area, np.nan)
    ev = eval_year_rows(results)
    holder = pd.Series(_text_col(p, "holder_uscc", "owner_uscc"), dtype="string")
    by_holder = {}
    for col in ("va_per_energy", "va_per_emission"):
        if ev is not None and len(ev) and col in ev.columns:
            s = ev.drop_duplicates("uscc").set_index("uscc")[col]
            by_holder[col] = pd.to_numeric(s.reindex(holder.fillna("").to_numpy()), errors="coerce").to_numpy(dtype=float)
        else:
            by_holder[col] = np.full(len(rows), np.nan)
    return pd.DataFrame({"actual_investment_intensity": intensity, "actual_far": _num(p, "far"),
                         "actual_tax_per_mu": _num(p, "tax_per_mu"), "actual_va_per_energy": by_holder["va_per_energy"],
                         "actual_va_per_mu": _num(p, "va_per_mu"), "actual_va_per_emission": by_holder["va_per_emission"],
                         "uscc": holder.to_numpy(), "name": _text_col(p, "holder_name", "owner_name"),
                         "township": _text_col(p, "township")})


def assess_standard_land(ws: Workspace, results) -> StageResult:
    """Review every 标准地 due for 达产复核: the ``standard_land`` table and a finding per indicator.

    Parameters
    ----------
    ws : Workspace
        Its ``contracts`` table (``committed_*``, ``invested``, ``actual_completion`` …) and parcels.
    results : Results
        After the efficiency and intensity stages.

    Returns
    -------
    StageResult
    """
    spec = standard_land_rule(ws)
    if spec is None:
        return StageResult(findings=not_in_ruleset(ws.admin_code, "TT-STD", ws.ruleset.name))
    if ws.table("contracts") is None:
        return StageResult(findings=make_findings([ws.admin_code], spec.rule_id, spec.clause, MISSING_DATA,
                                                  message="缺少出让合同表(contracts),无法开展标准地达产复核"))
    rows = _contracts(ws, results.parcels)
    if spec.review_basis == "completion":
        basis = _dates(rows, "actual_completion").fillna(_dates(rows, "agreed_completion"))
    else:
        basis = _dates(rows, "signed_date")
    due_date = pd.Series(add_years(basis, spec.review_after_years).to_numpy(dtype="datetime64[ns]"), index=rows.index)
    as_of = pd.Timestamp(ws.as_of)
    due = (due_date <= as_of).fillna(False).to_numpy(dtype=bool)
    actual = _actuals(rows, results)
    table = pd.DataFrame({"parcel_id": rows["parcel_id"].astype("string").to_numpy(),
                          "contract_id": (rows["contract_id"] if "contract_id" in rows.columns
                                          else pd.Series(pd.NA, index=rows.index)).astype("string").to_numpy(),
                          "uscc": actual["uscc"].to_numpy(), "name": actual["name"].to_numpy(),
                          "township": actual["township"].to_numpy(),
                          "basis_date": basis.to_numpy(), "review_due": due_date.to_numpy(), "due": due})
    findings, shortfalls = [], np.zeros(len(rows), dtype=int)
    missing_any = np.zeros(len(rows), dtype=bool)
    any_committed = np.zeros(len(rows), dtype=bool)
    ids = table["parcel_id"].fillna("").to_numpy()
    for ind in INDICATORS:
        committed = _num(rows, f"committed_{ind.key}")
        got = actual[f"actual_{ind.key}"].to_numpy(dtype=float)
        table[f"committed_{ind.key}"], table[f"actual_{ind.key}"] = committed, got
        any_committed |= ~np.isnan(committed)
        check = due & ~np.isnan(committed)
        if not check.any():
            continue
        floor = committed * (1 - spec.tolerance)
        status = np.where(np.isnan(got), MISSING_DATA, np.where(got < floor, FAIL, PASS))[check]
        shortfalls[check] += status == FAIL
        missing_any[check] |= status == MISSING_DATA
        msg = []
        for v, c, s in zip(got[check], committed[check], status):
            v_text, c_text = fmt_pair(v, c, ind.decimals, ind.unit)
            msg.append(f"标准地达产复核:{ind.label}实际{v_text},承诺{c_text}"
                       + ({FAIL: ",未达到投资监管协议承诺", PASS: ",达到承诺",
                           MISSING_DATA: ",实际值无数据,无法复核"}[s]))
        findings.append(make_findings(ids[check], spec.rule_id, spec.clause, status, got[check], committed[check],
                                      ind.unit, msg))
    none_committed = due & ~any_committed
    if none_committed.any():
        findings.append(make_findings(ids[none_committed], spec.rule_id, spec.clause, MISSING_DATA,
                                      message="标准地已到达产复核期,但出让合同表无投资监管协议承诺指标,无法复核"))
        missing_any |= none_committed
    no_basis = basis.isna().to_numpy()
    if no_basis.any():
        findings.append(make_findings(ids[no_basis], spec.rule_id, spec.clause, MISSING_DATA,
                                      message="标准地竣工日期(或签订日期)缺失或无法识别,无法确定达产复核时间"))
    later = ~due & ~no_basis
    if later.any():
        findings.append(make_findings(ids[later], spec.rule_id, spec.clause, NOT_APPLICABLE,
                                      message=[f"标准地未到达产复核期(复核时间{d:%Y-%m-%d})" for d in due_date[later]]))
    table["shortfalls"] = shortfalls
    table["verdict"] = pd.Series(np.where(~due, "not_due", np.where(shortfalls > 0, FAIL,
                                                                np.where(missing_any, MISSING_DATA, PASS))),
                                 dtype="string").to_numpy()
    for c in ("uscc", "name", "township"):
        table[c] = table[c].astype("string")
    return StageResult(findings=concat_findings(findings), layers={"standard_land": table},
                       summary={"reviewed": int(due.sum()), "with_shortfall": int((shortfalls > 0).sum())})
