"""The Chinese condition tables ``check-split`` / ``check-merge`` print, one per proposal.

Each proposal gets a heading line (宗地, parts or total area, 受让方, 结论) and a table of its
conditions — 条件 / 结果 / 实测值 / 限值 / 说明, the last with the rule id and clause — aligned for
a terminal (CJK characters count two columns). A value that could not be measured shows ``—``.
The text decides nothing: verdicts and statuses come from the split and merge checks.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable

import pandas as pd

from ..findings import STATUS_LABELS

__all__ = ["HEADER", "VERDICT_LABELS", "format_table", "merge_lines", "split_lines", "verdict_label",
           "verdict_summary"]

#: Column headings of a condition table.
HEADER = ("条件", "结果", "实测值", "限值", "说明")
#: A proposal's verdict as users read it.
VERDICT_LABELS = {"pass": "符合", "fail": "不符合", "missing_data": "数据缺失,待补充", "not_applicable": "不适用"}
_DIGITS = {"亩": 4, "m²": 2, "m": 2, "年": 0}


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _value(row: pd.Series) -> str:
    v = row["value"]
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    unit = row["unit"] or ""
    digits = _DIGITS.get(unit, 0 if float(v).is_integer() else 2)
    return f"{v:.{digits}f} {unit}".strip()


def verdict_label(verdict: str) -> str:
    """A proposal's verdict in Chinese (``pass`` → 符合 …); an unknown code is returned as is.

    Parameters
    ----------
    verdict : str
        ``pass``, ``fail``, ``missing_data`` or ``not_applicable``.

    Returns
    -------
    str
    """
    return VERDICT_LABELS.get(verdict, verdict)


def format_table(findings: pd.DataFrame, proposal_id: str) -> list[str]:
    """The lines of one proposal's condition table (条件 / 结果 / 实测值 / 限值 / 说明).

    Parameters
    ----------
    findings : DataFrame
        Findings of the split or merge check (``parcel_id`` is the proposal id; ``condition``,
        ``status``, ``value``, ``unit``, ``limit``, ``message``, ``rule_id``, ``clause``).
    proposal_id : str
        The proposal whose rows are formatted.

    Returns
    -------
    list of str
        Header, rule and one line per condition, each indented by two spaces.
    """
    sub = findings[findings["parcel_id"] == proposal_id]
    body = []
    for _, r in sub.iterrows():
        message = str(r["message"])
        prefix = f"{r['condition']}: "
        message = message.removeprefix(prefix)
        body.append((str(r["condition"]), STATUS_LABELS.get(r["status"], r["status"]), _value(r),
                     "" if pd.isna(r["limit"]) else str(r["limit"]), f"{message} [{r['rule_id']} {r['clause']}]".strip()))
    widths = [max(_width(x[i]) for x in [HEADER, *body]) for i in range(4)]
    lines = ["  " + "  ".join(_pad(h, w) for h, w in zip(HEADER[:4], widths)) + "  " + HEADER[4]]
    lines.append("  " + "  ".join("-" * w for w in widths) + "  " + "-" * 4)
    for row in body:
        lines.append("  " + "  ".join(_pad(c, w) for c, w in zip(row[:4], widths)) + "  " + row[4])
    return lines


def verdict_summary(verdicts: Iterable[str], n_proposals: int, kind: str) -> str:
    """The closing line: ``共 3 个分割方案: 符合 2, 不符合 1``.

    Parameters
    ----------
    verdicts : iterable of str
        One verdict code per proposal.
    n_proposals : int
        The number of proposals named in the line.
    kind : str
        ``分割方案`` or ``合并方案``.

    Returns
    -------
    str
    """
    counts = pd.Series(list(verdicts), dtype=object).map(verdict_label).value_counts()
    return f"共 {n_proposals} 个{kind}: " + ", ".join(f"{k} {v}" for k, v in counts.items())


def split_lines(findings: pd.DataFrame, parts: pd.DataFrame) -> list[str]:
    """Every line printed after the title for split proposals: per proposal a blank line, the
    heading and its condition table, then a blank line and the summary.

    Parameters
    ----------
    findings : DataFrame
        Findings of :func:`geo_tenglong.analysis.split.check_split`.
    parts : DataFrame
        Its parts (``proposal_id``, ``parcel_id``, ``area_mu``, ``buyer_uscc``, ``verdict``).

    Returns
    -------
    list of str
    """
    lines: list[str] = []
    ids = list(dict.fromkeys(parts["proposal_id"]))
    for pid in ids:
        sub = parts[parts["proposal_id"] == pid]
        areas = " / ".join("—" if pd.isna(a) else f"{a:.4f}" for a in sub["area_mu"])
        buyers = "、".join(dict.fromkeys(b for b in sub["buyer_uscc"].dropna())) or "未填"
        lines.append("")
        lines.append(f"方案 {pid}: 宗地 {sub['parcel_id'].iloc[0] if sub['parcel_id'].notna().any() else '未填'}, "
                     f"{len(sub)} 块 ({areas} 亩), 受让方 {buyers} — 结论: {verdict_label(sub['verdict'].iloc[0])}")
        lines.extend(format_table(findings, pid))
    lines.append("")
    lines.append(verdict_summary(parts.drop_duplicates("proposal_id")["verdict"], len(ids), "分割方案"))
    return lines


def merge_lines(findings: pd.DataFrame, table: pd.DataFrame) -> list[str]:
    """Every line printed after the title for merge proposals: per proposal a blank line, the
    heading (宗地, 合计面积, 合并后使用期限, 受让方, 结论) and its condition table, then the summary.

    Parameters
    ----------
    findings : DataFrame
        Findings of :func:`geo_tenglong.analysis.merge.check_merge`.
    table : DataFrame
        Its ``merge_checks`` table, one row per proposal.

    Returns
    -------
    list of str
    """
    lines: list[str] = []
    for _, row in table.iterrows():
        lines.append("")
        area = "" if pd.isna(row["area_mu"]) else f", 合计 {row['area_mu']:.4f} 亩"
        term = "" if pd.isna(row["unified_term_end"]) else f", 合并后使用期限至 {row['unified_term_end']}"
        lines.append(f"方案 {row['proposal_id']}: 宗地 {row['parcel_ids'] if pd.notna(row['parcel_ids']) else '未填'}"
                     f"{area}{term}, 受让方 {row['buyer_uscc'] if pd.notna(row['buyer_uscc']) else '未填'}"
                     f" — 结论: {verdict_label(row['verdict'])}")
        lines.extend(format_table(findings, row["proposal_id"]))
    lines.append("")
    lines.append(verdict_summary(table["verdict"], len(table), "合并方案"))
    return lines
