"""Write a run's results into a PostGIS schema in one transaction, and record the run.

``geo-tenglong run --out postgresql://user@host:port/db?schema=tenglong`` puts everything
``results.gpkg`` holds — ``parcels``, ``findings``, ``data_issues``, every stage's layers and
tables — into tables of the schema, and one row into its ``runs`` table (run id, county, ruleset,
as-of, started, finished, a fingerprint of the inputs, the tables written, and the info, metrics
and stage summaries that ``summary.json`` holds).

All of it is one transaction (PostgreSQL's DDL is transactional): the tables are built in a
staging schema ``<schema>__<run id>``, given a primary key ``fid`` (1…n, as a GeoPackage's) and a
GIST index on the geometry, then — holding an advisory lock on the schema, so two runs into one
schema follow each other — the previous run's tables are dropped, the new ones moved in, and the
run row inserted. Readers (QGIS, a web GIS) see the previous results until the commit and the new
ones after it; a failure anywhere rolls everything back and leaves the previous results as they
were (a killed process leaves nothing either: the server rolls back its transaction).

A table is dropped without ``CASCADE``: a view of the bureau's over a result table makes the write
fail (naming the table) rather than vanish silently.

The rows go in with ``COPY`` (geometries as EWKB through GeoAlchemy2's type, via geopandas).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import geopandas as gpd
import pandas as pd

from ...errors import GeoTenglongError, InputError
from .url import DbUrl, connect, db_error

__all__ = ["DEFAULT_SCHEMA", "RUNS_TABLE", "Hook", "check_target", "ident", "read_runs", "record_run",
           "write_results", "write_table"]

#: Schema the results go to when the URL names none.
DEFAULT_SCHEMA = "tenglong"
#: The table recording every run written into a schema.
RUNS_TABLE = "runs"
#: Called inside the results transaction, after the tables are in place: ``hook(connection, schema)``
#: (e.g. the run history of :mod:`geo_tenglong.history` writing its rows in the same commit).
Hook = Callable[[Any, str], None]

_NULL = "\\N"
_RUNS_DDL = """CREATE TABLE IF NOT EXISTS {t} (
    run_id text PRIMARY KEY,
    county text,
    admin_code text,
    ruleset text,
    as_of date,
    started timestamptz,
    finished timestamptz,
    fingerprint text,
    tables text[],
    document jsonb
)"""


def ident(*names: str) -> str:
    """Quoted SQL identifier(s): ``ident("a", "b")`` → ``"a"."b"``."""
    return ".".join('"' + n.replace('"', '""') + '"' for n in names)


def _copy_rows(table, conn, keys, data_iter) -> None:
    """pandas ``to_sql`` method: the rows through ``COPY … FROM STDIN`` (CSV) instead of INSERTs.

    NULL is written ``\\N`` so that an empty text stays an empty text (CSV's bare empty field).
    """
    buf = io.StringIO()
    csv.writer(buf).writerows([_NULL if v is None else v for v in row] for row in data_iter)
    buf.seek(0)
    columns = ", ".join(ident(k) for k in keys)
    target = ident(table.schema, table.name) if table.schema else ident(table.name)
    with conn.connection.cursor() as cur:
        cur.copy_expert(f"COPY {target} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '{_NULL}')", buf)


def _prepared(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy ready for SQL, converted as for results.gpkg, with ``fid`` 1…n as its index.

    The GeoPackage writer's conversions apply (one set of rules for both targets): an input column
    named ``fid`` or differing only in case is renamed, dtypes without a SQL type become text,
    object cells' nulls are NULL and lists/dicts JSON text.
    """
    from ...results import _cell, _writable

    out = _writable(frame)
    geom = out.geometry.name if isinstance(out, gpd.GeoDataFrame) else None
    for col in out.columns:
        if col != geom and out[col].dtype == object:
            out[col] = out[col].map(_cell)
    out.index = pd.RangeIndex(1, len(out) + 1, name="fid")
    return out


def write_table(conn, schema: str, name: str, frame: pd.DataFrame, key_columns: Iterable[str] = ()) -> None:
    """Create ``schema.name`` from a frame: primary key ``fid``, a GIST index on a geometry, indexes on ``key_columns``.

    Parameters
    ----------
    conn : sqlalchemy.engine.Connection
        In a transaction.
    schema, name : str
    frame : DataFrame or GeoDataFrame
    key_columns : iterable of str
        Columns to index (e.g. ``parcel_id``) where the frame has them.
    """
    from sqlalchemy import text

    frame = _prepared(frame)
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns:
        frame.to_postgis(name, conn, schema=schema, index=True, index_label="fid")
        geom = frame.geometry.name
    else:
        pd.DataFrame(frame).to_sql(name, conn, schema=schema, index=True, index_label="fid", method=_copy_rows)
        geom = None
    table = ident(schema, name)
    conn.exec_driver_sql(f"ALTER TABLE {table} ADD PRIMARY KEY (fid)")
    if geom is not None:
        has_gist = conn.execute(text("SELECT count(*) FROM pg_indexes WHERE schemaname = :s AND tablename = :t "
                                     "AND indexdef ILIKE '%USING gist%'"), {"s": schema, "t": name}).scalar()
        if not has_gist:
            conn.exec_driver_sql(f"CREATE INDEX {ident(_index_name(name, geom))} ON {table} USING gist ({ident(geom)})")
    for col in key_columns:
        if col in frame.columns:
            conn.exec_driver_sql(f"CREATE INDEX {ident(_index_name(name, col))} ON {table} ({ident(col)})")


def describe_table(conn, schema: str, name: str, columns: Iterable[str], run_id: str) -> None:
    """Chinese comments from the results schema: the table's label and run, each declared column's heading.

    QGIS, pgAdmin and DBeaver show them beside the English column names (``面积(亩)`` for
    ``area_mu``; an enumeration's codes too, e.g. ``状态: pass=符合, fail=不符合 …``).
    """
    from ... import results_schema

    try:
        declared = results_schema.table_schema(name)
    except KeyError:
        declared = None
    title = f"{declared.label} — " if declared else ""
    # psycopg2 quotes the text (%s); a % in a name is doubled
    conn.exec_driver_sql(f"COMMENT ON TABLE {ident(schema, name).replace('%', '%%')} IS %s",
                         (f"{title}geo-tenglong run {run_id}",))
    if declared is None:
        return
    for column in columns:
        try:
            field = declared.field(column)
        except KeyError:
            continue
        text = field.heading + (": " + ", ".join(f"{k}={v}" for k, v in field.values.items()) if field.values else "")
        conn.exec_driver_sql(f"COMMENT ON COLUMN {ident(schema, name, column).replace('%', '%%')} IS %s", (text,))


def _index_name(table: str, column: str) -> str:
    return f"{table}_{re.sub(r'[^a-z0-9_]', '_', column.lower())}_idx"[:63]


def _writable_columns(frame: pd.DataFrame) -> list[str]:
    """The column names as written (after results.gpkg's renaming of clashing input columns)."""
    from ...results import _writable

    return [str(c) for c in _writable(frame.iloc[:0]).columns]


def _results_tables(results) -> list[tuple[str, pd.DataFrame]]:
    from ...findings import COLUMNS as FINDING_COLUMNS

    tables = [("parcels", results.parcels), ("findings", results.findings[FINDING_COLUMNS])]
    tables += [(name, layer) for name, layer in results.layers.items()]
    for name, _ in tables:
        if name == RUNS_TABLE or name.startswith("pg_"):
            raise RuntimeError(f"a results layer may not be called {name!r} in a database")
    return tables


def _staging_schema(schema: str, run_id: str) -> str:
    return f"{schema}__{re.sub(r'[^a-z0-9_]', '_', run_id.lower())}"[:63]


def _json_default(value):
    from ...results import _json_default as default

    return default(value)


def write_results(results, target: DbUrl, *, started: dt.datetime, fingerprint: str,
                  hooks: Sequence[Hook] = ()) -> list[str]:
    """Write ``results`` into ``target``'s schema in one transaction, replacing the previous run's tables.

    Parameters
    ----------
    results : Results
        With ``info["run_id"]`` set.
    target : DbUrl
        The database and ``?schema=`` (default :data:`DEFAULT_SCHEMA`).
    started : datetime
        When the run started (timezone-aware or local).
    fingerprint : str
        The inputs' fingerprint (:func:`geo_tenglong.io.db.fingerprint.inputs_fingerprint`).
    hooks : sequence of callable
        Each called as ``hook(connection, schema)`` inside the transaction, before the commit.

    Returns
    -------
    list of str
        ``schema.table`` of every table written, and of the ``runs`` table.

    Raises
    ------
    InputError
        One line naming the connection (no password) and the table, when the server cannot be
        reached, refuses the login or the write; nothing is changed then.
    """
    schema = target.schema or DEFAULT_SCHEMA
    run_id = str(results.info["run_id"])
    staging = _staging_schema(schema, run_id)
    tables = _results_tables(results)
    names = [n for n, _ in tables]
    engine = connect(target)
    current = "连接"
    try:
        with engine.begin() as conn:
            current = f"schema {schema}"
            conn.exec_driver_sql(f"CREATE SCHEMA {ident(staging)}")
            for name, frame in tables:
                current = f"table {schema}.{name}"
                write_table(conn, staging, name, frame, key_columns=("parcel_id", "rule_id") if name in
                            ("parcels", "findings") else ("parcel_id",))
                describe_table(conn, staging, name, _writable_columns(frame), run_id)
            current = f"schema {schema}"
            _swap_in(conn, staging, schema, names)
            current = f"table {schema}.{RUNS_TABLE}"
            document = {"info": results.info, "metrics": results.metrics, "summary": results.summary}
            record_run(conn, schema, {
                "run_id": run_id, "county": results.info.get("county"), "admin_code": results.info.get("admin_code"),
                "ruleset": results.info.get("ruleset"), "as_of": results.info.get("as_of"), "started": started,
                "finished": dt.datetime.now().astimezone(), "fingerprint": fingerprint, "tables": names,
                "document": json.dumps(document, ensure_ascii=False, default=_json_default)})
            for hook in hooks:
                hook(conn, schema)
    except GeoTenglongError:
        raise
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy / psycopg2 errors: rolled back, one line for the user
        raise db_error(exc, target, current, "写入结果") from None
    finally:
        engine.dispose()
    return [f"{schema}.{n}" for n in names] + [f"{schema}.{RUNS_TABLE}"]


def check_target(target: DbUrl) -> None:
    """Before the analysis: the server answers, the login works, PostGIS is there, a schema may be created.

    Raises
    ------
    InputError
        One line naming the connection (no password) and the schema.
    """
    from sqlalchemy import text

    schema = target.schema or DEFAULT_SCHEMA
    engine = connect(target)
    try:
        with engine.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).scalar():
                raise InputError("数据库未安装 PostGIS 扩展 (run CREATE EXTENSION postgis)", target.text, f"schema {schema}")
            if not conn.execute(text("SELECT has_database_privilege(current_database(), 'CREATE')")).scalar():
                raise InputError("没有建立 schema 的权限 (the results are staged in a new schema: GRANT CREATE ON "
                                 "DATABASE to this user)", target.text, f"schema {schema}")
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise db_error(exc, target, f"schema {schema}", "连接") from None
    finally:
        engine.dispose()


def _swap_in(conn, staging: str, schema: str, names: list[str]) -> None:
    """Replace the previous run's tables in ``schema`` by the staged ones (inside the caller's transaction)."""
    from sqlalchemy import text

    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:s))"), {"s": f"geo-tenglong:{schema}"})
    conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {ident(schema)}")
    conn.exec_driver_sql(_RUNS_DDL.format(t=ident(schema, RUNS_TABLE)))
    previous = conn.execute(text(f"SELECT tables FROM {ident(schema, RUNS_TABLE)} "
                                 "ORDER BY finished DESC NULLS LAST LIMIT 1")).scalar() or []
    for name in sorted(set(previous) | set(names)):
        if name == RUNS_TABLE:
            continue
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {ident(schema, name)}")
    for name in names:
        conn.exec_driver_sql(f"ALTER TABLE {ident(staging, name)} SET SCHEMA {ident(schema)}")
    conn.exec_driver_sql(f"DROP SCHEMA {ident(staging)}")


def record_run(conn, schema: str, row: dict[str, Any]) -> None:
    """Insert (or replace, by ``run_id``) one row of ``schema.runs``, creating the table if needed.

    Parameters
    ----------
    conn : sqlalchemy.engine.Connection
        In a transaction (e.g. a :data:`Hook`'s).
    schema : str
    row : dict
        Keys among ``run_id`` (required), ``county``, ``admin_code``, ``ruleset``, ``as_of``, ``started``,
        ``finished``, ``fingerprint``, ``tables`` (list of str), ``document`` (JSON text).
    """
    from sqlalchemy import text

    columns = ["run_id", "county", "admin_code", "ruleset", "as_of", "started", "finished", "fingerprint", "tables",
               "document"]
    unknown = set(row) - set(columns)
    if unknown or "run_id" not in row:
        raise ValueError(f"a runs row needs run_id and takes {columns}; got {sorted(row)}")
    conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {ident(schema)}")
    conn.exec_driver_sql(_RUNS_DDL.format(t=ident(schema, RUNS_TABLE)))
    keys = [c for c in columns if c in row]
    values = ", ".join(f"CAST(:{k} AS jsonb)" if k == "document" else f":{k}" for k in keys)
    updates = ", ".join(f"{k} = EXCLUDED.{k}" for k in keys if k != "run_id") or "run_id = EXCLUDED.run_id"
    conn.execute(text(f"INSERT INTO {ident(schema, RUNS_TABLE)} ({', '.join(keys)}) VALUES ({values}) "
                      f"ON CONFLICT (run_id) DO UPDATE SET {updates}"), {k: row[k] for k in keys})


def read_runs(target: DbUrl) -> pd.DataFrame:
    """Every row of the target schema's ``runs`` table, newest first (empty when there is none).

    Raises
    ------
    InputError
        When the server cannot be reached or refuses the login.
    """
    from sqlalchemy import text

    schema = target.schema or DEFAULT_SCHEMA
    engine = connect(target)
    try:
        with engine.connect() as conn:
            exists = conn.execute(text("SELECT to_regclass(:t)"), {"t": ident(schema, RUNS_TABLE)}).scalar()
            if exists is None:
                return pd.DataFrame(columns=["run_id", "county", "admin_code", "ruleset", "as_of", "started",
                                             "finished", "fingerprint", "tables", "document"])
            return pd.read_sql(text(f"SELECT * FROM {ident(schema, RUNS_TABLE)} ORDER BY finished DESC NULLS LAST"),
                               conn)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise db_error(exc, target, f"table {schema}.{RUNS_TABLE}", "读取") from None
    finally:
        engine.dispose()
