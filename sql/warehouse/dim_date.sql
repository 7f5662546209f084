-- asset: Calendar 2000–2100 with quarters and periods
-- dim_date: calendar days 2000-01-01 .. 2100-12-31 with year, quarter and the review period keys.
CREATE OR REPLACE TABLE dim_date AS
SELECT
    d::DATE AS date,
    year(d) AS year,
    quarter(d) AS quarter,
    month(d) AS month,
    day(d) AS day,
    year(d)::VARCHAR || 'Q' || quarter(d)::VARCHAR AS period,
    (d = last_day(d) AND month(d) % 3 = 0) AS is_quarter_end
FROM range(DATE '2000-01-01', DATE '2101-01-01', INTERVAL 1 DAY) AS t(d);
