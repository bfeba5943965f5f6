"""The briefing web map (Leaflet, one self-contained HTML file that works offline).

:mod:`.payload` turns a run's results (and context layers) into the page's data, :mod:`.render`
the data into the page (Jinja2 template, inlined Leaflet and ``static/briefing.js``);
:func:`render_briefing_html`, :func:`save_briefing_map` and the pipeline output
:func:`write_briefing_map` live in :mod:`.briefing`; basemaps in :mod:`.basemaps`; layer styles in
:mod:`.styles`; the encodings in :mod:`.encode`; the WGS-84 → GCJ-02 shift in :mod:`.gcj02`;
:func:`~.links.report_file` (a parcel's report, named by the report module) in :mod:`.links`.
Above :data:`~.tiles.TILE_THRESHOLD` parcels the parcels are vector tiles in a file beside the page
(:mod:`.tiles`), drawn by the inlined protomaps-leaflet.
"""

from .briefing import render_briefing_html, save_briefing_map, write_briefing_map

__all__ = ["render_briefing_html", "save_briefing_map", "write_briefing_map"]
