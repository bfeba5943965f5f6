"""Byte-deterministic writers: xlsx, csv, GeoPackage layers, the GBK Shapefile."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from .constants import EPSG
from .county import County

XLSX_EPOCH = dt.datetime(2023, 6, 30, 9, 0, 0)


def write_xlsx(path: Path, sheet: str, headers: list[str], rows: list[list],
               number_formats: dict | None = None) -> None:
    """Write one sheet with openpyxl, then rewrite the zip with fixed entry dates and properties."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(headers)
    for r in rows:
        ws.append(r)
    for (r, c), fmt in (number_formats or {}).items():
        ws.cell(row=r, column=c).number_format = fmt
    for c, h in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(c)].width = max(10, 2 * len(h) + 2)
    path.write_bytes(fixed_xlsx_bytes(wb))


def fixed_xlsx_bytes(wb) -> bytes:
    """An openpyxl workbook's bytes with fixed zip entry dates and document properties."""
    wb.properties.creator = "geo-tenglong sample generator"
    wb.properties.created = XLSX_EPOCH
    wb.properties.modified = XLSX_EPOCH
    wb.properties.lastModifiedBy = "geo-tenglong"
    buf = io.BytesIO()
    wb.save(buf)
    fixed = io.BytesIO()
    stamp = XLSX_EPOCH.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                              lambda m: m.group(1) + stamp.encode() + m.group(2), data)
            zi = zipfile.ZipInfo(info.filename, date_time=XLSX_EPOCH.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            zout.writestr(zi, data)
    return fixed.getvalue()


def write_csv(path: Path, headers: list[str], rows: list[list]) -> None:
    """UTF-8 with BOM (as Excel writes it), CRLF."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(headers)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))



def to_dt64(values: list) -> pd.Series:
    """Dates (None for a missing one) as a millisecond datetime Series (NaT for None)."""
    return pd.to_datetime(pd.Series([v if v is not None else pd.NaT for v in values], dtype=object)).astype("datetime64[ms]")


def parcels_gdf(county: County) -> gpd.GeoDataFrame:
    """The ``parcels`` layer: one row per parcel sorted by 宗地代码, owner and contract fields."""
    ps = sorted(county.parcels, key=lambda p: p.attrs["parcel_id"])
    cols = {
        "parcel_id": [p.attrs["parcel_id"] for p in ps],
        "owner_uscc": [p.attrs["owner"].uscc if p.attrs["owner"] else None for p in ps],
        "owner_name": [p.attrs["owner"].name if p.attrs["owner"] else None for p in ps],
        "land_use_code": [p.attrs["land_use_code"] for p in ps],
        "township": [p.attrs["township"] for p in ps],
        "park_id": [p.attrs["park_id"] for p in ps],
        "rights_nature": [p.attrs["rights_nature"] for p in ps],
        "rights_type": [p.attrs["rights_type"] for p in ps],
        "term_start": to_dt64([p.attrs["term_start"] for p in ps]),
        "term_end": to_dt64([p.attrs["term_end"] for p in ps]),
        "contract_far": [p.attrs["contract_far"] if p.attrs["contract_far"] is not None else np.nan for p in ps],
        "plan_conditions": [bool(p.attrs["plan_conditions"]) for p in ps],
        "standard_land": [bool(p.attrs["standard_land"]) for p in ps],
        "status": [p.attrs["status"] for p in ps],
        "split_from": [p.attrs["split_from"] for p in ps],
        "merged_from": [p.attrs["merged_from"] for p in ps],
        "industrial_real_estate": [bool(p.attrs["industrial_real_estate"]) for p in ps],
    }
    return gpd.GeoDataFrame(cols, geometry=[p.geom for p in ps], crs=f"EPSG:{EPSG}")


def buildings_gdf(county: County) -> gpd.GeoDataFrame:
    """The ``buildings`` layer: one row per building with floors, heights, use and completion."""
    bs = county.buildings
    return gpd.GeoDataFrame({
        "building_id": [b["building_id"] for b in bs],
        "parcel_id": [b["parcel_id"] for b in bs],
        "floors": np.array([b["floors"] for b in bs], dtype="int32"),
        "height_m": [float(b["height_m"]) for b in bs],
        "storey_height_m": [float(b["storey_height_m"]) for b in bs],
        "use": [b["use"] for b in bs],
        "completed": [bool(b["completed"]) for b in bs],
        "completed_year": pd.array([b["completed_year"] for b in bs], dtype="Int32"),
    }, geometry=[b["geom"] for b in bs], crs=f"EPSG:{EPSG}")


def renovations_gdf(county: County) -> gpd.GeoDataFrame:
    """The ``renovations`` layer (零增地技改 plans): the parcel, its owner and the requested plots."""
    rs = county.renovations
    cols = ["renovation_id", "floor_area_after_m2", "renovation_floor_area_m2", "expansion_floor_area_m2",
            "accepted", "equipment_investment", "total_investment", "leased_plant_m2"]
    data = {c: [r[c] for r in rs] for c in cols}
    data["parcel_id"] = [r["parcel"].attrs["parcel_id"] for r in rs]
    data["uscc"] = [r["parcel"].attrs["owner"].uscc for r in rs]
    order = ["renovation_id", "parcel_id", "uscc"] + cols[1:]
    return gpd.GeoDataFrame({c: data[c] for c in order}, geometry=[r["geometry"] for r in rs], crs=f"EPSG:{EPSG}")


def splits_gdf(county: County) -> gpd.GeoDataFrame:
    """The ``split_proposals`` layer: one row per part of each split proposal."""
    rs = county.split_rows
    return gpd.GeoDataFrame({c: [r[c] for r in rs] for c in ("proposal_id", "parcel_id", "part_no", "buyer_uscc")},
                            geometry=[r["geometry"] for r in rs], crs=f"EPSG:{EPSG}")


def write_gpkg_layers(path: Path, layers: dict) -> None:
    """Write ``layers`` (name -> GeoDataFrame) to a fresh GeoPackage, promoting to Multi* when any part is."""
    if path.exists():
        path.unlink()
    for name, gdf in layers.items():
        multi = any(t.startswith("Multi") for t in gdf.geom_type.dropna().unique())
        pyogrio.write_dataframe(gdf, path, layer=name, driver="GPKG", promote_to_multi=multi or None)


def write_shapefile_gbk(path: Path, gdf: gpd.GeoDataFrame) -> None:
    """A Shapefile with a GBK .cpg; the DBF's last-update date is pinned for reproducibility."""
    for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
        f = path.with_suffix(ext)
        if f.exists():
            f.unlink()
    pyogrio.write_dataframe(gdf, path, driver="ESRI Shapefile", encoding="GBK", promote_to_multi=True)
    dbf = path.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[1:4] = bytes([2023 - 1900, 6, 30])
    dbf.write_bytes(bytes(data))
