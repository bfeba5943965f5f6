"""``geo-tenglong inspect [WORKSPACE]``: what a workspace holds and how much an analysis can use."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from .options import as_of_opt, ruleset_opt, workspace_arg

if TYPE_CHECKING:
    from ..inspect import Inspection

_COVERAGE_ROWS = [
    ("parcels", "宗地"), ("parcels_industrial", "按用地代码计为工业用地的宗地"),
    ("parcels_without_land_use", "无用地代码的宗地"), ("parcels_with_holder", "有权利人信用代码的宗地"),
    ("parcels_holder_matched", "权利人与亩均数据匹配的工业用地宗地"), ("enterprises", "亩均数据中的企业"),
    ("enterprises_without_land", "无对应宗地(权利人或租户)的企业"), ("buildings", "建筑物"),
    ("buildings_matched", "与宗地匹配的建筑物"), ("buildings_by_location", "  其中按位置匹配"),
    ("industrial_parcels_with_buildings", "有建筑物的工业用地宗地"), ("contracts", "出让合同/划拨决定书"),
    ("contracts_matched", "与宗地匹配的合同"), ("tenancy_matched", "与宗地匹配的一地多企记录"),
]


def _fmt(v) -> str:
    return "—(无此数据)" if v is None else str(v)


def _print(ins: Inspection) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{ins.county}[/bold]  规则集 {ins.ruleset}  基准日 {ins.as_of}  坐标系 {ins.crs}  ({ins.root})")
    t = Table(title="图层与表格", show_lines=False)
    for col in ("名称", "文件", "行数", "坐标系", "字段映射", "缺少的字段", "未知字段"):
        t.add_column(col, overflow="fold")
    for s in ins.sources:
        t.add_row(f"{s.name} {s.label}", s.path, str(s.rows), s.crs or "",
                  ", ".join(f"{a}→{b}" for a, b in s.mapping.items()), ", ".join(s.missing), ", ".join(s.unknown))
    console.print(t)
    c = ins.coverage
    cov = Table(title="数据覆盖")
    cov.add_column("指标")
    cov.add_column("数量", justify="right")
    for key, label in _COVERAGE_ROWS:
        cov.add_row(label, _fmt(getattr(c, key)))
    cov.add_row("工业用地代码", ", ".join(c.industrial_codes))
    cov.add_row("亩均数据年度", ", ".join(map(str, c.enterprise_years)) or "—")
    for k, n in {**c.unreadable_dates, **c.unreadable_numbers}.items():
        cov.add_row(f"无法识别的值 {k}", str(n))
    cov.add_row(f"申报面积与图形面积不符(容差 {c.area_tolerance})", str(len(c.area_mismatch)))
    cov.add_row("读取时发现的数据问题", str(ins.data_issues))
    console.print(cov)
    for m in c.area_mismatch[:10]:
        declared = m.get("declared_m2", m.get("declared_mu"))
        geom = m.get("geometry_m2", m.get("geometry_mu"))
        unit = "m²" if "declared_m2" in m else "亩"
        console.print(f"  面积不符 {m['source']} {m['id']}: 申报 {declared} {unit}, 图形 {geom} {unit}")
    for line in c.notes():
        console.print(f"[yellow]{line}[/yellow]")
    for line in c.problems():
        console.print(f"[bold red]{line}[/bold red]")


@click.command("inspect")
@workspace_arg
@ruleset_opt
@as_of_opt
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (for scripts).")
def inspect_cmd(workspace, ruleset, as_of, as_json):
    """Read WORKSPACE without analysing it: per layer and table the rows, CRS and field mapping, and
    the coverage (industrial parcels, holders matched to 亩均 rows, buildings and contracts matched,
    unreadable values, declared areas that disagree with the geometry)."""
    from ..inspect import inspect_workspace

    ins = inspect_workspace(workspace, ruleset=ruleset, as_of=as_of)
    if as_json:
        click.echo(json.dumps(ins.to_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        _print(ins)
