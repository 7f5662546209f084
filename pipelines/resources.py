"""Dagster resources. Locations come from ``scorecard.settings`` (the SCORECARD_* environment
variables), read when the definitions load, so the UI and ``scorecard run`` agree."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from scorecard.settings import get_settings

# Every asset that writes the warehouse runs in this pool; dagster.yaml gives it one slot, because
# DuckDB allows one writer per file (STACK-NOTES.md).
WRITER_POOL = "duckdb_writer"


class Warehouse(DuckDBResource):
    """The DuckDB warehouse file (SCORECARD_WAREHOUSE), one connection per asset, schemas ensured."""

    @contextmanager
    def get_connection(self):  # type: ignore[override]
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        with super().get_connection() as con:
            yield con


class ScorecardPaths(dg.ConfigurableResource):
    """Where raw files are read, reports written, and which rubric is official."""

    raw_dir: str
    reports_dir: str
    rubric: str
    report_lang: str = "zh+en"

    @property
    def raw(self) -> Path:
        return Path(self.raw_dir)

    @property
    def reports(self) -> Path:
        return Path(self.reports_dir)


def default_resources() -> dict:
    s = get_settings()
    connection_config: dict = {}
    if s.duckdb_threads:
        connection_config["threads"] = s.duckdb_threads
    if s.duckdb_memory_limit:
        connection_config["memory_limit"] = s.duckdb_memory_limit
    return {
        "warehouse": Warehouse(database=str(s.warehouse), connection_config=connection_config),
        "paths": ScorecardPaths(
            raw_dir=str(s.raw_dir), reports_dir=str(s.reports_dir), rubric=str(s.rubric), report_lang=s.report_lang
        ),
    }


def ensure_schemas(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw and mart schemas and tables if this is a new warehouse file (idempotent)."""
    from scorecard.db import run_sql
    from scorecard.warehouse import create_raw_tables

    create_raw_tables(con)
    run_sql(con, "mart/schema.sql")
