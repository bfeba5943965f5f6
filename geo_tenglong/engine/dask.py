"""The dask engine: the analysis on Hilbert partitions of the parcels, on a dask cluster.

The parcels are cut once per run into partitions of consecutive Hilbert distance (:mod:`.partition`,
:class:`.parts.Cut`). A stage runs in one of three ways:

- **Reduce** (:data:`REDUCE`): a map on every partition, on the workers, and a finish in the run
  process over the pieces, in partition order. Each partition gets its own parcels, a halo of the
  parcels near them and what the stage reads (:func:`.parts.parcel_task`): ``efficiency`` joins its
  parcels to their enterprises and sums their land per enterprise, the finish reduces the sums across
  partitions and evaluates; ``intensity`` places buildings on parcels (a building naming no parcel
  goes to the one it overlaps most, measured against the own parcels and a halo of the largest
  building's extent, so a building across a partition edge counts once) and the finish grants
  TT-VERT over every plan, capped per enterprise; ``idle`` reads the buildings touching its parcels
  and their contracts; ``clusters`` links the parcels outside parks within the link distance (a halo
  that wide, each pair once, by its smaller row) and the finish finds the connected clusters.
- **Features** (:data:`FEATURES`): plans and proposals that name parcels go to the partition of the
  first parcel they name, with every parcel they name or reach and the features of other layers near
  them (:func:`.parts.feature_task`); the stage runs there and the partitions' results are put
  together (:func:`merge`): ``corner_plans`` and ``split_merge`` (merge adjacency).
- **In the run process**, on the results put together: the county totals (``reclaim``,
  ``land_supply``, ``targets``) and the table-only stages. Of them, the stages in :data:`TILED`
  send their k-d tiles to the workers: ``fragments`` (a plot can be as large as the open land, so its
  partitions are the tiles, each with the features meeting it, and faces cut by a tile frame are
  joined once).

Every partitioned stage gives the single-process engine's results (``tests/test_engine_dask.py``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import math
import os
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..analysis.clusters import assess_clusters, outside_links
from ..analysis.efficiency import assess_efficiency, efficiency_piece
from ..analysis.fragments import CONSTRAINTS
from ..analysis.idle import assess_idle, idle_totals
from ..analysis.intensity import IntensityParts, county_far, intensity_parts, with_vertical
from ..errors import InputError
from ..findings import concat_findings
from ..stage import StageResult
from .parts import Cut, Part, PartTask, Routed, feature_routes, feature_task, open_part, parcel_task

if TYPE_CHECKING:
    from ..results import Results
    from ..stage import Stage
    from ..workspace import Workspace

#: Parcels per partition (at least two partitions per worker).
PARCELS_PER_PARTITION = 50_000
#: Seconds to wait for ``--scheduler`` to answer.
CONNECT_TIMEOUT_S = 20


def _intensity_piece(part: Part) -> IntensityParts:
    """``intensity``'s map: the stage on the partition's own parcels and buildings, but TT-VERT; its plans' figures."""
    own = part.results.parcels.iloc[:part.own]
    ws = dataclasses.replace(part.ws, layers={**part.ws.layers, "parcels": part.ws.parcels.iloc[:part.own]})
    return intensity_parts(ws, dataclasses.replace(part.results, parcels=own))


def _intensity(ws: Workspace, results: Results, pieces: list[IntensityParts]) -> StageResult:
    """``intensity``'s finish: the partitions' results put together, TT-VERT granted over every plan (capped
    per enterprise), the buildings counted and the FAR taken over the whole county."""
    merged = merge("intensity", [piece.result for piece in pieces], ws, results)
    plans = [piece.plans for piece in pieces if len(piece.plans)]
    out = with_vertical(ws, merged, pd.concat(plans, ignore_index=True) if plans else pieces[0].plans)
    buildings = ws.layer("buildings")
    if buildings is not None:
        out.summary = {**out.summary, "buildings": len(buildings),
                       "county_far": county_far(sum(piece.industrial_floor_m2 for piece in pieces),
                                                sum(piece.industrial_land_m2 for piece in pieces))}
    return out


def _idle_piece(part: Part) -> StageResult:
    """``idle``'s map: the stage on the partition's parcels, every building touching them and their contracts."""
    return assess_idle(part.ws, part.results) or StageResult()


def _idle(ws: Workspace, results: Results, pieces: list[StageResult]) -> StageResult:
    """``idle``'s finish: the partitions' results put together, the county's figures on the whole county."""
    out = merge("idle", pieces, ws, results)
    if out.parcel_columns is not None:
        cols = out.parcel_columns.reindex(results.parcels["parcel_id"])
        out.summary = {**out.summary, **idle_totals(cols, results.parcels, ws.table("contracts"))}
    return out


@dataclasses.dataclass(frozen=True)
class Reduce:
    """A stage run as a map on the partitions, then finished in the run process.

    Attributes
    ----------
    map : callable
        ``(Part) -> piece``, on a worker: a small picklable piece of the partition's own parcels.
    finish : callable
        ``(ws, results, pieces) -> StageResult``, in the run process; pieces in partition order.
    buildings : bool
        Send each partition the buildings that belong to its parcels (see :func:`.parts.open_part`).
    reach : callable, optional
        ``(ws, results) -> metres``: the halo's distance (besides the buildings').
    tables : tuple of str
        Tables routed by ``parcel_id``.
    layers : tuple of str
        Other workspace layers, their features near the partition's parcels and halo.
    applies : callable
        ``(ws) -> bool``: whether the stage can run on partitions for this workspace.
    routed_layers : tuple of str
        Workspace layers routed by ``parcel_id`` like ``tables``.
    columns : tuple of str, optional
        The only ``results.parcels`` columns the map reads besides ``parcel_id`` and the geometry
        (then it must not read ``ws.parcels``): a partition's task holds no other column.
    """

    map: Callable[[Part], Any]
    finish: Callable[[Workspace, Results, list[Any]], StageResult]
    buildings: bool = False
    reach: Callable[[Workspace, Results], float] | None = None
    tables: tuple[str, ...] = ()
    layers: tuple[str, ...] = ()
    applies: Callable[[Workspace], bool] = lambda ws: True
    routed_layers: tuple[str, ...] = ()
    columns: tuple[str, ...] | None = None


@dataclasses.dataclass(frozen=True)
class Features:
    """A stage whose output is per feature naming parcels (a plan, a proposal).

    Each feature goes to the partition owning the first parcel it names (:class:`.parts.Routed`);
    the stage runs there on its features, every parcel they name or come within ``reach`` of, and the
    features of ``layers`` / ``result_layers`` near them; the partitions' results are put together
    by :func:`merge`. Partitions without features get no task; with no features at all, or when
    ``applies(ws)`` is false (the ruleset has none of the stage's rules: every feature is one
    不适用 finding), the stage runs in the run process.
    """

    routed: tuple[Routed, ...]
    reach: float = 1.0
    layers: tuple[str, ...] = ()
    result_layers: tuple[str, ...] = ()
    applies: Callable[[Workspace], bool] = lambda ws: True


def _cluster_links(part: Part) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``clusters``' map: the partition's parcels outside parks and their links (county rows)."""
    spec = part.ws.ruleset.get("DQ-CLUSTER")
    parks = part.ws.layers["parks"]
    outside, pairs = outside_links(part.results.parcels.geometry.to_numpy(), parks.geometry.to_numpy(),
                                   spec.link_distance_m, part.rows, part.own)
    return part.rows[:part.own], outside, pairs


def _clusters(ws: Workspace, results: Results, pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> StageResult:
    """``clusters``' finish: the links put together, the clusters found and described."""
    outside = np.zeros(len(results.parcels), dtype=bool)
    for rows, out, _ in pieces:
        outside[rows] = out
    pairs = np.concatenate([p[2] for p in pieces]) if pieces else np.zeros((0, 2), dtype=np.int64)
    return assess_clusters(ws, results, links=(outside, pairs))


def _efficiency_piece(part: Part) -> Any:
    """``efficiency``'s map: the own parcels' land and holders, the tenancy rows naming them, land summed per code."""
    return efficiency_piece(part.ws, part.results, part.own, part.rows)


def _efficiency_on_parts(ws: Workspace) -> bool:
    """With ``tenants = "apportion"`` and buildings, the floor areas need the buildings: efficiency runs whole."""
    spec = ws.ruleset.get("MJ-EVAL")
    return spec is not None and (spec.tenants == "pool" or ws.layer("buildings") is None)


#: Stages run as a map on partitions and a finish in this process.
REDUCE: dict[str, Reduce] = {
    "intensity": Reduce(_intensity_piece, _intensity, buildings=True, layers=("parks",), routed_layers=("renovations",)),
    "idle": Reduce(_idle_piece, _idle, tables=("contracts",), layers=("buildings",)),
    "efficiency": Reduce(_efficiency_piece, assess_efficiency, tables=("tenancy",), applies=_efficiency_on_parts,
                         columns=("owner_uscc", "land_use_code")),
    "clusters": Reduce(_cluster_links, _clusters, reach=lambda ws, results: ws.ruleset.get("DQ-CLUSTER").link_distance_m,
                       layers=("parks",), columns=(),
                       applies=lambda ws: ws.ruleset.get("DQ-CLUSTER") is not None and ws.layer("parks") is not None),
}

#: Stages whose features are routed to the partition of their parcel.
FEATURES: dict[str, Features] = {
    "corner_plans": Features((Routed("layer", "renovations", "parcel_id"),), layers=("roads", "water", *CONSTRAINTS),
                             result_layers=("fragments",),
                             applies=lambda ws: ws.ruleset.get("TT-CORNER") is not None),
    "split_merge": Features((Routed("layer", "split_proposals", "parcel_id", group="proposal_id"),
                             Routed("table", "merge_proposals", "parcel_ids")),
                            result_layers=("enterprise_eval",),
                            applies=lambda ws: ws.ruleset.first("TT-SPLIT", "TT-MERGE") is not None),
}


#: Stages run in this process that take ``map_tiles`` (see :func:`tile_map`) and so send their tiles to the workers.
TILED = ("fragments",)
#: Tile batches per worker (one task each), so that a slow batch does not hold up the others.
BATCHES_PER_WORKER = 4


def _packed(job: tuple) -> tuple:
    """A job with its arrays of geometries as WKB (pickling shapely objects one by one costs 4× more)."""
    return tuple(_Wkb(shapely.to_wkb(x)) if isinstance(x, np.ndarray) and x.dtype == object and len(x)
                 and shapely.is_geometry(x).all() else x for x in job)


@dataclasses.dataclass
class _Wkb:
    """An array of geometries as WKB, on its way to a worker."""

    wkb: np.ndarray


def run_tiles(func: Callable[..., Any], jobs: list[tuple]) -> list:
    """``func(*job)`` for each of a batch's jobs (on a worker), their geometries read back from WKB."""
    return [func(*(shapely.from_wkb(x.wkb) if isinstance(x, _Wkb) else x for x in job)) for job in jobs]


def tile_map(client: Any) -> Callable[[Callable[..., Any], Iterable[tuple]], Iterator]:
    """A ``map_tiles`` (:data:`geo_tenglong.analysis.fragments.TileMap`) that runs the jobs on ``client``'s cluster.

    The jobs are cut into batches of consecutive tiles, :data:`BATCHES_PER_WORKER` per worker, each
    batch's inputs (arrays of geometries as WKB) scattered to the cluster and run as one task; the
    results come back in order.
    """
    def map_tiles(func: Callable[..., Any], jobs: Iterable[tuple]) -> Iterator:
        jobs = [_packed(job) for job in jobs]
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        size = max(1, math.ceil(len(jobs) / (BATCHES_PER_WORKER * workers)))
        batches = client.scatter([jobs[k:k + size] for k in range(0, len(jobs), size)], hash=False)
        futures = [client.submit(run_tiles, func, batch, pure=False) for batch in batches]
        for future in futures:
            yield from future.result()

    return map_tiles


def _partition_count(n_parcels: int, workers: int) -> int:
    return max(2 * workers, math.ceil(n_parcels / PARCELS_PER_PARTITION))


def _reduce(values: list, where: str) -> Any:
    """Partitions' summary values together: counts summed, sums summed, the rest the same in all."""
    first = values[0]
    if isinstance(first, dict):
        keys = list(dict.fromkeys(k for v in values for k in v))
        return {k: _reduce([v[k] for v in values if k in v], f"{where}.{k}") for k in keys}
    if isinstance(first, (int, float)) and not isinstance(first, bool) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        total = sum(values)
        return total if all(isinstance(v, int) for v in values) else round(float(total), 4)
    if any(v != first for v in values):
        raise RuntimeError(f"dask engine: partitions disagree on summary {where}: {values[:3]}")
    return first


def merge(name: str, parts: list[StageResult], ws: Workspace, results: Results) -> StageResult:
    """One stage's partition results as one :class:`StageResult`.

    Findings about a parcel come from its partition. The others (county-wide notes, rows about a
    plan or proposal) are kept as many times as one partition says them: a note every partition
    makes once, a finding said four times about one plan four times. Parcel columns and layers are
    put in parcel order.
    """
    ids = results.parcels["parcel_id"].astype(str)
    pos = pd.Series(np.arange(len(ids)), index=pd.Index(ids))
    frames = [p.findings for p in parts if len(p.findings)]
    if not frames:
        findings = parts[0].findings
    else:
        on, off, nth = [], [], []
        for frame in frames:
            at = pos.index.get_indexer(frame["parcel_id"].astype(str).to_numpy(dtype=object)) >= 0
            on.append(frame[at])
            off.append(frame[~at])
            key = pd.util.hash_pandas_object(off[-1].astype(str), index=False)
            nth.append(pd.DataFrame({"key": key.to_numpy(), "nth": key.groupby(key).cumcount().to_numpy()}))
        once = ~pd.concat(nth, ignore_index=True).duplicated().to_numpy()
        findings = concat_findings([*on, pd.concat(off, ignore_index=True)[once]])
    cols = [p.parcel_columns for p in parts if p.parcel_columns is not None]
    columns = pd.concat([c for c in cols if len(c)] or cols[:1]) if cols else None
    layers = {}
    for lname in dict.fromkeys(k for p in parts for k in p.layers):
        pieces = [p.layers[lname] for p in parts if lname in p.layers]
        full = [x for x in pieces if len(x)] or pieces[:1]
        layer = pd.concat(full, ignore_index=True) if len(full) > 1 else full[0].reset_index(drop=True)
        if "parcel_id" in layer.columns and len(layer):
            at = pos.reindex(layer["parcel_id"].astype(str)).to_numpy()
            layer = layer.iloc[np.argsort(np.nan_to_num(at, nan=-1), kind="stable")].reset_index(drop=True)
        layers[lname] = layer
    if any(p.metrics for p in parts):
        raise RuntimeError(f"dask engine: stage {name} publishes metrics, which partitions cannot sum")
    summaries = [p.summary for p in parts]
    summary = _reduce(summaries, name) if any(summaries) else {}
    return StageResult(findings=findings, parcel_columns=columns, layers=layers, summary=summary)


def connect(scheduler: str) -> Any:
    """A ``distributed.Client`` on the scheduler at ``scheduler``.

    Raises
    ------
    InputError
        When the scheduler does not answer within :data:`CONNECT_TIMEOUT_S` or the address is not one.
    """
    from distributed import Client

    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT_S)
    except (OSError, ValueError) as err:  # unreachable, refused, or not an address
        raise InputError(f"无法连接 dask 调度器 {scheduler}:{err}") from err


@contextlib.contextmanager
def _client(scheduler: str | None) -> Iterator[Any]:
    """A dask client on ``scheduler``, or on a local cluster of this machine's cores for the run."""
    from distributed import Client, LocalCluster

    if scheduler:
        with connect(scheduler) as client:
            yield client
        return
    with LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        yield client


def run_map(task: PartTask, func: Callable[[Part], Any]) -> Any:
    """``func`` on the :class:`Part` of ``task`` (on a worker)."""
    return func(open_part(task))


def _reduce_stage(client: Any, ws: Workspace, results: Results, stage: Stage, entry: Reduce, cut: Cut) -> StageResult:
    """A :class:`Reduce` stage: its map on every partition, its finish here."""
    reach = entry.reach(ws, results) if entry.reach else 0.0
    futures = [client.submit(run_map, client.scatter(parcel_task(
        ws, results, cut, k, buildings=entry.buildings, reach=reach, tables=entry.tables, layers=entry.layers,
        result_layers=(), routed_layers=entry.routed_layers, columns=entry.columns), hash=False), entry.map, pure=False) for k in range(len(cut.parts))]
    return entry.finish(ws, results, client.gather(futures))


def run_feature_stage(task: PartTask, name: str, tables: dict[str, pd.DataFrame]) -> StageResult:
    """Stage ``name`` on the features and parcels of ``task`` and the result ``tables`` (on a worker)."""
    from ..pipeline import STAGES

    part = open_part(task)
    part.results.layers.update(tables)
    func = next(s.func for s in STAGES if s.name == name)
    outcome = func(part.ws, part.results) or StageResult()
    if outcome.parcel_columns is not None:
        raise RuntimeError(f"dask engine: stage {name} publishes parcel columns, which features cannot route")
    return outcome


def _feature_stage(client: Any, ws: Workspace, results: Results, stage: Stage, entry: Features,
                   cut: Cut) -> StageResult | None:
    """A :class:`Features` stage on the partitions holding its features; ``None`` when there are none."""
    routes = feature_routes(ws, cut, entry.routed)
    if not routes:
        return None
    # result tables (not geometric, so not cut) go to every worker once, not with every task
    tables = {name: results.layers[name] for name in entry.result_layers
              if name in results.layers and not isinstance(results.layers[name], gpd.GeoDataFrame)}
    shared = client.scatter(tables, broadcast=True, hash=False) if tables else {}
    futures = [client.submit(run_feature_stage, client.scatter(feature_task(
        ws, results, cut, k, routes[k], entry.routed, reach=entry.reach, layers=entry.layers,
        result_layers=entry.result_layers), hash=False), stage.name, shared, pure=False) for k in sorted(routes)]
    return merge(stage.name, client.gather(futures), ws, results)


def run_stages(ws: Workspace, results: Results, stages: list[Stage], progress: Callable[[str], None] | None = None,
               scheduler: str | None = None) -> None:
    """Run ``stages`` (the parcel-by-parcel ones on a dask cluster) and add each result to ``results``.

    Parameters
    ----------
    ws : Workspace
    results : Results
    stages : list of Stage
    progress : callable, optional
        Called with each stage's Chinese label before it runs.
    scheduler : str, optional
        Address of a running dask scheduler; without it a local cluster is started.
    """
    from .single import run_stages as run_here

    with _client(scheduler) as client:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        cut: list[Cut] = []  # cut once, when the first stage needs it

        def the_cut() -> Cut:
            if not cut:
                cut.append(Cut.of(results, _partition_count(len(results.parcels), workers)))
            return cut[0]

        for stage in stages:
            if progress:
                progress(stage.label)
            outcome: StageResult | None = None
            if stage.name in REDUCE and REDUCE[stage.name].applies(ws):
                outcome = _reduce_stage(client, ws, results, stage, REDUCE[stage.name], the_cut())
            elif stage.name in FEATURES and FEATURES[stage.name].applies(ws):
                outcome = _feature_stage(client, ws, results, stage, FEATURES[stage.name], the_cut())
            if outcome is not None:
                results.add(stage.name, outcome)
                continue
            if stage.name in TILED:
                func: Callable[..., StageResult] = stage.func
                stage = dataclasses.replace(stage, func=functools.partial(func, map_tiles=tile_map(client)))
            run_here(ws, results, [stage])
