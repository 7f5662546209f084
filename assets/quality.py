"""The quality layer (group ``quality``): the quality ledger and the tables of the report's
"数据质量 Data quality" chapter.

``data_quality`` is the ledger ``mart.data_quality`` as an asset: the asset checks of
``assets/checks.py`` append one row per expectation to it (the checks' only write), so it stands
downstream of every asset they check; materializing it reads the ledger and reports it.
``data_quality_summary`` reads that ledger, the load log and the quarantine, and rewrites each review
year of ``mart.data_quality_summary`` and ``mart.quarantine_summary`` (DDL: ``sql/quality/schema.sql``).
"""

from typing import TYPE_CHECKING

import dagster as dg

from assets.metadata import markdown_table
from assets.raw import raw_key
from assets.yearly import yearly_asset
from pipelines.partitions import years_of
from pipelines.resources import Warehouse, ensure_schemas
from scorecard.contracts import DATASETS
from scorecard.quality.suites import all_suites

if TYPE_CHECKING:  # polars is imported when an asset runs, not when the definitions load
    import polars as pl

# every asset the checks record in the ledger, in suite order
CHECKED_ASSETS = list(dict.fromkeys(dg.AssetKey(list(s.asset)) for s in all_suites().values()))
RAW_ASSETS = [raw_key(name) for name in DATASETS]  # they write raw.load_log, raw.load_state, raw.quarantine

LEDGER_SQL = """
SELECT dataset, count(*) AS expectations, count(*) FILTER (WHERE NOT success) AS failed, max(checked_at) AS checked_at
FROM mart.data_quality
WHERE dataset NOT LIKE '%@%' OR dataset LIKE '%@' || CAST($year AS VARCHAR)
GROUP BY dataset ORDER BY dataset
"""


@dg.asset(
    deps=CHECKED_ASSETS,
    **yearly_asset("quality", "team:data-engineering"),
    description="mart.data_quality: the quality ledger, one row per expectation per check run, kept across runs; "
    "appended by the asset checks of every asset upstream of it (raw datasets, star schema, review marts). "
    "Materializing it only reads the ledger: rows recorded per dataset for the review year.",
)
def data_quality(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    import polars as pl

    from scorecard.quality.ledger import ensure_quality_tables

    years = years_of(context)
    with warehouse.get_connection() as con:
        ensure_schemas(con)
        ensure_quality_tables(con)
        ledger = pl.concat(
            [con.sql(LEDGER_SQL, params={"year": y}).pl().with_columns(pl.lit(y).alias("review_year")) for y in years]
        )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": int(ledger["expectations"].sum()) if ledger.height else 0,
            "review_years": ", ".join(map(str, years)),
            "datasets": markdown_table(ledger.select("review_year", "dataset", "expectations", "failed"), limit=80),
        }
    )


@dg.asset(
    deps=["data_quality", *RAW_ASSETS],
    **yearly_asset("quality", "team:data-engineering"),
    description="mart.data_quality_summary (per dataset: expectations run / passed / failed, WARN and ERROR failures, "
    "rows read and quarantined) and mart.quarantine_summary (quarantined rows per dataset and reason) for the "
    "review year — the report's 数据质量 Data quality chapter. Reads the ledger mart.data_quality of the checks "
    "and the raw datasets' load log and quarantine.",
)
def data_quality_summary(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    import polars as pl

    from scorecard.quality.ledger import summarize_quality

    years = years_of(context)
    per_year = []
    with warehouse.get_connection() as con:
        ensure_schemas(con)
        for year in years:
            per_year.append(summarize_quality(con, year))
    summary = pl.concat([out["data_quality_summary"] for out in per_year], how="diagonal_relaxed")
    quarantine = pl.concat([out["quarantine_summary"] for out in per_year], how="diagonal_relaxed")
    return dg.MaterializeResult(metadata=_summary_metadata(years, summary, quarantine))


def _summary_metadata(years: list[int], summary: "pl.DataFrame", quarantine: "pl.DataFrame") -> dict:
    """Every review year of the run, not only the last: totals over the years, tables per year."""

    def total(frame: "pl.DataFrame", column: str) -> int:
        return int(frame[column].sum()) if frame.height else 0

    return {
        "dagster/row_count": summary.height,
        "review_years": ", ".join(map(str, years)),
        "expectations_run": total(summary, "expectations_run"),
        "expectations_failed": total(summary, "failed"),
        "error_failed": total(summary, "error_failed"),
        "warn_failed": total(summary, "warn_failed"),
        "rows_quarantined": total(quarantine, "rows"),
        "summary": markdown_table(summary.drop("checked_at"), limit=40 * len(years)),
        "quarantine": markdown_table(quarantine, limit=40 * len(years)),
    }


quality_assets = [data_quality, data_quality_summary]
