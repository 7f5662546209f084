"""The providers' feedback (数据报送): the quarantined rows shown on each ingest asset, and the asset
``feedback_workbooks`` that writes one XLSX per undertaker with its rows to fix after every ingest
(``scorecard.feedback``; folder: SCORECARD_FEEDBACK_DIR, default ``feedback`` beside the reports)."""

import dagster as dg
import duckdb

from assets.metadata import markdown_table
from pipelines.resources import WRITER_POOL, ScorecardPaths, Warehouse, ensure_schemas
from scorecard.contracts import DATASETS
from scorecard.reasons import explain

PREVIEW_ROWS = 20


def quarantine_preview(con: duckdb.DuckDBPyConnection, dataset: str) -> dg.MarkdownMetadataValue:
    """The first 20 quarantined rows of a dataset: file, row, column, value, reason in Chinese and English."""
    import polars as pl

    rows = con.sql(
        "SELECT source_file, source_row, column_name, value, reason_code, reason FROM raw.quarantine "
        f"WHERE dataset = $d ORDER BY source_file, source_row LIMIT {PREVIEW_ROWS}",
        params={"d": dataset},
    ).pl()
    total = con.sql("SELECT count(*) FROM raw.quarantine WHERE dataset = $d", params={"d": dataset}).fetchall()[0][0]
    contract = DATASETS[dataset]
    zh = [explain(contract, code, column)[0] for code, column in zip(rows["reason_code"], rows["column_name"])]
    table = rows.with_columns(原因=pl.Series(zh, dtype=pl.String)).select(
        file="source_file", row="source_row", column="column_name", value="value", 原因="原因", reason="reason"
    )
    text = markdown_table(table, limit=PREVIEW_ROWS).md_str
    if total > rows.height:
        text += f"\n\n_first {rows.height} of {total:,} quarantined rows; all of them: the feedback workbooks_"
    return dg.MetadataValue.md(text)


@dg.asset(
    key="feedback_workbooks",
    group_name="raw",
    kinds={"excel", "duckdb"},
    owners=["team:data-engineering"],
    deps=[dg.AssetKey(["raw", name]) for name in DATASETS],
    pool=WRITER_POOL,
    description=(
        "数据报送反馈: one XLSX per undertaker (承担单位) with its quarantined rows — the row as sent, the column "
        "and value at fault, the reason and how to fix it in Chinese, the original file and row — and an index "
        "workbook, written from raw.quarantine after every ingest (the folder replaces its previous workbooks)."
    ),
)
def feedback_workbooks(
    context: dg.AssetExecutionContext, warehouse: Warehouse, paths: ScorecardPaths
) -> dg.MaterializeResult:
    import polars as pl

    from scorecard.feedback import ledger_from_warehouse, write_feedback

    with warehouse.get_connection() as con:
        ensure_schemas(con)
        ledger, projects = ledger_from_warehouse(con)
    result = write_feedback(ledger, projects, paths.feedback, by="undertaker")
    context.log.info(f"{len(result.units)} feedback workbooks, {result.rows} rows → {paths.feedback}")
    units = pl.DataFrame(
        {
            "unit": [u.unit for u in result.units],
            "file": [u.path.name for u in result.units],
            "rows": [u.rows for u in result.units],
        },
        schema={"unit": pl.String, "file": pl.String, "rows": pl.Int64},
    )
    return dg.MaterializeResult(
        metadata={
            "feedback_folder": dg.MetadataValue.path(str(paths.feedback)),
            "index": dg.MetadataValue.path(str(result.index)),
            "workbooks": len(result.units),
            "rows_to_fix": result.rows,
            "units": markdown_table(units, limit=50),
        }
    )


feedback_assets = [feedback_workbooks]
