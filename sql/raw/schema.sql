-- The raw layer: one typed table per dataset (created from the contracts in scorecard/contracts.py),
-- the quarantine of rows that broke a rule, and a log of every file load (docs/data-contract.md "Ingestion rules").
CREATE SCHEMA IF NOT EXISTS raw;

-- Rows that were read but not used: where they came from, which column, what value, and why.
-- Current state per dataset: replaced on each load of that dataset.
CREATE TABLE IF NOT EXISTS raw.quarantine (
    dataset VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    source_row INTEGER,
    column_name VARCHAR,
    value VARCHAR,
    reason_code VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    file_sha256 VARCHAR,
    load_id VARCHAR NOT NULL,
    loaded_at TIMESTAMP NOT NULL
);

-- One row per file per load, kept across runs: rows read = clean + quarantined.
CREATE TABLE IF NOT EXISTS raw.load_log (
    load_id VARCHAR NOT NULL,
    dataset VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    file_sha256 VARCHAR NOT NULL,
    file_bytes BIGINT NOT NULL,
    rows_read INTEGER NOT NULL,
    rows_clean INTEGER NOT NULL,
    rows_quarantined INTEGER NOT NULL,
    normalised_cells INTEGER NOT NULL,
    ignored_columns VARCHAR,
    loaded_at TIMESTAMP NOT NULL
);

-- Quarantine history: every load's quarantined rows, kept across runs for the yearly quality chapter.
CREATE TABLE IF NOT EXISTS raw.quarantine_history AS SELECT * FROM raw.quarantine WITH NO DATA;

-- What each dataset's current rows were loaded from (file names + hashes, and the projects' state for
-- facts); a load with the same fingerprint changes nothing and is skipped.
CREATE TABLE IF NOT EXISTS raw.load_state (
    dataset VARCHAR PRIMARY KEY,
    fingerprint VARCHAR NOT NULL,
    load_id VARCHAR NOT NULL,
    loaded_at TIMESTAMP NOT NULL
);

-- Each quarantined row as it was sent (JSON: column -> cell text), for the providers' feedback
-- workbooks (scorecard/feedback.py). Replaced with raw.quarantine, in the same transaction.
CREATE TABLE IF NOT EXISTS raw.quarantine_rows (
    dataset VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    source_row INTEGER,
    cells VARCHAR,
    load_id VARCHAR NOT NULL
);
