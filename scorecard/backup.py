"""Backups of a running platform: ``scorecard backup --out DIR`` and ``scorecard restore DIR``.

A snapshot is one folder ``DIR/scorecard-backup-<UTC time>/`` holding

* ``warehouse/<name>.duckdb`` — the DuckDB warehouse, checkpointed and copied while this process
  holds the warehouse writer lock (``pipelines.resources.warehouse_lock``), so no run writes it
  meanwhile; the report asset writes its year folders under the same lock, so the reports copied in
  the same locked section belong to the same state of the warehouse;
* ``reports/<Y>/…`` — every published year folder (hidden staging folders are skipped);
* ``portal/users.yaml``, ``portal/audit.log`` and ``portal/revoked-sessions`` — the portal accounts,
  the audit log (up to its last complete line) and, where the portal keeps one, its list of
  logged-out sessions (restoring accounts without it would make logged-out cookies valid again);
* ``config/…`` — every file the settings name (today the rubric; any later ``Path`` setting that
  points to a file, e.g. a programme file, and ``programmes/*.yaml`` when that folder exists);
* ``backup-manifest.json`` — every file with its size and SHA-256, the row count of every warehouse
  table, where each item came from.

The snapshot is written under a hidden ``.partial`` name and renamed when complete, so a crashed
backup never looks like a snapshot. Retention: after a successful backup only the newest ``keep``
snapshots are kept. ``restore`` checks every hash first, then copies into an empty data folder (the
configured locations, or the default layout under ``--into``) and checks the warehouse row counts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import duckdb

from scorecard.settings import PROJECT_ROOT, Settings, get_settings

SCHEMA = "scorecard-backup/1"
PREFIX = "scorecard-backup-"
MANIFEST = "backup-manifest.json"
DEFAULT_KEEP = 7
REVOCATIONS = "revoked-sessions"  # the portal's default name, beside the accounts file
_CHUNK = 1 << 20


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the message names the file and the problem."""


@dataclasses.dataclass(frozen=True)
class DataLocations:
    """Where the platform keeps what a backup holds."""

    warehouse: Path
    reports_dir: Path
    users_file: Path
    audit_log: Path
    revocations: Path  # the portal's logged-out sessions, where the portal keeps them (else never present)

    @classmethod
    def from_settings(cls) -> DataLocations:
        from scorecard.portal.config import get_portal_settings

        portal = get_portal_settings()
        revocations = getattr(portal, "revocations", None) or portal.users_file.with_name(REVOCATIONS)
        return cls(get_settings().warehouse, portal.reports_dir, portal.users_file, portal.audit_log, revocations)

    @classmethod
    def under(cls, data_dir: Path, warehouse_name: str = "scorecard.duckdb") -> DataLocations:
        """The default layout (data/warehouse, data/reports, data/portal) under ``data_dir``."""
        portal = data_dir / "portal"
        return cls(
            data_dir / "warehouse" / warehouse_name,
            data_dir / "reports",
            portal / "users.yaml",
            portal / "audit.log",
            portal / REVOCATIONS,
        )

    def portal_files(self) -> list[tuple[str, str, Path]]:
        """(kind, path in the snapshot, location) of the portal's files."""
        return [
            ("accounts", "portal/users.yaml", self.users_file),
            ("audit_log", "portal/audit.log", self.audit_log),
            ("revocations", f"portal/{REVOCATIONS}", self.revocations),
        ]


# ----------------------------------------------------------------------------- small file helpers
def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_file(src: Path, dst: Path, limit: int | None = None) -> None:
    """Copy ``src`` (its first ``limit`` bytes) to ``dst``, fsync'd, keeping the mode bits."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    with src.open("rb") as fin, dst.open("wb") as fout:
        remaining = limit
        while remaining is None or remaining > 0:
            block = fin.read(_CHUNK if remaining is None else min(_CHUNK, remaining))
            if not block:
                break
            fout.write(block)
            if remaining is not None:
                remaining -= len(block)
        fout.flush()
        os.fsync(fout.fileno())
    shutil.copymode(src, dst)


def _complete_lines_size(path: Path) -> int:
    """Bytes up to and including the last newline (a line being appended is left out)."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        pos = size
        while pos > 0:
            step = min(_CHUNK, pos)
            fh.seek(pos - step)
            block = fh.read(step)
            cut = block.rfind(b"\n")
            if cut >= 0:
                return pos - step + cut + 1
            pos -= step
    return 0


# ----------------------------------------------------------------------------- what goes in
def config_files(settings: Settings | None = None) -> list[Path]:
    """Every file a setting names (the rubric; any later file setting such as a programme file), and
    ``programmes/*.yaml`` when that folder exists. Settings that name folders or missing files are
    skipped, so a setting added later is picked up without a change here."""
    settings = settings or get_settings()
    found: list[Path] = []
    for field in dataclasses.fields(settings):
        if field.name == "warehouse":
            continue
        value = getattr(settings, field.name)
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, Path) and item.is_file():
                found.append(item)
    programmes = PROJECT_ROOT / "programmes"
    if programmes.is_dir():
        found.extend(sorted(programmes.glob("*.yaml")))
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path.resolve())
    return list(unique.values())


def report_years(reports_dir: Path) -> list[Path]:
    """The published year folders (``2019/``), not the hidden staging folders beside them."""
    if not reports_dir.is_dir():
        return []
    return sorted(p for p in reports_dir.iterdir() if p.is_dir() and not p.is_symlink() and p.name.isdigit())


def base_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(schema, table) of every base table (no views), in name order."""
    return con.sql(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' ORDER BY 1, 2"
    ).fetchall()


def table_counts(database: Path) -> dict[str, int]:
    """``schema.table`` → row count of every table, read from a read-only connection."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        return {f"{s}.{t}": con.sql(f'SELECT count(*) FROM "{s}"."{t}"').fetchall()[0][0] for s, t in base_tables(con)}
    finally:
        con.close()


# ----------------------------------------------------------------------------- backup
@contextmanager
def _backup_dir_lock(out_dir: Path):
    """One backup at a time per backup folder (partial folders of others are not ours to delete)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fh = (out_dir / ".backup.lock").open("a")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(f"{out_dir}: another backup is writing there; try again when it has finished") from None
        yield
    finally:
        fh.close()


def _snapshot_name(out_dir: Path, now: dt.datetime) -> str:
    base = PREFIX + now.strftime("%Y%m%dT%H%M%SZ")
    name, n = base, 1
    while (out_dir / name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def _connect_for_checkpoint(source: Path, attempts: int = 20) -> duckdb.DuckDBPyConnection:
    """A writable connection; a reader that has the file open for a moment (the review sensor reads
    the latest data year) is waited for, up to ``attempts`` half-seconds."""
    for attempt in range(attempts):
        try:
            return duckdb.connect(str(source))
        except duckdb.IOException as exc:
            if attempt == attempts - 1:
                raise BackupError(f"{source}: cannot be opened for the backup checkpoint ({exc})") from None
            time.sleep(0.5)
    raise AssertionError("unreachable")


def _copy_warehouse(source: Path, stage: Path) -> Path | None:
    """Checkpoint and copy the warehouse; call under the writer lock. None if there is none yet."""
    if not source.exists():
        return None
    con = _connect_for_checkpoint(source)
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()
    target = stage / "warehouse" / source.name
    _copy_file(source, target)
    wal = Path(str(source) + ".wal")
    if wal.exists():  # not expected after a checkpoint; copied so the snapshot equals the source
        _copy_file(wal, Path(str(target) + ".wal"))
    return target


def _copy_reports(reports_dir: Path, stage: Path) -> list[int]:
    years = report_years(reports_dir)
    for folder in years:
        shutil.copytree(folder, stage / "reports" / folder.name, symlinks=True, copy_function=shutil.copy2)
    return [int(f.name) for f in years]


def _copy_portal(loc: DataLocations, stage: Path) -> list[str]:
    """Accounts, audit log (up to its last complete line), logged-out sessions: those that exist."""
    copied = []
    for kind, rel, source in loc.portal_files():
        if source.is_file():
            limit = _complete_lines_size(source) if kind == "audit_log" else None
            _copy_file(source, stage / rel, limit=limit)
            copied.append(kind)
    return copied


def _copy_config(files: list[Path], stage: Path) -> dict[str, str]:
    """backup path → original absolute path."""
    placed: dict[str, str] = {}
    for src in files:
        name, n = src.name, 1
        while f"config/{name}" in placed:
            n += 1
            name = f"{src.stem}-{n}{src.suffix}"
        _copy_file(src, stage / "config" / name)
        placed[f"config/{name}"] = str(src)
    return placed


def _kind_of(rel: str) -> str:
    top = rel.split("/", 1)[0]
    if top == "portal":
        return {"users.yaml": "accounts", "audit.log": "audit_log", REVOCATIONS: "revocations"}[rel.split("/")[-1]]
    return {"warehouse": "warehouse", "reports": "report", "config": "config"}[top]


def _file_entries(stage: Path, config_origin: dict[str, str]) -> list[dict]:
    entries = []
    for path in sorted(p for p in stage.rglob("*") if p.is_file()):
        rel = path.relative_to(stage).as_posix()
        entry = {"path": rel, "kind": _kind_of(rel), "bytes": path.stat().st_size, "sha256": sha256_of(path)}
        if rel in config_origin:
            entry["restore_to"] = config_origin[rel]
        entries.append(entry)
    return entries


def _code_version() -> str:
    from scorecard import __version__

    return __version__


def backup(
    out_dir: Path,
    keep: int = DEFAULT_KEEP,
    locations: DataLocations | None = None,
    echo: Callable[[str], None] = print,
    now: dt.datetime | None = None,
) -> Path:
    """Write one snapshot into ``out_dir``, then keep only the newest ``keep``. Returns its folder."""
    from pipelines.resources import warehouse_lock

    if keep < 1:
        raise BackupError(f"keep must be at least 1 (got {keep})")
    loc = locations or DataLocations.from_settings()
    now = now or dt.datetime.now(dt.UTC)
    with _backup_dir_lock(out_dir):
        for stale in out_dir.glob(f".{PREFIX}*.partial"):
            shutil.rmtree(stale, ignore_errors=True)
        name = _snapshot_name(out_dir, now)
        stage = out_dir / f".{name}.partial"
        stage.mkdir()
        with warehouse_lock(loc.warehouse, echo=echo):
            warehouse_copy = _copy_warehouse(loc.warehouse, stage)
            years = _copy_reports(loc.reports_dir, stage)
        portal = _copy_portal(loc, stage)
        config_origin = _copy_config(config_files(), stage)
        manifest = {
            "schema": SCHEMA,
            "created_at": now.isoformat(timespec="seconds"),
            "code_version": _code_version(),
            "duckdb_version": duckdb.__version__,
            "source": {k: str(v) for k, v in dataclasses.asdict(loc).items()},
            "warehouse": None
            if warehouse_copy is None
            else {
                "file": warehouse_copy.relative_to(stage).as_posix(),
                "tables": table_counts(warehouse_copy),
            },
            "report_years": years,
            "portal": portal,
            "files": _file_entries(stage, config_origin),
        }
        _write_json(stage / MANIFEST, manifest)
        final = out_dir / name
        stage.rename(final)
        _fsync_dir(out_dir)
        removed = apply_retention(out_dir, keep)
    total = sum(f["bytes"] for f in manifest["files"])
    echo(
        f"backup {final}: {len(manifest['files'])} files, {total / 1e6:.1f} MB; "
        f"warehouse {'absent' if warehouse_copy is None else 'copied'}, report years {years or 'none'}, "
        f"portal {', '.join(portal) or 'nothing'}, {len(config_origin)} config file(s)"
    )
    for old in removed:
        echo(f"removed old backup {old} (keeping {keep})")
    return final


def _write_json(path: Path, data: dict) -> None:
    with path.open("w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2, sort_keys=True)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())


def snapshots(out_dir: Path) -> list[Path]:
    """Complete snapshots in ``out_dir``, oldest first (names sort by time)."""
    if not out_dir.is_dir():
        return []
    return sorted(p for p in out_dir.iterdir() if p.is_dir() and p.name.startswith(PREFIX) and (p / MANIFEST).is_file())


def apply_retention(out_dir: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` snapshots; only folders that are snapshots are touched."""
    old = snapshots(out_dir)[:-keep]
    for folder in old:
        shutil.rmtree(folder)
    return old


# ----------------------------------------------------------------------------- restore
def find_snapshot(path: Path) -> Path:
    """``path`` itself when it is a snapshot, else the newest snapshot inside it."""
    if (path / MANIFEST).is_file():
        return path
    found = snapshots(path)
    if not found:
        raise BackupError(f"{path}: neither a backup snapshot ({MANIFEST}) nor a folder of {PREFIX}* snapshots")
    return found[-1]


def load_manifest(snapshot: Path) -> dict:
    try:
        manifest = json.loads((snapshot / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{snapshot / MANIFEST}: cannot be read as JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("schema") != SCHEMA:
        raise BackupError(f"{snapshot / MANIFEST}: schema is not {SCHEMA!r}")
    return manifest


def verify_snapshot(snapshot: Path, manifest: dict) -> None:
    """Every listed file present with its size and SHA-256, and no file that is not listed."""
    problems = []
    listed = set()
    for entry in manifest.get("files", []):
        rel = entry["path"]
        listed.add(rel)
        path = snapshot / rel
        if ".." in Path(rel).parts or Path(rel).is_absolute():
            problems.append(f"{rel}: not a path inside the snapshot")
        elif not path.is_file():
            problems.append(f"{rel}: missing")
        elif path.stat().st_size != entry["bytes"] or sha256_of(path) != entry["sha256"]:
            problems.append(f"{rel}: size or SHA-256 differs from the manifest")
    extra = [p.relative_to(snapshot).as_posix() for p in snapshot.rglob("*") if p.is_file()]
    problems += [f"{rel}: not in the manifest" for rel in sorted(set(extra) - listed - {MANIFEST})]
    if problems:
        raise BackupError(f"backup {snapshot} is damaged, nothing restored: " + "; ".join(problems[:10]))


def _refuse_non_empty(loc: DataLocations, manifest: dict) -> None:
    busy = []
    if manifest.get("warehouse") and loc.warehouse.exists():
        busy.append(str(loc.warehouse))
    if manifest.get("report_years") and loc.reports_dir.is_dir() and any(loc.reports_dir.iterdir()):
        busy.append(str(loc.reports_dir))
    for kind, _, path in loc.portal_files():
        if kind in manifest.get("portal", []) and path.exists():
            busy.append(str(path))
    if busy:
        raise BackupError(
            "restore needs an empty data folder; these exist already (move them away first): " + ", ".join(busy)
        )


def _restore_file(src: Path, dst: Path) -> None:
    """Copy to a temporary name beside ``dst``, then rename: a crash leaves no half file under its name."""
    tmp = dst.with_name(f".{dst.name}.restoring")
    _copy_file(src, tmp)
    tmp.rename(dst)


def _restore_reports(snapshot: Path, reports_dir: Path) -> None:
    reports_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = reports_dir.with_name(f".{reports_dir.name}.restoring")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(snapshot / "reports", tmp, symlinks=True, copy_function=shutil.copy2)
    if reports_dir.is_dir():
        reports_dir.rmdir()  # empty (checked before)
    tmp.rename(reports_dir)


def _restore_config(snapshot: Path, manifest: dict, config_dir: Path | None, echo) -> list[str]:
    restored = []
    for entry in manifest["files"]:
        if entry["kind"] != "config":
            continue
        target = config_dir / Path(entry["path"]).name if config_dir else Path(entry["restore_to"])
        if target.exists():
            if sha256_of(target) == entry["sha256"]:
                continue
            echo(f"kept {target}: it differs from the backup's copy ({snapshot / entry['path']})")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        _restore_file(snapshot / entry["path"], target)
        restored.append(str(target))
    return restored


def restore(path: Path, into: Path | None = None, echo: Callable[[str], None] = print) -> DataLocations:
    """Restore the snapshot ``path`` (or the newest one inside it) into an empty data folder: the
    configured locations, or the default layout under ``into``. Returns where it wrote."""
    snapshot = find_snapshot(path)
    manifest = load_manifest(snapshot)
    verify_snapshot(snapshot, manifest)
    warehouse_info = manifest.get("warehouse")
    warehouse_name = Path(warehouse_info["file"]).name if warehouse_info else "scorecard.duckdb"
    loc = DataLocations.under(into, warehouse_name) if into else DataLocations.from_settings()
    _refuse_non_empty(loc, manifest)
    if warehouse_info:
        loc.warehouse.parent.mkdir(parents=True, exist_ok=True)
        _restore_file(snapshot / warehouse_info["file"], loc.warehouse)
        wal = snapshot / (warehouse_info["file"] + ".wal")
        if wal.exists():
            _restore_file(wal, Path(str(loc.warehouse) + ".wal"))
        counts = table_counts(loc.warehouse)
        if counts != warehouse_info["tables"]:
            raise BackupError(f"{loc.warehouse}: restored, but its table row counts differ from the manifest")
    if manifest.get("report_years"):
        _restore_reports(snapshot, loc.reports_dir)
    for kind, rel, target in loc.portal_files():
        if kind in manifest.get("portal", []):
            target.parent.mkdir(parents=True, exist_ok=True)
            _restore_file(snapshot / rel, target)
    config = _restore_config(snapshot, manifest, into / "config" if into else None, echo)
    echo(
        f"restored {snapshot} ({manifest['created_at']}): warehouse {loc.warehouse if warehouse_info else 'none'}, "
        f"report years {manifest.get('report_years') or 'none'} in {loc.reports_dir}, "
        f"portal {', '.join(manifest.get('portal', [])) or 'nothing'}, config {', '.join(config) or 'unchanged'}"
    )
    return loc
