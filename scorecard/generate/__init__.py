"""Deterministic programme data generator (docs/data-contract.md dataset family, approval years 2017–2019).

``generate(out_dir, projects, seed, fmt, messy)`` writes projects, milestones, disbursements,
progress_reports, kpi_targets, kpi_actuals, expert_reviews and review_decisions and returns a
summary dict. Same arguments → byte-identical files (no timestamps anywhere).

* Clean/scale mode (``messy=False``): one CSV (or Parquet) per dataset, English headers, ISO
  dates, codes; generated in chunks of ``CHUNK`` projects with numpy/polars and appended, so
  memory stays flat at any size. Every row is clean under docs/data-contract.md.
* Bundled mode (``messy=True``): the committed ``data/raw`` sample — realistic government-export
  mess (XLSX with title rows, GBK, BOM, Chinese headers and labels, mixed date styles, thousands
  separators) plus a few genuinely bad rows, listed in the summary. Behaviour archetypes make
  every grade, flag and recommendation of docs/scoring.md appear in the 2018 and 2019 reviews; an
  independent reading of docs/scoring.md (``oracle.py``) picks the
  recorded review decisions and reports the expected review outcomes in the summary.

Modules: ``model`` (archetypes, vocabulary), ``simulation``, ``oracle``, ``bundle``, ``messy``
(the bundle's files), ``scale`` (clean CSV/Parquet), ``summary``. See docs/data.md.
"""

from __future__ import annotations

from pathlib import Path

from scorecard.generate.messy import _generate_messy
from scorecard.generate.scale import _generate_clean
from scorecard.generate.summary import write_summary

__all__ = ["generate", "write_summary"]


def generate(out_dir: Path, projects: int = 450, seed: int = 2017, fmt: str = "csv", messy: bool = False) -> dict:
    """Write the docs/data-contract.md dataset family into ``out_dir`` and return the summary.

    Deterministic for a given (projects, seed, fmt, messy). ``messy=True`` writes the bundled
    sample's mixed formats (``fmt`` is then ignored); otherwise one ``fmt`` file ("csv" or
    "parquet") per dataset, streamed in chunks.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"unknown format {fmt!r}: use 'csv' or 'parquet'")
    if projects < 1:
        raise ValueError("projects must be at least 1")
    if messy:
        return _generate_messy(out_dir, projects, seed)
    return _generate_clean(out_dir, projects, seed, fmt)
