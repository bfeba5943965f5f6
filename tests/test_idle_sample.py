"""The idle stage on the bundled sample county: planted cases (layers/manifest.json) and an
independent row-by-row recomputation of every contract with plain ``datetime``."""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pandas as pd
import pytest

from geo_tenglong.analysis.idle import assess_idle
from geo_tenglong.pipeline import analyse
from geo_tenglong.stage import Stage
from geo_tenglong.workspace import load_workspace

NONE_CAUSES = {"", "无", "否", "没有", "-", "—", "/", "不属于", "非政府原因"}


def ref_date(v):
    """Read one cell the slow, obvious way."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
        return None
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
        if 19000101 <= v <= 21001231 and float(v).is_integer() and v > 1e7:
            s = str(int(v))
            return dt.date(int(s[:4]), int(s[4:6]), int(s[6:]))
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(v))
    s = str(v).strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if s in NONE_CAUSES:
        return None
    m = re.fullmatch(r"(\d{4})\s*[-/.年\s]\s*(\d{1,2})\s*[-/.月\s]\s*(\d{1,2})\s*[日号]?(\s+[\d:.]+)?", s)
    if m:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    if re.fullmatch(r"\d{8}", s):
        return dt.date(int(s[:4]), int(s[4:6]), int(s[6:]))
    if re.fullmatch(r"\d{5}(\.\d+)?", s):
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(float(s)))
    raise ValueError(s)


def ref_years(a: dt.date, b: dt.date) -> int:
    try:
        anniv = a.replace(year=b.year)
    except ValueError:  # 29 February in a common year
        anniv = dt.date(b.year, 2, 28)
    return b.year - a.year - (b < anniv)


def num(v):
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(f) else f


def reference(row, as_of, parcel_area):
    """(tier, fee, gov) for one contract row, or None when a date cannot be read."""
    try:
        agreed, actual, susp = (ref_date(row.get(k)) for k in ("agreed_start", "actual_start", "suspended_since"))
    except (ValueError, OverflowError):
        return None
    cause = row.get("gov_cause")
    cause = None if cause is None or (isinstance(cause, float) and np.isnan(cause)) or str(cause).strip() in NONE_CAUSES \
        else str(cause).strip()
    if actual is not None and actual <= as_of:
        due = num(row.get("due_area_m2")) or parcel_area
        dev, tot, inv = num(row.get("developed_area_m2")), num(row.get("total_investment")), num(row.get("invested"))
        low = (dev is not None and due and dev / due < 1 / 3) or (inv is not None and tot and inv / tot < 0.25)
        if not low or susp is None or susp > as_of:
            return 0, 0.0, cause
        years = ref_years(susp, as_of)
    else:
        if agreed is None:
            return None
        years = ref_years(agreed, as_of) if agreed <= as_of else 0
    tier = 0 if years < 1 else (1 if years < 2 else 2)
    price = num(row.get("land_price"))
    fee = round(0.2 * price, 4) if tier >= 1 and cause is None and price is not None else 0.0
    return tier, fee, cause


@pytest.fixture(scope="module")
def idle_run(sample_dir):
    ws = load_workspace(sample_dir)
    if ws.table("contracts") is None:
        pytest.skip("the sample has no contracts table")
    return ws, analyse(ws, stages=[Stage("idle", "闲置土地认定", assess_idle)])


def test_every_contract_matches_the_reference(idle_run):
    ws, res = idle_run
    p = res.parcels.set_index("parcel_id")
    c = ws.table("contracts")
    checked = 0
    for row in c.to_dict("records"):
        pid = row.get("parcel_id")
        if pid is None or pid not in p.index or (c["parcel_id"] == pid).sum() > 1:
            continue
        want = reference(row, ws.as_of, float(p.loc[pid, "area_m2"]))
        if want is None:
            continue
        tier, fee, cause = want
        assert p.loc[pid, "idle_tier"] == tier, (pid, row)
        if tier >= 1 and not pd.isna(p.loc[pid, "idle_fee_wan"]):
            assert p.loc[pid, "idle_fee_wan"] == pytest.approx(fee), (pid, row)
        if tier >= 1:
            assert (pd.isna(p.loc[pid, "idle_gov_cause"]) and cause is None) or p.loc[pid, "idle_gov_cause"] == cause
        checked += 1
    assert checked > 0


@pytest.fixture(scope="module")
def manifest(sample_dir):
    path = sample_dir / "manifest.json"
    if not path.is_file():
        pytest.skip("no manifest.json")
    return json.loads(path.read_text(encoding="utf-8"))


def _has(f, pid, rule, status):
    return bool(((f["parcel_id"] == pid) & (f["rule_id"] == rule) & (f["status"] == status)).any())


def test_planted_idle_cases(idle_run, manifest):
    idle = manifest.get("idle")
    if not idle:
        pytest.skip("the manifest plants no idle cases")
    _, res = idle_run
    p = res.parcels.set_index("parcel_id")
    f = res.findings
    expect = {  # key → (rule, tier, fee charged)
        "nat_idle_1_tier1": ("NAT-IDLE-1", 1, True),
        "nat_idle_1_tier2": ("NAT-IDLE-1", 2, True),
        "nat_idle_2_developed_area": ("NAT-IDLE-2", 1, True),
        "nat_idle_2_investment": ("NAT-IDLE-2", 1, True),
        "not_idle_suspended_under_1y": (None, 0, False),
        "not_idle_under_1y": (None, 0, False),
    }
    for key, (rule, tier, _fee) in expect.items():
        for pid in idle.get(key, []):
            row = p.loc[pid]
            assert row["idle_tier"] == tier, (key, pid)
            if rule:
                assert row["idle_rule"] == rule and _has(f, pid, rule, "fail"), (key, pid)
                assert row["idle_fee_wan"] > 0 and _has(f, pid, "NAT-IDLE-FEE", "fail"), (key, pid)
                assert _has(f, pid, "NAT-IDLE-BACK", "fail") == (tier == 2), (key, pid)
            else:
                assert pd.isna(row["idle_rule"]) and row["idle_fee_wan"] == 0, (key, pid)
                assert row["idle_days"] > 0   # the clock runs, short of a year
    for pid in idle.get("gov_cause", []):
        row = p.loc[pid]
        assert row["idle_tier"] >= 1 and isinstance(row["idle_gov_cause"], str) and row["idle_fee_wan"] == 0
        assert _has(f, pid, "NAT-IDLE-GOV", "warn") and not _has(f, pid, "NAT-IDLE-FEE", "fail")
        assert not _has(f, pid, "NAT-IDLE-BACK", "fail")
    # nothing else is idle: the planted parcels are the only idle land in the sample
    planted = {pid for k in expect if expect[k][0] for pid in idle.get(k, [])} | set(idle.get("gov_cause", []))
    assert set(p.index[p["idle_tier"] >= 1]) == planted


def test_planted_imagery_cases(idle_run, manifest):
    img = manifest.get("imagery")
    if not img:
        pytest.skip("the manifest plants no imagery cases")
    _, res = idle_run
    f = res.findings
    p = res.parcels.set_index("parcel_id")
    layer = res.layers["idle_land"].set_index("parcel_id")
    for key in ("contract_started_but_bare", "no_contract_bare"):
        for pid in img.get(key, []):
            assert _has(f, pid, "IDLE-IMG", "warn"), (key, pid)
            assert p.loc[pid, "bare_share_last"] > 0.7 and p.loc[pid, "built_share_last"] < 0.1
            assert pid in layer.index
    for pid in img.get("no_contract_bare", []):
        assert layer.loc[pid, "idle_rule"] == "IDLE-IMG" and pd.isna(layer.loc[pid, "idle_tier"])


def test_unreadable_contract_date_is_reported_by_row(idle_run, manifest):
    faults = manifest.get("faults", {}).get("unreadable_date", [])
    if not faults:
        pytest.skip("no unreadable date planted")
    _, res = idle_run
    f = res.findings
    for u in faults:
        hit = f[(f["parcel_id"] == u["parcel_id"]) & (f["status"] == "missing_data")]
        assert hit["message"].str.contains(f"第{u['row']}行").any()
        assert hit["message"].str.contains(u["header"]).any() and hit["message"].str.contains(str(u["value"])).any()


def test_shares_agree_with_an_independent_rasterio_mask(idle_run, sample_dir):
    """Coverage-weighted shares vs. a fine (0.25 m) supersampling of a few parcels with rasterio."""
    import rasterio
    from rasterio.features import geometry_mask
    from rasterio.windows import from_bounds

    ws, res = idle_run
    parcels = res.parcels.sample(25, random_state=3)
    with rasterio.open(ws.rasters["landcover"][-1].path) as ds:
        for pid, geom, got in zip(parcels["parcel_id"], parcels.geometry, parcels["built_share_last"]):
            win = from_bounds(*geom.bounds, ds.transform).round_offsets(op="floor").round_lengths(op="ceil")
            win = rasterio.windows.Window(win.col_off, win.row_off, win.width + 1, win.height + 1)
            arr = ds.read(1, window=win)
            t = ds.window_transform(win)
            k = 8   # supersample each 2 m pixel 8 × 8
            fine = np.kron(arr, np.ones((k, k), dtype=arr.dtype))
            ft = t * rasterio.Affine.scale(1 / k)
            inside = ~geometry_mask([geom], out_shape=fine.shape, transform=ft)
            valid = inside & (fine > 0)
            want = (valid & (fine == 1)).sum() / valid.sum()
            assert got == pytest.approx(want, abs=0.02), pid
