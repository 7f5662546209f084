"""七、其他需要说明的问题: unmeasured macro targets, insufficient-data projects, quarantined rows, and a
warning when the scores were made with another rubric than the file in Annex 1."""

from __future__ import annotations

import duckdb
import polars as pl

from scorecard.report import data
from scorecard.report.context import ChapterData, ReportInputs
from scorecard.report.outline import chapter_outline

TITLE, SECTIONS = chapter_outline(__name__)


def scoring_rubrics(con: duckdb.DuckDBPyConnection, year: int) -> tuple[set[str], set[str]]:
    """SHA-256s and versions of the rubrics the year's scores were computed with."""
    rows = con.sql(
        "SELECT DISTINCT rubric_sha256, rubric_version FROM mart.project_review WHERE review_year = ?", params=[year]
    ).fetchall()
    return {sha for sha, _ in rows}, {version for _, version in rows}


def build(r: ReportInputs) -> ChapterData:
    tg = r.read(data.targets, r.year)
    macro = tg.filter(pl.col("measured").is_null())
    quar = r.read(data.quarantine)
    shas, versions = scoring_rubrics(r.con, r.year)
    return ChapterData(
        values={
            "f": r.facts,
            "macro_zh": macro["name_zh"].to_list(),
            "macro_en": macro["name_en"].to_list(),
            "quarantined": int(quar["rows"].sum()) if quar.height else 0,
            "other_rubrics": sorted(versions) if shas and shas != {r.method["sha256"]} else None,
        }
    )
