"""Building a county (every step in order) and writing its workspace."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from .attributes import base_parcel_attributes, set_zoning
from .buildings import make_buildings, realistic_buildings
from .constraints import constraint_layers
from .contracts import (
    make_contracts,
    make_land_supply,
    make_projects,
    make_proposals,
    make_renovations,
    make_tenancy_floor_areas,
)
from .county import County
from .enterprises import make_enterprises
from .ids import assign_ids
from .jzd import write_jzd
from .layout import build_layout
from .manifest import build_manifest, workspace_toml
from .planted.corners import plant_enclave, plant_gaps, plant_quadrant_block, plant_renovation_plots
from .planted.roles import plant_roles
from .planted.splits import plant_merges, plant_splits
from .profiles import Profile
from .rasters import write_rasters
from .tables import (
    CONTRACT_HEADERS,
    ENTERPRISE_HEADERS,
    MERGE_HEADERS,
    PROJECT_HEADERS,
    SUPPLY_HEADERS,
    TENANCY_HEADERS,
    contract_cells,
    enterprise_table,
)
from .writers import (
    buildings_gdf,
    parcels_gdf,
    renovations_gdf,
    splits_gdf,
    write_csv,
    write_gpkg_layers,
    write_shapefile_gbk,
    write_xlsx,
)


def build_county(profile: Profile) -> County:
    """Everything but the writing."""
    rng = np.random.default_rng(profile.seed)
    county = County(profile, rng, build_layout(rng, profile))
    county.rng_admin = np.random.default_rng([profile.seed, 1])     # admin building sizes only
    quads = plant_quadrant_block(county)
    plant_enclave(county)
    plant_gaps(county)
    plant_renovation_plots(county)
    plant_splits(county)
    plant_merges(county, quads)
    assign_ids(county)
    set_zoning(county)
    base_parcel_attributes(county)
    plant_roles(county)
    make_enterprises(county)
    make_buildings(county)
    make_contracts(county)
    make_tenancy_floor_areas(county)
    make_renovations(county)
    realistic_buildings(county)
    make_projects(county)
    make_proposals(county)
    return county


def generate(profile: Profile, out: Path, quiet: bool = False) -> dict:
    """Build the county of ``profile`` and write its workspace into ``out``.

    Parameters
    ----------
    profile : Profile
        The county (天台县 or 德清县).
    out : Path
        Output folder (created).
    quiet : bool
        No progress lines on stderr.

    Returns
    -------
    dict
        The manifest written to ``out / "manifest.json"``.
    """
    t0 = time.time()
    county = build_county(profile)
    if not quiet:
        print(f"built {len(county.parcels)} parcels, {len(county.buildings)} buildings in {time.time() - t0:.1f}s",
              file=sys.stderr)
    manifest = write_workspace(county, out)
    if not quiet:
        print(f"wrote {out} in {time.time() - t0:.1f}s", file=sys.stderr)
    return manifest


def write_workspace(county: County, out: Path) -> dict:
    """Write every file of a built county's workspace: layers, tables, rasters, 界址点, toml, manifest.

    A later state of the same county (another quarter) is written by calling this again on the
    changed ``County`` with another ``out``.

    Parameters
    ----------
    county : County
        A county from ``build_county``.
    out : Path
        Output folder (created).

    Returns
    -------
    dict
        The manifest written to ``out / "manifest.json"``.
    """
    profile = county.profile
    out.mkdir(parents=True, exist_ok=True)
    layers = constraint_layers(county)
    vector_names = write_vectors(county, layers, out)
    extra = write_tables(county, out)
    write_rasters(county, layers, out)
    extra["jzd"] = write_jzd(county, out)
    (out / "workspace.toml").write_text(workspace_toml(profile, profile.gpkg, vector_names), encoding="utf-8")
    extra["headers"] = {"enterprises": list(ENTERPRISE_HEADERS.values()), "contracts": list(CONTRACT_HEADERS.values()),
                        "tenancy": list(TENANCY_HEADERS.values()), "projects": list(PROJECT_HEADERS.values()),
                        "merge_proposals": list(MERGE_HEADERS.values()),
                        "land_supply": list(SUPPLY_HEADERS.values())}
    extra["counts"] = {"parcels": len(county.parcels), "buildings": len(county.buildings),
                       "enterprises": len(county.enterprises),
                       "enterprises_guishang": sum(e.scale == "规上" for e in county.enterprises),
                       "enterprise_rows": extra.pop("enterprise_rows"), "contracts": len(county.contracts),
                       "tenancy": len(county.tenancy), "gaps": len(county.gaps), "roads": len(county.layout.roads)}
    keys = ("faults", "unreadable", "jzd", "headers", "counts", "supply")    # the manifest's order
    manifest = build_manifest(county, {k: extra[k] for k in keys})
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return manifest


def write_vectors(county: County, layers: dict, out: Path) -> list[str]:
    """The GeoPackage layers and the GBK roads Shapefile; returns the GeoPackage's layer names."""
    vector = {"parcels": parcels_gdf(county), "buildings": buildings_gdf(county)}
    for name in ("water", "parks", "urban_boundary", "basic_farmland", "eco_redline", "zoning"):
        vector[name] = layers[name]
    vector["renovations"] = renovations_gdf(county)
    vector["split_proposals"] = splits_gdf(county)
    write_gpkg_layers(out / county.profile.gpkg, vector)
    write_shapefile_gbk(out / "roads.shp", layers["roads"])
    return list(vector)


def yes_no(v: object) -> str:
    """是 / 否 as the tables write a flag."""
    return "是" if v else "否"


def write_tables(county: County, out: Path) -> dict:
    """The xlsx and csv tables; returns the manifest's ``faults``, ``unreadable``, ``supply`` and the row count."""
    ent_rows, faults = enterprise_table(county)
    write_xlsx(out / "enterprises.xlsx", "亩均效益数据", list(ENTERPRISE_HEADERS.values()), ent_rows)
    c_rows, c_fmts, unreadable = contract_cells(county)
    write_xlsx(out / "contracts.xlsx", "供地合同", list(CONTRACT_HEADERS.values()), c_rows, c_fmts)
    write_csv(out / "tenancy.csv", list(TENANCY_HEADERS.values()),
              [[h.attrs["parcel_id"], t.uscc, fa] for h, t, fa in county.tenancy])
    write_csv(out / "projects.csv", list(PROJECT_HEADERS.values()),
              [[r["project_id"], r["uscc"], r["parcel_id"], r["name"], yes_no(r["key_project"]),
                r["total_investment"], yes_no(r["under_construction"]), r["built_year"], r["energy_tce"]]
               for r in county.projects])
    write_csv(out / "merge_proposals.csv", list(MERGE_HEADERS.values()),
              [[r["proposal_id"], r["parcel_ids"], r["buyer_uscc"]] for r in county.merge_rows])
    supply = make_land_supply(county)
    write_csv(out / "land_supply.csv", list(SUPPLY_HEADERS.values()),
              [[r["year"], r["use"], r["area_mu"]] for r in supply])
    return {"faults": faults, "unreadable": unreadable, "enterprise_rows": len(ent_rows),
            "supply": supply_summary(supply, county.profile.supply_threshold)}


def supply_summary(supply: list[dict], threshold: float) -> dict:
    """Industrial share of the land supplied per year and the years either side of ``threshold``."""
    shares = {}
    for y in (2021, 2022, 2023):
        tot = sum(r["area_mu"] for r in supply if r["year"] == y)
        ind = sum(r["area_mu"] for r in supply if r["year"] == y and r["use"] == "工业")
        shares[str(y)] = ind / tot
    return {"threshold": threshold, "industrial_share": shares,
            "years_below_threshold": [int(y) for y, s in shares.items() if s < threshold],
            "years_at_or_above_threshold": [int(y) for y, s in shares.items() if s >= threshold]}
