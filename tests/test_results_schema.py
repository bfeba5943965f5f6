"""The declared results schema: the stages of both samples match it, and check_stage catches what does not."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo_tenglong import results_schema as rs
from geo_tenglong.findings import make_findings
from geo_tenglong.pipeline import STAGES, analyse
from geo_tenglong.results import Results
from geo_tenglong.stage import Stage, StageResult

REPO = Path(__file__).resolve().parents[1]
SAMPLES = {"tiantai": REPO / "layers", "deqing": REPO / "layers" / "deqing"}


def _recorded_run(root: Path):
    """Analyse a sample, keeping every stage's own StageResult."""
    from geo_tenglong.workspace import load_workspace

    if not (root / "workspace.toml").is_file():
        pytest.skip(f"sample {root} has not been generated")
    seen: dict[str, StageResult] = {}

    def record(stage):
        def run(ws, results):
            out = stage.func(ws, results)
            seen[stage.name] = out if out is not None else StageResult()
            return out
        return Stage(stage.name, stage.label, run)

    results = analyse(load_workspace(root), stages=[record(s) for s in STAGES])
    return results, seen


@pytest.fixture(scope="module", params=sorted(SAMPLES))
def sample_run(request):
    return request.param, *_recorded_run(SAMPLES[request.param])


# ------------------------------------------------------------------------------------- the samples

def test_every_stage_of_both_samples_matches_its_declaration(sample_run):
    _name, results, seen = sample_run
    assert list(seen) == [s.name for s in STAGES]
    for stage, result in seen.items():
        rs.check_stage(stage, result)  # analyse ran it too; say so explicitly
        declared = {t.name for t in rs.stage_schema(stage).tables}
        assert set(result.layers) <= declared
    for name in results.layers:
        rs.table_schema(name)  # every layer of the run is declared somewhere
    parcels = rs.table_schema("parcels")
    undeclared = [c for c in results.parcels.columns if c != "geometry" and c not in parcels.names]
    assert not undeclared


def test_declared_dtypes_are_what_the_stages_produce(sample_run):
    _name, _results, seen = sample_run
    for stage, result in seen.items():
        frames = dict(result.layers)
        if result.parcel_columns is not None:
            frames["parcels"] = result.parcel_columns
        for tname, frame in frames.items():
            for col in frame.columns:
                if col == getattr(frame, "_geometry_column_name", None):
                    continue
                family = rs.dtype_family(frame[col])
                declared = rs.table_schema(tname).field(col).dtype
                assert family == "null" or family == declared or (declared, family) in {("float", "int"), ("json", "str")}, \
                    (stage, tname, col, family, declared)


def test_every_enumeration_covers_the_codes_the_stages_produce(sample_run):
    _name, results, _seen = sample_run
    frames = {"parcels": results.parcels, "findings": results.findings, **results.layers}
    checked = 0
    for tname, frame in frames.items():
        for f in rs.table_schema(tname).fields:
            if not f.values or f.name not in frame.columns:
                continue
            codes = {rs.enum_code(v) for v in frame[f.name].dropna().unique()} - {None, ""}
            assert codes <= set(f.values), (tname, f.name, sorted(codes - set(f.values)))
            checked += 1
    assert checked >= 5


def test_targets_findings_and_data_issues_are_declared(sample_run):
    _name, results, _seen = sample_run
    assert list(results.findings.columns) == rs.table_schema("findings").names
    assert set(results.layers["targets"].columns) == set(rs.table_schema("targets").names)
    if "data_issues" in results.layers:
        assert set(results.layers["data_issues"].columns) == set(rs.table_schema("data_issues").names)


# -------------------------------------------------------------------------------- the declarations

def test_declared_stages_are_the_pipeline_stages_in_order():
    assert [(s.stage, s.label) for s in rs.all_stages()] == [(s.name, s.label) for s in STAGES]


def test_labels_are_unique_per_table():
    for name in rs.table_names():
        fields = rs.table_schema(name).fields
        names = Counter(f.name for f in fields)
        assert [n for n, k in names.items() if k > 1] == [], name
        headings = Counter(f.heading for f in fields)
        assert [h for h, k in headings.items() if k > 1] == [], name
        # a label repeats only for one quantity in two units (面积 in m² and in 亩)
        by_label: dict[str, set] = {}
        for f in fields:
            by_label.setdefault(f.label, set()).add(f.unit)
        for lab, units in by_label.items():
            n = sum(f.label == lab for f in fields)
            assert n == 1 or (n == 2 and units == {"m²", "亩"}), (name, lab)


def test_labels_are_chinese_and_dtypes_known():
    han = re.compile(r"[\u4e00-\u9fff]")
    for name in rs.table_names():
        t = rs.table_schema(name)
        assert han.search(t.label), name
        for f in t.fields:
            assert han.search(f.label), (name, f.name)
            assert f.dtype in rs.DTYPES
            for code_label in (f.values or {}).values():
                assert code_label


def test_lookups():
    assert rs.label("parcels", "parcel_id") == "宗地代码"
    assert rs.parcel_field("eval_class").values["D"] == "D类"
    assert rs.labels("findings")["clause"] == "条款"
    assert rs.value_label("findings", "status", "missing_data") == "数据缺失"
    assert rs.value_label("parcels", "idle_tier", 2.0) == "闲置满两年(可无偿收回)"
    assert rs.value_label("parcels", "low_efficiency", np.True_) == "是"
    assert rs.value_label("parcels", "eval_class", None) == ""
    assert rs.value_label("parcels", "eval_class", "X") == "X"
    assert rs.table_schema("idle_land").geometry == "polygon"
    assert rs.table_schema("enterprise_eval").geometry is None
    assert rs.table_schema("fragments").field("area_m2").heading == "面积(平方米)"
    assert rs.headings("fragments")["area_mu"] == "面积(亩)"
    assert rs.value_labels("split_checks", "verdict")["fail"] == "不符合"
    assert rs.value_labels("parcels", "reclaimable") == {"true": "是", "false": "否"}
    assert rs.value_labels("parcels", "parcel_id") == {}
    assert len({*rs.table_schema("findings").fields}) == 8  # fields are hashable (values is not hashed)
    with pytest.raises(KeyError, match="nope"):
        rs.table_schema("nope")
    with pytest.raises(KeyError, match="no column"):
        rs.label("parcels", "nope")


def test_developing_doc_table_is_generated_from_the_schema():
    doc = (REPO / "docs" / "developing.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- schema table:[^\n]*-->\n(.*?)<!-- end schema table -->", doc, re.DOTALL)
    assert m, "docs/developing.md lost its generated schema table markers"
    assert m.group(1) == rs.schema_markdown(), "regenerate it: python -m geo_tenglong.results_schema"


# ------------------------------------------------------------------------------------ check_stage

_SAMPLE_VALUES = {"str": "x", "float": 0.5, "int": 1, "bool": True, "date": pd.Timestamp("2023-01-01"), "json": "[]"}


def _intensity_cols(**extra) -> pd.DataFrame:
    """One parcel with every declared intensity column (built from the declaration, so it follows it)."""
    fields = rs.stage_schema("intensity").parcel_columns
    cols = pd.DataFrame({f.name: [_SAMPLE_VALUES[f.dtype]] for f in fields}, index=pd.Index(["P1"], name="parcel_id"))
    return cols.assign(**extra)


def test_check_stage_accepts_a_declared_result():
    rs.check_stage("intensity", StageResult(parcel_columns=_intensity_cols()))


def test_a_stage_returning_an_undeclared_column_fails():
    with pytest.raises(RuntimeError, match=r"stage intensity: parcel_columns has undeclared columns \['slope'\]"):
        rs.check_stage("intensity", StageResult(parcel_columns=_intensity_cols(slope=1.0)))


def test_results_add_rejects_an_undeclared_column():
    parcels = gpd.GeoDataFrame({"parcel_id": ["P1"]}, geometry=[shapely.box(0, 0, 10, 10)], crs=4528)
    res = Results(info={}, parcels=parcels)
    with pytest.raises(RuntimeError, match="undeclared columns"):
        res.add("intensity", StageResult(parcel_columns=_intensity_cols(slope=1.0)))
    assert "far" not in res.parcels.columns  # nothing merged
    res.add("intensity", StageResult(parcel_columns=_intensity_cols()))
    assert res.parcels["far"].tolist() == [0.5]


def test_a_missing_declared_column_fails():
    with pytest.raises(RuntimeError, match=r"lacks declared columns \['far'\]"):
        rs.check_stage("intensity", StageResult(parcel_columns=_intensity_cols().drop(columns="far")))


def test_an_optional_column_may_be_absent_but_not_mistyped():
    cols = pd.DataFrame({"corner_source": ["宗地图形"]}, index=["P1"])
    rs.check_stage("corner_files", StageResult(parcel_columns=cols))
    with pytest.raises(RuntimeError, match=r"column 'point_labels' holds float .*declared str"):
        rs.check_stage("corner_files", StageResult(parcel_columns=cols.assign(point_labels=1.5)))


def test_a_wrong_dtype_family_fails():
    with pytest.raises(RuntimeError, match=r"stage intensity: parcel_columns column 'far' holds str .*declared float"):
        rs.check_stage("intensity", StageResult(parcel_columns=_intensity_cols(far="0.5")))
    # an all-null column has no family to get wrong; ints are whole floats
    rs.check_stage("intensity", StageResult(parcel_columns=_intensity_cols(far=None, floor_area_m2=100)))


def test_undeclared_layer_stage_and_metric_fail():
    with pytest.raises(RuntimeError, match=r"stage reclaim: undeclared layers/tables \['extra'\]"):
        rs.check_stage("reclaim", StageResult(layers={"extra": pd.DataFrame()}))
    with pytest.raises(RuntimeError, match="stage nope is not declared"):
        rs.check_stage("nope", StageResult())
    with pytest.raises(RuntimeError, match=r"undeclared metrics \['fun'\]"):
        rs.check_stage("old_parks", StageResult(metrics={"fun": 1.0}))


def test_a_required_layer_missing_fails_an_optional_one_may_be_absent():
    with pytest.raises(RuntimeError, match=r"stage targets: lacks declared layers/tables \['targets'\]"):
        rs.check_stage("targets", StageResult(findings=make_findings([], "", "", [])))
    rs.check_stage("clusters", StageResult())


def test_geometry_must_match_the_declaration():
    table = pd.DataFrame({f.name: pd.Series([], dtype=object) for f in rs.table_schema("idle_land").fields})
    layer = gpd.GeoDataFrame(table, geometry=gpd.GeoSeries([], crs=4528))
    reclaim = pd.DataFrame({f.name: pd.Series([], dtype=object) for f in rs.table_schema("reclaim_by_area").fields})
    cols = pd.DataFrame({"reclaimable": [True], "reclaim_reason": ["x"]}, index=["P1"])
    rs.check_stage("reclaim", StageResult(parcel_columns=cols, layers={"reclaim_by_area": reclaim}))
    geo_reclaim = gpd.GeoDataFrame(reclaim, geometry=gpd.GeoSeries([], crs=4528))
    with pytest.raises(RuntimeError, match="table 'reclaim_by_area' has a geometry column"):
        rs.check_stage("reclaim", StageResult(parcel_columns=cols, layers={"reclaim_by_area": geo_reclaim}))
    idle_cols = pd.DataFrame({f.name: [None] for f in rs.stage_schema("idle").parcel_columns}, index=["P1"])
    rs.check_stage("idle", StageResult(parcel_columns=idle_cols, layers={"idle_land": layer}))
    with pytest.raises(RuntimeError, match="layer 'idle_land' has no geometry"):
        rs.check_stage("idle", StageResult(parcel_columns=idle_cols, layers={"idle_land": table}))


# ------------------------------------------------------------------------------ results.gpkg round trip

def test_written_results_keep_nulls_null(tmp_path):
    """pd.NA in an object column is written as NULL, not as the text '<NA>' (德清's low_efficiency_type was)."""
    parcels = gpd.GeoDataFrame({"parcel_id": ["P1", "P2"], "low_efficiency_type": pd.Series([pd.NA, "低效"], dtype=object),
                                "reclaim_reason": pd.Series([pd.NaT, None], dtype=object)},
                               geometry=[shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10)], crs=4528)
    Results(info={}, parcels=parcels).write(tmp_path)
    back = Results.read(tmp_path)
    assert back.parcels["low_efficiency_type"].isna().tolist() == [True, False]
    assert back.parcels["reclaim_reason"].isna().all()
    assert rs.dtype_family(back.parcels["low_efficiency_type"]) == "str"


def test_results_gpkg_of_both_samples_reads_back_as_declared(sample_run, tmp_path):
    """What map/report read from results.gpkg has the declared columns and dtype families (an integer
    column with nulls comes back as float, JSON as text)."""
    _name, results, _seen = sample_run
    results.write(tmp_path)
    back = Results.read(tmp_path)
    assert set(back.layers) == set(results.layers)
    frames = {"parcels": back.parcels, "findings": back.findings, **back.layers}
    for tname, frame in frames.items():
        t = rs.table_schema(tname)
        for col in frame.columns:
            if col == "geometry":
                continue
            declared = t.field(col).dtype
            family = rs.dtype_family(frame[col])
            assert family in {"null", declared} or (declared, family) in {("float", "int"), ("int", "float"),
                                                                         ("json", "str"), ("date", "date")}, \
                (tname, col, declared, family)
