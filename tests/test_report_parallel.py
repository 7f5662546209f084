"""Several years' reports built side by side (docs/report.md, "Several years in one run"): each worker's
year is the same as that year built alone (there with its XLSX written in a child process beside the
PDF), and a failed year fails the whole call with its own error."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import duckdb
import openpyxl
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from report_fixtures import build_fixture_warehouse  # noqa: E402

from scorecard.db import connect  # noqa: E402
from scorecard.report.build import build_report, xlsx_apart_by_default  # noqa: E402
from scorecard.report.parallel import build_reports, report_workers  # noqa: E402
from scorecard.report.programme_sections import ready  # noqa: E402
from scorecard.settings import DEFAULT_RUBRIC  # noqa: E402


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("parallel") / "fixture.duckdb"
    con = duckdb.connect(str(path))
    build_fixture_warehouse(con)
    ready(con)  # the programme-management tables, as their assets leave them (workers read only)
    years = [r[0] for r in con.sql("SELECT DISTINCT review_year FROM mart.project_review ORDER BY 1").fetchall()]
    con.close()
    assert len(years) >= 2, years
    return path


def _years(path: Path) -> list[int]:
    with connect(path, read_only=True) as con:
        return [r[0] for r in con.sql("SELECT DISTINCT review_year FROM mart.project_review ORDER BY 1").fetchall()]


def test_workers_follow_the_setting_and_never_exceed_the_years(monkeypatch):
    monkeypatch.setenv("SCORECARD_REPORT_WORKERS", "4")
    assert report_workers(3) == 3 and report_workers(1) == 1
    monkeypatch.setenv("SCORECARD_REPORT_WORKERS", "1")
    assert report_workers(3) == 1


def test_years_built_in_workers_equal_each_year_built_alone(warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("SCORECARD_REPORT_WORKERS", "2")
    years = _years(warehouse)
    side_by_side = build_reports(str(warehouse), years, tmp_path / "parallel", "zh+en", DEFAULT_RUBRIC)
    assert sorted(side_by_side) == years
    with connect(warehouse, read_only=True) as con:
        alone = {
            y: build_report(con, y, tmp_path / "alone", lang="zh+en", rubric_path=DEFAULT_RUBRIC, xlsx_apart=True)
            for y in years
        }
    for year in years:
        a, b = side_by_side[year], alone[year]
        assert a["year_dir"] == tmp_path / "parallel" / str(year) and a["year_dir"].is_dir()
        assert a["summary"] == b["summary"] and a["sheet_rows"] == b["sheet_rows"]
        # the workers wrote their XLSX in-process (no core spare), the years alone in a child process
        assert "xlsx_wait" not in a["timings"] and b["timings"]["xlsx_wait"] >= 0
        assert _cells(a["paths"]["xlsx"]) == _cells(b["paths"]["xlsx"])
        assert a["paths"]["csv"].read_bytes() == b["paths"]["csv"].read_bytes()
        manifest = json.loads(a["paths"]["manifest"].read_text(encoding="utf-8"))
        assert manifest["review_year"] == year
        assert {d["file"] for d in manifest["deliverables"]} == {d["file"] for d in b["manifest"]["deliverables"]}
        assert not list((tmp_path / "parallel").glob(f".{year}.*"))  # no staging folder left


def _cells(path: Path) -> dict[str, list]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: [[(c.value, c.number_format) for c in row] for row in ws.iter_rows()] for ws in wb}


def test_a_year_alone_writes_its_xlsx_apart_only_when_large_and_a_core_is_spare():
    assert not xlsx_apart_by_default(19_999)
    assert xlsx_apart_by_default(20_000) == (len(os.sched_getaffinity(0)) >= 2)


def test_a_failed_year_fails_with_its_own_error(warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("SCORECARD_REPORT_WORKERS", "2")
    good = _years(warehouse)[-1]
    with pytest.raises(
        RuntimeError, match=r"the report of 2031 failed:(.|\n)*no mart.project_review rows for review year 2031"
    ):
        build_reports(str(warehouse), [good, 2031], tmp_path, "zh+en", DEFAULT_RUBRIC)
    assert not (tmp_path / "2031").exists()
    assert not list(tmp_path.glob(".2031.*"))
