"""DuckDB helpers: one loader for the SQL files in ``sql/`` (docs/architecture.md principle 3) and one
way to run a block of work in a single transaction (principle 5)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from scorecard.settings import SQL_DIR

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@cache
def load_sql(name: str) -> str:
    """Text of ``sql/<name>`` (``name`` like ``"warehouse/dim_project.sql"``)."""
    return (SQL_DIR / name).read_text(encoding="utf-8")


def sql_files(layer: str) -> list[Path]:
    """The SQL files of one layer (``warehouse``, ``review``, ``summary``), in name order."""
    return sorted((SQL_DIR / layer).glob("*.sql"))


def run_sql(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None) -> None:
    """Run every statement of ``sql/<name>``; ``$name`` placeholders are bound from ``params``.

    Parameters are bound by DuckDB, never pasted into the text (principle 3). A statement only gets
    the parameters it mentions.
    """
    for statement in split_statements(load_sql(name)):
        used = {k: v for k, v in (params or {}).items() if re.search(rf"\${k}\b", statement)}
        con.execute(statement, used or None)


def split_statements(text: str) -> list[str]:
    """Split a SQL file on the semicolons that end a line (our files keep one statement per block)."""
    body = "\n".join(line for line in text.splitlines() if not line.strip().startswith("--"))
    return [s.strip() for s in re.split(r";\s*(?:\n|$)", body) if s.strip()]


def identifier(name: str) -> str:
    """Check a schema or table name that has to be written into SQL text (it cannot be bound)."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a safe SQL identifier: {name!r} (use lower-case letters, digits and _)")
    return name


def table_columns(
    con: duckdb.DuckDBPyConnection, schema: str, tables: Iterable[str] | None = None
) -> dict[str, list[tuple[str, str]]]:
    """(column, DuckDB type) of each table of ``schema`` (only ``tables`` if given), in column order.
    Read from ``duckdb_columns()``: the rows ``information_schema.columns`` gives, in a tenth of the
    time, which counts because every asset checks its tables' columns."""
    rows = con.sql(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE schema_name = $s AND database_name = current_database() "
        "AND ($t IS NULL OR list_contains($t, table_name)) ORDER BY table_name, column_index",
        params={"s": schema, "t": None if tables is None else list(tables)},
    ).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        out.setdefault(table, []).append((column, data_type))
    return out


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: commit when the block ends, roll back when it raises."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    else:
        con.execute("COMMIT")


def connect(
    path: Path | str, *, read_only: bool = False, threads: int | None = None, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file (creating its folder), with the settings' threads / memory limit."""
    config: dict[str, Any] = {}
    if threads:
        config["threads"] = threads
    if memory_limit:
        config["memory_limit"] = memory_limit
    if not read_only:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path), read_only=read_only, config=config)


def count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.sql(f"SELECT count(*) FROM {table}").fetchall()[0][0]
