"""``geo-tenglong report``: 宗地分析报告 for named parcels, from saved results or a workspace."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import InputError
from .options import DEFAULT_WORKSPACE, EXIT_PARTIAL, as_of_opt, quiet_opt, ruleset_opt


@click.command("report")
@click.argument("parcel_ids", nargs=-1, required=True, metavar="PARCEL_ID…")
@click.option("--results", "-r", "source", default=None, callback=lambda ctx, param, value: _existing(value),
              help="results.gpkg written by `run`, its output folder, a workspace folder (analysed first), or "
                   "postgresql://user@host:port/db?schema=NAME (results `run --out` wrote there). "
                   "Default: out/results.gpkg if it exists, else the sample workspace layers/.")
@click.option("--out", "-o", "out_dir", default=Path("out/reports"), show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for the reports.")
@click.option("--no-pdf", is_flag=True, help="HTML only (no Chromium needed).")
@click.option("--wait", is_flag=True, help="Wait for a run writing into the output folder instead of refusing.")
@ruleset_opt
@as_of_opt
@quiet_opt
def report_cmd(parcel_ids, source, out_dir, no_pdf, ruleset, as_of, quiet, wait):
    """Write 宗地分析报告 (HTML and A4 PDF) for each PARCEL_ID (宗地代码).

    Each report shows the holder, township and park, a map with buildings, neighbours and corner
    plots, the 界址点成果表, areas in m² and 亩, indicators against county benchmarks and targets,
    the 亩均效益 class and every finding with its rule id and clause. PDFs need Chromium
    (Debian `chromium`, or set GEO_TENGLONG_CHROMIUM); without it the HTML is written alone.
    Exit 1 when some parcel ids were not found (the others are written), 2 when none was.
    """
    from ..io.staging import staged_folder
    from ..report.parcel_report import write_parcel_reports
    from ..source import load_source
    from .locking import command_locks, results_folder

    if source is None:
        source = Path("out/results.gpkg") if Path("out/results.gpkg").is_file() else DEFAULT_WORKSPACE
    # the lock a run takes on the output folder (and on the results read): never a folder mid-swap
    with command_locks(out_dir, results_folder(source), wait=wait, quiet=quiet):
        src = load_source(source, ruleset=ruleset, as_of=as_of,
                          progress=None if quiet else (lambda line: click.echo(line, err=True)))
        if not quiet:
            for note in src.notes:
                click.echo(f"geo-tenglong: 警告: {note}", err=True)
        results, ws = src.results, src.ws
        known = set(results.parcels["parcel_id"].astype(str))
        wanted = list(dict.fromkeys(parcel_ids))
        missing = [p for p in wanted if p not in known]
        found = [p for p in wanted if p in known]
        if not found:
            raise InputError(f"no such parcel (宗地代码不存在): {', '.join(missing)}", source)
        with staged_folder(out_dir, inputs=src.inputs) as stage:  # moved in only when every report is written
            staged = write_parcel_reports(results, found, stage, ws=ws, pdf=not no_pdf)
        written = [Path(out_dir) / Path(p).relative_to(stage) if stage in Path(p).parents else Path(p) for p in staged]
    if not quiet:
        for path in written:
            click.echo(f"  wrote {path}")
    if missing:
        click.echo(f"geo-tenglong: 未找到宗地 (not found): {', '.join(missing)}", err=True)
        sys.exit(EXIT_PARTIAL)


def _existing(value: str | None) -> str | Path | None:
    """``--results``: a database URL as it is, else a path that exists."""
    from ..io.db.url import is_db_url

    if value is None or is_db_url(value):
        return value
    if not Path(value).exists():
        raise click.BadParameter(f"Path '{value}' does not exist.")
    return Path(value)
