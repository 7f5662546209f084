"""九、专项总体评估 (docs/programme-management.md §6): the whole period — only in the report of the
programme's last year (``period.end`` of the programme file) and of every later year. Each programme
target over the period, the budget against the net disbursement of each year, the cohort table
(approval year × latest status), the mean score per field and year, and the signals per year."""

from __future__ import annotations

import polars as pl

from scorecard.programme_management import overall_in_scope
from scorecard.report import charts, data
from scorecard.report import programme_sections as pm
from scorecard.report.context import ChapterData, ReportInputs
from scorecard.report.data import q
from scorecard.report.outline import chapter_outline
from scorecard.report.tables import view

TITLE, SECTIONS = chapter_outline(__name__)


def applies(r: ReportInputs) -> bool:
    """From the programme's last year on (the programme file), never before."""
    return overall_in_scope(r.year, r.method["programme"])


def funds(r: ReportInputs, start: int, end: int) -> pl.DataFrame:
    return r.read(data.funds_by_year, r.year).filter(pl.col("payment_year").is_between(start, max(end, r.year)))


def field_scores(r: ReportInputs) -> tuple[pl.DataFrame, list[int]]:
    scores = q(
        r.con,
        """SELECT review_year, dimension_value AS field, mean_score FROM mart.program_summary
                         WHERE dimension = 'field' AND review_year BETWEEN ? AND ? ORDER BY 1, 2""",
        [r.method["programme"].first_review_year, r.year],
    )
    years = sorted(set(scores["review_year"].to_list()))
    return pm.field_year_table(scores, years, r.i18n), years


def build(r: ReportInputs) -> ChapterData:
    pm.ready(r.con)
    programme, i18n = r.method["programme"], r.i18n
    targets = r.read(data.targets, r.year)
    name = pl.col("name_en") if i18n.lang == "en" else pl.col("name_zh")
    money = funds(r, programme.start, programme.end)
    cohort = q(
        r.con,
        "SELECT approval_year, latest_status, projects FROM mart.programme_cohort WHERE review_year = ? ORDER BY 1, 2",
        [r.year],
    )
    statuses = {s: int(cohort.filter(pl.col("latest_status") == s)["projects"].sum() or 0) for s in pm.STATUSES}
    scores, years = field_scores(r)
    signals = pm.signal_table(r.con, r.year)
    measured = targets.filter(pl.col("measured").is_not_null())
    net, budget = float(money["net_disbursed_wan"].sum() or 0), float(money["budget_wan"].sum() or 0)
    tables = {
        "targets": view(
            i18n,
            targets.with_columns(name.alias("name")),
            [("name", "工作目标", "Target", "text"), "measured", "comparator", "threshold", "unit", "met"],
        ),
        "funds": view(i18n, money, data.FUND_COLUMNS),
        "cohort": view(
            i18n,
            pm.cohort_table(cohort),
            ["approval_year", *[(s, *pm.STATUSES[s], "int") for s in pm.STATUSES], "projects_total"],
        ),
        "scores": view(
            i18n,
            scores,
            [("field_label", "领域", "Field", "text"), *[(str(y), f"{y}年", str(y), "num") for y in years]],
        ),
        "signals": view(i18n, signals, ["review_year", ("signal", "线索类型", "Signal", "text"), "count"])
        if signals is not None
        else None,
    }
    values = {
        "start": programme.start,
        "end": programme.end,
        "measured": measured.height,
        "met": measured.filter(pl.col("met")).height,
        "years": money.height,
        "net": net,
        "budget": budget,
        "budget_share": net / budget if budget else None,
        "statuses": statuses,
        "n": sum(statuses.values()),
        "active": sum(v for k, v in statuses.items() if k.startswith("active")),
    }
    return ChapterData(
        values=values,
        tables=tables,
        frames={"overall_cohort": cohort, "overall_field_scores": scores},
        charts={"overall_scores": pm.field_score_lines(i18n, scores, charts._layout)},
    )
