"""The briefing web map (folium/Leaflet, one self-contained HTML file that works offline).

:func:`build_briefing_map`, :func:`render_briefing_html`, :func:`save_briefing_map` and the
pipeline output :func:`write_briefing_map` live in :mod:`.briefing`; basemaps in
:mod:`.basemaps`; layer styles in :mod:`.styles`; the WGS-84 → GCJ-02 shift in :mod:`.gcj02`;
:func:`~.links.report_file` (a parcel's report, named by the report module) in :mod:`.links`.
"""

from .briefing import build_briefing_map, render_briefing_html, save_briefing_map, write_briefing_map

__all__ = ["build_briefing_map", "render_briefing_html", "save_briefing_map", "write_briefing_map"]
