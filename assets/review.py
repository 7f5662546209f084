"""The review layer (group ``review``), partitioned by review year (docs/scoring.md).

``project_review`` scores every project reviewed in year Y into ``mart.project_review`` and explains
it in ``mart.review_reason``; year Y reads year Y−1 of itself (previous grade, recommendation,
termination history), so years run in order, also inside a single-run backfill. ``program_summary``
aggregates a year per field, plan, department and support mode and measures the programme targets.

A rubric selector (run config) scores with an alternative rubric file into a separate schema, so an
analyst can try a change without touching the official scores in ``mart``.
"""

from pathlib import Path

import dagster as dg
from pydantic import Field

from assets.metadata import counts_md, markdown_table
from assets.yearly import yearly_asset, yearly_multi_asset, yearly_spec
from pipelines.partitions import previous_year, years_of
from pipelines.resources import ScorecardPaths, Warehouse, ensure_schemas
from scorecard.db import identifier
from scorecard.warehouse import tables_read_by

# the warehouse tables the review SQL (sql/review/*.sql) reads, from the one table registry
FACTS = tables_read_by("review")


class RubricSelection(dg.Config):
    """Which rubric scores this run, and where the scores go."""

    rubric: str = Field(
        default="",
        description="Path of a rubric YAML file. Empty: the official rubric (SCORECARD_RUBRIC) into schema `mart`.",
    )
    target_schema: str = Field(
        default="",
        description="Schema to write into. Empty: `mart` for the official rubric, `whatif_<version>_<sha256[:8]>` for another one.",
    )


def resolve_rubric(config: RubricSelection, paths: ScorecardPaths):
    """(rubric, schema): an alternative rubric never writes the official `mart` schema."""
    from scorecard.rubric import load_rubric

    official = Path(paths.rubric).resolve()
    chosen = Path(config.rubric).resolve() if config.rubric else official
    rubric = load_rubric(chosen)
    if chosen == official:
        schema = config.target_schema or "mart"
    else:
        # named by version and hash: two rubric files with one version string never share a schema
        version = "".join(ch if ch.isalnum() else "_" for ch in rubric.version.lower())[:40]
        schema = config.target_schema or f"whatif_{version}_{rubric.sha256[:8]}"
        if schema == "mart":
            raise dg.Failure(
                f"rubric {chosen} is not the official rubric ({official}); it cannot write the official schema 'mart'"
            )
    return rubric, identifier(schema)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "project_review",
            description="mart.project_review: one row per reviewed project and review year — measured values, points, "
            "coverage, total score, grade, flags, recommendation, clawback, earned value (docs/scoring.md §1–§7).",
            deps=[*FACTS, dg.AssetDep("project_review", partition_mapping=previous_year)],
            **yearly_spec("review", "team:evaluation"),
        ),
        dg.AssetSpec(
            "review_measure",
            description="What the review measured at the as-of date, written once: mart.review_measure (money at A, "
            "milestone and KPI counts, expert panel, each leaf's share achieved), mart.review_milestone, mart.review_kpi, "
            "mart.review_timeline (money over time) and mart.disbursement_by_year (the programme's money per calendar "
            "year). Summaries, reports, dashboards and analyses read these, never the facts.",
            deps=["project_review"],
            **yearly_spec("review", "team:evaluation"),
        ),
        dg.AssetSpec(
            "review_reason",
            description="mart.review_reason: the rule behind every grade, flag and recommendation, in Chinese and English, "
            "with the numbers behind it.",
            deps=["project_review"],
            **yearly_spec("review", "team:evaluation"),
        ),
    ],
    **yearly_multi_asset(),
    check_specs=[
        dg.AssetCheckSpec(
            "every_reviewed_project_scored",
            asset="project_review",
            blocking=True,
            description="Every project due for review in the year has exactly one score row; scores within 0–100.",
        ),
        dg.AssetCheckSpec(
            "later_years_current",
            asset="project_review",
            description="No later review year is built on an older scoring of this one (docs/scoring.md §10). "
            "Fails (warning) after a rescore until the later years are materialized again, in order.",
        ),
    ],
)
def project_review(
    context: dg.AssetExecutionContext, config: RubricSelection, warehouse: Warehouse, paths: ScorecardPaths
):
    from scorecard.review import score_year
    from scorecard.review_checks import check_year

    rubric, schema = resolve_rubric(config, paths)
    results, checks = {}, []
    with warehouse.get_connection() as con:
        ensure_schemas(con)
        for year in years_of(context):
            context.log.info(f"scoring review year {year} with rubric {rubric.version} into {schema}")
            results[year] = score_year(con, year, rubric, schema=schema)
            if results[year]["history_scored"]:
                context.log.warning(
                    f"review year {year}: the earlier years {results[year]['history_scored']} had not been scored into "
                    f"{schema}; scored them first, in order, so {year} stands on its whole history"
                )
            checks.append(check_year(con, year, schema=schema))
        stale = results[max(results)]["stale_years"] if results else []
        if stale:
            context.log.warning(
                f"later review years now stale (built on an older scoring): {stale}; materialize them again"
            )
        years = sorted(results)
        top = _ten(con, schema, years, "total_score DESC NULLS LAST")
        bottom = _ten(con, schema, years, "total_score ASC NULLS FIRST")
    grades: dict[str, int] = {}
    recs: dict[str, int] = {}
    for r in results.values():
        for k, v in r["grades"].items():
            grades[k] = grades.get(k, 0) + v
        for k, v in r["recommendations"].items():
            recs[k] = recs.get(k, 0) + v
    rows = sum(r["rows"] for r in results.values())
    reasons = sum(r.get("reasons", 0) for r in results.values())
    passed = all(c["passed"] for c in checks)
    yield dg.MaterializeResult(
        asset_key="project_review",
        metadata={
            "dagster/row_count": rows,
            "review_years": ", ".join(map(str, years)),
            "schema": schema,
            "rubric_version": rubric.version,
            "rubric_sha256": rubric.sha256,
            "history_scored": ", ".join(str(y) for r in results.values() for y in r["history_scored"]) or "none",
            "stale_later_years": ", ".join(map(str, stale)) or "none",
            "grades": counts_md(grades, ("grade", "projects")),
            "recommendations": counts_md(recs, ("recommendation", "projects")),
            "top_projects": markdown_table(top),
            "bottom_projects": markdown_table(bottom),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="every_reviewed_project_scored",
                asset_key="project_review",
                passed=passed,
                metadata={k: v for c in checks for k, v in c.items() if k != "passed"},
            ),
            dg.AssetCheckResult(
                check_name="later_years_current",
                asset_key="project_review",
                passed=not stale,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"stale_years": ", ".join(map(str, stale)) or "none"},
            ),
        ],
    )
    yield dg.MaterializeResult(asset_key="review_reason", metadata={"dagster/row_count": reasons})
    yield dg.MaterializeResult(asset_key="review_measure", metadata=measured_counts(warehouse, schema, years))


def measured_counts(warehouse: Warehouse, schema: str, years: list[int]) -> dict:
    """Rows of each measured-values mart for the run's years (the review_measure asset's metadata)."""
    tables = ("review_measure", "review_milestone", "review_kpi", "review_timeline", "disbursement_by_year")
    with warehouse.get_connection() as con:
        counts = {
            t: con.sql(
                f"SELECT count(*) FROM {schema}.{t} WHERE review_year IN (SELECT unnest($years))",
                params={"years": years},
            ).fetchall()[0][0]
            for t in tables
        }
    return {"dagster/row_count": counts["review_measure"], **{f"rows_{t}": n for t, n in counts.items()}}


def _ten(con, schema: str, years: list[int], order: str):
    """Ten scored projects of the years, in ``order`` (then by project): the top and bottom previews."""
    return con.sql(
        f"""SELECT review_year, project_id, total_score, grade, recommendation, flags
            FROM {schema}.project_review WHERE review_year IN (SELECT unnest($years))
            ORDER BY {order}, project_id LIMIT 10""",
        params={"years": years},
    ).pl()


@dg.asset(
    # the scores and what the review measured (sql/summary/*.sql reads marts and dims only)
    deps=["project_review", "review_measure", *tables_read_by("summary")],
    **yearly_asset("review", "team:evaluation"),
    description="mart.program_summary, mart.program_target: the year per field, plan, department and support mode, "
    "and the programme targets (programme file) met or not — from what the review measured (review_measure), never the facts.",
)
def program_summary(
    context: dg.AssetExecutionContext, config: RubricSelection, warehouse: Warehouse, paths: ScorecardPaths
) -> dg.MaterializeResult:
    from scorecard.review import summarize_year

    rubric, schema = resolve_rubric(config, paths)
    with warehouse.get_connection() as con:
        ensure_schemas(con)
        for year in years_of(context):
            summarize_year(con, year, rubric, schema=schema)
        years = years_of(context)
        overall = con.sql(
            f"""SELECT review_year, projects, grade_a, grade_b, grade_c, grade_d, grade_insufficient,
                       round(mean_score, 2) AS mean_score, net_disbursed_wan, problem_projects
                FROM {schema}.program_summary
                WHERE dimension = 'all' AND review_year IN (SELECT unnest($years)) ORDER BY review_year""",
            params={"years": years},
        ).pl()
        targets = con.sql(
            f"""SELECT review_year, target, name_zh, measured, comparator, threshold, met
                FROM {schema}.program_target WHERE review_year IN (SELECT unnest($years))
                ORDER BY review_year, target""",
            params={"years": years},
        ).pl()
        rows = con.sql(
            f"SELECT count(*) FROM {schema}.program_summary WHERE review_year IN (SELECT unnest($years))",
            params={"years": years},
        ).fetchall()[0][0]
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "programme": markdown_table(overall),
            "targets": markdown_table(targets, limit=30),
        }
    )


review_assets = [project_review, program_summary]
