"""The README's commands work as written: every ``geo-tenglong`` line of its ```bash blocks is run
on the bundled sample, in a scratch folder (so ``out/``, ``maps/`` … land there), in order.

``pip install`` steps are left out (the package is installed), usage synopses (``[OPTION]``
placeholders) are not commands, and PDFs are skipped (``GEO_TENGLONG_CHROMIUM=none``) to keep the
run short; the PDF path has its own tests. This test runs the whole sample job: about a minute.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from geo_tenglong.sample import sample_source, write_sample

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_commands(text: str) -> list[list[str]]:
    """The ``geo-tenglong`` commands of the README's ```bash blocks, as argument lists, in order.

    ``&&`` chains are split, ``#`` comments dropped, ``pip``/``pytest`` steps and usage synopses
    (an argument in ``[…]``) skipped.
    """
    commands, in_bash = [], False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            in_bash = (not in_bash) and stripped == "```bash"
            continue
        if not in_bash:
            continue
        for part in stripped.split("&&"):
            args = shlex.split(part, comments=True)
            if not args or args[0] != "geo-tenglong":
                continue
            if any(a.startswith("[") for a in args):
                continue  # a synopsis, not a command
            commands.append(args[1:])
    return commands


def test_the_readme_names_its_commands():
    commands = readme_commands(README.read_text(encoding="utf-8"))
    names = [c[0] for c in commands]
    assert {"run", "sample", "report", "map"} <= set(names)
    assert names.index("run") < names.index("report")  # the report example reads run's results
    assert readme_commands("```bash\npip install . && geo-tenglong run  # x\ngeo-tenglong a [B]\n```\n"
                           "geo-tenglong no\n") == [["run"]]


@pytest.mark.skipif(sample_source() is None, reason="the sample counties are not installed")
def test_every_readme_command_runs_on_the_sample(tmp_path):
    write_sample(tmp_path / "layers")
    env = {**os.environ, "GEO_TENGLONG_CHROMIUM": "none", "CI": "1"}
    for args in readme_commands(README.read_text(encoding="utf-8")):
        proc = subprocess.run([sys.executable, "-m", "geo_tenglong", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=900, check=False)
        assert proc.returncode == 0, (args, proc.stderr[-2000:])
        assert "Traceback" not in proc.stderr and "Glyph" not in proc.stderr, (args, proc.stderr[-2000:])
    for path in ["out/results.gpkg", "maps/briefing.html", "out/reports/331023103041GB00002.html",
                 "out/reports/331023107006GB00010.html", "样例/workspace.toml", "样例输出/results.gpkg",
                 "样例地图/briefing.html", "季度/2023Q4/results.gpkg", "季度/季度通报_2023-12-31.html",
                 "季度/平桥镇整治台账.xlsx"]:
        assert (tmp_path / path).is_file(), path
