-- §6 Overall evaluation (总体评估), docs/programme-management.md §6: the cohort table at review year Y —
-- every project reviewed in any year up to Y, by approval year and latest status:
--   terminated   its latest review recommends terminate, or it left the review before its end (a
--                recorded termination: a project still running is reviewed every year until then);
--   accepted     its latest review recommends the completion acceptance review (it has ended);
--   active_<g>   otherwise, by the grade of its latest review (A, B, C, D, insufficient).
-- Parameters: $review_year.  Output: temp table pm_programme_cohort.
CREATE OR REPLACE TEMP TABLE pm_programme_cohort AS
WITH latest AS (
    SELECT project_id,
           max(review_year) AS latest_year,
           arg_max(recommendation, review_year) AS recommendation,
           arg_max(grade, review_year) AS grade
    FROM mart.project_review
    WHERE review_year <= $review_year
    GROUP BY project_id
),
status AS (
    SELECT p.approval_year,
           CAST(p.approved_funding_wan AS DECIMAL(18, 4)) AS approved_wan,
           CASE
               WHEN l.recommendation = 'terminate' THEN 'terminated'
               WHEN l.latest_year < $review_year AND p.end_date >= make_date(l.latest_year + 1, 1, 1) THEN 'terminated'
               WHEN l.recommendation = 'acceptance_review' THEN 'accepted'
               ELSE 'active_' || l.grade
           END AS latest_status
    FROM latest AS l
    JOIN dim_project AS p USING (project_id)
)
SELECT CAST($review_year AS INTEGER) AS review_year,
       CAST(approval_year AS INTEGER) AS approval_year,
       latest_status,
       CAST(count(*) AS INTEGER) AS projects,
       CAST(sum(approved_wan) AS DECIMAL(18, 4)) AS approved_wan
FROM status
GROUP BY approval_year, latest_status
ORDER BY approval_year, latest_status;
