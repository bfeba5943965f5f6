"""Tables of the planted cases: idle land, efficiency, key projects; zone names."""

from __future__ import annotations

import datetime as dt

D = dt.date
ZONE_NAMES = {"M1": "一类工业用地", "M2": "二类工业用地", "M3": "三类工业用地", "R": "居住用地",
              "B": "商业服务业设施用地", "G": "绿地与广场用地", "S": "道路与交通设施用地"}

# Idle-land cases: id -> (manifest key, status, agreed_start, actual_start, developed share,
# invested share, suspended_since, gov_cause, land cover 2021/2023)
IDLE_CASES = {
    "I01": ("idle.nat_idle_1_tier1", "未动工", D(2022, 3, 15), None, 0, 0, None, None, (2, 2)),
    "I02": ("idle.nat_idle_1_tier2", "未动工", D(2020, 9, 10), None, 0, 0, None, None, (2, 2)),
    "I03": ("idle.nat_idle_2_developed_area", "在建", D(2020, 8, 1), D(2020, 11, 2), 0.2, 0.45,
            D(2021, 11, 20), None, (2, 2)),
    "I04": ("idle.nat_idle_2_investment", "在建", D(2020, 10, 1), D(2020, 12, 15), 0.5, 0.18,
            D(2022, 2, 15), None, (2, 2)),
    "I05": ("idle.not_idle_suspended_under_1y", "在建", D(2021, 9, 1), D(2021, 10, 8), 0.2, 0.15,
            D(2022, 12, 20), None, (2, 2)),
    "I06": ("idle.not_idle_under_1y", "未动工", D(2022, 11, 1), None, 0, 0, None, None, (3, 2)),
    "I07": ("idle.gov_cause", "未动工", D(2020, 6, 1), None, 0, 0, None, "规划调整", (2, 2)),
    "I08": ("imagery.contract_started_but_bare", "在建", D(2021, 3, 1), D(2021, 6, 1), 0.4, 0.5,
            None, None, (2, 2)),
}

# Planted enterprises: role -> (manifest key, scale, 亩均税收 2021/2022, revenue 2021/2022, quality)
EFFICIENCY_CASES = {
    "E01": ("efficiency.billion_low_both_years", "规上", (8.0, 9.0), (15000.0, 16500.0), "ordinary"),
    "E02": ("efficiency.billion_low_one_year", "规上", (14.0, 9.5), (14000.0, 15500.0), "ordinary"),
    "E03": ("efficiency.billion_exactly_10", "规上", (10.0, 10.0), (12000.0, 12600.0), "ordinary"),
    "E04": ("efficiency.revenue_exactly_1yi_low", "规上", (7.0, 7.5), (10000.0, 10000.0), "ordinary"),
    "E05": ("efficiency.revenue_just_under_1yi_low", "规上", (7.0, 7.5), (9999.99, 9999.99), "ordinary"),
    "E06": ("efficiency.low_le5", "规下", (3.5, 3.0), (800.0, 850.0), "ordinary"),
    "E07": ("efficiency.low_exactly_5", "规上", (6.0, 5.0), (3000.0, 3200.0), "ordinary"),
    "E08": ("efficiency.low_just_over_5", "规上", (6.0, 5.01), (3100.0, 3300.0), "ordinary"),
}

# Key projects (TT-RATE): id -> (manifest key, total investment, key project, under construction)
PROJECT_CASES = {
    "K01": ("rating.key_project_a_override", 12000.0, True, True),
    "K02": ("rating.key_project_exactly_1yi_a_override", 10000.0, True, True),
    "K03": ("rating.key_project_not_d", 4500.0, True, True),
    "K04": ("rating.key_project_exactly_3000_not_d", 3000.0, True, True),
    "K05": ("rating.key_project_below_3000_no_override", 2999.0, True, True),
    "K06": ("rating.key_project_completed_no_override", 15000.0, True, False),
    "K07": ("rating.non_key_project_no_override", 20000.0, False, True),
}
