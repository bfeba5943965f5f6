"""Pipeline stage ``split_merge`` (分割合并核查): split and merge proposals against 天台 四(八).

The checks live in modules with one job each: :mod:`geo_tenglong.analysis.split` (TT-SPLIT),
:mod:`geo_tenglong.analysis.merge` (TT-MERGE), :mod:`geo_tenglong.analysis.cut_lines` (cut lines →
parts) and :mod:`geo_tenglong.analysis.proposal_checks` (the condition rows and the TT-TRANSFER
buyer and 标准地 checks both share). Their public names are re-exported here.

上一年度亩均评价 (the buyer's class) is read in the efficiency stage's ``eval_year``, the year
before the as-of date — never the latest year present in the table (issue 14).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..stage import StageResult
from ..values import split_ids
from .cut_lines import parts_from_cut_lines
from .merge import MERGE_CHECK_COLUMNS, check_merge, shared_boundary_length
from .proposal_checks import NA_MESSAGE, latest_classes
from .split import SPLIT_CHECK_COLUMNS, check_split

if TYPE_CHECKING:
    from ..results import Results
    from ..workspace import Workspace

__all__ = ["MERGE_CHECK_COLUMNS", "NA_MESSAGE", "SPLIT_CHECK_COLUMNS", "assess_split_merge", "check_merge",
           "check_split", "latest_classes", "parts_from_cut_lines", "shared_boundary_length", "split_ids"]


def assess_split_merge(ws: Workspace, results: Results) -> StageResult:
    """Pipeline stage ``split_merge`` (分割合并核查): check the workspace's split and merge proposals.

    Parameters
    ----------
    ws : Workspace
        Reads the ``split_proposals`` and ``buildings`` layers, the ``merge_proposals`` table and
        the as-of date.
    results : Results
        Reads ``results.parcels``, the efficiency stage's ``enterprise_eval`` table and its
        ``eval_year`` (上一年度; the as-of year − 1 when the stage gives none).

    Returns
    -------
    StageResult
        Findings per proposal and condition, the ``split_checks`` layer (parts with areas and
        verdicts), the ``merge_checks`` table, and counts of verdicts in the summary.
    """
    eval_table = results.layer("enterprise_eval")
    eval_year = (results.summary.get("efficiency") or {}).get("eval_year")
    if eval_year is None:
        eval_year = ws.as_of.year - 1  # 上一年度 (issue 14)
    split_f, split_layer = check_split(results.parcels, ws.layer("buildings"), ws.layer("split_proposals"),
                                       ws.ruleset, eval_table, eval_year=eval_year)
    merge_f, merge_table = check_merge(results.parcels, ws.table("merge_proposals"), ws.ruleset, eval_table,
                                       as_of=ws.as_of, eval_year=eval_year)
    findings = pd.concat([split_f, merge_f], ignore_index=True)
    split_verdicts = split_layer.drop_duplicates("proposal_id")["verdict"].value_counts()
    merge_verdicts = merge_table["verdict"].value_counts()
    summary = {"split_proposals": int(split_layer["proposal_id"].nunique()),
               "split_verdicts": {str(k): int(v) for k, v in split_verdicts.items()},
               "merge_proposals": len(merge_table),
               "merge_verdicts": {str(k): int(v) for k, v in merge_verdicts.items()}}
    return StageResult(findings=findings, layers={"split_checks": split_layer, "merge_checks": merge_table},
                       summary=summary)
