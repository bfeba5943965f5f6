"""Input and output: layers, tables, corner-coordinate files, atomic writes.

GDAL's ``.aux.xml`` side files are turned off (``GDAL_PAM_ENABLED=NO`` unless the user set it):
GDAL writes one beside a GeoPackage it only *reads* when the file holds dataset metadata (the run
id of ``results.gpkg``), so reading a workspace's inputs or a run's results would add files to
folders the tool must not touch.
"""

import os

os.environ.setdefault("GDAL_PAM_ENABLED", "NO")
