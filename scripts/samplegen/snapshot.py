"""A written workspace read back as editable frames and rows (``Snapshot``), and written again.

A later quarter of the sample is the base workspace's files with named changes: the tables and
layers that change are read into a ``Snapshot``, edited (``evolve``), and written with the same
byte-deterministic writers as the base (``writers``); files that do not change are copied.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pyogrio

from .writers import write_csv, write_gpkg_layers, write_xlsx

#: files a quarter takes over from the base workspace unchanged
COPIED = ("roads.shp", "roads.shx", "roads.dbf", "roads.prj", "roads.cpg", "landcover_2021.tif",
          "landcover_2023.tif", "tenancy.csv", "merge_proposals.csv", "land_supply.csv")


@dataclass
class Sheet:
    """One xlsx sheet as written by ``writers.write_xlsx``: name, headers, rows, cell number formats."""

    name: str
    headers: list[str]
    rows: list[list]
    formats: dict = field(default_factory=dict)      # (row, column) 1-based, header row = 1 -> format

    def column(self, header: str) -> int:
        """0-based index of ``header`` in the rows."""
        return self.headers.index(header)

    def add_column(self, header: str, values: list) -> None:
        """Append a column (one value per row)."""
        self.headers.append(header)
        for row, v in zip(self.rows, values):
            row.append(v)

    def remove_row(self, k: int) -> None:
        """Remove data row ``k`` (0-based), moving the number formats of the rows below up."""
        del self.rows[k]
        self.formats = {(r - (r > k + 2), c): f for (r, c), f in self.formats.items() if r != k + 2}


@dataclass
class Snapshot:
    """The parts of a workspace a quarter changes, plus its as-of date and the change notes."""

    as_of: dt.date
    layers: dict                    # GeoPackage layer name -> GeoDataFrame, in file order
    enterprises: Sheet
    contracts: Sheet
    projects: tuple[list[str], list[list]]
    notes: dict = field(default_factory=dict)   # what changed, for the quarter's manifest

    @property
    def parcels(self) -> gpd.GeoDataFrame:
        return self.layers["parcels"]


def read_sheet(path: Path) -> Sheet:
    """The first sheet of an xlsx the generator wrote: raw cell values and the date formats."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb.active
    rows, formats = [], {}
    for r, row in enumerate(ws.iter_rows(), start=1):
        values = [c.value for c in row]
        for c, cell in enumerate(row, start=1):
            if cell.number_format == "yyyy-mm-dd":
                formats[(r, c)] = "yyyy-mm-dd"
        rows.append(values)
    return Sheet(ws.title, [str(h) for h in rows[0]], [list(r) for r in rows[1:]], formats)


def write_sheet(path: Path, sheet: Sheet) -> None:
    """Write ``sheet`` with ``writers.write_xlsx`` (fixed zip dates and properties)."""
    write_xlsx(path, sheet.name, sheet.headers, sheet.rows, sheet.formats)


def read_snapshot(base: Path, gpkg: str, as_of: dt.date) -> Snapshot:
    """Read the changing parts of the workspace in ``base`` (GeoPackage layers, enterprise, contract
    and project tables)."""
    layers = {name: gpd.read_file(base / gpkg, layer=name) for name, _ in pyogrio.list_layers(base / gpkg)}
    with open(base / "projects.csv", encoding="utf-8-sig", newline="") as f:
        proj = list(csv.reader(f))
    return Snapshot(as_of, layers, read_sheet(base / "enterprises.xlsx"), read_sheet(base / "contracts.xlsx"),
                    (proj[0], proj[1:]))


def write_snapshot(snap: Snapshot, base: Path, out: Path, gpkg: str) -> None:
    """Write a quarter: the changed parts from ``snap``, the unchanged files copied from ``base``,
    ``workspace.toml`` with the quarter's as-of date."""
    out.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        shutil.copyfile(base / name, out / name)
    if (out / "jzd").exists():
        shutil.rmtree(out / "jzd")
    shutil.copytree(base / "jzd", out / "jzd")
    write_gpkg_layers(out / gpkg, snap.layers)
    write_sheet(out / "enterprises.xlsx", snap.enterprises)
    write_sheet(out / "contracts.xlsx", snap.contracts)
    write_csv(out / "projects.csv", *snap.projects)
    toml = (base / "workspace.toml").read_text(encoding="utf-8")
    old = next(line for line in toml.splitlines() if line.startswith("as_of = "))
    (out / "workspace.toml").write_text(toml.replace(old, f"as_of = {snap.as_of.isoformat()}"), encoding="utf-8")
