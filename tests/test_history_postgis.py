"""The run history in the results' PostGIS schema (issue 19.1: "PostGIS's tables when results go to a
database"), against the session's throwaway cluster (tests/pg_cluster.py).

Two quarters of the 天台 sample are run with ``--out postgresql://…?schema=hist`` (the first through
the CLI, the second through :func:`geo_tenglong.pipeline.run` to keep its results), the 2023Q3 ledger
file imported in between with ``ledger import --history postgresql://…``, as a bureau would.
"""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from history_fixtures import make_results

from geo_tenglong.cli import main
from geo_tenglong.errors import InputError
from geo_tenglong.history import db_store, store
from geo_tenglong.history.ledger import update_ledger
from geo_tenglong.history.ledger_xlsx import SHEET, export_ledger
from geo_tenglong.io.db.url import connect, parse_db_url

ROOT = Path(__file__).resolve().parents[1]
Q2, Q3 = ROOT / "layers", ROOT / "layers" / "quarters" / "2023Q3"
LEDGER_FILE = "整治台账_填报.xlsx"
SCHEMA = "hist"
ENV = {"GEO_TENGLONG_CHROMIUM": "none", "CI": "1"}

pytestmark = pytest.mark.skipif(not (Q3 / "workspace.toml").is_file(), reason="layers/quarters not generated")


def history_tables(cluster, schema: str = SCHEMA) -> dict[str, str]:
    """``history_*`` table → digest of its rows in order (md5 of each row's text, by fid)."""
    names = cluster.psql(f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{schema}' "
                         "AND table_name LIKE 'history\\_%' ORDER BY 1").splitlines()
    return {n: cluster.psql(f"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY fid)), '') "
                            f"FROM {schema}.{n} t") for n in names}


@pytest.fixture(scope="module")
def campaign(pg_cluster, tmp_path_factory):
    """Q2 run (CLI), the Q3 ledger file imported (CLI), Q3 run (pipeline.run), all into schema hist."""
    from geo_tenglong.pipeline import run

    base = tmp_path_factory.mktemp("history_db")
    url = f"{pg_cluster.url()}?schema={SCHEMA}"
    runner = CliRunner()
    first = runner.invoke(main, ["run", str(Q2), "--out", url, "--files", str(base / "q2"), "--maps",
                                 str(base / "maps2"), "--reports", "none"], env=ENV)
    assert first.exit_code == 0, (first.output, first.stderr)
    after_first = history_tables(pg_cluster)
    filled = base / LEDGER_FILE
    shutil.copy(Q3 / LEDGER_FILE, filled)
    imported = runner.invoke(main, ["ledger", "import", str(filled), "--history", url], env=ENV)
    assert imported.exit_code == 0, (imported.output, imported.stderr)
    outcome = run(Q3, out_dir=url, files_dir=base / "q3", maps_dir=base / "maps3", quiet=True, reports="none")
    return {"base": base, "url": url, "first": first, "after_first": after_first, "imported": imported,
            "outcome": outcome}


def test_each_run_records_its_history_in_the_schema_with_its_results(pg_cluster, campaign):
    runs = pg_cluster.psql(f"SELECT run_id, as_of FROM {SCHEMA}.history_runs ORDER BY as_of").splitlines()
    assert [r.split("|")[1] for r in runs] == ["2023-06-30", "2023-09-30"]
    results_runs = pg_cluster.psql(f"SELECT run_id FROM {SCHEMA}.runs ORDER BY as_of").splitlines()
    assert [r.split("|")[0] for r in runs] == results_runs       # committed together, one run id
    assert runs[1].split("|")[0] == campaign["outcome"].results.info["run_id"]
    counts = dict(line.split("|") for line in pg_cluster.psql(
        f"SELECT r.as_of, count(p.*) FROM {SCHEMA}.history_runs r JOIN {SCHEMA}.history_parcel_states p "
        "USING (run_id) GROUP BY 1").splitlines())
    for as_of, folder in (("2023-06-30", Q2), ("2023-09-30", Q3)):
        assert int(counts[as_of]) == len(gpd.read_file(folder / "tiantai.gpkg", layer="parcels"))
    names = set(history_tables(pg_cluster))
    assert {"history_meta", "history_runs", "history_parcel_states", "history_enterprise_states",
            "history_target_values", "history_park_names", "history_ledger_tasks", "history_ledger_events"} <= names
    for folder in (campaign["base"], Path.cwd()):                # no history.gpkg beside the files any more
        assert not (folder / store.HISTORY_FILE).exists()
    assert not any(p.name == store.HISTORY_FILE for p in campaign["outcome"].written)


def test_the_second_run_measures_freed_land_since_the_first(pg_cluster, campaign):
    targets = campaign["outcome"].results.layer("targets").set_index("rule_id")
    freed = targets.loc["TT-T8"]
    assert freed["status"] != "missing_data" and freed["value"] > 0 and str(freed["since"]) == "2023-06-30"
    recorded = pg_cluster.psql(f"SELECT t.rule_id, t.status, t.value FROM {SCHEMA}.history_target_values t "
                               f"JOIN {SCHEMA}.history_runs r USING (run_id) WHERE t.rule_id = 'TT-T8' ORDER BY r.as_of")
    (_, status0, _), (_, status1, value1) = (line.split("|") for line in recorded.splitlines())
    assert status0 == "missing_data"                             # the first run had no history to measure from
    assert status1 == freed["status"] and float(value1) == pytest.approx(freed["value"])


def test_the_ledger_import_went_into_the_database(pg_cluster, campaign):
    assert "项任务已更新" in campaign["imported"].output
    n = int(campaign["imported"].output.split(",")[1].split("项")[0])
    assert n > 0
    assert int(pg_cluster.psql(f"SELECT count(*) FROM {SCHEMA}.history_ledger_events WHERE run_id = 'import'")) == n
    # the Q3 run after the import kept the townships' values (its own updater ran on the pulled copy)
    filled = pg_cluster.psql(f"SELECT count(*) FROM {SCHEMA}.history_ledger_tasks WHERE note IS NOT NULL")
    assert int(filled) > 0


def test_ledger_export_and_import_round_trip_through_the_database(pg_cluster, campaign, tmp_path):
    url = campaign["url"]
    out = tmp_path / "台账.xlsx"
    got = CliRunner().invoke(main, ["ledger", "export", "--history", url, "-o", str(out)], env=ENV)
    assert got.exit_code == 0, got.output
    sheet = openpyxl.load_workbook(out)[SHEET]
    ids = sorted(r[0].value for r in sheet.iter_rows(min_row=3) if r[0].value)
    assert ids == sorted(pg_cluster.psql(f"SELECT task_id FROM {SCHEMA}.history_ledger_tasks").splitlines())
    before = history_tables(pg_cluster)
    got = CliRunner().invoke(main, ["ledger", "import", str(out), "--history", url], env=ENV)
    assert got.exit_code == 0 and ", 0 项任务已更新" in got.output, got.output
    assert history_tables(pg_cluster) == before                  # pushed back row for row, nothing changed
    row = sheet.max_row + 1
    sheet.cell(row, 1, "ZZ-NOSUCH")
    sheet.cell(row, 2, "高耗低效整治")
    sheet.cell(row, 9, "未开始")
    sheet.parent.save(out)
    got = CliRunner().invoke(main, ["ledger", "import", str(out), "--history", url], env=ENV)
    assert got.exit_code == 2 and f"第{row}行 任务编号 ZZ-NOSUCH 不存在" in got.output and "台账.xlsx" in got.output
    assert history_tables(pg_cluster) == before                  # all or nothing


def test_a_fault_in_the_results_write_leaves_the_history_and_the_results(pg_cluster, campaign, monkeypatch):
    from geo_tenglong.io.db.write import write_results

    target = parse_db_url(campaign["url"])
    before, results_runs = history_tables(pg_cluster), pg_cluster.psql(f"SELECT run_id FROM {SCHEMA}.runs")
    res = campaign["outcome"].results
    q4 = dataclasses.replace(res, info={**res.info, "run_id": "q4-fault", "as_of": "2023-12-31"})

    def disk_full(conn, schema):
        raise OSError(28, "No space left on device")

    with pytest.raises(InputError, match="No space left on device"):  # after the history was pushed in
        write_results(q4, target, started=pd.Timestamp.now(tz="UTC"), fingerprint="x",
                      hooks=[db_store.record_hook(q4, target), disk_full])
    assert history_tables(pg_cluster) == before
    assert pg_cluster.psql(f"SELECT run_id FROM {SCHEMA}.runs") == results_runs

    def broken(conn, results, run_id):
        raise RuntimeError("ledger updater failed")

    monkeypatch.setattr(store, "UPDATERS", [*store.UPDATERS, broken])  # the history fails: no results either
    with pytest.raises(InputError, match="ledger updater failed"):
        write_results(q4, target, started=pd.Timestamp.now(tz="UTC"), fingerprint="x",
                      hooks=[db_store.record_hook(q4, target)])
    assert history_tables(pg_cluster) == before
    assert pg_cluster.psql(f"SELECT run_id FROM {SCHEMA}.runs") == results_runs


def test_bulletin_from_the_database(pg_cluster, campaign, tmp_path):
    got = CliRunner().invoke(main, ["bulletin", "--history", campaign["url"], "-o", str(tmp_path), "--no-pdf"],
                             env=ENV)
    assert got.exit_code == 0, got.output
    html = (tmp_path / "季度通报_2023-09-30.html").read_text(encoding="utf-8")
    assert "2023-06-30" in html and "赛马" in html
    assert f"运行历史({campaign['url']})" in html                  # the footer names the database, not a temp file
    empty = campaign["url"].replace(f"schema={SCHEMA}", "schema=no_history")
    got = CliRunner().invoke(main, ["bulletin", "--history", empty, "-o", str(tmp_path), "--no-pdf"], env=ENV)
    assert got.exit_code == 2 and "运行历史不存在" in got.output and "schema=no_history" in got.output


def test_push_then_pull_gives_every_table_row_for_row(pg_cluster, tmp_path):
    """A store with the ledger, pushed into a schema and pulled back: the same rows in the same order."""
    src = tmp_path / "h.gpkg"
    lists = pd.DataFrame({"task_id": ["ZZ-1", "ZZ-2"], "list": ["高耗低效整治"] * 2, "listed": [True, True],
                          "uscc": ["U1", "U2"], "parcel_id": ["P1", "P2"], "name": ["甲", None],
                          "township": ["始丰街道", None], "treatment": ["改造提升", None],
                          "deadline": [pd.Timestamp("2024-06-30"), None], "reason": ["D类", "D类"]})
    first = make_results([{"parcel_id": "P1", "reclaimable": True, "idle_tier": 2}, {"parcel_id": "P2"}],
                         fails={"P1": ["NAT-FAR"]}, run_id="a")
    first.layers["ledger_lists"] = lists
    store.record_run(first, src, updaters=[update_ledger], park_names={"Y1": "天台经济开发区"})
    second = make_results([{"parcel_id": "P1"}], as_of="2023-09-30", run_id="b")
    second.layers["ledger_lists"] = lists.assign(listed=[False, True], reason=["达标销号:B类", "D类"])
    store.record_run(second, src, updaters=[update_ledger])
    db = parse_db_url(f"{pg_cluster.url()}?schema=roundtrip")
    engine = connect(db)
    try:
        with engine.begin() as conn:
            pushed = db_store.push(src, conn, "roundtrip")
    finally:
        engine.dispose()
    assert {"history_runs", "history_ledger_tasks", "history_ledger_events"} <= set(pushed)
    with db_store.pulled(db) as copy, sqlite3.connect(src) as a, sqlite3.connect(copy) as b:
        for table in (name[len(db_store.PREFIX):] for name in pushed):
            query = f"SELECT rowid, * FROM {table} ORDER BY rowid"
            assert b.execute(query).fetchall() == a.execute(query).fetchall(), table
        assert store.runs(copy)["run_id"].tolist() == ["a", "b"]
    out = tmp_path / "台账.xlsx"
    with db_store.reading(db) as copy:
        assert export_ledger(copy, out) == 2
    with pytest.raises(InputError, match=r"schema=roundtrip.*没有乡镇"), db_store.reading(db) as copy:
        export_ledger(copy, out, ("无此镇",))  # errors name the database, not the temporary copy


def test_a_ledger_import_waits_for_a_run_writing_the_schema(pg_cluster, tmp_path):
    """A writer pulls only after the run holding the schema's lock has committed, so it keeps that run."""
    import threading

    from sqlalchemy import text

    older, newer = tmp_path / "older.gpkg", tmp_path / "newer.gpkg"
    store.record_run(make_results([{"parcel_id": "P1"}], run_id="a"), older, updaters=[])
    shutil.copy(older, newer)
    store.record_run(make_results([{"parcel_id": "P1"}], as_of="2023-09-30", run_id="b"), newer, updaters=[])
    db = parse_db_url(f"{pg_cluster.url()}?schema=waits")
    engine = connect(db)
    seen: list[list[str]] = []
    try:
        with engine.begin() as conn:
            db_store.push(older, conn, "waits")
        holder = engine.connect()
        tx = holder.begin()
        holder.execute(text("SELECT pg_advisory_xact_lock(hashtext('geo-tenglong:waits'))"))  # as write_results
        db_store.push(newer, holder, "waits")                                                  # the run's hook
        writer = threading.Thread(target=lambda: seen.append(
            db_store.update(db, lambda path: store.runs(path)["run_id"].tolist())))
        writer.start()
        waiting = ""
        for _ in range(600):  # until the writer's backend waits on the advisory lock
            waiting = pg_cluster.psql("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'advisory'")
            if waiting == "1":
                break
            writer.join(0.05)
        assert waiting == "1" and not seen
        tx.commit()
        holder.close()
        writer.join(60)
    finally:
        engine.dispose()
    assert seen == [["a", "b"]]
