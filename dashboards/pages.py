"""Analysts' dashboards (docs/report.md "Dashboards"): self-contained Plotly pages per review year.

* ``portfolio-Y.html`` — portfolio overview filtered by year, field, plan and department. It embeds a
  small cube (review year × field × plan × department, counts and sums from ``mart.project_review``),
  so its size does not depend on the number of projects.
* ``projects-Y.html`` — project drill-down: milestone timeline, cumulative disbursement vs fiscal
  spend vs earned value, KPI progress. It embeds at most ``DRILLDOWN_CAP`` projects (most flags,
  then lowest score) as compact JSON, and says so on the page.
* ``recommendations-Y.html`` — the recommendation board: one column per recommendation, cards with
  the reasons, filters by field and department; at most ``BOARD_CAP`` cards per column.

Where the analyses of docs/analytics.md have run, a board card says when its decision is fragile (and what
it flips to) and which signals its project has; the drill-down shows the decision's robustness and lists
the project's signals.

Plotly's JavaScript is embedded once per page (no network). Every number is read from the mart and
the warehouse facts; nothing is recomputed.
"""

from __future__ import annotations

import json
from html import escape

import duckdb
from plotly.offline import get_plotlyjs

from scorecard import codes
from scorecard.jsonable import plain
from scorecard.manifest import DASHBOARDS
from scorecard.report.data import GRADE_COLUMNS
from scorecard.report.i18n import I18n

DRILLDOWN_CAP = 500
BOARD_CAP = 300
FONT = "Noto Sans CJK SC, sans-serif"
_PAGES: dict = {}  # dashboard key (scorecard.manifest.DASHBOARDS) -> the function writing its page


def _dashboard(fn):
    """Register a page function under its name, the dashboard's key."""
    _PAGES[fn.__name__] = fn
    return fn


def _t(lang: str, zh: str, en: str) -> str:
    """A heading in the page's language(s): the report's own i18n (``中文 / English``)."""
    return I18n(lang).t(zh, en)


def _labels(lang: str) -> dict:
    """Code → label in one language per code table, as the report's table cells write them."""
    i18n = I18n(lang)
    tables = {
        "field": codes.FIELDS,
        "plan": codes.PLANS,
        "department": codes.DEPARTMENTS,
        "grade": codes.GRADES,
        "recommendation": codes.RECOMMENDATIONS,
        "flag": codes.FLAGS,
        "indicator": codes.INDICATORS,
        "signal": codes.SIGNALS,
    }
    return {name: {k: i18n.one(table, k) for k in table} for name, table in tables.items()}


def _json(value) -> str:
    """JSON safe inside a <script> element: no "<" at all (no "</script>", no "<!--"), so data cannot end
    or re-mode the element; JSON.parse reads the \\u003c escapes back as "<". Decimals are numbers."""
    return json.dumps(value, ensure_ascii=False, default=plain, separators=(",", ":")).replace("<", "\\u003c")


def _analyses(con: duckdb.DuckDBPyConnection, year: int, lang: str, project_ids: list[str]) -> tuple[dict, dict]:
    """Per project of ``project_ids``: its decision's robustness and its signals (docs/analytics.md), from
    mart.decision_robustness and mart.review_signal — empty where those analyses have not run."""
    from scorecard.report.analytics_data import has_tables

    if not project_ids or not has_tables(con):
        return {}, {}
    text = "text_en" if lang == "en" else "text_zh"
    robust = {
        pid: {"fragile": fragile, "margin": margin, "oat_flips": flips, "kept": kept, "flip_to": flip_to}
        for pid, fragile, margin, flips, kept, flip_to in con.sql(
            """SELECT project_id, fragile, margin_points, oat_flips, random_share_kept, flip_to
               FROM mart.decision_robustness WHERE review_year = ? AND list_contains(?, project_id)""",
            params=[year, project_ids],
        ).fetchall()
    }
    signals: dict[str, list] = {}
    for pid, signal, line in con.sql(
        f"""SELECT project_id, signal, {text} FROM mart.review_signal
            WHERE review_year = ? AND list_contains(?, project_id) ORDER BY project_id, signal, {text}""",
        params=[year, project_ids],
    ).fetchall():
        signals.setdefault(pid, []).append([signal, line])
    return robust, signals


def _analysis_text(lang: str) -> dict:
    return {
        "fragile": _t(lang, "待复核：权重稍变即改变决定", "Fragile: a small change of weights changes this decision"),
        "robust": _t(lang, "稳健", "Robust"),
        "margin": _t(lang, "距等级分界", "margin to band"),
        "oat": _t(lang, "单因素情景改变", "one-at-a-time flips"),
        "kept": _t(lang, "随机权重保持", "kept by random rubrics"),
        "flip_to": _t(lang, "可能改为", "flips to"),
        "signals": _t(lang, "疑点线索", "Signals for follow-up"),
        "only_fragile": _t(lang, "只看待复核的决定", "Fragile decisions only"),
    }


_PLOTLY_JS: str | None = None


def _plotly_js() -> str:
    global _PLOTLY_JS
    if _PLOTLY_JS is None:
        _PLOTLY_JS = get_plotlyjs()
    return _PLOTLY_JS


def _page(lang: str, title: str, body: str, payload: dict, script: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="{"en" if lang == "en" else "zh-CN"}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", sans-serif; margin: 0; color: #1b1f24; background: #f6f8fa; }}
header {{ background: #12355b; color: #fff; padding: 12px 24px; }} header h1 {{ margin: 0; font-size: 20px; }}
header p {{ margin: 4px 0 0; font-size: 12px; opacity: .85; }}
main {{ padding: 16px 24px; }} .filters {{ display: flex; gap: 12px; flex-wrap: wrap; margin-bottom: 12px; }}
.filters label {{ font-size: 13px; }} select, input {{ font: inherit; padding: 3px 6px; }}
.tiles {{ display: flex; gap: 12px; flex-wrap: wrap; margin-bottom: 12px; }}
.tile {{ background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: 10px 16px; min-width: 150px; }}
.tile b {{ display: block; font-size: 22px; color: #12355b; }} .tile span {{ font-size: 12px; color: #57606a; }}
.grid {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 12px; }}
.card {{ background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: 8px; }}
.note {{ font-size: 12px; color: #57606a; }}
.board {{ display: grid; grid-template-columns: repeat(5, minmax(200px, 1fr)); gap: 10px; align-items: start; }}
.col {{ background: #eaeef2; border-radius: 6px; padding: 6px; }} .col h2 {{ font-size: 14px; margin: 4px; }}
.item {{ background: #fff; border-radius: 4px; padding: 6px 8px; margin: 6px 0; font-size: 12px; border-left: 4px solid #8c959f; }}
.item b {{ font-size: 12.5px; }} .item .r {{ color: #57606a; margin-top: 3px; }}
table.info {{ font-size: 13px; border-collapse: collapse; }} table.info td {{ padding: 2px 10px 2px 0; }}
.fragile {{ color: #cf222e; font-weight: bold; }} .sig {{ color: #8250df; }} ul.signals {{ margin: 4px 0; padding-left: 18px; font-size: 12.5px; }}
</style>
<script type="text/javascript">{_plotly_js()}</script>
</head><body>
{body}
<script type="application/json" id="payload">{_json(payload)}</script>
<script>
const DATA = JSON.parse(document.getElementById('payload').textContent);
const FONT = {{family: "{FONT}"}};
// Every data value that goes into markup passes through esc (text and attribute values alike).
const ESCAPES = {{'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}};
const esc = s => String(s == null ? '' : s).replace(/[&<>"']/g, c => ESCAPES[c]);
{script}
</script>
</body></html>"""


# ----------------------------------------------------------------------------------------------
@_dashboard
def portfolio(con: duckdb.DuckDBPyConnection, year: int, lang: str = "zh+en") -> str:
    cols = [
        "review_year",
        "field",
        "plan",
        "department",
        "projects",
        *GRADE_COLUMNS,
        "score_sum",
        "scored",
        "approved_wan",
        "ac_wan",
        "clawback_wan",
        "rec_terminate",
        "rec_acceptance_review",
        "rec_suspend_funding",
        "rec_rectify",
        "rec_rolling_support",
        "flagged",
    ]
    rows = con.sql(
        """
        SELECT r.review_year, p.field, p.plan, p.department, count(*),
               count(*) FILTER (grade = 'A'), count(*) FILTER (grade = 'B'), count(*) FILTER (grade = 'C'),
               count(*) FILTER (grade = 'D'), count(*) FILTER (grade = 'insufficient'),
               coalesce(sum(total_score), 0), count(total_score), coalesce(sum(p.approved_funding_wan), 0), coalesce(sum(r.ac), 0),
               coalesce(sum(r.clawback_wan), 0),
               count(*) FILTER (recommendation = 'terminate'), count(*) FILTER (recommendation = 'acceptance_review'),
               count(*) FILTER (recommendation = 'suspend_funding'), count(*) FILTER (recommendation = 'rectify'),
               count(*) FILTER (recommendation = 'rolling_support'), count(*) FILTER (flags <> '')
        FROM mart.project_review r JOIN dim_project p USING (project_id)
        WHERE r.review_year <= ? GROUP BY ALL ORDER BY ALL""",
        params=[year],
    ).fetchall()
    payload = {
        "year": year,
        "columns": cols,
        "rows": [list(r) for r in rows],
        "labels": _labels(lang),
        "lang": lang,
        "text": {
            "all": _t(lang, "全部", "All"),
            "projects": _t(lang, "项目数", "Projects"),
            "mean": _t(lang, "平均分", "Mean score"),
            "approved": _t(lang, "财政资助（万元）", "Approved (万元)"),
            "good": _t(lang, "优良率", "Share A or B"),
            "flagged": _t(lang, "有预警项目", "Projects with flags"),
            "grades_field": _t(lang, "各领域等级分布", "Grades by field"),
            "recs": _t(lang, "考核建议", "Recommendations"),
            "trend": _t(lang, "历年平均分与项目数", "Mean score and projects per year"),
            "money_plan": _t(lang, "各扶持计划财政资助与实际支出（万元）", "Approved and spent by plan (万元)"),
            "spent": _t(lang, "累计实际支出", "Total spent (AC)"),
            "clawback": _t(lang, "建议追回（万元）", "Clawback (万元)"),
        },
    }
    title = _t(lang, f"{year}年度项目组合看板", f"{year} portfolio overview")
    sel = lambda key, zh, en: f'<label>{_t(lang, zh, en)} <select id="f-{key}"></select></label>'  # noqa: E731
    body = f"""<header><h1>{escape(title)}</h1><p>{escape(_t(lang, "深圳市十大重大科技产业专项 · 数据来自 mart.project_review", "Shenzhen Ten Major S&T Industry Special Projects · data: mart.project_review"))}</p></header>
<main><div class="filters">{sel("year", "考核年度", "Review year")}{sel("field", "领域", "Field")}{sel("plan", "扶持计划", "Plan")}{sel("department", "主管单位", "Department")}</div>
<div class="tiles" id="tiles"></div>
<div class="grid"><div class="card" id="c-grades"></div><div class="card" id="c-recs"></div>
<div class="card" id="c-trend"></div><div class="card" id="c-money"></div></div></main>"""
    script = r"""
const C = DATA.columns, R = DATA.rows.map(r => Object.fromEntries(C.map((c, i) => [c, r[i]])));
const L = DATA.labels, T = DATA.text, GR = ['A','B','C','D','insufficient'], RECS = Object.keys(L.recommendation);
const COLORS = {A:'#1a7f37',B:'#4c9f70',C:'#d4a72c',D:'#cf222e',insufficient:'#8c959f'};
function fill(id, values, labels, dflt) {
  const s = document.getElementById(id);
  s.innerHTML = (dflt === undefined ? `<option value="">${esc(T.all)}</option>` : '') +
    values.map(v => `<option value="${esc(v)}">${esc(labels ? (labels[v] || v) : v)}</option>`).join('');
  if (dflt !== undefined) s.value = dflt;
  s.addEventListener('change', draw);
}
const uniq = k => [...new Set(R.map(r => r[k]))].sort();
fill('f-year', uniq('review_year').reverse(), null, String(DATA.year));
fill('f-field', uniq('field'), L.field); fill('f-plan', uniq('plan'), L.plan); fill('f-department', uniq('department'), L.department);
const v = id => document.getElementById(id).value;
const sum = (rows, k) => rows.reduce((a, r) => a + (r[k] || 0), 0);
const fmt = (x, d=0) => x == null || isNaN(x) ? '—' : x.toLocaleString('en-US', {minimumFractionDigits: d, maximumFractionDigits: d});
const layout = (title, extra) => Object.assign({title: {text: title, font: {size: 14}}, font: FONT, template: 'plotly_white',
  margin: {l: 50, r: 20, t: 40, b: 80}, height: 360, legend: {orientation: 'h'}}, extra || {});
function draw() {
  const y = +v('f-year'), f = v('f-field'), p = v('f-plan'), d = v('f-department');
  const base = R.filter(r => (!f || r.field === f) && (!p || r.plan === p) && (!d || r.department === d));
  const rows = base.filter(r => r.review_year === y);
  const n = sum(rows, 'projects'), scored = sum(rows, 'scored');
  const tiles = [[T.projects, fmt(n)], [T.mean, fmt(scored ? sum(rows, 'score_sum') / scored : null, 2)],
    [T.good, n ? fmt(100 * (sum(rows, 'grade_a') + sum(rows, 'grade_b')) / n, 1) + '%' : '—'],
    [T.approved, fmt(sum(rows, 'approved_wan'), 2)], [T.flagged, fmt(sum(rows, 'flagged'))], [T.clawback, fmt(sum(rows, 'clawback_wan'), 2)]];
  document.getElementById('tiles').innerHTML = tiles.map(([k, x]) => `<div class="tile"><b>${esc(x)}</b><span>${esc(k)}</span></div>`).join('');
  const fields = [...new Set(rows.map(r => r.field))].sort();
  Plotly.react('c-grades', GR.map(g => ({type: 'bar', name: L.grade[g], marker: {color: COLORS[g]},
      x: fields.map(x => L.field[x] || x), y: fields.map(x => sum(rows.filter(r => r.field === x), 'grade_' + g.toLowerCase()))})),
    layout(T.grades_field, {barmode: 'stack'}), {displaylogo: false, responsive: true});
  Plotly.react('c-recs', [{type: 'bar', x: RECS.map(k => L.recommendation[k]), y: RECS.map(k => sum(rows, 'rec_' + k)),
      marker: {color: ['#cf222e','#0969da','#bc4c00','#d4a72c','#1a7f37']}}], layout(T.recs), {displaylogo: false, responsive: true});
  const years = [...new Set(base.map(r => r.review_year))].sort();
  Plotly.react('c-trend', [
      {type: 'bar', name: T.projects, x: years.map(String), y: years.map(yy => sum(base.filter(r => r.review_year === yy), 'projects')), marker: {color: '#c9d1d9'}},
      {type: 'scatter', mode: 'lines+markers', name: T.mean, yaxis: 'y2', x: years.map(String),
       y: years.map(yy => { const b = base.filter(r => r.review_year === yy), s = sum(b, 'scored'); return s ? sum(b, 'score_sum') / s : null; })}],
    layout(T.trend, {xaxis: {type: 'category'}, yaxis2: {overlaying: 'y', side: 'right', range: [0, 100]}}), {displaylogo: false, responsive: true});
  const plans = [...new Set(rows.map(r => r.plan))].sort();
  Plotly.react('c-money', [
      {type: 'bar', name: T.approved, x: plans.map(x => L.plan[x] || x), y: plans.map(x => sum(rows.filter(r => r.plan === x), 'approved_wan')), marker: {color: '#1f4e79'}},
      {type: 'bar', name: T.spent, x: plans.map(x => L.plan[x] || x), y: plans.map(x => sum(rows.filter(r => r.plan === x), 'ac_wan')), marker: {color: '#f79646'}}],
    layout(T.money_plan, {barmode: 'group'}), {displaylogo: false, responsive: true});
}
draw();
"""
    return _page(lang, title, body, payload, script)


# ----------------------------------------------------------------------------------------------
@_dashboard
def projects(con: duckdb.DuckDBPyConnection, year: int, lang: str = "zh+en", cap: int = DRILLDOWN_CAP) -> str:
    total = con.sql("SELECT count(*) FROM mart.project_review WHERE review_year = ?", params=[year]).fetchall()[0][0]
    con.execute("DROP TABLE IF EXISTS _dash_sel")
    con.execute(
        """CREATE TEMP TABLE _dash_sel AS
        SELECT r.project_id, p.project_name, p.field, p.plan, p.department, p.undertaker, p.start_date, p.end_date,
               p.approved_funding_wan, r.total_score, r.grade, r.flags, r.recommendation, r.spi, r.spi_t, r.as_of_date,
               coalesce(nullif(trim(p.project_manager), ''), '(未指定)') AS project_manager
        FROM mart.project_review r JOIN dim_project p USING (project_id) WHERE r.review_year = ?
        ORDER BY (CASE WHEN r.flags = '' THEN 0 ELSE len(string_split(r.flags, ',')) END) DESC,
                 r.total_score ASC NULLS FIRST, r.project_id LIMIT ?""",
        [year, cap],
    )
    try:
        info = con.sql("SELECT * FROM _dash_sel ORDER BY project_id").fetchall()
        info_cols = [c for c in con.sql("SELECT * FROM _dash_sel LIMIT 0").columns]
        group = lambda sql: {pid: rest for pid, *rest in con.sql(sql, params=[year]).fetchall()}  # noqa: E731
        # what the review measured at A (marts only): milestones, money over time, KPI targets and actuals
        ms = group("""SELECT m.project_id, list([m.milestone_no::VARCHAR, m.planned_date::VARCHAR, m.completed_date::VARCHAR,
                                                 m.description] ORDER BY m.milestone_no)
                      FROM mart.review_milestone m JOIN _dash_sel s USING (project_id) WHERE m.review_year = ? GROUP BY 1""")
        disb = group("""SELECT t.project_id,
                               list_transform(t.disbursed, lambda x: [x.payment_date::VARCHAR, x.cumulative_wan::VARCHAR])
                        FROM mart.review_timeline t JOIN _dash_sel s USING (project_id) WHERE t.review_year = ?""")
        prog = group("""SELECT t.project_id,
                               list_transform(t.progress, lambda x: [x.period_end::VARCHAR, x.fiscal_spent_wan::VARCHAR,
                                                                     x.total_spent_wan::VARCHAR])
                        FROM mart.review_timeline t JOIN _dash_sel s USING (project_id) WHERE t.review_year = ?""")
        ev = group("""SELECT r.project_id, list([r.as_of_date::VARCHAR, r.ev::VARCHAR, r.pv::VARCHAR] ORDER BY r.review_year)
                      FROM mart.project_review r JOIN _dash_sel s USING (project_id) WHERE r.review_year <= ? GROUP BY 1""")
        kpi = group("""SELECT k.project_id, list([k.indicator, k.target_value::VARCHAR, k.actual::VARCHAR] ORDER BY k.indicator)
                       FROM mart.review_kpi k JOIN _dash_sel s USING (project_id) WHERE k.review_year = ? GROUP BY 1""")
    finally:
        con.execute("DROP TABLE IF EXISTS _dash_sel")
    items = []
    for row in info:
        d = dict(zip(info_cols, row))
        pid = d["project_id"]
        d = {
            k: (str(v) if k in ("start_date", "end_date", "as_of_date") and v is not None else v) for k, v in d.items()
        }
        d["milestones"] = ms.get(pid, [[]])[0]
        d["disbursed"] = disb.get(pid, [[]])[0]
        d["progress"] = prog.get(pid, [[]])[0]
        d["ev"] = ev.get(pid, [[]])[0]
        d["kpi"] = kpi.get(pid, [[]])[0]
        items.append(d)
    robust, signals = _analyses(con, year, lang, [d["project_id"] for d in items])
    for d in items:
        d["robustness"] = robust.get(d["project_id"])
        d["signals"] = signals.get(d["project_id"], [])
    note = (
        _t(
            lang,
            f"共 {total} 个考核项目，本页收录预警最多、得分最低的 {len(items)} 个（完整数据见年度报告 XLSX）。",
            f"{total} projects reviewed; this page holds the {len(items)} with the most flags and lowest scores (all rows in the report's XLSX).",
        )
        if len(items) < total
        else _t(lang, f"共 {total} 个考核项目。", f"{total} projects reviewed.")
    )
    payload = {
        "year": year,
        "projects": items,
        "labels": _labels(lang),
        "managers": manager_rows(con, year),
        "text": {
            "timeline": _t(lang, "合同节点时间线", "Milestone timeline"),
            "planned": _t(lang, "计划完成", "Planned"),
            "completed": _t(lang, "实际完成", "Completed"),
            "money": _t(
                lang,
                "累计拨款、财政支出与挣值（万元）",
                "Cumulative disbursement, fiscal spend and earned value (万元)",
            ),
            "disbursed": _t(lang, "累计净拨款", "Net disbursed"),
            "fiscal": _t(lang, "财政资金累计支出", "Fiscal spent"),
            "total": _t(lang, "累计总支出", "Total spent"),
            "ev": _t(lang, "挣值 EV", "Earned value"),
            "pv": _t(lang, "计划价值 PV", "Planned value"),
            "kpi": _t(lang, "绩效目标完成进度", "KPI progress (actual / contract target)"),
            "asof": _t(lang, "考核截止日", "As-of date"),
            "all": _t(lang, "全部", "All"),
            "manager_line": _t(
                lang,
                "项目经理人 {m}：考核项目 {n} 个，有预警 {f} 个，潜在问题项目 {p} 个，逾期节点 {o} 个",
                "Manager {m}: {n} projects, {f} flagged, {p} potential problem projects, {o} overdue milestones",
            ),
            **_analysis_text(lang),
        },
    }
    title = _t(lang, f"{year}年度项目明细看板", f"{year} project drill-down")
    body = f"""<header><h1>{escape(title)}</h1><p>{escape(note)}</p></header>
<main><div class="filters"><label>{_t(lang, "项目经理人", "Project manager")} <select id="f-manager"></select></label>
<label>{_t(lang, "项目", "Project")} <select id="pick"></select></label>
<label>{_t(lang, "搜索", "Search")} <input id="search" placeholder="ID / 名称"></label></div>
<p class="note" id="manager-line"></p>
<div class="card" id="info"></div>
<div class="grid"><div class="card" id="c-timeline"></div><div class="card" id="c-money"></div><div class="card" id="c-kpi"></div></div>
<p class="note">{escape(note)}</p></main>"""
    script = r"""
const P = DATA.projects, L = DATA.labels, T = DATA.text;
const pick = document.getElementById('pick'), search = document.getElementById('search');
const manager = document.getElementById('f-manager'), M = DATA.managers || {};
manager.innerHTML = `<option value="">${esc(T.all)}</option>` + [...new Set(P.map(p => p.project_manager))].sort()
  .map(m => `<option value="${esc(m)}">${esc(m)}</option>`).join('');
function managerLine() {
  const m = manager.value, s = M[m];
  document.getElementById('manager-line').textContent = m && s ? T.manager_line.replaceAll('{m}', m).replace('{n}', s.projects)
    .replace('{f}', s.flagged).replace('{p}', s.problem_projects).replace('{o}', s.overdue_milestones) : '';
}
function options(q) {
  q = (q || '').toLowerCase();
  const m = manager.value;
  pick.innerHTML = P.map((p, i) => [p, i]).filter(([p]) => (!m || p.project_manager === m)
      && (!q || (p.project_id + p.project_name).toLowerCase().includes(q)))
    .map(([p, i]) => `<option value="${i}">${esc(p.project_id)} ${esc(p.project_name)} (${esc(L.grade[p.grade] || p.grade)})</option>`).join('');
}
const layout = (title, extra) => Object.assign({title: {text: title, font: {size: 14}}, font: FONT, template: 'plotly_white',
  margin: {l: 60, r: 20, t: 40, b: 60}, height: 380, legend: {orientation: 'h'}}, extra || {});
const dash = s => s == null ? '—' : s;
const pct = x => x == null ? '—' : (100 * x).toFixed(1) + '%';
function robustRow(r) {
  if (!r) return '';
  const head = r.fragile ? `<span class="fragile">${esc(T.fragile)}</span>` : esc(T.robust);
  return `<tr><td colspan="5">${head} · ${esc(T.margin)} ${esc(r.margin == null ? '—' : r.margin.toFixed(2))} · ${esc(T.oat)} ${esc(r.oat_flips)}/8 · ` +
    `${esc(T.kept)} ${esc(pct(r.kept))}${r.flip_to ? ' · ' + esc(T.flip_to) + ' ' + esc(L.recommendation[r.flip_to] || r.flip_to) : ''}</td></tr>`;
}
function signalList(sig) {
  if (!sig || !sig.length) return '';
  return `<div class="sig"><b>${esc(T.signals)} (${esc(sig.length)})</b><ul class="signals">` +
    sig.map(([k, line]) => `<li><b>${esc(L.signal[k] || k)}</b>：${esc(line)}</li>`).join('') + '</ul></div>';
}
function draw() {
  const p = pick.value === '' ? null : P[+pick.value];
  if (!p) { document.getElementById('info').innerHTML = ''; return; }
  document.getElementById('info').innerHTML = `<table class="info"><tr><td><b>${esc(dash(p.project_id))}</b></td><td>${esc(dash(p.project_name))}</td>
    <td>${esc(dash(L.field[p.field] || p.field))}</td><td>${esc(dash(L.plan[p.plan] || p.plan))}</td><td>${esc(dash(L.department[p.department] || p.department))}</td></tr>
    <tr><td>${esc(dash(p.grade && L.grade[p.grade]))}</td><td>${esc(p.total_score == null ? '—' : p.total_score.toFixed(2))}</td>
    <td>${esc(dash(L.recommendation[p.recommendation]))}</td><td>${esc(dash((p.flags || '').split(',').filter(Boolean).map(f => L.flag[f] || f).join('、')))}</td>
    <td>${esc(dash(p.start_date))} → ${esc(dash(p.end_date))}</td><td>${esc(dash(p.project_manager))}</td></tr>${robustRow(p.robustness)}</table>${signalList(p.signals)}`;
  const m = p.milestones || [];
  const shapes = [{type: 'line', x0: p.as_of_date, x1: p.as_of_date, yref: 'paper', y0: 0, y1: 1, line: {dash: 'dot', color: '#cf222e'}}];
  Plotly.react('c-timeline', [
    {type: 'scatter', mode: 'markers', name: T.planned, y: m.map(x => '#' + x[0]), x: m.map(x => x[1]), text: m.map(x => x[3]), marker: {symbol: 'circle-open', size: 12, color: '#1f4e79'}},
    {type: 'scatter', mode: 'markers', name: T.completed, y: m.filter(x => x[2]).map(x => '#' + x[0]), x: m.filter(x => x[2]).map(x => x[2]), marker: {size: 9, color: '#1a7f37'}}],
    layout(T.timeline, {shapes, yaxis: {autorange: 'reversed'}}), {displaylogo: false, responsive: true});
  const d = p.disbursed || [], g = p.progress || [], e = p.ev || [];
  Plotly.react('c-money', [
    {type: 'scatter', mode: 'lines', line: {shape: 'hv'}, name: T.disbursed, x: d.map(x => x[0]), y: d.map(x => +x[1])},
    {type: 'scatter', mode: 'lines+markers', name: T.fiscal, x: g.map(x => x[0]), y: g.map(x => +x[1])},
    {type: 'scatter', mode: 'lines+markers', name: T.total, x: g.map(x => x[0]), y: g.map(x => +x[2]), line: {dash: 'dot'}},
    {type: 'scatter', mode: 'markers', name: T.ev, x: e.map(x => x[0]), y: e.map(x => x[1] == null ? null : +x[1]), marker: {size: 11, symbol: 'diamond'}},
    {type: 'scatter', mode: 'markers', name: T.pv, x: e.map(x => x[0]), y: e.map(x => x[2] == null ? null : +x[2]), marker: {size: 9, symbol: 'x'}}],
    layout(T.money, {shapes}), {displaylogo: false, responsive: true});
  const k = p.kpi || [];
  Plotly.react('c-kpi', [{type: 'bar', orientation: 'h', y: k.map(x => L.indicator[x[0]] || x[0]),
    x: k.map(x => (x[2] == null ? 0 : +x[2]) / +x[1]), text: k.map(x => `${x[2] == null ? 0 : x[2]} / ${x[1]}`), textposition: 'auto', marker: {color: '#4bacc6'}}],
    layout(T.kpi, {xaxis: {tickformat: '.0%'}}), {displaylogo: false, responsive: true});
}
search.addEventListener('input', () => { options(search.value); draw(); });
manager.addEventListener('change', () => { managerLine(); options(search.value); draw(); });
pick.addEventListener('change', draw);
options(''); draw();
"""
    return _page(lang, title, body, payload, script)


def manager_rows(con: duckdb.DuckDBPyConnection, year: int) -> dict[str, dict]:
    """mart.manager_portfolio of the year by manager (docs/programme-management.md §7); {} before it exists."""
    exists = con.sql(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'mart' "
        "AND table_name = 'manager_portfolio' AND table_catalog = current_database()"
    ).fetchall()[0][0]
    if not exists:
        return {}
    frame = con.sql(
        "SELECT * EXCLUDE (review_year) FROM mart.manager_portfolio WHERE review_year = ?", params=[year]
    ).pl()
    return {r.pop("project_manager"): r for r in frame.to_dicts()}


# ----------------------------------------------------------------------------------------------
@_dashboard
def recommendations(con: duckdb.DuckDBPyConnection, year: int, lang: str = "zh+en", cap: int = BOARD_CAP) -> str:
    counts = dict(
        con.sql(
            "SELECT recommendation, count(*) FROM mart.project_review WHERE review_year = ? GROUP BY 1", params=[year]
        ).fetchall()
    )
    reason_col = "text_en" if lang == "en" else "text_zh"
    rows = con.sql(
        f"""
        WITH ranked AS (SELECT r.project_id, p.project_name, p.field, p.department, r.total_score, r.grade, r.flags,
                          r.recommendation, r.clawback_wan,
                          row_number() OVER (PARTITION BY r.recommendation ORDER BY r.total_score ASC NULLS FIRST, r.project_id) AS k
                   FROM mart.project_review r JOIN dim_project p USING (project_id)
                   WHERE r.review_year = ?),
        shown AS (SELECT * FROM ranked WHERE k <= ?),
        rs AS (SELECT project_id, string_agg({reason_col}, ' · ' ORDER BY rule_code) AS reasons
               FROM mart.review_reason WHERE review_year = ? AND project_id IN (SELECT project_id FROM shown)
               GROUP BY project_id)
        SELECT s.* EXCLUDE (k), rs.reasons FROM shown s LEFT JOIN rs USING (project_id) ORDER BY s.recommendation, s.k""",
        params=[year, cap, year],
    )
    cols = rows.columns
    items = [list(r) for r in rows.fetchall()]
    robust, signals = _analyses(con, year, lang, [r[0] for r in items])
    by_field = con.sql(
        """SELECT p.field, r.recommendation, count(*) FROM mart.project_review r JOIN dim_project p USING (project_id)
                          WHERE r.review_year = ? GROUP BY ALL ORDER BY ALL""",
        params=[year],
    ).fetchall()
    payload = {
        "year": year,
        "columns": cols,
        "items": items,
        "counts": counts,
        "by_field": [list(r) for r in by_field],
        "cap": cap,
        "labels": _labels(lang),
        "robust": robust,
        "signals": signals,
        "text": {
            "all": _t(lang, "全部", "All"),
            "shown": _t(lang, "显示", "shown"),
            "of": _t(lang, "共", "of"),
            "chart": _t(lang, "各领域考核建议", "Recommendations by field"),
            "clawback": _t(lang, "追回", "clawback"),
            **_analysis_text(lang),
        },
    }
    title = _t(lang, f"{year}年度考核建议看板", f"{year} recommendation board")
    body = f"""<header><h1>{escape(title)}</h1><p>{escape(_t(lang, f"每列最多显示 {cap} 个项目（得分最低者优先），完整清单见年度报告 XLSX。", f"Each column shows at most {cap} projects (lowest scores first); all rows are in the report XLSX."))}</p></header>
<main><div class="filters"><label>{_t(lang, "领域", "Field")} <select id="f-field"></select></label>
<label>{_t(lang, "主管单位", "Department")} <select id="f-department"></select></label>
<label><input type="checkbox" id="f-fragile"> {_t(lang, "只看待复核的决定", "Fragile decisions only")}</label></div>
<div class="card" id="c-field"></div><br><div class="board" id="board"></div></main>"""
    script = r"""
const C = DATA.columns, L = DATA.labels, T = DATA.text;
const I = DATA.items.map(r => Object.fromEntries(C.map((c, i) => [c, r[i]])));
const RECS = ['terminate', 'suspend_funding', 'rectify', 'acceptance_review', 'rolling_support'];
const COLORS = {terminate:'#cf222e', acceptance_review:'#0969da', suspend_funding:'#bc4c00', rectify:'#d4a72c', rolling_support:'#1a7f37'};
function fill(id, labels) { const s = document.getElementById(id);
  s.innerHTML = `<option value="">${esc(T.all)}</option>` + Object.entries(labels).map(([k, v]) => `<option value="${esc(k)}">${esc(v)}</option>`).join('');
  s.addEventListener('change', draw); }
fill('f-field', L.field); fill('f-department', L.department);
const fields = [...new Set(DATA.by_field.map(r => r[0]))].sort();
Plotly.newPlot('c-field', RECS.map(rec => ({type: 'bar', name: L.recommendation[rec], marker: {color: COLORS[rec]},
  x: fields.map(f => L.field[f] || f), y: fields.map(f => (DATA.by_field.find(r => r[0] === f && r[1] === rec) || [0, 0, 0])[2])})),
  {title: {text: T.chart, font: {size: 14}}, barmode: 'stack', font: FONT, template: 'plotly_white', height: 340,
   margin: {l: 50, r: 20, t: 40, b: 80}, legend: {orientation: 'h'}}, {displaylogo: false, responsive: true});
document.getElementById('f-fragile').addEventListener('change', draw);
const RB = DATA.robust || {}, SG = DATA.signals || {};
function robustLine(x) {
  const r = RB[x.project_id]; if (!r || !r.fragile) return '';
  const kept = r.kept == null ? '—' : (100 * r.kept).toFixed(0) + '%';
  return `<div class="fragile">⚠ ${esc(T.fragile)}${r.flip_to ? ' → ' + esc(L.recommendation[r.flip_to] || r.flip_to) : ''}
    (${esc(T.margin)} ${esc(r.margin == null ? '—' : r.margin.toFixed(2))}, ${esc(T.oat)} ${esc(r.oat_flips)}/8, ${esc(T.kept)} ${esc(kept)})</div>`;
}
function signalLine(x) {
  const s = SG[x.project_id]; if (!s || !s.length) return '';
  return `<div class="sig">◆ ${esc(T.signals)}：${esc([...new Set(s.map(([k]) => L.signal[k] || k))].join('、'))}</div>`;
}
function draw() {
  const f = document.getElementById('f-field').value, d = document.getElementById('f-department').value;
  const fragileOnly = document.getElementById('f-fragile').checked;
  document.getElementById('board').innerHTML = RECS.map(rec => {
    const items = I.filter(x => x.recommendation === rec && (!f || x.field === f) && (!d || x.department === d)
      && (!fragileOnly || (RB[x.project_id] && RB[x.project_id].fragile)));
    return `<div class="col"><h2 style="color:${esc(COLORS[rec])}">${esc(L.recommendation[rec])} (${esc(DATA.counts[rec] || 0)})</h2>
      <div class="note">${esc(T.shown)} ${esc(items.length)}</div>` + items.map(x => `<div class="item" style="border-left-color:${esc(COLORS[rec])}">
      <b>${esc(x.project_id)} ${esc(x.project_name)}</b><div>${esc(L.field[x.field] || x.field)} · ${esc(L.grade[x.grade] || x.grade)} · ${esc(x.total_score == null ? '—' : x.total_score.toFixed(2))}
      ${esc(x.clawback_wan ? ' · ' + T.clawback + ' ' + x.clawback_wan.toLocaleString('en-US', {minimumFractionDigits: 2}) + ' 万元' : '')}</div>
      ${robustLine(x)}${signalLine(x)}<div class="r">${esc(x.reasons)}</div></div>`).join('') + '</div>';
  }).join('');
}
draw();
"""
    return _page(lang, title, body, payload, script)


def build_dashboards(con: duckdb.DuckDBPyConnection, year: int, lang: str = "zh+en") -> dict[str, str]:
    """The three dashboard pages of the year as HTML text, keyed like ``scorecard.report.build.names``."""
    return {key: _PAGES[key](con, year, lang) for key in DASHBOARDS}
