"""Exact money, complete history, the programme as data (docs/scoring.md §10, docs/programme.md).

Hand-computed cases: amounts that net to exactly 0, rates exactly at a threshold from decimals and one
ten-thousandth either side, a year scored alone against the same year scored after its predecessors
(on the bundled data), rescoring and staleness, what-if schemas named by the rubric's hash.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import scoring_fixtures as fx  # the builders of warehouse rows: fx.project(...), fx.pay(...)
from scoring_fixtures import fetch, merged, reasons, review_row, scored, warehouse

from scorecard.contracts import DATASETS
from scorecard.ingest import load_dataset
from scorecard.programme import load_programme
from scorecard.review import score_year, stale_years
from scorecard.rubric import load_rubric
from scorecard.settings import DEFAULT_RUBRIC, PROJECT_ROOT
from scorecard.warehouse import build_warehouse

# --- exact money ---------------------------------------------------------------------------------------


def good_project(pid: str, payments: list[dict], fiscal: float = 0.0) -> dict:
    """An A project whatever its money: one milestone done on time (spi 15 + on time 5), an output target
    met (40) and experts at 95 (14.25): 74.25 of 75 points = 99.00 while E does not apply."""
    return dict(
        projects=[fx.project(pid, "2017-01-01", "2020-12-31")],
        milestones=[fx.ms(pid, "2018-06-30", done="2018-06-30")],
        disbursements=payments,
        progress_reports=[fx.report(pid, "2018Q4", fiscal=fiscal)],
        kpi_targets=[fx.target(pid, "patents_granted", 10, due="2018-06-30")],
        kpi_actuals=[fx.actual(pid, "patents_granted", "2018Q4", 10)],
        expert_reviews=fx.experts(pid, 2018, 95),
    )


def netting(pid: str, recovery: float) -> dict:
    paid = [
        fx.pay(pid, "2017-03-01", 12.3),
        fx.pay(pid, "2017-04-01", 45.6),
        fx.pay(pid, "2017-05-01", recovery, "recovery"),
    ]
    return good_project(pid, paid)


@pytest.fixture(scope="module")
def money(tmp_path_factory):
    data = merged(
        netting("ZERO", 57.9),  # 12.3 + 45.6 − 57.9 = 0 exactly: E does not apply
        netting("PLUS", 57.8999),  # D = +0.0001: E = 0 applies, low_execution
        netting("MINUS", 57.9001),  # D = −0.0001: E does not apply (a blocking quality error in a run)
        good_project("E30", [fx.pay("E30", "2017-03-01", 107.2)], fiscal=32.16),  # E = 0.3 exactly
        good_project("E2999", [fx.pay("E2999", "2017-03-01", 100)], fiscal=29.99),  # E = 0.2999
        good_project("E3001", [fx.pay("E3001", "2017-03-01", 100)], fiscal=30.01),  # E = 0.3001
        good_project("E80", [fx.pay("E80", "2017-03-01", 107.2)], fiscal=85.76),  # E = 0.8 exactly: full points
        good_project("OVER", [fx.pay("OVER", "2017-03-01", 100.01)], fiscal=100.02),  # fiscal = D + 0.01: no overspend
        good_project("OVER1", [fx.pay("OVER1", "2017-03-01", 100.01)], fiscal=100.0201),  # D + 0.0101: overspend
    )
    con = scored(tmp_path_factory.mktemp("money"), **data)
    yield con
    con.close()


def test_amounts_that_net_to_zero_leave_the_execution_rate_out(money):
    r = review_row(money, "ZERO", 2018)
    assert r["fund_execution_rate"] is None
    assert (r["total_score"], r["grade"], r["flags"], r["recommendation"]) == (99.0, "A", "", "rolling_support")
    assert reasons(money, "ZERO", 2018)["leaf:fund_execution"]["text_en"].startswith(
        "Fiscal fund execution: net disbursed 0.00"
    )


def test_one_ten_thousandth_of_net_disbursement_brings_the_rate_in(money):
    r = review_row(money, "PLUS", 2018)
    # E = 0 / 0.0001 = 0 applies: 74.25 of 80 points = 92.8125 → 92.81, and E < 0.3 after 365 days
    assert (r["fund_execution_rate"], r["total_score"], r["grade"]) == (0.0, 92.81, "A")
    assert (r["flags"], r["recommendation"]) == ("low_execution", "rectify")
    m = review_row(money, "MINUS", 2018)
    assert m["fund_execution_rate"] is None and (m["total_score"], m["flags"]) == (99.0, "")


def test_execution_rate_exactly_at_the_thresholds(money):
    assert review_row(money, "E30", 2018)["flags"] == ""  # 32.16 / 107.2 is 0.3: not < 0.3
    assert review_row(money, "E2999", 2018)["flags"] == "low_execution"
    assert review_row(money, "E3001", 2018)["flags"] == ""
    full = review_row(money, "E80", 2018)  # 85.76 / 107.2 = 0.8: exactly the full 5 points
    # 74.25 + 5 of 80 points = 99.0625 → 99.06
    assert full["score_process"] == 25.0 and full["total_score"] == 99.06
    assert "leaf:fund_execution" not in reasons(money, "E80", 2018)


def test_overspend_tolerance_is_exact(money):
    assert review_row(money, "OVER", 2018)["flags"] == ""
    assert review_row(money, "OVER1", 2018)["flags"] == "overspend"


def test_money_is_decimal_in_facts_and_marts(money):
    types = dict(
        money.sql(
            "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
            "WHERE column_name IN ('amount_wan', 'fiscal_spent_wan', 'clawback_wan', 'bac', 'signed_amount_wan')"
        ).fetchall()
    )
    assert types["fact_disbursement.amount_wan"] == "DECIMAL(18,4)"
    assert types["fact_progress.fiscal_spent_wan"] == "DECIMAL(18,4)"
    assert types["project_review.clawback_wan"] == "DECIMAL(18,4)"
    assert types["project_review.bac"] == "DECIMAL(18,4)"
    net = money.sql("SELECT sum(signed_amount_wan) FROM fact_disbursement WHERE project_id = 'ZERO'").fetchall()[0][0]
    assert net == Decimal("0")


def test_self_funding_rate_exactly_one_half_from_decimals(tmp_path):
    # f = 364/1095, self funding 109.5 → due 36.4; arrived 18.2 → R = 0.5 exactly (not < 0.5)
    con = scored(
        tmp_path,
        projects=[fx.project(p, "2018-01-01", "2020-12-31", self_funding=109.5) for p in ("R50", "R4999")],
        progress_reports=[
            fx.report("R50", "2018Q4", self_arrived=18.2),
            fx.report("R4999", "2018Q4", self_arrived=18.1999),
        ],
    )
    assert review_row(con, "R50", 2018)["flags"] == ""
    assert review_row(con, "R4999", 2018)["flags"] == "self_funds_gap"


def test_tcpi_is_undefined_once_the_budget_is_spent(tmp_path):
    con = scored(
        tmp_path,
        projects=[fx.project(p, "2018-01-01", "2020-12-31", approved=1000) for p in ("SPENT", "LEFT")],
        milestones=[fx.ms("SPENT", "2017-06-30", done="2018-03-01"), fx.ms("LEFT", "2018-06-30")],
        progress_reports=[fx.report("SPENT", "2018Q4", total=1000), fx.report("LEFT", "2018Q4", total=400)],
    )
    spent = review_row(con, "SPENT", 2018)
    assert spent["tcpi"] is None
    assert "evm:tcpi_undefined" in reasons(con, "SPENT", 2018)
    # a milestone planned before the start counts from the start: no negative earned schedule
    assert spent["es_days"] == 0.0
    left = review_row(con, "LEFT", 2018)
    assert left["tcpi"] == pytest.approx(1000 / 600) and "evm:tcpi_undefined" not in reasons(con, "LEFT", 2018)


# --- complete history ----------------------------------------------------------------------------------


def history_data() -> dict:
    """VETO: vetoed in 2017 (terminated). RECT: C in 2017 (rectify) and C in 2018 → terminate in 2018."""
    return dict(
        projects=[fx.project(p, "2017-01-01", "2020-12-31") for p in ("VETO", "RECT")],
        kpi_targets=[fx.target("RECT", "patents_granted", 100, due="2017-06-30")],
        kpi_actuals=[fx.actual("RECT", "patents_granted", "2017Q4", 70)],
        expert_reviews=[
            *fx.experts("RECT", 2017, 70),
            *fx.experts("RECT", 2018, 70),
            fx.expert("VETO", 2017, 90, veto=True),
            *fx.experts("VETO", 2018, 95),
        ],
    )


def test_a_year_scored_alone_is_scored_on_its_history(tmp_path):
    con = scored(tmp_path, years=(2018,), first_review_year=2017, **history_data())
    years = [r["review_year"] for r in fetch(con, "SELECT DISTINCT review_year FROM mart.project_review ORDER BY 1")]
    assert years == [2017, 2018]  # 2017 was scored first
    assert fetch(con, "SELECT project_id FROM mart.project_review WHERE review_year = 2018") == [{"project_id": "RECT"}]
    assert review_row(con, "RECT", 2018)["recommendation"] == "terminate"  # rectify last year, C again
    assert reasons(con, "RECT", 2018)["recommendation:terminate"]["numbers"].count('"rule":"terminate:not_rectified"')


def test_score_year_says_which_history_it_scored(tmp_path):
    con = warehouse(tmp_path)
    from scoring_fixtures import add, build

    for name, rows in history_data().items():
        add(con, name, rows)
    build(con)
    meta = score_year(con, 2019, load_rubric())
    assert meta["history_scored"] == [2017, 2018] and meta["stale_years"] == []
    # rescoring 2018 makes 2019 stale; scoring 2019 again makes it current
    assert score_year(con, 2018, load_rubric())["stale_years"] == [2019]
    assert stale_years(con) == [2019]
    score_year(con, 2019, load_rubric())
    assert stale_years(con) == []


def test_a_recorded_decision_changed_after_scoring_shows_in_the_rescore(tmp_path):
    data = history_data()
    data["review_decisions"] = [fx.decision("RECT", 2017, "rolling_support")]  # the department kept funding it
    con = scored(tmp_path, years=(2017, 2018), first_review_year=2017, **data)
    assert review_row(con, "RECT", 2018)["recommendation"] == "rectify"  # not terminated: no rectify last year


@pytest.fixture(scope="module")
def bundle_copy(tmp_path_factory):
    """The bundled data loaded into a fresh warehouse file (raw + star schema, no marts)."""
    folder = tmp_path_factory.mktemp("bundle")
    con = warehouse(folder)
    for dataset in DATASETS.values():
        load_dataset(con, dataset, PROJECT_ROOT / "data" / "raw")
    build_warehouse(con)
    con.close()
    return folder / "scorecard.duckdb"


def rows_of(db: Path, year: int) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(
            "SELECT * EXCLUDE (rubric_sha256) FROM mart.project_review WHERE review_year = ? ORDER BY project_id",
            params=[year],
        ).fetchall()


@pytest.mark.parametrize("alone", [2018, 2019])
def test_bundle_year_alone_equals_the_year_after_its_predecessors(bundle_copy, tmp_path, alone):
    import duckdb

    in_order, by_itself = tmp_path / "in-order.duckdb", tmp_path / "alone.duckdb"
    shutil.copy(bundle_copy, in_order)
    shutil.copy(bundle_copy, by_itself)
    rubric = load_rubric()
    with duckdb.connect(str(in_order)) as con:
        for year in range(2017, alone + 1):
            score_year(con, year, rubric)
    with duckdb.connect(str(by_itself)) as con:
        assert score_year(con, alone, rubric)["history_scored"] == list(range(2017, alone))
    expected = rows_of(in_order, alone)
    assert len(expected) > 250
    assert rows_of(by_itself, alone) == expected


# --- what-if schemas and the programme file ----------------------------------------------------------------


def test_two_what_if_rubrics_with_one_version_get_two_schemas(tmp_path):
    from assets.review import RubricSelection, resolve_rubric
    from pipelines.resources import ScorecardPaths

    paths = ScorecardPaths(raw_dir=str(tmp_path), reports_dir=str(tmp_path), rubric=str(DEFAULT_RUBRIC))
    text = DEFAULT_RUBRIC.read_text(encoding="utf-8").replace('version: "v1"', 'version: "trial"')
    one, two = tmp_path / "one.yaml", tmp_path / "two.yaml"
    one.write_text(text, encoding="utf-8")
    two.write_text(text.replace("  grace_days: 30 ", "  grace_days: 45 "), encoding="utf-8")
    s1 = resolve_rubric(RubricSelection(rubric=str(one)), paths)[1]
    s2 = resolve_rubric(RubricSelection(rubric=str(two)), paths)[1]
    assert s1.startswith("whatif_trial_") and s2.startswith("whatif_trial_") and s1 != s2
    assert resolve_rubric(RubricSelection(), paths)[1] == "mart"


def test_programme_file_is_validated_with_the_key_named(tmp_path):
    from scorecard.programme import ProgrammeError

    bad = tmp_path / "p.yaml"
    text = (PROJECT_ROOT / "programmes" / "shenzhen-2017.yaml").read_text(encoding="utf-8")
    bad.write_text(text.replace("plan: core_tech", "plan: core_technology"), encoding="utf-8")
    with pytest.raises(ProgrammeError, match=r"targets\[0\]\.plan: 'core_technology' is not a support plan"):
        load_programme(bad)
    bad.write_text(text.replace("超{threshold}个", "超50个"), encoding="utf-8")
    with pytest.raises(ProgrammeError, match="states the number 50"):
        load_programme(bad)
