"""The briefing map in headless Chromium: offline, no errors, layers, search, popups, escaping, and
the map on a projector (1280×720) and a large screen (1920×1080): panel sizes, popups clear of the
panels, metric scale, attribution without a flag, name labels, the search box's placeholder.

Builds the map from the bundled sample county (``layers/``) when it is there, else from the
schema-driven results of ``tests/map_results.py``; blocks every non-local request and fails if any
was attempted. The screenshots are saved in pytest's tmp dir (the path is printed; run with ``-s``
to see it).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SAMPLE = Path(__file__).resolve().parents[1] / "layers"

pytestmark = pytest.mark.browser


def _skip_reason() -> str | None:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        return "Debian chromium not installed (/usr/bin/chromium); .ci/run installs it"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Python playwright not installed (pip install '.[test]')"
    return None


@pytest.fixture(scope="module")
def map_file(tmp_path_factory, request):
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from geo_tenglong.webmap.briefing import save_briefing_map

    from map_results import EVIL_NAME, map_results, map_workspace

    out = tmp_path_factory.mktemp("map") / "briefing.html"
    evil = EVIL_NAME
    if (SAMPLE / "workspace.toml").is_file():
        from geo_tenglong.workspace import load_workspace

        res = request.getfixturevalue("sample_results")  # conftest: the sample analysed once per session
        save_briefing_map(res, out, ws=load_workspace(SAMPLE))  # parks and 三区三线 from the workspace
        html = out.read_text(encoding="utf-8")
        evil = "<script>alert(1)</script>" if "\\u003cscript\\u003ealert(1)" in html else None
        print(f"sample map: {len(res.parcels)} parcels, {out.stat().st_size / 1e6:.2f} MB")
    else:
        res = map_results(300)
        save_briefing_map(res, out, ws=map_workspace(res))
    return out, evil


@pytest.fixture(scope="module")
def browser():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
                              args=ARGS)
        yield b
        b.close()


def _open_offline(browser, path, ready: str):
    """A 1400×900 page of the map at ``path``: every request but file:/data:/blob: fails and is noted in
    ``pg.blocked`` (nothing leaves the machine), console errors in ``pg.errors``, dialogs dismissed
    into ``pg.dialogs``; returned once the JS expression ``ready`` holds."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, device_scale_factor=1)
    pg = ctx.new_page()
    pg.blocked, pg.errors, pg.dialogs = [], [], []

    def route(r):
        url = r.request.url
        if url.startswith(("file:", "data:", "blob:", "about:")):
            r.continue_()
        else:
            pg.blocked.append(url)
            r.abort()

    pg.route("**/*", route)
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))

    def on_dialog(d):
        pg.dialogs.append(d.message)
        d.dismiss()

    pg.on("dialog", on_dialog)
    pg.goto(path.as_uri())
    pg.wait_for_function(ready, timeout=60_000)
    return ctx, pg


@pytest.fixture
def page(browser, map_file):
    path, _ = map_file
    ctx, pg = _open_offline(browser, path, "window.gtMap && window.gtMap.ready")
    yield pg
    ctx.close()


def test_opens_offline_without_errors(page, tmp_path):
    page.wait_for_timeout(300)
    assert page.blocked == [], f"the page tried the network: {page.blocked[:5]}"
    assert page.errors == [], page.errors
    assert page.locator(".gt-summary").is_visible()
    assert page.locator(".gt-legend").is_visible()
    assert page.locator(".gt-bar").count() >= 1
    assert page.locator(".leaflet-control-layers").inner_text().count("宗地") >= 1
    shot = tmp_path / "briefing-map.png"
    page.screenshot(path=str(shot))
    print(f"screenshot: {shot}")


def test_switch_a_layer(page):
    visible = "gtMap.map.hasLayer(gtMap.layers.parcels.group)"
    assert page.evaluate(visible)
    if page.locator(".gt-legend .gt-toggle").inner_text() == "展开":  # compact below 1600×900
        page.locator(".gt-legend .gt-toggle").click()
    assert "宗地(亩均评价分类)" in page.locator(".gt-legend").inner_text()
    label = page.locator(".leaflet-control-layers-overlays label", has_text="宗地(亩均评价分类)")
    label.locator("input").click()
    assert not page.evaluate(visible)
    assert "宗地(亩均评价分类)" not in page.locator(".gt-legend").inner_text()
    label.locator("input").click()
    assert page.evaluate(visible)
    assert "A类 优先发展类" in page.locator(".gt-legend").inner_text() or "未参评" in page.locator(".gt-legend").inner_text()


def test_search_zooms_to_enterprise_and_opens_popup(page, map_file, tmp_path):
    _, evil = map_file
    if evil is None:
        pytest.skip("the sample has no enterprise named <script>…")
    page.fill(".gt-search input", "<script>")
    page.wait_for_selector(".gt-results li.gt-hit-item")
    first = page.locator(".gt-results li.gt-hit-item").first.inner_text()
    assert evil in first  # shown literally
    zoom_before = page.evaluate("gtMap.map.getZoom()")
    page.press(".gt-search input", "Enter")
    popup = page.wait_for_selector(".leaflet-popup-content .gt-popup", timeout=10_000)
    text = popup.inner_text()
    assert evil in text and "宗地代码" in text and "面积(亩)" in text
    assert page.evaluate("gtMap.map.getZoom()") >= zoom_before
    assert page.evaluate("document.querySelectorAll('.leaflet-popup-content script').length") == 0
    page.wait_for_timeout(300)
    assert page.dialogs == [], "a name from the data ran as script"
    assert page.errors == [] and page.blocked == []
    page.screenshot(path=str(tmp_path / "search-popup.png"))
    print(f"screenshot: {tmp_path / 'search-popup.png'}")


def test_click_a_parcel_shows_findings_with_clause(page):
    # the first parcel that has findings, clicked at its centre on screen
    xy = page.evaluate("""() => {
        for (const k in gtMap.layers) {  // only the parcels on the map
            const g = gtMap.layers[k].group;
            if (g && k !== "parcels" && gtMap.map.hasLayer(g)) gtMap.map.removeLayer(g);
        }
        const l = gtMap.layers.parcels;
        for (let i = 0; i < l.paths.length; i++) {
            const p = l.paths[i];
            if (!p) continue;
            gtMap.map.fitBounds(p.getBounds(), {maxZoom: 18, animate: false});
            const pt = gtMap.map.latLngToContainerPoint(p.getCenter());
            const r = gtMap.map.getContainer().getBoundingClientRect();
            return [pt.x + r.left, pt.y + r.top];
        }
    }""")
    page.wait_for_timeout(200)
    page.mouse.click(xy[0], xy[1])
    popup = page.wait_for_selector(".leaflet-popup-content .gt-popup", timeout=10_000)
    text = popup.inner_text()
    assert "宗地代码" in text and "面积(亩)" in text
    if "核查结论(" in text:
        assert "〔" in text  # rule id with its clause
    assert page.errors == []


def test_tooltip_is_text(page, map_file):
    _, evil = map_file
    if evil is None:
        pytest.skip("the sample has no enterprise named <script>…")
    page.fill(".gt-search input", "<script>")
    page.wait_for_selector(".gt-results li.gt-hit-item")
    page.locator(".gt-results li.gt-hit-item").first.click()
    page.wait_for_selector(".leaflet-popup-content .gt-popup")
    # hover the hit parcel: its tooltip shows the name as text
    page.evaluate("() => { gtMap.map.closePopup(); }")
    center = page.evaluate("""() => {
        const c = gtMap.map.getCenter(); const pt = gtMap.map.latLngToContainerPoint(c);
        const r = gtMap.map.getContainer().getBoundingClientRect(); return [pt.x + r.left, pt.y + r.top];
    }""")
    page.mouse.move(center[0], center[1])
    page.mouse.move(center[0] + 2, center[1] + 2)
    tip = page.locator(".leaflet-tooltip")
    if tip.count():
        assert "<script" not in tip.first.inner_html()
    assert page.dialogs == []


def _open(browser, path):
    pg = browser.new_page(viewport={"width": 1000, "height": 700})
    pg.blocked, pg.errors = [], []

    def route(r):
        url = r.request.url
        if url.startswith(("file:", "data:")):
            r.continue_()
        else:
            pg.blocked.append(url)
            r.abort()

    pg.route("**/*", route)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.goto(path.as_uri())
    pg.wait_for_function("window.gtMap && window.gtMap.ready", timeout=60_000)
    pg.wait_for_timeout(500)
    return pg


def test_geotiff_basemap_is_offline_and_online_basemaps_only_fetch_tiles(browser, tmp_path):
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    from geo_tenglong.webmap.briefing import save_briefing_map

    from map_results import map_results, origin

    x0, y0 = origin()
    tif = tmp_path / "lc.tif"
    with rasterio.open(tif, "w", driver="GTiff", width=100, height=100, count=1, dtype="uint8", crs="EPSG:4528",
                       transform=from_origin(x0 - 50, y0 + 250, 4.0, 4.0), nodata=0) as dst:
        dst.write(np.repeat(np.arange(1, 5, dtype=np.uint8), 25)[None, :].repeat(100, axis=0), 1)
    res = map_results(20)
    page = _open(browser, save_briefing_map(res, tmp_path / "lc.html", basemap=str(tif)))
    assert page.blocked == [] and page.errors == []
    assert page.locator("img.leaflet-image-layer").count() == 1
    page.locator(".gt-legend .gt-toggle").click()  # compact at 1000×700: open the legend
    assert "建设用地" in page.locator(".gt-legend").inner_text()
    page.close()
    page = _open(browser, save_briefing_map(res, tmp_path / "gaode.html", basemap="gaode-img"))
    assert page.errors == [] and page.blocked
    assert all(".is.autonavi.com/" in u for u in page.blocked), page.blocked[:3]
    page.close()


# ------------------------------------------------------------------------------ projector and large screen

SCREENS = [(1280, 720), (1920, 1080)]

_PANELS_JS = """() => {
    const r = gtMap.map.getContainer().getBoundingClientRect();
    const box = (sel) => { const e = document.querySelector(sel); if (!e) return null;
        const b = e.getBoundingClientRect(); return [b.left - r.left, b.top - r.top, b.right - r.left, b.bottom - r.top]; };
    return {map: [r.width, r.height], summary: box('.gt-summary'), legend: box('.gt-legend'),
            layers: box('.leaflet-control-layers'), search: box('.gt-search'), zoom: box('.leaflet-control-zoom'),
            scale: box('.leaflet-control-scale'), attribution: box('.leaflet-control-attribution')};
}"""


def _area(b):
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def _overlap(a, b):
    return _area([max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])]) if a and b else 0.0


def _screen_page(browser, map_file, size):
    path, _ = map_file
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]}, device_scale_factor=1)
    pg = ctx.new_page()
    pg.blocked, pg.errors = [], []

    def route(r):
        if r.request.url.startswith(("file:", "data:", "blob:", "about:")):
            r.continue_()
        else:
            pg.blocked.append(r.request.url)
            r.abort()

    pg.route("**/*", route)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.goto(path.as_uri())
    pg.wait_for_function("window.gtMap && window.gtMap.ready", timeout=60_000)
    pg.wait_for_timeout(300)
    return ctx, pg


def _panels_within_a_third(boxes):
    w, h = boxes["map"]
    panels = [boxes[k] for k in ("summary", "legend", "layers", "search")]
    share = sum(_area(b) for b in panels) / (w * h)
    assert share <= 1 / 3, f"panels cover {share:.1%} of the map"
    for i, a in enumerate(panels):  # and never sit on each other
        for b in panels[i + 1:]:
            assert _overlap(a, b) == 0.0, (a, b)
    return share


@pytest.mark.parametrize("size", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_panels_are_compact_and_popups_clear_them(browser, map_file, size, tmp_path):
    ctx, pg = _screen_page(browser, map_file, size)
    try:
        compact = pg.evaluate("gtMap.compact")
        assert compact == (size[0] < 1600)  # a projector starts compact, a large screen open
        boxes = pg.evaluate(_PANELS_JS)
        share = _panels_within_a_third(boxes)
        print(f"{size}: panels cover {share:.1%} of the map at start")
        pg.screenshot(path=str(tmp_path / f"start-{size[0]}.png"))
        if compact:
            assert boxes["summary"][3] - boxes["summary"][1] < 90 and boxes["legend"][3] - boxes["legend"][1] < 60
            assert "可腾退低效工业用地" in pg.locator(".gt-summary").inner_text()  # the headline stays visible
        # worst case: both panels open
        for sel in (".gt-summary .gt-toggle", ".gt-legend .gt-toggle"):
            if pg.locator(sel).inner_text() == "展开":
                pg.locator(sel).click()
        pg.wait_for_timeout(200)
        boxes = pg.evaluate(_PANELS_JS)
        share = _panels_within_a_third(boxes)
        print(f"{size}: panels cover {share:.1%} of the map with both open")
        # a popup opened right beside each side's panels pans clear of every panel
        for side in ("left", "right"):
            box = pg.evaluate(_open_popup_beside_js(side))
            assert box is not None, f"no parcel popup opened beside the {side} panels"
            pg.wait_for_timeout(700)  # the auto-pan animation
            popup = pg.evaluate("""() => { const r = gtMap.map.getContainer().getBoundingClientRect();
                const b = document.querySelector('.leaflet-popup-content-wrapper').getBoundingClientRect();
                return [b.left - r.left, b.top - r.top, b.right - r.left, b.bottom - r.top]; }""")
            boxes = pg.evaluate(_PANELS_JS)
            for k in ("summary", "legend", "layers", "search", "zoom"):
                assert _overlap(popup, boxes[k]) == 0.0, f"{side}: popup {popup} under the {k} panel {boxes[k]}"
            assert popup[0] >= 0 and popup[2] <= boxes["map"][0] and popup[1] >= 0 and popup[3] <= boxes["map"][1]
            pg.screenshot(path=str(tmp_path / f"popup-{side}-{size[0]}.png"))
            pg.evaluate("() => { gtMap.map.closePopup(); }")
        print(f"screenshots: {tmp_path}")
        assert pg.errors == [] and pg.blocked == []
    finally:
        ctx.close()


def _open_popup_beside_js(side):
    """Move a parcel just beside the panels of ``side`` and click it; the popup's box or null."""
    return """async () => {
        const side = "__SIDE__", map = gtMap.map, l = gtMap.layers.parcels, c = map.getContainer();
        const r = c.getBoundingClientRect();
        const boxes = gtMap.panelBoxes(), w = c.clientWidth, h = c.clientHeight;
        let edge = side === "left" ? 0 : w;
        let top = h;
        boxes.forEach(b => { if (side === "left" && b.left < w / 2) { edge = Math.max(edge, b.right); top = Math.min(top, b.top); }
                             if (side === "right" && b.left >= w / 2) { edge = Math.min(edge, b.left); top = Math.min(top, b.top); } });
        const target = L.point(side === "left" ? edge + 6 : edge - 6, Math.max(120, h * 0.55));
        for (let i = 0; i < l.paths.length; i += 7) {
            const p = l.paths[i];
            if (!p) continue;
            map.setView(p.getCenter(), 17, {animate: false});
            const at = map.latLngToContainerPoint(p.getCenter());
            map.panBy(at.subtract(target), {animate: false});
            const pt = map.latLngToContainerPoint(p.getCenter());
            const hit = document.elementFromPoint(pt.x + r.left, pt.y + r.top);
            if (!hit || !hit.closest('.leaflet-map-pane')) continue;  // under a control
            const opened = new Promise(res => { map.once('popupopen', () => res(true)); setTimeout(() => res(false), 1500); });
            const opts = {bubbles: true, cancelable: true, clientX: pt.x + r.left, clientY: pt.y + r.top, button: 0};
            hit.dispatchEvent(new MouseEvent('mousedown', opts));
            hit.dispatchEvent(new MouseEvent('mouseup', opts));
            hit.dispatchEvent(new MouseEvent('click', opts));
            if (await opened) return [pt.x, pt.y];
        }
        return null;
    }""".replace("__SIDE__", side)


@pytest.mark.parametrize("size", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_scale_attribution_labels_and_placeholder(browser, map_file, size, tmp_path):
    ctx, pg = _screen_page(browser, map_file, size)
    try:
        # metric scale only
        assert pg.locator(".leaflet-control-scale-line").count() == 1
        assert re.fullmatch(r"\d+ k?m", pg.locator(".leaflet-control-scale-line").inner_text().strip())
        # attribution: plain text, no flag (Leaflet 1.9's prefix is an <svg> Ukrainian flag)
        attr = pg.locator(".leaflet-control-attribution")
        assert attr.inner_text().strip() == "Leaflet" and "<svg" not in attr.inner_html()
        # the search box's placeholder fits inside the box
        fits = pg.evaluate("""() => { const i = document.querySelector('.gt-search input'), cs = getComputedStyle(i);
            const ctx = document.createElement('canvas').getContext('2d'); ctx.font = cs.font;
            const inner = i.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
            return [ctx.measureText(i.placeholder).width, inner]; }""")
        assert fits[0] <= fits[1], f"placeholder {fits[0]:.0f}px in a {fits[1]:.0f}px box"
        # name labels: townships at the overview, parks once zoomed in; text, never markup
        zoom = pg.evaluate("gtMap.map.getZoom()")
        pg.evaluate("() => { gtMap.map.setZoom(12, {animate: false}); }")
        pg.wait_for_timeout(200)
        towns = pg.locator(".gt-label-township .gt-label-text")
        assert towns.count() >= 1 and towns.first.is_visible()
        assert pg.locator(".gt-label-park").count() == 0
        for z in (13, 14):  # where labels show, no two cover each other
            pg.evaluate(f"() => {{ gtMap.map.setZoom({z}, {{animate: false}}); }}")
            pg.wait_for_timeout(200)
            boxes = pg.evaluate("""() => [...document.querySelectorAll('.gt-label-text')].map(e => {
                const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; })""")
            assert boxes
            for i, a in enumerate(boxes):
                for b in boxes[i + 1:]:
                    assert _overlap(a, b) == 0.0, (z, a, b)
            if z == 14:  # both kinds where there is room
                assert pg.locator(".gt-label-park").count() >= 1 and pg.locator(".gt-label-township").count() >= 1
        pg.evaluate("() => { gtMap.map.setZoom(15, {animate: false}); }")
        pg.wait_for_timeout(200)
        assert pg.locator(".gt-label-township").count() == 0
        assert pg.evaluate("document.querySelectorAll('.gt-label script, .gt-label b').length") == 0
        pg.evaluate(f"() => {{ gtMap.map.setZoom({zoom}, {{animate: false}}); }}")
        pg.wait_for_timeout(200)
        pg.screenshot(path=str(tmp_path / f"labels-{size[0]}.png"))
        print(f"screenshot: {tmp_path / f'labels-{size[0]}.png'}")
        assert pg.errors == [] and pg.blocked == []
    finally:
        ctx.close()


def test_search_finds_a_tenant(page):
    # a tenant (一地多企) found by name: the hit names the parcel and which enterprise matched
    tenant = page.evaluate("""() => { const l = gtMap.layers.parcels;
        for (let i = 0; i < l.d.n; i++) { const t = l.get(i, '_tenants'); const h = l.get(i, '_name');
            if (t) { const other = t.split('、').find(x => x !== h); if (other) return [other, i]; } }
        return null; }""")
    if tenant is None:
        pytest.skip("no parcel with several enterprises")
    name, _ = tenant
    page.fill(".gt-search input", name)
    page.wait_for_selector(".gt-results li.gt-hit-item")
    texts = page.locator(".gt-results li.gt-hit-item").all_inner_texts()
    assert any(name in t for t in texts), texts
    assert any("入驻企业 " + name in t for t in texts) or any(t.startswith(name) for t in texts)


# ------------------------------------------------------------------------------ parcels as vector tiles

_PAINTED_JS = """(pane) => { let n = 0, all = 0;
    document.querySelectorAll('.leaflet-' + pane + '-pane canvas.leaflet-tile').forEach(c => {
        if (!c.width) return;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        all += d.length / 4;
        for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
    });
    return [n, all]; }"""


@pytest.fixture(scope="module")
def tiled_map(tmp_path_factory):
    """A map forced onto the tile path (the threshold is 50,000 parcels), with one parcel's report."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from geo_tenglong.webmap.briefing import save_briefing_map, tiles_path
    from geo_tenglong.webmap.links import report_file

    from map_results import map_results, map_workspace

    res = map_results(300)
    out = tmp_path_factory.mktemp("tiled")
    (out / "reports").mkdir()
    pid = str(res.parcels["parcel_id"].iloc[40])
    (out / "reports" / report_file(pid)).write_text("<html></html>", encoding="utf-8")
    from geo_tenglong.webmap import tiles

    with pytest.MonkeyPatch.context() as mp:  # small pieces: tile reads cross the pieces' ends
        mp.setattr(tiles, "CHUNK_BYTES", 3 * 500)
        path = save_briefing_map(res, out / "maps" / "briefing.html", ws=map_workspace(res),
                                 reports_dir=out / "reports", tiles=True)
    assert tiles_path(path).read_text(encoding="ascii").count('","') > 10
    return path, pid, report_file(pid)


def _tiled_page(browser, path):
    ctx, pg = _open_offline(browser, path, "window.gtMap && window.gtMap.ready && gtMap.layers.parcels.loaded")
    pg.wait_for_timeout(300)
    return ctx, pg


def _go_to_parcel(pg, path, pid):
    """Centre the parcel ``pid`` (its point in the tiles file's search index) at zoom 17; its screen point."""
    import base64
    import gzip

    from geo_tenglong.webmap.briefing import tiles_path

    search = re.search(r',"([A-Za-z0-9+/=]*)"\);\n$', tiles_path(path).read_text(encoding="ascii")).group(1)
    lines = gzip.decompress(base64.b64decode(search)).decode("utf-8").split("\n")
    xy = next(line for line in lines if line.split("\u0001")[2] == pid).split("\t")[0]
    pt = pg.evaluate("""(xy) => { xy = xy.split(',').map(Number);
        const ll = L.latLng(xy[1] / 1e6, xy[0] / 1e6);
        gtMap.map.setView(ll, 17, {animate: false});
        const p = gtMap.map.latLngToContainerPoint(ll), r = gtMap.map.getContainer().getBoundingClientRect();
        return [p.x + r.left, p.y + r.top]; }""", xy)
    pg.wait_for_function("gtMap.layers.parcels.loaded >= 2", timeout=30_000)
    pg.wait_for_timeout(300)
    return pt


def test_tiled_parcels_are_drawn_offline_and_switch_off(browser, tiled_map, tmp_path):
    path, _, _ = tiled_map
    ctx, pg = _tiled_page(browser, path)
    try:
        assert pg.evaluate("gtMap.tiled.length") == 2  # parcels and 可腾退
        painted, total = pg.evaluate(_PAINTED_JS, "gt-tiles")
        assert total and painted / total > 0.1, (painted, total)
        focus, _ = pg.evaluate(_PAINTED_JS, "gt-tiles-focus")
        assert 0 < focus < painted  # the 可腾退 parcels: a subset
        pg.screenshot(path=str(tmp_path / "tiled.png"))
        print(f"screenshot: {tmp_path / 'tiled.png'}")
        # the layer switcher turns the tiled layers off and on
        label = pg.locator(".leaflet-control-layers-overlays label", has_text="可腾退低效工业用地")
        label.locator("input").click()
        assert pg.evaluate(_PAINTED_JS, "gt-tiles-focus")[0] == 0
        label.locator("input").click()
        pg.wait_for_timeout(500)
        assert pg.evaluate(_PAINTED_JS, "gt-tiles-focus")[0] > 0
        if pg.locator(".gt-legend .gt-toggle").inner_text() == "展开":
            pg.locator(".gt-legend .gt-toggle").click()
        assert "宗地(亩均评价分类)" in pg.locator(".gt-legend").inner_text()
        assert pg.blocked == [], f"the page tried the network: {pg.blocked[:5]}"
        assert pg.errors == [], pg.errors
    finally:
        ctx.close()


def test_tiled_popup_has_fields_findings_and_report_link(browser, tiled_map):
    path, pid, report = tiled_map
    ctx, pg = _tiled_page(browser, path)
    try:
        x, y = _go_to_parcel(pg, path, pid)
        pg.mouse.click(x, y)
        popup = pg.wait_for_selector(".leaflet-popup-content .gt-popup", timeout=10_000)
        text = popup.inner_text()
        assert pid in text and "宗地代码" in text and "面积(亩)" in text
        assert "核查结论(" in text and "〔" in text  # findings with their clause, from the tile
        link = pg.locator(".leaflet-popup-content a.gt-report")
        assert link.get_attribute("href") == "../reports/" + report
        assert pg.errors == [] and pg.blocked == []
    finally:
        ctx.close()


def test_tiled_search_finds_a_parcel_and_shows_names_as_text(browser, tiled_map):
    from map_results import EVIL_NAME

    path, _, _ = tiled_map
    ctx, pg = _tiled_page(browser, path)
    try:
        pg.fill(".gt-search input", "<script>")
        pg.wait_for_selector(".gt-results li.gt-hit-item")
        assert EVIL_NAME in pg.locator(".gt-results li.gt-hit-item").first.inner_text()
        pg.press(".gt-search input", "Enter")
        popup = pg.wait_for_selector(".leaflet-popup-content .gt-popup", timeout=15_000)
        assert EVIL_NAME in popup.inner_text()
        assert pg.evaluate("document.querySelectorAll('.leaflet-popup-content script').length") == 0
        pg.wait_for_timeout(300)
        assert pg.dialogs == [] and pg.errors == [] and pg.blocked == []
    finally:
        ctx.close()


def test_missing_tiles_file_is_said_on_the_map(browser, tiled_map, tmp_path):
    import shutil as sh

    path, _, _ = tiled_map
    lone = tmp_path / "briefing.html"
    sh.copy(path, lone)  # the page without its tiles file
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = ctx.new_page()
    try:
        pg.goto(lone.as_uri())
        pg.wait_for_function("window.gtMap && window.gtMap.ready", timeout=60_000)
        assert "未找到宗地瓦片文件 briefing.pmtiles.js" in pg.locator(".gt-missing").inner_text()
    finally:
        ctx.close()
