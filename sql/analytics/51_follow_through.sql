-- §3 Follow-through on last year's problems (整改跟踪), docs/programme-management.md §3.
-- Review year Y: every project reviewed in Y−1 whose effective decision of Y−1 (recorded, else
-- recommended) was rectify or suspend_funding, or that was a potential problem project in Y−1
-- ($problem_min_flags or more flags, veto aside). Its outcome is what Y recommends.
-- The recorded decision of Y−1 is read from what the review of Y measured (review_measure.prev_decision);
-- a project not reviewed in Y falls back to its Y−1 recommendation (no mart holds that decision otherwise).
-- Parameters: $review_year, $problem_min_flags.  Output: temp table pm_follow_through.
CREATE OR REPLACE TEMP TABLE pm_follow_through AS
WITH last_year AS (
    SELECT r.project_id, r.grade, r.recommendation, m.n_warning_flags >= $problem_min_flags AS is_problem
    FROM mart.project_review AS r
    JOIN mart.review_measure AS m USING (project_id, review_year)
    WHERE r.review_year = $review_year - 1
),
this_year AS (
    SELECT r.project_id, r.grade, r.recommendation, m.prev_decision
    FROM mart.project_review AS r
    JOIN mart.review_measure AS m USING (project_id, review_year)
    WHERE r.review_year = $review_year
),
followed AS (
    SELECT l.project_id,
           coalesce(t.prev_decision, l.recommendation) AS prev_decision,
           l.is_problem AS prev_problem,
           l.grade AS prev_grade,
           t.grade,
           t.recommendation,
           t.project_id IS NOT NULL AS reviewed
    FROM last_year AS l
    LEFT JOIN this_year AS t USING (project_id)
)
SELECT project_id,
       CAST($review_year AS INTEGER) AS review_year,
       prev_decision,
       prev_problem,
       prev_grade,
       grade,
       recommendation,
       CASE
           WHEN NOT reviewed THEN 'not_reviewed'
           WHEN recommendation = 'rolling_support' THEN 'resolved'
           WHEN recommendation IN ('rectify', 'suspend_funding') THEN 'persisting'
           WHEN recommendation = 'terminate' THEN 'escalated'
           WHEN recommendation = 'acceptance_review' THEN 'closing'
       END AS outcome
FROM followed
WHERE prev_decision IN ('rectify', 'suspend_funding') OR prev_problem
ORDER BY project_id;
