"""Faults against a real ``geo-tenglong run`` (issue 15.5): each leaves the previous result whole.

The child runs the installed command; a ``sitecustomize`` on its PYTHONPATH (written below, not
library code) pauses it inside one output phase — after ``results.gpkg``'s first layer, or after a
writer of :data:`geo_tenglong.pipeline.OUTPUTS` has written its files into the staging tree — and
tells the test, which then kills it with SIGKILL, or lets it go on. Read-only and full output folders
are real filesystems (a read-only bind mount, a read-only or tiny tmpfs), which needs root; those
tests skip elsewhere (tests/test_run_atomic.py and tests/test_bad_input.py patch the writes instead).

Every test compares sha256 of every file of the previous ``out/`` and ``maps/`` before and after,
and looks for staging trees, ``.old-`` folders, atomic temp files and lock sidecars left behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner

from geo_tenglong import pipeline
from geo_tenglong.cli import main
from geo_tenglong.io.staging import MANIFEST, STAGING_PREFIX
from geo_tenglong.results import run_id_of

from conftest import REPO, ZONE40, box, write_workspace

IDS = [f"331023101001GB0000{i}" for i in range(1, 4)]
PHASES = ["results"] + [name for name, _label, _spec in pipeline.OUTPUTS]

_HOOK = '''
"""Fault-test hook: pause a geo-tenglong run in the output phase GT_FAULT_PHASE (see tests/test_faults.py)."""
import os

_phase = os.environ.get("GT_FAULT_PHASE")
if _phase:
    import time
    from pathlib import Path

    def _pause():
        Path(os.environ["GT_FAULT_READY"]).write_text(str(os.getpid()))
        go = Path(os.environ["GT_FAULT_GO"])
        deadline = time.monotonic() + 120
        while not go.exists() and time.monotonic() < deadline:
            time.sleep(0.02)

    if _phase == "results":
        import geo_tenglong.results as _results

        _real_layer = _results._write_layer

        def _write_layer(layer, path, name, **kw):
            _real_layer(layer, path, name, **kw)
            if name == "parcels":  # results.gpkg is half written
                _pause()

        _results._write_layer = _write_layer
    else:
        import geo_tenglong.pipeline as _pipeline

        def _paused(real):
            def writer(*args, **kw):
                written = real(*args, **kw)  # its files are in the staging tree
                _pause()
                return written
            return writer

        _pipeline.OUTPUTS[:] = [(n, label, _paused(_pipeline.output_writer(spec)) if n == _phase else spec)
                                for n, label, spec in _pipeline.OUTPUTS]
'''

#: io.atomic temp files (``.<stem>.<8 chars><suffix>``) and SQLite side files.
_TEMP = re.compile(r"^\.[^/]+\.[a-z0-9_]{8}(\.[A-Za-z0-9]+)?(-journal|-wal|-shm)?$")


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.setenv("GEO_TENGLONG_CHROMIUM", "none")
    monkeypatch.setenv("CI", "1")


@pytest.fixture(scope="module")
def prev(tmp_path_factory):
    """A tiny workspace and one complete previous result (``out/``, ``maps/``) made by the CLI."""
    root = tmp_path_factory.mktemp("faults")
    parcels = gpd.GeoDataFrame({"parcel_id": IDS, "owner_uscc": ["91331023MA2AAAAA0X", None, None],
                                "land_use_code": ["1001"] * 3, "township": ["始丰街道"] * 3},
                               geometry=[box(i * 100, 0, i * 100 + 100, 100) for i in range(3)], crs=ZONE40)
    buildings = gpd.GeoDataFrame({"building_id": ["B1"], "floors": [2]}, geometry=[box(10, 10, 50, 50)], crs=ZONE40)
    ws = write_workspace(root / "ws", parcels, layers={"buildings": buildings})
    (root / "hook").mkdir()
    (root / "hook" / "sitecustomize.py").write_text(_HOOK, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GEO_TENGLONG_CHROMIUM", "none")
        mp.setenv("CI", "1")
        r = _run_in_process(ws, root / "prev", "-q")
    assert r.exit_code == 0, r.output
    assert len(list((root / "prev" / "out" / "reports").glob("*.html"))) == 4  # three parcels and the index
    return {"ws": ws, "prev": root / "prev", "hook": root / "hook"}


def _run_in_process(ws: Path, parent: Path, *extra: str):
    return CliRunner().invoke(main, ["run", str(ws), "-o", str(parent / "out"), "--maps", str(parent / "maps"),
                                     "--allow-incomplete", "--reports", "all", *extra])


def _command() -> list[str]:
    exe = shutil.which("geo-tenglong")
    return [exe] if exe else [sys.executable, "-m", "geo_tenglong"]


def _child(prev, parent: Path, phase: str | None, *extra: str) -> subprocess.Popen:
    """``geo-tenglong run`` into ``parent/out`` and ``parent/maps``, paused in ``phase`` (None: not paused)."""
    env = dict(os.environ, GEO_TENGLONG_CHROMIUM="none", CI="1")
    if phase is not None:
        env.update(GT_FAULT_PHASE=phase, GT_FAULT_READY=str(parent / "ready"), GT_FAULT_GO=str(parent / "go"),
                   PYTHONPATH=os.pathsep.join(filter(None, [str(prev["hook"]), os.environ.get("PYTHONPATH")])))
    return subprocess.Popen([*_command(), "run", str(prev["ws"]), "-o", str(parent / "out"), "--maps",
                             str(parent / "maps"), "-q", "--allow-incomplete", "--reports", "all", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=env,
                            start_new_session=True)


def _wait_paused(proc: subprocess.Popen, parent: Path, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not (parent / "ready").exists():
        if proc.poll() is not None:
            raise AssertionError(f"the run ended before pausing: {proc.returncode} {proc.communicate()}")
        assert time.monotonic() < deadline, "the run never reached the phase"
        time.sleep(0.05)


def _kill(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # the run and any worker it forked
    proc.communicate()


def _copy_prev(prev, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("out", "maps"):
        shutil.copytree(prev["prev"] / name, dest / name)


def _digest(parent: Path) -> dict[str, str]:
    """sha256 of every file under ``parent/out`` and ``parent/maps``."""
    return {p.relative_to(parent).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for name in ("out", "maps") for p in sorted((parent / name).rglob("*")) if p.is_file()}


def _leftovers(parent: Path) -> list[str]:
    """Staging trees, ``.old-`` folders, staged folders, atomic temp files and lock sidecars under ``parent``."""
    found = []
    for p in parent.rglob("*"):
        rel = p.relative_to(parent).as_posix()
        if (STAGING_PREFIX in rel or ".old-" in rel or ".staging-" in rel or _TEMP.match(p.name)
                or p.name.endswith(".lock.json")):
            found.append(rel)
    return found


def _run_ids(parent: Path) -> set[str | None]:
    """The run id every output of ``parent`` carries (one element when they all come from one run)."""
    from openpyxl import load_workbook

    out, maps = parent / "out", parent / "maps"
    meta = re.compile(r'<meta name="geo-tenglong-run-id" content="([^"]+)">')
    ids = {json.loads((out / "summary.json").read_text(encoding="utf-8"))["info"]["run_id"],
           run_id_of(out / "results.gpkg"),
           json.loads((out / MANIFEST).read_text(encoding="utf-8"))["run_id"],
           json.loads((maps / MANIFEST).read_text(encoding="utf-8"))["run_id"]}
    for html in (maps / "briefing.html", out / "一页纸汇报.html", *sorted((out / "reports").glob("*.html"))):
        found = meta.search(html.read_text(encoding="utf-8"))
        ids.add(found.group(1) if found else None)
    book = load_workbook(next(out.glob("*.xlsx")))
    ids.add({p.name: p.value for p in book.custom_doc_props.props}.get("run_id"))
    return ids


# ------------------------------------------------------------------------------------------- kill -9


@pytest.mark.parametrize("phase", PHASES)
def test_kill_9_in_each_output_phase_keeps_the_previous_result(prev, tmp_path, phase):
    _copy_prev(prev, tmp_path)
    before = _digest(tmp_path)
    proc = _child(prev, tmp_path, phase)
    try:
        _wait_paused(proc, tmp_path)
        assert _leftovers(tmp_path)  # the half-written run is in its staging tree, not in out/ or maps/
    finally:
        _kill(proc)
    assert _digest(tmp_path) == before

    # the next run cleans up after the dead one, says it took over its lock, and writes one whole result
    r = _run_in_process(prev["ws"], tmp_path)
    assert r.exit_code == 0, r.output
    taken = [ln for ln in r.stderr.splitlines() if "接管了已失效的锁" in ln]
    assert len(taken) == 1 and f"进程 {proc.pid}" in taken[0] and taken[0].startswith("geo-tenglong: 警告: ")
    assert not _leftovers(tmp_path)
    assert len(_run_ids(tmp_path)) == 1 and _run_ids(tmp_path) != _run_ids(prev["prev"])


# ------------------------------------------------------------------------------------------- two runs


def test_two_runs_into_one_folder_refuse_or_queue_and_the_result_is_one_run(prev, tmp_path):
    _copy_prev(prev, tmp_path)
    first = _child(prev, tmp_path, "workbook")
    queued = None
    try:
        _wait_paused(first, tmp_path)
        refused = _child(prev, tmp_path, None)
        _out, err = refused.communicate(timeout=240)
        assert refused.returncode == 2, err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and f"进程 {first.pid}" in lines[0] and "--wait" in lines[0], err
        queued = _child(prev, tmp_path, None, "--wait")
        time.sleep(1.0)
        assert queued.poll() is None  # waiting for the lock
        (tmp_path / "go").write_text("")
        assert first.wait(timeout=240) == 0, first.communicate()
        first_ids = _run_ids(tmp_path)
        assert len(first_ids) == 1
        assert queued.wait(timeout=240) == 0, queued.communicate()
    finally:
        for proc in (first, queued):
            if proc is not None and proc.poll() is None:
                _kill(proc)
    ids = _run_ids(tmp_path)
    assert len(ids) == 1 and ids != first_ids  # every output from the queued run, none mixed
    assert not _leftovers(tmp_path)


# ------------------------------------------------------------------------------- read-only, full disk


def _mount(*args: str) -> None:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a test filesystem needs root")
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a test filesystem here: {done.stderr.strip()}")


def _umount(path: Path) -> None:
    subprocess.run(["umount", str(path)], check=False, capture_output=True)


def _one_error_line(r) -> str:
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.exit_code == 2 and "Traceback" not in r.output, r.output
    assert len(lines) == 1 and lines[0].startswith("geo-tenglong: error: "), r.stderr
    assert STAGING_PREFIX not in lines[0] and ".staging-" not in lines[0]
    return lines[0]


def test_read_only_output_folder(prev, tmp_path):
    _copy_prev(prev, tmp_path)
    before = _digest(tmp_path)
    out = tmp_path / "out"
    _mount("--bind", str(out), str(out))
    try:
        _mount("-o", "remount,bind,ro", str(out))
        line = _one_error_line(_run_in_process(prev["ws"], tmp_path, "-q"))
        assert line == f"geo-tenglong: error: {out}: 输出目录只读或无写入权限 (read-only); 请换一个输出目录或修改权限"
    finally:
        _umount(out)
    assert _digest(tmp_path) == before
    assert not _leftovers(tmp_path)


def test_read_only_filesystem_holding_the_output_folders(prev, tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    _mount("-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk))
    try:
        _copy_prev(prev, disk)
        before = _digest(disk)
        _mount("-o", "remount,ro", str(disk))
        line = _one_error_line(_run_in_process(prev["ws"], disk, "-q"))
        assert str(disk) in line and "Read-only file system" in line
        assert _digest(disk) == before
        assert not _leftovers(disk)
    finally:
        _umount(disk)


def test_full_output_filesystem(prev, tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    used = sum(p.stat().st_size for name in ("out", "maps") for p in (prev["prev"] / name).rglob("*") if p.is_file())
    _mount("-t", "tmpfs", "-o", f"size={used + 200 * 1024}", "tmpfs", str(disk))  # room for a lock, not a result
    try:
        _copy_prev(prev, disk)
        before = _digest(disk)
        line = _one_error_line(_run_in_process(prev["ws"], disk, "-q"))
        assert str(disk) in line
        assert "No space left on device" in line or "磁盘空间不足" in line, line
        assert _digest(disk) == before
        assert not _leftovers(disk)
    finally:
        _umount(disk)
