"""``geo-tenglong run``: the whole job on a workspace."""

from __future__ import annotations

from pathlib import Path

import click

from ..engine import ENGINES
from .options import DEFAULT_WORKSPACE, as_of_opt, quiet_opt, ruleset_opt, workspace_arg


@click.command("run")
@workspace_arg
@click.option("--out", "-o", "out_dir", default="out", show_default=True, metavar="DIR|URL",
              help="Output folder for results.gpkg, lists (清单) and reports; or postgresql://user@host:port/db"
                   "?schema=NAME: the results into that PostGIS schema (password from PGPASSWORD or ~/.pgpass), "
                   "the files into --files.")
@click.option("--files", "files_dir", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="With --out postgresql://…: folder for summary.json, lists and reports  [default: out]")
@click.option("--maps", "maps_dir", default="maps", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the briefing web map.")
@ruleset_opt
@as_of_opt
@quiet_opt
@click.option("--wait", is_flag=True, help="Wait for another run writing into the same OUT/MAPS instead of refusing.")
@click.option("--history", "history", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Run history store (历史记录) read and appended to  [default: history.gpkg beside OUT; with "
                   "--out postgresql://… that schema's history_* tables, written with the results]")
@click.option("--allow-incomplete", is_flag=True,
              help="Exit 0 even when input coverage is too low for some analyses (数据不足); the marks stay.")
@click.option("--engine", type=click.Choice(ENGINES), default="single", show_default=True,
              help="single: the analysis in this process; dask: the parcel-by-parcel stages on Hilbert partitions "
                   "of the parcels on a dask cluster (same results; pip install 'geo-tenglong[dask]').")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="With --engine dask: a running dask scheduler (tcp://host:8786) whose workers see the "
                   "workspace's files  [default: a local cluster of this machine's cores]")
@click.option("--reports", type=click.Choice(["auto", "flagged", "fail", "all", "none"]), default="auto",
              show_default=True,
              help="Parcels that get a 宗地分析报告: flagged (不符合 or 提示), fail (不符合 only), all, none; "
                   "auto: flagged up to 2,000 such parcels, else fail. Others: `geo-tenglong report 宗地代码…`.")
def run_cmd(workspace, out_dir, files_dir, maps_dir, ruleset, as_of, quiet, allow_incomplete, wait, history, engine,
            scheduler,
            reports):
    """Run every analysis on WORKSPACE (default: the bundled sample county in layers/).

    Writes OUT/results.gpkg (layer parcels with areas in m² and 亩 and every stage's columns;
    table findings with rule_id and clause), summary.json, the Excel lists and reports, and the
    briefing map in MAPS; then records the run in the history store (--history; the same as-of
    date replaces its entry), which the next run reads for the targets measured since the
    campaign's start and `geo-tenglong bulletin` reads for the 季度通报.

    With --out postgresql://user@host:port/db?schema=NAME the results go into that PostGIS schema
    instead of results.gpkg, in one transaction (the previous run's tables stay until it commits),
    with a runs table, and the run history there too (history_* tables, same transaction; read
    by `bulletin --history URL`); summary.json, the lists and reports go to --files (default out/).

    Exits 1 (a partial result, every output still written) when the input coverage of a stage is
    zero or implausibly low (no industrial parcel, no building on any, no enterprise matched …):
    one "数据不足: …" line per problem on stderr, also in summary.json, the workbook and the
    one-pager; --allow-incomplete exits 0 and keeps the marks.
    """
    from ..pipeline import run

    _check_default_workspace(workspace)
    if scheduler and engine != "dask":
        raise click.UsageError("--scheduler needs --engine dask")
    if scheduler:  # before loading the workspace: a wrong address fails in seconds, not after the load
        from ..engine.dask import connect

        connect(scheduler).close()
    outcome = run(workspace, out_dir=out_dir, maps_dir=maps_dir, ruleset=ruleset, as_of=as_of, quiet=quiet, wait=wait,
                  files_dir=files_dir,
                  history=history, engine=engine, scheduler=scheduler, reports=reports,
                  warn=None if quiet else (lambda line: click.echo(f"geo-tenglong: 警告: {line}", err=True)))
    res = outcome.results
    counts = res.findings["status"].value_counts()
    if not quiet:
        click.echo(f"{res.info['county']} ({res.info['ruleset']}, as of {res.info['as_of']}): "
                   f"{len(res.parcels)} 宗地, {len(res.findings)} findings "
                   f"({', '.join(f'{k} {v}' for k, v in counts.items())})")
        if res.info.get("results_db"):
            click.echo(f"  wrote {2 + len(res.layers)} tables and a runs row into {res.info['results_db']}")
        for line in _written_summary(outcome.written):
            click.echo(f"  wrote {line}")
    _report_incomplete(res, allow_incomplete)


def _report_incomplete(results, allow: bool) -> None:
    """One stderr line per 数据不足 problem; exit 1 (partial result) unless ``allow``."""
    from ..completeness import incomplete_of

    problems = incomplete_of(results)
    for p in problems:
        click.echo(p["message"], err=True)
    if problems and not allow:
        click.echo(f"结果不完整(数据不足 {len(problems)} 项),退出码 1;确认后可加 --allow-incomplete", err=True)
        click.get_current_context().exit(1)


def _check_default_workspace(workspace: Path) -> None:
    """Outside the source checkout there is no ``layers/``: say how to get the sample instead."""
    from ..errors import InputError
    from ..workspace import WORKSPACE_FILE

    if workspace == DEFAULT_WORKSPACE and not (workspace / WORKSPACE_FILE).is_file():
        raise InputError("当前目录没有工作空间 layers/ (no workspace given and no layers/ here); "
                         "用 `geo-tenglong sample 样例` 写出自带的样例县, 再 `geo-tenglong run 样例`; "
                         "或 `geo-tenglong run 工作空间目录`")


def _written_summary(paths, most: int = 5) -> list[str]:
    """One line per file, or one line per folder holding more than ``most`` of them."""
    by_dir: dict = {}
    for p in paths:
        by_dir.setdefault(Path(p).parent, []).append(Path(p))
    lines = []
    for folder, files in by_dir.items():
        if len(files) > most:
            lines.append(f"{len(files)} files in {folder}/")
        else:
            lines.extend(str(f) for f in files)
    return lines
