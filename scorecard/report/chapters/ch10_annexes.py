"""附件: 附件一 the method, rendered from the rubric file itself (``method.py``); 附件二 every
project's scores; 附件三 the input files and the lineage of this report."""

from __future__ import annotations

import polars as pl

from scorecard.report import data
from scorecard.report.context import ChapterData, ReportInputs
from scorecard.report.outline import chapter_outline
from scorecard.report.tables import view

TITLE, SECTIONS = chapter_outline(__name__)
ANNEX = True
SCORE_COLUMNS = [
    "project_id",
    "project_name",
    "field",
    "plan",
    "score_process",
    "score_output",
    "score_outcome",
    "score_expert",
    "coverage",
    "total_score",
    "grade",
    "flags",
    "recommendation",
]
LINEAGE_SCHEMA = {"file": pl.String, "dataset": pl.String, "sha256": pl.String, "bytes": pl.Int64}


def build(r: ReportInputs) -> ChapterData:
    pr = r.read(data.project_review_named, r.year)
    lineage = pl.DataFrame(r.inputs, schema=LINEAGE_SCHEMA) if r.inputs else pl.DataFrame(schema=LINEAGE_SCHEMA)
    return ChapterData(
        values={"f": r.facts, "code_version": r.code_version, "generated_at": r.generated_at},
        tables={
            "annex_scores": view(
                r.i18n, pr.sort("total_score", descending=True, nulls_last=True), SCORE_COLUMNS, cap="annex_scores"
            ),
            "lineage": view(
                r.i18n,
                lineage,
                [
                    "dataset",
                    ("file", "文件", "File", "text"),
                    ("bytes", "字节数", "Bytes", "int"),
                    ("sha256", "SHA-256", "SHA-256", "text"),
                ],
            ),
        },
        frames={"project_review_named": pr},
    )
