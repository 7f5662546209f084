-- The output contract (docs/datasets.md "Output contract"): what reports, dashboards and outside checks read.
-- Money is DECIMAL(18,4) 万元 and total_score DECIMAL(5,2): exact where they decide (docs/scoring.md §10);
-- ratios are DOUBLE, for display.
-- Review-year tables are written delete-then-insert per review year, in one transaction.
CREATE SCHEMA IF NOT EXISTS mart;

-- One row per reviewed project and review year (docs/scoring.md §1-§7).
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

-- Why: every grade, flag and recommendation rule that fired, with its numbers (docs/scoring.md §6).
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

-- Programme targets (docs/programme.md "Programme targets") as measured for a review year.
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

-- Net disbursement per calendar year against the programme's annual budget (docs/report.md chapter 3).
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

-- What the review measured at the as-of date, per reviewed project and year (docs/scoring.md §2–§5):
-- the inputs of every score, written once by the review and read by summaries, reports, dashboards
-- and analyses (never recomputed from the facts).
CREATE TABLE IF NOT EXISTS mart.review_measure (
    project_id VARCHAR NOT NULL,
    review_year INTEGER NOT NULL,
    as_of_date DATE NOT NULL,
    elapsed_days INTEGER NOT NULL,           -- f = elapsed_days / total_days (§1)
    total_days INTEGER NOT NULL,
    net_disbursed_wan DECIMAL(18,4) NOT NULL, -- D at A (§2)
    disbursed_wan DECIMAL(18,4) NOT NULL,
    recovered_wan DECIMAL(18,4) NOT NULL,
    first_disbursement_date DATE,
    latest_period VARCHAR,                   -- the report that gives the values at A
    fiscal_spent_wan DECIMAL(18,4) NOT NULL,
    self_arrived_wan DECIMAL(18,4) NOT NULL,
    total_spent_wan DECIMAL(18,4) NOT NULL,
    self_expected_wan DOUBLE,                -- self funding × f
    n_reports_in_year INTEGER NOT NULL,
    n_milestones INTEGER NOT NULL,
    n_due INTEGER NOT NULL,
    n_done INTEGER NOT NULL,
    n_on_time INTEGER NOT NULL,
    n_long_overdue INTEGER NOT NULL,         -- stalled inputs (§5)
    n_done_in_window INTEGER NOT NULL,
    due_weight DECIMAL(38,4) NOT NULL,
    done_weight DECIMAL(38,4) NOT NULL,
    n_output INTEGER NOT NULL,               -- KPI targets counted, and behind their expected value
    n_output_short INTEGER NOT NULL,
    n_outcome INTEGER NOT NULL,
    n_outcome_short INTEGER NOT NULL,
    n_experts INTEGER NOT NULL,
    n_veto INTEGER NOT NULL,
    expert_max DOUBLE,
    expert_min DOUBLE,
    expert_trimmed BOOLEAN NOT NULL,
    ach_spi DOUBLE,                          -- share of each leaf's points earned, 0..1, exact at the cap,
    ach_on_time DOUBLE,                      -- NULL = the leaf does not apply (§3)
    ach_fund_execution DOUBLE,
    ach_self_funding DOUBLE,
    ach_output DOUBLE,
    ach_outcome DOUBLE,
    ach_expert DOUBLE,
    applicable_points DOUBLE NOT NULL,
    n_warning_flags INTEGER NOT NULL,        -- flags other than veto (§5)
    prev_decision VARCHAR,                   -- last year's effective decision: recorded, else recommended
    prev_recorded_decision VARCHAR,
    PRIMARY KEY (project_id, review_year)
);

-- Every milestone of a reviewed project at the as-of date (docs/scoring.md §2).
CREATE TABLE IF NOT EXISTS mart.review_milestone (
    project_id VARCHAR NOT NULL,
    review_year INTEGER NOT NULL,
    milestone_no INTEGER NOT NULL,
    description VARCHAR,
    planned_date DATE NOT NULL,
    completed_date DATE,                     -- as reported (may be after A)
    weight DECIMAL(18,4) NOT NULL,
    weight_share DOUBLE NOT NULL,
    is_due BOOLEAN NOT NULL,
    is_done BOOLEAN NOT NULL,                -- completed on or before A
    is_on_time BOOLEAN NOT NULL,             -- due, done, within the grace days
    days_overdue INTEGER,                    -- due and not done: days past plan at A
    PRIMARY KEY (project_id, review_year, milestone_no)
);

-- Every KPI target of a reviewed project at the as-of date (docs/scoring.md §2).
CREATE TABLE IF NOT EXISTS mart.review_kpi (
    project_id VARCHAR NOT NULL,
    review_year INTEGER NOT NULL,
    indicator VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,                   -- output | outcome
    target_value DECIMAL(18,4) NOT NULL,
    due_date DATE,
    f_i DOUBLE NOT NULL,                     -- time-proportional share of the target due by A
    expected DOUBLE NOT NULL,                -- target × f_i
    actual DECIMAL(18,4) NOT NULL,           -- cumulative value at A (0 if none)
    ratio DOUBLE,                            -- actual / expected; NULL when nothing is expected yet
    counts BOOLEAN NOT NULL,                 -- expected > 0: the indicator counts
    met BOOLEAN NOT NULL,                    -- actual ≥ expected, decided exactly
    PRIMARY KEY (project_id, review_year, indicator)
);

-- The money of a reviewed project over time up to the as-of date, for the drill-down dashboard:
-- cumulative net disbursement at each payment date, and the progress values of each report quarter.
CREATE TABLE IF NOT EXISTS mart.review_timeline (
    project_id VARCHAR NOT NULL,
    review_year INTEGER NOT NULL,
    disbursed STRUCT(payment_date DATE, cumulative_wan DECIMAL(38,4))[] NOT NULL,
    progress STRUCT(period_end DATE, fiscal_spent_wan DECIMAL(18,4), total_spent_wan DECIMAL(18,4))[] NOT NULL,
    PRIMARY KEY (project_id, review_year)
);
