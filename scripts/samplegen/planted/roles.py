"""Planted roles: which parcel plays which case (idle, housing, keep, efficiency …)."""

from __future__ import annotations

import datetime as dt

from ..attributes import completed_parcel, fake_id, set_term_end, vacant_parcel
from ..constants import M2_PER_MU
from ..county import County
from ..planted.cases import IDLE_CASES


def plant_roles(county: County) -> None:
    """Attributes of the geometric planted cases, and the parcels picked for the rest."""
    rng = county.rng
    for p in county.parcels:
        if p.role == "skipped":
            p.role = ""
    def yr():
        return int(rng.integers(2006, 2016))
    for sid, sp in county.splits.items():
        a = sp["parcel"].attrs
        completed_parcel(a, yr())
        a["intensity"] = "mid"
        if sid == "S09":
            a["status"] = "在建"
            completed_parcel(a, 2021)
            a["status"] = "在建"
        if sid == "S10":
            a["split_from"] = fake_id(county, sp["parcel"], 1)
        if sid == "S11":
            a["merged_from"] = f"{fake_id(county, sp['parcel'], 2)};{fake_id(county, sp['parcel'], 3)}"
        if sid == "S06":
            a["industrial_real_estate"] = True
    for _rid, (p, _gap, _key) in county.renov_plots.items():
        completed_parcel(p.attrs, yr())
        p.attrs["intensity"] = "mid"
    for mid, (_key, pair) in county.merges.items():
        y = 2010 if mid in ("M02", "M06") else yr()      # the four quadrants share one term
        for _k, p in enumerate(pair):
            completed_parcel(p.attrs, y)
        if mid == "M03":
            pair[1].attrs["rights_type"] = "划拨"
            set_term_end(pair[1].attrs)
        if mid == "M04":
            completed_parcel(pair[1].attrs, y + 3, 9)
    for p in county.parcels:
        if p.role in ("hole_outer", "hole_inner"):
            completed_parcel(p.attrs, yr())
    # idle land
    county.idle = {}
    for iid, (key, status, agreed, actual, dev, inv, susp, cause, lc) in IDLE_CASES.items():
        p = county.parcels[county.pick("idle", lambda i, p: 8 * M2_PER_MU < p.area < 40 * M2_PER_MU)]
        a = p.attrs
        a.update(status=status, rights_type="出让", term_start=agreed - dt.timedelta(days=120))
        a["standard_land"] = a["term_start"].year >= 2018
        set_term_end(a)
        county.idle[iid] = dict(parcel=p, key=key, agreed_start=agreed, actual_start=actual,
                                developed=dev, invested=inv, suspended=susp, gov_cause=cause)
        a["lc"] = lc
    i = county.pick("idle", lambda i, p: 5 * M2_PER_MU < p.area < 30 * M2_PER_MU)
    county.no_contract_bare = county.parcels[i]
    vacant_parcel(county.parcels[i].attrs, (2, 2))
    county.vacant = [county.parcels[i]]
    for _ in range(11):
        i = county.pick("vacant", lambda i, p: p.area < 40 * M2_PER_MU)
        vacant_parcel(county.parcels[i].attrs, (3, 3))
        county.vacant.append(county.parcels[i])
