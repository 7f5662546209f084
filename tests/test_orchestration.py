"""Orchestration (issue 6): the year-end schedule, the raw-folder sensor, the review chain after an
ingest, the instance settings of dagster.yaml (run queue, single-writer pool) and the UI's catalogue
(groups, descriptions, owners, kinds)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest
from resource_fixtures import generated_raw, pipeline_resources, scorecard_paths

from pipelines.definitions import defs
from pipelines.jobs import annual_review_job, ingest_job
from pipelines.resources import WRITER_POOL
from pipelines.schedules import REVIEW_CRON, REVIEW_TIMEZONE, year_end_review_schedule
from pipelines.sensors import (
    CHAIN_TAG,
    THROUGH_TAG,
    chain_request,
    raw_files_sensor,
    review_after_ingest,
    run_key_for,
)

SH = ZoneInfo("Asia/Shanghai")
REPO = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------- schedule
_INSTANCE: list[dg.DagsterInstance] = []


def _instance() -> dg.DagsterInstance:
    """One in-memory instance for the tick evaluations of this module (instance_for_test is slow)."""
    if not _INSTANCE:
        _INSTANCE.append(dg.DagsterInstance.ephemeral())
    return _INSTANCE[0]


def _tick(when: dt.datetime):
    context = dg.build_schedule_context(
        instance=_instance(), scheduled_execution_time=when, repository_def=defs.get_repository_def()
    )
    data = year_end_review_schedule.evaluate_tick(context)
    return data.run_requests or []


def test_schedule_scores_the_ending_year_on_31_december():
    requests = _tick(dt.datetime(2019, 12, 31, 2, 0, tzinfo=SH))
    assert len(requests) == 1
    assert requests[0].partition_key == "2019"
    assert requests[0].job_name in (None, "annual_review_job")


def test_schedule_scores_the_previous_year_again_on_15_january():
    dec = _tick(dt.datetime(2019, 12, 31, 2, 0, tzinfo=SH))[0]
    jan = _tick(dt.datetime(2020, 1, 15, 2, 0, tzinfo=SH))[0]
    assert jan.partition_key == "2019"
    # two ticks, two runs: their run keys differ
    assert jan.run_key != dec.run_key


def test_schedule_cron_ticks_fall_on_31_december_and_15_january_in_shanghai():
    from dagster._utils.schedules import cron_string_iterator

    assert year_end_review_schedule.execution_timezone == REVIEW_TIMEZONE == "Asia/Shanghai"
    assert year_end_review_schedule.job_name == "annual_review_job"
    start = dt.datetime(2019, 6, 1, tzinfo=SH).timestamp()
    ticks = []
    for cron in REVIEW_CRON:
        it = cron_string_iterator(start, cron, REVIEW_TIMEZONE)
        ticks += [next(it), next(it)]
    ticks = sorted(t.astimezone(SH) for t in ticks)
    assert [t.strftime("%Y-%m-%d %H:%M") for t in ticks] == [
        "2019-12-31 02:00",
        "2020-01-15 02:00",
        "2020-12-31 02:00",
        "2021-01-15 02:00",
    ]
    # every tick's partition exists in the review-year partitions (the current year included)
    for t in ticks[:2]:
        req = _tick(t)[0]
        assert req.partition_key in annual_review_job.partitions_def.get_partition_keys(current_time=t)


def test_schedule_and_sensors_default_on_and_registered():
    repo = defs.get_repository_def()
    assert {s.name for s in repo.schedule_defs} == {"year_end_review_schedule"}
    assert {s.name for s in repo.sensor_defs} == {"raw_files_sensor", "review_after_ingest"}
    expected = (
        dg.DefaultScheduleStatus.STOPPED
        if os.environ.get("SCORECARD_AUTOMATION", "on").lower() in {"off", "0", "false", "no"}
        else dg.DefaultScheduleStatus.RUNNING
    )
    assert year_end_review_schedule.default_status == expected
    assert raw_files_sensor.default_status.value == expected.value
    assert review_after_ingest.default_status.value == expected.value


# ----------------------------------------------------------------------------- raw-folder sensor
def _settled(path: Path) -> Path:
    """Backdate a file's mtime: the sensor waits for files modified in the last few seconds."""
    past = time.time() - 3600
    os.utime(path, (past, past))
    return path


def _evaluate(raw_dir: Path, cursor: str | None):
    paths = scorecard_paths(raw_dir, raw_dir.parent / "reports", rubric="unused.yaml")
    context = dg.build_sensor_context(
        instance=_instance(), cursor=cursor, resources={"paths": paths}, repository_def=defs.get_repository_def()
    )
    data = raw_files_sensor.evaluate_tick(context)
    return data.run_requests or [], data.cursor, data.skip_message


def test_sensor_requests_ingest_when_a_file_is_added_and_not_when_nothing_changed(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    # empty folder: nothing to ingest
    requests, cursor, skip = _evaluate(raw, None)
    assert requests == [] and "no data files" in skip

    (raw / "projects.csv").write_text("project_id,project_name\nP1,甲\n", encoding="utf-8")
    _settled(raw / "projects.csv")
    (raw / "notes.txt").write_text("not a data file")  # ignored: not csv/xlsx/parquet
    requests, cursor, _ = _evaluate(raw, cursor)
    assert len(requests) == 1
    first = requests[0]
    assert first.job_name in (None, "ingest_job")
    assert first.run_key.startswith("raw-")
    assert "added: projects.csv" in first.tags["scorecard/raw_changes"]
    state = json.loads(cursor)["files"]
    assert set(state) == {"projects.csv"}
    import hashlib

    assert state["projects.csv"]["sha256"] == hashlib.sha256((raw / "projects.csv").read_bytes()).hexdigest()
    assert state["projects.csv"]["size"] == (raw / "projects.csv").stat().st_size

    # nothing changed → no run
    requests, cursor2, skip = _evaluate(raw, cursor)
    assert requests == [] and "no change" in skip

    # a new modification time, same bytes → still no run (the hash decides)
    os.utime(raw / "projects.csv", (time.time() - 1800, time.time() - 1800))
    requests, cursor3, _ = _evaluate(raw, cursor2)
    assert requests == []

    # a second file added → a run with a new key
    (raw / "milestones.csv").write_text("project_id,milestone_no\nP1,1\n", encoding="utf-8")
    _settled(raw / "milestones.csv")
    requests, cursor4, _ = _evaluate(raw, cursor3)
    assert len(requests) == 1 and requests[0].run_key != first.run_key
    assert "added: milestones.csv" in requests[0].tags["scorecard/raw_changes"]


def test_sensor_new_run_key_when_content_changes_and_same_key_for_same_files(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    f = raw / "disbursements.csv"
    f.write_text("payment_id,amount_wan\nD1,10\n", encoding="utf-8")
    _settled(f)
    (r1,), cursor, _ = _evaluate(raw, None)

    f.write_text("payment_id,amount_wan\nD1,10\nD2,20\n", encoding="utf-8")
    _settled(f)
    (r2,), cursor, _ = _evaluate(raw, cursor)
    assert r2.run_key != r1.run_key
    assert "changed: disbursements.csv" in r2.tags["scorecard/raw_changes"]

    # back to the first content: a request with the first key, which Dagster will not run twice
    f.write_text("payment_id,amount_wan\nD1,10\n", encoding="utf-8")
    _settled(f)
    (r3,), cursor, _ = _evaluate(raw, cursor)
    assert r3.run_key == r1.run_key
    # the key depends on names and contents only
    state = json.loads(cursor)["files"]
    assert run_key_for(state) == r1.run_key


def test_sensor_waits_while_a_file_is_being_written(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "projects.csv").write_text("project_id\nP1\n", encoding="utf-8")  # modified just now
    requests, cursor, skip = _evaluate(raw, None)
    assert requests == [] and "still being written" in skip
    assert cursor is None  # state not taken: the next tick looks again


def test_sensor_requests_ingest_when_a_file_is_removed(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("projects.csv", "projects_2018.csv"):
        (raw / name).write_text("project_id\nP1\n" if name == "projects.csv" else "project_id\nP2\n")
        _settled(raw / name)
    _, cursor, _ = _evaluate(raw, None)
    (raw / "projects_2018.csv").unlink()
    (req,), cursor, _ = _evaluate(raw, cursor)
    assert "removed: projects_2018.csv" in req.tags["scorecard/raw_changes"]


# ----------------------------------------------------------------------------- review chain
def test_chain_continues_year_by_year_and_stops_after_the_latest_year(tmp_path):
    tags = {CHAIN_TAG: "abc123", THROUGH_TAG: "2019", "dagster/partition": "2017"}
    nxt = chain_request("annual_review_job", tags, "run2017", tmp_path / "unused.duckdb")
    assert isinstance(nxt, dg.RunRequest)
    assert nxt.partition_key == "2018" and nxt.run_key == "chain-abc123-2018"
    assert nxt.tags[CHAIN_TAG] == "abc123" and nxt.tags[THROUGH_TAG] == "2019"
    done = chain_request("annual_review_job", {**tags, "dagster/partition": "2019"}, "run2019", tmp_path / "x")
    assert isinstance(done, dg.SkipReason)
    # a review run outside a chain (UI, schedule, backfill) starts nothing
    alone = chain_request("annual_review_job", {"dagster/partition": "2018"}, "r", tmp_path / "x")
    assert isinstance(alone, dg.SkipReason)
    # an ingest run of `scorecard run` (in-process, no sensor/UI tag) starts nothing
    cli = chain_request("ingest_job", {}, "r", tmp_path / "x")
    assert isinstance(cli, dg.SkipReason)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """A real ingest_job run (tagged as launched from the UI) on generated data, in a tmp warehouse."""
    root, raw = generated_raw(tmp_path_factory, "chain", seed=7)
    warehouse = root / "scorecard.duckdb"
    resources = pipeline_resources(raw, warehouse, root / "reports", rubric=REPO / "rubrics" / "rubric-v1.yaml")
    job_defs = dg.Definitions(assets=defs.assets, jobs=[ingest_job], resources=resources)
    instance = dg.DagsterInstance.ephemeral()
    result = job_defs.resolve_job_def("ingest_job").execute_in_process(
        instance=instance, tags={"dagster/from_ui": "true"}, raise_on_error=False
    )
    assert result.success
    yield instance, result, warehouse
    instance.dispose()


def test_review_chain_starts_with_2017_after_an_ingest_from_the_ui(ingested, monkeypatch):
    instance, result, warehouse = ingested
    monkeypatch.setenv("SCORECARD_WAREHOUSE", str(warehouse))
    run = instance.get_run_by_id(result.run_id)
    assert run.job_name == "ingest_job"
    success = next(
        e for e in result.all_events if e.event_type_value == "PIPELINE_SUCCESS" or e.event_type_value == "RUN_SUCCESS"
    )
    context = dg.build_run_status_sensor_context(
        sensor_name="review_after_ingest", dagster_event=success, dagster_instance=instance, dagster_run=run
    )
    request = review_after_ingest(context)
    assert isinstance(request, dg.RunRequest)
    assert request.partition_key == "2017"
    assert request.run_key == f"chain-{run.run_id}-2017"
    # the latest year present in the generated data (reports extracted 2020-01-31)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        latest = con.sql("SELECT max(period_year) FROM fact_progress").fetchall()[0][0]
    assert int(request.tags[THROUGH_TAG]) == min(latest, dt.date.today().year)
    assert 2019 <= int(request.tags[THROUGH_TAG])


def test_review_chain_starts_while_another_process_writes_the_warehouse(ingested, monkeypatch):
    """Issue 19: under the daemon a queued run (the year-end schedule) starts writing as soon as the
    ingest ends; DuckDB then refuses the sensor even a read-only open. The chain takes the latest data
    year the ingest recorded instead of reading the warehouse."""
    import subprocess
    import sys

    instance, result, warehouse = ingested
    monkeypatch.setenv("SCORECARD_WAREHOUSE", str(warehouse))
    run = instance.get_run_by_id(result.run_id)
    success = next(e for e in result.all_events if e.event_type_value in ("PIPELINE_SUCCESS", "RUN_SUCCESS"))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        latest = con.sql("SELECT max(period_year) FROM fact_progress").fetchall()[0][0]
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(60)",
            str(warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(duckdb.IOException):
            duckdb.connect(str(warehouse), read_only=True)
        context = dg.build_run_status_sensor_context(
            sensor_name="review_after_ingest", dagster_event=success, dagster_instance=instance, dagster_run=run
        )
        started = time.perf_counter()
        request = review_after_ingest(context)
        assert time.perf_counter() - started < 5  # no retries against the lock
    finally:
        holder.kill()
        holder.wait(timeout=10)
    assert isinstance(request, dg.RunRequest)
    assert request.partition_key == "2017"
    assert int(request.tags[THROUGH_TAG]) == min(latest, dt.date.today().year)


# ----------------------------------------------------------------------------- instance settings
def test_dagster_yaml_limits_runs_and_gives_the_warehouse_pool_one_slot(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    with dg.DagsterInstance.from_ref(dg._core.instance.InstanceRef.from_dir(str(home))) as instance:  # noqa: SLF001
        config = instance.get_concurrency_config()
        assert config.pool_config.default_pool_limit == 1
        assert config.run_queue_config.max_concurrent_runs == 2
        assert instance.event_log_storage.supports_global_concurrency_limits
        # the pool is created at its default limit (one slot) on first use
        instance.event_log_storage.initialize_concurrency_limit_to_default(WRITER_POOL)
        info = instance.event_log_storage.get_concurrency_info(WRITER_POOL)
        assert info.slot_count == 1


def test_every_warehouse_asset_is_in_the_writer_pool():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        # every asset here opens the DuckDB warehouse (raw, warehouse, review, quality, report)
        assert node.pools == {WRITER_POOL}, (key, node.pools)


# ----------------------------------------------------------------------------- catalogue the analyst sees
def test_groups_have_descriptions_owners_and_kinds():
    graph = defs.resolve_asset_graph()
    groups: dict[str, list] = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        groups.setdefault(node.group_name, []).append(node)
    assert {"raw", "warehouse", "review"} <= set(groups)
    for nodes in groups.values():
        for node in nodes:
            assert node.description and len(node.description) > 20, node.key
            assert node.owners, node.key
            assert node.kinds, node.key
    review = {n.key.to_user_string() for n in groups["review"]}
    assert {"project_review", "review_reason", "program_summary"} <= review
    for node in groups["review"]:
        assert node.partitions_def is not None
        assert node.backfill_policy == dg.BackfillPolicy.single_run()


# ----------------------------------------------------------------------------- backfill
def _review_rows(con) -> list[tuple]:
    cols = [
        c
        for c, t in con.sql(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'mart' AND table_name = 'project_review' ORDER BY ordinal_position"
        ).fetchall()
        if not c.startswith("_") and "TIMESTAMP" not in t and c not in {"computed_at", "load_id", "run_id"}
    ]
    return con.sql(f"SELECT {', '.join(cols)} FROM mart.project_review ORDER BY review_year, project_id").fetchall()


@pytest.mark.slow
def test_single_run_backfill_2017_2019_gives_the_same_rows_as_three_runs(ingested, tmp_path):
    """Re-scoring 2017–2019 as one backfill run (BackfillPolicy.single_run, a partition key range)
    writes the same mart.project_review rows as three runs of one year each."""
    from assets.review import review_assets

    _, _, warehouse = ingested
    rubric = str(REPO / "rubrics" / "rubric-v1.yaml")

    def resources(db: Path) -> dict:
        return pipeline_resources(tmp_path, db, tmp_path / "reports", rubric=rubric)

    one, three = tmp_path / "one.duckdb", tmp_path / "three.duckdb"
    shutil.copy(warehouse, one)
    shutil.copy(warehouse, three)
    instance = dg.DagsterInstance.ephemeral()
    backfill = dg.materialize(
        review_assets,
        resources=resources(one),
        instance=instance,
        tags={"dagster/asset_partition_range_start": "2017", "dagster/asset_partition_range_end": "2019"},
    )
    assert backfill.success
    mats = [e.event_specific_data.materialization for e in backfill.get_asset_materialization_events()]
    assert {m.partition for m in mats if m.asset_key.to_user_string() == "project_review"} == {"2017", "2018", "2019"}
    for year in ("2017", "2018", "2019"):
        assert dg.materialize(review_assets, resources=resources(three), instance=instance, partition_key=year).success
    with duckdb.connect(str(one), read_only=True) as a, duckdb.connect(str(three), read_only=True) as b:
        rows_one, rows_three = _review_rows(a), _review_rows(b)
        years = a.sql("SELECT list(DISTINCT review_year ORDER BY review_year) FROM mart.project_review").fetchall()[0][
            0
        ]
    assert years == [2017, 2018, 2019]
    assert len(rows_one) > 0
    assert rows_one == rows_three


# ----------------------------------------------------------------------------- definitions load light


def test_definitions_load_without_the_data_libraries():
    """The UI, the daemon and `dagster definitions validate` load the definitions often: the data
    libraries (polars, pandas, GX, xlsxwriter, plotly, WeasyPrint) load when an asset runs."""
    import subprocess
    import sys

    heavy = ("polars", "pandas", "great_expectations", "xlsxwriter", "plotly", "weasyprint", "openpyxl")
    code = f"import sys, pipelines.definitions as d; assert d.defs; print([m for m in {heavy!r} if m in sys.modules])"
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
