"""``geo-tenglong coords``: 界址点坐标交换格式 files in and out, and the 界址点成果表.

Each command is a thin wrapper over :mod:`geo_tenglong.io.coords` and
:mod:`geo_tenglong.report.corner_table`. Exit codes: 0 ok; 1 some files of a folder failed (the
good ones are still imported and listed); 2 bad input, with a one-line reason on stderr.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from ..errors import InputError
from .options import EXIT_PARTIAL, ErrorExitGroup

__all__ = ["coords"]

_COORDS_SUFFIXES = {".txt"}


@click.group("coords", cls=ErrorExitGroup, context_settings={"help_option_names": ["-h", "--help"]})
def coords():
    """界址点坐标交换格式 (parcel corner-coordinate exchange files of 勘测定界 / 建设用地报批).

    import: coordinate files or folders -> a GeoPackage of parcels (宗地/地块) with area checks.
    export: parcels -> coordinate files (GBK, CRLF, format 1.01).
    table:  parcels or coordinate files -> the 界址点成果表 (corner-point table) in Excel or CSV.
    """


def _is_coords_input(p: Path) -> bool:
    return p.is_dir() or p.suffix.lower() in _COORDS_SUFFIXES


def _report_batch(batch, quiet: bool) -> None:
    for _path, reason in batch.failures:
        click.echo(f"导入失败: {reason}", err=True)
    if not quiet:
        for w in batch.warnings:
            click.echo(f"提示: {w}", err=True)
        for row in batch.area_checks.itertuples():
            click.echo(f"核查: {row.parcel_id}: {row.message}", err=True)


def _load_parcels(inputs: tuple[Path, ...], layer: str | None, quiet: bool):
    """Parcels from coordinate files/folders or from one vector file; returns (gdf, failures)."""
    from ..io.coords import read_coords_many

    if all(_is_coords_input(p) for p in inputs):
        batch = read_coords_many(inputs)
        _report_batch(batch, quiet)
        if not len(batch.plots):
            raise InputError(f"none of the {len(batch.failures)} coordinate file(s) could be read", inputs[0])
        return batch.plots, batch.failures
    if len(inputs) != 1:
        raise InputError("give either coordinate files/folders or one vector file (e.g. parcels.gpkg)", inputs[0])
    import geopandas as gpd
    import pyogrio

    path = inputs[0]
    try:
        layers = [name for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # noqa: BLE001 - GDAL raises several types for an unreadable file
        raise InputError(f"cannot open as a vector file: {exc}", path) from None
    if layer is None:
        layer = "parcels" if "parcels" in layers else layers[0]
    elif layer not in layers:
        raise InputError(f"no layer {layer!r}; the file has {layers}", path)
    gdf = gpd.read_file(path, layer=layer)
    if not len(gdf):
        raise InputError(f"layer {layer!r} holds no feature", path)
    return gdf, []


@coords.command("import")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path),
                metavar="FILE_OR_FOLDER...")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="GeoPackage to write: layer 'parcels' and table 'parcels_findings' (stated vs computed "
                   "area, TT-CORNER-PTS 四(三)). Other layers of an existing GeoPackage are kept.")
@click.option("--layer", default="parcels", show_default=True, help="Name of the parcels layer.")
@click.option("--crs", default=None, metavar="EPSG",
              help="CRS of the output (e.g. EPSG:4528). Default: the CRS most files use; files in another "
                   "zone of the same datum are reprojected, files on another datum (西安80, 北京54) fail.")
@click.option("--max-mb", default=20.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="Largest coordinate file read, in MB; a bigger file is listed as failed.")
@click.option("--quiet", "-q", is_flag=True, help="Only failures on stderr.")
def import_cmd(inputs, output, layer, crs, max_mb, quiet):
    """Import 界址点坐标交换格式 files (*.txt; folders are searched) into a GeoPackage.

    One feature per plot (地块) with its attributes (地块编号, 地块名称, 地块用途, 地类编码 …), the
    stated area (地块面积) and the computed area (area_m2). A stated area that disagrees with the
    coordinates beyond the precision (精度) is a warning finding (TT-CORNER-PTS, 四(三)). Bad files
    are listed on stderr and the others imported; the exit code is then 1.
    """
    import pyogrio

    from ..analysis.corner_files import area_findings
    from ..io.atomic import atomic_path, check_not_input
    from ..io.coords import find_coords_files, read_coords_many
    from ..progress import Progress

    files = find_coords_files(inputs)
    if not files:
        raise InputError("no coordinate file (*.txt) found", inputs[0])
    check_not_input(output, files)
    with Progress(total=len(files) // 500 + 1, quiet=quiet or len(files) < 2000) as bar:
        batch = read_coords_many(files, crs=crs, progress=lambda n: bar.step(f"读取界址点文件 {n}/{len(files)}"),
                                 max_bytes=int(max_mb * 1024 * 1024))
    _report_batch(batch, quiet)
    if not len(batch.plots):
        raise InputError(f"none of the {len(files)} coordinate file(s) could be imported", inputs[0])
    with atomic_path(output) as tmp:
        if output.exists():          # keep the GeoPackage's other layers; replace only ours
            shutil.copy2(output, tmp)
        batch.plots.to_file(tmp, layer=layer, driver="GPKG")
        # always written, so a stale table from an earlier import never survives
        pyogrio.write_dataframe(area_findings(batch.area_checks), tmp, layer=f"{layer}_findings", driver="GPKG")
    if not quiet:
        click.echo(f"导入 {len(files) - len(batch.failures)}/{len(files)} 个文件，{len(batch.plots)} 个地块 "
                   f"({batch.plots.crs.to_string()})，面积核查提示 {len(batch.area_checks)} 条 -> {output}")
    if batch.failures:
        sys.exit(EXIT_PARTIAL)


@coords.command("export")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path),
                metavar="PARCELS...")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="A folder (one file per parcel) or a .txt file (all parcels in one).")
@click.option("--layer", default=None, help="Layer of the vector file (default: 'parcels' or the first).")
@click.option("--per-parcel/--single-file", "per_parcel", default=None,
              help="Force one file per parcel or one file for all (default: by whether -o ends in .txt).")
@click.option("--encoding", type=click.Choice(["gbk", "utf-8"]), default="gbk", show_default=True,
              help="Text encoding; GBK is what most bureau software reads.")
@click.option("--lf", is_flag=True, help="LF line ends instead of CRLF.")
@click.option("--producer", default=None, help="数据产生单位 (the producing organisation) for the header.")
@click.option("--quiet", "-q", is_flag=True, help="No summary line.")
def export_cmd(inputs, output, layer, per_parcel, encoding, lf, producer, quiet):
    """Write parcels (a GeoPackage/Shapefile, or coordinate files) as 界址点坐标交换格式 files.

    Format 1.01 with every [属性描述] key, 地块面积 in 公顷 to 4 decimals, points J1… through each
    plot, each ring (圈号) closed by its first point, holes right after their outer ring. Files are
    written atomically and never over an input.
    """
    from ..io.coords import find_coords_files, write_coords

    gdf, failures = _load_parcels(inputs, layer, quiet)
    protected = find_coords_files(inputs) if all(_is_coords_input(p) for p in inputs) else list(inputs)
    header = {"数据产生单位": producer} if producer else None
    written = write_coords(gdf, output, one_file_per_parcel=per_parcel, encoding=encoding,
                           newline="\n" if lf else "\r\n", header=header, inputs=protected)
    if not quiet:
        click.echo(f"写出 {len(gdf)} 个地块到 {len(written)} 个文件 ({encoding}) -> {output}")
    if failures:
        sys.exit(EXIT_PARTIAL)


@coords.command("table")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path),
                metavar="INPUT...")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The 界址点成果表: .xlsx (sheets 界址点成果表, 面积汇总) or .csv.")
@click.option("--points", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the corners as a GeoPackage point layer 'corners'.")
@click.option("--layer", default=None, help="Layer of the vector file (default: 'parcels' or the first).")
@click.option("--quiet", "-q", is_flag=True, help="No summary line.")
def table_cmd(inputs, output, points, layer, quiet):
    """Make the 界址点成果表 (corner-point table) of parcels.

    INPUT is coordinate files/folders or one vector file of parcels (e.g. parcels.gpkg). Per parcel:
    each corner with 点号, X (north), Y (east) and 边长 (edge length to the next point), the area in
    m², 公顷 and 亩, and the CRS (坐标系).
    """
    from ..io.coords import find_coords_files
    from ..report.corner_table import write_corner_points, write_corner_table

    gdf, failures = _load_parcels(inputs, layer, quiet)
    protected = find_coords_files(inputs) if all(_is_coords_input(p) for p in inputs) else list(inputs)
    if gdf.crs is not None and gdf.crs.is_geographic:
        from ..crs import zone_from_longitude

        lon = float(gdf.geometry.union_all().centroid.x)
        gdf = gdf.to_crs(zone_from_longitude(lon).epsg)
    write_corner_table(gdf, output, inputs=protected)
    if points is not None:
        write_corner_points(gdf, points, inputs=protected + [output])
    if not quiet:
        extra = f"，界址点图层 -> {points}" if points is not None else ""
        click.echo(f"界址点成果表: {len(gdf)} 个地块 -> {output}{extra}")
    if failures:
        sys.exit(EXIT_PARTIAL)
