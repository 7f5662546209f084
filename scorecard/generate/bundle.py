"""The bundle's clean content: projects in the bundle's proportions, reviewed year by year with
the oracle (recorded decisions, terminations), money scaled to the bundle's budget.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from scorecard.generate.model import (
    ARCH,
    ARCH_NAMES,
    ARCH_WEIGHTS,
    BUNDLE_BUDGET,
    BUNDLE_PLAN_COUNTS,
    PLAN_ABBR,
    PLAN_CODES,
    REVIEW_YEARS,
    YEARS,
    _d,
)
from scorecard.generate.oracle import _index, _review
from scorecard.generate.simulation import _sample_projects, _simulate


# ================================================================ bundled (messy) mode: the data
def _largest_remainder(total: int, weights: list[float]) -> list[int]:
    w = np.asarray(weights, dtype=float)
    raw = w / w.sum() * total
    base = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - base), kind="stable")[: total - base.sum()]:
        base[i] += 1
    return base.tolist()


def _bundle_projects(rng: np.random.Generator, n: int) -> tuple[dict, pl.Series]:
    """Plans in the bundle's proportions, approval years evenly spread, archetypes stratified by
    approval year so every archetype appears in every cohort."""
    plan_n = _largest_remainder(n, [BUNDLE_PLAN_COUNTS[p] for p in PLAN_CODES])
    plan = np.repeat(np.arange(len(PLAN_CODES)), plan_n)
    year = np.empty(n, dtype=np.int64)
    for p in range(len(PLAN_CODES)):
        idx = np.nonzero(plan == p)[0]
        year[idx] = np.repeat(np.array(YEARS), _largest_remainder(len(idx), [1, 1, 1]))
    arch = np.empty(n, dtype=np.int64)
    for y in YEARS:
        idx = np.nonzero(year == y)[0]
        a = np.repeat(np.arange(len(ARCH)), _largest_remainder(len(idx), ARCH_WEIGHTS.tolist()))
        arch[idx] = rng.permutation(a)
    order = np.lexsort((plan, year))
    plan, year, arch = plan[order], year[order], arch[order]
    P = _sample_projects(rng, n, year=year, plan=plan, arch=arch)
    P["seq"] = np.arange(1, n + 1)
    ids, counter = [], {}
    for y, p in zip(year, plan):
        key = (y, p)
        counter[key] = counter.get(key, 0) + 1
        ids.append(f"SZ{y}-{PLAN_ABBR[PLAN_CODES[p]]}-{counter[key]:04d}")
    return P, pl.Series(ids, dtype=pl.String)


def _terminate(frames: dict[str, pl.DataFrame], pid: str, year: int, clawback: float, seq: int) -> None:
    """A project terminated after review `year` stops: no later reports, KPI values, expert
    reviews, completions or payments; unspent fiscal funds are recovered in April of year+1."""
    cut = dt.date(year, 12, 31)
    is_p = pl.col("project_id") == pid
    f = frames
    f["progress_reports"] = f["progress_reports"].filter(
        ~(is_p & (pl.col("period").str.slice(0, 4).cast(pl.Int32) > year))
    )
    f["kpi_actuals"] = f["kpi_actuals"].filter(~(is_p & (pl.col("period").str.slice(0, 4).cast(pl.Int32) > year)))
    f["expert_reviews"] = f["expert_reviews"].filter(~(is_p & (pl.col("review_year") > year)))
    f["milestones"] = f["milestones"].with_columns(
        pl.when(is_p & (pl.col("completed_date") > cut))
        .then(None)
        .otherwise(pl.col("completed_date"))
        .alias("completed_date")
    )
    f["disbursements"] = f["disbursements"].filter(~(is_p & (pl.col("payment_date") > cut)))
    if clawback >= 1 and year < YEARS[-1]:
        rec = pl.DataFrame(
            {
                "payment_id": [f"ZH{seq:07d}"],
                "project_id": [pid],
                "payment_date": [dt.date(year + 1, 4, 10 + seq % 15)],
                "amount_wan": [round(clawback, 1)],
                "kind": ["recovery"],
                "source": ["city"],
            }
        )
        f["disbursements"] = pl.concat([f["disbursements"], rec])


def _bundle_frames(n: int, seed: int) -> tuple[dict[str, pl.DataFrame], dict, dict]:
    """The bundle's clean content: simulate, review year by year (recording decisions and
    stopping terminated projects), then scale money so each year's net disbursement is near
    BUNDLE_BUDGET. Returns (frames, archetype per project, decisions)."""
    rng = np.random.default_rng([seed, 0])
    P, pid = _bundle_projects(rng, n)
    frames = _simulate(rng, P, pid)
    arch = dict(zip(pid.to_list(), (ARCH_NAMES[a] for a in P["arch"])))
    seq = dict(zip(pid.to_list(), P["seq"].tolist()))
    end = dict(zip(pid.to_list(), P["end"].tolist()))
    decisions: dict = {}
    drng = np.random.default_rng([seed, 1])
    for y in REVIEW_YEARS:
        res = _review(_index(frames), decisions, years=REVIEW_YEARS[: REVIEW_YEARS.index(y) + 1])[y]
        if y in (2017, 2018):
            overrides = _pick_overrides(res, arch, end, y)
            for p in sorted(res):
                if p in overrides:
                    decisions[(p, y)] = overrides[p]
                elif drng.random() < 0.6:
                    decisions[(p, y)] = res[p]["rec"]
        for p in sorted(res):
            if decisions.get((p, y), res[p]["rec"]) == "terminate":
                _terminate(frames, p, y, res[p]["clawback"], seq[p])
    frames["disbursements"] = frames["disbursements"].sort("project_id", "payment_date", "payment_id")
    _scale_budget(frames)
    dec_rows = sorted(decisions.items())
    frames["review_decisions"] = pl.DataFrame(
        {
            "project_id": [p for (p, _), _ in dec_rows],
            "review_year": pl.Series([y for (_, y), _ in dec_rows], dtype=pl.Int32),
            "decision": [d for _, d in dec_rows],
            "decided_date": [dt.date(y + 1, 3, 1) + dt.timedelta(days=seq[p] % 28) for (p, y), _ in dec_rows],
        }
    )
    return frames, arch, decisions


def _pick_overrides(res: dict, arch: dict, end: dict, y: int) -> dict:
    """A few recorded decisions that differ from the recommendation (docs/scoring.md §1, §6):
    2017: a project recommended for termination gets a second chance (rectify);
    2018: a 'declining' project that earned rolling support is told to rectify (it weakens in
    2019, so the rectify rule fires), and a project recommended to rectify is terminated."""
    out = {}
    active_next = lambda p: end[p] > _d(f"{y + 1}-12-31")
    if y == 2017:
        cands = [p for p in sorted(res) if res[p]["rec"] == "terminate" and arch[p] == "fair"]
        out.update({p: "rectify" for p in cands[:1]})
    else:
        cands = [
            p for p in sorted(res) if arch[p] == "declining" and res[p]["rec"] == "rolling_support" and active_next(p)
        ]
        out.update({p: "rectify" for p in cands[:2]})
        cands = [p for p in sorted(res) if res[p]["rec"] == "rectify" and arch[p] == "fair" and active_next(p)]
        out.update({p: "terminate" for p in cands[:1]})
    return out


def _scale_budget(frames: dict[str, pl.DataFrame]) -> None:
    """Scale each approval cohort's money so the net disbursement of 2017, 2018 and 2019 comes
    out near BUNDLE_BUDGET (a triangular solve: cohort Y pays nothing before year Y)."""
    p = frames["projects"]
    cohort = dict(zip(p["project_id"], p["approval_year"]))
    d = frames["disbursements"].with_columns(
        pl.col("project_id").replace_strict(cohort, return_dtype=pl.Int32).alias("cohort"),
        pl.col("payment_date").dt.year().alias("y"),
        pl.when(pl.col("kind") == "recovery").then(-pl.col("amount_wan")).otherwise(pl.col("amount_wan")).alias("s"),
    )
    c = {(a, b): s for a, b, s in d.group_by("cohort", "y").agg(pl.col("s").sum()).iter_rows()}
    scale: dict[int, float] = {}
    for y in YEARS:
        before = sum(scale[k] * c.get((k, y), 0.0) for k in YEARS if k < y)
        scale[y] = (BUNDLE_BUDGET[y] - before) / c[(y, y)]
    factor = lambda df: (
        pl.col("project_id")
        .replace_strict(cohort, return_dtype=pl.Int32)
        .replace_strict(scale, return_dtype=pl.Float64)
    )
    f = frames
    f["projects"] = f["projects"].with_columns(
        ((pl.col("approved_funding_wan") * factor(None) / 10).round(0) * 10).alias("approved_funding_wan"),
        ((pl.col("self_funding_wan") * factor(None) / 10).round(0) * 10).alias("self_funding_wan"),
    )
    f["disbursements"] = f["disbursements"].with_columns(
        (pl.col("amount_wan") * factor(None)).round(1).alias("amount_wan")
    )
    f["progress_reports"] = f["progress_reports"].with_columns(
        (pl.col(c) * factor(None)).round(2).alias(c)
        for c in ("fiscal_spent_wan", "self_arrived_wan", "total_spent_wan")
    )
