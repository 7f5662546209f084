"""The overall evaluation (docs/programme-management.md §6): the cohort table by hand, and the whole-period
chapter in the report of the programme's last year (read from the programme file) and later, never before."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pytest
from programme_fixtures import marts, project, review, run
from report_fixtures import build_fixture_warehouse

from scorecard.programme import load_programme
from scorecard.programme_management import analyse_year, overall_in_scope
from scorecard.report.build import render
from scorecard.report.i18n import I18n
from scorecard.report.method import method_context
from scorecard.rubric import load_rubric
from scorecard.settings import DEFAULT_RUBRIC, get_settings


def programme_ending(tmp_path: Path, end: int):
    """The bundled programme file with another last year."""
    text = get_settings().programme.read_text(encoding="utf-8")
    path = tmp_path / f"programme-{end}.yaml"
    path.write_text(re.sub(r"(?m)^  end: 2019\b", f"  end: {end}", text), encoding="utf-8")
    programme = load_programme(path)
    assert programme.end == end
    return programme


def test_the_chapter_starts_in_the_programmes_last_year(tmp_path):
    bundled = load_programme()
    assert bundled.end == 2019
    assert [overall_in_scope(y, bundled) for y in (2017, 2018, 2019, 2020)] == [False, False, True, True]
    longer = programme_ending(tmp_path, 2020)
    assert [overall_in_scope(y, longer) for y in (2019, 2020, 2021)] == [False, True, True]


def test_cohorts_by_latest_status(tmp_path):
    con = marts(tmp_path)
    project(con, "T1", approval_year=2017, approved=1000)  # recommended terminate in 2018
    project(con, "T2", approval_year=2017, approved=500, end="2021-06-30")  # left the review in 2019 before its end
    project(con, "E1", approval_year=2017, approved=300, end="2019-06-30")  # ended: acceptance review
    project(con, "A1", approval_year=2018, approved=200)
    project(con, "A2", approval_year=2018, approved=100)
    project(con, "B1", approval_year=2019, approved=50)
    review(con, "T1", 2017, grade="C", total=65, recommendation="rectify")
    review(con, "T1", 2018, grade="D", total=50, recommendation="terminate")
    review(con, "T2", 2018, grade="C", total=62, recommendation="rectify")
    review(con, "E1", 2018, grade="B", total=84, recommendation="rolling_support")
    review(con, "E1", 2019, grade="B", total=86, recommendation="acceptance_review", status="ended")
    review(con, "A1", 2019, grade="A", total=93, recommendation="rolling_support")
    review(con, "A2", 2018, grade="A", total=91, recommendation="rolling_support")
    review(con, "A2", 2019, grade="C", total=70, recommendation="rectify")
    review(con, "B1", 2019, grade="insufficient", total=None, recommendation="rectify")
    rows = {
        (r["approval_year"], r["latest_status"]): (r["projects"], float(r["approved_wan"]))
        for r in run(con, "cohort", 2019)
    }
    assert rows == {
        (2017, "terminated"): (2, 1500.0),
        (2017, "accepted"): (1, 300.0),
        (2018, "active_A"): (1, 200.0),
        (2018, "active_C"): (1, 100.0),
        (2019, "active_insufficient"): (1, 50.0),
    }
    # at 2018, T2 was still under review and E1 active: the table is as of its year
    rows_2018 = {(r["approval_year"], r["latest_status"]): r["projects"] for r in run(con, "cohort", 2018)}
    assert rows_2018 == {(2017, "terminated"): 1, (2017, "active_C"): 1, (2017, "active_B"): 1, (2018, "active_A"): 1}


@pytest.fixture(scope="module")
def report_con():
    con = duckdb.connect()
    build_fixture_warehouse(con)
    rubric = load_rubric(DEFAULT_RUBRIC)
    for year in (2018, 2019):
        analyse_year(con, year, rubric)
    return con


def html_of(con, year: int, programme=None) -> str:
    i18n = I18n("zh+en")
    method = method_context(DEFAULT_RUBRIC, i18n)
    if programme is not None:
        method["programme"] = programme
    html, _, _ = render(con, year, i18n, "html", method, [], "test", dt.datetime(2020, 1, 15, tzinfo=dt.UTC))
    return html


def test_the_last_year_report_has_the_overall_chapter_and_the_year_before_not(report_con):
    last, before = html_of(report_con, 2019), html_of(report_con, 2018)
    for html in (last, before):  # follow-through, adjustment and the budget scenario: every year
        for section in ("s8-1", "s8-2", "s8-3"):
            assert f'id="{section}"' in html
        assert "【情景测算】" in html and "[Scenario]" in html
    assert '<section class="chapter" id="s9">' in last
    assert "九、专项总体评估 / 9. Overall evaluation of the programme" in last and "专项实施期为 2017–2019 年" in last
    assert '<a href="#s9">' in last  # in the table of contents
    assert 'id="s9"' not in before and "专项总体评估" not in before
    # the cohort table of the fixture: the 2019 report counts the 12 projects reviewed in 2018 or 2019
    cohort = re.search(r'id="s9-3".*?<tbody>(.*?)</tbody>', last, re.DOTALL).group(1)
    totals = [
        int(row[-1])
        for row in (re.findall(r"<td[^>]*>([^<]*)</td>", tr) for tr in re.findall(r"<tr>(.*?)</tr>", cohort))
    ]
    assert (
        sum(totals)
        == report_con.sql(
            "SELECT count(DISTINCT project_id) FROM mart.project_review WHERE review_year <= 2019"
        ).fetchall()[0][0]
        == 12
    )


def test_the_last_year_is_read_from_the_programme_file(report_con, tmp_path):
    ending_2018 = programme_ending(tmp_path, 2018)
    assert "专项实施期为 2017–2018 年" in html_of(report_con, 2018, ending_2018)
    assert 'id="s9"' not in html_of(report_con, 2019, programme_ending(tmp_path, 2020))


def test_the_five_assets_are_in_the_annual_review_job_with_their_checks():
    import dagster as dg

    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    names = ["follow_through", "portfolio_adjustment", "budget_scenario", "overall_evaluation", "manager_portfolio"]
    job = defs.resolve_job_def("annual_review_job")
    selected = {k.to_user_string() for k in job.asset_layer.selected_asset_keys}
    assert "raw/projects" not in selected
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    for name in names:
        node = graph.get(dg.AssetKey(name))
        assert node.group_name == "programme_management" and node.partitions_def is not None
        assert name in selected
        assert (name, "expectations") in checks
    report = graph.get(dg.AssetKey("performance_report"))
    assert {dg.AssetKey(n) for n in names} <= set(report.parent_keys)  # the report reads them: they run first
