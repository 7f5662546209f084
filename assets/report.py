"""The report layer (group ``report``), partitioned by review year (docs/report.md).

``performance_report`` writes the evaluator's five deliverables for year Y into
``SCORECARD_REPORTS_DIR/Y/`` (HTML, PDF, XLSX, CSV, manifest) and ``dashboards`` the analysts'
Plotly pages beside them. Every number comes from the ``mart`` tables; files are written atomically
and the manifest last, so a failed run never leaves a half-written deliverable.
"""

from pathlib import Path

import dagster as dg
from pydantic import Field

from assets.metadata import counts_md
from assets.yearly import yearly_multi_asset, yearly_spec
from pipelines.partitions import years_of
from pipelines.resources import ScorecardPaths, Warehouse, ensure_schemas, warehouse_lock
from scorecard.manifest import DASHBOARDS  # build_report's dashboard path keys

# docs/programme-management.md §3–§7: the report's programme-management chapters read these
PROGRAMME_MANAGEMENT = [
    "follow_through",
    "portfolio_adjustment",
    "budget_scenario",
    "overall_evaluation",
    "manager_portfolio",
]


class ReportConfig(dg.Config):
    lang: str = Field(
        default="", description="Report language: zh+en (default), zh or en. Empty: SCORECARD_REPORT_LANG."
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "performance_report",
            description="年度绩效评估报告 The yearly performance evaluation: performance-evaluation-Y.html/.pdf/.xlsx, "
            "project-review-Y.csv and manifest-Y.json in SCORECARD_REPORTS_DIR/Y/.",
            deps=[
                "project_review",
                "review_reason",
                "program_summary",
                *PROGRAMME_MANAGEMENT,
                "decision_robustness",
                "review_signal",
            ],
            **yearly_spec("report", "team:evaluation", kinds=("plotly", "pdf", "excel")),
        ),
        dg.AssetSpec(
            "dashboards",
            description="Analyst dashboards (self-contained Plotly pages): portfolio overview, project drill-down, "
            "recommendation board, in SCORECARD_REPORTS_DIR/Y/dashboards/.",
            deps=["project_review", "program_summary", "manager_portfolio", "decision_robustness", "review_signal"],
            **yearly_spec("report", "team:evaluation", kinds=("plotly",)),
        ),
    ],
    **yearly_multi_asset(),
)
def performance_report(
    context: dg.AssetExecutionContext, config: ReportConfig, warehouse: Warehouse, paths: ScorecardPaths
):
    from scorecard.report.build import build_report
    from scorecard.report.parallel import build_reports

    lang = config.lang or paths.report_lang
    years = years_of(context)
    with warehouse.get_connection() as con:
        ensure_schemas(con)
        if len(years) == 1:
            results = {years[0]: build_report(con, years[0], paths.reports, lang=lang, rubric_path=Path(paths.rubric))}
    if len(years) > 1:
        # Several years (a backfill, `scorecard run`): built side by side in worker processes that read
        # the warehouse while this step still holds its lock (docs/report.md).
        with warehouse_lock(warehouse.database):
            results = build_reports(warehouse.database, years, paths.reports, lang, Path(paths.rubric))
    report_meta: dict = {}
    dash_meta: dict = {}
    for year, r in results.items():
        # build_report's paths: html, pdf, xlsx, csv, manifest, and the dashboards portfolio,
        # projects, recommendations (docs/manifest.md).
        for kind, path in r["paths"].items():
            target = dash_meta if kind in DASHBOARDS else report_meta
            target[f"{year} {kind}"] = dg.MetadataValue.path(str(path))
        summary = r["summary"]
        report_meta[f"{year} grades"] = counts_md(summary["grades"], ("grade", "projects"))
        report_meta[f"{year} recommendations"] = counts_md(summary["recommendations"], ("recommendation", "projects"))
        report_meta[f"{year} seconds"] = r["timings"]["total"]
        # where the time went (context, html, xlsx, csv, dashboards, chart images, pdf): docs/report.md
        report_meta[f"{year} timings"] = dg.MetadataValue.json(r["timings"])
    yield dg.MaterializeResult(asset_key="performance_report", metadata=report_meta)
    yield dg.MaterializeResult(asset_key="dashboards", metadata=dash_meta)


report_assets = [performance_report]
