-- Step 2a — milestone measures at the as-of date A (docs/scoring.md §2, §5 stalled inputs, §9 day counts).
-- Weights are normalised per project in fact_milestone.weight_share (w_k = weight_k / Σ weight).
-- Due: planned_date ≤ A. Done: completed_date ≤ A (0/100 method).
-- Parameters: $grace_days (on time = completed ≤ planned + 30 days, inclusive),
-- $stall_overdue_days, $stall_window_days.
-- Per milestone at A (stored as mart.review_milestone): due, done, on time, days overdue.
CREATE OR REPLACE TEMP TABLE review_milestone_status AS
SELECT
    s.project_id,
    s.review_year,
    s.as_of_date,
    f.milestone_no,
    f.description,
    f.planned_date,
    f.completed_date,
    f.weight,
    f.weight_share,
    f.planned_date <= s.as_of_date AS is_due,
    coalesce(f.completed_date <= s.as_of_date, false) AS is_done,
    -- on time: due, done by A, and completed_date ≤ planned_date + grace days (inclusive, §9)
    f.planned_date <= s.as_of_date AND coalesce(f.completed_date <= s.as_of_date, false)
        AND f.completed_date <= f.planned_date + CAST($grace_days AS INTEGER) AS is_on_time,
    -- due and not done by A: days past the planned date; else NULL
    CASE
        WHEN f.planned_date <= s.as_of_date AND NOT coalesce(f.completed_date <= s.as_of_date, false)
        THEN datediff('day', f.planned_date, s.as_of_date)
    END AS days_overdue
FROM review_scope AS s
JOIN fact_milestone AS f USING (project_id);

CREATE OR REPLACE TEMP TABLE review_milestones AS
WITH m AS (
    SELECT * FROM review_milestone_status
),
agg AS (
SELECT
    s.project_id,
    count(m.milestone_no) AS n_milestones,
    count(m.milestone_no) FILTER (WHERE m.is_due) AS n_due,
    count(m.milestone_no) FILTER (WHERE m.is_done) AS n_done,
    count(m.milestone_no) FILTER (WHERE m.is_due AND m.is_done) AS n_due_done,
    -- on time: due, done by A, and completed_date ≤ planned_date + grace days (inclusive, §9)
    count(m.milestone_no) FILTER (WHERE m.is_on_time) AS n_on_time,
    coalesce(sum(m.weight_share) FILTER (WHERE m.is_due), 0.0) AS pv_w,   -- PVw = Σ w over due
    coalesce(sum(m.weight_share) FILTER (WHERE m.is_done), 0.0) AS ev_w,  -- EVw = Σ w over done
    -- the same as exact decimal sums of the raw weights (the shares' common divisor cancels):
    -- spi = done_weight / due_weight, and spi ≥ 1 is decided on these (§10)
    coalesce(sum(m.weight) FILTER (WHERE m.is_due), 0) AS due_weight,
    coalesce(sum(m.weight) FILTER (WHERE m.is_done), 0) AS done_weight,
    max(m.completed_date) FILTER (WHERE m.is_done) AS last_completed_date,
    -- stalled inputs (§5, §9): not done and days(A − planned) > 180 ...
    count(m.milestone_no) FILTER (
        WHERE NOT m.is_done AND datediff('day', m.planned_date, m.as_of_date) > $stall_overdue_days
    ) AS n_long_overdue,
    min(m.planned_date) FILTER (
        WHERE NOT m.is_done AND datediff('day', m.planned_date, m.as_of_date) > $stall_overdue_days
    ) AS oldest_overdue_planned,
    -- ... and no completed_date with 0 ≤ days(A − completed) ≤ 364 (the 365 days up to A)
    count(m.milestone_no) FILTER (
        WHERE datediff('day', m.completed_date, m.as_of_date) BETWEEN 0 AND $stall_window_days - 1
    ) AS n_done_in_window
FROM review_scope AS s
LEFT JOIN m USING (project_id)
GROUP BY s.project_id
)
-- spi = EVw / PVw and on_time_rate = on time / due; both NULL when no milestone is due (§2).
-- Not capped: spi can exceed 1 when a milestone is done before it is due (§9).
SELECT
    *,
    CASE WHEN n_due > 0 THEN done_weight / due_weight END AS spi,
    CASE WHEN n_due > 0 THEN n_on_time / n_due END AS on_time_rate
FROM agg;
