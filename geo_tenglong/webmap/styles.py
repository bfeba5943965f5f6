"""How each layer of the briefing map is drawn: categories, colours, legend labels, popup fields.

The analyses publish columns and layers (see ``docs/developing.md``); this module only decides how
they look. Each ``classify_*`` function maps a layer's rows to an index into that layer's
:class:`Category` tuple, vectorised, and tolerates missing columns (every row then falls into the
"unknown" category) because stages are optional and may not have run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd

from ..findings import FAIL, MISSING_DATA, NOT_APPLICABLE, PASS, STATUS_LABELS, WARN


@dataclasses.dataclass(frozen=True)
class Category:
    """One legend entry: a key, its Chinese label and the Leaflet path style of its features."""

    key: str
    label: str
    style: dict


@dataclasses.dataclass(frozen=True)
class Field:
    """A popup row: the column, its Chinese label and how to format it.

    ``kind`` is one of ``text``, ``int``, ``num1``, ``num2``, ``num4``, ``pct`` (a share 0–1 shown
    as %), ``bool`` (是/否).
    """

    column: str
    label: str
    kind: str = "text"


@dataclasses.dataclass(frozen=True)
class LayerStyle:
    """How one map layer is drawn.

    Attributes
    ----------
    name : str
        Layer key (the results or workspace layer it comes from, or ``reclaimable``).
    label : str
        Chinese name in the layer switcher and legend.
    pane : str
        Leaflet pane (drawing order): ``gt-base`` < ``gt-parcels`` < ``gt-focus`` < ``gt-plans``.
    categories : tuple of Category
    classify : callable
        ``DataFrame -> ndarray of int`` (index into ``categories``).
    fields : tuple of Field
        Popup rows, in order (absent columns are skipped).
    show : bool
        Switched on when the map opens.
    """

    name: str
    label: str
    pane: str
    categories: tuple[Category, ...]
    classify: Callable[[pd.DataFrame], np.ndarray]
    fields: tuple[Field, ...] = ()
    show: bool = True


def _fill(color: str, fill_opacity: float = 0.55, weight: float = 1.0, stroke: str | None = None,
          dash: str | None = None, opacity: float = 0.9, fill: bool = True) -> dict:
    style = {"color": stroke or color, "weight": weight, "opacity": opacity, "fill": fill,
             "fillColor": color, "fillOpacity": fill_opacity if fill else 0.0}
    if dash:
        style["dashArray"] = dash
    return style


def pick_column(df: pd.DataFrame, candidates) -> str | None:
    """The first of ``candidates`` that is a column of ``df``, or ``None``."""
    for c in candidates:
        if c in df.columns:
            return c
    return None


def _truthy(values: pd.Series) -> np.ndarray:
    """Booleans from bools, numbers or text (是/否, true/false, pass/fail, 符合/不符合)."""
    def one(v):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return None
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        if isinstance(v, (int, float, np.integer, np.floating)):
            return bool(v)
        s = str(v).strip().lower()
        if s in {"1", "true", "t", "y", "yes", "是", "符合", "可", "可以", "pass", "eligible", "ok", "通过"}:
            return True
        if s in {"0", "false", "f", "n", "no", "否", "不符合", "不可", "fail", "ineligible", "不通过"}:
            return False
        return None
    return np.array([one(v) for v in values], dtype=object)


# ---------------------------------------------------------------- parcels (亩均效益分类)

#: Class colours follow the usual 亩均 map convention: green A, blue B, amber C, red D.
PARCEL_CATEGORIES = (
    Category("A", "A类 优先发展类", _fill("#1a9850", 0.55, 0.8, "#0d5a2e")),
    Category("B", "B类 提升发展类", _fill("#4a7fc1", 0.55, 0.8, "#234a80")),
    Category("C", "C类 调控帮扶类", _fill("#f5b342", 0.6, 0.8, "#9a6a10")),
    Category("D", "D类 倒逼整治类", _fill("#d7301f", 0.6, 0.8, "#7f1a10")),
    Category("none", "未参评", _fill("#bdbdbd", 0.45, 0.6, "#777777")),
)


def classify_parcels(df: pd.DataFrame) -> np.ndarray:
    """Index into :data:`PARCEL_CATEGORIES` from ``eval_class`` (A/B/C/D; anything else → 未参评)."""
    codes = np.full(len(df), len(PARCEL_CATEGORIES) - 1, dtype=np.int64)
    if "eval_class" not in df.columns:
        return codes
    cls = df["eval_class"].astype("string").str.strip().str.upper().fillna("")
    for i, cat in enumerate(PARCEL_CATEGORIES[:-1]):
        codes[(cls == cat.key).to_numpy(dtype=bool)] = i
    return codes


PARCEL_FIELDS = (
    Field("parcel_id", "宗地代码"),
    Field("_name", "企业名称"),
    Field("_uscc", "统一社会信用代码"),
    Field("area_mu", "面积(亩)", "num4"),
    Field("township", "乡镇"),
    Field("park_id", "园区"),
    Field("status", "建设状态"),
    Field("_class", "亩均评价"),
    Field("eval_year", "评价年度", "int"),
    Field("eval_score", "评价得分", "num2"),
    Field("tax_per_mu", "亩均税收(万元/亩)", "num2"),
    Field("va_per_mu", "亩均增加值(万元/亩)", "num2"),
    Field("tenant_count", "入驻企业数", "int"),
    Field("low_efficiency_type", "低效类型"),
    Field("far", "容积率", "num2"),
    Field("building_coverage", "建筑系数", "pct"),
    Field("idle_tier", "闲置土地", "idle"),
    Field("reclaimable", "可腾退低效用地", "bool"),
    Field("reclaim_reason", "腾退依据"),
)

# ---------------------------------------------------------------- reclaimable (可腾退低效用地)

RECLAIM_CATEGORIES = (
    Category("reclaimable", "可腾退低效工业用地", _fill("#e7298a", 0.5, 2.2, "#a0005a")),
)


def classify_single(df: pd.DataFrame) -> np.ndarray:
    """Every row in category 0 (layers drawn in one style)."""
    return np.zeros(len(df), dtype=np.int64)


def reclaimable_mask(df: pd.DataFrame) -> np.ndarray:
    """Rows whose ``reclaimable`` column is true (all false when the column is absent)."""
    if "reclaimable" not in df.columns:
        return np.zeros(len(df), dtype=bool)
    return np.array([v is True for v in _truthy(df["reclaimable"])], dtype=bool)


# ---------------------------------------------------------------- idle land (闲置土地)

IDLE_CATEGORIES = (
    Category("0", "计时中(未满闲置期)", _fill("#fee391", 0.55, 1.5, "#b38600")),
    Category("1", "闲置满一年(征收土地闲置费)", _fill("#fe9929", 0.65, 1.5, "#8c4a00")),
    Category("2", "闲置满两年(可无偿收回)", _fill("#8c2d04", 0.7, 1.5, "#3d1300")),
    Category("gov", "政府原因闲置(不予处罚)", _fill("#9e9ac8", 0.5, 1.5, "#54278f", dash="6 4")),
    Category("none", "闲置认定待核", _fill("#d9d9d9", 0.4, 1.0, "#737373", dash="3 3")),
)

#: Text shown in popups for an idle tier.
IDLE_TIER_LABELS = {0: "计时中(未满闲置期)", 1: "闲置满一年", 2: "闲置满两年"}


def classify_idle(df: pd.DataFrame) -> np.ndarray:
    """Index into :data:`IDLE_CATEGORIES` from ``idle_tier`` and ``idle_gov_cause``."""
    codes = np.full(len(df), 4, dtype=np.int64)
    if "idle_tier" in df.columns:
        tier = pd.to_numeric(df["idle_tier"], errors="coerce").to_numpy(dtype=float)
        for t in (0, 1, 2):
            codes[tier == t] = t
    gov = pick_column(df, ["idle_gov_cause", "gov_cause"])
    if gov is not None:
        g = df[gov]
        if g.dtype == bool:
            has = g.astype(bool)
        else:
            text = g.astype("string").str.strip().fillna("")
            has = g.notna() & ~text.isin(["", "无", "否", "none", "None", "nan"])
        codes[has.to_numpy(dtype=bool)] = 3
    return codes


IDLE_FIELDS = (
    Field("parcel_id", "宗地代码"),
    Field("_name", "企业名称"),
    Field("idle_tier", "闲置程度", "idle"),
    Field("idle_rule", "认定依据"),
    Field("idle_days", "闲置天数", "int"),
    Field("idle_fee_wan", "土地闲置费(万元)", "num2"),
    Field("idle_gov_cause", "政府原因"),
    Field("area_mu", "面积(亩)", "num4"),
)

# ---------------------------------------------------------------- fragments (零星边角地/夹心地)

FRAGMENT_CATEGORIES = (
    Category("corner_ok", "零星边角地(符合开发条件)", _fill("#17a2b8", 0.65, 1.5, "#0b5561")),
    Category("corner_no", "零星边角地(不符合)", _fill("#17a2b8", 0.15, 1.5, "#0b5561", dash="4 3")),
    Category("enclosed_ok", "夹心地(符合开发条件)", _fill("#8e44ad", 0.65, 1.5, "#4a1f5c")),
    Category("enclosed_no", "夹心地(不符合)", _fill("#8e44ad", 0.15, 1.5, "#4a1f5c", dash="4 3")),
    Category("corner_na", "零星边角地(未核查)", _fill("#17a2b8", 0.35, 1.0, "#0b5561", dash="1 3")),
    Category("enclosed_na", "夹心地(未核查)", _fill("#8e44ad", 0.35, 1.0, "#4a1f5c", dash="1 3")),
)

FRAGMENT_TYPE_COLUMNS = ("fragment_type", "kind", "type", "plot_type")
FRAGMENT_ELIGIBLE_COLUMNS = ("compliant", "eligible", "offer_eligible", "can_offer", "verdict", "status")
FRAGMENT_ID_COLUMNS = ("fragment_id", "plot_id", "id")


def classify_fragments(df: pd.DataFrame) -> np.ndarray:
    """Index into :data:`FRAGMENT_CATEGORIES` from the plot type and its eligibility."""
    tcol = pick_column(df, FRAGMENT_TYPE_COLUMNS)
    enclosed = np.zeros(len(df), dtype=bool)
    if tcol is not None:
        t = df[tcol].astype("string").fillna("").str.lower()
        enclosed = (t.str.contains("夹心") | t.str.contains("enclosed") | t.str.contains("sandwich")
                    | t.str.contains("infill")).to_numpy(dtype=bool)
    ecol = pick_column(df, FRAGMENT_ELIGIBLE_COLUMNS)
    ok = _truthy(df[ecol]) if ecol is not None else np.full(len(df), None, dtype=object)
    codes = np.where(enclosed, 2, 0).astype(np.int64)
    is_true = np.array([v is True for v in ok], dtype=bool)
    is_false = np.array([v is False for v in ok], dtype=bool)
    codes = np.where(is_false, codes + 1, codes)
    unknown = ~(is_true | is_false)
    codes = np.where(unknown, np.where(enclosed, 5, 4), codes)
    return codes


FRAGMENT_FIELDS = (
    Field("_id", "地块编号"),
    Field("_type", "类型"),
    Field("area_mu", "面积(亩)", "num4"),
    Field("area_m2", "面积(平方米)", "num1"),
    Field("_eligible", "是否符合开发条件"),
    Field("compliance", "规划符合情况"),
    Field("usable_area_mu", "可用面积(亩)", "num4"),
    Field("parcel_count", "相邻宗地数", "int"),
    Field("neighbours", "相邻宗地"),
    Field("note", "说明"),
    Field("reason", "说明"),
)

# ---------------------------------------------------------------- split / merge checks

_VERDICT_COLORS = {PASS: "#1a9641", WARN: "#f39c12", FAIL: "#d7191c", NOT_APPLICABLE: "#969696",
                   MISSING_DATA: "#bdbdbd"}
_VERDICT_ORDER = (PASS, WARN, FAIL, NOT_APPLICABLE, MISSING_DATA)
VERDICT_COLUMNS = ("verdict", "status", "result", "check_status")


def _verdict_categories(noun: str, dash: str | None) -> tuple[Category, ...]:
    cats = [Category(s, f"{noun}{STATUS_LABELS[s]}", _fill(_VERDICT_COLORS[s], 0.35 if s != FAIL else 0.45, 2.5,
                                                            _VERDICT_COLORS[s], dash=dash))
            for s in _VERDICT_ORDER]
    cats.append(Category("unknown", f"{noun}未判定", _fill("#ffffff", 0.2, 2.0, "#555555", dash=dash)))
    return tuple(cats)


SPLIT_CATEGORIES = _verdict_categories("分割方案", "8 4")
MERGE_CATEGORIES = _verdict_categories("合并方案", None)

_VERDICT_ALIASES = {"通过": PASS, "符合": PASS, "ok": PASS, "true": PASS, "不通过": FAIL, "不符合": FAIL,
                    "false": FAIL, "提示": WARN, "不适用": NOT_APPLICABLE, "数据缺失": MISSING_DATA}


def verdict_keys(df: pd.DataFrame) -> np.ndarray:
    """The finding status (pass/warn/fail/…) of each proposal, or ``"unknown"``."""
    col = pick_column(df, VERDICT_COLUMNS)
    if col is None:
        return np.full(len(df), "unknown", dtype=object)
    s = df[col]
    if s.dtype == bool:
        return np.where(s.to_numpy(), PASS, FAIL).astype(object)
    s = s.astype("string").str.strip().fillna("")
    low = s.str.lower()
    out = np.full(len(df), "unknown", dtype=object)
    for status in _VERDICT_ORDER:
        out[(low == status).to_numpy(dtype=bool)] = status
    for alias, status in _VERDICT_ALIASES.items():
        out[(low == alias).to_numpy(dtype=bool)] = status
    return out


def classify_verdict(df: pd.DataFrame) -> np.ndarray:
    """Index into :data:`SPLIT_CATEGORIES` / :data:`MERGE_CATEGORIES` (same order)."""
    keys = verdict_keys(df)
    order = {k: i for i, k in enumerate(_VERDICT_ORDER)}
    return np.array([order.get(k, len(_VERDICT_ORDER)) for k in keys], dtype=np.int64)


PROPOSAL_FIELDS = (
    Field("proposal_id", "方案编号"),
    Field("parcel_id", "原宗地代码"),
    Field("parcel_ids", "合并宗地"),
    Field("part_no", "分割后地块序号", "int"),
    Field("buyer_uscc", "受让方统一社会信用代码"),
    Field("area_mu", "面积(亩)", "num4"),
    Field("n_parcels", "合并宗地数", "int"),
    Field("buyer_class", "受让方亩均评价"),
    Field("unified_term_end", "统一后使用期限至"),
    Field("_verdict", "总体结论"),
    Field("failed", "未通过条件"),
    Field("message", "说明"),
)

# ---------------------------------------------------------------- workspace layers (parks, 三区三线)

PARK_CATEGORIES = (Category("park", "园区范围", _fill("#2b5797", 0.04, 2.0, "#2b5797", dash="10 5")),)
URBAN_CATEGORIES = (Category("urban", "城镇开发边界", _fill("#c2185b", 0.0, 2.2, "#c2185b", dash="12 6", fill=False)),)
FARMLAND_CATEGORIES = (Category("farmland", "永久基本农田", _fill("#f1e05a", 0.35, 0.6, "#b59f00")),)
ECO_CATEGORIES = (Category("eco", "生态保护红线", _fill("#2e7d32", 0.3, 1.2, "#1b5e20")),)

NAMED_FIELDS = (Field("name", "名称"), Field("id", "编号"))
PARK_FIELDS = (Field("name", "园区名称"), Field("park_id", "园区编号"), Field("kind", "类型"),
               Field("standard_land_rules", "适用标准地规则", "bool"),
               Field("_old_far", "老旧工业园区容积率", "num2"),
               Field("_old_tax_per_mu", "老旧工业园区亩均税收(万元/亩)", "num2"),
               Field("_old_renovated_mu", "已改造面积(亩)", "num2"))

# ---------------------------------------------------------------- clusters outside parks (园区外集聚点)

#: Suggested treatments of a cluster (DQ-CLUSTER, 德清 三(一)5), in legend order. The hulls are
#: outlines only, drawn as SVG above the parcels (see ``briefing``): only the outline takes clicks, so
#: the parcels inside a hull keep their own popups.
CLUSTER_CATEGORIES = (
    Category("整合入园", "整合入园", _fill("#2171b5", 0.0, 3.5, dash="8 4", opacity=1.0, fill=False)),
    Category("整治提高", "整治提高", _fill("#e6550d", 0.0, 3.5, dash="8 4", opacity=1.0, fill=False)),
    Category("关停淘汰", "关停淘汰", _fill("#67000d", 0.0, 3.5, dash="8 4", opacity=1.0, fill=False)),
    Category("none", "处置待定", _fill("#636363", 0.0, 3.0, dash="8 4", opacity=1.0, fill=False)),
)
#: Rule and clause behind the cluster layer.
CLUSTER_RULE = "DQ-CLUSTER 〔德清 三(一)5〕"


def classify_clusters(df: pd.DataFrame) -> np.ndarray:
    """Index into :data:`CLUSTER_CATEGORIES` from ``treatment`` (anything else → 处置待定)."""
    codes = np.full(len(df), len(CLUSTER_CATEGORIES) - 1, dtype=np.int64)
    if "treatment" not in df.columns:
        return codes
    t = df["treatment"].astype("string").str.strip().fillna("")
    for i, cat in enumerate(CLUSTER_CATEGORIES[:-1]):
        codes[(t == cat.key).to_numpy(dtype=bool)] = i
    return codes


CLUSTER_FIELDS = (
    Field("cluster_id", "编号"),
    Field("parcel_count", "宗数", "int"),
    Field("area_mu", "面积(亩)", "num2"),
    Field("enterprise_count", "企业数", "int"),
    Field("tax_per_mu", "亩均税收(万元/亩)", "num2"),
    Field("d_share", "D类用地占比", "pct"),
    Field("park_distance_m", "距最近园区(米)", "int"),
    Field("treatment", "建议处置"),
    Field("_rule", "认定依据"),
)

#: Every layer the map can show, bottom to top within the layer switcher.
LAYER_STYLES: tuple[LayerStyle, ...] = (
    LayerStyle("eco_redline", "生态保护红线", "gt-base", ECO_CATEGORIES, classify_single, NAMED_FIELDS, show=False),
    LayerStyle("basic_farmland", "永久基本农田", "gt-base", FARMLAND_CATEGORIES, classify_single, NAMED_FIELDS,
               show=False),
    LayerStyle("urban_boundary", "城镇开发边界", "gt-base", URBAN_CATEGORIES, classify_single, NAMED_FIELDS),
    LayerStyle("parks", "园区", "gt-base", PARK_CATEGORIES, classify_single, PARK_FIELDS),
    LayerStyle("parcels", "宗地(亩均评价分类)", "gt-parcels", PARCEL_CATEGORIES, classify_parcels, PARCEL_FIELDS),
    LayerStyle("clusters", "园区外集聚点", "gt-focus", CLUSTER_CATEGORIES, classify_clusters, CLUSTER_FIELDS),
    LayerStyle("reclaimable", "可腾退低效工业用地", "gt-focus", RECLAIM_CATEGORIES, classify_single, PARCEL_FIELDS),
    LayerStyle("idle_land", "闲置土地", "gt-focus", IDLE_CATEGORIES, classify_idle, IDLE_FIELDS),
    LayerStyle("fragments", "零星边角地/夹心地", "gt-plans", FRAGMENT_CATEGORIES, classify_fragments, FRAGMENT_FIELDS),
    LayerStyle("split_checks", "分割方案核查", "gt-plans", SPLIT_CATEGORIES, classify_verdict, PROPOSAL_FIELDS),
    LayerStyle("merge_checks", "合并方案核查", "gt-plans", MERGE_CATEGORIES, classify_verdict, PROPOSAL_FIELDS),
)

#: Pane z-indexes (Leaflet's overlayPane is 400, markers 600, tooltips 650, popups 700).
PANES = {"gt-raster": 250, "gt-base": 405, "gt-parcels": 410, "gt-focus": 420, "gt-plans": 430}

#: Land-cover class colours for a classification GeoTIFF drawn as a basemap.
LANDCOVER_COLORS = {"built": "#c8553d", "bare": "#e0c27a", "vegetation": "#6aa84f", "water": "#4a90d9"}
LANDCOVER_LABELS = {"built": "建设用地", "bare": "裸地", "vegetation": "植被", "water": "水域"}


def style_for(name: str) -> LayerStyle | None:
    """The :class:`LayerStyle` of layer ``name``, or ``None``."""
    for spec in LAYER_STYLES:
        if spec.name == name:
            return spec
    return None
