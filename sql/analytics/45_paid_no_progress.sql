-- Signal paid_no_progress 拨款后无进展 (docs/analytics.md §2). Fires when a disbursement (kind `disbursement`)
-- was paid in year Y, a milestone is due by A and not done, and no milestone was completed in Y.
-- Payment dates are raw evidence the review does not keep (it measures net disbursed at A), so they are read
-- from fact_disbursement; the milestones at A are the review's (analytics_milestone = mart.review_milestone).
CREATE OR REPLACE TEMP TABLE signal_paid_no_progress AS
WITH candidates AS (
    -- the condition first, on counts; the evidence lists are built for these projects only
    SELECT m.project_id
    FROM signal_milestone AS m
    GROUP BY m.project_id
    HAVING count(*) FILTER (WHERE m.is_due AND NOT m.is_done) > 0 AND count(*) FILTER (WHERE m.completed_in_year) = 0
),
paid AS (
    SELECT
        s.project_id,
        s.review_year,
        sum(d.amount_wan) AS paid_wan,
        list({'payment_id': d.payment_id, 'payment_date': d.payment_date, 'amount_wan': d.amount_wan, 'source': d.source}
            ORDER BY d.payment_date, d.payment_id) AS payments,
        list(printf('%s %s %.2f 万元', d.payment_id, d.payment_date, d.amount_wan) ORDER BY d.payment_date, d.payment_id)
            AS named
    FROM signal_scope AS s
    SEMI JOIN candidates AS c USING (project_id)
    JOIN fact_disbursement AS d USING (project_id)
    WHERE d.kind = 'disbursement' AND d.payment_year = s.review_year
    GROUP BY s.project_id, s.review_year
),
milestones AS (
    SELECT
        m.project_id,
        count(*) AS n_overdue,
        list({'milestone_no': m.milestone_no, 'planned_date': m.planned_date, 'days_overdue': m.days_overdue}
            ORDER BY m.planned_date, m.milestone_no) AS overdue,
        list(printf('%d（计划 %s，逾期 %d 天）', m.milestone_no, m.planned_date, m.days_overdue)
            ORDER BY m.planned_date, m.milestone_no) AS named_zh,
        list(printf('%d (planned %s, %d days overdue)', m.milestone_no, m.planned_date, m.days_overdue)
            ORDER BY m.planned_date, m.milestone_no) AS named_en
    FROM signal_milestone AS m
    SEMI JOIN paid AS p USING (project_id)
    WHERE m.is_due AND NOT m.is_done
    GROUP BY m.project_id
)
SELECT
    p.project_id,
    p.review_year,
    'paid_no_progress' AS signal,
    json_object('paid_wan', p.paid_wan, 'payments', p.payments, 'overdue_milestones', m.overdue,
        'done_in_year', 0) AS evidence,
    printf('%d 年拨款 %d 笔共 %.2f 万元（%s），但 %d 个到期节点未完成（节点 %s），且本年无节点完成',
        p.review_year, len(p.payments), p.paid_wan, array_to_string(p.named, '；'), m.n_overdue,
        array_to_string(m.named_zh, '、')) AS text_zh,
    printf('Paid %d time(s) in %d, %.2f 万元 in all (%s), yet %d due milestone(s) not done (no. %s) and none completed this year',
        len(p.payments), p.review_year, p.paid_wan, array_to_string(p.named, '; '), m.n_overdue,
        array_to_string(m.named_en, ', ')) AS text_en
FROM paid AS p
JOIN milestones AS m USING (project_id);
