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
    -- the score band of the grade (§4): band_min ≤ total < band_max, NULL where the band is open
    CASE r.grade WHEN 'A' THEN $band_a WHEN 'B' THEN $band_b WHEN 'C' THEN $band_c END AS band_min,
    CASE r.grade WHEN 'A' THEN NULL WHEN 'B' THEN $band_a WHEN 'C' THEN $band_b ELSE $band_c END AS band_max,
    datediff('day', r.first_disbursement_date, r.as_of_date) AS days_since_first_disbursement,
    ft.flags_zh,
    ft.flags_en
FROM review_recommended AS r
LEFT JOIN review_experts AS e USING (project_id)
LEFT JOIN review_kpi AS k USING (project_id)
LEFT JOIN review_funds AS f USING (project_id)
LEFT JOIN review_label AS g ON g.kind = 'grade' AND g.code = r.grade
LEFT JOIN flag_text AS ft ON ft.flags = r.flags;

CREATE OR REPLACE TEMP MACRO band_text(word, lo, hi) AS CASE
    WHEN hi IS NULL THEN printf('%s ≥ %g', word, lo)
    WHEN lo IS NULL THEN printf('%s < %g', word, hi)
    ELSE printf('%g ≤ %s < %g', lo, word, hi)
END;

CREATE OR REPLACE TEMP MACRO two_places(points) AS round(CAST(points AS DECIMAL(18, 9)), 2);

-- the words of a KPI leaf (output, outcome): its achievement over the indicators due, how many are behind
CREATE OR REPLACE TEMP MACRO kpi_leaf(leaf, kind_zh, kind_en, achievement, n, n_short, points, max_points) AS {
    'na_zh': printf('截至考核日无应完成的%s指标', kind_zh),
    'na_en': printf('no %s target expected by the as-of date', kind_en),
    'zh': printf('%.4f < 1（%d 项指标中 %d 项未达按时间进度的目标）', achievement, n, n_short),
    'en': printf('%.4f < 1 (%d of %d indicators behind the time-proportional target)', achievement, n_short, n),
    'points': two_places(points), 'max_points': max_points,
    'numbers': json_object(leaf || '_achievement', achievement, 'indicators', n, 'behind', n_short,
        'points', points, 'max_points', max_points)};

CREATE OR REPLACE TEMP TABLE review_reasons AS
WITH leaf AS (
    SELECT code, zh, en FROM review_label WHERE kind = 'leaf'
),
-- §3 every leaf of every project: whether it applies and whether it lost points; only the leaves
-- reported (not applicable, or points lost) go on to get words and numbers
leaf_kept AS (
    SELECT * FROM (
        SELECT project_id, unnest([
            {'leaf': 'spi', 'applies': spi IS NOT NULL, 'lost': NOT spi_full},
            {'leaf': 'on_time', 'applies': on_time_rate IS NOT NULL, 'lost': on_time_rate < 1},
            {'leaf': 'fund_execution', 'applies': fund_execution_rate IS NOT NULL, 'lost': NOT e_full},
            {'leaf': 'self_funding', 'applies': self_funding_arrival_rate IS NOT NULL, 'lost': NOT r_full},
            {'leaf': 'output', 'applies': output_achievement IS NOT NULL, 'lost': n_output_short > 0},
            {'leaf': 'outcome', 'applies': outcome_achievement IS NOT NULL, 'lost': n_outcome_short > 0},
            {'leaf': 'expert', 'applies': expert_score IS NOT NULL, 'lost': expert_score < 100}
        ], recursive := true)
        FROM review_reason_base
    )
    WHERE NOT applies OR lost
),
-- their words and numbers, built only for those rows (a CASE evaluates a branch only for the rows it selects)
leaf_facts AS (
    SELECT b.project_id, b.review_year, k.leaf, k.applies, unnest(CASE k.leaf
        WHEN 'spi' THEN {
            'na_zh': '截至考核日无应完成节点', 'na_en': 'no milestone due by the as-of date',
            'zh': printf('SPI %.2f < 1（应完成节点 %d 个，已完成 %d 个）', b.spi, b.n_due, b.n_done),
            'en': printf('SPI %.2f < 1 (due %d milestones, done %d)', b.spi, b.n_due, b.n_done),
            'points': two_places(b.pts_spi), 'max_points': $w_spi,
            'numbers': json_object('spi', b.spi, 'due', b.n_due, 'done', b.n_done, 'points', b.pts_spi, 'max_points', $w_spi)}
        WHEN 'on_time' THEN {
            'na_zh': '截至考核日无应完成节点', 'na_en': 'no milestone due by the as-of date',
            'zh': printf('%.2f（应完成节点 %d 个，计划日期后 %d 天内完成 %d 个）', b.on_time_rate, b.n_due, $grace_days, b.n_on_time),
            'en': printf('%.2f (due %d milestones, %d done within %d days of plan)', b.on_time_rate, b.n_due, b.n_on_time, $grace_days),
            'points': two_places(b.pts_on_time), 'max_points': $w_on_time,
            'numbers': json_object('on_time_rate', b.on_time_rate, 'due', b.n_due, 'on_time', b.n_on_time, 'points', b.pts_on_time, 'max_points', $w_on_time)}
        WHEN 'fund_execution' THEN {
            'na_zh': printf('净拨款 %.2f 万元', b.net_disbursed_wan), 'na_en': printf('net disbursed %.2f 万元', b.net_disbursed_wan),
            'zh': printf('E %.2f < %g（财政资金累计支出 %.2f 万元 / 净拨款 %.2f 万元）', b.fund_execution_rate, $exec_target, b.fiscal_spent_wan, b.net_disbursed_wan),
            'en': printf('E %.2f < %g (fiscal spent %.2f 万元 / net disbursed %.2f 万元)', b.fund_execution_rate, $exec_target, b.fiscal_spent_wan, b.net_disbursed_wan),
            'points': two_places(b.pts_fund_execution), 'max_points': $w_fund_execution,
            'numbers': json_object('fund_execution_rate', b.fund_execution_rate, 'fiscal_spent_wan', b.fiscal_spent_wan,
                'net_disbursed_wan', b.net_disbursed_wan, 'points', b.pts_fund_execution, 'max_points', $w_fund_execution)}
        WHEN 'self_funding' THEN {
            'na_zh': '无自筹资金或时间进度为 0', 'na_en': 'no self funding or elapsed fraction 0',
            'zh': printf('R %.2f < 1（累计到位 %.2f 万元 / 按时间进度应到位 %.2f 万元）', b.self_funding_arrival_rate, b.self_arrived_wan, b.self_expected_wan),
            'en': printf('R %.2f < 1 (arrived %.2f 万元 / due by elapsed time %.2f 万元)', b.self_funding_arrival_rate, b.self_arrived_wan, b.self_expected_wan),
            'points': two_places(b.pts_self_funding), 'max_points': $w_self_funding,
            'numbers': json_object('self_funding_arrival_rate', b.self_funding_arrival_rate, 'self_arrived_wan', b.self_arrived_wan,
                'self_expected_wan', b.self_expected_wan, 'points', b.pts_self_funding, 'max_points', $w_self_funding)}
        WHEN 'output' THEN kpi_leaf('output', '产出', 'output', b.output_achievement, b.n_output, b.n_output_short, b.pts_output, $w_output)
        WHEN 'outcome' THEN kpi_leaf('outcome', '效益', 'outcome', b.outcome_achievement, b.n_outcome, b.n_outcome_short, b.pts_outcome, $w_outcome)
        WHEN 'expert' THEN {
            'na_zh': '本年度无专家评分', 'na_en': 'no expert score this year',
            'zh': CASE WHEN b.trimmed
                THEN printf('%.2f（%d 名专家，去掉一个最高分和一个最低分）', b.expert_score, b.n_experts)
                ELSE printf('%.2f（%d 名专家的平均分）', b.expert_score, b.n_experts) END,
            'en': CASE WHEN b.trimmed
                THEN printf('%.2f (%d experts, highest and lowest dropped)', b.expert_score, b.n_experts)
                ELSE printf('%.2f (mean of %d experts)', b.expert_score, b.n_experts) END,
            'points': two_places(b.pts_expert), 'max_points': $w_expert,
            'numbers': json_object('expert_score', b.expert_score, 'experts', b.n_experts, 'trimmed', b.trimmed,
                'points', b.pts_expert, 'max_points', $w_expert)}
    END)
    FROM leaf_kept AS k
    JOIN review_reason_base AS b USING (project_id)
),
-- §5 every flag of every project: whether it is raised; only the raised ones get words and numbers
flag_raised AS (
    SELECT * FROM (
        SELECT project_id, unnest([
            {'flag': 'stalled', 'raised': f_stalled},
            {'flag': 'low_execution', 'raised': f_low_execution},
            {'flag': 'self_funds_gap', 'raised': f_self_funds_gap},
            {'flag': 'missing_report', 'raised': f_missing_report},
            {'flag': 'overspend', 'raised': f_overspend},
            {'flag': 'veto', 'raised': f_veto}
        ], recursive := true)
        FROM review_reason_base
    )
    WHERE raised
),
flag_facts AS (
    SELECT b.project_id, b.review_year, r.flag, unnest(CASE r.flag
        WHEN 'stalled' THEN {
            'zh': printf('进度停滞：%d 个节点逾期超过 %d 天未完成（最早计划完成日期 %s），且截至考核日 %d 天内无节点完成', b.n_long_overdue, $stall_overdue_days, b.oldest_overdue_planned, $stall_window_days),
            'en': printf('Stalled: %d milestone(s) more than %d days overdue (earliest planned %s) and none done in the %d days up to the as-of date', b.n_long_overdue, $stall_overdue_days, b.oldest_overdue_planned, $stall_window_days),
            'numbers': json_object('long_overdue', b.n_long_overdue, 'oldest_overdue_planned', b.oldest_overdue_planned, 'done_in_window', b.n_done_in_window)}
        WHEN 'low_execution' THEN {
            'zh': printf('资金执行率低：E %.2f < %g，首笔拨款于 %s（距考核日 %d 天）', b.fund_execution_rate, $low_exec_rate, b.first_disbursement_date, b.days_since_first_disbursement),
            'en': printf('Low fund execution: E %.2f < %g, first disbursement on %s (%d days before the as-of date)', b.fund_execution_rate, $low_exec_rate, b.first_disbursement_date, b.days_since_first_disbursement),
            'numbers': json_object('fund_execution_rate', b.fund_execution_rate, 'first_disbursement_date', b.first_disbursement_date, 'days', b.days_since_first_disbursement)}
        WHEN 'self_funds_gap' THEN {
            'zh': printf('自筹资金不到位：R %.2f < %g（累计到位 %.2f 万元 / 按时间进度应到位 %.2f 万元）', b.self_funding_arrival_rate, $self_gap_rate, b.self_arrived_wan, b.self_expected_wan),
            'en': printf('Self-funding gap: R %.2f < %g (arrived %.2f 万元 / due by elapsed time %.2f 万元)', b.self_funding_arrival_rate, $self_gap_rate, b.self_arrived_wan, b.self_expected_wan),
            'numbers': json_object('self_funding_arrival_rate', b.self_funding_arrival_rate, 'self_arrived_wan', b.self_arrived_wan, 'self_expected_wan', b.self_expected_wan)}
        WHEN 'missing_report' THEN {
            'zh': printf('缺少进度报告：%d 年无任何季度的进度报告（项目 %s 开始）', b.review_year, b.start_date),
            'en': printf('Missing report: no progress report for any quarter of %d (project started %s)', b.review_year, b.start_date),
            'numbers': json_object('reports_in_year', b.n_reports_in_year, 'start_date', b.start_date)}
        WHEN 'overspend' THEN {
            'zh': printf('超支：财政资金累计支出 %.2f 万元 > 净拨款 %.2f 万元 + %g', b.fiscal_spent_wan, b.net_disbursed_wan, $overspend_tolerance),
            'en': printf('Overspend: fiscal spent %.2f 万元 > net disbursed %.2f 万元 + %g', b.fiscal_spent_wan, b.net_disbursed_wan, $overspend_tolerance),
            'numbers': json_object('fiscal_spent_wan', b.fiscal_spent_wan, 'net_disbursed_wan', b.net_disbursed_wan)}
        WHEN 'veto' THEN {
            'zh': printf('一票否决：%d 名专家认定弄虚作假', b.n_veto),
            'en': printf('Veto: %d expert(s) found falsified data or fraud', b.n_veto),
            'numbers': json_object('vetoes', b.n_veto, 'experts', b.n_experts)}
    END)
    FROM flag_raised AS r
    JOIN review_reason_base AS b USING (project_id)
),
reasons AS (
    -- grade (§4)
    SELECT
        project_id, review_year, 'grade:' || grade AS rule_code,
        CASE
            WHEN f_veto THEN {
                'zh': printf('专家一票否决，等级定为“差”（总分 %s）', coalesce(total_txt, '—')),
                'en': printf('Expert veto: grade D whatever the score (total %s)', coalesce(total_txt, '—'))}
            WHEN grade = 'insufficient' THEN {
                'zh': printf('数据覆盖率 %.2f < %.2f（有数据的指标分值 %g / 100），等级为“数据不足”（总分 %s）',
                    coverage, $min_coverage, applicable_points, coalesce(total_txt, '—')),
                'en': printf('Coverage %.2f < %.2f (%g of 100 points had data): insufficient data (total %s)',
                    coverage, $min_coverage, applicable_points, coalesce(total_txt, '—'))}
            ELSE {
                'zh': printf('总分 %s，等级为“%s”（%s）', total_txt, grade_zh, band_text('总分', band_min, band_max)),
                'en': printf('Total score %s: grade %s %s (%s)', total_txt, grade, grade_en, band_text('score', band_min, band_max))}
        END AS text,
        json_object('total_score', total_score, 'coverage', coverage,
            'applicable_points', applicable_points, 'earned_points', earned_points, 'veto', f_veto) AS numbers
    FROM review_reason_base

    -- §3 leaves that lost points or do not apply
    UNION ALL
    SELECT
        f.project_id, f.review_year, 'leaf:' || f.leaf,
        CASE WHEN f.applies THEN {
            'zh': printf('%s %s，得 %.2f / %g 分', l.zh, f.zh, f.points, f.max_points),
            'en': printf('%s %s: %.2f of %g points', l.en, f.en, f.points, f.max_points)}
        ELSE {
            'zh': printf('%s：%s，不适用（%g 分不计入）', l.zh, f.na_zh, f.max_points),
            'en': printf('%s: %s, not applicable (%g points left out)', l.en, f.na_en, f.max_points)}
        END,
        f.numbers
    FROM leaf_facts AS f
    JOIN leaf AS l ON l.code = f.leaf

    -- §5 flags
    UNION ALL
    SELECT project_id, review_year, 'flag:' || flag, {'zh': zh, 'en': en}, numbers
    FROM flag_facts

    -- §10 where earned value is meaningless: tcpi once the budget is spent (ac ≥ bac)
    UNION ALL
    SELECT
        b.project_id, b.review_year, 'evm:tcpi_undefined', {
            'zh': printf('待完成绩效指数（TCPI）不适用：累计总支出 %.2f 万元已达到总预算 %.2f 万元', v.ac, v.bac),
            'en': printf('To-complete performance index (TCPI) not applicable: total spent %.2f 万元 has reached the budget at completion %.2f 万元', v.ac, v.bac)},
        json_object('ac', v.ac, 'bac', v.bac)
    FROM review_reason_base AS b
    JOIN review_ev AS v USING (project_id)
    WHERE v.ac >= v.bac

    -- §6 the recommendation rule that fired
    UNION ALL
    SELECT
        project_id, review_year, 'recommendation:' || recommendation,
        CASE recommendation_rule
            WHEN 'terminate:veto' THEN {
                'zh': printf('中止淘汰：专家一票否决；追回未支出财政资金 %.2f 万元', clawback_wan),
                'en': printf('Terminate: expert veto; claw back unspent fiscal funds %.2f 万元', clawback_wan)}
            WHEN 'terminate:grade_d' THEN {
                'zh': printf('中止淘汰：在研项目等级为“差”（总分 %s）；追回未支出财政资金 %.2f 万元', coalesce(total_txt, '—'), clawback_wan),
                'en': printf('Terminate: active project graded D (total %s); claw back unspent fiscal funds %.2f 万元', coalesce(total_txt, '—'), clawback_wan)}
            WHEN 'terminate:stalled' THEN {
                'zh': printf('中止淘汰：在研项目进度停滞；追回未支出财政资金 %.2f 万元', clawback_wan),
                'en': printf('Terminate: active project stalled; claw back unspent fiscal funds %.2f 万元', clawback_wan)}
            WHEN 'terminate:not_rectified' THEN {
                'zh': printf('中止淘汰：上年%s为限期整改，本年等级仍为“%s”；追回未支出财政资金 %.2f 万元',
                    CASE WHEN prev_recorded_decision IS NOT NULL THEN '考核决定' ELSE '考核建议' END, grade_zh, clawback_wan),
                'en': printf('Terminate: last year''s %s was rectify and this year''s grade is still %s; claw back unspent fiscal funds %.2f 万元',
                    CASE WHEN prev_recorded_decision IS NOT NULL THEN 'recorded decision' ELSE 'recommendation' END, grade, clawback_wan)}
            WHEN 'acceptance_review:ended' THEN {
                'zh': printf('结题验收：项目已于 %s 到期', end_date),
                'en': printf('Completion acceptance review: the project ended on %s', end_date)}
            WHEN 'suspend_funding:overspend' THEN {
                'zh': printf('暂停拨款：财政资金累计支出 %.2f 万元超过净拨款 %.2f 万元', fiscal_spent_wan, net_disbursed_wan),
                'en': printf('Suspend funding: fiscal spent %.2f 万元 exceeds net disbursed %.2f 万元', fiscal_spent_wan, net_disbursed_wan)}
            WHEN 'rectify:grade' THEN {
                'zh': printf('限期整改：等级为“%s”', grade_zh),
                'en': printf('Rectify within a deadline: grade %s', grade)}
            WHEN 'rectify:flags' THEN {
                'zh': printf('限期整改：有预警（%s）', flags_zh),
                'en': printf('Rectify within a deadline: flags (%s)', flags_en)}
            ELSE {
                'zh': printf('滚动支持：等级为“%s”且无预警', grade_zh),
                'en': printf('Rolling support: grade %s and no flag', grade)}
        END,
        json_object('rule', recommendation_rule, 'grade', grade, 'status', status, 'flags', flags,
            'prev_decision', prev_decision, 'clawback_wan', clawback_wan,
            'net_disbursed_wan', net_disbursed_wan, 'fiscal_spent_wan', fiscal_spent_wan)
    FROM review_reason_base
)
SELECT project_id, review_year, rule_code, text.zh AS text_zh, text.en AS text_en, CAST(numbers AS VARCHAR) AS numbers
FROM reasons;
