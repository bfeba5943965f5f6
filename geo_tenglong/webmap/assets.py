"""The JavaScript and CSS the briefing map needs, inlined so the saved page fetches nothing.

Leaflet 1.9.4 (BSD-2-Clause, ``static/LEAFLET-LICENSE.txt``) is vendored from the npm package
``leaflet`` (``dist/leaflet.js``, ``dist/leaflet.css`` and the images the CSS refers to, which are
turned into data URIs here). ``static/briefing.js`` and ``static/briefing.css`` are the map's own
code: the map, layers built from the embedded data, popups, legend, summary, labels and search.
:mod:`.render` puts them into the page.

A map whose parcels are vector tiles (:mod:`.tiles`) also inlines protomaps-leaflet 5.1.0 (the
maintained Leaflet layer for PMTiles vector tiles, drawn on canvas; npm ``protomaps-leaflet``,
``dist/protomaps-leaflet.js``, BSD-3-Clause, ``static/PROTOMAPS-LEAFLET-LICENSE.txt``) and pmtiles
4.5.0 (the archive reader it is given a source through; npm ``pmtiles``, ``dist/pmtiles.js``,
BSD-3-Clause, ``static/PMTILES-LICENSE.txt``). Leaflet.VectorGrid was the alternative; its last
release is from 2017.
"""

from __future__ import annotations

import base64
import functools
import re
from importlib import resources

LEAFLET_VERSION = "1.9.4"
PROTOMAPS_LEAFLET_VERSION = "5.1.0"
PMTILES_JS_VERSION = "4.5.0"


def _static(name: str) -> bytes:
    return resources.files(__package__).joinpath("static", name).read_bytes()


def _data_uri(name: str, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(_static(name)).decode('ascii')}"


def _safe_inline(text: str, what: str) -> str:
    """Refuse code that would end its ``<script>``/``<style>`` element early."""
    if re.search(r"</(script|style)", text, re.IGNORECASE) or "<!--" in text:
        raise ValueError(f"{what} cannot be inlined: it contains a closing tag or comment opener")
    return text


@functools.lru_cache(maxsize=1)
def leaflet_css() -> str:
    """Leaflet's stylesheet with its images as data URIs."""
    css = _static("leaflet.css").decode("utf-8")
    for img in ("layers-2x.png", "layers.png", "marker-icon.png"):
        css = css.replace(f"url(images/{img})", f"url({_data_uri(img)})")
    if re.search(r"url\((?!data:|#default#VML)", css):
        raise ValueError("leaflet.css still refers to an external file")
    return _safe_inline(css, "leaflet.css")


@functools.lru_cache(maxsize=1)
def leaflet_js() -> str:
    """Leaflet's JavaScript (minified)."""
    return _safe_inline(_static("leaflet.js").decode("utf-8"), "leaflet.js")


def _without_source_map(text: str) -> str:
    """Drop a bundle's ``//# sourceMappingURL=`` line (the map file is not shipped)."""
    return re.sub(r"\n//# sourceMappingURL=\S*\s*$", "\n", text)


@functools.lru_cache(maxsize=1)
def protomaps_js() -> str:
    """protomaps-leaflet (global ``protomapsL``), for parcels drawn from vector tiles."""
    return _safe_inline(_without_source_map(_static("protomaps-leaflet.js").decode("utf-8")), "protomaps-leaflet.js")


@functools.lru_cache(maxsize=1)
def pmtiles_js() -> str:
    """The PMTiles reader (global ``pmtiles``)."""
    return _safe_inline(_without_source_map(_static("pmtiles.js").decode("utf-8")), "pmtiles.js")


@functools.lru_cache(maxsize=1)
def briefing_js() -> str:
    """The map's own script (defines ``gtBriefing``)."""
    return _safe_inline(_static("briefing.js").decode("utf-8"), "briefing.js")


@functools.lru_cache(maxsize=1)
def briefing_css() -> str:
    """The map's own stylesheet (panels, legend, search, popups)."""
    return _safe_inline(_static("briefing.css").decode("utf-8"), "briefing.css")
