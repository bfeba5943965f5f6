"""Basemaps for the briefing map: none (offline), a GeoTIFF image, Tianditu, Gaode, or any XYZ URL.

A basemap spec is a short string:

``none``                       no basemap (the default; the page fetches nothing)
``landcover``                  the workspace's latest land-cover raster, as an image (offline)
``path/to/image.tif``          a land-cover or orthophoto GeoTIFF, as an image (offline)
``tianditu-vec``, ``tianditu-img``
                               天地图 vector / imagery tiles with labels (online; key from the
                               ``TIANDITU_TK`` environment variable or ``[map] tianditu_tk`` in
                               ``workspace.toml``); CGCS2000 ≈ WGS-84, no shift
``gaode-vec``, ``gaode-img``   高德 vector / imagery tiles (online; GCJ-02: overlays are shifted)
``https://host/{z}/{x}/{y}.png``
                               any XYZ tile server, e.g. an intranet one (``gcj02=True`` if its
                               tiles are in GCJ-02)
"""

from __future__ import annotations

import base64
import dataclasses
import math
import os
import tomllib
import warnings
from pathlib import Path

import numpy as np

from ..errors import InputError
from .styles import LANDCOVER_COLORS, LANDCOVER_LABELS

#: Longest side, in pixels, of a GeoTIFF drawn as an image overlay.
MAX_IMAGE_PX = 2048

_TIANDITU = ("https://t{s}.tianditu.gov.cn/%s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=%s"
             "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=%s")
_GAODE = {
    "vec": "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
    "img": "https://webst0{s}.is.autonavi.com/appmaptile?style=6&x={x}&y={y}&z={z}",
}
NAMES = ("none", "landcover", "tianditu-vec", "tianditu-img", "gaode-vec", "gaode-img")


@dataclasses.dataclass
class TileSource:
    """One XYZ tile layer."""

    url: str
    label: str
    attribution: str
    subdomains: str = "abc"
    max_zoom: int = 18
    overlay: bool = False


@dataclasses.dataclass
class Basemap:
    """A resolved basemap.

    Attributes
    ----------
    label : str
        Chinese name in the layer switcher.
    tiles : list of TileSource
        Tile layers (empty for an image basemap). The first is the base layer; the rest are
        label overlays (注记).
    image : str or None
        A PNG data URI for an image basemap.
    bounds : list or None
        ``[[south, west], [north, east]]`` of the image in EPSG:4326 (already shifted when
        ``gcj02``).
    gcj02 : bool
        The basemap is drawn in GCJ-02: shift every overlay to GCJ-02.
    online : bool
        The page will fetch tiles from the network.
    legend : list of (label, colour)
        Land-cover classes shown in the legend (image basemaps of class rasters).
    """

    label: str
    tiles: list[TileSource] = dataclasses.field(default_factory=list)
    image: str | None = None
    bounds: list | None = None
    gcj02: bool = False
    online: bool = False
    legend: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    opacity: float = 1.0


def map_config(workspace_root: str | Path | None) -> dict:
    """The ``[map]`` table of a workspace's ``workspace.toml`` (empty when absent or unreadable)."""
    if workspace_root is None:
        return {}
    path = Path(workspace_root) / "workspace.toml"
    try:
        return dict(tomllib.loads(path.read_text(encoding="utf-8")).get("map", {}))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}


def tianditu_key(workspace_root: str | Path | None = None) -> str | None:
    """The Tianditu key: ``TIANDITU_TK``, else ``[map] tianditu_tk`` of the workspace."""
    key = os.environ.get("TIANDITU_TK", "").strip()
    if key:
        return key
    key = str(map_config(workspace_root).get("tianditu_tk", "")).strip()
    return key or None


def resolve_basemap(spec: str | None, ws=None, workspace_root: str | Path | None = None,
                    gcj02: bool | None = None) -> Basemap | None:
    """Turn a basemap spec (see the module docstring) into a :class:`Basemap`.

    Parameters
    ----------
    spec : str or None
        ``None`` or ``"none"``: no basemap.
    ws : Workspace, optional
        For ``landcover`` (its rasters and class names).
    workspace_root : str or Path, optional
        For the Tianditu key in ``workspace.toml``.
    gcj02 : bool, optional
        Force (or forbid) the GCJ-02 shift; by default only Gaode basemaps shift.

    Returns
    -------
    Basemap or None

    Raises
    ------
    InputError
        For an unknown spec, a missing raster, or Tianditu without a key.
    """
    if spec is None or str(spec).strip().lower() in {"", "none", "off", "无"}:
        return None
    spec = str(spec).strip()
    low = spec.lower()
    if low in {"tianditu", "tianditu-vec", "tianditu-img"}:
        kind = "img" if low.endswith("img") else "vec"
        key = tianditu_key(workspace_root if workspace_root is not None else getattr(ws, "root", None))
        if not key:
            raise InputError("天地图 basemap needs a key: set TIANDITU_TK or [map] tianditu_tk in workspace.toml",
                             where=f"--basemap {spec}")
        note = "cva" if kind == "vec" else "cia"
        label = "天地图矢量" if kind == "vec" else "天地图影像"
        return Basemap(label=label, online=True, gcj02=bool(gcj02), tiles=[
            TileSource(_TIANDITU % (kind, kind, key), label, "© 天地图 国家地理信息公共服务平台", "01234567"),
            TileSource(_TIANDITU % (note, note, key), "天地图注记", "© 天地图", "01234567", overlay=True),
        ])
    if low in {"gaode", "amap", "gaode-vec", "amap-vec", "gaode-img", "amap-img"}:
        kind = "img" if low.endswith("img") else "vec"
        label = "高德地图" if kind == "vec" else "高德影像"
        return Basemap(label=label, online=True, gcj02=True if gcj02 is None else gcj02,
                       tiles=[TileSource(_GAODE[kind], label, "© 高德地图 (GCJ-02)", "1234")])
    if "{z}" in spec and "{x}" in spec and "{y}" in spec:
        return Basemap(label="底图", online=not spec.startswith("file:"), gcj02=bool(gcj02),
                       tiles=[TileSource(spec, "底图", "底图服务", "abc", 20)])
    if low == "landcover":
        rasters = (getattr(ws, "rasters", None) or {}).get("landcover") if ws is not None else None
        if not rasters:
            raise InputError("basemap landcover: the workspace has no land-cover raster ([rasters] landcover)",
                             where="--basemap landcover")
        latest = rasters[-1]
        label = "土地覆盖" + (f" {latest.date.isoformat()}" if latest.date else "")
        return raster_basemap(latest.path, label, getattr(ws, "landcover_classes", None), bool(gcj02))
    path = Path(spec)
    if path.suffix.lower() in {".tif", ".tiff", ".vrt", ".img"}:
        if not path.is_file():
            raise InputError("basemap image not found", path)
        classes = getattr(ws, "landcover_classes", None) if ws is not None else None
        return raster_basemap(path, None, classes, bool(gcj02))
    raise InputError(f"unknown basemap {spec!r}; expected one of {', '.join(NAMES)}, a GeoTIFF path "
                     "or an XYZ URL with {z}/{x}/{y}", where="--basemap")


def _hex_rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def _stretch(band: np.ndarray, valid: np.ndarray) -> np.ndarray:
    if band.dtype == np.uint8:
        return band
    vals = band[valid]
    if vals.size == 0:
        return np.zeros(band.shape, dtype=np.uint8)
    lo, hi = np.percentile(vals, [2, 98])
    scaled = (band.astype(float) - lo) / max(hi - lo, 1e-9) * 255.0
    return np.clip(scaled, 0, 255).astype(np.uint8)


def raster_basemap(path: str | Path, label: str | None, classes: dict[int, str] | None = None,
                   gcj02: bool = False, max_px: int = MAX_IMAGE_PX) -> Basemap:
    """Render a GeoTIFF as a PNG image overlay in Web Mercator (offline).

    Single-band rasters are drawn with their own colour table if they have one, else with the
    land-cover colours of ``classes`` (value → built/bare/vegetation/water); value 0 and nodata are
    transparent. Rasters with three or more bands are drawn as RGB (bands 1–3, stretched to 2–98 %
    when not 8-bit). The image is reprojected to EPSG:3857 (how Leaflet stretches an image overlay)
    and downsampled so its longest side is at most ``max_px``.

    Parameters
    ----------
    path : str or Path
    label : str or None
        Name in the layer switcher; default 土地覆盖 or 影像 and the file name.
    classes : dict, optional
    gcj02 : bool
        Shift the image bounds to GCJ-02.
    max_px : int

    Returns
    -------
    Basemap

    Raises
    ------
    InputError
        When the file cannot be read as a georeferenced raster.
    """
    path = Path(path)
    out, valid, colormap, (left, bottom, right, top) = _read_mercator(path, max_px)
    paletted = out.shape[0] == 1
    rgba, legend = _paint(out, valid, colormap, classes) if paletted else (_paint_rgb(out, valid), [])
    south, west, north, east = _mercator_to_lonlat_bounds(left, bottom, right, top)
    if gcj02:
        from .gcj02 import wgs84_to_gcj02

        (west, east), (south, north) = wgs84_to_gcj02(np.array([west, east]), np.array([south, north]))
        west, east, south, north = float(west), float(east), float(south), float(north)
    if label is None:
        label = f"{'土地覆盖' if paletted else '影像'} {path.stem}"
    # class colours are drawn translucent so parcel colours stay readable; photos opaque
    return Basemap(label=label, image=png_data_uri(rgba), bounds=[[south, west], [north, east]],
                   gcj02=gcj02, online=False, legend=legend, opacity=0.55 if paletted else 1.0)


def _read_mercator(path: Path, max_px: int) -> tuple[np.ndarray, np.ndarray, dict | None,
                                                     tuple[float, float, float, float]]:
    """Read a raster reprojected to EPSG:3857, its longest side at most ``max_px`` pixels.

    Parameters
    ----------
    path : Path
        The GeoTIFF.
    max_px : int
        Longest side of the image, in pixels (never finer than the raster's own resolution).

    Returns
    -------
    out : numpy.ndarray
        ``(1, h, w)`` for a single-band (paletted) raster, else bands 1–3 as ``(3, h, w)``.
    valid : numpy.ndarray of uint8
        The dataset mask, reprojected (0 = no data).
    colormap : dict or None
        Band 1's colour table, for a paletted raster that has one.
    bounds : tuple of float
        ``(left, bottom, right, top)`` in EPSG:3857.

    Raises
    ------
    InputError
        When the file cannot be read as a georeferenced raster.
    """
    import rasterio
    from rasterio.errors import RasterioIOError
    from rasterio.transform import from_origin
    from rasterio.warp import Resampling, reproject, transform_bounds

    try:
        src = rasterio.open(path)
    except RasterioIOError as exc:
        raise InputError(f"cannot read the basemap raster ({exc})", path) from None
    with src:
        if src.crs is None:
            raise InputError("the basemap raster has no CRS", path)
        left, bottom, right, top = transform_bounds(src.crs, "EPSG:3857", *src.bounds)
        native = max(abs(src.res[0]), abs(src.res[1]))
        if src.crs.is_geographic:
            native *= 111_320.0
        res = max((right - left) / max_px, (top - bottom) / max_px, native)
        width = max(1, math.ceil((right - left) / res))
        height = max(1, math.ceil((top - bottom) / res))
        dst_transform = from_origin(left, top, res, res)
        paletted = src.count < 3
        resampling = Resampling.nearest if paletted else Resampling.bilinear
        bands = [1] if paletted else [1, 2, 3]
        out = np.zeros((len(bands), height, width), dtype=src.dtypes[0])
        valid = np.zeros((height, width), dtype=np.uint8)
        for i, b in enumerate(bands):
            reproject(rasterio.band(src, b), out[i], src_transform=src.transform, src_crs=src.crs,
                      dst_transform=dst_transform, dst_crs="EPSG:3857", resampling=resampling,
                      src_nodata=src.nodata, dst_nodata=src.nodata if src.nodata is not None else 0)
        mask_src = src.dataset_mask()
        reproject(mask_src, valid, src_transform=src.transform, src_crs=src.crs, dst_transform=dst_transform,
                  dst_crs="EPSG:3857", resampling=Resampling.nearest, dst_nodata=0)
        colormap = None
        if paletted:
            try:
                colormap = src.colormap(1)
            except ValueError:
                colormap = None
    return out, valid, colormap, (left, bottom, right, top)


def _paint(out: np.ndarray, valid: np.ndarray, colormap: dict | None,
           classes: dict[int, str] | None) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Colour a single-band raster: its colour table, else the land-cover colours of ``classes``.

    Parameters
    ----------
    out : numpy.ndarray
        ``(1, h, w)`` values (:func:`_read_mercator`).
    valid : numpy.ndarray
        Mask (0 = no data); value 0 is transparent too.
    colormap : dict or None
        The raster's colour table.
    classes : dict, optional
        Value → built/bare/vegetation/water, used without a colour table.

    Returns
    -------
    rgba : numpy.ndarray of uint8
        ``(4, h, w)``.
    legend : list of (str, str)
        Chinese class name and colour, for the land-cover colours.
    """
    height, width = valid.shape
    rgba = np.zeros((4, height, width), dtype=np.uint8)
    legend: list[tuple[str, str]] = []
    ok = valid > 0
    values = out[0]
    lut = np.zeros((256, 4), dtype=np.uint8)
    if colormap:
        for v, c in colormap.items():
            if 0 <= v < 256:
                lut[v] = c
    else:
        names = classes or {1: "built", 2: "bare", 3: "vegetation", 4: "water"}
        for v, name in sorted(names.items()):
            color = LANDCOVER_COLORS.get(name)
            if color and 0 < v < 256:
                lut[v, :3] = _hex_rgb(color)
                lut[v, 3] = 255
                legend.append((LANDCOVER_LABELS.get(name, name), color))
    idx = np.clip(values, 0, 255).astype(np.uint8)
    rgba[:] = lut[idx].transpose(2, 0, 1)
    rgba[3] = np.where(ok & (idx != 0), rgba[3], 0)
    return rgba, legend


def _paint_rgb(out: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Bands 1–3 as an opaque RGBA image (stretched when not 8-bit), no data transparent.

    Parameters
    ----------
    out : numpy.ndarray
        ``(3, h, w)`` bands (:func:`_read_mercator`).
    valid : numpy.ndarray
        Mask (0 = no data).

    Returns
    -------
    numpy.ndarray of uint8
        ``(4, h, w)``.
    """
    height, width = valid.shape
    rgba = np.zeros((4, height, width), dtype=np.uint8)
    ok = valid > 0
    for i in range(3):
        rgba[i] = _stretch(out[i], ok)
    rgba[3] = np.where(ok, 255, 0)
    return rgba

def _mercator_to_lonlat_bounds(left, bottom, right, top):
    from pyproj import Transformer

    t = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    (west, east), (south, north) = t.transform([left, right], [bottom, top])
    return south, west, north, east


def png_data_uri(rgba: np.ndarray) -> str:
    """Encode a ``(4, height, width)`` uint8 array as a PNG data URI (GDAL's PNG driver, no Pillow)."""
    from rasterio.errors import NotGeoreferencedWarning
    from rasterio.io import MemoryFile

    _, height, width = rgba.shape
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with MemoryFile() as mem:
            with mem.open(driver="PNG", width=width, height=height, count=4, dtype="uint8") as dst:
                dst.write(rgba)
            data = mem.read()
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")
