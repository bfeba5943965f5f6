"""Parcel records, gaps and the County being built (the state every step adds to)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
import shapely.affinity
import shapely.ops
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from .constants import M2_PER_MU
from .layout import Layout
from .profiles import Profile


def mu(m2: float) -> float:
    """m² to 亩."""
    return m2 / M2_PER_MU


@dataclass
class ParcelRec:
    """One parcel while the county is being built (attributes filled in later)."""

    geom: BaseGeometry
    block: int
    area_key: str
    park_id: str | None
    township: tuple[str, str]
    role: str = ""                  # planted role, "" for an ordinary parcel
    attrs: dict = field(default_factory=dict)

    @property
    def area(self) -> float:
        return self.geom.area


@dataclass
class Gap:
    """A planted unallocated plot (零星边角地/夹心地)."""

    key: str
    geom: BaseGeometry
    note: str = ""


class County:
    """Mutable state of the generation: layout, parcels, gaps and the manifest being written.

    The constructor sets the layout-derived state; the annotations below list what the later
    steps of ``build.build_county`` attach (module that sets it in brackets). ``build.write_workspace``
    reads all of it, so a later state of the county is a changed ``County``.
    """

    rng_admin: np.random.Generator           # second stream: admin building sizes only [build]
    rezoned: dict                            # block index -> parcels of a block rezoned R/B/G [planted.corners]
    renov_plots: dict                        # renovation id -> (parcel, gap, manifest key) [planted.corners]
    splits: dict                             # split id -> planted split proposal [planted.splits]
    merges: dict                             # merge id -> (manifest key, parcels) [planted.splits]
    by_id: dict                              # 宗地代码 -> ParcelRec [ids]
    idle: dict                               # idle case id -> case dict [planted.roles]
    vacant: list                             # parcels nobody holds [planted.roles]
    no_contract_bare: ParcelRec              # bare on both rasters, no contract [planted.roles]
    enterprises: list                        # every Enterprise [enterprises]
    planted_ents: dict                       # role -> (manifest key, Enterprise) [enterprises]
    keep: dict                               # "A"/"D" -> parcels in rezoned blocks [enterprises]
    housing: dict                            # "ab"/"cd" -> parcels ≥ 50 亩 outside parks [enterprises]
    html_ent: Any                            # the Enterprise whose name carries markup [enterprises]
    tenancy: list                            # [host parcel, tenant Enterprise, floor area m²] [enterprises]
    landless: list                           # enterprises without land [enterprises]
    buildings: list                          # building dicts [buildings]
    admin_set: set                           # parcels whose admin share is planted [buildings]
    tall: list                               # buildings > 24 m outside parks [buildings]
    admin_heavy: list                        # buildings of planted admin-share cases [buildings]
    contracts: list                          # contract rows [contracts]
    renovations: list                        # renovation (零增地技改) rows [contracts]
    projects: list                           # key project rows [contracts]
    merge_rows: list                         # merge proposal rows [contracts]
    split_rows: list                         # split proposal parts [contracts]

    def __init__(self, profile: Profile, rng, layout: Layout):
        self.profile = profile
        self.rng = rng
        self.layout = layout
        self.parcels: list[ParcelRec] = []
        for bi, b in enumerate(layout.blocks):
            for c in b.cells:
                self.parcels.append(ParcelRec(c, bi, b.area_key, b.park_id, b.township))
        self.gaps: list[Gap] = []
        self.manifest: dict = {}
        self.road_union = shapely.union_all([r.poly for r in layout.roads])
        self.farmland_extra = []       # polygons added to 永久基本农田
        self.ub_holes = []             # polygons cut out of the 城镇开发边界
        self.zoning_extra = []         # (polygon, code) zoning patches
        self._tree = None
        self._nb = {}

    # -- neighbourhood -------------------------------------------------------------------------
    def tree(self):
        if self._tree is None:
            self._tree = shapely.STRtree([p.geom if p is not None else Point() for p in self.parcels])
        return self._tree

    def invalidate(self):
        self._tree = None
        self._nb = {}

    def neighbours(self, i: int, min_shared: float = 1.0) -> list[tuple[int, float]]:
        """Parcels sharing at least ``min_shared`` metres of boundary with parcel ``i``."""
        key = (i, min_shared)
        if key in self._nb:
            return self._nb[key]
        g = self.parcels[i].geom
        out = []
        for j in self.tree().query(g.buffer(0.01)):
            j = int(j)
            if j == i or self.parcels[j] is None:
                continue
            shared = g.boundary.intersection(self.parcels[j].geom.buffer(0.005)).length
            if shared >= min_shared:
                out.append((j, shared))
        self._nb[key] = out
        return out

    def road_contact(self, i: int) -> float:
        """Length of parcel ``i``'s boundary on a road surface."""
        return self.parcels[i].geom.boundary.intersection(self.road_union.buffer(0.005)).length

    def free(self, i: int) -> bool:
        return self.parcels[i] is not None and not self.parcels[i].role

    def pick(self, role: str, cond, prefer=None) -> int:
        """Reserve a free parcel satisfying ``cond(i, rec)`` for ``role`` (random among matches,
        or the best by ``prefer`` when given)."""
        if prefer:
            cands = [i for i, p in enumerate(self.parcels) if p is not None and not p.role and cond(i, p)]
            i = max(cands, key=prefer) if cands else None
        else:   # random order, first match: a uniform choice without testing every parcel
            i = next((int(i) for i in self.rng.permutation(len(self.parcels))
                      if self.parcels[i] is not None and not self.parcels[i].role
                      and cond(int(i), self.parcels[i])), None)
        if i is None:
            raise RuntimeError(f"no parcel fits planted role {role!r}")
        self.parcels[i].role = role
        return i

    def remove_as_gap(self, i: int, key: str, note: str = "") -> Gap:
        gap = Gap(key, self.parcels[i].geom, note)
        self.gaps.append(gap)
        self.parcels[i] = None
        self.invalidate()
        return gap


def is_enclosed(county: County, i: int) -> bool:
    """All of parcel ``i``'s boundary is shared with other parcels (no road, no outline edge)."""
    nb = county.neighbours(i)
    return len(nb) >= 3 and sum(s for _, s in nb) >= county.parcels[i].geom.length - 0.5


def in_park(p: ParcelRec) -> bool:
    """Whether the parcel lies in an industrial park."""
    return p.park_id is not None
