"""Feedback workbooks: each submitting unit gets an XLSX of its quarantined rows, with what to fix.

The input is the quarantine ledger — ``raw.quarantine`` joined with ``raw.quarantine_rows`` (each row
as it was sent) — from the warehouse after a load, or the same frame from a pre-flight check
(``scorecard.preflight``). A row belongs to a unit through its project: the project's 承担单位
(``--by undertaker``) or 主管单位 (``--by department``), taken from ``raw.projects``, or from the
row itself for a projects row, or from the projects row as sent when that row was quarantined too.
A row whose project cannot be found goes to the workbook 未归属单位.

Written to ``out_dir``: one ``<unit>.xlsx`` per unit (sheet 汇总, then one sheet per dataset: the
original file and row, the column and value at fault, the problem and how to fix it in Chinese, the
English reason, then the row as sent under the dataset's Chinese headers), ``索引.xlsx`` (one line per
unit) and ``feedback.json`` (the same, for machines; the next run removes the workbooks it lists).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl
import xlsxwriter

from scorecard import codes
from scorecard.contracts import DATASETS
from scorecard.reader import EXTRA
from scorecard.reasons import explain

BY_CHOICES = ("undertaker", "department")
UNASSIGNED = "未归属单位"
INDEX_NAME = "索引.xlsx"
MANIFEST_NAME = "feedback.json"
LEDGER_COLUMNS = ("dataset", "source_file", "source_row", "column_name", "value", "reason_code", "reason", "cells")
PROBLEM_HEADERS = ("原文件", "行号", "出错列", "出错值", "问题", "修改建议", "reason (English)")

LEDGER_SQL = """
SELECT q.dataset, q.source_file, q.source_row, q.column_name, q.value, q.reason_code, q.reason, r.cells
FROM raw.quarantine q
LEFT JOIN raw.quarantine_rows r USING (dataset, source_file, source_row)
ORDER BY q.dataset, q.source_file, q.source_row
"""


@dataclass
class UnitWorkbook:
    unit: str
    path: Path
    rows: int
    datasets: dict[str, int]


@dataclass
class FeedbackResult:
    out_dir: Path
    by: str
    units: list[UnitWorkbook] = field(default_factory=list)
    index: Path | None = None

    @property
    def rows(self) -> int:
        return sum(u.rows for u in self.units)


# ------------------------------------------------------------------------------------ the ledger


def ledger_from_warehouse(con: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the quarantine ledger with each row as sent, the clean projects' units) from a warehouse."""
    tables = {r[0] for r in con.sql("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw'").fetchall()}
    sql = LEDGER_SQL
    if "quarantine_rows" not in tables:  # a warehouse loaded before rows as sent were kept
        sql = sql.replace("r.cells", "NULL::VARCHAR AS cells").replace(
            "LEFT JOIN raw.quarantine_rows r USING (dataset, source_file, source_row)", ""
        )
    ledger = con.sql(sql).pl()
    projects = con.sql("SELECT project_id, undertaker, department FROM raw.projects").pl()
    return ledger, projects


def read_warehouse_ledger(warehouse: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The ledger of a warehouse file, opened read-only. Raises FileNotFoundError when it is absent."""
    if not warehouse.exists():
        raise FileNotFoundError(f"{warehouse}: no warehouse yet; run `scorecard run` (or ingest) first")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return ledger_from_warehouse(con)
    finally:
        con.close()


# ----------------------------------------------------------------------------------------- units


def _clean_text(value) -> str | None:
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return text or None


def department_label(value) -> str | None:
    """A department as sent (code, Chinese or English label) -> its Chinese label; else as written."""
    text = _clean_text(value)
    if text is None:
        return None
    for code, (zh, en) in codes.ALL_DEPARTMENTS.items():
        if text.lower() in (code, _clean_text(zh).lower(), en.lower()):
            return zh
    return str(value).strip()


def unit_of(by: str, undertaker, department) -> str | None:
    return _clean_text(undertaker) if by == "undertaker" else department_label(department)


def assign_units(ledger: pl.DataFrame, projects: pl.DataFrame, by: str) -> list[str]:
    """The unit of every ledger row, in ledger order."""
    if by not in BY_CHOICES:
        raise ValueError(f"--by must be one of {', '.join(BY_CHOICES)} (got {by!r})")
    known = {
        _clean_text(p): unit_of(by, u, d)
        for p, u, d in projects.select("project_id", "undertaker", "department").rows()
    }
    cells = [json.loads(c) if c else {} for c in ledger["cells"].to_list()]
    for dataset, sent in zip(ledger["dataset"].to_list(), cells):
        if dataset == "projects":  # a quarantined project still tells whose it is
            known.setdefault(
                _clean_text(sent.get("project_id")), unit_of(by, sent.get("undertaker"), sent.get("department"))
            )
    units = []
    for dataset, sent in zip(ledger["dataset"].to_list(), cells):
        if dataset == "projects":
            unit = unit_of(by, sent.get("undertaker"), sent.get("department"))
        else:
            unit = known.get(_clean_text(sent.get("project_id")))
        units.append(unit or UNASSIGNED)
    return units


def safe_file_name(unit: str, taken: set[str]) -> str:
    """A file name for a unit's workbook: no path or reserved characters, unique in the folder."""
    stem = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", unit).strip(" .")[:100] or "unit"
    name, n = f"{stem}.xlsx", 2
    while name.lower() in taken or name == INDEX_NAME:
        name, n = f"{stem}_{n}.xlsx", n + 1
    taken.add(name.lower())
    return name


# -------------------------------------------------------------------------------------- writing


def write_feedback(
    ledger: pl.DataFrame, projects: pl.DataFrame, out_dir: Path, by: str = "undertaker"
) -> FeedbackResult:
    """One workbook per unit, the index workbook and feedback.json in ``out_dir``."""
    units = assign_units(ledger, projects, by)
    out_dir.mkdir(parents=True, exist_ok=True)
    _remove_previous(out_dir)
    frame = ledger.select(LEDGER_COLUMNS).with_columns(_unit=pl.Series(units, dtype=pl.String))
    result, taken = FeedbackResult(out_dir, by), set()
    for unit in sorted(set(units), key=lambda u: (u == UNASSIGNED, u)):
        rows = frame.filter(pl.col("_unit") == unit)
        path = out_dir / safe_file_name(unit, taken)
        result.units.append(_write_unit(path, unit, rows))
    result.index = _write_index(out_dir, result)
    manifest = {
        "by": by,
        "rows": result.rows,
        "units": [{"unit": u.unit, "file": u.path.name, "rows": u.rows, "datasets": u.datasets} for u in result.units],
    }
    (out_dir / MANIFEST_NAME).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return result


def _remove_previous(out_dir: Path) -> None:
    """Remove the workbooks a previous run listed, so a unit with nothing left to fix gets no file."""
    manifest = out_dir / MANIFEST_NAME
    if not manifest.is_file():
        return
    try:
        listed = [u["file"] for u in json.loads(manifest.read_text(encoding="utf-8")).get("units", [])]
    except (ValueError, TypeError, KeyError):
        return
    for name in [*listed, INDEX_NAME]:
        target = out_dir / Path(str(name)).name
        if target.suffix == ".xlsx" and target.is_file():
            target.unlink()


def _formats(book) -> dict:
    base = {"font_name": "Microsoft YaHei", "font_size": 10, "valign": "top"}
    return {
        "head": book.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}),
        "fault": book.add_format({**base, "bg_color": "#FCE4D6", "bold": True}),
        "text": book.add_format({**base, "text_wrap": True}),
        "title": book.add_format({**base, "bold": True, "font_size": 13}),
    }


def _write_unit(path: Path, unit: str, rows: pl.DataFrame) -> UnitWorkbook:
    book = xlsxwriter.Workbook(
        str(path), {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    )
    styles = _formats(book)
    summary = book.add_worksheet("汇总")
    counts: dict[str, int] = {}
    for name in [d for d in DATASETS if d in set(rows["dataset"].to_list())]:
        part = rows.filter(pl.col("dataset") == name).sort("source_file", "source_row")
        counts[name] = part.height
        _write_dataset_sheet(book.add_worksheet(DATASETS[name].zh), name, part, styles)
    summary.write_string(0, 0, f"{unit}：需修改的数据（共 {rows.height} 行）", styles["title"])
    summary.write_string(
        1,
        0,
        "请按各工作表中的“修改建议”更正原文件中对应行后重新报送；行号为原文件中的行号（表头为第1行）。",
        styles["text"],
    )
    for col, text in enumerate(("数据集", "dataset", "需修改行数", "原文件")):
        summary.write_string(3, col, text, styles["head"])
    for i, (name, n) in enumerate(counts.items(), start=4):
        files = "、".join(sorted(set(rows.filter(pl.col("dataset") == name)["source_file"].to_list())))
        summary.write_row(i, 0, [DATASETS[name].zh, name, n, files], styles["text"])
    summary.set_column(0, 1, 18)
    summary.set_column(2, 2, 12)
    summary.set_column(3, 3, 60)
    book.close()
    return UnitWorkbook(unit, path, rows.height, counts)


def _write_dataset_sheet(sheet, name: str, rows: pl.DataFrame, styles: dict) -> None:
    dataset = DATASETS[name]
    headers = [*PROBLEM_HEADERS, *(c.zh for c in dataset.columns)]
    extra = any(EXTRA in (json.loads(c) if c else {}) and json.loads(c)[EXTRA] for c in rows["cells"].to_list())
    if extra:
        headers.append("多余的单元格")
    sheet.write_row(0, 0, headers, styles["head"])
    sheet.freeze_panes(1, 2)
    for r, row in enumerate(rows.iter_rows(named=True), start=1):
        sent = json.loads(row["cells"]) if row["cells"] else {}
        reason_zh, fix_zh = explain(dataset, row["reason_code"], row["column_name"])
        at_fault = dataset.column(row["column_name"]) if row["column_name"] in dataset.column_names else None
        problem = [
            row["source_file"],
            row["source_row"],
            f"{at_fault.zh} [{at_fault.name}]" if at_fault else "整行",
            row["value"] or "",
            reason_zh,
            fix_zh,
            row["reason"],
        ]
        sheet.write_row(r, 0, problem, styles["text"])
        for c, column in enumerate(dataset.columns, start=len(PROBLEM_HEADERS)):
            value = sent.get(column.name)
            style = styles["fault"] if at_fault is not None and column.name == at_fault.name else styles["text"]
            sheet.write_string(r, c, "" if value is None else str(value), style)
        if extra and sent.get(EXTRA):
            sheet.write_string(r, len(headers) - 1, str(sent[EXTRA]), styles["fault"])
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 1, 6)
    sheet.set_column(2, 3, 20)
    sheet.set_column(4, 6, 36)
    sheet.set_column(len(PROBLEM_HEADERS), len(headers) - 1, 16)


def _write_index(out_dir: Path, result: FeedbackResult) -> Path:
    path = out_dir / INDEX_NAME
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    styles = _formats(book)
    sheet = book.add_worksheet("索引")
    by_zh = "承担单位" if result.by == "undertaker" else "主管单位"
    heads = [by_zh, "文件", "需修改行数", *(DATASETS[d].zh for d in DATASETS)]
    sheet.write_row(0, 0, heads, styles["head"])
    for r, unit in enumerate(result.units, start=1):
        sheet.write_row(
            r, 0, [unit.unit, unit.path.name, unit.rows, *(unit.datasets.get(d, 0) for d in DATASETS)], styles["text"]
        )
    sheet.write_row(len(result.units) + 1, 0, ["合计", "", result.rows], styles["head"])
    sheet.set_column(0, 1, 36)
    sheet.set_column(2, len(heads) - 1, 12)
    sheet.freeze_panes(1, 1)
    book.close()
    return path
