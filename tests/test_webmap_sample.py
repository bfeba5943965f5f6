"""The briefing map of the bundled sample county (skips until layers/ is generated)."""

from __future__ import annotations

import json
import re

import pandas as pd

from geo_tenglong.webmap.briefing import context_layers, save_briefing_map


def _data(path):
    return json.loads(re.search(r'id="gt-data">(.*?)</script>', path.read_text(encoding="utf-8"), re.DOTALL).group(1))


def _column(c: dict) -> list:
    return [c["d"][i] if i >= 0 else None for i in c["i"]] if "d" in c else c["v"]


def test_sample_map_is_small_complete_and_escaped(sample_results, sample_dir, tmp_path):
    from geo_tenglong.workspace import load_workspace

    ws = load_workspace(sample_dir)
    path = save_briefing_map(sample_results, tmp_path / "briefing.html", ws=ws)
    html = path.read_text(encoding="utf-8")
    size = path.stat().st_size
    print(f"sample map: {len(sample_results.parcels)} parcels, {size / 1e6:.2f} MB")
    assert size < 5_000_000
    assert "<script>alert(" not in html and "<link" not in html
    data = _data(path)
    names = {lp["name"] for lp in data["layers"]}
    assert "parcels" in names
    # the workspace's context layers are drawn
    assert set(context_layers(ws)) == {"urban_boundary", "basic_farmland", "eco_redline", "parks"}
    assert set(context_layers(ws)) <= names
    parcels = next(lp for lp in data["layers"] if lp["name"] == "parcels")
    assert sum(c["count"] for c in parcels["legend"]) == len(sample_results.parcels)
    # every park and township is labelled
    labels = {(lb["kind"], lb["text"]) for lb in data["labels"]}
    assert {t for k, t in labels if k == "township"} == set(sample_results.parcels["township"].dropna())
    assert {t for k, t in labels if k == "park"} == set(ws.layer("parks")["name"].dropna())


def test_sample_idle_running_only_where_a_clock_runs(sample_results, tmp_path):
    # issue 14.5: 1,537 of 1,542 parcels (completed ones included) used to say 计时中
    path = save_briefing_map(sample_results, tmp_path / "briefing.html")
    data = _data(path)
    parcels = next(lp for lp in data["layers"] if lp["name"] == "parcels")
    idle = _column(parcels["cols"]["_idle"])
    running = [k for k, v in enumerate(idle) if v and v.startswith("计时中")]
    layer = sample_results.layers["idle_land"]
    clocks = layer[(layer["idle_tier"] == 0) & (layer["idle_days"] > 0) & (layer["idle_rule"] != "IDLE-IMG")]
    assert 0 < len(running) == len(clocks) < 100
    ids = _column(parcels["cols"]["parcel_id"])
    assert {ids[k] for k in running} == set(clocks["parcel_id"])
    # each of them has a clock start on or before the as-of date
    start = pd.to_datetime(clocks["clock_start"], errors="coerce")
    assert start.notna().all() and (start <= pd.Timestamp(sample_results.info["as_of"])).all()


def test_sample_tenants_are_searchable(sample_results, tmp_path):
    data = _data(save_briefing_map(sample_results, tmp_path / "briefing.html"))
    parcels = next(lp for lp in data["layers"] if lp["name"] == "parcels")
    assert {"_ent_names", "_ent_uscc"} <= set(parcels["search"])
    ee = sample_results.layers["enterprise_eval"]
    one = ee[ee["parcel_ids"].notna() & ~ee["parcel_ids"].astype(str).str.contains(";")].drop_duplicates("uscc")
    shared = one[one["parcel_ids"].duplicated(keep=False)]  # enterprises sharing a single parcel
    assert len(shared)
    names, codes = _column(parcels["cols"]["_ent_names"]), _column(parcels["cols"]["_ent_uscc"])
    ids = _column(parcels["cols"]["parcel_id"])
    pos = {p: k for k, p in enumerate(ids)}
    usccs = _column(parcels["cols"]["_uscc"])
    for row in shared.head(40).itertuples():  # tenants sharing one parcel: found by name and code
        k = pos[row.parcel_ids]
        assert usccs[k] == row.uscc or (row.name in names[k].split("、") and row.uscc in codes[k].split(" "))
