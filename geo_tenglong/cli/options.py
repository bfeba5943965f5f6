"""Options and constants shared by several commands."""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import sys
import traceback
import warnings
from pathlib import Path

import click

from ..errors import GeoTenglongError

EXIT_PARTIAL = 1
EXIT_BAD_INPUT = 2


#: Set (to ``"1"``) by the global ``--debug`` option: failures also print their traceback.
DEBUG_ENV = "GEO_TENGLONG_DEBUG"


def os_error_line(exc: OSError) -> str:
    """One line for an operating-system failure (read-only folder, full disk, permission), naming the path.

    Parameters
    ----------
    exc : OSError
        The error; its ``filename`` (and ``filename2``) name the path when the OS reported one.

    Returns
    -------
    str
        ``"无法读写 <path>: <reason>"``, or ``"文件读写失败: <reason>"`` when no path is known.

    Examples
    --------
    >>> import errno
    >>> os_error_line(OSError(errno.ENOSPC, "No space left on device", "out/results.gpkg"))
    '无法读写 out/results.gpkg: No space left on device'
    """
    reason = exc.strerror or str(exc) or type(exc).__name__
    reason = " ".join(str(reason).split())
    path = exc.filename if exc.filename is not None else exc.filename2
    if path is None:
        return f"文件读写失败: {reason}"
    return f"无法读写 {user_path(os.fsdecode(path))}: {reason}"


#: ``atomic_path``'s temporary name: ``.<stem>.<8 random characters><suffix>``.
_ATOMIC_TMP = re.compile(r"^\.(?P<stem>.+)\.[a-z0-9_]{8}(?P<suffix>\.[^.]*)?$")


def user_path(path: str) -> str:
    """The path the user asked for, for a path inside a run's staging tree or an atomic temporary file.

    Examples
    --------
    >>> user_path("/d/.geo-tenglong-staging-20260101T000000-ab12cd34/out/.results.6pgk0_hu.gpkg")
    '/d/out/results.gpkg'
    >>> user_path("out/summary.json")
    'out/summary.json'
    """
    from ..io.staging import STAGING_PREFIX

    parts = [p for p in Path(path).parts if not p.startswith(STAGING_PREFIX)]
    if not parts:
        return path
    m = _ATOMIC_TMP.match(parts[-1])
    if m:
        parts[-1] = m["stem"] + (m["suffix"] or "")
    return str(Path(*parts))


def _debugging(ctx: click.Context) -> bool:
    root = ctx.find_root()
    return bool(root.params.get("debug")) or os.environ.get(DEBUG_ENV) == "1"


class ErrorExitGroup(click.Group):
    """A click group that turns the project's errors and OS errors into one line on stderr and
    exit code 2, whether it runs as ``geo-tenglong`` or on its own (tests, ``python -m``).

    With the global ``--debug`` option (or ``GEO_TENGLONG_DEBUG=1``) the traceback is printed first.
    """

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except GeoTenglongError as exc:
            line = str(exc)
            path = getattr(exc, "path", None)
            if isinstance(path, Path):  # a staged or temporary path: the one the user asked for (not a URL)
                line = line.replace(str(path), user_path(str(path)), 1)
            self._fail(ctx, line)
        except OSError as exc:
            self._fail(ctx, os_error_line(exc))

    @staticmethod
    def _fail(ctx: click.Context, line: str) -> None:
        if _debugging(ctx):
            traceback.print_exc(file=sys.stderr)
        click.echo(f"geo-tenglong: error: {line}", err=True)
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
