"""Tiny warehouses for the scoring tests: raw rows from Python dicts (defaults for the columns a test
does not care about, dummy lineage), then the real ``build_warehouse`` SQL.

    con = warehouse(tmp_path)
    add(con, "projects", [project("P1", start="2018-01-01", end="2020-12-31")])
    add(con, "milestones", [ms("P1", "2018-06-30", done="2018-07-20")])
    build(con)
"""

from __future__ import annotations

import itertools
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from scorecard.contracts import DATASETS
from scorecard.db import connect
from scorecard.warehouse import build_warehouse, create_raw_tables

_ids = itertools.count(1)


def d(value: str | date | None) -> date | None:
    """'2018-06-30' -> date (None stays None)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def warehouse(tmp_path: Path, name: str = "scorecard.duckdb") -> duckdb.DuckDBPyConnection:
    """A new DuckDB file in tmp_path with the raw tables created."""
    con = connect(tmp_path / name)
    create_raw_tables(con)
    return con


def add(con: duckdb.DuckDBPyConnection, dataset: str, rows: list[dict[str, Any]]) -> None:
    """Insert rows into raw.<dataset>; every contract column must be in the dict (use the builders)."""
    columns = DATASETS[dataset].column_names
    lineage = ["_source_file", "_source_row", "_file_sha256", "_loaded_at"]
    sql = (
        f"INSERT INTO raw.{dataset} ({', '.join(columns + lineage)}) "
        f"VALUES ({', '.join('?' for _ in columns + lineage)})"
    )
    values = [
        [row[c] for c in columns] + [f"{dataset}.csv", i + 2, "0" * 64, datetime(2020, 1, 1)]
        for i, row in enumerate(rows)
    ]
    con.executemany(sql, values)


def build(con: duckdb.DuckDBPyConnection) -> None:
    build_warehouse(con)


# --- row builders: the columns that matter as arguments, the rest defaulted -------------------------


def project(
    project_id: str,
    start: str = "2018-01-01",
    end: str = "2020-12-31",
    approved: float = 1000.0,
    self_funding: float = 0.0,
    **kw: Any,
) -> dict[str, Any]:
    row = {
        "project_id": project_id,
        "project_name": f"项目 {project_id}",
        "field": "5g",
        "plan": "core_tech",
        "department": "stic",
        "undertaker": f"承担单位 {project_id}",
        "undertaker_type": "enterprise",
        "selection_method": "tender",
        "support_mode": "grant",
        "funding_stage": "ex_ante",
        "approval_year": d(start).year,
        "start_date": d(start),
        "end_date": d(end),
        "approved_funding_wan": approved,
        "self_funding_wan": self_funding,
        "project_manager": None,
    }
    row.update(kw)
    return row


def ms(
    project_id: str, planned: str, weight: float = 1.0, done: str | None = None, no: int | None = None
) -> dict[str, Any]:
    return {
        "project_id": project_id,
        "milestone_no": no if no is not None else next(_ids),
        "description": "节点",
        "planned_date": d(planned),
        "weight": weight,
        "completed_date": d(done),
    }


def pay(project_id: str, when: str, amount: float, kind: str = "disbursement", source: str = "city") -> dict[str, Any]:
    return {
        "payment_id": f"PAY{next(_ids)}",
        "project_id": project_id,
        "payment_date": d(when),
        "amount_wan": amount,
        "kind": kind,
        "source": source,
    }


def report(
    project_id: str,
    period: str,
    fiscal: float = 0.0,
    self_arrived: float = 0.0,
    total: float | None = None,
    submitted: str | None = None,
) -> dict[str, Any]:
    year, quarter = int(period[:4]), int(period[-1])
    default_submitted = date(year + (quarter == 4), 1 if quarter == 4 else quarter * 3 + 1, 15)
    return {
        "project_id": project_id,
        "period": period,
        "submitted_date": d(submitted) or default_submitted,
        "fiscal_spent_wan": fiscal,
        "self_arrived_wan": self_arrived,
        "total_spent_wan": fiscal if total is None else total,
        "risk_level": "low",
        "summary": None,
    }


def target(project_id: str, indicator: str, value: float, due: str | None = None) -> dict[str, Any]:
    return {"project_id": project_id, "indicator": indicator, "target_value": value, "due_date": d(due)}


def actual(
    project_id: str, indicator: str, period: str, value: float, evidence_ref: str | None = None
) -> dict[str, Any]:
    return {
        "project_id": project_id,
        "indicator": indicator,
        "period": period,
        "value": value,
        "evidence_ref": evidence_ref,
    }


def expert(project_id: str, year: int, score: float, veto: bool | None = False) -> dict[str, Any]:
    return {
        "project_id": project_id,
        "review_year": year,
        "expert_id": f"E{next(_ids)}",
        "score": score,
        "veto": veto,
        "comment": None,
    }


def experts(project_id: str, year: int, *scores: float) -> list[dict[str, Any]]:
    return [expert(project_id, year, s) for s in scores]


def merged(*parts: dict[str, list]) -> dict[str, list]:
    """The warehouse rows of several cases in one: each dataset's rows, part after part."""
    out: dict[str, list] = {}
    for part in parts:
        for key, rows in part.items():
            out.setdefault(key, []).extend(rows)
    return out


def decision(project_id: str, year: int, decided: str) -> dict[str, Any]:
    return {"project_id": project_id, "review_year": year, "decision": decided, "decided_date": None}


def fetch(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """Rows as dicts."""
    rel = con.sql(sql, params=params) if params else con.sql(sql)
    names = rel.columns
    return [dict(zip(names, row)) for row in rel.fetchall()]


def review_row(con: duckdb.DuckDBPyConnection, project_id: str, year: int, schema: str = "mart") -> dict[str, Any]:
    rows = fetch(
        con, f"SELECT * FROM {schema}.project_review WHERE project_id = ? AND review_year = ?", [project_id, year]
    )
    assert len(rows) == 1, f"expected one {schema}.project_review row for {project_id} {year}, got {len(rows)}"
    return rows[0]


def reasons(
    con: duckdb.DuckDBPyConnection, project_id: str, year: int, schema: str = "mart"
) -> dict[str, dict[str, Any]]:
    """rule_code -> reason row."""
    rows = fetch(
        con, f"SELECT * FROM {schema}.review_reason WHERE project_id = ? AND review_year = ?", [project_id, year]
    )
    return {r["rule_code"]: r for r in rows}


def scored(
    tmp_path: Path,
    years: tuple[int, ...] = (2018,),
    rubric: Any = None,
    first_review_year: int | None = None,
    **datasets: list[dict[str, Any]],
):
    """Build a warehouse from ``datasets`` (projects=[...], milestones=[...], ...), score ``years`` in
    order with ``rubric`` (default rubric-v1) into mart, and return the open connection.

    The programme's first review year is ``first_review_year`` (default: the first of ``years``), so a
    test of one year is not given a history it did not ask for; pass 2017 to get complete history.
    """
    from scorecard.programme import load_programme
    from scorecard.review import score_year
    from scorecard.rubric import load_rubric

    con = warehouse(tmp_path)
    for name, rows in datasets.items():
        add(con, name, rows)
    build(con)
    rubric = rubric or load_rubric()
    programme = load_programme().starting_reviews_in(first_review_year or min(years))
    for year in years:
        score_year(con, year, rubric, programme=programme)
    return con
