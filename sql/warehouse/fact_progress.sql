-- asset: Quarterly progress reports 进度报告 (cumulative) with period_end
-- fact_progress: quarterly progress reports (进度报告), values cumulative. `period_end` is the last
-- day of the report's quarter: "the value at A" is the latest period with period_end <= A
-- (docs/scoring.md §1, §9: the period decides, not submitted_date).
-- No ORDER BY (row order is not part of the contract: readers sort what they show) and a semi-join
-- where no project column is needed: at 100,000 projects the sort doubled the build (bench/README.md).
CREATE OR REPLACE TABLE fact_progress AS
SELECT
    r.project_id,
    r.period,
    CAST(left(r.period, 4) AS INTEGER) AS period_year,
    CAST(right(r.period, 1) AS INTEGER) AS period_quarter,
    last_day(make_date(CAST(left(r.period, 4) AS INTEGER), CAST(right(r.period, 1) AS INTEGER) * 3, 1)) AS period_end,
    r.submitted_date,
    r.fiscal_spent_wan,
    r.self_arrived_wan,
    r.total_spent_wan,
    r.risk_level,
    r.summary,
    r._source_file,
    r._source_row,
    r._file_sha256,
    r._loaded_at
FROM raw.progress_reports AS r
SEMI JOIN dim_project AS p USING (project_id);
