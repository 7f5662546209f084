"""Simulation: per-project attributes and behaviour, and every dataset's rows for them (vectorised)."""

from __future__ import annotations

import numpy as np
import polars as pl

from scorecard.generate.model import (
    ARCH,
    ARCH_NAMES,
    ARCH_WEIGHTS,
    AREAS,
    BUNDLE_PLAN_COUNTS,
    CARRIERS,
    COMMENTS,
    COMPANY_A,
    COMPANY_B,
    DEPT_CODES,
    FIELD_CODES,
    FUNDING,
    GIVEN,
    HOSPITALS,
    IND_CODES,
    INSTITUTES,
    KPI_RANGE,
    LAST_DAY,
    LAST_QA,
    MILESTONE_TEXT,
    MONEY_IND,
    NONE_DAY,
    NT,
    OTHERS,
    OUTCOME_IND,
    OUTPUT_IND,
    PLAN_CODES,
    PRODUCTS,
    REPORT_TEXT,
    REVIEW_YEARS,
    RISK_CODES,
    SEL_CODES,
    SNAPSHOT,
    STAGE_CODES,
    SUPPORT_CODES,
    SURNAMES,
    TECHS,
    TRANCHES,
    UNIVERSITIES,
    UTYPE_CODES,
    YEARS,
    A,
    _d,
)


# ================================================================ project sampling
def _pick(rng: np.random.Generator, n: int, options: list, probs: list) -> np.ndarray:
    return np.asarray(options)[rng.choice(len(options), size=n, p=np.asarray(probs) / sum(probs))]


def _sample_projects(
    rng: np.random.Generator,
    n: int,
    year: np.ndarray | None = None,
    plan: np.ndarray | None = None,
    arch: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Per-project attributes and behaviour parameters as numpy arrays (codes as indices)."""
    P: dict[str, np.ndarray] = {}
    P["year"] = year if year is not None else rng.choice(np.array(YEARS), size=n)
    if plan is None:
        w = np.array([BUNDLE_PLAN_COUNTS[p] for p in PLAN_CODES], dtype=float)
        plan = rng.choice(len(PLAN_CODES), size=n, p=w / w.sum())
    P["plan"] = plan
    P["field"] = rng.integers(0, len(FIELD_CODES), n)
    arch = arch if arch is not None else rng.choice(len(ARCH), size=n, p=ARCH_WEIGHTS)
    P["arch"] = arch

    pc = np.asarray(PLAN_CODES, dtype=object)[plan]
    u = rng.random(n)
    # usual department of the plan (docs/programme.md): drc=0, eitc=1, stic=2
    dept = np.select(
        [pc == "core_tech", pc == "demonstration", pc == "innovation_carrier", pc == "chain_fusion"],
        [2, 1, np.where(u < 0.5, 2, 0), (u * 3).astype(int)],
        default=0,
    )
    P["dept"] = dept
    u = rng.random(n)
    # undertaker type: enterprise=0 university=1 institute=2 hospital=3 other=4
    ent_share = np.select(
        [pc == "industrialization", pc == "demonstration", pc == "core_tech", pc == "innovation_carrier"],
        [0.95, 0.85, 0.55, 0.35],
        0.6,
    )
    utype = np.where(
        u < ent_share,
        0,
        np.where(u < ent_share + (1 - ent_share) * 0.45, 1, np.where(u < ent_share + (1 - ent_share) * 0.85, 2, 3)),
    )
    utype = np.where((utype == 3) & (FIELD_CODES.index("biotech") != P["field"]) & (rng.random(n) < 0.6), 4, utype)
    P["utype"] = utype
    u = rng.random(n)
    # selection: tender=0 bounty=1 directed=2 merit=3 application=4
    P["sel"] = np.select(
        [pc == "core_tech", pc == "innovation_carrier", pc == "chain_fusion"],
        [np.where(u < 0.6, 0, 1), np.where(u < 0.3, 1, 4), np.where(u < 0.4, 2, np.where(u < 0.7, 3, 0))],
        default=4,
    )
    u = rng.random(n)
    P["support"] = np.where(u < 0.8, 0, np.where(u < 0.9, 1, 2))
    u = rng.random(n)
    stage = np.where(u < 0.7, 0, np.where(u < 0.9, 1, 2))
    # archetypes whose signal needs money paid during the project are always ex ante
    plain = np.isin(arch, [A["good"], A["fair"]])
    P["stage"] = np.where(plain, stage, 0)

    P["start"] = np.array([_d(f"{y}-03-01") for y in P["year"]], dtype=np.int64) + rng.integers(0, 245, n)
    u = rng.random(n)
    months = np.where(
        u < 0.15, rng.integers(18, 25, n), np.where(u < 0.65, rng.integers(24, 37, n), rng.integers(36, 49, n))
    )
    P["end"] = P["start"] + np.round(months * 30.44).astype(np.int64) - 1

    lo = np.array([FUNDING[p][0] for p in PLAN_CODES], dtype=float)[plan]
    hi = np.array([FUNDING[p][1] for p in PLAN_CODES], dtype=float)[plan]
    P["approved"] = np.round((lo + rng.random(n) * (hi - lo)) / 10) * 10
    u = rng.random(n)
    ratio = np.select(
        [utype == 0, (utype == 1) | (utype == 2), utype == 3],
        [1 + 2 * u, np.where(u < 0.5, 0.0, 0.1 + 0.4 * u), 0.2 + 0.3 * u],
        default=0.3 + 0.7 * u,
    )
    P["self"] = np.round(P["approved"] * ratio / 10) * 10

    # behaviour parameters from the archetype
    tab = lambda i: np.array([a[i] for a in ARCH])
    dl = np.array([a[1] for a in ARCH], dtype=float)
    ex = np.array([a[2] for a in ARCH], dtype=float)
    sf = np.array([a[3] for a in ARCH], dtype=float)
    kp = np.array([a[4] for a in ARCH], dtype=float)
    P["delay_mu"], P["delay_sd"] = dl[arch, 0], dl[arch, 1]
    P["exec"] = ex[arch, 0] + rng.random(n) * (ex[arch, 1] - ex[arch, 0])
    P["self_rate"] = sf[arch, 0] + rng.random(n) * (sf[arch, 1] - sf[arch, 0])
    P["kpi_k"] = kp[arch, 0] + rng.random(n) * (kp[arch, 1] - kp[arch, 0])
    P["exp_mu"] = tab(5).astype(float)[arch] + rng.normal(0, 1.5, n)
    P["risk"] = tab(6)[arch]
    P["rounding"] = np.array([{"ceil": 0, "round": 1, "floor": 2}[a[7]] for a in ARCH])[arch]
    dur = P["end"] - P["start"]
    P["stall"] = np.select(
        [arch == A["stalled"], arch == A["declining"]],
        [P["start"] + (0.2 * dur).astype(np.int64), np.full(n, _d("2019-03-01"))],
        default=NONE_DAY,
    )
    P["veto_year"] = np.where(arch == A["fraud"], np.maximum(P["year"], 2018) + (rng.random(n) < 0.5), 0)
    P["veto_year"] = np.where(P["veto_year"] > 2019, 2019, P["veto_year"])
    P["reports"] = ~np.isin(arch, [A["silent"], A["no_data"]])
    P["contract"] = arch != A["no_data"]
    P["district"] = rng.random(n) < 0.3
    # text parts
    for key, size in (
        ("tech", 6),
        ("prod", 6),
        ("carrier", 4),
        ("ca", len(COMPANY_A)),
        ("cb", len(COMPANY_B)),
        ("inst", 6),
        ("other", len(OTHERS)),
        ("sn", len(SURNAMES)),
        ("gn", len(GIVEN)),
    ):
        P[key] = rng.integers(0, size, n)
    P["has_manager"] = rng.random(n) < 0.9
    return P


def _project_texts(P: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Project name, undertaker and manager as object arrays (vectorised look-ups)."""
    obj = lambda xs: np.asarray(xs, dtype=object)
    f = P["field"]
    techs = obj([t for fc in FIELD_CODES for t in TECHS[fc]])[f * 6 + P["tech"]]
    prods = obj([t for fc in FIELD_CODES for t in PRODUCTS[fc]])[f * 6 + P["prod"]]
    areas = obj([AREAS[fc] for fc in FIELD_CODES])[f]
    plan = P["plan"]
    pc = obj(PLAN_CODES)[plan]
    name = np.select(
        [
            pc == "core_tech",
            pc == "demonstration",
            pc == "industrialization",
            pc == "innovation_carrier",
            pc == "service_platform",
        ],
        [
            techs + prods + "关键技术研发",
            techs + prods + "应用示范",
            techs + prods + "产业化",
            "深圳市" + areas + obj(CARRIERS)[P["carrier"]],
            "深圳市" + areas + "公共技术服务平台",
        ],
        default=areas + "“创新链+产业链”融合项目",
    )
    ut = P["utype"]
    company = (
        "深圳市"
        + obj(COMPANY_A)[P["ca"]]
        + obj(COMPANY_B)[P["cb"]]
        + np.where(P["ca"] % 3 == 0, "股份有限公司", "有限公司")
    )
    undertaker = np.select(
        [ut == 0, ut == 1, ut == 2, ut == 3],
        [company, obj(UNIVERSITIES)[P["inst"]], obj(INSTITUTES)[P["inst"]], obj(HOSPITALS)[P["inst"]]],
        default=obj(OTHERS)[P["other"]],
    )
    manager = np.where(P["has_manager"], obj(SURNAMES)[P["sn"]] + obj(GIVEN)[P["gn"]], None)
    return name, undertaker, manager


# ================================================================ simulation (vectorised)
def _quarter_of(days: np.ndarray) -> np.ndarray:
    """Absolute quarter index year*4 + (q-1) of each day number."""
    months = (days.astype("datetime64[D]")).astype("datetime64[M]").astype(np.int64)  # since 1970-01
    return 1970 * 4 + months // 3


def _quarter_end(qa: np.ndarray) -> np.ndarray:
    months = (qa - 1970 * 4) * 3 + 3
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) - 1


def _within(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner index, 0-based position) for rows repeated `counts` times per owner."""
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(len(owner)) - starts[owner]


def _dates(days: np.ndarray, valid: np.ndarray | None = None) -> pl.Series:
    s = pl.Series(days.astype(np.int32)).cast(pl.Date)
    if valid is not None:
        s = pl.select(pl.when(pl.Series(valid)).then(s)).to_series()
    return s


def _periods(qa: np.ndarray) -> pl.Series:
    labels = pl.Series([f"{y}Q{q}" for y in range(2015, 2031) for q in range(1, 5)])
    return labels.gather((qa - 2015 * 4).astype(np.int64))


def _tranches(P: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Disbursement tranche fractions and dates (n x NT) from the funding stage."""
    n = len(P["start"])
    frac = np.zeros((n, NT))
    date = np.zeros((n, NT), dtype=np.int64)
    for s, stage in enumerate(STAGE_CODES):
        m = P["stage"] == s
        for j, (fr, kind, days) in enumerate(TRANCHES[stage]):
            frac[m, j] = fr
            date[m, j] = (P["end"][m] if kind else P["start"][m]) + days
    return frac, date


def _simulate(rng: np.random.Generator, P: dict[str, np.ndarray], pid: pl.Series) -> dict[str, pl.DataFrame]:
    """Every dataset's rows for the projects in P (canonical columns, typed values)."""
    n = len(pid)
    start, end, dur = P["start"], P["end"], P["end"] - P["start"]
    name, undertaker, manager = _project_texts(P)
    out: dict[str, pl.DataFrame] = {}
    out["projects"] = pl.DataFrame(
        {
            "project_id": pid,
            "project_name": pl.Series(name.tolist(), dtype=pl.String),
            "field": pl.Series(FIELD_CODES).gather(P["field"]),
            "plan": pl.Series(PLAN_CODES).gather(P["plan"]),
            "department": pl.Series(DEPT_CODES).gather(P["dept"]),
            "undertaker": pl.Series(undertaker.tolist(), dtype=pl.String),
            "undertaker_type": pl.Series(UTYPE_CODES).gather(P["utype"]),
            "selection_method": pl.Series(SEL_CODES).gather(P["sel"]),
            "support_mode": pl.Series(SUPPORT_CODES).gather(P["support"]),
            "funding_stage": pl.Series(STAGE_CODES).gather(P["stage"]),
            "approval_year": pl.Series(P["year"].astype(np.int32)),
            "start_date": _dates(start),
            "end_date": _dates(end),
            "approved_funding_wan": P["approved"],
            "self_funding_wan": P["self"],
            "project_manager": pl.Series(manager.tolist(), dtype=pl.String),
        }
    )

    # ---- milestones: 4-6 per contract, evenly planned, the last on the end date
    m = np.where(P["contract"], rng.integers(4, 7, n), 0)
    o, k0 = _within(m)
    k = k0 + 1
    planned = start[o] + np.round(k / m[o] * dur[o]).astype(np.int64) - np.where(k == m[o], 1, 0)
    pct = rng.random(n) < 0.4
    weight = rng.integers(1, 4, len(o)) * np.where(pct[o], 10, 1)
    completed = planned + np.round(rng.normal(P["delay_mu"][o], P["delay_sd"][o])).astype(np.int64)
    completed = np.maximum(completed, start[o] + 15)
    done = (completed <= np.minimum(SNAPSHOT, P["stall"][o])) & P["reports"][o]
    text_idx = np.round(k0 / np.maximum(m[o] - 1, 1) * (len(MILESTONE_TEXT) - 1)).astype(np.int64)
    out["milestones"] = pl.DataFrame(
        {
            "project_id": pid.gather(o),
            "milestone_no": pl.Series(k.astype(np.int32)),
            "description": pl.Series(MILESTONE_TEXT).gather(text_idx),
            "planned_date": _dates(planned),
            "weight": weight.astype(float),
            "completed_date": _dates(completed, done),
        }
    )

    # ---- disbursements: tranches by funding stage; 30 % get part of the first from the district
    frac, tdate = _tranches(P)
    rows = []
    for j in range(NT):
        share = np.where(P["district"] & (j == 0), 0.65, 1.0)
        keep = (frac[:, j] > 0) & (tdate[:, j] <= LAST_DAY)
        idx = np.nonzero(keep)[0]
        rows.append(
            (
                idx,
                np.full(len(idx), j),
                tdate[idx, j],
                P["approved"][idx] * frac[idx, j] * share[idx],
                np.zeros(len(idx), int),
            )
        )
        if j == 0:
            dk = keep & P["district"] & (tdate[:, 0] + 21 <= LAST_DAY)
            idx = np.nonzero(dk)[0]
            rows.append(
                (
                    idx,
                    np.full(len(idx), NT),
                    tdate[idx, 0] + 21,
                    P["approved"][idx] * frac[idx, 0] * 0.35,
                    np.ones(len(idx), int),
                )
            )
    po = np.concatenate([r[0] for r in rows])
    pj = np.concatenate([r[1] for r in rows])
    pdate = np.concatenate([r[2] for r in rows])
    pamt = np.round(np.concatenate([r[3] for r in rows]), 1)
    psrc = np.concatenate([r[4] for r in rows])
    order = np.lexsort((pj, pdate, po))
    po, pj, pdate, pamt, psrc = po[order], pj[order], pdate[order], pamt[order], psrc[order]
    out["disbursements"] = pl.DataFrame(
        {
            "payment_id": ("BK" + pl.Series(P["seq"][po]).cast(pl.String).str.zfill(7) + pl.Series(pj).cast(pl.String)),
            "project_id": pid.gather(po),
            "payment_date": _dates(pdate),
            "amount_wan": pamt,
            "kind": pl.Series(["disbursement"] * len(po), dtype=pl.String),
            "source": pl.Series(["city", "district"]).gather(psrc),
        }
    )

    # ---- progress reports: every quarter from the start quarter to min(end, 2019Q4); cumulative
    qs = _quarter_of(start)
    qn = np.where(P["reports"], np.minimum(_quarter_of(end), LAST_QA) - qs + 1, 0)
    o, q0 = _within(qn)
    qa = qs[o] + q0
    qend = _quarter_end(qa)
    t_eff = np.minimum(qend, P["stall"][o])
    paid = np.zeros(len(o))
    for j in range(NT):
        paid += P["approved"][o] * frac[o, j] * (tdate[o, j] <= t_eff)
    fiscal = np.round(P["exec"][o] * paid, 2)
    f = np.clip((t_eff - start[o]) / dur[o], 0, 1)
    self_arr = np.round(np.minimum(P["self"][o] * f * P["self_rate"][o], P["self"][o]), 2)
    total = np.round(fiscal + 0.9 * self_arr, 2)
    risk = np.minimum(P["risk"][o] + (rng.random(len(o)) < 0.1), 2)
    out["progress_reports"] = pl.DataFrame(
        {
            "project_id": pid.gather(o),
            "period": _periods(qa),
            "submitted_date": _dates(qend + rng.integers(5, 26, len(o))),
            "fiscal_spent_wan": fiscal,
            "self_arrived_wan": self_arr,
            "total_spent_wan": total,
            "risk_level": pl.Series(RISK_CODES).gather(risk),
            "summary": pl.Series(REPORT_TEXT).gather(rng.integers(0, len(REPORT_TEXT), len(o))),
        }
    )

    # ---- KPI targets: 3-5 output and 1-3 outcome indicators per contract
    parts = []
    for pool, lo, hi in ((OUTPUT_IND, 3, 6), (OUTCOME_IND, 1, 4)):
        cnt = np.where(P["contract"], rng.integers(lo, hi, n), 0)
        pos = np.argsort(np.argsort(rng.random((n, len(pool))), axis=1), axis=1)
        tp, ti = np.nonzero(pos < cnt[:, None])
        parts.append((tp, np.array([IND_CODES.index(x) for x in pool])[ti]))
    tp = np.concatenate([p[0] for p in parts])
    ti = np.concatenate([p[1] for p in parts])
    order = np.lexsort((ti, tp))
    tp, ti = tp[order], ti[order]
    lo = np.array([KPI_RANGE[i][0] for i in IND_CODES])[ti]
    hi = np.array([KPI_RANGE[i][1] for i in IND_CODES])[ti]
    money = np.isin(ti, [IND_CODES.index(i) for i in MONEY_IND])
    tval = lo + np.floor(rng.random(len(tp)) * (hi - lo + 1))
    tval = np.where(money, np.round(tval / 10) * 10, tval).astype(float)
    u = rng.random(len(tp))
    due = np.where(u < 0.9, end[tp], start[tp] + dur[tp] // 2)
    due_given = u >= 0.75
    out["kpi_targets"] = pl.DataFrame(
        {
            "project_id": pid.gather(tp),
            "indicator": pl.Series(IND_CODES).gather(ti),
            "target_value": tval,
            "due_date": _dates(due, due_given),
        }
    )

    # ---- KPI actuals: cumulative, every reported quarter, for each target
    kfac = P["kpi_k"][tp] * (0.92 + 0.16 * rng.random(len(tp)))
    ao, a0 = _within(qn[tp])  # ao indexes target rows
    ap = tp[ao]
    aqa = qs[ap] + a0
    at = np.minimum(_quarter_end(aqa), P["stall"][ap])
    fi = np.clip((at - start[ap]) / np.maximum(due[ao] - start[ap], 1), 0, 1)
    x = tval[ao] * fi * kfac[ao]
    rnd = P["rounding"][ap]
    cnt_val = np.where(rnd == 0, np.ceil(x - 1e-9), np.where(rnd == 1, np.round(x), np.floor(x)))
    val = np.where(money[ao], np.round(x, 1), cnt_val)
    out["kpi_actuals"] = pl.DataFrame(
        {
            "project_id": pid.gather(ap),
            "period": _periods(aqa),
            "indicator": pl.Series(IND_CODES).gather(ti[ao]),
            "value": np.maximum(val, 0.0),
        }
    )

    # ---- expert reviews: 3-7 experts per review year the project is under review
    rev = np.stack([(start <= _d(f"{y}-12-31")) & (end >= _d(f"{y}-01-01")) for y in REVIEW_YEARS], axis=1)
    ecnt = np.where(rev, rng.integers(3, 8, (n, len(REVIEW_YEARS))), 0).ravel()
    eo, e0 = _within(ecnt)  # eo = project*3 + year index
    ep, ey = eo // len(REVIEW_YEARS), np.array(REVIEW_YEARS)[eo % len(REVIEW_YEARS)]
    mu = P["exp_mu"][ep] - np.where((P["arch"][ep] == A["declining"]) & (ey == 2019), 18, 0)
    score = np.clip(np.round(rng.normal(mu, 4.0)), 0, 100)
    veto = (P["veto_year"][ep] == ey) & (e0 == 0)
    score = np.where(veto, 45.0, score)
    base = np.repeat(rng.integers(0, 997, len(ecnt)), ecnt)
    eid = (base + e0 * 37) % 997 + 1
    comment = pl.Series(COMMENTS).gather(rng.integers(0, len(COMMENTS), len(eo)))
    comment = pl.select(pl.when(pl.Series(veto)).then(pl.lit("发现弄虚作假，一票否决")).otherwise(comment)).to_series()
    out["expert_reviews"] = pl.DataFrame(
        {
            "project_id": pid.gather(ep),
            "review_year": pl.Series(ey.astype(np.int32)),
            "expert_id": "E" + pl.Series(eid).cast(pl.String).str.zfill(4),
            "score": score,
            "veto": pl.Series(veto),
            "comment": comment,
        }
    )
    return out


def _archetype_decisions(rng: np.random.Generator, P: dict[str, np.ndarray], pid: pl.Series) -> pl.DataFrame:
    """Clean mode: recorded decisions for 2017 and 2018 for about half the reviewed projects,
    the recommendation each archetype is built to earn."""
    per_arch = {
        "excellent": "rolling_support",
        "good": "rolling_support",
        "fair": "rectify",
        "poor": "terminate",
        "stalled": "rectify",
        "overspend": "suspend_funding",
        "fraud": "rectify",
        "silent": "terminate",
        "no_data": "rectify",
        "low_execution": "rectify",
        "self_funds_gap": "rectify",
        "declining": "rolling_support",
    }
    dec = np.array([per_arch[a] for a in ARCH_NAMES], dtype=object)[P["arch"]]
    frames = []
    for y in (2017, 2018):
        a_day = _d(f"{y}-12-31")
        reviewed = (P["start"] <= a_day) & (P["end"] >= _d(f"{y}-01-01"))
        pick = np.nonzero(reviewed & (rng.random(len(pid)) < 0.5))[0]
        d = np.where(P["end"][pick] <= a_day, "acceptance_review", dec[pick])
        d = np.where(P["veto_year"][pick] == y, "terminate", d)
        frames.append(
            pl.DataFrame(
                {
                    "project_id": pid.gather(pick),
                    "review_year": pl.Series(np.full(len(pick), y, dtype=np.int32)),
                    "decision": pl.Series(d.tolist(), dtype=pl.String),
                    "decided_date": _dates(np.full(len(pick), _d(f"{y + 1}-03-10")) + rng.integers(0, 30, len(pick))),
                }
            )
        )
    return pl.concat(frames)
