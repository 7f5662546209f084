"""One derivation per datum: summaries, reports and dashboards read marts (and dims for labels), never
the facts; the review writes what it measured, once (docs/architecture.md, docs/scoring.md §2)."""

from __future__ import annotations

import re

from scorecard.settings import PROJECT_ROOT

READERS = ("scorecard/report", "dashboards", "sql/summary")


def test_no_reader_of_the_marts_touches_a_fact_table():
    offenders = []
    for folder in READERS:
        for path in sorted((PROJECT_ROOT / folder).rglob("*")):
            if path.suffix not in {".py", ".sql", ".j2"}:
                continue
            for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if re.search(r"\bfact_[a-z_]+", line):
                    offenders.append(f"{path.relative_to(PROJECT_ROOT)}:{no}: {line.strip()}")
    assert offenders == []


def test_the_as_of_date_has_one_definition():
    """31 December is written once, in scorecard/review.py as_of_date (the SQL binds $as_of)."""
    hits = []
    for folder in ("scorecard", "assets", "pipelines", "dashboards", "sql/review", "sql/summary"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*")):
            if path.suffix not in {".py", ".sql"} or "generate" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            hits += [f"{path.relative_to(PROJECT_ROOT)}" for _ in re.finditer(r"year\)?,\s*12,\s*31\b", text)]
    assert hits == ["scorecard/review.py"]
