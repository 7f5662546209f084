-- Step 2 of decision robustness — the rows of mart.decision_sensitivity (docs/analytics.md §1): `base` and the
-- eight one-at-a-time scenarios for every reviewed project of year Y. The random rubrics are not kept row by
-- row; they are summarised in decision_robustness (step 3).
CREATE OR REPLACE TEMP TABLE sensitivity_rows AS
SELECT
    project_id,
    CAST(review_year AS INTEGER) AS review_year,
    scenario,
    CAST(total_score AS DOUBLE) AS total_score,
    grade,
    recommendation
FROM sensitivity_scored
WHERE kind IN ('base', 'oat');
