"""Hand-made marts for the programme-management tests (docs/programme-management.md §3–§7).

The analyses read only the review's marts and ``dim_project``, so a test writes those rows directly —
exactly the numbers its case needs — and runs the real SQL steps on them:

    con = marts(tmp_path)
    project(con, "P1", field="5g", approved=1000)
    review(con, "P1", 2019, grade="A", total=95, recommendation="rolling_support")
    rows = run(con, "adjustment", 2019)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb

from scorecard.db import connect
from scorecard.programme_management import STEPS, run_step
from scorecard.review import ensure_mart
from scorecard.rubric import load_rubric

RUBRIC = load_rubric()


def marts(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    """A new DuckDB file with the mart tables and a small dim_project."""
    con = connect(tmp_path / "pm.duckdb")
    ensure_mart(con)
    con.execute(
        """CREATE TABLE dim_project (project_id VARCHAR PRIMARY KEY, project_name VARCHAR, field VARCHAR, plan VARCHAR,
               department VARCHAR, undertaker VARCHAR, approval_year INTEGER, start_date DATE, end_date DATE,
               approved_funding_wan DECIMAL(18, 4), project_manager VARCHAR)"""
    )
    return con


def project(
    con,
    pid: str,
    field: str = "5g",
    plan: str = "core_tech",
    approved: float | str = 1000,
    approval_year: int = 2017,
    end: str = "2021-12-31",
    manager: str | None = "张三",
) -> None:
    con.execute(
        "INSERT INTO dim_project VALUES (?, ?, ?, ?, 'stic', '深圳某公司', ?, DATE '2017-01-01', ?, ?, ?)",
        [pid, f"项目{pid}", field, plan, approval_year, dt.date.fromisoformat(end), Decimal(str(approved)), manager],
    )


def _defaults(con, table: str) -> dict:
    """A value for every NOT NULL column of ``mart.<table>`` (0, '', false, a date)."""
    rows = con.sql(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'mart' AND table_name = ? "
        "AND is_nullable = 'NO'",
        params=[table],
    ).fetchall()
    out = {}
    for name, typ in rows:
        if typ.startswith(("INTEGER", "BIGINT", "DOUBLE", "DECIMAL")):
            out[name] = 0
        elif typ == "BOOLEAN":
            out[name] = False
        elif typ == "DATE":
            out[name] = dt.date(2019, 12, 31)
        else:
            out[name] = ""
    return out


def _insert(con, table: str, values: dict) -> None:
    row = {**_defaults(con, table), **values}
    cols = ", ".join(row)
    con.execute(f"INSERT INTO mart.{table} ({cols}) VALUES ({', '.join('?' for _ in row)})", list(row.values()))


def review(
    con,
    pid: str,
    year: int,
    grade: str = "B",
    total: float | str | None = 82,
    recommendation: str = "rolling_support",
    flags: str = "",
    warnings: int = 0,
    net_disbursed: float | str = 0,
    fiscal_spent: float | str = 0,
    clawback: float | str = 0,
    prev_decision: str | None = None,
    status: str = "active",
) -> None:
    """One reviewed project-year: a mart.project_review row and its mart.review_measure row."""
    as_of = dt.date(year, 12, 31)
    _insert(
        con,
        "project_review",
        {
            "project_id": pid,
            "review_year": year,
            "as_of_date": as_of,
            "status": status,
            "coverage": 1.0,
            "total_score": None if total is None else float(total),
            "grade": grade,
            "flags": flags,
            "recommendation": recommendation,
            "clawback_wan": Decimal(str(clawback)),
            "rubric_version": "v1",
            "rubric_sha256": RUBRIC.sha256,
        },
    )
    _insert(
        con,
        "review_measure",
        {
            "project_id": pid,
            "review_year": year,
            "as_of_date": as_of,
            "elapsed_days": 100,
            "total_days": 1000,
            "net_disbursed_wan": Decimal(str(net_disbursed)),
            "fiscal_spent_wan": Decimal(str(fiscal_spent)),
            "n_warning_flags": warnings,
            "prev_decision": prev_decision,
        },
    )


def milestone(con, pid: str, year: int, no: int, due: bool, done: bool) -> None:
    _insert(
        con,
        "review_milestone",
        {
            "project_id": pid,
            "review_year": year,
            "milestone_no": no,
            "planned_date": dt.date(year, 6, 30),
            "weight": Decimal(1),
            "weight_share": 0.5,
            "is_due": due,
            "is_done": done,
        },
    )


def run(con, step: str, year: int, rubric=RUBRIC) -> list[dict]:
    """Run one analysis and return its mart rows of ``year`` as dicts."""
    run_step(con, step, year, rubric)
    table = STEPS[step].table
    return con.sql(f"SELECT * FROM mart.{table} WHERE review_year = ?", params=[year]).pl().to_dicts()


def rubric_with(tmp_path: Path, extra: str):
    """The default rubric file with ``extra`` YAML appended (e.g. an adjustment: section override)."""
    text = RUBRIC.path.read_text(encoding="utf-8")
    head = text.split("\nadjustment:")[0]
    path = tmp_path / "rubric-test.yaml"
    path.write_text(head + "\n" + extra, encoding="utf-8")
    return path
