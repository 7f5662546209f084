"""三、综合评价情况及评价结论: scores and grades by field and plan, grade transitions, the top and
bottom projects, the conclusion, and how robust the decisions are (docs/analytics.md §1)."""

from __future__ import annotations

import polars as pl

from scorecard import codes
from scorecard.report import analytics_sections, charts, data
from scorecard.report.context import ChapterData, ReportInputs, label
from scorecard.report.data import GRADE_COLUMNS, GRADE_ORDER
from scorecard.report.i18n import DIMENSIONS
from scorecard.report.outline import chapter_outline
from scorecard.report.tables import view

TITLE, SECTIONS = chapter_outline(__name__)
SCORE_COLUMNS = ["dimension_value", "projects", *GRADE_COLUMNS, "mean_score", "problem_projects"]
TOP_COLUMNS = ["project_id", "project_name", "field", "plan", "total_score", "grade", "recommendation"]
RANK = {"A": 4, "B": 3, "C": 2, "D": 1}


def field_extremes(by_field: pl.DataFrame) -> dict | None:
    """The fields with the highest and the lowest mean score (None: nothing scored)."""
    fs = by_field.filter(pl.col("mean_score").is_not_null()).sort("mean_score", descending=True)
    if not fs.height:
        return None
    hi, lo = fs.row(0, named=True), fs.row(-1, named=True)
    return {
        "hi": {"label": label(codes.FIELDS, hi["dimension_value"]), "mean": hi["mean_score"]},
        "lo": {"label": label(codes.FIELDS, lo["dimension_value"]), "mean": lo["mean_score"]},
    }


def moves(tr: pl.DataFrame) -> dict[str, int]:
    """Projects whose grade went up, stayed or went down (A–D both years), and new ones."""
    up = down = same = 0
    for row in tr.to_dicts():
        for gr in GRADE_ORDER:
            if row["prev_grade"] in RANK and gr in RANK:
                k = row[f"to_{gr}"]
                if RANK[gr] > RANK[row["prev_grade"]]:
                    up += k
                elif RANK[gr] < RANK[row["prev_grade"]]:
                    down += k
                else:
                    same += k
    return {
        "up": up,
        "same": same,
        "down": down,
        "new": int(tr.filter(pl.col("prev_grade") == "new")["projects"].sum()),
    }


def rating(good_share: float | None) -> str:
    """The conclusion's word for the share of A and B: good (≥ 60 %), fair (≥ 40 %), improve."""
    return "good" if good_share and good_share >= 0.6 else "fair" if good_share and good_share >= 0.4 else "improve"


def build(r: ReportInputs) -> ChapterData:
    i18n, y = r.i18n, r.year
    dist = {d: r.read(data.distribution, y, d) for d in DIMENSIONS}
    tr = r.read(data.grade_transitions, y)
    grade_cols = [(f"to_{gr}", codes.GRADES[gr][0], codes.GRADES[gr][1], "int") for gr in GRADE_ORDER]
    robust = analytics_sections.robustness(r)
    return ChapterData(
        values={
            "f": r.facts,
            "extremes": field_extremes(dist["field"]),
            "moves": moves(tr),
            "rating": rating(r.facts.good_share),
            **robust["values"],
        },
        tables={
            "score_field": view(i18n, dist["field"], SCORE_COLUMNS, dimension="field"),
            "score_plan": view(i18n, dist["plan"], SCORE_COLUMNS, dimension="plan"),
            "transitions": view(i18n, tr, ["prev_grade", *grade_cols, "projects"]),
            "top": view(i18n, r.read(data.top_bottom, y, 10, True), TOP_COLUMNS),
            "bottom": view(i18n, r.read(data.top_bottom, y, 10, False), TOP_COLUMNS),
            **robust["tables"],
        },
        frames={**{f"by_{d}": frame for d, frame in dist.items()}, "transitions": tr, **robust["frames"]},
        charts={
            "grades_field": charts.grades_by(
                i18n, dist["field"], "field", "各领域等级分布与平均分", "Grades and mean score by field"
            ),
            "grades_plan": charts.grades_by(
                i18n, dist["plan"], "plan", "各扶持计划等级分布与平均分", "Grades and mean score by plan"
            ),
            "transitions": charts.grade_transitions(i18n, tr),
        },
    )
