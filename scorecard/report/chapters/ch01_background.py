"""一、基本情况: the year's summary (grades, recommendations, money, potential problem projects, change
against last year) and the programme's targets (``mart.program_target``)."""

from __future__ import annotations

import polars as pl

from scorecard.report import charts, data
from scorecard.report.context import ChapterData, ReportInputs
from scorecard.report.outline import chapter_outline
from scorecard.report.tables import Table, cell, header_html, view

TITLE, SECTIONS = chapter_outline(__name__)


def summary_table(r: ReportInputs, summ: pl.DataFrame) -> Table:
    """This year, last year and the change per headline metric (a change of a rate is a rate)."""
    i18n, y = r.i18n, r.year
    heads = [("指标", "Metric"), (f"{y}年度", str(y)), (f"{y - 1}年度", str(y - 1)), ("变化", "Change")]
    rows = [
        [
            i18n.t(m["metric_zh"], m["metric_en"]),
            *(
                cell(i18n, "", m["kind"] if k != "change" or m["kind"] != "pct" else "pct", m[k])
                for k in ("value", "prev_value", "change")
            ),
        ]
        for m in summ.to_dicts()
    ]
    return Table(
        i18n,
        [],
        [header_html(i18n, zh, en) for zh, en in heads],
        [False, True, True, True],
        rows,
        summ.height,
        {},
        fixed_layout=False,
    )


def target_counts(tg: pl.DataFrame) -> dict:
    """Measurable targets met and not met (with their names), and the unmeasured ones."""
    measured = tg.filter(pl.col("measured").is_not_null())
    not_met = measured.filter(~pl.col("met"))
    return {
        "measured": measured.height,
        "met": measured.filter(pl.col("met")).height,
        "not_met": not_met.height,
        "not_met_zh": not_met["name_zh"].to_list(),
        "not_met_en": not_met["name_en"].to_list(),
        "unmeasured": tg.height - measured.height,
    }


def build(r: ReportInputs) -> ChapterData:
    f, i18n = r.facts, r.i18n
    summ = r.read(data.summary, r.year)
    tg = r.read(data.targets, r.year)
    named = tg.with_columns(
        pl.when(i18n.lang == "en").then(pl.col("name_en")).otherwise(pl.col("name_zh")).alias("name")
    )
    return ChapterData(
        values={"f": f, "targets": target_counts(tg)},
        tables={
            "summary": summary_table(r, summ),
            "targets": view(
                i18n,
                named,
                [("name", "工作目标", "Target", "text"), "measured", "comparator", "threshold", "unit", "met"],
            ),
        },
        frames={"summary": summ, "targets": tg},
        charts={"grades": charts.grades(i18n, f.cur, f.prev), "recommendations": charts.recommendations(i18n, f.cur)},
    )
