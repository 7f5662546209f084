"""Read one raw file into a frame of strings (DATA.md "Raw inputs", "Ingestion rules").

The reader's only job is to get every cell out of a CSV (UTF-8, UTF-8 with BOM, GBK/GB18030; comma,
semicolon or tab), XLSX (first sheet, header found below title rows) or Parquet file as text, with the
spreadsheet row number of each row. Typing, normalisation and quarantine happen in ``scorecard.ingest``.

A file that cannot be used at all raises :class:`FileError` with a message naming the file and the
problem; nothing is written in that case.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from scorecard.contracts import Dataset

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
SUPPORTED_SUFFIXES = CSV_SUFFIXES | XLSX_SUFFIXES | PARQUET_SUFFIXES
ROW = "_source_row"  # spreadsheet row number: header = 1, first data row = 2 (or the sheet's own row)


class FileError(Exception):
    """A file-level failure: the file cannot be used at all. The message names the file and problem."""

    def __init__(self, path: Path | str, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{Path(path).name}: {problem}")


@dataclass
class RawFile:
    path: Path
    sha256: str
    size: int
    frame: pl.DataFrame  # canonical column names -> str cells, plus ROW (int)
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int = 1
    headers: list[str] = field(default_factory=list)  # the header cells as written, column c{i} = headers[i]
    ignored_columns: list[str] = field(default_factory=list)
    blank_rows: int = 0


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def dataset_files(raw_dir: Path, dataset: Dataset) -> list[Path]:
    """The files of one dataset: names starting with the dataset name, in file name order."""
    if not raw_dir.is_dir():
        return []
    return sorted(
        p
        for p in raw_dir.iterdir()
        if p.is_file() and p.name.lower().startswith(dataset.name) and not p.name.startswith((".", "~$"))
    )


def header_key(text: str) -> str:
    """How headers are compared: NFKC (full-width → half-width), no spaces, lower case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


def header_map(dataset: Dataset) -> dict[str, str]:
    """Every accepted header spelling (English name, Chinese header, aliases) -> canonical name."""
    mapping: dict[str, str] = {}
    for col in dataset.columns:
        for spelling in (col.name, col.zh, *col.aliases):
            mapping[header_key(spelling)] = col.name
        # Chinese headers are often written without the unit: 财政资助金额（万元） -> 财政资助金额
        mapping.setdefault(header_key(re.sub(r"[（(].*?[)）]", "", col.zh)), col.name)
    return mapping


def read_file(path: Path, dataset: Dataset) -> RawFile:
    """Read ``path`` as text cells with canonical column names. Raises FileError."""
    size = path.stat().st_size
    if size == 0:
        raise FileError(path, "the file is empty (0 bytes); expected a header row and data rows")
    suffix = path.suffix.lower()
    sha = file_sha256(path)
    if suffix in CSV_SUFFIXES:
        raw = _read_csv(path)
    elif suffix in XLSX_SUFFIXES:
        raw = _read_xlsx(path, dataset)
    elif suffix in PARQUET_SUFFIXES:
        raw = _read_parquet(path)
    else:
        raise FileError(path, f"unsupported file type '{suffix}'; expected .csv, .xlsx or .parquet")
    raw.sha256, raw.size = sha, size
    _map_headers(raw, dataset)
    return raw


# ---------------------------------------------------------------------------------------------- CSV


def decode(path: Path, data: bytes) -> tuple[bytes, str]:
    """UTF-8 bytes of the file and the encoding found: UTF-8 (BOM stripped), else GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        data, encoding = data[3:], "utf-8-sig"
    else:
        encoding = "utf-8"
    try:
        data.decode("utf-8")
        return data, encoding
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030").encode("utf-8"), "gb18030"
    except UnicodeDecodeError as exc:
        raise FileError(
            path, f"unknown text encoding (not UTF-8, not GBK/GB18030; bad byte at offset {exc.start})"
        ) from None


def _read_csv(path: Path) -> RawFile:
    data = path.read_bytes()
    if b"\x00" in data[:65536]:
        raise FileError(path, "not a text file (binary content); expected a CSV export")
    data, encoding = decode(path, data)
    if data.count(b'"') % 2:
        raise FileError(path, "the CSV is cut off inside a quoted field (unbalanced quotes); the file is incomplete")
    first_line = data.split(b"\n", 1)[0].decode("utf-8")
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    header = next(csv.reader([first_line], delimiter=delimiter), [])
    if not any(h.strip() for h in header):
        raise FileError(path, "no header row: the first line is empty")
    try:
        frame = pl.read_csv(
            io.BytesIO(data),
            separator=delimiter,
            has_header=True,
            new_columns=[f"c{i}" for i in range(len(header))],
            infer_schema=False,
            quote_char='"',
        )
    except pl.exceptions.PolarsError as exc:
        message = str(exc).splitlines()[0]
        raise FileError(path, f"cannot parse as CSV with delimiter {delimiter!r}: {message}") from None
    return RawFile(path, "", 0, _with_rows(frame, 2), encoding=encoding, delimiter=delimiter, headers=header)


# --------------------------------------------------------------------------------------------- XLSX


def _xlsx_first_row(path: Path) -> int:
    """The sheet row number of the first row that the XLSX reader returns (it drops leading blank rows)."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
            if not names:
                return 1
            with zf.open(sorted(names, key=lambda n: int(re.sub(r"\D", "", n) or 0))[0]) as fh:
                head = fh.read(8192).decode("utf-8", "replace")
    except (zipfile.BadZipFile, OSError, ValueError):
        return 1
    match = re.search(r'<dimension ref="[A-Z]+(\d+)', head) or re.search(r'<row r="(\d+)"', head)
    return int(match.group(1)) if match else 1


def _read_xlsx(path: Path, dataset: Dataset) -> RawFile:
    import fastexcel

    head = path.read_bytes()[:8]
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileError(path, "the workbook is encrypted (password-protected) or an old .xls file; save it as an unprotected .xlsx")
    if not head.startswith(b"PK"):
        raise FileError(path, "not a valid .xlsx workbook (not a zip archive); the file may be corrupt")
    try:
        reader = fastexcel.read_excel(path)
        sheet = reader.load_sheet(0, header_row=None, dtypes="string")
        cells = sheet.to_polars()
    except Exception as exc:  # fastexcel raises its own error classes
        raise FileError(path, f"cannot read the workbook: {str(exc).splitlines()[0]}") from None
    if cells.height == 0:
        raise FileError(path, "the first sheet is empty; expected a header row")
    offset = _xlsx_first_row(path)
    known = header_map(dataset)
    header_index = None
    for i, row in enumerate(cells.head(30).iter_rows()):
        hits = sum(1 for v in row if v is not None and header_key(v) in known)
        if hits >= min(3, len(dataset.columns)) or hits == len(dataset.columns):
            header_index = i
            break
    if header_index is None:
        raise FileError(path, "no header row found in the first 30 rows of the first sheet (expected the dataset's column names)")
    header = [("" if v is None else str(v)) for v in cells.row(header_index)]
    body = cells.slice(header_index + 1)
    body.columns = [f"c{i}" for i in range(len(header))]
    first_row = offset + header_index + 1
    return RawFile(path, "", 0, _with_rows(body, first_row), header_row=first_row - 1, headers=header)


# ------------------------------------------------------------------------------------------ Parquet


def _read_parquet(path: Path) -> RawFile:
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:
        raise FileError(path, f"cannot read as Parquet: {str(exc).splitlines()[0]}") from None
    headers = list(frame.columns)
    frame = frame.select([pl.col(c).cast(pl.String).alias(f"c{i}") for i, c in enumerate(headers)])
    return RawFile(path, "", 0, _with_rows(frame, 2), headers=headers)


# -------------------------------------------------------------------------------------------- shared


def _with_rows(frame: pl.DataFrame, first_row: int) -> pl.DataFrame:
    return frame.with_row_index(ROW, offset=first_row).with_columns(pl.col(ROW).cast(pl.Int64))


def _map_headers(raw: RawFile, dataset: Dataset) -> None:
    """Rename the file's columns to canonical names; fail on a missing required or doubled column."""
    known = header_map(dataset)
    renames: dict[str, str] = {}
    ignored: list[str] = []
    for i, header in enumerate(raw.headers):
        column = f"c{i}"
        canonical = known.get(header_key(header)) if header and header.strip() else None
        if canonical is None:
            if header and header.strip():
                ignored.append(header.strip())
            continue
        if canonical in renames.values():
            raise FileError(raw.path, f"column '{canonical}' appears twice in the header (as '{header}'); remove one")
        renames[column] = canonical
    missing = [c.name for c in dataset.columns if c.required and c.name not in renames.values()]
    if missing:
        labels = ", ".join(f"{name} ({dataset.column(name).zh})" for name in missing)
        raise FileError(raw.path, f"required column missing: {labels}")
    frame = raw.frame.select([pl.col(src).alias(dst) for src, dst in renames.items()] + [pl.col(ROW)])
    for col in dataset.columns:  # optional columns that are absent: all empty
        if col.name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(col.name))
    blank = pl.all_horizontal([pl.col(c.name).is_null() | (pl.col(c.name).str.strip_chars() == "") for c in dataset.columns])
    raw.blank_rows = int(frame.select(blank.sum()).item())
    raw.frame = frame.filter(~blank).select([c.name for c in dataset.columns] + [ROW])
    raw.ignored_columns = ignored
