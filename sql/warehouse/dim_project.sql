-- asset: Projects 项目台账, one row per clean project
-- dim_project: one row per clean project (docs/data-contract.md "projects"), with its lineage.
-- Read by every fact (referential integrity) and by the review (docs/scoring.md §1 who is reviewed).
CREATE OR REPLACE TABLE dim_project AS
SELECT
    project_id,
    project_name,
    field,
    plan,
    department,
    undertaker,
    undertaker_type,
    selection_method,
    support_mode,
    funding_stage,
    approval_year,
    start_date,
    end_date,
    approved_funding_wan,
    self_funding_wan,
    project_manager,
    datediff('day', start_date, end_date) AS duration_days,
    _source_file,
    _source_row,
    _file_sha256,
    _loaded_at
FROM raw.projects
ORDER BY project_id;
