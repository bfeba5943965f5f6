"""What happens to the county in a quarter: enterprises improve, land is reclaimed, split or merged,
new land falls idle, one township lags, energy use drops.

Every change edits a ``Snapshot`` in place and records itself in ``snap.notes`` (the quarter's
manifest), so the tests know what was done without re-deriving it. All randomness comes from the
quarter's own stream (``quarters.quarter_rng``), never from the county's main one.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import shapely
import shapely.ops
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from geo_tenglong.uscc import check_char

from .constants import M2_PER_MU
from .figures import YEAR, owner_table
from .snapshot import Snapshot

RESERVE_NAME = "天台县土地储备中心"
COMMERCIAL_USE = "0901"          # 用地用海分类 商业用地: a reclaimed parcel rezoned out of industry


def institution_uscc(admin_code: str, body: str) -> str:
    """A valid 统一社会信用代码 of a 事业单位 (12) registered in the county with 组织机构代码 ``body`` (8)."""
    vals = [int(c) if c.isdigit() else ord(c) - 55 for c in body]
    c9 = 11 - sum(v * w for v, w in zip(vals, (3, 7, 9, 10, 5, 8, 4, 2))) % 11
    code17 = "12" + admin_code + body + ("X" if c9 == 10 else "0" if c9 == 11 else str(c9))
    return code17 + check_char(code17)


def rows_of(snap: Snapshot, uscc: str, year: int = YEAR) -> list[list]:
    """The enterprise-table rows of ``uscc`` in ``year`` (duplicates included)."""
    sh = snap.enterprises
    cu, cy = sh.column("统一社会信用代码"), sh.column("年度")
    return [r for r in sh.rows if r[cu] == uscc and r[cy] == year]


def scale_figures(snap: Snapshot, uscc: str, factors: dict[str, float]) -> None:
    """Multiply ``uscc``'s 2022 figures (header -> factor), rounded as the table writes them."""
    sh = snap.enterprises
    for r in rows_of(snap, uscc):
        for header, f in factors.items():
            k = sh.column(header)
            if isinstance(r[k], int | float):
                r[k] = round(r[k] * f, 2)


def drop_enterprise(snap: Snapshot, uscc: str) -> None:
    """Remove every row of ``uscc`` (it has left: closed down or merged into another)."""
    cu = snap.enterprises.column("统一社会信用代码")
    snap.enterprises.rows = [r for r in snap.enterprises.rows if r[cu] != uscc]


def improve(snap: Snapshot, rng: np.random.Generator, codes: list[str]) -> None:
    """整治提升: the 2022 figures revised at 复评 after the works — tax to 8–12 万元/亩, value added
    ×1.8, energy ×0.85 — so the enterprise leaves the low-efficiency list and moves up a class."""
    own = owner_table(snap)
    for code in codes:
        tax_factor = float(rng.uniform(8, 12)) / own.at[code, "tpm"]
        scale_figures(snap, code, {"营业收入(万元)": 1.25, "税收实际贡献(万元)": tax_factor,
                                   "工业增加值(万元)": 1.8, "综合能耗(吨标准煤)": 0.85})
    snap.notes.setdefault("improved", []).extend(codes)


def energy_drop(snap: Snapshot, rng: np.random.Generator, codes: list[str]) -> None:
    """节能改造: 2022 energy use revised down by 8–20 %."""
    for code in codes:
        scale_figures(snap, code, {"综合能耗(吨标准煤)": float(rng.uniform(0.8, 0.92))})
    snap.notes.setdefault("energy_down", []).extend(codes)


def lag(snap: Snapshot, township: str, factor: float) -> None:
    """The lagging township: its enterprises' 2022 tax revised down by ``factor`` (退库, 稽查调整)."""
    own = owner_table(snap)
    for code in own.index[own["township"] == township]:
        scale_figures(snap, code, {"税收实际贡献(万元)": factor})
    snap.notes["lagging_township"] = township


def set_owner(snap: Snapshot, pid: str, uscc: str | None, name: str | None) -> None:
    """Give parcel ``pid`` a new holder."""
    p = snap.parcels
    k = p.index[p["parcel_id"] == pid][0]
    p.loc[k, ["owner_uscc", "owner_name"]] = [uscc, name]


def reclaim(snap: Snapshot, codes: list[str], admin_code: str, rezone: int = -1) -> None:
    """回收: each enterprise's (single) parcel goes to the 土地储备中心 and the enterprise leaves the
    table (关停退出); the parcel at index ``rezone`` is also rezoned to 商业用地."""
    own = owner_table(snap)
    reserve = institution_uscc(admin_code, "47000001")
    for k, code in enumerate(codes):
        pid = own.at[code, "parcel_id"]
        set_owner(snap, pid, reserve, RESERVE_NAME)
        note = {"parcel_id": pid, "from_uscc": code, "to_uscc": reserve, "land_use_code": None}
        if k == (rezone % len(codes)) and rezone >= 0:
            p = snap.parcels
            p.loc[p["parcel_id"] == pid, "land_use_code"] = COMMERCIAL_USE
            note["land_use_code"] = COMMERCIAL_USE
        drop_enterprise(snap, code)
        snap.notes.setdefault("reclaimed", []).append(note)


def transfer(snap: Snapshot, code: str, buyer: str) -> None:
    """回收流转: the enterprise's parcel passes to ``buyer`` (an existing enterprise), the seller leaves."""
    own = owner_table(snap)
    pid = own.at[code, "parcel_id"]
    name = snap.parcels.loc[snap.parcels["owner_uscc"] == buyer, "owner_name"].iloc[0]
    set_owner(snap, pid, buyer, name)
    drop_enterprise(snap, code)
    snap.notes.setdefault("transferred", []).append({"parcel_id": pid, "from_uscc": code, "to_uscc": buyer})


def new_parcel_id(snap: Snapshot, like: str) -> str:
    """A 宗地代码 in ``like``'s 街坊 that no parcel has (顺序号 from 80001)."""
    taken = set(snap.parcels["parcel_id"])
    n = 1
    while f"{like[:14]}{80000 + n:05d}" in taken:
        n += 1
    return f"{like[:14]}{80000 + n:05d}"


def halves(geom: BaseGeometry) -> list | None:
    """Cut a polygon across its long axis through the centroid; None unless two parts of 35–65 %."""
    rect = geom.minimum_rotated_rectangle
    xy = np.asarray(rect.exterior.coords)[:4]
    edges = np.diff(np.vstack([xy, xy[:1]]), axis=0)
    long = edges[int(np.argmax(np.hypot(edges[:, 0], edges[:, 1])))]
    normal = np.array([-long[1], long[0]]) / np.hypot(*long)
    c = np.asarray(geom.centroid.coords[0])
    reach = 2 * np.hypot(*long)
    parts = list(shapely.ops.split(geom, LineString([c - reach * normal, c + reach * normal])).geoms)
    if len(parts) != 2 or not all(0.35 <= q.area / geom.area <= 0.65 for q in parts):
        return None
    return sorted(parts, key=lambda q: (q.centroid.x, q.centroid.y))


def move_buildings(snap: Snapshot, old: list[str], new: dict[str, BaseGeometry]) -> None:
    """Buildings of the ``old`` parcels go to the ``new`` parcel (id -> geometry) holding their point."""
    b = snap.layers["buildings"]
    hit = b["parcel_id"].isin(old)
    pts = b.loc[hit].geometry.representative_point()
    for k, pt in pts.items():
        b.loc[k, "parcel_id"] = next((pid for pid, g in new.items() if g.contains(pt)), next(iter(new)))


def replace_parcels(snap: Snapshot, old: list[str], new: list[dict]) -> None:
    """Swap parcel rows: ``old`` ids out, ``new`` rows (attribute dicts with ``geometry``) in; sorted."""
    p = snap.parcels
    template = p[p["parcel_id"] == old[0]].iloc[0].to_dict()
    rows = [{**template, **n} for n in new]
    kept = p[~p["parcel_id"].isin(old)]
    out = pd.concat([kept, type(p)(rows, geometry="geometry", crs=p.crs)], ignore_index=True)
    snap.layers["parcels"] = out.sort_values("parcel_id", ignore_index=True)
    move_buildings(snap, old, {n["parcel_id"]: n["geometry"] for n in new})
    cs = snap.contracts
    kp = cs.column("宗地代码")
    hits = [k for k, r in enumerate(cs.rows) if r[kp] in old]
    for k in reversed(hits[1:]):        # one contract stays, now for the (last) new parcel
        cs.remove_row(k)
    if hits:
        cs.rows[hits[0]][kp] = new[-1]["parcel_id"]


def split(snap: Snapshot, code: str, buyer: str) -> None:
    """分割转让: the enterprise's parcel is cut in two; one half passes to ``buyer``. Both parts carry
    ``split_from``; the seller keeps the other (its 亩均税收 doubles)."""
    own = owner_table(snap)
    pid = own.at[code, "parcel_id"]
    p = snap.parcels
    geom = p.loc[p["parcel_id"] == pid].geometry.iloc[0]
    parts = halves(geom)
    if parts is None:
        raise RuntimeError(f"parcel {pid} does not cut into two halves")
    a, b = parts
    name_b = p.loc[p["owner_uscc"] == buyer, "owner_name"].iloc[0]
    id_b = new_parcel_id(snap, pid)
    id_a = f"{id_b[:14]}{int(id_b[14:]) + 1:05d}"
    replace_parcels(snap, [pid], [{"parcel_id": id_b, "owner_uscc": buyer, "owner_name": name_b,
                                   "split_from": pid, "geometry": b},
                                  {"parcel_id": id_a, "split_from": pid, "geometry": a}])
    snap.notes.setdefault("split", []).append({"parcel_id": pid, "parts": [id_a, id_b], "seller": code,
                                               "buyer": buyer})


def merge(snap: Snapshot, code: str, pid: str, buyer: str, buyer_pid: str) -> None:
    """兼并重组: ``buyer`` takes over the enterprise and its parcel, merged with ``buyer_pid``
    (``merged_from`` names both); the enterprise leaves the table."""
    p = snap.parcels
    geoms = p.set_index("parcel_id").geometry
    merged = shapely.union_all([geoms[pid], geoms[buyer_pid]])
    new_id = new_parcel_id(snap, buyer_pid)
    replace_parcels(snap, [buyer_pid, pid], [{"parcel_id": new_id, "merged_from": f"{buyer_pid};{pid}",
                                              "geometry": merged}])
    drop_enterprise(snap, code)
    snap.notes.setdefault("merged", []).append({"parcel_id": new_id, "merged_from": [buyer_pid, pid],
                                                "seller": code, "buyer": buyer})


def supply_idle(snap: Snapshot, pid: str, uscc: str, name: str, signed: dt.date, agreed_start: dt.date) -> None:
    """补录 a 出让 contract for a parcel nobody held: signed ``signed``, agreed start passed, not started
    (a new NAT-IDLE-1 parcel)."""
    p = snap.parcels
    k = p.index[p["parcel_id"] == pid][0]
    p.loc[k, ["owner_uscc", "owner_name", "rights_type", "status"]] = [uscc, name, "出让", "未动工"]
    p.loc[k, "term_start"] = pd.Timestamp(signed)
    p.loc[k, "term_end"] = pd.Timestamp(signed.replace(year=signed.year + 50) - dt.timedelta(days=1))
    cs = snap.contracts
    mu = p.loc[k].geometry.area / M2_PER_MU
    row = {"合同编号": f"331023{signed.year}B{90001:05d}", "宗地代码": pid, "供地方式": "出让",
           "签订日期": signed.isoformat(), "约定动工日期": agreed_start.isoformat(),
           "约定竣工日期": agreed_start.replace(year=agreed_start.year + 2).isoformat(), "实际动工日期": None,
           "总投资(万元)": round(mu * 300, 2), "已完成投资(万元)": 0.0,
           "应开发面积(平方米)": round(p.loc[k].geometry.area, 2), "已开发面积(平方米)": 0.0, "停工日期": None,
           "政府原因": None, "出让价款(万元)": round(mu * 32, 2)}
    cs.rows.append([row.get(h) for h in cs.headers])
    snap.notes.setdefault("new_idle", []).append({"parcel_id": pid, "uscc": uscc, "agreed_start": agreed_start.isoformat()})


def start_works(snap: Snapshot, rng: np.random.Generator, keep: set[str]) -> None:
    """Land not started whose agreed start is a year old by the quarter's end starts 9–12 months after
    it (status 在建, 10–30 % invested and developed), except the parcels in ``keep`` (planted idle
    cases): without this, every parcel supplied in 2022 would fall idle on the calendar alone."""
    from geo_tenglong.io.dates import parse_dates

    cs, p = snap.contracts, snap.parcels
    k = {h: cs.column(h) for h in ("宗地代码", "约定动工日期", "实际动工日期", "总投资(万元)", "已完成投资(万元)",
                                   "应开发面积(平方米)", "已开发面积(平方米)")}
    agreed = parse_dates([r[k["约定动工日期"]] for r in cs.rows]).dates
    status = p.set_index("parcel_id")["status"]
    for i, r in enumerate(cs.rows):
        pid = r[k["宗地代码"]]
        if pid in keep or status.get(pid) != "未动工" or r[k["实际动工日期"]] is not None or pd.isna(agreed.iloc[i]):
            continue
        start = agreed.iloc[i].date() + dt.timedelta(days=int(rng.integers(270, 356)))
        if start > snap.as_of or agreed.iloc[i].date() + dt.timedelta(days=365) > snap.as_of:
            continue
        share = float(rng.uniform(0.1, 0.3))
        r[k["实际动工日期"]] = start.isoformat()
        r[k["已完成投资(万元)"]] = round(float(r[k["总投资(万元)"]]) * share, 2)
        r[k["已开发面积(平方米)"]] = round(float(r[k["应开发面积(平方米)"]]) * share, 2)
        p.loc[p["parcel_id"] == pid, "status"] = "在建"
        snap.notes.setdefault("started", []).append(pid)
