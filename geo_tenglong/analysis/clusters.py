"""DQ-CLUSTER (德清 三(一)5): industrial clusters outside parks (园区外集聚点).

Parcels outside every park are linked when they lie within the ruleset's distance of each other
(single linkage: STRtree ``dwithin`` pairs, then connected components), and groups of at least
``min_parcels`` parcels are clusters. Each cluster gets its land, enterprises, classes, pooled
亩均税收 and a suggested treatment (整合入园 / 关停淘汰 / 整治提高) by the ruleset's rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..findings import MISSING_DATA, WARN, fmt_value, make_findings, not_in_ruleset
from ..geometry import in_any
from ..stage import StageResult
from .parcel_tax import pooled_by_group

if TYPE_CHECKING:
    from ..results import Results
    from ..workspace import Workspace

RULE = "DQ-CLUSTER"
CLOSE, INTEGRATE, IMPROVE = "关停淘汰", "整合入园", "整治提高"


def link_pairs(geoms, distance: float, rows=None, own: int | None = None) -> np.ndarray:
    """The pairs of geometries closer than ``distance`` (m), each pair once.

    Parameters
    ----------
    geoms : array-like of geometries
    distance : float
    rows : array-like of int, optional
        A label per geometry (the parcel's row in the whole county); the pairs are given in these.
    own : int, optional
        Only the pairs whose smaller label is one of the first ``own`` geometries' (a partition's own
        parcels, the halo after them): over partitions every pair is then found once.

    Returns
    -------
    numpy.ndarray
        ``(k, 2)`` labels, the smaller first, self-pairs left out.
    """
    geoms = np.asarray(geoms, dtype=object)
    rows = np.arange(len(geoms)) if rows is None else np.asarray(rows, dtype=np.int64)
    if not len(geoms):
        return np.zeros((0, 2), dtype=np.int64)
    a, b = shapely.STRtree(geoms).query(geoms, predicate="dwithin", distance=distance)
    ra, rb = rows[a], rows[b]
    keep = ra < rb
    if own is not None:
        keep &= a < own
    return np.column_stack([ra[keep], rb[keep]])


def link_groups(geoms, distance: float, pairs: np.ndarray | None = None) -> np.ndarray:
    """Single-linkage groups: geometries closer than ``distance`` (m) share a label.

    Parameters
    ----------
    geoms : array-like of geometries
    distance : float
    pairs : numpy.ndarray, optional
        The pairs within ``distance`` as positions in ``geoms`` (:func:`link_pairs`), when already found.

    Returns
    -------
    numpy.ndarray of int
        A group label per geometry (0 … k−1).
    """
    n = len(geoms)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if pairs is None:
        pairs = link_pairs(geoms, distance)
    graph = coo_matrix((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def outside_links(geoms, parks, distance: float, rows, own: int) -> tuple[np.ndarray, np.ndarray]:
    """A partition's part of the linking: its parcels outside every park and their pairs, each once.

    Parameters
    ----------
    geoms : array-like of geometries
        The partition's own parcels, then its halo (every parcel within ``distance`` of them).
    parks : array-like of geometries
        The parks near them.
    distance : float
    rows : array-like of int
        Each parcel's row in the whole county.
    own : int
        The number of own parcels (first in ``geoms``).

    Returns
    -------
    outside : numpy.ndarray of bool
        For the own parcels.
    pairs : numpy.ndarray
        ``(k, 2)`` county rows of parcels outside parks within ``distance``, the smaller first and own.
    """
    geoms = np.asarray(geoms, dtype=object)
    outside = ~in_any(geoms, np.asarray(parks, dtype=object))
    pos = np.flatnonzero(outside)
    pairs = link_pairs(geoms[pos], distance, np.asarray(rows)[pos], int(np.searchsorted(pos, own)))
    return outside[:own], pairs


def suggest_treatment(tax_per_mu, d_share, park_distance_m, spec) -> np.ndarray:
    """The suggested treatment per cluster; first matching rule wins (see :class:`ClusterRule`)."""
    tax = np.asarray(tax_per_mu, dtype=float)
    close = (tax <= spec.close_max_tax_per_mu) | (np.asarray(d_share, dtype=float) >= spec.close_min_d_share)
    near = np.asarray(park_distance_m, dtype=float) <= spec.integrate_max_distance_m
    return np.where(close, CLOSE, np.where(near, INTEGRATE, IMPROVE))


def assess_clusters(ws: Workspace, results: Results, links: tuple[np.ndarray, np.ndarray] | None = None) -> StageResult:
    """Find the clusters outside parks (layer ``clusters``, parcel column ``cluster_id``).

    Parameters
    ----------
    ws : Workspace
        The ``parks`` layer and DQ-CLUSTER.
    results : Results
        ``results.parcels`` with the efficiency stage's classes and holders.
    links : tuple, optional
        Whether each parcel lies outside every park, and the pairs of those within the link distance
        in county rows (:func:`outside_links` over partitions, put together); found here when not given.
    """
    spec = ws.ruleset.get(RULE)
    if spec is None:
        return StageResult(findings=not_in_ruleset(ws.admin_code, RULE, ws.ruleset.name))
    parks = ws.layer("parks")
    if parks is None:
        return StageResult(findings=make_findings([ws.admin_code], RULE, spec.clause, MISSING_DATA,
                                                  message="缺少园区图层(parks),无法识别园区外集聚点"))
    parcels = results.parcels
    geoms = parcels.geometry.to_numpy()
    if links is None:
        outside = ~in_any(geoms, parks.geometry.to_numpy())
        pairs = None
    else:
        outside, county_pairs = links
        # county rows → positions among the parcels outside parks
        pairs = np.cumsum(outside)[county_pairs] - 1
    pos = np.flatnonzero(outside)
    labels = link_groups(geoms[pos], spec.link_distance_m, pairs)
    sizes = np.bincount(labels) if len(labels) else np.zeros(0, dtype=int)
    keep = sizes[labels] >= spec.min_parcels if len(labels) else np.zeros(0, dtype=bool)
    # number clusters west to east so ids are stable for the same data
    kept_labels = np.unique(labels[keep])
    xs = pd.Series(shapely.get_x(shapely.centroid(geoms[pos[keep]]))).groupby(labels[keep]).mean()
    order = {lab: i + 1 for i, lab in enumerate(xs.sort_values(kind="stable").index)}
    cluster_of = np.full(len(parcels), None, dtype=object)
    cluster_of[pos[keep]] = [f"JJD{order[lab]:03d}" for lab in labels[keep]]
    cols = pd.DataFrame({"cluster_id": cluster_of}, index=parcels["parcel_id"].to_numpy())
    if not len(kept_labels):
        return StageResult(parcel_columns=cols, summary={"clusters": 0})
    stats = pooled_by_group(parcels, cluster_of)
    member = pd.DataFrame({"cluster_id": cluster_of, "uscc": parcels.get("holder_uscc", parcels.get("owner_uscc")),
                           "cls": parcels["eval_class"] if "eval_class" in parcels.columns else None,
                           "area_mu": parcels["area_mu"], "parcel_id": parcels["parcel_id"]}).dropna(subset=["cluster_id"])
    agg = member.groupby("cluster_id").agg(enterprise_count=("uscc", "nunique"),
                                           parcel_ids=("parcel_id", lambda s: ";".join(s)))
    classes = member.pivot_table(index="cluster_id", columns="cls", values="area_mu", aggfunc="size", fill_value=0)
    is_d = pd.Series(member["cls"], dtype="string").eq("D").fillna(False).to_numpy(dtype=bool)
    d_mu = member[is_d].groupby("cluster_id")["area_mu"].sum()
    # share of D land among the cluster's land; unknown (not 0) where no parcel has a class
    classed = member[pd.Series(member["cls"], dtype="string").notna().to_numpy(dtype=bool)]
    classed_ids = set(classed["cluster_id"])
    table = stats.join(agg)
    for c in "ABCD":
        table[f"class_{c}"] = classes[c] if c in classes.columns else 0
        table[f"class_{c}"] = table[f"class_{c}"].fillna(0).astype(int)
    table["d_share"] = np.where(table.index.isin(list(classed_ids)),
                                d_mu.reindex(table.index).fillna(0.0) / table["area_mu"], np.nan)
    hull = gpd.GeoSeries(geoms[pos[keep]], crs=parcels.crs).groupby(cluster_of[pos[keep]]).agg(
        lambda s: shapely.convex_hull(shapely.union_all(s.to_numpy())))
    hull = gpd.GeoSeries(hull.reindex(table.index).to_numpy(), index=table.index, crs=parcels.crs)
    park_tree = shapely.STRtree(parks.geometry.to_numpy())
    _, dist = park_tree.query_nearest(hull.to_numpy(), return_distance=True, all_matches=False)
    table["park_distance_m"] = np.round(dist, 1)
    table["treatment"] = suggest_treatment(table["tax_per_mu"], table["d_share"], table["park_distance_m"], spec)
    layer = gpd.GeoDataFrame(table.reset_index(names="cluster_id"), geometry=hull.to_numpy(), crs=parcels.crs)
    msg = [f"园区外集聚点:{r.parcel_count}宗、{r.area_mu:.1f}亩、{r.enterprise_count}家企业,"
           f"亩均税收{fmt_value(r.tax_per_mu, spec.close_max_tax_per_mu, 2, '万元/亩')},"
           f"D类用地占{fmt_value(r.d_share * 100, spec.close_min_d_share * 100, 0, '%')},"
           f"距最近园区{fmt_value(r.park_distance_m, spec.integrate_max_distance_m, 0, '米')};建议{r.treatment}"
           for r in layer.itertuples()]
    findings = make_findings(layer["cluster_id"], RULE, spec.clause, WARN, layer["tax_per_mu"], spec.close_max_tax_per_mu,
                             "万元/亩", msg)
    return StageResult(findings=findings, parcel_columns=cols, layers={"clusters": layer},
                       summary={"clusters": len(layer), "by_treatment": layer["treatment"].value_counts().to_dict()})
