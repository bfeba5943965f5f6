"""The results of a run: parcels with derived columns, findings, extra layers, metrics.

:class:`Results` is what outputs (workbook, reports, web map) render. It is written as
``results.gpkg`` (layers ``parcels``, ``findings``, ``data_issues``, ``targets`` and every stage's
extra layers) plus ``summary.json``, and read back from them, so ``geo-tenglong map results.gpkg``
sees exactly what ``run`` saw.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely
from pyarrow import ArrowException

from .errors import InputError
from .findings import COLUMNS as FINDING_COLUMNS
from .findings import concat_findings, empty_findings
from .io.atomic import atomic_path, check_not_input, write_text_atomic
from .results_schema import check_stage

RESULTS_FILE = "results.gpkg"
SUMMARY_FILE = "summary.json"
#: GeoPackage dataset metadata key holding ``info["run_id"]``.
RUN_ID_KEY = "GEO_TENGLONG_RUN_ID"
#: What GDAL (pyogrio) and Arrow raise when a layer cannot be written: a field or feature refused,
#: a dtype without a field type, or SQLite reporting a full disk (not an OSError).
_WRITE_ERRORS: tuple[type[BaseException], ...] = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
                                                   NotImplementedError, OverflowError, ArrowException)
#: Free bytes below which a failed write is put down to a full disk.
_FULL_BELOW = 4 << 20


@dataclasses.dataclass
class Results:
    """Everything a run produced.

    Attributes
    ----------
    info : dict
        County, admin code, ruleset name, as-of date, CRS, workspace path.
    parcels : GeoDataFrame
        Every input parcel with ``area_m2``, ``area_mu`` and the stages' columns.
    findings : DataFrame
        Columns :data:`geo_tenglong.findings.COLUMNS`.
    layers : dict
        Extra layers (GeoDataFrame) and tables (DataFrame) by name.
    metrics : dict
        County metrics by name.
    summary : dict
        Per-stage summaries, by stage name.
    """

    info: dict[str, Any]
    parcels: gpd.GeoDataFrame
    findings: pd.DataFrame = dataclasses.field(default_factory=empty_findings)
    layers: dict[str, Any] = dataclasses.field(default_factory=dict)
    metrics: dict[str, float] = dataclasses.field(default_factory=dict)
    summary: dict[str, Any] = dataclasses.field(default_factory=dict)

    def add(self, name: str, result) -> None:
        """Merge one stage's :class:`~geo_tenglong.stage.StageResult` into the results.

        The result is first checked against the stage's declaration
        (:func:`geo_tenglong.results_schema.check_stage`): publishing an undeclared column, layer,
        table or metric, omitting a required one, or a column of the wrong dtype family raises
        ``RuntimeError``.
        """
        check_stage(name, result)
        if result.parcel_columns is not None and len(result.parcel_columns.columns):
            cols = result.parcel_columns
            clash = set(cols.columns) & set(self.parcels.columns)
            if clash:
                raise RuntimeError(f"stage {name} adds parcel columns that exist already: {sorted(clash)}")
            joined = self.parcels[["parcel_id"]].join(cols, on="parcel_id")
            for c in cols.columns:
                self.parcels[c] = joined[c].to_numpy()
        self.findings = concat_findings([self.findings, result.findings])
        for lname, layer in result.layers.items():
            if lname in self.layers:
                raise RuntimeError(f"stage {name} writes layer {lname!r} that exists already")
            self.layers[lname] = layer
        self.metrics.update(result.metrics)
        if result.summary:
            self.summary[name] = result.summary

    def layer(self, name: str):
        """An extra layer or table by name, or ``None``."""
        return self.layers.get(name)

    def evaluation_year(self) -> int | None:
        """The 亩均评价 year the rules used (上一年度: the year before the as-of date), or ``None``.

        Outputs show this year's figures, never "the latest year in the table", so a list or
        report agrees with the classes and findings beside it.
        """
        year = self.summary.get("efficiency", {}).get("eval_year")
        return None if year is None else int(year)

    def findings_for(self, parcel_id: str) -> pd.DataFrame:
        """The findings about one parcel or feature."""
        return self.findings[self.findings["parcel_id"] == parcel_id]

    def write(self, out_dir: str | Path, inputs=()) -> Path:
        """Write ``results.gpkg`` and ``summary.json`` into ``out_dir`` atomically.

        Parameters
        ----------
        out_dir : str or Path
        inputs : iterable of Path
            Input files that must not be overwritten.

        Returns
        -------
        Path
            The GeoPackage written.
        """
        out_dir = Path(out_dir)
        target = out_dir / RESULTS_FILE
        check_not_input(target, inputs)
        check_not_input(out_dir / SUMMARY_FILE, inputs)
        with atomic_path(target) as tmp:
            name = "parcels"
            try:
                _write_layer(self.parcels, tmp, name, dataset_metadata=_run_metadata(self.info))
                name = "findings"
                _write_layer(self.findings[FINDING_COLUMNS], tmp, name)
                for name, layer in self.layers.items():
                    _write_layer(layer, tmp, name)
            except _WRITE_ERRORS as exc:  # GDAL/Arrow refusing a field, a feature or a full disk
                reason = " ".join(str(exc).split()) or type(exc).__name__
                raise InputError(f"无法写出图层 {name} ({type(exc).__name__}: {reason}){_space_hint(out_dir)}",
                                 target) from exc
        self.write_summary(out_dir, inputs)
        return target

    def write_summary(self, out_dir: str | Path, inputs=()) -> Path:
        """Write ``summary.json`` (info, metrics, stage summaries) into ``out_dir`` atomically.

        :meth:`write` calls it; a run whose results go to a database writes this file alone beside
        the workbook and reports.

        Returns
        -------
        Path
        """
        path = Path(out_dir) / SUMMARY_FILE
        check_not_input(path, inputs)
        doc = {"info": self.info, "metrics": self.metrics, "summary": self.summary}
        write_text_atomic(path, json.dumps(doc, ensure_ascii=False, indent=2, default=_json_default))
        return path

    @classmethod
    def read(cls, path: str | Path) -> Results:
        """Read results written by :meth:`write` (the GeoPackage path or its folder).

        Raises
        ------
        InputError
            When the file is missing or is not a results GeoPackage.
        """
        path = Path(path)
        if path.is_dir():
            path = path / RESULTS_FILE
        if not path.is_file():
            raise InputError("results file not found", path)
        names = [row[0] for row in pyogrio.list_layers(path) if row[0] != "layer_styles"]  # QGIS styles
        if "parcels" not in names or "findings" not in names:
            raise InputError("not a geo-tenglong results file (needs layers parcels and findings)", path)
        layers = {n: pyogrio.read_dataframe(path, layer=n, use_arrow=True) for n in names}
        summary_path = path.parent / SUMMARY_FILE
        doc = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.is_file() else {}
        parcels = layers.pop("parcels")
        findings = concat_findings([pd.DataFrame(layers.pop("findings"))])
        return cls(info=doc.get("info", {}), parcels=parcels, findings=findings, layers=layers,
                   metrics=doc.get("metrics", {}), summary=doc.get("summary", {}))


def _space_hint(folder: Path) -> str:
    """``"; 磁盘空间不足 (剩余 N KB)"`` when ``folder``'s filesystem is (nearly) full: SQLite then reports only a
    failed commit or write."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return ""
    return f"; 磁盘空间不足 (剩余 {free // 1024} KB)" if free < _FULL_BELOW else ""


def _run_metadata(info: dict) -> dict | None:
    """GeoPackage dataset metadata naming the run (``GEO_TENGLONG_RUN_ID``), read by :func:`run_id_of`."""
    return {RUN_ID_KEY: str(info["run_id"])} if info.get("run_id") else None


def run_id_of(path: str | Path) -> str | None:
    """The run id stored in a results GeoPackage (``None`` for one written before run ids)."""
    meta = pyogrio.read_info(path, layer="parcels").get("dataset_metadata") or {}
    return meta.get(RUN_ID_KEY)


def _write_layer(layer, path: Path, name: str, dataset_metadata: dict | None = None) -> None:
    frame = _writable(layer)
    for col in frame.columns:
        if col == getattr(frame, "_geometry_column_name", None):
            continue
        s = frame[col]
        if s.dtype == object:
            frame[col] = s.map(_cell)
    pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG", dataset_metadata=dataset_metadata)


def _writable(layer):
    """A copy of ``layer`` a GeoPackage accepts whatever the input columns were.

    Columns passed through from an input can clash with what GDAL allows: a second name differing
    only in case (``NAME`` beside ``name``), a ``fid`` or ``geom`` column (GDAL's own key and
    geometry column in a GeoPackage), or a dtype GDAL has no
    field type for (timedelta, complex, period, uint64 beyond int64). Later clashing names get a
    ``_2`` (``_3`` …) suffix, unsupported dtypes are written as text, and M coordinates are dropped
    (GDAL cannot write them to a GeoPackage).
    """
    frame = layer.copy()
    geom_col = getattr(frame, "_geometry_column_name", None)
    taken = {str(geom_col).lower(), "fid", "geom"} if geom_col is not None else {"fid"}  # geom: GDAL's column
    names: dict[int, str] = {}
    # the project's own (lower-case) names first, so an input's AREA_M2 never renames area_m2
    order = sorted(range(len(frame.columns)), key=lambda i: str(frame.columns[i]) != str(frame.columns[i]).lower())
    for i in order:
        col = str(frame.columns[i])
        if frame.columns[i] == geom_col:
            names[i] = col
            continue
        new, k = col, 1
        while new.lower() in taken:
            k += 1
            new = f"{col}_{k}"
        taken.add(new.lower())
        names[i] = new
    frame.columns = [names[i] for i in range(len(frame.columns))]
    for col in frame.columns:
        if col == geom_col:
            continue
        s = frame[col]
        kind = s.dtype.kind
        if isinstance(s.dtype, pd.CategoricalDtype):
            frame[col] = s.astype(object)
        elif kind in "mcV" or isinstance(s.dtype, pd.PeriodDtype) or (kind == "u" and s.dtype.itemsize == 8):
            frame[col] = s.astype(str).where(s.notna(), None).astype(object)
    if geom_col is not None:
        geoms = frame.geometry.to_numpy()
        if len(geoms) and shapely.has_m(geoms).any():
            frame = frame.set_geometry(gpd.GeoSeries(shapely.force_2d(geoms), index=frame.index, crs=frame.crs))
    return frame


def _cell(v):
    """One object cell as the GeoPackage gets it: nulls (None, NaN, pd.NA, NaT) as NULL — not the text
    ``<NA>`` — and lists / dicts as JSON text."""
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, (list, dict, tuple)):
        return json.dumps(v, ensure_ascii=False, default=_json_default)
    return v


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")
