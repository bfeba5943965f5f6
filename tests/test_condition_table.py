"""The Chinese condition table check-split / check-merge print (geo_tenglong.report.condition_table)."""

from __future__ import annotations

import math

import pandas as pd

from geo_tenglong.report.condition_table import HEADER, format_table, verdict_label, verdict_summary


def _findings():
    return pd.DataFrame({
        "parcel_id": ["S1", "S1", "S2"],
        "condition": ["每宗面积", "受让方亩均评价", "每宗面积"],
        "status": ["fail", "missing_data", "pass"],
        "value": [9.999, math.nan, 15.0],
        "unit": ["亩", None, "亩"],
        "limit": ["≥10 亩", "非C/D类", "≥10 亩"],
        "message": ["每宗面积: 最小分块 9.9990 亩", "缺少上一年度亩均评价结果", "ok"],
        "rule_id": ["TT-SPLIT", "TT-TRANSFER", "TT-SPLIT"],
        "clause": ["四(八)", "四(八)", "四(八)"],
    })


def test_a_table_has_one_aligned_line_per_condition_of_the_proposal():
    lines = format_table(_findings(), "S1")
    assert len(lines) == 2 + 2
    assert all(h in lines[0] for h in HEADER)
    area = lines[2]
    assert "9.9990 亩" in area and "≥10 亩" in area and "不符合" in area
    assert "最小分块 9.9990 亩 [TT-SPLIT 四(八)]" in area and "每宗面积: 最小" not in area
    # a value that could not be measured is a dash, never 0
    assert "—" in lines[3] and " 0 " not in lines[3]
    # the 说明 column starts at the same display column on every line (CJK counts two)
    width = [sum(2 if ord(c) > 0x2E80 else 1 for c in ln[:ln.index(word)]) for ln, word in
             zip(lines[2:], ("最小分块", "缺少上一年度"))]
    assert width[0] == width[1]


def test_verdicts_are_labelled_and_counted_in_chinese():
    assert verdict_label("missing_data") == "数据缺失,待补充"
    assert verdict_label("odd") == "odd"
    assert verdict_summary(["fail", "pass", "fail"], 3, "分割方案") == "共 3 个分割方案: 不符合 2, 符合 1"
    assert verdict_summary([], 0, "合并方案") == "共 0 个合并方案: "
