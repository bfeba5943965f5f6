"""Load a county ruleset (TOML) into a frozen :class:`Ruleset`.

A ruleset file has three parts::

    [ruleset]            # name, county, admin code, the document and its seed file
    [[targets]]          # the county's targets (TT-T1…, DQ-T1…), one table per measured item
    [rules.<RULE-ID>]    # one table per rule the county has, fields per its RuleSpec

A rule the county's document lacks is simply absent: analyses then report ``not_applicable``
("not in this ruleset") instead of borrowing another county's numbers.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from ..errors import RulesetError
from .schema import REGISTRY, RuleSpec, from_table

BUILTIN_DIR = Path(__file__).parent

#: Comparison operators a target may use.
TargetOp = Literal[">=", "<=", ">", "<"]


@dataclasses.dataclass(frozen=True)
class Target:
    """One measured target of the county's plan (a row of POLICY.md's target tables).

    Attributes
    ----------
    rule_id : str
        ``"TT-T1"`` … or ``"DQ-T1"`` …; one id may carry several items (DQ-T1 has four).
    clause : str
    metric : str
        Name of the county metric an analysis stage computes (``tax_per_mu``, ``reclaimable_mu`` …).
    op : str
        ``">="``, ``"<="``, ``">"`` or ``"<"``: how the metric must compare with ``value``.
    value : float
    unit : str
    label : str
        Chinese label shown on maps and reports.
    year : int
        The year the target is due.
    candidate_metric : str
        A metric shown beside the target as the candidate pool, never as progress (腾出低效工业用地:
        ``reclaimable_mu`` beside the land actually freed, ``freed_mu``); empty for none.
    """

    rule_id: str
    clause: str
    metric: str
    op: TargetOp
    value: float
    unit: str
    label: str
    year: int = 0
    candidate_metric: str = ""


@dataclasses.dataclass(frozen=True)
class RulesetInfo:
    """The ``[ruleset]`` table: what the ruleset is and where it comes from."""

    name: str
    county: str
    admin_code: str
    document: str
    seed: str = ""
    valid_until: str = ""


@dataclasses.dataclass(frozen=True)
class Ruleset:
    """A county's rules, every number with its clause.

    Attributes
    ----------
    info : RulesetInfo
    targets : tuple of Target
    rules : Mapping[str, RuleSpec]
        Rule id → its frozen specification.
    path : Path
        The file it was read from.
    """

    info: RulesetInfo
    targets: tuple[Target, ...]
    rules: Mapping[str, RuleSpec]
    path: Path

    def __reduce__(self):
        """Pickle with the rules as a plain dict (a read-only mapping proxy cannot be pickled).

        The dask engine ships a workspace, ruleset included, to its workers.
        """
        return _ruleset, (self.info, self.targets, dict(self.rules), self.path)

    @property
    def name(self) -> str:
        """The ruleset's name, e.g. ``tiantai-2022``."""
        return self.info.name

    def get(self, rule_id: str) -> Any:
        """The spec of ``rule_id``, or ``None`` when this county has no such rule.

        Typed ``Any``: the id picks the spec class (a ``RuleSpec`` subclass with the rule's fields) at
        run time, so a static return type would hide every field. A typed accessor taking the class
        (``spec(rule_id, IdleFeeSpec)``) is the way to let mypy check the fields.
        """
        return self.rules.get(rule_id)

    def first(self, *rule_ids: str) -> Any:
        """The spec of the first of ``rule_ids`` this county carries (天台's id, then 德清's twin), or ``None``."""
        return next((self.rules[r] for r in rule_ids if r in self.rules), None)

    def has(self, rule_id: str) -> bool:
        """Whether this county's ruleset carries ``rule_id``."""
        return rule_id in self.rules

    def targets_for(self, metric: str) -> list[Target]:
        """Targets that measure ``metric``."""
        return [t for t in self.targets if t.metric == metric]


def _import_topic_modules() -> None:
    for mod in pkgutil.iter_modules([str(BUILTIN_DIR)]):
        if mod.name not in {"loader", "schema"}:
            importlib.import_module(f"{__package__}.{mod.name}")


def builtin_rulesets() -> list[str]:
    """Names of the rulesets shipped with the package."""
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.toml"))


def resolve_ruleset_path(name_or_path: str | Path) -> Path:
    """A built-in ruleset name (``tiantai-2022``) or a path to a TOML file → the file's path.

    Raises
    ------
    RulesetError
        If it is neither.
    """
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists():
        if not p.is_file():
            raise RulesetError("ruleset file not found", p)
        return p
    builtin = BUILTIN_DIR / f"{name_or_path}.toml"
    if builtin.is_file():
        return builtin
    raise RulesetError(f"no ruleset named {name_or_path!r}; built-in rulesets are {builtin_rulesets()} "
                       "or give the path of a .toml file")


def load_ruleset(name_or_path: str | Path) -> Ruleset:
    """Read and validate a ruleset.

    Parameters
    ----------
    name_or_path : str or Path
        A built-in name (see :func:`builtin_rulesets`) or a TOML file a bureau copied and edited.

    Returns
    -------
    Ruleset

    Raises
    ------
    RulesetError
        Naming the file and the key for malformed TOML, an unknown key or rule id, or a bad value.
    """
    _import_topic_modules()
    path = resolve_ruleset_path(name_or_path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RulesetError(f"not valid TOML: {exc}", path) from None
    except UnicodeDecodeError:
        raise RulesetError("not UTF-8 text", path) from None
    unknown = sorted(set(data) - {"ruleset", "targets", "rules"})
    if unknown:
        raise RulesetError("unknown top-level key; expected [ruleset], [[targets]] and [rules.*]", path, unknown[0])
    if "ruleset" not in data:
        raise RulesetError("missing the [ruleset] table", path)
    info = from_table(RulesetInfo, data["ruleset"], "ruleset", path)
    raw_targets = data.get("targets", [])
    if not isinstance(raw_targets, list):
        raise RulesetError("expected an array of tables [[targets]]", path, "targets")
    targets = tuple(from_table(Target, t, f"targets[{i}]", path) for i, t in enumerate(raw_targets))
    rules = {}
    raw_rules = data.get("rules", {})
    if not isinstance(raw_rules, dict):
        raise RulesetError("expected tables [rules.<RULE-ID>]", path, "rules")
    for rule_id, table in raw_rules.items():
        spec_cls = REGISTRY.get(rule_id)
        if spec_cls is None:
            raise RulesetError(f"unknown rule id; known ids are {sorted(REGISTRY)}", path, f"rules.{rule_id}")
        try:
            rules[rule_id] = from_table(spec_cls, table, f"rules.{rule_id}", path)
        except RulesetError as exc:
            if exc.path is not None:
                raise
            # a spec's own check (e.g. class shares summing to 1) knows the key, not the file
            raise RulesetError(exc.reason, path, exc.where) from None
    return Ruleset(info=info, targets=targets, rules=MappingProxyType(rules), path=path)


def _ruleset(info: RulesetInfo, targets: tuple[Target, ...], rules: dict[str, RuleSpec], path: Path) -> Ruleset:
    """A :class:`Ruleset` from its pickled parts, the rules read-only again."""
    return Ruleset(info=info, targets=targets, rules=MappingProxyType(rules), path=path)
