"""``geo-tenglong check-split`` / ``check-merge``: check split and merge proposals against 四(八).

Thin click wrappers: read the workspace (parcels, buildings, ruleset) and a proposal file
(:mod:`geo_tenglong.io.proposals`) or the workspace's own ``split_proposals`` / ``merge_proposals``,
run :func:`geo_tenglong.analysis.split.check_split` / :func:`~geo_tenglong.analysis.merge.check_merge`
with the buyers' classes (:mod:`geo_tenglong.analysis.buyer_eval`), and print one condition table
per proposal in Chinese (:mod:`geo_tenglong.report.condition_table`). Every library import is inside
the command functions, so ``--help`` loads no geopandas or pandas.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from .options import DEFAULT_WORKSPACE, as_of_opt, ruleset_opt

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from ..workspace import Workspace

workspace_opt = click.option("--workspace", "-w", default=str(DEFAULT_WORKSPACE), show_default=True,
                             type=click.Path(file_okay=False, path_type=Path),
                             help="Workspace folder (parcels, buildings, ruleset, as-of date).")


def enterprise_eval(ws: Workspace, parcels: gpd.GeoDataFrame) -> pd.DataFrame | None:
    """The buyers' ``enterprise_eval`` table (see :func:`geo_tenglong.analysis.buyer_eval.enterprise_eval`).

    Looked up through this module at call time, so tests can replace it.
    """
    from ..analysis.buyer_eval import enterprise_eval as run_efficiency

    return run_efficiency(ws, parcels)


def _title(ws: Workspace, kind: str, source: str) -> str:
    return f"{ws.county} {kind}核查 — {ws.ruleset.name} 四(八), 基准日 {ws.as_of.isoformat()}, {source}"


@click.command("check-split")
@click.argument("proposals_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@workspace_opt
@click.option("--layer", help="Layer inside a multi-layer PROPOSALS_FILE (GeoPackage).")
@ruleset_opt
@as_of_opt
def check_split_cmd(proposals_file, workspace, layer, ruleset, as_of):
    """Check split proposals (分割方案) against 四(八): TT-SPLIT, TT-TRANSFER.

    PROPOSALS_FILE is a GeoPackage, Shapefile or GeoJSON with proposal_id (方案编号), parcel_id
    (宗地代码), part_no and buyer_uscc (受让方统一社会信用代码), one polygon per part — or cut lines
    across the parcel, which are turned into parts. Without it, the workspace's split_proposals
    layer is checked. Prints, per proposal, every condition with its result, measured value and
    limit; a proposal naming an unknown parcel gets an error line and the others are still
    checked.
    """
    from ..analysis.split import check_split
    from ..errors import InputError
    from ..io.proposals import read_split_proposals
    from ..pipeline import base_parcels
    from ..report.condition_table import split_lines
    from ..workspace import load_workspace

    ws = load_workspace(workspace, ruleset=ruleset, as_of=as_of)
    if proposals_file is not None:
        proposals = read_split_proposals(proposals_file, ws, layer)
        source = str(proposals_file)
    else:
        proposals = ws.layer("split_proposals")
        if proposals is None:
            raise InputError("the workspace has no split_proposals layer; give a PROPOSALS_FILE",
                             ws.root / "workspace.toml")
        source = f"{ws.root} (split_proposals)"
    parcels = base_parcels(ws)
    findings, parts = check_split(parcels, ws.layer("buildings"), proposals, ws.ruleset, enterprise_eval(ws, parcels),
                                  as_of=ws.as_of)
    click.echo(_title(ws, "分割方案", source))
    for line in split_lines(findings, parts):
        click.echo(line)


@click.command("check-merge")
@click.argument("proposals_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@workspace_opt
@ruleset_opt
@as_of_opt
def check_merge_cmd(proposals_file, workspace, ruleset, as_of):
    """Check merge proposals (合并方案) against 四(八): TT-MERGE, TT-TRANSFER.

    PROPOSALS_FILE is a .csv or .xlsx table with proposal_id (方案编号), parcel_ids (宗地代码列表,
    joined with ;) and buyer_uscc (受让方统一社会信用代码). Without it, the workspace's
    merge_proposals table is checked. Prints, per proposal, every condition with its result,
    measured value (shared boundary length, the unified term end …) and limit.
    """
    from ..analysis.merge import check_merge
    from ..errors import InputError
    from ..io.proposals import read_merge_proposals
    from ..pipeline import base_parcels
    from ..report.condition_table import merge_lines
    from ..workspace import load_workspace

    ws = load_workspace(workspace, ruleset=ruleset, as_of=as_of)
    if proposals_file is not None:
        proposals = read_merge_proposals(proposals_file, ws)
        source = str(proposals_file)
    else:
        proposals = ws.table("merge_proposals")
        if proposals is None:
            raise InputError("the workspace has no merge_proposals table; give a PROPOSALS_FILE",
                             ws.root / "workspace.toml")
        source = f"{ws.root} (merge_proposals)"
    parcels = base_parcels(ws)
    findings, table = check_merge(parcels, proposals, ws.ruleset, enterprise_eval(ws, parcels), as_of=ws.as_of)
    click.echo(_title(ws, "合并方案", source))
    for line in merge_lines(findings, table):
        click.echo(line)
