"""What changed between two runs: land freed (and why), new idle land, classes that moved, land that got worse.

Every function takes two frames of parcel (or enterprise) states as :mod:`geo_tenglong.history.store`
records them — ``before`` (an earlier run, e.g. the campaign's start or the previous quarter) and
``after`` — and returns plain frames; nothing here reads files.

A parcel is **freed** (腾出) when it was on the low-efficiency (reclaimable) list before and is not
after. Why, first match wins:

- ``split`` / ``merged``: the parcel is gone and a parcel after names it in ``split_from`` /
  ``merged_from``, or it is still there and has gained such a lineage;
- ``gone``: the parcel left the cadastre without a successor (收回, 注销);
- ``reclaimed``: the owner (``owner_uscc``) or the land use (``land_use_code``) changed (回收流转, 转让);
- ``rerated``: the class moved up in the 亩均评价 (e.g. D → C);
- ``upgraded``: an intensity rule it failed before (容积率, 建筑系数 …) now passes (提质增效);
- ``developed``: idle before, no longer idle (闲置土地已开发);
- ``other``: it left the list for another reason (e.g. the enterprise's 亩均税收 rose above the bar).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .store import INTENSITY_RULES

#: Why a parcel left the list: code → Chinese label.
FREED_REASONS = {
    "split": "分割转让", "merged": "合并", "gone": "收回注销", "reclaimed": "回收流转(权属或用途变更)",
    "rerated": "评价提档", "upgraded": "提质增效(强度达标)", "developed": "闲置土地已开发", "other": "其他(亩均效益达标)",
}
#: Kinds of the change layer: code → Chinese label.
CHANGE_KINDS = {"freed": "已腾出", "new": "新增闲置", "worse": "变差"}
_CLASS_RANK = {"A": 1, "B": 2, "C": 3, "D": 4}


def _rank(classes: pd.Series) -> pd.Series:
    return classes.map(_CLASS_RANK).astype(float)


def _rules(cell) -> set[str]:
    return set(str(cell).split(";")) if isinstance(cell, str) and cell else set()


def _tier(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").fillna(0)


def _differs(a: pd.Series, b: pd.Series) -> pd.Series:
    """Cell by cell: the two values differ (a null and a value differ; two nulls do not)."""
    return pd.Series((a.astype("string").fillna("") != b.astype("string").fillna("")).to_numpy(dtype=bool),
                     index=a.index)


def _gained(before: pd.DataFrame, after: pd.DataFrame, column: str) -> np.ndarray:
    """Rows whose ``column`` (lineage) is set after and differs from before."""
    if column not in after.columns:
        return np.zeros(len(after), bool)
    b = before[column] if column in before.columns else pd.Series(None, index=before.index, dtype=object)
    return (after[column].notna() & _differs(b, after[column])).to_numpy(dtype=bool)


def _successors(after: pd.DataFrame, column: str) -> dict[str, str]:
    """Earlier parcel id → the id of the parcel after that names it in ``column`` (``;``-joined ids)."""
    out: dict[str, str] = {}
    if column not in after.columns:
        return out
    for pid, cell in zip(after["parcel_id"], after[column]):
        for src in _rules(cell):
            out.setdefault(src.strip(), str(pid))
    return out


def freed_parcels(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Parcels on the low-efficiency list before and not after, each with why.

    Parameters
    ----------
    before, after : DataFrame
        Parcel states (``parcel_id``, ``low_efficiency``, ``area_mu``, ``eff_class``, ``owner_uscc``,
        ``land_use_code``, ``fail_rules``, ``idle_tier``, ``split_from``, ``merged_from``, ``township``,
        ``park_id``, ``geom_wkb``).

    Returns
    -------
    DataFrame
        ``parcel_id``, ``township``, ``park_id``, ``area_mu`` (the area before), ``reason`` (a
        :data:`FREED_REASONS` code), ``reason_label``, ``successor`` (the parcel after, for splits and
        merges), ``from_class``, ``to_class``, ``geom_wkb`` (the polygon before).

    Examples
    --------
    >>> b = pd.DataFrame({"parcel_id": ["p1", "p2"], "low_efficiency": [True, True], "area_mu": [10.0, 5.0],
    ...                   "eff_class": ["D", "D"], "owner_uscc": ["u1", "u2"]})
    >>> a = pd.DataFrame({"parcel_id": ["p1", "p2"], "low_efficiency": [False, True], "area_mu": [10.0, 5.0],
    ...                   "eff_class": ["C", "D"], "owner_uscc": ["u1", "u2"]})
    >>> freed_parcels(b, a)[["parcel_id", "reason"]].to_dict("records")
    [{'parcel_id': 'p1', 'reason': 'rerated'}]
    """
    listed = before[before["low_efficiency"].astype(bool)].copy()
    now = after.set_index(after["parcel_id"].astype(str))
    still = now["low_efficiency"].astype(bool)
    ids = listed["parcel_id"].astype(str)
    gone = ~ids.isin(now.index)
    listed = listed[gone.to_numpy() | ~ids.map(still).fillna(False).astype(bool).to_numpy()]
    ids = listed["parcel_id"].astype(str)
    present = ids.isin(now.index).to_numpy()
    split_to, merged_to = _successors(after, "split_from"), _successors(after, "merged_from")

    def col(frame, name):
        return frame[name] if name in frame.columns else pd.Series(None, index=frame.index, dtype=object)

    at = now.reindex(ids)
    at.index = listed.index
    reasons = np.full(len(listed), "other", dtype=object)
    successor = np.full(len(listed), None, dtype=object)
    owner_changed = _differs(col(listed, "owner_uscc"), col(at, "owner_uscc"))
    use_changed = _differs(col(listed, "land_use_code"), col(at, "land_use_code"))
    class_up = (_rank(col(at, "eff_class")) < _rank(col(listed, "eff_class"))).fillna(False)
    bad_before = [_rules(c) & set(INTENSITY_RULES) for c in col(listed, "fail_rules")]
    bad_after = [_rules(c) & set(INTENSITY_RULES) for c in col(at, "fail_rules")]
    upgraded = np.array([bool(b) and not (a & b) for b, a in zip(bad_before, bad_after)])
    developed = ((_tier(col(listed, "idle_tier")) > 0) & (_tier(col(at, "idle_tier")) == 0)).to_numpy()
    # the first matching reason wins: fill from the last to the first
    for mask, code in ((developed, "developed"), (upgraded, "upgraded"), (class_up.to_numpy(), "rerated"),
                       ((owner_changed | use_changed).to_numpy(), "reclaimed"),
                       (_gained(listed, at, "merged_from"), "merged"), (_gained(listed, at, "split_from"), "split")):
        reasons = np.where(present & np.asarray(mask, dtype=bool), code, reasons)
    for i, pid in enumerate(ids):
        if not present[i]:
            if pid in split_to:
                reasons[i], successor[i] = "split", split_to[pid]
            elif pid in merged_to:
                reasons[i], successor[i] = "merged", merged_to[pid]
            else:
                reasons[i] = "gone"
        elif reasons[i] in ("split", "merged"):
            successor[i] = pid
    return pd.DataFrame({
        "parcel_id": ids.to_numpy(), "township": col(listed, "township").to_numpy(),
        "park_id": col(listed, "park_id").to_numpy(), "area_mu": pd.to_numeric(listed["area_mu"]).to_numpy(dtype=float),
        "reason": reasons, "reason_label": [FREED_REASONS[r] for r in reasons], "successor": successor,
        "from_class": col(listed, "eff_class").to_numpy(), "to_class": col(at, "eff_class").to_numpy(),
        "geom_wkb": col(listed, "geom_wkb").to_numpy()})


def new_idle(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Parcels idle after (``idle_tier`` ≥ 1) that were not idle before (or did not exist).

    Returns
    -------
    DataFrame
        The ``after`` rows of those parcels.
    """
    was = before.set_index(before["parcel_id"].astype(str))["idle_tier"]
    tier_before = after["parcel_id"].astype(str).map(_tier(was)).fillna(0)
    return after[(_tier(after["idle_tier"]) > 0).to_numpy() & (tier_before == 0).to_numpy()].reset_index(drop=True)


def worse_parcels(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Parcels in both runs whose class moved down or that came onto the low-efficiency list.

    Returns
    -------
    DataFrame
        The ``after`` rows of those parcels, with ``from_class`` and ``why`` (下调 / 新列入低效).
    """
    b = before.set_index(before["parcel_id"].astype(str))
    ids = after["parcel_id"].astype(str)
    known = ids.isin(b.index).to_numpy()
    cls_before = ids.map(b["eff_class"]) if "eff_class" in b.columns else pd.Series(None, index=after.index)
    on_before = ids.map(b["low_efficiency"].astype(bool)).fillna(False).astype(bool)
    down = (_rank(after["eff_class"]).to_numpy() > _rank(cls_before).to_numpy())
    listed = after["low_efficiency"].astype(bool).to_numpy() & ~on_before.to_numpy()
    m = known & (down | listed)
    out = after[m].copy()
    out["from_class"] = cls_before[m].to_numpy()
    out["why"] = np.where(down[m], "评价下调", "新列入低效用地")
    return out.reset_index(drop=True)


def class_moves(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Enterprises whose class changed between two runs.

    Parameters
    ----------
    before, after : DataFrame
        Enterprise states (``uscc``, ``name``, ``township``, ``eff_class``).

    Returns
    -------
    DataFrame
        ``uscc``, ``name``, ``township``, ``from_class``, ``to_class``, ``direction`` (``up`` / ``down``).
    """
    b = before.set_index(before["uscc"].astype(str))["eff_class"]
    frm = after["uscc"].astype(str).map(b)
    r0, r1 = _rank(frm), _rank(after["eff_class"])
    m = (r0.notna() & r1.notna() & (r0 != r1)).to_numpy()
    return pd.DataFrame({"uscc": after["uscc"].to_numpy()[m], "name": after["name"].to_numpy()[m],
                         "township": after["township"].to_numpy()[m], "from_class": frm.to_numpy()[m],
                         "to_class": after["eff_class"].to_numpy()[m],
                         "direction": np.where(r1.to_numpy()[m] < r0.to_numpy()[m], "up", "down")})


def class_matrix(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Counts of enterprises by class before (rows) and after (columns), for those in both runs."""
    b = before.set_index(before["uscc"].astype(str))["eff_class"]
    frm = after["uscc"].astype(str).map(b)
    both = frm.notna() & after["eff_class"].notna()
    classes = sorted(_CLASS_RANK)
    return pd.crosstab(frm[both], after["eff_class"][both]).reindex(index=classes, columns=classes, fill_value=0)


def changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """The change layer between two runs: freed, newly idle and worse parcels, one row each.

    Returns
    -------
    DataFrame
        ``parcel_id``, ``change`` (:data:`CHANGE_KINDS` code), ``why`` (Chinese), ``area_mu``,
        ``township``, ``from_class``, ``to_class``, ``geom_wkb`` (the polygon before for freed land
        that left the cadastre, else after). A parcel both newly idle and worse is listed once, as new.
    """
    freed = freed_parcels(before, after)
    idle = new_idle(before, after)
    worse = worse_parcels(before, after)
    worse = worse[~worse["parcel_id"].astype(str).isin(idle["parcel_id"].astype(str))]
    b_cls = before.set_index(before["parcel_id"].astype(str))["eff_class"]
    cols = ["parcel_id", "change", "why", "area_mu", "township", "from_class", "to_class", "geom_wkb"]
    frames = [
        pd.DataFrame({"parcel_id": freed["parcel_id"], "change": "freed", "why": freed["reason_label"],
                      "area_mu": freed["area_mu"], "township": freed["township"], "from_class": freed["from_class"],
                      "to_class": freed["to_class"], "geom_wkb": freed["geom_wkb"]}),
        pd.DataFrame({"parcel_id": idle["parcel_id"], "change": "new",
                      "why": ["闲置" + ("满两年" if t >= 2 else "满一年") for t in _tier(idle["idle_tier"])],
                      "area_mu": idle["area_mu"], "township": idle["township"],
                      "from_class": idle["parcel_id"].astype(str).map(b_cls).to_numpy(),
                      "to_class": idle["eff_class"], "geom_wkb": idle["geom_wkb"]}),
        pd.DataFrame({"parcel_id": worse["parcel_id"], "change": "worse", "why": worse["why"],
                      "area_mu": worse["area_mu"], "township": worse["township"], "from_class": worse["from_class"],
                      "to_class": worse["eff_class"], "geom_wkb": worse["geom_wkb"]}),
    ]
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)
