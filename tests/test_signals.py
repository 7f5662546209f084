"""Signals for follow-up (docs/analytics.md §2) on one tiny real warehouse: each signal fires at its boundary
and not just off it; the amounts are decimals that binary floating point would decide the other way."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import polars as pl
import pytest
from scoring_fixtures import actual, experts, fetch, merged, ms, pay, project, report, scored

from scorecard.analytics import AnalyticsError, signals_year
from scorecard.contracts import DATASETS
from scorecard.ingest import ingest_files
from scorecard.programme import load_programme
from scorecard.reader import read_file
from scorecard.review import score_year
from scorecard.rubric import load_rubric

Y = 2018


def summary_report(pid: str, period: str, summary: str) -> dict:
    row = report(pid, period)
    row["summary"] = summary
    return row


def normalised_summary(text: str) -> str:
    """The §2 summary normalisation, written independently: NFKC, then every whitespace character removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


# Summaries: S20 is 20 characters once normalised (the spaces, the ideographic space and the full-width
# letters do not count or fold to one character each); S19 is one character shorter.
S20_A = "本季度完成样机 测试，提交中期报告材料ＡＢ"
S20_B = "本季度完成样机测试,提交中期报告材料 AB"
S19_A = "本季度完成样机测试，提交中期报告材料Ａ"
S20_C = "关键技术攻关　按计划推进，样机已通过第三方检测"
S20_D = "完成第二批节点验收并形成阶段性总结报告一份"


def rush() -> dict:
    """R1: 2017Q4 45.6, 2018Q3 85.64, 2018Q4 145.7 → Q4 60.06 of the year's 100.1: exactly 0.6 (in binary
    floating point 59.06… < 0.6 × 100.1, it would not fire). R2: 2018Q3 85.65 → 60.05 / 100.1 = 0.5999 → no.
    R3: first report 2018Q3 40, 2018Q4 100 → 60 of 100 (0 before the first report): 0.6 and exactly 100 万元.
    R4: 39.99 / 99.99 → 0.60006, but the year is 99.99 < 100 → no. R5: no 2018Q3 report → no."""
    data: dict = {"projects": [project(p, "2017-01-01") for p in ("R1", "R2", "R3", "R4", "R5")]}
    data["disbursements"] = [pay(p, "2017-02-01", 500) for p in ("R1", "R2", "R3", "R4", "R5")]
    fiscal = {  # project -> period -> cumulative fiscal spent
        "R1": {"2017Q4": 45.6, "2018Q3": 85.64, "2018Q4": 145.7},
        "R2": {"2017Q4": 45.6, "2018Q3": 85.65, "2018Q4": 145.7},
        "R3": {"2018Q3": 40, "2018Q4": 100},
        "R4": {"2018Q3": 39.99, "2018Q4": 99.99},
        "R5": {"2017Q4": 0, "2018Q2": 10, "2018Q4": 400},
    }
    data["progress_reports"] = [report(p, q, fiscal=v) for p, by_period in fiscal.items() for q, v in by_period.items()]
    return data


def duplicates() -> dict:
    """D1, D2, D3 write CN12345678 three ways; D1 and D4 share two more references, written in one cell with
    other separators; D5 repeats a DOI in its own rows only; D6 reports D7's reference after the as-of date."""
    pids = ("D1", "D2", "D3", "D4", "D5", "D6", "D7")
    return {
        "projects": [project(p) for p in pids],
        "progress_reports": [report(p, "2018Q4") for p in pids],
        "kpi_actuals": [
            actual("D1", "patents_granted", "2018Q2", 1, evidence_ref="CN 1234567.8"),
            actual("D1", "patents_granted", "2018Q4", 2, evidence_ref="CN 1234567.8；ZL201810001234.5, cn-9999"),
            actual("D2", "patents_granted", "2018Q3", 1, evidence_ref="ＣＮ１２３４５６７８"),
            actual("D3", "software_copyrights", "2018Q4", 1, evidence_ref=" cn/1234567-8 "),
            actual("D4", "patents_granted", "2018Q4", 2, evidence_ref="ZL 2018 1000 1234.5、CN-9999"),
            actual("D5", "papers", "2018Q2", 1, evidence_ref="DOI 10.1000/xyz123"),
            actual("D5", "papers", "2018Q4", 1, evidence_ref="doi10.1000/XYZ123"),
            actual("D6", "standards", "2019Q1", 1, evidence_ref="GB/T 55555-2019"),
            actual("D7", "standards", "2018Q4", 1, evidence_ref="GBT555552019"),
        ],
    }


def copies() -> dict:
    """C1 (2018Q2) copies C2's 2017Q4 text; C3 and C4 share a 19-character text; C5 repeats C6's text in two
    quarters; C8's text reappears only in C7's 2019Q1 report (after the as-of date)."""
    pids = ("C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8")
    return {
        "projects": [project(p, "2017-01-01") for p in pids],
        "progress_reports": [
            summary_report("C1", "2018Q2", S20_A),
            report("C1", "2018Q4"),
            summary_report("C2", "2017Q4", S20_B),
            report("C2", "2018Q4"),
            summary_report("C3", "2018Q3", S19_A),
            summary_report("C4", "2018Q3", S19_A),
            summary_report("C5", "2018Q1", S20_C),
            summary_report("C5", "2018Q2", " " + S20_C + " "),
            summary_report("C6", "2018Q4", S20_C),
            summary_report("C7", "2019Q1", S20_D),
            report("C7", "2018Q4"),
            summary_report("C8", "2018Q2", S20_D),
        ],
    }


def panels() -> dict:
    """E1: 90.1, 75, 60.1 → 30 points apart exactly (29.999… in binary floating point) → fires. E2: 60.2 → 29.9
    → no. E3: two experts 95 and 50 → no (fewer than 3). E4: 100, 80, 80, 80, 70 → 30 → fires."""
    pids = ("E1", "E2", "E3", "E4")
    return {
        "projects": [project(p) for p in pids],
        "progress_reports": [report(p, "2018Q4") for p in pids],
        "expert_reviews": experts("E1", Y, 90.1, 75, 60.1)
        + experts("E2", Y, 90.1, 75, 60.2)
        + experts("E3", Y, 95, 50)
        + experts("E4", Y, 100, 80, 80, 80, 70),
    }


def payments() -> dict:
    """N1: paid in 2018, a milestone due 2018-06-30 not done, none done in 2018 → fires. N2: as N1 but another
    milestone done 2018-03-01 → no. N3: paid only in 2017 → no. N4: only a recovery in 2018 → no. N5: the
    milestone is due only in 2019 → no. N6: its milestone was done after the as-of date (2019-01-10) → fires."""
    pids = ("N1", "N2", "N3", "N4", "N5", "N6")
    return {
        "projects": [project(p, "2017-01-01") for p in pids],
        "progress_reports": [report(p, "2018Q4") for p in pids],
        "disbursements": [
            pay("N1", "2018-05-01", 300),
            pay("N1", "2018-11-20", 120.5),
            pay("N2", "2018-05-01", 300),
            pay("N3", "2017-05-01", 300),
            pay("N4", "2017-05-01", 300),
            pay("N4", "2018-05-01", 50, kind="recovery"),
            pay("N5", "2018-05-01", 300),
            pay("N6", "2018-05-01", 300),
        ],
        "milestones": [
            ms("N1", "2018-06-30", no=1),
            ms("N1", "2019-06-30", no=2),
            ms("N2", "2018-06-30", no=1),
            ms("N2", "2018-02-28", no=2, done="2018-03-01"),
            ms("N3", "2018-06-30", no=1),
            ms("N4", "2018-06-30", no=1),
            ms("N5", "2019-03-01", no=1),
            ms("N6", "2018-06-30", no=1, done="2019-01-10"),
        ],
    }


def undertakers() -> dict:
    """U1 and U2: the same undertaker written two ways, each a potential problem project (no 2018 report, and
    self funding promised: missing_report + self_funds_gap). U3: the same undertaker, not a problem project.
    U4: a problem project alone at its undertaker."""
    name = "深圳市星河科技有限公司"
    return {
        "projects": [
            project("U1", undertaker=name, self_funding=100),
            project("U2", undertaker="深圳市　星河科技 有限公司", self_funding=100),
            project("U3", undertaker=name),
            project("U4", undertaker="深圳市另一家公司", self_funding=100),
        ],
        "progress_reports": [report("U3", "2018Q4")],
    }


@pytest.fixture(scope="module")
def signalled(tmp_path_factory):
    data = merged(rush(), duplicates(), copies(), panels(), payments(), undertakers())
    con = scored(tmp_path_factory.mktemp("signals"), years=(2017, Y), first_review_year=2017, **data)
    result = signals_year(con, Y, load_rubric())
    yield con, result
    con.close()


def rows_of(con, signal: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    rows = fetch(
        con,
        "SELECT * FROM mart.review_signal WHERE review_year = ? AND signal = ? ORDER BY project_id, evidence",
        [Y, signal],
    )
    for row in rows:
        row["evidence"] = json.loads(row["evidence"])
        out.setdefault(row["project_id"], []).append(row)
    return out


def test_summaries_of_the_fixture_have_the_intended_lengths():
    assert len(normalised_summary(S20_A)) == len(normalised_summary(S20_B)) == 20
    assert normalised_summary(S20_A) == normalised_summary(S20_B)
    assert len(normalised_summary(S19_A)) == 19
    assert len(normalised_summary(S20_C)) >= 20 and len(normalised_summary(S20_D)) >= 20


def test_year_end_rush_at_exactly_the_share_and_the_minimum(signalled):
    con, _ = signalled
    rows = rows_of(con, "year_end_rush")
    assert set(rows) == {"R1", "R3"}
    r1 = rows["R1"][0]
    ev = r1["evidence"]
    assert (ev["fiscal_q3_wan"], ev["fiscal_q4_wan"], ev["fiscal_start_wan"], ev["start_period"]) == (
        85.64,
        145.7,
        45.6,
        "2017Q4",
    )
    assert (ev["q4_spent_wan"], ev["year_spent_wan"], ev["q4_share"]) == (60.06, 100.1, pytest.approx(0.6, abs=1e-12))
    assert r1["text_zh"].startswith(
        "2018 年第四季度财政资金支出 60.06 万元（2018Q4 累计 145.70 − 2018Q3 累计 85.64），"
    )
    assert "占全年财政资金支出 100.10 万元（2018Q4 累计 145.70 − 2017Q4 累计 45.60）的 60.0%" in r1["text_zh"]
    assert "is 60.0% of the year's fiscal spending 100.10 万元" in r1["text_en"]
    r3 = rows["R3"][0]["evidence"]
    assert (r3["start_period"], r3["fiscal_start_wan"], r3["year_spent_wan"], r3["q4_spent_wan"]) == (None, 0, 100, 60)
    assert "上年末无报告 0.00" in rows["R3"][0]["text_zh"]


def test_duplicate_evidence_normalises_references_and_needs_another_project(signalled):
    con, _ = signalled
    rows = rows_of(con, "duplicate_evidence")
    # D5 repeats its DOI in its own rows only; D7's reference reappears only after the as-of date (D6, 2019Q1)
    assert set(rows) == {"D1", "D2", "D3", "D4"}
    refs = {pid: [r["evidence"]["reference"] for r in rs] for pid, rs in rows.items()}
    assert refs == {
        "D1": ["CN12345678", "CN9999", "ZL2018100012345"],  # a project sharing three references: three rows
        "D2": ["CN12345678"],
        "D3": ["CN12345678"],
        "D4": ["CN9999", "ZL2018100012345"],
    }
    d1 = {r["evidence"]["reference"]: r for r in rows["D1"]}["CN12345678"]
    assert d1["evidence"]["other_projects"] == ["D2", "D3"]
    assert d1["evidence"]["written"] == ["CN 1234567.8"]
    assert d1["evidence"]["rows"] == ["2018Q2 patents_granted", "2018Q4 patents_granted"]
    assert {o["project_id"]: o["written"] for o in d1["evidence"]["others"]} == {
        "D2": ["ＣＮ１２３４５６７８"],
        "D3": ["cn/1234567-8"],
    }
    assert d1["text_zh"] == (
        "佐证编号 CN12345678（本项目写作 CN 1234567.8，见 2018Q2 patents_granted、2018Q4 patents_granted）"
        "也由 2 个其他项目报送：D2、D3"
    )
    assert d1["text_en"].startswith("Evidence reference CN12345678 (written here as CN 1234567.8, in 2018Q2")
    assert d1["text_en"].endswith("is also reported by 2 other project(s): D2, D3")


def test_copied_summary_of_exactly_the_minimum_length(signalled):
    con, _ = signalled
    rows = rows_of(con, "copied_summary")
    # C2's copy is of 2017 (no 2018 summary of its own to flag); C3/C4 share 19 characters only; C8's text
    # reappears only in C7's 2019Q1 report
    assert set(rows) == {"C1", "C5", "C6"}
    c1 = rows["C1"][0]
    assert c1["evidence"]["summary"] == normalised_summary(S20_A) and c1["evidence"]["characters"] == 20
    assert (c1["evidence"]["periods"], c1["evidence"]["other_projects"]) == (["2018Q2"], ["C2"])
    assert c1["text_zh"].startswith("2018Q2 的进展摘要（规范化后 20 字）与 1 个其他项目的摘要相同：C2（2017Q4）")
    # a text repeated by the project in two quarters is one row naming both
    c5 = rows["C5"]
    assert len(c5) == 1 and c5[0]["evidence"]["periods"] == ["2018Q1", "2018Q2"]
    assert c5[0]["evidence"]["others"] == [{"project_id": "C6", "periods": ["2018Q4"]}]
    assert rows["C6"][0]["evidence"]["others"] == [{"project_id": "C5", "periods": ["2018Q1", "2018Q2"]}]


def test_expert_disagreement_at_exactly_the_spread(signalled):
    con, _ = signalled
    rows = rows_of(con, "expert_disagreement")
    assert set(rows) == {"E1", "E4"}
    e1 = rows["E1"][0]
    assert (e1["evidence"]["experts"], e1["evidence"]["spread"]) == (3, 30)
    assert (e1["evidence"]["max_score"], e1["evidence"]["min_score"]) == (90.1, 60.1)
    assert [s["score"] for s in e1["evidence"]["scores"]] == [90.1, 75, 60.1]
    assert e1["text_zh"].startswith("2018 年专家组 3 名专家评分最高 90.1、最低 60.1，相差 30 分（不少于 30 分）：")
    assert rows["E4"][0]["evidence"]["experts"] == 5


def test_paid_no_progress(signalled):
    con, _ = signalled
    rows = rows_of(con, "paid_no_progress")
    assert set(rows) == {"N1", "N6"}
    n1 = rows["N1"][0]
    assert n1["evidence"]["paid_wan"] == 420.5 and len(n1["evidence"]["payments"]) == 2
    assert n1["evidence"]["overdue_milestones"] == [
        {"milestone_no": 1, "planned_date": "2018-06-30", "days_overdue": 184}
    ]
    assert n1["text_zh"].startswith("2018 年拨款 2 笔共 420.50 万元（")
    assert "1 个到期节点未完成（节点 1（计划 2018-06-30，逾期 184 天））" in n1["text_zh"]
    assert "yet 1 due milestone(s) not done (no. 1 (planned 2018-06-30, 184 days overdue))" in n1["text_en"]


def test_undertaker_cluster_compares_normalised_names(signalled):
    con, _ = signalled
    rows = rows_of(con, "undertaker_cluster")
    assert set(rows) == {"U1", "U2"}
    u1 = rows["U1"][0]
    assert (u1["evidence"]["undertaker_key"], u1["evidence"]["problem_projects"]) == ("深圳市星河科技有限公司", 2)
    assert u1["evidence"]["other_projects"] == ["U2"]
    assert u1["evidence"]["flags"] == "missing_report,self_funds_gap"
    assert u1["text_zh"] == (
        "承担单位“深圳市星河科技有限公司”本年有 2 个潜在问题项目（不少于 2 个）：本项目（missing_report,self_funds_gap）"
        "及 U2（missing_report,self_funds_gap）"
    )


def test_every_row_names_evidence_and_both_texts(signalled):
    con, result = signalled
    counts = dict(
        con.sql("SELECT signal, count(*) FROM mart.review_signal WHERE review_year = 2018 GROUP BY 1").fetchall()
    )
    assert counts == {
        "year_end_rush": 2,
        "duplicate_evidence": 7,
        "copied_summary": 3,
        "expert_disagreement": 2,
        "paid_no_progress": 2,
        "undertaker_cluster": 2,
    }
    assert result["signals"] == counts and result["rows"] == 18
    bad = con.sql(
        "SELECT count(*) FROM mart.review_signal WHERE json_type(evidence) <> 'OBJECT' OR text_zh = '' OR text_en = ''"
    ).fetchall()[0][0]
    assert bad == 0
    # a rerun replaces the year, it does not add to it
    signals_year(con, Y, load_rubric())
    assert con.sql("SELECT count(*) FROM mart.review_signal").fetchall()[0][0] == 18


def test_signals_section_thresholds_come_from_the_rubric(tmp_path, signalled):
    import yaml

    from scorecard.settings import DEFAULT_RUBRIC

    con, _ = signalled
    data = yaml.safe_load(DEFAULT_RUBRIC.read_text(encoding="utf-8"))
    data["signals"].update(rush_share=0.7, panel_spread=29.9, copy_min_chars=19, cluster_min=3)
    path = tmp_path / "rubric.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    other = load_rubric(path)
    with pytest.raises(AnalyticsError, match="review year 2018 has not been scored into schema 'signal_test'"):
        signals_year(con, Y, other, schema="signal_test")
    score_year(con, Y, other, schema="signal_test", programme=load_programme().starting_reviews_in(2017))
    result = signals_year(con, Y, other, schema="signal_test")
    assert result["signals"]["year_end_rush"] == 0
    assert result["signals"]["expert_disagreement"] == 3  # E2's 29.9 now counts
    assert result["signals"]["copied_summary"] == 5  # C3 and C4's 19 characters now count
    assert result["signals"]["undertaker_cluster"] == 0
    assert con.sql("SELECT count(*) FROM mart.review_signal").fetchall()[0][0] == 18  # mart untouched


# --- the reader: evidence_ref under its English or Chinese header -------------------------------------------


@pytest.mark.parametrize("header", ["evidence_ref", "佐证编号", "佐证编号 "])
def test_reader_accepts_the_evidence_header_in_either_language(tmp_path: Path, header: str):
    dataset = DATASETS["kpi_actuals"]
    path = tmp_path / "kpi_actuals.csv"
    path.write_text(
        f"项目编号,报告期,指标,累计完成值,{header}\nP1,2018Q4,patents_granted,2,ＣＮ １２３４５６７８；ZL2018-1\nP1,2019Q1,papers,1,\n",
        encoding="utf-8",
    )
    result = ingest_files(dataset, [read_file(path, dataset)], pl.Series(["P1"]))
    assert result.quarantine.height == 0
    clean = result.clean.sort("period")
    # kept as written (the signal compares references normalised, the table keeps what the provider wrote)
    assert clean["evidence_ref"].to_list() == ["ＣＮ １２３４５６７８；ZL2018-1", None]


def test_evidence_column_is_optional(tmp_path: Path):
    dataset = DATASETS["kpi_actuals"]
    path = tmp_path / "kpi_actuals.csv"
    path.write_text("project_id,period,indicator,value\nP1,2018Q4,papers,3\n", encoding="utf-8")
    result = ingest_files(dataset, [read_file(path, dataset)], pl.Series(["P1"]))
    assert result.quarantine.height == 0 and result.clean["evidence_ref"].to_list() == [None]
