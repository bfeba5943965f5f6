"""The declared results schema: what each analysis stage publishes, with dtypes, units and Chinese labels.

The declarations live in a data file shipped with the package (``geo_tenglong/data/results_schema.toml``):
one ``[stages.<name>]`` table per stage of :data:`geo_tenglong.pipeline.STAGES` (its parcel columns,
layers / tables and metrics) and ``[base.<name>]`` tables for what is not a stage's: the input
``parcels`` fields, ``findings`` and ``data_issues``. Outputs (workbook, web map, reports, QGIS
aliases, the developer docs' table) read names and labels from here instead of guessing, and
:meth:`geo_tenglong.results.Results.add` calls :func:`check_stage` so that a stage publishing
something undeclared fails loudly.

Examples
--------
>>> label("parcels", "parcel_id")
'宗地代码'
>>> value_label("findings", "status", "fail")
'不符合'
>>> parcel_field("area_mu").heading
'面积(亩)'
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
from collections.abc import Mapping
from importlib import resources
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

__all__ = [
    "DTYPES",
    "Field",
    "StageSchema",
    "Table",
    "all_stages",
    "check_stage",
    "check_table",
    "conform",
    "dtype_family",
    "enum_code",
    "headings",
    "label",
    "labels",
    "parcel_field",
    "schema_markdown",
    "stage_schema",
    "table_names",
    "table_schema",
    "value_label",
    "value_labels",
    "write_schema_doc",
]

#: The dtype families a field may declare.
DTYPES = ("str", "float", "int", "bool", "date", "json", "geometry")

#: How a unit is written in a column heading (workbook headers say 平方米, not m²).
UNIT_WORDS = {"m²": "平方米", "m": "米"}

_SCHEMA_FILE = "results_schema.toml"


@dataclasses.dataclass(frozen=True)
class Field:
    """One declared column.

    Attributes
    ----------
    name : str
        The column name (English snake_case).
    dtype : str
        One of :data:`DTYPES`.
    label : str
        The Chinese label users see (workbook header, map popup, report), without the unit.
    unit : str or None
        ``亩``, ``m²``, ``万元``, ``万元/亩``, ``比例`` (a ratio 0–1, shown ×100 as %), ``天`` …
    doc : str
        What the column holds, in English, for developers.
    values : dict or None
        For enumerations: code → Chinese label (e.g. ``status``: ``fail`` → ``不符合``).
    required : bool
        ``False`` when the stage publishes the column only when its input exists.
    """

    name: str
    dtype: str
    label: str
    unit: str | None = None
    doc: str = ""
    values: Mapping[str, str] | None = dataclasses.field(default=None, hash=False)
    required: bool = True

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise ValueError(f"field {self.name!r}: dtype {self.dtype!r} is not one of {DTYPES}")

    @property
    def heading(self) -> str:
        """The label with its unit as a workbook heading shows it, e.g. ``面积(亩)``, ``面积(平方米)``."""
        if not self.unit or self.unit == "比例":
            return self.label
        return f"{self.label}({UNIT_WORDS.get(self.unit, self.unit)})"


@dataclasses.dataclass(frozen=True)
class Table:
    """A declared layer or table.

    Attributes
    ----------
    name : str
        Layer name in ``results.layers`` and ``results.gpkg``.
    label : str
        Chinese name.
    geometry : str or None
        ``"polygon"`` (Polygon / MultiPolygon, possibly empty) for a layer; ``None`` for a table.
    fields : tuple of Field
        Attribute columns (the geometry column is not listed).
    key : str or None
        The column that identifies a row, if one does.
    doc : str
        What a row is, for developers.
    required : bool
        ``False`` when the stage publishes it only when its input exists or the rule applies.
    """

    name: str
    label: str
    geometry: str | None
    fields: tuple[Field, ...]
    key: str | None
    doc: str = ""
    required: bool = True

    def field(self, name: str) -> Field:
        """The declared field ``name``.

        Raises
        ------
        KeyError
            When the table declares no such field.
        """
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"table {self.name!r} declares no column {name!r}")

    @property
    def names(self) -> list[str]:
        """The declared column names, in order."""
        return [f.name for f in self.fields]


@dataclasses.dataclass(frozen=True)
class StageSchema:
    """What one analysis stage publishes.

    Attributes
    ----------
    stage : str
        The stage name in :data:`geo_tenglong.pipeline.STAGES`.
    label : str
        Chinese name.
    parcel_columns : tuple of Field
        Columns joined onto ``results.parcels``.
    tables : tuple of Table
        Layers and tables (``results.layers``).
    metrics : tuple of str
        County metrics it may set.
    """

    stage: str
    label: str
    parcel_columns: tuple[Field, ...]
    tables: tuple[Table, ...]
    metrics: tuple[str, ...]


# ----------------------------------------------------------------------------------------- loading

def _field(raw: dict[str, Any], where: str) -> Field:
    unknown = set(raw) - {f.name for f in dataclasses.fields(Field)}
    if unknown:
        raise ValueError(f"{_SCHEMA_FILE} {where}: unknown keys {sorted(unknown)}")
    values = raw.get("values")
    return Field(name=raw["name"], dtype=raw["dtype"], label=raw["label"], unit=raw.get("unit"),
                 doc=raw.get("doc", ""), values=dict(values) if values is not None else None,
                 required=raw.get("required", True))


def _table(name: str, raw: dict[str, Any], where: str) -> Table:
    fields = tuple(_field(f, f"{where}.{f.get('name', '?')}") for f in raw.get("fields", []))
    return Table(name=name, label=raw["label"], geometry=raw.get("geometry"), fields=fields, key=raw.get("key"),
                 doc=raw.get("doc", ""), required=raw.get("required", True))


@functools.cache
def _load() -> tuple[dict[str, Table], dict[str, StageSchema]]:
    text = resources.files("geo_tenglong.data").joinpath(_SCHEMA_FILE).read_text(encoding="utf-8")
    doc = tomllib.loads(text)
    base = {name: _table(name, raw, f"base.{name}") for name, raw in doc.get("base", {}).items()}
    stages: dict[str, StageSchema] = {}
    for sname, raw in doc.get("stages", {}).items():
        cols = tuple(_field(f, f"stages.{sname}.parcel_columns.{f.get('name', '?')}") for f in raw.get("parcel_columns", []))
        tables = tuple(_table(t["name"], t, f"stages.{sname}.tables.{t['name']}") for t in raw.get("tables", []))
        stages[sname] = StageSchema(stage=sname, label=raw["label"], parcel_columns=cols, tables=tables,
                                    metrics=tuple(raw.get("metrics", [])))
    return base, stages


@functools.cache
def _tables() -> dict[str, Table]:
    base, stages = _load()
    out: dict[str, Table] = {}
    parcels = base["parcels"]
    stage_cols = tuple(f for s in stages.values() for f in s.parcel_columns)
    out["parcels"] = dataclasses.replace(parcels, fields=parcels.fields + stage_cols)
    for name, t in base.items():
        if name != "parcels":
            out[name] = t
    for s in stages.values():
        for t in s.tables:
            if t.name in out:
                raise ValueError(f"{_SCHEMA_FILE}: table {t.name!r} declared twice (stage {s.stage})")
            out[t.name] = t
    return out


# ------------------------------------------------------------------------------------------- lookups

def stage_schema(stage: str) -> StageSchema:
    """The declaration of one stage.

    Raises
    ------
    KeyError
        When the stage is not declared.
    """
    stages = _load()[1]
    if stage not in stages:
        raise KeyError(f"stage {stage!r} is not declared in {_SCHEMA_FILE}")
    return stages[stage]


def all_stages() -> list[StageSchema]:
    """Every declared stage, in pipeline order."""
    return list(_load()[1].values())


def table_names() -> list[str]:
    """Every declared table: ``parcels``, ``findings``, ``data_issues`` and each stage's layers and tables."""
    return list(_tables())


def table_schema(name: str) -> Table:
    """A declared table by name.

    ``parcels`` lists the input fields, ``area_m2`` / ``area_mu`` and every stage's parcel columns.

    Raises
    ------
    KeyError
        When no table of that name is declared.
    """
    tables = _tables()
    if name not in tables:
        raise KeyError(f"table {name!r} is not declared in {_SCHEMA_FILE}")
    return tables[name]


def parcel_field(name: str) -> Field:
    """A column of the ``parcels`` results layer (input field or a stage's column)."""
    return table_schema("parcels").field(name)


def label(table: str, column: str) -> str:
    """The Chinese label of a column, e.g. ``label("parcels", "eval_class") == "亩均评价类别"``."""
    return table_schema(table).field(column).label


def labels(table: str) -> dict[str, str]:
    """Column name → Chinese label for every declared column of a table."""
    return {f.name: f.label for f in table_schema(table).fields}


def enum_code(code: Any) -> str | None:
    """The text key of an enumeration code (``1.0`` → ``"1"``, ``True`` → ``"true"``); ``None`` for null."""
    if code is None or code is pd.NA:
        return None
    if isinstance(code, (bool, np.bool_)):
        return "true" if code else "false"
    if isinstance(code, (float, np.floating)):
        if np.isnan(code):
            return None
        if float(code).is_integer():
            return str(int(code))
    return str(code)


def headings(table: str) -> dict[str, str]:
    """Column name → heading (label with unit, e.g. ``面积(亩)``) for every declared column of a table."""
    return {f.name: f.heading for f in table_schema(table).fields}


_YES_NO = {"true": "是", "false": "否"}


def value_labels(table: str, column: str) -> dict[str, str]:
    """Code → Chinese label of an enumeration column (是/否 for a boolean one; empty when not an enumeration)."""
    f = table_schema(table).field(column)
    return dict(f.values) if f.values is not None else (dict(_YES_NO) if f.dtype == "bool" else {})


def value_label(table: str, column: str, code: Any) -> str:
    """The Chinese label of an enumeration code, e.g. ``value_label("findings", "status", "fail") == "不符合"``.

    Booleans without declared values give 是/否. Null gives ``""``; a code the declaration does not list is returned as text (the tests check
    that the declarations cover every code the stages produce on the samples).
    """
    key = enum_code(code)
    if key is None:
        return ""
    return value_labels(table, column).get(key, key)


# -------------------------------------------------------------------------------------------- checks

_INFERRED = {"string": "str", "empty": "null", "integer": "int", "floating": "float", "mixed-integer-float": "float",
             "decimal": "float", "boolean": "bool", "datetime": "date", "datetime64": "date", "date": "date"}


def dtype_family(s: pd.Series) -> str:
    """The dtype family (one of :data:`DTYPES`) a column holds; ``"null"`` when it holds no value.

    Object columns are classified by their values (``pandas.api.types.infer_dtype``, vectorised);
    lists and dicts are ``json``; a mix is ``"mixed(…)"``.

    Examples
    --------
    >>> dtype_family(pd.Series([1.5, None])), dtype_family(pd.Series(["a", None])), dtype_family(pd.Series([None]))
    ('float', 'str', 'null')
    >>> dtype_family(pd.Series([pd.NA], dtype="boolean")), dtype_family(pd.Series([None], dtype="string"))
    ('null', 'null')
    """
    from pandas.api import types as pt

    if s.dtype.name == "geometry":
        return "geometry"
    if not len(s) or bool(s.isna().all()):
        return "null"  # no value, whatever the dtype: nothing to get wrong
    if pt.is_bool_dtype(s.dtype):
        return "bool"
    if pt.is_integer_dtype(s.dtype):
        return "int"
    if pt.is_float_dtype(s.dtype):
        return "float"
    if pt.is_datetime64_any_dtype(s.dtype):
        return "date"
    inferred = pt.infer_dtype(s, skipna=True)
    if inferred in _INFERRED:
        return _INFERRED[inferred]
    kinds = set()
    for v in s.dropna().tolist():
        if isinstance(v, (list, tuple, dict, np.ndarray)):
            kinds.add("json")
        elif isinstance(v, str):
            kinds.add("str")
        elif isinstance(v, (bool, np.bool_)):
            kinds.add("bool")
        elif isinstance(v, (int, float, np.number)):
            kinds.add("float")
        else:
            kinds.add(type(v).__name__)
    return kinds.pop() if len(kinds) == 1 else "mixed(" + ",".join(sorted(kinds)) + ")"


#: Declared dtype → the families a column may hold (ints are whole floats; JSON may arrive as text).
_ACCEPTS = {"str": {"str"}, "float": {"float", "int"}, "int": {"int"}, "bool": {"bool"}, "date": {"date"},
            "json": {"json", "str"}, "geometry": {"geometry"}}


def _check_columns(stage: str, where: str, frame: pd.DataFrame, fields: tuple[Field, ...],
                   skip: frozenset[str] = frozenset()) -> None:
    declared = {f.name: f for f in fields}
    present = [c for c in frame.columns if c not in skip]
    extra = [c for c in present if c not in declared]
    if extra:
        raise RuntimeError(f"stage {stage}: {where} has undeclared columns {extra} (declare them in {_SCHEMA_FILE})")
    missing = [f.name for f in fields if f.required and f.name not in frame.columns]
    if missing:
        raise RuntimeError(f"stage {stage}: {where} lacks declared columns {missing}")
    for c in present:
        family = dtype_family(frame[c])
        f = declared[c]
        if family != "null" and family not in _ACCEPTS[f.dtype]:
            raise RuntimeError(f"stage {stage}: {where} column {c!r} holds {family} ({frame[c].dtype}), "
                               f"declared {f.dtype}")


def check_table(table: str, frame: pd.DataFrame, stage: str = "-") -> None:
    """Check one frame against the declared table ``table`` (columns, required ones, dtype families, geometry).

    Raises
    ------
    RuntimeError
        As :func:`check_stage`, naming ``stage`` (``"-"`` outside a stage).
    """
    t = table_schema(table)
    geom = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) and frame._geometry_column_name else None
    if t.geometry is not None and geom is None:
        raise RuntimeError(f"stage {stage}: layer {table!r} has no geometry, declared {t.geometry}")
    if t.geometry is None and geom is not None:
        raise RuntimeError(f"stage {stage}: table {table!r} has a geometry column, declared without one")
    kind = "layer" if t.geometry else "table"
    _check_columns(stage, f"{kind} {table!r}", frame, t.fields, skip=frozenset({geom}) if geom else frozenset())


_NULLS: dict[str, Any] = {"str": (None, object), "float": (np.nan, "float64"), "int": (pd.NA, "Int64"),
                          "bool": (pd.NA, "boolean"), "date": (pd.NaT, "datetime64[ns]"), "json": (None, object)}


def conform(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every declared column of ``table``, in declared order.

    Missing columns are added as nulls of their dtype family (``NaN``, ``<NA>``, ``NaT``, ``None``):
    for test fixtures and synthetic data that must look like a real run without inventing values.

    Raises
    ------
    RuntimeError
        When ``frame`` has a column ``table`` does not declare.
    """
    t = table_schema(table)
    geom = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) and frame._geometry_column_name else None
    extra = [c for c in frame.columns if c != geom and c not in t.names]
    if extra:
        raise RuntimeError(f"table {table!r}: undeclared columns {extra}")
    out = frame.copy()
    for f in t.fields:
        if f.name not in out.columns:
            value, dtype = _NULLS[f.dtype]
            out[f.name] = pd.Series([value] * len(out), index=out.index, dtype=dtype)
    order = [n for n in t.names if n in out.columns] + ([geom] if geom else [])
    return out[order]


def check_stage(stage: str, result: Any) -> None:
    """Check a stage's :class:`~geo_tenglong.stage.StageResult` against its declaration.

    Parameters
    ----------
    stage : str
        The stage name.
    result : StageResult

    Raises
    ------
    RuntimeError
        Naming the stage, the column / layer / table and the mismatch: an undeclared stage, column,
        layer, table or metric; a required column or table missing; a column of the wrong dtype
        family; a layer without geometry declared with one or the reverse.
    """
    try:
        sch = stage_schema(stage)
    except KeyError:
        raise RuntimeError(f"stage {stage} is not declared in {_SCHEMA_FILE}") from None
    cols = result.parcel_columns
    if cols is not None and len(cols.columns):
        _check_columns(stage, "parcel_columns", cols, sch.parcel_columns)
    tables = {t.name: t for t in sch.tables}
    extra = [n for n in result.layers if n not in tables]
    if extra:
        raise RuntimeError(f"stage {stage}: undeclared layers/tables {extra} (declare them in {_SCHEMA_FILE})")
    missing = [n for n, t in tables.items() if t.required and n not in result.layers]
    if missing:
        raise RuntimeError(f"stage {stage}: lacks declared layers/tables {missing}")
    for name, frame in result.layers.items():
        check_table(name, frame, stage)
    extra_metrics = [m for m in result.metrics if m not in sch.metrics]
    if extra_metrics:
        raise RuntimeError(f"stage {stage}: undeclared metrics {extra_metrics} (declare them in {_SCHEMA_FILE})")


# ---------------------------------------------------------------------------------------------- docs

def _col_text(f: Field) -> str:
    text = f"`{f.name}`"
    if f.dtype == "bool":
        text += " (bool)"
    elif f.values:
        text += " (" + "/".join(f.values) + ")"
    return text + ("" if f.required else " *")


def schema_markdown() -> str:
    """The "Stage order and what each publishes" table of docs/developing.md, generated from the schema.

    Optional columns and tables (published only when their input exists) are marked ``*``.
    """
    lines = ["| stage (`pipeline.STAGES`) | parcel columns (on `results.parcels`) | layers / tables | metrics |",
             "| --- | --- | --- | --- |"]
    for s in all_stages():
        cols = ", ".join(_col_text(f) for f in s.parcel_columns)
        tabs = "; ".join(f"`{t.name}`{'' if t.required else ' *'} ({t.label}{', polygons' if t.geometry else ''}: "
                         f"`{', '.join(t.names)}`)" for t in s.tables)
        mets = ", ".join(f"`{m}`" for m in s.metrics)
        lines.append(f"| `{s.stage}` ({s.label}) | {cols} | {tabs} | {mets} |")
    return "\n".join(lines) + "\n"


_BEGIN, _END = "<!-- schema table: generated by geo_tenglong.results_schema.schema_markdown() -->\n", "<!-- end schema table -->"


def write_schema_doc(path: str, check: bool = False) -> bool:
    """Replace the generated table between the schema-table markers of a Markdown file.

    Parameters
    ----------
    path : str
        Usually ``docs/developing.md``.
    check : bool
        Only compare; write nothing.

    Returns
    -------
    bool
        Whether the file already held the current table.
    """
    from pathlib import Path

    p = Path(path)
    text = p.read_text(encoding="utf-8")
    start, end = text.index(_BEGIN) + len(_BEGIN), text.index(_END)
    current = text[start:end] == schema_markdown()
    if not current and not check:
        p.write_text(text[:start] + schema_markdown() + text[end:], encoding="utf-8")
    return current


if __name__ == "__main__":  # python -m geo_tenglong.results_schema [--check] [docs/developing.md]
    import sys

    args = [a for a in sys.argv[1:] if a != "--check"]
    ok = write_schema_doc(args[0] if args else "docs/developing.md", check="--check" in sys.argv)
    print("schema table up to date" if ok else ("schema table differs" if "--check" in sys.argv else "schema table rewritten"))
    sys.exit(0 if ok or "--check" not in sys.argv else 1)
