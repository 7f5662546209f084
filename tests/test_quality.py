"""Data quality (issue 4): GX suites from the contracts and rules.yaml, run as Dagster asset checks,
with the ledger mart.data_quality.

* every suite passes on a clean generated warehouse, and for every rule of every suite a broken row
  makes exactly that rule fail, with the expected unexpected count and the broken row among the
  examples (the runner on small frames);
* the cross-table rules' SQL frames catch what they are for (net disbursed negative, decreasing
  cumulative values, late reports, grades out of their bands);
* a blocking check failure stops the downstream assets; WARN failures do not stop the run and show
  in mart.data_quality and mart.data_quality_summary;
* the definitions load without importing Great Expectations.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
from resource_fixtures import generated_raw, pipeline_resources  # noqa: I001
from scoring_fixtures import add, build, pay, project, report, scored, warehouse  # noqa: I001

from scorecard.contracts import DATASETS
from scorecard.quality.ledger import summarize_quality, write_ledger
from scorecard.quality.runner import _plain, examples_json, load_frames, run_suite, validate, value_sets
from scorecard.quality.suites import ERROR, WARN, Expectation, all_suites, suite
from scorecard.settings import DEFAULT_RUBRIC, PROJECT_ROOT

YEAR = 2019
DEFAULT_RUBRIC_TEXT = DEFAULT_RUBRIC.read_text(encoding="utf-8")
DATASETS_NAMES = list(DATASETS)


# ----------------------------------------------------------------------------- a clean pipeline run


def _resources(raw: Path, db: Path, tmp: Path) -> dict:
    return pipeline_resources(raw, db, tmp / "reports")


def _graph():
    from assets.analytics import analytics_assets
    from assets.checks import quality_checks
    from assets.quality import quality_assets
    from assets.raw import raw_assets
    from assets.review import review_assets
    from assets.warehouse import star_schema

    return [*raw_assets, star_schema, *review_assets, *analytics_assets, *quality_assets, *quality_checks]


def _materialize(raw: Path, db: Path, tmp: Path, selection=None) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        _graph(),
        resources=_resources(raw, db, tmp),
        partition_key=str(YEAR),
        raise_on_error=False,
        instance=dg.DagsterInstance.ephemeral(),
        selection=selection,
    )


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {f"{e.asset_key.to_user_string()}:{e.check_name}": e for e in result.get_asset_check_evaluations()}


def _materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory):
    """Generated clean data (40 projects), the whole graph with every check for 2019: (raw dir, db, result)."""
    tmp, raw = generated_raw(tmp_path_factory, "quality", seed=11)
    db = tmp / "clean.duckdb"
    result = _materialize(raw, db, tmp)
    return raw, db, result


def test_every_check_passes_on_clean_data_and_fills_the_ledger(clean_run):
    _, db, result = clean_run
    assert result.success
    checks = _checks(result)
    ours = {k: v for k, v in checks.items() if k.endswith(":expectations") or k.endswith(":soft_expectations")}
    expected = {
        f"{'/'.join(s.asset)}:{'expectations' if sev == ERROR else 'soft_expectations'}"
        for s in all_suites().values()
        for sev in s.severities
    }
    assert set(ours) == expected
    for key, ev in ours.items():
        assert ev.passed, (key, ev.metadata["failed"].value)
        assert ev.metadata["expectations_failed"].value == 0
        assert ev.metadata["expectations_run"].value == ev.metadata["expectations_passed"].value > 0
    assert checks["fact_progress:soft_expectations"].severity == dg.AssetCheckSeverity.WARN
    assert {"project_review", "program_summary", "data_quality_summary"} <= _materialized(result)
    with duckdb.connect(str(db), read_only=True) as con:
        ledger = dict(con.sql("SELECT dataset, count(*) FROM mart.data_quality GROUP BY ALL").fetchall())
        assert ledger["raw.projects"] == len(suite("raw.projects").expectations)
        assert ledger[f"mart.project_review@{YEAR}"] == len(suite("mart.project_review").expectations)
        assert con.sql("SELECT count(*) FROM mart.data_quality WHERE NOT success").fetchall()[0][0] == 0
        summary = {
            r[0]: r[1:]
            for r in con.sql(
                "SELECT dataset, expectations_run, failed, rows_read, rows_quarantined FROM mart.data_quality_summary "
                "WHERE review_year = $y",
                params={"y": YEAR},
            ).fetchall()
        }
        assert set(summary) == set(all_suites())
        assert summary["raw.projects"] == (len(suite("raw.projects").expectations), 0, 40, 0)
        assert summary["mart.project_review"][1] == 0
        fact_rows = con.sql("SELECT count(*) FROM fact_progress").fetchall()[0][0]
        assert summary["fact_progress"][2] == fact_rows  # the table's rows, not a derived frame's


# ----------------------------------------------------------------------------- every rule, on frames


def _ledger_failures(con: duckdb.DuckDBPyConnection, run_id: str, dataset: str | None = None) -> list[tuple]:
    """(expectation, severity, unexpected_count, examples) of the run's failed expectations in the ledger,
    of one dataset if given."""
    return con.sql(
        "SELECT expectation, severity, unexpected_count, examples FROM mart.data_quality "
        "WHERE run_id = $r AND NOT success AND dataset = coalesce($d, dataset)",
        params={"r": run_id, "d": dataset},
    ).fetchall()


def _frames(db: Path, name: str):
    from scorecard.rubric import load_rubric

    s = suite(name)
    with duckdb.connect(str(db), read_only=True) as con:
        params = {**load_rubric().params(), "review_years": [YEAR]}
        frames = load_frames(con, s, set(s.frames), params)
        sets = value_sets(con, s.expectations)
    return s, frames, sets


def _set(df: pd.DataFrame, i: int, column: str, value) -> None:
    try:
        df.loc[i, column] = value
    except (TypeError, ValueError):  # e.g. None into a numpy bool column
        df[column] = df[column].astype(object)
        df.loc[i, column] = value


# the one value that breaks a single-column rule of each kind
BREAKING_VALUE = {
    "ExpectColumnValuesToNotBeNull": None,
    "ExpectColumnValuesToBeNull": "P404",  # known_project: an id the anti-join did not find
    "ExpectColumnValueLengthsToBeBetween": "",
    "ExpectColumnValuesToBeInSet": "__not_allowed__",
    "ExpectColumnValuesToMatchRegex": "2019Q5",
}


def _break(df: pd.DataFrame, e: Expectation, rows) -> tuple[int, list[int], set[str]]:
    """Break rule `e` on fresh rows of `df` (in place): (expected unexpected count, rows broken, columns changed)."""
    k, g = e.kwargs, e.gx
    i = next(rows)
    if g in BREAKING_VALUE:
        _set(df, i, k["column"], BREAKING_VALUE[g])
        return 1, [i], {k["column"]}
    if g == "ExpectColumnValuesToBeBetween":
        if k.get("min_value") is not None:  # on the bound itself when the bound is strict
            value = k["min_value"] if k.get("strict_min") else k["min_value"] - 1
        else:
            value = k["max_value"] + 1
        _set(df, i, k["column"], value)
        return 1, [i], {k["column"]}
    if g in ("ExpectColumnValuesToBeUnique", "ExpectCompoundColumnsToBeUnique"):
        cols = k.get("column_list") or [k["column"]]
        j = next(rows)
        for c in cols:
            _set(df, j, c, df.loc[i, c])
        return 2, [i, j], set(cols)
    if g == "ExpectColumnPairValuesAToBeGreaterThanB":
        b = df.loc[i, k["column_B"]]
        _set(df, i, k["column_A"], b - (timedelta(days=1) if hasattr(b, "year") else 1))
        return 1, [i], {k["column_A"]}
    if g == "ExpectColumnPairValuesToBeEqual":
        b = df.loc[i, k["column_B"]]
        _set(df, i, k["column_A"], f"{b}_changed" if isinstance(b, str) else b + 1)
        return 1, [i], {k["column_A"]}
    raise AssertionError(f"no way to break {g}")


def _pair_oracle(df: pd.DataFrame, e: Expectation) -> int:
    """Independent count for A > B (A ≥ B) rules: a broken range elsewhere in the row may break them too."""
    a, b = df[e.kwargs["column_A"]], df[e.kwargs["column_B"]]
    both = a.notna() & b.notna()
    ok = (a >= b) if e.kwargs.get("or_equal") else (a > b)
    return int((both & ~ok.fillna(False)).sum())


@pytest.mark.parametrize("name", list(all_suites()))
def test_suite_passes_clean_and_each_rule_fails_on_its_broken_row(clean_run, name):
    _, db, _ = clean_run
    s, frames, sets = _frames(db, name)

    clean = validate(s, frames, value_sets=sets)
    assert clean.success, [(r.key, r.unexpected_count, r.error, r.examples[:2]) for r in clean.failed]
    assert len(clean.results) == len(s.expectations)

    broken = {f: df.copy() for f, df in frames.items()}
    row_iters = {f: iter(range(len(df))) for f, df in broken.items()}
    expected: dict[str, tuple[int, list[int], set[str]]] = {}
    for e in s.expectations:
        expected[e.key] = _break(broken[e.frame], e, row_iters[e.frame])
    result = validate(s, broken, value_sets=sets)

    assert {r.key for r in result.failed} == {e.key for e in s.expectations}
    for e in s.expectations:
        r = next(x for x in result.results if x.key == e.key)
        count, rows, changed = expected[e.key]
        if e.gx == "ExpectColumnPairValuesAToBeGreaterThanB":
            count = _pair_oracle(broken[e.frame], e)
        if e.value_set_sql:  # an emptied or unknown id elsewhere in the column is not a known project either
            col = broken[e.frame][e.kwargs["column"]]
            count = int((col.notna() & ~col.isin(sets[e.key])).sum())
        assert r.severity == e.severity and r.expectation.startswith("expect_")
        assert r.unexpected_count == count, (e.key, r.unexpected_count, r.examples)
        assert 1 <= len(r.examples) <= 10
        # the broken row is among the examples, named by its index columns (key, source file and row)
        df = broken[e.frame]
        ident = [c for c in s.frames[e.frame].index if c in df.columns]
        assert ident, e.key
        wanted = [{c: _plain(df.loc[i, c]) for c in ident} for i in rows]
        got = [{c: ex.get(c) for c in ident} for ex in r.examples if isinstance(ex, dict)]
        assert any(w in got for w in wanted), (e.key, wanted, r.examples)


def _single_pass(con: duckdb.DuckDBPyConnection, s, severity: str, params: dict | None = None):
    """The suite validated as the runner did before it counted first: every frame with its index
    columns and in its order, one SUMMARY pass (the reference the two passes must reproduce)."""
    chosen = s.by_severity(severity)
    frames = load_frames(con, s, {e.frame for e in chosen}, params, expectations=chosen)
    return validate(s, frames, severity, value_sets=value_sets(con, chosen))


def _ledger_fields(result) -> list[tuple]:
    """What the ledger records of each result (the examples as the ledger's JSON text)."""
    return [(r.key, r.success, r.element_count, r.unexpected_count, examples_json(r), r.error) for r in result.results]


def test_frames_reach_pandas_as_duckdb_df_gives_them(clean_run):
    from scorecard.quality.runner import _bind, to_pandas
    from scorecard.rubric import load_rubric

    _, db, _ = clean_run
    params = {**load_rubric().params(), "review_years": [YEAR]}
    with duckdb.connect(str(db), read_only=True) as con:
        for s in all_suites().values():
            for f in s.frames.values():
                sql = f.query()
                expected = con.sql(sql, params=_bind(sql, params) or None).df()
                got = to_pandas(con, con.sql(sql, params=_bind(sql, params) or None))
                assert list(got.dtypes) == list(expected.dtypes), (s.name, f.name)
                if not f.order_by and not got.equals(expected):  # a join without ORDER BY has no fixed order
                    got, expected = (x.sort_values(list(x.columns)).reset_index(drop=True) for x in (got, expected))
                pd.testing.assert_frame_equal(got, expected, check_exact=True)
        # a string column without a value, and no rows at all, are object columns in .df()
        for sql in (
            "SELECT NULL::VARCHAR AS s, 'x' AS t, 1.5::DECIMAL(18, 4) AS d FROM range(3)",
            "SELECT NULL::VARCHAR AS s, 'x' AS t, 1.5::DECIMAL(18, 4) AS d FROM range(3) WHERE false",
        ):
            expected, got = con.sql(sql).df(), to_pandas(con, con.sql(sql))
            assert list(got.dtypes) == list(expected.dtypes) and got.equals(expected), sql


def _plant(con: duckdb.DuckDBPyConnection, table: str, rowid: int, assignment: str, params=None) -> dict:
    """Change one row (by rowid) and return it as it now is."""
    con.execute(f"UPDATE {table} SET {assignment} WHERE rowid = {rowid}", params)
    rel = con.sql(f"SELECT * FROM {table} WHERE rowid = {rowid}")
    return dict(zip(rel.columns, rel.fetchall()[0]))


def _example(row: dict, *columns: str) -> dict:
    return {c: _plain(row[c]) for c in columns}


def test_planted_failures_give_the_counts_and_examples_of_one_summary_pass(clean_run, tmp_path):
    """Bad rows of each rule kind in a copy of the clean warehouse: the runner's two passes (counts on
    narrow frames, then examples) give exactly the counts and examples of one SUMMARY pass."""
    _, clean_db, _ = clean_run
    db = tmp_path / "planted.duckdb"
    shutil.copy(clean_db, db)
    key = ("project_id", "period", "indicator", "_source_file", "_source_row")
    with duckdb.connect(str(db)) as con:
        null_key = _plant(con, "raw.kpi_actuals", 0, "project_id = NULL")
        bad_code = _plant(con, "raw.kpi_actuals", 1, "indicator = 'bogus'")
        bad_period = _plant(con, "raw.kpi_actuals", 2, "period = '2019Q5'")
        unknown = _plant(con, "raw.kpi_actuals", 3, "project_id = 'P404'")
        empty = _plant(con, "raw.kpi_actuals", 4, "project_id = ''")
        dup_a = dict(zip(key, con.sql(f"SELECT {', '.join(key)} FROM raw.kpi_actuals WHERE rowid = 5").fetchall()[0]))
        dup_b = _plant(
            con, "raw.kpi_actuals", 6, "project_id = $1, period = $2, indicator = $3", list(dup_a.values())[:3]
        )
        negative = _plant(con, "raw.kpi_actuals", 7, "value = -1")
        s = suite("raw.kpi_actuals")
        got = run_suite(con, s, severity=ERROR)
        assert _ledger_fields(got) == _ledger_fields(_single_pass(con, s, ERROR))
        failed = {r.key: (r.unexpected_count, r.examples) for r in got.failed}
        assert failed == {
            "not_null:project_id": (1, [_example(null_key, *key)]),
            "not_empty:project_id": (1, [_example(empty, *key)]),
            "in_set:indicator": (1, [_example(bad_code, "indicator", *key[:2], *key[3:])]),
            "period_format:period": (1, [_example(bad_period, "period", "project_id", *key[2:])]),
            "between:value": (1, [{"value": -1.0, **_example(negative, *key)}]),
            "unique_key:project_id,period,indicator": (2, [_example(dup_a, *key), _example(dup_b, *key)]),
            "known_project:unknown_project_id": (
                2,
                [
                    {"unknown_project_id": "P404", **_example(unknown, *key)},
                    {"unknown_project_id": "", **_example(empty, *key)},
                ],
            ),
        }
        # an integer column out of its range, and a row rule (a pair of dates)
        year = _plant(con, "raw.expert_reviews", 0, "review_year = 1999")  # INTEGER: int32 in pandas
        dates = _plant(con, "raw.projects", 0, "end_date = start_date")
        for name, rule, row, columns in (
            (
                "raw.expert_reviews",
                "between:review_year",
                year,
                ("review_year", "project_id", "expert_id", "_source_row"),
            ),
            ("raw.projects", "end_after_start:end_date,start_date", dates, ("end_date", "project_id")),
        ):
            s = suite(name)
            got = run_suite(con, s, severity=ERROR)
            assert _ledger_fields(got) == _ledger_fields(_single_pass(con, s, ERROR))
            (failure,) = got.failed
            assert (failure.key, failure.unexpected_count) == (rule, 1)
            assert _example(row, *columns).items() <= failure.examples[0].items()
        # decreasing cumulative actuals in two projects: the examples follow the frame's order_by
        last_actuals = con.sql(
            "SELECT project_id, indicator, max(period) FROM fact_kpi GROUP BY ALL HAVING count(*) > 1 ORDER BY ALL DESC"
        ).fetchall()
        pids = sorted({r[0] for r in last_actuals})[-2:]
        for pid in pids:
            _, indicator, period = next(r for r in last_actuals if r[0] == pid)
            con.execute(
                "UPDATE fact_kpi SET value = value - 1000000 WHERE project_id = $1 AND indicator = $2 AND period = $3",
                [pid, indicator, period],
            )
        s = suite("fact_kpi")
        got = run_suite(con, s, severity=WARN)
        assert _ledger_fields(got) == _ledger_fields(_single_pass(con, s, WARN))
        decreasing = got.result("kpi_not_decreasing")
        assert decreasing.unexpected_count == 2
        assert [ex["project_id"] for ex in decreasing.examples] == pids


def test_suites_are_derived_from_the_contracts():
    from scorecard.contracts import DATASETS

    for d in DATASETS.values():
        s = suite(f"raw.{d.name}")
        keys = {e.key for e in s.expectations}
        for c in d.columns:
            assert (f"not_null:{c.name}" in keys) == (not c.nullable)
            if c.codes:
                rule = next(e for e in s.expectations if e.key == f"in_set:{c.name}")
                assert rule.kwargs["value_set"] == sorted(c.codes)
        assert ("unique_key:" + ",".join(d.key)) in keys
        assert {r.name for r in d.row_rules} <= {e.name for e in s.expectations}
        assert ("known_project:unknown_project_id" in keys) == d.references_projects
    weight = next(e for e in suite("raw.milestones").expectations if e.key == "between:weight")
    assert weight.kwargs == {"column": "weight", "min_value": 0, "strict_min": True}
    score = next(e for e in suite("raw.expert_reviews").expectations if e.key == "between:score")
    assert (score.kwargs["min_value"], score.kwargs["max_value"]) == (0, 100)
    assert {e.key for e in suite("fact_progress").by_severity(WARN)} == {
        "progress_not_decreasing:change_wan",
        "report_on_time:days_after_quarter_end",
    }


# ----------------------------------------------------------------------------- cross-table frames (SQL)


def built_with_two_projects(tmp_path: Path, dataset: str, rows: list[dict]) -> duckdb.DuckDBPyConnection:
    """A warehouse of projects P1 and P2 and the given rows of one dataset, built."""
    con = warehouse(tmp_path)
    add(con, "projects", [project("P1"), project("P2")])
    add(con, dataset, rows)
    build(con)
    return con


def test_net_disbursed_never_negative_per_project(tmp_path):
    con = built_with_two_projects(
        tmp_path,
        "disbursements",
        [
            pay("P1", "2019-01-10", 100),
            pay("P1", "2019-03-01", 150, kind="recovery"),  # net −50 from March
            pay("P1", "2019-06-01", 80),
            pay("P2", "2019-01-10", 100),
            pay("P2", "2019-03-01", 100, kind="recovery"),  # net 0: fine
        ],
    )
    result = run_suite(con, suite("fact_disbursement"))
    assert [r.key for r in result.failed] == ["net_disbursed_not_negative:lowest_net_disbursed_wan"]
    r = result.failed[0]
    assert (r.severity, r.unexpected_count, r.element_count) == (ERROR, 1, 2)
    assert r.examples == [{"project_id": "P1", "lowest_net_disbursed_wan": -50.0}]

    write_ledger(con, result, run_id="run-a")
    write_ledger(con, result, run_id="run-a")  # a retried check replaces its rows
    write_ledger(con, result, run_id="run-b")  # another run adds its own
    rows = con.sql(
        "SELECT run_id, severity, success, unexpected_count, examples FROM mart.data_quality "
        "WHERE expectation = 'net_disbursed_not_negative' ORDER BY run_id"
    ).fetchall()
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [("run-a", "ERROR", False, 1), ("run-b", "ERROR", False, 1)]
    assert json.loads(rows[0][4]) == [{"project_id": "P1", "lowest_net_disbursed_wan": -50.0}]
    assert con.sql("SELECT count(*) FROM mart.data_quality WHERE run_id = 'run-a'").fetchall()[0][0] == len(
        result.results
    )


def test_decreasing_cumulative_values_and_late_reports_are_warnings(tmp_path):
    con = built_with_two_projects(
        tmp_path,
        "progress_reports",
        [
            report("P1", "2019Q1", fiscal=100, total=100),
            report("P1", "2019Q2", fiscal=80, total=120),  # fiscal spent went down by 20
            report("P1", "2019Q3", fiscal=90, total=130, submitted="2019-11-15"),  # 46 days after 30 Sep
            report("P2", "2019Q1", fiscal=10, total=10, submitted="2019-04-30"),  # 30 days: on time
            report("P2", "2019Q2", fiscal=10, total=10),
        ],
    )
    errors = run_suite(con, suite("fact_progress"), severity=ERROR)
    assert errors.success and len(errors.results) == len(suite("fact_progress").by_severity(ERROR))
    warn = run_suite(con, suite("fact_progress"), severity=WARN)
    assert {r.name for r in warn.results} == {"progress_not_decreasing", "report_on_time"}
    dec = warn.result("progress_not_decreasing")
    assert (dec.severity, dec.unexpected_count) == (WARN, 1)
    assert dec.examples == [
        {"project_id": "P1", "period": "2019Q2", "measure": "fiscal_spent_wan", "change_wan": -20.0}
    ]
    late = warn.result("report_on_time")
    assert late.unexpected_count == 1
    assert late.examples == [
        {"project_id": "P1", "period": "2019Q3", "submitted_date": "2019-11-15", "days_after_quarter_end": 46}
    ]


def test_grades_outside_their_bands_fail_the_mart_suite(tmp_path):
    from scoring_fixtures import actual, experts, ms, target

    from scorecard.rubric import load_rubric

    pids = ("P1", "P2", "P3")
    con = scored(
        tmp_path,
        years=(YEAR,),
        projects=[project(p) for p in pids],
        milestones=[ms(p, "2019-03-31", done="2019-03-31") for p in pids],
        kpi_targets=[target(p, "patents_granted", 10) for p in pids],
        kpi_actuals=[actual(p, "patents_granted", "2019Q4", v) for p, v in zip(pids, (9, 5, 7))],
        expert_reviews=[*experts("P1", YEAR, 90, 90, 90), *experts("P2", YEAR, 60, 60), *experts("P3", YEAR, 70)],
    )
    params = {**load_rubric().params(), "review_years": [YEAR]}
    assert run_suite(con, suite("mart.project_review"), params=params).success
    rows = con.sql("SELECT project_id, grade, total_score, coverage FROM mart.project_review ORDER BY 1").fetchall()
    assert all(r[3] >= 0.5 for r in rows)
    con.execute(
        "UPDATE mart.project_review SET grade = CASE WHEN grade = 'A' THEN 'C' ELSE 'A' END WHERE project_id = 'P1'"
    )
    con.execute("UPDATE mart.project_review SET flags = 'veto' WHERE project_id = 'P2' AND grade <> 'D'")
    con.execute("UPDATE mart.project_review SET total_score = 101 WHERE project_id = 'P3'")
    result = run_suite(con, suite("mart.project_review"), params=params)
    bands = result.result("grade_matches_bands")
    assert bands.unexpected_count == 2  # P1 regraded, P2 vetoed but not D
    assert sorted(ex["project_id"] for ex in bands.examples) == ["P1", "P2"]
    out_of_range = result.result("total_score_range")
    assert out_of_range.unexpected_count == 1
    assert out_of_range.examples == [{"project_id": "P3", "review_year": YEAR, "total_score": 101.0}]
    assert {r.name for r in result.failed} == {"grade_matches_bands", "total_score_range"}
    assert (
        run_suite(con, suite("mart.project_review"), params={**params, "review_years": [YEAR - 1]}).frame_rows["table"]
        == 0
    )


# ----------------------------------------------------------------------------- Dagster: blocking and WARN


def test_blocking_check_failure_stops_scoring(clean_run, tmp_path):
    raw, clean_db, _ = clean_run
    db = tmp_path / "broken.duckdb"
    shutil.copy(clean_db, db)
    with duckdb.connect(str(db)) as con:  # a bad row slipped into the raw table after ingest
        con.execute(
            "INSERT INTO raw.milestones SELECT * REPLACE (99 AS milestone_no, -1.0 AS weight, 'bad.csv' AS _source_file, "
            "7 AS _source_row) FROM raw.milestones LIMIT 1"
        )
    result = _materialize(raw, db, tmp_path)
    assert not result.success
    check = _checks(result)["raw/milestones:expectations"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert check.metadata["expectations_failed"].value == 1
    failed = check.metadata["failed_expectations"].value
    assert list(failed) == ["raw.milestones:between:weight"]
    assert failed["raw.milestones:between:weight"]["unexpected_count"] == 1
    assert failed["raw.milestones:between:weight"]["examples"][0]["_source_file"] == "bad.csv"
    done = _materialized(result)
    assert "raw/milestones" in done
    assert not {"fact_milestone", "project_review", "program_summary", "data_quality_summary"} & done
    with duckdb.connect(str(db), read_only=True) as con:
        rows = _ledger_failures(con, result.run_id, "raw.milestones")
    assert [(r[1], r[2]) for r in rows] == [("ERROR", 1)]
    assert json.loads(rows[0][3])[0]["_source_row"] == 7


def test_warn_failures_do_not_stop_the_run_and_reach_the_ledger(clean_run, tmp_path):
    raw, clean_db, _ = clean_run
    db = tmp_path / "warn.duckdb"
    shutil.copy(clean_db, db)
    with duckdb.connect(str(db)) as con:  # the latest report of one project says less was spent than before
        pid, period = con.sql(
            """SELECT project_id, max(period) FROM raw.progress_reports GROUP BY project_id
               HAVING count(*) >= 2 AND arg_max(fiscal_spent_wan, period) > 0 ORDER BY 1 LIMIT 1"""
        ).fetchall()[0]
        con.execute(
            "UPDATE raw.progress_reports SET fiscal_spent_wan = 0 WHERE project_id = $p AND period = $q",
            {"p": pid, "q": period},
        )
    # raw tables stay as edited; of the warehouse checks only fact_progress's (the others are tested above)
    selection = (dg.AssetSelection.all() - dg.AssetSelection.groups("raw")).without_checks() | dg.AssetSelection.checks(
        dg.AssetCheckKey(dg.AssetKey("fact_progress"), "expectations"),
        dg.AssetCheckKey(dg.AssetKey("fact_progress"), "soft_expectations"),
        dg.AssetCheckKey(dg.AssetKey("project_review"), "expectations"),
        dg.AssetCheckKey(dg.AssetKey("project_review"), "every_reviewed_project_scored"),  # same multi-asset
        dg.AssetCheckKey(dg.AssetKey("project_review"), "later_years_current"),
    )
    result = _materialize(raw, db, tmp_path, selection=selection)
    assert result.success
    check = _checks(result)["fact_progress:soft_expectations"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert _checks(result)["fact_progress:expectations"].passed
    assert {"fact_progress", "project_review", "program_summary", "data_quality_summary"} <= _materialized(result)
    with duckdb.connect(str(db), read_only=True) as con:
        rows = _ledger_failures(con, result.run_id)
        assert [(r[0], r[1], r[2]) for r in rows] == [("progress_not_decreasing", "WARN", 1)]
        example = json.loads(rows[0][3])[0]
        assert (example["project_id"], example["period"], example["measure"]) == (pid, period, "fiscal_spent_wan")
        summary = con.sql(
            "SELECT failed, warn_failed, error_failed FROM mart.data_quality_summary "
            "WHERE review_year = $y AND dataset = 'fact_progress'",
            params={"y": YEAR},
        ).fetchall()
        assert summary == [(1, 1, 0)]
        assert con.sql("SELECT count(DISTINCT run_id) FROM mart.data_quality").fetchall()[0][0] == 2  # kept across runs


def test_quarantine_summary_per_reason(tmp_path):
    con = warehouse(tmp_path)
    con.execute("""INSERT INTO raw.quarantine VALUES
        ('projects', 'projects.csv', 3, 'end_date', '2018-01-01', 'row_rule:end_after_start', 'r', 'x', 'L1', now()),
        ('disbursements', 'd.csv', 4, 'project_id', 'P9', 'unknown_project', 'r', 'x', 'L1', now()),
        ('disbursements', 'd.csv', 5, 'project_id', 'P8', 'unknown_project', 'r', 'x', 'L1', now())""")
    con.execute("""INSERT INTO raw.load_log VALUES
        ('L1', 'disbursements', 'd.csv', 'x', 10, 7, 5, 2, 0, '', now()),
        ('L0', 'disbursements', 'old.csv', 'y', 10, 70, 70, 0, 0, '', now())""")
    con.execute("INSERT INTO raw.load_state VALUES ('disbursements', 'fp', 'L1', now())")
    out = summarize_quality(con, YEAR)
    assert out["quarantine_summary"].select("dataset", "reason_code", "rows").rows() == [
        ("raw.disbursements", "unknown_project", 2),
        ("raw.projects", "row_rule:end_after_start", 1),
    ]
    summary = con.sql(
        "SELECT dataset, expectations_run, rows_read, rows_quarantined FROM mart.data_quality_summary"
    ).fetchall()
    assert summary == [("raw.disbursements", 0, 7, 2)]  # the current load only; not yet checked
    summarize_quality(con, YEAR)  # rewriting the year replaces its rows
    assert con.sql("SELECT count(*) FROM mart.quarantine_summary").fetchall()[0][0] == 2


# ----------------------------------------------------------------------------- fast definitions


def test_definitions_load_without_importing_great_expectations():
    code = "import sys, pipelines.definitions as d; assert d.defs; print('great_expectations' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_docs_list_every_rule():
    from scorecard.quality.docs import checks_markdown

    text = (PROJECT_ROOT / "docs" / "quality.md").read_text(encoding="utf-8")
    assert checks_markdown() in text, "docs/quality.md is out of date: run `python -m scorecard.quality.docs`"


# ----------------------------------------------------------------------------- schemas and years (issue 13)


def test_a_whatif_review_is_validated_in_its_own_schema_with_its_own_bands(clean_run, tmp_path):
    """The mart checks of a what-if run read whatif_<version>_<sha8>, with the what-if rubric's grade
    bands, and record into that schema's ledger; the official ledger gets nothing from the run."""
    raw, clean_db, _ = clean_run
    db = tmp_path / "whatif.duckdb"
    shutil.copy(clean_db, db)
    text = DEFAULT_RUBRIC_TEXT.replace('version: "v1"', 'version: "v1-strict"').replace(
        "  - grade: A\n    min: 90", "  - grade: A\n    min: 95"
    )
    assert text.count("min: 95") == 1
    alt = tmp_path / "rubric-strict.yaml"
    alt.write_text(text, encoding="utf-8")
    config = {"rubric": str(alt)}
    selection = dg.AssetSelection.assets(
        "project_review", "review_measure", "review_reason", "program_summary"
    ).without_checks()
    selection = selection | dg.AssetSelection.checks(
        dg.AssetCheckKey(dg.AssetKey("project_review"), "expectations"),
        dg.AssetCheckKey(dg.AssetKey("project_review"), "every_reviewed_project_scored"),  # same multi-asset
        dg.AssetCheckKey(dg.AssetKey("project_review"), "later_years_current"),
        dg.AssetCheckKey(dg.AssetKey("program_summary"), "expectations"),
    )
    result = dg.materialize(
        _graph(),
        resources=pipeline_resources(raw, db, tmp_path / "reports"),
        partition_key=str(YEAR),
        instance=dg.DagsterInstance.ephemeral(),
        selection=selection,
        raise_on_error=False,
        run_config={"ops": {"project_review": {"config": config}, "program_summary": {"config": config}}},
    )
    assert result.success
    checks = _checks(result)
    assert checks["project_review:expectations"].passed and checks["program_summary:expectations"].passed
    with duckdb.connect(str(db), read_only=True) as con:
        schemas = [
            r[0]
            for r in con.sql(
                "SELECT DISTINCT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'whatif_%'"
            ).fetchall()
        ]
        assert len(schemas) == 1 and schemas[0].startswith("whatif_v1_strict_")
        ledger = dict(
            con.sql(
                f"SELECT dataset, count(*) FROM {schemas[0]}.data_quality WHERE run_id = $r GROUP BY ALL",
                params={"r": result.run_id},
            ).fetchall()
        )
        assert ledger == {
            f"{schemas[0]}.project_review@{YEAR}": len(suite("mart.project_review").by_severity(ERROR)),
            f"{schemas[0]}.program_summary@{YEAR}": len(suite("mart.program_summary").by_severity(ERROR)),
        }
        official = con.sql(
            "SELECT count(*) FROM mart.data_quality WHERE run_id = $r", params={"r": result.run_id}
        ).fetchall()[0][0]
        assert official == 0
        # the what-if grades follow the strict band (A from 95): validated with that band, they pass
        strict_a = con.sql(
            f"SELECT count(*) FROM {schemas[0]}.project_review WHERE grade = 'A' AND total_score < 95"
        ).fetchall()[0][0]
        assert strict_a == 0


def test_a_whatif_suite_reads_only_the_schema_it_is_given():
    checked = suite("mart.project_review").in_schema("whatif_v2_0123abcd")
    assert checked.name == "whatif_v2_0123abcd.project_review"
    sql = " ".join(f.sql for f in checked.frames.values())
    assert "mart." not in sql and sql.count("whatif_v2_0123abcd.project_review") == len(checked.frames)
    assert suite("fact_progress").in_schema("whatif_v2_0123abcd") is suite("fact_progress")
    assert suite("mart.project_review").in_schema("mart") is suite("mart.project_review")
    with pytest.raises(ValueError):
        suite("mart.project_review").in_schema("x; DROP TABLE mart.project_review")


def test_the_quality_summary_of_a_backfill_keeps_every_year(clean_run, tmp_path):
    raw, clean_db, _ = clean_run
    db = tmp_path / "years.duckdb"
    shutil.copy(clean_db, db)
    from assets.quality import data_quality, data_quality_summary

    result = dg.materialize(
        [data_quality, data_quality_summary],
        resources=pipeline_resources(raw, db, tmp_path / "reports"),
        instance=dg.DagsterInstance.ephemeral(),
        tags={"dagster/asset_partition_range_start": "2018", "dagster/asset_partition_range_end": "2019"},
    )
    assert result.success
    meta = {e.asset_key.to_user_string(): e.materialization.metadata for e in result.get_asset_materialization_events()}
    summary_meta = meta["data_quality_summary"]
    assert summary_meta["review_years"].value == "2018, 2019"
    with duckdb.connect(str(db), read_only=True) as con:
        per_year = dict(con.sql("SELECT review_year, count(*) FROM mart.data_quality_summary GROUP BY ALL").fetchall())
        raw_2019 = con.sql(
            "SELECT count(*) FROM mart.data_quality_summary WHERE review_year = 2019 AND dataset LIKE 'raw.%'"
        ).fetchall()[0][0]
    assert set(per_year) == {2018, 2019} and raw_2019 == len(DATASETS_NAMES)
    assert summary_meta["dagster/row_count"].value == per_year[2018] + per_year[2019]
    table = summary_meta["summary"].value
    assert "| 2018 |" in table and "| 2019 |" in table
    assert meta["data_quality"]["review_years"].value == "2018, 2019"
