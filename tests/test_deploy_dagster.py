"""The production shape of Dagster (issue 19): PostgreSQL storage, dagster-webserver and dagster-daemon
as separate processes started with the command lines of the systemd units in deploy/, the instance
configuration deploy/dagster.yaml.

A throw-away PostgreSQL cluster (Debian's initdb/pg_ctl, temp folder, 127.0.0.1) holds the instance.
The raw folder is a temp copy of data/raw whose expert reviews and progress reports stop in 2017,
so the review chain the sensor starts ends with 2017 (one review run per year costs ~30 s here; the
chain's step from year to year is covered in test_orchestration.py).

1. The daemon's sensor sees the new raw files and launches ``ingest_job``; its success makes the
   run-status sensor launch ``annual_review_job`` 2017, the latest year with data, and stop there.
2. The year-end schedule's tick for 31 December 2019 02:00 (Shanghai) is evaluated by the daemon's
   own scheduler code (``dagster._scheduler.scheduler``) in this process — the clock cannot be set
   back to 2019 for the daemon, and the bundled data has no projects in the current year. The run it
   requests goes through the same PostgreSQL run queue and is launched by the real daemon. It is
   evaluated while the ingest runs, so that run waits for the ingest and usually writes the warehouse
   while the chain sensor reacts to the ingest's success (the sensor must not need the warehouse).
3. Everything is read back from PostgreSQL with SQL: runs, tags, the schedule tick; and the pool:
   runs that write the warehouse never overlap, and one waited in the queue while another ran.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import logging
import os
import shutil
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import httpx
import pytest
from services import (
    DEPLOY,
    REPO_ROOT,
    free_port,
    start_postgres,
    start_process,
    stop_process,
    unit_command,
    wait_for_http,
)

pytestmark = pytest.mark.slow

SHANGHAI = ZoneInfo("Asia/Shanghai")
TICK = dt.datetime(2019, 12, 31, 2, 0, tzinfo=SHANGHAI)
LOCATION, REPOSITORY, SCHEDULE = "pipelines.definitions", "__repository__", "year_end_review_schedule"
STARTUP_TIMEOUT = 120  # s
RUNS_TIMEOUT = 360  # s for ingest + two review years on a loaded 2-core machine


def _keep_rows(path: Path, column: str, keep) -> None:
    """Rewrite a bundled UTF-8 (BOM) CSV with only the rows whose ``column`` passes ``keep``."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    index = rows[0].index(column)
    kept = [rows[0]] + [r for r in rows[1:] if keep(r[index])]
    assert 1 < len(kept) < len(rows), f"{path.name}: nothing to leave out"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(kept)


def _raw_copy_through_2017(target: Path) -> list[str]:
    """data/raw with the expert reviews and progress reports of 2017 only (so the latest data year,
    where the review chain stops, is 2017); mtimes a minute old (the sensor waits for files modified
    in the last seconds). Returns the file names."""
    shutil.copytree(REPO_ROOT / "data" / "raw", target)
    (target / "expert_reviews_2019.csv").unlink()
    _keep_rows(target / "expert_reviews_2017-2018.csv", "review_year", lambda v: v.strip() == "2017")
    _keep_rows(target / "progress_reports.csv", "period", lambda v: "2017" in v)
    past = time.time() - 60
    for path in target.iterdir():
        os.utime(path, (past, past))
    return sorted(p.name for p in target.iterdir())


@pytest.fixture(scope="module")
def services(tmp_path_factory, artifacts_dir):
    try:
        pg = start_postgres()
    except LookupError as exc:
        pytest.skip(str(exc))
    mp = pytest.MonkeyPatch()
    procs = []
    try:
        pg.create_database("scorecard_dagster")
        root = tmp_path_factory.mktemp("deploy")
        home = root / "dagster_home"
        home.mkdir()
        shutil.copy(DEPLOY / "dagster.yaml", home / "dagster.yaml")
        raw_names = _raw_copy_through_2017(root / "raw")
        env = {
            "DAGSTER_HOME": str(home),
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": str(pg.port),
            "DAGSTER_PG_DB": "scorecard_dagster",
            "DAGSTER_PG_USER": pg.user,
            "DAGSTER_PG_PASSWORD": pg.password,
            "SCORECARD_RAW_DIR": str(root / "raw"),
            "SCORECARD_WAREHOUSE": str(root / "warehouse" / "scorecard.duckdb"),
            "SCORECARD_REPORTS_DIR": str(root / "reports"),
            "SCORECARD_AUTOMATION": "on",
        }
        for key, value in env.items():  # this process reads the same instance (SQL checks, the tick)
            mp.setenv(key, value)
        full_env = {**os.environ}
        port = free_port()
        web_log, daemon_log = artifacts_dir / "deploy-webserver.log", artifacts_dir / "deploy-daemon.log"
        for log in (web_log, daemon_log):
            log.write_text("")
        web_cmd = unit_command("scorecard-dagster-webserver.service", {r"--port 3000": f"--port {port}"})
        procs.append(web := start_process(web_cmd, full_env, web_log))
        procs.append(daemon := start_process(unit_command("scorecard-dagster-daemon.service"), full_env, daemon_log))
        up = wait_for_http(f"http://127.0.0.1:{port}/server_info", web, web_log, STARTUP_TIMEOUT)
        print(f"webserver up in {up:.1f} s (port {port}); daemon pid {daemon.pid}")
        yield {
            "pg": pg,
            "root": root,
            "port": port,
            "raw_names": raw_names,
            "daemon": daemon,
            "warehouse": root / "warehouse" / "scorecard.duckdb",
            "reports": root / "reports",
        }
    finally:
        for proc in reversed(procs):
            stop_process(proc, timeout=5)  # then SIGKILL: nothing of theirs outlives the test's temp folders
        mp.undo()
        pg.stop()


# ----------------------------------------------------------------------------- SQL read-back
def _runs(pg) -> list[dict]:
    """Runs with their tags and enqueue time, by SQL (Dagster stores run events under their old
    PIPELINE_* names)."""
    con = pg.connect("scorecard_dagster")
    try:
        cur = con.cursor()
        cur.execute("SELECT run_id, pipeline_name, status, partition, start_time, end_time FROM runs ORDER BY id")
        runs = [dict(zip(("run_id", "job", "status", "partition", "start", "end"), row)) for row in cur.fetchall()]
        cur.execute("SELECT run_id, key, value FROM run_tags")
        tags: dict[str, dict] = {}
        for run_id, key, value in cur.fetchall():
            tags.setdefault(run_id, {})[key] = value
        cur.execute(
            "SELECT run_id, min(timestamp) FROM event_logs WHERE dagster_event_type = 'PIPELINE_ENQUEUED' GROUP BY run_id"
        )
        enqueued = {run_id: ts.replace(tzinfo=dt.UTC).timestamp() for run_id, ts in cur.fetchall()}
    finally:
        con.close()
    for run in runs:
        run["tags"] = tags.get(run["run_id"], {})
        run["enqueued"] = enqueued.get(run["run_id"])
    return runs


def _webserver_runs(port: int) -> dict[str, str]:
    query = "{ runsOrError { ... on Runs { results { runId status } } } }"
    answer = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": query}, timeout=30)
    answer.raise_for_status()
    return {r["runId"]: r["status"] for r in answer.json()["data"]["runsOrError"]["results"]}


def _pool_limits(pg) -> list[tuple]:
    con = pg.connect("scorecard_dagster")
    try:
        cur = con.cursor()
        cur.execute('SELECT concurrency_key, "limit", using_default_limit FROM concurrency_limits ORDER BY 1')
        return cur.fetchall()
    finally:
        con.close()


def _failure_text(pg, run_id: str) -> str:
    con = pg.connect("scorecard_dagster")
    try:
        cur = con.cursor()
        cur.execute(
            "SELECT event FROM event_logs WHERE run_id = %s AND dagster_event_type IN "
            "('STEP_FAILURE', 'PIPELINE_FAILURE', 'ENGINE_EVENT') ORDER BY id DESC LIMIT 3",
            (run_id,),
        )
        return "\n".join(row[0][:1500] for row in cur.fetchall())
    finally:
        con.close()


def _wait_until(pg, done, what: str, deadline: float) -> list[dict]:
    while True:
        runs = _runs(pg)
        failed = [r for r in runs if r["status"] in ("FAILURE", "CANCELED")]
        if failed:
            raise AssertionError(
                f"run {failed[0]['run_id']} ({failed[0]['job']} {failed[0]['partition']}) "
                f"{failed[0]['status']}:\n{_failure_text(pg, failed[0]['run_id'])}"
            )
        if done(runs):
            return runs
        if time.time() > deadline:
            raise AssertionError(
                f"{what}: not done in time; runs: {[(r['job'], r['partition'], r['status']) for r in runs]}"
            )
        time.sleep(1)


def _succeeded(runs, job: str, partition: str | None = None) -> bool:
    return any(r["job"] == job and r["partition"] == partition and r["status"] == "SUCCESS" for r in runs)


# ----------------------------------------------------------------------------- the 31 December tick
def _evaluate_year_end_tick(tick: dt.datetime, when_ready) -> list:
    """Run the daemon's scheduler iteration for our schedule with "now" a few seconds after ``tick``
    and a schedule state armed the day before: it creates the tick in PostgreSQL, evaluates the
    schedule in a code server and submits the run to the run queue. ``when_ready()`` is called once
    the code server is up and returns when the tick is due. Returns the errors the iteration yielded."""
    from dagster import DagsterInstance
    from dagster._core.scheduler.instigation import (
        InstigatorState,
        InstigatorStatus,
        InstigatorType,
        ScheduleInstigatorData,
        TickStatus,
    )
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import WorkspaceFileTarget
    from dagster._daemon.daemon import SchedulerDaemon  # noqa: F401 - imported first: import cycle
    from dagster._scheduler.scheduler import launch_scheduled_runs_for_schedule_iterator

    instance = DagsterInstance.get()
    target = WorkspaceFileTarget(paths=[str(REPO_ROOT / "workspace.yaml")])
    with WorkspaceProcessContext(instance, target) as workspace:
        location = workspace.create_request_context().get_code_location(LOCATION)
        schedule = location.get_repository(REPOSITORY).get_schedule(SCHEDULE)
        when_ready()
        armed = InstigatorState(
            schedule.get_remote_origin(),
            InstigatorType.SCHEDULE,
            InstigatorStatus.RUNNING,
            ScheduleInstigatorData(schedule.cron_schedule, start_timestamp=(tick - dt.timedelta(days=1)).timestamp()),
        )
        results = list(
            launch_scheduled_runs_for_schedule_iterator(
                workspace,
                logging.getLogger("test.scheduler"),
                schedule,
                armed,
                (tick + dt.timedelta(seconds=5)).astimezone(dt.UTC),
                max_catchup_runs=1,
                max_tick_retries=0,
                # keep every tick: deploy/dagster.yaml purges schedule ticks after a year, and this one is from 2019
                tick_retention_settings={status: -1 for status in TickStatus},
                schedule_debug_crash_flags=None,
                submit_threadpool_executor=None,
                in_memory_last_iteration_timestamp=None,
            )
        )
    return [r for r in results if r is not None and not hasattr(r, "next_iteration_timestamp")]


def _ticks(pg, kind: str, name: str) -> list[tuple]:
    """(timestamp as aware UTC, status, body) of the recorded ticks of one schedule or sensor."""
    con = pg.connect("scorecard_dagster")
    try:
        cur = con.cursor()
        cur.execute(
            "SELECT timestamp, status, tick_body FROM job_ticks WHERE type = %s AND tick_body LIKE %s ORDER BY id",
            (kind, f'%"{name}"%'),
        )
        return [(ts.replace(tzinfo=dt.UTC), status, body) for ts, status, body in cur.fetchall()]
    finally:
        con.close()


# ----------------------------------------------------------------------------- the test
def test_daemon_on_postgres_runs_sensor_chain_and_year_end_tick(services):
    pg = services["pg"]
    started = time.time()
    timings: dict[str, float] = {}

    # 1. the sensor's ingest (the raw files are new to it), launched by the daemon's run queue, and
    # 2. the 31 December 2019 tick while that ingest runs: the schedule's run waits in the queue, then
    #    writes the warehouse while the chain sensor reacts to the ingest's success
    def ingest_in_progress():
        _wait_until(
            pg,
            lambda rs: any(r["job"] == "ingest_job" for r in rs if r["status"] in ("STARTED", "SUCCESS")),
            "sensor ingest started",
            started + RUNS_TIMEOUT,
        )
        timings["ingest started"] = time.time() - started

    errors = _evaluate_year_end_tick(TICK, ingest_in_progress)
    assert errors == [], errors
    timings["tick evaluated"] = time.time() - started

    # 3. the chain's 2017 and the schedule's 2019 succeed
    def all_done(rs):
        return all(_succeeded(rs, "annual_review_job", y) for y in ("2017", "2019"))

    runs = _wait_until(pg, all_done, "review chain and year-end run", started + RUNS_TIMEOUT)
    timings["all runs"] = time.time() - started
    print("timings (s):", {k: round(v, 1) for k, v in timings.items()})
    print("runs:", [(r["job"], r["partition"], r["status"]) for r in runs])

    # -- what PostgreSQL recorded: exactly these runs, started by the right instigators
    assert sorted((r["job"], r["partition"] or "") for r in runs) == [
        ("annual_review_job", "2017"),
        ("annual_review_job", "2019"),
        ("ingest_job", ""),
    ]
    assert all(r["status"] == "SUCCESS" for r in runs)
    by_partition = {r["partition"]: r for r in runs}
    ingest = by_partition[None]
    assert ingest["tags"]["dagster/sensor_name"] == "raw_files_sensor"
    assert ingest["tags"]["scorecard/raw_changes"].startswith("added: " + ", ".join(services["raw_names"])[:60])
    chained = by_partition["2017"]["tags"]
    assert chained["dagster/sensor_name"] == "review_after_ingest"
    assert chained["scorecard/chain"] == ingest["run_id"]
    assert chained["scorecard/through_year"] == "2017"
    scheduled = by_partition["2019"]["tags"]
    assert scheduled["dagster/schedule_name"] == SCHEDULE
    assert scheduled["scorecard/tick"] == "2019-12-31T02:00:00+08:00"
    assert scheduled["dagster/partition"] == "2019"

    # -- the tick itself, as the daemon records it
    ticks = _ticks(pg, "SCHEDULE", SCHEDULE)
    assert len(ticks) == 1, ticks
    tick_time, tick_status, tick_body = ticks[0]
    assert tick_time == TICK.astimezone(dt.UTC)
    assert tick_status == "SUCCESS"
    assert by_partition["2019"]["run_id"] in tick_body

    # -- the pool: warehouse-writing runs one at a time, and one waited in the queue for another
    windows = sorted((r["start"], r["end"], r) for r in runs)
    for (_, end_a, a), (start_b, _, b) in itertools.pairwise(windows):
        assert end_a <= start_b, f"{a['job']} {a['partition']} overlapped {b['job']} {b['partition']}"
    # b waited: it was in the queue before a (launched first) ended, and started only after that
    waited = [
        (a["partition"], b["partition"])
        for (_, _, b) in windows
        for (start_a, end_a, a) in windows
        if a is not b and b["enqueued"] is not None and start_a < b["start"] and b["enqueued"] < end_a
    ]
    assert waited, f"no run waited in the queue for another (the test did not exercise the pool): {windows}"
    print("waited in the queue (ran first, waited):", waited)
    assert _pool_limits(pg) == [("duckdb_writer", 1, True)]  # the run queue set it from default_limit

    # -- the webserver reads the same instance: its GraphQL API lists the same runs
    assert _webserver_runs(services["port"]) == {r["run_id"]: r["status"] for r in runs}

    # -- the warehouse and the reports the runs wrote
    con = duckdb.connect(str(services["warehouse"]), read_only=True)
    try:
        per_year = dict(con.sql("SELECT review_year, count(*) FROM mart.project_review GROUP BY 1").fetchall())
    finally:
        con.close()
    # the tick's 2019 run stands on its whole history: 2018, never launched, was scored first (docs/scoring.md §10)
    assert sorted(per_year) == [2017, 2018, 2019]
    assert all(n > 0 for n in per_year.values()), per_year
    for year in (2017, 2019):
        manifest = json.loads((services["reports"] / str(year) / f"manifest-{year}.json").read_text(encoding="utf-8"))
        assert manifest["review_year"] == year
        assert manifest["row_counts"]["mart.project_review"] == per_year[year]
