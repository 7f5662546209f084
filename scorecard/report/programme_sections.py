"""The report's programme-management sections (docs/programme-management.md §3–§7).

In every year's report, chapter 六 (recommendations) gains three sections: the follow-through on last
year's problems (§3), the dynamic adjustment of fields and plans with a heatmap of the fields over the
years (§4), and the budget what-if, labelled a scenario (§5). The report of the programme's last year
(programme file) and of every later year gains the whole-period chapter 八 总体评估 (§6). The XLSX gets a
sheet per table, the project managers' portfolio (§7) included.

Everything is read from the analyses' mart tables; nothing here computes a score or a suggestion.
"""

from __future__ import annotations

import duckdb
import plotly.graph_objects as go
import polars as pl

from scorecard import codes
from scorecard.programme_management import ensure_tables, overall_in_scope, signals_available
from scorecard.report.data import COLUMNS, q
from scorecard.report.i18n import I18n, fmt_int, fmt_num, fmt_pct, section_no

# The new columns' headers and kinds, for the HTML/PDF tables and the XLSX (added to the shared table).
PM_COLUMNS: dict[str, tuple[str, str, str]] = {
    "prev_decision": ("上年决定", "Last year's decision", "code"),
    "prev_problem": ("上年潜在问题项目", "Problem project last year", "bool"),
    "outcome": ("整改结果", "Outcome", "text"),
    "outcome_label": ("整改结果", "Outcome", "text"),
    "level": ("层级", "Level", "text"),
    "code": ("代码", "Code", "text"),
    "group_label": ("领域 / 计划", "Field / plan", "text"),
    "graded": ("已定级", "Graded", "int"),
    "share_ab": ("优良率", "Share A or B", "pct"),
    "share_terminate": ("中止淘汰占比", "Share to terminate", "pct"),
    "problem_share": ("问题项目占比", "Problem share", "pct"),
    "fund_execution": ("资金执行率", "Fund execution", "pct"),
    "suggestion": ("调整建议", "Suggestion", "text"),
    "suggestion_label": ("调整建议", "Suggestion", "text"),
    "reason_zh": ("理由", "Reason (zh)", "text"),
    "reason_en": ("Reason", "Reason (en)", "text"),
    "reason": ("理由", "Reason", "text"),
    "scenario": ("测算类型", "Scenario", "text"),
    "field_label": ("领域", "Field", "text"),
    "released_wan": ("释放资金（万元）", "Released (万元)", "money"),
    "held_wan": ("暂缓资金（万元）", "Held (万元)", "money"),
    "reallocated_wan": ("调剂资金（万元）", "Reallocated (万元)", "money"),
    "basis": ("调剂依据", "Basis", "text"),
    "approval_year": ("立项年度", "Approval year", "year"),
    "latest_status": ("最新状态", "Latest status", "text"),
    "project_manager": ("项目经理人", "Project manager", "text"),
    "flagged": ("有预警项目", "Flagged", "int"),
    "signals": ("疑点线索", "Signals", "int"),
    "overdue_milestones": ("逾期节点", "Overdue milestones", "int"),
    "total": ("合计", "Total", "int"),
    "projects_total": ("合计", "Total", "int"),
}
COLUMNS.update({k: v for k, v in PM_COLUMNS.items() if k not in COLUMNS})

OUTCOMES = {
    "resolved": ("整改到位（滚动支持）", "Resolved (rolling support)"),
    "persisting": ("仍需整改或暂停拨款", "Persisting (rectify or suspend)"),
    "escalated": ("升级为中止淘汰", "Escalated (terminate)"),
    "closing": ("进入结题验收", "Closing (acceptance review)"),
    "not_reviewed": ("本年度未考核", "Not reviewed this year"),
}
SUGGESTIONS = {
    "too_few": ("样本不足", "Too few"),
    "shrink": ("收缩", "Shrink"),
    "adjust": ("调整", "Adjust"),
    "expand": ("加大支持", "Expand"),
    "maintain": ("维持", "Maintain"),
}
PDF_LIST_CAP = 60  # the PDF lists at most this many followed projects (the HTML and the XLSX hold them all)
STATUSES = {
    "terminated": ("已中止淘汰", "Terminated"),
    "accepted": ("已到期验收", "Accepted"),
    "active_A": ("在研·优", "Active, A"),
    "active_B": ("在研·良", "Active, B"),
    "active_C": ("在研·中", "Active, C"),
    "active_D": ("在研·差", "Active, D"),
    "active_insufficient": ("在研·数据不足", "Active, insufficient"),
}
BASIS = {
    "expand": ("按加大支持领域滚动支持项目资助额分配", "to the expand fields, by their rolling-support funding"),
    "maintain": (
        "无加大支持领域，按维持领域滚动支持项目资助额分配",
        "no expand field: to the maintain fields, by their rolling-support funding",
    ),
    "unallocated": ("无符合条件的领域，暂不分配", "no field qualifies: left unallocated"),
    "none": ("本年度无释放资金", "nothing released this year"),
}
SCENARIO_NOTE = (
    "【情景测算】以下为资金调整测算，仅供决策参考，不是正式决定，不改变任何项目的评分、等级或建议。",
    (
        "[Scenario] A what-if calculation for the decision makers — not an official figure; it changes no score, "
        "grade or recommendation."
    ),
)


def labelled(frame: pl.DataFrame, column: str, table: dict, i18n: I18n, alias: str) -> pl.DataFrame:
    """``frame`` with ``alias`` = the label of each code of ``column`` in the report's language."""
    mapping = {k: i18n.one(table, k) for k in table}
    return frame.with_columns(pl.col(column).replace_strict(mapping, default=pl.col(column)).alias(alias))


def headings(H: dict, toc: list[dict], i18n: I18n, with_overall: bool, period: tuple[int, int]) -> None:
    """Add the three sections of chapter 六 and, in scope, chapter 八 (before the annexes) to H and toc."""
    subs = [
        ("上年问题整改跟踪", "Follow-through on last year's problems"),
        ("领域与计划动态调整", "Dynamic adjustment of fields and plans"),
        ("资金调整测算（情景）", "Budget what-if (scenario)"),
    ]
    at = max(i for i, t in enumerate(toc) if t["id"].startswith("s6")) + 1
    for k, (zh, en) in enumerate(subs, start=6):
        H[f"s6_{k}"] = i18n.t(f"（{section_no(k)}）{zh}", f"6.{k} {en}")
        toc.insert(at, {"id": f"s6-{k}", "level": 2, "title": H[f"s6_{k}"]})
        at += 1
    if not with_overall:
        return
    start, end = period
    H["s9"] = i18n.t(f"八、专项总体评估（{start}–{end}年）", f"8. Overall evaluation of the programme, {start}–{end}")
    at = next(i for i, t in enumerate(toc) if t["id"] == "s8")
    toc.insert(at, {"id": "s9", "level": 1, "title": H["s9"]})
    for k, (zh, en) in enumerate(
        [
            ("工作目标完成情况", "Targets over the period"),
            ("年度资金安排与拨付", "Budget and net disbursement per year"),
            ("项目批次与最新状态", "Cohorts and their latest status"),
            ("各领域历年平均分", "Mean score per field and year"),
            ("疑点线索", "Signals per year"),
        ],
        start=1,
    ):
        H[f"s9_{k}"] = i18n.t(f"（{section_no(k)}）{zh}", f"8.{k} {en}")
        toc.insert(at + k, {"id": f"s9-{k}", "level": 2, "title": H[f"s9_{k}"]})


def build(ctx, view, H: dict, toc: list[dict], method: dict) -> dict:
    """Tables, texts and frames of the sections for ``ctx.year``; ``view`` is the report's table formatter,
    ``method`` the report's method context (the rubric and the programme)."""
    programme = method["programme"]
    con, y, i18n = ctx.con, ctx.year, ctx.i18n
    try:
        ensure_tables(con)  # a warehouse the analyses never ran on still renders (empty sections)
    except duckdb.Error:
        pass
    with_overall = overall_in_scope(y, programme)
    headings(H, toc, i18n, with_overall, (programme.start, programme.end))
    out = {"tables": {}, "text": {}, "frames": {}, "overall": with_overall}
    follow_through(con, y, i18n, ctx, view, out)
    adjustment(con, y, i18n, ctx, view, out, method["rubric"].model.adjustment)
    budget(con, y, i18n, ctx, view, out)
    managers(con, y, out)
    if with_overall:
        overall(con, y, i18n, ctx, view, out, programme)
    return out


# --- §3 follow-through ---------------------------------------------------------------------------------
def follow_through(con, y: int, i18n: I18n, ctx, view, out: dict) -> None:
    P = i18n.paras
    rows = q(
        con,
        """SELECT f.project_id, p.project_name, p.field, f.prev_decision, f.prev_problem, f.prev_grade, f.grade,
                            f.recommendation, f.outcome
                     FROM mart.follow_through f LEFT JOIN dim_project p USING (project_id)
                     WHERE f.review_year = ? ORDER BY f.outcome, f.project_id""",
        [y],
    )
    counts = {k: rows.filter(pl.col("outcome") == k).height for k in OUTCOMES}
    n = rows.height
    table = labelled(
        pl.DataFrame({"outcome": list(OUTCOMES), "projects": list(counts.values())}),
        "outcome",
        OUTCOMES,
        i18n,
        "outcome_label",
    )
    out["frames"]["follow_through"] = rows
    out["tables"]["follow_counts"] = view(ctx, table, ["outcome_label", "projects"])
    listed = labelled(
        rows.filter(pl.col("outcome").is_in(["persisting", "escalated"])), "outcome", OUTCOMES, i18n, "outcome_label"
    )
    listed = labelled(listed, "prev_decision", codes.RECOMMENDATIONS, i18n, "prev_decision_label")
    out["tables"]["follow_list"] = view(
        ctx,
        listed,
        [
            "project_id",
            "project_name",
            "field",
            ("prev_decision_label", "上年决定", "Last year's decision", "text"),
            "prev_grade",
            "grade",
            "recommendation",
            "outcome_label",
        ],
        cap=PDF_LIST_CAP if ctx.mode == "pdf" else None,
    )
    resolved = counts["resolved"] / n if n else None
    out["share_resolved"] = resolved
    if not n:
        out["text"]["follow_through"] = P(
            f"{y - 1}年度无限期整改、暂停拨款或潜在问题项目需跟踪（或{y - 1}年度未开展考核）。",
            f"No project of {y - 1} was to rectify, suspended or a potential problem project (or {y - 1} was not reviewed).",
        )
        return
    out["text"]["follow_through"] = P(
        f"{y - 1}年度决定限期整改、暂停拨款或为潜在问题项目的 {n} 个项目，{y}年度整改到位（转为滚动支持）{counts['resolved']} 个，"
        f"整改到位率 {fmt_pct(resolved)}；仍需整改或暂停拨款 {counts['persisting']} 个，升级为中止淘汰 {counts['escalated']} 个，"
        f"进入结题验收 {counts['closing']} 个，本年度未参加考核（已中止或已到期）{counts['not_reviewed']} 个。仍需整改和升级为中止淘汰的项目列示如下。",
        f"Of the {n} projects that {y - 1} put under rectification, suspended or found to be potential problem projects, "
        f"{counts['resolved']} are resolved in {y} (rolling support): {fmt_pct(resolved)} resolved; {counts['persisting']} persist "
        f"(rectify or suspend), {counts['escalated']} are escalated to termination, {counts['closing']} go to the acceptance review and "
        f"{counts['not_reviewed']} were not reviewed (terminated or ended). The persisting and escalated projects are listed below.",
    )


# --- §4 adjustment -------------------------------------------------------------------------------------
def adjustment(con, y: int, i18n: I18n, ctx, view, out: dict, rules) -> None:
    P = i18n.paras
    frame = q(
        con,
        """SELECT level, code, projects, graded, mean_score, share_ab, share_terminate, problem_share, fund_execution,
                             suggestion, reason_zh, reason_en
                      FROM mart.portfolio_adjustment WHERE review_year = ? ORDER BY level, code""",
        [y],
    )
    reason = (
        pl.col("reason_zh")
        if i18n.lang == "zh"
        else pl.col("reason_en")
        if i18n.lang == "en"
        else pl.concat_str([pl.col("reason_zh"), pl.col("reason_en")], separator=" / ")
    )
    shown = labelled(frame, "suggestion", SUGGESTIONS, i18n, "suggestion_label").with_columns(reason.alias("reason"))
    cols = [
        "projects",
        "mean_score",
        "share_ab",
        "share_terminate",
        "problem_share",
        "fund_execution",
        "suggestion_label",
        "reason",
    ]
    for level, table in (("field", codes.FIELDS), ("plan", codes.PLANS)):
        part = labelled(shown.filter(pl.col("level") == level), "code", table, i18n, "group_label")
        out["tables"][f"adjust_{level}"] = view(ctx, part, ["group_label", *cols])
    out["frames"]["portfolio_adjustment"] = frame
    out["frames"]["adjustment_history"] = q(
        con,
        """SELECT review_year, code, mean_score, suggestion FROM mart.portfolio_adjustment
                                                    WHERE level = 'field' AND review_year <= ? ORDER BY review_year, code""",
        [y],
    )
    fields = frame.filter(pl.col("level") == "field")
    per = {k: fields.filter(pl.col("suggestion") == k)["code"].to_list() for k in SUGGESTIONS}
    out["field_suggestions"] = {k: len(v) for k, v in per.items() if v}
    zh = "；".join(
        f"{SUGGESTIONS[k][0]} {len(v)} 个（{'、'.join(i18n.one(codes.FIELDS, c) for c in v)}）"
        for k, v in per.items()
        if v
    )
    en = "; ".join(
        f"{SUGGESTIONS[k][1].lower()} {len(v)} ({', '.join(codes.FIELDS.get(c, (c, c))[1] for c in v)})"
        for k, v in per.items()
        if v
    )
    r = {k: f"{v * 100:g}%" if "share" in k else f"{v:g}" for k, v in rules.model_dump().items()}
    out["text"]["adjustment"] = P(
        f"按评分细则的动态调整规则（依次判断：考核项目少于 {r['min_projects']} 个为样本不足；中止淘汰占比 ≥ {r['shrink_terminate_share']} "
        f"或平均分 < {r['shrink_mean_score']} 为收缩；潜在问题项目占比 ≥ {r['adjust_problem_share']} 或优良率 < {r['adjust_share_ab']} 为调整；"
        f"平均分 ≥ {r['expand_mean_score']}、优良率 ≥ {r['expand_share_ab']} 且潜在问题项目占比 ≤ {r['expand_problem_share']} 为加大支持；"
        f"其余维持），对 {fields.height} 个领域的建议为：{zh or '无'}。调整建议只用于领域与计划层面的资金安排参考，不改变任何项目的评分、等级或考核建议。",
        f"By the rubric's adjustment rules (in order: fewer than {r['min_projects']} reviewed projects is too few; share to terminate "
        f"≥ {r['shrink_terminate_share']} or mean score < {r['shrink_mean_score']} shrink; problem share ≥ {r['adjust_problem_share']} "
        f"or share A or B < {r['adjust_share_ab']} adjust; mean score ≥ {r['expand_mean_score']}, share A or B ≥ {r['expand_share_ab']} "
        f"and problem share ≤ {r['expand_problem_share']} expand; else maintain), the {fields.height} fields are suggested to: "
        f"{en or 'none'}. The suggestions guide the funding of fields and plans; they change no project's score, grade or recommendation.",
    )


# --- §5 budget what-if ---------------------------------------------------------------------------------
def budget(con, y: int, i18n: I18n, ctx, view, out: dict) -> None:
    P = i18n.paras
    frame = q(
        con,
        """SELECT scenario, field, released_wan, held_wan, reallocated_wan, basis FROM mart.budget_scenario
                      WHERE review_year = ? ORDER BY field NULLS LAST""",
        [y],
    )
    unallocated = i18n.t("未分配", "unallocated")
    frame = frame.with_columns(
        pl.when(pl.col("field").is_null())
        .then(pl.lit(unallocated))
        .otherwise(
            pl.col("field").replace_strict(
                {k: i18n.one(codes.FIELDS, k) for k in codes.FIELDS}, default=pl.col("field")
            )
        )
        .alias("field_label")
    )
    out["frames"]["budget_scenario"] = frame
    out["tables"]["budget"] = view(ctx, frame, ["field_label", "released_wan", "held_wan", "reallocated_wan"])
    total = {k: float(frame[k].sum() or 0) for k in ("released_wan", "held_wan", "reallocated_wan")}
    out["budget_totals"] = total
    basis = frame["basis"][0] if frame.height else "none"
    receivers = frame.filter(pl.col("reallocated_wan") > 0)
    to_zh = (
        "、".join(
            f"{codes.FIELDS.get(r['field'], (r['field'] or '未分配',))[0]} {fmt_num(float(r['reallocated_wan']))} 万元"
            for r in receivers.to_dicts()
        )
        or "无"
    )
    to_en = (
        ", ".join(
            f"{codes.FIELDS.get(r['field'], (None, r['field'] or 'unallocated'))[1]} {fmt_num(float(r['reallocated_wan']))} 万元"
            for r in receivers.to_dicts()
        )
        or "none"
    )
    out["text"]["budget_note"] = P(*SCENARIO_NOTE)
    out["text"]["budget"] = P(
        f"若按{y}年度考核建议执行：中止淘汰项目可释放财政资金 {fmt_num(total['released_wan'])} 万元（未拨付的资助额加建议追回金额），"
        f"暂停拨款项目暂缓拨付 {fmt_num(total['held_wan'])} 万元；释放资金{BASIS[basis][0]}，合计调剂 {fmt_num(total['reallocated_wan'])} 万元：{to_zh}。",
        f"If {y}'s recommendations were carried out, the terminations would release {fmt_num(total['released_wan'])} 万元 of fiscal funds "
        f"(funding not yet paid plus the clawback) and the suspensions hold {fmt_num(total['held_wan'])} 万元; the released money goes "
        f"{BASIS[basis][1]}: {fmt_num(total['reallocated_wan'])} 万元 in all — {to_en}.",
    )


# --- §7 managers (XLSX) --------------------------------------------------------------------------------
def managers(con, y: int, out: dict) -> None:
    out["frames"]["manager_portfolio"] = q(
        con,
        """SELECT * EXCLUDE (review_year) FROM mart.manager_portfolio WHERE review_year = ?
                                                   ORDER BY problem_projects DESC, flagged DESC, project_manager""",
        [y],
    )


# --- §6 overall evaluation -----------------------------------------------------------------------------
def overall(con, y: int, i18n: I18n, ctx, view, out: dict, programme) -> None:
    P = i18n.paras
    start, end = programme.start, programme.end
    targets = q(
        con,
        """SELECT target, name_zh, name_en, measured, comparator, threshold, unit, met FROM mart.program_target
                        WHERE review_year = ? ORDER BY CASE WHEN target LIKE 'annual_budget%' THEN 1 WHEN measured IS NULL THEN 2 ELSE 0 END,
                        target""",
        [y],
    )
    name = pl.col("name_en") if i18n.lang == "en" else pl.col("name_zh")
    out["tables"]["overall_targets"] = view(
        ctx,
        targets.with_columns(name.alias("name")),
        [("name", "工作目标", "Target", "text"), "measured", "comparator", "threshold", "unit", "met"],
    )
    funds = q(
        con,
        """SELECT payment_year, disbursed_wan, recovered_wan, net_disbursed_wan, budget_wan,
                             net_disbursed_wan / nullif(budget_wan, 0) AS budget_rate
                      FROM mart.disbursement_by_year WHERE review_year = ? AND payment_year BETWEEN ? AND ? ORDER BY payment_year""",
        [y, start, max(end, y)],
    )
    out["tables"]["overall_funds"] = view(
        ctx, funds, ["payment_year", "disbursed_wan", "recovered_wan", "net_disbursed_wan", "budget_wan", "budget_rate"]
    )
    cohort = q(
        con,
        "SELECT approval_year, latest_status, projects FROM mart.programme_cohort WHERE review_year = ? ORDER BY 1, 2",
        [y],
    )
    wide = cohort_table(cohort)
    out["frames"]["overall_cohort"] = cohort
    out["tables"]["overall_cohort"] = view(
        ctx, wide, ["approval_year", *[(s, *STATUSES[s], "int") for s in STATUSES], "projects_total"]
    )
    scores = q(
        con,
        """SELECT review_year, dimension_value AS field, mean_score FROM mart.program_summary
                       WHERE dimension = 'field' AND review_year BETWEEN ? AND ? ORDER BY 1, 2""",
        [programme.first_review_year, y],
    )
    years = sorted(set(scores["review_year"].to_list()))
    field_year = field_year_table(scores, years, i18n)
    out["frames"]["overall_field_scores"] = field_year
    out["tables"]["overall_scores"] = view(
        ctx,
        field_year,
        [("field_label", "领域", "Field", "text"), *[(str(yy), f"{yy}年", str(yy), "num") for yy in years]],
    )
    signals = signal_table(con, y)
    out["frames"]["overall_signals"] = signals
    if signals is not None:
        out["tables"]["overall_signals"] = view(
            ctx, signals, ["review_year", ("signal", "线索类型", "Signal", "text"), "count"]
        )
    measured = targets.filter(pl.col("measured").is_not_null())
    met = measured.filter(pl.col("met")).height
    net = float(funds["net_disbursed_wan"].sum() or 0)
    budget_total = float(funds["budget_wan"].sum() or 0)
    status_total = {s: int(cohort.filter(pl.col("latest_status") == s)["projects"].sum() or 0) for s in STATUSES}
    n = sum(status_total.values())
    active = sum(v for k, v in status_total.items() if k.startswith("active"))
    out["text"]["overall"] = P(
        f"专项实施期为 {start}–{end} 年。截至{y}年度考核，可计量的 {measured.height} 项工作目标完成 {met} 项；"
        f"{funds.height} 个年度累计净拨款 {fmt_num(net)} 万元，对应年度预算合计 {fmt_num(budget_total)} 万元"
        f"（{fmt_pct(net / budget_total if budget_total else None)}）。累计纳入考核的 {fmt_int(n)} 个项目中，已中止淘汰 "
        f"{status_total['terminated']} 个，已到期验收 {status_total['accepted']} 个，在研 {active} 个。",
        f"The programme runs {start}–{end}. As of the {y} review, {met} of the {measured.height} measurable targets are met; "
        f"net disbursement over {funds.height} years is {fmt_num(net)} 万元 against budgets of {fmt_num(budget_total)} 万元 "
        f"({fmt_pct(net / budget_total if budget_total else None)}). Of the {fmt_int(n)} projects ever reviewed, "
        f"{status_total['terminated']} were terminated, {status_total['accepted']} ended with an acceptance review and {active} are active.",
    )
    out["text"]["overall_signals"] = (
        P("疑点线索分析尚未运行，本节暂缺。", "The signals analysis has not run; this section is empty.")
        if signals is None
        else P("疑点线索只是需要核实的线索，不是结论。", "Signals are leads to check, not findings.")
    )


def cohort_table(cohort: pl.DataFrame) -> pl.DataFrame:
    """Approval year × latest status, one column per status (0 where none) and a total."""
    years = sorted(set(cohort["approval_year"].to_list()))
    got = {(r["approval_year"], r["latest_status"]): r["projects"] for r in cohort.to_dicts()}
    rows = [{"approval_year": yy, **{s: got.get((yy, s), 0) for s in STATUSES}} for yy in years]
    for r in rows:
        r["projects_total"] = sum(r[s] for s in STATUSES)
    return pl.DataFrame(
        rows, schema={"approval_year": pl.Int64, **{s: pl.Int64 for s in STATUSES}, "projects_total": pl.Int64}
    )


def field_year_table(scores: pl.DataFrame, years: list[int], i18n: I18n) -> pl.DataFrame:
    got = {(r["field"], r["review_year"]): r["mean_score"] for r in scores.to_dicts()}
    fields = sorted(set(scores["field"].to_list()))
    rows = [
        {"field": f, "field_label": i18n.one(codes.FIELDS, f), **{str(yy): got.get((f, yy)) for yy in years}}
        for f in fields
    ]
    return pl.DataFrame(
        rows, schema={"field": pl.String, "field_label": pl.String, **{str(yy): pl.Float64 for yy in years}}
    )


def signal_table(con, y: int) -> pl.DataFrame | None:
    """Signals per review year and kind up to ``y`` (mart.review_signal), None when that analysis never ran."""
    if not signals_available(con):
        return None
    return q(
        con,
        "SELECT review_year, signal, count(*) AS count FROM mart.review_signal WHERE review_year <= ? GROUP BY ALL ORDER BY 1, 2",
        [y],
    )


# --- charts -------------------------------------------------------------------------------------------
def figures(i18n: I18n, frames: dict, layout) -> dict[str, go.Figure]:
    """The adjustment heatmap (fields × years), the budget what-if bars and, in scope, mean score per field."""
    figs = {
        "adjustment_heatmap": adjustment_heatmap(i18n, frames["adjustment_history"], layout),
        "budget_scenario": budget_chart(i18n, frames["budget_scenario"], layout),
    }
    if "overall_field_scores" in frames:
        figs["overall_scores"] = field_score_lines(i18n, frames["overall_field_scores"], layout)
    return figs


def adjustment_heatmap(i18n: I18n, history: pl.DataFrame, layout) -> go.Figure:
    years = sorted(set(history["review_year"].to_list()))
    fields = sorted(set(history["code"].to_list()))
    got = {(r["code"], r["review_year"]): r for r in history.to_dicts()}
    z = [[(got.get((f, yy)) or {}).get("mean_score") for yy in years] for f in fields]
    text = [
        [i18n.one(SUGGESTIONS, (got.get((f, yy)) or {}).get("suggestion")) if (f, yy) in got else "" for yy in years]
        for f in fields
    ]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[str(yy) for yy in years],
            y=[i18n.one(codes.FIELDS, f) for f in fields],
            text=text,
            texttemplate="%{text}",
            colorscale="RdYlGn",
            zmin=60,
            zmax=95,
            colorbar={"title": i18n.t("平均分", "Mean score")},
        )
    )
    fig.update_xaxes(type="category")
    return layout(
        fig,
        i18n.t("各领域历年平均分与调整建议", "Fields over the years: mean score and suggestion"),
        height=max(300, 120 + 32 * len(fields)),
    )


def budget_chart(i18n: I18n, frame: pl.DataFrame, layout) -> go.Figure:
    labels = frame["field_label"].to_list()
    fig = go.Figure()
    for col, zh, en, color in (
        ("released_wan", "释放", "Released", "#cf222e"),
        ("held_wan", "暂缓", "Held", "#d4a72c"),
        ("reallocated_wan", "调剂", "Reallocated", "#1a7f37"),
    ):
        fig.add_bar(x=labels, y=[float(v) for v in frame[col].to_list()], name=i18n.t(zh, en), marker_color=color)
    fig.update_yaxes(title="万元", tickformat=",.0f")
    return layout(
        fig, i18n.t("资金调整测算（情景，非正式决定）", "Budget what-if (a scenario, not an official figure)")
    )


def field_score_lines(i18n: I18n, frame: pl.DataFrame, layout) -> go.Figure:
    years = [c for c in frame.columns if c.isdigit()]
    fig = go.Figure()
    for r in frame.to_dicts():
        fig.add_scatter(x=years, y=[r[yy] for yy in years], name=r["field_label"], mode="lines+markers")
    fig.update_xaxes(type="category")
    fig.update_yaxes(title=i18n.t("平均分", "Mean score"))
    return layout(fig, i18n.t("各领域历年平均分", "Mean score per field and year"))


# --- XLSX ---------------------------------------------------------------------------------------------
def xlsx_sheets(frames: dict, year: int) -> list[tuple]:
    """(sheet, title zh, title en, frame, dimension, translate) for scorecard.report.xlsx.write_workbook."""
    budget = frames["budget_scenario"].drop("field_label")
    sheets = [
        (
            "整改跟踪 Follow-through",
            f"{year}年度上年问题整改跟踪",
            f"{year} follow-through on last year's problems",
            frames["follow_through"],
            None,
            True,
        ),
        (
            "动态调整 Adjustment",
            f"{year}年度领域与计划动态调整",
            f"{year} dynamic adjustment of fields and plans",
            frames["portfolio_adjustment"],
            None,
            False,
        ),
        (
            "资金测算 Budget what-if",
            f"{year}年度资金调整测算（情景测算，非正式决定）",
            f"{year} budget what-if (a scenario, not an official figure)",
            budget,
            "field",
            True,
        ),
        (
            "项目经理人 Managers",
            f"{year}年度项目经理人负责项目",
            f"{year} project managers' portfolios",
            frames["manager_portfolio"],
            None,
            False,
        ),
    ]
    if "overall_cohort" in frames:
        sheets += [
            (
                "总体评估批次 Cohorts",
                "项目批次与最新状态",
                "Cohorts by latest status",
                frames["overall_cohort"],
                None,
                False,
            ),
            (
                "总体评估均分 Field scores",
                "各领域历年平均分",
                "Mean score per field and year",
                frames["overall_field_scores"],
                None,
                False,
            ),
        ]
    return sheets
