"""The run lock for commands that read a run's results or write beside them (``map``, ``report``).

``geo-tenglong run`` swaps its output folders whole under a lock (:mod:`geo_tenglong.io.runlock`,
:mod:`geo_tenglong.io.staging`). A command writing into one of those folders, or reading the
``results.gpkg`` in one, takes the same lock, so it never writes into a folder being swapped nor
reads ``results.gpkg`` of one run and ``summary.json`` of the next.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import click

from ..io.runlock import lock_folder_for, output_lock


def results_folder(source: str | Path | None) -> Path | None:
    """The folder of the run results ``source`` names (a results.gpkg or its folder); ``None`` otherwise."""
    if source is None:
        return None
    path = Path(str(source))
    if path.is_file():
        return path.parent
    if (path / "results.gpkg").is_file():
        return path
    return None


@contextlib.contextmanager
def command_locks(*folders: str | Path | None, wait: bool = False, quiet: bool = False) -> Iterator[None]:
    """Hold the run lock of every folder given (``None`` skipped), in path order.

    A stale lock of a dead process is taken over with one warning line on stderr (none under
    ``quiet``).

    Raises
    ------
    LockBusy
        When a live run holds one of the locks and ``wait`` is false (one line naming its pid).
    """
    locked = sorted({lock_folder_for(f) for f in folders if f is not None})
    notes: list[str] = []
    with contextlib.ExitStack() as stack:
        for folder in locked:
            stack.enter_context(output_lock(folder, run_id="", wait=wait, notes=notes))
        if not quiet:
            for note in dict.fromkeys(notes):
                click.echo(f"geo-tenglong: 警告: {note}", err=True)
        yield
