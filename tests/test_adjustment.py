"""Dynamic adjustment of fields and plans (docs/programme-management.md §4): each suggestion at and just
off its threshold, decided exactly; the rubric's adjustment: section validated."""

from __future__ import annotations

import itertools

import pytest
from programme_fixtures import marts, project, review, rubric_with, run

from scorecard.rubric import RubricError, load_rubric

_ids = itertools.count(1)
YEAR = 2019


def group(con, field: str, members: list[tuple], plan: str = "core_tech") -> None:
    """Projects of one field: (grade, total, recommendation, warnings) each."""
    for grade, total, rec, warnings in members:
        pid = f"{field}-{next(_ids)}"
        project(con, pid, field=field, plan=plan)
        review(
            con,
            pid,
            YEAR,
            grade=grade,
            total=total,
            recommendation=rec,
            warnings=warnings,
            net_disbursed=100,
            fiscal_spent=60,
        )


def a(total=95, rec="rolling_support", warnings=0):
    return ("A", total, rec, warnings)


def grade_of(total: float) -> str:
    return "A" if total >= 90 else "B" if total >= 80 else "C" if total >= 60 else "D"


def scored(*totals: str) -> list[tuple]:
    return [(grade_of(float(t)), t, "rectify" if float(t) < 80 else "rolling_support", 0) for t in totals]


def suggestions(con, rubric=None) -> dict[str, dict]:
    kwargs = {"rubric": rubric} if rubric else {}
    return {r["code"]: r for r in run(con, "adjustment", YEAR, **kwargs) if r["level"] == "field"}


@pytest.fixture
def con(tmp_path):
    return marts(tmp_path)


def test_five_projects_are_enough_four_are_too_few(con):
    group(con, "four", [a()] * 4)
    group(con, "five", [a()] * 5)
    got = suggestions(con)
    assert got["four"]["suggestion"] == "too_few"
    assert got["four"]["reason_zh"] == "样本不足：考核项目 4 个，少于 5 个，不作调整建议"
    assert got["four"]["reason_en"] == "Too few: 4 reviewed projects, fewer than 5; no suggestion"
    assert got["five"]["suggestion"] == "expand"
    assert got["five"]["reason_en"] == (
        "Expand: mean score 95.00 (≥ 85), 100.0% graded A or B (≥ 80%), 0.0% potential problem projects (≤ 5%)"
    )


def test_share_terminate_exactly_020_shrinks_just_below_does_not(con):
    group(con, "at", [a()] * 4 + [("D", 50, "terminate", 0)])  # 1 / 5 = 0.20
    group(con, "below", [a()] * 5 + [("D", 50, "terminate", 0)])  # 1 / 6 = 0.1667
    got = suggestions(con)
    assert (got["at"]["suggestion"], got["at"]["share_terminate"]) == ("shrink", 0.2)
    assert got["at"]["reason_en"] == "Shrink: 20.0% of projects recommended for termination (≥ 20%)"
    assert got["at"]["reason_zh"] == "收缩：建议中止淘汰项目占 20.0%（≥ 20%）"
    assert got["below"]["suggestion"] == "expand"  # mean 87.5, 5/6 A or B, no problem project
    assert got["below"]["mean_score"] == pytest.approx(87.5)


def test_mean_exactly_70_from_two_decimal_totals_is_not_low(con):
    group(con, "seventy", scored("69.99", "70.01", "70.00", "69.98", "70.02"))  # Σ 350.00 → 70 exactly
    group(con, "just_below", scored("69.99", "70.01", "70.00", "69.98", "70.01"))  # Σ 349.99 → 69.998
    got = suggestions(con)
    # at 70 the shrink rule does not hold; all five are C, so share A/B 0 < 0.5: adjust
    assert got["seventy"]["suggestion"] == "adjust"
    assert got["seventy"]["reason_en"] == "Adjust: 0.0% graded A or B (< 50%)"
    assert got["just_below"]["suggestion"] == "shrink"
    assert got["just_below"]["reason_en"] == "Shrink: mean score 69.9980 (< 70)"  # never "70.00 < 70"
    assert got["just_below"]["mean_score"] == pytest.approx(69.998)


def test_mean_exactly_85_expands_just_below_maintains(con):
    group(con, "eightyfive", scored("84.99", "85.01", "85.00", "84.98", "85.02"))  # Σ 425.00 → 85 exactly, all B
    group(con, "just_below", scored("84.99", "85.01", "85.00", "84.98", "85.01"))  # Σ 424.99
    got = suggestions(con)
    assert got["eightyfive"]["suggestion"] == "expand"
    assert (
        got["eightyfive"]["reason_zh"]
        == "加大支持：平均分 85.00（≥ 85），优良率 100.0%（≥ 80%），潜在问题项目占 0.0%（≤ 5%）"
    )
    assert got["just_below"]["suggestion"] == "maintain"
    assert got["just_below"]["reason_en"].startswith("Maintain: mean score 84.9980, 100.0% A or B,")  # never "85.00"


def test_problem_share_exactly_010_adjusts_just_below_maintains(con):
    group(con, "at", [a()] * 9 + [a(warnings=2)])  # 1 / 10
    group(con, "below", [a()] * 10 + [a(warnings=2)])  # 1 / 11 = 0.0909: above 0.05, so no expand either
    got = suggestions(con)
    assert got["at"]["suggestion"] == "adjust"
    assert got["at"]["reason_en"] == "Adjust: 10.0% potential problem projects (≥ 10%)"
    assert got["below"]["suggestion"] == "maintain"


def test_share_ab_exactly_05_is_not_adjusted(con):
    group(con, "half", [("B", 82, "rolling_support", 0)] * 3 + [("C", 75, "rectify", 0)] * 3)  # 3 / 6
    group(con, "less", [("B", 82, "rolling_support", 0)] * 3 + [("C", 75, "rectify", 0)] * 4)  # 3 / 7
    got = suggestions(con)
    assert got["half"]["suggestion"] == "maintain"
    assert got["less"]["suggestion"] == "adjust"
    assert got["less"]["reason_en"] == "Adjust: 42.9% graded A or B (< 50%)"


def test_expand_at_share_ab_08_and_problem_share_005(con):
    group(con, "ab_at", [a()] * 4 + [("C", 75, "rectify", 0)])  # 4 / 5 = 0.8, mean 91
    group(con, "ab_below", [a()] * 3 + [("C", 75, "rectify", 0)] * 1 + [("C", 79.99, "rectify", 0)])  # 3 / 5
    group(con, "problem_at", [a()] * 19 + [a(warnings=2)])  # 1 / 20 = 0.05
    group(con, "problem_above", [a()] * 18 + [a(warnings=2)])  # 1 / 19 = 0.0526
    got = suggestions(con)
    assert got["ab_at"]["suggestion"] == "expand"
    assert got["ab_below"]["suggestion"] == "maintain"  # 0.6 A/B: neither adjust (< 0.5) nor expand (≥ 0.8)
    assert got["problem_at"]["suggestion"] == "expand"
    assert got["problem_above"]["suggestion"] == "maintain"


def test_insufficient_projects_count_but_are_not_graded(con):
    group(con, "mixed", [a()] * 4 + [("insufficient", None, "rectify", 0)])
    row = suggestions(con)["mixed"]
    assert (row["projects"], row["graded"], row["mean_score"], row["share_ab"]) == (5, 4, 95.0, 1.0)
    assert row["suggestion"] == "expand"
    assert row["fund_execution"] == pytest.approx(0.6)


def test_plans_get_their_own_rows(con):
    group(con, "f1", [a()] * 3, plan="core_tech")
    group(con, "f2", [a()] * 3, plan="core_tech")
    rows = {(r["level"], r["code"]): r for r in run(con, "adjustment", YEAR)}
    assert rows[("plan", "core_tech")]["projects"] == 6
    assert rows[("plan", "core_tech")]["suggestion"] == "expand"
    assert rows[("field", "f1")]["suggestion"] == "too_few"


def test_the_thresholds_come_from_the_rubric(con, tmp_path):
    group(con, "four", [a()] * 4)
    path = rubric_with(tmp_path, "adjustment:\n  min_projects: 4\n")
    rubric = load_rubric(path)
    assert rubric.params()["adj_min_projects"] == 4
    assert rubric.params()["adj_expand_mean_score"] == 85  # the other keys keep their defaults
    assert suggestions(con, rubric)["four"]["suggestion"] == "expand"


def test_a_rubric_without_the_section_uses_the_defaults(tmp_path):
    rubric = load_rubric(rubric_with(tmp_path, ""))
    assert {k: float(v) for k, v in rubric.params().items() if k.startswith("adj_")} == {
        "adj_min_projects": 5,
        "adj_shrink_terminate_share": 0.2,
        "adj_shrink_mean_score": 70,
        "adj_adjust_problem_share": 0.1,
        "adj_adjust_share_ab": 0.5,
        "adj_expand_mean_score": 85,
        "adj_expand_share_ab": 0.8,
        "adj_expand_problem_share": 0.05,
    }


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            "adjustment:\n  shrink_terminate_share: 1.5\n",
            r"adjustment\.shrink_terminate_share: Input should be less than or equal to 1",
        ),
        ("adjustment:\n  min_projects: 0\n", r"adjustment\.min_projects: Input should be greater than or equal to 1"),
        ("adjustment:\n  grow: 1\n", r"adjustment\.grow: Extra inputs are not permitted"),
        (
            "adjustment:\n  expand_mean_score: 60\n",
            r"adjustment\.expand_mean_score: 60 is below adjustment\.shrink_mean_score 70",
        ),
    ],
)
def test_a_bad_adjustment_section_names_the_key(tmp_path, section, message):
    with pytest.raises(RubricError, match=message):
        load_rubric(rubric_with(tmp_path, section))
