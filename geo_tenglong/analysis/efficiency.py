"""亩均效益评价 (stage ``efficiency``): indicators, scores and classes per enterprise, the county's
totals against its targets, and TT-T4's low-efficiency enterprises.

Rules: ``MJ-EVAL`` (the evaluation, docs/rules.md), ``TT-T4`` (二、主要目标), ``TT-RATE`` (四(九)).
The join of enterprises to land is :mod:`geo_tenglong.analysis.enterprise_land`.

Indicators (POLICY.md, 亩均效益综合评价), per evaluation unit and year:

==================== ======================================= ===========
``tax_per_mu``        税收实际贡献 / 用地 (亩)                  万元/亩
``va_per_mu``         工业增加值 / 用地 (亩)                    万元/亩
``labour_productivity`` 工业增加值 / 年平均职工人数              万元/人
``va_per_energy``     工业增加值 / 综合能耗                     万元/吨标准煤
``va_per_emission``   工业增加值 / 主要污染物排放量              万元/吨
``rd_ratio``          R&D经费支出 / 营业收入                    (ratio)
==================== ======================================= ===========

A negative or missing input, or a zero denominator, leaves the indicator empty (a
``missing_data`` finding) and it scores 0; nothing is ever divided by zero.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import units
from ..findings import (
    FAIL,
    MISSING_DATA,
    MISSING_TEXT,
    NOT_APPLICABLE,
    PASS,
    WARN,
    concat_findings,
    empty_findings,
    fmt_value,
    make_findings,
)
from ..rules.efficiency import CLASSES, INDICATORS
from ..stage import StageResult
from .enterprise_land import JOIN_ISSUE_COLUMNS, LandJoin, LandPiece, join_land, land_piece, normalise_codes

if TYPE_CHECKING:
    from ..results import Results
    from ..workspace import Workspace

VALUE_COLUMNS = ["revenue", "tax", "value_added", "employees", "energy_tce", "emissions_t", "rd_expense"]

#: indicator → (numerator, denominator column of the unit table), Chinese label, unit
INDICATOR_DEFS = {
    "tax_per_mu": ("tax", "land_mu", "亩均税收", "万元/亩"),
    "va_per_mu": ("value_added", "land_mu", "亩均增加值", "万元/亩"),
    "labour_productivity": ("value_added", "employees", "全员劳动生产率", "万元/人"),
    "va_per_energy": ("value_added", "energy_tce", "单位能耗增加值", "万元/吨标准煤"),
    "va_per_emission": ("value_added", "emissions_t", "单位排放增加值", "万元/吨"),
    "rd_ratio": ("rd_expense", "revenue", "R&D经费占营业收入比重", ""),
}
_VALUE_LABELS = {"revenue": "营业收入", "tax": "税收实际贡献", "value_added": "工业增加值", "employees": "年平均职工人数",
                 "energy_tce": "综合能耗", "emissions_t": "主要污染物排放量", "rd_expense": "R&D经费支出"}

EVAL_COLUMNS = ["uscc", "name", "year", "scale", "in_scope", "land_mu", "parcel_ids", *VALUE_COLUMNS, *INDICATORS,
                "score", "eval_class", "class_name", "class_note", "low_efficiency_type", "pool_id", "pool_size"]
PARCEL_COLUMNS = ["holder_uscc", "holder_name", "tenant_count", "eval_year", "eval_class", "class_name", "eval_score",
                  "tax_per_mu", "tax_per_mu_prev", "va_per_mu", "low_efficiency", "low_efficiency_type",
                  "low_tax_enterprise", "upgrade_target"]

#: Relative tolerance for inclusive bounds (含): 亩均税收 of exactly 10 must not miss by rounding.
EPS = 1e-9


def _le(value, bound):
    return value <= bound + EPS * max(1.0, abs(bound))


def _ge(value, bound):
    return value >= bound - EPS * max(1.0, abs(bound))


def is_large(scale, label: str = "规上") -> np.ndarray:
    """Whether each ``scale`` value means 规上 (``规上``, ``规模以上``, ``是`` …)."""
    s = pd.Series(scale, dtype="string").str.strip()
    out = s.eq(label) | s.str.contains("规上|规模以上", regex=True) | s.str.lower().isin(["是", "true", "y", "yes", "1"])
    return out.fillna(False).to_numpy(dtype=bool)


def indicators(units_table: pd.DataFrame) -> pd.DataFrame:
    """The six indicators of each row of a table with the value columns and ``land_mu``.

    Negative or missing numerators and zero, negative or missing denominators give NaN.

    Parameters
    ----------
    units_table : DataFrame
        Columns :data:`VALUE_COLUMNS` and ``land_mu``.

    Returns
    -------
    DataFrame
        Columns :data:`~geo_tenglong.rules.efficiency.INDICATORS`, same index.

    Examples
    --------
    >>> t = pd.DataFrame({"tax": [50.0, -1.0], "value_added": [300.0, 10.0], "land_mu": [10.0, 0.0],
    ...                   "employees": [30, 0], "energy_tce": [100.0, 1.0], "emissions_t": [2.0, 1.0],
    ...                   "rd_expense": [20.0, 1.0], "revenue": [1000.0, 5.0]})
    >>> indicators(t)["tax_per_mu"].tolist()
    [5.0, nan]
    """
    out = pd.DataFrame(index=units_table.index)
    for name, (num, den, _label, _unit) in INDICATOR_DEFS.items():
        a = pd.to_numeric(units_table[num], errors="coerce").to_numpy(dtype=float)
        b = pd.to_numeric(units_table[den], errors="coerce").to_numpy(dtype=float)
        ok = (a >= 0) & (b > 0)
        out[name] = np.divide(a, b, out=np.full(len(a), np.nan), where=ok)
    return out


def benchmark(units_table: pd.DataFrame, ind: pd.DataFrame, mask: np.ndarray, kind: str) -> dict[str, float]:
    """County benchmark of each indicator over the rows in ``mask``.

    ``kind = "total"``: Σ numerator / Σ denominator over rows where the indicator is defined;
    ``"mean"``: the plain mean of the rows' indicator values.
    """
    out = {}
    for name, (num, den, _l, _u) in INDICATOR_DEFS.items():
        v = ind[name].to_numpy()
        ok = mask & ~np.isnan(v)
        if not ok.any():
            out[name] = np.nan
        elif kind == "mean":
            out[name] = float(v[ok].mean())
        else:
            d = float(units_table[den].to_numpy(dtype=float)[ok].sum())
            out[name] = float(units_table[num].to_numpy(dtype=float)[ok].sum()) / d if d > 0 else np.nan
    return out


def score(ind: pd.DataFrame, weights: dict[str, float], bench: dict[str, float]) -> np.ndarray:
    """Σ weight × value / benchmark; an empty value or benchmark scores 0 for that indicator."""
    total = np.zeros(len(ind))
    for name, w in weights.items():
        b = bench.get(name, np.nan)
        if not w or not (b > 0):
            continue
        v = ind[name].to_numpy(dtype=float)
        total += np.where(np.isnan(v), 0.0, w * v / b)
    return total


def rank_classes(scores: np.ndarray, tiebreak: np.ndarray, ids: np.ndarray, shares: dict[str, float]) -> np.ndarray:
    """Classes A–D by rank share: the top round(share_A × n) are A, and so on (cumulative).

    Ties are broken by ``tiebreak`` (higher first), then ``ids``.

    Examples
    --------
    >>> rank_classes(np.array([3.0, 1.0, 2.0, 0.0]), np.zeros(4), np.array(list("abcd")),
    ...              {"A": 0.25, "B": 0.25, "C": 0.25, "D": 0.25}).tolist()
    ['A', 'C', 'B', 'D']
    """
    n = len(scores)
    out = np.full(n, None, dtype=object)
    if n == 0:
        return out
    order = np.lexsort((np.asarray(ids), -np.nan_to_num(tiebreak, nan=-np.inf), -scores))
    cum = np.floor(np.cumsum([shares[c] for c in CLASSES]) * n + 0.5).astype(int)
    cum[-1] = n
    rank = np.empty(n, dtype=int)
    rank[order] = np.arange(n)
    idx = np.searchsorted(cum, rank, side="right")
    out[:] = np.asarray(CLASSES, dtype=object)[np.minimum(idx, 3)]
    return out


def band_classes(scores: np.ndarray, bands: dict[str, float]) -> np.ndarray:
    """Classes by score bands: A ≥ bands[A], B ≥ bands[B], C ≥ bands[C], else D."""
    return np.select([scores >= bands["A"], scores >= bands["B"], scores >= bands["C"]], ["A", "B", "C"], "D").astype(object)


def eval_year(years, as_of_year: int, fixed: int = 0) -> int | None:
    """The evaluation year (上一年度亩均评价): ``fixed`` if set, else the year before the as-of year.

    Never "the latest year present in the data": rows for the as-of year or later (next year's
    figures arriving early) do not move it, and a year with no rows is still the evaluation year
    (its classes are then missing, never borrowed from another year). ``None`` only when the data
    has no year at all.

    Examples
    --------
    >>> eval_year([2021, 2022, 2023], 2023)
    2022
    >>> eval_year([2020, 2021], 2023)
    2022
    >>> eval_year([2021, 2022], 2023, fixed=2021)
    2021
    """
    if fixed:
        return int(fixed)
    if not len({int(y) for y in years}):
        return None
    return int(as_of_year) - 1


def _bools(values) -> np.ndarray:
    """Flags as plain bools, False where missing (a parcel without a unit is not flagged)."""
    return pd.Series(values, dtype=object).astype("boolean").fillna(False).to_numpy(dtype=bool)


def _not_applicable(admin_code: str, rule_id: str, ruleset: str) -> pd.DataFrame:
    return make_findings([admin_code], rule_id, "", NOT_APPLICABLE, message=f"本县规则集({ruleset})无此条款,不适用")


def _num_str(values, decimals=2) -> pd.Series:
    """Numbers as text with ``decimals`` (``无数据`` for NaN), vectorised."""
    v = pd.Series(np.asarray(values, dtype=float))
    return v.round(decimals).map(("{:." + str(decimals) + "f}").format).where(v.notna(), "无数据").astype("string")


def efficiency_piece(ws: Workspace, results: Results, own: int, rows: np.ndarray) -> LandPiece | None:
    """The parcel-by-parcel part of the stage for some of the parcels (the map of a partition).

    Each of the own parcels' land (planar area, unrounded) and, for ``tenants = "apportion"``,
    floor area (``buildings`` to parcels, measured against every parcel of ``results``), joined
    to the codes on them (:func:`~geo_tenglong.analysis.enterprise_land.land_piece`).

    Parameters
    ----------
    ws : Workspace
        Table ``tenancy`` (the rows naming the own parcels), layer ``buildings``, ruleset.
    results : Results
        ``results.parcels``: the own parcels first, then any others (a partition's halo).
    own : int
        How many of ``results.parcels``' first rows are the piece's.
    rows : numpy.ndarray
        Row positions of ``results.parcels``' rows in the whole parcels layer.

    Returns
    -------
    LandPiece or None
        ``None`` when the ruleset has no ``MJ-EVAL``.
    """
    spec = ws.ruleset.get("MJ-EVAL")
    if spec is None:
        return None
    parcels = results.parcels.iloc[:own]
    ptable = pd.DataFrame({"parcel_id": parcels["parcel_id"].to_numpy(),
                           "land_m2": np.asarray(parcels.geometry.area, dtype=float)})
    for c in ("owner_uscc", "land_use_code"):
        if c in parcels.columns:
            ptable[c] = parcels[c].to_numpy()
    floor = None
    if spec.tenants == "apportion" and ws.layer("buildings") is not None:
        from .intensity import parcel_floor_area

        floor = parcel_floor_area(ws.layer("buildings"), results.parcels, ws.ruleset.get("NAT-FAR")).iloc[:own]
    return land_piece(ptable, np.asarray(rows)[:own], ws.table("tenancy"), spec, floor)


def _fmt_many(values, thresholds: np.ndarray, unit: str) -> np.ndarray:
    """:func:`~geo_tenglong.findings.fmt_value` with 2 decimals of each value against its threshold, vectorised.

    A value more than 0.0101 from its threshold prints with 2 decimals on its own side of it (each
    rounds by at most 0.005), so only values closer than that go through ``fmt_value`` one by one.
    """
    v = np.asarray(values, dtype=float)
    t = np.asarray(thresholds, dtype=float)
    out = np.full(len(v), MISSING_TEXT, dtype=object)
    ok = np.isfinite(v)
    plain = ok & (~np.isfinite(t) | (np.abs(v - t) > 0.0101))
    out[plain] = pd.Series(v[plain]).map("{:.2f}".format).to_numpy(dtype=object) + unit
    near = np.flatnonzero(ok & ~plain)
    out[near] = [fmt_value(v[i], t[i], 2, unit) for i in near]
    return out


def _join_enterprises(ws: Workspace, results: Results, spec, pieces: list | None) -> tuple[LandJoin, pd.DataFrame]:
    """Join the enterprises to the parcels' land and coerce their figures.

    Parameters
    ----------
    ws : Workspace
        Tables ``enterprises``, ``tenancy``; layer ``buildings`` (``tenants = "apportion"``).
    results : Results
        ``results.parcels``.
    spec : EvalSpec
        ``MJ-EVAL``.
    pieces : list of LandPiece, optional
        :func:`efficiency_piece` of parts of the parcels, every parcel in one; ``None``: one piece
        of them all, made here.

    Returns
    -------
    (LandJoin, DataFrame)
        The join and its enterprise rows with float :data:`VALUE_COLUMNS`, ``name``, ``scale`` and
        ``large``.
    """
    parcels = results.parcels
    if pieces is None:
        pieces = [efficiency_piece(ws, results, len(parcels), np.arange(len(parcels)))]
    j = join_land(pieces, parcels["parcel_id"], ws.table("enterprises"), spec)
    ent = j.enterprises
    for c in VALUE_COLUMNS:
        ent[c] = pd.to_numeric(ent[c], errors="coerce").astype(float) if c in ent.columns else np.nan
    for c in ("name", "scale"):
        if c not in ent.columns:
            ent[c] = None
    ent["large"] = is_large(ent["scale"], spec.large_label)
    return j, ent


def _negative_inputs(ent: pd.DataFrame, spec, findings: list[pd.DataFrame]) -> None:
    """Report negative figures against the enterprise row (``missing_data``), then blank them.

    Parameters
    ----------
    ent : DataFrame
        Enterprise rows; negative :data:`VALUE_COLUMNS` are set to NaN in place.
    spec : EvalSpec
        ``MJ-EVAL`` (the clause).
    findings : list of DataFrame
        Appended to.
    """
    for c in VALUE_COLUMNS:
        neg = (ent[c] < 0).to_numpy()
        if neg.any():
            b = ent[neg]
            rows = b["source_row"] if "source_row" in b.columns else [""] * len(b)
            findings.append(make_findings(b["uscc"], "MJ-EVAL", spec.clause, MISSING_DATA, b[c], np.nan, "",
                                          [f"{n}({u}) {y}年{_VALUE_LABELS[c]}为负数({v:g}),按缺失处理(第{r}行)"
                                           for n, u, y, v, r in zip(b["name"].astype(object), b["uscc"], b["year"],
                                                                    b[c], rows)]))
            ent.loc[neg, c] = np.nan


def _unit_table(ent: pd.DataFrame, j: LandJoin, spec) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Units × years: sums of the members' figures, the unit's land, scope and indicators.

    Parameters
    ----------
    ent : DataFrame
        Enterprise rows with ``unit``, ``unit_id``, ``code``, ``large`` and :data:`VALUE_COLUMNS`.
    j : LandJoin
        The join (``unit_land``).
    spec : EvalSpec
        ``MJ-EVAL`` (``small_min_mu``).

    Returns
    -------
    (DataFrame, DataFrame)
        The unit table and its :func:`indicators` (same index).
    """
    grp = ent.groupby(["unit", "year"], sort=True)
    ut = grp[VALUE_COLUMNS].sum(min_count=1)
    ut["large"] = grp["large"].any()
    ut["members"] = grp["code"].nunique()
    ut["own_revenue_max"] = grp["revenue"].max()  # TT-T4: 亿元企业 by a member's own 营业收入
    ut = ut.reset_index()
    unit_name = ent.groupby("unit")["unit_id"].first()
    ut["unit_id"] = unit_name.reindex(ut["unit"]).to_numpy(dtype=object)
    ul = j.unit_land
    ut["land_mu"] = ul["land_mu"].reindex(ut["unit"]).fillna(0.0).to_numpy()
    ut["land_m2"] = ul["land_m2"].reindex(ut["unit"]).fillna(0.0).to_numpy()
    ut["parcel_ids"] = ul["parcel_ids"].reindex(ut["unit"]).to_numpy(dtype=object)
    ut["in_scope"] = (ut["land_mu"] > 0) & (ut["large"] | _ge(ut["land_mu"], spec.small_min_mu))
    ind = indicators(ut)
    for c in INDICATORS:
        ut[c] = ind[c].to_numpy()
    return ut, ind


def _score_units(ut: pd.DataFrame, ind: pd.DataFrame, spec) -> dict[str, dict[str, float]]:
    """Scores, classes and class notes of the units in scope, per year and scale group.

    Parameters
    ----------
    ut : DataFrame
        The unit table; ``score``, ``eval_class`` and ``class_note`` are set in place.
    ind : DataFrame
        Its indicators.
    spec : EvalSpec
        ``MJ-EVAL``.

    Returns
    -------
    dict
        The benchmarks used, keyed ``"<year>规上"`` / ``"<year>规下"``.
    """
    score_col = np.full(len(ut), np.nan)
    class_col = np.full(len(ut), None, dtype=object)
    benchmarks = {}
    scoped = ut["in_scope"].to_numpy()
    keys = pd.DataFrame({"year": ut["year"].to_numpy(), "large": ut["large"].to_numpy(dtype=bool)})[scoped]
    for (year, large), idx in keys.groupby(["year", "large"]).indices.items():
        rows = np.flatnonzero(scoped)[idx]
        mask = np.zeros(len(ut), bool)
        mask[rows] = True
        bench = benchmark(ut, ind, mask, spec.benchmark_kind)
        bench.update(spec.benchmarks)
        benchmarks[f"{int(year)}{'规上' if large else '规下'}"] = bench
        sc = score(ind.iloc[rows], spec.weights(bool(large)), bench)
        score_col[rows] = sc
        if spec.class_method == "rank":
            class_col[rows] = rank_classes(sc, ut["tax_per_mu"].to_numpy()[rows], ut["unit"].to_numpy()[rows],
                                           spec.class_shares)
        else:
            class_col[rows] = band_classes(sc, spec.score_bands)
    ut["score"] = score_col
    ut["eval_class"] = class_col
    note = np.full(len(ut), "", dtype=object)
    multi = ut["members"].to_numpy() > 1
    note[multi] = ("一地多企:与同宗地企业合并评价(" + ut["members"][multi].astype(str) + "家)").to_numpy(dtype=object)
    land_mu = ut["land_mu"].to_numpy()
    note[~scoped & (land_mu <= 0)] = "未关联到工业用地,未参评"
    note[~scoped & (land_mu > 0)] = f"规下企业用地不足{spec.small_min_mu:g}亩,不在评价范围"
    ut["class_note"] = note
    return benchmarks


def _missing_indicators(ut: pd.DataFrame, spec, ey: int | None, last: np.ndarray,
                        findings: list[pd.DataFrame]) -> None:
    """``missing_data`` findings for indicators that cannot be computed in the evaluation year.

    Every weighted indicator that is empty, any whose denominator is reported as 0 (zero
    employees, energy, emissions, revenue), and the land indicators of units whose parcels have
    zero area (degenerate polygons).

    Parameters
    ----------
    ut : DataFrame
        The scored unit table.
    spec : EvalSpec
        ``MJ-EVAL``.
    ey : int or None
        The evaluation year.
    last : numpy.ndarray
        Mask of the unit table's evaluation-year rows.
    findings : list of DataFrame
        Appended to.
    """
    scoped = ut["in_scope"].to_numpy()
    for name, (num, den, label, unit) in INDICATOR_DEFS.items():
        w = np.where(ut["large"], spec.weights_large.get(name, 0.0), spec.weights_small.get(name, 0.0))
        empty = ut[name].isna().to_numpy()
        zero_den = (ut[den].to_numpy(dtype=float) == 0) if den != "land_mu" else np.zeros(len(ut), bool)
        miss = last & scoped & empty & ((w > 0) | zero_den)
        if miss.any():
            why = np.where(zero_den[miss], f"{_VALUE_LABELS.get(den, den)}为0",
                           f"{_VALUE_LABELS.get(num, num)}或{_VALUE_LABELS.get(den, '用地面积')}缺失、为负或为0")
            tail = np.where(w[miss] > 0, ",该项按0分计", "")
            findings.append(make_findings(ut["unit_id"].to_numpy()[miss], "MJ-EVAL", spec.clause, MISSING_DATA, np.nan,
                                          np.nan, unit, f"{ey}年{label}无法计算(" + why.astype(object) + ")"
                                          + tail.astype(object)))

    zero = last & ut["parcel_ids"].notna().to_numpy() & (ut["land_mu"].to_numpy() <= 0)
    if zero.any():
        for name in ("tax_per_mu", "va_per_mu"):
            findings.append(make_findings(ut["unit_id"].to_numpy()[zero], "MJ-EVAL", spec.clause, MISSING_DATA, np.nan,
                                          np.nan, "亩", f"{ey}年{INDICATOR_DEFS[name][2]}无法计算:用地面积为0或无法量算(宗地"
                                          + ut["parcel_ids"][zero].astype(str).to_numpy(dtype=object) + ")"))


def _rated_projects(projects: pd.DataFrame, rate, ent: pd.DataFrame, j: LandJoin,
                    issues: list[pd.DataFrame]) -> pd.DataFrame:
    """The projects that count for TT-RATE (under construction, key if required), with their unit.

    Parameters
    ----------
    projects : DataFrame
        The ``projects`` table.
    rate : RatingIncentiveSpec
        ``TT-RATE``.
    ent : DataFrame
        Enterprise rows (``code``, ``unit``).
    j : LandJoin
        The join (``codes``).
    issues : list of DataFrame
        Appended to (projects of enterprises without 亩均 data).

    Returns
    -------
    DataFrame
        The counting projects of known enterprises, with integer ``unit``.
    """
    pr = projects.copy()
    pr["uscc"] = normalise_codes(pr["uscc"]).to_numpy(dtype=object)
    pr["total_investment"] = pd.to_numeric(pr["total_investment"], errors="coerce") \
        if "total_investment" in pr.columns else np.nan
    ok = pr["under_construction"].astype("boolean").fillna(False).to_numpy(dtype=bool) \
        if "under_construction" in pr.columns else np.zeros(len(pr), bool)
    if rate.key_only:
        ok &= pr["key_project"].astype("boolean").fillna(False).to_numpy(dtype=bool) \
            if "key_project" in pr.columns else np.zeros(len(pr), bool)
    pr = pr[ok]
    unit_of_code = np.full(len(j.codes) + 1, -1, dtype=np.int64)
    unit_of_code[ent["code"].to_numpy()] = ent["unit"].to_numpy()
    pc = pd.Index(j.codes).get_indexer(pr["uscc"].to_numpy(dtype=object))
    pr["unit"] = unit_of_code[np.where(pc >= 0, pc, len(j.codes))]
    unknown = (pr["unit"] < 0).to_numpy()
    if unknown.any():
        b = pr[unknown]
        rows = b["source_row"].to_numpy() if "source_row" in b.columns else [None] * len(b)
        issues.append(pd.DataFrame({"kind": "project_unknown_enterprise", "uscc": b["uscc"].to_numpy(dtype=object),
                                    "parcel_id": b["parcel_id"].to_numpy(dtype=object) if "parcel_id" in b.columns
                                    else None, "source": "projects", "source_row": rows,
                                    "message": [f"重点项目表第{r}行 企业{u}不在亩均效益数据中,未作评价激励"
                                                for r, u in zip(rows, b["uscc"])]}))
    return pr[~unknown].astype({"unit": np.int64})


def _apply_rate(ut: pd.DataFrame, pr: pd.DataFrame, rate, last: np.ndarray) -> None:
    """TT-RATE: key projects under construction lift the class of their unit (evaluation year).

    Parameters
    ----------
    ut : DataFrame
        The scored unit table; ``eval_class``, ``class_note`` and ``_rate`` are set in place.
    pr : DataFrame
        The counting projects (:func:`_rated_projects`).
    rate : RatingIncentiveSpec
        ``TT-RATE``.
    last : numpy.ndarray
        Mask of the evaluation-year rows.
    """
    scoped = ut["in_scope"].to_numpy()
    best = pr.sort_values("total_investment", ascending=False).drop_duplicates("unit").set_index("unit")
    target = last & scoped & ut["unit"].isin(best.index).to_numpy()
    inv_u = best["total_investment"].reindex(ut["unit"]).to_numpy(dtype=float)
    pname = (best["name"] if "name" in best.columns else pd.Series(dtype=object)).reindex(ut["unit"]) \
        .to_numpy(dtype=object)
    was = ut["eval_class"].to_numpy(dtype=object)
    to_a = target & _ge(np.nan_to_num(inv_u, nan=-1), rate.class_a_investment)
    not_d = target & ~to_a & _ge(np.nan_to_num(inv_u, nan=-1), rate.not_d_investment) & (was == "D")
    for mask, text in ((to_a, "列入A类"), (not_d, "不列入D类")):
        if not mask.any():
            continue
        add = [f"TT-RATE {rate.clause}:重点项目{n if isinstance(n, str) else ''}(总投资{v:g}万元)在建,建设期间{text}"
               f"(按评分为{c}类)" for n, v, c in zip(pname[mask], inv_u[mask], was[mask])]
        old = ut["class_note"].to_numpy(dtype=object)[mask]
        ut.loc[mask, "class_note"] = [f"{o};{a}" if o else a for o, a in zip(old, add)]
    ut.loc[to_a, "eval_class"] = "A"
    ut.loc[not_d, "eval_class"] = "C"
    ut["_rate"] = np.where(to_a, "A", np.where(not_d, "notD", ""))


def _low_efficiency(ut: pd.DataFrame, t4, ey: int, last: np.ndarray) -> list[pd.DataFrame]:
    """TT-T4 low-efficiency enterprises among the evaluation year's units.

    Parameters
    ----------
    ut : DataFrame
        The unit table; ``low_efficiency_type``, ``low_tax_enterprise`` and ``upgrade_target`` are
        set in place.
    t4 : LowEfficiencySpec
        ``TT-T4``.
    ey : int
        The evaluation year.
    last : numpy.ndarray
        Mask of the evaluation-year rows.

    Returns
    -------
    list of DataFrame
        Per test (``large``, ``low``): ``unit, status, value, threshold, kind, label, prev, revenue``.
    """
    low_type = np.full(len(ut), "", dtype=object)
    t4_rows = []
    kind_flag = {"large": np.zeros(len(ut), bool), "low": np.zeros(len(ut), bool)}
    piv = ut.pivot(index="unit", columns="year", values="tax_per_mu")
    cur = ut[last].set_index("unit")
    cand = cur[cur["in_scope"]] if t4.in_scope_only else cur[cur["land_mu"] > 0]

    def year_values(y):
        return piv[y].reindex(cand.index).to_numpy(dtype=float) if y in piv.columns else np.full(len(cand), np.nan)

    prev = year_values(ey - 1)
    now = cand["tax_per_mu"].to_numpy(dtype=float)
    rev = cand["own_revenue_max"].to_numpy(dtype=float)  # own revenue, never a pool's sum
    pos_in_ut = np.flatnonzero(last)[np.flatnonzero(cur["in_scope"].to_numpy() if t4.in_scope_only
                                                    else (cur["land_mu"] > 0).to_numpy())]
    for kind, k, cap, extra, label in (
            ("large", t4.large_years, t4.large_tax_max, _ge(np.nan_to_num(rev, nan=-1), t4.revenue_min),
             f"亿元企业(营业收入≥{t4.revenue_min:g}万元)亩均税收连续{t4.large_years}年≤{t4.large_tax_max:g}万元/亩"),
            ("low", t4.low_years, t4.low_tax_max, np.ones(len(cand), bool),
             "低效企业亩均税收" + (f"连续{t4.low_years}年" if t4.low_years > 1 else "") + f"≤{t4.low_tax_max:g}万元/亩")):
        w = np.column_stack([year_values(y) for y in range(ey - k + 1, ey + 1)])
        known = ~np.isnan(w).any(axis=1)
        flag = extra & known & _le(np.where(np.isnan(w), np.inf, w), cap).all(axis=1)
        could = _le(np.where(np.isnan(w), -np.inf, w), cap).all(axis=1)
        missing = extra & ~known & could
        if kind == "large":  # 亿元企业 or not cannot be told without the revenue
            missing |= np.isnan(rev) & could
        status = np.where(flag, FAIL, np.where(missing, MISSING_DATA, PASS))
        t4_rows.append(pd.DataFrame({"unit": cand.index.to_numpy(), "status": status, "value": now,
                                     "threshold": cap, "kind": kind, "label": label, "prev": prev,
                                     "revenue": rev}))
        hit = pos_in_ut[flag]
        low_type[hit] = np.where(low_type[hit] == "", label, low_type[hit] + ";" + label)
        kind_flag[kind][hit] = True
    ut["low_efficiency_type"] = low_type
    ut["low_tax_enterprise"] = kind_flag["low"]
    ut["upgrade_target"] = kind_flag["large"]
    return t4_rows


def evaluate(ws: Workspace, results: Results, pieces: list[LandPiece] | None = None) -> dict:
    """The whole evaluation as tables (the stage wraps it); see :func:`assess_efficiency`.

    Parameters
    ----------
    ws : Workspace
        The workspace (ruleset with ``MJ-EVAL``).
    results : Results
        ``results.parcels``.
    pieces : list of LandPiece, optional
        The parcels' :func:`efficiency_piece` (default: one of them all, made here).

    Returns
    -------
    dict
        ``spec``, ``join``, ``ent`` (enterprise rows), ``units`` (units × years), ``eval_year``,
        ``findings`` (list), ``issues`` (list), ``t4`` (list), ``benchmarks``, ``years``.
    """
    rs = ws.ruleset
    spec = rs.get("MJ-EVAL")
    j, ent = _join_enterprises(ws, results, spec, pieces)
    findings: list[pd.DataFrame] = []
    _negative_inputs(ent, spec, findings)   # reported, then treated as missing
    ut, ind = _unit_table(ent, j, spec)
    benchmarks = _score_units(ut, ind, spec)

    years = sorted(int(y) for y in ut["year"].unique())
    ey = eval_year(years, ws.as_of.year, spec.year)
    last = (ut["year"] == ey).to_numpy() if ey is not None else np.zeros(len(ut), bool)
    if ey is not None and not last.any():
        findings.append(make_findings([ws.admin_code], "MJ-EVAL", spec.clause, MISSING_DATA, np.nan, float(ey), "年",
                                      f"亩均效益数据表无{ey}年度(上一年度)数据,无法确定上一年度亩均评价结果"
                                      f"(表中年度:{'、'.join(map(str, years))})"))
    _missing_indicators(ut, spec, ey, last, findings)

    rate = rs.get("TT-RATE")
    projects = ws.table("projects")
    issues = [j.issues]
    ut["_rate"] = ""
    if rate is None:
        findings.append(_not_applicable(ws.admin_code, "TT-RATE", rs.name))
    elif projects is not None and len(projects) and ey is not None:
        _apply_rate(ut, _rated_projects(projects, rate, ent, j, issues), rate, last)
    cls = ut["eval_class"].to_numpy(dtype=object)
    # numpy's stubs do not accept None as the default, numpy does (an object array)
    ut["class_name"] = pd.Series(np.select([cls == k for k in CLASSES], [spec.class_name(k) for k in CLASSES],
                                           None),  # type: ignore[call-overload]
                                 dtype=object).to_numpy()

    t4 = rs.get("TT-T4")
    t4_rows: list[pd.DataFrame] = []
    if t4 is None:
        findings.append(_not_applicable(ws.admin_code, "TT-T4", rs.name))
    if t4 is not None and ey is not None:
        t4_rows = _low_efficiency(ut, t4, ey, last)
    else:
        ut["low_efficiency_type"] = np.full(len(ut), "", dtype=object)
        ut["low_tax_enterprise"] = np.zeros(len(ut), bool)
        ut["upgrade_target"] = np.zeros(len(ut), bool)

    return {"spec": spec, "join": j, "ent": ent, "units": ut, "eval_year": ey, "findings": findings,
            "issues": issues, "t4": t4_rows, "benchmarks": benchmarks, "years": years}


def tenant_users(tenancy: pd.DataFrame | None, latest: pd.DataFrame) -> tuple[dict, dict]:
    """Per parcel, the tenant with 亩均 data using most floor area (ties: the smaller code).

    Parameters
    ----------
    tenancy : DataFrame or None
        ``parcel_id``, ``uscc``, ``floor_area_m2`` (optional).
    latest : DataFrame
        One row per enterprise with data: ``uscc`` (normalised) and ``name``.

    Returns
    -------
    (dict, dict)
        ``parcel_id → uscc`` and ``parcel_id → name``; empty without a tenancy table.
    """
    if tenancy is None or not len(tenancy) or not {"parcel_id", "uscc"} <= set(tenancy.columns) or not len(latest):
        return {}, {}
    names = latest.drop_duplicates("uscc").set_index(latest.drop_duplicates("uscc")["uscc"].astype(str))["name"]
    t = pd.DataFrame({"parcel_id": pd.Series(tenancy["parcel_id"], dtype="string").str.strip().to_numpy(),
                      "uscc": normalise_codes(tenancy["uscc"]).to_numpy(),
                      "fa": pd.to_numeric(tenancy["floor_area_m2"], errors="coerce").to_numpy(dtype=float)
                      if "floor_area_m2" in tenancy.columns else np.nan})
    t = t[t["parcel_id"].notna() & t["uscc"].isin(list(names.index)).to_numpy()]
    if not len(t):
        return {}, {}
    t = t.assign(fa=t["fa"].fillna(-1.0)).sort_values(["parcel_id", "fa", "uscc"], ascending=[True, False, True])
    t = t.drop_duplicates("parcel_id")
    codes = dict(zip(t["parcel_id"].astype(str), t["uscc"].astype(str)))
    return codes, {p: names.get(u) for p, u in codes.items()}


def county_metrics(ut: pd.DataFrame, ey: int | None) -> dict[str, float | None]:
    """The county's 规上 totals for the evaluation year (TT-T1…T3, T5, T6, DQ-T1, DQ-T2 metrics).

    Each ratio is Σ numerator / Σ denominator over the 规上 units in scope where both are valid;
    ``energy_intensity_drop_pct`` compares Σ energy / Σ value added with the year before.
    """
    out: dict[str, float] = {}
    if ey is None:
        return {}

    def ratio(year, num, den, pos_den=True):
        t = ut[(ut["year"] == year) & ut["large"] & ut["in_scope"]]
        a, b = t[num].to_numpy(dtype=float), t[den].to_numpy(dtype=float)
        ok = (a >= 0) & (b > 0)
        return float(a[ok].sum() / b[ok].sum()) if ok.any() and b[ok].sum() > 0 else np.nan

    out["tax_per_mu"] = ratio(ey, "tax", "land_mu")
    out["va_per_mu"] = ratio(ey, "value_added", "land_mu")
    out["labour_productivity"] = ratio(ey, "value_added", "employees")
    out["rd_ratio_pct"] = ratio(ey, "rd_expense", "revenue") * 100.0
    e_now, e_prev = ratio(ey, "energy_tce", "value_added"), ratio(ey - 1, "energy_tce", "value_added")
    out["energy_intensity_drop_pct"] = (1.0 - e_now / e_prev) * 100.0 if e_prev > 0 else np.nan
    return {k: (None if np.isnan(v) else round(v, 4)) for k, v in out.items()}


def _not_applicable_result(ws: Workspace, parcels: pd.DataFrame) -> StageResult:
    """The stage's result when the ruleset has no ``MJ-EVAL``: empty columns and tables.

    Parameters
    ----------
    ws : Workspace
        The workspace (admin code, ruleset name).
    parcels : DataFrame
        ``results.parcels``.

    Returns
    -------
    StageResult
    """
    cols = pd.DataFrame(index=pd.Index(parcels["parcel_id"], name="parcel_id"), columns=PARCEL_COLUMNS)
    cols["low_efficiency"] = False
    cols["low_tax_enterprise"] = False
    cols["upgrade_target"] = False
    return StageResult(findings=_not_applicable(ws.admin_code, "MJ-EVAL", ws.ruleset.name), parcel_columns=cols,
                       layers={"enterprise_eval": pd.DataFrame(columns=EVAL_COLUMNS),
                               "join_issues": pd.DataFrame(columns=JOIN_ISSUE_COLUMNS)})


def _eval_table(ut: pd.DataFrame, ent: pd.DataFrame) -> pd.DataFrame:
    """``enterprise_eval``: each enterprise's own figures, its unit's land, indicators and result.

    Parameters
    ----------
    ut : DataFrame
        The unit table of :func:`evaluate`.
    ent : DataFrame
        The enterprise rows of :func:`evaluate`.

    Returns
    -------
    DataFrame
        Columns :data:`EVAL_COLUMNS`, sorted by year and code.
    """
    ut_key = pd.Index(ut["unit"].to_numpy(dtype=np.int64) * 10000 + ut["year"].to_numpy(dtype=np.int64))
    year = ent["year"].to_numpy()
    order = np.lexsort((pd.factorize(ent["uscc"], sort=True)[0], year))   # by year and code, rows put in order once
    at = ut_key.get_indexer(ent["unit"].to_numpy(dtype=np.int64)[order] * 10000 + year[order].astype(np.int64))
    cols = {c: ent[c].array.take(order) for c in ("uscc", "name")}
    cols["year"] = year[order]
    cols["scale"] = ent["scale"].array.take(order)
    for c in ("in_scope", "land_mu", "parcel_ids", *INDICATORS, "score", "eval_class", "class_name", "class_note",
              "low_efficiency_type"):
        cols[c] = ut[c].array.take(at)
    for c in VALUE_COLUMNS:
        cols[c] = ent[c].to_numpy(dtype=float)[order]
    table = pd.DataFrame(cols)
    for c, dtype in table.dtypes.items():
        if isinstance(dtype, pd.StringDtype) and dtype.na_value is pd.NA:  # text columns as pandas infers them
            table[c] = table[c].astype("str")
    table["in_scope"] = table["in_scope"].astype(bool)
    table["land_mu"] = table["land_mu"].astype(float).round(units.MU_DECIMALS)
    table["low_efficiency_type"] = table["low_efficiency_type"].where(table["low_efficiency_type"] != "", None)
    table["pool_id"] = ent["unit_id"].array.take(order)
    table["pool_size"] = ut["members"].to_numpy()[at]
    return table[EVAL_COLUMNS]


def _pick(frame: pd.DataFrame, uid: np.ndarray, col: str, dtype: type = float) -> np.ndarray:
    """``frame[col]`` (indexed by unit) for each unit in ``uid``; empty values when ``frame`` is empty.

    Parameters
    ----------
    frame : DataFrame
        Unit rows indexed by ``unit``.
    uid : numpy.ndarray
        The unit of each parcel (−1 for none).
    col : str
        The column.
    dtype : type
        ``float`` or ``object``.

    Returns
    -------
    numpy.ndarray
    """
    if not len(frame):
        return np.full(len(uid), np.nan if dtype is float else None, dtype=dtype)
    at = frame.index.get_indexer(uid)
    out = frame[col].to_numpy(dtype=dtype)[np.maximum(at, 0)]   # the units' values first: far fewer than parcels
    out[at < 0] = np.nan
    return out


def _holders(ws: Workspace, parcels: pd.DataFrame, j: LandJoin, ent: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each parcel's holder code and name, in ``parcel_unit`` order.

    一地多企 with a holder that has no 亩均 data: the enterprise that uses the land is the tenant
    with data using most floor area (issue 14.5) — what reports call 实际使用企业.

    Parameters
    ----------
    ws : Workspace
        Table ``tenancy``.
    parcels : DataFrame
        ``results.parcels`` (``owner_name`` fills names that are still missing).
    j : LandJoin
        The join.
    ent : DataFrame
        The enterprise rows.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``holder_uscc`` and ``holder_name`` (object arrays).
    """
    pu = j.parcel_unit
    latest = ent.sort_values("year").drop_duplicates("code", keep="last")
    name_by_code = np.full(len(j.codes) + 1, None, dtype=object)
    name_by_code[latest["code"].to_numpy()] = latest["name"].to_numpy(dtype=object)
    hc = pu["holder_code"].to_numpy()
    holder_name = name_by_code[np.where(hc >= 0, hc, len(j.codes))]
    holder_uscc = pu["holder_uscc"].to_numpy(dtype=object)
    lead_code, lead_name = tenant_users(ws.table("tenancy"), latest)
    if lead_code:
        with_data = np.zeros(len(j.codes) + 1, dtype=bool)
        with_data[latest["code"].to_numpy()] = True
        at = pd.Index(list(lead_code), dtype=object).get_indexer(pu["parcel_id"].to_numpy(dtype=object))
        by_tenant = (at >= 0) & ~with_data[np.where(hc >= 0, hc, len(j.codes))]
        holder_uscc = np.where(by_tenant, np.asarray(list(lead_code.values()), dtype=object)[at], holder_uscc)
        holder_name = np.where(by_tenant, np.asarray([lead_name[p] for p in lead_code], dtype=object)[at], holder_name)
    if "owner_name" in parcels.columns:
        holder_name = np.where(pd.isna(holder_name), parcels["owner_name"].to_numpy(dtype=object), holder_name)
    return holder_uscc, holder_name


def _parcel_columns(ws: Workspace, parcels: pd.DataFrame, ev: dict, cur: pd.DataFrame,
                    prev: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The parcel columns (:data:`PARCEL_COLUMNS`): the unit each parcel shows.

    Parameters
    ----------
    ws : Workspace
        The workspace.
    parcels : DataFrame
        ``results.parcels``.
    ev : dict
        :func:`evaluate`'s result.
    cur, prev : DataFrame
        The unit rows of the evaluation year and the year before, indexed by ``unit``.

    Returns
    -------
    (DataFrame, numpy.ndarray)
        The columns indexed by ``parcel_id`` (``parcel_unit`` order) and the in-scope mask.
    """
    ey, pu = ev["eval_year"], ev["join"].parcel_unit
    uid = pu["unit"].to_numpy(dtype=np.int64)
    holder_uscc, holder_name = _holders(ws, parcels, ev["join"], ev["ent"])
    scoped = _pick(cur, uid, "in_scope", object)
    scoped = np.asarray(pd.Series(scoped).astype("boolean").fillna(False), dtype=bool)
    low_type = _pick(cur, uid, "low_efficiency_type", object)
    # numpy's stubs reject None as a choice of where(); numpy takes it (object arrays, here and below)
    low_type = np.where(pd.isna(low_type) | (low_type == ""), None, low_type)  # type: ignore[call-overload]
    def text(values) -> pd.api.extensions.ExtensionArray:
        return pd.array(np.asarray(values, dtype=object), dtype="string")   # once, not inferred as str first

    cols = pd.DataFrame({
        "holder_uscc": text(holder_uscc), "holder_name": text(holder_name),
        "tenant_count": pd.array(pu["tenant_count"].to_numpy(), dtype="Int64"),
        "eval_year": pd.array(np.where(scoped, float(ey) if ey else np.nan, np.nan), dtype="Int64"),
        "eval_class": text(np.where(scoped, _pick(cur, uid, "eval_class", object), None)),  # type: ignore[call-overload]
        "class_name": text(np.where(scoped, _pick(cur, uid, "class_name", object), None)),  # type: ignore[call-overload]
        "eval_score": np.where(scoped, _pick(cur, uid, "score"), np.nan),
        "tax_per_mu": _pick(cur, uid, "tax_per_mu"),
        "tax_per_mu_prev": _pick(prev, uid, "tax_per_mu"),
        "va_per_mu": _pick(cur, uid, "va_per_mu"),
        "low_efficiency": pd.notna(low_type),
        "low_efficiency_type": text(low_type),
        "low_tax_enterprise": _bools(_pick(cur, uid, "low_tax_enterprise", object)),
        "upgrade_target": _bools(_pick(cur, uid, "upgrade_target", object)),
    }, index=pd.Index(pu["parcel_id"].to_numpy(dtype=object), name="parcel_id"))
    return cols, scoped


def _parcel_findings(ws: Workspace, ev: dict, cols: pd.DataFrame, scoped: np.ndarray, cur: pd.DataFrame,
                     findings: list[pd.DataFrame]) -> None:
    """Findings per parcel: the D class (``MJ-EVAL``), ``TT-T4`` flags and ``TT-RATE`` incentives.

    Parameters
    ----------
    ws : Workspace
        The workspace (ruleset).
    ev : dict
        :func:`evaluate`'s result.
    cols : DataFrame
        The parcel columns.
    scoped : numpy.ndarray
        Parcels whose unit is in scope.
    cur : DataFrame
        The evaluation year's unit rows, indexed by ``unit``.
    findings : list of DataFrame
        Appended to.
    """
    rs, spec, ey = ws.ruleset, ev["spec"], ev["eval_year"]
    pu = ev["join"].parcel_unit
    pids = pu["parcel_id"].to_numpy(dtype=object)
    uid = pu["unit"].to_numpy(dtype=np.int64)
    is_d = scoped & cols["eval_class"].eq("D").fillna(False).to_numpy(dtype=bool)
    if is_d.any():
        c = cols[is_d]
        msg = f"{ey}年亩均效益评价D类({spec.class_name('D')}),得分" + _num_str(c["eval_score"]).to_numpy(dtype=object)
        msg = np.asarray([m.replace("得分无数据", "无得分") for m in msg], dtype=object)
        findings.append(make_findings(c.index, "MJ-EVAL", spec.clause, WARN, c["eval_score"], np.nan, "分",
                                      np.asarray(msg, dtype=object)))
    if ev["t4"]:
        t4 = pd.concat(ev["t4"], ignore_index=True)
        t4 = t4[t4["status"] != PASS]                                    # flags only
        cap = t4["threshold"].to_numpy(dtype=float)
        missing = (t4["status"] == MISSING_DATA).to_numpy()
        no_revenue = (t4["kind"] == "large").to_numpy() & np.isnan(t4["revenue"].to_numpy(dtype=float))
        tail = np.where(~missing, "", np.where(no_revenue, "(营业收入无数据,无法判断是否亿元企业)", "(年度数据不全)"))
        msg = (t4["label"].to_numpy(dtype=object) + f":{ey - 1}年" + _fmt_many(t4["prev"], cap, "万元/亩")
               + f",{ey}年" + _fmt_many(t4["value"], cap, "万元/亩") + tail.astype(object))
        t4 = t4.assign(message=msg)
        p_of_u = pd.DataFrame({"parcel_id": pids, "unit": uid})
        t4 = t4.merge(p_of_u[uid >= 0], on="unit")
        findings.append(make_findings(t4["parcel_id"].to_numpy(), "TT-T4", rs.get("TT-T4").clause, t4["status"],
                                      t4["value"], t4["threshold"], "万元/亩", t4["message"].to_numpy(dtype=object)))
    r = _pick(cur, uid, "_rate", object) if "_rate" in cur.columns else np.full(len(uid), None)
    m = np.asarray(pd.Series(r).fillna("") != "", dtype=bool)
    if m.any():
        rate = rs.get("TT-RATE")
        notes = _pick(cur, uid, "class_note", object)[m]
        findings.append(make_findings(pids[m], "TT-RATE", rate.clause, PASS,
                                      np.where(r[m] == "A", rate.class_a_investment, rate.not_d_investment), np.nan,
                                      "万元", [n.split(";")[-1] for n in notes]))


def _issue_table(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """``join_issues``: the join's and the projects' issues, typed.

    Parameters
    ----------
    parts : list of DataFrame
        Issue frames (columns :data:`JOIN_ISSUE_COLUMNS`).

    Returns
    -------
    DataFrame
    """
    issues = pd.concat([i for i in parts if len(i)], ignore_index=True) if any(len(i) for i in parts) \
        else pd.DataFrame(columns=JOIN_ISSUE_COLUMNS)
    issues = issues[JOIN_ISSUE_COLUMNS].astype({"kind": "string", "uscc": "string", "parcel_id": "string",
                                                "source": "string", "message": "string"})
    issues["source_row"] = pd.to_numeric(issues["source_row"], errors="coerce").astype("Int64")
    return issues


def _summary(ev: dict, table: pd.DataFrame, issues: pd.DataFrame) -> dict:
    """The stage summary: evaluation year, counts by class, join issues by kind, benchmarks.

    Parameters
    ----------
    ev : dict
        :func:`evaluate`'s result.
    table : DataFrame
        ``enterprise_eval``.
    issues : DataFrame
        ``join_issues``.

    Returns
    -------
    dict
    """
    ut, ey = ev["units"], ev["eval_year"]
    scope = ut[(ut["year"] == ey) & ut["in_scope"]] if ey is not None else ut.iloc[:0]
    ey_rows = table[table["year"] == ey] if ey is not None else table.iloc[:0]
    return {
        "eval_year": ey,
        "enterprises": int(ev["ent"]["uscc"].nunique()),
        "units_in_scope": len(scope),
        "enterprises_in_scope": int(ey_rows.loc[ey_rows["in_scope"], "uscc"].nunique()),
        "classes": {k: int((scope["eval_class"] == k).sum()) for k in CLASSES},
        "classes_large": {k: int(((scope["eval_class"] == k) & scope["large"]).sum()) for k in CLASSES},
        "low_efficiency_units": int((scope["low_efficiency_type"] != "").sum()),
        "join_issues": {str(k): int(v) for k, v in issues["kind"].value_counts().items()},
        "benchmarks": {k: {i: (None if np.isnan(x) else round(float(x), 4)) for i, x in b.items()}
                       for k, b in ev["benchmarks"].items()},
    }


def assess_efficiency(ws: Workspace, results: Results, pieces: list[LandPiece] | None = None) -> StageResult:
    """Stage ``efficiency`` (亩均效益评价).

    The parcel-by-parcel part (:func:`efficiency_piece`) can run on parts of the parcels
    elsewhere (the dask engine's partitions); this reduces the pieces per enterprise and
    evaluates the county.

    Parameters
    ----------
    ws : Workspace
        Reads ``parcels``, tables ``enterprises``, ``tenancy``, ``projects``, and the ruleset's
        ``MJ-EVAL``, ``TT-T4``, ``TT-RATE``.
    results : Results
        ``results.parcels`` (the geometry gives the land area, unrounded).
    pieces : list of LandPiece, optional
        :func:`efficiency_piece` of parts of the parcels, every parcel in exactly one; by default
        one piece of them all, made here.

    Returns
    -------
    StageResult
        Parcel columns :data:`PARCEL_COLUMNS`; tables ``enterprise_eval`` (:data:`EVAL_COLUMNS`)
        and ``join_issues``; metrics ``tax_per_mu``, ``va_per_mu``, ``labour_productivity``,
        ``rd_ratio_pct``, ``energy_intensity_drop_pct``; findings ``MJ-EVAL`` (class per parcel,
        missing data per enterprise), ``TT-T4`` and ``TT-RATE`` per parcel.
    """
    spec = ws.ruleset.get("MJ-EVAL")
    parcels = results.parcels
    if spec is None:
        return _not_applicable_result(ws, parcels)
    ev = evaluate(ws, results, pieces)
    ut, ey = ev["units"], ev["eval_year"]
    findings = list(ev["findings"])
    if ws.table("enterprises") is None:
        findings.append(make_findings([ws.admin_code], "MJ-EVAL", spec.clause, MISSING_DATA,
                                      message="工作空间缺少亩均效益数据表(enterprises),无法评价"))
    table = _eval_table(ut, ev["ent"])
    cur = ut[ut["year"] == ey].set_index("unit") if ey is not None else ut.iloc[:0].set_index("unit")
    prev = ut[ut["year"] == (ey - 1 if ey else -1)].set_index("unit")
    cols, scoped = _parcel_columns(ws, parcels, ev, cur, prev)
    _parcel_findings(ws, ev, cols, scoped, cur, findings)
    issues = _issue_table(ev["issues"])
    metrics = {k: v for k, v in county_metrics(ut, ey).items() if v is not None}
    return StageResult(findings=concat_findings(findings) if findings else empty_findings(), parcel_columns=cols,
                       layers={"enterprise_eval": table, "join_issues": issues}, metrics=metrics,
                       summary=_summary(ev, table, issues))
