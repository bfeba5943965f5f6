"""The two land-cover GeoTIFFs, rasterised from the vector data."""

from __future__ import annotations

import math
from pathlib import Path

import shapely
import shapely.affinity
import shapely.ops

from .constants import EPSG
from .constraints import yard_classes
from .county import County
from .planted.cases import D

RASTER_DATES = (("landcover_2021.tif", D(2021, 10, 15)), ("landcover_2023.tif", D(2023, 4, 20)))


def write_rasters(county: County, layers: dict, out: Path, pixel: float = 2.0) -> list:
    """Two land-cover GeoTIFFs rasterised from the vector data (so they agree with it)."""
    import rasterio
    from rasterio.features import rasterize
    from rasterio.transform import from_origin

    lay = county.layout
    areas = shapely.union_all(list(lay.outlines.values()))
    cover = areas.buffer(250)
    minx, miny, maxx, maxy = cover.bounds
    x0, y1 = math.floor(minx / pixel) * pixel, math.ceil(maxy / pixel) * pixel
    width, height = int(math.ceil((maxx - x0) / pixel)), int(math.ceil((y1 - miny) / pixel))
    transform = from_origin(x0, y1, pixel, pixel)
    by_parcel: dict[int, list] = {}
    for b in county.buildings:
        by_parcel.setdefault(id(b["parcel"]), []).append(b)
    written = []
    for k, (name, date) in enumerate(RASTER_DATES):
        shapes = [(cover, 3), (lay.river, 4)] + [(g, 4) for g in lay.ponds]
        shapes += [(r.poly, 1) for r in lay.roads]
        for p in county.parcels:
            bs = by_parcel.get(id(p), [])
            shapes.append((p.geom, yard_classes(p, bs)[k]))
        for b in county.buildings:
            if b["completed"]:
                v = 1 if b["completed_year"] <= date.year - (1 if k == 0 else 0) else 2
            else:
                started = b["parcel"].attrs.get("actual_start")
                idle_started = b["parcel"].role == "idle"
                v = 1 if (k == 1 or idle_started) else (2 if started and started <= date else None)
            if v:
                shapes.append((b["geom"], v))
        arr = rasterize(shapes, out_shape=(height, width), transform=transform, fill=0, dtype="uint8")
        profile = dict(driver="GTiff", width=width, height=height, count=1, dtype="uint8", crs=f"EPSG:{EPSG}",
                       transform=transform, nodata=0, tiled=True, blockxsize=256, blockysize=256,
                       compress="deflate", predictor=1, zlevel=9, interleave="band")
        path = out / name
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(arr, 1)
            dst.update_tags(ACQUISITION_DATE=date.isoformat(), CLASSES="0=nodata,1=built,2=bare,3=vegetation,4=water",
                            TIFFTAG_DATETIME=date.strftime("%Y:%m:%d 00:00:00"))
            dst.set_band_description(1, "landcover")
        written.append((name, date))
    return written
