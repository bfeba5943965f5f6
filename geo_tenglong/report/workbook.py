"""The Excel workbook of lists (清单) a bureau files: one sheet per list, Chinese headers with units.

:func:`write_workbook` is the ``workbook`` output of :data:`geo_tenglong.pipeline.OUTPUTS`. It
renders what the analysis stages published (``results.parcels`` columns, the layers
``enterprise_eval``, ``idle_land``, ``fragments``, ``fragment_offers``, ``split_checks``,
``merge_checks``, ``join_issues``, ``data_issues``, ``land_supply_check``, ``high_energy_review``,
``clusters``, ``old_parks``, ``subsidies`` and the findings) and decides no rule. A sheet of
:data:`SHEETS` whose source layer a run did not produce still appears and says "本次运行无此项数据".
A county-specific sheet (:data:`COUNTY_SHEETS`: 德清's 两高/集聚点/老旧园区, 天台's 技改补助 and
规划调整与预告登记) appears only when the county's ruleset has one of its rules (or its layer exists);
then, without data, it too says "本次运行无此项数据".

Every sheet has one header row (frozen), an autofilter over the data, number formats by unit,
widths from the content, and a 合计 row where a sum means something (areas, fees).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from ..findings import FAIL, STATUS_LABELS, WARN
from ..io.atomic import atomic_path, check_not_input

__all__ = ["WORKBOOK_FILE", "SHEETS", "COUNTY_SHEETS", "NO_DATA", "write_workbook", "build_sheets", "park_names", "split_ids",
           "flag_summary"]

#: File name of the workbook inside the output folder.
WORKBOOK_FILE = "腾笼换鸟清单.xlsx"

#: What a sheet says when its source layer does not exist in this run.
NO_DATA = "本次运行无此项数据"

#: Sheet names, in order (Excel forbids "/" in names, hence 与).
SHEETS = ["亩均效益评价结果(规上)", "亩均效益评价结果(规下)", "低效企业与低效用地清单", "闲置土地清单",
          "零星边角地清单", "分割合并核查", "工业用地供应比例", "数据问题"]

#: Sheets shown only when the county's ruleset has the rule (or the layer exists): name → rule ids.
COUNTY_SHEETS = {"两高项目评估清单": ("DQ-HIGH",), "园区外集聚点": ("DQ-CLUSTER",), "老旧工业园区": ("DQ-PARK",),
                 "技改补助测算": ("TT-TECH",), "规划调整与预告登记": ("TT-KEEP", "TT-PRE")}

#: Number formats by column kind.
_FORMATS = {"mu": "#,##0.0000", "m2": "#,##0.00", "money": "#,##0.00", "num2": "#,##0.00", "num1": "0.0",
            "pct": "0.00", "int": "#,##0", "text": "@", "date": "yyyy-mm-dd"}

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
_THIN = Side(style="thin", color="A6A6A6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)

#: Chinese headers for fields other stages may publish in layers whose exact schema this module
#: does not fix (fragments, split and merge checks). Unknown fields keep their own name.
FIELD_LABELS = {
    "parcel_id": ("宗地代码", "text"), "parcel_ids": ("宗地代码", "text"), "fragment_id": ("地块编号", "text"),
    "proposal_id": ("方案编号", "text"), "renovation_id": ("技改项目编号", "text"), "part_no": ("分割后地块序号", "int"),
    "buyer_uscc": ("受让方统一社会信用代码", "text"), "buyer_name": ("受让方名称", "text"),
    "uscc": ("统一社会信用代码", "text"), "owner_uscc": ("统一社会信用代码", "text"), "owner_name": ("土地使用权人", "text"),
    "name": ("名称", "text"), "kind": ("类型", "text"), "township": ("乡镇(街道)", "text"), "park_id": ("园区", "text"),
    "area_m2": ("面积(平方米)", "m2"), "area_mu": ("面积(亩)", "mu"), "status": ("核查结论", "text"),
    "rule_id": ("规则编号", "text"), "clause": ("条款", "text"), "message": ("说明", "text"), "reason": ("原因", "text"),
    "neighbour_ids": ("相邻宗地", "text"), "neighbours": ("相邻宗地", "text"), "adjacent_parcels": ("相邻宗地", "text"),
    "candidate_parcels": ("可供宗地", "text"), "enclosed": ("夹心地", "text"), "compliant": ("符合规划", "text"),
    "share_pct": ("占原用地比例(%)", "pct"), "share": ("占原用地比例", "num2"), "far_after": ("技改后容积率", "num2"),
    "far_before": ("技改前容积率", "num2"), "far_gain_pct": ("容积率提高(%)", "pct"), "zone": ("控规用地", "text"),
    "land_use_code": ("用地代码", "text"), "rights_nature": ("权属性质", "text"), "rights_type": ("使用权类型", "text"),
    "term_end": ("土地使用期限至", "text"), "unified_term_end": ("统一后使用期限至", "text"),
    "cuts_building": ("切割建筑物", "text"), "parts": ("分割后宗数", "int"), "min_part_mu": ("最小分割地块(亩)", "mu"),
    "adjacent": ("界线相邻", "text"), "same_rights": ("权属一致", "text"), "second_split": ("二次分割", "text"),
    "eval_class": ("类别", "text"), "buyer_class": ("受让方类别", "text"), "fail_rules": ("不符合规则", "text"),
    "note": ("备注", "text"), "source": ("来源文件", "text"), "source_row": ("行号", "int"), "feature": ("要素", "text"),
    # split_checks / merge_checks (split_merge stage)
    "area_ok": ("面积达标", "text"), "buildings": ("涉及建筑物", "text"), "cut_buildings": ("被切割建筑物", "text"),
    "admin_only": ("仅含行政办公及生活服务用地", "text"), "part_status": ("分割地块结论", "text"),
    "verdict": ("核查结论", "text"), "failed": ("不符合条件", "text"), "n_parcels": ("合并宗数", "int"),
    "shared_length_m": ("共用界线长度(米)", "num2"), "splittable": ("合并后可分割", "text"),
    # fragments / fragment_offers (fragments stage)
    "width_m": ("宽度(米)", "num2"), "perimeter_m": ("周长(米)", "num2"), "compactness": ("紧凑度", "num2"),
    "parcel_count": ("相邻宗地数", "int"), "parcel_shared_m": ("与宗地共边(米)", "num2"),
    "road_shared_m": ("与道路共边(米)", "num2"), "water_shared_m": ("与水域共边(米)", "num2"),
    "edge_shared_m": ("与范围线共边(米)", "num2"), "compliance": ("规划符合性", "text"),
    "usable_area_m2": ("可用面积(平方米)", "m2"), "usable_area_mu": ("可用面积(亩)", "mu"), "rank": ("顺位", "int"),
    "holder_uscc": ("使用企业统一社会信用代码", "text"), "holder_name": ("使用企业", "text"),
    "parcel_area_m2": ("原宗地面积(平方米)", "m2"), "cap_m2": ("可增加上限(平方米)", "m2"), "cap_mu": ("可增加上限(亩)", "mu"),
    "fragment_area_m2": ("边角地面积(平方米)", "m2"), "max_take_m2": ("最多可取得(平方米)", "m2"),
    "max_take_mu": ("最多可取得(亩)", "mu"), "whole_plot": ("可整块取得", "text"),
}

_ISSUE_KINDS = {
    "unmatched_enterprise": "企业未匹配到宗地", "unmatched_parcel": "宗地未匹配到企业", "invalid_uscc": "统一社会信用代码无效",
    "duplicate_uscc": "统一社会信用代码重复", "repaired_geometry": "几何已修复", "invalid_geometry": "几何无效",
    "unmatched_tenant": "入驻企业未匹配", "duplicate": "重复记录",
    "empty_geometry": "空几何", "bad_value": "取值错误", "assumed_crs": "坐标系按默认处理",
    "missing_year": "缺少评价年度数据", "tenancy_unknown_parcel": "入驻企业所在宗地不存在", "duplicate_tenancy": "入驻记录重复",
    "tenancy_missing_floor_area": "入驻企业缺少使用面积", "parcel_without_enterprise": "宗地无对应企业",
    "enterprise_without_land": "企业无对应宗地",
}


@dataclasses.dataclass
class Sheet:
    """One sheet to write: a frame with Chinese headers, the kind of each column and the totals row.

    Attributes
    ----------
    name : str
        Sheet name.
    frame : DataFrame or None
        The rows (``None``: the source layer is absent → :data:`NO_DATA`).
    kinds : dict
        Column header → kind (a key of ``_FORMATS``).
    totals : list of str
        Headers of columns summed in a 合计 row.
    note : str
        Why there is no data (names the missing layer), shown under :data:`NO_DATA`.
    """

    name: str
    frame: pd.DataFrame | None
    kinds: dict[str, str] = dataclasses.field(default_factory=dict)
    totals: list[str] = dataclasses.field(default_factory=list)
    note: str = ""


# --------------------------------------------------------------------------------------- helpers

def split_ids(value: Any) -> list[str]:
    """Parcel ids held in one cell: a list, a JSON list (after a GeoPackage round trip) or ``;``-joined.

    Examples
    --------
    >>> split_ids('["a", "b"]'), split_ids("a;b"), split_ids(None)
    (['a', 'b'], ['a', 'b'], [])
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return []
    if isinstance(value, (list, tuple, np.ndarray, pd.Series)):
        return [str(v) for v in value if v is not None and str(v) != ""]
    text = str(value).strip()
    if text.startswith("["):
        try:
            return [str(v) for v in json.loads(text)]
        except ValueError:
            pass
    for sep in ("；", ",", "，", "、", " "):
        text = text.replace(sep, ";")
    return [t for t in (s.strip() for s in text.split(";")) if t]


def park_names(results, ws=None) -> dict[str, str]:
    """``park_id`` → park name, from the workspace's ``parks`` layer or a ``parks`` results layer."""
    parks = None
    if ws is not None and hasattr(ws, "layer"):
        parks = ws.layer("parks")
    if parks is None:
        parks = results.layer("parks")
    if parks is None or "park_id" not in parks or "name" not in parks:
        return {}
    return {str(k): str(v) for k, v in zip(parks["park_id"], parks["name"]) if k is not None and v is not None}


def flag_summary(findings: pd.DataFrame) -> pd.Series:
    """Per feature id: the failed and warned rules as ``"TT-T4 二、主要目标; …"`` (fails first)."""
    f = findings[findings["status"].isin([FAIL, WARN])]
    if not len(f):
        return pd.Series(dtype=object)
    f = f.assign(order=(f["status"] != FAIL).astype(int)).sort_values(["parcel_id", "order", "rule_id"])
    clause = f["clause"].fillna("").astype(str)
    label = f["status"].map(STATUS_LABELS).fillna("")
    text = f["rule_id"].astype(str) + np.where(clause != "", "(" + clause + ")", "") + label.map(lambda s: f"[{s}]")
    return text.groupby(f["parcel_id"].astype(str)).agg(lambda s: "; ".join(dict.fromkeys(s)))


def _readable_list(v):
    """JSON lists of ``{"parcel_id", "shared_m"}`` (neighbours) as ``id(共边 x 米)、…``; other values unchanged."""
    if isinstance(v, str) and v.startswith("[{"):
        try:
            items = json.loads(v)
        except ValueError:
            return v
        v = items
    if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
        out = []
        for x in v:
            pid = x.get("parcel_id", x.get("id", ""))
            shared = x.get("shared_m")
            out.append(f"{pid}(共边 {shared:g} 米)" if isinstance(shared, (int, float)) else str(pid))
        return "、".join(out)
    return v


def _clean(v):
    if v is None or v is pd.NA:
        return None
    if isinstance(v, (float, np.floating)) and np.isnan(v):
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return round(float(v), 6)  # no binary noise like 70.00000000000001 in the cells
    if isinstance(v, (np.bool_, bool)):
        return "是" if bool(v) else "否"
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, (list, tuple, np.ndarray)):
        return "、".join(map(str, v))
    if isinstance(v, (dict,)):
        return json.dumps(v, ensure_ascii=False)
    return v


def _col(frame: pd.DataFrame, name: str, default=None) -> pd.Series:
    if frame is not None and name in frame.columns:
        return frame[name]
    return pd.Series([default] * (0 if frame is None else len(frame)), index=None if frame is None else frame.index,
                     dtype=object)


def _parcel_place(results, ws=None) -> pd.DataFrame:
    """Per parcel id: 乡镇, 园区 (name), area in 亩, holder and owner."""
    p = results.parcels
    parks = park_names(results, ws)
    park_id = _col(p, "park_id").astype(object)
    park = park_id.map(lambda v: parks.get(str(v), str(v)) if v is not None and not pd.isna(v) and str(v) else "")
    return pd.DataFrame({"township": _col(p, "township", "").fillna("").astype(str).to_numpy(),
                         "park": park.to_numpy(), "area_mu": _col(p, "area_mu").to_numpy()},
                        index=p["parcel_id"].astype(str).to_numpy())


def _join_unique(values: Iterable) -> str:
    return "、".join(dict.fromkeys(str(v) for v in values if v is not None and not pd.isna(v) and str(v)))


# ------------------------------------------------------------------------------------ the sheets

def _enterprise_sheets(results, ws) -> list[Sheet]:
    ev = results.layer("enterprise_eval")
    names = SHEETS[:2]
    if ev is None:
        note = "未生成 enterprise_eval (亩均效益评价) 图层: 亩均效益分析阶段未运行或缺少企业数据。"
        return [Sheet(n, None, note=note) for n in names]
    ev = pd.DataFrame(ev).copy()
    ev["uscc"] = ev["uscc"].astype(str)
    year = pd.to_numeric(_col(ev, "year"), errors="coerce")
    last = int(year.max()) if year.notna().any() else None
    cur = ev[year == last] if last is not None else ev
    prev = ev[year == last - 1] if last is not None else ev.iloc[0:0]
    prev_tax = prev.drop_duplicates("uscc").set_index("uscc")["tax_per_mu"] if "tax_per_mu" in prev else pd.Series(dtype=float)
    place = _parcel_place(results, ws)
    county = results.info.get("county", "")
    ids = _col(cur, "parcel_ids").map(split_ids)
    y0 = f"{last - 1}年" if last is not None else "上年"
    y1 = f"{last}年" if last is not None else "本年"
    rows = pd.DataFrame({
        "区县": county,
        "乡镇(街道)": ids.map(lambda xs: _join_unique(place["township"].get(x) for x in xs)).to_numpy(),
        "园区": ids.map(lambda xs: _join_unique(place["park"].get(x) for x in xs)).to_numpy(),
        "企业名称": _col(cur, "name").to_numpy(),
        "统一社会信用代码": cur["uscc"].to_numpy(),
        "宗地代码": ids.map(lambda xs: "、".join(xs)).to_numpy(),
        "占地面积(亩)": pd.to_numeric(_col(cur, "land_mu"), errors="coerce").to_numpy(),
        "营业收入(万元)": _col(cur, "revenue").to_numpy(),
        "税收实际贡献(万元)": _col(cur, "tax").to_numpy(),
        "工业增加值(万元)": _col(cur, "value_added").to_numpy(),
        "年平均职工人数(人)": _col(cur, "employees").to_numpy(),
        "综合能耗(吨标准煤)": _col(cur, "energy_tce").to_numpy(),
        f"{y0}亩均税收(万元/亩)": cur["uscc"].map(prev_tax).to_numpy() if len(prev_tax) else np.nan,
        f"{y1}亩均税收(万元/亩)": _col(cur, "tax_per_mu").to_numpy(),
        "亩均增加值(万元/亩)": _col(cur, "va_per_mu").to_numpy(),
        "全员劳动生产率(万元/人)": _col(cur, "labour_productivity").to_numpy(),
        "单位能耗增加值(万元/吨标准煤)": _col(cur, "va_per_energy").to_numpy(),
        "单位排放增加值(万元/吨)": _col(cur, "va_per_emission").to_numpy(),
        "R&D经费占营业收入比重(%)": pd.to_numeric(_col(cur, "rd_ratio"), errors="coerce").to_numpy() * 100,
        "综合得分": _col(cur, "score").to_numpy(),
        "类别": _col(cur, "eval_class").to_numpy(),
        "类别名称": _col(cur, "class_name").to_numpy(),
        "低效类型": _col(cur, "low_efficiency_type").to_numpy(),
        "是否参评": _col(cur, "in_scope").map(lambda v: None if v is None or pd.isna(v) else ("是" if bool(v) else "否")).to_numpy(),
        "备注": _col(cur, "class_note").to_numpy(),
        "_scale": _col(cur, "scale").astype(str).to_numpy(),
    })
    for c in ["占地面积(亩)", "营业收入(万元)", "税收实际贡献(万元)", "工业增加值(万元)"]:
        rows[c] = pd.to_numeric(rows[c], errors="coerce")
    kinds = {"占地面积(亩)": "mu", "营业收入(万元)": "money", "税收实际贡献(万元)": "money", "工业增加值(万元)": "money",
             "年平均职工人数(人)": "int", "综合能耗(吨标准煤)": "num2", f"{y0}亩均税收(万元/亩)": "num2",
             f"{y1}亩均税收(万元/亩)": "num2", "亩均增加值(万元/亩)": "num2", "全员劳动生产率(万元/人)": "num2",
             "单位能耗增加值(万元/吨标准煤)": "num2", "单位排放增加值(万元/吨)": "num2", "R&D经费占营业收入比重(%)": "pct",
             "综合得分": "num2", "统一社会信用代码": "text", "宗地代码": "text"}
    class_order = {"A": 0, "B": 1, "C": 2, "D": 3}
    rows["_order"] = rows["类别"].map(lambda v: class_order.get(str(v), 9))
    out = []
    small_cols = ["区县", "乡镇(街道)", "园区", "企业名称", "统一社会信用代码", "宗地代码", "占地面积(亩)", "营业收入(万元)",
                  "税收实际贡献(万元)", f"{y0}亩均税收(万元/亩)", f"{y1}亩均税收(万元/亩)", "综合得分", "类别", "类别名称",
                  "低效类型", "是否参评", "备注"]
    for name, scale in zip(names, ["规上", "规下"]):
        part = rows[rows["_scale"] == scale].sort_values(["_order", "综合得分"], ascending=[True, False], kind="stable")
        part = part.drop(columns=["_scale", "_order"])
        if scale == "规下":  # 规下 enterprises are scored mostly on 亩均税收: the bureau's short list
            part = part[small_cols]
        out.append(Sheet(name, part.reset_index(drop=True), kinds,
                         totals=["占地面积(亩)", "营业收入(万元)", "税收实际贡献(万元)", "工业增加值(万元)"]))
    return out


def _low_efficiency_sheet(results, ws) -> Sheet:
    p = results.parcels
    has = [c for c in ("low_efficiency", "reclaimable") if c in p.columns]
    if not has:
        return Sheet(SHEETS[2], None, note="parcels 图层无 low_efficiency / reclaimable 字段: 亩均效益或可腾退分析阶段未运行。")
    flag = np.zeros(len(p), dtype=bool)
    for c in has:
        flag |= p[c].fillna(False).astype(bool).to_numpy()
    sel = p[flag]
    place = _parcel_place(results, ws).loc[sel["parcel_id"].astype(str)]
    flags = flag_summary(results.findings)
    year = pd.to_numeric(_col(sel, "eval_year"), errors="coerce")
    y1 = f"{int(year.max())}年" if year.notna().any() else "本年"
    y0 = f"{int(year.max()) - 1}年" if year.notna().any() else "上年"
    holder = _col(sel, "holder_name").where(_col(sel, "holder_name").notna(), _col(sel, "owner_name"))
    uscc = _col(sel, "holder_uscc").where(_col(sel, "holder_uscc").notna(), _col(sel, "owner_uscc"))
    frame = pd.DataFrame({
        "区县": results.info.get("county", ""),
        "乡镇(街道)": place["township"].to_numpy(), "园区": place["park"].to_numpy(),
        "宗地代码": sel["parcel_id"].astype(str).to_numpy(), "企业名称": holder.to_numpy(),
        "统一社会信用代码": uscc.to_numpy(), "入驻企业数": _col(sel, "tenant_count").to_numpy(),
        "占地面积(亩)": pd.to_numeric(sel["area_mu"], errors="coerce").to_numpy(),
        f"{y0}亩均税收(万元/亩)": _col(sel, "tax_per_mu_prev").to_numpy(),
        f"{y1}亩均税收(万元/亩)": _col(sel, "tax_per_mu").to_numpy(),
        "亩均增加值(万元/亩)": _col(sel, "va_per_mu").to_numpy(),
        "容积率": _col(sel, "far").to_numpy(),
        "建筑系数(%)": pd.to_numeric(_col(sel, "building_coverage"), errors="coerce").to_numpy() * 100,
        "类别": _col(sel, "eval_class").to_numpy(), "类别名称": _col(sel, "class_name").to_numpy(),
        "低效类型": _col(sel, "low_efficiency_type").to_numpy(),
        "低效企业": _col(sel, "low_efficiency").map(lambda v: None if v is None or pd.isna(v) else ("是" if v else "否")).to_numpy(),
        "可腾退": _col(sel, "reclaimable").map(lambda v: None if v is None or pd.isna(v) else ("是" if v else "否")).to_numpy(),
        "腾退理由": _col(sel, "reclaim_reason").to_numpy(),
        "规则与条款": sel["parcel_id"].astype(str).map(flags).to_numpy() if len(flags) else None,
    })
    frame = frame.sort_values(["乡镇(街道)", "园区", "宗地代码"], kind="stable").reset_index(drop=True)
    kinds = {"占地面积(亩)": "mu", f"{y0}亩均税收(万元/亩)": "num2", f"{y1}亩均税收(万元/亩)": "num2",
             "亩均增加值(万元/亩)": "num2", "容积率": "num2", "建筑系数(%)": "pct", "入驻企业数": "int",
             "宗地代码": "text", "统一社会信用代码": "text"}
    return Sheet(SHEETS[2], frame, kinds, totals=["占地面积(亩)"])


_IDLE_TIER = {0: "未达闲置", 1: "闲置满一年(征收土地闲置费)", 2: "闲置满两年(可无偿收回)"}


def _idle_sheet(results, ws) -> Sheet:
    idle = results.layer("idle_land")
    if idle is None:
        return Sheet(SHEETS[3], None, note="未生成 idle_land (闲置土地) 图层: 闲置土地分析阶段未运行或缺少出让合同数据。")
    idle = pd.DataFrame(idle).drop(columns=[c for c in ("geometry",) if c in idle.columns])
    p = pd.DataFrame(results.parcels.drop(columns=results.parcels.geometry.name))
    p["parcel_id"] = p["parcel_id"].astype(str)
    idle["parcel_id"] = idle["parcel_id"].astype(str)
    extra = [c for c in p.columns if c not in idle.columns or c == "parcel_id"]
    rows = idle.merge(p[extra], on="parcel_id", how="left")
    place = _parcel_place(results, ws).reindex(rows["parcel_id"])
    flags = flag_summary(results.findings)
    gov = _col(rows, "idle_gov_cause")
    frame = pd.DataFrame({
        "区县": results.info.get("county", ""),
        "乡镇(街道)": place["township"].to_numpy(), "园区": place["park"].to_numpy(),
        "宗地代码": rows["parcel_id"].to_numpy(), "土地使用权人": _col(rows, "owner_name").to_numpy(),
        "统一社会信用代码": _col(rows, "owner_uscc").to_numpy(),
        "占地面积(亩)": pd.to_numeric(_col(rows, "area_mu"), errors="coerce").to_numpy(),
        "认定规则": _col(rows, "idle_rule").to_numpy(),
        "闲置类型": _col(rows, "idle_kind").to_numpy(),
        "闲置情形": pd.to_numeric(_col(rows, "idle_tier"), errors="coerce").map(
            lambda v: None if pd.isna(v) else _IDLE_TIER.get(int(v), str(v))).to_numpy(),
        "闲置天数(天)": _col(rows, "idle_days").to_numpy(),
        "土地闲置费(万元)": _col(rows, "idle_fee_wan").to_numpy(),
        "出让(划拨)价款(万元)": pd.to_numeric(_col(rows, "land_price_wan"), errors="coerce").to_numpy(),
        "可无偿收回": _col(rows, "recover_candidate").map(
            lambda v: None if v is None or pd.isna(v) else ("是" if bool(v) else "否")).to_numpy(),
        "已开发面积比例(%)": pd.to_numeric(_col(rows, "developed_share"), errors="coerce").to_numpy() * 100,
        "已投资比例(%)": pd.to_numeric(_col(rows, "invested_share"), errors="coerce").to_numpy() * 100,
        "政府原因": gov.where(gov.notna() & (gov.astype(str) != ""), None).to_numpy(),
        "首期建成比例(%)": pd.to_numeric(_col(rows, "built_share_first"), errors="coerce").to_numpy() * 100,
        "末期建成比例(%)": pd.to_numeric(_col(rows, "built_share_last"), errors="coerce").to_numpy() * 100,
        "末期裸地比例(%)": pd.to_numeric(_col(rows, "bare_share_last"), errors="coerce").to_numpy() * 100,
        "土地状态": _col(rows, "status").to_numpy(),
        "影像佐证": _col(rows, "evidence").to_numpy(),
        "规则与条款": rows["parcel_id"].map(flags).to_numpy() if len(flags) else None,
    })
    frame["土地闲置费(万元)"] = pd.to_numeric(frame["土地闲置费(万元)"], errors="coerce")
    kinds = {"占地面积(亩)": "mu", "闲置天数(天)": "int", "土地闲置费(万元)": "money", "首期建成比例(%)": "pct",
             "末期建成比例(%)": "pct", "末期裸地比例(%)": "pct", "宗地代码": "text", "统一社会信用代码": "text",
             "出让(划拨)价款(万元)": "money", "已开发面积比例(%)": "pct", "已投资比例(%)": "pct"}
    return Sheet(SHEETS[3], frame.reset_index(drop=True), kinds, totals=["占地面积(亩)", "土地闲置费(万元)"])


def _generic(layer: pd.DataFrame, results, ws, lead: dict[str, str] | None = None) -> tuple[pd.DataFrame, dict]:
    """A layer of unfixed schema with Chinese headers (FIELD_LABELS) and the flagged rules per row."""
    frame = pd.DataFrame(layer)
    geom = getattr(layer, "_geometry_column_name", None)
    if geom and geom in frame.columns:
        frame = frame.drop(columns=[geom])
    flags = flag_summary(results.findings)
    out, kinds = {}, {}
    for k, v in (lead or {}).items():
        out[k] = v
    for c in frame.columns:
        if c in ("status", "part_status", "verdict"):
            frame[c] = frame[c].map(lambda v: STATUS_LABELS.get(str(v), v) if isinstance(v, str) else v)
        elif not pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]):
            frame[c] = frame[c].astype(object).map(_readable_list)
    if "park_id" in frame.columns:
        parks = park_names(results, ws)
        frame["park_id"] = frame["park_id"].map(lambda v: parks.get(str(v), v) if v is not None and not pd.isna(v) else v)
    for c in frame.columns:
        header, kind = FIELD_LABELS.get(c, (c, "num2" if pd.api.types.is_float_dtype(frame[c]) else "text"))
        while header in out:
            header += "_"
        out[header] = frame[c].to_numpy()
        kinds[header] = kind
    id_cols = [c for c in frame.columns if c.endswith("_id") and c not in ("park_id",)]
    if id_cols and len(flags):
        rules = []
        for _, row in frame[id_cols].iterrows():
            hits = [flags.get(str(row[c])) for c in id_cols if row[c] is not None and not pd.isna(row[c])]
            rules.append("; ".join(h for h in hits if h) or None)
        out["规则与条款"] = rules
    return pd.DataFrame(out, index=range(len(frame))), kinds


def _fragments_sheet(results, ws) -> list[Sheet]:
    frags = results.layer("fragments")
    if frags is None:
        return [Sheet(SHEETS[4], None, note="未生成 fragments (零星边角地/夹心地) 图层: 零星边角地分析阶段未运行。")]
    frame, kinds = _generic(frags, results, ws, {"区县": results.info.get("county", "")})
    totals = [h for h in frame.columns if h.startswith("面积(")]
    sheets = [Sheet(SHEETS[4], frame, kinds, totals=totals)]
    offers = results.layer("fragment_offers")
    if offers is not None:
        oframe, okinds = _generic(offers, results, ws)
        sheets.append(Sheet("零星边角地供地对象", oframe, okinds))
    return sheets


def _split_merge_sheet(results, ws) -> Sheet:
    parts = []
    kinds: dict[str, str] = {}
    for name, label in (("split_checks", "分割"), ("merge_checks", "合并")):
        layer = results.layer(name)
        if layer is None:
            continue
        frame, k = _generic(layer, results, ws, {"核查类型": label})
        parts.append(frame)
        kinds.update(k)
    if not parts:
        return Sheet(SHEETS[5], None, note="未生成 split_checks / merge_checks 图层: 分割合并核查阶段未运行或无分割合并方案。")
    frame = pd.concat(parts, ignore_index=True, sort=False)
    return Sheet(SHEETS[5], frame, kinds)


def _issues_sheet(results, ws) -> Sheet:
    join = results.layer("join_issues")
    data = results.layer("data_issues")
    if join is None and data is None:
        return Sheet("数据问题", None, note="未生成 join_issues / data_issues: 本次运行未记录数据问题。")
    parts = []
    if join is not None and len(join):
        j = pd.DataFrame(join)
        parts.append(pd.DataFrame({
            "问题类别": "企业与宗地关联",
            "问题类型": _col(j, "kind").map(lambda k: _ISSUE_KINDS.get(str(k), k)).to_numpy(),
            "来源文件": _col(j, "source").to_numpy(), "行号/要素": _col(j, "source_row").to_numpy(),
            "统一社会信用代码": _col(j, "uscc").to_numpy(), "宗地代码": _col(j, "parcel_id").to_numpy(),
            "说明": _col(j, "message").to_numpy()}))
    if data is not None and len(data):
        d = pd.DataFrame(data)
        parts.append(pd.DataFrame({
            "问题类别": "输入数据",
            "问题类型": _col(d, "kind").map(lambda k: _ISSUE_KINDS.get(str(k), k)).to_numpy(),
            "来源文件": _col(d, "source").to_numpy(), "行号/要素": _col(d, "feature").to_numpy(),
            "统一社会信用代码": None, "宗地代码": None, "说明": _col(d, "message").to_numpy()}))
    cols = ["问题类别", "问题类型", "来源文件", "行号/要素", "统一社会信用代码", "宗地代码", "说明"]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    frame["行号/要素"] = frame["行号/要素"].map(lambda v: None if v is None or pd.isna(v) else
                                          (int(v) if isinstance(v, (float, np.floating)) and float(v).is_integer() else v))
    return Sheet("数据问题", frame[cols], {"统一社会信用代码": "text", "宗地代码": "text", "行号/要素": "text"})


# ------------------------------------------------------- the later stages (docs/rules.md, last section)

def _has_rule(results, ws, rule_ids) -> bool:
    """Whether the county's ruleset has one of ``rule_ids``: the workspace's ruleset when given, else
    the findings (a rule the county lacks leaves only a "本县规则集…无此条款" finding)."""
    ruleset = getattr(ws, "ruleset", None)
    if ruleset is not None and hasattr(ruleset, "has"):
        return any(ruleset.has(r) for r in rule_ids)
    f = results.findings
    if f is None or not len(f):
        return False
    mine = f[f["rule_id"].isin(list(rule_ids))]
    return bool(len(mine)) and not mine["message"].fillna("").astype(str).str.contains("无此条款").all()


def _rule_text(rule_id, clause) -> str | None:
    if rule_id is None or pd.isna(rule_id) or not str(rule_id):
        return None
    c = "" if clause is None or pd.isna(clause) else str(clause)
    return f"{rule_id}({c})" if c else str(rule_id)


def _clause_of(results, rule_id: str) -> str:
    f = results.findings
    if f is None or not len(f):
        return ""
    c = f.loc[f["rule_id"] == rule_id, "clause"].dropna().astype(str)
    c = c[c != ""]
    return c.iloc[0] if len(c) else ""


def _findings_by_id(results, rule_id: str) -> pd.DataFrame:
    """The rule's findings, one per feature id (fails and warnings first), indexed by id."""
    f = results.findings
    if f is None or not len(f):
        return pd.DataFrame(columns=["status", "message"])
    f = f[f["rule_id"] == rule_id]
    order = f["status"].map({FAIL: 0, WARN: 1}).fillna(2)
    f = f.assign(_o=order.to_numpy()).sort_values("_o", kind="stable")
    return f.drop_duplicates("parcel_id").set_index(f.drop_duplicates("parcel_id")["parcel_id"].astype(str))


def _status_label(v):
    return STATUS_LABELS.get(str(v), v) if v is not None and not pd.isna(v) else None


def _num(frame, name) -> np.ndarray:
    return pd.to_numeric(_col(frame, name), errors="coerce").to_numpy(dtype=float)


def _land_supply_sheet(results, ws) -> Sheet:
    name = "工业用地供应比例"
    t = results.layer("land_supply_check")
    if t is None:
        return Sheet(name, None, note="未生成 land_supply_check (工业用地供应比例) 表: 本县规则集无此条款或缺少土地供应台账(land_supply)。")
    t = pd.DataFrame(t)
    rule = _col(t, "rule_id")
    frame = pd.DataFrame({
        "区县": results.info.get("county", ""),
        "年度": pd.to_numeric(_col(t, "year"), errors="coerce").map(lambda v: None if pd.isna(v) else int(v)).to_numpy(),
        "出让土地面积(亩)": _num(t, "total_mu"),
        "其中工业用地(亩)": _num(t, "industrial_mu"),
        "工业用地占比(%)": _num(t, "industrial_share") * 100,
        "核查结论": _col(t, "status").map(_status_label).to_numpy(),
        "规则与条款": [_rule_text(r, _clause_of(results, str(r))) for r in rule],
    })
    frame = frame.sort_values("年度", kind="stable").reset_index(drop=True)
    kinds = {"年度": "text", "出让土地面积(亩)": "mu", "其中工业用地(亩)": "mu", "工业用地占比(%)": "pct"}
    return Sheet(name, frame, kinds, totals=["出让土地面积(亩)", "其中工业用地(亩)"])


def _high_energy_sheet(results, ws) -> Sheet:
    name = "两高项目评估清单"
    t = results.layer("high_energy_review")
    if t is None:
        return Sheet(name, None, note="未生成 high_energy_review (两高项目) 表: 缺少项目表(projects)的建成年份或年综合能耗。")
    t = pd.DataFrame(t)
    place = _parcel_place(results, ws)
    pid = _col(t, "parcel_id").map(lambda v: None if v is None or pd.isna(v) else str(v))
    clause = _clause_of(results, "DQ-HIGH")
    frame = pd.DataFrame({
        "区县": results.info.get("county", ""),
        "乡镇(街道)": pid.map(lambda v: place["township"].get(v) if v else None).to_numpy(),
        "园区": pid.map(lambda v: place["park"].get(v) if v else None).to_numpy(),
        "项目编号": _col(t, "project_id").to_numpy(), "项目名称": _col(t, "name").to_numpy(),
        "统一社会信用代码": _col(t, "uscc").to_numpy(), "宗地代码": pid.to_numpy(),
        "建成年份": pd.to_numeric(_col(t, "built_year"), errors="coerce").map(
            lambda v: None if pd.isna(v) else int(v)).to_numpy(),
        "年综合能耗(吨标准煤)": _num(t, "energy_tce"),
        "评估标准(吨标准煤)": _num(t, "threshold_tce"),
        "列入评估": _col(t, "listed").map(lambda v: None if v is None or pd.isna(v) else ("是" if bool(v) else "否")).to_numpy(),
        "规则与条款": _rule_text("DQ-HIGH", clause),
    })
    frame = frame.sort_values("年综合能耗(吨标准煤)", ascending=False, kind="stable").reset_index(drop=True)
    kinds = {"项目编号": "text", "统一社会信用代码": "text", "宗地代码": "text", "建成年份": "text",
             "年综合能耗(吨标准煤)": "num2", "评估标准(吨标准煤)": "num2"}
    return Sheet(name, frame, kinds, totals=["年综合能耗(吨标准煤)"])


def _clusters_sheet(results, ws) -> Sheet:
    name = "园区外集聚点"
    t = results.layer("clusters")
    if t is None:
        return Sheet(name, None, note="未生成 clusters (园区外集聚点) 图层: 园区外无 3 宗以上相互邻近的工业宗地,或缺少园区图层。")
    geom = getattr(t, "_geometry_column_name", None)
    t = pd.DataFrame(t).drop(columns=[c for c in (geom,) if c and c in t.columns])
    place = _parcel_place(results, ws)
    ids = _col(t, "parcel_ids").map(split_ids)
    clause = _clause_of(results, "DQ-CLUSTER")
    frame = pd.DataFrame({
        "区县": results.info.get("county", ""),
        "集聚点编号": _col(t, "cluster_id").to_numpy(),
        "乡镇(街道)": ids.map(lambda xs: _join_unique(place["township"].get(x) for x in xs)).to_numpy(),
        "宗地数(宗)": _col(t, "parcel_count").to_numpy(),
        "占地面积(亩)": _num(t, "area_mu"),
        "企业数(家)": _col(t, "enterprise_count").to_numpy(),
        "亩均税收(万元/亩)": _num(t, "tax_per_mu"),
        "D类用地占比(%)": _num(t, "d_share") * 100,
        "距最近园区(米)": _num(t, "park_distance_m"),
        "A类企业宗地(宗)": _col(t, "class_A").to_numpy(), "B类企业宗地(宗)": _col(t, "class_B").to_numpy(),
        "C类企业宗地(宗)": _col(t, "class_C").to_numpy(), "D类企业宗地(宗)": _col(t, "class_D").to_numpy(),
        "建议处置方式": _col(t, "treatment").to_numpy(),
        "宗地代码": ids.map(lambda xs: "、".join(xs)).to_numpy(),
        "规则与条款": _rule_text("DQ-CLUSTER", clause),
    })
    frame = frame.sort_values("集聚点编号", kind="stable").reset_index(drop=True)
    kinds = {"集聚点编号": "text", "宗地数(宗)": "int", "占地面积(亩)": "mu", "企业数(家)": "int",
             "亩均税收(万元/亩)": "num2", "D类用地占比(%)": "pct", "距最近园区(米)": "num1", "A类企业宗地(宗)": "int",
             "B类企业宗地(宗)": "int", "C类企业宗地(宗)": "int", "D类企业宗地(宗)": "int", "宗地代码": "text"}
    return Sheet(name, frame, kinds, totals=["宗地数(宗)", "占地面积(亩)", "企业数(家)"])


def _old_parks_sheet(results, ws) -> Sheet:
    name = "老旧工业园区"
    t = results.layer("old_parks")
    if t is None:
        return Sheet(name, None, note="未生成 old_parks (老旧工业园区) 表: 缺少园区图层(parks)或园区类型。")
    t = pd.DataFrame(t)
    f = results.findings
    f = f[f["rule_id"] == "DQ-PARK"] if f is not None and len(f) else pd.DataFrame(columns=["parcel_id", "unit", "status"])
    by_unit = {u: g.drop_duplicates("parcel_id").set_index(g.drop_duplicates("parcel_id")["parcel_id"].astype(str))["status"]
               for u, g in f.groupby(f["unit"].fillna("").astype(str))}
    pid = _col(t, "park_id").astype(str)
    far_status = by_unit.get("", pd.Series(dtype=object))
    tax_status = by_unit.get("万元/亩", pd.Series(dtype=object))
    names = _col(t, "name")
    frame = pd.DataFrame({
        "区县": results.info.get("county", ""),
        "园区编号": pid.to_numpy(), "园区名称": names.where(names.notna(), pid).to_numpy(),
        "宗地数(宗)": _col(t, "parcel_count").to_numpy(),
        "工业用地面积(亩)": _num(t, "area_mu"),
        "建筑面积(平方米)": _num(t, "floor_area_m2"),
        "容积率": _num(t, "far"),
        "容积率核查": pid.map(far_status).map(_status_label).to_numpy(),
        "亩均税收(万元/亩)": _num(t, "tax_per_mu"),
        "亩均税收核查": pid.map(tax_status).map(_status_label).to_numpy(),
        "已验收改造提升面积(亩)": _num(t, "renovated_mu"),
        "规则与条款": _rule_text("DQ-PARK", _clause_of(results, "DQ-PARK")),
    })
    kinds = {"园区编号": "text", "宗地数(宗)": "int", "工业用地面积(亩)": "mu", "建筑面积(平方米)": "m2",
             "容积率": "num2", "亩均税收(万元/亩)": "num2", "已验收改造提升面积(亩)": "mu"}
    return Sheet(name, frame.reset_index(drop=True), kinds,
                 totals=["宗地数(宗)", "工业用地面积(亩)", "建筑面积(平方米)", "已验收改造提升面积(亩)"])


def _subsidies_sheet(results, ws) -> Sheet:
    name = "技改补助测算"
    t = results.layer("subsidies")
    if t is None:
        return Sheet(name, None, note="未生成 subsidies (技改补助) 表: 缺少零增地技改方案图层(renovations)。")
    t = pd.DataFrame(t)
    place = _parcel_place(results, ws)
    pid = _col(t, "parcel_id").map(lambda v: None if v is None or pd.isna(v) else str(v))
    p = results.parcels
    holder = _col(p, "holder_name").where(_col(p, "holder_name").notna(), _col(p, "owner_name"))
    holder = pd.Series(holder.to_numpy(), index=p["parcel_id"].astype(str).to_numpy())
    holder = holder[~holder.index.duplicated()]
    found = _findings_by_id(results, "TT-TECH")
    rid = _col(t, "renovation_id").astype(str)
    frame = pd.DataFrame({
        "区县": results.info.get("county", ""),
        "乡镇(街道)": pid.map(lambda v: place["township"].get(v) if v else None).to_numpy(),
        "技改项目编号": rid.to_numpy(), "宗地代码": pid.to_numpy(),
        "企业名称": pid.map(lambda v: holder.get(v) if v else None).to_numpy(),
        "亩均评价类别": _col(t, "eval_class").to_numpy(),
        "设备投资(万元)": _num(t, "equipment_investment"),
        "投资档次": pd.to_numeric(_col(t, "tier"), errors="coerce").map(
            lambda v: None if pd.isna(v) else f"第{int(v)}档" if v > 0 else "未达档").to_numpy(),
        "补助标准提高(%)": _num(t, "uplift") * 100,
        "补助限额提高(%)": _num(t, "cap_uplift") * 100,
        "新租赁厂房面积(平方米)": _num(t, "leased_plant_m2"),
        "租赁厂房补助(万元)": _num(t, "lease_subsidy_wan"),
        "说明": rid.map(found["message"]).to_numpy() if len(found) else None,
        "规则与条款": _rule_text("TT-TECH", _clause_of(results, "TT-TECH")),
    })
    kinds = {"技改项目编号": "text", "宗地代码": "text", "设备投资(万元)": "money", "补助标准提高(%)": "pct",
             "补助限额提高(%)": "pct", "新租赁厂房面积(平方米)": "m2", "租赁厂房补助(万元)": "money"}
    return Sheet(name, frame.reset_index(drop=True), kinds,
                 totals=["设备投资(万元)", "新租赁厂房面积(平方米)", "租赁厂房补助(万元)"])


_KEEP_PRE = {"TT-KEEP": ("规划调整后保留工业用地(零增地技改)", "规划为非工业用地比例(%)"),
             "TT-PRE": ("预告登记转让", "开发投资占总投资比例(%)")}


def _keep_pre_sheet(results, ws) -> Sheet:
    name = "规划调整与预告登记"
    f = results.findings
    f = f[f["rule_id"].isin(list(_KEEP_PRE))] if f is not None and len(f) else None
    if f is not None:
        f = f[~f["message"].fillna("").astype(str).str.contains("无此条款")]
    if f is None or not len(f):
        return Sheet(name, None, note="无 TT-KEEP / TT-PRE 结论: 无宗地被规划调整为非工业用地,且无可预告登记转让的低效用地。")
    f = f.sort_values(["rule_id", "parcel_id"], kind="stable")
    pid = f["parcel_id"].astype(str)
    place = _parcel_place(results, ws)
    p = results.parcels.drop_duplicates("parcel_id").set_index(results.parcels.drop_duplicates("parcel_id")["parcel_id"].astype(str))
    holder = _col(p, "holder_name").where(_col(p, "holder_name").notna(), _col(p, "owner_name"))
    uscc = _col(p, "holder_uscc").where(_col(p, "holder_uscc").notna(), _col(p, "owner_uscc"))
    get = lambda s: pid.map(lambda v: s.get(v) if v in s.index else None).to_numpy()
    frame = pd.DataFrame({
        "区县": results.info.get("county", ""),
        "事项": f["rule_id"].map(lambda r: _KEEP_PRE[r][0]).to_numpy(),
        "乡镇(街道)": get(place["township"]), "园区": get(place["park"]),
        "宗地代码": pid.to_numpy(), "企业名称": get(holder), "统一社会信用代码": get(uscc),
        "占地面积(亩)": pd.to_numeric(pd.Series(get(place["area_mu"])), errors="coerce").to_numpy(),
        "亩均评价类别": get(_col(p, "eval_class")),
        "指标": f["rule_id"].map(lambda r: _KEEP_PRE[r][1]).to_numpy(),
        "指标值(%)": pd.to_numeric(f["value"], errors="coerce").to_numpy(dtype=float) * 100,
        "标准(%)": pd.to_numeric(f["threshold"], errors="coerce").to_numpy(dtype=float) * 100,
        "结论": f["status"].map(_status_label).to_numpy(),
        "说明": f["message"].to_numpy(),
        "规则与条款": [_rule_text(r, c) for r, c in zip(f["rule_id"], f["clause"])],
    })
    kinds = {"宗地代码": "text", "统一社会信用代码": "text", "占地面积(亩)": "mu", "指标值(%)": "pct", "标准(%)": "pct"}
    return Sheet(name, frame.reset_index(drop=True), kinds, totals=["占地面积(亩)"])


_COUNTY_BUILDERS = {"两高项目评估清单": _high_energy_sheet, "园区外集聚点": _clusters_sheet, "老旧工业园区": _old_parks_sheet,
                    "技改补助测算": _subsidies_sheet, "规划调整与预告登记": _keep_pre_sheet}
_COUNTY_LAYERS = {"两高项目评估清单": "high_energy_review", "园区外集聚点": "clusters", "老旧工业园区": "old_parks",
                  "技改补助测算": "subsidies", "规划调整与预告登记": None}


def build_sheets(results, ws=None) -> list[Sheet]:
    """The workbook's sheets as frames with Chinese headers: :data:`SHEETS` in order, the county's
    :data:`COUNTY_SHEETS` (those whose rule the ruleset has, or whose layer exists) before 数据问题.

    Parameters
    ----------
    results : Results
    ws : Workspace, optional
        For park names (``parks`` layer) and the county's ruleset.

    Returns
    -------
    list of Sheet
    """
    sheets = _enterprise_sheets(results, ws)
    sheets.append(_low_efficiency_sheet(results, ws))
    sheets.append(_idle_sheet(results, ws))
    sheets.extend(_fragments_sheet(results, ws))
    sheets.append(_split_merge_sheet(results, ws))
    sheets.append(_land_supply_sheet(results, ws))
    for name, rules in COUNTY_SHEETS.items():
        layer = _COUNTY_LAYERS[name]
        if (layer is not None and results.layer(layer) is not None) or _has_rule(results, ws, rules):
            sheets.append(_COUNTY_BUILDERS[name](results, ws))
    sheets.append(_issues_sheet(results, ws))
    return sheets


# ------------------------------------------------------------------------------------ the writer

def _text_width(v) -> float:
    s = str(v)
    return sum(2.0 if ord(ch) > 0x2E80 else 1.1 for ch in s)


def _write_sheet(book: Workbook, sheet: Sheet) -> None:
    wsh = book.create_sheet(sheet.name[:31])
    if sheet.frame is None:
        wsh["A1"] = NO_DATA
        wsh["A1"].font = Font(bold=True, size=12)
        if sheet.note:
            wsh["A2"] = sheet.note
            wsh["A2"].font = Font(color="7F7F7F")
        wsh.column_dimensions["A"].width = 80
        return
    frame = sheet.frame
    headers = ["序号"] + [str(c) for c in frame.columns]
    wsh.append(headers)
    for cell in wsh[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = _BORDER
    values = frame.astype(object).to_numpy()
    for i, row in enumerate(values, start=1):
        cleaned = [i] + [_clean(v) for v in row]
        wsh.append(cleaned)
        for j, v in enumerate(cleaned, start=1):
            if isinstance(v, str) and v.startswith("="):  # user text is never a formula
                wsh.cell(row=i + 1, column=j).data_type = "s"
    n = len(frame)
    widths = [max(6.0, _text_width("序号"))]
    for j, h in enumerate(frame.columns, start=2):
        kind = sheet.kinds.get(h, "text")
        fmt = _FORMATS.get(kind)
        col_vals = values[:, j - 2] if n else []
        longest = max([_text_width(h) * 0.9] + [_text_width(_clean(v)) for v in col_vals[:2000] if v is not None
                                                 and not (isinstance(v, float) and np.isnan(v))])
        widths.append(min(max(longest + 2, 8.0), 60.0))
        if fmt and n:
            for (cell,) in wsh.iter_rows(min_row=2, max_row=n + 1, min_col=j, max_col=j):
                if kind == "text":
                    if cell.value is not None:
                        if not isinstance(cell.value, str):
                            cell.value = str(cell.value)
                        cell.number_format = "@"
                elif isinstance(cell.value, (int, float)):
                    cell.number_format = fmt
    for j, w in enumerate(widths, start=1):
        wsh.column_dimensions[get_column_letter(j)].width = w
    wsh.row_dimensions[1].height = 32
    last_col = get_column_letter(len(headers))
    wsh.freeze_panes = "B2" if len(headers) > 6 else "A2"
    wsh.auto_filter.ref = f"A1:{last_col}{n + 1}"
    if sheet.totals and n:
        total_row = n + 2
        wsh.cell(row=total_row, column=1, value="合计")
        wsh.cell(row=total_row, column=2, value=f"共 {n} 条")
        for j, h in enumerate(frame.columns, start=2):
            cell = wsh.cell(row=total_row, column=j)
            if h in sheet.totals:
                # the number itself (not a formula): readers without a calculation engine see it
                cell.value = round(float(pd.to_numeric(frame[h], errors="coerce").sum()), 4)
                cell.number_format = _FORMATS.get(sheet.kinds.get(h, "num2"), "0.00")
        for cell in wsh[total_row]:
            cell.font = Font(bold=True)
            cell.fill = _TOTAL_FILL


def write_workbook(results, out_dir, maps_dir=None, ws=None) -> list[Path]:
    """Write the workbook of lists (:data:`WORKBOOK_FILE`) into ``out_dir`` atomically.

    Parameters
    ----------
    results : Results
    out_dir : str or Path
    maps_dir : Path, optional
        Unused (the :data:`~geo_tenglong.pipeline.OUTPUTS` signature).
    ws : Workspace, optional
        For park names, and so the workbook is never written over an input.

    Returns
    -------
    list of Path
        The workbook written.
    """
    target = Path(out_dir) / WORKBOOK_FILE
    check_not_input(target, getattr(ws, "inputs", ()) or ())
    book = Workbook()
    book.remove(book.active)
    for sheet in build_sheets(results, ws):
        _write_sheet(book, sheet)
    book.properties.title = f"{results.info.get('county', '')}腾笼换鸟清单"
    book.properties.creator = "geo-tenglong"
    with atomic_path(target) as tmp:
        book.save(tmp)
    return [target]
