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
    -- the panel's extremes are scores of DECIMAL(18,4) carried as DOUBLE; back to their exact decimals, so a
    -- spread of exactly 30 compares as 30 (docs/scoring.md §10)
    CAST(m.expert_max AS DECIMAL(18, 4)) AS expert_max,
    CAST(m.expert_min AS DECIMAL(18, 4)) AS expert_min
FROM analytics_review AS r
JOIN analytics_measure AS m USING (project_id, review_year)
JOIN dim_project AS p USING (project_id)
WHERE r.review_year = $review_year;

-- The milestones of those projects at A (paid_no_progress), as the review measured them (analytics_milestone =
-- mart.review_milestone: due, done by A, days overdue), and whether the milestone was completed in Y.
CREATE OR REPLACE TEMP TABLE signal_milestone AS
SELECT
    m.project_id,
    m.milestone_no,
    m.planned_date,
    m.completed_date,
    m.is_due,
    m.is_done,
    m.is_done AND m.completed_date >= make_date(m.review_year, 1, 1) AS completed_in_year,
    m.days_overdue
FROM analytics_milestone AS m
WHERE m.review_year = $review_year;
