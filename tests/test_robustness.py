"""No missing value crashes a stage (issue 14, point 1).

A small workspace holding every layer and table is built once; hypothesis then drops random
optional layers and tables and blanks random cells, and the whole analysis must finish. Where a
value is missing the findings say ``missing_data``: checked for the cases a planner meets most
(no enterprise table, no buildings layer).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo_tenglong.errors import InputError
from geo_tenglong.findings import MISSING_DATA
from geo_tenglong.pipeline import analyse
from geo_tenglong.uscc import check_char
from geo_tenglong.workspace import load_workspace

from conftest import ZONE40, box, write_workspace


def _code(body: str) -> str:
    body17 = ("91331023" + body).ljust(17, "0")[:17]
    return body17 + check_char(body17)


E = {k: _code(f"MA{k}AAAA") for k in ("E1", "E2", "E3", "E4", "E9")}
P = {k: f"331023101001GB0000{i}" for i, k in enumerate(("P1", "P2", "P3", "P4", "P5", "P6"), start=1)}


def base_layers() -> dict[str, gpd.GeoDataFrame]:
    """Every layer of a small county: six parcels in a row, 100 m × 100 m (15 亩) each."""
    def gdf(data, geoms):
        return gpd.GeoDataFrame(data, geometry=list(geoms), crs=ZONE40)

    parcels = gdf({
        "parcel_id": list(P.values()),
        "owner_uscc": [E["E1"], E["E2"], E["E9"], E["E4"], E["E1"], None],
        "owner_name": ["甲公司", "乙公司", "丙公司", "丁公司", "甲公司", None],
        "land_use_code": ["1001", "1001", "1001", "1001", "1001", "0701"],
        "township": ["始丰街道"] * 3 + ["平桥镇"] * 3,
        "park_id": ["K1", "K1", "K1", None, None, None],
        "rights_nature": ["国有"] * 6, "rights_type": ["出让"] * 5 + ["划拨"],
        "term_end": ["2055-12-31", "2056-06-30", "2060-01-01", "2062-01-01", "2050-01-01", None],
        "contract_far": [1.2, None, 1.5, None, None, None],
        "plan_conditions": [True, True, True, False, False, False],
        "standard_land": [True, False, False, False, False, False],
        "status": ["已竣工投产", "已竣工投产", "已竣工投产", "未动工", "停产", "已竣工投产"],
        "split_from": [None] * 6, "merged_from": [None] * 6,
        "industrial_real_estate": [False] * 6,
    }, [box(100 * i, 0, 100 * i + 100, 100) for i in range(6)])
    buildings = gdf({
        "building_id": ["B1", "B2", "B3", "B4", "B5", "B6", "B7"],
        "parcel_id": [P["P1"], P["P1"], P["P2"], P["P3"], P["P5"], P["P5"], P["P6"]],
        "floors": [3, 1, 2, 4, 1, 1, 2], "height_m": [15.0, 4.0, 9.0, 26.0, 30.0, 12.0, 8.0],
        "storey_height_m": [5.0, 4.0, 4.5, 6.5, 30.0, 12.0, 4.0],
        "use": ["生产", "行政办公", "生产", "生产", "构筑物", "生产", "仓储"],
        "completed": [True] * 7, "completed_year": [2010, 2010, 2015, 2019, 2012, 2012, 2000],
    }, [box(10, 10, 60, 60), box(70, 10, 90, 30), box(110, 10, 170, 80), box(210, 10, 260, 60),
        box(410, 10, 415, 15), box(420, 20, 480, 70), box(510, 10, 560, 60)])
    parks = gdf({"park_id": ["K1"], "name": ["天台经济开发区"], "kind": ["经济开发区"],
                 "standard_land_rules": [True]}, [box(-5, -5, 305, 105)])
    zoning = gdf({"zone_id": ["Z1", "Z2"], "land_use_code": ["M1", "R2"], "land_use_name": ["一类工业", "二类居住"]},
                 [box(-50, -50, 300, 200), box(300, -50, 700, 200)])
    renovations = gdf({
        "renovation_id": ["R1", "R2", "R3"], "parcel_id": [P["P1"], P["P3"], P["P2"]],
        "uscc": [E["E1"], None, E["E2"]],
        "floor_area_after_m2": [9000.0, 12000.0, 8000.0], "renovation_floor_area_m2": [2000.0, 3000.0, 1000.0],
        "expansion_floor_area_m2": [1500.0, 0.0, 2000.0], "accepted": [True, False, True],
        "equipment_investment": [600.0, 2500.0, 1200.0], "total_investment": [1500.0, 3000.0, 2000.0],
        "leased_plant_m2": [0.0, 2000.0, 1000.0],
    }, [box(0, 100, 50, 120), shapely.MultiPolygon(), box(100, 100, 130, 110)])
    split = gdf({"proposal_id": ["FG1", "FG1"], "parcel_id": [P["P2"], P["P2"]], "part_no": [1, 2],
                 "buyer_uscc": [E["E2"], E["E3"]]}, [box(100, 0, 150, 100), box(150, 0, 200, 100)])
    return {
        "parcels": parcels, "buildings": buildings, "parks": parks, "zoning": zoning,
        "renovations": renovations, "split_proposals": split,
        "urban_boundary": gdf({"id": ["U1"]}, [box(-100, -100, 800, 300)]),
        "basic_farmland": gdf({"id": ["F1"]}, [box(0, 150, 50, 200)]),
        "eco_redline": gdf({"id": ["G1"]}, [box(600, 150, 650, 200)]),
        "roads": gdf({"road_id": ["L1"], "name": ["始丰路"], "width_m": [20.0]}, [box(-50, -30, 700, -10)]),
        "water": gdf({"water_id": ["W1"], "name": ["始丰溪"]}, [box(-50, 210, 700, 240)]),
    }


def base_tables() -> dict[str, pd.DataFrame]:
    """Every table: three enterprises over three years, a tenant, contracts, projects …"""
    rows = []
    for year in (2021, 2022, 2023):
        for k, rev, tax in (("E1", 12000.0, 120.0), ("E2", 3000.0, 40.0), ("E3", 800.0, 6.0)):
            rows.append({"uscc": E[k], "name": f"{k}公司", "year": year, "scale": "规上" if k != "E3" else "规下",
                         "revenue": rev, "tax": tax + year % 10, "value_added": rev / 5, "employees": 50,
                         "energy_tce": 300.0, "emissions_t": 2.0, "rd_expense": rev / 40, "industry": "通用设备制造业"})
    return {
        "enterprises": pd.DataFrame(rows),
        "tenancy": pd.DataFrame({"parcel_id": [P["P2"]], "uscc": [E["E3"]], "floor_area_m2": [500.0]}),
        "contracts": pd.DataFrame({
            "contract_id": ["C1", "C4", "C5"], "parcel_id": [P["P1"], P["P4"], P["P5"]], "kind": ["出让"] * 3,
            "signed_date": ["2009-01-01", "2019-05-01", "2012-01-01"],
            "agreed_start": ["2009-06-01", "2020-01-01", "2012-06-01"],
            "agreed_completion": ["2011-06-01", "2022-01-01", "2014-06-01"],
            "actual_start": ["2009-07-01", None, "2012-07-01"],
            "total_investment": [5000.0, 6000.0, 3000.0], "invested": [5000.0, 0.0, 500.0],
            "due_area_m2": [10000.0, 10000.0, 10000.0], "developed_area_m2": [10000.0, 0.0, 2000.0],
            "suspended_since": [None, None, "2020-01-01"], "gov_cause": [None, None, None],
            "land_price": [300.0, 600.0, 250.0]}),
        "projects": pd.DataFrame({
            "project_id": ["XM1", "XM2"], "uscc": [E["E1"], E["E2"]], "parcel_id": [P["P1"], P["P2"]],
            "name": ["甲技改项目", "乙技改项目"], "key_project": [True, True], "total_investment": [12000.0, 3000.0],
            "under_construction": [True, False], "built_year": [None, 2019], "energy_tce": [1500.0, 6000.0]}),
        "merge_proposals": pd.DataFrame({"proposal_id": ["HB1"], "parcel_ids": [f"{P['P4']};{P['P5']}"],
                                         "buyer_uscc": [E["E1"]]}),
        "land_supply": pd.DataFrame({"year": [2021, 2021, 2022], "use": ["工业", "住宅", "工业"],
                                     "area_mu": [300.0, 500.0, 400.0]}),
    }


LAYERS = base_layers()
TABLES = base_tables()
OPTIONAL = sorted(set(LAYERS) - {"parcels"}) + sorted(TABLES)
#: (frame name, row, column) of every cell a bureau could leave blank (ids that the loader
#: requires stay, so the workspace loads).
REQUIRED = {"parcels": {"parcel_id"}, "renovations": {"renovation_id", "parcel_id"},
            "split_proposals": {"proposal_id", "parcel_id"}, "parks": {"park_id"},
            "enterprises": {"uscc", "year"}, "tenancy": {"parcel_id", "uscc"}, "contracts": {"parcel_id"},
            "projects": {"uscc"}, "merge_proposals": {"proposal_id", "parcel_ids"},
            "land_supply": {"year", "use", "area_mu"}}
CELLS = [(name, row, col) for name, frame in {**LAYERS, **TABLES}.items() for col in frame.columns
         if col != "geometry" and col not in REQUIRED.get(name, ()) for row in range(len(frame))]
#: (frame name, column) of every optional column.
COLUMNS = sorted({(name, col) for name, _row, col in CELLS})
#: Geometries that may be empty (a feature drawn without a shape).
GEOMETRIES = [(name, row, "geometry") for name, frame in LAYERS.items() for row in range(len(frame))]


def write(root: Path, drop=(), blank=(), ruleset: str = "tiantai-2022", drop_columns=()) -> Path:
    """Write the base workspace under ``root`` without the ``drop`` layers/tables, with the
    ``blank`` cells emptied and the ``drop_columns`` left out."""
    layers = {k: v.copy() for k, v in LAYERS.items() if k not in drop}
    tables = {k: v.copy() for k, v in TABLES.items() if k not in drop}
    for name, row, col in blank:
        frame = layers.get(name, tables.get(name))
        if frame is not None and col == "geometry":
            frame.loc[frame.index[row], "geometry"] = None
        elif frame is not None:
            frame[col] = frame[col].astype(object)
            frame.loc[frame.index[row], col] = None
    for name, col in drop_columns:
        frame = layers.get(name, tables.get(name))
        if frame is not None and col in frame.columns:
            del frame[col]
    root.mkdir(parents=True, exist_ok=True)
    entries = []
    for name, frame in tables.items():
        frame.to_csv(root / f"{name}.csv", index=False)
        entries.append(f'{name} = "{name}.csv"')
    parcels = layers.pop("parcels")
    return write_workspace(root, parcels, extra_toml="[tables]\n" + "\n".join(entries) + "\n", ruleset=ruleset,
                           layers=layers)


def run(drop=(), blank=(), ruleset: str = "tiantai-2022", drop_columns=()):
    """Load and analyse the base workspace changed as :func:`write` says (``None``: refused by
    the loader with an :class:`InputError`, which is a one-line reason, not a crash)."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            ws = load_workspace(write(Path(tmp) / "ws", drop, blank, ruleset, drop_columns))
        except InputError:
            return None  # refused at the door with a one-line reason: also not a crash
        return analyse(ws)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drop=st.sets(st.sampled_from(OPTIONAL), max_size=6),
       blank=st.lists(st.sampled_from(CELLS + GEOMETRIES), max_size=12, unique=True),
       drop_columns=st.lists(st.sampled_from(COLUMNS), max_size=3, unique=True),
       ruleset=st.sampled_from(["tiantai-2022", "tiantai-2022", "deqing-2021"]))
def test_no_missing_value_crashes_a_stage(drop, blank, drop_columns, ruleset):
    results = run(sorted(drop), blank, ruleset, drop_columns)
    if results is None:
        return
    f = results.findings
    assert f["status"].notna().all() and f["rule_id"].notna().all()
    assert not ((f["status"] == MISSING_DATA) & f["message"].isna()).any()
    p = results.parcels
    # a value is never reported as measured where it cannot have been (missing, never 0)
    if "buildings" in drop:
        assert p["far"].isna().all() and p["building_coverage"].isna().all()
    if "enterprises" in drop:
        assert p["tax_per_mu"].isna().all() and p["eval_class"].isna().all()


def test_full_base_workspace_runs():
    """The base workspace itself runs under both rulesets (the property test's starting point)."""
    for rs in ("tiantai-2022", "deqing-2021"):
        assert run(ruleset=rs) is not None


def test_missing_tables_and_layers_say_missing_data():
    """No enterprise table and no buildings layer: every rule that needs them says missing_data,
    the 亩均 and intensity figures stay empty, and a 零增地技改 plan on the parcels still runs."""
    results = run(drop=("enterprises", "buildings"))
    f = results.findings
    p = results.parcels.set_index("parcel_id")
    assert p[["tax_per_mu", "va_per_mu", "far", "building_coverage", "floor_area_m2"]].isna().all().all()

    def statuses(rule):
        return set(f.loc[f["rule_id"] == rule, "status"])

    assert statuses("TT-TECH") == {MISSING_DATA}          # the plans' classes are unknown
    assert statuses("NAT-COVER") == {MISSING_DATA}
    assert statuses("TT-FAR-DEFAULT") == {MISSING_DATA}
    assert MISSING_DATA in statuses("TT-TRANSFER")         # the buyers' classes
    keep = f[f["rule_id"] == "TT-KEEP"]
    assert len(keep) and set(keep["status"]) <= {MISSING_DATA}


def test_holder_without_class_on_renovation_plan():
    """Issue 14.1's crash: the plan R2 is on P3, whose holder E9 has no row in the enterprise table."""
    results = run()
    f = results.findings.set_index(["rule_id", "parcel_id"])
    assert f.loc[("TT-TECH", "R2"), "status"] == MISSING_DATA
    assert "亩均评价" in f.loc[("TT-TECH", "R2"), "message"]


def test_parks_without_names_run_under_deqing():
    """Found by the property test: a parks layer without ``name`` broke DQ-PARK's declared table."""
    results = run(drop_columns=[("parks", "name")], ruleset="deqing-2021")
    assert results is not None and "name" in results.layer("old_parks").columns
