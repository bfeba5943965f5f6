"""Lookups the sheets share: parcel places, park names, the flagged rules per feature, id lists.

Everything here is vectorised over whole columns (no Python call per parcel): the workbook is
written for counties of a million parcels (issue 20).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ...findings import FAIL, WARN
from ...results_schema import enum_code, value_labels
from ...values import split_ids, yes_no_series
from .sheet import column, field, heading, kind

__all__ = [
    "clause_of",
    "county_of",
    "explode_ids",
    "findings_by_id",
    "flag_summary",
    "has_rule",
    "join_per_row",
    "parcel_place",
    "park_names",
    "render",
    "rule_text",
    "rules_per_row",
    "split_ids",
    "status_labels",
]


def explode_ids(values: pd.Series) -> pd.Series:
    """Every id of a column of id cells (as :func:`geo_tenglong.values.split_ids` reads one), one per
    row, indexed by the position of its source row. Each distinct cell is split once."""
    s = pd.Series(values.to_numpy(dtype=object), index=np.arange(len(values)))
    s = s[s.notna()]
    hashable = s.map(type).isin([str, int, float])
    lists = pd.Series(index=s.index, dtype=object)
    if hashable.any():
        cells = s[hashable]
        lists[hashable] = cells.map({c: split_ids(c) for c in pd.unique(cells)})
    if (~hashable).any():
        lists[~hashable] = s[~hashable].map(split_ids)
    out = lists.explode()
    return out[out.notna() & (out != "")]


def join_per_row(values: pd.Series, n: int, sep: str = "、") -> np.ndarray:
    """Join the distinct non-empty ``values`` of each row (index = row position 0…n-1), in order.

    Rows without a value get ``None``. One concatenation per group (``np.add.reduceat``), no Python
    call per row.
    """
    out = np.full(n, None, dtype=object)
    v = values[values.notna()].astype(str)
    v = v[v != ""]
    if not len(v):
        return out
    df = pd.DataFrame({"r": v.index.to_numpy(dtype=np.int64), "v": v.to_numpy(dtype=object)}).drop_duplicates()
    df = df.sort_values("r", kind="stable")
    r = df["r"].to_numpy()
    text = df["v"].to_numpy(dtype=object)
    first = np.r_[True, r[1:] != r[:-1]]
    piece = np.where(first, text, np.add(sep, text))
    starts = np.flatnonzero(first)
    out[r[starts]] = np.add.reduceat(piece, starts)
    return out


def county_of(results) -> str:
    """The county name of the run (``results.info["county"]``), ``""`` when unknown."""
    return str(results.info.get("county") or "")


def park_names(results, ws=None) -> dict[str, str]:
    """``park_id`` → park name, from the workspace's ``parks`` layer (empty without a workspace)."""
    parks = ws.layer("parks") if ws is not None else None
    if parks is None or "park_id" not in parks.columns or "name" not in parks.columns:
        return {}
    ok = parks["park_id"].notna() & parks["name"].notna()
    return dict(zip(parks.loc[ok, "park_id"].astype(str), parks.loc[ok, "name"].astype(str), strict=True))


def parcel_place(results, ws=None) -> pd.DataFrame:
    """Per parcel id (index, text): ``township``, ``park`` (name), ``area_mu``, ``enterprise`` and
    ``uscc`` (the evaluated holder where there is one, else the land-use right holder)."""
    p = results.parcels
    ids = p["parcel_id"].astype(str).to_numpy()
    park_id = column(p, "parcels", "park_id").astype(object)
    park_id = park_id.where(park_id.notna(), "").astype(str)
    named = park_id.map(park_names(results, ws)).astype(object)
    park = named.where(named.notna(), park_id)
    township = column(p, "parcels", "township").astype(object)
    holder, owner = column(p, "parcels", "holder_name"), column(p, "parcels", "owner_name")
    hu, ou = column(p, "parcels", "holder_uscc"), column(p, "parcels", "owner_uscc")
    out = pd.DataFrame({"township": township.where(township.notna(), "").astype(str).to_numpy(),
                        "park": park.to_numpy(dtype=object),
                        "area_mu": pd.to_numeric(column(p, "parcels", "area_mu"), errors="coerce").to_numpy(),
                        "enterprise": holder.where(holder.notna(), owner).to_numpy(dtype=object),
                        "uscc": hu.where(hu.notna(), ou).to_numpy(dtype=object)}, index=ids)
    return out[~out.index.duplicated()]


def places_of(place: pd.DataFrame, ids: pd.Series, what: str) -> np.ndarray:
    """``what`` (a column of :func:`parcel_place`) for each id of ``ids`` (``None`` for null/unknown)."""
    key = ids.astype(object).where(ids.notna(), None)
    vals = place[what].reindex(key.astype(str).to_numpy()).to_numpy(dtype=object, copy=True)
    vals[key.isna().to_numpy()] = None
    if what != "area_mu":
        vals[pd.isna(vals) | (vals == "")] = None
    return vals


def places_of_lists(place: pd.DataFrame, lists: pd.Series, what: str) -> np.ndarray:
    """``what`` for each row's list of ids, the distinct values joined with ``、``."""
    ids = explode_ids(lists)
    vals = pd.Series(place[what].reindex(ids.to_numpy()).to_numpy(dtype=object), index=ids.index)
    return join_per_row(vals, len(lists))


def _status_texts() -> dict[str, str]:
    return value_labels("findings", "status")


def flag_summary(findings: pd.DataFrame) -> pd.Series:
    """Per feature id: the failed and warned rules as ``"TT-T4(二、主要目标)[不符合]; …"`` (fails first).

    Vectorised: one sort, one drop of repeats and one concatenation per feature (``np.add.reduceat``).
    """
    if findings is None or not len(findings):
        return pd.Series(dtype=object)
    f = findings[findings["status"].isin([FAIL, WARN])]
    if not len(f):
        return pd.Series(dtype=object)
    clause = f["clause"].fillna("").astype(str)
    text = (f["rule_id"].astype(str) + np.where(clause != "", "(" + clause + ")", "")
            + "[" + f["status"].map(_status_texts()).fillna("") + "]")
    df = pd.DataFrame({"pid": f["parcel_id"].astype(str).to_numpy(), "o": (f["status"] != FAIL).astype(int).to_numpy(),
                       "rule": f["rule_id"].astype(str).to_numpy(), "text": text.to_numpy(dtype=object)})
    df = df.sort_values(["pid", "o", "rule"], kind="stable").drop_duplicates(["pid", "text"])
    pid = df["pid"].to_numpy(dtype=object)
    first = np.r_[True, pid[1:] != pid[:-1]]
    piece = np.where(first, df["text"].to_numpy(dtype=object), np.add("; ", df["text"].to_numpy(dtype=object)))
    starts = np.flatnonzero(first)
    return pd.Series(np.add.reduceat(piece, starts), index=pid[starts], dtype=object)


def rules_per_row(flags: pd.Series, id_columns: Iterable[pd.Series], n: int) -> np.ndarray | None:
    """The :func:`flag_summary` text of each row's ids (several id columns), joined with ``; ``."""
    if not len(flags):
        return None
    parts = []
    for ids in id_columns:
        s = pd.Series(ids.to_numpy(dtype=object), index=np.arange(n))
        s = s[s.notna()].astype(str)
        parts.append(s.map(flags))
    if not parts:
        return None
    allp = pd.concat(parts).sort_index(kind="stable")
    return join_per_row(allp, n, "; ")


def rule_text(rule_id: Any, clause: Any) -> str | None:
    """``RULE(clause)``, or the rule id alone without a clause."""
    if rule_id is None or pd.isna(rule_id) or not str(rule_id):
        return None
    c = "" if clause is None or pd.isna(clause) else str(clause)
    return f"{rule_id}({c})" if c else str(rule_id)


def clause_of(results, rule_id: str) -> str:
    """The clause the run's findings give for ``rule_id`` (``""`` when none)."""
    f = results.findings
    if f is None or not len(f):
        return ""
    c = f.loc[f["rule_id"] == rule_id, "clause"].dropna().astype(str)
    c = c[c != ""]
    return c.iloc[0] if len(c) else ""


def findings_by_id(results, rule_id: str) -> pd.DataFrame:
    """The rule's findings, one per feature id (fails and warnings first), indexed by id."""
    f = results.findings
    if f is None or not len(f):
        return pd.DataFrame(columns=["status", "message"])
    f = f[f["rule_id"] == rule_id]
    order = f["status"].map({FAIL: 0, WARN: 1}).fillna(2)
    f = f.assign(_o=order.to_numpy()).sort_values("_o", kind="stable").drop_duplicates("parcel_id")
    return f.set_index(f["parcel_id"].astype(str))


def has_rule(results, ws, rule_ids: Iterable[str]) -> bool:
    """Whether the county's ruleset has one of ``rule_ids``: the workspace's ruleset when given, else
    the findings (a rule the county lacks leaves only a "本县规则集…无此条款" finding)."""
    rule_ids = list(rule_ids)
    if ws is not None:
        return any(ws.ruleset.has(r) for r in rule_ids)
    f = results.findings
    if f is None or not len(f):
        return False
    mine = f[f["rule_id"].isin(rule_ids)]
    return bool(len(mine)) and not mine["message"].fillna("").astype(str).str.contains("无此条款").all()


def status_labels(values: pd.Series) -> np.ndarray:
    """Statuses (``fail`` …) as their Chinese labels (``不符合`` …); null → ``None``."""
    return _labels(values, _status_texts())


def _labels(values: pd.Series, mapping: dict[str, str]) -> np.ndarray:
    s = pd.Series(values.to_numpy(dtype=object))
    ok = s.notna().to_numpy()
    out = np.full(len(s), None, dtype=object)
    if ok.any():
        uniq = pd.unique(s[ok])
        table = {u: mapping.get(enum_code(u) or "", enum_code(u)) for u in uniq}
        out[ok] = s[ok].map(table).to_numpy(dtype=object)
    return out


def _readable_neighbours(v: Any) -> Any:
    """JSON lists of ``{"parcel_id", "shared_m"}`` as ``id(共边 x 米)、…``; other values unchanged."""
    if isinstance(v, str) and v.startswith("[{"):
        try:
            v = json.loads(v)
        except ValueError:
            return v
    if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
        out = []
        for x in v:
            shared = x.get("shared_m")
            pid = x.get("parcel_id", "")
            out.append(f"{pid}(共边 {shared:g} 米)" if isinstance(shared, (int, float)) else str(pid))
        return "、".join(out)
    return v


def render(frame: pd.DataFrame, table: str, name: str) -> tuple[str, np.ndarray, str]:
    """A declared column as the workbook shows it: (heading, values, kind).

    Enumerations show their declared Chinese labels, booleans 是/否 (read by
    :func:`geo_tenglong.values.yes_no_series`, so 1/0 after a GeoPackage round trip too), ratios
    (unit ``比例``) ×100, numbers as floats, JSON neighbour lists as text.
    """
    f = field(table, name)
    s = column(frame, table, name)
    if f.dtype == "bool":
        b = yes_no_series(s.to_numpy(dtype=object))
        vals = np.where(b.fillna(False).to_numpy(dtype=bool), "是", "否").astype(object)
        vals[b.isna().to_numpy()] = None
    elif f.values:
        vals = _labels(s, value_labels(table, name))
    elif f.dtype in ("float", "int"):
        vals = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
        if f.unit == "比例":
            vals = vals * 100
    elif f.dtype == "json":
        vals = s.astype(object).map(_readable_neighbours).to_numpy(dtype=object)
    else:
        vals = s.to_numpy(dtype=object)
    return heading(table, name), vals, kind(table, name)
