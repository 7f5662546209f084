"""What the report's programme-management chapters read (docs/programme-management.md §3–§7): frames
from the analyses' mart tables, labels, the figures and the XLSX sheets. The chapters are
``chapters/ch08_programme_management.py`` (every year: follow-through, adjustment, the budget what-if)
and ``chapters/ch09_programme_overall.py`` (the programme's last year and later); their prose is in
their templates. Nothing here computes a score or a suggestion.
"""

from __future__ import annotations

import duckdb
import plotly.graph_objects as go
import polars as pl

from scorecard import codes, programme_management
from scorecard.programme_management import ensure_tables, signals_available
from scorecard.report import outline
from scorecard.report.data import q
from scorecard.report.i18n import I18n

OUTCOMES = outline.code_labels("outcome", programme_management.OUTCOMES)
SUGGESTIONS = outline.code_labels("suggestion", programme_management.SUGGESTIONS)
STATUSES = {  # mart.programme_cohort.latest_status: active_<grade of the latest review> unless ended
    "terminated": ("已中止淘汰", "Terminated"),
    "accepted": ("已到期验收", "Accepted"),
    **{f"active_{g}": (f"在研·{zh}", f"Active, {g}") for g, (zh, _) in codes.GRADES.items()},
}


def ready(con: duckdb.DuckDBPyConnection) -> None:
    """The analyses' tables exist (empty on a warehouse they never ran on, so the chapters still render)."""
    try:
        ensure_tables(con)
    except duckdb.Error:
        pass


def labelled(frame: pl.DataFrame, column: str, table: dict, i18n: I18n, alias: str) -> pl.DataFrame:
    """``frame`` with ``alias`` = the label of each code of ``column`` in the report's language."""
    mapping = {k: i18n.one(table, k) for k in table}
    return frame.with_columns(pl.col(column).replace_strict(mapping, default=pl.col(column)).alias(alias))


def in_language(i18n: I18n, zh: str, en: str) -> pl.Expr:
    """A text column pair as one column in the report's language(s)."""
    if i18n.lang == "zh":
        return pl.col(zh)
    if i18n.lang == "en":
        return pl.col(en)
    return pl.concat_str([pl.col(zh), pl.col(en)], separator=" / ")


# --- §3 ------------------------------------------------------------------------------------------------
def follow_through(con, y: int) -> pl.DataFrame:
    return q(
        con,
        """SELECT f.project_id, p.project_name, p.field, f.prev_decision, f.prev_problem, f.prev_grade, f.grade,
                  f.recommendation, f.outcome
           FROM mart.follow_through f LEFT JOIN dim_project p USING (project_id)
           WHERE f.review_year = ? ORDER BY f.outcome, f.project_id""",
        [y],
    )


def outcome_counts(rows: pl.DataFrame) -> dict[str, int]:
    return {k: rows.filter(pl.col("outcome") == k).height for k in OUTCOMES}


# --- §4 ------------------------------------------------------------------------------------------------
def adjustment(con, y: int) -> pl.DataFrame:
    return q(
        con,
        """SELECT level, code, projects, graded, mean_score, share_ab, share_terminate, problem_share, fund_execution,
                  suggestion, reason_zh, reason_en
           FROM mart.portfolio_adjustment WHERE review_year = ? ORDER BY level, code""",
        [y],
    )


def adjustment_history(con, y: int) -> pl.DataFrame:
    return q(
        con,
        """SELECT review_year, code, mean_score, suggestion FROM mart.portfolio_adjustment
           WHERE level = 'field' AND review_year <= ? ORDER BY review_year, code""",
        [y],
    )


def fields_by_suggestion(frame: pl.DataFrame) -> list[dict]:
    """Per suggestion (in rule order) the fields that got it, with their labels."""
    fields = frame.filter(pl.col("level") == "field")
    out = []
    for k, (zh, en) in SUGGESTIONS.items():
        codes_ = fields.filter(pl.col("suggestion") == k)["code"].to_list()
        if codes_:
            labels = [codes.FIELDS.get(c, (c, c)) for c in codes_]
            out.append(
                {
                    "suggestion": k,
                    "zh": zh,
                    "en": en.lower(),
                    "n": len(codes_),
                    "fields_zh": [x[0] for x in labels],
                    "fields_en": [x[1] for x in labels],
                }
            )
    return out


# --- §5 ------------------------------------------------------------------------------------------------
def budget(con, y: int, i18n: I18n) -> pl.DataFrame:
    frame = q(
        con,
        """SELECT scenario, field, released_wan, held_wan, reallocated_wan, basis FROM mart.budget_scenario
           WHERE review_year = ? ORDER BY field NULLS LAST""",
        [y],
    )
    names = {k: i18n.one(codes.FIELDS, k) for k in codes.FIELDS}
    return frame.with_columns(
        pl.when(pl.col("field").is_null())
        .then(pl.lit(i18n.t("未分配", "unallocated")))
        .otherwise(pl.col("field").replace_strict(names, default=pl.col("field")))
        .alias("field_label")
    )


def receivers(frame: pl.DataFrame) -> list[dict]:
    """The fields (or the unallocated row) that receive money, with their names in both languages."""
    out = []
    for r in frame.filter(pl.col("reallocated_wan") > 0).to_dicts():
        zh, en = codes.FIELDS.get(r["field"], ("未分配", "unallocated") if r["field"] is None else (r["field"],) * 2)
        out.append({"zh": zh, "en": en, "wan": float(r["reallocated_wan"])})
    return out


# --- §7 ------------------------------------------------------------------------------------------------
def managers(con, y: int) -> pl.DataFrame:
    return q(
        con,
        """SELECT * EXCLUDE (review_year) FROM mart.manager_portfolio WHERE review_year = ?
           ORDER BY problem_projects DESC, flagged DESC, project_manager""",
        [y],
    )


# --- §6 ------------------------------------------------------------------------------------------------
def cohort_table(cohort: pl.DataFrame) -> pl.DataFrame:
    """Approval year × latest status, one column per status (0 where none) and a total."""
    years = sorted(set(cohort["approval_year"].to_list()))
    got = {(r["approval_year"], r["latest_status"]): r["projects"] for r in cohort.to_dicts()}
    rows = [{"approval_year": yy, **{s: got.get((yy, s), 0) for s in STATUSES}} for yy in years]
    for r in rows:
        r["projects_total"] = sum(r[s] for s in STATUSES)
    schema = {"approval_year": pl.Int64, **{s: pl.Int64 for s in STATUSES}, "projects_total": pl.Int64}
    return pl.DataFrame(rows, schema=schema)


def field_year_table(scores: pl.DataFrame, years: list[int], i18n: I18n) -> pl.DataFrame:
    got = {(r["field"], r["review_year"]): r["mean_score"] for r in scores.to_dicts()}
    fields = sorted(set(scores["field"].to_list()))
    rows = [
        {"field": f, "field_label": i18n.one(codes.FIELDS, f), **{str(yy): got.get((f, yy)) for yy in years}}
        for f in fields
    ]
    return pl.DataFrame(
        rows, schema={"field": pl.String, "field_label": pl.String, **{str(yy): pl.Float64 for yy in years}}
    )


def signal_table(con, y: int) -> pl.DataFrame | None:
    """Signals per review year and kind up to ``y`` (mart.review_signal), None when that analysis never ran."""
    if not signals_available(con):
        return None
    return q(
        con,
        "SELECT review_year, signal, count(*) AS count FROM mart.review_signal WHERE review_year <= ? GROUP BY ALL ORDER BY 1, 2",
        [y],
    )


# --- charts -------------------------------------------------------------------------------------------
def adjustment_heatmap(i18n: I18n, history: pl.DataFrame, layout) -> go.Figure:
    """The fields over the review years: colour the mean score, text the suggestion."""
    years = sorted(set(history["review_year"].to_list()))
    fields = sorted(set(history["code"].to_list()))
    got = {(r["code"], r["review_year"]): r for r in history.to_dicts()}
    z = [[(got.get((f, yy)) or {}).get("mean_score") for yy in years] for f in fields]
    text = [
        [i18n.one(SUGGESTIONS, got[(f, yy)]["suggestion"]) if (f, yy) in got else "" for yy in years] for f in fields
    ]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[str(yy) for yy in years],
            y=[i18n.one(codes.FIELDS, f) for f in fields],
            text=text,
            texttemplate="%{text}",
            colorscale="RdYlGn",
            zmin=60,
            zmax=95,
            colorbar={"title": i18n.t("平均分", "Mean score")},
        )
    )
    fig.update_xaxes(type="category")
    return layout(
        fig,
        i18n.t("各领域历年平均分与调整建议", "Fields over the years: mean score and suggestion"),
        height=max(300, 120 + 32 * len(fields)),
    )


def budget_chart(i18n: I18n, frame: pl.DataFrame, layout) -> go.Figure:
    labels = frame["field_label"].to_list()
    fig = go.Figure()
    for col, zh, en, color in (
        ("released_wan", "释放", "Released", "#cf222e"),
        ("held_wan", "暂缓", "Held", "#d4a72c"),
        ("reallocated_wan", "调剂", "Reallocated", "#1a7f37"),
    ):
        fig.add_bar(x=labels, y=[float(v) for v in frame[col].to_list()], name=i18n.t(zh, en), marker_color=color)
    fig.update_yaxes(title="万元", tickformat=",.0f")
    return layout(
        fig, i18n.t("资金调整测算（情景，非正式决定）", "Budget what-if (a scenario, not an official figure)")
    )


def field_score_lines(i18n: I18n, frame: pl.DataFrame, layout) -> go.Figure:
    years = [c for c in frame.columns if c.isdigit()]
    fig = go.Figure()
    for r in frame.to_dicts():
        fig.add_scatter(x=years, y=[r[yy] for yy in years], name=r["field_label"], mode="lines+markers")
    fig.update_xaxes(type="category")
    fig.update_yaxes(title=i18n.t("平均分", "Mean score"))
    return layout(fig, i18n.t("各领域历年平均分", "Mean score per field and year"))


# --- XLSX ---------------------------------------------------------------------------------------------
def sheets(frames: dict, year: int) -> list[tuple]:
    """The chapters' sheets (outline.yaml), for scorecard/report/sheets.py."""
    return outline.sheets("programme", frames, year)
