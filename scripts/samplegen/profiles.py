"""County profiles (天台县, 德清县): towns, areas, seeds and targets; the county anchor."""

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


TT_TOWNS = {"始丰街道": "101", "赤城街道": "102", "福溪街道": "103", "坦头镇": "104", "平桥镇": "105",
            "白鹤镇": "106", "三合镇": "107", "洪畴镇": "108", "街头镇": "109"}


def _tt(name: str) -> tuple[str, str]:
    return (TT_TOWNS[name], name)


TIANTAI = Profile(
    key="tiantai", county="天台县", admin_code="331023", ruleset="tiantai-2022",
    lon=121.03, lat=29.14, as_of="2023-06-30", seed=331023, out="layers", gpkg="tiantai.gpkg",
    areas=(
        AreaSpec("kfq", "天台经济开发区", "经济开发区", 0, 0, 3900, 2300, 9, (260, 420),
                 (_tt("始丰街道"), _tt("福溪街道"))),
        AreaSpec("tingtou", "天台县创业创新园（亭头区块）", "创业创新园", 3900, -1900, 1700, 1200, -6,
                 (230, 360), (_tt("福溪街道"),)),
        AreaSpec("tantou", "坦头创业创新园", "创业创新园", -4100, -2300, 1400, 1000, 15, (230, 340),
                 (_tt("坦头镇"),)),
        AreaSpec("pingqiao", "平桥创业创新园", "创业创新园", -4600, 1500, 1100, 800, -3, (220, 320),
                 (_tt("平桥镇"),)),
        AreaSpec("s_chicheng", "赤城工业点", None, 1700, 2300, 650, 420, 20, (200, 280),
                 (_tt("赤城街道"),), (0.45, 0.45, 0.10, 0.0)),
        AreaSpec("s_baihe", "白鹤工业点", None, -2100, 3000, 700, 450, -12, (200, 300),
                 (_tt("白鹤镇"),), (0.40, 0.40, 0.15, 0.05)),
        AreaSpec("s_sanhe", "三合工业点", None, 5200, 1300, 600, 450, 5, (200, 280),
                 (_tt("三合镇"),), (0.45, 0.40, 0.15, 0.0)),
        AreaSpec("s_hongchou", "洪畴工业点", None, 2500, -3600, 650, 400, -18, (200, 300),
                 (_tt("洪畴镇"),), (0.40, 0.40, 0.20, 0.0)),
        AreaSpec("s_jietou", "街头工业点", None, -1500, -3700, 600, 420, 30, (200, 300),
                 (_tt("街头镇"),), (0.45, 0.45, 0.10, 0.0)),
        AreaSpec("s_pingqiao", "平桥工业点", None, -6200, -600, 700, 480, 8, (200, 320),
                 (_tt("平桥镇"),), (0.30, 0.40, 0.20, 0.10)),
        AreaSpec("s_shifeng", "始丰工业点", None, -2600, 1700, 560, 420, -25, (200, 280),
                 (_tt("始丰街道"),), (0.40, 0.40, 0.20, 0.0)),
    ),
    river_name="始丰溪",
    road_names=("始丰大道", "赤城路", "福溪路", "兴业路", "创业路", "工业大道", "人民东路", "坦头大道",
                "天工路", "云海路", "丰泽路", "银杏路", "平安路", "兴园路", "聚贤路", "腾飞路",
                "和合路", "济公大道", "国清路", "桐柏路", "寒山路", "华顶路", "溪头路", "亭头路",
                "城东路", "城南大道", "滨溪路", "南屏路", "塔后路", "三合路", "泳溪路", "龙溪路"),
    supply_share=(0.35, 0.24, 0.30),
    target_parcels=1500,
    industries=("汽车零部件及配件制造", "橡胶和塑料制品业", "医药制造业", "通用设备制造业", "纺织业",
                "金属制品业", "电气机械和器材制造业", "化学原料和化学制品制造业", "非金属矿物制品业",
                "专用设备制造业", "工业滤布制造", "汽车用品制造"),
    name_prefixes=("浙江", "天台县", "台州", "天台"),
)

DQ_TOWNS = {"武康街道": "001", "舞阳街道": "002", "阜溪街道": "003", "下渚湖街道": "004",
            "乾元镇": "101", "新市镇": "102", "洛舍镇": "103", "钟管镇": "104", "禹越镇": "105",
            "新安镇": "106", "雷甸镇": "107"}


def _dq(name: str) -> tuple[str, str]:
    return (DQ_TOWNS[name], name)


DEQING = Profile(
    key="deqing", county="德清县", admin_code="330521", ruleset="deqing-2021",
    lon=119.97, lat=30.54, as_of="2023-06-30", seed=330521, out="layers/deqing", gpkg="deqing.gpkg",
    areas=(
        AreaSpec("gxq", "德清县高新技术产业开发区", "高新区", 0, 0, 2700, 1700, 4, (280, 420),
                 (_dq("武康街道"), _dq("舞阳街道"))),
        AreaSpec("jkq", "德清经济开发区", "经济开发区", 3600, -1700, 1900, 1300, -8, (260, 400),
                 (_dq("阜溪街道"),)),
        AreaSpec("old_xinshi", "新市老工业园区", "老工业园区", -3300, 2600, 1000, 700, 12, (200, 300),
                 (_dq("新市镇"),), (0.50, 0.40, 0.10, 0.0), False),
        AreaSpec("old_zhongguan", "钟管老工业园区", "老工业园区", -3600, -1800, 900, 700, -10, (200, 300),
                 (_dq("钟管镇"),), (0.50, 0.40, 0.10, 0.0), False),
        AreaSpec("c_luoshe", "洛舍集聚点", None, 1200, 2600, 700, 480, 18, (200, 300),
                 (_dq("洛舍镇"),), (0.35, 0.35, 0.20, 0.10)),
        AreaSpec("c_yuyue", "禹越集聚点", None, -1200, -3200, 650, 450, -20, (200, 300),
                 (_dq("禹越镇"),), (0.40, 0.35, 0.15, 0.10)),
        AreaSpec("c_leidian", "雷甸集聚点", None, 5400, 1000, 480, 360, 6, (180, 260),
                 (_dq("雷甸镇"),), (0.55, 0.40, 0.05, 0.0)),
        AreaSpec("c_xinan", "新安集聚点", None, -5600, 300, 500, 400, -4, (180, 260),
                 (_dq("新安镇"),), (0.55, 0.40, 0.05, 0.0)),
    ),
    river_name="东苕溪",
    road_names=("云岫路", "武康大道", "志远路", "长虹街", "环城北路", "北湖街", "敦和路", "曲园路",
                "双山路", "临溪街", "湘溪路", "康乾街", "塔山街", "秋北路", "永安街", "阜溪路",
                "乾元大道", "新市大道", "钟管路", "禹越路", "雷甸路", "洛舍路", "经一路", "纬二路"),
    supply_share=(0.55, 0.42, 0.50),
    target_parcels=800,
    industries=("通用设备制造业", "电气机械和器材制造业", "非金属矿物制品业", "金属制品业",
                "木材加工和木、竹、藤、棕、草制品业", "家具制造业", "化学原料和化学制品制造业",
                "计算机、通信和其他电子设备制造业", "橡胶和塑料制品业", "地理信息产业"),
    name_prefixes=("浙江", "德清县", "湖州", "德清"),
    supply_threshold=0.50, guishang=210, tenant_hosts=35, landless=25,
    sales_per_mu=(480.0, 400.0),      # 德清 is richer: 规上 亩均税收 about 36 against its target 39.8
)

PROFILES = {"tiantai": TIANTAI, "deqing": DEQING}


def anchor_xy(profile: Profile) -> tuple[float, float]:
    """The county anchor point (lon, lat) projected to EPSG:4528 and rounded to the metre."""
    tr = pyproj.Transformer.from_crs(4490, EPSG, always_xy=True)
    x, y = tr.transform(profile.lon, profile.lat)
    return round(x), round(y)
