"""The summary every mode returns: files, rows, quarantine list and programme counts."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl


def _add_net(net: dict, disb: pl.DataFrame) -> None:
    """Accumulate net disbursement (disbursements - recoveries) per calendar year."""
    g = (
        disb.with_columns(
            pl.col("payment_date").dt.year().alias("y"),
            pl.when(pl.col("kind") == "recovery")
            .then(-pl.col("amount_wan"))
            .otherwise(pl.col("amount_wan"))
            .alias("s"),
        )
        .group_by("y")
        .agg(pl.col("s").sum())
    )
    for y, s in g.iter_rows():
        net[str(y)] = net.get(str(y), 0.0) + s


def _summary(projects, seed, fmt, messy, datasets, plan_counts, year_counts, net, extra=None) -> dict:
    out = {
        "generator": {"projects": projects, "seed": seed, "format": fmt, "messy": messy},
        "datasets": datasets,
        "program": {
            "projects_per_plan": dict(sorted(plan_counts.items())),
            "projects_per_approval_year": year_counts,
            "net_disbursement_per_year_wan": {y: round(v, 1) for y, v in sorted(net.items())},
        },
    }
    if extra:
        out.update(extra)
    return out


def _count(values) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items()))


def write_summary(summary: dict, path: Path) -> None:
    """Pretty, sorted, deterministic JSON (data/bundle-summary.json)."""
    Path(path).write_text(json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
