-- asset: Undertaking organisations 承担单位
-- dim_undertaker: the undertaking organisations (承担单位), one row per name and type.
CREATE OR REPLACE TABLE dim_undertaker AS
SELECT
    undertaker,
    undertaker_type,
    count(*) AS project_count,
    sum(approved_funding_wan) AS approved_funding_wan
FROM raw.projects
GROUP BY undertaker, undertaker_type
ORDER BY undertaker, undertaker_type;
