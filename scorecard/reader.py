"""Read one raw file into a frame of strings (docs/data-contract.md "Raw inputs", "Ingestion rules").

The reader's only job is to get every cell out of a CSV (UTF-8, UTF-8 with BOM, UTF-16 with BOM,
GBK/GB18030; comma, semicolon or tab), XLSX (the sheet whose top rows hold the headers, found below
title rows and merged cells) or Parquet file as text, with the spreadsheet row number of each row.
Typing, normalisation and quarantine happen in ``scorecard.ingest``.

A file that cannot be used at all raises :class:`FileError` with a message naming the file and the
problem; nothing is written in that case. ``read_file`` raises nothing else, whatever the bytes
(tests/test_properties.py fuzzes it). docs/bad-data.md lists what happens to each kind of bad input.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from scorecard.contracts import Dataset
from scorecard.files import CSV_SUFFIXES, PARQUET_SUFFIXES, RAW_SUFFIXES, XLSX_SUFFIXES, file_sha256, visible_files

SUPPORTED_SUFFIXES = RAW_SUFFIXES
ROW = "_source_row"  # spreadsheet row number: header = 1, first data row = 2 (or the sheet's own row)
EXTRA = "_extra_cells"  # non-empty cells beyond the header's last column (CSV), else NULL


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
    template_rows: list[int] = field(
        default_factory=list
    )  # rows of a fill-in template skipped (English header, example)


def dataset_files(raw_dir: Path, dataset: Dataset) -> list[Path]:
    """The files of one dataset: names starting with the dataset name, in file name order."""
    return [p for p in visible_files(raw_dir) if p.name.lower().startswith(dataset.name)]


def ingested_files(raw_dir: Path) -> list[Path]:
    """Every file ingest reads from the folder (the files of some dataset), in file name order: what
    the raw-folder sensor watches, so a file wakes it exactly when ingest would read it."""
    from scorecard.contracts import DATASETS

    return sorted({p for dataset in DATASETS.values() for p in dataset_files(raw_dir, dataset)})


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


def read_file(path: Path, dataset: Dataset, sha256: str | None = None) -> RawFile:
    """Read ``path`` as text cells with canonical column names. Raises FileError.

    ``sha256``: the file's hash when the caller has it already (the loader hashes every file for its
    fingerprint), so a 300 MB export is not read twice just to hash it."""
    size = path.stat().st_size
    if size == 0:
        raise FileError(path, "the file is empty (0 bytes); expected a header row and data rows")
    suffix = path.suffix.lower()
    sha = sha256 or file_sha256(path)
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

# What a non-CSV file looks like in its first bytes: (magic, what it is).
MAGIC = (
    (b"PK\x03\x04", "a zip archive (an .xlsx workbook?) with a CSV name; save it as .xlsx or export it as CSV"),
    (
        b"\xd0\xcf\x11\xe0",
        "an Office (OLE) file — an old .xls or an encrypted workbook — with a CSV name; export it as CSV",
    ),
    (b"PAR1", "a Parquet file with a CSV name; name it .parquet"),
    (b"%PDF", "a PDF document, not a CSV export"),
    (b"\x89PNG", "a PNG image, not a CSV export"),
    (b"\xff\xd8\xff", "a JPEG image, not a CSV export"),
    (b"\x1f\x8b", "a gzip archive, not a CSV export; unpack it first"),
)
# C0 control characters other than tab, CR, LF (and a DOS end-of-file mark): never in a real CSV export.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x19\x1b-\x1f\x7f]")


def decode(path: Path, data: bytes) -> tuple[bytes, str, str]:
    """The file as UTF-8 bytes and as text, and the encoding found: UTF-16 with a BOM, UTF-8 (BOM
    stripped), else GB18030 (a superset of GBK, so GBK files and rare characters such as 𠮷 both read).
    Each file is decoded once: the bytes feed Polars, the text the strict fallback reader."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise FileError(
                path, "the file starts with a UTF-16 byte-order mark but is not valid UTF-16 text"
            ) from None
        return text.encode("utf-8"), "utf-16", text
    if data.startswith(b"\xef\xbb\xbf"):
        data, encoding = data[3:], "utf-8-sig"
    else:
        encoding = "utf-8"
    try:
        return data, encoding, data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise FileError(
            path, f"unknown text encoding (not UTF-8, not GBK/GB18030; bad byte at offset {exc.start})"
        ) from None
    return text.encode("utf-8"), "gb18030", text


def _sniff_binary(path: Path, data: bytes) -> None:
    for magic, what in MAGIC:
        if data.startswith(magic):
            raise FileError(path, f"not a text file: this is {what}")
    if b"\x00" in data[:65536] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileError(path, "not a text file (binary content); expected a CSV export")


def _read_csv(path: Path) -> RawFile:
    data = path.read_bytes()
    _sniff_binary(path, data)
    data, encoding, text = decode(path, data)
    sample = text[:65536]
    if len(_CONTROL.findall(sample)) > max(2, len(sample) // 1000):
        raise FileError(path, "not a text file (binary content: control characters); expected a CSV export")
    end = text.find("\n")
    first_line = (text if end < 0 else text[:end]).rstrip("\r")
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    try:
        header = next(csv.reader([first_line], delimiter=delimiter), [])
    except csv.Error as exc:  # e.g. a bare carriage return inside the header line
        raise FileError(path, f"cannot read the header row (row 1): {exc}") from None
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
            raise_if_empty=False,
        )
        if frame.width != len(header):  # e.g. a quoted header cell that held the delimiter
            raise pl.exceptions.ComputeError("header width differs")
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(EXTRA))
    except pl.exceptions.PolarsError:
        # Polars' fast reader refuses ragged rows, stray quotes and cut-off files; read the file again
        # with Python's strict CSV reader, which says exactly which of these it is.
        frame, header = _read_csv_strict(path, text, delimiter)
    return RawFile(path, "", 0, _with_rows(frame, 2), encoding=encoding, delimiter=delimiter, headers=header)


def _read_csv_strict(path: Path, text: str, delimiter: str) -> tuple[pl.DataFrame, list[str]]:
    """Every record as text cells. A record with more non-empty cells than the header keeps them in
    EXTRA (quarantined later: its values are probably shifted by an unquoted delimiter)."""
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[list[str]] = []
    try:
        for record in reader:
            records.append(record)
    except csv.Error as exc:
        row = len(records) + 1  # the spreadsheet row of the record that failed (header = 1)
        if "unexpected end of data" in str(exc) or "EOF" in str(exc):
            raise FileError(
                path, f"the CSV is cut off inside a quoted field (starting at row {row}); the file is incomplete"
            ) from None
        raise FileError(path, f"cannot parse as CSV with delimiter {delimiter!r}: row {row}: {exc}") from None
    header = records[0] if records else []
    width = len(header)
    body = records[1:]
    columns: list[list[str | None]] = [[] for _ in range(width)]
    extra: list[str | None] = []
    for record in body:
        if not record:  # a blank line: an all-empty row (dropped later as blank, its number kept)
            record = []
        for i in range(width):
            columns[i].append(record[i] if i < len(record) and record[i] != "" else None)
        rest = [c for c in record[width:] if c.strip()]
        extra.append(delimiter.join(record[width:]) if rest else None)
    frame = pl.DataFrame(
        {
            **{f"c{i}": pl.Series(col, dtype=pl.String) for i, col in enumerate(columns)},
            EXTRA: pl.Series(extra, dtype=pl.String),
        },
        height=len(body),
    )
    return frame, header


# --------------------------------------------------------------------------------------------- XLSX

HEADER_SEARCH_ROWS = 30
_EXCEL_ERRORS = {
    "Div0": "#DIV/0!",
    "NA": "#N/A",
    "Name": "#NAME?",
    "Null": "#NULL!",
    "Num": "#NUM!",
    "Ref": "#REF!",
    "Value": "#VALUE!",
    "GettingData": "#GETTING_DATA",
}


def _find_header(cells: pl.DataFrame, dataset: Dataset) -> int | None:
    """Index of the first of the top rows that holds the dataset's headers (at least 3 of them)."""
    known = header_map(dataset)
    for i, row in enumerate(cells.head(HEADER_SEARCH_ROWS).iter_rows()):
        hits = len({known[k] for v in row if v is not None and (k := header_key(v)) in known})
        if hits >= min(3, len(dataset.columns)):
            return i
    return None


def _load_sheet(reader, index: int) -> pl.DataFrame:
    """Every cell of a sheet as text, row i = sheet row i + 1 (leading blank rows kept), with Excel
    error cells (#DIV/0!, #N/A, …) kept as their error text so that they are quarantined, not blank."""
    sheet = reader.load_sheet(index, header_row=None, skip_rows=0, dtypes="string")
    batch, errors = sheet.to_arrow_with_errors()
    cells = pl.from_arrow(batch)
    if not isinstance(cells, pl.DataFrame):  # pragma: no cover - a record batch is always a frame
        cells = cells.to_frame()
    cells.columns = [f"c{i}" for i in range(cells.width)]
    for error in getattr(errors, "errors", None) or []:
        row, col = error.offset_position
        match = re.search(r"Error\((\w+)\)", error.detail)
        if match and 0 <= row < cells.height and 0 <= col < cells.width:
            text = _EXCEL_ERRORS.get(match.group(1), f"#{match.group(1).upper()}")
            cells[row, col] = text
    return cells


def _read_xlsx(path: Path, dataset: Dataset) -> RawFile:
    import fastexcel

    head = path.read_bytes()[:8]
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileError(
            path, "the workbook is encrypted (password-protected) or an old .xls file; save it as an unprotected .xlsx"
        )
    if not head.startswith(b"PK"):
        raise FileError(path, "not a valid .xlsx workbook (not a zip archive); the file may be corrupt")
    found: list[tuple[str, pl.DataFrame, int]] = []
    empty_sheets = 0
    try:
        reader = fastexcel.read_excel(path)
        names = list(reader.sheet_names)
        for index, name in enumerate(names):
            cells = _load_sheet(reader, index)
            empty_sheets += cells.height == 0 or cells.width == 0
            header_index = _find_header(cells, dataset) if cells.height else None
            if header_index is not None:
                found.append((name, cells, header_index))
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # fastexcel raises its own error classes (and pyo3 panics)
        raise FileError(
            path, f"cannot read the workbook: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from None
    if not names or not empty_sheets < len(names):
        raise FileError(path, "the workbook is empty (no cells in any sheet); expected a header row and data rows")
    if not found:
        raise FileError(
            path,
            f"no header row found in the first {HEADER_SEARCH_ROWS} rows of any sheet "
            f"({', '.join(repr(n) for n in names)}); expected the dataset's column names",
        )
    if len(found) > 1:
        which = ", ".join(repr(name) for name, _, _ in found)
        raise FileError(
            path, f"several sheets hold {dataset.name} rows ({which}); put them in one sheet or in separate files"
        )
    _, cells, header_index = found[0]
    header = [("" if v is None else str(v)) for v in cells.row(header_index)]
    body = cells.slice(header_index + 1).with_columns(pl.lit(None, dtype=pl.String).alias(EXTRA))
    first_row = header_index + 2  # sheet row numbers are 1-based; the header is at header_index + 1
    return RawFile(path, "", 0, _with_rows(body, first_row), header_row=first_row - 1, headers=header)


# ------------------------------------------------------------------------------------------ Parquet


def _read_parquet(path: Path) -> RawFile:
    try:
        frame = pl.read_parquet(path)
        headers = [str(c) for c in frame.columns]
        frame = frame.select([pl.col(c).cast(pl.String).alias(f"c{i}") for i, c in enumerate(frame.columns)])
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:
        raise FileError(
            path, f"cannot read as Parquet: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from None
    frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(EXTRA))
    return RawFile(path, "", 0, _with_rows(frame, 2), headers=headers)


# -------------------------------------------------------------------------------------------- shared


def _with_rows(frame: pl.DataFrame, first_row: int) -> pl.DataFrame:
    return frame.with_row_index(ROW, offset=first_row).with_columns(pl.col(ROW).cast(pl.Int64))


# A fill-in template's example row starts its first column with this marker (scorecard/template.py);
# a real identifier never does, so such a row is skipped wherever it is, never loaded or quarantined.
EXAMPLE_MARKER = "【示例】"
_EXAMPLE = r"^\s*(?:【示例】|\[示例\])"


def _template_rows(frame: pl.DataFrame, dataset: Dataset, known: dict[str, str]) -> pl.Expr:
    """The rows of a fill-in template that are not records: example rows (anywhere) and the English
    header row when it is the first row below the header (each non-empty cell, at least 3, names its
    own column). Only the first row is looked at for the latter, so large files pay nothing."""
    names = [c.name for c in dataset.columns]
    example = pl.col(names[0]).str.contains(_EXAMPLE).fill_null(False)
    if frame.height == 0:
        return example
    first = frame.row(0, named=True)
    filled = [n for n in names if first[n] is not None and str(first[n]).strip()]
    if len(filled) >= min(3, len(names)) and all(known.get(header_key(first[n])) == n for n in filled):
        return example | (pl.col(ROW) == first[ROW])
    return example


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
            elif raw.frame.select(pl.col(column).str.strip_chars().str.len_chars().fill_null(0).max()).item() or 0:
                ignored.append(f"(column {i + 1}: no header)")
            continue
        if canonical in renames.values():
            raise FileError(raw.path, f"column '{canonical}' appears twice in the header (as '{header}'); remove one")
        renames[column] = canonical
    missing = [c.name for c in dataset.columns if c.required and c.name not in renames.values()]
    if missing:
        labels = ", ".join(f"{name} ({dataset.column(name).zh})" for name in missing)
        raise FileError(raw.path, f"required column missing: {labels}")
    extra = pl.col(EXTRA) if EXTRA in raw.frame.columns else pl.lit(None, dtype=pl.String).alias(EXTRA)
    frame = raw.frame.select([pl.col(src).alias(dst) for src, dst in renames.items()] + [pl.col(ROW), extra])
    for col in dataset.columns:  # optional columns that are absent: all empty
        if col.name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(col.name))
    blank = pl.all_horizontal(
        [pl.col(c.name).is_null() | (pl.col(c.name).str.strip_chars() == "") for c in dataset.columns]
        + [pl.col(EXTRA).is_null()]
    )
    raw.blank_rows = int(frame.select(blank.sum()).item())
    template = _template_rows(frame, dataset, known) & ~blank
    raw.template_rows = frame.filter(template)[ROW].to_list()
    raw.frame = frame.filter(~blank & ~template).select([c.name for c in dataset.columns] + [ROW, EXTRA])
    raw.ignored_columns = ignored
