"""The reports' index: townships with their counts on index.html, each township's list in bounded pages."""

from __future__ import annotations

import math
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import geo_tenglong.report.report_index as ri
from geo_tenglong.report.parcel_report import (
    INDEX_FILE,
    REPORTS_DIR,
    report_relpath,
    write_parcel_reports,
    write_reports,
)
from geo_tenglong.report.report_index import INDEX_DIR, NO_TOWNSHIP, PAGE_ROWS, index_rows, write_index

from test_reports_fixture import EVIL, IDS, make_results, make_ws


class _Page(HTMLParser):
    """The tables of a page (rows of cells: text and hrefs), every href, and the text."""

    def __init__(self, path: Path):
        super().__init__()
        self.tables: list[list[list[dict]]] = []
        self.hrefs: list[str] = []
        self.anchors: list[list[str]] = []  # [href, text]
        self.text: list[str] = []
        self._cell: dict | None = None
        self._anchor: list[str] | None = None
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = {"text": "", "hrefs": []}
            self.tables[-1][-1].append(self._cell)
        elif tag == "a":
            href = dict(attrs)["href"]
            self.hrefs.append(href)
            self._anchor = [href, ""]
            self.anchors.append(self._anchor)
            if self._cell is not None:
                self._cell["hrefs"].append(href)

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self._cell = None
        elif tag == "a":
            self._anchor = None

    def handle_data(self, data):
        self.text.append(data)
        if self._anchor is not None:
            self._anchor[1] += data
        if self._cell is not None:
            self._cell["text"] += data

    def table(self, column: str) -> list[dict]:
        """The rows (header → cell) of the tables with a ``column`` header ([] when there is none)."""
        rows = []
        for t in self.tables:
            header = [c["text"] for c in t[0]]
            if column in header:
                rows.extend(dict(zip(header, row, strict=True)) for row in t[1:])
        return rows


def _report_links(page: _Page, folder: Path) -> list[Path]:
    """The parcel reports a page links to (resolved), one per listed row."""
    rows = page.table("宗地代码")
    return [(folder / r["宗地代码"]["hrefs"][0]).resolve() for r in rows]


def _township_pages(reports: Path) -> list[Path]:
    return sorted((reports / INDEX_DIR).glob("*.html"))


def _check_index(reports: Path, reported: list[str], township_of: dict[str, str], files: bool = True) -> dict[str, _Page]:
    """The checks every index must pass (with ``files``: every link leads to a file that was written);
    returns the parsed township pages by file name."""
    index = _Page(reports / INDEX_FILE)
    towns = [r for r in index.table("报告(宗)") if r["乡镇(街道)"]["text"] != "合计"]
    expected = pd.Series([township_of[p] for p in reported]).value_counts()
    counted = {r["乡镇(街道)"]["text"]: int(r["报告(宗)"]["text"].replace(",", "")) for r in towns}
    assert counted == expected.to_dict()  # counts per township add up to the reports written, township by township
    assert sum(counted.values()) == len(reported)
    pages = {p.name: _Page(p) for p in _township_pages(reports)}
    linked: list[Path] = []
    for name, page in pages.items():
        links = _report_links(page, reports / INDEX_DIR)
        assert 0 < len(links) <= PAGE_ROWS, name
        linked.extend(links)
        for href in page.hrefs if files else ():
            assert (reports / INDEX_DIR / href.split("#")[0]).resolve().is_file(), (name, href)
    want = sorted((reports / report_relpath(p)).resolve() for p in reported)
    assert sorted(linked) == want  # every report linked exactly once across the township pages
    for t in towns:  # a township's name on index.html opens its first page, which lists that township's reports
        first = t["乡镇(街道)"]["hrefs"][0]
        assert first.startswith(f"{INDEX_DIR}/") and (reports / first).is_file()
    return pages


# ------------------------------------------------------------------------------------- the sample

@pytest.fixture(scope="module")
def sample_index(sample_results, sample_dir, tmp_path_factory):
    from geo_tenglong.workspace import load_workspace

    mp = pytest.MonkeyPatch()
    mp.setenv("GEO_TENGLONG_CHROMIUM", "none")
    try:
        out = tmp_path_factory.mktemp("sample-index")
        ws = load_workspace(sample_dir)
        written = write_reports(sample_results, out, ws=ws)
    finally:
        mp.undo()
    return out / REPORTS_DIR, written


def test_sample_index_counts_and_links_every_report_once(sample_results, sample_index):
    from geo_tenglong.report.parcel_report import report_selection

    reports, written = sample_index
    reported = report_selection(sample_results)
    p = sample_results.parcels.set_index(sample_results.parcels["parcel_id"].astype(str))
    township_of = {pid: (NO_TOWNSHIP if pd.isna(t) or not str(t).strip() else str(t))
                   for pid, t in p.loc[reported, "township"].items()}
    pages = _check_index(reports, reported, township_of)
    assert {f"{INDEX_DIR}/{n}" for n in pages} == {p.relative_to(reports).as_posix() for p in written
                                                   if p.parent.name == INDEX_DIR}
    # a county this size: one page per township, and index.html lists every report once as well
    assert len(pages) == len(set(township_of.values()))
    index = _Page(reports / INDEX_FILE)
    assert sorted(_report_links(index, reports)) == sorted((reports / report_relpath(i)).resolve() for i in reported)


def test_sample_rule_counts_match_the_findings(sample_results, sample_index):
    from geo_tenglong.report.parcel_report import report_selection

    reports, _ = sample_index
    reported = set(report_selection(sample_results))
    f = sample_results.findings
    own = f[f["parcel_id"].astype(str).isin(reported) & (f["status"] == "fail")]
    rules = {r["规则"]["text"]: r for r in _Page(reports / INDEX_FILE).table("名称")}
    for rule, n in own.groupby("rule_id")["parcel_id"].nunique().items():
        # a report also shows the findings of features related to its parcel (plots, proposals): at least these
        assert int(rules[rule]["不符合"]["text"].replace(",", "")) >= n, rule
    assert all(r["名称"]["text"] for r in rules.values())  # every rule named from the ruleset


# -------------------------------------------------------------------------------- escaping, small

def test_index_escapes_township_and_owner_names(tmp_path, monkeypatch):
    monkeypatch.setenv("GEO_TENGLONG_CHROMIUM", "none")
    res = make_results()
    evil_town = "<script>alert('镇')</script>"
    res.parcels["township"] = res.parcels["township"].astype(object)
    res.parcels.loc[0, "township"] = evil_town  # the parcel whose owner is EVIL as well
    res.parcels.loc[3, "township"] = None
    written = write_parcel_reports(res, [IDS[0], IDS[2], IDS[3]], tmp_path, make_ws(), index=True)
    pages = [p for p in written if p.suffix == ".html" and (p.name == INDEX_FILE or p.parent.name == INDEX_DIR)]
    assert len(pages) == 4  # index.html and three townships (one of them 未填乡镇)
    for page in pages:
        assert page.resolve().parent in (tmp_path.resolve(), (tmp_path / INDEX_DIR).resolve())
        html = page.read_text(encoding="utf-8")
        assert "<script" not in html.lower(), page.name
    index = (tmp_path / INDEX_FILE).read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#39;镇&#39;)&lt;/script&gt;" in index and "&lt;script&gt;alert(1)&lt;/script&gt;" in index
    assert EVIL not in index
    evil_page = tmp_path / INDEX_DIR / ri.township_page(evil_town, 1)
    assert "/" not in ri.township_page(evil_town, 1) and evil_page.is_file()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in evil_page.read_text(encoding="utf-8")
    township_of = {IDS[0]: evil_town, IDS[2]: "白鹤镇", IDS[3]: NO_TOWNSHIP}
    _check_index(tmp_path, [IDS[0], IDS[2], IDS[3]], township_of)
    towns = [r["乡镇(街道)"]["text"] for r in _Page(tmp_path / INDEX_FILE).table("报告(宗)")]
    assert towns[-2:] == [NO_TOWNSHIP, "合计"]  # parcels without a township listed last


def test_index_pages_follow_the_run_order_with_a_small_page(tmp_path, monkeypatch):
    """Through write_parcel_reports with one report a page: each township's pages in the order asked."""
    monkeypatch.setenv("GEO_TENGLONG_CHROMIUM", "none")
    monkeypatch.setattr(ri, "PAGE_ROWS", 1)
    res = make_results()
    ids = list(reversed(IDS))
    write_parcel_reports(res, ids, tmp_path, make_ws(), index=True)
    towns = dict(zip(res.parcels["parcel_id"], res.parcels["township"], strict=True))
    for town in dict.fromkeys(towns[i] for i in ids):
        mine = [i for i in ids if towns[i] == town]
        listed = []
        for k in range(1, len(mine) + 1):
            page = _Page(tmp_path / INDEX_DIR / ri.township_page(town, k))
            listed.extend(r["宗地代码"]["text"] for r in page.table("宗地代码"))
        assert listed == mine
        assert not (tmp_path / INDEX_DIR / ri.township_page(town, len(mine) + 1)).exists()


# ------------------------------------------------------------------------ more rows than a page

def _synthetic_rows(counts: dict[str | None, int]) -> tuple[pd.DataFrame, dict[str, str]]:
    """Index rows of ``counts`` parcels per township (None: no township), interleaved as a layer would be."""
    rng = np.random.default_rng(7)
    towns = np.repeat(np.array(list(counts), dtype=object), list(counts.values()))
    rng.shuffle(towns)
    ids = [f"331023{k:09d}GB{k % 99999:05d}" for k in range(len(towns))]
    parcels = pd.DataFrame({"parcel_id": ids, "township": towns, "park_id": rng.choice(["P1", None], len(ids)),
                            "area_mu": rng.uniform(1, 50, len(ids)).round(4),
                            "eval_class": rng.choice(["A", "B", "C", "D", None], len(ids))})
    rules = np.array(["TT-T4", "NAT-COVER", "TT-FEE"])
    entries = {pid: {"owner": f"企业{k}", "fail": list(rules[:k % 3]), "warn": ["TT-FEE"] if k % 2 else []}
               for k, pid in enumerate(ids)}
    rows = index_rows(parcels, entries, {"P1": "天台经济开发区"}, atlas_pages={pid: k + 1 for k, pid in enumerate(ids)})
    return rows, {pid: NO_TOWNSHIP if t is None else t for pid, t in zip(ids, towns, strict=True)}


def test_more_reports_than_a_page(tmp_path):
    counts = {"始丰街道": 2 * PAGE_ROWS + 37, "白鹤镇": PAGE_ROWS, None: 12 * PAGE_ROWS + 1, "平桥镇": 3}
    rows, township_of = _synthetic_rows(counts)
    written = write_index(rows, tmp_path, {"county": "天台县", "document": "天政发〔2022〕1号", "as_of": "2023-06-30"},
                          atlas=True)
    pages = _check_index(tmp_path, list(rows["parcel_id"]), township_of, files=False)  # no reports behind it
    position = {pid: k for k, pid in enumerate(rows["parcel_id"])}
    assert written[-1] == tmp_path / INDEX_FILE and len(written) == len(pages) + 1
    for town, n in counts.items():
        name = NO_TOWNSHIP if town is None else town
        n_pages = math.ceil(n / PAGE_ROWS)
        files = [ri.township_page(name, k) for k in range(1, n_pages + 1)]
        assert set(files) <= set(pages) and ri.township_page(name, n_pages + 1) not in pages
        numbers, order = [], []
        for k, f in enumerate(files, 1):
            page = pages[f]
            listed = page.table("宗地代码")
            numbers.extend(int(r["序号"]["text"]) for r in listed)
            order.extend(r["宗地代码"]["text"] for r in listed)
            # 上一页/下一页 (above and below the list) lead to the neighbouring pages
            prev = {h for h, text in page.anchors if text == "上一页"}
            after = {h for h, text in page.anchors if text == "下一页"}
            assert prev == ({files[k - 2]} if k > 1 else set()) and after == ({files[k]} if k < n_pages else set())
            assert ("上一页" in "".join(page.text)) == (n_pages > 1)  # no pager on a township of one page
            for r in listed:  # the parcel's page of the atlas
                assert r["PDF"]["hrefs"] == [f"../宗地报告图集.pdf#page={position[r['宗地代码']['text']] + 1}"]
            if n_pages > 11:  # a long list shows the first, the last and the nearby page numbers, not all
                shown = {h for h, text in page.anchors if text.isdigit()}
                assert files[0] in shown | {f} and files[-1] in shown | {f} and len(shown) < n_pages - 1
        assert numbers == list(range(1, n + 1))  # numbered through the township's pages
        assert order == [pid for pid in rows["parcel_id"] if township_of[pid] == name]  # in the order given
    index = _Page(tmp_path / INDEX_FILE)
    assert not index.table("宗地代码")  # too many to list on the county page
    towns = [r["乡镇(街道)"]["text"] for r in index.table("报告(宗)")]
    first_seen = [t for t in dict.fromkeys(township_of[pid] for pid in rows["parcel_id"]) if t != NO_TOWNSHIP]
    assert towns == [*first_seen, NO_TOWNSHIP, "合计"]  # in the order met, parcels without a township last
    by_rule = {r["规则"]["text"]: r for r in index.table("名称")}
    fail = rows["fail"].explode().value_counts()
    assert {k: int(v["不符合"]["text"].replace(",", "") or 0) for k, v in by_rule.items() if v["不符合"]["text"]} == \
        fail.to_dict()


def test_index_says_which_flagged_parcels_got_no_report(tmp_path, monkeypatch):
    """Above the auto threshold only 不符合 parcels get reports: the index says how many 提示-only ones have none."""
    import geo_tenglong.report.parcel_report as pr
    import geo_tenglong.report.pdf as pdfmod
    from geo_tenglong.report.parcel_report import flagged_parcels, report_selection

    monkeypatch.setenv("GEO_TENGLONG_CHROMIUM", "none")
    monkeypatch.setattr(pdfmod, "_warned", set())  # its one-time warnings stay this test's
    res = make_results()
    f = res.findings
    res.findings = pd.concat([f, f[f["parcel_id"] == IDS[0]].head(1).assign(parcel_id=IDS[1], status="warn")],
                             ignore_index=True)  # a parcel with a 提示 and no 不符合
    monkeypatch.setattr(pr, "AUTO_FLAGGED_MAX", 1)
    monkeypatch.setattr(pr, "ATLAS_MAX_PAGES", 1)
    write_reports(res, tmp_path, ws=make_ws())
    unreported = len(flagged_parcels(res)) - len(report_selection(res, "auto"))
    assert unreported == 1
    notes = [r for r in "".join(_Page(tmp_path / REPORTS_DIR / INDEX_FILE).text).split("。") if "未生成报告" in r]
    assert len(notes) == 1 and f"另有 {unreported} 宗" in notes[0] and "geo-tenglong report" in notes[0]
    assert "未打印 PDF 图集" in (tmp_path / REPORTS_DIR / INDEX_FILE).read_text(encoding="utf-8")
    monkeypatch.setattr(pr, "AUTO_FLAGGED_MAX", 2000)
    monkeypatch.setattr(pr, "ATLAS_MAX_PAGES", 2000)
    write_reports(res, tmp_path / "all", ws=make_ws())  # every flagged parcel reported, PDFs skipped by choice
    html = (tmp_path / "all" / REPORTS_DIR / INDEX_FILE).read_text(encoding="utf-8")
    assert "未生成报告" not in html and "未打印" not in html
