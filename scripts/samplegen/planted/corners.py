"""Planted corner cases: the quadrant block, the enclave, gaps (夹心地, 边角地, slivers) and
the plots requested by 零增地 renovations."""

from __future__ import annotations

import numpy as np
from shapely.geometry import Polygon

from ..constants import M2_PER_MU
from ..county import County, Gap, ParcelRec, in_park, is_enclosed
from ..cuts import carve_exact, long_axis
from ..geometry import largest_polygon, snap


def plant_quadrant_block(county: County) -> list[int]:
    """Replace the cells of one block outside parks by four quadrants meeting at one point, so
    that diagonal quadrants touch only at a corner (merge case). Returns the four indices."""
    blocks = county.layout.blocks
    cands = [bi for bi, b in enumerate(blocks)
             if b.park_id is None and 35000 < b.geom.area < 90000 and len(b.cells) >= 4]
    bi = cands[int(county.rng.integers(len(cands)))]
    block = blocks[bi].geom
    origin, u, length = long_axis(block)
    c = np.round(np.asarray(block.centroid.coords[0]), 3)
    n = np.array([-u[1], u[0]])
    L = 3000.0
    quads = []
    for su, sn in ((1, 1), (-1, 1), (-1, -1), (1, -1)):
        wedge = Polygon([c, c + su * u * L, c + su * u * L + sn * n * L, c + sn * n * L])
        quads.append(snap(largest_polygon(block.intersection(wedge))))
    # drop the block's old cells and append the quadrants
    county.parcels = [p for p in county.parcels if p.block != bi]
    start = len(county.parcels)
    for q in quads:
        county.parcels.append(ParcelRec(q, bi, blocks[bi].area_key, None, blocks[bi].township,
                                        role="merge_quadrant"))
    county.invalidate()
    county.manifest["_corner_point"] = [float(c[0]), float(c[1])]
    return list(range(start, start + 4))


def plant_enclave(county: County) -> tuple[int, int]:
    """Cut a small parcel out of the middle of a large one: the large parcel gets a hole."""
    i = county.pick("hole_outer", lambda i, p: 25 * M2_PER_MU < p.area < 60 * M2_PER_MU
                    and not p.geom.buffer(-45).is_empty)
    outer = county.parcels[i]
    c = np.round(np.asarray(outer.geom.buffer(-45).representative_point().coords[0]), 3)
    origin, u, _ = long_axis(outer.geom)
    n = np.array([-u[1], u[0]])
    hw, hd = 22.5, 20.0
    ring = [c - u * hw - n * hd, c + u * hw - n * hd, c + u * hw + n * hd, c - u * hw + n * hd]
    inner = snap(Polygon(np.round(ring, 3)))
    outer.geom = snap(outer.geom.difference(inner))
    county.parcels.append(ParcelRec(inner, outer.block, outer.area_key, outer.park_id,
                                    outer.township, role="hole_inner"))
    county.invalidate()
    return i, len(county.parcels) - 1


def plant_gaps(county: County) -> None:
    """零星边角地/夹心地: enclosed gaps, corner gaps, 2 m slivers, and gaps in 永久基本农田, outside
    the 城镇开发边界 and in non-industrial zoning."""
    def small(i, p):
        return (2.2 * M2_PER_MU < p.area < 8 * M2_PER_MU)
    for k in range(4):
        parkcond = (lambda p: in_park(p)) if k < 3 else (lambda p: not in_park(p))
        try:
            i = county.pick("gap", lambda i, p, c=parkcond: small(i, p) and c(p) and is_enclosed(county, i))
        except RuntimeError:        # a county whose sites have no enclosed small parcel
            i = county.pick("gap", lambda i, p: small(i, p) and is_enclosed(county, i))
        county.remove_as_gap(i, "corners.enclosed", "夹心地: enclosed by parcels")
    for _ in range(3):
        i = county.pick("gap", lambda i, p: small(i, p) and county.road_contact(i) > 15
                        and len(county.neighbours(i)) >= 2)
        county.remove_as_gap(i, "corners.corner", "边角地: between parcels and a road")
    for _ in range(3):
        def sliver_ok(i, p):
            return 6 * M2_PER_MU < p.area < 40 * M2_PER_MU and any(s > 60 for _, s in county.neighbours(i))
        i = county.pick("sliver_donor", sliver_ok)
        j = max(county.neighbours(i), key=lambda t: t[1])[0]
        a = county.parcels[i].geom
        new_a = largest_polygon(a.difference(county.parcels[j].geom.buffer(2.0, join_style="mitre")))
        sliver = a.difference(new_a)
        county.parcels[i].geom = new_a
        county.parcels[j].role = county.parcels[j].role or "sliver_neighbour"
        county.gaps.append(Gap("corners.sliver", largest_polygon(sliver), "2 m sliver between two parcels"))
        county.invalidate()
    # gaps at a site's outer edge: half in 永久基本农田, and one outside the 城镇开发边界
    outline_edge = {k: o.exterior for k, o in county.layout.outlines.items()}

    def edge_cell(i, p):
        return (not in_park(p) and small(i, p) and county.road_contact(i) < 1
                and p.geom.boundary.intersection(outline_edge[p.area_key].buffer(0.01)).length > 20)

    i = county.pick("gap", edge_cell)
    site = county.parcels[i].area_key
    g = county.remove_as_gap(i, "corners.half_in_farmland", "half inside 永久基本农田")
    outside = county.layout.outlines[site].buffer(300).difference(county.layout.outlines[site])
    half = carve_exact(g.geom, outside, g.geom.area / 2, check_rest=False)[0]
    county.farmland_extra.append((site, half))
    i = county.pick("gap", lambda i, p: edge_cell(i, p) and p.area_key != site)
    g = county.remove_as_gap(i, "corners.outside_urban_boundary", "outside 城镇开发边界")
    county.ub_holes.append(g.geom)
    i = county.pick("gap", lambda i, p: small(i, p) and is_enclosed(county, i))
    g = county.remove_as_gap(i, "corners.non_industrial_zoning", "zoned G (绿地) in 控规")
    county.zoning_extra.append((g.geom, "G"))


# Renovation (零增地技改) plans that request corner plots: (id, manifest key, parcel 亩 range,
# requested area as a function of the parcel's planar area in m²)
RENOVATION_PLOT_CASES = (
    ("R01", "renovation.plots_pct20_exact", (15, 45), lambda a: 0.2 * a),
    ("R02", "renovation.plots_pct20_over", (15, 45), lambda a: 0.2 * a + 1.0),
    ("R03", "renovation.plots_mu10_exact", (52, 160), lambda a: 10 * M2_PER_MU),
    ("R04", "renovation.plots_mu10_over", (52, 160), lambda a: 10 * M2_PER_MU + 1.0),
    ("R05", "renovation.far_fail_area_pass", (12, 60), lambda a: 0.04 * a),
    ("R06", "renovation.far_fail_area_fail", (12, 60), lambda a: 0.04 * a),
)


def plant_renovation_plots(county: County) -> None:
    """Carve, next to each renovating parcel, a plot of exactly the requested area."""
    county.renov_plots = {}
    for rid, key, (lo, hi), want in RENOVATION_PLOT_CASES:
        def fits(i, p, lo=lo, hi=hi, want=want):
            if not (lo * M2_PER_MU < p.area < hi * M2_PER_MU):
                return False
            if lo >= 45 and not in_park(p):     # keep big parcels outside parks for TT-HOUSING
                return False
            target = want(p.area)
            for j, shared in county.neighbours(i):
                if county.free(j) and shared > 15 and county.parcels[j].area > target + 1600:
                    return True
            return False

        for _attempt in range(30):
            i = county.pick("renovation", fits)
            p = county.parcels[i]
            target = want(p.area)
            done = False
            for j, _shared in sorted(county.neighbours(i), key=lambda t: -t[1]):
                if not county.free(j) or county.parcels[j].area < target + 1600:
                    continue
                res = carve_exact(county.parcels[j].geom, p.geom, target)
                if res is None:
                    continue
                gap, rest = res
                county.parcels[j].geom = rest
                county.parcels[j].role = "renovation_donor"
                county.gaps.append(Gap("corners.requested", gap, f"requested by renovation {rid}"))
                county.renov_plots[rid] = (county.parcels[i], gap, key)
                p.attrs["renovation"] = rid
                county.invalidate()
                done = True
                break
            if done:
                break
            p.role = "skipped"
        else:
            raise RuntimeError(f"could not plant renovation plot {rid}")
