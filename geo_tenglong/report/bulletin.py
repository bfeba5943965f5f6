"""The 季度通报 (quarterly bulletin) from the run history: targets, land freed, new idle land, classes
that moved, and the 赛马 of townships and parks with those marked for 通报约谈 (天台 五(二)).

Everything is read from the history store (:mod:`geo_tenglong.history.store`) — never from a folder
of loose outputs. Three recorded runs matter:

- **start**: the first run in the store, the campaign's start as far as the store knows;
- **base**: the run the bulletin's period starts from (``--from``: the first run on or after that
  date; default the run before ``current``);
- **current**: the latest run on or before ``--to`` (default the latest run).

Targets are shown as recorded by each run (the 腾出 targets are already counted since the start,
with the candidate pool beside them); land freed, new idle land, class moves and the 赛马 compare
``base`` with ``current``. The 赛马 ranks each township (and park) on the measures the ruleset's
TT-ASSESS / DQ-ASSESS names, 1 = best on each, and orders them by the sum of their ranks; the bottom
``interview_bottom`` townships are marked 约谈.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..history import compare, store
from ..history.view import CLOSED_STATUS
from ..io.atomic import write_text_atomic
from ..rules import Ruleset, load_ruleset
from ..rules.assess import RACE_MEASURES
from .parcel_report import _css, _fmt, template_env
from .pdf import html_to_pdf

__all__ = ["BULLETIN_FILE", "Bulletin", "build_bulletin", "race_table", "render_bulletin", "select_runs",
           "write_bulletin"]

#: Base name of the bulletin files (``季度通报_<as-of>.html`` / ``.pdf``).
BULLETIN_FILE = "季度通报"
#: The ledger list whose closings the 赛马 counts (整治销号数).
LEDGER_LIST = "高耗低效整治"
_NO_TOWN = "(未注明乡镇)"
_OUTSIDE_PARKS = "园区外"


@dataclasses.dataclass
class Bulletin:
    """The figures of one bulletin (what the template renders and the tests check)."""

    info: dict[str, Any]
    start: pd.Series
    base: pd.Series
    current: pd.Series
    targets: pd.DataFrame
    freed: pd.DataFrame
    freed_by_reason: pd.DataFrame
    freed_since_start_mu: float
    new_idle: pd.DataFrame
    worse: pd.DataFrame
    class_moves: pd.DataFrame
    class_matrix: pd.DataFrame
    race_towns: pd.DataFrame
    race_parks: pd.DataFrame
    race_notes: list[str]
    interview_bottom: int
    assess_clause: str


def _date(value: str | dt.date | None) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)).isoformat()


def select_runs(runs: pd.DataFrame, date_from: str | dt.date | None = None,
                date_to: str | dt.date | None = None) -> tuple[pd.Series, pd.Series, pd.Series]:
    """The start, base and current runs of a bulletin (see the module docstring).

    Parameters
    ----------
    runs : DataFrame
        :func:`geo_tenglong.history.store.runs` (oldest first).
    date_from, date_to : str or date, optional

    Returns
    -------
    tuple of Series
        ``start``, ``base``, ``current``.

    Raises
    ------
    InputError
        With fewer than two runs in the period (a bulletin compares two).
    """
    to = _date(date_to)
    upto = runs[runs["as_of"] <= to] if to else runs
    if len(upto) < 2:
        raise InputError(f"季度通报需要至少两次运行记录, 历史中{'截至 ' + to if to else ''}只有 {len(upto)} 次 "
                         "(a bulletin compares two recorded runs; run the workspace for each quarter first)")
    current = upto.iloc[-1]
    frm = _date(date_from)
    if frm:
        after = upto[(upto["as_of"] >= frm) & (upto["as_of"] < current["as_of"])]
        if not len(after):
            raise InputError(f"{frm} 与 {current['as_of']} 之间没有更早的运行记录 (--from {frm}: no run recorded "
                             f"between it and {current['as_of']})")
        base = after.iloc[0]
    else:
        base = upto.iloc[-2]
    return runs.iloc[0], base, current


def _ranks(values: pd.Series) -> pd.Series:
    """1 = highest; missing values share the last rank."""
    r = values.rank(ascending=False, method="min")
    return r.fillna(len(values)).astype(int)


def race_table(areas: pd.Series, measures: dict[str, pd.Series], bottom: int = 0) -> tuple[pd.DataFrame, list[str]]:
    """Rank areas on each measure and by the sum of their ranks.

    Parameters
    ----------
    areas : Series of str
        Township or park names (the rows).
    measures : dict
        Measure code (:data:`geo_tenglong.rules.assess.RACE_MEASURES`) → values by area (higher is
        better). A measure missing for every area is left out of the ranking (with a note).
    bottom : int
        How many of the lowest are marked 约谈. Areas tied on the rank sum across that line are not
        marked (a note says so): the ruleset's measures cannot tell them apart.

    Returns
    -------
    DataFrame, list of str
        ``area``, one column per measure and ``<measure>_rank``, ``rank_sum``, ``rank`` (1 = best),
        ``interview`` (bool); ordered best first. And the notes.

    Examples
    --------
    >>> t, _ = race_table(pd.Series(["甲", "乙", "丙"]), {"freed_mu": pd.Series({"甲": 5.0, "乙": 0.0, "丙": 9.0})}, 1)
    >>> t[["area", "rank", "interview"]].values.tolist()
    [['丙', 1, False], ['甲', 2, False], ['乙', 3, True]]
    """
    idx = pd.Index(sorted(set(areas)), name="area")
    table = pd.DataFrame(index=idx)
    notes: list[str] = []
    ranked = []
    for code, values in measures.items():
        col = pd.to_numeric(values.reindex(idx), errors="coerce")
        table[code] = col
        if col.isna().all():
            notes.append(f"{RACE_MEASURES[code]}: 无数据, 不参与排名")
            continue
        table[f"{code}_rank"] = _ranks(col)
        ranked.append(f"{code}_rank")
    table["rank_sum"] = table[ranked].sum(axis=1) if ranked else np.nan
    first = ranked[0] if ranked else "rank_sum"
    table = table.sort_values(["rank_sum", first], kind="stable")
    table["rank"] = table["rank_sum"].rank(method="min").astype("Int64") if ranked else pd.NA
    n = len(table)
    table["interview"] = False
    if bottom and ranked:
        # the bottom ``bottom`` places; a tie straddling the line is not decided here
        table["interview"] = (table["rank"] >= n - bottom + 1).to_numpy(dtype=bool)
        cut = table.loc[~table["interview"], "rank_sum"]
        straddle = table["rank_sum"].eq(cut.max()).sum() if len(cut) and int(table["interview"].sum()) < bottom else 0
        if straddle:
            notes.append(f"名次之和并列的 {straddle} 个跨越约谈线(末 {bottom} 位), 未标注约谈, 由考核办确定")
    return table.reset_index(), notes


def _town(values: pd.Series) -> pd.Series:
    return values.astype("string").fillna(_NO_TOWN).replace("", _NO_TOWN)


def _tax_growth(before: pd.DataFrame, after: pd.DataFrame, key: str) -> pd.Series:
    """亩均税收增长率 (%) by ``key``: sum(tax) / sum(land) of its enterprises, after over before."""
    def per_mu(frame):
        f = frame.assign(k=_town(frame[key]) if key == "township" else frame[key].astype("string").fillna(_OUTSIDE_PARKS))
        g = f.groupby("k")[["tax", "land_mu"]].sum(min_count=1)
        return g["tax"] / g["land_mu"].where(g["land_mu"] > 0)

    b, a = per_mu(before), per_mu(after)
    return ((a / b.reindex(a.index) - 1.0) * 100.0).where(b.reindex(a.index) > 0)


def _closed_by_area(path: Path, base: pd.Series, current: pd.Series) -> pd.DataFrame | None:
    with store.connect(path) as conn:
        if not store.has_table(conn, "ledger_tasks"):
            return None
        return pd.read_sql_query(
            "SELECT t.task_id, t.list, t.uscc, t.parcel_id, t.township, t.treatment FROM ledger_tasks t "
            "JOIN runs r ON r.run_id = t.closed_run WHERE t.status = ? AND r.as_of > ? AND r.as_of <= ?",
            conn, params=(CLOSED_STATUS, base["as_of"], current["as_of"]))


def _assess(path: Path, current: pd.Series, ruleset: Ruleset | None) -> tuple[Ruleset | None, Any]:
    if ruleset is None:
        try:
            ruleset = load_ruleset(str(current["ruleset"]))
        except InputError:
            return None, None
    return ruleset, ruleset.get("TT-ASSESS") or ruleset.get("DQ-ASSESS")


def build_bulletin(path: str | Path, date_from: str | dt.date | None = None, date_to: str | dt.date | None = None,
                   ruleset: Ruleset | None = None) -> Bulletin:
    """Every figure of the bulletin, from the history store.

    Parameters
    ----------
    path : str or Path
        The history store.
    date_from, date_to : str or date, optional
        The period (see :func:`select_runs`).
    ruleset : Ruleset, optional
        For the 赛马 measures and 约谈 (TT-ASSESS / DQ-ASSESS); default the ruleset the current run
        recorded (by name).

    Returns
    -------
    Bulletin
    """
    path = Path(path)
    start, base, current = select_runs(store.runs(path), date_from, date_to)
    ps = {k: store.parcel_states(path, str(r["run_id"])) for k, r in (("start", start), ("base", base),
                                                                         ("current", current))}
    es = {k: store.enterprise_states(path, str(r["run_id"])) for k, r in (("base", base), ("current", current))}
    targets = _targets(path, start, base, current)
    freed = compare.freed_parcels(ps["base"], ps["current"])
    since_start = compare.freed_parcels(ps["start"], ps["current"])
    by_reason = freed.groupby("reason_label", sort=False).agg(parcels=("parcel_id", "size"), area_mu=("area_mu", "sum")) \
        .reset_index() if len(freed) else pd.DataFrame(columns=["reason_label", "parcels", "area_mu"])
    ruleset, assess = _assess(path, current, ruleset)
    measures = assess.measures if assess is not None else tuple(RACE_MEASURES)
    bottom = int(assess.interview_bottom) if assess is not None else 0
    closed = _closed_by_area(path, base, current)
    if closed is not None:
        closed = closed[closed["list"] == LEDGER_LIST]
    towns, notes = _race(ps, es, freed, closed, measures, bottom, "township")
    parks, _ = _race(ps, es, freed, closed, measures, 0, "park_id")
    names = store.park_names(path, str(current["run_id"]))
    parks.insert(1, "name", parks["area"].map(lambda k: names.get(str(k), str(k))))
    if assess is None:
        notes.append("规则集无 TT-ASSESS/DQ-ASSESS: 按默认三项指标排名, 不标注约谈")
    elif not bottom:
        notes.append(f"规则集 {assess.rule_id} 未规定约谈名额 ({assess.clause})")
    info = {"county": current["county"], "ruleset": current["ruleset"], "admin_code": current["admin_code"],
            "document": ruleset.info.document if ruleset is not None else "",
            "generated": dt.datetime.now().isoformat(timespec="seconds"), "history": str(path)}
    idle = compare.new_idle(ps["base"], ps["current"])
    worse = compare.worse_parcels(ps["base"], ps["current"])
    worse = worse[~worse["parcel_id"].isin(idle["parcel_id"])].reset_index(drop=True)  # listed once, as new idle
    return Bulletin(info=info, start=start, base=base, current=current, targets=targets, freed=freed,
                    freed_by_reason=by_reason, freed_since_start_mu=float(since_start["area_mu"].sum()),
                    new_idle=idle, worse=worse,
                    class_moves=compare.class_moves(es["base"], es["current"]),
                    class_matrix=compare.class_matrix(es["base"], es["current"]),
                    race_towns=towns, race_parks=parks, race_notes=notes, interview_bottom=bottom,
                    assess_clause=assess.clause if assess is not None else "")


def _race(ps: dict, es: dict, freed: pd.DataFrame, closed: pd.DataFrame | None, measures, bottom: int,
          key: str) -> tuple[pd.DataFrame, list[str]]:
    now = ps["current"]
    if key == "township":
        areas = _town(now["township"])
        freed_key = _town(freed["township"])
        closed_key = _town(closed["township"]) if closed is not None else None
    else:
        areas = now["park_id"].astype("string").fillna(_OUTSIDE_PARKS)
        areas = areas[areas != _OUTSIDE_PARKS]
        freed_key = freed["park_id"].astype("string").fillna(_OUTSIDE_PARKS)
        closed_key = None if closed is None else _park_of_tasks(closed, ps, es)
    values: dict[str, pd.Series] = {}
    for code in measures:
        if code == "tax_per_mu_growth":
            values[code] = _tax_growth(es["base"], es["current"], key)
        elif code == "freed_mu":
            values[code] = freed.groupby(freed_key)["area_mu"].sum().reindex(sorted(set(areas)), fill_value=0.0)
        elif code == "closed_tasks":
            values[code] = pd.Series(dtype=float) if closed is None else \
                closed.groupby(closed_key).size().astype(float).reindex(sorted(set(areas)), fill_value=0.0)
    return race_table(areas, values, bottom)


def _park_of_tasks(closed: pd.DataFrame, ps: dict, es: dict) -> pd.Series:
    """The park of each closed task: of its parcel (in the base or current run), else of its enterprise."""
    parcels = pd.concat([ps["current"], ps["base"]]).drop_duplicates("parcel_id").set_index("parcel_id")["park_id"]
    firms = pd.concat([es["current"], es["base"]]).drop_duplicates("uscc").set_index("uscc")["park_id"]
    by_parcel = closed["parcel_id"].map(parcels) if "parcel_id" in closed.columns else None
    by_firm = closed["uscc"].map(firms)
    park = by_firm if by_parcel is None else by_parcel.fillna(by_firm)
    return park.astype("string").fillna(_OUTSIDE_PARKS)


def _targets(path: Path, start: pd.Series, base: pd.Series, current: pd.Series) -> pd.DataFrame:
    now = store.target_values(path, str(current["run_id"]))
    key = ["rule_id", "metric"]

    def values(run):
        t = store.target_values(path, str(run["run_id"]))
        return t.drop_duplicates(key).set_index(key)["value"]

    out = now.drop_duplicates(key).set_index(key)
    out["value_base"] = values(base).reindex(out.index)
    out["value_start"] = values(start).reindex(out.index)
    out["delta_base"] = out["value"] - out["value_base"]
    out["delta_start"] = out["value"] - out["value_start"]
    return out.reset_index()


_STATUS = {"pass": "已达到", "fail": "未达到", "missing_data": "无数据"}
_OP = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}


def _signed(v, digits: int = 2) -> str:
    return "—" if v is None or pd.isna(v) else f"{float(v):+,.{digits}f}"


def _s(v, empty: str = "") -> str:
    """A text cell: ``empty`` for None / NaN / NA (a NULL from the store)."""
    return empty if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


def bulletin_context(b: Bulletin) -> dict:
    """The bulletin as plain strings for the template."""
    targets = []
    for t in b.targets.to_dict("records"):
        cand = t.get("candidate")
        targets.append({"rule_id": t["rule_id"], "label": t["label"], "unit": _s(t["unit"]),
                        "target": f"{_OP.get(str(t.get('op')), '')}{_fmt(t['target'], 2)}",
                        "value": _fmt(t["value"], 2), "value_base": _fmt(t["value_base"], 2),
                        "delta_base": _signed(t["delta_base"]), "delta_start": _signed(t["delta_start"]),
                        "candidate": "" if cand is None or pd.isna(cand) else f"候选 {_fmt(cand, 1)}{t['unit']}",
                        "status": str(t["status"]), "status_label": _STATUS.get(str(t["status"]), str(t["status"])),
                        "note": _s(t.get("note"))})
    freed = [{"parcel_id": r.parcel_id, "township": _s(r.township), "area": _fmt(r.area_mu, 4),
              "reason": r.reason_label, "successor": _s(r.successor),
              "cls": f"{_s(r.from_class, '—')} → {_s(r.to_class, '—')}"} for r in b.freed.itertuples()]
    idle = [{"parcel_id": r.parcel_id, "township": _s(r.township), "area": _fmt(r.area_mu, 4),
             "tier": "满两年" if float(r.idle_tier) >= 2 else "满一年"} for r in b.new_idle.itertuples()]
    worse = [{"parcel_id": r.parcel_id, "township": _s(r.township), "area": _fmt(r.area_mu, 4), "why": r.why,
              "cls": f"{_s(r.from_class, '—')} → {_s(r.eff_class, '—')}"} for r in b.worse.itertuples()]
    moves = b.class_moves
    measures = [c for c in RACE_MEASURES if c in b.race_towns.columns]
    digits = {"tax_per_mu_growth": 1, "freed_mu": 2, "closed_tasks": 0}

    def race_rows(t):
        return [{"area": r.get("name") or r["area"], "rank": "" if pd.isna(r["rank"]) else int(r["rank"]),
                 "interview": bool(r["interview"]),
                 "cells": [(_fmt(r[m], digits[m]), "" if pd.isna(r.get(f"{m}_rank", np.nan)) else int(r[f"{m}_rank"]))
                           for m in measures]} for r in t.to_dict("records")]

    units = {"tax_per_mu_growth": "%", "freed_mu": "亩", "closed_tasks": "家"}
    return {
        "info": b.info, "start": b.start.to_dict(), "base": b.base.to_dict(), "current": b.current.to_dict(),
        "targets": targets, "freed": freed, "freed_mu": _fmt(float(b.freed["area_mu"].sum()), 2),
        "freed_start_mu": _fmt(b.freed_since_start_mu, 2),
        "by_reason": [{"reason": r.reason_label, "parcels": int(r.parcels), "area": _fmt(r.area_mu, 2)}
                      for r in b.freed_by_reason.itertuples()],
        "idle": idle, "idle_mu": _fmt(float(pd.to_numeric(b.new_idle["area_mu"]).sum()), 2), "worse": worse,
        "moves_up": int((moves["direction"] == "up").sum()), "moves_down": int((moves["direction"] == "down").sum()),
        "moves": [{"name": _s(r.name, r.uscc), "township": _s(r.township), "cls": f"{r.from_class} → {r.to_class}",
                   "up": r.direction == "up"} for r in moves.itertuples()],
        "matrix": [{"cls": c, "counts": [int(v) for v in b.class_matrix.loc[c].tolist()]} for c in b.class_matrix.index],
        "matrix_cols": list(b.class_matrix.columns),
        "measures": [{"label": RACE_MEASURES[m], "unit": units[m]} for m in measures],
        "towns": race_rows(b.race_towns), "parks": race_rows(b.race_parks), "race_notes": b.race_notes,
        "interview_bottom": b.interview_bottom, "assess_clause": b.assess_clause,
    }


def render_bulletin(b: Bulletin) -> str:
    """The bulletin as one self-contained HTML page (autoescaped; the CJK font embedded)."""
    return template_env().get_template("bulletin.html").render(css=_css(), **bulletin_context(b))


def write_bulletin(path: str | Path, out_dir: str | Path, date_from: str | dt.date | None = None,
                   date_to: str | dt.date | None = None, ruleset: Ruleset | None = None,
                   pdf: bool = True, label: str | None = None) -> list[Path]:
    """Write ``季度通报_<as-of>.html`` (and the A4 ``.pdf`` when Chromium is available).

    Parameters
    ----------
    path : str or Path
        The history store.
    out_dir : str or Path
    date_from, date_to : str or date, optional
    ruleset : Ruleset, optional
    pdf : bool
    label : str, optional
        The history as the footer names it (default ``path``; a database's URL when ``path`` is
        its pulled copy, :mod:`geo_tenglong.history.db_store`).

    Returns
    -------
    list of Path
    """
    b = build_bulletin(path, date_from, date_to, ruleset)
    if label is not None:
        b.info["history"] = label
    out_dir = Path(out_dir)
    stem = f"{BULLETIN_FILE}_{b.current['as_of']}"
    html_path = write_text_atomic(out_dir / f"{stem}.html", render_bulletin(b))
    written = [html_path]
    if pdf and html_to_pdf(html_path, out_dir / f"{stem}.pdf") is not None:
        written.append(out_dir / f"{stem}.pdf")
    return written
