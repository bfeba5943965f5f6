"""A county workspace: a folder with ``workspace.toml`` naming its layers, tables and rasters.

:func:`load_workspace` reads everything once, validates it, brings every layer to the workspace
CRS, repairs invalid geometries (listing them), and hands the analyses one :class:`Workspace`.
See ``docs/workspace.md`` for the file format and the fields.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import pyproj

from . import crs as gk
from .errors import InputError
from .io.aliases import map_headers
from .io.columns import check_unique, coerce_columns
from .io.db.read import db_source, read_db_layer, read_db_table, split_table
from .io.layers import read_layer, repair_geometries
from .io.schema import LAYERS, TABLES
from .io.tables import read_table, table_from_grids
from .rules import Ruleset, load_ruleset
from .standards import Standards, decode_values, load_standards

if TYPE_CHECKING:
    from .history.view import History

WORKSPACE_FILE = "workspace.toml"
_TOP_KEYS = {"workspace", "layers", "tables", "rasters", "coords", "aliases", "map",  # [map]: webmap/basemaps.py
             "standards"}
_WS_KEYS = {"county", "admin_code", "ruleset", "as_of", "crs", "name", "unknown_land_use_is_industrial"}
DATA_ISSUE_COLUMNS = ["source", "feature", "kind", "message"]


@dataclasses.dataclass(frozen=True)
class RasterInput:
    """One land-cover raster and the date it shows."""

    path: Path
    date: dt.date | None


@dataclasses.dataclass
class Workspace:
    """Everything a run reads, validated and in one CRS.

    Attributes
    ----------
    root : Path
        The workspace folder.
    county, admin_code : str
    ruleset : Ruleset
    as_of : datetime.date
        The date the analyses are run against.
    crs : pyproj.CRS
        The workspace CRS (planar; cadastral areas are measured in it).
    layers : dict of str to GeoDataFrame
        The vector layers present (``parcels`` always).
    tables : dict of str to DataFrame
        The tables present, columns mapped to field names, plus ``source_row``.
    rasters : dict of str to list of RasterInput
        ``landcover`` → the land-cover rasters by date.
    landcover_classes : dict of int to str
        Raster value → ``built`` / ``bare`` / ``vegetation`` / ``water``.
    coords_folder : Path or None
        Folder of 界址点坐标交换格式 files.
    inputs : list of Path
        Every file read (outputs may never overwrite one).
    db_inputs : dict of str to str
        Every database table or query read (connection and table, no password) → SHA-256 of
        its rows (for the run's input fingerprint).
    data_issues : DataFrame
        Problems found and repaired while reading (``source``, ``feature``, ``kind``, ``message``).
    aliases : dict
        Extra header aliases from the workspace.
    standards : Standards
        The national field codes and code lists, with the workspace's ``[standards]`` merged.
    unknown_land_use_is_industrial : bool
        ``[workspace] unknown_land_use_is_industrial``: whether a parcel without a land-use code
        (e.g. imported from 界址点 files) counts as industrial. Off by default. Also set as
        ``parcels.attrs["unknown_land_use_is_industrial"]``.
    history : History or None
        Earlier runs of the county (:func:`geo_tenglong.history.view.load_history`), set by the
        pipeline before the analysis; ``None`` without a history store or an earlier run.
    """

    root: Path
    county: str
    admin_code: str
    ruleset: Ruleset
    as_of: dt.date
    crs: pyproj.CRS
    layers: dict[str, gpd.GeoDataFrame]
    tables: dict[str, pd.DataFrame]
    rasters: dict[str, list[RasterInput]]
    landcover_classes: dict[int, str]
    coords_folder: Path | None
    inputs: list[Path]
    data_issues: pd.DataFrame
    aliases: dict[str, list[str]]
    standards: Standards = dataclasses.field(default_factory=load_standards)
    unknown_land_use_is_industrial: bool = False
    db_inputs: dict[str, str] = dataclasses.field(default_factory=dict)
    history: History | None = None

    def layer(self, name: str) -> gpd.GeoDataFrame | None:
        """The layer ``name``, or ``None`` when the workspace has none."""
        return self.layers.get(name)

    def table(self, name: str) -> pd.DataFrame | None:
        """The table ``name``, or ``None`` when the workspace has none."""
        return self.tables.get(name)

    @property
    def parcels(self) -> gpd.GeoDataFrame:
        """The parcels (宗地) layer."""
        return self.layers["parcels"]


def _parse_date(value: Any, where: str, path: Path) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"expected a date YYYY-MM-DD, got {value!r}", path, where) from None


def _source(entry: Any, key: str, path: Path) -> dict:
    if isinstance(entry, str):
        return {"path": entry}
    if isinstance(entry, dict) and "db" in entry:  # PostGIS: { db = "postgresql://…", table = … | sql = … }
        return {"db": db_source(entry, key, path)}
    if isinstance(entry, dict) and "path" in entry:
        unknown = set(entry) - {"path", "layer", "sheet", "encoding"}
        if unknown:
            raise InputError(f"unknown key {min(unknown)!r}; expected path, layer, sheet, encoding", path, key)
        return dict(entry)
    raise InputError("expected a file name, a table { path = …, layer = … } or a database table "
                     "{ db = \"postgresql://…\", table = \"schema.table\" }", path, key)


def read_config(root: Path) -> dict:
    """Read and check the shape of ``workspace.toml``.

    Raises
    ------
    InputError
        For a missing file, bad TOML or an unknown key.
    """
    cfg_path = root / WORKSPACE_FILE
    if not root.is_dir():
        raise InputError("workspace folder not found", root)
    if not cfg_path.is_file():
        raise InputError(f"no {WORKSPACE_FILE} in the workspace folder; see docs/workspace.md", root)
    try:
        cfg = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid TOML ({exc})", cfg_path) from None
    unknown = set(cfg) - _TOP_KEYS
    if unknown:
        raise InputError(f"unknown table [{min(unknown)}]; expected {sorted(_TOP_KEYS)}", cfg_path)
    ws = cfg.get("workspace", {})
    unknown = set(ws) - _WS_KEYS
    if unknown:
        raise InputError(f"unknown key; expected {sorted(_WS_KEYS)}", cfg_path, f"workspace.{min(unknown)}")
    for name in cfg.get("layers", {}):
        if name not in LAYERS:
            raise InputError(f"unknown layer; expected one of {sorted(LAYERS)}", cfg_path, f"layers.{name}")
    for name in cfg.get("tables", {}):
        if name not in TABLES:
            raise InputError(f"unknown table; expected one of {sorted(TABLES)}", cfg_path, f"tables.{name}")
    if "parcels" not in cfg.get("layers", {}):
        raise InputError("the workspace must name a parcels layer under [layers]", cfg_path)
    return cfg


def _building_dates(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """竣工日期 (ZRZ.JGRQ) → ``completed`` and ``completed_year`` where the layer has neither."""
    if "completed_date" not in gdf.columns:
        return gdf
    dates = pd.to_datetime(gdf["completed_date"].map(lambda v: None if v is None or str(v).strip() == "" else str(v)),
                           errors="coerce", format="mixed")
    if "completed_year" not in gdf.columns:
        gdf["completed_year"] = dates.dt.year.astype(float)
    if "completed" not in gdf.columns:
        gdf["completed"] = dates.notna()
    return gdf


def join_holders(parcels: gpd.GeoDataFrame, holders: pd.DataFrame, path: Path | str, issues: list) -> gpd.GeoDataFrame:
    """Fill ``owner_uscc``/``owner_name`` of parcels from a 权利人 (QLR) table.

    A holder row names its parcel by ``parcel_id`` (ZDDM) or by ``unit_id`` (BDCDYH, whose first 19
    characters are the 宗地代码). A parcel's own holder fields win; a parcel with several holders
    (共有) takes the first and is listed as a data issue.

    Raises
    ------
    InputError
        When the table names no parcel (neither 宗地代码 nor 不动产单元号).
    """
    if "parcel_id" not in holders.columns and "unit_id" not in holders.columns:
        raise InputError("the 权利人 table needs a 宗地代码 (ZDDM) or 不动产单元号 (BDCDYH) column", path)
    pid = holders["parcel_id"] if "parcel_id" in holders.columns else pd.Series(pd.NA, index=holders.index, dtype="string")
    if "unit_id" in holders.columns:
        pid = pid.fillna(holders["unit_id"].astype("string").str[:19])
    h = holders.assign(_pid=pid.astype("string").str.strip())
    h = h[h["_pid"].notna()]
    counts = h["_pid"].value_counts()
    for p_id, n in counts[counts > 1].items():
        issues.append({"source": str(path), "feature": f"parcel_id {p_id}", "kind": "shared_holders",
                       "message": f"宗地{p_id}有{n}个权利人(共有),取第一个"})
    first = h.drop_duplicates("_pid").set_index("_pid")
    out = parcels.copy()
    key = out["parcel_id"].astype("string")
    for col in ("owner_uscc", "owner_name"):
        if col not in first.columns:
            continue
        joined = key.map(first[col]).astype("string")
        out[col] = out[col].astype("string").fillna(joined) if col in out.columns else joined
    return out


def _load_layer(name: str, src: dict, root: Path, target_crs: pyproj.CRS, aliases, issues: list,
                standards: Standards | None = None, db_inputs: dict | None = None) -> tuple[gpd.GeoDataFrame, Path | None]:
    schema = LAYERS[name]
    path: Path | str
    if "db" in src:  # the rows of a PostGIS table, then mapped and checked as a file's
        gdf, digest = read_db_layer(src["db"])
        path = src["db"].label
        if db_inputs is not None:
            db_inputs[path] = digest
    else:
        path = (root / src["path"]).resolve()
        gdf = read_layer(path, layer=src.get("layer"), encoding=src.get("encoding"))
    source_fields = [c for c in gdf.columns if c != gdf.geometry.name]
    mapping = map_headers(source_fields, aliases, name, standards)
    gdf = gdf.rename(columns=mapping)
    gdf = gdf.loc[:, ~gdf.columns.duplicated()]
    gdf.attrs["source_fields"] = {c: mapping.get(c, c) for c in source_fields}
    if standards is not None:
        gdf = decode_values(gdf, standards)
    if name == "buildings":
        gdf = _building_dates(gdf)
    where = f"layer {src['layer']}" if src.get("layer") else None
    label = f"{path}" + (f" (layer {src['layer']})" if src.get("layer") else "")
    if gdf.crs is None:
        bounds = gdf.geometry.bounds
        try:
            detected = gk.detect_crs(bounds[["minx", "maxx"]].to_numpy().ravel(), bounds[["miny", "maxy"]].to_numpy().ravel())
        except ValueError as exc:
            raise InputError(f"the layer has no CRS and its coordinates do not give the zone away ({exc}); "
                             "add a .prj or set the CRS", path, where) from None
        gdf = gdf.set_crs(detected)
        issues.append({"source": label, "feature": "", "kind": "assumed_crs",
                       "message": f"图层缺少坐标系,按坐标推断为 EPSG:{detected.to_epsg()}"})
    if not gdf.crs.equals(target_crs):
        gdf = gdf.to_crs(target_crs)
    gdf = coerce_columns(gdf, schema, path, row_offset=1, row_word="feature", issues=issues,  # N/A cells listed
                         labels={mapping.get(c, c): c for c in source_fields})
    if schema.unique:
        check_unique(gdf, schema.unique, path, required=schema.unique in schema.required)
    gdf, repaired = repair_geometries(gdf, label, schema.unique, polygons_only=name == "parcels")
    issues.extend(repaired.to_dict("records"))
    return gdf, path if isinstance(path, Path) else None


def load_workspace(path: str | Path, ruleset: str | Path | None = None, as_of: str | dt.date | None = None) -> Workspace:
    """Load and validate a workspace.

    Parameters
    ----------
    path : str or Path
        The workspace folder (holding ``workspace.toml``).
    ruleset : str or Path, optional
        Overrides the workspace's ruleset: a built-in name or a TOML file.
    as_of : str or date, optional
        Overrides the workspace's as-of date (``YYYY-MM-DD``).

    Returns
    -------
    Workspace

    Raises
    ------
    InputError
        Naming the file and the feature, row or key, for anything missing or malformed.
    """
    root = Path(path).resolve()
    cfg = read_config(root)
    cfg_path = root / WORKSPACE_FILE
    wcfg = cfg.get("workspace", {})
    rs_name = ruleset or wcfg.get("ruleset")
    if not rs_name:
        raise InputError("no ruleset: set workspace.ruleset or pass --ruleset", cfg_path)
    rs_path = root / str(rs_name)
    try:
        rules = load_ruleset(rs_path if str(rs_name).endswith(".toml") and rs_path.is_file() else rs_name)
    except InputError as exc:
        if ruleset or exc.path is not None:
            raise
        raise InputError(exc.reason, cfg_path, "workspace.ruleset") from None  # the name came from workspace.toml
    as_of_value = as_of or wcfg.get("as_of")
    if as_of_value is None:
        raise InputError("no as-of date: set workspace.as_of or pass --as-of", cfg_path)
    as_of_date = _parse_date(as_of_value, "workspace.as_of" if as_of is None else "--as-of", cfg_path)
    try:
        target_crs = pyproj.CRS.from_user_input(wcfg.get("crs", "EPSG:4528"))
    except pyproj.exceptions.CRSError as exc:
        raise InputError(f"not a CRS ({exc})", cfg_path, "workspace.crs") from None
    if not target_crs.is_projected:
        raise InputError("the workspace CRS must be projected (areas are planar, 坐标解析法)", cfg_path, "workspace.crs")
    aliases = {k: list(v) for k, v in cfg.get("aliases", {}).items()}
    standards = load_standards(cfg.get("standards"), cfg_path)
    unknown_industrial = wcfg.get("unknown_land_use_is_industrial", False)
    if not isinstance(unknown_industrial, bool):
        raise InputError("expected true or false", cfg_path, "workspace.unknown_land_use_is_industrial")
    issues: list[dict] = []
    inputs = [cfg_path]
    db_inputs: dict[str, str] = {}
    layers = {}
    for name, entry in cfg.get("layers", {}).items():
        layers[name], p = _load_layer(name, _source(entry, f"layers.{name}", cfg_path), root, target_crs, aliases, issues,
                                      standards, db_inputs)
        if p is not None:
            inputs.append(p)
    tables = {}
    table_paths: dict[str, Path | str] = {}
    for name, entry in cfg.get("tables", {}).items():
        src = _source(entry, f"tables.{name}", cfg_path)
        if "db" in src:  # the rows as a grid, read like a sheet (header aliases, 合计 rows, years)
            grid, digest = read_db_table(src["db"])
            table_paths[name] = src["db"].label
            db_inputs[src["db"].label] = digest
            stem = split_table(src["db"].table)[1] if src["db"].table else ""
            tables[name] = table_from_grids([(None, grid)], src["db"].label, TABLES[name], aliases=aliases, target=name,
                                            standards=standards, stem=stem)
        else:
            p = table_paths[name] = (root / src["path"]).resolve()
            tables[name] = read_table(p, TABLES[name], sheet=src.get("sheet"), aliases=aliases, target=name,
                                      standards=standards)
            inputs.append(p)
        issues.extend(tables[name].attrs.pop("data_issues", []))
        heads = tables[name].attrs.get("headers", [])
        mapped = map_headers(heads, aliases, name, standards)
        tables[name].attrs["source_fields"] = {h: mapped.get(h, h) for h in heads}
    rasters: dict[str, list[RasterInput]] = {}
    rcfg = dict(cfg.get("rasters", {}))
    classes_raw = rcfg.pop("landcover_classes", {1: "built", 2: "bare", 3: "vegetation", 4: "water"})
    classes = {int(k): str(v) for k, v in classes_raw.items()}
    for name, entries in rcfg.items():
        entries = entries if isinstance(entries, list) else [entries]
        items = []
        for i, e in enumerate(entries):
            src = {"path": e} if isinstance(e, str) else e
            p = (root / src["path"]).resolve()
            if not p.is_file():
                raise InputError("raster file not found", p, f"rasters.{name}[{i}]")
            date = _parse_date(src["date"], f"rasters.{name}[{i}].date", cfg_path) if "date" in src else None
            items.append(RasterInput(p, date))
            inputs.append(p)
        rasters[name] = sorted(items, key=lambda r: (r.date is None, r.date or dt.date.min))
    coords_folder = None
    if "folder" in cfg.get("coords", {}):
        coords_folder = (root / cfg["coords"]["folder"]).resolve()
        if not coords_folder.is_dir():
            raise InputError("corner-coordinate folder not found", coords_folder, "coords.folder")
    if "holders" in tables:
        layers["parcels"] = join_holders(layers["parcels"], tables["holders"], table_paths["holders"], issues)
    layers["parcels"].attrs["land_use_column"] = "land_use_code" in layers["parcels"].columns
    if not layers["parcels"].attrs["land_use_column"]:
        # no land-use field at all: every parcel's use is unknown, industrial only when the workspace says so
        layers["parcels"]["land_use_code"] = pd.Series(pd.NA, index=layers["parcels"].index, dtype="string")
    layers["parcels"].attrs["unknown_land_use_is_industrial"] = unknown_industrial
    return Workspace(
        root=root, county=wcfg.get("county", rules.info.county), admin_code=str(wcfg.get("admin_code", rules.info.admin_code)),
        ruleset=rules, as_of=as_of_date, crs=target_crs, layers=layers, tables=tables, rasters=rasters,
        landcover_classes=classes, coords_folder=coords_folder, inputs=inputs,
        data_issues=pd.DataFrame(issues, columns=DATA_ISSUE_COLUMNS), aliases=aliases, standards=standards,
        unknown_land_use_is_industrial=unknown_industrial, db_inputs=db_inputs,
    )
