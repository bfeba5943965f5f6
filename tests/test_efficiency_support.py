"""Small in-memory county for the efficiency, intensity and reclaim tests (no tests here).

Parcels are squares of an exact area in 亩 laid out on a row; enterprises, tenancy and projects
are plain tables. :func:`make_ws` builds a real :class:`~geo_tenglong.workspace.Workspace`.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
from shapely.geometry import box

from geo_tenglong.rules import load_ruleset
from geo_tenglong.uscc import check_char
from geo_tenglong.workspace import DATA_ISSUE_COLUMNS, Workspace

M2_PER_MU = 10000.0 / 15.0
X0, Y0 = 40_500_000.0, 3_225_000.0


def code(i: int) -> str:
    """A valid 统一社会信用代码 number ``i``."""
    c17 = f"91331023MA2A{i:05d}"
    return c17 + check_char(c17)


def square(i: int, mu: float):
    """A square of exactly ``mu`` 亩, the ``i``-th on a row 400 m apart."""
    side = math.sqrt(mu * M2_PER_MU)
    x = X0 + 400.0 * i
    return box(x, Y0, x + side, Y0 + side)


def parcels_frame(rows: list[dict]) -> gpd.GeoDataFrame:
    """Parcels from dicts with ``parcel_id``, ``mu`` and any parcel fields."""
    geoms = [square(i, r.pop("mu")) for i, r in enumerate(rows)]
    df = pd.DataFrame(rows)
    for c in ("owner_uscc", "land_use_code", "park_id", "status", "township", "owner_name"):
        if c in df.columns:
            df[c] = df[c].astype("string")
    return gpd.GeoDataFrame(df, geometry=geoms, crs="EPSG:4528")


def make_ws(parcels, tables=None, layers=None, ruleset="tiantai-2022", as_of="2023-06-30") -> Workspace:
    """A Workspace holding the given frames (tables get ``source_row`` = position + 2)."""
    tables = dict(tables or {})
    for name, t in tables.items():
        t = t.copy()
        if "source_row" not in t.columns:
            t["source_row"] = np.arange(len(t)) + 2
        for c in ("uscc", "parcel_id", "name", "scale", "industry"):
            if c in t.columns:
                t[c] = t[c].astype("string")
        tables[name] = t
    rs = load_ruleset(ruleset)
    return Workspace(root=Path("."), county=rs.info.county, admin_code=rs.info.admin_code, ruleset=rs,
                     as_of=dt.date.fromisoformat(as_of), crs=pyproj.CRS.from_epsg(4528),
                     layers={"parcels": parcels, **(layers or {})}, tables=tables, rasters={}, landcover_classes={},
                     coords_folder=None, inputs=[], data_issues=pd.DataFrame(columns=DATA_ISSUE_COLUMNS), aliases={})


def run_stages(ws, names=("efficiency", "intensity", "reclaim")):
    """Run the named stages of the pipeline on ``ws``; returns the Results."""
    from geo_tenglong.pipeline import STAGES, analyse

    return analyse(ws, stages=[s for s in STAGES if s.name in names])


def ent_rows(uscc, name, scale, year, revenue, tax, va, employees, energy, emissions, rd, industry="通用设备制造业"):
    return {"uscc": uscc, "name": name, "year": year, "scale": scale, "revenue": revenue, "tax": tax,
            "value_added": va, "employees": employees, "energy_tce": energy, "emissions_t": emissions,
            "rd_expense": rd, "industry": industry}
