"""The stated 地块面积 of a plot line: value, unit, tolerance, and the check against the area
computed from the coordinates.

``0`` (or blank) means "not given": no stated area, no check. A number without a unit is 公顷 or m²,
whichever agrees with the coordinates (producers write both); a unit suffix (公顷, 平方米, m², 亩,
ha …) is taken as written. The tolerance is one unit of the last written digit plus the perimeter
times the coordinate precision 精度.
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["AREA_UNITS", "UNIT_M2", "area_tolerance", "parse_area"]

_AREA_RE = re.compile(r"^\s*([-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)\s*(.*?)\s*$")
#: Unit suffixes understood -> the unit's Chinese name.
AREA_UNITS = {"公顷": "公顷", "ha": "公顷", "hm2": "公顷", "hm²": "公顷", "平方米": "平方米", "m2": "平方米",
              "m²": "平方米", "㎡": "平方米", "平米": "平方米", "亩": "亩"}
#: m² per unit.
UNIT_M2 = {"公顷": 10000.0, "平方米": 1.0, "亩": 10000.0 / 15.0}


def parse_area(text: str) -> tuple[float, str, bool]:
    """``(value, unit or '', readable)`` of a 地块面积 field.

    Parameters
    ----------
    text : str
        The field as written.

    Returns
    -------
    (float, str, bool)
        NaN for blank or 0 (not given); ``readable`` is False for text that is no area.

    Examples
    --------
    >>> parse_area("0.7655公顷"), parse_area("0")[1:], parse_area("1_000")[2]
    ((0.7655, '公顷', True), ('', True), False)
    """
    text = text.strip().replace(" ", "")
    if not text:
        return np.nan, "", True
    m = _AREA_RE.match(text)
    if not m:
        return np.nan, "", False
    unit_txt = m.group(2).strip("()（）")
    if unit_txt and unit_txt.lower() not in AREA_UNITS and unit_txt not in AREA_UNITS:
        return np.nan, "", False
    unit = AREA_UNITS.get(unit_txt.lower(), AREA_UNITS.get(unit_txt, "")) if unit_txt else ""
    value = float(m.group(1))
    if value == 0:
        return np.nan, unit, True
    return value, unit, True


def area_tolerance(text: str, unit_m2: float, perimeter: float, precision_m: float) -> float:
    """One unit of the stated area's last written digit (in m²), plus perimeter × precision.

    Parameters
    ----------
    text : str
        The 地块面积 field as written (readable by :func:`parse_area`).
    unit_m2 : float
        m² per unit of the stated area.
    perimeter, precision_m : float
        The plot's perimeter (m) and the file's 精度 (m).

    Returns
    -------
    float
    """
    m = _AREA_RE.match(text.strip().replace(" ", ""))
    num = m.group(1) if m else ""
    decimals = len(num.split(".")[1].split("e")[0].split("E")[0]) if "." in num else 0
    return 10.0 ** -decimals * unit_m2 + perimeter * precision_m
