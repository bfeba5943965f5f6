"""TT-CORNER-PTS (天台 四(三)): read the workspace's corner-coordinate files and check them
against the parcel polygons.

Each plot of a 界址点坐标交换格式 file whose 地块编号 is a 宗地代码 is matched to that parcel; the
largest distance between the two red lines (Hausdorff) is compared with the ruleset's tolerance.
The parcels layer gains ``corner_source`` (界址点文件 / 宗地图形) and ``point_labels`` (the file's
点号, for the 界址点成果表 of the reports); parcels without a file keep the corners of their polygon.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from ..findings import MISSING_DATA, PASS, WARN, concat_findings, make_findings, not_in_ruleset
from ..io.coords import read_coords_many
from ..stage import StageResult

if TYPE_CHECKING:
    from ..results import Results
    from ..workspace import Workspace

RULE = "TT-CORNER-PTS"
#: The clause of POLICY.md, for callers without a ruleset (the ``coords`` CLI).
CLAUSE = "四(三)"
FROM_FILE, FROM_POLYGON = "界址点文件", "宗地图形"
#: Plot columns the ``corner_files`` layer publishes (declared in results_schema.toml).
LAYER_COLUMNS = ("parcel_id", "plot_no", "plot_name", "shape_type", "sheet_no", "plot_use", "land_class_code",
                 "declared_points", "stated_area", "stated_area_unit", "stated_area_m2", "area_m2", "n_rings",
                 "point_labels", "source_file", "source_line", "geometry")


def area_findings(area_checks: pd.DataFrame, clause: str = CLAUSE) -> pd.DataFrame:
    """TT-CORNER-PTS findings (``warn``) for the reader's stated-vs-computed area disagreements.

    Parameters
    ----------
    area_checks : DataFrame
        ``CoordsFile.area_checks`` / ``CoordsBatch.area_checks`` (:mod:`geo_tenglong.io.coords`).
    clause : str
        The clause (the ruleset's, else 四(三)).

    Returns
    -------
    DataFrame
        Findings (:func:`geo_tenglong.findings.make_findings`): value = the difference, threshold =
        the tolerance, in m².
    """
    if not len(area_checks):
        return make_findings([], RULE, clause, WARN)
    return make_findings(area_checks["parcel_id"].to_numpy(), RULE, clause, WARN,
                         area_checks["difference_m2"].to_numpy(), area_checks["tolerance_m2"].to_numpy(), "m²",
                         area_checks["message"].to_numpy())


def assess_corner_files(ws: Workspace, results: Results) -> StageResult:
    """Import the corner files of ``ws.coords_folder`` and compare them with the parcels."""
    parcels = results.parcels
    if ws.coords_folder is None:
        return StageResult(parcel_columns=pd.DataFrame({"corner_source": FROM_POLYGON},
                                                       index=parcels["parcel_id"].to_numpy()))
    spec = ws.ruleset.get(RULE)
    batch = read_coords_many([ws.coords_folder], crs=ws.crs)
    plots = batch.plots.to_crs(ws.crs) if len(batch.plots) else batch.plots
    frames = []
    if len(batch.failures):
        frames.append(make_findings([path.name for path, _ in batch.failures], RULE, spec.clause if spec else "",
                                    MISSING_DATA, message=[f"界址点文件无法读取:{why}" for _, why in batch.failures]))
    key = plots["plot_no"].astype("string") if len(plots) else pd.Series([], dtype="string")
    index = pd.Series(np.arange(len(parcels)), index=parcels["parcel_id"].astype("string").to_numpy())
    pos = key.map(index)
    matched = pos.notna().to_numpy()
    unmatched = plots[~matched]
    m_plots = plots[matched]
    m_pos = pos[matched].astype(int).to_numpy()
    dev = shapely.hausdorff_distance(m_plots.geometry.to_numpy(), parcels.geometry.to_numpy()[m_pos]) if len(m_pos) else np.zeros(0)
    ids = parcels["parcel_id"].to_numpy()[m_pos]
    labels = pd.Series(m_plots["point_labels"].to_numpy(), index=ids)
    labels = labels[~labels.index.duplicated()]
    cols = pd.DataFrame({"corner_source": np.where(parcels["parcel_id"].isin(labels.index), FROM_FILE, FROM_POLYGON)},
                        index=parcels["parcel_id"].to_numpy())
    cols["point_labels"] = labels.reindex(cols.index).to_numpy()
    if spec is None:
        frames = [not_in_ruleset(ws.admin_code, RULE, ws.ruleset.name)]
    else:
        ok = dev <= spec.max_deviation_m
        msg = [f"界址点文件({f})与宗地图形{'一致' if o else '不一致'},最大偏差{d:.3f}米" for f, o, d in
               zip(m_plots["source_file"].map(lambda p: Path(p).name), ok, dev)]
        frames.append(make_findings(ids, RULE, spec.clause, np.where(ok, PASS, WARN), dev, spec.max_deviation_m, "米", msg))
        if len(unmatched):
            frames.append(make_findings(unmatched["parcel_id"], RULE, spec.clause, WARN,
                                        message=[f"界址点文件中的地块{n}在宗地图层中不存在" for n in unmatched["plot_no"].fillna("")]))
        if len(batch.area_checks):
            area = area_findings(batch.area_checks, spec.clause)
            area["parcel_id"] = area["parcel_id"].map(dict(zip(plots["parcel_id"], key))).fillna(area["parcel_id"])
            frames.append(area)
    layer = plots[[c for c in LAYER_COLUMNS if c in plots.columns]]
    return StageResult(findings=concat_findings(frames), parcel_columns=cols,
                       layers={"corner_files": layer} if len(layer) else {},
                       summary={"files_failed": len(batch.failures), "plots": len(plots), "matched": int(matched.sum()),
                                "disagreeing": int((dev > (spec.max_deviation_m if spec else np.inf)).sum())})
