"""The scale writer: clean CSV or Parquet streamed in chunks of ``CHUNK`` projects (flat memory)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import polars as pl

from scorecard.generate.model import CHUNK, DATASET_NAMES, PLAN_CODES, YEARS
from scorecard.generate.simulation import _archetype_decisions, _sample_projects, _simulate
from scorecard.generate.summary import _add_net, _summary


# ================================================================ clean / scale mode
def _clean_chunk(seed: int, chunk: int, seq0: int, n: int) -> dict[str, pl.DataFrame]:
    rng = np.random.default_rng([seed, chunk])
    P = _sample_projects(rng, n)
    P["seq"] = np.arange(seq0, seq0 + n)
    pid = "SZ" + pl.Series(P["year"]).cast(pl.String) + "-" + pl.Series(P["seq"]).cast(pl.String).str.zfill(7)
    out = _simulate(rng, P, pid)
    out["review_decisions"] = _archetype_decisions(rng, P, pid)
    return out


def _generate_clean(out_dir: Path, projects: int, seed: int, fmt: str) -> dict:
    """Stream chunks of CHUNK projects into one file per dataset (CSV or Parquet)."""
    ext = {"csv": "csv", "parquet": "parquet"}[fmt]
    paths = {name: out_dir / f"{name}.{ext}" for name in DATASET_NAMES}
    rows = {name: 0 for name in DATASET_NAMES}
    plan_counts = {p: 0 for p in PLAN_CODES}
    year_counts = {str(y): 0 for y in YEARS}
    net = {}
    writers: dict = {}
    handles: dict = {}
    with contextlib.ExitStack() as files:
        for chunk, seq0 in enumerate(range(0, projects, CHUNK)):
            n = min(CHUNK, projects - seq0)
            frames = _clean_chunk(seed, chunk, seq0 + 1, n)
            for name in DATASET_NAMES:
                df = frames[name]
                rows[name] += df.height
                if fmt == "csv":
                    if name not in handles:
                        handles[name] = files.enter_context(open(paths[name], "wb"))
                    df.write_csv(handles[name], include_header=chunk == 0, float_precision=None)
                else:
                    import pyarrow.parquet as pq

                    table = df.to_arrow()
                    if name not in writers:
                        writers[name] = files.enter_context(
                            pq.ParquetWriter(paths[name], table.schema, compression="zstd")
                        )
                    writers[name].write_table(table)
            for p, c in frames["projects"].group_by("plan").len().iter_rows():
                plan_counts[p] += c
            for y, c in frames["projects"].group_by("approval_year").len().iter_rows():
                year_counts[str(y)] += c
            _add_net(net, frames["disbursements"])
    datasets = {
        name: {
            "files": {paths[name].name: rows[name]},
            "rows": rows[name],
            "clean": rows[name],
            "quarantined": 0,
            "quarantine": [],
        }
        for name in DATASET_NAMES
    }
    return _summary(projects, seed, fmt, False, datasets, plan_counts, year_counts, net)
