"""A throwaway PostgreSQL + PostGIS cluster for the tests (one per session).

``pg_cluster`` runs Debian's ``initdb`` into a temp folder, starts the server on 127.0.0.1 on a
free port (no Unix socket outside the folder) with ``trust`` for the superuser ``postgres`` and
``scram-sha-256`` for the role ``secret_user`` (password :data:`SECRET`), creates the database
``gis`` with the postgis extension, and stops and deletes everything at the end of the session.
As root the server runs as the ``postgres`` user (or ``nobody``), since PostgreSQL refuses root.
The fixture skips, saying why, only when the PostgreSQL or PostGIS binaries are not installed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

SECRET = "s3cret-Pw"


@dataclasses.dataclass(frozen=True)
class Cluster:
    """A running server: ``url(user)`` → ``postgresql://user@127.0.0.1:port/gis``."""

    port: int
    data: Path

    def url(self, user: str = "postgres", db: str = "gis") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{db}"

    def psql(self, sql: str, db: str = "gis") -> str:
        """Run SQL as the superuser; the output, unaligned, tuples only."""
        import psycopg2

        con = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=db)
        con.autocommit = True
        try:
            with con.cursor() as cur:
                cur.execute(sql)
                rows = cur.fetchall() if cur.description else []
        finally:
            con.close()
        return "\n".join("|".join("" if v is None else str(v) for v in r) for r in rows)


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_user() -> list[str]:
    """Prefix running a command as an unprivileged user when we are root."""
    if os.geteuid() != 0:
        return []
    import pwd

    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        return ["runuser", "-u", user, "--"]
    pytest.skip("running as root with neither a postgres nor a nobody user to run the server as")


def _owner_uid() -> int | None:
    if os.geteuid() != 0:
        return None
    import pwd

    for user in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(user).pw_uid
        except KeyError:
            continue
    return None


@pytest.fixture(scope="session")
def pg_cluster():
    """A running PostgreSQL with PostGIS for the session (see the module docstring)."""
    bindir = _bin_dir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed (Debian: postgresql)")
    share = glob.glob("/usr/share/postgresql/*/extension/postgis.control")
    if not share and not glob.glob(str(bindir.parent / "share" / "extension" / "postgis.control")):
        pytest.skip("PostGIS is not installed (Debian: postgis)")
    hba = "host all secret_user 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 trust\n"
    setup = (f"CREATE EXTENSION postgis; CREATE ROLE secret_user LOGIN PASSWORD '{SECRET}'; "
             "GRANT ALL ON DATABASE gis TO secret_user; GRANT ALL ON SCHEMA public TO secret_user")
    with throwaway_cluster(bindir, hba=hba, setup=setup) as cluster:
        yield cluster


@contextlib.contextmanager
def throwaway_cluster(bindir: Path, conf: str = "", hba: str = "host all all 127.0.0.1/32 trust\n",
                      setup: str = "CREATE EXTENSION postgis", prefix: str = "geo-tenglong-pg-") -> Iterator[Cluster]:
    """Run a cluster in a new temp folder: initdb, ``conf`` appended to postgresql.conf, ``hba`` as
    pg_hba.conf, the database ``gis`` with ``setup`` run in it; stopped and deleted on exit.
    Used by the ``pg_cluster`` fixture and by scripts/bench_peers.py (with its own ``conf``)."""
    as_user = _as_user()
    root = Path(tempfile.mkdtemp(prefix=prefix))
    uid = _owner_uid()
    if uid is not None:
        os.chown(root, uid, -1)
    data, port = root / "data", _free_port()
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    env.pop("PGPASSWORD", None)

    def run(*args: str) -> None:
        proc = subprocess.run([*as_user, *args], capture_output=True, text=True, env=env, check=False, cwd=root)
        if proc.returncode:
            raise RuntimeError(f"{' '.join(args)} failed: {proc.stderr or proc.stdout}")

    started = False
    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--locale=C.UTF-8", "--no-sync")
        with open(data / "postgresql.conf", "a", encoding="utf-8") as f:
            f.write(f"listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{root}'\n"
                    "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n" + conf)
        (data / "pg_hba.conf").write_text(hba, encoding="utf-8")
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-w", "start")
        started = True
        cluster = Cluster(port=port, data=data)
        cluster.psql("CREATE DATABASE gis", db="postgres")
        cluster.psql(setup)
        yield cluster
    finally:
        if started:
            subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                           capture_output=True, env=env, check=False, cwd=root)
        shutil.rmtree(root, ignore_errors=True)
