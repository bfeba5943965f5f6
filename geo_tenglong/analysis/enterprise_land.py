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
        ``holder_uscc`` (both object), ``tenant_count``, ``industrial``.
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
        ``parcel_id``, ``uscc``, ``floor_area_m2``, ``source_row`` and ``p`` (industrial parcel position),
        with the table's index.
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
                      else np.arange(len(tenancy)) + 2}, index=tenancy.index)
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
    return t[t["uscc"].to_numpy(dtype=object) != par.holder[t["p"].to_numpy()]]


@dataclasses.dataclass
class LandPiece:
    """Some of the parcels joined to the codes on them, as far as that needs none of the others.

    :func:`land_piece` makes one from a part of the parcels layer (a partition's own parcels, or
    the whole layer) with the tenancy rows naming them; :func:`join_land` reduces the pieces of
    all the parcels. A piece holds what needs only a parcel and its tenancy rows — its land, its
    valid holder code, its use, the checks of its tenancy rows and their floor-area shares — and,
    per code, the partial sums of the land the piece's parcels give it.

    Attributes
    ----------
    rows : numpy.ndarray
        Each parcel's row position in the whole parcels layer.
    holder : numpy.ndarray
        Each industrial parcel's valid holder, as a row of ``codes`` (−1: none, or not industrial).
    industrial : numpy.ndarray
        Whether each parcel is industrial land.
    tenant_count : numpy.ndarray
        Tenancy rows counted on each parcel.
    codes : DataFrame
        One row per code occupying one of the piece's industrial parcels: ``code``;
        ``holder_row`` (its first parcel as holder, a whole-layer row; NaN for none);
        ``tenancy_row`` (its first tenancy row as tenant, the table's index; NaN for none);
        ``held`` (m², its occupations' land times their shares); ``land``, ``parcels`` and
        ``parcel_ids`` (m², count and sorted ``;``-joined ids of the parcels whose land it brings
        to its unit: those it holds (``pool``), or those it has a share > 0 of, times the share
        (``apportion``)).
    edges : DataFrame
        ``pool``: one row per kept tenancy row: the ``tenant`` and the parcel's ``holder`` as rows
        of ``codes`` (−1: no valid holder) and the parcel's whole-layer ``row``.
    lone : DataFrame
        ``pool``: the industrial parcels with tenants but no valid holder: ``row``, ``parcel_id``,
        ``land_m2``.
    issues : DataFrame
        Columns :data:`JOIN_ISSUE_COLUMNS`: invalid holder codes, the tenancy rows' problems.
    """

    rows: np.ndarray
    holder: np.ndarray
    industrial: np.ndarray
    tenant_count: np.ndarray
    codes: pd.DataFrame
    edges: pd.DataFrame
    lone: pd.DataFrame
    issues: pd.DataFrame


def _shares(par: _Parcels, t: pd.DataFrame, spec, floor_area_m2: pd.Series | None,
            issues: list[pd.DataFrame]) -> tuple[np.ndarray, np.ndarray]:
    """Each holder's and each tenancy row's share of its parcel's land.

    ``pool``: every share is 1. ``apportion``: a tenant's share is its floor area over the
    parcel's (from buildings; the tenants' sum when larger or unknown), the holder the rest.

    Parameters
    ----------
    par : _Parcels
        The industrial parcels.
    t : DataFrame
        The cleaned tenancy rows (:func:`_clean_tenancy`).
    spec : EvalSpec
        ``MJ-EVAL`` (``tenants``).
    floor_area_m2 : Series or None
        Floor area by ``parcel_id``.
    issues : list of DataFrame
        Appended to (tenancy rows without a valid floor area, apportion only).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The holder's share per industrial parcel, and each tenancy row's share.
    """
    n_p = len(par.pos)
    if spec.tenants == "pool":
        return np.ones(n_p), np.ones(len(t))
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
    tp = t["p"].to_numpy(dtype=np.int64)
    tsum = np.bincount(tp, weights=tfa, minlength=n_p)
    total = np.where(np.isnan(fa) | (fa < tsum), tsum, fa)
    tshare = np.divide(tfa, total[tp], out=np.zeros_like(tfa), where=total[tp] > 0)
    hshare = 1.0 - np.divide(tsum, total, out=np.zeros(n_p), where=total > 0)
    return hshare, tshare


def land_piece(parcels: pd.DataFrame, rows: np.ndarray, tenancy: pd.DataFrame | None, spec,
               floor_area_m2: pd.Series | None = None) -> LandPiece:
    """Join a part of the parcels to the codes on them (the map of :func:`join_land`).

    Parameters
    ----------
    parcels : DataFrame
        ``parcel_id``, ``owner_uscc``, ``land_m2`` (planar area, unrounded), optionally
        ``land_use_code``: the part's parcels.
    rows : numpy.ndarray
        Their row positions in the whole parcels layer.
    tenancy : DataFrame or None
        The ``tenancy`` rows naming the part's parcels (and, in one piece only, those naming no
        parcel), with the whole table's index (it orders the codes first met there).
    spec : EvalSpec
        ``MJ-EVAL``: ``industrial_land_codes`` and ``tenants``.
    floor_area_m2 : Series, optional
        Floor area by ``parcel_id`` (from buildings), for ``tenants = "apportion"``.

    Returns
    -------
    LandPiece
    """
    issues: list[pd.DataFrame] = []
    par = _industrial_parcels(parcels, spec, issues)
    t = _clean_tenancy(tenancy, par, issues)
    hshare, tshare = _shares(par, t, spec, floor_area_m2, issues)
    rows = np.asarray(rows, dtype=np.int64)
    prow = rows[par.pos]
    tp = t["p"].to_numpy(dtype=np.int64)
    has_h = np.flatnonzero(pd.notna(par.holder))
    occ = pd.DataFrame({"code": np.r_[par.holder[has_h], t["uscc"].to_numpy(dtype=object)],
                        "p": np.r_[has_h, tp], "tenant": np.r_[np.zeros(len(has_h), bool), np.ones(len(t), bool)],
                        "first": np.r_[prow[has_h], t.index.to_numpy(dtype=np.int64)].astype(float),
                        "land": par.land[np.r_[has_h, tp]] * np.r_[hshare[has_h], tshare]})
    occ["pid"] = par.pid[occ["p"].to_numpy()].astype(str)
    by_code = occ.groupby("code", sort=False)
    codes = pd.DataFrame({"held": by_code["land"].sum()})
    codes["holder_row"] = occ[~occ["tenant"]].groupby("code")["first"].min().reindex(codes.index)
    codes["tenancy_row"] = occ[occ["tenant"]].groupby("code")["first"].min().reindex(codes.index)
    brought = occ[~occ["tenant"]] if spec.tenants == "pool" else occ[np.r_[hshare[has_h], tshare] > 0]
    brought = brought.sort_values(["code", "pid"])
    bc = brought["code"].to_numpy(dtype=object)
    starts = np.flatnonzero(np.r_[True, bc[1:] != bc[:-1]]) if len(bc) else np.zeros(0, int)
    land = pd.DataFrame({"land": np.add.reduceat(brought["land"].to_numpy(), starts) if len(bc) else np.zeros(0),
                         "parcels": np.diff(np.r_[starts, len(bc)]),
                         "parcel_ids": join_sorted(bc, brought["pid"].to_numpy(dtype=object))},
                        index=pd.Index(bc[starts], dtype=object))
    codes = codes.join(land)
    codes["land"] = codes["land"].fillna(0.0)
    codes["parcels"] = codes["parcels"].fillna(0).astype(np.int64)
    codes = codes.rename_axis("code").reset_index()
    at = pd.Index(codes["code"].to_numpy(dtype=object), dtype=object)
    holder = np.full(len(par.pid_all), -1, dtype=np.int64)
    holder[par.pos[has_h]] = at.get_indexer(par.holder[has_h])
    edges = pd.DataFrame({"tenant": at.get_indexer(t["uscc"].to_numpy(dtype=object)), "holder": holder[par.pos[tp]],
                          "row": prow[tp]})
    lone_p = np.setdiff1d(np.unique(tp), has_h)
    lone = pd.DataFrame({"row": prow[lone_p], "parcel_id": par.pid[lone_p], "land_m2": par.land[lone_p]})
    if spec.tenants != "pool":
        edges, lone = edges.iloc[:0], lone.iloc[:0]
    tenant_count = np.zeros(len(par.pid_all), dtype=np.int64)
    tenant_count[par.pos] = np.bincount(tp, minlength=len(par.pos))
    return LandPiece(rows=rows, holder=holder, industrial=par.industrial, tenant_count=tenant_count,
                     codes=codes, edges=edges, lone=lone, issues=_issue_frame(issues))


def _issue_frame(issues: list[pd.DataFrame]) -> pd.DataFrame:
    """The issue frames as one (columns :data:`JOIN_ISSUE_COLUMNS`)."""
    frames = [i for i in issues if len(i)]
    return pd.concat(frames, ignore_index=True)[JOIN_ISSUE_COLUMNS] if frames else pd.DataFrame(columns=JOIN_ISSUE_COLUMNS)


def _joined(keys: np.ndarray, land: np.ndarray, ids: np.ndarray) -> pd.DataFrame:
    """Land summed and ``;``-joined parcel ids merged (sorted) per key.

    Parameters
    ----------
    keys : numpy.ndarray
        The key of each part.
    land : numpy.ndarray
        Each part's land (m²).
    ids : numpy.ndarray
        Each part's sorted ``;``-joined parcel ids.

    Returns
    -------
    DataFrame
        ``land_m2`` and ``parcel_ids``, indexed by key (ascending). A key of several parts has its
        ids split, sorted and joined again.
    """
    order = np.argsort(keys, kind="stable")
    k, w, v = keys[order], land[order], ids[order].astype(object)
    if not len(k):
        return pd.DataFrame({"land_m2": np.zeros(0), "parcel_ids": np.zeros(0, dtype=object)},
                            index=pd.Index(k, name="unit"))
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    size = np.diff(np.r_[starts, len(k)])
    out = v[starts].copy()
    for g in np.flatnonzero(size > 1):
        out[g] = ";".join(sorted(";".join(v[starts[g]:starts[g] + size[g]]).split(";")))
    return pd.DataFrame({"land_m2": np.add.reduceat(w, starts), "parcel_ids": out}, index=pd.Index(k[starts], name="unit"))


@dataclasses.dataclass
class _Codes:
    """The pieces' codes reduced: every code once, numbered in the order codes are met.

    The order: holders by their first parcel's row, then tenants by their first tenancy row, then
    the enterprises table's other codes by their first row — the same however the parcels were cut.

    Attributes
    ----------
    codes : numpy.ndarray
        Every code (object), indexed by code number.
    of_piece_row : numpy.ndarray
        The code number of each row of the pieces' ``codes`` frames, one after another.
    offsets : numpy.ndarray
        Where each piece's rows start among those.
    held, land, holder_row : numpy.ndarray
        Per code number: summed ``held`` and ``land`` (m²), the smallest ``holder_row`` (NaN: not
        a holder, or met in the enterprises table only).
    parcels : numpy.ndarray
        Per code number: the parcels whose land it brings to its unit.
    parcel_ids : numpy.ndarray
        Per code number: their sorted ``;``-joined ids (object; ``None`` for none).
    firm_code : numpy.ndarray
        The code number of each enterprise row.
    """

    codes: np.ndarray
    of_piece_row: np.ndarray
    offsets: np.ndarray
    held: np.ndarray
    land: np.ndarray
    holder_row: np.ndarray
    parcels: np.ndarray
    parcel_ids: np.ndarray
    firm_code: np.ndarray


def _merge_codes(pieces: list[LandPiece], ent: pd.DataFrame) -> _Codes:
    """The pieces' code rows and the enterprise rows' codes reduced to one number per code.

    Parameters
    ----------
    pieces : list of LandPiece
    ent : DataFrame
        The cleaned enterprise rows (``uscc``).

    Returns
    -------
    _Codes
    """
    ct = pd.concat([p.codes for p in pieces], ignore_index=True)
    offsets = np.cumsum([0] + [len(p.codes) for p in pieces])
    gi, uniq = pd.factorize(ct["code"].to_numpy(dtype=object))
    n_u = len(uniq)
    holder_row = np.full(n_u, np.inf)
    np.minimum.at(holder_row, gi, ct["holder_row"].fillna(np.inf).to_numpy(dtype=float))
    tenancy_row = np.full(n_u, np.inf)
    np.minimum.at(tenancy_row, gi, ct["tenancy_row"].fillna(np.inf).to_numpy(dtype=float))
    holders = np.flatnonzero(np.isfinite(holder_row))
    tenants = np.flatnonzero(~np.isfinite(holder_row))
    met = np.r_[holders[np.argsort(holder_row[holders], kind="stable")],
                tenants[np.argsort(tenancy_row[tenants], kind="stable")]].astype(np.int64)
    number = np.empty(n_u, dtype=np.int64)
    number[met] = np.arange(n_u)
    firm_of_row, firms = pd.factorize(ent["uscc"].to_numpy(dtype=object))
    known = pd.Index(np.asarray(uniq, dtype=object), dtype=object).get_indexer(np.asarray(firms, dtype=object))
    new = known < 0
    firm_number = np.where(new, n_u + np.cumsum(new) - 1, number[np.maximum(known, 0)] if n_u else 0)
    codes = np.r_[np.asarray(uniq, dtype=object)[met], np.asarray(firms, dtype=object)[new]].astype(object)
    n_c = len(codes)
    of_row = number[gi]
    some = (ct["parcels"] > 0).to_numpy()
    ids = _joined(of_row[some], np.zeros(int(some.sum())), ct["parcel_ids"].to_numpy(dtype=object)[some])
    parcel_ids = np.full(n_c, None, dtype=object)
    parcel_ids[ids.index.to_numpy(dtype=np.int64)] = ids["parcel_ids"].to_numpy(dtype=object)
    hr = np.full(n_c, np.nan)
    hr[:n_u] = np.where(np.isfinite(holder_row[met]), holder_row[met], np.nan)
    return _Codes(codes=codes, of_piece_row=of_row, offsets=offsets,
                  held=np.bincount(of_row, weights=ct["held"].to_numpy(dtype=float), minlength=n_c),
                  land=np.bincount(of_row, weights=ct["land"].to_numpy(dtype=float), minlength=n_c),
                  holder_row=hr, parcels=np.bincount(of_row, weights=ct["parcels"].to_numpy(dtype=float),
                                                     minlength=n_c).astype(np.int64),
                  parcel_ids=parcel_ids, firm_code=firm_number[firm_of_row] if len(ent) else np.zeros(0, np.int64))


def _unit_labels(n_all: int, cs: _Codes, pieces: list[LandPiece], spec) -> tuple[np.ndarray, pd.DataFrame]:
    """The unit label of every code and of the pool's lone parcels.

    ``pool``: the connected components of the holder — parcel — tenant graph; a unit holding
    parcels is labelled by its first parcel's whole-layer row, one without by ``n_all`` + its
    first code. ``apportion``: each code its own unit, ``n_all`` + the code. Labels thus follow
    the parcels' and then the codes' order, whatever the pieces.

    Parameters
    ----------
    n_all : int
        Parcels in the whole layer.
    cs : _Codes
        The codes reduced.
    pieces : list of LandPiece
    spec : EvalSpec
        ``MJ-EVAL`` (``tenants``).

    Returns
    -------
    (numpy.ndarray, DataFrame)
        The label of each code number, and the lone parcels with their ``label``.
    """
    n_c = len(cs.codes)
    lone = pd.concat([p.lone for p in pieces], ignore_index=True)
    if spec.tenants != "pool":
        return n_all + np.arange(n_c), lone.assign(label=np.zeros(len(lone), dtype=np.int64))
    tenant, holder, row = [], [], []
    for p, off in zip(pieces, cs.offsets):
        e = p.edges
        tenant.append(cs.of_piece_row[off + e["tenant"].to_numpy(dtype=np.int64)])
        h = e["holder"].to_numpy(dtype=np.int64)
        holder.append(np.where(h >= 0, cs.of_piece_row[off + np.maximum(h, 0)] if len(h) else h, -1))
        row.append(e["row"].to_numpy(dtype=np.int64))
    t, h, r = (np.concatenate(x) if x else np.zeros(0, np.int64) for x in (tenant, holder, row))
    lone_at = pd.Index(lone["row"].to_numpy(dtype=np.int64))
    a = np.where(h >= 0, h, n_c + lone_at.get_indexer(r))
    comp = components(n_c + len(lone), a, t)
    first = pd.Series(np.r_[cs.holder_row, lone["row"].to_numpy(dtype=float)]).groupby(comp).min()
    cf = first.reindex(comp).to_numpy(dtype=float)
    label = np.where(np.isnan(cf), n_all + comp, np.nan_to_num(cf)).astype(np.int64)
    return label[:n_c], lone.assign(label=label[n_c:])


def _unit_names(cs: _Codes, code_label: np.ndarray) -> pd.Series:
    """Per unit label, the code naming it: the member holding most land (holders before tenants;
    ties: the code met first); a unit without land is named by its first code.

    Parameters
    ----------
    cs : _Codes
        The codes reduced.
    code_label : numpy.ndarray
        The unit label of each code number.

    Returns
    -------
    Series
        Code number, indexed by label.
    """
    occupying = np.unique(cs.of_piece_row)
    tenant = np.isnan(cs.holder_row[occupying])
    order = np.lexsort((occupying, -cs.held[occupying], tenant, code_label[occupying]))
    lab = code_label[occupying][order]
    lead = np.flatnonzero(np.r_[True, lab[1:] != lab[:-1]]) if len(lab) else np.zeros(0, dtype=np.int64)
    names = pd.Series(np.arange(len(cs.codes)), dtype=np.int64).groupby(code_label).min()
    names.loc[lab[lead]] = occupying[order][lead]
    return names


def _coverage_issues(industrial: np.ndarray, pid_all: np.ndarray, holder_all: np.ndarray, parcel_label: np.ndarray,
                     ent: pd.DataFrame, unit_land: pd.DataFrame, issues: list[pd.DataFrame]) -> None:
    """Issues for industrial parcels whose unit has no enterprise data and enterprises with no land.

    Parameters
    ----------
    industrial : numpy.ndarray
        Mask of the industrial parcels (whole layer).
    pid_all, holder_all : numpy.ndarray
        Every parcel's id and valid holder code (industrial parcels).
    parcel_label : numpy.ndarray
        Every parcel's unit label (−1: none).
    ent : DataFrame
        Enterprise rows with ``unit``.
    unit_land : DataFrame
        Land per unit (named units only).
    issues : list of DataFrame
        Appended to.
    """
    lab = parcel_label[industrial]
    no_ent = (lab < 0) | ~np.isin(lab, ent["unit"].to_numpy())
    if no_ent.any():
        hs, ps = holder_all[industrial][no_ent], pid_all[industrial][no_ent]
        issues.append(_issues("parcel_without_enterprise", hs, ps, "parcels", None,
                              [f"工业用地宗地{x}" + (f"(权利人{h})" if isinstance(h, str) else "(无有效权利人代码)")
                               + "在亩均效益数据中无对应企业" for x, h in zip(ps, hs)]))
    landed = unit_land.index[unit_land["land_m2"] > 0].to_numpy()
    noland = ~np.isin(ent["unit"].to_numpy(), landed) if len(ent) else np.zeros(0, bool)
    if noland.any():
        b = ent[noland].drop_duplicates("uscc")
        bn = b["name"].astype(object).to_numpy() if "name" in b.columns else [None] * len(b)
        issues.append(_issues("enterprise_without_land", b["uscc"].to_numpy(dtype=object), None, "enterprises",
                              b["source_row"].to_numpy() if "source_row" in b.columns else None,
                              [f"企业{n if isinstance(n, str) else ''}({c})未关联到实际占有(使用)的工业用地,未参评"
                               for n, c in zip(bn, b["uscc"])]))


def join_land(pieces: list[LandPiece], parcel_ids: pd.Series, enterprises: pd.DataFrame | None,
              spec) -> LandJoin:
    """Join enterprises to their industrial land: the pieces of every parcel reduced (the finish).

    Parameters
    ----------
    pieces : list of LandPiece
        :func:`land_piece` of parts of the parcels layer, every parcel in exactly one.
    parcel_ids : Series
        Every parcel's id, in layer order.
    enterprises : DataFrame or None
        The ``enterprises`` table (``uscc``, ``year``, …, ``source_row``).
    spec : EvalSpec
        ``MJ-EVAL``: ``tenants``.

    Returns
    -------
    LandJoin
        Units are integer labels (``unit``), the same however the parcels were cut into pieces;
        ``unit_id`` names a unit by a member's code.

    Examples
    --------
    The land an enterprise holds in two pieces is summed:

    >>> from geo_tenglong.rules import load_ruleset
    >>> spec = load_ruleset("tiantai-2022").get("MJ-EVAL")
    >>> p = pd.DataFrame({"parcel_id": ["A", "B"], "owner_uscc": ["91331023MA2A000017"] * 2,
    ...                   "land_use_code": ["1001", "1001"], "land_m2": [1000.0, 2000.0]})
    >>> halves = [land_piece(p.iloc[[k]], np.array([k]), None, spec) for k in (0, 1)]
    >>> join_land(halves, p["parcel_id"], None, spec).unit_land[["land_m2", "parcel_ids"]].values.tolist()
    [[3000.0, 'A;B']]
    """
    issues = [p.issues for p in pieces]
    ent = _clean_enterprises(enterprises, issues)
    cs = _merge_codes(pieces, ent)
    codes = cs.codes
    n_all = len(parcel_ids)
    pid_all = parcel_ids.astype(str).to_numpy(dtype=object)
    hcode_all = np.full(n_all, -1, dtype=np.int64)
    industrial = np.zeros(n_all, dtype=bool)
    tenant_count = np.zeros(n_all, dtype=np.int64)
    for p, off in zip(pieces, cs.offsets):
        h = p.holder
        hcode_all[p.rows] = np.where(h >= 0, cs.of_piece_row[off + np.maximum(h, 0)] if len(cs.of_piece_row) else -1,
                                     -1)
        industrial[p.rows], tenant_count[p.rows] = p.industrial, p.tenant_count
    code_label, lone = _unit_labels(n_all, cs, pieces, spec)

    parcel_label = np.full(n_all, -1, dtype=np.int64)
    held = hcode_all >= 0
    parcel_label[held] = code_label[hcode_all[held]]
    if spec.tenants == "pool":
        bare = np.flatnonzero(industrial & ~held)
        parcel_label[bare] = bare
        parcel_label[lone["row"].to_numpy(dtype=np.int64)] = lone["label"].to_numpy(dtype=np.int64)

    brings = np.flatnonzero(cs.parcels > 0)
    unit_land = _joined(np.r_[code_label[brings], lone["label"].to_numpy(dtype=np.int64)],
                        np.r_[cs.land[brings], lone["land_m2"].to_numpy(dtype=float)],
                        np.r_[cs.parcel_ids[brings], lone["parcel_id"].to_numpy(dtype=object)])
    names = _unit_names(cs, code_label)

    ent["code"] = cs.firm_code
    ent["unit"] = code_label[cs.firm_code] if len(ent) else np.zeros(0, dtype=np.int64)
    ent["unit_id"] = codes[names.reindex(ent["unit"]).to_numpy(dtype=np.int64)] if len(ent) else np.zeros(0, dtype=object)
    members = ent.groupby("unit")["code"].nunique()
    unit_land["members"] = members.reindex(unit_land.index).fillna(0).astype(int).to_numpy()
    nc = names.reindex(unit_land.index).fillna(-1).to_numpy(dtype=np.int64)
    unit_land["unit_id"] = np.where(nc >= 0, codes[np.maximum(nc, 0)] if len(codes) else None, None)
    unit_land = unit_land[nc >= 0]
    unit_land["land_mu"] = unit_land["land_m2"] / (10000.0 / 15.0)

    holder_all = np.full(n_all, None, dtype=object)
    holder_all[held] = codes[hcode_all[held]]
    parcel_unit = pd.DataFrame({"parcel_id": pd.Series(pid_all, dtype=object), "unit": parcel_label,
                                "holder_code": hcode_all, "holder_uscc": pd.Series(holder_all, dtype=object),
                                "tenant_count": tenant_count, "industrial": industrial})
    _coverage_issues(industrial, pid_all, holder_all, parcel_label, ent, unit_land, issues)
    return LandJoin(enterprises=ent, unit_land=unit_land[["unit_id", "land_m2", "land_mu", "parcel_ids", "members"]],
                    parcel_unit=parcel_unit, issues=_issue_frame(issues), codes=codes)
