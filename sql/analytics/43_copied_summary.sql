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
project_texts AS (
    -- every normalised text of every project once, with the periods it was written in
    SELECT project_id, text, list(period ORDER BY period) AS periods
    FROM summary_text
    GROUP BY project_id, text
),
shared AS (
    SELECT
        m.project_id,
        m.review_year,
        m.text,
        list(o.project_id ORDER BY o.project_id) AS other_projects,
        list(o.project_id || '（' || array_to_string(o.periods, '、') || '）' ORDER BY o.project_id) AS named_zh,
        list(o.project_id || ' (' || array_to_string(o.periods, ', ') || ')' ORDER BY o.project_id) AS named_en,
        list({'project_id': o.project_id, 'periods': o.periods} ORDER BY o.project_id) AS other_detail
    FROM mine AS m
    JOIN project_texts AS o ON o.text = m.text AND o.project_id <> m.project_id
    GROUP BY m.project_id, m.review_year, m.text
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
