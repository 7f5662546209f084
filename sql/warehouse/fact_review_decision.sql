-- asset: Recorded review decisions 考核决定
-- fact_review_decision: what the departments actually decided (考核决定), per project and year.
-- Acts on later years only (docs/scoring.md §9).
-- No ORDER BY (row order is not part of the contract: readers sort what they show) and a semi-join
-- where no project column is needed: at 100,000 projects the sort doubled the build (bench/README.md).
CREATE OR REPLACE TABLE fact_review_decision AS
SELECT
    d.project_id,
    d.review_year,
    d.decision,
    d.decided_date,
    d._source_file,
    d._source_row,
    d._file_sha256,
    d._loaded_at
FROM raw.review_decisions AS d
SEMI JOIN dim_project AS p USING (project_id);
