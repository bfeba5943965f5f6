"""PostGIS as a workspace source and a results target (issue 18), against a real server.

The session's throwaway cluster comes from tests/pg_cluster.py. The bundled sample is loaded into
it once (layers with geopandas' ``to_postgis``, tables column by column as a bureau's database
would type them), and a workspace pointing at those tables must give exactly the findings of the
file workspace.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from geo_tenglong.cli import main
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


def _target(cluster, schema: str):
    from geo_tenglong.io.db.url import parse_db_url

    return parse_db_url(f"{cluster.url()}?schema={schema}")


def test_results_written_in_one_schema_with_keys_indexes_and_runs(pg_cluster, db_results):
    from geo_tenglong.io.db.results import read_results
    from geo_tenglong.io.db.write import read_runs, write_results

    ws, results = db_results
    results.info["run_id"] = "20230630T120000-aaaa0001"
    started = dt.datetime(2023, 6, 30, 12, 0, tzinfo=dt.UTC)
    written = write_results(results, _target(pg_cluster, "t_keys"), started=started, fingerprint="sha256:x")
    names = ["parcels", "findings", *results.layers]
    assert written == [f"t_keys.{n}" for n in names] + ["t_keys.runs"]
    tables = set(pg_cluster.psql("SELECT table_name FROM information_schema.tables WHERE table_schema = 't_keys'")
                 .splitlines())
    assert tables == {*names, "runs"}
    assert pg_cluster.psql("SELECT nspname FROM pg_namespace WHERE nspname LIKE 't_keys__%'") == ""
    pkeys = pg_cluster.psql("SELECT tc.table_name, kcu.column_name FROM information_schema.table_constraints tc "
                            "JOIN information_schema.key_column_usage kcu USING (constraint_schema, constraint_name) "
                            "WHERE tc.table_schema = 't_keys' AND tc.constraint_type = 'PRIMARY KEY'").splitlines()
    assert sorted(pkeys) == sorted([f"{n}|fid" for n in names] + ["runs|run_id"])
    geo_tables = {n for n, layer in [("parcels", results.parcels), *results.layers.items()]
                  if hasattr(layer, "geometry")}
    gist = pg_cluster.psql("SELECT tablename FROM pg_indexes WHERE schemaname = 't_keys' "
                           "AND indexdef ILIKE '%USING gist%'").splitlines()
    assert sorted(gist) == sorted(geo_tables) and "parcels" in gist
    srids = set(pg_cluster.psql("SELECT DISTINCT srid FROM geometry_columns WHERE f_table_schema = 't_keys'").split())
    assert srids == {"4528"}
    assert pg_cluster.psql("SELECT count(*) FROM t_keys.findings") == str(len(results.findings))
    runs = read_runs(_target(pg_cluster, "t_keys"))
    assert runs["run_id"].tolist() == ["20230630T120000-aaaa0001"]
    row = runs.iloc[0]
    assert (row["county"], row["ruleset"], str(row["as_of"])) == ("天台县", "tiantai-2022", "2023-06-30")
    assert row["started"] == started and row["finished"] >= started and row["fingerprint"] == "sha256:x"
    back = read_results(_target(pg_cluster, "t_keys"))
    assert back.info["run_id"] == "20230630T120000-aaaa0001" and back.metrics == pytest.approx(results.metrics)
    pd.testing.assert_frame_equal(_sorted(back.findings), _sorted(results.findings))
    assert set(back.layers) == set(results.layers)
    assert back.parcels.crs.to_epsg() == 4528 and len(back.parcels) == len(results.parcels)


def test_a_fault_mid_write_leaves_the_previous_results(pg_cluster, db_results, monkeypatch):
    from geo_tenglong.io.db import write
    from geo_tenglong.io.db.results import read_results

    ws, results = db_results
    target = _target(pg_cluster, "t_fault")
    results.info["run_id"] = "20230630T120000-aaaa0002"
    started = dt.datetime.now().astimezone()
    write.write_results(results, target, started=started, fingerprint="sha256:first")
    before = pg_cluster.psql("SELECT count(*), sum(fid) FROM t_fault.findings")
    calls = []
    real = write.write_table

    def failing(conn, schema, name, frame, key_columns=()):
        calls.append(name)
        if len(calls) == 3:  # after parcels and findings are in the staging schema
            raise OSError(28, "No space left on device")
        real(conn, schema, name, frame, key_columns)

    monkeypatch.setattr(write, "write_table", failing)
    second = dataclasses_replace(results, run_id="20230630T130000-bbbb0003")
    with pytest.raises(InputError, match=r"^postgresql://postgres@127\.0\.0\.1:\d+/gis, table t_fault\.\w+: "
                                         r"数据库写入结果失败 \(.*No space left on device"):
        write.write_results(second, target, started=started, fingerprint="sha256:second")
    assert len(calls) == 3
    assert pg_cluster.psql("SELECT run_id FROM t_fault.runs") == "20230630T120000-aaaa0002"
    assert pg_cluster.psql("SELECT count(*), sum(fid) FROM t_fault.findings") == before
    assert pg_cluster.psql("SELECT nspname FROM pg_namespace WHERE nspname LIKE 't_fault%' ORDER BY 1") == "t_fault"
    assert read_results(target).info["run_id"] == "20230630T120000-aaaa0002"
    monkeypatch.setattr(write, "write_table", real)
    write.write_results(second, target, started=started, fingerprint="sha256:second")
    assert pg_cluster.psql("SELECT run_id FROM t_fault.runs ORDER BY finished").splitlines() == [
        "20230630T120000-aaaa0002", "20230630T130000-bbbb0003"]
    assert read_results(target).info["run_id"] == "20230630T130000-bbbb0003"


def dataclasses_replace(results, run_id: str):
    """A shallow copy of results with another run id (the session's results stay as they were)."""
    import dataclasses

    return dataclasses.replace(results, info={**results.info, "run_id": run_id})


# ------------------------------------------------------------------------------ the commands


#: The server, database and workspace the README's PostGIS section names, replaced by the test's.
README_DB = "postgresql://gis@db.bureau.local:5432/cadastre"
README_WORKSPACE = "县库工作空间"


def readme_section() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return text.split("## 共享数据库 PostGIS", 1)[1].split("\n## ", 1)[0]


def readme_db_commands(cluster, workspace: Path) -> dict[str, list[str]]:
    """The ``geo-tenglong`` lines of the README's PostGIS section, by command, on the test's server."""
    block = re.search(r"```sh\n(.*?)```", readme_section(), re.S).group(1)
    commands = {}
    for line in block.splitlines():
        args = shlex.split(line, comments=True)
        if args and args[0] == "geo-tenglong":
            commands[args[1]] = [a.replace(README_DB, cluster.url()).replace(README_WORKSPACE, str(workspace))
                                 for a in args[1:]]
    return commands


def test_the_readme_workspace_entries_are_valid(tmp_path):
    from geo_tenglong.io.db.read import db_source

    block = re.search(r"```toml\n(.*?)```", readme_section(), re.S).group(1)
    cfg = tomllib.loads(block)
    entries = [(f"{kind}.{name}", e) for kind in ("layers", "tables") for name, e in cfg[kind].items()]
    assert len(entries) == 3
    for key, entry in entries:
        src = db_source(entry, key, tmp_path / "workspace.toml")
        assert src.db.text == README_DB and (src.table or src.sql)


@pytest.fixture(scope="session")
def db_run(pg_cluster, sample_db, tmp_path_factory):
    """The README's ``geo-tenglong run … --out postgresql://…?schema=tenglong --files out``, once, in a scratch folder."""
    base = tmp_path_factory.mktemp("db_run")
    commands = readme_db_commands(pg_cluster, sample_db)
    args = commands["run"]
    url = args[args.index("--out") + 1]
    assert url == f"{pg_cluster.url()}?schema=tenglong"
    cwd = os.getcwd()
    os.chdir(base)
    try:
        r = CliRunner().invoke(main, args, env={"GEO_TENGLONG_CHROMIUM": "none", "CI": "1"})
    finally:
        os.chdir(cwd)
    assert r.exit_code == 0, (r.output, r.stderr)
    return base, url, r, commands


def test_run_out_postgresql_writes_the_schema_and_the_files(pg_cluster, db_run, db_results):
    from geo_tenglong.io.db.fingerprint import inputs_fingerprint

    base, url, r, _ = db_run
    ws, results = db_results
    assert "wrote" in r.stdout and "?schema=tenglong" in r.stdout
    files = {p.name for p in (base / "out").iterdir()}
    assert "summary.json" in files and "results.gpkg" not in files and "腾笼换鸟.qgz" not in files
    assert any(n.endswith(".xlsx") for n in files) and (base / "maps" / "briefing.html").is_file()
    run_id, county, ruleset, as_of, fingerprint = pg_cluster.psql(
        "SELECT run_id, county, ruleset, as_of, fingerprint FROM tenglong.runs").split("|")
    assert (county, ruleset, as_of) == ("天台县", "tiantai-2022", "2023-06-30")
    assert fingerprint == inputs_fingerprint(ws)
    assert pg_cluster.psql("SELECT obj_description('tenglong.parcels'::regclass)") == f"宗地 — geo-tenglong run {run_id}"
    comments = dict(line.split("|", 1) for line in pg_cluster.psql(
        "SELECT a.attname, col_description(a.attrelid, a.attnum) FROM pg_attribute a "
        "WHERE a.attrelid = 'tenglong.findings'::regclass AND a.attnum > 0").splitlines())
    from geo_tenglong import results_schema

    status = results_schema.table_schema("findings").field("status")
    assert comments["status"].startswith(status.label) and "fail=不符合" in comments["status"]
    assert comments["fid"] == ""
    summary = (base / "out" / "summary.json").read_text(encoding="utf-8")
    assert run_id in summary
    db_findings = pd.read_sql("SELECT * FROM tenglong.findings", _engine(pg_cluster)).drop(columns="fid")
    assert len(db_findings) == len(results.findings)
    assert (db_findings.groupby(["rule_id", "status"]).size().to_dict()
            == results.findings.groupby(["rule_id", "status"]).size().to_dict())


def test_the_fingerprint_follows_the_rows(pg_cluster, sample_db):
    from geo_tenglong.io.db.fingerprint import inputs_fingerprint
    from geo_tenglong.workspace import load_workspace

    first = inputs_fingerprint(load_workspace(sample_db))
    assert first == inputs_fingerprint(load_workspace(sample_db))
    pg_cluster.psql("CREATE TABLE sample.land_supply_copy AS TABLE sample.land_supply; "
                    "UPDATE sample.land_supply SET \"供地面积(亩)\" = '841.0' WHERE \"供地面积(亩)\" = '840.0'")
    try:
        assert inputs_fingerprint(load_workspace(sample_db)) != first
    finally:
        pg_cluster.psql("DROP TABLE sample.land_supply; ALTER TABLE sample.land_supply_copy RENAME TO land_supply")


def test_map_and_report_read_the_results_from_the_database(db_run, db_results, tmp_path, monkeypatch):
    """The README's map and report lines, then a report of another flagged parcel from the same URL."""
    base, url, _, commands = db_run
    ws, results = db_results
    monkeypatch.chdir(tmp_path)
    env = {"GEO_TENGLONG_CHROMIUM": "none", "CI": "1"}
    assert url in commands["map"] and url in commands["report"]
    for name in ("map", "report"):
        r = CliRunner().invoke(main, commands[name], env=env)
        assert r.exit_code == 0, (name, r.stderr)
    html = (tmp_path / "maps" / "briefing.html").read_text(encoding="utf-8")
    readme_pid = commands["report"][1]
    assert readme_pid in html and (tmp_path / "out" / "reports" / f"{readme_pid}.html").is_file()
    fails = results.findings[results.findings["status"] == "fail"]
    pid = fails["parcel_id"].iloc[0]
    r = CliRunner().invoke(main, ["report", pid, "-r", url, "--no-pdf", "-o", str(tmp_path / "rep"), "-q"], env=env)
    assert r.exit_code == 0, r.stderr
    page = (tmp_path / "rep" / f"{pid}.html").read_text(encoding="utf-8")
    assert pid in page and fails.loc[fails["parcel_id"] == pid, "rule_id"].iloc[0] in page


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _db_workspace(root: Path, url: str, table: str = "sample.parcels") -> Path:
    root.mkdir()
    (root / "workspace.toml").write_text(
        f'[workspace]\ncounty = "天台县"\nadmin_code = "331023"\nruleset = "tiantai-2022"\nas_of = 2023-06-30\n'
        f'crs = "EPSG:4528"\n\n[layers]\nparcels = {{ db = "{url}", table = "{table}" }}\n', encoding="utf-8")
    return root


def _one_line(r) -> str:
    assert r.exit_code == 2, (r.exit_code, r.output, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    return lines[0]


@pytest.fixture(scope="session")
def odd_tables(pg_cluster, sample_db):
    """A copy of the parcels whose geometries have SRID 0."""
    pg_cluster.psql("CREATE TABLE sample.no_srid AS SELECT * FROM sample.parcels; "
                    "ALTER TABLE sample.no_srid ALTER COLUMN geometry TYPE geometry USING ST_SetSRID(geometry, 0)")


@pytest.mark.parametrize("case", ["unreachable", "wrong_password", "no_password", "missing_table", "no_geometry",
                                  "no_srid", "password_in_url", "password_in_out_url", "unreachable_out"])
def test_bad_database_input_is_one_line_naming_connection_and_table(pg_cluster, odd_tables, tmp_path,
                                                                    monkeypatch, case):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-pgpass"))
    monkeypatch.setenv("PGCONNECT_TIMEOUT", "3")
    port = pg_cluster.port
    url, table, out = pg_cluster.url(), "sample.parcels", str(tmp_path / "out")
    expect = {"unreachable": "无法连接数据库服务器", "wrong_password": "数据库认证失败",
              "no_password": "数据库认证失败", "missing_table": "表不存在", "no_geometry": "没有几何字段",
              "no_srid": "没有坐标系", "password_in_url": "不能写密码", "password_in_out_url": "不能写密码",
              "unreachable_out": "无法连接数据库服务器"}[case]
    if case == "unreachable":
        url = f"postgresql://postgres@127.0.0.1:{_free_port()}/gis"
    elif case == "wrong_password":
        url = pg_cluster.url("secret_user")
        monkeypatch.setenv("PGPASSWORD", "not-the-password")
    elif case == "no_password":
        url = pg_cluster.url("secret_user")
    elif case == "missing_table":
        table = "sample.no_such_table"
    elif case == "no_geometry":
        table = "sample.tenancy"
    elif case == "no_srid":
        table = "sample.no_srid"
    elif case == "password_in_url":
        url = f"postgresql://postgres:hunter2@127.0.0.1:{port}/gis"
    elif case == "password_in_out_url":
        out = f"postgresql://postgres:hunter2@127.0.0.1:{port}/gis?schema=tl_bad"
    elif case == "unreachable_out":
        out = f"postgresql://postgres@127.0.0.1:{_free_port()}/gis?schema=tl_bad"
    ws = _db_workspace(tmp_path / "ws", url, table)
    to_db = case in ("password_in_out_url", "unreachable_out")
    files = ["--files", str(tmp_path / "f")] if to_db else []
    line = _one_line(CliRunner().invoke(main, ["run", str(ws), "--out", out, *files, "-q", "--allow-incomplete"]))
    line = line.removeprefix("geo-tenglong: error: ")
    assert expect in line, line
    assert "hunter2" not in line and "not-the-password" not in line
    if to_db:
        assert line.startswith(re.sub(r":hunter2@", ":***@", out.split("?")[0])), line
    else:
        assert line.startswith(re.sub(r":hunter2@", ":***@", url)), line
        if case != "password_in_url":
            assert f"table {table}" in line, line
    assert not (tmp_path / "f").exists() and not (tmp_path / "out").exists()


def test_the_password_comes_from_pgpassword_or_pgpass(pg_cluster, tmp_path, monkeypatch):
    from pg_cluster import SECRET

    from geo_tenglong.io.db.read import db_source, read_db_layer

    monkeypatch.delenv("PGPASSWORD", raising=False)
    src = db_source({"db": pg_cluster.url("secret_user"), "table": "sample.parcels"}, "layers.parcels",
                    tmp_path / "workspace.toml")
    pg_cluster.psql("GRANT USAGE ON SCHEMA sample TO secret_user; GRANT SELECT ON sample.parcels TO secret_user")
    monkeypatch.setenv("PGPASSWORD", SECRET)
    gdf, _ = read_db_layer(src)
    assert len(gdf) > 1000 and gdf.crs.to_epsg() == 4528
    monkeypatch.delenv("PGPASSWORD")
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{pg_cluster.port}:gis:secret_user:{SECRET}\n", encoding="utf-8")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    assert len(read_db_layer(src)[0]) == len(gdf)


def test_a_query_source_and_bad_entries(pg_cluster, sample_db, tmp_path):
    from geo_tenglong.io.db.read import db_source, read_db_layer

    cfg = tmp_path / "workspace.toml"
    query = "SELECT * FROM sample.parcels WHERE ST_Area(geometry) > 2000 AND 'a%' LIKE 'a%'"  # a bare % is no parameter
    gdf, _ = read_db_layer(db_source({"db": pg_cluster.url(), "sql": query}, "layers.parcels", cfg))
    total = int(pg_cluster.psql(f"SELECT count(*) FROM ({query}) q"))
    assert len(gdf) == total > 0 and gdf.crs.to_epsg() == 4528
    for entry, message in [({"db": pg_cluster.url()}, "names a table"),
                           ({"db": pg_cluster.url(), "table": "a.b", "sql": "select 1"}, "names a table"),
                           ({"db": pg_cluster.url(), "table": "a.b", "layer": "x"}, "unknown key 'layer'"),
                           ({"db": f"{pg_cluster.url()}?schema=x", "table": "a.b"}, "not ?schema=")]:
        with pytest.raises(InputError, match=re.escape(message)):
            db_source(entry, "layers.parcels", cfg)


_KILLED_WRITER = """
import datetime as dt, sys, time
from geo_tenglong.io.db import write
from geo_tenglong.io.db.results import read_results
from geo_tenglong.io.db.url import parse_db_url

target = parse_db_url(sys.argv[1])
results = read_results(target)
results.info["run_id"] = "20230630T140000-dead0004"
real, done = write.write_table, []

def paused(*args, **kwargs):
    real(*args, **kwargs)
    done.append(args[2])
    if len(done) == 2:  # parcels and findings staged: say so, and wait to be killed
        open(sys.argv[2], "w").close()
        time.sleep(600)

write.write_table = paused
write.write_results(results, target, started=dt.datetime.now().astimezone(), fingerprint="sha256:killed")
"""


def test_a_killed_writer_leaves_the_previous_results_readable_and_whole(pg_cluster, db_results, tmp_path):
    import signal
    import sys
    import time

    from geo_tenglong.io.db import write
    from geo_tenglong.io.db.results import read_results

    _, results = db_results
    target = _target(pg_cluster, "t_kill")
    write.write_results(dataclasses_replace(results, "20230630T120000-aaaa0005"), target,
                        started=dt.datetime.now().astimezone(), fingerprint="sha256:first")
    before = pg_cluster.psql("SELECT count(*), sum(fid) FROM t_kill.findings")
    flag = tmp_path / "staged"
    child = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, target.label, str(flag)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not flag.exists():
            assert child.poll() is None, child.communicate()[1].decode()[-2000:]
            assert time.monotonic() < deadline, "the writer never staged two tables"
            time.sleep(0.2)
        # mid-write: readers get the previous run, whole
        assert read_results(target).info["run_id"] == "20230630T120000-aaaa0005"
        assert pg_cluster.psql("SELECT count(*), sum(fid) FROM t_kill.findings") == before
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate()
    deadline = time.monotonic() + 30
    while pg_cluster.psql("SELECT count(*) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%'") != "0":
        assert time.monotonic() < deadline, "the killed writer's transaction was never rolled back"
        time.sleep(0.2)
    assert pg_cluster.psql("SELECT nspname FROM pg_namespace WHERE nspname LIKE 't_kill%' ORDER BY 1") == "t_kill"
    assert pg_cluster.psql("SELECT run_id FROM t_kill.runs") == "20230630T120000-aaaa0005"
    assert pg_cluster.psql("SELECT count(*), sum(fid) FROM t_kill.findings") == before


def test_inspect_names_the_database_tables(sample_db, pg_cluster):
    r = CliRunner().invoke(main, ["inspect", str(sample_db), "--json"])
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    shown = {s["name"]: s for s in doc["sources"]}
    assert shown["parcels"]["path"] == f"{pg_cluster.url()} table sample.parcels"
    assert shown["enterprises"]["rows"] > 1000 and shown["enterprises"]["mapping"]["统一社会信用代码"] == "uscc"


@pytest.mark.skipif(shutil.which("ogr2ogr") is None, reason="ogr2ogr (Debian gdal-bin) is not installed")
def test_the_sample_loaded_with_ogr2ogr_gives_the_file_findings(pg_cluster, sample_dir, sample_results, tmp_path):
    """As a bureau (or a reviewer) loads files: ogr2ogr's PostgreSQL driver, its ogc_fid keys, wkb_geometry
    columns, laundered names, CSV columns as text and xlsx columns typed by GDAL."""
    from geo_tenglong.pipeline import analyse
    from geo_tenglong.workspace import load_workspace

    cfg = tomllib.loads((sample_dir / "workspace.toml").read_text(encoding="utf-8"))
    pg = f"PG:host=127.0.0.1 port={pg_cluster.port} user=postgres dbname=gis"
    pg_cluster.psql("CREATE SCHEMA ogr")
    url = pg_cluster.url()
    lines = ["[workspace]"] + [f"{k} = {v!r}" if isinstance(v, str) else f"{k} = {v}"
                               for k, v in cfg["workspace"].items()]
    for kind in ("layers", "tables"):
        lines.append(f"[{kind}]")
        for name, entry in cfg[kind].items():
            src = {"path": entry} if isinstance(entry, str) else entry
            args = ["ogr2ogr", "-f", "PostgreSQL", pg, str(sample_dir / src["path"]), *([src["layer"]] if "layer" in src
                                                                                       else []),
                    "-lco", "SCHEMA=ogr", "-nln", name, "-nlt", "PROMOTE_TO_MULTI"]
            proc = subprocess.run(args, capture_output=True, text=True, check=False)
            assert proc.returncode == 0, proc.stderr
            lines.append(f'{name} = {{ db = "{url}", table = "ogr.{name}" }}')
    rasters = ", ".join(f'{{ path = "{(sample_dir / r["path"]).as_posix()}", date = {r["date"]} }}'
                        for r in cfg["rasters"]["landcover"])
    lines += [f"[rasters]\nlandcover = [ {rasters} ]", f'[coords]\nfolder = "{(sample_dir / "jzd").as_posix()}"']
    (tmp_path / "workspace.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert "wkb_geometry" in pg_cluster.psql("SELECT f_geometry_column FROM geometry_columns "
                                             "WHERE f_table_schema = 'ogr'")
    results = analyse(load_workspace(tmp_path))
    pd.testing.assert_frame_equal(_sorted(results.findings), _sorted(sample_results.findings))
