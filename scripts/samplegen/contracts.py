"""Contracts, tenancy, renovations, projects, merge proposals and land supply."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import shapely
import shapely.affinity
import shapely.ops

from .buildings import floor_area
from .constants import M2_PER_MU
from .county import County, ParcelRec
from .dates import add_years
from .planted.cases import PROJECT_CASES


def land_price_per_mu(rng: np.random.Generator, year: int) -> float:
    """A land price in 万元/亩 for a contract signed in ``year`` (rising from 1998, ±10 %)."""
    return (6.0 + 1.4 * max(0, year - 1998)) * rng.uniform(0.9, 1.1)


def make_contracts(county: County) -> None:
    """出让合同/划拨决定书 for supplied parcels, consistent with status, buildings and the idle cases."""
    rng = county.rng
    idle_by_parcel = {id(c["parcel"]): (iid, c) for iid, c in county.idle.items()}
    fa = {}
    for b in county.buildings:
        fa[id(b["parcel"])] = fa.get(id(b["parcel"]), 0.0) + b["geom"].area
    rows = []
    seq = {}
    for p in sorted(county.parcels, key=lambda p: p.attrs["parcel_id"]):
        a = p.attrs
        if a.get("vacant") or a["rights_type"] not in ("出让", "划拨"):
            continue
        signed = a["term_start"]
        seq[signed.year] = seq.get(signed.year, 0) + int(rng.integers(1, 4))
        kind = a["rights_type"]
        cid = f"{county.profile.admin_code}{signed.year}{'B' if kind == '出让' else 'A'}{seq[signed.year]:05d}"
        mu_ = p.area / M2_PER_MU
        total = round(mu_ * rng.uniform(180, 450), 2)
        agreed = signed + dt.timedelta(days=int(rng.integers(60, 150)))
        row = dict(contract_id=cid, parcel_id=a["parcel_id"], kind=kind, signed_date=signed,
                   agreed_start=agreed, agreed_completion=add_years(agreed, 2),
                   actual_start=None, total_investment=total, invested=0.0,
                   due_area_m2=round(p.area, 2), developed_area_m2=0.0, suspended_since=None,
                   gov_cause=None,
                   land_price=round(mu_ * land_price_per_mu(rng, signed.year) * (1 if kind == "出让" else 0.25), 2))
        if id(p) in idle_by_parcel:
            iid, c = idle_by_parcel[id(p)]
            row.update(agreed_start=c["agreed_start"], agreed_completion=add_years(c["agreed_start"], 2),
                       actual_start=c["actual_start"], invested=round(total * c["invested"], 2),
                       developed_area_m2=round(p.area * c["developed"], 2),
                       suspended_since=c["suspended"], gov_cause=c["gov_cause"])
            c["contract_id"] = cid
        elif a["status"] in ("已竣工投产", "停产"):
            row.update(actual_start=agreed + dt.timedelta(days=int(rng.integers(-20, 90))), invested=total,
                       developed_area_m2=round(p.area, 2))
        elif a["status"] == "在建":
            start = agreed + dt.timedelta(days=int(rng.integers(0, 60)))
            share = float(rng.uniform(0.35, 0.9))
            row.update(actual_start=start, invested=round(total * share, 2),
                       developed_area_m2=round(p.area * share, 2))
            a["actual_start"] = start
        rows.append(row)
    county.contracts = rows


def make_tenancy_floor_areas(county: County) -> None:
    """Floor area each tenant uses: a share of its host parcel's floor area."""
    rng = county.rng
    fa = {}
    for b in county.buildings:
        if b["completed"]:
            fa[id(b["parcel"])] = fa.get(id(b["parcel"]), 0.0) + b["geom"].area * max(b["floors"], 1)
    for row in county.tenancy:
        host, t, _ = row
        row[2] = round(fa.get(id(host), 2000.0) * rng.uniform(0.05, 0.2), 1)
        t.tenant_m2 = row[2]


def far_before(county: County, p: ParcelRec) -> tuple[float, float]:
    """(floor area, FAR) of a parcel's completed buildings, counting > 8 m storeys twice."""
    total = sum(floor_area(b) for b in county.buildings if b["parcel"] is p and b["completed"])
    return total, total / p.area


def make_renovations(county: County) -> None:
    """零增地技改 plans: the six corner-plot cases plus TT-VERT, TT-TECH and TT-KEEP ones."""
    rng = county.rng
    rows = []
    for rid, (p, gap, key) in county.renov_plots.items():
        fa, _ = far_before(county, p)
        if rid in ("R05", "R06"):
            after = fa * 1.1                         # FAR rises by 10 % only (< 20 %)
            reno = after * (0.25 if rid == "R05" else 0.10)
        else:
            after = fa * 1.6
            reno = after - fa
        rows.append(dict(renovation_id=rid, parcel=p, floor_area_after_m2=round(after, 2),
                         renovation_floor_area_m2=round(reno, 2), expansion_floor_area_m2=round(after - fa, 2),
                         accepted=False, equipment_investment=round(float(rng.uniform(600, 3000)), 2),
                         total_investment=round(float(rng.uniform(3000, 9000)), 2), leased_plant_m2=0.0,
                         geometry=shapely.MultiPolygon([gap]), key=key))
    # TT-VERT / TT-TECH: no plots; tiers of equipment investment at the bounds
    extra = [("R07", 480.0, 1200.0, True, "renovation.vert_pass"),
             ("R08", 500.0, 999.0, True, "renovation.vert_fail_expansion_under_1000"),
             ("R09", 2000.0, 1500.0, False, "renovation.vert_fail_not_accepted"),
             ("R10", 5000.0, 3000.0, True, "renovation.tech_tier3_exact_5000"),
             ("R11", 1999.99, 0.0, False, "renovation.tech_tier1")]
    for rid, equip, expansion, accepted, key in extra:
        while True:
            i = county.pick("renovation", lambda i, p: p.attrs["status"] == "已竣工投产"
                            and p.attrs["owner"] is not None and not p.attrs["owner"].role
                            and p.area > 6 * M2_PER_MU)
            p = county.parcels[i]
            fa, far = far_before(county, p)
            if fa > 0:
                break
        rows.append(dict(renovation_id=rid, parcel=p, floor_area_after_m2=round(fa + expansion, 2),
                         renovation_floor_area_m2=round(expansion, 2), expansion_floor_area_m2=round(expansion, 2),
                         accepted=accepted, equipment_investment=equip, total_investment=round(equip * 1.6, 2),
                         leased_plant_m2=1800.0 if rid == "R11" else 0.0,
                         geometry=shapely.MultiPolygon(), key=key))
    # TT-KEEP: renovation on a rezoned parcel by a class-A and a class-D enterprise
    for rid, p, key in (("R12", county.keep["A"][0], "keep.renovation_class_a"),
                        ("R13", county.keep["D"][0], "keep.renovation_class_d")):
        fa, _ = far_before(county, p)
        rows.append(dict(renovation_id=rid, parcel=p, floor_area_after_m2=round(fa * 1.3, 2),
                         renovation_floor_area_m2=round(fa * 0.3, 2), expansion_floor_area_m2=round(fa * 0.3, 2),
                         accepted=False, equipment_investment=800.0, total_investment=1500.0, leased_plant_m2=0.0,
                         geometry=shapely.MultiPolygon(), key=key))
    county.renovations = rows
    for r in rows:          # the TT-TECH / TT-VERT cases rest on their owners' classes: first mapping
        owner = r["parcel"].attrs.get("owner")
        if owner is not None:
            owner.legacy = True
            if r["renovation_id"] == "R11" and owner.scale == "规下":
                owner.fixed_tpm = (11.5, 12.0)    # a class-B 规下 enterprise (the tier-1 uplift needs A/B)


def make_projects(county: County) -> None:
    """重点项目 (projects.csv): the TT-RATE cases plus ordinary projects."""
    rng = county.rng
    rows = []
    for kid, (key, total, is_key, building) in PROJECT_CASES.items():
        e = county.planted_ents[kid][1]
        p = e.parcels[0]
        rows.append(dict(project_id=f"XM2022{len(rows) + 1:04d}", uscc=e.uscc, parcel_id=p.attrs["parcel_id"],
                         name=f"{e.name[:-4]}技改扩产项目", key_project=is_key, total_investment=total,
                         under_construction=building, built_year=2023 if building else 2021,
                         energy_tce=round(float(rng.uniform(300, 3000)), 1), key=key))
    ordinary = [e for e in county.enterprises if not e.role and e.parcels]
    for k in rng.choice(len(ordinary), 40, replace=False):
        e = ordinary[int(k)]
        building = bool(rng.random() < 0.4)
        by = int(rng.integers(2015, 2023))
        rows.append(dict(project_id=f"XM2022{len(rows) + 1:04d}", uscc=e.uscc,
                         parcel_id=e.parcels[0].attrs["parcel_id"], name=f"{e.name[:-4]}年产扩建项目",
                         key_project=bool(rng.random() < 0.5), total_investment=round(float(rng.uniform(500, 25000)), 2),
                         under_construction=building, built_year=2023 if building else by,
                         energy_tce=round(float(math.exp(rng.normal(math.log(900), 1.0))), 1), key=""))
    county.projects = rows


def make_proposals(county: County) -> None:
    """Split parts (layer) and merge proposals (table)."""
    good = [county.planted_ents[g][1] for g in ("G1", "G2", "G3")]
    bad = county.planted_ents["BAD"][1]
    parts = []
    for sid, sp in county.splits.items():
        owner = sp["parcel"].attrs["owner"]
        for k, g in enumerate(sp["parts"]):
            buyer = owner if k == 0 else good[(k - 1) % 3]
            if sid == "S13" and k == 1:
                buyer = bad
            parts.append(dict(proposal_id=f"FG{sid[1:]}", parcel_id=sp["parcel"].attrs["parcel_id"],
                              part_no=k + 1, buyer_uscc=buyer.uscc, geometry=g))
    county.split_rows = parts
    merges = []
    for mid, (key, pair) in county.merges.items():
        buyer = bad if mid == "M05" else good[int(mid[-1]) % 3]
        merges.append(dict(proposal_id=f"HB{mid[1:]}", parcel_ids=";".join(p.attrs["parcel_id"] for p in pair),
                           buyer_uscc=buyer.uscc, key=key))
    county.merge_rows = merges


def make_land_supply(county: County) -> list[dict]:
    """土地供应台账 2021–2023 with the profile's industrial shares (one year exactly on 30 %)."""
    rng = county.rng
    rows = []
    for year, share in zip((2021, 2022, 2023), county.profile.supply_share):
        total = float(rng.integers(18, 30)) * 100.0
        ind = round(total * share, 4)
        rest = total - ind
        w = np.array([0.25, 0.45, 0.2, 0.1])
        others = np.round(rest * w, 4)
        others[-1] = round(rest - others[:-1].sum(), 4)
        rows.append(dict(year=year, use="工业", area_mu=ind))
        for use, v in zip(("商服", "住宅", "公共管理与公共服务", "交通运输"), others):
            rows.append(dict(year=year, use=use, area_mu=float(v)))
    return rows
