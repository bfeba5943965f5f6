"""Parcel reports rendered by worker processes, and which parcels `run` writes reports for."""

from __future__ import annotations

import pickle

import pandas as pd
import pytest

import geo_tenglong.report.parcel_report as pr
from geo_tenglong.errors import InputError
from geo_tenglong.report.parallel import chunk_size, chunked
from geo_tenglong.report.parcel_report import (
    ATLAS_FILE,
    INDEX_FILE,
    ReportError,
    flagged_parcels,
    report_selection,
    write_parcel_reports,
    write_reports,
)

from test_reports_fixture import IDS, make_results, make_ws


def _files(folder) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_workers_write_the_same_files_as_one_process(tmp_path, monkeypatch):
    monkeypatch.setenv("GEO_TENGLONG_CHROMIUM", "none")
    res, ws = make_results(), make_ws()
    ids = list(reversed(IDS))  # not parcel-layer order: the order asked for is kept
    assert len(chunked(ids, chunk_size(len(ids), 2, pr.ATLAS_CHUNK))) > 2  # the pool really gets several chunks
    one = write_parcel_reports(res, ids, tmp_path / "one", ws, index=True, workers=1)
    two = write_parcel_reports(res, ids, tmp_path / "two", ws, index=True, workers=2)
    names = [p.relative_to(tmp_path / "one").as_posix() for p in one]
    assert names == [p.relative_to(tmp_path / "two").as_posix() for p in two]
    assert [n for n in names if "/" not in n] == [f"{i}.html" for i in ids] + [INDEX_FILE]
    assert _files(tmp_path / "one") == _files(tmp_path / "two")
    index = (tmp_path / "two" / INDEX_FILE).read_text(encoding="utf-8")
    assert [index.index(i) for i in ids] == sorted(index.index(i) for i in ids)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_page_is_one_line_naming_the_parcel(tmp_path, monkeypatch, workers):
    monkeypatch.setenv("GEO_TENGLONG_CHROMIUM", "none")
    real = pr._indicators

    def broken(ctx, row, findings):
        if row["parcel_id"] == IDS[4]:
            raise ValueError("odd value\nwith a second line")
        return real(ctx, row, findings)

    monkeypatch.setattr(pr, "_indicators", broken)  # forked workers inherit the patch
    with pytest.raises(ReportError) as err:
        write_parcel_reports(make_results(), IDS, tmp_path, make_ws(), workers=workers)
    msg = str(err.value)
    assert IDS[4] in msg and "ValueError: odd value with a second line" in msg and "\n" not in msg


def test_workers_that_cannot_fork_get_the_results_pickled(tmp_path, monkeypatch):
    """Windows/macOS spawn workers: the results and workspace must pickle, and the worker rebuilds the context."""
    monkeypatch.setenv("GEO_TENGLONG_CHROMIUM", "none")
    res, ws = pickle.loads(pickle.dumps((make_results(), make_ws())))
    pr._init_worker(None, res, ws, tmp_path, (), False)
    try:
        done, atlas = pr._render_chunk([IDS[0], IDS[3]])
    finally:
        pr._WORKER.clear()
    assert [pid for pid, _path, _entry in done] == [IDS[0], IDS[3]] and atlas is None
    assert "<svg" in (tmp_path / f"{IDS[0]}.html").read_text(encoding="utf-8")


def test_report_selection():
    res = make_results()
    f = res.findings
    assert IDS[1] not in flagged_parcels(res)
    warn = f[f["parcel_id"] == IDS[0]].head(1).assign(parcel_id=IDS[1], status="warn")
    res.findings = pd.concat([f, warn], ignore_index=True)  # a parcel with a 提示 and no 不符合
    flagged = flagged_parcels(res)
    fail = report_selection(res, "fail")
    assert report_selection(res, "none") == []
    assert report_selection(res, "all") == list(res.parcels["parcel_id"].astype(str))
    assert report_selection(res, "flagged") == flagged
    assert set(fail) == set(flagged) - {IDS[1]}
    f = res.findings
    assert set(fail) == set(f.loc[f["status"] == "fail", "parcel_id"].astype(str)) & set(flagged)
    assert report_selection(res, "auto") == flagged
    with pytest.raises(InputError, match="--reports"):
        report_selection(res, "some")


def test_auto_keeps_only_failing_parcels_above_the_threshold(monkeypatch):
    res = make_results()
    monkeypatch.setattr(pr, "AUTO_FLAGGED_MAX", len(flagged_parcels(res)) - 1)
    assert report_selection(res, "auto") == report_selection(res, "fail")


def test_no_atlas_above_its_page_limit(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("GEO_TENGLONG_QUIET", raising=False)
    monkeypatch.setattr(pr, "ATLAS_MAX_PAGES", 1)
    written = write_reports(make_results(), tmp_path, ws=make_ws(), which="flagged")
    names = {p.name for p in written if p.parent.name == pr.REPORTS_DIR}
    assert ATLAS_FILE not in names and INDEX_FILE in names
    assert names - {INDEX_FILE} == {f"{i}.html" for i in flagged_parcels(make_results())}
    err = capsys.readouterr().err
    assert "图集上限" in err and "geo-tenglong report" in err


def test_run_offers_the_report_choices():
    from geo_tenglong.cli.run import run_cmd

    opt = next(p for p in run_cmd.params if p.name == "reports")
    assert tuple(opt.type.choices) == pr.REPORT_CHOICES and opt.default == "auto"


@pytest.mark.parametrize("which", ["none", "fail"])
def test_write_outputs_hands_the_choice_to_the_reports_writer(tmp_path, monkeypatch, which):
    import geo_tenglong.pipeline as pipeline

    monkeypatch.setenv("GEO_TENGLONG_CHROMIUM", "none")
    monkeypatch.setattr(pipeline, "OUTPUTS", [o for o in pipeline.OUTPUTS if o[0] == "reports"])
    res = make_results()
    written = pipeline.write_outputs(res, make_ws(), tmp_path / "out", None,
                                     output_options={"reports": {"which": which}})
    reports = sorted(p.name for p in written if p.parent.name == pr.REPORTS_DIR and p.name != INDEX_FILE)
    assert reports == sorted(f"{i}.html" for i in report_selection(res, which))
