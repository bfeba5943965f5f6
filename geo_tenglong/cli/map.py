"""``geo-tenglong map``: the briefing web map from a workspace or a results.gpkg."""

from __future__ import annotations

from pathlib import Path

import click

from .options import DEFAULT_WORKSPACE, as_of_opt, quiet_opt, ruleset_opt


@click.command("map")
@click.argument("source", required=False, default=str(DEFAULT_WORKSPACE))  # a path or a postgresql:// URL
@click.option("--output", "-o", default="maps/briefing.html", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="The HTML file to write.")
@click.option("--basemap", metavar="SPEC",
              help="底图: none (default, fully offline) | landcover | a GeoTIFF path | tianditu-vec | tianditu-img "
                   "(key in TIANDITU_TK or [map] tianditu_tk) | gaode-vec | gaode-img (GCJ-02) | an XYZ URL with "
                   "{z}/{x}/{y}. Default: [map] basemap in workspace.toml, else none.")
@click.option("--gcj02/--no-gcj02", default=None,
              help="Shift overlays to GCJ-02 (for an XYZ server in GCJ-02; on by default for gaode-*).")
@click.option("--reports", "reports_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of parcel reports to link [default: reports/ beside results.gpkg, else out/reports].")
@click.option("--simplify", type=float, metavar="METRES",
              help="Simplify outlines to this tolerance, keeping shared edges (default: exact outlines).")
@click.option("--wait", is_flag=True, help="Wait for a run writing into the map's folder instead of refusing.")
@ruleset_opt
@as_of_opt
@quiet_opt
def map_cmd(source, output, basemap, gcj02, reports_dir, simplify, ruleset, as_of, quiet, wait):
    """Write the briefing map (汇报地图) for SOURCE: a workspace folder (default: layers/), whose
    analysis is run without writing results, a results.gpkg written by `run`, or the PostGIS
    schema `run --out postgresql://user@host:port/db?schema=NAME` wrote (same URL).

    One HTML file that opens with no internet: parcels by 亩均 class, reclaimable low-efficiency
    land, idle land, corner plots, split/merge checks, parks and 三区三线 as switchable layers, a
    legend, the county's targets as progress bars, popups with every finding and its clause, and
    search by enterprise, 统一社会信用代码 or 宗地代码.
    """
    from ..io.staging import staged_folder
    from ..source import load_source
    from ..webmap.briefing import save_briefing_map, tiles_path
    from .locking import command_locks, results_folder

    folder = Path(output).resolve().parent
    # the lock a run takes on this folder (and on the results read): never a folder mid-swap
    with command_locks(folder, results_folder(source), wait=wait, quiet=quiet):
        src = load_source(source, ruleset=ruleset, as_of=as_of,
                          progress=None if quiet else (lambda line: click.echo(line, err=True)))
        if not quiet:
            for note in src.notes:
                click.echo(f"geo-tenglong: 警告: {note}", err=True)
        with staged_folder(folder, inputs=src.inputs) as stage:  # moved in only when written whole
            staged = save_briefing_map(src.results, stage / Path(output).name, ws=src.ws, basemap=basemap,
                                       reports_dir=reports_dir if reports_dir is not None else src.reports_dir,
                                       simplify=simplify, gcj02=gcj02, inputs=src.inputs)
        path = folder / staged.relative_to(stage)
    if not quiet:
        size = path.stat().st_size / 1e6
        click.echo(f"wrote {path} ({size:.1f} MB)")
        tiles = tiles_path(path)
        if tiles.is_file():  # a big county's parcels: the page draws them from this file, keep the two together
            click.echo(f"wrote {tiles} ({tiles.stat().st_size / 1e6:.1f} MB; 与 {path.name} 放在同一目录)")
        if basemap and basemap.strip().lower().startswith(("tianditu", "gaode", "amap", "http")):
            click.echo("  note: the basemap is online; the overlays still work without a network")
