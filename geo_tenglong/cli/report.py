"""``geo-tenglong report``: 宗地分析报告 for named parcels, from saved results or a workspace."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import InputError
from .options import EXIT_PARTIAL, as_of_opt, quiet_opt, ruleset_opt


def _load(source: Path, ruleset, as_of, quiet: bool):
    """(results, workspace or None) from a results GeoPackage, an output folder or a workspace folder."""
    from ..results import Results
    from ..workspace import WORKSPACE_FILE, load_workspace

    if source.is_dir() and (source / WORKSPACE_FILE).is_file():
        from ..pipeline import analyse

        if not quiet:
            click.echo(f"分析工作空间 {source} …", err=True)
        ws = load_workspace(source, ruleset=ruleset, as_of=as_of)
        return analyse(ws), ws
    results = Results.read(source)
    ws = None
    root = results.info.get("workspace")
    if root and (Path(root) / WORKSPACE_FILE).is_file():
        try:  # buildings and park names for the maps; the report stands without them
            ws = load_workspace(root, ruleset=results.info.get("ruleset") or None, as_of=results.info.get("as_of"))
        except Exception as exc:  # noqa: BLE001
            if not quiet:
                click.echo(f"geo-tenglong: 警告: 未能读取工作空间 {root} ({exc}); 位置图不含建筑物", err=True)
    return results, ws


@click.command("report")
@click.argument("parcel_ids", nargs=-1, required=True, metavar="PARCEL_ID…")
@click.option("--results", "-r", "source", default=None, type=click.Path(exists=True, path_type=Path),
              help="results.gpkg written by `run`, its output folder, or a workspace folder (analysed first). "
                   "Default: out/results.gpkg if it exists, else the sample workspace layers/.")
@click.option("--out", "-o", "out_dir", default=Path("out/reports"), show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for the reports.")
@click.option("--no-pdf", is_flag=True, help="HTML only (no Chromium needed).")
@ruleset_opt
@as_of_opt
@quiet_opt
def report_cmd(parcel_ids, source, out_dir, no_pdf, ruleset, as_of, quiet):
    """Write 宗地分析报告 (HTML and A4 PDF) for each PARCEL_ID (宗地代码).

    Each report shows the holder, township and park, a map with buildings, neighbours and corner
    plots, the 界址点成果表, areas in m² and 亩, indicators against county benchmarks and targets,
    the 亩均效益 class and every finding with its rule id and clause. PDFs need Chromium
    (Debian `chromium`, or set GEO_TENGLONG_CHROMIUM); without it the HTML is written alone.
    Exit 1 when some parcel ids were not found (the others are written), 2 when none was.
    """
    from ..report.parcel_report import write_parcel_reports

    if source is None:
        source = Path("out/results.gpkg") if Path("out/results.gpkg").is_file() else Path("layers")
    results, ws = _load(source, ruleset, as_of, quiet)
    known = set(results.parcels["parcel_id"].astype(str))
    wanted = list(dict.fromkeys(parcel_ids))
    missing = [p for p in wanted if p not in known]
    found = [p for p in wanted if p in known]
    if not found:
        raise InputError(f"no such parcel (宗地代码不存在): {', '.join(missing)}", source)
    written = write_parcel_reports(results, found, out_dir, ws=ws, pdf=not no_pdf)
    if not quiet:
        for path in written:
            click.echo(f"  wrote {path}")
    if missing:
        click.echo(f"geo-tenglong: 未找到宗地 (not found): {', '.join(missing)}", err=True)
        sys.exit(EXIT_PARTIAL)
