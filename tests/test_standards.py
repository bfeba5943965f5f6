"""The national standard schemas and land-use code lists shipped as data (geo_tenglong/standards)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo_tenglong.analysis.enterprise_land import industrial_mask
from geo_tenglong.errors import InputError
from geo_tenglong.io.aliases import map_headers
from geo_tenglong.rules import load_ruleset
from geo_tenglong.standards import area_factor, decode_values, load_standards

INDUSTRIAL = ["0601", "1001", "100101", "100102", "100103", "M1", "M2", "M3"]
NOT_INDUSTRIAL = ["0602", "1002", "1003", "0604", "1101", "0701", "R2", "W1", "B1"]


@pytest.mark.parametrize("name", ["tiantai-2022", "deqing-2021"])
@pytest.mark.parametrize("rule", ["MJ-EVAL", "NAT-COVER"])
def test_every_ruleset_recognises_the_three_code_lists(name, rule):
    codes = load_ruleset(name).get(rule).industrial_land_codes
    assert industrial_mask(INDUSTRIAL, codes).all()
    assert not industrial_mask(NOT_INDUSTRIAL, codes).any()


def test_each_list_names_its_industrial_codes():
    std = load_standards()
    for key, lst in std.land_use_lists.items():
        assert lst["industrial"], key
        for code in lst["industrial"]:
            assert "工业用地" in lst["codes"][code]
    assert std.code_name("0601") == "工业用地"
    assert std.code_name("100103") == "三类工业用地"
    assert std.code_name("m2") == "二类工业用地"
    assert std.code_name("0602") == "采矿用地"
    # the union the built-in rulesets use
    assert set(std.industrial) == {"0601", "1001", "M"}


def test_cadastral_codes_map_to_project_fields():
    zd = ["ZDDM", "BDCDYH", "ZL", "ZDMJ", "MJDW", "YT", "QLLX", "QLXZ", "QLSDFS", "RJL", "JZMD", "JZXG", "QLRMC", "ZJH"]
    m = map_headers(zd, target="parcels")
    assert m["ZDDM"] == "parcel_id" and m["YT"] == "land_use_code" and m["QLRMC"] == "owner_name"
    assert m["ZJH"] == "owner_uscc" and m["QLXZ"] == "rights_type" and m["ZDMJ"] == "declared_area"
    assert m["BDCDYH"] == "unit_id"              # the 28-char unit number is not the 19-char 宗地代码
    zrz = map_headers(["ZDDM", "ZRZH", "JGRQ", "JZWGD", "ZZDMJ", "SCJZMJ", "ZCS", "GHYT"], target="buildings")
    assert zrz == {"ZDDM": "parcel_id", "ZRZH": "building_id", "JGRQ": "completed_date", "JZWGD": "height_m",
                   "ZZDMJ": "footprint_m2", "SCJZMJ": "floor_area_m2", "ZCS": "floors", "GHYT": "use"}
    dltb = map_headers(["DLBM", "DLMC", "QSXZ", "TBMJ"], target="parcels")
    assert dltb["DLBM"] == "land_use_code" and dltb["QSXZ"] == "rights_nature"


def test_lower_case_and_duplicate_codes():
    # a DBF written lower-case still matches; a second code for a field already taken keeps its name
    m = map_headers(["zddm", "yt", "TDYT"], target="parcels")
    assert m == {"zddm": "parcel_id", "yt": "land_use_code"}


def test_target_decides_between_meanings():
    assert map_headers(["用途"], target="land_supply") == {"用途": "use"}
    assert map_headers(["用途"], target="parcels") == {"用途": "land_use_code"}
    assert map_headers(["用地面积(亩)"], target="enterprises") == {"用地面积(亩)": "land_mu"}


def test_platform_and_contract_headers():
    ent = map_headers(["统一社会信用代码", "企业名称", "税收实际贡献(万元)", "工业增加值（万元）", "综合能耗(吨标煤)",
                       "评价等级"], target="enterprises")
    assert list(ent.values()) == ["uscc", "name", "tax", "value_added", "energy_tce", "platform_class"]
    con = map_headers(["电子监管号", "宗地编号", "约定开工时间", "约定竣工时间", "实际开工时间", "成交价款(万元)"],
                      target="contracts")
    assert list(con.values()) == ["contract_id", "parcel_id", "agreed_start", "agreed_completion", "actual_start",
                                  "land_price"]


def test_decode_values_and_area_units():
    std = load_standards()
    df = pd.DataFrame({"rights_type": ["102", "101", "出让", None], "use": [21, 27.0, "60", "生产"]})
    out = decode_values(df, std)
    assert out["rights_type"].tolist()[:3] == ["出让", "划拨", "出让"] and pd.isna(out["rights_type"].iloc[3])
    assert out["use"].tolist() == ["生产", "仓储", "行政办公", "生产"]
    assert area_factor("1", std) == 1.0 and area_factor(3.0, std) == 10000.0
    assert np.isclose(area_factor("亩", std), 10000 / 15)
    assert area_factor("9", std) is None and area_factor(None, std) is None


def test_workspace_extension_merges_over_builtin():
    std = load_standards({"fields": {"parcels": {"GYDKBH": "parcel_id", "YT": "land_use_name"}},
                          "values": {"use": {"29": "生产"}}})
    m = map_headers(["GYDKBH", "YT"], target="parcels", standards=std)
    assert m == {"GYDKBH": "parcel_id", "YT": "land_use_name"}
    assert decode_values(pd.DataFrame({"use": ["29"]}), std)["use"].tolist() == ["生产"]
    with pytest.raises(InputError, match="standards.colours"):
        load_standards({"colours": {}})


def _codes_workspace(tmp_path, option: str = ""):
    import geopandas as gpd

    from conftest import box, write_workspace

    parcels = gpd.GeoDataFrame({"parcel_id": ["331023101001GB00001", "331023101001GB00002", "331023101001GB00003",
                                              "331023101001GB00004"],
                                "land_use_code": ["0601", None, "0602", "m2"]},
                               geometry=[box(i * 100, 0, i * 100 + 90, 90) for i in range(4)], crs=4528)
    root = write_workspace(tmp_path, parcels)
    if option:
        text = (root / "workspace.toml").read_text(encoding="utf-8")
        (root / "workspace.toml").write_text(text.replace("[layers]", f"{option}\n\n[layers]"), encoding="utf-8")
    return root


@pytest.mark.parametrize("option, expected", [("", [True, False, False, True]),
                                              ("unknown_land_use_is_industrial = true", [True, True, False, True])])
def test_parcels_without_land_use_are_industrial_only_when_the_workspace_says_so(tmp_path, option, expected):
    from geo_tenglong.pipeline import base_parcels
    from geo_tenglong.workspace import load_workspace

    ws = load_workspace(_codes_workspace(tmp_path, option))
    codes = ws.ruleset.get("MJ-EVAL").industrial_land_codes
    assert ws.unknown_land_use_is_industrial is bool(option)
    # the stages read results.parcels (base_parcels copies the layer): the workspace's word survives
    assert industrial_mask(base_parcels(ws)["land_use_code"], codes).tolist() == expected


def test_the_option_must_be_a_boolean(tmp_path):
    from geo_tenglong.workspace import load_workspace

    with pytest.raises(InputError, match="unknown_land_use_is_industrial"):
        load_workspace(_codes_workspace(tmp_path, 'unknown_land_use_is_industrial = "yes"'))
