"""Load and verify one review year's report folder (docs/manifest.md; the format: ``scorecard.manifest``).

A year is *verified* when ``Y/manifest-Y.json`` parses, names year Y, and every deliverable it
lists exists as a regular file (no symlink anywhere below the year folder) with the listed size
and SHA-256. The portal serves only files from a verified manifest: request names are looked up
in :attr:`VerifiedYear.files`, never joined onto the filesystem.

Hashing every file on every request is costly, so :class:`ManifestVerifier` caches the result
keyed by the manifest's stat and each listed file's ``(inode, size, mtime_ns, ctime_ns)``: a
rewritten or replaced file changes the key and is hashed again, so tampering is still detected.
"""

from __future__ import annotations

import json
import os
import re
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scorecard.files import file_sha256, parse_mapping
from scorecard.manifest import KINDS, REQUIRED_KINDS, SCHEMA, manifest_name

# Content types come from the extension through this table, not from the manifest text.
MEDIA_TYPES: dict[str, str] = {
    ".pdf": "application/pdf",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".html": "text/html; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
}
_YEAR_DIR = re.compile(r"\A[0-9]{4}\Z")
_SEGMENT = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9._-]*\Z")
_HEX64 = re.compile(r"\A[0-9a-f]{64}\Z")


class ManifestError(Exception):
    """The year folder is not a complete, verified set; the message says why."""


@dataclass(frozen=True)
class FileStat:
    ino: int
    size: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileStat:
        return cls(st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


@dataclass(frozen=True)
class Deliverable:
    file: str  # relative, '/'-separated, as listed in the manifest
    kind: str
    sha256: str
    bytes: int
    media_type: str
    download_name: str
    path: Path
    stat: FileStat

    @property
    def ascii_name(self) -> str:
        return self.file.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class VerifiedYear:
    year: int
    folder: Path
    manifest: dict[str, Any]
    manifest_name: str
    manifest_bytes: bytes
    files: dict[str, Deliverable] = field(default_factory=dict)

    @property
    def summary(self) -> dict[str, Any]:
        summary = self.manifest.get("summary")
        return summary if isinstance(summary, dict) else {}

    def by_kind(self, kind: str) -> list[Deliverable]:
        return [d for d in self.files.values() if d.kind == kind]


def candidate_years(reports_dir: Path) -> list[int]:
    """Year folders (``YYYY``, real directories) that contain a manifest file, newest first."""
    years = []
    try:
        entries = list(os.scandir(reports_dir))
    except OSError:
        return []
    for entry in entries:
        year_dir = _YEAR_DIR.match(entry.name) and entry.is_dir(follow_symlinks=False)
        if year_dir and os.path.lexists(os.path.join(entry.path, manifest_name(int(entry.name)))):
            years.append(int(entry.name))
    return sorted(years, reverse=True)


def _lstat_regular(folder: Path, rel: str) -> tuple[Path, os.stat_result]:
    """lstat every component of ``rel`` under ``folder``; no symlinks, the last a regular file."""
    parts = rel.split("/")
    current = folder
    for i, part in enumerate(parts):
        current = current / part
        try:
            st = os.lstat(current)
        except OSError as exc:
            raise ManifestError(f"{rel}: missing ({exc.strerror})") from None
        if stat.S_ISLNK(st.st_mode):
            raise ManifestError(f"{rel}: symlink refused")
        last = i == len(parts) - 1
        if last and not stat.S_ISREG(st.st_mode):
            raise ManifestError(f"{rel}: not a regular file")
        if not last and not stat.S_ISDIR(st.st_mode):
            raise ManifestError(f"{rel}: {part} is not a directory")
    return current, st


def _check_rel(rel: Any, year: int) -> str:
    if not isinstance(rel, str) or not rel or "\\" in rel or rel.startswith("/"):
        raise ManifestError(f"bad file name {rel!r}")
    parts = rel.split("/")
    if any(p in ("", ".", "..") or not _SEGMENT.match(p) for p in parts):
        raise ManifestError(f"bad file name {rel!r}")
    if rel == manifest_name(year):
        raise ManifestError("the manifest must not list itself")
    if Path(rel).suffix.lower() not in MEDIA_TYPES:
        raise ManifestError(f"{rel}: unknown file type")
    return rel


def _clean_download_name(name: Any, fallback: str) -> str:
    if not isinstance(name, str):
        return fallback
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '/\\"')
    name = name.strip().lstrip(".")
    return name[:150] if name else fallback


def sha256_file(path: Path) -> str:
    """SHA-256 of a deliverable; a symlink is refused (``O_NOFOLLOW``)."""
    return file_sha256(path, follow_symlinks=False)


def _read_manifest(folder: Path, year: int) -> tuple[bytes, FileStat, dict[str, Any]]:
    name = manifest_name(year)
    path, st = _lstat_regular(folder, name)
    with open(path, "rb") as fh:
        raw = fh.read()
    doc = parse_mapping(
        raw, name, json.loads, (json.JSONDecodeError,), ManifestError, "not valid UTF-8 JSON", "not a JSON object"
    )
    if doc.get("schema") != SCHEMA:
        raise ManifestError(f"{name}: schema is {doc.get('schema')!r}, expected {SCHEMA!r}")
    if doc.get("review_year") != year:
        raise ManifestError(f"{name}: review_year {doc.get('review_year')!r} != folder {year}")
    if not isinstance(doc.get("deliverables"), list):
        raise ManifestError(f"{name}: deliverables is not a list")
    return raw, FileStat.of(st), doc


def _entries(doc: dict[str, Any], year: int) -> Iterator[tuple[str, dict[str, Any]]]:
    seen: set[str] = set()
    for item in doc["deliverables"]:
        if not isinstance(item, dict):
            raise ManifestError("a deliverable is not an object")
        rel = _check_rel(item.get("file"), year)
        if rel in seen:
            raise ManifestError(f"{rel}: listed twice")
        seen.add(rel)
        if item.get("kind") not in KINDS:
            raise ManifestError(f"{rel}: unknown kind {item.get('kind')!r}")
        if not isinstance(item.get("sha256"), str) or not _HEX64.match(item["sha256"].lower()):
            raise ManifestError(f"{rel}: bad sha256")
        if "bytes" in item and (not isinstance(item["bytes"], int) or item["bytes"] < 0):
            raise ManifestError(f"{rel}: bad bytes")
        yield rel, item


class ManifestVerifier:
    """Verifies year folders under ``reports_dir`` and caches the outcome per stat key."""

    def __init__(self, reports_dir: Path) -> None:
        self.reports_dir = Path(reports_dir)
        self._lock = threading.Lock()
        # year -> (key, VerifiedYear | ManifestError)
        self._cache: dict[int, tuple[tuple, VerifiedYear | ManifestError]] = {}
        # year -> (manifest FileStat, raw bytes, parsed doc): avoids re-parsing an unchanged manifest
        self._parsed: dict[int, tuple[FileStat, bytes, dict[str, Any]]] = {}
        self.hash_runs = 0  # how many full verifications ran (observable in tests)

    def folder(self, year: int) -> Path:
        return self.reports_dir / f"{year:04d}"

    def _manifest(self, year: int) -> tuple[bytes, FileStat, dict[str, Any]]:
        folder = self.folder(year)
        try:
            st = os.lstat(folder)
        except OSError:
            raise ManifestError(f"{year}: no report folder") from None
        if not stat.S_ISDIR(st.st_mode):
            raise ManifestError(f"{year}: report folder is not a directory (or is a symlink)")
        _, mst = _lstat_regular(folder, manifest_name(year))
        cached = self._parsed.get(year)
        if cached and cached[0] == FileStat.of(mst):
            return cached[1], cached[0], cached[2]
        raw, fst, doc = _read_manifest(folder, year)
        self._parsed[year] = (fst, raw, doc)
        return raw, fst, doc

    def verify(self, year: int) -> VerifiedYear:
        """Return the verified year or raise :class:`ManifestError`."""
        with self._lock:
            raw, mstat, doc = self._manifest(year)
            folder = self.folder(year)
            stats: list[tuple[str, dict[str, Any], Path, FileStat]] = []
            for rel, item in _entries(doc, year):
                path, st = _lstat_regular(folder, rel)
                stats.append((rel, item, path, FileStat.of(st)))
            key = (mstat, tuple((rel, fst) for rel, _, _, fst in stats))
            hit = self._cache.get(year)
            if hit and hit[0] == key:
                if isinstance(hit[1], ManifestError):
                    raise hit[1]
                return hit[1]
            try:
                result: VerifiedYear | ManifestError = self._verify_now(year, raw, doc, stats)
            except ManifestError as exc:
                result = exc
            self._cache[year] = (key, result)
            if isinstance(result, ManifestError):
                raise result
            return result

    def _verify_now(self, year, raw, doc, stats) -> VerifiedYear:
        self.hash_runs += 1
        folder = self.folder(year)
        files: dict[str, Deliverable] = {}
        for rel, item, path, fst in stats:
            if "bytes" in item and item["bytes"] != fst.size:
                raise ManifestError(f"{rel}: size {fst.size} != manifest {item['bytes']}")
            if sha256_file(path) != item["sha256"].lower():
                raise ManifestError(f"{rel}: SHA-256 does not match the manifest")
            # the file must not have changed while it was hashed
            if FileStat.of(os.lstat(path)) != fst:
                raise ManifestError(f"{rel}: changed during verification")
            basename = rel.rsplit("/", 1)[-1]
            files[rel] = Deliverable(
                file=rel,
                kind=item["kind"],
                sha256=item["sha256"].lower(),
                bytes=fst.size,
                media_type=MEDIA_TYPES[Path(rel).suffix.lower()],
                download_name=_clean_download_name(item.get("download_name"), basename),
                path=path,
                stat=fst,
            )
        missing = [k for k in REQUIRED_KINDS if not any(d.kind == k for d in files.values())]
        if missing:
            raise ManifestError(f"{year}: incomplete, no {', '.join(missing)} deliverable")
        return VerifiedYear(year, folder, doc, manifest_name(year), raw, files)

    def verified_years(self) -> dict[int, VerifiedYear]:
        out = {}
        for year in candidate_years(self.reports_dir):
            try:
                out[year] = self.verify(year)
            except ManifestError:
                continue
        return out

    def status(self) -> dict[int, str]:
        """Every candidate year with 'verified' or the reason it is not (for the CLI)."""
        out = {}
        for year in candidate_years(self.reports_dir):
            try:
                self.verify(year)
                out[year] = "verified"
            except ManifestError as exc:
                out[year] = str(exc)
        return out
