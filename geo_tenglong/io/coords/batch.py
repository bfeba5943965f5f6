"""Files and folders of 界址点坐标交换格式: one file to a :class:`CoordsFile`, many files and folders
to one :class:`CoordsBatch` in one CRS (good files imported, bad ones listed with the reason).

Parsing (:mod:`.parse`) makes plain arrays per file; the geometries of all files are then built at
once (:mod:`.assemble`) so a folder of thousands of files is fast.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ...errors import InputError
from .area import UNIT_M2, area_tolerance, parse_area
from .assemble import build_geometries
from .decode import decode_coords_bytes, read_coords_bytes
from .model import AREA_CHECK_COLUMNS, COLUMNS, DEFAULT_MAX_BYTES, TEXT_COLUMNS, CoordsBatch, CoordsFile, Parsed
from .parse import parse_coords_text

__all__ = ["find_coords_files", "read_coords", "read_coords_folder", "read_coords_many"]


class _Acc:
    """Column lists of plots (and their area checks) accumulated over many files."""

    def __init__(self):
        self.cols: dict = {c: [] for c in COLUMNS}
        self.geoms: list = []
        self.checks: list = []          # (row, stated text, stated m², area, diff, tolerance, file, line, message)

    def add_file(self, pf: Parsed, geoms, areas, perims, orders_by_plot) -> None:
        cols = self.cols
        pids = _parcel_ids([p.attrs.get("plot_no", "") for p in pf.plots], pf.path)
        src = str(pf.path)
        for j, p in enumerate(pf.plots):
            a = p.attrs
            for c in TEXT_COLUMNS:
                cols[c].append(a.get(c, ""))
            cols["parcel_id"].append(pids[j])
            cols["declared_points"].append(a["declared_points"])
            cols["n_rings"].append(len(p.rings))
            order = (orders_by_plot.get(j) or range(len(p.rings))) if len(p.rings) > 1 else [0]
            cols["point_labels"].append("|".join(",".join(p.rings[r].labels) for r in order))
            cols["closing_labels"].append("|".join(p.rings[r].closing_label for r in order))
            cols["source_file"].append(src)
            cols["source_line"].append(p.line)
            area = float(areas[j])
            cols["area_m2"].append(area)
            text = a.get("stated_area", "")
            cols["stated_area"].append(text)
            value, unit, ok = parse_area(text)
            if not ok:
                pf.warnings.append(f"第{p.line}行 地块面积 {text!r} 无法识别，未与计算面积比对")
            if not np.isfinite(value):
                cols["stated_area_unit"].append(unit)
                cols["stated_area_m2"].append(np.nan)
                continue
            if unit:
                unit_m2 = UNIT_M2[unit]
            else:   # 公顷 or m²: whichever reading agrees with the coordinates
                unit_m2 = 1e4 if abs(value * 1e4 - area) < abs(value - area) else 1.0
                unit = "公顷" if unit_m2 == 1e4 else "平方米"
            cols["stated_area_unit"].append(unit)
            cols["stated_area_m2"].append(value * unit_m2)
            tol = area_tolerance(text, unit_m2, float(perims[j]), pf.precision_m)
            diff = value * unit_m2 - area
            if abs(diff) > tol:
                msg = (f"地块{a.get('plot_no') or j + 1}申报面积{text}与界址点坐标计算面积{area:.2f}平方米"
                       f"（{area / 1e4:.4f}公顷）相差{abs(diff):.2f}平方米，超出允许误差{tol:.2f}平方米，请核实界址点坐标")
                self.checks.append((len(cols["area_m2"]) - 1, text, value * unit_m2, area, diff, tol, src, p.line,
                                    msg))
        self.geoms.append(geoms)

    def frame(self, crs) -> gpd.GeoDataFrame:
        cols = self.cols
        data = {c: cols[c] for c in COLUMNS}
        data["declared_points"] = pd.array(cols["declared_points"], dtype="Int64")
        for c in ("n_rings", "source_line"):
            data[c] = np.asarray(cols[c], dtype=np.int64)
        for c in ("stated_area_m2", "area_m2"):
            data[c] = np.asarray(cols[c], dtype=float)
        geoms = np.concatenate(self.geoms) if self.geoms else np.empty(0, dtype=object)
        return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs=crs), crs=crs)

    def area_checks(self, parcel_ids=None) -> pd.DataFrame:
        """Area disagreements keyed by ``parcel_ids`` (the final ids of this accumulator's rows)."""
        if not self.checks:
            return empty_area_checks()
        ids = np.asarray(self.cols["parcel_id"] if parcel_ids is None else parcel_ids, dtype=object)
        rows, text, stated, area, diff, tol, src, line, msg = map(list, zip(*self.checks))
        return pd.DataFrame({"parcel_id": ids[rows], "plot_no": [self.cols["plot_no"][r] for r in rows],
                             "stated_area": text, "stated_area_m2": stated, "area_m2": area,
                             "difference_m2": np.abs(diff), "tolerance_m2": tol, "source_file": src,
                             "source_line": np.asarray(line, dtype=np.int64), "message": msg})


def empty_area_checks() -> pd.DataFrame:
    """An area-checks frame with no row (columns :data:`~.model.AREA_CHECK_COLUMNS`)."""
    return pd.DataFrame({c: pd.Series(dtype=float if c.endswith("_m2") else object) for c in AREA_CHECK_COLUMNS})


def _parcel_ids(plot_nos, path: Path) -> list:
    ids = [s.strip() for s in plot_nos]
    if all(ids) and len(set(ids)) == len(ids):
        return ids
    return [f"{path.stem}-{s or k + 1}" for k, s in enumerate(ids)]


def _parse_file(path: Path, max_bytes: int | None) -> Parsed:
    data = read_coords_bytes(path, max_bytes)
    text, enc = decode_coords_bytes(data, path)
    parsed = parse_coords_text(text, path)
    parsed.encoding = enc
    return parsed


def _accumulate(parsed: list[Parsed]):
    """Build geometries for all parsed files; group the good ones by EPSG.

    Returns
    -------
    (dict epsg -> _Acc, dict epsg -> list of Parsed, list of (Parsed, InputError))
    """
    if not parsed:
        return {}, {}, []
    _, geoms, orders, areas, perims, errors = build_geometries(parsed)
    accs: dict = {}
    members: dict = {}
    bad = []
    pos = 0
    for k, pf in enumerate(parsed):
        n = len(pf.plots)
        sl = slice(pos, pos + n)
        ords = {j: orders[pos + j] for j in range(n) if pos + j in orders} if orders else {}
        pos += n
        if k in errors:
            bad.append((pf, errors[k]))
            continue
        epsg = pf.zone.epsg
        acc = accs.get(epsg)
        if acc is None:
            acc = accs[epsg] = _Acc()
            members[epsg] = []
        acc.add_file(pf, geoms[sl], areas[sl], perims[sl], ords)
        members[epsg].append(pf)
    return accs, members, bad


def read_coords(path: str | Path, max_bytes: int | None = DEFAULT_MAX_BYTES) -> CoordsFile:
    """Read one 界址点坐标交换格式 file.

    Parameters
    ----------
    path : str or Path
        The ``.txt`` file.
    max_bytes : int or None
        Refuse files larger than this (default 20 MB); ``None`` for no limit.

    Returns
    -------
    CoordsFile
        Header, project info, extension sections, one row per plot with its (Multi)Polygon in the
        file's CRS, the stated-vs-computed area checks and warnings.

    Raises
    ------
    InputError
        When the file is malformed; the message names the file, the line and what was expected.

    Examples
    --------
    >>> cf = read_coords("jzd/hangzhou.txt")          # doctest: +SKIP
    >>> cf.crs.to_epsg(), round(cf.plots.area_m2[0], 2)  # doctest: +SKIP
    (4528, 57089.5)
    """
    path = Path(path)
    parsed = _parse_file(path, max_bytes)
    accs, _, bad = _accumulate([parsed])
    if bad:
        raise bad[0][1]
    (epsg, acc), = accs.items()
    return CoordsFile(path, parsed.header, parsed.project, acc.frame(epsg), acc.area_checks(), parsed.warnings,
                      parsed.encoding, parsed.extensions)


def find_coords_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand files and folders into a sorted list of coordinate files (``*.txt``, recursively).

    Parameters
    ----------
    paths : iterable of str or Path
        Files (taken whatever their suffix) and folders (searched for ``*.txt``).

    Returns
    -------
    list of Path

    Raises
    ------
    InputError
        For a path that does not exist.
    """
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() == ".txt"))
        elif p.is_file():
            out.append(p)
        else:
            raise InputError("no such file or folder", p)
    return out


def read_coords_many(paths: Iterable[str | Path], crs=None, progress=None,
                     max_bytes: int | None = DEFAULT_MAX_BYTES) -> CoordsBatch:
    """Read many coordinate files; the good ones are imported, the bad ones listed.

    Parameters
    ----------
    paths : iterable of str or Path
        Files and folders (folders are searched for ``*.txt``).
    crs : optional
        The CRS of the result. By default the CRS most plots are in. Files in another zone of
        the same datum are reprojected (with a warning); files on another datum fail, since datums
        are never shifted silently.
    progress : callable, optional
        Called with the number of files parsed so far, now and then.
    max_bytes : int or None
        Files larger than this fail (default 20 MB); ``None`` for no limit.

    Returns
    -------
    CoordsBatch
    """
    import pyproj

    from ...crs import zone_from_epsg

    files = find_coords_files(paths)
    failures: list[tuple[Path, str]] = []
    parsed: list[Parsed] = []
    for i, f in enumerate(files):
        try:
            parsed.append(_parse_file(f, max_bytes))
        except InputError as exc:
            failures.append((f, str(exc)))
        if progress is not None and i % 500 == 499:
            progress(i + 1)
    accs, members, bad = _accumulate(parsed)
    failures.extend((pf.path, str(exc)) for pf, exc in bad)
    warns: list[str] = []
    if crs is not None:
        target = pyproj.CRS.from_user_input(crs)
    elif accs:
        target = pyproj.CRS.from_epsg(max(accs, key=lambda e: len(accs[e].cols["parcel_id"])))
    else:
        target = None
    target_epsg = target.to_epsg() if target is not None else None
    tz = zone_from_epsg(target_epsg or 0) if target is not None else None
    frames, used = [], []
    for epsg, acc in accs.items():
        z = zone_from_epsg(epsg)
        if epsg != target_epsg and tz is not None and z is not None and z.datum != tz.datum:
            for pf in members[epsg]:
                why = (f"{pf.path}: datum {z.datum} (EPSG:{epsg}) differs from the other files' {tz.datum} "
                       f"(EPSG:{tz.epsg}); import it separately, datums are not shifted silently")
                failures.append((pf.path, why))
            continue
        for pf in members[epsg]:
            warns.extend(f"{pf.path}: {w}" for w in pf.warnings)
        fr = acc.frame(epsg)
        if epsg != target_epsg:
            warns.extend(f"{pf.path}: 由EPSG:{epsg}投影变换到EPSG:{target_epsg}" for pf in members[epsg])
            fr = fr.to_crs(target)
        frames.append(fr)
        used.append(acc)
    if not frames:
        plots = gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in COLUMNS},
                                 geometry=gpd.GeoSeries([], crs=target), crs=target)
    elif len(frames) == 1:
        plots = frames[0]
    else:
        plots = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=target)
    if len(plots):
        dup = plots["parcel_id"].duplicated(keep=False)
        if dup.any():
            stems = plots.loc[dup, "source_file"].map(lambda s: Path(s).stem)
            plots.loc[dup, "parcel_id"] = stems + "-" + plots.loc[dup, "parcel_id"].astype(str)
            warns.append(f"{int(dup.sum())}个地块编号在多个文件中重复，已在编号前加文件名")
    checks, pos = [], 0
    for acc, fr in zip(used, frames):
        checks.append(acc.area_checks(plots["parcel_id"].to_numpy()[pos:pos + len(fr)]))
        pos += len(fr)
    checks = [c for c in checks if len(c)]
    area_checks = pd.concat(checks, ignore_index=True) if checks else empty_area_checks()
    failures.sort(key=lambda t: str(t[0]))
    return CoordsBatch(plots, area_checks, warns, failures)


def read_coords_folder(paths: Iterable[str | Path] | str | Path, crs=None,
                       max_bytes: int | None = DEFAULT_MAX_BYTES):
    """Read coordinate files and folders into one GeoDataFrame.

    Parameters
    ----------
    paths : str, Path or iterable of them
        Files and folders.
    crs : optional
        Target CRS (see :func:`read_coords_many`).
    max_bytes : int or None
        Files larger than this fail (default 20 MB).

    Returns
    -------
    (GeoDataFrame, list of (Path, str))
        The plots of the good files, and the files that failed with the reason.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    batch = read_coords_many(paths, crs=crs, max_bytes=max_bytes)
    return batch.plots, batch.failures
