"""Benchmark the briefing map: HTML size, build time and time until Chromium has drawn the page.

    python scripts/bench_map.py                 # 10,000 and 50,000 synthetic parcels
    python scripts/bench_map.py 1500 10000      # other sizes

Parcels are generated (``tests/map_results.py``: 8-vertex outlines on a grid near 天台, every
column the results schema declares for the map's layers, ~1.1 findings per parcel). "build" is render + write of the HTML; "drawn"
is from navigation start until the page's script has built every layer and the next animation
frame has painted the canvas (headless Debian chromium, 1400×900); "popup" is the time from a
click reaching the map to the parcel's popup being open (hit test on the canvas + building the
popup from the property table). Prints a Markdown table.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # map_results: the tests' generator

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def measure_browser(path: Path) -> tuple[float, float, float]:
    """(ms until drawn, ms for a popup, JS heap MB) for the page at ``path``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        blocked = []
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
                   else (blocked.append(r.request.url), r.abort()))
        page.goto(path.as_uri(), timeout=300_000)
        page.wait_for_function("window.gtMap && window.gtMap.ready", timeout=300_000)
        timing = page.evaluate("gtMap.timing")
        print(f"    page script: JSON.parse {timing['parse']} ms, layers {timing['layers']} ms, "
              f"all {timing['total']} ms", file=sys.stderr)
        drawn = page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame("
                              "() => r(performance.now()))))")
        xy = page.evaluate("""() => {
            const l = gtMap.layers.parcels, p = l.paths[Math.floor(l.paths.length / 2)];
            gtMap.map.setView(p.getCenter(), 17, {animate: false});
            const pt = gtMap.map.latLngToContainerPoint(p.getCenter());
            return [pt.x, pt.y];
        }""")
        page.wait_for_timeout(500)
        page.evaluate("() => { window._t = []; gtMap.map.on('popupopen', () => window._t.push(performance.now())); "
                      "gtMap.map.getContainer().addEventListener('click', () => window._t.push(performance.now()), "
                      "true); }")
        page.mouse.click(xy[0], xy[1])
        page.wait_for_selector(".leaflet-popup-content .gt-popup", timeout=60_000)
        t = page.evaluate("window._t")
        popup = t[1] - t[0]  # from the click reaching the map to the popup being open
        heap = page.evaluate("() => performance.memory ? performance.memory.usedJSHeapSize / 1e6 : -1")
        browser.close()
        if blocked:
            raise SystemExit(f"the page tried the network: {blocked[:3]}")
        return drawn, popup, heap


def main(sizes: list[int]) -> None:
    from geo_tenglong.webmap.briefing import save_briefing_map

    from map_results import map_results, map_workspace

    rows = []
    cpu0 = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            res = map_results(n)
            ws = map_workspace(res)
            path = Path(tmp) / f"briefing-{n}.html"
            t0, c0 = time.perf_counter(), time.process_time()
            save_briefing_map(res, path, ws=ws)
            build, build_cpu = time.perf_counter() - t0, time.process_time() - c0
            size = path.stat().st_size / 1e6
            drawn, popup, heap = measure_browser(path) if Path(CHROMIUM).exists() else (float("nan"),) * 3
            rows.append((n, len(res.findings), size, build, build_cpu, drawn, popup, heap))
            print(f"  {n} parcels done", file=sys.stderr)
    print("| parcels | findings | HTML MB | build wall s | build CPU s | drawn in Chromium s | popup ms | JS heap MB |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n, nf, size, build, build_cpu, drawn, popup, heap in rows:
        print(f"| {n:,} | {nf:,} | {size:.1f} | {build:.1f} | {build_cpu:.1f} | {drawn / 1000:.1f} | {popup:.0f} | "
              f"{heap:.0f} |")
    print(f"total CPU {time.process_time() - cpu0:.1f} s (this process; Chromium not counted)")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 50_000])
