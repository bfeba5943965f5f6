"""用地强度 (stage ``intensity``): floor area, 容积率, 建筑系数, admin share and height per parcel;
the 天台 FAR rules and incentives that hang on them (TT-FAR-DEFAULT, TT-FEE, TT-VERT, TT-HOUSING).

How floor area is counted (NAT-FAR, "层高超过8米的,该层建筑面积加倍计算")
------------------------------------------------------------------------
A building's floor area is its footprint × its counted storeys. ``floors`` storeys count once
each; a storey taller than ``tall_storey_m`` (8 m) counts once more:

* the tallest storey (``storey_height_m``) when it is taller than 8 m;
* the other ``floors − 1`` storeys share the rest of the height (``height_m − storey_height_m``)
  evenly; when that even share is taller than 8 m they all count twice as well;
* with no ``storey_height_m``, all storeys share ``height_m`` evenly (a one-storey building's
  storey is its height);
* with no ``floors``, floors = max(1, round(height_m / typical_storey_m)); with neither floors
  nor height the building counts one storey and its parcel gets a ``missing_data`` finding.

构筑物 and 堆场 (``no_floor_uses``) have a footprint (建筑系数) but no floor area. Buildings marked
``completed = false`` are left out unless ``count_incomplete``.

Buildings meet parcels through ``parcel_id``; a building with none (or an unknown one) goes to
the parcel it overlaps most (an STRtree query, vectorised).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from .. import units
from ..findings import (
    FAIL,
    MISSING_DATA,
    NOT_APPLICABLE,
    PASS,
    WARN,
    concat_findings,
    empty_findings,
    fmt_pair,
    fmt_share_pair,
    fmt_value,
    make_findings,
)
from ..stage import StageResult

if TYPE_CHECKING:
    from ..results import Results
    from ..workspace import Workspace

PARCEL_COLUMNS = ["floor_area_m2", "far", "building_coverage", "admin_share", "max_height_m", "max_structure_height_m",
                  "far_limit"]
EPS = 1e-9


def assign_buildings(buildings, parcels) -> np.ndarray:
    """The parcel (index into ``parcels``) of each building, −1 for none.

    ``buildings.parcel_id`` is used where it names a parcel; the rest go to the parcel they
    overlap most.

    Parameters
    ----------
    buildings, parcels : GeoDataFrame
        In the same CRS; ``parcels`` has ``parcel_id``.

    Returns
    -------
    numpy.ndarray of int
    """
    pidx = pd.Index(parcels["parcel_id"].astype(str))
    out = np.full(len(buildings), -1, dtype=np.int64)
    if "parcel_id" in buildings.columns:
        given = buildings["parcel_id"].astype("string").str.strip()
        hit = pidx.get_indexer(given.fillna("").astype(str))
        out = np.where(given.notna().to_numpy() & (hit >= 0), hit, -1)
    todo = np.flatnonzero(out < 0)
    if len(todo):
        bgeom = np.asarray(buildings.geometry.values)[todo]
        pgeom = np.asarray(parcels.geometry.values)
        tree = shapely.STRtree(pgeom)
        bi, pi = tree.query(bgeom, predicate="intersects")
        if len(bi):
            area = shapely.area(shapely.intersection(bgeom[bi], pgeom[pi]))
            order = np.lexsort((-area, bi))
            bi, pi, area = bi[order], pi[order], area[order]
            first = np.r_[True, bi[1:] != bi[:-1]]
            keep = first & (area > 0)
            out[todo[bi[keep]]] = pi[keep]
    return out


def building_floor_area(buildings, spec) -> pd.DataFrame:
    """Counted storeys and floor area of each building (NAT-FAR; see the module notes).

    Parameters
    ----------
    buildings : GeoDataFrame
        ``floors``, ``height_m``, ``storey_height_m``, ``use``, ``completed`` (any may be absent).
    spec : FarSpec

    Returns
    -------
    DataFrame
        ``footprint_m2``, ``storeys`` (counted, tall storeys twice), ``floor_area_m2``,
        ``counted`` (bool: enters FAR and coverage), ``has_floor`` (bool: not 构筑物/堆场),
        ``floors_missing`` (bool).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from geo_tenglong.rules.intensity import FarSpec
    >>> b = gpd.GeoDataFrame({"floors": [1, 3], "height_m": [12.0, 15.0], "storey_height_m": [12.0, 5.0]},
    ...                      geometry=[box(0, 0, 10, 10), box(0, 0, 10, 10)])
    >>> building_floor_area(b, FarSpec(clause="")).floor_area_m2.tolist()
    [200.0, 300.0]
    """
    n = len(buildings)

    def num(c):
        return pd.to_numeric(buildings[c], errors="coerce").to_numpy(dtype=float) if c in buildings.columns \
            else np.full(n, np.nan)

    floors, height, storey = num("floors"), num("height_m"), num("storey_height_m")
    floors = np.where(floors > 0, np.round(floors), np.nan)
    est = np.where(height > 0, np.maximum(1.0, np.round(height / spec.typical_storey_m)), np.nan)
    floors_missing = np.isnan(floors) & np.isnan(est)
    f = np.where(np.isnan(floors), np.where(np.isnan(est), 1.0, est), floors)
    tall = spec.tall_storey_m
    with np.errstate(invalid="ignore", divide="ignore"):
        has_storey = storey > 0
        top_tall = np.where(has_storey, storey > tall, False)
        rest_h = np.where(has_storey, height - storey, height)
        rest_n = np.where(has_storey, f - 1, f)
        rest_avg = np.where((rest_n > 0) & (height > 0), rest_h / np.where(rest_n > 0, rest_n, 1), np.nan)
    rest_tall = np.nan_to_num(rest_avg, nan=0.0) > tall
    extra = top_tall.astype(float) + np.where(rest_tall, rest_n, 0.0)
    storeys = f + extra
    use = buildings["use"].astype("string").str.strip() if "use" in buildings.columns else pd.Series([pd.NA] * n, dtype="string")
    has_floor = ~use.isin(list(spec.no_floor_uses)).fillna(False).to_numpy(dtype=bool)
    if "completed" in buildings.columns and not spec.count_incomplete:
        comp = buildings["completed"]
        counted = ~(comp.astype("boolean").eq(False).fillna(False).to_numpy(dtype=bool))
    else:
        counted = np.ones(n, dtype=bool)
    footprint = shapely.area(np.asarray(buildings.geometry.values))
    floor_area = np.where(has_floor & counted, footprint * storeys, 0.0)
    return pd.DataFrame({"footprint_m2": footprint, "storeys": np.where(has_floor, storeys, 0.0),
                         "floor_area_m2": floor_area, "counted": counted, "has_floor": has_floor,
                         "floors_missing": floors_missing & has_floor, "height_m": height, "use": use.to_numpy()},
                        index=buildings.index)


def parcel_floor_area(buildings, parcels, spec) -> pd.Series:
    """Floor area (m², NAT-FAR) by ``parcel_id``, for every parcel (0 where no building)."""
    b = building_floor_area(buildings, spec)
    where = assign_buildings(buildings, parcels)
    sums = np.bincount(where[where >= 0], weights=b["floor_area_m2"].to_numpy()[where >= 0], minlength=len(parcels))
    return pd.Series(sums, index=pd.Index(parcels["parcel_id"].astype(str), name="parcel_id"))


def parcel_intensity(buildings, parcels, far_spec, admin_uses=("行政办公", "生活服务")) -> pd.DataFrame:
    """Per parcel: floor area, FAR, 建筑系数, admin floor share, height, building count.

    Parameters
    ----------
    buildings : GeoDataFrame or None
    parcels : GeoDataFrame
        ``parcel_id`` and polygons (land area = planar area of the polygon).
    far_spec : FarSpec
    admin_uses : tuple of str

    Returns
    -------
    DataFrame
        Indexed like ``parcels``: ``land_m2``, ``floor_area_m2``, ``far``, ``footprint_m2``,
        ``building_coverage``, ``admin_floor_m2``, ``admin_share``, ``max_height_m`` (建筑物
        only), ``max_structure_height_m`` (构筑物, shown not judged), ``buildings``,
        ``floors_missing``, ``height_missing`` (建筑物 without a height). Without a buildings layer
        (``None``) every measured column is NaN — missing, never 0.
    """
    n = len(parcels)
    land = shapely.area(np.asarray(parcels.geometry.values))
    out = pd.DataFrame({"land_m2": land}, index=parcels.index)
    if buildings is None:  # no buildings layer: nothing is measured (missing, never 0)
        for c in ("floor_area_m2", "footprint_m2", "admin_floor_m2", "buildings", "floors_missing",
                  "max_height_m", "max_structure_height_m", "height_missing"):
            out[c] = np.nan
    elif not len(buildings):  # a layer with no building in it: every parcel is measured empty
        for c in ("floor_area_m2", "footprint_m2", "admin_floor_m2", "buildings", "floors_missing", "height_missing"):
            out[c] = 0.0
        out["max_height_m"] = np.nan
        out["max_structure_height_m"] = np.nan
    else:
        b = building_floor_area(buildings, far_spec)
        where = assign_buildings(buildings, parcels)
        ok = (where >= 0) & b["counted"].to_numpy()
        w = where[ok]

        def total(values):
            return np.bincount(w, weights=np.asarray(values, dtype=float)[ok], minlength=n)

        out["floor_area_m2"] = total(b["floor_area_m2"])
        out["footprint_m2"] = total(b["footprint_m2"])
        admin = pd.Series(b["use"]).isin(list(admin_uses)).fillna(False).to_numpy(dtype=bool)
        out["admin_floor_m2"] = total(np.where(admin, b["floor_area_m2"], 0.0))
        out["buildings"] = np.bincount(w, minlength=n)
        out["floors_missing"] = total(b["floors_missing"].astype(float))
        # 建筑高度 is measured on 建筑物; 构筑物 (chimneys, towers: ``no_floor_uses``) are kept apart,
        # shown beside it and not judged (issue 14's reading of TT-FAR-DEFAULT / 标准地).
        structure = ~b["has_floor"].to_numpy()[ok]
        out["height_missing"] = total(np.isnan(b["height_m"].to_numpy()) & b["has_floor"].to_numpy())
        hv = np.nan_to_num(b["height_m"].to_numpy()[ok], nan=-np.inf)
        # a 堆场 (open storage) has no height: a structure counts from a height above 0
        for col, sel in (("max_height_m", ~structure), ("max_structure_height_m", structure & (hv > 0))):
            h = np.full(n, -np.inf)
            np.maximum.at(h, w[sel], hv[sel])
            out[col] = np.where(np.isfinite(h), h, np.nan)
    safe = np.where(land > 0, land, np.nan)
    out["far"] = out["floor_area_m2"] / safe
    out["building_coverage"] = out["footprint_m2"] / safe
    fa = out["floor_area_m2"].to_numpy()
    out["admin_share"] = np.divide(out["admin_floor_m2"].to_numpy(), fa, out=np.full(n, np.nan), where=fa > 0)
    return out


def industry_far(industry, table: dict[str, float], default: float) -> np.ndarray:
    """行业容积率 of each industry name: the value of the longest word of ``table`` it contains.

    Examples
    --------
    >>> industry_far(["通用设备制造业", "橡胶和塑料制品业", "软件"], {"通用设备": 0.7, "塑料": 1.0, "橡胶": 0.8}, 1.0).tolist()
    [0.7, 0.8, 1.0]
    """
    s = pd.Series(industry, dtype="string").fillna("")
    out = np.full(len(s), np.nan)
    best = np.zeros(len(s))
    # earliest match in the name wins among equally long words (橡胶和塑料 → 橡胶)
    pos_best = np.full(len(s), np.inf)
    for word, far in sorted(table.items(), key=lambda kv: -len(kv[0])):
        pos = s.str.find(word).to_numpy(dtype=float)
        hit = (pos >= 0) & ((len(word) > best) | ((len(word) == best) & (pos < pos_best)))
        out[hit], best[hit], pos_best[hit] = far, len(word), pos[hit]
    return np.where(np.isnan(out), default, out)


def _not_applicable(admin_code, rule_id, ruleset):
    return make_findings([admin_code], rule_id, "", NOT_APPLICABLE, message=f"本县规则集({ruleset})无此条款,不适用")


def _flag(values) -> np.ndarray:
    return pd.Series(values).astype("boolean").fillna(False).to_numpy(dtype=bool)


@dataclass(frozen=True)
class _ParcelFacts:
    """Per-parcel arrays the intensity rules share (one row per parcel, in layer order)."""

    n: int
    pid: np.ndarray
    status: np.ndarray
    area_mu: np.ndarray
    far: np.ndarray
    height: np.ndarray
    contract_far: np.ndarray
    plan: np.ndarray
    park_id: pd.Series
    in_park: np.ndarray
    industrial: np.ndarray
    checked: np.ndarray


def _parcel_facts(parcels: pd.DataFrame, t: pd.DataFrame, cover: Any) -> _ParcelFacts:
    """Collect the parcel attributes the rules read: ids, status, FAR, contract FAR, park, land use.

    Parameters
    ----------
    parcels : pandas.DataFrame
        ``results.parcels``.
    t : pandas.DataFrame
        :func:`parcel_intensity` of the parcels.
    cover : CoverSpec or None
        NAT-COVER, whose industrial land codes and statuses select the checked parcels.

    Returns
    -------
    _ParcelFacts
    """
    n = len(parcels)
    pid = parcels["parcel_id"].astype(str).to_numpy()
    status = parcels["status"].astype("string").to_numpy(dtype=object) if "status" in parcels.columns else np.full(n, None)
    area_mu = units.m2_to_mu(t["land_m2"].to_numpy())
    far = t["far"].to_numpy()
    height = t["max_height_m"].to_numpy()
    contract_far = pd.to_numeric(parcels["contract_far"], errors="coerce").to_numpy(dtype=float) \
        if "contract_far" in parcels.columns else np.full(n, np.nan)
    contract_far = np.where(contract_far > 0, contract_far, np.nan)
    # 规划条件: the layer's plan_conditions; without that column a contract FAR is the evidence.
    plan = _flag(parcels["plan_conditions"]) if "plan_conditions" in parcels.columns else ~np.isnan(contract_far)
    park_id = parcels["park_id"].astype("string").str.strip() if "park_id" in parcels.columns \
        else pd.Series([pd.NA] * n, dtype="string")
    in_park = park_id.notna().to_numpy() & (park_id.fillna("") != "").to_numpy()
    from .enterprise_land import industrial_mask

    codes = parcels["land_use_code"] if "land_use_code" in parcels.columns else pd.Series([None] * n)
    industrial = industrial_mask(codes, cover.industrial_land_codes if cover else ("1001",))
    built_status = pd.Series(status, dtype="string").isin(list(cover.statuses if cover else ("已竣工投产", "停产"))) \
        .fillna(False).to_numpy(dtype=bool)
    checked = industrial & built_status
    return _ParcelFacts(n, pid, status, area_mu, far, height, contract_far, plan, park_id, in_park, industrial,
                        checked)


def _coverage_findings(p: _ParcelFacts, t: pd.DataFrame, buildings: Any, cover: Any, far_spec: Any) -> list:
    """NAT-COVER per checked parcel, and NAT-FAR ``missing_data`` where storeys are unknown.

    Parameters
    ----------
    p : _ParcelFacts
    t : pandas.DataFrame
        :func:`parcel_intensity` of the parcels.
    buildings : geopandas.GeoDataFrame or None
        The ``buildings`` layer.
    cover, far_spec : rule specs
        NAT-COVER (or None) and NAT-FAR.

    Returns
    -------
    list of pandas.DataFrame
        Findings frames.
    """
    findings = []
    checked, pid = p.checked, p.pid
    if cover is not None and checked.any():
        cov = t["building_coverage"].to_numpy()[checked]
        if buildings is None:
            findings.append(make_findings(pid[checked], "NAT-COVER", cover.clause, MISSING_DATA, np.nan, cover.min_share,
                                          "", "工作空间缺少建筑物图层,无法计算建筑系数"))
        else:
            ok = cov >= cover.min_share - EPS
            known = ~np.isnan(cov)  # no usable parcel geometry: no share to judge
            status = np.where(known, np.where(ok, PASS, FAIL), MISSING_DATA)
            messages = [_coverage_message(c, cover.min_share, o) if k else "宗地图形缺失或无面积,无法计算建筑系数"
                        for c, o, k in zip(cov, ok, known)]
            findings.append(make_findings(pid[checked], "NAT-COVER", cover.clause, status, cov, cover.min_share, "",
                                          messages))
    if buildings is not None:
        miss = t["floors_missing"].to_numpy() > 0
        if miss.any():
            findings.append(make_findings(pid[miss], "NAT-FAR", far_spec.clause, MISSING_DATA, t["floors_missing"][miss],
                                          np.nan, "幢", "有建筑物缺少层数和高度,按1层计入建筑面积(容积率可能偏低)"))
    return findings


def _far_default_findings(ws: Workspace, p: _ParcelFacts, t: pd.DataFrame,
                          buildings: Any) -> tuple[list, np.ndarray]:
    """TT-FAR-DEFAULT: the FAR and height caps of industrial land outside standard parks without 规划条件.

    Parameters
    ----------
    ws : Workspace
        Layer ``parks``; rule TT-FAR-DEFAULT.
    p : _ParcelFacts
    t : pandas.DataFrame
        :func:`parcel_intensity` of the parcels.
    buildings : geopandas.GeoDataFrame or None
        The ``buildings`` layer.

    Returns
    -------
    findings : list of pandas.DataFrame
    far_limit : numpy.ndarray
        Per parcel: the default cap where it applies, else the contract FAR (NaN where none).
    """
    rs = ws.ruleset
    n, pid, far, height, park_id, in_park = p.n, p.pid, p.far, p.height, p.park_id, p.in_park
    findings = []
    # Parks: kind and standard-land flag.
    parks = ws.layer("parks")
    fd = rs.get("TT-FAR-DEFAULT")
    if parks is not None and len(parks):
        pk = parks.set_index(parks["park_id"].astype(str))
        kinds = pk["kind"].reindex(park_id.fillna("").astype(str)).astype("string") if "kind" in pk.columns \
            else pd.Series([pd.NA] * n, dtype="string")
        std = _flag(pk["standard_land_rules"].reindex(park_id.fillna("").astype(str)).to_numpy()) \
            if "standard_land_rules" in pk.columns else np.zeros(n, bool)
        std_park = in_park & (std | kinds.isin(list(fd.park_kinds if fd else ())).fillna(False).to_numpy(dtype=bool))
    else:
        std_park = in_park
    default_applies = p.industrial & ~std_park & ~p.plan
    far_limit = p.contract_far.copy()
    if fd is not None:
        far_limit = np.where(default_applies, fd.far_max, far_limit)
        if buildings is None and default_applies.any():
            findings.append(make_findings(pid[default_applies], "TT-FAR-DEFAULT", fd.clause, MISSING_DATA, np.nan,
                                          fd.far_max, "", "工作空间缺少建筑物图层,无法计算容积率和建筑高度"))
        chk = default_applies & (np.nan_to_num(t["buildings"].to_numpy(dtype=float), nan=0.0) > 0)
        if chk.any():
            f_, h_ = far[chk], height[chk]
            sh_ = t["max_structure_height_m"].to_numpy(dtype=float)[chk]
            no_h = np.nan_to_num(t["height_missing"].to_numpy(dtype=float)[chk], nan=0.0) > 0
            far_ok = f_ <= fd.far_max + EPS
            h_ok = ~(h_ > fd.height_max_m + EPS)
            ok = far_ok & h_ok
            # a 建筑物 without a height cannot be confirmed ≤ 24 m (构筑物 are not judged)
            fd_status = np.where(~ok, FAIL, np.where(no_h, MISSING_DATA, PASS))
            msg = [_far_default_message(a, b, c, st, fd) for a, b, c, st in zip(f_, h_, sh_, fd_status)]
            findings.append(make_findings(pid[chk], "TT-FAR-DEFAULT", fd.clause, fd_status, f_, fd.far_max, "", msg))
    else:
        findings.append(_not_applicable(ws.admin_code, "TT-FAR-DEFAULT", rs.name))
    return findings, far_limit


def _admin_findings(ws: Workspace, p: _ParcelFacts, parcels: pd.DataFrame, t: pd.DataFrame, buildings: Any,
                    admin_spec: Any) -> list:
    """NAT-ADMIN per checked parcel, with the TT-HOUSING / DQ-HOUSING relaxation where it applies.

    Parameters
    ----------
    ws : Workspace
        Rules TT-HOUSING / DQ-HOUSING.
    p : _ParcelFacts
    parcels : pandas.DataFrame
        ``results.parcels`` (``eval_class``).
    t : pandas.DataFrame
        :func:`parcel_intensity` of the parcels.
    buildings : geopandas.GeoDataFrame or None
        The ``buildings`` layer.
    admin_spec : rule spec or None
        NAT-ADMIN.

    Returns
    -------
    list of pandas.DataFrame
    """
    rs = ws.ruleset
    n, pid, checked, in_park, area_mu = p.n, p.pid, p.checked, p.in_park, p.area_mu
    findings = []
    housing = rs.get("TT-HOUSING") or rs.get("DQ-HOUSING")
    if admin_spec is not None:
        share = t["admin_share"].to_numpy()
        chk = checked & ~np.isnan(share)
        relaxed = np.zeros(n, bool)
        undecided = np.zeros(n, bool)  # the relaxation hangs on a class nobody knows
        if housing is not None:
            eval_class = parcels["eval_class"].astype("string") if "eval_class" in parcels.columns \
                else pd.Series([pd.NA] * n, dtype="string")
            park_existing = in_park & pd.Series(p.status, dtype="string").isin(list(housing.park_statuses)) \
                .fillna(False).to_numpy(dtype=bool)
            outside_ok = ~in_park & eval_class.isin(list(housing.classes)).fillna(False).to_numpy(dtype=bool) \
                & (area_mu >= housing.min_land_mu - EPS)
            relaxed = park_existing | outside_ok
            undecided = ~in_park & eval_class.isna().to_numpy(dtype=bool) & (area_mu >= housing.min_land_mu - EPS)
        limit = np.where(relaxed, housing.land_share if housing else admin_spec.max_share, admin_spec.max_share)
        floor_limit = np.where(relaxed, housing.floor_share if housing else 1.0, 1.0)
        ok = (share <= limit + EPS) & (share <= floor_limit + EPS)
        for relax in (False, True):
            m = chk & (relaxed == relax)
            if not m.any():
                continue
            rid, clause = ("NAT-ADMIN", admin_spec.clause) if not relax else (housing.rule_id, housing.clause)
            msg = [f"行政办公及生活服务设施占比{_share_vs(s, lim, flim)}(按建筑面积分摊),上限{fmt_share_pair(s, lim)[1]}"
                   + ("" if o else ",超标")
                   + (f"(保障性租赁住房政策放宽,建筑面积占比上限{fmt_share_pair(s, flim)[1]})" if relax else "")
                   for s, lim, flim, o in zip(share[m], limit[m], floor_limit[m], ok[m])]
            st = np.where(ok[m], PASS, FAIL)
            if housing is not None and not relax:
                # over 7 % but within the raised caps, with no 上一年度 class to tell: missing_data
                could = undecided[m] & ~ok[m] & (share[m] <= housing.land_share + EPS) \
                    & (share[m] <= housing.floor_share + EPS)
                st = np.where(could, MISSING_DATA, st)
                msg = [x + (f";企业无上一年度亩均评价结果,无法确定能否按{housing.rule_id}放宽(须{'/'.join(housing.classes)}类)"
                            if c else "") for x, c in zip(msg, could)]
            findings.append(make_findings(pid[m], rid, clause, st, share[m], limit[m], "", msg))
        if buildings is None and checked.any():
            findings.append(make_findings(pid[checked], "NAT-ADMIN", admin_spec.clause, MISSING_DATA, np.nan,
                                          admin_spec.max_share, "", "工作空间缺少建筑物图层,无法计算行政办公及生活服务设施占比"))
    if rs.get("TT-HOUSING") is None and rs.get("DQ-HOUSING") is None:
        findings.append(_not_applicable(ws.admin_code, "TT-HOUSING", rs.name))
    return findings


def _fee_findings(ws: Workspace, p: _ParcelFacts, t: pd.DataFrame) -> list:
    """TT-FEE: floor area above FAR 1.1 exempt from the 配套费 where the contract sets no FAR.

    Parameters
    ----------
    ws : Workspace
        Rule TT-FEE.
    p : _ParcelFacts
    t : pandas.DataFrame
        :func:`parcel_intensity` of the parcels.

    Returns
    -------
    list of pandas.DataFrame
    """
    fee = ws.ruleset.get("TT-FEE")
    if fee is None:
        return [_not_applicable(ws.admin_code, "TT-FEE", ws.ruleset.name)]
    exempt = np.maximum(0.0, t["floor_area_m2"].to_numpy() - fee.far_base * t["land_m2"].to_numpy())
    m = p.industrial & np.isnan(p.contract_far) & (exempt > 0)
    if not m.any():
        return []
    return [make_findings(p.pid[m], "TT-FEE", fee.clause, WARN, exempt[m], fee.far_base, "平方米",
                          [f"出让合同未约定容积率,容积率{fmt_value(f, fee.far_base, 2)},超过"
                           f"{fee.far_base:g}部分{fmt_value(e, 0.0, 0, '平方米', thousands=True)}"
                           "免收市政基础设施配套费" for f, e in zip(p.far[m], exempt[m])])]


def assess_intensity(ws: Workspace, results: Results) -> StageResult:
    """Stage ``intensity`` (用地强度): :func:`intensity_parts` with the TT-VERT findings (:func:`with_vertical`)."""
    parts = intensity_parts(ws, results)
    return with_vertical(ws, parts.result, parts.plans)


@dataclass
class IntensityParts:
    """The intensity stage's result before TT-VERT and the county FAR, in pieces that add up over any split of the parcels.

    Attributes
    ----------
    result : StageResult
        Parcel columns and findings, but TT-VERT; the summary with ``county_far`` of these parcels.
    plans : pandas.DataFrame
        :func:`vertical_plans` of the ``renovations`` layer's plans on these parcels.
    industrial_floor_m2, industrial_land_m2 : float
        Floor area and land of the industrial parcels, unrounded (the county FAR is their ratio).
    """

    result: StageResult
    plans: pd.DataFrame
    industrial_floor_m2: float
    industrial_land_m2: float


def county_far(industrial_floor_m2: float, industrial_land_m2: float) -> float:
    """The county's industrial FAR, to 4 decimals, from the sums of :class:`IntensityParts`."""
    return round(float(industrial_floor_m2 / max(industrial_land_m2, 1e-9)), 4)


def intensity_parts(ws: Workspace, results: Results) -> IntensityParts:
    """Stage ``intensity`` (用地强度) but TT-VERT, and the renovation plans' figures TT-VERT is granted from.

    Parameters
    ----------
    ws : Workspace
        Layers ``parcels``, ``buildings``, ``parks``, ``renovations``; table ``enterprises``
        (industry, for TT-VERT); rules NAT-FAR, NAT-COVER, NAT-ADMIN, TT-HOUSING / DQ-HOUSING,
        TT-FAR-DEFAULT, TT-FEE, TT-VERT.
    results : Results
        ``results.parcels`` with the efficiency stage's ``eval_class`` (TT-HOUSING).

    Returns
    -------
    IntensityParts
        Its result: parcel columns :data:`PARCEL_COLUMNS`; findings NAT-COVER, NAT-ADMIN (or
        TT-HOUSING / DQ-HOUSING where the raised cap applies), TT-FAR-DEFAULT, TT-FEE per parcel,
        NAT-FAR ``missing_data`` where storeys are unknown.
    """
    rs = ws.ruleset
    parcels = results.parcels
    far_spec = rs.get("NAT-FAR")
    if far_spec is None:  # the national rule with its defaults
        from ..rules.intensity import FarSpec

        far_spec = FarSpec(clause="国土资发〔2008〕24号")
    admin_spec = rs.get("NAT-ADMIN")
    buildings = ws.layer("buildings")
    t = parcel_intensity(buildings, parcels, far_spec, admin_spec.admin_uses if admin_spec else ("行政办公", "生活服务"))
    p = _parcel_facts(parcels, t, rs.get("NAT-COVER"))
    findings = _coverage_findings(p, t, buildings, rs.get("NAT-COVER"), far_spec)
    fd_findings, far_limit = _far_default_findings(ws, p, t, buildings)
    findings += fd_findings
    findings += _admin_findings(ws, p, parcels, t, buildings, admin_spec)
    findings += _fee_findings(ws, p, t)

    plans = vertical_plans(ws.layer("renovations"), parcels, t, p.contract_far)

    cols = pd.DataFrame({
        "floor_area_m2": t["floor_area_m2"].round(2).to_numpy(),
        "far": np.round(p.far, 4),
        "building_coverage": np.round(t["building_coverage"].to_numpy(), 4),
        "admin_share": np.round(t["admin_share"].to_numpy(), 4),
        "max_height_m": p.height,
        "max_structure_height_m": t["max_structure_height_m"].to_numpy(dtype=float),
        "far_limit": far_limit,
    }, index=pd.Index(p.pid, name="parcel_id"))
    floor = float(t["floor_area_m2"][p.industrial].sum())
    land = float(t["land_m2"][p.industrial].sum())
    summary = {"parcels_with_buildings": int((t["buildings"] > 0).sum()),
               "buildings": len(buildings) if buildings is not None else 0,
               "coverage_fail": int(sum(((f["rule_id"] == "NAT-COVER") & (f["status"] == FAIL)).sum() for f in findings)),
               "county_far": None if buildings is None else county_far(floor, land)}  # unmeasured, never 0
    result = StageResult(findings=concat_findings(findings) if findings else empty_findings(), parcel_columns=cols,
                         summary=summary)
    return IntensityParts(result, plans, floor, land)


def with_vertical(ws: Workspace, result: StageResult, plans: pd.DataFrame) -> StageResult:
    """The intensity result with its TT-VERT findings, granted over all the plans (:func:`vertical_plans`).

    The subsidy is capped per enterprise over all its plans, so the plans of every parcel are put
    together first (in the dask engine, from every partition).
    """
    vert = ws.ruleset.get("TT-VERT")
    extra = (_not_applicable(ws.admin_code, "TT-VERT", ws.ruleset.name) if vert is None
             else vertical_findings(plans, ws.table("enterprises"), vert))
    frames = [f for f in (result.findings, extra) if len(f)]
    return dataclasses.replace(result, findings=concat_findings(frames) if frames else empty_findings())


def _h(v, limit=None):
    return fmt_value(v, limit, 1, "米")


def _far_default_message(far, height, structure_height, status, fd) -> str:
    """TT-FAR-DEFAULT message: FAR and 建筑高度 against their caps, 构筑物 shown beside."""
    f_text, f_lim = fmt_pair(far, fd.far_max, 2)
    h_text = fmt_value(height, fd.height_max_m, 1, "米") if not np.isnan(height) else "无数据"
    text = f"园区外无规划条件:容积率{f_text}(上限{f_lim})、建筑高度{h_text}(上限{fd.height_max_m:g}米)"
    if not np.isnan(structure_height):
        text += f";构筑物最高{structure_height:g}米(烟囱、塔架等不按建筑高度控制)"
    if status == FAIL:
        text += ",超过控制指标"
    elif status == MISSING_DATA:
        text += ",有建筑物缺少高度,无法核实建筑高度"
    return text


def _share_vs(share, limit, floor_limit) -> str:
    """A share printed with the decimals that separate it from the nearer of its two caps."""
    near = limit if abs(share - limit) <= abs(share - floor_limit) or not np.isfinite(floor_limit) else floor_limit
    return fmt_share_pair(share, near)[0]


def _coverage_message(cov, min_share, ok) -> str:
    v, t = fmt_share_pair(cov, min_share)
    return f"建筑系数{v}" + ("" if ok else f",低于{t}")


#: The columns of :func:`vertical_plans`.
PLAN_COLUMNS = ["renovation_id", "uscc", "known", "accepted", "expansion_m2", "far_after", "contract_far"]


def vertical_plans(renovations: Any, parcels: pd.DataFrame, t: pd.DataFrame, contract_far: np.ndarray) -> pd.DataFrame:
    """The figures of each renovation plan with an expansion floor area that TT-VERT grants from.

    Parameters
    ----------
    renovations : geopandas.GeoDataFrame or None
        The ``renovations`` layer.
    parcels : pandas.DataFrame
        ``results.parcels``.
    t : pandas.DataFrame
        :func:`parcel_intensity` of the parcels.
    contract_far : numpy.ndarray
        Contract FAR per parcel (NaN where none).

    Returns
    -------
    pandas.DataFrame
        :data:`PLAN_COLUMNS`: the plan, its enterprise (the plan's ``uscc``, else the parcel's
        holder), whether its parcel is known and the plan accepted, the expansion (m²), the FAR after
        it (NaN where unknown) and the parcel's contract FAR (NaN where none).
    """
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in PLAN_COLUMNS})
    if renovations is None or not len(renovations) or "expansion_floor_area_m2" not in renovations.columns:
        return empty
    r = pd.DataFrame(renovations.drop(columns=renovations.geometry.name))
    exp = pd.to_numeric(r["expansion_floor_area_m2"], errors="coerce").to_numpy(dtype=float)
    r = r[np.nan_to_num(exp, nan=0.0) > 0].copy()
    if not len(r):
        return empty
    exp = pd.to_numeric(r["expansion_floor_area_m2"], errors="coerce").to_numpy(dtype=float)
    pidx = pd.Index(parcels["parcel_id"].astype(str))
    at = pidx.get_indexer(r["parcel_id"].astype(str))
    known = at >= 0
    land = np.where(known, t["land_m2"].to_numpy()[np.maximum(at, 0)], np.nan)
    floor_now = np.where(known, t["floor_area_m2"].to_numpy()[np.maximum(at, 0)], np.nan)
    after = pd.to_numeric(r["floor_area_after_m2"], errors="coerce").to_numpy(dtype=float) \
        if "floor_area_after_m2" in r.columns else np.full(len(r), np.nan)
    after = np.where(after > 0, after, floor_now + exp)
    far_after = np.divide(after, land, out=np.full(len(r), np.nan), where=land > 0)
    cfar = np.where(known, contract_far[np.maximum(at, 0)], np.nan)
    holder = np.full(len(r), None, dtype=object)
    if "owner_uscc" in parcels.columns:
        holder[known] = parcels["owner_uscc"].astype("string").to_numpy(dtype=object)[at[known]]
    uscc = r["uscc"].astype("string").str.strip().to_numpy(dtype=object) if "uscc" in r.columns else np.full(len(r), None)
    uscc = np.where(pd.isna(uscc), holder, uscc)
    accepted = _flag(r["accepted"]) if "accepted" in r.columns else np.zeros(len(r), bool)
    return pd.DataFrame({"renovation_id": r["renovation_id"].astype(str).to_numpy(), "uscc": uscc, "known": known,
                         "accepted": accepted, "expansion_m2": exp, "far_after": far_after, "contract_far": cfar})


def vertical_findings(plans: pd.DataFrame, enterprises: pd.DataFrame | None, spec: Any) -> pd.DataFrame:
    """TT-VERT findings, one per plan of :func:`vertical_plans`.

    Eligible: expansion ≥ ``min_expansion_m2``, accepted, FAR after the expansion above the
    industry's FAR and above the contract FAR (``default_contract_far`` where none). Subsidy =
    ``yuan_per_m2`` × expansion, at most ``cap_wan`` per enterprise over all its plans (taken in id
    order). Finding value = subsidy (万元); feature id = ``renovation_id``.

    Parameters
    ----------
    plans : pandas.DataFrame
        :func:`vertical_plans` of every plan.
    enterprises : pandas.DataFrame or None
        The ``enterprises`` table (``industry``).
    spec : VertSpec
        TT-VERT.

    Returns
    -------
    pandas.DataFrame
        TT-VERT findings.
    """
    if not len(plans):
        return empty_findings()
    uscc = plans["uscc"].to_numpy(dtype=object)
    known = plans["known"].to_numpy(dtype=bool)
    accepted = plans["accepted"].to_numpy(dtype=bool)
    exp = plans["expansion_m2"].to_numpy(dtype=float)
    far_after = plans["far_after"].to_numpy(dtype=float)
    cfar = plans["contract_far"].to_numpy(dtype=float)
    cfar = np.where(np.isnan(cfar), spec.default_contract_far, cfar)
    industry = np.full(len(plans), None, dtype=object)
    if enterprises is not None and "industry" in enterprises.columns:
        e = enterprises.sort_values("year").drop_duplicates("uscc", keep="last").set_index("uscc")["industry"]
        industry = e.reindex(pd.Series(uscc).astype("string")).to_numpy(dtype=object)
    ifar = industry_far(industry, spec.industry_far, spec.default_industry_far)
    big = exp >= spec.min_expansion_m2 - EPS
    above = (far_after > ifar + EPS) & (far_after > cfar + EPS)
    eligible = known & accepted & big & above
    amount = np.where(eligible, spec.yuan_per_m2 * exp / 10000.0, 0.0)
    granted = _capped_per_enterprise(amount, plans["renovation_id"].to_numpy(dtype=object), uscc, spec.cap_wan)
    far_unknown = np.isnan(far_after)
    status = np.where(~known, MISSING_DATA, np.where(eligible, PASS, np.where(far_unknown & accepted & big,
                                                                              MISSING_DATA, FAIL)))
    granted = np.where(status == MISSING_DATA, np.nan, granted)
    reasons = _vert_reasons(known, accepted, big, far_after, ifar, cfar, granted, exp, spec)
    return make_findings(plans["renovation_id"].to_numpy(dtype=object), "TT-VERT", spec.clause, status, granted,
                         spec.cap_wan, "万元", reasons)


def _capped_per_enterprise(amount: np.ndarray, renovation_id: np.ndarray, uscc: np.ndarray,
                           cap_wan: float) -> np.ndarray:
    """Grant each plan its amount until its enterprise reaches ``cap_wan`` (plans in id order).

    Parameters
    ----------
    amount : numpy.ndarray
        Uncapped subsidy per plan (万元).
    renovation_id, uscc : numpy.ndarray
        Plan id and enterprise per plan.
    cap_wan : float
        Cap per enterprise (万元).

    Returns
    -------
    numpy.ndarray
        Granted subsidy per plan, in input order.
    """
    order = np.lexsort((renovation_id, pd.Series(uscc).astype(str).to_numpy()))
    inv = np.empty_like(order)
    inv[order] = np.arange(len(order))
    a_sorted = amount[order]
    u_sorted = pd.Series(uscc).astype(str).to_numpy()[order]
    cum = pd.Series(a_sorted).groupby(u_sorted).cumsum().to_numpy()
    granted_sorted = np.clip(cap_wan - (cum - a_sorted), 0.0, a_sorted)
    return granted_sorted[inv]


def _vert_reasons(known: np.ndarray, accepted: np.ndarray, big: np.ndarray, far_after: np.ndarray,
                  ifar: np.ndarray, cfar: np.ndarray, granted: np.ndarray, exp: np.ndarray, spec: Any) -> list[str]:
    """TT-VERT message per plan: the subsidy granted, or why the plan is not eligible.

    Parameters
    ----------
    known, accepted, big : numpy.ndarray of bool
        Parcel found, plan accepted, expansion large enough.
    far_after, ifar, cfar : numpy.ndarray
        FAR after the expansion, the industry's FAR, the contract FAR.
    granted, exp : numpy.ndarray
        Subsidy granted (万元) and expansion floor area (m²).
    spec : VertSpec
        TT-VERT.

    Returns
    -------
    list of str
    """
    reasons: list[str] = []
    for k, acc, b, fa, i_f, c_f, g, e in zip(known, accepted, big, far_after, ifar, cfar, granted, exp):
        if not k:
            reasons.append("技改方案的宗地不在宗地图层中,无法核算")
            continue
        why = []
        if not b:
            why.append(f"扩建面积{fmt_value(e, spec.min_expansion_m2, 0, '', thousands=True)}平方米"
                       f"不足{spec.min_expansion_m2:,.0f}平方米")
        if not acc:
            why.append("尚未竣工验收")
        if np.isnan(fa):
            if not why:
                reasons.append("缺少建筑物图层或扩建后总建筑面积,无法计算扩建后容积率")
                continue
        else:
            if not fa > i_f + EPS:
                why.append(f"扩建后容积率{fmt_value(fa, i_f, 2)}未高于行业容积率{i_f:g}")
            if not fa > c_f + EPS:
                why.append(f"扩建后容积率{fmt_value(fa, c_f, 2)}未高于合同约定容积率{c_f:g}")
        reasons.append(f"工业大厦型零增地技改:扩建{e:,.0f}平方米,扩建后容积率{fmt_value(fa, max(i_f, c_f), 2)},"
                       f"补助{g:.2f}万元"
                       + (f"(单家企业限{spec.cap_wan:g}万元)" if g < spec.yuan_per_m2 * e / 10000.0 - 1e-9 else "")
                       if not why else "不符合补助条件:" + ";".join(why))
    return reasons
