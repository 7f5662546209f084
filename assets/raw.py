"""The raw layer: one ingest asset per docs/data-contract.md dataset (group ``raw``).

Each asset reads every file of its dataset from SCORECARD_RAW_DIR, normalises and checks the rows
against the dataset's contract (``scorecard.contracts``), and replaces ``raw.<dataset>`` and its
quarantine rows in one transaction. A file that cannot be used fails the asset, naming the file and
the problem, and leaves the warehouse as it was.
"""

import dagster as dg

from assets.feedback import quarantine_preview
from assets.metadata import counts_md, markdown_table
from pipelines.resources import WRITER_POOL, ScorecardPaths, Warehouse, ensure_schemas
from scorecard.contracts import DATASETS, Dataset


def raw_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", name])


def _ingest_asset(dataset: Dataset) -> dg.AssetsDefinition:
    key = raw_key(dataset.name)
    reconciled = dg.AssetCheckSpec(
        "rows_reconcile",
        asset=key,
        blocking=True,
        description="Per file: rows read = clean rows + quarantined rows (nothing is lost).",
    )

    @dg.asset(
        key=key,
        group_name="raw",
        kinds={"polars", "duckdb"},
        owners=["team:data-engineering"],
        deps=[raw_key("projects")] if dataset.references_projects else [],
        pool=WRITER_POOL,
        check_specs=[reconciled],
        description=(
            f"{dataset.zh} `{dataset.name}`: every file `{dataset.name}*.csv|xlsx|parquet` in the raw folder, "
            "normalised (encodings, Chinese headers and labels, date styles, full-width characters) and checked "
            "against docs/data-contract.md; bad rows go to `raw.quarantine` with file, row, column, value and reason."
        ),
    )
    def _ingest(context: dg.AssetExecutionContext, warehouse: Warehouse, paths: ScorecardPaths) -> dg.MaterializeResult:
        import polars as pl  # the ingest's libraries load when it runs, not with the definitions

        from scorecard.ingest import load_dataset

        with warehouse.get_connection() as con:
            ensure_schemas(con)
            summary = load_dataset(con, dataset, paths.raw, load_id=context.run_id[:12])
            table = con.sql(f"SELECT * EXCLUDE (_file_sha256, _loaded_at) FROM raw.{dataset.name} LIMIT 10").pl()
            quarantine = quarantine_preview(con, dataset.name)
        files = pl.DataFrame(summary["files"]) if summary["files"] else pl.DataFrame()
        ok = all(f["rows_read"] == f["rows_clean"] + f["rows_quarantined"] for f in summary["files"])
        if summary["unchanged"]:
            context.log.info(f"{dataset.name}: files unchanged since the last load; nothing rewritten")
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": summary["rows_clean"],
                "rows_read": summary["rows_read"],
                "rows_clean": summary["rows_clean"],
                "rows_quarantined": summary["rows_quarantined"],
                "unchanged": summary["unchanged"],
                "files": markdown_table(files.drop("sha256") if files.width else files, limit=50),
                "quarantine_reasons": counts_md(summary["quarantine_reasons"], ("reason", "rows")),
                "quarantine_preview": quarantine,
                "feedback_folder": dg.MetadataValue.path(str(paths.feedback)),
                "normalised_cells": counts_md(summary["normalised_cells"], ("column", "cells")),
                "preview": markdown_table(table),
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name="rows_reconcile",
                    passed=ok,
                    metadata={
                        "rows_read": summary["rows_read"],
                        "rows_clean": summary["rows_clean"],
                        "rows_quarantined": summary["rows_quarantined"],
                    },
                )
            ],
        )

    return _ingest


raw_assets = [_ingest_asset(d) for d in DATASETS.values()]
