"""The known layouts of a plot line (地块坐标 section), recognised by field count and content.

A plot line is ``field,field,…,@``. The layouts documented by producers and bureaus:

=============  ======  =====================================================================
layout         fields  fields before ``@``
=============  ======  =====================================================================
部标           ≤ 8     界址点数, 地块面积, 地块编号, 地块名称, 图形属性, 图幅号, 地块用途, 地类编码
                       (国土资源部 1.01 exchange format of 建设用地报批/勘测定界; trailing
                       fields may be left out)
报省           10      界址点数, 地块面积, **乡镇代码, 村名**, then the 6 fields from 地块编号 on;
                       or 乡镇代码, 村名 first, then the 8 部标 fields
土地整治       12      the 8 部标 fields, then 4 project fields (项目类型, 建设规模, 新增耕地, 备注
                       …), kept as ``extra_fields``
=============  ======  =====================================================================

The 报省 line is recognised only when its content says so (乡镇代码 a 9- or 12-digit
administrative code, 村名 text that is no number); a line of any other field count, or a 10-field
line without them, matches no known layout and is refused with its line number — never read with
shifted fields.
"""

from __future__ import annotations

import re
from pathlib import Path

from ...errors import InputError

__all__ = ["LAYOUTS", "split_plot_line"]

#: Layout name -> the columns of its fields before ``@`` ("" = kept in ``extra_fields``).
LAYOUTS = {
    "部标": ("declared_points", "stated_area", "plot_no", "plot_name", "shape_type", "sheet_no", "plot_use",
             "land_class_code"),
    "报省": ("declared_points", "stated_area", "township_code", "village_name", "plot_no", "plot_name", "shape_type",
             "sheet_no", "plot_use", "land_class_code"),
    "报省(乡镇在前)": ("township_code", "village_name", "declared_points", "stated_area", "plot_no", "plot_name",
                       "shape_type", "sheet_no", "plot_use", "land_class_code"),
    "土地整治": ("declared_points", "stated_area", "plot_no", "plot_name", "shape_type", "sheet_no", "plot_use",
                 "land_class_code", "", "", "", ""),
}

_TOWNSHIP_RE = re.compile(r"^[0-9]{9}$|^[0-9]{12}$")
_NUMBER_RE = re.compile(r"^[-+]?[0-9.]+\S*$")


def _is_township(code: str) -> bool:
    return bool(_TOWNSHIP_RE.match(code))


def _is_name(text: str) -> bool:
    return bool(text) and not _NUMBER_RE.match(text)


def _layout_of(fields: list[str]) -> str | None:
    n = len(fields)
    if n <= 8:
        return "部标"
    if n == 12:
        return "土地整治"
    if n == 10:
        if _is_township(fields[2]) and _is_name(fields[3]):
            return "报省"
        if _is_township(fields[0]) and _is_name(fields[1]):
            return "报省(乡镇在前)"
    return None


def split_plot_line(line: str, lineno: int, path: Path) -> tuple[str, dict]:
    """Split a plot line into its fields by the layout its field count and content match.

    Parameters
    ----------
    line : str
        The plot line (ASCII punctuation), ending in ``@``.
    lineno : int
        Its line number, for errors.
    path : Path
        The file, for errors.

    Returns
    -------
    (str, dict)
        The layout's name (a key of :data:`LAYOUTS`) and column -> text (stripped; the fields of
        no column joined with ``,`` under ``extra_fields``).

    Raises
    ------
    InputError
        When the line does not end in ``@`` or matches no known layout.
    """
    fields = [f.strip() for f in line.split(",")]
    while fields and fields[-1] == "":
        fields.pop()
    if not fields or fields[-1] != "@":
        raise InputError("a plot line must end with the field '@' (界址点数,地块面积,地块编号,…,@)", path,
                         f"line {lineno}")
    fields = fields[:-1]
    if "@" in fields:
        raise InputError("'@' may only be the last field of a plot line", path, f"line {lineno}")
    if len(fields) < 2:
        raise InputError("a plot line needs at least 界址点数 and 地块面积 before '@'", path, f"line {lineno}")
    layout = _layout_of(fields)
    if layout is None:
        hint = (" (10 fields are the provincial layout only with a 9- or 12-digit 乡镇代码 and a 村名 in "
                "fields 3–4 or 1–2)" if len(fields) == 10 else "")
        raise InputError(f"the plot line has {len(fields)} fields before '@', which matches no known layout "
                         f"(部标 ≤ 8, 报省 10 with 乡镇代码 and 村名, 土地整治 12){hint}; refusing to read it with "
                         "shifted fields", path, f"line {lineno}")
    cols = LAYOUTS[layout]
    out = {c: "" for c in cols if c}
    extra = []
    for col, value in zip(cols, fields):
        if col:
            out[col] = value
        else:
            extra.append(value)
    out["extra_fields"] = ",".join(extra)
    return layout, out
