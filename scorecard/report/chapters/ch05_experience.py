"""五、主要经验做法、存在的问题及原因分析: what worked (best fields and plans), the most frequent flags
with the fields and plans where they occur, the most frequent reasons, a cause per flag, and the signals for
follow-up the rubric does not see (docs/analytics.md §2)."""

from __future__ import annotations

import polars as pl

from scorecard import codes
from scorecard.report import analytics_sections, charts, data
from scorecard.report.context import ChapterData, ReportInputs, label
from scorecard.report.outline import chapter_outline
from scorecard.report.tables import view

TITLE, SECTIONS = chapter_outline(__name__)


def what_worked(r: ReportInputs) -> dict:
    """The two fields with the best mean score and the plan with the highest execution rate."""
    by_field, by_plan = r.read(data.distribution, r.year, "field"), r.read(data.distribution, r.year, "plan")
    best = by_field.filter(pl.col("mean_score").is_not_null()).sort("mean_score", descending=True).head(2)
    bp = by_plan.filter(pl.col("execution_rate").is_not_null()).sort("execution_rate", descending=True).head(1)
    plan = bp.row(0, named=True) if bp.height else None
    return {
        "best_fields": [
            {
                "label": label(codes.FIELDS, b["dimension_value"]),
                "mean": b["mean_score"],
                "rolling": b["rec_rolling_support"],
            }
            for b in best.to_dicts()
        ],
        "best_plan": plan
        and {
            "label": label(codes.PLANS, plan["dimension_value"]),
            "execution_rate": plan["execution_rate"],
            "leverage": plan["leverage"],
        },
    }


def where(frame: pl.DataFrame, flag: str, table: dict, n: int) -> list[dict]:
    """The first ``n`` fields (or plans) where ``flag`` was raised, with their counts."""
    return [
        {"label": label(table, x["dimension_value"]), "count": x["count"]}
        for x in frame.filter(pl.col("flag") == flag).head(n).to_dicts()
    ]


def problems(r: ReportInputs, ft: pl.DataFrame) -> list[dict]:
    """The six most frequent flags: count, share, and the fields and plans where they occur most."""
    fbf, fbp = r.read(data.flags_by, r.year, "field"), r.read(data.flags_by, r.year, "plan")
    return [
        {
            "no": i,
            "code": x["flag"],
            "label": label(codes.FLAGS, x["flag"]),
            "count": x["count"],
            "share": x["share"],
            "fields": where(fbf, x["flag"], codes.FIELDS, 3),
            "plans": where(fbp, x["flag"], codes.PLANS, 2),
        }
        for i, x in enumerate(ft.head(6).to_dicts(), start=1)
    ]


def build(r: ReportInputs) -> ChapterData:
    i18n, y = r.i18n, r.year
    ft = r.read(data.flag_totals, y)
    fbf, fbp = r.read(data.flags_by, y, "field"), r.read(data.flags_by, y, "plan")
    rf = r.read(data.reason_frequency, y)
    examples = [*(["example_zh"] if i18n.zh else []), *(["example_en"] if i18n.en else [])]
    signals = analytics_sections.signals(r)
    return ChapterData(
        values={
            "f": r.facts,
            **what_worked(r),
            "problems": problems(r, ft),
            "top_reasons": rf.head(3).to_dicts(),
            **signals["values"],
        },
        tables={
            "flag_totals": view(
                i18n, ft, ["flag", "count", ("share", "占考核项目比例", "Share of reviewed projects", "pct")]
            ),
            "reasons": view(i18n, rf, ["rule_code", "count", *examples], cap=20),
            **signals["tables"],
        },
        frames={"flag_totals": ft, "flags_by_field": fbf, "flags_by_plan": fbp, "reasons": rf, **signals["frames"]},
        charts={
            "flags_field": charts.flags_by(i18n, fbf, "field", "各领域预警分布", "Flags by field"),
            "flags_plan": charts.flags_by(i18n, fbp, "plan", "各扶持计划预警分布", "Flags by plan"),
        },
    )
