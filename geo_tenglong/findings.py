"""Findings: the one currency between analysis and outputs.

A finding says, for one parcel (or another feature), what one rule concluded: ``rule_id`` and
``clause`` from POLICY.md, a ``status``, the measured ``value`` against its ``threshold`` in
``unit``, and a short Chinese ``message``. Analyses build findings column-wise with
:func:`make_findings` (vectorised: a province has a million parcels); outputs only render them.
"""

from __future__ import annotations

from typing import Iterable

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
