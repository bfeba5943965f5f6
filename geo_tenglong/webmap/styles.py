"""How each layer of the briefing map is drawn: categories, colours, legend labels, popup fields.

The analyses publish columns and layers under the names declared in the results schema
(``geo_tenglong/data/results_schema.toml``); this module only decides how they look. Each
``classify_*`` function maps a layer's rows to an index into that layer's :class:`Category` tuple,
vectorised, reading the declared column; a layer whose stage did not publish that column (an
optional input absent) falls into the "unknown" category. Popup labels come from the schema
(:func:`field_heading`); only the map's own derived columns (``_name`` …) carry a label here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd

from .. import results_schema
from ..findings import FAIL, MISSING_DATA, NOT_APPLICABLE, PASS, STATUS_LABELS, WARN
from ..values import yes_no_series


@dataclasses.dataclass(frozen=True)
class Category:
    """One legend entry: a key, its Chinese label and the Leaflet path style of its features."""

    key: str
    label: str
    style: dict


@dataclasses.dataclass(frozen=True)
class Field:
    """A popup row: the column, and optionally its Chinese label and how to format it.

    ``label`` and ``kind`` default to what the results schema declares for the column of the
    layer's table (:func:`field_heading`, :func:`field_kind`). ``kind`` is one of ``text``,
    ``int``, ``num1``, ``num2``, ``num4``, ``pct`` (a ratio 0–1 shown as %), ``bool`` (是/否).
    """

    column: str
    label: str | None = None
    kind: str | None = None


def _declared(table: str | None, column: str):
    if table is None:
        return None
    try:
        return results_schema.table_schema(table).field(column)
    except KeyError:
        return None


def field_heading(table: str | None, field: Field) -> str:
    """The popup label of ``field``: its own, else the schema's heading (label with unit), else the column."""
    if field.label:
        return field.label
    declared = _declared(table, field.column)
    return declared.heading if declared is not None else field.column


def field_kind(table: str | None, field: Field) -> str:
    """How ``field`` is formatted: its own kind, else one derived from the schema's dtype and unit."""
    if field.kind:
        return field.kind
    declared = _declared(table, field.column)
    if declared is None:
        return "text"
    if declared.dtype == "int":
        return "int"
    if declared.dtype == "bool":
        return "bool"
    if declared.dtype == "float":
        if declared.unit == "比例":
            return "pct"
        return "num4" if declared.unit == "亩" else "num2"
    return "text"


@dataclasses.dataclass(frozen=True)
class LayerStyle:
    """How one map layer is drawn.

    Attributes
    ----------
    name : str
        Layer key (the results or context layer it comes from, or ``reclaimable``).
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
    table : str or None
        The results-schema table whose declarations label the popup fields (``None`` for context
        layers such as parks, which the results do not hold).
    """

    name: str
    label: str
    pane: str
    categories: tuple[Category, ...]
    classify: Callable[[pd.DataFrame], np.ndarray]
    fields: tuple[Field, ...] = ()
    show: bool = True
    table: str | None = None


def _fill(color: str, fill_opacity: float = 0.55, weight: float = 1.0, stroke: str | None = None,
          dash: str | None = None, opacity: float = 0.9, fill: bool = True) -> dict:
    style = {"color": stroke or color, "weight": weight, "opacity": opacity, "fill": fill,
             "fillColor": color, "fillOpacity": fill_opacity if fill else 0.0}
    if dash:
        style["dashArray"] = dash
    return style


def bool_values(values: pd.Series) -> np.ndarray:
    """Per row ``True``/``False``/``None`` from a yes/no column (:func:`geo_tenglong.values.yes_no_series`).

    The stages publish real booleans (the results schema's ``bool``); read back from a GeoPackage
    they may be 0/1, and context layers from a county's files may say 是/否: one vocabulary reads all.
    """
    s = yes_no_series(pd.Series(values).reset_index(drop=True))
    out = np.full(len(s), None, dtype=object)
    known = s.notna().to_numpy()
    out[known] = s[known].astype(bool).to_numpy()
    return out


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
    Field("parcel_id"),
    Field("_name", "企业名称"),
    Field("_uscc", "统一社会信用代码"),
    Field("_tenants", "入驻企业(一地多企)"),
    Field("area_mu"),
    Field("township"),
    Field("park_id"),
    Field("status"),
    Field("_class", "亩均评价"),
    Field("eval_year"),
    Field("eval_score"),
    Field("tax_per_mu"),
    Field("va_per_mu"),
    Field("tenant_count"),
    Field("low_efficiency_type"),
    Field("far"),
    Field("building_coverage"),
    Field("_idle", "闲置土地"),
    Field("reclaimable", "可腾退低效工业用地"),
    Field("reclaim_reason"),
)

# ---------------------------------------------------------------- reclaimable (可腾退低效用地)

RECLAIM_CATEGORIES = (
    Category("reclaimable", "可腾退低效工业用地", _fill("#e7298a", 0.5, 2.2, "#a0005a")),
)


def classify_single(df: pd.DataFrame) -> np.ndarray:
    """Every row in category 0 (layers drawn in one style)."""
    return np.zeros(len(df), dtype=np.int64)


def reclaimable_mask(df: pd.DataFrame) -> np.ndarray:
    """Rows whose ``reclaimable`` column (the reclaim stage's bool) is true; all false without the stage."""
    if "reclaimable" not in df.columns:
        return np.zeros(len(df), dtype=bool)
    return np.array([v is True for v in bool_values(df["reclaimable"])], dtype=bool)


# ---------------------------------------------------------------- idle land (闲置土地)

IDLE_CATEGORIES = (
    Category("running", "计时中(未满一年)", _fill("#fee391", 0.55, 1.5, "#b38600")),
    Category("1", "闲置满一年(征收土地闲置费)", _fill("#fe9929", 0.65, 1.5, "#8c4a00")),
    Category("2", "闲置满两年(可无偿收回)", _fill("#8c2d04", 0.7, 1.5, "#3d1300")),
    Category("gov", "政府原因闲置(不予处罚)", _fill("#9e9ac8", 0.5, 1.5, "#54278f", dash="6 4")),
    Category("image", "影像疑似闲置(待核实)", _fill("#d9d9d9", 0.4, 1.0, "#737373", dash="3 3")),
    Category("none", "闲置认定待核", _fill("#ffffff", 0.3, 1.0, "#737373", dash="1 3")),
)
#: Rule id of the imagery suspects in the ``idle_land`` layer (docs/rules.md).
IDLE_IMAGE_RULE = "IDLE-IMG"


def idle_state(df: pd.DataFrame) -> np.ndarray:
    """Key of :data:`IDLE_CATEGORIES` per row of the idle stage's columns.

    The clock is *running* only when a clock started (``idle_days`` > 0 on a contract rule) and the
    parcel is not yet idle (``idle_tier`` 0); tiers 1 and 2 are idle land, a government cause
    (``idle_gov_cause``) on idle land shows as such, ``IDLE-IMG`` rows are imagery suspects and
    anything else (no clock, missing data) is ``none``.
    """
    n = len(df)
    out = np.full(n, "none", dtype=object)
    if "idle_tier" not in df.columns:
        return out
    tier = pd.to_numeric(df["idle_tier"], errors="coerce").to_numpy(dtype=float)
    days = pd.to_numeric(df["idle_days"], errors="coerce").to_numpy(dtype=float) if "idle_days" in df.columns \
        else np.full(n, np.nan)
    rule = df["idle_rule"].astype("string").fillna("").to_numpy(dtype=object) if "idle_rule" in df.columns \
        else np.full(n, "", dtype=object)
    contract = (rule != "") & (rule != IDLE_IMAGE_RULE)
    with np.errstate(invalid="ignore"):
        out[contract & (tier == 0) & (days > 0)] = "running"
        out[tier == 1] = "1"
        out[tier == 2] = "2"
    if "idle_gov_cause" in df.columns:
        gov = df["idle_gov_cause"].astype("string").str.strip().fillna("").to_numpy(dtype=object) != ""
        out[gov & (tier >= 1)] = "gov"
    out[(rule == IDLE_IMAGE_RULE) & np.isnan(tier)] = "image"
    return out


def classify_idle(df: pd.DataFrame) -> np.ndarray:
    """Index into :data:`IDLE_CATEGORIES` (see :func:`idle_state`)."""
    order = {c.key: i for i, c in enumerate(IDLE_CATEGORIES)}
    return np.array([order[k] for k in idle_state(df)], dtype=np.int64)


def idle_labels(df: pd.DataFrame) -> list[str | None]:
    """The legend label of each row's idle state, ``None`` where there is none to show."""
    labels = {c.key: c.label for c in IDLE_CATEGORIES}
    return [None if k == "none" else labels[k] for k in idle_state(df)]


IDLE_FIELDS = (
    Field("parcel_id"),
    Field("_name", "企业名称"),
    Field("_idle", "闲置状态"),
    Field("idle_rule"),
    Field("clock_start"),
    Field("idle_days", kind="int"),
    Field("idle_fee_wan"),
    Field("idle_gov_cause"),
    Field("evidence"),
    Field("_area_mu", "面积(亩)", "num4"),
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

#: ``kind`` of an enclosed plot in the fragments layer (the schema's enumeration).
ENCLOSED_KIND = "夹心地"


def classify_fragments(df: pd.DataFrame) -> np.ndarray:
    """Index into :data:`FRAGMENT_CATEGORIES` from ``kind`` and ``compliant``."""
    enclosed = np.zeros(len(df), dtype=bool)
    if "kind" in df.columns:
        enclosed = (df["kind"].astype("string").str.strip() == ENCLOSED_KIND).fillna(False).to_numpy(dtype=bool)
    ok = bool_values(df["compliant"]) if "compliant" in df.columns else np.full(len(df), None, dtype=object)
    is_true = np.array([v is True for v in ok], dtype=bool)
    is_false = np.array([v is False for v in ok], dtype=bool)
    codes = np.where(enclosed, 2, 0).astype(np.int64)
    codes = np.where(is_false, codes + 1, codes)
    return np.where(~(is_true | is_false), np.where(enclosed, 5, 4), codes)


FRAGMENT_FIELDS = (
    Field("fragment_id"),
    Field("_type", "类型"),
    Field("area_mu"),
    Field("area_m2", kind="num1"),
    Field("_eligible", "是否符合开发条件"),
    Field("compliance"),
    Field("usable_area_mu"),
    Field("parcel_count"),
    Field("_neighbours", "相邻宗地"),
    Field("reason"),
)

# ---------------------------------------------------------------- split / merge checks

_VERDICT_COLORS = {PASS: "#1a9641", WARN: "#f39c12", FAIL: "#d7191c", NOT_APPLICABLE: "#969696",
                   MISSING_DATA: "#bdbdbd"}
_VERDICT_ORDER = (PASS, WARN, FAIL, NOT_APPLICABLE, MISSING_DATA)


def _verdict_categories(noun: str, dash: str | None) -> tuple[Category, ...]:
    cats = [Category(s, f"{noun}{STATUS_LABELS[s]}", _fill(_VERDICT_COLORS[s], 0.35 if s != FAIL else 0.45, 2.5,
                                                            _VERDICT_COLORS[s], dash=dash))
            for s in _VERDICT_ORDER]
    cats.append(Category("unknown", f"{noun}未判定", _fill("#ffffff", 0.2, 2.0, "#555555", dash=dash)))
    return tuple(cats)


SPLIT_CATEGORIES = _verdict_categories("分割方案", "8 4")
MERGE_CATEGORIES = _verdict_categories("合并方案", None)

def verdict_keys(df: pd.DataFrame) -> np.ndarray:
    """The ``verdict`` (pass/warn/fail/…) of each proposal, or ``"unknown"``."""
    out = np.full(len(df), "unknown", dtype=object)
    if "verdict" not in df.columns:
        return out
    v = df["verdict"].astype("string").str.strip().fillna("")
    for status in _VERDICT_ORDER:
        out[(v == status).to_numpy(dtype=bool)] = status
    return out


def classify_verdict(df: pd.DataFrame) -> np.ndarray:
    """Index into :data:`SPLIT_CATEGORIES` / :data:`MERGE_CATEGORIES` (same order)."""
    keys = verdict_keys(df)
    order = {k: i for i, k in enumerate(_VERDICT_ORDER)}
    return np.array([order.get(k, len(_VERDICT_ORDER)) for k in keys], dtype=np.int64)


SPLIT_FIELDS = (
    Field("proposal_id"),
    Field("parcel_id"),
    Field("part_no"),
    Field("buyer_uscc"),
    Field("area_mu"),
    Field("buyer_class"),
    Field("_verdict", "总体结论"),
    Field("failed"),
    Field("message"),
)
MERGE_FIELDS = (
    Field("proposal_id"),
    Field("parcel_ids"),
    Field("n_parcels"),
    Field("buyer_uscc"),
    Field("area_mu"),
    Field("buyer_class"),
    Field("unified_term_end"),
    Field("_verdict", "总体结论"),
    Field("failed"),
    Field("message"),
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
    Field("cluster_id"),
    Field("parcel_count"),
    Field("area_mu", kind="num2"),
    Field("enterprise_count"),
    Field("tax_per_mu"),
    Field("d_share"),
    Field("park_distance_m", kind="int"),
    Field("treatment"),
    Field("_rule", "认定依据"),
)

# ---------------------------------------------------------------- changes since the previous run (较上期变化)

#: Kinds of the ``changes`` layer (the targets stage, from the run history), in legend order.
CHANGE_CATEGORIES = (
    Category("freed", "已腾出", _fill("#1a9850", 0.55, 2.2, "#0b5d2b")),
    Category("new", "新增闲置", _fill("#fdae61", 0.6, 2.2, "#a65c00")),
    Category("worse", "变差", _fill("#d73027", 0.55, 2.2, "#7f0000", dash="5 3")),
)


def classify_changes(df: pd.DataFrame) -> np.ndarray:
    """Index into :data:`CHANGE_CATEGORIES` from ``change`` (freed / new / worse)."""
    order = {c.key: i for i, c in enumerate(CHANGE_CATEGORIES)}
    kinds = df["change"].astype("string").fillna("worse") if "change" in df.columns else pd.Series("worse", index=df.index)
    return np.array([order.get(k, len(CHANGE_CATEGORIES) - 1) for k in kinds], dtype=np.int64)


CHANGE_FIELDS = (Field("parcel_id"), Field("_change", "变化"), Field("why"), Field("area_mu", kind="num2"), Field("township"),
                 Field("from_class"), Field("to_class"), Field("since"))

#: Every layer the map can show, bottom to top within the layer switcher.
LAYER_STYLES: tuple[LayerStyle, ...] = (
    LayerStyle("eco_redline", "生态保护红线", "gt-base", ECO_CATEGORIES, classify_single, NAMED_FIELDS, show=False),
    LayerStyle("basic_farmland", "永久基本农田", "gt-base", FARMLAND_CATEGORIES, classify_single, NAMED_FIELDS,
               show=False),
    LayerStyle("urban_boundary", "城镇开发边界", "gt-base", URBAN_CATEGORIES, classify_single, NAMED_FIELDS),
    LayerStyle("parks", "园区", "gt-base", PARK_CATEGORIES, classify_single, PARK_FIELDS),
    LayerStyle("parcels", "宗地(亩均评价分类)", "gt-parcels", PARCEL_CATEGORIES, classify_parcels, PARCEL_FIELDS,
               table="parcels"),
    LayerStyle("clusters", "园区外集聚点", "gt-focus", CLUSTER_CATEGORIES, classify_clusters, CLUSTER_FIELDS,
               table="clusters"),
    LayerStyle("reclaimable", "可腾退低效工业用地", "gt-focus", RECLAIM_CATEGORIES, classify_single, PARCEL_FIELDS,
               table="parcels"),
    LayerStyle("idle_land", "闲置土地", "gt-focus", IDLE_CATEGORIES, classify_idle, IDLE_FIELDS, table="idle_land"),
    LayerStyle("fragments", "零星边角地/夹心地", "gt-plans", FRAGMENT_CATEGORIES, classify_fragments, FRAGMENT_FIELDS,
               table="fragments"),
    LayerStyle("split_checks", "分割方案核查", "gt-plans", SPLIT_CATEGORIES, classify_verdict, SPLIT_FIELDS,
               table="split_checks"),
    LayerStyle("merge_checks", "合并方案核查", "gt-plans", MERGE_CATEGORIES, classify_verdict, MERGE_FIELDS,
               table="merge_checks"),
    LayerStyle("changes", "较上期变化", "gt-plans", CHANGE_CATEGORIES, classify_changes, CHANGE_FIELDS, table="changes"),
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
