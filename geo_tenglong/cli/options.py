"""Options and constants shared by several commands."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import GeoTenglongError

EXIT_PARTIAL = 1
EXIT_BAD_INPUT = 2


class ErrorExitGroup(click.Group):
    """A click group that turns the project's errors into one line on stderr and exit code 2,
    whether it runs as ``geo-tenglong`` or on its own (tests, ``python -m``)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except GeoTenglongError as exc:
            click.echo(f"geo-tenglong: error: {exc}", err=True)
            sys.exit(EXIT_BAD_INPUT)

#: The bundled sample county, the default workspace.
DEFAULT_WORKSPACE = Path("layers")

workspace_arg = click.argument("workspace", required=False, default=str(DEFAULT_WORKSPACE),
                               type=click.Path(file_okay=False, path_type=Path))
ruleset_opt = click.option("--ruleset", metavar="NAME|PATH",
                           help="Ruleset (规则集): a built-in name (tiantai-2022, deqing-2021) or a TOML file; "
                                "overrides workspace.toml.")
as_of_opt = click.option("--as-of", metavar="YYYY-MM-DD", help="As-of date (评价基准日); overrides workspace.toml.")
quiet_opt = click.option("--quiet", "-q", is_flag=True, help="No progress output.")
