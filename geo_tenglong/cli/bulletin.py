"""``geo-tenglong bulletin``: the 季度通报 from the run history."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from .options import quiet_opt, ruleset_opt


def _date(_ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected a date YYYY-MM-DD, got {value!r}", param=param) from None


@click.command("bulletin")
@click.option("--history", "history", default="history.gpkg", show_default=True, metavar="PATH|URL",
              help="The run history store `run` records into (history.gpkg beside its OUT folder), or "
                   "postgresql://user@host:port/db?schema=NAME: the history of `run --out` that URL.")
@click.option("--from", "date_from", default=None, metavar="DATE", callback=_date,
              help="Start of the period: the first run on or after DATE (default: the run before the last).")
@click.option("--to", "date_to", default=None, metavar="DATE", callback=_date,
              help="End of the period: the last run on or before DATE (default: the latest run).")
@click.option("--out", "-o", "out_dir", default=Path("out"), show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for 季度通报_<date>.html/.pdf.")
@click.option("--no-pdf", is_flag=True, help="HTML only (no Chromium needed).")
@ruleset_opt
@quiet_opt
def bulletin_cmd(history, date_from, date_to, out_dir, no_pdf, ruleset, quiet):
    """Write the 季度通报 (HTML and A4 PDF) from the run history.

    Progress on every target since the previous run and since the first recorded run (the 腾出
    targets count land and enterprises actually freed, the candidate pool beside them); the land
    freed in the period, each parcel with how (分割, 合并, 收回, 回收流转, 评价提档, 提质增效);
    new idle land; parcels and enterprises whose class moved; and the 赛马 of townships and parks
    on the measures the ruleset's TT-ASSESS / DQ-ASSESS names, the bottom ones marked 通报约谈.
    Needs at least two recorded runs in the period (exit 2 otherwise).
    """
    from ..history.db_store import history_location, reading
    from ..report.bulletin import write_bulletin
    from ..rules import load_ruleset

    spec = load_ruleset(ruleset) if ruleset else None
    location = history_location(history)
    with reading(location) as path:
        written = write_bulletin(path, out_dir, date_from, date_to, ruleset=spec, pdf=not no_pdf,
                                 label=None if path == location else str(history))
    if not quiet:
        for path in written:
            click.echo(f"  wrote {path}")
