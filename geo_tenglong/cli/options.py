"""Options and constants shared by several commands."""

from __future__ import annotations

from pathlib import Path

import click

EXIT_PARTIAL = 1
EXIT_BAD_INPUT = 2

#: The bundled sample county, the default workspace.
DEFAULT_WORKSPACE = Path("layers")

workspace_arg = click.argument("workspace", required=False, default=str(DEFAULT_WORKSPACE),
                               type=click.Path(file_okay=False, path_type=Path))
ruleset_opt = click.option("--ruleset", metavar="NAME|PATH",
                           help="Ruleset (规则集): a built-in name (tiantai-2022, deqing-2021) or a TOML file; "
                                "overrides workspace.toml.")
as_of_opt = click.option("--as-of", metavar="YYYY-MM-DD", help="As-of date (评价基准日); overrides workspace.toml.")
quiet_opt = click.option("--quiet", "-q", is_flag=True, help="No progress output.")
