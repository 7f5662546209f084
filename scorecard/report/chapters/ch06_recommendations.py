"""六、有关建议: the recommendation counts, every terminate / suspend_funding and rectify project with
its reasons and clawback, the rolling-support list, and the advice."""

from __future__ import annotations

import polars as pl

from scorecard import codes
from scorecard.report import data
from scorecard.report.context import ChapterData, ReportInputs, label
from scorecard.report.outline import chapter_outline
from scorecard.report.tables import PerMode, view

TITLE, SECTIONS = chapter_outline(__name__)
LIST_COLUMNS = [
    "project_id",
    "project_name",
    "field",
    "total_score",
    "grade",
    "recommendation",
    "clawback_wan",
    "reasons",
]
LISTED = ("terminate", "suspend_funding", "rectify")  # the recommendations listed by name, read in one query
RECTIFY_COLUMNS = [c for c in LIST_COLUMNS if c not in ("recommendation", "clawback_wan")]
ROLLING_COLUMNS = [
    "project_id",
    "project_name",
    "field",
    "plan",
    "undertaker",
    "approved_funding_wan",
    "total_score",
    "grade",
]


def with_reasons(r: ReportInputs, frame: pl.DataFrame) -> pl.DataFrame:
    """The list with a ``reasons`` column in the report's language(s)."""
    lang = r.i18n.lang
    reasons = (
        pl.col("reasons_zh")
        if lang == "zh"
        else pl.col("reasons_en")
        if lang == "en"
        else pl.concat_str([pl.col("reasons_zh"), pl.col("reasons_en")], separator=" / ")
    )
    return frame.with_columns(reasons.alias("reasons"))


def project_list(
    r: ReportInputs, recommendations: tuple[str, ...], cols: list[str], cap: str
) -> tuple[pl.DataFrame, PerMode]:
    """The projects with these recommendations (every reason; the frame, for the XLSX) and their table:
    the HTML gives every reason, the PDF the decisive ones (recommendation, flags, grade) — the
    per-indicator scoring reasons are in the HTML and the XLSX (the PDF says so)."""
    both = r.read(data.recommendation_lists, r.year, LISTED).filter(pl.col("recommendation").is_in(recommendations))
    full = both.drop("decisive_zh", "decisive_en")
    decisive = both.select(
        pl.exclude("reasons_zh", "reasons_en", "decisive_zh", "decisive_en"),
        pl.col("decisive_zh").alias("reasons_zh"),
        pl.col("decisive_en").alias("reasons_en"),
    )
    table = PerMode(
        {
            "html": view(r.i18n, with_reasons(r, full), cols, cap=cap, modes=("html",)),
            "pdf": view(r.i18n, with_reasons(r, decisive), cols, cap=cap, modes=("pdf",)),
        }
    )
    return full, table


def worst_field(r: ReportInputs) -> dict | None:
    """The field where flags concentrate (most flags raised; of fields with as many, the first code)."""
    fbf = r.read(data.flags_by, r.year, "field")
    totals = fbf.group_by("dimension_value").agg(pl.col("count").sum())
    worst = totals.sort(["count", "dimension_value"], descending=[True, False]).head(1).to_dicts()
    return {"label": label(codes.FIELDS, worst[0]["dimension_value"]), "count": worst[0]["count"]} if worst else None


def build(r: ReportInputs) -> ChapterData:
    i18n, rec = r.i18n, r.facts.recs
    rs = pl.DataFrame([{"recommendation": k, "projects": rec[k]} for k in codes.RECOMMENDATIONS])
    term, term_table = project_list(r, ("terminate", "suspend_funding"), LIST_COLUMNS, "terminate")
    rect, rect_table = project_list(r, ("rectify",), RECTIFY_COLUMNS, "rectify")
    roll = r.read(data.rolling_support, r.year)
    return ChapterData(
        values={"f": r.facts, "worst_field": worst_field(r)},
        tables={
            "rec_summary": view(i18n, rs, ["recommendation", "projects"]),
            "terminate": term_table,
            "rectify": rect_table,
            "rolling": view(i18n, roll, ROLLING_COLUMNS, cap="rolling"),
        },
        frames={"rec_summary": rs, "terminate_suspend": term, "rectify": rect, "rolling_support": roll},
    )
