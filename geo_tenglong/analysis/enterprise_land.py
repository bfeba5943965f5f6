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
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..uscc import valid_mask

JOIN_ISSUE_COLUMNS = ["kind", "uscc", "parcel_id", "source", "source_row", "message"]


@dataclasses.dataclass
class LandJoin:
    """The outcome of :func:`join_land`.

    Attributes
    ----------
    enterprises : DataFrame
        The valid, de-duplicated enterprise rows (one per ``uscc`` and ``year``), with ``code``
        (index into ``codes``), ``unit`` (integer unit label) and ``unit_id`` (the unit's name: the
        code of its member holding most land).
    unit_land : DataFrame
        Indexed by ``unit``: ``unit_id``, ``land_m2``, ``land_mu``, ``parcel_ids`` (``;``-joined),
        ``members`` (number of enterprises with data).
    parcel_unit : DataFrame
        One row per input parcel, in input order: ``parcel_id``, ``unit`` (the unit whose result
        the parcel shows: its pool, or its holder's unit; −1 for none), ``holder_code``,
        ``holder_uscc``, ``tenant_count``, ``industrial``.
    issues : DataFrame
        Columns :data:`JOIN_ISSUE_COLUMNS`.
    codes : numpy.ndarray
        Every code met (object array), indexed by the ``code`` integers.
    """

    enterprises: pd.DataFrame
    unit_land: pd.DataFrame
    parcel_unit: pd.DataFrame
    issues: pd.DataFrame
    codes: np.ndarray


def normalise_codes(codes) -> pd.Series:
    """Codes as stripped upper-case strings (``<NA>`` for blanks)."""
    s = pd.Series(codes, dtype="string").str.strip().str.upper()
    return s.mask(s == "")


def industrial_mask(land_use_code, prefixes, blank_is_industrial: bool | None = None) -> np.ndarray:
    """Parcels whose ``land_use_code`` starts with one of ``prefixes`` (case-insensitive).

    A blank code counts as industrial only when ``blank_is_industrial`` — by default the
    workspace's ``unknown_land_use_is_industrial`` (off), carried in the parcels' ``attrs``.
    Codes given without a workspace's word on it (a plain list: the layer has no land-use column
    at all) keep the layer as the industrial parcels.
    """
    if blank_is_industrial is None:
        blank_is_industrial = bool(getattr(land_use_code, "attrs", {}).get("unknown_land_use_is_industrial", True))
    codes = pd.Series(land_use_code, dtype="string").str.strip().str.upper()
    codes = codes.mask(codes == "")
    if not prefixes:
        return np.ones(len(codes), dtype=bool)
    out = np.array(codes.isna().to_numpy(), dtype=bool) if blank_is_industrial else np.zeros(len(codes), dtype=bool)
    for p in (str(p).strip().upper() for p in prefixes):
        out |= codes.str.startswith(p).fillna(False).to_numpy(dtype=bool)
    return out


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected-component labels of an undirected graph of ``n`` nodes with edges ``a[i]—b[i]``.

    scipy's :func:`~scipy.sparse.csgraph.connected_components`; every label is the smallest node
    index of its component.

    Examples
    --------
    >>> components(5, np.array([0, 3]), np.array([1, 4])).tolist()
    [0, 0, 2, 3, 3]
    """
    if len(a) == 0:
        return np.arange(n)
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    labels = connected_components(graph, directed=False)[1]
    first = np.unique(labels, return_index=True)[1]  # the smallest node of each component
    return first[labels]


def join_sorted(labels: np.ndarray, values: np.ndarray, sep: str = ";") -> np.ndarray:
    """``sep``-joined ``values`` of each run of equal ``labels`` (already sorted), one per run.

    Single-value runs are taken as they are; only longer runs are joined in Python.

    Examples
    --------
    >>> join_sorted(np.array([1, 1, 2]), np.array(["a", "b", "c"], dtype=object)).tolist()
    ['a;b', 'c']
    """
    if len(labels) == 0:
        return np.array([], dtype=object)
    start = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
    size = np.diff(np.r_[start, len(labels)])
    out = values[start].astype(object)
    multi = np.flatnonzero(size > 1)
    for g in multi:
        out[g] = sep.join(values[start[g]:start[g] + size[g]])
    return out


def _issues(kind, uscc, parcel_id, source, source_row, message) -> pd.DataFrame:
    n = len(message)

    def col(v):
        return np.repeat(np.asarray([v], dtype=object), n) if np.isscalar(v) or v is None else np.asarray(v, dtype=object)

    return pd.DataFrame({"kind": col(kind), "uscc": col(uscc), "parcel_id": col(parcel_id), "source": col(source),
                         "source_row": col(source_row), "message": np.asarray(message, dtype=object)})


def _valid_codes(codes: pd.Series) -> np.ndarray:
    """:func:`~geo_tenglong.uscc.valid_mask` over the distinct codes only (codes repeat by year)."""
    arr = codes.astype(object).where(codes.notna(), None).to_numpy(dtype=object)
    idx, uniq = pd.factorize(arr, use_na_sentinel=True)
    ok = valid_mask(pd.Series(uniq, dtype=object)) if len(uniq) else np.zeros(0, bool)
    return np.where(idx >= 0, ok[np.maximum(idx, 0)] if len(uniq) else False, False)


@dataclasses.dataclass
class _Parcels:
    """Every input parcel and the industrial ones (the steps of :func:`join_land` share it).

    Attributes
    ----------
    pid_all, holder_all : numpy.ndarray
        Every input parcel's id and valid holder code (``None`` when invalid or blank).
    industrial : numpy.ndarray
        Boolean mask of the industrial parcels among the input.
    pos : numpy.ndarray
        Positions of the industrial parcels in the input.
    pid, holder, land : numpy.ndarray
        The industrial parcels' ids, holder codes and land (m², unrounded).
    """

    pid_all: np.ndarray
    holder_all: np.ndarray
    industrial: np.ndarray
    pos: np.ndarray
    pid: np.ndarray
    holder: np.ndarray
    land: np.ndarray


@dataclasses.dataclass
class _Graph:
    """Codes and the parcel—code occupation edges (holders first, then tenants).

    Attributes
    ----------
    codes : numpy.ndarray
        Every code met (object array).
    has_h : numpy.ndarray
        Industrial parcel positions that have a valid holder.
    h_code, t_code, e_code : numpy.ndarray
        Code integers of the holders, tenancy rows and enterprise rows.
    occ_p, occ_c, occ_tenant : numpy.ndarray
        One entry per occupation: the parcel position, the code, whether a tenant.
    tp : numpy.ndarray
        Parcel position of each tenancy row.
    """

    codes: np.ndarray
    has_h: np.ndarray
    h_code: np.ndarray
    t_code: np.ndarray
    e_code: np.ndarray
    occ_p: np.ndarray
    occ_c: np.ndarray
    occ_tenant: np.ndarray
    tp: np.ndarray


def _industrial_parcels(parcels: pd.DataFrame, spec, issues: list[pd.DataFrame]) -> _Parcels:
    """The parcels' valid holder codes and the industrial parcels; invalid holder codes are issues.

    Parameters
    ----------
    parcels : DataFrame
        As for :func:`join_land`.
    spec : EvalSpec
        ``MJ-EVAL`` (``industrial_land_codes``).
    issues : list of DataFrame
        Appended to.

    Returns
    -------
    _Parcels
    """
    n_all = len(parcels)
    pid_all = parcels["parcel_id"].astype(str).to_numpy(dtype=object)
    holder_codes = normalise_codes(parcels["owner_uscc"] if "owner_uscc" in parcels.columns else [None] * n_all)
    holder_ok = _valid_codes(holder_codes)
    bad = holder_codes.notna().to_numpy() & ~holder_ok
    if bad.any():
        issues.append(_issues("invalid_uscc", holder_codes[bad].to_numpy(dtype=object), pid_all[bad], "parcels", None,
                              [f"宗地{a}的权利人统一社会信用代码{c}无效(校验位或字符不符),未能关联企业"
                               for a, c in zip(pid_all[bad], holder_codes[bad].to_numpy(dtype=object))]))
    # numpy's stubs reject None as a choice of where(); numpy takes it (object array)
    holder_all: np.ndarray = np.where(holder_ok, holder_codes.to_numpy(dtype=object, na_value=None),  # type: ignore[assignment]
                                      None)
    ind = industrial_mask(parcels["land_use_code"] if "land_use_code" in parcels.columns else [None] * n_all,
                          spec.industrial_land_codes)
    pos = np.flatnonzero(ind)                      # industrial parcels, positions in the input
    return _Parcels(pid_all=pid_all, holder_all=holder_all, industrial=ind, pos=pos, pid=pid_all[pos],
                    holder=holder_all[pos], land=np.asarray(parcels["land_m2"], dtype=float)[pos])


def _clean_enterprises(enterprises: pd.DataFrame | None, issues: list[pd.DataFrame]) -> pd.DataFrame:
    """The valid enterprise rows, one per code and year; invalid codes, missing years, duplicates are issues.

    Parameters
    ----------
    enterprises : DataFrame or None
        The ``enterprises`` table.
    issues : list of DataFrame
        Appended to.

    Returns
    -------
    DataFrame
        The kept rows with normalised ``uscc`` and integer ``year``, index reset.
    """
    if enterprises is None or not len(enterprises):
        return pd.DataFrame({"uscc": pd.Series(dtype=object), "year": pd.Series(dtype=int),
                             "source_row": pd.Series(dtype=float)})
    ent = enterprises.copy()
    ent["uscc"] = normalise_codes(ent["uscc"]).to_numpy()
    ok = _valid_codes(ent["uscc"])
    rows = ent["source_row"] if "source_row" in ent.columns else pd.Series(np.arange(len(ent)) + 2, index=ent.index)
    names = ent["name"] if "name" in ent.columns else pd.Series([None] * len(ent), index=ent.index)
    if (~ok).any():
        issues.append(_issues("invalid_uscc", ent["uscc"][~ok].to_numpy(dtype=object), None, "enterprises",
                              rows[~ok].to_numpy(),
                              [f"第{r}行 {n if isinstance(n, str) else ''} 统一社会信用代码"
                               f"{c if isinstance(c, str) else '(空)'}无效,该行未参与亩均评价"
                               for r, n, c in zip(rows[~ok], names[~ok].astype(object),
                                                  ent["uscc"][~ok].astype(object))]))
    ent = ent[ok].copy()
    ent["year"] = pd.to_numeric(ent["year"], errors="coerce")
    noyear = ent["year"].isna().to_numpy()
    if noyear.any():
        r = rows[ent.index[noyear]].to_numpy()
        issues.append(_issues("missing_year", ent["uscc"][noyear].to_numpy(dtype=object), None, "enterprises", r,
                              [f"第{x}行 缺少年度,该行未参与亩均评价" for x in r]))
    ent = ent[~noyear]
    ent["year"] = ent["year"].astype(int)
    ucode = pd.factorize(ent["uscc"].to_numpy(dtype=object))[0].astype(np.int64)
    dup = pd.Series(ucode * 10000 + ent["year"].to_numpy(dtype=np.int64)).duplicated(keep="first").to_numpy()
    if dup.any():
        firsts = ent[~dup].set_index(["uscc", "year"])["source_row"] if "source_row" in ent.columns else None
        d = ent[dup]
        first_rows = (firsts.reindex(pd.MultiIndex.from_frame(d[["uscc", "year"]])).to_numpy()
                      if firsts is not None else [None] * len(d))
        d_rows = d["source_row"].to_numpy() if "source_row" in d.columns else [None] * len(d)
        issues.append(_issues("duplicate_uscc", d["uscc"].to_numpy(dtype=object), None, "enterprises", d_rows,
                              [f"第{r}行 统一社会信用代码{c}在{y}年重复,仅采用第{f}行"
                               for r, c, y, f in zip(d_rows, d["uscc"], d["year"], first_rows)]))
    return ent[~dup].reset_index(drop=True)


def _clean_tenancy(tenancy: pd.DataFrame | None, par: _Parcels, issues: list[pd.DataFrame]) -> pd.DataFrame:
    """Tenancy rows with a valid code on a known industrial parcel, not the holder, once per (parcel, code).

    Parameters
    ----------
    tenancy : DataFrame or None
        The ``tenancy`` table.
    par : _Parcels
        The industrial parcels.
    issues : list of DataFrame
        Appended to (invalid codes, unknown parcels, duplicate rows).

    Returns
    -------
    DataFrame
        ``parcel_id``, ``uscc``, ``floor_area_m2``, ``source_row`` and ``p`` (industrial parcel position).
    """
    if tenancy is None or not len(tenancy):
        return pd.DataFrame({"parcel_id": pd.Series(dtype=object), "uscc": pd.Series(dtype=object),
                             "floor_area_m2": pd.Series(dtype=float), "source_row": pd.Series(dtype=float),
                             "p": pd.Series(dtype=np.int64)})
    t = pd.DataFrame({"parcel_id": tenancy["parcel_id"].astype("string").str.strip().to_numpy(dtype=object),
                      "uscc": normalise_codes(tenancy["uscc"]).to_numpy(dtype=object),
                      "floor_area_m2": pd.to_numeric(tenancy["floor_area_m2"], errors="coerce").to_numpy(dtype=float)
                      if "floor_area_m2" in tenancy.columns else np.nan,
                      "source_row": tenancy["source_row"].to_numpy() if "source_row" in tenancy.columns
                      else np.arange(len(tenancy)) + 2})
    ok = _valid_codes(t["uscc"])
    if (~ok).any():
        b = t[~ok]
        issues.append(_issues("invalid_uscc", b["uscc"].to_numpy(), b["parcel_id"].to_numpy(), "tenancy",
                              b["source_row"].to_numpy(),
                              [f"一地多企表第{r}行 承租企业统一社会信用代码{c if isinstance(c, str) else '(空)'}无效,未计入"
                               for r, c in zip(b["source_row"], b["uscc"])]))
    t = t[ok]
    at = pd.Index(par.pid).get_indexer(t["parcel_id"].fillna("").to_numpy(dtype=object))
    if (at < 0).any():
        b = t[at < 0]
        issues.append(_issues("tenancy_unknown_parcel", b["uscc"].to_numpy(), b["parcel_id"].to_numpy(), "tenancy",
                              b["source_row"].to_numpy(),
                              [f"一地多企表第{r}行 宗地{x}不在工业用地宗地图层中,未计入" for r, x in
                               zip(b["source_row"], b["parcel_id"])]))
    t = t[at >= 0].assign(p=at[at >= 0])
    dup = t.duplicated(["p", "uscc"], keep="first").to_numpy()
    if dup.any():
        b = t[dup]
        issues.append(_issues("duplicate_tenancy", b["uscc"].to_numpy(), b["parcel_id"].to_numpy(), "tenancy",
                              b["source_row"].to_numpy(),
                              [f"一地多企表第{r}行 与前行重复(同一宗地同一企业),仅采用首行" for r in b["source_row"]]))
    t = t[~dup]
    return t[t["uscc"].to_numpy(dtype=object) != par.holder[t["p"].to_numpy()]].reset_index(drop=True)


def _code_graph(par: _Parcels, t: pd.DataFrame, ent: pd.DataFrame) -> _Graph:
    """Every holder, tenant and enterprise code as an integer, and the occupation edges.

    Parameters
    ----------
    par : _Parcels
        The industrial parcels.
    t : DataFrame
        The cleaned tenancy rows (:func:`_clean_tenancy`).
    ent : DataFrame
        The cleaned enterprise rows (:func:`_clean_enterprises`).

    Returns
    -------
    _Graph
    """
    tp = t["p"].to_numpy(dtype=np.int64)
    has_h = np.flatnonzero(pd.notna(par.holder))
    all_codes = np.concatenate([par.holder[has_h], t["uscc"].to_numpy(dtype=object),
                                ent["uscc"].to_numpy(dtype=object)])
    code_idx, codes = pd.factorize(all_codes)
    h_code = code_idx[:len(has_h)]
    t_code = code_idx[len(has_h):len(has_h) + len(t)]
    return _Graph(codes=np.asarray(codes, dtype=object), has_h=has_h, h_code=h_code, t_code=t_code,
                  e_code=code_idx[len(has_h) + len(t):], occ_p=np.concatenate([has_h, tp]),
                  occ_c=np.concatenate([h_code, t_code]),
                  occ_tenant=np.r_[np.zeros(len(has_h), bool), np.ones(len(t), bool)], tp=tp)


def _label_units(par: _Parcels, t: pd.DataFrame, g: _Graph, spec, floor_area_m2: pd.Series | None,
                 issues: list[pd.DataFrame]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit labels of parcels and codes, and each occupation's share of its parcel's land.

    ``pool``: connected components of the holder — parcel — tenant graph, full shares.
    ``apportion``: each code its own unit; a tenant's share is its floor area over the parcel's.

    Parameters
    ----------
    par : _Parcels
        The industrial parcels.
    t : DataFrame
        The cleaned tenancy rows.
    g : _Graph
        Codes and occupations.
    spec : EvalSpec
        ``MJ-EVAL`` (``tenants``).
    floor_area_m2 : Series or None
        Floor area by ``parcel_id``.
    issues : list of DataFrame
        Appended to (tenancy rows without a valid floor area, apportion only).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        ``parcel_label`` (per industrial parcel, −1 for none), ``code_label`` (per code) and
        ``share`` (per occupation).
    """
    n_p, n_c = len(par.pos), len(g.codes)
    if spec.tenants == "pool":
        labels = components(n_p + n_c, g.occ_p, n_p + g.occ_c)
        return labels[:n_p], labels[n_p:], np.ones(len(g.occ_p))
    # apportion: tenant share = its floor area / the parcel's floor area.
    fa = floor_area_m2.reindex(pd.Index(par.pid.astype(str))).to_numpy(dtype=float) if floor_area_m2 is not None \
        else np.full(n_p, np.nan)
    tfa = t["floor_area_m2"].to_numpy(dtype=float)
    miss = np.isnan(tfa) | (tfa < 0)
    if miss.any():
        b = t[miss]
        issues.append(_issues("tenancy_missing_floor_area", b["uscc"].to_numpy(), b["parcel_id"].to_numpy(),
                              "tenancy", b["source_row"].to_numpy(),
                              [f"一地多企表第{r}行 缺少有效的使用建筑面积,按0分摊用地" for r in b["source_row"]]))
    tfa = np.where(miss, 0.0, tfa)
    tsum = np.bincount(g.tp, weights=tfa, minlength=n_p)
    total = np.where(np.isnan(fa) | (fa < tsum), tsum, fa)
    tshare = np.divide(tfa, total[g.tp], out=np.zeros_like(tfa), where=total[g.tp] > 0)
    hshare = 1.0 - np.divide(tsum, total, out=np.zeros(n_p), where=total > 0)
    code_label = np.arange(n_c) + n_p
    parcel_label = np.full(n_p, -1, dtype=np.int64)
    parcel_label[g.has_h] = code_label[g.h_code]
    return parcel_label, code_label, np.r_[hshare[g.has_h], tshare]


def _unit_land(par: _Parcels, g: _Graph, spec, parcel_label: np.ndarray, code_label: np.ndarray,
               share: np.ndarray) -> pd.DataFrame:
    """Land per unit: ``land_m2`` and ``;``-joined ``parcel_ids``, indexed by ``unit``.

    Parameters
    ----------
    par : _Parcels
        The industrial parcels.
    g : _Graph
        Codes and occupations.
    spec : EvalSpec
        ``MJ-EVAL`` (``tenants``).
    parcel_label, code_label, share : numpy.ndarray
        From :func:`_label_units`.

    Returns
    -------
    DataFrame
    """
    if spec.tenants == "pool":
        lab, lp, lw = parcel_label, np.arange(len(par.pos)), par.land
    else:
        keep = share > 0
        lab, lp, lw = code_label[g.occ_c][keep], g.occ_p[keep], (par.land[g.occ_p] * share)[keep]
    order = np.lexsort((par.pid[lp].astype(str), lab))
    lab, lp, lw = lab[order], lp[order], lw[order]
    starts = np.flatnonzero(np.r_[True, lab[1:] != lab[:-1]]) if len(lab) else np.zeros(0, int)
    return pd.DataFrame({"land_m2": np.add.reduceat(lw, starts) if len(lab) else np.zeros(0),
                         "parcel_ids": join_sorted(lab, par.pid[lp])}, index=pd.Index(lab[starts], name="unit"))


def _unit_names(par: _Parcels, g: _Graph, code_label: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Per label, the code naming its unit: the member holding most land (holders before tenants;
    ties: the code met first); a code with no land names its own unit; −1 for no unit.

    Parameters
    ----------
    par : _Parcels
        The industrial parcels.
    g : _Graph
        Codes and occupations.
    code_label, share : numpy.ndarray
        From :func:`_label_units`.

    Returns
    -------
    numpy.ndarray
        ``name_code``, indexed by label (``n_p + n_c`` entries).
    """
    n_p, n_c = len(par.pos), len(g.codes)
    held = pd.DataFrame({"label": code_label[g.occ_c], "code": g.occ_c, "land": par.land[g.occ_p] * share,
                         "tenant": g.occ_tenant})
    held = held.groupby(["label", "code"], as_index=False).agg(land=("land", "sum"), tenant=("tenant", "min"))
    lead = held.sort_values(["label", "tenant", "land", "code"], ascending=[True, True, False, True]) \
        .drop_duplicates("label").set_index("label")["code"]
    name_code = np.full(n_p + n_c, -1, dtype=np.int64)
    first_code = pd.Series(np.arange(n_c)).groupby(code_label).min()      # codes with no land: themselves
    name_code[first_code.index.to_numpy()] = first_code.to_numpy()
    name_code[lead.index.to_numpy()] = lead.to_numpy()
    return name_code


def _parcel_unit(par: _Parcels, g: _Graph, parcel_label: np.ndarray) -> pd.DataFrame:
    """Parcel → unit for every input parcel, in input order (−1: none, or not industrial).

    Parameters
    ----------
    par : _Parcels
        All and industrial parcels.
    g : _Graph
        Codes and occupations.
    parcel_label : numpy.ndarray
        Unit label of each industrial parcel.

    Returns
    -------
    DataFrame
        ``parcel_id``, ``unit``, ``holder_code``, ``holder_uscc``, ``tenant_count``, ``industrial``.
    """
    n_all = len(par.pid_all)
    unit_all = np.full(n_all, -1, dtype=np.int64)
    unit_all[par.pos] = parcel_label
    hcode_all = np.full(n_all, -1, dtype=np.int64)
    hcode_all[par.pos[g.has_h]] = g.h_code
    tc_all = np.zeros(n_all, dtype=np.int64)
    tc_all[par.pos] = np.bincount(g.tp, minlength=len(par.pos))
    return pd.DataFrame({"parcel_id": par.pid_all, "unit": unit_all, "holder_code": hcode_all,
                         # numpy's stubs reject None as a choice of where(); numpy takes it (object array)
                         "holder_uscc": np.where(hcode_all >= 0,
                                                 g.codes[np.maximum(hcode_all, 0)] if len(g.codes) else None,  # type: ignore[arg-type]
                                                 None),
                         "tenant_count": tc_all, "industrial": par.industrial})


def _coverage_issues(par: _Parcels, g: _Graph, ent: pd.DataFrame, unit_land: pd.DataFrame,
                     parcel_label: np.ndarray, issues: list[pd.DataFrame]) -> None:
    """Issues for industrial parcels whose unit has no enterprise data and enterprises with no land.

    Parameters
    ----------
    par : _Parcels
        The industrial parcels.
    g : _Graph
        Codes and occupations.
    ent : DataFrame
        Enterprise rows with ``unit``.
    unit_land : DataFrame
        Land per unit (named units only).
    parcel_label : numpy.ndarray
        Unit label of each industrial parcel.
    issues : list of DataFrame
        Appended to.
    """
    n_labels = len(par.pos) + len(g.codes)
    with_data = np.zeros(n_labels, dtype=bool)
    with_data[ent["unit"].to_numpy()] = True
    no_ent = (parcel_label < 0) | ~with_data[np.maximum(parcel_label, 0)]
    if no_ent.any():
        hs = par.holder[no_ent]
        issues.append(_issues("parcel_without_enterprise", hs, par.pid[no_ent], "parcels", None,
                              [f"工业用地宗地{x}" + (f"(权利人{h})" if isinstance(h, str) else "(无有效权利人代码)")
                               + "在亩均效益数据中无对应企业" for x, h in zip(par.pid[no_ent], hs)]))
    landed = np.zeros(n_labels, dtype=bool)
    landed[unit_land.index[unit_land["land_m2"] > 0].to_numpy()] = True
    noland = ~landed[ent["unit"].to_numpy()] if len(ent) else np.zeros(0, bool)
    if noland.any():
        b = ent[noland].drop_duplicates("uscc")
        bn = b["name"].astype(object).to_numpy() if "name" in b.columns else [None] * len(b)
        issues.append(_issues("enterprise_without_land", b["uscc"].to_numpy(dtype=object), None, "enterprises",
                              b["source_row"].to_numpy() if "source_row" in b.columns else None,
                              [f"企业{n if isinstance(n, str) else ''}({c})未关联到实际占有(使用)的工业用地,未参评"
                               for n, c in zip(bn, b["uscc"])]))


def join_land(parcels: pd.DataFrame, enterprises: pd.DataFrame | None, tenancy: pd.DataFrame | None, spec,
              floor_area_m2: pd.Series | None = None) -> LandJoin:
    """Join enterprises to their industrial land.

    Parameters
    ----------
    parcels : DataFrame
        ``parcel_id``, ``owner_uscc``, ``land_m2`` (planar area, unrounded), optionally
        ``land_use_code``.
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
        Units are integer labels (``unit``); ``unit_id`` names a unit by a member's code.
    """
    issues: list[pd.DataFrame] = []
    par = _industrial_parcels(parcels, spec, issues)
    ent = _clean_enterprises(enterprises, issues)
    t = _clean_tenancy(tenancy, par, issues)
    g = _code_graph(par, t, ent)
    parcel_label, code_label, share = _label_units(par, t, g, spec, floor_area_m2, issues)
    unit_land = _unit_land(par, g, spec, parcel_label, code_label, share)
    name_code = _unit_names(par, g, code_label, share)
    codes = g.codes

    ent["code"] = g.e_code
    ent["unit"] = code_label[g.e_code] if len(ent) else np.zeros(0, dtype=np.int64)
    ent["unit_id"] = codes[name_code[ent["unit"].to_numpy()]] if len(ent) else np.zeros(0, dtype=object)
    members = ent.groupby("unit")["code"].nunique()
    unit_land["members"] = members.reindex(unit_land.index).fillna(0).astype(int).to_numpy()
    nc = name_code[unit_land.index.to_numpy()]
    unit_land["unit_id"] = np.where(nc >= 0, codes[np.maximum(nc, 0)] if len(codes) else None, None)
    unit_land = unit_land[nc >= 0]
    unit_land["land_mu"] = unit_land["land_m2"] / (10000.0 / 15.0)

    parcel_unit = _parcel_unit(par, g, parcel_label)
    _coverage_issues(par, g, ent, unit_land, parcel_label, issues)
    issue_frame = pd.concat(issues, ignore_index=True) if issues else pd.DataFrame(columns=JOIN_ISSUE_COLUMNS)
    return LandJoin(enterprises=ent, unit_land=unit_land[["unit_id", "land_m2", "land_mu", "parcel_ids", "members"]],
                    parcel_unit=parcel_unit, issues=issue_frame[JOIN_ISSUE_COLUMNS], codes=codes)
