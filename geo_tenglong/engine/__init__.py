"""Engines that run the analysis stages on a loaded workspace.

``single`` runs :data:`geo_tenglong.pipeline.STAGES` one after another in this process
(:mod:`.single`); ``dask`` runs the stages that work parcel by parcel on Hilbert-curve partitions
of the parcels on a dask cluster and the others in this process (:mod:`.dask`). Both give the same
results; the pipeline chooses with ``engine=``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..results import Results
    from ..stage import Stage
    from ..workspace import Workspace

#: The engine names ``geo-tenglong run --engine`` accepts.
ENGINES = ("single", "dask")


def run_stages(ws: Workspace, results: Results, stages: list[Stage], progress: Callable[[str], None] | None = None,
               engine: str = "single", scheduler: str | None = None) -> None:
    """Run ``stages`` on ``ws`` and add each one's result to ``results``, in order.

    Parameters
    ----------
    ws : Workspace
    results : Results
        Holds the parcels with their areas; every stage's result is added to it.
    stages : list of Stage
    progress : callable, optional
        Called with each stage's Chinese label before it runs.
    engine : {"single", "dask"}
    scheduler : str, optional
        For ``dask``: the address of a running scheduler (``tcp://host:8786``); without it a local
        cluster of this machine's cores is started for the run.

    Raises
    ------
    ValueError
        For an unknown engine name.
    """
    if engine == "single":
        from .single import run_stages as run_single

        run_single(ws, results, stages, progress)
    elif engine == "dask":
        from .dask import run_stages as run_dask

        run_dask(ws, results, stages, progress, scheduler)
    else:
        raise ValueError(f"unknown engine {engine!r}; expected one of {ENGINES}")
