"""Parcel attributes: zoning, land-use, rights, terms and completion."""

from __future__ import annotations

import datetime as dt

from .county import County, ParcelRec
from .dates import add_years, draw_year, rand_date
from .planted.cases import D


def set_zoning(county: County) -> None:
    """控规 codes per block (mostly M1/M2); three small blocks rezoned to R / B / G (TT-KEEP)."""
    rng = county.rng
    for b in county.layout.blocks:
        if b.area_key in ("kfq", "gxq", "jkq"):
            b.zone = "M2" if rng.random() < 0.7 else "M1"
        elif b.park_id:
            b.zone = "M1" if rng.random() < 0.6 else "M2"
        else:
            b.zone = str(rng.choice(["M1", "M2", "M3"], p=[0.5, 0.4, 0.1]))
    members: dict[int, list] = {}
    for p in county.parcels:
        members.setdefault(p.block, []).append(p)
    cands = [bi for bi, ps in members.items()
             if 3 <= len(ps) <= 10 and all(not q.role for q in ps)]
    chosen = [cands[i] for i in rng.choice(len(cands), 3, replace=False)]
    county.rezoned = {}
    for bi, code in zip(sorted(chosen), ("R", "B", "G")):
        county.layout.blocks[bi].zone = code
        for q in members[bi]:
            q.attrs["zone"] = code
        county.rezoned[bi] = members[bi]
    for p in county.parcels:
        p.attrs.setdefault("zone", county.layout.blocks[p.block].zone)


def base_parcel_attributes(county: County) -> None:
    """Rights, terms, status and planning attributes of ordinary parcels."""
    rng = county.rng
    specs = {a.key: a for a in county.profile.areas}
    for p in county.parcels:
        a = p.attrs
        a["township"] = p.township[1]
        a["park_id"] = p.park_id
        a["land_use_code"] = "1001"
        a["rights_nature"] = "国有"
        year = draw_year(rng)
        a["rights_type"] = "出让" if rng.random() < 0.94 else ("划拨" if rng.random() < 0.7 else "租赁")
        a["term_start"] = rand_date(rng, year)
        if year >= 2021 and rng.random() < 0.55:
            # recent land: under construction, or not yet due to start
            if rng.random() < 0.55:
                a["status"] = "在建"
            else:
                a["status"] = "未动工"
                a["term_start"] = rand_date(rng, 2022, 6, 12)
        else:
            a["status"] = "已竣工投产" if rng.random() < 0.96 else "停产"
        spec = specs[p.area_key]
        park_rules = bool(p.park_id) and spec.standard_land_rules
        a["standard_land"] = a["term_start"].year >= 2018 and a["rights_type"] == "出让"
        a["plan_conditions"] = True if p.park_id else bool(rng.random() < 0.55)
        if a["standard_land"]:
            a["contract_far"] = float(rng.choice([1.2, 1.5, 1.6, 1.8, 2.0]))
        elif a["plan_conditions"] and rng.random() < 0.6:
            a["contract_far"] = float(rng.choice([0.8, 1.0, 1.2, 1.5]))
        else:
            a["contract_far"] = None
        a["park_rules"] = park_rules
        a["split_from"] = None
        a["merged_from"] = None
        a["industrial_real_estate"] = False
        a["intensity"] = str(rng.choice(["low", "mid", "high"], p=[0.3, 0.45, 0.25]))
        set_term_end(a)


def set_term_end(a: dict) -> None:
    """Term end from the start: 出让 50 years, 租赁 20 years, none for 划拨 (the day before the anniversary)."""
    if a["rights_type"] == "出让":
        a["term_end"] = add_years(a["term_start"], 50) - dt.timedelta(days=1)
    elif a["rights_type"] == "租赁":
        a["term_end"] = add_years(a["term_start"], 20) - dt.timedelta(days=1)
    else:
        a["term_end"] = None


def completed_parcel(a: dict, year: int | None = None, month: int = 4) -> None:
    """Make a parcel an ordinary completed one, supplied in ``year``."""
    a["status"] = "已竣工投产"
    a["rights_type"] = "出让"
    if year is not None:
        a["term_start"] = D(year, month, 10)
    set_term_end(a)


def fake_id(county: County, p: ParcelRec, n: int) -> str:
    """A 宗地代码 in the same 街坊 that no current parcel has (a parcel before a split/merge)."""
    base = p.attrs["parcel_id"][:14]
    cand = f"{base}{90000 + n:05d}"
    assert cand not in county.by_id
    return cand


def vacant_parcel(a: dict, lc: tuple[int, int]) -> None:
    """Unsupplied land: no owner, no contract, not started."""
    a.update(status="未动工", rights_type=None, term_start=None, term_end=None, contract_far=None,
             standard_land=False, lc=lc, vacant=True)
