"""Messages that show the reason (issue 14, point 4): a value on the failing side of a threshold
prints on that side, and a missing value prints as 无数据 without a unit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo_tenglong.findings import fmt_pair, fmt_share, fmt_share_pair, fmt_value, separating_decimals

from test_efficiency_support import code, ent_rows, make_ws, parcels_frame, run_stages


@pytest.mark.parametrize("value,threshold,decimals,expected", [
    (0.2999, 0.3, 1, "29.99%"),          # not "30.0%"
    (0.3, 0.3, 1, "30.0%"),              # equal: the usual decimals
    (0.30001, 0.3, 1, "30.001%"),        # just above stays above
    (2999 / 9000, 1 / 3, 1, "33.32%"),   # not "33.3%" beside an exact 1/3
    (0.2499999, 0.25, 1, "24.99999%"),
    (np.nan, 0.3, 1, "无数据"),
])
def test_share_prints_on_its_side(value, threshold, decimals, expected):
    assert fmt_share(value, threshold, decimals) == expected


def test_value_and_threshold_share_their_decimals():
    assert fmt_pair(2999 / 9000 * 100, 100 / 3, 1, "%") == ("33.32%", "33.33%")
    assert fmt_share_pair(0.2999, 0.3) == ("29.99%", "30%")
    assert fmt_pair(10.0000001, 10.0, 2, "万元/亩") == ("10.0000001万元/亩", "10万元/亩")
    # within the inclusive tolerance (含) a value is the threshold
    assert fmt_value(10.0 + 1e-12, 10.0, 2) == "10.00"
    assert separating_decimals(1.1004, 1.1, 2) == 4


def test_missing_value_has_no_unit():
    assert fmt_value(None, 10, 2, "万元/亩") == "无数据"
    assert fmt_value(float("nan"), None, 2, "万元/亩") == "无数据"
    assert fmt_value(5, None, 2, "万元/亩") == "5.00万元/亩"


def test_tt_t4_message_without_last_year_is_not_garbled():
    """"2021年无数据万元/亩" was printed for an enterprise without 2021 rows."""
    parcels = parcels_frame([{"parcel_id": "L1", "mu": 10.0, "owner_uscc": code(1), "land_use_code": "1001"}])
    ent = pd.DataFrame([ent_rows(code(1), "甲", "规上", 2022, 2000, 49.99, 300, 20, 50, 1, 10)])
    res = run_stages(make_ws(parcels, {"enterprises": ent}), ("efficiency",))
    f = res.findings[(res.findings["rule_id"] == "TT-T4") & (res.findings["status"] == "fail")]
    assert len(f) == 1
    msg = f.iloc[0]["message"]
    assert "2021年无数据," in msg and "无数据万元" not in msg and "2022年4.999万元/亩" in msg
