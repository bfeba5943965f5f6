"""`geo-tenglong run` and the CLI contract: outputs, exit codes, atomic writes."""

from __future__ import annotations

import json

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
    r = CliRunner().invoke(main, ["run", str(ws), "--out", str(out), "--maps", str(tmp_path / "maps"), "--quiet"])
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
    CliRunner().invoke(main, ["run", str(ws), "-o", str(tmp_path / "out"), "--maps", str(tmp_path / "m"), "-q"])
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

    def failing(layer, path, name):
        calls.append(name)
        if name == "findings":
            raise OSError("disk full")
        return original(layer, path, name)

    original = results_mod._write_layer
    monkeypatch.setattr(results_mod, "_write_layer", failing)
    r = CliRunner().invoke(main, ["run", str(ws), "--out", str(out), "--maps", str(tmp_path / "m"), "-q"])
    assert r.exit_code != 0 and calls[:2] == ["parcels", "findings"]
    assert list(out.iterdir()) == []  # no results.gpkg, no temp file left behind


def test_help_on_every_command():
    runner = CliRunner()
    for name, cmd in main.commands.items():
        r = runner.invoke(main, [name, "--help"])
        assert r.exit_code == 0 and len(r.output) > 40, name
        sub = getattr(cmd, "commands", {})
        for subname in sub:
            r = runner.invoke(main, [name, subname, "--help"])
            assert r.exit_code == 0, (name, subname)
