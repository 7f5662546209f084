"""Settings in one place (docs/architecture.md principle 6).

Every location the platform uses comes from a ``SCORECARD_*`` environment variable with a default
relative to the project root. The Dagster resources and the CLI both read them from here, so the UI
and ``scorecard run`` always agree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SQL_DIR = PROJECT_ROOT / "sql"
DEFAULT_RUBRIC = PROJECT_ROOT / "rubrics" / "rubric-v1.yaml"
DEFAULT_PROGRAMME = PROJECT_ROOT / "programmes" / "shenzhen-2017.yaml"


def _path(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class Settings:
    raw_dir: Path
    warehouse: Path
    reports_dir: Path
    rubric: Path
    programme: Path
    report_lang: str
    duckdb_threads: int | None
    duckdb_memory_limit: str | None
    feedback_dir: Path | None = None  # SCORECARD_FEEDBACK_DIR; None: `feedback` beside the reports folder


def get_settings() -> Settings:
    """Read the environment now (not at import), so tests and the CLI can change it."""
    threads = os.environ.get("SCORECARD_DUCKDB_THREADS")
    return Settings(
        raw_dir=_path("SCORECARD_RAW_DIR", PROJECT_ROOT / "data" / "raw"),
        warehouse=_path("SCORECARD_WAREHOUSE", PROJECT_ROOT / "data" / "warehouse" / "scorecard.duckdb"),
        reports_dir=_path("SCORECARD_REPORTS_DIR", PROJECT_ROOT / "data" / "reports"),
        rubric=_path("SCORECARD_RUBRIC", DEFAULT_RUBRIC),
        programme=_path("SCORECARD_PROGRAMME", DEFAULT_PROGRAMME),
        report_lang=os.environ.get("SCORECARD_REPORT_LANG", "zh+en"),
        duckdb_threads=int(threads) if threads else None,
        duckdb_memory_limit=os.environ.get("SCORECARD_DUCKDB_MEMORY_LIMIT") or None,
        feedback_dir=_path("SCORECARD_FEEDBACK_DIR", None),  # type: ignore[arg-type]
    )
