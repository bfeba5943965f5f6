"""The sample's later quarters: ``quarters/2023Q3`` and ``quarters/2023Q4`` of the 天台 workspace.

Each quarter is the previous state's files with named changes (``evolve``), written as a full
workspace with its own ``workspace.toml`` (as_of the quarter's end), ``manifest.json`` (what changed)
and ``整治台账_填报.xlsx`` (the ledger rows the townships filled in before that quarter's run).

Why not a changed ``County`` written again: writing a county draws the tables' figures, date forms
and data faults from the main random stream, so a second write would redraw every enterprise's
figures. Editing the written files keeps everything not named in the manifest byte for byte, so a
quarter differs from the previous one exactly by its listed changes. The quarters draw only from
their own streams, ``numpy.random.default_rng([seed, 19, q])`` (q = 0 for what both quarters share,
1 and 2 for the quarters), so the base workspace's bytes do not move.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import numpy as np

from .commitments import committed_indicators, plan_dates, retain_kinds, start_renovation
from .evolve import energy_drop, halves, improve, lag, merge, reclaim, split, start_works, supply_idle, transfer
from .figures import owner_table, protected
from .ledgerfile import task_row, write_ledger
from .profiles import Profile
from .snapshot import Snapshot, read_snapshot, write_snapshot

QUARTERS = (("2023Q3", dt.date(2023, 9, 30)), ("2023Q4", dt.date(2023, 12, 31)))
LAGGING = "平桥镇"
LEDGER_FILE = "整治台账_填报.xlsx"
COUNTIES = ("tiantai",)          # profiles whose sample has later quarters
DEADLINE = dt.date(2024, 6, 30)


def quarter_rng(profile: Profile, q: int) -> np.random.Generator:
    """The quarters' own stream ``q`` (0: shared by both quarters; 1, 2: each quarter's changes)."""
    return np.random.default_rng([profile.seed, 19, q])


def candidates(snap: Snapshot, manifest: dict, base: Path, done: set[str]) -> tuple:
    """(low-efficiency holders, those of them holding one parcel, ordinary 规上 single-parcel holders)
    outside the lagging township: enterprises a quarter may change, none planted or already changed
    (``done``)."""
    with open(base / "tenancy.csv", encoding="utf-8-sig", newline="") as f:
        hosts = {r[0] for r in list(csv.reader(f))[1:]}
    with open(base / "merge_proposals.csv", encoding="utf-8-sig", newline="") as f:
        hosts |= {pid for r in list(csv.reader(f))[1:] for pid in r[1].split(";")}
    codes, pids = protected(manifest, snap, hosts)
    own = owner_table(snap)
    ok = (~own.index.isin(list(codes | done)) & ~own["parcel_id"].isin(list(pids))
          & (own["status"] == "已竣工投产") & (own["township"] != LAGGING) & (own["mu"] >= 3))
    weak = own[ok & own["tpm"].between(0.5, 4.5)]
    single = ok & (own["n"] == 1)
    return weak, weak[weak["n"] == 1], own[single & (own["scale"] == "规上") & (own["tpm"] > 8)]


def spread(rng: np.random.Generator, weak, n: int, skip: set[str]) -> list[str]:
    """``n`` holders of ``weak`` (not in ``skip``), one township after another (random order), so the
    quarter's progress is not all in one place."""
    by_town: dict[str, list[str]] = {}
    for c in rng.permutation(weak.index.to_numpy()):
        if str(c) not in skip:
            by_town.setdefault(str(weak.at[c, "township"]), []).append(str(c))
    out: list[str] = []
    while len(out) < n and any(by_town.values()):
        for codes in by_town.values():
            if codes and len(out) < n:
                out.append(codes.pop(0))
    return out


def retain(manifest: dict, snap: Snapshot, good) -> dict[str, str]:
    """留驻优质企业 kinds: the planted good buyers and keep/housing A owners, plus ordinary top payers."""
    p = snap.parcels.set_index("parcel_id")["owner_uscc"]
    g1, g2, g3 = manifest["rating"]["good_buyers"]
    kinds = {g1: "上市", g2: "单项冠军", g3: "小巨人"}
    for pid in manifest["keep"]["class_a_parcels"][:1]:
        kinds[p[pid]] = "隐形冠军"
    a, b = manifest["housing"]["outside_park_ge50_class_ab"]
    kinds[p[a]], kinds[p[b]] = "未来工厂", "拟上市"
    for code in good.sort_values("tpm", ascending=False).index[:4]:
        kinds.setdefault(code, "132")
    return kinds


def shared_changes(snap: Snapshot, manifest: dict, base: Path, profile: Profile) -> None:
    """What both quarters carry from their first day: committed indicators, plan dates, 留驻 kinds."""
    rng = quarter_rng(profile, 0)
    *_, good = candidates(snap, manifest, base, set())
    snap.notes["standard_land"] = committed_indicators(snap, snap, rng)
    snap.notes["retain"] = retain(manifest, snap, good)
    retain_kinds(snap, snap.notes["retain"])


def q3_changes(snap: Snapshot, manifest: dict, base: Path, profile: Profile) -> list[list]:
    """2023Q3: four enterprises improve, two parcels reclaimed (one rezoned), one split, energy
    drops, a new idle parcel, the lagging township's tax revised down. Returns the ledger rows."""
    rng = quarter_rng(profile, 1)
    weak, low, good = candidates(snap, manifest, base, set())
    pool = [str(c) for c in rng.permutation(low.index.to_numpy())]
    geoms = snap.parcels.set_index("parcel_id").geometry
    cut = next(c for c in pool if low.at[c, "tpm"] >= 2.6 and low.at[c, "mu"] >= 12
               and halves(geoms[low.at[c, "parcel_id"]]) is not None)
    out = [c for c in pool if c != cut][:2]
    up = spread(rng, weak, 4, {cut, *out})
    talks = spread(rng, weak, 3, {cut, *out, *up})
    rows = ledger_rows(weak, up, "改造提升", "已完成待复核", "技改完成，亩均税收、增加值提升，申请复评")
    rows += ledger_rows(weak, out, "关停退出", "已完成待复核", "企业关停，土地已由县土地储备中心收回")
    rows += ledger_rows(weak, [cut], "回收流转", "已完成待复核", "分割转让一半用地给优质企业")
    rows += ledger_rows(weak, talks, "限期整改", "整改中", "已约谈，制定一企一方案")
    improve(snap, rng, up)
    reclaim(snap, out, profile.admin_code, rezone=1)
    split(snap, cut, manifest["rating"]["good_buyers"][0])
    energy_drop(snap, rng, [str(c) for c in rng.choice(good.index.to_numpy(), 12, replace=False)])
    lag(snap, LAGGING, 0.96)
    start_works(snap, rng, planted_idle(manifest))
    idle_parcel(snap, rng, profile)
    snap.notes["plans"] = plan_dates(snap, rng, {"R03": None, "R09": None}, "R02")
    rows += relocation_row(snap, manifest)
    return rows


def q4_changes(snap: Snapshot, manifest: dict, base: Path, profile: Profile, prev: dict) -> list[list]:
    """2023Q4: four more improve, one reclaimed, one transferred, one merged into a neighbour,
    energy drops, the lagging township again; one late renovation starts. Returns the ledger rows."""
    rng = quarter_rng(profile, 2)
    done = set(prev["improved"]) | {r["from_uscc"] for r in prev["reclaimed"]} | {s["seller"] for s in prev["split"]}
    weak, low, good = candidates(snap, manifest, base, done)
    pool = [str(c) for c in rng.permutation(low.index.to_numpy())]
    seller, buyer, pid, buyer_pid = merge_pair(snap, low.loc[pool], good)
    out, moved = [c for c in pool if c != seller][:2]
    up = spread(rng, weak, 4, {seller, out, moved})
    works = spread(rng, weak, 2, {seller, out, moved, *up})
    rows = ledger_rows(weak, up, "改造提升", "已完成待复核", "技改投产，申请复评")
    rows += ledger_rows(weak, [out], "关停退出", "已完成待复核", "土地已收回")
    rows += ledger_rows(weak, [moved], "回收流转", "已完成待复核", "土地流转给优质企业")
    rows += ledger_rows(weak, [seller], "兼并重组", "已完成待复核", "被相邻企业兼并，宗地合并")
    rows += ledger_rows(weak, works, "改造提升", "整改中", "技改项目已备案，设备采购中")
    improve(snap, rng, up)
    reclaim(snap, [out], profile.admin_code)
    transfer(snap, moved, manifest["rating"]["good_buyers"][2])
    merge(snap, seller, pid, buyer, buyer_pid)
    energy_drop(snap, rng, [str(c) for c in rng.choice(good.index.drop(buyer).to_numpy(), 12, replace=False)])
    lag(snap, LAGGING, 0.96)
    start_works(snap, rng, planted_idle(manifest) | {n["parcel_id"] for n in prev["new_idle"]})
    snap.notes["new_idle"] = [{"parcel_id": manifest["idle"]["not_idle_under_1y"][0], "why": "约定动工满一年未动工"},
                              {"parcel_id": manifest["idle"]["not_idle_suspended_under_1y"][0], "why": "中止开发满一年"}]
    snap.notes["plans"] = start_renovation(snap, "R03", dt.date(2023, 10, 16), prev["plans"])
    return rows


def merge_pair(snap: Snapshot, low, good) -> tuple[str, str, str, str]:
    """(seller, buyer, seller's parcel, buyer's parcel): the first low holder with a good neighbour
    sharing over 20 m of boundary (the union a single polygon)."""
    p = snap.parcels.set_index("parcel_id")
    by_pid = {r["parcel_id"]: c for c, r in good.iterrows()}
    for seller, r in low.iterrows():
        g = p.at[r["parcel_id"], "geometry"]
        for other, h in p.geometry.items():
            if other in by_pid and g.distance(h) < 0.01 and g.boundary.intersection(h.buffer(0.01)).length > 20 \
                    and g.union(h).geom_type == "Polygon":
                return str(seller), by_pid[other], r["parcel_id"], other
    raise RuntimeError("no merge pair for the 2023Q4 quarter")


def relocation_row(snap: Snapshot, manifest: dict) -> list[list]:
    """The D-class holder of a block rezoned away from industry (its renovation plan R13) is listed
    for 搬迁入园: TT-ZERO then bars its 零增地技改 plan."""
    p = snap.parcels.set_index("parcel_id")
    pid = manifest["keep"]["class_d_parcels"][0]
    code = str(p.at[pid, "owner_uscc"])
    snap.notes["relocating"] = {"uscc": code, "parcel_id": pid}
    return [task_row(code, str(p.at[pid, "owner_name"]), pid, str(p.at[pid, "township"]), "搬迁入园", DEADLINE,
                     "整改中", "地块已规划调整为非工业用途，拟搬迁入园")]


def planted_idle(manifest: dict) -> set[str]:
    """The base's planted idle and imagery parcels (their dates are the cases: never started here)."""
    return {pid for section in ("idle", "imagery") for ids in manifest[section].values() for pid in ids}


def idle_parcel(snap: Snapshot, rng: np.random.Generator, profile: Profile) -> None:
    """A parcel nobody held gets its 出让 contract 补录 (signed 2022-04-18, agreed start 2022-08-20, not
    started): idle from 2023-08-20 on."""
    from .enterprises import new_name, new_uscc

    p = snap.parcels
    free = p[p["owner_uscc"].isna() & (p["status"] == "未动工") & p["rights_type"].isna()]
    pid = str(free["parcel_id"].iloc[int(rng.integers(len(free)))])
    taken = set(p["owner_uscc"].dropna())
    code = new_uscc(rng, profile.admin_code, taken)
    name = new_name(rng, profile, profile.industries[0], set(p["owner_name"].dropna()))
    supply_idle(snap, pid, code, name, dt.date(2022, 4, 18), dt.date(2022, 8, 20))


def ledger_rows(weak, codes: list[str], treatment: str, status: str, note: str) -> list[list]:
    """Filled-in ledger rows for ``codes`` (holders in ``weak``)."""
    return [task_row(c, str(weak.at[c, "name"]), str(weak.at[c, "parcel_id"]), str(weak.at[c, "township"]),
                     treatment, DEADLINE, status, note) for c in codes]


def write_quarters(profile: Profile, base: Path) -> list[Path]:
    """Write ``base/quarters/2023Q3`` and ``2023Q4`` from the base workspace in ``base``."""
    manifest = json.loads((base / "manifest.json").read_text(encoding="utf-8"))
    prev, src, written = base, base, []
    notes: dict = {}
    for k, (name, as_of) in enumerate(QUARTERS):
        snap = read_snapshot(src, profile.gpkg, as_of)
        if k == 0:
            shared_changes(snap, manifest, base, profile)
            rows = q3_changes(snap, manifest, base, profile)
        else:
            snap.notes.update({key: notes[key] for key in ("standard_land", "retain")})
            rows = q4_changes(snap, manifest, base, profile, notes)
        out = base / "quarters" / name
        write_snapshot(snap, prev, out, profile.gpkg)
        write_ledger(out / LEDGER_FILE, f"{profile.county}高耗低效企业整治台账（{name} 乡镇填报）", rows)
        snap.notes["ledger"] = {"file": LEDGER_FILE, "rows": [{"task_id": r[0], "treatment": r[6], "status": r[8]}
                                                              for r in rows]}
        qm = {"county": profile.county, "as_of": as_of.isoformat(), "quarter": name, "seed": profile.seed,
              "stream": [profile.seed, 19, k + 1], "changes": snap.notes}
        (out / "manifest.json").write_text(json.dumps(qm, ensure_ascii=False, indent=1, default=str) + "\n",
                                           encoding="utf-8")
        notes, prev, src = snap.notes, out, out
        written.append(out)
    return written
