-- Signal duplicate_evidence 一果多报 (docs/analytics.md §2). Fires when an evidence reference of the project's
-- KPI actuals (periods ending by A) is also reported by another project (any project, periods ending by A).
-- A cell may hold several references, separated by ; ； , ， or 、. References are compared normalised:
-- NFKC, upper case, spaces, '-', '.' and '/' removed (so "CN 1234567.8", "ＣＮ１２３４５６７８" and
-- "cn-1234567-8" are one reference). A reference repeated within one project is no signal.
-- One row per project and shared reference. evidence_ref is raw evidence the review does not measure, so it
-- is read from fact_kpi.
CREATE OR REPLACE TEMP TABLE evidence_reference AS
WITH cells AS (
    SELECT k.project_id, k.period, k.indicator, k.evidence_ref AS cell
    FROM fact_kpi AS k
    WHERE k.evidence_ref IS NOT NULL AND k.period_end <= CAST($as_of AS DATE)
),
project_cells AS (
    SELECT DISTINCT project_id, cell FROM cells
),
cell_refs AS (
    -- every distinct cell split and normalised once (a cumulative actual repeats its cell every quarter);
    -- NFKC leaves plain ASCII as it is, so only text with other characters goes through it
    SELECT
        cell,
        written,
        upper(regexp_replace(CASE WHEN strlen(written) = length(written) THEN written ELSE nfkc(written) END,
            '[\s\-./]', '', 'g')) AS ref
    FROM (
        SELECT cell, trim(unnest(string_split_regex(cell, '[;；,，、]'))) AS written
        FROM (SELECT DISTINCT cell FROM project_cells)
    )
    WHERE written <> ''
),
shared AS (
    -- only a reference reported by two projects or more can be a signal
    SELECT r.ref
    FROM project_cells AS pc
    JOIN cell_refs AS r USING (cell)
    WHERE r.ref <> ''
    GROUP BY r.ref
    HAVING count(DISTINCT pc.project_id) > 1
)
SELECT c.project_id, c.period, c.indicator, r.written, r.ref
FROM cells AS c
JOIN cell_refs AS r USING (cell)
WHERE r.ref IN (SELECT ref FROM shared);

CREATE OR REPLACE TEMP TABLE signal_duplicate_evidence AS
WITH mine AS (
    SELECT
        e.project_id,
        s.review_year,
        e.ref,
        list(DISTINCT e.written ORDER BY e.written) AS written,
        list(DISTINCT e.period || ' ' || e.indicator ORDER BY e.period || ' ' || e.indicator) AS rows
    FROM evidence_reference AS e
    JOIN signal_scope AS s USING (project_id)
    WHERE e.ref <> ''
    GROUP BY e.project_id, s.review_year, e.ref
),
others AS (
    SELECT
        m.project_id,
        m.review_year,
        m.ref,
        o.project_id AS other_id,
        list(DISTINCT o.written ORDER BY o.written) AS other_written,
        list(DISTINCT o.period || ' ' || o.indicator ORDER BY o.period || ' ' || o.indicator) AS other_rows
    FROM mine AS m
    JOIN evidence_reference AS o ON o.ref = m.ref AND o.project_id <> m.project_id
    GROUP BY m.project_id, m.review_year, m.ref, o.project_id
),
shared AS (
    SELECT
        project_id,
        review_year,
        ref,
        list(other_id ORDER BY other_id) AS other_projects,
        list({'project_id': other_id, 'written': other_written, 'rows': other_rows} ORDER BY other_id) AS other_detail
    FROM others
    GROUP BY project_id, review_year, ref
)
SELECT
    s.project_id,
    s.review_year,
    'duplicate_evidence' AS signal,
    json_object('reference', s.ref, 'written', m.written, 'rows', m.rows, 'other_projects', s.other_projects,
        'others', s.other_detail) AS evidence,
    printf('佐证编号 %s（本项目写作 %s，见 %s）也由 %d 个其他项目报送：%s',
        s.ref, array_to_string(m.written, '、'), array_to_string(m.rows, '、'), len(s.other_projects),
        array_to_string(s.other_projects, '、')) AS text_zh,
    printf('Evidence reference %s (written here as %s, in %s) is also reported by %d other project(s): %s',
        s.ref, array_to_string(m.written, ' / '), array_to_string(m.rows, ', '), len(s.other_projects),
        array_to_string(s.other_projects, ', ')) AS text_en
FROM shared AS s
JOIN mine AS m USING (project_id, review_year, ref);
