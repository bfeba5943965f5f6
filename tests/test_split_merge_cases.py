"""Hand-made parcels, buildings, proposals and 亩均评价 classes for the split/merge tests.

Every case is built so the expected verdict follows from the geometry by construction: a parcel
300 m × 100 m is 45 亩; a strip 100 m tall and ``w`` m wide is ``w × 100 / (10000/15)`` 亩, so
``w = 200/3`` is exactly 10 亩 and ``w = 66.66`` is 9.999 亩.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from conftest import ORIGIN, ZONE40, box

P_MAIN = "331023101001GB00001"   # 300 × 100 m, completed, the split fixture
P_EAST = "331023101001GB00002"   # 100 × 100 m east of P_MAIN
P_CORNER = "331023101001GB00003"  # touches P_EAST only at its north-east corner
P_SPLIT = "331023101001GB00004"   # came from an earlier split
P_MERGED = "331023101001GB00005"  # came from a merge
P_BUILDING = "331023101001GB00006"  # in construction
P_IRE = "331023101001GB00007"     # 工业地产
P_STD = "331023101001GB00008"     # 标准地, north of P_MAIN
P_GAP = "331023101001GB00009"     # 5 cm gap from P_EAST (digitising noise) — still adjacent
P_FOUR = "331023101001GB00010"    # 400 × 100 m, completed, no buildings: for counting parts

BUYER_B = "91331023MA2B000001"   # class B in 2022 (C in 2021)
BUYER_C = "91331023MA2C000002"   # class C in 2022
BUYER_D = "91331023MA2D000003"   # class D in 2022
BUYER_NEW = "91331023MA2N000004"  # not evaluated
OWNER = "91331023MA2O000005"      # holds P_MAIN and P_EAST; class D in 2022

X0 = 2000.0  # the second row of test parcels, far from the first


def parcels() -> gpd.GeoDataFrame:
    """The test parcels (EPSG:4528)."""
    rows = [
        # id, geometry, status, split_from, merged_from, ire, std, nature, rights_type, term_end
        (P_MAIN, box(0, 0, 300, 100), "已竣工投产", None, None, False, False, "国有", "出让", "2055-12-31"),
        (P_EAST, box(300, 0, 400, 100), "已竣工投产", None, None, False, False, "国有", "出让", "2061-06-30"),
        (P_CORNER, box(400, 100, 500, 200), "已竣工投产", None, None, False, False, "国有", "出让", "2058-01-01"),
        (P_SPLIT, box(X0, 0, X0 + 300, 100), "已竣工投产", "331023101001GB00099", None, False, False,
         "国有", "出让", "2055-12-31"),
        (P_MERGED, box(X0, 200, X0 + 300, 300), "已竣工投产", None, "331023101001GB00097;331023101001GB00098",
         False, False, "国有", "出让", "2055-12-31"),
        (P_BUILDING, box(X0, 400, X0 + 300, 500), "在建", None, None, False, False, "国有", "出让", "2055-12-31"),
        (P_IRE, box(X0, 600, X0 + 400, 700), "已竣工投产", None, None, True, False, "国有", "出让", "2055-12-31"),
        (P_STD, box(0, 100, 300, 200), "已竣工投产", None, None, False, True, "国有", "划拨", "2055-12-31"),
        (P_GAP, box(400.05, 0, 500, 100), "已竣工投产", None, None, False, False, "国有", "出让", "2061-06-30"),
        (P_FOUR, box(X0, 800, X0 + 400, 900), "已竣工投产", None, None, False, False, "国有", "出让", "2055-12-31"),
    ]
    cols = ["parcel_id", "geometry", "status", "split_from", "merged_from", "industrial_real_estate",
            "standard_land", "rights_nature", "rights_type", "term_end"]
    df = pd.DataFrame(rows, columns=cols)
    df["term_end"] = pd.to_datetime(df["term_end"]).dt.date
    df["land_use_code"] = "1001"
    df["owner_uscc"] = None
    df.loc[df["parcel_id"].isin([P_MAIN, P_EAST]), "owner_uscc"] = OWNER
    return gpd.GeoDataFrame(df, geometry="geometry", crs=ZONE40)


def buildings() -> gpd.GeoDataFrame:
    """Buildings on P_MAIN, none cut by lines at x = 100 and 200.

    Part [0, 100] holds B-PROD-1; [100, 200] B-PROD-2 (and B-WARE, found by location: its
    parcel_id is empty); [200, 300] the office, the dormitory and B-PROD-3.
    """
    rows = [
        ("B-PROD-1", P_MAIN, "生产", box(10, 20, 60, 80)),
        ("B-PROD-2", P_MAIN, "生产", box(110, 20, 160, 80)),
        ("B-WARE", None, "仓储", box(165, 20, 190, 40)),
        ("B-OFFICE", P_MAIN, "行政办公", box(215, 10, 245, 40)),
        ("B-DORM", P_MAIN, "生活服务", box(215, 60, 245, 90)),
        ("B-PROD-3", P_MAIN, "生产", box(255, 20, 290, 80)),
        ("B-IRE", P_IRE, "生产", box(X0 + 20, 620, X0 + 60, 680)),
    ]
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=["building_id", "parcel_id", "use", "geometry"]),
                            geometry="geometry", crs=ZONE40)


def with_building(bid: str, geom, use: str = "生产", parcel_id: str = P_MAIN, drop=()) -> gpd.GeoDataFrame:
    """:func:`buildings` plus one more building, minus the ids in ``drop``."""
    base = buildings()
    base = base[~base["building_id"].isin(drop)]
    extra = gpd.GeoDataFrame({"building_id": [bid], "parcel_id": [parcel_id], "use": [use]}, geometry=[geom], crs=ZONE40)
    return gpd.GeoDataFrame(pd.concat([base, extra], ignore_index=True), geometry="geometry", crs=ZONE40)


def proposal(pid: str, parcel_id: str, cuts: list[float], buyer: str = BUYER_B, y0: float = 0.0, y1: float = 100.0,
             x0: float = 0.0, x1: float = 300.0) -> gpd.GeoDataFrame:
    """A split proposal cutting the strip [x0, x1] × [y0, y1] at the x offsets ``cuts`` (one row per part)."""
    edges = [x0, *cuts, x1]
    geoms = [box(a, y0, b, y1) for a, b in zip(edges[:-1], edges[1:])]
    return gpd.GeoDataFrame({"proposal_id": pid, "parcel_id": parcel_id, "part_no": [str(i + 1) for i in range(len(geoms))],
                             "buyer_uscc": buyer}, geometry=geoms, crs=ZONE40)


def cut_line(x: float, y0: float = -5.0, y1: float = 105.0) -> shapely.LineString:
    """A north–south cut line at offset ``x`` (crossing the 100 m tall strip)."""
    return shapely.LineString([(ORIGIN[0] + x, ORIGIN[1] + y0), (ORIGIN[0] + x, ORIGIN[1] + y1)])


def eval_table() -> pd.DataFrame:
    """``enterprise_eval`` as the efficiency stage publishes it (two years; 2022 is the latest)."""
    return pd.DataFrame({
        "uscc": [BUYER_B, BUYER_B, BUYER_C, BUYER_D, OWNER],
        "year": [2021, 2022, 2022, 2022, 2022],
        "eval_class": ["C", "B", "C", "D", "D"],
        "class_name": ["调控帮扶类", "提升发展类", "调控帮扶类", "倒逼整治类", "倒逼整治类"],
    })


def by_condition(findings: pd.DataFrame, proposal_id: str) -> dict[str, pd.Series]:
    """The findings of one proposal keyed by condition."""
    sub = findings[findings["parcel_id"] == proposal_id]
    return {row["condition"]: row for _, row in sub.iterrows()}
