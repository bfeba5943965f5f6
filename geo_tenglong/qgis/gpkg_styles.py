"""Add QGIS's ``layer_styles`` table and the GeoPackage ``gpkg_data_columns`` table to results.gpkg.

Both are written with sqlite3 in one transaction: either every style and alias is there, or the
file is as it was. ``layer_styles`` is registered in ``gpkg_contents`` as an attributes table, as
QGIS does itself: QGIS reads styles through GDAL, which lists only registered tables
(:meth:`geo_tenglong.results.Results.read` skips it).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from .. import results_schema
from ..errors import InputError
from .layers import LayerSpec
from .qml import qml_document

LAYER_STYLES_DDL = """
CREATE TABLE IF NOT EXISTS layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    f_table_catalog TEXT(256),
    f_table_schema TEXT(256),
    f_table_name TEXT(256),
    f_geometry_column TEXT(256),
    styleName TEXT(30),
    styleQML TEXT,
    styleSLD TEXT,
    useAsDefault BOOLEAN,
    description TEXT,
    owner TEXT(30),
    ui TEXT(30),
    update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)"""

DATA_COLUMNS_DDL = """
CREATE TABLE IF NOT EXISTS gpkg_data_columns (
    table_name TEXT NOT NULL,
    column_name TEXT NOT NULL,
    name TEXT,
    title TEXT,
    description TEXT,
    mime_type TEXT,
    constraint_name TEXT,
    CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
    CONSTRAINT gdc_tn UNIQUE (table_name, name)
)"""

_EXTENSIONS_DDL = """
CREATE TABLE IF NOT EXISTS gpkg_extensions (
    table_name TEXT,
    column_name TEXT,
    extension_name TEXT NOT NULL,
    definition TEXT NOT NULL,
    scope TEXT NOT NULL,
    CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name)
)"""
_SCHEMA_EXTENSION = ("gpkg_schema", "http://www.geopackage.org/spec121/#extension_schema", "read-write")


def gpkg_tables(path: str | Path) -> dict[str, tuple[list[str], str | None]]:
    """The tables of a GeoPackage: name → (attribute columns in order, geometry column or ``None``).

    Raises
    ------
    InputError
        When ``path`` is not a GeoPackage.
    """
    try:
        with contextlib.closing(sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)) as con:
            contents = con.execute("SELECT table_name FROM gpkg_contents ORDER BY rowid").fetchall()
            geoms = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())
            out: dict[str, tuple[list[str], str | None]] = {}
            for (name,) in contents:
                if name == "layer_styles":
                    continue
                info = con.execute(f'PRAGMA table_info("{name.replace(chr(34), chr(34) * 2)}")').fetchall()
                geom = geoms.get(name)
                cols = [row[1] for row in info if not row[5] and row[1] != geom]  # row[5]: primary key
                out[name] = (cols, geom)
            return out
    except sqlite3.DatabaseError as exc:
        raise InputError(f"not a GeoPackage ({exc})", path) from exc


def data_column_rows(table: str, columns: Sequence[str]) -> list[tuple[str, str, str, str, str | None]]:
    """``gpkg_data_columns`` rows of a table: (table, column, name, title, description).

    ``name`` is the column's Chinese label, made unique within the table (GeoPackage requires it)
    by adding the unit or the column name; ``title`` is the heading with the unit; columns the
    results schema does not declare get no row.
    """
    try:
        declared = results_schema.table_schema(table)
    except KeyError:
        return []
    rows = []
    used: set[str] = set()
    for column in columns:
        try:
            field = declared.field(column)
        except KeyError:
            continue
        name = field.label
        for candidate in (field.label, field.heading, f"{field.label}({column})"):
            if candidate not in used:
                name = candidate
                break
        used.add(name)
        rows.append((table, column, name, field.heading, field.doc or None))
    return rows


def write_gpkg_styles(path: str | Path, specs: Sequence[LayerSpec],
                      tables: dict[str, tuple[list[str], str | None]]) -> int:
    """Write every spec's style into ``layer_styles`` and the aliases into ``gpkg_data_columns``.

    Rows this tool wrote before for the same tables are replaced, so rewriting is idempotent.

    Parameters
    ----------
    path : path
        results.gpkg.
    specs : sequence of LayerSpec
    tables : dict
        :func:`gpkg_tables` of ``path``.

    Returns
    -------
    int
        The number of styles written.
    """
    styles = []
    for spec in specs:
        columns, geom = tables[spec.table]
        styles.append((spec.table, geom or "", spec.style_name, qml_document(spec, columns), int(spec.default),
                       spec.label))
    columns_rows = [row for name, (cols, _g) in tables.items() for row in data_column_rows(name, cols)]
    con = sqlite3.connect(str(path), isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        con.execute(LAYER_STYLES_DDL)
        con.execute(DATA_COLUMNS_DDL)
        con.execute(_EXTENSIONS_DDL)
        con.execute("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, last_change)"
                    " VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS 图层样式',"
                    " strftime('%Y-%m-%dT%H:%M:%fZ','now'))")
        names = sorted({s[0] for s in styles})
        marks = ",".join("?" * len(names))
        con.execute(f"DELETE FROM layer_styles WHERE f_table_name IN ({marks})", names)
        con.executemany(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName,"
            " styleQML, styleSLD, useAsDefault, description, owner, ui) VALUES ('', '', ?, ?, ?, ?, '', ?, ?, '', NULL)",
            styles)
        tnames = sorted(tables)
        con.execute(f"DELETE FROM gpkg_data_columns WHERE table_name IN ({','.join('?' * len(tnames))})", tnames)
        con.executemany("INSERT INTO gpkg_data_columns (table_name, column_name, name, title, description)"
                        " VALUES (?, ?, ?, ?, ?)", columns_rows)
        con.execute("DELETE FROM gpkg_extensions WHERE table_name = 'gpkg_data_columns' AND extension_name = ?",
                    (_SCHEMA_EXTENSION[0],))
        con.execute("INSERT INTO gpkg_extensions VALUES ('gpkg_data_columns', NULL, ?, ?, ?)", _SCHEMA_EXTENSION)
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    finally:
        con.close()
    return len(styles)
