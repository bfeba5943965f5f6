"""A results layer shown as declared: every declared column present, in declared order, with its heading."""

from __future__ import annotations

import pandas as pd

from ...results_schema import table_schema
from .lookups import flag_summary, park_names, render, rules_per_row
from .sheet import RULES

__all__ = ["layer_table"]


def layer_table(layer: pd.DataFrame, table: str, results, ws=None,
                lead: dict[str, object] | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """The rows of a declared layer with Chinese headings, and the failed/warned rules of each row.

    Parameters
    ----------
    layer : DataFrame
        The layer (its geometry column, if any, is left out).
    table : str
        Its name in the results schema.
    results : Results
    ws : Workspace, optional
        For park names (a ``park_id`` column shows the park's name).
    lead : dict, optional
        Columns placed first (heading → value or values).

    Returns
    -------
    frame : DataFrame
    kinds : dict
        Heading → number-format kind.
    """
    frame = pd.DataFrame(layer).reset_index(drop=True)
    names = [f.name for f in table_schema(table).fields if f.name in frame.columns]
    out: dict[str, object] = dict(lead or {})
    kinds: dict[str, str] = {}
    for name in names:
        h, vals, k = render(frame, table, name)
        if name == "park_id":
            parks = park_names(results, ws)
            s = frame[name].astype(object)
            vals = s.where(s.isna(), s.astype(str)).map(parks).fillna(s).to_numpy(dtype=object)
        while h in out:  # two declared columns with one label (e.g. 面积 in m² and 亩 differ by unit; others may not)
            h += "_"
        out[h] = vals
        kinds[h] = k
    id_cols = [frame[c] for c in names if c.endswith("_id") and c != "park_id"]
    rules = rules_per_row(flag_summary(results.findings), id_cols, len(frame))
    if rules is not None and id_cols:
        out[RULES] = rules
    return pd.DataFrame(out, index=range(len(frame))), kinds
