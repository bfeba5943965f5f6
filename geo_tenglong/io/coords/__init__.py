"""界址点坐标交换格式 (parcel corner-coordinate exchange format): read and write.

The public entry points of the format, re-exported from :mod:`.coords_read` (the reader) and
:mod:`.coords_write` (the writer):

- :func:`read_coords` — one file to a :class:`CoordsFile` (header, plots GeoDataFrame, findings).
- :func:`read_coords_many` / :func:`read_coords_folder` — many files and folders at once; the good
  ones are imported, the bad ones listed with the reason.
- :func:`write_coords` — parcels to one file or one file per parcel (GBK + CRLF by default).
"""

from .coords_read import (CLAUSE, HEADER_KEYS, PLOT_FIELDS, RULE_ID, CoordsBatch, CoordsFile,  # noqa: F401
                          decode_coords_bytes, find_coords_files, parse_coords_text, read_coords,
                          read_coords_folder, read_coords_many)

try:  # the writer lands in a later commit
    from .coords_write import write_coords  # noqa: F401
except ImportError:  # pragma: no cover
    pass

__all__ = ["CoordsFile", "CoordsBatch", "read_coords", "read_coords_many", "read_coords_folder",
           "write_coords", "decode_coords_bytes", "find_coords_files", "parse_coords_text",
           "HEADER_KEYS", "PLOT_FIELDS", "RULE_ID", "CLAUSE"]
