"""闲置土地清单: the ``idle_land`` layer with the parcel's place, right holder and the rules it fails."""

from __future__ import annotations

import pandas as pd

from .lookups import county_of, flag_summary, parcel_place, places_of, render
from .sheet import COUNTY, RULES, Sheet, heading

__all__ = ["SHEET_NAME", "idle_sheet"]

SHEET_NAME = "闲置土地清单"

_T = "idle_land"
_IDLE_COLUMNS = ("idle_rule", "idle_kind", "idle_tier", "idle_days", "idle_fee_wan", "land_price_wan", "recover_candidate",
                 "developed_share", "invested_share", "idle_gov_cause", "built_share_first", "built_share_last",
                 "bare_share_last")


def idle_sheet(results, ws=None) -> Sheet:
    """One row per parcel of ``idle_land``.

    Parameters
    ----------
    results : Results
    ws : Workspace, optional
        For park names.

    Returns
    -------
    Sheet
        :data:`~.sheet.NO_DATA` when the idle stage published no layer.
    """
    idle = results.layer(_T)
    if idle is None:
        return Sheet(SHEET_NAME, None, note="未生成 idle_land (闲置土地) 图层: 闲置土地分析阶段未运行或缺少出让合同数据。")
    idle = pd.DataFrame(idle).reset_index(drop=True)
    ids = idle["parcel_id"].astype(str)
    place = parcel_place(results, ws)
    p = results.parcels
    parcels = pd.DataFrame(p.drop(columns=p.geometry.name)).drop_duplicates("parcel_id")
    parcels = parcels.set_index(parcels["parcel_id"].astype(str)).reindex(ids.to_numpy()).reset_index(drop=True)
    area = heading("enterprise_eval", "land_mu")  # the parcel's area, headed as the 亩均 lists head land
    data: dict[str, object] = {
        COUNTY: county_of(results),
        heading("parcels", "township"): places_of(place, ids, "township"),
        heading("parcels", "park_id"): places_of(place, ids, "park"),
    }
    kinds: dict[str, str] = {}
    for table, frame, name in [("idle_land", idle, "parcel_id"), ("parcels", parcels, "owner_name"),
                               ("parcels", parcels, "owner_uscc"), ("parcels", parcels, "area_mu")] + \
            [("idle_land", idle, c) for c in _IDLE_COLUMNS] + [("parcels", parcels, "status"), ("idle_land", idle, "evidence")]:
        h, vals, k = render(frame, table, name)
        if name == "area_mu":
            h = area
        data[h] = vals
        kinds[h] = k
    flags = flag_summary(results.findings)
    data[RULES] = ids.map(flags).to_numpy(dtype=object) if len(flags) else None
    frame = pd.DataFrame(data, index=range(len(idle)))
    return Sheet(SHEET_NAME, frame, kinds, totals=[area, heading(_T, "idle_fee_wan")])
