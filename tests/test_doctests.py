"""The examples in the package's docstrings run as tests.

They run against the ``geo_tenglong`` the tests import (the installed package in CI, the working tree
with an editable install), one test per module with examples. ``--doctest-modules`` would collect
the working tree's files instead and fail with an import-file mismatch when the package is installed
without ``-e`` (the README's ``pip install '.[test]' && pytest``). Examples that need files on disk
are marked ``+SKIP`` where they stand.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
from pathlib import Path

import pytest

import geo_tenglong


def _modules_with_examples() -> list[str]:
    """Dotted names of the package's modules whose source holds a ``>>>`` example (found without importing)."""
    names = []
    for info in pkgutil.walk_packages(geo_tenglong.__path__, prefix="geo_tenglong."):
        if info.name.endswith("__main__"):
            continue
        spec = importlib.util.find_spec(info.name)
        origin = spec.origin if spec is not None else None
        if origin and origin.endswith(".py") and ">>>" in Path(origin).read_text(encoding="utf-8"):
            names.append(info.name)
    return sorted(names)


MODULES = _modules_with_examples()


def test_examples_are_found():
    assert "geo_tenglong.values" in MODULES and len(MODULES) >= 20


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    report: list[str] = []
    for test in finder.find(module, name):
        if test.examples:
            runner.run(test, out=report.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(report)
