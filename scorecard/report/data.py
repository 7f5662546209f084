"""The report's tables: one function per table, each a query on the mart (and, for the lists and
the progress chapter, the warehouse facts) returning a polars frame.

Numbers come only from the tables: nothing here recomputes a score, a grade, a flag or a
recommendation; it counts, sums and lists what the scoring wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import polars as pl

from scorecard.review import as_of_date as review_as_of

# column -> (中文, English, kind), one table for every chapter; kind drives the number format in the HTML/PDF and XLSX.
COLUMNS: dict[str, tuple[str, str, str]] = {
    "metric": ("指标", "Metric", "text"),
    "value": ("本年度", "This year", "num"),
    "prev_value": ("上年度", "Last year", "num"),
    "change": ("变化", "Change", "num"),
    "project_id": ("项目编号", "Project ID", "text"),
    "project_name": ("项目名称", "Project name", "text"),
    "review_year": ("考核年度", "Review year", "year"),
    "as_of_date": ("考核截止日", "As-of date", "date"),
    "status": ("状态", "Status", "text"),
    "field": ("领域", "Field", "code"),
    "plan": ("扶持计划", "Support plan", "code"),
    "department": ("主管单位", "Department", "code"),
    "support_mode": ("资助方式", "Support mode", "code"),
    "undertaker": ("承担单位", "Undertaker", "text"),
    "dimension": ("维度", "Dimension", "text"),
    "dimension_value": ("分组", "Group", "code"),
    "projects": ("项目数", "Projects", "int"),
    "grade_a": ("优", "A", "int"),
    "grade_b": ("良", "B", "int"),
    "grade_c": ("中", "C", "int"),
    "grade_d": ("差", "D", "int"),
    "grade_insufficient": ("数据不足", "Insufficient", "int"),
    "mean_score": ("平均分", "Mean score", "num"),
    "approved_wan": ("财政资助（万元）", "Approved (万元)", "money"),
    "approved_funding_wan": ("财政资助（万元）", "Approved (万元)", "money"),
    "net_disbursed_wan": ("净拨款（万元）", "Net disbursed (万元)", "money"),
    "fiscal_spent_wan": ("财政资金支出（万元）", "Fiscal spent (万元)", "money"),
    "execution_rate": ("资金执行率", "Execution rate", "pct"),
    "self_arrived_wan": ("自筹到位（万元）", "Self funds arrived (万元)", "money"),
    "leverage": ("杠杆率", "Leverage", "num"),
    "problem_projects": ("问题项目数", "Problem projects", "int"),
    "problem_funding_wan": ("问题项目资助（万元）", "Problem-project funding (万元)", "money"),
    "rec_terminate": ("中止淘汰", "Terminate", "int"),
    "rec_acceptance_review": ("结题验收", "Acceptance review", "int"),
    "rec_suspend_funding": ("暂停拨款", "Suspend funding", "int"),
    "rec_rectify": ("限期整改", "Rectify", "int"),
    "rec_rolling_support": ("滚动支持", "Rolling support", "int"),
    "clawback_wan": ("追回金额（万元）", "Clawback (万元)", "money"),
    "rubric_version": ("评分细则版本", "Rubric version", "text"),
    "rubric_sha256": ("评分细则SHA-256", "Rubric SHA-256", "text"),
    "target": ("目标代码", "Target", "text"),
    "name_zh": ("目标", "Target (zh)", "text"),
    "name_en": ("Target", "Target (en)", "text"),
    "measured": ("实际值", "Measured", "num"),
    "threshold": ("目标值", "Threshold", "num"),
    "comparator": ("比较", "Comparator", "text"),
    "unit": ("单位", "Unit", "text"),
    "met": ("是否完成", "Met", "bool"),
    "payment_year": ("拨款年度", "Payment year", "year"),
    "disbursed_wan": ("拨付（万元）", "Disbursed (万元)", "money"),
    "recovered_wan": ("追回（万元）", "Recovered (万元)", "money"),
    "budget_wan": ("年度预算（万元）", "Budget (万元)", "money"),
    "budget_rate": ("预算完成率", "Share of budget", "pct"),
    "milestones": ("节点数", "Milestones", "int"),
    "due": ("应完成", "Due", "int"),
    "done": ("已完成", "Done", "int"),
    "done_due": ("应完成中已完成", "Due and done", "int"),
    "overdue": ("逾期未完成", "Overdue", "int"),
    "completion_rate": ("节点完成率", "Completion rate", "pct"),
    "mean_on_time_rate": ("平均按时率", "Mean on-time rate", "pct"),
    "milestone_no": ("节点序号", "Milestone", "int"),
    "description": ("节点内容", "Description", "text"),
    "planned_date": ("计划完成日期", "Planned date", "date"),
    "days_overdue": ("逾期天数", "Days overdue", "int"),
    "metric_name": ("指标", "Measure", "text"),
    "bin": ("区间", "Range", "text"),
    "bin_order": ("序", "Order", "int"),
    "spi": ("SPI", "SPI", "num"),
    "spi_t": ("SPI(t)", "SPI(t)", "num"),
    "indicator": ("绩效指标", "Indicator", "code"),
    "kind": ("类别", "Kind", "text"),
    "target_value": ("目标值合计", "Total target", "num"),
    "actual_value": ("截至考核日完成合计", "Total actual at as-of date", "num"),
    "achievement": ("完成率", "Achievement", "pct"),
    "mean_output_achievement": ("产出完成度均值", "Mean output achievement", "pct"),
    "mean_outcome_achievement": ("效益完成度均值", "Mean outcome achievement", "pct"),
    "prev_grade": ("上年等级", "Last year's grade", "code"),
    "grade": ("等级", "Grade", "code"),
    "total_score": ("总分", "Total score", "num"),
    "flags": ("预警", "Flags", "text"),
    "flag": ("预警", "Flag", "code"),
    "count": ("次数", "Count", "int"),
    "share": ("占比", "Share", "pct"),
    "rule_code": ("规则", "Rule", "text"),
    "example_zh": ("示例（中文）", "Example (zh)", "text"),
    "example_en": ("示例（英文）", "Example (en)", "text"),
    "recommendation": ("建议", "Recommendation", "code"),
    "reasons_zh": ("理由", "Reasons (zh)", "text"),
    "reasons_en": ("Reasons", "Reasons (en)", "text"),
    "reasons": ("理由", "Reasons", "text"),
    "dataset": ("数据集", "Dataset", "text"),
    "expectations": ("校验规则数", "Expectations", "int"),
    "passed": ("通过", "Passed", "int"),
    "failed": ("未通过", "Failed", "int"),
    "unexpected": ("异常值数", "Unexpected values", "int"),
    "reason_code": ("原因代码", "Reason code", "text"),
    "reason": ("原因", "Reason", "text"),
    "rows": ("行数", "Rows", "int"),
    "files": ("文件数", "Files", "int"),
    "elapsed_fraction": ("时间进度", "Elapsed fraction", "pct"),
    "on_time_rate": ("节点按时率", "On-time rate", "pct"),
    "fund_execution_rate": ("资金执行率", "Fund execution rate", "pct"),
    "self_funding_arrival_rate": ("自筹资金到位率", "Self-funding arrival", "pct"),
    "output_achievement": ("产出完成度", "Output achievement", "pct"),
    "outcome_achievement": ("效益完成度", "Outcome achievement", "pct"),
    "expert_score": ("专家评分", "Expert score", "num"),
    "score_process": ("过程得分", "Process points", "num"),
    "score_output": ("产出得分", "Output points", "num"),
    "score_outcome": ("效益得分", "Outcome points", "num"),
    "score_expert": ("专家得分", "Expert points", "num"),
    "coverage": ("数据覆盖率", "Coverage", "pct"),
    "bac": ("完工预算BAC（万元）", "BAC (万元)", "money"),
    "pv": ("计划价值PV（万元）", "PV (万元)", "money"),
    "ev": ("挣值EV（万元）", "EV (万元)", "money"),
    "ac": ("实际成本AC（万元）", "AC (万元)", "money"),
    "cpi": ("CPI", "CPI", "num"),
    "eac": ("完工估算EAC（万元）", "EAC (万元)", "money"),
    "tcpi": ("TCPI", "TCPI", "num"),
    "es_days": ("挣得进度（天）", "Earned schedule (days)", "num"),
    "prev_recommendation": ("上年建议", "Last year's recommendation", "code"),
    "first_level": ("一级指标", "First-level indicator", "text"),
    "leaf": ("二级指标", "Leaf indicator", "text"),
    "points": ("分值", "Points", "num"),
    "formula": ("计分公式", "Formula", "text"),
    # the two analyses beyond the rubric (analytics_sections.py; docs/analytics.md §1, §2)
    "decisions": ("决策数", "Decisions", "int"),
    "robust": ("稳健", "Robust", "int"),
    "fragile": ("待复核（不稳健）", "Fragile", "int"),
    "fragile_share": ("不稳健占比", "Share fragile", "pct"),
    "margin_points": ("距等级分界（分）", "Margin to band (points)", "num"),
    "oat_flips": ("单因素情景改变数", "One-at-a-time flips", "int"),
    "random_share_kept": ("随机权重保持比例", "Kept by random rubrics", "pct"),
    "flip_to": ("可能改为", "Flips to", "code"),
    "signal": ("线索类型", "Signal", "code"),
    "signal_zh": ("线索类型", "Signal", "text"),
    "signals": ("线索数", "Signals", "int"),
    "text_zh": ("线索说明", "What was found", "text"),
    "text_en": ("线索说明（英文）", "What was found (English)", "text"),
    "evidence": ("证据（JSON）", "Evidence (JSON)", "text"),
    # the programme-management chapters (programme_sections.py; docs/programme-management.md §3–§7)
    "prev_decision": ("上年决定", "Last year's decision", "text"),
    "prev_problem": ("上年潜在问题项目", "Problem project last year", "bool"),
    "outcome": ("整改结果", "Outcome", "text"),
    "outcome_label": ("整改结果", "Outcome", "text"),
    "level": ("层级", "Level", "text"),
    "code": ("代码", "Code", "text"),
    "group_label": ("领域 / 计划", "Field / plan", "text"),
    "graded": ("已定级", "Graded", "int"),
    "share_ab": ("优良率", "Share A or B", "pct"),
    "share_terminate": ("中止淘汰占比", "Share to terminate", "pct"),
    "problem_share": ("问题项目占比", "Problem share", "pct"),
    "fund_execution": ("资金执行率", "Fund execution", "pct"),
    "suggestion": ("调整建议", "Suggestion", "text"),
    "suggestion_label": ("调整建议", "Suggestion", "text"),
    "reason_zh": ("理由", "Reason (zh)", "text"),
    "reason_en": ("Reason", "Reason (en)", "text"),
    "scenario": ("测算类型", "Scenario", "text"),
    "field_label": ("领域", "Field", "text"),
    "released_wan": ("释放资金（万元）", "Released (万元)", "money"),
    "held_wan": ("暂缓资金（万元）", "Held (万元)", "money"),
    "reallocated_wan": ("调剂资金（万元）", "Reallocated (万元)", "money"),
    "basis": ("调剂依据", "Basis", "text"),
    "approval_year": ("立项年度", "Approval year", "year"),
    "latest_status": ("最新状态", "Latest status", "text"),
    "project_manager": ("项目经理人", "Project manager", "text"),
    "flagged": ("有预警项目", "Flagged", "int"),
    "overdue_milestones": ("逾期节点", "Overdue milestones", "int"),
    "projects_total": ("合计", "Total", "int"),
}


@dataclass
class ReportTable:
    key: str
    title_zh: str
    title_en: str
    frame: pl.DataFrame
    columns: list[str] = field(default_factory=list)  # shown columns (all if empty)

    @property
    def shown(self) -> list[str]:
        return self.columns or self.frame.columns


def q(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pl.DataFrame:
    return con.sql(sql, params=params or []).pl()


def review_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    return [r[0] for r in con.sql("SELECT DISTINCT review_year FROM mart.project_review ORDER BY 1").fetchall()]


def as_of_date(con: duckdb.DuckDBPyConnection, year: int):
    rows = con.sql("SELECT max(as_of_date) FROM mart.project_review WHERE review_year = ?", params=[year]).fetchall()

    return rows[0][0] or review_as_of(year)


# --- 1 summary ----------------------------------------------------------------------------------
def program_all(con, year: int) -> dict | None:
    rows = q(con, "SELECT * FROM mart.program_summary WHERE review_year = ? AND dimension = 'all'", [year]).to_dicts()
    return rows[0] if rows else None


SUMMARY_METRICS = [
    ("projects", "考核项目数", "Projects reviewed", "int"),
    ("grade_a", "优（A）", "Grade A", "int"),
    ("grade_b", "良（B）", "Grade B", "int"),
    ("grade_c", "中（C）", "Grade C", "int"),
    ("grade_d", "差（D）", "Grade D", "int"),
    ("grade_insufficient", "数据不足", "Insufficient data", "int"),
    ("mean_score", "平均分", "Mean score", "num"),
    ("rec_terminate", "建议中止淘汰", "Terminate", "int"),
    ("rec_acceptance_review", "建议结题验收", "Completion acceptance review", "int"),
    ("rec_suspend_funding", "建议暂停拨款", "Suspend funding", "int"),
    ("rec_rectify", "建议限期整改", "Rectify", "int"),
    ("rec_rolling_support", "建议滚动支持", "Rolling support", "int"),
    ("approved_wan", "财政资助金额（万元）", "Approved funding (万元)", "money"),
    ("net_disbursed_wan", "累计净拨款（万元）", "Net disbursed (万元)", "money"),
    ("fiscal_spent_wan", "财政资金累计支出（万元）", "Fiscal funds spent (万元)", "money"),
    ("execution_rate", "资金执行率", "Fund execution rate", "pct"),
    ("self_arrived_wan", "自筹资金累计到位（万元）", "Self funds arrived (万元)", "money"),
    ("leverage", "财政资金杠杆率", "Leverage", "num"),
    ("problem_projects", "潜在问题项目数", "Potential problem projects", "int"),
    ("problem_funding_wan", "潜在问题项目资助金额（万元）", "Funding of potential problem projects (万元)", "money"),
    ("clawback_wan", "建议追回资金（万元）", "Clawback proposed (万元)", "money"),
]


def summary(con, year: int) -> pl.DataFrame:
    cur, prev = program_all(con, year) or {}, program_all(con, year - 1) or {}
    rows = []
    for key, zh, en, kind in SUMMARY_METRICS:
        v, p = cur.get(key), prev.get(key)
        rows.append(
            {
                "metric": key,
                "metric_zh": zh,
                "metric_en": en,
                "kind": kind,
                "value": v,
                "prev_value": p,
                "change": (v - p) if v is not None and p is not None else None,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "metric": pl.String,
            "metric_zh": pl.String,
            "metric_en": pl.String,
            "kind": pl.String,
            "value": pl.Float64,
            "prev_value": pl.Float64,
            "change": pl.Float64,
        },
    )


# --- 2 targets ----------------------------------------------------------------------------------
def targets(con, year: int) -> pl.DataFrame:
    return q(
        con,
        """SELECT target, name_zh, name_en, measured, threshold, comparator, unit, met
                     FROM mart.program_target WHERE review_year = ?
                     ORDER BY CASE WHEN target LIKE 'annual_budget%' THEN 1 WHEN measured IS NULL THEN 2 ELSE 0 END, target""",
        [year],
    )


# --- 3 funds ------------------------------------------------------------------------------------
# the columns of funds_by_year shown in chapters 四 and 九
FUND_COLUMNS = ["payment_year", "disbursed_wan", "recovered_wan", "net_disbursed_wan", "budget_wan", "budget_rate"]


def funds_by_year(con, year: int) -> pl.DataFrame:
    return q(
        con,
        """SELECT payment_year, disbursed_wan, recovered_wan, net_disbursed_wan, budget_wan,
                            net_disbursed_wan / nullif(budget_wan, 0) AS budget_rate
                     FROM mart.disbursement_by_year WHERE review_year = ? ORDER BY payment_year""",
        [year],
    )


def distribution(con, year: int, dimension: str) -> pl.DataFrame:
    return q(
        con,
        """SELECT dimension_value, projects, grade_a, grade_b, grade_c, grade_d, grade_insufficient, mean_score,
                            approved_wan, net_disbursed_wan, fiscal_spent_wan, execution_rate, self_arrived_wan, leverage,
                            problem_projects, problem_funding_wan, rec_terminate, rec_acceptance_review, rec_suspend_funding,
                            rec_rectify, rec_rolling_support, clawback_wan
                     FROM mart.program_summary WHERE review_year = ? AND dimension = ?
                     ORDER BY approved_wan DESC, dimension_value""",
        [year, dimension],
    )


# --- 4 progress ---------------------------------------------------------------------------------
def milestones_by_field(con, year: int) -> pl.DataFrame:
    """Milestones per field at the as-of date, from what the review measured (mart.review_milestone)."""
    return q(
        con,
        """
        WITH r AS (SELECT project_id, on_time_rate FROM mart.project_review WHERE review_year = ?),
        m AS (
            SELECT p.field, m.project_id,
                   count(*) AS milestones,
                   count(*) FILTER (m.is_due) AS due,
                   count(*) FILTER (m.is_done) AS done,
                   count(*) FILTER (m.is_due AND m.is_done) AS done_due,
                   count(*) FILTER (m.is_due AND NOT m.is_done) AS overdue
            FROM mart.review_milestone m JOIN dim_project p USING (project_id)
            WHERE m.review_year = ?
            GROUP BY p.field, m.project_id)
        SELECT p.field, count(DISTINCT r.project_id)::INTEGER AS projects,
               coalesce(sum(m.milestones), 0)::BIGINT AS milestones, coalesce(sum(m.due), 0)::BIGINT AS due,
               coalesce(sum(m.done), 0)::BIGINT AS done, coalesce(sum(m.overdue), 0)::BIGINT AS overdue,
               sum(m.done_due) / nullif(sum(m.due), 0) AS completion_rate,
               avg(r.on_time_rate ORDER BY r.project_id) AS mean_on_time_rate  -- ordered: the same digits every run
        FROM r JOIN dim_project p USING (project_id) LEFT JOIN m USING (project_id)
        GROUP BY p.field ORDER BY projects DESC, p.field""",
        [year, year],
    )


def overdue_milestones(con, year: int) -> pl.DataFrame:
    """Due and not done at the as-of date (mart.review_milestone), longest overdue first."""
    return q(
        con,
        """
        SELECT m.project_id, p.project_name, p.field, m.milestone_no, m.description, m.planned_date, m.days_overdue
        FROM mart.review_milestone m JOIN dim_project p USING (project_id)
        WHERE m.review_year = ? AND m.days_overdue IS NOT NULL
        ORDER BY days_overdue DESC, m.project_id, m.milestone_no""",
        [year],
    )


SPI_BINS = [
    (None, 0.5, "< 0.5"),
    (0.5, 0.8, "0.5 – 0.8"),
    (0.8, 0.9, "0.8 – 0.9"),
    (0.9, 1.0, "0.9 – 1.0"),
    (1.0, 1.1, "1.0 – 1.1"),
    (1.1, None, "≥ 1.1"),
]


def spi_distribution(con, year: int) -> pl.DataFrame:
    cases = " ".join(
        f"WHEN v {'>= ' + str(lo) if lo is not None else 'IS NOT NULL'} {'AND v < ' + str(hi) if hi is not None else ''} THEN {i}"
        for i, (lo, hi, _) in enumerate(SPI_BINS)
    )
    counts = q(
        con,
        f"""
        WITH v AS (SELECT 'spi' AS metric, spi AS v FROM mart.project_review WHERE review_year = ?
                   UNION ALL SELECT 'spi_t', spi_t FROM mart.project_review WHERE review_year = ?)
        SELECT metric, coalesce(CASE {cases} END, -1) AS bin_order, count(*) AS n FROM v GROUP BY ALL""",
        [year, year],
    )
    got = {(r["metric"], r["bin_order"]): r["n"] for r in counts.to_dicts()}
    rows = []
    for i, (_, _, label) in enumerate([*SPI_BINS, (None, None, "无数据 / n.a.")]):
        order = i if i < len(SPI_BINS) else -1
        rows.append(
            {"bin_order": i, "bin": label, "spi": got.get(("spi", order), 0), "spi_t": got.get(("spi_t", order), 0)}
        )
    return pl.DataFrame(rows, schema={"bin_order": pl.Int64, "bin": pl.String, "spi": pl.Int64, "spi_t": pl.Int64})


def spi_stats(con, year: int) -> dict:
    return q(
        con,
        """SELECT median(spi) AS spi_median, avg(spi ORDER BY project_id) AS spi_mean, count(spi) AS spi_n,
                            median(spi_t) AS spi_t_median, avg(spi_t ORDER BY project_id) AS spi_t_mean, count(spi_t) AS spi_t_n,
                            count(*) FILTER (spi < 0.8) AS spi_behind
                     FROM mart.project_review WHERE review_year = ?""",
        [year],
    ).to_dicts()[0]


# --- 5 outputs ----------------------------------------------------------------------------------
def kpi_by_indicator(con, year: int) -> pl.DataFrame:
    """Contract targets and actuals at the as-of date per indicator (mart.review_kpi)."""
    return q(
        con,
        """
        SELECT k.indicator, any_value(k.kind) AS kind, any_value(i.unit) AS unit, count(*) AS projects,
               sum(k.target_value) AS target_value, coalesce(sum(k.actual), 0) AS actual_value,
               coalesce(sum(k.actual), 0) / nullif(sum(k.target_value), 0) AS achievement
        FROM mart.review_kpi k JOIN dim_indicator i USING (indicator)
        WHERE k.review_year = ?
        GROUP BY k.indicator ORDER BY kind DESC, projects DESC, k.indicator""",
        [year],
    )


def kpi_by_field(con, year: int) -> pl.DataFrame:
    return q(
        con,
        """SELECT p.field, count(*) AS projects, avg(r.output_achievement ORDER BY r.project_id) AS mean_output_achievement,
                            avg(r.outcome_achievement ORDER BY r.project_id) AS mean_outcome_achievement
                     FROM mart.project_review r JOIN dim_project p USING (project_id)
                     WHERE r.review_year = ? GROUP BY p.field ORDER BY projects DESC, p.field""",
        [year],
    )


# --- 6 scores -----------------------------------------------------------------------------------
GRADE_ORDER = ["A", "B", "C", "D", "insufficient"]
GRADE_COLUMNS = [f"grade_{g.lower()}" for g in GRADE_ORDER]  # projects per grade (program_summary, manager_portfolio)


def grade_transitions(con, year: int) -> pl.DataFrame:
    counts = q(
        con,
        """SELECT coalesce(prev_grade, 'new') AS prev_grade, grade, count(*) AS n
                       FROM mart.project_review WHERE review_year = ? GROUP BY ALL""",
        [year],
    )
    got = {(r["prev_grade"], r["grade"]): r["n"] for r in counts.to_dicts()}
    rows = []
    for prev in [*GRADE_ORDER, "new"]:
        row = {"prev_grade": prev}
        for g in GRADE_ORDER:
            row[f"to_{g}"] = got.get((prev, g), 0)
        row["projects"] = sum(row[f"to_{g}"] for g in GRADE_ORDER)
        rows.append(row)
    return pl.DataFrame(rows)


PROJECT_COLS = """r.project_id, p.project_name, p.field, p.plan, p.department, p.undertaker,
                  p.approved_funding_wan"""


def top_bottom(con, year: int, n: int = 10, top: bool = True) -> pl.DataFrame:
    order = "DESC" if top else "ASC"
    return q(
        con,
        f"""SELECT {PROJECT_COLS}, r.total_score, r.grade, r.recommendation
                      FROM mart.project_review r JOIN dim_project p USING (project_id)
                      WHERE r.review_year = ? AND r.total_score IS NOT NULL
                      ORDER BY r.total_score {order}, r.project_id LIMIT {int(n)}""",
        [year],
    )


# --- 5 (MoF) problems: flags and reasons by field and plan ------------------------------------
def flags_by(con, year: int, dimension: str) -> pl.DataFrame:
    if dimension not in ("field", "plan", "department"):
        raise ValueError(dimension)
    return q(
        con,
        f"""
        WITH f AS (SELECT p.{dimension} AS dimension_value, unnest(string_split(r.flags, ',')) AS flag
                   FROM mart.project_review r JOIN dim_project p USING (project_id)
                   WHERE r.review_year = ? AND r.flags <> '')
        SELECT dimension_value, flag, count(*) AS count FROM f GROUP BY ALL
        ORDER BY count DESC, dimension_value, flag""",
        [year],
    )


def flag_totals(con, year: int) -> pl.DataFrame:
    return q(
        con,
        """
        WITH f AS (SELECT unnest(string_split(flags, ',')) AS flag FROM mart.project_review
                   WHERE review_year = ? AND flags <> '')
        SELECT flag, count(*) AS count,
               count(*) / (SELECT count(*) FROM mart.project_review WHERE review_year = ?) AS share
        FROM f GROUP BY flag ORDER BY count DESC, flag""",
        [year, year],
    )


def reason_frequency(con, year: int) -> pl.DataFrame:
    return q(
        con,
        """SELECT rule_code, count(*) AS count, min(text_zh) AS example_zh, min(text_en) AS example_en
                     FROM mart.review_reason WHERE review_year = ? GROUP BY rule_code
                     ORDER BY count DESC, rule_code""",
        [year],
    )


# --- 7 recommendations --------------------------------------------------------------------------
def recommendation_lists(con, year: int, recommendations: tuple[str, ...]) -> pl.DataFrame:
    """Projects with one of ``recommendations`` and their reasons, in one query: ``reasons_zh`` /
    ``reasons_en`` all of them, ``decisive_zh`` / ``decisive_en`` those of the recommendation, the
    flags and the grade (without the per-indicator ``leaf:*`` ones). Only the listed projects' reasons
    are aggregated (at 100,000 projects, four queries over every reason of the year took 2.5 s)."""
    placeholders = ", ".join("?" for _ in recommendations)
    decisive = "FILTER (WHERE rule_code NOT LIKE 'leaf:%')"
    return q(
        con,
        f"""
        WITH listed AS (SELECT * FROM mart.project_review
                        WHERE review_year = ? AND recommendation IN ({placeholders})),
             rs AS (SELECT project_id, string_agg(text_zh, '；' ORDER BY rule_code) AS reasons_zh,
                           string_agg(text_en, '; ' ORDER BY rule_code) AS reasons_en,
                           string_agg(text_zh, '；' ORDER BY rule_code) {decisive} AS decisive_zh,
                           string_agg(text_en, '; ' ORDER BY rule_code) {decisive} AS decisive_en
                    FROM mart.review_reason
                    WHERE review_year = ? AND project_id IN (SELECT project_id FROM listed)
                    GROUP BY project_id)
        SELECT {PROJECT_COLS}, r.total_score, r.grade, r.flags, r.recommendation, r.clawback_wan,
               coalesce(rs.reasons_zh, '') AS reasons_zh, coalesce(rs.reasons_en, '') AS reasons_en,
               coalesce(rs.decisive_zh, '') AS decisive_zh, coalesce(rs.decisive_en, '') AS decisive_en
        FROM listed r JOIN dim_project p USING (project_id) LEFT JOIN rs USING (project_id)
        ORDER BY array_position(['terminate', 'suspend_funding', 'rectify', 'acceptance_review', 'rolling_support'], r.recommendation),
                 r.total_score ASC NULLS FIRST, r.project_id""",
        [year, *recommendations, year],
    )


def rolling_support(con, year: int) -> pl.DataFrame:
    return q(
        con,
        f"""SELECT {PROJECT_COLS}, r.total_score, r.grade
                      FROM mart.project_review r JOIN dim_project p USING (project_id)
                      WHERE r.review_year = ? AND r.recommendation = 'rolling_support'
                      ORDER BY r.total_score DESC, r.project_id""",
        [year],
    )


# --- 8 data quality -----------------------------------------------------------------------------
def latest_quality_run(con) -> str | None:
    rows = con.sql("SELECT run_id FROM mart.data_quality ORDER BY checked_at DESC, run_id DESC LIMIT 1").fetchall()
    return rows[0][0] if rows else None


def data_quality(con, run_id: str | None) -> pl.DataFrame:
    return q(
        con,
        """SELECT dataset, count(*) AS expectations, count(*) FILTER (success) AS passed,
                            count(*) FILTER (NOT success) AS failed, coalesce(sum(unexpected_count), 0) AS unexpected
                     FROM mart.data_quality WHERE run_id = ? GROUP BY dataset ORDER BY dataset""",
        [run_id],
    )


def quality_failures(con, run_id: str | None) -> pl.DataFrame:
    return q(
        con,
        """SELECT dataset, expectation AS rule_code, column_name AS reason, severity AS kind, unexpected_count AS unexpected
                     FROM mart.data_quality WHERE run_id = ? AND NOT success ORDER BY dataset, expectation""",
        [run_id],
    )


def quarantine(con) -> pl.DataFrame:
    return q(
        con,
        """SELECT dataset, reason_code, any_value(reason) AS reason, count(*) AS rows,
                            count(DISTINCT source_file) AS files
                     FROM raw.quarantine GROUP BY dataset, reason_code ORDER BY rows DESC, dataset, reason_code""",
    )


def load_summary(con) -> pl.DataFrame:
    """The latest load of each dataset (the report's data sources)."""
    return q(
        con,
        """
        WITH latest AS (SELECT dataset, arg_max(load_id, loaded_at) AS load_id FROM raw.load_log GROUP BY dataset)
        SELECT l.dataset, l.source_file, l.file_sha256, l.file_bytes, l.rows_read, l.rows_clean, l.rows_quarantined, l.loaded_at
        FROM raw.load_log l JOIN latest USING (dataset, load_id) ORDER BY l.dataset, l.source_file""",
    )


# --- annex: every row ---------------------------------------------------------------------------
def project_review(con, year: int) -> pl.DataFrame:
    """``mart.project_review`` rows of the year: the contract's columns, in the table's order."""
    return q(con, "SELECT * FROM mart.project_review WHERE review_year = ? ORDER BY project_id", [year])


def project_review_named(con, year: int) -> pl.DataFrame:
    """The same rows with the project's name and groupings, for the XLSX."""
    return q(
        con,
        """SELECT r.project_id, p.project_name, p.field, p.plan, p.department, p.support_mode, p.undertaker,
                            p.approved_funding_wan, r.* EXCLUDE (project_id)
                     FROM mart.project_review r LEFT JOIN dim_project p USING (project_id)
                     WHERE r.review_year = ? ORDER BY r.project_id""",
        [year],
    )


def row_counts(con, year: int) -> dict[str, int]:
    out = {}
    for table, where in (
        ("mart.project_review", True),
        ("mart.review_reason", True),
        ("mart.program_summary", True),
        ("mart.program_target", True),
        ("mart.disbursement_by_year", True),
        ("mart.data_quality", False),
        ("raw.quarantine", False),
    ):
        sql = f"SELECT count(*) FROM {table}" + (" WHERE review_year = ?" if where else "")
        out[table] = con.sql(sql, params=[year] if where else []).fetchall()[0][0]
    return out
