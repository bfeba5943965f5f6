#!/usr/bin/env python
"""Generate the bundled sample county workspace (``layers/``) deterministically.

Usage
-----
``python scripts/make_sample_layers.py``
    regenerate ``layers/`` (天台县, ruleset ``tiantai-2022``) and its two later quarters
    ``layers/quarters/2023Q3`` and ``2023Q4`` (``samplegen.quarters``: each a full workspace with the
    changes its ``manifest.json`` lists and the townships' filled ``整治台账_填报.xlsx``).
``python scripts/make_sample_layers.py --county deqing``
    regenerate ``layers/deqing/`` (德清县, ruleset ``deqing-2021``).
``python scripts/make_sample_layers.py --parcels 1000000 --out /tmp/big [--format parquet|gpkg] [--plans]``
    scale mode: a synthetic county of N parcels for benchmarks (no planted cases); ``--plans`` adds
    what the neighbour stages need at rates that scale with N (``samplegen.scale_plans``: parks,
    roads, a study area, left-out cells, renovation plans, split and merge proposals).

Layout
------
Everything is in CGCS2000 3° Gauss-Krüger zone 40 with the zone prefix (EPSG:4528), placed around
the county's longitude/latitude (converted with pyproj). The county is a set of *areas*: industrial
parks (经济开发区, 创业创新园 …, written to ``parks``) and small industrial sites outside parks. Each
area has an irregular outline and a slightly curved road grid; the road surfaces (buffers of the
centre lines, made non-overlapping) are the ``roads`` layer, and the blocks between roads are cut
into irregular parcels by Lloyd-relaxed Voronoi cells clipped to the block. Parcel coordinates are
snapped to a 1 mm grid (so the 界址点 files, written to 0.001 m, reproduce them exactly); planted
geometries that need an exact area (10 亩, 20 % of a parcel) keep full precision. A river crosses
the county between the areas; 永久基本农田 and 生态保护红线 lie outside the areas; the 城镇开发边界 is
the union of the areas. Buildings are clipped rectangles laid out in completed parcels; the two
land-cover rasters are rasterised from parcels, buildings, roads and water, so they agree with the
vector data by construction.

Parcel ids follow the 不动产单元 宗地代码: admin code (6) + 街道/乡镇 (3) + 街坊 (3) + ``GB`` + 宗地顺序号
(5), e.g. ``331023101001GB00012``.

Planted cases
-------------
The generator picks parcels and enterprises for every case the analyses must tell apart and writes
``manifest.json`` (one line per key under ``_about``):

- ``idle``: NAT-IDLE-1 tier 1 (1–2 years past the agreed start) and tier 2 (≥ 2 years); NAT-IDLE-2
  by developed area < 1/3 and by investment < 25 %, both suspended ≥ 1 year; suspended < 1 year
  and < 1 year past the start (not idle); a 规划调整 government cause (not penalised).
- ``imagery``: a contract that says started on a parcel bare on both rasters; a parcel with no
  contract, bare on both dates.
- ``corners``: 夹心地 enclosed by ≥ 3 parcels, 边角地 against a road, 2 m slivers, plots half in
  永久基本农田, outside the 城镇开发边界, zoned G; plots requested by renovations (``renovation``) of
  exactly 20 % of the parcel, exactly 10 亩, and 1 m² over each; FAR ×1.1 with the renovation's
  floor area at 25 % (passes by clause (c)) and at 10 % (fails); TT-VERT / TT-TECH bound cases.
- ``split``: pass; a part of exactly 10 亩 (pass) and of 9.999 亩; 3 parts; 4 parts (fail) and 4
  on an 工业地产 parcel (pass); a plant crossing a part line by 5 m (fail) and by 5 cm (tolerated);
  not 已竣工投产; split_from set; merged_from set; admin/living buildings alone in a part; a C/D
  buyer; parts leaving a gap; parts overlapping.
- ``merge``: pass; touching at a corner only; 出让 + 划拨; different term ends (pass, unified); a
  C/D buyer.
- ``efficiency``: 亿元 enterprises at ≤ 10 万元/亩 in both years, in one year, exactly 10.0;
  revenue exactly 1 亿 and 0.01 万元 under; ≤ 5, exactly 5.0 and 5.01 万元/亩.
- ``rating``: key projects ≥ 1 亿 (also exactly), ≥ 3000 万 (also exactly), 2999, completed and
  non-key ones; planted A-grade buyers and a D-grade buyer.
- ``keep`` (blocks rezoned R/B/G), ``housing`` (≥ 50 亩 outside parks), ``intensity`` (FAR either
  side of 1.1 in and outside parks, > 24 m outside parks with no plan conditions, > 8 m
  single-storey plants, admin shares > 7 %), ``supply`` (years either side of the threshold).
- ``faults``: an invalid 统一社会信用代码, a duplicated row, zero employees, a missing and a
  negative value, a ``待定`` date, a name with markup, enterprises without land, parcels
  without an enterprise, buildings without a parcel_id.

Ordinary enterprises and plants are realistic, so that a flagged parcel is the exception: 规上
亩均税收 about 25 万元/亩 county-wide (德清 about 35), low-efficiency enterprises (≤ 5 万元/亩) about
6 % of those evaluated (德清 about 10 %), 行政办公/生活服务 within 7 % of the floor area on about 95 %
of plants, 建筑系数 ≥ 30 % on nearly all completed plants (``enterprise_rows``, ``modest_admin``).
Those changes draw nothing more from the main random stream (a second stream sizes the offices),
so every planted case keeps its parcel, enterprise and value.

Values sit exactly where thresholds bite: tax set so that ``tax / (planar area / (10000/15))`` is
exactly 10.0 or 5.0 in floating point (the parcel is chosen so a 16-digit tax allows it); plots and
split parts of exact area come from an exact half-plane clip and bisection (overlays may snap).

Determinism
-----------
One seeded ``numpy.random.Generator``; GDAL's ``OGR_CURRENT_DATE`` fixed for GeoPackages; the
Shapefile's DBF date patched; xlsx files rewritten with fixed zip dates and document properties.
Two runs give the same bytes.
"""


from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from samplegen.build import generate  # noqa: E402  (after the repo root is on sys.path)
from samplegen.counties import PROFILES  # noqa: E402
from samplegen.quarters import COUNTIES, write_quarters  # noqa: E402
from samplegen.scale import generate_scale  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and generate a sample county or a scale-mode county.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status (0).
    """
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--county", choices=sorted(PROFILES), default="tiantai")
    ap.add_argument("--out", type=Path, default=None, help="output folder (default: the profile's, under the repo)")
    ap.add_argument("--parcels", type=int, default=None, help="scale mode: a synthetic county of N parcels")
    ap.add_argument("--format", choices=("parquet", "gpkg"), default="parquet", help="scale mode output format")
    ap.add_argument("--plans", action="store_true",
                    help="scale mode: add parks, roads, a study area, renovation plans, split and merge proposals")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    if args.parcels is not None:
        out = args.out or Path(f"/tmp/geo_tenglong_scale_{args.parcels}")
        generate_scale(args.parcels, out, args.format, PROFILES[args.county], quiet=args.quiet, plans=args.plans)
        return 0
    profile = PROFILES[args.county]
    out = args.out or ROOT / profile.out
    generate(profile, out, quiet=args.quiet)
    if args.county in COUNTIES:
        write_quarters(profile, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
