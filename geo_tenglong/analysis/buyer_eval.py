"""The 亩均评价 table a split or merge check reads the buyers' classes from, outside a full run.

``geo-tenglong check-split`` / ``check-merge`` check proposals without running the whole
pipeline; they still need the ``enterprise_eval`` table (the buyer's 上一年度 class for
TT-TRANSFER), which only the ``efficiency`` stage computes. :func:`enterprise_eval` runs just that
stage on the workspace.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from ..workspace import Workspace

__all__ = ["enterprise_eval"]


def enterprise_eval(ws: Workspace, parcels: gpd.GeoDataFrame) -> pd.DataFrame | None:
    """The ``enterprise_eval`` table, by running the pipeline's ``efficiency`` stage alone.

    Parameters
    ----------
    ws : Workspace
        Needs the ``enterprises`` table.
    parcels : GeoDataFrame
        The base parcels (``pipeline.base_parcels``); copied, not changed.

    Returns
    -------
    DataFrame or None
        ``None`` when the workspace has no ``enterprises`` table, the pipeline has no efficiency
        stage, or the stage publishes no ``enterprise_eval`` table.
    """
    from ..pipeline import STAGES
    from ..results import Results

    stage = next((s for s in STAGES if s.name == "efficiency"), None)
    if stage is None or ws.table("enterprises") is None:
        return None
    results = Results(info={}, parcels=parcels.copy())
    outcome = stage.func(ws, results)
    return None if outcome is None else outcome.layers.get("enterprise_eval")
