"""Project managers (docs/programme-management.md §7): mart.manager_portfolio by hand, its XLSX sheet, and
the manager filter of the project drill-down dashboard in real Chromium."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from conftest import CHROMIUM_ARGS, CHROMIUM_PATH
from programme_fixtures import marts, milestone, project, review, run

from dashboards.pages import projects as projects_page
from scorecard.report.data import GRADE_COLUMNS

YEAR = 2019


@pytest.fixture
def con(tmp_path):
    con = marts(tmp_path)
    project(con, "P1", manager="张三")
    project(con, "P2", manager="张三")
    project(con, "P3", manager="李四")
    project(con, "P4", manager="")
    project(con, "P5", manager=None)
    project(con, "P6", manager="王五")  # reviewed in 2018 only
    review(con, "P1", YEAR, grade="A", total=93, recommendation="rolling_support")
    review(con, "P2", YEAR, grade="C", total=61, recommendation="rectify", flags="low_execution,stalled", warnings=2)
    review(con, "P3", YEAR, grade="D", total=45, recommendation="terminate", flags="stalled", warnings=1)
    review(
        con, "P4", YEAR, grade="insufficient", total=None, recommendation="rectify", flags="missing_report", warnings=1
    )
    review(con, "P5", YEAR, grade="B", total=85, recommendation="rolling_support")
    review(con, "P6", 2018, grade="B", total=85, recommendation="rolling_support")
    milestone(con, "P2", YEAR, 1, due=True, done=False)
    milestone(con, "P2", YEAR, 2, due=True, done=True)
    milestone(con, "P2", YEAR, 3, due=False, done=False)
    milestone(con, "P3", YEAR, 1, due=True, done=False)
    milestone(con, "P4", YEAR, 1, due=True, done=False)
    return con


COLUMNS = (
    "projects",
    *GRADE_COLUMNS,
    "flagged",
    "problem_projects",
    "signals",
    "overdue_milestones",
)


def test_manager_portfolio_by_hand(con):
    rows = {r["project_manager"]: tuple(r[c] for c in COLUMNS) for r in run(con, "managers", YEAR)}
    assert rows == {
        "张三": (2, 1, 0, 1, 0, 0, 1, 1, None, 1),
        "李四": (1, 0, 0, 0, 1, 0, 1, 0, None, 1),
        "(未指定)": (2, 0, 1, 0, 0, 1, 1, 0, None, 1),  # an empty and a missing manager
    }


def test_signals_are_counted_once_that_analysis_has_run(con):
    con.execute(
        "CREATE TABLE mart.review_signal (project_id VARCHAR, review_year INTEGER, signal VARCHAR, evidence VARCHAR, "
        "text_zh VARCHAR, text_en VARCHAR)"
    )
    con.executemany(
        "INSERT INTO mart.review_signal VALUES (?, ?, ?, '{}', '', '')",
        [
            ("P1", YEAR, "year_end_rush"),
            ("P2", YEAR, "duplicate_evidence"),
            ("P2", YEAR, "duplicate_evidence"),
            ("P2", 2018, "copied_summary"),
            ("P5", YEAR, "expert_disagreement"),
        ],
    )
    rows = {r["project_manager"]: r["signals"] for r in run(con, "managers", YEAR)}
    assert rows == {"张三": 3, "李四": 0, "(未指定)": 1}


def _payload(html: str) -> dict:
    return json.loads(
        re.search(r'<script type="application/json" id="payload">(.*?)</script>', html, re.DOTALL).group(1)
    )


@pytest.mark.skipif(not shutil.which(CHROMIUM_PATH), reason="needs Debian's chromium (apt-get install chromium)")
def test_the_drilldown_filters_by_manager(con, tmp_path):
    from playwright.sync_api import sync_playwright

    run(con, "managers", YEAR)
    html = projects_page(con, YEAR, "zh+en")
    data = _payload(html)
    assert data["managers"]["张三"]["problem_projects"] == 1
    assert sorted(p["project_manager"] for p in data["projects"]) == ["(未指定)", "(未指定)", "张三", "张三", "李四"]
    page_file = tmp_path / "projects.html"
    page_file.write_text(html, encoding="utf-8")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(page_file.as_uri())
            assert page.locator("#f-manager option").all_inner_texts() == ["全部 / All", "(未指定)", "张三", "李四"]
            assert page.locator("#pick option").count() == 5
            page.select_option("#f-manager", "张三")
            assert [t.split()[0] for t in page.locator("#pick option").all_inner_texts()] == ["P1", "P2"]
            assert "考核项目 2 个，有预警 1 个，潜在问题项目 1 个，逾期节点 1 个" in page.inner_text("#manager-line")
            assert "张三" in page.inner_text("#info")
            page.select_option("#f-manager", "李四")
            assert [t.split()[0] for t in page.locator("#pick option").all_inner_texts()] == ["P3"]
            page.select_option("#f-manager", "")
            assert page.locator("#pick option").count() == 5
            assert page.inner_text("#manager-line") == ""
        finally:
            browser.close()
