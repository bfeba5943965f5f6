"""Tests of the bundled sample workspace (layers/) and of scripts/make_sample_layers.py.

The committed files are checked directly (counts, ids, geometry, CRS, size, manifest), planted
threshold values are recomputed independently from the files, and the generator is re-run to
prove it reproduces the committed bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
import shapely

from geo_tenglong import uscc

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ROOT / "layers"
SCRIPT = ROOT / "scripts" / "make_sample_layers.py"
GPKG = LAYERS / "tiantai.gpkg"
M2_PER_MU = 10000 / 15
ID_RE = re.compile(r"^331023\d{6}GB\d{5}$")

pytestmark = pytest.mark.skipif(not (LAYERS / "manifest.json").exists(), reason="layers/ not generated")


@pytest.fixture(scope="module")
def manifest():
    return json.loads((LAYERS / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def parcels():
    return gpd.read_file(GPKG, layer="parcels")


@pytest.fixture(scope="module")
def buildings():
    return gpd.read_file(GPKG, layer="buildings")


@pytest.fixture(scope="module")
def enterprises():
    return pd.read_excel(LAYERS / "enterprises.xlsx", dtype={"统一社会信用代码": str})


def tree_overlaps(geoms) -> np.ndarray:
    """Areas of pairwise intersections of ``geoms`` (each pair once)."""
    geoms = np.asarray(geoms)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    areas = shapely.area(shapely.intersection(geoms[left[keep]], geoms[right[keep]]))
    return np.concatenate([areas, [0.0]])


# -- workspace.toml -------------------------------------------------------------------------------

def test_workspace_toml_follows_the_contract():
    ws = tomllib.loads((LAYERS / "workspace.toml").read_text(encoding="utf-8"))
    w = ws["workspace"]
    assert w["county"] == "天台县" and w["admin_code"] == "331023" and w["ruleset"] == "tiantai-2022"
    assert str(w["as_of"]) == "2023-06-30" and w["crs"] == "EPSG:4528"
    assert ws["layers"]["parcels"] == {"path": "tiantai.gpkg", "layer": "parcels"}
    assert ws["layers"]["roads"] == "roads.shp"
    for name in ("enterprises", "tenancy", "contracts", "projects", "merge_proposals", "land_supply"):
        assert (LAYERS / ws["tables"][name]).exists()
    dates = [str(r["date"]) for r in ws["rasters"]["landcover"]]
    assert dates == ["2021-10-15", "2023-04-20"]
    assert ws["coords"]["folder"] == "jzd"
    for spec in ws["layers"].values():
        path = spec if isinstance(spec, str) else spec["path"]
        assert (LAYERS / path).exists()
    gpkg_layers = {name for name, _ in pyogrio.list_layers(GPKG)}
    assert {s["layer"] for s in ws["layers"].values() if isinstance(s, dict)} <= gpkg_layers


# -- parcels ---------------------------------------------------------------------------------------

def test_parcel_count_and_ids(parcels):
    assert 1350 <= len(parcels) <= 1700
    assert parcels["parcel_id"].is_unique
    assert parcels["parcel_id"].map(lambda s: bool(ID_RE.match(s))).all()


def test_parcel_fields_per_contract(parcels):
    expected = ["parcel_id", "owner_uscc", "owner_name", "land_use_code", "township", "park_id", "rights_nature",
                "rights_type", "term_start", "term_end", "contract_far", "plan_conditions", "standard_land", "status",
                "split_from", "merged_from", "industrial_real_estate"]
    assert list(parcels.columns[:-1]) == expected
    assert set(parcels["status"]) <= {"未动工", "在建", "已竣工投产", "停产"}
    assert set(parcels["rights_type"].dropna()) <= {"出让", "划拨", "租赁"}
    assert parcels["township"].nunique() >= 6


def test_parcel_sizes_span_2_to_150_mu(parcels):
    mu = parcels.area / M2_PER_MU
    assert mu.min() >= 2.0 and mu.max() <= 160
    assert (mu < 5).sum() > 100 and (mu > 50).sum() >= 10


def test_parcels_valid_and_not_overlapping(parcels):
    assert parcels.geometry.is_valid.all()
    assert set(parcels.geom_type) == {"Polygon"}
    assert tree_overlaps(parcels.geometry.values).max() <= 0.01


def test_buildings_inside_parcels_and_not_overlapping(parcels, buildings):
    assert 4000 <= len(buildings) <= 6000
    assert buildings.geometry.is_valid.all()
    assert tree_overlaps(buildings.geometry.values).max() <= 0.01
    joined = gpd.sjoin(buildings, parcels[["parcel_id", "geometry"]], predicate="intersects", how="left")
    assert joined["parcel_id_right"].notna().all()
    set_ids = buildings["parcel_id"].dropna()
    assert set_ids.isin(parcels["parcel_id"]).all()
    assert set(buildings["use"]) <= {"生产", "仓储", "行政办公", "生活服务", "构筑物", "堆场", "其他"}
    assert ((buildings["floors"] == 1) & (buildings["storey_height_m"] > 8)).sum() > 50


def test_everything_in_zone_40_near_tiantai():
    to_ll = pyproj.Transformer.from_crs(4528, 4490, always_xy=True)
    for name, _ in pyogrio.list_layers(GPKG):
        info = pyogrio.read_info(GPKG, layer=name)
        assert pyproj.CRS(info["crs"]).to_epsg() == 4528, name
        b = pyogrio.read_bounds(GPKG, layer=name)[1]
        finite = (np.abs(b) < 1e9).all(axis=0) & (b[0] > 1e6)   # empty geometries have no bounds
        lon, lat = to_ll.transform(b[0, finite], b[1, finite])
        assert np.all(np.abs(lon - 121.03) < 0.15) and np.all(np.abs(lat - 29.14) < 0.1), name
    roads = gpd.read_file(LAYERS / "roads.shp")
    assert roads.crs.to_epsg() == 4528


def test_roads_shapefile_is_gbk_with_chinese_names():
    assert (LAYERS / "roads.cpg").read_text().strip().upper() in {"GBK", "CP936"}
    raw = (LAYERS / "roads.dbf").read_bytes()
    assert "路".encode("gbk") in raw
    roads = gpd.read_file(LAYERS / "roads.shp")
    assert roads["name"].str.contains("路|大道").sum() > 20
    assert {"road_id", "name", "road_class", "width_m"} <= set(roads.columns)


# -- tables ---------------------------------------------------------------------------------------

def test_enterprises_table(manifest, enterprises, parcels):
    assert list(enterprises.columns) == manifest["headers"]["enterprises"]
    codes = enterprises["统一社会信用代码"]
    n = codes.nunique()
    assert 1150 <= n <= 1400
    by_year = enterprises.drop_duplicates(["统一社会信用代码", "年度"])
    assert set(by_year["年度"]) == {2021, 2022}
    assert 330 <= by_year[by_year["年度"] == 2022]["规模"].eq("规上").sum() <= 470
    bad = set(codes[~uscc.valid_mask(codes)])
    assert bad == {f["uscc"] for f in manifest["faults"]["invalid_uscc"]}
    owners = parcels["owner_uscc"].dropna()
    assert uscc.valid_mask(owners).all()
    dup = manifest["faults"]["duplicate_row"][0]
    assert ((codes == dup["uscc"]) & (enterprises["年度"] == dup["year"])).sum() == 2
    html = manifest["faults"]["html_name"][0]["name"]
    assert "<script>alert(1)</script>" in html and "&" in html and '"' in html
    assert (enterprises["企业名称"] == html).any()
    g = enterprises[enterprises["规模"] == "规上"]["营业收入(万元)"]
    assert g.min() >= 2000 and g.max() <= 200000


def test_contracts_dates_mixed_and_one_unreadable(manifest):
    raw = pd.read_excel(LAYERS / "contracts.xlsx", dtype=object)
    assert list(raw.columns) == manifest["headers"]["contracts"]
    col = raw["约定动工日期"].dropna()
    kinds = {type(v).__name__ for v in col}
    assert "datetime" in kinds and "int" in kinds and "str" in kinds
    texts = [v for v in col if isinstance(v, str)]
    assert any("年" in v for v in texts) and any("/" in v for v in texts) and any("-" in v for v in texts)
    unreadable = (raw == "待定").sum().sum()
    assert unreadable == 1
    u = manifest["faults"]["unreadable_date"][0]
    row = raw[raw["合同编号"] == u["contract_id"]].iloc[0]
    assert row[u["header"]] == "待定"


def test_csv_tables_are_utf8_with_bom(manifest):
    for name in ("tenancy", "projects", "merge_proposals", "land_supply"):
        raw = (LAYERS / f"{name}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), name
        header = raw[3:].decode("utf-8").splitlines()[0].split(",")
        assert header == manifest["headers"][name], name


def test_land_supply_shares(manifest):
    t = pd.read_csv(LAYERS / "land_supply.csv", encoding="utf-8-sig")
    share = t[t["用途"] == "工业"].set_index("年度")["供地面积(亩)"] / t.groupby("年度")["供地面积(亩)"].sum()
    assert (share < 0.30).any() and (share >= 0.30).any()
    assert manifest["supply"]["threshold"] == 0.30
    assert sorted(manifest["supply"]["years_below_threshold"]) == sorted(int(y) for y in share[share < 0.30].index)


# -- manifest -------------------------------------------------------------------------------------

def test_manifest_ids_exist(manifest, parcels, buildings, enterprises):
    pids = set(parcels["parcel_id"])
    renov = set(gpd.read_file(GPKG, layer="renovations")["renovation_id"])
    splits = set(gpd.read_file(GPKG, layer="split_proposals")["proposal_id"])
    merges = set(pd.read_csv(LAYERS / "merge_proposals.csv", encoding="utf-8-sig")["方案编号"])
    codes = set(enterprises["统一社会信用代码"])
    for key in ("idle", "imagery", "housing"):
        for ids in manifest[key].values():
            assert set(ids) <= pids, key
    for k in ("rezoned_parcels", "class_a_parcels", "class_d_parcels"):
        assert set(manifest["keep"][k]) <= pids
    for k in ("renovation_class_a", "renovation_class_d"):
        assert set(manifest["keep"][k]) <= renov
    assert set(sum(manifest["renovation"].values(), [])) <= renov
    assert set(sum(manifest["split"].values(), [])) == splits
    assert set(sum(manifest["merge"].values(), [])) == merges
    for k in ("efficiency",):
        assert set(sum(manifest[k].values(), [])) <= codes
    assert set(sum((v for k, v in manifest["rating"].items() if k != "project_ids"), [])) <= codes
    assert set(manifest["faults"]["parcels_without_enterprise"]) <= pids
    assert parcels[parcels["owner_uscc"].isna()]["parcel_id"].tolist() == sorted(manifest["faults"]["parcels_without_enterprise"])
    assert set(manifest["faults"]["enterprises_without_land"]) <= codes
    assert not set(manifest["faults"]["enterprises_without_land"]) & set(parcels["owner_uscc"].dropna())
    bids = set(buildings["building_id"])
    for k in ("height_over_24_outside_park_no_plan", "single_storey_over_8m"):
        assert set(manifest["intensity"][k]) <= bids
    assert set(manifest["geometry"]["jzd_parcels"]) <= pids


def test_manifest_gaps_are_unallocated(manifest, parcels):
    union = shapely.union_all(parcels.geometry.values)
    n = 0
    for key, plots in manifest["corners"].items():
        for plot in plots:
            pt = shapely.Point(plot["point"])
            assert not union.contains(pt), key
            n += 1
    assert n >= 15
    slivers = manifest["corners"]["sliver"]
    assert all(p["area_m2"] < 400 for p in slivers)


def test_gap_constraints(manifest):
    farm = shapely.union_all(gpd.read_file(GPKG, layer="basic_farmland").geometry.values)
    ub = shapely.union_all(gpd.read_file(GPKG, layer="urban_boundary").geometry.values)
    zoning = gpd.read_file(GPKG, layer="zoning")
    half = manifest["corners"]["half_in_farmland"][0]
    out = manifest["corners"]["outside_urban_boundary"][0]
    assert not ub.contains(shapely.Point(out["point"]))
    assert farm.intersects(shapely.Point(half["centroid"]).buffer(40))
    g = manifest["corners"]["non_industrial_zoning"][0]
    hit = zoning[zoning.contains(shapely.Point(g["point"]))]
    assert hit["land_use_code"].tolist() == ["G"]


# -- planted values recomputed from the files -----------------------------------------------------

def test_efficiency_thresholds_are_exact(manifest, parcels, enterprises):
    expect = {"billion_exactly_10": (10.0, 10.0), "low_exactly_5": (6.0, 5.0)}
    for key, values in expect.items():
        code = manifest["efficiency"][key][0]
        land_mu = parcels[parcels["owner_uscc"] == code].area.sum() / M2_PER_MU
        rows = enterprises[enterprises["统一社会信用代码"] == code].sort_values("年度")
        assert (rows["税收实际贡献(万元)"] / land_mu).tolist() == list(values)
    code = manifest["efficiency"]["revenue_exactly_1yi_low"][0]
    assert (enterprises[enterprises["统一社会信用代码"] == code]["营业收入(万元)"] == 10000.0).all()


def test_corner_plot_areas(manifest, parcels):
    ren = gpd.read_file(GPKG, layer="renovations").set_index("renovation_id")
    area = parcels.set_index("parcel_id").area

    def ratio(rid):
        r = ren.loc[rid]
        return r.geometry.area, area[r["parcel_id"]]

    plot, land = ratio(manifest["renovation"]["plots_pct20_exact"][0])
    assert plot / land == pytest.approx(0.2, rel=1e-9) and plot / M2_PER_MU < 10
    plot, land = ratio(manifest["renovation"]["plots_pct20_over"][0])
    assert plot - 0.2 * land == pytest.approx(1.0, abs=1e-6)
    plot, land = ratio(manifest["renovation"]["plots_mu10_exact"][0])
    assert plot / M2_PER_MU == pytest.approx(10.0, rel=1e-10) and plot / land < 0.2
    plot, land = ratio(manifest["renovation"]["plots_mu10_over"][0])
    assert plot - 10 * M2_PER_MU == pytest.approx(1.0, abs=1e-6) and plot / land < 0.2
    # every requested plot lies outside all parcels and touches its parcel
    for _rid, r in ren.iterrows():
        if r.geometry is None or r.geometry.is_empty:
            continue
        assert parcels.intersection(r.geometry).area.max() < 1e-3
        assert r.geometry.distance(parcels.set_index("parcel_id").geometry[r["parcel_id"]]) < 1e-6


def test_split_parts(manifest, parcels, buildings):
    sp = gpd.read_file(GPKG, layer="split_proposals")
    mu = sp.set_index("proposal_id").area / M2_PER_MU
    assert mu[manifest["split"]["pass_part_exactly_10mu"][0]].min() == pytest.approx(10.0, rel=1e-10)
    assert mu[manifest["split"]["fail_min_area"][0]].min() == pytest.approx(9.999, rel=1e-10)
    assert sp.groupby("proposal_id").size()[manifest["split"]["fail_max_parts"][0]] == 4
    for key, crossing in (("fail_building_cut", 5.0), ("pass_building_over_5cm", 0.05)):
        parts = sp[sp["proposal_id"] == manifest["split"][key][0]]
        bs = buildings[buildings["parcel_id"] == parts["parcel_id"].iloc[0]]
        overs = []
        for g in bs.geometry:
            shares = sorted(g.intersection(p).area for p in parts.geometry)
            if shares[-2] > 1e-6:
                overs.append(shares[-2])
        assert len(overs) == 1 and overs[0] == pytest.approx(30 * crossing, rel=1e-3)


def test_merge_corner_touch(manifest, parcels):
    m = pd.read_csv(LAYERS / "merge_proposals.csv", encoding="utf-8-sig").set_index("方案编号")
    geo = parcels.set_index("parcel_id").geometry
    a, b = m.loc[manifest["merge"]["fail_corner_touch"][0], "合并宗地代码"].split(";")
    assert geo[a].intersection(geo[b]).geom_type == "Point"
    for pid in manifest["merge"]["pass"]:
        a, b = m.loc[pid, "合并宗地代码"].split(";")
        assert geo[a].intersection(geo[b]).length > 10


def test_rasters():
    import rasterio

    for name in ("landcover_2021.tif", "landcover_2023.tif"):
        with rasterio.open(LAYERS / name) as src:
            assert src.dtypes[0] == "uint8" and src.nodata == 0
            assert src.crs.to_epsg() == 4528
            assert src.res[0] <= 2 and src.res[1] <= 2
            assert src.profile["tiled"] and src.block_shapes[0] == (256, 256)
            assert src.compression.name.lower() == "deflate"
            values = set(np.unique(src.read(1, out_shape=(src.height // 8, src.width // 8))))
            assert values <= {0, 1, 2, 3, 4} and {1, 2, 3, 4} <= values


def test_jzd_files():
    files = sorted((LAYERS / "jzd").glob("*.txt"))
    assert len(files) >= 10
    n_plots, holes = 0, 0
    for f in files:
        raw = f.read_bytes()
        assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
        text = raw.decode("gbk")
        assert "格式版本号=1.01版本" in text and "带号=40" in text and "坐标系=2000国家大地坐标系" in text
        for line in text.splitlines():
            if line.endswith(",@"):
                n_plots += 1
            elif line.startswith("J") and line.split(",")[1] == "2":
                holes += 1
    assert n_plots >= 24 and holes > 0


def test_layers_folder_is_small():
    size = sum(f.stat().st_size for f in LAYERS.rglob("*") if f.is_file())
    assert size < 25 * 1024 * 1024


# -- the generator --------------------------------------------------------------------------------

def digests(folder: Path, only: set[str] | None = None) -> dict:
    out = {}
    for f in sorted(folder.rglob("*")):
        rel = f.relative_to(folder).as_posix()
        if f.is_file() and (only is None or rel in only):
            out[rel] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def test_generator_reproduces_committed_bytes(tmp_path):
    """Same bytes every run: regenerate and compare with layers/ (the tiantai files only)."""
    out = tmp_path / "tiantai"
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(out), "--quiet"], check=True, timeout=300)
    fresh = digests(out)
    committed = digests(LAYERS, set(fresh))
    assert set(fresh) == set(committed)
    changed = [k for k in fresh if fresh[k] != committed[k]]
    assert not changed, f"regenerated files differ from layers/: {changed}"


def test_scale_mode_small(tmp_path):
    out = tmp_path / "scale"
    subprocess.run([sys.executable, str(SCRIPT), "--parcels", "3000", "--out", str(out), "--quiet"],
                   check=True, timeout=300)
    ws = tomllib.loads((out / "workspace.toml").read_text(encoding="utf-8"))
    parcels = gpd.read_parquet(out / ws["layers"]["parcels"])
    assert len(parcels) == 3000 and parcels["parcel_id"].is_unique
    assert set(ws["layers"]) == {"parcels", "buildings"}  # the plans' layers only with --plans
    assert parcels.crs.to_epsg() == 4528
    assert parcels.geometry.is_valid.all()
    assert tree_overlaps(parcels.geometry.values).max() <= 0.01
    buildings = gpd.read_parquet(out / ws["layers"]["buildings"])
    assert 1.5 * len(parcels) <= len(buildings) <= 2.5 * len(parcels)
    ent = pd.read_csv(out / ws["tables"]["enterprises"], encoding="utf-8-sig", dtype={"统一社会信用代码": str})
    assert uscc.valid_mask(ent["统一社会信用代码"]).all()


# -- 德清 -------------------------------------------------------------------------------------------

DEQING = LAYERS / "deqing"


@pytest.mark.skipif(not (DEQING / "manifest.json").exists(), reason="layers/deqing not generated")
def test_deqing_workspace():
    ws = tomllib.loads((DEQING / "workspace.toml").read_text(encoding="utf-8"))
    assert ws["workspace"]["county"] == "德清县" and ws["workspace"]["ruleset"] == "deqing-2021"
    assert ws["workspace"]["admin_code"] == "330521"
    parcels = gpd.read_file(DEQING / "deqing.gpkg", layer="parcels")
    assert 700 <= len(parcels) <= 900 and parcels["parcel_id"].is_unique
    assert parcels["parcel_id"].str.match(r"^330521\d{6}GB\d{5}$").all()
    assert parcels.geometry.is_valid.all() and tree_overlaps(parcels.geometry.values).max() <= 0.01
    parks = gpd.read_file(DEQING / "deqing.gpkg", layer="parks")
    assert {"高新区", "经济开发区", "老工业园区"} <= set(parks["kind"])
    assert not parks.loc[parks["kind"] == "老工业园区", "standard_land_rules"].any()
    assert parcels["park_id"].isna().sum() > 30          # clusters outside parks
    c = shapely.union_all(parcels.geometry.values).centroid
    lon, lat = pyproj.Transformer.from_crs(4528, 4490, always_xy=True).transform(c.x, c.y)
    assert abs(lon - 119.97) < 0.05 and abs(lat - 30.54) < 0.05
    m = json.loads((DEQING / "manifest.json").read_text(encoding="utf-8"))
    assert m["supply"]["threshold"] == 0.5
    pids = set(parcels["parcel_id"])
    for ids in m["idle"].values():
        assert set(ids) <= pids


@pytest.mark.skipif(not (DEQING / "manifest.json").exists(), reason="layers/deqing not generated")
def test_deqing_generator_reproduces_committed_bytes(tmp_path):
    out = tmp_path / "deqing"
    subprocess.run([sys.executable, str(SCRIPT), "--county", "deqing", "--out", str(out), "--quiet"],
                   check=True, timeout=300)
    fresh = digests(out)
    committed = digests(DEQING, set(fresh))
    assert set(fresh) == set(committed)
    assert [k for k in fresh if fresh[k] != committed[k]] == []


def read_jzd_plots(path: Path) -> dict:
    """Minimal reader for the files this generator writes: parcel id -> Polygon (GIS x/y)."""
    plots, cur, rings = {}, None, {}

    def flush():
        if cur is not None:
            rs = [np.array(rings[k])[:, ::-1] for k in sorted(rings)]
            plots[cur] = shapely.Polygon(rs[0], rs[1:])

    for line in path.read_bytes().decode("gbk").split("\r\n"):
        if line.endswith(",@"):
            flush()
            cur, rings = line.split(",")[2], {}
        elif line.startswith("J") and cur:
            _, ring, x, y = line.split(",")
            rings.setdefault(int(ring), []).append((float(x), float(y)))
    flush()
    return plots


def test_jzd_reproduces_parcels(parcels, manifest):
    geo = parcels.set_index("parcel_id").geometry
    plots = {}
    for f in (LAYERS / "jzd").glob("*.txt"):
        plots.update(read_jzd_plots(f))
    assert set(plots) == set(manifest["geometry"]["jzd_parcels"])
    assert set(manifest["geometry"]["hole_parcels"]) <= set(plots)
    assert any(p.interiors for p in plots.values())
    for pid, poly in plots.items():
        assert poly.symmetric_difference(geo[pid]).area < 1e-6, pid


# -- realism: the campaign's figures are meaningful ------------------------------------------------
#
# Computed here from the files alone (not with the package's analyses): each enterprise's land is
# the parcels it holds (tenants and pooling left out), floor area counts a storey over 8 m twice
# and 构筑物/堆场 not at all, and buildings without a parcel_id go to the parcel holding them.

def realism_figures(folder: Path, gpkg: str) -> dict:
    parcels = gpd.read_file(folder / gpkg, layer="parcels")
    buildings = gpd.read_file(folder / gpkg, layer="buildings")
    ent = pd.read_excel(folder / "enterprises.xlsx", dtype={"统一社会信用代码": str})
    land = parcels.assign(mu=parcels.area / M2_PER_MU).groupby("owner_uscc")["mu"].sum()
    e = ent[ent["年度"] == 2022].drop_duplicates("统一社会信用代码").set_index("统一社会信用代码")
    e = e.join(land.rename("mu"), how="inner")
    e = e[(e["规模"] == "规上") | (e["mu"] >= 3)]                 # the 亩均评价 scope
    tax_per_mu = e["税收实际贡献(万元)"] / e["mu"]
    big = e[e["规模"] == "规上"]
    out = {"enterprises": len(e), "low_share": float((tax_per_mu <= 5 + 1e-9).mean()),
           "tax_per_mu": big["税收实际贡献(万元)"].sum() / big["mu"].sum(),
           "va_per_mu": big["工业增加值(万元)"].sum() / big["mu"].sum(),
           "productivity": big["工业增加值(万元)"].sum() / big["年平均职工人数"].replace(0, np.nan).sum()}
    b = buildings[buildings["completed"].astype(bool)].copy()
    pts = gpd.GeoDataFrame(geometry=b.geometry.representative_point(), crs=b.crs)
    at = gpd.sjoin(pts, parcels[["parcel_id", "geometry"]], predicate="within", how="left")["parcel_id"]
    b["pid"] = b["parcel_id"].fillna(at.groupby(level=0).first())
    fa = b.area * b["floors"].where(b["floors"] > 0, 1)
    fa = fa.where(~((b["floors"] == 1) & (b["storey_height_m"] > 8)), 2 * fa)
    b["fa"] = fa.where(~b["use"].isin(["构筑物", "堆场"]), 0.0)
    b["admin_fa"] = b["fa"].where(b["use"].isin(["行政办公", "生活服务"]), 0.0)
    b["fp"] = b.area
    per = b.groupby("pid")[["fa", "admin_fa", "fp"]].sum()
    done = parcels[parcels["status"].isin(["已竣工投产", "停产"])].set_index("parcel_id")
    built = per[per.index.isin(done.index) & (per["fa"] > 0)]
    out["admin_over_7pct"] = float((built["admin_fa"] / built["fa"] > 0.07).mean())
    coverage = (per["fp"].reindex(done.index).fillna(0.0) / done.area)
    out["coverage_under_30pct"] = float((coverage < 0.30).mean())
    return out


@pytest.fixture(scope="module")
def realism():
    return realism_figures(LAYERS, "tiantai.gpkg")


def test_low_efficiency_enterprises_are_a_minority(realism):
    """天台 2022: low-efficiency (≤ 5 万元/亩) enterprises a minority, not half the county."""
    assert 1100 <= realism["enterprises"] <= 1300
    assert 0.04 <= realism["low_share"] <= 0.11


def test_county_efficiency_near_the_targets(realism):
    """规上 亩均税收 near TT-T1's 25, 亩均增加值 within reach of TT-T2's 150, productivity near TT-T3's 23."""
    assert 20 <= realism["tax_per_mu"] <= 30
    assert 110 <= realism["va_per_mu"] <= 170
    assert 18 <= realism["productivity"] <= 32


def test_admin_buildings_mostly_within_7pct(realism, manifest, parcels, buildings):
    """Most plants keep 行政办公/生活服务 within NAT-ADMIN's 7 %; the planted cases stay over it."""
    assert 0.02 <= realism["admin_over_7pct"] <= 0.09
    b = buildings[buildings["parcel_id"].isin(manifest["intensity"]["admin_share_over_7pct"])]
    assert len(manifest["intensity"]["admin_share_over_7pct"]) >= 5
    fa = b.area * b["floors"].where(b["floors"] > 0, 1)
    share = fa.where(b["use"].isin(["行政办公", "生活服务"]), 0.0).groupby(b["parcel_id"]).sum() / fa.groupby(b["parcel_id"]).sum()
    assert (share > 0.07).all()


def test_completed_plants_mostly_meet_the_coverage_rule(realism):
    """NAT-COVER: 建筑系数 ≥ 30 % for most completed plants (small plots with wide setbacks fail)."""
    assert realism["coverage_under_30pct"] <= 0.16


@pytest.mark.skipif(not (DEQING / "manifest.json").exists(), reason="layers/deqing not generated")
def test_deqing_figures_are_realistic():
    f = realism_figures(DEQING, "deqing.gpkg")
    assert 0.03 <= f["low_share"] <= 0.13
    assert 20 <= f["tax_per_mu"] <= 45
    assert 0.02 <= f["admin_over_7pct"] <= 0.10
    assert f["coverage_under_30pct"] <= 0.16


# -- the generator's code -------------------------------------------------------------------------

def test_generator_is_a_package_of_small_documented_functions():
    """scripts/make_sample_layers.py is a thin entry point; scripts/samplegen/ has no function over
    80 lines and a docstring on every public function and class (issue 17 point 4)."""
    import ast

    entry = SCRIPT.read_text(encoding="utf-8")
    assert len(entry.splitlines()) < 150 and "from samplegen." in entry
    too_long, undocumented = [], []
    for path in sorted((ROOT / "scripts" / "samplegen").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.end_lineno - node.lineno + 1 > 80:
                too_long.append(f"{rel}:{node.name}")
        for node in tree.body:
            if (isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_")
                    and not ast.get_docstring(node)):
                undocumented.append(f"{rel}:{node.name}")
    assert not too_long, too_long
    assert not undocumented, undocumented


# -- the later quarters (layers/quarters/2023Q3, 2023Q4) ---------------------------------------------
#
# Each quarter is the previous state plus the changes its manifest lists; checked here from the
# files alone: what the manifest says changed did change, and nothing else in the parcels did.

QUARTERS = LAYERS / "quarters"
STATES = [("base", LAYERS, "2023-06-30"), ("2023Q3", QUARTERS / "2023Q3", "2023-09-30"),
          ("2023Q4", QUARTERS / "2023Q4", "2023-12-31")]
needs_quarters = pytest.mark.skipif(not (QUARTERS / "2023Q4" / "manifest.json").exists(),
                                    reason="layers/quarters not generated")


def quarter_manifest(name: str) -> dict:
    return json.loads((QUARTERS / name / "manifest.json").read_text(encoding="utf-8"))["changes"]


def holders_tax_per_mu(folder: Path) -> pd.Series:
    """2022 tax / land held (亩) per enterprise, from the files (first row of a duplicated code)."""
    p = gpd.read_file(folder / "tiantai.gpkg", layer="parcels")
    land = p.assign(mu=p.area / M2_PER_MU).groupby("owner_uscc")["mu"].sum()
    e = pd.read_excel(folder / "enterprises.xlsx", dtype={"统一社会信用代码": str})
    e = e[e["年度"] == 2022].drop_duplicates("统一社会信用代码").set_index("统一社会信用代码")
    return (e["税收实际贡献(万元)"] / land).dropna()


@needs_quarters
@pytest.mark.parametrize("name, folder, as_of", STATES[1:])
def test_quarter_is_a_full_workspace(name, folder, as_of):
    ws = tomllib.loads((folder / "workspace.toml").read_text(encoding="utf-8"))
    base = tomllib.loads((LAYERS / "workspace.toml").read_text(encoding="utf-8"))
    assert str(ws["workspace"]["as_of"]) == as_of
    assert {k: v for k, v in ws.items() if k != "workspace"} == {k: v for k, v in base.items() if k != "workspace"}
    for spec in list(ws["layers"].values()) + list(ws["tables"].values()):
        path = spec if isinstance(spec, str) else spec["path"]
        assert (folder / path).is_file() and not (folder / path).is_symlink()
    assert (folder / "整治台账_填报.xlsx").is_file()


@needs_quarters
def test_quarter_parcels_change_only_as_listed():
    for (_, prev, _), (name, cur, _) in zip(STATES, STATES[1:]):
        notes = quarter_manifest(name)
        a = gpd.read_file(prev / "tiantai.gpkg", layer="parcels").set_index("parcel_id")
        b = gpd.read_file(cur / "tiantai.gpkg", layer="parcels").set_index("parcel_id")
        gone = set(a.index) - set(b.index)
        new = set(b.index) - set(a.index)
        split_old = {s["parcel_id"] for s in notes.get("split", [])}
        merged_old = {pid for m in notes.get("merged", []) for pid in m["merged_from"]}
        assert gone == split_old | merged_old
        assert new == {pid for s in notes.get("split", []) for pid in s["parts"]} | \
            {m["parcel_id"] for m in notes.get("merged", [])}
        for s in notes.get("split", []):
            parts = b.loc[s["parts"]]
            assert (parts["split_from"] == s["parcel_id"]).all()
            assert parts.area.sum() == pytest.approx(a.area[s["parcel_id"]], rel=1e-9)
            assert set(parts["owner_uscc"]) == {s["seller"], s["buyer"]}
        for m in notes.get("merged", []):
            row = b.loc[m["parcel_id"]]
            assert row["merged_from"] == ";".join(m["merged_from"]) and row["owner_uscc"] == m["buyer"]
            assert row.geometry.area == pytest.approx(a.area[m["merged_from"]].sum(), rel=1e-9)
        common = sorted(set(a.index) & set(b.index))
        owner_changed = {i for i in common if a.at[i, "owner_uscc"] != b.at[i, "owner_uscc"]
                         and not (pd.isna(a.at[i, "owner_uscc"]) and pd.isna(b.at[i, "owner_uscc"]))}
        listed = {r["parcel_id"] for r in notes.get("reclaimed", []) + notes.get("transferred", [])}
        listed |= {r["parcel_id"] for r in notes.get("new_idle", []) if "uscc" in r}
        assert owner_changed == listed
        status_changed = {i for i in common if a.at[i, "status"] != b.at[i, "status"]}
        assert status_changed == set(notes.get("started", []))
        geom_same = [a.geometry[i].equals_exact(b.geometry[i], 0) for i in common]
        assert all(geom_same)


@needs_quarters
def test_quarter_enterprises_improve_and_leave():
    for (_, prev, _), (name, cur, _) in zip(STATES, STATES[1:]):
        notes = quarter_manifest(name)
        before, after = holders_tax_per_mu(prev), holders_tax_per_mu(cur)
        for code in notes["improved"]:
            assert before[code] <= 5 < 8 <= after[code] <= 12 + 1e-6
        left = [r["from_uscc"] for r in notes.get("reclaimed", []) + notes.get("transferred", [])]
        left += [m["seller"] for m in notes.get("merged", [])]
        assert left and all(before[c] <= 5 and c not in after.index for c in left)
        for s in notes.get("split", []):
            assert before[s["seller"]] <= 5 < after[s["seller"]]
        town = gpd.read_file(prev / "tiantai.gpkg", layer="parcels").groupby("owner_uscc")["township"].first()
        lagging = [c for c in before.index.intersection(after.index) if town.get(c) == notes["lagging_township"]]
        assert lagging and all(after[c] < before[c] for c in lagging)


@needs_quarters
def test_quarter_committed_indicators_and_plans():
    c = pd.read_excel(QUARTERS / "2023Q3" / "contracts.xlsx", dtype=object)
    for h in ("承诺投资强度(万元/亩)", "承诺容积率", "承诺亩均税收(万元/亩)", "承诺单位能耗增加值(万元/吨标准煤)", "实际竣工日期"):
        assert h in c.columns
    p = gpd.read_file(QUARTERS / "2023Q3" / "tiantai.gpkg", layer="parcels").set_index("parcel_id")
    committed = c[c["承诺亩均税收(万元/亩)"].notna()]
    assert len(committed) > 100 and p.loc[committed["宗地代码"], "standard_land"].all()
    tpm = holders_tax_per_mu(LAYERS)
    notes = quarter_manifest("2023Q3")["standard_land"]["shortfall_parcels"]
    for pid in notes["tax"]:
        row = committed[committed["宗地代码"] == pid].iloc[0]
        assert float(row["承诺亩均税收(万元/亩)"]) > tpm[p.at[pid, "owner_uscc"]]
    ren = gpd.read_file(QUARTERS / "2023Q3" / "tiantai.gpkg", layer="renovations").set_index("renovation_id")
    late = ren.loc[["R03", "R09"]]
    assert late["actual_start"].isna().all() and (late["approved_date"] < pd.Timestamp("2023-06-30")).all()
    ren4 = gpd.read_file(QUARTERS / "2023Q4" / "tiantai.gpkg", layer="renovations").set_index("renovation_id")
    assert pd.notna(ren4.at["R03", "actual_start"]) and pd.isna(ren4.at["R09", "actual_start"])
    proj = pd.read_csv(QUARTERS / "2023Q3" / "projects.csv", encoding="utf-8-sig")
    assert proj["批准日期"].notna().all() and (proj["实际开工日期"] > proj["批准日期"]).all()
    e = pd.read_excel(QUARTERS / "2023Q3" / "enterprises.xlsx", dtype={"统一社会信用代码": str, "优质企业类型": str})
    assert set(e["优质企业类型"].dropna()) <= {"上市", "拟上市", "单项冠军", "小巨人", "隐形冠军", "未来工厂", "132"}
    assert e["优质企业类型"].notna().sum() >= 10


@needs_quarters
def test_quarter_ledger_files():
    for name, _folder, _ in STATES[1:]:
        raw = pd.read_excel(QUARTERS / name / "整治台账_填报.xlsx", sheet_name="整治台账", header=None, dtype=object)
        assert raw.iloc[1, 0] == "任务编号" and raw.iloc[0, 0].startswith("天台县")
        rows = raw.iloc[2:]
        rows.columns = raw.iloc[1]
        assert (rows["任务编号"] == "ZZ-" + rows["统一社会信用代码"]).all()
        assert set(rows["状态"]) <= {"未开始", "整改中", "已完成待复核", "重新打开"}
        assert set(rows["整治方式"]) <= {"改造提升", "兼并重组", "回收流转", "整体腾退", "搬迁入园", "关停退出", "限期整改"}
        done = set(rows.loc[rows["状态"] == "已完成待复核", "统一社会信用代码"])
        notes = quarter_manifest(name)
        changed = set(notes["improved"]) | {r["from_uscc"] for r in notes.get("reclaimed", []) + notes.get("transferred", [])}
        changed |= {s["seller"] for s in notes.get("split", []) + notes.get("merged", [])}
        assert done == changed


@needs_quarters
def test_layers_with_quarters_under_25_mb():
    assert sum(f.stat().st_size for f in LAYERS.rglob("*") if f.is_file()) < 25 * 1024 * 1024


@pytest.fixture(scope="module")
def plans_counties(tmp_path_factory):
    """``--parcels 3000 --plans`` of 天台 and 德清, loaded and analysed."""
    from geo_tenglong.pipeline import analyse
    from geo_tenglong.workspace import load_workspace

    out = {}
    for county in ("tiantai", "deqing"):
        path = tmp_path_factory.mktemp("plans") / county
        subprocess.run([sys.executable, str(SCRIPT), "--parcels", "3000", "--plans", "--county", county,
                        "--out", str(path), "--quiet"], check=True, timeout=300)
        ws = load_workspace(path)
        out[county] = (path, ws, analyse(ws))
    return out


def test_scale_plans_layers(plans_counties):
    path, ws, _ = plans_counties["tiantai"]
    parcels, roads = ws.parcels.geometry.to_numpy(), ws.layer("roads").geometry.to_numpy()
    assert 2900 < len(parcels) < 3000 and ws.parcels["parcel_id"].is_unique
    assert shapely.is_valid(parcels).all() and tree_overlaps(parcels).max() <= 0.01
    # roads between the blocks: none over a parcel, and the study area is the blocks and roads
    assert shapely.area(shapely.intersection(shapely.union_all(roads), shapely.union_all(parcels))) < 0.01
    study = shapely.union_all(ws.layer("study_area").geometry.to_numpy())
    occupied = shapely.union_all(np.concatenate([parcels, roads]))
    assert shapely.area(shapely.difference(occupied, study)) < 0.01
    assert shapely.area(shapely.difference(study, occupied)) > 10 * 6000  # the left-out cells
    buildings = ws.layer("buildings")
    assert set(buildings["parcel_id"]) <= set(ws.parcels["parcel_id"])
    # parks cover some blocks, most parcels lie outside them
    assert 0.2 < ws.parcels["park_id"].notna().mean() < 0.5
    renovations, splits = ws.layer("renovations"), ws.layer("split_proposals")
    assert set(renovations["parcel_id"]) <= set(ws.parcels["parcel_id"])
    assert set(splits["parcel_id"]) <= set(ws.parcels["parcel_id"])
    named = ws.table("merge_proposals")["parcel_ids"].str.split(";").explode()
    assert set(named) <= set(ws.parcels["parcel_id"])
    toml = tomllib.loads((path / "workspace.toml").read_text(encoding="utf-8"))
    assert {"roads", "parks", "renovations", "split_proposals", "study_area"} <= set(toml["layers"])
    assert set(toml["tables"]) == {"enterprises", "merge_proposals"}


def test_scale_plans_neighbour_stages_find_something(plans_counties):
    _, ws, r = plans_counties["tiantai"]
    assert r.summary["fragments"]["count"] > 0
    assert r.summary["fragments"]["by_kind"]["夹心地"]["count"] > 0
    assert r.summary["fragments"]["by_kind"]["边角地"]["count"] > 0
    overall = set(r.layers["corner_plan_checks"]["overall"])
    assert {"pass", "fail"} <= overall
    sm = r.summary["split_merge"]
    assert {"pass", "fail"} <= set(sm["split_verdicts"]) and {"pass", "fail"} <= set(sm["merge_verdicts"])
    adjacent = r.layers["merge_checks"]["adjacent"].astype(bool)
    assert adjacent.any() and not adjacent.all()
    # TT-VERT: an enterprise's two expansions on distant parcels, granted up to the cap over both
    spec = ws.ruleset.get("TT-VERT")
    plans = ws.layer("renovations")
    plans = plans[plans["expansion_floor_area_m2"] > 0]
    vert = r.findings[r.findings["rule_id"] == "TT-VERT"].set_index("parcel_id")["value"]
    granted = vert.reindex(plans["renovation_id"]).groupby(plans["uscc"].to_numpy()).sum()
    asked = (plans["expansion_floor_area_m2"] * spec.yuan_per_m2 / 10000).groupby(plans["uscc"].to_numpy()).sum()
    assert len(granted) >= 2 and (asked > spec.cap_wan).all()
    assert granted.to_numpy() == pytest.approx(np.full(len(granted), spec.cap_wan))


def test_scale_plans_clusters_in_deqing(plans_counties):
    _, _, r = plans_counties["deqing"]
    assert r.summary["clusters"]["clusters"] >= 3
    members = r.parcels[r.parcels["cluster_id"].notna()]
    assert members["park_id"].isna().all()
    blocks = members.groupby("cluster_id")["parcel_id"].agg(lambda s: s.str[6:12].nunique())
    assert (blocks >= 4).sum() >= 2  # several clusters spanning many blocks
