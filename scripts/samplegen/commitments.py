"""What the later quarters' tables add for 履约监管: the 标准地 contracts' committed indicators, the
plans' approval and start dates, and the 留驻优质企业 kinds.

Headers (the obvious 标准地 terms of an 投资监管协议): ``承诺投资强度(万元/亩)``, ``承诺容积率``,
``承诺亩均税收(万元/亩)``, ``承诺单位能耗增加值(万元/吨标准煤)``, ``实际竣工日期`` on contracts.xlsx;
``批准日期``, ``实际开工日期`` on projects.csv and ``approved_date``, ``actual_start``,
``policy_category`` on the renovations layer; ``优质企业类型`` on enterprises.xlsx (the headers the
package's aliases read).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from geo_tenglong.io.dates import parse_dates

from .constants import M2_PER_MU
from .figures import owner_table
from .snapshot import Snapshot

COMMITTED = ("承诺投资强度(万元/亩)", "承诺容积率", "承诺亩均税收(万元/亩)", "承诺单位能耗增加值(万元/吨标准煤)",
             "实际竣工日期")
REVIEW_YEARS = 3           # 达产复核 three years after 竣工 (TT-STD review_after_years in tiantai-2022)
RETAIN_HEADER = "优质企业类型"


def committed_indicators(snap: Snapshot, base: Snapshot, rng: np.random.Generator, shortfalls: int = 3) -> dict:
    """Add the committed-indicator columns to the contracts of 标准地 parcels (出让 since 2018).

    Commitments sit below the holder's 2022 figures in ``base`` (a pass), except for ``shortfalls``
    contracts per indicator (tax, energy, investment) committed 40–80 % above them. 竣工日期 is the
    agreed completion of completed parcels, 达产日期 two years later. Returns the manifest entry.
    """
    cs = snap.contracts
    parcels = base.parcels.set_index("parcel_id")
    own = owner_table(base)
    b = base.layers["buildings"]
    built = (b.geometry.area * b["floors"].astype(float)).groupby(b["parcel_id"]).sum().to_dict()
    k = {h: cs.column(h) for h in ("宗地代码", "供地方式", "约定竣工日期", "已完成投资(万元)")}
    completion = parse_dates([r[k["约定竣工日期"]] for r in cs.rows]).dates
    values: list[list] = []
    std_rows = []
    for i, r in enumerate(cs.rows):
        pid = r[k["宗地代码"]]
        ok = pid in parcels.index and bool(parcels.at[pid, "standard_land"]) and r[k["供地方式"]] == "出让"
        owner = parcels.at[pid, "owner_uscc"] if ok else None
        if not ok or owner not in own.index:
            values.append([None] * len(COMMITTED))
            continue
        std_rows.append(i)
        o = own.loc[owner]
        mu = parcels.at[pid, "geometry"].area / M2_PER_MU
        done = parcels.at[pid, "status"] in ("已竣工投产", "停产") and not pd.isna(completion.iloc[i])
        finish = completion.iloc[i].date() if done else None
        values.append([round(float(r[k["已完成投资(万元)"]] or 0) / mu * rng.uniform(0.8, 0.98), 2),
                       committed_far(parcels.at[pid, "contract_far"], built.get(pid, 0.0) / mu / M2_PER_MU, rng),
                       round(float(o["tpm"]) * rng.uniform(0.5, 0.9), 2),
                       round(float(o["va"]) / float(o["energy"]) * rng.uniform(0.5, 0.9), 4) if o["energy"] else None,
                       finish])
    due = [i for i in std_rows if values[i][4] is not None
           and values[i][4].replace(year=values[i][4].year + REVIEW_YEARS) <= snap.as_of]
    picks = [int(x) for x in rng.choice(due, 3 * shortfalls, replace=False)]
    short: dict[str, list[str]] = {"investment": [], "tax": [], "energy": []}
    for j, (key, col) in enumerate((("investment", 0), ("tax", 2), ("energy", 3))):
        for i in picks[j * shortfalls:(j + 1) * shortfalls]:
            values[i][col] = round(values[i][col] / rng.uniform(0.5, 0.9) * rng.uniform(1.4, 1.8), 4)
            short[key].append(cs.rows[i][k["宗地代码"]])
    for c, header in enumerate(COMMITTED):
        cs.add_column(header, [v[c] for v in values])
    for i, v in enumerate(values):
        if v[4] is not None:
            cs.formats[(i + 2, len(cs.headers))] = "yyyy-mm-dd"
    return {"contracts": len(std_rows), "due_for_review": len(due), "shortfall_parcels": short}


def committed_far(contract_far: float, built_far: float, rng: np.random.Generator) -> float | None:
    """The 承诺容积率 of a 标准地 agreement: a floor the holder commits to (容积率不低于), not the plan's
    ceiling (``contract_far``). It sits 5–20 % below the floor area already built, capped by the
    ceiling; ``None`` (no commitment recorded) where nothing is built.
    """
    if not built_far > 0:
        return None
    return round(min(float(contract_far), built_far * rng.uniform(0.8, 0.95)), 2)


def plan_dates(snap: Snapshot, rng: np.random.Generator, late: dict[str, dt.date | None],
               restricted: str) -> dict:
    """批准日期 / 实际开工日期 on projects.csv and the renovations layer, whose plans also gain their
    产业政策类别 (鼓励类; ``restricted`` is 限制类, barred by TT-ZERO).

    Projects: approved two years before they were built (built ones) or in early 2023 (those under
    construction), started one to two months later. Renovations: approved in 2022 and started, except
    those in ``late`` (renovation id -> start date or None): approved 2023-03-20, started then or not.
    """
    head, rows = snap.projects
    kb, kc = head.index("建成年份"), head.index("是否在建")
    for r in rows:
        building = r[kc] == "是"
        approved = dt.date(2023, int(rng.integers(1, 5)), int(rng.integers(1, 29))) if building else \
            dt.date(int(r[kb]) - 2, int(rng.integers(1, 13)), int(rng.integers(1, 29)))
        r += [approved.isoformat(), (approved + dt.timedelta(days=int(rng.integers(30, 62)))).isoformat()]
    snap.projects = (head + ["批准日期", "实际开工日期"], rows)
    ren = snap.layers["renovations"]
    approvals, starts = [], []
    for rid in ren["renovation_id"]:
        approved = dt.date(2022, int(rng.integers(1, 13)), int(rng.integers(1, 29)))
        start: dt.date | None = approved + dt.timedelta(days=int(rng.integers(20, 80)))
        if rid in late:
            approved, start = dt.date(2023, 3, 20), late[rid]
        approvals.append(approved)
        starts.append(start)
    ren["approved_date"] = pd.to_datetime(pd.Series(approvals, dtype=object)).astype("datetime64[ms]")
    ren["actual_start"] = pd.to_datetime(pd.Series([s or pd.NaT for s in starts], dtype=object)).astype("datetime64[ms]")
    ren["policy_category"] = ["限制类" if rid == restricted else "鼓励类" for rid in ren["renovation_id"]]
    return {"renovations_not_started": sorted(rid for rid, s in late.items() if s is None),
            "renovation_restricted": restricted}


def start_renovation(snap: Snapshot, rid: str, start: dt.date, plans: dict) -> dict:
    """Renovation ``rid`` (approved late, not started) starts on ``start``; returns the plans' note."""
    ren = snap.layers["renovations"]
    ren.loc[ren["renovation_id"] == rid, "actual_start"] = pd.Timestamp(start)
    return {**plans, "renovations_not_started": [r for r in plans["renovations_not_started"] if r != rid],
            "renovations_started": {rid: start.isoformat()}}


def retain_kinds(snap: Snapshot, kinds: dict[str, str]) -> None:
    """The ``优质企业类型`` column: ``kinds`` (uscc -> 上市 / 拟上市 / 单项冠军 / 小巨人 / 隐形冠军 /
    未来工厂 / "132"), empty for every other enterprise."""
    sh = snap.enterprises
    cu = sh.column("统一社会信用代码")
    sh.add_column(RETAIN_HEADER, [kinds.get(r[cu]) for r in sh.rows])
