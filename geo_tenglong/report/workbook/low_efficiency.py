"""低效企业与低效用地清单: every parcel of a low-efficiency enterprise or reclaimable, with the rules it fails."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .lookups import county_of, flag_summary, parcel_place, places_of, render
from .sheet import COUNTY, ENTERPRISE_NAME, RULES, Sheet, heading, kind

__all__ = ["SHEET_NAME", "low_efficiency_sheet"]

SHEET_NAME = "低效企业与低效用地清单"

_P = "parcels"
_FLAGS = ("low_efficiency", "reclaimable")


def low_efficiency_sheet(results, ws=None) -> Sheet:
    """The list of low-efficiency and reclaimable parcels, by township, park and parcel id.

    Parameters
    ----------
    results : Results
    ws : Workspace, optional
        For park names.

    Returns
    -------
    Sheet
        :data:`~.sheet.NO_DATA` when neither the efficiency nor the reclaim stage ran.
    """
    p = results.parcels
    has = [c for c in _FLAGS if c in p.columns]
    if not has:
        return Sheet(SHEET_NAME, None, note="parcels 图层无 low_efficiency / reclaimable 字段: 亩均效益或可腾退分析阶段未运行。")
    flag = np.zeros(len(p), dtype=bool)
    for c in has:
        flag |= p[c].fillna(False).astype(bool).to_numpy()
    sel = p[flag]
    ids = sel["parcel_id"].astype(str)
    place = parcel_place(results, ws)
    year = pd.to_numeric(sel["eval_year"], errors="coerce") if "eval_year" in sel.columns else pd.Series(dtype=float)
    y1 = f"{int(year.max())}年" if year.notna().any() else "本年"
    y0 = f"{int(year.max()) - 1}年" if year.notna().any() else "上年"
    tax = heading("enterprise_eval", "tax_per_mu")
    area = heading("enterprise_eval", "land_mu")  # the parcel's area, headed as the 亩均 lists head land
    data: dict[str, object] = {
        COUNTY: county_of(results),
        heading(_P, "township"): places_of(place, ids, "township"),
        heading(_P, "park_id"): places_of(place, ids, "park"),
        heading(_P, "parcel_id"): ids.to_numpy(dtype=object),
        ENTERPRISE_NAME: places_of(place, ids, "enterprise"),
        heading(_P, "owner_uscc"): places_of(place, ids, "uscc"),
    }
    kinds = {heading(_P, "parcel_id"): "text", heading(_P, "owner_uscc"): "text", area: "mu",
             y0 + tax: kind(_P, "tax_per_mu_prev"), y1 + tax: kind(_P, "tax_per_mu")}
    for name in ("tenant_count", "area_mu", "tax_per_mu_prev", "tax_per_mu", "va_per_mu", "far", "building_coverage",
                 "eval_class", "class_name", "low_efficiency_type", "low_efficiency", "reclaimable", "reclaim_reason"):
        h, vals, k = render(sel, _P, name)
        h = {"area_mu": area, "tax_per_mu_prev": y0 + tax, "tax_per_mu": y1 + tax}.get(name, h)
        data[h] = vals
        kinds.setdefault(h, k)
    flags = flag_summary(results.findings)
    data[RULES] = ids.map(flags).to_numpy(dtype=object) if len(flags) else None
    frame = pd.DataFrame(data, index=range(len(sel)))
    keys = [heading(_P, "township"), heading(_P, "park_id"), heading(_P, "parcel_id")]
    frame = frame.sort_values(keys, kind="stable", na_position="first").reset_index(drop=True)
    return Sheet(SHEET_NAME, frame, kinds, totals=[area])
