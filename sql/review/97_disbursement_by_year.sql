-- Step 7b — the programme's money per calendar year, measured at the as-of date A of review year Y
-- (mart.disbursement_by_year): disbursed, recovered and net of every project and source up to A,
-- against the programme's annual budget ($annual_budget_wan) in the years of its period
-- ($period_start .. $period_end; docs/programme.md). The summary's budget targets read this table.
CREATE OR REPLACE TEMP TABLE review_disbursement_by_year AS
SELECT
    CAST($review_year AS INTEGER) AS review_year,
    d.payment_year,
    coalesce(sum(d.amount_wan) FILTER (WHERE d.kind = 'disbursement'), 0) AS disbursed_wan,
    coalesce(sum(d.amount_wan) FILTER (WHERE d.kind = 'recovery'), 0) AS recovered_wan,
    sum(d.signed_amount_wan) AS net_disbursed_wan,
    CASE WHEN d.payment_year BETWEEN $period_start AND $period_end THEN $annual_budget_wan END AS budget_wan
FROM fact_disbursement AS d
WHERE d.payment_date <= CAST($as_of AS DATE)
GROUP BY d.payment_year;
