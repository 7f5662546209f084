"""The Dagster resources of a test run, built in one place: a warehouse file and the folders.

Every test that materializes assets gets its ``warehouse`` and ``paths`` resources from
:func:`pipeline_resources`, so a new resource or setting is added once, here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from scorecard.settings import DEFAULT_RUBRIC


def pipeline_resources(raw: Path, warehouse: Path, reports: Path, rubric: Path | str = DEFAULT_RUBRIC) -> dict:
    """``{"warehouse": Warehouse(warehouse), "paths": ScorecardPaths(raw, reports, rubric)}``."""
    from pipelines.resources import Warehouse

    return {
        "warehouse": Warehouse(database=str(warehouse)),
        "paths": scorecard_paths(raw, reports, rubric),
    }


def scorecard_paths(raw: Path, reports: Path, rubric: Path | str = DEFAULT_RUBRIC):
    """The ``paths`` resource alone (a sensor or a rubric selection needs no warehouse)."""
    from pipelines.resources import ScorecardPaths

    return ScorecardPaths(raw_dir=str(raw), reports_dir=str(reports), rubric=str(rubric))


def generated_raw(tmp_path_factory, name: str, seed: int, projects: int = 40) -> tuple[Path, Path]:
    """(a fresh temp folder, its ``raw`` folder holding ``projects`` generated clean projects)."""
    from scorecard.generate import generate

    root = tmp_path_factory.mktemp(name)
    generate(root / "raw", projects=projects, seed=seed, messy=False)
    return root, root / "raw"


@contextmanager
def raw_warehouse(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a new DuckDB file holding the empty raw tables (closed afterwards)."""
    from scorecard.warehouse import create_raw_tables

    with duckdb.connect(str(path)) as con:
        create_raw_tables(con)
        yield con
