"""The run history in a PostGIS schema, beside the results a run writes there.

With ``run --out postgresql://…?schema=S`` the history lives in schema ``S`` too: every table of the
GeoPackage store (:mod:`geo_tenglong.history.store` and what its :data:`~.store.UPDATERS` add) as a
table named ``history_<table>`` — ``history_runs``, ``history_parcel_states``,
``history_enterprise_states``, ``history_target_values``, ``history_park_names``,
``history_ledger_tasks``, ``history_ledger_events``, ``history_meta`` — apart from the results'
own ``runs`` table. ``bulletin --history postgresql://…?schema=S`` and ``ledger export/import
--history postgresql://…?schema=S`` work on it.

There is one implementation of the history, the GeoPackage store's; this module copies:

- **pull**: the schema's ``history_*`` tables into a temporary ``history.gpkg`` (each table's rows
  in their order: a column ``fid`` keeps the SQLite rowid);
- the store's own code works on that file (:func:`~.store.record_run` with its updaters, the
  ledger import, the bulletin and the ledger export, a run's :func:`~.view.load_history`);
- **push** (writers only): every table of the temporary store replaces its ``history_*`` table, in
  one transaction — for a run, a hook of :func:`geo_tenglong.io.db.write.write_results`, so the
  results and their history commit together or not at all.

Writers hold the schema's advisory lock (the one ``write_results`` takes) from pull to push, so two
writers follow each other and neither loses the other's rows; readers hold it shared while they
pull, so they never see half a push. The whole history is copied each time (see docs/rules.md for
the cost: fine for a county).
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ..errors import GeoTenglongError, InputError
from ..io.db.url import DbUrl, connect, db_error
from ..io.db.write import DEFAULT_SCHEMA, ident
from . import store

if TYPE_CHECKING:
    from ..io.db.write import Hook
    from ..results import Results

#: Prefix of the history's tables in the schema (the results have a ``runs`` table of their own).
PREFIX = "history_"
#: Rows per ``COPY`` when pushing a table.
CHUNK_ROWS = 50_000
_NULL = "\\N"
#: SQLite declared type → PostgreSQL type, and back (SQLite's affinity rules, the store's types).
_TO_PG = (("INT", "bigint"), ("REAL", "double precision"), ("FLOA", "double precision"),
          ("DOUB", "double precision"), ("BLOB", "bytea"))
_TO_SQLITE = {"bigint": "INTEGER", "double precision": "REAL", "bytea": "BLOB"}
T = TypeVar("T")


def _schema(db: DbUrl) -> str:
    return db.schema or DEFAULT_SCHEMA


def _lock(conn, schema: str, shared: bool = False) -> None:
    """The schema's advisory lock for this transaction (``write_results`` takes it exclusively)."""
    from sqlalchemy import text

    fn = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    conn.execute(text(f"SELECT {fn}(hashtext(:s))"), {"s": f"geo-tenglong:{schema}"})


@contextlib.contextmanager
def _named(path: Path, db: DbUrl) -> Iterator[None]:
    """An InputError naming the temporary copy names the database instead."""
    try:
        yield
    except InputError as exc:
        if exc.path is not None and str(exc.path) == str(path):
            raise InputError(exc.reason, db.label, exc.where) from None
        raise


def _pg_tables(conn, schema: str) -> list[str]:
    from sqlalchemy import text

    rows = conn.execute(text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s "
                             "AND table_type = 'BASE TABLE' AND left(table_name, :n) = :p ORDER BY table_name"),
                        {"s": schema, "n": len(PREFIX), "p": PREFIX})
    return [r[0] for r in rows]


def _pg_columns(conn, schema: str, table: str) -> tuple[list[tuple[str, str, bool]], list[str]]:
    """(name, type, not null) of every column and the primary key's columns, in order."""
    from sqlalchemy import text

    oid = conn.execute(text("SELECT to_regclass(:t)::oid"), {"t": ident(schema, table)}).scalar()
    cols = conn.execute(text("SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute "
                             "WHERE attrelid = :o AND attnum > 0 AND NOT attisdropped ORDER BY attnum"), {"o": oid})
    key = conn.execute(text("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = :o AND i.indisprimary "
                            "ORDER BY array_position(i.indkey::int2[], a.attnum)"), {"o": oid})
    return [(r[0], r[1], bool(r[2])) for r in cols], [r[0] for r in key]


def pull(conn, schema: str, path: Path) -> bool:
    """Copy the schema's ``history_*`` tables into a new history store at ``path``.

    Parameters
    ----------
    conn : sqlalchemy.engine.Connection
        In a transaction holding the schema's advisory lock (shared or exclusive).
    schema : str
    path : Path
        Where the GeoPackage is created (must not exist).

    Returns
    -------
    bool
        False, and nothing written, when the schema holds no history (no ``history_runs``).
    """
    tables = _pg_tables(conn, schema)
    if f"{PREFIX}runs" not in tables:
        return False
    with store.connect(path, create=True) as lite:  # the GeoPackage's own tables; ours are replaced below
        lite.execute("BEGIN")
        for pg_name in tables:
            name = pg_name[len(PREFIX):]
            cols, key = _pg_columns(conn, schema, pg_name)
            cols = [c for c in cols if c[0] != "fid"]
            defs = [f"{ident(n)} {_TO_SQLITE.get(t, 'TEXT')}{' NOT NULL' if nn else ''}" for n, t, nn in cols]
            if key and key != ["fid"]:
                defs.append(f"PRIMARY KEY ({', '.join(ident(k) for k in key)})")
            lite.execute(f"DROP TABLE IF EXISTS {ident(name)}")
            lite.execute(f"CREATE TABLE {ident(name)} ({', '.join(defs)})")
            store.register_attributes_table(lite, name)
            names = ", ".join(ident(n) for n, _, _ in cols)
            with conn.connection.dbapi_connection.cursor(name=f"pull_{name}") as cur:  # server-side: streamed
                cur.itersize = CHUNK_ROWS
                cur.execute(f"SELECT fid, {names} FROM {ident(schema, pg_name)} ORDER BY fid")
                lite.executemany(f"INSERT INTO {ident(name)} (rowid, {names}) VALUES "
                                 f"({', '.join('?' * (len(cols) + 1))})", cur)
        lite.execute("COMMIT")
    return True


def _pg_type(declared: str) -> str:
    declared = declared.upper()
    return next((pg for part, pg in _TO_PG if part in declared), "text")


def _csv_value(v: Any) -> Any:
    if v is None:
        return _NULL
    if isinstance(v, bytes):
        return "\\x" + v.hex()
    return v


def push(path: Path, conn, schema: str) -> list[str]:
    """Replace the schema's ``history_*`` tables by the tables of the store at ``path``.

    Parameters
    ----------
    path : Path
        A history store (the pulled copy, changed).
    conn : sqlalchemy.engine.Connection
        In the transaction that pulled it, still holding the schema's advisory lock.
    schema : str

    Returns
    -------
    list of str
        The tables written (``history_…``).
    """
    written = []
    conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {ident(schema)}")
    with store.connect(path) as lite, conn.connection.dbapi_connection.cursor() as cur:
        names = [r[0] for r in lite.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                                            "'gpkg%' AND name NOT LIKE 'sqlite%' AND name NOT LIKE 'rtree%' "
                                            "ORDER BY name")]
        for name in names:
            info = lite.execute(f"PRAGMA table_info({ident(name)})").fetchall()  # cid, name, type, notnull, -, pk
            key = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]] or ["fid"]
            defs = ["fid bigint NOT NULL", *(f"{ident(r[1])} {_pg_type(r[2])}{' NOT NULL' if r[3] else ''}"
                                             for r in info)]
            table = ident(schema, PREFIX + name)
            cur.execute(f"DROP TABLE IF EXISTS {table}")
            cur.execute(f"CREATE TABLE {table} ({', '.join(defs)}, PRIMARY KEY ({', '.join(ident(k) for k in key)}))")
            columns = ", ".join(ident(r[1]) for r in info)
            rows = lite.execute(f"SELECT rowid, {columns} FROM {ident(name)} ORDER BY rowid")
            while chunk := rows.fetchmany(CHUNK_ROWS):
                buf = io.StringIO()
                csv.writer(buf).writerows([_csv_value(v) for v in row] for row in chunk)
                buf.seek(0)
                cur.copy_expert(f"COPY {table} (fid, {columns}) FROM STDIN WITH (FORMAT csv, NULL '{_NULL}')", buf)
            written.append(PREFIX + name)
    return written


def _sync(conn, db: DbUrl, change: Callable[[Path], T], create: bool) -> T:
    """Pull, ``change(path)`` the temporary store, push — in ``conn``'s transaction, under the schema's lock."""
    schema = _schema(db)
    _lock(conn, schema)
    with tempfile.TemporaryDirectory(prefix="geo-tenglong-history-") as tmp:
        path = Path(tmp) / store.HISTORY_FILE
        with _named(path, db):
            if pull(conn, schema, path):
                with store.connect(path):  # a history of another schema version: refused, naming the database
                    pass
            elif not create:
                raise InputError("运行历史不存在 (no run history in this schema: geo-tenglong run … --out URL "
                                 "records it)", db.label)
            outcome = change(path)
        push(path, conn, schema)
    return outcome


def update(db: DbUrl, change: Callable[[Path], T]) -> T:
    """Change the database's history with code written for a history store file, in one transaction.

    Parameters
    ----------
    db : DbUrl
        The database and ``?schema=``.
    change : callable
        ``change(path)`` on the pulled temporary store; an exception rolls everything back.

    Returns
    -------
    What ``change`` returned.

    Raises
    ------
    InputError
        When the schema holds no history, the server fails, or ``change`` refuses (naming the database
        where it named the store).
    """
    engine = connect(db)
    try:
        with engine.begin() as conn:
            return _sync(conn, db, change, create=False)
    except GeoTenglongError:
        raise
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy / psycopg2 errors: rolled back, one line for the user
        raise db_error(exc, db, f"schema {_schema(db)}", "写入运行历史") from None
    finally:
        engine.dispose()


@contextlib.contextmanager
def pulled(db: DbUrl, missing_ok: bool = False) -> Iterator[Path | None]:
    """A temporary copy of the database's history as a store file, read-only, deleted afterwards.

    Parameters
    ----------
    db : DbUrl
    missing_ok : bool
        Yield ``None`` when the schema holds no history yet (a first run) instead of refusing.

    Yields
    ------
    Path or None
        The copy; errors naming it name the database instead.

    Raises
    ------
    InputError
        When the schema holds no history (unless ``missing_ok``) or the server fails.
    """
    schema = _schema(db)
    engine = connect(db)
    with tempfile.TemporaryDirectory(prefix="geo-tenglong-history-") as tmp:
        path = Path(tmp) / store.HISTORY_FILE
        try:
            with engine.begin() as conn:
                _lock(conn, schema, shared=True)
                found = pull(conn, schema, path)
        except GeoTenglongError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise db_error(exc, db, f"schema {schema}", "读取运行历史") from None
        finally:
            engine.dispose()
        if not found and not missing_ok:
            raise InputError("运行历史不存在 (no run history in this schema: geo-tenglong run … --out URL records it)",
                             db.label)
        with _named(path, db):
            yield path if found else None


def history_location(text: str | Path) -> Path | DbUrl:
    """A ``--history`` value: a store file, or a ``postgresql://…?schema=S`` URL (checked: no password …).

    Examples
    --------
    >>> history_location("季度/history.gpkg")
    PosixPath('季度/history.gpkg')
    >>> history_location("postgresql://gis@db.local/cadastre?schema=tenglong").label
    'postgresql://gis@db.local/cadastre?schema=tenglong'
    """
    from ..io.db.url import is_db_url, parse_db_url

    return parse_db_url(str(text), "--history") if is_db_url(str(text)) else Path(text)


@contextlib.contextmanager
def reading(location: Path | DbUrl) -> Iterator[Path]:
    """The history store file to read: ``location`` itself, or a pulled copy of a database's history."""
    if isinstance(location, DbUrl):
        with pulled(location) as path:
            yield cast(Path, path)  # pulled refuses a schema without history
    else:
        yield location


def changing(location: Path | DbUrl, change: Callable[[Path], T]) -> T:
    """``change(path)`` on the history store file, or on a database's history (:func:`update`)."""
    return update(location, change) if isinstance(location, DbUrl) else change(location)


def record_hook(results: Results, db: DbUrl, inputs: Iterable[str | Path] = (),
                db_inputs: dict[str, str] | None = None, park_names: dict[str, str] | None = None) -> Hook:
    """A :data:`~geo_tenglong.io.db.write.Hook` recording the run in the schema's history.

    Handed to :func:`~geo_tenglong.io.db.write.write_results` (writing to ``db``), it runs in the
    results' transaction: the run is recorded (:func:`~.store.record_run`, its updaters too) with
    the results, or neither is. The other arguments are :func:`~.store.record_run`'s.
    """

    def hook(conn, schema: str) -> None:
        _sync(conn, dataclasses.replace(db, schema=schema),
              lambda path: store.record_run(results, path, inputs=inputs, db_inputs=db_inputs,
                                            park_names=park_names), create=True)

    return hook
