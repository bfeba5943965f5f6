"""Typed, frozen rule specifications and their strict conversion from TOML tables.

Each rule a ruleset can carry is a frozen dataclass derived from :class:`RuleSpec` and registered
under its POLICY.md id with :func:`rule_spec`. Topic modules in this package (``efficiency``,
``idle`` …) define them; :mod:`geo_tenglong.rules.loader` imports every module of the package, so a
new rule is one dataclass here and one table in the ruleset TOML.

Field metadata may carry ``min`` / ``max`` bounds (inclusive) that the loader enforces.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from typing import Any, ClassVar

from ..errors import RulesetError


@dataclasses.dataclass(frozen=True)
class RuleSpec:
    """Base of every rule specification.

    Attributes
    ----------
    clause : str
        Where the rule stands in the county document (``"四(六)"``) or the national rule
        (``"《闲置土地处置办法》第十四条"``); copied into every finding the rule raises.
    title : str
        Short Chinese name of the rule, for reports.
    """

    rule_id: ClassVar[str] = ""
    clause: str
    title: str = ""


#: rule id -> spec class
REGISTRY: dict[str, type[RuleSpec]] = {}


def rule_spec(rule_id: str):
    """Class decorator registering a :class:`RuleSpec` subclass under ``rule_id``.

    Examples
    --------
    >>> @rule_spec("XX-DEMO")
    ... @dataclasses.dataclass(frozen=True)
    ... class Demo(RuleSpec):
    ...     floor_mu: float = bound(10.0, min=0)
    """

    def deco(cls):
        if rule_id in REGISTRY and REGISTRY[rule_id] is not cls:
            raise RuntimeError(f"rule id {rule_id} registered twice")
        cls.rule_id = rule_id
        REGISTRY[rule_id] = cls
        return cls

    return deco


def bound(default: Any = dataclasses.MISSING, *, min: float | None = None, max: float | None = None):
    """A dataclass field with inclusive numeric bounds checked by the loader."""
    meta = {"min": min, "max": max}
    if default is dataclasses.MISSING:
        return dataclasses.field(metadata=meta)
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def from_table(cls, table: Any, where: str, path=None):
    """Build a frozen dataclass ``cls`` from a TOML table, strictly.

    Parameters
    ----------
    cls : dataclass type
    table : dict
        The parsed TOML table.
    where : str
        Dotted key of the table, used in error messages (``"rules.TT-CORNER"``).
    path : Path, optional
        The ruleset file, for error messages.

    Raises
    ------
    RulesetError
        On an unknown key, a missing required key, a value of the wrong type or out of bounds.
    """
    if not isinstance(table, dict):
        raise RulesetError(f"expected a table, got {type(table).__name__}", path, where)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(table) - set(fields))
    if unknown:
        raise RulesetError(f"unknown key {unknown[0]!r}; expected one of {sorted(fields)}", path,
                           f"{where}.{unknown[0]}")
    kwargs = {}
    for name, f in fields.items():
        key = f"{where}.{name}"
        if name not in table:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise RulesetError("required key is missing", path, key)
            continue
        value = _convert(hints[name], table[name], key, path)
        lo, hi = f.metadata.get("min"), f.metadata.get("max")
        for v in value if isinstance(value, tuple) else (value,):
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                if lo is not None and v < lo:
                    raise RulesetError(f"value {v} is below the minimum {lo}", path, key)
                if hi is not None and v > hi:
                    raise RulesetError(f"value {v} is above the maximum {hi}", path, key)
        kwargs[name] = value
    try:
        return cls(**kwargs)
    except ValueError as exc:  # cross-field checks in __post_init__
        raise RulesetError(str(exc), path, where) from None


def _convert(tp, value, key, path):
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(arg, value, key, path)
            except RulesetError as exc:
                errors.append(exc.reason)
        raise RulesetError("; ".join(errors), path, key)
    if origin is tuple:
        if not isinstance(value, list):
            raise RulesetError(f"expected a list, got {value!r}", path, key)
        item = args[0]
        return tuple(_convert(item, v, f"{key}[{i}]", path) for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise RulesetError(f"expected a table, got {value!r}", path, key)
        return {str(k): _convert(args[1], v, f"{key}.{k}", path) for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        return from_table(tp, value, key, path)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise RulesetError(f"expected a number, got {value!r}", path, key)
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise RulesetError(f"expected a whole number, got {value!r}", path, key)
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise RulesetError(f"expected true or false, got {value!r}", path, key)
        return value
    if tp is str:
        if not isinstance(value, str):
            raise RulesetError(f"expected a string, got {value!r}", path, key)
        return value
    if tp is dt.date:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        raise RulesetError(f"expected a date (YYYY-MM-DD), got {value!r}", path, key)
    if origin is typing.Literal:
        if value not in args:
            raise RulesetError(f"expected one of {list(args)}, got {value!r}", path, key)
        return value
    raise TypeError(f"unsupported ruleset field type {tp!r} at {key}")
