"""A fingerprint of a run's inputs, for the ``runs`` table: the same inputs give the same fingerprint."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

__all__ = ["inputs_fingerprint"]

_CHUNK = 1 << 20


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _files(path: Path) -> list[Path]:
    """A file, or every file under a folder (a FileGDB, the 界址点 folder), sorted."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file())
    return [path] if path.is_file() else []


def inputs_fingerprint(ws: Any) -> str:
    """SHA-256 over every input file's bytes and every database input's rows.

    Parameters
    ----------
    ws : Workspace
        Its ``inputs`` (files and folders read, with workspace.toml), ``coords_folder`` and
        ``db_inputs`` (table → SHA-256 of its rows, computed when read).

    Returns
    -------
    str
        ``sha256:`` and 64 hex digits. File names count relative to the workspace, so a moved
        workspace with the same bytes gives the same fingerprint.
    """
    root = Path(ws.root)
    entries: list[str] = []
    paths = [Path(p) for p in ws.inputs] + ([Path(ws.coords_folder)] if ws.coords_folder else [])
    for base in paths:
        for f in _files(base):
            try:
                name = f.resolve().relative_to(root).as_posix()
            except ValueError:
                name = f.resolve().as_posix()
            entries.append(f"file {name} {_file_digest(f)}")
    entries += [f"db {label} {digest}" for label, digest in (getattr(ws, "db_inputs", None) or {}).items()]
    h = hashlib.sha256("\n".join(sorted(set(entries))).encode("utf-8"))
    return "sha256:" + h.hexdigest()
