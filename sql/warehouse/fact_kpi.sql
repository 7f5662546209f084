-- fact_kpi: cumulative KPI actuals (绩效完成) per project, indicator and quarter; `period_end` as in
-- fact_progress (SCORING.md §1 "the value at A").
CREATE OR REPLACE TABLE fact_kpi AS
SELECT
    a.project_id,
    a.indicator,
    a.period,
    last_day(make_date(CAST(left(a.period, 4) AS INTEGER), CAST(right(a.period, 1) AS INTEGER) * 3, 1)) AS period_end,
    a.value,
    a._source_file,
    a._source_row,
    a._file_sha256,
    a._loaded_at
FROM raw.kpi_actuals AS a
JOIN dim_project AS p USING (project_id)
ORDER BY a.project_id, a.indicator, a.period;
