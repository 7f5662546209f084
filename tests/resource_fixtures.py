"""The Dagster resources of a test run, built in one place: a warehouse file and the folders.

Every test that materializes assets gets its ``warehouse`` and ``paths`` resources from
:func:`pipeline_resources`, so a new resource or setting is added once, here.
"""

from __future__ import annotations

from pathlib import Path

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
