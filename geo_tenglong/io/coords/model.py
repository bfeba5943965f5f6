"""What a 界址点坐标交换格式 file holds once read: constants and the data classes shared by the
decode → parse → zone → assemble → batch steps of the reader."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ...crs import GKZone

#: The keys of ``[属性描述]`` in format version 1.01, in order.
HEADER_KEYS = ("格式版本号", "数据产生单位", "数据产生日期", "坐标系", "几度分带", "投影类型", "计量单位",
               "带号", "精度", "转换参数")

#: Plot-line fields of the national layout (部标 1.01) before ``@`` -> column names of the plots table.
PLOT_FIELDS = (("界址点数", "declared_points"), ("地块面积", "stated_area"), ("地块编号", "plot_no"),
               ("地块名称", "plot_name"), ("图形属性", "shape_type"), ("图幅号", "sheet_no"),
               ("地块用途", "plot_use"), ("地类编码", "land_class_code"))

#: Coordinates closer than this (m) are the same point (closing a ring, duplicates).
SAME_POINT_M = 0.0005
#: Coordinate precision assumed when 精度 is blank or unreadable (m).
DEFAULT_PRECISION_M = 0.001
#: Largest file read by default (bytes); the reader holds a whole file in memory.
DEFAULT_MAX_BYTES = 20 * 1024 * 1024

#: Columns of the plots table, in order (then ``geometry``).
COLUMNS = ("parcel_id", "plot_no", "plot_name", "shape_type", "sheet_no", "plot_use", "land_class_code",
           "township_code", "village_name", "extra_fields", "plot_layout", "declared_points", "stated_area",
           "stated_area_unit", "stated_area_m2", "area_m2", "n_rings", "point_labels", "closing_labels",
           "source_file", "source_line")
#: Text columns taken from the plot line.
TEXT_COLUMNS = ("plot_no", "plot_name", "shape_type", "sheet_no", "plot_use", "land_class_code", "township_code",
                "village_name", "extra_fields", "plot_layout")
#: Columns of the area checks (stated vs computed area).
AREA_CHECK_COLUMNS = ("parcel_id", "plot_no", "stated_area", "stated_area_m2", "area_m2", "difference_m2",
                      "tolerance_m2", "source_file", "source_line", "message")


@dataclass
class CoordsFile:
    """One 界址点坐标交换格式 file, read.

    Attributes
    ----------
    path : Path
        The file.
    header : dict
        ``[属性描述]`` as written (keys and values stripped, full-width punctuation normalised).
    project : dict
        ``[项目信息]`` (empty when the file has none).
    plots : GeoDataFrame
        One row per plot (地块): ``parcel_id``, the plot-line attributes (``plot_no`` 地块编号,
        ``plot_name`` 地块名称, ``shape_type`` 图形属性, ``sheet_no`` 图幅号, ``plot_use`` 地块用途,
        ``land_class_code`` 地类编码, ``township_code`` 乡镇代码 and ``village_name`` 村名 of the
        provincial layout, ``extra_fields`` of the 土地整治 layout, ``plot_layout`` the layout
        recognised), ``declared_points`` (界址点数; ``<NA>`` when written as 0 = not given), the
        stated area (``stated_area`` as written, ``stated_area_unit`` and ``stated_area_m2`` as
        understood; NaN when blank or 0), the computed ``area_m2``, ``n_rings``, ``point_labels``
        (ring-wise labels, ``|`` between rings), ``closing_labels`` (the label of each ring's closing
        line, ``|`` between rings, blank for a ring the file left open), ``source_file``,
        ``source_line`` and the (Multi)Polygon in the file's CRS.
    area_checks : DataFrame
        Plots whose stated area disagrees with the computed one beyond the tolerance (one unit of the
        last written digit plus the perimeter times 精度): columns :data:`AREA_CHECK_COLUMNS`. The
        ``corner_files`` stage turns them into findings.
    warnings : list of str
        Things taken in stride (non-CGCS2000 datum, blank 带号, unclosed rings, extension
        sections …), in Chinese.
    encoding : str
        The encoding the file was decoded with.
    extensions : dict
        Sections other than ``[属性描述]``, ``[项目信息]`` and ``[地块坐标]`` (e.g. ``[扩展信息]``):
        name -> their non-blank lines as written. Kept, not interpreted.
    """

    path: Path
    header: dict
    project: dict
    plots: gpd.GeoDataFrame
    area_checks: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    encoding: str = ""
    extensions: dict = field(default_factory=dict)

    @property
    def crs(self):
        """The CRS of :attr:`plots`."""
        return self.plots.crs


@dataclass
class CoordsBatch:
    """Many files read together (:func:`read_coords_many`).

    Attributes
    ----------
    plots : GeoDataFrame
        All plots of the good files, in one CRS.
    area_checks : DataFrame
        Their stated-vs-computed area disagreements (see :class:`CoordsFile`).
    warnings : list of str
        ``"file: message"`` lines.
    failures : list of (Path, str)
        Files that could not be imported and why.
    """

    plots: gpd.GeoDataFrame
    area_checks: pd.DataFrame
    warnings: list[str]
    failures: list[tuple[Path, str]]


@dataclass
class Ring:
    """A ring as parsed: coordinates (x = east, y = north), labels of its distinct points, lines."""

    xy: np.ndarray           # (n, 2), closed (first point repeated at the end)
    labels: list             # labels of the n - 1 distinct points
    lines: np.ndarray        # source line of each distinct point
    ring_no: str
    closed: bool = True      # whether the file closed it (else the reader did)
    closing_label: str = ""  # label of the closing line as written ("" when the file left it open)


@dataclass
class Plot:
    """A plot line's attributes, its line number, its rings and how many point lines it has."""

    attrs: dict
    line: int
    rings: list
    n_lines: int


@dataclass
class Parsed:
    """One file parsed into plain arrays (no geometry yet)."""

    path: Path
    header: dict
    project: dict
    plots: list
    zone: GKZone
    warnings: list
    encoding: str
    precision_m: float
    extensions: dict = field(default_factory=dict)
