"""``geo-tenglong ledger``: the 整治台账 file townships fill in — export it, import it back."""

from __future__ import annotations

from pathlib import Path

import click

from .options import quiet_opt

_HISTORY_HELP = ("Run history store holding the 整治台账, or postgresql://user@host:port/db?schema=NAME (the "
                 "history of `run --out` that URL)  [default: history.gpkg in the current folder, beside out/]")


def _history(text: str | None):
    """The store file or database (:func:`geo_tenglong.history.db_store.history_location`)."""
    from ..history.db_store import history_location
    from ..history.store import default_history_path

    return history_location(text) if text is not None else default_history_path("out")


@click.group("ledger")
def ledger_group():
    """The 整治台账 (高耗低效整治, 零增地技改, 留驻优质企业 lists) kept in the run history.

    Each run opens tasks for newly listed enterprises and plans, closes a task whose enterprise or
    plan now meets the rule (达标销号) and reopens one that falls back. Townships fill in 整治方式,
    完成时限, 状态 and 进展说明 in the exported file; `ledger import` merges it back.
    """


@ledger_group.command("export")
@click.option("--history", "history", default=None, metavar="PATH|URL", help=_HISTORY_HELP)
@click.option("--out", "-o", "out", default=Path("整治台账.xlsx"), show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="The xlsx to write.")
@click.option("--township", "townships", multiple=True, metavar="NAME",
              help="Only this township's (乡镇(街道)) tasks; repeat for several.")
@quiet_opt
def export_cmd(history, out, townships, quiet):
    """Write the 整治台账 as an xlsx for townships (drop-downs for 整治方式 and 状态, dates checked).

    A second sheet, 变更记录, lists every change of the tasks (opened, 达标销号 with the reason,
    reopened, filled in); it is for reference and not read back.
    """
    from ..history.db_store import reading
    from ..history.ledger_xlsx import export_ledger

    with reading(_history(history)) as path:
        n = export_ledger(path, out, tuple(townships))
    if not quiet:
        click.echo(f"  wrote {out} ({n} 项任务)")


@ledger_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--history", "history", default=None, metavar="PATH|URL", help=_HISTORY_HELP)
@quiet_opt
def import_cmd(file, history, quiet):
    """Merge a filled-in 整治台账 FILE back (all or nothing; exit 2 naming the refused rows)."""
    from ..history.db_store import changing
    from ..history.ledger_xlsx import import_ledger

    outcome = changing(_history(history), lambda path: import_ledger(file, path))
    if not quiet:
        click.echo(f"  {file}: {outcome.rows} 行, {outcome.changed} 项任务已更新")
