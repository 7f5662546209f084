"""Texts that state numbers are generated from the rubric and the programme file (docs/scoring.md §10).

A copy of the rubric with every threshold, band and some points changed must show the new numbers, and
none of the old, in the method annex, the reasons and the report's sentences; a changed programme file
(another budget, period and target) must flow into mart.program_target and the report's text.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from report_fixtures import fixture_connection  # noqa: E402
from scoring_fixtures import actual, experts, pay, project, reasons, report, review_row, scored, target  # noqa: E402

from scorecard.programme import load_programme  # noqa: E402
from scorecard.report.build import render  # noqa: E402
from scorecard.report.i18n import I18n  # noqa: E402
from scorecard.report.method import method_context  # noqa: E402
from scorecard.review import score_year, summarize_year  # noqa: E402
from scorecard.rubric import RubricError, load_rubric  # noqa: E402
from scorecard.settings import DEFAULT_PROGRAMME, DEFAULT_RUBRIC  # noqa: E402

NEW_THRESHOLDS = {
    "exec_target": ("0.8", "0.85"),
    "grace_days": ("30", "41"),
    "min_coverage": ("0.5", "0.45"),
    "trim_min_experts": ("5", "6"),
    "stall_overdue_days": ("180", "170"),
    "stall_window_days": ("365", "333"),
    "low_exec_rate": ("0.3", "0.35"),
    "low_exec_days": ("365", "366"),
    "self_gap_rate": ("0.5", "0.55"),
    "overspend_tolerance": ("0.01", "0.02"),
    "problem_min_flags": ("2", "3"),
}


def changed_rubric(tmp_path: Path) -> Path:
    text = DEFAULT_RUBRIC.read_text(encoding="utf-8").replace('version: "v1"', 'version: "v1-changed"')
    for key, (old, new) in NEW_THRESHOLDS.items():
        text, n = re.subn(rf"(\n  {key}: ){re.escape(old)}( |\n)", rf"\g<1>{new}\2", text)
        assert n == 1, key
    text = text.replace('report_cutoff: "09-30"', 'report_cutoff: "08-31"')
    for grade, old, new in (("A", 90, 91), ("B", 80, 81), ("C", 60, 61)):
        text = text.replace(f"  - grade: {grade}\n    min: {old}\n", f"  - grade: {grade}\n    min: {new}\n")
    text = text.replace(
        '        points: 15\n        formula_zh: "{points} × min(SPI',
        '        points: 16\n        formula_zh: "{points} × min(SPI',
    )
    text = text.replace("        points: 40\n", "        points: 39\n")
    path = tmp_path / "rubric-changed.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_rubric_texts_are_filled_from_its_numbers(tmp_path):
    rubric = load_rubric(changed_rubric(tmp_path))
    t = rubric.thresholds
    assert (t.exec_target, t.grace_days, t.problem_min_flags, t.report_cutoff) == (0.85, 41, 3, "08-31")
    formulas = " ".join(leaf.formula_zh + leaf.formula_en for leaf in rubric.leaves)
    assert "min(E / 0.85, 1)" in formulas and "宽限 41 天" in formulas and "16 × min(SPI, 1)" in formulas
    assert "39 × " in formulas and "with 6 or more experts" in formulas
    for old in ("0.8,", "30 天", "15 × min(SPI", "40 × ", "5 名及以上"):
        assert old not in formulas
    flags = " ".join(f.zh + f.en for f in rubric.model.flags)
    for new in (
        "170 天",
        "333 天",
        "E < 0.35",
        "366 or more days",
        "R < 0.55",
        "+ 0.02 万元",
        "8 月 31 日",
        "31 August",
    ):
        assert new in flags
    for old in ("180", "365", "E < 0.3 ", "R < 0.5 ", "R < 0.5S", "0.01", "9 月 30 日", "30 September"):
        assert old not in flags
    recs = " ".join(r.zh + r.en for r in rubric.model.recommendations)
    assert "61–81" in recs and "81 points or more" in recs and "60" not in recs


def test_a_number_written_into_a_rubric_text_is_a_load_error(tmp_path):
    path = tmp_path / "r.yaml"
    text = DEFAULT_RUBRIC.read_text(encoding="utf-8")
    path.write_text(text.replace("R < {self_gap_rate}\n", "R < 0.5\n", 1), encoding="utf-8")
    with pytest.raises(RubricError, match=r"flags\[2\]\.zh: the text states the number 0\.5"):
        load_rubric(path)
    path.write_text(text.replace("{grace_days} 天", "{grace_dayz} 天", 1), encoding="utf-8")
    with pytest.raises(RubricError, match="unknown placeholder 'grace_dayz'"):
        load_rubric(path)


def test_reasons_and_cutoff_follow_the_changed_rubric(tmp_path):
    rubric = load_rubric(changed_rubric(tmp_path))
    pid = "LOW"
    con = scored(
        tmp_path,
        rubric=rubric,
        projects=[
            project(pid, "2017-01-01", "2020-12-31"),
            project("AUG", "2018-08-31", "2020-12-31"),
            project("SEP", "2018-09-01", "2020-12-31"),
        ],
        disbursements=[pay(pid, "2017-12-30", 100)],
        progress_reports=[report(pid, "2018Q4", fiscal=34)],  # E 0.34 < 0.35 after 366 days
        kpi_targets=[target(pid, "patents_granted", 10, due="2018-06-30")],
        kpi_actuals=[actual(pid, "patents_granted", "2018Q4", 10)],
        expert_reviews=experts(pid, 2018, 95),
    )
    why = reasons(con, pid, 2018)
    assert why["flag:low_execution"]["text_en"] == (
        "Low fund execution: E 0.34 < 0.35, first disbursement on 2017-12-30 (366 days before the as-of date)"
    )
    assert "0.85" in why["leaf:fund_execution"]["text_zh"]
    assert review_row(con, "AUG", 2018)["flags"] == "missing_report"  # started on the cut-off day
    assert review_row(con, "SEP", 2018)["flags"] == ""  # started the day after


@pytest.fixture(scope="module")
def fixture_con():
    with fixture_connection() as c:
        yield c


def html_of(con, rubric_path: Path, lang: str = "zh+en") -> str:
    i18n = I18n(lang)
    html, _, _ = render(
        con, 2019, i18n, "html", method_context(rubric_path, i18n), [], "0.1.0+test", dt.datetime(2020, 1, 31)
    )
    return re.sub(r"<script.*?</script>", "", html, flags=re.S)


def test_report_sentences_and_annex_show_the_changed_rubric(fixture_con, tmp_path):
    html = html_of(fixture_con, changed_rubric(tmp_path))
    assert "潜在问题项目（3 项及以上预警）" in html and "(3 or more flags)" in html
    assert "两项及以上" not in html and "2 项及以上" not in html and "two or more flags" not in html
    assert "min(E / 0.85, 1)" in html and "min(E / 0.8, 1)" not in html
    assert "8 月 31 日" in html and "9 月 30 日" not in html and "30 September" not in html


def changed_programme(tmp_path: Path) -> Path:
    text = DEFAULT_PROGRAMME.read_text(encoding="utf-8")
    text = text.replace("annual_budget_wan: 200000", "annual_budget_wan: 150000")
    text = text.replace("  start: 2017 ", "  start: 2018 ").replace(
        "first_review_year: 2017", "first_review_year: 2018"
    )
    text = text.replace(
        '    plan: core_tech\n    comparison: ">"\n    threshold: 50\n',
        '    plan: core_tech\n    comparison: ">"\n    threshold: 60\n',
    )
    path = tmp_path / "programme.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_changed_programme_flows_into_the_targets_and_the_report(tmp_path, fixture_con, monkeypatch):
    path = changed_programme(tmp_path)
    programme = load_programme(path)
    assert (programme.start, programme.annual_budget_wan) == (2018, 150000)
    con = scored(
        tmp_path,
        years=(2018,),
        projects=[project("P", "2018-01-01", "2020-12-31")],
        disbursements=[pay("P", "2017-06-01", 100), pay("P", "2018-06-01", 200)],
    )
    score_year(con, 2018, load_rubric(), programme=programme)
    summarize_year(con, 2018, load_rubric(), programme=programme)
    targets = {
        r[0]: r[1:]
        for r in con.sql(
            "SELECT target, name_zh, measured, threshold, met FROM mart.program_target WHERE review_year = 2018"
        ).fetchall()
    }
    assert targets["core_tech_projects"][0] == "实施基础研究和技术攻关项目超60个"
    assert float(targets["core_tech_projects"][2]) == 60
    assert "annual_budget_2017" not in targets  # the period starts in 2018 now
    name, measured, threshold, met = targets["annual_budget_2018"]
    assert (name, float(measured), float(threshold), met) == ("2018 年安排资金 15 亿元", 200.0, 150000.0, False)
    budget = {
        r[0]: r[1]
        for r in con.sql(
            "SELECT payment_year, budget_wan FROM mart.disbursement_by_year WHERE review_year = 2018"
        ).fetchall()
    }
    assert budget[2017] is None and float(budget[2018]) == 150000

    monkeypatch.setenv("SCORECARD_PROGRAMME", str(path))
    html = html_of(fixture_con, DEFAULT_RUBRIC)
    assert "实施方案每年安排15亿元（150,000 万元）" in html and "1.5 billion CNY (150,000 万元) a year" in html
    # (the fixture warehouse's own mart.program_target rows still hold the old thresholds as data)
    assert "每年安排20亿元" not in html and "2 billion CNY" not in html
