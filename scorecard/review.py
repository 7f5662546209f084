"""The mid-term review (中期考核): score one review year and summarise it (docs/scoring.md,
docs/datasets.md "Output contract", docs/programme.md).

The logic is SQL — ``sql/review/*.sql`` (one step per docs/scoring.md section, in file-name order) and
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

History is complete (docs/scoring.md §10): ``score_year`` first scores, in order, every earlier year
from the programme's first review year that has projects due for review but was never scored into the
schema, and says so (``history_scored``). ``{schema}.review_year_state`` records when each year was
scored and on which scoring of the year before; a later year scored on an older basis is stale
(``stale_years``) — the CLI rescores it, the UI shows it in a failed (warning) asset check.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

import duckdb

from scorecard import codes
from scorecard.db import identifier, run_sql, sql_files, table_columns, transaction
from scorecard.programme import Programme, load_programme
from scorecard.rubric import Rubric

# table written by the review -> the temp table of sql/review/ that holds the year's rows
REVIEW_OUTPUTS = {
    "project_review": "review_result",
    "review_reason": "review_reasons",
    "review_measure": "review_measure_result",
    "review_milestone": "review_milestone_result",
    "review_kpi": "review_kpi_result",
    "review_timeline": "review_timeline_result",
    "disbursement_by_year": "review_disbursement_by_year",
}
REVIEW_TABLES = (*REVIEW_OUTPUTS, "review_year_state")
SUMMARY_TABLES = ("program_summary", "program_target")
MART_TABLES = REVIEW_TABLES + SUMMARY_TABLES


def ensure_mart(con: duckdb.DuckDBPyConnection, schema: str = "mart") -> None:
    """Create the mart tables (sql/mart/schema.sql); for another schema, empty copies of them.

    A review table whose columns differ from sql/mart/schema.sql (written by an older version, e.g.
    money as DOUBLE) is dropped and recreated: its rows are derived and the next run rescores them.
    """
    schema = identifier(schema)
    _drop_outdated(con, "mart")
    run_sql(con, "mart/schema.sql")
    if schema != "mart":
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        _drop_outdated(con, schema)
        for table in MART_TABLES:
            con.execute(f"CREATE TABLE IF NOT EXISTS {schema}.{table} AS SELECT * FROM mart.{table} WITH NO DATA")


@cache
def _expected_columns() -> dict[str, list[tuple[str, str]]]:
    """(column, type) per mart table, as sql/mart/schema.sql declares them (built in memory once per
    process: every scored and summarised year checks its schema against it)."""
    with duckdb.connect() as scratch:
        run_sql(scratch, "mart/schema.sql")
        return table_columns(scratch, "mart")


def _drop_outdated(con: duckdb.DuckDBPyConnection, schema: str) -> None:
    found = table_columns(con, schema)
    for table, columns in _expected_columns().items():
        if table in MART_TABLES and table in found and found[table] != columns:
            con.execute(f"DROP TABLE {schema}.{table}")


def as_of_date(year: int) -> date:
    """The as-of date A of review year Y: 31 December of Y (docs/scoring.md §1) — its one definition."""
    return date(int(year), 12, 31)


def review_params(year: int, rubric: Rubric, programme: Programme | None = None) -> dict[str, Any]:
    """Everything the review and summary SQL bind: year, as-of date (31 Dec), the rubric's and the
    programme's values."""
    programme = programme or load_programme()
    return {**rubric.params(), **programme.params(), "review_year": int(year), "as_of": as_of_date(year)}


def _load_labels(con: duckdb.DuckDBPyConnection, rubric: Rubric) -> None:
    """Temp table review_label(kind, code, zh, en): the words the reasons are written with."""
    rows = [("grade", k, zh, en) for k, (zh, en) in codes.GRADES.items()]
    rows += [("flag", k, zh, en) for k, (zh, en) in codes.FLAGS.items()]
    rows += [("recommendation", k, zh, en) for k, (zh, en) in codes.RECOMMENDATIONS.items()]
    rows += [("leaf", leaf.code, leaf.zh, leaf.en) for leaf in rubric.leaves]
    con.execute("CREATE OR REPLACE TEMP TABLE review_label (kind VARCHAR, code VARCHAR, zh VARCHAR, en VARCHAR)")
    con.executemany("INSERT INTO review_label VALUES (?, ?, ?, ?)", rows)


def _load_programme_targets(con: duckdb.DuckDBPyConnection, programme: Programme) -> None:
    """Temp table programme_target: the programme file's targets, read by sql/summary/20_program_target.sql."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE programme_target (target VARCHAR, measure VARCHAR, plan VARCHAR, "
        "comparison VARCHAR, threshold DECIMAL(18, 4), unit VARCHAR, name_zh VARCHAR, name_en VARCHAR)"
    )
    con.executemany("INSERT INTO programme_target VALUES (?, ?, ?, ?, ?, ?, ?, ?)", programme.target_rows())


def _counts(con: duckdb.DuckDBPyConnection, table: str, column: str) -> dict[str, int]:
    return dict(con.sql(f"SELECT {column}, count(*) FROM {table} GROUP BY 1 ORDER BY 1").fetchall())


def score_year(
    con: duckdb.DuckDBPyConnection, year: int, rubric: Rubric, schema: str = "mart", programme: Programme | None = None
) -> dict[str, Any]:
    """Score review year ``year`` into ``{schema}.project_review`` and ``{schema}.review_reason``.

    Scores the missing earlier years first, in order (``history_scored`` in the result), so year Y is
    always built on its whole history. Returns metadata: row counts, grade and recommendation counts,
    the years scored as history, the later years now stale, rubric version and hash.
    """
    schema = identifier(schema)
    programme = programme or load_programme()
    ensure_mart(con, schema)
    history = missing_history(con, year, schema, programme)
    for earlier in history:
        _score_one(con, earlier, rubric, schema, programme)
    result = _score_one(con, year, rubric, schema, programme)
    result["history_scored"] = history
    result["stale_years"] = stale_years(con, schema)
    return result


def missing_history(con: duckdb.DuckDBPyConnection, year: int, schema: str, programme: Programme) -> list[int]:
    """Earlier years (from the programme's first review year) with projects due for review that were
    never scored into ``schema``, ascending."""
    schema = identifier(schema)
    earlier = list(range(programme.first_review_year, int(year)))
    return [
        y
        for (y,) in con.sql(
            f"""SELECT y.review_year
                FROM (SELECT unnest($years) AS review_year, unnest($as_of) AS as_of) AS y
                WHERE EXISTS (SELECT 1 FROM dim_project AS p
                              WHERE p.start_date <= y.as_of AND p.end_date >= make_date(y.review_year, 1, 1))
                  AND y.review_year NOT IN (SELECT review_year FROM {schema}.review_year_state)
                  AND y.review_year NOT IN (SELECT DISTINCT review_year FROM {schema}.project_review)
                ORDER BY 1""",
            params={"years": earlier, "as_of": [as_of_date(y) for y in earlier]},
        ).fetchall()
    ]


def stale_years(con: duckdb.DuckDBPyConnection, schema: str = "mart") -> list[int]:
    """Scored years whose year before was scored again after them (their history changed), ascending."""
    schema = identifier(schema)
    return [
        y
        for (y,) in con.sql(
            f"""SELECT s.review_year
                FROM {schema}.review_year_state AS s
                JOIN {schema}.review_year_state AS prev ON prev.review_year = s.review_year - 1
                WHERE s.basis_scoring_no IS DISTINCT FROM prev.scoring_no
                ORDER BY 1"""
        ).fetchall()
    ]


def _score_one(
    con: duckdb.DuckDBPyConnection, year: int, rubric: Rubric, schema: str, programme: Programme
) -> dict[str, Any]:
    params = review_params(year, rubric, programme)
    # The SQL reads earlier years through this view, whatever the target schema.
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW prior_review AS "
        f"SELECT project_id, review_year, grade, recommendation FROM {schema}.project_review"
    )
    _load_labels(con, rubric)
    for path in sql_files("review"):
        run_sql(con, f"review/{path.name}", params)

    with transaction(con):
        for table, source in REVIEW_OUTPUTS.items():
            con.execute(f"DELETE FROM {schema}.{table} WHERE review_year = ?", [int(year)])
            con.execute(f"INSERT INTO {schema}.{table} BY NAME SELECT * FROM {source}")
        _record_state(con, year, rubric, schema)

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


def _record_state(con: duckdb.DuckDBPyConnection, year: int, rubric: Rubric, schema: str) -> None:
    """One row per scored year: a scoring number that only grows, the number of the year before's
    scoring it was built on, when, and with which rubric."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE review_state_row AS
            SELECT CAST($year AS INTEGER) AS review_year,
                   (SELECT count(*) FROM review_result) AS rows,
                   (SELECT coalesce(max(scoring_no), 0) + 1 FROM {schema}.review_year_state) AS scoring_no,
                   (SELECT scoring_no FROM {schema}.review_year_state WHERE review_year = $year - 1) AS basis_scoring_no,
                   CAST(now() AS TIMESTAMP) AS scored_at,
                   CAST($version AS VARCHAR) AS rubric_version,
                   CAST($sha AS VARCHAR) AS rubric_sha256""",
        {"year": int(year), "version": rubric.version, "sha": rubric.sha256},
    )
    con.execute(f"DELETE FROM {schema}.review_year_state WHERE review_year = ?", [int(year)])
    con.execute(f"INSERT INTO {schema}.review_year_state BY NAME SELECT * FROM review_state_row")


def summarize_year(
    con: duckdb.DuckDBPyConnection, year: int, rubric: Rubric, schema: str = "mart", programme: Programme | None = None
) -> dict[str, Any]:
    """Write ``program_summary``, ``program_target`` and ``disbursement_by_year`` for review year
    ``year`` from ``{schema}.project_review`` (scored first), the facts and the programme file; one
    transaction."""
    schema = identifier(schema)
    programme = programme or load_programme()
    ensure_mart(con, schema)
    params = review_params(year, rubric, programme)
    # the summary reads what the review measured, in the target schema (never the facts)
    for view, table in (
        ("scored_review", "project_review"),
        ("scored_measure", "review_measure"),
        ("scored_disbursement", "disbursement_by_year"),
    ):
        con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM {schema}.{table}")
    _load_programme_targets(con, programme)
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
