"""The mid-term review scoring engine (docs/scoring.md) on tiny real warehouses: every number below is
worked out by hand in the comment next to it."""

from __future__ import annotations

import json

import pytest
from scoring_fixtures import (
    actual,
    decision,
    expert,
    experts,
    fetch,
    ms,
    pay,
    project,
    reasons,
    report,
    review_row,
    scored,
    target,
)

from scorecard.review import score_year
from scorecard.rubric import load_rubric
from scorecard.settings import DEFAULT_RUBRIC

A = "2018-12-31"  # as-of date of review year 2018


def approx4(x: float):
    return pytest.approx(x, abs=5e-5)


# --- §8 worked example --------------------------------------------------------------------------------


def worked_example() -> dict:
    return dict(
        projects=[project("P", "2018-01-01", "2020-12-31", approved=1000, self_funding=500)],
        milestones=[
            ms("P", "2018-06-30", 1, done="2018-07-20"),
            ms("P", "2018-12-01", 1),
            ms("P", "2019-06-30", 2),
        ],
        disbursements=[pay("P", "2018-02-01", 600)],
        progress_reports=[report("P", "2018Q4", fiscal=420, self_arrived=120, total=560)],
        kpi_targets=[target("P", "patents_granted", 10), target("P", "revenue", 3000)],
        kpi_actuals=[actual("P", "patents_granted", "2018Q4", 2), actual("P", "revenue", "2018Q4", 1200)],
        expert_reviews=experts("P", 2018, 70, 80, 85, 90, 95),
    )


def test_worked_example(tmp_path):
    con = scored(tmp_path, **worked_example())
    r = review_row(con, "P", 2018)
    assert str(r["as_of_date"]) == A and r["status"] == "active"
    assert r["elapsed_fraction"] == approx4(364 / 1095)  # 0.3324
    assert r["spi"] == approx4(0.5)
    assert r["on_time_rate"] == approx4(0.5)
    assert r["fund_execution_rate"] == approx4(0.7)
    assert r["self_funding_arrival_rate"] == approx4(0.7220)
    # §8 prints 0.6017 because it rounds f to 0.3324 first (x = 3.324, 2 / 3.324 = 0.60168); §9 says no
    # intermediate value is rounded: x = 10 × 364/1095 = 3.32420, r = 0.601648 → 0.6016 to 4 decimals.
    assert r["output_achievement"] == pytest.approx(2 / (10 * 364 / 1095), abs=1e-12)
    assert r["output_achievement"] == pytest.approx(0.6017, abs=1e-4)
    assert r["outcome_achievement"] == approx4(1.0)
    assert r["expert_score"] == approx4(85.0)
    # points: 7.5 + 2.5 + 4.375 + 3.610 = 17.985; 24.07; 15; 12.75
    assert r["score_process"] == pytest.approx(17.985, abs=1e-3)
    assert r["score_output"] == pytest.approx(24.066, abs=1e-3)
    assert r["score_outcome"] == approx4(15.0)
    assert r["score_expert"] == approx4(12.75)
    assert r["coverage"] == 1.0
    assert r["total_score"] == 69.80
    assert (r["grade"], r["flags"], r["recommendation"], r["clawback_wan"]) == ("C", "", "rectify", 0.0)
    assert (r["bac"], r["pv"], r["ev"], r["ac"]) == (1500, 750, 375, 560)
    assert r["cpi"] == approx4(0.6696)
    assert r["eac"] == approx4(2240.0)
    assert r["tcpi"] == approx4(1.1968)  # 1125 / 940
    assert r["es_days"] == approx4(180.0)
    assert r["spi_t"] == approx4(0.4945)  # 180 / 364
    assert r["prev_grade"] is None and r["prev_recommendation"] is None
    rubric = load_rubric()
    assert (r["rubric_version"], r["rubric_sha256"]) == ("v1", rubric.sha256)

    why = reasons(con, "P", 2018)
    assert why["leaf:spi"]["text_zh"].startswith("节点进度 SPI 0.50 < 1（应完成节点 2 个，已完成 1 个）")
    assert why["leaf:spi"]["text_en"].startswith("Milestone progress SPI 0.50 < 1 (due 2 milestones, done 1)")
    assert json.loads(why["leaf:spi"]["numbers"]) == {
        "spi": 0.5,
        "due": 2,
        "done": 1,
        "points": 7.5,
        "max_points": 15.0,
    }
    assert "4.38 / 5" in why["leaf:fund_execution"]["text_zh"]  # 4.375 shown half away from zero
    assert why["grade:C"]["text_zh"] == "总分 69.80，等级为“中”（60 ≤ 总分 < 80）"
    assert why["recommendation:rectify"]["text_en"] == "Rectify within a deadline: grade C"
    # outcome got full points: no reason for it; no flag reasons
    assert "leaf:outcome" not in why and not [k for k in why if k.startswith("flag:")]


# --- §3–4 grade bands on the rounded total ---------------------------------------------------------


def exact_score_project(pid: str, q: float, start: str = "2017-01-01", end: str = "2020-12-31", **kw) -> dict:
    """Only two leaves apply (output 40 + expert 15, coverage 0.55), both at ratio q, so the total is
    exactly 100 × q: an output target due before A with actual q × 100, one expert scoring q × 100."""
    return dict(
        projects=[project(pid, start, end, **kw)],
        kpi_targets=[target(pid, "patents_granted", 100, due="2018-06-30")],
        kpi_actuals=[actual(pid, "patents_granted", "2018Q4", q * 100)],
        expert_reviews=[expert(pid, 2018, q * 100)],
        progress_reports=[report(pid, "2018Q4")],
    )


BOUNDARIES = [
    # (q, total, grade, recommendation)
    (0.90, 90.00, "A", "rolling_support"),
    (0.8999, 89.99, "B", "rolling_support"),
    (0.89995, 90.00, "A", "rolling_support"),  # 89.995 → 90.00 (half away from zero), then A (§9)
    (0.80, 80.00, "B", "rolling_support"),
    (0.7999, 79.99, "C", "rectify"),
    (0.60, 60.00, "C", "rectify"),
    (0.5999, 59.99, "D", "terminate"),
    (0.59995, 60.00, "C", "rectify"),
    (0.59994, 59.99, "D", "terminate"),
]


@pytest.fixture(scope="module")
def boundary_warehouse(tmp_path_factory):
    """One warehouse holding a project per boundary case (one build keeps the tests fast)."""
    data: dict = {}
    for i, (q, *_rest) in enumerate(BOUNDARIES):
        for key, rows in exact_score_project(f"G{i}", q).items():
            data.setdefault(key, []).extend(rows)
    con = scored(tmp_path_factory.mktemp("bands"), **data)
    yield con
    con.close()


@pytest.mark.parametrize(("i", "case"), list(enumerate(BOUNDARIES)), ids=[str(b[0]) for b in BOUNDARIES])
def test_grade_boundaries(boundary_warehouse, i, case):
    _q, total, grade, recommendation = case
    r = review_row(boundary_warehouse, f"G{i}", 2018)
    assert r["coverage"] == pytest.approx(0.55)
    assert (r["total_score"], r["grade"], r["flags"], r["recommendation"]) == (total, grade, "", recommendation)
    assert r["score_process"] is None and r["spi"] is None and r["fund_execution_rate"] is None
    # no disbursement, no report spending: nothing to claw back even when terminated
    assert r["clawback_wan"] == 0.0


def test_coverage_below_half_is_insufficient_but_total_reported(tmp_path):
    # only spi (15), on_time (5) and expert (15) apply: coverage 0.35; spi 1 → 15, on time 1/1 → 5,
    # expert 50 → 7.5; total 100 × 27.5 / 35 = 78.571 → 78.57
    con = scored(
        tmp_path,
        projects=[project("I", "2018-01-01", "2020-12-31")],
        milestones=[ms("I", "2018-06-30", done="2018-06-30"), ms("I", "2019-06-30")],
        expert_reviews=[expert("I", 2018, 50)],
        progress_reports=[report("I", "2018Q4")],
    )
    r = review_row(con, "I", 2018)
    assert r["coverage"] == pytest.approx(0.35)
    assert (r["total_score"], r["grade"], r["recommendation"]) == (78.57, "insufficient", "rectify")
    why = reasons(con, "I", 2018)
    assert why["grade:insufficient"]["text_en"].startswith("Coverage 0.35 < 0.50")
    # not-applicable leaves are explained
    assert "not applicable" in why["leaf:output"]["text_en"]


def test_coverage_exactly_half_is_graded_and_zero_coverage_has_no_total(tmp_path):
    # H: output 40 + fund execution 5 + self funding 5 = 50 points → coverage 0.5 (not < 0.5) → graded.
    #   output 1 → 40; E = 80/100 = 0.8 → 5; R: f = 364/1095, expected 1095 × f = 364, arrived 364 → 5.
    # Z: nothing applies (no milestone, no KPI, no money, no expert) → coverage 0, total NULL.
    con = scored(
        tmp_path,
        projects=[
            project("H", "2018-01-01", "2020-12-31", self_funding=1095),
            project("Z", "2018-01-01", "2020-12-31"),
        ],
        kpi_targets=[target("H", "papers", 4, due="2018-12-31")],
        kpi_actuals=[actual("H", "papers", "2018Q3", 5)],
        disbursements=[pay("H", "2018-03-01", 100)],
        progress_reports=[report("H", "2018Q4", fiscal=80, self_arrived=364), report("Z", "2018Q4")],
    )
    h = review_row(con, "H", 2018)
    assert h["coverage"] == 0.5 and h["total_score"] == 100.0 and h["grade"] == "A"
    assert h["self_funding_arrival_rate"] == pytest.approx(1.0)
    z = review_row(con, "Z", 2018)
    assert (z["coverage"], z["total_score"], z["grade"]) == (0.0, None, "insufficient")
    assert z["score_process"] is None and z["score_output"] is None and z["score_expert"] is None


# --- veto ----------------------------------------------------------------------------------------------


def test_veto_makes_d_terminate_and_clawback_also_when_ended(tmp_path):
    data = exact_score_project("V", 0.95)  # would be 95 → A
    data["projects"] += [project("VE", "2016-01-01", "2018-06-30"), project("VL", "2018-01-01", "2020-12-31")]
    data["expert_reviews"] += [
        expert("V", 2018, 95, veto=True),  # second expert: score 95, veto
        expert("VE", 2018, 90, veto=True),
        expert("VL", 2018, 90, veto=True),
    ]
    data["disbursements"] = [
        pay("V", "2018-02-01", 500),
        pay("VE", "2016-02-01", 800),
        pay("VE", "2017-02-01", 100, "recovery"),
    ]
    data["progress_reports"] = [report("V", "2018Q3", fiscal=320), report("VE", "2018Q2", fiscal=300)]
    con = scored(tmp_path, **data)

    v = review_row(con, "V", 2018)
    # E = 320/500 = 0.64 → 5 × 0.8 = 4; total = 100 × (38 + 14.25 + 4) / 60 = 93.75, still D by veto
    assert (v["total_score"], v["grade"], v["flags"], v["recommendation"]) == (93.75, "D", "veto", "terminate")
    assert v["clawback_wan"] == 180.0  # 500 − 320
    # ended project: veto still terminates (before acceptance_review); D = 800 − 100 = 700, spent 300
    ve = review_row(con, "VE", 2018)
    assert (ve["status"], ve["grade"], ve["recommendation"], ve["clawback_wan"]) == ("ended", "D", "terminate", 400.0)
    # coverage 0.15 < 0.5: D by veto, not insufficient
    vl = review_row(con, "VL", 2018)
    assert vl["coverage"] == pytest.approx(0.15) and vl["grade"] == "D"
    assert vl["flags"] == "missing_report,veto" and vl["recommendation"] == "terminate"
    why = reasons(con, "V", 2018)
    assert why["flag:veto"]["text_zh"] == "一票否决：1 名专家认定弄虚作假"
    assert why["recommendation:terminate"]["text_zh"] == "中止淘汰：专家一票否决；追回未支出财政资金 180.00 万元"


# --- §5 flags, each on and just off -------------------------------------------------------------------


def flags_of(con, pid: str, year: int = 2018) -> str:
    return review_row(con, pid, year)["flags"]


def test_stalled_overdue_181_vs_180_days(tmp_path):
    con = scored(
        tmp_path,
        projects=[project("S181", "2017-01-01", "2020-12-31"), project("S180", "2017-01-01", "2020-12-31")],
        milestones=[ms("S181", "2018-07-03"), ms("S180", "2018-07-04")],  # days(A − planned) = 181 / 180
        progress_reports=[report("S181", "2018Q4"), report("S180", "2018Q4")],
    )
    s = review_row(con, "S181", 2018)
    assert s["flags"] == "stalled"
    assert s["recommendation"] == "terminate"  # active and stalled
    assert reasons(con, "S181", 2018)["flag:stalled"]["text_zh"].startswith(
        "进度停滞：1 个节点逾期超过 180 天未完成（最早计划完成日期 2018-07-03）"
    )
    assert flags_of(con, "S180") == ""


def test_stalled_window_364_vs_365_days(tmp_path):
    con = scored(
        tmp_path,
        projects=[project("W364", "2017-01-01", "2020-12-31"), project("W365", "2017-01-01", "2020-12-31")],
        milestones=[
            ms("W364", "2017-06-01"),  # overdue, not done
            ms("W364", "2017-12-01", done="2018-01-01"),  # done 364 days before A: inside the window
            ms("W365", "2017-06-01"),
            ms("W365", "2017-12-01", done="2017-12-31"),  # done 365 days before A: outside
        ],
        progress_reports=[report("W364", "2018Q4"), report("W365", "2018Q4")],
    )
    assert flags_of(con, "W364") == ""
    assert flags_of(con, "W365") == "stalled"


def test_low_execution_365_days_and_rate(tmp_path):
    projects = [project(p, "2017-01-01", "2020-12-31") for p in ("L1", "L2", "L3")]
    con = scored(
        tmp_path,
        projects=projects,
        disbursements=[
            pay("L1", "2017-12-31", 100),  # 365 days before A
            pay("L2", "2018-01-01", 100),  # 364 days
            pay("L3", "2017-12-31", 100),
        ],
        progress_reports=[
            report("L1", "2018Q4", fiscal=29),
            report("L2", "2018Q4", fiscal=29),
            report("L3", "2018Q4", fiscal=30),
        ],
    )
    assert flags_of(con, "L1") == "low_execution"  # E 0.29 < 0.3, 365 days
    assert flags_of(con, "L2") == ""  # only 364 days
    assert flags_of(con, "L3") == ""  # E = 0.3 is not < 0.3
    assert reasons(con, "L1", 2018)["flag:low_execution"]["text_en"] == (
        "Low fund execution: E 0.29 < 0.3, first disbursement on 2017-12-31 (365 days before the as-of date)"
    )


def test_self_funds_gap(tmp_path):
    # f = 364/1095; self funding 1095 → expected 364; R = arrived / 364
    con = scored(
        tmp_path,
        projects=[project(p, "2018-01-01", "2020-12-31", self_funding=1095) for p in ("G1", "G2")],
        progress_reports=[report("G1", "2018Q4", self_arrived=181), report("G2", "2018Q4", self_arrived=182)],
    )
    assert review_row(con, "G1", 2018)["self_funding_arrival_rate"] == pytest.approx(181 / 364)
    assert flags_of(con, "G1") == "self_funds_gap"
    assert flags_of(con, "G2") == ""  # R = 0.5 exactly


def test_missing_report_start_0930_vs_1001_and_period_decides(tmp_path):
    con = scored(
        tmp_path,
        projects=[
            project("M0930", "2018-09-30", "2020-12-31"),
            project("M1001", "2018-10-01", "2020-12-31"),
            project("MQ1", "2018-01-01", "2020-12-31"),
            project("MLATE", "2018-01-01", "2020-12-31"),
        ],
        progress_reports=[
            report("MQ1", "2018Q1"),
            # a 2018Q4 report submitted in January 2019 is a 2018 report (the period decides)
            report("MLATE", "2018Q4", submitted="2019-01-20"),
        ],
    )
    assert flags_of(con, "M0930") == "missing_report"
    assert flags_of(con, "M1001") == ""
    assert flags_of(con, "MQ1") == ""
    assert flags_of(con, "MLATE") == ""


def test_overspend_tolerance_and_suspend_funding(tmp_path):
    data = exact_score_project("O1", 0.95)
    more = exact_score_project("O2", 0.95)
    for key in data:
        data[key] += more[key]
    data["disbursements"] = [pay("O1", "2018-03-01", 100), pay("O2", "2018-03-01", 100)]
    data["progress_reports"] = [report("O1", "2018Q4", fiscal=100.01), report("O2", "2018Q4", fiscal=100.02)]
    con = scored(tmp_path, **data)
    o1, o2 = review_row(con, "O1", 2018), review_row(con, "O2", 2018)
    assert (o1["flags"], o1["grade"], o1["recommendation"]) == ("", "A", "rolling_support")
    assert (o2["flags"], o2["grade"], o2["recommendation"]) == ("overspend", "A", "suspend_funding")
    assert o2["clawback_wan"] == 0.0


def test_flags_alphabetical(tmp_path):
    con = scored(
        tmp_path,
        projects=[project("F", "2017-01-01", "2020-12-31", self_funding=100)],
        milestones=[ms("F", "2017-03-01")],
        disbursements=[pay("F", "2017-02-01", 100)],
        progress_reports=[report("F", "2017Q4", fiscal=200)],  # no 2018 report; 200 > 100 spent
    )
    assert flags_of(con, "F") == "missing_report,overspend,self_funds_gap,stalled"
    r = review_row(con, "F", 2018)
    assert r["recommendation"] == "terminate"  # active and (D or stalled) comes before suspend_funding


# --- §2 measured values ---------------------------------------------------------------------------------


def test_expert_trimming(tmp_path):
    con = scored(
        tmp_path,
        projects=[project(p) for p in ("E5", "E4", "E6")],
        expert_reviews=(
            experts("E5", 2018, 60, 60, 70, 90, 90)  # drop one 90 and one 60 → (60 + 70 + 90) / 3
            + experts("E4", 2018, 60, 70, 90, 90)  # 4 experts: plain mean 77.5
            + experts("E6", 2018, 80, 80, 80, 80, 80, 100)  # drop 100 and one 80 → 80
            + experts("E4", 2017, 10, 10)  # another year: ignored
        ),
    )
    assert review_row(con, "E5", 2018)["expert_score"] == pytest.approx(220 / 3)
    assert review_row(con, "E4", 2018)["expert_score"] == pytest.approx(77.5)
    assert review_row(con, "E6", 2018)["expert_score"] == pytest.approx(80.0)
    assert "mean of 4 experts" in reasons(con, "E4", 2018)["leaf:expert"]["text_en"]


def test_milestone_weights_normalised_and_spi_not_capped(tmp_path):
    con = scored(
        tmp_path,
        projects=[project("N"), project("EARLY")],
        milestones=[
            # weights 2, 3, 5 (sum 10): due = first two → PVw 0.5; done = first → EVw 0.2 → spi 0.4
            ms("N", "2018-03-01", 2, done="2018-03-01"),
            ms("N", "2018-09-01", 3, done="2019-01-05"),  # done after A: not done at A
            ms("N", "2019-09-01", 5),
            # one due and done, one done before it is due: spi = 1.0 / 0.5 = 2 (not capped)
            ms("EARLY", "2018-03-01", 1, done="2018-05-01"),  # 61 days late: not on time
            ms("EARLY", "2019-03-01", 1, done="2018-10-01"),
        ],
    )
    n = review_row(con, "N", 2018)
    assert n["spi"] == pytest.approx(0.4) and n["on_time_rate"] == pytest.approx(0.5)
    assert n["pv"] == pytest.approx(0.5 * 1000) and n["ev"] == pytest.approx(0.2 * 1000)
    e = review_row(con, "EARLY", 2018)
    assert e["spi"] == pytest.approx(2.0) and e["on_time_rate"] == 0.0
    assert e["score_process"] == pytest.approx(15.0)  # 15 × min(2, 1) + 5 × 0


def test_on_time_30_days_inclusive(tmp_path):
    con = scored(
        tmp_path,
        projects=[project("T")],
        milestones=[ms("T", "2018-03-01", done="2018-03-31"), ms("T", "2018-03-01", done="2018-04-01")],
    )
    assert review_row(con, "T", 2018)["on_time_rate"] == pytest.approx(0.5)


def test_recoveries_and_nonpositive_net_disbursement(tmp_path):
    con = scored(
        tmp_path,
        projects=[project("R1"), project("R0")],
        disbursements=[
            pay("R1", "2018-02-01", 600),
            pay("R1", "2018-06-01", 100, "recovery"),
            pay("R1", "2018-04-01", 50, source="district"),  # every source counts
            pay("R1", "2019-01-02", 300),  # after A: not counted
            pay("R0", "2018-02-01", 100),
            pay("R0", "2018-05-01", 100, "recovery"),
        ],
        progress_reports=[report("R1", "2018Q4", fiscal=275), report("R0", "2018Q4", fiscal=50)],
    )
    r1 = review_row(con, "R1", 2018)
    assert r1["fund_execution_rate"] == pytest.approx(275 / 550)  # D = 600 − 100 + 50
    r0 = review_row(con, "R0", 2018)
    assert r0["fund_execution_rate"] is None  # D = 0 → E NULL
    assert r0["flags"] == "overspend"  # 50 > 0 + 0.01
    assert "net disbursed 0.00 万元, not applicable" in reasons(con, "R0", 2018)["leaf:fund_execution"]["text_en"]


def test_no_report_means_zero_progress_values(tmp_path):
    con = scored(
        tmp_path,
        projects=[project("NR", "2018-01-01", "2020-12-31", self_funding=300)],
        disbursements=[pay("NR", "2018-02-01", 100)],
        progress_reports=[report("NR", "2019Q1", fiscal=90, self_arrived=90, total=90)],  # after A
    )
    r = review_row(con, "NR", 2018)
    assert (r["fund_execution_rate"], r["self_funding_arrival_rate"], r["ac"]) == (0.0, 0.0, 0.0)
    assert r["cpi"] is None and r["tcpi"] == pytest.approx(1.0)  # (1300 − 0) / (1300 − 0)


def test_kpi_due_dates_and_skipped_targets(tmp_path):
    con = scored(
        tmp_path,
        projects=[project("K", "2018-01-01", "2020-12-31")],
        kpi_targets=[
            target("K", "papers", 10, due="2017-12-01"),  # due before start: f_i = 1 → x = 10, actual 5 → 0.5
            target("K", "standards", 4, due="2018-01-01"),  # due on start: f_i = 1 → x = 4, actual 0 → 0
            target("K", "talent", 20, due="2018-07-02"),  # f_i = 1 (past) → x = 20, actual 30 → min(1.5, 1) = 1
            target("K", "jobs", 100, due="2019-12-31"),  # f_i = 364/729 → x = 49.931…, actual 0
        ],
        kpi_actuals=[
            actual("K", "papers", "2018Q2", 5),
            actual("K", "talent", "2018Q3", 30),
            actual("K", "standards", "2019Q1", 9),  # after A: ignored
        ],
    )
    r = review_row(con, "K", 2018)
    assert r["output_achievement"] == pytest.approx((0.5 + 0 + 1) / 3)
    assert r["outcome_achievement"] == 0.0


def test_kpi_not_yet_started_is_skipped(tmp_path):
    # start after A cannot be reviewed; so use an outcome target whose x is 0: a project whose start is A
    con = scored(
        tmp_path,
        projects=[project("K0", "2018-12-31", "2020-12-31")],
        kpi_targets=[target("K0", "revenue", 100)],
    )
    r = review_row(con, "K0", 2018)
    assert r["elapsed_fraction"] == 0.0
    assert r["outcome_achievement"] is None  # x = 0 → skipped → NULL


def test_no_milestone_due_and_no_self_funding(tmp_path):
    con = scored(
        tmp_path,
        projects=[project("ND", "2018-01-01", "2020-12-31", self_funding=0)],
        milestones=[ms("ND", "2019-06-30", done="2018-11-30")],  # done early, not due
    )
    r = review_row(con, "ND", 2018)
    assert r["spi"] is None and r["on_time_rate"] is None
    assert r["self_funding_arrival_rate"] is None
    # earned schedule still: P_1 = 1 at 2019-06-30 (day 545); EVw = 1 → C = last → es = 545;
    # every milestone done → AT = days(2018-11-30 − 2018-01-01) = 333
    assert r["es_days"] == pytest.approx(545.0) and r["spi_t"] == pytest.approx(545 / 333)
    assert "no milestone due" in reasons(con, "ND", 2018)["leaf:spi"]["text_en"]


# --- §7 earned value and earned schedule ----------------------------------------------------------------


def test_textbook_earned_value(tmp_path):
    # BAC 4000 = 3000 + 1000; weights 5 (due, done), 1 (due), 2 (not due) of 8: PVw 0.75, EVw 0.625
    con = scored(
        tmp_path,
        projects=[project("EV", "2018-01-01", "2020-12-31", approved=3000, self_funding=1000)],
        milestones=[
            ms("EV", "2018-04-01", 5, done="2018-04-01"),
            ms("EV", "2018-10-01", 1),
            ms("EV", "2019-10-01", 2),
        ],
        progress_reports=[report("EV", "2018Q4", total=2800)],
    )
    r = review_row(con, "EV", 2018)
    assert (r["bac"], r["pv"], r["ev"], r["ac"]) == (4000, 3000, 2500, 2800)
    assert r["cpi"] == pytest.approx(0.893, abs=5e-4)
    assert r["spi"] == pytest.approx(0.833, abs=5e-4)
    assert r["eac"] == pytest.approx(4480.0)
    assert float(r["bac"]) - r["eac"] == pytest.approx(-480.0)  # VAC (bac is exact money: a Decimal)
    assert r["tcpi"] == pytest.approx(1.25)


def test_earned_schedule_shared_planned_dates_and_completion(tmp_path):
    con = scored(
        tmp_path,
        projects=[*(project(p, "2018-01-01", "2019-12-31") for p in ("SH", "DONE")), project("NONE")],
        milestones=[
            # M1 and M2 share 2018-03-01 (day 59): one step P_1 = 0.5; M3 at 2018-09-01 (day 243) P_2 = 1.
            # EVw = 0.25 → C = 0 → es = 0 + (0.25 − 0) / (0.5 − 0) × 59 = 29.5
            ms("SH", "2018-03-01", 1, done="2018-03-01"),
            ms("SH", "2018-03-01", 1),
            ms("SH", "2018-09-01", 2),
            # all done by A: EVw = 1 → C = last (2018-06-01, day 151); AT = days(2018-07-01 − start) = 181
            ms("DONE", "2018-03-01", 1, done="2018-04-01"),
            ms("DONE", "2018-06-01", 1, done="2018-07-01"),
        ],
    )
    sh = review_row(con, "SH", 2018)
    assert sh["es_days"] == pytest.approx(29.5) and sh["spi_t"] == pytest.approx(29.5 / 364)
    done = review_row(con, "DONE", 2018)
    assert done["es_days"] == pytest.approx(151.0) and done["spi_t"] == pytest.approx(151 / 181)
    none = review_row(con, "NONE", 2018)
    assert none["es_days"] is None and none["spi_t"] is None and none["pv"] == 0.0


def test_earned_schedule_zero_ev_and_zero_actual_time(tmp_path):
    con = scored(
        tmp_path,
        projects=[project("Z0", "2018-01-01", "2019-12-31"), project("AT0", "2018-12-31", "2019-12-31")],
        milestones=[ms("Z0", "2018-06-01"), ms("AT0", "2019-06-01")],
    )
    z0 = review_row(con, "Z0", 2018)
    assert z0["es_days"] == 0.0 and z0["spi_t"] == 0.0
    at0 = review_row(con, "AT0", 2018)  # AT = days(A − start) = 0
    assert at0["es_days"] == 0.0 and at0["spi_t"] is None


# --- §6 recommendations across years -------------------------------------------------------------------


def test_recommendation_precedence_for_ended_projects(tmp_path):
    data = exact_score_project("ENDD", 0.40, end="2018-06-30")  # D, ended → acceptance_review
    other = exact_score_project("ENDS", 0.95, end="2018-06-30")
    for key in data:
        data[key] += other[key]
    data["milestones"] = [ms("ENDS", "2017-02-01")]  # stalled, but ended
    data["disbursements"] = [pay("ENDS", "2017-02-01", 10)]
    data["progress_reports"] = [report("ENDD", "2018Q2"), report("ENDS", "2018Q2", fiscal=50)]  # overspend
    con = scored(tmp_path, **data)
    d = review_row(con, "ENDD", 2018)
    assert (d["status"], d["grade"], d["recommendation"]) == ("ended", "D", "acceptance_review")
    s = review_row(con, "ENDS", 2018)
    assert s["flags"] == "overspend,stalled" and s["recommendation"] == "acceptance_review"
    assert (
        reasons(con, "ENDS", 2018)["recommendation:acceptance_review"]["text_zh"]
        == "结题验收：项目已于 2018-06-30 到期"
    )


def three_year_project(pid: str, q2018: float, q2019: float) -> dict:
    """Active 2017–2021; scores exactly 100 × q per year (output target + expert, see above)."""
    return dict(
        projects=[project(pid, "2017-01-01", "2021-12-31")],
        kpi_targets=[target(pid, "patents_granted", 100, due="2017-06-30")],
        kpi_actuals=[
            actual(pid, "patents_granted", "2018Q4", q2018 * 100),
            actual(pid, "patents_granted", "2019Q4", q2019 * 100),
        ],
        expert_reviews=[expert(pid, 2018, q2018 * 100), expert(pid, 2019, q2019 * 100)],
        progress_reports=[report(pid, "2017Q4"), report(pid, "2018Q4"), report(pid, "2019Q4")],
    )


def merge(*parts: dict) -> dict:
    out: dict = {}
    for part in parts:
        for key, rows in part.items():
            out.setdefault(key, []).extend(rows)
    return out


def test_decisions_across_years(tmp_path):
    # Projects start 2018 so 2018 is their first review year (no 2017 history).
    def proj(pid: str, q2018: float, q2019: float) -> dict:
        part = three_year_project(pid, q2018, q2019)
        part["projects"] = [project(pid, "2018-01-01", "2021-12-31")]
        part["kpi_targets"] = [target(pid, "patents_granted", 100, due="2018-01-01")]
        part["progress_reports"] = [report(pid, "2018Q4"), report(pid, "2019Q4")]
        return part

    data = merge(
        proj("RC", 0.70, 0.70),
        proj("RA", 0.70, 0.90),
        proj("DEC_R", 0.95, 0.70),
        proj("DEC_S", 0.70, 0.70),
        proj("DEC_T", 0.70, 0.95),
        proj("AUTO_T", 0.40, 0.95),
    )
    data["review_decisions"] = [
        decision("DEC_R", 2018, "rectify"),
        decision("DEC_S", 2018, "rolling_support"),
        decision("DEC_T", 2018, "terminate"),
        decision("RA", 2017, "terminate"),  # RA was not reviewed in 2017: ignored
    ]
    data["disbursements"] = [pay("RC", "2018-03-01", 100)]
    data["progress_reports"] = [r for r in data["progress_reports"] if r["project_id"] != "RC"] + [
        report("RC", "2018Q4", fiscal=10),
        report("RC", "2019Q4", fiscal=60),
    ]
    con = scored(tmp_path, years=(2017, 2018, 2019), **data)
    assert fetch(con, "SELECT count(*) AS n FROM mart.project_review WHERE review_year = 2017")[0]["n"] == 0

    def rec(pid: str, year: int) -> tuple:
        r = review_row(con, pid, year)
        return r["grade"], r["recommendation"], r["prev_grade"], r["prev_recommendation"]

    # RC: 2018 C → rectify; 2019 C after rectify → terminate, clawback D − spent = 100 − 60
    assert rec("RC", 2018) == ("C", "rectify", None, None)
    assert rec("RC", 2019) == ("C", "terminate", "C", "rectify")
    assert review_row(con, "RC", 2019)["clawback_wan"] == 40.0
    why = reasons(con, "RC", 2019)["recommendation:terminate"]
    assert why["text_en"] == (
        "Terminate: last year's recommendation was rectify and this year's grade is still C; "
        "claw back unspent fiscal funds 40.00 万元"
    )
    assert json.loads(why["numbers"])["rule"] == "terminate:not_rectified"
    # RA: rectify then A → rolling support
    assert rec("RA", 2019) == ("A", "rolling_support", "C", "rectify")
    # DEC_R: the recorded 2018 decision (rectify) does not rewrite the 2018 row, but acts in 2019
    assert rec("DEC_R", 2018) == ("A", "rolling_support", None, None)
    assert rec("DEC_R", 2019) == ("C", "terminate", "A", "rolling_support")
    assert "recorded decision" in reasons(con, "DEC_R", 2019)["recommendation:terminate"]["text_en"]
    # DEC_S: recommended rectify, but the department decided rolling support → 2019 C is just rectify
    assert rec("DEC_S", 2019) == ("C", "rectify", "C", "rectify")
    # DEC_T (recorded terminate) and AUTO_T (recommended terminate, adopted) are gone from 2019
    assert rec("AUTO_T", 2018)[:2] == ("D", "terminate")
    assert rec("DEC_T", 2018)[:2] == ("C", "rectify")
    present_2019 = {
        r["project_id"] for r in fetch(con, "SELECT project_id FROM mart.project_review WHERE review_year = 2019")
    }
    assert present_2019 == {"RC", "RA", "DEC_R", "DEC_S"}
    # and termination carries over: scoring 2020 still leaves them (and RC, terminated 2019) out
    score_year(con, 2020, load_rubric())
    present_2020 = {
        r["project_id"] for r in fetch(con, "SELECT project_id FROM mart.project_review WHERE review_year = 2020")
    }
    assert present_2020 == {"RA", "DEC_S"}  # RC and DEC_R were terminated in 2019


# --- rubric changes, alternative schema, idempotence -------------------------------------------------------


def test_changed_rubric_changes_scores_in_a_separate_schema(tmp_path):
    con = scored(tmp_path, **worked_example())
    alt_path = tmp_path / "rubric-alt.yaml"
    text = DEFAULT_RUBRIC.read_text(encoding="utf-8")
    text = text.replace('version: "v1"', 'version: "v1-expert25"')
    text = text.replace("        points: 40\n", "        points: 30\n")  # output 40 → 30
    text = text.replace(
        '        points: 15\n        formula_zh: "{points} × 专家评分',
        '        points: 25\n        formula_zh: "{points} × 专家评分',
    )
    alt_path.write_text(text, encoding="utf-8")
    alt = load_rubric(alt_path)
    assert alt.params()["w_expert"] == 25 and alt.params()["w_output"] == 30

    meta = score_year(con, 2018, alt, schema="what_if")
    assert meta["rows"] == 1 and meta["rubric_version"] == "v1-expert25"
    r = review_row(con, "P", 2018, schema="what_if")
    # 17.985 + 30 × 0.60165 + 15 + 25 × 0.85 = 17.98489 + 18.04945 + 15 + 21.25 = 72.28434 → 72.28
    assert r["total_score"] == 72.28 and r["score_expert"] == pytest.approx(21.25)
    assert (r["rubric_version"], r["rubric_sha256"]) == ("v1-expert25", alt.sha256)
    assert alt.sha256 != load_rubric().sha256
    official = review_row(con, "P", 2018)
    assert (official["total_score"], official["rubric_version"]) == (69.80, "v1")


def snapshot(con) -> tuple[list, list]:
    rows = con.sql("SELECT * FROM mart.project_review ORDER BY review_year, project_id").fetchall()
    why = con.sql("SELECT * FROM mart.review_reason ORDER BY ALL").fetchall()
    return rows, why


def test_rerun_is_idempotent(tmp_path):
    data = merge(worked_example(), three_year_project("X", 0.7, 0.4), exact_score_project("G", 0.85))
    con = scored(tmp_path, years=(2017, 2018, 2019), **data)
    first = snapshot(con)
    # G 2017-2019; P 2018 (rectify) and 2019 (terminate); X 2017 (insufficient → rectify), 2018 (C after
    # rectify → terminate), absent 2019
    assert len(first[0]) == 7
    assert ("X", 2019) not in {(r[0], r[1]) for r in first[0]}
    rubric = load_rubric()
    for year in (2017, 2018, 2019):
        score_year(con, year, rubric)
    assert snapshot(con) == first
    score_year(con, 2018, rubric)  # one year again alone
    assert snapshot(con) == first


def test_every_row_is_explained(tmp_path):
    data = merge(worked_example(), three_year_project("X", 0.7, 0.4), exact_score_project("G", 0.85))
    con = scored(tmp_path, years=(2018, 2019), **data)
    rows = fetch(con, "SELECT project_id, review_year, grade, flags, recommendation FROM mart.project_review")
    codes = {
        (r["project_id"], r["review_year"], r["rule_code"]) for r in fetch(con, "SELECT * FROM mart.review_reason")
    }
    for r in rows:
        key = (r["project_id"], r["review_year"])
        assert (*key, f"grade:{r['grade']}") in codes
        assert (*key, f"recommendation:{r['recommendation']}") in codes
        for flag in filter(None, r["flags"].split(",")):
            assert (*key, f"flag:{flag}") in codes
    texts = fetch(con, "SELECT text_zh, text_en, numbers FROM mart.review_reason")
    assert all(t["text_zh"] and t["text_en"] and isinstance(json.loads(t["numbers"]), dict) for t in texts)


def test_scope_by_dates(tmp_path):
    con = scored(
        tmp_path,
        years=(2018,),
        projects=[
            project("BEFORE", "2016-01-01", "2017-12-31"),  # ended before 2018-01-01: not reviewed
            project("EDGE", "2016-01-01", "2018-01-01"),  # ends on 2018-01-01: reviewed, ended
            project("LATE", "2019-01-01", "2020-12-31"),  # starts after A: not reviewed
            project("ENDA", "2017-01-01", "2018-12-31"),  # end = A: ended
        ],
    )
    got = {r["project_id"]: r["status"] for r in fetch(con, "SELECT project_id, status FROM mart.project_review")}
    assert got == {"EDGE": "ended", "ENDA": "ended"}
