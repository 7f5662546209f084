"""The warehouse layer (group ``warehouse``): the star schema of docs/data-contract.md, built by the SQL files in
``sql/warehouse/`` from the raw tables. All tables are rebuilt together in one transaction, so the
star schema is never half old, half new. The assets and their dependencies come from the one table
registry, ``scorecard.warehouse.REGISTRY`` (each SQL file's ``-- asset:`` line and what it reads)."""

import time

import dagster as dg

from assets.metadata import markdown_table
from assets.raw import raw_key
from pipelines.resources import WRITER_POOL, Warehouse, ensure_schemas
from pipelines.sensors import LATEST_YEAR_KEY, LATEST_YEAR_SQL
from scorecard.db import count, transaction
from scorecard.warehouse import REGISTRY, WAREHOUSE_TABLES, WarehouseTable, build_table


def _deps(table: WarehouseTable) -> list:
    """The asset keys a table's SQL reads: ``raw/<dataset>`` for a raw table, else the table's own key."""
    return [raw_key(r.removeprefix("raw.")) if r.startswith("raw.") else r for r in table.reads]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            table.name,
            description=table.description,
            deps=_deps(table),
            group_name="warehouse",
            kinds={"duckdb"},
            owners=["team:data-engineering"],
        )
        for table in REGISTRY.values()
    ],
    pool=WRITER_POOL,
    can_subset=False,
)
def star_schema(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Rebuild every dimension and fact from the raw tables, in one transaction."""
    with warehouse.get_connection() as con:
        ensure_schemas(con)
        counts, seconds = {}, {}
        with transaction(con):
            for name in WAREHOUSE_TABLES:
                started = time.perf_counter()
                counts[name] = build_table(con, name)
                seconds[name] = time.perf_counter() - started
        latest_year = con.sql(LATEST_YEAR_SQL).fetchall()[0][0]
        for name in WAREHOUSE_TABLES:
            preview = con.sql(f"SELECT * FROM {name} LIMIT 5").pl()
            preview = preview.drop([c for c in preview.columns if c.startswith("_")])
            metadata = {
                "dagster/row_count": counts[name],
                "build_seconds": round(seconds[name], 3),
                "preview": markdown_table(preview, 5),
            }
            source = next(iter(REGISTRY[name].raw_reads), None)
            if source:  # rows of the raw table it is built from (the difference: rows of unknown projects)
                metadata["rows_in"] = count(con, f"raw.{source}")
            if name == "fact_progress" and latest_year is not None:  # the review chain sensor reads it
                metadata[LATEST_YEAR_KEY] = int(latest_year)
            yield dg.MaterializeResult(asset_key=name, metadata=metadata)
