-- Signal year_end_rush 年底突击花钱 (docs/analytics.md §2). Fires for a project of year Y that reported both
-- YQ3 and YQ4 and whose fiscal spending in Q4 (fiscal at YQ4 − fiscal at YQ3) is at least $rush_share of the
-- year's fiscal spending (fiscal at YQ4 − fiscal at (Y−1)Q4), which is at least $rush_min_wan 万元.
-- "Fiscal at" a quarter is the cumulative fiscal_spent_wan of the latest report whose quarter ends by that
-- quarter's end (docs/scoring.md §1), 0 before the first report. Quarterly values are raw evidence the review
-- does not keep (it measures the value at A only), so they are read from fact_progress.
-- Every comparison is on exact decimals (money is DECIMAL; $rush_share is bound as a decimal).
CREATE OR REPLACE TEMP TABLE signal_year_end_rush AS
WITH quarters AS (
    SELECT
        s.project_id,
        s.review_year,
        any_value(r.fiscal_spent_wan) FILTER (WHERE r.period_year = s.review_year AND r.period_quarter = 3) AS fiscal_q3,
        any_value(r.fiscal_spent_wan) FILTER (WHERE r.period_year = s.review_year AND r.period_quarter = 4) AS fiscal_q4,
        count(*) FILTER (WHERE r.period_year = s.review_year AND r.period_quarter IN (3, 4)) AS n_q3_q4,
        arg_max(r.fiscal_spent_wan, r.period_end) FILTER (WHERE r.period_year < s.review_year) AS fiscal_prev_q4,
        max(r.period) FILTER (WHERE r.period_year < s.review_year) AS prev_period
    FROM signal_scope AS s
    JOIN fact_progress AS r USING (project_id)
    WHERE r.period_year <= s.review_year
    GROUP BY s.project_id, s.review_year
),
spent AS (
    SELECT
        *,
        coalesce(fiscal_prev_q4, 0) AS fiscal_start,
        fiscal_q4 - fiscal_q3 AS q4_spent_wan,
        fiscal_q4 - coalesce(fiscal_prev_q4, 0) AS year_spent_wan
    FROM quarters
    WHERE n_q3_q4 = 2
)
SELECT
    project_id,
    review_year,
    'year_end_rush' AS signal,
    json_object(
        'q3_period', printf('%dQ3', review_year), 'fiscal_q3_wan', fiscal_q3,
        'q4_period', printf('%dQ4', review_year), 'fiscal_q4_wan', fiscal_q4,
        'start_period', prev_period, 'fiscal_start_wan', fiscal_start,
        'q4_spent_wan', q4_spent_wan, 'year_spent_wan', year_spent_wan,
        'q4_share', q4_spent_wan / year_spent_wan,
        'rush_share', $rush_share, 'rush_min_wan', $rush_min_wan
    ) AS evidence,
    printf('%d 年第四季度财政资金支出 %.2f 万元（%dQ4 累计 %.2f − %dQ3 累计 %.2f），占全年财政资金支出 %.2f 万元'
        || '（%dQ4 累计 %.2f − %s %.2f）的 %.1f%%，达到 %g%% 且全年支出不少于 %g 万元',
        review_year, q4_spent_wan, review_year, fiscal_q4, review_year, fiscal_q3, year_spent_wan,
        review_year, fiscal_q4, coalesce(prev_period || ' 累计', '上年末无报告'), fiscal_start,
        100 * q4_spent_wan / year_spent_wan, 100 * $rush_share, $rush_min_wan) AS text_zh,
    printf('Q4 %d fiscal spending %.2f 万元 (%dQ4 cumulative %.2f − %dQ3 cumulative %.2f) is %.1f%% of the year''s '
        || 'fiscal spending %.2f 万元 (%dQ4 cumulative %.2f − %s %.2f): at least %g%%, and the year at least %g 万元',
        review_year, q4_spent_wan, review_year, fiscal_q4, review_year, fiscal_q3,
        100 * q4_spent_wan / year_spent_wan, year_spent_wan, review_year, fiscal_q4,
        coalesce(prev_period || ' cumulative', 'no report by the end of the year before'), fiscal_start,
        100 * $rush_share, $rush_min_wan) AS text_en
FROM spent
WHERE year_spent_wan >= $rush_min_wan
  AND q4_spent_wan >= $rush_share * year_spent_wan;
