"""Whole-run atomic outputs: a run writes into a staging folder and swaps it in at the end.

A run's outputs (``results.gpkg``, ``summary.json``, the workbook, reports, one-pager, map …) go
into a staging tree and replace the output folder (and the map folder) only when every writer
succeeded. Layout, for targets ``out`` and ``maps`` whose folders' common parent is ``C``::

    C/.geo-tenglong-staging-<run_id>/out/…     staged out
    C/.geo-tenglong-staging-<run_id>/maps/…    staged maps

The staging tree mirrors the targets' relative positions, so relative links written by the
outputs (the map's links to ``out/reports``) are right once swapped in. A map folder inside the
output folder is staged inside it (one swap).

The swap of each target is two renames: the live folder to ``.<name>.old-<run_id>`` beside it,
then the staged folder to the target's name; afterwards files the user keeps in the old folder
(anything this run did not write and the previous run did not write either, see
:data:`MANIFEST`) are moved into the new one and the old folder is deleted. Between the two
renames (microseconds) the target name does not exist; a reader opening a file in that window
gets "not found", never a mixed result. With two targets the swaps are back to back, so a map may
be one run newer than ``out`` for that instant.

A killed run leaves its staging tree or an ``.old-`` folder behind; :func:`clean_leftovers`, run
by the next run under the lock, deletes staging trees, puts an ``.old-`` folder back when the
target is missing (killed between the two renames), or finishes moving the user's files out of it,
and deletes ``.<name>.<random>.<ext>`` temp files of :mod:`geo_tenglong.io.atomic` inside the
targets.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import InputError

__all__ = ["MANIFEST", "STAGING_PREFIX", "Staging", "new_run_id", "target_roots", "staged_outputs", "clean_leftovers",
           "check_no_inputs_inside", "staged_folder", "STAGED_FOLDER"]

#: Prefix of staging trees.
STAGING_PREFIX = ".geo-tenglong-staging-"
#: A file in every swapped-in folder listing the run id and the top-level entries the run wrote;
#: entries not listed are the user's and are carried over to the next run's folder.
MANIFEST = ".geo-tenglong-run.json"

#: A folder :func:`staged_folder` stages into, beside its target: ``.<target name>.staging-<run id>``.
STAGED_FOLDER = re.compile(r"^\.(?P<name>.+)\.staging-\d{8}T\d{6}-[0-9a-f]{8}$")

#: Temp files of io.atomic: ``.<stem>.<8 random chars><suffix>`` plus SQLite side files.
_TEMP = re.compile(r"^\.[^/]+\.[a-z0-9_]{8}(\.[A-Za-z0-9]+)?(-journal|-wal|-shm)?$")


def new_run_id() -> str:
    """A new run id: local time and 8 random hex digits, e.g. ``20261201T082700-3f9a1c2e`` (sorts by time)."""
    return dt.datetime.now().strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(4)


def target_roots(out_dir: str | Path, maps_dir: str | Path | None) -> list[Path]:
    """The folders a run swaps (and locks): ``out`` and ``maps``, or one of them when nested."""
    return _roots(Path(out_dir), None if maps_dir is None else Path(maps_dir))


def _roots(out_dir: Path, maps_dir: Path | None) -> list[Path]:
    out = out_dir.resolve()
    if maps_dir is None:
        return [out]
    maps = maps_dir.resolve()
    if maps == out or out in maps.parents:
        return [out]
    if maps in out.parents:
        return [maps]
    return [out, maps]


def _common_parent(roots: list[Path]) -> Path:
    return Path(os.path.commonpath([str(r.parent) for r in roots]))


def check_no_inputs_inside(out_dir: str | Path, maps_dir: str | Path | None, inputs: Iterable[str | Path]) -> None:
    """Refuse output folders that hold an input or the current folder: the swap would take them along.

    Raises
    ------
    InputError
        Naming the input file inside an output folder, or the output folder holding the current one.
    """
    roots = _roots(Path(out_dir), None if maps_dir is None else Path(maps_dir))
    cwd = Path.cwd().resolve()
    for root in roots:
        if root == cwd or root in cwd.parents:
            raise InputError("输出目录不能是当前目录或其上级 (会被整体替换); 请用子目录, 如 --out out", root)
    for p in inputs:
        rp = Path(p).resolve()
        for root in roots:
            if rp == root or root in rp.parents:
                raise InputError(f"refusing to write an output over an input: 输入文件位于输出目录 {root} 之内, "
                                 "输出目录会被整体替换, 请换一个输出目录 (--out/--maps)", p)


class Staging:
    """The staging tree of one run (see the module docstring).

    Attributes
    ----------
    out : Path
        Where the writers put what goes to ``out_dir``.
    maps : Path or None
        Where the writers put what goes to ``maps_dir``.
    """

    def __init__(self, out_dir: str | Path, maps_dir: str | Path | None, run_id: str):
        self.run_id = run_id
        self.out_target = Path(out_dir).resolve()
        self.maps_target = None if maps_dir is None else Path(maps_dir).resolve()
        self.roots = _roots(Path(out_dir), None if maps_dir is None else Path(maps_dir))
        self.base = _common_parent(self.roots)
        self.tree = self.base / f"{STAGING_PREFIX}{run_id}"
        self.out = self.staged(self.out_target)
        self.maps = None if self.maps_target is None else self.staged(self.maps_target)
        self.swapped = False

    def staged(self, target: Path) -> Path:
        """Where a path under one of the targets is written during the run."""
        return self.tree / Path(target).resolve().relative_to(self.base)

    def final(self, path: str | Path) -> Path:
        """Where a staged path ends up after the swap."""
        return self.base / Path(path).relative_to(self.tree)

    def create(self) -> None:
        """Create the staging folders (and the targets' parents)."""
        try:
            for root in self.roots:
                root.parent.mkdir(parents=True, exist_ok=True)
            self.out.mkdir(parents=True)
            if self.maps is not None:
                self.maps.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.discard()
            raise InputError(f"无法建立输出暂存目录 ({exc.strerror or exc})", exc.filename or self.tree) from None

    def discard(self) -> None:
        """Delete the staging tree (a failed run)."""
        shutil.rmtree(self.tree, ignore_errors=True)

    def commit(self) -> None:
        """Swap every staged folder in: write manifests, two renames per target, carry over user files."""
        for root in self.roots:
            staged = self.staged(root)
            names = sorted(p.name for p in staged.iterdir())
            (staged / MANIFEST).write_text(json.dumps({"run_id": self.run_id, "entries": names}, ensure_ascii=False),
                                           encoding="utf-8")
        asides = []
        try:
            for root in self.roots:
                aside = root.parent / f".{root.name}.old-{self.run_id}"
                if root.exists():
                    os.rename(root, aside)
                    asides.append((root, aside))
                os.rename(self.staged(root), root)
        except OSError as exc:
            for root, aside in reversed(asides):  # put the previous result back
                with contextlib.suppress(OSError):
                    if root.exists():
                        os.rename(root, self.staged(root))
                    os.rename(aside, root)
            self.discard()
            raise InputError(f"无法替换输出目录 ({exc.strerror or exc})", exc.filename or root) from None
        self.swapped = True
        for root, aside in asides:
            _finish_aside(root, aside)
        shutil.rmtree(self.tree, ignore_errors=True)


def _produced(folder: Path) -> set[str]:
    """Top-level entries a previous run wrote into ``folder`` (from its manifest); ``None`` if unknown."""
    try:
        doc = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        return set(doc.get("entries", [])) | {MANIFEST}
    except (OSError, ValueError, AttributeError):
        return {MANIFEST}


def _finish_aside(root: Path, aside: Path) -> None:
    """Move the user's own files from the previous folder into the new one, then delete it."""
    produced = _produced(aside)
    with contextlib.suppress(OSError):
        for entry in aside.iterdir():
            if entry.name in produced or _TEMP.match(entry.name) or (root / entry.name).exists():
                continue
            with contextlib.suppress(OSError):
                os.rename(entry, root / entry.name)
    shutil.rmtree(aside, ignore_errors=True)


def clean_leftovers(out_dir: str | Path, maps_dir: str | Path | None) -> list[Path]:
    """Remove what killed runs left around these targets (call it while holding their locks).

    Returns
    -------
    list of Path
        What was removed or restored.
    """
    roots = _roots(Path(out_dir), None if maps_dir is None else Path(maps_dir))
    done: list[Path] = []
    parents = {_common_parent(roots)} | {r.parent for r in roots}
    names = {r.name for r in roots}
    for parent in parents:
        if parent.is_dir():
            for tree in parent.glob(f"{STAGING_PREFIX}*"):
                shutil.rmtree(tree, ignore_errors=True)
                done.append(tree)
            for staged in parent.glob(".*.staging-*"):  # a killed `map` command's, beside maps/
                m = STAGED_FOLDER.match(staged.name)
                if m and m["name"] in names and staged.is_dir():
                    shutil.rmtree(staged, ignore_errors=True)
                    done.append(staged)
    for root in roots:
        if root.parent.is_dir():
            for aside in sorted(root.parent.glob(f".{root.name}.old-*")):
                if not root.exists():
                    os.rename(aside, root)  # killed between the two renames: the previous result comes back
                else:
                    _finish_aside(root, aside)
                done.append(aside)
        for folder in (root, root / "reports"):
            if folder.is_dir():
                for f in folder.iterdir():
                    if f.is_file() and _TEMP.match(f.name):
                        with contextlib.suppress(OSError):
                            f.unlink()
                            done.append(f)
                    elif f.is_dir() and STAGED_FOLDER.match(f.name):  # a killed `map` or `report` command's
                        shutil.rmtree(f, ignore_errors=True)
                        done.append(f)
    return done


@contextlib.contextmanager
def staged_outputs(out_dir: str | Path, maps_dir: str | Path | None, run_id: str) -> Iterator[Staging]:
    """Stage a run's outputs; on leaving the block without error they are swapped in.

    On any exception (or KeyboardInterrupt) the staging tree is deleted and the previous result
    is left as it was.

    Yields
    ------
    Staging
    """
    staging = Staging(out_dir, maps_dir, run_id)
    staging.create()
    try:
        yield staging
        staging.commit()
    except BaseException:
        if not staging.swapped:
            staging.discard()
        raise


@contextlib.contextmanager
def staged_folder(target: str | Path, inputs: Iterable[str | Path] = (), run_id: str | None = None) -> Iterator[Path]:
    """Stage files for the folder ``target``; move them in only when the block succeeds.

    For commands that add files to a folder holding others (``geo-tenglong report`` into
    ``out/reports``, ``geo-tenglong map`` into ``maps``): the files are written into
    ``.<name>.staging-<run id>`` beside ``target`` (the same depth, so relative links the writer
    computes stay right), then each is moved over its place in ``target`` (``os.replace``). On an
    exception nothing in ``target`` changes and the staging folder is deleted; one left by a killed
    command is deleted by the next (call it while holding the folder's lock,
    :func:`geo_tenglong.io.runlock.output_lock`).

    Parameters
    ----------
    target : str or Path
        The folder the files are for (created when missing).
    inputs : iterable of Path
        Input files no staged file may replace.
    run_id : str, optional
        Names the staging folder (default: a new run id).

    Yields
    ------
    Path
        The staging folder to write into.

    Raises
    ------
    InputError
        When the staging folder cannot be created, or a staged file would replace an input.
    """
    from .atomic import check_not_input
    from .runlock import check_writable

    target = Path(target).resolve()
    check_writable(target)
    for old in target.parent.glob(f".{target.name}.staging-*") if target.parent.is_dir() else ():
        if STAGED_FOLDER.match(old.name):
            shutil.rmtree(old, ignore_errors=True)
    stage = target.parent / f".{target.name}.staging-{run_id or new_run_id()}"
    try:
        stage.mkdir(parents=True)
    except OSError as exc:
        raise InputError(f"无法建立输出暂存目录 ({exc.strerror or exc})", exc.filename or stage) from None
    try:
        yield stage
        files = [p for p in sorted(stage.rglob("*")) if p.is_file()]
        inputs = list(inputs)
        for f in files:
            check_not_input(target / f.relative_to(stage), inputs)
        for f in files:
            dest = target / f.relative_to(stage)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(f, dest)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
