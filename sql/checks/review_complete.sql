-- Asset check for project_review (issue 3): every project due for review in $review_year has exactly
-- one score row, and every total_score is within 0-100.
-- Due for review (docs/scoring.md §1): start_date <= A, end_date >= Y-01-01, and not terminated in an
-- earlier year (the recorded decision of that year, else that year's recommendation, is terminate).
WITH due AS (
    SELECT p.project_id
    FROM dim_project AS p
    WHERE p.start_date <= $as_of
      AND p.end_date >= make_date($review_year, 1, 1)
      AND NOT EXISTS (
          SELECT 1
          FROM $schema_project_review AS r
          LEFT JOIN fact_review_decision AS d
              ON d.project_id = r.project_id AND d.review_year = r.review_year
          WHERE r.project_id = p.project_id
            AND r.review_year < $review_year
            AND coalesce(d.decision, r.recommendation) = 'terminate'
      )
),
scored AS (
    SELECT project_id, count(*) AS n, min(total_score) AS lo, max(total_score) AS hi
    FROM $schema_project_review
    WHERE review_year = $review_year
    GROUP BY project_id
)
SELECT
    (SELECT count(*) FROM due) AS due,
    (SELECT count(*) FROM scored) AS scored,
    (SELECT count(*) FROM due LEFT JOIN scored USING (project_id) WHERE scored.n IS NULL) AS missing,
    (SELECT count(*) FROM scored WHERE project_id NOT IN (SELECT project_id FROM due)) AS unexpected,
    (SELECT count(*) FROM scored WHERE n > 1) AS duplicated,
    (SELECT count(*) FROM scored WHERE lo < 0 OR hi > 100) AS out_of_range
