-- Step 7 — earned value and earned schedule, reported, not scored (docs/scoring.md §7, §9).

-- The cumulative planned curve: t_0 = start_date, P_0 = 0; then one step per distinct planned date
-- (milestones that share a planned date are one step), P_k = Σ_{j≤k} w_j.
-- Milestones planned before start_date count from start_date (§10: no negative es_days). P is kept
-- as the exact cumulative raw weight (cum_weight) for the comparison with EVw below, and as the
-- share (p) for the interpolation.
CREATE OR REPLACE TEMP TABLE review_schedule_curve AS
WITH steps AS (
    SELECT
        f.project_id,
        greatest(f.planned_date, s.start_date) AS t,
        sum(f.weight_share) AS w,
        sum(f.weight) AS w_raw
    FROM review_scope AS s
    JOIN fact_milestone AS f USING (project_id)
    GROUP BY f.project_id, greatest(f.planned_date, s.start_date)
)
SELECT s.project_id, 0 AS k, s.start_date AS t, 0.0 AS p, CAST(0 AS DECIMAL(38, 4)) AS cum_weight
FROM review_scope AS s
WHERE s.project_id IN (SELECT project_id FROM steps)
UNION ALL
SELECT
    project_id,
    row_number() OVER (PARTITION BY project_id ORDER BY t) AS k,
    t,
    sum(w) OVER (PARTITION BY project_id ORDER BY t ROWS UNBOUNDED PRECEDING) AS p,
    sum(w_raw) OVER (PARTITION BY project_id ORDER BY t ROWS UNBOUNDED PRECEDING) AS cum_weight
FROM steps;

-- C = the last k with P_k ≤ EVw, decided on the exact weights (cum_weight ≤ done_weight).
-- es_days = days(t_C − t_0) + (EVw − P_C) / (P_{C+1} − P_C) × days(t_{C+1} − t_C),
-- just days(t_C − t_0) when C is the last point.
CREATE OR REPLACE TEMP TABLE review_earned_schedule AS
WITH segments AS (
    SELECT
        c.*,
        lead(c.t) OVER w AS t_next,
        lead(c.p) OVER w AS p_next,
        lead(c.cum_weight) OVER w AS cum_weight_next
    FROM review_schedule_curve AS c
    WINDOW w AS (PARTITION BY c.project_id ORDER BY c.k)
),
point_c AS (
    SELECT g.*, m.done_weight
    FROM segments AS g
    JOIN review_milestones AS m USING (project_id)
    WHERE g.cum_weight <= m.done_weight
    QUALIFY row_number() OVER (PARTITION BY g.project_id ORDER BY g.k DESC) = 1
)
SELECT
    c.project_id,
    c.k AS es_step,
    datediff('day', s.start_date, c.t)
        + CASE
            WHEN c.t_next IS NULL THEN 0.0
            ELSE (c.done_weight - c.cum_weight) / (c.cum_weight_next - c.cum_weight)
                * datediff('day', c.t, c.t_next)
        END AS es_days
FROM point_c AS c
JOIN review_scope AS s USING (project_id);

-- bac = approved + self funding; pv = bac × PVw; ev = bac × EVw; ac = total_spent(A);
-- cpi = ev / ac; eac = bac / cpi; tcpi = (bac − ev) / (bac − ac); NULL wherever a denominator is 0.
-- spi_t = es_days / AT, AT = days(A − start), or days(last completed − start) when every milestone
-- is done by A; NULL when AT = 0 or the project has no milestones.
CREATE OR REPLACE TEMP TABLE review_ev AS
WITH base AS (
    SELECT
        s.project_id,
        s.approved_funding_wan + s.self_funding_wan AS bac,
        m.pv_w,
        m.ev_w,
        f.total_spent_wan AS ac,
        es.es_days,
        CASE
            WHEN m.n_milestones > 0 AND m.n_done = m.n_milestones
                THEN datediff('day', s.start_date, m.last_completed_date)
            ELSE datediff('day', s.start_date, s.as_of_date)
        END AS at_days
    FROM review_scope AS s
    JOIN review_milestones AS m USING (project_id)
    JOIN review_funds AS f USING (project_id)
    LEFT JOIN review_earned_schedule AS es USING (project_id)
)
SELECT
    project_id,
    bac,
    bac * pv_w AS pv,
    bac * ev_w AS ev,
    ac,
    bac * ev_w / nullif(ac, 0) AS cpi,
    bac / nullif(bac * ev_w / nullif(ac, 0), 0) AS eac,
    -- tcpi is meaningless once the budget is spent (ac ≥ bac, §10): NULL, and the reasons say so.
    -- "+ 0.0" turns a −0.0 (bac = ev) into 0.0.
    CASE WHEN ac < bac THEN (bac - bac * ev_w) / (bac - ac) + 0.0 END AS tcpi,
    es_days,
    at_days,
    es_days / nullif(at_days, 0) AS spi_t
FROM base;
