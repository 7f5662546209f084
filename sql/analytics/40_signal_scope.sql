-- Signals for follow-up, step 0 — the projects reviewed in year Y (docs/analytics.md §2: signals are computed
-- for them) with what several signals read: the undertaker as written and as compared (NFKC, all whitespace
-- removed), and whether the project is a potential problem project of Y (docs/scoring.md §5: at least
-- $problem_min_flags flags other than veto).
-- Inputs: analytics_review (mart.project_review), analytics_measure (mart.review_measure), dim_project.
-- nfkc() is Unicode NFKC, registered by scorecard/analytics.py.
CREATE OR REPLACE TEMP TABLE signal_scope AS
SELECT
    r.project_id,
    CAST(r.review_year AS INTEGER) AS review_year,
    CAST($as_of AS DATE) AS as_of_date,
    p.project_name,
    p.undertaker,
    regexp_replace(nfkc(p.undertaker), '[\s\p{Z}]+', '', 'g') AS undertaker_key,
    r.flags,
    m.n_warning_flags,
    m.n_warning_flags >= $problem_min_flags AS problem_project,
    m.n_experts,
    m.expert_max,
    m.expert_min
FROM analytics_review AS r
JOIN analytics_measure AS m USING (project_id, review_year)
JOIN dim_project AS p USING (project_id)
WHERE r.review_year = $review_year;

-- The milestones of those projects at A (paid_no_progress): due (planned by A), done (completed by A), days
-- overdue, and whether the milestone was completed in Y.
CREATE OR REPLACE TEMP TABLE signal_milestone AS
SELECT
    f.project_id,
    f.milestone_no,
    f.planned_date,
    f.completed_date,
    f.planned_date <= s.as_of_date AS is_due,
    coalesce(f.completed_date <= s.as_of_date, false) AS is_done,
    coalesce(f.completed_date BETWEEN make_date(s.review_year, 1, 1) AND s.as_of_date, false) AS completed_in_year,
    CASE
        WHEN f.planned_date <= s.as_of_date AND NOT coalesce(f.completed_date <= s.as_of_date, false)
        THEN datediff('day', f.planned_date, s.as_of_date)
    END AS days_overdue
FROM signal_scope AS s
JOIN fact_milestone AS f USING (project_id);
