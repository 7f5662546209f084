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

-- The projects of the year. Weights change only the grade; everything else the recommendation rule reads
-- (veto, status, stalled, overspend, any flag, last year's decision) is the project's own, so each project
-- carries the recommendation its rule gives for each grade: rec_by_grade[g] for g = 1 A, 2 B, 3 C, 4 D,
-- 5 insufficient, recommendations numbered in the order of §6 (1 terminate, 2 acceptance_review,
-- 3 suspend_funding, 4 rectify, 5 rolling_support).
CREATE OR REPLACE TEMP TABLE sensitivity_year AS
WITH flagged AS (
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
    WHERE r.review_year = $review_year
)
SELECT
    *,
    -- the rule of §6 (as sql/review/80_recommendation.sql) for each grade g; a veto makes the grade D anyway
    list_transform([1, 2, 3, 4, 5], lambda g: CASE
        WHEN veto THEN 1
        WHEN active AND g = 4 THEN 1
        WHEN active AND stalled THEN 1
        WHEN active AND prev_rectify AND g IN (3, 4, 5) THEN 1
        WHEN ended THEN 2
        WHEN overspend THEN 3
        WHEN g IN (3, 5) THEN 4
        WHEN any_flag THEN 4
        ELSE 5
    END) AS rec_by_grade,
    -- decided whatever the points (a veto, a stalled active project, an ended one): the random pass skips it
    -- and counts it as kept by every random rubric
    veto OR ended OR (active AND stalled) AS points_irrelevant
FROM flagged;

-- The thresholds, as exact decimals in a one-row table (a view cannot take parameters). A rounded total
-- reaches a band exactly when the unrounded one reaches the band's first two-decimal value minus 0.005 (half
-- away from zero): a random rubric compares there in binary floating point, and only a total within 1e-6 of
-- it takes the exact decimal path.
CREATE OR REPLACE TEMP TABLE sensitivity_threshold AS
SELECT
    CAST($min_coverage * 100 AS DECIMAL(18, 9)) AS min_applicable,
    CAST($band_a AS DECIMAL(18, 9)) AS band_a,
    CAST($band_b AS DECIMAL(18, 9)) AS band_b,
    CAST($band_c AS DECIMAL(18, 9)) AS band_c,
    CAST(ceil($band_a * 100) / 100 - 0.005 AS DOUBLE) AS reach_a,
    CAST(ceil($band_b * 100) / 100 - 0.005 AS DOUBLE) AS reach_b,
    CAST(ceil($band_c * 100) / 100 - 0.005 AS DOUBLE) AS reach_c;

-- The big pass (projects × scenarios) as a view, read twice below: once for `base` and the one-at-a-time
-- scenarios (kept row by row, exact totals), once for the random rubrics (grades counted per project).
-- It carries only the project number, the seven achievements and the seven leaf points.
CREATE OR REPLACE TEMP VIEW scenario_outcome AS
WITH earned AS (
    SELECT
        y.pidx,
        s.scenario,
        s.kind,
        -- points = leaf points × achievement; NULL = not applicable (docs/scoring.md §3)
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
    WHERE s.kind <> 'random' OR NOT y.points_irrelevant
),
raw_total AS (
    -- 100 × earned / applicable in binary floating point, summed as the review sums (sql/review/60_points.sql):
    -- the process leaves first, then the other indicators
    SELECT
        e.pidx,
        e.scenario,
        e.kind,
        e.applicable_points,
        CASE
            WHEN e.applicable_points > 0
            THEN 100.0 * ((coalesce(e.pts_spi, 0) + coalesce(e.pts_on_time, 0)
                + coalesce(e.pts_fund_execution, 0) + coalesce(e.pts_self_funding, 0)) + coalesce(e.pts_output, 0)
                + coalesce(e.pts_outcome, 0) + coalesce(e.pts_expert, 0)) / CAST(e.applicable_points AS DOUBLE)
        END AS raw_total,
        t.*
    FROM earned AS e
    CROSS JOIN sensitivity_threshold AS t
),
totalled AS (
    -- the total as the review rounds it: snapped to 12 decimals (a total ≤ 100 fits DECIMAL(18, 12): the same
    -- value the review's DECIMAL(38, 12) gives), rounded half away from zero to two — for `base` and the
    -- one-at-a-time scenarios always, for a random rubric only near a band's reach
    SELECT
        *,
        CASE
            WHEN raw_total IS NOT NULL AND (kind <> 'random' OR least(abs(raw_total - reach_a), abs(raw_total - reach_b),
                abs(raw_total - reach_c)) < 1e-6)
            THEN CAST(round(CAST(raw_total AS DECIMAL(18, 12)), 2) AS DECIMAL(5, 2))
        END AS total_score
    FROM raw_total
)
-- docs/scoring.md §4: coverage below the threshold (or nothing applicable) → insufficient; then the bands on
-- the rounded total (a veto's D is in rec_by_grade: its recommendation does not depend on the grade)
SELECT
    pidx,
    scenario,
    kind,
    total_score,
    CASE
        WHEN raw_total IS NULL OR applicable_points < min_applicable THEN 5
        WHEN total_score IS NOT NULL THEN CASE
            WHEN total_score >= band_a THEN 1 WHEN total_score >= band_b THEN 2 WHEN total_score >= band_c THEN 3 ELSE 4
        END
        WHEN raw_total >= reach_a THEN 1
        WHEN raw_total >= reach_b THEN 2
        WHEN raw_total >= reach_c THEN 3
        ELSE 4
    END AS grade_no
FROM totalled;

-- base and the eight one-at-a-time scenarios, row by row
CREATE OR REPLACE TEMP TABLE sensitivity_scored AS
SELECT
    y.project_id,
    y.review_year,
    o.scenario,
    o.kind,
    o.total_score,
    CASE WHEN y.veto THEN 'D' ELSE ['A', 'B', 'C', 'D', 'insufficient'][o.grade_no] END AS grade,
    ['terminate', 'acceptance_review', 'suspend_funding', 'rectify', 'rolling_support'][y.rec_by_grade[o.grade_no]]
        AS recommendation
FROM scenario_outcome AS o
JOIN sensitivity_year AS y USING (pidx)
WHERE o.kind IN ('base', 'oat');

-- the random rubrics, counted: how many give each recommendation, per project whose decision depends on the
-- points at all (grades counted in the big pass, turned into recommendations per project here)
CREATE OR REPLACE TEMP TABLE sensitivity_random AS
SELECT
    g.pidx,
    ['terminate', 'acceptance_review', 'suspend_funding', 'rectify', 'rolling_support'][y.rec_by_grade[g.grade_no]]
        AS recommendation,
    sum(g.rubrics) AS rubrics
FROM (
    SELECT pidx, grade_no, count(*) AS rubrics
    FROM scenario_outcome
    WHERE kind = 'random'
    GROUP BY pidx, grade_no
) AS g
JOIN sensitivity_year AS y USING (pidx)
GROUP BY g.pidx, y.rec_by_grade[g.grade_no];
