"""Shared fixtures: paths, the bundled sample, and a builder for tiny workspaces."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from pg_cluster import pg_cluster  # noqa: F401 - the session's throwaway PostgreSQL + PostGIS (tests/pg_cluster.py)

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "layers"
SHARED = REPO.parent / "shared"
ZONE40 = 4528
#: A point near 天台县 in EPSG:4528 (x = easting with the zone prefix, y = northing).
ORIGIN = (40503000.0, 3224000.0)


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The bundled sample county workspace."""
    if not (SAMPLE / "workspace.toml").is_file():
        pytest.skip("the bundled sample county (layers/) has not been generated")
    return SAMPLE


@pytest.fixture(scope="session")
def sample_results(sample_dir, tmp_path_factory):
    """Results of the full analysis on the bundled sample (computed once per session)."""
    from geo_tenglong.pipeline import analyse
    from geo_tenglong.workspace import load_workspace

    return analyse(load_workspace(sample_dir))


def box(x0, y0, x1, y1):
    """A rectangle offset from :data:`ORIGIN` (metres)."""
    return shapely.box(ORIGIN[0] + x0, ORIGIN[1] + y0, ORIGIN[0] + x1, ORIGIN[1] + y1)


def write_workspace(root: Path, parcels: gpd.GeoDataFrame, extra_toml: str = "", ruleset: str = "tiantai-2022",
                    as_of: str = "2023-06-30", layers: dict | None = None) -> Path:
    """Write a minimal workspace (parcels in a GeoPackage) and return its folder.

    Parameters
    ----------
    root : Path
    parcels : GeoDataFrame
    extra_toml : str
        Appended to workspace.toml (e.g. ``[tables]`` entries).
    layers : dict, optional
        Further layers name → GeoDataFrame, written to the same GeoPackage.
    """
    root.mkdir(parents=True, exist_ok=True)
    parcels.to_file(root / "ws.gpkg", layer="parcels")
    entries = ['parcels = { path = "ws.gpkg", layer = "parcels" }']
    for name, gdf in (layers or {}).items():
        gdf.to_file(root / "ws.gpkg", layer=name)
        entries.append(f'{name} = {{ path = "ws.gpkg", layer = "{name}" }}')
    text = (f'[workspace]\ncounty = "天台县"\nadmin_code = "331023"\nruleset = "{ruleset}"\nas_of = {as_of}\n'
            f'crs = "EPSG:4528"\n\n[layers]\n' + "\n".join(entries) + "\n" + extra_toml)
    (root / "workspace.toml").write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def tiny_parcels() -> gpd.GeoDataFrame:
    """Three adjoining parcels of 100 m × 100 m (15 亩 each)."""
    return gpd.GeoDataFrame(
        {"parcel_id": ["331023101001GB00001", "331023101001GB00002", "331023101001GB00003"],
         "owner_uscc": ["91331023MA2AAAAA0X", None, None], "township": ["始丰街道"] * 3},
        geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(200, 0, 300, 100)], crs=ZONE40)
