"""Numeric cells as typed or exported: parsed alike whatever their form, bad ones found by row."""

import numpy as np
import pandas as pd
import pytest

from geo_tenglong.errors import InputError
from geo_tenglong.io.columns import coerce_columns, parse_numbers
from geo_tenglong.io.schema import Schema


def test_parse_numbers_cleans_only_what_needs_it():
    s = pd.Series(["1,234.5", "１，２３４．５", "1 234", "\u30001\u00a0000", " 12 ", "-", "—", "", None, np.nan, 3, 2.5,
                   "－７", "1e3", "abc"], dtype=object)
    num, bad = parse_numbers(s)
    want = [1234.5, 1234.5, 1234, 1000, 12, np.nan, np.nan, np.nan, np.nan, np.nan, 3, 2.5, -7, 1000, np.nan]
    np.testing.assert_array_equal(num.to_numpy(), np.array(want, dtype=float))
    assert bad.tolist() == [False] * 14 + [True]
    assert num.index.equals(s.index)


def test_parse_numbers_on_a_string_column_and_numbers():
    num, bad = parse_numbers(pd.Series(["7", pd.NA, "8,000"], dtype="string"))
    np.testing.assert_array_equal(num.to_numpy(), [7.0, np.nan, 8000.0])
    assert not bad.any()
    num, bad = parse_numbers(pd.Series([1, None, 2.5], dtype=object))
    np.testing.assert_array_equal(num.to_numpy(), [1.0, np.nan, 2.5])
    assert not bad.any()


def test_coerce_columns_names_file_row_and_column_of_text_in_a_number():
    df = pd.DataFrame({"uscc": ["A", "B", "C"], "tax": ["1,000", "12", "约5"], "source_row": [2, 3, 4]})
    schema = Schema(required=("uscc",), numeric=("tax",))
    with pytest.raises(InputError) as err:
        coerce_columns(df, schema, "企业.csv")
    text = str(err.value)
    assert "企业.csv" in text and "row 4" in text and "'tax'" in text and "约5" in text
    assert coerce_columns(df.iloc[:2], schema, "企业.csv")["tax"].tolist() == [1000.0, 12.0]
