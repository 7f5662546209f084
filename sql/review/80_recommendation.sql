-- Step 6 — recommendation, the first rule that holds (docs/scoring.md §6, §9), and the clawback.
-- `recommendation_rule` records which clause fired, for the reasons (95_reasons.sql).
-- prev_decision is last year's effective decision (recorded, else recommended; 10_reviewed.sql).
CREATE OR REPLACE TEMP TABLE review_recommended AS
WITH ruled AS (
    SELECT
        *,
        CASE
            WHEN f_veto THEN 'terminate:veto'
            WHEN status = 'active' AND grade = 'D' THEN 'terminate:grade_d'
            WHEN status = 'active' AND f_stalled THEN 'terminate:stalled'
            WHEN status = 'active' AND prev_decision = 'rectify' AND grade IN ('C', 'D', 'insufficient')
                THEN 'terminate:not_rectified'
            WHEN status = 'ended' THEN 'acceptance_review:ended'
            WHEN f_overspend THEN 'suspend_funding:overspend'
            WHEN grade IN ('C', 'insufficient') THEN 'rectify:grade'
            WHEN flags <> '' THEN 'rectify:flags'
            ELSE 'rolling_support:good'
        END AS recommendation_rule
    FROM review_graded
)
SELECT
    *,
    split_part(recommendation_rule, ':', 1) AS recommendation,
    -- clawback_wan = max(0, D − fiscal_spent(A)) when terminated, else 0
    CASE
        WHEN split_part(recommendation_rule, ':', 1) = 'terminate'
        THEN greatest(0.0, net_disbursed_wan - fiscal_spent_wan)
        ELSE 0.0
    END AS clawback_wan
FROM ruled;
