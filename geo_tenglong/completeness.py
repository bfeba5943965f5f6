"""No silent empty result: the input coverage (and the analysis outcome) that makes a run partial.

:func:`check_completeness` is called by :func:`geo_tenglong.pipeline.run` after the analysis and
before any output is written. It returns one :class:`Incomplete` per problem — the stage it
affects and a one-line Chinese message starting with ``数据不足:`` — read from the workspace's
:class:`~geo_tenglong.coverage.Coverage` (zero coverage: the same lines ``geo-tenglong inspect``
prints; implausibly low coverage: below the shares below) and from the results (zero enterprises
evaluated while enterprises exist; no FAR on any industrial parcel while buildings exist). The run
records them in ``results.info["incomplete"]`` (so ``summary.json``, the workbook's first sheet and
the one-pager show them); ``geo-tenglong run`` prints each on stderr and exits 1 unless
``--allow-incomplete``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from .coverage import Coverage, compute_coverage

__all__ = ["INCOMPLETE_KEY", "MIN_BUILDING_SHARE", "MIN_CONTRACT_SHARE", "MIN_HOLDER_SHARE", "PREFIX",
           "Incomplete", "check_completeness", "coverage_problems", "incomplete_of", "result_problems"]

#: Key of ``results.info`` (and so of ``summary.json``'s ``info``) holding the problems.
INCOMPLETE_KEY = "incomplete"
#: Every problem line starts with this.
PREFIX = "数据不足"

# "Implausibly low" coverage. A county's own data never matches perfectly (parcels of enterprises
# below the 亩均 threshold, land not yet built, old contracts under a former 宗地代码), so these
# are set well below what real data gives and only catch a join that has essentially failed
# (a wrong key field, codes with different prefixes). Both samples are at 97–100 % on each
# (layers/: 1530/1542 holders matched, 1497/1542 with buildings, 1500/1500 contracts; layers/deqing:
# 806/818, 792/818, 790/790). County-independent: they judge the data, not a policy.
#: Share of industrial parcels whose holder (统一社会信用代码) matches an enterprise row.
MIN_HOLDER_SHARE = 0.10
#: Share of industrial parcels carrying at least one building.
MIN_BUILDING_SHARE = 0.10
#: Share of contract rows whose 宗地代码 is a parcel of the parcels layer.
MIN_CONTRACT_SHARE = 0.10

#: Stage a line of :meth:`Coverage.problems` affects, by a word it contains (first match wins).
_STAGE_OF_LINE = (("工业用地代码", "efficiency"), ("亩均", "efficiency"), ("权利人", "efficiency"),
                  ("容积率", "intensity"), ("闲置", "idle"))


@dataclasses.dataclass(frozen=True)
class Incomplete:
    """One reason a run's result is partial.

    Attributes
    ----------
    stage : str
        The :data:`~geo_tenglong.pipeline.STAGES` name it affects (``efficiency``, ``intensity`` …).
    message : str
        One Chinese line, ``数据不足: …``.
    """

    stage: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """``{"stage": …, "message": …}``, as recorded in ``summary.json``."""
        return {"stage": self.stage, "message": self.message}


def _pct(n: int, total: int) -> str:
    return f"{n}/{total} ({n / total:.0%})"


def coverage_problems(cov: Coverage) -> list[Incomplete]:
    """The problems read off the workspace's coverage, before or without analysis.

    Parameters
    ----------
    cov : Coverage

    Returns
    -------
    list of Incomplete
        Zero coverage as :meth:`Coverage.problems` words it; then coverage below
        :data:`MIN_HOLDER_SHARE`, :data:`MIN_BUILDING_SHARE`, :data:`MIN_CONTRACT_SHARE`.
    """
    out = []
    for line in cov.problems():
        stage = next((s for word, s in _STAGE_OF_LINE if word in line), "workspace")
        out.append(Incomplete(stage, line))
    ind = cov.parcels_industrial
    if ind and cov.parcels_holder_matched and cov.parcels_holder_matched < MIN_HOLDER_SHARE * ind:
        out.append(Incomplete("efficiency", f"{PREFIX}: 工业用地中仅 {_pct(cov.parcels_holder_matched, ind)} 宗的权利人"
                                            "与企业亩均数据匹配(统一社会信用代码),多数企业将为未参评"))
    with_b = cov.industrial_parcels_with_buildings
    if ind and with_b and with_b < MIN_BUILDING_SHARE * ind:
        out.append(Incomplete("intensity", f"{PREFIX}: 工业用地中仅 {_pct(with_b, ind)} 宗有建筑物,"
                                           "多数宗地的容积率与建筑系数无法计算"))
    if cov.contracts and cov.contracts_matched and cov.contracts_matched < MIN_CONTRACT_SHARE * cov.contracts:
        out.append(Incomplete("idle", f"{PREFIX}: 出让合同中仅 {_pct(cov.contracts_matched, cov.contracts)} 条"
                                      "的宗地代码与宗地图层匹配,闲置土地认定多数无法进行"))
    return out


def result_problems(results, known: list[Incomplete] | tuple = ()) -> list[Incomplete]:
    """The problems the analysis outcome shows, for stages the coverage did not already flag.

    Parameters
    ----------
    results : Results
        After the analysis stages.
    known : list of Incomplete
        Problems already found; a stage named there is not flagged twice.

    Returns
    -------
    list of Incomplete
        Zero enterprises evaluated (``enterprise_eval`` has rows, none with a class); FAR on no
        industrial parcel while the parcels carry a ``far`` column.
    """
    flagged = {p.stage for p in known}
    if any("工业用地代码" in p.message for p in known):  # no industrial parcel: both are empty already
        flagged |= {"efficiency", "intensity"}
    out = []
    ev = results.layer("enterprise_eval")
    if ("efficiency" not in flagged and ev is not None and len(ev) and "eval_class" in ev.columns
            and not ev["eval_class"].notna().any()):
        n = int(ev["uscc"].nunique()) if "uscc" in ev.columns else len(ev)
        out.append(Incomplete("efficiency", f"{PREFIX}: {n} 家企业中没有一家参评(均未关联到工业用地),"
                                            "亩均效益分类为空"))
    p = results.parcels
    if "intensity" not in flagged and "far" in p.columns and len(p):
        far = pd.to_numeric(p["far"], errors="coerce")
        if not far.notna().any():
            out.append(Incomplete("intensity", f"{PREFIX}: {len(p)} 宗宗地均无容积率,用地强度无法评价"))
    return out


def check_completeness(ws, results) -> list[Incomplete]:
    """Every reason this run's result is partial (empty when it is complete).

    Parameters
    ----------
    ws : Workspace
    results : Results
        After the analysis stages.

    Returns
    -------
    list of Incomplete
    """
    found = coverage_problems(compute_coverage(ws))
    return found + result_problems(results, found)


def incomplete_of(results) -> list[dict[str, Any]]:
    """The problems a run recorded (``results.info["incomplete"]``; also read back from ``summary.json``).

    Parameters
    ----------
    results : Results

    Returns
    -------
    list of dict
        ``{"stage": …, "message": …}``, empty for a complete run.
    """
    items = (getattr(results, "info", None) or {}).get(INCOMPLETE_KEY) or []
    return [dict(i) for i in items if isinstance(i, dict) and i.get("message")]
