"""Sensors: new raw data → ingest → the review years, in order (docs/analyst-guide.md).

``raw_files_sensor`` watches SCORECARD_RAW_DIR: exactly the files ingest reads (each dataset's files,
``scorecard.reader.ingested_files``; a ``.tsv`` or ``.xlsm`` as much as a ``.csv``). Its cursor is the JSON state of the folder (name →
size, modification time, SHA-256). When a file is added, changed or removed it requests
``ingest_job`` with a run key made from the names and hashes of all files, so the same set of files
is never ingested twice by the sensor (Dagster skips a run key it has seen). A file modified in the
last ``SETTLE_SECONDS`` is still being copied: the sensor waits for the next tick.

``review_after_ingest`` is a run-status sensor. When an ``ingest_job`` run that the sensor or an
analyst in the UI started succeeds, it takes the latest year present in the warehouse — the latest
quarter reported or expert review held, no later than this year; recorded by that run's
``star_schema`` step, so the sensor need not open a warehouse that a queued run may already be
writing (older runs without it: read read-only, for a moment) — and
requests ``annual_review_job`` for the programme's first review year. Each successful year of that chain requests the next one,
up to the latest year. Years run one after the other because year Y reads year Y−1's grades and
decisions; this is what ``scorecard run`` does in-process, so both write the same warehouse and
reports. A failed year stops the chain (fix, then launch the rest from the UI or as a backfill).
Ingest runs of ``scorecard run`` (in-process) or of the GraphQL API without those tags start no chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg

from pipelines.jobs import annual_review_job, ingest_job
from pipelines.partitions import FIRST_REVIEW_YEAR
from pipelines.resources import ScorecardPaths
from pipelines.schedules import REVIEW_TIMEZONE, automation_default_status
from scorecard.files import file_sha256
from scorecard.settings import get_settings

SETTLE_SECONDS = 10
CHAIN_TAG = "scorecard/chain"
THROUGH_TAG = "scorecard/through_year"


def default_sensor_status() -> dg.DefaultSensorStatus:
    return dg.DefaultSensorStatus.RUNNING if automation_default_status() else dg.DefaultSensorStatus.STOPPED


# ----------------------------------------------------------------------------- raw folder state
def folder_state(raw_dir: Path, previous: dict | None = None) -> dict[str, dict]:
    """name → {size, mtime_ns, sha256}; a file whose size and mtime are unchanged keeps its hash."""
    from scorecard.reader import ingested_files  # the reader loads polars: not when the definitions load

    previous = previous or {}
    state: dict[str, dict] = {}
    for path in ingested_files(raw_dir):
        st = path.stat()
        old = previous.get(path.name)
        if old and old.get("size") == st.st_size and old.get("mtime_ns") == st.st_mtime_ns:
            sha = old["sha256"]
        else:
            sha = file_sha256(path)
        state[path.name] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha}
    return state


def run_key_for(state: dict[str, dict]) -> str:
    """Same names and contents → same key (modification times do not count)."""
    content = json.dumps(sorted((name, f["sha256"]) for name, f in state.items()))
    return "raw-" + hashlib.sha256(content.encode()).hexdigest()[:24]


def diff_states(old: dict[str, dict], new: dict[str, dict]) -> dict[str, list[str]]:
    return {
        "added": sorted(set(new) - set(old)),
        "changed": sorted(n for n in set(new) & set(old) if new[n]["sha256"] != old[n]["sha256"]),
        "removed": sorted(set(old) - set(new)),
    }


def _load_cursor(cursor: str | None) -> dict[str, dict]:
    if not cursor:
        return {}
    try:
        return json.loads(cursor).get("files", {})
    except (ValueError, AttributeError):
        return {}


@dg.sensor(
    name="raw_files_sensor",
    job=ingest_job,
    minimum_interval_seconds=30,
    default_status=default_sensor_status(),
    description=(
        "Watches SCORECARD_RAW_DIR (names, sizes, SHA-256). A file added, changed or removed requests "
        "ingest_job; the run key is made of the file hashes, so the same files are never ingested twice. "
        "A successful ingest then starts the review years (sensor review_after_ingest)."
    ),
)
def raw_files_sensor(context: dg.SensorEvaluationContext, paths: ScorecardPaths):
    from scorecard.reader import ingested_files

    raw_dir = paths.raw
    old = _load_cursor(context.cursor)
    now = time.time()
    unsettled = [p.name for p in ingested_files(raw_dir) if now - p.stat().st_mtime < SETTLE_SECONDS]
    if unsettled:
        return dg.SkipReason(f"waiting for files still being written: {', '.join(unsettled)}")
    new = folder_state(raw_dir, old)
    changes = diff_states(old, new)
    cursor = json.dumps({"files": new}, sort_keys=True)
    if not new:
        return dg.SensorResult(skip_reason=dg.SkipReason(f"no data files in {raw_dir}"), cursor=cursor)
    if not any(changes.values()):
        return dg.SensorResult(skip_reason=dg.SkipReason(f"no change in {raw_dir} ({len(new)} files)"), cursor=cursor)
    summary = "; ".join(f"{kind}: {', '.join(names)}" for kind, names in changes.items() if names)
    context.log.info(f"raw folder changed — {summary}")
    request = dg.RunRequest(
        run_key=run_key_for(new),
        tags={
            "scorecard/trigger": "raw_files_sensor",
            "scorecard/raw_changes": summary[:250],
        },
    )
    return dg.SensorResult(run_requests=[request], cursor=cursor)


# ----------------------------------------------------------------------------- review chain
# The latest year with a progress report or an expert review, before clamping to [2017, this year].
LATEST_YEAR_SQL = """
    SELECT max(y) FROM (
        SELECT max(period_year) AS y FROM fact_progress
        UNION ALL SELECT max(review_year) FROM fact_expert_review
    )"""
# star_schema records LATEST_YEAR_SQL's answer on its fact_progress materialization, so the chain can
# start without opening the warehouse while a queued run (the year-end schedule, a UI launch) may
# already be writing it: DuckDB refuses even a read-only open then (issue 19).
LATEST_YEAR_KEY = "scorecard/latest_data_year"


def clamp_year(year: int | None, today: dt.date | None = None) -> int:
    """``year`` within [2017, this year]; 2017 when there is no data."""
    today = today or dt.datetime.now(ZoneInfo(REVIEW_TIMEZONE)).date()
    if year is None:
        return FIRST_REVIEW_YEAR
    return max(FIRST_REVIEW_YEAR, min(int(year), today.year))


def latest_data_year(warehouse: Path, today: dt.date | None = None) -> int:
    """The latest year with a progress report or an expert review in the warehouse, within
    [first review year, this year]. Opens the file read-only for one query (retrying while a writer holds it)."""
    import duckdb

    for attempt in range(10):
        try:
            con = duckdb.connect(str(warehouse), read_only=True)
        except duckdb.IOException:
            if attempt == 9:
                raise
            time.sleep(1)
            continue
        try:
            year = con.sql(LATEST_YEAR_SQL).fetchall()[0][0]
        finally:
            con.close()
        break
    return clamp_year(year, today)


def recorded_latest_year(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The latest data year the ingest run ``run_id`` recorded (star_schema metadata), if any."""
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    for record in reversed(records):
        value = record.asset_materialization.metadata.get(LATEST_YEAR_KEY) if record.asset_materialization else None
        if value is not None and value.value is not None:
            return int(value.value)
    return None


def chain_request(
    job_name: str, tags: dict[str, str], run_id: str, warehouse: Path, recorded_year: int | None = None
) -> dg.RunRequest | dg.SkipReason:
    """What to launch after a successful run of ``job_name`` (tags: that run's tags). For an ingest,
    ``recorded_year`` is the latest data year the run recorded; without it the warehouse is read."""
    if job_name == ingest_job.name:
        if tags.get("dagster/sensor_name") != "raw_files_sensor" and tags.get("dagster/from_ui") != "true":
            return dg.SkipReason(f"ingest run {run_id} was not started by raw_files_sensor or the UI: no review chain")
        through = clamp_year(recorded_year) if recorded_year is not None else latest_data_year(warehouse)
        chain, year = run_id, FIRST_REVIEW_YEAR
    elif job_name == annual_review_job.name and CHAIN_TAG in tags:
        chain, through = tags[CHAIN_TAG], int(tags[THROUGH_TAG])
        year = int(tags["dagster/partition"]) + 1
        if year > through:
            return dg.SkipReason(f"review chain {chain[:8]} finished with {year - 1}")
    else:
        return dg.SkipReason(f"run {run_id} of {job_name} is not part of a review chain")
    return dg.RunRequest(
        run_key=f"chain-{chain}-{year}",
        partition_key=str(year),
        tags={CHAIN_TAG: chain, THROUGH_TAG: str(through), "scorecard/trigger": "review_after_ingest"},
    )


@dg.run_status_sensor(
    name="review_after_ingest",
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[ingest_job, annual_review_job],
    request_job=annual_review_job,
    default_status=default_sensor_status(),
    minimum_interval_seconds=15,
    description=(
        "After a successful ingest_job (from raw_files_sensor or the UI): annual_review_job for the first review year, then each "
        "next year after the previous one succeeds, up to the latest year present in the warehouse."
    ),
)
def review_after_ingest(context: dg.RunStatusSensorContext):
    run = context.dagster_run
    recorded = recorded_latest_year(context.instance, run.run_id) if run.job_name == ingest_job.name else None
    result = chain_request(run.job_name, dict(run.tags), run.run_id, get_settings().warehouse, recorded)
    if isinstance(result, dg.SkipReason):
        context.log.info(result.skip_message or "")
        return result
    return result


sensors = [raw_files_sensor, review_after_ingest]
