"""The profile lines `make bench` prints under a missed target (bench/explain.py), on a results file
whose figures are written out here, and the bundle's parts from `scorecard run`'s header times."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ is not an installed package

from bench.explain import NOT_MEASURED_1M, profiles
from bench.run import bundle_parts, evaluate_targets

MARKS = [
    (2.5, "ingest_job"),
    (10.0, "annual_review_job — review year 2017"),
    (14.0, "annual_review_job — review year 2018"),
    (19.5, "annual_review_job — reports 2017–2019"),
]


def _result() -> dict:
    assets = [
        {"phase": "ingest", "partition": None, "asset": "raw/kpi_actuals", "seconds": 5.25, "step_peak_rss_mib": 1536},
        {"phase": "review", "partition": "2019", "asset": "project_review", "seconds": 11.0, "step_peak_rss_mib": 512},
        {"phase": "review", "partition": "2018", "asset": "project_review", "seconds": 8.0, "step_peak_rss_mib": 1024},
        {"phase": "report", "partition": "2019", "asset": "performance_report", "seconds": 60.0},
    ]
    steps = [
        {"phase": "ingest", "partition": None, "step": "raw__projects_expectations", "kind": "check", "seconds": 5.0},
        {
            "phase": "review",
            "partition": "2019",
            "step": "project_review_expectations",
            "kind": "check",
            "seconds": 2.0,
        },
        {"phase": "ingest", "partition": None, "step": "raw__projects", "kind": "asset", "seconds": 9.0},
    ]
    median = {
        "pipeline_seconds": 80.0,
        "quality_seconds": 1.0,
        "report_seconds": 60.0,
        "check_seconds": 7.0,
        "peak_rss_mib": 2048,
        "report_alone_seconds": 29.0,
        "report_seconds_per_year": {"2018": 30.0, "2019": 35.0},
        "report_alone_timings": {"context": 1.5, "pdf": 20.0, "xlsx": 6.0, "total": 28.0},
        "assets": assets,
        "steps": steps,
    }
    parts = bundle_parts(MARKS, 71.0)
    return {
        "machine": {"cores": 2},
        "sizes": {"100000": {"median": median, "floor": {"seconds": 1.6}}},
        "bundle": {"ok": True, "seconds": 71.0, "cpu_seconds": 90.0, "parts": parts},
        "definitions": {"validate_seconds": 3.5, "import_seconds": 1.25},
    }


def test_bundle_parts_from_header_times():
    assert bundle_parts(MARKS, 71.0) == {"start": 2.5, "ingest": 7.5, "review": 9.5, "reports": 51.5}
    assert bundle_parts([], 3.0) == {"start": 3.0}  # failed before its first job


def test_profile_lines():
    result = _result()
    result["targets"] = evaluate_targets(result["sizes"], result["bundle"], result["definitions"])
    lines = profiles(result)
    assert lines["bundle_run_seconds"] == (
        "start 2.5 s, ingest 7.5 s, review 9.5 s, reports 51.5 s; CPU 90.0 s on 2 cores (reports: every year side by side)"
    )
    assert lines["total_100k_seconds"] == (
        "pipeline 80.0 s + quality 1.0 s + reports 60.0 s (each year's build, side by side: 2018 30.0 s, 2019 35.0 s)"
    )
    assert lines["pipeline_over_floor_100k"] == (
        "pipeline 80.0 s over the floor 1.6 s (checks 7.0 s of it); slowest assets: project_review [2019] 11.0 s, "
        "project_review [2018] 8.0 s, raw/kpi_actuals 5.2 s"
    )
    assert lines["report_year_seconds_100k"] == (
        "build_report 28.0 s: pdf 20.0 s, xlsx 6.0 s, context 1.5 s (pdf includes waiting for the chart images)"
    )
    assert lines["check_seconds_100k"] == (
        "2 check steps; slowest: raw__projects_expectations 5.0 s, project_review_expectations [2019] 2.0 s "
        "(the first pays the GX import)"
    )
    assert lines["peak_rss_100k_gib"] == (
        "largest steps: raw/kpi_actuals 1.50 GiB, project_review [2018] 1.00 GiB, project_review [2019] 0.50 GiB"
    )
    assert lines["definitions_load_seconds"] == (
        "importing pipelines.definitions alone 1.2 s; Dagster's CLI the other 2.2 s (its own imports and, "
        "without DAGSTER_HOME, a temporary instance)"
    )
    assert lines["pipeline_1m_seconds"] == lines["peak_rss_1m_gib"] == NOT_MEASURED_1M


def test_profile_lines_of_an_empty_run():
    """Nothing measured (the smoke run): no line claims a figure."""
    result = {"sizes": {}, "bundle": {}, "definitions": {}}
    result["targets"] = evaluate_targets(result["sizes"], result["bundle"], result["definitions"])
    lines = profiles(result)
    assert {k for k, v in lines.items() if v is not None} == {"pipeline_1m_seconds", "peak_rss_1m_gib"}
