"""The briefing map's page: a payload (:mod:`.payload`) → one self-contained HTML document.

The page is rendered from a Jinja2 template (``templates/briefing.html``, autoescape on) rather than
through folium: the map needs its own data encoding, canvas drawing, popups, panels and search
(``static/briefing.js``), which folium could only carry by subclassing its elements and injecting raw
scripts. Here every text from the data reaches the page either escaped by Jinja (the title) or as
JSON inside ``<script type="application/json">`` with ``<``, ``>`` and ``&`` escaped
(:func:`~.encode.json_for_script`); the script sets it with ``textContent`` only. Leaflet 1.9.4 and
the map's own script and stylesheet are inlined (:mod:`.assets`), so the page fetches nothing.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from . import assets
from .encode import json_for_script

TEMPLATE = "briefing.html"


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("geo_tenglong.webmap", "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def render_page(payload: dict[str, Any], tiles_src: str | None = None) -> str:
    """The HTML page of a briefing-map payload.

    Parameters
    ----------
    payload : dict
        From :func:`~geo_tenglong.webmap.payload.build_map`.
    tiles_src : str, optional
        The tiles file beside the page (:mod:`.tiles`): the page then also inlines pmtiles and
        protomaps-leaflet and loads the file with a ``<script src>``.

    Returns
    -------
    str
        One HTML document (inlined Leaflet, script, stylesheet and data; with ``tiles_src`` it
        needs that file beside it).
    """
    template = _environment().get_template(TEMPLATE)
    # assets are checked by assets._safe_inline (no closing tag inside); the data by json_for_script
    tile_js = [Markup(assets.pmtiles_js()), Markup(assets.protomaps_js())] if tiles_src else []
    return template.render(title=payload["summary"]["title"], run_id=payload["summary"].get("run_id"),
                           leaflet_css=Markup(assets.leaflet_css()), briefing_css=Markup(assets.briefing_css()),
                           leaflet_js=Markup(assets.leaflet_js()), briefing_js=Markup(assets.briefing_js()),
                           tile_js=tile_js, tiles_src=quote(tiles_src) if tiles_src else None, data_json=Markup(json_for_script(payload)))
