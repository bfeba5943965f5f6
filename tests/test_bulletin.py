"""The 季度通报 (geo_tenglong.report.bulletin, `geo-tenglong bulletin`) on three synthetic recorded runs;
its figures are recomputed here from the fixtures, not by calling the code under test."""

from __future__ import annotations

import sqlite3
import unicodedata

import pandas as pd
import pytest
from click.testing import CliRunner
from history_fixtures import make_results

from geo_tenglong.cli import main
from geo_tenglong.history import store
from geo_tenglong.report.bulletin import build_bulletin, render_bulletin, select_runs, write_bulletin
from geo_tenglong.report.pdf import find_chromium, pdf_fonts
from geo_tenglong.rules import load_ruleset

EVIL = '<script>alert("x")</script>镇'
PARK = "天台<经济>开发区"
TOWNS = ["始丰街道", "福溪街道", "白鹤镇", EVIL]


def _parcel(pid, town, listed, cls, owner, slot, **kw):
    return {"parcel_id": pid, "township": town, "reclaimable": listed, "eval_class": cls, "owner_uscc": owner,
            "holder_uscc": owner, "slot": slot, **kw}


# quarter → parcels; each township holds two parcels; one enterprise per parcel (uscc = owner)
Q = {
    "q2": [_parcel("S1", TOWNS[0], True, "D", "u1", 0), _parcel("S2", TOWNS[0], True, "D", "u2", 1),
           _parcel("F1", TOWNS[1], True, "D", "u3", 2), _parcel("F2", TOWNS[1], False, "B", "u4", 3),
           _parcel("B1", TOWNS[2], True, "D", "u5", 4), _parcel("B2", TOWNS[2], False, "C", "u6", 5),
           _parcel("E1", TOWNS[3], True, "D", "u7", 6), _parcel("E2", TOWNS[3], False, "A", "u8", 7)],
    "q3": [_parcel("S1", TOWNS[0], False, "C", "u1", 0), _parcel("S2", TOWNS[0], True, "D", "u2", 1),
           _parcel("F1", TOWNS[1], True, "D", "u3", 2), _parcel("F2", TOWNS[1], False, "B", "u4", 3),
           _parcel("B1", TOWNS[2], True, "D", "u5", 4), _parcel("B2", TOWNS[2], False, "C", "u6", 5),
           _parcel("E1", TOWNS[3], True, "D", "u7", 6), _parcel("E2", TOWNS[3], False, "A", "u8", 7)],
    "q4": [_parcel("S1", TOWNS[0], False, "C", "u1", 0), _parcel("S2", TOWNS[0], False, None, "储备", 1),
           _parcel("F1-1", TOWNS[1], False, "B", "u3", 2, split_from="F1"), _parcel("F2", TOWNS[1], True, "B", "u4", 3, idle_tier=1),
           _parcel("B1", TOWNS[2], True, "D", "u5", 4), _parcel("B2", TOWNS[2], True, "D", "u6", 5),
           _parcel("E1", TOWNS[3], True, "D", "u7", 6), _parcel("E2", TOWNS[3], False, "A", "u8", 7),
           _parcel("N1", TOWNS[2], True, None, "u9", 8, idle_tier=1)],
}
AS_OF = {"q2": "2023-06-30", "q3": "2023-09-30", "q4": "2023-12-31"}
# tax (万元) by quarter and enterprise; land 10 亩 each
TAX = {"q2": {"u1": 20, "u2": 30, "u3": 40, "u4": 100, "u5": 30, "u6": 60, "u7": 10, "u8": 300},
       "q3": {"u1": 40, "u2": 30, "u3": 40, "u4": 110, "u5": 30, "u6": 60, "u7": 10, "u8": 300},
       "q4": {"u1": 60, "u3": 80, "u4": 120, "u5": 25, "u6": 40, "u7": 12, "u8": 330}}
TARGET = {"q2": float("nan"), "q3": 5.0, "q4": 21.0}  # freed_mu as each run recorded it


def _run(q):
    cls = {p["owner_uscc"]: p["eval_class"] for p in Q[q]}
    ents = [{"uscc": u, "name": f"企业{u}", "year": 2022, "eval_class": cls.get(u), "land_mu": 10.0, "tax": t,
             "tax_per_mu": t / 10, "va_per_mu": 1.0, "energy_tce": 1.0} for u, t in TAX[q].items()]
    rows = [{**p, "park_id": "P1" if p["township"] == TOWNS[0] else None} for p in Q[q]]  # 始丰街道's are in a park
    res = make_results(rows, as_of=AS_OF[q], run_id=q, enterprises=ents)
    res.layers["targets"] = pd.DataFrame({"rule_id": ["TT-T8"], "metric": ["freed_mu"], "label": ["腾出低效工业用地"],
                                          "op": [">="], "value": [TARGET[q]], "target": [200.0], "unit": ["亩"],
                                          "status": ["fail" if TARGET[q] == TARGET[q] else "missing_data"],
                                          "candidate": [99.0], "since": ["2023-06-30"], "note": [""]})
    return res


@pytest.fixture
def history(tmp_path):
    path = tmp_path / "history.gpkg"
    for q in Q:
        store.record_run(_run(q), path, park_names={"P1": PARK})
    with sqlite3.connect(path) as conn:  # the 整治台账 as part B keeps it: two closings in Q4, one in Q3
        conn.execute("CREATE TABLE ledger_tasks (task_id TEXT PRIMARY KEY, list TEXT NOT NULL, uscc TEXT, "
                     "parcel_id TEXT, name TEXT, township TEXT, treatment TEXT, deadline TEXT, status TEXT NOT NULL, "
                     "note TEXT, opened_run TEXT, closed_run TEXT, updated TEXT)")
        conn.executemany("INSERT INTO ledger_tasks (task_id, list, uscc, township, treatment, status, closed_run) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)", [
                             ("ZZ-u1", "高耗低效整治", "u1", TOWNS[0], "改造提升", "已销号", "q3"),
                             ("ZZ-u2", "高耗低效整治", "u2", TOWNS[0], "回收流转", "已销号", "q4"),
                             ("ZZ-u3", "高耗低效整治", "u3", TOWNS[1], "兼并重组", "已销号", "q4"),
                             ("ZZ-u5", "高耗低效整治", "u5", TOWNS[2], "改造提升", "整改中", None),
                             ("LY-u8", "留驻优质企业", "u8", TOWNS[3], None, "已销号", "q4")])
    return path


def _listed(q):
    return {p["parcel_id"] for p in Q[q] if p["reclaimable"]}


def test_runs_of_the_period(history):
    runs = store.runs(history)
    start, base, current = select_runs(runs)
    assert (start["run_id"], base["run_id"], current["run_id"]) == ("q2", "q3", "q4")
    assert [r["run_id"] for r in select_runs(runs, date_from="2023-06-30")] == ["q2", "q2", "q4"]
    assert [r["run_id"] for r in select_runs(runs, date_to="2023-09-30")] == ["q2", "q2", "q3"]


def test_figures_match_the_fixtures(history):
    b = build_bulletin(history, ruleset=load_ruleset("tiantai-2022"))
    area = make_results(Q["q2"]).parcels.set_index("parcel_id")["area_mu"]  # every fixture box has the same area
    freed = _listed("q3") - {p["parcel_id"] for p in Q["q4"] if p["reclaimable"]}
    assert set(b.freed["parcel_id"]) == freed == {"S2", "F1"}
    assert b.freed.set_index("parcel_id")["reason"].to_dict() == {"S2": "reclaimed", "F1": "split"}
    assert b.freed["area_mu"].sum() == pytest.approx(sum(area[p] for p in freed))
    since_start = _listed("q2") - {p["parcel_id"] for p in Q["q4"] if p["reclaimable"]}
    assert b.freed_since_start_mu == pytest.approx(sum(area[p] for p in since_start))
    assert b.new_idle["parcel_id"].tolist() == ["F2", "N1"]
    assert b.worse.set_index("parcel_id")["why"].to_dict() == {"B2": "评价下调"}  # F2 (newly idle and listed): once, as idle
    # targets: the values each run recorded, and their differences
    t = b.targets.set_index("metric").loc["freed_mu"]
    assert (t["value"], t["value_base"], t["delta_base"]) == (21.0, 5.0, 16.0) and pd.isna(t["delta_start"])
    # the 赛马, recomputed: 亩均税收 growth Q3 → Q4 by township (sum tax / sum land of its enterprises)
    def per_mu(q):  # each run's township of an enterprise is where its parcel lies in that run
        town_of = {p["owner_uscc"]: p["township"] for p in Q[q]}
        tax, land = {}, {}
        for u, v in TAX[q].items():
            if u in town_of:
                tax[town_of[u]] = tax.get(town_of[u], 0) + v
                land[town_of[u]] = land.get(town_of[u], 0) + 10.0
        return {k: tax[k] / land[k] for k in tax}

    before, after = per_mu("q3"), per_mu("q4")
    growth = {k: (after[k] / before[k] - 1) * 100 for k in after}
    freed_by_town = {k: sum(area[p["parcel_id"]] for p in Q["q3"] if p["parcel_id"] in freed and p["township"] == k)
                     for k in TOWNS}
    closed = {TOWNS[0]: 1, TOWNS[1]: 1}  # Q4's closings of the 整治 list (Q3's and the 留驻 one do not count)
    race = b.race_towns.set_index("area")
    for k in TOWNS:
        assert race.loc[k, "tax_per_mu_growth"] == pytest.approx(growth[k])
        assert race.loc[k, "freed_mu"] == pytest.approx(freed_by_town[k])
        assert race.loc[k, "closed_tasks"] == closed.get(k, 0)

    def rank(values):  # 1 = highest, ties share the best rank
        return {k: 1 + sum(v2 > v for v2 in values.values()) for k, v in values.items()}

    r1, r2, r3 = rank(growth), rank(freed_by_town), rank({k: closed.get(k, 0) for k in TOWNS})
    total = {k: r1[k] + r2[k] + r3[k] for k in TOWNS}
    assert race["rank_sum"].to_dict() == total
    place = {k: 1 + sum(t < total[k] for t in total.values()) for k in TOWNS}
    worst = {k for k in TOWNS if place[k] >= len(TOWNS) - 2 + 1}  # 天台 五(二): bottom 2 (ruleset interview_bottom)
    assert set(race.index[race["interview"]]) == worst and len(worst) == 2
    assert b.race_towns["rank_sum"].is_monotonic_increasing
    park = b.race_parks.set_index("area").loc["P1"]  # parks ranked alike, named as the run recorded them
    assert park["name"] == PARK and park["freed_mu"] == pytest.approx(area["S2"]) and park["closed_tasks"] == 1


def test_html_escapes_and_marks_interviews(history, tmp_path):
    b = build_bulletin(history, ruleset=load_ruleset("tiantai-2022"))
    html = render_bulletin(b)
    assert EVIL not in html and "&lt;script&gt;" in html and "天台&lt;经济&gt;开发区" in html
    assert "D → —" in html  # S2 went to the land reserve: no class now, shown as such, never "nan"
    assert not any(bad in html for bad in ("nan<", "→ nan", ">None<", "NaN"))
    assert html.count("通报约谈</span>") == int(b.race_towns["interview"].sum()) == 2
    assert "候选 99.0亩, 不计为完成" in html and "2023-09-30 至 2023-12-31" in html
    # 德清's clause names no 约谈: nobody is marked, and the bulletin says why
    dq = build_bulletin(history, ruleset=load_ruleset("deqing-2021"))
    assert not dq.race_towns["interview"].any() and any("未规定约谈" in n for n in dq.race_notes)
    written = write_bulletin(history, tmp_path / "bulletin", pdf=False)
    assert [p.name for p in written] == ["季度通报_2023-12-31.html"]


def test_cli_needs_two_runs(tmp_path, history):
    one = tmp_path / "one.gpkg"
    store.record_run(_run("q2"), one)
    r = CliRunner().invoke(main, ["bulletin", "--history", str(one), "-o", str(tmp_path / "b"), "--no-pdf", "-q"])
    assert r.exit_code == 2 and "至少两次运行记录" in r.output
    r = CliRunner().invoke(main, ["bulletin", "--history", str(history), "-o", str(tmp_path / "b"), "--no-pdf",
                                  "--from", "2023-06-30"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "b" / "季度通报_2023-12-31.html").is_file()
    r = CliRunner().invoke(main, ["bulletin", "--history", str(history), "--to", "2023-13-01"])
    assert r.exit_code == 2 and "YYYY-MM-DD" in r.output


def test_a_tie_across_the_interview_line_is_not_marked():
    from geo_tenglong.report.bulletin import race_table

    towns = pd.Series(["甲", "乙", "丙", "丁"])
    t, notes = race_table(towns, {"freed_mu": pd.Series({"甲": 9.0, "乙": 0.0, "丙": 0.0, "丁": 0.0})}, 2)
    assert not t["interview"].any() and "并列的 3 个跨越约谈线" in notes[0]
    t, notes = race_table(towns, {"freed_mu": pd.Series({"甲": 9.0, "乙": 5.0, "丙": 0.0, "丁": 0.0})}, 2)
    assert set(t.loc[t["interview"], "area"]) == {"丙", "丁"} and notes == []


@pytest.mark.skipif(find_chromium() is None, reason="no Chromium: PDFs are skipped")
def test_bulletin_pdf_is_a4_in_a_cjk_font(history, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    written = write_bulletin(history, tmp_path / "b")
    pdf = tmp_path / "b" / "季度通报_2023-12-31.pdf"
    assert pdf in written
    reader = pypdf.PdfReader(str(pdf))
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)
    assert any("CJK" in f or "NotoSansSC" in f for f in pdf_fonts(pdf))
    text = unicodedata.normalize("NFKC", "".join(p.extract_text() for p in reader.pages))
    assert "季度通报" in text and "排名" in text and "通报约谈" in text
