"""The county-specific sheets: 德清's 两高项目 / 园区外集聚点 / 老旧工业园区, 天台's 技改补助 / 规划调整与预告登记.

Each appears only when the county's ruleset has one of its rules or its layer exists
(:data:`COUNTY_SHEETS`); without data it says :data:`~.sheet.NO_DATA`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ...results_schema import label
from .lookups import (
    clause_of,
    county_of,
    explode_ids,
    findings_by_id,
    join_per_row,
    parcel_place,
    places_of,
    places_of_lists,
    render,
    rule_text,
    status_labels,
)
from .sheet import COUNTY, ENTERPRISE_NAME, RULES, Sheet, heading

__all__ = ["COUNTY_BUILDERS", "COUNTY_LAYERS", "COUNTY_SHEETS"]

#: Sheets shown only when the county's ruleset has the rule (or the layer exists): name → rule ids.
COUNTY_SHEETS = {"两高项目评估清单": ("DQ-HIGH",), "园区外集聚点": ("DQ-CLUSTER",), "老旧工业园区": ("DQ-PARK",),
                 "技改补助测算": ("TT-TECH",), "规划调整与预告登记": ("TT-KEEP", "TT-PRE")}


def _columns(frame: pd.DataFrame, table: str, names, data: dict, kinds: dict) -> None:
    for name in names:
        h, vals, k = render(frame, table, name)
        data[h], kinds[h] = vals, k


def high_energy_sheet(results, ws=None) -> Sheet:
    """两高项目评估清单 (DQ-HIGH), the largest consumer first, 合计 of the energy."""
    name, t_name = "两高项目评估清单", "high_energy_review"
    t = results.layer(t_name)
    if t is None:
        return Sheet(name, None, note="未生成 high_energy_review (两高项目) 表: 缺少项目表(projects)的建成年份或年综合能耗。")
    t = pd.DataFrame(t).reset_index(drop=True)
    place = parcel_place(results, ws)
    pid = t["parcel_id"]
    data: dict[str, object] = {COUNTY: county_of(results), heading("parcels", "township"): places_of(place, pid, "township"),
                               heading("parcels", "park_id"): places_of(place, pid, "park")}
    kinds: dict[str, str] = {}
    _columns(t, t_name, ("project_id", "name", "uscc", "parcel_id"), data, kinds)
    built = pd.to_numeric(t["built_year"], errors="coerce")
    data[heading(t_name, "built_year")] = np.where(built.isna(), None, built.fillna(0).astype(np.int64).astype(str))
    kinds[heading(t_name, "built_year")] = "text"
    _columns(t, t_name, ("energy_tce", "threshold_tce", "listed"), data, kinds)
    data[RULES] = rule_text("DQ-HIGH", clause_of(results, "DQ-HIGH"))
    frame = pd.DataFrame(data, index=range(len(t)))
    energy = heading(t_name, "energy_tce")
    frame = frame.sort_values(energy, ascending=False, kind="stable").reset_index(drop=True)
    return Sheet(name, frame, kinds, totals=[energy])


def clusters_sheet(results, ws=None) -> Sheet:
    """园区外集聚点 (DQ-CLUSTER), by cluster id, 合计 of parcels, area and enterprises."""
    name, t_name = "园区外集聚点", "clusters"
    t = results.layer(t_name)
    if t is None:
        return Sheet(name, None, note="未生成 clusters (园区外集聚点) 图层: 园区外无 3 宗以上相互邻近的工业宗地,或缺少园区图层。")
    t = pd.DataFrame(t).reset_index(drop=True)
    place = parcel_place(results, ws)
    data: dict[str, object] = {COUNTY: county_of(results)}
    kinds: dict[str, str] = {}
    _columns(t, t_name, ("cluster_id",), data, kinds)
    data[heading("parcels", "township")] = places_of_lists(place, t["parcel_ids"], "township")
    _columns(t, t_name, ("parcel_count", "area_mu", "enterprise_count", "tax_per_mu", "d_share", "park_distance_m",
                         "class_A", "class_B", "class_C", "class_D", "treatment"), data, kinds)
    ids_h = heading(t_name, "parcel_ids")
    data[ids_h], kinds[ids_h] = join_per_row(explode_ids(t["parcel_ids"]), len(t)), "text"
    data[RULES] = rule_text("DQ-CLUSTER", clause_of(results, "DQ-CLUSTER"))
    frame = pd.DataFrame(data, index=range(len(t)))
    frame = frame.sort_values(heading(t_name, "cluster_id"), kind="stable").reset_index(drop=True)
    return Sheet(name, frame, kinds, totals=[heading(t_name, c) for c in ("parcel_count", "area_mu", "enterprise_count")])


def old_parks_sheet(results, ws=None) -> Sheet:
    """老旧工业园区 (DQ-PARK): FAR and 亩均税收 of each old park with the rule's verdict on each."""
    name, t_name = "老旧工业园区", "old_parks"
    t = results.layer(t_name)
    if t is None:
        return Sheet(name, None, note="未生成 old_parks (老旧工业园区) 表: 缺少园区图层(parks)或园区类型。")
    t = pd.DataFrame(t).reset_index(drop=True)
    f = results.findings
    f = f[f["rule_id"] == "DQ-PARK"] if f is not None and len(f) else pd.DataFrame(columns=["parcel_id", "unit", "status"])
    unit = f["unit"].fillna("").astype(str)
    # one DQ-PARK finding per park and measure: the FAR one has no unit, the 亩均税收 one 万元/亩
    far_status = f[(unit == "").to_numpy()].drop_duplicates("parcel_id").set_index("parcel_id")["status"]
    tax_status = f[(unit == "万元/亩").to_numpy()].drop_duplicates("parcel_id").set_index("parcel_id")["status"]
    far_status.index, tax_status.index = far_status.index.astype(str), tax_status.index.astype(str)
    pid = t["park_id"].astype(str)
    data: dict[str, object] = {COUNTY: county_of(results)}
    kinds: dict[str, str] = {}
    _columns(t, t_name, ("park_id",), data, kinds)
    names = t["name"].astype(object)
    data[heading(t_name, "name")] = names.where(names.notna(), pid).to_numpy(dtype=object)
    _columns(t, t_name, ("parcel_count", "area_mu", "floor_area_m2", "far"), data, kinds)
    data[label(t_name, "far") + "核查"] = status_labels(pid.map(far_status))
    _columns(t, t_name, ("tax_per_mu",), data, kinds)
    data[label(t_name, "tax_per_mu") + "核查"] = status_labels(pid.map(tax_status))
    _columns(t, t_name, ("renovated_mu",), data, kinds)
    data[RULES] = rule_text("DQ-PARK", clause_of(results, "DQ-PARK"))
    frame = pd.DataFrame(data, index=range(len(t)))
    return Sheet(name, frame, kinds,
                 totals=[heading(t_name, c) for c in ("parcel_count", "area_mu", "floor_area_m2", "renovated_mu")])


def subsidies_sheet(results, ws=None) -> Sheet:
    """技改补助测算 (TT-TECH): one row per renovation, 合计 of investment, leased area and subsidy."""
    name, t_name = "技改补助测算", "subsidies"
    t = results.layer(t_name)
    if t is None:
        return Sheet(name, None, note="未生成 subsidies (技改补助) 表: 缺少零增地技改方案图层(renovations)。")
    t = pd.DataFrame(t).reset_index(drop=True)
    place = parcel_place(results, ws)
    pid = t["parcel_id"]
    found = findings_by_id(results, "TT-TECH")
    data: dict[str, object] = {COUNTY: county_of(results), heading("parcels", "township"): places_of(place, pid, "township")}
    kinds: dict[str, str] = {}
    _columns(t, t_name, ("renovation_id", "parcel_id"), data, kinds)
    data[ENTERPRISE_NAME] = places_of(place, pid, "enterprise")
    _columns(t, t_name, ("eval_class", "equipment_investment", "tier", "uplift", "cap_uplift", "leased_plant_m2",
                         "lease_subsidy_wan"), data, kinds)
    rid = t["renovation_id"].astype(str)
    data[heading("findings", "message")] = rid.map(found["message"]).to_numpy(dtype=object) if len(found) else None
    data[RULES] = rule_text("TT-TECH", clause_of(results, "TT-TECH"))
    frame = pd.DataFrame(data, index=range(len(t)))
    return Sheet(name, frame, kinds,
                 totals=[heading(t_name, c) for c in ("equipment_investment", "leased_plant_m2", "lease_subsidy_wan")])


#: 事项 and the measure of the TT-KEEP / TT-PRE findings (their value and threshold are ratios).
_KEEP_PRE = {"TT-KEEP": ("规划调整后保留工业用地(零增地技改)", "规划为非工业用地比例(%)"),
             "TT-PRE": ("预告登记转让", "开发投资占总投资比例(%)")}
#: Headings of the composed columns of that sheet.
_MATTER, _MEASURE, _VALUE, _THRESHOLD = "事项", "指标", "指标值(%)", "标准(%)"


def keep_pre_sheet(results, ws=None) -> Sheet:
    """规划调整与预告登记 (TT-KEEP, TT-PRE): the parcels those findings are about, from the findings."""
    name = "规划调整与预告登记"
    f = results.findings
    f = f[f["rule_id"].isin(list(_KEEP_PRE))] if f is not None and len(f) else None
    if f is not None:
        f = f[~f["message"].fillna("").astype(str).str.contains("无此条款")]
    if f is None or not len(f):
        return Sheet(name, None, note="无 TT-KEEP / TT-PRE 结论: 无宗地被规划调整为非工业用地,且无可预告登记转让的低效用地。")
    f = f.sort_values(["rule_id", "parcel_id"], kind="stable").reset_index(drop=True)
    pid = f["parcel_id"].astype(str)
    place = parcel_place(results, ws)
    p = results.parcels.drop_duplicates("parcel_id")
    cls = pd.Series(p["eval_class"].to_numpy(dtype=object) if "eval_class" in p.columns else None,
                    index=p["parcel_id"].astype(str).to_numpy())
    area = heading("enterprise_eval", "land_mu")
    data: dict[str, object] = {
        COUNTY: county_of(results), _MATTER: f["rule_id"].map({r: v[0] for r, v in _KEEP_PRE.items()}).to_numpy(dtype=object),
        heading("parcels", "township"): places_of(place, pid, "township"),
        heading("parcels", "park_id"): places_of(place, pid, "park"), heading("parcels", "parcel_id"): pid.to_numpy(),
        ENTERPRISE_NAME: places_of(place, pid, "enterprise"), heading("parcels", "owner_uscc"): places_of(place, pid, "uscc"),
        area: pd.to_numeric(pd.Series(places_of(place, pid, "area_mu")), errors="coerce").to_numpy(dtype=float),
        heading("parcels", "eval_class"): render(pd.DataFrame({"eval_class": pid.map(cls)}), "parcels", "eval_class")[1],
        _MEASURE: f["rule_id"].map({r: v[1] for r, v in _KEEP_PRE.items()}).to_numpy(dtype=object),
        _VALUE: pd.to_numeric(f["value"], errors="coerce").to_numpy(dtype=float) * 100,
        _THRESHOLD: pd.to_numeric(f["threshold"], errors="coerce").to_numpy(dtype=float) * 100,
        heading("findings", "status"): status_labels(f["status"]),
        heading("findings", "message"): f["message"].to_numpy(dtype=object),
        RULES: [rule_text(r, c) for r, c in zip(f["rule_id"], f["clause"], strict=True)],
    }
    kinds = {heading("parcels", "parcel_id"): "text", heading("parcels", "owner_uscc"): "text", area: "mu",
             _VALUE: "pct", _THRESHOLD: "pct"}
    return Sheet(name, pd.DataFrame(data, index=range(len(f))), kinds, totals=[area])


#: Sheet name → builder, and the layer whose presence shows the sheet even without the rule.
COUNTY_BUILDERS: dict[str, Callable[..., Sheet]] = {
    "两高项目评估清单": high_energy_sheet, "园区外集聚点": clusters_sheet, "老旧工业园区": old_parks_sheet,
    "技改补助测算": subsidies_sheet, "规划调整与预告登记": keep_pre_sheet}
COUNTY_LAYERS: dict[str, str | None] = {"两高项目评估清单": "high_energy_review", "园区外集聚点": "clusters",
                                        "老旧工业园区": "old_parks", "技改补助测算": "subsidies", "规划调整与预告登记": None}
