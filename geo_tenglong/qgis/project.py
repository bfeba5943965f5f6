"""The QGIS project ``腾笼换鸟.qgz`` beside results.gpkg, and the pipeline output that writes both.

The project is a zip holding one ``.qgs`` XML document: the results layers (relative paths to
results.gpkg) in the web map's groups and drawing order, each with the style also stored as the
table's default in ``layer_styles``, Chinese layer names, and the project CRS of the results.
"""

from __future__ import annotations

import contextlib
import sqlite3
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..io.atomic import atomic_path
from ..results import RESULTS_FILE
from .gpkg_styles import gpkg_tables, write_gpkg_styles
from .layers import LayerSpec, layer_specs
from .qml import QGIS_VERSION, style_elements

#: File name of the project in the output folder.
PROJECT_FILE = "腾笼换鸟.qgz"
PROJECT_TITLE = "腾笼换鸟"


def _crs_of(path: Path) -> dict[str, str]:
    """The results CRS (of the first spatial table) from ``gpkg_spatial_ref_sys``."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
        row = con.execute(
            "SELECT s.organization, s.organization_coordsys_id, s.definition, s.srs_name, c.min_x, c.min_y,"
            " c.max_x, c.max_y FROM gpkg_contents c JOIN gpkg_spatial_ref_sys s ON s.srs_id = c.srs_id"
            " WHERE c.data_type = 'features' ORDER BY (c.table_name = 'parcels') DESC, c.rowid LIMIT 1").fetchone()
    if row is None:
        return {}
    org, code, wkt, name, *extent = row
    return {"authid": f"{org.upper()}:{code}" if org and str(org).upper() != "NONE" else "", "wkt": wkt or "",
            "description": name or "", "extent": ",".join(f"{v:.3f}" for v in extent if v is not None)}


def _srs(parent: ET.Element, crs: dict[str, str]) -> None:
    ref = ET.SubElement(parent, "spatialrefsys")
    for tag in ("wkt", "authid", "description"):
        ET.SubElement(ref, tag).text = crs.get(tag, "")


def layer_id(spec: LayerSpec) -> str:
    """The project's id of a layer (QGIS ignores ids of 10 characters or fewer and makes up its own)."""
    return f"{spec.layer_id}_geo_tenglong"


def _datasource(spec: LayerSpec) -> str:
    src = f"./{RESULTS_FILE}|layername={spec.table}"
    return src + (f"|subset={spec.subset}" if spec.subset else "")


def project_document(specs: Sequence[LayerSpec], tables: dict[str, tuple[list[str], str | None]],
                     crs: dict[str, str]) -> str:
    """The ``.qgs`` XML text of a project showing ``specs`` (top to bottom) in their groups.

    Parameters
    ----------
    specs : sequence of LayerSpec
        From :func:`geo_tenglong.qgis.layers.layer_specs`.
    tables : dict
        Table → (columns, geometry column) of results.gpkg.
    crs : dict
        ``authid``, ``wkt``, ``description`` and ``extent`` (``xmin,ymin,xmax,ymax``) of the results.
    """
    root = ET.Element("qgis", projectname=PROJECT_TITLE, version=QGIS_VERSION)
    ET.SubElement(root, "title").text = PROJECT_TITLE
    _srs(ET.SubElement(root, "projectCrs"), crs)
    tree = ET.SubElement(root, "layer-tree-group")
    ET.SubElement(tree, "customproperties")
    groups: dict[str, ET.Element] = {}
    for spec in specs:
        if spec.group not in groups:
            groups[spec.group] = ET.SubElement(tree, "layer-tree-group", name=spec.group, checked="Qt::Checked",
                                               expanded="1" if spec.spatial else "0")
            ET.SubElement(groups[spec.group], "customproperties")
        ET.SubElement(groups[spec.group], "layer-tree-layer", id=layer_id(spec), name=spec.label,
                      source=_datasource(spec), providerKey="ogr", checked="Qt::Checked", expanded="1")
    canvas = ET.SubElement(root, "mapcanvas", name="theMapCanvas", annotationsVisible="1")
    ET.SubElement(canvas, "units").text = "meters"
    if crs.get("extent"):
        xmin, ymin, xmax, ymax = crs["extent"].split(",")
        extent = ET.SubElement(canvas, "extent")
        for tag, value in (("xmin", xmin), ("ymin", ymin), ("xmax", xmax), ("ymax", ymax)):
            ET.SubElement(extent, tag).text = value
    ET.SubElement(canvas, "rotation").text = "0"
    _srs(ET.SubElement(canvas, "destinationsrs"), crs)
    layers = ET.SubElement(root, "projectlayers")
    for spec in specs:
        columns, geom = tables[spec.table]
        attrs: dict[str, Any] = {"type": "vector", "autoRefreshEnabled": "0", "readOnly": "0",
                                 "labelsEnabled": "1" if spec.label_field else "0",
                                 "geometry": "Polygon" if geom else "No geometry",
                                 "wkbType": "Polygon" if geom else "NoGeometry",
                                 "styleCategories": "AllStyleCategories"}
        ml = ET.SubElement(layers, "maplayer", attrs)
        ET.SubElement(ml, "id").text = layer_id(spec)
        ET.SubElement(ml, "datasource").text = _datasource(spec)
        ET.SubElement(ml, "layername").text = spec.label
        if geom:
            _srs(ET.SubElement(ml, "srs"), crs)
        ET.SubElement(ml, "provider", encoding="UTF-8").text = "ogr"
        for el in style_elements(spec, columns):
            ml.append(el)
    order = ET.SubElement(root, "layerorder")
    for spec in specs:
        ET.SubElement(order, "layer", id=layer_id(spec))
    props = ET.SubElement(root, "properties")
    paths = ET.SubElement(props, "Paths")
    ET.SubElement(paths, "Absolute", type="bool").text = "false"
    # QGIS reads <projectCrs> only when this says the project has a CRS
    ET.SubElement(ET.SubElement(props, "SpatialRefSys"), "ProjectionsEnabled", type="int").text = "1"
    ET.indent(root)
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode") + "\n"


def write_project(path: str | Path, qgs_text: str) -> Path:
    """Write ``qgs_text`` as a ``.qgz`` (a zip holding one ``.qgs``) atomically."""
    target = Path(path)
    with atomic_path(target) as tmp, zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(target.with_suffix(".qgs").name, qgs_text.encode("utf-8"))
    return target


def write_qgis_project(results: Any, out_dir: str | Path, maps_dir: str | Path | None = None,
                       ws: Any = None) -> list[Path]:
    """Make the results.gpkg in ``out_dir`` QGIS-ready and write ``腾笼换鸟.qgz`` beside it.

    Adds the ``layer_styles`` (a default style per layer) and ``gpkg_data_columns`` (Chinese
    field names) tables to the results.gpkg found in ``out_dir`` and writes the project there.
    Writes nothing outside ``out_dir``.

    Parameters
    ----------
    results : Results
        Unused: the styles follow what results.gpkg actually holds (pipeline output signature).
    out_dir : path
        The folder holding results.gpkg.
    maps_dir, ws
        Unused (pipeline output signature).

    Returns
    -------
    list of Path
        The project file (results.gpkg, changed in place, is listed by the results writer).

    Raises
    ------
    InputError
        When ``out_dir`` holds no GeoPackage results.gpkg.
    """
    from ..errors import InputError

    out = Path(out_dir)
    gpkg = out / RESULTS_FILE
    if not gpkg.is_file():
        raise InputError("no results.gpkg to style for QGIS", gpkg)
    tables = gpkg_tables(gpkg)
    specs = layer_specs(tables)
    write_gpkg_styles(gpkg, specs, tables)
    project = write_project(out / PROJECT_FILE, project_document(specs, tables, _crs_of(gpkg)))
    return [project]
