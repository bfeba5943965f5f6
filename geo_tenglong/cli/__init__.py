"""The ``geo-tenglong`` command: a click group whose commands are thin wrappers over the library.

Exit codes: 0 success; 1 partial failure (e.g. some files of a folder failed); 2 bad input, with a
one-line reason naming the file and the row, feature or key.
"""

from __future__ import annotations

import sys

import click

from .. import __version__
from ..errors import GeoTenglongError
from .options import EXIT_BAD_INPUT


class _Group(click.Group):
    """A click group that turns the project's errors into one line on stderr and exit code 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except GeoTenglongError as exc:
            click.echo(f"geo-tenglong: error: {exc}", err=True)
            sys.exit(EXIT_BAD_INPUT)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="geo-tenglong")
def main():
    """geo-tenglong — 腾笼换鸟 land analysis for county planning bureaus.

    Reads a workspace (宗地 parcels, 亩均效益 enterprise tables, 出让合同 contracts, buildings,
    imagery, 三区三线 layers), applies the county's ruleset, and writes findings, Excel lists
    (清单), parcel reports (宗地分析报告) and an offline briefing web map.
    """


from .check import check_merge_cmd, check_split_cmd  # noqa: E402
from .coords import coords  # noqa: E402
from .map import map_cmd  # noqa: E402
from .report import report_cmd  # noqa: E402
from .run import run_cmd  # noqa: E402
from .ruleset import ruleset_group  # noqa: E402

main.add_command(run_cmd)
main.add_command(ruleset_group)
main.add_command(coords)
main.add_command(check_split_cmd)
main.add_command(check_merge_cmd)
main.add_command(map_cmd)
main.add_command(report_cmd)
