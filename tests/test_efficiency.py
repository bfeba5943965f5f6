"""亩均效益 on a small fixture county: join, indicators, scores, classes, TT-T4, TT-RATE, metrics.

Expected values are computed here by hand (plain Python over the fixture's numbers), not by
calling the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from test_efficiency_support import code, ent_rows, make_ws, parcels_frame, run_stages

E = {i: code(i) for i in range(1, 20)}
MU = {"P1": 20.0, "P2": 10.0, "P3": 5.0, "P4": 2.0, "P5": 30.0, "P6": 10.0, "P7": 8.0, "P8": 6.0, "P9": 4.0,
      "P10": 12.0, "P11": 3.0}


def fixture_parcels():
    rows = [
        {"parcel_id": "P1", "owner_uscc": E[1], "land_use_code": "1001", "status": "已竣工投产", "township": "始丰街道"},
        {"parcel_id": "P2", "owner_uscc": E[2], "land_use_code": "1001", "status": "已竣工投产", "township": "始丰街道"},
        {"parcel_id": "P3", "owner_uscc": E[4], "land_use_code": "1001", "status": "已竣工投产", "township": "福溪街道"},
        {"parcel_id": "P4", "owner_uscc": E[5], "land_use_code": "1001", "status": "已竣工投产", "township": "福溪街道"},
        {"parcel_id": "P5", "owner_uscc": E[6], "land_use_code": "1001", "status": "已竣工投产", "township": "坦头镇"},
        {"parcel_id": "P6", "owner_uscc": E[6], "land_use_code": "1001", "status": "已竣工投产", "township": "坦头镇"},
        {"parcel_id": "P7", "owner_uscc": "91331023MA2A00000X", "land_use_code": "1001", "status": "已竣工投产",
         "township": "坦头镇"},
        {"parcel_id": "P8", "owner_uscc": E[9], "land_use_code": "1001", "status": "已竣工投产", "township": "平桥镇"},
        {"parcel_id": "P9", "owner_uscc": E[1], "land_use_code": "0501", "status": "已竣工投产", "township": "平桥镇"},
        {"parcel_id": "P10", "owner_uscc": E[10], "land_use_code": "1001", "status": "已竣工投产", "township": "平桥镇"},
        {"parcel_id": "P11", "owner_uscc": E[11], "land_use_code": "1001", "status": "已竣工投产", "township": "平桥镇"},
    ]
    for r in rows:
        r["mu"] = MU[r["parcel_id"]]
    return parcels_frame(rows)


# uscc: (name, scale, {year: (revenue, tax, va, employees, energy, emissions, rd)})
DATA = {
    1: ("甲公司", "规上", {2021: (12000, 100, 2000, 100, 800, 10, 300), 2022: (15000, 150, 2600, 110, 900, 12, 400)}),
    2: ("乙公司", "规上", {2021: (8000, 60, 1500, 80, 700, 8, 120), 2022: (9000, 70, 1600, 85, 720, 8, 150)}),
    3: ("丙公司(承租)", "规下", {2021: (500, 10, np.nan, 10, np.nan, np.nan, np.nan), 2022: (600, 12, np.nan, 12, np.nan, np.nan, np.nan)}),
    4: ("丁公司", "规下", {2021: (1000, 30, np.nan, 20, np.nan, np.nan, np.nan), 2022: (1100, 20, np.nan, 20, np.nan, np.nan, np.nan)}),
    5: ("戊公司", "规下", {2021: (300, 5, np.nan, 5, np.nan, np.nan, np.nan), 2022: (300, 4, np.nan, 5, np.nan, np.nan, np.nan)}),
    6: ("己公司", "规上", {2021: (20000, 380, 3000, 200, 2000, 30, 200), 2022: (25000, 400, 3500, 210, 2100, 30, 500)}),
    7: ("庚公司(无地)", "规上", {2022: (5000, 50, 800, 40, 100, 1, 50)}),
    10: ("辛公司", "规上", {2021: (11000, 120, 1800, 90, 600, 6, 100), 2022: (13000, 60, 1900, 95, 650, 6, 200)}),
    11: ("壬公司", "规下", {2021: (200, 15, np.nan, 4, np.nan, np.nan, np.nan), 2022: (250, 15, np.nan, 4, np.nan, np.nan, np.nan)}),
}


def fixture_tables(extra_rows=()):
    rows = []
    for i, (name, scale, years) in DATA.items():
        for y, v in years.items():
            rows.append(ent_rows(E[i], name, scale, y, *v))
    rows.append(ent_rows(E[1], "甲公司(重复)", "规上", 2022, 1, 1, 1, 1, 1, 1, 1))       # duplicate code+year
    rows.append(ent_rows("913310231234567890", "坏代码公司", "规上", 2022, 1, 1, 1, 1, 1, 1, 1))  # invalid code
    rows.extend(extra_rows)
    ent = pd.DataFrame(rows)
    tenancy = pd.DataFrame({"parcel_id": ["P2", "P99"], "uscc": [E[3], E[4]], "floor_area_m2": [2000.0, 100.0]})
    projects = pd.DataFrame({"project_id": ["X1"], "uscc": [E[5]], "parcel_id": ["P4"], "name": ["戊公司技改"],
                             "key_project": [True], "total_investment": [12000.0], "under_construction": [True]})
    return {"enterprises": ent, "tenancy": tenancy, "projects": projects}


@pytest.fixture(scope="module")
def res():
    ws = make_ws(fixture_parcels(), fixture_tables())
    return run_stages(ws, ("efficiency",))


def hand_units():
    """Evaluation units by hand: pools (E2+E3 share P2), land, summed figures per year."""
    units = {"E1": ([1], 20.0), "E2": ([2, 3], 10.0), "E4": ([4], 5.0), "E5": ([5], 2.0), "E6": ([6], 40.0),
             "E10": ([10], 12.0), "E11": ([11], 3.0)}
    out = {}
    for uid, (members, land) in units.items():
        for y in (2021, 2022):
            vals = [DATA[m][2][y] for m in members if y in DATA[m][2]]
            tot = [sum(v[k] for v in vals if not math.isnan(v[k])) if any(not math.isnan(v[k]) for v in vals)
                   else math.nan for k in range(7)]
            large = any(DATA[m][1] == "规上" for m in members)
            out[(uid, y)] = {"land": land, "revenue": tot[0], "tax": tot[1], "va": tot[2], "emp": tot[3],
                             "energy": tot[4], "emis": tot[5], "rd": tot[6], "large": large}
    return out


def test_join_issues_list_every_problem(res):
    ji = res.layer("join_issues")
    kinds = ji.groupby("kind")["uscc"].apply(lambda s: set(s.dropna()))
    assert E[7] in kinds["enterprise_without_land"]
    assert "913310231234567890" in kinds["invalid_uscc"]
    assert "91331023MA2A00000X" in kinds["invalid_uscc"]          # the parcel holder's bad code
    assert E[1] in kinds["duplicate_uscc"]
    assert set(ji.loc[ji["kind"] == "parcel_without_enterprise", "parcel_id"]) == {"P7", "P8"}
    assert set(ji.loc[ji["kind"] == "tenancy_unknown_parcel", "parcel_id"]) == {"P99"}
    dup = ji[ji["kind"] == "duplicate_uscc"].iloc[0]
    assert dup["source"] == "enterprises" and int(dup["source_row"]) > 2


def test_pool_shares_holder_result(res):
    ev = res.layer("enterprise_eval")
    e2 = ev[(ev["uscc"] == E[2]) & (ev["year"] == 2022)].iloc[0]
    e3 = ev[(ev["uscc"] == E[3]) & (ev["year"] == 2022)].iloc[0]
    assert e2["eval_class"] == e3["eval_class"] and e2["score"] == pytest.approx(e3["score"])
    assert e2["tax_per_mu"] == pytest.approx((70 + 12) / 10.0)
    assert e2["pool_size"] == 2 and e3["land_mu"] == pytest.approx(10.0)
    assert e3["tax"] == 12  # own figures are kept
    p = res.parcels.set_index("parcel_id")
    assert p.loc["P2", "tenant_count"] == 1 and p.loc["P2", "holder_uscc"] == E[2]


def test_land_is_all_industrial_land(res):
    ev = res.layer("enterprise_eval").set_index(["uscc", "year"])
    assert ev.loc[(E[6], 2022), "land_mu"] == pytest.approx(40.0)
    assert ev.loc[(E[1], 2022), "land_mu"] == pytest.approx(20.0)   # P9 is commercial, not counted
    assert ev.loc[(E[1], 2022), "tax"] == 150                       # the first of the duplicate rows
    assert set(ev.loc[(E[6], 2022), "parcel_ids"].split(";")) == {"P5", "P6"}


def test_indicators_scores_and_classes_match_hand_computation(res):
    hu = hand_units()
    ev = res.layer("enterprise_eval")
    spec_w_large = {"tax": 30, "va_mu": 20, "va_e": 20, "va_em": 10, "lp": 10, "rd": 10}
    for y in (2021, 2022):
        scope = {u: v for (u, yy), v in hu.items() if yy == y and v["land"] > 0 and (v["large"] or v["land"] >= 3.0)}
        large = {u: v for u, v in scope.items() if v["large"]}
        small = {u: v for u, v in scope.items() if not v["large"]}

        def ind(v):
            return {"tax": v["tax"] / v["land"], "va_mu": v["va"] / v["land"], "lp": v["va"] / v["emp"],
                    "va_e": v["va"] / v["energy"], "va_em": v["va"] / v["emis"], "rd": v["rd"] / v["revenue"]}

        def bench(group, num, den):
            return sum(v[num] for v in group.values()) / sum(v[den] for v in group.values())

        b = {"tax": bench(large, "tax", "land"), "va_mu": bench(large, "va", "land"), "lp": bench(large, "va", "emp"),
             "va_e": bench(large, "va", "energy"), "va_em": bench(large, "va", "emis"), "rd": bench(large, "rd", "revenue")}
        scores = {u: sum(spec_w_large[k] * ind(v)[k] / b[k] for k in spec_w_large) for u, v in large.items()}
        bs = sum(v["tax"] for v in small.values()) / sum(v["land"] for v in small.values())
        scores.update({u: 100 * (v["tax"] / v["land"]) / bs for u, v in small.items()})
        for u, s in scores.items():
            row = ev[(ev["pool_id"] == E[int(u[1:])]) & (ev["year"] == y)].iloc[0]
            assert row["score"] == pytest.approx(s, rel=1e-9), (u, y)
            assert row["tax_per_mu"] == pytest.approx(hu[(u, y)]["tax"] / hu[(u, y)]["land"])
            assert bool(row["in_scope"])
        # rank shares per group: 天台 2022 shares
        shares = [134 / 1248, 439 / 1248, 575 / 1248, 100 / 1248]
        for group in (large, small):
            ranked = sorted(group, key=lambda u: -scores[u])
            cum = [math.floor(sum(shares[:k + 1]) * len(ranked) + 0.5) for k in range(4)]
            for r, u in enumerate(ranked):
                expect = "ABCD"[next(k for k in range(4) if r < cum[k] or k == 3)]
                if u == "E5" and y == 2022:
                    continue  # out of scope anyway (2 亩 规下)
                row = ev[(ev["pool_id"] == E[int(u[1:])]) & (ev["year"] == y)].iloc[0]
                assert row["eval_class"] == expect, (u, y, r, cum)
    # out of scope: 规下 with 2 亩
    e5 = ev[(ev["uscc"] == E[5]) & (ev["year"] == 2022)].iloc[0]
    assert not e5["in_scope"] and pd.isna(e5["eval_class"])


def test_class_names_are_tiantai(res):
    ev = res.layer("enterprise_eval")
    names = dict(zip(ev["eval_class"].dropna(), ev["class_name"].dropna()))
    for k, v in {"A": "优先发展类", "B": "提升发展类", "C": "调控帮扶类", "D": "倒逼整治类"}.items():
        if k in names:
            assert names[k] == v


def test_tt_t4_low_efficiency(res):
    p = res.parcels.set_index("parcel_id")
    # E10: 亿元企业 (13000 万元), 亩均税收 2021 = 10.0 (含), 2022 = 5.0 → both kinds
    assert p.loc["P10", "low_efficiency"]
    assert "亿元企业" in p.loc["P10", "low_efficiency_type"] and "低效企业" in p.loc["P10", "low_efficiency_type"]
    f = res.findings[(res.findings["rule_id"] == "TT-T4") & (res.findings["parcel_id"] == "P10")
                     & (res.findings["status"] == "fail")]
    assert len(f) == 2 and "10.00" in f.iloc[0]["message"] and "5.00" in f.iloc[0]["message"]
    assert f["value"].iloc[0] == pytest.approx(5.0)
    # E11: 规下 3 亩 (in scope, inclusive), 亩均税收 5.0 → 低效企业 (含)
    assert p.loc["P11", "low_efficiency"] and "低效企业" in p.loc["P11", "low_efficiency_type"]
    # E4: 4.0 ≤ 5 but 2021 was 6 → low (one year per ruleset)
    assert p.loc["P3", "low_efficiency"]
    # E1: 7.5 万元/亩, revenue 15000, 2021 5.0 → 亿元企业 both years ≤ 10
    assert "亿元企业" in p.loc["P1", "low_efficiency_type"]
    # E6: 400/40 = 10.0 in 2022 but 380/40 = 9.5 in 2021, revenue 25000 → flagged (both ≤ 10, 含)
    assert p.loc["P5", "low_efficiency"] and p.loc["P6", "low_efficiency"]
    # E2 pool: 8.2 in 2022, revenue 9600 < 10000 → not 亿元; > 5 → not low
    assert not p.loc["P2", "low_efficiency"]


def test_tt_rate_override(res):
    ev = res.layer("enterprise_eval")
    # E5 is out of scope (2 亩): no class to lift, so no override either
    e5 = ev[(ev["uscc"] == E[5]) & (ev["year"] == 2022)].iloc[0]
    assert pd.isna(e5["eval_class"])


def test_tt_rate_lifts_class_to_a():
    tables = fixture_tables()
    tables["projects"] = pd.DataFrame({"project_id": ["X1", "X2"], "uscc": [E[4], E[11]], "parcel_id": ["P3", "P11"],
                                       "name": ["丁公司技改", "壬公司技改"], "key_project": [True, True],
                                       "total_investment": [10000.0, 3000.0], "under_construction": [True, True]})
    res = run_stages(make_ws(fixture_parcels(), tables), ("efficiency",))
    ev = res.layer("enterprise_eval")
    e4 = ev[(ev["uscc"] == E[4]) & (ev["year"] == 2022)].iloc[0]
    assert e4["eval_class"] == "A" and "TT-RATE" in e4["class_note"] and "四(九)" in e4["class_note"]
    e11 = ev[(ev["uscc"] == E[11]) & (ev["year"] == 2022)].iloc[0]
    assert e11["eval_class"] != "D"
    f = res.findings[res.findings["rule_id"] == "TT-RATE"]
    assert "P3" in set(f["parcel_id"])


def test_county_metrics(res):
    hu = hand_units()
    large = {u: v for (u, y), v in hu.items() if y == 2022 and v["large"]}
    tax = sum(v["tax"] for v in large.values()) / sum(v["land"] for v in large.values())
    assert res.metrics["tax_per_mu"] == pytest.approx(tax, abs=1e-4)
    va = sum(v["va"] for v in large.values()) / sum(v["land"] for v in large.values())
    assert res.metrics["va_per_mu"] == pytest.approx(va, abs=1e-4)
    lp = sum(v["va"] for v in large.values()) / sum(v["emp"] for v in large.values())
    assert res.metrics["labour_productivity"] == pytest.approx(lp, abs=1e-4)
    rd = 100 * sum(v["rd"] for v in large.values()) / sum(v["revenue"] for v in large.values())
    assert res.metrics["rd_ratio_pct"] == pytest.approx(rd, abs=1e-4)
    prev = {u: v for (u, y), v in hu.items() if y == 2021 and v["large"]}
    e1 = sum(v["energy"] for v in large.values()) / sum(v["va"] for v in large.values())
    e0 = sum(v["energy"] for v in prev.values()) / sum(v["va"] for v in prev.values())
    assert res.metrics["energy_intensity_drop_pct"] == pytest.approx((1 - e1 / e0) * 100, abs=1e-4)


def test_bad_values_give_missing_data_not_errors():
    extra = [ent_rows(code(15), "负税公司", "规上", 2022, 1000, -5, 100, 0, 0, 0, 10)]
    parcels = fixture_parcels()
    rows = [{"parcel_id": "P15", "owner_uscc": code(15), "land_use_code": "1001", "mu": 10.0}]
    import geopandas as gpd

    from test_efficiency_support import square
    extra_p = gpd.GeoDataFrame(pd.DataFrame(rows).drop(columns="mu").astype({"owner_uscc": "string"}),
                               geometry=[square(30, 10.0)], crs="EPSG:4528")
    parcels = pd.concat([parcels, extra_p], ignore_index=True)
    res = run_stages(make_ws(parcels, fixture_tables(extra)), ("efficiency",))
    ev = res.layer("enterprise_eval")
    row = ev[(ev["uscc"] == code(15)) & (ev["year"] == 2022)].iloc[0]
    assert np.isfinite(row["score"])
    for c in ("tax_per_mu", "labour_productivity", "va_per_energy", "va_per_emission"):
        assert pd.isna(row[c]), c
    f = res.findings[(res.findings["rule_id"] == "MJ-EVAL") & (res.findings["status"] == "missing_data")]
    assert (f["parcel_id"] == code(15)).sum() >= 4
    assert not np.isinf(ev["score"].dropna()).any()


def test_deqing_has_no_tt_rules():
    res = run_stages(make_ws(fixture_parcels(), fixture_tables(), ruleset="deqing-2021"), ("efficiency",))
    f = res.findings
    for rid in ("TT-T4", "TT-RATE"):
        sub = f[f["rule_id"] == rid]
        assert len(sub) == 1 and sub.iloc[0]["status"] == "not_applicable"
    assert not res.parcels["low_efficiency"].any()
    ev = res.layer("enterprise_eval")
    assert set(ev["class_name"].dropna()) <= {"A类", "B类", "C类", "D类"}


def test_apportion_by_floor_area():
    from dataclasses import replace

    ws = make_ws(fixture_parcels(), fixture_tables())
    spec = replace(ws.ruleset.get("MJ-EVAL"), tenants="apportion")
    rules = dict(ws.ruleset.rules)
    rules["MJ-EVAL"] = spec
    ws.ruleset = replace(ws.ruleset, rules=rules)
    res = run_stages(ws, ("efficiency",))
    ev = res.layer("enterprise_eval").set_index(["uscc", "year"])
    # no buildings: the parcel's floor area is the tenants' sum, so the tenant takes all of P2
    assert ev.loc[(E[3], 2022), "land_mu"] == pytest.approx(10.0)
    assert ev.loc[(E[3], 2022), "tax_per_mu"] == pytest.approx(12 / 10.0)
    assert ev.loc[(E[2], 2022), "pool_size"] == 1


def test_zero_area_parcel_is_missing_data_not_a_division():
    from shapely.geometry import Polygon

    parcels = fixture_parcels()
    x, y = parcels.geometry.iloc[0].bounds[:2]
    parcels.loc[parcels["parcel_id"] == "P3", "geometry"] = Polygon([(x, y), (x + 10, y), (x + 20, y)])  # no area
    res = run_stages(make_ws(parcels, fixture_tables()), ("efficiency",))
    f = res.findings[(res.findings["parcel_id"] == E[4]) & (res.findings["status"] == "missing_data")]
    assert f["message"].str.contains("用地面积为0或无法量算").any()
    ev = res.layer("enterprise_eval")
    row = ev[(ev["uscc"] == E[4]) & (ev["year"] == 2022)].iloc[0]
    assert not row["in_scope"] and pd.isna(row["tax_per_mu"])


def test_tenant_on_a_parcel_without_valid_holder_gets_the_parcel():
    tables = fixture_tables()
    tables["tenancy"] = pd.DataFrame({"parcel_id": ["P7"], "uscc": [E[3]], "floor_area_m2": [100.0]})
    res = run_stages(make_ws(fixture_parcels(), tables), ("efficiency",))
    ev = res.layer("enterprise_eval").set_index(["uscc", "year"])
    assert ev.loc[(E[3], 2022), "parcel_ids"] == "P7"
    assert ev.loc[(E[3], 2022), "land_mu"] == pytest.approx(MU["P7"])
    # and a parcels layer with no owner column at all still joins through the tenancy table
    bare = fixture_parcels()[["parcel_id", "geometry"]]
    res = run_stages(make_ws(bare, fixture_tables()), ("efficiency",))
    assert res.layer("enterprise_eval").set_index(["uscc", "year"]).loc[(E[3], 2022), "parcel_ids"] == "P2"


# --- issue 14: the evaluation year and the 亿元企业 readings -----------------------------------

def test_eval_year_is_the_year_before_as_of_never_the_latest_in_the_table():
    """上一年度亩均评价: as-of 2023-06-30 → 2022, even when 2023 rows are already in the table."""
    extra = [ent_rows(E[i], DATA[i][0], DATA[i][1], 2023, *[v * 3 for v in DATA[i][2][2022]]) for i in (1, 2, 4, 6)]
    res = run_stages(make_ws(fixture_parcels(), fixture_tables(extra)), ("efficiency",))
    assert res.summary["efficiency"]["eval_year"] == 2022
    assert set(res.parcels["eval_year"].dropna()) == {2022}
    # the 2022 figures stand: P10's 亩均税收 60 / 12 = 5.0
    assert res.parcels.set_index("parcel_id").loc["P10", "tax_per_mu"] == pytest.approx(5.0)


def test_eval_year_without_its_rows_is_missing_not_borrowed():
    """Data for 2021–2022 only, as-of 2024-03-01: 上一年度 is 2023, which has no rows."""
    res = run_stages(make_ws(fixture_parcels(), fixture_tables(), as_of="2024-03-01"), ("efficiency",))
    assert res.summary["efficiency"]["eval_year"] == 2023
    assert res.parcels["eval_class"].isna().all() and not res.parcels["low_efficiency"].any()
    f = res.findings[(res.findings["rule_id"] == "MJ-EVAL") & (res.findings["status"] == "missing_data")]
    assert f["message"].str.contains("无2023年度").any()


def test_billion_yuan_enterprise_is_judged_on_its_own_revenue():
    """TT-T4: a holder of 6000 万元 and a tenant of 5000 万元 on one parcel are no 亿元企业, though
    the pool's revenue is 11000; a tenant of 12000 万元 is one."""
    parcels = parcels_frame([{"parcel_id": "Q1", "owner_uscc": E[12], "land_use_code": "1001", "mu": 10.0},
                             {"parcel_id": "Q2", "owner_uscc": E[14], "land_use_code": "1001", "mu": 10.0}])
    rows = []
    for y, tax in ((2021, 80.0), (2022, 90.0)):  # 亩均税收 8 and 9 万元/亩: ≤ 10, > 5
        rows += [ent_rows(E[12], "甲", "规上", y, 6000, tax / 2, 900, 50, 100, 1, 10),
                 ent_rows(E[13], "乙", "规上", y, 5000, tax / 2, 800, 40, 100, 1, 10),
                 ent_rows(E[14], "丙", "规上", y, 500, tax / 2, 90, 50, 100, 1, 10),
                 ent_rows(E[15], "丁", "规上", y, 12000, tax / 2, 900, 40, 100, 1, 10)]
    tenancy = pd.DataFrame({"parcel_id": ["Q1", "Q2"], "uscc": [E[13], E[15]], "floor_area_m2": [1000.0, 1000.0]})
    res = run_stages(make_ws(parcels, {"enterprises": pd.DataFrame(rows), "tenancy": tenancy}), ("efficiency",))
    p = res.parcels.set_index("parcel_id")
    assert not p.loc["Q1", "upgrade_target"] and not p.loc["Q1", "low_efficiency"]
    assert p.loc["Q2", "upgrade_target"] and "亿元企业" in p.loc["Q2", "low_efficiency_type"]
    assert not p.loc["Q2", "low_tax_enterprise"]


def test_buyer_class_is_last_years_not_next_years():
    """TT-TRANSFER 四(八): a buyer rated D in 2022 (上一年度 at as-of 2023-06-30) may not receive
    merged land, though the table already holds its 2023 class A."""
    import datetime as dt

    from geo_tenglong.analysis.split_merge import check_merge, latest_classes

    from test_efficiency_support import square

    ev = pd.DataFrame({"uscc": [E[1], E[1]], "year": [2022, 2023], "eval_class": ["D", "A"],
                       "class_name": ["倒逼整治类", "优先发展类"]})
    assert latest_classes(ev, 2022)[1][E[1]][0] == "D"
    a = square(0, 10.0)
    x0, y0, x1, y1 = a.bounds
    import geopandas as gpd
    from shapely.geometry import box as sbox

    parcels = gpd.GeoDataFrame({"parcel_id": ["M1", "M2"], "rights_nature": ["国有", "国有"],
                                "rights_type": ["出让", "出让"], "term_end": ["2060-01-01", "2060-01-01"],
                                "standard_land": [False, False]},
                               geometry=[a, sbox(x1, y0, x1 + (x1 - x0), y1)], crs="EPSG:4528")
    props = pd.DataFrame({"proposal_id": ["HB1"], "parcel_ids": ["M1;M2"], "buyer_uscc": [E[1]]})
    f, _t = check_merge(parcels, props, make_ws(parcels).ruleset, ev, as_of=dt.date(2023, 6, 30))
    buyer = f[f["condition"] == "受让方亩均评价"].iloc[0]
    assert buyer["status"] == "fail" and "2022" in buyer["message"]


def test_tenant_only_parcel_names_the_enterprise_using_the_land():
    """一地多企 whose holder has no 亩均 data: 实际使用企业 is the tenant with data using most floor
    area, not the holder (issue 14.5)."""
    parcels = parcels_frame([{"parcel_id": "T1", "mu": 10.0, "owner_uscc": E[16], "owner_name": "空壳公司",
                              "land_use_code": "1001"}])
    rows = [ent_rows(E[17], "小租户", "规上", 2022, 2000, 40, 300, 20, 50, 1, 10),
            ent_rows(E[18], "大租户", "规上", 2022, 5000, 90, 800, 40, 80, 1, 20)]
    tenancy = pd.DataFrame({"parcel_id": ["T1", "T1"], "uscc": [E[17], E[18]], "floor_area_m2": [1000.0, 3000.0]})
    res = run_stages(make_ws(parcels, {"enterprises": pd.DataFrame(rows), "tenancy": tenancy}), ("efficiency",))
    p = res.parcels.set_index("parcel_id").loc["T1"]
    assert p["holder_uscc"] == E[18] and p["holder_name"] == "大租户" and p["tenant_count"] == 2
    assert p["tax_per_mu"] == pytest.approx((40 + 90) / 10.0)     # the pool's figures, as before
    # a holder with data stays the one named
    rows.append(ent_rows(E[16], "空壳公司", "规上", 2022, 100, 1, 10, 2, 1, 1, 0))
    res = run_stages(make_ws(parcels, {"enterprises": pd.DataFrame(rows), "tenancy": tenancy}), ("efficiency",))
    assert res.parcels.set_index("parcel_id").loc["T1", "holder_uscc"] == E[16]


def test_report_on_tenant_only_parcel_names_the_tenant():
    """宗地分析报告 on that parcel: 实际使用企业 is the tenant (marked 承租), the holder stays 土地使用权人."""
    from geo_tenglong.report.parcel_report import render_reports_html

    parcels = parcels_frame([{"parcel_id": "T1", "mu": 10.0, "owner_uscc": E[16], "owner_name": "空壳公司",
                              "land_use_code": "1001"}])
    rows = [ent_rows(E[18], "大租户", "规上", 2022, 5000, 90, 800, 40, 80, 1, 20)]
    tenancy = pd.DataFrame({"parcel_id": ["T1"], "uscc": [E[18]], "floor_area_m2": [3000.0]})
    res = run_stages(make_ws(parcels, {"enterprises": pd.DataFrame(rows), "tenancy": tenancy}), ("efficiency",))
    _html, pages = render_reports_html(res, ["T1"])
    basic = dict(item for row in pages[0]["basic"] for item in row)
    assert basic["实际使用企业"].startswith("大租户(承租企业)")
    assert basic["土地使用权人"] == "空壳公司" and pages[0]["owner"] == "大租户"


def test_t4_values_print_as_fmt_value_prints_them():
    """The TT-T4 messages' values, formatted many at a time, read as fmt_value writes each one."""
    from geo_tenglong.analysis.efficiency import _fmt_many
    from geo_tenglong.findings import fmt_value

    rng = np.random.default_rng(5)
    caps = rng.choice([5.0, 10.0, 30.0, np.nan], 4000)
    values = np.r_[caps[:1000] + rng.uniform(-0.02, 0.02, 1000),            # near the threshold
                   np.round(rng.uniform(0, 40, 1000), 2) + 0.005,           # half a cent off
                   caps[2000:2500],                                         # exactly on it
                   rng.uniform(-5, 200, 1000), np.full(500, np.nan)]
    values[2000] = np.inf
    assert _fmt_many(values, caps, "万元/亩").tolist() == [fmt_value(v, c, 2, "万元/亩") for v, c in zip(values, caps)]
