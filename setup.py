"""Build hook: ship the sample counties (``layers/``) inside the wheel as ``geo_tenglong/sample_data``.

Everything else is in pyproject.toml. In the checkout ``layers/`` stays the default workspace;
an installed package finds its copy through :func:`geo_tenglong.sample.sample_source`, so
``geo-tenglong sample DIR`` works after ``pip install`` anywhere (about 2.8 MB compressed).
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

_SKIP = shutil.ignore_patterns("__pycache__", "*.py", "*.pyc", "*.gpkg-journal", "*.gpkg-wal", "*.gpkg-shm")


class BuildPyWithSample(build_py):
    """``build_py`` that also copies ``layers/`` to ``geo_tenglong/sample_data/`` in the build."""

    def run(self):
        super().run()
        src = Path(__file__).resolve().parent / "layers"
        if (src / "workspace.toml").is_file() and not self.editable_mode:
            dest = Path(self.build_lib) / "geo_tenglong" / "sample_data"
            shutil.copytree(src, dest, dirs_exist_ok=True, ignore=_SKIP)


setup(cmdclass={"build_py": BuildPyWithSample})
