"""Normalise, type and check raw rows against their contract; quarantine what breaks a rule; load the
clean rows and the quarantine into DuckDB in one transaction (docs/data-contract.md "Ingestion rules").

Everything is set-based Polars expressions over all the files of a dataset at once: no Python loop
over rows. Each cell goes through one textual normalisation (full-width → half-width, whitespace,
units, thousands separators, Chinese code labels, date styles), then one typed parse. A row is
quarantined with the first rule it breaks, in column order, then row rules, then the project
reference, then key uniqueness (the first row with a key, in file name then row order, is kept).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import polars as pl

from scorecard.contracts import (
    BOOL,
    CODE,
    DATE,
    DECIMAL,
    DECIMAL_PRECISION,
    DECIMAL_SCALE,
    ID,
    INT,
    MAX_DATE,
    MAX_TEXT,
    MIN_DATE,
    PERIOD,
    TEXT,
    Column,
    Dataset,
)
from scorecard.db import transaction
from scorecard.hooks import crash_point  # noqa: F401 (re-exported for tests)
from scorecard.reader import EXTRA, ROW, RawFile, dataset_files, file_sha256, read_file

TRUE_WORDS = ("true", "t", "1", "yes", "y", "是", "对", "√")
FALSE_WORDS = ("false", "f", "0", "no", "n", "否", "")
EXCEL_EPOCH = date(1899, 12, 30)

QUARANTINE_SCHEMA = {
    "dataset": pl.String,
    "source_file": pl.String,
    "source_row": pl.Int32,
    "column_name": pl.String,
    "value": pl.String,
    "reason_code": pl.String,
    "reason": pl.String,
    "file_sha256": pl.String,
}


@dataclass
class FileStats:
    file: str
    sha256: str
    bytes: int
    rows_read: int
    rows_clean: int = 0
    rows_quarantined: int = 0
    normalised_cells: int = 0
    blank_rows: int = 0
    encoding: str | None = None
    delimiter: str | None = None
    ignored_columns: list[str] = field(default_factory=list)


@dataclass
class IngestResult:
    dataset: str
    clean: pl.DataFrame
    quarantine: pl.DataFrame
    files: list[FileStats]
    normalised: dict[str, int]  # column -> cells normalised

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)


# ------------------------------------------------------------------------------ cell normalisation


def _nfkc(col: str) -> pl.Expr:
    """Full-width digits, letters, spaces and punctuation to their ASCII forms; zero-width characters
    (a BOM or ZWSP pasted from a web page) removed; trimmed."""
    return pl.col(col).str.normalize("NFKC").str.replace_all("[\u200b\u200c\u200d\u2060\ufeff]", "").str.strip_chars()


def _thousands(text: pl.Expr) -> pl.Expr:
    """Drop thousands separators only where they are unambiguous: ``1,234.5`` and ``1,234,567`` lose
    their commas; ``1,23`` or ``1.234,5`` keep them (and so fail to parse, and are quarantined)."""
    grouped = text.str.contains(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
    return pl.when(grouped).then(text.str.replace_all(",", "")).otherwise(text)


def _text_form(column: Column) -> pl.Expr:
    """The normalised text of a cell (NULL for an empty cell), before typing."""
    name = column.name
    if column.type == TEXT:
        expr = pl.col(name).str.strip_chars(" \t\r\n\u3000\u00a0")
    elif column.type == CODE:
        expr = _nfkc(name).str.to_lowercase()
        labels = {}
        for code, label in column.codes.items():
            for text in label[:2]:  # Chinese and English labels
                labels[_nfkc_py(text).lower()] = code
        expr = expr.replace(labels)
    elif column.type == DECIMAL:
        expr = _thousands(
            _nfkc(name)
            .str.replace(r"\s*(?:万元|万)$", "")
            .str.replace(r"^[¥￥]\s*", "")
            .str.replace(r"^\(\s*(.*?)\s*\)$", "-$1")
        )
    elif column.type == INT:
        expr = _thousands(_nfkc(name).str.replace(r"\s*年$", "")).str.replace(r"\.0+$", "")
    elif column.type == DATE:
        text = _nfkc(name)
        parts = text.str.extract_groups(
            r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]0{1,2}:00(?::00(?:\.0+)?)?)?$"
        )
        iso = pl.concat_str(
            parts.struct.field("1"),
            pl.lit("-"),
            parts.struct.field("2").str.zfill(2),
            pl.lit("-"),
            parts.struct.field("3").str.zfill(2),
        )
        serial = text.str.extract(r"^(\d{5})(?:\.0+)?$", 1).cast(pl.Int64, strict=False)
        from_serial = (pl.lit(EXCEL_EPOCH) + pl.duration(days=serial)).dt.strftime("%Y-%m-%d")
        expr = pl.coalesce(iso, from_serial, text)
    elif column.type == BOOL:
        expr = _nfkc(name).str.to_lowercase()
    elif column.type == PERIOD:
        expr = (
            _nfkc(name)
            .str.to_uppercase()
            .str.replace_all(r"[\s\-_]", "")
            .str.replace(r"^(\d{4})年?第?([1-4])季度?$", "${1}Q$2")
        )
    else:  # ID
        expr = _nfkc(name)
    return pl.when(expr.str.len_chars() > 0).then(expr).otherwise(None)


def _nfkc_py(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKC", text).strip()


def _typed(column: Column, text: pl.Expr) -> pl.Expr:
    """Parse the normalised text into the column's type (NULL where it does not parse)."""
    if column.type == DECIMAL:
        return text.cast(pl.Decimal(DECIMAL_PRECISION, DECIMAL_SCALE), strict=False)
    if column.type == INT:
        return text.cast(pl.Int64, strict=False).cast(pl.Int32, strict=False)
    if column.type == DATE:
        return text.str.to_date("%Y-%m-%d", strict=False)
    if column.type == BOOL:
        return pl.when(text.is_in(TRUE_WORDS)).then(True).when(text.is_in(FALSE_WORDS)).then(False).otherwise(None)
    return text


def _problem(column: Column, raw: pl.Expr, text: pl.Expr, value: pl.Expr) -> pl.Expr:
    """(reason_code, reason) of the cell's first problem, or NULL when the cell is fine."""
    name = column.name
    checks: list[tuple[pl.Expr, str, str]] = []
    present = text.is_not_null()
    if not column.nullable:
        checks.append((~present, "missing_value", f"{name} is empty; a value is required"))
    if column.type in (TEXT, ID):
        checks.append((text.str.len_chars() > MAX_TEXT, "too_long", f"{name} is longer than {MAX_TEXT} characters"))
    if column.type == CODE:
        allowed = ", ".join(column.codes)
        checks.append(
            (
                present & ~text.is_in(list(column.codes)),
                "unknown_code",
                f"{name} is not a known code (expected one of: {allowed}, or the Chinese label)",
            )
        )
    if column.type in (DECIMAL, INT):
        kind = "a whole number" if column.type == INT else "a number"
        checks.append((present & value.is_null(), "bad_number", f"{name} is not {kind}"))
        if column.type == DECIMAL:
            checks.append(
                (
                    value.is_not_null() & text.str.contains(rf"\.[0-9]{{{DECIMAL_SCALE}}}0*[1-9][0-9]*$"),
                    "bad_number",
                    f"{name} has more than {DECIMAL_SCALE} decimal places (amounts are kept exactly)",
                )
            )
    if column.type == DATE:
        checks.append(
            (
                present & value.is_null(),
                "bad_date",
                f"{name} is not a date (expected YYYY-MM-DD, YYYY/M/D, YYYY年M月D日, YYYY.MM.DD or an Excel date)",
            )
        )
        checks.append(
            (
                value.is_not_null() & ((value < MIN_DATE) | (value > MAX_DATE)),
                "date_out_of_range",
                f"{name} is outside {MIN_DATE}..{MAX_DATE}",
            )
        )
    if column.type == BOOL:
        checks.append(
            (present & value.is_null(), "bad_bool", f"{name} is not a yes/no value (true/false, 1/0, yes/no, 是/否)")
        )
    if column.type == PERIOD:
        checks.append(
            (present & ~text.str.contains(r"^20\d{2}Q[1-4]$"), "bad_period", f"{name} is not a quarter like 2018Q4")
        )
    for bound, op, words in ((column.min, "lt", ">="), (column.gt, "le", ">"), (column.max, "gt", "<=")):
        if bound is None:
            continue
        bad = {"lt": value < bound, "le": value <= bound, "gt": value > bound}[op]
        checks.append((value.is_not_null() & bad, "out_of_range", f"{name} must be {words} {bound:g}"))
    expr = pl.lit(None, dtype=pl.String)
    for condition, code, message in reversed(checks):
        expr = pl.when(condition).then(pl.lit(f"{code}|{message}")).otherwise(expr)
    return expr


# Canonical text per column type: a cell matching this is its own normalised form (see _text_form).
_CANONICAL = {
    ID: r"^[!-~]+$",
    DECIMAL: r"^-?[0-9]+(\.[0-9]+)?$",
    INT: r"^-?[0-9]+$",
    DATE: r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    PERIOD: r"^[0-9]{4}Q[1-4]$",
    BOOL: r"^(true|false)$",
}


def _already_canonical(dataset: Dataset, raw: pl.DataFrame) -> dict[str, bool]:
    """Per column: is every non-empty cell already canonical? One cheap pass over the frame."""
    checks = []
    for col in dataset.columns:
        cell = pl.col(col.name)
        if col.type == CODE:
            ok = cell.is_in(list(col.codes))
        elif col.type in _CANONICAL:
            ok = cell.str.contains(_CANONICAL[col.type])
        else:
            continue
        checks.append((cell.is_null() | ok).all().alias(col.name))
    if not checks or raw.height == 0:
        return {}
    return raw.select(checks).row(0, named=True)


def normalise(dataset: Dataset, raw: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, int]]:
    """Typed columns, the first problem per row (`_problem`, `_problem_column`, `_problem_value`), and
    the count of normalised cells per column. ``raw`` has the dataset's columns as text plus lineage."""
    text_cols, typed_cols, problem_cols, changed_cols = [], [], [], []
    canonical = _already_canonical(dataset, raw)
    for col in dataset.columns:
        # A column whose every cell is already in canonical form skips the normalisation chain
        # (NFKC, regex rewrites): same result, a fraction of the cost on large clean exports.
        text = pl.col(col.name) if canonical.get(col.name) else _text_form(col)
        text_cols.append(text.alias(f"_t_{col.name}"))
    frame = raw.with_columns(text_cols)
    for col in dataset.columns:
        text = pl.col(f"_t_{col.name}")
        typed_cols.append(_typed(col, text).alias(col.name))
        changed_cols.append((text.is_not_null() & (text != pl.col(col.name).fill_null(""))).alias(f"_n_{col.name}"))
    frame = frame.with_columns(changed_cols)
    changed = (
        frame.select([pl.col(f"_n_{c.name}").sum().alias(c.name) for c in dataset.columns]).row(0, named=True)
        if frame.height
        else {c.name: 0 for c in dataset.columns}
    )
    frame = frame.with_columns(
        _normalised=pl.sum_horizontal([pl.col(f"_n_{c.name}").cast(pl.Int32) for c in dataset.columns]).cast(pl.Int32)
    ).drop([f"_n_{c.name}" for c in dataset.columns])
    frame = frame.with_columns([pl.col(c.name).alias(f"_r_{c.name}") for c in dataset.columns]).with_columns(typed_cols)
    for col in dataset.columns:
        problem_cols.append(
            _problem(col, pl.col(f"_r_{col.name}"), pl.col(f"_t_{col.name}"), pl.col(col.name)).alias(f"_p_{col.name}")
        )
    frame = frame.with_columns(problem_cols)
    names = [c.name for c in dataset.columns]
    first = pl.coalesce([pl.when(pl.col(f"_p_{n}").is_not_null()).then(pl.lit(n)) for n in names])
    frame = frame.with_columns(_problem_column=first).with_columns(
        _problem=pl.coalesce([pl.col(f"_p_{n}") for n in names]),
        _problem_value=pl.coalesce([pl.when(pl.col("_problem_column") == n).then(pl.col(f"_r_{n}")) for n in names]),
    )
    if EXTRA in frame.columns:
        # More cells than the header has columns: the values are probably shifted by an unquoted
        # delimiter (e.g. 1,234 written without quotes), so no cell of the row can be trusted.
        extra = pl.col(EXTRA).is_not_null()
        frame = frame.with_columns(
            _problem=pl.when(extra)
            .then(pl.lit("extra_cells|the row has more cells than the header has columns (an unquoted comma?)"))
            .otherwise(pl.col("_problem")),
            _problem_column=pl.when(extra).then(pl.lit(None, dtype=pl.String)).otherwise(pl.col("_problem_column")),
            _problem_value=pl.when(extra).then(pl.col(EXTRA)).otherwise(pl.col("_problem_value")),
        )
    frame = frame.drop([f"_{p}_{n}" for p in ("t", "r", "p") for n in names])
    return frame, {k: int(v) for k, v in changed.items() if v}


def _flag(
    frame: pl.DataFrame, condition: pl.Expr, column: str | None, code: str, message: pl.Expr | str
) -> pl.DataFrame:
    """Set a problem on rows that have none yet and meet ``condition``."""
    message = pl.lit(message) if isinstance(message, str) else message
    hit = pl.col("_problem").is_null() & condition.fill_null(False)
    return frame.with_columns(
        _problem=pl.when(hit).then(pl.concat_str(pl.lit(f"{code}|"), message)).otherwise(pl.col("_problem")),
        _problem_column=pl.when(hit).then(pl.lit(column)).otherwise(pl.col("_problem_column")),
        _problem_value=pl.when(hit & pl.lit(column is not None))
        .then(pl.col(column).cast(pl.String) if column else pl.lit(None, dtype=pl.String))
        .otherwise(pl.col("_problem_value")),
    )


def check_rows(dataset: Dataset, frame: pl.DataFrame, known_projects: pl.Series | None) -> pl.DataFrame:
    """Row rules, the project reference and key uniqueness, on rows that passed the cell checks."""
    for rule in dataset.row_rules:
        frame = _flag(frame, ~pl.sql_expr(rule.sql), rule.left, f"row_rule:{rule.name}", rule.reason_en)
    if dataset.references_projects and known_projects is not None:
        frame = _flag(
            frame,
            ~pl.col("project_id").is_in(known_projects.implode()),
            "project_id",
            "unknown_project",
            "project_id is not a project of the projects dataset (or that project's row was quarantined)",
        )
    key = list(dataset.key)
    ok = pl.col("_problem").is_null()
    # The frame is in file name order, then row order (files are concatenated in that order), so the
    # first occurrence of a key among the valid rows is the row to keep.
    frame = frame.with_columns(_dup=ok & ~pl.when(ok).then(pl.struct(key)).is_first_distinct())
    key_text = pl.concat_str([pl.lit(f"{k}=") + pl.col(k).cast(pl.String) for k in key], separator=", ")
    frame = _flag(
        frame,
        pl.col("_dup"),
        key[-1],
        "duplicate_key",
        pl.lit("duplicate key (") + key_text + pl.lit("); the first row with this key is kept"),
    )
    return frame.drop("_dup")


def ingest_files(dataset: Dataset, files: list[RawFile], known_projects: pl.Series | None) -> IngestResult:
    """Normalise and check all files of a dataset together; split clean rows from quarantined ones."""
    names = [c.name for c in dataset.columns]
    frames = [
        f.frame.with_columns(
            _file_index=pl.lit(i, dtype=pl.Int32),
            _source_file=pl.lit(f.path.name),
            _file_sha256=pl.lit(f.sha256),
        )
        for i, f in enumerate(files)
    ]
    empty = pl.DataFrame(
        schema={
            **{n: pl.String for n in names},
            ROW: pl.Int64,
            EXTRA: pl.String,
            "_file_index": pl.Int32,
            "_source_file": pl.String,
            "_file_sha256": pl.String,
        }
    )
    frames = [f if EXTRA in f.columns else f.with_columns(pl.lit(None, dtype=pl.String).alias(EXTRA)) for f in frames]
    raw = pl.concat([f.select(empty.columns) for f in frames], how="vertical") if frames else empty
    frame, normalised = normalise(dataset, raw)
    frame = check_rows(dataset, frame, known_projects)
    bad = pl.col("_problem").is_not_null()
    quarantine = (
        frame.filter(bad)
        .select(
            dataset=pl.lit(dataset.name),
            source_file=pl.col("_source_file"),
            source_row=pl.col(ROW).cast(pl.Int32),
            column_name=pl.col("_problem_column"),
            value=pl.col("_problem_value").str.slice(0, 200),
            reason_code=pl.col("_problem").str.split_exact("|", 1).struct.field("field_0"),
            reason=pl.col("_problem").str.splitn("|", 2).struct.field("field_1"),
            file_sha256=pl.col("_file_sha256"),
        )
        .cast(QUARANTINE_SCHEMA)
    )
    # Each quarantined row as sent, for the feedback workbooks: normalise and check_rows keep the row
    # order of ``raw``, so the same mask picks the same rows from it.
    sent = raw.filter(frame["_problem"].is_not_null()).select(pl.struct([*names, EXTRA]).struct.json_encode())
    quarantine = quarantine.with_columns(cells=sent.to_series())
    clean = frame.filter(~bad).select(
        [*names, pl.col("_source_file"), pl.col(ROW).cast(pl.Int32).alias("_source_row"), pl.col("_file_sha256")]
    )
    # Counted independently per file, so that rows read = clean + quarantined is a real check.
    q_counts = dict(quarantine.group_by("source_file").len().rows()) if quarantine.height else {}
    c_counts = dict(clean.group_by("_source_file").len().rows()) if clean.height else {}
    n_counts = dict(frame.group_by("_source_file").agg(pl.col("_normalised").sum()).rows()) if frame.height else {}
    stats = []
    for f in files:
        n_read = f.frame.height
        stats.append(
            FileStats(
                file=f.path.name,
                sha256=f.sha256,
                bytes=f.size,
                rows_read=n_read,
                rows_clean=int(c_counts.get(f.path.name, 0)),
                rows_quarantined=int(q_counts.get(f.path.name, 0)),
                normalised_cells=int(n_counts.get(f.path.name, 0) or 0),
                blank_rows=f.blank_rows,
                encoding=f.encoding,
                delimiter=f.delimiter,
                ignored_columns=f.ignored_columns,
            )
        )
    return IngestResult(dataset.name, clean, quarantine, stats, normalised)


# ----------------------------------------------------------------------------------------- loading


def fingerprint(files: list[Path], shas: list[str], upstream: str = "") -> str:
    """What a load depends on: its files' names and hashes, and the projects it was checked against."""
    text = json.dumps([[p.name, s] for p, s in zip(files, shas)] + [upstream])
    return hashlib.sha256(text.encode()).hexdigest()


def known_project_ids(con: duckdb.DuckDBPyConnection) -> pl.Series:
    return con.sql("SELECT project_id FROM raw.projects").pl()["project_id"]


def load_dataset(
    con: duckdb.DuckDBPyConnection,
    dataset: Dataset,
    raw_dir: Path,
    load_id: str | None = None,
    force: bool = False,
) -> dict:
    """Read every file of ``dataset`` in ``raw_dir`` and replace ``raw.<dataset>`` and its quarantine
    in one transaction. Raises FileError (nothing written) when a file cannot be used.

    Returns a summary for the asset's metadata. A load whose inputs (file names and hashes, and for
    facts the projects' state) are unchanged since the last load writes nothing: reruns change nothing.
    """
    paths = dataset_files(raw_dir, dataset)
    upstream = ""
    if dataset.references_projects:
        row = con.sql("SELECT fingerprint FROM raw.load_state WHERE dataset = 'projects'").fetchall()
        upstream = row[0][0] if row else ""
    shas = [file_sha256(p) for p in paths]
    fp = fingerprint(paths, shas, upstream)
    previous = con.sql(
        "SELECT fingerprint, load_id FROM raw.load_state WHERE dataset = $d", params={"d": dataset.name}
    ).fetchall()
    if previous and previous[0][0] == fp and not force:
        return summary_from_log(con, dataset.name, unchanged=True)

    files = [read_file(p, dataset, sha) for p, sha in zip(paths, shas)]  # FileError here: nothing written yet
    known = known_project_ids(con) if dataset.references_projects else None
    result = ingest_files(dataset, files, known)
    load_id = load_id or uuid.uuid4().hex[:12]
    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    clean = result.clean.with_columns(_loaded_at=pl.lit(loaded_at))  # noqa: F841 (DuckDB scans it)
    quarantine = result.quarantine.with_columns(load_id=pl.lit(load_id), loaded_at=pl.lit(loaded_at))  # noqa: F841
    log = pl.DataFrame(  # noqa: F841
        [
            {
                "load_id": load_id,
                "dataset": dataset.name,
                "source_file": s.file,
                "file_sha256": s.sha256,
                "file_bytes": s.bytes,
                "rows_read": s.rows_read,
                "rows_clean": s.rows_clean,
                "rows_quarantined": s.rows_quarantined,
                "normalised_cells": s.normalised_cells,
                "ignored_columns": ", ".join(s.ignored_columns),
                "loaded_at": loaded_at,
            }
            for i, s in enumerate(result.files)
        ],
        schema={
            "load_id": pl.String,
            "dataset": pl.String,
            "source_file": pl.String,
            "file_sha256": pl.String,
            "file_bytes": pl.Int64,
            "rows_read": pl.Int32,
            "rows_clean": pl.Int32,
            "rows_quarantined": pl.Int32,
            "normalised_cells": pl.Int32,
            "ignored_columns": pl.String,
            "loaded_at": pl.Datetime,
        },
    )
    columns = ", ".join([*dataset.column_names, "_source_file", "_source_row", "_file_sha256", "_loaded_at"])
    qcols = "dataset, source_file, source_row, column_name, value, reason_code, reason, file_sha256, load_id, loaded_at"
    crash_point(f"ingest:{dataset.name}:before_write")
    with transaction(con):
        con.execute(f"DELETE FROM raw.{dataset.name}")
        con.execute(f"INSERT INTO raw.{dataset.name} ({columns}) SELECT {columns} FROM clean")
        con.execute("DELETE FROM raw.quarantine WHERE dataset = $d", {"d": dataset.name})
        con.execute(f"INSERT INTO raw.quarantine ({qcols}) SELECT {qcols} FROM quarantine")
        con.execute(f"INSERT INTO raw.quarantine_history ({qcols}) SELECT {qcols} FROM quarantine")
        con.execute("DELETE FROM raw.quarantine_rows WHERE dataset = $d", {"d": dataset.name})
        con.execute(
            "INSERT INTO raw.quarantine_rows SELECT dataset, source_file, source_row, cells, load_id FROM quarantine"
        )
        con.execute("INSERT INTO raw.load_log SELECT * FROM log")
        con.execute("DELETE FROM raw.load_state WHERE dataset = $d", {"d": dataset.name})
        con.execute(
            "INSERT INTO raw.load_state VALUES ($d, $fp, $load_id, $at)",
            {"d": dataset.name, "fp": fp, "load_id": load_id, "at": loaded_at},
        )
        crash_point(f"ingest:{dataset.name}:in_transaction")
    return summary_from_log(con, dataset.name, unchanged=False, normalised=result.normalised)


def summary_from_log(
    con: duckdb.DuckDBPyConnection, dataset: str, unchanged: bool, normalised: dict | None = None
) -> dict:
    """The latest load of a dataset, per file, as recorded in raw.load_log."""
    rows = con.sql(
        """
        SELECT source_file, file_sha256, rows_read, rows_clean, rows_quarantined, ignored_columns, normalised_cells
        FROM raw.load_log
        WHERE dataset = $d AND load_id = (SELECT load_id FROM raw.load_state WHERE dataset = $d)
        ORDER BY source_file
        """,
        params={"d": dataset},
    ).fetchall()
    reasons = con.sql(
        "SELECT reason_code, count(*) FROM raw.quarantine WHERE dataset = $d GROUP BY ALL ORDER BY 2 DESC, 1",
        params={"d": dataset},
    ).fetchall()
    return {
        "dataset": dataset,
        "unchanged": unchanged,
        "files": [
            {
                "file": r[0],
                "sha256": r[1],
                "rows_read": r[2],
                "rows_clean": r[3],
                "rows_quarantined": r[4],
                "normalised_cells": r[6],
                "ignored_columns": r[5] or "",
            }
            for r in rows
        ],
        "rows_read": sum(r[2] for r in rows),
        "rows_clean": sum(r[3] for r in rows),
        "rows_quarantined": sum(r[4] for r in rows),
        "quarantine_reasons": dict(reasons),
        "normalised_cells": normalised or {},
    }
