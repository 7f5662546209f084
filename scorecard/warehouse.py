"""The star schema (docs/data-contract.md "Warehouse"): raw tables typed from the contracts, code dimensions from
``scorecard.codes``, and the dimensions and facts of ``sql/warehouse/``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from scorecard import codes
from scorecard.contracts import DATASETS, DUCKDB_TYPES, Dataset
from scorecard.db import run_sql, sql_files, table_columns

if TYPE_CHECKING:
    import polars as pl

# The code dimensions are built from ``scorecard.codes`` (no SQL file, no input table).
CODE_DIMENSIONS = {
    "dim_field": "Fields 领域 (docs/programme.md)",
    "dim_plan": "Support plans 专项扶持计划 (docs/programme.md)",
    "dim_department": "Departments 主管单位 (docs/programme.md)",
    "dim_indicator": "KPI indicators 指标, output or outcome (docs/data-contract.md)",
}
_ASSET_LINE = re.compile(r"^--\s*asset:\s*(.+?)\s*$", re.MULTILINE)
_READ = re.compile(r"\b(?:FROM|JOIN)\s+([A-Za-z_][A-Za-z0-9_.]*)\b(?!\s*\()", re.IGNORECASE)


@dataclass(frozen=True)
class WarehouseTable:
    """One dimension or fact of the star schema: what it is and what it reads.

    ``reads`` holds raw datasets as ``raw.<dataset>`` and other warehouse tables by name, as the
    table's SQL file reads them (parsed from its ``FROM``/``JOIN`` clauses, never listed by hand).
    """

    name: str
    description: str
    reads: tuple[str, ...] = ()
    sql: str | None = None  # "warehouse/<name>.sql"; None for a code dimension

    @property
    def raw_reads(self) -> tuple[str, ...]:
        """The raw datasets the table reads (``projects``, ``milestones``, ...)."""
        return tuple(r.removeprefix("raw.") for r in self.reads if r.startswith("raw."))


def sql_reads(text: str, known: set[str]) -> tuple[str, ...]:
    """The tables a SQL text reads, in order of first mention: ``raw.<dataset>`` for a contract
    dataset and the warehouse tables in ``known``; CTE names and table functions are ignored."""
    body = "\n".join(line.split("--", 1)[0] for line in text.splitlines())
    found: list[str] = []
    for name in _READ.findall(body):
        name = name.lower()
        raw = name.startswith("raw.") and name.removeprefix("raw.") in DATASETS
        if (raw or name in known) and name not in found:
            found.append(name)
    return tuple(found)


def _sql_table(path: Path, known: set[str]) -> WarehouseTable:
    text = path.read_text(encoding="utf-8")
    described = _ASSET_LINE.search(text)
    if not described:
        raise ValueError(f"{path}: no '-- asset: <description>' header line")
    return WarehouseTable(path.stem, described.group(1), sql_reads(text, known), f"warehouse/{path.name}")


def _build_order(tables: dict[str, WarehouseTable]) -> dict[str, WarehouseTable]:
    """Tables in build order: a table only after every warehouse table it reads (ties: registry order)."""
    ordered: dict[str, WarehouseTable] = {}
    while len(ordered) < len(tables):
        ready = [
            t
            for t in tables.values()
            if t.name not in ordered and all(r in ordered for r in t.reads if not r.startswith("raw."))
        ]
        if not ready:
            left = sorted(set(tables) - set(ordered))
            raise ValueError(f"sql/warehouse: the tables {left} read each other in a cycle")
        ordered[ready[0].name] = ready[0]
    return ordered


def load_registry() -> dict[str, WarehouseTable]:
    """Every dimension and fact, from ``CODE_DIMENSIONS`` and the files of ``sql/warehouse/``."""
    files = sql_files("warehouse")
    known = set(CODE_DIMENSIONS) | {f.stem for f in files}
    tables = {name: WarehouseTable(name, description) for name, description in CODE_DIMENSIONS.items()}
    tables.update({f.stem: _sql_table(f, known) for f in files})
    return _build_order(tables)


def tables_read_by(layer: str) -> list[str]:
    """The warehouse tables the SQL files of one layer (``review``, ``summary``) read, in build order."""
    read = {name for f in sql_files(layer) for name in sql_reads(f.read_text(encoding="utf-8"), set(REGISTRY))}
    return [name for name in REGISTRY if name in read]


# The one table registry: the warehouse assets, their dependencies and the build order derive from it.
REGISTRY = load_registry()
WAREHOUSE_TABLES = tuple(REGISTRY)


def raw_table_ddl(dataset: Dataset) -> str:
    cols = [f"{c.name} {DUCKDB_TYPES[c.type]}" for c in dataset.columns]
    cols += ["_source_file VARCHAR", "_source_row INTEGER", "_file_sha256 VARCHAR", "_loaded_at TIMESTAMP"]
    return f"CREATE TABLE IF NOT EXISTS raw.{dataset.name} (\n    " + ",\n    ".join(cols) + "\n)"


def create_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ``raw`` schema, an empty table per dataset, and the quarantine and load log.

    A raw table whose column types differ from its contract (a warehouse written before money became
    DECIMAL) is dropped with its load state, so the next ingest reloads it with the contract's types.
    Every asset calls this (through ``ensure_schemas``), so the types are read in one catalog query.
    """
    run_sql(con, "raw/schema.sql")
    found = table_columns(con, "raw")
    for dataset in DATASETS.values():
        if _stale_types(dict(found.get(dataset.name, [])), dataset):
            con.execute(f"DROP TABLE raw.{dataset.name}")
            con.execute("DELETE FROM raw.load_state WHERE dataset = ?", [dataset.name])
        con.execute(raw_table_ddl(dataset))


def _stale_types(found: dict[str, str], dataset: Dataset) -> bool:
    want = {c.name: DUCKDB_TYPES[c.type].replace(" ", "") for c in dataset.columns}
    return bool(found) and any(found.get(name, "").replace(" ", "") != typ for name, typ in want.items())


def code_dimension(name: str) -> pl.DataFrame:
    import polars as pl

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
        run_sql(con, REGISTRY[name].sql)
    return con.sql(f"SELECT count(*) FROM {name}").fetchall()[0][0]


def build_warehouse(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Build every dimension and fact from the raw tables; returns row counts per table."""
    return {name: build_table(con, name) for name in WAREHOUSE_TABLES}
