"""``geo-tenglong init FOLDER``: propose a commented workspace.toml for a county's own files."""

from __future__ import annotations

from pathlib import Path

import click

#: The inputs most analyses need; init names those it did not find.
_MAIN = ("parcels", "buildings", "enterprises", "contracts", "tenancy")


@click.command("init")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--output", "-o", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: FOLDER/workspace.toml); paths inside are relative to it.")
@click.option("--force", is_flag=True, help="Overwrite an existing workspace.toml.")
def init_cmd(folder, out, force):
    """Look at every file in FOLDER and write a commented workspace.toml.

    Recognises 宗地/自然幢/地类图斑/三区三线/控规 layers (GeoPackage, Shapefile with or without .cpg,
    FileGDB, GeoJSON, GeoParquet), 亩均/出让合同 tables (.xlsx, .csv), land-cover GeoTIFFs and
    界址点 files, by name, fields and values. Every guess is written with its evidence.
    """
    from ..init import init_workspace
    from ..io.schema import LAYERS, TABLES

    result = init_workspace(folder, out, force=force)
    placed = result.placed
    order = [n for n in (*LAYERS, *TABLES) if n in placed]
    click.echo(f"已写入 {result.path}")
    click.echo(f"  识别 {len(placed)} 个图层/表格: {', '.join(order)}")
    absent = [f"{n}({(LAYERS.get(n) or TABLES[n]).label})" for n in _MAIN if n not in placed]
    if absent:
        click.echo(f"  未找到: {', '.join(absent)} —— 相关分析将报告数据不足")
    for key in ("county", "ruleset", "as_of", "crs"):
        s = result.settings.get(key)
        click.echo(f"  {key} = {s.value}  ({s.evidence})" if s else f"  {key} = ?  (未能从数据判断,请在文件中填写)")
    if result.unplaced:
        click.echo(f"  未能识别 {len(result.unplaced)} 个: {', '.join(result.unplaced)}")
    missing = [f"{g.target}: {', '.join(g.missing)}" for g in placed.values() if g.missing]
    if "parcels" not in placed:
        click.echo("  缺少宗地图层(parcels),请在 [layers] 中填写")
    for m in missing:
        click.echo(f"  缺少必需字段 {m}")
    click.echo(f"下一步: geo-tenglong inspect {result.path.parent}")
