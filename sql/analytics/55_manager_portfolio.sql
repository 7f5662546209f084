-- §7 Project managers (项目经理人), docs/programme-management.md §7: each manager's reviewed projects of
-- review year Y — grades, flagged and potential problem projects, the signals of the year
-- (temp view pm_signal over mart.review_signal, or NULL when that analysis has not run) and the
-- milestones due and not done at the as-of date (mart.review_milestone).
-- Parameters: $review_year, $problem_min_flags, $signals_available.  Output: temp table pm_manager_portfolio.
CREATE OR REPLACE TEMP TABLE pm_manager_portfolio AS
WITH projects AS (
    SELECT r.project_id,
           coalesce(nullif(trim(p.project_manager), ''), '(未指定)') AS project_manager,
           r.grade,
           r.flags <> '' AS is_flagged,
           m.n_warning_flags >= $problem_min_flags AS is_problem
    FROM mart.project_review AS r
    JOIN mart.review_measure AS m USING (project_id, review_year)
    JOIN dim_project AS p USING (project_id)
    WHERE r.review_year = $review_year
),
overdue AS (
    SELECT project_id, count(*) AS n
    FROM mart.review_milestone
    WHERE review_year = $review_year AND is_due AND NOT is_done
    GROUP BY project_id
),
signals AS (
    SELECT project_id, count(*) AS n FROM pm_signal WHERE review_year = $review_year GROUP BY project_id
)
SELECT CAST($review_year AS INTEGER) AS review_year,
       p.project_manager,
       CAST(count(*) AS INTEGER) AS projects,
       CAST(count(*) FILTER (WHERE p.grade = 'A') AS INTEGER) AS grade_a,
       CAST(count(*) FILTER (WHERE p.grade = 'B') AS INTEGER) AS grade_b,
       CAST(count(*) FILTER (WHERE p.grade = 'C') AS INTEGER) AS grade_c,
       CAST(count(*) FILTER (WHERE p.grade = 'D') AS INTEGER) AS grade_d,
       CAST(count(*) FILTER (WHERE p.grade = 'insufficient') AS INTEGER) AS grade_insufficient,
       CAST(count(*) FILTER (WHERE p.is_flagged) AS INTEGER) AS flagged,
       CAST(count(*) FILTER (WHERE p.is_problem) AS INTEGER) AS problem_projects,
       CASE WHEN $signals_available THEN CAST(coalesce(sum(s.n), 0) AS INTEGER) END AS signals,
       CAST(coalesce(sum(o.n), 0) AS INTEGER) AS overdue_milestones
FROM projects AS p
LEFT JOIN overdue AS o USING (project_id)
LEFT JOIN signals AS s USING (project_id)
GROUP BY p.project_manager
ORDER BY p.project_manager;
