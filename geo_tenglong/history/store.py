"""The run history store: every run's key state in one GeoPackage (SQLite) file.

A run is an output of its own and an input of the next: the freed-land targets (TT-T8, DQ-T2), the
季度通报 and the 整治台账 compare the run with the campaign's start and with the previous run. The
store is a GeoPackage (``history.gpkg`` beside the run's output folder by default) holding plain
attribute tables, written with the standard library's :mod:`sqlite3`:

- ``runs``: one row per run (``run_id``, ``as_of``, ruleset, county, admin code, CRS, times, a
  fingerprint of the inputs). Recording a run for an as-of date (and county) already recorded
  replaces that entry and its rows in every table with a ``run_id`` column.
- ``parcel_states``: each parcel's key state (class, flags, reclaimable area, idle tier, the rules
  it fails, split/merge lineage) and its polygon as WKB in the run's CRS, so land that has since
  left the cadastre can still be drawn.
- ``enterprise_states``: each evaluated enterprise's class and figures (tax, land, energy).
- ``target_values``: the targets table of the run.

Other parts of the tool add their own tables in the same transaction through :data:`UPDATERS`
(``"module:function"`` names of ``(conn, results, run_id) -> None``), e.g. the 整治台账.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from ..errors import InputError

if TYPE_CHECKING:
    from ..results import Results

#: File name of the store, by default in the parent of the run's output folder.
HISTORY_FILE = "history.gpkg"
#: Version of the tables below; a store of another version is refused (one line, exit 2).
SCHEMA_VERSION = 2
#: Functions ``(conn, results, run_id) -> None`` run inside :func:`record_run`'s transaction, after the
#: run's own rows are written, named ``"package.module:function"`` and imported when a run is recorded.
#: Seconds a run waits for another one writing the store (two runs sharing it) before giving up.
LOCK_TIMEOUT_S = 60.0
UPDATERS: list[str] = ["geo_tenglong.history.ledger:update_ledger"]  # 整治台账: open, close (达标销号), reopen

_GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"
_GPKG_USER_VERSION = 10300  # GeoPackage 1.3

#: Intensity rules whose passing means a parcel was upgraded (提质增效) rather than freed.
INTENSITY_RULES = ("NAT-FAR", "NAT-COVER", "NAT-ADMIN", "TT-FAR-DEFAULT")

_TABLES = {
    "meta": "key TEXT PRIMARY KEY, value TEXT",
    "runs": ("run_id TEXT PRIMARY KEY, as_of TEXT NOT NULL, ruleset TEXT, county TEXT, admin_code TEXT, "
             "crs TEXT, started TEXT, finished TEXT, inputs_fingerprint TEXT"),
    "parcel_states": ("run_id TEXT NOT NULL, parcel_id TEXT NOT NULL, township TEXT, park_id TEXT, owner_uscc TEXT, "
                      "holder_uscc TEXT, area_mu REAL, eff_class TEXT, low_efficiency INTEGER, reclaimable_mu REAL, "
                      "reclaim_reason TEXT, idle_tier INTEGER, fail_rules TEXT, split_from TEXT, merged_from TEXT, "
                      "land_use_code TEXT, geom_wkb BLOB, PRIMARY KEY (run_id, parcel_id)"),
    "enterprise_states": ("run_id TEXT NOT NULL, uscc TEXT NOT NULL, name TEXT, township TEXT, park_id TEXT, "
                          "eff_class TEXT, land_mu REAL, tax REAL, tax_per_mu REAL, va_per_mu REAL, energy_tce REAL, "
                          "PRIMARY KEY (run_id, uscc)"),
    "target_values": ("run_id TEXT NOT NULL, rule_id TEXT, metric TEXT, label TEXT, op TEXT, value REAL, target REAL, "
                      "unit TEXT, status TEXT, candidate REAL, since TEXT, note TEXT"),
    "park_names": "run_id TEXT NOT NULL, park_id TEXT NOT NULL, name TEXT, PRIMARY KEY (run_id, park_id)",
}
PARCEL_STATE_COLUMNS = ["parcel_id", "township", "park_id", "owner_uscc", "holder_uscc", "area_mu", "eff_class",
                        "low_efficiency", "reclaimable_mu", "reclaim_reason", "idle_tier", "fail_rules", "split_from",
                        "merged_from", "land_use_code", "geom_wkb"]
ENTERPRISE_STATE_COLUMNS = ["uscc", "name", "township", "park_id", "eff_class", "land_mu", "tax", "tax_per_mu",
                            "va_per_mu", "energy_tce"]
TARGET_VALUE_COLUMNS = ["rule_id", "metric", "label", "op", "value", "target", "unit", "status", "candidate", "since",
                        "note"]


def default_history_path(out_dir: str | Path) -> Path:
    """``history.gpkg`` in the parent of the output folder (``out/`` → ``./history.gpkg``)."""
    return Path(out_dir).resolve().parent / HISTORY_FILE


@contextlib.contextmanager
def connect(path: str | Path, create: bool = False) -> Iterator[sqlite3.Connection]:
    """Open the store (creating it when ``create``), check its version, and close it afterwards.

    Parameters
    ----------
    path : str or Path
    create : bool
        Create the file and its tables when missing; otherwise a missing file is an InputError.

    Yields
    ------
    sqlite3.Connection

    Raises
    ------
    InputError
        When the file is missing (and not ``create``), is not SQLite, or is of another schema version.
    """
    path = Path(path)
    if not path.is_file() and not create:
        raise InputError("history store not found (a run writes it: geo-tenglong run … --history PATH)", path)
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path, timeout=LOCK_TIMEOUT_S, isolation_level=None)
    except sqlite3.OperationalError as exc:
        raise InputError(f"cannot open the history store ({exc})", path) from None
    try:
        try:
            _ensure_schema(conn, path, create)
        except sqlite3.OperationalError as exc:  # locked by another writer past the timeout, I/O …
            raise InputError(f"history store busy or unreadable ({exc})", path) from None
        except sqlite3.DatabaseError as exc:
            raise InputError(f"not a geo-tenglong history store ({exc})", path) from None
        yield conn
    finally:
        conn.close()


def _ensure_schema(conn: sqlite3.Connection, path: Path, create: bool) -> None:
    have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "runs" in have:
        row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() if "meta" in have else None
        if row is None or int(row[0]) != SCHEMA_VERSION:
            raise InputError(f"history store of schema version {row[0] if row else '?'}; this version of "
                             f"geo-tenglong reads version {SCHEMA_VERSION}", path)
        return
    if not create and not have:
        raise InputError("empty history store (no run recorded yet)", path)
    if not create:
        raise InputError("not a geo-tenglong history store (no runs table)", path)
    if have - {"gpkg_spatial_ref_sys", "gpkg_contents", "gpkg_geometry_columns", *_TABLES}:
        raise InputError("not a geo-tenglong history store (a GeoPackage or database with other tables); "
                         "give another --history path", path)
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(f"PRAGMA application_id = {_GPKG_APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {_GPKG_USER_VERSION}")
        _create_gpkg_core(conn)
        for name, cols in _TABLES.items():
            conn.execute(f"CREATE TABLE IF NOT EXISTS {name} ({cols})")
            register_attributes_table(conn, name)
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _create_gpkg_core(conn: sqlite3.Connection) -> None:
    """The tables every GeoPackage has (OGC 12-128r18, requirements 10–13), with the three required SRS rows."""
    conn.execute("CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, "
                 "organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, "
                 "description TEXT)")
    conn.executemany("INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", [
        ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian coordinate reference system"),
        ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic coordinate reference system"),
        ("WGS 84 geodetic", 4326, "EPSG", 4326,
         'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],'
         'UNIT["degree",0.0174532925199433],AUTHORITY["EPSG","4326"]]', "longitude/latitude WGS 84")])
    conn.execute("CREATE TABLE IF NOT EXISTS gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT "
                 "NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT "
                 "(strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, "
                 "srs_id INTEGER, CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))")
    conn.execute("CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT "
                 "NULL, geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT "
                 "NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name))")


def register_attributes_table(conn: sqlite3.Connection, name: str) -> None:
    """List a plain table in ``gpkg_contents`` (data type ``attributes``) so GIS software shows it.

    Parameters
    ----------
    conn : sqlite3.Connection
    name : str
        A table already created in the store (e.g. by an :data:`UPDATERS` function).
    """
    conn.execute("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier) VALUES (?, 'attributes', ?)",
                 (name, name))


def inputs_fingerprint(paths: Iterable[str | Path], tables: dict[str, str] | None = None) -> str:
    """SHA-256 over the input files' names and contents and the database tables' row digests.

    Parameters
    ----------
    paths : iterable of Path
        The files a run read.
    tables : dict, optional
        Database table or query → SHA-256 of its rows (``Workspace.db_inputs``).

    Returns
    -------
    str
        Hex digest; the same inputs give the same fingerprint.
    """
    h = hashlib.sha256()
    for key in sorted(tables or {}):
        h.update(f"{key}={(tables or {})[key]}".encode())
    for p in sorted({Path(x) for x in paths}, key=str):
        h.update(p.name.encode("utf-8"))
        if p.is_file():
            with p.open("rb") as f:
                h.update(hashlib.file_digest(f, "sha256").digest())
    return h.hexdigest()


def _text(values, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, None, dtype=object)
    s = pd.Series(values).astype("string").str.strip()
    return s.mask(s.isin(["", "nan", "None", "<NA>"])).astype(object).where(s.notna(), None).to_numpy(dtype=object)


def _bool(values, n: int) -> np.ndarray:
    if values is None:
        return np.zeros(n, bool)
    return pd.Series(values, dtype=object).astype("boolean").fillna(False).to_numpy(dtype=bool)


def _num(values, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, np.nan)
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)


def parcel_states_of(results: Results) -> pd.DataFrame:
    """The key state of every parcel of a run, as :func:`record_run` stores it.

    Parameters
    ----------
    results : Results
        ``parcels`` with the efficiency, idle and reclaim stages' columns (absent ones stay null)
        and the findings (``fail_rules``: the ``;``-joined rule ids with status ``fail``).

    Returns
    -------
    DataFrame
        :data:`PARCEL_STATE_COLUMNS`; ``low_efficiency`` is the parcel being on the reclaimable
        (low-efficiency) list, ``reclaimable_mu`` its area when it is, else 0.
    """
    p = results.parcels
    n = len(p)
    pid = p["parcel_id"].astype(str).to_numpy()
    on_list = _bool(p.get("reclaimable"), n)
    area = _num(p.get("area_mu"), n)
    f = results.findings
    fails = f[f["status"] == "fail"].groupby("parcel_id")["rule_id"].agg(lambda s: ";".join(sorted(set(s))))
    tier = pd.to_numeric(pd.Series(p.get("idle_tier", pd.Series(np.nan, index=p.index))), errors="coerce")
    geoms = np.asarray(p.geometry.values) if hasattr(p, "geometry") else np.full(n, None, dtype=object)
    return pd.DataFrame({
        "parcel_id": pid, "township": _text(p.get("township"), n), "park_id": _text(p.get("park_id"), n),
        "owner_uscc": _text(p.get("owner_uscc"), n), "holder_uscc": _text(p.get("holder_uscc"), n),
        "area_mu": area, "eff_class": _text(p.get("eval_class"), n), "low_efficiency": on_list,
        "reclaimable_mu": np.where(on_list, area, 0.0), "reclaim_reason": _text(p.get("reclaim_reason"), n),
        "idle_tier": tier.astype("Int64").to_numpy(dtype=object, na_value=None),
        "fail_rules": pd.Series(pid).map(fails).astype(object).where(lambda s: s.notna(), None).to_numpy(),
        "split_from": _text(p.get("split_from"), n), "merged_from": _text(p.get("merged_from"), n),
        "land_use_code": _text(p.get("land_use_code"), n),
        "geom_wkb": shapely.to_wkb(geoms),
    }, columns=PARCEL_STATE_COLUMNS)


def enterprise_states_of(results: Results) -> pd.DataFrame:
    """Each evaluated enterprise's class and figures in the run's evaluation year.

    The township and park are those of the enterprise's largest parcel it holds (its 实际占有 land).

    Returns
    -------
    DataFrame
        :data:`ENTERPRISE_STATE_COLUMNS`; empty when the efficiency stage published nothing.
    """
    ev = results.layer("enterprise_eval")
    if ev is None or not len(ev):
        return pd.DataFrame(columns=ENTERPRISE_STATE_COLUMNS)
    ev = pd.DataFrame(ev)
    year = results.evaluation_year()
    if year is not None and "year" in ev.columns:
        ev = ev[pd.to_numeric(ev["year"], errors="coerce") == year]
    ev = ev.drop_duplicates("uscc")
    p = results.parcels
    cols = [c for c in ("township", "park_id") if c in p.columns]
    where = pd.DataFrame(columns=cols)
    if "holder_uscc" in p.columns:
        held = pd.DataFrame(p[["holder_uscc", "area_mu", *cols]]).dropna(subset=["holder_uscc"])
        held["holder_uscc"] = held["holder_uscc"].astype(str)
        where = held.sort_values("area_mu", ascending=False).drop_duplicates("holder_uscc").set_index("holder_uscc")
    n = len(ev)
    out = pd.DataFrame({
        "uscc": ev["uscc"].astype(str).to_numpy(), "name": _text(ev.get("name"), n),
        "eff_class": _text(ev.get("eval_class"), n), "land_mu": _num(ev.get("land_mu"), n),
        "tax": _num(ev.get("tax"), n), "tax_per_mu": _num(ev.get("tax_per_mu"), n),
        "va_per_mu": _num(ev.get("va_per_mu"), n), "energy_tce": _num(ev.get("energy_tce"), n)})
    for c in ("township", "park_id"):
        out[c] = _text(out["uscc"].map(where[c]) if c in where.columns else None, n)
    return out[ENTERPRISE_STATE_COLUMNS]


def target_values_of(results: Results) -> pd.DataFrame:
    """The run's targets table (:data:`TARGET_VALUE_COLUMNS`)."""
    t = results.layer("targets")
    if t is None or not len(t):
        return pd.DataFrame(columns=TARGET_VALUE_COLUMNS)
    t = pd.DataFrame(t)
    return pd.DataFrame({c: t[c].to_numpy() if c in t.columns else None for c in TARGET_VALUE_COLUMNS})


def _sql_value(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (float, np.floating)):
        return None if np.isnan(v) else float(v)
    if isinstance(v, (np.bool_, bool)):
        return int(v)
    if isinstance(v, np.integer):
        return int(v)
    return v


def _insert(conn: sqlite3.Connection, table: str, run_id: str, frame: pd.DataFrame) -> None:
    cols = ["run_id", *frame.columns]
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    rows = frame.astype(object).itertuples(index=False, name=None)
    conn.executemany(sql, ([run_id, *(_sql_value(v) for v in row)] for row in rows))


def _updater(spec: str | Callable) -> Callable:
    if callable(spec):
        return spec
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def record_run(results: Results, path: str | Path, inputs: Iterable[str | Path] = (),
               updaters: Iterable[str | Callable] | None = None, db_inputs: dict[str, str] | None = None,
               park_names: dict[str, str] | None = None) -> str:
    """Record a run in the history store, in one transaction.

    A run already recorded for the same as-of date and county is replaced: its ``runs`` entry and
    its rows in every table that has a ``run_id`` column are deleted first.

    Parameters
    ----------
    results : Results
        ``info`` must hold ``run_id`` and ``as_of``.
    path : str or Path
        The store (created when missing).
    inputs : iterable of Path
        The files the run read (their fingerprint is stored).
    updaters : iterable of str or callable, optional
        Run after the run's rows are written, in the same transaction, as ``f(conn, results, run_id)``;
        defaults to :data:`UPDATERS`. An exception rolls the whole record back.
    db_inputs : dict, optional
        Database tables read → digest of their rows (in the fingerprint too).
    park_names : dict, optional
        ``park_id`` → name (the workspace's ``parks`` layer), so the 季度通报 names the parks.

    Returns
    -------
    str
        The run id recorded.
    """
    info = results.info
    run_id = str(info["run_id"])
    as_of = str(info["as_of"])
    admin = str(info.get("admin_code") or "")
    parcels = parcel_states_of(results)
    enterprises = enterprise_states_of(results)
    targets = target_values_of(results)
    fingerprint = inputs_fingerprint(inputs, db_inputs)
    try:
        with connect(path, create=True) as conn:
            parks = pd.DataFrame(sorted((park_names or {}).items()), columns=["park_id", "name"])
            _record(conn, results, run_id, as_of, admin, fingerprint, parcels, enterprises, targets, updaters, parks)
    except (sqlite3.OperationalError, InputError) as exc:  # locked past the timeout, read-only, disk full …
        reason = exc.reason if isinstance(exc, InputError) else str(exc)
        raise InputError(f"本次结果已写出, 但未记入运行历史 (run not recorded in the history: {reason})", path) from None
    return run_id


def _record(conn: sqlite3.Connection, results: Results, run_id: str, as_of: str, admin: str, fingerprint: str,
            parcels: pd.DataFrame, enterprises: pd.DataFrame, targets: pd.DataFrame,
            updaters: Iterable[str | Callable] | None, parks: pd.DataFrame) -> None:
    """One run's rows and the updaters' changes, in one transaction (rolled back on any failure)."""
    info = results.info
    conn.execute("BEGIN IMMEDIATE")
    try:
        old = [r[0] for r in conn.execute("SELECT run_id FROM runs WHERE as_of = ? AND coalesce(admin_code, '') = ?",
                                          (as_of, admin))]
        if old:
            _delete_runs(conn, old)
        conn.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (run_id, as_of, info.get("ruleset"), info.get("county"), admin, info.get("crs"),
                      info.get("generated"), dt.datetime.now().isoformat(timespec="seconds"), fingerprint))
        _insert(conn, "parcel_states", run_id, parcels)
        _insert(conn, "enterprise_states", run_id, enterprises)
        _insert(conn, "target_values", run_id, targets)
        conn.execute(f"CREATE TABLE IF NOT EXISTS park_names ({_TABLES['park_names']})")  # added to version 2 stores
        register_attributes_table(conn, "park_names")
        _insert(conn, "park_names", run_id, parks)
        for spec in UPDATERS if updaters is None else updaters:
            _updater(spec)(conn, results, run_id)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _delete_runs(conn: sqlite3.Connection, run_ids: list[str]) -> None:
    """Delete runs and their rows in every table with a ``run_id`` column."""
    marks = ", ".join("?" * len(run_ids))
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    for t in tables:
        if t != "runs" and any(c[1] == "run_id" for c in conn.execute(f"PRAGMA table_info({t})")):
            conn.execute(f"DELETE FROM {t} WHERE run_id IN ({marks})", run_ids)
    conn.execute(f"DELETE FROM runs WHERE run_id IN ({marks})", run_ids)


def runs(path: str | Path) -> pd.DataFrame:
    """The recorded runs, oldest as-of date first (columns of the ``runs`` table)."""
    with connect(path) as conn:
        return pd.read_sql_query("SELECT * FROM runs ORDER BY as_of, finished", conn)


def _read_run_table(path: str | Path, table: str, run_id: str) -> pd.DataFrame:
    with connect(path) as conn:
        frame = pd.read_sql_query(f"SELECT * FROM {table} WHERE run_id = ?", conn, params=(run_id,))
    return frame.drop(columns=["run_id"])


def parcel_states(path: str | Path, run_id: str) -> pd.DataFrame:
    """The parcels' states of one run (:data:`PARCEL_STATE_COLUMNS`; ``low_efficiency`` as bool)."""
    frame = _read_run_table(path, "parcel_states", run_id)
    frame["low_efficiency"] = frame["low_efficiency"].fillna(0).astype(bool)
    return frame


def enterprise_states(path: str | Path, run_id: str) -> pd.DataFrame:
    """The enterprises' states of one run (:data:`ENTERPRISE_STATE_COLUMNS`)."""
    return _read_run_table(path, "enterprise_states", run_id)


def target_values(path: str | Path, run_id: str) -> pd.DataFrame:
    """The targets' values of one run (:data:`TARGET_VALUE_COLUMNS`)."""
    return _read_run_table(path, "target_values", run_id)


def park_names(path: str | Path, run_id: str) -> dict[str, str]:
    """``park_id`` → name as a run recorded them (empty for a run that recorded none)."""
    with connect(path) as conn:
        if not has_table(conn, "park_names"):
            return {}
        rows = conn.execute("SELECT park_id, name FROM park_names WHERE run_id = ?", (run_id,)).fetchall()
    return {str(k): str(v) for k, v in rows if v is not None}


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    """Whether the store holds a table ``name`` (e.g. the 整治台账's ``ledger_tasks``)."""
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone() is not None
