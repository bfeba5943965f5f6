"""The single-process engine: every stage in order, in this process."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..stage import StageResult

if TYPE_CHECKING:
    from ..results import Results
    from ..stage import Stage
    from ..workspace import Workspace


def run_stages(ws: Workspace, results: Results, stages: list[Stage],
               progress: Callable[[str], None] | None = None) -> None:
    """Run ``stages`` one after another and add each result to ``results``.

    Parameters
    ----------
    ws : Workspace
    results : Results
    stages : list of Stage
    progress : callable, optional
        Called with each stage's Chinese label before it runs.
    """
    for stage in stages:
        if progress:
            progress(stage.label)
        outcome = stage.func(ws, results)
        results.add(stage.name, outcome if outcome is not None else StageResult())
