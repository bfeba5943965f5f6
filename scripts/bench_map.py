"""Benchmark the briefing map, parcels inline and as vector tiles: build time, file sizes, and the
time until Chromium has drawn the page.

    python scripts/bench_map.py                          # 10,000 and 50,000 synthetic parcels
    python scripts/bench_map.py 100000 1000000 --shots bench-out/map   # and keep screenshots

Parcels are generated (``tests/map_results.py``: 8-vertex outlines on a grid near 天台, every
column the results schema declares for the map's layers, ~1.1 findings per parcel). Each size is
built both ways: ``inline`` (every parcel in the HTML; only up to ``--inline-max`` parcels, since
Chromium's heap grows ~6 MB per 1,000 parcels) and ``tiles`` (the parcels in ``<map>.pmtiles.js``,
:mod:`geo_tenglong.webmap.tiles`). "build" is building the payload and tiles and writing the
files (CPU seconds of this process; GDAL's tile writer runs in it); "build peak RSS" is the most
this process held during the build (sampled every 20 ms from ``/proc/self/statm``) and "+" its
rise over what it held before (the results). "first render" is from
navigation start until the page's script has built every layer, the parcels are drawn (inline:
the canvas; tiles: every tile in view loaded and painted) and two animation frames have passed
(headless Debian chromium, 1400×900, every non-file request blocked: the script fails if one was
attempted). "popup" is from a click reaching the map to the parcel's popup being open, at zoom 17.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # map_results: the tests' generator

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

_INLINE_PARCEL_JS = """() => {
    const l = gtMap.layers.parcels, p = l.paths[Math.floor(l.paths.length / 2)];
    gtMap.map.setView(p.getCenter(), 17, {animate: false});
    const pt = gtMap.map.latLngToContainerPoint(p.getCenter());
    return [pt.x, pt.y];
}"""
_TILED_PARCEL_JS = """(xy) => {
    const ll = L.latLng(xy[1], xy[0]);
    gtMap.map.setView(ll, 17, {animate: false});
    const pt = gtMap.map.latLngToContainerPoint(ll);
    return [pt.x, pt.y];
}"""
_FRAMES_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now()))))"


class PeakRSS:
    """This process's resident set size over a ``with`` block, sampled on a thread every 20 ms (MB)."""

    def __init__(self) -> None:
        self.before = self.peak = 0.0
        self._done = threading.Event()

    @staticmethod
    def now() -> float:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    def _watch(self) -> None:
        while not self._done.wait(0.02):
            self.peak = max(self.peak, self.now())

    def __enter__(self) -> PeakRSS:
        self.before = self.peak = self.now()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, self.now())


def measure_browser(path: Path, point: tuple[float, float] | None, shots: Path | None,
                    tag: str) -> tuple[float, float, float]:
    """(ms until drawn, ms for a popup, JS heap MB) for the page at ``path``.

    ``point`` (longitude, latitude) is a parcel of a tiled page; an inline page's middle parcel is used.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        blocked = []
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:", "blob:"))
                   else (blocked.append(r.request.url), r.abort()))
        page.goto(path.as_uri(), timeout=900_000)
        page.wait_for_function("window.gtMap && window.gtMap.ready", timeout=900_000)
        if point is not None:
            page.wait_for_function("gtMap.layers.parcels.loaded", timeout=900_000, polling=50)
        drawn = page.evaluate(_FRAMES_JS)
        timing = page.evaluate("gtMap.timing")
        print(f"    {tag}: page script {timing['total']} ms (JSON.parse {timing['parse']} ms), tiles drawn "
              f"{timing.get('tiles', '-')} ms after it started", file=sys.stderr)
        if shots is not None:
            page.screenshot(path=str(shots / f"{tag}-open.png"))
        if point is None:
            xy = page.evaluate(_INLINE_PARCEL_JS)
        else:
            xy = page.evaluate(_TILED_PARCEL_JS, list(point))
            page.wait_for_function("gtMap.layers.parcels.loaded >= 2", timeout=300_000, polling=50)
        page.wait_for_timeout(500)
        page.evaluate("() => { window._t = []; gtMap.map.on('popupopen', () => window._t.push(performance.now())); "
                      "gtMap.map.getContainer().addEventListener('click', () => window._t.push(performance.now()), "
                      "true); }")
        page.mouse.click(xy[0], xy[1])
        page.wait_for_selector(".leaflet-popup-content .gt-popup", timeout=120_000)
        t = page.evaluate("window._t")
        popup = t[1] - t[0]  # from the click reaching the map to the popup being open
        if shots is not None:
            page.wait_for_timeout(400)  # the popup's fade-in
            page.screenshot(path=str(shots / f"{tag}-popup.png"))
        heap = page.evaluate("() => performance.memory ? performance.memory.usedJSHeapSize / 1e6 : -1")
        browser.close()
        if blocked:
            raise SystemExit(f"the page tried the network: {blocked[:3]}")
        return drawn, popup, heap


def _a_parcel_point(res) -> tuple[float, float]:
    """Longitude, latitude of a point inside the middle parcel."""
    import geopandas as gpd

    geom = res.parcels.geometry.iloc[len(res.parcels) // 2]
    pt = gpd.GeoSeries([geom.representative_point()], crs=res.parcels.crs).to_crs(4326).iloc[0]
    return pt.x, pt.y


def main(sizes: list[int], inline_max: int, shots: Path | None) -> None:
    from geo_tenglong.webmap.briefing import save_briefing_map, tiles_path

    from map_results import map_results, map_workspace

    rows = []
    cpu0 = time.process_time()
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            c0 = time.process_time()
            res = map_results(n)
            ws = map_workspace(res)
            print(f"  {n:,} parcels generated in {time.process_time() - c0:.1f} s CPU", file=sys.stderr)
            for mode in ("inline", "tiles"):
                if mode == "inline" and n > inline_max:
                    continue
                path = Path(tmp) / f"{mode}-{n}" / "briefing.html"
                path.parent.mkdir()
                t0, c0 = time.perf_counter(), time.process_time()
                with PeakRSS() as rss:
                    save_briefing_map(res, path, ws=ws, tiles=mode == "tiles")
                build, build_cpu = time.perf_counter() - t0, time.process_time() - c0
                html = path.stat().st_size / 1e6
                side = tiles_path(path)
                tiles_mb = side.stat().st_size / 1e6 if side.is_file() else 0.0
                point = _a_parcel_point(res) if mode == "tiles" else None
                measured = (measure_browser(path, point, shots, f"{mode}-{n}") if Path(CHROMIUM).exists()
                            else (float("nan"),) * 3)
                rows.append((n, mode, len(res.findings), build_cpu, build, rss.peak, rss.peak - rss.before, html,
                             tiles_mb, *measured))
                print(f"  {n:,} parcels {mode} done", file=sys.stderr)
                side.unlink(missing_ok=True)
                path.unlink()
            del res, ws
    print("| parcels | map | findings | build CPU s | build wall s | build peak RSS MB (+) | HTML MB | tiles file MB "
          "| first render in Chromium s | popup ms | JS heap MB |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n, mode, nf, build_cpu, build, peak, rise, html, tiles_mb, drawn, popup, heap in rows:
        print(f"| {n:,} | {mode} | {nf:,} | {build_cpu:.1f} | {build:.1f} | {peak:,.0f} (+{rise:,.0f}) | {html:.1f} | "
              f"{tiles_mb:.1f} | {drawn / 1000:.1f} | {popup:.0f} | {heap:.0f} |")
    print(f"total CPU {time.process_time() - cpu0:.1f} s (this process, generation included; Chromium not counted)")
    if shots is not None:
        print(f"screenshots: {shots}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 50_000])
    parser.add_argument("--inline-max", type=int, default=100_000,
                        help="largest parcel count also built inline (default 100,000)")
    parser.add_argument("--shots", type=Path, default=None, help="folder for screenshots (open view, popup)")
    args = parser.parse_args()
    main(args.sizes, args.inline_max, args.shots)
