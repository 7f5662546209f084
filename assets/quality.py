"""The quality layer (group ``quality``): the tables of the report's "数据质量 Data quality" chapter.

``data_quality_summary`` reads the quality ledger ``mart.data_quality`` (written by the asset checks
of ``assets/checks.py``), the load log and the quarantine, and rewrites the review year of
``mart.data_quality_summary`` and ``mart.quarantine_summary`` (DDL: ``sql/quality/schema.sql``).
"""


import dagster as dg

from assets.metadata import markdown_table
from pipelines.partitions import review_years, years_of
from pipelines.resources import WRITER_POOL, Warehouse, ensure_schemas


@dg.asset(
    deps=["project_review", "program_summary"],
    partitions_def=review_years,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="quality",
    kinds={"duckdb"},
    owners=["team:data-engineering"],
    pool=WRITER_POOL,
    description="mart.data_quality_summary (per dataset: expectations run / passed / failed, WARN and ERROR failures, "
    "rows read and quarantined) and mart.quarantine_summary (quarantined rows per dataset and reason) for the "
    "review year — the report's 数据质量 Data quality chapter. Reads the ledger mart.data_quality of the checks.",
)
def data_quality_summary(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    from scorecard.quality.ledger import summarize_quality

    years = years_of(context)
    out = {}
    with warehouse.get_connection() as con:
        ensure_schemas(con)
        for year in years:
            out = summarize_quality(con, year)
    summary, quarantine = out["data_quality_summary"], out["quarantine_summary"]
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": summary.height,
            "review_years": ", ".join(map(str, years)),
            "expectations_run": int(summary["expectations_run"].sum()) if summary.height else 0,
            "expectations_failed": int(summary["failed"].sum()) if summary.height else 0,
            "error_failed": int(summary["error_failed"].sum()) if summary.height else 0,
            "warn_failed": int(summary["warn_failed"].sum()) if summary.height else 0,
            "rows_quarantined": int(quarantine["rows"].sum()) if quarantine.height else 0,
            "summary": markdown_table(summary.drop("review_year", "checked_at"), limit=40),
            "quarantine": markdown_table(quarantine.drop("review_year"), limit=40),
        }
    )


quality_assets = [data_quality_summary]
