-- Programme targets as measured for review year Y (docs/programme.md). Every number comes from the
-- programme file: the temp table programme_target (one row per target, filled by scorecard/review.py
-- from scorecard/programme.py) and the parameters $period_start, $period_end.
-- - plan_projects: distinct projects of the plan approved in $period_start .. min(Y, $period_end),
--   compared with the threshold;
-- - annual_net_disbursement: net disbursement (disbursements − recoveries, every source) per calendar
--   year of the period up to Y, one row per year (target code || '_' || year), met when it reaches the
--   annual budget; years after Y are not yet measurable and have no row;
-- - macro: no input dataset, so measured and met are NULL.
-- Comparisons are on exact decimals (docs/scoring.md §10).
CREATE OR REPLACE TEMP TABLE summary_program_target AS
WITH plan_count AS (
    SELECT plan, count(DISTINCT project_id) AS projects
    FROM dim_project
    WHERE approval_year BETWEEN $period_start AND least(CAST($review_year AS INTEGER), $period_end)
    GROUP BY plan
),
budget AS (
    -- net disbursement per calendar year of the period up to Y, as the review measured it at A
    -- (temp view scored_disbursement over <schema>.disbursement_by_year; a year without payments is 0)
    SELECT y.payment_year, coalesce(d.net_disbursed_wan, 0) AS net_disbursed_wan
    FROM (SELECT unnest(range($period_start, $period_end + 1)) AS payment_year) AS y
    LEFT JOIN scored_disbursement AS d
        ON d.payment_year = y.payment_year AND d.review_year = $review_year
    WHERE y.payment_year <= $review_year
),
measured AS (
    SELECT t.target, t.name_zh, t.name_en, t.comparison, t.threshold, t.unit,
           CAST(coalesce(c.projects, 0) AS DECIMAL(38, 4)) AS measured
    FROM programme_target AS t
    LEFT JOIN plan_count AS c USING (plan)
    WHERE t.measure = 'plan_projects'
    UNION ALL
    SELECT t.target || '_' || b.payment_year,
           replace(t.name_zh, '{year}', CAST(b.payment_year AS VARCHAR)),
           replace(t.name_en, '{year}', CAST(b.payment_year AS VARCHAR)),
           t.comparison, t.threshold, t.unit, b.net_disbursed_wan
    FROM programme_target AS t, budget AS b
    WHERE t.measure = 'annual_net_disbursement'
    UNION ALL
    SELECT t.target, t.name_zh, t.name_en, t.comparison, t.threshold, t.unit, NULL
    FROM programme_target AS t
    WHERE t.measure = 'macro'
)
SELECT
    CAST($review_year AS INTEGER) AS review_year,
    target,
    name_zh,
    name_en,
    measured,
    threshold,
    comparison AS comparator,
    unit,
    CASE comparison WHEN '>' THEN measured > threshold WHEN '>=' THEN measured >= threshold END AS met
FROM measured;
