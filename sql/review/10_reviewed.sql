-- Step 1 — who is reviewed in review year Y (docs/scoring.md §1, §9).
-- Inputs: dim_project, fact_review_decision, and the temp view `prior_review` (the rows of earlier
-- review years already scored, set up by scorecard/review.py for the target schema).
-- Parameters: $review_year (Y), $as_of (A = Y-12-31).

-- The effective decision of every earlier reviewed year: the recorded decision when there is one,
-- else the computed recommendation (§1 "where no decision is recorded, the recommendation is taken
-- as adopted"). Joining on the reviewed rows ignores a decision for a year in which the project was
-- not reviewed (§9).
CREATE OR REPLACE TEMP TABLE review_history AS
SELECT
    r.project_id,
    r.review_year,
    r.grade,
    r.recommendation,
    d.decision AS recorded_decision,
    coalesce(d.decision, r.recommendation) AS effective_decision
FROM prior_review AS r
LEFT JOIN fact_review_decision AS d USING (project_id, review_year)
WHERE r.review_year < $review_year;

-- Reviewed in Y: started by A, not ended before Y-01-01, never terminated in an earlier year
-- (termination carries over to every later year, §9). status and the elapsed fraction f (§1);
-- last year's computed grade / recommendation and effective decision (§6, §9).
CREATE OR REPLACE TEMP TABLE review_scope AS
SELECT
    p.project_id,
    CAST($review_year AS INTEGER) AS review_year,
    CAST($as_of AS DATE) AS as_of_date,
    p.start_date,
    p.end_date,
    p.approved_funding_wan,
    p.self_funding_wan,
    CASE WHEN p.end_date <= CAST($as_of AS DATE) THEN 'ended' ELSE 'active' END AS status,
    -- f = clamp(days(A − start) / days(end − start), 0, 1); end > start by the projects contract.
    -- f is kept as the exact pair elapsed_days / total_days for the threshold comparisons (§10).
    least(greatest(datediff('day', p.start_date, CAST($as_of AS DATE)), 0), datediff('day', p.start_date, p.end_date))
        / datediff('day', p.start_date, p.end_date) AS elapsed_fraction,
    least(greatest(datediff('day', p.start_date, CAST($as_of AS DATE)), 0), datediff('day', p.start_date, p.end_date))
        AS elapsed_days,
    datediff('day', p.start_date, p.end_date) AS total_days,
    prev.grade AS prev_grade,
    prev.recommendation AS prev_recommendation,
    prev.recorded_decision AS prev_recorded_decision,
    prev.effective_decision AS prev_decision
FROM dim_project AS p
LEFT JOIN review_history AS prev
    ON prev.project_id = p.project_id AND prev.review_year = $review_year - 1
WHERE p.start_date <= CAST($as_of AS DATE)
  AND p.end_date >= make_date(CAST($review_year AS INTEGER), 1, 1)
  AND NOT EXISTS (
      SELECT 1
      FROM review_history AS h
      WHERE h.project_id = p.project_id AND h.effective_decision = 'terminate'
  );
