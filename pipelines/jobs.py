"""Jobs select assets by group, so a new asset joins the right job by its group."""

import dagster as dg

from pipelines.partitions import review_years

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.groups("raw", "warehouse"),
    description="Raw files → raw tables and quarantine → star schema (unpartitioned).",
)

annual_review_job = dg.define_asset_job(
    "annual_review_job",
    selection=dg.AssetSelection.groups("review", "quality", "report", "programme_management"),
    partitions_def=review_years,
    description="One review year: scores, reasons, programme summary, decision robustness and signals, data quality, "
    "programme management (follow-through, adjustment, budget what-if, overall evaluation, managers), report and dashboards.",
)

full_refresh_job = dg.define_asset_job(
    "full_refresh_job",
    selection=dg.AssetSelection.all(),
    partitions_def=review_years,
    description="Everything for one review year: ingest, warehouse, review, quality, report.",
)

jobs = [ingest_job, annual_review_job, full_refresh_job]
