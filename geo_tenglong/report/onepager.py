"""The leadership one-pager (一页纸汇报): the county against its targets on one A4 page.

Key figures, progress towards each target, reclaimable low-efficiency land by park and township,
亩均效益 class counts and the parcels to act on first, with matplotlib charts embedded as data
URIs. Written as ``一页纸汇报.html`` and, when Chromium is available, ``一页纸汇报.pdf``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..completeness import INCOMPLETE_KEY, incomplete_of
from ..findings import FAIL, WARN
from ..io.atomic import check_not_input, write_text_atomic
from . import figures
from .parcel_report import REPORTS_DIR, _css, _fmt, _missing, _num, _text, flagged_parcels, report_relpath, template_env
from .pdf import html_to_pdf
from .workbook import park_names

__all__ = ["ONEPAGER_FILE", "onepager_context", "render_onepager", "write_onepager"]

#: Base name of the one-pager (``.html`` and ``.pdf``) in the output folder.
ONEPAGER_FILE = "一页纸汇报"
_TOP_N = 8
#: The stages each figure of the one-pager rests on: a 数据不足 problem of one of them replaces the figure.
AFFECTS = {"reclaim": ("efficiency", "intensity", "idle", "reclaim"), "idle": ("idle",),
           "low_efficiency": ("efficiency",), "classes": ("efficiency",)}


def _shortfall(incomplete: list[dict], figure: str) -> str | None:
    """The 数据不足 lines (joined) that affect ``figure`` (a key of :data:`AFFECTS`), or ``None``."""
    lines = [str(p["message"]) for p in incomplete if p.get("stage") in AFFECTS[figure]]
    return ";".join(dict.fromkeys(lines)) or None


def _reclaim_by_area(results, ws) -> tuple[pd.Series, pd.Series]:
    """Reclaimable 亩 by park and by township: the ``reclaim_by_area`` layer (``level``,
    ``area_name``, ``reclaimable_mu``) when the reclaim stage published it, else the sums of the
    ``reclaimable`` parcel column."""
    layer = results.layer("reclaim_by_area")
    if layer is not None and len(layer) and {"level", "reclaimable_mu"} <= set(layer.columns):
        t = pd.DataFrame(layer)
        name = t["area_name"] if "area_name" in t else t.get("area_id", pd.Series("", index=t.index))
        name = name.where(name.notna() & (name.astype(str) != ""), t.get("area_id", name)).astype(str)
        val = pd.to_numeric(t["reclaimable_mu"], errors="coerce").fillna(0)
        out = []
        for level in ("park", "township"):
            m = (t["level"].astype(str) == level) & (val > 0)
            out.append(pd.Series(val[m].to_numpy(), index=name[m].to_numpy()).groupby(level=0).sum()
                       .sort_values(ascending=False))
        return out[0], out[1]
    p = results.parcels
    if "reclaimable" not in p.columns:
        return pd.Series(dtype=float), pd.Series(dtype=float)
    sel = p[p["reclaimable"].fillna(False).astype(bool)]
    parks = park_names(results, ws)
    park = sel.get("park_id", pd.Series("", index=sel.index)).map(
        lambda v: "园区外" if _missing(v) else parks.get(str(v), str(v)))
    town = sel.get("township", pd.Series("", index=sel.index)).map(lambda v: "未注明" if _missing(v) else str(v))
    area = pd.to_numeric(sel["area_mu"], errors="coerce")
    return (area.groupby(park.to_numpy()).sum().sort_values(ascending=False),
            area.groupby(town.to_numpy()).sum().sort_values(ascending=False))


def _class_counts(results) -> pd.DataFrame:
    ev = results.layer("enterprise_eval")
    if ev is None or not len(ev) or "eval_class" not in ev:
        p = results.parcels
        if "eval_class" not in p.columns:
            return pd.DataFrame()
        c = p["eval_class"].dropna().astype(str).value_counts()
        return pd.DataFrame({"全部": c}).reindex(["A", "B", "C", "D"]).fillna(0)
    ev = pd.DataFrame(ev)
    year = pd.to_numeric(ev.get("year"), errors="coerce")
    ev = ev[(year == results.evaluation_year()).to_numpy()]
    if "in_scope" in ev:
        ev = ev[ev["in_scope"].fillna(False).astype(bool)]
    scale = ev["scale"].astype(str) if "scale" in ev else pd.Series("全部", index=ev.index)
    table = pd.crosstab(ev["eval_class"].astype(str), scale)
    return table.reindex(["A", "B", "C", "D"]).fillna(0).astype(int)


def _top_parcels(results, ws, n: int = _TOP_N, reports_dir: Path | None = None) -> list[dict]:
    p = results.parcels
    ids = flagged_parcels(results)
    if not ids:
        return []
    f = results.findings
    f = f[f["status"].isin([FAIL, WARN])]
    fails = f[f["status"] == FAIL].groupby(f["parcel_id"].astype(str))["rule_id"].agg(lambda s: sorted(set(s)))
    warns = f[f["status"] == WARN].groupby(f["parcel_id"].astype(str))["rule_id"].agg(lambda s: sorted(set(s)))
    sel = p[p["parcel_id"].astype(str).isin(ids)].copy()
    sel["_pid"] = sel["parcel_id"].astype(str)

    def col(name, default=np.nan):
        return sel[name] if name in sel.columns else pd.Series(default, index=sel.index)

    sel["_reclaim"] = col("reclaimable", False).fillna(False).astype(bool).astype(int)
    sel["_idle"] = pd.to_numeric(col("idle_tier"), errors="coerce").fillna(0)
    sel["_d"] = (col("eval_class", None).astype(str) == "D").astype(int)
    sel["_nfail"] = sel["_pid"].map(fails).map(lambda v: len(v) if isinstance(v, list) else 0)
    sel["_area"] = pd.to_numeric(sel["area_mu"], errors="coerce").fillna(0)
    sel = sel.sort_values(["_reclaim", "_idle", "_d", "_nfail", "_area"], ascending=False, kind="stable").head(n)
    parks = park_names(results, ws)
    rows = []
    for _, r in sel.iterrows():
        holder = r.get("holder_name")
        park_id = r.get("park_id")
        place = "、".join(x for x in (_text(r.get("township")).replace("—", ""),
                                       "" if _missing(park_id) else parks.get(str(park_id), str(park_id))) if x)
        issues = (fails.get(r["_pid"]) or []) + [w + "(提示)" for w in (warns.get(r["_pid"]) or [])]
        action = "可腾退" if r["_reclaim"] else ("闲置处置" if r["_idle"] > 0 else ("整治提升" if r["_d"] else "核查"))
        rows.append({"parcel_id": r["_pid"], "owner": _text(holder if not _missing(holder) else r.get("owner_name")),
                     "place": place or "—", "area_mu": _fmt(r.get("area_mu"), 2),
                     "tax": _fmt(r.get("tax_per_mu"), 2), "eval_class": _text(r.get("eval_class")),
                     "issues": "、".join(issues[:4]) + (" 等" if len(issues) > 4 else ""), "action": action,
                     "href": _href(r["_pid"], reports_dir)})
    return rows


def _href(parcel_id: str, reports_dir: Path | None) -> str:
    """The link to a parcel's report; empty when ``reports_dir`` is given and holds no report for it
    (``run --reports fail`` writes none for a parcel with only 提示 findings)."""
    rel = report_relpath(parcel_id)
    if reports_dir is not None and not (reports_dir / rel).is_file():
        return ""
    return f"{REPORTS_DIR}/{rel}"


def onepager_context(results, ws=None, reports_dir: Path | None = None) -> dict:
    """Everything the one-pager shows, as plain values and PNG data URIs."""
    p = results.parcels
    incomplete = incomplete_of(results)
    info = {k: ("" if v is None else v) for k, v in results.info.items() if k != INCOMPLETE_KEY}
    info.setdefault("document", "")
    flagged = flagged_parcels(results)
    kpis: list[dict[str, Any]] = [{"l": "宗地总数 / 面积", "v": f"{len(p):,} 宗", "s": f"{_fmt(pd.to_numeric(p['area_mu']).sum(), 1)} 亩"},
            {"l": "有不符合或提示结论的宗地", "v": f"{len(flagged):,} 宗", "s": ""}]
    reclaim_mu = results.metrics.get("reclaimable_mu")
    if reclaim_mu is None and "reclaimable" in p.columns:
        reclaim_mu = float(pd.to_numeric(p.loc[p["reclaimable"].fillna(False).astype(bool), "area_mu"]).sum())
    targets = results.layer("targets")
    targets = pd.DataFrame(targets) if targets is not None else pd.DataFrame()
    kpis.append({"l": "可腾退低效工业用地", "v": "—" if reclaim_mu is None else f"{_fmt(reclaim_mu, 1)} 亩",
                 "s": "候选, 不计为完成"})
    freed = targets[targets["metric"] == "freed_mu"] if len(targets) and "metric" in targets else targets
    if len(freed):  # TT-T8 / DQ-T2: land actually freed since the first recorded run (issue 19.5)
        f = freed.iloc[0]
        since = _text(f.get("since")) if "since" in freed.columns else ""
        kpis.append({"l": "已腾出低效工业用地",
                     "v": "无运行历史" if _missing(f["value"]) else f"{_fmt(f['value'], 1)} 亩",
                     "s": f"目标 {_fmt(f['target'], 0)} 亩" + (f" · 自 {since}" if since and since != "—" else "")})
    if "idle_tier" in p.columns:
        idle = p[pd.to_numeric(p["idle_tier"], errors="coerce").fillna(0) > 0]
        kpis.append({"l": "闲置土地", "v": f"{len(idle):,} 宗", "s": f"{_fmt(pd.to_numeric(idle['area_mu']).sum(), 1)} 亩"})
    frags = results.layer("fragments")
    if frags is not None:
        area = pd.to_numeric(frags["area_mu"], errors="coerce").sum() if "area_mu" in frags else np.nan
        kpis.append({"l": "零星边角地/夹心地", "v": f"{len(frags):,} 块", "s": "" if np.isnan(area) else f"{_fmt(area, 1)} 亩"})
    if "low_efficiency" in p.columns:
        kpis.append({"l": "低效企业用地", "v": f"{int(p['low_efficiency'].fillna(False).astype(bool).sum()):,} 宗", "s": ""})
    short = {"可腾退低效工业用地": _shortfall(incomplete, "reclaim"), "闲置土地": _shortfall(incomplete, "idle"),
             "低效企业用地": _shortfall(incomplete, "low_efficiency")}
    for k in kpis:  # a figure resting on a stage without enough data is not shown as a number
        k["short"] = False
        if short.get(k["l"]):
            k.update(v="数据不足", s=short[k["l"]], short=True)

    target_rows, progress_png = [], None
    if len(targets):
        op = {">=": "≥", "<=": "≤"}
        for t in targets.to_dict("records"):
            cand = t.get("candidate")
            label = _text(t.get("label")) + ("" if _missing(cand) else f"(候选 {_fmt(cand, 1)} {_text(t.get('unit'))}, 不计为完成)")
            target_rows.append({"rule_id": _text(t.get("rule_id")), "label": label,
                                "target": f"{op.get(str(t.get('op')), t.get('op') or '')}{_num(t.get('target'))}",
                                "value": _fmt(t.get("value")), "unit": _text(t.get("unit")).replace("—", ""),
                                "status": str(t.get("status")),
                                "status_label": {"pass": "已达到", "fail": "未达到", "missing_data": "无数据"}.get(
                                    str(t.get("status")), _text(t.get("status")))})
        prog = pd.to_numeric(targets.get("progress"), errors="coerce")
        show = targets[prog.notna() | targets["status"].isin(["fail", "pass"])]
        if len(show):
            progress_png = figures.progress_chart(show["label"].astype(str), pd.to_numeric(show["progress"], errors="coerce"),
                                                  show["status"].astype(str), width_in=3.6,
                                                  height_in=0.2 * len(show) + 0.6)
    by_park, by_town = _reclaim_by_area(results, ws)
    reclaim_pngs = []
    for series, title in ((by_park, "按园区"), (by_town, "按乡镇(街道)")):
        if len(series):
            top = series.head(7)
            more = f"(前{len(top)}个)" if len(series) > len(top) else ""
            reclaim_pngs.append(figures.bar_chart(top.index, top.to_numpy(), title=f"可腾退用地{title}{more}",
                                                  unit="亩", colors="#c0392b", width_in=2.45, height_in=2.1))
    classes = _class_counts(results)
    class_png = None
    class_short = _shortfall(incomplete, "classes")
    if len(classes) and classes.to_numpy().sum() > 0 and not class_short:
        class_png = _class_chart(classes)
    reclaim_short = _shortfall(incomplete, "reclaim")
    if reclaim_short:
        reclaim_pngs = []
    return {"info": info, "kpis": kpis, "targets": target_rows, "incomplete": [p["message"] for p in incomplete],
            "class_short": class_short, "reclaim_short": reclaim_short,
            "progress_uri": figures.png_data_uri(progress_png) if progress_png else None,
            "reclaim_uris": [figures.png_data_uri(b) for b in reclaim_pngs],
            "class_uri": figures.png_data_uri(class_png) if class_png else None,
            "class_table": [{"cls": c, "counts": {k: int(v) for k, v in classes.loc[c].items()}}
                            for c in classes.index] if len(classes) else [],
            "class_cols": list(classes.columns) if len(classes) else [],
            "top": _top_parcels(results, ws, reports_dir=reports_dir)}


def _class_chart(classes: pd.DataFrame) -> bytes:
    from matplotlib.figure import Figure

    with figures._rc():
        fig = Figure(figsize=(2.45, 2.1))
        ax = fig.add_subplot(1, 1, 1)
        x = np.arange(len(classes.index), dtype=float)
        bottom = np.zeros(len(x))
        shades = ["#2e86c1", "#aed6f1", "#85929e"]
        for k, col in enumerate(classes.columns):
            vals = classes[col].to_numpy(dtype=float)
            ax.bar(x, vals, bottom=bottom, width=0.6, label=str(col), color=shades[k % len(shades)],
                   edgecolor=[figures.CLASS_COLORS.get(c, "#555") for c in classes.index], linewidth=1.5)
            bottom += vals
        for xi, total in zip(x, bottom):
            ax.text(xi, total, f"{int(total)}", ha="center", va="bottom", fontsize=8)
        names = {"A": "A\n优先发展", "B": "B\n提升发展", "C": "C\n调控帮扶", "D": "D\n倒逼整治"}
        ax.set_xticks(x, [names.get(c, c) for c in classes.index], fontsize=7)
        ax.set_ylim(0, max(bottom.max(), 1) * 1.22)
        from matplotlib.ticker import MaxNLocator

        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("企业数(家)", fontsize=8)
        ax.set_title("亩均效益评价分类(参评企业)", fontsize=9)
        if len(classes.columns) > 1:
            ax.legend(fontsize=7, frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        return figures._save(fig, 130)


def render_onepager(results, ws=None, reports_dir: Path | None = None) -> str:
    """The one-pager as a self-contained HTML string (autoescaped); parcels link to their reports in
    ``reports_dir`` where one was written (to every report's place when ``None``)."""
    ctx = onepager_context(results, ws, reports_dir)
    return template_env().get_template("onepager.html").render(css=_css(), **ctx)


def write_onepager(results, out_dir, maps_dir=None, ws=None, pdf: bool = True) -> list[Path]:
    """Write ``一页纸汇报.html`` (and ``.pdf`` when Chromium is available) into ``out_dir``.

    Parameters
    ----------
    results : Results
    out_dir : str or Path
    maps_dir : Path, optional
        Unused (the :data:`~geo_tenglong.pipeline.OUTPUTS` signature).
    ws : Workspace, optional
        Park names; inputs are never overwritten.
    pdf : bool
        Also print the PDF.

    Returns
    -------
    list of Path
    """
    out_dir = Path(out_dir)
    inputs = getattr(ws, "inputs", ()) or ()
    html_path = out_dir / f"{ONEPAGER_FILE}.html"
    pdf_path = out_dir / f"{ONEPAGER_FILE}.pdf"
    check_not_input(html_path, inputs)
    check_not_input(pdf_path, inputs)
    written = [write_text_atomic(html_path, render_onepager(results, ws, out_dir / REPORTS_DIR))]
    if pdf and html_to_pdf(html_path, pdf_path) is not None:
        written.append(pdf_path)
    return written
