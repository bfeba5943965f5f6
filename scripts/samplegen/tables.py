"""Table headers and the rows of the enterprise and contract tables (with planted faults)."""

from __future__ import annotations

import datetime as dt

from geo_tenglong.uscc import ALPHABET

from .county import County
from .enterprises import enterprise_rows
from .planted.cases import D

ENTERPRISE_HEADERS = {"uscc": "统一社会信用代码", "name": "企业名称", "year": "年度", "scale": "规模",
                      "revenue": "营业收入(万元)", "tax": "税收实际贡献(万元)", "value_added": "工业增加值(万元)",
                      "employees": "年平均职工人数", "energy_tce": "综合能耗(吨标准煤)",
                      "emissions_t": "主要污染物排放量(吨)", "rd_expense": "R&D经费支出(万元)", "industry": "行业"}
CONTRACT_HEADERS = {"contract_id": "合同编号", "parcel_id": "宗地代码", "kind": "供地方式", "signed_date": "签订日期",
                    "agreed_start": "约定动工日期", "agreed_completion": "约定竣工日期", "actual_start": "实际动工日期",
                    "total_investment": "总投资(万元)", "invested": "已完成投资(万元)",
                    "due_area_m2": "应开发面积(平方米)", "developed_area_m2": "已开发面积(平方米)",
                    "suspended_since": "停工日期", "gov_cause": "政府原因", "land_price": "出让价款(万元)"}
TENANCY_HEADERS = {"parcel_id": "宗地代码", "uscc": "统一社会信用代码", "floor_area_m2": "租用建筑面积(平方米)"}
PROJECT_HEADERS = {"project_id": "项目编号", "uscc": "统一社会信用代码", "parcel_id": "宗地代码", "name": "项目名称",
                   "key_project": "是否重点项目", "total_investment": "总投资(万元)", "under_construction": "是否在建",
                   "built_year": "建成年份", "energy_tce": "年综合能耗(吨标准煤)"}
MERGE_HEADERS = {"proposal_id": "方案编号", "parcel_ids": "合并宗地代码", "buyer_uscc": "受让方统一社会信用代码"}
SUPPLY_HEADERS = {"year": "年度", "use": "用途", "area_mu": "供地面积(亩)"}


def enterprise_table(county: County) -> tuple[list[list], dict]:
    """Rows of enterprises.xlsx (2021 then 2022) with the planted data faults; returns the faults."""
    rng = county.rng
    for e in county.enterprises:
        e.rows = enterprise_rows(rng, e, county.profile.sales_per_mu)
    plain = [e for e in county.enterprises if not e.role and e.parcels and len(e.parcels) == 1
             and e.parcels[0].attrs["status"] == "已竣工投产"]
    pick = [plain[int(k)] for k in rng.choice(len(plain), 5, replace=False)]
    bad_code, dup, zero, missing, negative = pick
    zero.rows[2022]["employees"] = 0
    missing.rows[2022]["tax"] = None
    negative.rows[2022]["energy_tce"] = -abs(negative.rows[2022]["energy_tce"])
    wrong = bad_code.uscc[:17] + ALPHABET[(ALPHABET.index(bad_code.uscc[17]) + 7) % 31]
    rows = []
    for year in (2021, 2022):
        for e in county.enterprises:
            r = e.rows[year]
            code = wrong if (e is bad_code and year == 2022) else e.uscc
            row = [code, e.name, year, e.scale, r["revenue"], r["tax"], r["value_added"], r["employees"],
                   r["energy_tce"], r["emissions_t"], r["rd_expense"], e.industry]
            rows.append(row)
            if e is dup and year == 2022:
                rows.append(list(row))
    faults = {
        "invalid_uscc": [{"uscc": wrong, "valid_uscc": bad_code.uscc, "name": bad_code.name, "year": 2022}],
        "duplicate_row": [{"uscc": dup.uscc, "name": dup.name, "year": 2022}],
        "zero_employees": [{"uscc": zero.uscc, "year": 2022, "field": "employees"}],
        "missing_value": [{"uscc": missing.uscc, "year": 2022, "field": "tax"}],
        "negative_value": [{"uscc": negative.uscc, "year": 2022, "field": "energy_tce",
                            "value": negative.rows[2022]["energy_tce"]}],
    }
    return rows, faults


def contract_cells(county: County) -> tuple[list[list], dict, dict]:
    """Rows of contracts.xlsx with dates in the forms bureaus type, and exactly one unreadable date."""
    rng = county.rng
    rows, fmts = [], {}
    date_fields = ("signed_date", "agreed_start", "agreed_completion", "actual_start", "suspended_since")
    keys = list(CONTRACT_HEADERS)
    planted = {c["contract_id"] for c in county.idle.values() if "contract_id" in c}
    ordinary = [k for k, r in enumerate(county.contracts) if r["contract_id"] not in planted]
    tbd_row = ordinary[int(rng.integers(len(ordinary)))]
    unreadable = None
    for k, r in enumerate(county.contracts):
        row = []
        for c, key in enumerate(keys, start=1):
            v = r[key]
            if key in date_fields and v is not None:
                form = int(rng.choice(5, p=[0.45, 0.2, 0.12, 0.13, 0.1]))
                if form == 0:
                    v = dt.datetime(v.year, v.month, v.day)
                    fmts[(k + 2, c)] = "yyyy-mm-dd"
                elif form == 1:
                    v = v.isoformat()
                elif form == 2:
                    v = f"{v.year}/{v.month}/{v.day}"
                elif form == 3:
                    v = f"{v.year}年{v.month}月{v.day}日"
                else:
                    v = (v - D(1899, 12, 30)).days          # Excel serial number in a General cell
            if k == tbd_row and key == "agreed_completion":
                unreadable = {"contract_id": r["contract_id"], "parcel_id": r["parcel_id"],
                              "field": "agreed_completion", "header": CONTRACT_HEADERS[key], "value": "待定",
                              "row": k + 2}
                v = "待定"
            row.append(v)
        rows.append(row)
    return rows, fmts, unreadable
