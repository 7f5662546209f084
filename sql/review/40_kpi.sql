-- Step 2c — KPI target achievement at the as-of date A (SCORING.md §2, §9).
-- One row per target: f_i = clamp(days(A − start) / days(due_i − start), 0, 1), or, when due_i is on
-- or before start_date, 1 once A ≥ due_i else 0 (§9). Expected x_i = target × f_i; actual = the
-- latest cumulative value whose quarter ends on or before A (0 if none); r_i = actual / x_i.
-- Targets with x_i = 0 are skipped (counts = false).
CREATE OR REPLACE TEMP TABLE review_kpi_target AS
WITH actual_at_a AS (
    SELECT
        s.project_id,
        k.indicator,
        k.value
    FROM review_scope AS s
    JOIN fact_kpi AS k USING (project_id)
    WHERE k.period_end <= s.as_of_date
    QUALIFY row_number() OVER (PARTITION BY s.project_id, k.indicator ORDER BY k.period_end DESC) = 1
),
targets AS (
    SELECT
        s.project_id,
        t.indicator,
        t.kind,
        t.target_value,
        t.due_date,
        CASE
            WHEN t.due_date <= s.start_date
                THEN CASE WHEN s.as_of_date >= t.due_date THEN 1.0 ELSE 0.0 END
            ELSE greatest(0.0, least(1.0,
                datediff('day', s.start_date, s.as_of_date) / datediff('day', s.start_date, t.due_date)
            ))
        END AS f_i,
        coalesce(a.value, 0.0) AS actual
    FROM review_scope AS s
    JOIN fact_kpi_target AS t USING (project_id)
    LEFT JOIN actual_at_a AS a USING (project_id, indicator)
)
SELECT
    *,
    target_value * f_i AS expected,
    target_value * f_i > 0 AS counts,
    CASE WHEN target_value * f_i > 0 THEN actual / (target_value * f_i) END AS ratio
FROM targets;

-- Per project: output / outcome achievement = mean of min(r_i, 1) over the counted indicators of
-- that kind; NULL where none counts (§2).
CREATE OR REPLACE TEMP TABLE review_kpi AS
SELECT
    s.project_id,
    count(t.indicator) FILTER (WHERE t.counts AND t.kind = 'output') AS n_output,
    count(t.indicator) FILTER (WHERE t.counts AND t.kind = 'outcome') AS n_outcome,
    count(t.indicator) FILTER (WHERE t.counts AND t.kind = 'output' AND t.ratio < 1) AS n_output_short,
    count(t.indicator) FILTER (WHERE t.counts AND t.kind = 'outcome' AND t.ratio < 1) AS n_outcome_short,
    avg(least(t.ratio, 1.0)) FILTER (WHERE t.counts AND t.kind = 'output') AS output_achievement,
    avg(least(t.ratio, 1.0)) FILTER (WHERE t.counts AND t.kind = 'outcome') AS outcome_achievement
FROM review_scope AS s
LEFT JOIN review_kpi_target AS t USING (project_id)
GROUP BY s.project_id;
