"""The evaluator's analyses beyond the rubric (docs/analytics.md): decision robustness (§1) and signals
for follow-up (§2). Neither changes an official score, grade or recommendation.

The logic is SQL — ``sql/analytics/NN_*.sql``, one file per step, set-based over every project of the
year at once. Python only builds the scenarios table (the rubrics to re-score with: one row each, from
the rubric file's ``sensitivity:`` section), binds the parameters, points the SQL at the target
schema's review tables, and writes each year delete-then-insert in one transaction::

    rubric = load_rubric()
    score_year(con, 2018, rubric)            # the official review first (scorecard/review.py)
    robustness_year(con, 2018, rubric)       # mart.decision_sensitivity, mart.decision_robustness
    signals_year(con, 2018, rubric)          # mart.review_signal
"""

from __future__ import annotations

import random
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from scorecard.codes import SIGNALS
from scorecard.db import identifier, run_sql, table_columns, transaction
from scorecard.programme import Programme
from scorecard.review import review_params
from scorecard.rubric import INDICATOR_CODES, LEAF_INDICATOR, Rubric

ROBUSTNESS_TABLES = ("decision_sensitivity", "decision_robustness")
SIGNAL_TABLES = ("review_signal",)
ANALYTICS_TABLES = ROBUSTNESS_TABLES + SIGNAL_TABLES

ROBUSTNESS_STEPS = ("10_scenario_scores.sql", "20_decision_sensitivity.sql", "30_decision_robustness.sql")
SIGNAL_STEPS = (
    "40_signal_scope.sql",
    "41_year_end_rush.sql",
    "42_duplicate_evidence.sql",
    "43_copied_summary.sql",
    "44_expert_disagreement.sql",
    "45_paid_no_progress.sql",
    "46_undertaker_cluster.sql",
    "49_review_signal.sql",
)

SCENARIO_COLUMNS = ("scenario", "kind", "draw", *(f"w_{leaf}" for leaf in LEAF_INDICATOR))


# ------------------------------------------------------------------------------------ scenarios (§1)


def shift_name(group: str, sign: int, delta: float) -> str:
    """``process+5`` / ``expert-2.5``: the one-at-a-time scenario's name carries the number (§1)."""
    return f"{group}{'+' if sign > 0 else '-'}{delta:g}"


def one_at_a_time(points: dict[str, float], group: str, shift: float) -> dict[str, float]:
    """Group points after moving ``shift`` onto ``group``: g gets p_g + Δ, every other h gets
    p_h − Δ · p_h / (100 − p_g) (§1; the total stays 100)."""
    rest = 100.0 - points[group]
    return {h: p + shift if h == group else p - shift * p / rest for h, p in points.items()}


def random_groups(points: dict[str, float], rng: random.Random, delta: float) -> dict[str, float]:
    """One random rubric's group points: p_g + U(−Δ, +Δ) per group in the order process, output, outcome,
    expert, renormalised to 100 (§1)."""
    moved = {g: p + rng.uniform(-delta, delta) for g, p in points.items()}
    total = sum(moved.values())
    return {g: p * 100.0 / total for g, p in moved.items()}


def leaf_weights(rubric: Rubric, groups: dict[str, float]) -> dict[str, float]:
    """Leaf points for given group points: the leaves inside a group scale in proportion (§1).
    A group left at its official points keeps its leaves' points exactly."""
    official = rubric.group_points
    out = {}
    for leaf in rubric.leaves:
        group = LEAF_INDICATOR[leaf.code]
        same = groups[group] == official[group]
        out[leaf.code] = float(leaf.points) if same else float(leaf.points) * groups[group] / official[group]
    return out


def scenarios(rubric: Rubric) -> list[dict[str, Any]]:
    """The scenarios table (§1): ``base``, the eight one-at-a-time shifts, then ``random_rubrics`` random
    rubrics ``random-001`` … drawn with ``random.Random(seed)`` — the same seed gives the same draws."""
    cfg = rubric.sensitivity
    points = rubric.group_points
    rows = [{"scenario": "base", "kind": "base", "draw": None, **leaf_weights(rubric, points)}]
    for group in INDICATOR_CODES:
        for sign in (1, -1):
            groups = one_at_a_time(points, group, sign * cfg.delta_points)
            name = shift_name(group, sign, cfg.delta_points)
            rows.append({"scenario": name, "kind": "oat", "draw": None, **leaf_weights(rubric, groups)})
    rng = random.Random(cfg.seed)
    width = len(str(cfg.random_rubrics))
    for k in range(1, cfg.random_rubrics + 1):
        groups = random_groups(points, rng, cfg.delta_points)
        rows.append(
            {"scenario": f"random-{k:0{max(width, 3)}d}", "kind": "random", "draw": k, **leaf_weights(rubric, groups)}
        )
    return rows


def load_scenarios(con: duckdb.DuckDBPyConnection, rubric: Rubric) -> int:
    """Temp table sensitivity_scenario: one row per scenario with its seven leaf points (DOUBLE)."""
    weights = ", ".join(f"w_{leaf} DOUBLE" for leaf in LEAF_INDICATOR)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE sensitivity_scenario (scenario VARCHAR, kind VARCHAR, draw INTEGER, {weights})"
    )
    rows = [
        [row[c] if c in ("scenario", "kind", "draw") else row[c[2:]] for c in SCENARIO_COLUMNS]
        for row in scenarios(rubric)
    ]
    con.executemany(f"INSERT INTO sensitivity_scenario VALUES ({', '.join('?' for _ in SCENARIO_COLUMNS)})", rows)
    return len(rows)


# ------------------------------------------------------------------------------ normalisation (§2)


def _nfkc_arrow(values: pa.Array) -> pa.Array:
    """Unicode NFKC (full-width letters and digits to ASCII, the ideographic space to a space, …)."""
    return pc.utf8_normalize(values, form="NFKC")


def register_functions(con: duckdb.DuckDBPyConnection) -> None:
    """``nfkc(VARCHAR)`` in SQL (DuckDB has NFC only), vectorised through Arrow; once per connection."""
    try:
        con.create_function("nfkc", _nfkc_arrow, [duckdb.sqltype("VARCHAR")], duckdb.sqltype("VARCHAR"), type="arrow")
    except duckdb.Error as exc:  # already registered on this connection
        if "already" not in str(exc).lower():
            raise


# --------------------------------------------------------------------------------------- tables


def ensure_analytics(con: duckdb.DuckDBPyConnection, schema: str = "mart") -> None:
    """Create the analytics tables (sql/analytics/00_schema.sql) in ``mart`` and, for another schema,
    empty copies; a table whose columns differ from the DDL (an older version) is dropped and recreated."""
    schema = identifier(schema)
    expected = _expected_columns()
    for target in dict.fromkeys(("mart", schema)):
        found = table_columns(con, target, ANALYTICS_TABLES)
        for table, columns in expected.items():
            if table in found and found[table] != columns:
                con.execute(f"DROP TABLE {target}.{table}")
    run_sql(con, "analytics/00_schema.sql")
    if schema != "mart":
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for table in ANALYTICS_TABLES:
            con.execute(f"CREATE TABLE IF NOT EXISTS {schema}.{table} AS SELECT * FROM mart.{table} WITH NO DATA")


def _expected_columns() -> dict[str, list[tuple[str, str]]]:
    with duckdb.connect() as scratch:
        scratch.execute("CREATE SCHEMA mart")
        run_sql(scratch, "analytics/00_schema.sql")
        return table_columns(scratch, "mart", ANALYTICS_TABLES)


class AnalyticsError(RuntimeError):
    """The review an analysis reads is not there (score the year first)."""


def _point_views(con: duckdb.DuckDBPyConnection, schema: str, year: int) -> None:
    """The SQL reads the target schema's review through these views, whatever the schema; the year must
    have been scored into that schema first."""
    tables = {
        t
        for (t,) in con.sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $s AND table_catalog = current_database()",
            params={"s": schema},
        ).fetchall()
    }
    missing = [t for t in ("project_review", "review_measure", "review_milestone") if t not in tables]
    scored = (
        not missing
        and con.sql(
            f"SELECT count(*) FROM {schema}.review_year_state WHERE review_year = $y", params={"y": int(year)}
        ).fetchall()[0][0]
    )
    if not scored:
        raise AnalyticsError(
            f"review year {year} has not been scored into schema {schema!r}: score it first "
            f"(scorecard run, or the project_review asset), then run the analyses"
        )
    for view, table in (
        ("analytics_review", "project_review"),
        ("analytics_measure", "review_measure"),
        ("analytics_milestone", "review_milestone"),
    ):
        con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM {schema}.{table}")


def _write(con: duckdb.DuckDBPyConnection, year: int, schema: str, tables: dict[str, str]) -> None:
    with transaction(con):
        for table, source in tables.items():
            con.execute(f"DELETE FROM {schema}.{table} WHERE review_year = ?", [int(year)])
            con.execute(f"INSERT INTO {schema}.{table} BY NAME SELECT * FROM {source}")


def _params(year: int, rubric: Rubric, programme: Programme | None) -> dict[str, Any]:
    return {**review_params(year, rubric, programme), **rubric.analytics_params()}


def _counts(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, int]:
    return {str(k): v for k, v in con.sql(sql).fetchall()}


# ------------------------------------------------------------------------------------- run a year


def robustness_year(
    con: duckdb.DuckDBPyConnection, year: int, rubric: Rubric, schema: str = "mart", programme: Programme | None = None
) -> dict[str, Any]:
    """Re-score year ``year`` of ``{schema}.project_review`` under every scenario (§1) and write
    ``decision_sensitivity`` and ``decision_robustness``. Returns row counts and the fragile counts."""
    schema = identifier(schema)
    ensure_analytics(con, schema)
    _point_views(con, schema, year)
    n_scenarios = load_scenarios(con, rubric)
    params = _params(year, rubric, programme)
    for step in ROBUSTNESS_STEPS:
        run_sql(con, f"analytics/{step}", params)
    _write(con, year, schema, {"decision_sensitivity": "sensitivity_rows", "decision_robustness": "robustness_rows"})
    fragile = _counts(
        con,
        "SELECT recommendation, count(*) FROM robustness_rows WHERE fragile GROUP BY 1 ORDER BY 1",
    )
    return {
        "review_year": int(year),
        "schema": schema,
        "scenarios": n_scenarios,
        "sensitivity_rows": con.sql("SELECT count(*) FROM sensitivity_rows").fetchall()[0][0],
        "robustness_rows": con.sql("SELECT count(*) FROM robustness_rows").fetchall()[0][0],
        "fragile": fragile,
        "fragile_total": sum(fragile.values()),
    }


def signals_year(
    con: duckdb.DuckDBPyConnection, year: int, rubric: Rubric, schema: str = "mart", programme: Programme | None = None
) -> dict[str, Any]:
    """Find the six signals of year ``year`` (§2) and write ``{schema}.review_signal``."""
    schema = identifier(schema)
    ensure_analytics(con, schema)
    _point_views(con, schema, year)
    register_functions(con)
    params = _params(year, rubric, programme)
    for step in SIGNAL_STEPS:
        run_sql(con, f"analytics/{step}", params)
    _write(con, year, schema, {"review_signal": "signal_rows"})
    by_kind = _counts(con, "SELECT signal, count(*) FROM signal_rows GROUP BY 1 ORDER BY 1")
    return {
        "review_year": int(year),
        "schema": schema,
        "rows": sum(by_kind.values()),
        "signals": {code: by_kind.get(code, 0) for code in SIGNALS},
        "projects": con.sql("SELECT count(DISTINCT project_id) FROM signal_rows").fetchall()[0][0],
    }
