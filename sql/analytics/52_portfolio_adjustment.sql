-- §4 Dynamic adjustment of fields and plans (动态调整), docs/programme-management.md §4.
-- Per review year Y, for each field and each plan with reviewed projects: the measures and the first
-- suggestion whose rule holds (too_few, shrink, adjust, expand, else maintain; thresholds from the
-- rubric's `adjustment:` section). Every comparison is exact: counts against threshold × count, the
-- mean on the DECIMAL(5,2) total scores (a mean of exactly 70 or 85 is decided as such).
-- The reasons show the numbers as the tables round them, with more digits where rounding would land on a
-- threshold the value does not reach (69.998 is "69.9980 < 70", never "70.00 < 70").
-- Parameters: $review_year, $problem_min_flags, $adj_*.  Output: temp table pm_portfolio_adjustment.
CREATE OR REPLACE TEMP TABLE pm_adjustment_project AS
SELECT r.project_id,
       p.field,
       p.plan,
       r.grade,
       CAST(r.total_score AS DECIMAL(5, 2)) AS total_score,
       r.recommendation,
       m.n_warning_flags >= $problem_min_flags AS is_problem,
       m.fiscal_spent_wan,
       m.net_disbursed_wan
FROM mart.project_review AS r
JOIN mart.review_measure AS m USING (project_id, review_year)
JOIN dim_project AS p USING (project_id)
WHERE r.review_year = $review_year;

CREATE OR REPLACE TEMP TABLE pm_adjustment_counts AS
WITH grouped AS (
    SELECT 'field' AS level, field AS code, * FROM pm_adjustment_project
    UNION ALL
    SELECT 'plan', plan, * FROM pm_adjustment_project
)
SELECT level,
       code,
       count(*) AS projects,
       count(*) FILTER (WHERE grade <> 'insufficient') AS graded,
       count(total_score) FILTER (WHERE grade <> 'insufficient') AS scored,
       sum(total_score) FILTER (WHERE grade <> 'insufficient') AS score_sum,
       count(*) FILTER (WHERE grade IN ('A', 'B')) AS n_ab,
       count(*) FILTER (WHERE recommendation = 'terminate') AS n_terminate,
       count(*) FILTER (WHERE is_problem) AS n_problem,
       sum(fiscal_spent_wan) AS fiscal_spent_wan,
       sum(net_disbursed_wan) AS net_disbursed_wan
FROM grouped
GROUP BY level, code;

CREATE OR REPLACE TEMP TABLE pm_adjustment_rules AS
SELECT *,
       projects < $adj_min_projects AS is_too_few,
       n_terminate >= $adj_shrink_terminate_share * projects AS hit_terminate,
       scored > 0 AND score_sum < $adj_shrink_mean_score * scored AS hit_low_mean,
       n_problem >= $adj_adjust_problem_share * projects AS hit_problem,
       graded > 0 AND n_ab < $adj_adjust_share_ab * graded AS hit_low_ab,
       scored > 0 AND score_sum >= $adj_expand_mean_score * scored
           AND graded > 0 AND n_ab >= $adj_expand_share_ab * graded
           AND n_problem <= $adj_expand_problem_share * projects AS hit_expand,
       -- texts: values rounded as the tables show them (2 decimals, 0.1 %), with more digits (truncated toward
       -- the threshold) where rounding would land on a threshold the value does not reach
       CASE WHEN (round(CAST(score_sum AS DOUBLE) / nullif(scored, 0), 2) = $adj_shrink_mean_score
                  AND score_sum < $adj_shrink_mean_score * scored)
              OR (round(CAST(score_sum AS DOUBLE) / nullif(scored, 0), 2) = $adj_expand_mean_score
                  AND score_sum < $adj_expand_mean_score * scored)
            THEN printf('%.4f', floor(score_sum * 10000 / scored) / 10000)
            ELSE CAST(CAST(round(CAST(score_sum AS DOUBLE) / nullif(scored, 0), 2) AS DECIMAL(6, 2)) AS VARCHAR) END AS mean_txt,
       CASE WHEN (round(1000.0 * n_ab / nullif(graded, 0)) / 10 = 100 * $adj_adjust_share_ab AND n_ab < $adj_adjust_share_ab * graded)
              OR (round(1000.0 * n_ab / nullif(graded, 0)) / 10 = 100 * $adj_expand_share_ab AND n_ab < $adj_expand_share_ab * graded)
            THEN printf('%.3f%%', floor(100000.0 * n_ab / graded) / 1000)
            ELSE printf('%.1f%%', 100.0 * n_ab / nullif(graded, 0)) END AS ab_txt,
       CASE WHEN round(1000.0 * n_terminate / projects) / 10 = 100 * $adj_shrink_terminate_share
                 AND n_terminate < $adj_shrink_terminate_share * projects
            THEN printf('%.3f%%', floor(100000.0 * n_terminate / projects) / 1000)
            ELSE printf('%.1f%%', 100.0 * n_terminate / projects) END AS terminate_txt,
       CASE WHEN round(1000.0 * n_problem / projects) / 10 = 100 * $adj_adjust_problem_share
                 AND n_problem < $adj_adjust_problem_share * projects
            THEN printf('%.3f%%', floor(100000.0 * n_problem / projects) / 1000)
            WHEN round(1000.0 * n_problem / projects) / 10 = 100 * $adj_expand_problem_share
                 AND n_problem > $adj_expand_problem_share * projects
            THEN printf('%.3f%%', ceil(100000.0 * n_problem / projects) / 1000)
            ELSE printf('%.1f%%', 100.0 * n_problem / projects) END AS problem_txt
FROM pm_adjustment_counts;

-- one part of a shrink or adjust reason: shown where its rule hits, the value against the threshold
CREATE OR REPLACE TEMP MACRO pm_reason_part(hit, zh, en, value_txt, threshold_txt) AS
    CASE WHEN hit THEN {'zh': printf(zh, value_txt, threshold_txt), 'en': printf(en, value_txt, threshold_txt)} END;

CREATE OR REPLACE TEMP TABLE pm_portfolio_adjustment AS
WITH t AS (  -- thresholds as a reader writes them: 0.20 → 20%, 70.0 → 70
    SELECT rtrim(rtrim(printf('%.2f', CAST(100 * $adj_shrink_terminate_share AS DOUBLE)), '0'), '.') || '%' AS t_terminate,
           rtrim(rtrim(printf('%.2f', CAST($adj_shrink_mean_score AS DOUBLE)), '0'), '.') AS t_low_mean,
           rtrim(rtrim(printf('%.2f', CAST(100 * $adj_adjust_problem_share AS DOUBLE)), '0'), '.') || '%' AS t_problem,
           rtrim(rtrim(printf('%.2f', CAST(100 * $adj_adjust_share_ab AS DOUBLE)), '0'), '.') || '%' AS t_low_ab,
           rtrim(rtrim(printf('%.2f', CAST($adj_expand_mean_score AS DOUBLE)), '0'), '.') AS t_expand_mean,
           rtrim(rtrim(printf('%.2f', CAST(100 * $adj_expand_share_ab AS DOUBLE)), '0'), '.') || '%' AS t_expand_ab,
           rtrim(rtrim(printf('%.2f', CAST(100 * $adj_expand_problem_share AS DOUBLE)), '0'), '.') || '%' AS t_expand_problem,
           CAST($adj_min_projects AS INTEGER) AS t_min
),
decided AS (
    SELECT r.*, t.*,
           CASE
               WHEN is_too_few THEN 'too_few'
               WHEN hit_terminate OR hit_low_mean THEN 'shrink'
               WHEN hit_problem OR hit_low_ab THEN 'adjust'
               WHEN hit_expand THEN 'expand'
               ELSE 'maintain'
           END AS suggestion
    FROM pm_adjustment_rules AS r, t
),
parts AS (
    SELECT *,
           pm_reason_part(hit_terminate, '建议中止淘汰项目占 %s（≥ %s）', '%s of projects recommended for termination (≥ %s)',
               terminate_txt, t_terminate) AS why_terminate,
           pm_reason_part(hit_low_mean, '平均分 %s（< %s）', 'mean score %s (< %s)', mean_txt, t_low_mean) AS why_low_mean,
           pm_reason_part(hit_problem, '潜在问题项目占 %s（≥ %s）', '%s potential problem projects (≥ %s)',
               problem_txt, t_problem) AS why_problem,
           pm_reason_part(hit_low_ab, '优良率 %s（< %s）', '%s graded A or B (< %s)', ab_txt, t_low_ab) AS why_low_ab
    FROM decided
),
worded AS (
    SELECT *,
           CASE suggestion
               WHEN 'too_few' THEN {
                   'zh': printf('样本不足：考核项目 %d 个，少于 %d 个，不作调整建议', projects, t_min),
                   'en': printf('Too few: %d reviewed projects, fewer than %d; no suggestion', projects, t_min)}
               WHEN 'shrink' THEN {
                   'zh': '收缩：' || concat_ws('；', why_terminate.zh, why_low_mean.zh),
                   'en': 'Shrink: ' || concat_ws('; ', why_terminate.en, why_low_mean.en)}
               WHEN 'adjust' THEN {
                   'zh': '调整：' || concat_ws('；', why_problem.zh, why_low_ab.zh),
                   'en': 'Adjust: ' || concat_ws('; ', why_problem.en, why_low_ab.en)}
               WHEN 'expand' THEN {
                   'zh': printf('加大支持：平均分 %s（≥ %s），优良率 %s（≥ %s），潜在问题项目占 %s（≤ %s）',
                       mean_txt, t_expand_mean, ab_txt, t_expand_ab, problem_txt, t_expand_problem),
                   'en': printf('Expand: mean score %s (≥ %s), %s graded A or B (≥ %s), %s potential problem projects (≤ %s)',
                       mean_txt, t_expand_mean, ab_txt, t_expand_ab, problem_txt, t_expand_problem)}
               ELSE {
                   'zh': printf('维持：平均分 %s，优良率 %s，潜在问题项目占 %s，建议中止淘汰占 %s，未达到收缩、调整或加大支持的条件',
                       coalesce(mean_txt, '—'), coalesce(ab_txt, '—'), problem_txt, terminate_txt),
                   'en': printf('Maintain: mean score %s, %s A or B, %s potential problem projects, %s recommended for termination; no rule to shrink, adjust or expand holds',
                       coalesce(mean_txt, '—'), coalesce(ab_txt, '—'), problem_txt, terminate_txt)}
           END AS reason
    FROM parts
)
SELECT CAST($review_year AS INTEGER) AS review_year,
       level,
       code,
       CAST(projects AS INTEGER) AS projects,
       CAST(graded AS INTEGER) AS graded,
       CAST(score_sum AS DOUBLE) / nullif(scored, 0) AS mean_score,
       n_ab / nullif(graded, 0) AS share_ab,
       n_terminate / projects AS share_terminate,
       n_problem / projects AS problem_share,
       CAST(fiscal_spent_wan AS DOUBLE) / nullif(CAST(net_disbursed_wan AS DOUBLE), 0) AS fund_execution,
       suggestion,
       reason.zh AS reason_zh,
       reason.en AS reason_en
FROM worded
ORDER BY level, code;
