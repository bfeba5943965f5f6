"""可腾退低效用地 (stage ``reclaim``): the land the campaign can free, against TT-T8 / DQ-T2.

A parcel is reclaimable when its enterprise is class D in the 亩均评价 (倒逼整治类), or a TT-T4
low-efficiency enterprise at ≤ 5 万元/亩 (亿元企业 at ≤ 10 万元/亩 are 改造提升 targets, listed
but not counted unless the ruleset's ``TT-T4.upgrade_targets_reclaimable`` says so), or the parcel
is idle (``idle_tier`` ≥ 1, published by the ``idle`` stage) for a reason that is not the government's (``idle_gov_cause`` empty, NAT-IDLE-GOV). Without
the idle stage's columns the efficiency criteria alone apply. Areas are cadastral (planar) 亩.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from .. import units
from ..findings import WARN, empty_findings, make_findings
from ..stage import StageResult

if TYPE_CHECKING:
    from ..results import Results
    from ..workspace import Workspace

PARCEL_COLUMNS = ["reclaimable", "reclaim_reason"]
AREA_COLUMNS = ["level", "area_id", "area_name", "parcels", "reclaimable_mu", "class_d_mu", "low_efficiency_mu",
                "idle_mu"]
OUTSIDE_PARKS = "园区外"


def _text(values, n) -> pd.Series:
    if values is None:
        return pd.Series([pd.NA] * n, dtype="string")
    s = pd.Series(values).astype("string").str.strip()
    return s.mask(s.isin(["", "False", "false", "否", "None", "nan"]))


def reclaim_flags(parcels: pd.DataFrame, upgrade_targets_reclaimable: bool = False) -> pd.DataFrame:
    """Which parcels are reclaimable, and why.

    可腾退低效工业用地 (TT-T8, DQ-T2; issue 14's reading) counts class D, the TT-T4 low-efficiency
    enterprises at ≤ 5 万元/亩 (``low_tax_enterprise``) and idle land without a government cause.
    亿元企业 at ≤ 10 万元/亩 (``upgrade_target``) are 改造提升 targets: listed, counted only with
    ``upgrade_targets_reclaimable`` (ruleset ``TT-T4.upgrade_targets_reclaimable``).

    Parameters
    ----------
    parcels : DataFrame
        ``eval_class``, ``low_efficiency``, ``low_efficiency_type``, ``low_tax_enterprise``,
        ``upgrade_target`` (efficiency stage) and, when the idle stage ran, ``idle_tier`` and
        ``idle_gov_cause``; any may be absent (without the two TT-T4 kind columns,
        ``low_efficiency`` stands for the ≤ 5 kind).
    upgrade_targets_reclaimable : bool

    Returns
    -------
    DataFrame
        ``class_d``, ``low_efficiency`` (counted low-efficiency land), ``upgrade_target`` (listed
        亿元企业 land, whether counted or not), ``idle`` (bool), ``reclaimable`` (bool),
        ``reclaim_reason`` (text or NA), same index as ``parcels``.

    Examples
    --------
    >>> p = pd.DataFrame({"eval_class": ["D", "B", None, "C"], "low_efficiency": [False, True, False, True],
    ...                   "low_tax_enterprise": [False, True, False, False],
    ...                   "upgrade_target": [False, False, False, True],
    ...                   "idle_tier": [0, 0, 2, 0], "idle_gov_cause": [None, None, "规划调整", None]})
    >>> reclaim_flags(p)["reclaimable"].tolist()
    [True, True, False, False]
    """
    n = len(parcels)

    def flag(col):
        if col not in parcels.columns:
            return np.zeros(n, bool)
        return pd.Series(parcels[col], dtype=object).astype("boolean").fillna(False).to_numpy(dtype=bool)

    cls = _text(parcels.get("eval_class"), n)
    class_d = cls.eq("D").fillna(False).to_numpy(dtype=bool)
    if "low_tax_enterprise" in parcels.columns or "upgrade_target" in parcels.columns:
        low_tax, upgrade = flag("low_tax_enterprise"), flag("upgrade_target")
    else:
        low_tax, upgrade = flag("low_efficiency"), np.zeros(n, bool)
    low = low_tax | (upgrade & bool(upgrade_targets_reclaimable))
    if "idle_tier" in parcels.columns:
        tier = pd.to_numeric(parcels["idle_tier"], errors="coerce").fillna(0).to_numpy(dtype=float)
        gov = _text(parcels.get("idle_gov_cause"), n).notna().to_numpy(dtype=bool)
        idle = (tier >= 1) & ~gov
    else:
        idle = np.zeros(n, bool)
    low_type = _text(parcels.get("low_efficiency_type"), n).fillna("亩均税收低效企业").to_numpy(dtype=object)
    if not upgrade_targets_reclaimable:  # the reason names only what is counted
        low_type = np.array([";".join(p for p in str(t).split(";") if "亿元企业" not in p) or "亩均税收低效企业"
                             for t in low_type], dtype=object)
    reasons = [
        np.where(class_d, "亩均评价D类(倒逼整治类)", ""),
        np.where(low, pd.Series(low_type).astype(str).to_numpy(dtype=object), ""),
        np.where(idle, "闲置土地(非政府原因)", ""),
    ]
    joined = pd.Series(reasons[0]).str.cat([pd.Series(r) for r in reasons[1:]], sep="、").str.strip("、") \
        .str.replace(r"、+", "、", regex=True)
    reclaimable = class_d | low | idle
    return pd.DataFrame({"class_d": class_d, "low_efficiency": low, "upgrade_target": upgrade, "idle": idle,
                         "reclaimable": reclaimable,
                         "reclaim_reason": joined.where(reclaimable).astype("string").to_numpy()}, index=parcels.index)


def by_area(parcels: pd.DataFrame, flags: pd.DataFrame, area_mu: np.ndarray, park_names: dict | None = None) -> pd.DataFrame:
    """Reclaimable 亩 by park and by township (the ``reclaim_by_area`` table).

    Returns
    -------
    DataFrame
        :data:`AREA_COLUMNS`; ``level`` is ``park`` (``area_id`` = park id, or 园区外) or
        ``township``; rows only for areas holding reclaimable land.
    """
    m = flags["reclaimable"].to_numpy()
    n = len(parcels)
    base = pd.DataFrame({
        "mu": area_mu,
        "class_d_mu": np.where(flags["class_d"], area_mu, 0.0),
        "low_efficiency_mu": np.where(flags["low_efficiency"], area_mu, 0.0),
        "idle_mu": np.where(flags["idle"], area_mu, 0.0),
    })[m]
    frames = []
    park = _text(parcels.get("park_id"), n).fillna(OUTSIDE_PARKS).to_numpy(dtype=object)[m]
    town = _text(parcels.get("township"), n).fillna("(未注明乡镇)").to_numpy(dtype=object)[m]
    for level, key in (("park", park), ("township", town)):
        g = base.assign(key=key).groupby("key", sort=True).agg(
            parcels=("mu", "size"), reclaimable_mu=("mu", "sum"), class_d_mu=("class_d_mu", "sum"),
            low_efficiency_mu=("low_efficiency_mu", "sum"), idle_mu=("idle_mu", "sum")).reset_index()
        g.insert(0, "level", level)
        g = g.rename(columns={"key": "area_id"})
        names = (park_names or {}) if level == "park" else {}
        g.insert(2, "area_name", [names.get(k, k) for k in g["area_id"]])
        frames.append(g)
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=AREA_COLUMNS)
    for c in ("reclaimable_mu", "class_d_mu", "low_efficiency_mu", "idle_mu"):
        out[c] = out[c].astype(float).round(units.MU_DECIMALS)
    return out[AREA_COLUMNS]


def assess_reclaim(ws: Workspace, results: Results) -> StageResult:
    """Stage ``reclaim`` (可腾退低效用地).

    Parameters
    ----------
    ws : Workspace
        The ruleset's target with ``reclaimable_mu`` as its candidate pool (TT-T8, DQ-T2) names the
        rule of the findings;
        the ``parks`` layer gives park names.
    results : Results
        ``results.parcels`` with the efficiency (and, when run, idle) stages' columns.

    Returns
    -------
    StageResult
        Parcel columns ``reclaimable``, ``reclaim_reason``; table ``reclaim_by_area``; metric
        ``reclaimable_mu``; one ``warn`` finding per reclaimable parcel (value = its 亩).
    """
    parcels = results.parcels
    t4 = ws.ruleset.get("TT-T4")
    flags = reclaim_flags(parcels, bool(t4 is not None and t4.upgrade_targets_reclaimable))
    area_mu = units.m2_to_mu(shapely.area(np.asarray(parcels.geometry.values)))
    parks = ws.layer("parks")
    names = dict(zip(parks["park_id"].astype(str), parks["name"].astype(str))) \
        if parks is not None and "name" in parks.columns else {}
    table = by_area(parcels, flags, area_mu, names)
    total = float(area_mu[flags["reclaimable"].to_numpy()].sum())
    targets = [t for t in ws.ruleset.targets if "reclaimable_mu" in (t.metric, t.candidate_metric)]
    m = flags["reclaimable"].to_numpy()
    if targets and m.any():
        t = targets[0]
        findings = make_findings(parcels["parcel_id"].astype(str).to_numpy()[m], t.rule_id, t.clause, WARN,
                                 np.round(area_mu[m], units.MU_DECIMALS), np.nan, "亩",
                                 ["可腾退低效工业用地:" + r for r in flags["reclaim_reason"].to_numpy(dtype=object)[m]])
    else:
        findings = empty_findings()
    cols = pd.DataFrame({"reclaimable": flags["reclaimable"].to_numpy(),
                         "reclaim_reason": flags["reclaim_reason"].to_numpy()},
                        index=pd.Index(parcels["parcel_id"].astype(str).to_numpy(), name="parcel_id"))
    summary = {"reclaimable_parcels": int(m.sum()), "reclaimable_mu": round(total, units.MU_DECIMALS),
               "class_d_mu": round(float(area_mu[flags["class_d"].to_numpy()].sum()), 4),
               "low_efficiency_mu": round(float(area_mu[flags["low_efficiency"].to_numpy()].sum()), 4),
               "idle_mu": round(float(area_mu[flags["idle"].to_numpy()].sum()), 4),
               # 亿元企业 ≤ 10 万元/亩 (改造提升): listed, counted only under the ruleset switch
               "upgrade_target_parcels": int(flags["upgrade_target"].sum()),
               "upgrade_target_mu": round(float(area_mu[flags["upgrade_target"].to_numpy()].sum()), 4),
               "upgrade_targets_counted": bool(t4 is not None and t4.upgrade_targets_reclaimable),
               "idle_stage": "idle_tier" in parcels.columns}
    return StageResult(findings=findings, parcel_columns=cols, layers={"reclaim_by_area": table},
                       metrics={"reclaimable_mu": round(total, units.MU_DECIMALS)}, summary=summary)
