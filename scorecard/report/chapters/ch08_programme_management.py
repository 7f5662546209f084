"""八、项目组合管理 (docs/programme-management.md §3–§5), in every year's report: the follow-through on
last year's problem projects, the dynamic adjustment of fields and plans (tables and a heatmap of the
fields over the years) and the budget what-if — a scenario, never an official figure."""

from __future__ import annotations

import polars as pl

from scorecard import codes
from scorecard.report import charts
from scorecard.report import programme_sections as pm
from scorecard.report.context import ChapterData, ReportInputs
from scorecard.report.outline import chapter_outline
from scorecard.report.tables import view

TITLE, SECTIONS = chapter_outline(__name__)
FOLLOW_COLUMNS = [
    "project_id",
    "project_name",
    "field",
    ("prev_decision_label", "上年决定", "Last year's decision", "text"),
    "prev_grade",
    "grade",
    "recommendation",
    "outcome_label",
]
ADJUST_COLUMNS = [
    "group_label",
    "projects",
    "mean_score",
    "share_ab",
    "share_terminate",
    "problem_share",
    "fund_execution",
    "suggestion_label",
    "reason",
]


def follow_through(r: ReportInputs) -> tuple[dict, dict, pl.DataFrame]:
    rows = pm.follow_through(r.con, r.year)
    counts = pm.outcome_counts(rows)
    table = pm.labelled(
        pl.DataFrame({"outcome": list(pm.OUTCOMES), "projects": list(counts.values())}),
        "outcome",
        pm.OUTCOMES,
        r.i18n,
        "outcome_label",
    )
    listed = rows.filter(pl.col("outcome").is_in(["persisting", "escalated"]))
    listed = pm.labelled(
        pm.labelled(listed, "outcome", pm.OUTCOMES, r.i18n, "outcome_label"),
        "prev_decision",
        codes.RECOMMENDATIONS,
        r.i18n,
        "prev_decision_label",
    )
    n = rows.height
    values = {"n": n, "counts": counts, "share_resolved": counts["resolved"] / n if n else None}
    tables = {
        "follow_counts": view(r.i18n, table, ["outcome_label", "projects"]),
        "follow_list": view(r.i18n, listed, FOLLOW_COLUMNS, cap="rectify"),  # 60 rows in the PDF, all in the HTML
    }
    return values, tables, rows


def adjustment(r: ReportInputs) -> tuple[dict, dict, pl.DataFrame]:
    frame = pm.adjustment(r.con, r.year)
    shown = pm.labelled(frame, "suggestion", pm.SUGGESTIONS, r.i18n, "suggestion_label").with_columns(
        pm.in_language(r.i18n, "reason_zh", "reason_en").alias("reason")
    )
    tables = {}
    for level, labels in (("field", codes.FIELDS), ("plan", codes.PLANS)):
        part = pm.labelled(shown.filter(pl.col("level") == level), "code", labels, r.i18n, "group_label")
        tables[f"adjust_{level}"] = view(r.i18n, part, ADJUST_COLUMNS)
    rules = r.method["rubric"].model.adjustment.model_dump()
    values = {
        "fields": frame.filter(pl.col("level") == "field").height,
        "by_suggestion": pm.fields_by_suggestion(frame),
        "rules": {k: f"{v * 100:g}%" if "share" in k else f"{v:g}" for k, v in rules.items()},
    }
    return values, tables, frame


def budget(r: ReportInputs) -> tuple[dict, dict, pl.DataFrame]:
    frame = pm.budget(r.con, r.year, r.i18n)
    total = {k: float(frame[k].sum() or 0) for k in ("released_wan", "held_wan", "reallocated_wan")}
    values = {"total": total, "basis": frame["basis"][0] if frame.height else "none", "receivers": pm.receivers(frame)}
    return (
        values,
        {"budget": view(r.i18n, frame, ["field_label", "released_wan", "held_wan", "reallocated_wan"])},
        frame,
    )


def build(r: ReportInputs) -> ChapterData:
    pm.ready(r.con)
    follow_values, follow_tables, follow_rows = follow_through(r)
    adjust_values, adjust_tables, adjust_frame = adjustment(r)
    budget_values, budget_tables, budget_frame = budget(r)
    history = pm.adjustment_history(r.con, r.year)
    return ChapterData(
        values={"follow": follow_values, "adjust": adjust_values, "budget": budget_values},
        tables={**follow_tables, **adjust_tables, **budget_tables},
        frames={
            "follow_through": follow_rows,
            "portfolio_adjustment": adjust_frame,
            "budget_scenario": budget_frame.drop("field_label"),
            "manager_portfolio": pm.managers(r.con, r.year),
        },
        charts={
            "adjustment_heatmap": pm.adjustment_heatmap(r.i18n, history, charts._layout),
            "budget_scenario": pm.budget_chart(r.i18n, budget_frame, charts._layout),
        },
    )
