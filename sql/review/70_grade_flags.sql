-- Step 4–5 — grade (docs/scoring.md §4, §9) and early-warning flags (§5, §9).
CREATE OR REPLACE TEMP TABLE review_graded AS
WITH flagged AS (
    SELECT
        p.*,
        m.n_milestones,
        m.n_due,
        m.n_done,
        m.n_on_time,
        m.n_long_overdue,
        m.oldest_overdue_planned,
        m.n_done_in_window,
        f.net_disbursed_wan,
        f.fiscal_spent_wan,
        f.self_arrived_wan,
        f.total_spent_wan,
        f.first_disbursement_date,
        f.n_reports_in_year,
        -- stalled: a milestone not done with days(A − planned) > 180, and no completed_date with
        -- 0 ≤ days(A − completed) ≤ 364
        (m.n_long_overdue > 0 AND m.n_done_in_window = 0) AS f_stalled,
        -- low_execution: E < 0.3 and days(A − first disbursement) ≥ 365
        -- (E applies only when D > 0; e_low is fiscal < rate × D on exact decimals, §10)
        coalesce(
            p.fund_execution_rate IS NOT NULL AND f.e_low
            AND datediff('day', f.first_disbursement_date, p.as_of_date) >= $low_exec_days,
            false
        ) AS f_low_execution,
        -- self_funds_gap: R < 0.5 (r_low: arrived × total_days < rate × self × elapsed_days, exact)
        coalesce(p.self_funding_arrival_rate IS NOT NULL AND f.r_low, false) AS f_self_funds_gap,
        -- missing_report: no report for any quarter of Y although start_date ≤ the rubric's cut-off
        -- day of Y (30 September), inclusive
        (f.n_reports_in_year = 0
            AND p.start_date <= make_date(p.review_year, $report_cutoff_month, $report_cutoff_day)) AS f_missing_report,
        -- overspend: fiscal_spent(A) > D + tolerance, on exact decimals
        (f.fiscal_spent_wan > f.net_disbursed_wan + $overspend_tolerance) AS f_overspend,
        -- veto: an expert review of year Y has veto = true (一票否决)
        p.veto AS f_veto
    FROM review_points AS p
    JOIN review_milestones AS m USING (project_id)
    JOIN review_funds AS f USING (project_id)
)
SELECT
    *,
    -- §4: veto → D whatever the score or coverage; then insufficient data; then the bands on the
    -- rounded total_score
    CASE
        WHEN f_veto THEN 'D'
        WHEN total_score IS NULL OR applicable_points < $min_coverage * 100 THEN 'insufficient'
        WHEN total_score >= $band_a THEN 'A'
        WHEN total_score >= $band_b THEN 'B'
        WHEN total_score >= $band_c THEN 'C'
        ELSE 'D'
    END AS grade,
    -- flag codes in alphabetical order, comma-separated, '' if none (concat_ws skips NULLs)
    concat_ws(',',
        CASE WHEN f_low_execution THEN 'low_execution' END,
        CASE WHEN f_missing_report THEN 'missing_report' END,
        CASE WHEN f_overspend THEN 'overspend' END,
        CASE WHEN f_self_funds_gap THEN 'self_funds_gap' END,
        CASE WHEN f_stalled THEN 'stalled' END,
        CASE WHEN f_veto THEN 'veto' END
    ) AS flags,
    -- flags other than veto, for the "potential problem project" count (§5)
    f_low_execution::INTEGER + f_missing_report::INTEGER + f_overspend::INTEGER
        + f_self_funds_gap::INTEGER + f_stalled::INTEGER AS n_warning_flags
FROM flagged;
