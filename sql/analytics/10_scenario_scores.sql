-- Step 1 of decision robustness — every reviewed project of year Y re-scored under every scenario
-- (docs/analytics.md §1), set-based: the year's measures × the scenarios table, one pass.
-- Inputs: analytics_measure (the year's leaf achievements, capped and exact at the cap, NULL = leaf not
-- applicable; last year's effective decision), analytics_review (the official row: status and flags),
-- sensitivity_scenario (scorecard/analytics.py: one row per scenario with its seven leaf points).
-- Every rule of docs/scoring.md is applied as the official review applies it: a leaf that is not applicable
-- earns nothing and its points leave the denominator (§3), so coverage and `insufficient` move with the
-- points; flags, thresholds and bands are the official ones; the grade is read on the total rounded half
-- away from zero (§4, §9); the recommendation is the first rule of §6 that holds, with the official history
-- (last year's decision as recorded, else as recommended — scenarios never feed each other).
-- Parameters: $review_year, $min_coverage, $band_a, $band_b, $band_c.
CREATE OR REPLACE TEMP TABLE sensitivity_year AS
SELECT
    r.project_id,
    r.review_year,
    r.status,
    list_contains(string_split(r.flags, ','), 'veto') AS veto,
    list_contains(string_split(r.flags, ','), 'stalled') AS stalled,
    list_contains(string_split(r.flags, ','), 'overspend') AS overspend,
    r.flags <> '' AS any_flag,
    m.prev_decision,
    m.ach_spi,
    m.ach_on_time,
    m.ach_fund_execution,
    m.ach_self_funding,
    m.ach_output,
    m.ach_outcome,
    m.ach_expert
FROM analytics_review AS r
JOIN analytics_measure AS m USING (project_id, review_year)
WHERE r.review_year = $review_year;

CREATE OR REPLACE TEMP TABLE sensitivity_scored AS
WITH earned AS (
    -- points = leaf points × achievement; NULL = not applicable (docs/scoring.md §3)
    SELECT
        y.*,
        s.scenario,
        s.kind,
        s.w_spi * y.ach_spi AS pts_spi,
        s.w_on_time * y.ach_on_time AS pts_on_time,
        s.w_fund_execution * y.ach_fund_execution AS pts_fund_execution,
        s.w_self_funding * y.ach_self_funding AS pts_self_funding,
        s.w_output * y.ach_output AS pts_output,
        s.w_outcome * y.ach_outcome AS pts_outcome,
        s.w_expert * y.ach_expert AS pts_expert,
        -- Σ applicable points, snapped to 9 decimals: the scenario points are binary fractions
        -- (5.8333…), and a sum that is 50 in exact arithmetic must compare as 50 with the coverage
        -- threshold. The official points are whole numbers, so `base` compares exactly as the review does.
        CAST(CASE WHEN y.ach_spi IS NOT NULL THEN s.w_spi ELSE 0 END
            + CASE WHEN y.ach_on_time IS NOT NULL THEN s.w_on_time ELSE 0 END
            + CASE WHEN y.ach_fund_execution IS NOT NULL THEN s.w_fund_execution ELSE 0 END
            + CASE WHEN y.ach_self_funding IS NOT NULL THEN s.w_self_funding ELSE 0 END
            + CASE WHEN y.ach_output IS NOT NULL THEN s.w_output ELSE 0 END
            + CASE WHEN y.ach_outcome IS NOT NULL THEN s.w_outcome ELSE 0 END
            + CASE WHEN y.ach_expert IS NOT NULL THEN s.w_expert ELSE 0 END AS DECIMAL(38, 9)) AS applicable_points
    FROM sensitivity_year AS y
    CROSS JOIN sensitivity_scenario AS s
),
totalled AS (
    -- the total as the review computes it (sql/review/60_points.sql): the process leaves first, then the
    -- other indicators, 100 × earned / applicable snapped to 12 decimals, rounded half away from zero
    SELECT
        *,
        CASE
            WHEN applicable_points > 0
            THEN CAST(round(CAST(100.0 * ((coalesce(pts_spi, 0) + coalesce(pts_on_time, 0)
                + coalesce(pts_fund_execution, 0) + coalesce(pts_self_funding, 0)) + coalesce(pts_output, 0)
                + coalesce(pts_outcome, 0) + coalesce(pts_expert, 0)) / CAST(applicable_points AS DOUBLE)
                AS DECIMAL(38, 12)), 2) AS DECIMAL(5, 2))
        END AS total_score
    FROM earned
),
graded AS (
    -- docs/scoring.md §4: veto → D; coverage below the threshold (or nothing applicable) → insufficient;
    -- then the bands on the rounded total
    SELECT
        *,
        CASE
            WHEN veto THEN 'D'
            WHEN total_score IS NULL OR applicable_points < $min_coverage * 100 THEN 'insufficient'
            WHEN total_score >= $band_a THEN 'A'
            WHEN total_score >= $band_b THEN 'B'
            WHEN total_score >= $band_c THEN 'C'
            ELSE 'D'
        END AS grade
    FROM totalled
)
-- docs/scoring.md §6, the first rule that holds (as sql/review/80_recommendation.sql)
SELECT
    project_id,
    review_year,
    scenario,
    kind,
    applicable_points,
    total_score,
    grade,
    CASE
        WHEN veto THEN 'terminate'
        WHEN status = 'active' AND grade = 'D' THEN 'terminate'
        WHEN status = 'active' AND stalled THEN 'terminate'
        WHEN status = 'active' AND prev_decision = 'rectify' AND grade IN ('C', 'D', 'insufficient') THEN 'terminate'
        WHEN status = 'ended' THEN 'acceptance_review'
        WHEN overspend THEN 'suspend_funding'
        WHEN grade IN ('C', 'insufficient') THEN 'rectify'
        WHEN any_flag THEN 'rectify'
        ELSE 'rolling_support'
    END AS recommendation
FROM graded;
