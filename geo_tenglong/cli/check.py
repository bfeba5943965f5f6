"""``geo-tenglong check-split`` / ``check-merge``: check split and merge proposals against 四(八).

Thin wrappers over :func:`geo_tenglong.analysis.split.check_split` and
:func:`~geo_tenglong.analysis.merge.check_merge`: read the workspace (parcels, buildings,
ruleset) and a proposal file (or the workspace's own ``split_proposals`` / ``merge_proposals``),
and print one table per proposal, condition by condition, in Chinese
(条件 / 结果 / 实测值 / 限值 / 说明).
"""

from __future__ import annotations

import math
import unicodedata
from pathlib import Path

import click
import geopandas as gpd
import pandas as pd

from .. import crs as gk
from ..analysis.merge import check_merge
from ..analysis.split import check_split
from ..errors import InputError
from ..findings import STATUS_LABELS
from ..io.aliases import map_headers
from ..io.columns import coerce_columns
from ..io.layers import read_layer
from ..io.schema import LAYERS, TABLES
from ..io.tables import read_table
from ..workspace import Workspace, load_workspace
from .options import DEFAULT_WORKSPACE, as_of_opt, ruleset_opt

SPLIT_SUFFIXES = {".gpkg", ".shp", ".geojson", ".json", ".parquet", ".geoparquet"}
MERGE_SUFFIXES = {".csv", ".xlsx", ".xlsm"}
HEADER = ("条件", "结果", "实测值", "限值", "说明")

workspace_opt = click.option("--workspace", "-w", default=str(DEFAULT_WORKSPACE), show_default=True,
                             type=click.Path(file_okay=False, path_type=Path),
                             help="Workspace folder (parcels, buildings, ruleset, as-of date).")


# ----------------------------------------------------------------------------------------------
# reading proposals and the buyer classes
# ----------------------------------------------------------------------------------------------

def read_split_proposals(path: str | Path, ws: Workspace, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a split proposal file (parts as polygons, or cut lines) into the workspace CRS.

    Parameters
    ----------
    path : str or Path
        GeoPackage, Shapefile, GeoJSON or GeoParquet with ``proposal_id``, ``parcel_id`` and
        optionally ``part_no``, ``buyer_uscc`` (Chinese headers per the aliases).
    ws : Workspace
        Gives the CRS and the header aliases.
    layer : str, optional
        Layer inside a multi-layer file.

    Returns
    -------
    GeoDataFrame

    Raises
    ------
    InputError
        For an unsupported format, a missing column, or coordinates whose CRS cannot be told.
    """
    path = Path(path)
    if path.suffix.lower() not in SPLIT_SUFFIXES:
        raise InputError(f"unsupported split proposal format {path.suffix!r}; expected .gpkg, .shp or .geojson", path)
    gdf = read_layer(path, layer=layer)
    gdf = gdf.rename(columns=map_headers([c for c in gdf.columns if c != gdf.geometry.name], ws.aliases))
    gdf = gdf.loc[:, ~gdf.columns.duplicated()]
    if gdf.crs is None and len(gdf):
        b = gdf.geometry.bounds
        try:
            gdf = gdf.set_crs(gk.detect_crs(b[["minx", "maxx"]].to_numpy().ravel(), b[["miny", "maxy"]].to_numpy().ravel()))
        except ValueError as exc:
            raise InputError(f"the file has no CRS and its coordinates do not give the zone away ({exc})", path) from None
    if gdf.crs is not None and not gdf.crs.equals(ws.crs):
        gdf = gdf.to_crs(ws.crs)
    return gpd.GeoDataFrame(coerce_columns(gdf, LAYERS["split_proposals"], path, row_offset=1, row_word="feature"),
                            crs=ws.crs)


def read_merge_proposals(path: str | Path, ws: Workspace) -> pd.DataFrame:
    """Read a merge proposal table (``.csv`` or ``.xlsx``: 方案编号, 宗地代码列表 ``;``-joined, 受让方…)."""
    path = Path(path)
    if path.suffix.lower() not in MERGE_SUFFIXES:
        raise InputError(f"unsupported merge proposal format {path.suffix!r}; expected .csv or .xlsx", path)
    return read_table(path, TABLES["merge_proposals"], aliases=ws.aliases)


def enterprise_eval(ws: Workspace, parcels: gpd.GeoDataFrame) -> pd.DataFrame | None:
    """The ``enterprise_eval`` table, by running the pipeline's ``efficiency`` stage (``None`` if absent)."""
    from ..pipeline import STAGES
    from ..results import Results

    stage = next((s for s in STAGES if s.name == "efficiency"), None)
    if stage is None or ws.table("enterprises") is None:
        return None
    results = Results(info={}, parcels=parcels.copy())
    outcome = stage.func(ws, results)
    return None if outcome is None else outcome.layers.get("enterprise_eval")


# ----------------------------------------------------------------------------------------------
# printing
# ----------------------------------------------------------------------------------------------

def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _value(row) -> str:
    v = row["value"]
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    unit = row["unit"] or ""
    digits = {"亩": 4, "m²": 2, "m": 2, "年": 0}.get(unit, 0 if float(v).is_integer() else 2)
    return f"{v:.{digits}f} {unit}".strip()


def format_table(findings: pd.DataFrame, proposal_id: str) -> list[str]:
    """The lines of one proposal's condition table (条件 / 结果 / 实测值 / 限值 / 说明)."""
    sub = findings[findings["parcel_id"] == proposal_id]
    body = []
    for _, r in sub.iterrows():
        message = str(r["message"])
        prefix = f"{r['condition']}: "
        message = message.removeprefix(prefix)
        body.append((str(r["condition"]), STATUS_LABELS.get(r["status"], r["status"]), _value(r),
                     "" if pd.isna(r["limit"]) else str(r["limit"]), f"{message} [{r['rule_id']} {r['clause']}]".strip()))
    widths = [max(_width(x[i]) for x in [HEADER, *body]) for i in range(4)]
    lines = ["  " + "  ".join(_pad(h, w) for h, w in zip(HEADER[:4], widths)) + "  " + HEADER[4]]
    lines.append("  " + "  ".join("-" * w for w in widths) + "  " + "-" * 4)
    for row in body:
        lines.append("  " + "  ".join(_pad(c, w) for c, w in zip(row[:4], widths)) + "  " + row[4])
    return lines


def _verdict_label(verdict: str) -> str:
    return {"pass": "符合", "fail": "不符合", "missing_data": "数据缺失,待补充", "not_applicable": "不适用"}.get(verdict, verdict)


# ----------------------------------------------------------------------------------------------
# the commands
# ----------------------------------------------------------------------------------------------

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
    from ..pipeline import base_parcels

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
    click.echo(f"{ws.county} 分割方案核查 — {ws.ruleset.name} 四(八), 基准日 {ws.as_of.isoformat()}, {source}")
    ids = list(dict.fromkeys(parts["proposal_id"]))
    for pid in ids:
        sub = parts[parts["proposal_id"] == pid]
        areas = " / ".join("—" if pd.isna(a) else f"{a:.4f}" for a in sub["area_mu"])
        buyers = "、".join(dict.fromkeys(b for b in sub["buyer_uscc"].dropna())) or "未填"
        click.echo("")
        click.echo(f"方案 {pid}: 宗地 {sub['parcel_id'].iloc[0] if sub['parcel_id'].notna().any() else '未填'}, "
                   f"{len(sub)} 块 ({areas} 亩), 受让方 {buyers} — 结论: {_verdict_label(sub['verdict'].iloc[0])}")
        for line in format_table(findings, pid):
            click.echo(line)
    verdicts = parts.drop_duplicates("proposal_id")["verdict"].map(_verdict_label).value_counts()
    click.echo("")
    click.echo(f"共 {len(ids)} 个分割方案: " + ", ".join(f"{k} {v}" for k, v in verdicts.items()))


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
    from ..pipeline import base_parcels

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
    click.echo(f"{ws.county} 合并方案核查 — {ws.ruleset.name} 四(八), 基准日 {ws.as_of.isoformat()}, {source}")
    for _, row in table.iterrows():
        click.echo("")
        area = "" if pd.isna(row["area_mu"]) else f", 合计 {row['area_mu']:.4f} 亩"
        term = "" if pd.isna(row["unified_term_end"]) else f", 合并后使用期限至 {row['unified_term_end']}"
        click.echo(f"方案 {row['proposal_id']}: 宗地 {row['parcel_ids'] if pd.notna(row['parcel_ids']) else '未填'}"
                   f"{area}{term}, 受让方 {row['buyer_uscc'] if pd.notna(row['buyer_uscc']) else '未填'}"
                   f" — 结论: {_verdict_label(row['verdict'])}")
        for line in format_table(findings, row["proposal_id"]):
            click.echo(line)
    verdicts = table["verdict"].map(_verdict_label).value_counts()
    click.echo("")
    click.echo(f"共 {len(table)} 个合并方案: " + ", ".join(f"{k} {v}" for k, v in verdicts.items()))
