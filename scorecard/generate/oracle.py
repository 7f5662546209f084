"""Expected review outcomes: an independent plain-Python reading of the rubric (the oracle)."""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction

import numpy as np
import polars as pl

from scorecard import codes
from scorecard.generate.model import REVIEW_YEARS, _d
from scorecard.generate.simulation import _quarter_end


# ================================================================ expected review outcomes (oracle)
# An independent, plain-Python reading of docs/scoring.md v1, used only by the bundle: to choose the
# recorded review decisions (mostly the recommendation, a few overrides) and to report the
# outcomes the bundle is built to produce. The platform's SQL is the real implementation.
def _days(col: pl.Series) -> list:
    return [None if v is None else (v - dt.date(1970, 1, 1)).days for v in col.to_list()]


def _index(frames: dict[str, pl.DataFrame]) -> dict:
    ix: dict = {"proj": {}, "ms": {}, "pay": {}, "prog": {}, "tgt": {}, "act": {}, "exp": {}}
    p = frames["projects"]
    for pid, s, e, sf in zip(p["project_id"], _days(p["start_date"]), _days(p["end_date"]), p["self_funding_wan"]):
        ix["proj"][pid] = (s, e, sf)
    m = frames["milestones"]
    for pid, pl_, w, c in zip(m["project_id"], _days(m["planned_date"]), m["weight"], _days(m["completed_date"])):
        ix["ms"].setdefault(pid, []).append((pl_, w, c))
    d = frames["disbursements"]
    for pid, day, amt, kind in zip(d["project_id"], _days(d["payment_date"]), d["amount_wan"], d["kind"]):
        ix["pay"].setdefault(pid, []).append((day, -amt if kind == "recovery" else amt, kind))
    r = frames["progress_reports"]
    for pid, per, fs, sa in zip(r["project_id"], r["period"], r["fiscal_spent_wan"], r["self_arrived_wan"]):
        ix["prog"].setdefault(pid, []).append((_period_end(per), int(per[:4]), fs, sa))
    t = frames["kpi_targets"]
    for pid, ind, tv, due in zip(t["project_id"], t["indicator"], t["target_value"], _days(t["due_date"])):
        ix["tgt"].setdefault(pid, []).append((ind, codes.INDICATORS[ind][2], tv, due))
    a = frames["kpi_actuals"]
    for pid, per, ind, v in zip(a["project_id"], a["period"], a["indicator"], a["value"]):
        ix["act"].setdefault((pid, ind), []).append((_period_end(per), v))
    x = frames["expert_reviews"]
    for pid, y, s, v in zip(x["project_id"], x["review_year"], x["score"], x["veto"]):
        ix["exp"].setdefault((pid, y), []).append((s, bool(v)))
    return ix


def _period_end(period: str) -> int:
    y, q = int(period[:4]), int(period[5])
    return int(_quarter_end(np.array([y * 4 + q - 1]))[0])


def _latest(series: list, a_day: int):
    best = None
    for row in series:
        if row[0] <= a_day and (best is None or row[0] > best[0]):
            best = row
    return best


def _q(value) -> Fraction:
    """An amount as the exact rational of the decimal digits it is written with (12.3 → 123/10)."""
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


def _oracle_rubric() -> dict:
    """The official rubric's numbers as exact rationals, so the oracle cannot disagree with the file."""
    from scorecard.rubric import load_rubric

    rubric = load_rubric()
    t = rubric.thresholds
    out = {k: _q(v) for k, v in t.model_dump().items() if k != "report_cutoff"}
    out.update({f"w_{leaf.code}": _q(leaf.points) for leaf in rubric.leaves})
    out.update({f"band_{g.lower()}": _q(m) for g, m in rubric.grade_bands.items()})
    out["cutoff"] = t.cutoff_month_day
    return out


def _score(ix: dict, pid: str, y: int, prev_rectify: bool, k: dict) -> dict:
    """An independent plain-Python reading of the rubric (docs/scoring.md), in exact rational
    arithmetic (fractions.Fraction): every rate, point and comparison is exact (§10)."""
    a_day = _d(f"{y}-12-31")
    start, end, self_f = ix["proj"][pid]
    self_f = _q(self_f)
    f = Fraction(min(max(a_day - start, 0), end - start), end - start)
    ms = ix["ms"].get(pid, [])
    due = [(p, _q(w), c) for p, w, c in ms if p <= a_day]
    done = lambda c: c is not None and c <= a_day
    spi = on_time = None
    if due:
        spi = sum((_q(w) for _, w, c in ms if done(c)), Fraction(0)) / sum(w for _, w, _ in due)
        on_time = Fraction(sum(1 for p, _, c in due if done(c) and c <= p + int(k["grace_days"])), len(due))
    pays = ix["pay"].get(pid, [])
    net = sum((_q(s) for day, s, _ in pays if day <= a_day), Fraction(0))
    rep = _latest(ix["prog"].get(pid, []), a_day)
    fiscal, self_arr = (_q(rep[2]), _q(rep[3])) if rep else (Fraction(0), Fraction(0))
    e_rate = None if net <= 0 else fiscal / net
    r_rate = None if self_f == 0 or f == 0 else self_arr / (self_f * f)
    ach: dict[str, list] = {"output": [], "outcome": []}
    for ind, kind, tv, tdue in ix["tgt"].get(pid, []):
        tdue = end if tdue is None else tdue
        if tdue <= start:
            fi = Fraction(1 if a_day >= tdue else 0)
        else:
            fi = Fraction(min(max(a_day - start, 0), tdue - start), tdue - start)
        x = _q(tv) * fi
        if x == 0:
            continue
        act = _latest(ix["act"].get((pid, ind), []), a_day)
        ach[kind].append(min((_q(act[1]) if act else Fraction(0)) / x, Fraction(1)))
    scores = ix["exp"].get((pid, y), [])
    vals = sorted(_q(s) for s, _ in scores)
    if len(vals) >= k["trim_min_experts"]:
        vals = vals[1:-1]
    expert = sum(vals, Fraction(0)) / len(vals) if vals else None
    veto = any(v for _, v in scores)
    out_a = sum(ach["output"], Fraction(0)) / len(ach["output"]) if ach["output"] else None
    oc_a = sum(ach["outcome"], Fraction(0)) / len(ach["outcome"]) if ach["outcome"] else None
    one = Fraction(1)
    leaves = [
        (spi, k["w_spi"], lambda v: min(v, one)),
        (on_time, k["w_on_time"], lambda v: v),
        (e_rate, k["w_fund_execution"], lambda v: min(v / k["exec_target"], one)),
        (r_rate, k["w_self_funding"], lambda v: min(v, one)),
        (out_a, k["w_output"], lambda v: v),
        (oc_a, k["w_outcome"], lambda v: v),
        (expert, k["w_expert"], lambda v: v / 100),
    ]
    applicable = sum((p for v, p, _ in leaves if v is not None), Fraction(0))
    earned = sum((p * fn(v) for v, p, fn in leaves if v is not None), Fraction(0))
    # half away from zero, exactly (totals are never negative)
    total = None if applicable == 0 else math.floor(100 * earned / applicable * 100 + Fraction(1, 2)) / Fraction(100)
    if veto:
        grade = "D"
    elif total is None or applicable < k["min_coverage"] * 100:
        grade = "insufficient"
    else:
        grade = "A" if total >= k["band_a"] else "B" if total >= k["band_b"] else "C" if total >= k["band_c"] else "D"
    flags = []
    overdue, window = int(k["stall_overdue_days"]), int(k["stall_window_days"])
    if (
        ms
        and any(not done(c) and a_day - p > overdue for p, _, c in ms)
        and not any(c is not None and 0 <= a_day - c <= window - 1 for _, _, c in ms)
    ):
        flags.append("stalled")
    firsts = [day for day, _, kind in pays if kind == "disbursement"]
    if e_rate is not None and e_rate < k["low_exec_rate"] and firsts and a_day - min(firsts) >= k["low_exec_days"]:
        flags.append("low_execution")
    if r_rate is not None and r_rate < k["self_gap_rate"]:
        flags.append("self_funds_gap")
    month, day = k["cutoff"]
    if not any(py == y for _, py, _, _ in ix["prog"].get(pid, [])) and start <= _d(f"{y}-{month:02d}-{day:02d}"):
        flags.append("missing_report")
    if fiscal > net + k["overspend_tolerance"]:
        flags.append("overspend")
    if veto:
        flags.append("veto")
    ended = end <= a_day
    if veto or (
        not ended and (grade == "D" or "stalled" in flags or (prev_rectify and grade in ("C", "D", "insufficient")))
    ):
        rec = "terminate"
    elif ended:
        rec = "acceptance_review"
    elif "overspend" in flags:
        rec = "suspend_funding"
    elif grade in ("C", "insufficient") or flags:
        rec = "rectify"
    else:
        rec = "rolling_support"
    clawback = max(Fraction(0), net - fiscal) if rec == "terminate" else Fraction(0)
    return {
        "grade": grade,
        "flags": sorted(flags),
        "rec": rec,
        "total": None if total is None else float(total),
        "clawback": float(clawback),
    }


def _review(ix: dict, decisions: dict, years=REVIEW_YEARS) -> dict:
    """Scores per (year, project) following docs/scoring.md §1 (termination) and §6 (rectify rule)."""
    results: dict = {}
    terminated: set = set()
    k = _oracle_rubric()
    for y in years:
        a_day, jan1 = _d(f"{y}-12-31"), _d(f"{y}-01-01")
        res = {}
        for pid, (start, end, _) in ix["proj"].items():
            if start > a_day or end < jan1 or pid in terminated:
                continue
            prev = results.get(y - 1, {}).get(pid)
            prev_rec = decisions.get((pid, y - 1), prev["rec"] if prev else None) if prev else None
            res[pid] = _score(ix, pid, y, prev_rec == "rectify", k)
        for pid, r in res.items():
            if decisions.get((pid, y), r["rec"]) == "terminate":
                terminated.add(pid)
        results[y] = res
    return results
