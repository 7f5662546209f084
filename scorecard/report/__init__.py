"""The yearly performance evaluation report (REPORT.md): HTML, PDF, XLSX, CSV and manifest."""

from scorecard.report.build import build_report

__all__ = ["build_report"]
