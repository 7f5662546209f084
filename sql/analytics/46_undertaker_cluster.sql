-- Signal undertaker_cluster 承担单位集中风险 (docs/analytics.md §2). Fires for a potential problem project of year Y
-- (docs/scoring.md §5) whose undertaker — the name compared after NFKC with all whitespace removed — has at
-- least $cluster_min potential problem projects in Y (this one included). One row per such project, naming the
-- undertaker's other problem projects and their flags. Everything is the review's (signal_scope).
CREATE OR REPLACE TEMP TABLE signal_undertaker_cluster AS
WITH problem AS (
    SELECT project_id, review_year, undertaker, undertaker_key, flags
    FROM signal_scope
    WHERE problem_project
),
cluster AS (
    SELECT undertaker_key, count(*) AS n_problem
    FROM problem
    GROUP BY undertaker_key
    HAVING count(*) >= $cluster_min
),
named AS (
    SELECT
        p.project_id,
        list(o.project_id ORDER BY o.project_id) AS other_projects,
        list({'project_id': o.project_id, 'undertaker': o.undertaker, 'flags': o.flags} ORDER BY o.project_id) AS others,
        list(o.project_id || '（' || o.flags || '）' ORDER BY o.project_id) AS named_zh,
        list(o.project_id || ' (' || o.flags || ')' ORDER BY o.project_id) AS named_en
    FROM problem AS p
    JOIN problem AS o ON o.undertaker_key = p.undertaker_key AND o.project_id <> p.project_id
    GROUP BY p.project_id
)
SELECT
    p.project_id,
    p.review_year,
    'undertaker_cluster' AS signal,
    json_object('undertaker', p.undertaker, 'undertaker_key', p.undertaker_key, 'problem_projects', c.n_problem,
        'flags', p.flags, 'other_projects', n.other_projects, 'others', n.others) AS evidence,
    printf('承担单位“%s”本年有 %d 个潜在问题项目（不少于 %d 个）：本项目（%s）及 %s',
        p.undertaker, c.n_problem, $cluster_min, p.flags,
        array_to_string(list_slice(n.named_zh, 1, 10), '、')
            || CASE WHEN len(n.named_zh) > 10 THEN printf(' 等 %d 个项目', len(n.named_zh)) ELSE '' END) AS text_zh,
    printf('Undertaker "%s" has %d potential problem projects this year (at least %d): this one (%s) and %s',
        p.undertaker, c.n_problem, $cluster_min, p.flags,
        array_to_string(list_slice(n.named_en, 1, 10), ', ')
            || CASE WHEN len(n.named_en) > 10 THEN printf(' and %d more', len(n.named_en) - 10) ELSE '' END) AS text_en
FROM problem AS p
JOIN cluster AS c USING (undertaker_key)
JOIN named AS n USING (project_id);
