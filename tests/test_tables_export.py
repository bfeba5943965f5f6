"""Tables as bureaus and the 亩均论英雄 platform export them (geo_tenglong/io/tables.py)."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from geo_tenglong.errors import InputError
from geo_tenglong.io.schema import TABLES
from geo_tenglong.io.tables import read_table, year_in_name

A = "91331023MA2AAAAA0X"
B = "91331023MA2AAAAB0Y"


def _platform_sheet(ws, year, rows):
    ws.append([f"{year}年度天台县工业企业亩均效益综合评价结果"])          # title row
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=7)
    ws.append(["填报单位:天台县经信局", None, None, None, None, "单位:万元"])   # a second title row
    ws.append(["序号", "统一社会信用代码", "企业名称", "税收实际贡献(万元)", None, "工业增加值(万元)", "用地面积(亩)"])
    ws.append([None, None, None, "本年", "上年", None, None])
    ws.merge_cells(start_row=3, start_column=4, end_row=3, end_column=5)
    for r in rows:
        ws.append(r)
    ws.append(["合计", None, None, "1,500.0", "1,300", "6,000", "45"])


def _workbook(path, years=(2022,)):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for y in years:
        _platform_sheet(wb.create_sheet(f"{y}年亩均效益评价"), y,
                        [[1, A, "甲公司", "1,234.5", "1,000", "5,000", "30"],
                         [2, B, "乙公司", "265.5", "300", "1,000.0", "15"]])
    wb.save(path)
    return path


def test_year_in_name():
    assert year_in_name("2022年亩均效益评价") == 2022
    assert year_in_name("亩均_2021") == 2021
    assert year_in_name("Sheet1") is None
    assert year_in_name("2021-2022") is None          # two years: ambiguous


def test_title_rows_merged_header_total_row_and_text_numbers(tmp_path):
    path = _workbook(tmp_path / "亩均.xlsx")
    df = read_table(path, TABLES["enterprises"], target="enterprises")
    this = df[df["year"] == 2022].set_index("uscc")
    prev = df[df["year"] == 2021].set_index("uscc")
    assert this.loc[A, "tax"] == 1234.5 and this.loc[B, "tax"] == 265.5         # "1,234.5" as a number
    assert prev.loc[A, "tax"] == 1000.0 and prev.loc[B, "tax"] == 300.0          # 上年 → the year before
    assert this.loc[A, "value_added"] == 5000.0
    assert pd.isna(prev.loc[A, "value_added"])   # only 税收 was given for 上年
    assert this.loc[A, "source_row"] == 5        # the row a user sees in Excel
    assert "合计" not in df["name"].astype(str).tolist() and len(df) == 4
    issues = df.attrs["data_issues"]
    assert [i["kind"] for i in issues] == ["total_row"]
    assert "第7行" in issues[0]["message"] and "合计" in issues[0]["message"]


def test_one_sheet_per_year_and_the_sheet_year_wins(tmp_path):
    path = _workbook(tmp_path / "亩均评价.xlsx", years=(2021, 2022))
    df = read_table(path, TABLES["enterprises"], target="enterprises")
    assert sorted(df["year"].unique().tolist()) == [2020, 2021, 2022]
    # 2021 comes from the 2021 sheet's 本年, not from the 2022 sheet's 上年 column
    rows = df[(df["year"] == 2021) & (df["uscc"] == A)]
    assert len(rows) == 1 and rows["tax"].iloc[0] == 1234.5
    assert rows["source_sheet"].iloc[0] == "2021年亩均效益评价"
    assert len(df.attrs["data_issues"]) == 2    # one 合计 row per sheet


def test_year_from_the_file_name(tmp_path):
    path = tmp_path / "2022年亩均效益评价.csv"
    path.write_text("统一社会信用代码,企业名称,税收实际贡献(万元)\n" f"{A},甲公司,\"1,234\"\n总计,,1234\n",
                    encoding="utf-8")
    df = read_table(path, TABLES["enterprises"], target="enterprises")
    assert df["year"].tolist() == [2022] and df["tax"].tolist() == [1234.0]
    assert df.attrs["data_issues"][0]["kind"] == "total_row"


def test_gbk_csv_with_a_title_row(tmp_path):
    path = tmp_path / "tenancy.csv"
    path.write_bytes("一地多企租赁情况表\n宗地代码,统一社会信用代码,租用建筑面积(平方米)\nP1,U1,\"1,200\"\n".encode("gbk"))
    df = read_table(path, TABLES["tenancy"], target="tenancy")
    assert df[["parcel_id", "uscc", "floor_area_m2"]].values.tolist() == [["P1", "U1", 1200.0]]
    assert df["source_row"].tolist() == [3]


def test_category_over_field_names(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "年度", "经济指标", None])
    ws.append([None, None, "营业收入", "税收实际贡献"])
    ws.merge_cells("C1:D1")
    ws.append([A, 2022, 100, 10])
    wb.save(tmp_path / "t.xlsx")
    df = read_table(tmp_path / "t.xlsx", TABLES["enterprises"], target="enterprises")
    assert df[["revenue", "tax"]].values.tolist() == [[100.0, 10.0]]


def test_a_prev_year_column_without_any_year_is_an_input_error(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "税收实际贡献", None])
    ws.append([None, "本年", "上年"])
    ws.merge_cells("B1:C1")
    ws.append([A, 10, 9])
    wb.save(tmp_path / "t.xlsx")
    with pytest.raises(InputError, match="上年"):
        read_table(tmp_path / "t.xlsx", TABLES["enterprises"], target="enterprises")


def test_year_subheaders_give_one_row_per_year(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "企业名称", "税收实际贡献(万元)", None, "工业增加值(万元)", None])
    ws.append([None, None, "2021年", "2022年", "2021年", "2022年"])
    ws.merge_cells("C1:D1")
    ws.merge_cells("E1:F1")
    ws.append([A, "甲公司", "1,000", "1,234.5", 5000, 6000])
    ws.append([B, "乙公司", None, 300, None, 900])
    wb.save(tmp_path / "t.xlsx")
    df = read_table(tmp_path / "t.xlsx", TABLES["enterprises"], target="enterprises")
    got = {(u, int(y)): (t, v) for u, y, t, v in df[["uscc", "year", "tax", "value_added"]].itertuples(index=False)}
    assert got == {(A, 2021): (1000.0, 5000.0), (A, 2022): (1234.5, 6000.0), (B, 2022): (300.0, 900.0)}


def test_numbers_with_full_width_digits_and_spaces(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("统一社会信用代码,年度,税收实际贡献(万元)\n" f"{A},2022,\"１，２３４．５\"\n{B},2022, 1 000 \n",
                    encoding="utf-8")
    df = read_table(path, TABLES["enterprises"], target="enterprises")
    assert df["tax"].tolist() == [1234.5, 1000.0]
