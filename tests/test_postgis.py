"""PostGIS as a workspace source and a results target (issue 18), against a real server.

The session's throwaway cluster comes from tests/pg_cluster.py. The bundled sample is loaded into
it once (layers with geopandas' ``to_postgis``, tables column by column as a bureau's database
would type them), and a workspace pointing at those tables must give exactly the findings of the
file workspace.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from geo_tenglong.errors import InputError
from geo_tenglong.io.layers import read_layer

REPO = Path(__file__).resolve().parents[1]


def _engine(cluster, user: str = "postgres"):
    from sqlalchemy import create_engine

    return create_engine(cluster.url(user).replace("postgresql://", "postgresql+psycopg2://"))


def _typed(values: pd.Series) -> pd.Series:
    """A column as a database would hold it: numbers, timestamps or text; a mixed column as text."""
    present = values.dropna()
    if present.empty:
        return values.astype(object).where(values.notna(), None)
    kinds = {type(v) for v in present}
    if kinds <= {int, float}:
        return pd.to_numeric(values)
    if kinds <= {dt.datetime, pd.Timestamp}:
        return pd.to_datetime(values)
    return values.map(lambda v: None if v is None or (isinstance(v, float) and pd.isna(v)) else str(v))


def _table_frame(path: Path) -> pd.DataFrame:
    if path.suffix.lower() == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame = pd.read_excel(path, dtype=object, engine="openpyxl")
    return frame.apply(_typed)


@pytest.fixture(scope="session")
def sample_db(pg_cluster, sample_dir, tmp_path_factory):
    """The sample county loaded into schema ``sample`` once, and a workspace folder reading it from there.

    Rasters and the 界址点 folder stay files (absolute paths): a database holds vectors and tables.
    """
    cfg = tomllib.loads((sample_dir / "workspace.toml").read_text(encoding="utf-8"))
    engine = _engine(pg_cluster)
    url = pg_cluster.url()
    lines = ["[workspace]"] + [f"{k} = {v!r}" if isinstance(v, str) else f"{k} = {v}"
                               for k, v in cfg["workspace"].items()]
    lines.append("\n[layers]")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE SCHEMA sample")
    for name, entry in cfg["layers"].items():
        src = {"path": entry} if isinstance(entry, str) else entry
        gdf = read_layer(sample_dir / src["path"], layer=src.get("layer"))
        gdf.to_postgis(name, engine, schema="sample", index=False)
        lines.append(f'{name} = {{ db = "{url}", table = "sample.{name}" }}')
    lines.append("\n[tables]")
    for name, entry in cfg["tables"].items():
        frame = _table_frame(sample_dir / entry)
        frame.to_sql(name, engine, schema="sample", index=False)
        lines.append(f'{name} = {{ db = "{url}", table = "sample.{name}" }}')
    engine.dispose()
    lines.append("\n[rasters]")
    rasters = ", ".join(f'{{ path = "{(sample_dir / r["path"]).as_posix()}", date = {r["date"]} }}'
                        for r in cfg["rasters"]["landcover"])
    lines.append(f"landcover = [ {rasters} ]")
    lines.append(f'\n[coords]\nfolder = "{(sample_dir / cfg["coords"]["folder"]).as_posix()}"\n')
    root = tmp_path_factory.mktemp("db_workspace")
    (root / "workspace.toml").write_text("\n".join(lines), encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def db_results(sample_db):
    from geo_tenglong.pipeline import analyse
    from geo_tenglong.workspace import load_workspace

    ws = load_workspace(sample_db)
    return ws, analyse(ws)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in a canonical order; datetimes in one unit (GDAL gives ms, libpq µs: the same instants)."""
    cols = sorted(frame.columns)
    frame = frame.assign(**{c: frame[c].astype("datetime64[us]") for c in cols
                            if pd.api.types.is_datetime64_any_dtype(frame[c])})
    text = frame[cols].astype(str)
    return frame[cols].iloc[text.sort_values(cols).index].reset_index(drop=True)


def test_the_sample_from_postgis_gives_the_file_findings(sample_results, db_results):
    ws, results = db_results
    assert ws.inputs == [sample_db_toml(ws)] + [r.path for r in ws.rasters["landcover"]]
    assert len(ws.db_inputs) == 17 and all(re.fullmatch("[0-9a-f]{64}", d) for d in ws.db_inputs.values())
    assert len(results.findings) == len(sample_results.findings) > 1000
    pd.testing.assert_frame_equal(_sorted(results.findings), _sorted(sample_results.findings))
    geo = results.parcels.geometry.name
    cols = [c for c in sample_results.parcels.columns if c != geo]
    assert sorted(results.parcels.columns) == sorted(sample_results.parcels.columns)
    pd.testing.assert_frame_equal(_sorted(results.parcels[cols]), _sorted(sample_results.parcels[cols]),
                                  check_dtype=False)
    assert results.parcels.geometry.geom_equals_exact(sample_results.parcels.geometry, 1e-6).all()


def sample_db_toml(ws) -> Path:
    return ws.root / "workspace.toml"
