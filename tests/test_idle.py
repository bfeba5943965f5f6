"""Idle land from contracts (NAT-IDLE-1/2, FEE, BACK, GOV) and from imagery (IDLE-IMG)."""

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import box

from geo_tenglong.analysis.idle import LAYER_COLUMNS, PARCEL_COLUMNS, assess_idle, classify_contracts
from geo_tenglong.pipeline import analyse
from geo_tenglong.rules import load_ruleset
from geo_tenglong.stage import Stage
from geo_tenglong.workspace import load_workspace

AS_OF = dt.date(2023, 6, 30)
TT = load_ruleset("tiantai-2022")


def contracts(rows):
    base = {"parcel_id": None, "agreed_start": None, "actual_start": None, "total_investment": 1000.0,
            "invested": 100.0, "due_area_m2": 3000.0, "developed_area_m2": 0.0, "suspended_since": None,
            "gov_cause": None, "land_price": 500.0}
    df = pd.DataFrame([{**base, **r} for r in rows])
    df["parcel_id"] = [r.get("parcel_id", f"P{i}") for i, r in enumerate(rows)]
    df["source_row"] = np.arange(len(df)) + 2
    return df


def one(row, as_of=AS_OF, ruleset=TT):
    return classify_contracts(contracts([row]), as_of, ruleset).iloc[0]


# ---------------------------------------------------------------- NAT-IDLE-1 and the tiers

@pytest.mark.parametrize("agreed,years,tier,days", [
    ("2022-07-01", 0, 0, 364),    # one day short of a full year
    ("2022-06-30", 1, 1, 365),    # exactly one full year on the as-of date: idle, fee due
    ("2021-07-01", 1, 1, 729),
    ("2021-06-30", 2, 2, 730),    # exactly two full years: recovery candidate
    ("2018-01-15", 5, 2, 1992),
])
def test_unstarted_tiers_by_full_years_from_agreed_start(agreed, years, tier, days):
    r = one({"agreed_start": agreed})
    assert r["rule"] == "NAT-IDLE-1"
    assert r["idle_years"] == years and r["idle_days"] == days
    assert r["idle_tier"] == tier
    assert bool(r["idle"]) == (tier >= 1)
    assert r["fee_wan"] == pytest.approx(100.0 if tier >= 1 else 0.0)   # 20 % of 500 万元
    assert bool(r["recover"]) == (tier == 2)


def test_feb_29_start_completes_its_year_on_feb_28():
    assert one({"agreed_start": "2020-02-29"}, as_of=dt.date(2021, 2, 27))["idle_tier"] == 0
    r = one({"agreed_start": "2020-02-29"}, as_of=dt.date(2021, 2, 28))
    assert r["idle_tier"] == 1 and r["idle_years"] == 1 and r["idle_days"] == 365


def test_agreed_start_in_the_future_is_not_idle():
    r = one({"agreed_start": "2024-01-01"})
    assert r["idle_tier"] == 0 and r["idle_days"] == 0 and not r["idle"]


def test_started_after_the_as_of_date_counts_as_not_started():
    r = one({"agreed_start": "2021-01-01", "actual_start": "2023-09-01"})
    assert r["rule"] == "NAT-IDLE-1" and r["idle_tier"] == 2
    later = one({"agreed_start": "2021-01-01", "actual_start": "2023-09-01"}, as_of=dt.date(2023, 10, 1))
    assert later["rule"] == "NAT-IDLE-2" and later["idle_tier"] == 0


# ---------------------------------------------------------------- NAT-IDLE-2

@pytest.mark.parametrize("developed,invested,suspended,idle,tier", [
    (1000.0, 100.0, "2022-06-30", True, 1),     # area exactly 1/3 but investment 10 % < 25 %
    (1000.0, 250.0, "2020-06-30", False, 0),    # area exactly 1/3 and investment exactly 25 %: not low
    (999.0, 900.0, "2022-06-30", True, 1),      # area just below 1/3
    (2000.0, 249.0, "2022-07-01", False, 0),    # low investment, suspended one day short of a year
    (2000.0, 249.0, "2021-06-30", True, 2),     # … suspended two full years
    (300.0, 50.0, None, False, 0),              # little development but never suspended
    (300.0, 50.0, "2024-01-01", False, 0),      # suspension after the as-of date
])
def test_started_low_development_and_suspension(developed, invested, suspended, idle, tier):
    r = one({"agreed_start": "2019-01-01", "actual_start": "2019-05-01", "developed_area_m2": developed,
             "invested": invested, "suspended_since": suspended})
    assert r["rule"] == "NAT-IDLE-2"
    assert bool(r["idle"]) is idle and r["idle_tier"] == tier


def test_due_area_falls_back_to_the_parcel_area():
    c = contracts([{"agreed_start": "2019-01-01", "actual_start": "2019-05-01", "due_area_m2": None,
                    "developed_area_m2": 900.0, "invested": 900.0, "suspended_since": "2022-01-01"}])
    r = classify_contracts(c, AS_OF, TT, parcel_area_m2=[3000.0]).iloc[0]
    assert r["developed_share"] == pytest.approx(0.3) and r["idle_tier"] == 1


def test_started_without_any_share_is_missing_data():
    r = one({"agreed_start": "2019-01-01", "actual_start": "2019-05-01", "developed_area_m2": None,
             "invested": None, "suspended_since": "2021-01-01"})
    assert not r["idle"] and isinstance(r["missing"], str)


@pytest.mark.parametrize("row", [
    {"agreed_start": "2019-01-01", "actual_start": "2019-13-01"},             # started? unreadable
    {"agreed_start": "去年", "actual_start": None},                             # unstarted, agreed start unreadable
    {"agreed_start": "2019-01-01", "actual_start": "2019-03-01", "developed_area_m2": 10.0,
     "suspended_since": "2021-02-29"},                                          # low, suspension unreadable
])
def test_an_unreadable_deciding_date_gives_no_conclusion(row):
    r = one(row)
    assert not r["idle"] and r["date_invalid"] and isinstance(r["missing"], str)
    assert np.isnan(r["idle_days"]) and np.isnan(r["fee_wan"])


# ---------------------------------------------------------------- government cause, fee

def test_government_cause_keeps_the_tier_but_no_fee_or_recovery():
    r = one({"agreed_start": "2020-01-01", "gov_cause": "规划调整,未按约定交付土地"})
    assert r["idle"] and r["idle_tier"] == 2
    assert r["gov_cause"] == "规划调整,未按约定交付土地"
    assert r["fee_wan"] == 0 and not r["recover"]


@pytest.mark.parametrize("text", ["无", " ", "否", None])
def test_none_texts_are_no_government_cause(text):
    r = one({"agreed_start": "2020-01-01", "gov_cause": text})
    assert pd.isna(r["gov_cause"]) and r["fee_wan"] == 100 and r["recover"]


def test_fee_share_comes_from_the_ruleset(tmp_path):
    text = TT.path.read_text(encoding="utf-8").replace("fee_share = 0.20", "fee_share = 0.15")
    path = tmp_path / "custom.toml"
    path.write_text(text, encoding="utf-8")
    r = one({"agreed_start": "2021-06-30", "land_price": 1234.5}, ruleset=load_ruleset(path))
    assert r["fee_wan"] == pytest.approx(185.175)


# ---------------------------------------------------------------- the stage on a workspace

X0, Y0 = 40_597_000.0, 3_230_000.0
PIX = 2.0


def _parcel(i):
    return box(X0 + 60 * i, Y0, X0 + 60 * i + 50, Y0 + 40)   # 2000 m² = 3 亩


def _write_raster(path, classes_by_parcel, crs="EPSG:4528"):
    width, height = int(60 * 10 / PIX), int(60 / PIX)
    arr = np.full((height, width), 3, dtype="uint8")           # vegetation between parcels
    for i, cls in classes_by_parcel.items():
        c0 = int(60 * i / PIX)
        arr[int(10 / PIX):int(50 / PIX), c0:c0 + int(50 / PIX)] = cls
    profile = dict(driver="GTiff", width=width, height=height, count=1, dtype="uint8", crs=crs, nodata=0,
                   transform=from_origin(X0, Y0 + 50, PIX, PIX), tiled=True, blockxsize=256, blockysize=256,
                   compress="deflate")
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(arr, 1)


@pytest.fixture
def workspace(tmp_path):
    ids = [f"331023101001GB{i:05d}" for i in range(8)]
    parcels = gpd.GeoDataFrame({"宗地代码": ids, "status": ["未动工", "未动工", "在建", "已竣工投产", "未动工",
                                                          "已竣工投产", "未动工", "在建"]},
                               geometry=[_parcel(i) for i in range(8)], crs="EPSG:4528")
    parcels.to_file(tmp_path / "county.gpkg", layer="parcels")
    gpd.GeoDataFrame({"building_id": ["B1"]}, geometry=[box(X0 + 185, Y0 + 5, X0 + 225, Y0 + 35)],
                     crs="EPSG:4528").to_file(tmp_path / "county.gpkg", layer="buildings")
    rows = [
        # parcel 0: not started, 2 full years past the agreed start (date typed with slashes)
        {"宗地代码": ids[0], "约定动工日期": "2021/6/30", "实际动工日期": None, "出让价款(万元)": 800},
        # parcel 1: not started, 1 full year (Chinese date), government cause
        {"宗地代码": ids[1], "约定动工日期": "2022年6月1日", "政府原因": "文物勘探未完成", "出让价款(万元)": 300},
        # parcel 2: started, 20 % invested, suspended 1 year (Excel serial, real datetime cell)
        {"宗地代码": ids[2], "约定动工日期": dt.datetime(2020, 3, 1), "实际动工日期": "2020.5.1",
         "总投资(万元)": 5000, "已完成投资(万元)": 1000, "应开发面积": 2000, "已开发面积": 1500,
         "停工日期": 44700, "出让价款(万元)": 600},
        # parcel 3: started and built (imagery agrees)
        {"宗地代码": ids[3], "约定动工日期": "2019-01-01", "实际动工日期": "2019-03-01", "总投资(万元)": 5000,
         "已完成投资(万元)": 5000, "应开发面积": 2000, "已开发面积": 2000, "出让价款(万元)": 600},
        # parcel 4: unreadable agreed start
        {"宗地代码": ids[4], "约定动工日期": "2021-02-30", "出让价款(万元)": 100},
        # parcel 7: contract says started, the image shows bare land, no footprints
        {"宗地代码": ids[7], "约定动工日期": "2022-01-01", "实际动工日期": "2022-03-01", "总投资(万元)": 1000,
         "已完成投资(万元)": 900, "应开发面积": 2000, "已开发面积": 1800, "出让价款(万元)": 200},
        # a contract for a parcel that is not in the layer
        {"宗地代码": "331023101001GB99999", "约定动工日期": "2020-01-01"},
    ]
    pd.DataFrame(rows).to_excel(tmp_path / "contracts.xlsx", index=False)
    # parcel 5: no contract, bare on both dates (suspected idle); parcel 6: 未动工 without contract
    _write_raster(tmp_path / "lc_2021.tif", {0: 2, 1: 2, 2: 1, 3: 1, 4: 2, 5: 2, 6: 3, 7: 2})
    _write_raster(tmp_path / "lc_2023.tif", {0: 2, 1: 2, 2: 2, 3: 1, 4: 2, 5: 2, 6: 3, 7: 2})
    (tmp_path / "workspace.toml").write_text(f"""
[workspace]
county = "天台县"
admin_code = "331023"
ruleset = "tiantai-2022"
as_of = {AS_OF.isoformat()}
crs = "EPSG:4528"

[layers]
parcels = {{ path = "county.gpkg", layer = "parcels" }}
buildings = {{ path = "county.gpkg", layer = "buildings" }}

[tables]
contracts = "contracts.xlsx"

[rasters]
landcover = [ {{ path = "lc_2023.tif", date = 2023-04-20 }}, {{ path = "lc_2021.tif", date = 2021-10-15 }} ]
landcover_classes = {{ 1 = "built", 2 = "bare", 3 = "vegetation", 4 = "water" }}
""", encoding="utf-8")
    return tmp_path, ids


def run_idle(path, **kw):
    ws = load_workspace(path, **kw)
    return ws, analyse(ws, stages=[Stage("idle", "闲置土地认定", assess_idle)])


def test_stage_on_a_workspace(workspace):
    path, ids = workspace
    ws, res = run_idle(path)
    p = res.parcels.set_index("parcel_id")
    assert set(PARCEL_COLUMNS) <= set(p.columns)
    assert p.loc[ids[0], "idle_rule"] == "NAT-IDLE-1" and p.loc[ids[0], "idle_tier"] == 2
    assert p.loc[ids[0], "idle_fee_wan"] == pytest.approx(160.0) and p.loc[ids[0], "idle_days"] == 730
    assert p.loc[ids[1], "idle_tier"] == 1 and p.loc[ids[1], "idle_gov_cause"] == "文物勘探未完成"
    assert p.loc[ids[1], "idle_fee_wan"] == 0
    assert p.loc[ids[2], "idle_rule"] == "NAT-IDLE-2" and p.loc[ids[2], "idle_tier"] == 1   # 44700 = 2022-05-19
    assert p.loc[ids[2], "idle_fee_wan"] == pytest.approx(120.0)
    assert p.loc[ids[3], "idle_tier"] == 0 and pd.isna(p.loc[ids[3], "idle_rule"])
    # imagery shares, first and last by date (the toml lists them out of order)
    assert p.loc[ids[2], "built_share_first"] == pytest.approx(1.0)
    assert p.loc[ids[2], "built_share_last"] == pytest.approx(0.0)
    assert p.loc[ids[2], "bare_share_last"] == pytest.approx(1.0)
    assert p.loc[ids[0], "built_share_last"] == pytest.approx(0.0)
    f = res.findings
    def has(pid, rule, status):
        return ((f["parcel_id"] == pid) & (f["rule_id"] == rule) & (f["status"] == status)).any()
    assert has(ids[0], "NAT-IDLE-1", "fail") and has(ids[0], "NAT-IDLE-FEE", "fail") and has(ids[0], "NAT-IDLE-BACK", "fail")
    assert has(ids[1], "NAT-IDLE-1", "warn") and has(ids[1], "NAT-IDLE-GOV", "warn")
    assert not has(ids[1], "NAT-IDLE-FEE", "fail") and not has(ids[1], "NAT-IDLE-BACK", "fail")
    assert has(ids[2], "NAT-IDLE-2", "fail") and not has(ids[2], "NAT-IDLE-BACK", "fail")
    assert has(ids[3], "NAT-IDLE-2", "pass")
    bad = f[(f["parcel_id"] == ids[4]) & (f["status"] == "missing_data")]
    assert bad["message"].str.contains("第6行").any() and bad["message"].str.contains("2021-02-30").any()
    assert has("331023101001GB99999", "NAT-IDLE-1", "missing_data")
    assert has(ids[5], "IDLE-IMG", "warn")                 # no contract, bare on both dates
    assert has(ids[6], "NAT-IDLE-1", "missing_data")       # 未动工 without a contract
    assert has(ids[7], "IDLE-IMG", "warn")                 # started per contract, bare in the image
    assert not has(ids[3], "IDLE-IMG", "warn")
    img7 = f[(f["parcel_id"] == ids[7]) & (f["rule_id"] == "IDLE-IMG")]["message"].iloc[0]
    assert "2023-04-20" in img7 and "建筑物图层占地0.0%,与影像一致" in img7
    layer = res.layers["idle_land"]
    assert list(layer.columns) == [*LAYER_COLUMNS, "geometry"]
    lay = layer.set_index("parcel_id")
    assert {ids[0], ids[1], ids[2], ids[5], ids[7]} <= set(lay.index)
    assert ids[3] not in lay.index
    assert lay.loc[ids[5], "idle_rule"] == "IDLE-IMG" and pd.isna(lay.loc[ids[5], "idle_tier"])
    assert lay.loc[ids[0], "recover_candidate"] and not lay.loc[ids[1], "recover_candidate"]
    assert lay.loc[ids[2], "built_change"] == pytest.approx(-1.0)
    s = res.summary["idle"]
    assert s["by_rule_tier"] == {"NAT-IDLE-1/tier1": 1, "NAT-IDLE-1/tier2": 1, "NAT-IDLE-2/tier1": 1,
                                 "NAT-IDLE-2/tier2": 0}
    assert s["fee_total_wan"] == pytest.approx(280.0) and s["gov_cause"] == 1


def test_as_of_override_moves_the_clock(workspace):
    path, ids = workspace
    _, res = run_idle(path, as_of="2022-06-30")
    p = res.parcels.set_index("parcel_id")
    assert p.loc[ids[0], "idle_tier"] == 1 and p.loc[ids[1], "idle_tier"] == 0


def test_results_write_and_read_back(workspace, tmp_path_factory):
    path, _ = workspace
    _, res = run_idle(path)
    out = tmp_path_factory.mktemp("out")
    res.write(out)
    from geo_tenglong.results import Results
    back = Results.read(out)
    assert "idle_land" in back.layers and len(back.layers["idle_land"]) == len(res.layers["idle_land"])


def test_missing_contracts_and_rasters_are_missing_data(workspace):
    path, ids = workspace
    toml = (path / "workspace.toml").read_text(encoding="utf-8")
    toml = toml.split("[tables]")[0]
    (path / "workspace.toml").write_text(toml, encoding="utf-8")
    _, res = run_idle(path)
    f = res.findings
    md = f[f["status"] == "missing_data"]
    assert {"NAT-IDLE-1", "NAT-IDLE-2", "IDLE-IMG"} <= set(md["rule_id"])
    assert (md["parcel_id"] == "331023").any()
    p = res.parcels
    assert (p["idle_tier"] == 0).all() and p["built_share_last"].isna().all()


def test_parcel_outside_the_raster_is_missing_data(workspace):
    path, ids = workspace
    parcels = gpd.read_file(path / "county.gpkg", layer="parcels")
    parcels.loc[len(parcels)] = {"宗地代码": "331023101001GB00100", "status": "已竣工投产",
                                 "geometry": box(X0 + 5000, Y0, X0 + 5050, Y0 + 40)}
    parcels.to_file(path / "county.gpkg", layer="parcels", mode="w")
    _, res = run_idle(path)
    f = res.findings
    hit = f[(f["parcel_id"] == "331023101001GB00100") & (f["rule_id"] == "IDLE-IMG")]
    assert (hit["status"] == "missing_data").all() and len(hit) == 1
    assert "不在" in hit["message"].iloc[0]


def test_raster_in_another_crs(workspace):
    """A land-cover raster drawn natively in UTM 51N: the parcels (EPSG:4528) are projected to it."""
    from rasterio.features import rasterize

    path, ids = workspace
    parcels = gpd.read_file(path / "county.gpkg", layer="parcels")
    cls = {0: 2, 1: 2, 2: 2, 3: 1, 4: 2, 5: 2, 6: 3, 7: 2}
    # class blocks 4 m wider than each parcel, drawn in UTM: every parcel lies wholly in its block
    blocks = parcels.geometry.buffer(4, join_style="mitre").to_crs("EPSG:32651")
    left, bottom, right, top = blocks.total_bounds
    transform = from_origin(left - 10, top + 10, PIX, PIX)
    width, height = int((right - left + 20) / PIX), int((top - bottom + 20) / PIX)
    arr = rasterize([(g, cls[i]) for i, g in enumerate(blocks)], out_shape=(height, width), transform=transform,
                    fill=3, dtype="uint8")
    with rasterio.open(path / "lc_utm.tif", "w", driver="GTiff", width=width, height=height, count=1,
                       dtype="uint8", crs="EPSG:32651", nodata=0, transform=transform) as ds:
        ds.write(arr, 1)
    toml = (path / "workspace.toml").read_text(encoding="utf-8").replace("lc_2023.tif", "lc_utm.tif")
    (path / "workspace.toml").write_text(toml, encoding="utf-8")
    _, res = run_idle(path)
    p = res.parcels.set_index("parcel_id")
    assert p.loc[ids[3], "built_share_last"] == pytest.approx(1.0)
    assert p.loc[ids[2], "bare_share_last"] == pytest.approx(1.0)
    assert p.loc[ids[6], "built_share_last"] == pytest.approx(0.0)


def test_the_sample_reference_agrees_on_this_workspace(workspace):
    """The plain-datetime reference used on the sample (test_idle_sample.py) agrees here too."""
    from test_idle_sample import reference

    path, ids = workspace
    ws, res = run_idle(path)
    p = res.parcels.set_index("parcel_id")
    checked = 0
    for row in ws.table("contracts").to_dict("records"):
        if row["parcel_id"] not in p.index:
            continue
        want = reference(row, ws.as_of, float(p.loc[row["parcel_id"], "area_m2"]))
        if want is None:
            continue
        assert p.loc[row["parcel_id"], "idle_tier"] == want[0]
        if want[0]:
            assert p.loc[row["parcel_id"], "idle_fee_wan"] == pytest.approx(want[1])
        checked += 1
    assert checked == 5   # the row with 2021-02-30 has no verdict


def test_deqing_cites_its_own_clause(workspace):
    path, ids = workspace
    _, res = run_idle(path, ruleset="deqing-2021")
    f = res.findings
    clauses = set(f.loc[f["rule_id"].str.startswith("NAT-IDLE") & (f["status"] != "not_applicable"), "clause"])
    assert clauses and all("三(一)3" in c and "闲置土地处置办法" in c for c in clauses)
    assert res.parcels.set_index("parcel_id").loc[ids[0], "idle_tier"] == 2
