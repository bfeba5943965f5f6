"""Write the commented ``workspace.toml`` that ``geo-tenglong init`` proposes.

Every entry carries its evidence as a comment; files that could not be placed, required fields
left unmapped and the questions only the user can answer are listed at the end. Comments are in
Chinese: the file is read by the bureau's staff.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from .init_detect import Source
from .init_guess import Guess, Setting, relative
from .io.schema import LAYERS, TABLES

_DEFAULT_CLASSES = {1: "built", 2: "bare", 3: "vegetation", 4: "water"}


def _s(value: str) -> str:
    """A TOML basic string."""
    return json.dumps(str(value), ensure_ascii=False)


def _comment(lines: list[str], text: str, prefix: str = "# ") -> None:
    for part in str(text).splitlines() or [""]:
        lines.append(f"{prefix}{part}".rstrip())


def _setting(lines: list[str], key: str, s: Setting | None, question: str, fmt=_s) -> None:
    if s is None:
        lines.append(f"# {key} = ?    # 待填写: {question}")
    else:
        lines.append(f"{key} = {fmt(s.value)}    # {s.evidence}")


def _entry(g: Guess, root: Path) -> str:
    src = g.source
    parts = [f"path = {_s(relative(src.path, root))}"]
    if src.layer and (src.path.suffix.lower() in {".gpkg", ".gdb"} or src.path.is_dir()):
        parts.append(f"layer = {_s(src.layer)}")
    if src.sheet:
        parts.append(f"sheet = {_s(src.sheet)}")
    if src.encoding:
        parts.append(f"encoding = {_s(src.encoding)}")
    return parts[0].split(" = ", 1)[1] if len(parts) == 1 else "{ " + ", ".join(parts) + " }"


def _block(lines: list[str], g: Guess, root: Path) -> None:
    target = str(g.target)
    label = (LAYERS.get(target) or TABLES[target]).label
    _comment(lines, f"{label}: {'; '.join(g.evidence)}")
    if g.source.encoding:
        _comment(lines, f"无 .cpg 文件,属性按 {g.source.encoding} 编码读取")
    if g.source.crs is None and g.target in LAYERS:
        _comment(lines, "无坐标系文件(.prj):读取时按坐标推断分带")
    if g.unknown:
        _comment(lines, f"未识别字段(按原名保留): {', '.join(g.unknown)}")
    lines.append(f"{target} = {_entry(g, root)}")


def _rasters(lines: list[str], rasters: list[Source], root: Path) -> None:
    if not rasters:
        return
    lines += ["", "[rasters]"]
    items = []
    for r in sorted(rasters, key=lambda r: (r.date is None, r.date or dt.date.min)):
        if r.date:
            items.append(f"{{ path = {_s(relative(r.path, root))}, date = {r.date.isoformat()} }}")
        else:
            items.append(f"{{ path = {_s(relative(r.path, root))} }}")
    _comment(lines, "土地覆盖分类影像;日期来自影像标签或文件名" +
             ("" if all(r.date for r in rasters) else ";缺日期的影像请补上 date = YYYY-MM-DD"))
    lines.append("landcover = [ " + ",\n              ".join(items) + " ]")
    classes = _classes(rasters[0].note)
    why = "来自影像 CLASSES 标签" if classes else "默认值,请按影像的分类核对"
    classes = classes or _DEFAULT_CLASSES
    lines.append("landcover_classes = { " + ", ".join(f"{k} = {_s(v)}" for k, v in sorted(classes.items()))
                 + f" }}    # {why}")


def _classes(tag: str) -> dict[int, str]:
    out = {}
    for part in str(tag).split(","):
        k, _, v = part.partition("=")
        if k.strip().isdigit() and v.strip() and int(k) != 0:
            out[int(k)] = v.strip()
    return out


def render(root: Path, folder: Path, guesses: list[Guess], rasters: list[Source], coords: list[Source],
           unknown: list[Source], settings: dict[str, Setting | None]) -> str:
    """The text of ``workspace.toml``.

    Parameters
    ----------
    root : Path
        The folder the file is written to (paths are relative to it).
    folder : Path
        The folder scanned.
    guesses : list of Guess
    rasters, coords, unknown : list of Source
    settings : dict
        ``admin_code``, ``county``, ``ruleset``, ``as_of``, ``crs`` → Setting or None.

    Returns
    -------
    str
    """
    placed = [g for g in guesses if g.target]
    unplaced = [g for g in guesses if not g.target]
    today = dt.date.today().isoformat()
    lines = [f"# 由 geo-tenglong init 于 {today} 根据文件夹 {folder} 生成。",
             "# 每一项后面的注释是判断依据;请逐项核对,再运行 geo-tenglong inspect 查看数据覆盖情况。",
             f"# 共 {len(placed)} 个图层/表格已识别, {len(unplaced) + len(unknown)} 个文件未能识别(见文末)。",
             "", "[workspace]"]
    _setting(lines, "county", settings.get("county"), "县(市、区)名称")
    _setting(lines, "admin_code", settings.get("admin_code"), "6 位行政区代码")
    _setting(lines, "ruleset", settings.get("ruleset"),
             "规则集:内置 tiantai-2022 / deqing-2021,或本县规则集 .toml 文件路径")
    _setting(lines, "as_of", settings.get("as_of"), "分析基准日 YYYY-MM-DD", fmt=lambda d: d.isoformat())
    _setting(lines, "crs", settings.get("crs"), "工作空间坐标系,如 EPSG:4528")
    lines.append("# unknown_land_use_is_industrial = true    # 无用地代码的宗地是否按工业用地计(默认否)")
    lines += ["", "[layers]"]
    if not any(g.target == "parcels" for g in placed):
        lines.append("# parcels = ?    # 待填写: 未找到宗地图层(必需)")
    for name in LAYERS:
        for g in placed:
            if g.target == name:
                _block(lines, g, root)
    lines += ["", "[tables]"]
    for name in TABLES:
        for g in placed:
            if g.target == name:
                _block(lines, g, root)
    _rasters(lines, rasters, root)
    if coords:
        lines += ["", "[coords]"]
        c = max(coords, key=lambda c: c.count)
        lines.append(f"folder = {_s(relative(c.path, root))}    # {c.note}")
    aliases: dict[str, list[str]] = {}
    for g in placed:
        for field, cols in g.aliases.items():
            aliases.setdefault(field, [])
            aliases[field] += [c for c in cols if c not in aliases[field]]
    lines += ["", "[aliases]"]
    _comment(lines, "标准字段代码(ZDDM、QLRMC、DLBM …)和常见中文表头已内置;此处只需补充本县特有的字段名")
    for field, cols in aliases.items():
        lines.append(f"{field} = [{', '.join(_s(c) for c in cols)}]    # 由字段值推断")
    _tail(lines, unplaced, unknown, placed, folder)
    return "\n".join(lines) + "\n"


def _tail(lines: list[str], unplaced: list[Guess], unknown: list[Source], placed: list[Guess], folder: Path) -> None:
    if unplaced or unknown:
        lines += ["", "# ── 未能识别的文件 ──"]
        for g in unplaced:
            _comment(lines, f"{relative(g.source.path, folder)}{_where(g.source)}: {'; '.join(g.evidence)}")
        for s in unknown:
            _comment(lines, f"{relative(s.path, folder)}: {s.note}")
    missing = [g for g in placed if g.missing]
    if missing:
        lines += ["", "# ── 缺少的必需字段 ──"]
        for g in missing:
            _comment(lines, f"{g.target}: {', '.join(g.missing)} —— 在 [aliases] 中写明本县字段名")


def _where(s: Source) -> str:
    return f" (图层 {s.layer})" if s.layer else (f" (工作表 {s.sheet})" if s.sheet else "")
