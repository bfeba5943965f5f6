"""德清县 (ruleset deqing-2021): townships, parks and sites, seed and targets; written to ``layers/deqing/``."""

from __future__ import annotations

from .profiles import AreaSpec, Profile

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
