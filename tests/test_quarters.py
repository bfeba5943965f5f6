"""The campaign over three quarters of the 天台 sample (issue 19): base (2023-06-30), 2023Q3, 2023Q4.

The three workspaces are analysed in order with one history store, as three ``run``s would be
(``analyse`` + ``record_run``, the history read before each analysis; no reports or maps, to stay
fast). What the history and the targets report — land freed since the campaign's start and since
the previous run, and why; new idle land; classes that moved; the township 赛马 — is recomputed here
independently, from the workspaces' input files and the runs' result frames (never by calling the
history's compare code), and compared. The sample's quarter manifests say what the generator changed;
those changes must show up with the right reason.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo_tenglong.history import store
from geo_tenglong.history.ledger import read_tasks
from geo_tenglong.history.ledger_xlsx import import_ledger
from geo_tenglong.history.view import load_history
from geo_tenglong.pipeline import analyse
from geo_tenglong.report.bulletin import build_bulletin
from geo_tenglong.workspace import load_workspace

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ROOT / "layers"
STATES = [("base", LAYERS), ("2023Q3", LAYERS / "quarters" / "2023Q3"), ("2023Q4", LAYERS / "quarters" / "2023Q4")]
CLASS_RANK = {"A": 1, "B": 2, "C": 3, "D": 4}

pytestmark = pytest.mark.skipif(not (STATES[-1][1] / "manifest.json").exists(), reason="layers/quarters not generated")


def notes(name: str) -> dict:
    return json.loads((LAYERS / "quarters" / name / "manifest.json").read_text(encoding="utf-8"))["changes"]


def input_parcels(folder: Path) -> pd.DataFrame:
    """The parcels layer of a workspace as the file holds it (no package code)."""
    p = gpd.read_file(folder / "tiantai.gpkg", layer="parcels")
    return pd.DataFrame(p.drop(columns="geometry")).set_index("parcel_id")


LEDGER_FILE = "整治台账_填报.xlsx"
ZZ = "高耗低效整治"


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    """The three runs recorded in one store, the quarter's ledger file imported before each later run:
    (store path, [Results], [run id], {stage: tasks}) with the tasks after each run ``run0``…
    and after each import ``import1``, ``import2``."""
    path = tmp_path_factory.mktemp("campaign") / "history.gpkg"
    results, ids, tasks = [], [], {}
    for k, (_name, folder) in enumerate(STATES):
        if k:
            import_ledger(folder / LEDGER_FILE, path)
            tasks[f"import{k}"] = read_tasks(path).set_index("task_id")
        ws = load_workspace(folder)
        ws.history = load_history(path, ws.as_of, ws.admin_code)
        assert (ws.history is None) == (k == 0)
        r = analyse(ws)
        r.info["run_id"] = f"q{k}-{ws.as_of:%Y%m%d}"
        store.record_run(r, path, inputs=ws.inputs)
        results.append(r)
        ids.append(r.info["run_id"])
        tasks[f"run{k}"] = read_tasks(path).set_index("task_id")
    return path, results, ids, tasks


def on_list(r) -> pd.Series:
    """parcel id -> on the low-efficiency (reclaimable) list, from a run's parcels frame."""
    p = r.parcels
    return pd.Series(p["reclaimable"].fillna(False).astype(bool).to_numpy(), index=p["parcel_id"].astype(str))


def areas(r) -> pd.Series:
    return pd.Series(r.parcels["area_mu"].to_numpy(dtype=float), index=r.parcels["parcel_id"].astype(str))


def expected_freed(before, after, before_dir: Path, after_dir: Path) -> pd.DataFrame:
    """Parcels on the list in ``before`` and not in ``after`` (or gone), with why — from the input
    files (lineage, owner, land use) and the runs' classes."""
    b, a = on_list(before), on_list(after)
    freed = [pid for pid in b.index[b] if not a.get(pid, False)]
    pb, pa = input_parcels(before_dir), input_parcels(after_dir)
    split_to = {src: pid for pid, s in pa["split_from"].dropna().items() for src in str(s).split(";")}
    merged_to = {src: pid for pid, s in pa["merged_from"].dropna().items() for src in str(s).split(";")}
    cls_b = before.parcels.set_index(before.parcels["parcel_id"].astype(str))["eval_class"]
    cls_a = after.parcels.set_index(after.parcels["parcel_id"].astype(str))["eval_class"]
    rows = []
    for pid in freed:
        if pid in split_to or (pid in pa.index and pd.notna(pa.at[pid, "split_from"]) and pd.isna(pb.at[pid, "split_from"])):
            why = "split"
        elif pid in merged_to:
            why = "merged"
        elif pid not in pa.index:
            why = "gone"
        elif pa.at[pid, "owner_uscc"] != pb.at[pid, "owner_uscc"] or pa.at[pid, "land_use_code"] != pb.at[pid, "land_use_code"]:
            why = "reclaimed"
        elif pd.notna(cls_a.get(pid)) and pd.notna(cls_b.get(pid)) and CLASS_RANK[cls_a[pid]] < CLASS_RANK[cls_b[pid]]:
            why = "rerated"
        else:
            why = "other"
        rows.append({"parcel_id": pid, "area_mu": areas(before)[pid], "reason": why})
    return pd.DataFrame(rows, columns=["parcel_id", "area_mu", "reason"])


def target(r, metric: str) -> pd.Series:
    t = r.layers["targets"]
    rows = t[t["metric"] == metric]
    assert len(rows) == 1, metric
    return rows.iloc[0]


# -- the store ------------------------------------------------------------------------------------

def test_three_runs_recorded_in_order(campaign):
    path, results, ids, _ = campaign
    runs = store.runs(path)
    assert runs["run_id"].tolist() == ids
    assert runs["as_of"].tolist() == ["2023-06-30", "2023-09-30", "2023-12-31"]
    for r, rid in zip(results, ids):
        states = store.parcel_states(path, rid)
        assert set(states["parcel_id"]) == set(r.parcels["parcel_id"].astype(str))
        assert states.set_index("parcel_id")["low_efficiency"].sort_index().equals(on_list(r).sort_index())


# -- land freed (TT-T8 腾出低效工业用地) -------------------------------------------------------------

@pytest.mark.parametrize("k", [1, 2])
def test_freed_since_campaign_start_is_the_target_value(campaign, k):
    """TT-T8 counts land that left the list since the first recorded run (the base quarter), not
    today's candidates; the value is the freed parcels' area recomputed from the runs' lists."""
    results = campaign[1]
    freed = expected_freed(results[0], results[k], STATES[0][1], STATES[k][1])
    t = target(results[k], "freed_mu")
    assert t["rule_id"] == "TT-T8" and t["status"] != "missing_data"
    assert t["value"] == pytest.approx(freed["area_mu"].sum(), abs=1e-3) and 0 < t["value"] < t["target"]
    assert f"{len(freed)} 宗" in str(t["note"])
    pool = on_list(results[k])
    assert t["candidate"] == pytest.approx(areas(results[k])[pool[pool].index].sum(), abs=1e-2)
    assert t["candidate"] > 5 * t["value"]          # the candidate pool is shown beside, never as progress
    assert str(t["since"]) == "2023-06-30"


def test_freed_in_base_run_is_missing_without_history(campaign):
    results = campaign[1]
    t = target(results[0], "freed_mu")
    assert t["status"] == "missing_data" and np.isnan(float(t["value"]))


@pytest.mark.parametrize("k", [1, 2])
def test_quarter_changes_free_land_for_the_right_reason(campaign, k):
    """Every parcel the generator reclaimed, split, merged or whose holder improved leaves the list
    in that quarter, for that reason; and the history's change layer says the same."""
    results = campaign[1]
    name, folder = STATES[k]
    n = notes(name)
    freed = expected_freed(results[k - 1], results[k], STATES[k - 1][1], folder).set_index("parcel_id")
    before = input_parcels(STATES[k - 1][1])
    want = {r["parcel_id"]: "reclaimed" for r in n.get("reclaimed", []) + n.get("transferred", [])}
    want |= {s["parcel_id"]: "split" for s in n.get("split", [])}
    want |= {pid: "merged" for m in n.get("merged", []) for pid in m["merged_from"] if on_list(results[k - 1]).get(pid)}
    for code in n["improved"]:
        for pid in before.index[before["owner_uscc"] == code]:
            if on_list(results[k - 1]).get(pid):
                want[pid] = "rerated"
    assert want and set(want) <= set(freed.index)
    assert {pid: freed.at[pid, "reason"] for pid in want} == want
    changes = results[k].layers["changes"]
    got = changes[changes["change"] == "freed"].set_index("parcel_id")
    assert set(got.index) == set(freed.index)
    assert got["area_mu"].sum() == pytest.approx(freed["area_mu"].sum(), abs=1e-3)


def test_lagging_township_frees_nothing(campaign):
    results = campaign[1]
    lag = notes("2023Q3")["lagging_township"]
    for k in (1, 2):
        freed = expected_freed(results[k - 1], results[k], STATES[k - 1][1], STATES[k][1])
        town = results[k - 1].parcels.set_index(results[k - 1].parcels["parcel_id"].astype(str))["township"]
        assert not (freed["parcel_id"].map(town) == lag).any()
        assert freed["parcel_id"].map(town).nunique() >= 2


# -- new idle land ------------------------------------------------------------------------------------

@pytest.mark.parametrize("k", [1, 2])
def test_new_idle_land(campaign, k):
    results = campaign[1]
    tier = [r.parcels.set_index(r.parcels["parcel_id"].astype(str))["idle_tier"].fillna(0) for r in results]
    new = {pid for pid, t in tier[k].items() if t > 0 and tier[k - 1].get(pid, 0) == 0}
    assert {r["parcel_id"] for r in notes(STATES[k][0])["new_idle"]} == new
    changes = results[k].layers["changes"]
    assert set(changes.loc[changes["change"] == "new", "parcel_id"]) == new


# -- classes that moved ---------------------------------------------------------------------------------

@pytest.mark.parametrize("k", [1, 2])
def test_class_moves(campaign, k):
    """Enterprise classes before/after from the runs' evaluation tables, against the stored states."""
    path, results, ids, _ = campaign

    def classes(r):
        ev = r.layers["enterprise_eval"]
        ev = ev[ev["year"] == r.evaluation_year()].drop_duplicates("uscc")
        return ev.set_index("uscc")["eval_class"].dropna()

    a, b = classes(results[k - 1]), classes(results[k])
    both = a.index.intersection(b.index)
    moved = both[a[both] != b[both]]
    up = {c for c in moved if CLASS_RANK[b[c]] < CLASS_RANK[a[c]]}
    assert set(notes(STATES[k][0])["improved"]) <= up
    sa = store.enterprise_states(path, ids[k - 1]).set_index("uscc")["eff_class"]
    sb = store.enterprise_states(path, ids[k]).set_index("uscc")["eff_class"]
    sboth = sa.dropna().index.intersection(sb.dropna().index)
    assert set(sboth[sa[sboth] != sb[sboth]]) == set(moved)


# -- the 整治台账 (closed loop) ---------------------------------------------------------------------------

def listed(r) -> set[str]:
    """Who a run puts on the 高耗低效整治 list (TT-LEDGER in tiantai-2022: class D in the evaluation
    year, and the holders of TT-T4 low-efficiency parcels), from its result frames."""
    ev = r.layers["enterprise_eval"]
    ev = ev[ev["year"] == r.evaluation_year()]
    p = r.parcels
    low = p.loc[p["low_efficiency"].fillna(False).astype(bool), "holder_uscc"].dropna()
    return set(ev.loc[ev["eval_class"] == "D", "uscc"].astype(str)) | set(low.astype(str))


def filled_rows(name: str) -> pd.DataFrame:
    """The rows of a quarter's filled ledger file, read with pandas (header row 2)."""
    return pd.read_excel(LAYERS / "quarters" / name / LEDGER_FILE, sheet_name="整治台账", header=1,
                         dtype={"统一社会信用代码": str}).set_index("任务编号")


def test_ledger_opens_a_task_for_everyone_listed(campaign):
    results, tasks = campaign[1], campaign[3]
    opened: set[str] = set()
    for k in range(3):
        opened |= listed(results[k])
        zz = tasks[f"run{k}"]
        zz = zz[zz["list"] == ZZ]
        assert set(zz["uscc"]) == opened
        assert all(zz.index == "ZZ-" + zz["uscc"])


@pytest.mark.parametrize("k", [1, 2])
def test_ledger_import_takes_the_townships_rows(campaign, k):
    tasks = campaign[3][f"import{k}"]
    rows = filled_rows(STATES[k][0])
    assert set(rows.index) <= set(tasks.index)
    got = tasks.loc[rows.index]
    assert (got["status"] == rows["状态"]).all() and (got["treatment"] == rows["整治方式"]).all()
    assert (got["note"] == rows["进展说明"]).all()
    assert (pd.to_datetime(got["deadline"]) == pd.to_datetime(rows["完成时限"])).all()


@pytest.mark.parametrize("k", [1, 2])
def test_the_next_run_closes_who_left_the_list(campaign, k):
    """达标销号: a task closes in the run whose lists no longer hold its enterprise, whatever the
    township wrote; the townships' 整改中 rows still listed stay open."""
    _, results, ids, tasks = campaign
    now = tasks[f"run{k}"]
    now = now[now["list"] == ZZ]
    ever = set().union(*(listed(results[j]) for j in range(k)))
    assert set(now.loc[now["status"] == "已销号", "uscc"]) == ever - listed(results[k])
    closed_here = now[now["closed_run"] == ids[k]]
    assert set(closed_here["uscc"]) == listed(results[k - 1]) - listed(results[k])
    n = notes(STATES[k][0])
    done = set(n["improved"]) | {r["from_uscc"] for r in n.get("reclaimed", []) + n.get("transferred", [])}
    done |= {s["seller"] for s in n.get("split", []) + n.get("merged", [])}
    assert done <= set(closed_here["uscc"])
    rows = filled_rows(STATES[k][0])
    working = rows[(rows["状态"] == "整改中") & rows["统一社会信用代码"].isin(listed(results[k]))]
    assert len(working) and (now.loc[working.index, "status"] == "整改中").all()


@pytest.mark.parametrize("k", [1, 2])
def test_t7_t9_count_the_closed_tasks(campaign, k):
    """TT-T7 淘汰落后产能 (closed by 关停退出) and 整治提升 (other closings), TT-T9 腾出用能 (a closed
    enterprise's base energy if shut, else its drop) since the campaign start, from the lists, the
    filled files' treatments and the runs' energy figures."""
    results = campaign[1]
    closed = set().union(*(listed(results[j]) for j in range(k))) - listed(results[k])
    treatment = {}
    for j in range(1, k + 1):
        rows = filled_rows(STATES[j][0])
        treatment.update(dict(zip(rows["统一社会信用代码"], rows["整治方式"])))
    shut = {u for u in closed if treatment.get(u) == "关停退出"}
    assert target(results[k], "eliminated_enterprises")["value"] == len(shut) > 0
    assert target(results[k], "renovated_enterprises")["value"] == len(closed) - len(shut)

    def energy(r):
        ev = r.layers["enterprise_eval"]
        ev = ev[ev["year"] == r.evaluation_year()].drop_duplicates("uscc")
        return pd.to_numeric(ev.set_index(ev["uscc"].astype(str))["energy_tce"], errors="coerce")

    e0, e1 = energy(results[0]), energy(results[k])
    freed = [e0.get(u, np.nan) if u in shut else max(e0.get(u, np.nan) - e1.get(u, np.nan), 0.0)
             if not np.isnan(e0.get(u, np.nan) - e1.get(u, np.nan)) else np.nan for u in closed]
    t9 = target(results[k], "energy_freed_tce")
    assert t9["value"] == pytest.approx(np.nansum(freed), rel=1e-9) and t9["value"] > 0
    rules = tomllib.loads((ROOT / "geo_tenglong" / "rules" / "tiantai-2022.toml").read_text(encoding="utf-8"))
    factor = rules["rules"]["TT-T9"]["carbon_t_per_tce"]
    assert target(results[k], "carbon_cut_t")["value"] == pytest.approx(factor * t9["value"], rel=1e-9)


# -- the 季度通报 ----------------------------------------------------------------------------------------

def enterprise_frame(r) -> pd.DataFrame:
    """Evaluated enterprises (evaluation year) with tax, land and the township of their largest parcel."""
    ev = r.layers["enterprise_eval"]
    ev = ev[ev["year"] == r.evaluation_year()].drop_duplicates("uscc")
    p = r.parcels[["holder_uscc", "area_mu", "township"]].dropna(subset=["holder_uscc"])
    town = p.sort_values("area_mu", ascending=False).drop_duplicates("holder_uscc").set_index("holder_uscc")["township"]
    return pd.DataFrame({"uscc": ev["uscc"].astype(str).to_numpy(), "eval_class": ev["eval_class"].to_numpy(),
                         "tax": pd.to_numeric(ev["tax"], errors="coerce").to_numpy(),
                         "land_mu": pd.to_numeric(ev["land_mu"], errors="coerce").to_numpy(),
                         "township": ev["uscc"].astype(str).map(town).to_numpy()})


@pytest.fixture(scope="module")
def bulletin(campaign):
    return build_bulletin(campaign[0])


def test_bulletin_period_and_freed_land(campaign, bulletin):
    results = campaign[1]
    assert (bulletin.start["as_of"], bulletin.base["as_of"], bulletin.current["as_of"]) == \
        ("2023-06-30", "2023-09-30", "2023-12-31")
    want = expected_freed(results[1], results[2], STATES[1][1], STATES[2][1]).set_index("parcel_id")
    got = bulletin.freed.set_index("parcel_id")
    assert set(got.index) == set(want.index)
    assert got["area_mu"].sum() == pytest.approx(want["area_mu"].sum(), abs=1e-3)
    for pid, why in want["reason"].items():
        assert got.at[pid, "reason"] == why or (why == "other" and got.at[pid, "reason"] in ("upgraded", "developed"))
    since = expected_freed(results[0], results[2], STATES[0][1], STATES[2][1])
    assert bulletin.freed_since_start_mu == pytest.approx(since["area_mu"].sum(), abs=1e-3)
    by = bulletin.freed_by_reason.set_index("reason_label")
    assert by["parcels"].sum() == len(want) and by["area_mu"].sum() == pytest.approx(want["area_mu"].sum(), abs=1e-3)


def test_bulletin_new_idle_and_class_moves(campaign, bulletin):
    results = campaign[1]
    tier = [r.parcels.set_index(r.parcels["parcel_id"].astype(str))["idle_tier"].fillna(0) for r in results[1:]]
    assert set(bulletin.new_idle["parcel_id"]) == {p for p, t in tier[1].items() if t > 0 and tier[0].get(p, 0) == 0}
    a, b = (enterprise_frame(r).set_index("uscc")["eval_class"].dropna() for r in results[1:])
    both = a.index.intersection(b.index)
    moved = {(u, a[u], b[u]) for u in both if a[u] != b[u]}
    got = set(zip(bulletin.class_moves["uscc"], bulletin.class_moves["from_class"], bulletin.class_moves["to_class"]))
    assert got == moved
    ups = {u for u, f, t in moved if CLASS_RANK[t] < CLASS_RANK[f]}
    assert set(bulletin.class_moves.loc[bulletin.class_moves["direction"] == "up", "uscc"]) == ups
    assert set(notes("2023Q4")["improved"]) <= ups


def test_bulletin_township_race(campaign, bulletin):
    """The 赛马 (TT-ASSESS 五(二)): 亩均税收 growth, land freed and tasks closed per township this
    quarter, ranked (1 = best, a missing value last), the bottom two marked for 约谈."""
    _, results, ids, tasks = campaign
    fb, fa = enterprise_frame(results[1]), enterprise_frame(results[2])

    def per_mu(f):
        g = f.groupby("township")[["tax", "land_mu"]].sum()
        return g["tax"] / g["land_mu"]

    growth = (per_mu(fa) / per_mu(fb) - 1) * 100
    freed = expected_freed(results[1], results[2], STATES[1][1], STATES[2][1])
    town_before = results[1].parcels.set_index(results[1].parcels["parcel_id"].astype(str))["township"]
    now = tasks["run2"]
    closed = now[(now["list"] == ZZ) & (now["closed_run"] == ids[2])]
    towns = sorted(set(results[2].parcels["township"].dropna()))
    measures = pd.DataFrame({"tax_per_mu_growth": growth.reindex(towns),
                             "freed_mu": freed.groupby(freed["parcel_id"].map(town_before))["area_mu"].sum()
                             .reindex(towns, fill_value=0.0),
                             "closed_tasks": closed.groupby("township").size().reindex(towns, fill_value=0).astype(float)})
    ranks = measures.rank(ascending=False, method="min").fillna(len(towns))
    total = ranks.sum(axis=1)
    race = bulletin.race_towns.set_index("area")
    assert set(race.index) == set(towns)
    for col in measures:
        assert np.allclose(race.loc[towns, col].astype(float), measures[col], equal_nan=True), col
    assert (race.loc[towns, "rank_sum"] == total).all()
    place = total.rank(method="min")             # a tie straddling the 约谈 line marks none of them
    assert bulletin.interview_bottom == 2
    interviewed = set(race.index[race["interview"].astype(bool)])
    assert interviewed == set(place.index[place >= len(towns) - 2 + 1])
    lag = notes("2023Q4")["lagging_township"]
    assert lag in interviewed and measures.at[lag, "freed_mu"] == 0 and growth[lag] < 0
