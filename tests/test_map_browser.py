"""The briefing map in headless Chromium: offline, no errors, layers, search, popups, escaping.

Builds the map from the bundled sample county (``layers/``) when it is there, else from synthetic
results; blocks every non-local request and fails if any was attempted. The screenshots are saved
in pytest's tmp dir (the path is printed; run with ``-s`` to see it).
"""

from __future__ import annotations

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
    from geo_tenglong.webmap.synthetic import EVIL_NAME, synthetic_results, synthetic_workspace

    out = tmp_path_factory.mktemp("map") / "briefing.html"
    evil = EVIL_NAME
    if (SAMPLE / "workspace.toml").is_file():
        res = request.getfixturevalue("sample_results")  # conftest: the sample analysed once per session
        save_briefing_map(res, out)  # parks and 三区三线 come from the workspace named in res.info
        html = out.read_text(encoding="utf-8")
        evil = "<script>alert(1)</script>" if "\\u003cscript\\u003ealert(1)" in html else None
        print(f"sample map: {len(res.parcels)} parcels, {out.stat().st_size / 1e6:.2f} MB")
    else:
        res = synthetic_results(300)
        save_briefing_map(res, out, ws=synthetic_workspace(res))
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


@pytest.fixture
def page(browser, map_file):
    path, _ = map_file
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
    pg.wait_for_function("window.gtMap && window.gtMap.ready", timeout=60_000)
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
    from geo_tenglong.webmap.synthetic import origin, synthetic_results

    x0, y0 = origin()
    tif = tmp_path / "lc.tif"
    with rasterio.open(tif, "w", driver="GTiff", width=100, height=100, count=1, dtype="uint8", crs="EPSG:4528",
                       transform=from_origin(x0 - 50, y0 + 250, 4.0, 4.0), nodata=0) as dst:
        dst.write(np.repeat(np.arange(1, 5, dtype=np.uint8), 25)[None, :].repeat(100, axis=0), 1)
    res = synthetic_results(20)
    page = _open(browser, save_briefing_map(res, tmp_path / "lc.html", basemap=str(tif)))
    assert page.blocked == [] and page.errors == []
    assert page.locator("img.leaflet-image-layer").count() == 1
    assert "建设用地" in page.locator(".gt-legend").inner_text()
    page.close()
    page = _open(browser, save_briefing_map(res, tmp_path / "gaode.html", basemap="gaode-img"))
    assert page.errors == [] and page.blocked
    assert all(".is.autonavi.com/" in u for u in page.blocked), page.blocked[:3]
    page.close()
