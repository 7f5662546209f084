"""Backups (issue 19): `scorecard backup --out DIR` then `scorecard restore DIR --into EMPTY` gives the
same warehouse tables row for row, the same report files (SHA-256), accounts and audit log; retention
by count; a damaged snapshot or a non-empty target restores nothing; the backup waits for the
warehouse writer lock.

The warehouse is the hand-made one of the report tests (real DuckDB file, every mart filled); the
report folders are manifest-consistent year folders like the portal tests'; accounts are argon2.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from report_fixtures import build_fixture_warehouse
from test_portal import BASE_USERS, build_year, write_users

from scorecard.backup import MANIFEST, BackupError, DataLocations, backup, base_tables, restore, snapshots

REPO_ROOT = Path(__file__).resolve().parents[1]
SCORECARD = REPO_ROOT / ".venv" / "bin" / "scorecard"
HOLD_THE_LOCK = (
    "import sys, time; from pipelines.resources import warehouse_lock\n"
    "with warehouse_lock(sys.argv[1]):\n    print('held', flush=True); time.sleep(3)\n"
)
AUDIT_LINES = [
    {"ts": "2026-11-27T06:12:03.512+00:00", "event": "login", "user": "pingjia", "ip": "10.0.0.7"},
    {
        "ts": "2026-11-27T06:12:09.001+00:00",
        "event": "download",
        "user": "pingjia",
        "year": 2019,
        "file": "performance-evaluation-2019.pdf",
    },
]


@pytest.fixture
def data(tmp_path, monkeypatch):
    """A data folder with a warehouse, two report years (and a staging leftover), accounts, an audit
    log whose last line is still being written, logged-out sessions, and a rubric; the settings point at it."""
    root = tmp_path / "data"
    loc = DataLocations.under(root)
    loc.warehouse.parent.mkdir(parents=True)
    con = duckdb.connect(str(loc.warehouse))
    build_fixture_warehouse(con)
    con.close()
    for year in (2018, 2019):
        build_year(loc.reports_dir, year)
    (loc.reports_dir / ".2019.staging-4242").mkdir()
    (loc.reports_dir / ".2019.staging-4242" / "half-written.pdf").write_bytes(b"%PDF-")
    write_users(loc.users_file, BASE_USERS)
    complete = "".join(json.dumps(line) + "\n" for line in AUDIT_LINES)
    loc.audit_log.write_text(complete + '{"ts": "2026-11-27T06:13', encoding="utf-8")
    loc.revocations.write_text("3f1c0a9e2b7d4c11 1796169600\n", encoding="utf-8")
    rubric = tmp_path / "rubrics" / "rubric-test.yaml"
    rubric.parent.mkdir()
    rubric.write_bytes((REPO_ROOT / "rubrics" / "rubric-v1.yaml").read_bytes())
    env = {
        "SCORECARD_WAREHOUSE": loc.warehouse,
        "SCORECARD_REPORTS_DIR": loc.reports_dir,
        "SCORECARD_PORTAL_USERS": loc.users_file,
        "SCORECARD_PORTAL_AUDIT_LOG": loc.audit_log,
        "SCORECARD_RUBRIC": rubric,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, str(value))
    return {"loc": loc, "rubric": rubric, "audit_complete": complete, "env": {k: str(v) for k, v in env.items()}}


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCORECARD), *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=120, check=False
    )


def _tables(database: Path) -> dict[str, list[tuple]]:
    """Every table of every schema, all rows in a fixed order."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        return {f"{s}.{t}": con.sql(f'SELECT * FROM "{s}"."{t}" ORDER BY ALL').fetchall() for s, t in base_tables(con)}
    finally:
        con.close()


def _hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_backup_then_restore_into_an_empty_folder_is_identical(data, tmp_path):
    loc = data["loc"]
    out = tmp_path / "backups"
    done = _cli("backup", "--out", str(out), env=data["env"])
    assert done.returncode == 0, done.stderr
    [snapshot] = snapshots(out)
    assert f"backup {snapshot}" in done.stdout

    manifest = json.loads((snapshot / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["schema"] == "scorecard-backup/1"
    assert manifest["report_years"] == [2018, 2019]
    assert manifest["portal"] == ["accounts", "audit_log", "revocations"]
    source_tables = _tables(loc.warehouse)
    assert manifest["warehouse"]["tables"] == {name: len(rows) for name, rows in source_tables.items()}
    assert manifest["warehouse"]["tables"]["mart.project_review"] > 0
    kinds = {}
    for entry in manifest["files"]:
        kinds[entry["kind"]] = kinds.get(entry["kind"], 0) + 1
        assert hashlib.sha256((snapshot / entry["path"]).read_bytes()).hexdigest() == entry["sha256"]
    # config: the rubric and the programme file
    assert kinds == {"warehouse": 1, "report": 14, "accounts": 1, "audit_log": 1, "revocations": 1, "config": 2}
    assert not any(".staging" in e["path"] for e in manifest["files"])

    target = tmp_path / "restored"
    done = _cli("restore", str(out), "--into", str(target), env=data["env"])
    assert done.returncode == 0, done.stderr
    restored = DataLocations.under(target)

    assert _tables(restored.warehouse) == source_tables  # row for row, every table
    source_reports = {k: v for k, v in _hashes(loc.reports_dir).items() if ".staging" not in k}
    assert _hashes(restored.reports_dir) == source_reports
    assert len(source_reports) == 14
    assert restored.users_file.read_bytes() == loc.users_file.read_bytes()
    assert oct(restored.users_file.stat().st_mode & 0o777) == oct(loc.users_file.stat().st_mode & 0o777)
    assert restored.audit_log.read_text(encoding="utf-8") == data["audit_complete"]
    assert restored.revocations.read_bytes() == loc.revocations.read_bytes()
    assert (target / "config" / "rubric-test.yaml").read_bytes() == data["rubric"].read_bytes()


def test_retention_keeps_the_newest_snapshots_and_nothing_else_is_touched(data, tmp_path):
    out = tmp_path / "backups"
    out.mkdir()
    (out / "notes.txt").write_text("operator's notes")
    (out / "scorecard-backup-manual-copy").mkdir()  # no manifest: not a snapshot, never removed
    start = dt.datetime(2026, 12, 1, 3, 30, tzinfo=dt.UTC)
    made = [backup(out, keep=2, echo=lambda _: None, now=start + dt.timedelta(days=i)) for i in range(4)]
    assert [p.name for p in snapshots(out)] == [
        "scorecard-backup-20261203T033000Z",
        "scorecard-backup-20261204T033000Z",
    ]
    assert snapshots(out) == made[2:]
    assert sorted(p.name for p in out.iterdir()) == [
        ".backup.lock",
        "notes.txt",
        "scorecard-backup-20261203T033000Z",
        "scorecard-backup-20261204T033000Z",
        "scorecard-backup-manual-copy",
    ]
    with pytest.raises(BackupError, match="keep must be at least 1"):
        backup(out, keep=0)


def test_damaged_snapshot_or_non_empty_target_restores_nothing(data, tmp_path):
    out = tmp_path / "backups"
    snapshot = backup(out, keep=3, echo=lambda _: None)
    target = tmp_path / "restored"

    pdf = snapshot / "reports" / "2019" / "performance-evaluation-2019.pdf"
    original = pdf.read_bytes()
    pdf.write_bytes(original[:-1] + b"X")
    with pytest.raises(
        BackupError,
        match=r"damaged, nothing restored: reports/2019/performance-evaluation-2019.pdf: "
        r"size or SHA-256 differs",
    ):
        restore(snapshot, into=target, echo=lambda _: None)
    assert not target.exists()
    pdf.write_bytes(original)

    (target / "warehouse").mkdir(parents=True)
    (target / "warehouse" / "scorecard.duckdb").write_bytes(b"someone else's warehouse")
    done = _cli("restore", str(snapshot), "--into", str(target), env=data["env"])
    assert done.returncode == 1
    assert "restore needs an empty data folder" in done.stderr and "scorecard.duckdb" in done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*")) == [
        "warehouse",
        "warehouse/scorecard.duckdb",
    ]

    done = _cli("restore", str(tmp_path), env=data["env"])
    assert done.returncode == 1 and "neither a backup snapshot" in done.stderr


def test_backup_waits_for_the_warehouse_writer_lock(data, tmp_path):
    loc = data["loc"]
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            HOLD_THE_LOCK,
            str(loc.warehouse),
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        said: list[str] = []
        started = time.perf_counter()
        snapshot = backup(tmp_path / "backups", keep=1, echo=said.append)
        waited = time.perf_counter() - started
    finally:
        holder.wait(timeout=30)
    assert said[0].startswith(f"waiting for the warehouse lock held by PID {holder.pid}")
    assert waited >= 1.5, waited
    assert (snapshot / "warehouse" / "scorecard.duckdb").is_file()
