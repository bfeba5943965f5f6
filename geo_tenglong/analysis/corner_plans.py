"""零增地技改用地核查: the corner plots a 零增地技改 plan requests, against TT-CORNER (天台 四(六)).

The clause (天政发〔2022〕1号 四(六)): "零星边角地、夹心地在符合相关规划要求、累计面积不超过原用地面积20%
且不超过10亩的并同时满足"零增地"技改后容积率提高20%以上的,或"零增地"技改建筑面积占"零增地"技改后总建筑面积
20%以上的 … 可按照有关规定办理协议出让手续". Each plan in the ``renovations`` layer (geometry = the
plots requested) gets one finding per condition, feature id = ``renovation_id``:

(a) 符合规划 — every requested plot (connected part of the geometry) must share boundary with the
    plan's parcel (a corner touch is not adjacency), lie on free land (not over parcels, roads or
    water) and comply with plans (inside the 城镇开发边界, outside 永久基本农田 and 生态保护红线,
    zoned for industry; see :func:`geo_tenglong.analysis.fragments.plan_compliance`). Value: the
    compliant share of the requested area (%), threshold 100 %.
(b) 面积 — two findings: the requested area as a share of the original land (the parcel's cadastral
    area), threshold 20 %; and in 亩, threshold 10 亩. "不超过" is inclusive: exactly 20 % and exactly
    10 亩 pass; areas are compared at cadastral precision (``area_tolerance_m2``).
(c) 容积率或建筑面积占比 — passes when either holds (both "以上", inclusive):

    - FAR after ≥ 1.2 × FAR before. **FAR after = floor_area_after_m2 / (original land + requested
      plots)**: the plots are developed together with the site and transferred to the enterprise
      (协议出让), so they are part of its land after the renovation. This is the stricter reading —
      adding land cannot inflate the FAR rise. FAR before = the intensity stage's
      ``floor_area_m2`` / the parcel's area (its published ``far`` when only that is present).
    - renovation_floor_area_m2 / floor_area_after_m2 ≥ 20 %.

    Value: the FAR rise in % (or the floor-area share in % when only that passes), threshold 20 %.
    Without the intensity columns the FAR test is ``missing_data``; the finding is then
    ``missing_data`` unless the floor-area share passes on its own.

"累计面积" is the area of all plots one plan requests, taken together (their union). A ruleset
without TT-CORNER (德清) reports every condition ``not_applicable``; a plan requesting no plots
gets one ``not_applicable`` finding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import units
from ..findings import FAIL, MISSING_DATA, NOT_APPLICABLE, PASS, concat_findings, fmt_value, make_findings
from ..stage import StageResult
from ..values import polygon_parts
from .fragments import (
    RULE_ID,
    boundary_segments,
    constraint_layers,
    covered_part,
    plan_compliance,
    shared_lengths,
)

if TYPE_CHECKING:
    from ..results import Results
    from ..workspace import Workspace

#: Columns of the ``corner_plan_checks`` layer (geometry = the requested plots).
CHECK_COLUMNS = [
    "renovation_id", "parcel_id", "holder_uscc", "holder_name", "original_area_m2", "requested_area_m2",
    "requested_area_mu", "requested_share_pct", "plot_count", "usable_area_m2", "fragment_ids",
    "far_before", "far_after", "far_rise_pct", "renovation_share_pct",
    "cond_a", "cond_b_share", "cond_b_area", "cond_c", "overall", "reason",
]

NOT_IN_RULESET = "本县规则集无此条款(零星边角地、夹心地一并开发)"
CONDITIONS = ("a", "b_share", "b_area", "c")


def _overall(statuses) -> str:
    s = set(statuses)
    if FAIL in s:
        return FAIL
    if MISSING_DATA in s:
        return MISSING_DATA
    if s == {NOT_APPLICABLE}:
        return NOT_APPLICABLE
    return PASS


def _num(frame, col, n) -> np.ndarray:
    if col not in frame.columns:
        return np.full(n, np.nan)
    return pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)


def request_geometry(geoms) -> np.ndarray:
    """Each plan's requested plots as one valid (Multi)Polygon, or ``None`` when it requests none."""
    out = np.empty(len(geoms), dtype=object)
    for k, g in enumerate(geoms):
        parts = polygon_parts([shapely.make_valid(g)]) if g is not None and not shapely.is_empty(g) \
            else np.empty(0, dtype=object)
        out[k] = shapely.union_all(parts) if len(parts) else None
    return out


def check_plots(parts: np.ndarray, owner: np.ndarray, parcel_geoms: np.ndarray, occupied: np.ndarray,
                layers: dict, spec) -> pd.DataFrame:
    """Condition (a) for each requested plot.

    Parameters
    ----------
    parts : ndarray of Polygon
        The plots (connected parts of the plans' geometries).
    owner : ndarray of int
        The plan each plot belongs to.
    parcel_geoms : ndarray of Polygon or None
        Per plot, its plan's parcel (``None`` when the parcel is unknown).
    occupied : ndarray of Polygon
        Parcels, roads and water (the plots must be free land).
    layers : dict
        Constraint layers for :func:`~geo_tenglong.analysis.fragments.plan_compliance`.
    spec : CornerRule

    Returns
    -------
    DataFrame
        Per plot: ``shared_m`` with the parcel, ``adjacent``, ``overlap_m2``, the compliance
        columns, and ``status`` / ``reason`` for the plot.
    """
    n = len(parts)
    shared = np.zeros(n)
    known = np.array([g is not None for g in parcel_geoms], dtype=bool)
    if known.any():
        seg_owner, length, mid = boundary_segments(parts, max_length=max(spec.snap_tolerance_m * 5, 0.5))
        # each plot's segments against the parcels of every plot; keep the pairs plot → its own parcel
        own = np.asarray([g if g is not None else shapely.Polygon() for g in parcel_geoms], dtype=object)
        pairs = shared_lengths(seg_owner, length, mid, own, spec.snap_tolerance_m)
        mine = pairs[pairs["owner"] == pairs["other"]]
        shared[mine["owner"].to_numpy()] = mine["shared_m"].to_numpy()
    adjacent = shared >= spec.min_shared_length_m
    # free land: what the plot overlaps of parcels, roads and water (its own parcel included)
    over = shapely.area(covered_part(parts, occupied)) if len(occupied) else np.zeros(n)
    comp = plan_compliance(parts, layers, spec.industrial_zoning_codes, spec.overlap_tolerance_m2)
    status, reason = [], []
    for k in range(n):
        why = []
        if not known[k]:
            why.append("宗地不存在,无法判断相邻")
        elif not adjacent[k]:
            why.append(f"与本宗地不相邻(共用边界{shared[k]:.2f}m)")
        if over[k] > spec.overlap_tolerance_m2:
            why.append(f"与已有宗地、道路或水域重叠{over[k]:.1f}㎡")
        if comp["reason"].iat[k]:
            why.append(comp["reason"].iat[k])
        failed = (known[k] and not adjacent[k]) or over[k] > spec.overlap_tolerance_m2 \
            or comp["compliance"].iat[k] in ("不符合", "部分符合")
        unknown = not known[k] or comp["compliance"].iat[k] == "数据缺失"
        status.append(FAIL if failed else MISSING_DATA if unknown else PASS)
        reason.append(";".join(why))
    usable = comp["usable_area_m2"].to_numpy(dtype=float).copy()
    usable[~adjacent | (over > spec.overlap_tolerance_m2)] = 0.0
    return pd.DataFrame({"owner": owner, "shared_m": shared.round(2), "adjacent": adjacent, "overlap_m2": over.round(2),
                         "usable_area_m2": usable, "status": status, "reason": reason})


def assess_corner_plans(ws: Workspace, results: Results) -> StageResult:
    """Check the corner plots requested by 零增地技改 plans against TT-CORNER (a), (b), (c).

    Parameters
    ----------
    ws : Workspace
        Layer ``renovations`` (``renovation_id``, ``parcel_id``, ``floor_area_after_m2``,
        ``renovation_floor_area_m2``; geometry = the requested plots), and the constraint layers.
    results : Results
        ``results.parcels`` with ``area_m2`` and, from the intensity stage, ``floor_area_m2`` /
        ``far``; from the efficiency stage ``holder_uscc`` / ``holder_name``; the ``fragments`` layer
        when the fragments stage ran (to name the fragments a plan takes).

    Returns
    -------
    StageResult
        Findings (rule TT-CORNER, clause 四(六), one per condition and plan), and the
        ``corner_plan_checks`` layer (:data:`CHECK_COLUMNS`, geometry = the requested plots).
    """
    plans = ws.layer("renovations")
    if plans is None or not len(plans):
        return StageResult(summary={"plans": 0, "note": "无零增地技改方案图层(renovations)"})
    spec = ws.ruleset.get(RULE_ID)
    clause = spec.clause if spec is not None else ""
    ids = plans["renovation_id"].astype(str).to_numpy()
    pids = plans["parcel_id"].astype("string").fillna("").to_numpy(dtype=object)
    n = len(plans)
    req = request_geometry(plans.geometry.to_numpy())
    has_req = np.array([g is not None for g in req], dtype=bool)

    # plans requesting no plot: TT-CORNER does not come into it
    frames = [make_findings(ids[~has_req], RULE_ID, clause, NOT_APPLICABLE,
                            message="方案未申请零星边角地、夹心地")] if (~has_req).any() else []
    if spec is None:
        return _not_in_ruleset(ws, frames, ids, pids, req, has_req)

    parcels = results.parcels
    info = parcels.set_index("parcel_id")
    found = pd.Index(info.index).get_indexer(pids)
    known = found >= 0
    pgeom = np.asarray([info.geometry.iat[k] if k >= 0 else None for k in found], dtype=object)
    # the cadastral area is the planar area (坐标解析法), unrounded so that "exactly 20 %" is exact
    original = np.array([shapely.area(g) if g is not None else np.nan for g in pgeom])
    requested = np.array([shapely.area(g) if g is not None else 0.0 for g in req])

    a = _condition_a(ws, parcels, req, has_req, pgeom, requested, spec)
    b = _condition_b(known, original, requested, spec)
    c = _condition_c(plans, info, found, known, original, requested, spec)
    sel = np.flatnonzero(has_req)
    msgs = _condition_messages(sel, a, b, c, original, requested, spec)
    msg_a, msg_bs, msg_ba, msg_c = msgs
    frames += [
        make_findings(ids[sel], RULE_ID, clause, a["status"][sel], a["value"][sel], 100.0, "%", msg_a),
        make_findings(ids[sel], RULE_ID, clause, b["share"][sel], b["share_pct"][sel], spec.max_share * 100, "%",
                      msg_bs),
        make_findings(ids[sel], RULE_ID, clause, b["area"][sel], units.m2_to_mu(requested[sel]), spec.max_area_mu, "亩",
                      msg_ba),
        make_findings(ids[sel], RULE_ID, clause, c["status"][sel], c["value"][sel], c["threshold"][sel], "%", msg_c),
    ]
    frag_ids = _fragment_ids(results, a["part_geoms"], a["part_owner"], n, spec)
    table, overall = _check_table(ids, pids, info, has_req, sel, a, b, c, msgs, original, requested, frag_ids)
    summary = {"plans": n, "with_plots": int(has_req.sum()), "applicable": True,
               "by_status": {s: int((overall[has_req] == s).sum()) for s in (PASS, FAIL, MISSING_DATA)}}
    return StageResult(findings=concat_findings(frames), layers={"corner_plan_checks": _layer(table, req, ws.crs)},
                       summary=summary)


def _not_in_ruleset(ws: Workspace, frames: list, ids: np.ndarray, pids: np.ndarray, req: np.ndarray,
                    has_req: np.ndarray) -> StageResult:
    """The stage's result where the county's ruleset has no TT-CORNER: every condition ``not_applicable``.

    Parameters
    ----------
    ws : Workspace
    frames : list of pandas.DataFrame
        Findings so far (plans requesting no plot).
    ids, pids : numpy.ndarray
        Plan ids and their parcel ids.
    req : numpy.ndarray
        Requested plots per plan (:func:`request_geometry`).
    has_req : numpy.ndarray of bool
        Plans requesting a plot.

    Returns
    -------
    StageResult
    """
    sel = np.flatnonzero(has_req)
    for _cond in CONDITIONS:
        frames.append(make_findings(ids[sel], RULE_ID, "", NOT_APPLICABLE, message=NOT_IN_RULESET))
    table = pd.DataFrame({"renovation_id": ids, "parcel_id": pids, "overall": NOT_APPLICABLE,
                          "reason": np.where(has_req, NOT_IN_RULESET, "方案未申请零星边角地、夹心地")})
    return StageResult(findings=concat_findings(frames),
                       layers={"corner_plan_checks": _layer(table, req, ws.crs)},
                       summary={"plans": len(ids), "with_plots": int(has_req.sum()), "applicable": False})


def _condition_a(ws: Workspace, parcels: pd.DataFrame, req: np.ndarray, has_req: np.ndarray, pgeom: np.ndarray,
                 requested: np.ndarray, spec: Any) -> dict[str, Any]:
    """Condition (a): each connected requested plot adjoins the plan's parcel, is free and fits the plan.

    Parameters
    ----------
    ws : Workspace
        Layers ``roads``, ``water`` and the constraint layers.
    parcels : pandas.DataFrame
        ``results.parcels``.
    req, has_req, pgeom : numpy.ndarray
        Requested plots per plan, whether there are any, and the plan's parcel geometry.
    requested : numpy.ndarray
        Requested area per plan (m²).
    spec : CornerSpec
        TT-CORNER.

    Returns
    -------
    dict
        ``part_geoms``, ``part_owner`` (the plots and their plan), and per plan ``status``,
        ``reason``, ``usable`` (m²), ``count`` (plots), ``value`` (usable share, %).
    """
    n = len(req)
    geom_list, owner_list = [], []
    for k in np.flatnonzero(has_req):
        for p in polygon_parts([req[k]]):
            geom_list.append(p)
            owner_list.append(k)
    part_geoms = np.asarray(geom_list, dtype=object)
    part_owner = np.asarray(owner_list, dtype=np.int64)
    roads = ws.layer("roads")
    water = ws.layer("water")
    occupied = np.concatenate([polygon_parts(parcels.geometry.to_numpy())]
                              + [polygon_parts(lay.geometry.to_numpy()) for lay in (roads, water) if lay is not None])
    plots = check_plots(part_geoms, part_owner, pgeom[part_owner], occupied, constraint_layers(ws), spec) \
        if len(part_geoms) else pd.DataFrame(columns=["owner", "status", "reason", "usable_area_m2"])
    a_status = np.full(n, NOT_APPLICABLE, dtype=object)
    a_reason = np.full(n, "", dtype=object)
    usable = np.zeros(n)
    count = np.zeros(n, dtype=int)
    for k, grp in plots.groupby("owner"):
        a_status[k] = _overall(grp["status"])
        count[k] = len(grp)
        usable[k] = grp["usable_area_m2"].sum()
        bad = [f"第{i + 1}块:{r}" for i, r in enumerate(grp["reason"]) if r]
        a_reason[k] = ";".join(bad)
    a_value = np.where(requested > 0, 100.0 * usable / np.where(requested > 0, requested, 1), np.nan)
    return {"part_geoms": part_geoms, "part_owner": part_owner, "status": a_status, "reason": a_reason,
            "usable": usable, "count": count, "value": a_value}


def _condition_b(known: np.ndarray, original: np.ndarray, requested: np.ndarray, spec: Any) -> dict[str, Any]:
    """Condition (b): cumulative area against 20 % of the original land and against 10 亩.

    Parameters
    ----------
    known : numpy.ndarray of bool
        The plan's parcel is in the parcels layer.
    original, requested : numpy.ndarray
        Original land and requested area per plan (m²).
    spec : CornerSpec
        TT-CORNER.

    Returns
    -------
    dict
        Per plan ``share`` and ``area`` statuses and ``share_pct``.
    """
    tol = spec.area_tolerance_m2
    share_limit = spec.max_share * original
    cap = units.mu_to_m2(spec.max_area_mu)
    b_share = np.where(~known, MISSING_DATA, np.where(requested <= share_limit + tol, PASS, FAIL)).astype(object)
    b_area = np.where(requested <= cap + tol, PASS, FAIL).astype(object)
    share_pct = 100.0 * requested / np.where(known & (original > 0), original, np.nan)
    return {"share": b_share, "area": b_area, "share_pct": share_pct}


def _condition_c(plans: pd.DataFrame, info: pd.DataFrame, found: np.ndarray, known: np.ndarray,
                 original: np.ndarray, requested: np.ndarray, spec: Any) -> dict[str, Any]:
    """Condition (c): FAR rise or the renovation's share of the floor area after.

    Parameters
    ----------
    plans : pandas.DataFrame
        The ``renovations`` layer.
    info : pandas.DataFrame
        ``results.parcels`` indexed by ``parcel_id``.
    found, known : numpy.ndarray
        Position of each plan's parcel in ``info`` (-1 where unknown) and whether it is known.
    original, requested : numpy.ndarray
        Original land and requested area per plan (m²).
    spec : CornerSpec
        TT-CORNER.

    Returns
    -------
    dict
        Per plan ``status``, ``value``, ``threshold``, ``far_before``, ``far_after``, ``land_after``,
        ``rise_pct``, ``share_after``, ``far_ok``, ``share_ok``, ``far_known``.
    """
    n = len(plans)
    floor_after = _num(plans, "floor_area_after_m2", n)
    reno_floor = _num(plans, "renovation_floor_area_m2", n)
    if "floor_area_m2" in info.columns:
        floor_before = pd.to_numeric(info["floor_area_m2"], errors="coerce").to_numpy(dtype=float)
        far_before = np.where(known, floor_before[np.maximum(found, 0)] / original, np.nan)
    elif "far" in info.columns:
        far_before = np.where(known, pd.to_numeric(info["far"], errors="coerce").to_numpy(dtype=float)[np.maximum(found, 0)],
                              np.nan)
    else:
        far_before = np.full(n, np.nan)
    land_after = original + requested
    far_after = floor_after / np.where(land_after > 0, land_after, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        # no floor area before (an empty site) and some after: any rise is more than 20 %
        rise = np.where(far_before > 0, far_after / far_before,
                        np.where((far_before == 0) & (far_after > 0), np.inf, np.nan))
        share_after = reno_floor / np.where(floor_after > 0, floor_after, np.nan)
    eps = 1e-9
    far_ok = rise >= spec.min_far_uplift * (1 - eps)
    share_ok = share_after >= spec.min_renovation_share * (1 - eps)
    far_known, share_known = np.isfinite(rise), np.isfinite(share_after)
    c_status = np.where(far_ok | share_ok, PASS, np.where(far_known & share_known, FAIL, MISSING_DATA)).astype(object)
    rise_pct = (rise - 1.0) * 100.0
    c_value = np.where(far_ok | ~share_ok, rise_pct, share_after * 100.0)
    c_threshold = np.where(far_ok | ~share_ok, (spec.min_far_uplift - 1.0) * 100.0, spec.min_renovation_share * 100.0)
    return {"status": c_status, "value": c_value, "threshold": c_threshold, "far_before": far_before,
            "far_after": far_after, "land_after": land_after, "rise_pct": rise_pct, "share_after": share_after,
            "far_ok": far_ok, "share_ok": share_ok, "far_known": far_known}


def _condition_messages(sel: np.ndarray, a: dict[str, Any], b: dict[str, Any], c: dict[str, Any],
                        original: np.ndarray, requested: np.ndarray,
                        spec: Any) -> tuple[list[str], list[str], list[str], list[str]]:
    """The finding messages of conditions (a), (b) share, (b) area and (c) for the plans ``sel``.

    Parameters
    ----------
    sel : numpy.ndarray
        Positions of the plans requesting a plot.
    a, b, c : dict
        :func:`_condition_a`, :func:`_condition_b`, :func:`_condition_c`.
    original, requested : numpy.ndarray
        Original land and requested area per plan (m²).
    spec : CornerSpec
        TT-CORNER.

    Returns
    -------
    tuple of four lists of str
    """
    missing_parcel = "宗地代码不在宗地图层中"
    count, a_status, a_reason = a["count"], a["status"], a["reason"]
    b_share, b_area, share_pct = b["share"], b["area"], b["share_pct"]

    def fmt(v, spec_="{:.2f}"):
        return spec_.format(v) if np.isfinite(v) else "无数据"

    msg_a = [f"(a)符合规划:申请零星地{count[k]}块,{'均与本宗地相邻、为空闲地且符合规划' if a_status[k] == PASS else a_reason[k]}"
             for k in sel]
    # a failing value prints with the decimals that show its side of the threshold (issue 14.4)
    msg_bs = [f"(b)面积占比:申请{requested[k]:.2f}㎡,原用地{fmt(original[k])}㎡,"
              f"占{fmt_value(share_pct[k], spec.max_share * 100 if b_share[k] == FAIL else None, 2, '%')},"
              f"{'未超过' if b_share[k] == PASS else '超过' if b_share[k] == FAIL else missing_parcel + ','}"
              f"上限{spec.max_share * 100:g}%" for k in sel]
    msg_ba = [f"(b)面积上限:申请{fmt_value(units.m2_to_mu(requested[k]), spec.max_area_mu if b_area[k] == FAIL else None, 4)}亩,"
              f"{'未超过' if b_area[k] == PASS else '超过'}"
              f"{spec.max_area_mu:g}亩" for k in sel]
    msg_c = []
    far_after, land_after, far_before = c["far_after"], c["land_after"], c["far_before"]
    rise_pct, share_after, far_ok, share_ok = c["rise_pct"], c["share_after"], c["far_ok"], c["share_ok"]
    c_status, far_known = c["status"], c["far_known"]
    for k in sel:
        txt = (f"(c)技改后容积率{fmt(far_after[k], '{:.3f}')}(用地含零星地共{fmt(land_after[k])}㎡),"
               f"技改前{fmt(far_before[k], '{:.3f}')},"
               f"提高{fmt_value(rise_pct[k], None if far_ok[k] else (spec.min_far_uplift - 1.0) * 100.0, 1, '%')};"
               f"技改建筑面积占技改后总建筑面积"
               f"{fmt_value(share_after[k] * 100, None if share_ok[k] else spec.min_renovation_share * 100, 1, '%')};")
        if c_status[k] == PASS:
            txt += "满足" + ("容积率提高20%以上" if far_ok[k] else "技改建筑面积占比20%以上")
        elif c_status[k] == FAIL:
            txt += "两项均不满足"
        else:
            txt += "缺少容积率或建筑面积数据" + ("" if far_known[k] else "(技改前容积率未知)")
        msg_c.append(txt)
    return msg_a, msg_bs, msg_ba, msg_c


def _fragment_ids(results: Results, part_geoms: np.ndarray, part_owner: np.ndarray, n: int, spec: Any) -> np.ndarray:
    """The ids of the fragments (fragments stage) each plan's plots overlap, ``;``-joined.

    Parameters
    ----------
    results : Results
        The ``fragments`` layer when the fragments stage ran.
    part_geoms, part_owner : numpy.ndarray
        The requested plots and their plan.
    n : int
        Number of plans.
    spec : CornerSpec
        TT-CORNER (``overlap_tolerance_m2``).

    Returns
    -------
    numpy.ndarray of str
        Per plan; ``""`` where none.
    """
    frag_ids = np.full(n, "", dtype=object)
    frags = results.layers.get("fragments")
    if frags is not None and len(frags) and len(part_geoms):
        fg = frags.geometry.to_numpy()
        i, j = shapely.STRtree(fg).query(part_geoms, predicate="intersects")
        if len(i):
            ov = shapely.area(shapely.intersection(part_geoms[i], fg[j])) > spec.overlap_tolerance_m2
            hit = pd.DataFrame({"plan": part_owner[i[ov]], "fid": frags["fragment_id"].to_numpy()[j[ov]]})
            for k, grp in hit.groupby("plan"):
                frag_ids[k] = ";".join(sorted(set(grp["fid"])))
    return frag_ids


def _check_table(ids: np.ndarray, pids: np.ndarray, info: pd.DataFrame, has_req: np.ndarray, sel: np.ndarray,
                 a: dict[str, Any], b: dict[str, Any], c: dict[str, Any], msgs: tuple,
                 original: np.ndarray, requested: np.ndarray,
                 frag_ids: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """The ``corner_plan_checks`` table (without geometry) and each plan's overall status.

    Parameters
    ----------
    ids, pids : numpy.ndarray
        Plan ids and their parcel ids.
    info : pandas.DataFrame
        ``results.parcels`` indexed by ``parcel_id`` (holder columns).
    has_req, sel : numpy.ndarray
        Plans requesting a plot (mask and positions).
    a, b, c : dict
        :func:`_condition_a`, :func:`_condition_b`, :func:`_condition_c`.
    msgs : tuple of lists of str
        :func:`_condition_messages`.
    original, requested : numpy.ndarray
        Original land and requested area per plan (m²).
    frag_ids : numpy.ndarray
        :func:`_fragment_ids`.

    Returns
    -------
    table : pandas.DataFrame
    overall : numpy.ndarray
    """
    n = len(ids)
    a_status, b_share, b_area, c_status = a["status"], b["share"], b["area"], c["status"]
    msg_a, msg_bs, msg_ba, msg_c = msgs
    overall = np.array([_overall([a_status[k], b_share[k], b_area[k], c_status[k]]) if has_req[k] else NOT_APPLICABLE
                        for k in range(n)], dtype=object)
    reason = np.full(n, "方案未申请零星边角地、夹心地", dtype=object)
    for p, k in enumerate(sel):
        reason[k] = ";".join(m for m, s in zip((msg_a[p], msg_bs[p], msg_ba[p], msg_c[p]),
                                               (a_status[k], b_share[k], b_area[k], c_status[k])) if s != PASS)
    for arr in (a_status, b_share, b_area, c_status):
        arr[~has_req] = NOT_APPLICABLE
    holder = {col: (info[col].reindex(pids).to_numpy() if col in info.columns else np.full(n, None, dtype=object))
              for col in ("holder_uscc", "holder_name")}
    rise_pct, share_after = c["rise_pct"], c["share_after"]
    table = pd.DataFrame({
        "renovation_id": ids, "parcel_id": pids, **holder,
        "original_area_m2": np.round(original, 2), "requested_area_m2": np.round(requested, 2),
        "requested_area_mu": np.round(units.m2_to_mu(requested), units.MU_DECIMALS),
        "requested_share_pct": np.round(b["share_pct"], 4), "plot_count": a["count"],
        "usable_area_m2": np.round(a["usable"], 2),
        "fragment_ids": frag_ids, "far_before": np.round(c["far_before"], 4), "far_after": np.round(c["far_after"], 4),
        "far_rise_pct": np.round(np.where(np.isfinite(rise_pct), rise_pct, np.nan), 2),
        "renovation_share_pct": np.round(share_after * 100, 2),
        "cond_a": a_status, "cond_b_share": b_share, "cond_b_area": b_area, "cond_c": c_status,
        "overall": overall, "reason": reason,
    })
    return table, overall


def _layer(table: pd.DataFrame, geoms, crs) -> gpd.GeoDataFrame:
    for c in CHECK_COLUMNS:
        if c not in table.columns:
            table[c] = None
    return gpd.GeoDataFrame(table[CHECK_COLUMNS], geometry=list(geoms), crs=crs)
