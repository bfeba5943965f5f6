"""Atomic writes: an output appears whole or not at all, and never over an input."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import InputError


def check_not_input(target: str | Path, inputs: Iterable[str | Path]) -> None:
    """Refuse to write ``target`` when it is one of the ``inputs``.

    Raises
    ------
    InputError
        If ``target`` resolves to an input file.
    """
    t = Path(target).resolve()
    for p in inputs:
        if Path(p).resolve() == t:
            raise InputError("refusing to write an output over an input file", target)


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target`` atomically.

    The temporary file sits in the same folder (so ``os.replace`` is atomic on one filesystem)
    and keeps the target's suffix, so drivers that pick a format by extension still work. On an
    exception the temporary file is removed and ``target`` is left untouched.

    Examples
    --------
    >>> with atomic_path("out/results.gpkg") as tmp:  # doctest: +SKIP
    ...     gdf.to_file(tmp, layer="parcels")
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # let the writer create it (GDAL refuses some existing empty files)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, Path(str(tmp) + "-journal"), Path(str(tmp) + "-wal"), Path(str(tmp) + "-shm")):
            if leftover.exists():
                leftover.unlink()


def write_text_atomic(target: str | Path, text: str, encoding: str = "utf-8", newline: str | None = None) -> Path:
    """Write text to ``target`` atomically and return its path."""
    with atomic_path(target) as tmp, open(tmp, "w", encoding=encoding, newline=newline) as fh:
        fh.write(text)
    return Path(target)


def write_bytes_atomic(target: str | Path, data: bytes) -> Path:
    """Write bytes to ``target`` atomically and return its path."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)
