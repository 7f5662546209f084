"""二、评价工作开展情况: scope, method (from the rubric), data sources (``raw.load_log``) and data
quality (the latest validation run of ``mart.data_quality`` and the quarantine)."""

from __future__ import annotations

import duckdb

from scorecard.report import data
from scorecard.report.context import ChapterData, ReportInputs
from scorecard.report.outline import chapter_outline
from scorecard.report.tables import view

TITLE, SECTIONS = chapter_outline(__name__)
FAILURE_COLUMNS = [  # the failed expectations of the latest validation run
    "dataset",
    ("rule_code", "校验规则", "Expectation", "text"),
    ("reason", "字段", "Column", "text"),
    ("kind", "级别", "Severity", "text"),
    "unexpected",
]


def status_counts(con: duckdb.DuckDBPyConnection, year: int) -> dict[str, int]:
    """Reviewed projects per status (active, ended)."""
    return dict(
        con.sql(
            "SELECT status, count(*) FROM mart.project_review WHERE review_year = ? GROUP BY status", params=[year]
        ).fetchall()
    )


def coverage(con: duckdb.DuckDBPyConnection, year: int) -> dict[str, int]:
    """Fields, plans and departments of the reviewed projects."""
    fields, plans, departments = con.sql(
        "SELECT count(DISTINCT p.field), count(DISTINCT p.plan), count(DISTINCT p.department) "
        "FROM mart.project_review r JOIN dim_project p USING (project_id) WHERE r.review_year = ?",
        params=[year],
    ).fetchall()[0]
    return {"fields": fields, "plans": plans, "departments": departments}


def quality(r: ReportInputs, out: ChapterData) -> None:
    """The latest validation run (if any) and the quarantine: values, tables and frames into ``out``."""
    i18n = r.i18n
    quar = r.read(data.quarantine)
    out.frames["quarantine"] = quar
    out.tables["quarantine"] = view(i18n, quar, ["dataset", "reason_code", "reason", "rows", "files"])
    out.values["quarantined"] = int(quar["rows"].sum()) if quar.height else 0
    run_id = r.read(data.latest_quality_run)
    out.values["run"] = None
    out.tables["quality"] = out.tables["quality_failures"] = None
    if not run_id:
        return
    dq = r.read(data.data_quality, run_id)
    out.frames["data_quality"] = dq
    out.tables["quality"] = view(i18n, dq, ["dataset", "expectations", "passed", "failed", "unexpected"])
    fails = r.read(data.quality_failures, run_id)
    if fails.height:
        out.tables["quality_failures"] = view(i18n, fails, FAILURE_COLUMNS)
    out.values["run"] = {
        "id": run_id,
        "expectations": int(dq["expectations"].sum()),
        "passed": int(dq["passed"].sum()),
        "failed": int(dq["failed"].sum()),
    }


def build(r: ReportInputs) -> ChapterData:
    loads = r.read(data.load_summary)
    out = ChapterData(
        values={
            "f": r.facts,
            "status": status_counts(r.con, r.year),
            "coverage": coverage(r.con, r.year),
            "files": loads.height,
            "datasets": loads["dataset"].n_unique() if loads.height else 0,
        },
        tables={
            "sources": view(
                r.i18n,
                loads,
                [
                    ("dataset", "数据集", "Dataset", "text"),
                    ("source_file", "文件", "File", "text"),
                    ("rows_read", "读取行数", "Rows read", "int"),
                    ("rows_clean", "有效行数", "Clean rows", "int"),
                    ("rows_quarantined", "隔离行数", "Quarantined", "int"),
                ],
            )
        },
        frames={"sources": loads},
    )
    quality(r, out)
    return out
