"""The review's own consistency check (issue 3 item 6), run by the project_review asset check."""

from __future__ import annotations

import duckdb

from scorecard.db import identifier, load_sql
from scorecard.review import as_of_date


def check_year(con: duckdb.DuckDBPyConnection, year: int, schema: str = "mart") -> dict:
    """Counts of due / scored / missing / unexpected / duplicated / out-of-range rows, and ``passed``."""
    # The table name cannot be bound as a parameter; the schema is checked by identifier().
    sql = load_sql("checks/review_complete.sql").replace(
        "$schema_project_review", f"{identifier(schema)}.project_review"
    )
    sql = "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))
    rel = con.sql(sql, params={"review_year": year, "as_of": as_of_date(year)})
    row = dict(zip(rel.columns, rel.fetchall()[0]))
    row["passed"] = (
        row["missing"] == 0 and row["unexpected"] == 0 and row["duplicated"] == 0 and row["out_of_range"] == 0
    )
    return {f"{year}_{k}" if k != "passed" else k: v for k, v in row.items()}
