"""The 整治台账: tasks opened, closed (达标销号) and reopened across runs; the file townships fill in
exported and imported back, with malformed rows refused by row number, all or nothing."""

from __future__ import annotations

import dataclasses
import shutil

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from history_fixtures import make_results

from geo_tenglong.cli import main
from geo_tenglong.errors import InputError
from geo_tenglong.history.ledger import read_events, read_tasks, update_ledger
from geo_tenglong.history.ledger_xlsx import EVENTS_SHEET, HEADERS, SHEET, export_ledger, import_ledger
from geo_tenglong.history.store import connect, record_run
from geo_tenglong.uscc import check_char

A, B, C, D = (code + check_char(code) for code in (f"91331023MA2AAAAA{i}" for i in range(1, 5)))  # valid codes


def _lists(rows: list[tuple]) -> pd.DataFrame:
    """ledger_lists rows: (task id, listed, reason), as the ledger_lists stage writes them."""
    out = []
    for task_id, listed, reason in rows:
        kind = {"ZZ": "高耗低效整治", "LY": "留驻优质企业", "LZ": "零增地技改"}[task_id[:2]]
        out.append({"task_id": task_id, "list": kind, "rule_id": "TT-LEDGER", "clause": "三(一)1",
                    "uscc": task_id[3:], "name": f"企业{task_id[-2]}", "parcel_id": "331023101001GB00001",
                    "township": "始丰街道", "treatment": ("改造提升" if kind == "高耗低效整治" else None) if listed else None,
                    "deadline": pd.Timestamp("2024-06-30") if listed else pd.NaT, "listed": listed, "reason": reason})
    return pd.DataFrame(out)


def _record(path, as_of, run_id, rows):
    res = make_results([{"parcel_id": "331023101001GB00001"}], as_of=as_of, run_id=run_id)
    res.layers["ledger_lists"] = _lists(rows)
    record_run(res, path, updaters=[update_ledger])


def _q2(path):
    _record(path, "2023-06-30", "q2", [(f"ZZ-{A}", True, "亩均评价D类"), (f"ZZ-{B}", True, "低效企业"),
                                        (f"LY-{C}", True, "亩均评价A类")])


def test_open_close_reopen_across_runs(tmp_path):
    path = tmp_path / "history.gpkg"
    _q2(path)
    tasks = read_tasks(path).set_index("task_id")
    assert set(tasks["status"]) == {"未开始"} and set(tasks["opened_run"]) == {"q2"}
    assert tasks.loc[f"ZZ-{A}", "deadline"] == "2024-06-30"
    # Q3: A meets the rule, B still listed, D not judged (no row): only A closes
    _record(path, "2023-09-30", "q3", [(f"ZZ-{A}", False, "达标销号:亩均评价C类"), (f"ZZ-{B}", True, "低效企业"),
                                        (f"LY-{C}", True, "亩均评价A类")])
    tasks = read_tasks(path).set_index("task_id")
    assert tasks.loc[f"ZZ-{A}", "status"] == "已销号" and tasks.loc[f"ZZ-{A}", "closed_run"] == "q3"
    assert tasks.loc[f"ZZ-{B}", "status"] == "未开始" and tasks.loc[f"LY-{C}", "status"] == "未开始"
    # Q4: A falls back (reopened), B meets the rule (closed)
    _record(path, "2023-12-31", "q4", [(f"ZZ-{A}", True, "亩均评价D类"), (f"ZZ-{B}", False, "达标销号:亩均评价B类")])
    tasks = read_tasks(path).set_index("task_id")
    assert tasks.loc[f"ZZ-{A}", "status"] == "重新打开" and pd.isna(tasks.loc[f"ZZ-{A}", "closed_run"])
    assert tasks.loc[f"ZZ-{B}", "status"] == "已销号" and tasks.loc[f"ZZ-{B}", "closed_run"] == "q4"
    assert tasks.loc[f"LY-{C}", "status"] == "未开始"            # no row in Q4: keeps its status
    events = read_events(path)
    a = events[events["task_id"] == f"ZZ-{A}"]
    assert list(zip(a["run_id"], a["from_status"].fillna(""), a["to_status"])) == [
        ("q2", "", "未开始"), ("q3", "未开始", "已销号"), ("q4", "已销号", "重新打开")]
    assert a["reason"].tolist() == ["列入清单:亩均评价D类", "达标销号:亩均评价C类", "重新列入:亩均评价D类"]


def test_rerun_of_the_same_date_replaces_what_the_run_did(tmp_path):
    path = tmp_path / "history.gpkg"
    _q2(path)
    _record(path, "2023-09-30", "q3", [(f"ZZ-{A}", False, "达标销号:亩均评价C类"), (f"ZZ-{D}", True, "亩均评价D类")])
    _record(path, "2023-09-30", "q3b", [(f"ZZ-{A}", False, "达标销号:亩均评价C类")])    # Q3 re-run replaces q3
    tasks = read_tasks(path).set_index("task_id")
    assert tasks.loc[f"ZZ-{A}", "closed_run"] == "q3b" and tasks.loc[f"ZZ-{A}", "status"] == "已销号"
    assert f"ZZ-{D}" not in tasks.index                                   # opened only by the replaced run
    events = read_events(path)
    assert "q3" not in set(events["run_id"])                              # the replaced run's events went with it
    # re-run again, A now listed: back to where Q2 left it (未开始), not 重新打开
    _record(path, "2023-09-30", "q3c", [(f"ZZ-{A}", True, "亩均评价D类")])
    task = read_tasks(path).set_index("task_id").loc[f"ZZ-{A}"]
    assert (task["status"], task["opened_run"], task["closed_run"]) == ("未开始", "q2", None)
    a = read_events(path)
    assert a.loc[a["task_id"] == f"ZZ-{A}", "run_id"].tolist() == ["q2"]


def _fill(path, edits: dict[str, dict[str, object]], extra: list[list] | None = None):
    """Edit cells of an exported ledger file by task id (header → value) and append raw rows."""
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET]
    col = {cell.value: cell.column for cell in sheet[2]}
    for row in sheet.iter_rows(min_row=3):
        task_id = row[col["任务编号"] - 1].value
        for header, value in edits.get(task_id, {}).items():
            sheet.cell(row=row[0].row, column=col[header], value=value)
    for values in extra or []:
        sheet.append(values)
    book.save(path)


def test_export_has_drop_downs_dates_and_protection(tmp_path):
    path = tmp_path / "history.gpkg"
    _q2(path)
    out = tmp_path / "台账.xlsx"
    assert export_ledger(path, out) == 3
    book = openpyxl.load_workbook(out)
    sheet = book[SHEET]
    assert [c.value for c in sheet[2]] == list(HEADERS)
    assert sheet.protection.sheet
    assert {dv.type for dv in sheet.data_validations.dataValidation} == {"list", "date"}
    sources = sorted(dv.formula1 for dv in sheet.data_validations.dataValidation if dv.type == "list")
    assert any("搬迁入园" in s for s in sources) and any("整改中" in s and "已销号" not in s for s in sources)
    ids = [r[0].value for r in sheet.iter_rows(min_row=3)]
    assert sorted(ids) == sorted([f"ZZ-{A}", f"ZZ-{B}", f"LY-{C}"])
    assert sheet.cell(row=3, column=1).protection.locked                  # id columns locked
    assert sheet.cell(row=3, column=7).protection.locked is False         # 整治方式 open


def test_export_for_one_township_with_the_change_log(tmp_path):
    path = tmp_path / "history.gpkg"
    _q2(path)
    _record(path, "2023-09-30", "q3", [(f"ZZ-{A}", False, "达标销号:亩均评价C类"), (f"ZZ-{D}", True, "亩均评价D类")])
    with connect(path) as conn:   # D's enterprise is in 平桥镇
        conn.execute("UPDATE ledger_tasks SET township = '平桥镇' WHERE task_id = ?", (f"ZZ-{D}",))
    out = tmp_path / "平桥镇.xlsx"
    assert export_ledger(path, out, ("平桥镇",)) == 1
    book = openpyxl.load_workbook(out)
    assert [r[0].value for r in book[SHEET].iter_rows(min_row=3)] == [f"ZZ-{D}"]
    log = list(book[EVENTS_SHEET].iter_rows(values_only=True))
    assert log[0][:2] == ("任务编号", "运行") and [r[0] for r in log[1:]] == [f"ZZ-{D}"]
    assert export_ledger(path, tmp_path / "all.xlsx") == 4
    log = list(openpyxl.load_workbook(tmp_path / "all.xlsx")[EVENTS_SHEET].iter_rows(values_only=True))
    assert ("ZZ-" + A, "q3", "未开始", "已销号", "达标销号:亩均评价C类") in [(r[0], r[1], r[3], r[4], r[5]) for r in log]
    with pytest.raises(InputError, match="没有乡镇"):
        export_ledger(path, out, ("白鹤镇",))


def test_round_trip_import_updates_tasks_and_logs_events(tmp_path):
    path = tmp_path / "history.gpkg"
    _q2(path)
    out = tmp_path / "台账.xlsx"
    export_ledger(path, out)
    _fill(out, {f"ZZ-{A}": {"整治方式": "搬迁入园", "状态": "整改中", "完成时限": "2024年3月31日",
                            "进展说明": "已签订搬迁协议"}})
    outcome = import_ledger(out, path)
    assert (outcome.rows, outcome.changed) == (3, 1)
    task = read_tasks(path).set_index("task_id").loc[f"ZZ-{A}"]
    assert (task["treatment"], task["status"], task["deadline"], task["note"]) == \
        ("搬迁入园", "整改中", "2024-03-31", "已签订搬迁协议")
    ev = read_events(path)
    ev = ev[ev["run_id"] == "import"]
    assert ev["task_id"].tolist() == [f"ZZ-{A}"] and ev["to_status"].tolist() == ["整改中"]
    assert "整治方式 改造提升→搬迁入园" in ev["reason"].iloc[0]
    assert import_ledger(out, path).changed == 0                          # the same file again changes nothing


def test_import_refuses_malformed_rows_naming_them(tmp_path):
    path = tmp_path / "history.gpkg"
    _q2(path)
    out = tmp_path / "台账.xlsx"
    export_ledger(path, out)
    before = read_tasks(path)
    rows = {r[0].value: r[0].row for r in openpyxl.load_workbook(out)[SHEET].iter_rows(min_row=3)}
    _fill(out, {f"ZZ-{A}": {"状态": "完成了", "整治方式": "搬迁入园"},   # bad status (the good edit must not land)
                f"ZZ-{B}": {"状态": "已销号"},                           # closing by hand
                f"LY-{C}": {"完成时限": "明年"}},                        # not a date
          extra=[["ZZ-NOSUCH", "高耗低效整治", None, None, None, None, "改造提升", None, "未开始", None],
                 [f"ZZ-{B}", "高耗低效整治", None, None, None, None, "拆了", "2024-06-30", "未开始", None]])
    with pytest.raises(InputError) as err:
        import_ledger(out, path)
    text = str(err.value)
    assert "\n" not in text and "台账.xlsx" in text
    assert f"第{rows[f'ZZ-{A}']}行 状态 '完成了'" in text
    assert f"第{rows[f'ZZ-{B}']}行 状态不能由乡镇从未开始改为已销号" in text
    assert f"第{rows[f'LY-{C}']}行 完成时限 '明年' 不是日期" in text
    assert "第6行 任务编号 ZZ-NOSUCH 不存在" in text
    assert f"第7行 任务编号 ZZ-{B} 重复" in text
    pd.testing.assert_frame_equal(read_tasks(path), before)              # all or nothing


def test_cli_export_and_import(tmp_path):
    path = tmp_path / "history.gpkg"
    _q2(path)
    out = tmp_path / "台账.xlsx"
    runner = CliRunner()
    got = runner.invoke(main, ["ledger", "export", "--history", str(path), "-o", str(out)])
    assert got.exit_code == 0, got.output
    _fill(out, {f"ZZ-{A}": {"状态": "已销号"}})
    got = runner.invoke(main, ["ledger", "import", str(out), "--history", str(path)])
    assert got.exit_code == 2
    assert "状态不能由乡镇从未开始改为已销号" in got.output and got.output.strip().count("\n") == 0
    got = runner.invoke(main, ["ledger", "export", "--history", str(tmp_path / "none.gpkg"), "-o", str(out)])
    assert got.exit_code == 2


def test_sample_filled_file_imports_after_the_sample_run(tmp_path, sample_dir, sample_results):
    """Part C's 2023Q3 file (整治台账_填报.xlsx) names tasks the 2023Q2 sample run opened."""
    filled = sample_dir / "quarters" / "2023Q3" / "整治台账_填报.xlsx"
    if not filled.is_file():
        pytest.skip("the sample quarters have not been generated")
    path = tmp_path / "history.gpkg"
    results = dataclasses.replace(sample_results, info={**sample_results.info, "run_id": "sample-q2"})
    record_run(results, path, updaters=[update_ledger])
    copy = tmp_path / filled.name
    shutil.copy(filled, copy)
    outcome = import_ledger(copy, path)
    book = openpyxl.load_workbook(copy, read_only=True)
    n = sum(1 for r in book[SHEET].iter_rows(min_row=3, values_only=True) if r[0])
    assert outcome.rows == n and outcome.changed == n
    tasks = read_tasks(path)
    assert (tasks["status"] == "已完成待复核").sum() >= 1


def test_who_the_rectification_list_takes(tmp_path):
    """TT-LEDGER's reading: class D and the low-efficiency enterprises are listed with the default
    treatment and a deadline 12 months on; an evaluated enterprise that is neither meets the rule; an
    enterprise with an open task that is no longer evaluated and holds no parcel has left."""
    import types

    import geopandas as gpd

    from geo_tenglong.analysis.ledger_lists import rectification_rows
    from geo_tenglong.pipeline import base_parcels
    from geo_tenglong.results import Results
    from geo_tenglong.workspace import load_workspace

    from conftest import ZONE40, box, write_workspace

    ids = ["331023101001GB00001", "331023101001GB00002", "331023101001GB00003"]
    parcels = gpd.GeoDataFrame({"parcel_id": ids, "owner_uscc": [A, B, C], "township": ["始丰街道", "平桥镇", "福溪街道"],
                                "land_use_code": ["1001"] * 3},
                               geometry=[box(i * 100, 0, i * 100 + 100, 100) for i in range(3)], crs=ZONE40)
    ws = load_workspace(write_workspace(tmp_path / "ws", parcels))
    res = Results(info={}, parcels=base_parcels(ws))
    res.parcels["holder_uscc"] = [A, B, C]
    res.layers["enterprise_eval"] = pd.DataFrame({
        "uscc": [A, B, C], "name": ["甲", "乙", "丙"], "year": [2022] * 3, "in_scope": [True] * 3,
        "eval_class": ["D", "C", "B"], "low_efficiency_type": [None, "低效企业亩均税收≤5万元/亩", None],
        "tax_per_mu": [2.0, 4.5, 20.0], "parcel_ids": ids})
    res.summary["efficiency"] = {"eval_year": 2022}
    path = tmp_path / "history.gpkg"
    _record(path, "2023-03-31", "q1", [(f"ZZ-{D}", True, "亩均评价D类")])     # D: listed last quarter
    ws.history = types.SimpleNamespace(path=path)
    rows = rectification_rows(ws, res).set_index("task_id")
    assert rows["listed"].to_dict() == {f"ZZ-{A}": True, f"ZZ-{B}": True, f"ZZ-{C}": False, f"ZZ-{D}": False}
    assert rows.loc[f"ZZ-{A}", "treatment"] == "改造提升" and rows.loc[f"ZZ-{A}", "township"] == "始丰街道"
    assert rows.loc[f"ZZ-{A}", "deadline"] == pd.Timestamp("2024-06-30")     # as of 2023-06-30 + 12 months
    assert rows.loc[f"ZZ-{B}", "reason"] == "低效企业亩均税收≤5万元/亩(亩均税收4.50万元/亩)"
    assert rows.loc[f"ZZ-{C}", "reason"] == "达标销号:亩均评价B类,亩均税收20.00万元/亩"
    assert rows.loc[f"ZZ-{D}", "reason"].startswith("销号:企业已不再占用工业用地")
    assert set(rows["rule_id"]) == {"TT-LEDGER"} and set(rows["clause"]) == {"三(一)1"}


def test_import_refuses_a_file_of_another_shape(tmp_path):
    path = tmp_path / "history.gpkg"
    _q2(path)
    other = tmp_path / "other.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Sheet1"
    book.save(other)
    with pytest.raises(InputError, match="没有工作表 整治台账"):
        import_ledger(other, path)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(["标题"])
    sheet.append(["编号", "状态"])
    book.save(other)
    with pytest.raises(InputError, match="找不到含“任务编号”的表头行"):
        import_ledger(other, path)
    sheet.append(["任务编号", "状态"])
    book.save(other)
    with pytest.raises(InputError, match="row 3: 表头缺少 清单"):
        import_ledger(other, path)
    with pytest.raises(InputError, match="历史库中尚无整治台账"):
        export_ledger(make_history_without_ledger(tmp_path), tmp_path / "x.xlsx")


def make_history_without_ledger(tmp_path):
    path = tmp_path / "bare.gpkg"
    record_run(make_results([{"parcel_id": "331023101001GB00001"}], run_id="b"), path, updaters=[])
    return path


def test_closed_loop_over_three_analysed_quarters(tmp_path):
    """The real stages: an enterprise at 2 万元/亩 (≤ 5, TT-T4) is listed; re-rated at 20 万元/亩 in the
    next quarter its task closes (达标销号); back at 2 万元/亩 it reopens. 15 亩 parcels: tax 30 → 2."""
    import geopandas as gpd

    from geo_tenglong.history.view import load_history
    from geo_tenglong.pipeline import analyse
    from geo_tenglong.workspace import load_workspace

    from conftest import ZONE40, box, write_workspace

    ids = ["331023101001GB00001", "331023101001GB00002", "331023101001GB00003"]
    parcels = gpd.GeoDataFrame({"parcel_id": ids, "owner_uscc": [A, B, C], "township": ["始丰街道"] * 3,
                                "land_use_code": ["1001"] * 3},
                               geometry=[box(i * 100, 0, i * 100 + 100, 100) for i in range(3)], crs=ZONE40)
    store = tmp_path / "history.gpkg"
    for q, (as_of, tax_a) in enumerate((("2023-06-30", 30.0), ("2023-09-30", 300.0), ("2023-12-31", 30.0))):
        rows = [{"统一社会信用代码": u, "企业名称": n, "年度": y, "规模": "规上", "营业收入": 5000.0,
                 "税收实际贡献": (tax_a if u == A else 450.0), "工业增加值": 1000.0, "年平均职工人数": 50,
                 "综合能耗": 100.0, "主要污染物排放量": 1.0, "R&D经费支出": 50.0, "行业": "通用设备制造业"}
                for u, n in ((A, "甲"), (B, "乙"), (C, "丙")) for y in (2021, 2022)]
        folder = tmp_path / f"q{q}"
        folder.mkdir()
        pd.DataFrame(rows).to_csv(folder / "enterprises.csv", index=False)
        ws = load_workspace(write_workspace(folder, parcels, as_of=as_of,
                                            extra_toml='[tables]\nenterprises = "enterprises.csv"\n'))
        ws.history = load_history(store, ws.as_of, ws.admin_code)
        results = analyse(ws)
        results.info["run_id"] = f"q{q}"
        record_run(results, store, updaters=[update_ledger])
    events = read_events(store)
    a = events[events["task_id"] == f"ZZ-{A}"]
    assert list(zip(a["run_id"], a["to_status"])) == [("q0", "未开始"), ("q1", "已销号"), ("q2", "重新打开")]
    assert a["reason"].iloc[0].startswith("列入清单:") and "亩均税收2.00万元/亩" in a["reason"].iloc[0]
    assert a["reason"].iloc[1].startswith("达标销号:亩均评价") and a["reason"].iloc[1].endswith("亩均税收20.00万元/亩")
    assert set(events["task_id"].str[:3]) <= {"ZZ-", "LY-"}
    assert f"ZZ-{B}" not in set(events["task_id"])                          # 30 万元/亩 throughout
