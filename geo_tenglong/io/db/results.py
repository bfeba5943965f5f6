"""Read a run's results back from a PostGIS schema, as :meth:`geo_tenglong.results.Results.read` reads results.gpkg.

``geo-tenglong map postgresql://…?schema=tenglong`` and ``geo-tenglong report -r postgresql://…``
render the results of the schema's current run: the ``runs`` row last written (its ``tables`` and
its ``document``: info, metrics and stage summaries) and those tables, without their ``fid``.
"""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd

from ...errors import GeoTenglongError, InputError
from .url import DbUrl, connect, db_error
from .write import DEFAULT_SCHEMA, RUNS_TABLE, ident

__all__ = ["read_results"]


def read_results(target: DbUrl):
    """The results of the current run in ``target``'s schema.

    Returns
    -------
    Results

    Raises
    ------
    InputError
        One line naming the connection and the table: server unreachable, login refused, no
        ``runs`` table (not a results schema), a results table missing.
    """
    from sqlalchemy import text

    from ...findings import concat_findings
    from ...results import Results

    schema = target.schema or DEFAULT_SCHEMA
    engine = connect(target)
    where = f"table {schema}.{RUNS_TABLE}"
    try:
        with engine.connect() as conn:
            if conn.execute(text("SELECT to_regclass(:t)"), {"t": ident(schema, RUNS_TABLE)}).scalar() is None:
                raise InputError(f"没有结果 (schema {schema} has no runs table: write results with "
                                 f"`geo-tenglong run --out {target.text}?schema={schema}`)", target.text, where)
            row = conn.execute(text(f"SELECT run_id, tables, document FROM {ident(schema, RUNS_TABLE)} "
                                    "WHERE tables IS NOT NULL ORDER BY finished DESC NULLS LAST LIMIT 1")).first()
            if row is None:
                raise InputError("没有结果 (the runs table records no results)", target.text, where)
            run_id, tables, document = row
            geoms = dict(conn.execute(text("SELECT f_table_name, f_geometry_column FROM geometry_columns "
                                           "WHERE f_table_schema = :s"), {"s": schema}).all())
            frames = {}
            for name in tables:
                where = f"table {schema}.{name}"
                sql = f"SELECT * FROM {ident(schema, name)} ORDER BY fid"
                if name in geoms:
                    frame = gpd.read_postgis(text(sql), conn, geom_col=geoms[name])
                else:
                    frame = pd.read_sql(text(sql), conn)
                frames[name] = frame.drop(columns="fid").reset_index(drop=True)
    except GeoTenglongError:
        raise
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy / psycopg2 errors, one line for the user
        raise db_error(exc, target, where, "读取") from None
    finally:
        engine.dispose()
    if "parcels" not in frames or "findings" not in frames:
        raise InputError(f"run {run_id} wrote no parcels or findings table", target.text, f"schema {schema}")
    doc = document if isinstance(document, dict) else json.loads(document or "{}")
    parcels = frames.pop("parcels")
    findings = concat_findings([pd.DataFrame(frames.pop("findings"))])
    return Results(info=doc.get("info", {}), parcels=parcels, findings=findings, layers=frames,
                   metrics=doc.get("metrics", {}), summary=doc.get("summary", {}))
