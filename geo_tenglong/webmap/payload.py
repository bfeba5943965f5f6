"""The briefing map's data: a run's results (and optional context layers) → one JSON-able dict.

Pure data, no HTML: :func:`build_payload` returns the layers (geometry encoded by :mod:`.encode`, a
style category per feature, legend counts, popup fields labelled from the results schema), the
findings about the features on the map, the summary panel's county figures and targets, name labels
(townships, parks) and the basemap's description. :mod:`.render` turns it into the page.

Columns are read under the names the stages declare in ``geo_tenglong/data/results_schema.toml``;
the map adds a few display columns of its own, prefixed ``_`` (``_name``, ``_class``, ``_idle``,
``_tenants`` …). The results do not hold the parks and 三区三线 layers: the caller passes them as
``context`` (name → GeoDataFrame; see :data:`CONTEXT_LAYERS`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import results_schema, units
from ..findings import STATUS_LABELS
from ..values import split_ids
from .basemaps import Basemap
from .encode import COORD_SCALE, encode_column, encode_geometries
from .gcj02 import shift_geometries
from .links import report_file
from .styles import (
    CHANGE_CATEGORIES,
    CLUSTER_RULE,
    LAYER_STYLES,
    LayerStyle,
    bool_values,
    field_heading,
    field_kind,
    idle_labels,
    reclaimable_mask,
    verdict_keys,
)
from .tiles import TILE_LAYER, ParcelProperties, ParcelTiles, build_tiles, label_points, search_index

#: When the upper layers (reclaimable, idle, fragments, proposals) hold at most this many features
#: together they are drawn as SVG in their own panes; beyond it every layer shares the one canvas
#: (thousands of SVG paths make each popup's layout and each pan slow).
SVG_LIMIT = 1500
#: Context layers the map draws when the caller passes them (the results do not hold them).
CONTEXT_LAYERS = ("parks", "urban_boundary", "basic_farmland", "eco_redline")
#: Layer switcher order (top to bottom); drawing order is :data:`~.styles.LAYER_STYLES`.
CONTROL_ORDER = ("changes", "reclaimable", "parcels", "idle_land", "fragments", "split_checks", "merge_checks",
                 "clusters", "parks", "urban_boundary", "basic_farmland", "eco_redline")
#: Targets shown first in the summary panel: 亩均税收, 亩均增加值, 全员劳动生产率, 腾出低效工业用地.
KEY_METRICS = ("tax_per_mu", "va_per_mu", "labour_productivity", "freed_mu")
#: The feature id column of each layer (what findings' ``parcel_id`` refers to).
ID_COLUMNS = {"parcels": "parcel_id", "reclaimable": "parcel_id", "idle_land": "parcel_id",
              "fragments": "fragment_id", "split_checks": "proposal_id", "merge_checks": "proposal_id",
              "clusters": "cluster_id", "changes": "parcel_id"}
#: Zoom ranges [from, to) of the name labels: townships (placed on one of their parcels) at the
#: overview, parks once zoomed in; at the zoom with both, a township name that would cover a park's
#: is left out (briefing.js: parks first, then townships where there is room).
LABEL_ZOOMS = {"township": (10, 15), "park": (14, 22)}
_STATUS_ORDER = {"fail": 0, "warn": 1, "missing_data": 2, "pass": 3, "not_applicable": 4}


# --------------------------------------------------------------------------- layers

def _polygons(layer: Any, crs: Any) -> gpd.GeoDataFrame | None:
    """``layer`` as a GeoDataFrame with a CRS, or ``None`` when it is absent, empty or has no geometry."""
    if not isinstance(layer, gpd.GeoDataFrame) or layer.geometry.name not in layer.columns or not len(layer):
        return None
    if layer.crs is None and crs is not None:
        layer = layer.set_crs(crs, allow_override=True)
    return layer


def _split_ids(values: pd.Series) -> pd.Series:
    """Id lists (``;``-joined, the schema's convention) exploded to one id per row, index kept."""
    return values.map(split_ids).explode().dropna()


def _merge_geometries(table: pd.DataFrame, parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """Give the merge-check table (declared without geometry) the union of its ``parcel_ids``."""
    if "parcel_ids" not in table.columns or not len(table):
        return None
    lookup = parcels.set_index(parcels["parcel_id"].astype(str)).geometry
    lookup = lookup[~lookup.index.duplicated()]
    ids = _split_ids(table.reset_index(drop=True)["parcel_ids"])
    parts = ids.map(lookup).dropna()
    geoms = [None] * len(table)
    for pos, group in parts.groupby(level=0):
        geoms[int(pos)] = shapely.union_all(group.to_numpy())
    return gpd.GeoDataFrame(table.reset_index(drop=True), geometry=geoms, crs=parcels.crs)


def _coalesce(df: pd.DataFrame, cols: tuple[str, ...]) -> pd.Series:
    out = pd.Series(pd.NA, index=df.index, dtype="string")
    for c in cols:
        if c in df.columns:
            v = df[c].astype("string")
            out = out.fillna(v.where(v.str.strip() != "", pd.NA))
    return out


def enterprises_by_parcel(enterprise_eval: Any) -> pd.DataFrame:
    """The enterprises on each parcel (一地多企 included), from the efficiency stage's table.

    Parameters
    ----------
    enterprise_eval : DataFrame or None
        The ``enterprise_eval`` table (one row per enterprise and year; ``parcel_ids`` ``;``-joined).
        Each enterprise's latest year is used.

    Returns
    -------
    DataFrame
        One row per parcel and enterprise: ``parcel_id``, ``name`` (the credit code where the name
        is blank) and ``uscc``.
    """
    cols = ["parcel_id", "name", "uscc"]
    if not isinstance(enterprise_eval, pd.DataFrame) or not len(enterprise_eval) \
            or not {"uscc", "name", "parcel_ids"} <= set(enterprise_eval.columns):
        return pd.DataFrame(columns=cols)
    ee = pd.DataFrame(enterprise_eval)[["uscc", "name", "parcel_ids", *(["year"] if "year" in enterprise_eval.columns
                                                                       else [])]]  # not the 20-odd others
    if "year" in ee.columns:
        ee = ee.sort_values("year", kind="stable")
    ee = ee.drop_duplicates("uscc", keep="last").reset_index(drop=True)
    ids = _split_ids(ee["parcel_ids"])
    if not len(ids):
        return pd.DataFrame(columns=cols)
    rows = pd.DataFrame({"parcel_id": ids.to_numpy(dtype=str),
                         "name": ee["name"].astype("string").fillna("").to_numpy()[ids.index],
                         "uscc": ee["uscc"].astype("string").fillna("").to_numpy()[ids.index]})
    rows = rows.drop_duplicates(["parcel_id", "uscc"]).reset_index(drop=True)
    rows["name"] = rows["name"].where(rows["name"].str.strip() != "", rows["uscc"])
    return rows


def _parcels_layer(results: Any, crs: Any) -> gpd.GeoDataFrame:
    # a shallow copy (pandas copies on write): the map's columns are added to it, not to the results,
    # and a million parcels' hundred columns are not copied
    parcels = results.parcels.copy(deep=False)
    if parcels.crs is None and crs is not None:
        parcels = parcels.set_crs(crs)
    drawn = (parcels.geometry.notna() & ~parcels.geometry.is_empty).to_numpy()
    parcels = (parcels if drawn.all() else parcels[drawn]).reset_index(drop=True)
    parcels["parcel_id"] = parcels["parcel_id"].astype("string")
    # the enterprise using the land (efficiency stage), else the right holder (input parcels)
    parcels["_name"] = _coalesce(parcels, ("holder_name", "owner_name"))
    parcels["_uscc"] = _coalesce(parcels, ("holder_uscc", "owner_uscc"))
    if "eval_class" in parcels.columns:
        cls = parcels["eval_class"].astype("string").str.strip()
        name = parcels["class_name"].astype("string").fillna("") if "class_name" in parcels.columns else ""
        parcels["_class"] = (cls + "类 " + name).str.strip().where(cls.notna() & (cls != ""), "未参评")
    ents = enterprises_by_parcel(results.layers.get("enterprise_eval"))
    if len(ents):
        pid = parcels["parcel_id"]
        g = ents.groupby("parcel_id", sort=False)
        count = pid.map(g.size()).fillna(0).to_numpy()
        parcels["_tenants"] = pid.map(g["name"].agg("、".join)).astype("string").where(count > 1, pd.NA)
        # search: the enterprises other than the one already named (_name/_uscc), names and codes in
        # the same order; null for most parcels, so the page stays small
        holder = dict(zip(pid.to_numpy(), parcels["_uscc"].fillna("").to_numpy()))
        others = ents[ents["uscc"] != ents["parcel_id"].map(holder).fillna("")]
        go = others.groupby("parcel_id", sort=False)
        parcels["_ent_names"] = pid.map(go["name"].agg("、".join)).astype("string")
        parcels["_ent_uscc"] = pid.map(go["uscc"].agg(" ".join)).astype("string")
    return parcels


def _idle_layer(results: Any, parcels: gpd.GeoDataFrame, crs: Any) -> gpd.GeoDataFrame | None:
    idle = _polygons(results.layers.get("idle_land"), crs)
    if idle is None:
        return None
    idle = idle.reset_index(drop=True).copy()
    idle["parcel_id"] = idle["parcel_id"].astype("string")
    by_id = parcels.drop_duplicates("parcel_id").set_index("parcel_id")
    idle["_name"] = idle["parcel_id"].map(by_id["_name"]).astype("string")
    if "area_mu" in by_id.columns:
        idle["_area_mu"] = pd.to_numeric(idle["parcel_id"].map(by_id["area_mu"]), errors="coerce")
    else:
        idle["_area_mu"] = units.m2_to_mu(idle.geometry.area)
    idle["area_mu"] = idle["_area_mu"]  # legend areas
    idle["_idle"] = pd.array(idle_labels(idle), dtype="string")
    return idle


def _fragments_layer(results: Any, crs: Any) -> gpd.GeoDataFrame | None:
    frags = _polygons(results.layers.get("fragments"), crs)
    if frags is None:
        return None
    frags = frags.reset_index(drop=True).copy()
    kind = frags["kind"] if "kind" in frags.columns else pd.Series(pd.NA, index=frags.index)
    frags["_type"] = pd.array([None if pd.isna(k) else results_schema.value_label("fragments", "kind", k)
                               for k in kind], dtype="string")
    ok = bool_values(frags["compliant"]) if "compliant" in frags.columns else np.full(len(frags), None, dtype=object)
    frags["_eligible"] = ["符合" if v is True else "不符合" if v is False else "未核查" for v in ok]
    if "neighbours" in frags.columns:  # JSON list of {parcel_id, shared_m} → the ids
        frags["_neighbours"] = frags["neighbours"].astype("string").str.findall(r'"parcel_id"\s*:\s*"([^"]*)"') \
            .map(lambda ids: "、".join(ids) if isinstance(ids, list) and ids else None).astype("string")
    return frags


def _proposals_layer(results: Any, name: str, parcels: gpd.GeoDataFrame, crs: Any) -> gpd.GeoDataFrame | None:
    layer = results.layers.get(name)
    gdf = _polygons(layer, crs)
    if gdf is None and name == "merge_checks" and isinstance(layer, pd.DataFrame) and len(layer):
        gdf = _merge_geometries(pd.DataFrame(layer), parcels)
    if gdf is None or not len(gdf):
        return None
    gdf = gdf.reset_index(drop=True).copy()
    gdf["_verdict"] = [STATUS_LABELS.get(k, "未判定") for k in verdict_keys(gdf)]
    return gdf


def _clusters_layer(results: Any, crs: Any) -> gpd.GeoDataFrame | None:
    clusters = _polygons(results.layers.get("clusters"), crs)
    if clusters is None:
        return None
    clusters = clusters[clusters.geometry.notna() & ~clusters.geometry.is_empty].reset_index(drop=True).copy()
    if not len(clusters):
        return None
    clusters["cluster_id"] = clusters["cluster_id"].astype("string")
    clusters["_rule"] = CLUSTER_RULE
    return clusters


def _with_old_parks(parks: gpd.GeoDataFrame, old_parks: Any) -> gpd.GeoDataFrame:
    """Add ``_old_far``, ``_old_tax_per_mu``, ``_old_renovated_mu`` to the 老旧工业园区 among ``parks``."""
    if not isinstance(old_parks, pd.DataFrame) or not len(old_parks) or "park_id" not in parks.columns:
        return parks
    table = pd.DataFrame(old_parks).assign(_key=old_parks["park_id"].astype(str))
    table = table.drop_duplicates("_key").set_index("_key")
    key = parks["park_id"].astype("string")
    for src, dst in (("far", "_old_far"), ("tax_per_mu", "_old_tax_per_mu"), ("renovated_mu", "_old_renovated_mu")):
        parks[dst] = pd.to_numeric(key.map(table[src]), errors="coerce").to_numpy(dtype=float)
    return parks


def collect_layers(results: Any, context: Mapping[str, gpd.GeoDataFrame] | None = None) -> dict[str, gpd.GeoDataFrame]:
    """Every layer the map shows, keyed as in :data:`~.styles.LAYER_STYLES`, in the results' CRS.

    Parameters
    ----------
    results : Results
    context : mapping of str to GeoDataFrame, optional
        Context layers (:data:`CONTEXT_LAYERS`: parks, 三区三线); others are ignored.

    Returns
    -------
    dict
        Layers absent from the data are omitted. ``reclaimable`` is a subset of the parcels
        (marked with ``_rows``: positions in the parcels layer).
    """
    crs = results.parcels.crs or (results.info or {}).get("crs")
    parcels = _parcels_layer(results, crs)
    layers: dict[str, gpd.GeoDataFrame] = {"parcels": parcels}
    idle = _idle_layer(results, parcels, crs)
    if idle is not None:
        by_parcel = idle.drop_duplicates("parcel_id").set_index("parcel_id")["_idle"]
        parcels["_idle"] = parcels["parcel_id"].map(by_parcel).astype("string")
    mask = reclaimable_mask(parcels)
    if mask.any():
        sub = parcels[mask].copy()
        sub["_rows"] = np.flatnonzero(mask)
        layers["reclaimable"] = sub
    if idle is not None:
        layers["idle_land"] = idle
    frags = _fragments_layer(results, crs)
    if frags is not None:
        layers["fragments"] = frags
    for name in ("split_checks", "merge_checks"):
        gdf = _proposals_layer(results, name, parcels, crs)
        if gdf is not None:
            layers[name] = gdf
    clusters = _clusters_layer(results, crs)
    if clusters is not None:
        layers["clusters"] = clusters
    changes = _polygons(results.layers.get("changes"), crs)  # freed / new idle / worse since the previous run
    if changes is not None:
        changes = changes.reset_index(drop=True)
        changes["_change"] = changes["change"].map({c.key: c.label for c in CHANGE_CATEGORIES}).astype("string")
        layers["changes"] = changes
    for name, layer in (context or {}).items():
        if name not in CONTEXT_LAYERS or not isinstance(layer, gpd.GeoDataFrame) or not len(layer):
            continue
        layer = layer.copy()
        if parcels.crs is not None and layer.crs is not None and not layer.crs.equals(parcels.crs):
            layer = layer.to_crs(parcels.crs)
        if "name" not in layer.columns:
            layer["name"] = pd.NA
        if name == "parks":
            layer = _with_old_parks(layer, results.layers.get("old_parks"))
        layers[name] = layer
    return layers


# --------------------------------------------------------------------------- payload parts

def _fmt_mu(v: float) -> str:
    return f"{v:,.2f}"


def _num(x: Any) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(x) else round(x, 4)


def summary_payload(results: Any, layers: Mapping[str, gpd.GeoDataFrame]) -> dict:
    """The county figures and target progress bars shown in the summary panel."""
    info = results.info or {}
    parcels = layers["parcels"]
    area = pd.to_numeric(parcels["area_mu"], errors="coerce") if "area_mu" in parcels.columns else \
        units.m2_to_mu(parcels.geometry.area)
    facts = [["宗地", f"{len(parcels):,} 宗 · {_fmt_mu(float(np.nansum(area)))} 亩"]]
    if "eval_class" in parcels.columns:
        cls = parcels["eval_class"].astype("string").str.strip().str.upper()
        facts.append(["亩均评价", " · ".join(f"{k} {int((cls == k).sum())}" for k in "ABCD")])
    if "reclaimable" in layers:
        rec = layers["reclaimable"]
        mu = (results.metrics or {}).get("reclaimable_mu")
        if mu is None or pd.isna(mu):
            mu = float(np.nansum(pd.to_numeric(rec["area_mu"], errors="coerce"))) if "area_mu" in rec.columns \
                else float(units.m2_to_mu(rec.geometry.area).sum())
        facts.append(["可腾退低效工业用地", f"{len(rec):,} 宗 · {_fmt_mu(float(mu))} 亩"])
    if "idle_land" in layers:
        il = layers["idle_land"]
        idle = int(il["_idle"].isin(["闲置满一年(征收土地闲置费)", "闲置满两年(可无偿收回)", "政府原因闲置(不予处罚)"]).sum())
        facts.append(["闲置土地", f"{idle:,} 宗 (另计时中 {int((il['_idle'] == '计时中(未满一年)').sum())} 宗)"])
    if "fragments" in layers:
        fr = layers["fragments"]
        ok = int((fr["_eligible"] == "符合").sum())
        facts.append(["零星边角地/夹心地", f"{len(fr):,} 块 (符合开发条件 {ok} 块)"])
    targets = []
    table = results.layers.get("targets")
    if isinstance(table, pd.DataFrame) and len(table):
        if "metric" in table.columns:  # the campaign's headline figures first, then the rest as listed
            rank = table["metric"].map({m: i for i, m in enumerate(KEY_METRICS)}).fillna(len(KEY_METRICS))
            table = table.iloc[np.argsort(rank.to_numpy(), kind="stable")]
        for r in table.to_dict("records"):
            label = str(r.get("label") or r.get("metric") or "")
            cand = _num(r.get("candidate"))  # a 腾出 target's candidate pool: beside it, never its progress
            if cand is not None:
                label = f"{label}(已腾出; 候选 {_fmt_mu(cand)} {r.get('unit') or ''}不计入)"
            targets.append({"rule": str(r.get("rule_id") or ""), "label": label,
                            "value": _num(r.get("value")), "target": _num(r.get("target")),
                            "unit": str(r.get("unit") or ""), "op": str(r.get("op") or ""),
                            "progress": _num(r.get("progress")),
                            "status": STATUS_LABELS.get(str(r.get("status")), str(r.get("status") or ""))})
    county = str(info.get("county") or "")
    return {"title": f"{county}腾笼换鸟 低效用地汇报图", "county": county, "run_id": str(info.get("run_id") or ""),
            "subtitle": " · ".join(x for x in [str(info.get("document") or info.get("ruleset") or ""),
                                               f"评价基准日 {info['as_of']}" if info.get("as_of") else ""] if x),
            "facts": facts, "targets": targets}


def layer_payload(spec: LayerStyle, gdf: gpd.GeoDataFrame, geoms: list | None, kinds: list | None,
                  parcels_ref: bool) -> dict:
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
    fields = [[f.column, field_heading(spec.table, f), field_kind(spec.table, f)]
              for f in spec.fields if f.column in gdf.columns]
    out: dict[str, Any] = {"name": spec.name, "label": spec.label, "styles": [c.style for c in spec.categories],
                           "cat": cats.tolist(), "legend": legend, "n": len(gdf), "fields": fields}
    if parcels_ref:
        out["ref"] = "parcels"
        out["rows"] = gdf["_rows"].astype(int).tolist()
    else:
        out["geom"] = geoms
        if kinds is not None:
            out["kinds"] = kinds
        out["cols"] = {col: encode_column(gdf[col], kind) for col, _, kind in fields}
    return out


def findings_payload(findings: pd.DataFrame | None, ids: set[str]) -> dict:
    """Findings about the features on the map, dictionary-encoded, most severe first per feature."""
    if findings is None or not len(findings) or not ids:
        return {"id": {"d": [], "i": []}}
    f = findings[findings["parcel_id"].astype("string").isin(ids)].copy()
    f["_o"] = f["status"].map(_STATUS_ORDER).fillna(9)
    f = f.sort_values(["parcel_id", "_o", "rule_id"], kind="stable")
    return {"id": encode_column(f["parcel_id"]), "rule": encode_column(f["rule_id"]),
            "clause": encode_column(f["clause"]), "status": encode_column(f["status"]),
            "message": encode_column(f["message"]), "value": encode_column(f["value"], "num4"),
            "threshold": encode_column(f["threshold"], "num4"), "unit": encode_column(f["unit"]),
            "labels": STATUS_LABELS}


def name_labels(layers: Mapping[str, gpd.GeoDataFrame]) -> list[dict]:
    """Township and park names with the point they are shown at (EPSG:4326), zoom range and rank.

    ``rank`` orders who gives way where two labels would overlap (0, parks, first).

    A township's label sits on the parcel nearest the centre of its parcels (townships are not a
    layer of the results); a park's at its polygon's label point (``point_on_surface``).
    """
    out: list[dict] = []
    parcels = layers["parcels"]
    if "township" in parcels.columns and len(parcels):
        pts = parcels.geometry.representative_point()
        town = parcels["township"].astype("string").str.strip()
        for name, idx in town[town.notna() & (town != "")].groupby(town, sort=True).groups.items():
            p = pts.loc[idx]
            cx, cy = float(np.mean(p.x)), float(np.mean(p.y))
            best = int(np.argmin((p.x.to_numpy() - cx) ** 2 + (p.y.to_numpy() - cy) ** 2))
            out.append({"kind": "township", "text": str(name), "pt": p.iloc[best], "zoom": LABEL_ZOOMS["township"],
                        "rank": 1})
    parks = layers.get("parks")
    if parks is not None and "name" in parks.columns:
        ok = parks.geometry.notna() & ~parks.geometry.is_empty & parks["name"].notna()
        for name, geom in zip(parks.loc[ok, "name"].astype(str), parks.loc[ok].geometry):
            if name.strip():
                out.append({"kind": "park", "text": name.strip(), "pt": geom.point_on_surface(),
                            "zoom": LABEL_ZOOMS["park"], "rank": 0})
    return out


def _report_column(parcel_ids: pd.Series, reports_dir: Path | None) -> list | None:
    """Per parcel the file name of its existing report, else null (``None`` when none exist)."""
    if reports_dir is None or not reports_dir.is_dir():
        return None
    existing = {p.name for p in reports_dir.glob("*.html")}
    if not existing:
        return None
    out = [f if (f := report_file(pid)) in existing else None for pid in parcel_ids.astype("string").fillna("")]
    return out if any(v is not None for v in out) else None


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


def _to_wgs84(geom: gpd.GeoSeries, shift: bool) -> np.ndarray:
    geom = geom.to_crs(4326) if geom.crs is not None else geom
    values = np.asarray(geom.values, dtype=object)
    return shift_geometries(values, True) if shift else values


def basemap_payload(bm: Basemap | None) -> dict | None:
    """What the page needs to draw the basemap (image overlay or tile layers), or ``None``."""
    if bm is None:
        return None
    return {"label": bm.label, "image": bm.image, "bounds": bm.bounds, "opacity": bm.opacity,
            "legend": [list(x) for x in bm.legend], "gcj02": bool(bm.gcj02),
            "tiles": [{"url": t.url, "label": t.label, "attribution": t.attribution, "subdomains": t.subdomains,
                       "maxZoom": t.max_zoom, "overlay": t.overlay} for t in bm.tiles]}


def _tiled_parcels(layers: Mapping[str, gpd.GeoDataFrame], geoms: np.ndarray, results: Any,
                   report: list | None, tiles_file: str) -> tuple[dict, dict | None, ParcelTiles]:
    """The parcels (and 可腾退) layers' payloads when their features live in tiles, and the tiles."""
    parcels = layers["parcels"]
    spec = next(s for s in LAYER_STYLES if s.name == "parcels")
    lp = layer_payload(spec, parcels, None, None, parcels_ref=False)
    del lp["cols"], lp["geom"]
    rec = np.full(len(parcels), -1, dtype=np.int64)
    rec_lp = None
    if "reclaimable" in layers:
        rspec = next(s for s in LAYER_STYLES if s.name == "reclaimable")
        sub = layers["reclaimable"]
        rec[sub["_rows"].to_numpy(dtype=int)] = rspec.classify(sub)
        rec_lp = layer_payload(rspec, sub, None, None, parcels_ref=True)
        del rec_lp["rows"]
        rec_lp.update(ref="parcels", tiles={"file": tiles_file, "layer": TILE_LAYER, "prop": "r"})
    fields = list(lp["fields"]) + [f for f in (rec_lp or {}).get("fields", []) if f not in lp["fields"]]
    props = ParcelProperties(parcels, fields, np.asarray(lp["cat"]), rec, report, results.findings, "parcel_id")
    search_cols = [parcels[c] if c in parcels.columns else pd.Series([""] * len(parcels))
                   for c in ("_name", "_uscc", "parcel_id", "_ent_names", "_ent_uscc")]
    points = label_points(geoms)
    b = shapely.total_bounds(geoms)
    tiles = build_tiles(geoms, props, search_index(points, search_cols), b, points)
    del lp["cat"]
    lp["tiles"] = {"file": tiles_file, "layer": TILE_LAYER, "prop": "c", "minzoom": tiles.minzoom,
                   "maxzoom": tiles.maxzoom}
    if rec_lp is not None:
        del rec_lp["cat"]
        rec_lp["tiles"].update(minzoom=tiles.minzoom, maxzoom=tiles.maxzoom)
    return lp, rec_lp, tiles


# --------------------------------------------------------------------------- the whole payload

def build_payload(results: Any, context: Mapping[str, gpd.GeoDataFrame] | None = None,
                  basemap: Basemap | None = None, map_path: str | Path | None = None,
                  reports_dir: str | Path | None = None, simplify: float | None = None) -> dict:
    """The briefing map's data with every feature in the page (:func:`build_map` without tiles)."""
    return build_map(results, context=context, basemap=basemap, map_path=map_path, reports_dir=reports_dir,
                     simplify=simplify)[0]


def build_map(results: Any, context: Mapping[str, gpd.GeoDataFrame] | None = None,
              basemap: Basemap | None = None, map_path: str | Path | None = None,
              reports_dir: str | Path | None = None, simplify: float | None = None,
              tiles_file: str | None = None) -> tuple[dict, ParcelTiles | None]:
    """The briefing map's data, and the parcels' vector tiles when they are drawn from tiles.

    Parameters
    ----------
    results : Results
        What a run produced (``Results.read`` of a ``results.gpkg`` works too).
    context : mapping of str to GeoDataFrame, optional
        Parks and 三区三线 layers (:data:`CONTEXT_LAYERS`).
    basemap : Basemap, optional
        A resolved basemap (:func:`~geo_tenglong.webmap.basemaps.resolve_basemap`); with
        ``gcj02`` every overlay is shifted to GCJ-02.
    map_path : str or Path, optional
        Where the page will be saved (report links are relative to it).
    reports_dir : str or Path, optional
        Folder of parcel reports; a parcel links to its report when the file exists.
    simplify : float, optional
        Simplification tolerance in metres (parcels keep shared edges: ``coverage_simplify``).
    tiles_file : str, optional
        The tiles file's name (beside the page): the parcels and 可腾退 layers are then drawn from
        vector tiles (:mod:`.tiles`), their payloads carry ``tiles`` instead of geometry and
        properties, and their findings travel in the tiles.

    Returns
    -------
    payload : dict
        JSON-able: ``layers``, ``findings``, ``summary``, ``labels``, ``basemap``, ``bounds``
        (``[[south, west], [north, east]]``), ``scale``, ``statusLabels``, ``gcj02``.
    tiles : ParcelTiles or None
        The tiles file's content (with ``tiles_file``).
    """
    layers = collect_layers(results, context)
    shift = bool(basemap and basemap.gcj02)
    encoded: dict[str, tuple] = {}
    tiled_geoms = np.empty(0, dtype=object)
    for name, gdf in layers.items():
        if "_rows" in gdf.columns:
            continue
        geom = gdf.geometry
        if simplify:
            geom = _simplify(geom, simplify, coverage=name == "parcels")
        if tiles_file and name == "parcels":
            tiled_geoms = _to_wgs84(geom, shift)
            continue
        encoded[name] = encode_geometries(_to_wgs84(geom, shift))

    parcels = layers["parcels"]
    maps_dir = Path(map_path).resolve().parent if map_path else Path.cwd()
    reports = Path(reports_dir).resolve() if reports_dir else None
    ids: set[str] = set()
    out_layers = []
    upper = sum(len(layers[s.name]) for s in LAYER_STYLES if s.name in layers and s.pane in {"gt-focus", "gt-plans"}
                and not (tiles_file and s.name == "reclaimable"))
    tiles: ParcelTiles | None = None
    tiled: dict[str, dict] = {}
    report = _report_column(parcels["parcel_id"], reports)
    if tiles_file:
        lp, rec_lp, tiles = _tiled_parcels(layers, tiled_geoms, results, report, tiles_file)
        tiled["parcels"] = lp
        if rec_lp is not None:
            tiled["reclaimable"] = rec_lp
    for spec in LAYER_STYLES:
        if spec.name not in layers:
            continue
        gdf = layers[spec.name]
        ref = "_rows" in gdf.columns or spec.name in tiled
        geoms, kinds = encoded.get(spec.name, (None, None))
        lp = tiled[spec.name] if spec.name in tiled else layer_payload(spec, gdf, geoms, kinds, ref)
        idcol = ID_COLUMNS.get(spec.name)
        if idcol and idcol in gdf.columns:
            lp["idcol"] = idcol
            if spec.name not in tiled:  # tiled features carry their findings themselves
                ids.update(gdf[idcol].astype("string").dropna().tolist())
            if not ref and idcol not in lp["cols"]:
                lp["cols"][idcol] = encode_column(gdf[idcol])
        search: list[str] = []
        if spec.name == "parcels":
            lp["title"] = "_name"
            search = [c for c in ("_name", "_uscc", "parcel_id", "_ent_names", "_ent_uscc") if c in gdf.columns]
            if report is not None and reports is not None:
                if not tiles_file:
                    lp["cols"]["_report"] = encode_column(pd.Series(report, dtype="string"))
                lp["reportPrefix"] = os.path.relpath(reports, maps_dir).replace(os.sep, "/").rstrip("/") + "/"
        elif spec.name == "fragments":
            lp["title"] = "_type"
            search = ["fragment_id"]
        elif spec.name in {"split_checks", "merge_checks"}:
            search = ["proposal_id"]
        elif spec.name == "clusters":
            lp["title"] = "treatment"
            search = ["cluster_id"]
        lp["search"] = [c for c in search if c in gdf.columns]
        if not ref:
            for c in lp["search"]:
                lp["cols"].setdefault(c, encode_column(gdf[c]))
        # cluster hulls are a handful of outlines: always SVG, where an unfilled path takes clicks only
        # on its outline (a canvas path takes them inside too and would hide the parcels' popups)
        lp["svg"] = spec.pane in {"gt-focus", "gt-plans"} and (upper <= SVG_LIMIT or spec.name == "clusters")
        lp["pane"] = spec.pane
        lp["show"] = spec.show
        lp["ctl"] = CONTROL_ORDER.index(spec.name) if spec.name in CONTROL_ORDER else len(CONTROL_ORDER)
        out_layers.append(lp)

    labels = name_labels(layers)
    if labels:
        pts = _to_wgs84(gpd.GeoSeries([lb["pt"] for lb in labels], crs=parcels.crs), shift)
        for lb, p in zip(labels, pts):
            lb["pt"] = [round(p.y, 6), round(p.x, 6)]
    b = shapely.total_bounds(tiled_geoms if tiles_file else _to_wgs84(parcels.geometry, shift))
    return {"layers": out_layers, "findings": findings_payload(results.findings, ids),
            "summary": summary_payload(results, layers), "labels": labels, "scale": COORD_SCALE,
            "statusLabels": STATUS_LABELS, "basemap": basemap_payload(basemap), "gcj02": shift,
            "bounds": [[float(b[1]), float(b[0])], [float(b[3]), float(b[2])]]}, tiles
