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
-- Parameters: $review_year, $min_coverage, $band_a, $band_b, $band_c (into sensitivity_threshold).
CREATE OR REPLACE TEMP TABLE sensitivity_year AS
SELECT
    CAST(row_number() OVER (ORDER BY r.project_id) AS INTEGER) AS pidx,   -- a narrow key for the big pass
    r.project_id,
    r.review_year,
    r.status = 'active' AS active,
    r.status = 'ended' AS ended,
    list_contains(string_split(r.flags, ','), 'veto') AS veto,
    list_contains(string_split(r.flags, ','), 'stalled') AS stalled,
    list_contains(string_split(r.flags, ','), 'overspend') AS overspend,
    r.flags <> '' AS any_flag,
    -- decided whatever the points: a veto or a stalled active project is terminated, an ended one goes to
    -- acceptance review (docs/scoring.md §6); the random pass skips these and counts them as kept
    list_contains(string_split(r.flags, ','), 'veto') OR r.status = 'ended'
        OR (r.status = 'active' AND list_contains(string_split(r.flags, ','), 'stalled')) AS points_irrelevant,
    coalesce(m.prev_decision = 'rectify', false) AS prev_rectify,
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

-- The thresholds, as exact decimals in a one-row table (a view cannot take parameters).
CREATE OR REPLACE TEMP TABLE sensitivity_threshold AS
SELECT
    CAST($min_coverage * 100 AS DECIMAL(18, 9)) AS min_applicable,
    CAST($band_a AS DECIMAL(18, 9)) AS band_a,
    CAST($band_b AS DECIMAL(18, 9)) AS band_b,
    CAST($band_c AS DECIMAL(18, 9)) AS band_c;

-- The big pass (projects × scenarios) as a view, read twice below: once for `base` and the one-at-a-time
-- scenarios (kept row by row), once for the random rubrics (counted per project and recommendation).
-- Totals and coverage are snapped as decimals that fit 64 bits (a total ≤ 100 has 3 + 12 digits), the same
-- values the review's DECIMAL(38, 12) gives.
CREATE OR REPLACE TEMP VIEW scenario_outcome AS
WITH earned AS (
    -- points = leaf points × achievement; NULL = not applicable (docs/scoring.md §3)
    SELECT
        y.pidx,
        y.active,
        y.ended,
        y.veto,
        y.stalled,
        y.overspend,
        y.any_flag,
        y.prev_rectify,
        y.points_irrelevant,
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
            + CASE WHEN y.ach_expert IS NOT NULL THEN s.w_expert ELSE 0 END AS DECIMAL(18, 9)) AS applicable_points
    FROM sensitivity_year AS y
    CROSS JOIN sensitivity_scenario AS s
),
totalled AS (
    -- the total as the review computes it (sql/review/60_points.sql): the process leaves first, then the
    -- other indicators, 100 × earned / applicable snapped to 12 decimals, rounded half away from zero
    SELECT
        pidx, active, ended, veto, stalled, overspend, any_flag, prev_rectify, points_irrelevant, scenario, kind,
        applicable_points,
        CASE
            WHEN applicable_points > 0
            THEN CAST(round(CAST(100.0 * ((coalesce(pts_spi, 0) + coalesce(pts_on_time, 0)
                + coalesce(pts_fund_execution, 0) + coalesce(pts_self_funding, 0)) + coalesce(pts_output, 0)
                + coalesce(pts_outcome, 0) + coalesce(pts_expert, 0)) / CAST(applicable_points AS DOUBLE)
                AS DECIMAL(18, 12)), 2) AS DECIMAL(5, 2))
        END AS total_score
    FROM earned
),
graded AS (
    -- docs/scoring.md §4: veto → D; coverage below the threshold (or nothing applicable) → insufficient;
    -- then the bands on the rounded total. Grades and recommendations are small numbers in the big pass
    -- (1 A, 2 B, 3 C, 4 D, 5 insufficient; recommendations 1–5 in the order of §6), named below.
    SELECT
        *,
        CASE
            WHEN veto THEN 4
            WHEN total_score IS NULL OR applicable_points < t.min_applicable THEN 5
            WHEN total_score >= t.band_a THEN 1
            WHEN total_score >= t.band_b THEN 2
            WHEN total_score >= t.band_c THEN 3
            ELSE 4
        END AS grade_no
    FROM totalled
    CROSS JOIN sensitivity_threshold AS t
)
-- docs/scoring.md §6, the first rule that holds (as sql/review/80_recommendation.sql)
SELECT
    pidx,
    points_irrelevant,
    scenario,
    kind,
    total_score,
    grade_no,
    CASE
        WHEN veto THEN 1                                           -- terminate
        WHEN active AND grade_no = 4 THEN 1
        WHEN active AND stalled THEN 1
        WHEN active AND prev_rectify AND grade_no IN (3, 4, 5) THEN 1
        WHEN ended THEN 2                                          -- acceptance_review
        WHEN overspend THEN 3                                      -- suspend_funding
        WHEN grade_no IN (3, 5) THEN 4                             -- rectify
        WHEN any_flag THEN 4
        ELSE 5                                                     -- rolling_support
    END AS recommendation_no
FROM graded;

-- base and the eight one-at-a-time scenarios, row by row
CREATE OR REPLACE TEMP TABLE sensitivity_scored AS
SELECT
    y.project_id,
    y.review_year,
    o.scenario,
    o.kind,
    o.total_score,
    ['A', 'B', 'C', 'D', 'insufficient'][o.grade_no] AS grade,
    ['terminate', 'acceptance_review', 'suspend_funding', 'rectify', 'rolling_support'][o.recommendation_no] AS recommendation
FROM scenario_outcome AS o
JOIN sensitivity_year AS y USING (pidx)
WHERE o.kind IN ('base', 'oat');

-- the random rubrics, counted: how many give each recommendation, per project whose decision depends on the
-- points at all
CREATE OR REPLACE TEMP TABLE sensitivity_random AS
SELECT
    pidx,
    ['terminate', 'acceptance_review', 'suspend_funding', 'rectify', 'rolling_support'][recommendation_no] AS recommendation,
    rubrics
FROM (
    SELECT pidx, recommendation_no, count(*) AS rubrics
    FROM scenario_outcome
    WHERE kind = 'random' AND NOT points_irrelevant
    GROUP BY pidx, recommendation_no
);
