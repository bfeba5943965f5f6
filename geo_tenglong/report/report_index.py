"""The index of the parcel reports: what a user opens to reach them, at a county's count or a province's.

``reports/index.html`` lists the townships (乡镇/街道) with their counts of reported parcels —
不符合 and 仅提示, by 亩均效益 class, by rule — and links to each township's list. A township's
list is split into pages of at most :data:`PAGE_ROWS` reports (``reports/index/<乡镇>-<n>.html``)
with 上一页/下一页 and page numbers, so no page grows with the county: at a million parcels the
611,038 reports of the synthetic county are 32 townships of ~20 pages each, where one list of them
all was hundreds of MB that no browser opens. Parcels without a township are listed under
:data:`NO_TOWNSHIP`. With at most :data:`PAGE_ROWS` reports (a county: the sample has 402) the
county page also lists every report itself, as the one list it always was.

Every row links to the parcel's HTML report, its PDF when one was written and its page of the
atlas. Everything shown goes through the autoescaping templates of
:func:`~geo_tenglong.report.parcel_report.template_env`; file names of the township pages come from
:func:`~geo_tenglong.report.parcel_report.report_relpath`, so no township name can leave
``reports/index/``. Every page is written atomically into the reports folder the run stages.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..io.atomic import check_not_input, write_text_atomic

# parcel_report imports this module inside write_parcel_reports (not at its top), so this import is no cycle
from .parcel_report import ATLAS_FILE, INDEX_FILE, _css, _fmt, _missing, report_relpath, template_env

__all__ = ["PAGE_ROWS", "INDEX_DIR", "NO_TOWNSHIP", "index_rows", "rule_titles", "township_page", "write_index"]

#: Most reports listed on one page (a township's list is split into pages of this many).
PAGE_ROWS = 1000
#: Folder (inside the reports folder) of the townships' pages.
INDEX_DIR = "index"
#: Where parcels without a township (乡镇/街道) are listed.
NO_TOWNSHIP = "未填乡镇"
#: The label of parcels without a 亩均效益 class.
NO_CLASS = "未参评"
#: Page numbers shown around the current one (and the first and last) when a list has more pages.
_PAGER_NEAR = 3

#: The columns :func:`write_index` reads from :func:`index_rows`.
COLUMNS = ("parcel_id", "owner", "township", "park", "area_mu", "eval_class", "fail", "warn", "html", "pdf",
           "atlas_page")


def index_rows(parcels: pd.DataFrame, entries: Mapping[str, Mapping[str, Any]], parks: Mapping[str, str],
               pdf_paths: Mapping[str, Any] | None = None, atlas_pages: Mapping[str, int] | None = None) -> pd.DataFrame:
    """The index's row of each reported parcel.

    Parameters
    ----------
    parcels : DataFrame
        The reported parcels' rows of the parcel layer (``parcel_id``, ``township``, ``park_id``,
        ``area_mu``, ``eval_class`` where present), in the order of the reports.
    entries : mapping
        Parcel id → what its page showed: ``owner``, and the rule ids of its 不符合 (``fail``) and
        提示 (``warn``) findings.
    parks : mapping
        Park id → park name.
    pdf_paths : mapping, optional
        Parcel id → its PDF, for the parcels that have one.
    atlas_pages : mapping, optional
        Parcel id → its page (from 1) in :data:`~geo_tenglong.report.parcel_report.ATLAS_FILE`.

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS`: the township is :data:`NO_TOWNSHIP` when missing, the park its
        name (``""`` outside parks), ``fail``/``warn`` tuples of rule ids, ``html``/``pdf`` file
        names inside the reports folder (``pdf`` None without one), ``atlas_page`` None without one.
    """
    ids = parcels["parcel_id"].astype(str).tolist()
    n = len(ids)
    pdf_paths = pdf_paths or {}
    atlas_pages = atlas_pages or {}

    def column(name: str) -> list:
        return parcels[name].tolist() if name in parcels.columns else [None] * n

    return pd.DataFrame({
        "parcel_id": ids,
        "owner": [str(entries[pid]["owner"]) for pid in ids],
        "township": [NO_TOWNSHIP if _missing(t) else str(t).strip() for t in column("township")],
        "park": ["" if _missing(k) else str(parks.get(str(k), k)) for k in column("park_id")],
        "area_mu": pd.to_numeric(pd.Series(column("area_mu"), dtype=object), errors="coerce").to_numpy(float),
        "eval_class": ["" if _missing(c) else str(c) for c in column("eval_class")],
        "fail": [tuple(entries[pid]["fail"]) for pid in ids],
        "warn": [tuple(entries[pid]["warn"]) for pid in ids],
        "html": [report_relpath(pid, ".html") for pid in ids],
        "pdf": [report_relpath(pid, ".pdf") if pid in pdf_paths else None for pid in ids],
        "atlas_page": [atlas_pages.get(pid) for pid in ids],
    }, columns=list(COLUMNS))


def rule_titles(ruleset) -> dict[str, tuple[str, str]]:
    """Rule id → (title, clause) of a ruleset's rules and targets (``{}`` without a ruleset)."""
    if ruleset is None:
        return {}
    out = {t.rule_id: (t.label, t.clause) for t in getattr(ruleset, "targets", ())}
    out.update({rid: (spec.title, spec.clause) for rid, spec in getattr(ruleset, "rules", {}).items()})
    return out


def township_page(township: str, page: int) -> str:
    """The file name (inside ``reports/index/``) of page ``page`` (from 1) of a township's list.

    Examples
    --------
    >>> township_page("始丰街道", 2)
    '始丰街道-2.html'
    >>> township_page("../x", 1).startswith("x-")
    True
    """
    return report_relpath(township, f"-{page}.html")


def _pager(names: list[str], current: int) -> list[dict]:
    """Page links of a list of ``len(names)`` pages: all of them, or the first, the last and those
    near ``current`` (from 1) with gaps between."""
    n = len(names)
    keep = set(range(1, n + 1)) if n <= 2 * _PAGER_NEAR + 5 else \
        {1, n, *range(max(1, current - _PAGER_NEAR), min(n, current + _PAGER_NEAR) + 1)}
    out: list[dict] = []
    for k in sorted(keep):
        if out and k > out[-1]["n"] + 1:
            out.append({"gap": True, "n": k - 1})
        out.append({"gap": False, "n": k, "href": names[k - 1], "current": k == current})
    return out


class _Table:
    """The rows of the index as plain columns (a page takes a slice of positions, not a frame)."""

    def __init__(self, rows: pd.DataFrame):
        self.cols = {c: rows[c].to_numpy(dtype=object) for c in COLUMNS}
        self.area = rows["area_mu"].to_numpy(float)

    def records(self, positions: Iterable[int], first_no: int, prefix: str) -> list[dict]:
        """The table rows of ``positions``, numbered from ``first_no``, linking with ``prefix`` (``../``)."""
        c = self.cols
        out = []
        for k, pos in enumerate(positions):
            pdf, page = c["pdf"][pos], c["atlas_page"][pos]
            out.append({"no": first_no + k, "parcel_id": c["parcel_id"][pos], "owner": c["owner"][pos],
                        "township": c["township"][pos], "park": c["park"][pos],
                        "area_mu": _fmt(self.area[pos], 4), "eval_class": c["eval_class"][pos],
                        "fail": "、".join(c["fail"][pos]), "warn": "、".join(c["warn"][pos]),
                        "html": prefix + c["html"][pos], "pdf": None if pdf is None else prefix + pdf,
                        "atlas_page": page})
        return out


def _rule_counts(rows: pd.DataFrame, status: str) -> pd.Series:
    """Parcels per (township, rule) with a ``status`` (``fail``/``warn``) finding of the rule."""
    long = rows[["township", status]].explode(status).dropna()
    return long.groupby(["township", status], sort=False).size().rename(status).rename_axis(["township", "rule"])


def write_index(rows: pd.DataFrame, reports_dir: str | Path, info: Mapping[str, Any],
                titles: Mapping[str, tuple[str, str]] | None = None, atlas: bool = False,
                inputs: Iterable[str | Path] = (), notes: Iterable[str] = ()) -> list[Path]:
    """Write the county page :data:`INDEX_FILE` and every township's pages.

    Parameters
    ----------
    rows : DataFrame
        From :func:`index_rows`, in the order the reports are listed.
    reports_dir : str or Path
        The reports folder (the pages go to ``reports_dir/index.html`` and ``reports_dir/index/``).
    info : mapping
        The results' info (county, document, as_of, run_id).
    titles : mapping, optional
        Rule id → (title, clause) from the ruleset, shown beside the rule counts.
    atlas : bool
        Whether :data:`~geo_tenglong.report.parcel_report.ATLAS_FILE` was written (linked from every page).
    inputs : iterable of Path
        Input files no page may replace.
    notes : iterable of str
        Lines shown under the county page's title (e.g. which parcels got no report).

    Returns
    -------
    list of Path
        The township pages, then the county page.
    """
    reports_dir = Path(reports_dir)
    inputs = list(inputs)
    titles = titles or {}
    env = template_env()
    css = _css()
    table = _Table(rows)
    townships = list(dict.fromkeys(rows["township"]))
    if NO_TOWNSHIP in townships:  # parcels without a township last
        townships.remove(NO_TOWNSHIP)
        townships.append(NO_TOWNSHIP)
    positions = rows.groupby("township", sort=False).indices
    has_fail = rows["fail"].map(bool).to_numpy()
    has_warn = rows["warn"].map(bool).to_numpy()
    classes = sorted({c for c in rows["eval_class"] if c})
    by_rule = pd.concat([_rule_counts(rows, "fail"), _rule_counts(rows, "warn")], axis=1).fillna(0).astype(int)
    rule_totals = by_rule.groupby(level="rule").sum()
    # rules with 不符合 findings first, then by parcels named
    rule_order = sorted(rule_totals.index, key=lambda r: (rule_totals.at[r, "fail"] == 0,
                                                          -int(rule_totals.loc[r].sum()), str(r)))
    anyhit = by_rule.sum(axis=1)
    atlas_href = ATLAS_FILE if atlas else None
    cls_of = rows["eval_class"].to_numpy(dtype=object)
    page_tpl = env.get_template("index_township.html")
    written: list[Path] = []
    summary = []
    for t_no, township in enumerate(townships, 1):
        pos = positions[township]
        n_pages = max(1, math.ceil(len(pos) / PAGE_ROWS))
        files = [township_page(township, k) for k in range(1, n_pages + 1)]
        town = {"no": t_no, "name": township, "missing": township == NO_TOWNSHIP, "n": len(pos),
                "n_fail": int(has_fail[pos].sum()), "n_warn": int((has_warn[pos] & ~has_fail[pos]).sum()),
                "area_mu": _fmt(float(np.nansum(table.area[pos])), 2),
                "classes": [int((cls_of[pos] == c).sum()) for c in [*classes, ""]],
                "rules": {r: int(anyhit.get((township, r), 0)) for r in rule_order},
                "pages": [f"{INDEX_DIR}/{f}" for f in files]}
        summary.append(town)
        for k in range(1, n_pages + 1):
            listed = table.records(pos[(k - 1) * PAGE_ROWS:k * PAGE_ROWS], (k - 1) * PAGE_ROWS + 1, "../")
            html = page_tpl.render(
                info=info, css=css, township=town, page=k, n_pages=n_pages, pager=_pager(files, k),
                prev=files[k - 2] if k > 1 else None, next=files[k] if k < n_pages else None, rows=listed,
                atlas="../" + atlas_href if atlas_href else None,
                printed=atlas or any(r["pdf"] for r in listed), titles=titles, home="../" + INDEX_FILE)
            target = reports_dir / INDEX_DIR / files[k - 1]
            check_not_input(target, inputs)
            written.append(write_text_atomic(target, html))
    totals = {"n": len(rows), "n_fail": int(has_fail.sum()), "n_warn": int((has_warn & ~has_fail).sum()),
              "area_mu": _fmt(float(np.nansum(table.area)), 2),
              "classes": [sum(t["classes"][i] for t in summary) for i in range(len(classes) + 1)]}
    rules = [{"rule": r, "title": titles.get(r, ("", ""))[0], "clause": titles.get(r, ("", ""))[1],
              "fail": int(rule_totals.at[r, "fail"]), "warn": int(rule_totals.at[r, "warn"])} for r in rule_order]
    every = table.records(range(len(rows)), 1, "") if len(rows) <= PAGE_ROWS else None  # a county's one list
    html = env.get_template("index.html").render(
        info=info, css=css, townships=summary, totals=totals, classes=[*classes, NO_CLASS], rules=rules,
        rows=every, atlas=atlas_href, printed=atlas or bool(rows["pdf"].notna().any()), page_rows=PAGE_ROWS,
        paged=any(len(t["pages"]) > 1 for t in summary), notes=list(notes))
    target = reports_dir / INDEX_FILE
    check_not_input(target, inputs)
    written.append(write_text_atomic(target, html))
    return written
