"""Rule specifications for land-use intensity (用地强度): FAR, coverage, admin share, height, and
the 天台 incentives that hang on FAR (TT-FEE, TT-VERT).

The national rules (NAT-FAR, NAT-COVER, NAT-ADMIN, 国土资发〔2008〕24号) are in both rulesets.
``DQ-HOUSING`` (德清 四(五), the same 保障性租赁住房 relaxation as 天台's TT-HOUSING) is not in
POLICY.md and is documented in ``docs/rules.md``.
"""

from __future__ import annotations

import dataclasses

from ..errors import RulesetError
from .schema import RuleSpec, bound, rule_spec

#: 国土资发〔2008〕24号, 工业项目建设用地控制指标: the lowest FAR of each industry (国民经济行业分类
#: 13–43), keyed by a word found in the industry's name. Used as TT-VERT's 行业容积率.
NATIONAL_INDUSTRY_FAR = {
    "农副食品": 1.0, "食品": 1.0, "饮料": 1.0, "烟草": 1.0, "纺织服装": 1.0, "服饰": 1.0, "纺织": 0.8,
    "滤布": 0.8, "皮革": 1.0, "木材": 0.8, "家具": 0.8, "造纸": 0.8, "印刷": 0.8, "文教": 1.0,
    "石油": 0.5, "炼焦": 0.5, "化学原料": 0.6, "化学制品": 0.6, "医药": 0.7, "化学纤维": 0.8,
    "橡胶": 0.8, "塑料": 1.0, "非金属矿物": 0.7, "黑色金属": 0.6, "有色金属": 0.6, "金属制品": 0.7,
    "通用设备": 0.7, "专用设备": 0.7, "汽车": 0.7, "交通运输设备": 0.7, "电气机械": 0.7,
    "通信设备": 1.0, "计算机": 1.0, "电子设备": 1.0, "仪器仪表": 1.0, "工艺品": 1.0,
    "废弃资源": 0.7,
}


@rule_spec("NAT-FAR")
@dataclasses.dataclass(frozen=True)
class FarSpec(RuleSpec):
    """NAT-FAR: how floor area and 容积率 are counted.

    Attributes
    ----------
    tall_storey_m : float
        A storey taller than this (m, exclusive) counts twice.
    typical_storey_m : float
        Where ``floors`` is missing, floors = max(1, round(height_m / typical_storey_m)).
    count_incomplete : bool
        Count buildings marked ``completed = false`` (under construction).
    no_floor_uses : tuple of str
        Building ``use`` values with a footprint but no floor area (构筑物, 堆场): they count in
        建筑系数 only.
    """

    tall_storey_m: float = bound(8.0, min=0)
    typical_storey_m: float = bound(4.5, min=0.5)
    count_incomplete: bool = False
    no_floor_uses: tuple[str, ...] = ("构筑物", "堆场")


@rule_spec("NAT-COVER")
@dataclasses.dataclass(frozen=True)
class CoverSpec(RuleSpec):
    """NAT-COVER: 建筑系数 = (buildings + 构筑物 + 堆场) footprint / land ≥ ``min_share``.

    Attributes
    ----------
    min_share : float
    statuses : tuple of str
        Parcel ``status`` values checked (built land; empty parcels are the idle stage's business).
    industrial_land_codes : tuple of str
        ``land_use_code`` prefixes checked (an empty tuple: every parcel).
    """

    min_share: float = bound(0.30, min=0, max=1)
    statuses: tuple[str, ...] = ("已竣工投产", "停产")
    industrial_land_codes: tuple[str, ...] = ("1001",)


@rule_spec("NAT-ADMIN")
@dataclasses.dataclass(frozen=True)
class AdminSpec(RuleSpec):
    """NAT-ADMIN: 行政办公及生活服务设施 ≤ ``max_share`` of the land.

    Where the admin land is not mapped (the workspace has no such polygons) its share of the land
    is apportioned by the admin buildings' share of the floor area.

    Attributes
    ----------
    max_share : float
    admin_uses : tuple of str
        Building ``use`` values that are 行政办公及生活服务.
    """

    max_share: float = bound(0.07, min=0, max=1)
    admin_uses: tuple[str, ...] = ("行政办公", "生活服务")


@rule_spec("TT-HOUSING")
@dataclasses.dataclass(frozen=True)
class HousingSpec(RuleSpec):
    """TT-HOUSING: where the admin share may rise (宿舍型保障性租赁住房).

    Attributes
    ----------
    land_share, floor_share : float
        The raised caps: share of the land and of the floor area.
    min_land_mu : float
        Outside parks: the project's land (亩, inclusive) …
    classes : tuple of str
        … of an enterprise of these 亩均 classes.
    park_statuses : tuple of str
        Inside parks: the existing (存量) projects, by parcel ``status``.
    """

    land_share: float = bound(0.15, min=0, max=1)
    floor_share: float = bound(0.30, min=0, max=1)
    min_land_mu: float = bound(50.0, min=0)
    classes: tuple[str, ...] = ("A", "B")
    park_statuses: tuple[str, ...] = ("已竣工投产", "停产")


@rule_spec("DQ-HOUSING")
@dataclasses.dataclass(frozen=True)
class DeqingHousingSpec(HousingSpec):
    """DQ-HOUSING: 德清 四(五), the same relaxation as TT-HOUSING."""


@rule_spec("TT-FAR-DEFAULT")
@dataclasses.dataclass(frozen=True)
class FarDefaultSpec(RuleSpec):
    """TT-FAR-DEFAULT: outside the listed parks, with no plan conditions, FAR and height caps.

    Attributes
    ----------
    far_max : float
        容积率 ≤ this (inclusive).
    height_max_m : float
        建筑高度 ≤ this (m, inclusive).
    park_kinds : tuple of str
        Park ``kind`` values whose parcels follow the 标准地 rules instead (a park with
        ``standard_land_rules = true`` counts too).
    """

    far_max: float = bound(1.1, min=0)
    height_max_m: float = bound(24.0, min=0)
    park_kinds: tuple[str, ...] = ("经济开发区", "创业创新园")


@rule_spec("TT-FEE")
@dataclasses.dataclass(frozen=True)
class FeeSpec(RuleSpec):
    """TT-FEE: with no contract FAR, floor area above ``far_base`` × land pays no 配套费.

    Attributes
    ----------
    far_base : float
    """

    far_base: float = bound(1.1, min=0)


@rule_spec("TT-VERT")
@dataclasses.dataclass(frozen=True)
class VerticalSpec(RuleSpec):
    """TT-VERT: the 工业大厦型零增地技改 subsidy.

    Attributes
    ----------
    yuan_per_m2 : float
        Subsidy per m² of approved expansion floor area (元).
    cap_wan : float
        At most this per enterprise (万元).
    min_expansion_m2 : float
        Total expansion floor area at least this (m², inclusive).
    default_contract_far : float
        The contract FAR where the contract sets none.
    industry_far : dict
        Word in the industry name → 行业容积率 (the longest matching word wins).
    default_industry_far : float
        For an industry no word matches.
    """

    yuan_per_m2: float = bound(50.0, min=0)
    cap_wan: float = bound(50.0, min=0)
    min_expansion_m2: float = bound(1000.0, min=0)
    default_contract_far: float = bound(1.1, min=0)
    industry_far: dict[str, float] = dataclasses.field(default_factory=lambda: dict(NATIONAL_INDUSTRY_FAR))
    default_industry_far: float = bound(1.0, min=0)

    def __post_init__(self):
        for key, value in self.industry_far.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise RulesetError(f"expected a FAR ≥ 0, got {value!r}", None, f"rules.{self.rule_id}.industry_far.{key}")
