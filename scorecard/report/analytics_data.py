"""The report's reads of the two analyses beyond the rubric (docs/analytics.md): decision robustness (§1) and
signals for follow-up (§2). Marts only (``mart.decision_robustness``, ``mart.review_signal``), with the
project names of ``dim_project``; the chapters, the XLSX sheets and the dashboards all read these frames."""

from __future__ import annotations

import duckdb
import polars as pl

from scorecard import codes

RECOMMENDATION_ORDER = list(codes.RECOMMENDATIONS)
SIGNAL_ORDER = list(codes.SIGNALS)


def _q(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> pl.DataFrame:
    return con.sql(sql, params=params).pl()


def has_tables(con: duckdb.DuckDBPyConnection) -> bool:
    found = {
        t
        for (t,) in con.sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'mart' AND table_catalog = current_database()"
        ).fetchall()
    }
    return {"decision_robustness", "review_signal"} <= found


def robustness_by_recommendation(con: duckdb.DuckDBPyConnection, year: int) -> pl.DataFrame:
    """Per recommendation (in the order of docs/scoring.md §6): decisions, robust, fragile, share fragile."""
    frame = _q(
        con,
        """
        SELECT recommendation, count(*) AS decisions, count(*) FILTER (WHERE NOT fragile) AS robust,
               count(*) FILTER (WHERE fragile) AS fragile, count(*) FILTER (WHERE fragile) / count(*) AS fragile_share
        FROM mart.decision_robustness WHERE review_year = ? GROUP BY recommendation""",
        [year],
    )
    order = {r: i for i, r in enumerate(RECOMMENDATION_ORDER)}
    return frame.sort(pl.col("recommendation").replace_strict(order, default=99))


def fragile_decisions(
    con: duckdb.DuckDBPyConnection, year: int, recommendations: tuple[str, ...] | None = None
) -> pl.DataFrame:
    """The fragile decisions (of the given recommendations), by name: what each flips to, and how narrowly —
    terminations first, then the one nearest its band boundary."""
    recs = list(recommendations or RECOMMENDATION_ORDER)
    return _q(
        con,
        """
        SELECT d.project_id, p.project_name, p.field, p.undertaker, d.recommendation, d.grade, d.total_score,
               d.margin_points, d.oat_flips, d.random_share_kept, d.flip_to
        FROM mart.decision_robustness AS d
        JOIN dim_project AS p USING (project_id)
        WHERE d.review_year = ? AND d.fragile AND list_contains(?, d.recommendation)
        ORDER BY list_position(?, d.recommendation), abs(d.margin_points) NULLS LAST, d.project_id""",
        [year, recs, recs],
    )


def robustness_rows(con: duckdb.DuckDBPyConnection, year: int) -> pl.DataFrame:
    """Every decision of the year with its robustness (the XLSX sheet, the dashboards)."""
    return _q(
        con,
        """
        SELECT d.project_id, p.project_name, d.recommendation, d.grade, d.total_score, d.margin_points, d.oat_flips,
               d.random_share_kept, d.flip_to, d.fragile
        FROM mart.decision_robustness AS d
        JOIN dim_project AS p USING (project_id)
        WHERE d.review_year = ?
        ORDER BY d.project_id""",
        [year],
    )


def signals_by_kind(con: duckdb.DuckDBPyConnection, year: int) -> pl.DataFrame:
    """Every signal kind of docs/analytics.md §2 (also those that did not fire): rows and projects."""
    found = _q(
        con,
        """
        SELECT signal, count(*) AS signals, count(DISTINCT project_id) AS projects
        FROM mart.review_signal WHERE review_year = ? GROUP BY signal""",
        [year],
    )
    counts = {r["signal"]: r for r in found.to_dicts()}
    return pl.DataFrame(
        [
            {
                "signal": s,
                "signal_zh": codes.SIGNALS[s][0],
                "signals": counts.get(s, {}).get("signals", 0),
                "projects": counts.get(s, {}).get("projects", 0),
            }
            for s in SIGNAL_ORDER
        ],
        schema={"signal": pl.String, "signal_zh": pl.String, "signals": pl.Int64, "projects": pl.Int64},
    )


def signal_list(con: duckdb.DuckDBPyConnection, year: int) -> pl.DataFrame:
    """Every signal of the year, by kind (in the order of §2), then project."""
    frame = _q(
        con,
        """
        SELECT s.signal, s.project_id, p.project_name, s.text_zh, s.text_en, s.evidence
        FROM mart.review_signal AS s
        JOIN dim_project AS p USING (project_id)
        WHERE s.review_year = ?
        ORDER BY list_position(?, s.signal), s.project_id, s.evidence""",
        [year, SIGNAL_ORDER],
    )
    return frame


def project_signals(con: duckdb.DuckDBPyConnection, year: int) -> pl.DataFrame:
    """Per project of the year: the signal kinds it has (comma-separated codes) and how many rows."""
    return _q(
        con,
        """
        SELECT project_id, string_agg(DISTINCT signal, ',' ORDER BY signal) AS signal_kinds, count(*) AS signals
        FROM mart.review_signal WHERE review_year = ? GROUP BY project_id""",
        [year],
    )
