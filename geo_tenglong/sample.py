"""The bundled sample counties (天台县 in the top folder, 德清县 in ``deqing/``), wherever the package is.

In the source checkout the sample is ``layers/`` (written by ``scripts/make_sample_layers.py``, the
default workspace of every command). A wheel carries a copy as ``geo_tenglong/sample_data/``
(``setup.py`` copies ``layers/`` there at build time), so ``geo-tenglong sample DIR`` works after
``pip install`` anywhere.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from .errors import InputError

__all__ = ["SAMPLE_PACKAGE_DIR", "sample_source", "write_sample"]

#: Folder name of the sample inside the installed package.
SAMPLE_PACKAGE_DIR = "sample_data"
_WORKSPACE_FILE = "workspace.toml"


def sample_source() -> Path | None:
    """The folder the sample is copied from: the installed copy, else the checkout's ``layers/``.

    Returns
    -------
    Path or None
        ``None`` when neither is there (a wheel built without ``layers/``).
    """
    bundled = Path(str(resources.files("geo_tenglong").joinpath(SAMPLE_PACKAGE_DIR)))
    if (bundled / _WORKSPACE_FILE).is_file():
        return bundled
    checkout = Path(__file__).resolve().parent.parent / "layers"
    if (checkout / _WORKSPACE_FILE).is_file():
        return checkout
    return None


def write_sample(dest: str | Path) -> Path:
    """Copy the sample counties into ``dest`` (created; it must not hold files already).

    Parameters
    ----------
    dest : str or Path
        The new workspace folder: 天台县 in it, 德清县 in ``dest/deqing``.

    Returns
    -------
    Path
        ``dest``.

    Raises
    ------
    InputError
        When ``dest`` is a file or a folder that is not empty, or the sample is not installed.
    """
    dest = Path(dest)
    src = sample_source()
    if src is None:
        raise InputError("样例数据未随本软件安装 (the sample is not installed); 请从源码仓库的 layers/ 目录获取")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise InputError("目标已存在且不是空文件夹, 未写出样例数据 (choose a new or empty folder)", dest)
    shutil.copytree(src, dest, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.py", "*.pyc", "*.gpkg-journal", "*.gpkg-wal",
                                                  "*.gpkg-shm"))
    return dest
