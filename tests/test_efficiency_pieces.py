"""The efficiency stage on parts of the parcels: pieces of any split, reduced, give the whole's result.

:func:`~geo_tenglong.analysis.efficiency.efficiency_piece` runs on each part (as a dask partition
sees it: its own parcels first, then the others, tenancy rows routed by the parcel they name, rows
naming none to the first part); :func:`~geo_tenglong.analysis.efficiency.assess_efficiency` reduces
the pieces. Every table is compared with the one-piece result in the canonical form of
``scripts/compare_results.py``.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo_tenglong.analysis.efficiency import assess_efficiency, efficiency_piece
from geo_tenglong.pipeline import base_parcels
from geo_tenglong.results import Results
from geo_tenglong.workspace import load_workspace

from test_efficiency import E, fixture_parcels, fixture_tables
from test_efficiency_support import make_ws

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("compare_results", REPO / "scripts" / "compare_results.py")
assert _spec and _spec.loader
compare_results = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compare_results)


def _results(ws) -> Results:
    return Results(info={}, parcels=base_parcels(ws))


def split_pieces(ws, results: Results, parts: list[np.ndarray]) -> list:
    """:func:`efficiency_piece` of each part of the parcels, each seeing every parcel (own ones first)."""
    parcels = results.parcels
    ids = pd.Index(parcels["parcel_id"].astype(str))
    part_of = np.zeros(len(parcels), dtype=np.int64)
    for k, rows in enumerate(parts):
        part_of[rows] = k
    tenancy = ws.table("tenancy")
    owner = None if tenancy is None else ids.get_indexer(tenancy["parcel_id"].astype("string").str.strip().fillna(""))
    pieces = []
    for k, own in enumerate(parts):
        rows = np.r_[own, np.setdiff1d(np.arange(len(parcels)), own)]
        tables = dict(ws.tables)
        if tenancy is not None and owner is not None:
            tables["tenancy"] = tenancy.iloc[np.flatnonzero(np.where(owner >= 0, part_of[np.maximum(owner, 0)], 0) == k)]
        part_ws = dataclasses.replace(ws, tables=tables)
        part = Results(info=results.info, parcels=parcels.iloc[rows])
        pieces.append(efficiency_piece(part_ws, part, len(own), rows))
    return pieces


def assert_same(whole, reduced) -> None:
    """Findings, parcel columns, tables, metrics and summary agree (canonical form)."""
    tables_a = {"findings": whole.findings, "columns": whole.parcel_columns.reset_index(), **whole.layers}
    tables_b = {"findings": reduced.findings, "columns": reduced.parcel_columns.reset_index(), **reduced.layers}
    assert sorted(tables_a) == sorted(tables_b)
    for name, frame in tables_a.items():
        a = compare_results._canonical(pd.DataFrame(frame))
        b = compare_results._canonical(pd.DataFrame(tables_b[name]))
        assert list(a.columns) == list(b.columns), name
        assert a.equals(b), f"{name} differs"
    assert whole.metrics == pytest.approx(reduced.metrics)
    assert whole.summary == reduced.summary


def _tangled_tables() -> dict:
    """The fixture's tables with tenancy rows that tie units across parcels: a tenant of P2 also on
    P7 (no valid holder), a holder (E[10]) renting from E[1], a duplicate, an invalid code, an
    unknown parcel."""
    tables = fixture_tables()
    tables["tenancy"] = pd.DataFrame({"parcel_id": ["P2", "P7", "P1", "P99", "P1", " P7", "P8"],
                                      "uscc": [E[3], E[3], E[10], E[4], E[10], E[12], "BAD"],
                                      "floor_area_m2": [2000.0, 500.0, 800.0, 100.0, 800.0, np.nan, 10.0]})
    return tables


def _buildings(parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A building on each parcel (named or unnamed), so that apportion has floor areas."""
    geoms = parcels.geometry.buffer(-5.0)
    return gpd.GeoDataFrame({"building_id": [f"B{i}" for i in range(len(parcels))],
                             "parcel_id": [p if i % 2 else None for i, p in enumerate(parcels["parcel_id"])],
                             "floors": 3, "height_m": 12.0}, geometry=geoms.to_numpy(), crs=parcels.crs)


def _apportion(ws):
    spec = dataclasses.replace(ws.ruleset.get("MJ-EVAL"), tenants="apportion")
    ws.ruleset = dataclasses.replace(ws.ruleset, rules={**ws.ruleset.rules, "MJ-EVAL": spec})
    return ws


def _splits(n: int, seed: int = 3) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    out = [[np.arange(n)], [np.array([i]) for i in range(n)], [np.zeros(0, dtype=np.int64), np.arange(n)]]
    for k in (2, 3):
        label = rng.integers(0, k, n)
        label[:k] = np.arange(k)               # no empty part
        out.append([np.flatnonzero(label == j) for j in range(k)])
    return out


@pytest.mark.parametrize("tenants", ["pool", "apportion"])
def test_pieces_of_any_split_give_the_whole(tenants):
    parcels = fixture_parcels()
    ws = make_ws(parcels, _tangled_tables(), layers={"buildings": _buildings(parcels)})
    if tenants == "apportion":
        ws = _apportion(ws)
    results = _results(ws)
    whole = assess_efficiency(ws, results)
    assert len(whole.layers["join_issues"]) and len(whole.findings)
    for parts in _splits(len(parcels)):
        assert_same(whole, assess_efficiency(ws, results, split_pieces(ws, results, parts)))


def test_enterprise_across_pieces_has_all_its_land():
    """己公司 (E[6]) holds P5 (30 亩) and P6 (10 亩); in two pieces its land and 亩均 are still the whole's."""
    parcels = fixture_parcels()
    ws = make_ws(parcels, fixture_tables())
    results = _results(ws)
    at = {p: i for i, p in enumerate(parcels["parcel_id"])}
    first = np.array([at["P5"], at["P1"], at["P2"]])
    parts = [first, np.setdiff1d(np.arange(len(parcels)), first)]
    pieces = split_pieces(ws, results, parts)
    assert all(E[6] in set(p.codes["code"]) for p in pieces)        # each piece holds a part of its land
    reduced = assess_efficiency(ws, results, pieces)
    ev = reduced.layers["enterprise_eval"].set_index(["uscc", "year"])
    assert ev.loc[(E[6], 2022), "land_mu"] == pytest.approx(40.0)
    assert ev.loc[(E[6], 2022), "tax_per_mu"] == pytest.approx(400 / 40.0)
    assert ev.loc[(E[6], 2022), "parcel_ids"] == "P5;P6"
    assert_same(assess_efficiency(ws, results), reduced)


def test_sample_county_in_pieces(sample_dir):
    """The sample county (一地多企, projects, planted faults) cut into Hilbert-like runs of rows."""
    ws = load_workspace(sample_dir)
    results = _results(ws)
    whole = assess_efficiency(ws, results)
    n = len(results.parcels)
    order = np.random.default_rng(11).permutation(n)
    for k in (2, 5):
        parts = [np.sort(p) for p in np.array_split(order, k)]
        assert_same(whole, assess_efficiency(ws, results, split_pieces(ws, results, parts)))
