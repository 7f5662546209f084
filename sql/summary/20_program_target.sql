-- Programme targets (PROGRAM.md "Programme targets", 2017–2019) as measured for review year Y.
-- - project counts: distinct projects of the plan with approval_year in 2017 .. min(Y, 2019)
--   (the programme period), met when count > threshold;
-- - annual budget: net disbursement (disbursements − recoveries, every source) per calendar year
--   2017, 2018, 2019 up to Y, met when net ≥ 200,000 万元 (每年安排20亿元: the year's money was
--   arranged in full); years after Y are not yet measurable and have no row;
-- - macro targets: no input dataset, so measured and met are NULL.
CREATE OR REPLACE TEMP TABLE summary_program_target AS
WITH plan_target(target, plan, name_zh, name_en, threshold, unit) AS (
    VALUES
        ('core_tech_projects', 'core_tech', '实施基础研究和技术攻关项目超50个',
            'Basic research and key-technology projects > 50', 50.0, '个'),
        ('innovation_carriers', 'innovation_carrier', '组建创新载体超100家',
            'Innovation carriers > 100', 100.0, '家'),
        ('demonstration_projects', 'demonstration', '产业链关键环节提升及应用示范项目超过50个',
            'Industry-chain and application demonstration projects > 50', 50.0, '个'),
        ('fusion_chains', 'chain_fusion', '培育“创新链+产业链”融合链超过10条',
            'Innovation-chain + industry-chain fusion chains > 10', 10.0, '条'),
        ('industrialization_projects', 'industrialization', '实施重大产业化项目超过200个',
            'Major industrialization projects > 200', 200.0, '个')
),
plan_count AS (
    SELECT plan, count(DISTINCT project_id) AS projects
    FROM dim_project
    WHERE approval_year BETWEEN 2017 AND least(CAST($review_year AS INTEGER), 2019)
    GROUP BY plan
),
budget AS (
    SELECT y.payment_year, coalesce(sum(d.signed_amount_wan), 0.0) AS net_disbursed_wan
    FROM (SELECT unnest([2017, 2018, 2019]) AS payment_year) AS y
    LEFT JOIN fact_disbursement AS d
        ON d.payment_year = y.payment_year AND d.payment_date <= CAST($as_of AS DATE)
    WHERE y.payment_year <= $review_year
    GROUP BY y.payment_year
)
SELECT
    CAST($review_year AS INTEGER) AS review_year,
    t.target,
    t.name_zh,
    t.name_en,
    CAST(coalesce(c.projects, 0) AS DOUBLE) AS measured,
    t.threshold,
    '>' AS comparator,
    t.unit,
    coalesce(c.projects, 0) > t.threshold AS met
FROM plan_target AS t
LEFT JOIN plan_count AS c USING (plan)
UNION ALL
SELECT
    CAST($review_year AS INTEGER),
    'annual_budget_' || b.payment_year,
    printf('%d 年安排资金 20 亿元', b.payment_year),
    printf('Annual budget %d: 2 billion CNY (200,000 万元)', b.payment_year),
    b.net_disbursed_wan,
    200000.0,
    '>=',
    '万元',
    b.net_disbursed_wan >= 200000.0
FROM budget AS b
UNION ALL
SELECT CAST($review_year AS INTEGER), target, name_zh, name_en, NULL, threshold, comparator, unit, NULL
FROM (
    VALUES
        ('industry_scale', '新兴产业到2020年规模超过3万亿元', 'Emerging industries > 3 trillion CNY by 2020',
            30000.0, '>', '亿元'),
        ('value_added_share', '新兴产业增加值占GDP比重达到42%', 'Value added of emerging industries ≥ 42 % of GDP',
            42.0, '>=', '%')
) AS m(target, name_zh, name_en, threshold, comparator, unit);
