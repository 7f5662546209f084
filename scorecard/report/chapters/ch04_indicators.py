"""四、绩效评价指标分析: funds (net disbursement per year against the budget, execution and leverage
by dimension), progress (milestones, SPI, overdue milestones), outputs and outcomes (KPIs)."""

from __future__ import annotations

import polars as pl

from scorecard import codes
from scorecard.report import charts, data
from scorecard.report.context import ChapterData, ReportInputs, label
from scorecard.report.i18n import DIMENSIONS
from scorecard.report.outline import chapter_outline
from scorecard.report.tables import view

TITLE, SECTIONS = chapter_outline(__name__)
MONEY_COLUMNS = [
    "dimension_value",
    "projects",
    "approved_wan",
    "net_disbursed_wan",
    "fiscal_spent_wan",
    "execution_rate",
    "self_arrived_wan",
    "leverage",
]
SPI_COLUMNS = [
    "bin",
    ("spi", "SPI 项目数", "Projects by SPI", "int"),
    ("spi_t", "SPI(t) 项目数", "Projects by SPI(t)", "int"),
]


def funds(r: ReportInputs, out: ChapterData) -> None:
    i18n, y = r.i18n, r.year
    fy = r.read(data.funds_by_year, y)
    out.frames["funds_by_year"] = fy
    out.tables["funds_year"] = view(i18n, fy, data.FUND_COLUMNS)
    dist = {d: r.read(data.distribution, y, d) for d in DIMENSIONS}
    for d, frame in dist.items():
        out.tables[f"funds_{d}"] = view(i18n, frame, MONEY_COLUMNS, dimension=d)
    out.values["budget_years"] = fy.filter(pl.col("budget_wan").is_not_null()).to_dicts()
    out.values["funds_dims"] = [(k, *v) for k, v in DIMENSIONS.items()]
    budget_wan = r.method["programme"].text_values()["budget_wan"]
    out.charts["funds_year"] = charts.funds_by_year(i18n, fy, budget_wan)
    out.charts["execution_field"] = charts.execution_by(
        i18n, dist["field"], "field", "各领域资金执行率与杠杆率", "Execution rate and leverage by field"
    )


def progress(r: ReportInputs, out: ChapterData) -> None:
    i18n, y = r.i18n, r.year
    ms = r.read(data.milestones_by_field, y)
    spi = r.read(data.spi_distribution, y)
    od = r.read(data.overdue_milestones, y)
    out.frames.update(milestones=ms, spi=spi, overdue=od)
    out.tables["milestones"] = view(
        i18n, ms, ["field", "projects", "milestones", "due", "done", "overdue", "completion_rate", "mean_on_time_rate"]
    )
    out.tables["spi"] = view(i18n, spi, SPI_COLUMNS)
    out.tables["overdue"] = view(
        i18n,
        od,
        ["project_id", "project_name", "field", "milestone_no", "description", "planned_date", "days_overdue"],
        cap="overdue",
    )
    out.values["spi"] = r.read(data.spi_stats, y)
    out.values["due"], out.values["overdue"] = int(ms["due"].sum() or 0), int(ms["overdue"].sum() or 0)
    out.charts["spi"] = charts.spi_distribution(i18n, spi)


def kpis(r: ReportInputs, out: ChapterData) -> None:
    i18n, y = r.i18n, r.year
    kpi = r.read(data.kpi_by_indicator, y)
    kf = r.read(data.kpi_by_field, y)
    out.frames.update(kpi_by_indicator=kpi, kpi_by_field=kf)
    out.tables["kpi_indicator"] = view(
        i18n,
        kpi,
        [
            "indicator",
            ("kind", "类别", "Kind", "text"),
            "unit",
            "projects",
            "target_value",
            "actual_value",
            "achievement",
        ],
    )
    out.tables["kpi_field"] = view(
        i18n, kf, ["field", "projects", "mean_output_achievement", "mean_outcome_achievement"]
    )
    low = kpi.filter(pl.col("achievement").is_not_null()).sort("achievement").head(3)
    out.values["kpi_targets"] = int(kpi["projects"].sum() or 0)
    out.values["lowest"] = [
        {"label": label(codes.INDICATORS, k["indicator"]), "achievement": k["achievement"]} for k in low.to_dicts()
    ]
    out.charts["kpi"] = charts.kpi_by_indicator(i18n, kpi)


def build(r: ReportInputs) -> ChapterData:
    out = ChapterData(values={"f": r.facts})
    funds(r, out)
    progress(r, out)
    kpis(r, out)
    return out
