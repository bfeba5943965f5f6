"""Each landholder's land and 2022 figures in a ``Snapshot``, and what a quarter must leave alone."""

from __future__ import annotations

import pandas as pd

from .constants import M2_PER_MU
from .snapshot import Snapshot

YEAR = 2022          # the 亩均评价 year of every 2023 quarter (上一年度)


def owner_table(snap: Snapshot) -> pd.DataFrame:
    """One row per parcel holder: land (亩), parcel count, first parcel, township, status and the 2022
    figures (first row of the enterprise table for that year), ``tpm`` = tax / land."""
    p = snap.parcels
    held = p[p["owner_uscc"].notna()].assign(mu=p.area / M2_PER_MU)
    g = held.groupby("owner_uscc")
    own = pd.DataFrame({"mu": g["mu"].sum(), "n": g.size(), "parcel_id": g["parcel_id"].first(),
                        "township": g["township"].first(),
                        "name": g["owner_name"].first(), "status": g["status"].first(),
                        "area_min_mu": g["mu"].min()})
    sh = snap.enterprises
    cols = {h: sh.column(h) for h in ("统一社会信用代码", "年度", "规模", "税收实际贡献(万元)", "工业增加值(万元)",
                                      "综合能耗(吨标准煤)")}
    rows: dict[str, list] = {}
    for r in sh.rows:
        if r[cols["年度"]] == YEAR:
            rows.setdefault(r[cols["统一社会信用代码"]], r)
    fig = pd.DataFrame.from_dict({k: {"scale": r[cols["规模"]], "tax": r[cols["税收实际贡献(万元)"]],
                                      "va": r[cols["工业增加值(万元)"]], "energy": r[cols["综合能耗(吨标准煤)"]]}
                                  for k, r in rows.items()}, orient="index")
    own = own.join(fig, how="inner")
    own["tpm"] = pd.to_numeric(own["tax"], errors="coerce") / own["mu"]
    return own.sort_index()


def protected(manifest: dict, snap: Snapshot, other_pids: set[str]) -> tuple[set[str], set[str]]:
    """(enterprise codes, parcel ids) a quarter must not change: every planted case of the base
    manifest, 界址点 parcels, parcels with plans or split proposals, and ``other_pids`` (tenancy hosts,
    merge proposals)."""
    codes: set[str] = set()
    pids: set[str] = set(other_pids)
    for section in ("efficiency", "rating"):
        for key, ids in manifest[section].items():
            if key != "project_ids":
                codes.update(ids)
    for key in ("invalid_uscc", "duplicate_row", "zero_employees", "missing_value", "negative_value"):
        codes.update(f["uscc"] for f in manifest["faults"][key])
    codes.add(manifest["faults"]["html_name"][0]["uscc"])
    codes.update(manifest["tenancy"]["tenants"])
    for section in ("idle", "keep", "housing"):
        for ids in manifest[section].values():
            pids.update(i for i in ids if isinstance(i, str))
    pids.update(manifest["imagery"]["no_contract_bare"])
    pids.update(manifest["geometry"]["jzd_parcels"])
    pids.update(manifest["geometry"]["hole_parcels"] + manifest["geometry"]["enclave_parcels"])
    for layer in ("renovations", "split_proposals"):
        pids.update(snap.layers[layer]["parcel_id"].dropna())
    for name, ids in manifest["intensity"].items():
        if name.startswith("far_") or name == "admin_share_over_7pct":
            pids.update(ids)
    p = snap.parcels
    codes.update(p.loc[p["parcel_id"].isin(pids), "owner_uscc"].dropna())
    return codes, pids
