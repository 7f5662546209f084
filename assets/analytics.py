"""The evaluator's analyses beyond the rubric (group ``review``), partitioned by review year like the review
(docs/analytics.md). Neither changes an official score, grade or recommendation.

* ``decision_sensitivity`` / ``decision_robustness`` (§1): every decision re-scored under the one-at-a-time
  and random rubrics of the rubric's ``sensitivity:`` section; the metadata previews the fragile decisions.
* ``review_signal`` (§2): the six signals for follow-up of the rubric's ``signals:`` section; the metadata
  counts them by kind and previews them.

Their GX-backed checks (one robustness row per reviewed project; every signal has evidence and both texts)
are suites of ``scorecard/quality/rules.yaml``, attached by ``assets/checks.py``. Both follow the run's rubric
selection: an alternative rubric analyses its own schema, never ``mart``.
"""

import dagster as dg

from assets.metadata import counts_md, markdown_table
from assets.review import RubricSelection, resolve_rubric
from assets.yearly import yearly_asset, yearly_multi_asset, yearly_spec
from pipelines.partitions import years_of
from pipelines.resources import ScorecardPaths, Warehouse, ensure_schemas

REVIEW_INPUTS = ["project_review", "review_measure"]


def _add(total: dict[str, int], counts: dict[str, int]) -> None:
    for key, value in counts.items():
        total[key] = total.get(key, 0) + value


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "decision_sensitivity",
            description="mart.decision_sensitivity: every reviewed project's total score, grade and recommendation "
            "under the official rubric (`base`) and the eight one-at-a-time scenarios `<indicator>±Δ` "
            "(docs/analytics.md §1).",
            deps=REVIEW_INPUTS,
            **yearly_spec("review", "team:evaluation"),
        ),
        dg.AssetSpec(
            "decision_robustness",
            description="mart.decision_robustness: per reviewed project, how far its decision stands — distance to "
            "the nearest band boundary, one-at-a-time scenarios that change it, share of the random rubrics that "
            "keep it, what it flips to, fragile or not (docs/analytics.md §1).",
            deps=["decision_sensitivity"],
            **yearly_spec("review", "team:evaluation"),
        ),
    ],
    **yearly_multi_asset(),
)
def decision_robustness(
    context: dg.AssetExecutionContext, config: RubricSelection, warehouse: Warehouse, paths: ScorecardPaths
):
    from scorecard.analytics import robustness_year

    rubric, schema = resolve_rubric(config, paths)
    years = years_of(context)
    fragile: dict[str, int] = {}
    sensitivity_rows = robustness_rows = 0
    with warehouse.get_connection() as con:
        ensure_schemas(con)
        for year in years:
            result = robustness_year(con, year, rubric, schema=schema)
            context.log.info(
                f"review year {year}: {result['robustness_rows']} decisions re-scored under {result['scenarios']} "
                f"scenarios; {result['fragile_total']} fragile"
            )
            sensitivity_rows += result["sensitivity_rows"]
            robustness_rows += result["robustness_rows"]
            _add(fragile, result["fragile"])
        preview = con.sql(
            f"""SELECT review_year, project_id, recommendation, grade, total_score, margin_points, oat_flips,
                       round(random_share_kept, 3) AS random_share_kept, flip_to
                FROM {schema}.decision_robustness
                WHERE fragile AND review_year IN (SELECT unnest($years))
                ORDER BY list_position(['terminate', 'suspend_funding', 'rectify', 'acceptance_review', 'rolling_support'],
                                       recommendation), abs(margin_points) NULLS LAST, project_id""",
            params={"years": years},
        ).pl()
        per_scenario = con.sql(
            f"""SELECT s.scenario, count(*) FILTER (WHERE s.recommendation <> b.recommendation) AS changed
                FROM {schema}.decision_sensitivity AS s
                JOIN {schema}.decision_sensitivity AS b
                  ON b.project_id = s.project_id AND b.review_year = s.review_year AND b.scenario = 'base'
                WHERE s.scenario <> 'base' AND s.review_year IN (SELECT unnest($years))
                GROUP BY s.scenario ORDER BY s.scenario""",
            params={"years": years},
        ).fetchall()
    common = {"review_years": ", ".join(map(str, years)), "schema": schema, "rubric_version": rubric.version}
    yield dg.MaterializeResult(
        asset_key="decision_sensitivity",
        metadata={
            "dagster/row_count": sensitivity_rows,
            **common,
            "decisions_changed_per_scenario": counts_md(dict(per_scenario), ("scenario", "decisions changed")),
        },
    )
    yield dg.MaterializeResult(
        asset_key="decision_robustness",
        metadata={
            "dagster/row_count": robustness_rows,
            **common,
            "delta_points": rubric.sensitivity.delta_points,
            "random_rubrics": rubric.sensitivity.random_rubrics,
            "seed": rubric.sensitivity.seed,
            "fragile_share": rubric.sensitivity.fragile_share,
            "fragile_decisions": sum(fragile.values()),
            "fragile_by_recommendation": counts_md(fragile, ("recommendation", "fragile")),
            "fragile_preview": markdown_table(preview, limit=20),
        },
    )


@dg.asset(
    deps=REVIEW_INPUTS,
    **yearly_asset("review", "team:evaluation"),
    description="mart.review_signal: signals for follow-up the rubric does not see — year-end spending rush, one "
    "result claimed by several projects, copied progress summaries, a split expert panel, payment without progress, "
    "an undertaker with several problem projects — each with its evidence and a Chinese and English text "
    "(docs/analytics.md §2).",
)
def review_signal(
    context: dg.AssetExecutionContext, config: RubricSelection, warehouse: Warehouse, paths: ScorecardPaths
) -> dg.MaterializeResult:
    from scorecard.analytics import signals_year
    from scorecard.codes import SIGNALS

    rubric, schema = resolve_rubric(config, paths)
    years = years_of(context)
    by_kind = dict.fromkeys(SIGNALS, 0)
    rows = 0
    with warehouse.get_connection() as con:
        ensure_schemas(con)
        for year in years:
            result = signals_year(con, year, rubric, schema=schema)
            context.log.info(f"review year {year}: {result['rows']} signals for {result['projects']} projects")
            rows += result["rows"]
            _add(by_kind, result["signals"])
        preview = con.sql(
            f"""SELECT review_year, signal, project_id, text_zh
                FROM {schema}.review_signal WHERE review_year IN (SELECT unnest($years))
                QUALIFY row_number() OVER (PARTITION BY review_year, signal ORDER BY project_id) <= 3
                ORDER BY review_year, signal, project_id""",
            params={"years": years},
        ).pl()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "review_years": ", ".join(map(str, years)),
            "schema": schema,
            "rubric_version": rubric.version,
            "signals_by_kind": counts_md({f"{k} {SIGNALS[k][0]}": v for k, v in by_kind.items()}, ("signal", "rows")),
            "signals_preview": markdown_table(preview, limit=30),
        }
    )


analytics_assets = [decision_robustness, review_signal]
