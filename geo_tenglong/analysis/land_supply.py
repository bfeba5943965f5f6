"""TT-SUPPLY (天台 四(十四)) and DQ-SUPPLY (德清 四(二)): industrial share of each year's land supply."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..findings import (
    FAIL,
    MISSING_DATA,
    PASS,
    concat_findings,
    fmt_limit_share,
    fmt_share,
    make_findings,
    not_in_ruleset,
)
from ..stage import StageResult

if TYPE_CHECKING:
    from ..results import Results
    from ..workspace import Workspace

RULES = ("TT-SUPPLY", "DQ-SUPPLY")


def industrial_share_by_year(ledger: pd.DataFrame, industrial_uses) -> pd.DataFrame:
    """Total supply, industrial supply and the industrial share per year.

    Parameters
    ----------
    ledger : DataFrame
        ``year``, ``use``, ``area_mu``.
    industrial_uses : sequence of str
        ``use`` values that are industrial land.

    Returns
    -------
    DataFrame
        Indexed by year: ``total_mu``, ``industrial_mu``, ``industrial_share``.
    """
    use = ledger["use"].astype("string").str.strip()
    frame = pd.DataFrame({"year": ledger["year"].astype("Int64"), "area_mu": ledger["area_mu"],
                          "industrial_mu": np.where(use.isin(list(industrial_uses)).fillna(False), ledger["area_mu"], 0.0)})
    out = frame.groupby("year").agg(total_mu=("area_mu", "sum"), industrial_mu=("industrial_mu", "sum"))
    out["industrial_share"] = np.where(out["total_mu"] > 0, out["industrial_mu"] / out["total_mu"], np.nan)
    return out


def assess_land_supply(ws: Workspace, results: Results) -> StageResult:
    """One finding per supply year: the industrial share against the county's minimum."""
    frames, tables = [], {}
    for rule_id in RULES:
        spec = ws.ruleset.get(rule_id)
        if spec is None:
            frames.append(not_in_ruleset(ws.admin_code, rule_id, ws.ruleset.name))
            continue
        ledger = ws.table("land_supply")
        if ledger is None:
            frames.append(make_findings([ws.admin_code], rule_id, spec.clause, MISSING_DATA,
                                        threshold=spec.min_industrial_share, unit="比例",
                                        message="缺少土地供应台账(land_supply),无法计算工业用地供应比例"))
            continue
        bad = ledger["year"].isna() | ledger["area_mu"].isna() | (ledger["area_mu"] < 0)
        if bad.any():
            rows = ledger.loc[bad, "source_row"].tolist()
            frames.append(make_findings([f"{ws.admin_code}-供地台账第{r}行" for r in rows], rule_id, spec.clause,
                                        MISSING_DATA, message="年度或面积缺失/为负,该行未计入"))
        by_year = industrial_share_by_year(ledger[~bad], spec.industrial_uses)
        share = by_year["industrial_share"].to_numpy()
        status = np.where(np.isnan(share), MISSING_DATA, np.where(share >= spec.min_industrial_share, PASS, FAIL))
        msg = [f"{y}年出让土地{t:.1f}亩,其中工业用地{i:.1f}亩,占{fmt_share(s, spec.min_industrial_share)}"
               f"(要求不低于{fmt_limit_share(spec.min_industrial_share)})"
               for y, t, i, s in zip(by_year.index, by_year["total_mu"], by_year["industrial_mu"], share)]
        frames.append(make_findings([f"{ws.admin_code}-{y}" for y in by_year.index], rule_id, spec.clause, status,
                                    share, spec.min_industrial_share, "比例", msg))
        tables["land_supply_check"] = by_year.reset_index().assign(rule_id=rule_id, status=status)
    return StageResult(findings=concat_findings(frames), layers=tables)
