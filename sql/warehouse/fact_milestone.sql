-- asset: Contract milestones 合同节点 with normalised weights
-- fact_milestone: contract milestones (合同节点). `weight_share` is the milestone's weight
-- normalised within its project (docs/scoring.md §2: w_k = weight_k / Σ weight).
-- No ORDER BY (row order is not part of the contract: readers sort what they show) and a semi-join
-- where no project column is needed: at 100,000 projects the sort doubled the build (bench/README.md).
CREATE OR REPLACE TABLE fact_milestone AS
SELECT
    m.project_id,
    m.milestone_no,
    m.description,
    m.planned_date,
    m.weight,
    m.weight / sum(m.weight) OVER (PARTITION BY m.project_id) AS weight_share,
    m.completed_date,
    m._source_file,
    m._source_row,
    m._file_sha256,
    m._loaded_at
FROM raw.milestones AS m
SEMI JOIN dim_project AS p USING (project_id);
