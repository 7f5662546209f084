"""The report's sections on the two analyses beyond the rubric (docs/analytics.md): 决策稳健性分析 robustness
of decisions (§1, a section of chapter 三 综合评价) and 疑点线索 signals for follow-up (§2, a section of chapter
五 存在的问题), and their XLSX sheets. The numbers come from the marts (``analytics_data.py``), the thresholds
from the rubric file; the sentences are in the chapter templates."""

from __future__ import annotations

import polars as pl

from scorecard import codes
from scorecard.report import analytics_data as ad
from scorecard.report import outline
from scorecard.report.context import ReportInputs, label
from scorecard.report.tables import view

FRAGILE_COLUMNS = [
    "project_id",
    "project_name",
    "recommendation",
    "grade",
    "total_score",
    "margin_points",
    "oat_flips",
    "random_share_kept",
    "flip_to",
]
KIND_COLUMNS = [("signal_label", "线索类型", "Signal", "text"), "signals", "projects"]
SIGNAL_COLUMNS = ["project_id", "project_name", ("text", "线索与证据", "What was found, with its evidence", "text")]
HARD = ("terminate", "suspend_funding")


def robustness(r: ReportInputs) -> dict:
    """Values, tables and frames of the robustness section: robust and fragile decisions per recommendation,
    every fragile terminate and suspend_funding by name with what it flips to, the other fragile ones."""
    cfg = r.method["rubric"].sensitivity  # the report's rubric file (Annex 1)
    if not ad.has_tables(r.con):
        return {"values": {"robustness": None}, "tables": {}, "frames": {}}
    per_rec = ad.robustness_by_recommendation(r.con, r.year)
    fragile = ad.fragile_decisions(r.con, r.year)
    hard = fragile.filter(pl.col("recommendation").is_in(HARD))
    by_rec = {row["recommendation"]: row for row in per_rec.to_dicts()}
    values = {
        "delta": f"{cfg.delta_points:g}",
        "random_rubrics": cfg.random_rubrics,
        "seed": cfg.seed,
        "fragile_share": cfg.fragile_share,
        "decisions": int(per_rec["decisions"].sum()) if per_rec.height else 0,
        "fragile": int(per_rec["fragile"].sum()) if per_rec.height else 0,
        "fragile_by_rec": [
            {"label": label(codes.RECOMMENDATIONS, k), "fragile": row["fragile"], "decisions": row["decisions"]}
            for k, row in by_rec.items()
            if row["fragile"]
        ],
        "hard": {k: int(by_rec.get(k, {}).get("fragile") or 0) for k in HARD},
    }
    return {
        "values": {"robustness": values},
        "tables": {
            "robustness_by_rec": view(
                r.i18n, per_rec, ["recommendation", "decisions", "robust", "fragile", "fragile_share"]
            ),
            "robustness_hard": view(r.i18n, hard, FRAGILE_COLUMNS, cap="fragile_hard"),
            "robustness_other": view(
                r.i18n, fragile.filter(~pl.col("recommendation").is_in(HARD)), FRAGILE_COLUMNS, cap="fragile_other"
            ),
        },
        "frames": {"decision_robustness": ad.robustness_rows(r.con, r.year)},
    }


def signals(r: ReportInputs) -> dict:
    """Values, tables and frames of the signals section: how many of each kind, and each kind's list with
    its evidence in words."""
    if not ad.has_tables(r.con):
        return {"values": {"signals": None}, "tables": {}, "frames": {}}
    i18n = r.i18n
    kinds = ad.signals_by_kind(r.con, r.year)
    rows = ad.signal_list(r.con, r.year)
    text = (
        pl.col("text_zh")
        if i18n.lang == "zh"
        else pl.col("text_en")
        if i18n.lang == "en"
        else pl.concat_str([pl.col("text_zh"), pl.col("text_en")], separator=" / ")
    )
    rows = rows.with_columns(text.alias("text"))
    tables = {
        "signals_by_kind": view(
            i18n,
            kinds.with_columns(
                pl.col("signal")
                .replace_strict({k: i18n.one(codes.SIGNALS, k) for k in codes.SIGNALS})
                .alias("signal_label")
            ),
            KIND_COLUMNS,
        )
    }
    listed = []
    for kind in ad.SIGNAL_ORDER:
        part = rows.filter(pl.col("signal") == kind)
        tables[f"signals_{kind}"] = view(i18n, part, SIGNAL_COLUMNS, cap="signals")
        listed.append({"code": kind, "label": label(codes.SIGNALS, kind), "count": part.height})
    values = {
        "total": rows.height,
        "projects": rows["project_id"].n_unique() if rows.height else 0,
        "kinds": listed,
        "fired": [k for k in listed if k["count"]],
    }
    return {
        "values": {"signals": values},
        "tables": tables,
        "frames": {
            "review_signal": rows.select("signal", "project_id", "project_name", "text_zh", "text_en", "evidence")
        },
    }


def sheets(frames: dict, year: int) -> list[tuple]:
    """The sections' sheets (outline.yaml), for scorecard/report/sheets.py."""
    return outline.sheets("analytics", frames, year)
