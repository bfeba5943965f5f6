"""Options and constants shared by several commands."""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import warnings
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

class LazyGroup(ErrorExitGroup):
    """An :class:`ErrorExitGroup` whose subcommands are imported only when run or asked for help.

    Parameters
    ----------
    lazy_commands : dict
        Command name → (``"module:attribute"``, the one-line help shown in the group's ``--help``).
    """

    def __init__(self, *args, lazy_commands: dict[str, tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self.lazy_commands))

    def get_command(self, ctx, cmd_name):
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            module, _, attr = self.lazy_commands[cmd_name][0].partition(":")
            self.add_command(getattr(importlib.import_module(module), attr), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx, formatter):
        """The command list from the registry's help lines, importing nothing."""
        rows = []
        for name in self.list_commands(ctx):
            if name in self.commands:
                cmd = self.commands[name]
                if cmd.hidden:
                    continue
                rows.append((name, cmd.get_short_help_str(limit=formatter.width - 6 - len(name))))
            else:
                rows.append((name, self.lazy_commands[name][1]))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


#: Set while a command runs with ``--quiet``: library code prints no warning lines.
QUIET_ENV = "GEO_TENGLONG_QUIET"


@contextlib.contextmanager
def _env_set(name: str, value: str):
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


def _quiet(ctx: click.Context, _param, value: bool) -> bool:
    """``--quiet``: also silence Python warnings and the library's warning lines while the command runs."""
    if value:
        ctx.with_resource(warnings.catch_warnings())
        warnings.simplefilter("ignore")
        ctx.with_resource(_env_set(QUIET_ENV, "1"))
    return value


#: The bundled sample county, the default workspace.
DEFAULT_WORKSPACE = Path("layers")

workspace_arg = click.argument("workspace", required=False, default=str(DEFAULT_WORKSPACE),
                               type=click.Path(file_okay=False, path_type=Path))
ruleset_opt = click.option("--ruleset", metavar="NAME|PATH",
                           help="Ruleset (规则集): a built-in name (tiantai-2022, deqing-2021) or a TOML file; "
                                "overrides workspace.toml.")
as_of_opt = click.option("--as-of", metavar="YYYY-MM-DD", help="As-of date (评价基准日); overrides workspace.toml.")
quiet_opt = click.option("--quiet", "-q", is_flag=True, callback=_quiet,
                         help="No progress output and no warnings (errors are still reported).")
