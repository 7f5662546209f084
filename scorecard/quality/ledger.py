"""The quality ledger ``mart.data_quality`` (one row per expectation per check run, kept across runs)
and the per-review-year summaries of the report's "数据质量 Data quality" chapter
(``mart.data_quality_summary``, ``mart.quarantine_summary``; DDL in ``sql/quality/schema.sql``)."""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import polars as pl

from scorecard.db import identifier, run_sql, transaction
from scorecard.quality.runner import SuiteResult, examples_json

PARTITION_SEP = "@"  # ledger dataset of a per-year check: mart.project_review@2019


def ensure_quality_tables(con: duckdb.DuckDBPyConnection) -> None:
    """mart.data_quality (mart/schema.sql) and the two summary tables (quality/schema.sql)."""
    run_sql(con, "mart/schema.sql")
    run_sql(con, "quality/schema.sql")


def ledger_dataset(suite: str, review_year: int | None = None) -> str:
    return f"{suite}{PARTITION_SEP}{review_year}" if review_year is not None else suite


def ledger_table(con: duckdb.DuckDBPyConnection, schema: str = "mart") -> str:
    """The ledger of one review schema: ``mart.data_quality``, or an empty copy of it in a what-if
    schema (so a what-if run's checks never enter the official ledger)."""
    ensure_quality_tables(con)
    schema = identifier(schema)
    if schema != "mart":
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        con.execute(f"CREATE TABLE IF NOT EXISTS {schema}.data_quality AS SELECT * FROM mart.data_quality WITH NO DATA")
    return f"{schema}.data_quality"


def write_ledger(
    con: duckdb.DuckDBPyConnection,
    result: SuiteResult,
    run_id: str,
    review_year: int | None = None,
    checked_at: datetime | None = None,
    schema: str = "mart",
) -> int:
    """Append one row per expectation of `result` to the ledger of ``schema``; a retried check in the
    same run replaces its rows."""
    ledger = ledger_table(con, schema)
    dataset = ledger_dataset(result.suite, review_year)
    checked_at = checked_at or datetime.now(timezone.utc).replace(tzinfo=None)
    rows = pl.DataFrame(  # noqa: F841 - read by DuckDB below
        [
            {
                "run_id": run_id,
                "checked_at": checked_at,
                "dataset": dataset,
                "expectation": r.name,
                "column_name": r.column,
                "severity": r.severity,
                "success": r.success,
                "element_count": r.element_count,
                "unexpected_count": r.unexpected_count,
                "examples": examples_json(r),
            }
            for r in result.results
        ],
        schema={
            "run_id": pl.String,
            "checked_at": pl.Datetime("us"),
            "dataset": pl.String,
            "expectation": pl.String,
            "column_name": pl.String,
            "severity": pl.String,
            "success": pl.Boolean,
            "element_count": pl.Int64,
            "unexpected_count": pl.Int64,
            "examples": pl.String,
        },
    )
    severities = sorted({r.severity for r in result.results}) or [result.severity or ""]
    with transaction(con):
        con.execute(
            f"DELETE FROM {ledger} WHERE run_id = $run AND dataset = $d AND severity IN (SELECT unnest($s))",
            {"run": run_id, "d": dataset, "s": severities},
        )
        con.execute(f"INSERT INTO {ledger} SELECT * FROM rows")
    return len(result.results)


SUMMARY_SQL = """
WITH ledger AS (
    SELECT split_part(dataset, '@', 1) AS dataset, dataset AS ledger_dataset, expectation, severity, checked_at,
           success, element_count, run_id
    FROM mart.data_quality
    WHERE dataset NOT LIKE '%@%' OR dataset = split_part(dataset, '@', 1) || '@' || CAST($year AS VARCHAR)
),
latest AS (  -- the latest check of each dataset and severity
    SELECT dataset, severity, max(checked_at) AS checked_at FROM ledger GROUP BY ALL
),
latest_rows AS (
    SELECT l.* FROM ledger AS l JOIN latest USING (dataset, severity, checked_at)
),
loads AS (  -- the current load of each raw dataset
    SELECT 'raw.' || g.dataset AS dataset, sum(g.rows_read) AS rows_read, sum(g.rows_quarantined) AS rows_quarantined
    FROM raw.load_log AS g JOIN raw.load_state AS s ON s.dataset = g.dataset AND s.load_id = g.load_id
    GROUP BY ALL
),
checked AS (
    SELECT
        dataset,
        count(*)::INTEGER AS expectations_run,
        count(*) FILTER (WHERE success)::INTEGER AS passed,
        count(*) FILTER (WHERE NOT success)::INTEGER AS failed,
        count(*) FILTER (WHERE NOT success AND severity = 'WARN')::INTEGER AS warn_failed,
        count(*) FILTER (WHERE NOT success AND severity = 'ERROR')::INTEGER AS error_failed,
        coalesce(max(element_count) FILTER (WHERE expectation = 'unique_key'), max(element_count)) AS rows_validated,
        max(checked_at) AS checked_at
    FROM latest_rows GROUP BY dataset
)
SELECT
    $year::INTEGER AS review_year,
    coalesce(c.dataset, ld.dataset) AS dataset,
    coalesce(c.expectations_run, 0) AS expectations_run,
    coalesce(c.passed, 0) AS passed,
    coalesce(c.failed, 0) AS failed,
    coalesce(c.warn_failed, 0) AS warn_failed,
    coalesce(c.error_failed, 0) AS error_failed,
    coalesce(ld.rows_read, c.rows_validated) AS rows_read,
    ld.rows_quarantined,
    c.checked_at
FROM checked AS c FULL OUTER JOIN loads AS ld ON ld.dataset = c.dataset
ORDER BY 2
"""

QUARANTINE_SQL = """
SELECT $year::INTEGER AS review_year, 'raw.' || dataset AS dataset, reason_code, count(*) AS rows
FROM raw.quarantine GROUP BY ALL ORDER BY dataset, reason_code
"""


def summarize_quality(con: duckdb.DuckDBPyConnection, year: int) -> dict[str, pl.DataFrame]:
    """Rewrite year `year` of mart.data_quality_summary and mart.quarantine_summary (one transaction).

    Per dataset, the latest check run of each severity counts (raw and warehouse checks run in the
    ingest, the mart checks per review year). Raw datasets add the rows read and quarantined by
    their current load.
    """
    ensure_quality_tables(con)
    params = {"year": year}
    summary = con.sql(SUMMARY_SQL, params=params).pl()
    quarantine = con.sql(QUARANTINE_SQL, params=params).pl()
    cols = ", ".join(summary.columns)
    with transaction(con):
        con.execute("DELETE FROM mart.data_quality_summary WHERE review_year = $year", params)
        con.execute(f"INSERT INTO mart.data_quality_summary ({cols}) SELECT {cols} FROM summary")
        con.execute("DELETE FROM mart.quarantine_summary WHERE review_year = $year", params)
        con.execute("INSERT INTO mart.quarantine_summary SELECT * FROM quarantine")
    return {"data_quality_summary": summary, "quarantine_summary": quarantine}
