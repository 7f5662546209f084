"""Dagster resources. Locations come from ``scorecard.settings`` (the SCORECARD_* environment
variables), read when the definitions load, so the UI and ``scorecard run`` agree."""

from __future__ import annotations

import fcntl
import os
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from scorecard.settings import get_settings

# Every asset that writes the warehouse runs in this pool; dagster.yaml gives it one slot, because
# DuckDB allows one writer per file (docs/architecture.md).
WRITER_POOL = "duckdb_writer"


class WarehouseLockTimeout(RuntimeError):
    """Another process held the warehouse for longer than SCORECARD_LOCK_TIMEOUT seconds."""


_held: dict[str, list] = {}  # lock file -> [open file, depth] held by this process
_held_guard = threading.Lock()


def lock_path(database: str | Path) -> Path:
    """The sidecar lock file next to the warehouse: ``scorecard.duckdb`` -> ``scorecard.duckdb.lock``."""
    return Path(str(database) + ".lock")


def _holder(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return "another process"
    return text or "another process"


@contextmanager
def warehouse_lock(database: str | Path, timeout: float | None = None, echo=None):
    """Hold the warehouse for this process (one writer per DuckDB file, docs/architecture.md).

    An exclusive ``flock`` on ``<warehouse>.lock``, whose text names the holder ("PID 1234: scorecard
    run"). A second process waits — saying once "waiting for the warehouse lock held by PID …" — for at
    most ``timeout`` seconds (SCORECARD_LOCK_TIMEOUT, default 900), then raises WarehouseLockTimeout
    naming the holder. The kernel drops the lock when its holder exits, even on SIGKILL, so a crashed
    run never leaves a stale lock. Re-entrant within a process: a run that holds it (``scorecard run``)
    opens connections under it freely. ``database=":memory:"`` takes no lock.
    """
    if str(database) == ":memory:" or str(database).startswith("md:"):
        yield
        return
    path = lock_path(database)
    key = str(path.resolve())
    with _held_guard:
        if key in _held:
            _held[key][1] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _held_guard:
                _held[key][1] -= 1
        return
    if timeout is None:
        timeout = float(os.environ.get("SCORECARD_LOCK_TIMEOUT", "900"))
    echo = echo or (lambda msg: print(msg, file=sys.stderr, flush=True))
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held until the block ends
    try:
        deadline = time.monotonic() + timeout
        said = False
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(path)
                if time.monotonic() >= deadline:
                    raise WarehouseLockTimeout(
                        f"the warehouse {database} is in use: lock held by {holder} for longer than {timeout:g} s "
                        f"(SCORECARD_LOCK_TIMEOUT); wait for that run to finish or stop it"
                    ) from None
                if not said:
                    echo(f"waiting for the warehouse lock held by {holder} (up to {timeout:g} s) …")
                    said = True
                time.sleep(0.2)
        fh.seek(0)
        fh.truncate()
        fh.write(
            f"PID {os.getpid()}: {' '.join(Path(a).name if i == 0 else a for i, a in enumerate(sys.argv))[:200]}\n"
        )
        fh.flush()
        with _held_guard:
            _held[key] = [fh, 1]
        try:
            yield
        finally:
            with _held_guard:
                del _held[key]
            fh.seek(0)
            fh.truncate()
            fh.flush()
            fcntl.flock(fh, fcntl.LOCK_UN)
    finally:
        fh.close()


class Warehouse(DuckDBResource):
    """The DuckDB warehouse file (SCORECARD_WAREHOUSE), one connection per asset, schemas ensured.

    A connection is opened under ``warehouse_lock``: a second process (another ``scorecard run``, a
    UI-launched run) waits for the first, with a message naming the holder's PID, instead of failing
    on DuckDB's "Could not set lock on file"."""

    @contextmanager
    def get_connection(self):  # type: ignore[override]
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        with warehouse_lock(self.database):
            with super().get_connection() as con:
                yield con


class ScorecardPaths(dg.ConfigurableResource):
    """Where raw files are read, reports written, and which rubric is official."""

    raw_dir: str
    reports_dir: str
    rubric: str
    report_lang: str = "zh+en"
    feedback_dir: str = ""  # the providers' feedback workbooks; empty: `feedback` beside the reports folder

    @property
    def raw(self) -> Path:
        return Path(self.raw_dir)

    @property
    def feedback(self) -> Path:
        return Path(self.feedback_dir) if self.feedback_dir else Path(self.reports_dir).parent / "feedback"

    @property
    def reports(self) -> Path:
        return Path(self.reports_dir)


def default_resources() -> dict:
    s = get_settings()
    connection_config: dict = {}
    if s.duckdb_threads:
        connection_config["threads"] = s.duckdb_threads
    if s.duckdb_memory_limit:
        connection_config["memory_limit"] = s.duckdb_memory_limit
    return {
        "warehouse": Warehouse(database=str(s.warehouse), connection_config=connection_config),
        "paths": ScorecardPaths(
            raw_dir=str(s.raw_dir),
            reports_dir=str(s.reports_dir),
            rubric=str(s.rubric),
            report_lang=s.report_lang,
            feedback_dir=str(s.feedback_dir or ""),
        ),
    }


def ensure_schemas(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw and mart schemas and tables if this is a new warehouse file (idempotent)."""
    from scorecard.db import run_sql
    from scorecard.warehouse import create_raw_tables

    create_raw_tables(con)
    run_sql(con, "mart/schema.sql")
