"""Programme summary, targets and disbursement by year (docs/data-contract.md output contract; docs/programme.md targets)
on a three-project warehouse, numbers worked out by hand."""

from __future__ import annotations

import pytest
from scoring_fixtures import actual, expert, fetch, ms, pay, project, report, scored, target

from scorecard.review import score_year, summarize_year
from scorecard.rubric import load_rubric


@pytest.fixture(scope="module")
def three(tmp_path_factory):
    """A: 5g / core_tech / stic / grant, approved 2017 — output 9/10 → 36, expert 90 → 13.5,
          E = 320/400 = 0.8 → 5: total 100 × 54.5 / 60 = 90.83 → A, rolling_support.
    B: 5g / demonstration / eitc / equity, approved 2018 — milestone overdue since 2017-03-01 (stalled),
          no 2018 report, E = 100/800 = 0.125 with first payment 2017-02-01 (low_execution), output 0:
          spi 0, on time 0, fund 5 × 0.15625, output 0, expert 6 → 100 × 6.78125 / 80 = 8.48 → D,
          terminate, clawback 800 − 100 = 700; three warning flags → potential problem project.
    C: nev / core_tech / stic / grant, approved 2016 — ended 2018-06-30: expert 70 → 10.5, E = 1 → 5,
          coverage 0.20 → insufficient (total 77.5), acceptance_review."""
    data = dict(
        projects=[
            project("A", "2017-01-01", "2020-12-31", approved=1000, approval_year=2017),
            project(
                "B",
                "2017-01-01",
                "2020-12-31",
                approved=2000,
                plan="demonstration",
                department="eitc",
                support_mode="equity",
                approval_year=2018,
            ),
            project("C", "2016-01-01", "2018-06-30", approved=500, field="nev", approval_year=2016),
        ],
        kpi_targets=[target("A", "papers", 10, due="2018-06-30"), target("B", "papers", 10, due="2018-06-30")],
        kpi_actuals=[actual("A", "papers", "2018Q4", 9)],
        expert_reviews=[expert("A", 2018, 90), expert("B", 2018, 40), expert("C", 2018, 70)],
        milestones=[ms("B", "2017-03-01")],
        disbursements=[
            pay("A", "2017-02-01", 400),
            pay("B", "2017-02-01", 1000),
            pay("B", "2018-03-01", 200, "recovery"),
            pay("C", "2016-02-01", 300),
            pay("C", "2019-01-05", 999),  # after the 2018 as-of date
        ],
        progress_reports=[
            report("A", "2018Q4", fiscal=320, self_arrived=100, total=400),
            report("B", "2017Q4", fiscal=100, self_arrived=50, total=150),
            report("C", "2018Q2", fiscal=300, total=300),
        ],
    )
    con = scored(tmp_path_factory.mktemp("summary"), years=(2018,), **data)
    meta = summarize_year(con, 2018, load_rubric())
    yield con, meta
    con.close()


def rows_2018(con, table: str, key: str, *columns: str) -> dict:
    """mart.<table>'s rows of review year 2018 as {key: (columns…)}."""
    rows = fetch(con, f"SELECT * FROM mart.{table} WHERE review_year = 2018")
    return {r[key]: tuple(r[c] for c in columns) for r in rows}


def test_project_rows_of_the_fixture(three):
    con, _ = three
    got = rows_2018(
        con, "project_review", "project_id", "total_score", "grade", "flags", "recommendation", "clawback_wan"
    )
    assert got == {
        "A": (90.83, "A", "", "rolling_support", 0.0),
        "B": (8.48, "D", "low_execution,missing_report,stalled", "terminate", 700.0),
        "C": (77.5, "insufficient", "", "acceptance_review", 0.0),
    }


def test_program_summary_all(three):
    con, meta = three
    row = fetch(con, "SELECT * FROM mart.program_summary WHERE review_year = 2018 AND dimension = 'all'")[0]
    # all + field (5g, nev) + plan (core_tech, demonstration) + department (stic, eitc) + support_mode (grant, equity)
    assert meta["projects"] == 3 and meta["summary_rows"] == 9
    assert (
        row["projects"],
        row["grade_a"],
        row["grade_b"],
        row["grade_c"],
        row["grade_d"],
        row["grade_insufficient"],
    ) == (3, 1, 0, 0, 1, 1)
    assert row["mean_score"] == pytest.approx((90.83 + 8.48 + 77.5) / 3)
    assert row["approved_wan"] == 3500.0
    assert row["net_disbursed_wan"] == 1500.0  # 400 + (1000 − 200) + 300
    assert row["fiscal_spent_wan"] == 720.0  # 320 + 100 + 300
    assert row["execution_rate"] == pytest.approx(0.48)
    assert row["self_arrived_wan"] == 150.0
    assert row["leverage"] == pytest.approx(0.1)  # 150 / 1500
    assert (row["problem_projects"], row["problem_funding_wan"]) == (1, 2000.0)
    recs = tuple(
        row[f"rec_{r}"] for r in ("terminate", "acceptance_review", "suspend_funding", "rectify", "rolling_support")
    )
    assert recs == (1, 1, 0, 0, 1)
    assert row["clawback_wan"] == 700.0
    assert row["rubric_version"] == "v1"


def test_program_summary_by_dimension(three):
    con, _ = three
    rows = {
        (r["dimension"], r["dimension_value"]): r
        for r in fetch(con, "SELECT * FROM mart.program_summary WHERE review_year = 2018")
    }
    assert set(rows) == {
        ("all", "all"),
        ("field", "5g"),
        ("field", "nev"),
        ("plan", "core_tech"),
        ("plan", "demonstration"),
        ("department", "stic"),
        ("department", "eitc"),
        ("support_mode", "grant"),
        ("support_mode", "equity"),
    }
    core = rows[("plan", "core_tech")]  # A and C
    assert (core["projects"], core["grade_a"], core["grade_insufficient"]) == (2, 1, 1)
    assert (core["approved_wan"], core["net_disbursed_wan"], core["fiscal_spent_wan"]) == (1500.0, 700.0, 620.0)
    assert core["execution_rate"] == pytest.approx(620 / 700)
    assert core["mean_score"] == pytest.approx((90.83 + 77.5) / 2)
    assert (core["rec_rolling_support"], core["rec_acceptance_review"], core["problem_projects"]) == (1, 1, 0)
    g5 = rows[("field", "5g")]  # A and B
    assert (
        g5["projects"],
        g5["approved_wan"],
        g5["net_disbursed_wan"],
        g5["problem_projects"],
        g5["clawback_wan"],
    ) == (2, 3000.0, 1200.0, 1, 700.0)
    eq = rows[("support_mode", "equity")]
    assert (eq["projects"], eq["grade_d"], eq["rec_terminate"], eq["leverage"]) == (1, 1, 1, pytest.approx(50 / 800))


def test_program_targets(three):
    con, meta = three
    got = rows_2018(con, "program_target", "target", "measured", "threshold", "comparator", "met")
    assert got == {
        "core_tech_projects": (1.0, 50.0, ">", False),  # A (C was approved in 2016)
        "innovation_carriers": (0.0, 100.0, ">", False),
        "demonstration_projects": (1.0, 50.0, ">", False),
        "fusion_chains": (0.0, 10.0, ">", False),
        "industrialization_projects": (0.0, 200.0, ">", False),
        "annual_budget_2017": (1400.0, 200000.0, ">=", False),  # 400 + 1000
        "annual_budget_2018": (-200.0, 200000.0, ">=", False),  # the recovery
        "industry_scale": (None, 30000.0, ">", None),
        "value_added_share": (None, 42.0, ">=", None),
    }
    assert meta["targets"]["annual_budget_2018"] is False


def test_disbursement_by_year(three):
    con, _ = three
    got = rows_2018(
        con, "disbursement_by_year", "payment_year", "disbursed_wan", "recovered_wan", "net_disbursed_wan", "budget_wan"
    )
    assert got == {
        2016: (300.0, 0.0, 300.0, None),
        2017: (1400.0, 0.0, 1400.0, 200000.0),
        2018: (0.0, 200.0, -200.0, 200000.0),
    }


def test_summary_rerun_and_empty_year(three):
    con, _ = three
    before = con.sql("SELECT * FROM mart.program_summary ORDER BY ALL").fetchall()
    rubric = load_rubric()
    summarize_year(con, 2018, rubric)
    assert con.sql("SELECT * FROM mart.program_summary ORDER BY ALL").fetchall() == before
    # 2030: nobody is reviewed; the 'all' row is zeros, targets still measured over 2017–2019
    assert score_year(con, 2030, rubric)["rows"] == 0
    meta = summarize_year(con, 2030, rubric)
    assert meta["summary_rows"] == 1 and meta["projects"] == 0
    row = fetch(con, "SELECT * FROM mart.program_summary WHERE review_year = 2030")[0]
    assert (row["dimension"], row["projects"], row["approved_wan"], row["mean_score"], row["rubric_version"]) == (
        "all",
        0,
        0.0,
        None,
        "v1",
    )
    budget = {
        r["target"]: r["measured"]
        for r in fetch(con, "SELECT * FROM mart.program_target WHERE review_year = 2030 AND target LIKE 'annual%'")
    }
    assert budget == {"annual_budget_2017": 1400.0, "annual_budget_2018": -200.0, "annual_budget_2019": 999.0}
