"""Budget what-if (docs/programme-management.md §5), a scenario: released, held and reallocated money by hand,
with and without expand fields, the unallocated row, and Σ reallocated = Σ released exactly."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from programme_fixtures import RUBRIC, marts, project, review, run

YEAR = 2019
_ids = itertools.count(1)


def member(con, field: str, grade: str, total, rec: str, approved, net_disbursed=0, clawback=0) -> None:
    pid = f"{field}-{next(_ids)}"
    project(con, pid, field=field, approved=approved)
    review(con, pid, YEAR, grade=grade, total=total, recommendation=rec, net_disbursed=net_disbursed, clawback=clawback)


def releasing_field(con) -> None:
    """Field `shrinking` (1 of 5 terminate: shrink): releases 3000 − 1000 + 200 = 2200, holds 500 (+ 0 for an
    overdrawn suspension)."""
    member(con, "shrinking", "D", 40, "terminate", approved=3000, net_disbursed=1000, clawback=200)
    member(con, "shrinking", "B", 81, "suspend_funding", approved=800, net_disbursed=300)  # holds 500
    member(con, "shrinking", "B", 82, "suspend_funding", approved=800, net_disbursed=900)  # holds max(0, −100) = 0
    member(con, "shrinking", "C", 65, "rectify", approved=500)
    member(con, "shrinking", "C", 66, "rectify", approved=500)


def expand_field(con, field: str, approved_each) -> None:
    for _ in range(5):
        member(con, field, "A", 95, "rolling_support", approved=approved_each)


def maintain_field(con, field: str = "steady", approved_each=100) -> None:
    for _ in range(5):
        member(con, field, "B", 82, "rolling_support", approved=approved_each)  # mean 82: maintain


def scenario(con) -> dict:
    run(con, "adjustment", YEAR)
    rows = run(con, "budget", YEAR)
    assert all(r["scenario"] == "what_if" for r in rows)  # labelled a scenario, every row
    return {r["field"]: r for r in rows}


@pytest.fixture
def con(tmp_path):
    return marts(tmp_path)


def test_released_goes_to_the_expand_fields_pro_rata(con):
    releasing_field(con)
    expand_field(con, "x_small", 200)  # rolling_support approved 1000
    expand_field(con, "z_large", 400)  # rolling_support approved 2000
    maintain_field(con)
    rows = scenario(con)
    assert rows["shrinking"]["released_wan"] == Decimal("2200.0000")
    assert rows["shrinking"]["held_wan"] == Decimal("500.0000")
    assert rows["shrinking"]["reallocated_wan"] == Decimal("0.0000")
    # 2200 × 1/3 = 733.33333…, 2200 × 2/3 = 1466.66666…: the last 0.0001 goes to the larger remainder
    assert rows["x_small"]["reallocated_wan"] == Decimal("733.3333")
    assert rows["z_large"]["reallocated_wan"] == Decimal("1466.6667")
    assert "steady" not in rows  # a maintain field receives nothing while expand fields exist
    assert {r["basis"] for r in rows.values()} == {"expand"}
    assert sum(r["reallocated_wan"] for r in rows.values()) == sum(r["released_wan"] for r in rows.values())


def test_without_expand_fields_the_maintain_fields_receive(con):
    releasing_field(con)
    maintain_field(con, "steady_a", 100)  # 500
    maintain_field(con, "steady_b", 300)  # 1500
    rows = scenario(con)
    assert rows["steady_a"]["reallocated_wan"] == Decimal("550.0000")
    assert rows["steady_b"]["reallocated_wan"] == Decimal("1650.0000")
    assert {r["basis"] for r in rows.values()} == {"maintain"}
    assert None not in rows


def test_with_no_qualifying_field_the_money_stays_unallocated(con):
    releasing_field(con)
    for _ in range(5):  # a maintain field without rolling_support projects does not qualify
        member(con, "waiting", "B", 84, "acceptance_review", approved=100)
    rows = scenario(con)
    assert rows[None]["released_wan"] == Decimal("0.0000")
    assert rows[None]["reallocated_wan"] == Decimal("2200.0000")
    assert rows[None]["basis"] == "unallocated"
    assert "waiting" not in rows
    assert sum(r["reallocated_wan"] for r in rows.values()) == Decimal("2200.0000")


def test_sums_are_exact_over_awkward_weights(con):
    member(con, "shrinking", "D", 40, "terminate", approved="1000.0001", clawback="0.0002")  # releases 1000.0003
    for field in ("f1", "f2", "f3", "f4", "f5", "f6", "f7"):
        expand_field(con, field, "0.3333")
    rows = scenario(con)
    got = [rows[f]["reallocated_wan"] for f in ("f1", "f2", "f3", "f4", "f5", "f6", "f7")]
    assert sum(got) == Decimal("1000.0003")
    assert max(got) - min(got) == Decimal("0.0001")  # an equal split to the last unit


def test_a_year_without_terminations_or_suspensions_has_no_rows(con):
    expand_field(con, "x_small", 200)
    assert scenario(con) == {}


def test_the_gx_check_holds_and_catches_a_broken_sum(con):
    from scorecard.programme_management import validate_years

    releasing_field(con)
    expand_field(con, "x_small", 200)
    scenario(con)
    before = con.sql("SELECT * FROM mart.budget_scenario ORDER BY ALL").fetchall()
    result = validate_years(con, "budget_scenario", [YEAR], RUBRIC)
    assert result.success and len(result.results) == 5
    assert con.sql("SELECT * FROM mart.budget_scenario ORDER BY ALL").fetchall() == before  # read-only
    con.execute("UPDATE mart.budget_scenario SET reallocated_wan = reallocated_wan + 0.0001 WHERE field = 'x_small'")
    broken = validate_years(con, "budget_scenario", [YEAR], RUBRIC)
    assert [r.name for r in broken.failed] == ["reallocated_equals_released"]
    assert broken.failed[0].unexpected_count == 1
