"""The benchmark harness (issue 8) in smoke mode: N=200, one run, no report. It runs the real pipeline in a
child process and writes a results JSON with every field. No timing assertion: only that it works."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("bench")
    out = tmp / "smoke.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--out", str(out), "--workdir", str(tmp / "work")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Targets:" in proc.stdout and "wrote" in proc.stdout
    return json.loads(out.read_text(encoding="utf-8"))


def test_top_level_fields(smoke):
    for key in (
        "date",
        "machine",
        "loadavg_start",
        "loadavg_end",
        "smoke",
        "runs",
        "years",
        "format",
        "report_included",
        "sizes",
        "definitions",
        "bundle",
        "profile",
        "targets",
        "complete",
    ):
        assert key in smoke, key
    assert smoke["smoke"] is True and smoke["runs"] == 1 and smoke["years"] == [2017, 2018, 2019]
    assert smoke["report_included"] is False
    machine = smoke["machine"]
    assert machine["cores"] >= 1 and machine["memory_gib"] > 0 and machine["cpu_model"]
    assert set(machine["versions"]) == {"dagster", "duckdb", "polars"}


def test_size_fields(smoke):
    assert list(smoke["sizes"]) == ["200"]
    size = smoke["sizes"]["200"]
    gen = size["generation"]
    assert gen["n"] == 200 and gen["seconds"] > 0 and gen["bytes"] > 0 and gen["rows"]["projects"] == 200
    floor = size["floor"]
    assert floor["seconds"] > 0 and len(floor["runs"]) == 1
    assert floor["datasets"]["projects"]["rows"] == 200
    assert set(floor["datasets"]) == set(gen["rows"])  # every dataset read once

    (run,) = size["runs"]
    assert run["success"] is True
    for key in (
        "definitions_import_seconds",
        "ingest_seconds",
        "review_seconds",
        "pipeline_seconds",
        "check_seconds",
        "total_seconds",
        "peak_rss_mib",
        "cpu_user_seconds",
        "cpu_system_seconds",
        "warehouse_bytes",
        "phases",
        "assets",
        "steps",
        "loadavg_start",
        "child_wall_seconds",
    ):
        assert key in run, key
    assert run["peak_rss_mib"] > 0 and run["pipeline_seconds"] > 0
    assert run["report_seconds"] is None  # smoke: no report
    assert [p["phase"] for p in run["phases"]][:2] == ["ingest", "review"]
    assert all(p["success"] for p in run["phases"])

    median = size["median"]
    for key in ("pipeline_seconds", "ingest_seconds", "review_seconds", "peak_rss_mib", "assets", "steps", "phases"):
        assert median[key] is not None, key


def test_asset_fields(smoke):
    assets = {(a["asset"], a["partition"]): a for a in smoke["sizes"]["200"]["median"]["assets"]}
    for key in (
        "asset",
        "phase",
        "partition",
        "step",
        "seconds",
        "step_seconds",
        "rows_in",
        "rows_out",
        "step_peak_rss_mib",
    ):
        assert all(key in a for a in assets.values()), key
    raw = assets[("raw/projects", None)]
    assert raw["rows_in"] == 200 and raw["rows_out"] == 200 and raw["seconds"] >= 0 and raw["step_peak_rss_mib"] > 0
    assert assets[("dim_project", None)]["rows_out"] == 200
    assert assets[("fact_kpi", None)]["rows_in"] == assets[("raw/kpi_actuals", None)]["rows_out"]
    for year in ("2017", "2018", "2019"):
        assert (("project_review", year) in assets) and (("program_summary", year) in assets)


def test_targets_listed(smoke):
    """The rows of issue 16's table, each with its limit (measured None where smoke mode runs nothing)."""
    targets = smoke["targets"]
    limits = {key: t["limit"] for key, t in targets.items()}
    assert limits == {
        "bundle_run_seconds": 20.0,
        "total_100k_seconds": 100.0,
        "peak_rss_100k_gib": 3.0,
        "pipeline_over_floor_100k": 25.0,
        "report_year_seconds_100k": 15.0,
        "check_seconds_100k": 15.0,
        "pipeline_1m_seconds": 240.0,
        "peak_rss_1m_gib": 8.0,
        "definitions_load_seconds": 3.0,
    }
    for t in targets.values():
        assert {"target", "limit", "unit", "measured", "met"} <= set(t)
        assert t["measured"] is None and t["met"] is None  # N=200 measures none of them
