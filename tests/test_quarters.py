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
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo_tenglong.history import store
from geo_tenglong.history.view import load_history
from geo_tenglong.pipeline import analyse
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


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    """The three runs recorded in one store: (store path, [Results], [run id])."""
    path = tmp_path_factory.mktemp("campaign") / "history.gpkg"
    results, ids = [], []
    for k, (_name, folder) in enumerate(STATES):
        ws = load_workspace(folder)
        ws.history = load_history(path, ws.as_of, ws.admin_code)
        assert (ws.history is None) == (k == 0)
        r = analyse(ws)
        r.info["run_id"] = f"q{k}-{ws.as_of:%Y%m%d}"
        store.record_run(r, path, inputs=ws.inputs)
        results.append(r)
        ids.append(r.info["run_id"])
    return path, results, ids


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
    path, results, ids = campaign
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
    _, results, _ = campaign
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
    _, results, _ = campaign
    t = target(results[0], "freed_mu")
    assert t["status"] == "missing_data" and np.isnan(float(t["value"]))


@pytest.mark.parametrize("k", [1, 2])
def test_quarter_changes_free_land_for_the_right_reason(campaign, k):
    """Every parcel the generator reclaimed, split, merged or whose holder improved leaves the list
    in that quarter, for that reason; and the history's change layer says the same."""
    _, results, _ = campaign
    name, folder = STATES[k]
    n = notes(name)
    freed = expected_freed(results[k - 1], results[k], STATES[k - 1][1], folder).set_index("parcel_id")
    before = input_parcels(STATES[k - 1][1])
    want = {r["parcel_id"]: "reclaimed" for r in n.get("reclaimed", []) + n.get("transferred", [])}
    want |= {s["parcel_id"]: "split" for s in n.get("split", [])}
    want |= {pid: "merged" for m in n.get("merged", []) for pid in m["merged_from"] if on_list(results[k - 1]).get(pid)}
    for code in n["improved"]:
        for pid in before.index[before["owner_uscc"] == code]:
            want[pid] = "rerated"
    assert want and set(want) <= set(freed.index)
    assert {pid: freed.at[pid, "reason"] for pid in want} == want
    changes = results[k].layers["changes"]
    got = changes[changes["change"] == "freed"].set_index("parcel_id")
    assert set(got.index) == set(freed.index)
    assert got["area_mu"].sum() == pytest.approx(freed["area_mu"].sum(), abs=1e-3)


def test_lagging_township_frees_nothing(campaign):
    _, results, _ = campaign
    lag = notes("2023Q3")["lagging_township"]
    for k in (1, 2):
        freed = expected_freed(results[k - 1], results[k], STATES[k - 1][1], STATES[k][1])
        town = results[k - 1].parcels.set_index(results[k - 1].parcels["parcel_id"].astype(str))["township"]
        assert not (freed["parcel_id"].map(town) == lag).any()
        assert freed["parcel_id"].map(town).nunique() >= 2


# -- new idle land ------------------------------------------------------------------------------------

@pytest.mark.parametrize("k", [1, 2])
def test_new_idle_land(campaign, k):
    _, results, _ = campaign
    tier = [r.parcels.set_index(r.parcels["parcel_id"].astype(str))["idle_tier"].fillna(0) for r in results]
    new = {pid for pid, t in tier[k].items() if t > 0 and tier[k - 1].get(pid, 0) == 0}
    assert {r["parcel_id"] for r in notes(STATES[k][0])["new_idle"]} == new
    changes = results[k].layers["changes"]
    assert set(changes.loc[changes["change"] == "new", "parcel_id"]) == new


# -- classes that moved ---------------------------------------------------------------------------------

@pytest.mark.parametrize("k", [1, 2])
def test_class_moves(campaign, k):
    """Enterprise classes before/after from the runs' evaluation tables, against the stored states."""
    path, results, ids = campaign

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
