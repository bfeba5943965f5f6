"""零星边角地清单 and 零星边角地供地对象: the ``fragments`` and ``fragment_offers`` layers."""

from __future__ import annotations

from .layer_table import layer_table
from .lookups import county_of
from .sheet import COUNTY, Sheet, heading

__all__ = ["OFFERS_SHEET_NAME", "SHEET_NAME", "fragment_sheets"]

SHEET_NAME = "零星边角地清单"
OFFERS_SHEET_NAME = "零星边角地供地对象"


def fragment_sheets(results, ws=None) -> list[Sheet]:
    """The fragments sheet (with 合计 of their areas) and, when published, the sheet of who may take them.

    Parameters
    ----------
    results : Results
    ws : Workspace, optional

    Returns
    -------
    list of Sheet
    """
    frags = results.layer("fragments")
    if frags is None:
        return [Sheet(SHEET_NAME, None, note="未生成 fragments (零星边角地/夹心地) 图层: 零星边角地分析阶段未运行。")]
    frame, kinds = layer_table(frags, "fragments", results, ws, {COUNTY: county_of(results)})
    totals = [h for h in (heading("fragments", "area_m2"), heading("fragments", "area_mu")) if h in frame.columns]
    sheets = [Sheet(SHEET_NAME, frame, kinds, totals=totals)]
    offers = results.layer("fragment_offers")
    if offers is not None:
        oframe, okinds = layer_table(offers, "fragment_offers", results, ws)
        sheets.append(Sheet(OFFERS_SHEET_NAME, oframe, okinds))
    return sheets
