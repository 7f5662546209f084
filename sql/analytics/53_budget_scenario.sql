-- §5 Budget what-if (资金调整测算), docs/programme-management.md §5 — a SCENARIO, never an official figure.
-- Per project recommended terminate: released = max(0, approved − D) + clawback; recommended
-- suspend_funding: held = max(0, approved − D); D = net disbursed at A (mart.review_measure).
-- The year's released total goes to the fields whose suggestion (mart.portfolio_adjustment, level
-- field) is expand and that have rolling_support projects — if there are none, to such fields whose
-- suggestion is maintain — pro rata to the approved funding of their rolling_support projects, in
-- 0.0001 万元 units by largest remainder (ties: field code), so Σ reallocated = Σ released exactly.
-- With no receiving field the total stays in one row whose field is NULL (未分配 / unallocated).
-- Parameters: $review_year.  Output: temp table pm_budget_scenario.
CREATE OR REPLACE TEMP TABLE pm_budget_field AS
SELECT p.field,
       sum(CASE WHEN r.recommendation = 'terminate'
                THEN greatest(CAST(p.approved_funding_wan AS DECIMAL(18, 4)) - m.net_disbursed_wan, 0) + r.clawback_wan
                ELSE 0 END) AS released_wan,
       sum(CASE WHEN r.recommendation = 'suspend_funding'
                THEN greatest(CAST(p.approved_funding_wan AS DECIMAL(18, 4)) - m.net_disbursed_wan, 0)
                ELSE 0 END) AS held_wan,
       sum(CASE WHEN r.recommendation = 'rolling_support' THEN CAST(p.approved_funding_wan AS DECIMAL(18, 4)) ELSE 0 END)
           AS rolling_approved_wan,
       count(*) FILTER (WHERE r.recommendation = 'rolling_support') AS rolling_projects
FROM mart.project_review AS r
JOIN mart.review_measure AS m USING (project_id, review_year)
JOIN dim_project AS p USING (project_id)
WHERE r.review_year = $review_year
GROUP BY p.field;

-- the receivers: expand fields with rolling_support projects, else maintain fields with them
CREATE OR REPLACE TEMP TABLE pm_budget_receiver AS
WITH candidates AS (
    SELECT f.field, f.rolling_approved_wan, a.suggestion
    FROM pm_budget_field AS f
    JOIN mart.portfolio_adjustment AS a
      ON a.review_year = $review_year AND a.level = 'field' AND a.code = f.field
    WHERE f.rolling_projects > 0 AND f.rolling_approved_wan > 0 AND a.suggestion IN ('expand', 'maintain')
),
basis AS (
    SELECT CASE WHEN bool_or(suggestion = 'expand') THEN 'expand' ELSE 'maintain' END AS basis FROM candidates
)
SELECT c.field, c.rolling_approved_wan, c.suggestion AS basis
FROM candidates AS c, basis AS b
WHERE c.suggestion = b.basis;

CREATE OR REPLACE TEMP TABLE pm_budget_allocation AS
WITH total AS (
    SELECT CAST(round(coalesce(sum(released_wan), 0) * 10000) AS HUGEINT) AS units FROM pm_budget_field
),
weights AS (
    SELECT field, CAST(round(rolling_approved_wan * 10000) AS HUGEINT) AS w,
           sum(CAST(round(rolling_approved_wan * 10000) AS HUGEINT)) OVER () AS w_total
    FROM pm_budget_receiver
),
shares AS (
    SELECT w.field, (t.units * w.w) // w.w_total AS base, (t.units * w.w) % w.w_total AS remainder, t.units
    FROM weights AS w, total AS t
),
ranked AS (
    SELECT *, row_number() OVER (ORDER BY remainder DESC, field) AS rank_no,
           units - sum(base) OVER () AS leftover
    FROM shares
)
SELECT field, CAST((base + CASE WHEN rank_no <= leftover THEN 1 ELSE 0 END) AS DECIMAL(38, 0)) / 10000 AS reallocated_wan
FROM ranked;

CREATE OR REPLACE TEMP TABLE pm_budget_scenario AS
WITH year_basis AS (
    SELECT CASE
               WHEN (SELECT coalesce(sum(released_wan), 0) FROM pm_budget_field) = 0 THEN 'none'
               WHEN EXISTS (SELECT 1 FROM pm_budget_receiver) THEN (SELECT any_value(basis) FROM pm_budget_receiver)
               ELSE 'unallocated'
           END AS basis
),
rows AS (
    SELECT f.field,
           f.released_wan,
           f.held_wan,
           coalesce(a.reallocated_wan, 0) AS reallocated_wan
    FROM pm_budget_field AS f
    LEFT JOIN pm_budget_allocation AS a USING (field)
    UNION ALL
    SELECT NULL, 0, 0, sum(released_wan)
    FROM pm_budget_field
    HAVING sum(released_wan) > 0 AND NOT EXISTS (SELECT 1 FROM pm_budget_receiver)
)
SELECT CAST($review_year AS INTEGER) AS review_year,
       'what_if' AS scenario,
       r.field,
       CAST(r.released_wan AS DECIMAL(18, 4)) AS released_wan,
       CAST(r.held_wan AS DECIMAL(18, 4)) AS held_wan,
       CAST(r.reallocated_wan AS DECIMAL(18, 4)) AS reallocated_wan,
       b.basis
FROM rows AS r, year_basis AS b
WHERE r.released_wan > 0 OR r.held_wan > 0 OR r.reallocated_wan > 0
ORDER BY r.field NULLS LAST;
