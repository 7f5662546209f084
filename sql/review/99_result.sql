-- Step 8 — assemble the project_review rows of year Y (docs/data-contract.md "Output contract"); scorecard/review.py
-- inserts them by name into <schema>.project_review in one transaction with the reasons.
CREATE OR REPLACE TEMP TABLE review_result AS
SELECT
    r.project_id,
    r.review_year,
    r.as_of_date,
    r.status,
    r.elapsed_fraction,
    r.spi,
    r.on_time_rate,
    r.fund_execution_rate,
    r.self_funding_arrival_rate,
    r.output_achievement,
    r.outcome_achievement,
    r.expert_score,
    r.score_process,
    r.score_output,
    r.score_outcome,
    r.score_expert,
    r.coverage,
    r.total_score,
    r.grade,
    r.flags,
    r.recommendation,
    r.clawback_wan,
    v.bac,
    v.pv,
    v.ev,
    v.ac,
    v.cpi,
    v.eac,
    v.tcpi,
    v.es_days,
    v.spi_t,
    r.prev_grade,
    r.prev_recommendation,
    CAST($rubric_version AS VARCHAR) AS rubric_version,
    CAST($rubric_sha256 AS VARCHAR) AS rubric_sha256
FROM review_recommended AS r
JOIN review_ev AS v USING (project_id);

-- What the review measured (mart.review_measure, review_milestone, review_kpi): the inputs of every
-- score, persisted once so that nothing downstream recomputes them from the facts.
CREATE OR REPLACE TEMP TABLE review_measure_result AS
SELECT
    r.project_id,
    r.review_year,
    r.as_of_date,
    r.elapsed_days,
    r.total_days,
    r.net_disbursed_wan,
    f.disbursed_wan,
    f.recovered_wan,
    r.first_disbursement_date,
    f.latest_period,
    r.fiscal_spent_wan,
    r.self_arrived_wan,
    r.total_spent_wan,
    f.self_expected_wan,
    r.n_reports_in_year,
    r.n_milestones,
    r.n_due,
    r.n_done,
    r.n_on_time,
    r.n_long_overdue,
    r.n_done_in_window,
    m.due_weight,
    m.done_weight,
    k.n_output,
    k.n_output_short,
    k.n_outcome,
    k.n_outcome_short,
    coalesce(e.n_experts, 0) AS n_experts,
    coalesce(e.n_veto, 0) AS n_veto,
    e.max_score AS expert_max,
    e.min_score AS expert_min,
    coalesce(e.trimmed, false) AS expert_trimmed,
    r.ach_spi,
    r.ach_on_time,
    r.ach_fund_execution,
    r.ach_self_funding,
    r.ach_output,
    r.ach_outcome,
    r.ach_expert,
    r.applicable_points,
    r.n_warning_flags,
    r.prev_decision,
    r.prev_recorded_decision
FROM review_recommended AS r
JOIN review_milestones AS m USING (project_id)
JOIN review_funds AS f USING (project_id)
JOIN review_kpi AS k USING (project_id)
LEFT JOIN review_experts AS e USING (project_id);

CREATE OR REPLACE TEMP TABLE review_milestone_result AS
SELECT
    project_id, review_year, milestone_no, description, planned_date, completed_date, weight, weight_share,
    is_due, is_done, is_on_time, days_overdue
FROM review_milestone_status;

CREATE OR REPLACE TEMP TABLE review_kpi_result AS
SELECT
    s.project_id, s.review_year, t.indicator, t.kind, t.target_value, t.due_date, t.f_i, t.expected,
    t.actual, t.ratio, t.counts, t.ratio_full AS met
FROM review_kpi_target AS t
JOIN review_scope AS s USING (project_id);

CREATE OR REPLACE TEMP TABLE review_timeline_result AS
WITH pay AS (
    SELECT s.project_id, d.payment_date, sum(d.signed_amount_wan) AS net
    FROM review_scope AS s
    JOIN fact_disbursement AS d USING (project_id)
    WHERE d.payment_date <= s.as_of_date
    GROUP BY s.project_id, d.payment_date
),
cum AS (
    SELECT project_id, payment_date,
           sum(net) OVER (PARTITION BY project_id ORDER BY payment_date) AS cumulative_wan
    FROM pay
),
disbursed AS (
    SELECT project_id,
           list({'payment_date': payment_date, 'cumulative_wan': cumulative_wan} ORDER BY payment_date) AS disbursed
    FROM cum GROUP BY project_id
),
progress AS (
    SELECT s.project_id,
           list({'period_end': g.period_end, 'fiscal_spent_wan': g.fiscal_spent_wan,
                 'total_spent_wan': g.total_spent_wan} ORDER BY g.period_end) AS progress
    FROM review_scope AS s
    JOIN fact_progress AS g USING (project_id)
    WHERE g.period_end <= s.as_of_date
    GROUP BY s.project_id
)
SELECT s.project_id, s.review_year,
       coalesce(d.disbursed, []) AS disbursed,
       coalesce(p.progress, []) AS progress
FROM review_scope AS s
LEFT JOIN disbursed AS d USING (project_id)
LEFT JOIN progress AS p USING (project_id);
