"""Concurrent runs on one warehouse (issue 9 item 4): DuckDB allows one writer per file across
processes, so a second process waits for the first — saying "waiting for the warehouse lock held by
PID …" — within a bound, or fails with a message naming the holder; a killed holder never leaves a
stale lock; two runs never give a mixed result. Real child processes, a real DuckDB file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pipelines.resources import Warehouse
    from pathlib import Path
    db, tag, release = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    with Warehouse(database=db).get_connection() as con:
        con.execute("CREATE TABLE IF NOT EXISTS log (tag VARCHAR, t DOUBLE)")
        con.execute("INSERT INTO log VALUES (?, ?)", [tag, time.time()])
        print("holding", flush=True)
        deadline = time.time() + 120
        while not release.exists() and time.time() < deadline:  # hold until the test says so
            time.sleep(0.05)
    print("released", flush=True)
    """
)

RUN = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from pipelines.resources import Warehouse, ensure_schemas, warehouse_lock
    from scorecard.contracts import DATASETS
    from scorecard.db import transaction
    from scorecard.ingest import load_dataset
    from scorecard.warehouse import build_warehouse
    db, raw = sys.argv[1], Path(sys.argv[2])
    warehouse = Warehouse(database=db)
    with warehouse_lock(db):  # the run holds the warehouse; its assets' connections re-enter
        print("run started", flush=True)
        for dataset in DATASETS.values():  # one connection per asset, as in a Dagster run
            with warehouse.get_connection() as con:
                ensure_schemas(con)
                load_dataset(con, dataset, raw)
            # Between two assets no connection is open: without the run's lock, another run could
            # slip in here and leave projects from one run and facts from the other.
            release = os.environ.get("RELEASE")
            while release and not Path(release).exists():
                time.sleep(0.05)
        with warehouse.get_connection() as con:
            with transaction(con):
                build_warehouse(con)
    print("run done", flush=True)
    """
)


def script(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def env(**extra: str) -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


def start(args: list[str], **extra: str) -> subprocess.Popen:
    return subprocess.Popen(args, env=env(**extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(proc: subprocess.Popen, text: str, timeout: float = 60, stream: str = "stdout") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = getattr(proc, stream).readline()
        if text in line:
            return
        if not line and proc.poll() is not None:
            break
    other = proc.stderr if stream == "stdout" else proc.stdout
    raise AssertionError(f"never printed {text!r}: {other.read()[-2000:]}")


def test_second_process_waits_for_the_first_and_names_its_pid(tmp_path):
    db = str(tmp_path / "w.duckdb")
    holder = script(tmp_path, "holder.py", HOLDER)
    release = tmp_path / "release"
    first = start([PYTHON, str(holder), db, "first", str(release)])
    try:
        wait_for(first, "holding")
        second = start([PYTHON, str(holder), db, "second", str(tmp_path / "now")])
        (tmp_path / "now").touch()
        wait_for(second, f"waiting for the warehouse lock held by PID {first.pid}", stream="stderr")
        assert second.poll() is None, "the second process waits"
        release.touch()
        assert first.wait(timeout=60) == 0
        assert second.wait(timeout=60) == 0
    finally:
        first.kill()
    con = duckdb.connect(db, read_only=True)
    rows = con.sql("SELECT tag FROM log ORDER BY t").fetchall()
    con.close()
    assert rows == [("first",), ("second",)]


def test_wait_is_bounded_and_the_error_names_the_holder(tmp_path):
    db = str(tmp_path / "w.duckdb")
    holder = script(tmp_path, "holder.py", HOLDER)
    first = start([PYTHON, str(holder), db, "first", str(tmp_path / "never")])
    try:
        wait_for(first, "holding")
        started = time.monotonic()
        second = subprocess.run(
            [PYTHON, str(holder), db, "second", str(tmp_path)],
            env=env(SCORECARD_LOCK_TIMEOUT="1.5"),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode != 0
        assert "WarehouseLockTimeout" in second.stderr
        assert f"lock held by PID {first.pid}: holder.py" in second.stderr
        assert "SCORECARD_LOCK_TIMEOUT" in second.stderr
        assert time.monotonic() - started < 30
    finally:
        first.kill()
        first.wait()


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    db = str(tmp_path / "w.duckdb")
    holder = script(tmp_path, "holder.py", HOLDER)
    first = start([PYTHON, str(holder), db, "first", str(tmp_path / "never")])
    wait_for(first, "holding")
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    assert Path(db + ".lock").exists()
    started = time.monotonic()
    second = subprocess.run(
        [PYTHON, str(holder), db, "second", str(tmp_path)], env=env(), capture_output=True, text=True, timeout=120
    )
    assert second.returncode == 0, second.stderr
    assert "waiting" not in second.stderr
    assert time.monotonic() - started < 30
    con = duckdb.connect(db, read_only=True)
    tags = [r[0] for r in con.sql("SELECT tag FROM log ORDER BY t").fetchall()]
    con.close()
    assert tags[-1] == "second"  # the killed holder's uncommitted-or-committed row aside, the file is usable


@pytest.mark.slow
def test_two_runs_on_one_warehouse_never_mix(tmp_path):
    """Two runs with different raw folders started together: the second waits for the whole first
    run, so the warehouse ends as exactly the second run's data — never projects of one and facts
    of the other."""
    from scorecard.generate import generate

    generate(tmp_path / "A", projects=12, seed=21, fmt="csv", messy=False)
    generate(tmp_path / "B", projects=16, seed=22, fmt="csv", messy=False)
    run = script(tmp_path, "run.py", RUN)
    db = str(tmp_path / "w.duckdb")
    release = tmp_path / "release"
    first = start([PYTHON, str(run), db, str(tmp_path / "A")], RELEASE=str(release))
    try:
        wait_for(first, "run started")
        second = start([PYTHON, str(run), db, str(tmp_path / "B")])
        wait_for(second, f"waiting for the warehouse lock held by PID {first.pid}", stream="stderr")
        release.touch()  # the first run goes on after its first asset; the second still waits
        assert first.wait(timeout=120) == 0
        out, err = second.communicate(timeout=180)
        assert second.returncode == 0, err
    finally:
        first.kill()
    con = duckdb.connect(db, read_only=True)
    files = con.sql(
        "SELECT DISTINCT file_sha256 FROM raw.load_log WHERE load_id IN (SELECT load_id FROM raw.load_state)"
    ).fetchall()
    counts = con.sql("SELECT (SELECT count(*) FROM raw.projects), (SELECT count(*) FROM dim_project)").fetchall()[0]
    con.close()
    from scorecard.reader import file_sha256

    b_hashes = {file_sha256(p) for p in (tmp_path / "B").iterdir()}
    assert {f[0] for f in files} == b_hashes, "every dataset's current rows come from the second run's files"
    assert counts == (16, 16)


@pytest.mark.slow
def test_scorecard_run_fails_clearly_when_the_warehouse_stays_busy(tmp_path):
    """`scorecard run` against a warehouse another process holds: it waits (bounded), then exits
    non-zero with the holder's PID in its last lines — no DuckDB lock trace, nothing written."""
    from scorecard.generate import generate

    generate(tmp_path / "raw", projects=5, seed=3, fmt="csv", messy=False)
    db = str(tmp_path / "w.duckdb")
    holder = script(tmp_path, "holder.py", HOLDER)
    first = start([PYTHON, str(holder), db, "first", str(tmp_path / "never")])
    try:
        wait_for(first, "holding")
        run = subprocess.run(
            [PYTHON, "-c", "from scorecard.cli import cli; cli()", "run", "--years", "2018"],
            env=env(
                SCORECARD_RAW_DIR=str(tmp_path / "raw"),
                SCORECARD_WAREHOUSE=db,
                SCORECARD_REPORTS_DIR=str(tmp_path / "reports"),
                SCORECARD_LOCK_TIMEOUT="2",
            ),
            capture_output=True,
            text=True,
            timeout=170,
            cwd=tmp_path,
        )
    finally:
        first.kill()
        first.wait()
    assert run.returncode != 0
    assert f"waiting for the warehouse lock held by PID {first.pid}" in run.stdout + run.stderr
    last = (run.stdout + run.stderr).strip().splitlines()[-3:]
    assert any(f"lock held by PID {first.pid}" in line for line in last), last
    con = duckdb.connect(db, read_only=True)
    assert con.sql("SELECT tag FROM log").fetchall() == [("first",)]
    con.close()
