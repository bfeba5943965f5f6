"""The national standard schemas and code lists, shipped as data (``fields.toml``, ``land_use.toml``).

``fields.toml`` maps the field codes of the standard databases (TD/T 1066-2021 不动产登记数据库,
第三次全国国土调查数据库, 国土空间规划 一张图/三区三线, 控规) and the headers of the 亩均论英雄 and
出让合同 exports to the project's field names; ``land_use.toml`` holds the land-use code lists
(GB/T 21010-2017, 用地用海分类指南 2023, GB 50137-2011) and the coded values decoded on reading.
Sources: docs/standards.md. A workspace extends both under ``[standards]`` in ``workspace.toml``::

    [standards.fields.parcels]
    GYDM = "parcel_id"
    [standards.values.use]
    "29" = "生产"
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
from importlib import resources
from typing import Any

import pandas as pd

from ..errors import InputError


@dataclasses.dataclass(frozen=True)
class Standard:
    """One table or layer of a standard database, or one kind of bureau export.

    Attributes
    ----------
    id, title, source : str
        Short id, title, and the standard it comes from.
    target : str
        The workspace layer or table it feeds (``parcels``, ``buildings``, ``enterprises`` …).
    geometry : str or None
        ``"polygon"`` for a layer, ``None`` for a table.
    names : tuple of str
        File or layer names that give it away (``ZD``, ``DLTB``, ``宗地`` …).
    fields : dict of str to str
        Source field or header → project field.
    """

    id: str
    title: str
    source: str
    target: str
    geometry: str | None
    names: tuple[str, ...]
    fields: dict[str, str]


@dataclasses.dataclass(frozen=True)
class Standards:
    """All standard schemas, code lists and value dictionaries (built-in merged with a workspace's)."""

    schemas: tuple[Standard, ...]
    land_use_lists: dict[str, dict[str, Any]]
    industrial: tuple[str, ...]
    values: dict[str, dict[str, str]]

    def field_map(self, target: str | None = None) -> dict[str, str]:
        """Source field → project field for ``target`` (all schemas when ``None``; first wins)."""
        out: dict[str, str] = {}
        for s in self.schemas:
            if target is None or s.target == target:
                for src, field in s.fields.items():
                    out.setdefault(src, field)
        return out

    def code_name(self, code: str) -> str | None:
        """The name of a land-use code in any list (``"0601"`` → ``"工业用地"``), or ``None``."""
        for lst in self.land_use_lists.values():
            name = lst.get("codes", {}).get(str(code).strip().upper())
            if name:
                return name
        return None


def _read(name: str) -> dict:
    return tomllib.loads(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def _builtin() -> tuple[dict, dict]:
    return _read("fields.toml"), _read("land_use.toml")


def load_standards(extra: dict | None = None, where: Any = None) -> Standards:
    """The built-in standards, with a workspace's ``[standards]`` table merged over them.

    Parameters
    ----------
    extra : dict, optional
        ``{"fields": {target: {source: field}}, "values": {field: {code: value}}}`` from
        ``workspace.toml`` (which codes are industrial is the ruleset's ``industrial_land_codes``).
    where : path, optional
        The workspace file, for error messages.

    Returns
    -------
    Standards

    Raises
    ------
    InputError
        For an unknown key or a value of the wrong type in ``extra``.
    """
    fields_cfg, lu_cfg = _builtin()
    schemas = [Standard(id=s["id"], title=s.get("title", s["id"]), source=s.get("source", ""), target=s["target"],
                        geometry=s.get("geometry"), names=tuple(s.get("names", ())), fields=dict(s.get("fields", {})))
               for s in fields_cfg["schema"]]
    values = {k: {str(c): str(v) for c, v in d.items()} for k, d in lu_cfg.get("values", {}).items()}
    industrial = tuple(lu_cfg.get("industrial", ()))
    extra = extra or {}
    unknown = set(extra) - {"fields", "values"}
    if unknown:
        raise InputError("unknown key; expected fields, values", where, f"standards.{min(unknown)}")
    for target, mapping in extra.get("fields", {}).items():
        if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
            raise InputError("expected a table of source field = \"field\"", where, f"standards.fields.{target}")
        # The workspace's own mapping comes first, so it wins over the built-in codes.
        schemas.insert(0, Standard(id=f"workspace:{target}", title="workspace.toml", source="workspace.toml",
                                   target=target, geometry=None, names=(), fields=dict(mapping)))
    for field, mapping in extra.get("values", {}).items():
        if not isinstance(mapping, dict):
            raise InputError("expected a table of code = \"value\"", where, f"standards.values.{field}")
        values.setdefault(field, {}).update({str(c): str(v) for c, v in mapping.items()})
    return Standards(schemas=tuple(schemas), land_use_lists=dict(lu_cfg.get("lists", {})), industrial=industrial,
                     values=values)


def decode_values(df: pd.DataFrame, standards: Standards, fields: tuple[str, ...] = ("rights_type", "rights_nature",
                                                                                       "use")) -> pd.DataFrame:
    """Replace coded values (``102`` → ``出让``, GHYT ``21`` → ``生产``) in ``fields``; others kept.

    Examples
    --------
    >>> decode_values(pd.DataFrame({"rights_type": ["102", "出让", "101"]}), load_standards())["rights_type"].tolist()
    ['出让', '出让', '划拨']
    """
    out = df
    for field in fields:
        mapping = standards.values.get(field)
        if not mapping or field not in df.columns:
            continue
        col = df[field]
        text = col.map(lambda v: None if v is None or (isinstance(v, float) and pd.isna(v)) else
                       (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v).strip()))
        decoded = text.map(lambda v, m=mapping: m.get(v, v) if isinstance(v, str) else v)
        if not decoded.equals(text):
            if out is df:
                out = df.copy()
            out[field] = decoded
    return out


def area_factor(unit: object, standards: Standards) -> float | None:
    """Square metres per unit of a 面积单位 (MJDW) value; ``None`` when unknown.

    Examples
    --------
    >>> area_factor(2, load_standards())
    666.6666666666667
    """
    if unit is None or (isinstance(unit, float) and pd.isna(unit)):
        return None
    key = str(int(unit)) if isinstance(unit, float) and unit.is_integer() else str(unit).strip()
    value = standards.values.get("area_unit", {}).get(key)
    return float(value) if value is not None else None
