"""The XLSX's sheets: every table of the report, in the workbook's order (not the chapters'), plus
every ``mart.project_review`` row of the year. A chapter whose data should be a sheet adds it here,
naming its frame (``ChapterData.frames``)."""

from __future__ import annotations

import polars as pl

from scorecard.report.analytics_sections import sheets as analytics_sheets
from scorecard.report.method import rubric_table_rows
from scorecard.report.programme_sections import sheets as programme_sheets

# (sheet name, title zh, title en, frame, dimension of dimension_value, translate codes)
FIRST = [
    ("摘要 Summary", "摘要", "Summary", "summary", None, False),
    ("工作目标 Targets", "工作目标完成情况", "Programme targets", "targets", None, False),
    ("年度拨款 Funds per year", "年度净拨款与预算", "Net disbursement per year", "funds_by_year", None, False),
]
DIMENSIONS = [
    ("field", "领域", "Field"),
    ("plan", "扶持计划", "Plan"),
    ("department", "主管单位", "Department"),
    ("support_mode", "资助方式", "Support mode"),
]
MIDDLE = [
    ("节点完成 Milestones", "合同节点完成情况（按领域）", "Milestone completion by field", "milestones", None, True),
    ("SPI分布 SPI", "SPI 与 SPI(t) 分布", "SPI and SPI(t) distribution", "spi", None, False),
    ("逾期节点 Overdue", "逾期未完成节点", "Overdue milestones", "overdue", None, True),
    ("绩效指标 KPI", "绩效指标完成情况（按指标）", "KPI achievement by indicator", "kpi_by_indicator", None, True),
    (
        "领域绩效 KPI by field",
        "产出与效益完成度（按领域）",
        "Output and outcome achievement by field",
        "kpi_by_field",
        None,
        True,
    ),
    ("等级变化 Transitions", "等级变化（上年→本年）", "Grade transitions", "transitions", None, True),
    ("预警 Flags", "预警出现次数", "Flags raised", "flag_totals", None, True),
    ("领域预警 Flags by field", "各领域预警", "Flags by field", "flags_by_field", "field", True),
    ("计划预警 Flags by plan", "各扶持计划预警", "Flags by plan", "flags_by_plan", "plan", True),
    ("评价理由 Reasons", "评价理由出现次数", "Reasons", "reasons", None, False),
    ("中止暂停 Terminate", "中止淘汰与暂停拨款项目", "Terminate and suspend funding", "terminate_suspend", None, True),
    ("限期整改 Rectify", "限期整改项目", "Rectify", "rectify", None, True),
    ("滚动支持 Rolling support", "滚动支持项目", "Rolling support", "rolling_support", None, True),
]
VALIDATION = (
    "数据校验 Validation",
    "数据校验结果",
    "Validation results",
    "data_quality",
    None,
    False,
)  # when a run exists
QUARANTINE = ("隔离数据 Quarantine", "隔离数据（按数据集和原因）", "Quarantined rows", "quarantine", None, False)


def sheet_list(fr: dict[str, pl.DataFrame], method: dict, year: int) -> list[tuple]:
    """The sheets with the name of their frame, in the workbook's order."""
    by_dimension = [
        (f"按{zh} By {en}"[:31], f"按{zh}统计", f"By {en.lower()}", f"by_{d}", d, True) for d, zh, en in DIMENSIONS
    ]
    return [
        *FIRST,
        *by_dimension,
        *MIDDLE,
        *programme_sheets(fr, year),  # docs/programme-management.md §3–§7
        *analytics_sheets(fr, year),  # docs/analytics.md §1, §2
        *([VALIDATION] if "data_quality" in fr else []),
        QUARANTINE,
        ("评分细则 Rubric", f"评分细则 {method['version']}", f"Rubric {method['version']}", "rubric", None, False),
        (
            "项目评分明细 Project review",
            f"{year}年度项目评分明细（mart.project_review）",
            f"{year} project review (mart.project_review)",
            "project_review_named",
            None,
            False,
        ),
    ]


def xlsx_sheets(fr: dict[str, pl.DataFrame], method: dict, year: int) -> list[tuple]:
    """(sheet name, title zh, title en, frame, dimension of dimension_value, translate codes) per sheet,
    from the chapters' frames (``ReportContext.frames``)."""
    frames = {
        **fr,
        "summary": fr["summary"].select("metric", "metric_zh", "metric_en", "value", "prev_value", "change"),
        "rubric": pl.DataFrame(rubric_table_rows(method)),
    }
    return [(name, zh, en, frames[key], dim, tr) for name, zh, en, key, dim, tr in sheet_list(fr, method, year)]
