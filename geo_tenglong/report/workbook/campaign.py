"""The campaign's lists and contract checks: 整治清单, 零增地技改项目清单, 标准地履约监管, 到期续签.

Each sheet renders a layer of the ledger_lists, zero_land, standard_land or renewal stage as
declared (:func:`~.layer_table.layer_table`) and appears when the county's ruleset has its rule
(or the layer exists); without data it says :data:`~.sheet.NO_DATA`. The 整治清单 shows who this
run lists; the tasks' statuses (what townships filled in, what the data closed) are in the history's
整治台账 (``geo-tenglong ledger export``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from ...values import yes_no_series
from .layer_table import layer_table
from .lookups import county_of, has_rule
from .sheet import COUNTY, Sheet, heading

__all__ = ["CAMPAIGN_SHEETS", "campaign_sheets"]

#: Sheet name → (layer, rule ids that bring it, why it may be missing).
CAMPAIGN_SHEETS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "整治清单": ("ledger_lists", ("TT-LEDGER", "DQ-LEDGER", "TT-RETAIN", "TT-ZERO-LIST"),
                 "未生成 ledger_lists (整治台账清单) 表: 缺少亩均效益评价结果。"),
    "零增地技改项目清单": ("zero_land", ("TT-ZERO",), "未生成 zero_land 表: 缺少零增地技改方案图层(renovations)。"),
    "标准地履约监管": ("standard_land", ("TT-STD", "DQ-STD"), "未生成 standard_land 表: 缺少出让合同表(contracts)。"),
    "到期续签": ("renewal", ("TT-RENEW", "DQ-STD"), "未生成 renewal 表: 宗地图层缺少土地使用期限(term_end)。"),
}
#: Columns summed in a 合计 row, by layer.
_TOTALS = {"renewal": ("area_mu",)}


def _sheet(name: str, layer_name: str, note: str, results, ws) -> Sheet:
    layer = results.layer(layer_name)
    if layer is None:
        return Sheet(name, None, note=note)
    layer = pd.DataFrame(layer).reset_index(drop=True)
    if layer_name == "ledger_lists":  # the lists as they stand: who is listed now, by list and township
        layer = layer[yes_no_series(layer["listed"]).fillna(False).to_numpy(dtype=bool)].sort_values(["list", "township", "task_id"], kind="stable")
        layer = layer.drop(columns=["listed"]).reset_index(drop=True)
    frame, kinds = layer_table(layer, layer_name, results, ws, lead={COUNTY: county_of(results)})
    totals = [heading(layer_name, c) for c in _TOTALS.get(layer_name, ())]
    return Sheet(name, frame, kinds, totals=totals)


def campaign_sheets(results, ws=None) -> Iterator[Sheet]:
    """The campaign sheets the county's ruleset calls for, in :data:`CAMPAIGN_SHEETS` order.

    Parameters
    ----------
    results : Results
    ws : Workspace, optional
        For the ruleset and park names.

    Yields
    ------
    Sheet
    """
    for name, (layer_name, rules, note) in CAMPAIGN_SHEETS.items():
        if results.layer(layer_name) is not None or has_rule(results, ws, rules):
            yield _sheet(name, layer_name, note, results, ws)
