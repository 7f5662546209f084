-- asset: KPI targets 绩效目标, due_date defaulted to end_date
-- fact_kpi_target: contract performance targets (绩效目标). due_date defaults to the project's
-- end_date (docs/data-contract.md).
-- No ORDER BY (row order is not part of the contract: readers sort what they show): at 100,000
-- projects the sort doubled the warehouse build (bench/README.md).
CREATE OR REPLACE TABLE fact_kpi_target AS
SELECT
    t.project_id,
    t.indicator,
    i.kind,
    t.target_value,
    coalesce(t.due_date, p.end_date) AS due_date,
    t.due_date IS NULL AS due_date_defaulted,
    t._source_file,
    t._source_row,
    t._file_sha256,
    t._loaded_at
FROM raw.kpi_targets AS t
JOIN dim_project AS p USING (project_id)
JOIN dim_indicator AS i USING (indicator);
