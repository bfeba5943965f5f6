"""How much of a workspace an analysis can use: the coverage that decides whether it means anything.

:func:`compute_coverage` reads a loaded :class:`~geo_tenglong.workspace.Workspace` — nothing is
analysed — and counts: parcels counted as industrial (by the ruleset's land-use codes), parcels
whose holder matches enterprise rows, enterprises without land, buildings matched to parcels,
contracts matched to parcels, unreadable dates and numbers, and declared areas (宗地 ZDMJ, the 亩均
table's 用地面积) that disagree with the geometry beyond a tolerance. ``geo-tenglong inspect``
shows it; ``run`` can use :meth:`Coverage.problems` to refuse a silently empty result.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .analysis.enterprise_land import industrial_mask
from .crs import planar_area
from .io.dates import parse_dates
from .standards import area_factor
from .units import m2_to_mu

#: Date columns checked for unreadable cells, by layer or table.
DATE_COLUMNS = {"parcels": ("term_start", "term_end"), "buildings": ("completed_date",),
                "contracts": ("signed_date", "agreed_start", "agreed_completion", "actual_start", "suspended_since",
                              "actual_completion"),
                "renovations": ("approved_date", "actual_start")}
#: Number columns outside the schemas' checked ones (read as text, so they may hold anything).
NUMBER_COLUMNS = {"parcels": ("declared_area",), "enterprises": ("land_mu",)}
#: A declared area disagrees with the geometry beyond max(AREA_TOL_M2, AREA_TOL_SHARE × area).
AREA_TOL_SHARE = 0.01
AREA_TOL_M2 = 1.0


@dataclasses.dataclass
class Coverage:
    """Counts read off a workspace (``None`` where the layer or table is absent).

    Every attribute is a plain number, list or dict so :meth:`to_dict` is JSON-ready.
    """

    parcels: int
    industrial_codes: list[str]
    parcels_industrial: int
    parcels_without_land_use: int
    land_use_column: bool
    unknown_land_use_is_industrial: bool
    parcels_with_holder: int
    parcels_holder_matched: int | None
    enterprises: int | None
    enterprises_without_land: int | None
    enterprise_years: list[int]
    buildings: int | None
    buildings_matched: int | None
    buildings_by_location: int | None
    industrial_parcels_with_buildings: int | None
    contracts: int | None
    contracts_matched: int | None
    tenancy_matched: int | None
    unreadable_dates: dict[str, int]
    unreadable_numbers: dict[str, int]
    area_mismatch: list[dict]
    area_tolerance: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return dataclasses.asdict(self)

    def problems(self) -> list[str]:
        """One Chinese line per coverage that makes an analysis empty or implausible."""
        out = []
        if self.parcels and not self.parcels_industrial:
            out.append(f"数据不足: {self.parcels} 宗宗地中没有一宗按用地代码计为工业用地"
                       f"(工业用地代码 {', '.join(self.industrial_codes)}),亩均评价与用地强度均为空")
        if self.enterprises is None:
            out.append("数据不足: 缺少企业亩均效益数据表,亩均评价无法进行")
        elif self.parcels_industrial and not self.parcels_holder_matched:
            out.append("数据不足: 没有一宗工业用地的权利人与企业亩均数据匹配(统一社会信用代码),所有企业将为未参评")
        if self.buildings is None:
            out.append("数据不足: 缺少建筑物图层,容积率与建筑系数无法计算")
        elif self.parcels_industrial and not self.industrial_parcels_with_buildings:
            out.append("数据不足: 工业用地上没有任何建筑物,容积率与建筑系数无法计算")
        if self.contracts is not None and self.contracts and not self.contracts_matched:
            out.append("数据不足: 出让合同的宗地代码与宗地图层无一匹配,闲置土地认定无法进行")
        return out

    def notes(self) -> list[str]:
        """Chinese lines about readings the user should know of (not reasons to refuse a run)."""
        out = []
        how = "按工业用地计" if self.unknown_land_use_is_industrial else \
            "不计为工业用地(如需计入,在 [workspace] 设 unknown_land_use_is_industrial = true)"
        if not self.land_use_column:
            out.append(f"注意: 宗地图层没有用地代码字段,全部宗地{how};如有用地代码字段,请在 [aliases] 中写明")
        elif self.parcels_without_land_use:
            out.append(f"注意: {self.parcels_without_land_use} 宗宗地无用地代码,{how}")
        if self.area_mismatch:
            out.append(f"注意: {len(self.area_mismatch)} 处申报面积与图形面积不符(容差 {self.area_tolerance})")
        return out


def _codes(s) -> pd.Series:
    t = pd.Series(s, dtype="string").str.strip().str.upper()
    return t.mask(t == "")


def _industrial(ws) -> tuple[np.ndarray, list[str]]:
    spec = ws.ruleset.get("MJ-EVAL") or ws.ruleset.get("NAT-COVER")
    codes = list(spec.industrial_land_codes) if spec is not None else list(ws.standards.industrial)
    parcels = ws.parcels
    col = parcels["land_use_code"] if "land_use_code" in parcels.columns else [None] * len(parcels)
    return industrial_mask(col, codes), codes


def _unreadable(ws) -> tuple[dict[str, int], dict[str, int]]:
    dates: dict[str, int] = {}
    numbers: dict[str, int] = {}
    sources = {**ws.layers, **ws.tables}
    for name, cols in DATE_COLUMNS.items():
        df = sources.get(name)
        if df is None:
            continue
        for c in cols:
            if c in df.columns:
                bad = int(parse_dates(df[c]).invalid.sum())
                if bad:
                    dates[f"{name}.{c}"] = bad
    for name, cols in NUMBER_COLUMNS.items():
        df = sources.get(name)
        if df is None:
            continue
        for c in cols:
            if c in df.columns:
                text = df[c].astype("string").str.strip().str.replace(",", "", regex=False)
                bad = int((text.notna() & (text != "") & pd.to_numeric(text, errors="coerce").isna()).sum())
                if bad:
                    numbers[f"{name}.{c}"] = bad
    return dates, numbers


def _area_mismatch(ws, area_m2: np.ndarray, holder: pd.Series) -> list[dict]:
    out = []
    parcels = ws.parcels
    if "declared_area" in parcels.columns:
        declared = pd.to_numeric(parcels["declared_area"].astype("string").str.replace(",", "", regex=False),
                                 errors="coerce").to_numpy(dtype=float)
        units = parcels["area_unit"] if "area_unit" in parcels.columns else pd.Series(["1"] * len(parcels))
        factor = np.array([area_factor(u, ws.standards) or 1.0 for u in units], dtype=float)
        declared_m2 = declared * factor
        tol = np.maximum(AREA_TOL_M2, AREA_TOL_SHARE * area_m2)
        bad = np.isfinite(declared_m2) & (np.abs(declared_m2 - area_m2) > tol)
        for i in np.flatnonzero(bad):
            out.append({"source": "parcels", "id": str(parcels["parcel_id"].iloc[i]),
                        "declared_m2": round(float(declared_m2[i]), 2), "geometry_m2": round(float(area_m2[i]), 2)})
    ent = ws.tables.get("enterprises")
    if ent is not None and "land_mu" in ent.columns:
        mu = pd.Series(m2_to_mu(area_m2), index=holder.index).groupby(holder.to_numpy()).sum()
        latest = ent.assign(_u=_codes(ent["uscc"]).to_numpy(),
                            _m=pd.to_numeric(ent["land_mu"].astype("string").str.replace(",", "", regex=False),
                                             errors="coerce").to_numpy())
        latest = latest.dropna(subset=["_u", "_m"]).drop_duplicates("_u", keep="last")
        for u, m in zip(latest["_u"], latest["_m"]):
            if u in mu.index:
                g = float(mu[u])
                if abs(g - m) > max(AREA_TOL_M2 / 666.67, AREA_TOL_SHARE * g):
                    out.append({"source": "enterprises", "id": u, "declared_mu": round(float(m), 2),
                                "geometry_mu": round(g, 2)})
    return out


def _buildings(ws, parcel_ids: pd.Index, industrial: np.ndarray) -> tuple[int | None, int | None, int | None, int | None]:
    b = ws.layers.get("buildings")
    if b is None:
        return None, None, None, None
    pid = _codes(b["parcel_id"]) if "parcel_id" in b.columns else pd.Series([pd.NA] * len(b), dtype="string")
    by_id = pid.isin(parcel_ids).to_numpy() & pid.notna().to_numpy()
    owner = pd.Series(pid.where(by_id).to_numpy(), index=b.index, dtype="string")
    rest = ~by_id
    by_loc = 0
    if rest.any() and len(ws.parcels):
        pts = gpd.GeoDataFrame(geometry=b.geometry[rest].representative_point(), crs=b.crs)
        hit = gpd.sjoin(pts, ws.parcels[["parcel_id", "geometry"]], predicate="within", how="inner")
        hit = hit[~hit.index.duplicated()]
        by_loc = len(hit)
        owner.loc[hit.index] = _codes(hit["parcel_id"]).to_numpy()
    ind_ids = set(parcel_ids[industrial])
    with_b = len(set(owner.dropna()) & ind_ids)
    return len(b), int(by_id.sum()) + by_loc, by_loc, with_b


def compute_coverage(ws) -> Coverage:
    """Count what the analyses will find to work on.

    Parameters
    ----------
    ws : Workspace
        A loaded workspace.

    Returns
    -------
    Coverage
    """
    parcels = ws.parcels
    ind, codes = _industrial(ws)
    pid = _codes(parcels["parcel_id"])
    pids = pd.Index(pid.dropna())
    land = parcels["land_use_code"] if "land_use_code" in parcels.columns else pd.Series([None] * len(parcels))
    no_use = int(_codes(land).isna().sum())
    holder = _codes(parcels["owner_uscc"]) if "owner_uscc" in parcels.columns else \
        pd.Series([pd.NA] * len(parcels), dtype="string")
    ent = ws.tables.get("enterprises")
    ten = ws.tables.get("tenancy")
    tenants = set(_codes(ten["uscc"]).dropna()) if ten is not None and "uscc" in ten.columns else set()
    matched = n_ent = no_land = None
    years: list[int] = []
    if ent is not None:
        codes_e = set(_codes(ent["uscc"]).dropna())
        n_ent = len(codes_e)
        matched = int((holder.isin(codes_e).to_numpy() & ind).sum())
        no_land = len(codes_e - set(holder[ind].dropna()) - tenants)
        years = sorted({int(y) for y in pd.to_numeric(ent["year"], errors="coerce").dropna()})
    con = ws.tables.get("contracts")
    con_matched = int(_codes(con["parcel_id"]).isin(pids).sum()) if con is not None else None
    ten_matched = int(_codes(ten["parcel_id"]).isin(pids).sum()) if ten is not None else None
    n_b, b_matched, b_loc, ind_with_b = _buildings(ws, pd.Index(pid), ind)
    dates, numbers = _unreadable(ws)
    area = planar_area(parcels.geometry)
    return Coverage(
        parcels=len(parcels), industrial_codes=codes, parcels_industrial=int(ind.sum()),
        parcels_without_land_use=no_use, land_use_column=bool(parcels.attrs.get("land_use_column", "land_use_code" in parcels.columns)),
        unknown_land_use_is_industrial=bool(ws.unknown_land_use_is_industrial),
        parcels_with_holder=int(holder.notna().sum()), parcels_holder_matched=matched, enterprises=n_ent,
        enterprises_without_land=no_land, enterprise_years=years, buildings=n_b, buildings_matched=b_matched,
        buildings_by_location=b_loc, industrial_parcels_with_buildings=ind_with_b,
        contracts=None if con is None else len(con), contracts_matched=con_matched, tenancy_matched=ten_matched,
        unreadable_dates=dates, unreadable_numbers=numbers, area_mismatch=_area_mismatch(ws, area, holder),
        area_tolerance=f"max({AREA_TOL_M2:g} m², {AREA_TOL_SHARE:.0%})",
    )
