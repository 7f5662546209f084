"""The method chapter (附件: 评价指标体系与评分方法) rendered from the rubric file itself, so it can
never disagree with the scoring: leaves, points, formulas, thresholds, grade bands, flags and
recommendation rules come from ``scorecard.rubric.load_rubric``."""

from __future__ import annotations

from pathlib import Path

from scorecard.programme import load_programme
from scorecard.report.i18n import I18n
from scorecard.rubric import Rubric, load_rubric

THRESHOLDS: dict[str, tuple[str, str]] = {
    "exec_target": ("资金执行率满分线 E", "Fund execution rate earning full points (E)"),
    "grace_days": ("节点按时宽限（天）", "Grace period for on-time milestones (days)"),
    "min_coverage": ("最低数据覆盖率（低于此为数据不足）", "Minimum coverage (below: insufficient data)"),
    "trim_min_experts": ("去掉最高最低分的最少专家数", "Experts needed to drop highest and lowest"),
    "stall_overdue_days": ("进度停滞：节点逾期天数 >", "Stalled: milestone overdue more than (days)"),
    "stall_window_days": ("进度停滞：无节点完成的窗口（天）", "Stalled: window without a completed milestone (days)"),
    "low_exec_rate": ("资金执行率低：E <", "Low execution: E below"),
    "low_exec_days": ("资金执行率低：首笔拨款已满（天）", "Low execution: first disbursement at least (days) ago"),
    "self_gap_rate": ("自筹资金不到位：R <", "Self-funding gap: R below"),
    "overspend_tolerance": ("超支容差（万元）", "Overspend tolerance (万元)"),
    "problem_min_flags": (
        "潜在问题项目：预警数 ≥（不含一票否决）",
        "Potential problem project: flags at least (veto aside)",
    ),
    "report_cutoff": ("缺少进度报告：项目开始不晚于（月-日）", "Missing report: project started by (month-day)"),
}


def _leaf_rows(rubric: Rubric, i18n: I18n) -> list[dict]:
    """One row per leaf under its first-level indicator, with its formula text(s)."""
    rows = []
    for ind in rubric.indicators:
        for k, leaf in enumerate(ind.leaves):
            formula = [f for f in ((leaf.formula_zh if i18n.zh else ""), (leaf.formula_en if i18n.en else "")) if f]
            rows.append(
                {
                    "first_level": i18n.t(ind.zh, ind.en),
                    "first_points": ind.total_points,
                    "rowspan": len(ind.leaves) if k == 0 else 0,
                    "code": leaf.code,
                    "leaf": i18n.t(leaf.zh, leaf.en),
                    "points": leaf.points,
                    "formula": formula,
                }
            )
    return rows


def _grade_rows(rubric: Rubric, i18n: I18n) -> list[dict]:
    """The grade bands, highest first, then D and insufficient data."""
    from scorecard import codes

    bands = sorted(rubric.grade_bands.items(), key=lambda kv: -kv[1])
    rows, upper = [], None
    for grade, minimum in bands:
        zh, en = codes.GRADES[grade]
        below = "" if upper is None else (f"，< {upper:g}" if i18n.zh else f", < {upper:g}")
        rows.append({"grade": grade, "label": i18n.t(zh, en), "range": f"≥ {minimum:g}" + below})
        upper = minimum
    zh, en = codes.GRADES["D"]
    rows.append({"grade": "D", "label": i18n.t(zh, en), "range": f"< {bands[-1][1]:g}" if bands else "—"})
    zh, en = codes.GRADES["insufficient"]
    cov = rubric.thresholds.min_coverage
    rows.append(
        {
            "grade": "insufficient",
            "label": i18n.t(zh, en),
            "range": i18n.t(f"数据覆盖率 < {cov:g}", f"coverage < {cov:g}"),
        }
    )
    return rows


def _documented(items, i18n: I18n) -> list[dict]:
    return [
        {"code": d.code, "text": [t for t in ((d.zh if i18n.zh else ""), (d.en if i18n.en else "")) if t]}
        for d in items
    ]


def method_context(rubric_path: Path, i18n: I18n) -> dict:
    rubric: Rubric = load_rubric(rubric_path)
    model = rubric.model
    leaves = _leaf_rows(rubric, i18n)
    grade_rows = _grade_rows(rubric, i18n)
    thresholds = [
        {"key": key, "label": i18n.t(*THRESHOLDS.get(key, (key, key))), "value": value}
        for key, value in rubric.thresholds.model_dump().items()
    ]
    documented = lambda items: _documented(items, i18n)  # noqa: E731
    total_points = sum(leaf.points for leaf in rubric.leaves)
    return {
        "version": rubric.version,
        "sha256": rubric.sha256,
        "file": rubric.path.name,
        "title": i18n.t(model.title_zh, model.title_en) if (model.title_zh or model.title_en) else rubric.path.name,
        "basis": model.basis,
        "leaves": leaves,
        "total_points": total_points,
        "grade_bands": grade_rows,
        "thresholds": thresholds,
        "flags": documented(model.flags),
        "recommendations": documented(model.recommendations),
        "rubric": rubric,
        "programme": load_programme(),
        "problem_min_flags": rubric.thresholds.problem_min_flags,
    }


def rubric_table_rows(ctx: dict) -> list[dict]:
    """Flat rows of the method table for the XLSX."""
    rows = [
        {
            "first_level": leaf["first_level"],
            "leaf": leaf["leaf"],
            "points": leaf["points"],
            "formula": " | ".join(leaf["formula"]),
        }
        for leaf in ctx["leaves"]
    ]
    rows += [
        {"first_level": "thresholds", "leaf": t["label"], "points": t["value"], "formula": t["key"]}
        for t in ctx["thresholds"]
    ]
    rows += [
        {"first_level": "grade_bands", "leaf": g["label"], "points": None, "formula": g["range"]}
        for g in ctx["grade_bands"]
    ]
    return rows
