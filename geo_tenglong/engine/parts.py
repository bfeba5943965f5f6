"""What one partition's task gets: its parcels, their halo, and the rows of other layers near them.

The dask engine (:mod:`.dask`) cuts the parcels once per run (:class:`Cut`) and builds, for each
partition a stage runs on, a :class:`PartTask` in the run process. On the worker
:func:`open_part` turns it into the :class:`Part` a stage's map function reads: a workspace and
results holding only that partition's parcels (first) and its halo (after them), the buildings
that belong to its parcels, parcel-keyed tables routed to it, and the features of other layers
near them. Two ways of choosing a partition's parcels:

- **by parcel** (:func:`parcel_task`): every parcel of the partition, and as halo every parcel
  within a distance of one of them (the largest building's extent when buildings are sent, so that
  a building across a partition edge is placed on the parcel it overlaps most exactly once);
- **by feature** (:func:`feature_task`): features that name parcels (a plan, a proposal) go to the
  partition owning the first parcel they name; the partition gets those features, every parcel they
  name and every parcel near them. A feature is so checked once, on every parcel it can reach.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..values import split_ids
from .partition import halo_rows, hilbert_partitions, named_parcel, route_rows

if TYPE_CHECKING:
    from ..results import Results
    from ..workspace import Workspace


@dataclasses.dataclass
class Part:
    """One partition as a stage's map function sees it (on a worker).

    Attributes
    ----------
    index : int
        The partition's number (partition 0 also gets table rows naming no parcel).
    ws : Workspace
        ``layers["parcels"]``: the workspace parcels of ``results.parcels``' rows; ``buildings``
        (when sent): those belonging to the own parcels; routed tables and layers: their rows of this
        partition; other layers sent: their features near the parcels.
    results : Results
        ``parcels``: the own parcels first, then the halo (every column the stages before added);
        ``layers``: the result layers sent (geometric ones: features near the parcels).
    own : int
        The first ``own`` rows of ``results.parcels`` are this partition's own parcels.
    rows : numpy.ndarray
        Each ``results.parcels`` row's position in the whole county's ``results.parcels``.
    """

    index: int
    ws: Workspace
    results: Results
    own: int
    rows: np.ndarray


@dataclasses.dataclass
class PartTask:
    """What is sent to a worker to open one :class:`Part` there."""

    index: int
    ws: Workspace
    results: Results
    own: int
    rows: np.ndarray
    candidates: Any  # GeoDataFrame or None: buildings that may belong to the own parcels


@dataclasses.dataclass
class Cut:
    """The run's partitions of the parcels, cut once.

    Attributes
    ----------
    parts : list of numpy.ndarray
        Row positions of each partition's parcels (:func:`hilbert_partitions`).
    part_of : numpy.ndarray
        Each parcel's partition.
    ids : pandas.Index
        The parcel ids (str), in row order.
    geoms : numpy.ndarray
        The parcel geometries.
    tree : shapely.STRtree
        Of ``geoms``.
    """

    parts: list[np.ndarray]
    part_of: np.ndarray
    ids: pd.Index
    geoms: np.ndarray
    tree: shapely.STRtree
    trees: dict[int, shapely.STRtree] = dataclasses.field(default_factory=dict)
    owners: dict[int, np.ndarray] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, results: Results, n: int) -> Cut:
        """Cut ``results.parcels`` into ``n`` Hilbert partitions."""
        parcels = results.parcels
        parts = hilbert_partitions(parcels.geometry, n)
        part_of = np.zeros(len(parcels), dtype=np.int64)
        for k, rows in enumerate(parts):
            part_of[rows] = k
        geoms = np.asarray(parcels.geometry.values)
        return cls(parts, part_of, pd.Index(parcels["parcel_id"].astype(str)), geoms, shapely.STRtree(geoms))

    def near_rows(self, layer: Any, boxes: np.ndarray) -> np.ndarray:
        """Rows of ``layer`` whose bounding box meets one of ``boxes`` (its tree built once per run)."""
        if layer is None or not len(layer) or not len(boxes):
            return np.empty(0, dtype=np.int64)
        tree = self.trees.get(id(layer))
        if tree is None:
            tree = self.trees[id(layer)] = shapely.STRtree(np.asarray(layer.geometry.values))
        return np.unique(tree.query(boxes, predicate="intersects")[1])

    def named(self, frame: Any) -> np.ndarray:
        """The parcel (row) each row of ``frame`` names in ``parcel_id``, −1 for none (found once per run)."""
        owner = self.owners.get(id(frame))
        if owner is None:
            owner = self.owners[id(frame)] = (named_parcel(frame["parcel_id"], self.ids) if "parcel_id" in frame.columns
                                              else np.full(len(frame), -1))
        return owner

    def near(self, layer: Any, boxes: np.ndarray) -> Any:
        """The features of ``layer`` whose bounding box meets one of ``boxes``."""
        return None if layer is None else layer.iloc[self.near_rows(layer, boxes)]


def building_reach(buildings: Any) -> float:
    """The largest building's bounding-box diagonal (m): a halo this wide holds every parcel a building meets."""
    if buildings is None or not len(buildings):
        return 0.0
    b = shapely.bounds(np.asarray(buildings.geometry.values))
    return float(np.nanmax(np.hypot(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]), initial=0.0))



def _boxes(geoms: np.ndarray, distance: float) -> np.ndarray:
    g = geoms[~(pd.isna(geoms) | shapely.is_empty(geoms))]
    b = shapely.bounds(g)
    return shapely.box(b[:, 0] - distance, b[:, 1] - distance, b[:, 2] + distance, b[:, 3] + distance)


def _sub(ws: Workspace, results: Results, cut: Cut, rows: np.ndarray, layers: dict, tables: dict,
         result_layers: Sequence[str], boxes: np.ndarray,
         columns: Sequence[str] | None = None) -> tuple[Workspace, Results]:
    """The workspace and results of a partition's parcels ``rows``, with the other inputs given.

    With ``columns``, ``results.parcels`` holds only those columns besides ``parcel_id`` and the
    geometry, and the workspace's parcels layer is that same frame (sent once).
    """
    from ..results import Results as ResultsType

    parcels = results.parcels.iloc[rows]
    if columns is not None:
        keep = ["parcel_id", *(c for c in columns if c in parcels.columns and c != "parcel_id"),
                parcels.geometry.name]
        parcels = parcels[keep]
    sent = {"parcels": ws.parcels.iloc[rows] if columns is None else parcels, **layers}
    sub_ws = dataclasses.replace(ws, layers=sent, tables=tables, data_issues=ws.data_issues.iloc[:0])
    sub_layers = {name: cut.near(results.layers[name], boxes) for name in result_layers
                  if isinstance(results.layers.get(name), gpd.GeoDataFrame)}
    sub = ResultsType(info=results.info, parcels=parcels, layers=sub_layers, summary=dict(results.summary))
    return sub_ws, sub


def parcel_task(ws: Workspace, results: Results, cut: Cut, k: int, *, buildings: bool, reach: float,
                tables: Sequence[str], layers: Sequence[str], result_layers: Sequence[str],
                routed_layers: Sequence[str] = (), columns: Sequence[str] | None = None) -> PartTask:
    """The task of partition ``k`` of a stage that runs parcel by parcel.

    Parameters
    ----------
    ws, results : Workspace, Results
        The whole county.
    cut : Cut
    k : int
    buildings : bool
        Send the buildings that may belong to the partition's parcels (named one of them, or naming
        none and touching one); the halo then reaches the largest building's extent.
    reach : float
        The halo's distance (m) besides the buildings'.
    tables : sequence of str
        Tables routed by ``parcel_id`` (rows naming no parcel go to partition 0).
    layers : sequence of str
        Other workspace layers: their features near the partition's parcels and halo.
    result_layers : sequence of str
        Result layers (geometric ones: features near the parcels and halo).
    routed_layers : sequence of str
        Workspace layers routed by ``parcel_id`` like ``tables``.
    columns : sequence of str, optional
        The only ``results.parcels`` columns the stage reads besides ``parcel_id`` and the geometry
        (it then reads the parcels through ``results`` alone); default all, and the parcels layer.
    """
    core = cut.parts[k]
    candidates = None
    layer = ws.layer("buildings") if buildings else None
    distance = reach
    if layer is not None and len(layer):
        distance = max(reach, building_reach(layer))
        near = cut.near_rows(layer, shapely.envelope(cut.geoms[core]))
        owner = cut.named(layer)
        own = np.flatnonzero((owner >= 0) & (cut.part_of[np.maximum(owner, 0)] == k))
        unnamed = near[owner[near] < 0]
        candidates = layer.iloc[np.union1d(own, unnamed)]
    halo = halo_rows(cut.tree, cut.geoms, core, distance) if distance > 0 else np.empty(0, dtype=np.int64)
    rows = np.concatenate([core, halo])
    routed = {}
    for name in tables:
        table = ws.table(name)
        if table is None:
            continue
        routed[name] = table.iloc[route_rows(cut.named(table), cut.part_of, k)]
    boxes = _boxes(cut.geoms[rows], 0.0)
    sent = {name: cut.near(ws.layer(name), boxes) for name in layers if ws.layer(name) is not None}
    for name in routed_layers:
        layer = ws.layer(name)
        if layer is not None:
            sent[name] = layer.iloc[route_rows(cut.named(layer), cut.part_of, k)]
    sub_ws, sub = _sub(ws, results, cut, rows, sent, routed, result_layers, boxes, columns)
    return PartTask(k, sub_ws, sub, len(core), rows, candidates)


def open_part(task: PartTask) -> Part:
    """The :class:`Part` of a task (on the worker): the candidate buildings placed on parcels.

    A candidate building naming none of the own parcels is placed by
    :func:`~geo_tenglong.analysis.intensity.assign_buildings` against the own parcels and the halo,
    and kept only when that places it on an own parcel.
    """
    ws = task.ws
    if task.candidates is not None:
        from ..analysis.intensity import assign_buildings

        at = assign_buildings(task.candidates, task.results.parcels[["parcel_id", "geometry"]].reset_index(drop=True))
        ws = dataclasses.replace(ws, layers={**ws.layers, "buildings": task.candidates[(at >= 0) & (at < task.own)]})
    return Part(task.index, ws, task.results, task.own, task.rows)


@dataclasses.dataclass(frozen=True)
class Routed:
    """Features that name parcels, routed to the partition of the first parcel they name.

    Attributes
    ----------
    source : {"layer", "table"}
    name : str
    ids : str
        The column naming the parcel(s): one id, or a ``;``-joined list.
    group : str, optional
        Rows sharing this column's value are one feature (the parts of a split proposal): they go
        together, to the partition of the first parcel any of them names.
    """

    source: str
    name: str
    ids: str
    group: str | None = None


def _feature_owners(frame: pd.DataFrame, spec: Routed, cut: Cut) -> tuple[np.ndarray, list[list[int]]]:
    """Each row's partition and the parcels (rows) it names; a group goes where its first row goes."""
    col = frame[spec.ids] if spec.ids in frame.columns else pd.Series([None] * len(frame), index=frame.index)
    named = [[int(r) for r in cut.ids.get_indexer(split_ids(v)) if r >= 0] for v in col.to_numpy(dtype=object)]
    first = np.array([n[0] if n else -1 for n in named], dtype=np.int64)
    part = np.where(first >= 0, cut.part_of[np.maximum(first, 0)], 0)
    if spec.group and spec.group in frame.columns:
        # a group goes with its first row that names a parcel (else its first row)
        key = frame[spec.group].astype("string").fillna("").to_numpy(dtype=object)
        rows = pd.DataFrame({"key": key, "part": part, "miss": first < 0})
        lead = rows.sort_values("miss", kind="stable").drop_duplicates("key").set_index("key")["part"]
        part = lead.reindex(key).to_numpy(dtype=np.int64)
        together: dict[Any, list[int]] = {}
        for g, n in zip(key, named, strict=True):
            together.setdefault(g, []).extend(n)
        named = [together[g] for g in key]
    return part, named


def feature_routes(ws: Workspace, cut: Cut, specs: Sequence[Routed]) -> dict[int, dict[str, tuple[np.ndarray, set[int]]]]:
    """Which rows of each routed source go to which partition, and the parcels they name.

    Returns
    -------
    dict
        Partition → source name → (row positions, parcel rows named); only partitions with a row.
    """
    out: dict[int, dict[str, tuple[np.ndarray, set[int]]]] = {}
    for spec in specs:
        frame = ws.layer(spec.name) if spec.source == "layer" else ws.table(spec.name)
        if frame is None or not len(frame):
            continue
        part, named = _feature_owners(frame, spec, cut)
        for k in np.unique(part):
            rows = np.flatnonzero(part == k)
            out.setdefault(int(k), {})[spec.name] = (rows, {r for i in rows for r in named[i]})
    return out


def feature_task(ws: Workspace, results: Results, cut: Cut, k: int, routes: dict[str, tuple[np.ndarray, set[int]]],
                 specs: Sequence[Routed], *, reach: float, layers: Sequence[str],
                 result_layers: Sequence[str]) -> PartTask:
    """The task of partition ``k`` of a stage whose output is per feature.

    The partition gets its routed rows of every source (the other sources empty), every parcel they
    name and every parcel within ``reach`` (m) of their geometry, the buildings named by or near those
    parcels, and the features of ``layers`` and of the geometric ``result_layers`` near the features
    and parcels (result tables are sent to the workers once, apart: see
    :func:`geo_tenglong.engine.dask.run_feature_stage`).
    """
    sources = {s.name: s for s in specs}
    lays: dict[str, Any] = {}
    tabs: dict[str, Any] = {}
    geoms = []
    named: set[int] = set()
    for name, spec in sources.items():
        frame = ws.layer(name) if spec.source == "layer" else ws.table(name)
        if frame is None:
            continue
        rows, parcels = routes.get(name, (np.empty(0, dtype=np.int64), set()))
        part = frame.iloc[rows]
        named |= parcels
        if spec.source == "layer":
            lays[name] = part
            geoms.append(np.asarray(part.geometry.values))
        else:
            tabs[name] = part
    fgeoms = np.concatenate(geoms) if geoms else np.empty(0, dtype=object)
    near = (np.unique(cut.tree.query(_boxes(fgeoms, reach), predicate="intersects")[1]) if len(fgeoms)
            else np.empty(0, dtype=np.int64))
    rows = np.union1d(np.fromiter(named, dtype=np.int64, count=len(named)), near)
    boxes = np.concatenate([_boxes(fgeoms, reach), _boxes(cut.geoms[rows], 0.0)])
    buildings = ws.layer("buildings")
    if buildings is not None:
        by_name = np.flatnonzero(np.isin(cut.named(buildings), rows))
        lays["buildings"] = buildings.iloc[np.union1d(by_name, cut.near_rows(buildings, boxes))]
    for name in layers:
        if ws.layer(name) is not None and name not in lays:
            lays[name] = cut.near(ws.layer(name), boxes)
    sub_ws, sub = _sub(ws, results, cut, rows, lays, tabs, result_layers, boxes)
    return PartTask(k, sub_ws, sub, len(rows), rows, None)

