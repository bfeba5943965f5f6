"""The whole job, stage by stage: load → analyse → write results → render outputs.

Stages run in :data:`STAGES` order; each is a function ``(workspace, results) -> StageResult``
(see :mod:`geo_tenglong.stage`). Outputs run after the results are written, in :data:`OUTPUTS`
order, each ``(results, out_dir, maps_dir, workspace) -> list of Path``; they only render.
Outputs are named by import path (``"module:function"``) and imported only when they run, so
importing the pipeline (or the CLI) never loads matplotlib, folium or openpyxl.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import importlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import geopandas as gpd

from . import units
from .analysis.clusters import assess_clusters
from .analysis.corner_files import assess_corner_files
from .analysis.corner_plans import assess_corner_plans
from .analysis.efficiency import assess_efficiency
from .analysis.fragments import assess_fragments
from .analysis.high_energy import assess_high_energy
from .analysis.idle import assess_idle
from .analysis.intensity import assess_intensity
from .analysis.land_supply import assess_land_supply
from .analysis.ledger_lists import assess_ledger_lists
from .analysis.old_parks import assess_old_parks
from .analysis.preregistration import assess_preregistration
from .analysis.reclaim import assess_reclaim
from .analysis.renewal import assess_renewal
from .analysis.rezoned import assess_rezoned
from .analysis.split_merge import assess_split_merge
from .analysis.standard_land import assess_standard_land
from .analysis.subsidies import assess_subsidies
from .analysis.targets import assess_targets
from .analysis.zero_land import assess_zero_land
from .completeness import INCOMPLETE_KEY, check_completeness
from .crs import planar_area
from .engine import run_stages
from .history import db_store
from .history.store import default_history_path, record_run
from .history.view import load_history
from .io.atomic import check_not_input
from .io.db.write import Hook
from .io.runlock import output_locks
from .io.staging import check_no_inputs_inside, clean_leftovers, new_run_id, staged_outputs
from .results import Results
from .stage import Stage
from .workspace import Workspace, load_workspace

#: Analysis stages, in order. A stage may read what earlier ones produced.
STAGES: list[Stage] = [
    Stage("corner_files", "界址点坐标核对", assess_corner_files),
    Stage("efficiency", "亩均效益评价", assess_efficiency),
    Stage("intensity", "用地强度", assess_intensity),
    Stage("idle", "闲置土地认定", assess_idle),
    Stage("reclaim", "可腾退低效用地", assess_reclaim),
    Stage("fragments", "零星边角地识别", assess_fragments),
    Stage("corner_plans", "零增地技改用地核查", assess_corner_plans),
    Stage("rezoned", "规划调整工业用地核查", assess_rezoned),
    Stage("preregistration", "低效用地预告登记", assess_preregistration),
    Stage("subsidies", "技改补助测算", assess_subsidies),
    Stage("land_supply", "工业用地供应比例", assess_land_supply),
    Stage("high_energy", "两高项目筛查", assess_high_energy),
    Stage("old_parks", "老旧工业园区评估", assess_old_parks),
    Stage("clusters", "园区外集聚点识别", assess_clusters),
    Stage("zero_land", "零增地技改准入", assess_zero_land),
    Stage("standard_land", "标准地达产复核", assess_standard_land),
    Stage("renewal", "工业用地到期续签", assess_renewal),
    Stage("ledger_lists", "整治台账清单", assess_ledger_lists),
    Stage("split_merge", "分割合并核查", assess_split_merge),
    Stage("targets", "目标对照", assess_targets),
]

#: Output writers: (name, Chinese label, "module:function") of a function
#: ``(results, out_dir, maps_dir, workspace) -> list of paths``, imported when it runs
#: (:func:`output_writer`); a callable is accepted too.
OUTPUTS: list[tuple[str, str, str | Callable[..., list[Path]]]] = [
    ("workbook", "写出Excel清单", "geo_tenglong.report.workbook:write_workbook"),
    ("qgis", "写出QGIS工程", "geo_tenglong.qgis:write_qgis_project"),  # styles into results.gpkg, 腾笼换鸟.qgz
    ("reports", "生成宗地报告", "geo_tenglong.report.parcel_report:write_reports"),
    ("onepager", "生成一页纸汇报", "geo_tenglong.report.onepager:write_onepager"),
    ("map", "生成汇报地图", "geo_tenglong.webmap.briefing:write_briefing_map"),  # last: links to the reports
]


#: Outputs that work on results.gpkg itself: left out when the results go to a database (QGIS
#: opens the PostGIS schema directly).
GPKG_OUTPUTS = {"qgis"}


def output_writer(spec: str | Callable[..., list[Path]]) -> Callable[..., list[Path]]:
    """The writer function an :data:`OUTPUTS` entry names.

    Parameters
    ----------
    spec : str or callable
        ``"package.module:function"``, or the function itself.

    Returns
    -------
    callable
    """
    if callable(spec):
        return spec
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclasses.dataclass
class RunOutcome:
    """What :func:`run` produced: the results and every file written."""

    results: Results
    written: list[Path]


def base_parcels(ws: Workspace) -> gpd.GeoDataFrame:
    """The parcels layer with cadastral areas: ``area_m2`` (planar, 坐标解析法) and ``area_mu``."""
    parcels = ws.parcels.copy()
    area = planar_area(parcels.geometry)
    parcels["area_m2"] = area.round(2)
    parcels["area_mu"] = units.m2_to_mu(area).round(units.MU_DECIMALS)
    return parcels


def analyse(ws: Workspace, stages: list[Stage] | None = None, progress: Callable[[str], None] | None = None,
            engine: str = "single", scheduler: str | None = None) -> Results:
    """Run the analysis stages on a loaded workspace.

    Parameters
    ----------
    ws : Workspace
    stages : list of Stage, optional
        Defaults to :data:`STAGES`. The targets stage should stay last.
    progress : callable, optional
        Called with each stage's Chinese label before it runs.
    engine : {"single", "dask"}
        ``single``: every stage in this process; ``dask``: the parcel-by-parcel stages on Hilbert
        partitions of the parcels on a dask cluster (:mod:`geo_tenglong.engine`), same results.
    scheduler : str, optional
        For ``dask``: a running scheduler's address (``tcp://host:8786``); default a local cluster.

    Returns
    -------
    Results
    """
    info = {"county": ws.county, "admin_code": ws.admin_code, "ruleset": ws.ruleset.name,
            "document": ws.ruleset.info.document, "as_of": ws.as_of.isoformat(),
            "crs": f"EPSG:{ws.crs.to_epsg()}", "workspace": str(ws.root),
            "generated": dt.datetime.now().isoformat(timespec="seconds")}
    results = Results(info=info, parcels=base_parcels(ws))
    if len(ws.data_issues):
        results.layers["data_issues"] = ws.data_issues.copy()
    run_stages(ws, results, stages if stages is not None else STAGES, progress, engine=engine, scheduler=scheduler)
    return results


def run(workspace: str | Path, out_dir: str | Path = "out", maps_dir: str | Path | None = "maps",
        ruleset: str | None = None, as_of: str | None = None, quiet: bool = False, wait: bool = False,
        files_dir: str | Path | None = None, history: str | Path | None = None, engine: str = "single",
        scheduler: str | None = None,
        warn: Callable[[str], None] | None = None, reports: str = "auto") -> RunOutcome:
    """Run the whole job on a workspace and write every output.

    Parameters
    ----------
    workspace : str or Path
        The workspace folder.
    out_dir : str or Path
        Where ``results.gpkg``, ``summary.json``, lists and reports go; or a
        ``postgresql://user@host:port/db?schema=name`` URL: the results go into that PostGIS
        schema in one transaction (:func:`geo_tenglong.io.db.write.write_results`) and the files
        into ``files_dir``.
    maps_dir : str or Path or None
        Where web maps go (``None``: no maps).
    ruleset, as_of : str, optional
        Override the workspace's ruleset and as-of date.
    quiet : bool
        No progress output (also when the ``CI`` environment variable is set).
    wait : bool
        Wait for another run holding the output folders' lock instead of refusing.
    files_dir : str or Path, optional
        With a database ``out_dir``: the folder for summary.json, lists, reports (default ``out``).
    history : str or Path, optional
        The run history store (default ``history.gpkg`` in the parent of ``out_dir``): read before
        the analysis (``ws.history``: earlier runs, for the targets measured since the campaign's
        start) and the run recorded in it after the outputs are swapped in
        (:func:`geo_tenglong.history.store.record_run`; the same as-of date replaces its entry).
        With a database ``out_dir`` and no ``history``, the history is that schema's ``history_*``
        tables, recorded in the results' transaction (:mod:`geo_tenglong.history.db_store`).
    engine, scheduler : str, optional
        The analysis engine and the dask scheduler's address (:func:`analyse`).
    warn : callable, optional
        Called with one line when a stale lock of a dead run is taken over.
    reports : str
        Which parcels get a 宗地分析报告: ``auto`` (default), ``flagged``, ``fail``, ``all`` or
        ``none`` (:func:`geo_tenglong.report.parcel_report.report_selection`).

    Returns
    -------
    RunOutcome

    Raises
    ------
    InputError
        For bad input, naming the file and the row, feature or key.
    """
    quiet = quiet or bool(os.environ.get("CI"))
    from .progress import Progress

    target = _db_target(out_dir, files_dir)
    if target is not None:
        out_dir = files_dir if files_dir is not None else "out"
    started = dt.datetime.now().astimezone()
    run_id = new_run_id()
    # results into a database, no --history: the history lives in that schema too (history_* tables)
    history_db = target if target is not None and history is None else None
    history_path = Path(history) if history is not None else default_history_path(out_dir)
    notes: list[str] = []
    with Progress(total=3 + len(STAGES) + len(OUTPUTS), quiet=quiet) as bar, \
            output_locks(out_dir, maps_dir, run_id, wait=wait, notes=notes), contextlib.ExitStack() as stack:
        for note in dict.fromkeys(notes):  # a stale lock taken over: a run died here
            if warn is not None:
                warn(note)
        bar.step("读取工作空间 (loading workspace)")
        ws = load_workspace(workspace, ruleset=ruleset, as_of=as_of)
        check_no_inputs_inside(out_dir, maps_dir, ws.inputs)  # before the analysis, not after it
        if history_db is None:
            check_not_input(history_path, ws.inputs)
            ws.history = load_history(history_path, ws.as_of, ws.admin_code)
        else:  # a temporary copy of the schema's history, read during the analysis
            ws.history = load_history(stack.enter_context(db_store.pulled(history_db, missing_ok=True)),
                                      ws.as_of, ws.admin_code)
        results = analyse(ws, progress=bar.step, engine=engine, scheduler=scheduler)
        results.info[INCOMPLETE_KEY] = [p.to_dict() for p in check_completeness(ws, results)]  # 数据不足
        results.info["run_id"] = run_id
        parks = ws.layer("parks")
        names = dict(zip(parks["park_id"].astype(str), parks["name"].astype(str))) \
            if parks is not None and {"park_id", "name"} <= set(parks.columns) else {}
        hooks = [db_store.record_hook(results, history_db, inputs=ws.inputs, db_inputs=ws.db_inputs,
                                      park_names=names)] if history_db is not None else []
        written = write_outputs(results, ws, out_dir, maps_dir, progress=bar.step,
                                output_options={"reports": {"which": reports}}, target=target, started=started,
                                hooks=hooks)
        bar.step("记录运行历史 (recording the run)")
        if history_db is None:  # else recorded in the results' transaction (the hook)
            record_run(results, history_path, inputs=ws.inputs, db_inputs=ws.db_inputs, park_names=names)
            written.append(history_path)
    return RunOutcome(results=results, written=written)


def _db_target(out: str | Path, files_dir: str | Path | None):
    """The database ``--out`` names (checked: reachable, PostGIS, may create a schema), or ``None`` for a folder."""
    from .errors import InputError
    from .io.db.url import is_db_url, parse_db_url
    from .io.db.write import check_target

    if not is_db_url(str(out)):
        if files_dir is not None:
            raise InputError("--files 只用于 --out postgresql://… (the files go to --out when it is a folder)")
        return None
    target = parse_db_url(str(out), "--out")
    check_target(target)
    return target


def write_outputs(results: Results, ws: Workspace, out_dir: str | Path, maps_dir: str | Path | None,
                  progress: Callable[[str], None] | None = None,
                  output_options: dict[str, dict] | None = None, target=None,
                  started: dt.datetime | None = None, hooks: Sequence[Hook] = ()) -> list[Path]:
    """Write results.gpkg, summary.json and every :data:`OUTPUTS` entry as one unit.

    Everything is written into a staging tree (:mod:`geo_tenglong.io.staging`) and swapped in only
    when every writer succeeded; on any failure the previous result stays whole. Call it while
    holding the output folders' locks (:func:`geo_tenglong.io.runlock.output_locks`); it first
    removes what killed runs left behind. ``output_options`` gives an output's writer keyword
    arguments by its :data:`OUTPUTS` name, e.g. ``{"reports": {"which": "fail"}}``.

    With a database ``target`` (:class:`geo_tenglong.io.db.url.DbUrl`) the results go there instead
    of results.gpkg (one transaction, committed after every file writer succeeded and before the
    files are swapped in; ``started`` is recorded in its ``runs`` table), summary.json still goes
    to ``out_dir``, and the outputs that style results.gpkg (:data:`GPKG_OUTPUTS`) are left out;
    ``hooks`` run in that transaction (:func:`geo_tenglong.io.db.write.write_results`), e.g. the
    run history's :func:`geo_tenglong.history.db_store.record_hook`.

    Returns
    -------
    list of Path
        The files written, at their final places.
    """
    check_no_inputs_inside(out_dir, maps_dir, ws.inputs)
    clean_leftovers(out_dir, maps_dir)
    run_id = str(results.info.get("run_id") or new_run_id())
    results.info["run_id"] = run_id
    with staged_outputs(out_dir, maps_dir, run_id) as st:
        if target is None:
            if progress:
                progress("写出结果 (writing results.gpkg)")
            written = [results.write(st.out, inputs=ws.inputs)]
        else:
            results.info["results_db"] = target.label
            written = [results.write_summary(st.out, inputs=ws.inputs)]
        for _name, label, spec in OUTPUTS:
            if target is not None and _name in GPKG_OUTPUTS:
                continue
            if progress:
                progress(label)
            written.extend(output_writer(spec)(results, st.out, st.maps, ws, **(output_options or {}).get(_name, {})))
        if target is not None:  # last: the files are swapped in only once the database has committed
            from .io.db.fingerprint import inputs_fingerprint
            from .io.db.write import write_results

            if progress:
                progress(f"写入数据库 (writing results into {target.label})")
            write_results(results, target, started=started or dt.datetime.now().astimezone(),
                          fingerprint=inputs_fingerprint(ws), hooks=hooks)
    return [st.final(p) if st.tree in Path(p).resolve().parents else Path(p) for p in written]
