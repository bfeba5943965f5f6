"""Join enterprises to the industrial land they occupy (亩均效益's denominator).

An enterprise meets land through the parcel holder's 统一社会信用代码 (``parcels.owner_uscc``) and
the ``tenancy`` table (一地多企). Two ways to share a parcel among its users (``MJ-EVAL.tenants``):

``pool``
    Parcels and enterprises form a graph (holder — parcel — tenant); each connected component is
    one *evaluation unit*: its land is every parcel in it, its figures the sum of its members',
    and every member shares the unit's result.
``apportion``
    Each enterprise is its own unit; a tenant gets the parcel's land in proportion to the floor
    area it uses (of the parcel's floor area, from buildings when known), the holder the rest.

Problems are never dropped silently: invalid or duplicate codes, enterprises without land,
industrial parcels without an enterprise and tenancy rows naming unknown parcels are rows of the
``join_issues`` table (``kind, uscc, parcel_id, source, source_row, message``).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ..uscc import valid_mask

JOIN_ISSUE_COLUMNS = ["kind", "uscc", "parcel_id", "source", "source_row", "message"]


@dataclasses.dataclass
class LandJoin:
    """The outcome of :func:`join_land`.

    Attributes
    ----------
    enterprises : DataFrame
        The valid, de-duplicated enterprise rows (one per ``uscc`` and ``year``), with ``unit_id``.
    unit_land : DataFrame
        One row per unit: ``unit_id``, ``land_m2``, ``land_mu``, ``parcel_ids`` (``;``-joined),
        ``members`` (number of enterprises with data).
    parcel_unit : DataFrame
        One row per industrial parcel: ``parcel_id``, ``unit_id`` (the unit whose result the
        parcel shows: its pool, or its holder's unit), ``holder_uscc``, ``tenant_count``.
    issues : DataFrame
        Columns :data:`JOIN_ISSUE_COLUMNS`.
    """

    enterprises: pd.DataFrame
    unit_land: pd.DataFrame
    parcel_unit: pd.DataFrame
    issues: pd.DataFrame


def normalise_codes(codes) -> pd.Series:
    """Codes as stripped upper-case strings (``<NA>`` for blanks)."""
    s = pd.Series(codes, dtype="string").str.strip().str.upper()
    return s.mask(s == "")


def industrial_mask(land_use_code, prefixes) -> np.ndarray:
    """Parcels whose ``land_use_code`` starts with one of ``prefixes`` (blank codes count as industrial)."""
    codes = pd.Series(land_use_code, dtype="string").str.strip()
    if not prefixes:
        return np.ones(len(codes), dtype=bool)
    out = np.array(codes.isna().to_numpy(), dtype=bool)
    for p in prefixes:
        out |= codes.str.startswith(p).fillna(False).to_numpy(dtype=bool)
    return out


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected-component labels of an undirected graph of ``n`` nodes with edges ``a[i]—b[i]``.

    Vectorised min-label propagation with pointer jumping; every label is the smallest node index
    of its component.

    Examples
    --------
    >>> components(5, np.array([0, 3]), np.array([1, 4])).tolist()
    [0, 0, 2, 3, 3]
    """
    labels = np.arange(n)
    if len(a) == 0:
        return labels
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    while True:
        m = np.minimum(labels[a], labels[b])
        new = labels.copy()
        np.minimum.at(new, a, m)
        np.minimum.at(new, b, m)
        new = new[new]
        while True:  # pointer jumping until every node points at a root
            nxt = new[new]
            if np.array_equal(nxt, new):
                break
            new = nxt
        if np.array_equal(new, labels):
            return labels
        labels = new


def _issues(kind, uscc, parcel_id, source, source_row, message) -> pd.DataFrame:
    n = len(message)

    def col(v):
        return np.repeat(np.asarray([v], dtype=object), n) if np.isscalar(v) or v is None else np.asarray(v, dtype=object)

    return pd.DataFrame({"kind": col(kind), "uscc": col(uscc), "parcel_id": col(parcel_id), "source": col(source),
                         "source_row": col(source_row), "message": np.asarray(message, dtype=object)})


def join_land(parcels: pd.DataFrame, enterprises: pd.DataFrame | None, tenancy: pd.DataFrame | None, spec,
              floor_area_m2: pd.Series | None = None) -> LandJoin:
    """Join enterprises to their industrial land.

    Parameters
    ----------
    parcels : DataFrame
        ``parcel_id``, ``owner_uscc``, ``land_m2`` (planar area, unrounded), optionally
        ``land_use_code``, ``owner_name``.
    enterprises : DataFrame or None
        The ``enterprises`` table (``uscc``, ``year``, …, ``source_row``).
    tenancy : DataFrame or None
        The ``tenancy`` table (``parcel_id``, ``uscc``, ``floor_area_m2``, ``source_row``).
    spec : EvalSpec
        ``MJ-EVAL``: ``industrial_land_codes`` and ``tenants``.
    floor_area_m2 : Series, optional
        Floor area by ``parcel_id`` (from buildings), for ``tenants = "apportion"``.

    Returns
    -------
    LandJoin
    """
    issues = []
    p = pd.DataFrame({"parcel_id": parcels["parcel_id"].astype("string").to_numpy(),
                      "holder": normalise_codes(parcels.get("owner_uscc", pd.Series([None] * len(parcels)))).to_numpy(),
                      "land_m2": np.asarray(parcels["land_m2"], dtype=float)})
    ind = industrial_mask(parcels["land_use_code"] if "land_use_code" in parcels.columns else [None] * len(p),
                          spec.industrial_land_codes)
    has_holder = p["holder"].notna().to_numpy()
    holder_ok = valid_mask(p["holder"].astype(object).where(p["holder"].notna(), None))
    bad = has_holder & ~holder_ok
    if bad.any():
        issues.append(_issues("invalid_uscc", p["holder"][bad].to_numpy(), p["parcel_id"][bad].to_numpy(), "parcels",
                              None, [f"宗地{pid}的权利人统一社会信用代码{c}无效(校验位或字符不符),未能关联企业"
                                     for pid, c in zip(p["parcel_id"][bad], p["holder"][bad])]))
    p["holder"] = p["holder"].where(holder_ok)
    p = p[ind].reset_index(drop=True)

    # Enterprises: valid, one row per code and year.
    if enterprises is None or not len(enterprises):
        ent = pd.DataFrame(columns=["uscc", "year", "source_row"])
    else:
        ent = enterprises.copy()
        ent["uscc"] = normalise_codes(ent["uscc"]).to_numpy()
        ok = valid_mask(ent["uscc"].astype(object).where(ent["uscc"].notna(), None))
        rows = ent["source_row"] if "source_row" in ent.columns else pd.Series(np.arange(len(ent)) + 2)
        if (~ok).any():
            issues.append(_issues("invalid_uscc", ent["uscc"][~ok].to_numpy(), None, "enterprises", rows[~ok].to_numpy(),
                                  [f"第{r}行 {n if isinstance(n, str) else ''} 统一社会信用代码{c if isinstance(c, str) else '(空)'}"
                                   "无效,该行未参与亩均评价"
                                   for r, n, c in zip(rows[~ok], ent.get("name", pd.Series([None] * len(ent)))[~ok],
                                                      ent["uscc"][~ok].astype(object))]))
        ent = ent[ok].copy()
        ent["year"] = pd.to_numeric(ent["year"], errors="coerce")
        noyear = ent["year"].isna().to_numpy()
        if noyear.any():
            r = ent["source_row"][noyear] if "source_row" in ent.columns else [None] * int(noyear.sum())
            issues.append(_issues("missing_year", ent["uscc"][noyear].to_numpy(), None, "enterprises", np.asarray(r),
                                  [f"第{x}行 缺少年度,该行未参与亩均评价" for x in r]))
        ent = ent[~noyear]
        ent["year"] = ent["year"].astype(int)
        dup = ent.duplicated(["uscc", "year"], keep="first").to_numpy()
        if dup.any():
            first_row = ent.drop_duplicates(["uscc", "year"]).set_index(["uscc", "year"])["source_row"] \
                if "source_row" in ent.columns else None
            d = ent[dup]
            firsts = (first_row.reindex(pd.MultiIndex.from_frame(d[["uscc", "year"]])).to_numpy()
                      if first_row is not None else [None] * len(d))
            issues.append(_issues("duplicate_uscc", d["uscc"].to_numpy(), None, "enterprises",
                                  d["source_row"].to_numpy() if "source_row" in d.columns else None,
                                  [f"第{r}行 统一社会信用代码{c}在{y}年重复,仅采用第{f}行"
                                   for r, c, y, f in zip(d.get("source_row", [None] * len(d)), d["uscc"], d["year"], firsts)]))
        ent = ent[~dup].reset_index(drop=True)
    codes_with_data = pd.Index(ent["uscc"].unique())

    # Tenancy rows: valid code, known industrial parcel, not the holder itself, once per (parcel, code).
    if tenancy is not None and len(tenancy):
        t = pd.DataFrame({"parcel_id": tenancy["parcel_id"].astype("string").str.strip().to_numpy(),
                          "uscc": normalise_codes(tenancy["uscc"]).to_numpy(),
                          "floor_area_m2": pd.to_numeric(tenancy.get("floor_area_m2", np.nan), errors="coerce"),
                          "source_row": tenancy["source_row"].to_numpy() if "source_row" in tenancy.columns
                          else np.arange(len(tenancy)) + 2})
        ok = valid_mask(t["uscc"].astype(object).where(t["uscc"].notna(), None))
        if (~ok).any():
            b = t[~ok]
            issues.append(_issues("invalid_uscc", b["uscc"].to_numpy(), b["parcel_id"].to_numpy(), "tenancy",
                                  b["source_row"].to_numpy(),
                                  [f"一地多企表第{r}行 承租企业统一社会信用代码{c if isinstance(c, str) else '(空)'}无效,未计入"
                                   for r, c in zip(b["source_row"], b["uscc"].astype(object))]))
        t = t[ok]
        known = t["parcel_id"].isin(p["parcel_id"]).to_numpy()
        if (~known).any():
            b = t[~known]
            issues.append(_issues("tenancy_unknown_parcel", b["uscc"].to_numpy(), b["parcel_id"].to_numpy(), "tenancy",
                                  b["source_row"].to_numpy(),
                                  [f"一地多企表第{r}行 宗地{pid}不在工业用地宗地图层中,未计入" for r, pid in
                                   zip(b["source_row"], b["parcel_id"])]))
        t = t[known]
        dup = t.duplicated(["parcel_id", "uscc"], keep="first").to_numpy()
        if dup.any():
            b = t[dup]
            issues.append(_issues("duplicate_tenancy", b["uscc"].to_numpy(), b["parcel_id"].to_numpy(), "tenancy",
                                  b["source_row"].to_numpy(),
                                  [f"一地多企表第{r}行 与前行重复(同一宗地同一企业),仅采用首行" for r in b["source_row"]]))
        t = t[~dup]
        holder_of = p.set_index("parcel_id")["holder"]
        t = t[(t["uscc"] != holder_of.reindex(t["parcel_id"]).to_numpy()).fillna(True).to_numpy()].reset_index(drop=True)
    else:
        t = pd.DataFrame({"parcel_id": pd.Series(dtype="string"), "uscc": pd.Series(dtype="string"),
                          "floor_area_m2": pd.Series(dtype=float), "source_row": pd.Series(dtype=float)})

    tenant_count = t.groupby("parcel_id").size()
    # Occupancy: (parcel index, code) pairs, holder and tenants.
    pidx = pd.Index(p["parcel_id"])
    occ_p = np.concatenate([np.flatnonzero(p["holder"].notna().to_numpy()), pidx.get_indexer(t["parcel_id"])])
    occ_c = np.concatenate([p["holder"].dropna().to_numpy(dtype=object), t["uscc"].to_numpy(dtype=object)])
    occ_tenant = np.concatenate([np.zeros(int(p["holder"].notna().sum()), bool), np.ones(len(t), bool)])
    codes, occ_ci = np.unique(np.concatenate([occ_c, codes_with_data.to_numpy(dtype=object)]).astype(str),
                              return_inverse=True)
    occ_ci = occ_ci[:len(occ_c)]
    n_p = len(p)

    if spec.tenants == "pool":
        labels = components(n_p + len(codes), occ_p, n_p + occ_ci)
        parcel_unit_label = labels[:n_p]
        code_unit_label = labels[n_p:]
        share = np.ones(len(occ_p))
        land_rows = pd.DataFrame({"label": parcel_unit_label, "p": np.arange(n_p)})
    else:
        # apportion: tenant share = its floor area / the parcel's floor area.
        fa = floor_area_m2.reindex(p["parcel_id"]).to_numpy(dtype=float) if floor_area_m2 is not None \
            else np.full(n_p, np.nan)
        tfa = t["floor_area_m2"].to_numpy(dtype=float)
        miss = np.isnan(tfa) | (tfa < 0)
        if miss.any():
            b = t[miss]
            issues.append(_issues("tenancy_missing_floor_area", b["uscc"].to_numpy(), b["parcel_id"].to_numpy(),
                                  "tenancy", b["source_row"].to_numpy(),
                                  [f"一地多企表第{r}行 缺少有效的使用建筑面积,按0分摊用地" for r in b["source_row"]]))
        tfa = np.where(miss, 0.0, tfa)
        tsum = pd.Series(tfa).groupby(pidx.get_indexer(t["parcel_id"])).sum().reindex(range(n_p), fill_value=0.0).to_numpy()
        total = np.where(np.isnan(fa) | (fa < tsum), tsum, fa)
        tshare = np.divide(tfa, total[pidx.get_indexer(t["parcel_id"])],
                           out=np.zeros_like(tfa), where=total[pidx.get_indexer(t["parcel_id"])] > 0)
        hshare = 1.0 - np.divide(tsum, total, out=np.zeros(n_p), where=total > 0)
        share = np.concatenate([hshare[p["holder"].notna().to_numpy()], tshare])
        code_unit_label = np.arange(len(codes)) + n_p
        # a parcel shows its holder's result (or nothing when no holder)
        parcel_unit_label = np.full(n_p, -1)
        hp = occ_p[~occ_tenant]
        parcel_unit_label[hp] = code_unit_label[occ_ci[~occ_tenant]]
        land_rows = pd.DataFrame({"label": code_unit_label[occ_ci], "p": occ_p})

    # Unit ids: the code of the member holding most land (ties: smallest code); a parcel-only unit: "".
    unit_of_code = pd.Series(code_unit_label, index=codes)
    land = p["land_m2"].to_numpy()
    occ_land = land[occ_p] * share
    held = pd.DataFrame({"label": code_unit_label[occ_ci], "code": codes[occ_ci], "land": occ_land,
                         "tenant": occ_tenant})
    held = held.groupby(["label", "code"], as_index=False).agg(land=("land", "sum"), tenant=("tenant", "min"))
    lead = held.sort_values(["label", "tenant", "land", "code"], ascending=[True, True, False, True]) \
        .drop_duplicates("label").set_index("label")["code"]
    # codes with data but no land: their own unit
    label_name = pd.Series(codes, index=code_unit_label).groupby(level=0).min()
    label_name.update(lead)

    if spec.tenants == "pool":
        ul = land_rows.assign(land=land[land_rows["p"]], pid=p["parcel_id"].to_numpy()[land_rows["p"]])
    else:
        keep = share > 0
        ul = pd.DataFrame({"label": code_unit_label[occ_ci][keep], "land": occ_land[keep],
                           "pid": p["parcel_id"].to_numpy()[occ_p[keep]]})
    ul = ul.sort_values(["label", "pid"])
    unit_land = ul.groupby("label").agg(land_m2=("land", "sum"), parcel_ids=("pid", lambda s: ";".join(s.astype(str))))
    unit_land["unit_id"] = label_name.reindex(unit_land.index).to_numpy()

    ent["unit_label"] = unit_of_code.reindex(ent["uscc"].astype(str)).to_numpy()
    ent["unit_id"] = label_name.reindex(ent["unit_label"]).to_numpy()
    members = ent.groupby("unit_label")["uscc"].nunique()

    # units → ids; land per unit id
    unit_land = unit_land.reset_index()
    unit_land["members"] = members.reindex(unit_land["label"]).fillna(0).astype(int).to_numpy()
    unit_land = unit_land[unit_land["unit_id"].notna()]
    unit_land["land_mu"] = unit_land["land_m2"] / (10000.0 / 15.0)

    pu_label = pd.Series(parcel_unit_label)
    parcel_unit = pd.DataFrame({
        "parcel_id": p["parcel_id"].to_numpy(),
        "unit_id": label_name.reindex(pu_label).to_numpy(),
        "holder_uscc": p["holder"].to_numpy(),
        "tenant_count": tenant_count.reindex(p["parcel_id"]).fillna(0).astype(int).to_numpy(),
    })
    # Which units have data: parcels whose unit has no enterprise data are issues.
    unit_has_data = pd.Index(ent["unit_label"].dropna().unique())
    no_ent = ~pu_label.isin(unit_has_data).to_numpy() if spec.tenants == "pool" else \
        ~pd.Series(parcel_unit_label).isin(ent["unit_label"]).to_numpy()
    if no_ent.any():
        b = p[no_ent]
        issues.append(_issues("parcel_without_enterprise", b["holder"].to_numpy(dtype=object), b["parcel_id"].to_numpy(),
                              "parcels", None,
                              [f"工业用地宗地{pid}" + (f"(权利人{h})" if isinstance(h, str) else "(无有效权利人代码)")
                               + "在亩均效益数据中无对应企业" for pid, h in zip(b["parcel_id"], b["holder"].astype(object))]))
    landed = set(unit_land.loc[unit_land["land_m2"] > 0, "label"])
    noland = ~ent["unit_label"].isin(landed).to_numpy()
    if noland.any():
        b = ent[noland].drop_duplicates("uscc")
        issues.append(_issues("enterprise_without_land", b["uscc"].to_numpy(), None, "enterprises",
                              b["source_row"].to_numpy() if "source_row" in b.columns else None,
                              [f"企业{n if isinstance(n, str) else ''}({c})未关联到实际占有(使用)的工业用地,未参评"
                               for n, c in zip(b.get("name", pd.Series([None] * len(b))).astype(object), b["uscc"])]))
    ent = ent.drop(columns=["unit_label"])
    unit_land = unit_land.drop(columns=["label"])
    issue_frame = pd.concat(issues, ignore_index=True) if issues else pd.DataFrame(columns=JOIN_ISSUE_COLUMNS)
    return LandJoin(enterprises=ent, unit_land=unit_land[["unit_id", "land_m2", "land_mu", "parcel_ids", "members"]],
                    parcel_unit=parcel_unit, issues=issue_frame[JOIN_ISSUE_COLUMNS])
