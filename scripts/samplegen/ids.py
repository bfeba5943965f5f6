"""Final parcel geometry and ids: overlap cleaning and 宗地代码 assignment."""

from __future__ import annotations

import shapely
import shapely.affinity
import shapely.ops

from .county import County, ParcelRec
from .geometry import largest_polygon, snap


def clean_overlaps(county: County) -> None:
    """Overlays may snap by a fraction of a millimetre; give any resulting overlap to the parcel
    whose exact area does not matter (planted exact-area parcels are kept as they are)."""
    for _ in range(3):
        if not _clean_pass(county):
            break


def _clean_pass(county: County) -> bool:
    geoms = [p.geom for p in county.parcels]
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    exact = ("renovation", "split")
    changed = False
    for i, j in zip(left, right):
        if i >= j:
            continue
        pi, pj = county.parcels[i], county.parcels[j]
        if pi.geom.intersection(pj.geom).area <= 1e-7:
            continue
        if pi.role in exact:
            victim, other = pj, pi
        elif pj.role in exact:
            victim, other = pi, pj
        else:
            victim, other = (pi, pj) if pi.area >= pj.area else (pj, pi)
        victim.geom = snap(largest_polygon(victim.geom.difference(other.geom)))
        changed = True
    return changed


def assign_ids(county: County) -> None:
    """宗地代码 for every parcel: admin code + township + 街坊 (block, numbered north to south) +
    ``GB`` + sequence number (west to east, with the small gaps real cadastres have)."""
    admin = county.profile.admin_code
    county.parcels = [p for p in county.parcels if p is not None]
    clean_overlaps(county)
    county.invalidate()
    by_town: dict[str, list[int]] = {}
    for bi, b in enumerate(county.layout.blocks):
        by_town.setdefault(b.township[0], []).append(bi)
    block_no = {}
    for _town, bis in by_town.items():
        bis.sort(key=lambda bi: (-round(county.layout.blocks[bi].geom.centroid.y, -1),
                                 county.layout.blocks[bi].geom.centroid.x))
        for k, bi in enumerate(bis, start=1):
            block_no[bi] = k
    members: dict[int, list[ParcelRec]] = {}
    for p in county.parcels:
        members.setdefault(p.block, []).append(p)
    for bi, ps in members.items():
        ps.sort(key=lambda p: (round(p.geom.centroid.x, -1), -p.geom.centroid.y))
        seq = 0
        for p in ps:
            seq += int(county.rng.choice([1, 1, 1, 2, 3]))
            town = county.layout.blocks[bi].township[0]
            p.attrs["parcel_id"] = f"{admin}{town}{block_no[bi]:03d}GB{seq:05d}"
    ids = [p.attrs["parcel_id"] for p in county.parcels]
    assert len(set(ids)) == len(ids), "duplicate parcel ids"
    county.by_id = {p.attrs["parcel_id"]: p for p in county.parcels}
