"""What a county profile holds (areas, towns, seeds, targets) and the county anchor; the counties are
``tiantai``, ``deqing`` and ``counties.PROFILES``."""

from __future__ import annotations

from dataclasses import dataclass

import pyproj

from .constants import EPSG


@dataclass(frozen=True)
class AreaSpec:
    """One industrial area: a park or a site outside parks.

    Offsets and sizes are metres from the county anchor point; ``townships`` are (code, name)
    pairs, split west to east across the area.
    """

    key: str
    name: str
    kind: str | None            # park kind, None for a site outside parks
    dx: float
    dy: float
    width: float
    height: float
    angle: float                # degrees, rotation of the road grid
    spacing: tuple[float, float]
    townships: tuple[tuple[str, str], ...]
    size_mix: tuple[float, float, float, float] = (0.30, 0.45, 0.20, 0.05)
    standard_land_rules: bool = True


@dataclass(frozen=True)
class Profile:
    """A county: where it is, what it is called and how its industrial land is laid out."""

    key: str
    county: str
    admin_code: str
    ruleset: str
    lon: float
    lat: float
    as_of: str
    seed: int
    out: str
    gpkg: str
    areas: tuple[AreaSpec, ...]
    river_name: str
    road_names: tuple[str, ...]
    supply_share: tuple[float, float, float]     # industrial share 2021, 2022, 2023
    target_parcels: int
    industries: tuple[str, ...]
    name_prefixes: tuple[str, ...]
    supply_threshold: float = 0.30      # TT-SUPPLY 30 %, DQ-SUPPLY 50 %
    guishang: int = 380                 # 规上 enterprises among the ordinary landholders
    tenant_hosts: int = 60              # parcels hosting tenants (一地多企)
    landless: int = 40                  # enterprises with no land at all
    sales_per_mu: tuple[float, float] = (330.0, 300.0)   # median 营业收入 per 亩 (万元), 规上 / 规下


def anchor_xy(profile: Profile) -> tuple[float, float]:
    """The county anchor point (lon, lat) projected to EPSG:4528 and rounded to the metre."""
    tr = pyproj.Transformer.from_crs(4490, EPSG, always_xy=True)
    x, y = tr.transform(profile.lon, profile.lat)
    return round(x), round(y)
