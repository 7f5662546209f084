-- Signal copied_summary 进展报告雷同 (docs/analytics.md §2). Fires when a progress-report summary of a period in
-- year Y, normalised (NFKC, all whitespace removed), is at least $copy_min_chars characters long and equals a
-- summary of another project (any period ending by A). One row per project and copied text (a text the
-- project repeats in several quarters is one row naming those quarters). Summaries are raw evidence the
-- review does not measure, so they are read from fact_progress.
CREATE OR REPLACE TEMP TABLE summary_text AS
SELECT project_id, period, period_year, text
FROM (
    SELECT project_id, period, period_year, regexp_replace(nfkc(summary), '[\s\p{Z}]+', '', 'g') AS text
    FROM fact_progress
    WHERE summary IS NOT NULL AND period_end <= CAST($as_of AS DATE)
)
WHERE length(text) >= $copy_min_chars;

CREATE OR REPLACE TEMP TABLE signal_copied_summary AS
WITH mine AS (
    SELECT t.project_id, s.review_year, t.text, list(t.period ORDER BY t.period) AS periods
    FROM summary_text AS t
    JOIN signal_scope AS s USING (project_id)
    WHERE t.period_year = s.review_year
    GROUP BY t.project_id, s.review_year, t.text
),
others AS (
    SELECT m.project_id, m.review_year, m.text, o.project_id AS other_id, list(o.period ORDER BY o.period) AS other_periods
    FROM mine AS m
    JOIN summary_text AS o ON o.text = m.text AND o.project_id <> m.project_id
    GROUP BY m.project_id, m.review_year, m.text, o.project_id
),
shared AS (
    SELECT
        project_id,
        review_year,
        text,
        list(other_id ORDER BY other_id) AS other_projects,
        list(other_id || '（' || array_to_string(other_periods, '、') || '）' ORDER BY other_id) AS named_zh,
        list(other_id || ' (' || array_to_string(other_periods, ', ') || ')' ORDER BY other_id) AS named_en,
        list({'project_id': other_id, 'periods': other_periods} ORDER BY other_id) AS other_detail
    FROM others
    GROUP BY project_id, review_year, text
)
SELECT
    s.project_id,
    s.review_year,
    'copied_summary' AS signal,
    json_object('summary', s.text, 'characters', length(s.text), 'periods', m.periods,
        'other_projects', s.other_projects, 'others', s.other_detail) AS evidence,
    printf('%s 的进展摘要（规范化后 %d 字）与 %d 个其他项目的摘要相同：%s；摘要：“%s”',
        array_to_string(m.periods, '、'), length(s.text), len(s.other_projects),
        array_to_string(list_slice(s.named_zh, 1, 10), '、')
            || CASE WHEN len(s.named_zh) > 10 THEN printf(' 等 %d 个项目', len(s.named_zh)) ELSE '' END,
        CASE WHEN length(s.text) > 40 THEN left(s.text, 40) || '…' ELSE s.text END) AS text_zh,
    printf('The progress summary of %s (%d characters normalised) equals the summary of %d other project(s): %s; summary: "%s"',
        array_to_string(m.periods, ', '), length(s.text), len(s.other_projects),
        array_to_string(list_slice(s.named_en, 1, 10), ', ')
            || CASE WHEN len(s.named_en) > 10 THEN printf(' and %d more', len(s.named_en) - 10) ELSE '' END,
        CASE WHEN length(s.text) > 40 THEN left(s.text, 40) || '…' ELSE s.text END) AS text_en
FROM shared AS s
JOIN mine AS m USING (project_id, review_year, text);
