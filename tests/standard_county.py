"""Build a county folder in the national standard schemas from the bundled sample (for init tests).

The folder holds what a bureau hands over: 宗地 as ``ZD.shp`` with upper-case 10-character DBF
names in GBK *without* a ``.cpg`` and GB/T 21010 land-use codes (0601); 自然幢 and the 三区三线 /
控规 layers in a FileGDB; 园区 as a GBK Shapefile *with* a ``.cpg``; other layers as GeoParquet
and GeoJSON; the 亩均 table as the platform exports it (title rows, 本年/上年 merged header, a
合计 row, one sheet per year, numbers as text); contracts as a ledger with a title row; a GBK CSV
with a title row; the land-cover GeoTIFFs; the 界址点 files; and a file nobody can place.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd

RIGHTS_TYPE = {"出让": "102", "划拨": "101", "租赁": "104"}
RIGHTS_NATURE = {"国有": "20", "集体": "30"}
USE = {"生产": "21", "仓储": "27", "行政办公": "60", "生活服务": "10", "其他": "80"}


def _yes(s) -> pd.Series:
    return s.map(lambda v: "是" if bool(v) else "否")


def _text(v) -> str | None:
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    return str(v)


def _parcels(sample: Path, out: Path) -> None:
    p = gpd.read_file(sample / "tiantai.gpkg", layer="parcels")
    zd = gpd.GeoDataFrame({
        "ZDDM": p["parcel_id"], "QLRMC": p["owner_name"], "ZJH": p["owner_uscc"],
        "YT": p["land_use_code"].replace({"1001": "0601"}),
        "QSXZ": p["rights_nature"].map(lambda v: RIGHTS_NATURE.get(v, v)),
        "QLXZ": p["rights_type"].map(lambda v: RIGHTS_TYPE.get(v, v)),
        "QSRQ": p["term_start"].map(_text), "ZZRQ": p["term_end"].map(_text), "RJL": p["contract_far"],
        "ZDMJ": p.geometry.area.round(2), "MJDW": "1",
        "乡镇": p["township"], "园区编号": p["park_id"], "开发状态": p["status"],
        "规划条件": _yes(p["plan_conditions"]), "标准地": _yes(p["standard_land"]),
        "分割自": p["split_from"], "合并自": p["merged_from"], "工业地产": _yes(p["industrial_real_estate"]),
    }, geometry=p.geometry, crs=p.crs)
    zd.to_file(out / "ZD.shp", encoding="GBK", engine="pyogrio")
    (out / "ZD.cpg").unlink(missing_ok=True)            # no .cpg: the bureau's export


def _gdb(sample: Path, out: Path) -> None:
    gdb = out / "不动产及规划.gdb"
    b = gpd.read_file(sample / "tiantai.gpkg", layer="buildings")
    zrz = gpd.GeoDataFrame({"ZRZH": b["building_id"], "ZDDM": b["parcel_id"], "ZCS": b["floors"],
                            "JZWGD": b["height_m"], "最高层高": b["storey_height_m"],
                            "GHYT": b["use"].map(lambda v: USE.get(v, v)), "是否竣工": _yes(b["completed"]),
                            "竣工年份": b["completed_year"]}, geometry=b.geometry, crs=b.crs)
    zrz.to_file(gdb, layer="ZRZ", driver="OpenFileGDB", engine="pyogrio")
    for name, code, cols in (("urban_boundary", "CZKFBJ", {"id": "BSM", "name": "XZQMC"}),
                             ("basic_farmland", "YJJBNT", {"id": "BSM", "name": "DLMC"}),
                             ("eco_redline", "STBHHX", {"id": "BSM", "name": "HXMC"}),
                             ("zoning", "KGDK", {"zone_id": "DKBH", "land_use_code": "YDDM", "land_use_name": "YDXZ"})):
        g = gpd.read_file(sample / "tiantai.gpkg", layer=name).rename(columns=cols)
        g.to_file(gdb, layer=code, driver="OpenFileGDB", engine="pyogrio")


def _other_layers(sample: Path, out: Path) -> None:
    parks = gpd.read_file(sample / "tiantai.gpkg", layer="parks").rename(columns={
        "park_id": "园区编号", "name": "园区名称", "kind": "园区类型", "standard_land_rules": "标准地规则"})
    parks["标准地规则"] = _yes(parks["标准地规则"])
    parks.to_file(out / "园区范围.shp", encoding="GBK", engine="pyogrio")          # with a .cpg
    gpd.read_file(sample / "tiantai.gpkg", layer="water").to_file(out / "水系.geojson", driver="GeoJSON",
                                                                  engine="pyogrio")
    gpd.read_file(sample / "tiantai.gpkg", layer="renovations").to_parquet(out / "零增地技改方案.parquet")
    gpd.read_file(sample / "tiantai.gpkg", layer="split_proposals").to_parquet(out / "分割方案.parquet")
    for f in ("roads.shp", "roads.shx", "roads.dbf", "roads.prj", "roads.cpg"):
        shutil.copy(sample / f, out / f.replace("roads", "道路面"))


def _num(v) -> str | None:
    if v is None or pd.isna(v):
        return None
    return f"{int(v):,}" if float(v).is_integer() else f"{float(v):,}"


def _enterprises(sample: Path, out: Path) -> None:
    e = pd.read_excel(sample / "enterprises.xlsx", dtype=object)
    heads = ["统一社会信用代码", "企业名称", "规模", "营业收入(万元)", "税收实际贡献(万元)", None, "工业增加值(万元)",
             "年平均职工人数", "综合能耗(吨标准煤)", "主要污染物排放量(吨)", "R&D经费支出(万元)", "行业"]
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for year in sorted(e["年度"].unique()):
        ws = wb.create_sheet(f"{year}年")
        ws.append([f"天台县{year}年度工业企业亩均效益综合评价数据"])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(heads))
        ws.append(["数据来源:浙江省亩均论英雄大数据平台", None, None, None, None, None, None, None, None, None, None,
                   "单位:万元"])
        ws.append(heads)
        ws.append([None] * 4 + ["本年", "上年"] + [None] * 6)
        ws.merge_cells(start_row=3, start_column=5, end_row=3, end_column=6)
        prev = e[e["年度"] == year - 1].drop_duplicates("统一社会信用代码").set_index("统一社会信用代码")
        rows = e[e["年度"] == year]
        for r in rows.itertuples(index=False):
            rec = dict(zip(e.columns, r))
            before = prev["税收实际贡献(万元)"].get(rec["统一社会信用代码"]) if len(prev) else None
            ws.append([rec["统一社会信用代码"], rec["企业名称"], rec["规模"], _num(rec["营业收入(万元)"]),
                       _num(rec["税收实际贡献(万元)"]), _num(before), _num(rec["工业增加值(万元)"]),
                       _num(rec["年平均职工人数"]), _num(rec["综合能耗(吨标准煤)"]), _num(rec["主要污染物排放量(吨)"]),
                       _num(rec["R&D经费支出(万元)"]), rec["行业"]])
        ws.append(["合计", None, None, _num(pd.to_numeric(rows["营业收入(万元)"]).sum())])
    wb.save(out / "亩均论英雄导出.xlsx")


def _contracts(sample: Path, out: Path) -> None:
    c = pd.read_excel(sample / "contracts.xlsx", dtype=object)
    names = {"合同编号": "电子监管号", "宗地代码": "宗地编号", "供地方式": "供应方式", "签订日期": "合同签订日期",
             "约定动工日期": "约定开工时间", "约定竣工日期": "约定竣工时间", "实际动工日期": "实际开工时间",
             "出让价款(万元)": "成交价款(万元)"}
    c = c.rename(columns=names)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "供地台账"
    ws.append(["天台县国有建设用地使用权出让合同/划拨决定书台账"])
    ws.append(list(c.columns))
    for r in c.itertuples(index=False):
        ws.append([None if (v is None or (isinstance(v, float) and pd.isna(v))) else v for v in r])
    ws.append(["总计", None, None, None, None, None, None, None, None, None, None, None, None,
               float(pd.to_numeric(c["成交价款(万元)"]).sum())])
    wb.save(out / "出让合同台账.xlsx")


def _csvs(sample: Path, out: Path) -> None:
    t = (sample / "tenancy.csv").read_text(encoding="utf-8-sig")
    (out / "一地多企租赁.csv").write_bytes(("天台县一地多企租赁情况表\n" + t).encode("gbk"))
    shutil.copy(sample / "projects.csv", out / "重点项目.csv")
    shutil.copy(sample / "merge_proposals.csv", out / "合并方案.csv")
    shutil.copy(sample / "land_supply.csv", out / "土地供应台账.csv")


def build_standard_county(sample: Path, out: Path) -> Path:
    """Write the standard-schema county folder built from ``sample`` into ``out`` and return it."""
    out.mkdir(parents=True, exist_ok=True)
    _parcels(sample, out)
    _gdb(sample, out)
    _other_layers(sample, out)
    _enterprises(sample, out)
    _contracts(sample, out)
    _csvs(sample, out)
    (out / "影像").mkdir(exist_ok=True)
    for f in ("landcover_2021.tif", "landcover_2023.tif"):
        shutil.copy(sample / f, out / "影像" / f)
    shutil.copytree(sample / "jzd", out / "界址点")
    (out / "说明.docx").write_bytes(b"PK\x03\x04 not a table")
    return out
