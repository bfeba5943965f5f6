"""Compare the county's metrics with the targets of its ruleset (TT-T*, DQ-T*).

Most targets compare a metric an earlier stage measured on this run (亩均税收 …). The campaign's
"腾出" targets are measured as the plans mean them — what actually happened since the campaign's
start, from the run history (``ws.history``, :mod:`geo_tenglong.history.view`):

- ``freed_mu`` (TT-T8, DQ-T2 腾出低效工业用地): the area of parcels on the low-efficiency list in the
  first recorded run that are off it now (:func:`geo_tenglong.history.compare.freed_parcels`). The
  candidate pool (``reclaimable_mu``, the target's ``candidate_metric``) is shown beside it, never
  as progress.
- ``eliminated_enterprises`` / ``renovated_enterprises`` (TT-T7, DQ-T2): 高耗低效整治 tasks of the
  整治台账 closed (已销号) since then, by 关停退出 / by any other treatment.
- ``energy_freed_tce`` (TT-T9, DQ-T2 腾出用能): for those closed tasks, the enterprise's energy in
  the first run (关停退出) or its drop since (other treatments); ``carbon_cut_t`` is that times the
  ruleset's carbon factor (``[rules.TT-T9]`` / ``[rules.DQ-T2]``, with its source).

Without an earlier run these are ``missing_data`` with a message saying why — never 0, never the pool.
The stage also publishes the ``changes`` layer (land freed, newly idle, worse since the previous run)
for the briefing map.
"""

from __future__ import annotations

import dataclasses
import operator
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..findings import FAIL, MISSING_DATA, PASS, fmt_value, make_findings
from ..history import compare
from ..history.store import enterprise_states_of, parcel_states_of
from ..history.view import CLOSED_STATUS, ELIMINATED_TREATMENT
from ..stage import StageResult

if TYPE_CHECKING:
    from ..history.view import History
    from ..results import Results
    from ..workspace import Workspace

_OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}
TARGET_COLUMNS = ["rule_id", "clause", "label", "metric", "op", "target", "value", "unit", "year", "status", "progress",
                  "candidate", "since", "note"]
#: Metrics measured from the history (since the campaign's start), not from this run alone.
HISTORY_METRICS = ("freed_mu", "eliminated_enterprises", "renovated_enterprises", "energy_freed_tce", "carbon_cut_t")
CHANGE_COLUMNS = ["parcel_id", "change", "why", "area_mu", "township", "from_class", "to_class", "since"]
#: The ledger list whose closed tasks count for TT-T7 / TT-T9.
LEDGER_LIST = "高耗低效整治"


@dataclasses.dataclass
class _Measured:
    value: float
    note: str = ""
    since: str = ""


def _campaign_start(ws: Workspace) -> str:
    spec = ws.ruleset.get("TT-ASSESS") or ws.ruleset.get("DQ-ASSESS")
    return spec.campaign_start.isoformat() if spec is not None else ""


def _carbon_spec(ws: Workspace):
    return ws.ruleset.get("TT-T9") or ws.ruleset.get("DQ-T2")


def _no_history(ws: Workspace) -> _Measured:
    start = _campaign_start(ws)
    if start and ws.as_of.isoformat() <= start:
        return _Measured(0.0, f"行动起始({start}), 尚未腾出", start)
    return _Measured(np.nan, f"无更早的运行记录(history.gpkg), 无法计算自行动开始以来的实际完成量; 本次运行记入历史后作为基线"
                             f"{f'(行动起始 {start})' if start else ''}")


def _baseline_note(ws: Workspace, since: str) -> str:
    start = _campaign_start(ws)
    if start and since > start:
        return f"基线为首次记录的运行({since}), 晚于行动起始({start}), 其间完成的未计入"
    return ""


def measure_from_history(ws: Workspace, results: Results) -> dict[str, _Measured]:
    """The :data:`HISTORY_METRICS` of this run, each with a note for the message and the baseline date.

    Parameters
    ----------
    ws : Workspace
        ``ws.history`` (None without a store or an earlier run), the ruleset's carbon factor.
    results : Results
        This run's parcels (with the reclaim stage's ``reclaimable``) and enterprises.

    Returns
    -------
    dict
        Metric name → measured value (NaN with the reason when it cannot be computed).
    """
    history: History | None = getattr(ws, "history", None)
    if history is None:
        empty = _no_history(ws)
        return {m: empty for m in HISTORY_METRICS}
    base = history.baseline()
    assert base is not None  # load_history returns None for a store without earlier runs
    since = str(base["as_of"])
    note = _baseline_note(ws, since)
    out: dict[str, _Measured] = {}
    if "reclaimable" in results.parcels.columns:
        freed = compare.freed_parcels(history.parcel_states(str(base["run_id"])), parcel_states_of(results))
        out["freed_mu"] = _Measured(float(freed["area_mu"].sum()), "; ".join(
            x for x in (f"{len(freed)} 宗离开低效用地清单", note) if x), since)
    else:
        out["freed_mu"] = _Measured(np.nan, "本次未识别低效用地(可腾退)清单", since)
    out.update(_ledger_measures(ws, history, base, results, note))
    return out


def _ledger_measures(ws: Workspace, history: History, base: pd.Series, results: Results,
                     note: str) -> dict[str, _Measured]:
    since = str(base["as_of"])
    closed, lag = closed_tasks(history, base, results)
    if closed is None:
        gap = _Measured(np.nan, "无整治台账(ledger_tasks): 淘汰、整治销号、腾出用能按台账销号计算", since)
        return {m: gap for m in ("eliminated_enterprises", "renovated_enterprises", "energy_freed_tce", "carbon_cut_t")}
    shut = closed["treatment"] == ELIMINATED_TREATMENT
    out = {"eliminated_enterprises": _Measured(float(shut.sum()), "; ".join(x for x in (lag, note) if x), since),
           "renovated_enterprises": _Measured(float((~shut).sum()), "; ".join(x for x in (lag, note) if x), since)}
    before = history.enterprise_states(str(base["run_id"])).set_index("uscc")["energy_tce"]
    now = enterprise_states_of(results).set_index("uscc")["energy_tce"]
    e0 = pd.to_numeric(closed["uscc"].map(before), errors="coerce")
    e1 = pd.to_numeric(closed["uscc"].map(now), errors="coerce")
    freed = np.where(shut, e0, (e0 - e1).clip(lower=0))
    known = ~np.isnan(freed)
    if len(closed) and not known.any():
        out["energy_freed_tce"] = _Measured(np.nan, f"销号的 {len(closed)} 家企业均无能耗数据", since)
    else:
        lacking = f"{int((~known).sum())} 家无能耗数据未计入" if (~known).any() else ""
        out["energy_freed_tce"] = _Measured(float(np.nansum(freed)), "; ".join(x for x in (lacking, lag, note) if x), since)
    spec = _carbon_spec(ws)
    energy = out["energy_freed_tce"]
    if spec is None:
        out["carbon_cut_t"] = _Measured(np.nan, "本县规则集无碳排放系数", since)
    else:
        factor = f"按 {spec.carbon_t_per_tce:g} 吨CO₂/吨标准煤({spec.source})" if spec.source else \
            f"按 {spec.carbon_t_per_tce:g} 吨CO₂/吨标准煤"
        out["carbon_cut_t"] = _Measured(energy.value * spec.carbon_t_per_tce,
                                        "; ".join(x for x in (factor, energy.note) if x), since)
    return out


def closed_tasks(history: History, base: pd.Series, results: Results) -> tuple[pd.DataFrame | None, str]:
    """高耗低效整治 tasks closed (达标销号) since the run ``base``, this run's closings included.

    The store holds closings up to the previous run; this run's ``ledger_lists`` table (the 整治台账
    stage's listing) adds the open tasks it no longer lists — they close when the run is recorded
    (:func:`geo_tenglong.history.ledger.update_ledger`) — and drops closed ones listed again (reopened).

    Returns
    -------
    DataFrame or None, str
        One row per enterprise (``uscc``, ``treatment`` …), or ``None`` without a 整治台账; and a note
        when this run's listing was not available (the count then stops at the previous run).
    """
    closed = history.closed_tasks(str(base["run_id"]))
    if closed is None:
        return None, ""
    lists = results.layer("ledger_lists")
    note = ""
    if lists is not None and {"task_id", "listed"} <= set(lists.columns):
        listed = pd.Series(lists["listed"], dtype=object).astype("boolean").fillna(False).to_numpy(dtype=bool)
        ids = lists["task_id"].astype(str)
        closed = closed[~closed["task_id"].astype(str).isin(set(ids[listed]))]
        tasks = history.tasks()
        if tasks is not None:
            pending = tasks[(tasks["status"] != CLOSED_STATUS) & tasks["task_id"].astype(str).isin(set(ids[~listed]))]
            closed = pd.concat([closed, pending], ignore_index=True)
    else:
        prev = history.previous()
        note = f"台账销号截至上次运行({prev['as_of'] if prev is not None else ''})"
    if "list" in closed.columns:
        closed = closed[closed["list"] == LEDGER_LIST]
    return closed.drop_duplicates("uscc").reset_index(drop=True), note


def change_layer(ws: Workspace, results: Results) -> gpd.GeoDataFrame | None:
    """Land freed, newly idle and worse since the previous run (:func:`geo_tenglong.history.compare.changes`).

    Returns
    -------
    GeoDataFrame or None
        :data:`CHANGE_COLUMNS` in the workspace CRS; ``None`` without an earlier run.
    """
    history: History | None = getattr(ws, "history", None)
    if history is None or "reclaimable" not in results.parcels.columns:
        return None
    prev = history.previous()
    assert prev is not None
    ch = compare.changes(history.parcel_states(str(prev["run_id"])), parcel_states_of(results))
    ch["since"] = str(prev["as_of"])
    geoms = shapely.from_wkb(ch["geom_wkb"].to_numpy(dtype=object)) if len(ch) else []
    return gpd.GeoDataFrame(ch[CHANGE_COLUMNS], geometry=gpd.GeoSeries(geoms, crs=ws.crs).values, crs=ws.crs)


def assess_targets(ws: Workspace, results: Results) -> StageResult:
    """One finding per target item: the county's measured metric against the target.

    Parameters
    ----------
    ws : Workspace
        The ruleset's targets; ``ws.history`` for the targets measured since the campaign's start.
    results : Results
        Earlier stages' metrics (``results.metrics``) and parcels.

    Returns
    -------
    StageResult
        Findings about the county (feature id = the admin code); a ``targets`` table with
        ``progress`` = value / target (for "≥" targets) for the progress bars of maps and reports
        and ``candidate`` (the candidate pool beside a 腾出 target); the history metrics; and the
        ``changes`` layer when there is an earlier run.
    """
    measured = measure_from_history(ws, results)
    rows = []
    for t in ws.ruleset.targets:
        m = measured.get(t.metric)
        value = m.value if m is not None else results.metrics.get(t.metric)
        value = np.nan if value is None else float(value)
        if np.isnan(value):
            status = MISSING_DATA
        else:
            status = PASS if _OPS[t.op](value, t.value) else FAIL
        progress = value / t.value if t.op in (">=", ">") and t.value and not np.isnan(value) else np.nan
        cand = results.metrics.get(t.candidate_metric) if t.candidate_metric else None
        rows.append({"rule_id": t.rule_id, "clause": t.clause, "label": t.label, "metric": t.metric, "op": t.op,
                     "target": t.value, "value": value, "unit": t.unit, "year": t.year, "status": status,
                     "progress": progress, "candidate": np.nan if cand is None else float(cand),
                     "since": m.since if m is not None else "", "note": m.note if m is not None else ""})
    table = pd.DataFrame(rows, columns=TARGET_COLUMNS)
    findings = make_findings(np.repeat(ws.admin_code, len(table)), table["rule_id"].to_numpy(), "", table["status"],
                             table["value"], table["target"], table["unit"],
                             [_message(r) for r in table.itertuples()]) if len(table) else None
    if findings is not None:
        findings["clause"] = table["clause"].astype("string").to_numpy()
    layers: dict = {"targets": table}
    changes = change_layer(ws, results)
    if changes is not None:
        layers["changes"] = changes
    metrics = {k: round(v.value, 4) for k, v in measured.items() if not np.isnan(v.value)}
    return StageResult(findings=findings if findings is not None else make_findings([], "", "", []),
                       layers=layers, metrics=metrics,
                       summary={"met": int((table["status"] == PASS).sum()), "total": len(table),
                                "since": next((v.since for v in measured.values() if v.since), "")})


def _message(r) -> str:
    if r.metric in HISTORY_METRICS:
        head = f"{r.label}: 自{r.since}以来已完成{fmt_value(r.value, r.target, 2, r.unit)}" if r.since else \
            f"{r.label}: 已完成{fmt_value(r.value, r.target, 2, r.unit)}"
        text = f"{head}, 目标{r.op}{r.target:g}{r.unit}"
        if not np.isnan(r.candidate):
            text += f"; 候选(可腾退){fmt_value(r.candidate, None, 1, r.unit)}, 不计为完成"
        return text + (f" ({r.note})" if r.note else "")
    return f"{r.label}: 当前{fmt_value(r.value, r.target, 2, r.unit)}, 目标{r.op}{r.target:g}{r.unit}"
