"""The ``geo-tenglong`` command: a click group whose commands are thin wrappers over the library.

Exit codes: 0 success; 1 partial failure (e.g. some files of a folder failed); 2 bad input, with a
one-line reason naming the file and the row, feature or key.

Commands are registered lazily (:data:`LAZY_COMMANDS`: name → ``"module:attribute"`` and the line
``--help`` shows), so ``geo-tenglong --help`` imports no command module, and a command's module
imports the library (geopandas, matplotlib …) inside the command function: ``--help`` stays fast.
"""

from __future__ import annotations

import click

from .. import __version__
from .options import LazyGroup

#: Subcommands imported when used: name → (``"module:attribute"``, one-line help for ``--help``).
#: A new command is one line here (keep its module's library imports inside the function).
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("geo_tenglong.cli.run:run_cmd", "Run every analysis on a workspace and write every output."),
    "sample": ("geo_tenglong.cli.sample:sample_cmd", "Write the bundled sample county (样例数据) into a folder."),
    "init": ("geo_tenglong.cli.init:init_cmd", "Write workspace.toml for a folder of a bureau's files."),
    "inspect": ("geo_tenglong.cli.inspect:inspect_cmd", "Read a workspace without analysing it: fields and coverage."),
    "map": ("geo_tenglong.cli.map:map_cmd", "Write the offline briefing map (汇报地图)."),
    "report": ("geo_tenglong.cli.report:report_cmd", "Write 宗地分析报告 (HTML and PDF) for named parcels."),
    "check-split": ("geo_tenglong.cli.check:check_split_cmd", "Check split proposals (分割方案) against 四(八)."),
    "check-merge": ("geo_tenglong.cli.check:check_merge_cmd", "Check merge proposals (合并方案) against 四(八)."),
    "coords": ("geo_tenglong.cli.coords:coords", "界址点坐标交换格式 files: import, export, 界址点成果表."),
    "ruleset": ("geo_tenglong.cli.ruleset:ruleset_group", "List, show and check county rulesets (规则集)."),
    "ledger": ("geo_tenglong.cli.ledger:ledger_group", "整治台账: export the file townships fill in, import it back."),
    "bulletin": ("geo_tenglong.cli.bulletin:bulletin_cmd", "Write the 季度通报 (quarterly bulletin) from the run history."),
}


@click.group(cls=LazyGroup, lazy_commands=LAZY_COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="geo-tenglong")
@click.option("--debug", is_flag=True, help="On a failure, also print the Python traceback (for bug reports).")
def main(debug: bool = False):
    """geo-tenglong — 腾笼换鸟 land analysis for county planning bureaus.

    Reads a workspace (宗地 parcels, 亩均效益 enterprise tables, 出让合同 contracts, buildings,
    imagery, 三区三线 layers), applies the county's ruleset, and writes findings, Excel lists
    (清单), parcel reports (宗地分析报告) and an offline briefing web map.
    """

