"""Check split proposals for industrial land against 天台 四(八) (TT-SPLIT, TT-MERGE, TT-TRANSFER).

A split proposal (``split_proposals``: ``proposal_id, parcel_id, part_no, buyer_uscc``, one polygon
per part — or cut lines across the parcel, turned into parts by
:func:`geo_tenglong.analysis.cut_lines.parts_from_cut_lines`) is checked condition by condition,
one finding each (feature id = ``proposal_id``):

======================  ===========  ==========================================================
condition               rule         fails when
======================  ===========  ==========================================================
宗地                    TT-SPLIT     the parcel is unknown, or the parts name several parcels
分块覆盖宗地            TT-SPLIT     the parts leave a gap in the parcel beyond the survey tolerance
分块互不重叠            TT-SPLIT     parts overlap beyond the tolerance
分块位于宗地内          TT-SPLIT     parts reach outside the parcel beyond the tolerance
分割数量                TT-SPLIT     more than ``max_parts`` parts (工业地产 exempt), or fewer than 2
每宗面积                TT-SPLIT     a part is under ``min_part_mu`` 亩 (4 decimals)
以幢为最小分割单位      TT-SPLIT     a building reaches over a part line by more than the tolerance
行政办公及生活服务用地  TT-SPLIT     a part holds only 行政办公/生活服务 buildings
已竣工投产              TT-SPLIT     the parcel's status is neither the completed status nor one
                                     of ``review_statuses`` (停产: completed once, since stopped,
                                     is 提示 ``warn`` for review)
不得二次分割            TT-SPLIT     the parcel itself came from a split (``split_from``)
合并后不得分割          TT-MERGE     the parcel is the result of a merge (``merged_from``)
受让方亩均评价          TT-TRANSFER  a buyer was class C or D in 上一年度 (the as-of year − 1)
标准地指标继承          TT-TRANSFER  (a note, ``warn``) the parcel is 标准地: every part inherits it
======================  ===========  ==========================================================

Under a ruleset without the rule (德清) every proposal gets ``not_applicable`` findings. A proposal
that cannot be checked (unknown parcel) gets a ``fail`` finding naming it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import units
from ..findings import FAIL, MISSING_DATA, NOT_APPLICABLE, PASS, WARN
from ..values import clean_id, clean_text, join_ids, parse_yes_no, polygonal, polygonal_array
from .cut_lines import is_lines, parts_from_cut_lines
from .proposal_checks import NA_MESSAGE, ConditionRows, check_buyers, check_standard_land, latest_classes, named_parcels

#: Columns of the ``split_checks`` layer (one row per part, plus geometry).
SPLIT_CHECK_COLUMNS = ["proposal_id", "parcel_id", "part_no", "buyer_uscc", "area_m2", "area_mu", "area_ok",
                       "buildings", "cut_buildings", "admin_only", "buyer_class", "part_status", "verdict", "failed",
                       "message"]


def _fmt(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}"


def significant_area(geom: Any, area_tol: float, width_tol: float) -> float:
    """Area (m²) of the pieces of ``geom`` that are more than survey noise.

    A piece is noise when its area is at most ``area_tol`` or it vanishes under an inward buffer of
    half ``width_tol`` (a sliver, however long).

    Examples
    --------
    >>> from shapely import box
    >>> significant_area(box(0, 0, 10, 0.05), 0.1, 0.1), significant_area(box(0, 0, 10, 1), 0.1, 0.1)
    (0.0, 10.0)
    """
    if geom is None or geom.is_empty:
        return 0.0
    pieces = shapely.get_parts(shapely.get_parts(geom))
    pieces = pieces[np.isin(shapely.get_type_id(pieces), (3, 6))]
    if not len(pieces):
        return 0.0
    areas = shapely.area(pieces)
    big = areas > area_tol
    if width_tol > 0 and big.any():
        eroded = shapely.buffer(pieces[big], -width_tol / 2.0)
        keep = ~shapely.is_empty(eroded)
        big[np.flatnonzero(big)[~keep]] = False
    return float(areas[big].sum())


class BuildingIndex:
    """Finds the buildings of a parcel: by ``parcel_id``, or by location where that is empty.

    Built once per run (a dict of row positions by parcel id and an STRtree of the unassigned
    buildings), so each proposal costs a lookup, not a pass over every building.
    """

    def __init__(self, buildings: gpd.GeoDataFrame) -> None:
        self.buildings = buildings
        geoms = buildings.geometry.to_numpy()
        if "parcel_id" in buildings.columns:
            ids = buildings["parcel_id"].astype("string")
            assigned = ids.notna().to_numpy()
            rows = np.flatnonzero(assigned)
            codes, uniques = pd.factorize(ids.to_numpy()[assigned])
            order = np.argsort(codes, kind="stable")
            cuts = np.searchsorted(codes[order], np.arange(1, len(uniques)))
            self.by_id = dict(zip(uniques, np.split(rows[order], cuts)))
        else:
            assigned = np.zeros(len(buildings), bool)
            self.by_id = {}
        cand = np.flatnonzero(~assigned & ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms))
        self.loose = cand
        self.points = shapely.point_on_surface(geoms[cand]) if len(cand) else np.array([], dtype=object)
        self.tree = shapely.STRtree(self.points) if len(cand) else None

    def of(self, parcel_id: str, parcel_geom: Any) -> gpd.GeoDataFrame:
        """The buildings of one parcel (assigned by id, or unassigned with a point inside it)."""
        rows = list(self.by_id.get(parcel_id, []))
        if self.tree is not None:
            hits = self.tree.query(parcel_geom, predicate="contains")
            rows.extend(self.loose[hits].tolist())
        return self.buildings.iloc[sorted(rows)]


def building_cuts(bldgs: gpd.GeoDataFrame, parcel_geom: Any, parts: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each building: its main part (index), how far it reaches outside it (m) and that area (m²)."""
    geoms = bldgs.geometry.to_numpy()
    n = len(geoms)
    main = np.full(n, -1)
    reach = np.zeros(n)
    out_area = np.zeros(n)
    for i, b in enumerate(geoms):
        if b is None or b.is_empty:
            continue
        inside = shapely.intersection(b, parcel_geom)
        if inside.is_empty:
            inside = b
        shares = shapely.area(shapely.intersection(inside, parts))
        if not len(shares) or shares.max() <= 0:
            # on no part at all: the whole building is outside every part
            reach[i] = np.inf
            out_area[i] = inside.area
            continue
        k = int(np.argmax(shares))
        main[i] = k
        rest = shapely.difference(inside, parts[k])
        if rest.is_empty or rest.area <= 0:
            continue
        pts = shapely.points(shapely.get_coordinates(rest))
        reach[i] = float(shapely.distance(pts, parts[k]).max()) if len(pts) else 0.0
        out_area[i] = rest.area
    return main, reach, out_area


# ----------------------------------------------------------------------------------------------
# one proposal
# ----------------------------------------------------------------------------------------------

@dataclasses.dataclass
class _Split:
    """One proposal being checked: its parcel, and the parts that have a polygon."""

    pid: str
    parcel_id: str
    prow: pd.Series
    pgeom: Any
    rule: Any
    parts: np.ndarray
    nos: list[str]

    @property
    def clause(self) -> str:
        return str(self.rule.clause)

    @property
    def n(self) -> int:
        return len(self.parts)


def _check_cover(rows: ConditionRows, s: _Split) -> dict[str, float]:
    """The parts cover the parcel: no gap, no overlap, nothing outside. Returns part → area outside."""
    tol_a, tol_w = s.rule.coverage_tolerance_m2, s.rule.sliver_width_m
    gap = shapely.difference(s.pgeom, shapely.union_all(s.parts))
    gap_sig = significant_area(gap, tol_a, tol_w)
    raw_gap = float(shapely.area(gap))
    rows.add(s.pid, "分块覆盖宗地", "TT-SPLIT", s.clause, FAIL if gap_sig > 0 else PASS, round(gap_sig, 2), tol_a,
             "m²", f"分块未覆盖宗地的缝隙 {_fmt(gap_sig)} m²" + (
                 f"(另有测量误差范围内的碎缝 {_fmt(raw_gap - gap_sig)} m²)" if raw_gap - gap_sig >= 0.005 else ""))
    overlaps = []
    for i in range(s.n):
        for j in range(i + 1, s.n):
            inter = polygonal(shapely.intersection(s.parts[i], s.parts[j]))
            if inter is not None:
                overlaps.append((s.nos[i], s.nos[j], significant_area(inter, tol_a, tol_w)))
    ov_sig = sum(a for _, _, a in overlaps)
    ov_msg = ";".join(f"分块 {a} 与 {b} 重叠 {_fmt(x)} m²" for a, b, x in overlaps if x > 0)
    rows.add(s.pid, "分块互不重叠", "TT-SPLIT", s.clause, FAIL if ov_sig > 0 else PASS, round(ov_sig, 2), tol_a,
             "m²", ov_msg or "分块之间无重叠(测量误差范围内)")
    outside = {no: significant_area(shapely.difference(g, s.pgeom), tol_a, tol_w) for no, g in zip(s.nos, s.parts)}
    out_sig = sum(outside.values())
    rows.add(s.pid, "分块位于宗地内", "TT-SPLIT", s.clause, FAIL if out_sig > 0 else PASS, round(out_sig, 2), tol_a,
             "m²", ";".join(f"方案 {s.pid} 分块 {no} 有 {_fmt(a)} m² 位于宗地 {s.parcel_id} 之外"
                            for no, a in outside.items() if a > 0) or "各分块均在宗地范围内")
    return outside


def _check_count_and_area(rows: ConditionRows, s: _Split) -> np.ndarray:
    """分割数量 and 每宗面积 (at the cadastral precision); returns each part's area_ok."""
    rule, n = s.rule, s.n
    ire = parse_yes_no(s.prow.get("industrial_real_estate")) is True
    if n < 2:
        rows.add(s.pid, "分割数量", "TT-SPLIT", s.clause, FAIL, n, rule.max_parts, "宗", f"只有 {n} 宗,不构成分割")
    elif ire and rule.real_estate_exempt:
        rows.add(s.pid, "分割数量", "TT-SPLIT", s.clause, PASS, n, rule.max_parts, "宗",
                 f"分割为 {n} 宗;工业地产不受 {rule.max_parts} 宗限制")
    else:
        rows.add(s.pid, "分割数量", "TT-SPLIT", s.clause, FAIL if n > rule.max_parts else PASS, n, rule.max_parts,
                 "宗", f"分割为 {n} 宗,不超过 {rule.max_parts} 宗" if n <= rule.max_parts
                 else f"分割为 {n} 宗,超过 {rule.max_parts} 宗(非工业地产)")
    areas_mu = np.round(units.m2_to_mu(shapely.area(s.parts)), units.MU_DECIMALS)
    area_ok = areas_mu >= rule.min_part_mu
    small = [f"分块 {no} 为 {a:.4f} 亩" for no, a, ok in zip(s.nos, areas_mu, area_ok) if not ok]
    rows.add(s.pid, "每宗面积", "TT-SPLIT", s.clause, PASS if area_ok.all() else FAIL, float(areas_mu.min()),
             rule.min_part_mu, "亩",
             (";".join(small) + f",小于 {rule.min_part_mu:g} 亩") if small
             else f"最小分块 {float(areas_mu.min()):.4f} 亩,不少于 {rule.min_part_mu:g} 亩")
    return np.asarray(area_ok, dtype=bool)


def _check_cuts(rows: ConditionRows, s: _Split, bl: gpd.GeoDataFrame, bids: list[str], reach: np.ndarray,
                out_area: np.ndarray) -> list[str]:
    """以幢为最小分割单位: no building reaches over a part line beyond the tolerance. Returns the cut ids."""
    tol = s.rule.building_tolerance_m
    cut = reach > tol
    if not len(bl):
        rows.add(s.pid, "以幢为最小分割单位", "TT-SPLIT", s.clause, PASS, 0.0, tol, "m", "宗地内无建筑物")
        return []
    worst = float(np.max(np.where(np.isfinite(reach), reach, -1))) if np.isfinite(reach).any() else np.nan
    msg = (";".join(f"建筑 {bids[i]} 被分割线切断(越过分割线 "
                    + (f"{reach[i]:.2f} m, " if np.isfinite(reach[i]) else "")
                    + f"{out_area[i]:.2f} m² 不在其主体所在分块)" for i in np.flatnonzero(cut))
           or f"{len(bl)} 幢建筑均未被切断(最大越线 {worst:.2f} m,容差 {tol:g} m)")
    value = float(reach.max()) if np.isfinite(reach).all() else np.nan
    rows.add(s.pid, "以幢为最小分割单位", "TT-SPLIT", s.clause, FAIL if cut.any() else PASS,
             round(value, 3) if np.isfinite(value) else np.nan, tol, "m", msg)
    return [bids[i] for i in np.flatnonzero(cut)]


def _check_admin(rows: ConditionRows, s: _Split, bl: gpd.GeoDataFrame, main: np.ndarray) -> np.ndarray:
    """行政办公及生活服务用地: no part holds only admin/living buildings. Returns each part's admin_only."""
    admin_only = np.zeros(s.n, bool)
    if "use" not in bl.columns:
        rows.add(s.pid, "行政办公及生活服务用地", "TT-SPLIT", s.clause, MISSING_DATA, unit="宗", threshold=0,
                 message="建筑物图层无 use(用途)字段,无法核查")
        return admin_only
    uses = [clean_text(u) for u in bl["use"]]
    admin_set = set(s.rule.admin_uses)
    for k in range(s.n):
        members = [uses[i] for i in range(len(bl)) if main[i] == k]
        admin_only[k] = bool(members) and all(u in admin_set for u in members)
    if admin_only.any():
        msg = "、".join(f"分块 {s.nos[k]}" for k in np.flatnonzero(admin_only)) + \
            " 只含行政办公/生活服务建筑,配套用地不得与整宗地分割转让"
    else:
        msg = "行政办公及生活服务建筑未被单独分出" if any(u in admin_set for u in uses) else "宗地内无行政办公/生活服务建筑"
    rows.add(s.pid, "行政办公及生活服务用地", "TT-SPLIT", s.clause, FAIL if admin_only.any() else PASS,
             int(admin_only.sum()), 0, "宗", msg)
    return admin_only


def _check_buildings(rows: ConditionRows, s: _Split, index: BuildingIndex | None
                     ) -> tuple[list[list[str]], np.ndarray, list[str]]:
    """The building conditions; returns the buildings of each part, admin_only and the cut buildings."""
    part_buildings: list[list[str]] = [[] for _ in range(s.n)]
    if index is None:
        rows.add(s.pid, "以幢为最小分割单位", "TT-SPLIT", s.clause, MISSING_DATA, unit="m",
                 threshold=s.rule.building_tolerance_m, message="工作空间无建筑物图层(buildings),无法核查")
        rows.add(s.pid, "行政办公及生活服务用地", "TT-SPLIT", s.clause, MISSING_DATA, unit="宗", threshold=0,
                 message="工作空间无建筑物图层(buildings),无法核查")
        return part_buildings, np.zeros(s.n, bool), []
    bl = index.of(s.parcel_id, s.pgeom)
    bids = ([(clean_id(v) or f"第{i + 1}幢") for i, v in enumerate(bl["building_id"])]
            if "building_id" in bl.columns else [f"第{i + 1}幢" for i in range(len(bl))])
    main, reach, out_area = building_cuts(bl, s.pgeom, s.parts)
    for i, k in enumerate(main):
        if k >= 0:
            part_buildings[k].append(bids[i])
    cut_ids = _check_cuts(rows, s, bl, bids, reach, out_area)
    return part_buildings, _check_admin(rows, s, bl, main), cut_ids


def _check_history(rows: ConditionRows, s: _Split, columns: pd.Index, merge_rule: Any) -> None:
    """已竣工投产 (停产 is 提示), 不得二次分割, 合并后不得分割."""
    rule, pid, clause = s.rule, s.pid, s.clause
    status = clean_text(s.prow.get("status")) if "status" in columns else None
    if status is None:
        rows.add(pid, "已竣工投产", "TT-SPLIT", clause, MISSING_DATA, message=f"宗地 {s.parcel_id} 无状态(status)",
                 limit=rule.completed_status)
    elif status == rule.completed_status:
        rows.add(pid, "已竣工投产", "TT-SPLIT", clause, PASS, limit=rule.completed_status, message=f"宗地状态为{status}")
    elif status in tuple(getattr(rule, "review_statuses", ())):
        rows.add(pid, "已竣工投产", "TT-SPLIT", clause, WARN, limit=rule.completed_status,
                 message=f"宗地状态为{status}: 曾{rule.completed_status}后{status},请核实是否仍符合分割条件(提示)")
    else:
        rows.add(pid, "已竣工投产", "TT-SPLIT", clause, FAIL, limit=rule.completed_status,
                 message=f"宗地状态为{status},拟分割地块应{rule.completed_status}")
    if "split_from" not in columns:
        rows.add(pid, "不得二次分割", "TT-SPLIT", clause, MISSING_DATA, message="宗地图层无 split_from 字段")
    else:
        src = clean_text(s.prow.get("split_from"))
        rows.add(pid, "不得二次分割", "TT-SPLIT", clause, FAIL if src else PASS, limit="非分割所得",
                 message=f"宗地由 {src} 分割而来,工业用地不得二次分割转让" if src else "宗地非分割所得")
    m_clause = merge_rule.clause if merge_rule is not None else clause
    if "merged_from" not in columns:
        rows.add(pid, "合并后不得分割", "TT-MERGE", m_clause, MISSING_DATA, message="宗地图层无 merged_from 字段")
    else:
        src = clean_text(s.prow.get("merged_from"))
        rows.add(pid, "合并后不得分割", "TT-MERGE", m_clause, FAIL if src else PASS, limit="非合并所得",
                 message=f"宗地由 {src} 合并而来,合并转让后产权不得分割" if src else "宗地非合并所得")


# ----------------------------------------------------------------------------------------------
# the proposals
# ----------------------------------------------------------------------------------------------

class _Parts:
    """The rows of the ``split_checks`` layer, one per part."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, base: dict, geoms: list, nos: list, buyers: list, extra: dict | None = None) -> None:
        for j, (g, no, b) in enumerate(zip(geoms, nos, buyers)):
            area = float(shapely.area(g)) if g is not None else np.nan
            r = {**base, "part_no": no, "buyer_uscc": b, "area_m2": round(area, 2),
                 "area_mu": round(units.m2_to_mu(area), units.MU_DECIMALS), "geometry": g}
            if extra:
                r.update({k: v[j] for k, v in extra.items()})
            self.rows.append(r)

    def layer(self, rows: ConditionRows, crs: Any) -> gpd.GeoDataFrame:
        """The ``split_checks`` layer with verdicts and typed columns."""
        layer = pd.DataFrame(self.rows)
        for c in [*SPLIT_CHECK_COLUMNS, "geometry"]:
            if c not in layer.columns:
                layer[c] = None
        verdicts, failed, messages = rows.verdicts()
        layer["verdict"] = layer["proposal_id"].map(verdicts)
        layer["failed"] = layer["proposal_id"].map(failed)
        layer["message"] = layer["proposal_id"].map(messages)
        layer["part_status"] = layer["part_status"].fillna(layer["verdict"])
        nos = pd.to_numeric(layer["part_no"], errors="coerce")
        whole = nos.notna() == layer["part_no"].notna()
        whole = whole.all() and bool((nos.dropna() % 1 == 0).all())
        layer["part_no"] = nos.astype("Int64") if whole else layer["part_no"].astype("string")
        for c in ("area_ok", "admin_only"):
            layer[c] = layer[c].astype("boolean")
        for c in ("proposal_id", "parcel_id", "buyer_uscc", "buildings", "cut_buildings", "buyer_class", "part_status",
                  "verdict", "failed", "message"):
            layer[c] = layer[c].astype("string")
        geoms = [g if g is not None else shapely.Polygon() for g in layer["geometry"]]
        return gpd.GeoDataFrame(layer[SPLIT_CHECK_COLUMNS], geometry=geoms, crs=crs)


def _locate(rows: ConditionRows, pid: str, parcel_ids: list[str], parcels: gpd.GeoDataFrame,
            pindex: dict[str, int], clause: str) -> tuple[pd.Series, Any] | None:
    """The proposal's parcel row and polygon, or ``None`` after a 宗地 finding saying why not."""
    if len(parcel_ids) != 1 or parcel_ids[0] not in pindex:
        if not parcel_ids:
            msg = f"方案 {pid} 未填宗地代码,无法核查"
        elif len(parcel_ids) > 1:
            msg = f"方案 {pid} 的分块分属多个宗地({'、'.join(parcel_ids)}),一个分割方案只能分割一宗地"
        else:
            msg = f"方案 {pid} 所涉宗地 {parcel_ids[0]} 不在宗地图层中,无法核查"
        rows.add(pid, "宗地", "TT-SPLIT", clause, FAIL, message=msg)
        return None
    pos = pindex[parcel_ids[0]]
    pgeom = polygonal(parcels.geometry.iloc[pos])
    if pgeom is None:
        rows.add(pid, "宗地", "TT-SPLIT", clause, MISSING_DATA,
                 message=f"宗地 {parcel_ids[0]} 在宗地图层中没有面状图形,无法核查方案 {pid}")
        return None
    return parcels.iloc[pos], pgeom


def _check_one(rows: ConditionRows, parts_out: _Parts, pid: str, group: pd.DataFrame, parcels: gpd.GeoDataFrame,
               pindex: dict[str, int], ctx: dict) -> None:
    """Every condition of one split proposal, and its rows of the ``split_checks`` layer."""
    rule = ctx["rule"]
    parcel_ids = sorted({p for p in map(clean_id, group["parcel_id"]) if p})
    buyers = list(dict.fromkeys(b for b in map(clean_id, group["buyer_uscc"]) if b))
    geoms = list(group.geometry)
    base = {"proposal_id": pid, "parcel_id": join_ids(parcel_ids) or None}
    raw_nos = [(clean_id(n) or str(i + 1)) for i, n in enumerate(group["part_no"])]
    raw_buyers = [clean_id(b) for b in group["buyer_uscc"]]
    if rule is None:
        rows.add(pid, "分割转让", "TT-SPLIT", "", NOT_APPLICABLE, message=NA_MESSAGE)
        check_buyers(rows, pid, [], None, ctx["eval_info"])
        parts_out.add(base, list(polygonal_array(geoms)), raw_nos, raw_buyers)
        return
    found = _locate(rows, pid, parcel_ids, parcels, pindex, rule.clause)
    if found is None:
        parts_out.add(base, list(polygonal_array(geoms)), raw_nos, raw_buyers)
        return
    prow, pgeom = found
    if is_lines(geoms):  # cut lines across the parcel: its faces are the parts
        parts = parts_from_cut_lines(pgeom, geoms)
        nos = [str(i + 1) for i in range(len(parts))]
        part_buyers = [buyers[0] if len(buyers) == 1 else None] * len(parts)
    else:
        parts, nos, part_buyers = list(polygonal_array(geoms)), raw_nos, raw_buyers
    empty = [no for no, g in zip(nos, parts) if g is None]
    keep = [i for i, g in enumerate(parts) if g is not None]
    rows.add(pid, "宗地", "TT-SPLIT", rule.clause, FAIL if empty else PASS,
             message=f"方案 {pid} 的分块 {'、'.join(empty)} 没有面状图形" if empty else f"宗地 {parcel_ids[0]}")
    if not keep:
        parts_out.add(base, parts, nos, part_buyers)
        return
    s = _Split(pid, parcel_ids[0], prow, pgeom, rule, np.array([parts[i] for i in keep], dtype=object),
               [nos[i] for i in keep])
    outside = _check_cover(rows, s)
    area_ok = _check_count_and_area(rows, s)
    part_buildings, admin_only, cut_ids = _check_buildings(rows, s, ctx["buildings"])
    _check_history(rows, s, parcels.columns, ctx["merge_rule"])
    owner = clean_id(prow.get("owner_uscc")) if "owner_uscc" in parcels.columns else None
    classes = check_buyers(rows, pid, buyers, ctx["transfer"], ctx["eval_info"], (owner,) if owner else ())
    std = prow.get("standard_land") if "standard_land" in parcels.columns else None
    check_standard_land(rows, pid, [None if std is None else parse_yes_no(std) is True], [s.parcel_id],
                        ctx["transfer"], "各分块")
    part_status = np.where(area_ok & ~admin_only, PASS, FAIL)
    part_status = np.where([outside.get(no, 0) > 0 for no in s.nos], FAIL, part_status)
    kbuyers = [part_buyers[i] for i in keep]
    parts_out.add(base, list(s.parts), s.nos, kbuyers, {
        "area_ok": list(area_ok), "admin_only": list(admin_only),
        "buildings": [";".join(b) or None for b in part_buildings],
        "cut_buildings": [";".join(cut_ids) or None] * s.n,
        "buyer_class": [classes.get(b) if b else None for b in kbuyers],
        "part_status": list(part_status)})
    for i in (i for i, g in enumerate(parts) if g is None):
        parts_out.add(base, [None], [nos[i]], [part_buyers[i]], {"part_status": [FAIL]})


def check_split(parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame | None, proposals: gpd.GeoDataFrame | None,
                ruleset: Any, eval_table: pd.DataFrame | None = None, eval_year: int | None = None,
                as_of: dt.date | None = None) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Check split proposals against TT-SPLIT, TT-MERGE (no split after a merge) and TT-TRANSFER.

    Parameters
    ----------
    parcels : GeoDataFrame
        The parcels (``parcel_id``, ``status``, ``split_from``, ``merged_from``,
        ``industrial_real_estate``, ``standard_land``, ``owner_uscc``) in a planar CRS (metres).
    buildings : GeoDataFrame or None
        Buildings (``building_id``, ``parcel_id``, ``use``) in the same CRS; ``None`` makes the
        building conditions ``missing_data``.
    proposals : GeoDataFrame or None
        Split proposals: ``proposal_id``, ``parcel_id``, ``part_no``, ``buyer_uscc`` and one polygon
        per part; or, per proposal, cut lines across the parcel (see
        :func:`~geo_tenglong.analysis.cut_lines.parts_from_cut_lines`).
    ruleset : Ruleset
        Reads ``TT-SPLIT``, ``TT-MERGE`` and ``TT-TRANSFER``; where absent, ``not_applicable``.
    eval_table : DataFrame, optional
        The efficiency stage's ``enterprise_eval`` (``uscc, year, eval_class, class_name``); the
        buyer's class is read in ``eval_year``. ``None`` makes the buyer condition
        ``missing_data``.
    eval_year : int, optional
        上一年度: the efficiency stage's evaluation year (the year before the as-of date).
    as_of : date, optional
        Without ``eval_year``, 上一年度 is ``as_of.year − 1``; without either, the latest year of
        ``eval_table``.

    Returns
    -------
    (DataFrame, GeoDataFrame)
        Findings (columns :data:`geo_tenglong.findings.COLUMNS` plus ``condition``, the Chinese
        name of the condition, and ``limit``, the limit as text; one per condition and proposal,
        feature id = ``proposal_id``) and the ``split_checks`` layer (one row per part, columns
        :data:`SPLIT_CHECK_COLUMNS`).

    Examples
    --------
    >>> findings, parts = check_split(ws.parcels, ws.layer("buildings"),
    ...                               ws.layer("split_proposals"), ws.ruleset)  # doctest: +SKIP
    """
    rows, parts_out = ConditionRows(), _Parts()
    crs = parcels.crs
    if proposals is None or not len(proposals):
        return rows.findings(), gpd.GeoDataFrame({c: [] for c in SPLIT_CHECK_COLUMNS}, geometry=[], crs=crs)
    if eval_year is None and as_of is not None:
        eval_year = as_of.year - 1  # 上一年度
    rule = ruleset.get("TT-SPLIT")
    ctx = {"rule": rule, "merge_rule": ruleset.get("TT-MERGE"), "transfer": ruleset.get("TT-TRANSFER"),
           "eval_info": latest_classes(eval_table, eval_year),
           "buildings": BuildingIndex(buildings) if buildings is not None and rule is not None else None}
    props = proposals.copy()
    if crs is not None and props.crs is not None and not props.crs.equals(crs):
        props = props.to_crs(crs)
    for col in ("proposal_id", "parcel_id", "buyer_uscc", "part_no"):
        if col not in props.columns:
            props[col] = None
    props["proposal_id"] = [(clean_id(v) or f"(无编号, 第{i + 1}个要素)") for i, v in enumerate(props["proposal_id"])]
    parcels, pindex = named_parcels(parcels, (clean_id(v) for v in props["parcel_id"]))
    for pid, group in props.groupby("proposal_id", sort=False):
        _check_one(rows, parts_out, str(pid), group, parcels, pindex, ctx)
    return rows.findings(), parts_out.layer(rows, crs)
