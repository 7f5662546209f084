-- Step 2d — expert panel of review year Y (docs/scoring.md §2, §5 veto, §9 trimming).
-- With $trim_min_experts (5) or more scores, drop exactly one instance of the highest and one of the
-- lowest score, ties or not (去掉一个最高分和一个最低分), then take the mean; else the plain mean.
CREATE OR REPLACE TEMP TABLE review_experts AS
SELECT
    e.project_id,
    count(*) AS n_experts,
    count(e.score) >= $trim_min_experts AS trimmed,
    CASE
        WHEN count(e.score) >= $trim_min_experts
            THEN (sum(e.score) - max(e.score) - min(e.score)) / (count(e.score) - 2)
        ELSE avg(e.score)
    END AS expert_score,
    max(e.score) AS max_score,
    min(e.score) AS min_score,
    bool_or(e.veto) AS veto,
    count(*) FILTER (WHERE e.veto) AS n_veto
FROM review_scope AS s
JOIN fact_expert_review AS e
    ON e.project_id = s.project_id AND e.review_year = s.review_year
GROUP BY e.project_id;
