"""分割合并核查: the parts of split proposals (``split_checks``) and the merge proposals (``merge_checks``)."""

from __future__ import annotations

import pandas as pd

from .layer_table import layer_table
from .sheet import CHECK_KIND, Sheet

__all__ = ["SHEET_NAME", "split_merge_sheet"]

SHEET_NAME = "分割合并核查"


def split_merge_sheet(results, ws=None) -> Sheet:
    """Split parts then merge proposals on one sheet, a 核查类型 column telling them apart.

    Parameters
    ----------
    results : Results
    ws : Workspace, optional

    Returns
    -------
    Sheet
        :data:`~.sheet.NO_DATA` when neither layer exists.
    """
    parts, kinds = [], {}
    for name, label in (("split_checks", "分割"), ("merge_checks", "合并")):
        layer = results.layer(name)
        if layer is None:
            continue
        frame, k = layer_table(layer, name, results, ws, {CHECK_KIND: label})
        parts.append(frame)
        kinds.update(k)
    if not parts:
        return Sheet(SHEET_NAME, None, note="未生成 split_checks / merge_checks 图层: 分割合并核查阶段未运行或无分割合并方案。")
    return Sheet(SHEET_NAME, pd.concat(parts, ignore_index=True, sort=False), kinds)
