-- Step 9 — reasons: every grade, lost or non-applicable leaf, flag and recommendation of year Y in
-- Chinese and English with the numbers behind it (docs/scoring.md §6 "Every recommendation carries its
-- reasons"). Labels (grade, flag, recommendation and the rubric's leaf names) come from the temp
-- table review_label that scorecard/review.py fills from scorecard/codes.py and the rubric.

CREATE OR REPLACE TEMP TABLE review_reason_base AS
WITH flag_codes AS (
    -- each distinct flags string once (at most 2^6 of them), one row per flag code
    SELECT flags, unnest(string_split(flags, ',')) AS code
    FROM (SELECT DISTINCT flags FROM review_recommended WHERE flags <> '')
),
flag_text AS (
    SELECT
        c.flags,
        string_agg(l.zh, '、' ORDER BY c.code) AS flags_zh,
        string_agg(l.en, ', ' ORDER BY c.code) AS flags_en
    FROM flag_codes AS c
    JOIN review_label AS l ON l.kind = 'flag' AND l.code = c.code
    GROUP BY c.flags
)
SELECT
    r.*,
    coalesce(e.n_experts, 0) AS n_experts,
    coalesce(e.trimmed, false) AS trimmed,
    coalesce(e.n_veto, 0) AS n_veto,
    k.n_output,
    k.n_output_short,
    k.n_outcome,
    k.n_outcome_short,
    f.self_expected_wan,
    g.zh AS grade_zh,
    g.en AS grade_en,
    printf('%.2f', r.total_score) AS total_txt,
    datediff('day', r.first_disbursement_date, r.as_of_date) AS days_since_first_disbursement,
    ft.flags_zh,
    ft.flags_en
FROM review_recommended AS r
LEFT JOIN review_experts AS e USING (project_id)
LEFT JOIN review_kpi AS k USING (project_id)
LEFT JOIN review_funds AS f USING (project_id)
LEFT JOIN review_label AS g ON g.kind = 'grade' AND g.code = r.grade
LEFT JOIN flag_text AS ft ON ft.flags = r.flags;

CREATE OR REPLACE TEMP TABLE review_reasons AS
WITH leaf AS (
    SELECT code, zh, en FROM review_label WHERE kind = 'leaf'
),
reasons AS (
    -- grade (§4)
    SELECT
        project_id, review_year, 'grade:' || grade AS rule_code,
        CASE
            WHEN f_veto THEN printf('专家一票否决，等级定为“差”（总分 %s）', coalesce(total_txt, '—'))
            WHEN grade = 'insufficient' THEN printf('数据覆盖率 %.2f < %.2f（有数据的指标分值 %g / 100），等级为“数据不足”（总分 %s）',
                coverage, $min_coverage, applicable_points, coalesce(total_txt, '—'))
            ELSE printf('总分 %s，等级为“%s”（%s）', total_txt, grade_zh,
                CASE grade
                    WHEN 'A' THEN printf('总分 ≥ %g', $band_a)
                    WHEN 'B' THEN printf('%g ≤ 总分 < %g', $band_b, $band_a)
                    WHEN 'C' THEN printf('%g ≤ 总分 < %g', $band_c, $band_b)
                    ELSE printf('总分 < %g', $band_c)
                END)
        END AS text_zh,
        CASE
            WHEN f_veto THEN printf('Expert veto: grade D whatever the score (total %s)', coalesce(total_txt, '—'))
            WHEN grade = 'insufficient' THEN printf('Coverage %.2f < %.2f (%g of 100 points had data): insufficient data (total %s)',
                coverage, $min_coverage, applicable_points, coalesce(total_txt, '—'))
            ELSE printf('Total score %s: grade %s %s (%s)', total_txt, grade, grade_en,
                CASE grade
                    WHEN 'A' THEN printf('score ≥ %g', $band_a)
                    WHEN 'B' THEN printf('%g ≤ score < %g', $band_b, $band_a)
                    WHEN 'C' THEN printf('%g ≤ score < %g', $band_c, $band_b)
                    ELSE printf('score < %g', $band_c)
                END)
        END AS text_en,
        json_object('total_score', total_score, 'coverage', coverage,
            'applicable_points', applicable_points, 'earned_points', earned_points, 'veto', f_veto) AS numbers
    FROM review_reason_base

    -- §3 leaves that lost points or do not apply
    UNION ALL
    SELECT
        b.project_id, b.review_year, 'leaf:spi',
        CASE WHEN b.spi IS NULL
            THEN printf('%s：截至考核日无应完成节点，不适用（%g 分不计入）', l.zh, $w_spi)
            ELSE printf('%s SPI %.2f < 1（应完成节点 %d 个，已完成 %d 个），得 %.2f / %g 分', l.zh, b.spi, b.n_due, b.n_done, round(CAST(b.pts_spi AS DECIMAL(18, 9)), 2), $w_spi)
        END,
        CASE WHEN b.spi IS NULL
            THEN printf('%s: no milestone due by the as-of date, not applicable (%g points left out)', l.en, $w_spi)
            ELSE printf('%s SPI %.2f < 1 (due %d milestones, done %d): %.2f of %g points', l.en, b.spi, b.n_due, b.n_done, round(CAST(b.pts_spi AS DECIMAL(18, 9)), 2), $w_spi)
        END,
        json_object('spi', b.spi, 'due', b.n_due, 'done', b.n_done, 'points', b.pts_spi, 'max_points', $w_spi)
    FROM review_reason_base AS b, leaf AS l
    WHERE l.code = 'spi' AND (b.spi IS NULL OR NOT b.spi_full)

    UNION ALL
    SELECT
        b.project_id, b.review_year, 'leaf:on_time',
        CASE WHEN b.on_time_rate IS NULL
            THEN printf('%s：截至考核日无应完成节点，不适用（%g 分不计入）', l.zh, $w_on_time)
            ELSE printf('%s %.2f（应完成节点 %d 个，计划日期后 %d 天内完成 %d 个），得 %.2f / %g 分', l.zh, b.on_time_rate, b.n_due, $grace_days, b.n_on_time, round(CAST(b.pts_on_time AS DECIMAL(18, 9)), 2), $w_on_time)
        END,
        CASE WHEN b.on_time_rate IS NULL
            THEN printf('%s: no milestone due by the as-of date, not applicable (%g points left out)', l.en, $w_on_time)
            ELSE printf('%s %.2f (due %d milestones, %d done within %d days of plan): %.2f of %g points', l.en, b.on_time_rate, b.n_due, b.n_on_time, $grace_days, round(CAST(b.pts_on_time AS DECIMAL(18, 9)), 2), $w_on_time)
        END,
        json_object('on_time_rate', b.on_time_rate, 'due', b.n_due, 'on_time', b.n_on_time, 'points', b.pts_on_time, 'max_points', $w_on_time)
    FROM review_reason_base AS b, leaf AS l
    WHERE l.code = 'on_time' AND (b.on_time_rate IS NULL OR b.on_time_rate < 1)

    UNION ALL
    SELECT
        b.project_id, b.review_year, 'leaf:fund_execution',
        CASE WHEN b.fund_execution_rate IS NULL
            THEN printf('%s：净拨款 %.2f 万元，不适用（%g 分不计入）', l.zh, b.net_disbursed_wan, $w_fund_execution)
            ELSE printf('%s E %.2f < %g（财政资金累计支出 %.2f 万元 / 净拨款 %.2f 万元），得 %.2f / %g 分', l.zh, b.fund_execution_rate, $exec_target, b.fiscal_spent_wan, b.net_disbursed_wan, round(CAST(b.pts_fund_execution AS DECIMAL(18, 9)), 2), $w_fund_execution)
        END,
        CASE WHEN b.fund_execution_rate IS NULL
            THEN printf('%s: net disbursed %.2f 万元, not applicable (%g points left out)', l.en, b.net_disbursed_wan, $w_fund_execution)
            ELSE printf('%s E %.2f < %g (fiscal spent %.2f 万元 / net disbursed %.2f 万元): %.2f of %g points', l.en, b.fund_execution_rate, $exec_target, b.fiscal_spent_wan, b.net_disbursed_wan, round(CAST(b.pts_fund_execution AS DECIMAL(18, 9)), 2), $w_fund_execution)
        END,
        json_object('fund_execution_rate', b.fund_execution_rate, 'fiscal_spent_wan', b.fiscal_spent_wan,
            'net_disbursed_wan', b.net_disbursed_wan, 'points', b.pts_fund_execution, 'max_points', $w_fund_execution)
    FROM review_reason_base AS b, leaf AS l
    WHERE l.code = 'fund_execution' AND (b.fund_execution_rate IS NULL OR NOT b.e_full)

    UNION ALL
    SELECT
        b.project_id, b.review_year, 'leaf:self_funding',
        CASE WHEN b.self_funding_arrival_rate IS NULL
            THEN printf('%s：无自筹资金或时间进度为 0，不适用（%g 分不计入）', l.zh, $w_self_funding)
            ELSE printf('%s R %.2f < 1（累计到位 %.2f 万元 / 按时间进度应到位 %.2f 万元），得 %.2f / %g 分', l.zh, b.self_funding_arrival_rate, b.self_arrived_wan, b.self_expected_wan, round(CAST(b.pts_self_funding AS DECIMAL(18, 9)), 2), $w_self_funding)
        END,
        CASE WHEN b.self_funding_arrival_rate IS NULL
            THEN printf('%s: no self funding or elapsed fraction 0, not applicable (%g points left out)', l.en, $w_self_funding)
            ELSE printf('%s R %.2f < 1 (arrived %.2f 万元 / due by elapsed time %.2f 万元): %.2f of %g points', l.en, b.self_funding_arrival_rate, b.self_arrived_wan, b.self_expected_wan, round(CAST(b.pts_self_funding AS DECIMAL(18, 9)), 2), $w_self_funding)
        END,
        json_object('self_funding_arrival_rate', b.self_funding_arrival_rate, 'self_arrived_wan', b.self_arrived_wan,
            'self_expected_wan', b.self_expected_wan, 'points', b.pts_self_funding, 'max_points', $w_self_funding)
    FROM review_reason_base AS b, leaf AS l
    WHERE l.code = 'self_funding' AND (b.self_funding_arrival_rate IS NULL OR NOT b.r_full)

    UNION ALL
    SELECT
        b.project_id, b.review_year, 'leaf:output',
        CASE WHEN b.output_achievement IS NULL
            THEN printf('%s：截至考核日无应完成的产出指标，不适用（%g 分不计入）', l.zh, $w_output)
            ELSE printf('%s %.4f < 1（%d 项指标中 %d 项未达按时间进度的目标），得 %.2f / %g 分', l.zh, b.output_achievement, b.n_output, b.n_output_short, round(CAST(b.pts_output AS DECIMAL(18, 9)), 2), $w_output)
        END,
        CASE WHEN b.output_achievement IS NULL
            THEN printf('%s: no output target expected by the as-of date, not applicable (%g points left out)', l.en, $w_output)
            ELSE printf('%s %.4f < 1 (%d of %d indicators behind the time-proportional target): %.2f of %g points', l.en, b.output_achievement, b.n_output_short, b.n_output, round(CAST(b.pts_output AS DECIMAL(18, 9)), 2), $w_output)
        END,
        json_object('output_achievement', b.output_achievement, 'indicators', b.n_output,
            'behind', b.n_output_short, 'points', b.pts_output, 'max_points', $w_output)
    FROM review_reason_base AS b, leaf AS l
    WHERE l.code = 'output' AND (b.output_achievement IS NULL OR b.n_output_short > 0)

    UNION ALL
    SELECT
        b.project_id, b.review_year, 'leaf:outcome',
        CASE WHEN b.outcome_achievement IS NULL
            THEN printf('%s：截至考核日无应完成的效益指标，不适用（%g 分不计入）', l.zh, $w_outcome)
            ELSE printf('%s %.4f < 1（%d 项指标中 %d 项未达按时间进度的目标），得 %.2f / %g 分', l.zh, b.outcome_achievement, b.n_outcome, b.n_outcome_short, round(CAST(b.pts_outcome AS DECIMAL(18, 9)), 2), $w_outcome)
        END,
        CASE WHEN b.outcome_achievement IS NULL
            THEN printf('%s: no outcome target expected by the as-of date, not applicable (%g points left out)', l.en, $w_outcome)
            ELSE printf('%s %.4f < 1 (%d of %d indicators behind the time-proportional target): %.2f of %g points', l.en, b.outcome_achievement, b.n_outcome_short, b.n_outcome, round(CAST(b.pts_outcome AS DECIMAL(18, 9)), 2), $w_outcome)
        END,
        json_object('outcome_achievement', b.outcome_achievement, 'indicators', b.n_outcome,
            'behind', b.n_outcome_short, 'points', b.pts_outcome, 'max_points', $w_outcome)
    FROM review_reason_base AS b, leaf AS l
    WHERE l.code = 'outcome' AND (b.outcome_achievement IS NULL OR b.n_outcome_short > 0)

    UNION ALL
    SELECT
        b.project_id, b.review_year, 'leaf:expert',
        CASE
            WHEN b.expert_score IS NULL THEN printf('%s：本年度无专家评分，不适用（%g 分不计入）', l.zh, $w_expert)
            WHEN b.trimmed THEN printf('%s %.2f（%d 名专家，去掉一个最高分和一个最低分），得 %.2f / %g 分', l.zh, b.expert_score, b.n_experts, round(CAST(b.pts_expert AS DECIMAL(18, 9)), 2), $w_expert)
            ELSE printf('%s %.2f（%d 名专家的平均分），得 %.2f / %g 分', l.zh, b.expert_score, b.n_experts, round(CAST(b.pts_expert AS DECIMAL(18, 9)), 2), $w_expert)
        END,
        CASE
            WHEN b.expert_score IS NULL THEN printf('%s: no expert score this year, not applicable (%g points left out)', l.en, $w_expert)
            WHEN b.trimmed THEN printf('%s %.2f (%d experts, highest and lowest dropped): %.2f of %g points', l.en, b.expert_score, b.n_experts, round(CAST(b.pts_expert AS DECIMAL(18, 9)), 2), $w_expert)
            ELSE printf('%s %.2f (mean of %d experts): %.2f of %g points', l.en, b.expert_score, b.n_experts, round(CAST(b.pts_expert AS DECIMAL(18, 9)), 2), $w_expert)
        END,
        json_object('expert_score', b.expert_score, 'experts', b.n_experts, 'trimmed', b.trimmed,
            'points', b.pts_expert, 'max_points', $w_expert)
    FROM review_reason_base AS b, leaf AS l
    WHERE l.code = 'expert' AND (b.expert_score IS NULL OR b.expert_score < 100)

    -- §5 flags
    UNION ALL
    SELECT
        project_id, review_year, 'flag:stalled',
        printf('进度停滞：%d 个节点逾期超过 %d 天未完成（最早计划完成日期 %s），且截至考核日 %d 天内无节点完成',
            n_long_overdue, $stall_overdue_days, oldest_overdue_planned, $stall_window_days),
        printf('Stalled: %d milestone(s) more than %d days overdue (earliest planned %s) and none done in the %d days up to the as-of date',
            n_long_overdue, $stall_overdue_days, oldest_overdue_planned, $stall_window_days),
        json_object('long_overdue', n_long_overdue, 'oldest_overdue_planned', oldest_overdue_planned,
            'done_in_window', n_done_in_window)
    FROM review_reason_base WHERE f_stalled

    UNION ALL
    SELECT
        project_id, review_year, 'flag:low_execution',
        printf('资金执行率低：E %.2f < %g，首笔拨款于 %s（距考核日 %d 天）',
            fund_execution_rate, $low_exec_rate, first_disbursement_date, days_since_first_disbursement),
        printf('Low fund execution: E %.2f < %g, first disbursement on %s (%d days before the as-of date)',
            fund_execution_rate, $low_exec_rate, first_disbursement_date, days_since_first_disbursement),
        json_object('fund_execution_rate', fund_execution_rate, 'first_disbursement_date', first_disbursement_date,
            'days', days_since_first_disbursement)
    FROM review_reason_base WHERE f_low_execution

    UNION ALL
    SELECT
        project_id, review_year, 'flag:self_funds_gap',
        printf('自筹资金不到位：R %.2f < %g（累计到位 %.2f 万元 / 按时间进度应到位 %.2f 万元）',
            self_funding_arrival_rate, $self_gap_rate, self_arrived_wan, self_expected_wan),
        printf('Self-funding gap: R %.2f < %g (arrived %.2f 万元 / due by elapsed time %.2f 万元)',
            self_funding_arrival_rate, $self_gap_rate, self_arrived_wan, self_expected_wan),
        json_object('self_funding_arrival_rate', self_funding_arrival_rate, 'self_arrived_wan', self_arrived_wan,
            'self_expected_wan', self_expected_wan)
    FROM review_reason_base WHERE f_self_funds_gap

    UNION ALL
    SELECT
        project_id, review_year, 'flag:missing_report',
        printf('缺少进度报告：%d 年无任何季度的进度报告（项目 %s 开始）', review_year, start_date),
        printf('Missing report: no progress report for any quarter of %d (project started %s)', review_year, start_date),
        json_object('reports_in_year', n_reports_in_year, 'start_date', start_date)
    FROM review_reason_base WHERE f_missing_report

    UNION ALL
    SELECT
        project_id, review_year, 'flag:overspend',
        printf('超支：财政资金累计支出 %.2f 万元 > 净拨款 %.2f 万元 + %g', fiscal_spent_wan, net_disbursed_wan, $overspend_tolerance),
        printf('Overspend: fiscal spent %.2f 万元 > net disbursed %.2f 万元 + %g', fiscal_spent_wan, net_disbursed_wan, $overspend_tolerance),
        json_object('fiscal_spent_wan', fiscal_spent_wan, 'net_disbursed_wan', net_disbursed_wan)
    FROM review_reason_base WHERE f_overspend

    UNION ALL
    SELECT
        project_id, review_year, 'flag:veto',
        printf('一票否决：%d 名专家认定弄虚作假', n_veto),
        printf('Veto: %d expert(s) found falsified data or fraud', n_veto),
        json_object('vetoes', n_veto, 'experts', n_experts)
    FROM review_reason_base WHERE f_veto

    -- §10 where earned value is meaningless: tcpi once the budget is spent (ac ≥ bac)
    UNION ALL
    SELECT
        b.project_id, b.review_year, 'evm:tcpi_undefined',
        printf('待完成绩效指数（TCPI）不适用：累计总支出 %.2f 万元已达到总预算 %.2f 万元', v.ac, v.bac),
        printf('To-complete performance index (TCPI) not applicable: total spent %.2f 万元 has reached the budget at completion %.2f 万元', v.ac, v.bac),
        json_object('ac', v.ac, 'bac', v.bac)
    FROM review_reason_base AS b
    JOIN review_ev AS v USING (project_id)
    WHERE v.ac >= v.bac

    -- §6 the recommendation rule that fired
    UNION ALL
    SELECT
        project_id, review_year, 'recommendation:' || recommendation,
        CASE recommendation_rule
            WHEN 'terminate:veto' THEN printf('中止淘汰：专家一票否决；追回未支出财政资金 %.2f 万元', clawback_wan)
            WHEN 'terminate:grade_d' THEN printf('中止淘汰：在研项目等级为“差”（总分 %s）；追回未支出财政资金 %.2f 万元', coalesce(total_txt, '—'), clawback_wan)
            WHEN 'terminate:stalled' THEN printf('中止淘汰：在研项目进度停滞；追回未支出财政资金 %.2f 万元', clawback_wan)
            WHEN 'terminate:not_rectified' THEN printf('中止淘汰：上年%s为限期整改，本年等级仍为“%s”；追回未支出财政资金 %.2f 万元',
                CASE WHEN prev_recorded_decision IS NOT NULL THEN '考核决定' ELSE '考核建议' END, grade_zh, clawback_wan)
            WHEN 'acceptance_review:ended' THEN printf('结题验收：项目已于 %s 到期', end_date)
            WHEN 'suspend_funding:overspend' THEN printf('暂停拨款：财政资金累计支出 %.2f 万元超过净拨款 %.2f 万元', fiscal_spent_wan, net_disbursed_wan)
            WHEN 'rectify:grade' THEN printf('限期整改：等级为“%s”', grade_zh)
            WHEN 'rectify:flags' THEN printf('限期整改：有预警（%s）', flags_zh)
            ELSE printf('滚动支持：等级为“%s”且无预警', grade_zh)
        END,
        CASE recommendation_rule
            WHEN 'terminate:veto' THEN printf('Terminate: expert veto; claw back unspent fiscal funds %.2f 万元', clawback_wan)
            WHEN 'terminate:grade_d' THEN printf('Terminate: active project graded D (total %s); claw back unspent fiscal funds %.2f 万元', coalesce(total_txt, '—'), clawback_wan)
            WHEN 'terminate:stalled' THEN printf('Terminate: active project stalled; claw back unspent fiscal funds %.2f 万元', clawback_wan)
            WHEN 'terminate:not_rectified' THEN printf('Terminate: last year''s %s was rectify and this year''s grade is still %s; claw back unspent fiscal funds %.2f 万元',
                CASE WHEN prev_recorded_decision IS NOT NULL THEN 'recorded decision' ELSE 'recommendation' END, grade, clawback_wan)
            WHEN 'acceptance_review:ended' THEN printf('Completion acceptance review: the project ended on %s', end_date)
            WHEN 'suspend_funding:overspend' THEN printf('Suspend funding: fiscal spent %.2f 万元 exceeds net disbursed %.2f 万元', fiscal_spent_wan, net_disbursed_wan)
            WHEN 'rectify:grade' THEN printf('Rectify within a deadline: grade %s', grade)
            WHEN 'rectify:flags' THEN printf('Rectify within a deadline: flags (%s)', flags_en)
            ELSE printf('Rolling support: grade %s and no flag', grade)
        END,
        json_object('rule', recommendation_rule, 'grade', grade, 'status', status, 'flags', flags,
            'prev_decision', prev_decision, 'clawback_wan', clawback_wan,
            'net_disbursed_wan', net_disbursed_wan, 'fiscal_spent_wan', fiscal_spent_wan)
    FROM review_reason_base
)
SELECT project_id, review_year, rule_code, text_zh, text_en, CAST(numbers AS VARCHAR) AS numbers
FROM reasons;
