-- asset: Expert panel scores 专家评审
-- fact_expert_review: expert panel scores per project and review year (专家评审); an empty veto
-- cell means no veto.
-- No ORDER BY (row order is not part of the contract: readers sort what they show) and a semi-join
-- where no project column is needed: at 100,000 projects the sort doubled the build (bench/README.md).
CREATE OR REPLACE TABLE fact_expert_review AS
SELECT
    e.project_id,
    e.review_year,
    e.expert_id,
    e.score,
    coalesce(e.veto, false) AS veto,
    e.comment,
    e._source_file,
    e._source_row,
    e._file_sha256,
    e._loaded_at
FROM raw.expert_reviews AS e
SEMI JOIN dim_project AS p USING (project_id);
