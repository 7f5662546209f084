-- Programme-management marts (docs/programme-management.md §3–§7): analyses beyond the rubric.
-- They read the review's marts (mart.project_review, mart.review_measure, mart.review_milestone, and
-- mart.review_signal where that analysis exists) and dim_project for the groupings; they never read a
-- fact and never change an official score, grade or recommendation.
-- Written delete-then-insert per review year, in one transaction (scorecard/programme_management.py).
CREATE SCHEMA IF NOT EXISTS mart;

-- §3 Follow-through: last year's problems, what became of them this year.
CREATE TABLE IF NOT EXISTS mart.follow_through (
    project_id VARCHAR NOT NULL,
    review_year INTEGER NOT NULL,
    prev_decision VARCHAR NOT NULL,          -- effective decision of Y−1: recorded, else recommended
    prev_problem BOOLEAN NOT NULL,           -- a potential problem project in Y−1
    prev_grade VARCHAR NOT NULL,
    grade VARCHAR,                           -- NULL when not reviewed in Y
    recommendation VARCHAR,
    outcome VARCHAR NOT NULL,                -- resolved | persisting | escalated | closing | not_reviewed
    PRIMARY KEY (project_id, review_year)
);

-- §4 Dynamic adjustment: one row per review year, level (field | plan) and code.
CREATE TABLE IF NOT EXISTS mart.portfolio_adjustment (
    review_year INTEGER NOT NULL,
    level VARCHAR NOT NULL,                  -- field | plan
    code VARCHAR NOT NULL,
    projects INTEGER NOT NULL,               -- reviewed projects
    graded INTEGER NOT NULL,                 -- of which graded (not insufficient)
    mean_score DOUBLE,                       -- over the graded projects (decided exactly on the DECIMAL sum)
    share_ab DOUBLE,                         -- A or B among graded
    share_terminate DOUBLE,                  -- recommended terminate / projects
    problem_share DOUBLE,                    -- potential problem projects / projects
    fund_execution DOUBLE,                   -- Σ fiscal spent / Σ net disbursed
    suggestion VARCHAR NOT NULL,             -- too_few | shrink | adjust | expand | maintain
    reason_zh VARCHAR NOT NULL,
    reason_en VARCHAR NOT NULL,
    PRIMARY KEY (review_year, level, code)
);

-- §5 Budget what-if — a SCENARIO, never an official figure.
CREATE TABLE IF NOT EXISTS mart.budget_scenario (
    review_year INTEGER NOT NULL,
    scenario VARCHAR NOT NULL,               -- always 'what_if' (资金调整测算): a scenario, not a decision
    field VARCHAR,                           -- NULL: the unallocated row (未分配)
    released_wan DECIMAL(18,4) NOT NULL,     -- Σ max(0, approved − D) + clawback of projects recommended terminate
    held_wan DECIMAL(18,4) NOT NULL,         -- Σ max(0, approved − D) of projects recommended suspend_funding
    reallocated_wan DECIMAL(18,4) NOT NULL,  -- the year's released total, pro rata; Σ reallocated = Σ released
    basis VARCHAR NOT NULL                   -- expand | maintain | unallocated | none: which rule chose the receivers
);

-- §6 Overall evaluation: the cohort table (approval year × latest status) at review year Y.
CREATE TABLE IF NOT EXISTS mart.programme_cohort (
    review_year INTEGER NOT NULL,
    approval_year INTEGER NOT NULL,
    latest_status VARCHAR NOT NULL,          -- terminated | accepted | active_A … active_D | active_insufficient
    projects INTEGER NOT NULL,
    approved_wan DECIMAL(18,4) NOT NULL,
    PRIMARY KEY (review_year, approval_year, latest_status)
);

-- §7 Project managers: each manager's projects of the review year.
CREATE TABLE IF NOT EXISTS mart.manager_portfolio (
    review_year INTEGER NOT NULL,
    project_manager VARCHAR NOT NULL,        -- '(未指定)' when empty
    projects INTEGER NOT NULL,
    grade_a INTEGER NOT NULL,
    grade_b INTEGER NOT NULL,
    grade_c INTEGER NOT NULL,
    grade_d INTEGER NOT NULL,
    grade_insufficient INTEGER NOT NULL,
    flagged INTEGER NOT NULL,                -- projects with at least one flag
    problem_projects INTEGER NOT NULL,
    signals INTEGER,                         -- mart.review_signal rows; NULL when that analysis has not run
    overdue_milestones INTEGER NOT NULL,     -- due and not done at the as-of date
    PRIMARY KEY (review_year, project_manager)
);
