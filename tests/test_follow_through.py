"""Follow-through on last year's problems (docs/programme-management.md §3): every outcome, by hand."""

from __future__ import annotations

import pytest
from programme_fixtures import marts, project, review, run

from scorecard.programme_management import ProgrammeManagementError


@pytest.fixture
def con(tmp_path):
    con = marts(tmp_path)
    for pid in ("P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9"):
        project(con, pid)
    # 2018: last year
    review(con, "P1", 2018, grade="C", total=65, recommendation="rectify")
    review(con, "P2", 2018, grade="B", total=83, recommendation="suspend_funding", warnings=1)
    review(con, "P3", 2018, grade="B", total=84, recommendation="rolling_support")  # recorded: rectify (see 2019)
    review(con, "P4", 2018, grade="D", total=55, recommendation="rectify", warnings=2)  # a potential problem project
    review(con, "P5", 2018, grade="C", total=70, recommendation="rectify")
    review(con, "P6", 2018, grade="C", total=62, recommendation="rectify")  # not reviewed in 2019
    review(con, "P7", 2018, grade="A", total=93, recommendation="rolling_support")
    review(con, "P8", 2018, grade="C", total=66, recommendation="rectify")  # recorded: rolling_support (see 2019)
    review(
        con, "P9", 2018, grade="A", total=91, recommendation="rolling_support", warnings=1
    )  # one flag: not a problem
    # 2019: this year (prev_decision = last year's effective decision, as the review measured it)
    review(con, "P1", 2019, grade="B", total=85, recommendation="rolling_support", prev_decision="rectify")
    review(con, "P2", 2019, grade="B", total=81, recommendation="rectify", prev_decision="suspend_funding")
    review(con, "P3", 2019, grade="A", total=92, recommendation="suspend_funding", prev_decision="rectify")
    review(con, "P4", 2019, grade="D", total=40, recommendation="terminate", prev_decision="rectify")
    review(
        con,
        "P5",
        2019,
        grade="B",
        total=88,
        recommendation="acceptance_review",
        prev_decision="rectify",
        status="ended",
    )
    review(con, "P7", 2019, grade="A", total=94, recommendation="rolling_support", prev_decision="rolling_support")
    review(con, "P8", 2019, grade="C", total=68, recommendation="rectify", prev_decision="rolling_support")
    review(con, "P9", 2019, grade="A", total=92, recommendation="rolling_support", prev_decision="rolling_support")
    return con


def test_every_outcome_by_hand(con):
    rows = {r["project_id"]: r for r in run(con, "follow_through", 2019)}
    assert sorted(rows) == ["P1", "P2", "P3", "P4", "P5", "P6"]  # P7 fine, P8 recorded rolling_support, P9 one flag
    got = {
        pid: (r["prev_decision"], r["prev_problem"], r["prev_grade"], r["grade"], r["recommendation"], r["outcome"])
        for pid, r in rows.items()
    }
    assert got == {
        "P1": ("rectify", False, "C", "B", "rolling_support", "resolved"),
        "P2": ("suspend_funding", False, "B", "B", "rectify", "persisting"),
        "P3": ("rectify", False, "B", "A", "suspend_funding", "persisting"),  # the recorded decision counts
        "P4": ("rectify", True, "D", "D", "terminate", "escalated"),
        "P5": ("rectify", False, "C", "B", "acceptance_review", "closing"),
        "P6": ("rectify", False, "C", None, None, "not_reviewed"),  # falls back to the 2018 recommendation
    }


def test_a_problem_project_is_followed_whatever_its_decision(con):
    project(con, "PX")
    review(con, "PX", 2018, grade="B", total=81, recommendation="rolling_support", warnings=2)
    review(con, "PX", 2019, grade="A", total=90, recommendation="rolling_support", prev_decision="rolling_support")
    rows = {r["project_id"]: r for r in run(con, "follow_through", 2019)}
    assert (rows["PX"]["prev_problem"], rows["PX"]["outcome"]) == (True, "resolved")
    share_resolved = sum(r["outcome"] == "resolved" for r in rows.values()) / len(rows)
    assert share_resolved == pytest.approx(2 / 7)


def test_the_first_year_has_nothing_to_follow(con):
    assert run(con, "follow_through", 2018) == []


def test_rerun_replaces_the_year(con):
    run(con, "follow_through", 2019)
    assert len(run(con, "follow_through", 2019)) == 6


def test_an_unscored_year_is_a_clear_error(con):
    with pytest.raises(ProgrammeManagementError, match="review year 2020 has no mart.project_review rows"):
        run(con, "follow_through", 2020)


def test_a_table_of_an_older_version_is_rebuilt(con):
    con.execute("DROP TABLE IF EXISTS mart.follow_through")
    con.execute("CREATE TABLE mart.follow_through (project_id VARCHAR, review_year INTEGER, outcome VARCHAR)")
    assert len(run(con, "follow_through", 2019)) == 6
    columns = [
        c
        for (c,) in con.sql(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'follow_through'"
        ).fetchall()
    ]
    assert "prev_problem" in columns
