"""The yearly performance evaluation report (docs/report.md): HTML, PDF, XLSX, CSV and manifest.

``build_report`` is imported on first use, so that the report's language helpers
(``scorecard.report.i18n``, also used by the dashboards) load without the whole report writer.
"""

__all__ = ["build_report"]


def __getattr__(name: str):
    if name == "build_report":
        from scorecard.report.build import build_report

        return build_report
    raise AttributeError(f"module 'scorecard.report' has no attribute {name!r}")
