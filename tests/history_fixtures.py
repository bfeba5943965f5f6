"""Small synthetic Results for the history, targets and bulletin tests: parcels with the columns the
history store reads, findings, an enterprise_eval table and a targets table."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_tenglong.findings import concat_findings, make_findings
from geo_tenglong.results import Results

CRS = "EPSG:4528"


def box_at(i: int, side: float = 100.0):
    x = 40_500_000 + i * 200.0
    return shapely.box(x, 3_200_000, x + side, 3_200_000 + side)


def make_results(rows: list[dict], as_of: str = "2023-06-30", run_id: str = "r1", fails: dict | None = None,
                 enterprises: list[dict] | None = None) -> Results:
    """Results with the parcel columns the store reads; ``fails``: parcel id → failed rule ids."""
    base = {"township": "始丰街道", "park_id": None, "owner_uscc": None, "holder_uscc": None, "eval_class": None,
            "reclaimable": False, "reclaim_reason": None, "idle_tier": 0, "split_from": None, "merged_from": None,
            "land_use_code": "1001"}
    frame = pd.DataFrame([{**base, **r} for r in rows])
    geoms = [box_at(int(r.get("slot", i))) for i, r in enumerate(rows)]
    frame = frame.drop(columns=[c for c in ("slot",) if c in frame.columns])
    parcels = gpd.GeoDataFrame(frame, geometry=geoms, crs=CRS)
    parcels["area_mu"] = np.round(parcels.geometry.area / (10000 / 15), 4)
    findings = concat_findings([make_findings([pid], rule, "x", "fail", message="m")
                                for pid, rules in (fails or {}).items() for rule in rules])
    ev = pd.DataFrame(enterprises or [], columns=["uscc", "name", "year", "eval_class", "land_mu", "tax", "tax_per_mu",
                                                  "va_per_mu", "energy_tce"])
    info = {"run_id": run_id, "as_of": as_of, "admin_code": "331023", "county": "天台县", "ruleset": "tiantai-2022",
            "crs": CRS, "generated": f"{as_of}T00:00:00"}
    return Results(info=info, parcels=parcels, findings=findings,
                   layers={"enterprise_eval": ev, "targets": pd.DataFrame({
                       "rule_id": ["TT-T1"], "metric": ["tax_per_mu"], "label": ["规上工业亩均税收"], "value": [20.0],
                       "target": [25.0], "unit": ["万元/亩"], "status": ["fail"]})},
                   summary={"efficiency": {"eval_year": 2022}})
