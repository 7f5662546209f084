-- Step 2b — money at the as-of date A (docs/scoring.md §2, §9).
-- D = Σ disbursements − Σ recoveries with payment_date ≤ A, every source counted.
-- Progress values at A = the latest report whose quarter ends on or before A (the period decides,
-- not submitted_date); with no such report every progress value is 0.
CREATE OR REPLACE TEMP TABLE review_funds AS
WITH pay AS (
    SELECT
        s.project_id,
        sum(d.signed_amount_wan) AS net_disbursed_wan,
        sum(d.amount_wan) FILTER (WHERE d.kind = 'disbursement') AS disbursed_wan,
        sum(d.amount_wan) FILTER (WHERE d.kind = 'recovery') AS recovered_wan,
        -- "the first disbursement" is the earliest payment of kind disbursement (§9)
        min(d.payment_date) FILTER (WHERE d.kind = 'disbursement') AS first_disbursement_date
    FROM review_scope AS s
    JOIN fact_disbursement AS d USING (project_id)
    WHERE d.payment_date <= s.as_of_date
    GROUP BY s.project_id
),
latest AS (
    SELECT
        s.project_id,
        r.period AS latest_period,
        r.fiscal_spent_wan,
        r.self_arrived_wan,
        r.total_spent_wan
    FROM review_scope AS s
    JOIN fact_progress AS r USING (project_id)
    WHERE r.period_end <= s.as_of_date
    QUALIFY row_number() OVER (PARTITION BY s.project_id ORDER BY r.period_end DESC) = 1
),
year_reports AS (
    -- missing_report input (§5, §9): any report whose period is in year Y
    SELECT s.project_id, count(*) AS n_reports_in_year
    FROM review_scope AS s
    JOIN fact_progress AS r USING (project_id)
    WHERE r.period_year = s.review_year
    GROUP BY s.project_id
)
SELECT
    s.project_id,
    coalesce(pay.net_disbursed_wan, 0) AS net_disbursed_wan,
    coalesce(pay.disbursed_wan, 0) AS disbursed_wan,
    coalesce(pay.recovered_wan, 0) AS recovered_wan,
    pay.first_disbursement_date,
    latest.latest_period,
    coalesce(latest.fiscal_spent_wan, 0) AS fiscal_spent_wan,
    coalesce(latest.self_arrived_wan, 0) AS self_arrived_wan,
    coalesce(latest.total_spent_wan, 0) AS total_spent_wan,
    coalesce(y.n_reports_in_year, 0) AS n_reports_in_year,
    -- E = fiscal_spent(A) / D; NULL when D ≤ 0 (§9); 0 when no report yet. Stored as DOUBLE for
    -- display; every decision on E is taken on the exact decimals below (§10).
    CASE
        WHEN coalesce(pay.net_disbursed_wan, 0) > 0
        THEN coalesce(latest.fiscal_spent_wan, 0) / pay.net_disbursed_wan
    END AS fund_execution_rate,
    -- R = self_arrived(A) / (self_funding × f), f = elapsed_days / total_days; NULL when
    -- self_funding = 0 or f = 0
    CASE
        WHEN s.self_funding_wan > 0 AND s.elapsed_days > 0
        THEN coalesce(latest.self_arrived_wan, 0) * s.total_days / (s.self_funding_wan * s.elapsed_days)
    END AS self_funding_arrival_rate,
    s.self_funding_wan * s.elapsed_fraction AS self_expected_wan,
    -- Exact comparisons by cross-multiplication (D > 0, self_funding × elapsed_days > 0 where used):
    -- E ≥ exec_target (full points), E < low_exec_rate, R ≥ 1 (full points), R < self_gap_rate.
    coalesce(latest.fiscal_spent_wan, 0) >= $exec_target * coalesce(pay.net_disbursed_wan, 0) AS e_full,
    coalesce(latest.fiscal_spent_wan, 0) < $low_exec_rate * coalesce(pay.net_disbursed_wan, 0) AS e_low,
    coalesce(latest.self_arrived_wan, 0) * s.total_days >= s.self_funding_wan * s.elapsed_days AS r_full,
    coalesce(latest.self_arrived_wan, 0) * s.total_days
        < $self_gap_rate * s.self_funding_wan * s.elapsed_days AS r_low
FROM review_scope AS s
LEFT JOIN pay USING (project_id)
LEFT JOIN latest USING (project_id)
LEFT JOIN year_reports AS y USING (project_id);
