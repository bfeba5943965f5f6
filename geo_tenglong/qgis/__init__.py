"""QGIS-ready results: layer styles and field aliases inside results.gpkg, and a QGIS project.

Everything here is plain XML and sqlite3; the tool's runtime never needs PyQGIS. Colours come from
the briefing map (:mod:`geo_tenglong.webmap.styles`), labels and value labels from the results
schema (:mod:`geo_tenglong.results_schema`).

- :mod:`.layers`: which results layer is drawn how (categories, the QGIS expression that classifies
  a feature, groups and order as in the web map's layer list).
- :mod:`.qml`: QML style documents (renderer, labels, aliases, ValueMap widgets).
- :mod:`.gpkg_styles`: the ``layer_styles`` and ``gpkg_data_columns`` tables.
- :mod:`.project`: the ``腾笼换鸟.qgz`` project and :func:`write_qgis_project`, the pipeline output.
"""

from __future__ import annotations

from .project import PROJECT_FILE, write_qgis_project

__all__ = ["PROJECT_FILE", "write_qgis_project"]
