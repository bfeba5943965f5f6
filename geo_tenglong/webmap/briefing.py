"""The briefing map: one self-contained HTML file of reclaimable low-efficiency land.

The page is a folium map whose every script and stylesheet is inlined (Leaflet is vendored in
``static/``), so it opens in a meeting room with no network; only an online basemap asked for
fetches tiles. The data is embedded once, compactly, as JSON in a
``<script type="application/json">`` element (``<``, ``>``, ``&`` escaped): per layer the
geometries (EPSG:4326, integer micro-degrees ≈ 0.1 m, delta-encoded per ring, closing vertex
dropped), a style category per feature, and a column-oriented property table. The inlined
``briefing.js`` draws the layers with one canvas renderer (SVG for small upper layers), builds
popups on click from the property table and the findings (text nodes only: data is never markup),
and drives the legend, the target panel and the search box.

Public functions: :func:`build_briefing_map` (a ``folium.Map``), :func:`render_briefing_html`,
:func:`save_briefing_map` and :func:`write_briefing_map` (the pipeline output).
"""

from __future__ import annotations

import html
import json
import logging
import math
import os
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from jinja2 import Template

from .. import units
from ..errors import GeoTenglongError
from ..findings import STATUS_LABELS
from ..io.atomic import write_text_atomic
from . import assets
from .basemaps import Basemap, map_config, resolve_basemap
from .gcj02 import shift_geometries
from .links import REPORTS_DIR, report_file
from .styles import (
    CLUSTER_RULE,
    FRAGMENT_ELIGIBLE_COLUMNS,
    FRAGMENT_ID_COLUMNS,
    FRAGMENT_TYPE_COLUMNS,
    IDLE_TIER_LABELS,
    LAYER_STYLES,
    LayerStyle,
    _truthy,
    pick_column,
    reclaimable_mask,
    verdict_keys,
)

log = logging.getLogger(__name__)

#: File name of the briefing map inside the maps folder.
MAP_FILE = "briefing.html"
#: Coordinates are stored as integers of 1e-6 degree (≈ 0.11 m north–south, 0.10 m east–west here).
COORD_SCALE = 1_000_000
#: When the upper layers (reclaimable, idle, fragments, proposals) hold at most this many features
#: together they are drawn as SVG in their own panes; beyond it every layer shares the one canvas
#: (thousands of SVG paths make each popup's layout and each pan slow).
SVG_LIMIT = 1500
#: Workspace layers drawn on the map (the results do not hold them).
WORKSPACE_LAYERS = ("parks", "urban_boundary", "basic_farmland", "eco_redline")
#: Layer switcher order (top to bottom); drawing order is :data:`~.styles.LAYER_STYLES`.
CONTROL_ORDER = ("reclaimable", "parcels", "idle_land", "fragments", "split_checks", "merge_checks",
                 "clusters", "parks", "urban_boundary", "basic_farmland", "eco_redline")
#: Targets shown first in the summary panel: 亩均税收, 亩均增加值, 全员劳动生产率, 腾出低效工业用地.
KEY_METRICS = ("tax_per_mu", "va_per_mu", "labour_productivity", "reclaimable_mu")
_STATUS_ORDER = {"fail": 0, "warn": 1, "missing_data": 2, "pass": 3, "not_applicable": 4}


class RawHTML(Element):
    """An element rendered verbatim (never through Jinja, so data can't be read as a template)."""

    def __init__(self, text: str):
        super().__init__()
        self._text = text

    def render(self, **kwargs) -> str:
        return self._text


class _BriefingScript(MacroElement):
    """Calls ``gtBriefing`` once the map and its feature groups exist."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        gtBriefing({{ this._parent.get_name() }}, {
            {%- for key, var in this.groups.items() %}{{ key|tojson }}: {{ var }},{% endfor -%}
        }, "gt-data");
        {% endmacro %}
    """)

    def __init__(self, groups: dict[str, str]):
        super().__init__()
        self._name = "GtBriefing"
        self.groups = groups


# --------------------------------------------------------------------------- data preparation

def workspace_layers(results, ws=None) -> dict[str, gpd.GeoDataFrame]:
    """Parks and 三区三线 layers from ``ws``, or from the workspace the results came from.

    The results do not hold these layers; when no workspace is passed, the one named in
    ``results.info["workspace"]`` is loaded if it still exists. Missing layers are omitted.
    """
    if ws is None:
        ws = results_workspace(results)
    if ws is None:
        return {}
    out = {}
    for name in WORKSPACE_LAYERS:
        layer = ws.layer(name) if hasattr(ws, "layer") else ws.layers.get(name)
        if layer is not None and len(layer):
            out[name] = layer
    return out


def results_workspace(results):
    """The workspace named in ``results.info["workspace"]``, loaded, or ``None`` if gone or unreadable."""
    root = (results.info or {}).get("workspace")
    if not root or not Path(root, "workspace.toml").is_file():
        return None
    try:
        from ..workspace import load_workspace

        return load_workspace(root)
    except (GeoTenglongError, OSError, ValueError) as exc:  # a moved or edited workspace must not stop the map
        log.warning("workspace %s not readable for map layers: %s", root, exc)
        return None


def _as_gdf(layer, crs) -> gpd.GeoDataFrame | None:
    if layer is None or not isinstance(layer, gpd.GeoDataFrame) or layer.geometry.name not in layer.columns:
        return None
    if layer.crs is None and crs is not None:
        layer = layer.set_crs(crs, allow_override=True)
    return layer


def _merge_geometries(table: pd.DataFrame, parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """Give a merge-check table without geometry the union of its parcels (``parcel_ids``)."""
    col = pick_column(table, ["parcel_ids", "merged_from"])
    if col is None or not len(table):
        return None
    lookup = parcels.set_index(parcels["parcel_id"].astype(str)).geometry
    geoms = []
    for ids in table[col].astype("string").fillna(""):
        parts = [lookup.get(p.strip()) for p in str(ids).replace(",", ";").split(";") if p.strip()]
        parts = [g for g in parts if g is not None]
        geoms.append(shapely.union_all(parts) if parts else None)
    return gpd.GeoDataFrame(table.reset_index(drop=True), geometry=geoms, crs=parcels.crs)


def collect_layers(results, ws=None) -> dict[str, gpd.GeoDataFrame]:
    """Every layer the map shows, keyed as in :data:`~.styles.LAYER_STYLES`, in the workspace CRS.

    Adds the derived display columns ``_name``, ``_uscc``, ``_class`` (parcels), ``_id``,
    ``_type``, ``_eligible`` (fragments) and ``_verdict`` (proposals). Layers absent from the data
    are omitted. ``reclaimable`` and, when no ``idle_land`` layer exists, ``idle_land`` are subsets
    of the parcels (marked with ``_rows``: positions in the parcels layer).
    """
    crs = results.parcels.crs or (results.info or {}).get("crs")
    parcels = results.parcels.copy()
    if parcels.crs is None and crs is not None:
        parcels = parcels.set_crs(crs)
    parcels = parcels[parcels.geometry.notna() & ~parcels.geometry.is_empty].reset_index(drop=True)
    parcels["parcel_id"] = parcels["parcel_id"].astype("string")
    parcels["_name"] = _coalesce(parcels, ["holder_name", "owner_name"])
    parcels["_uscc"] = _coalesce(parcels, ["holder_uscc", "owner_uscc"])
    if "eval_class" in parcels.columns:
        cls = parcels["eval_class"].astype("string").str.strip()
        name = parcels["class_name"].astype("string") if "class_name" in parcels.columns else ""
        parcels["_class"] = (cls + "类 " + name).where(cls.notna() & (cls != ""), "未参评")
    layers: dict[str, Any] = {"parcels": parcels}
    mask = reclaimable_mask(parcels)
    if mask.any():
        sub = parcels[mask].copy()
        sub["_rows"] = np.flatnonzero(mask)
        layers["reclaimable"] = sub
    idle = _as_gdf(results.layer("idle_land"), crs)
    if idle is not None and len(idle):
        idle = idle.copy()
        if "parcel_id" in idle.columns:
            idle["parcel_id"] = idle["parcel_id"].astype("string")
            extra = [c for c in ("idle_tier", "idle_rule", "idle_days", "idle_fee_wan", "idle_gov_cause", "_name",
                                 "area_mu") if c in parcels.columns and c not in idle.columns]
            if extra:
                idle = idle.merge(pd.DataFrame(parcels[["parcel_id", *extra]]), on="parcel_id", how="left")
        layers["idle_land"] = idle
    elif "idle_tier" in parcels.columns:  # no idle_land layer: the idle parcels themselves (tier 1 and 2)
        tier = pd.to_numeric(parcels["idle_tier"], errors="coerce")
        m = (tier >= 1).fillna(False).to_numpy(dtype=bool)
        if m.any():
            sub = parcels[m].copy()
            sub["_rows"] = np.flatnonzero(m)
            layers["idle_land"] = sub
    frags = _as_gdf(results.layer("fragments"), crs)
    if frags is not None and len(frags):
        frags = frags.reset_index(drop=True).copy()
        idcol = pick_column(frags, FRAGMENT_ID_COLUMNS)
        frags["_id"] = frags[idcol].astype("string") if idcol else pd.Series(
            [f"F{i + 1}" for i in range(len(frags))], dtype="string")
        tcol = pick_column(frags, FRAGMENT_TYPE_COLUMNS)
        t = frags[tcol].astype("string").fillna("").str.lower() if tcol else pd.Series([""] * len(frags))
        enclosed = t.str.contains("夹心|enclosed|sandwich|infill", regex=True).to_numpy(dtype=bool)
        known = frags[tcol].astype("string").str.strip() if tcol else pd.Series(pd.NA, index=frags.index)
        known = known.where(known.str.contains(r"[\u4e00-\u9fff]", regex=True).fillna(False), pd.NA)
        frags["_type"] = known.fillna(pd.Series(np.where(enclosed, "夹心地", "零星边角地"), index=frags.index))
        ecol = pick_column(frags, FRAGMENT_ELIGIBLE_COLUMNS)
        ok = _truthy(frags[ecol]) if ecol else np.full(len(frags), None, dtype=object)
        frags["_eligible"] = ["符合" if v is True else "不符合" if v is False else "未核查" for v in ok]
        if "area_mu" not in frags.columns:
            frags["area_mu"] = units.m2_to_mu(frags.geometry.area).round(units.MU_DECIMALS)
        layers["fragments"] = frags
    for name in ("split_checks", "merge_checks"):
        layer = results.layer(name)
        gdf = _as_gdf(layer, crs)
        if gdf is None and isinstance(layer, pd.DataFrame) and len(layer) and name == "merge_checks":
            gdf = _merge_geometries(layer, parcels)
        if gdf is not None and len(gdf):
            gdf = gdf.reset_index(drop=True).copy()
            gdf["_verdict"] = [STATUS_LABELS.get(k, "未判定") for k in verdict_keys(gdf)]
            if "area_mu" not in gdf.columns:
                gdf["area_mu"] = units.m2_to_mu(gdf.geometry.area).round(units.MU_DECIMALS)
            layers[name] = gdf
    clusters = _as_gdf(results.layer("clusters"), crs)
    if clusters is not None and len(clusters):
        clusters = clusters[clusters.geometry.notna() & ~clusters.geometry.is_empty].reset_index(drop=True).copy()
        if len(clusters):
            if "cluster_id" not in clusters.columns:
                clusters["cluster_id"] = [f"JJD{i + 1:03d}" for i in range(len(clusters))]
            clusters["cluster_id"] = clusters["cluster_id"].astype("string")
            if "area_mu" not in clusters.columns:
                clusters["area_mu"] = units.m2_to_mu(clusters.geometry.area).round(units.MU_DECIMALS)
            clusters["_rule"] = CLUSTER_RULE
            layers["clusters"] = clusters
    old_parks = results.layer("old_parks")
    for name, layer in workspace_layers(results, ws).items():
        layer = layer.copy()
        if parcels.crs is not None and layer.crs is not None and not layer.crs.equals(parcels.crs):
            layer = layer.to_crs(parcels.crs)
        if "name" not in layer.columns:
            layer["name"] = ""
        if name == "parks":
            layer = _with_old_parks(layer, old_parks)
        layers[name] = layer
    return layers


def _with_old_parks(parks: gpd.GeoDataFrame, old_parks) -> gpd.GeoDataFrame:
    """Add ``_old_far``, ``_old_tax_per_mu``, ``_old_renovated_mu`` to the 老旧工业园区 among ``parks``."""
    if not isinstance(old_parks, pd.DataFrame) or not len(old_parks) or "park_id" not in old_parks.columns \
            or "park_id" not in parks.columns:
        return parks
    table = pd.DataFrame(old_parks).assign(_key=old_parks["park_id"].astype(str))
    table = table.drop_duplicates("_key").set_index("_key")
    key = parks["park_id"].astype("string")
    for src, dst in (("far", "_old_far"), ("tax_per_mu", "_old_tax_per_mu"), ("renovated_mu", "_old_renovated_mu")):
        if src in table.columns:
            parks[dst] = pd.to_numeric(key.map(table[src]), errors="coerce").to_numpy(dtype=float)
    return parks


def _coalesce(df: pd.DataFrame, cols) -> pd.Series:
    out = pd.Series(pd.NA, index=df.index, dtype="string")
    for c in cols:
        if c in df.columns:
            v = df[c].astype("string")
            v = v.where(v.str.strip() != "", pd.NA)
            out = out.fillna(v)
    return out


# --------------------------------------------------------------------------- encoding

def encode_geometries(geoms, scale: int = COORD_SCALE) -> tuple[list, list[int] | None]:
    """Encode EPSG:4326 geometries compactly for the page.

    Each feature becomes a list of parts; a polygon part is a list of rings, a line or point part
    a single flat list. A flat list holds integer ``x, y`` pairs in ``1/scale`` degrees, the first
    pair absolute and the others as differences from the previous vertex; polygon rings omit their
    closing vertex. Empty or missing geometries encode as an empty list.

    Parameters
    ----------
    geoms : array-like of shapely geometries (x = longitude)
    scale : int

    Returns
    -------
    features : list
    kinds : list of int or None
        Per feature 2 (polygon), 1 (line) or 0 (point), or ``None`` when every feature is a polygon.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> encode_geometries([box(121.0, 29.0, 121.000002, 29.000001)])
    ([[[[121000002, 29000000, 0, 1, -2, 0, 0, -1]]]], None)
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    feats: list = [[] for _ in range(n)]
    kinds = np.full(n, -1, dtype=np.int64)
    valid = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not valid.any():
        return feats, None
    parts, owner = shapely.get_parts(geoms[valid], return_index=True)
    owner = np.flatnonzero(valid)[owner]
    # explode nested collections until every part is a single geometry
    while True:
        multi = shapely.get_type_id(parts) >= 4
        if not multi.any():
            break
        sub, sidx = shapely.get_parts(parts[multi], return_index=True)
        parts = np.concatenate([parts[~multi], sub])
        owner = np.concatenate([owner[~multi], owner[multi][sidx]])
    order = np.argsort(owner, kind="stable")
    parts, owner = parts[order], owner[order]
    tid = shapely.get_type_id(parts)
    dim = np.where(tid == 3, 2, np.where((tid == 1) | (tid == 2), 1, 0))
    best = np.full(n, -1, dtype=np.int64)
    np.maximum.at(best, owner, dim)
    keep = (dim == best[owner]) & ~shapely.is_empty(parts)
    parts, owner, dim = parts[keep], owner[keep], dim[keep]
    kinds[:] = best

    poly = dim == 2
    if poly.any():
        rings, ring_part = shapely.get_rings(parts[poly], return_index=True)
        _fill_flat(feats, owner[poly], rings, ring_part, scale, drop_closing=True, nested=True)
    lines = dim == 1
    if lines.any():
        lparts = parts[lines]
        _fill_flat(feats, owner[lines], lparts, np.arange(len(lparts)), scale, drop_closing=False, nested=False)
    pts = dim == 0
    if pts.any():
        pparts = parts[pts]
        _fill_flat(feats, owner[pts], pparts, np.arange(len(pparts)), scale, drop_closing=False, nested=False)
    all_poly = bool(np.all((kinds == 2) | (kinds == -1)))
    return feats, None if all_poly else [int(k) if k >= 0 else 2 for k in kinds]


def _fill_flat(feats, part_owner, seqs, seq_part, scale, drop_closing: bool, nested: bool) -> None:
    """Append the delta-encoded coordinate lists of ``seqs`` (rings or lines) to ``feats``."""
    coords, cidx = shapely.get_coordinates(seqs, return_index=True)
    if drop_closing:
        last = np.ones(len(cidx), dtype=bool)
        last[:-1] = cidx[1:] != cidx[:-1]
        coords, cidx = coords[~last], cidx[~last]
    ints = np.rint(coords * scale).astype(np.int64)
    deltas = ints.copy()
    deltas[1:] -= ints[:-1]
    first = np.ones(len(cidx), dtype=bool)
    first[1:] = cidx[1:] != cidx[:-1]
    deltas[first] = ints[first]
    flat = deltas.ravel().tolist()
    counts = np.bincount(cidx, minlength=len(seqs)) * 2
    bounds = np.concatenate([[0], np.cumsum(counts)])
    cur_part = -1
    for s in range(len(seqs)):
        p = int(seq_part[s])
        seq = flat[bounds[s]:bounds[s + 1]]
        if not seq:
            continue
        f = feats[int(part_owner[p])]
        if nested:
            if p != cur_part:
                f.append([])
                cur_part = p
            f[-1].append(seq)
        else:
            f.append(seq)


def _num_list(values, decimals: int) -> list:
    arr = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    arr = np.round(arr, decimals)
    out = arr.tolist()
    return [None if math.isnan(v) else (int(v) if decimals == 0 or float(v).is_integer() else v) for v in out]


def encode_column(values: pd.Series, kind: str = "text") -> dict:
    """A column of the page's property table.

    Numbers become ``{"v": [...]}`` (rounded; NaN → null); text becomes ``{"v": [...]}`` or, when
    values repeat, dictionary-encoded ``{"d": [distinct values], "i": [codes, -1 = null]}``.
    """
    if kind in {"int", "idle"}:
        return {"v": _num_list(values, 0)}
    if kind in {"num1", "num2", "num4", "pct"}:
        return {"v": _num_list(values, {"num1": 1, "num2": 2, "num4": 4, "pct": 4}[kind])}
    if kind == "bool":
        return {"v": [None if v is None else int(v) for v in _truthy(values)]}
    s = pd.Series(values).astype("string")
    s = s.where(s.notna() & (s.str.strip() != ""), pd.NA)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    if len(uniques) <= max(1, len(s) // 2):
        return {"d": [str(u) for u in uniques], "i": codes.tolist()}
    return {"v": [None if v is pd.NA else str(v) for v in s.tolist()]}


def _json_script(obj: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: ``<``, ``>``, ``&`` as ``\\u003c`` etc."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _report_column(parcel_ids: pd.Series, reports_dir: Path | None, out_dir: Path | None) -> list | None:
    """Per parcel the safe id of its existing report file, else null (``None`` when none exist)."""
    if reports_dir is None or not reports_dir.is_dir():
        return None
    existing = {p.name for p in reports_dir.glob("*.html")}
    if not existing:
        return None
    out = []
    for pid in parcel_ids.astype("string").fillna(""):
        fname = report_file(pid)
        out.append(fname if fname in existing else None)
    return out if any(v is not None for v in out) else None


def _fmt_mu(v: float) -> str:
    return f"{v:,.2f}"


def summary_payload(results, layers: dict[str, gpd.GeoDataFrame]) -> dict:
    """The county figures and target progress bars shown in the summary panel."""
    info = results.info or {}
    parcels = layers["parcels"]
    area = pd.to_numeric(parcels.get("area_mu"), errors="coerce") if "area_mu" in parcels.columns else \
        units.m2_to_mu(parcels.geometry.area)
    facts = [["宗地", f"{len(parcels):,} 宗 · {_fmt_mu(float(np.nansum(area)))} 亩"]]
    if "eval_class" in parcels.columns:
        cls = parcels["eval_class"].astype("string").str.strip().str.upper()
        counts = [f"{k} {int((cls == k).sum())}" for k in "ABCD"]
        facts.append(["亩均评价(宗)", " · ".join(counts)])
    if "reclaimable" in layers:
        rec = layers["reclaimable"]
        rec_area = float(np.nansum(pd.to_numeric(rec.get("area_mu"), errors="coerce"))) \
            if "area_mu" in rec.columns else float(units.m2_to_mu(rec.geometry.area).sum())
        mu = results.metrics.get("reclaimable_mu", rec_area) if results.metrics else rec_area
        facts.append(["可腾退低效工业用地", f"{len(rec):,} 宗 · {_fmt_mu(float(mu))} 亩"])
    if "idle_land" in layers:
        facts.append(["闲置土地", f"{len(layers['idle_land']):,} 处"])
    if "fragments" in layers:
        fr = layers["fragments"]
        ok = int((fr["_eligible"] == "符合").sum())
        facts.append(["零星边角地/夹心地", f"{len(fr):,} 块 (符合开发条件 {ok} 块)"])
    targets = []
    table = results.layer("targets")
    if isinstance(table, pd.DataFrame) and len(table):
        if "metric" in table.columns:  # the campaign's headline figures first, then the rest as listed
            rank = table["metric"].map({m: i for i, m in enumerate(KEY_METRICS)}).fillna(len(KEY_METRICS))
            table = table.iloc[np.argsort(rank.to_numpy(), kind="stable")]
        for r in table.to_dict("records"):
            def num(x):
                try:
                    x = float(x)
                except (TypeError, ValueError):
                    return None
                return None if np.isnan(x) else round(x, 4)
            targets.append({"rule": str(r.get("rule_id") or ""), "label": str(r.get("label") or r.get("metric") or ""),
                            "value": num(r.get("value")), "target": num(r.get("target")),
                            "unit": str(r.get("unit") or ""), "op": str(r.get("op") or ""),
                            "progress": num(r.get("progress")),
                            "status": STATUS_LABELS.get(str(r.get("status")), str(r.get("status") or ""))})
    county = str(info.get("county") or "")
    return {"title": f"{county}腾笼换鸟 低效用地汇报图", "county": county,
            "subtitle": " · ".join(x for x in [str(info.get("document") or info.get("ruleset") or ""),
                                               f"评价基准日 {info['as_of']}" if info.get("as_of") else ""] if x),
            "facts": facts, "targets": targets}


def layer_payload(spec: LayerStyle, gdf: gpd.GeoDataFrame, geoms, kinds, parcels_ref: bool) -> dict:
    """One layer of the page's data: styles, categories, legend counts, geometry and properties."""
    cats = spec.classify(gdf)
    counts = np.bincount(cats, minlength=len(spec.categories))
    area = pd.to_numeric(gdf["area_mu"], errors="coerce").to_numpy(dtype=float) if "area_mu" in gdf.columns \
        else np.full(len(gdf), np.nan)
    legend = []
    for i, cat in enumerate(spec.categories):
        if counts[i]:
            a = float(np.nansum(area[cats == i]))
            legend.append({"label": cat.label, "style": cat.style, "count": int(counts[i]),
                           "area": round(a, 2) if a > 0 else None})
    out: dict[str, Any] = {"name": spec.name, "label": spec.label, "styles": [c.style for c in spec.categories],
                           "cat": cats.tolist(), "legend": legend, "n": len(gdf)}
    if parcels_ref:
        out["ref"] = "parcels"
        out["rows"] = gdf["_rows"].astype(int).tolist()
    else:
        out["geom"] = geoms
        if kinds is not None:
            out["kinds"] = kinds
        cols = {}
        for f in spec.fields:
            if f.column in gdf.columns and f.column not in cols:
                cols[f.column] = encode_column(gdf[f.column], f.kind)
        out["cols"] = cols
    out["fields"] = [[f.column, f.label, f.kind] for f in spec.fields if f.column in gdf.columns]
    return out


def _findings_payload(findings: pd.DataFrame, ids: set[str]) -> dict:
    """Findings about the features on the map, dictionary-encoded, most severe first per feature."""
    if findings is None or not len(findings) or not ids:
        return {"id": {"d": [], "i": []}}
    f = findings[findings["parcel_id"].astype("string").isin(ids)].copy()
    f["_o"] = f["status"].map(_STATUS_ORDER).fillna(9)
    f = f.sort_values(["parcel_id", "_o", "rule_id"], kind="stable")
    return {"id": encode_column(f["parcel_id"]), "rule": encode_column(f["rule_id"]),
            "clause": encode_column(f["clause"]), "status": encode_column(f["status"]),
            "message": encode_column(f["message"]), "value": {"v": _num_list(f["value"], 4)},
            "threshold": {"v": _num_list(f["threshold"], 4)}, "unit": encode_column(f["unit"]),
            "labels": STATUS_LABELS}


# --------------------------------------------------------------------------- the map

def build_briefing_map(results, ws=None, basemap: str | Basemap | None = None, map_path: str | Path | None = None,
                       reports_dir: str | Path | None = None, simplify: float | None = None,
                       gcj02: bool | None = None) -> folium.Map:
    """Build the briefing map.

    Parameters
    ----------
    results : Results
        What a run produced (``Results.read`` of a ``results.gpkg`` works too).
    ws : Workspace, optional
        For the parks and 三区三线 layers and a land-cover basemap; when absent, the workspace in
        ``results.info["workspace"]`` is read if it exists.
    basemap : str or Basemap, optional
        A spec for :func:`~geo_tenglong.webmap.basemaps.resolve_basemap`; default ``[map] basemap``
        of the workspace, else none (fully offline).
    map_path : str or Path, optional
        Where the HTML will be saved (report links are relative to it).
    reports_dir : str or Path, optional
        Folder of parcel reports (``<out>/reports``); a parcel links to its report when
        ``reports_dir / report_relpath(id)`` exists (see :func:`~geo_tenglong.webmap.links.report_file`).
    simplify : float, optional
        Simplification tolerance in metres (shared edges preserved with
        ``shapely.coverage_simplify``); none by default (cadastral outlines are kept exactly).
    gcj02 : bool, optional
        Force the GCJ-02 shift for an XYZ basemap.

    Returns
    -------
    folium.Map
    """
    if ws is None:
        ws = results_workspace(results)
    layers = collect_layers(results, ws)
    root = getattr(ws, "root", None) or (results.info or {}).get("workspace")
    if basemap is None:
        basemap = map_config(root).get("basemap")
    bm = basemap if isinstance(basemap, Basemap) or basemap is None else resolve_basemap(
        basemap, ws=ws, workspace_root=root, gcj02=gcj02)
    shift = bool(bm and bm.gcj02)

    encoded: dict[str, tuple] = {}
    for name, gdf in layers.items():
        if "_rows" in gdf.columns:
            continue
        geom = gdf.geometry
        if simplify:
            geom = _simplify(geom, simplify, coverage=name == "parcels")
        geom = geom.to_crs(4326) if geom.crs is not None else geom
        values = np.asarray(geom.values, dtype=object)
        if shift:
            values = shift_geometries(values, True)
        encoded[name] = encode_geometries(values)
        layers[name] = gdf.assign(**{gdf.geometry.name: gpd.GeoSeries(values, index=gdf.index, crs=4326)}) \
            .set_crs(4326, allow_override=True)

    parcels = layers["parcels"]
    maps_dir = Path(map_path).resolve().parent if map_path else Path.cwd()
    reports_dir = Path(reports_dir).resolve() if reports_dir else None
    ids: set[str] = set()
    payload_layers = []
    upper = sum(len(layers[s.name]) for s in LAYER_STYLES if s.name in layers and s.pane in {"gt-focus", "gt-plans"})
    for spec in LAYER_STYLES:
        if spec.name not in layers:
            continue
        gdf = layers[spec.name]
        ref = "_rows" in gdf.columns
        geoms, kinds = encoded.get(spec.name, (None, None))
        lp = layer_payload(spec, gdf, geoms, kinds, ref)
        idcol = {"parcels": "parcel_id", "reclaimable": "parcel_id", "idle_land": "parcel_id", "fragments": "_id",
                 "split_checks": "proposal_id", "merge_checks": "proposal_id",
                 "clusters": "cluster_id"}.get(spec.name)
        if idcol and idcol in gdf.columns:
            lp["idcol"] = idcol
            ids.update(gdf[idcol].astype("string").dropna().tolist())
            if not ref and idcol not in lp["cols"]:
                lp["cols"][idcol] = encode_column(gdf[idcol])
        if spec.name == "parcels":
            lp["title"] = "_name"
            lp["search"] = [c for c in ("_name", "_uscc", "parcel_id") if c in gdf.columns]
            for c in lp["search"]:
                lp["cols"].setdefault(c, encode_column(gdf[c]))
            rep = _report_column(gdf["parcel_id"], reports_dir, None)
            if rep is not None:
                lp["cols"]["_report"] = encode_column(pd.Series(rep, dtype="string"))
                rel = os.path.relpath(reports_dir, maps_dir).replace(os.sep, "/")
                lp["reportPrefix"] = rel.rstrip("/") + "/"
        elif spec.name == "fragments":
            lp["title"] = "_type"
            lp["search"] = ["_id"]
        elif spec.name in {"split_checks", "merge_checks"} and "proposal_id" in gdf.columns:
            lp["search"] = ["proposal_id"]
        elif spec.name == "clusters":
            if "treatment" in gdf.columns:
                lp["title"] = "treatment"
            lp["search"] = ["cluster_id"]
        # cluster hulls are a handful of outlines: always SVG, where an unfilled path takes clicks only
        # on its outline (a canvas path takes them inside too and would hide the parcels' popups)
        lp["svg"] = spec.pane in {"gt-focus", "gt-plans"} and (upper <= SVG_LIMIT or spec.name == "clusters")
        lp["pane"] = spec.pane
        lp["show"] = spec.show
        lp["ctl"] = CONTROL_ORDER.index(spec.name) if spec.name in CONTROL_ORDER else len(CONTROL_ORDER)
        payload_layers.append(lp)

    summary = summary_payload(results, layers)
    payload = {"layers": payload_layers, "findings": _findings_payload(results.findings, ids),
               "summary": summary, "scale": COORD_SCALE, "idleLabels": {str(k): v for k, v in IDLE_TIER_LABELS.items()},
               "statusLabels": STATUS_LABELS, "basemapLegend": [list(x) for x in (bm.legend if bm else [])],
               "basemapLabel": bm.label if bm else None, "gcj02": shift}

    b = parcels.total_bounds
    m = folium.Map(location=[(b[1] + b[3]) / 2, (b[0] + b[2]) / 2], zoom_start=14, tiles=None, prefer_canvas=True,
                   control_scale=True, max_zoom=20)
    m.default_js = []
    m.default_css = []
    fig = m.get_root()
    fig.header.add_child(RawHTML(f"<title>{html.escape(summary['title'])}</title>\n"), name="gt_title")
    fig.header.add_child(RawHTML(assets.head_html()), name="gt_assets")
    fig.header.add_child(RawHTML(f'<script type="application/json" id="gt-data">{_json_script(payload)}</script>\n'),
                         name="gt_data")
    folium.map.CustomPane("gt-raster", z_index=250, pointer_events=False).add_to(m)
    if bm is not None:
        if bm.image:
            folium.raster_layers.ImageOverlay(image=bm.image, bounds=bm.bounds, name=html.escape(bm.label),
                                              opacity=bm.opacity, pane="gt-raster", overlay=True, control=True).add_to(m)
        for t in bm.tiles:
            folium.TileLayer(tiles=t.url, attr=html.escape(t.attribution), name=html.escape(t.label),
                             subdomains=t.subdomains, max_zoom=t.max_zoom, max_native_zoom=18,
                             overlay=t.overlay, control=True).add_to(m)
    groups = {}
    by_name = {lp["name"]: lp for lp in payload_layers}
    for name in CONTROL_ORDER:
        if name in by_name:
            lp = by_name[name]
            g = folium.FeatureGroup(name=html.escape(lp["label"]), show=bool(lp["show"]))
            g.add_to(m)
            groups[name] = g.get_name()
    _BriefingScript(groups).add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    m.fit_bounds([[b[1], b[0]], [b[3], b[2]]])
    return m


def _simplify(geom: gpd.GeoSeries, tolerance: float, coverage: bool) -> gpd.GeoSeries:
    values = np.asarray(geom.values, dtype=object)
    if coverage:
        try:
            out = shapely.coverage_simplify(values, tolerance)
        except shapely.errors.GEOSException:  # not a valid coverage: simplify feature by feature
            out = shapely.simplify(values, tolerance, preserve_topology=True)
    else:
        out = shapely.simplify(values, tolerance, preserve_topology=True)
    return gpd.GeoSeries(out, index=geom.index, crs=geom.crs)


def render_briefing_html(results, **kwargs) -> str:
    """The briefing map as one HTML string (arguments as :func:`build_briefing_map`)."""
    return build_briefing_map(results, **kwargs).get_root().render()


def save_briefing_map(results, path: str | Path, ws=None, basemap=None, reports_dir=None, simplify=None,
                      gcj02=None, inputs=()) -> Path:
    """Render the briefing map and write it to ``path`` atomically.

    Parameters
    ----------
    results : Results
    path : str or Path
        The HTML file to write.
    ws, basemap, reports_dir, simplify, gcj02
        As :func:`build_briefing_map`.
    inputs : iterable of Path
        Input files that must not be overwritten.

    Returns
    -------
    Path
    """
    from ..io.atomic import check_not_input

    path = Path(path)
    check_not_input(path, inputs)
    text = render_briefing_html(results, ws=ws, basemap=basemap, map_path=path, reports_dir=reports_dir,
                                simplify=simplify, gcj02=gcj02)
    write_text_atomic(path, text)
    return path


def write_briefing_map(results, out_dir, maps_dir, ws) -> list[Path]:
    """Pipeline output: ``maps_dir/briefing.html``, linking to reports in ``out_dir/reports``.

    Returns an empty list when ``maps_dir`` is ``None`` (maps turned off).
    """
    if maps_dir is None:
        return []
    inputs = getattr(ws, "inputs", ()) if ws is not None else ()
    return [save_briefing_map(results, Path(maps_dir) / MAP_FILE, ws=ws, reports_dir=Path(out_dir) / REPORTS_DIR,
                              inputs=inputs)]


def map_from_source(source: str | Path, output: str | Path, basemap: str | None = None,
                    reports_dir: str | Path | None = None, simplify: float | None = None,
                    gcj02: bool | None = None, ruleset: str | None = None, as_of: str | None = None) -> Path:
    """Build the briefing map from a workspace folder or a ``results.gpkg`` and save it.

    Parameters
    ----------
    source : str or Path
        A workspace folder (holding ``workspace.toml``: the analysis is run, nothing but the map is
        written), or a ``results.gpkg`` (or a folder holding one) written by ``run``.
    output : str or Path
        The HTML file to write.
    basemap, simplify, gcj02
        As :func:`build_briefing_map`.
    reports_dir : str or Path, optional
        Parcel reports to link; default ``reports/`` beside ``results.gpkg``, or ``out/reports``
        for a workspace.
    ruleset, as_of : str, optional
        Overrides for a workspace.

    Returns
    -------
    Path

    Raises
    ------
    InputError
        When ``source`` is neither, or is unreadable.
    """
    from ..errors import InputError
    from ..results import RESULTS_FILE, Results

    source = Path(source)
    ws = None
    if source.is_dir() and (source / "workspace.toml").is_file():
        from ..pipeline import analyse
        from ..workspace import load_workspace

        ws = load_workspace(source, ruleset=ruleset, as_of=as_of)
        results = analyse(ws)
        default_reports = Path("out") / REPORTS_DIR
    elif source.is_file() or (source.is_dir() and (source / RESULTS_FILE).is_file()):
        results = Results.read(source)
        default_reports = (source.parent if source.is_file() else source) / REPORTS_DIR
    else:
        raise InputError("expected a workspace folder (with workspace.toml) or a results.gpkg", source)
    return save_briefing_map(results, output, ws=ws, basemap=basemap,
                             reports_dir=reports_dir if reports_dir is not None else default_reports,
                             simplify=simplify, gcj02=gcj02, inputs=getattr(ws, "inputs", ()))
