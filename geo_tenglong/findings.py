"""Findings: the one currency between analysis and outputs.

A finding says, for one parcel (or another feature), what one rule concluded: ``rule_id`` and
``clause`` from POLICY.md, a ``status``, the measured ``value`` against its ``threshold`` in
``unit``, and a short Chinese ``message``. Analyses build findings column-wise with
:func:`make_findings` (vectorised: a province has a million parcels); outputs only render them.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

PASS = "pass"
FAIL = "fail"
WARN = "warn"
NOT_APPLICABLE = "not_applicable"
MISSING_DATA = "missing_data"
STATUSES = (PASS, FAIL, WARN, NOT_APPLICABLE, MISSING_DATA)

#: Chinese labels for statuses, used by reports and maps.
STATUS_LABELS = {PASS: "符合", FAIL: "不符合", WARN: "提示", NOT_APPLICABLE: "不适用", MISSING_DATA: "数据缺失"}

#: Columns of the findings table, in order.
COLUMNS = ["parcel_id", "rule_id", "clause", "status", "value", "threshold", "unit", "message"]
_DTYPES = {"parcel_id": "string", "rule_id": "string", "clause": "string", "status": "string",
           "value": "float64", "threshold": "float64", "unit": "string", "message": "string"}


def empty_findings() -> pd.DataFrame:
    """An empty findings table with the right columns and dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _DTYPES.items()})


def make_findings(parcel_id, rule_id: str, clause: str, status, value=np.nan, threshold=np.nan,
                  unit: str = "", message="") -> pd.DataFrame:
    """Build findings for many features at once.

    Every argument may be a scalar (broadcast) or an array-like as long as ``parcel_id``.

    Parameters
    ----------
    parcel_id : array-like of str
        Ids of the features the findings are about (宗地代码, or a plot / proposal id).
    rule_id : str
        The rule's id in POLICY.md, e.g. ``"TT-T4"``.
    clause : str
        The clause of the document, e.g. ``"四(八)"``.
    status : str or array-like of str
        One of :data:`STATUSES`.
    value, threshold : float or array-like
        The measurement and the rule's threshold (NaN where there is none).
    unit : str
        Unit of ``value`` and ``threshold`` (e.g. ``"万元/亩"``).
    message : str or array-like of str
        Short Chinese explanation for a planner.

    Returns
    -------
    pandas.DataFrame
        With columns :data:`COLUMNS`.

    Raises
    ------
    ValueError
        On a status that is not one of :data:`STATUSES`.
    """
    ids = pd.Series(np.asarray(parcel_id, dtype=object)).astype("string")
    n = len(ids)

    def col(v):
        if isinstance(v, (str, bytes)) or np.isscalar(v) or v is None:
            return np.repeat(np.asarray([v], dtype=object), n)
        arr = np.asarray(v, dtype=object)
        if len(arr) != n:
            raise ValueError(f"finding column has {len(arr)} values for {n} features")
        return arr

    frame = pd.DataFrame({
        "parcel_id": ids.to_numpy(),
        "rule_id": col(rule_id), "clause": col(clause), "status": col(status),
        "value": pd.to_numeric(pd.Series(col(value)), errors="coerce").to_numpy(dtype=float),
        "threshold": pd.to_numeric(pd.Series(col(threshold)), errors="coerce").to_numpy(dtype=float),
        "unit": col(unit), "message": col(message),
    })
    bad = set(frame["status"].unique()) - set(STATUSES)
    if bad:
        raise ValueError(f"unknown finding status {sorted(map(str, bad))}; expected one of {STATUSES}")
    return frame.astype(_DTYPES)


def concat_findings(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate findings tables, keeping the column order and dtypes."""
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return empty_findings()
    return pd.concat([f[COLUMNS] for f in frames], ignore_index=True).astype(_DTYPES)


def not_in_ruleset(feature_id, rule_id: str, ruleset_name: str) -> pd.DataFrame:
    """Findings saying the county's ruleset lacks ``rule_id`` (status ``not_applicable``).

    Used instead of borrowing another county's numbers when a document has no such rule.
    """
    ids = np.atleast_1d(np.asarray(feature_id, dtype=object))
    return make_findings(ids, rule_id, "", NOT_APPLICABLE,
                         message=f"本县规则集({ruleset_name})无此条款,不适用")


# ----------------------------------------------------------------------------------------------
# Numbers in messages: a value never prints on the wrong side of its threshold
# ----------------------------------------------------------------------------------------------

#: What a message says for a value that could not be computed.
MISSING_TEXT = "无数据"
#: Values this close (relative) to the threshold count as equal to it, as the rules' inclusive
#: bounds do (含, 以上).
EQUAL_RTOL = 1e-9


def separating_decimals(value, threshold=None, decimals: int = 2, max_decimals: int = 10) -> int:
    """The fewest decimals (at least ``decimals``) at which ``value`` prints on its own side of
    ``threshold``.

    A value below the threshold must not round up to it (29.99 % is not "30.0 %"; 2999/9000 is
    not "33.3 %" beside an exact 1/3), nor one above round down to it. A value equal to the
    threshold (within :data:`EQUAL_RTOL`) keeps ``decimals``.

    Parameters
    ----------
    value, threshold : float
        In the unit they are printed in (a share printed in % is passed × 100).
    decimals : int
        The usual number of decimals for this quantity.
    max_decimals : int

    Returns
    -------
    int

    Examples
    --------
    >>> separating_decimals(29.99, 30, 1)
    2
    >>> separating_decimals(2999 / 9000 * 100, 100 / 3, 1)
    2
    >>> separating_decimals(30.0, 30, 1), separating_decimals(31.0, 30, 1)
    (1, 1)
    """
    try:
        v, t = float(value), float(threshold)
    except (TypeError, ValueError):
        return decimals
    if not (np.isfinite(v) and np.isfinite(t)) or abs(v - t) <= EQUAL_RTOL * max(1.0, abs(t)):
        return decimals
    d = decimals
    while d < max_decimals:
        rv, rt = round(v, d), round(t, d)
        if (v < t and rv < rt) or (v > t and rv > rt):
            return d
        d += 1
    return max_decimals


def fmt_value(value, threshold=None, decimals: int = 2, unit: str = "", thousands: bool = False) -> str:
    """A number for a message: :data:`MISSING_TEXT` when missing (and then no unit), else with
    the decimals :func:`separating_decimals` picks against ``threshold``, then ``unit``.

    Examples
    --------
    >>> fmt_value(9.999, 10, 2, "万元/亩"), fmt_value(float("nan"), 10, 2, "万元/亩")
    ('9.999万元/亩', '无数据')
    >>> fmt_value(12345.678, None, 0, "平方米", thousands=True)
    '12,346平方米'
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        return MISSING_TEXT
    if not np.isfinite(v):
        return MISSING_TEXT
    d = separating_decimals(v, threshold, decimals)
    return (f"{v:,.{d}f}" if thousands else f"{v:.{d}f}") + unit


def fmt_share(value, threshold=None, decimals: int = 1) -> str:
    """A ratio (0.2999) as a percentage for a message ("29.99%"), separated from ``threshold``
    (a ratio too) like :func:`fmt_value`; :data:`MISSING_TEXT` when missing.

    Examples
    --------
    >>> fmt_share(0.2999, 0.3), fmt_share(0.3, 0.3), fmt_share(2999 / 9000, 1 / 3)
    ('29.99%', '30.0%', '33.32%')
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        return MISSING_TEXT
    t = None if threshold is None else float(threshold) * 100
    return fmt_value(v * 100, t, decimals, "%")


def fmt_limit(threshold, decimals: int = 2, unit: str = "") -> str:
    """A threshold for a message, as short as it is exact (10 → "10", 0.3 → "0.3", 1/3 → "0.3333").

    Examples
    --------
    >>> fmt_limit(10.0, unit="万元/亩"), fmt_limit(1.1), fmt_limit(1 / 3, 4)
    ('10万元/亩', '1.1', '0.3333')
    """
    try:
        t = float(threshold)
    except (TypeError, ValueError):
        return MISSING_TEXT
    if not np.isfinite(t):
        return MISSING_TEXT
    text = f"{t:.{max(decimals, 6)}f}".rstrip("0").rstrip(".")
    if len(text.split(".")[-1]) > decimals and "." in text:
        text = f"{t:.{decimals}f}"
    return text + unit


def fmt_limit_share(threshold, decimals: int = 1) -> str:
    """A ratio threshold as a percentage, as short as it is exact (0.3 → "30%", 1/3 → "33.3%")."""
    try:
        t = float(threshold)
    except (TypeError, ValueError):
        return MISSING_TEXT
    return fmt_limit(t * 100, decimals, "%")


def fmt_pair(value, threshold, decimals: int = 2, unit: str = "") -> tuple[str, str]:
    """Value and threshold for one message, printed with the same decimals, enough to separate them
    (a threshold that is exact at fewer decimals — 10, 0.3 — stays short).

    Examples
    --------
    >>> fmt_pair(2999 / 9000 * 100, 100 / 3, 1, "%")
    ('33.32%', '33.33%')
    >>> fmt_pair(9.999, 10, 2, "万元/亩")
    ('9.999万元/亩', '10万元/亩')
    """
    v_text = fmt_value(value, threshold, decimals, unit)
    try:
        t = float(threshold)
    except (TypeError, ValueError):
        return v_text, MISSING_TEXT
    if not np.isfinite(t):
        return v_text, MISSING_TEXT
    d = separating_decimals(value, t, decimals)
    exact = fmt_limit(t, d)
    return v_text, (exact if abs(float(exact) - t) <= EQUAL_RTOL * max(1.0, abs(t)) else f"{t:.{d}f}") + unit


def fmt_share_pair(value, threshold, decimals: int = 1) -> tuple[str, str]:
    """:func:`fmt_pair` for ratios printed as percentages.

    Examples
    --------
    >>> fmt_share_pair(0.2999, 0.3)
    ('29.99%', '30%')
    >>> fmt_share_pair(0.2, 1 / 3)
    ('20.0%', '33.3%')
    """
    try:
        v = float(value) * 100
    except (TypeError, ValueError):
        v = np.nan
    try:
        t = float(threshold) * 100
    except (TypeError, ValueError):
        t = np.nan
    return fmt_pair(v, t, decimals, "%")
