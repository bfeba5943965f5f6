"""QGIS-ready results: layer_styles and gpkg_data_columns in results.gpkg, and the 腾笼换鸟.qgz project.

The first tests read the GeoPackage with sqlite3 and need no QGIS; the last opens the project with
real QGIS (Debian's python3-qgis under /usr/bin/python3, headless) and renders a PNG.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from pathlib import Path

import pyogrio
import pytest

from geo_tenglong import results_schema
from geo_tenglong.qgis import PROJECT_FILE, write_qgis_project
from geo_tenglong.qgis.gpkg_styles import gpkg_tables
from geo_tenglong.qgis.layers import layer_specs
from geo_tenglong.results import RESULTS_FILE, Results
from geo_tenglong.webmap import styles

SYSTEM_PYTHON = Path("/usr/bin/python3")
LAYER_STYLES_COLUMNS = ["id", "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName",
                        "styleQML", "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time"]


@pytest.fixture(scope="module")
def qgis_out(sample_results, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("qgis_out")
    sample_results.write(out)
    paths = write_qgis_project(sample_results, out, out / "maps", None)
    assert paths == [out / PROJECT_FILE]
    return out


def _styles(out: Path) -> list[sqlite3.Row]:
    con = sqlite3.connect(out / RESULTS_FILE)
    con.row_factory = sqlite3.Row
    try:
        return con.execute("SELECT * FROM layer_styles ORDER BY id").fetchall()
    finally:
        con.close()


def test_layer_styles_table_has_a_default_style_per_layer(qgis_out):
    rows = _styles(qgis_out)
    assert list(rows[0].keys()) == LAYER_STYLES_COLUMNS
    tables = gpkg_tables(qgis_out / RESULTS_FILE)
    defaults = Counter(r["f_table_name"] for r in rows if r["useAsDefault"])
    assert defaults == Counter(list(tables))  # exactly one default per table
    for r in rows:
        geom = tables[r["f_table_name"]][1]
        assert r["f_geometry_column"] == (geom or "")
        root = ET.fromstring(r["styleQML"].split("\n", 1)[1])
        aliases = {a.get("field"): a.get("name") for a in root.iter("alias")}
        assert set(aliases) == set(tables[r["f_table_name"]][0])
    parcels = next(r for r in rows if r["f_table_name"] == "parcels" and r["useAsDefault"])
    root = ET.fromstring(parcels["styleQML"].split("\n", 1)[1])
    cats = root.find("renderer-v2/categories")
    assert [c.get("label") for c in cats] == [c.label for c in styles.PARCEL_CATEGORIES]
    fill = root.find("renderer-v2/symbols/symbol[@name='3']/layer[@class='SimpleFill']")
    colour = {o.get("name"): o.get("value") for o in fill.iter("Option")}["color"]
    assert colour.startswith("215,48,31,")  # D类: the web map's #d7301f
    aliases = {a.get("field"): a.get("name") for a in root.iter("alias")}
    assert aliases["eval_class"] == results_schema.parcel_field("eval_class").heading
    assert aliases["area_mu"] == "面积(亩)"
    vmap = root.find("fieldConfiguration/field[@name='idle_tier']/editWidget")
    assert vmap.get("type") == "ValueMap"
    pairs = {o.get("value"): o.get("name") for o in vmap.iter("Option") if o.get("value") is not None}
    assert pairs["2"] == results_schema.value_label("parcels", "idle_tier", 2)
    reclaim = [r for r in rows if r["f_table_name"] == "parcels" and not r["useAsDefault"]]
    assert [r["styleName"] for r in reclaim] == ["可腾退低效工业用地"]


def test_data_columns_carry_chinese_names(qgis_out):
    con = sqlite3.connect(qgis_out / RESULTS_FILE)
    try:
        rows = con.execute("SELECT table_name, column_name, name, title FROM gpkg_data_columns").fetchall()
        ext = con.execute("SELECT extension_name FROM gpkg_extensions WHERE table_name = 'gpkg_data_columns'").fetchall()
    finally:
        con.close()
    assert ext == [("gpkg_schema",)]
    by_key = {(t, c): (n, ti) for t, c, n, ti in rows}
    assert by_key[("findings", "status")][0] == results_schema.label("findings", "status")
    assert by_key[("parcels", "area_mu")][1] == "面积(亩)"
    per_table = Counter((t, n) for t, _c, n, _ti in rows)
    assert max(per_table.values()) == 1  # names are unique within a table (GeoPackage requires it)
    assert not any(n.isascii() for _t, _c, n, _ti in rows if n)


def test_results_still_read_and_styling_again_is_idempotent(qgis_out):
    before = len(_styles(qgis_out))
    write_qgis_project(None, qgis_out)
    assert len(_styles(qgis_out)) == before
    res = Results.read(qgis_out)
    assert "layer_styles" not in res.layers and len(res.parcels) > 0


def test_project_groups_layers_like_the_web_map(qgis_out):
    with zipfile.ZipFile(qgis_out / PROJECT_FILE) as zf:
        assert zf.namelist() == ["腾笼换鸟.qgs"]
        root = ET.fromstring(zf.read("腾笼换鸟.qgs").decode("utf-8").split("\n", 1)[1])
    groups = [g.get("name") for g in root.find("layer-tree-group").findall("layer-tree-group")]
    assert groups == ["方案核查", "重点关注", "宗地", "属性表"]
    sources = [n.get("source") for n in root.iter("layer-tree-layer")]
    assert all(s.startswith("./results.gpkg|layername=") for s in sources)
    names = [n.get("name") for g in root.find("layer-tree-group").findall("layer-tree-group")
             if g.get("name") != "属性表" for n in g.iter("layer-tree-layer")]
    web_order = [s.label for s in reversed(styles.LAYER_STYLES)]
    drawn = [n for n in names if n in web_order]
    assert drawn == [n for n in web_order if n in drawn]  # same drawing order as the web map
    assert root.find("projectCrs/spatialrefsys/authid").text == "EPSG:4528"


def test_writer_needs_the_results_file(tmp_path):
    from geo_tenglong.errors import InputError

    with pytest.raises(InputError, match="results.gpkg"):
        write_qgis_project(None, tmp_path)


QGIS_SCRIPT = r'''
"""Run under Debian's /usr/bin/python3: open the project headless, report every layer as JSON, render a PNG."""
import json
import sys

from qgis.core import (QgsApplication, QgsMapRendererParallelJob, QgsMapSettings, QgsProject,
                       QgsVectorLayer)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

project_path, png_path = sys.argv[1], sys.argv[2]
app = QgsApplication([], False)
app.initQgis()
project = QgsProject.instance()
ok = project.read(project_path)
out = {"read": ok, "crs": project.crs().authid(), "layers": [], "tree": []}
root = project.layerTreeRoot()
for group in root.children():
    out["tree"].append([group.name(), [node.name() for node in group.children()]])
for lid, layer in project.mapLayers().items():
    info = {"id": lid, "name": layer.name(), "valid": layer.isValid(), "features": layer.featureCount()}
    if isinstance(layer, QgsVectorLayer):
        fields = layer.fields()
        info["aliases"] = {f.name(): f.alias() for f in fields}
        info["widgets"] = {f.name(): f.editorWidgetSetup().type() for f in fields}
        r = layer.renderer()
        info["renderer"] = r.type() if r else None
        if r is not None and r.type() == "categorizedSymbol":
            info["categories"] = [c.label() for c in r.categories()]
            # how many features each category draws (checks the key expression matches)
            counts = {}
            ctx = None
            from qgis.core import QgsExpression, QgsExpressionContext, QgsExpressionContextUtils
            expr = QgsExpression(r.classAttribute())
            ctx = QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(layer))
            expr.prepare(ctx)
            for feat in layer.getFeatures():
                ctx.setFeature(feat)
                key = expr.evaluate(ctx)
                counts[str(key)] = counts.get(str(key), 0) + 1
            info["expr_error"] = expr.evalErrorString() or expr.parserErrorString()
            info["key_counts"] = counts
        if "status" in fields.names() or "verdict" in fields.names():
            col = "status" if "status" in fields.names() else "verdict"
            idx = fields.indexOf(col)
            setup = layer.editorWidgetSetup(idx)
            from qgis.core import QgsApplication as A
            fmt = A.fieldFormatterRegistry().fieldFormatter(setup.type())
            vals = [f[col] for f in layer.getFeatures()][:50]
            info["represented"] = sorted({fmt.representValue(layer, idx, setup.config(), None, v) for v in vals})
        for bcol in ("reclaimable", "compliant"):
            if bcol in fields.names():
                idx = fields.indexOf(bcol)
                setup = layer.editorWidgetSetup(idx)
                fmt = QgsApplication.fieldFormatterRegistry().fieldFormatter(setup.type())
                vals = [f[bcol] for f in layer.getFeatures()][:200]
                info["bool_represented"] = sorted({str(fmt.representValue(layer, idx, setup.config(), None, v))
                                                    for v in vals})
        info["subset"] = layer.subsetString()
        info["spatial"] = layer.isSpatial()
    out["layers"].append(info)

settings = QgsMapSettings()
visible = [n.layer() for n in root.findLayers() if n.layer() is not None and n.layer().isSpatial()]
settings.setLayers(visible)
settings.setDestinationCrs(project.crs())
ext = project.layerTreeRoot().findLayer("parcels_geo_tenglong").layer().extent()
ext.scale(1.05)
settings.setExtent(ext)
settings.setOutputSize(QSize(1400, 900))
settings.setBackgroundColor(QColor(255, 255, 255))
job = QgsMapRendererParallelJob(settings)
job.start()
job.waitForFinished()
img = job.renderedImage()
out["png_saved"] = img.save(png_path, "png")
print("JSON" + json.dumps(out, ensure_ascii=False))
app.exitQgis()
'''


def _web_counts(gpkg: Path, spec) -> Counter:
    frame = pyogrio.read_dataframe(gpkg, layer=spec.table, read_geometry=False)
    web = styles.style_for(spec.layer_id)
    keys = [c.key for c in web.categories]
    return Counter(keys[i] for i in web.classify(frame))


def test_project_opens_in_qgis_with_its_styles(qgis_out, tmp_path):
    if not SYSTEM_PYTHON.exists():
        pytest.skip("no /usr/bin/python3 (Debian's python3-qgis)")
    probe = subprocess.run([str(SYSTEM_PYTHON), "-c", "import qgis.core"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("import qgis.core fails under /usr/bin/python3: " + probe.stderr.strip().splitlines()[-1:][0]
                    if probe.stderr.strip() else "import qgis.core fails under /usr/bin/python3")
    script = tmp_path / "check_project.py"
    script.write_text(QGIS_SCRIPT, encoding="utf-8")
    png = Path(os.environ.get("GEO_TENGLONG_QGIS_PNG", tmp_path / "qgis_map.png"))
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CPL_LOG="/dev/null", XDG_RUNTIME_DIR=str(tmp_path))
    env.pop("PYTHONPATH", None)
    proc = subprocess.run([str(SYSTEM_PYTHON), str(script), str(qgis_out / PROJECT_FILE), str(png)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.split("JSON", 1)[1])
    assert report["read"] and report["crs"] == "EPSG:4528" and report["png_saved"]
    assert png.stat().st_size > 20_000
    specs = {f"{s.layer_id}_geo_tenglong": s for s in layer_specs(gpkg_tables(qgis_out / RESULTS_FILE))}
    layers = {lay["id"]: lay for lay in report["layers"]}
    assert set(layers) == set(specs)
    assert [g for g, _ in report["tree"]] == ["方案核查", "重点关注", "宗地", "属性表"]
    for lid, spec in specs.items():
        lay = layers[lid]
        assert lay["valid"], lid
        assert lay["name"] == spec.label
        declared = results_schema.table_schema(spec.table)
        for column, alias in lay["aliases"].items():
            if column in declared.names:
                assert alias == declared.field(column).heading, (lid, column)
        if not spec.spatial:
            continue
        expected = "singleSymbol" if spec.key_expression is None else "categorizedSymbol"
        assert lay["renderer"] == expected, lid
        if spec.key_expression is not None:
            assert lay["categories"] == [c.label for c in spec.categories], lid
            assert not lay["expr_error"], (lid, lay["expr_error"])
            if styles.style_for(spec.layer_id) is not None:
                # QGIS puts each feature in the same category as the web map
                assert Counter(lay["key_counts"]) == _web_counts(qgis_out / RESULTS_FILE, spec), lid
    assert layers["findings_geo_tenglong"]["represented"] and all(
        not v.isascii() for v in layers["findings_geo_tenglong"]["represented"])
    assert set(layers["parcels_geo_tenglong"]["bool_represented"]) <= {"是", "否", "NULL"}
    reclaim = layers["reclaimable_geo_tenglong"]
    assert reclaim["bool_represented"] == ["是"] and reclaim["features"] > 0
