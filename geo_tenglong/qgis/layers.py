"""Which results layer QGIS draws how: categories, classifying expressions, groups and order.

The categories (keys, Chinese legend labels, Leaflet path styles) are the briefing map's
(:data:`geo_tenglong.webmap.styles.LAYER_STYLES`); this module only restates each ``classify_*``
function as a QGIS expression over the columns stored in results.gpkg, so QGIS and the browser
put a feature in the same category. A column a run did not publish falls into the layer's
"unknown" category, as on the map.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterable

from .. import results_schema
from ..findings import STATUS_LABELS
from ..webmap import styles
from ..webmap.styles import Category

#: Layer-tree groups, top to bottom, named after the web map's panes (drawing order).
PANE_GROUPS: tuple[tuple[str, str], ...] = (
    ("gt-plans", "方案核查"),
    ("gt-focus", "重点关注"),
    ("gt-parcels", "宗地"),
    ("gt-base", "底图要素"),
)
#: Group of the results' attribute tables (no geometry).
TABLE_GROUP = "属性表"

#: Results layers the web map does not draw, with the pane (group) QGIS shows them in.
EXTRA_LAYERS: dict[str, str] = {"corner_plan_checks": "gt-plans", "corner_files": "gt-parcels"}

#: Categories of the 零增地技改用地核查 layer (the web map does not draw it): the verdict colours.
CORNER_PLAN_CATEGORIES: tuple[Category, ...] = styles._verdict_categories("技改用地核查", None)
#: Outline of the 界址点文件地块 layer.
CORNER_FILE_CATEGORIES: tuple[Category, ...] = (
    Category("corner_file", "界址点文件地块", styles._fill("#6a3d9a", 0.0, 1.2, dash="2 2", fill=False)),
)


@dataclasses.dataclass(frozen=True)
class LayerSpec:
    """One layer of the QGIS project and its default style.

    Attributes
    ----------
    layer_id : str
        Unique id in the project (the table name, or ``reclaimable``).
    table : str
        The results.gpkg table it reads.
    label : str
        Chinese layer name.
    group : str
        Chinese layer-tree group.
    categories : tuple of Category
        Legend entries; empty for an attribute table.
    key_expression : str or None
        QGIS expression giving a feature's category key; ``None`` draws every feature with the
        first category's symbol.
    subset : str or None
        Provider filter (``reclaimable`` shows only the parcels that are).
    label_field : str or None
        Column drawn as a map label.
    label_max_scale : float
        Labels show at scales larger than 1:``label_max_scale``.
    style_name : str
        Name of the style in ``layer_styles``.
    default : bool
        Whether the style is the table's default one.
    """

    layer_id: str
    table: str
    label: str
    group: str
    categories: tuple[Category, ...] = ()
    key_expression: str | None = None
    subset: str | None = None
    label_field: str | None = None
    label_max_scale: float = 5000.0
    style_name: str = "默认样式"
    default: bool = True

    @property
    def spatial(self) -> bool:
        """Whether the layer has a geometry (and so a renderer)."""
        return bool(self.categories)


def _q(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _s(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _in_list(values: Iterable[str]) -> str:
    return "(" + ", ".join(_s(v) for v in values) + ")"


def _keyed(column: str, keys: Iterable[str], fallback: str, columns: Collection[str], upper: bool = False) -> str:
    """``CASE`` giving the trimmed value of ``column`` when it is one of ``keys``, else ``fallback``."""
    if column not in columns:
        return _s(fallback)
    value = f"trim(to_string({_q(column)}))"
    if upper:
        value = f"upper({value})"
    return f"CASE WHEN {value} IN {_in_list(keys)} THEN {value} ELSE {_s(fallback)} END"


def parcel_key(columns: Collection[str]) -> str:
    """Expression of :func:`geo_tenglong.webmap.styles.classify_parcels` (``eval_class`` A–D, else 未参评)."""
    cats = styles.PARCEL_CATEGORIES
    return _keyed("eval_class", [c.key for c in cats[:-1]], cats[-1].key, columns, upper=True)


def cluster_key(columns: Collection[str]) -> str:
    """Expression of :func:`geo_tenglong.webmap.styles.classify_clusters` (``treatment``, else 处置待定)."""
    cats = styles.CLUSTER_CATEGORIES
    return _keyed("treatment", [c.key for c in cats[:-1]], cats[-1].key, columns)


def verdict_key(columns: Collection[str], column: str = "verdict") -> str:
    """Expression of :func:`geo_tenglong.webmap.styles.verdict_keys` (a status, else ``unknown``)."""
    return _keyed(column, list(STATUS_LABELS), "unknown", columns)


def idle_key(columns: Collection[str]) -> str:
    """Expression of :func:`geo_tenglong.webmap.styles.idle_state`, in the same precedence."""
    if "idle_tier" not in columns:
        return _s("none")
    tier = _q("idle_tier")
    rule = f"coalesce(to_string({_q('idle_rule')}), '')" if "idle_rule" in columns else "''"
    image = _s(styles.IDLE_IMAGE_RULE)
    whens = [f"WHEN {rule} = {image} AND {tier} IS NULL THEN 'image'"]
    if "idle_gov_cause" in columns:
        whens.append(f"WHEN {tier} >= 1 AND coalesce(trim(to_string({_q('idle_gov_cause')})), '') <> '' THEN 'gov'")
    whens += [f"WHEN {tier} = 2 THEN '2'", f"WHEN {tier} = 1 THEN '1'"]
    if "idle_days" in columns:
        whens.append(f"WHEN {rule} NOT IN ('', {image}) AND {tier} = 0 AND {_q('idle_days')} > 0 THEN 'running'")
    return "CASE " + " ".join(whens) + " ELSE 'none' END"


def change_key(columns: Collection[str]) -> str:
    """Expression of :func:`geo_tenglong.webmap.styles.classify_changes` (``change``, else ``worse``)."""
    cats = styles.CHANGE_CATEGORIES
    return _keyed("change", [c.key for c in cats], cats[-1].key, columns)


def fragment_key(columns: Collection[str]) -> str:
    """Expression of :func:`geo_tenglong.webmap.styles.classify_fragments` (kind × compliant)."""
    kind = (f"CASE WHEN trim(to_string({_q('kind')})) = {_s(styles.ENCLOSED_KIND)} THEN 'enclosed' ELSE 'corner' END"
            if "kind" in columns else "'corner'")
    if "compliant" in columns:
        c = _q("compliant")
        ok = (f"CASE WHEN {c} IS NULL THEN 'na' WHEN to_string({c}) IN ('1', 'true', '是') THEN 'ok' "
              f"WHEN to_string({c}) IN ('0', 'false', '否') THEN 'no' ELSE 'na' END")
    else:
        ok = "'na'"
    return f"concat({kind}, '_', {ok})"


_KEYS: dict[str, Callable[[Collection[str]], str | None]] = {
    "parcels": parcel_key,
    "clusters": cluster_key,
    "idle_land": idle_key,
    "fragments": fragment_key,
    "split_checks": verdict_key,
    "merge_checks": verdict_key,
    "reclaimable": lambda columns: None,
    "corner_plan_checks": lambda columns: verdict_key(columns, "overall"),
    "corner_files": lambda columns: None,
    "changes": change_key,
}
_LABEL_FIELDS = {"parcels": "holder_name", "fragments": "fragment_id", "clusters": "cluster_id",
                 "split_checks": "proposal_id", "corner_plan_checks": "renovation_id"}


def layer_specs(tables: dict[str, tuple[list[str], str | None]]) -> list[LayerSpec]:
    """The project's layers, top to bottom, for the tables a results.gpkg holds.

    Parameters
    ----------
    tables : dict
        Table name → (column names, geometry column or ``None``), as stored in results.gpkg
        (:func:`geo_tenglong.qgis.gpkg_styles.gpkg_tables`).

    Returns
    -------
    list of LayerSpec
        Spatial layers grouped by :data:`PANE_GROUPS` in the web map's drawing order (its
        topmost layer first), then the attribute tables (:data:`TABLE_GROUP`) in stored order.
    """
    group_of = dict(PANE_GROUPS)
    drawn: list[tuple[str, str, str, tuple[Category, ...]]] = []  # (layer id, table, pane, categories)
    for st in styles.LAYER_STYLES:
        table = "parcels" if st.name == "reclaimable" else st.name
        if table in tables and tables[table][1]:
            drawn.append((st.name, table, st.pane, st.categories))
    for name, pane in EXTRA_LAYERS.items():
        if name in tables and tables[name][1]:
            cats = CORNER_PLAN_CATEGORIES if name == "corner_plan_checks" else CORNER_FILE_CATEGORIES
            # just above the web map's layers of the same pane
            last = max((i for i, d in enumerate(drawn) if d[2] == pane), default=len(drawn) - 1)
            drawn.insert(last + 1, (name, name, pane, cats))
    order = {pane: i for i, (pane, _) in enumerate(PANE_GROUPS)}
    drawn_top_first = list(reversed(drawn))
    drawn_top_first.sort(key=lambda d: order[d[2]])  # stable: within a group, topmost first
    specs: list[LayerSpec] = []
    for layer_id, table, pane, cats in drawn_top_first:
        columns = tables[table][0]
        web = styles.style_for(layer_id)
        label = web.label if web is not None else results_schema.table_schema(table).label
        label_field = _LABEL_FIELDS.get(layer_id)
        reclaim = layer_id == "reclaimable"
        specs.append(LayerSpec(
            layer_id=layer_id, table=table, label=label, group=group_of[pane], categories=cats,
            key_expression=_KEYS[layer_id](columns),
            subset=f"{_q('reclaimable')} = 1" if reclaim else None,
            label_field=label_field if label_field in columns else None,
            style_name=label if reclaim else "默认样式", default=not reclaim,
        ))
    for table, (_columns, spatial) in tables.items():
        if not spatial:
            label = _table_label(table)
            specs.append(LayerSpec(layer_id=table, table=table, label=label, group=TABLE_GROUP))
    return specs


def _table_label(table: str) -> str:
    try:
        return results_schema.table_schema(table).label
    except KeyError:
        return table
