-- Step 2c — KPI target achievement at the as-of date A (docs/scoring.md §2, §9).
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
    -- f_i as the exact pair fi_num / fi_den (days), so the comparisons below are exact (§10)
    SELECT
        s.project_id,
        t.indicator,
        t.kind,
        t.target_value,
        t.due_date,
        CASE
            WHEN t.due_date <= s.start_date THEN CASE WHEN s.as_of_date >= t.due_date THEN 1 ELSE 0 END
            ELSE least(greatest(datediff('day', s.start_date, s.as_of_date), 0), datediff('day', s.start_date, t.due_date))
        END AS fi_num,
        CASE
            WHEN t.due_date <= s.start_date THEN 1
            ELSE datediff('day', s.start_date, t.due_date)
        END AS fi_den,
        coalesce(a.value, 0) AS actual
    FROM review_scope AS s
    JOIN fact_kpi_target AS t USING (project_id)
    LEFT JOIN actual_at_a AS a USING (project_id, indicator)
)
SELECT
    *,
    fi_num / fi_den AS f_i,
    target_value * fi_num / fi_den AS expected,
    target_value * fi_num > 0 AS counts,
    CASE WHEN target_value * fi_num > 0 THEN actual * fi_den / (target_value * fi_num) END AS ratio,
    -- r_i ≥ 1, decided exactly: actual × den ≥ target × num
    actual * fi_den >= target_value * fi_num AS ratio_full
FROM targets;

-- Per project: output / outcome achievement = mean of min(r_i, 1) over the counted indicators of
-- that kind; NULL where none counts (§2).
CREATE OR REPLACE TEMP TABLE review_kpi AS
SELECT
    s.project_id,
    count(t.indicator) FILTER (WHERE t.counts AND t.kind = 'output') AS n_output,
    count(t.indicator) FILTER (WHERE t.counts AND t.kind = 'outcome') AS n_outcome,
    count(t.indicator) FILTER (WHERE t.counts AND t.kind = 'output' AND NOT t.ratio_full) AS n_output_short,
    count(t.indicator) FILTER (WHERE t.counts AND t.kind = 'outcome' AND NOT t.ratio_full) AS n_outcome_short,
    avg(CASE WHEN t.ratio_full THEN 1.0 ELSE t.ratio END) FILTER (WHERE t.counts AND t.kind = 'output')
        AS output_achievement,
    avg(CASE WHEN t.ratio_full THEN 1.0 ELSE t.ratio END) FILTER (WHERE t.counts AND t.kind = 'outcome')
        AS outcome_achievement
FROM review_scope AS s
LEFT JOIN review_kpi_target AS t USING (project_id)
GROUP BY s.project_id;
