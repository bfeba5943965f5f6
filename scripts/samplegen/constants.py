"""Constants shared by the generator: CRS, 亩, coordinate grid, the fixed GDAL date."""

from __future__ import annotations

import os

import pyogrio

FIXED_DATE = "2023-06-30T00:00:00Z"
os.environ.setdefault("OGR_CURRENT_DATE", FIXED_DATE)
pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_DATE})

EPSG = 4528
M2_PER_MU = 10000.0 / 15.0
GRID = 0.001  # cadastral coordinate precision, m
