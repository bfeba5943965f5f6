"""宗地分析报告: one A4 page per parcel, as HTML (print CSS) and PDF, plus an atlas of them all.

A report shows who holds the parcel and where it is (乡镇, 园区), a static map (matplotlib PNG as a
data URI — no internet) of the parcel with its buildings, neighbours and nearby corner plots, the
界址点成果表, the area in m² and 亩, its indicators against the county benchmarks and targets, its
亩均效益 class, and every finding with rule id, clause, value and threshold. It renders what the
stages published and decides no rule: thresholds shown are those of the findings.

User text (enterprise names …) goes through an autoescaping Jinja2 template, so markup in a name
is shown as text. File names come from :func:`report_relpath`, which can never leave the reports
folder whatever a parcel id contains.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import numpy as np
import pandas as pd

from ..errors import GeoTenglongError, InputError
from ..findings import FAIL, STATUS_LABELS, WARN
from ..io.atomic import check_not_input, write_text_atomic
from .fonts import font_face_css
from .map_svg import parcel_map_svg
from .parallel import chunk_size, chunked, forks, map_chunks, worker_count
from .pdf import _warn, find_chromium, outline_starts, print_atlas, split_by_outline
from .workbook import park_names, split_ids

__all__ = ["REPORTS_DIR", "ATLAS_FILE", "INDEX_FILE", "REPORT_CHOICES", "ReportError", "report_relpath", "report_path",
           "flagged_parcels", "report_selection", "render_reports_html", "write_parcel_reports", "write_reports",
           "corner_table", "corner_rows", "template_env"]

#: Folder (inside the output folder) of the parcel reports; the web map links to ``reports/<relpath>``.
REPORTS_DIR = "reports"
#: The combined PDF of every flagged parcel, a page each (like a QGIS atlas).
ATLAS_FILE = "宗地报告图集.pdf"
#: The index of the reports: their townships, each with its pages of reports (see :mod:`.report_index`).
INDEX_FILE = "index.html"
#: Report pages per Chromium process when printing the atlas (its time grows faster than linearly
#: with one huge document).
ATLAS_CHUNK = 100

_TEMPLATES = Path(__file__).with_name("templates")
_SAFE = re.compile(r"[^0-9A-Za-z_\-\u4e00-\u9fff]")
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


# ------------------------------------------------------------------------------------- names

#: Layers whose features concern parcels: layer → (feature id column, column naming the parcels),
#: as declared in the results schema.
_RELATED = {"split_checks": ("proposal_id", "parcel_id"), "merge_checks": ("proposal_id", "parcel_ids"),
            "fragment_offers": ("fragment_id", "parcel_id"), "fragments": ("fragment_id", "neighbours")}


def _parcel_ids(value: Any) -> list[str]:
    """Parcel ids from a ``;``-list, a list, or the fragments' ``neighbours`` records (JSON or list of dicts)."""
    if isinstance(value, str) and value.lstrip().startswith("["):
        value = json.loads(value)
    if isinstance(value, list | tuple) and value and isinstance(value[0], dict):
        return [str(d["parcel_id"]) for d in value if d.get("parcel_id") is not None]
    return split_ids(value)


def report_relpath(parcel_id, suffix: str = ".html") -> str:
    """The file name of a parcel's report inside the reports folder (``reports/<this>``).

    Letters, digits, ``_``, ``-`` and CJK characters are kept; anything else (``/``, ``..``,
    ``\\``, spaces, control characters) becomes ``_``, and a short hash of the original id is
    appended whenever something was changed, so two ids never share a file. The result never
    contains a path separator, never starts with a dot and is at most ~100 characters.

    Parameters
    ----------
    parcel_id : str
        A 宗地代码 (or any feature id).
    suffix : str
        ``.html`` or ``.pdf``.

    Returns
    -------
    str

    Examples
    --------
    >>> report_relpath("331023001001GB00001")
    '331023001001GB00001.html'
    >>> report_relpath("../../etc/passwd").startswith("etc_passwd-")
    True
    """
    raw = "" if parcel_id is None else str(parcel_id)
    text = unicodedata.normalize("NFKC", raw)
    safe = _SAFE.sub("_", text).strip("_.")[:80]
    if safe != raw or not safe or safe.upper() in _RESERVED:
        digest = hashlib.sha1(raw.encode("utf-8")).hexdigest()[:10]
        safe = f"{safe}-{digest}" if safe else f"parcel-{digest}"
    return safe + suffix


def report_path(reports_dir: str | Path, parcel_id, suffix: str = ".html") -> Path:
    """``reports_dir / report_relpath(parcel_id)``, checked to resolve inside ``reports_dir``.

    Raises
    ------
    InputError
        If the resolved path would leave ``reports_dir`` (cannot happen with
        :func:`report_relpath`; the check guards against future changes and symlinks).
    """
    base = Path(reports_dir).resolve()
    target = (base / report_relpath(parcel_id, suffix)).resolve()
    if target.parent != base:
        raise InputError(f"report file for parcel {parcel_id!r} would leave the reports folder", reports_dir)
    return target


# --------------------------------------------------------------------------------- formatting

def _missing(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, (float, np.floating)) and math.isnan(v)) or \
        (isinstance(v, str) and v.strip() == "")


def _fmt(v, digits: int = 2, unit: str = "") -> str:
    if _missing(v):
        return "—"
    if isinstance(v, (bool, np.bool_)):
        return "是" if v else "否"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}{unit}"
    if isinstance(v, (float, np.floating)):
        return f"{float(v):,.{digits}f}{unit}"
    return f"{v}{unit}"


def _num(v) -> str:
    """A finding's value or threshold: up to 4 decimals, trailing zeros trimmed."""
    if _missing(v):
        return "—"
    s = f"{float(v):,.4f}".rstrip("0").rstrip(".")
    return s


def _text(v) -> str:
    if _missing(v):
        return "—"
    if hasattr(v, "isoformat") and hasattr(v, "hour") and (v.hour, v.minute, v.second) == (0, 0, 0):
        return v.date().isoformat()  # a date read back as a timestamp
    if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}[ T]00:00:00", v):
        return v[:10]
    return str(v)


# ------------------------------------------------------------------------------ 界址点成果表

def corner_table(geom) -> pd.DataFrame:
    """界址点成果表 of one parcel: 点号, X (northing), Y (easting), 边长 to the next point.

    Outer rings run clockwise from their north-west-most point, holes counter-clockwise; points are
    numbered J1, J2 … through the parcel and each ring is closed by repeating its first point (the
    closing row has no 边长), as in the 界址点坐标交换格式.

    Parameters
    ----------
    geom : shapely Polygon or MultiPolygon
        In a projected CRS in metres.

    Returns
    -------
    DataFrame
        Columns ``点号, X, Y, 边长`` (metres) and ``圈号`` (ring number).
    """
    import shapely

    rows = []
    n = 0
    ring_no = 0
    for poly in shapely.get_parts(geom):
        if poly.geom_type != "Polygon" or poly.is_empty:
            continue
        poly = shapely.geometry.polygon.orient(poly, sign=-1.0)  # exterior clockwise, holes counter-clockwise
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)[:-1, :2]
            if len(xy) < 3:
                continue
            ring_no += 1
            start = int(np.argmax(xy[:, 1] - xy[:, 0]))  # the north-west-most point
            xy = np.roll(xy, -start, axis=0)
            nxt = np.roll(xy, -1, axis=0)
            sides = np.hypot(*(nxt - xy).T)
            first = n + 1
            for k, (e, north) in enumerate(xy):
                n += 1
                rows.append({"点号": f"J{n}", "X": north, "Y": e, "边长": sides[k], "圈号": ring_no})
            rows.append({"点号": f"J{first}", "X": xy[0, 1], "Y": xy[0, 0], "边长": np.nan, "圈号": ring_no})
    return pd.DataFrame(rows, columns=["点号", "X", "Y", "边长", "圈号"])


def corner_rows(parcels) -> dict[str, pd.DataFrame]:
    """The 界址点成果表 of each parcel (``点号, X, Y, 边长, 圈号``), by parcel id.

    Uses :func:`geo_tenglong.report.corner_table.corner_points` (the surveyor's labels and the
    order of the 界址点坐标交换格式 writer) when that module is present, else :func:`corner_table`.
    """
    ids = parcels["parcel_id"].astype(str).to_numpy()
    try:
        from .corner_table import corner_points
    except ImportError:
        corner_points = None  # type: ignore[assignment]
    if corner_points is not None and len(parcels):
        try:
            t = corner_points(parcels)
            pid = t["parcel_id"].astype(str).to_numpy()
            order = np.argsort(pid, kind="stable")  # each parcel's rows together, in their order
            pid = pid[order]
            cols = {"点号": t["point_no"], "X": t["x"], "Y": t["y"], "边长": t["edge_m"], "圈号": t["ring"]}
            arrays = {k: v.to_numpy()[order] for k, v in cols.items()}
            cut = np.flatnonzero(pid[1:] != pid[:-1]) + 1
            return {pid[a]: pd.DataFrame({k: v[a:b] for k, v in arrays.items()})
                    for a, b in zip(np.r_[0, cut], np.r_[cut, len(pid)])}
        except Exception:  # noqa: BLE001 — the local table is always right; never lose a report over it
            pass
    return {pid: corner_table(g) for pid, g in zip(ids, parcels.geometry)}


# ---------------------------------------------------------------------------------- the context

#: The finding fields a report shows, and the order of statuses on the page.
_FINDING_FIELDS = ("rule_id", "clause", "status", "value", "threshold", "unit", "message")
_STATUS_ORDER = {FAIL: 0, WARN: 1, "missing_data": 2, "pass": 3, "not_applicable": 4}


class _Context:
    """What every report of one run shares: indexes, names, benchmarks (built once)."""

    def __init__(self, results, ws=None):
        self.results = results
        self.info = {k: ("" if v is None else v) for k, v in results.info.items()}
        self.info.setdefault("document", "")
        p = results.parcels
        self.parcels = p
        self.ids = p["parcel_id"].astype(str).to_numpy(dtype=object)
        #: parcel id → row position (a dict: a pandas lookup on the string index cost ~50 µs each)
        self.pos = {pid: k for k, pid in reversed(list(enumerate(self.ids)))}
        self.sindex = p.sindex
        self.geoms = p.geometry.to_numpy()
        self.parks = park_names(results, ws)
        b = ws.layer("buildings") if ws is not None and hasattr(ws, "layer") else None
        self.buildings = (b.sindex, b.geometry.to_numpy()) if b is not None and len(b) else None
        plots = results.layer("fragments")
        self.plots = (plots.sindex, plots.geometry.to_numpy()) \
            if plots is not None and hasattr(plots, "sindex") and len(plots) else None
        f = results.findings
        # findings as plain columns and row positions per feature: a page takes a few records, not a frame
        self.f_cols = {c: f[c].to_numpy(dtype=object) for c in _FINDING_FIELDS}
        self.by_feature = f.groupby(f["parcel_id"].astype(str).to_numpy(), sort=False).indices
        self.related = self._related()
        self.targets = self._targets()
        self.metrics = results.metrics or {}
        self._corners: dict[str, pd.DataFrame] = {}
        self._rows: dict[str, dict] = {}
        try:
            from .corner_table import crs_label

            self.info["crs_label"] = crs_label(p.crs)
        except Exception:  # noqa: BLE001
            self.info["crs_label"] = self.info.get("crs", "")
        self.means = {c: float(pd.to_numeric(p[c], errors="coerce").mean()) for c in
                      ("far", "building_coverage", "admin_share") if c in p.columns}
        ev = results.layer("enterprise_eval")
        self.eval = None
        if ev is not None and len(ev) and "uscc" in ev:
            ev = pd.DataFrame(ev)
            year = pd.to_numeric(ev.get("year"), errors="coerce")
            last = ev[(year == results.evaluation_year()).to_numpy()]
            self.eval = last.assign(uscc=last["uscc"].astype(str)).drop_duplicates("uscc").set_index("uscc")

    def _related(self) -> dict[str, set[str]]:
        """parcel id → ids of other features (plots, proposals) whose findings concern it."""
        out: dict[str, set[str]] = {}
        for name, (id_col, parcels_col) in _RELATED.items():
            layer = self.results.layer(name)
            if layer is None or not len(layer):
                continue
            for fid, parcels in zip(layer[id_col], layer[parcels_col], strict=True):
                if _missing(fid):
                    continue
                for pid in _parcel_ids(parcels):
                    out.setdefault(pid, set()).add(str(fid))
        return out

    def _targets(self) -> dict[str, dict]:
        t = self.results.layer("targets")
        if t is None or not len(t) or "metric" not in t:
            return {}
        return {str(r["metric"]): r for r in pd.DataFrame(t).to_dict("records")}

    def prepare(self, ids) -> None:
        """Take the attributes and compute the 界址点成果表 of many parcels at once (vectorised)."""
        todo = [pid for pid in ids if pid not in self._corners and pid in self.pos]
        if todo:
            rows = self.parcels.iloc[[self.pos[pid] for pid in todo]]
            self._corners.update(corner_rows(rows))
            self._rows.update(zip(todo, pd.DataFrame(rows).to_dict("records")))

    def forget(self, pid: str) -> None:
        """Drop what :meth:`prepare` kept of a parcel once its page is written (memory at a million parcels)."""
        self._corners.pop(pid, None)
        self._rows.pop(pid, None)

    def row(self, pid: str) -> dict:
        """The parcel's attributes (column → value)."""
        if pid not in self._rows:
            self.prepare([pid])
        return self._rows[pid]

    def corners(self, pid: str) -> pd.DataFrame:
        if pid not in self._corners:
            self.prepare([pid])
        found = self._corners.get(pid)
        return found if found is not None else corner_table(self.geoms[self.pos[pid]])

    # -------------------------------------------------------------------------------- per parcel
    def findings_for(self, pid: str) -> list[dict]:
        """The findings about a parcel and the features related to it (``feature`` names those),
        不符合 first, then 提示, 数据不足, 符合, 不适用, each by rule id."""
        rows = [(pos, "") for pos in self.by_feature.get(pid, ())]
        for fid in sorted(self.related.get(pid, ())):
            if fid != pid:
                rows.extend((pos, f"关联对象 {fid}") for pos in self.by_feature.get(fid, ()))
        cols = self.f_cols
        out = [{**{c: cols[c][pos] for c in _FINDING_FIELDS}, "feature": feature} for pos, feature in rows]
        return sorted(out, key=lambda r: (_STATUS_ORDER.get(r["status"], 9), str(r["rule_id"])))

    def neighbours(self, geom, pid) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Parcels (other than ``pid``), buildings and corner plots around ``geom``."""
        import shapely

        minx, miny, maxx, maxy = geom.bounds
        size = max(maxx - minx, maxy - miny, 20.0)
        view = shapely.box(minx - size, miny - size, maxx + size, maxy + size)
        idx = self.sindex.query(view)
        near = self.geoms[idx[self.ids[idx] != pid]]
        none = np.empty(0, dtype=object)
        blds = self.buildings[1][self.buildings[0].query(view)] if self.buildings is not None else none
        plots = self.plots[1][self.plots[0].query(view)] if self.plots is not None else none
        return near, blds, plots


def _indicators(ctx: _Context, row, findings: list[dict]) -> list[dict]:
    out = []

    def target_of(metric):
        t = ctx.targets.get(metric)
        if not t or _missing(t.get("target")):
            return "—", None
        op = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}.get(str(t.get("op", "")), str(t.get("op", "")))
        return f"{op}{_num(t['target'])}", t

    def threshold_of(rule_ids):
        """A share's threshold in % (findings may state it as a ratio, e.g. 0.3, or in %)."""
        hit = next((f for f in findings if f["rule_id"] in rule_ids and not _missing(f["threshold"])), None)
        if hit is None:
            return None
        thr = float(hit["threshold"])
        unit = "" if _missing(hit["unit"]) else str(hit["unit"])
        return thr if "%" in unit or thr > 1.0 else thr * 100

    def add(label, unit, value, bench=None, target_text="—", higher_is_better=True, limit=None, digits=2):
        note, css = "—", "muted"
        if not _missing(value):
            if limit is not None and not _missing(limit):
                ok = value >= limit if higher_is_better else value <= limit
                note, css = ("达到要求", "good") if ok else ("未达要求", "bad")
            elif bench is not None and not _missing(bench):
                ok = value >= bench if higher_is_better else value <= bench
                note = ("高于" if value >= bench else "低于") + "全县基准"
                css = "good" if ok else "bad"
        out.append({"label": label, "unit": unit, "value": _fmt(value, digits), "benchmark": _fmt(bench, digits),
                    "target": target_text, "note": note, "css": css})

    get = row.get
    t_text, t = target_of("tax_per_mu")
    add("亩均税收(本年)", "万元/亩", get("tax_per_mu"), ctx.metrics.get("tax_per_mu"), t_text,
        limit=None)
    add("亩均税收(上年)", "万元/亩", get("tax_per_mu_prev"), None)
    t_text, _ = target_of("va_per_mu")
    add("亩均增加值", "万元/亩", get("va_per_mu"), ctx.metrics.get("va_per_mu"), t_text)
    holder = get("holder_uscc") if not _missing(get("holder_uscc")) else get("owner_uscc")
    if ctx.eval is not None and not _missing(holder) and str(holder) in ctx.eval.index:
        e = ctx.eval.loc[str(holder)]
        t_text, _ = target_of("labour_productivity")
        add("全员劳动生产率", "万元/人", e.get("labour_productivity"), ctx.metrics.get("labour_productivity"), t_text)
        rd = e.get("rd_ratio")
        t_text, _ = target_of("rd_ratio_pct")
        add("R&D经费占营业收入比重", "%", None if _missing(rd) else rd * 100, ctx.metrics.get("rd_ratio_pct"), t_text)
        add("亩均效益综合得分", "分", e.get("score"), None)
    if "far" in ctx.parcels.columns:
        limit = get("far_limit")
        add("容积率", "", get("far"), ctx.means.get("far"), "≤" + _num(limit) if not _missing(limit) else "—",
            higher_is_better=True)
    if "building_coverage" in ctx.parcels.columns:
        thr = threshold_of(["NAT-COVER"])
        cov = get("building_coverage")
        add("建筑系数", "%", None if _missing(cov) else cov * 100, ctx.means.get("building_coverage", np.nan) * 100,
            "≥" + _num(thr) if thr is not None else "—", limit=thr)
    if "admin_share" in ctx.parcels.columns:
        thr = threshold_of(["NAT-ADMIN"])
        share = get("admin_share")
        add("行政办公及生活服务设施用地比例", "%", None if _missing(share) else share * 100,
            ctx.means.get("admin_share", np.nan) * 100, "≤" + _num(thr) if thr is not None else "—",
            higher_is_better=False, limit=thr)
    if "max_height_m" in ctx.parcels.columns:
        add("最高建筑高度", "米", get("max_height_m"), None)
    return out


def _map_uid(pid: str) -> str:
    """An id prefix for the SVG map of ``pid``, unique within an atlas document."""
    return "m" + hashlib.sha1(pid.encode("utf-8")).hexdigest()[:12]


def _page(ctx: _Context, pid: str) -> dict:
    row = ctx.row(pid)
    geom = ctx.geoms[ctx.pos[pid]]
    get: Callable[[str], Any] = row.get
    findings = ctx.findings_for(pid)
    neigh, blds, plots = ctx.neighbours(geom, pid) if geom is not None and not geom.is_empty else ([], [], [])
    corners = ctx.corners(pid)
    labels = corners["点号"].astype(str).to_numpy()
    north, east, side = (corners[c].to_numpy(dtype=float) for c in ("X", "Y", "边长"))
    first = np.sort(np.unique(labels, return_index=True)[1])  # each point once (rings repeat their first)
    svg = None
    if geom is not None and not geom.is_empty:
        svg = markupsafe.Markup(parcel_map_svg(geom, neigh, blds, plots, corner_xy=np.column_stack((east, north))[first],
                                               labels=labels[first].tolist(), uid=_map_uid(pid)))
    park_id = get("park_id")
    park = "" if _missing(park_id) else ctx.parks.get(str(park_id), str(park_id))
    cls = get("eval_class")
    cls_name = get("class_name")
    badges = []
    if not _missing(get("low_efficiency")) and bool(get("low_efficiency")):
        badges.append({"text": "低效企业" + ("" if _missing(get("low_efficiency_type")) else f": {get('low_efficiency_type')}"),
                       "css": "flag"})
    if not _missing(get("reclaimable")) and bool(get("reclaimable")):
        badges.append({"text": "可腾退低效用地", "css": "flag"})
    tier = get("idle_tier")
    if not _missing(tier) and int(tier) > 0:
        badges.append({"text": {1: "闲置满一年", 2: "闲置满两年"}.get(int(tier), "闲置土地"), "css": "flag-warn"})
    if not _missing(get("idle_gov_cause")):
        badges.append({"text": f"政府原因: {get('idle_gov_cause')}", "css": "flag-info"})
    term = " 至 ".join(_text(get(c)) for c in ("term_start", "term_end") if not _missing(get(c))) or "—"
    holder = get("holder_name")
    tenants = get("tenant_count")
    # 一地多企: the efficiency stage names the tenant that uses the land when the holder has no data
    by_tenant = not _missing(get("holder_uscc")) and \
        str(get("holder_uscc")).strip().upper() != str(get("owner_uscc")).strip().upper()
    user = _text(holder) + ("(承租企业)" if by_tenant and not _missing(holder) else "")
    basic = [
        [("土地使用权人", _text(get("owner_name"))), ("统一社会信用代码", _text(get("owner_uscc")))],
        [("实际使用企业", user + ("" if _missing(tenants) or int(tenants) <= 1 else f" 等 {int(tenants)} 家(一地多企)")),
         ("评价企业代码", _text(get("holder_uscc")))],
        [("乡镇(街道)", _text(get("township"))), ("园区", park or "园区外")],
        [("用地代码", _text(get("land_use_code"))), ("权属性质/使用权类型", f"{_text(get('rights_nature'))} / {_text(get('rights_type'))}")],
        [("土地使用期限", term), ("开发状态", _text(get("status")))],
        [("宗地面积", f"{_fmt(get('area_m2'), 2)} 平方米"), ("折合", f"{_fmt(get('area_mu'), 4)} 亩")],
    ]
    if not _missing(get("reclaim_reason")) or not _missing(get("idle_rule")):
        basic.append([("腾退理由", _text(get("reclaim_reason"))), ("闲置认定", _text(get("idle_rule")))])
    flist = [{"rule_id": _text(f["rule_id"]), "clause": _text(f["clause"]), "status": str(f["status"]),
              "status_label": STATUS_LABELS.get(str(f["status"]), str(f["status"])), "value": _num(f["value"]),
              "threshold": _num(f["threshold"]), "unit": "" if _missing(f["unit"]) else str(f["unit"]),
              "message": _text(f["message"]), "feature": f["feature"]}
             for f in findings]
    cls_text = "未参评" if _missing(cls) else f"{cls}类" + ("" if _missing(cls_name) else f" {cls_name}")
    return {
        "parcel_id": pid, "owner": _text(holder if not _missing(holder) else get("owner_name")),
        "class_css": "none" if _missing(cls) else str(cls), "class_text": "亩均效益评价: " + cls_text,
        "badges": badges, "basic": basic, "map_svg": svg,
        "corner_groups": _corner_groups([{"label": k, "x": f"{x:.3f}", "y": f"{y:.3f}",
                                          "side": "" if math.isnan(d) else f"{d:.2f}"}
                                         for k, x, y, d in zip(labels.tolist(), north.tolist(), east.tolist(),
                                                               side.tolist())]),
        "area_m2": _fmt(get("area_m2"), 2), "area_mu": _fmt(get("area_mu"), 4),
        "indicators": _indicators(ctx, row, findings), "findings": flist,
        "n_fail": sum(f["status"] == FAIL for f in flist), "n_warn": sum(f["status"] == WARN for f in flist),
    }


#: Rows of the 界址点成果表 that fit beside the map; longer tables go under it in columns.
CORNER_ROWS_BESIDE = 16
_CORNER_COLUMNS = 3


def _corner_groups(rows: list[dict]) -> dict:
    """Lay the 界址点成果表 out beside the map, or under it in up to three columns when long."""
    if len(rows) <= CORNER_ROWS_BESIDE:
        return {"beside": True, "groups": [rows]}
    per = math.ceil(len(rows) / _CORNER_COLUMNS)
    return {"beside": False, "groups": [rows[k:k + per] for k in range(0, len(rows), per)]}


# ----------------------------------------------------------------------------------- rendering

def template_env() -> jinja2.Environment:
    """The Jinja2 environment of the report templates; autoescape is on for every template."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(_TEMPLATES)), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _css(atlas: bool = False) -> str:
    css = font_face_css() + (_TEMPLATES / "report.css").read_text(encoding="utf-8")  # the bundled CJK font
    if atlas:  # printed in chunks: page counters would restart in each, so the atlas has none
        css = re.sub(r"@bottom-right\s*\{[^}]*\}", "", css)
    return css


def flagged_parcels(results, statuses: Iterable[str] = (FAIL, WARN)) -> list[str]:
    """Parcels with any finding of ``statuses`` (default ``fail`` or ``warn``), in parcel-layer order."""
    f = results.findings
    hit = f.loc[f["status"].isin(list(statuses)), "parcel_id"].astype(str).unique()
    ids = results.parcels["parcel_id"].astype(str)
    return ids[ids.isin(hit)].tolist()


#: ``run --reports``: which parcels get a report.
REPORT_CHOICES = ("auto", "flagged", "fail", "all", "none")
#: ``auto`` writes reports for every parcel with a 不符合 or 提示 finding up to this many parcels,
#: and for 不符合 parcels only above it (a province has hundreds of thousands of flagged parcels).
AUTO_FLAGGED_MAX = 2000
#: Most pages ``run`` prints into the atlas PDF (Chromium takes ~0.1 s a page); above it the HTML
#: reports and the index are written and one line says how to print chosen parcels.
ATLAS_MAX_PAGES = 2000


def report_selection(results, which: str = "auto") -> list[str]:
    """The parcels ``run`` writes reports for, in parcel-layer order.

    Parameters
    ----------
    results : Results
    which : str
        ``flagged``: every parcel with a 不符合 (fail) or 提示 (warn) finding; ``fail``: parcels
        with a 不符合 finding; ``all``: every parcel; ``none``; ``auto``: ``flagged`` up to
        :data:`AUTO_FLAGGED_MAX` parcels, else ``fail``.

    Returns
    -------
    list of str
    """
    if which not in REPORT_CHOICES:
        raise InputError(f"--reports {which!r}: expected one of {', '.join(REPORT_CHOICES)}")
    if which == "none":
        return []
    if which == "all":
        return results.parcels["parcel_id"].astype(str).tolist()
    if which == "fail":
        return flagged_parcels(results, (FAIL,))
    ids = flagged_parcels(results)
    if which == "auto" and len(ids) > AUTO_FLAGGED_MAX:
        return flagged_parcels(results, (FAIL,))
    return ids


def render_reports_html(results, parcel_ids: Iterable[str], ws=None, title: str | None = None,
                        progress: Callable[[str], None] | None = None, _ctx=None) -> tuple[str, list[dict]]:
    """One HTML document with a report page per parcel (the atlas), and the page contexts.

    Raises
    ------
    InputError
        For a parcel id not in ``results.parcels``.
    """
    ctx = _ctx or _Context(results, ws)
    pages = []
    for pid in parcel_ids:
        pid = str(pid)
        if pid not in ctx.pos:
            raise InputError(f"parcel {pid!r} is not in the results (宗地代码不存在)")
        pages.append(_page(ctx, pid))
        if progress:
            progress(pid)
    html = template_env().get_template("parcel.html").render(
        pages=pages, info=ctx.info, css=_css(),
        title=title or (f"宗地分析报告 {pages[0]['parcel_id']}" if len(pages) == 1 else "宗地报告图集"))
    return html, pages


class ReportError(GeoTenglongError):
    """A parcel's report could not be rendered (the message names the parcel and the cause, on one line)."""


#: What a worker process renders with, set by :func:`_init_worker` (see :mod:`.parallel`).
_WORKER: dict[str, Any] = {}


def _init_worker(ctx: _Context | None, results, ws, reports_dir: Path, inputs, atlas_html: bool) -> None:
    """Set up a worker: the shared context (inherited when forked, else rebuilt here) and templates."""
    _WORKER.clear()
    base = Path(reports_dir).resolve()
    inputs = [p for p in inputs if Path(p).resolve().parent == base]  # only these could be hit by a report file
    _WORKER.update(ctx=ctx if ctx is not None else _Context(results, ws), reports_dir=reports_dir, inputs=inputs,
                   atlas_html=atlas_html, tpl=template_env().get_template("parcel.html"), css=_css(),
                   atlas_css=_css(atlas=True) if atlas_html else "")


def _render_chunk(ids: list[str]) -> tuple[list[tuple[str, Path, dict]], str | None]:
    """Write the HTML report of each parcel of ``ids``; return (parcel id, file, index entry) for each,
    and the chunk's pages as one atlas document when the atlas is printed.

    Raises
    ------
    ReportError
        Naming the parcel whose page failed, and why (one line).
    """
    w = _WORKER
    ctx: _Context = w["ctx"]
    ctx.prepare(ids)
    done, pages = [], []
    for pid in ids:
        try:
            page = _page(ctx, pid)
            target = report_path(w["reports_dir"], pid, ".html")
            check_not_input(target, w["inputs"])
            html = w["tpl"].render(pages=[page], info=ctx.info, css=w["css"], title=f"宗地分析报告 {pid}")
        except (InputError, OSError):
            raise
        except Exception as exc:  # noqa: BLE001 — any bug or odd value: one line naming the parcel
            cause = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
            raise ReportError(f"宗地 {pid} 的报告生成失败 (report of parcel {pid!r} failed): {cause}") from exc
        entry = {"owner": page["owner"], **{st: sorted({f["rule_id"] for f in page["findings"] if f["status"] == st})
                                            for st in (FAIL, WARN)}}
        done.append((pid, write_text_atomic(target, html), entry))
        if w["atlas_html"]:
            pages.append(page)
        ctx.forget(pid)
    atlas = None
    if pages:
        atlas = w["tpl"].render(pages=pages, info=ctx.info, css=w["atlas_css"],
                                title=f"{ctx.info.get('county', '')}宗地报告图集")
    return done, atlas


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended (workers, Chromium)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def write_parcel_reports(results, parcel_ids: Iterable[str], reports_dir: str | Path, ws=None, pdf: bool = True,
                         atlas: bool = False, index: bool = False, split: bool = True,
                         progress: Callable[[str], None] | None = None, timings: dict | None = None,
                         workers: int | None = None, index_notes: Iterable[str] = ()) -> list[Path]:
    """Write a report (HTML, and PDF when Chromium is available) for each parcel.

    Pages are rendered by one worker process per core, in chunks of up to :data:`ATLAS_CHUNK`
    parcels; what is written does not depend on the number of workers. The pages are printed by
    Chromium as one atlas PDF (a chunk per browser run), which is then cut into a PDF per parcel
    along its outline.

    Parameters
    ----------
    results : Results
    parcel_ids : iterable of str
    reports_dir : str or Path
        Folder for ``<report_relpath>.html/.pdf``.
    ws : Workspace, optional
        Buildings and parks for the maps and names.
    pdf : bool
        Also write PDFs (skipped with a warning when no Chromium is found).
    atlas : bool
        Keep the combined PDF as :data:`ATLAS_FILE`.
    index : bool
        Write :data:`INDEX_FILE` and the townships' pages listing the reports
        (:func:`geo_tenglong.report.report_index.write_index`).
    split : bool
        Cut the atlas into a PDF per parcel (each copies its page's fonts: ~25 ms and ~0.5 MB
        per parcel, so ``run`` keeps only the atlas and ``report`` splits).
    progress : callable, optional
        Called with each parcel id once its page is written.
    timings : dict, optional
        Filled with wall seconds spent on ``pages`` (maps, tables, HTML), ``pdf`` (Chromium) and
        ``split`` (per-parcel PDFs), and CPU seconds ``pages_cpu`` and ``pdf_cpu`` (this process and
        its workers or browsers), for the benchmark.
    workers : int, optional
        Worker processes (default :func:`os.cpu_count`; 1 renders in this process).
    index_notes : iterable of str
        Lines the index shows under its title (which parcels got no report and why).

    Returns
    -------
    list of Path
        Every file written.

    Raises
    ------
    InputError
        For a parcel id not in the results.
    ReportError
        When a parcel's page cannot be rendered (naming the parcel).
    """
    reports_dir = Path(reports_dir)
    inputs = tuple(getattr(ws, "inputs", ()) or ())
    ids = list(dict.fromkeys(str(p) for p in parcel_ids))
    if not ids:
        return []
    clock, cpu = time.perf_counter(), _cpu()
    timings = timings if timings is not None else {}
    ctx = _Context(results, ws)
    unknown = [pid for pid in ids if pid not in ctx.pos]
    if unknown:
        raise InputError(f"parcel {unknown[0]!r} is not in the results (宗地代码不存在)")
    n_workers = worker_count(workers)
    chunks = chunked(ids, chunk_size(len(ids), n_workers, ATLAS_CHUNK))
    shared = forks() or min(n_workers, len(chunks)) <= 1  # the workers see this process's context as it is
    initargs = (ctx if shared else None, None if shared else results, None if shared else ws, reports_dir, inputs,
                pdf and find_chromium() is not None)
    written: list[Path] = []
    entries: dict[str, dict] = {}
    atlas_chunks: list[str] = []
    try:
        for done, chunk_html in map_chunks(_render_chunk, chunks, n_workers, _init_worker, initargs):
            for pid, path, entry in done:
                written.append(path)
                entries[pid] = entry
                if progress:
                    progress(pid)
            if chunk_html is not None:
                atlas_chunks.append(chunk_html)
    finally:
        _WORKER.clear()
    pdf_paths: dict[str, Path] = {}
    atlas_pages: dict[str, int] = {}
    timings["pages"], timings["pages_cpu"] = time.perf_counter() - clock, _cpu() - cpu
    if pdf:
        with tempfile.TemporaryDirectory(prefix="geo-tenglong-atlas-") as tmp:
            atlas_pdf = (reports_dir / ATLAS_FILE) if atlas else Path(tmp) / "atlas.pdf"
            if atlas:
                check_not_input(atlas_pdf, inputs)
            clock, cpu = time.perf_counter(), _cpu()
            printed = print_atlas(atlas_chunks, atlas_pdf, tmp)
            timings["pdf"], timings["pdf_cpu"] = time.perf_counter() - clock, _cpu() - cpu
            atlas_chunks.clear()
            if printed is not None:
                if atlas:
                    written.append(atlas_pdf)
                    starts = outline_starts(atlas_pdf)
                    if len(starts) == len(ids):
                        atlas_pages = {pid: k + 1 for pid, k in zip(ids, starts)}
                if split:
                    clock = time.perf_counter()
                    targets = [report_path(reports_dir, pid, ".pdf") for pid in ids]
                    for t in targets:
                        check_not_input(t, inputs)
                    for pid, path in zip(ids, split_by_outline(atlas_pdf, targets)):
                        pdf_paths[pid] = path
                        written.append(path)
                    timings["split"] = time.perf_counter() - clock
    if index:
        from .report_index import index_rows, rule_titles, write_index  # it imports this module

        rows = index_rows(ctx.parcels.iloc[[ctx.pos[pid] for pid in ids]], entries, ctx.parks, pdf_paths, atlas_pages)
        written.extend(write_index(rows, reports_dir, ctx.info, rule_titles(getattr(ws, "ruleset", None)),
                                   atlas=bool(atlas_pages), inputs=inputs, notes=index_notes))
    return written


def write_reports(results, out_dir, maps_dir=None, ws=None, which: str = "auto") -> list[Path]:
    """The ``reports`` output of ``run``: an HTML report for each parcel :func:`report_selection`
    picks, the PDF atlas of them (a page each, up to :data:`ATLAS_MAX_PAGES`) and their index: the
    townships with their counts on :data:`INDEX_FILE`, each township's reports on pages of a bounded
    length linking each parcel to its HTML and its atlas page (:mod:`.report_index`).

    Parameters
    ----------
    results : Results
    out_dir : str or Path
        Reports go to ``out_dir/reports``.
    maps_dir : Path, optional
        Unused (the :data:`~geo_tenglong.pipeline.OUTPUTS` signature).
    ws : Workspace, optional
    which : str
        ``auto`` (default), ``flagged``, ``fail``, ``all`` or ``none`` (see :func:`report_selection`).

    Returns
    -------
    list of Path
    """
    ids = report_selection(results, which)
    pdf = len(ids) <= ATLAS_MAX_PAGES
    notes = []
    unreported = len(flagged_parcels(results)) - len(ids) if which in ("auto", "fail") else 0
    if unreported > 0:
        why = "宗地较多, 默认只为有“不符合”结论的宗地生成报告" if which == "auto" else "本次运行 --reports fail"
        notes.append(f"另有 {unreported:,} 宗仅有“提示”结论的宗地未生成报告({why}); "
                     "需要时用 geo-tenglong report 宗地代码… 生成, 或以 --reports flagged 重新运行。")
    if not pdf:
        _warn(f"宗地报告 {len(ids):,} 份, 超过 PDF 图集上限 {ATLAS_MAX_PAGES:,} 页: 只写出 HTML 报告和索引; "
             f"所选宗地的 PDF 请用 geo-tenglong report 宗地代码… (atlas PDF skipped above {ATLAS_MAX_PAGES:,} pages)")
        notes.append(f"宗地报告超过 {ATLAS_MAX_PAGES:,} 份, 未打印 PDF 图集; 所选宗地的 PDF 请用 geo-tenglong report 宗地代码… 生成。")
    return write_parcel_reports(results, ids, Path(out_dir) / REPORTS_DIR, ws=ws, pdf=pdf, atlas=True, index=True,
                                split=False, index_notes=notes)
