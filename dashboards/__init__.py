"""Analysts' dashboards (docs/report.md "Dashboards"); the pages are built in ``dashboards.pages``.

Import ``dashboards.pages`` (not this package's names) from code that may run where the package is
resolved as a namespace (an editable install made before this file existed)."""

from dashboards.pages import BOARD_CAP, DRILLDOWN_CAP, build_dashboards, portfolio, projects, recommendations

__all__ = ["BOARD_CAP", "DRILLDOWN_CAP", "build_dashboards", "portfolio", "projects", "recommendations"]
