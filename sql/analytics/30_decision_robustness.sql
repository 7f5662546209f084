-- Step 3 of decision robustness — one row per reviewed project of year Y (docs/analytics.md §1):
-- margin_points  signed distance of the official total to the nearest band boundary ($band_c, $band_b,
--                $band_a: 60/80/90); a total exactly half-way between two boundaries is measured to the lower
--                one (70 → +10.00); NULL without a total
-- oat_flips      one-at-a-time scenarios whose recommendation differs from the official one
-- random_share_kept  share of the random rubrics keeping it (NULL when the rubric draws none)
-- flip_to        the most frequent other recommendation over the one-at-a-time and random scenarios together
--                (ties: the first in the order of docs/scoring.md §6); NULL if none
-- fragile        oat_flips ≥ 1, or kept by fewer than $fragile_share of the random rubrics (exact comparison
--                on the counts)
-- Parameters: $band_a, $band_b, $band_c, $fragile_share.
CREATE OR REPLACE TEMP TABLE robustness_rows AS
WITH base AS (
    SELECT project_id, review_year, total_score, grade, recommendation
    FROM sensitivity_scored
    WHERE kind = 'base'
),
oat AS (
    SELECT s.project_id, s.recommendation, count(*) AS rubrics
    FROM sensitivity_scored AS s
    JOIN base AS b USING (project_id)
    WHERE s.kind = 'oat' AND s.recommendation <> b.recommendation
    GROUP BY s.project_id, s.recommendation
),
random AS (
    SELECT y.project_id, r.recommendation, r.recommendation = b.recommendation AS kept, r.rubrics
    FROM sensitivity_random AS r
    JOIN sensitivity_year AS y USING (pidx)
    JOIN base AS b ON b.project_id = y.project_id
),
tally AS (
    SELECT
        b.project_id,
        coalesce(o.changed, 0) AS oat_flips,
        r.n_random,
        coalesce(r.n_random_kept, 0) AS n_random_kept
    FROM base AS b
    LEFT JOIN (SELECT project_id, sum(rubrics) AS changed FROM oat GROUP BY project_id) AS o USING (project_id)
    LEFT JOIN (
        SELECT project_id, sum(rubrics) AS n_random, sum(rubrics) FILTER (WHERE kept) AS n_random_kept
        FROM random
        GROUP BY project_id
    ) AS r USING (project_id)
),
counted AS (
    -- a decision the points cannot change (step 1: veto, stalled, ended) is kept by every random rubric
    SELECT
        t.project_id,
        t.oat_flips,
        CASE WHEN y.points_irrelevant THEN (SELECT count(*) FROM sensitivity_scenario WHERE kind = 'random')
             ELSE t.n_random END AS n_random,
        CASE WHEN y.points_irrelevant THEN (SELECT count(*) FROM sensitivity_scenario WHERE kind = 'random')
             ELSE t.n_random_kept END AS n_random_kept
    FROM tally AS t
    JOIN sensitivity_year AS y USING (project_id)
),
flip AS (
    -- the other recommendations, counted over the one-at-a-time and the random scenarios together
    SELECT project_id, recommendation AS flip_to
    FROM (
        SELECT project_id, recommendation, rubrics FROM oat
        UNION ALL
        SELECT project_id, recommendation, rubrics FROM random WHERE NOT kept
    )
    GROUP BY project_id, recommendation
    QUALIFY row_number() OVER (
        PARTITION BY project_id
        ORDER BY sum(rubrics) DESC,
            list_position(['terminate', 'acceptance_review', 'suspend_funding', 'rectify', 'rolling_support'], recommendation)
    ) = 1
),
margin AS (
    -- distances to the three boundaries, on exact decimals; the nearest wins, the lower one on a tie
    SELECT
        project_id,
        CASE
            WHEN abs(to_c) <= abs(to_b) AND abs(to_c) <= abs(to_a) THEN to_c
            WHEN abs(to_b) <= abs(to_a) THEN to_b
            ELSE to_a
        END AS margin_points
    FROM (
        SELECT project_id, total_score - $band_c AS to_c, total_score - $band_b AS to_b, total_score - $band_a AS to_a
        FROM base
        WHERE total_score IS NOT NULL
    )
)
SELECT
    b.project_id,
    CAST(b.review_year AS INTEGER) AS review_year,
    b.grade,
    b.recommendation,
    CAST(b.total_score AS DOUBLE) AS total_score,
    CAST(m.margin_points AS DOUBLE) AS margin_points,
    CAST(coalesce(t.oat_flips, 0) AS INTEGER) AS oat_flips,
    CASE WHEN t.n_random > 0 THEN t.n_random_kept / t.n_random END AS random_share_kept,
    f.flip_to,
    coalesce(t.oat_flips, 0) >= 1 OR coalesce(t.n_random > 0 AND t.n_random_kept < $fragile_share * t.n_random, false)
        AS fragile
FROM base AS b
LEFT JOIN counted AS t USING (project_id)
LEFT JOIN flip AS f USING (project_id)
LEFT JOIN margin AS m USING (project_id);
