"""Scale mode: a synthetic county of N parcels, vectorised, no planted cases."""

from __future__ import annotations

import dataclasses
import math
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.affinity
import shapely.ops

from geo_tenglong.uscc import ALPHABET, WEIGHTS

from .constants import EPSG, M2_PER_MU
from .enterprises import TRADE_CHARS
from .profiles import Profile, anchor_xy
from .writers import write_gpkg_layers

SCALE_BLOCK = (8, 4)          # parcels per block along x and y
SCALE_CELL = (95.0, 85.0)     # nominal parcel size, m
SCALE_ROAD = 24.0             # road width between blocks, m


@dataclasses.dataclass(frozen=True)
class ScaleGrid:
    """The blocks of a scale county: ``nb`` blocks in rows of ``gx`` (``gy`` rows, the last may be
    short), each ``bw`` × ``bh`` m with its road, the first block's corner at (``ox``, ``oy``)."""

    nb: int
    gx: int
    gy: int
    ox: float
    oy: float
    bw: float
    bh: float

    @classmethod
    def of(cls, n: int, anchor: tuple[float, float]) -> ScaleGrid:
        """The grid of ``n`` parcels around ``anchor``."""
        bx, by = SCALE_BLOCK
        w, h = SCALE_CELL
        nb = -(-n // (bx * by))
        gx = int(math.ceil(math.sqrt(nb * (by * h) / (bx * w))))
        gy = -(-nb // gx)
        bw, bh = bx * w + SCALE_ROAD, by * h + SCALE_ROAD
        return cls(nb, gx, gy, anchor[0] - gx * bw / 2, anchor[1] - gy * bh / 2, bw, bh)

    def origins(self) -> tuple[np.ndarray, np.ndarray]:
        """Each block's lower-left corner (x0, y0)."""
        blk = np.arange(self.nb)
        return self.ox + (blk % self.gx) * self.bw, self.oy + (blk // self.gx) * self.bh


def scale_parcel_coords(rng: np.random.Generator, n: int, anchor: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Corner coordinates (n, 5, 2) of n jittered quadrilateral parcels in blocks, and each
    parcel's block number. Neighbours share their (snapped) corner points, so parcels never
    overlap. Parcel ``i`` is cell (``a``, ``b``) = divmod(i % 32, 4) of block ``i // 32``: ``a``
    along x, ``b`` along y; its ring runs (a, b), (a+1, b), (a+1, b+1), (a, b+1)."""
    bx, by = SCALE_BLOCK
    w, h = SCALE_CELL
    per_block = bx * by
    grid = ScaleGrid.of(n, anchor)
    blk = np.arange(grid.nb)
    x0, y0 = grid.origins()
    i = np.arange(bx + 1)
    j = np.arange(by + 1)
    vx = x0[:, None, None] + i[None, :, None] * w + np.zeros((1, 1, by + 1))
    vy = y0[:, None, None] + j[None, None, :] * h + np.zeros((1, bx + 1, 1))
    jx = rng.uniform(-0.22, 0.22, vx.shape) * w
    jy = rng.uniform(-0.22, 0.22, vy.shape) * h
    jx[:, [0, -1], :] = 0.0            # block edges stay straight along the roads
    jy[:, :, [0, -1]] = 0.0
    vx = np.round(vx + jx, 3)
    vy = np.round(vy + jy, 3)
    # cells (block, a, b) -> corners (a,b) (a+1,b) (a+1,b+1) (a,b+1) (a,b)
    a, b = np.meshgrid(np.arange(bx), np.arange(by), indexing="ij")
    a, b = a.ravel(), b.ravel()
    ca = np.stack([a, a + 1, a + 1, a, a], axis=1)
    cb = np.stack([b, b, b + 1, b + 1, b], axis=1)
    xs = vx[:, ca, cb]                  # (nb, per_block, 5)
    ys = vy[:, ca, cb]
    coords = np.stack([xs, ys], axis=-1).reshape(-1, 5, 2)[:n]
    block_of = np.repeat(blk, per_block)[:n]
    return coords, block_of


def scale_buildings(coords: np.ndarray) -> np.ndarray:
    """Two footprints per parcel: the two halves of the quad (split across x), shrunk toward
    their own centres so they stay inside the parcel and apart."""
    p0, p1, p2, p3 = coords[:, 0], coords[:, 1], coords[:, 2], coords[:, 3]
    out = []
    for lo, hi in ((0.08, 0.46), (0.54, 0.92)):
        q0 = p0 + (p1 - p0) * lo
        q1 = p0 + (p1 - p0) * hi
        q2 = p3 + (p2 - p3) * hi
        q3 = p3 + (p2 - p3) * lo
        quad = np.stack([q0, q1, q2, q3], axis=1)
        c = quad.mean(axis=1, keepdims=True)
        quad = np.round(c + (quad - c) * 0.78, 3)
        out.append(np.concatenate([quad, quad[:, :1]], axis=1))
    return np.concatenate(out)


def scale_uscc(rng: np.random.Generator, n: int, admin_code: str) -> np.ndarray:
    """n distinct valid 统一社会信用代码, vectorised (the serial part encodes a permuted index)."""
    alpha = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
    head = np.array([ALPHABET.index(c) for c in "91" + admin_code])
    serial = (rng.permutation(n).astype(np.int64) * 7919 + 104729) % (31 ** 9)
    digits = np.empty((n, 9), dtype=np.int64)
    for k in range(8, -1, -1):
        digits[:, k] = serial % 31
        serial //= 31
    vals = np.concatenate([np.broadcast_to(head, (n, 8)), digits], axis=1)
    check = (31 - (vals * np.asarray(WEIGHTS)).sum(axis=1) % 31) % 31
    allv = np.concatenate([vals, check[:, None]], axis=1)
    return alpha[allv].view("S18").ravel().astype(str)


def generate_scale(n: int, out: Path, fmt: str, profile: Profile, quiet: bool = False, plans: bool = False) -> dict:
    """Write a synthetic county of ``n`` parcels (no planted cases) for benchmarks.

    Parameters
    ----------
    n : int
        Number of parcels; about two buildings each and 0.83 enterprises per parcel.
    out : Path
        Output folder (created).
    fmt : {"parquet", "gpkg"}
        Format of the parcels and buildings layers.
    profile : Profile
        The county whose admin code, CRS anchor, ruleset and industries are used.
    quiet : bool
        No progress lines on stderr.
    plans : bool
        Also parks, roads, a study area, 控规 and constraint layers, left-out cells, renovation
        plans, split and merge proposals (:mod:`.scale_plans`, its own random stream: the rest is
        drawn as without).

    Returns
    -------
    dict
        ``parcels``, ``buildings``, ``enterprises`` counts and ``seconds`` taken.
    """
    t0 = time.time()

    def say(*a: object) -> None:
        if not quiet:
            print(*a, file=sys.stderr)

    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(profile.seed + n)
    coords, block_of = scale_parcel_coords(rng, n, anchor_xy(profile))
    say(f"{n} parcels built in {time.time() - t0:.1f}s")
    parcels, owner, codes, names = scale_parcels(rng, n, profile, coords, block_of)
    buildings = scale_buildings_gdf(rng, coords, parcels)
    say(f"{len(buildings)} buildings in {time.time() - t0:.1f}s")
    ent = scale_enterprises(rng, profile, shapely.area(parcels.geometry.values), owner, codes, names)
    extra: dict = {}
    if plans:
        from .scale_plans import plan_layers

        parcels, buildings, extra = plan_layers(np.random.default_rng([profile.seed, n, 1]), n, profile,
                                                anchor_xy(profile), coords, parcels, buildings, owner, codes, ent)
        say(f"plans, proposals and their layers in {time.time() - t0:.1f}s: "
            + ", ".join(f"{k} {len(v)}" for k, v in extra.items()))
    write_scale(out, fmt, n, profile, parcels, buildings, ent, extra)
    n_ent = len(codes)
    say(f"wrote {out} ({len(parcels)} parcels, {len(buildings)} buildings, {n_ent} enterprises) in {time.time() - t0:.1f}s")
    return {"parcels": len(parcels), "buildings": len(buildings), "enterprises": n_ent, "seconds": time.time() - t0,
            **{k: len(v) for k, v in extra.items()}}


def scale_parcels(rng: np.random.Generator, n: int, profile: Profile, coords: np.ndarray,
                  block_of: np.ndarray) -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray, pd.Series]:
    """The parcels layer of the scale county and who owns each parcel.

    Returns
    -------
    parcels : GeoDataFrame
        One row per ring of ``coords``, ids ``<admin><township><街坊>GB<seq>``.
    owner : ndarray of int
        Index into ``codes`` / ``names`` of each parcel's owner.
    codes, names : ndarray, Series
        统一社会信用代码 and names of the enterprises (about 0.83 per parcel).
    """
    geoms = shapely.polygons(coords)
    # ids: township = 101 + block // 999, 街坊 = block % 999 + 1, sequence = position in block
    per_block = SCALE_BLOCK[0] * SCALE_BLOCK[1]
    seq = np.arange(n) % per_block + 1
    town = 101 + block_of // 999
    jf = block_of % 999 + 1
    ids = (pd.Series(town).astype(str).radd(profile.admin_code) + pd.Series(jf).astype(str).str.zfill(3)
           + "GB" + pd.Series(seq).astype(str).str.zfill(5))
    n_ent = max(1, int(round(n * 0.83)))
    codes = scale_uscc(rng, n_ent, profile.admin_code)
    if n >= n_ent:
        owner = np.concatenate([rng.permutation(n_ent), rng.integers(0, n_ent, n - n_ent)])[:n]
    else:
        owner = rng.permutation(n_ent)[:n]
    status = rng.choice(np.array(["已竣工投产", "停产", "在建", "未动工"]), n, p=[0.9, 0.04, 0.03, 0.03])
    start = (np.datetime64("1998-01-01") + rng.integers(0, 365 * 25, n).astype("timedelta64[D]")).astype("datetime64[ms]")
    term_end = (start.astype("datetime64[D]") + np.timedelta64(365 * 50 + 12, "D")).astype("datetime64[ms]")
    names = (pd.Series(rng.choice(np.array(list(profile.name_prefixes)), n_ent))
             + pd.Series(rng.choice(np.array(list(TRADE_CHARS)), n_ent))
             + pd.Series(rng.choice(np.array(list(TRADE_CHARS)), n_ent))
             + pd.Series(np.arange(n_ent)).astype(str) + "号工业有限公司")
    parcels = gpd.GeoDataFrame({
        "parcel_id": ids, "owner_uscc": codes[owner], "owner_name": names.to_numpy()[owner],
        "land_use_code": "1001", "township": pd.Series(town).astype(str).radd("乡镇"), "park_id": None,
        "rights_nature": "国有", "rights_type": "出让", "term_start": start, "term_end": term_end,
        "contract_far": np.where(rng.random(n) < 0.4, 1.2, np.nan), "plan_conditions": rng.random(n) < 0.6,
        "standard_land": start >= np.datetime64("2018-01-01"), "status": status, "split_from": None,
        "merged_from": None, "industrial_real_estate": False,
    }, geometry=geoms, crs=f"EPSG:{EPSG}")
    return parcels, owner, codes, names


def scale_buildings_gdf(rng: np.random.Generator, coords: np.ndarray,
                        parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Two buildings per completed or stopped parcel (``scale_buildings``) with floors, heights and uses."""
    n = len(parcels)
    status = parcels["status"].to_numpy()
    ids = parcels["parcel_id"].to_numpy()
    bcoords = scale_buildings(coords)
    nbld = len(bcoords)
    bparcel = np.tile(np.arange(n), 2)
    has_bld = np.isin(status[bparcel], ["已竣工投产", "停产"])
    floors = rng.choice([1, 2, 3, 4, 5], nbld, p=[0.35, 0.2, 0.2, 0.15, 0.1])
    sh = np.where(floors == 1, np.round(rng.uniform(6.5, 12, nbld), 1), np.round(rng.uniform(4.5, 6.5, nbld), 1))
    return gpd.GeoDataFrame({
        "building_id": pd.Series(np.arange(nbld) + 1).astype(str).str.zfill(8).radd("JZ"),
        "parcel_id": ids[bparcel], "floors": floors.astype("int32"),
        "height_m": np.where(floors == 1, sh, np.round(sh + (floors - 1) * 4.5, 1)), "storey_height_m": sh,
        "use": rng.choice(np.array(["生产", "仓储", "行政办公"]), nbld, p=[0.7, 0.2, 0.1]),
        "completed": True, "completed_year": pd.array(np.full(nbld, 2015), dtype="Int32"),
    }, geometry=shapely.polygons(bcoords), crs=f"EPSG:{EPSG}")[has_bld].reset_index(drop=True)


def scale_enterprises(rng: np.random.Generator, profile: Profile, parcel_m2: np.ndarray, owner: np.ndarray,
                      codes: np.ndarray, names: pd.Series) -> pd.DataFrame:
    """The 亩均效益 table of the scale county: two years per enterprise, 规上 the top 30 % by land."""
    n_ent = len(codes)
    ind = np.array(list(profile.industries))
    land_mu = np.bincount(owner, weights=parcel_m2, minlength=n_ent) / M2_PER_MU
    big = land_mu > np.quantile(land_mu, 0.7)
    revenue = np.where(big, np.clip(land_mu * np.exp(rng.normal(np.log(380), 0.7, n_ent)), 2000, 200000),
                       np.clip(land_mu * np.exp(rng.normal(np.log(110), 0.6, n_ent)), 60, 1950))
    rows = []
    for k, year in enumerate((2021, 2022)):
        rev = np.round(revenue * (1 + 0.05 * k) * rng.normal(1, 0.03, n_ent), 2)
        rev = np.where(big, np.maximum(rev, 2000.5), np.minimum(rev, 1990.0))
        va = np.round(rev * rng.uniform(0.16, 0.3, n_ent), 2)
        energy = np.round(va * np.exp(rng.normal(np.log(0.18), 0.6, n_ent)), 2)
        rows.append(pd.DataFrame({
            "统一社会信用代码": codes, "企业名称": names, "年度": year, "规模": np.where(big, "规上", "规下"),
            "营业收入(万元)": rev, "税收实际贡献(万元)": np.round(rev * rng.uniform(0.015, 0.07, n_ent), 2),
            "工业增加值(万元)": va, "年平均职工人数": np.maximum(3, np.round(va / rng.uniform(12, 40, n_ent))).astype(int),
            "综合能耗(吨标准煤)": energy, "主要污染物排放量(吨)": np.round(energy * 0.006, 3),
            "R&D经费支出(万元)": np.round(rev * rng.uniform(0, 0.03, n_ent), 2),
            "行业": ind[rng.integers(0, len(ind), n_ent)]}))
    return pd.concat(rows, ignore_index=True)


def write_scale(out: Path, fmt: str, n: int, profile: Profile, parcels: gpd.GeoDataFrame,
                buildings: gpd.GeoDataFrame, ent: pd.DataFrame, extra: dict | None = None) -> None:
    """Write the scale county's layers (Parquet or one GeoPackage), enterprises.csv and workspace.toml.

    ``extra`` (``--plans``): more layers (GeoDataFrames, written like the parcels) and tables
    (DataFrames, written as ``<name>.csv``)."""
    extra = extra or {}
    layers = {"parcels": parcels, "buildings": buildings,
              **{k: v for k, v in extra.items() if isinstance(v, gpd.GeoDataFrame)}}
    tables = {"enterprises": ent, **{k: v for k, v in extra.items() if not isinstance(v, gpd.GeoDataFrame)}}
    if fmt == "parquet":
        for name, layer in layers.items():
            layer.to_parquet(out / f"{name}.parquet", index=False)
        layer_lines = [f'{name} = "{name}.parquet"' for name in layers]
    else:
        write_gpkg_layers(out / "scale.gpkg", layers)
        layer_lines = [f'{name} = {{ path = "scale.gpkg", layer = "{name}" }}' for name in layers]
    for name, table in tables.items():
        table.to_csv(out / f"{name}.csv", index=False, encoding="utf-8-sig")
    what = "plans, proposals, parks, roads and a study area (--plans)" if extra else "no planted cases"
    toml = ["# Synthetic scale-test county from scripts/make_sample_layers.py --parcels "
            f"{n} ({what}).", "[workspace]", f'county = "{profile.county}（合成 {n} 宗）"',
            f'admin_code = "{profile.admin_code}"', f'ruleset = "{profile.ruleset}"', f"as_of = {profile.as_of}",
            f'crs = "EPSG:{EPSG}"', "", "[layers]", *layer_lines, "", "[tables]",
            *[f'{name} = "{name}.csv"' for name in tables], ""]
    (out / "workspace.toml").write_text("\n".join(toml), encoding="utf-8")
