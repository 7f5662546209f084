"""Both analyses of docs/analytics.md on the bundled data (data/raw), scored 2017–2019 with the official rubric:
`base` reproduces every official row, every signal kind appears, the planted signals are where
data/bundle-summary.json says, and the clean generator's references never collide between projects."""

from __future__ import annotations

import json
import shutil

import pytest

from scorecard.analytics import robustness_year, signals_year
from scorecard.rubric import load_rubric
from scorecard.settings import PROJECT_ROOT

SUMMARY = json.loads((PROJECT_ROOT / "data" / "bundle-summary.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """The bundled data, ingested and scored for 2017–2019 with the official rubric, then analysed."""
    from scorecard.contracts import DATASETS
    from scorecard.db import connect
    from scorecard.ingest import load_dataset
    from scorecard.review import score_year
    from scorecard.warehouse import build_warehouse, create_raw_tables

    tmp = tmp_path_factory.mktemp("bundle")
    raw = tmp / "raw"
    shutil.copytree(PROJECT_ROOT / "data" / "raw", raw)
    con = connect(tmp / "bundle.duckdb")
    create_raw_tables(con)
    for dataset in DATASETS.values():
        load_dataset(con, dataset, raw)
    build_warehouse(con)
    rubric = load_rubric()
    results = {}
    for year in (2017, 2018, 2019):
        score_year(con, year, rubric)
        results[year] = (robustness_year(con, year, rubric), signals_year(con, year, rubric))
    yield con, results
    con.close()


def test_base_reproduces_every_official_row_of_the_bundle(bundle):
    con, results = bundle
    n, same = con.sql(
        """SELECT count(*),
                  count(*) FILTER (WHERE s.total_score IS NOT DISTINCT FROM r.total_score AND s.grade = r.grade
                                   AND s.recommendation = r.recommendation)
           FROM mart.project_review AS r
           LEFT JOIN mart.decision_sensitivity AS s
             ON s.project_id = r.project_id AND s.review_year = r.review_year AND s.scenario = 'base'"""
    ).fetchall()[0]
    assert n == same == sum(r["robustness_rows"] for r, _ in results.values()) == 815
    robust = con.sql(
        """SELECT count(*) FROM mart.decision_robustness AS d JOIN mart.project_review AS r USING (project_id, review_year)
           WHERE d.total_score IS NOT DISTINCT FROM r.total_score AND d.grade = r.grade AND d.recommendation = r.recommendation"""
    ).fetchall()[0][0]
    assert robust == n
    # fragile means what it says, on every row; flip_to is empty exactly when nothing changes the decision
    bad = con.sql(
        """SELECT count(*) FROM mart.decision_robustness
           WHERE fragile <> (oat_flips >= 1 OR random_share_kept < 0.9)
              OR (flip_to IS NULL) <> (oat_flips = 0 AND random_share_kept = 1)"""
    ).fetchall()[0][0]
    assert bad == 0


def test_bundled_fragile_decisions(bundle):
    con, results = bundle
    # the figures docs/analytics.md quotes for the bundle
    assert {y: r["fragile"] for y, (r, _) in results.items()} == {
        2017: {"rectify": 4, "rolling_support": 2, "terminate": 1},
        2018: {"rectify": 5, "rolling_support": 8, "terminate": 1},
        2019: {"rectify": 8, "rolling_support": 4},
    }
    row = con.sql(
        "SELECT project_id, grade, total_score, margin_points, oat_flips, flip_to FROM mart.decision_robustness "
        "WHERE review_year = 2018 AND fragile AND recommendation = 'terminate'"
    ).fetchall()
    # 58.51 → D → terminate; 1.49 below the C band, one one-at-a-time scenario lifts it to C → rectify
    assert row == [("SZ2017-CT-0008", "D", 58.51, -1.49, 1, "rectify")]


def test_every_signal_kind_appears_in_the_bundle(bundle):
    _, results = bundle
    signals = results[2019][1]["signals"]
    assert all(n > 0 for n in signals.values()), signals
    assert signals["duplicate_evidence"] == 5 and signals["copied_summary"] == 3 and signals["undertaker_cluster"] == 2


def test_planted_signals_are_where_the_summary_says(bundle):
    con, _ = bundle
    planted = SUMMARY["planted_signals"]
    assert {p["signal"] for p in planted} == {"duplicate_evidence", "copied_summary", "undertaker_cluster"}
    for p in planted:
        year = p.get("year", 2019)
        rows = con.sql(
            "SELECT evidence FROM mart.review_signal WHERE review_year = ? AND signal = ? AND project_id = ?",
            params=[year, p["signal"], p["project_id"]],
        ).fetchall()
        others = {o for (ev,) in rows for o in json.loads(ev)["other_projects"]}
        assert p["other_project"] in others, p
    # the messy spellings of one reference are one reference
    dup = [p for p in planted if p["signal"] == "duplicate_evidence"]
    assert "ＺＬ" in dup[1]["evidence_ref"] and " " in dup[0]["evidence_ref"] and "-" in dup[2]["evidence_ref"]


def test_clean_generator_references_never_collide(tmp_path):
    import polars as pl

    from scorecard.generate import generate

    generate(tmp_path, projects=300, seed=3)
    kpi = pl.read_csv(tmp_path / "kpi_actuals.csv", infer_schema_length=None)
    refs = kpi.filter(pl.col("evidence_ref").is_not_null())
    assert refs.height > 100
    assert set(refs["indicator"].unique()) <= {"patents_granted", "software_copyrights", "standards"}
    assert (refs.group_by("evidence_ref").agg(pl.col("project_id").n_unique())["project_id"] == 1).all()
    assert kpi.filter(pl.col("value") == 0)["evidence_ref"].null_count() == kpi.filter(pl.col("value") == 0).height


# --- the dashboards, in a real browser --------------------------------------------------------------------------


def test_board_and_drilldown_show_robustness_and_signals(bundle, tmp_path, chromium_args):
    from pathlib import Path

    from conftest import CHROMIUM_PATH
    from playwright.sync_api import sync_playwright

    from dashboards.pages import projects, recommendations

    if not Path(CHROMIUM_PATH).exists():
        pytest.skip(f"{CHROMIUM_PATH} is not installed (Debian package chromium)")
    con, _ = bundle
    fragile = con.sql("SELECT count(*) FROM mart.decision_robustness WHERE review_year = 2019 AND fragile").fetchall()[
        0
    ][0]
    flagged = con.sql(
        "SELECT project_id FROM mart.review_signal WHERE review_year = 2019 AND signal = 'copied_summary' ORDER BY 1 LIMIT 1"
    ).fetchall()[0][0]
    board, drill = tmp_path / "board.html", tmp_path / "projects.html"
    board.write_text(recommendations(con, 2019, "zh+en"), encoding="utf-8")
    drill.write_text(projects(con, 2019, "zh+en", cap=1000), encoding="utf-8")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM_PATH, args=chromium_args)
        page = browser.new_page()
        page.goto(board.as_uri())
        page.wait_for_selector(".item")
        assert page.locator(".item .fragile").count() == fragile == 12
        page.check("#f-fragile")
        assert page.locator(".item").count() == fragile
        page.uncheck("#f-fragile")
        assert page.locator(".item .sig").count() >= 100  # projects with signals are marked on their cards
        page.goto(drill.as_uri())
        page.fill("#search", flagged)
        page.wait_for_selector("#info .sig")
        info = page.inner_text("#info")
        assert "进展报告雷同" in info and "疑点线索" in info
        assert "距等级分界" in info and "随机权重保持" in info
        browser.close()


# --- the report -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundle_report(bundle, tmp_path_factory):
    """The 2018 and 2019 deliverables of the bundle (the programme summary first, as the run does)."""
    from scorecard.report.build import build_report
    from scorecard.review import summarize_year
    from scorecard.settings import DEFAULT_RUBRIC

    con, _ = bundle
    out = tmp_path_factory.mktemp("reports")
    rubric = load_rubric()
    for year in (2017, 2018, 2019):
        summarize_year(con, year, rubric)
    return {year: build_report(con, year, out, lang="zh+en", rubric_path=DEFAULT_RUBRIC) for year in (2018, 2019)}


def _html(result) -> str:
    return result["paths"]["html"].read_text(encoding="utf-8")


def test_report_has_the_robustness_section_with_every_fragile_termination(bundle_report):
    html = _html(bundle_report[2018])
    assert "决策稳健性分析" in html and "Robustness of decisions" in html
    # 2018: 14 of 287 decisions fragile, one of them a termination, named with what it flips to
    assert "2018年度 287 项决定中，273 项稳健，14 项不稳健" in html
    row = (
        '<tr><td class="">SZ2017-CT-0008</td><td class="">协作型服务机器人关键技术研发</td><td class="">中止淘汰</td>'
        '<td class="">差</td><td class="num">58.51</td><td class="num">-1.49</td><td class="num">1</td>'
        '<td class="num">94.0%</td><td class="">限期整改</td></tr>'
    )
    assert html.count(row) == 1  # the one fragile termination, by name, and what it flips to
    html19 = _html(bundle_report[2019])
    assert "中止淘汰和暂停拨款的决定均稳健" in html19 and "Every termination and funding suspension is robust" in html19


def test_report_has_the_signals_section_per_kind(bundle_report):
    html = _html(bundle_report[2019])
    assert "疑点线索" in html and "Signals for follow-up" in html
    for zh, _ in __import__("scorecard.codes", fromlist=["SIGNALS"]).SIGNALS.values():
        assert zh in html
    assert "2019年度共发现线索 109 条" in html
    assert "佐证编号 ZL2017CT00050" in html  # the planted duplicate, normalised, in the list


def test_xlsx_has_both_sheets(bundle_report):
    from openpyxl import load_workbook

    book = load_workbook(bundle_report[2019]["paths"]["xlsx"], read_only=True)
    assert "决策稳健性 Robustness" in book.sheetnames and "疑点线索 Signals" in book.sheetnames
    robust = list(book["决策稳健性 Robustness"].iter_rows(min_row=4, values_only=True))
    signals = list(book["疑点线索 Signals"].iter_rows(min_row=4, values_only=True))
    assert len(robust) == 376 and len(signals) == 109
