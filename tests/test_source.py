"""load_source(): a workspace (analysed first) or saved results, with one ruleset/as-of meaning."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from geo_tenglong.cli import main
from geo_tenglong.errors import InputError
from geo_tenglong.source import load_source

from conftest import write_workspace


@pytest.fixture
def saved(tmp_path, tiny_parcels):
    """A tiny workspace and the results `run` wrote for it (no maps)."""
    ws = write_workspace(tmp_path / "ws", tiny_parcels)
    r = CliRunner().invoke(main, ["run", str(ws), "--out", str(tmp_path / "out"), "--maps", str(tmp_path / "maps"),
                                  "-q", "--allow-incomplete"])
    assert r.exit_code == 0, r.output
    return ws, tmp_path / "out"


def test_a_workspace_is_analysed_with_its_overrides(tmp_path, tiny_parcels):
    ws = write_workspace(tmp_path / "ws", tiny_parcels)
    lines = []
    src = load_source(ws, ruleset="deqing-2021", as_of="2024-01-31", progress=lines.append)
    assert src.kind == "workspace" and src.ws is not None and len(src.results.parcels) == 3
    assert src.results.info["ruleset"] == "deqing-2021" and src.results.info["as_of"] == "2024-01-31"
    assert len(lines) == 1 and "分析工作空间" in lines[0]
    assert src.inputs  # the workspace's files, never to be overwritten


@pytest.mark.parametrize("which", ["file", "folder"])
def test_saved_results_come_with_their_workspace(saved, which):
    _ws, out = saved
    src = load_source(out / "results.gpkg" if which == "file" else out)
    assert src.kind == "results" and len(src.results.parcels) == 3
    assert src.ws is not None and src.ws.ruleset.name == "tiantai-2022"
    assert src.reports_dir == out / "reports" and src.notes == []
    # the same ruleset and date as saved are fine
    assert load_source(out, ruleset="tiantai-2022", as_of="2023-06-30").kind == "results"


@pytest.mark.parametrize("kw,needle", [({"ruleset": "deqing-2021"}, "deqing-2021"),
                                       ({"as_of": "2024-01-31"}, "2024-01-31")])
def test_saved_results_refuse_another_ruleset_or_date(saved, kw, needle):
    _ws, out = saved
    with pytest.raises(InputError) as err:
        load_source(out, **kw)
    msg = str(err.value)
    assert needle in msg and "tiantai-2022" in msg and "2023-06-30" in msg and "\n" not in msg


def test_a_moved_workspace_leaves_a_note(saved):
    ws, out = saved
    shutil.rmtree(ws)
    src = load_source(out)
    assert src.ws is None and len(src.notes) == 1 and str(ws) in src.notes[0]


def test_neither_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="results.gpkg"):
        load_source(tmp_path / "nowhere")
    junk = tmp_path / "junk.gpkg"
    junk.write_text("not a geopackage", encoding="utf-8")
    with pytest.raises(InputError, match="junk.gpkg"):
        load_source(junk)


def test_map_and_report_commands_read_saved_results(saved, tmp_path):
    _ws, out = saved
    runner = CliRunner()
    page = tmp_path / "m" / "briefing.html"
    r = runner.invoke(main, ["map", str(out / "results.gpkg"), "-o", str(page), "-q"])
    assert r.exit_code == 0, r.output
    assert page.is_file() and "331023101001GB00001" in page.read_text(encoding="utf-8")
    r = runner.invoke(main, ["report", "331023101001GB00001", "-r", str(out), "-o", str(tmp_path / "rep"),
                             "--no-pdf", "-q"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "rep" / "331023101001GB00001.html").is_file()
    r = runner.invoke(main, ["map", str(out), "-o", str(page), "--as-of", "2024-01-31"])
    assert r.exit_code == 2 and "2024-01-31" in r.output
