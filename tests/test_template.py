"""Fill-in templates (issue 18 item 1): generated from the contracts, read back with openpyxl, and a
round trip — the bundled data typed into the templates as a person would (Chinese labels in the code
columns, real dates and numbers) ingests with zero quarantine into the same warehouse tables."""

from __future__ import annotations

import csv
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest
from click.testing import CliRunner

from scorecard.cli import cli
from scorecard.contracts import BOOL, CODE, DATASETS, DATE, DECIMAL, ID, INT, PERIOD, TEXT
from scorecard.ingest import ingest_files, load_dataset
from scorecard.reader import EXAMPLE_MARKER, read_file
from scorecard.reasons import hint_zh, labels
from scorecard.template import (
    EXAMPLE_ROW,
    FIRST_DATA_ROW,
    INSTRUCTIONS_SHEET,
    LAST_ROW,
    LISTS_SHEET,
    NUMBER_FORMATS,
    example_row,
    template_name,
)
from scorecard.warehouse import WAREHOUSE_TABLES, build_warehouse, create_raw_tables

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "data" / "raw"


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("templates")
    result = CliRunner().invoke(cli, ["template", "--out", str(out)])
    assert result.exit_code == 0, result.output
    paths = {p.name.removesuffix("_template.xlsx"): p for p in out.glob("*.xlsx")}
    assert result.output.split() == [str(out / template_name(d)) for d in DATASETS.values()]
    return paths


def _validations(sheet) -> dict[str, object]:
    """First cell of each validation's range (A3, B3, …) -> the validation."""
    out = {}
    for dv in sheet.data_validations.dataValidation:
        for cells in str(dv.sqref).split():
            out[cells.split(":")[0]] = (dv, cells)
    return out


def _column_format(sheet, index: int) -> str:
    """The number format of a whole column (Excel stores runs of alike columns as one <col> range)."""
    dims = [d for d in list(sheet.column_dimensions.values()) if d.min and d.min <= index <= d.max]
    assert len(dims) == 1, index
    return dims[0].number_format


EXPECTED_TYPE = {CODE: "list", BOOL: "list", INT: "whole", DECIMAL: "decimal", DATE: "date", PERIOD: "custom"}


@pytest.mark.parametrize("name", list(DATASETS))
def test_template_has_the_contract_headers_formats_and_validations(templates, name):
    dataset = DATASETS[name]
    book = openpyxl.load_workbook(templates[name])
    assert book.sheetnames[:2] == [dataset.zh, INSTRUCTIONS_SHEET]
    sheet = book[dataset.zh]
    assert book.active.title == dataset.zh
    assert [c.value for c in sheet[1]] == [c.zh for c in dataset.columns]
    assert [c.value for c in sheet[2]] == dataset.column_names
    assert sheet.freeze_panes == "A3"
    validations = _validations(sheet)
    lists = book[LISTS_SHEET] if LISTS_SHEET in book.sheetnames else None
    for i, column in enumerate(dataset.columns, start=1):
        letter = openpyxl.utils.get_column_letter(i)
        comment = sheet.cell(1, i).comment
        assert comment is not None and comment.text.splitlines() == [column.name, hint_zh(dataset, column)]
        assert _column_format(sheet, i) == NUMBER_FORMATS[column.type], column.name
        dv, cells = validations[f"{letter}{EXAMPLE_ROW}"]
        assert cells == f"{letter}{EXAMPLE_ROW}:{letter}{LAST_ROW}"
        assert dv.prompt == hint_zh(dataset, column) and dv.promptTitle == column.zh
        unique = dataset.key == (column.name,)
        expected = EXPECTED_TYPE.get(column.type, "custom" if unique else "textLength")
        assert dv.type == expected, column.name
        if column.type == CODE:
            sheet_name, ref = dv.formula1.split("!")
            assert sheet_name == f"'{LISTS_SHEET}'" and lists.sheet_state == "hidden"
            offered = [c.value for row in lists[ref.replace("$", "")] for c in row]
            assert offered == labels(column), column.name
            assert dv.errorStyle == "warning"  # the code or English label may still be typed
        elif column.type == BOOL:
            assert dv.formula1 == '"是,否"'
        elif column.type in (INT, DECIMAL):
            _assert_bounds(dv, column)
        elif column.type == DATE:
            assert (dv.operator or "between", dv.formula1, dv.formula2) == (
                "between",
                "36526",
                "73415",
            )  # 2000-01-01..2100-12-31
        elif unique:
            assert dv.formula1 == f"COUNTIF(${letter}:${letter},{letter}{EXAMPLE_ROW})=1"
        if column.type in (INT, DECIMAL, DATE, BOOL, PERIOD) or unique:
            assert dv.errorStyle in (None, "stop"), column.name
    hints = {
        row[1].value: row[5].value
        for row in book[INSTRUCTIONS_SHEET].iter_rows(min_row=1)
        if row[2].value in dataset.column_names
    }
    assert set(hints) == {c.zh for c in dataset.columns}


def _assert_bounds(dv, column) -> None:
    if column.min is not None and column.max is not None:
        assert (dv.operator or "between", float(dv.formula1), float(dv.formula2)) == ("between", column.min, column.max)
    elif column.min is not None:
        assert (dv.operator, float(dv.formula1)) == ("greaterThanOrEqual", column.min)
    elif column.gt is not None:
        assert (dv.operator, float(dv.formula1)) == ("greaterThan", column.gt)
    else:
        assert dv.operator in (None, "between")


@pytest.mark.parametrize("name", list(DATASETS))
def test_an_empty_template_reads_as_no_rows_and_its_example_row_is_a_valid_row(templates, name, tmp_path):
    dataset = DATASETS[name]
    raw = read_file(templates[name], dataset)
    assert (raw.frame.height, raw.template_rows, raw.header_row) == (0, [2, 3], 1)
    assert raw.ignored_columns == []
    # Without its marker the example row is a clean row: the example keeps every rule of the contract.
    book = openpyxl.load_workbook(templates[name])
    cell = book[dataset.zh].cell(EXAMPLE_ROW, 1)
    assert cell.value.startswith(EXAMPLE_MARKER)
    cell.value = cell.value.removeprefix(EXAMPLE_MARKER)
    path = tmp_path / f"{name}_example.xlsx"
    book.save(path)
    raw = read_file(path, dataset)
    assert raw.frame.height == 1 and raw.template_rows == [2]
    example = example_row(dataset)
    known = pl.Series([str(example["project_id"]).removeprefix(EXAMPLE_MARKER)])
    result = ingest_files(dataset, [raw], known)
    assert result.quarantine.height == 0, result.quarantine.to_dicts()
    assert result.clean.height == 1


def test_reader_takes_a_template_with_or_without_its_english_row_and_saved_as_csv(templates, tmp_path):
    dataset = DATASETS["kpi_targets"]
    rows = [["SZ2017-CT-0001", "论文", 8, dt.date(2021, 4, 17)], ["SZ2017-CT-0001", "专利申请", 3, None]]
    book = openpyxl.load_workbook(templates["kpi_targets"])
    sheet = book[dataset.zh]
    for r, values in enumerate(rows, start=FIRST_DATA_ROW):
        for c, value in enumerate(values, start=1):
            sheet.cell(r, c, value)
    book.save(tmp_path / "kpi_targets_a.xlsx")
    sheet.delete_rows(2)  # the English header row removed (comments still carry the names)
    book.save(tmp_path / "kpi_targets_b.xlsx")
    with open(tmp_path / "kpi_targets_c.csv", "w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)  # Excel's "Save as CSV" of the filled template
        writer.writerow([c.zh for c in dataset.columns])
        writer.writerow(dataset.column_names)
        writer.writerow([*example_row(dataset).values()])
        writer.writerows([[("" if v is None else v) for v in values] for values in rows])
    expected = [
        ("SZ2017-CT-0001", "papers", 8.0, dt.date(2021, 4, 17)),
        ("SZ2017-CT-0001", "patent_applications", 3.0, None),
    ]
    for name, skipped, first in (
        ("kpi_targets_a.xlsx", [2, 3], 4),
        ("kpi_targets_b.xlsx", [2], 3),
        ("kpi_targets_c.csv", [2, 3], 4),
    ):
        raw = read_file(tmp_path / name, dataset)
        assert raw.template_rows == skipped, name
        result = ingest_files(dataset, [raw], pl.Series(["SZ2017-CT-0001"]))
        got = result.clean.select(dataset.column_names).rows()
        assert [(a, b, float(c), d) for a, b, c, d in got] == expected, name
        assert result.clean["_source_row"].to_list() == [first, first + 1], name


# ------------------------------------------------------------------------------------ round trip


def _load_all(con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, dict]:
    create_raw_tables(con)
    return {name: load_dataset(con, dataset, folder) for name, dataset in DATASETS.items()}


def _typed_as_a_person_would(column, value):
    """What a provider types into the template for a clean value: labels for codes, 是/否, real
    dates and numbers, text as text."""
    if value is None:
        return None
    if column.type == CODE:
        return column.codes[value][0]
    if column.type == BOOL:
        return "是" if value else "否"
    if column.type == DECIMAL:
        return float(value) if isinstance(value, Decimal) else value
    if column.type in (INT, DATE):
        return value
    assert column.type in (TEXT, ID, PERIOD)
    return str(value)


def _fill(template: Path, dataset, rows: list[tuple], out: Path) -> None:
    book = openpyxl.load_workbook(template)
    sheet = book[dataset.zh]
    for r, row in enumerate(rows, start=FIRST_DATA_ROW):
        for c, (column, value) in enumerate(zip(dataset.columns, row), start=1):
            typed = _typed_as_a_person_would(column, value)
            if typed is not None:
                sheet.cell(r, c, typed)
    book.save(out)


def _table(con, table: str) -> list[tuple]:
    cols = [c for c in con.sql(f"SELECT * FROM {table} LIMIT 0").columns if not c.startswith("_")]
    return con.sql(f"SELECT {', '.join(cols)} FROM {table} ORDER BY ALL").fetchall()


def test_round_trip_bundled_data_through_filled_templates(templates, tmp_path):
    bundled = duckdb.connect(str(tmp_path / "bundled.duckdb"))
    _load_all(bundled, BUNDLED)
    filled = tmp_path / "filled"
    filled.mkdir()
    for name, dataset in DATASETS.items():
        rows = bundled.sql(
            f"SELECT {', '.join(dataset.column_names)} FROM raw.{name} ORDER BY _source_file, _source_row"
        ).fetchall()
        _fill(templates[name], dataset, rows, filled / template_name(dataset))
    again = duckdb.connect(str(tmp_path / "filled.duckdb"))
    summaries = _load_all(again, filled)
    assert again.sql("SELECT count(*) FROM raw.quarantine").fetchall() == [(0,)]
    for name, summary in summaries.items():
        (file,) = summary["files"]
        assert file["file"] == template_name(DATASETS[name])
        assert (
            file["rows_read"] == file["rows_clean"] == bundled.sql(f"SELECT count(*) FROM raw.{name}").fetchall()[0][0]
        )
        assert _table(again, f"raw.{name}") == _table(bundled, f"raw.{name}"), name
    assert build_warehouse(again) == build_warehouse(bundled)
    for table in WAREHOUSE_TABLES:
        assert _table(again, table) == _table(bundled, table), table
    rows = again.sql("SELECT min(_source_row), count(*) FROM raw.projects").fetchall()[0]
    assert rows == (FIRST_DATA_ROW, summaries["projects"]["rows_read"])
    # The filled templates also pass the pre-flight check, all clean.
    result = CliRunner().invoke(cli, ["check", str(filled)], env={"SCORECARD_WAREHOUSE": str(tmp_path / "none.duckdb")})
    assert result.exit_code == 0, result.output
    assert re.search(
        r"kpi_actuals_template\.xlsx  \[kpi_actuals\]  读取 14859 行 read · 合格 14859 clean · 需修改 0 to fix",
        result.output,
    )


def test_a_provider_fills_a_template_checks_it_and_gets_the_rows_to_fix(templates, tmp_path):
    """The whole loop for one provider: template → filled with two mistakes → check → feedback."""
    dataset = DATASETS["projects"]
    good = [
        "SZ2020-CT-0001",
        "测试项目",
        "石墨烯",
        "核心关键技术攻关专项扶持计划",
        "市科技创新委",
        "深圳某大学",
        "高校",
        "招标",
        "直接资助",
        "事前资助",
        2020,
        dt.date(2020, 3, 1),
        dt.date(2022, 2, 28),
        500,
        100,
        "张三",
    ]
    wrong_code = [*good[:2], "石墨稀", *good[3:]]  # a typo not in the drop-down
    wrong_code[0] = "SZ2020-CT-0002"
    negative = [*good[:13], -5, *good[14:]]
    negative[0] = "SZ2020-CT-0003"
    book = openpyxl.load_workbook(templates["projects"])
    sheet = book[dataset.zh]
    for r, values in enumerate((good, wrong_code, negative), start=FIRST_DATA_ROW):
        for c, value in enumerate(values, start=1):
            sheet.cell(r, c, value)
    path = tmp_path / "projects_2020_深圳某大学.xlsx"
    book.save(path)
    out = tmp_path / "feedback"
    env = {"SCORECARD_WAREHOUSE": str(tmp_path / "none.duckdb")}
    result = CliRunner().invoke(cli, ["check", str(path), "--feedback", str(out)], env=env)
    assert result.exit_code == 1, result.output
    problems = [line for line in result.output.splitlines() if line.startswith(f"{path.name}:")]
    assert problems == [
        f"{path.name}:5: 领域 [field] = '石墨稀': 领域不是规定的选项 | field is not a known code (expected one of: "
        + ", ".join(dataset.column("field").codes)
        + ", or the Chinese label) → 请从下拉列表选择："
        + "、".join(labels(dataset.column("field"))),
        f"{path.name}:6: 财政资助金额（万元） [approved_funding_wan] = '-5': 财政资助金额（万元）超出允许范围 | "
        + "approved_funding_wan must be >= 0 → 财政资助金额（万元）的取值须为 ≥ 0",
        f"{path.name}: 模板行已跳过 template rows skipped (English header, 【示例】 example): 2, 3",
    ]
    assert f"{path.name}  [projects]  读取 3 行 read · 合格 1 clean · 需修改 2 to fix" in result.output
    rows = list(openpyxl.load_workbook(out / "深圳某大学.xlsx")[dataset.zh].iter_rows(values_only=True))
    assert [(r[0], r[1], r[3]) for r in rows[1:]] == [(path.name, 5, "石墨稀"), (path.name, 6, "-5")]
