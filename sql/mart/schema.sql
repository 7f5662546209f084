-- The output contract (docs/datasets.md "Output contract"): what reports, dashboards and outside checks read.
-- Money is DECIMAL(18,4) 万元 and total_score DECIMAL(5,2): exact where they decide (docs/scoring.md §10);
-- ratios are DOUBLE, for display.
-- Review-year tables are written delete-then-insert per review year, in one transaction.
CREATE SCHEMA IF NOT EXISTS mart;

-- One row per reviewed project and review year (SCORING.md §1-§7).
CREATE TABLE IF NOT EXISTS mart.project_review (
    project_id VARCHAR NOT NULL,
    review_year INTEGER NOT NULL,
    as_of_date DATE NOT NULL,
    status VARCHAR NOT NULL,                 -- active | ended (§1)
    elapsed_fraction DOUBLE,                 -- f (§1)
    spi DOUBLE,                              -- §2 measured values, NULL where not applicable
    on_time_rate DOUBLE,
    fund_execution_rate DOUBLE,
    self_funding_arrival_rate DOUBLE,
    output_achievement DOUBLE,
    outcome_achievement DOUBLE,
    expert_score DOUBLE,
    score_process DOUBLE,                    -- §3 points per first-level indicator
    score_output DOUBLE,
    score_outcome DOUBLE,
    score_expert DOUBLE,
    coverage DOUBLE NOT NULL,                -- applicable points / 100
    total_score DOUBLE,                      -- 0-100, two decimals, half away from zero (decided as DECIMAL(5,2))
    grade VARCHAR NOT NULL,                  -- A B C D insufficient (§4)
    flags VARCHAR NOT NULL,                  -- alphabetical, comma-separated, '' if none (§5)
    recommendation VARCHAR NOT NULL,         -- §6
    clawback_wan DECIMAL(18,4) NOT NULL,            -- §6
    bac DECIMAL(18,4),                              -- §7 earned value
    pv DOUBLE,
    ev DOUBLE,
    ac DECIMAL(18,4),
    cpi DOUBLE,
    eac DOUBLE,
    tcpi DOUBLE,
    es_days DOUBLE,
    spi_t DOUBLE,
    prev_grade VARCHAR,
    prev_recommendation VARCHAR,
    rubric_version VARCHAR NOT NULL,
    rubric_sha256 VARCHAR NOT NULL,
    PRIMARY KEY (project_id, review_year)
);

-- Why: every grade, flag and recommendation rule that fired, with its numbers (SCORING.md §6).
CREATE TABLE IF NOT EXISTS mart.review_reason (
    project_id VARCHAR NOT NULL,
    review_year INTEGER NOT NULL,
    rule_code VARCHAR NOT NULL,              -- e.g. flag:stalled, grade:D, recommendation:terminate
    text_zh VARCHAR NOT NULL,
    text_en VARCHAR NOT NULL,
    numbers VARCHAR NOT NULL                 -- JSON object of the numbers behind the text
);

-- Per review year and per grouping (all, field, plan, department, support_mode).
CREATE TABLE IF NOT EXISTS mart.program_summary (
    review_year INTEGER NOT NULL,
    dimension VARCHAR NOT NULL,              -- all | field | plan | department | support_mode
    dimension_value VARCHAR NOT NULL,        -- the code ('all' for the whole programme)
    projects INTEGER NOT NULL,
    grade_a INTEGER NOT NULL,
    grade_b INTEGER NOT NULL,
    grade_c INTEGER NOT NULL,
    grade_d INTEGER NOT NULL,
    grade_insufficient INTEGER NOT NULL,
    mean_score DOUBLE,
    approved_wan DECIMAL(18,4) NOT NULL,
    net_disbursed_wan DECIMAL(18,4) NOT NULL,       -- cumulative to the as-of date
    fiscal_spent_wan DECIMAL(18,4) NOT NULL,
    execution_rate DOUBLE,                   -- fiscal spent / net disbursed
    self_arrived_wan DECIMAL(18,4) NOT NULL,
    leverage DOUBLE,                         -- self funds arrived per fiscal 万元 disbursed
    problem_projects INTEGER NOT NULL,       -- two or more flags other than veto (§5)
    problem_funding_wan DECIMAL(18,4) NOT NULL,     -- their approved funding
    rec_terminate INTEGER NOT NULL,
    rec_acceptance_review INTEGER NOT NULL,
    rec_suspend_funding INTEGER NOT NULL,
    rec_rectify INTEGER NOT NULL,
    rec_rolling_support INTEGER NOT NULL,
    clawback_wan DECIMAL(18,4) NOT NULL,
    rubric_version VARCHAR NOT NULL,
    PRIMARY KEY (review_year, dimension, dimension_value)
);

-- Programme targets (PROGRAM.md "Programme targets") as measured for a review year.
CREATE TABLE IF NOT EXISTS mart.program_target (
    review_year INTEGER NOT NULL,
    target VARCHAR NOT NULL,                 -- core_tech_projects, annual_budget_2018, ...
    name_zh VARCHAR NOT NULL,
    name_en VARCHAR NOT NULL,
    measured DECIMAL(18,4),                         -- NULL when the input is not available (macro targets)
    threshold DECIMAL(18,4) NOT NULL,
    comparator VARCHAR NOT NULL,             -- '>' or '>='
    unit VARCHAR NOT NULL,
    met BOOLEAN,                             -- NULL when not measured
    PRIMARY KEY (review_year, target)
);

-- Net disbursement per calendar year (REPORT.md chapter 3 "funds per year against 200,000 万元").
CREATE TABLE IF NOT EXISTS mart.disbursement_by_year (
    review_year INTEGER NOT NULL,
    payment_year INTEGER NOT NULL,
    disbursed_wan DECIMAL(18,4) NOT NULL,
    recovered_wan DECIMAL(18,4) NOT NULL,
    net_disbursed_wan DECIMAL(18,4) NOT NULL,
    budget_wan DECIMAL(18,4),
    PRIMARY KEY (review_year, payment_year)
);

-- Quality ledger: one row per expectation per validated dataset per run (issue 4).
CREATE TABLE IF NOT EXISTS mart.data_quality (
    run_id VARCHAR NOT NULL,
    checked_at TIMESTAMP NOT NULL,
    dataset VARCHAR NOT NULL,
    expectation VARCHAR NOT NULL,
    column_name VARCHAR,
    severity VARCHAR NOT NULL,               -- ERROR | WARN
    success BOOLEAN NOT NULL,
    element_count BIGINT,
    unexpected_count BIGINT,
    examples VARCHAR                         -- JSON list, at most 10 values
);

-- When each review year was scored, and on which scoring of the year before (docs/scoring.md §10):
-- a year whose basis_scoring_no is not the current scoring_no of the year before is stale.
CREATE TABLE IF NOT EXISTS mart.review_year_state (
    review_year INTEGER PRIMARY KEY,
    rows BIGINT NOT NULL,                    -- project_review rows written
    scoring_no BIGINT NOT NULL,              -- grows with every scoring into this schema
    basis_scoring_no BIGINT,                 -- scoring_no of review_year − 1 when this year was scored
    scored_at TIMESTAMP NOT NULL,
    rubric_version VARCHAR NOT NULL,
    rubric_sha256 VARCHAR NOT NULL
);
