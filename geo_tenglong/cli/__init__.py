"""The ``geo-tenglong`` command: a click group whose commands are thin wrappers over the library.

Exit codes: 0 success; 1 partial failure (e.g. some files of a folder failed); 2 bad input, with a
one-line reason naming the file and the row, feature or key.
"""

from __future__ import annotations

import click

from .. import __version__
from .options import ErrorExitGroup


@click.group(cls=ErrorExitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="geo-tenglong")
def main():
    """geo-tenglong — 腾笼换鸟 land analysis for county planning bureaus.

    Reads a workspace (宗地 parcels, 亩均效益 enterprise tables, 出让合同 contracts, buildings,
    imagery, 三区三线 layers), applies the county's ruleset, and writes findings, Excel lists
    (清单), parcel reports (宗地分析报告) and an offline briefing web map.
    """


from .check import check_merge_cmd, check_split_cmd
from .coords import coords
from .init import init_cmd
from .map import map_cmd
from .report import report_cmd
from .ruleset import ruleset_group
from .run import run_cmd

main.add_command(run_cmd)
main.add_command(ruleset_group)
main.add_command(coords)
main.add_command(init_cmd)
main.add_command(check_split_cmd)
main.add_command(check_merge_cmd)
main.add_command(map_cmd)
main.add_command(report_cmd)
