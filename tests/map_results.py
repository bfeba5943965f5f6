"""Results for the map's tests, generated from the declared results schema (no workspace, no run).

Every column the schema declares for ``parcels`` (input fields and each stage's parcel columns) and
for the layers the map draws (``idle_land``, ``fragments``, ``split_checks``, ``merge_checks``,
``enterprise_eval``, ``targets``) is filled by dtype, enumerations cycling through their declared
codes; the few values a test reads are then set on purpose (classes, idle clocks, tenants, an
enterprise named ``<script>…``). :func:`check_against_schema` asserts the result holds exactly the
declared columns, so a renamed or added column in ``geo_tenglong/data/results_schema.toml`` shows up
here. The parcels lie on a grid in EPSG:4528 near 天台 (121.03°E, 29.14°N).
"""

from __future__ import annotations

import types

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo_tenglong import results_schema, units
from geo_tenglong.findings import concat_findings, make_findings
from geo_tenglong.results import Results

CRS = "EPSG:4528"
#: The name that must show literally and run nothing.
EVIL_NAME = "<script>alert(1)</script> & \"双引号\" '单引号' 机械有限公司"
CLASS_NAMES = {"A": "优先发展类", "B": "提升发展类", "C": "调控帮扶类", "D": "倒逼整治类"}
#: The schema tables this generator fills.
TABLES = ("idle_land", "fragments", "split_checks", "merge_checks", "enterprise_eval", "targets")


def origin() -> tuple[float, float]:
    """EPSG:4528 coordinates of 121.03°E, 29.14°N."""
    return Transformer.from_crs(4326, CRS, always_xy=True).transform(121.03, 29.14)


def _uscc(i: int) -> str:
    return f"91331023MA{i:08d}"[:18]


def schema_frame(table: str, n: int, rng: np.random.Generator, **values) -> pd.DataFrame:
    """``n`` rows with every declared column of ``table``: ``values`` where given, else by dtype.

    Enumerations cycle through their declared codes; ``str`` gives ``<column>-<row>``, ``float``
    uniform 0–100 (0–1 for a 比例), ``int`` 0–4, ``bool`` alternating, ``date`` days from 2020-01-01.
    """
    out = {}
    for f in results_schema.table_schema(table).fields:
        if f.name in values:
            out[f.name] = values[f.name]
        elif f.values:
            codes = list(f.values)
            col = [codes[k % len(codes)] for k in range(n)]
            out[f.name] = pd.to_numeric(col) if f.dtype in {"int", "float"} else col
        elif f.dtype == "str":
            out[f.name] = pd.array([f"{f.name}-{k}" for k in range(n)], dtype="string")
        elif f.dtype == "float":
            out[f.name] = np.round(rng.uniform(0, 1 if f.unit == "比例" else 100, n), 4)
        elif f.dtype == "int":
            out[f.name] = rng.integers(0, 5, n)
        elif f.dtype == "bool":
            out[f.name] = np.arange(n) % 2 == 0
        elif f.dtype == "date":
            out[f.name] = pd.Timestamp("2020-01-01") + pd.to_timedelta(np.arange(n), unit="D")
        elif f.dtype == "json":
            out[f.name] = ["[]"] * n
    return pd.DataFrame(out)


def check_against_schema(results: Results) -> None:
    """Assert the parcels and :data:`TABLES` hold exactly their declared columns, of their dtypes.

    Uses :func:`geo_tenglong.results_schema.check_table` (dtype families, geometry) and compares the
    column sets, so a column the schema adds or renames fails here until the generator follows.
    """
    def cols(df):
        return set(df.columns) - {"geometry"}
    results_schema.check_table("parcels", results.parcels)
    declared = set(results_schema.table_schema("parcels").names)
    assert cols(results.parcels) == declared, cols(results.parcels) ^ declared
    for name in TABLES:
        if name in results.layers:
            results_schema.check_table(name, results.layers[name])
            want = set(results_schema.table_schema(name).names)
            assert cols(results.layers[name]) == want, (name, cols(results.layers[name]) ^ want)


def map_results(n: int = 60, seed: int = 8, cell_m: float = 80.0) -> Results:
    """Results of ``n`` grid parcels holding every declared column of the layers the map draws.

    Parcels 0–2 carry idle clocks: 0 running (tier 0, 120 days), 1 idle one year (tier 1), 2 idle
    with a government cause; parcel 4 is a completed parcel with tier 0 and no clock. Parcel 5 is
    shared by its holder and a tenant (一地多企) named ``入驻租户科技有限公司``. Parcel 3's
    enterprise is :data:`EVIL_NAME`.
    """
    rng = np.random.default_rng(seed)
    x0, y0 = origin()
    cols = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    gx, gy = i % cols, i // cols
    xs, ys = x0 + gx * cell_m, y0 + gy * cell_m
    w = cell_m - 4.0
    notch = rng.uniform(4, 12, n)
    coords = np.stack([
        np.column_stack([xs, ys]), np.column_stack([xs + w, ys]), np.column_stack([xs + w, ys + w * 0.4]),
        np.column_stack([xs + w - notch, ys + w * 0.45]), np.column_stack([xs + w, ys + w * 0.5]),
        np.column_stack([xs + w, ys + w]), np.column_stack([xs, ys + w]), np.column_stack([xs, ys]),
    ], axis=1)
    geoms = shapely.polygons(coords)
    ids = np.array([f"331023{100 + (k % 9):03d}{k:010d}"[:19] for k in i])
    names = np.array([f"天台县第{k + 1}号制造有限公司" for k in i], dtype=object)
    names[min(3, n - 1)] = EVIL_NAME
    usccs = np.array([_uscc(k) for k in i], dtype=object)
    classes = rng.choice(np.array(["A", "B", "C", "D", None], dtype=object), size=n, p=[0.12, 0.33, 0.4, 0.1, 0.05])
    area_m2 = shapely.area(geoms)
    tax = np.round(rng.gamma(2.0, 8.0, n), 2)
    reclaim = (classes == "D") | (tax < 3)
    tier = np.zeros(n, dtype=int)
    tier[1 % n], tier[2 % n] = 1, 2
    idle_rule = pd.array([None] * n, dtype="string")
    idle_rule[[1 % n, 2 % n]] = "NAT-IDLE-1"
    gov = pd.array([None] * n, dtype="string")
    gov[2 % n] = "规划调整"
    days = np.zeros(n)
    days[: min(3, n)] = [120.0, 420.0, 800.0][: min(3, n)]
    parcels = gpd.GeoDataFrame(schema_frame(
        "parcels", n, rng,
        parcel_id=ids, owner_uscc=usccs, owner_name=names, holder_uscc=usccs, holder_name=names,
        township=rng.choice(["赤城街道", "始丰街道", "福溪街道", "平桥镇"], n),
        park_id=np.where(gx < cols // 2, "P1", None), status=np.where(i == 0, "未动工", "已竣工投产"),
        area_m2=area_m2.round(2), area_mu=units.m2_to_mu(area_m2).round(4),
        split_from=pd.array([None] * n, dtype="string"), merged_from=pd.array([None] * n, dtype="string"),
        eval_year=np.full(n, 2022), eval_class=classes, class_name=[CLASS_NAMES.get(c) for c in classes],
        tenant_count=np.where(i == 5, 2, 1), tax_per_mu=tax, low_efficiency=reclaim,
        low_efficiency_type=np.where(reclaim, "亩均税收≤5万元/亩", None),
        idle_rule=idle_rule, idle_tier=tier, idle_days=days,
        idle_fee_wan=np.where(tier == 1, 12.5, 0.0), idle_gov_cause=gov,
        reclaimable=reclaim, reclaim_reason=np.where(reclaim, "D类企业用地 / 亩均税收低于5万元", None),
        point_labels=pd.array([None] * n, dtype="string"), cluster_id=pd.array([None] * n, dtype="string"),
    ), geometry=geoms, crs=CRS)
    # the idle stage's layer: clocks on parcels 0–2 (0 running, 1 idle, 2 idle with a government cause)
    k = min(3, n)
    idle = gpd.GeoDataFrame(schema_frame(
        "idle_land", k, rng, parcel_id=ids[:k], idle_rule=pd.array(["NAT-IDLE-1"] * k, dtype="string"),
        idle_tier=tier[:k].astype(float), idle_days=days[:k], idle_gov_cause=gov[:k],
        idle_kind=["未满一年", "闲置满一年", "政府原因闲置"][:k], evidence=pd.array([None] * k, dtype="string"),
    ), geometry=geoms[:k], crs=CRS)
    # fragments: small plots in the street gaps
    nf = max(2, n // 40)
    fx = x0 + rng.integers(0, cols, nf) * cell_m + cell_m - 4.0
    fy = y0 + rng.integers(0, max(1, n // cols), nf) * cell_m
    fgeoms = shapely.box(fx, fy, fx + 4.0, fy + 30.0)
    frag = gpd.GeoDataFrame(schema_frame(
        "fragments", nf, rng, fragment_id=[f"F{j + 1:04d}" for j in range(nf)],
        kind=np.where(np.arange(nf) % 2 == 0, "边角地", "夹心地"), compliant=np.arange(nf) % 3 != 0,
        area_m2=shapely.area(fgeoms).round(2), area_mu=units.m2_to_mu(shapely.area(fgeoms)).round(4),
        neighbours=[f'[{{"parcel_id": "{ids[0]}", "shared_m": 30.0}}]'] * nf,
        reason=["<b>注意</b> 相邻宗地 & 道路" if j == 0 else "" for j in range(nf)],
    ), geometry=fgeoms, crs=CRS)
    # split checks: halves of a few parcels
    ns = max(1, n // 50)
    parts, pid, part_no, verdict = [], [], [], []
    for j in range(ns):
        g = geoms[j * 7 % n]
        minx, miny, maxx, maxy = g.bounds
        mid = (minx + maxx) / 2
        for p, b in enumerate([shapely.box(minx, miny, mid, maxy), shapely.box(mid, miny, maxx, maxy)]):
            parts.append(g.intersection(b))
            pid.append(ids[j * 7 % n])
            part_no.append(p + 1)
            verdict.append(["pass", "fail", "warn"][j % 3])
    split = gpd.GeoDataFrame(schema_frame(
        "split_checks", len(parts), rng, proposal_id=[f"S{j // 2 + 1:03d}" for j in range(len(parts))],
        parcel_id=pid, part_no=part_no, verdict=verdict, part_status=verdict,
        area_m2=shapely.area(parts).round(2), area_mu=units.m2_to_mu(shapely.area(parts)).round(4),
    ), geometry=parts, crs=CRS)
    merge_ids = [f"{ids[(j * 11 + 1) % n]};{ids[(j * 11 + 2) % n]}" for j in range(ns)]
    merge = pd.DataFrame(schema_frame(
        "merge_checks", ns, rng, proposal_id=[f"M{j + 1:03d}" for j in range(ns)], parcel_ids=merge_ids,
        n_parcels=np.full(ns, 2), verdict=[["fail", "pass"][j % 2] for j in range(ns)]))
    # enterprises: one per parcel, plus a tenant sharing parcel 5 (一地多企)
    t = min(5, n - 1)
    ee = schema_frame(
        "enterprise_eval", n + 1, rng, uscc=[*usccs, "91331023MA2TENANT1"],
        name=[*names, "入驻租户科技有限公司"], year=np.full(n + 1, 2022), parcel_ids=[*ids, ids[t]],
        eval_class=[*classes, "C"], class_name=[*[CLASS_NAMES.get(c) for c in classes], "调控帮扶类"],
        pool_id=[*usccs, usccs[t]], pool_size=np.where(np.arange(n + 1) == t, 2, 1))
    ee.loc[n, "pool_size"] = 2
    reclaim_mu = float(parcels.loc[reclaim, "area_mu"].sum())
    targets = schema_frame(
        "targets", 4, rng, rule_id=["TT-T1", "TT-T2", "TT-T3", "TT-T8"], clause=["二"] * 4,
        label=["规上工业亩均税收", "规上工业亩均增加值", "规上制造业全员劳动生产率", "腾出低效工业用地"],
        metric=["tax_per_mu", "va_per_mu", "labour_productivity", "freed_mu"], op=[">="] * 4,
        target=[25.0, 150.0, 23.0, 200.0], value=[18.7, 121.0, 24.1, 12.5],
        unit=["万元/亩", "万元/亩", "万元/人", "亩"], year=[2023] * 4,
        status=["fail", "fail", "pass", "fail"], progress=[18.7 / 25, 121 / 150, 24.1 / 23, 12.5 / 200],
        candidate=[np.nan, np.nan, np.nan, reclaim_mu], since=["", "", "", "2023-06-30"], note=[""] * 4)
    findings = concat_findings([
        make_findings(ids, "TT-T4", "二", np.where(reclaim, "fail", "pass"), tax, 5.0, "万元/亩",
                      [f"亩均税收 {v:.2f} 万元/亩" for v in tax]),
        make_findings(ids[1:3], "NAT-IDLE-1", "第二条", "fail", np.nan, np.nan, "", "超过约定动工日期满一年未动工"),
        make_findings(ids[: max(1, n // 10)], "TT-FAR-DEFAULT", "四(五)", "warn", 0.8, 1.1, "",
                      "容积率低于 <1.1> & 待核"),
        make_findings(frag["fragment_id"].to_numpy(), "TT-CORNER", "四(六)",
                      np.where(frag["compliant"], "pass", "fail"), message="累计面积不超过原用地20%且不超过10亩"),
        make_findings(merge["proposal_id"].to_numpy(), "TT-MERGE", "四(八)", merge["verdict"].to_numpy(),
                      message="权属性质、使用权类型一致,界线相邻"),
    ])
    info = {"county": "天台县", "admin_code": "331023", "ruleset": "tiantai-2022", "document": "天政发〔2022〕1号",
            "as_of": "2023-06-30", "crs": CRS, "workspace": ""}
    return Results(info=info, parcels=parcels, findings=findings,
                   layers={"idle_land": idle, "fragments": frag, "split_checks": split, "merge_checks": merge,
                           "enterprise_eval": ee, "targets": targets},
                   metrics={"reclaimable_mu": reclaim_mu})


def map_context(results: Results) -> dict[str, gpd.GeoDataFrame]:
    """Parks, 城镇开发边界, 永久基本农田 and 生态保护红线 around ``results``, as a workspace holds them."""
    minx, miny, maxx, maxy = results.parcels.total_bounds
    w, h = maxx - minx, maxy - miny

    def gdf(geom, **cols):
        return gpd.GeoDataFrame({k: [v] for k, v in cols.items()}, geometry=[geom], crs=CRS)

    return {
        "parks": gdf(shapely.box(minx - 10, miny - 10, minx + w / 2, maxy + 10), park_id="P1",
                     name="天台经济开发区", kind="经济开发区", standard_land_rules="是"),
        "urban_boundary": gdf(shapely.box(minx - 60, miny - 60, maxx + 60, maxy + 60), id="UB1",
                              name="天台县城镇开发边界"),
        "basic_farmland": gdf(shapely.box(maxx + 80, miny, maxx + 80 + w / 3, maxy), id="BF1", name="永久基本农田"),
        "eco_redline": gdf(shapely.box(minx, maxy + 80, maxx, maxy + 80 + h / 4), id="ER1", name="生态保护红线"),
    }


def map_workspace(results: Results):
    """A stand-in for a Workspace as the map reads one: ``layer(name)``, ``root``, rasters, inputs."""
    layers = map_context(results)
    return types.SimpleNamespace(layers=layers, layer=layers.get, root=None, rasters={}, landcover_classes={},
                                 inputs=[])
