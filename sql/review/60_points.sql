-- Step 3 — points (docs/scoring.md §3, §9). Leaf points come from the rubric ($w_<leaf>).
-- A leaf whose measured value is NULL is not applicable: it earns nothing and its points leave the
-- denominator. coverage = applicable points / 100 (the rubric's points add up to 100).
-- total_score = 100 × Σ earned / Σ applicable, rounded to 2 decimals half away from zero.
CREATE OR REPLACE TEMP TABLE review_points AS
WITH measured AS (
    SELECT
        s.*,
        m.spi,
        m.done_weight >= m.due_weight AS spi_full,
        m.on_time_rate,
        f.fund_execution_rate,
        f.e_full,
        f.self_funding_arrival_rate,
        f.r_full,
        k.output_achievement,
        k.outcome_achievement,
        e.expert_score,
        coalesce(e.veto, false) AS veto
    FROM review_scope AS s
    LEFT JOIN review_milestones AS m USING (project_id)
    LEFT JOIN review_funds AS f USING (project_id)
    LEFT JOIN review_kpi AS k USING (project_id)
    LEFT JOIN review_experts AS e USING (project_id)
),
achieved AS (
    -- per leaf, the share of its points earned (0..1; NULL = not applicable): the measured value capped
    -- at its full-points level (caps apply only here, §9). Whether a cap is reached is decided on exact
    -- decimals (spi_full, e_full, r_full: §10), so a rate that is exactly at its cap earns exactly 1.
    -- Stored in mart.review_measure (ach_*) for the analyses that rescore with other weights.
    SELECT
        *,
        CASE WHEN spi IS NULL THEN NULL WHEN spi_full THEN 1.0 ELSE spi END AS ach_spi,
        on_time_rate AS ach_on_time,
        CASE
            WHEN fund_execution_rate IS NULL THEN NULL
            WHEN e_full THEN 1.0
            ELSE fund_execution_rate / $exec_target
        END AS ach_fund_execution,
        CASE
            WHEN self_funding_arrival_rate IS NULL THEN NULL WHEN r_full THEN 1.0 ELSE self_funding_arrival_rate
        END AS ach_self_funding,
        output_achievement AS ach_output,
        outcome_achievement AS ach_outcome,
        expert_score / 100.0 AS ach_expert
    FROM measured
),
earned AS (
    -- points earned per leaf = the rubric's points × the share achieved
    SELECT
        *,
        $w_spi * ach_spi AS pts_spi,
        $w_on_time * ach_on_time AS pts_on_time,
        $w_fund_execution * ach_fund_execution AS pts_fund_execution,
        $w_self_funding * ach_self_funding AS pts_self_funding,
        $w_output * ach_output AS pts_output,
        $w_outcome * ach_outcome AS pts_outcome,
        $w_expert * expert_score / 100.0 AS pts_expert
    FROM achieved
),
summed AS (
    SELECT
        *,
        -- Σ applicable points (the denominator)
        (CASE WHEN pts_spi IS NOT NULL THEN $w_spi ELSE 0 END
            + CASE WHEN pts_on_time IS NOT NULL THEN $w_on_time ELSE 0 END
            + CASE WHEN pts_fund_execution IS NOT NULL THEN $w_fund_execution ELSE 0 END
            + CASE WHEN pts_self_funding IS NOT NULL THEN $w_self_funding ELSE 0 END
            + CASE WHEN pts_output IS NOT NULL THEN $w_output ELSE 0 END
            + CASE WHEN pts_outcome IS NOT NULL THEN $w_outcome ELSE 0 END
            + CASE WHEN pts_expert IS NOT NULL THEN $w_expert ELSE 0 END) AS applicable_points,
        -- points per first-level indicator; NULL when none of its leaves applies
        CASE
            WHEN coalesce(pts_spi, pts_on_time, pts_fund_execution, pts_self_funding) IS NOT NULL
            THEN coalesce(pts_spi, 0) + coalesce(pts_on_time, 0)
                + coalesce(pts_fund_execution, 0) + coalesce(pts_self_funding, 0)
        END AS score_process,
        pts_output AS score_output,
        pts_outcome AS score_outcome,
        pts_expert AS score_expert
    FROM earned
)
SELECT
    *,
    coalesce(score_process, 0) + coalesce(score_output, 0) + coalesce(score_outcome, 0)
        + coalesce(score_expert, 0) AS earned_points,
    CAST(applicable_points / 100.0 AS DOUBLE) AS coverage,
    -- Rounding half away from zero to 2 decimals (§9: 89.995 → 90.00). The leaf points are ratios
    -- carried as DOUBLE (about 16 significant digits); the raw total is snapped to 12 decimals
    -- (DECIMAL(38,12)), which puts a total that decimal inputs make exactly 89.995 back on 89.995,
    -- and DECIMAL rounding is half away from zero. The grade compares this DECIMAL(5,2) with the
    -- bands exactly (70_grade_flags.sql).
    CASE
        WHEN applicable_points > 0
        THEN CAST(round(CAST(100.0 * (coalesce(score_process, 0) + coalesce(score_output, 0)
            + coalesce(score_outcome, 0) + coalesce(score_expert, 0)) / applicable_points
            AS DECIMAL(38, 12)), 2) AS DECIMAL(5, 2))
    END AS total_score
FROM summed;
