"""A small, hand-made warehouse for the report and dashboard tests.

Twelve projects over two review years (2018, 2019): raw rows for the star schema (projects,
milestones, disbursements, progress reports, KPI targets and actuals), built with
``build_warehouse``; then hand-written ``mart.*`` rows in which every grade and every
recommendation occurs, with reasons, programme targets, funds per year, a quality ledger, a few
quarantined rows and a load log. The aggregates of ``mart.program_summary`` are derived from the
hand-made review rows so the fixture is internally consistent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import duckdb
import polars as pl
from badinput.raw_columns import PROJECT_COLUMNS

from scorecard.db import run_sql
from scorecard.settings import DEFAULT_RUBRIC
from scorecard.warehouse import build_warehouse, create_raw_tables

D = dt.date
LOADED = dt.datetime(2020, 1, 15, 9, 30)
SHA = {
    "projects": "a" * 64,
    "milestones": "b" * 64,
    "disbursements": "c" * 64,
    "progress_reports": "d" * 64,
    "kpi_targets": "e" * 64,
    "kpi_actuals": "f" * 64,
}
FILES = {
    "projects": "projects_2019.xlsx",
    "milestones": "milestones.csv",
    "disbursements": "disbursements.csv",
    "progress_reports": "progress_reports.csv",
    "kpi_targets": "kpi_targets.csv",
    "kpi_actuals": "kpi_actuals.csv",
}

# project_id, name, field, plan, department, undertaker, type, selection, support, stage, year,
# start, end, approved, self
PROJECTS = [
    (
        "P01",
        "5G基站射频芯片研发",
        "5g",
        "core_tech",
        "stic",
        "深圳甲科技有限公司",
        "enterprise",
        "tender",
        "grant",
        "ex_ante",
        2017,
        D(2017, 7, 1),
        D(2020, 6, 30),
        3000.0,
        1500.0,
    ),
    (
        "P02",
        "石墨烯导热膜产业化",
        "graphene",
        "industrialization",
        "drc",
        "深圳乙材料股份公司",
        "enterprise",
        "application",
        "grant",
        "in_process",
        2017,
        D(2017, 3, 1),
        D(2019, 6, 30),
        5000.0,
        8000.0,
    ),
    (
        "P03",
        "工业机器人精密减速器",
        "robotics",
        "core_tech",
        "stic",
        "深圳丙智能装备公司",
        "enterprise",
        "bounty",
        "grant",
        "ex_ante",
        2017,
        D(2017, 9, 1),
        D(2020, 12, 31),
        2000.0,
        1000.0,
    ),
    (
        "P04",
        "精准医疗基因测序平台",
        "biotech",
        "service_platform",
        "drc",
        "深圳丁生物研究院",
        "institute",
        "application",
        "grant",
        "ex_ante",
        2018,
        D(2018, 1, 1),
        D(2020, 12, 31),
        1500.0,
        500.0,
    ),
    (
        "P05",
        "虚拟现实内容示范应用",
        "vr_ar",
        "demonstration",
        "eitc",
        "深圳戊数字公司",
        "enterprise",
        "application",
        "loan_subsidy",
        "in_process",
        2018,
        D(2018, 3, 1),
        D(2021, 2, 28),
        800.0,
        1600.0,
    ),
    (
        "P06",
        "新能源汽车电池管理系统",
        "nev",
        "industrialization",
        "drc",
        "深圳己动力公司",
        "enterprise",
        "application",
        "equity",
        "ex_post",
        2017,
        D(2017, 6, 1),
        D(2020, 5, 31),
        4000.0,
        6000.0,
    ),
    (
        "P07",
        "无人机集群控制技术",
        "unmanned",
        "core_tech",
        "stic",
        "深圳庚航空科技",
        "enterprise",
        "tender",
        "grant",
        "ex_ante",
        2017,
        D(2017, 8, 1),
        D(2020, 7, 31),
        1200.0,
        600.0,
    ),
    (
        "P08",
        "金融科技风控实验室",
        "fintech",
        "innovation_carrier",
        "stic",
        "深圳辛大学",
        "university",
        "bounty",
        "grant",
        "ex_ante",
        2018,
        D(2018, 6, 1),
        D(2021, 5, 31),
        1000.0,
        200.0,
    ),
    (
        "P09",
        "激光增材制造装备",
        "additive_laser",
        "chain_fusion",
        "eitc",
        "深圳壬激光公司",
        "enterprise",
        "directed",
        "grant",
        "in_process",
        2017,
        D(2017, 10, 1),
        D(2020, 9, 30),
        2500.0,
        2500.0,
    ),
    (
        "P10",
        "微纳传感器件中试线",
        "micro_nano",
        "demonstration",
        "eitc",
        "深圳癸微电子",
        "enterprise",
        "application",
        "grant",
        "ex_ante",
        2017,
        D(2017, 5, 1),
        D(2020, 4, 30),
        1800.0,
        900.0,
    ),
    (
        "P11",
        "5G边缘计算示范网络",
        "5g",
        "demonstration",
        "eitc",
        "深圳子通信公司",
        "enterprise",
        "application",
        "grant",
        "ex_ante",
        2018,
        D(2018, 9, 1),
        D(2021, 8, 31),
        1200.0,
        1200.0,
    ),
    (
        "P12",
        "石墨烯传感器创新中心",
        "graphene",
        "innovation_carrier",
        "drc",
        "深圳丑研究院",
        "institute",
        "merit",
        "grant",
        "ex_ante",
        2019,
        D(2019, 2, 1),
        D(2022, 1, 31),
        900.0,
        300.0,
    ),
]

# review rows: (project, year, status, grade, total, coverage, flags, recommendation, prev_grade, prev_rec,
#               spi, spi_t, on_time, E, R, out, outc, expert, clawback)
REVIEWS = [
    # 2018
    (
        "P01",
        2018,
        "active",
        "B",
        84.10,
        1.0,
        "",
        "rolling_support",
        None,
        None,
        0.95,
        0.92,
        1.0,
        0.70,
        0.9,
        0.82,
        0.90,
        86.0,
        0.0,
    ),
    (
        "P02",
        2018,
        "active",
        "A",
        92.30,
        1.0,
        "",
        "rolling_support",
        None,
        None,
        1.00,
        1.00,
        1.0,
        0.85,
        1.0,
        0.90,
        0.95,
        90.0,
        0.0,
    ),
    (
        "P03",
        2018,
        "active",
        "C",
        71.50,
        0.85,
        "",
        "rectify",
        None,
        None,
        0.60,
        0.55,
        0.5,
        0.60,
        0.8,
        0.70,
        None,
        80.0,
        0.0,
    ),
    (
        "P04",
        2018,
        "active",
        "B",
        81.00,
        1.0,
        "",
        "rolling_support",
        None,
        None,
        0.90,
        0.88,
        1.0,
        0.65,
        0.7,
        0.80,
        0.80,
        82.0,
        0.0,
    ),
    (
        "P05",
        2018,
        "active",
        "C",
        65.20,
        1.0,
        "self_funds_gap",
        "rectify",
        None,
        None,
        0.70,
        0.66,
        0.5,
        0.50,
        0.4,
        0.60,
        0.70,
        75.0,
        0.0,
    ),
    (
        "P06",
        2018,
        "active",
        "B",
        80.50,
        1.0,
        "",
        "rolling_support",
        None,
        None,
        0.85,
        0.80,
        1.0,
        0.75,
        0.9,
        0.78,
        0.85,
        85.0,
        0.0,
    ),
    (
        "P07",
        2018,
        "active",
        "C",
        62.00,
        1.0,
        "low_execution",
        "rectify",
        None,
        None,
        0.50,
        0.45,
        0.5,
        0.20,
        0.6,
        0.55,
        0.60,
        70.0,
        0.0,
    ),
    (
        "P08",
        2018,
        "active",
        "insufficient",
        55.00,
        0.40,
        "missing_report",
        "rectify",
        None,
        None,
        None,
        None,
        None,
        0.0,
        None,
        None,
        None,
        78.0,
        0.0,
    ),
    (
        "P09",
        2018,
        "active",
        "B",
        83.00,
        1.0,
        "",
        "rolling_support",
        None,
        None,
        0.92,
        0.90,
        1.0,
        0.80,
        0.9,
        0.85,
        0.80,
        84.0,
        0.0,
    ),
    (
        "P10",
        2018,
        "active",
        "D",
        45.00,
        1.0,
        "low_execution,stalled",
        "terminate",
        None,
        None,
        0.20,
        0.18,
        0.0,
        0.10,
        0.3,
        0.30,
        0.20,
        55.0,
        1320.0,
    ),
    # 2019 (P10 terminated in 2018 is no longer reviewed)
    (
        "P01",
        2019,
        "active",
        "A",
        91.20,
        1.0,
        "",
        "rolling_support",
        "B",
        "rolling_support",
        1.00,
        0.98,
        1.0,
        0.82,
        1.0,
        0.92,
        0.88,
        90.0,
        0.0,
    ),
    (
        "P02",
        2019,
        "ended",
        "A",
        95.00,
        1.0,
        "",
        "acceptance_review",
        "A",
        "rolling_support",
        1.00,
        1.00,
        1.0,
        0.95,
        1.1,
        1.00,
        0.95,
        93.0,
        0.0,
    ),
    (
        "P03",
        2019,
        "active",
        "B",
        86.00,
        1.0,
        "",
        "rolling_support",
        "C",
        "rectify",
        0.95,
        0.93,
        1.0,
        0.78,
        0.95,
        0.85,
        0.80,
        85.0,
        0.0,
    ),
    (
        "P04",
        2019,
        "active",
        "B",
        82.40,
        1.0,
        "self_funds_gap",
        "rectify",
        "B",
        "rolling_support",
        0.90,
        0.85,
        1.0,
        0.70,
        0.45,
        0.82,
        0.85,
        83.0,
        0.0,
    ),
    (
        "P05",
        2019,
        "active",
        "C",
        68.00,
        1.0,
        "low_execution,self_funds_gap",
        "rectify",
        "C",
        "rectify",
        0.75,
        0.70,
        0.5,
        0.25,
        0.35,
        0.65,
        0.70,
        74.0,
        0.0,
    ),
    (
        "P06",
        2019,
        "active",
        "C",
        74.50,
        1.0,
        "missing_report",
        "rectify",
        "B",
        "rolling_support",
        0.80,
        0.76,
        0.67,
        0.72,
        0.85,
        0.70,
        0.75,
        80.0,
        0.0,
    ),
    (
        "P07",
        2019,
        "active",
        "D",
        52.30,
        1.0,
        "low_execution,stalled",
        "terminate",
        "C",
        "rectify",
        0.40,
        0.35,
        0.33,
        0.22,
        0.55,
        0.40,
        0.45,
        62.0,
        936.0,
    ),
    (
        "P08",
        2019,
        "active",
        "insufficient",
        60.00,
        0.45,
        "missing_report,self_funds_gap",
        "rectify",
        "insufficient",
        "rectify",
        None,
        None,
        None,
        0.0,
        0.2,
        None,
        None,
        76.0,
        0.0,
    ),
    (
        "P09",
        2019,
        "active",
        "D",
        84.00,
        1.0,
        "veto",
        "terminate",
        "B",
        "rolling_support",
        0.95,
        0.92,
        1.0,
        0.85,
        0.9,
        0.88,
        0.85,
        40.0,
        375.0,
    ),
    (
        "P11",
        2019,
        "active",
        "B",
        80.20,
        0.95,
        "overspend",
        "suspend_funding",
        None,
        None,
        0.88,
        0.86,
        1.0,
        1.05,
        0.8,
        0.78,
        None,
        81.0,
        0.0,
    ),
    (
        "P12",
        2019,
        "active",
        "insufficient",
        None,
        0.0,
        "",
        "rectify",
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        0.0,
    ),
]

REASONS = {
    ("P01", 2019): [
        (
            "recommendation:rolling_support",
            "评为优且无预警，建议滚动支持",
            "Grade A and no flag: rolling support",
            {"total_score": 91.2},
        )
    ],
    ("P02", 2019): [
        (
            "recommendation:acceptance_review",
            "项目已于2019年6月30日到期，建议结题验收",
            "The project ended on 2019-06-30: completion acceptance review",
            {"end_date": "2019-06-30"},
        )
    ],
    ("P04", 2019): [
        ("flag:self_funds_gap", "自筹资金到位率 0.45 低于 0.5", "Self-funding arrival 0.45 is below 0.5", {"R": 0.45}),
        ("recommendation:rectify", "存在预警，建议限期整改", "A flag was raised: rectify", {"flags": 1}),
    ],
    ("P05", 2019): [
        (
            "flag:low_execution",
            "资金执行率 0.25 低于 0.3，首笔拨款已超过365天",
            "Fund execution 0.25 < 0.3, first disbursement over 365 days ago",
            {"E": 0.25},
        ),
        ("flag:self_funds_gap", "自筹资金到位率 0.35 低于 0.5", "Self-funding arrival 0.35 is below 0.5", {"R": 0.35}),
        ("grade:C", "总分 68.00，评为中", "Total score 68.00: grade C", {"total_score": 68.0}),
        ("recommendation:rectify", "评为中且存在预警，建议限期整改", "Grade C with flags: rectify", {"flags": 2}),
    ],
    ("P06", 2019): [
        ("flag:missing_report", "2019年无任何季度进度报告", "No progress report for any quarter of 2019", {}),
        ("grade:C", "总分 74.50，评为中", "Total score 74.50: grade C", {"total_score": 74.5}),
        ("recommendation:rectify", "评为中，建议限期整改", "Grade C: rectify", {}),
    ],
    ("P07", 2019): [
        (
            "flag:stalled",
            "节点2逾期 400 天未完成，365天内无节点完成",
            "Milestone 2 overdue 400 days, none done in 365 days",
            {"overdue_days": 400},
        ),
        ("flag:low_execution", "资金执行率 0.22 低于 0.3", "Fund execution 0.22 < 0.3", {"E": 0.22}),
        ("grade:D", "总分 52.30，评为差", "Total score 52.30: grade D", {"total_score": 52.3}),
        (
            "recommendation:terminate",
            "在研项目评为差且进度停滞，建议中止淘汰，追回结余资金 936.00 万元",
            "Active, grade D and stalled: terminate, claw back 936.00 万元",
            {"clawback_wan": 936.0},
        ),
    ],
    ("P08", 2019): [
        ("flag:missing_report", "2019年无任何季度进度报告", "No progress report for any quarter of 2019", {}),
        ("flag:self_funds_gap", "自筹资金到位率 0.20 低于 0.5", "Self-funding arrival 0.20 is below 0.5", {"R": 0.2}),
        (
            "grade:insufficient",
            "数据覆盖率 0.45 低于 0.5，数据不足",
            "Coverage 0.45 below 0.5: insufficient data",
            {"coverage": 0.45},
        ),
        ("recommendation:rectify", "数据不足，建议限期整改", "Insufficient data: rectify", {}),
    ],
    ("P09", 2019): [
        ("flag:veto", "专家评审发现弄虚作假，一票否决", "An expert found falsified data: veto", {"experts_veto": 1}),
        ("grade:D", "一票否决，评为差", "Veto: grade D", {}),
        (
            "recommendation:terminate",
            "一票否决，建议中止淘汰，追回结余资金 375.00 万元",
            "Veto: terminate, claw back 375.00 万元",
            {"clawback_wan": 375.0},
        ),
    ],
    ("P11", 2019): [
        (
            "flag:overspend",
            "财政资金累计支出 1,260.00 万元超过净拨款 1,200.00 万元",
            "Fiscal spent 1,260.00 exceeds net disbursed 1,200.00",
            {"fiscal_spent_wan": 1260.0, "D": 1200.0},
        ),
        ("recommendation:suspend_funding", "超支，建议暂停拨款", "Overspend: suspend funding", {}),
    ],
    ("P12", 2019): [
        ("grade:insufficient", "无可评分数据，数据不足", "No applicable leaf: insufficient data", {"coverage": 0.0}),
        ("recommendation:rectify", "数据不足，建议限期整改", "Insufficient data: rectify", {}),
    ],
    ("P10", 2018): [
        ("flag:stalled", "节点逾期未完成，进度停滞", "Milestone overdue: stalled", {}),
        (
            "recommendation:terminate",
            "在研项目评为差，建议中止淘汰",
            "Active and grade D: terminate",
            {"clawback_wan": 1320.0},
        ),
    ],
}


def _raw_projects() -> pl.DataFrame:
    cols = PROJECT_COLUMNS[:-1]  # the fixture's projects share one project_manager, added below
    df = pl.DataFrame([dict(zip(cols, p)) for p in PROJECTS])
    return df.with_columns(pl.lit("经理").alias("project_manager"))


def _raw_rows() -> dict[str, pl.DataFrame]:
    milestones, disb, progress, targets, actuals = [], [], [], [], []
    for i, p in enumerate(PROJECTS):
        pid, start, end, approved, self_f = p[0], p[11], p[12], p[13], p[14]
        span = (end - start).days
        for k in range(1, 5):
            planned = start + dt.timedelta(days=span * k // 4)
            done = None
            if planned <= D(2019, 12, 31) and pid not in ("P07", "P08", "P10"):
                done = planned + dt.timedelta(days=10 + 15 * (i % 3))
            if pid == "P07" and k == 1:
                done = planned + dt.timedelta(days=40)
            milestones.append(
                {
                    "project_id": pid,
                    "milestone_no": k,
                    "description": f"节点{k}",
                    "planned_date": planned,
                    "weight": float(k),
                    "completed_date": done,
                }
            )
        first = start + dt.timedelta(days=30)
        disb.append(
            {
                "payment_id": f"{pid}-1",
                "project_id": pid,
                "payment_date": first,
                "amount_wan": approved * 0.6,
                "kind": "disbursement",
                "source": "city",
            }
        )
        disb.append(
            {
                "payment_id": f"{pid}-2",
                "project_id": pid,
                "payment_date": first + dt.timedelta(days=365),
                "amount_wan": approved * 0.3,
                "kind": "disbursement",
                "source": "district" if i % 2 else "city",
            }
        )
        if pid == "P10":
            disb.append(
                {
                    "payment_id": f"{pid}-R",
                    "project_id": pid,
                    "payment_date": D(2019, 3, 15),
                    "amount_wan": 1320.0,
                    "kind": "recovery",
                    "source": "city",
                }
            )
        q_spent = 0.0
        for year in (2017, 2018, 2019):
            for q in (1, 2, 3, 4):
                period_end = D(year, q * 3, 28)
                if period_end < start or (pid in ("P06", "P08") and year == 2019):
                    continue
                q_spent += approved * 0.06
                progress.append(
                    {
                        "project_id": pid,
                        "period": f"{year}Q{q}",
                        "submitted_date": period_end + dt.timedelta(days=15),
                        "fiscal_spent_wan": round(q_spent, 2),
                        "self_arrived_wan": round(q_spent * self_f / approved, 2),
                        "total_spent_wan": round(q_spent * (1 + self_f / approved), 2),
                        "risk_level": ("low", "medium", "high")[i % 3],
                        "summary": "按计划推进",
                    }
                )
        for ind, target in (("patents_granted", 10.0), ("revenue", 3000.0), ("talent", 20.0)):
            targets.append({"project_id": pid, "indicator": ind, "target_value": target, "due_date": None})
            for year, frac in ((2018, 0.3), (2019, 0.7)):
                if D(year, 12, 31) > start:
                    actuals.append(
                        {
                            "project_id": pid,
                            "period": f"{year}Q4",
                            "indicator": ind,
                            "value": round(target * frac * (0.6 + 0.08 * i), 2),
                        }
                    )
    return {
        "projects": _raw_projects(),
        "milestones": pl.DataFrame(milestones, schema_overrides={"completed_date": pl.Date}),
        "disbursements": pl.DataFrame(disb),
        "progress_reports": pl.DataFrame(progress),
        "kpi_targets": pl.DataFrame(targets, schema_overrides={"due_date": pl.Date}),
        "kpi_actuals": pl.DataFrame(actuals),
    }


REVIEW_COLUMNS = [
    "project_id",
    "review_year",
    "status",
    "grade",
    "total_score",
    "coverage",
    "flags",
    "recommendation",
    "prev_grade",
    "prev_recommendation",
    "spi",
    "spi_t",
    "on_time_rate",
    "fund_execution_rate",
    "self_funding_arrival_rate",
    "output_achievement",
    "outcome_achievement",
    "expert_score",
    "clawback_wan",
]


def _review_frame(rubric_version: str, rubric_sha: str) -> pl.DataFrame:
    df = pl.DataFrame([dict(zip(REVIEW_COLUMNS, r)) for r in REVIEWS], infer_schema_length=None)
    return df.with_columns(
        pl.lit(rubric_version).alias("rubric_version"),
        pl.lit(rubric_sha).alias("rubric_sha256"),
    )


def build_fixture_warehouse(
    con: duckdb.DuckDBPyConnection, rubric_version: str = "v1", rubric_sha: str | None = None
) -> None:
    """Fill ``con`` (an empty DuckDB) with the fixture's raw, warehouse and mart rows (scored, by default,
    with the default rubric file's version and SHA-256)."""
    if rubric_sha is None:
        rubric_sha = hashlib.sha256(DEFAULT_RUBRIC.read_bytes()).hexdigest()
    create_raw_tables(con)
    run_sql(con, "mart/schema.sql")
    for name, frame in _raw_rows().items():
        frame = frame.with_columns(  # noqa: F841 - read by DuckDB's replacement scan
            pl.lit(FILES[name]).alias("_source_file"),
            (pl.int_range(pl.len()) + 2).cast(pl.Int32).alias("_source_row"),
            pl.lit(SHA[name]).alias("_file_sha256"),
            pl.lit(LOADED).alias("_loaded_at"),
        )
        con.execute(f"INSERT INTO raw.{name} BY NAME SELECT * FROM frame")
        con.execute(
            "INSERT INTO raw.load_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, ?)",
            ["load-2", name, FILES[name], SHA[name], 1000 + len(frame) * 50, len(frame) + 1, len(frame), 1, LOADED],
        )
    # an older load of the projects file (superseded): must not appear in the manifest's inputs
    con.execute(
        "INSERT INTO raw.load_log VALUES ('load-1', 'projects', 'projects_old.xlsx', ?, 999, 5, 5, 0, 0, NULL, ?)",
        ["9" * 64, LOADED - dt.timedelta(days=30)],
    )
    build_warehouse(con)

    review = _review_frame(rubric_version, rubric_sha)  # noqa: F841
    con.execute("""
        INSERT INTO mart.project_review BY NAME
        SELECT r.*, make_date(r.review_year, 12, 31) AS as_of_date,
               0.5 AS elapsed_fraction,
               CASE WHEN r.spi IS NULL THEN NULL ELSE 15 * least(r.spi, 1) + 5 * coalesce(r.on_time_rate, 0) END AS score_process,
               40 * r.output_achievement AS score_output, 15 * r.outcome_achievement AS score_outcome,
               0.15 * r.expert_score AS score_expert,
               p.approved_funding_wan + p.self_funding_wan AS bac,
               (p.approved_funding_wan + p.self_funding_wan) * 0.5 AS pv,
               (p.approved_funding_wan + p.self_funding_wan) * 0.5 * coalesce(r.spi, 0) AS ev,
               p.approved_funding_wan * 0.4 AS ac, NULL AS cpi, NULL AS eac, NULL AS tcpi, 300.0 AS es_days
        FROM review r JOIN dim_project p USING (project_id)
    """)
    _measured(con)
    reasons = [
        (pid, year, code, zh, en, json.dumps(nums))
        for (pid, year), rows in REASONS.items()
        for code, zh, en, nums in rows
    ]
    con.executemany("INSERT INTO mart.review_reason VALUES (?, ?, ?, ?, ?, ?)", reasons)
    _program_summary(con, rubric_version)
    _targets_and_funds(con)
    _quality(con)


def _measured(con: duckdb.DuckDBPyConnection) -> None:
    """The measured-values marts the report and dashboards read (the review would write them), derived here
    from the fixture's facts for the fixture's review rows."""
    con.execute("""
        INSERT INTO mart.review_milestone
        SELECT r.project_id, r.review_year, m.milestone_no, m.description, m.planned_date, m.completed_date, m.weight,
               m.weight_share, m.planned_date <= r.as_of_date, coalesce(m.completed_date <= r.as_of_date, false),
               coalesce(m.planned_date <= r.as_of_date AND m.completed_date <= r.as_of_date
                        AND m.completed_date <= m.planned_date + 30, false),
               CASE WHEN m.planned_date <= r.as_of_date AND NOT coalesce(m.completed_date <= r.as_of_date, false)
                    THEN datediff('day', m.planned_date, r.as_of_date) END
        FROM mart.project_review r JOIN fact_milestone m USING (project_id)""")
    con.execute("""
        INSERT INTO mart.review_kpi
        SELECT r.project_id, r.review_year, t.indicator, t.kind, t.target_value, t.due_date, 0.5, t.target_value * 0.5,
               coalesce(a.value, 0), coalesce(a.value, 0) / (t.target_value * 0.5), true,
               coalesce(a.value, 0) >= t.target_value * 0.5
        FROM mart.project_review r JOIN fact_kpi_target t USING (project_id)
        LEFT JOIN (SELECT r.project_id, r.review_year, k.indicator, arg_max(k.value, k.period_end) AS value
                   FROM mart.project_review r JOIN fact_kpi k USING (project_id)
                   WHERE k.period_end <= r.as_of_date GROUP BY ALL) a USING (project_id, review_year, indicator)""")
    con.execute("""
        INSERT INTO mart.review_timeline
        SELECT r.project_id, r.review_year,
               coalesce((SELECT list({'payment_date': d.payment_date, 'cumulative_wan': d.cum} ORDER BY d.payment_date)
                         FROM (SELECT payment_date, sum(sum(signed_amount_wan)) OVER (ORDER BY payment_date) AS cum
                               FROM fact_disbursement WHERE project_id = r.project_id AND payment_date <= r.as_of_date
                               GROUP BY payment_date) d), []),
               coalesce((SELECT list({'period_end': g.period_end, 'fiscal_spent_wan': g.fiscal_spent_wan,
                                      'total_spent_wan': g.total_spent_wan} ORDER BY g.period_end)
                         FROM fact_progress g WHERE g.project_id = r.project_id AND g.period_end <= r.as_of_date), [])
        FROM mart.project_review r""")


def _program_summary(con: duckdb.DuckDBPyConnection, rubric_version: str) -> None:
    con.execute("""
        CREATE TEMP TABLE _pr AS
        SELECT r.*, p.field, p.plan, p.department, p.support_mode, p.approved_funding_wan,
               (SELECT sum(signed_amount_wan) FROM fact_disbursement d WHERE d.project_id = r.project_id AND d.payment_date <= r.as_of_date) AS d_wan,
               coalesce((SELECT arg_max(fiscal_spent_wan, period_end) FROM fact_progress g WHERE g.project_id = r.project_id AND g.period_end <= r.as_of_date), 0) AS spent,
               coalesce((SELECT arg_max(self_arrived_wan, period_end) FROM fact_progress g WHERE g.project_id = r.project_id AND g.period_end <= r.as_of_date), 0) AS arrived,
               (len(list_filter(string_split(r.flags, ','), lambda x: x <> '' AND x <> 'veto')) >= 2) AS problem
        FROM mart.project_review r JOIN dim_project p USING (project_id)
    """)
    for dim in ("all", "field", "plan", "department", "support_mode"):
        value = "'all'" if dim == "all" else dim
        con.execute(f"""
            INSERT INTO mart.program_summary
            SELECT review_year, '{dim}', {value}, count(*),
                   count(*) FILTER (grade = 'A'), count(*) FILTER (grade = 'B'), count(*) FILTER (grade = 'C'),
                   count(*) FILTER (grade = 'D'), count(*) FILTER (grade = 'insufficient'),
                   avg(total_score), sum(approved_funding_wan), sum(d_wan), sum(spent),
                   sum(spent) / nullif(sum(d_wan), 0), sum(arrived), sum(arrived) / nullif(sum(d_wan), 0),
                   count(*) FILTER (problem), coalesce(sum(approved_funding_wan) FILTER (problem), 0),
                   count(*) FILTER (recommendation = 'terminate'), count(*) FILTER (recommendation = 'acceptance_review'),
                   count(*) FILTER (recommendation = 'suspend_funding'), count(*) FILTER (recommendation = 'rectify'),
                   count(*) FILTER (recommendation = 'rolling_support'), sum(clawback_wan), '{rubric_version}'
            FROM _pr GROUP BY review_year, {value}
        """)
    con.execute("DROP TABLE _pr")


TARGETS = [
    (
        "core_tech_projects",
        "实施基础研究和技术攻关项目超50个",
        "Over 50 core-technology projects",
        "core_tech",
        50,
        "个",
    ),
    ("innovation_carriers", "组建创新载体超100家", "Over 100 innovation carriers", "innovation_carrier", 100, "家"),
    (
        "demonstration_projects",
        "产业链关键环节提升及应用示范项目超过50个",
        "Over 50 demonstration projects",
        "demonstration",
        50,
        "个",
    ),
    ("fusion_chains", "培育“创新链+产业链”融合链超过10条", "Over 10 fusion chains", "chain_fusion", 10, "条"),
    (
        "industrialization_projects",
        "实施重大产业化项目超过200个",
        "Over 200 industrialization projects",
        "industrialization",
        200,
        "个",
    ),
]


def _targets_and_funds(con: duckdb.DuckDBPyConnection) -> None:
    for year in (2018, 2019):
        for code, zh, en, plan, threshold, unit in TARGETS:
            measured = con.sql(
                "SELECT count(*) FROM dim_project WHERE plan = ? AND approval_year <= ?", params=[plan, year]
            ).fetchall()[0][0]
            con.execute(
                "INSERT INTO mart.program_target VALUES (?, ?, ?, ?, ?, ?, '>', ?, ?)",
                [year, code, zh, en, measured, threshold, unit, measured > threshold],
            )
        con.execute(
            """
            INSERT INTO mart.disbursement_by_year
            SELECT ?, payment_year, sum(amount_wan) FILTER (kind = 'disbursement'),
                   coalesce(sum(amount_wan) FILTER (kind = 'recovery'), 0), sum(signed_amount_wan),
                   CASE WHEN payment_year BETWEEN 2017 AND 2019 THEN 200000 END
            FROM fact_disbursement WHERE payment_date <= make_date(?, 12, 31) GROUP BY payment_year
        """,
            [year, year],
        )
        for code, zh, en, unit, threshold, comparator in (
            (
                "industry_scale",
                "新兴产业到2020年规模超过3万亿元",
                "Emerging industries over 3 trillion CNY by 2020",
                "亿元",
                30000,
                ">",
            ),
            ("value_added_share", "增加值占GDP比重达到42%", "Value added 42% of GDP", "%", 42, ">="),
        ):
            con.execute(
                "INSERT INTO mart.program_target VALUES (?, ?, ?, ?, NULL, ?, ?, ?, NULL)",
                [year, code, zh, en, threshold, comparator, unit],
            )
        for py in (2017, 2018, 2019):
            if py > year:
                continue
            net = con.sql(
                "SELECT net_disbursed_wan FROM mart.disbursement_by_year WHERE review_year = ? AND payment_year = ?",
                params=[year, py],
            ).fetchall()
            value = net[0][0] if net else 0.0
            con.execute(
                "INSERT INTO mart.program_target VALUES (?, ?, ?, ?, ?, 200000, '>=', '万元', ?)",
                [year, f"annual_budget_{py}", f"{py}年安排20亿元", f"200,000 万元 in {py}", value, value >= 200000],
            )


def _quality(con: duckdb.DuckDBPyConnection) -> None:
    at = dt.datetime(2020, 1, 15, 9, 31)
    rows = []
    for ds in ("projects", "milestones", "disbursements", "progress_reports"):
        for exp, col, ok, bad in (
            ("expect_column_values_to_not_be_null", "project_id", True, 0),
            (
                "expect_column_values_to_be_between",
                "amount_wan" if ds == "disbursements" else None,
                ds != "disbursements",
                2 if ds == "disbursements" else 0,
            ),
        ):
            rows.append(("run-2", at, ds, exp, col, "ERROR", ok, 40, bad, json.dumps([-5] * bad)))
    rows.append(("run-1", at - dt.timedelta(days=1), "projects", "old_expectation", None, "ERROR", False, 10, 1, "[]"))
    con.executemany("INSERT INTO mart.data_quality VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    q = [
        (
            "projects",
            "projects_2019.xlsx",
            14,
            "field",
            "量子计算",
            "unknown_code",
            "领域代码未知 / unknown field code",
        ),
        (
            "disbursements",
            "disbursements.csv",
            7,
            "amount_wan",
            "-5",
            "out_of_range",
            "金额须大于0 / amount must be > 0",
        ),
        (
            "disbursements",
            "disbursements.csv",
            9,
            "amount_wan",
            "NaN",
            "unparseable",
            "无法解析的数值 / unparseable number",
        ),
        (
            "progress_reports",
            "progress_reports.csv",
            33,
            "total_spent_wan",
            "10",
            "total_covers_fiscal",
            "累计总支出小于财政资金累计支出",
        ),
        ("milestones", "milestones.csv", 5, "project_id", "P99", "unknown_project", "项目编号不存在 / unknown project"),
    ]
    con.executemany(
        "INSERT INTO raw.quarantine VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 'load-2', ?)", [(*r, LOADED) for r in q]
    )


def fixture_connection() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    build_fixture_warehouse(con)
    return con
