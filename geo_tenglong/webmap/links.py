"""Where a parcel's report lives, so the map can link to it.

Parcel reports are written by :mod:`geo_tenglong.report.parcel_report` as
``<output folder>/reports/<report_relpath(parcel_id)>``; ``report_relpath`` there is the one agreed
name. The map links to a report only when that file exists when the map is rendered.
"""

from __future__ import annotations

import re

#: Folder (under the output folder) holding the parcel reports.
REPORTS_DIR = "reports"

_UNSAFE = re.compile(r"[^0-9A-Za-z_\-\u4e00-\u9fff]")


def report_file(parcel_id) -> str:
    """The file name of ``parcel_id``'s report inside the reports folder.

    Uses :func:`geo_tenglong.report.parcel_report.report_relpath`; if the report module is not
    importable (an install without the report extras), falls back to the id with unsafe characters
    replaced, which matches it for ordinary 宗地代码 (and otherwise just finds no file: no link).

    Examples
    --------
    >>> report_file("331023001001GB00001")
    '331023001001GB00001.html'
    """
    try:
        from ..report.parcel_report import report_relpath
    except ImportError:
        return _UNSAFE.sub("_", str(parcel_id)).strip("_.") + ".html"
    return report_relpath(parcel_id)
