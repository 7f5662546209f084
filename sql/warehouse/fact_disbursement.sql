-- asset: Payments 拨款记录, recoveries negative in signed_amount_wan
-- fact_disbursement: payments (拨款记录). `signed_amount_wan` is + for a disbursement and − for a
-- recovery, so net disbursed D = Σ signed_amount_wan (docs/data-contract.md; docs/scoring.md §2).
-- No ORDER BY (row order is not part of the contract: readers sort what they show) and a semi-join
-- where no project column is needed: at 100,000 projects the sort doubled the build (bench/README.md).
CREATE OR REPLACE TABLE fact_disbursement AS
SELECT
    d.payment_id,
    d.project_id,
    d.payment_date,
    d.amount_wan,
    d.kind,
    d.source,
    CASE d.kind WHEN 'recovery' THEN -d.amount_wan ELSE d.amount_wan END AS signed_amount_wan,
    year(d.payment_date) AS payment_year,
    d._source_file,
    d._source_row,
    d._file_sha256,
    d._loaded_at
FROM raw.disbursements AS d
SEMI JOIN dim_project AS p USING (project_id);
