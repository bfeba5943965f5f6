"""Tests of geo_tenglong.uscc (GB 32100-2015 统一社会信用代码)."""

import numpy as np
import pandas as pd
import pytest

from geo_tenglong import uscc

# The example printed in the standard, and codes built with the check character.
GOOD = ["91350100M000100Y43", "91331023MA2A000004"]


def test_check_char_standard_example():
    assert uscc.check_char("91350100M000100Y4") == "3"


@pytest.mark.parametrize("code", GOOD)
def test_is_valid_good(code):
    assert uscc.is_valid(code)
    assert uscc.is_valid(f"  {code} ")


@pytest.mark.parametrize("code", [
    "91350100M000100Y44",      # wrong check character
    "91350100M000100Y4",       # 17 characters
    "91350100M000100Y433",     # 19 characters
    "91350100I000100Y43",      # I is not in the alphabet
    "91350100m000100y43",      # lower case
    "９1350100M000100Y43",      # full-width digit
    None, np.nan, 913501001, "",
])
def test_is_valid_bad(code):
    assert not uscc.is_valid(code)


def test_check_char_rejects_bad_input():
    with pytest.raises(ValueError):
        uscc.check_char("123")
    with pytest.raises(ValueError):
        uscc.check_char("91350100O000100Y4")


def test_every_check_value_round_trips():
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(2000):
        body = "".join(rng.choice(list(uscc.ALPHABET), 17))
        c = uscc.check_char(body)
        seen.add(c)
        assert uscc.is_valid(body + c)
        wrong = uscc.ALPHABET[(uscc.ALPHABET.index(c) + 1) % 31]
        assert not uscc.is_valid(body + wrong)
    assert len(seen) == 31


def test_valid_mask_matches_scalar():
    rng = np.random.default_rng(1)
    codes = []
    for _ in range(500):
        body = "".join(rng.choice(list(uscc.ALPHABET), 17))
        last = uscc.check_char(body) if rng.random() < 0.7 else rng.choice(list(uscc.ALPHABET))
        codes.append(body + last)
    codes += [None, np.nan, "short", "９1350100M000100Y43", " 91350100M000100Y43", 5]
    s = pd.Series(codes, dtype=object)
    mask = uscc.valid_mask(s)
    assert mask.dtype == bool and mask.shape == (len(codes),)
    assert mask.tolist() == [uscc.is_valid(c) for c in codes]


def test_valid_mask_empty_and_all_missing():
    assert uscc.valid_mask([]).shape == (0,)
    assert not uscc.valid_mask([None, None]).any()
