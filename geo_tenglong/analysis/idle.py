"""Idle land (闲置土地): from the land contracts and from land-cover imagery.

From contracts (出让合同/划拨决定书), as of the workspace's as-of date, under 《闲置土地处置办法》
(国土资源部令第53号), which each county applies through its own clause (天台 TT-IDLE 三(一)4, 德清
DQ-IDLE 三(一)3):

NAT-IDLE-1 (第二条第一款)
    Not started (no 实际动工日期 on or before the as-of date) and a full ``min_years`` (1) past the
    agreed start (约定动工日期). The idle clock starts on the agreed start.
NAT-IDLE-2 (第二条第二款)
    Started, but developed area / area due < 1/3 **or** investment made / total investment (land
    price, taxes and fees excluded) < 25 %, **and** suspended (停工日期 on or before the as-of date)
    for a full ``suspended_years`` (1). The idle clock starts on the suspension date. Where the
    area due is blank the parcel's cadastral area stands in; where only one of the two shares can be
    computed it decides alone; where neither can, the parcel is ``missing_data``.

How idle time is counted
------------------------
Idle time is the time on the clock above: full calendar years (《民法典》第二百零二条: a year is full
on the corresponding date, 2021-03-01 → 2022-03-01; a start on 29 February completes its year on
28 February) plus the remaining days, and ``idle_days`` = as-of date − clock start in days.

The tiers read 第十四条 together with 《城市房地产管理法》第二十六条, which count from the same date
as 第二条: "超过出让合同约定的动工开发日期满一年未动工开发的，可以征收…土地闲置费；满二年未动工开发
的，可以无偿收回". So a parcel becomes idle and owes the fee at the same moment — one full year on
the clock — and becomes a recovery candidate at two full years; POLICY.md's "idle ≥ 1 year" and
"idle ≥ 2 years" are read as years on the clock, not years after the land became idle (which would
put the fee at two years past the agreed start, against 第二十六条).

- ``idle_tier`` 0: not idle (no clock, or less than ``NAT-IDLE-1.min_years`` /
  ``NAT-IDLE-2.suspended_years`` on it).
- ``idle_tier`` 1: idle. 土地闲置费 = ``fee_share`` (20 %) × the 出让/划拨 land price, in 万元, once
  ``NAT-IDLE-FEE.min_years`` (1) full years are on the clock (NAT-IDLE-FEE).
- ``idle_tier`` 2: idle for ``NAT-IDLE-BACK.min_years`` (2) full years or more: candidate for 无偿收回
  (NAT-IDLE-BACK); the fee line is still reported.
- A government cause (NAT-IDLE-GOV, 第八条: the contract's ``gov_cause`` text, blank or "无" meaning
  none) keeps the tier but charges no fee (``idle_fee_wan`` = 0) and proposes no recovery: the
  parcel is reported with its cause (status ``warn``, not ``fail``).

From imagery (rule ``IDLE-IMG``, docs/rules.md): every parcel's built / bare / vegetation / water
shares on the first and the latest land-cover raster (:mod:`geo_tenglong.analysis.landcover`), and
the share of the parcel under building footprints (buildings layer) as a second witness. Evidence:
a contract that says started while the latest image shows less than ``started_min_built_share``
built; a contract that says not started while the image shows more than
``unstarted_max_built_share`` built; land with no contract record that stays bare on both dates
(≥ ``bare_min_share`` bare, < ``bare_max_built_share`` built): suspected idle.

A missing contracts table, a missing raster, an unreadable date (naming the table row) or a parcel
outside the raster are ``missing_data`` findings, never a crash.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..findings import (
    FAIL,
    MISSING_DATA,
    NOT_APPLICABLE,
    PASS,
    WARN,
    concat_findings,
    fmt_limit_share,
    fmt_share,
    make_findings,
)
from ..io.dates import add_years, days_between, full_years, parse_dates
from ..stage import StageResult
from .landcover import footprint_share, zonal_shares

if TYPE_CHECKING:
    from ..results import Results
    from ..workspace import Workspace

RULE_IDS = ("NAT-IDLE-1", "NAT-IDLE-2", "NAT-IDLE-FEE", "NAT-IDLE-BACK", "NAT-IDLE-GOV", "IDLE-IMG")
DATE_FIELDS = {"agreed_start": "约定动工日期", "actual_start": "实际动工日期", "suspended_since": "停工日期",
               "signed_date": "签订日期", "agreed_completion": "约定竣工日期"}
PARCEL_COLUMNS = ["idle_rule", "idle_tier", "idle_days", "idle_fee_wan", "idle_gov_cause",
                  "built_share_first", "built_share_last", "bare_share_last"]
LAYER_COLUMNS = ["parcel_id", "idle_rule", "idle_tier", "idle_years", "idle_days", "idle_fee_wan", "idle_gov_cause",
                 "recover_candidate", "idle_kind", "clock_start", "agreed_start", "actual_start", "suspended_since",
                 "land_price_wan", "developed_share", "invested_share", "built_share_first", "built_share_last",
                 "bare_share_first", "bare_share_last", "built_change", "bare_change", "footprint_share",
                 "image_first", "image_last", "evidence", "contract_row"]
_NOT_IN_RULESET = "本县规则集无此条款"


def _pct(x, threshold=None) -> str:
    """A share in %, with the decimals that keep it on its side of ``threshold`` (a ratio)."""
    return "—" if x is None or pd.isna(x) else fmt_share(x, threshold)


def _date_text(values: pd.Series) -> pd.Series:
    return values.dt.strftime("%Y-%m-%d").astype("string")


def _span_text(years, days_after) -> str:
    if pd.isna(years):
        return "—"
    return f"{int(years)}年{int(days_after)}天"


# --------------------------------------------------------------------------- contracts


def contract_dates(contracts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse the date columns of the contracts table.

    Parameters
    ----------
    contracts : DataFrame
        The workspace's ``contracts`` table (field names, ``source_row``).

    Returns
    -------
    dates : DataFrame
        ``agreed_start``, ``actual_start``, ``suspended_since``, ``signed_date``,
        ``agreed_completion`` as datetime64
        (NaT when blank or unreadable), indexed like ``contracts``.
    bad : DataFrame
        One row per unreadable cell: ``pos`` (position in ``contracts``), ``field``, ``raw``.
    """
    dates = pd.DataFrame(index=contracts.index)
    bad = []
    for field in DATE_FIELDS:
        if field not in contracts.columns:
            dates[field] = pd.Series(pd.NaT, index=contracts.index, dtype="datetime64[ns]")
            continue
        parsed = parse_dates(contracts[field])
        dates[field] = parsed.dates.to_numpy()
        for pos in np.flatnonzero(parsed.invalid.to_numpy()):
            bad.append({"pos": int(pos), "field": field, "raw": contracts[field].iloc[pos]})
    return dates, pd.DataFrame(bad, columns=["pos", "field", "raw"])


def _num(contracts: pd.DataFrame, col: str) -> np.ndarray:
    if col not in contracts.columns:
        return np.full(len(contracts), np.nan)
    return pd.to_numeric(contracts[col], errors="coerce").to_numpy(dtype=float)


def gov_causes(values, none_values=()) -> pd.Series:
    """The government cause text, or ``<NA>`` where the cell means "none" (blank, 无, 否 …)."""
    s = pd.Series(values, dtype="string").str.strip()
    none = s.isna() | (s == "") | s.isin(list(none_values))
    return s.mask(none)


def classify_contracts(contracts: pd.DataFrame, as_of: dt.date, ruleset, parcel_area_m2=None) -> pd.DataFrame:
    """Apply NAT-IDLE-1/2, the tiers, the fee and the government cause to contract rows.

    Parameters
    ----------
    contracts : DataFrame
        Contract rows (field names, ``source_row``), one per parcel.
    as_of : date
        The date the idle clock is read against (``ws.as_of``).
    ruleset : Ruleset
        Must carry NAT-IDLE-1 and NAT-IDLE-2 for those rules to be applied; NAT-IDLE-FEE,
        NAT-IDLE-BACK and NAT-IDLE-GOV are optional.
    parcel_area_m2 : array-like, optional
        Cadastral area of each row's parcel, standing in for a blank ``due_area_m2``.

    Returns
    -------
    DataFrame
        Indexed like ``contracts``: ``parcel_id``, ``source_row``, ``started``, ``rule``
        (NAT-IDLE-1 for unstarted, NAT-IDLE-2 for started land), ``missing`` (text naming what is
        missing, or <NA>), ``low_development``, ``developed_share``, ``invested_share``,
        ``clock_start``, ``idle_years``, ``idle_days_after`` (days after the last full year),
        ``idle_days``, ``idle`` (bool), ``idle_tier``, ``gov_cause``, ``land_price``, ``fee_wan``,
        ``recover``, and the parsed dates.
    """
    n = len(contracts)
    as_of_ts = pd.Timestamp(as_of)
    dates, bad = contract_dates(contracts)
    invalid = {f: np.zeros(n, dtype=bool) for f in DATE_FIELDS}
    for pos, f in zip(bad["pos"], bad["field"]):
        invalid[f][pos] = True
    s1, s2 = ruleset.get("NAT-IDLE-1"), ruleset.get("NAT-IDLE-2")
    out = pd.DataFrame(index=contracts.index)
    out["parcel_id"] = contracts["parcel_id"].astype("string") if "parcel_id" in contracts else pd.NA
    out["source_row"] = contracts["source_row"].to_numpy() if "source_row" in contracts else np.arange(n) + 2
    for f in DATE_FIELDS:
        out[f] = dates[f]
    actual = dates["actual_start"]
    started = (actual.notna() & (actual <= as_of_ts)).to_numpy()
    out["started"] = started
    out["rule"] = np.where(started, "NAT-IDLE-2", "NAT-IDLE-1")

    dev_share, inv_share, low, low_unknown = _development_shares(contracts, s2, parcel_area_m2)
    out["developed_share"] = dev_share
    out["invested_share"] = inv_share
    out["low_development"] = low

    susp = dates["suspended_since"]
    suspended = (susp.notna() & (susp <= as_of_ts)).to_numpy()
    clock = np.where(started, np.where(low & suspended, susp.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT")),
                     dates["agreed_start"].to_numpy(dtype="datetime64[ns]"))
    clock = pd.Series(clock, index=contracts.index, dtype="datetime64[ns]")
    clock_running = clock.notna() & (clock <= as_of_ts)
    years = full_years(clock, as_of_ts)
    days = days_between(clock, as_of_ts)
    anniv_days = np.full(n, np.nan)
    if clock_running.any():
        last_anniv = add_years(clock[clock_running], years[clock_running.to_numpy()])
        anniv_days[clock_running.to_numpy()] = days_between(last_anniv, as_of_ts)
    run = clock_running.to_numpy()
    out["clock_start"] = clock

    need = np.where(started, s2.suspended_years if s2 else np.inf, s1.min_years if s1 else np.inf)
    idle = run & (years >= need)

    # what is missing, by row (missing_data rather than a guess)
    missing = pd.Series(pd.NA, index=contracts.index, dtype="string")
    agreed_missing = ~started & dates["agreed_start"].isna().to_numpy()
    missing[agreed_missing] = "约定动工日期"
    missing[started & low_unknown] = "已开发面积/应开发面积及已完成投资/总投资"
    # an unreadable date that decides the case: no conclusion (the date itself is reported by row)
    bad_date = (invalid["actual_start"] | (~started & invalid["agreed_start"])
                | (started & low & invalid["suspended_since"]))
    missing[bad_date] = "可识别的日期"
    out["missing"] = missing
    out["date_invalid"] = bad_date
    idle &= ~bad_date
    out["idle"] = idle
    assessed = missing.isna().to_numpy()
    out["idle_years"] = np.where(assessed, np.where(run, years, 0.0), np.nan)
    out["idle_days_after"] = np.where(assessed, np.where(run, anniv_days, 0.0), np.nan)
    out["idle_days"] = np.where(assessed, np.where(run, days, 0.0), np.nan)

    _add_consequences(out, contracts, idle, years, assessed, ruleset)
    return out


def _development_shares(contracts: pd.DataFrame, s2, parcel_area_m2) -> tuple[np.ndarray, ...]:
    """NAT-IDLE-2 developed and invested shares, whether either is low, and whether both are unknown."""
    due = _num(contracts, "due_area_m2")
    if parcel_area_m2 is not None:
        area = np.asarray(parcel_area_m2, dtype=float)
        due = np.where(np.isnan(due) | (due <= 0), area, due)
    developed = _num(contracts, "developed_area_m2")
    total, invested = _num(contracts, "total_investment"), _num(contracts, "invested")
    with np.errstate(invalid="ignore", divide="ignore"):
        dev_share = np.where(due > 0, developed / due, np.nan)
        inv_share = np.where(total > 0, invested / total, np.nan)
    a_lim = s2.area_share_below if s2 else np.nan
    i_lim = s2.investment_share_below if s2 else np.nan
    low = (dev_share < a_lim) | (inv_share < i_lim)
    low_unknown = ~low & np.isnan(dev_share) & np.isnan(inv_share)
    return dev_share, inv_share, low, low_unknown


def _add_consequences(out: pd.DataFrame, contracts: pd.DataFrame, idle: np.ndarray, years: np.ndarray,
                      assessed: np.ndarray, ruleset) -> None:
    """Tier (NAT-IDLE-BACK), government cause (NAT-IDLE-GOV) and fee (NAT-IDLE-FEE) columns, in place."""
    fee, back, gov = ruleset.get("NAT-IDLE-FEE"), ruleset.get("NAT-IDLE-BACK"), ruleset.get("NAT-IDLE-GOV")
    back_years = back.min_years if back else np.inf
    tier = np.where(idle, np.where(years >= back_years, 2, 1), 0)
    out["idle_tier"] = tier.astype(int)
    causes = gov_causes(contracts["gov_cause"] if "gov_cause" in contracts else pd.Series(pd.NA, index=contracts.index),
                        gov.none_values if gov else ())
    has_gov = causes.notna().to_numpy() & (gov is not None)
    out["gov_cause"] = causes.where(pd.Series(has_gov, index=contracts.index)).astype("string")
    price = _num(contracts, "land_price")
    out["land_price"] = price
    fee_due = idle & ~has_gov & (fee is not None) & (years >= (fee.min_years if fee else np.inf))
    fee_amount = np.where(fee_due, np.round(price * (fee.fee_share if fee else np.nan), 4), 0.0)
    out["fee_due"] = fee_due
    out["fee_wan"] = np.where(assessed, fee_amount, np.nan)
    out["recover"] = (tier == 2) & ~has_gov & (back is not None)


def _contract_findings(c: pd.DataFrame, ruleset, as_of: dt.date) -> list[pd.DataFrame]:
    """Findings of NAT-IDLE-1/2, FEE, BACK and GOV for classified contracts (one row per parcel)."""
    frames = []
    as_of_text = as_of.isoformat()
    for rid in ("NAT-IDLE-1", "NAT-IDLE-2"):
        spec = ruleset.get(rid)
        rows = c[c["rule"] == rid]
        if spec is None or not len(rows):
            continue
        miss = rows["missing"].notna()
        if (miss & ~rows["date_invalid"]).any():
            m = rows[miss & ~rows["date_invalid"]]
            frames.append(make_findings(m["parcel_id"], rid, spec.clause, MISSING_DATA,
                                        message=[f"合同表第{r}行缺少{what},无法认定是否闲置"
                                                 for r, what in zip(m["source_row"], m["missing"])]))
        rows = rows[~miss]
        if not len(rows):
            continue
        gov = rows["gov_cause"].notna().to_numpy()
        status = np.where(rows["idle"], np.where(gov, WARN, FAIL), PASS)
        need = spec.min_years if rid == "NAT-IDLE-1" else spec.suspended_years
        msgs = []
        for r in rows.itertuples():
            span = _span_text(r.idle_years, r.idle_days_after)
            start = "—" if pd.isna(r.clock_start) else r.clock_start.strftime("%Y-%m-%d")
            if rid == "NAT-IDLE-1":
                if r.idle:
                    text = f"超过约定动工日期({start})满{span}未动工开发,认定为闲置土地"
                elif pd.isna(r.clock_start) or r.clock_start > pd.Timestamp(as_of):
                    text = f"约定动工日期{start}尚未到期(截至{as_of_text})"
                else:
                    text = f"超过约定动工日期({start}){span},未满{need}年,暂不认定闲置"
            else:
                shares = (f"开发面积占比{_pct(r.developed_share, spec.area_share_below)}、"
                          f"投资占比{_pct(r.invested_share, spec.investment_share_below)}")
                if r.idle:
                    text = f"已动工,{shares},自{start}中止开发满{span},认定为闲置土地"
                elif not r.low_development:
                    text = f"已动工,{shares},开发未低于三分之一面积/25%投资"
                elif pd.isna(r.clock_start):
                    text = f"已动工,{shares},开发不足但未中止开发"
                else:
                    text = f"已动工,{shares},自{start}中止开发{span},未满{need}年"
            if r.idle and isinstance(r.gov_cause, str):
                text += f";属政府原因({r.gov_cause}),不征缴闲置费、不无偿收回"
            msgs.append(text)
        frames.append(make_findings(rows["parcel_id"], rid, spec.clause, status, rows["idle_years"], need, "年", msgs))

    idle = c[c["idle"]]
    fee, back, gov = ruleset.get("NAT-IDLE-FEE"), ruleset.get("NAT-IDLE-BACK"), ruleset.get("NAT-IDLE-GOV")
    charged = idle[idle["fee_due"]]
    if fee is not None and len(charged):
        no_price = charged["land_price"].isna()
        ok = charged[~no_price]
        if len(ok):
            frames.append(make_findings(
                ok["parcel_id"], "NAT-IDLE-FEE", fee.clause, FAIL, ok["fee_wan"], np.nan, "万元",
                [f"闲置{_span_text(r.idle_years, r.idle_days_after)},按出让/划拨价款{r.land_price:g}万元的"
                 f"{100 * fee.fee_share:g}%征缴土地闲置费{r.fee_wan:.4f}万元" for r in ok.itertuples()]))
        if no_price.any():
            m = charged[no_price]
            frames.append(make_findings(m["parcel_id"], "NAT-IDLE-FEE", fee.clause, MISSING_DATA,
                                        message=[f"合同表第{r}行缺少出让/划拨价款,无法计算土地闲置费"
                                                 for r in m["source_row"]]))
    rec = idle[idle["recover"]]
    if back is not None and len(rec):
        frames.append(make_findings(rec["parcel_id"], "NAT-IDLE-BACK", back.clause, FAIL, rec["idle_years"],
                                    back.min_years, "年",
                                    [f"闲置{_span_text(r.idle_years, r.idle_days_after)},满{back.min_years}年,"
                                     "可报批无偿收回国有建设用地使用权" for r in rec.itertuples()]))
    g = idle[idle["gov_cause"].notna()]
    if gov is not None and len(g):
        frames.append(make_findings(g["parcel_id"], "NAT-IDLE-GOV", gov.clause, WARN, g["idle_years"], np.nan, "年",
                                    [f"闲置{_span_text(r.idle_years, r.idle_days_after)},政府原因:{r.gov_cause};"
                                     "不征缴土地闲置费、不无偿收回,应协商处置" for r in g.itertuples()]))
    return frames


# --------------------------------------------------------------------------- imagery


def landcover_table(ws, parcels: gpd.GeoDataFrame) -> tuple[pd.DataFrame, list[pd.DataFrame], dict]:
    """Cover shares of every parcel on the first and the latest land-cover raster.

    Returns
    -------
    shares : DataFrame
        Indexed like ``parcels``: ``built_first``, ``bare_first``, ``built_last``, ``bare_last``,
        ``vegetation_last``, ``water_last``, ``coverage_first``, ``coverage_last`` (NaN where the
        image does not cover enough of the parcel).
    findings : list of DataFrame
        ``missing_data`` for rasters that cannot be read and parcels the images do not cover.
    info : dict
        Dates and files of the first and latest image.
    """
    spec = ws.ruleset.get("IDLE-IMG")
    clause = spec.clause if spec else ""
    min_cov = spec.min_valid_coverage if spec else 0.5
    cols = ["built_first", "bare_first", "vegetation_first", "water_first", "coverage_first",
            "built_last", "bare_last", "vegetation_last", "water_last", "coverage_last"]
    table = pd.DataFrame(np.nan, index=parcels.index, columns=cols)
    rasters = list(ws.rasters.get("landcover", []))
    findings: list[pd.DataFrame] = []
    info: dict = {"images": [{"path": r.path.name, "date": r.date.isoformat() if r.date else None} for r in rasters]}
    if not rasters:
        findings.append(make_findings([ws.admin_code], "IDLE-IMG", clause, MISSING_DATA,
                                      message="工作空间未提供土地覆盖影像(rasters.landcover),无法以影像核查闲置土地"))
        return table, findings, info
    picks = {"first": rasters[0], "last": rasters[-1]}
    computed: dict[str, Any] = {}
    for key, r in picks.items():
        if key == "last" and r is rasters[0] and "first" in computed:
            computed["last"] = computed["first"]
            continue
        try:
            computed[key] = zonal_shares(parcels.geometry, r.path, ws.landcover_classes, assume_crs=ws.crs)
        except Exception as exc:  # a damaged or unreadable GeoTIFF must not stop the run
            findings.append(make_findings([ws.admin_code], "IDLE-IMG", clause, MISSING_DATA,
                                          message=f"{_image_name(r, key, rasters)}无法读取({type(exc).__name__}: {exc}),"
                                                  "闲置土地影像核查缺少该期各宗地的建成/裸地比例"))
            computed[key] = None
        else:
            damaged = int(computed[key]["unreadable"].sum())
            if damaged:
                findings.append(make_findings([ws.admin_code], "IDLE-IMG", clause, MISSING_DATA,
                                              message=f"{_image_name(r, key, rasters)}部分损坏,{damaged}宗地块处无法读取,"
                                                      "这些宗地缺少该期影像的建成/裸地比例"))
    labels = {}
    for key, shares in computed.items():
        r = picks[key]
        labels[key] = r.date.isoformat() if r.date else r.path.name
        if shares is None:
            continue
        good = shares["valid_coverage"].to_numpy() >= min_cov
        for c in ("built", "bare", "vegetation", "water"):
            table[f"{c}_{key}"] = np.where(good, shares[c].to_numpy(), np.nan)
        table[f"coverage_{key}"] = shares["valid_coverage"].to_numpy()
    info["first"], info["last"] = labels.get("first"), labels.get("last")
    # one missing_data finding per parcel an image leaves uncovered
    msgs = pd.Series("", index=parcels.index, dtype=object)
    for key, shares in computed.items():
        if key == "last" and picks["last"] is picks["first"]:
            continue
        if shares is None:  # the whole image is lost: every parcel says which one
            msgs += f"{labels[key]}影像({picks[key].path.name})无法读取;"
            continue
        cov = shares["valid_coverage"]
        outside = ~shares["in_raster"]
        lost = shares["unreadable"]
        thin = shares["in_raster"] & (cov < min_cov) & ~lost
        msgs[lost] += f"{labels[key]}影像({picks[key].path.name})此处损坏无法读取;"
        msgs[outside] += f"宗地不在{labels[key]}影像范围内;"
        msgs[thin] += [f"{labels[key]}影像有效像元仅覆盖宗地{_pct(v)};" for v in cov[thin]]
    hit = msgs != ""
    if hit.any():
        findings.append(make_findings(parcels.loc[hit, "parcel_id"], "IDLE-IMG", clause, MISSING_DATA,
                                      table.loc[hit, "coverage_last"], min_cov, "比例",
                                      [m.rstrip(";") + ",无法以影像核查" for m in msgs[hit]]))
    return table, findings, info


def _image_name(raster, key: str, rasters: list) -> str:
    """``土地覆盖影像 lc2023.tif(2023-06-01,末期影像)``: the file, its date and its role in the comparison."""
    role = "唯一一期影像" if len(rasters) == 1 else ("首期影像" if key == "first" else "末期影像")
    date = raster.date.isoformat() if raster.date else "日期未注明"
    return f"土地覆盖影像 {raster.path.name}({date},{role})"


def _imagery_findings(parcels, c_by_parcel, lc, footprint, spec, info) -> tuple[list[pd.DataFrame], pd.DataFrame]:
    """IDLE-IMG evidence findings and the evidence text per parcel (suspects flagged)."""
    frames: list[pd.DataFrame] = []
    ev = pd.DataFrame({"evidence": pd.Series(pd.NA, index=parcels.index, dtype="string"),
                       "suspect": False}, index=parcels.index)
    if spec is None:
        return frames, ev
    pid = parcels["parcel_id"]
    has_contract = pid.isin(c_by_parcel.index).to_numpy()
    started = pid.map(c_by_parcel["started"]).fillna(False).to_numpy(dtype=bool) & has_contract
    fp = footprint

    def witnesses(mask, built_expected: bool) -> list[str]:
        """The footprint witness for the flagged parcels: does it agree with the image?"""
        out = []
        for v in fp[mask]:
            if np.isnan(v):
                out.append("建筑物图层缺失,无旁证")
            else:
                agrees = (v >= spec.footprint_witness_share) == built_expected
                out.append(f"建筑物图层占地{_pct(v)}," + ("与影像一致" if agrees else "与影像不一致,请核实"))
        return out

    last, first = info.get("last"), info.get("first")
    built_last = lc["built_last"].to_numpy()
    # (a) contract says started, the image shows little built
    a = has_contract & started & (built_last < spec.started_min_built_share)
    # (b) contract says not started, the image shows building
    b = has_contract & ~started & (built_last > spec.unstarted_max_built_share)
    # (c) no contract, bare on both dates
    bare_both = ((lc["bare_first"].to_numpy() >= spec.bare_min_share) & (lc["bare_last"].to_numpy() >= spec.bare_min_share)
                 & (lc["built_first"].to_numpy() < spec.bare_max_built_share)
                 & (built_last < spec.bare_max_built_share))
    cflag = ~has_contract & bare_both
    if a.any():
        msgs = [f"合同记载已动工,但{last}影像建成比例仅{_pct(v, spec.started_min_built_share)}"
                f"(阈值{fmt_limit_share(spec.started_min_built_share)});{w}"
                for v, w in zip(built_last[a], witnesses(a, False))]
        frames.append(make_findings(pid[a], "IDLE-IMG", spec.clause, WARN, built_last[a], spec.started_min_built_share,
                                    "比例", msgs))
        ev.loc[a, "evidence"] = msgs
        ev.loc[a, "suspect"] = True
    if b.any():
        msgs = [f"合同记载未动工,但{last}影像建成比例已达{_pct(v, spec.unstarted_max_built_share)}"
                f"(阈值{fmt_limit_share(spec.unstarted_max_built_share)});{w},"
                "请核实实际动工日期" for v, w in zip(built_last[b], witnesses(b, True))]
        frames.append(make_findings(pid[b], "IDLE-IMG", spec.clause, WARN, built_last[b],
                                    spec.unstarted_max_built_share, "比例", msgs))
        ev.loc[b, "evidence"] = msgs
    if cflag.any():
        bf, bl = lc["bare_first"].to_numpy()[cflag], lc["bare_last"].to_numpy()[cflag]
        msgs = [f"无出让合同记录,{first}与{last}两期影像均为裸地({_pct(x, spec.bare_min_share)}、"
                f"{_pct(y, spec.bare_min_share)}),疑似闲置;{w}"
                for x, y, w in zip(bf, bl, witnesses(cflag, False))]
        frames.append(make_findings(pid[cflag], "IDLE-IMG", spec.clause, WARN, bl, spec.bare_min_share, "比例", msgs))
        ev.loc[cflag, "evidence"] = msgs
        ev.loc[cflag, "suspect"] = True
    return frames, ev


# --------------------------------------------------------------------------- the stage


def _one_contract_per_parcel(contracts: pd.DataFrame, dates: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep the latest contract of each parcel (by signed date, then agreed start, then row)."""
    key = pd.DataFrame({"pid": contracts["parcel_id"], "signed": dates["signed_date"], "agreed": dates["agreed_start"],
                        "row": contracts["source_row"]}, index=contracts.index)
    key = key.sort_values(["pid", "signed", "agreed", "row"], na_position="first")
    keep = ~key["pid"].duplicated(keep="last")
    dups = key[key["pid"].duplicated(keep=False)]
    return contracts.loc[key.index[keep.to_numpy()]].sort_index(), dups


def _assess_contracts(ws: Workspace, contracts: pd.DataFrame, parcels: gpd.GeoDataFrame, pid: pd.Series,
                      findings: list[pd.DataFrame]) -> pd.DataFrame:
    """Contract rows checked (dates, parcel ids, duplicates) and classified; findings appended in place.

    Returns the classified contracts indexed by parcel id.
    """
    rs = ws.ruleset
    as_of = ws.as_of
    clause1 = rs.get("NAT-IDLE-1").clause if rs.get("NAT-IDLE-1") else ""
    contracts = contracts.copy()
    if "parcel_id" in contracts.columns:
        contracts["parcel_id"] = contracts["parcel_id"].astype("string").str.strip()
    dates, bad = contract_dates(contracts)
    if len(bad):
        rows = contracts.iloc[bad["pos"].to_numpy()]
        ids = rows["parcel_id"].fillna("").to_numpy() if "parcel_id" in rows else np.repeat("", len(rows))
        rid_of = np.where(bad["field"] == "suspended_since", "NAT-IDLE-2", "NAT-IDLE-1")
        for rid in ("NAT-IDLE-1", "NAT-IDLE-2"):
            sel = rid_of == rid
            if sel.any() and rs.get(rid) is not None:
                findings.append(make_findings(
                    ids[sel], rid, rs.get(rid).clause, MISSING_DATA,
                    message=[f"合同表第{r}行{DATE_FIELDS[f]}“{raw}”无法识别为日期"
                             for r, f, raw in zip(rows["source_row"].to_numpy()[sel], bad["field"][sel],
                                                  bad["raw"][sel])]))
    no_id = contracts["parcel_id"].isna()
    unknown = ~no_id & ~contracts["parcel_id"].isin(pid)
    if no_id.any():
        findings.append(make_findings(contracts.loc[no_id, "contract_id"].fillna("") if "contract_id" in contracts
                                      else np.repeat("", int(no_id.sum())), "NAT-IDLE-1", clause1, MISSING_DATA,
                                      message=[f"合同表第{r}行缺少宗地代码" for r in contracts.loc[no_id, "source_row"]]))
    if unknown.any():
        findings.append(make_findings(contracts.loc[unknown, "parcel_id"], "NAT-IDLE-1", clause1, MISSING_DATA,
                                      message=[f"合同表第{r}行的宗地代码不在宗地图层中"
                                               for r in contracts.loc[unknown, "source_row"]]))
    usable = contracts[~no_id & ~unknown]
    one, dups = _one_contract_per_parcel(usable, dates.loc[usable.index])
    if len(dups):
        grouped = dups.groupby("pid")["row"].apply(lambda s: "、".join(str(int(v)) for v in s))
        findings.append(make_findings(grouped.index, "NAT-IDLE-1", clause1, WARN,
                                      message=[f"合同表第{rows}行为同一宗地,按签订日期最新的一条认定"
                                               for rows in grouped.to_numpy()]))
    area = pid.to_frame().assign(a=parcels["area_m2"].to_numpy()).set_index("parcel_id")["a"]
    c = classify_contracts(one, as_of, rs, parcel_area_m2=one["parcel_id"].map(area).to_numpy())
    findings.extend(_contract_findings(c, rs, as_of))
    return c.set_index("parcel_id")


def _from_contracts(c_by_parcel: pd.DataFrame, pid: pd.Series, index: pd.Index, col: str, default=np.nan) -> pd.Series:
    """A classified-contract column aligned to the parcels (``default`` where there is none)."""
    if col not in c_by_parcel.columns or not len(c_by_parcel):
        return pd.Series(default, index=index)
    return pid.map(c_by_parcel[col]).set_axis(index)


def _idle_layer(parcels: gpd.GeoDataFrame, pid: pd.Series, c_by_parcel: pd.DataFrame, cols: pd.DataFrame,
                sel: np.ndarray, idle: np.ndarray, tier: np.ndarray, lc: pd.DataFrame, fp: np.ndarray,
                ev: pd.DataFrame, lc_info: dict) -> gpd.GeoDataFrame:
    """The ``idle_land`` layer for the parcels at positions ``sel``, with :data:`LAYER_COLUMNS`."""
    def from_contracts(col, default=np.nan):
        return _from_contracts(c_by_parcel, pid, parcels.index, col, default)

    clock_days = cols["idle_days"].to_numpy()
    layer = gpd.GeoDataFrame({"parcel_id": pid.to_numpy()[sel]}, geometry=parcels.geometry.values[sel], crs=parcels.crs)
    contract_rule = from_contracts("rule", None).astype("string").to_numpy()[sel]
    img_only = ~idle[sel] & ~(clock_days[sel] > 0)
    layer["idle_rule"] = pd.array(np.where(img_only, "IDLE-IMG", contract_rule), dtype="string")
    layer["idle_tier"] = np.where(img_only, np.nan, tier[sel]).astype(float)
    layer["idle_years"] = from_contracts("idle_years").to_numpy()[sel]
    layer["idle_days"] = clock_days[sel]
    layer["idle_fee_wan"] = cols["idle_fee_wan"].to_numpy()[sel]
    layer["idle_gov_cause"] = pd.array(from_contracts("gov_cause", None).astype("string").to_numpy()[sel], dtype="string")
    layer["recover_candidate"] = from_contracts("recover", False).fillna(False).astype(bool).to_numpy()[sel]
    kind = np.where(img_only, "影像疑似闲置(待核实)",
                    np.where(idle[sel], np.where(tier[sel] == 2, "闲置满两年", "闲置满一年"), "未满一年"))
    gov_sel = layer["idle_gov_cause"].notna().to_numpy() & idle[sel]
    layer["idle_kind"] = np.where(gov_sel, "政府原因闲置", kind)
    for col in ("clock_start", "agreed_start", "actual_start", "suspended_since"):
        v = from_contracts(col, pd.NaT)
        layer[col] = _date_text(pd.to_datetime(v, errors="coerce")).to_numpy()[sel]
    layer["land_price_wan"] = from_contracts("land_price").to_numpy()[sel]
    layer["developed_share"] = from_contracts("developed_share").astype(float).round(4).to_numpy()[sel]
    layer["invested_share"] = from_contracts("invested_share").astype(float).round(4).to_numpy()[sel]
    layer["built_share_first"] = cols["built_share_first"].to_numpy()[sel]
    layer["built_share_last"] = cols["built_share_last"].to_numpy()[sel]
    layer["bare_share_first"] = lc["bare_first"].round(4).to_numpy()[sel]
    layer["bare_share_last"] = cols["bare_share_last"].to_numpy()[sel]
    layer["built_change"] = (lc["built_last"] - lc["built_first"]).round(4).to_numpy()[sel]
    layer["bare_change"] = (lc["bare_last"] - lc["bare_first"]).round(4).to_numpy()[sel]
    layer["footprint_share"] = np.round(fp[sel], 4)
    layer["image_first"] = lc_info.get("first")
    layer["image_last"] = lc_info.get("last")
    layer["evidence"] = pd.array(ev["evidence"].to_numpy()[sel], dtype="string")
    layer["contract_row"] = from_contracts("source_row").astype(float).to_numpy()[sel]
    return layer[[*LAYER_COLUMNS, "geometry"]]


def assess_idle(ws: Workspace, results: Results) -> StageResult:
    """闲置土地认定: idle land from contracts (NAT-IDLE-*) and imagery evidence (IDLE-IMG).

    Parameters
    ----------
    ws : Workspace
        Reads ``ws.tables["contracts"]``, ``ws.rasters["landcover"]``, ``ws.landcover_classes``,
        the ``buildings`` layer and ``ws.as_of``.
    results : Results
        ``results.parcels`` (with ``area_m2``).

    Returns
    -------
    StageResult
        Findings; parcel columns ``idle_rule``, ``idle_tier`` (0/1/2), ``idle_days``,
        ``idle_fee_wan``, ``idle_gov_cause``, ``built_share_first``, ``built_share_last``,
        ``bare_share_last``; the ``idle_land`` layer (idle parcels, parcels whose idle clock runs,
        and imagery suspects, with :data:`LAYER_COLUMNS`); a summary of counts and the fee total.
    """
    rs = ws.ruleset
    as_of = ws.as_of
    parcels = results.parcels
    pid = parcels["parcel_id"].astype("string")
    findings: list[pd.DataFrame] = []
    for rid in RULE_IDS:
        if rs.get(rid) is None:
            findings.append(make_findings([ws.admin_code], rid, "", NOT_APPLICABLE, message=_NOT_IN_RULESET))

    # ---- contracts
    contracts = ws.table("contracts")
    c_by_parcel = pd.DataFrame(columns=["started", "idle", "idle_tier", "rule", "idle_days", "fee_wan", "gov_cause"])
    clause1 = rs.get("NAT-IDLE-1").clause if rs.get("NAT-IDLE-1") else ""
    if contracts is None:
        for rid in ("NAT-IDLE-1", "NAT-IDLE-2"):
            if rs.get(rid) is not None:
                findings.append(make_findings([ws.admin_code], rid, rs.get(rid).clause, MISSING_DATA,
                                              message="工作空间未提供出让合同/划拨决定书表(tables.contracts),无法认定闲置土地"))
    else:
        c_by_parcel = _assess_contracts(ws, contracts, parcels, pid, findings)

    # parcels marked 未动工 without a contract
    if "status" in parcels.columns and rs.get("NAT-IDLE-1") is not None:
        lone = (parcels["status"].astype("string") == "未动工").fillna(False).to_numpy() & ~pid.isin(c_by_parcel.index).to_numpy()
        if lone.any():
            findings.append(make_findings(pid[lone], "NAT-IDLE-1", clause1, MISSING_DATA,
                                          message="宗地状态为未动工,但出让合同表中没有该宗地的记录,无法认定是否闲置"))

    # ---- imagery and footprints
    lc, lc_findings, lc_info = landcover_table(ws, parcels)
    findings.extend(lc_findings)
    buildings = ws.layer("buildings")
    fp = footprint_share(parcels.geometry, None if buildings is None else buildings.geometry)
    img_frames, ev = _imagery_findings(parcels, c_by_parcel, lc, fp, rs.get("IDLE-IMG"), lc_info)
    findings.extend(img_frames)

    # ---- parcel columns
    def from_contracts(col, default=np.nan):
        return _from_contracts(c_by_parcel, pid, parcels.index, col, default)

    idle = from_contracts("idle", False).fillna(False).astype(bool).to_numpy()
    tier = from_contracts("idle_tier", 0).fillna(0).astype(int).to_numpy()
    rule = from_contracts("rule", None).astype("string").where(idle)
    gov_cause = from_contracts("gov_cause", None).astype("string").where(idle)
    cols = pd.DataFrame({
        "idle_rule": rule.to_numpy(),
        "idle_tier": tier,
        "idle_days": from_contracts("idle_days").astype(float).to_numpy(),
        "idle_fee_wan": from_contracts("fee_wan").astype(float).to_numpy(),
        "idle_gov_cause": gov_cause.to_numpy(),
        "built_share_first": lc["built_first"].round(4).to_numpy(),
        "built_share_last": lc["built_last"].round(4).to_numpy(),
        "bare_share_last": lc["bare_last"].round(4).to_numpy(),
    }, index=pd.Index(pid.to_numpy(), name="parcel_id"))
    cols["idle_rule"] = cols["idle_rule"].astype("string")
    cols["idle_gov_cause"] = cols["idle_gov_cause"].astype("string")

    # ---- idle_land layer: idle, clock running (tier 0), imagery suspects
    clock_days = cols["idle_days"].to_numpy()
    in_layer = idle | (clock_days > 0) | ev["suspect"].to_numpy()
    layer = _idle_layer(parcels, pid, c_by_parcel, cols, np.flatnonzero(in_layer), idle, tier, lc, fp, ev, lc_info)

    penal = idle & ~cols["idle_gov_cause"].notna().to_numpy()
    summary = {
        "as_of": as_of.isoformat(),
        "idle": int(idle.sum()),
        "by_rule_tier": {f"{r}/tier{t}": int(((cols["idle_rule"] == r).fillna(False).to_numpy() & (tier == t)).sum())
                         for r in ("NAT-IDLE-1", "NAT-IDLE-2") for t in (1, 2)},
        "gov_cause": int((idle & cols["idle_gov_cause"].notna().to_numpy()).sum()),
        "recovery_candidates": int((penal & (tier == 2)).sum()),
        "imagery_suspects": int(ev["suspect"].to_numpy().sum()),
        "images": lc_info.get("images", []),
        **idle_totals(cols, parcels, contracts),
    }
    return StageResult(findings=concat_findings(findings), parcel_columns=cols, layers={"idle_land": layer},
                       summary=summary)


def idle_totals(cols: pd.DataFrame, parcels: pd.DataFrame, contracts: pd.DataFrame | None) -> dict[str, Any]:
    """The county's idle totals: contracts read, 闲置费 (万元) and 亩 of idle land not caused by the government.

    Parameters
    ----------
    cols : pandas.DataFrame
        The stage's parcel columns, in the order of ``parcels``.
    parcels : pandas.DataFrame
        ``results.parcels`` (``area_mu``).
    contracts : pandas.DataFrame or None
        The ``contracts`` table.
    """
    penal = cols["idle_rule"].notna().to_numpy() & cols["idle_gov_cause"].isna().to_numpy()
    return {"contracts": 0 if contracts is None else int(len(contracts)),
            "fee_total_wan": round(float(np.nansum(cols["idle_fee_wan"].to_numpy(dtype=float)[penal])), 4),
            "idle_mu": round(float(parcels["area_mu"].to_numpy()[penal].sum()), 4) if "area_mu" in parcels else None}
