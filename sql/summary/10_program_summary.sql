-- Programme summary of review year Y per dimension — all, field, plan, department, support_mode
-- (docs/data-contract.md "Output contract" mart.program_summary; docs/report.md chapters 1, 3, 6, 7).
-- Reads what the review measured — the scored rows of Y (temp view scored_review over
-- <schema>.project_review) and their money at A (scored_measure over <schema>.review_measure) — and
-- dim_project for the groupings. Never the facts: one derivation per datum.

-- One row per reviewed project with its groupings and its money at A.
CREATE OR REPLACE TEMP TABLE summary_project AS
SELECT
    s.project_id,
    s.grade,
    s.total_score,
    s.recommendation,
    s.clawback_wan,
    s.rubric_version,
    p.field,
    p.plan,
    p.department,
    p.support_mode,
    p.approved_funding_wan,
    m.net_disbursed_wan,
    m.fiscal_spent_wan,
    m.self_arrived_wan,
    -- potential problem project: this many flags or more, veto aside (docs/scoring.md §5)
    m.n_warning_flags >= $problem_min_flags AS is_problem
FROM scored_review AS s
JOIN scored_measure AS m USING (project_id, review_year)
JOIN dim_project AS p USING (project_id)
WHERE s.review_year = $review_year;

CREATE OR REPLACE TEMP TABLE summary_program_summary AS
WITH grouped AS (
    SELECT 'all' AS dimension, 'all' AS dimension_value, * FROM summary_project
    UNION ALL
    SELECT 'field', field, * FROM summary_project
    UNION ALL
    SELECT 'plan', plan, * FROM summary_project
    UNION ALL
    SELECT 'department', department, * FROM summary_project
    UNION ALL
    SELECT 'support_mode', support_mode, * FROM summary_project
),
summary AS (
    SELECT
        dimension,
        dimension_value,
        count(*) AS projects,
        count(*) FILTER (WHERE grade = 'A') AS grade_a,
        count(*) FILTER (WHERE grade = 'B') AS grade_b,
        count(*) FILTER (WHERE grade = 'C') AS grade_c,
        count(*) FILTER (WHERE grade = 'D') AS grade_d,
        count(*) FILTER (WHERE grade = 'insufficient') AS grade_insufficient,
        -- over the projects with a total score; summed as exact decimals, so every run gives the same digits
        avg(CAST(total_score AS DECIMAL(5, 2))) AS mean_score,
        sum(approved_funding_wan) AS approved_wan,
        sum(net_disbursed_wan) AS net_disbursed_wan,    -- cumulative to A
        sum(fiscal_spent_wan) AS fiscal_spent_wan,
        sum(fiscal_spent_wan) / nullif(sum(net_disbursed_wan), 0) AS execution_rate,
        sum(self_arrived_wan) AS self_arrived_wan,
        -- leverage: self funds arrived per fiscal 万元 disbursed
        sum(self_arrived_wan) / nullif(sum(net_disbursed_wan), 0) AS leverage,
        count(*) FILTER (WHERE is_problem) AS problem_projects,
        coalesce(sum(approved_funding_wan) FILTER (WHERE is_problem), 0) AS problem_funding_wan,
        count(*) FILTER (WHERE recommendation = 'terminate') AS rec_terminate,
        count(*) FILTER (WHERE recommendation = 'acceptance_review') AS rec_acceptance_review,
        count(*) FILTER (WHERE recommendation = 'suspend_funding') AS rec_suspend_funding,
        count(*) FILTER (WHERE recommendation = 'rectify') AS rec_rectify,
        count(*) FILTER (WHERE recommendation = 'rolling_support') AS rec_rolling_support,
        sum(clawback_wan) AS clawback_wan,
        max(rubric_version) AS rubric_version
    FROM grouped
    GROUP BY dimension, dimension_value
)
SELECT CAST($review_year AS INTEGER) AS review_year, * FROM summary
UNION ALL
-- a year with no reviewed project still has its 'all' row (zeros)
SELECT
    CAST($review_year AS INTEGER), 'all', 'all', 0, 0, 0, 0, 0, 0, NULL, 0.0, 0.0, 0.0, NULL, 0.0, NULL,
    0, 0.0, 0, 0, 0, 0, 0, 0.0, CAST($rubric_version AS VARCHAR)
WHERE NOT EXISTS (SELECT 1 FROM summary_project);
