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
    """Generate the workspace of ``profile`` into ``out``; returns the manifest."""
    t0 = time.time()
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, file=sys.stderr))
    out.mkdir(parents=True, exist_ok=True)
    county = build_county(profile)
    say(f"built {len(county.parcels)} parcels, {len(county.buildings)} buildings in {time.time() - t0:.1f}s")
    layers = constraint_layers(county)
    vector = {"parcels": parcels_gdf(county), "buildings": buildings_gdf(county)}
    for name in ("water", "parks", "urban_boundary", "basic_farmland", "eco_redline", "zoning"):
        vector[name] = layers[name]
    vector["renovations"] = renovations_gdf(county)
    vector["split_proposals"] = splits_gdf(county)
    write_gpkg_layers(out / profile.gpkg, vector)
    write_shapefile_gbk(out / "roads.shp", layers["roads"])
    # tables
    ent_rows, faults = enterprise_table(county)
    write_xlsx(out / "enterprises.xlsx", "亩均效益数据", list(ENTERPRISE_HEADERS.values()), ent_rows)
    c_rows, c_fmts, unreadable = contract_cells(county)
    write_xlsx(out / "contracts.xlsx", "供地合同", list(CONTRACT_HEADERS.values()), c_rows, c_fmts)
    write_csv(out / "tenancy.csv", list(TENANCY_HEADERS.values()),
              [[h.attrs["parcel_id"], t.uscc, fa] for h, t, fa in county.tenancy])
    yes = lambda v: "是" if v else "否"
    write_csv(out / "projects.csv", list(PROJECT_HEADERS.values()),
              [[r["project_id"], r["uscc"], r["parcel_id"], r["name"], yes(r["key_project"]), r["total_investment"],
                yes(r["under_construction"]), r["built_year"], r["energy_tce"]] for r in county.projects])
    write_csv(out / "merge_proposals.csv", list(MERGE_HEADERS.values()),
              [[r["proposal_id"], r["parcel_ids"], r["buyer_uscc"]] for r in county.merge_rows])
    supply = make_land_supply(county)
    write_csv(out / "land_supply.csv", list(SUPPLY_HEADERS.values()),
              [[r["year"], r["use"], r["area_mu"]] for r in supply])
    shares = {}
    for y in (2021, 2022, 2023):
        tot = sum(r["area_mu"] for r in supply if r["year"] == y)
        ind = sum(r["area_mu"] for r in supply if r["year"] == y and r["use"] == "工业")
        shares[str(y)] = ind / tot
    write_rasters(county, layers, out)
    jzd = write_jzd(county, out)
    (out / "workspace.toml").write_text(workspace_toml(profile, profile.gpkg, [k for k in vector]), encoding="utf-8")
    headers = {"enterprises": list(ENTERPRISE_HEADERS.values()), "contracts": list(CONTRACT_HEADERS.values()),
               "tenancy": list(TENANCY_HEADERS.values()), "projects": list(PROJECT_HEADERS.values()),
               "merge_proposals": list(MERGE_HEADERS.values()), "land_supply": list(SUPPLY_HEADERS.values())}
    counts = {"parcels": len(county.parcels), "buildings": len(county.buildings),
              "enterprises": len(county.enterprises),
              "enterprises_guishang": sum(e.scale == "规上" for e in county.enterprises),
              "enterprise_rows": len(ent_rows), "contracts": len(county.contracts), "tenancy": len(county.tenancy),
              "gaps": len(county.gaps), "roads": len(county.layout.roads)}
    extra = dict(faults=faults, unreadable=unreadable, jzd=jzd, headers=headers, counts=counts,
                 supply={"threshold": profile.supply_threshold, "industrial_share": shares,
                         "years_below_threshold": [int(y) for y, s in shares.items() if s < profile.supply_threshold],
                         "years_at_or_above_threshold": [int(y) for y, s in shares.items()
                                                         if s >= profile.supply_threshold]})
    manifest = build_manifest(county, extra)
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    say(f"wrote {out} in {time.time() - t0:.1f}s")
    return manifest
