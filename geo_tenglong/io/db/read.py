"""Read a workspace layer or table from PostgreSQL/PostGIS.

A ``[layers]`` or ``[tables]`` entry of workspace.toml may be ``{ db = "postgresql://…", table =
"schema.table" }`` or ``{ db = …, sql = "select …" }``. The rows come back as a frame with the
database's column names; the workspace then maps, validates and reprojects them exactly as it does
a file's (:func:`geo_tenglong.workspace.load_workspace`). A query runs in a read-only transaction.

Geometry columns are recognised by their PostGIS type (``geometry``); their SRID gives the CRS. A
layer needs exactly one geometry column whose SRID is set (not 0).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from ...errors import InputError
from .url import DbUrl, connect, db_error, parse_db_url

__all__ = ["DbSource", "db_source", "read_db_frame", "read_db_layer", "read_db_table", "split_table"]

_KEYS = {"db", "table", "sql"}
_NUMERIC_OID = 1700
_DATE_OIDS = {1082, 1114, 1184}


@dataclasses.dataclass(frozen=True)
class DbSource:
    """One database entry of workspace.toml.

    Attributes
    ----------
    db : DbUrl
    table : str or None
        ``schema.table`` (or ``table`` in the search path).
    sql : str or None
        A query, when no table is named.
    key : str
        The workspace.toml key (``layers.parcels``).
    """

    db: DbUrl
    table: str | None
    sql: str | None
    key: str

    @property
    def what(self) -> str:
        """``table schema.table``, or the query shortened, for messages."""
        if self.table:
            return f"table {self.table}"
        text = " ".join((self.sql or "").split())
        return f"sql {text[:60]}{'…' if len(text) > 60 else ''}"

    @property
    def label(self) -> str:
        """Connection and table, for the data-issues list."""
        return f"{self.db.text} {self.what}"


def db_source(entry: dict, key: str, config_path) -> DbSource:
    """Check a ``{ db = …, table = … }`` / ``{ db = …, sql = … }`` entry of workspace.toml.

    Raises
    ------
    InputError
        Naming workspace.toml and the key: unknown keys, neither or both of table and sql, a URL
        with a password.
    """
    unknown = set(entry) - _KEYS
    if unknown:
        raise InputError(f"unknown key {min(unknown)!r}; a database entry has db and table (or sql)", config_path, key)
    if not isinstance(entry.get("db"), str):
        raise InputError("db must be a postgresql:// URL", config_path, key)
    if ("table" in entry) == ("sql" in entry):
        raise InputError("a database entry names a table (table = \"schema.table\") or a query (sql = \"select …\")",
                         config_path, key)
    for k in ("table", "sql"):
        if k in entry and (not isinstance(entry[k], str) or not entry[k].strip()):
            raise InputError(f"{k} must be a non-empty string", config_path, key)
    db = parse_db_url(entry["db"], f"{config_path}, {key}")
    if db.schema:
        raise InputError("a source names its schema in table = \"schema.table\", not ?schema=", db.text, key)
    return DbSource(db=db, table=entry.get("table"), sql=entry.get("sql"), key=key)


def split_table(table: str) -> tuple[str | None, str]:
    """``"schema.table"`` → ``("schema", "table")``; ``"table"`` → ``(None, "table")``; quotes honoured."""
    parts = re.findall(r'"((?:[^"]|"")*)"|([^."]+)', table.strip())
    names = [q.replace('""', '"') if q else u for q, u in parts]
    if len(names) == 1:
        return None, names[0]
    if len(names) == 2:
        return names[0], names[1]
    raise ValueError(f"expected schema.table, got {table!r}")


def _quoted(schema: str | None, name: str) -> str:
    def q(s: str) -> str:
        return '"' + s.replace('"', '""') + '"'
    return f"{q(schema)}.{q(name)}" if schema else q(name)


def read_db_frame(src: DbSource) -> tuple[pd.DataFrame, dict[str, int], str]:
    """The rows of a table or query, as returned, with the SRID of each geometry column.

    Returns
    -------
    (DataFrame, dict, str)
        The rows (geometry columns as shapely geometries; ``numeric`` as float; dates and
        timestamps as datetime64), ``{geometry column: SRID}``, and a SHA-256 fingerprint of the
        rows (order-independent) for the run record.

    Raises
    ------
    InputError
        Naming the connection (no password) and the table: server unreachable, authentication
        failed, no such table, a query that fails.
    """
    engine = connect(src.db)
    try:
        raw = engine.raw_connection()
    except Exception as exc:  # noqa: BLE001 - libpq/psycopg2 raise OperationalError and friends
        raise db_error(exc, src.db, src.what, "连接") from None
    try:
        cur = raw.cursor()
        cur.execute("SET TRANSACTION READ ONLY")
        cur.execute("SELECT oid FROM pg_type WHERE typname = 'geometry'")
        row = cur.fetchone()
        geom_oid = row[0] if row else None
        if src.table:
            try:
                schema, name = split_table(src.table)
            except ValueError as exc:
                raise InputError(str(exc), src.db.text, src.what) from None
            cur.execute("SELECT to_regclass(%s)", (_quoted(schema, name),))
            if cur.fetchone()[0] is None:
                raise InputError("表不存在 (no such table or view)", src.db.text, src.what)
            query = f"SELECT * FROM {_quoted(schema, name)}"
        else:
            query = str(src.sql)
        cur.execute(query)
        if cur.description is None:
            raise InputError("查询没有返回行 (the sql returns no rows: expected a select)", src.db.text, src.what)
        names = [d[0] for d in cur.description]
        oids = [d[1] for d in cur.description]
        rows = cur.fetchall()
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - psycopg2's errors for a bad query or a lost server
        raise db_error(exc, src.db, src.what, "读取") from None
    finally:
        raw.close()
        engine.dispose()
    frame = pd.DataFrame.from_records(rows, columns=pd.Index(names, dtype=object), coerce_float=False)
    if frame.columns.duplicated().any():
        dup = frame.columns[frame.columns.duplicated()][0]
        raise InputError(f"查询结果有重名字段 {dup!r} (duplicate column names)", src.db.text, src.what)
    digest = _fingerprint(frame)
    srids: dict[str, int] = {}
    for col, oid in zip(names, oids):
        if geom_oid is not None and oid == geom_oid:
            geoms = shapely.from_wkb(frame[col].to_numpy(dtype=object))
            frame[col] = geoms
            found = np.unique(shapely.get_srid(geoms[~shapely.is_missing(geoms)]))
            if len(found) > 1:
                raise InputError(f"几何字段 {col} 含多个坐标系 (SRIDs {found.tolist()})", src.db.text, src.what)
            srids[col] = int(found[0]) if len(found) else _declared_srid(src, col)
        elif oid == _NUMERIC_OID:
            frame[col] = pd.to_numeric(frame[col], errors="coerce")
        elif oid in _DATE_OIDS:
            frame[col] = pd.to_datetime(frame[col], errors="coerce")
    return frame, srids, digest


def _declared_srid(src: DbSource, column: str) -> int:
    """The SRID a table declares for a geometry column (an empty table has no geometry to ask)."""
    if not src.table:
        return 0
    schema, name = split_table(src.table)
    engine = connect(src.db)
    try:
        with engine.connect() as conn:
            from sqlalchemy import text

            value = conn.execute(text("SELECT srid FROM geometry_columns WHERE f_table_name = :t "
                                      "AND f_geometry_column = :c AND (:s IS NULL OR f_table_schema = :s)"),
                                 {"t": name, "c": column, "s": schema}).scalar()
    except Exception as exc:  # noqa: BLE001
        raise db_error(exc, src.db, src.what, "读取") from None
    finally:
        engine.dispose()
    return int(value or 0)


def _fingerprint(frame: pd.DataFrame) -> str:
    """SHA-256 over the column names and the rows (sorted row hashes: independent of row order)."""
    h = hashlib.sha256("\x1f".join(map(str, frame.columns)).encode("utf-8"))
    if len(frame):
        binary = [c for c in frame.columns if frame[c].map(lambda v: isinstance(v, memoryview)).any()]
        frame = frame.assign(**{c: frame[c].map(lambda v: bytes(v) if isinstance(v, memoryview) else v)
                                for c in binary})  # bytea: its bytes, not the memoryview's address
        try:
            hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
        except TypeError:  # cells pandas cannot hash (arrays, dicts of json columns): by their text
            hashed = pd.util.hash_pandas_object(frame.map(repr), index=False).to_numpy()
        h.update(np.sort(hashed).tobytes())
    return h.hexdigest()


def read_db_layer(src: DbSource) -> tuple[gpd.GeoDataFrame, str]:
    """A layer from the database: the rows with their one geometry column, in the column's CRS.

    Returns
    -------
    (GeoDataFrame, str)
        The layer (geometry column renamed ``geometry``) and the rows' fingerprint.

    Raises
    ------
    InputError
        Also for a table without a geometry column, with several, or whose geometries have no
        SRID (0).
    """
    frame, srids, digest = read_db_frame(src)
    if not srids:
        raise InputError("表中没有几何字段 (no PostGIS geometry column: a layer needs one)", src.db.text, src.what)
    if len(srids) > 1:
        raise InputError(f"表中有多个几何字段 {sorted(srids)} (a layer needs exactly one; select one with sql = …)",
                         src.db.text, src.what)
    col, srid = next(iter(srids.items()))
    if srid == 0 and frame.empty and not src.table:
        raise InputError("查询没有返回要素, 无法确定坐标系 (the query returns no rows)", src.db.text, src.what)
    if srid == 0:
        raise InputError(f"几何字段 {col} 没有坐标系 (SRID 0); 请设置 SRID (ST_SetSRID / UpdateGeometrySRID)",
                         src.db.text, src.what)
    try:
        crs = pyproj.CRS.from_epsg(srid)
    except pyproj.exceptions.CRSError:
        raise InputError(f"几何字段 {col} 的 SRID {srid} 不是 EPSG 坐标系", src.db.text, src.what) from None
    geoms = frame.pop(col)
    if "geometry" in frame.columns:
        frame = frame.rename(columns={"geometry": "geometry_"})
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms.to_numpy(), index=frame.index, crs=crs), crs=crs)
    return gdf, digest


def read_db_table(src: DbSource) -> tuple[pd.DataFrame, str]:
    """A table from the database as a grid: its column names as the header row, then the rows.

    The workspace reads the grid like a sheet of a workbook (header aliases, 合计 rows, years), so
    a database table is mapped and validated exactly as a file is. Geometry columns are dropped.

    Returns
    -------
    (DataFrame, str)
        The grid (object cells, no header) and the rows' fingerprint.
    """
    frame, srids, digest = read_db_frame(src)
    frame = frame.drop(columns=list(srids))
    values: Any = frame.astype(object).where(frame.notna(), None).to_numpy().tolist()
    grid = pd.DataFrame([list(frame.columns), *values], dtype=object)
    return grid, digest
