"""The sheet model: a frame with Chinese headings, a number-format kind per column and a 合计 row.

Headings of results columns come from the declared results schema
(:mod:`geo_tenglong.results_schema`): :func:`heading` gives the label with its unit
(``占地面积(亩)``; a ratio declared with unit ``比例`` is shown ×100 as ``…(%)``) and :func:`kind`
the number format that unit calls for. The few headings of columns the workbook composes itself
(the county, the rules column, the kind of check) are constants here, since no stage publishes them.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from ...results_schema import Field, label, table_schema

__all__ = [
    "CHECK_KIND",
    "COUNTY",
    "ENTERPRISE_NAME",
    "FORMATS",
    "NO_DATA",
    "RULES",
    "SERIAL",
    "TOTAL",
    "Sheet",
    "column",
    "field",
    "heading",
    "kind",
]

#: What a sheet says when its source layer does not exist in this run.
NO_DATA = "本次运行无此项数据"

#: Number formats by column kind.
FORMATS = {"mu": "#,##0.0000", "m2": "#,##0.00", "money": "#,##0.00", "num2": "#,##0.00", "num1": "0.0",
           "pct": "0.00", "int": "#,##0", "text": "@", "date": "yyyy-mm-dd"}

# Headings of columns the workbook composes (not results columns, hence not in the schema).
#: The county of the run (results.info["county"]).
COUNTY = "区县"
#: The failed and warned rules with their clauses.
RULES = "规则与条款"
#: The running number of a row, and the word in it on the totals row.
SERIAL, TOTAL = "序号", "合计"
#: 分割 / 合并 on the split-and-merge sheet.
CHECK_KIND = "核查类型"
#: The enterprise on a parcel: the holder (使用企业) where evaluated, else the right holder; headed
#: as the 亩均 table heads an enterprise's name.
ENTERPRISE_NAME = label("enterprise_eval", "name")

#: Unit → number-format kind.
_UNIT_KINDS = {"亩": "mu", "m²": "m2", "万元": "money", "比例": "pct", "%": "pct", "m": "num1"}
_COUNT_UNITS = {"天", "人", "宗", "家", "个", "块", "年"}


@dataclasses.dataclass
class Sheet:
    """One sheet to write: a frame with Chinese headings, the kind of each column and the totals row.

    Attributes
    ----------
    name : str
        Sheet name (also the 表名 of its title row).
    frame : DataFrame or None
        The rows (``None``: the source layer is absent → :data:`NO_DATA`).
    kinds : dict
        Column heading → kind (a key of :data:`FORMATS`); ``text`` when absent.
    totals : list of str
        Headings of columns summed in a 合计 row.
    note : str
        Why there is no data (names the missing layer), shown under :data:`NO_DATA`.
    """

    name: str
    frame: pd.DataFrame | None
    kinds: dict[str, str] = dataclasses.field(default_factory=dict)
    totals: list[str] = dataclasses.field(default_factory=list)
    note: str = ""


def field(table: str, column: str) -> Field:
    """The declared field ``column`` of ``table`` (``KeyError`` when undeclared: no guessing)."""
    return table_schema(table).field(column)


def heading(table: str, column: str) -> str:
    """The workbook heading of a declared column: label with unit, ratios as ``(%)``.

    Examples
    --------
    >>> heading("enterprise_eval", "land_mu"), heading("enterprise_eval", "rd_ratio")
    ('占地面积(亩)', 'R&D经费占营业收入比重(%)')
    """
    f = field(table, column)
    if f.unit == "比例":
        return f"{f.label}(%)"
    return f.heading


def kind(table: str, column: str) -> str:
    """The number-format kind (a key of :data:`FORMATS`) of a declared column, from its unit and dtype."""
    f = field(table, column)
    if f.dtype in ("str", "json", "bool") or f.values:
        return "text"
    if f.dtype == "date":
        return "date"
    if f.unit in _UNIT_KINDS:
        return _UNIT_KINDS[f.unit]
    if f.dtype == "int" or f.unit in _COUNT_UNITS:
        return "int"
    return "num2"


def column(frame: pd.DataFrame, table: str, name: str) -> pd.Series:
    """The declared column ``name`` of ``frame`` (a ``table`` layer); nulls of its dtype when a stage
    that publishes it did not run (or its input was absent). An undeclared name raises ``KeyError``."""
    f = field(table, name)
    if name in frame.columns:
        return frame[name]
    dtype, null = {"float": ("float64", float("nan")), "int": ("Int64", pd.NA), "bool": ("boolean", pd.NA)}.get(
        f.dtype, (object, None))
    return pd.Series(null, index=frame.index, dtype=dtype)
