"""The briefing map of the bundled sample county (skips until layers/ is generated)."""

from __future__ import annotations

import json
import re

from geo_tenglong.webmap.briefing import save_briefing_map


def test_sample_map_is_small_complete_and_escaped(sample_results, tmp_path):
    path = save_briefing_map(sample_results, tmp_path / "briefing.html")
    html = path.read_text(encoding="utf-8")
    size = path.stat().st_size
    print(f"sample map: {len(sample_results.parcels)} parcels, {size / 1e6:.2f} MB")
    assert size < 5_000_000
    assert "<script>alert(" not in html and "<link" not in html
    data = json.loads(re.search(r'id="gt-data">(.*?)</script>', html, re.DOTALL).group(1))
    names = {lp["name"] for lp in data["layers"]}
    assert "parcels" in names
    # the workspace layers the sample holds are drawn
    for name in ("urban_boundary", "basic_farmland", "eco_redline", "parks"):
        if name in {"urban_boundary", "basic_farmland", "eco_redline", "parks"} & set(_ws_layers(sample_results)):
            assert name in names
    parcels = next(lp for lp in data["layers"] if lp["name"] == "parcels")
    assert sum(c["count"] for c in parcels["legend"]) == len(sample_results.parcels)


def _ws_layers(results):
    import tomllib
    from pathlib import Path

    cfg = tomllib.loads((Path(results.info["workspace"]) / "workspace.toml").read_text(encoding="utf-8"))
    return cfg.get("layers", {})
