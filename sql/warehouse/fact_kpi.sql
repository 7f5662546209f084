-- asset: KPI actuals 绩效完成 (cumulative) per quarter
-- fact_kpi: cumulative KPI actuals (绩效完成) per project, indicator and quarter; `period_end` as in
-- fact_progress (docs/scoring.md §1 "the value at A").
-- No ORDER BY (row order is not part of the contract: readers sort what they show) and a semi-join
-- where no project column is needed: at 100,000 projects the sort doubled the build (bench/README.md).
CREATE OR REPLACE TABLE fact_kpi AS
SELECT
    a.project_id,
    a.indicator,
    a.period,
    last_day(make_date(CAST(left(a.period, 4) AS INTEGER), CAST(right(a.period, 1) AS INTEGER) * 3, 1)) AS period_end,
    a.value,
    a.evidence_ref,
    a._source_file,
    a._source_row,
    a._file_sha256,
    a._loaded_at
FROM raw.kpi_actuals AS a
SEMI JOIN dim_project AS p USING (project_id);
