"""Constants shared by the generator: CRS, 亩, coordinate grid, the fixed GDAL date, and openpyxl's
XML writer pinned to the standard library (with lxml installed openpyxl serialises the same workbook
to other bytes, so the xlsx files would depend on what else is installed)."""

from __future__ import annotations

import os

import pyogrio

FIXED_DATE = "2023-06-30T00:00:00Z"
os.environ.setdefault("OGR_CURRENT_DATE", FIXED_DATE)
pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_DATE})
os.environ["OPENPYXL_LXML"] = "False"        # read when openpyxl is first imported (writers import it lazily)

EPSG = 4528
M2_PER_MU = 10000.0 / 15.0
GRID = 0.001  # cadastral coordinate precision, m
