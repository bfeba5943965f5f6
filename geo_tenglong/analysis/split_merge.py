"""Check split and merge proposals for industrial land against 天台 四(八) (TT-SPLIT, TT-MERGE, TT-TRANSFER).

A split proposal (``split_proposals``: ``proposal_id, parcel_id, part_no, buyer_uscc``, one polygon
per part — or cut lines across the parcel, turned into parts by :func:`parts_from_cut_lines`) is
checked condition by condition:

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
已竣工投产              TT-SPLIT     the parcel's status is not the completed status
不得二次分割            TT-SPLIT     the parcel itself came from a split (``split_from``)
合并后不得分割          TT-MERGE     the parcel is the result of a merge (``merged_from``)
受让方亩均评价          TT-TRANSFER  a buyer was class C or D in the latest 亩均评价 year
标准地指标继承          TT-TRANSFER  (a note, ``warn``) the parcel is 标准地: every part inherits it
======================  ===========  ==========================================================

A merge proposal (``merge_proposals``: ``proposal_id, parcel_ids`` ``;``-joined, ``buyer_uscc``):
宗地 (all known, at least two), 界线相邻 (every parcel shares boundary with the rest, and they form
one connected piece; corner contact is not adjacency), 权属性质一致, 使用权类型一致, 剩余年限统一
(the merged term ends at the earliest ``term_end``), 合并后不得分割 (a note), 受让方亩均评价,
标准地指标继承.

Every condition is one finding (feature id = ``proposal_id``). Under a ruleset without the rule
(德清) every proposal gets ``not_applicable`` findings. A proposal that cannot be checked (unknown
parcel) gets a ``fail`` finding naming it and the others are still checked.
"""

from __future__ import annotations

import datetime as dt
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import units
from ..findings import FAIL, MISSING_DATA, NOT_APPLICABLE, PASS, WARN, make_findings
from ..stage import StageResult

#: Columns of the ``split_checks`` layer (one row per part, plus geometry).
SPLIT_CHECK_COLUMNS = ["proposal_id", "parcel_id", "part_no", "buyer_uscc", "area_m2", "area_mu", "area_ok",
                       "buildings", "cut_buildings", "admin_only", "buyer_class", "part_status", "verdict", "failed",
                       "message"]
#: Columns of the ``merge_checks`` table (one row per proposal).
MERGE_CHECK_COLUMNS = ["proposal_id", "parcel_ids", "buyer_uscc", "n_parcels", "area_m2", "area_mu",
                       "shared_length_m", "adjacent", "rights_nature", "rights_type", "same_rights",
                       "unified_term_end", "splittable", "buyer_class", "verdict", "failed", "message"]

NA_MESSAGE = "本县规则集无此条款"
#: ``rights_type`` of allocated land (划拨), which has no term.
ALLOCATED = "划拨"
_LINES = {"LineString", "MultiLineString", "LinearRing"}
_SEPARATORS = re.compile(r"[;；,，、\s]+")
#: How a measured value must compare with the threshold, per condition (for the ``limit`` text).
CONDITION_OPS = {"分块覆盖宗地": "≤", "分块互不重叠": "≤", "分块位于宗地内": "≤", "分割数量": "≤", "每宗面积": "≥",
                 "以幢为最小分割单位": "≤", "行政办公及生活服务用地": "=", "宗地": "≥", "界线相邻": "≥",
                 "权属性质一致": "=", "使用权类型一致": "="}


# ----------------------------------------------------------------------------------------------
# small helpers
# ----------------------------------------------------------------------------------------------

def _text(value) -> str | None:
    """A stripped string, or ``None`` for blanks, NaN and NA."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float):
        if np.isnan(value):
            return None
        if value.is_integer():
            value = int(value)
    text = str(value).strip()
    return text or None


def _truthy(value) -> bool:
    if value is None or value is pd.NA:
        return False
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return not np.isnan(value) and bool(value)
    return str(value).strip().lower() in {"是", "true", "t", "yes", "y", "1", "有", "√"}


def _date(value) -> dt.date | None:
    if _text(value) is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        return None
    return None if pd.isna(ts) else ts.date()


def _polygonal(geom):
    """The polygonal part of ``geom`` (``None`` for empty or missing)."""
    if geom is None or shapely.is_missing(geom) or geom.is_empty:
        return None
    if geom.geom_type in {"Polygon", "MultiPolygon"}:
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in {"Polygon", "MultiPolygon"}]
    return shapely.union_all(parts) if parts else None


def _significant_area(geom, area_tol: float, width_tol: float) -> float:
    """Area (m²) of the pieces of ``geom`` that are more than survey noise.

    A piece is noise when its area is at most ``area_tol`` or it vanishes under an inward buffer of
    half ``width_tol`` (a sliver, however long).
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


def _verdict(statuses) -> str:
    statuses = set(statuses)
    if FAIL in statuses:
        return FAIL
    if MISSING_DATA in statuses:
        return MISSING_DATA
    if statuses & {PASS, WARN}:
        return PASS
    return NOT_APPLICABLE


def _fmt(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}"


class _Rows:
    """Collects condition rows and turns them into findings in one vectorised call."""

    def __init__(self):
        self.rows: list[dict] = []

    def add(self, proposal_id, condition, rule_id, clause, status, value=np.nan, threshold=np.nan, unit="",
            message="", limit=None):
        if limit is None:
            limit = "" if threshold is None or np.isnan(threshold) else \
                f"{CONDITION_OPS.get(condition, '')}{threshold:g} {unit}".strip()
        self.rows.append({"proposal_id": proposal_id, "condition": condition, "rule_id": rule_id, "clause": clause,
                          "status": status, "value": value, "threshold": threshold, "unit": unit, "limit": limit,
                          "message": f"{condition}: {message}" if message else condition})

    def verdicts(self) -> tuple[dict[str, str], dict[str, str | None], dict[str, str]]:
        """Per proposal: the verdict, the failed or missing conditions joined with 、, and a message
        (the messages of those conditions and of the notes, or 各项条件均符合)."""
        statuses: dict[str, set] = {}
        failed: dict[str, list] = {}
        notes: dict[str, list] = {}
        for r in self.rows:
            p = r["proposal_id"]
            statuses.setdefault(p, set()).add(r["status"])
            if r["status"] in (FAIL, MISSING_DATA):
                failed.setdefault(p, []).append(r["condition"])
            if r["status"] in (FAIL, MISSING_DATA, WARN):
                notes.setdefault(p, []).append(r["message"])
        verdicts = {p: _verdict(s) for p, s in statuses.items()}
        messages = {p: ";".join(notes.get(p, [])) or ("各项条件均符合" if verdicts[p] == PASS else NA_MESSAGE)
                    for p in statuses}
        return verdicts, {p: "、".join(failed[p]) if p in failed else None for p in statuses}, messages

    def findings(self) -> pd.DataFrame:
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

def latest_classes(eval_table: pd.DataFrame | None, year: int | None = None
                   ) -> tuple[int | None, dict[str, tuple[str | None, str | None]]]:
    """The 亩均评价 class of every enterprise in the evaluation year ``year`` of ``eval_table``.

    "上一年度亩均评价" is the year before the as-of date (issue 14), the efficiency stage's
    ``eval_year``: next year's rows already in the table do not move it. Without ``year`` the
    latest year of the table is taken (callers that know the as-of date pass it).

    Parameters
    ----------
    eval_table : DataFrame or None
        The ``enterprise_eval`` table of the efficiency stage (``uscc, year, eval_class,
        class_name``).

    Returns
    -------
    (int or None, dict)
        The latest year present and ``uscc → (eval_class, class_name)`` for that year; ``(None,
        {})`` when there is no table or no usable year.
    """
    if eval_table is None or not len(eval_table) or not {"uscc", "year", "eval_class"} <= set(eval_table.columns):
        return None, {}
    years = pd.to_numeric(eval_table["year"], errors="coerce")
    if years.notna().sum() == 0:
        return None, {}
    latest = int(year) if year is not None else int(years.max())
    rows = eval_table[years == latest]
    names = rows["class_name"] if "class_name" in rows.columns else pd.Series([None] * len(rows), index=rows.index)
    lookup = {}
    for uscc, cls, name in zip(rows["uscc"], rows["eval_class"], names):
        key = _text(uscc)
        if key:
            lookup[key.upper()] = (_text(cls), _text(name))
    return latest, lookup


def _check_buyers(rows: _Rows, pid, buyers: list[str], transfer, eval_info,
                  keepers: tuple[str, ...] = ()) -> dict[str, str | None]:
    """One 受让方亩均评价 finding for a proposal; returns buyer → class.

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
        cls, name = lookup.get(b.upper(), (None, None))
        classes[b] = cls
        if b.upper() not in lookup:
            statuses.append(MISSING_DATA)
            notes.append(f"受让方 {b} 未列入 {year} 年度亩均评价")
        elif cls is None:
            statuses.append(MISSING_DATA)
            notes.append(f"受让方 {b} 在 {year} 年度亩均评价中无分类")
        elif cls.upper() in {c.upper() for c in barred}:
            statuses.append(FAIL)
            notes.append(f"受让方 {b} 为 {year} 年度 {cls} 类({name or ''}),不得受让分割合并的工业用地")
        else:
            statuses.append(PASS)
            notes.append(f"受让方 {b} 为 {year} 年度 {cls} 类({name or ''})")
    if kept:
        notes.append(f"{'、'.join(kept)} 为原权利人,所留分块不涉及转让")
    rows.add(pid, cond, "TT-TRANSFER", transfer.clause, _verdict(statuses), limit=limit,
             message=";".join(notes) + "(能耗、环保、质量、安全等要求另行核实)")
    return classes


def _check_standard_land(rows: _Rows, pid, flags: list, parcel_ids: list[str], transfer, what: str) -> None:
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


# ----------------------------------------------------------------------------------------------
# split lines → parts
# ----------------------------------------------------------------------------------------------

def parts_from_cut_lines(parcel, lines, extend_m: float = 0.5) -> list:
    """Cut a parcel polygon into parts along split lines.

    Parameters
    ----------
    parcel : shapely Polygon or MultiPolygon
        The parcel.
    lines : iterable of shapely LineString / MultiLineString
        The cut lines, drawn across the parcel. Each line's ends are extended by ``extend_m`` so a
        line digitised a little short of the boundary still cuts; overshoot does no harm.
    extend_m : float
        How far to extend each end (m).

    Returns
    -------
    list of shapely Polygon
        The faces of the parcel cut by the lines, ordered west to east (then south to north) by
        their representative point. A line that does not cross the parcel from edge to edge (or
        to another line) cuts nothing.

    Examples
    --------
    >>> from shapely import box, LineString
    >>> parts = parts_from_cut_lines(box(0, 0, 100, 100), [LineString([(50, 0), (50, 100)])])
    >>> [round(p.area) for p in parts]
    [5000, 5000]
    """
    segments = []
    for line in lines:
        if line is None or line.is_empty:
            continue
        for part in shapely.get_parts(line):
            if part.geom_type == "LinearRing":
                part = shapely.LineString(part.coords)
            coords = np.asarray(part.coords, dtype=float)[:, :2]
            if len(coords) < 2:
                continue
            if extend_m > 0:
                for end, nxt in ((0, 1), (-1, -2)):
                    d = coords[end] - coords[nxt]
                    norm = np.hypot(*d)
                    if norm > 0:
                        coords[end] = coords[end] + d / norm * extend_m
            segments.append(shapely.LineString(coords))
    boundary = shapely.boundary(parcel)
    noded = shapely.union_all([boundary, *segments])
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    if not len(faces):
        return [parcel]
    points = shapely.point_on_surface(faces)
    keep = shapely.contains(parcel, points)
    faces, points = faces[keep], points[keep]
    order = np.lexsort((np.round(shapely.get_y(points), 3), np.round(shapely.get_x(points), 3)))
    return list(faces[order])


def _is_lines(geoms) -> bool:
    types = {g.geom_type for g in geoms if g is not None and not g.is_empty}
    return bool(types) and types <= _LINES


# ----------------------------------------------------------------------------------------------
# split
# ----------------------------------------------------------------------------------------------

class _BuildingIndex:
    """Finds the buildings of a parcel: by ``parcel_id``, or by location where that is empty.

    Built once per run (a dict of row positions by parcel id and an STRtree of the unassigned
    buildings), so each proposal costs a lookup, not a pass over every building.
    """

    def __init__(self, buildings: gpd.GeoDataFrame):
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

    def of(self, parcel_id: str, parcel_geom) -> gpd.GeoDataFrame:
        rows = list(self.by_id.get(parcel_id, []))
        if self.tree is not None:
            hits = self.tree.query(parcel_geom, predicate="contains")
            rows.extend(self.loose[hits].tolist())
        return self.buildings.iloc[sorted(rows)]


def _building_cuts(bldgs: gpd.GeoDataFrame, parcel_geom, parts: np.ndarray):
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
            main[i] = -1
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


def check_split(parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame | None, proposals: gpd.GeoDataFrame | None,
                ruleset, eval_table: pd.DataFrame | None = None, eval_year: int | None = None
                ) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Check split proposals against TT-SPLIT, TT-MERGE (no split after a merge) and TT-TRANSFER.

    Parameters
    ----------
    parcels : GeoDataFrame
        The parcels (``parcel_id``, ``status``, ``split_from``, ``merged_from``,
        ``industrial_real_estate``, ``standard_land``) in a planar CRS (metres).
    buildings : GeoDataFrame or None
        Buildings (``building_id``, ``parcel_id``, ``use``) in the same CRS; ``None`` makes the
        building conditions ``missing_data``.
    proposals : GeoDataFrame or None
        Split proposals: ``proposal_id``, ``parcel_id``, ``part_no``, ``buyer_uscc`` and one polygon
        per part; or, per proposal, cut lines across the parcel (see :func:`parts_from_cut_lines`).
    ruleset : Ruleset
        Reads ``TT-SPLIT``, ``TT-MERGE`` and ``TT-TRANSFER``; where absent, ``not_applicable``.
    eval_table : DataFrame, optional
        The efficiency stage's ``enterprise_eval`` (``uscc, year, eval_class, class_name``); the
        buyer's class is read in ``eval_year``. ``None`` makes the buyer condition
        ``missing_data``.
    eval_year : int, optional
        上一年度: the efficiency stage's evaluation year (the year before the as-of date); without
        it, the latest year of ``eval_table``.

    Returns
    -------
    (DataFrame, GeoDataFrame)
        Findings (columns :data:`geo_tenglong.findings.COLUMNS` plus ``condition``, the Chinese
        name of the condition, and ``limit``, the limit as text; one per condition and proposal,
        feature id = ``proposal_id``) and
        the ``split_checks`` layer (one row per part, columns :data:`SPLIT_CHECK_COLUMNS`).

    Examples
    --------
    >>> findings, parts = check_split(ws.parcels, ws.layer("buildings"),
    ...                               ws.layer("split_proposals"), ws.ruleset)  # doctest: +SKIP
    """
    rows = _Rows()
    crs = parcels.crs
    if proposals is None or not len(proposals):
        return rows.findings(), gpd.GeoDataFrame({c: [] for c in SPLIT_CHECK_COLUMNS}, geometry=[], crs=crs)
    rule = ruleset.get("TT-SPLIT")
    merge_rule = ruleset.get("TT-MERGE")
    transfer = ruleset.get("TT-TRANSFER")
    eval_info = latest_classes(eval_table, eval_year)
    props = proposals.copy()
    if crs is not None and props.crs is not None and not props.crs.equals(crs):
        props = props.to_crs(crs)
    for col in ("proposal_id", "parcel_id", "buyer_uscc", "part_no"):
        if col not in props.columns:
            props[col] = None
    pids = [(_text(v) or f"(无编号, 第{i + 1}个要素)") for i, v in enumerate(props["proposal_id"])]
    props["proposal_id"] = pids
    pindex = {pid: i for i, pid in enumerate(parcels["parcel_id"].astype("string")) if pid is not pd.NA}
    pgeoms = parcels.geometry.to_numpy()
    part_rows: list[dict] = []
    building_index = _BuildingIndex(buildings) if buildings is not None and rule is not None else None

    for prop_id, group in props.groupby("proposal_id", sort=False):
        parcel_ids = sorted({p for p in map(_text, group["parcel_id"]) if p})
        buyers = list(dict.fromkeys(b for b in map(_text, group["buyer_uscc"]) if b))
        geoms = list(group.geometry)
        base = {"proposal_id": prop_id, "parcel_id": ";".join(parcel_ids) or None}

        def add_parts(part_geoms, part_nos, part_buyers, extra=None):
            for j, (g, no, b) in enumerate(zip(part_geoms, part_nos, part_buyers)):
                area = float(shapely.area(g)) if g is not None else np.nan
                r = {**base, "part_no": no, "buyer_uscc": b, "area_m2": round(area, 2),
                     "area_mu": round(units.m2_to_mu(area), units.MU_DECIMALS), "geometry": g}
                if extra:
                    r.update({k: v[j] for k, v in extra.items()})
                part_rows.append(r)

        raw_nos = [(_text(n) or str(i + 1)) for i, n in enumerate(group["part_no"])]
        raw_buyers = [_text(b) for b in group["buyer_uscc"]]
        if rule is None:
            rows.add(prop_id, "分割转让", "TT-SPLIT", "", NOT_APPLICABLE, message=NA_MESSAGE)
            _check_buyers(rows, prop_id, [], None, eval_info)
            add_parts([_polygonal(g) for g in geoms], raw_nos, raw_buyers)
            continue
        clause = rule.clause
        if len(parcel_ids) != 1 or parcel_ids[0] not in pindex:
            if not parcel_ids:
                msg = f"方案 {prop_id} 未填宗地代码,无法核查"
            elif len(parcel_ids) > 1:
                msg = f"方案 {prop_id} 的分块分属多个宗地({'、'.join(parcel_ids)}),一个分割方案只能分割一宗地"
            else:
                msg = f"方案 {prop_id} 所涉宗地 {parcel_ids[0]} 不在宗地图层中,无法核查"
            rows.add(prop_id, "宗地", "TT-SPLIT", clause, FAIL, message=msg)
            add_parts([_polygonal(g) for g in geoms], raw_nos, raw_buyers)
            continue
        parcel_id = parcel_ids[0]
        prow = parcels.iloc[pindex[parcel_id]]
        pgeom = _polygonal(pgeoms[pindex[parcel_id]])
        if pgeom is None:
            rows.add(prop_id, "宗地", "TT-SPLIT", clause, MISSING_DATA,
                     message=f"宗地 {parcel_id} 在宗地图层中没有面状图形,无法核查方案 {prop_id}")
            add_parts([_polygonal(g) for g in geoms], raw_nos, raw_buyers)
            continue

        # the parts: polygons as given, or faces of the parcel cut by lines
        if _is_lines(geoms):
            parts = parts_from_cut_lines(pgeom, geoms)
            nos = [str(i + 1) for i in range(len(parts))]
            part_buyers = [buyers[0] if len(buyers) == 1 else None] * len(parts)
        else:
            parts = [_polygonal(g) for g in geoms]
            nos, part_buyers = raw_nos, raw_buyers
        empty = [no for no, g in zip(nos, parts) if g is None]
        keep = [i for i, g in enumerate(parts) if g is not None]
        if empty:
            rows.add(prop_id, "宗地", "TT-SPLIT", clause, FAIL,
                     message=f"方案 {prop_id} 的分块 {'、'.join(empty)} 没有面状图形")
        else:
            rows.add(prop_id, "宗地", "TT-SPLIT", clause, PASS, message=f"宗地 {parcel_id}")
        if not keep:
            add_parts(parts, nos, part_buyers)
            continue
        parts_arr = np.array([parts[i] for i in keep], dtype=object)
        knos = [nos[i] for i in keep]
        n = len(parts_arr)

        # 1. the parts cover the parcel: no gap, no overlap, nothing outside
        tol_a, tol_w = rule.coverage_tolerance_m2, rule.sliver_width_m
        union = shapely.union_all(parts_arr)
        gap = shapely.difference(pgeom, union)
        gap_sig = _significant_area(gap, tol_a, tol_w)
        raw_gap = float(shapely.area(gap))
        rows.add(prop_id, "分块覆盖宗地", "TT-SPLIT", clause, FAIL if gap_sig > 0 else PASS, round(gap_sig, 2), tol_a,
                 "m²", f"分块未覆盖宗地的缝隙 {_fmt(gap_sig)} m²" + (
                     f"(另有测量误差范围内的碎缝 {_fmt(raw_gap - gap_sig)} m²)" if raw_gap - gap_sig >= 0.005 else ""))
        overlaps = []
        for i in range(n):
            for j in range(i + 1, n):
                inter = _polygonal(shapely.intersection(parts_arr[i], parts_arr[j]))
                if inter is not None:
                    overlaps.append((knos[i], knos[j], _significant_area(inter, tol_a, tol_w)))
        ov_sig = sum(a for _, _, a in overlaps)
        ov_msg = ";".join(f"分块 {a} 与 {b} 重叠 {_fmt(x)} m²" for a, b, x in overlaps if x > 0)
        rows.add(prop_id, "分块互不重叠", "TT-SPLIT", clause, FAIL if ov_sig > 0 else PASS, round(ov_sig, 2), tol_a,
                 "m²", ov_msg or "分块之间无重叠(测量误差范围内)")
        outside = [(no, _significant_area(shapely.difference(g, pgeom), tol_a, tol_w)) for no, g in zip(knos, parts_arr)]
        out_sig = sum(a for _, a in outside)
        rows.add(prop_id, "分块位于宗地内", "TT-SPLIT", clause, FAIL if out_sig > 0 else PASS, round(out_sig, 2), tol_a,
                 "m²", ";".join(f"方案 {prop_id} 分块 {no} 有 {_fmt(a)} m² 位于宗地 {parcel_id} 之外"
                                for no, a in outside if a > 0) or "各分块均在宗地范围内")

        # 2. number of parts
        ire = _truthy(prow.get("industrial_real_estate"))
        if n < 2:
            rows.add(prop_id, "分割数量", "TT-SPLIT", clause, FAIL, n, rule.max_parts, "宗",
                     f"只有 {n} 宗,不构成分割")
        elif ire and rule.real_estate_exempt:
            rows.add(prop_id, "分割数量", "TT-SPLIT", clause, PASS, n, rule.max_parts, "宗",
                     f"分割为 {n} 宗;工业地产不受 {rule.max_parts} 宗限制")
        else:
            rows.add(prop_id, "分割数量", "TT-SPLIT", clause, FAIL if n > rule.max_parts else PASS, n, rule.max_parts,
                     "宗", f"分割为 {n} 宗,不超过 {rule.max_parts} 宗" if n <= rule.max_parts
                     else f"分割为 {n} 宗,超过 {rule.max_parts} 宗(非工业地产)")

        # 3. every part ≥ min 亩, at the cadastral precision
        areas_m2 = shapely.area(parts_arr)
        areas_mu = np.round(units.m2_to_mu(areas_m2), units.MU_DECIMALS)
        area_ok = areas_mu >= rule.min_part_mu
        small = [f"分块 {no} 为 {a:.4f} 亩" for no, a, ok in zip(knos, areas_mu, area_ok) if not ok]
        rows.add(prop_id, "每宗面积", "TT-SPLIT", clause, PASS if area_ok.all() else FAIL, float(areas_mu.min()),
                 rule.min_part_mu, "亩",
                 (";".join(small) + f",小于 {rule.min_part_mu:g} 亩") if small
                 else f"最小分块 {float(areas_mu.min()):.4f} 亩,不少于 {rule.min_part_mu:g} 亩")

        # 4. buildings: none cut; admin/living buildings not split off alone
        part_buildings = [[] for _ in range(n)]
        admin_only = np.zeros(n, bool)
        cut_ids: list[str] = []
        if buildings is None:
            rows.add(prop_id, "以幢为最小分割单位", "TT-SPLIT", clause, MISSING_DATA, unit="m",
                     threshold=rule.building_tolerance_m, message="工作空间无建筑物图层(buildings),无法核查")
            rows.add(prop_id, "行政办公及生活服务用地", "TT-SPLIT", clause, MISSING_DATA, unit="宗", threshold=0,
                     message="工作空间无建筑物图层(buildings),无法核查")
        else:
            bl = building_index.of(parcel_id, pgeom)
            bids = ([(_text(v) or f"第{i + 1}幢") for i, v in enumerate(bl["building_id"])]
                    if "building_id" in bl.columns else [f"第{i + 1}幢" for i in range(len(bl))])
            main, reach, out_area = _building_cuts(bl, pgeom, parts_arr)
            cut = reach > rule.building_tolerance_m
            for i, k in enumerate(main):
                if k >= 0:
                    part_buildings[k].append(bids[i])
            cut_ids = [bids[i] for i in np.flatnonzero(cut)]
            if not len(bl):
                rows.add(prop_id, "以幢为最小分割单位", "TT-SPLIT", clause, PASS, 0.0, rule.building_tolerance_m, "m",
                         "宗地内无建筑物")
            else:
                worst = float(np.max(np.where(np.isfinite(reach), reach, -1))) if np.isfinite(reach).any() else np.nan
                msg = (";".join(f"建筑 {bids[i]} 被分割线切断(越过分割线 "
                                + (f"{reach[i]:.2f} m, " if np.isfinite(reach[i]) else "")
                                + f"{out_area[i]:.2f} m² 不在其主体所在分块)" for i in np.flatnonzero(cut))
                       or f"{len(bl)} 幢建筑均未被切断(最大越线 {worst:.2f} m,容差 {rule.building_tolerance_m:g} m)")
                value = float(reach.max()) if np.isfinite(reach).all() else np.nan
                rows.add(prop_id, "以幢为最小分割单位", "TT-SPLIT", clause, FAIL if cut.any() else PASS,
                         round(value, 3) if np.isfinite(value) else np.nan, rule.building_tolerance_m, "m", msg)
            if "use" not in bl.columns:
                rows.add(prop_id, "行政办公及生活服务用地", "TT-SPLIT", clause, MISSING_DATA, unit="宗", threshold=0,
                         message="建筑物图层无 use(用途)字段,无法核查")
            else:
                uses = [_text(u) for u in bl["use"]]
                admin_set = set(rule.admin_uses)
                for k in range(n):
                    members = [uses[i] for i in range(len(bl)) if main[i] == k]
                    admin_only[k] = bool(members) and all(u in admin_set for u in members)
                has_admin = any(u in admin_set for u in uses)
                if admin_only.any():
                    msg = "、".join(f"分块 {knos[k]}" for k in np.flatnonzero(admin_only)) + \
                        " 只含行政办公/生活服务建筑,配套用地不得与整宗地分割转让"
                else:
                    msg = "行政办公及生活服务建筑未被单独分出" if has_admin else "宗地内无行政办公/生活服务建筑"
                rows.add(prop_id, "行政办公及生活服务用地", "TT-SPLIT", clause, FAIL if admin_only.any() else PASS,
                         int(admin_only.sum()), 0, "宗", msg)

        # 5. the parcel: completed, not from a split, not from a merge
        status = _text(prow.get("status")) if "status" in parcels.columns else None
        if status is None:
            rows.add(prop_id, "已竣工投产", "TT-SPLIT", clause, MISSING_DATA, message=f"宗地 {parcel_id} 无状态(status)",
                     limit=rule.completed_status)
        else:
            ok = status == rule.completed_status
            rows.add(prop_id, "已竣工投产", "TT-SPLIT", clause, PASS if ok else FAIL, limit=rule.completed_status,
                     message=f"宗地状态为{status}" + ("" if ok else f",拟分割地块应{rule.completed_status}"))
        if "split_from" not in parcels.columns:
            rows.add(prop_id, "不得二次分割", "TT-SPLIT", clause, MISSING_DATA, message="宗地图层无 split_from 字段")
        else:
            src = _text(prow.get("split_from"))
            rows.add(prop_id, "不得二次分割", "TT-SPLIT", clause, FAIL if src else PASS, limit="非分割所得",
                     message=f"宗地由 {src} 分割而来,工业用地不得二次分割转让" if src else "宗地非分割所得")
        m_clause = merge_rule.clause if merge_rule is not None else clause
        if "merged_from" not in parcels.columns:
            rows.add(prop_id, "合并后不得分割", "TT-MERGE", m_clause, MISSING_DATA, message="宗地图层无 merged_from 字段")
        else:
            src = _text(prow.get("merged_from"))
            rows.add(prop_id, "合并后不得分割", "TT-MERGE", m_clause, FAIL if src else PASS, limit="非合并所得",
                     message=f"宗地由 {src} 合并而来,合并转让后产权不得分割" if src else "宗地非合并所得")

        # 6. buyer and 标准地
        owner = _text(prow.get("owner_uscc")) if "owner_uscc" in parcels.columns else None
        classes = _check_buyers(rows, prop_id, buyers, transfer, eval_info, (owner,) if owner else ())
        std = prow.get("standard_land") if "standard_land" in parcels.columns else None
        _check_standard_land(rows, prop_id, [None if std is None else _truthy(std)], [parcel_id], transfer, "各分块")

        part_status = np.where(area_ok & ~admin_only, PASS, FAIL)
        out_by_no = dict(outside)
        part_status = np.where([out_by_no.get(no, 0) > 0 for no in knos], FAIL, part_status)
        kbuyers = [part_buyers[i] for i in keep]
        add_parts(list(parts_arr), knos, kbuyers, {
            "area_ok": list(area_ok), "admin_only": list(admin_only),
            "buildings": [";".join(b) or None for b in part_buildings],
            "cut_buildings": [";".join(cut_ids) or None] * n,
            "buyer_class": [classes.get(b) if b else None for b in kbuyers],
            "part_status": list(part_status)})
        for i, g in enumerate(parts):
            if g is None:
                add_parts([None], [nos[i]], [part_buyers[i]], {"part_status": [FAIL]})

    findings = rows.findings()
    layer = pd.DataFrame(part_rows)
    for c in SPLIT_CHECK_COLUMNS:
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
    out = gpd.GeoDataFrame(layer[SPLIT_CHECK_COLUMNS], geometry=geoms, crs=crs)
    return findings, out


# ----------------------------------------------------------------------------------------------
# merge
# ----------------------------------------------------------------------------------------------

def split_ids(value) -> list[str]:
    """Parcel ids from a ``;``-joined cell (also ``；`` ``,`` ``，`` ``、`` or spaces), in order, unique."""
    text = _text(value)
    if not text:
        return []
    return list(dict.fromkeys(p for p in _SEPARATORS.split(text) if p))


def shared_boundary_length(a, b, tolerance: float = 0.0) -> float:
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

    def reach(x, y):
        near = shapely.intersection(shapely.boundary(x), shapely.buffer(y, tolerance))
        lines = shapely.get_parts(shapely.line_merge(shapely.union_all(
            [g for g in shapely.get_parts(near) if g.geom_type in ("LineString", "MultiLineString")] or
            [shapely.LineString()])))
        return float(np.clip(shapely.length(lines) - 2 * tolerance, 0, None).sum()) if len(lines) else 0.0

    return round(max(exact, min(reach(a, b), reach(b, a))), 6)  # µm: below any survey precision


def _components(n: int, edges: list[tuple[int, int]]) -> list[list[int]]:
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in edges:
        parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())


def check_merge(parcels: gpd.GeoDataFrame, proposals: pd.DataFrame | None, ruleset,
                eval_table: pd.DataFrame | None = None, as_of: dt.date | None = None,
                eval_year: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check merge proposals against TT-MERGE and TT-TRANSFER.

    Parameters
    ----------
    parcels : GeoDataFrame
        Parcels (``parcel_id``, ``rights_nature``, ``rights_type``, ``term_end``,
        ``standard_land``) in a planar CRS (metres).
    proposals : DataFrame or None
        ``proposal_id``, ``parcel_ids`` (``;``-joined) and ``buyer_uscc``.
    ruleset : Ruleset
        Reads ``TT-MERGE`` and ``TT-TRANSFER``; where absent, ``not_applicable``.
    eval_table : DataFrame, optional
        ``enterprise_eval`` of the efficiency stage (buyer's class in ``eval_year``).
    as_of : date, optional
        Reference date for the remaining term reported (years); without it the value is blank.

    Returns
    -------
    (DataFrame, DataFrame)
        Findings (with the extra ``condition`` and ``limit`` columns, feature id = ``proposal_id``) and the
        ``merge_checks`` table (columns :data:`MERGE_CHECK_COLUMNS`), one row per proposal, with
        the unified term end and ``splittable = False``.
    """
    rows = _Rows()
    table_rows: list[dict] = []
    if proposals is None or not len(proposals):
        return rows.findings(), pd.DataFrame({c: [] for c in MERGE_CHECK_COLUMNS})
    rule = ruleset.get("TT-MERGE")
    transfer = ruleset.get("TT-TRANSFER")
    if eval_year is None and as_of is not None:
        eval_year = as_of.year - 1  # 上一年度
    eval_info = latest_classes(eval_table, eval_year)
    pindex = {pid: i for i, pid in enumerate(parcels["parcel_id"].astype("string")) if pid is not pd.NA}
    pgeoms = parcels.geometry.to_numpy()
    for i, prop in enumerate(proposals.to_dict("records")):
        pid = _text(prop.get("proposal_id")) or f"(无编号, 第{prop.get('source_row', i + 2)}行)"
        ids = split_ids(prop.get("parcel_ids"))
        buyer = _text(prop.get("buyer_uscc"))
        rec = {"proposal_id": pid, "parcel_ids": ";".join(ids) or None, "buyer_uscc": buyer, "n_parcels": len(ids),
               "splittable": False}
        table_rows.append(rec)
        if rule is None:
            rows.add(pid, "合并转让", "TT-MERGE", "", NOT_APPLICABLE, message=NA_MESSAGE)
            _check_buyers(rows, pid, [], None, eval_info)
            rec["splittable"] = None
            continue
        clause = rule.clause
        unknown = [p for p in ids if p not in pindex]
        if len(ids) < 2 or unknown:
            if unknown:
                msg = f"方案 {pid} 所涉宗地 {'、'.join(unknown)} 不在宗地图层中,无法核查"
            else:
                msg = f"方案 {pid} 只列出 {len(ids)} 宗地,合并至少需要两宗"
            rows.add(pid, "宗地", "TT-MERGE", clause, FAIL, len(ids), 2, "宗", msg)
            continue
        rows.add(pid, "宗地", "TT-MERGE", clause, PASS, len(ids), 2, "宗", f"合并 {len(ids)} 宗: {'、'.join(ids)}")
        sub = parcels.iloc[[pindex[p] for p in ids]]
        geoms = [pgeoms[pindex[p]] for p in ids]
        area = float(shapely.area(np.asarray(geoms, dtype=object)).sum())
        rec["area_m2"] = round(area, 2)
        rec["area_mu"] = round(units.m2_to_mu(area), units.MU_DECIMALS)

        # 界线相邻: pairwise shared lengths, each parcel against the rest, one connected piece
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
        groups = _components(n, edges)
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
        rows.add(pid, "界线相邻", "TT-MERGE", clause, PASS if rec["adjacent"] else FAIL, value, min_len, "m", msg)

        # 权属性质 and 使用权类型
        same_all = True
        for field, label in (("rights_nature", "权属性质一致"), ("rights_type", "使用权类型一致")):
            values = [_text(v) for v in sub[field]] if field in sub.columns else [None] * n
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

        # 剩余年限统一 to the earliest term end; 划拨 land has no term (it is not missing)
        terms = [_date(v) for v in sub["term_end"]] if "term_end" in sub.columns else [None] * n
        kinds = [_text(v) for v in sub["rights_type"]] if "rights_type" in sub.columns else [None] * n
        allocated = [t is None and k == ALLOCATED for t, k in zip(terms, kinds)]
        blank = [p for p, t, a in zip(ids, terms, allocated) if t is None and not a]
        termed = [(p, t) for p, t in zip(ids, terms) if t is not None]
        no_term = "、".join(p for p, a in zip(ids, allocated) if a)
        no_term_note = f";宗地 {no_term} 为划拨用地,无使用期限" if no_term else ""
        if blank:
            rows.add(pid, "剩余年限统一", "TT-MERGE", clause, MISSING_DATA, unit="年", limit="按最短年限统一",
                     message=f"宗地 {'、'.join(blank)} 缺少土地使用权终止日期(term_end)" + no_term_note)
        elif not termed:
            rows.add(pid, "剩余年限统一", "TT-MERGE", clause, NOT_APPLICABLE, unit="年", limit="按最短年限统一",
                     message="各宗地均为划拨用地,无使用期限")
        else:
            first = min(t for _, t in termed)
            rec["unified_term_end"] = first.isoformat()
            years = round((first - as_of).days / 365.25, 2) if as_of else np.nan
            holders = "、".join(p for p, t in termed if t == first)
            if len({t for _, t in termed}) > 1:
                msg = ("剩余年限不一致(" + "、".join(f"{p} 至 {t.isoformat()}" for p, t in termed)
                       + f"),按最短统一至 {first.isoformat()}(宗地 {holders})")
            else:
                msg = f"各宗地使用权均至 {first.isoformat()},合并后不变"
            if as_of:
                msg += f",剩余 {years:.2f} 年"
            rows.add(pid, "剩余年限统一", "TT-MERGE", clause, PASS, years, np.nan, "年", msg + no_term_note,
                     limit="按最短年限统一")

        rows.add(pid, "合并后不得分割", "TT-MERGE", clause, PASS, limit="不可再分割",
                 message=f"合并后宗地登记合并来源({';'.join(ids)}),产权不得再分割")

        owners = {(_text(v) or "").upper() for v in sub["owner_uscc"]} if "owner_uscc" in sub.columns else {""}
        # the buyer holding every parcel already is no transferee
        keepers = tuple(owners) if len(owners) == 1 and "" not in owners else ()
        classes = _check_buyers(rows, pid, [buyer] if buyer else [], transfer, eval_info, keepers)
        rec["buyer_class"] = classes.get(buyer) if buyer else None
        flags = [(_truthy(v) if _text(v) is not None else False) for v in sub["standard_land"]] \
            if "standard_land" in sub.columns else []
        _check_standard_land(rows, pid, flags, ids, transfer, "合并后")

    findings = rows.findings()
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
    for c in ("n_parcels",):
        table[c] = table[c].astype("Int64")
    for c in ("area_m2", "area_mu", "shared_length_m"):
        table[c] = pd.to_numeric(table[c], errors="coerce").astype(float)
    for c in ("proposal_id", "parcel_ids", "buyer_uscc", "rights_nature", "rights_type", "unified_term_end",
              "buyer_class", "verdict", "failed", "message"):
        table[c] = table[c].astype("string")
    return findings, table


# ----------------------------------------------------------------------------------------------
# the stage
# ----------------------------------------------------------------------------------------------

def assess_split_merge(ws, results) -> StageResult:
    """Pipeline stage ``split_merge`` (分割合并核查): check the workspace's split and merge proposals.

    Parameters
    ----------
    ws : Workspace
        Reads the ``split_proposals`` and ``buildings`` layers and the ``merge_proposals`` table.
    results : Results
        Reads ``results.parcels`` and the efficiency stage's ``enterprise_eval`` table.

    Returns
    -------
    StageResult
        Findings per proposal and condition, the ``split_checks`` layer (parts with areas and
        verdicts), the ``merge_checks`` table, and counts of verdicts in the summary.
    """
    eval_table = results.layer("enterprise_eval")
    eval_year = (results.summary.get("efficiency") or {}).get("eval_year")  # 上一年度 (issue 14)
    split_f, split_layer = check_split(results.parcels, ws.layer("buildings"), ws.layer("split_proposals"),
                                       ws.ruleset, eval_table, eval_year=eval_year)
    merge_f, merge_table = check_merge(results.parcels, ws.table("merge_proposals"), ws.ruleset, eval_table,
                                       as_of=ws.as_of, eval_year=eval_year)
    findings = pd.concat([split_f, merge_f], ignore_index=True)
    split_verdicts = split_layer.drop_duplicates("proposal_id")["verdict"].value_counts()
    merge_verdicts = merge_table["verdict"].value_counts()
    summary = {"split_proposals": int(split_layer["proposal_id"].nunique()),
               "split_verdicts": {str(k): int(v) for k, v in split_verdicts.items()},
               "merge_proposals": len(merge_table),
               "merge_verdicts": {str(k): int(v) for k, v in merge_verdicts.items()}}
    return StageResult(findings=findings, layers={"split_checks": split_layer, "merge_checks": merge_table},
                       summary=summary)
