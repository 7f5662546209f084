"""Managing the programme, not only the projects (docs/programme-management.md §3–§7).

Five analyses beyond the rubric, each a SQL step of ``sql/analytics/5x_*.sql`` that writes one mart
table per review year, delete-then-insert in one transaction:

=====================  ==================================  ===============================================
step                   table                               docs/programme-management.md
=====================  ==================================  ===============================================
``follow_through``     ``mart.follow_through``             §3 last year's problems, what became of them
``adjustment``         ``mart.portfolio_adjustment``       §4 a suggestion per field and plan
``budget``             ``mart.budget_scenario``            §5 the budget what-if (a scenario)
``cohort``             ``mart.programme_cohort``           §6 the overall evaluation's cohort table
``managers``           ``mart.manager_portfolio``          §7 each project manager's projects
=====================  ==================================  ===============================================

They read the review's marts and ``dim_project`` (groupings, approved funding, manager) — never a fact
— and write only their own tables: no official score, grade or recommendation changes. Parameters
come from the rubric (``adjustment:``, ``problem_min_flags``) and the programme file (its last year).

    rubric = load_rubric()
    for step in STEPS:
        run_step(con, step, 2019, rubric)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from scorecard.db import run_sql, table_columns, transaction
from scorecard.programme import Programme, load_programme
from scorecard.rubric import Rubric

SCHEMA_SQL = "analytics/50_programme_schema.sql"
RULES_FILE = Path(__file__).parent / "quality" / "programme_rules.yaml"
SIGNAL_TABLE = "review_signal"  # written by the signals analysis (issue 14), when it has run


@dataclass(frozen=True)
class Step:
    sql: str  # file under sql/
    temp: str  # the temp table it leaves
    table: str  # the mart table it fills


# In dependency order: the budget reads the adjustment of its year.
STEPS: dict[str, Step] = {
    "follow_through": Step("analytics/51_follow_through.sql", "pm_follow_through", "follow_through"),
    "adjustment": Step("analytics/52_portfolio_adjustment.sql", "pm_portfolio_adjustment", "portfolio_adjustment"),
    "budget": Step("analytics/53_budget_scenario.sql", "pm_budget_scenario", "budget_scenario"),
    "cohort": Step("analytics/54_programme_cohort.sql", "pm_programme_cohort", "programme_cohort"),
    "managers": Step("analytics/55_manager_portfolio.sql", "pm_manager_portfolio", "manager_portfolio"),
}

TABLES = tuple(step.table for step in STEPS.values())
OUTCOMES = ("resolved", "persisting", "escalated", "closing", "not_reviewed")
SUGGESTIONS = ("too_few", "shrink", "adjust", "expand", "maintain")
UNASSIGNED_MANAGER = "(未指定)"


class ProgrammeManagementError(RuntimeError):
    """An analysis that cannot run: the message says which table or year is missing."""


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the five mart tables (sql/analytics/50_programme_schema.sql), idempotent. A table whose columns
    differ from the DDL (written by an older version) is dropped first: its rows are derived, the next run
    writes them again."""
    expected = table_columns(_expected_connection(), "mart", TABLES)
    found = table_columns(con, "mart", TABLES)
    for table, columns in found.items():
        if columns != expected.get(table):
            con.execute(f"DROP TABLE mart.{table}")
    run_sql(con, SCHEMA_SQL)


@cache
def _expected_connection() -> duckdb.DuckDBPyConnection:
    scratch = duckdb.connect()
    run_sql(scratch, SCHEMA_SQL)
    return scratch


def signals_available(con: duckdb.DuckDBPyConnection) -> bool:
    """True when ``mart.review_signal`` exists (the signals analysis has run at least once)."""
    return _table_exists(con, "mart", SIGNAL_TABLE)


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.sql(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = $s AND table_name = $t "
            "AND database_name = current_database()",
            params={"s": schema, "t": table},
        ).fetchall()[0][0]
    )


def _signal_view(con: duckdb.DuckDBPyConnection) -> bool:
    """Temp view pm_signal(project_id, review_year, signal): the signals, or no rows without them."""
    if signals_available(con):
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW pm_signal AS SELECT project_id, review_year, signal FROM mart.{SIGNAL_TABLE}"
        )
        return True
    con.execute(
        "CREATE OR REPLACE TEMP VIEW pm_signal AS SELECT CAST(NULL AS VARCHAR) AS project_id, "
        "CAST(NULL AS INTEGER) AS review_year, CAST(NULL AS VARCHAR) AS signal WHERE false"
    )
    return False


def step_params(year: int, rubric: Rubric, programme: Programme | None = None) -> dict[str, Any]:
    """What the steps bind: the review year, the rubric's parameters and the programme's period."""
    programme = programme or load_programme()
    return {**rubric.params(), **programme.params(), "review_year": int(year)}


def reviewed(con: duckdb.DuckDBPyConnection, year: int) -> int:
    """Rows of mart.project_review for ``year`` (0 when the year was never scored)."""
    if not _table_exists(con, "mart", "project_review"):
        return 0
    return con.sql("SELECT count(*) FROM mart.project_review WHERE review_year = ?", params=[int(year)]).fetchall()[0][
        0
    ]


def run_step(
    con: duckdb.DuckDBPyConnection, step: str, year: int, rubric: Rubric, programme: Programme | None = None
) -> int:
    """Run one analysis for review year ``year`` and write its mart table; returns the rows written."""
    if step not in STEPS:
        raise ProgrammeManagementError(f"unknown analysis {step!r} (known: {', '.join(STEPS)})")
    if not reviewed(con, year):
        raise ProgrammeManagementError(
            f"{STEPS[step].table}: review year {year} has no mart.project_review rows; score the year first"
        )
    ensure_tables(con)
    spec = STEPS[step]
    params = step_params(year, rubric, programme)
    params["signals_available"] = _signal_view(con)
    run_sql(con, spec.sql, params)
    with transaction(con):
        con.execute(f"DELETE FROM mart.{spec.table} WHERE review_year = ?", [int(year)])
        con.execute(f"INSERT INTO mart.{spec.table} BY NAME SELECT * FROM {spec.temp}")
    return con.sql(f"SELECT count(*) FROM {spec.temp}").fetchall()[0][0]


def analyse_year(
    con: duckdb.DuckDBPyConnection, year: int, rubric: Rubric, programme: Programme | None = None
) -> dict[str, int]:
    """Every analysis of ``year``, in order; rows written per mart table."""
    return {STEPS[s].table: run_step(con, s, year, rubric, programme) for s in STEPS}


def overall_in_scope(year: int, programme: Programme | None = None) -> bool:
    """The overall evaluation belongs to the report of the programme's last year and every later one."""
    programme = programme or load_programme()
    return int(year) >= programme.end


@cache
def programme_suites() -> dict:
    """The GX suites of the five tables (scorecard/quality/programme_rules.yaml), by table name."""
    from scorecard.files import load_yaml
    from scorecard.quality.suites import yaml_suite

    rules = load_yaml(RULES_FILE.read_text(encoding="utf-8"))
    return {name: yaml_suite(name, spec) for name, spec in rules["suites"].items()}


def validate_years(con: duckdb.DuckDBPyConnection, table: str, years: list[int], rubric: Rubric):
    """Validate ``mart.<table>`` for ``years`` with Great Expectations; reads only, writes nothing."""
    from scorecard.quality.runner import run_suite

    suite = programme_suites()[f"mart.{table}"]
    return run_suite(con, suite, params={**rubric.params(), "review_years": [int(y) for y in years]})
