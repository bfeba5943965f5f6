"""The briefing map: one self-contained HTML file of reclaimable low-efficiency land.

Entry points. The data comes from :mod:`.payload` (results → JSON-able layers, legend counts,
summary, findings, labels), the page from :mod:`.render` (Jinja2 template, inlined Leaflet): the map
opens in a meeting room with no network; only an online basemap asked for fetches tiles.

The map renders a :class:`~geo_tenglong.results.Results` plus optional context layers (parks and
三区三线, which the results do not hold). It reads a workspace only through the object the caller
passes (``ws``: its ``layer(name)``, ``root`` and rasters, for context layers and basemaps); it never
loads a workspace or runs the analysis itself (the ``map`` command loads its source with
:func:`geo_tenglong.source.load_source`).

Public functions: :func:`render_briefing_html`, :func:`save_briefing_map`, :func:`write_briefing_map`
(the pipeline output) and :func:`context_layers`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd

from ..io.atomic import atomic_path, check_not_input, write_text_atomic
from .basemaps import Basemap, map_config, resolve_basemap
from .encode import COORD_SCALE, encode_column, encode_geometries
from .links import REPORTS_DIR, report_file
from .payload import CONTEXT_LAYERS, build_map, collect_layers, summary_payload
from .render import render_page
from .tiles import TILES_SUFFIX, use_tiles

__all__ = ["COORD_SCALE", "MAP_FILE", "Basemap", "collect_layers", "context_layers", "encode_column",
           "encode_geometries", "render_briefing_html", "report_file", "save_briefing_map", "summary_payload",
           "write_briefing_map"]

#: File name of the briefing map inside the maps folder.
MAP_FILE = "briefing.html"


def context_layers(ws: Any) -> dict[str, gpd.GeoDataFrame]:
    """The parks and 三区三线 layers of a workspace (those it has and that hold features).

    Parameters
    ----------
    ws : Workspace or None

    Returns
    -------
    dict
        Name (:data:`~.payload.CONTEXT_LAYERS`) → GeoDataFrame.
    """
    if ws is None:
        return {}
    out = {}
    for name in CONTEXT_LAYERS:
        layer = ws.layer(name)
        if layer is not None and len(layer):
            out[name] = layer
    return out


def _basemap(basemap: str | Basemap | None, ws: Any, gcj02: bool | None) -> Basemap | None:
    root = getattr(ws, "root", None)
    if basemap is None:
        basemap = map_config(root).get("basemap")
    if basemap is None or isinstance(basemap, Basemap):
        return basemap
    return resolve_basemap(basemap, ws=ws, workspace_root=root, gcj02=gcj02)


def render_briefing_html(results: Any, ws: Any = None, context: Mapping[str, gpd.GeoDataFrame] | None = None,
                         basemap: str | Basemap | None = None, map_path: str | Path | None = None,
                         reports_dir: str | Path | None = None, simplify: float | None = None,
                         gcj02: bool | None = None) -> str:
    """The briefing map as one HTML string.

    Parameters
    ----------
    results : Results
        What a run produced (``Results.read`` of a ``results.gpkg`` works too).
    ws : Workspace, optional
        The workspace the results came from: its parks and 三区三线 layers are drawn (unless
        ``context`` is given), its ``[map] basemap`` is the default basemap and ``landcover`` reads
        its rasters.
    context : mapping of str to GeoDataFrame, optional
        Context layers to draw instead of the workspace's (:data:`~.payload.CONTEXT_LAYERS`).
    basemap : str or Basemap, optional
        A spec for :func:`~geo_tenglong.webmap.basemaps.resolve_basemap`; default ``[map] basemap``
        of the workspace, else none (fully offline).
    map_path : str or Path, optional
        Where the HTML will be saved (report links are relative to it).
    reports_dir : str or Path, optional
        Folder of parcel reports (``<out>/reports``); a parcel links to its report when
        ``reports_dir / report_file(id)`` exists.
    simplify : float, optional
        Simplification tolerance in metres (shared edges kept); none by default.
    gcj02 : bool, optional
        Force the GCJ-02 shift for an XYZ basemap.

    Returns
    -------
    str
        The page with every feature inside (:func:`save_briefing_map` draws a big county's parcels
        from a tiles file instead).
    """
    payload, _ = build_map(results, context=context_layers(ws) if context is None else context,
                           basemap=_basemap(basemap, ws, gcj02), map_path=map_path, reports_dir=reports_dir,
                           simplify=simplify)
    return render_page(payload)


def tiles_path(path: str | Path) -> Path:
    """The tiles file beside the map at ``path`` (``briefing.html`` → ``briefing.pmtiles.js``)."""
    path = Path(path)
    return path.with_name(path.stem + TILES_SUFFIX)


def save_briefing_map(results: Any, path: str | Path, ws: Any = None, basemap: str | Basemap | None = None,
                      reports_dir: str | Path | None = None, simplify: float | None = None,
                      gcj02: bool | None = None, inputs: Iterable[Path] = (),
                      context: Mapping[str, gpd.GeoDataFrame] | None = None, tiles: bool | None = None) -> Path:
    """Render the briefing map and write it to ``path`` atomically.

    Above :data:`~.tiles.TILE_THRESHOLD` parcels the parcels are drawn from vector tiles written
    beside the page (:func:`tiles_path`; see :mod:`.tiles`): copy both files together.

    Parameters
    ----------
    results : Results
    path : str or Path
        The HTML file to write.
    ws, basemap, reports_dir, simplify, gcj02, context
        As :func:`render_briefing_html`.
    inputs : iterable of Path
        Input files that must not be overwritten.
    tiles : bool, optional
        Force (``True``) or refuse (``False``) the tiles; by default above the threshold.

    Returns
    -------
    Path
    """
    path = Path(path)
    check_not_input(path, inputs)
    sidecar = tiles_path(path)
    check_not_input(sidecar, inputs)  # written, or removed when stale
    tiled = use_tiles(len(results.parcels), tiles)
    payload, tileset = build_map(results, context=context_layers(ws) if context is None else context,
                                 basemap=_basemap(basemap, ws, gcj02), map_path=path, reports_dir=reports_dir,
                                 simplify=simplify, tiles_file=sidecar.name if tiled else None)
    if tileset is not None:
        with atomic_path(sidecar) as tmp, open(tmp, "w", encoding="ascii") as fh:
            tileset.write_script(fh)
    elif sidecar.is_file():  # a tiles file an earlier, bigger map left beside this one
        sidecar.unlink()
    write_text_atomic(path, render_page(payload, tiles_src=sidecar.name if tileset is not None else None))
    return path


def write_briefing_map(results: Any, out_dir: str | Path, maps_dir: str | Path | None, ws: Any) -> list[Path]:
    """Pipeline output: ``maps_dir/briefing.html``, linking to reports in ``out_dir/reports``.

    Returns an empty list when ``maps_dir`` is ``None`` (maps turned off).
    """
    if maps_dir is None:
        return []
    inputs = getattr(ws, "inputs", ()) if ws is not None else ()
    return [save_briefing_map(results, Path(maps_dir) / MAP_FILE, ws=ws, reports_dir=Path(out_dir) / REPORTS_DIR,
                              inputs=inputs)]
