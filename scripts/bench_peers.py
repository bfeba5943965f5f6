#!/usr/bin/env python
"""Benchmark: the analysis cores against their peers on the same data (issue 20, item 4).

1. **Corner-plot faces.** :func:`geo_tenglong.analysis.fragments.find_gaps` (tiled noding and
   polygonizing of the open linework) against PostGIS doing the same the textbook way, in one
   statement over a GIST-indexed table::

       WITH noded AS (SELECT ST_Union(ST_Boundary(geom)) AS g FROM parcels),
            faces AS (SELECT (ST_Dump(ST_Polygonize(g))).geom FROM noded)
       SELECT ST_AsBinary(geom) FROM faces f
       WHERE ST_Area(geom) >= 0.01
         AND NOT EXISTS (SELECT 1 FROM parcels p WHERE ST_Intersects(p.geom, ST_PointOnSurface(f.geom)))

   (``study`` holds the study area, one polygon) on the parcels of synthetic counties
   (``scripts/make_sample_layers.py --parcels N``, made here unless ``--county DIR`` names an
   existing one, never modified). Those counties are cut into blocks and parcels without gaps, so a
   seeded ``--drop-share`` (3 %) of the parcels is left out to plant 夹心地, and the study area is the
   parcels' envelope (the streets between blocks, which have no road layer there, come out as one
   large open plot — the hardest face for tiles to stitch). Both sides drop faces under 0.01 m² (the
   tiantai-2022 ``noise_area_m2``). The faces are checked to be the same: count, total area, and the
   area of the symmetric difference of each of our plots with the PostGIS face holding its
   representative point.

   PostGIS runs in a throwaway cluster (initdb in a temporary folder, loopback, a free port, trust;
   the binaries as the ``postgres`` user when we are root — the helpers of tests/pg_cluster.py),
   removed at the end. Its CPU is counted where it is spent: the server's (every process of the
   cluster, parallel workers included — reaped workers through the postmaster's children times,
   ``/proc/<pid>/stat``) and this client's (sending the query, reading the WKB and parsing it with
   shapely). Loading the table (COPY, GIST index, ANALYZE) is timed apart and left out of the ratio.

2. **Zonal land-cover shares.** :func:`geo_tenglong.analysis.landcover.zonal_shares` against a plain
   exactextract call (``exact_extract(path, parcels, ["unique", "frac"])``, GDAL reading the file,
   feature by feature — what a user of exactextract writes first) and rasterstats
   (``zonal_stats(categorical=True)``), on the raster and parcels of scripts/bench_zonal.py. Both
   peers' results are turned into the four class shares (timed with them), and compared class by
   class with ours (max absolute difference): exactextract should agree to its float output,
   rasterstats counts pixel centres, not coverage, so it differs on edge pixels. rasterstats can be
   timed on the first M parcels only and extrapolated (``--rasterstats-parcels``), said so in the table.

CPU is :func:`time.process_time` of this process (plus the server's for PostGIS); wall is elapsed
seconds. The machine these figures come from is shared and loaded: CPU seconds are the steadier
figure, and ratios are measured side by side in one run.

Needs the ``test`` extra (tests/pg_cluster.py, whose helpers start the cluster, imports pytest), the
``bench`` extra (rasterstats) and Debian's postgresql and postgis.

Usage::

    python scripts/bench_peers.py [--faces 10000 100000] [--county DIR ...] [--zonal-parcels 100000]
                                  [--raster-size 20000] [--rasterstats-parcels 10000] [--skip faces|zonal]
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
for _p in (ROOT, ROOT / "scripts", ROOT / "tests"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import geopandas as gpd  # noqa: E402
import pandas as pd  # noqa: E402
import shapely  # noqa: E402
from bench_zonal import CLASSES, make_parcels, make_raster  # noqa: E402
from pg_cluster import Cluster, _bin_dir, throwaway_cluster  # noqa: E402

from geo_tenglong.analysis.fragments import find_gaps, representative_points  # noqa: E402
from geo_tenglong.analysis.landcover import COVER_CLASSES, zonal_shares  # noqa: E402
from geo_tenglong.values import polygon_parts  # noqa: E402

NOISE_M2 = 0.01  # tiantai-2022 TT-CORNER noise_area_m2: plots below are numerical dust, both ways

FACES_SQL = """
WITH lines AS (SELECT ST_Boundary(geom) AS g FROM parcels UNION ALL SELECT ST_Boundary(geom) FROM study),
     noded AS (SELECT ST_Union(g) AS g FROM lines),
     faces AS (SELECT (ST_Dump(ST_Polygonize(g))).geom AS geom FROM noded)
SELECT ST_AsBinary(f.geom) FROM faces f JOIN study s ON ST_Within(ST_PointOnSurface(f.geom), s.geom)
WHERE ST_Area(f.geom) >= %(noise)s
  AND NOT EXISTS (SELECT 1 FROM parcels p WHERE ST_Intersects(p.geom, ST_PointOnSurface(f.geom)))
"""


# ------------------------------------------------------------------------------------ PostGIS


@contextmanager
def postgis_cluster() -> Iterator[Cluster]:
    """A throwaway PostgreSQL + PostGIS on loopback (tests/pg_cluster.py's), tuned for one big query."""
    bindir = _bin_dir()
    if bindir is None:
        raise SystemExit("PostgreSQL server binaries (initdb, pg_ctl) are not installed (Debian: postgresql)")
    with throwaway_cluster(bindir, conf="shared_buffers = '512MB'\nwork_mem = '256MB'\nmaintenance_work_mem = '512MB'\n",
                           prefix="bench-peers-pg-") as cluster:
        yield cluster


def _proc_times(pid: int) -> tuple[int, int, int]:
    """(ppid, utime + stime, cutime + cstime) of a process, in clock ticks."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is state (field 3); ppid is field 4; utime, stime, cutime, cstime are fields 14-17
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def server_cpu(postmaster: int) -> float:
    """CPU seconds spent so far by the cluster: the postmaster, its live children, and the children
    it has reaped (parallel workers that ended)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid, own, reaped = _proc_times(int(entry))
        except (OSError, IndexError, ValueError):
            continue
        if int(entry) == postmaster:
            total += own + reaped
        elif ppid == postmaster:
            total += own
    return total / os.sysconf("SC_CLK_TCK")


def load_parcels(cluster: Cluster, polys: np.ndarray, study: shapely.Polygon, srid: int) -> None:
    """Parcels into table ``parcels`` (COPY of hex WKB), GIST index, ANALYZE; the study area into
    table ``study``."""
    import psycopg2

    con = psycopg2.connect(host="127.0.0.1", port=cluster.port, user="postgres", dbname="gis")
    try:
        with con, con.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS parcels; CREATE TABLE parcels (id integer PRIMARY KEY, "
                        f"geom geometry(Polygon, {srid}) NOT NULL)")
            buf = io.StringIO()
            for i, h in enumerate(shapely.to_wkb(shapely.set_srid(polys, srid), hex=True, include_srid=True)):
                buf.write(f"{i}\t{h}\n")
            buf.seek(0)
            cur.copy_from(buf, "parcels", columns=("id", "geom"))
            cur.execute("CREATE INDEX parcels_geom ON parcels USING gist (geom)")
            cur.execute(f"DROP TABLE IF EXISTS study; CREATE TABLE study (geom geometry(Polygon, {srid}) NOT NULL)")
            cur.execute("INSERT INTO study VALUES (ST_GeomFromEWKB(%s))",
                        (shapely.to_wkb(shapely.set_srid(study, srid), include_srid=True),))
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute("VACUUM ANALYZE parcels")
            cur.execute("VACUUM ANALYZE study")
    finally:
        con.close()


def postgis_faces(cluster: Cluster) -> tuple[np.ndarray, float, float, float]:
    """Run :data:`FACES_SQL`; the faces, wall seconds, client CPU and server CPU seconds."""
    import psycopg2

    postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
    con = psycopg2.connect(host="127.0.0.1", port=cluster.port, user="postgres", dbname="gis")
    try:
        with con.cursor() as cur:
            s0, c0, w0 = server_cpu(postmaster), time.process_time(), time.perf_counter()
            cur.execute(FACES_SQL, {"noise": NOISE_M2})
            faces = shapely.from_wkb([bytes(r[0]) for r in cur.fetchall()])
            wall, cpu, srv = time.perf_counter() - w0, time.process_time() - c0, server_cpu(postmaster) - s0
    finally:
        con.close()
    return np.asarray(faces, dtype=object), wall, cpu, srv


# ------------------------------------------------------------------------------------ faces


def county_parcels(folder: Path) -> tuple[np.ndarray, int]:
    """The parcels of a workspace (its single polygons) and the EPSG code of its CRS."""
    cfg = tomllib.loads((folder / "workspace.toml").read_text(encoding="utf-8"))
    entry = cfg["layers"]["parcels"]
    path = folder / (entry if isinstance(entry, str) else entry["path"])
    frame = gpd.read_parquet(path) if path.suffix == ".parquet" else gpd.read_file(path)
    epsg = frame.crs.to_epsg() if frame.crs is not None else None
    if epsg is None:
        epsg = int(str(cfg["workspace"]["crs"]).split(":")[1])
    return polygon_parts(frame.geometry.to_numpy()), epsg


def plant_gaps(polys: np.ndarray, share: float, seed: int = 7) -> np.ndarray:
    """The parcels without a random ``share`` of them (seeded): the removed ones become gaps."""
    keep = np.random.default_rng(seed).random(len(polys)) >= share
    return polys[keep]


def textbook_faces(polys: np.ndarray, study: shapely.Polygon) -> np.ndarray:
    """:data:`FACES_SQL` in shapely, in this process: one union of every boundary, polygonized, the
    faces whose point on surface no parcel holds. Tells the algorithm from the engine (PostGIS links
    the system's GEOS, shapely its own, usually newer)."""
    noded = shapely.union_all(np.concatenate([shapely.boundary(polys), [study.exterior]]))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    faces = faces[shapely.area(faces) >= NOISE_M2]
    pts = shapely.point_on_surface(faces)
    inside = np.zeros(len(faces), dtype=bool)
    inside[shapely.STRtree(polys).query(pts, predicate="intersects")[0]] = True
    return faces[~inside & shapely.within(pts, study)]


def compare_faces(ours: np.ndarray, theirs: np.ndarray) -> tuple[int, float]:
    """Our plots that are not matched one to one by a PostGIS face, and the summed area (m²) of the
    symmetric differences of the matched pairs (plus the whole area of unmatched plots and faces)."""
    if not len(ours) or not len(theirs):
        return abs(len(ours) - len(theirs)), float(shapely.area(ours).sum() + shapely.area(theirs).sum())
    pts = representative_points(ours)
    a, b = shapely.STRtree(theirs).query(pts, predicate="within")
    one = np.bincount(a, minlength=len(ours)) == 1
    used = np.bincount(b, minlength=len(theirs))
    pair = one[a] & (used[b] == 1)
    a, b = a[pair], b[pair]
    sym = float(shapely.area(shapely.symmetric_difference(ours[a], theirs[b])).sum())
    lone_ours = np.setdiff1d(np.arange(len(ours)), a)
    lone_theirs = np.setdiff1d(np.arange(len(theirs)), b)
    sym += float(shapely.area(ours[lone_ours]).sum() + shapely.area(theirs[lone_theirs]).sum())
    return len(lone_ours) + len(lone_theirs), sym


def bench_faces(counties: list[Path], postgis_max: int, drop_share: float) -> list[str]:
    rows = []
    with postgis_cluster() as cluster:
        for folder in counties:
            polys, epsg = county_parcels(folder)
            polys = plant_gaps(polys, drop_share)
            n = len(polys)
            study = shapely.box(*shapely.total_bounds(polys))
            w0, c0 = time.perf_counter(), time.process_time()
            ours = find_gaps(polys, [study], noise_area_m2=NOISE_M2)
            w_ours, c_ours = time.perf_counter() - w0, time.process_time() - c0
            a_ours = float(shapely.area(ours).sum())
            rows.append(f"| {n:,} | geo_tenglong find_gaps (tiled) | {w_ours:,.1f} | {c_ours:,.1f} | – | "
                        f"{c_ours:,.1f} | {len(ours):,} | {a_ours:,.2f} | | |")
            print(rows[-1], flush=True)
            if n > postgis_max:
                rows.append(f"| {n:,} | PostGIS ST_Union + ST_Polygonize | not run (> --postgis-max) | | | | | | | |")
                print(rows[-1], flush=True)
                continue
            w0, c0 = time.perf_counter(), time.process_time()
            tb = textbook_faces(polys, study)
            w_tb, c_tb = time.perf_counter() - w0, time.process_time() - c0
            unmatched, sym = compare_faces(ours, tb)
            rows.append(f"| {n:,} | the same in shapely (GEOS {shapely.geos_version_string}, in process) | "
                        f"{w_tb:,.1f} | {c_tb:,.1f} | – | {c_tb:,.1f} | {len(tb):,} | "
                        f"{float(shapely.area(tb).sum()):,.2f} | unmatched {unmatched}, sym. diff. {sym:.4f} m² | "
                        f"{c_tb / c_ours:.1f}× CPU, {w_tb / w_ours:.1f}× wall |")
            print(rows[-1], flush=True)
            w0 = time.perf_counter()
            load_parcels(cluster, polys, study, epsg)
            w_load = time.perf_counter() - w0
            faces, w_pg, c_pg, s_pg = postgis_faces(cluster)
            geos = cluster.psql("SELECT postgis_geos_version()").split("-")[0]
            a_pg = float(shapely.area(faces).sum())
            unmatched, sym = compare_faces(ours, faces)
            same = "yes" if (len(faces) == len(ours) and abs(a_pg - a_ours) <= 0.01 and unmatched == 0
                             and sym <= 0.01) else "NO"
            rows.append(f"| {n:,} | PostGIS ST_Union + ST_Polygonize (GEOS {geos}; load {w_load:,.1f} s apart) | {w_pg:,.1f} | "
                        f"{c_pg:,.1f} | {s_pg:,.1f} | {c_pg + s_pg:,.1f} | {len(faces):,} | {a_pg:,.2f} | "
                        f"{same} (unmatched {unmatched}, sym. diff. {sym:.4f} m²) | "
                        f"{(c_pg + s_pg) / c_ours:.1f}× CPU, {w_pg / w_ours:.1f}× wall |")
            print(rows[-1], flush=True)
    return rows


# ------------------------------------------------------------------------------------ zonal


def shares_from_unique_frac(unique: pd.Series, frac: pd.Series) -> np.ndarray:
    """(n, 4) class shares from exactextract's per-feature ``unique`` values and ``frac`` fractions."""
    lengths = np.fromiter((len(u) for u in unique), dtype=np.int64, count=len(unique))
    out = np.zeros((len(unique), len(COVER_CLASSES)))
    rows = np.repeat(np.arange(len(unique)), lengths)
    vals = np.concatenate([np.asarray(u, dtype=np.int64) for u in unique]) if lengths.sum() else np.empty(0, int)
    fr = np.concatenate([np.asarray(f, dtype=float) for f in frac]) if lengths.sum() else np.empty(0)
    lut = np.full(256, -1)
    for v, name in CLASSES.items():
        lut[v] = COVER_CLASSES.index(name)
    col = lut[vals]
    keep = col >= 0
    np.add.at(out, (rows[keep], col[keep]), fr[keep])
    total = out.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return out / total


def run_exactextract(parcels: gpd.GeoDataFrame, raster: Path) -> np.ndarray:
    from exactextract import exact_extract

    res = exact_extract(str(raster), parcels, ["unique", "frac"], output="pandas")
    return shares_from_unique_frac(res["unique"], res["frac"])


def run_rasterstats(parcels: gpd.GeoDataFrame, raster: Path) -> np.ndarray:
    from rasterstats import zonal_stats

    stats = zonal_stats(parcels.geometry.values, str(raster), categorical=True, nodata=0)
    out = np.array([[s.get(v, 0) for v in CLASSES] for s in stats], dtype=float)
    col = [COVER_CLASSES.index(CLASSES[v]) for v in CLASSES]
    ordered = np.zeros_like(out)
    ordered[:, col] = out
    with np.errstate(invalid="ignore", divide="ignore"):
        return ordered / ordered.sum(axis=1, keepdims=True)


def bench_zonal(n: int, size: int, rs_parcels: int | None, keep: Path | None) -> list[str]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_peers_zonal_") as tmp:
        folder = keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        raster = folder / f"landcover_{size}.tif"
        if not raster.exists():
            make_raster(raster, size)
        parcels = make_parcels(n, size)
        print(f"raster {size:,} x {size:,} px (2 m, tiled 512, deflate, {raster.stat().st_size / 1e6:,.0f} MB); "
              f"{n:,} parcels of 1-10 mu", flush=True)

        w0, c0 = time.perf_counter(), time.process_time()
        ours = zonal_shares(parcels.geometry, raster, CLASSES)[list(COVER_CLASSES)].to_numpy()
        w_ours, c_ours = time.perf_counter() - w0, time.process_time() - c0
        rows.append(f"| geo_tenglong zonal_shares (exactextract, chunked windows) | {n:,} | {w_ours:,.1f} | "
                    f"{c_ours:,.1f} | 1.0× | – | measured |")
        print(rows[-1], flush=True)

        w0, c0 = time.perf_counter(), time.process_time()
        ee = run_exactextract(parcels, raster)
        w_ee, c_ee = time.perf_counter() - w0, time.process_time() - c0
        d_ee = np.nanmax(np.abs(ee - ours))
        rows.append(f"| exactextract exact_extract(path, parcels, [unique, frac]) | {n:,} | {w_ee:,.1f} | "
                    f"{c_ee:,.1f} | {c_ee / c_ours:.1f}× | {d_ee:.2g} | measured |")
        print(rows[-1], flush=True)

        m = n if rs_parcels is None else min(rs_parcels, n)
        w0, c0 = time.perf_counter(), time.process_time()
        rs = run_rasterstats(parcels.iloc[:m], raster)
        w_rs, c_rs = time.perf_counter() - w0, time.process_time() - c0
        diff = np.abs(rs - ours[:m])
        scale = n / m
        note = "measured" if m == n else f"measured on the first {m:,}, extrapolated ×{scale:.0f}"
        rows.append(f"| rasterstats zonal_stats(categorical=True) | {n:,} | {w_rs * scale:,.1f} | {c_rs * scale:,.1f} | "
                    f"{c_rs * scale / c_ours:.1f}× | {np.nanmax(diff):.2g} (mean {np.nanmean(diff):.3f}) | {note} |")
        print(rows[-1], flush=True)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--faces", type=int, nargs="*", default=[10_000, 100_000],
                    help="synthetic county sizes to make (scripts/make_sample_layers.py --parcels N)")
    ap.add_argument("--county", type=Path, nargs="*", default=[],
                    help="existing workspaces to use as well (read only)")
    ap.add_argument("--drop-share", type=float, default=0.03,
                    help="share of parcels removed (seeded) to plant enclosed gaps")
    ap.add_argument("--postgis-max", type=int, default=100_000, help="run PostGIS only up to this many parcels")
    ap.add_argument("--zonal-parcels", type=int, default=100_000)
    ap.add_argument("--raster-size", type=int, default=20_000, help="land-cover raster side in 2 m pixels")
    ap.add_argument("--rasterstats-parcels", type=int, default=10_000,
                    help="time rasterstats on the first N parcels and extrapolate (0: all)")
    ap.add_argument("--keep", type=Path, default=None, help="keep generated counties and raster here")
    ap.add_argument("--skip", choices=["faces", "zonal"], action="append", default=[])
    args = ap.parse_args(argv)

    out: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench_peers_") as tmp:
        work = args.keep or Path(tmp)
        if "faces" not in args.skip:
            counties = []
            for n in args.faces:
                folder = work / f"county-{n}"
                if not (folder / "workspace.toml").exists():
                    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_sample_layers.py"), "--parcels",
                                    str(n), "--out", str(folder)], check=True, stdout=subprocess.DEVNULL)
                counties.append(folder)
            counties += args.county
            out += ["", f"Corner-plot faces (gaps between parcels in their envelope, >= 0.01 m²; "
                    f"{args.drop_share:.0%} of the parcels removed to plant gaps):", "",
                    "| parcels kept | method | wall s | client CPU s | server CPU s | CPU s total | faces | area m² "
                    "| same faces | PostGIS / ours |",
                    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
            out += bench_faces(counties, args.postgis_max, args.drop_share)
        if "zonal" not in args.skip:
            out += ["", "Zonal land-cover shares (4 classes):", "",
                    "| method | parcels | wall s | CPU s | CPU vs ours | max abs share diff vs ours | note |",
                    "| --- | ---: | ---: | ---: | ---: | --- | --- |"]
            out += bench_zonal(args.zonal_parcels, args.raster_size, args.rasterstats_parcels or None,
                               work / "zonal" if args.keep else None)
    print("\n".join(out))
    print(f"\n(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: the machine is shared; "
          "CPU seconds are the steadier figure)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
