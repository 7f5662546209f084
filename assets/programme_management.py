"""Programme management (group ``programme_management``), partitioned by review year
(docs/programme-management.md §3–§7).

Five assets, one per analysis of ``scorecard.programme_management``: follow-through, portfolio
adjustment, the budget what-if (a scenario), the overall evaluation's cohort table and the project
managers' portfolios. Each reads the review's marts (never a fact), writes its own mart table for the
run's years, and reports its row count and a markdown preview. Each carries a read-only Great
Expectations check (``expectations``, rules in scorecard/quality/programme_rules.yaml) that validates
the table and writes nothing. None of them changes an official score.
"""

import dagster as dg

from assets.metadata import counts_md, markdown_table
from assets.yearly import yearly_asset
from pipelines.partitions import years_of
from pipelines.resources import ScorecardPaths, Warehouse, ensure_schemas

GROUP = "programme_management"
MEASURED = ["project_review", "review_measure"]

# asset name -> (step of scorecard.programme_management, mart table, deps, description, preview SQL)
ANALYSES: dict[str, tuple[str, str, list[str], str, str]] = {
    "follow_through": (
        "follow_through",
        "follow_through",
        MEASURED,
        (
            "整改跟踪 mart.follow_through: every project that was to rectify, had its funding suspended or was a potential "
            "problem project last year, and its outcome this year — resolved, persisting, escalated, closing or not "
            "reviewed (docs/programme-management.md §3)."
        ),
        (
            "SELECT outcome, count(*) AS projects FROM mart.follow_through WHERE review_year IN (SELECT unnest($years)) "
            "GROUP BY outcome ORDER BY projects DESC, outcome"
        ),
    ),
    "portfolio_adjustment": (
        "adjustment",
        "portfolio_adjustment",
        MEASURED,
        (
            "动态调整 mart.portfolio_adjustment: per field and plan, the mean score, share A or B, share to terminate, "
            "problem share, fund execution and the suggestion (too_few, shrink, adjust, expand, maintain) with its reason "
            "in Chinese and English; thresholds in the rubric's adjustment: section (docs/programme-management.md §4)."
        ),
        (
            "SELECT review_year, level, code, projects, round(mean_score, 2) AS mean_score, suggestion "
            "FROM mart.portfolio_adjustment WHERE review_year IN (SELECT unnest($years)) ORDER BY review_year, level, code"
        ),
    ),
    "budget_scenario": (
        "budget",
        "budget_scenario",
        [*MEASURED, "portfolio_adjustment"],
        (
            "资金调整测算 mart.budget_scenario — A SCENARIO, never an official figure: the money the terminations release "
            "and the suspensions hold per field, and the released total reallocated pro rata to the fields to expand "
            "(else to maintain) or left unallocated (docs/programme-management.md §5)."
        ),
        (
            "SELECT review_year, scenario, coalesce(field, '(未分配 unallocated)') AS field, released_wan, held_wan, "
            "reallocated_wan, basis FROM mart.budget_scenario WHERE review_year IN (SELECT unnest($years)) "
            "ORDER BY review_year, field NULLS LAST"
        ),
    ),
    "overall_evaluation": (
        "cohort",
        "programme_cohort",
        [*MEASURED, "program_summary"],
        (
            "总体评估 mart.programme_cohort: every project reviewed up to the year by approval year and latest status "
            "(terminated, accepted, active by latest grade) — the cohort table of the overall evaluation, a chapter of the "
            "report of the programme's last year and later (docs/programme-management.md §6)."
        ),
        (
            "SELECT review_year, approval_year, latest_status, projects, approved_wan FROM mart.programme_cohort "
            "WHERE review_year IN (SELECT unnest($years)) ORDER BY review_year, approval_year, latest_status"
        ),
    ),
    "manager_portfolio": (
        "managers",
        "manager_portfolio",
        [*MEASURED, "review_signal"],  # counts the year's signals (docs/analytics.md §2)
        (
            "项目经理人 mart.manager_portfolio: per project manager ((未指定) when none) the projects of the year, the count "
            "per grade, flagged and problem projects, signals and overdue milestones (docs/programme-management.md §7)."
        ),
        (
            "SELECT review_year, project_manager, projects, flagged, problem_projects, signals, overdue_milestones "
            "FROM mart.manager_portfolio WHERE review_year IN (SELECT unnest($years)) "
            "ORDER BY problem_projects DESC, flagged DESC, project_manager"
        ),
    ),
}


def _headline(con, table: str, years: list[int]) -> dict:
    """A few numbers per analysis for the asset page (the figures the report quotes)."""
    p = {"years": years}
    if table == "follow_through":
        rows = con.sql(
            "SELECT count(*), count(*) FILTER (WHERE outcome = 'resolved') FROM mart.follow_through "
            "WHERE review_year IN (SELECT unnest($years))",
            params=p,
        ).fetchall()[0]
        return {
            "followed": rows[0],
            "resolved": rows[1],
            "share_resolved": round(rows[1] / rows[0], 4) if rows[0] else None,
        }
    if table == "portfolio_adjustment":
        counts = dict(
            con.sql(
                "SELECT suggestion, count(*) FROM mart.portfolio_adjustment WHERE review_year IN (SELECT unnest($years)) "
                "AND level = 'field' GROUP BY 1 ORDER BY 1",
                params=p,
            ).fetchall()
        )
        return {"field_suggestions": counts_md(counts, ("suggestion", "fields"))}
    if table == "budget_scenario":
        released, reallocated = con.sql(
            "SELECT coalesce(sum(released_wan), 0), coalesce(sum(reallocated_wan), 0) FROM mart.budget_scenario "
            "WHERE review_year IN (SELECT unnest($years))",
            params=p,
        ).fetchall()[0]
        return {
            "scenario": "what_if (测算, not an official figure)",
            "released_wan": float(released),
            "reallocated_wan": float(reallocated),
        }
    return {}


def _analysis_asset(name: str) -> dg.AssetsDefinition:
    step, table, deps, description, preview_sql = ANALYSES[name]

    @dg.asset(
        name=name,
        deps=deps,
        description=description,
        **yearly_asset(GROUP, "team:evaluation"),
        check_specs=[
            dg.AssetCheckSpec(
                "expectations",
                asset=name,
                blocking=True,
                description=f"Great Expectations rules of mart.{table} (scorecard/quality/programme_rules.yaml); "
                "read-only: validates the year's rows and writes nothing.",
            )
        ],
    )
    def _asset(context: dg.AssetExecutionContext, warehouse: Warehouse, paths: ScorecardPaths):
        from scorecard.programme_management import run_step, validate_years
        from scorecard.rubric import load_rubric

        rubric = load_rubric(paths.rubric)
        years = years_of(context)
        with warehouse.get_connection() as con:
            ensure_schemas(con)
            rows = {year: run_step(con, step, year, rubric) for year in years}
            preview = con.sql(preview_sql, params={"years": years}).pl()
            headline = _headline(con, table, years)
            result = validate_years(con, table, years, rubric)
        yield dg.MaterializeResult(
            metadata={
                "dagster/row_count": sum(rows.values()),
                "review_years": ", ".join(map(str, years)),
                "rows_per_year": dg.MetadataValue.json({str(y): n for y, n in rows.items()}),
                "table": f"mart.{table}",
                "preview": markdown_table(preview, limit=20),
                **headline,
            }
        )
        yield _check_result(name, result)

    return _asset


def _check_result(name: str, result) -> dg.AssetCheckResult:
    failed = result.failed
    return dg.AssetCheckResult(
        check_name="expectations",
        asset_key=name,
        passed=result.success,
        metadata={
            "expectations_run": len(result.results),
            "expectations_failed": len(failed),
            "failed": dg.MetadataValue.md(
                "\n".join(
                    f"- {r.name} ({r.column or ''}): {r.unexpected_count} unexpected, e.g. {r.examples[:3]}"
                    for r in failed
                )
                or "_(none)_"
            ),
            "rows_validated": dg.MetadataValue.json(result.frame_rows),
        },
    )


programme_management_assets = [_analysis_asset(name) for name in ANALYSES]
