"""The mid-term review (中期考核): score one review year and summarise it (SCORING.md, DATA.md
"Output contract", PROGRAM.md "Programme targets").

The logic is SQL — ``sql/review/*.sql`` (one step per SCORING.md section, in file-name order) and
``sql/summary/*.sql`` — run set-based over every project at once. Python only wires them together:
it binds the review year, the as-of date and the rubric's parameters, points the SQL at the target
schema's earlier rows, and writes the year delete-then-insert in one transaction.

Typical use (the Dagster assets do this per yearly partition, in year order)::

    rubric = load_rubric()
    for year in (2017, 2018, 2019):
        score_year(con, year, rubric)
        summarize_year(con, year, rubric)

``schema`` other than ``"mart"`` scores into a copy of the mart tables (e.g. ``"what_if"``) so an
alternative rubric never touches the official scores.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from scorecard import codes
from scorecard.db import identifier, run_sql, sql_files, transaction
from scorecard.rubric import Rubric

REVIEW_TABLES = ("project_review", "review_reason")
SUMMARY_TABLES = ("program_summary", "program_target", "disbursement_by_year")
MART_TABLES = REVIEW_TABLES + SUMMARY_TABLES


def ensure_mart(con: duckdb.DuckDBPyConnection, schema: str = "mart") -> None:
    """Create the mart tables (sql/mart/schema.sql); for another schema, empty copies of them."""
    schema = identifier(schema)
    run_sql(con, "mart/schema.sql")
    if schema != "mart":
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for table in MART_TABLES:
            con.execute(f"CREATE TABLE IF NOT EXISTS {schema}.{table} AS SELECT * FROM mart.{table} WITH NO DATA")


def review_params(year: int, rubric: Rubric) -> dict[str, Any]:
    """Everything the review and summary SQL bind: year, as-of date (31 Dec) and the rubric's values."""
    return {**rubric.params(), "review_year": int(year), "as_of": date(int(year), 12, 31)}


def _load_labels(con: duckdb.DuckDBPyConnection, rubric: Rubric) -> None:
    """Temp table review_label(kind, code, zh, en): the words the reasons are written with."""
    rows = [("grade", k, zh, en) for k, (zh, en) in codes.GRADES.items()]
    rows += [("flag", k, zh, en) for k, (zh, en) in codes.FLAGS.items()]
    rows += [("recommendation", k, zh, en) for k, (zh, en) in codes.RECOMMENDATIONS.items()]
    rows += [("leaf", leaf.code, leaf.zh, leaf.en) for leaf in rubric.leaves]
    con.execute("CREATE OR REPLACE TEMP TABLE review_label (kind VARCHAR, code VARCHAR, zh VARCHAR, en VARCHAR)")
    con.executemany("INSERT INTO review_label VALUES (?, ?, ?, ?)", rows)


def _counts(con: duckdb.DuckDBPyConnection, table: str, column: str) -> dict[str, int]:
    return dict(con.sql(f"SELECT {column}, count(*) FROM {table} GROUP BY 1 ORDER BY 1").fetchall())


def score_year(con: duckdb.DuckDBPyConnection, year: int, rubric: Rubric, schema: str = "mart") -> dict[str, Any]:
    """Score review year ``year`` into ``{schema}.project_review`` and ``{schema}.review_reason``.

    Reads the star schema (dim_project, fact_*) and the rows of earlier years already in
    ``{schema}.project_review`` (last year's grade and recommendation, termination history), so years
    are scored in order. Replaces the year's rows in one transaction. Returns metadata: row counts,
    grade and recommendation counts, rubric version and hash.
    """
    schema = identifier(schema)
    ensure_mart(con, schema)
    params = review_params(year, rubric)
    # The SQL reads earlier years through this view, whatever the target schema.
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW prior_review AS "
        f"SELECT project_id, review_year, grade, recommendation FROM {schema}.project_review"
    )
    _load_labels(con, rubric)
    for path in sql_files("review"):
        run_sql(con, f"review/{path.name}", params)

    with transaction(con):
        for table, source in (("project_review", "review_result"), ("review_reason", "review_reasons")):
            con.execute(f"DELETE FROM {schema}.{table} WHERE review_year = ?", [int(year)])
            con.execute(f"INSERT INTO {schema}.{table} BY NAME SELECT * FROM {source}")

    rows = con.sql("SELECT count(*) FROM review_result").fetchall()[0][0]
    earlier = con.sql("SELECT count(DISTINCT review_year) FROM review_history").fetchall()[0][0]
    return {
        "review_year": int(year),
        "as_of_date": params["as_of"].isoformat(),
        "schema": schema,
        "rows": rows,
        "reasons": con.sql("SELECT count(*) FROM review_reasons").fetchall()[0][0],
        "grades": _counts(con, "review_result", "grade"),
        "recommendations": _counts(con, "review_result", "recommendation"),
        "earlier_years_scored": earlier,
        "clawback_wan": float(con.sql("SELECT coalesce(sum(clawback_wan), 0) FROM review_result").fetchall()[0][0]),
        "rubric_version": rubric.version,
        "rubric_sha256": rubric.sha256,
    }


def summarize_year(con: duckdb.DuckDBPyConnection, year: int, rubric: Rubric, schema: str = "mart") -> dict[str, Any]:
    """Write ``program_summary``, ``program_target`` and ``disbursement_by_year`` for review year
    ``year`` from ``{schema}.project_review`` (scored first) and the facts; one transaction."""
    schema = identifier(schema)
    ensure_mart(con, schema)
    params = review_params(year, rubric)
    con.execute(f"CREATE OR REPLACE TEMP VIEW scored_review AS SELECT * FROM {schema}.project_review")
    for path in sql_files("summary"):
        run_sql(con, f"summary/{path.name}", params)

    with transaction(con):
        for table in SUMMARY_TABLES:
            con.execute(f"DELETE FROM {schema}.{table} WHERE review_year = ?", [int(year)])
            con.execute(f"INSERT INTO {schema}.{table} BY NAME SELECT * FROM summary_{table}")

    total = con.sql("SELECT * FROM summary_program_summary WHERE dimension = 'all'").pl().to_dicts()
    return {
        "review_year": int(year),
        "schema": schema,
        "summary_rows": con.sql("SELECT count(*) FROM summary_program_summary").fetchall()[0][0],
        "targets": {t: m for t, m in con.sql("SELECT target, met FROM summary_program_target ORDER BY 1").fetchall()},
        "projects": total[0]["projects"] if total else 0,
        "rubric_version": rubric.version,
    }
