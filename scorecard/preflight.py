"""The pre-flight check: validate raw files exactly as ingest would, without writing the warehouse.

``check_paths`` reads each file with ``scorecard.reader.read_file`` and runs the same normalisation
and rules as a load (``scorecard.ingest.ingest_files``) on all the files of a dataset together, so
duplicate keys across files are found too. Project references are checked against the projects
files given in the same check when there are any (they are what a load would put in ``raw.projects``),
else against the warehouse's ``raw.projects`` opened read-only, else not at all (said in a note).

Exit code (``CheckReport.exit_code``): 0 every row is clean, 1 some rows need fixing, 2 a file cannot
be used (or its dataset cannot be told from its name).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from scorecard.contracts import DATASETS, Dataset
from scorecard.files import raw_files
from scorecard.ingest import QUARANTINE_SCHEMA, ingest_files
from scorecard.reader import FileError, RawFile, read_file
from scorecard.reasons import explain

CLEAN, TO_FIX, UNUSABLE = "clean", "to_fix", "unusable"
EXIT_CODES = {CLEAN: 0, TO_FIX: 1, UNUSABLE: 2}


@dataclass
class Problem:
    row: int
    column: str | None
    column_zh: str | None
    value: str | None
    reason_code: str
    reason_en: str
    reason_zh: str
    fix_zh: str


@dataclass
class FileReport:
    path: str
    file: str
    dataset: str | None
    status: str = CLEAN
    rows_read: int = 0
    rows_clean: int = 0
    rows_to_fix: int = 0
    blank_rows: int = 0
    skipped_template_rows: list[int] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    normalised_cells: int = 0
    error: str | None = None
    problems: list[Problem] = field(default_factory=list)


@dataclass
class CheckReport:
    files: list[FileReport]
    notes: list[str]
    ledger: pl.DataFrame  # the quarantine rows a load would write (with each row as sent)
    projects: pl.DataFrame  # project_id, undertaker, department: whose rows are whose

    @property
    def exit_code(self) -> int:
        return max((EXIT_CODES[f.status] for f in self.files), default=0)

    def to_json(self) -> str:
        body = {"exit_code": self.exit_code, "files": [asdict(f) for f in self.files], "notes": self.notes}
        return json.dumps(body, ensure_ascii=False, indent=2)


# ------------------------------------------------------------------------------------ which files


def dataset_of(path: Path) -> Dataset | None:
    """The dataset a file belongs to by its name (as ingest picks files): the longest matching prefix."""
    name = path.name.lower()
    matches = [d for d in DATASETS.values() if name.startswith(d.name)]
    return max(matches, key=lambda d: len(d.name)) if matches else None


def expand(paths: list[Path]) -> list[Path]:
    """Files as given; a folder stands for its data files (hidden and Office lock files left out)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(raw_files(path))
        else:
            out.append(path)
    return out


# ------------------------------------------------------------------------------------- the check


def check_paths(paths: list[Path], dataset: str | None = None, warehouse: Path | None = None) -> CheckReport:
    """Check files as ingest would; nothing is written anywhere."""
    forced = DATASETS[dataset] if dataset else None
    reports: list[FileReport] = []
    groups: dict[str, list[tuple[Path, FileReport]]] = {}
    for empty in [p for p in paths if p.is_dir() and not expand([p])]:
        reports.append(FileReport(str(empty), empty.name, None))
        _unusable(reports[-1], "no .csv, .xlsx or .parquet files in this folder")
    for path in expand(paths):
        target = forced or dataset_of(path)
        report = FileReport(str(path), path.name, target.name if target else None)
        reports.append(report)
        if not path.is_file():
            _unusable(report, "no such file")
        elif target is None:
            _unusable(
                report,
                f"cannot tell the dataset from the file name; it must start with one of: {', '.join(DATASETS)} (or use --dataset)",
            )
        else:
            groups.setdefault(target.name, []).append((path, report))
    notes: list[str] = []
    ledgers: list[pl.DataFrame] = []
    projects: pl.DataFrame | None = None
    for name in [d for d in DATASETS if d in groups]:  # projects first: the facts refer to it
        data = DATASETS[name]
        known = None
        if data.references_projects:
            known = projects["project_id"] if projects is not None else _warehouse_projects(warehouse, notes)
        result = _check_dataset(data, groups[name], known)
        if result is None:
            continue
        ledgers.append(result.quarantine)
        if name == "projects":
            projects = result.clean.select("project_id", "undertaker", "department")
    if projects is None:
        projects = _warehouse_units(warehouse)
    ledger = pl.concat(ledgers) if ledgers else pl.DataFrame(schema={**QUARANTINE_SCHEMA, "cells": pl.String})
    return CheckReport(reports, notes, ledger, projects)


def _unusable(report: FileReport, problem: str) -> None:
    report.status, report.error = UNUSABLE, problem


def _check_dataset(data: Dataset, members: list[tuple[Path, FileReport]], known: pl.Series | None):
    files: list[tuple[RawFile, FileReport]] = []
    for path, report in members:
        try:
            files.append((read_file(path, data), report))
        except FileError as exc:
            _unusable(report, exc.problem)
    if not files:
        return None
    result = ingest_files(data, [f for f, _ in files], known)
    for (raw, report), stats in zip(files, result.files):
        report.rows_read, report.rows_clean, report.rows_to_fix = (
            stats.rows_read,
            stats.rows_clean,
            stats.rows_quarantined,
        )
        report.blank_rows, report.ignored_columns = stats.blank_rows, list(stats.ignored_columns)
        report.normalised_cells, report.skipped_template_rows = stats.normalised_cells, list(raw.template_rows)
        mine = result.quarantine.filter(pl.col("source_file") == raw.path.name).sort("source_row")
        report.problems = [_problem(data, row) for row in mine.iter_rows(named=True)]
        if report.rows_to_fix:
            report.status = TO_FIX
    return result


def _problem(data: Dataset, row: dict) -> Problem:
    reason_zh, fix_zh = explain(data, row["reason_code"], row["column_name"])
    column = data.column(row["column_name"]) if row["column_name"] in data.column_names else None
    return Problem(
        row=row["source_row"],
        column=row["column_name"],
        column_zh=column.zh if column else None,
        value=row["value"],
        reason_code=row["reason_code"],
        reason_en=row["reason"],
        reason_zh=reason_zh,
        fix_zh=fix_zh,
    )


def _read_only(warehouse: Path | None, sql: str) -> pl.DataFrame | None:
    """A query on the warehouse opened read-only, or None when there is none or it is in use."""
    if warehouse is None or not Path(warehouse).is_file():
        return None
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return None
    try:
        return con.sql(sql).pl()
    except duckdb.Error:
        return None
    finally:
        con.close()


def _warehouse_projects(warehouse: Path | None, notes: list[str]) -> pl.Series | None:
    frame = _read_only(warehouse, "SELECT project_id FROM raw.projects")
    if frame is None:
        if not any("project references" in n for n in notes):
            notes.append(
                "project references not checked: no projects file in this check and no readable warehouse "
                "(项目编号未核对：本次未包含项目台账文件，也无法读取数据仓库)"
            )
        return None
    if not any("project references" in n for n in notes):
        notes.append(
            f"project references checked against the warehouse's projects ({warehouse}; 项目编号按数据仓库中的项目台账核对)"
        )
    return frame["project_id"]


def _warehouse_units(warehouse: Path | None) -> pl.DataFrame:
    frame = _read_only(warehouse, "SELECT project_id, undertaker, department FROM raw.projects")
    if frame is None:
        return pl.DataFrame(schema={"project_id": pl.String, "undertaker": pl.String, "department": pl.String})
    return frame


# ----------------------------------------------------------------------------------------- output


def format_text(report: CheckReport) -> list[str]:
    """One line per problem (file:row, column, value, reason in Chinese | English, fix), then a
    summary line per file."""
    lines: list[str] = []
    for f in report.files:
        if f.status == UNUSABLE:
            lines.append(f"{f.file}: 文件无法使用 cannot be used: {f.error}")
            continue
        for p in f.problems:
            where = f"{p.column_zh} [{p.column}]" if p.column else "整行 [whole row]"
            value = "" if p.value is None else p.value
            lines.append(f"{f.file}:{p.row}: {where} = {value!r}: {p.reason_zh} | {p.reason_en} → {p.fix_zh}")
        if f.skipped_template_rows:
            rows = ", ".join(str(r) for r in f.skipped_template_rows)
            lines.append(f"{f.file}: 模板行已跳过 template rows skipped (English header, 【示例】 example): {rows}")
    lines.append("")
    for f in report.files:
        if f.status == UNUSABLE:
            lines.append(f"{f.file}  [{f.dataset or '?'}]  无法使用 unusable")
        else:
            lines.append(
                f"{f.file}  [{f.dataset}]  读取 {f.rows_read} 行 read · 合格 {f.rows_clean} clean · "
                f"需修改 {f.rows_to_fix} to fix"
            )
    lines.extend(f"note: {n}" for n in report.notes)
    verdict = {
        0: "全部合格 all rows clean",
        1: "有需修改的行 rows need fixing",
        2: "有无法使用的文件 a file cannot be used",
    }
    lines.append(f"结果 result: {verdict[report.exit_code]} (exit {report.exit_code})")
    return lines
