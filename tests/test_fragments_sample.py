"""零星边角地 and 零增地技改 plans on the bundled sample county: the planted cases of manifest.json,
and the plots' total area against an independent union-and-difference. Skips without layers/."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely

from geo_tenglong.findings import FAIL, PASS
from geo_tenglong.workspace import load_workspace

KINDS = {"corners.enclosed": "夹心地", "corners.corner": "边角地", "corners.sliver": "狭长碎片"}


@pytest.fixture(scope="module")
def manifest(sample_dir):
    return json.loads((sample_dir / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def fragments(sample_results):
    return sample_results.layers["fragments"]


def _get(manifest, key):
    """``manifest["corners"]["enclosed"]`` for ``"corners.enclosed"`` (or a flat key), else []."""
    if key in manifest:
        return manifest[key]
    group, _, name = key.partition(".")
    return manifest.get(group, {}).get(name, [])


def _planted(manifest):
    corners = manifest.get("corners", {})
    flat = {k: v for k, v in manifest.items() if k.startswith("corners.")}
    flat.update({f"corners.{k}": v for k, v in corners.items()})
    for key, items in flat.items():
        if isinstance(items, list):
            for item in items:
                yield key, item


def _found(fragments, item):
    pt = shapely.Point(item.get("point") or item["centroid"])
    hit = fragments[fragments.geometry.intersects(pt)]
    assert len(hit) == 1, f"no plot found at {item}"
    return hit.iloc[0]


def test_every_planted_plot_is_found(manifest, fragments):
    planted = list(_planted(manifest))
    assert planted, "the manifest lists no corners.* plots"
    for key, item in planted:
        plot = _found(fragments, item)
        assert plot["area_m2"] == pytest.approx(item["area_m2"], rel=1e-4, abs=0.05), (key, item)
        if key in KINDS:
            assert plot["kind"] == KINDS[key], (key, item, plot["kind"])
        else:
            assert plot["kind"] in ("夹心地", "边角地"), (key, item, plot["kind"])


def test_planted_plots_failing_plans(manifest, fragments):
    for item in _get(manifest, "corners.half_in_farmland"):
        plot = _found(fragments, item)
        assert plot["compliance"] == "部分符合" and "永久基本农田" in plot["reason"]
        assert plot["usable_area_m2"] == pytest.approx(item["area_m2"] / 2, rel=1e-3)
    for key, word in (("corners.outside_urban_boundary", "城镇开发边界外"), ("corners.non_industrial_zoning", "控规非工业用地")):
        for item in _get(manifest, key):
            plot = _found(fragments, item)
            assert plot["compliance"] == "不符合" and word in plot["reason"], (key, plot["reason"])
            assert plot["usable_area_m2"] == 0.0
    for item in _get(manifest, "corners.enclosed") + _get(manifest, "corners.corner"):
        assert _found(fragments, item)["compliance"] == "符合"


def test_total_area_matches_an_independent_difference(sample_dir, fragments, sample_results):
    ws = load_workspace(sample_dir)
    area = shapely.union_all(np.concatenate([ws.layer(n).geometry.to_numpy() for n in ("urban_boundary", "zoning")]))
    occupied = shapely.union_all(np.concatenate([ws.layer(n).geometry.to_numpy() for n in ("parcels", "roads", "water")]))
    free = shapely.difference(area, occupied)
    parts = shapely.get_parts(free)
    parts = parts[shapely.area(parts) >= 0.01]
    assert fragments.area.sum() == pytest.approx(shapely.area(parts).sum(), rel=1e-4)


def test_offers_cover_every_plot_an_enterprise_could_take(fragments, sample_results):
    offers = sample_results.layers["fragment_offers"]
    takeable = fragments[fragments["kind"].isin(["夹心地", "边角地"])]
    assert set(offers["fragment_id"]) == set(takeable["fragment_id"])
    assert (offers["cap_m2"] <= 10 * 10000 / 15 + 0.01).all()
    assert (offers["shared_length_m"] > 0).all()


@pytest.mark.parametrize("key,cond,status", [
    ("renovation.plots_pct20_exact", "b_share", PASS),
    ("renovation.plots_pct20_over", "b_share", FAIL),
    ("renovation.plots_mu10_exact", "b_area", PASS),
    ("renovation.plots_mu10_over", "b_area", FAIL),
    ("renovation.far_fail_area_pass", "c", PASS),
    ("renovation.far_fail_area_fail", "c", FAIL),
])
def test_planted_renovation_plans(manifest, sample_results, key, cond, status):
    ids = _get(manifest, key)
    if not ids:
        pytest.skip(f"{key} not in the manifest")
    ids = ids if isinstance(ids, list) else [ids]
    checks = sample_results.layers["corner_plan_checks"].set_index("renovation_id")
    for rid in ids:
        rid = rid if isinstance(rid, str) else rid.get("renovation_id")
        assert checks.loc[rid, f"cond_{cond}"] == status, (key, checks.loc[rid].to_dict())
        assert checks.loc[rid, "cond_a"] == PASS, (key, checks.loc[rid, "reason"])


def test_exact_plans_pass_overall(manifest, sample_results):
    checks = sample_results.layers["corner_plan_checks"].set_index("renovation_id")
    for key in ("renovation.plots_pct20_exact", "renovation.plots_mu10_exact"):
        for rid in _get(manifest, key):
            rid = rid if isinstance(rid, str) else rid.get("renovation_id")
            assert checks.loc[rid, "overall"] == PASS, (key, checks.loc[rid, "reason"])
