"""The contract between the pipeline and each analysis stage.

A stage is a function ``assess_x(workspace, results) -> StageResult``. It reads the workspace and
what earlier stages produced (``results``), and returns findings, columns to add to the parcels
layer, extra layers or tables, and county metrics (named as in the ruleset's targets). It never
writes files and never imports output code.

What a stage may publish is declared in ``geo_tenglong/data/results_schema.toml``
(:mod:`geo_tenglong.results_schema`); :meth:`geo_tenglong.results.Results.add` checks every
:class:`StageResult` against the declaration and raises ``RuntimeError`` on an undeclared or
missing column, layer, table or metric. A new column, layer or metric is declared there first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd

from .findings import empty_findings

if TYPE_CHECKING:
    from .results import Results
    from .workspace import Workspace


@dataclasses.dataclass
class StageResult:
    """What one analysis stage hands back.

    Attributes
    ----------
    findings : DataFrame
        Built with :func:`geo_tenglong.findings.make_findings`.
    parcel_columns : DataFrame or None
        Indexed by ``parcel_id``; joined onto the ``parcels`` output layer.
    layers : dict
        Extra output layers (GeoDataFrame) or tables (DataFrame) by name, e.g. ``idle_land``.
    metrics : dict
        County metrics (``tax_per_mu``, ``reclaimable_mu`` …) compared with the ruleset targets.
    summary : dict
        Other JSON-serialisable facts the outputs show (counts, totals by park …).
    """

    findings: pd.DataFrame = dataclasses.field(default_factory=empty_findings)
    parcel_columns: pd.DataFrame | None = None
    layers: dict[str, Any] = dataclasses.field(default_factory=dict)
    metrics: dict[str, float] = dataclasses.field(default_factory=dict)
    summary: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Stage:
    """A named analysis stage in the pipeline."""

    name: str
    label: str  # Chinese label shown in progress output
    func: Callable[[Workspace, Results], StageResult]
