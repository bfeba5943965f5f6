"""Enterprises: 统一社会信用代码, names, yearly figures and exact-threshold taxes."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from geo_tenglong.uscc import check_char

from .attributes import completed_parcel
from .constants import M2_PER_MU
from .county import County, ParcelRec, in_park
from .planted.cases import EFFICIENCY_CASES, PROJECT_CASES
from .profiles import Profile

TRADE_CHARS = "华泰立新宏盛德通达丰鑫荣恒誉凯博晨耀银天和合欣创佳美嘉瑞祥远宇星光源力精明安禾盈峰川海永兴旺隆昌汇"
INDUSTRY_WORDS = {
    "汽车零部件及配件制造": ("汽车部件", "汽配"), "橡胶和塑料制品业": ("塑业", "橡塑制品"),
    "医药制造业": ("药业", "生物医药"), "通用设备制造业": ("机械", "通用设备"), "纺织业": ("纺织", "织造"),
    "金属制品业": ("五金制品", "金属制品"), "电气机械和器材制造业": ("电器", "电机"),
    "化学原料和化学制品制造业": ("化工", "新材料"), "非金属矿物制品业": ("建材", "陶瓷"),
    "专用设备制造业": ("机电设备", "智能装备"), "工业滤布制造": ("滤材", "过滤科技"),
    "汽车用品制造": ("汽车用品", "车饰"), "木材加工和木、竹、藤、棕、草制品业": ("木业", "竹木制品"),
    "家具制造业": ("家具", "家居"), "计算机、通信和其他电子设备制造业": ("电子", "光电科技"),
    "地理信息产业": ("测绘科技", "地信科技"),
}
HTML_NAME = "{county}<script>alert(1)</script>精工 & \"星月\" '五金'有限公司"


def org_code(rng: np.random.Generator) -> str:
    """A GB 11714 组织机构代码 body (8 chars) with its check character."""
    if rng.random() < 0.7:
        body = "MA" + "".join(rng.choice(list("0123456789ABCDEFGHJKLMNPQRTUWXY"), 6))
    else:
        body = "".join(rng.choice(list("0123456789"), 8))
    vals = [int(c) if c.isdigit() else ord(c) - 55 for c in body]
    c9 = 11 - sum(v * w for v, w in zip(vals, (3, 7, 9, 10, 5, 8, 4, 2))) % 11
    return body + ("X" if c9 == 10 else "0" if c9 == 11 else str(c9))


def new_uscc(rng: np.random.Generator, admin_code: str, taken: set) -> str:
    """A valid 统一社会信用代码 of an enterprise (91 = 工商, 企业) registered in the county."""
    while True:
        code17 = "91" + admin_code + org_code(rng)
        code = code17 + check_char(code17)
        if code not in taken:
            taken.add(code)
            return code


def new_name(rng: np.random.Generator, profile: Profile, industry: str, taken: set) -> str:
    """A new enterprise name (prefix, two trade characters, industry word, suffix) not in ``taken``."""
    while True:
        trade = "".join(rng.choice(list(TRADE_CHARS), 2))
        word = INDUSTRY_WORDS.get(industry, ("实业", "科技"))[int(rng.integers(2))]
        suffix = "股份有限公司" if rng.random() < 0.15 else "有限公司"
        name = f"{rng.choice(list(profile.name_prefixes))}{trade}{word}{suffix}"
        if name not in taken:
            taken.add(name)
            return name


@dataclass
class Enterprise:
    """An enterprise, its parcels and the planted figures that decide its rows in the table."""

    uscc: str
    name: str
    industry: str
    scale: str = "规下"
    parcels: list = field(default_factory=list)    # ParcelRec
    tenant_m2: float = 0.0
    role: str = ""
    tpm: tuple | None = None        # planted 亩均税收 (2021, 2022)
    revenue: tuple | None = None    # planted 营业收入 (2021, 2022)
    quality: str = "ordinary"       # good / bad / ordinary: drives the other indicators
    draw_scale: str | None = None   # the scale the first version gave (it decides which draws are made)
    legacy: bool = False            # figures mapped as in the first version (owners of planted plans)
    fixed_tpm: tuple | None = None  # 亩均税收 set after the draws (a plan owner's class)
    rows: dict = field(default_factory=dict)

    @property
    def land_m2(self) -> float:
        return sum(p.area for p in self.parcels)


def exact_tax(tpm: float, area_m2: float) -> float:
    """Tax such that ``tax / (area_m2 / (10000/15))`` == ``tpm`` exactly in floating point, and that
    survives the xlsx round trip (openpyxl writes floats with 16 significant digits)."""
    land_mu = area_m2 / M2_PER_MU
    base = tpm * land_mu
    step = np.spacing(base)
    best, best_err = None, math.inf
    for k in range(400):
        for sign in (1, -1):
            t = float("%.16g" % (base + sign * k * step))
            err = abs(t / land_mu - tpm)
            if err == 0:
                return t
            if err < best_err:
                best, best_err = t, err
    return best        # off by an ulp or two: analyses must compare with a tolerance anyway


def has_exact_tax(tpms: tuple[float, ...], area_m2: float) -> bool:
    """Whether every 亩均税收 in ``tpms`` can be hit exactly on a parcel of ``area_m2``."""
    land_mu = area_m2 / M2_PER_MU
    return all(exact_tax(t, area_m2) / land_mu == t for t in tpms)


def enterprise_rows(rng: np.random.Generator, e: Enterprise, sales: tuple[float, float] = (330.0, 300.0)) -> dict:
    """The 2021 and 2022 figures of one enterprise (万元, 人, 吨标准煤, 吨).

    Every call draws the same random numbers in the same order as the first version of this
    generator (so every later pick — data faults, contract date forms, 界址点 files — stays put);
    only the mapping of the draws to figures changed. Planted enterprises (``e.role``) keep the
    first mapping. The others follow the realistic one, calibrated on 天台's 2022 亩均评价 and its
    targets: 规上 亩均税收 about 25 万元/亩 county-wide, 亩均增加值 about 140, 全员劳动生产率 about 24
    万元/人; 规下 enterprises mostly pay 6–20 万元/亩, so that low-efficiency enterprises (≤ 5 万元/亩)
    are a minority, concentrated among 规下 enterprises holding much land for their turnover (a
    规下 enterprise's 营业收入 stays under 2000 万元). Sales per 亩 rise mildly with the land held
    (larger plants are the more productive ones), so the lowest-rated (class D) enterprises are
    mostly small ones.
    """
    land_mu = max(e.land_m2 / M2_PER_MU, 0.0)
    if e.tenant_m2 and not land_mu:
        land_mu = e.tenant_m2 / 0.8 / M2_PER_MU       # nominal: floor area at FAR 0.8
    legacy = (bool(e.role) and e.role not in ("tenant", "landless")) or e.legacy
    rows = {}
    z = rng.normal(0.0, 1.0)              # sales per 亩
    u_rate = rng.uniform(0.0, 1.0)        # tax / revenue
    if e.scale == "规上":
        if legacy:
            rev_per_mu = math.exp(math.log(380) + 0.7 * z)
            rate = 0.02 + (0.07 - 0.02) * u_rate
        else:
            rev_per_mu = math.exp(math.log(sales[0]) + 0.5 * z + 0.4 * math.log(max(land_mu, 3) / 20))
            rate = 0.03 + 0.035 * u_rate
        rev0 = float(np.clip(rev_per_mu * max(land_mu, 3), 2000, 200000)) if e.revenue is None else None
    else:
        if legacy:
            rev_per_mu = math.exp(math.log(110) + 0.6 * z)
            rate = 0.015 + (0.05 - 0.015) * u_rate
        else:
            rev_per_mu = math.exp(math.log(sales[1]) + 0.45 * z + 0.7 * math.log(max(land_mu, 2) / 6))
            rate = 0.028 + 0.03 * u_rate
        rev0 = float(np.clip(rev_per_mu * max(land_mu, 2), 60, 1950)) if e.revenue is None else None
    growth = rng.normal(1.05, 0.09)
    u_va = rng.uniform(0.0, 1.0)
    va_ratio = {"good": 0.32, "bad": 0.09}.get(e.quality, (0.16 + (0.3 - 0.16) * u_va) if legacy else (0.19 + 0.13 * u_va))
    z_energy = rng.normal(0.0, 1.0)
    energy_per_va = {"good": 0.04, "bad": 0.9}.get(e.quality, math.exp(math.log(0.18) + 0.6 * z_energy))
    u_prod = rng.uniform(0.0, 1.0)
    productivity = {"good": 45.0, "bad": 8.0}.get(e.quality, (12 + (40 - 12) * u_prod) if legacy else (14 + 26 * u_prod))
    u_rd = rng.uniform(0.0, 1.0)
    rd_ratio = {"good": 0.045, "bad": 0.002}.get(e.quality, (0.04 if e.scale == "规上" else 0.015) * u_rd)
    for k, year in enumerate((2021, 2022)):
        if e.revenue is not None:
            revenue = float(e.revenue[k])
        else:
            revenue = round(rev0 * (growth if k else 1.0) * rng.normal(1, 0.02), 2)
            floor = 2000.0 + rng.uniform(10, 300) if (e.draw_scale or e.scale) == "规上" else None
            if e.scale == "规上":
                revenue = max(revenue, floor if floor is not None else 2000.0 + 10 + 290 * u_rd)
            else:
                revenue = min(revenue, 1990.0)
        if e.tpm is not None:
            tax = exact_tax(e.tpm[k], e.land_m2)
        else:
            tax = round(revenue * rate * rng.normal(1, 0.05), 2)
            if e.fixed_tpm is not None:
                tax = round(e.fixed_tpm[k] * land_mu, 2)
        va = round(revenue * va_ratio * rng.normal(1, 0.03), 2)
        employees = max(3, int(round(va / productivity)))
        energy = round(va * energy_per_va * rng.normal(1, 0.05), 2)
        emissions = round(energy * rng.uniform(0.002, 0.012), 3)
        rd = round(revenue * rd_ratio, 2)
        rows[year] = dict(revenue=revenue, tax=tax, value_added=va, employees=employees,
                          energy_tce=energy, emissions_t=emissions, rd_expense=rd)
    return rows


class Registry:
    """Creates the county's enterprises with unique codes and names, and hands parcels to them.

    Parameters
    ----------
    county : County
        The county being built; its ``enterprises`` list is the one this registry appends to.
    """

    def __init__(self, county: County) -> None:
        self.county = county
        self.rng = county.rng
        self.codes: set[str] = set()
        self.names: set[str] = set()
        self.ents: list[Enterprise] = []
        county.enterprises = self.ents

    def new(self, industry: str | None = None, **kw) -> Enterprise:
        """A new enterprise (industry drawn from the profile unless given); ``kw`` go to Enterprise."""
        rng, prof = self.rng, self.county.profile
        ind = industry or str(rng.choice(list(prof.industries)))
        e = Enterprise(new_uscc(rng, prof.admin_code, self.codes), new_name(rng, prof, ind, self.names), ind, **kw)
        self.ents.append(e)
        return e

    @staticmethod
    def own(e: Enterprise, p: ParcelRec) -> None:
        """Make ``e`` the owner of parcel ``p``."""
        e.parcels.append(p)
        p.attrs["owner"] = e

    def completed_single(self, role: str, lo: float, hi: float, cond=lambda p: True, tpm=()) -> ParcelRec:
        """Pick a parcel of ``lo``–``hi`` 亩 for ``role`` (exact taxes possible) and mark it completed."""
        county = self.county
        i = county.pick(role, lambda i, p: lo * M2_PER_MU < p.area < hi * M2_PER_MU and cond(p)
                        and has_exact_tax(tpm, p.area))
        p = county.parcels[i]
        completed_parcel(p.attrs, int(self.rng.integers(2005, 2017)))
        return p

    def plant(self, key: str, role: str, p: ParcelRec, **kw) -> Enterprise:
        """A planted enterprise owning ``p``, recorded in ``county.planted_ents[role]`` under ``key``."""
        e = self.new(role=role, **kw)
        self.own(e, p)
        self.county.planted_ents[role] = (key, e)
        return e


def make_enterprises(county: County) -> None:
    """Owners for every supplied parcel, tenants, enterprises without land, and the planted ones.

    Parameters
    ----------
    county : County
        Sets ``enterprises``, ``planted_ents``, ``keep``, ``housing``, ``html_ent``, ``tenancy`` and
        ``landless``, and the ``owner`` of every parcel (None for parcels nobody holds).
    """
    county.planted_ents = {}
    reg = Registry(county)
    plant_case_enterprises(reg)
    plant_keep_and_housing(reg)
    plant_html_name(reg)
    ordinary_owners(reg)
    assign_scales(reg)
    tenants_and_landless(reg)
    for p in county.parcels:
        p.attrs.setdefault("owner", None)


def plant_case_enterprises(reg: Registry) -> None:
    """The efficiency cases, the key projects' owners, the A-grade buyers and the D-grade buyer."""
    for eid, (key, scale, tpm, rev, quality) in EFFICIENCY_CASES.items():
        p = reg.completed_single("efficiency", 10, 45,
                                 (lambda p: not in_park(p)) if eid in ("E06", "E08") else in_park, tpm=tpm)
        reg.plant(key, eid, p, scale=scale, tpm=tpm, revenue=rev, quality=quality)
    for kid, (key, _total, _is_key, _building) in PROJECT_CASES.items():
        p = reg.completed_single("rating", 8, 40)
        reg.plant(key, kid, p, scale="规上", tpm=(1.5, 1.2), revenue=(3500.0, 3800.0), quality="bad")
    for gid, tpm, rev in (("G1", (62.0, 68.0), (42000.0, 46000.0)), ("G2", (72.0, 75.0), (38000.0, 41000.0)),
                          ("G3", (55.0, 62.0), (30000.0, 33000.0))):
        p = reg.completed_single("buyer", 10, 40)
        reg.plant("rating.good_buyers", gid, p, scale="规上", tpm=tpm, revenue=rev, quality="good")
    p = reg.completed_single("buyer", 6, 30)
    reg.plant("rating.bad_buyer", "BAD", p, scale="规上", tpm=(0.6, 0.5), revenue=(2300.0, 2400.0), quality="bad")


def plant_keep_and_housing(reg: Registry) -> None:
    """TT-KEEP: an A- and a D-class owner in each rezoned block; TT-HOUSING: parcels ≥ 50 亩 outside parks."""
    county, rng = reg.county, reg.rng
    county.keep = {"A": [], "D": []}
    for ps in county.rezoned.values():
        for p, cls in ((ps[0], "A"), (ps[1], "D")):
            p.role = p.role or "keep"
            completed_parcel(p.attrs, int(rng.integers(2005, 2015)))
            if cls == "A":
                e = reg.new(scale="规上", tpm=(70.0, 72.0), revenue=(30000.0, 32000.0), quality="good", role="KEEP_A")
            else:
                e = reg.new(scale="规上", tpm=(0.8, 0.7), revenue=(2600.0, 2700.0), quality="bad", role="KEEP_D")
            reg.own(e, p)
            county.keep[cls].append(p)
    county.housing = {"ab": [], "cd": []}
    for cls in ("ab", "ab", "cd"):
        p = reg.completed_single("housing", 50, 400, lambda p: not in_park(p))
        if cls == "ab":
            e = reg.new(scale="规上", tpm=(58.0, 61.0), revenue=(60000.0, 65000.0), quality="good", role="HOUSING_A")
        else:
            e = reg.new(scale="规上", tpm=(2.0, 1.8), revenue=(5000.0, 5200.0), quality="bad", role="HOUSING_D")
        reg.own(e, p)
        county.housing[cls].append(p)


def plant_html_name(reg: Registry) -> None:
    """The enterprise whose name carries markup (the outputs must escape it)."""
    p = reg.completed_single("html", 4, 30)
    e = reg.new(role="HTML")
    e.name = HTML_NAME.format(county=reg.county.profile.county)
    reg.own(e, p)
    reg.county.html_ent = e


def ordinary_owners(reg: Registry) -> None:
    """Ordinary owners: most hold one parcel, some two, a few four (neighbours in the block)."""
    county, rng = reg.county, reg.rng
    order = [int(i) for i in rng.permutation(len(county.parcels))]
    for i in order:
        p = county.parcels[i]
        if "owner" in p.attrs or p.attrs.get("vacant"):
            continue
        e = reg.new()
        reg.own(e, p)
        extra = 1 if rng.random() < 0.36 else (3 if rng.random() < 0.09 else 0)
        if extra and not p.role:
            for j, _ in county.neighbours(i):
                q = county.parcels[j]
                if extra and "owner" not in q.attrs and not q.role and not q.attrs.get("vacant"):
                    reg.own(e, q)
                    extra -= 1


def assign_scales(reg: Registry) -> None:
    """规上: the larger landholders among the ordinary enterprises."""
    ents, prof = reg.ents, reg.county.profile
    ordinary = [e for e in ents if not e.role]
    n_big = prof.guishang - sum(1 for e in ents if e.role and e.scale == "规上")
    # (the draw is the first version's; a narrower spread makes 规上 the larger landholders, as
    # revenue follows land: few 规下 enterprises hold much land)
    noise = reg.rng.normal(0, 1.0, len(ordinary))
    land = np.array([e.land_m2 for e in ordinary])
    for e in ordinary:
        e.draw_scale = "规下"
    for k in np.argsort(-land * np.exp(0.6 * noise))[:n_big]:
        ordinary[int(k)].draw_scale = "规上"          # the first version's pick: it decides the draws
    for k in np.argsort(-land * np.exp(0.1 * noise))[:n_big]:
        ordinary[int(k)].scale = "规上"


def tenants_and_landless(reg: Registry) -> None:
    """Tenants (一地多企) on completed, ordinary parcels, and enterprises without any land."""
    county, rng, prof = reg.county, reg.rng, reg.county.profile
    hosts = [p for p in county.parcels if p.attrs.get("status") == "已竣工投产" and not p.role
             and p.area > 8 * M2_PER_MU and not p.attrs["owner"].role]
    county.tenancy = []
    for k in rng.choice(len(hosts), prof.tenant_hosts, replace=False):
        host = hosts[int(k)]
        for _ in range(int(rng.choice([1, 1, 2, 3]))):
            t = reg.new(scale="规上" if rng.random() < 0.12 else "规下", role="tenant")
            county.tenancy.append([host, t, 0.0])
    county.landless = [reg.new(scale="规上" if rng.random() < 0.2 else "规下", role="landless")
                       for _ in range(prof.landless)]
