-- The report's "数据质量 Data quality" chapter (issue 4), written per review year by the asset
-- data_quality_summary (delete-then-insert per year) from the ledger mart.data_quality (mart/schema.sql),
-- raw.load_log and raw.quarantine.
CREATE SCHEMA IF NOT EXISTS mart;

-- One row per validated dataset (raw.<dataset>, dim_/fact_ tables, mart tables): its latest check run.
CREATE TABLE IF NOT EXISTS mart.data_quality_summary (
    review_year INTEGER NOT NULL,
    dataset VARCHAR NOT NULL,                -- raw.projects, fact_progress, mart.project_review, ...
    expectations_run INTEGER NOT NULL,
    passed INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    warn_failed INTEGER NOT NULL,            -- soft rules (WARN): recorded, the run goes on
    error_failed INTEGER NOT NULL,           -- contract / structure (ERROR): blocks the scoring
    rows_read BIGINT,                        -- raw: rows read from the files of the current load; else the table rows validated
    rows_quarantined BIGINT,                 -- raw: rows quarantined by the current load; else NULL
    checked_at TIMESTAMP,                    -- when the dataset was last checked
    PRIMARY KEY (review_year, dataset)
);

-- Quarantined rows of the current load per dataset and reason (raw.quarantine).
CREATE TABLE IF NOT EXISTS mart.quarantine_summary (
    review_year INTEGER NOT NULL,
    dataset VARCHAR NOT NULL,                -- raw.<dataset> (the names of mart.data_quality_summary)
    reason_code VARCHAR NOT NULL,
    rows BIGINT NOT NULL,
    PRIMARY KEY (review_year, dataset, reason_code)
);
