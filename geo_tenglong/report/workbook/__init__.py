"""The Excel workbook of lists (清单) a bureau files and hands up: one sheet per list, Chinese headers with units.

:func:`write_workbook` is the ``workbook`` output of :data:`geo_tenglong.pipeline.OUTPUTS`. It
renders what the analysis stages published and decides no rule. Headings, units and the Chinese
labels of coded values come from the declared results schema (:mod:`geo_tenglong.results_schema`).
A sheet of :data:`SHEETS` whose source layer a run did not produce still appears and says
"本次运行无此项数据". A county-specific sheet (:data:`COUNTY_SHEETS`: 德清's 两高/集聚点/老旧园区,
天台's 技改补助 and 规划调整与预告登记) appears only when the county's ruleset has one of its rules (or
its layer exists); then, without data, it too says "本次运行无此项数据".

Every sheet starts with a title block (表名; 制表单位, 制表日期, 数据截止日期), then one header row
(:data:`HEADER_ROW`, frozen), an autofilter over the data, number formats by unit, widths from the
content, and a 合计 row where a sum means something (areas, fees). One module per sheet topic:
``enterprises``, ``low_efficiency``, ``idle``, ``fragments``, ``split_merge``, ``supply``,
``campaign`` (整治清单, 零增地技改, 标准地履约, 到期续签), ``county`` (the county-specific sheets), ``issues``; ``sheet`` holds the model, ``lookups`` the
shared vectorised lookups and ``writer`` the streaming writer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from ...completeness import incomplete_of
from ...io.atomic import atomic_path, check_not_input
from .campaign import campaign_sheets
from .county import COUNTY_BUILDERS, COUNTY_LAYERS, COUNTY_SHEETS
from .enterprises import SHEET_NAMES as _ENTERPRISE_SHEETS
from .enterprises import enterprise_sheets
from .fragments import SHEET_NAME as _FRAGMENTS_SHEET
from .fragments import fragment_sheets
from .idle import SHEET_NAME as _IDLE_SHEET
from .idle import idle_sheet
from .issues import SHEET_NAME as _ISSUES_SHEET
from .issues import issues_sheet
from .lookups import flag_summary, has_rule, park_names, split_ids
from .low_efficiency import SHEET_NAME as _LOW_SHEET
from .low_efficiency import low_efficiency_sheet
from .sheet import NO_DATA, Sheet
from .split_merge import SHEET_NAME as _SPLIT_SHEET
from .split_merge import split_merge_sheet
from .supply import SHEET_NAME as _SUPPLY_SHEET
from .supply import land_supply_sheet
from .targets import SHEET_NAME as _TARGETS_SHEET
from .targets import targets_sheet
from .writer import HEADER_ROW, TitleInfo, write_book

__all__ = [
    "COUNTY_SHEETS",
    "HEADER_ROW",
    "NO_DATA",
    "SHEETS",
    "WORKBOOK_FILE",
    "Sheet",
    "build_sheets",
    "flag_summary",
    "iter_sheets",
    "park_names",
    "split_ids",
    "title_info",
    "write_workbook",
]

#: File name of the workbook inside the output folder.
WORKBOOK_FILE = "腾笼换鸟清单.xlsx"

#: Sheet names always present, in order (Excel forbids "/" in names, hence 与).
SHEETS = [*_ENTERPRISE_SHEETS, _LOW_SHEET, _IDLE_SHEET, _FRAGMENTS_SHEET, _SPLIT_SHEET, _SUPPLY_SHEET, _TARGETS_SHEET,
          _ISSUES_SHEET]


def iter_sheets(results, ws=None) -> Iterator[Sheet]:
    """The workbook's sheets one at a time, in order (see :func:`build_sheets`).

    The writer takes them from here, so only one sheet's rows are in memory at once.
    """
    yield from enterprise_sheets(results, ws)
    yield low_efficiency_sheet(results, ws)
    yield idle_sheet(results, ws)
    yield from fragment_sheets(results, ws)
    yield split_merge_sheet(results, ws)
    yield land_supply_sheet(results, ws)
    yield from campaign_sheets(results, ws)
    for name, rules in COUNTY_SHEETS.items():
        layer = COUNTY_LAYERS[name]
        if (layer is not None and results.layer(layer) is not None) or has_rule(results, ws, rules):
            yield COUNTY_BUILDERS[name](results, ws)
    yield targets_sheet(results, ws)
    yield issues_sheet(results, ws)


def build_sheets(results, ws=None) -> list[Sheet]:
    """The workbook's sheets as frames with Chinese headers: :data:`SHEETS` in order, the county's
    :data:`COUNTY_SHEETS` (those whose rule the ruleset has, or whose layer exists) before 数据问题.

    Parameters
    ----------
    results : Results
    ws : Workspace, optional
        For park names (``parks`` layer), the county's ruleset and the workspace folder.

    Returns
    -------
    list of Sheet
    """
    return list(iter_sheets(results, ws))


def _date(value) -> str:
    text = str(value or "")
    return text[:10] if len(text) >= 10 else text


def title_info(results, ws=None) -> TitleInfo:
    """The title block and properties of a run's workbook, from ``results.info``.

    制表单位 is ``info["bureau"]`` when the run records one, else the county; 制表日期 the day the
    run was made (``info["generated"]``, else today); 数据截止日期 the as-of date; the run's
    "数据不足: …" lines (``info["incomplete"]``) go under the first sheet's title.
    """
    info = results.info
    county = str(info.get("county") or "")
    root = ws.root if ws is not None else info.get("workspace")
    return TitleInfo(county=county, unit=str(info.get("bureau") or county),
                     made=_date(info.get("generated")) or dt.date.today().isoformat(),
                     as_of=_date(info.get("as_of")), run_id=info.get("run_id") or None,
                     root=str(root) if root else None,
                     incomplete=tuple(str(p["message"]) for p in incomplete_of(results)))


def write_workbook(results, out_dir, maps_dir=None, ws=None) -> list[Path]:
    """Write the workbook of lists (:data:`WORKBOOK_FILE`) into ``out_dir`` atomically.

    Parameters
    ----------
    results : Results
    out_dir : str or Path
    maps_dir : Path, optional
        Unused (the :data:`~geo_tenglong.pipeline.OUTPUTS` signature).
    ws : Workspace, optional
        For park names, the ruleset, the workspace folder, and so the workbook is never written
        over an input.

    Returns
    -------
    list of Path
        The workbook written.
    """
    target = Path(out_dir) / WORKBOOK_FILE
    check_not_input(target, ws.inputs if ws is not None else ())
    with atomic_path(target) as tmp:
        write_book(iter_sheets(results, ws), tmp, title_info(results, ws))
    return [target]
