"""File helpers used everywhere a file is hashed or a raw folder is listed (one definition each).

* :func:`file_sha256` — the SHA-256 of a file's bytes, read in 1 MiB blocks (ingest lineage, the
  raw-folder sensor, the report manifest, the portal's verification).
* :class:`LoadedFile` — a validated settings file (the rubric, the programme): its model, path and
  the SHA-256 of the bytes it was read from.
* :func:`parse_mapping`, :func:`read_yaml_mapping`, :func:`validated` — a settings document (rubric,
  programme, report manifest) read into a mapping and a model, every problem an error naming the file.
* :data:`RAW_SUFFIXES` and :func:`raw_files` — which files of a folder are raw data files: one
  suffix set for ingest's reader, ``scorecard check`` and the sensor, so a ``.tsv`` that ingest
  reads also wakes the sensor.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import yaml

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


class LoadedFile:
    """A validated file: the model read from it, its path and the SHA-256 of its bytes."""

    def __init__(self, model: Any, path: Path, sha256: str) -> None:
        self.model = model
        self.path = path
        self.sha256 = sha256


def model_property(path: str) -> property:
    """A read-only property of a LoadedFile that reads its model's ``path`` (dotted: ``period.start``)."""
    names = path.split(".")

    def get(self: LoadedFile) -> Any:
        value = self.model
        for name in names:
            value = getattr(value, name)
        return value

    return property(get)


def parse_mapping(
    data: bytes, where: object, loads, errors: tuple, error: type[Exception], unreadable: str, shape: str
) -> dict:
    """The mapping a UTF-8 document holds (``loads`` parses it); ``error`` naming ``where`` when the
    bytes are not UTF-8 or not parseable (``errors``: "<where>: <unreadable> (<why>)") or the document
    is not a mapping ("<where>: <shape>")."""
    try:
        doc = loads(data.decode("utf-8"))
    except (UnicodeDecodeError, *errors) as exc:
        raise error(f"{where}: {unreadable} ({exc})") from None
    if not isinstance(doc, dict):
        raise error(f"{where}: {shape}")
    return doc


# libyaml's parser where PyYAML was built with it: the same documents as yaml.safe_load, ~5× faster
# (the quality rules are parsed on every definitions load).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """A YAML document read as ``yaml.safe_load`` reads it."""
    return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 (a safe loader)


def read_yaml_mapping(path: Path, error: type[Exception], what: str, keys: str) -> tuple[bytes, dict]:
    """(bytes, mapping) of a YAML settings file such as the rubric (``what``), whose mapping holds ``keys``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise error(f"{path}: cannot read the {what} file ({exc.strerror or exc})") from exc
    doc = parse_mapping(
        data,
        path,
        load_yaml,
        (yaml.YAMLError,),
        error,
        "not a readable YAML file",
        f"a {what} is a YAML mapping with {keys}",
    )
    return data, doc


def validated(model: Any, raw: dict, path: Path, error: type[Exception]) -> Any:
    """``model.model_validate(raw)`` (pydantic); ``error`` listing every problem with its place otherwise."""
    from pydantic import ValidationError

    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}" for e in exc.errors())
        raise error(f"{path}: {problems}") from exc
