"""Several years' reports built side by side (docs/report.md, "Several years in one run"): each worker's
year is the same as that year built alone, and a failed year fails the whole call with its own error."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from report_fixtures import build_fixture_warehouse  # noqa: E402

from scorecard.db import connect  # noqa: E402
from scorecard.report.build import build_report  # noqa: E402
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
        alone = {y: build_report(con, y, tmp_path / "alone", lang="zh+en", rubric_path=DEFAULT_RUBRIC) for y in years}
    for year in years:
        a, b = side_by_side[year], alone[year]
        assert a["year_dir"] == tmp_path / "parallel" / str(year) and a["year_dir"].is_dir()
        assert a["summary"] == b["summary"] and a["sheet_rows"] == b["sheet_rows"]
        assert a["paths"]["csv"].read_bytes() == b["paths"]["csv"].read_bytes()
        manifest = json.loads(a["paths"]["manifest"].read_text(encoding="utf-8"))
        assert manifest["review_year"] == year
        assert {d["file"] for d in manifest["deliverables"]} == {d["file"] for d in b["manifest"]["deliverables"]}
        assert not list((tmp_path / "parallel").glob(f".{year}.*"))  # no staging folder left


def test_a_failed_year_fails_with_its_own_error(warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("SCORECARD_REPORT_WORKERS", "2")
    good = _years(warehouse)[-1]
    with pytest.raises(
        RuntimeError, match=r"the report of 2031 failed:(.|\n)*no mart.project_review rows for review year 2031"
    ):
        build_reports(str(warehouse), [good, 2031], tmp_path, "zh+en", DEFAULT_RUBRIC)
    assert not (tmp_path / "2031").exists()
    assert not list(tmp_path.glob(".2031.*"))
