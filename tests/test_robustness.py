"""Decision robustness (docs/analytics.md §1) on tiny real warehouses and on the bundled data: the scenario
weights, totals, grades and recommendations below are worked out by hand in the comments next to them."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml
from scoring_fixtures import (
    actual,
    expert,
    experts,
    fetch,
    merged,
    ms,
    pay,
    project,
    report,
    review_row,
    scored,
    target,
)

from scorecard.analytics import robustness_year, scenarios
from scorecard.rubric import RubricError, load_rubric
from scorecard.settings import DEFAULT_RUBRIC

OAT = ["process+5", "process-5", "output+5", "output-5", "outcome+5", "outcome-5", "expert+5", "expert-5"]
LEAVES = ("spi", "on_time", "fund_execution", "self_funding", "output", "outcome", "expert")


def by_name(rows: list[dict]) -> dict[str, dict]:
    return {r["scenario"]: r for r in rows}


def group_points(row: dict) -> dict[str, float]:
    return {
        "process": row["spi"] + row["on_time"] + row["fund_execution"] + row["self_funding"],
        "output": row["output"],
        "outcome": row["outcome"],
        "expert": row["expert"],
    }


# --- the scenarios table ---------------------------------------------------------------------------------


def test_one_at_a_time_scenarios_of_v1():
    rows = by_name(scenarios(load_rubric()))
    assert list(rows)[:9] == ["base", *OAT]
    assert {k: rows["base"][k] for k in LEAVES} == {
        "spi": 15,
        "on_time": 5,
        "fund_execution": 5,
        "self_funding": 5,
        "output": 40,
        "outcome": 15,
        "expert": 15,
    }
    # docs/analytics.md §1 example, process+5 on v1: process 35 (spi 17.5, the other three 5.8333 each),
    # output 40 − 5 × 40 / 70 = 37.1429, outcome and expert 15 − 5 × 15 / 70 = 13.9286
    p5 = rows["process+5"]
    assert p5["spi"] == pytest.approx(17.5, abs=1e-12)
    assert [round(p5[k], 4) for k in ("on_time", "fund_execution", "self_funding")] == [5.8333] * 3
    assert (round(p5["output"], 4), round(p5["outcome"], 4), round(p5["expert"], 4)) == (37.1429, 13.9286, 13.9286)
    # expert-5: expert 10; the others gain 5 × p / 85: output 42.3529, process 31.7647 (spi 15.8824)
    e5 = rows["expert-5"]
    assert (e5["expert"], round(e5["output"], 4), round(e5["spi"], 4)) == (10, 42.3529, 15.8824)
    for name in OAT:
        assert sum(rows[name][k] for k in LEAVES) == pytest.approx(100, abs=1e-9), name


def test_random_rubrics_are_reproducible_from_the_seed():
    rubric = load_rubric()
    first, again = scenarios(rubric), scenarios(rubric)
    assert first == again
    drawn = [r for r in first if r["kind"] == "random"]
    assert len(drawn) == 200 and drawn[0]["scenario"] == "random-001" and drawn[-1]["scenario"] == "random-200"
    # the documented draw: random.Random(seed), per rubric one U(−5, 5) per indicator in the order process,
    # output, outcome, expert, added to 30/40/15/15 and renormalised to 100
    rng = random.Random(2017)
    for k in (0, 1):
        moved = [p + rng.uniform(-5, 5) for p in (30, 40, 15, 15)]
        want = [p * 100 / sum(moved) for p in moved]
        got = group_points(drawn[k])
        assert [got[g] for g in ("process", "output", "outcome", "expert")] == pytest.approx(want, abs=1e-12)
    # inside a group the leaves keep their proportions (spi is half of process, as 15 of 30)
    assert drawn[0]["spi"] == pytest.approx(group_points(drawn[0])["process"] / 2, abs=1e-12)
    for row in drawn:
        assert sum(row[k] for k in LEAVES) == pytest.approx(100, abs=1e-9)
        # every group within p ± 5 before renormalising: after it, within a few points of p
        assert all(abs(group_points(row)[g] - p) < 7 for g, p in rubric.group_points.items())
    assert len({tuple(r[k] for k in LEAVES) for r in drawn}) == 200


def _rubric_copy(tmp_path: Path, **sensitivity) -> Path:
    data = yaml.safe_load(DEFAULT_RUBRIC.read_text(encoding="utf-8"))
    data["sensitivity"].update(sensitivity)
    data["version"] = "v1-sensitivity-test"
    path = tmp_path / "rubric.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_another_seed_draws_other_rubrics_and_delta_names_the_scenarios(tmp_path):
    other = load_rubric(_rubric_copy(tmp_path, seed=7, delta_points=2.5, random_rubrics=3))
    rows = scenarios(other)
    assert [r["scenario"] for r in rows] == [
        "base",
        "process+2.5",
        "process-2.5",
        "output+2.5",
        "output-2.5",
        "outcome+2.5",
        "outcome-2.5",
        "expert+2.5",
        "expert-2.5",
        "random-001",
        "random-002",
        "random-003",
    ]
    official = [r for r in scenarios(load_rubric()) if r["kind"] == "random"][:3]
    assert [r["spi"] for r in rows[9:]] != [r["spi"] for r in official]


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"delta_points": 16}, "sensitivity.delta_points: 16 is more than the 15 points of indicator 'outcome'"),
        ({"delta_points": 0}, "sensitivity.delta_points: Input should be greater than 0"),
        ({"fragile_share": 1.5}, "sensitivity.fragile_share: Input should be less than or equal to 1"),
        ({"random_rubrics": -1}, "sensitivity.random_rubrics: Input should be greater than or equal to 0"),
        ({"spread": 3}, "sensitivity.spread: Extra inputs are not permitted"),
    ],
)
def test_sensitivity_section_is_validated(tmp_path, section, message):
    with pytest.raises(RubricError) as err:
        load_rubric(_rubric_copy(tmp_path, **section))
    assert message in str(err.value) and "rubric.yaml" in str(err.value)


def test_sections_default_when_left_out(tmp_path):
    data = yaml.safe_load(DEFAULT_RUBRIC.read_text(encoding="utf-8"))
    del data["sensitivity"], data["signals"]
    path = tmp_path / "old.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    rubric = load_rubric(path)
    assert (rubric.sensitivity.delta_points, rubric.sensitivity.random_rubrics) == (5, 200)
    assert (rubric.sensitivity.seed, rubric.sensitivity.fragile_share) == (2017, 0.9)
    assert (rubric.signals.rush_share, rubric.signals.rush_min_wan, rubric.signals.copy_min_chars) == (0.6, 100, 20)
    assert (rubric.signals.panel_spread, rubric.signals.cluster_min) == (30, 2)


# --- hand-computed decisions -----------------------------------------------------------------------------


def two_leaf_project(pid: str, output_ratio: float, expert_score: float, start: str = "2018-01-01") -> dict:
    """Only output (40) and expert (15) apply: an output target of 100 due 2018-06-30 with actual
    100 × output_ratio, one expert; a 2018Q4 report with no money (no fund or self-funding leaf, no flag)."""
    return {
        "projects": [project(pid, start, "2020-12-31")],
        "kpi_targets": [target(pid, "patents_granted", 100, due="2018-06-30")],
        "kpi_actuals": [actual(pid, "patents_granted", "2018Q4", output_ratio * 100)],
        "expert_reviews": [expert(pid, 2018, expert_score)],
        "progress_reports": [report(pid, "2018Q4")],
    }


def worked_example_project() -> dict:
    """docs/scoring.md §8: every leaf applies; 69.80 → C → rectify."""
    return {
        "projects": [project("P", "2018-01-01", "2020-12-31", approved=1000, self_funding=500)],
        "milestones": [ms("P", "2018-06-30", 1, done="2018-07-20"), ms("P", "2018-12-01", 1), ms("P", "2019-06-30", 2)],
        "disbursements": [pay("P", "2018-02-01", 600)],
        "progress_reports": [report("P", "2018Q4", fiscal=420, self_arrived=120, total=560)],
        "kpi_targets": [target("P", "patents_granted", 10), target("P", "revenue", 3000)],
        "kpi_actuals": [actual("P", "patents_granted", "2018Q4", 2), actual("P", "revenue", "2018Q4", 1200)],
        "expert_reviews": experts("P", 2018, 70, 80, 85, 90, 95),
    }


def half_coverage_project() -> dict:
    """COV: spi 15 + on time 5 + outcome 15 + expert 15 = 50 points apply (coverage exactly 0.5), each at 1:
    one milestone due and done on plan, an outcome target met, an expert at 100 → total 100, A."""
    return {
        "projects": [project("COV", "2018-01-01", "2020-12-31")],
        "milestones": [ms("COV", "2018-06-30", 1, done="2018-06-30")],
        "kpi_targets": [target("COV", "revenue", 100, due="2018-06-30")],
        "kpi_actuals": [actual("COV", "revenue", "2018Q4", 100)],
        "expert_reviews": [expert("COV", 2018, 100)],
        "progress_reports": [report("COV", "2018Q4")],
    }


def rectified_last_year() -> dict:
    """FLIPR: as FLIP in 2018, but reviewed in 2017 too: 2017 output 50 of 100 × 364/545 expected
    (0.7486), expert 70 → 100 × (40 × 0.7486 + 15 × 0.7) / 55 = 73.53 → C → rectify."""
    data = two_leaf_project("FLIPR", 1.0, 40, start="2017-01-01")
    data["kpi_actuals"].append(actual("FLIPR", "patents_granted", "2017Q4", 50))
    data["expert_reviews"].append(expert("FLIPR", 2017, 70))
    data["progress_reports"].append(report("FLIPR", "2017Q4"))
    return data


@pytest.fixture(scope="module")
def decided(tmp_path_factory):
    data = merged(
        worked_example_project(),
        # FLIP: output 1, expert 40: base 100 × (40 + 6) / 55 = 83.64 → B → rolling support; the expert's share
        # grows only in output-5 (16.25 / 51.25) and expert+5 (20 / 57.647), and only expert+5 crosses 80.
        two_leaf_project("FLIP", 1.0, 40),
        rectified_last_year(),
        # both leaves at the same ratio: the total is that ratio under every weighting
        two_leaf_project("AT80", 0.8, 80),  # 80.00 exactly → B, on the boundary
        two_leaf_project("M812", 0.812, 81.2),  # 81.20 → margin +1.20
        two_leaf_project("M785", 0.785, 78.5),  # 78.50 → margin −1.50
        two_leaf_project("M70", 0.7, 70),  # 70.00: 10 from 60 and from 80 → the lower boundary, +10.00
        half_coverage_project(),
    )
    con = scored(tmp_path_factory.mktemp("robust"), years=(2017, 2018), first_review_year=2017, **data)
    rubric = load_rubric()
    result = robustness_year(con, 2018, rubric)
    yield con, result
    con.close()


def sensitivity(con, pid: str) -> dict[str, dict]:
    rows = fetch(con, "SELECT * FROM mart.decision_sensitivity WHERE project_id = ? AND review_year = 2018", [pid])
    return {r["scenario"]: r for r in rows}


def robustness(con, pid: str) -> dict:
    rows = fetch(con, "SELECT * FROM mart.decision_robustness WHERE project_id = ? AND review_year = 2018", [pid])
    assert len(rows) == 1
    return rows[0]


def test_process_plus_five_on_the_worked_example(decided):
    con, _ = decided
    s = sensitivity(con, "P")
    assert list(s) == ["base", *OAT] or set(s) == {"base", *OAT}
    assert (s["base"]["total_score"], s["base"]["grade"], s["base"]["recommendation"]) == (69.80, "C", "rectify")
    # achievements of §8: spi 0.5, on time 0.5, E/0.8 = 0.875, R = 120 / (500 × 364/1095), output
    # 2 / (10 × 364/1095), outcome 1, expert 0.85; process+5 points 17.5, 35/6 (three times), 260/7, 195/14, 195/14
    r = 120 / (500 * 364 / 1095)
    out = 2 / (10 * 364 / 1095)
    earned = 17.5 * 0.5 + 35 / 6 * (0.5 + 0.875 + r) + 260 / 7 * out + 195 / 14 * 1 + 195 / 14 * 0.85
    assert earned == pytest.approx(69.0972, abs=1e-4)
    assert s["process+5"]["total_score"] == round(earned, 2) == 69.10
    assert s["process+5"]["grade"] == "C" and s["process+5"]["recommendation"] == "rectify"
    # output+5: output 45, process 27.5 (spi 13.75, others 4.5833), outcome and expert 13.75
    earned = 13.75 * 0.5 + 27.5 / 6 * (0.5 + 0.875 + r) + 45 * out + 13.75 * 1 + 13.75 * 0.85
    assert s["output+5"]["total_score"] == round(earned, 2)
    row = robustness(con, "P")
    assert (row["margin_points"], row["oat_flips"], row["flip_to"], row["fragile"]) == (9.80, 0, None, False)
    assert row["random_share_kept"] == 1.0


def test_a_decision_that_flips_in_exactly_one_scenario(decided):
    con, _ = decided
    s = sensitivity(con, "FLIP")
    assert (s["base"]["total_score"], s["base"]["grade"], s["base"]["recommendation"]) == (
        83.64,
        "B",
        "rolling_support",
    )
    # expert+5: expert 20, output 40 − 5 × 40 / 85 = 37.6471 → 100 × (37.6471 + 8) / 57.6471 = 79.18 → C → rectify
    assert (s["expert+5"]["total_score"], s["expert+5"]["grade"], s["expert+5"]["recommendation"]) == (
        79.18,
        "C",
        "rectify",
    )
    # output-5: expert 16.25, output 35 → 100 × (35 + 6.5) / 51.25 = 80.98, still B
    assert (s["output-5"]["total_score"], s["output-5"]["grade"]) == (80.98, "B")
    # process and outcome do not apply: shifting them scales output and expert alike, the total stays 83.64
    for name in ("process+5", "process-5", "outcome+5", "outcome-5"):
        assert s[name]["total_score"] == 83.64, name
    assert [n for n in OAT if s[n]["recommendation"] != "rolling_support"] == ["expert+5"]
    row = robustness(con, "FLIP")
    assert (row["oat_flips"], row["flip_to"], row["fragile"], row["margin_points"]) == (1, "rectify", True, 3.64)
    assert 0 < row["random_share_kept"] < 1


def test_scenarios_use_the_official_history(decided):
    con, _ = decided
    assert review_row(con, "FLIPR", 2017)["recommendation"] == "rectify"
    s = sensitivity(con, "FLIPR")
    assert s["base"]["recommendation"] == "rolling_support"
    # the same 79.18 → C as FLIP, but last year's decision was rectify: the rule of §6 terminates
    assert (s["expert+5"]["total_score"], s["expert+5"]["grade"], s["expert+5"]["recommendation"]) == (
        79.18,
        "C",
        "terminate",
    )
    assert robustness(con, "FLIPR")["flip_to"] == "terminate"


@pytest.mark.parametrize(
    ("pid", "total", "grade", "margin"),
    [("AT80", 80.00, "B", 0.00), ("M812", 81.20, "B", 1.20), ("M785", 78.50, "C", -1.50), ("M70", 70.00, "C", 10.00)],
)
def test_band_boundary_margin(decided, pid, total, grade, margin):
    con, _ = decided
    row = robustness(con, pid)
    assert (row["total_score"], row["grade"], row["margin_points"]) == (total, grade, margin)
    # both leaves at one ratio: every scenario gives the same total, so even 80.00 exactly stays B
    s = sensitivity(con, pid)
    assert {r["total_score"] for r in s.values()} == {total}
    assert {r["grade"] for r in s.values()} == {grade}
    # ... but only output and expert apply (55 points): a random rubric that leaves them fewer than 50 makes
    # the grade insufficient (coverage moves with the points) → rectify, which changes B's rolling support
    drawn = [r for r in scenarios(load_rubric()) if r["kind"] == "random"]
    short = sum(1 for r in drawn if r["output"] + r["expert"] < 50)
    assert 0 < short < 20
    if grade == "B":
        kept, flip_to = (200 - short) / 200, "rectify"
    else:
        kept, flip_to = 1.0, None  # C is rectified anyway
    assert (row["oat_flips"], row["random_share_kept"], row["flip_to"], row["fragile"]) == (0, kept, flip_to, False)


def test_coverage_crosses_one_half_under_a_scenario(decided):
    con, _ = decided
    s = sensitivity(con, "COV")
    assert review_row(con, "COV", 2018)["coverage"] == 0.5
    assert (s["base"]["total_score"], s["base"]["grade"], s["base"]["recommendation"]) == (
        100.00,
        "A",
        "rolling_support",
    )
    # applicable points per scenario: process-5 48.81, output+5 45.83, outcome-5 and expert-5 47.06 (< 50:
    # insufficient, rectify); process+5 51.19, output-5 54.17, outcome+5 and expert+5 52.94 (still A)
    low = {n for n in OAT if s[n]["grade"] == "insufficient"}
    assert low == {"process-5", "output+5", "outcome-5", "expert-5"}
    assert all(s[n]["recommendation"] == "rectify" and s[n]["total_score"] == 100.00 for n in low)
    assert all(s[n]["grade"] == "A" for n in set(OAT) - low)
    row = robustness(con, "COV")
    assert (row["oat_flips"], row["flip_to"], row["fragile"]) == (4, "rectify", True)


def test_one_row_per_reviewed_project_and_rerun_is_identical(decided):
    con, result = decided
    reviewed = con.sql("SELECT count(*) FROM mart.project_review WHERE review_year = 2018").fetchall()[0][0]
    assert result["robustness_rows"] == reviewed == 8 and result["sensitivity_rows"] == 9 * reviewed
    before = fetch(con, "SELECT * FROM mart.decision_robustness ORDER BY project_id")
    again = robustness_year(con, 2018, load_rubric())
    assert fetch(con, "SELECT * FROM mart.decision_robustness ORDER BY project_id") == before
    assert again["fragile"] == {"rolling_support": 3} == result["fragile"]  # FLIP, FLIPR, COV; the rest robust


# --- in Dagster ------------------------------------------------------------------------------------------------


def test_assets_materialize_with_metadata_and_checks(tmp_path):
    """The review group's analyses in a real Dagster materialisation of generated data for 2018: row counts and
    the markdown previews in the metadata, both GX suites run as blocking checks and pass."""
    import dagster as dg

    from assets.analytics import analytics_assets
    from assets.checks import suite_check
    from assets.raw import raw_assets
    from assets.review import review_assets
    from assets.warehouse import star_schema
    from pipelines.resources import ScorecardPaths, Warehouse
    from scorecard.generate import generate
    from scorecard.quality.suites import ERROR, suite

    raw = tmp_path / "raw"
    generate(raw, projects=60, seed=5, messy=False)
    db = tmp_path / "w.duckdb"
    checks = [suite_check(suite(name), ERROR) for name in ("mart.decision_robustness", "mart.review_signal")]
    result = dg.materialize(
        [*raw_assets, star_schema, *review_assets, *analytics_assets, *checks],
        resources={
            "warehouse": Warehouse(database=str(db)),
            "paths": ScorecardPaths(
                raw_dir=str(raw), reports_dir=str(tmp_path / "reports"), rubric=str(DEFAULT_RUBRIC)
            ),
        },
        partition_key="2018",
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert result.success
    meta = {e.asset_key.to_user_string(): e.materialization.metadata for e in result.get_asset_materialization_events()}
    evaluations = {
        e.asset_key.to_user_string(): e for e in result.get_asset_check_evaluations() if e.check_name == "expectations"
    }
    assert evaluations["decision_robustness"].passed and evaluations["review_signal"].passed
    assert evaluations["decision_robustness"].metadata["expectations_run"].value == len(
        suite("mart.decision_robustness").expectations
    )
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        reviewed = con.sql("SELECT count(*) FROM mart.project_review WHERE review_year = 2018").fetchall()[0][0]
        fragile = con.sql(
            "SELECT count(*) FROM mart.decision_robustness WHERE review_year = 2018 AND fragile"
        ).fetchall()[0][0]
        signals = con.sql("SELECT count(*) FROM mart.review_signal WHERE review_year = 2018").fetchall()[0][0]
    assert meta["decision_robustness"]["dagster/row_count"].value == reviewed > 0
    assert meta["decision_sensitivity"]["dagster/row_count"].value == 9 * reviewed
    assert meta["decision_robustness"]["fragile_decisions"].value == fragile
    assert meta["decision_robustness"]["fragile_preview"].value.startswith(
        "| review_year | project_id | recommendation"
    )
    assert meta["review_signal"]["dagster/row_count"].value == signals
    assert "| year_end_rush 年底突击花钱 |" in meta["review_signal"]["signals_by_kind"].value


def test_registered_in_the_review_group_and_the_annual_review_job():
    import dagster as dg

    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    job = defs.resolve_job_def("annual_review_job")
    selected = {k.to_user_string() for k in job.asset_layer.executable_asset_keys}
    for key in ("decision_sensitivity", "decision_robustness", "review_signal"):
        node = graph.get(dg.AssetKey(key))
        assert node.group_name == "review" and key in selected
        assert node.partitions_def.get_partition_keys()[:3] == ["2017", "2018", "2019"]
    checks = {c.to_user_string() for c in graph.asset_check_keys}
    assert {"decision_robustness:expectations", "review_signal:expectations"} <= checks
    upstream = {d.to_user_string() for d in graph.get(dg.AssetKey("decision_sensitivity")).parent_keys}
    assert upstream == {"project_review", "review_measure"}
