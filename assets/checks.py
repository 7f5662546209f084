"""Great Expectations suites as Dagster asset checks (issue 4).

Every suite of ``scorecard.quality.suites`` (one per raw dataset, warehouse fact and mart table)
becomes up to two checks on its asset:

* ``expectations`` — the ERROR rules (contract, structure, cross-table integrity), ``blocking=True``:
  when one fails, the assets downstream of the checked asset do not run in that run, so scoring
  never runs on broken data;
* ``soft_expectations`` — the WARN rules (a cumulative value that decreases, a late report): the
  result is ``AssetCheckSeverity.WARN`` and the run goes on.

A check queries its frames from the warehouse, validates them with GX 1.x (imported lazily by the
runner, never when the definitions load), appends one row per expectation to the ledger
``mart.data_quality`` through the ``warehouse`` resource, and reports run / passed / failed and, per
failed expectation, the unexpected count and up to 10 examples. That append is the checks' only
write, and it is declared: the ledger is the asset ``data_quality`` (assets/quality.py), downstream
of every asset it records. A mart check validates the schema the checked asset wrote in this run
(a what-if rubric's ``whatif_<version>_<sha8>``, whose checks go to that schema's own ledger).
"""

import json

import dagster as dg

from pipelines.partitions import review_years, years_of
from pipelines.resources import WRITER_POOL, ScorecardPaths, Warehouse
from scorecard.quality.suites import ERROR, WARN, Suite, all_suites

CHECK_NAMES = {ERROR: "expectations", WARN: "soft_expectations"}


def _asset_key(suite: Suite) -> dg.AssetKey:
    return dg.AssetKey(list(suite.asset))


def _description(suite: Suite, severity: str) -> str:
    rules = suite.by_severity(severity)
    kind = (
        "Blocking (ERROR): contract and structural rules; a failure stops the downstream assets."
        if severity == ERROR
        else "Soft rules (WARN): recorded in mart.data_quality; the run goes on."
    )
    names = sorted({r.key for r in rules})
    shown = ", ".join(names[:12]) + (f", … ({len(names)} rules)" if len(names) > 12 else "")
    return f"{suite.description or suite.name}. {kind} GX rules: {shown}."


def _failed_markdown(failed) -> dg.MarkdownMetadataValue:
    if not failed:
        return dg.MetadataValue.md("_(none)_")
    lines = ["| rule | column | severity | unexpected | of rows | examples |", "|---|---|---|---:|---:|---|"]
    for r in failed:
        ex = r.error or json.dumps(r.examples[:3], ensure_ascii=False, default=str)
        ex = ex.replace("|", "\\|").replace("\n", " ")[:200]
        lines.append(
            f"| {r.name} | {r.column or ''} | {r.severity} | {r.unexpected_count if r.unexpected_count is not None else ''} "
            f"| {r.element_count if r.element_count is not None else ''} | {ex} |"
        )
    return dg.MetadataValue.md("\n".join(lines))


def check_metadata(results) -> dict:
    """Metadata of a check: counts, and per failed expectation its unexpected count and ≤ 10 examples."""
    run = [r for res in results for r in res.results]
    failed = [r for r in run if not r.success]
    meta: dict = {
        "expectations_run": len(run),
        "expectations_passed": len(run) - len(failed),
        "expectations_failed": len(failed),
        "failed": _failed_markdown(failed),
        "failed_expectations": dg.MetadataValue.json(
            {
                f"{res.suite}:{r.key}": {
                    "unexpected_count": r.unexpected_count,
                    "element_count": r.element_count,
                    "examples": r.examples[:10],
                    **({"error": r.error} if r.error else {}),
                }
                for res in results
                for r in res.results
                if not r.success
            }
        ),
        "rows_validated": dg.MetadataValue.json({res.suite: res.frame_rows for res in results}),
        "seconds": round(sum(res.seconds for res in results), 3),
    }
    return meta


def review_under_check(context: dg.AssetCheckExecutionContext, paths: ScorecardPaths, suite: Suite) -> tuple[dict, str]:
    """(rubric parameters, schema) of the review a mart check validates: the rubric selection of the
    checked asset in this run's config (a what-if rubric scores into ``whatif_<version>_<sha8>``, and
    that schema is validated, with that rubric's bands), else the official rubric and ``mart``."""
    from assets.review import RubricSelection, resolve_rubric

    ops = context.run.run_config.get("ops") or {}
    selection = RubricSelection(**((ops.get(suite.asset[-1]) or {}).get("config") or {}))
    rubric, schema = resolve_rubric(selection, paths)
    return rubric.params(), schema


def suite_check(suite: Suite, severity: str) -> dg.AssetChecksDefinition:
    """The Dagster asset check running `suite`'s rules of one severity."""
    check_name = CHECK_NAMES[severity]

    @dg.asset_check(
        asset=_asset_key(suite),
        name=check_name,
        blocking=severity == ERROR,
        description=_description(suite, severity),
        pool=WRITER_POOL,
        partitions_def=review_years if suite.partitioned else None,
        metadata={"suite": suite.name, "severity": severity, "rules": len(suite.by_severity(severity))},
    )
    def _check(
        context: dg.AssetCheckExecutionContext, warehouse: Warehouse, paths: ScorecardPaths
    ) -> dg.AssetCheckResult:
        from scorecard.quality.ledger import ensure_quality_tables, write_ledger
        from scorecard.quality.runner import run_suite

        run_id = context.run.run_id
        results = []
        with warehouse.get_connection() as con:
            ensure_quality_tables(con)
            if suite.partitioned:
                rubric_params, schema = review_under_check(context, paths, suite)
                checked = suite.in_schema(schema)
                for year in years_of(context):
                    res = run_suite(con, checked, severity=severity, params={**rubric_params, "review_years": [year]})
                    write_ledger(con, res, run_id, review_year=year, schema=schema)
                    results.append(res)
            else:
                res = run_suite(con, suite, severity=severity)
                write_ledger(con, res, run_id)
                results.append(res)
        passed = all(res.success for res in results)
        if not passed:
            failed = [f"{r.name}({r.column or ''}): {r.unexpected_count}" for res in results for r in res.failed]
            context.log.warning(f"{suite.name} {check_name}: {len(failed)} failed — " + "; ".join(failed[:10]))
        metadata = check_metadata(results)
        if suite.partitioned:
            metadata["review_years"] = ", ".join(str(y) for y in years_of(context))
        return dg.AssetCheckResult(
            passed=passed,
            severity=dg.AssetCheckSeverity.ERROR if severity == ERROR else dg.AssetCheckSeverity.WARN,
            metadata=metadata,
        )

    return _check


quality_checks: list[dg.AssetChecksDefinition] = [
    suite_check(s, severity) for s in all_suites().values() for severity in s.severities
]
