-- The analytics tables (docs/analytics.md §1, §2): derived, one review year at a time, delete-then-insert
-- (scorecard/analytics.py). None of them changes an official score, grade or recommendation.
-- No PRIMARY KEY: keeping an index on 800,000 sensitivity rows a year cost more than the analysis itself at
-- 100,000 projects (bench/README.md); one row per key is a GX rule of the asset checks instead.

-- docs/analytics.md §1: one row per reviewed project, review year and scenario, for `base` and the eight
-- one-at-a-time scenarios (`process+5` …).
CREATE TABLE IF NOT EXISTS mart.decision_sensitivity (
    project_id VARCHAR NOT NULL,
    review_year INTEGER NOT NULL,
    scenario VARCHAR NOT NULL,
    total_score DOUBLE,                      -- two decimals, half away from zero (decided as DECIMAL(5,2))
    grade VARCHAR NOT NULL,
    recommendation VARCHAR NOT NULL
);

-- docs/analytics.md §1: one row per reviewed project and review year — how far the decision stands.
CREATE TABLE IF NOT EXISTS mart.decision_robustness (
    project_id VARCHAR NOT NULL,
    review_year INTEGER NOT NULL,
    grade VARCHAR NOT NULL,
    recommendation VARCHAR NOT NULL,
    total_score DOUBLE,                      -- the official total (as mart.project_review)
    margin_points DOUBLE,                    -- computed on the exact DECIMAL(5,2) total
    oat_flips INTEGER NOT NULL,
    random_share_kept DOUBLE,
    flip_to VARCHAR,
    fragile BOOLEAN NOT NULL
);

-- docs/analytics.md §2: one row per project, review year, signal and piece of evidence.
CREATE TABLE IF NOT EXISTS mart.review_signal (
    project_id VARCHAR NOT NULL,
    review_year INTEGER NOT NULL,
    signal VARCHAR NOT NULL,
    evidence VARCHAR NOT NULL,
    text_zh VARCHAR NOT NULL,
    text_en VARCHAR NOT NULL
);
