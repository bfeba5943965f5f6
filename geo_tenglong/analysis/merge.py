"""Check merge proposals for industrial land against 天台 四(八) (TT-MERGE, TT-TRANSFER).

A merge proposal (``merge_proposals``: ``proposal_id, parcel_ids`` ``;``-joined, ``buyer_uscc``) is
checked condition by condition, one finding each (feature id = ``proposal_id``):

======================  ===========  ==========================================================
condition               rule         fails when
======================  ===========  ==========================================================
宗地                    TT-MERGE     a parcel is unknown, or fewer than two are listed
界线相邻                TT-MERGE     a parcel shares less than ``min_shared_length_m`` of boundary
                                     with the rest, or the parcels form several pieces (corner
                                     contact is not adjacency; connectivity by scipy's
                                     ``connected_components``)
权属性质一致            TT-MERGE     the parcels' 权属性质 differ
使用权类型一致          TT-MERGE     the parcels' 使用权类型 differ
剩余年限统一            TT-MERGE     (never fails) the merged term ends at the earliest
                                     ``term_end``; remaining term in full years to the as-of date
合并后不得分割          TT-MERGE     (a note) the merged parcel may not be split later
受让方亩均评价          TT-TRANSFER  the buyer was class C or D in 上一年度 (the as-of year − 1)
标准地指标继承          TT-TRANSFER  (a note, ``warn``) a parcel is 标准地
======================  ===========  ==========================================================

Under a ruleset without TT-MERGE (德清) every proposal gets ``not_applicable`` findings.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .. import units
from ..findings import FAIL, MISSING_DATA, NOT_APPLICABLE, PASS
from ..io.dates import full_years
from ..values import clean_id, clean_text, join_ids, parse_date_series, parse_yes_no, split_ids
from .proposal_checks import NA_MESSAGE, ConditionRows, check_buyers, check_standard_land, latest_classes, named_parcels

#: Columns of the ``merge_checks`` table (one row per proposal).
MERGE_CHECK_COLUMNS = ["proposal_id", "parcel_ids", "buyer_uscc", "n_parcels", "area_m2", "area_mu",
                       "shared_length_m", "adjacent", "rights_nature", "rights_type", "same_rights",
                       "unified_term_end", "splittable", "buyer_class", "verdict", "failed", "message"]
#: ``rights_type`` of allocated land (划拨), which has no term.
ALLOCATED = "划拨"


def shared_boundary_length(a: Any, b: Any, tolerance: float = 0.0) -> float:
    """Length (m) of boundary two polygons share, allowing a digitising gap of ``tolerance``.

    Exactly shared edges are measured as the intersection of the two boundaries. With a
    ``tolerance``, each polygon's boundary lying within ``tolerance`` of the other polygon is
    measured too, less ``2 × tolerance`` per connected stretch (the bits of the edges leaving the
    shared stretch that also lie within reach), and the smaller of the two directions is taken;
    the larger of the exact and the tolerant length is returned. Polygons that touch at a corner
    share 0.

    Examples
    --------
    >>> from shapely import box
    >>> shared_boundary_length(box(0, 0, 10, 10), box(10, 0, 20, 5), 0.1)
    5.0
    >>> shared_boundary_length(box(0, 0, 10, 10), box(10, 10, 20, 20), 0.1)
    0.0
    >>> round(shared_boundary_length(box(0, 0, 10, 10), box(10.05, 0, 20, 10), 0.1), 2)
    9.9
    """
    if a is None or b is None or a.is_empty or b.is_empty:
        return 0.0
    exact = float(shapely.length(shapely.intersection(shapely.boundary(a), shapely.boundary(b))))
    if tolerance <= 0 or shapely.distance(a, b) > tolerance:
        return round(exact, 6)

    def reach(x: Any, y: Any) -> float:
        near = shapely.intersection(shapely.boundary(x), shapely.buffer(y, tolerance))
        lines = shapely.get_parts(shapely.line_merge(shapely.union_all(
            [g for g in shapely.get_parts(near) if g.geom_type in ("LineString", "MultiLineString")] or
            [shapely.LineString()])))
        return float(np.clip(shapely.length(lines) - 2 * tolerance, 0, None).sum()) if len(lines) else 0.0

    return round(max(exact, min(reach(a, b), reach(b, a))), 6)  # µm: below any survey precision


def connected_groups(n: int, edges: list[tuple[int, int]]) -> list[list[int]]:
    """The connected pieces of ``n`` nodes joined by ``edges``, each in node order, by first node.

    Examples
    --------
    >>> connected_groups(5, [(0, 2), (3, 4)])
    [[0, 2], [1], [3, 4]]
    """
    a = np.array([e[0] for e in edges], dtype=np.int64)
    b = np.array([e[1] for e in edges], dtype=np.int64)
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    labels = connected_components(graph, directed=False)[1]
    first = np.unique(labels, return_index=True)[1]
    return [np.flatnonzero(labels == lab).tolist() for lab in labels[np.sort(first)]]


def _adjacency(rows: ConditionRows, pid: str, ids: list[str], geoms: list[Any], rule: Any, rec: dict) -> None:
    """界线相邻: pairwise shared lengths, each parcel against the rest, one connected piece."""
    tol, min_len = rule.adjacency_tolerance_m, rule.min_shared_length_m
    n = len(ids)
    edges, pairs = [], []
    for a in range(n):
        for b in range(a + 1, n):
            length = shared_boundary_length(geoms[a], geoms[b], tol)
            if length > 0:
                pairs.append(f"{ids[a]}–{ids[b]} 共用界线 {length:.2f} m")
            if length >= min_len:
                edges.append((a, b))
    with_rest = [shared_boundary_length(geoms[a], shapely.union_all([g for k, g in enumerate(geoms) if k != a]), tol)
                 for a in range(n)]
    groups = connected_groups(n, edges)
    lonely = [ids[a] for a in range(n) if with_rest[a] < min_len]
    value = round(float(min(with_rest)), 2)
    rec["shared_length_m"] = value
    rec["adjacent"] = len(groups) == 1 and not lonely
    if rec["adjacent"]:
        msg = ";".join(pairs)
    else:
        parts = []
        if lonely:
            parts.append("、".join(f"宗地 {p} 与其余宗地共用界线仅 {with_rest[ids.index(p)]:.2f} m" for p in lonely)
                         + f"(角点相接或不相接,不足 {min_len:g} m)")
        if len(groups) > 1:
            parts.append("宗地分成互不相邻的 {} 片: {}".format(
                len(groups), " | ".join("、".join(ids[k] for k in g) for g in groups)))
        if pairs:
            parts.append(";".join(pairs))
        msg = ";".join(parts)
    rows.add(pid, "界线相邻", "TT-MERGE", rule.clause, PASS if rec["adjacent"] else FAIL, value, min_len, "m", msg)


def _same_rights(rows: ConditionRows, pid: str, ids: list[str], sub: pd.DataFrame, clause: str, rec: dict) -> None:
    """权属性质一致 and 使用权类型一致."""
    same_all: bool | None = True
    for field, label in (("rights_nature", "权属性质一致"), ("rights_type", "使用权类型一致")):
        values = [clean_text(v) for v in sub[field]] if field in sub.columns else [None] * len(ids)
        rec[field] = ";".join(v or "" for v in values)
        blank = [p for p, v in zip(ids, values) if v is None]
        if blank:
            same_all = None if same_all is not False else same_all
            rows.add(pid, label, "TT-MERGE", clause, MISSING_DATA, unit="种", threshold=1,
                     message=f"宗地 {'、'.join(blank)} 缺少{label[:-2]}({field})")
            continue
        distinct = list(dict.fromkeys(values))
        ok = len(distinct) == 1
        same_all = same_all if ok else False
        rows.add(pid, label, "TT-MERGE", clause, PASS if ok else FAIL, len(distinct), 1, "种",
                 f"均为{distinct[0]}" if ok else "不一致: " + "、".join(f"{p} {v}" for p, v in zip(ids, values)))
    rec["same_rights"] = same_all


def remaining_full_years(as_of: dt.date | None, term_end: dt.date) -> float:
    """Full years from ``as_of`` to ``term_end`` (:func:`geo_tenglong.io.dates.full_years`), NaN without ``as_of``.

    Examples
    --------
    >>> remaining_full_years(dt.date(2024, 1, 1), dt.date(2055, 12, 31)), remaining_full_years(None, dt.date(2055, 12, 31))
    (31.0, nan)
    """
    if as_of is None:
        return np.nan
    return float(full_years(pd.to_datetime([as_of]), pd.Timestamp(term_end))[0])


def _term_ends(parcels: pd.DataFrame, positions: list[int]) -> dict[int, dt.date | None]:
    """``term_end`` of the parcels at ``positions``, read in one call of the one date parser.

    ``None`` where blank or unreadable.
    """
    if "term_end" not in parcels.columns or not positions:
        return dict.fromkeys(positions)
    dates = parse_date_series(parcels["term_end"].iloc[positions]).dates
    return {p: (None if pd.isna(t) else t.date()) for p, t in zip(positions, dates)}


def _unified_term(rows: ConditionRows, pid: str, ids: list[str], sub: pd.DataFrame, terms: list[dt.date | None],
                  clause: str, as_of: dt.date | None, rec: dict) -> None:
    """剩余年限统一 to the earliest term end; 划拨 land has no term (it is not missing)."""
    n = len(ids)
    raw = list(sub["term_end"]) if "term_end" in sub.columns else [None] * n
    kinds = [clean_text(v) for v in sub["rights_type"]] if "rights_type" in sub.columns else [None] * n
    allocated = [t is None and k == ALLOCATED for t, k in zip(terms, kinds)]
    blank = [p for p, t, a in zip(ids, terms, allocated) if t is None and not a]
    termed = [(p, t) for p, t in zip(ids, terms) if t is not None]
    no_term = "、".join(p for p, a in zip(ids, allocated) if a)
    no_term_note = f";宗地 {no_term} 为划拨用地,无使用期限" if no_term else ""
    if blank:
        unread = {p: clean_text(r) for p, r in zip(ids, raw) if p in blank and clean_text(r) is not None}
        missing = [p for p in blank if p not in unread]
        notes = ([f"宗地 {'、'.join(missing)} 缺少土地使用权终止日期(term_end)"] if missing else []) + \
            [f"宗地 {p} 的土地使用权终止日期“{r}”无法识别" for p, r in unread.items()]
        rows.add(pid, "剩余年限统一", "TT-MERGE", clause, MISSING_DATA, unit="年", limit="按最短年限统一",
                 message=";".join(notes) + no_term_note)
        return
    if not termed:
        rows.add(pid, "剩余年限统一", "TT-MERGE", clause, NOT_APPLICABLE, unit="年", limit="按最短年限统一",
                 message="各宗地均为划拨用地,无使用期限")
        return
    first = min(t for _, t in termed)
    rec["unified_term_end"] = first.isoformat()
    years = remaining_full_years(as_of, first)
    holders = "、".join(p for p, t in termed if t == first)
    if len({t for _, t in termed}) > 1:
        msg = ("剩余年限不一致(" + "、".join(f"{p} 至 {t.isoformat()}" for p, t in termed)
               + f"),按最短统一至 {first.isoformat()}(宗地 {holders})")
    else:
        msg = f"各宗地使用权均至 {first.isoformat()},合并后不变"
    if as_of:
        msg += f",剩余 {years:.0f} 整年(至基准日 {as_of.isoformat()})"
    rows.add(pid, "剩余年限统一", "TT-MERGE", clause, PASS, years, np.nan, "年", msg + no_term_note,
             limit="按最短年限统一")


def _check_one(rows: ConditionRows, pid: str, ids: list[str], buyer: str | None, parcels: gpd.GeoDataFrame,
               pindex: dict[str, int], ctx: dict, rec: dict) -> None:
    """Every condition of one merge proposal whose ruleset has TT-MERGE."""
    rule, clause = ctx["rule"], ctx["rule"].clause
    unknown = [p for p in ids if p not in pindex]
    if len(ids) < 2 or unknown:
        msg = (f"方案 {pid} 所涉宗地 {'、'.join(unknown)} 不在宗地图层中,无法核查" if unknown
               else f"方案 {pid} 只列出 {len(ids)} 宗地,合并至少需要两宗")
        rows.add(pid, "宗地", "TT-MERGE", clause, FAIL, len(ids), 2, "宗", msg)
        return
    rows.add(pid, "宗地", "TT-MERGE", clause, PASS, len(ids), 2, "宗", f"合并 {len(ids)} 宗: {'、'.join(ids)}")
    sub = parcels.iloc[[pindex[p] for p in ids]]
    geoms = list(sub.geometry.to_numpy())
    area = float(shapely.area(np.asarray(geoms, dtype=object)).sum())
    rec["area_m2"] = round(area, 2)
    rec["area_mu"] = round(units.m2_to_mu(area), units.MU_DECIMALS)
    _adjacency(rows, pid, ids, geoms, rule, rec)
    _same_rights(rows, pid, ids, sub, clause, rec)
    _unified_term(rows, pid, ids, sub, [ctx["terms"][pindex[p]] for p in ids], clause, ctx["as_of"], rec)
    rows.add(pid, "合并后不得分割", "TT-MERGE", clause, PASS, limit="不可再分割",
             message=f"合并后宗地登记合并来源({join_ids(ids)}),产权不得再分割")
    owners = {(clean_id(v) or "").upper() for v in sub["owner_uscc"]} if "owner_uscc" in sub.columns else {""}
    # the buyer holding every parcel already is no transferee
    keepers = tuple(owners) if len(owners) == 1 and "" not in owners else ()
    classes = check_buyers(rows, pid, [buyer] if buyer else [], ctx["transfer"], ctx["eval_info"], keepers)
    rec["buyer_class"] = classes.get(buyer) if buyer else None
    flags: list[bool | None] = [parse_yes_no(v) is True for v in sub["standard_land"]] \
        if "standard_land" in sub.columns else []
    check_standard_land(rows, pid, flags, ids, ctx["transfer"], "合并后")


def _merge_table(table_rows: list[dict], rows: ConditionRows) -> pd.DataFrame:
    """The ``merge_checks`` table with verdicts and typed columns."""
    table = pd.DataFrame(table_rows)
    for c in MERGE_CHECK_COLUMNS:
        if c not in table.columns:
            table[c] = None
    verdicts, failed, messages = rows.verdicts()
    table["verdict"] = table["proposal_id"].map(verdicts)
    table["failed"] = table["proposal_id"].map(failed)
    table["message"] = table["proposal_id"].map(messages)
    table = table[MERGE_CHECK_COLUMNS]
    for c in ("adjacent", "same_rights", "splittable"):
        table[c] = table[c].astype("boolean")
    table["n_parcels"] = table["n_parcels"].astype("Int64")
    for c in ("area_m2", "area_mu", "shared_length_m"):
        table[c] = pd.to_numeric(table[c], errors="coerce").astype(float)
    for c in ("proposal_id", "parcel_ids", "buyer_uscc", "rights_nature", "rights_type", "unified_term_end",
              "buyer_class", "verdict", "failed", "message"):
        table[c] = table[c].astype("string")
    return table


def check_merge(parcels: gpd.GeoDataFrame, proposals: pd.DataFrame | None, ruleset: Any,
                eval_table: pd.DataFrame | None = None, as_of: dt.date | None = None,
                eval_year: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check merge proposals against TT-MERGE and TT-TRANSFER.

    Parameters
    ----------
    parcels : GeoDataFrame
        Parcels (``parcel_id``, ``rights_nature``, ``rights_type``, ``term_end``,
        ``standard_land``, ``owner_uscc``) in a planar CRS (metres).
    proposals : DataFrame or None
        ``proposal_id``, ``parcel_ids`` (``;``-joined) and ``buyer_uscc``.
    ruleset : Ruleset
        Reads ``TT-MERGE`` and ``TT-TRANSFER``; where absent, ``not_applicable``.
    eval_table : DataFrame, optional
        ``enterprise_eval`` of the efficiency stage (buyer's class in ``eval_year``).
    as_of : date, optional
        Reference date: the remaining term is reported in full years to it, and 上一年度 is its
        year − 1 when ``eval_year`` is not given.
    eval_year : int, optional
        上一年度: the efficiency stage's evaluation year.

    Returns
    -------
    (DataFrame, DataFrame)
        Findings (with the extra ``condition`` and ``limit`` columns, feature id = ``proposal_id``) and the
        ``merge_checks`` table (columns :data:`MERGE_CHECK_COLUMNS`), one row per proposal, with
        the unified term end and ``splittable = False``.
    """
    rows = ConditionRows()
    if proposals is None or not len(proposals):
        return rows.findings(), pd.DataFrame({c: [] for c in MERGE_CHECK_COLUMNS})
    if eval_year is None and as_of is not None:
        eval_year = as_of.year - 1  # 上一年度
    ctx = {"rule": ruleset.get("TT-MERGE"), "transfer": ruleset.get("TT-TRANSFER"), "as_of": as_of,
           "eval_info": latest_classes(eval_table, eval_year)}
    parcels, pindex = named_parcels(parcels, (p for v in proposals.get("parcel_ids", pd.Series(dtype=object))
                                              for p in split_ids(v)))
    ctx["terms"] = _term_ends(parcels, sorted(pindex.values()))
    table_rows: list[dict] = []
    for i, prop in enumerate(proposals.to_dict("records")):
        pid = clean_id(prop.get("proposal_id")) or f"(无编号, 第{prop.get('source_row', i + 2)}行)"
        ids = split_ids(prop.get("parcel_ids"))
        buyer = clean_id(prop.get("buyer_uscc"))
        rec = {"proposal_id": pid, "parcel_ids": join_ids(ids) or None, "buyer_uscc": buyer, "n_parcels": len(ids),
               "splittable": False}
        table_rows.append(rec)
        if ctx["rule"] is None:
            rows.add(pid, "合并转让", "TT-MERGE", "", NOT_APPLICABLE, message=NA_MESSAGE)
            check_buyers(rows, pid, [], None, ctx["eval_info"])
            rec["splittable"] = None
            continue
        _check_one(rows, pid, ids, buyer, parcels, pindex, ctx, rec)
    return rows.findings(), _merge_table(table_rows, rows)
