"""界址点 coordinate files (one per parcel, 0.001 m)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely
import shapely.affinity
import shapely.ops

from .county import County, ParcelRec


def jzd_plot_lines(p: ParcelRec) -> list[str]:
    """One parcel in 界址点坐标交换格式: the plot line, then J-points ring by ring (X = north,
    Y = east with the zone prefix), each ring closed by repeating its first label."""
    g = shapely.orient_polygons(p.geom, exterior_cw=True)
    rings = [g.exterior] + list(g.interiors)
    pts, label = [], 0
    for r_no, ring in enumerate(rings, start=1):
        xy = np.asarray(ring.coords)[:-1]
        first = label + 1
        for x, y in xy:
            label += 1
            pts.append(f"J{label},{r_no},{y:.3f},{x:.3f}")
        pts.append(f"J{first},{r_no},{xy[0][1]:.3f},{xy[0][0]:.3f}")
    owner = p.attrs["owner"].name if p.attrs.get("owner") else ""
    head = f"{len(pts)},{p.area / 10000:.4f},{p.attrs['parcel_id']},{owner},面,,工业用地,{p.attrs['land_use_code']},@"
    return [head] + pts


def write_jzd(county: County, out: Path) -> list[str]:
    """A few dozen parcels in 界址点 files (GBK, CRLF), one to three parcels per file; the parcel
    with a hole is among them."""
    rng = county.rng
    folder = out / "jzd"
    folder.mkdir(parents=True, exist_ok=True)
    for f in folder.glob("*.txt"):
        f.unlink()
    chosen = [p for p in county.parcels if p.role == "hole_outer"]
    chosen += [p for _, pair in county.merges.values() for p in pair][:4]
    ordinary = [p for p in county.parcels if not p.role and p.attrs.get("owner") is not None]
    for k in rng.choice(len(ordinary), 31, replace=False):
        chosen.append(ordinary[int(k)])
    header = ["[属性描述]", "格式版本号=1.01版本", f"数据产生单位={county.profile.county}自然资源和规划局",
              "数据产生日期=2023-6-30", "坐标系=2000国家大地坐标系", "几度分带=3", "投影类型=高斯克吕格",
              "计量单位=米", "带号=40", "精度=0.001", "转换参数=0,0,0,0,0,0,0", "[地块坐标]"]
    ids, k = [], 0
    while k < len(chosen):
        n = 1 if k < 6 else int(rng.choice([1, 2, 3]))
        group = chosen[k:k + n]
        k += n
        lines = list(header)
        for p in group:
            lines += jzd_plot_lines(p)
            ids.append(p.attrs["parcel_id"])
        name = f"{group[0].attrs['parcel_id']}.txt" if n == 1 else f"{group[0].attrs['parcel_id']}_等{n}宗.txt"
        (folder / name).write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    return ids
