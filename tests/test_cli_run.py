"""`geo-tenglong run` and the CLI contract: outputs, exit codes, atomic writes."""

from __future__ import annotations

import json

import click
import pyogrio
import pytest
from click.testing import CliRunner

from geo_tenglong.cli import main
from geo_tenglong.findings import COLUMNS
from geo_tenglong.results import Results

from conftest import write_workspace


def test_run_writes_results(tmp_path, tiny_parcels):
    ws = write_workspace(tmp_path / "ws", tiny_parcels)
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["run", str(ws), "--out", str(out), "--maps", str(tmp_path / "maps"), "--quiet",
                                  "--allow-incomplete"])  # no enterprises, no buildings: 数据不足
    assert r.exit_code == 0, r.output
    layers = {name for name, _ in pyogrio.list_layers(out / "results.gpkg")}
    assert {"parcels", "findings", "targets"} <= layers
    parcels = pyogrio.read_dataframe(out / "results.gpkg", layer="parcels")
    assert len(parcels) == 3
    assert parcels["area_m2"].tolist() == [10000.0] * 3
    assert parcels["area_mu"].tolist() == [15.0] * 3
    findings = pyogrio.read_dataframe(out / "results.gpkg", layer="findings")
    assert list(findings.columns) == COLUMNS
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["info"]["ruleset"] == "tiantai-2022" and summary["info"]["admin_code"] == "331023"
    # the results read back are what was written
    back = Results.read(out / "results.gpkg")
    assert len(back.parcels) == 3 and "targets" in back.layers


def test_run_every_target_without_data_is_missing_data(tmp_path, tiny_parcels):
    ws = write_workspace(tmp_path / "ws", tiny_parcels)
    CliRunner().invoke(main, ["run", str(ws), "-o", str(tmp_path / "out"), "--maps", str(tmp_path / "m"), "-q",
                              "--allow-incomplete"])
    findings = pyogrio.read_dataframe(tmp_path / "out" / "results.gpkg", layer="findings")
    targets = findings[findings["rule_id"].str.fullmatch(r"TT-T\d")]
    assert len(targets) == 10
    assert set(targets["clause"]) == {"二、主要目标"}


@pytest.mark.parametrize("args,needle", [
    (["run", "does-not-exist"], "does-not-exist: workspace folder not found"),
    (["ruleset", "check", "nowhere.toml"], "nowhere.toml: ruleset file not found"),
])
def test_bad_input_exits_2_with_one_line(args, needle, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0]


def test_outputs_are_never_written_over_inputs(tmp_path, tiny_parcels):
    ws = write_workspace(tmp_path / "ws", tiny_parcels)
    (ws / "ws.gpkg").rename(ws / "results.gpkg")
    text = (ws / "workspace.toml").read_text(encoding="utf-8").replace("ws.gpkg", "results.gpkg")
    (ws / "workspace.toml").write_text(text, encoding="utf-8")
    before = (ws / "results.gpkg").read_bytes()
    r = CliRunner().invoke(main, ["run", str(ws), "--out", str(ws), "--maps", str(tmp_path / "m"), "-q"])
    assert r.exit_code == 2 and "refusing to write an output over an input" in r.output
    assert (ws / "results.gpkg").read_bytes() == before


def test_a_failed_write_leaves_no_partial_output(tmp_path, tiny_parcels, monkeypatch):
    from geo_tenglong import results as results_mod

    ws = write_workspace(tmp_path / "ws", tiny_parcels)
    out = tmp_path / "out"
    calls = []

    def failing(layer, path, name, **kw):
        calls.append(name)
        if name == "findings":
            raise OSError("disk full")
        return original(layer, path, name, **kw)

    original = results_mod._write_layer
    monkeypatch.setattr(results_mod, "_write_layer", failing)
    r = CliRunner().invoke(main, ["run", str(ws), "--out", str(out), "--maps", str(tmp_path / "m"), "-q"])
    assert r.exit_code != 0 and calls[:2] == ["parcels", "findings"]
    assert not out.exists() or list(out.iterdir()) == []  # no results.gpkg, no temp file left behind
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == ["ws"]  # nor staging


def test_help_on_every_command():
    runner = CliRunner()
    names = main.list_commands(click.Context(main))
    assert {"run", "sample", "map", "report", "check-split", "check-merge", "coords", "ruleset"} <= set(names)
    for name in names:
        r = runner.invoke(main, [name, "--help"])
        assert r.exit_code == 0 and len(r.output) > 40, name
        cmd = main.get_command(click.Context(main), name)
        sub = getattr(cmd, "commands", {})
        for subname in sub:
            r = runner.invoke(main, [name, subname, "--help"])
            assert r.exit_code == 0, (name, subname)


# ---------------------------------------------------------------------------------- fast start

_HEAVY = ("geopandas", "pandas", "shapely", "matplotlib", "folium", "openpyxl", "scipy", "rasterio", "pyogrio")
_PROBE = """
import sys
from geo_tenglong.cli import main
args = sys.argv[1:]
if args:
    try:
        main(args, standalone_mode=False)
    except SystemExit:
        pass
print("HEAVY:" + ",".join(m for m in {heavy!r} if m in sys.modules))
"""

# commands whose module still imports the library at import time (none left: issue 16.3 / 17.3)
_SLOW_HELP: dict[str, str] = {}


def _heavy_after(*args: str) -> list[str]:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", _PROBE.format(heavy=_HEAVY), *args], capture_output=True,
                          text=True, check=True, timeout=120)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("HEAVY:")][-1]
    return [m for m in line.removeprefix("HEAVY:").split(",") if m]


def test_importing_the_cli_and_its_help_load_no_library():
    assert _heavy_after() == []
    assert _heavy_after("--help") == []


@pytest.mark.parametrize("name", sorted(__import__("geo_tenglong.cli", fromlist=["LAZY_COMMANDS"]).LAZY_COMMANDS))
def test_each_command_help_loads_no_library(name):
    if name in _SLOW_HELP:
        pytest.xfail(_SLOW_HELP[name])
    assert _heavy_after(name, "--help") == []


def test_importing_the_analysis_and_pipeline_loads_no_renderer():
    import subprocess
    import sys

    code = ("import sys, importlib, pkgutil, geo_tenglong.analysis as a, geo_tenglong.pipeline\n"
            "[importlib.import_module('geo_tenglong.analysis.' + m.name) for m in pkgutil.iter_modules(a.__path__)]\n"
            "print(','.join(m for m in ('folium', 'matplotlib', 'openpyxl', 'jinja2') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert proc.stdout.strip() == ""


def test_every_output_resolves():
    from geo_tenglong.pipeline import OUTPUTS, output_writer

    for _name, _label, spec in OUTPUTS:
        assert callable(output_writer(spec))


# ------------------------------------------------------------------------------ quiet, sample

def test_quiet_silences_warnings_too(monkeypatch):
    import warnings

    from geo_tenglong.cli.options import QUIET_ENV, quiet_opt
    from geo_tenglong.report import pdf as pdfmod

    @click.command()
    @quiet_opt
    def noisy(quiet):
        warnings.warn("a library warning", UserWarning, stacklevel=1)
        pdfmod._warn("a warning line")

    monkeypatch.setattr(pdfmod, "_warned", set())
    monkeypatch.delenv(QUIET_ENV, raising=False)
    runner = CliRunner()
    loud = runner.invoke(noisy, [])
    assert "a warning line" in loud.output
    monkeypatch.setattr(pdfmod, "_warned", set())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quiet = runner.invoke(noisy, ["-q"])
    assert quiet.exit_code == 0 and quiet.output == "" and caught == []
    import os
    assert QUIET_ENV not in os.environ  # restored when the command ends


def test_run_with_no_workspace_says_how_to_get_the_sample(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, ["run"])
    assert r.exit_code == 2
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "geo-tenglong sample" in lines[0]


def test_sample_writes_both_counties_anywhere(tmp_path):
    from geo_tenglong.workspace import load_workspace

    runner = CliRunner()
    r = runner.invoke(main, ["sample", str(tmp_path / "样例")])
    assert r.exit_code == 0, r.output
    assert load_workspace(tmp_path / "样例").county == "天台县"
    assert load_workspace(tmp_path / "样例" / "deqing").county == "德清县"
    r = runner.invoke(main, ["sample", str(tmp_path / "样例")])
    assert r.exit_code == 2 and "不是空文件夹" in r.output
