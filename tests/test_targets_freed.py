"""TT-T7 / TT-T8 / TT-T9 measured as the plans mean them (issue 19.5): land actually freed since the
first recorded run and 整治台账 closings with those enterprises' energy — never the candidate pool."""

from __future__ import annotations

import datetime as dt
import sqlite3
from types import SimpleNamespace

import pandas as pd
import pytest
from history_fixtures import CRS, make_results

from geo_tenglong.analysis.targets import assess_targets
from geo_tenglong.history import store
from geo_tenglong.history.view import load_history
from geo_tenglong.rules import load_ruleset


def _ent(uscc, cls, energy):
    return {"uscc": uscc, "name": f"企业{uscc}", "year": 2022, "eval_class": cls, "land_mu": 15.0, "tax": 30.0,
            "tax_per_mu": 2.0, "va_per_mu": 9.0, "energy_tce": energy}


BEFORE = [{"parcel_id": "A", "eval_class": "D", "reclaimable": True, "owner_uscc": "U1", "holder_uscc": "U1"},
          {"parcel_id": "B", "eval_class": "D", "reclaimable": True, "owner_uscc": "U2", "holder_uscc": "U2"},
          {"parcel_id": "C", "eval_class": "D", "reclaimable": True, "owner_uscc": "U3", "holder_uscc": "U3"},
          {"parcel_id": "D", "eval_class": "B", "owner_uscc": "U4", "holder_uscc": "U4"}]
AFTER = [{"parcel_id": "B", "eval_class": "C", "owner_uscc": "U2", "holder_uscc": "U2", "slot": 1},
         {"parcel_id": "C", "eval_class": "D", "reclaimable": True, "owner_uscc": "U3", "holder_uscc": "U3", "slot": 2},
         {"parcel_id": "D", "eval_class": "D", "reclaimable": True, "owner_uscc": "U4", "holder_uscc": "U4", "slot": 3}]


def _ws(history, as_of=dt.date(2023, 12, 31), ruleset="tiantai-2022"):
    return SimpleNamespace(ruleset=load_ruleset(ruleset), as_of=as_of, admin_code="331023", crs=CRS, history=history)


def _store(tmp_path, ledger: bool):
    path = tmp_path / "history.gpkg"
    q2 = make_results(BEFORE, run_id="q2", enterprises=[_ent("U1", "D", 100.0), _ent("U2", "D", 80.0),
                                                        _ent("U3", "D", 40.0), _ent("U4", "B", 10.0)])
    store.record_run(q2, path)
    store.record_run(make_results(BEFORE, run_id="q3", as_of="2023-09-30"), path)
    if ledger:  # the 整治台账 as part B's update_ledger keeps it (columns of geo_tenglong.history.ledger)
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE ledger_tasks (task_id TEXT PRIMARY KEY, list TEXT NOT NULL, uscc TEXT, "
                         "parcel_id TEXT, name TEXT, township TEXT, treatment TEXT, deadline TEXT, status TEXT NOT NULL, "
                         "note TEXT, opened_run TEXT, closed_run TEXT, updated TEXT)")
            conn.executemany("INSERT INTO ledger_tasks (task_id, list, uscc, treatment, status, opened_run, closed_run) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)", [
                                 ("ZZ-U1", "高耗低效整治", "U1", "关停退出", "已销号", "q2", "q3"),
                                 ("ZZ-U2", "高耗低效整治", "U2", "改造提升", "已销号", "q2", "q3"),
                                 ("ZZ-U3", "高耗低效整治", "U3", "改造提升", "整改中", "q2", None),
                                 ("LY-U4", "留驻优质企业", "U4", None, "已销号", "q2", "q3")])
    return path


def _after(**layers):
    res = make_results(AFTER, run_id="q4", as_of="2023-12-31",
                       enterprises=[_ent("U2", "C", 50.0), _ent("U3", "D", 25.0), _ent("U4", "D", 10.0)])
    res.metrics["reclaimable_mu"] = float(res.parcels.loc[res.parcels["reclaimable"], "area_mu"].sum())
    res.layers.update(layers)
    return res


def _targets(out):
    return out.layers["targets"].set_index("metric")


def test_freed_land_is_what_left_the_list_since_the_first_run(tmp_path):
    path = _store(tmp_path, ledger=False)
    res = _after()
    out = assess_targets(_ws(load_history(path, dt.date(2023, 12, 31), "331023")), res)
    t = _targets(out)
    before = make_results(BEFORE).parcels.set_index("parcel_id")["area_mu"]
    # A left the cadastre and B was re-rated; C stays listed; D came onto the list (not freed land)
    assert t.loc["freed_mu", "value"] == pytest.approx(before["A"] + before["B"])
    assert t.loc["freed_mu", "candidate"] == pytest.approx(res.metrics["reclaimable_mu"])
    assert t.loc["freed_mu", "progress"] == pytest.approx((before["A"] + before["B"]) / 200.0)
    assert t.loc["freed_mu", "since"] == "2023-06-30"
    assert "晚于行动起始(2022-01-01)" in t.loc["freed_mu", "note"]
    assert out.metrics["freed_mu"] == pytest.approx(before["A"] + before["B"], abs=1e-4)
    f = out.findings.set_index("rule_id").loc["TT-T8"]
    assert "自2023-06-30以来已完成" in f["message"] and "候选(可腾退)" in f["message"] and "不计为完成" in f["message"]
    # without a 整治台账 the ledger measures are missing, with the reason
    for m in ("eliminated_enterprises", "renovated_enterprises", "energy_freed_tce", "carbon_cut_t"):
        assert t.loc[m, "status"] == "missing_data" and "无整治台账" in t.loc[m, "note"]
    # the change layer is against the previous run (Q3), drawn where the land was
    ch = out.layers["changes"].set_index("parcel_id")
    assert ch["change"].to_dict() == {"A": "freed", "B": "freed", "D": "worse"}
    assert set(ch["since"]) == {"2023-09-30"} and ch.crs == CRS


def test_without_history_the_targets_are_missing_never_the_pool():
    res = _after()
    out = assess_targets(_ws(None), res)
    t = _targets(out)
    row = t.loc["freed_mu"]
    assert row["status"] == "missing_data" and pd.isna(row["value"]) and pd.isna(row["progress"])
    assert row["candidate"] == pytest.approx(res.metrics["reclaimable_mu"])
    assert "无更早的运行记录" in row["note"]
    assert "freed_mu" not in out.metrics and "changes" not in out.layers
    # a run on the campaign's first day has freed nothing yet: 0, not missing
    t0 = _targets(assess_targets(_ws(None, as_of=dt.date(2022, 1, 1)), res))
    assert t0.loc["freed_mu", "value"] == 0 and t0.loc["freed_mu", "status"] == "fail"


def test_ledger_closings_count_enterprises_energy_and_carbon(tmp_path):
    path = _store(tmp_path, ledger=True)
    ws = _ws(load_history(path, dt.date(2023, 12, 31), "331023"))
    t = _targets(assess_targets(ws, _after()))
    # closed since Q2: U1 关停退出 (its whole energy in Q2) and U2 改造提升 (its drop: 80 → 50);
    # the 留驻 task is another list and does not count
    assert t.loc["eliminated_enterprises", "value"] == 1 and t.loc["renovated_enterprises", "value"] == 1
    assert t.loc["energy_freed_tce", "value"] == pytest.approx(100.0 + (80.0 - 50.0))
    factor = ws.ruleset.get("TT-T9").carbon_t_per_tce
    assert t.loc["carbon_cut_t", "value"] == pytest.approx((100.0 + 30.0) * factor)
    assert "截至上次运行(2023-09-30)" in t.loc["eliminated_enterprises", "note"]
    # this run's listing closes U3 (no longer listed) and reopens U2 (listed again)
    lists = pd.DataFrame({"task_id": ["ZZ-U2", "ZZ-U3"], "listed": [True, False]})
    t = _targets(assess_targets(ws, _after(ledger_lists=lists)))
    assert t.loc["eliminated_enterprises", "value"] == 1 and t.loc["renovated_enterprises", "value"] == 1
    assert t.loc["energy_freed_tce", "value"] == pytest.approx(100.0 + (40.0 - 25.0))
    assert "截至上次运行" not in t.loc["energy_freed_tce", "note"]


def test_deqing_measures_dq_t2_the_same_way(tmp_path):
    path = _store(tmp_path, ledger=False)
    t = assess_targets(_ws(load_history(path, dt.date(2023, 12, 31), "331023"), ruleset="deqing-2021"),
                       _after()).layers["targets"]
    row = t[t["metric"] == "freed_mu"].iloc[0]
    assert row["rule_id"] == "DQ-T2" and row["target"] == 4950.0 and row["status"] == "fail" and row["value"] > 0


def test_the_change_layer_reaches_the_briefing_map(tmp_path):
    from geo_tenglong.webmap.payload import collect_layers
    from geo_tenglong.webmap.styles import CHANGE_CATEGORIES, LAYER_STYLES

    path = _store(tmp_path, ledger=False)
    res = _after()
    out = assess_targets(_ws(load_history(path, dt.date(2023, 12, 31), "331023")), res)
    res.layers["changes"] = out.layers["changes"]
    layer = collect_layers(res)["changes"]
    assert dict(zip(layer["parcel_id"], layer["_change"])) == {"A": "已腾出", "B": "已腾出", "D": "变差"}
    spec = next(s for s in LAYER_STYLES if s.name == "changes")
    kinds = [CHANGE_CATEGORIES[i].key for i in spec.classify(layer)]
    assert kinds == layer["change"].tolist()


def test_the_workbook_shows_freed_land_and_the_candidate_pool_apart(tmp_path):
    from geo_tenglong.report.workbook.targets import targets_sheet

    path = _store(tmp_path, ledger=False)
    res = _after()
    out = assess_targets(_ws(load_history(path, dt.date(2023, 12, 31), "331023")), res)
    res.layers["targets"] = out.layers["targets"]
    frame = targets_sheet(res).frame.set_index("指标")
    row = frame.loc["腾出低效工业用地"]
    assert row["实际值"] == pytest.approx(out.metrics["freed_mu"], abs=1e-4)
    assert row["候选"] == pytest.approx(res.metrics["reclaimable_mu"]) and row["起算日期"] == "2023-06-30"
    assert row["完成进度(%)"] == pytest.approx(100 * out.metrics["freed_mu"] / 200, abs=1e-3)
    assert pd.isna(frame.loc["规上工业亩均税收", "候选"])


def test_re_running_an_old_quarter_ignores_later_closings(tmp_path):
    path = _store(tmp_path, ledger=True)  # Q2 and Q3 recorded; Q3 closed ZZ-U1 and ZZ-U2
    h = load_history(path, dt.date(2023, 9, 30), "331023")  # re-running Q3: only Q2 is history
    assert h.closed_tasks("q2").empty
    assert set(load_history(path, dt.date(2023, 12, 31), "331023").closed_tasks("q2")["task_id"]) == \
        {"ZZ-U1", "ZZ-U2", "LY-U4"}
