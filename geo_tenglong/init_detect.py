"""Look at every file of a folder a bureau hands over (the first half of ``geo-tenglong init``).

:func:`scan_folder` lists each source — a vector layer (a GeoPackage or FileGDB layer, a
Shapefile with or without ``.cpg``, GeoJSON, GeoParquet), a table (a CSV, or an ``.xlsx`` sheet),
a GeoTIFF, or a folder of 界址点 coordinate files — with what can be read without analysing it:
fields, geometry type, CRS, feature count, encoding, a sample of values, dates. Deciding what
each source *is* belongs to :mod:`geo_tenglong.init_guess`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pyogrio

from .errors import InputError
from .io.tables import dbf_encoding, read_table, year_in_name

VECTOR_SUFFIXES = {".gpkg", ".shp", ".geojson", ".json", ".parquet", ".geoparquet", ".kml", ".gml", ".tab", ".mif"}
TABLE_SUFFIXES = {".xlsx", ".xlsm", ".csv"}
RASTER_SUFFIXES = {".tif", ".tiff"}
SKIP_NAMES = {"workspace.toml", "manifest.json"}
SAMPLE_ROWS = 500
_COORDS_MARK = re.compile(r"\[(属性描述|地块坐标)\]|^\s*J\d+\s*,", re.MULTILINE)
_DATE_IN_NAME = re.compile(r"(?<!\d)(20\d{2})[-_.]?(0[1-9]|1[0-2])[-_.]?([0-2]\d|3[01])(?!\d)")


@dataclasses.dataclass
class Source:
    """One readable thing in the folder.

    Attributes
    ----------
    kind : str
        ``"vector"``, ``"table"``, ``"raster"``, ``"coords"`` or ``"unknown"``.
    path : Path
        The file (or FileGDB / 界址点 folder).
    layer, sheet : str or None
        The layer inside a GeoPackage/FileGDB, the sheet of a workbook.
    fields : list of str
        Field names or headers as the file has them.
    geometry : str or None
        Geometry type (``Polygon`` …) for a layer.
    crs : str or None
        ``EPSG:4528`` or a WKT name; ``None`` when the file has none.
    count : int
        Features or rows.
    encoding : str or None
        For a Shapefile: ``GBK`` when detected without a ``.cpg`` (``None`` = as declared).
    sample : DataFrame or None
        The first rows, original field names (tables: already mapped, see ``mapped``).
    mapped : dict
        Header → field as the table reader mapped it (tables only).
    date : datetime.date or None
        A raster's acquisition date (tags, else the file name).
    note : str
        Why a file could not be read, or other evidence.
    """

    kind: str
    path: Path
    layer: str | None = None
    sheet: str | None = None
    fields: list[str] = dataclasses.field(default_factory=list)
    geometry: str | None = None
    crs: str | None = None
    count: int = 0
    encoding: str | None = None
    sample: pd.DataFrame | None = None
    mapped: dict = dataclasses.field(default_factory=dict)
    date: dt.date | None = None
    bounds: tuple | None = None
    note: str = ""

    @property
    def label(self) -> str:
        """``file`` or ``file (layer x)`` for messages."""
        extra = f" (图层 {self.layer})" if self.layer else (f" (工作表 {self.sheet})" if self.sheet else "")
        return f"{self.path.name}{extra}"


def _crs_text(crs) -> str | None:
    if crs is None:
        return None
    return str(crs)


def _vector(path: Path, layer: str | None, encoding: str | None = None) -> Source:
    kwargs = {"encoding": encoding} if encoding else {}
    if path.suffix.lower() in {".parquet", ".geoparquet"}:
        return _parquet(path)
    info = pyogrio.read_info(path, layer=layer, **kwargs)
    sample = pyogrio.read_dataframe(path, layer=layer, read_geometry=False, max_features=SAMPLE_ROWS, **kwargs)
    bounds = info.get("total_bounds")
    return Source("vector", path, layer=layer, fields=list(info["fields"]), geometry=info["geometry_type"],
                  crs=_crs_text(info["crs"]), count=int(info["features"]), encoding=encoding,
                  sample=pd.DataFrame(sample), bounds=tuple(bounds) if bounds is not None else None)


def _parquet(path: Path) -> Source:
    """A GeoParquet file from its metadata and first rows (never read whole)."""
    import json

    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    geo = json.loads((pf.schema_arrow.metadata or {}).get(b"geo", b"{}"))
    name = geo.get("primary_column", "geometry")
    col = geo.get("columns", {}).get(name, {})
    crs = col.get("crs")
    crs_text = None
    if isinstance(crs, dict):
        ident = crs.get("id", {})
        crs_text = f"{ident.get('authority', 'EPSG')}:{ident['code']}" if "code" in ident else crs.get("name")
    elif crs is None and col:
        crs_text = "OGC:CRS84"              # GeoParquet: no crs key means longitude/latitude
    types = col.get("geometry_types") or [None]
    first = next(pf.iter_batches(batch_size=SAMPLE_ROWS), None)
    sample = first.to_pandas() if first is not None else pd.DataFrame()
    fields = [c for c in pf.schema_arrow.names if c != name]
    if types[0] is None and name in sample.columns:    # geometry_types may be empty: look at the first one
        import shapely

        wkb = sample[name].dropna()
        types = [shapely.from_wkb(wkb.iloc[0]).geom_type] if len(wkb) else types
    bbox = col.get("bbox")
    return Source("vector", path, fields=fields, geometry=types[0], crs=crs_text, count=pf.metadata.num_rows,
                  sample=sample.drop(columns=[name], errors="ignore"), bounds=tuple(bbox) if bbox else None)


def _vectors(path: Path) -> list[Source]:
    if path.suffix.lower() in {".parquet", ".geoparquet"}:
        return [_vector(path, None)]
    encoding = dbf_encoding(path) if path.suffix.lower() == ".shp" else None
    layers = [row[0] for row in pyogrio.list_layers(path)]
    if path.suffix.lower() == ".shp" or len(layers) == 1 and path.suffix.lower() != ".gpkg" and not path.is_dir():
        return [_vector(path, None, encoding)]
    return [_vector(path, name) for name in layers]


def _tables(path: Path) -> list[Source]:
    sheets: list[str | None] = [None]
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True)
        names = wb.sheetnames
        wb.close()
        # a workbook of one sheet per year is one table (the reader takes them all)
        by_year = [n for n in names if year_in_name(n) is not None]
        sheets = [None] if len(by_year) >= 2 or len(names) == 1 else list(names)
    out = []
    for sheet in sheets:
        df = read_table(path, sheet=sheet)
        notes = [i["message"] for i in df.attrs.get("data_issues", [])]
        derived = df.attrs.get("derived", [])
        if derived:
            notes.append("年度取自工作表名或文件名")
        out.append(Source("table", path, sheet=sheet, fields=[str(c) for c in df.attrs.get("headers", [])] + derived,
                          count=len(df), sample=df.head(SAMPLE_ROWS), note="; ".join(notes)))
    return out


def raster_date(path: Path, tags: dict) -> dt.date | None:
    """A GeoTIFF's acquisition date: ``ACQUISITION_DATE`` / ``TIFFTAG_DATETIME`` tags, else the name."""
    for key in ("ACQUISITION_DATE", "DATE", "TIFFTAG_DATETIME"):
        value = str(tags.get(key, "")).strip()
        m = re.match(r"(\d{4})[-:/](\d{2})[-:/](\d{2})", value)
        if m:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
    m = _DATE_IN_NAME.search(path.stem)
    if m:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    return None


def _raster(path: Path) -> Source:
    import rasterio

    with rasterio.open(path) as r:
        tags = r.tags()
        src = Source("raster", path, crs=r.crs.to_string() if r.crs else None, count=r.count,
                     fields=[f"{r.dtypes[0]} {r.res[0]:g}m"], bounds=tuple(r.bounds))
        src.date = raster_date(path, tags)
        src.note = tags.get("CLASSES", "")
    return src


def _is_coords_file(path: Path) -> bool:
    try:
        head = path.read_bytes()[:4000]
    except OSError:
        return False
    for enc in ("utf-8", "gb18030"):
        try:
            return bool(_COORDS_MARK.search(head.decode(enc)))
        except UnicodeDecodeError:
            continue
    return False


def _has_shp(dbf: Path) -> bool:
    return dbf.with_suffix(".shp").exists() or dbf.with_suffix(".SHP").exists()


def _is_run_output(folder: Path) -> bool:
    return (folder / "results.gpkg").exists() or (folder / "summary.json").exists()


def _walk(folder: Path):
    for p in sorted(folder.iterdir()):
        # hidden files, Excel's ~$ lock files, the outputs of an earlier run and subfolders that are
        # workspaces of their own (a workspace.toml: 德清 in layers/deqing, a later quarter) are not inputs
        if p.name.startswith((".", "~$")) or p.name in SKIP_NAMES or \
                (p.is_dir() and (_is_run_output(p) or (p / "workspace.toml").is_file())):
            continue
        if p.is_dir():
            if p.suffix.lower() == ".gdb":
                yield p
            else:
                yield from _walk(p)
        else:
            yield p


def scan_folder(folder: str | Path) -> list[Source]:
    """Every source in ``folder`` (recursively, leaving out subfolders with their own ``workspace.toml``),
    readable or not.

    Parameters
    ----------
    folder : str or Path

    Returns
    -------
    list of Source
        Vector layers, tables, rasters, one ``coords`` source per folder of 界址点 files, and
        ``unknown`` sources (with ``note`` saying why) for files that could not be placed.

    Raises
    ------
    InputError
        When ``folder`` is not a folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("not a folder", folder)
    out: list[Source] = []
    coords: dict[Path, int] = {}
    side_files = {".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".xml", ".ovr", ".aux", ".qmd", ".lock"}
    for p in _walk(folder):
        suffix = p.suffix.lower()
        try:
            if suffix in VECTOR_SUFFIXES or (p.is_dir() and suffix == ".gdb"):
                out.extend(_vectors(p))
            elif suffix in TABLE_SUFFIXES or (suffix == ".dbf" and not _has_shp(p)):
                out.extend(_tables(p))
            elif suffix in RASTER_SUFFIXES:
                out.append(_raster(p))
            elif suffix == ".txt" and _is_coords_file(p):
                coords[p.parent] = coords.get(p.parent, 0) + 1
            elif suffix in side_files or p.name.lower().endswith(".aux.xml"):
                continue
            else:
                out.append(Source("unknown", p, note="不支持的文件类型"))
        except InputError as exc:
            out.append(Source("unknown", p, note=f"无法读取: {exc.reason}"))
        except Exception as exc:  # noqa: BLE001 - GDAL, openpyxl and rasterio raise many types
            out.append(Source("unknown", p, note=f"无法读取: {type(exc).__name__}: {exc}"))
    for folder_path, n in coords.items():
        out.append(Source("coords", folder_path, count=n, note=f"{n} 个界址点坐标文件"))
    return out
