"""The report's two chapters beyond the rubric (docs/analytics.md): 决策稳健性 decision robustness (§1) and
疑点线索 signals for follow-up (§2), and their XLSX sheets. Every sentence states counts read from the marts
(``scorecard/report/analytics_data.py``); the thresholds are the rubric's.

``robustness_chapter`` / ``signals_chapter`` return ``{"tables": …, "text": …, "frames": …}`` in the shapes
the template's ``table`` and ``paras`` macros read; ``view`` is the report's table formatter
(``scorecard.report.context.view``), passed in so this module does not import the context.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from scorecard import codes
from scorecard.report import analytics_data as ad
from scorecard.report.i18n import fmt_int, fmt_pct
from scorecard.rubric import Rubric

FRAGILE_COLS = [
    "project_id",
    "project_name",
    ("grade", "等级", "Grade", "code"),
    ("total_score", "总分", "Total", "num"),
    ("margin_points", *ad.COLUMNS["margin_points"]),
    ("oat_flips", *ad.COLUMNS["oat_flips"]),
    ("random_share_kept", *ad.COLUMNS["random_share_kept"]),
    ("flip_to", "可能改为", "Flips to", "code"),
]
SIGNAL_COLS = ["project_id", "project_name", ("text", "线索与证据", "What was found, with its evidence", "text")]


def _rec(i18n, code: str) -> str:
    return i18n.one(codes.RECOMMENDATIONS, code)


def robustness_chapter(ctx, view: Callable, rubric: Rubric) -> dict:
    """Robust and fragile decisions per recommendation; every fragile terminate and suspend_funding by name."""
    con, y, i18n = ctx.con, ctx.year, ctx.i18n
    cfg = rubric.sensitivity
    per_rec = ad.robustness_by_recommendation(con, y)
    fragile_hard = ad.fragile_decisions(con, y, ("terminate", "suspend_funding"))
    fragile_all = ad.fragile_decisions(con, y)
    total = int(per_rec["decisions"].sum()) if per_rec.height else 0
    n_fragile = int(per_rec["fragile"].sum()) if per_rec.height else 0
    delta = f"{cfg.delta_points:g}"
    by_rec = {r["recommendation"]: r for r in per_rec.to_dicts()}
    hard = {k: int(by_rec.get(k, {}).get("fragile", 0) or 0) for k in ("terminate", "suspend_funding")}
    method_zh = (
        f"在不改变官方评分结果的前提下，对每项决定按评分细则的全部规则重新评分：8 个单因素情景（某一一级指标增减 {delta} 分，"
        f"其余一级指标按比例相应减增）和 {cfg.random_rubrics} 套随机权重（各一级指标在 ±{delta} 分内随机变动后归一为 100 分，随机种子 {cfg.seed}）；"
        f"无数据的指标不计入分母，预警、阈值和等级分界不变，上年决定取官方记录。任一单因素情景改变建议，"
        f"或保持原建议的随机权重少于 {fmt_pct(cfg.fragile_share, 0)} 的决定，视为不稳健，签署前需人工复核。"
    )
    method_en = (
        f"Without changing any official result, every decision was scored again with all rules of the rubric under eight "
        f"one-at-a-time scenarios (one first-level indicator ±{delta} points, the others in proportion) and {cfg.random_rubrics} "
        f"random rubrics (each indicator moved by up to ±{delta} points, renormalised to 100; seed {cfg.seed}); a leaf without data "
        f"leaves the denominator, flags, thresholds and grade bands stay, last year's decision is the recorded one. A decision that "
        f"any one-at-a-time scenario changes, or that fewer than {fmt_pct(cfg.fragile_share, 0)} of the random rubrics keep, is fragile "
        f"and needs a person's look before the report is signed."
    )
    parts_zh = "、".join(
        f"{_rec(i18n, r['recommendation'])} {fmt_int(r['fragile'])} 项" for r in per_rec.to_dicts() if r["fragile"]
    )
    parts_en = ", ".join(
        f"{codes.RECOMMENDATIONS[r['recommendation']][1].lower()} {fmt_int(r['fragile'])}"
        for r in per_rec.to_dicts()
        if r["fragile"]
    )
    result_zh = (
        f"{y}年度 {fmt_int(total)} 项决定中，{fmt_int(total - n_fragile)} 项稳健，{fmt_int(n_fragile)} 项不稳健"
        + (f"（{parts_zh}）" if parts_zh else "")
        + "。"
        + (
            f"其中建议中止淘汰 {hard['terminate']} 项、暂停拨款 {hard['suspend_funding']} 项的决定不稳健，逐项列示如下，签署前需人工复核。"
            if sum(hard.values())
            else "中止淘汰和暂停拨款的决定均稳健。"
        )
    )
    result_en = (
        f"Of the {fmt_int(total)} decisions of {y}, {fmt_int(total - n_fragile)} are robust and {fmt_int(n_fragile)} fragile"
        + (f" ({parts_en})" if parts_en else "")
        + ". "
        + (
            f"{hard['terminate']} termination(s) and {hard['suspend_funding']} funding suspension(s) are fragile; they are listed "
            f"below by name and need a person's look before signing."
            if sum(hard.values())
            else "Every termination and funding suspension is robust."
        )
    )
    rec_cols = [
        ("recommendation", "考核建议", "Recommendation", "code"),
        ("decisions", *ad.COLUMNS["decisions"]),
        ("robust", *ad.COLUMNS["robust"]),
        ("fragile", *ad.COLUMNS["fragile"]),
        ("fragile_share", *ad.COLUMNS["fragile_share"]),
    ]
    return {
        "tables": {
            "robustness_by_rec": view(ctx, per_rec, rec_cols),
            "robustness_hard": view(
                ctx, fragile_hard, [("recommendation", "考核建议", "Recommendation", "code"), *FRAGILE_COLS]
            ),
            "robustness_other": view(
                ctx,
                fragile_all.filter(~pl.col("recommendation").is_in(["terminate", "suspend_funding"])),
                [("recommendation", "考核建议", "Recommendation", "code"), *FRAGILE_COLS],
            ),
        },
        "text": {
            "robustness_method": i18n.paras(method_zh, method_en),
            "robustness_result": i18n.paras(result_zh, result_en),
        },
        "frames": {"robustness": ad.robustness_rows(con, y), "robustness_by_rec": per_rec},
        "numbers": {"decisions": total, "fragile": n_fragile, **{f"fragile_{k}": v for k, v in hard.items()}},
    }


def signals_chapter(ctx, view: Callable, rubric: Rubric) -> dict:
    """The six signals: how many of each kind, then each kind's list with its evidence in words."""
    con, y, i18n = ctx.con, ctx.year, ctx.i18n
    kinds = ad.signals_by_kind(con, y)
    rows = ad.signal_list(con, y)
    total = int(kinds["signals"].sum())
    projects = int(rows["project_id"].n_unique()) if rows.height else 0
    intro_zh = (
        "疑点线索是评分细则之外需要人工核实的线索，并非结论：每条线索列明所依据的数字、记录和相关项目，供评估人员逐条核实。"
        f"{y}年度共发现线索 {fmt_int(total)} 条，涉及 {fmt_int(projects)} 个项目。"
    )
    intro_en = (
        "Signals are leads the rubric does not see, not findings: each names the numbers, rows and other projects it rests on, "
        f"so that an evaluator can check it. {y}: {fmt_int(total)} signals on {fmt_int(projects)} projects."
    )
    text_col = "text_en" if i18n.lang == "en" else "text_zh"
    lists = []
    for kind in ad.SIGNAL_ORDER:
        part = rows.filter(pl.col("signal") == kind).with_columns(pl.col(text_col).alias("text"))
        zh, en = codes.SIGNALS[kind]
        lists.append(
            {"code": kind, "title": i18n.t(zh, en), "count": part.height, "table": view(ctx, part, SIGNAL_COLS)}
        )
    kind_cols = [
        ("signal_label", "线索类型", "Signal", "text"),
        ("signals", *ad.COLUMNS["signals"]),
        ("projects", *ad.COLUMNS["projects"]),
    ]
    labelled = kinds.with_columns(
        pl.col("signal").map_elements(lambda k: i18n.t(*codes.SIGNALS[k]), return_dtype=pl.String).alias("signal_label")
    )
    return {
        "tables": {"signals_by_kind": view(ctx, labelled, kind_cols)},
        "text": {"signals_intro": i18n.paras(intro_zh, intro_en)},
        "signal_lists": lists,
        "frames": {"signals_by_kind": kinds, "signals": rows},
        "numbers": {"signals": total, "signal_projects": projects},
    }


def xlsx_sheets(chapters: dict) -> list[tuple[str, str, str, pl.DataFrame, str | None, bool]]:
    """The two analyses' XLSX sheets (in ``scorecard.report.xlsx.write_workbook``'s tuple shape)."""
    frames = {**chapters["robustness"]["frames"], **chapters["signals"]["frames"]}
    return [
        (
            "决策稳健性 Robustness",
            "决策稳健性（每项决定）",
            "Decision robustness (every decision)",
            frames["robustness"],
            None,
            True,
        ),
        ("疑点线索 Signals", "疑点线索", "Signals for follow-up", frames["signals"], None, True),
    ]
