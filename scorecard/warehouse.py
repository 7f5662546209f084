"""The star schema (DATA.md "Warehouse"): raw tables typed from the contracts, code dimensions from
``scorecard.codes``, and the dimensions and facts of ``sql/warehouse/``."""

from __future__ import annotations

import duckdb
import polars as pl

from scorecard import codes
from scorecard.contracts import DATASETS, DUCKDB_TYPES, Dataset
from scorecard.db import run_sql

# Dimension and fact tables in build order (a table only reads tables before it).
CODE_DIMENSIONS = ("dim_field", "dim_plan", "dim_department", "dim_indicator")
SQL_TABLES = (
    "dim_project",
    "dim_undertaker",
    "dim_date",
    "fact_milestone",
    "fact_disbursement",
    "fact_progress",
    "fact_kpi_target",
    "fact_kpi",
    "fact_expert_review",
    "fact_review_decision",
)
WAREHOUSE_TABLES = CODE_DIMENSIONS + SQL_TABLES


def raw_table_ddl(dataset: Dataset) -> str:
    cols = [f"{c.name} {DUCKDB_TYPES[c.type]}" for c in dataset.columns]
    cols += ["_source_file VARCHAR", "_source_row INTEGER", "_file_sha256 VARCHAR", "_loaded_at TIMESTAMP"]
    return f"CREATE TABLE IF NOT EXISTS raw.{dataset.name} (\n    " + ",\n    ".join(cols) + "\n)"


def create_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ``raw`` schema, an empty table per dataset, and the quarantine and load log.

    A raw table whose column types differ from its contract (a warehouse written before money became
    DECIMAL) is dropped with its load state, so the next ingest reloads it with the contract's types.
    """
    run_sql(con, "raw/schema.sql")
    for dataset in DATASETS.values():
        if _stale_types(con, dataset):
            con.execute(f"DROP TABLE raw.{dataset.name}")
            con.execute("DELETE FROM raw.load_state WHERE dataset = ?", [dataset.name])
        con.execute(raw_table_ddl(dataset))


def _stale_types(con: duckdb.DuckDBPyConnection, dataset: Dataset) -> bool:
    found = dict(
        con.sql(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = $t",
            params={"t": dataset.name},
        ).fetchall()
    )
    want = {c.name: DUCKDB_TYPES[c.type].replace(" ", "") for c in dataset.columns}
    return bool(found) and any(found.get(name, "").replace(" ", "") != typ for name, typ in want.items())


def code_dimension(name: str) -> pl.DataFrame:
    if name == "dim_indicator":
        return pl.DataFrame(
            [(k, zh, en, kind, unit) for k, (zh, en, kind, unit) in codes.INDICATORS.items()],
            schema=["indicator", "name_zh", "name_en", "kind", "unit"],
            orient="row",
        )
    key, table = {
        "dim_field": ("field", codes.FIELDS),
        "dim_plan": ("plan", codes.PLANS),
        "dim_department": ("department", codes.ALL_DEPARTMENTS),
    }[name]
    return pl.DataFrame(
        [(k, zh, en) for k, (zh, en) in table.items()], schema=[key, "name_zh", "name_en"], orient="row"
    )


def build_table(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """(Re)build one dimension or fact table; returns its row count. The caller owns the transaction."""
    if name in CODE_DIMENSIONS:
        frame = code_dimension(name)  # noqa: F841 - read by DuckDB's replacement scan below
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM frame")
    else:
        run_sql(con, f"warehouse/{name}.sql")
    return con.sql(f"SELECT count(*) FROM {name}").fetchall()[0][0]


def build_warehouse(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Build every dimension and fact from the raw tables; returns row counts per table."""
    return {name: build_table(con, name) for name in WAREHOUSE_TABLES}
