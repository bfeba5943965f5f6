"""A run is a unit: outputs staged and swapped in whole, a lock on the output folder, run ids.

Fault tests of issue 15 (points 1, 2 and 5): a writer failing in each output phase, two runs at
once, a stale lock, kill -9 during the outputs and an unwritable output parent each leave the
previous result whole (sha256 of every file) and no temp files.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyogrio
import pytest
from click.testing import CliRunner

from geo_tenglong import pipeline
from geo_tenglong.cli import main
from geo_tenglong.io.runlock import LockBusy, lock_paths, output_lock, output_locks
from geo_tenglong.io.staging import MANIFEST, STAGING_PREFIX, clean_leftovers, staged_outputs
from geo_tenglong.results import run_id_of
from geo_tenglong.workspace import load_workspace

from conftest import REPO, box, write_workspace

IDS = [f"331023101001GB0000{i}" for i in range(1, 4)]


@pytest.fixture(autouse=True)
def _no_chromium(monkeypatch):
    monkeypatch.setenv("GEO_TENGLONG_CHROMIUM", "none")
    monkeypatch.setenv("CI", "1")


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A tiny workspace, its analysis, and one complete previous result (out/ and maps/)."""
    import geopandas as gpd

    root = tmp_path_factory.mktemp("atomic")
    mp = pytest.MonkeyPatch()
    mp.setenv("GEO_TENGLONG_CHROMIUM", "none")  # module scope: before the autouse fixture
    mp.setenv("CI", "1")
    parcels = gpd.GeoDataFrame({"parcel_id": IDS, "owner_uscc": ["91331023MA2AAAAA0X", None, None],
                                "township": ["始丰街道"] * 3},
                               geometry=[box(i * 100, 0, i * 100 + 100, 100) for i in range(3)], crs=4528)
    ws_dir = write_workspace(root / "ws", parcels)
    ws = load_workspace(ws_dir)
    results = pipeline.analyse(ws)
    results.info["run_id"] = "previous-run"
    prev = root / "prev"
    with output_locks(prev / "out", prev / "maps"):
        pipeline.write_outputs(results, ws, prev / "out", prev / "maps")
    mp.undo()
    return {"ws_dir": ws_dir, "ws": ws, "results": results, "prev": prev}


def _copy_prev(base, dest: Path) -> tuple[Path, Path]:
    shutil.copytree(base["prev"], dest, dirs_exist_ok=True)
    return dest / "out", dest / "maps"


def _digest(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` by relative path."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _outputs_digest(parent: Path) -> dict[str, str]:
    """sha256 of every file in ``parent/out`` and ``parent/maps``."""
    return {f"{name}/{k}": v for name in ("out", "maps") for k, v in _digest(parent / name).items()}


def _leftovers(parent: Path) -> list[str]:
    """Staging trees, old-aside folders and atomic temp files anywhere under ``parent``."""
    names = [p.relative_to(parent).as_posix() for p in parent.rglob("*")]
    return [n for n in names if STAGING_PREFIX in n or ".old-" in n or "/.results." in n or n.startswith(".results.")]


def _fresh(base):
    """A copy of the analysed results with a new run id (the writers add keys to info)."""
    import copy

    res = copy.copy(base["results"])
    res.info = dict(base["results"].info, run_id="new-run")
    return res


def test_previous_result_carries_run_id_everywhere(base):
    out, maps = base["prev"] / "out", base["prev"] / "maps"
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["info"]["run_id"] == "previous-run"
    assert run_id_of(out / "results.gpkg") == "previous-run"
    tag = '<meta name="geo-tenglong-run-id" content="previous-run">'
    assert tag in (maps / "briefing.html").read_text(encoding="utf-8")
    assert tag in (out / "一页纸汇报.html").read_text(encoding="utf-8")
    from openpyxl import load_workbook

    book = load_workbook(next(out.glob("*.xlsx")))
    assert {p.name: p.value for p in book.custom_doc_props.props}.get("run_id") == "previous-run"
    assert json.loads((out / MANIFEST).read_text(encoding="utf-8"))["run_id"] == "previous-run"
    assert not _leftovers(base["prev"])


PHASES = ["results"] + [name for name, _label, _spec in pipeline.OUTPUTS]


@pytest.mark.parametrize("phase", PHASES)
def test_writer_failing_in_any_phase_leaves_previous_result_whole(base, tmp_path, monkeypatch, phase):
    out, maps = _copy_prev(base, tmp_path)
    (out / "我的笔记.txt").write_text("用户自己的文件", encoding="utf-8")
    before = _digest(tmp_path)

    if phase == "results":
        import geo_tenglong.results as results_mod

        real = results_mod._write_layer

        def failing_layer(layer, path, name, **kw):
            real(layer, path, name, **kw)
            if name == "findings":  # parcels are written already: a half-written GeoPackage
                raise OSError(28, "No space left on device", str(path))

        monkeypatch.setattr(results_mod, "_write_layer", failing_layer)
    else:
        entries = []
        for name, label, spec in pipeline.OUTPUTS:
            if name == phase:
                real_writer = pipeline.output_writer(spec)

                def failing(results, out_dir, maps_dir, ws, _real=real_writer):
                    _real(results, out_dir, maps_dir, ws)  # its files are written, then it fails
                    raise RuntimeError(f"injected failure in {phase}")

                entries.append((name, label, failing))
            else:
                entries.append((name, label, spec))
        monkeypatch.setattr(pipeline, "OUTPUTS", entries)

    with pytest.raises((OSError, RuntimeError)), output_locks(out, maps):
        pipeline.write_outputs(_fresh(base), base["ws"], out, maps)
    assert _digest(tmp_path) == before
    assert not _leftovers(tmp_path)


def test_successful_run_swaps_both_folders_and_keeps_user_files(base, tmp_path):
    out, maps = _copy_prev(base, tmp_path)
    (out / "我的笔记.txt").write_text("用户自己的文件", encoding="utf-8")
    (maps / "stale.html").write_text("x", encoding="utf-8")
    with output_locks(out, maps):
        written = pipeline.write_outputs(_fresh(base), base["ws"], out, maps)
    assert all(p.is_file() for p in written)
    assert all(STAGING_PREFIX not in str(p) for p in written)
    assert run_id_of(out / "results.gpkg") == "new-run"
    assert 'content="new-run"' in (maps / "briefing.html").read_text(encoding="utf-8")
    assert (out / "我的笔记.txt").read_text(encoding="utf-8") == "用户自己的文件"
    assert (maps / "stale.html").is_file()  # not written by the previous run either: the user's
    assert not _leftovers(tmp_path)


def test_map_links_to_reports_are_relative_to_the_final_folders(tmp_path):
    with staged_outputs(tmp_path / "out", tmp_path / "maps", "r1") as st:
        rel = os.path.relpath(st.out / "reports", st.maps)
        (st.out / "a.txt").write_text("a")
    assert rel == os.path.relpath(tmp_path / "out" / "reports", tmp_path / "maps")
    assert (tmp_path / "out" / "a.txt").is_file() and not (tmp_path / "maps" / "a.txt").exists()
    # maps inside out: one tree, one swap
    with staged_outputs(tmp_path / "out2", tmp_path / "out2" / "maps", "r2") as st:
        assert st.maps == st.out / "maps"
        (st.maps / "m.html").write_text("m")
    assert (tmp_path / "out2" / "maps" / "m.html").is_file()


def test_output_folder_holding_an_input_or_the_current_folder_is_refused(base, tmp_path, monkeypatch):
    from geo_tenglong.errors import InputError

    with pytest.raises(InputError, match="输入文件位于输出目录"):
        pipeline.write_outputs(_fresh(base), base["ws"], base["ws_dir"], tmp_path / "maps")
    (tmp_path / "maps").mkdir()
    monkeypatch.chdir(tmp_path / "maps")
    with pytest.raises(InputError, match="当前目录"):
        pipeline.write_outputs(_fresh(base), base["ws"], tmp_path / "out", tmp_path)


_HOLDER = """
import sys, time
from geo_tenglong.io.runlock import output_locks
with output_locks(sys.argv[1], sys.argv[2], run_id="holder"):
    print("ready", flush=True)
    time.sleep(float(sys.argv[3]))
"""


def _hold(out: Path, maps: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER, str(out), str(maps), str(seconds)],
                            stdout=subprocess.PIPE, text=True, cwd=REPO)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def test_second_run_into_a_locked_folder_refuses_with_the_holders_pid(base, tmp_path):
    out, maps = _copy_prev(base, tmp_path)
    before = _digest(tmp_path / "out")
    holder = _hold(out, maps, 60)
    try:
        res = CliRunner().invoke(main, ["run", str(base["ws_dir"]), "-o", str(out), "--maps", str(maps)])
        assert res.exit_code == 2, res.output
        lines = [ln for ln in res.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and f"进程 {holder.pid}" in lines[0] and "启动于" in lines[0] and "--wait" in lines[0]
        with pytest.raises(LockBusy), output_lock(maps):
            pass
    finally:
        holder.kill()
        holder.wait()
    assert _digest(tmp_path / "out") == before


def test_wait_queues_behind_the_holder(tmp_path):
    holder = _hold(tmp_path / "out", tmp_path / "maps", 1.0)
    t0 = time.monotonic()
    try:
        with output_lock(tmp_path / "out", wait=True, poll=0.05):
            assert holder.poll() is not None or time.monotonic() - t0 > 0.5
    finally:
        holder.wait()


def test_stale_lock_of_a_dead_or_reused_pid_is_taken_over(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock, sidecar = lock_paths(tmp_path / "out")
    lock.write_text("")
    for holder in ({"pid": dead.pid, "start": time.time() - 60},  # gone
                   {"pid": os.getpid(), "start": 12345.0}):  # pid reused by another process
        sidecar.write_text(json.dumps(holder), encoding="utf-8")
        notes: list[str] = []
        with output_lock(tmp_path / "out", run_id="me", notes=notes):
            assert json.loads(sidecar.read_text(encoding="utf-8"))["run_id"] == "me"
        assert len(notes) == 1 and f"进程 {holder['pid']}" in notes[0]
        assert not sidecar.exists()


_KILLED = """
import sys, time
from pathlib import Path
from geo_tenglong import pipeline
from geo_tenglong.io.runlock import output_locks
from geo_tenglong.workspace import load_workspace

def hang(results, out_dir, maps_dir, ws):
    (Path(out_dir) / "partial.txt").write_text("half")
    print("staging", flush=True)
    time.sleep(60)
    return []

pipeline.OUTPUTS.insert(int(sys.argv[4]), ("hang", "挂起", hang))
ws = load_workspace(sys.argv[1])
results = pipeline.analyse(ws)
results.info["run_id"] = "killed-run"
with output_locks(sys.argv[2], sys.argv[3]):
    pipeline.write_outputs(results, ws, sys.argv[2], sys.argv[3])
"""


@pytest.mark.parametrize("at", [1, len(pipeline.OUTPUTS)])  # after the workbook; after the map
def test_kill_during_outputs_leaves_previous_result_and_next_run_cleans_up(base, tmp_path, at):
    out, maps = _copy_prev(base, tmp_path)
    (out / ".results.ab12cd34.gpkg").write_bytes(b"half a gpkg from an older version")  # io.atomic temp
    before = {k: v for k, v in _outputs_digest(tmp_path).items() if ".results." not in k}
    proc = subprocess.Popen([sys.executable, "-c", _KILLED, str(base["ws_dir"]), str(out), str(maps), str(at)],
                            stdout=subprocess.PIPE, text=True, cwd=REPO,
                            env=dict(os.environ, GEO_TENGLONG_CHROMIUM="none", CI="1"))
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "staging"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert _leftovers(tmp_path)  # the killed run's staging tree is still there
    assert {k: v for k, v in _outputs_digest(tmp_path).items() if ".results." not in k} == before
    assert json.loads(lock_paths(out)[1].read_text(encoding="utf-8"))["pid"] == proc.pid  # the dead holder

    with output_locks(out, maps):  # the dead run's lock is free again
        pipeline.write_outputs(_fresh(base), base["ws"], out, maps)
    assert not _leftovers(tmp_path)
    assert not lock_paths(out)[1].exists()  # the stale sidecar was taken over and released
    assert run_id_of(out / "results.gpkg") == "new-run"
    assert not (out / "partial.txt").exists()


def test_kill_between_the_two_renames_brings_the_previous_result_back(base, tmp_path):
    out, maps = _copy_prev(base, tmp_path)
    before = _digest(out)
    os.rename(out, tmp_path / ".out.old-killedrun")  # the live folder was moved aside, then -9
    removed = clean_leftovers(out, maps)
    assert removed and _digest(out) == before and not _leftovers(tmp_path)


def test_unwritable_output_parent_is_one_line_exit_2(base, tmp_path, monkeypatch):
    parent = tmp_path / "readonly"
    parent.mkdir()
    real_open, real_mkdir = os.open, os.mkdir

    def deny(path, *a, **kw):
        if str(parent) in os.fspath(path):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return None

    monkeypatch.setattr(os, "open", lambda path, *a, **kw: deny(path) or real_open(path, *a, **kw))
    monkeypatch.setattr(os, "mkdir", lambda path, *a, **kw: deny(path) or real_mkdir(path, *a, **kw))
    res = CliRunner().invoke(main, ["run", str(base["ws_dir"]), "-o", str(parent / "out"), "--maps",
                                    str(parent / "maps")])
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and str(parent) in lines[0] and "Traceback" not in res.output
    assert list(parent.iterdir()) == []


def test_results_gpkg_run_id_is_dataset_metadata(base):
    meta = pyogrio.read_info(base["prev"] / "out" / "results.gpkg", layer="parcels")["dataset_metadata"]
    assert meta["GEO_TENGLONG_RUN_ID"] == "previous-run"


# ------------------------------------------------------------------- map and report take the run's lock


def test_report_and_map_into_a_run_folder_refuse_while_a_run_holds_it(base, tmp_path):
    out, maps = _copy_prev(base, tmp_path)
    before = _outputs_digest(tmp_path)
    holder = _hold(out, maps, 60)
    try:
        for args in (["report", IDS[0], "--results", str(out / "results.gpkg"), "-o", str(out / "reports"), "--no-pdf"],
                     ["map", str(out / "results.gpkg"), "-o", str(maps / "briefing.html")]):
            res = CliRunner().invoke(main, args)
            assert res.exit_code == 2, res.output
            lines = [ln for ln in res.output.splitlines() if ln.strip()]
            assert len(lines) == 1 and f"进程 {holder.pid}" in lines[0] and "--wait" in lines[0], res.output
    finally:
        holder.kill()
        holder.wait()
    assert _outputs_digest(tmp_path) == before
    # the holder died: the next command takes its stale lock over, says so once, and writes
    res = CliRunner().invoke(main, ["report", IDS[0], "--results", str(out / "results.gpkg"), "-o",
                                    str(out / "reports"), "--no-pdf"])
    assert res.exit_code == 0, res.output
    assert [ln for ln in res.stderr.splitlines() if "接管了已失效的锁" in ln] == [
        ln for ln in res.stderr.splitlines() if f"进程 {holder.pid}" in ln]
    assert (out / "reports").is_dir() and not _leftovers(tmp_path)


@pytest.mark.parametrize("command", ["report", "map"])
def test_report_or_map_failing_midway_changes_nothing(base, tmp_path, monkeypatch, command):
    out, maps = _copy_prev(base, tmp_path)
    (out / "reports").mkdir(exist_ok=True)
    (out / "reports" / "旧报告.html").write_text("上一次的报告", encoding="utf-8")
    before = _digest(tmp_path)
    if command == "report":
        import geo_tenglong.report.parcel_report as module

        real = module.write_parcel_reports
        name = "write_parcel_reports"
        args = ["report", IDS[0], "--results", str(out / "results.gpkg"), "-o", str(out / "reports"), "--no-pdf"]
    else:
        import geo_tenglong.webmap.briefing as module

        real = module.save_briefing_map
        name = "save_briefing_map"
        args = ["map", str(out / "results.gpkg"), "-o", str(maps / "briefing.html")]

    def half(*a, **kw):
        real(*a, **kw)  # every file written into the staging folder, then the disk fills up
        raise OSError(28, "No space left on device", str(tmp_path / "somewhere"))

    monkeypatch.setattr(module, name, half)
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2, res.output
    assert _digest(tmp_path) == before
    assert not _leftovers(tmp_path) and not [p for p in tmp_path.rglob("*.staging-*")]


def test_map_and_report_write_whole_files_where_asked(base, tmp_path):
    out, maps = _copy_prev(base, tmp_path)
    res = CliRunner().invoke(main, ["map", str(out / "results.gpkg"), "-o", str(tmp_path / "m2" / "b.html")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "m2" / "b.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
    res = CliRunner().invoke(main, ["report", IDS[1], "--results", str(out / "results.gpkg"), "-o",
                                    str(out / "reports"), "--no-pdf"])
    assert res.exit_code == 0, res.output
    assert any(IDS[1] in p.name for p in (out / "reports").rglob("*.html"))
    assert [p.name for p in tmp_path.rglob("*.staging-*")] == [] and not _leftovers(tmp_path)


def test_map_of_a_big_county_names_its_tiles_file_too(base, tmp_path, monkeypatch):
    """Above the tiles threshold the page needs the file beside it: the command says both were written."""
    from geo_tenglong.webmap import tiles

    monkeypatch.setattr(tiles, "TILE_THRESHOLD", 1)
    out, _ = _copy_prev(base, tmp_path)
    res = CliRunner().invoke(main, ["map", str(out / "results.gpkg"), "-o", str(tmp_path / "m3" / "b.html")])
    assert res.exit_code == 0, res.output
    wrote = [ln for ln in res.output.splitlines() if ln.startswith("wrote ")]
    assert len(wrote) == 2 and wrote[1].startswith(f"wrote {tmp_path / 'm3' / 'b.pmtiles.js'} (")
    assert (tmp_path / "m3" / "b.pmtiles.js").is_file()


def test_a_killed_commands_staging_folder_is_removed_by_the_next_run(base, tmp_path):
    out, maps = _copy_prev(base, tmp_path)
    killed = [out / ".reports.staging-20260101T000000-0badc0de", tmp_path / ".maps.staging-20260101T000000-0badc0de"]
    for folder in killed:
        folder.mkdir()
        (folder / "half.html").write_text("half")
    removed = clean_leftovers(out, maps)
    assert all(f in removed and not f.exists() for f in killed)


def test_read_only_output_folder_is_refused_before_the_analysis(base, tmp_path, monkeypatch):
    import geo_tenglong.io.runlock as runlock
    import geo_tenglong.pipeline as pipeline_mod

    out, maps = _copy_prev(base, tmp_path)
    before = _outputs_digest(tmp_path)
    real_access = os.access
    monkeypatch.setattr(runlock.os, "access", lambda p, mode: False if Path(p) == out else real_access(p, mode))
    monkeypatch.setattr(pipeline_mod, "load_workspace", lambda *a, **k: pytest.fail("analysed a run it cannot write"))
    res = CliRunner().invoke(main, ["run", str(base["ws_dir"]), "-o", str(out), "--maps", str(maps)])
    assert res.exit_code == 2, res.output
    assert res.stderr.strip() == f"geo-tenglong: error: {out}: 输出目录只读或无写入权限 (read-only); 请换一个输出目录或修改权限"
    assert _outputs_digest(tmp_path) == before and not _leftovers(tmp_path)


def test_output_folder_holding_an_input_is_refused_before_the_analysis(base, tmp_path, monkeypatch):
    import geo_tenglong.pipeline as pipeline_mod

    monkeypatch.setattr(pipeline_mod, "analyse", lambda *a, **k: pytest.fail("analysed a run it cannot write"))
    res = CliRunner().invoke(main, ["run", str(base["ws_dir"]), "-o", str(base["ws_dir"]), "--maps",
                                    str(tmp_path / "maps"), "-q"])
    assert res.exit_code == 2, res.output
    assert "输入文件位于输出目录" in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_an_output_folder_that_is_a_file_is_refused_and_the_file_kept(base, tmp_path):
    (tmp_path / "out").write_text("用户的文件", encoding="utf-8")
    res = CliRunner().invoke(main, ["run", str(base["ws_dir"]), "-o", str(tmp_path / "out"), "--maps",
                                    str(tmp_path / "maps"), "-q"])
    assert res.exit_code == 2, res.output
    assert res.stderr.strip() == f"geo-tenglong: error: {tmp_path / 'out'}: 输出目录的位置已有一个文件 (not a folder); 请换一个输出目录"
    assert (tmp_path / "out").read_text(encoding="utf-8") == "用户的文件" and not _leftovers(tmp_path)
