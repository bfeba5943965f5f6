"""Buildings: footprints laid out in parcels, attributes, admin shares, split cases."""

from __future__ import annotations

import math

import numpy as np
import shapely
import shapely.affinity
import shapely.ops
from shapely.geometry import LineString, Polygon
from shapely.geometry.base import BaseGeometry

from .constants import M2_PER_MU
from .county import County, ParcelRec
from .cuts import cut_at_area, long_axis
from .geometry import largest_polygon, snap
from .planted.cases import D


def footprints(rng: np.random.Generator, poly: BaseGeometry, setback: float, fill: float) -> list:
    """Rectangular footprints laid out in rows inside ``poly`` (clipped where the shape bites)."""
    inner = poly.buffer(-setback, join_style="mitre")
    if inner.is_empty or inner.area < 150:
        return []
    inner = largest_polygon(inner)
    origin, u, length = long_axis(inner)
    n = np.array([-u[1], u[0]])
    ex = np.asarray(shapely.oriented_envelope(inner).exterior.coords)[:4]
    proj = (ex - origin) @ n
    nlo, nhi = proj.min(), proj.max()
    width = nhi - nlo
    k = max(1, int(round(length / rng.uniform(32, 62))))
    m = 1 if width < 55 else (2 if width < 130 else 3)
    cu, cn = length / k, width / m
    f = math.sqrt(fill)
    out = []
    for a in range(k):
        for b in range(m):
            cen = origin + u * (a + 0.5) * cu + n * (nlo + (b + 0.5) * cn)
            hu, hn = cu * f / 2, cn * f / 2
            rect = Polygon([cen - u * hu - n * hn, cen + u * hu - n * hn, cen + u * hu + n * hn,
                            cen - u * hu + n * hn])
            clipped = largest_polygon(rect.intersection(inner))
            if clipped is not None and clipped.area >= max(80.0, 0.55 * rect.area):
                out.append(snap(shapely.simplify(clipped, 0.01)))
    return out


def building_attrs(rng: np.random.Generator, use: str, intensity: str, tall: bool = False) -> dict:
    """floors, height_m and storey_height_m for a building of ``use``."""
    if use in ("构筑物", "堆场"):
        return dict(floors=0, height_m=round(rng.uniform(10, 22), 1) if use == "构筑物" else 0.0,
                    storey_height_m=0.0)
    if use == "生产":
        if tall:
            floors = int(rng.integers(6, 8))
        elif intensity == "low" or rng.random() < 0.25:
            floors = 1
        else:
            floors = int(rng.choice([2, 3, 4, 5, 6] if intensity == "high" else [1, 2, 2, 3, 4]))
        if floors == 1:
            sh = round(rng.uniform(6.5, 12.0), 1)       # > 8 m single-storey plants count twice
            return dict(floors=1, height_m=sh, storey_height_m=sh)
        sh = round(rng.uniform(5.0, 7.0), 1)
        return dict(floors=floors, height_m=round(sh + (floors - 1) * 4.5, 1), storey_height_m=sh)
    if use == "仓储":
        if rng.random() < 0.5:
            sh = round(rng.uniform(7.0, 11.0), 1)
            return dict(floors=1, height_m=sh, storey_height_m=sh)
        floors = int(rng.integers(2, 4))
        return dict(floors=floors, height_m=round(floors * 5.0, 1), storey_height_m=5.0)
    floors = int(rng.integers(7, 9)) if tall else int(rng.integers(3, 7))
    sh = 3.6 if use == "行政办公" else 3.3
    return dict(floors=floors, height_m=round(floors * sh + 0.9, 1), storey_height_m=sh)


def floor_area(b: dict) -> float:
    """Floor area as NAT-FAR counts it: a storey taller than 8 m counts twice."""
    f = b["geom"].area * b["floors"]
    if b["floors"] == 1 and b["storey_height_m"] > 8:
        f *= 2
    return f


def buildings_for(rng: np.random.Generator, p: ParcelRec, poly: BaseGeometry | None = None,
                  uses: list[str] | None = None, tall: bool = False, admin_heavy: bool = False) -> list:
    """Buildings of one parcel (or of ``poly``, a part of it)."""
    a = p.attrs
    poly = p.geom if poly is None else poly
    fill = {"low": rng.uniform(0.45, 0.6), "mid": rng.uniform(0.55, 0.75), "high": rng.uniform(0.65, 0.85)}[a["intensity"]]
    rects = footprints(rng, poly, float(rng.uniform(5, 9)), fill)
    rects.sort(key=lambda g: -g.area)
    out = []
    for k, g in enumerate(rects):
        if uses is not None:
            use = uses[k % len(uses)]
        elif k == 0:
            use = "生产"
        elif k == len(rects) - 1 and len(rects) >= 2 and p.area > 4 * M2_PER_MU:
            use = "行政办公" if rng.random() < 0.7 else "生活服务"
        else:
            r = rng.random()
            use = "生产" if r < 0.55 else "仓储" if r < 0.85 else "生活服务" if r < 0.92 else "构筑物" if r < 0.96 else "堆场"
        b = dict(geom=g, use=use, parcel=p, **building_attrs(rng, use, a["intensity"], tall and k == 0))
        if admin_heavy and use == "行政办公":
            b.update(floors=8, height_m=round(8 * 3.6 + 0.9, 1), storey_height_m=3.6)
        out.append(b)
    return out


ADMIN_USES = ("行政办公", "生活服务")
# planted parcels whose buildings stay as first laid out (their floor areas are part of a case)
PLAIN_ADMIN_ROLES = ("housing", "keep", "renovation", "renovation_plots", "idle", "split")


def modest_admin(rng: np.random.Generator, p: ParcelRec, bs: list) -> None:
    """Shrink the 行政办公/生活服务 buildings of an ordinary parcel to a realistic share.

    The layout gives the office the last (smallest) footprint of the row and 3–6 storeys, which
    alone would put most plants far over NAT-ADMIN's 7 % of floor area. Plants are built to the
    rule: most keep the office and dormitories at 2.5–6.8 % of the floor area, about one in
    twenty at 7.5–13 %. The office footprint shrinks about its centre (inside the original one);
    a small office keeps at least two storeys. The other buildings grow about their centres by
    what the office gave up — and small plants up to a 建筑系数 of about 33–45 % — staying 2 m
    inside the parcel and 3 m from each other. ``rng`` is a stream of its own: the main stream,
    and so every later pick, is untouched."""
    u_over, u_share, u_cover = rng.random(), rng.random(), rng.random()
    admin = [b for b in bs if b["use"] in ADMIN_USES]
    others = [b for b in bs if b["use"] not in ADMIN_USES]
    if not others:
        return
    share = 0.075 + 0.055 * u_share if u_over < 0.05 else 0.025 + 0.043 * u_share
    have = sum(floor_area(b) for b in admin)
    other = sum(floor_area(b) for b in others)
    f = min(1.0, share * other / (1 - share) / have) if have > 0 else 1.0
    admin_fp = sum(b["geom"].area for b in admin)
    # grow the others first: back what the office gives up, or to the plant's 建筑系数 (one
    # plant in twenty is left as laid out)
    other_fp = sum(b["geom"].area for b in others)
    cover = 0.0 if u_cover < 0.05 else 0.33 + 0.12 * (u_cover - 0.05) / 0.95
    gain = max(admin_fp * (1 - f), cover * p.area - other_fp - admin_fp * f)
    if gain <= 0 or other_fp <= 0:
        return
    g = min(1.45, math.sqrt(1 + gain / other_fp))
    inner = p.geom.buffer(-2.0, join_style="mitre")
    for b in others:
        rest = [c["geom"] for c in bs if c is not b]
        room = inner.difference(shapely.union_all(rest).buffer(3.0, join_style="mitre")) if rest else inner
        grown = largest_polygon(shapely.affinity.scale(b["geom"], g, g, origin=b["geom"].centroid).intersection(room))
        if grown is not None and grown.area > b["geom"].area:
            b["geom"] = snap(shapely.simplify(grown, 0.01))
    other = sum(floor_area(b) for b in others)
    f = min(1.0, share * other / (1 - share) / have) if have > 0 else 1.0
    for b in admin if f < 1.0 else ():
        area = b["geom"].area * f
        if area < 150 and b["floors"] > 2:
            area *= b["floors"] / 2
            sh = b["storey_height_m"]
            b.update(floors=2, height_m=round(2 * sh + 0.9, 1))
        k = math.sqrt(min(1.0, area / b["geom"].area))
        g_ = shapely.affinity.scale(b["geom"], k, k, origin=b["geom"].centroid)
        b["geom"] = snap(largest_polygon(g_.intersection(b["geom"])))


def set_completion(rng: np.random.Generator, bs: list, a: dict) -> None:
    """completed / completed_year from the parcel's status and dates."""
    start = a.get("term_start") or D(2015, 1, 1)
    for b in bs:
        if a["status"] in ("已竣工投产", "停产"):
            b["completed"] = True
            b["completed_year"] = int(min(2022, start.year + int(rng.integers(1, 4))))
        else:
            b["completed"] = False
            b["completed_year"] = None


def straddling_building(p: ParcelRec, cut: LineString, over: float) -> Polygon:
    """A 30 m × (25 m + over) plant across the split line: ``over`` metres in the second part."""
    c = np.asarray(cut.interpolate(0.5, normalized=True).coords[0])
    origin, u, _ = long_axis(p.geom)
    n = np.array([-u[1], u[0]])
    ring = [c - u * 25 - n * 15, c + u * over - n * 15, c + u * over + n * 15, c - u * 25 + n * 15]
    return Polygon(ring)


def make_buildings(county: County) -> None:
    """Buildings of every parcel, with the planted split, height and admin-share cases."""
    rng = county.rng
    bs_all = []
    split_parcels = {id(sp["parcel"]): sid for sid, sp in county.splits.items()}
    county.tall, county.admin_heavy = [], []
    county.admin_set = set()
    outside_noplan = [p for p in county.parcels if not p.park_id and not p.attrs["plan_conditions"]
                      and p.attrs["status"] == "已竣工投产" and not p.role and p.area > 4 * M2_PER_MU]
    tall_set = {id(outside_noplan[int(k)]) for k in rng.choice(len(outside_noplan), 6, replace=False)}
    admin_set = {id(p) for p in county.parcels[::97] if not p.role and p.attrs["status"] == "已竣工投产"}
    county.admin_set = admin_set
    for p in county.parcels:
        a = p.attrs
        if a["status"] == "未动工" or a.get("vacant"):
            continue
        if id(p) in split_parcels:
            bs = split_buildings(county, p, split_parcels[id(p)])
        elif p.role == "idle":
            case = next(c for c in county.idle.values() if c["parcel"] is p)
            bs = []
            if case["developed"] and "imagery" not in case["key"]:
                part, _, _ = cut_at_area(p.geom, p.area * case["developed"])
                bs = buildings_for(rng, p, part, uses=["生产"])[:2]
                if not bs:      # a narrow developed strip: one frame with a small setback
                    bs = [dict(geom=g, use="生产", parcel=p, **building_attrs(rng, "生产", "mid"))
                          for g in footprints(rng, part, 3.0, 0.5)[:1]]
        else:
            bs = buildings_for(rng, p, tall=id(p) in tall_set, admin_heavy=id(p) in admin_set)
            if id(p) in tall_set and bs:
                county.tall.append(bs[0])
            if id(p) in admin_set and any(b["use"] == "行政办公" for b in bs):
                county.admin_heavy.append(p)
        set_completion(rng, bs, a)
        bs_all.extend(bs)
    # a few buildings whose parcel_id the surveyor left empty (joined by location)
    for k, b in enumerate(bs_all):
        b["building_id"] = f"JZ{k + 1:06d}"
        b["parcel_id"] = b["parcel"].attrs["parcel_id"] if k % 53 else None
    county.buildings = bs_all


def realistic_buildings(county: County) -> None:
    """``modest_admin`` on every plant but the planted ones, the admin-share cases and the sites of
    零增地技改 plans (run after the plans, whose floor areas are taken from the buildings as first
    laid out, so the TT-VERT and TT-CORNER cases keep their numbers)."""
    by = {}
    for b in county.buildings:
        by.setdefault(id(b["parcel"]), []).append(b)
    skip = set(county.admin_set) | {id(r["parcel"]) for r in county.renovations}
    for p in county.parcels:
        bs = by.get(id(p))
        if bs and p.role not in PLAIN_ADMIN_ROLES and id(p) not in skip and p.role != "idle":
            modest_admin(county.rng_admin, p, bs)


def split_buildings(county: County, p: ParcelRec, sid: str) -> list:
    """Buildings of a parcel with a split proposal: none crosses a cut, except in S07/S08."""
    rng = county.rng
    sp = county.splits[sid]
    clear = shapely.union_all([c.buffer(45 if sid in ("S07", "S08") else 4) for c in sp["cuts"]])
    bs = []
    for k, part in enumerate(sp["parts"]):
        area = largest_polygon(part.difference(clear))
        if area is None:
            continue
        uses = ["行政办公", "生活服务"] if (sid == "S12" and k == 1) else None
        part_bs = buildings_for(rng, p, area, uses=uses)
        if sid == "S12" and k == 0:
            part_bs = [b for b in part_bs if b["use"] not in ("行政办公", "生活服务")] or part_bs[:1]
            for b in part_bs:
                b["use"] = "生产" if b["use"] in ("行政办公", "生活服务") else b["use"]
        bs.extend(part_bs)
    if sid in ("S07", "S08"):
        over = 5.0 if sid == "S07" else 0.05
        g = straddling_building(p, sp["cuts"][0], over)
        # keep it on the side of part 0 by construction: orient by the cut's normal
        if g.intersection(sp["parts"][0]).area < g.intersection(sp["parts"][1]).area:
            g = shapely.affinity.rotate(g, 180, origin=sp["cuts"][0].interpolate(0.5, normalized=True))
        b = dict(geom=g, use="生产", parcel=p, **building_attrs(rng, "生产", "mid"))
        bs.append(b)
        sp["straddler"] = b
    return bs
