"""One way to get results for ``map`` and ``report``: :func:`load_source`.

A source is a ``results.gpkg`` written by ``run`` (or the folder holding it), a PostGIS schema
written by ``run --out postgresql://…?schema=…``, or a workspace folder (``workspace.toml``;
analysed first, writing nothing). Both give a :class:`Source`: the results,
the workspace when it can be read (buildings, parks and 三区三线 layers for maps), and where parcel
reports are expected. The outputs render a :class:`Source`'s results and never load anything
themselves, so the web map and the reports do not import the pipeline.

Ruleset and as-of date mean the same for every source: for a workspace they override
``workspace.toml``; saved results were computed with one ruleset as of one date, so asking for
another is an error that names both and points to the workspace (nothing is silently recomputed
or mislabelled). The workspace of saved results (``results.info["workspace"]``) is re-read with the
results' own ruleset and date.

Kinds of source are tried in :data:`SOURCE_KINDS` order, each a ``(name, matches, load)`` entry;
the database one recognises a ``postgresql://`` URL.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import GeoTenglongError, InputError

__all__ = ["SOURCE_KINDS", "Source", "load_source"]

_REPORTS_DIR = "reports"  # report.parcel_report.REPORTS_DIR, not imported: it would load the renderers


@dataclasses.dataclass
class Source:
    """Results ready to render, and what came with them.

    Attributes
    ----------
    kind : str
        ``"workspace"``, ``"results"`` (results.gpkg) or ``"database"`` (a PostGIS schema).
    origin : str
        The path or URL given.
    results : Results
    ws : Workspace or None
        The workspace, when it could be read (a moved workspace leaves ``None`` and a ``notes`` line).
    reports_dir : Path
        Where parcel reports for these results are (or would be) written: ``reports/`` beside
        ``results.gpkg``, or ``out/reports`` for a workspace analysed on the fly or results in a
        database (``run --files`` defaults to ``out``).
    notes : list of str
        Lines for the user (Chinese), e.g. why the workspace was not read.
    """

    kind: str
    origin: str
    results: Any
    ws: Any = None
    reports_dir: Path = Path("out") / _REPORTS_DIR
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def inputs(self) -> tuple:
        """Input files an output must never overwrite (those of the workspace, if read)."""
        return tuple(getattr(self.ws, "inputs", ()) or ())


Progress = Callable[[str], None]


def _is_database(source: str | Path) -> bool:
    from .io.db.url import is_db_url

    return is_db_url(source)


def _is_workspace(source: str | Path) -> bool:
    from .workspace import WORKSPACE_FILE

    if _is_database(source):
        return False
    path = Path(source)
    return path.is_dir() and (path / WORKSPACE_FILE).is_file()


def _is_results(source: str | Path) -> bool:
    from .results import RESULTS_FILE

    if _is_database(source):
        return False
    path = Path(source)
    return path.is_file() or (path.is_dir() and (path / RESULTS_FILE).is_file())


def _load_workspace_source(source: str | Path, ruleset: str | None, as_of: str | None,
                           progress: Progress | None) -> Source:
    from .pipeline import analyse
    from .workspace import load_workspace

    ws = load_workspace(source, ruleset=ruleset, as_of=as_of)
    if progress:
        progress(f"分析工作空间 {source} (analysing the workspace) …")
    return Source("workspace", str(source), analyse(ws), ws=ws, reports_dir=Path("out") / _REPORTS_DIR)


def _load_results_source(source: str | Path, ruleset: str | None, as_of: str | None,
                         progress: Progress | None) -> Source:
    from .results import Results

    path = Path(source)
    try:
        results = Results.read(path)
    except GeoTenglongError:
        raise
    except Exception as exc:  # noqa: BLE001 — GDAL's errors for a file that is not a GeoPackage
        raise InputError(f"无法读取结果文件 (not a results.gpkg: {exc})", path) from None
    folder = path.parent if path.is_file() else path
    return _saved_source("results", str(source), path, results, ruleset, as_of, folder / _REPORTS_DIR)


def _load_database_source(source: str | Path, ruleset: str | None, as_of: str | None,
                          progress: Progress | None) -> Source:
    from .io.db.results import read_results
    from .io.db.url import parse_db_url

    target = parse_db_url(str(source))
    if progress:
        progress(f"读取数据库中的结果 {target.label} (reading results from the database) …")
    results = read_results(target)
    return _saved_source("database", target.label, target.label, results, ruleset, as_of, Path("out") / _REPORTS_DIR)


def _saved_source(kind: str, origin: str, path: Path | str, results, ruleset: str | None, as_of: str | None,
                  reports_dir: Path) -> Source:
    """Saved results (a file or a database): check the ruleset and date asked for, re-read their workspace."""
    from .rules import load_ruleset
    from .workspace import WORKSPACE_FILE, load_workspace

    info = results.info or {}
    saved_ruleset, saved_as_of = info.get("ruleset") or None, info.get("as_of") or None
    root = info.get("workspace")
    asked = []
    if ruleset is not None and saved_ruleset is not None and load_ruleset(ruleset).name != saved_ruleset:
        asked.append(f"规则集 {ruleset} (saved: {saved_ruleset})")
    if as_of is not None and saved_as_of is not None and _iso(as_of, path) != saved_as_of:
        asked.append(f"基准日 {as_of} (saved: {saved_as_of})")
    if asked:
        raise InputError(f"结果是按规则集 {saved_ruleset}、基准日 {saved_as_of} 计算的, 不能改为 {'、'.join(asked)}; "
                         f"请以工作空间为来源重新分析 (give the workspace{f' {root}' if root else ''} instead)", path)
    notes: list[str] = []
    ws = None
    if root and (Path(root) / WORKSPACE_FILE).is_file():
        try:  # buildings, parks and 三区三线 for maps; the results stand without them
            ws = load_workspace(root, ruleset=saved_ruleset, as_of=saved_as_of)
        except (GeoTenglongError, OSError, ValueError) as exc:
            notes.append(f"未能读取工作空间 {root} ({exc}); 地图不含建筑物和三区三线图层")
    elif root:
        notes.append(f"工作空间 {root} 已不在; 地图不含建筑物和三区三线图层")
    return Source(kind, origin, results, ws=ws, reports_dir=reports_dir, notes=notes)


def _iso(date: str, path: Path | str) -> str:
    import datetime as dt

    try:
        return dt.date.fromisoformat(str(date).strip()).isoformat()
    except ValueError:
        raise InputError(f"as-of date {date!r} is not YYYY-MM-DD", path) from None


#: Kinds of source, tried in order: (name, does this source look like it?, load it).
SOURCE_KINDS: list[tuple[str, Callable[[str | Path], bool], Callable[..., Source]]] = [
    ("database", _is_database, _load_database_source),
    ("workspace", _is_workspace, _load_workspace_source),
    ("results", _is_results, _load_results_source),
]


def load_source(source: str | Path, ruleset: str | None = None, as_of: str | None = None,
                progress: Progress | None = None) -> Source:
    """Results for the outputs, from saved results or a workspace.

    Parameters
    ----------
    source : str or Path
        A ``results.gpkg``, the output folder holding one, a ``postgresql://user@host:port/db?schema=…``
        URL of results written by ``run --out``, or a workspace folder.
    ruleset, as_of : str, optional
        Override ``workspace.toml`` for a workspace; for saved results they must be the ones the
        results were computed with.
    progress : callable, optional
        Called with a line (Chinese) before a long step (analysing a workspace).

    Returns
    -------
    Source

    Raises
    ------
    InputError
        When the source is none of these or cannot be read, or the ruleset or date asked for
        contradicts saved results.
    """
    for _name, matches, load in SOURCE_KINDS:
        if matches(source):
            return load(source, ruleset, as_of, progress)
    raise InputError("不是工作空间 (workspace.toml) 也不是结果文件 results.gpkg "
                     "(expected a workspace folder or a results.gpkg written by `run`)", source)
