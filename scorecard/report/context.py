"""Everything the template shows, gathered from the mart (``data.py``) and the rubric
(``method.py``), formatted for one language setting. Texts are written from the numbers: each
sentence states a count, a sum or a share read from the tables."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from html import escape

import duckdb
import polars as pl

from scorecard import codes
from scorecard.report import data, programme_sections
from scorecard.report.data import COLUMNS, GRADE_ORDER
from scorecard.report.i18n import CJK, DIMENSIONS, LABELS, I18n, fmt_int, fmt_num, fmt_pct, section_no

# Rows shown in the PDF for long lists (the HTML and the XLSX are complete).
# The PDF's cost (WeasyPrint) grows with its pages: these caps bound it whatever the number of projects.
PDF_CAPS = {"rolling": 50, "rectify": 60, "terminate": 60, "overdue": 50, "annex_scores": 100}
# The HTML lists every recommendation; the two purely descriptive long lists are capped there too.
HTML_CAPS = {"overdue": 1000, "annex_scores": 1000}
PAGE_UNITS = 118  # half-ems of 8.5pt text across an A4 page's text width (see column_widths)
MIN_TEXT_UNITS = 12  # a wrapping text column keeps at least 6 CJK characters a line
NUMERIC_KINDS = {"int", "num", "money", "pct"}
CODE_TABLES = {"field": "field", "plan": "plan", "department": "department", "support_mode": "support_mode",
               "grade": "grade", "prev_grade": "grade", "recommendation": "recommendation", "flag": "flag",
               "indicator": "indicator", "prev_recommendation": "recommendation"}
CAUSES = {
    "stalled": ("技术路线风险未及时化解或承担单位组织实施不力，合同节点长期逾期且一年内无节点完成。",
                "Technical risks were not resolved or the undertaker did not organise the work: milestones long overdue and none done in a year."),
    "low_execution": ("财政资金拨付后支出进度缓慢，预算编制与实施进度脱节，资金沉淀。",
                      "Funds were paid but not spent: budgets out of step with the work, money idle."),
    "self_funds_gap": ("承担单位自筹资金筹措困难或申报时配套承诺偏高，自筹资金未按进度到位。",
                       "Undertakers could not raise the matching funds they promised, or promised too much."),
    "missing_report": ("项目过程管理制度执行不到位，季度进度报告未按要求报送。",
                       "Process management rules were not followed: quarterly progress reports were not submitted."),
    "overspend": ("财政资金支出超过已拨付额度，存在垫支或会计核算不规范的情况。",
                  "Fiscal spending exceeded the funds paid: advances or irregular accounting."),
    "veto": ("专家评审发现弄虚作假，触发一票否决。", "Experts found falsified data (veto)."),
}


@dataclass
class Ctx:
    con: duckdb.DuckDBPyConnection
    year: int
    i18n: I18n
    mode: str  # html | pdf
    xlsx_name: str


def header_html(i18n: I18n, zh: str, en: str) -> str:
    if i18n.lang == "zh":
        return escape(zh)
    if i18n.lang == "en":
        return escape(en)
    return f"{escape(zh)}<br><span class=\"en\">{escape(en)}</span>"


def cell(i18n: I18n, col: str, kind: str, value, dimension: str | None = None) -> str:
    if value is None:
        return "—"
    if col == "flags":
        return "、".join(i18n.one(codes.FLAGS, f) for f in str(value).split(",") if f) or "—"
    if kind == "money" or kind == "num":
        return fmt_num(value)
    if kind == "int":
        return fmt_int(value)
    if kind == "pct":
        return fmt_pct(value)
    if kind == "date":
        return i18n.date(value)
    if kind == "year":
        return str(value)
    if kind == "bool":
        return i18n.t("是", "Yes") if value else i18n.t("否", "No")
    if kind == "code":
        table = CODE_TABLES.get(col) or (dimension if col == "dimension_value" else None)
        if col == "prev_grade" and value == "new":
            return i18n.t("新纳入", "New")
        if table:
            label = i18n.one(LABELS[table], value)
            return label.replace("专项扶持计划", "") if table == "plan" and i18n.lang != "en" else label
    return str(value)


def view(ctx: Ctx, frame: pl.DataFrame, cols: list, cap: int | None = None, dimension: str | None = None) -> dict:
    """A table ready for the template: formatted cells, bilingual headers, capped rows."""
    i18n = ctx.i18n
    specs = []
    for c in cols:
        if isinstance(c, tuple):
            name, zh, en, kind = c
        else:
            name = c
            zh, en, kind = COLUMNS[c]
            if c == "dimension_value" and dimension:
                zh, en = DIMENSIONS[dimension]
        specs.append((name, zh, en, kind))
    total = frame.height
    shown = frame.head(cap) if cap is not None and total > cap else frame
    rows = [[cell(i18n, name, kind, r.get(name), dimension) for name, _, _, kind in specs] for r in shown.iter_rows(named=True)]
    out = {
        "headers": [header_html(i18n, zh, en) for _, zh, en, _ in specs],
        "numeric": [kind in NUMERIC_KINDS for *_, kind in specs],
        "rows": rows,
        "total": total,
        "shown": len(rows),
        "capped": len(rows) < total,
    }
    if ctx.mode == "pdf":
        out["widths"] = column_widths(i18n, specs, rows)
    return out


def _display_width(text: str) -> float:
    """Rough printed width in half-ems: a CJK character counts 2, anything else 1.15."""
    cjk = len(CJK.findall(text))
    return 2 * cjk + 1.15 * (len(text) - cjk)


TOKEN = re.compile(r"[^\s\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")  # a run that does not break (CJK breaks anywhere)


def _min_width(text: str) -> float:
    return max((1.15 * len(t) for t in TOKEN.findall(text)), default=0) or (2 if text else 0)


def column_widths(i18n: I18n, specs: list[tuple], rows: list[list[str]]) -> list[float]:
    """Column widths (percent) for the PDF's fixed table layout, estimated from the texts the way the
    automatic layout would (between each column's min- and max-content width).

    WeasyPrint's automatic table layout measures the min- and max-content width of every cell, i.e.
    lays out every line-break opportunity of every cell (each CJK character is one): most of the PDF's
    time. With ``table-layout: fixed`` and these widths each cell is laid out once. Units: half an
    em (a CJK character is 2, a Latin one 1.15), plus 2.5 for the cell padding; a line across A4 holds
    PAGE_UNITS."""
    lo, hi = [], []
    sample = rows[:200]
    for j, (_, zh, en, kind) in enumerate(specs):
        words = [w for part in ((zh,) if i18n.lang == "zh" else (en,) if i18n.lang == "en" else (zh, en)) for w in part.split()]
        head = min(16, max((_min_width(w) if not CJK.search(w) else 4 for w in words), default=4))
        full = max((_display_width(r[j]) for r in sample), default=1)
        if kind in NUMERIC_KINDS or kind in ("date", "year"):  # numbers do not wrap
            low = full
        else:
            low = max(max((_min_width(r[j]) for r in sample), default=1), min(full, MIN_TEXT_UNITS))
            if full > 2 * PAGE_UNITS:  # paragraphs (reasons): a third of the line, like the HTML's 38 %
                low = max(low, PAGE_UNITS // 3)
        low = max(4, head, low) + 2.5
        lo.append(low)
        hi.append(max(low, min(full + 2.5, 3 * PAGE_UNITS)))
    if sum(hi) <= PAGE_UNITS:
        widths = hi
    elif sum(lo) >= PAGE_UNITS:
        widths = lo
    else:  # what is left above the minima goes to the columns in proportion to how much more they need
        spare = PAGE_UNITS - sum(lo)
        extra = sum(h - l for l, h in zip(lo, hi))
        widths = [l + spare * (h - l) / extra for l, h in zip(lo, hi)]
    total = sum(widths)
    return [round(100 * w / total, 2) for w in widths]


def cap_for(ctx: Ctx, key: str) -> int | None:
    return (PDF_CAPS if ctx.mode == "pdf" else HTML_CAPS).get(key)


def headings(i18n: I18n) -> tuple[dict, list[dict]]:
    H = {}
    toc = []
    chapters = [
        ("s1", "基本情况", "Background", [("项目概况与评价摘要", "Summary"), ("工作目标完成情况", "Programme targets")]),
        ("s2", "评价工作开展情况", "Evaluation work", [("评价对象与范围", "Scope"), ("评价方法", "Method"),
                                                    ("数据来源", "Data sources"), ("数据质量", "Data quality")]),
        ("s3", "综合评价情况及评价结论", "Overall evaluation and conclusions",
         [("综合得分与等级分布", "Scores and grades"), ("等级变化", "Grade transitions"),
          ("得分最高与最低的项目", "Top and bottom projects"), ("评价结论", "Conclusions")]),
        ("s4", "绩效评价指标分析", "Indicator analysis", [("资金", "Funds"), ("进度", "Progress"), ("产出与效益", "Outputs and outcomes")]),
        ("s5", "主要经验做法、存在的问题及原因分析", "Experience, problems and their causes",
         [("主要经验做法", "What worked"), ("存在的问题", "Problems"), ("原因分析", "Causes")]),
        ("s6", "有关建议", "Recommendations",
         [("建议汇总", "Summary of recommendations"), ("中止淘汰与暂停拨款项目", "Projects to terminate or suspend"),
          ("限期整改项目", "Projects to rectify"), ("滚动支持项目", "Rolling support"), ("工作建议", "Advice")]),
        ("s7", "其他需要说明的问题", "Other matters", []),
    ]
    sub_no = ["（一）", "（二）", "（三）", "（四）", "（五）", "（六）"]
    for i, (sid, zh, en, subs) in enumerate(chapters, start=1):
        H[sid] = i18n.t(f"{section_no(i)}、{zh}", f"{i}. {en}")
        toc.append({"id": sid, "level": 1, "title": H[sid]})
        for j, (szh, sen) in enumerate(subs, start=1):
            key = f"{sid}_{j}"
            H[key] = i18n.t(f"{sub_no[j - 1]}{szh}", f"{i}.{j} {sen}")
            toc.append({"id": f"{sid}-{j}", "level": 2, "title": H[key]})
    H["s8"] = i18n.t("附件", "Annexes")
    toc.append({"id": "s8", "level": 1, "title": H["s8"]})
    for j, (szh, sen) in enumerate([("评价指标体系与评分方法", "Rubric and scoring method"),
                                    ("项目评分明细", "Project scores"), ("数据来源与血缘", "Inputs and lineage")], start=1):
        H[f"s8_{j}"] = i18n.t(f"附件{section_no(j)}  {szh}", f"Annex {j}. {sen}")
        toc.append({"id": f"s8-{j}", "level": 2, "title": H[f"s8_{j}"]})
    return H, toc


def share(a, b) -> float | None:
    return a / b if a is not None and b else None


def build_context(ctx: Ctx, method: dict, inputs: list[dict], code_version: str, generated_at: dt.datetime) -> dict:
    con, y, I = ctx.con, ctx.year, ctx.i18n
    P = I.paras
    cur = data.program_all(con, y) or {}
    prev = data.program_all(con, y - 1)
    n = int(cur.get("projects") or 0)
    as_of = data.as_of_date(con, y)
    H, toc = headings(I)
    tables: dict = {}
    text: dict = {}
    frames: dict[str, pl.DataFrame] = {}

    # ---- 一 summary ------------------------------------------------------------------------------
    summ = data.summary(con, y)
    frames["summary"] = summ
    tables["summary"] = {
        "headers": [header_html(I, "指标", "Metric"), header_html(I, f"{y}年度", str(y)), header_html(I, f"{y - 1}年度", str(y - 1)),
                    header_html(I, "变化", "Change")],
        "numeric": [False, True, True, True],
        "rows": [[I.t(r["metric_zh"], r["metric_en"]),
                  *(cell(I, "", r["kind"] if k != "change" or r["kind"] != "pct" else "pct", r[k]) for k in ("value", "prev_value", "change"))]
                 for r in summ.to_dicts()],
        "total": summ.height, "shown": summ.height, "capped": False,
    }
    good = (cur.get("grade_a") or 0) + (cur.get("grade_b") or 0)
    status = dict(con.sql("SELECT status, count(*) FROM mart.project_review WHERE review_year = ? GROUP BY status", params=[y]).fetchall())
    g = {k: int(cur.get(f"grade_{k.lower()}", 0) or 0) for k in GRADE_ORDER}
    rec = {r: int(cur.get(f"rec_{r}", 0) or 0) for r in codes.RECOMMENDATIONS}
    zh = (f"{y}年度共对 {n} 个专项项目开展中期考核（截至{I.date(as_of) if I.zh else as_of}），其中优 {g['A']} 个、良 {g['B']} 个、"
          f"中 {g['C']} 个、差 {g['D']} 个、数据不足 {g['insufficient']} 个，优良率 {fmt_pct(share(good, n))}，平均分 {fmt_num(cur.get('mean_score'))}。"
          f"建议中止淘汰 {rec['terminate']} 个、结题验收 {rec['acceptance_review']} 个、暂停拨款 {rec['suspend_funding']} 个、"
          f"限期整改 {rec['rectify']} 个、滚动支持 {rec['rolling_support']} 个。"
          f"考核项目财政资助合计 {fmt_num(cur.get('approved_wan'))} 万元，累计净拨款 {fmt_num(cur.get('net_disbursed_wan'))} 万元，"
          f"财政资金累计支出 {fmt_num(cur.get('fiscal_spent_wan'))} 万元，资金执行率 {fmt_pct(cur.get('execution_rate'))}。"
          f"潜在问题项目（{method['problem_min_flags']} 项及以上预警）{fmt_int(cur.get('problem_projects'))} 个，涉及财政资助 {fmt_num(cur.get('problem_funding_wan'))} 万元。")
    en = (f"In {y}, {n} projects were reviewed (as of {as_of}): {g['A']} A, {g['B']} B, {g['C']} C, {g['D']} D and "
          f"{g['insufficient']} with insufficient data; {fmt_pct(share(good, n))} were A or B, mean score {fmt_num(cur.get('mean_score'))}. "
          f"Recommended: terminate {rec['terminate']}, acceptance review {rec['acceptance_review']}, suspend funding {rec['suspend_funding']}, "
          f"rectify {rec['rectify']}, rolling support {rec['rolling_support']}. Approved funding {fmt_num(cur.get('approved_wan'))} 万元, "
          f"net disbursed {fmt_num(cur.get('net_disbursed_wan'))} 万元, fiscal funds spent {fmt_num(cur.get('fiscal_spent_wan'))} 万元 "
          f"(execution {fmt_pct(cur.get('execution_rate'))}). Potential problem projects ({method['problem_min_flags']} or more flags): {fmt_int(cur.get('problem_projects'))}, "
          f"with {fmt_num(cur.get('problem_funding_wan'))} 万元 of funding.")
    if prev:
        pn = int(prev.get("projects") or 0)
        pgood = (prev.get("grade_a") or 0) + (prev.get("grade_b") or 0)
        zh += (f"与{y - 1}年度相比，考核项目数由 {pn} 个变为 {n} 个，优良率由 {fmt_pct(share(pgood, pn))} 变为 {fmt_pct(share(good, n))}，"
               f"潜在问题项目由 {fmt_int(prev.get('problem_projects'))} 个变为 {fmt_int(cur.get('problem_projects'))} 个。")
        en += (f" Against {y - 1}: projects {pn} → {n}, share A or B {fmt_pct(share(pgood, pn))} → {fmt_pct(share(good, n))}, "
               f"potential problem projects {fmt_int(prev.get('problem_projects'))} → {fmt_int(cur.get('problem_projects'))}.")
    else:
        zh += f"{y - 1}年度无考核数据，不作同比。"
        en += f" There is no {y - 1} review to compare with."
    text["summary"] = P(zh, en)

    tg = data.targets(con, y)
    frames["targets"] = tg
    tables["targets"] = view(ctx, tg.with_columns(pl.when(I.lang == "en").then(pl.col("name_en")).otherwise(pl.col("name_zh")).alias("name")),
                             [("name", "工作目标", "Target", "text"), "measured", "comparator", "threshold", "unit", "met"])
    measured = tg.filter(pl.col("measured").is_not_null())
    met = measured.filter(pl.col("met"))
    not_met = measured.filter(~pl.col("met"))
    nm_zh = "、".join(not_met["name_zh"].to_list()) or "无"
    nm_en = "; ".join(not_met["name_en"].to_list()) or "none"
    text["targets"] = P(
        f"对照《深圳市十大重大科技产业专项实施方案》确定的工作目标，可计量的 {measured.height} 项中已完成 {met.height} 项，"
        f"未完成 {not_met.height} 项（{nm_zh}）；{tg.height - measured.height} 项宏观目标未提供数据，未作计量。",
        f"Of the {measured.height} measurable programme targets, {met.height} are met and {not_met.height} are not ({nm_en}); "
        f"{tg.height - measured.height} macro targets have no input data and are not measured.")

    # ---- 二 evaluation work -----------------------------------------------------------------------
    n_fields = con.sql("SELECT count(DISTINCT p.field), count(DISTINCT p.plan), count(DISTINCT p.department) FROM mart.project_review r JOIN dim_project p USING (project_id) WHERE r.review_year = ?", params=[y]).fetchall()[0]
    text["scope"] = P(
        f"评价对象为{y}年度纳入中期考核的专项项目，即开始日期不晚于{I.date(as_of)}、结束日期不早于{y}年1月1日、且此前未被中止淘汰的项目，"
        f"共 {n} 个（在研 {status.get('active', 0)} 个、已到期 {status.get('ended', 0)} 个），覆盖 {n_fields[0]} 个领域、"
        f"{n_fields[1]} 类扶持计划和 {n_fields[2]} 个主管单位。",
        f"The evaluation covers the {n} projects reviewed in {y}: started by {as_of}, not ended before 1 January {y} and not "
        f"terminated earlier ({status.get('active', 0)} active, {status.get('ended', 0)} ended), in {n_fields[0]} fields, "
        f"{n_fields[1]} support plans and {n_fields[2]} departments.")
    firsts = []
    for ind in method["rubric"].indicators:
        firsts.append((ind.zh, ind.en, ind.total_points))
    text["method"] = P(
        "参照财政部《项目支出绩效评价管理办法》（财预〔2020〕10号），采用百分制评分：" +
        "、".join(f"{a}（{b:g} 分）" for a, _, b in firsts) +
        f"；以合同节点挣值法衡量进度（SPI、SPI(t)），按等级 优/良/中/差 划分；无数据的指标不计入分母，数据覆盖率低于 "
        f"{method['rubric'].thresholds.min_coverage:g} 时评为数据不足。评分细则版本 {method['version']}，详见附件一。",
        "Following the Ministry of Finance rules for project performance evaluation (财预〔2020〕10号), projects are scored out of 100: " +
        ", ".join(f"{e} ({b:g} points)" for _, e, b in firsts) +
        f"; progress by milestone earned value (SPI, SPI(t)); grades A/B/C/D; leaves without data leave the denominator, and coverage "
        f"below {method['rubric'].thresholds.min_coverage:g} is graded insufficient. Rubric version {method['version']} (Annex 1).")
    loads = data.load_summary(con)
    frames["sources"] = loads
    text["sources"] = P(
        f"数据来源于项目台账、合同节点、拨款记录、进度报告、绩效目标与完成情况、专家评审及考核决定等 {loads['dataset'].n_unique() if loads.height else 0} 类"
        f"数据文件，共 {loads.height} 个文件；数据截止日期为{I.date(as_of)}，累计值取截止日前最近一个季度的报告值。",
        f"Data come from {loads.height} files of {loads['dataset'].n_unique() if loads.height else 0} datasets (projects, milestones, "
        f"disbursements, progress reports, KPI targets and actuals, expert reviews, decisions); the as-of date is {as_of} and "
        "cumulative values are those of the latest quarter ending on or before it.")
    tables["sources"] = view(ctx, loads, [("dataset", "数据集", "Dataset", "text"), ("source_file", "文件", "File", "text"),
                                          ("rows_read", "读取行数", "Rows read", "int"), ("rows_clean", "有效行数", "Clean rows", "int"),
                                          ("rows_quarantined", "隔离行数", "Quarantined", "int")])
    run_id = data.latest_quality_run(con)
    quar = data.quarantine(con)
    frames["quarantine"] = quar
    tables["quarantine"] = view(ctx, quar, ["dataset", "reason_code", "reason", "rows", "files"])
    qsum = int(quar["rows"].sum()) if quar.height else 0
    if run_id:
        dq = data.data_quality(con, run_id)
        frames["data_quality"] = dq
        tables["quality"] = view(ctx, dq, ["dataset", "expectations", "passed", "failed", "unexpected"])
        fails = data.quality_failures(con, run_id)
        tables["quality_failures"] = view(ctx, fails, ["dataset", ("rule_code", "校验规则", "Expectation", "text"),
                                                       ("reason", "字段", "Column", "text"), ("kind", "级别", "Severity", "text"), "unexpected"]) if fails.height else None
        text["quality"] = P(
            f"最近一次数据校验（运行 {run_id}）共执行校验规则 {int(dq['expectations'].sum())} 条，通过 {int(dq['passed'].sum())} 条，"
            f"未通过 {int(dq['failed'].sum())} 条。入库时不符合数据规则的 {qsum} 行数据已隔离，未参与评分，见下表。",
            f"The latest validation run ({run_id}) ran {int(dq['expectations'].sum())} expectations: {int(dq['passed'].sum())} passed, "
            f"{int(dq['failed'].sum())} failed. {qsum} rows that broke a data rule were quarantined at load and not scored (table below).")
    else:
        tables["quality"] = None
        tables["quality_failures"] = None
        text["quality"] = P(f"本次运行未记录数据校验结果；入库时不符合数据规则的 {qsum} 行数据已隔离，未参与评分，按数据集和原因统计如下。",
                            f"No validation results were recorded for this run; {qsum} rows that broke a data rule were quarantined at load and not scored, by dataset and reason below.")

    # ---- 三 overall ---------------------------------------------------------------------------------
    dist = {d: data.distribution(con, y, d) for d in DIMENSIONS}
    for d, f in dist.items():
        frames[f"by_{d}"] = f
    score_cols = ["dimension_value", "projects", "grade_a", "grade_b", "grade_c", "grade_d", "grade_insufficient", "mean_score",
                  "problem_projects"]
    tables["score_field"] = view(ctx, dist["field"], score_cols, dimension="field")
    tables["score_plan"] = view(ctx, dist["plan"], score_cols, dimension="plan")
    fs = dist["field"].filter(pl.col("mean_score").is_not_null()).sort("mean_score", descending=True)
    if fs.height:
        hi, lo = fs.row(0, named=True), fs.row(-1, named=True)
        text["scores"] = P(
            f"全部考核项目平均分 {fmt_num(cur.get('mean_score'))}。分领域看，平均分最高的是{I.one(codes.FIELDS, hi['dimension_value'])}"
            f"（{fmt_num(hi['mean_score'])}），最低的是{I.one(codes.FIELDS, lo['dimension_value'])}（{fmt_num(lo['mean_score'])}）。",
            f"Mean score of all reviewed projects: {fmt_num(cur.get('mean_score'))}. By field the highest mean is "
            f"{codes.FIELDS.get(hi['dimension_value'], (hi['dimension_value'],) * 2)[1]} ({fmt_num(hi['mean_score'])}), the lowest "
            f"{codes.FIELDS.get(lo['dimension_value'], (lo['dimension_value'],) * 2)[1]} ({fmt_num(lo['mean_score'])}).")
    else:
        text["scores"] = P("本年度无可评分项目。", "No project could be scored this year.")
    tr = data.grade_transitions(con, y)
    frames["transitions"] = tr
    tables["transitions"] = view(ctx, tr, ["prev_grade", *[(f"to_{gr}", codes.GRADES[gr][0], codes.GRADES[gr][1], "int") for gr in GRADE_ORDER], "projects"])
    rank = {"A": 4, "B": 3, "C": 2, "D": 1}
    up = down = same = 0
    for row in tr.to_dicts():
        for gr in GRADE_ORDER:
            if row["prev_grade"] in rank and gr in rank:
                k = row[f"to_{gr}"]
                if rank[gr] > rank[row["prev_grade"]]:
                    up += k
                elif rank[gr] < rank[row["prev_grade"]]:
                    down += k
                else:
                    same += k
    new = int(tr.filter(pl.col("prev_grade") == "new")["projects"].sum())
    text["transitions"] = P(
        f"与上年相比，等级上升 {up} 个、持平 {same} 个、下降 {down} 个，本年新纳入考核 {new} 个（其余涉及数据不足）。",
        f"Against last year, {up} projects moved up a grade, {same} kept it and {down} moved down; {new} are reviewed for the first time "
        "(the rest involve insufficient data).")
    top_cols = ["project_id", "project_name", "field", "plan", "total_score", "grade", "recommendation"]
    tables["top"] = view(ctx, data.top_bottom(con, y, 10, True), top_cols)
    tables["bottom"] = view(ctx, data.top_bottom(con, y, 10, False), top_cols)
    text["conclusion"] = P(
        f"综合评价：{y}年度专项总体实施情况{'良好' if share(good, n) and share(good, n) >= 0.6 else '一般' if share(good, n) and share(good, n) >= 0.4 else '有待改进'}，"
        f"优良率 {fmt_pct(share(good, n))}；{rec['terminate']} 个项目建议中止淘汰，{rec['rectify']} 个项目需限期整改，"
        f"{rec['rolling_support']} 个项目建议滚动支持。",
        f"Overall: the programme's {y} implementation is "
        f"{'good' if share(good, n) and share(good, n) >= 0.6 else 'fair' if share(good, n) and share(good, n) >= 0.4 else 'in need of improvement'} "
        f"({fmt_pct(share(good, n))} of projects A or B); {rec['terminate']} projects should be terminated, {rec['rectify']} rectified and "
        f"{rec['rolling_support']} given rolling support.")

    # ---- 四 indicators ---------------------------------------------------------------------------------
    fy = data.funds_by_year(con, y)
    frames["funds_by_year"] = fy
    tables["funds_year"] = view(ctx, fy, ["payment_year", "disbursed_wan", "recovered_wan", "net_disbursed_wan", "budget_wan", "budget_rate"])
    money_cols = ["dimension_value", "projects", "approved_wan", "net_disbursed_wan", "fiscal_spent_wan", "execution_rate",
                  "self_arrived_wan", "leverage"]
    for d in DIMENSIONS:
        tables[f"funds_{d}"] = view(ctx, dist[d], money_cols, dimension=d)
    budget_years = fy.filter(pl.col("budget_wan").is_not_null())
    yrs_zh = "；".join(f"{r['payment_year']}年净拨款 {fmt_num(r['net_disbursed_wan'])} 万元，为预算的 {fmt_pct(r['budget_rate'])}" for r in budget_years.to_dicts())
    yrs_en = "; ".join(f"{r['payment_year']}: {fmt_num(r['net_disbursed_wan'])} 万元, {fmt_pct(r['budget_rate'])} of the budget" for r in budget_years.to_dicts())
    text["funds"] = P(
        f"实施方案{method['programme'].budget_text('zh')}。{yrs_zh or '无预算年度的拨款记录'}。考核项目资金执行率 {fmt_pct(cur.get('execution_rate'))}，"
        f"每万元财政资金带动自筹资金到位 {fmt_num(cur.get('leverage'))} 万元。",
        f"The plan provides {method['programme'].budget_text('en')}. {yrs_en or 'No disbursement in a budget year'}. Reviewed projects spent "
        f"{fmt_pct(cur.get('execution_rate'))} of the fiscal funds paid, and brought {fmt_num(cur.get('leverage'))} 万元 of own funds per 万元 disbursed.")
    ms = data.milestones_by_field(con, y)
    frames["milestones"] = ms
    tables["milestones"] = view(ctx, ms, ["field", "projects", "milestones", "due", "done", "overdue", "completion_rate", "mean_on_time_rate"])
    spi = data.spi_distribution(con, y)
    frames["spi"] = spi
    tables["spi"] = view(ctx, spi, ["bin", ("spi", "SPI 项目数", "Projects by SPI", "int"), ("spi_t", "SPI(t) 项目数", "Projects by SPI(t)", "int")])
    st = data.spi_stats(con, y)
    od = data.overdue_milestones(con, y)
    frames["overdue"] = od
    tables["overdue"] = view(ctx, od, ["project_id", "project_name", "field", "milestone_no", "description", "planned_date", "days_overdue"],
                             cap=cap_for(ctx, "overdue"))
    due, done_due = int(ms["due"].sum() or 0), None
    text["progress"] = P(
        f"截至{I.date(as_of)}，考核项目应完成合同节点 {due} 个，逾期未完成 {int(ms['overdue'].sum() or 0)} 个。"
        f"进度绩效指数 SPI 中位数 {fmt_num(st['spi_median'])}（{st['spi_n']} 个项目有应完成节点），SPI 低于 0.8 的项目 {st['spi_behind']} 个；"
        f"挣得进度指数 SPI(t) 中位数 {fmt_num(st['spi_t_median'])}。",
        f"By {as_of}, {due} milestones of the reviewed projects were due and {int(ms['overdue'].sum() or 0)} of them are overdue. "
        f"Median SPI {fmt_num(st['spi_median'])} ({st['spi_n']} projects with milestones due), {st['spi_behind']} projects below 0.8; "
        f"median SPI(t) {fmt_num(st['spi_t_median'])}.")
    kpi = data.kpi_by_indicator(con, y)
    frames["kpi_by_indicator"] = kpi
    tables["kpi_indicator"] = view(ctx, kpi, ["indicator", ("kind", "类别", "Kind", "text"), "unit", "projects", "target_value", "actual_value", "achievement"])
    kf = data.kpi_by_field(con, y)
    frames["kpi_by_field"] = kf
    tables["kpi_field"] = view(ctx, kf, ["field", "projects", "mean_output_achievement", "mean_outcome_achievement"])
    low = kpi.filter(pl.col("achievement").is_not_null()).sort("achievement").head(3)
    text["kpi"] = P(
        f"考核项目共设定 {int(kpi['projects'].sum() or 0)} 项绩效目标。按指标汇总，截至考核日完成值占合同目标值比例最低的是"
        + "、".join(f"{I.one(LABELS['indicator'], r['indicator'])}（{fmt_pct(r['achievement'])}）" for r in low.to_dicts())
        + "。产出与效益完成度按合同期时间进度折算后计入评分（见附件一）。",
        f"The reviewed projects carry {int(kpi['projects'].sum() or 0)} contract KPI targets. Lowest achievement against the full "
        "target by the as-of date: " + ", ".join(f"{codes.INDICATORS[r['indicator']][1]} ({fmt_pct(r['achievement'])})" for r in low.to_dicts())
        + ". Scoring compares actuals with the time-proportional target (Annex 1).")

    # ---- 五 experience and problems ---------------------------------------------------------------------
    ft = data.flag_totals(con, y)
    frames["flag_totals"] = ft
    tables["flag_totals"] = view(ctx, ft, ["flag", "count", ("share", "占考核项目比例", "Share of reviewed projects", "pct")])
    fbf, fbp = data.flags_by(con, y, "field"), data.flags_by(con, y, "plan")
    frames["flags_by_field"], frames["flags_by_plan"] = fbf, fbp
    rf = data.reason_frequency(con, y)
    frames["reasons"] = rf
    tables["reasons"] = view(ctx, rf, ["rule_code", "count", *(["example_zh"] if I.zh else []), *(["example_en"] if I.en else [])], cap=20)
    exp = []
    best = dist["field"].filter(pl.col("mean_score").is_not_null()).sort("mean_score", descending=True).head(2)
    if best.height:
        exp.append(P("分领域看，" + "、".join(f"{I.one(codes.FIELDS, r['dimension_value'])}领域平均分 {fmt_num(r['mean_score'])}，"
                                          f"{r['rec_rolling_support']} 个项目建议滚动支持" for r in best.to_dicts()) + "，实施情况较好。",
                     "By field, " + "; ".join(f"{codes.FIELDS.get(r['dimension_value'], ('', r['dimension_value']))[1]} scored "
                                               f"{fmt_num(r['mean_score'])} on average with {r['rec_rolling_support']} projects for rolling support"
                                               for r in best.to_dicts()) + "."))
    bp = dist["plan"].filter(pl.col("execution_rate").is_not_null()).sort("execution_rate", descending=True).head(1)
    if bp.height:
        r = bp.row(0, named=True)
        exp.append(P(f"分扶持计划看，{I.one(codes.PLANS, r['dimension_value'])}资金执行率最高（{fmt_pct(r['execution_rate'])}），"
                     f"杠杆率 {fmt_num(r['leverage'])}。",
                     f"By plan, {codes.PLANS.get(r['dimension_value'], ('', r['dimension_value']))[1]} has the highest execution rate "
                     f"({fmt_pct(r['execution_rate'])}), leverage {fmt_num(r['leverage'])}."))
    exp.append(P("合同节点控制、分阶段拨款和年度中期考核形成了“节点控制、动态调整”的闭环管理，"
                 f"本年度 {rec['rolling_support']} 个项目达到滚动支持条件。",
                 "Milestone contracts, staged payments and the yearly review form a closed loop of control and adjustment; "
                 f"{rec['rolling_support']} projects qualify for rolling support this year."))
    text["experience"] = exp
    probs = [P(f"本年度共有 {fmt_int(cur.get('problem_projects'))} 个潜在问题项目（{method['problem_min_flags']} 项及以上预警），涉及财政资助 "
               f"{fmt_num(cur.get('problem_funding_wan'))} 万元。主要问题如下：",
               f"{fmt_int(cur.get('problem_projects'))} projects carry {method['problem_min_flags']} or more flags (potential problem projects), with "
               f"{fmt_num(cur.get('problem_funding_wan'))} 万元 of funding. The main problems:")]
    for i, r in enumerate(ft.head(6).to_dicts(), start=1):
        f = r["flag"]
        in_f = fbf.filter(pl.col("flag") == f).head(3).to_dicts()
        in_p = fbp.filter(pl.col("flag") == f).head(2).to_dicts()
        fz = "、".join(f"{I.one(codes.FIELDS, x['dimension_value'])}（{x['count']}）" for x in in_f)
        pz = "、".join(f"{I.one(codes.PLANS, x['dimension_value'])}（{x['count']}）" for x in in_p)
        fe = ", ".join(f"{codes.FIELDS.get(x['dimension_value'], ('', x['dimension_value']))[1]} ({x['count']})" for x in in_f)
        pe = ", ".join(f"{codes.PLANS.get(x['dimension_value'], ('', x['dimension_value']))[1]} ({x['count']})" for x in in_p)
        probs.append(P(f"{i}. {codes.FLAGS.get(f, (f, f))[0]}：{r['count']} 个项目（占 {fmt_pct(r['share'])}），主要集中在{fz}领域，{pz}。",
                       f"{i}. {codes.FLAGS.get(f, (f, f))[1]}: {r['count']} projects ({fmt_pct(r['share'])}), mostly in {fe}; plans {pe}."))
    if not ft.height:
        probs.append(P("本年度考核项目未触发预警。", "No flag was raised this year."))
    if rf.height:
        top = rf.head(3).to_dicts()
        probs.append(P("评价理由中出现最多的是：" + "、".join(f"{x['rule_code']}（{x['count']} 次）" for x in top) + "。",
                       "The most frequent reasons: " + ", ".join(f"{x['rule_code']} ({x['count']})" for x in top) + "."))
    text["problems"] = probs
    text["causes"] = [P(f"{codes.FLAGS.get(r['flag'], (r['flag'],) * 2)[0]}：{CAUSES.get(r['flag'], ('', ''))[0]}",
                        f"{codes.FLAGS.get(r['flag'], (r['flag'],) * 2)[1]}: {CAUSES.get(r['flag'], ('', ''))[1]}")
                      for r in ft.head(6).to_dicts()] or [P("无。", "None.")]
    if g["insufficient"]:
        text["causes"].append(P(f"另有 {g['insufficient']} 个项目数据覆盖率不足，反映部分项目进度报告、绩效目标或专家评审资料不完整。",
                                f"{g['insufficient']} further projects lack data (progress reports, KPI targets or expert reviews)."))

    # ---- 六 recommendations -------------------------------------------------------------------------------
    rs = pl.DataFrame([{"recommendation": r, "projects": rec[r]} for r in codes.RECOMMENDATIONS])
    frames["rec_summary"] = rs
    tables["rec_summary"] = view(ctx, rs, ["recommendation", "projects"])
    text["recommendations"] = P(
        f"根据评分细则的建议规则，{y}年度建议中止淘汰 {rec['terminate']} 个（建议追回结余财政资金 {fmt_num(cur.get('clawback_wan'))} 万元）、"
        f"暂停拨款 {rec['suspend_funding']} 个、限期整改 {rec['rectify']} 个、结题验收 {rec['acceptance_review']} 个、滚动支持 {rec['rolling_support']} 个。",
        f"By the rubric's recommendation rules: terminate {rec['terminate']} (clawback of {fmt_num(cur.get('clawback_wan'))} 万元 unspent fiscal funds), "
        f"suspend funding {rec['suspend_funding']}, rectify {rec['rectify']}, acceptance review {rec['acceptance_review']}, rolling support {rec['rolling_support']}.")
    reasons_cols = ["reasons"]
    reasons = (pl.col("reasons_zh") if I.lang == "zh" else pl.col("reasons_en") if I.lang == "en"
               else pl.concat_str([pl.col("reasons_zh"), pl.col("reasons_en")], separator=" / "))
    # The PDF gives the decisive reasons (recommendation, flags, grade); the per-indicator scoring
    # reasons (leaf:*) are in the HTML and the XLSX (the PDF says so).
    decisive = ctx.mode == "pdf"
    term = data.recommendation_list(con, y, ("terminate", "suspend_funding"), decisive_only=decisive)
    rect = data.recommendation_list(con, y, ("rectify",), decisive_only=decisive)
    term_v, rect_v = term.with_columns(reasons.alias("reasons")), rect.with_columns(reasons.alias("reasons"))
    roll = data.rolling_support(con, y)
    frames["terminate_suspend"], frames["rectify"], frames["rolling_support"] = term, rect, roll
    list_cols = ["project_id", "project_name", "field", "total_score", "grade", "recommendation", "clawback_wan", *reasons_cols]
    tables["terminate"] = view(ctx, term_v, list_cols, cap=cap_for(ctx, "terminate"))
    tables["rectify"] = view(ctx, rect_v, [c for c in list_cols if c not in ("recommendation", "clawback_wan")], cap=cap_for(ctx, "rectify"))
    tables["rolling"] = view(ctx, roll, ["project_id", "project_name", "field", "plan", "undertaker", "approved_funding_wan", "total_score", "grade"],
                             cap=cap_for(ctx, "rolling"))
    worst_field = fbf.group_by("dimension_value").agg(pl.col("count").sum()).sort("count", descending=True).head(1).to_dicts()
    adv = [
        P(f"1. 对 {rec['terminate']} 个中止淘汰项目，停止后续拨款，追回结余财政资金 {fmt_num(cur.get('clawback_wan'))} 万元；对一票否决项目按规定追究责任。",
          f"1. Stop payments to the {rec['terminate']} projects to terminate and recover {fmt_num(cur.get('clawback_wan'))} 万元; pursue vetoed cases."),
        P(f"2. 对 {rec['suspend_funding']} 个超支项目暂停拨款，核查资金使用与会计核算。",
          f"2. Suspend payments to the {rec['suspend_funding']} overspending projects and audit their spending."),
        P(f"3. 对 {rec['rectify']} 个限期整改项目，逐项明确整改事项和期限，下一年度考核仍为中、差或数据不足的，按规则中止淘汰。",
          f"3. Give each of the {rec['rectify']} projects to rectify a list of actions and a deadline; one still C, D or insufficient next year is terminated by the rules."),
        P(f"4. 对 {rec['rolling_support']} 个滚动支持项目按合同节点继续拨款，对 {rec['acceptance_review']} 个到期项目组织结题验收。",
          f"4. Continue milestone payments to the {rec['rolling_support']} rolling-support projects; hold completion acceptance for the {rec['acceptance_review']} ended projects."),
    ]
    if worst_field:
        wf = worst_field[0]
        adv.append(P(f"5. 预警最集中的领域为{I.one(codes.FIELDS, wf['dimension_value'])}（{wf['count']} 次），建议主管单位加强该领域项目的过程监管和季度报告督促。",
                     f"5. Flags concentrate in {codes.FIELDS.get(wf['dimension_value'], ('', wf['dimension_value']))[1]} ({wf['count']}): the departments should supervise these projects more closely."))
    text["advice"] = adv

    # ---- 七 other matters --------------------------------------------------------------------------------
    other = []
    macro = tg.filter(pl.col("measured").is_null())
    if macro.height:
        other.append(P("1. 宏观目标（" + "、".join(macro["name_zh"].to_list()) + "）需统计部门数据，本报告未作计量。",
                       "1. The macro targets (" + "; ".join(macro["name_en"].to_list()) + ") need statistics not among the inputs and are not measured."))
    other.append(P(f"2. 数据不足项目 {g['insufficient']} 个：其数据覆盖率低于评分细则规定，等级不反映实际绩效，建议补齐资料后复核。",
                   f"2. {g['insufficient']} projects have insufficient data: their grade does not reflect performance; review again once the data are complete."))
    other.append(P(f"3. 入库时隔离的 {qsum} 行数据未参与评分（见二、（四））。", f"3. {qsum} quarantined input rows were not used in scoring (section 2.4)."))
    mart_sha = {r[0] for r in con.sql("SELECT DISTINCT rubric_sha256 FROM mart.project_review WHERE review_year = ?", params=[y]).fetchall()}
    mart_ver = {r[0] for r in con.sql("SELECT DISTINCT rubric_version FROM mart.project_review WHERE review_year = ?", params=[y]).fetchall()}
    if mart_sha and mart_sha != {method["sha256"]}:
        other.append(P(f"4. 注意：本年度评分结果由评分细则 {', '.join(sorted(mart_ver))} 计算，与附件一所列评分细则文件（{method['version']}）不一致，请以评分结果中记录的版本为准并重新评分。",
                       f"4. Warning: this year's scores were computed with rubric {', '.join(sorted(mart_ver))}, not with the rubric file in Annex 1 ({method['version']}); re-run the scoring."))
    other.append(P("5. PDF 版本中较长的清单仅列示部分项目，完整清单见同名 XLSX 文件及 CSV 文件；HTML 版本中的图表可交互查看。",
                   "5. Long lists are shortened in the PDF; the XLSX and CSV files hold every row, and the HTML version has interactive charts."))
    text["other"] = other

    # ---- 附件 ------------------------------------------------------------------------------------------
    text["method_dates"] = P(f"考核截止日期为{I.date(as_of)}；累计值取截止日前最近一个季度的报告值；项目状态、时间进度、节点应完成与已完成均以截止日判断。",
                             f"As-of date {as_of}: cumulative values are those of the latest quarter ending on or before it; status, elapsed time and milestones due or done are judged at that date.")
    pr = data.project_review_named(con, y)
    frames["project_review_named"] = pr
    tables["annex_scores"] = view(ctx, pr.sort("total_score", descending=True, nulls_last=True),
                                  ["project_id", "project_name", "field", "plan", "score_process", "score_output", "score_outcome", "score_expert",
                                   "coverage", "total_score", "grade", "flags", "recommendation"], cap=cap_for(ctx, "annex_scores"))
    lineage = pl.DataFrame(inputs, schema={"file": pl.String, "dataset": pl.String, "sha256": pl.String, "bytes": pl.Int64}) if inputs else \
        pl.DataFrame(schema={"file": pl.String, "dataset": pl.String, "sha256": pl.String, "bytes": pl.Int64})
    tables["lineage"] = view(ctx, lineage, ["dataset", ("file", "文件", "File", "text"), ("bytes", "字节数", "Bytes", "int"), ("sha256", "SHA-256", "SHA-256", "text")])
    text["lineage"] = P(f"本报告由代码版本 {code_version} 于 {generated_at.strftime('%Y-%m-%d %H:%M:%S %z')} 生成，评分细则 {method['file']}（版本 {method['version']}，SHA-256 {method['sha256']}）。输入文件如下：",
                        f"Generated by code version {code_version} at {generated_at.isoformat(timespec='seconds')} with rubric {method['file']} "
                        f"(version {method['version']}, SHA-256 {method['sha256']}). Input files:")

    # ---- 六 (六)–(八) and 八: programme management (docs/programme-management.md §3–§7) -----------------
    pm = programme_sections.build(ctx, view, H, toc, method)
    tables.update(pm["tables"])
    text.update(pm["text"])
    frames.update(pm["frames"])

    return {
        "pm": pm, "H": H, "toc": toc, "tables": tables, "text": text, "frames": frames, "cur": cur, "prev": prev,
        "n_projects": n, "as_of_date": as_of,
        "funds_dims": [(k, *v) for k, v in DIMENSIONS.items()],
    }
