"""Pooled 亩均税收 and FAR over groups of parcels (parks, clusters), from the efficiency columns."""

from __future__ import annotations

import numpy as np
import pandas as pd


def pooled_by_group(parcels: pd.DataFrame, group: np.ndarray) -> pd.DataFrame:
    """Per group: parcel count, land (亩), pooled 亩均税收, floor area and FAR.

    A parcel's tax is its enterprise's 亩均税收 × the parcel's area (tenants pooled with the holder
    share its result), so the group's 亩均税收 = Σ tax / Σ area over parcels with a 亩均税收.
    FAR = Σ floor area / Σ land area over all parcels of the group.

    Parameters
    ----------
    parcels : DataFrame
        ``area_m2``, ``area_mu`` and, when present, ``tax_per_mu`` and ``floor_area_m2``.
    group : array-like
        Group key per parcel; rows with a missing key are left out.

    Returns
    -------
    DataFrame
        Indexed by group: ``parcel_count``, ``area_mu``, ``taxed_mu``, ``tax_wan``, ``tax_per_mu``,
        ``floor_area_m2``, ``far`` (NaN where the columns are absent).
    """
    n = len(parcels)
    tax_per_mu = parcels["tax_per_mu"].to_numpy(dtype=float) if "tax_per_mu" in parcels.columns else np.full(n, np.nan)
    floor = parcels["floor_area_m2"].to_numpy(dtype=float) if "floor_area_m2" in parcels.columns else np.full(n, np.nan)
    area_mu = parcels["area_mu"].to_numpy(dtype=float)
    has_tax = ~np.isnan(tax_per_mu)
    frame = pd.DataFrame({"g": np.asarray(group), "area_mu": area_mu, "area_m2": parcels["area_m2"].to_numpy(dtype=float),
                          "taxed_mu": np.where(has_tax, area_mu, 0.0), "tax_wan": np.where(has_tax, tax_per_mu * area_mu, 0.0),
                          "floor_area_m2": floor})
    frame = frame[pd.notna(frame["g"])]
    out = frame.groupby("g").agg(parcel_count=("area_mu", "size"), area_mu=("area_mu", "sum"), area_m2=("area_m2", "sum"),
                                 taxed_mu=("taxed_mu", "sum"), tax_wan=("tax_wan", "sum"),
                                 floor_area_m2=("floor_area_m2", lambda s: s.sum(min_count=1)))
    out["tax_per_mu"] = np.where(out["taxed_mu"] > 0, out["tax_wan"] / out["taxed_mu"].where(out["taxed_mu"] > 0), np.nan)
    out["far"] = out["floor_area_m2"] / out["area_m2"]
    return out.drop(columns="area_m2")
