"""界址点坐标交换格式 (parcel corner-coordinate exchange format): read and write.

The reader runs in steps, a module each:

- :mod:`.decode` — bytes → text: size limit, encodings, BOM, line ends, full-width punctuation;
- :mod:`.parse` — text → sections and records (header, 项目信息, extension sections, plots and
  their rings as arrays), with :mod:`.layouts` (the known plot-line layouts) and :mod:`.area`
  (the stated 地块面积);
- :mod:`.zone` — 坐标系/几度分带/带号 and the Y prefix → the Gauss-Krüger zone (CRS);
- :mod:`.assemble` — records → (Multi)Polygons, holes and parts by containment;
- :mod:`.batch` — one file, many files and folders, into one CRS.

:mod:`.write` writes parcels back, keeping what was read. The package knows no rule: the
stated-vs-computed area disagreements come back as ``area_checks`` and the ``corner_files`` stage
(:mod:`geo_tenglong.analysis.corner_files`) makes them findings.

Public entry points:

- :func:`read_coords` — one file to a :class:`CoordsFile` (header, plots GeoDataFrame, area checks).
- :func:`read_coords_many` / :func:`read_coords_folder` — many files and folders at once; the good
  ones are imported, the bad ones listed with the reason.
- :func:`write_coords` / :func:`format_coords` — parcels to one file or one file per parcel.
"""

from .batch import find_coords_files, read_coords, read_coords_folder, read_coords_many
from .decode import decode_coords_bytes, read_coords_bytes
from .layouts import LAYOUTS
from .model import AREA_CHECK_COLUMNS, DEFAULT_MAX_BYTES, HEADER_KEYS, PLOT_FIELDS, CoordsBatch, CoordsFile
from .parse import parse_coords_text
from .write import DATUM_NAMES, format_coords, write_coords
from .zone import datum_of

__all__ = [
           "AREA_CHECK_COLUMNS",
           "DATUM_NAMES",
           "DEFAULT_MAX_BYTES",
           "HEADER_KEYS",
           "LAYOUTS",
           "PLOT_FIELDS",
           "CoordsBatch",
           "CoordsFile",
           "datum_of",
           "decode_coords_bytes",
           "find_coords_files",
           "format_coords",
           "parse_coords_text",
           "read_coords",
           "read_coords_bytes",
           "read_coords_folder",
           "read_coords_many",
           "write_coords",
]
