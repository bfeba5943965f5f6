"""Decide what each source of a bureau's folder is (the second half of ``geo-tenglong init``).

Each vector layer is scored against every workspace layer and each table against every
workspace table, from three kinds of evidence: the file or layer name (``ZD``, ``ZRZ``, ``宗地`` …,
see the ``names`` of :mod:`geo_tenglong.standards`), the field names it maps (required fields
weigh most), and its values (a 19-character 宗地代码, 18-character 统一社会信用代码, land-use codes
of the three lists). Each target takes its best source; the rest stay unplaced with the reason.
The county, ruleset and as-of date are read off the data where it gives them away.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pyproj

from . import crs as gk
from .init_detect import Source
from .io.aliases import map_headers
from .io.schema import DOC_FIELDS, LAYERS, TABLES
from .rules import builtin_rulesets, load_ruleset
from .standards import Standards, load_standards

#: The fields each workspace layer or table holds (docs/workspace.md).
FIELDS = DOC_FIELDS

#: Names (besides the target's own and the standards' ``names``) that give a target away.
NAME_HINTS: dict[str, tuple[str, ...]] = {
    "parcels": ("宗地", "地籍", "parcel", "cadastre"),
    "buildings": ("建筑", "房屋", "自然幢", "building"),
    "roads": ("道路", "road", "DLZX", "LXDW"),
    "water": ("水域", "水系", "河流", "water", "HYDA", "HYDL"),
    "urban_boundary": ("城镇开发边界", "开发边界", "urban"),
    "basic_farmland": ("永久基本农田", "基本农田", "farmland"),
    "eco_redline": ("生态保护红线", "生态红线", "redline"),
    "zoning": ("控规", "控制性详细规划", "详细规划", "zoning"),
    "parks": ("园区", "开发区", "工业园", "park"),
    "study_area": ("研究范围", "study"),
    "renovations": ("零增地", "技改", "renovation"),
    "split_proposals": ("分割", "split"),
    "enterprises": ("亩均", "效益", "企业", "enterprise"),
    "tenancy": ("一地多企", "租赁", "租用", "tenan"),
    "contracts": ("出让合同", "划拨", "供地合同", "合同", "contract"),
    "projects": ("项目", "project"),
    "merge_proposals": ("合并", "merge"),
    "land_supply": ("土地供应", "供应台账", "land_supply"),
}

_PARCEL_ID = re.compile(r"^\d{12}[A-Z]{2}\d{5}$")
_USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


@dataclasses.dataclass
class Guess:
    """What one source was taken for, and why.

    Attributes
    ----------
    source : Source
    target : str or None
        The workspace layer or table, ``None`` when unplaced.
    score : float
    evidence : list of str
        Reasons, in Chinese, written beside the entry in ``workspace.toml``.
    mapping : dict
        Source field → field for the fields recognised.
    unknown : list of str
        Source fields that map to nothing.
    missing : list of str
        Required fields of the target left unmapped.
    aliases : dict
        field → [source field] found from the values (written under ``[aliases]``).
    """

    source: Source
    target: str | None
    score: float
    evidence: list[str]
    mapping: dict[str, str]
    unknown: list[str]
    missing: list[str]
    aliases: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    named: bool = False


@dataclasses.dataclass
class Setting:
    """A workspace setting read off the data (county, ruleset, as-of, CRS), with its evidence."""

    value: object
    evidence: str


def _names_of(source: Source) -> list[str]:
    names = [source.path.stem]
    if source.layer:
        names.append(source.layer)
    if source.sheet:
        names.append(source.sheet)
    return names


def _name_score(source: Source, target: str, std: Standards) -> tuple[float, str | None]:
    hints = [target, *NAME_HINTS.get(target, ())]
    codes = [n for s in std.schemas if s.target == target for n in s.names]
    for name in _names_of(source):
        low = name.lower()
        for code in codes:       # a standard layer code: ZD, ZD_331023, DLTB2022 — not ZRZ for ZD
            if re.match(rf"^{re.escape(code.lower())}(?![a-z])", low):
                return 6.0, f"名称“{name}”对应标准名 {code}"
        for hint in hints:
            if hint.lower() in low:
                return 4.0, f"名称“{name}”含“{hint}”"
    return 0.0, None


def _value_columns(sample: pd.DataFrame | None, pattern: re.Pattern, min_share: float = 0.8) -> list[str]:
    if sample is None or sample.empty:
        return []
    out = []
    for col in sample.columns:
        vals = sample[col].dropna().astype(str).str.strip()
        vals = vals[vals != ""]
        if len(vals) and vals.str.match(pattern).mean() >= min_share:
            out.append(str(col))
    return out


def _score(source: Source, target: str, std: Standards, aliases: dict) -> Guess:
    schema = LAYERS.get(target) or TABLES[target]
    mapping = map_headers(source.fields, aliases, target, std)
    wanted = FIELDS[target] | set(schema.required) | set(schema.numeric) | set(schema.boolean) | set(schema.text) \
        | set(std.field_map(target).values())
    for f in source.fields:
        if f not in mapping and f in wanted:
            mapping[f] = f
    hits = sorted({f for f in mapping.values() if f in wanted})
    evidence = []
    name_score, why = _name_score(source, target, std)
    if why:
        evidence.append(why)
    found: dict[str, list[str]] = {}
    value_score = 0.0
    for field, pattern, label in (("parcel_id", _PARCEL_ID, "19 位宗地代码"), ("uscc", _USCC, "18 位统一社会信用代码"),
                                  ("owner_uscc", _USCC, "18 位统一社会信用代码")):
        if field not in wanted:
            continue
        cols = _value_columns(source.sample, pattern)
        mapped_col = next((s for s, f in mapping.items() if f == field), None)
        if mapped_col is not None and mapped_col in cols:
            value_score += 2
            evidence.append(f"字段 {mapped_col} 的值为{label}")
        elif mapped_col is None and cols:
            col = next((c for c in cols if c not in mapping), None)
            if col is not None:
                found[field] = [col]
                mapping[col] = field
                hits.append(field)
                value_score += 1
                evidence.append(f"字段 {col} 的值为{label},按 {field} 读取")
    required = set(schema.required)
    missing = sorted(required - set(mapping.values()))
    score = name_score + value_score + len(set(hits)) + 2 * len(required & set(mapping.values())) - 3 * len(missing)
    renamed = [f"{s}→{f}" for s, f in mapping.items() if f in wanted and s != f]
    same = [s for s, f in mapping.items() if f in wanted and s == f]
    if renamed:
        evidence.append("识别字段: " + ", ".join(renamed))
    if same:
        evidence.append(f"{len(same)} 个字段已是项目字段名")
    if source.kind == "table" and source.note:
        evidence.append(source.note)
    unknown = [f for f in source.fields if f not in mapping or mapping[f] not in wanted]
    return Guess(source, target, score, evidence, {s: f for s, f in mapping.items()}, unknown, missing, found,
                 named=name_score > 0)


def _candidates(source: Source, std: Standards, aliases: dict) -> list[Guess]:
    if source.kind == "vector":
        if source.geometry is None or "polygon" not in str(source.geometry).lower():
            return []
        targets = list(LAYERS)
    elif source.kind == "table":
        targets = list(TABLES)
    else:
        return []
    return [_score(source, t, std, aliases) for t in targets]


def place_sources(sources: list[Source], std: Standards | None = None, aliases: dict | None = None) -> list[Guess]:
    """Give each workspace layer and table its best source; the rest are unplaced.

    Parameters
    ----------
    sources : list of Source
        From :func:`geo_tenglong.init_detect.scan_folder`.
    std : Standards, optional
    aliases : dict, optional
        Workspace aliases already known (field → headers).

    Returns
    -------
    list of Guess
        One per vector or table source, ``target`` ``None`` for the unplaced (evidence says why).
    """
    std = std or load_standards()
    aliases = aliases or {}
    options = []
    for i, s in enumerate(sources):
        depth = len(s.path.parts)      # on a tie, a file nearer the folder's top wins over one in a subfolder
        for g in _candidates(s, std, aliases):
            # a source named for its target is placed even when a required field is unmapped: the
            # file then says which field to name under [aliases]
            if (g.score >= 3 and not g.missing) or (g.named and g.score + 3 * len(g.missing) >= 3):
                options.append((g.score, -depth, -i, g))
    options.sort(key=lambda t: (t[0], t[1], t[2]), reverse=True)
    taken_t: set[str] = set()
    placed: dict[int, Guess] = {}
    for _, _, neg_i, g in options:
        if g.target is None or g.target in taken_t or -neg_i in placed:
            continue
        placed[-neg_i] = g
        taken_t.add(g.target)
    out = []
    for i, s in enumerate(sources):
        if s.kind not in {"vector", "table"}:
            continue
        if i in placed:
            out.append(placed[i])
            continue
        out.append(_unplaced(s, std, aliases, taken_t))
    return out


def _unplaced(s: Source, std: Standards, aliases: dict, taken: set[str]) -> Guess:
    cands = sorted(_candidates(s, std, aliases), key=lambda g: g.score, reverse=True)
    if s.kind == "vector" and not cands:
        why = [f"几何类型为 {s.geometry},工作空间只用面图层"]
    elif not cands or cands[0].score < 3:
        why = ["名称和字段都不像任何工作空间图层或表格"]
    else:
        best = cands[0]
        if best.missing:
            why = [f"最像 {best.target},但缺少必需字段 {', '.join(best.missing)}"]
        elif best.target in taken:
            why = [f"也像 {best.target},但已有更符合的数据源"]
        else:
            why = [f"最像 {best.target}"]
        best = dataclasses.replace(best, target=None, evidence=why + best.evidence)
        return best
    return Guess(s, None, 0.0, why, {}, list(s.fields), [])


# ── county, ruleset, as-of, CRS ──────────────────────────────────────────────────────────────

def guess_admin(parcels: Guess | None) -> tuple[Setting | None, Setting | None, Setting | None]:
    """(admin code, county, ruleset) from the 宗地代码 prefix of the parcels' sample."""
    if parcels is None or parcels.source.sample is None:
        return None, None, None
    col = next((s for s, f in parcels.mapping.items() if f == "parcel_id"), None)
    if col is None or col not in parcels.source.sample.columns:
        return None, None, None
    ids = parcels.source.sample[col].dropna().astype(str).str.strip()
    ids = ids[ids.str.match(r"^\d{6}")]
    if ids.empty:
        return None, None, None
    code = ids.str[:6].mode().iloc[0]
    share = (ids.str[:6] == code).mean()
    admin = Setting(code, f"{share:.0%} 的宗地代码以 {code} 开头")
    for name in builtin_rulesets():
        info = load_ruleset(name).info
        if str(info.admin_code) == code:
            return admin, Setting(info.county, f"行政区代码 {code} 为{info.county}"), \
                Setting(name, f"内置规则集 {name} 适用于{info.county}")
    return admin, None, None


def _dates(values) -> list[dt.date]:
    from .io.dates import parse_dates

    parsed = parse_dates(pd.Series(list(values), dtype=object)).dates.dropna()
    return [d.date() for d in parsed]


def guess_as_of(guesses: list[Guess], rasters: list[Source], today: dt.date | None = None) -> Setting | None:
    """The as-of date: the end of the quarter of the latest date the data records as having
    happened (imagery, contracts signed, work started or suspended); else 30 June after the
    latest 亩均 year (the evaluation of a year is published in the next year's first half)."""
    today = today or dt.date.today()
    seen: list[tuple[dt.date, str]] = [(r.date, f"影像 {r.path.name} 日期 {r.date}") for r in rasters if r.date]
    for g in guesses:
        if g.target != "contracts" or g.source.sample is None:
            continue
        for src, field in g.mapping.items():
            if field in {"signed_date", "actual_start", "suspended_since"} and src in g.source.sample.columns:
                for d in _dates(g.source.sample[src]):
                    if d <= today:
                        seen.append((d, f"{g.source.path.name} {src} {d}"))
    if seen:
        d, why = max(seen)
        q_end_month = ((d.month - 1) // 3 + 1) * 3
        end = (dt.date(d.year + (q_end_month == 12), 1 if q_end_month == 12 else q_end_month + 1, 1)
               - dt.timedelta(days=1))
        return Setting(end, f"数据中最晚的已发生日期为 {why},取该季度末")
    for g in guesses:
        if g.target == "enterprises" and g.source.sample is not None and "year" in g.source.sample.columns:
            years = pd.to_numeric(g.source.sample["year"], errors="coerce").dropna()
            if len(years):
                y = int(years.max())
                return Setting(dt.date(y + 1, 6, 30), f"亩均数据最晚年度为 {y} 年,评价结果次年上半年发布")
    return None


def guess_crs(guesses: list[Guess]) -> Setting | None:
    """The workspace CRS: the parcels' projected CRS, else any layer's, else from coordinates."""
    ordered = sorted((g for g in guesses if g.target in LAYERS), key=lambda g: g.target != "parcels")
    for g in ordered:
        if g.source.crs:
            try:
                c = pyproj.CRS.from_user_input(g.source.crs)
            except pyproj.exceptions.CRSError:
                continue
            if c.is_projected:
                epsg = c.to_epsg()
                return Setting(f"EPSG:{epsg}" if epsg else c.to_wkt(), f"{g.source.label} 的坐标系 {c.name}")
    for g in ordered:
        if g.source.bounds is not None:
            x0, y0, x1, y1 = g.source.bounds
            try:
                c = gk.detect_crs([x0, x1], [y0, y1])
            except ValueError:
                continue
            return Setting(f"EPSG:{c.to_epsg()}", f"{g.source.label} 无坐标系文件,按坐标推断为 {c.name}")
    return None


def relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` with forward slashes (as written in workspace.toml)."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()
