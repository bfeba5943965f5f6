"""Progress display for long runs: a rich progress bar, silent under ``--quiet`` and in CI."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress


class Progress:
    """A step counter shown as a progress bar on stderr; it vanishes when the work ends.

    Parameters
    ----------
    total : int
        Number of steps.
    quiet : bool
        Show nothing.
    """

    def __init__(self, total: int, quiet: bool = False):
        self.quiet = quiet
        self._bar: RichProgress | None = None
        self._task: TaskID | None = None
        self._total = total

    def __enter__(self) -> Progress:
        if not self.quiet:
            self._bar = RichProgress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                                     TimeElapsedColumn(), console=Console(stderr=True), transient=True)
            self._bar.__enter__()
            self._task = self._bar.add_task("", total=self._total)
        return self

    def step(self, label: str) -> None:
        """Advance by one step and show ``label``."""
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, advance=1, description=label)

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
