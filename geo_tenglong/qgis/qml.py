"""QML style documents for the results layers, written as XML without PyQGIS.

A style holds the renderer (categories in the web map's colours and Chinese legend labels), map
labels, Chinese field aliases (the results schema's headings) and ValueMap edit widgets that show
enumeration codes (``fail``, ``1`` …) by their Chinese labels. :func:`style_elements` gives the
elements a QML document and a project's ``<maplayer>`` share.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from .. import results_schema
from ..webmap.styles import Category
from .layers import LayerSpec

#: The QGIS version the documents are written for (readable by QGIS 3.16 and later).
QGIS_VERSION = "3.22.16-Białowieża"
#: Font of map labels (Debian's fonts-noto-cjk; QGIS falls back to a system font without it).
LABEL_FONT = "Noto Sans CJK SC"
_DOCTYPE = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"


def qgis_color(hex_color: str, opacity: float = 1.0) -> str:
    """``#rrggbb`` and an opacity 0–1 as QGIS writes a colour: ``"r,g,b,a"``.

    Examples
    --------
    >>> qgis_color("#1a9850", 0.55)
    '26,152,80,140'
    """
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{round(max(0.0, min(1.0, opacity)) * 255)}"


def _options(parent: ET.Element, values: dict[str, str]) -> ET.Element:
    opt = ET.SubElement(parent, "Option", type="Map")
    for name, value in values.items():
        ET.SubElement(opt, "Option", name=name, value=value, type="QString")
    return opt


def symbol_element(name: str, style: dict) -> ET.Element:
    """A fill symbol from a Leaflet path style (``color``, ``weight``, ``opacity``, ``fill``,
    ``fillColor``, ``fillOpacity``, ``dashArray``): a fill without outline plus an outline line
    whose width (pixels) and dash pattern are the map's."""
    sym = ET.Element("symbol", type="fill", name=name, alpha="1", clip_to_extent="1", force_rhr="0")
    fill_on = bool(style.get("fill", True)) and float(style.get("fillOpacity", 0.0)) > 0
    fill = ET.SubElement(sym, "layer", {"class": "SimpleFill", "enabled": "1", "locked": "0", "pass": "0"})
    _options(fill, {
        "color": qgis_color(style.get("fillColor", style["color"]), float(style.get("fillOpacity", 0.0))),
        "style": "solid" if fill_on else "no",
        "outline_style": "no",
        "outline_color": "0,0,0,0",
        "outline_width": "0",
        "outline_width_unit": "Pixel",
        "joinstyle": "bevel",
        "offset": "0,0",
    })
    line = ET.SubElement(sym, "layer", {"class": "SimpleLine", "enabled": "1", "locked": "0", "pass": "0"})
    dash = str(style.get("dashArray") or "").split()
    _options(line, {
        "line_color": qgis_color(style["color"], float(style.get("opacity", 1.0))),
        "line_width": f"{float(style.get('weight', 1.0)):g}",
        "line_width_unit": "Pixel",
        "line_style": "solid",
        "use_custom_dash": "1" if dash else "0",
        "customdash": ";".join(dash) if dash else "5;2",
        "customdash_unit": "Pixel",
        "capstyle": "flat",
        "joinstyle": "round",
        "offset": "0",
    })
    return sym


def renderer_element(spec: LayerSpec) -> ET.Element:
    """``<renderer-v2>``: categorised on the spec's key expression, or a single symbol."""
    if spec.key_expression is None:
        rend = ET.Element("renderer-v2", type="singleSymbol", symbollevels="0", enableorderby="0", forceraster="0")
        symbols = ET.SubElement(rend, "symbols")
        symbols.append(symbol_element("0", spec.categories[0].style))
        return rend
    rend = ET.Element("renderer-v2", type="categorizedSymbol", attr=spec.key_expression, symbollevels="0",
                      enableorderby="0", forceraster="0")
    cats = ET.SubElement(rend, "categories")
    symbols = ET.SubElement(rend, "symbols")
    for i, cat in enumerate(spec.categories):
        ET.SubElement(cats, "category", render="true", symbol=str(i), value=cat.key, label=cat.label)
        symbols.append(symbol_element(str(i), cat.style))
    return rend


def labeling_element(spec: LayerSpec) -> ET.Element | None:
    """``<labeling>`` drawing ``spec.label_field`` at large scales, or ``None``."""
    if spec.label_field is None:
        return None
    lab = ET.Element("labeling", type="simple")
    settings = ET.SubElement(lab, "settings", calloutType="simple")
    text = ET.SubElement(settings, "text-style", fieldName=spec.label_field, isExpression="0",
                         fontFamily=LABEL_FONT, fontSize="9", fontSizeUnit="Point", textColor="40,40,40,255",
                         textOpacity="1", fontWeight="50", fontItalic="0", namedStyle="Regular")
    ET.SubElement(text, "text-buffer", bufferDraw="1", bufferSize="0.8", bufferSizeUnits="MM",
                  bufferColor="255,255,255,255", bufferOpacity="0.85", bufferNoFill="1", bufferJoinStyle="128")
    ET.SubElement(settings, "text-format", wrapChar="", multilineAlign="3", autoWrapLength="12",
                  useMaxLineLengthForAutoWrap="1")
    ET.SubElement(settings, "placement", placement="1", fitInPolygonOnly="0", centroidInside="1", dist="0")
    # scaleMax is the most zoomed-out scale at which labels show (QGIS's minimumScale)
    ET.SubElement(settings, "rendering", scaleVisibility="1", scaleMin="0", scaleMax=f"{spec.label_max_scale:g}",
                  obstacle="1", displayAll="0", limitNumLabels="0", upsidedownLabels="0")
    return lab


def _declared(table: str) -> results_schema.Table | None:
    try:
        return results_schema.table_schema(table)
    except KeyError:
        return None


def field_elements(table: str, columns: Sequence[str]) -> tuple[ET.Element, ET.Element]:
    """``<fieldConfiguration>`` (ValueMap widgets for enumerations and booleans) and ``<aliases>``.

    Parameters
    ----------
    table : str
        The results-schema table whose declarations give the labels.
    columns : sequence of str
        The table's attribute columns as stored (in order; the index QGIS records).
    """
    declared = _declared(table)
    config = ET.Element("fieldConfiguration")
    aliases = ET.Element("aliases")
    for index, column in enumerate(columns):
        field = None
        if declared is not None:
            try:
                field = declared.field(column)
            except KeyError:
                field = None
        ET.SubElement(aliases, "alias", field=column, index=str(index), name=field.heading if field else "")
        cfg = ET.SubElement(config, "field", name=column, configurationFlags="None")
        values = results_schema.value_labels(table, column) if field is not None else {}
        if values:
            widget = ET.SubElement(cfg, "editWidget", type="ValueMap")
            opt = ET.SubElement(ET.SubElement(widget, "config"), "Option", type="Map")
            lst = ET.SubElement(opt, "Option", name="map", type="List")
            for code, text in values.items():
                ET.SubElement(ET.SubElement(lst, "Option", type="Map"), "Option", name=text, value=code,
                              type="QString")
        else:
            widget = ET.SubElement(cfg, "editWidget", type="TextEdit")
            _options(ET.SubElement(widget, "config"), {"IsMultiline": "0", "UseHtml": "0"})
    return config, aliases


def style_elements(spec: LayerSpec, columns: Sequence[str]) -> list[ET.Element]:
    """The elements of a layer style: renderer and labels (spatial layers), fields and aliases."""
    out: list[ET.Element] = []
    if spec.spatial:
        out.append(renderer_element(spec))
        lab = labeling_element(spec)
        if lab is not None:
            out.append(lab)
    out.extend(field_elements(spec.table, columns))
    if spec.spatial:
        geom = ET.Element("layerGeometryType")
        geom.text = "2"
        out.append(geom)
    return out


def qml_document(spec: LayerSpec, columns: Sequence[str]) -> str:
    """The QML text of ``spec``'s style (what ``layer_styles.styleQML`` holds)."""
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="AllStyleCategories",
                      labelsEnabled="1" if spec.label_field else "0")
    for el in style_elements(spec, columns):
        root.append(el)
    ET.indent(root)
    return _DOCTYPE + "\n" + ET.tostring(root, encoding="unicode") + "\n"


def legend_items(spec: LayerSpec) -> list[Category]:
    """The legend entries of ``spec`` (its categories; one for a single-symbol layer)."""
    return list(spec.categories[:1] if spec.key_expression is None else spec.categories)
