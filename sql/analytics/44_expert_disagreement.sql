-- Signal expert_disagreement 专家意见分歧 (docs/analytics.md §2). Fires when the year-Y panel has at least
-- $panel_min_experts (3) experts and its highest and lowest score differ by at least $panel_spread (30) points,
-- compared on the exact decimal scores. The panel's size and extremes are the review's (mart.review_measure);
-- the individual scores named in the evidence are read from fact_expert_review.
CREATE OR REPLACE TEMP TABLE signal_expert_disagreement AS
WITH split AS (
    SELECT project_id, review_year, n_experts, expert_max, expert_min, expert_max - expert_min AS spread
    FROM signal_scope
    WHERE n_experts >= $panel_min_experts AND expert_max - expert_min >= $panel_spread
),
scores AS (
    SELECT
        e.project_id,
        list({'expert_id': e.expert_id, 'score': e.score} ORDER BY e.score DESC, e.expert_id) AS panel,
        list(printf('%s %g', e.expert_id, e.score) ORDER BY e.score DESC, e.expert_id) AS named
    FROM fact_expert_review AS e
    JOIN split AS s ON s.project_id = e.project_id AND e.review_year = s.review_year
    GROUP BY e.project_id
)
SELECT
    s.project_id,
    s.review_year,
    'expert_disagreement' AS signal,
    json_object('experts', s.n_experts, 'max_score', s.expert_max, 'min_score', s.expert_min, 'spread', s.spread,
        'panel_spread', $panel_spread, 'scores', c.panel) AS evidence,
    printf('%d 年专家组 %d 名专家评分最高 %g、最低 %g，相差 %g 分（不少于 %g 分）：%s',
        s.review_year, s.n_experts, s.expert_max, s.expert_min, s.spread, $panel_spread,
        array_to_string(c.named, '、')) AS text_zh,
    printf('The %d panel of %d experts scored from %g to %g, %g points apart (at least %g): %s',
        s.review_year, s.n_experts, s.expert_min, s.expert_max, s.spread, $panel_spread,
        array_to_string(c.named, ', ')) AS text_en
FROM split AS s
JOIN scores AS c USING (project_id);
