"""Constraint layers (water, parks, 城镇开发边界, 永久基本农田, 生态保护红线, zoning, roads)."""

from __future__ import annotations

import geopandas as gpd
import shapely
import shapely.affinity
import shapely.ops

from .constants import EPSG
from .county import County, ParcelRec
from .geometry import area_outline, largest_polygon, polygons_of, snap
from .planted.cases import ZONE_NAMES, D


def constraint_layers(county: County) -> dict:
    """城镇开发边界, 永久基本农田, 生态保护红线, 控规 zoning, parks, water, roads as GeoDataFrames."""
    rng, lay, prof = county.rng, county.layout, county.profile
    crs = f"EPSG:{EPSG}"
    areas = shapely.union_all(list(lay.outlines.values()))
    ub = areas
    for h in county.ub_holes:
        ub = ub.difference(h)
    urban = gpd.GeoDataFrame({"id": ["CZKFBJ01"], "name": ["城镇开发边界"]}, geometry=[snap(ub)], crs=crs)
    # basic farmland around three sites outside parks (one holds half of a planted gap)
    avoid = areas.buffer(20).union(lay.river.buffer(10)).union(shapely.union_all([r.poly for r in lay.roads]))
    sites = [a.key for a in prof.areas if a.kind is None]
    farm_site, half = county.farmland_extra[0]
    chosen = [farm_site] + [s for s in sites if s != farm_site][:2]
    farm = []
    for _k, key in enumerate(chosen):
        ring = lay.outlines[key].buffer(350).difference(avoid)
        if key == farm_site:
            near = lay.outlines[key].buffer(350).difference(lay.outlines[key]).difference(
                areas.difference(lay.outlines[key]).buffer(20)).difference(lay.river.buffer(10))
            ring = ring.union(near.intersection(half.buffer(60))).union(half)
        farm.append(snap(shapely.union_all(polygons_of(ring))))
    farmland = gpd.GeoDataFrame({"id": [f"JBNT{k + 1:03d}" for k in range(len(farm))],
                                 "name": ["永久基本农田保护图斑"] * len(farm)}, geometry=farm, crs=crs)
    ax, ay = lay.anchor
    eco = []
    for dx, dy, w, h in ((0, 5200, 9000, 1800), (1000, -5800, 8000, 1600)):
        blob = area_outline(rng, ax + dx, ay + dy, w, h, rng.uniform(-8, 8), 48)
        eco.append(snap(largest_polygon(blob.difference(areas.buffer(150)))))
    eco_gdf = gpd.GeoDataFrame({"id": ["STBHHX01", "STBHHX02"], "name": ["生态保护红线（北部山区）", "生态保护红线（南部山区）"]},
                               geometry=eco, crs=crs)
    zones = []
    g_gap = county.zoning_extra[0][0] if county.zoning_extra else None
    for b in lay.blocks:
        geom = b.geom
        if g_gap is not None and geom.intersects(g_gap) and geom.intersection(g_gap).area > 1:
            zones.append((g_gap, "G"))
            geom = geom.difference(g_gap)
        zones.append((geom, b.zone))
    for _key, o in lay.outlines.items():
        ru = shapely.union_all([r.poly for r in lay.roads]).intersection(o)
        zones.append((ru, "S"))
    zoning = gpd.GeoDataFrame({"zone_id": [f"KG{k + 1:04d}" for k in range(len(zones))],
                               "land_use_code": [z for _, z in zones],
                               "land_use_name": [ZONE_NAMES[z] for _, z in zones]},
                              geometry=[snap(g) for g, _ in zones], crs=crs)
    parks = gpd.GeoDataFrame({"park_id": [pid for pid, _, _ in lay.parks], "name": [s.name for _, s, _ in lay.parks],
                              "kind": [s.kind for _, s, _ in lay.parks],
                              "standard_land_rules": [bool(s.standard_land_rules) for _, s, _ in lay.parks]},
                             geometry=[g for _, _, g in lay.parks], crs=crs)
    water = gpd.GeoDataFrame({"water_id": [f"SY{k + 1:02d}" for k in range(1 + len(lay.ponds))],
                              "name": [prof.river_name] + ["水塘"] * len(lay.ponds)},
                             geometry=[lay.river] + lay.ponds, crs=crs)
    roads = gpd.GeoDataFrame({"road_id": [f"DL{k + 1:04d}" for k in range(len(lay.roads))],
                              "name": [r.name for r in lay.roads], "road_class": [r.road_class for r in lay.roads],
                              "width_m": [float(r.width) for r in lay.roads]},
                             geometry=[r.poly for r in lay.roads], crs=crs)
    return dict(urban_boundary=urban, basic_farmland=farmland, eco_redline=eco_gdf, zoning=zoning,
                parks=parks, water=water, roads=roads)


def yard_classes(p: ParcelRec, bs: list) -> tuple[int, int]:
    """Land cover of a parcel outside its buildings on the 2021 and 2023 images."""
    a = p.attrs
    if "lc" in a:
        return a["lc"]
    if a["status"] in ("已竣工投产", "停产"):
        first = min((b["completed_year"] for b in bs), default=2015)
        return (1 if first <= 2020 else 2, 1)
    if a["status"] == "在建":
        return (2 if a.get("actual_start") and a["actual_start"] <= D(2021, 10, 15) else 3, 2)
    return (3, 3)
