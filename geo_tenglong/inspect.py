"""``geo-tenglong inspect``: read a workspace without analysing it, and say what it holds.

:func:`inspect_workspace` loads the workspace (every reader check applies), then reports per
layer and table: rows, the source CRS, the mapping source field → field, the known fields it
lacks and the fields nobody knows; and the coverage (:mod:`geo_tenglong.coverage`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from .coverage import Coverage, compute_coverage
from .io.schema import DOC_FIELDS, LAYERS, TABLES
from .workspace import Workspace, load_workspace, read_config

_INTERNAL = {"source_row", "source_sheet", "geometry"}


@dataclasses.dataclass
class SourceReport:
    """One layer or table as read.

    Attributes
    ----------
    name, label : str
        Workspace name (``parcels``) and Chinese label (宗地).
    kind : str
        ``layer`` or ``table``.
    path : str
        The file, with ``#layer`` or ``#sheet`` when given.
    rows : int
    crs : str or None
        The CRS of the file (layers are brought to the workspace CRS when read).
    mapping : dict
        Source field → field, for the fields renamed.
    missing : list of str
        Fields a layer or table of this kind may hold (docs/workspace.md) that it lacks.
    unknown : list of str
        Source fields that map to no known field (kept under their own name).
    """

    name: str
    label: str
    kind: str
    path: str
    rows: int
    crs: str | None
    mapping: dict[str, str]
    missing: list[str]
    unknown: list[str]


@dataclasses.dataclass
class Inspection:
    """What :func:`inspect_workspace` found."""

    root: str
    county: str
    ruleset: str
    as_of: str
    crs: str
    sources: list[SourceReport]
    coverage: Coverage
    data_issues: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``coverage.problems`` included)."""
        out = dataclasses.asdict(self)
        out["problems"] = self.coverage.problems()
        out["notes"] = self.coverage.notes()
        return out


def _source_crs(path: Path, layer: str | None) -> str | None:
    try:
        if path.suffix.lower() in {".parquet", ".geoparquet"}:
            import pyarrow.parquet as pq

            meta = pq.read_schema(path).metadata or {}
            return "GeoParquet" if b"geo" in meta else None
        import pyogrio

        crs = pyogrio.read_info(path, layer=layer)["crs"]
        return str(crs) if crs else None
    except Exception:  # noqa: BLE001 - only informative; the layer itself was read
        return None


def _report(name: str, kind: str, df, entry, root: Path, standards) -> SourceReport:
    src = {"path": entry} if isinstance(entry, str) else dict(entry)
    where = src.get("layer") or src.get("sheet")
    if "db" in src:  # a PostGIS table or query (its URL holds no password: the load refused one)
        path, shown = None, f"{src['db']} " + (f"table {src['table']}" if "table" in src else "sql")
    else:
        path = (root / src["path"]).resolve()
        shown = f"{src['path']}" + (f"#{where}" if where else "")
    fields = df.attrs.get("source_fields", {})
    mapping = {s: f for s, f in fields.items() if s != f}
    doc = DOC_FIELDS.get(name, set())
    schema = LAYERS.get(name) or TABLES[name]
    known = doc | set(schema.required) | set(schema.numeric) | set(schema.boolean) | set(schema.text) \
        | set(standards.field_map(name).values())
    cols = [c for c in df.columns if c not in _INTERNAL and c != getattr(df, "_geometry_column_name", None)]
    return SourceReport(
        name=name, label=schema.label, kind=kind, path=shown,
        rows=len(df), crs=_source_crs(path, src.get("layer")) if kind == "layer" and path else None, mapping=mapping,
        missing=sorted(doc - set(df.columns)), unknown=[c for c in cols if c not in known])


def inspect_loaded(ws: Workspace) -> Inspection:
    """Inspect an already loaded workspace (see :func:`inspect_workspace`)."""
    cfg = read_config(ws.root)
    sources = [_report(n, "layer", ws.layers[n], cfg["layers"][n], ws.root, ws.standards) for n in ws.layers]
    sources += [_report(n, "table", ws.tables[n], cfg["tables"][n], ws.root, ws.standards) for n in ws.tables]
    epsg = ws.crs.to_epsg()
    return Inspection(root=str(ws.root), county=ws.county, ruleset=ws.ruleset.name, as_of=ws.as_of.isoformat(),
                      crs=f"EPSG:{epsg}" if epsg else ws.crs.name, sources=sources, coverage=compute_coverage(ws),
                      data_issues=len(ws.data_issues))


def inspect_workspace(path: str | Path, ruleset: str | Path | None = None, as_of: str | None = None) -> Inspection:
    """Read a workspace and report what it holds, without analysing it.

    Parameters
    ----------
    path : str or Path
        The workspace folder.
    ruleset, as_of : optional
        Override the workspace's, as for ``run``. Without an as-of date anywhere, today's is used
        (nothing here depends on it).

    Returns
    -------
    Inspection

    Raises
    ------
    InputError
        For anything the readers reject (naming the file and the row, feature or key).
    """
    if as_of is None and "as_of" not in read_config(Path(path).resolve()).get("workspace", {}):
        as_of = dt.date.today().isoformat()     # inspect needs no as-of date; the report says which was used
    return inspect_loaded(load_workspace(path, ruleset=ruleset, as_of=as_of))
