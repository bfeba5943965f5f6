"""亩均效益评价结果 (规上 / 规下): one row per enterprise of the latest evaluation year, with the year before's 亩均税收."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .lookups import county_of, explode_ids, join_per_row, parcel_place, places_of_lists, render
from .sheet import COUNTY, Sheet, heading, kind

__all__ = ["SHEET_NAMES", "enterprise_sheets"]

#: The two sheets: 规上 and 规下 enterprises.
SHEET_NAMES = ("亩均效益评价结果(规上)", "亩均效益评价结果(规下)")

_T = "enterprise_eval"
#: Columns of the full (规上) list, in order; ``tax_per_mu`` is shown for two years.
_COLUMNS = ["name", "uscc", "parcel_ids", "land_mu", "revenue", "tax", "value_added", "employees", "energy_tce",
            "tax_per_mu_prev", "tax_per_mu", "va_per_mu", "labour_productivity", "va_per_energy", "va_per_emission",
            "rd_ratio", "score", "eval_class", "class_name", "low_efficiency_type", "in_scope", "class_note"]
#: 规下 enterprises are scored mostly on 亩均税收: the bureau's short list.
_SMALL = ["name", "uscc", "parcel_ids", "land_mu", "revenue", "tax", "tax_per_mu_prev", "tax_per_mu", "score",
          "eval_class", "class_name", "low_efficiency_type", "in_scope", "class_note"]
_TOTALS = ["land_mu", "revenue", "tax", "value_added"]
_CLASS_ORDER = {"A": 0, "B": 1, "C": 2, "D": 3}


def enterprise_sheets(results, ws=None) -> list[Sheet]:
    """The 规上 and 规下 sheets from the ``enterprise_eval`` table.

    Parameters
    ----------
    results : Results
    ws : Workspace, optional
        For park names.

    Returns
    -------
    list of Sheet
        Two sheets; without ``enterprise_eval`` both say :data:`~.sheet.NO_DATA`.
    """
    ev = results.layer(_T)
    if ev is None:
        note = "未生成 enterprise_eval (亩均效益评价) 图层: 亩均效益分析阶段未运行或缺少企业数据。"
        return [Sheet(n, None, note=note) for n in SHEET_NAMES]
    ev = pd.DataFrame(ev)
    uscc = ev["uscc"].astype(str)
    year = pd.to_numeric(ev["year"], errors="coerce")
    last = results.evaluation_year()
    cur = ev[(year == last).to_numpy()] if last is not None else ev
    prev = ev[(year == last - 1).to_numpy()] if last is not None else ev.iloc[0:0]
    prev_tax = pd.to_numeric(prev["tax_per_mu"], errors="coerce").groupby(uscc[prev.index].to_numpy()).first()
    place = parcel_place(results, ws)
    y0 = f"{last - 1}年" if last is not None else "上年"
    y1 = f"{last}年" if last is not None else "本年"

    data: dict[str, object] = {COUNTY: county_of(results),
                               heading("parcels", "township"): places_of_lists(place, cur["parcel_ids"], "township"),
                               heading("parcels", "park_id"): places_of_lists(place, cur["parcel_ids"], "park")}
    kinds: dict[str, str] = {}
    head: dict[str, str] = {}
    for name in _COLUMNS:
        if name == "tax_per_mu_prev":
            h = y0 + heading(_T, "tax_per_mu")
            data[h] = uscc[cur.index].map(prev_tax).to_numpy(dtype=float)
            kinds[h] = kind(_T, "tax_per_mu")
        elif name == "parcel_ids":
            h = heading(_T, name)
            data[h] = join_per_row(explode_ids(cur["parcel_ids"]), len(cur))
            kinds[h] = "text"
        else:
            h, vals, k = render(cur, _T, name)
            if name == "tax_per_mu":
                h = y1 + h
            data[h] = vals
            kinds[h] = k
        head[name] = h
    rows = pd.DataFrame(data, index=range(len(cur)))
    order = pd.Series(column_codes(cur)).map(_CLASS_ORDER).fillna(9).to_numpy()
    score = pd.to_numeric(cur["score"], errors="coerce").to_numpy()
    scale = cur["scale"].astype(str).to_numpy()
    lead = [COUNTY, heading("parcels", "township"), heading("parcels", "park_id")]
    out = []
    for sheet_name, label, cols in zip(SHEET_NAMES, ("规上", "规下"), (_COLUMNS, _SMALL), strict=True):
        sel = np.flatnonzero(scale == label)
        sel = sel[np.lexsort((-np.nan_to_num(score[sel], nan=-np.inf), order[sel]))]
        part = rows.iloc[sel][lead + [head[c] for c in cols]].reset_index(drop=True)
        out.append(Sheet(sheet_name, part, {h: kinds[h] for h in part.columns if h in kinds},
                         totals=[head[c] for c in _TOTALS if head[c] in part.columns]))
    return out


def column_codes(frame: pd.DataFrame) -> np.ndarray:
    """The raw ``eval_class`` codes (A/B/C/D) of ``frame`` as text, for ordering."""
    return frame["eval_class"].astype(object).where(frame["eval_class"].notna(), "").astype(str).to_numpy()
