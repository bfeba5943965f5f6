"""Planted split (分割) and merge (合并) proposals."""

from __future__ import annotations

from ..constants import M2_PER_MU
from ..county import County, in_park
from ..cuts import long_axis, split_parts
from ..geometry import largest_polygon

# Split proposals: (id, manifest key, parcel 亩 range, part areas as a function of parcel m²)
SPLIT_CASES = (
    ("S01", "split.pass", (25, 60), lambda a: [a / 2]),
    ("S02", "split.pass_part_exactly_10mu", (22, 45), lambda a: [10 * M2_PER_MU]),
    ("S03", "split.fail_min_area", (22, 45), lambda a: [9.999 * M2_PER_MU]),
    ("S04", "split.pass_three_parts", (36, 90), lambda a: [a / 3, a / 3]),
    ("S05", "split.fail_max_parts", (48, 120), lambda a: [a / 4] * 3),
    ("S06", "split.pass_four_parts_industrial_real_estate", (48, 120), lambda a: [a / 4] * 3),
    ("S07", "split.fail_building_cut", (25, 70), lambda a: [a / 2]),
    ("S08", "split.pass_building_over_5cm", (25, 70), lambda a: [a / 2]),
    ("S09", "split.fail_not_completed", (25, 60), lambda a: [a / 2]),
    ("S10", "split.fail_second_split", (25, 60), lambda a: [a / 2]),
    ("S11", "split.fail_merged_parcel", (25, 60), lambda a: [a / 2]),
    ("S12", "split.fail_admin_alone", (25, 60), lambda a: [a / 2]),
    ("S13", "split.fail_buyer_rating", (25, 60), lambda a: [a / 2]),
    ("S14", "split.fail_parts_gap", (25, 60), lambda a: [a / 2]),
    ("S15", "split.fail_parts_overlap", (25, 60), lambda a: [a / 2]),
)


def plant_splits(county: County) -> None:
    """Pick a parcel for every split case and cut it into parts (exact areas by bisection)."""
    county.splits = {}
    for sid, key, (lo, hi), parts_of in SPLIT_CASES:
        def fits(i, p, lo=lo, hi=hi):
            if not (lo * M2_PER_MU < p.area < hi * M2_PER_MU) or p.geom.interiors:
                return False
            if lo >= 45 and not in_park(p):     # keep big parcels outside parks for TT-HOUSING
                return False
            _, _, length = long_axis(p.geom)
            return p.area / length > 55      # wide enough for a building across the cut

        for _attempt in range(40):
            i = county.pick("split", fits)
            p = county.parcels[i]
            parts, cuts = split_parts(p.geom, parts_of(p.area))
            ok = all(q is not None and not q.buffer(-8).is_empty for q in parts)
            ok = ok and all(c.geom_type == "LineString" for c in cuts)
            targets = parts_of(p.area)
            ok = ok and all(abs(q.area - t) < 1e-6 for q, t in zip(parts, targets))
            if ok:
                break
            p.role = "skipped"
        else:
            raise RuntimeError(f"could not plant split {sid}")
        if sid == "S14":
            parts[1] = largest_polygon(parts[1].difference(cuts[0].buffer(1.0, cap_style="flat")))
        if sid == "S15":
            parts[0] = largest_polygon(parts[0].union(parts[1].intersection(cuts[0].buffer(1.0, cap_style="flat"))))
        p.attrs["split"] = sid
        county.splits[sid] = dict(parcel=p, key=key, parts=parts, cuts=cuts)


def plant_merges(county: County, quads: list[int]) -> None:
    """Pairs of parcels for the merge proposals."""
    county.merges = {}

    def pair(role):
        def fits(i, p):
            return (8 * M2_PER_MU < p.area < 40 * M2_PER_MU
                    and any(county.free(j) and s > 30 and 8 * M2_PER_MU < county.parcels[j].area < 40 * M2_PER_MU
                            for j, s in county.neighbours(i)))
        i = county.pick(role, fits)
        j = next(j for j, s in sorted(county.neighbours(i), key=lambda t: -t[1])
                 if county.free(j) and s > 30 and 8 * M2_PER_MU < county.parcels[j].area < 40 * M2_PER_MU)
        county.parcels[j].role = role
        return [county.parcels[i], county.parcels[j]]

    county.merges["M01"] = ("merge.pass", pair("merge"))
    quads = [county.parcels[q] for q in quads]
    county.merges["M02"] = ("merge.fail_corner_touch", [quads[0], quads[2]])
    county.merges["M03"] = ("merge.fail_rights_type", pair("merge"))
    county.merges["M04"] = ("merge.pass_term_unified", pair("merge"))
    county.merges["M05"] = ("merge.fail_buyer_rating", pair("merge"))
    county.merges["M06"] = ("merge.pass", [quads[1], quads[2]])
