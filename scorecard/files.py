"""File helpers used everywhere a file is hashed or a raw folder is listed (one definition each).

* :func:`file_sha256` — the SHA-256 of a file's bytes, read in 1 MiB blocks (ingest lineage, the
  raw-folder sensor, the report manifest, the portal's verification).
* :data:`RAW_SUFFIXES` and :func:`raw_files` — which files of a folder are raw data files: one
  suffix set for ingest's reader, ``scorecard check`` and the sensor, so a ``.tsv`` that ingest
  reads also wakes the sensor.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

CSV_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
RAW_SUFFIXES = CSV_SUFFIXES | XLSX_SUFFIXES | PARQUET_SUFFIXES
_BLOCK = 1 << 20


def file_sha256(path: Path | str, *, follow_symlinks: bool = True) -> str:
    """Hex SHA-256 of the file's bytes. ``follow_symlinks=False`` refuses a symlink (``O_NOFOLLOW``)."""
    flags = os.O_RDONLY | (0 if follow_symlinks else getattr(os, "O_NOFOLLOW", 0))
    digest = hashlib.sha256()
    with os.fdopen(os.open(path, flags), "rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def is_visible(path: Path) -> bool:
    """Not a hidden file and not an Office lock file (``~$name.xlsx``)."""
    return not path.name.startswith((".", "~$"))


def visible_files(folder: Path) -> list[Path]:
    """The regular, visible files of a folder in file name order (none when it is not a folder)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and is_visible(p))


def raw_files(folder: Path) -> list[Path]:
    """The raw data files of a folder: visible files with a suffix the reader reads."""
    return [p for p in visible_files(folder) if p.suffix.lower() in RAW_SUFFIXES]
