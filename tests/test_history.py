"""The run history store (geo_tenglong.history.store) and what changed between runs (history.compare),
on small synthetic results written for each case."""

from __future__ import annotations

import datetime as dt
import sqlite3

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from history_fixtures import CRS, box_at, make_results

from geo_tenglong.errors import InputError
from geo_tenglong.history import compare, store
from geo_tenglong.history.view import load_history
from geo_tenglong.results import Results


def test_record_run_writes_a_geopackage_with_every_state(tmp_path):
    path = tmp_path / "history.gpkg"
    res = make_results([{"parcel_id": "P1", "eval_class": "D", "reclaimable": True, "reclaim_reason": "D类",
                         "owner_uscc": "U1", "holder_uscc": "U1", "idle_tier": 1},
                        {"parcel_id": "P2", "eval_class": "B", "owner_uscc": "U2", "holder_uscc": "U2"}],
                       fails={"P1": ["NAT-FAR", "NAT-COVER"]},
                       enterprises=[{"uscc": "U1", "name": "甲", "year": 2022, "eval_class": "D", "land_mu": 15.0,
                                     "tax": 30.0, "tax_per_mu": 2.0, "va_per_mu": 9.0, "energy_tce": 120.0}])
    assert store.record_run(res, path) == "r1"
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
    names = {row[0] for row in pyogrio.list_layers(path)}
    assert {"runs", "parcel_states", "enterprise_states", "target_values"} <= names
    runs = store.runs(path)
    assert runs[["run_id", "as_of", "admin_code"]].values.tolist() == [["r1", "2023-06-30", "331023"]]
    ps = store.parcel_states(path, "r1").set_index("parcel_id")
    assert ps.loc["P1", "low_efficiency"] and not ps.loc["P2", "low_efficiency"]
    assert ps.loc["P1", "reclaimable_mu"] == pytest.approx(res.parcels["area_mu"].iloc[0])
    assert ps.loc["P2", "reclaimable_mu"] == 0
    assert ps.loc["P1", "fail_rules"] == "NAT-COVER;NAT-FAR" and ps.loc["P1", "idle_tier"] == 1
    assert shapely.from_wkb(ps.loc["P1", "geom_wkb"]).equals(res.parcels.geometry.iloc[0])
    es = store.enterprise_states(path, "r1").set_index("uscc")
    assert es.loc["U1", "energy_tce"] == 120.0 and es.loc["U1", "township"] == "始丰街道"
    assert store.target_values(path, "r1")["value"].tolist() == [20.0]


def test_the_same_as_of_replaces_its_entry(tmp_path):
    path = tmp_path / "h.gpkg"
    store.record_run(make_results([{"parcel_id": "P1"}], run_id="a"), path)
    store.record_run(make_results([{"parcel_id": "P1"}], as_of="2023-09-30", run_id="b"), path)
    store.record_run(make_results([{"parcel_id": "P1"}, {"parcel_id": "P2"}], run_id="c"), path)
    assert store.runs(path)["run_id"].tolist() == ["c", "b"]
    assert len(store.parcel_states(path, "a")) == 0
    assert len(store.parcel_states(path, "c")) == 2


def test_updaters_share_the_transaction(tmp_path):
    path = tmp_path / "h.gpkg"
    seen = []

    def ledger(conn, results, run_id):
        conn.execute("CREATE TABLE IF NOT EXISTS extra (run_id TEXT, n INTEGER)")
        conn.execute("INSERT INTO extra VALUES (?, ?)", (run_id, len(results.parcels)))
        seen.append(run_id)

    store.record_run(make_results([{"parcel_id": "P1"}], run_id="a"), path, updaters=[ledger])
    assert seen == ["a"]

    def broken(conn, results, run_id):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.record_run(make_results([{"parcel_id": "P1"}], as_of="2023-09-30", run_id="b"), path, updaters=[broken])
    assert store.runs(path)["run_id"].tolist() == ["a"]  # rolled back whole
    # replacing a run also drops its rows in tables others added
    store.record_run(make_results([{"parcel_id": "P1"}], run_id="a2"), path, updaters=[])
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM extra").fetchone()[0] == 0


def test_a_store_of_another_version_or_kind_is_refused(tmp_path):
    path = tmp_path / "h.gpkg"
    store.record_run(make_results([{"parcel_id": "P1"}]), path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(InputError, match="version 99"):
        store.runs(path)
    other = tmp_path / "other.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[box_at(0)], crs=CRS).to_file(other, layer="roads")
    with pytest.raises(InputError, match="other tables"):
        store.record_run(make_results([{"parcel_id": "P1"}]), other)
    with pytest.raises(InputError, match="not found"):
        store.runs(tmp_path / "missing.gpkg")


def test_load_history_holds_only_earlier_runs_of_the_county(tmp_path):
    path = tmp_path / "h.gpkg"
    assert load_history(path, dt.date(2023, 9, 30), "331023") is None
    store.record_run(make_results([{"parcel_id": "P1"}], run_id="q2"), path)
    store.record_run(make_results([{"parcel_id": "P1"}], as_of="2023-09-30", run_id="q3"), path)
    h = load_history(path, dt.date(2023, 9, 30), "331023")  # re-running Q3: Q3 itself is not history
    assert h.runs["run_id"].tolist() == ["q2"] and h.baseline()["run_id"] == h.previous()["run_id"] == "q2"
    h = load_history(path, dt.date(2023, 12, 31), "331023")
    assert (h.baseline()["run_id"], h.previous()["run_id"]) == ("q2", "q3")
    assert load_history(path, dt.date(2023, 12, 31), "330521") is None
    assert h.closed_tasks("q2") is None  # no 整治台账 in this store


def _states(res: Results) -> pd.DataFrame:
    return store.parcel_states_of(res)


def test_freed_parcels_say_why():
    before = make_results([
        {"parcel_id": "RERATE", "eval_class": "D", "reclaimable": True, "owner_uscc": "U1"},
        {"parcel_id": "OWNER", "eval_class": "D", "reclaimable": True, "owner_uscc": "U2"},
        {"parcel_id": "SPLIT", "eval_class": "D", "reclaimable": True, "owner_uscc": "U3"},
        {"parcel_id": "GONE", "eval_class": "D", "reclaimable": True, "owner_uscc": "U4"},
        {"parcel_id": "FAR", "eval_class": "C", "reclaimable": True, "owner_uscc": "U5"},
        {"parcel_id": "STAYS", "eval_class": "D", "reclaimable": True, "owner_uscc": "U6"},
        {"parcel_id": "MERGE1", "eval_class": "D", "reclaimable": True, "owner_uscc": "U7"},
        {"parcel_id": "CLEAN", "eval_class": "B", "owner_uscc": "U8"},
    ], fails={"FAR": ["NAT-FAR"]})
    after = make_results([
        {"parcel_id": "RERATE", "eval_class": "C", "owner_uscc": "U1", "slot": 0},
        {"parcel_id": "OWNER", "eval_class": None, "owner_uscc": "储备中心", "slot": 1},
        {"parcel_id": "SPLIT-1", "eval_class": "B", "owner_uscc": "U3", "split_from": "SPLIT", "slot": 2},
        {"parcel_id": "FAR", "eval_class": "C", "owner_uscc": "U5", "slot": 4},
        {"parcel_id": "STAYS", "eval_class": "D", "reclaimable": True, "owner_uscc": "U6", "slot": 5},
        {"parcel_id": "M", "eval_class": "B", "owner_uscc": "U9", "merged_from": "MERGE1;X", "slot": 6},
        {"parcel_id": "CLEAN", "eval_class": "D", "owner_uscc": "U8", "reclaimable": True, "slot": 7},
        {"parcel_id": "NEWIDLE", "idle_tier": 1, "owner_uscc": "U10", "slot": 8},
    ], run_id="r2", as_of="2023-09-30")
    b, a = _states(before), _states(after)
    freed = compare.freed_parcels(b, a).set_index("parcel_id")
    assert freed["reason"].to_dict() == {"RERATE": "rerated", "OWNER": "reclaimed", "SPLIT": "split", "GONE": "gone",
                                         "FAR": "upgraded", "MERGE1": "merged"}
    assert freed.loc["SPLIT", "successor"] == "SPLIT-1" and freed.loc["MERGE1", "successor"] == "M"
    # each freed parcel counts with its area before, and the total is the listed area that left the list
    on_before = b[b["low_efficiency"]].set_index("parcel_id")["area_mu"]
    assert freed["area_mu"].sum() == pytest.approx(on_before.drop("STAYS").sum())
    worse = compare.worse_parcels(b, a).set_index("parcel_id")
    assert worse["why"].to_dict() == {"CLEAN": "评价下调"}
    assert compare.new_idle(b, a)["parcel_id"].tolist() == ["NEWIDLE"]
    ch = compare.changes(b, a)
    assert ch.groupby("change").size().to_dict() == {"freed": 6, "new": 1, "worse": 1}
    gone = ch.set_index("parcel_id").loc["GONE", "geom_wkb"]
    assert shapely.from_wkb(gone).equals(before.parcels.geometry.iloc[3])  # drawn where it was


def test_class_moves_and_matrix():
    b = pd.DataFrame({"uscc": ["a", "b", "c", "d"], "name": list("甲乙丙丁"), "township": ["X"] * 4,
                      "eff_class": ["D", "C", "B", "A"]})
    a = pd.DataFrame({"uscc": ["a", "b", "c", "e"], "name": list("甲乙丙戊"), "township": ["X"] * 4,
                      "eff_class": ["C", "C", "D", "A"]})
    moves = compare.class_moves(b, a).set_index("uscc")
    assert moves["direction"].to_dict() == {"a": "up", "c": "down"}
    m = compare.class_matrix(b, a)
    assert m.loc["D", "C"] == 1 and m.loc["B", "D"] == 1 and m.loc["C", "C"] == 1 and int(m.to_numpy().sum()) == 3


def test_run_records_each_quarter_beside_out_and_the_next_run_reads_it(tmp_path, tiny_parcels):
    from click.testing import CliRunner

    from geo_tenglong.cli import main

    from conftest import write_workspace

    def run(ws, out, *extra):
        r = CliRunner().invoke(main, ["run", str(ws), "-o", str(out), "--maps", str(tmp_path / "maps"), "-q",
                                      "--allow-incomplete", *extra])
        assert r.exit_code == 0, r.output
        return Results.read(out)

    q2 = write_workspace(tmp_path / "q2", tiny_parcels)
    first = run(q2, tmp_path / "out")
    path = tmp_path / "history.gpkg"  # default: beside the output folder
    assert store.runs(path)["as_of"].tolist() == ["2023-06-30"]
    t8 = first.layers["targets"].set_index("metric").loc["freed_mu"]
    assert t8["status"] == "missing_data" and "无更早的运行记录" in t8["note"] and "changes" not in first.layers
    # the next quarter: one parcel was taken back by the land reserve
    moved = tiny_parcels.copy()
    moved.loc[1, "owner_uscc"] = "11331023MB1234567X"
    q4 = write_workspace(tmp_path / "q4", moved, as_of="2023-12-31")
    second = run(q4, tmp_path / "out")
    assert store.runs(path)["as_of"].tolist() == ["2023-06-30", "2023-12-31"]
    t8 = second.layers["targets"].set_index("metric").loc["freed_mu"]
    assert t8["value"] == 0 and t8["since"] == "2023-06-30"  # nothing was on the list: nothing freed
    assert store.parcel_states(path, second.info["run_id"]).set_index("parcel_id").loc[
        "331023101001GB00002", "owner_uscc"] == "11331023MB1234567X"
    run(q4, tmp_path / "out")  # re-running a quarter replaces it
    assert store.runs(path)["as_of"].tolist() == ["2023-06-30", "2023-12-31"]
    # --history elsewhere; a store that is one of the inputs is refused before any output
    run(q2, tmp_path / "o2", "--history", str(tmp_path / "h2.gpkg"))
    assert len(store.runs(tmp_path / "h2.gpkg")) == 1
    r = CliRunner().invoke(main, ["run", str(q2), "-o", str(tmp_path / "o3"), "--maps", str(tmp_path / "m3"), "-q",
                                  "--allow-incomplete", "--history", str(q2 / "ws.gpkg")])
    assert r.exit_code == 2 and "ws.gpkg" in r.output and not (tmp_path / "o3" / "results.gpkg").exists()


def test_a_store_held_by_another_writer_is_one_line_not_a_traceback(tmp_path, monkeypatch):
    path = tmp_path / "h.gpkg"
    store.record_run(make_results([{"parcel_id": "P1"}]), path)
    monkeypatch.setattr(store, "LOCK_TIMEOUT_S", 0.2)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(InputError, match="未记入运行历史.*locked"):
            store.record_run(make_results([{"parcel_id": "P1"}], as_of="2023-09-30", run_id="b"), path, updaters=[])
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert store.runs(path)["run_id"].tolist() == ["r1"]


def test_inputs_fingerprint_follows_contents_and_database_tables(tmp_path):
    a = tmp_path / "parcels.gpkg"
    a.write_bytes(b"one")
    first = store.inputs_fingerprint([a], {"pg:parcels": "abc"})
    assert store.inputs_fingerprint([a], {"pg:parcels": "abc"}) == first
    assert store.inputs_fingerprint([a], {"pg:parcels": "abd"}) != first
    a.write_bytes(b"two")
    assert store.inputs_fingerprint([a], {"pg:parcels": "abc"}) != first
