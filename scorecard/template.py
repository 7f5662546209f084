"""Fill-in XLSX templates for the people who send the data, generated from the dataset contracts.

One workbook per dataset (``<dataset>_template.xlsx``):

* the data sheet (named after the dataset, e.g. 项目台账): row 1 the Chinese headers (each with a cell
  comment: English name and the column's rules), row 2 the English column names, row 3 one example
  row, data from row 4; header rows frozen; every column formatted for its type (dates ``yyyy-mm-dd``,
  numbers ``#,##0.00``, whole numbers ``0``, text ``@``) and validated (drop-downs of the Chinese
  labels for code columns, number bounds, date range, 是/否, quarter format, unique keys, text length),
  with an input hint from the column's rules;
* 填写说明: what to write in each column, and how the file is read;
* 代码表 (hidden): the code lists behind the drop-downs.

The reader (``scorecard.reader``) takes a filled template as it is: it finds the header row, skips
the English header row directly below it and every row whose first column starts with
``【示例】`` (``reader.EXAMPLE_MARKER``: a real identifier never does), so a provider may keep or
delete the example row. Columns come only from ``scorecard.contracts``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from scorecard.contracts import (
    BOOL,
    CODE,
    DATASETS,
    DATE,
    DECIMAL,
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
from scorecard.reader import EXAMPLE_MARKER
from scorecard.reasons import TYPE_ZH, column_rules_zh, format_zh, hint_zh, labels, rule_zh

HEADER_ROW, ENGLISH_ROW, EXAMPLE_ROW, FIRST_DATA_ROW = 1, 2, 3, 4  # sheet rows (1-based)
LAST_ROW = 20000  # formats and validations reach this sheet row
INSTRUCTIONS_SHEET = "填写说明"
LISTS_SHEET = "代码表"
BOOL_LABELS = ("是", "否")
NUMBER_FORMATS = {
    DATE: "yyyy-mm-dd",
    DECIMAL: "#,##0.00",
    INT: "0",
    ID: "@",
    TEXT: "@",
    CODE: "@",
    PERIOD: "@",
    BOOL: "@",
}
EXAMPLE_IDS = {"project_id": "SZ2019-CT-0001", "payment_id": "BK00000001", "expert_id": "E0001"}
INT32 = 2**31 - 1


def template_name(dataset: Dataset) -> str:
    """The template's file name; it starts with the dataset name, as ingest expects."""
    return f"{dataset.name}_template.xlsx"


# ------------------------------------------------------------------------------------ example row


def example_row(dataset: Dataset) -> dict[str, object]:
    """A plausible row that keeps every rule of the contract; its first cell carries the marker."""
    values: dict[str, object] = {}
    numbers = dates = 0
    for column in dataset.columns:
        if column.type == DECIMAL:
            values[column.name] = _example_number(column, numbers)
            numbers += 1
        elif column.type == DATE:
            values[column.name] = dt.date(2019 + dates, 3, 5)
            dates += 1
        else:
            values[column.name] = _example_value(column)
    first = dataset.columns[0].name
    values[first] = f"{EXAMPLE_MARKER}{values[first]}"
    return values


def _example_number(column: Column, index: int) -> float:
    value = 100.0 + 50.0 * index
    return float(column.max) if column.max is not None and value > column.max else value


def _example_value(column: Column) -> object:
    if column.type == CODE:
        return labels(column)[0]
    if column.type == INT:
        low, high = column.min if column.min is not None else 1, column.max if column.max is not None else INT32
        return 2019 if low <= 2019 <= high and low >= 1000 else int(low)
    if column.type == BOOL:
        return BOOL_LABELS[1]
    if column.type == PERIOD:
        return "2019Q4"
    if column.type == ID:
        return EXAMPLE_IDS.get(column.name, f"{column.name[0].upper()}0001")
    return f"{column.zh}（示例）"


# ------------------------------------------------------------------------------------- validation


def validation(dataset: Dataset, column: Column, index: int, list_source: str | None) -> dict:
    """The data validation of one column (xlsxwriter options), with its input hint."""
    letter = xl_col_to_name(index)
    first = f"{letter}{EXAMPLE_ROW}"
    rule: dict
    if column.type == CODE:
        rule = {"validate": "list", "source": list_source, "error_type": "warning"}
    elif column.type == BOOL:
        rule = {"validate": "list", "source": list(BOOL_LABELS)}
    elif column.type in (INT, DECIMAL):
        rule = _number_rule(column)
    elif column.type == DATE:
        rule = {"validate": "date", "criteria": "between", "minimum": MIN_DATE, "maximum": MAX_DATE}
    elif column.type == PERIOD:
        rule = {"validate": "custom", "value": f'=AND(LEN({first})=6,MID({first},5,1)="Q")'}
    elif dataset.key == (column.name,):
        rule = {"validate": "custom", "value": f"=COUNTIF(${letter}:${letter},{first})=1"}
    else:
        rule = {"validate": "length", "criteria": "<=", "value": MAX_TEXT}
    rule.setdefault("error_type", "stop")
    return {
        **rule,
        "input_title": column.zh[:32],
        "input_message": hint_zh(dataset, column)[:255],
        "error_title": f"{column.zh}：填写有误"[:32],
        "error_message": f"{column.zh}（{column.name}）：{format_zh(column)}"[:255],
    }


def _number_rule(column: Column) -> dict:
    kind = "integer" if column.type == INT else "decimal"
    if column.min is not None and column.max is not None:
        return {"validate": kind, "criteria": "between", "minimum": column.min, "maximum": column.max}
    if column.min is not None:
        return {"validate": kind, "criteria": ">=", "value": column.min}
    if column.gt is not None:
        return {"validate": kind, "criteria": ">", "value": column.gt}
    if column.max is not None:
        return {"validate": kind, "criteria": "<=", "value": column.max}
    return {"validate": kind, "criteria": "between", "minimum": -INT32, "maximum": INT32}


# ---------------------------------------------------------------------------------------- writing


def write_template(dataset: Dataset, path: Path) -> Path:
    """Write the fill-in workbook of ``dataset`` to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    book.set_properties({"title": f"{dataset.zh} {dataset.name} 填报模板", "subject": dataset.name})
    styles = _styles(book)
    sheet = book.add_worksheet(dataset.zh)
    instructions = book.add_worksheet(INSTRUCTIONS_SHEET)
    sources = _write_lists(book, dataset, styles)
    _write_data_sheet(sheet, dataset, styles, sources)
    _write_instructions(instructions, dataset, styles)
    sheet.activate()
    book.close()
    return path


def write_templates(out_dir: Path, names: list[str] | None = None) -> list[Path]:
    """One template per dataset (all, or ``names``) in ``out_dir``."""
    unknown = sorted(set(names or []) - set(DATASETS))
    if unknown:
        raise ValueError(f"unknown dataset {', '.join(unknown)}; expected one of: {', '.join(DATASETS)}")
    chosen = [DATASETS[n] for n in names] if names else list(DATASETS.values())
    return [write_template(d, out_dir / template_name(d)) for d in chosen]


def _styles(book) -> dict:
    base = {"font_name": "Microsoft YaHei", "font_size": 10, "valign": "top"}
    styles = {
        "header": book.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}),
        "english": book.add_format(
            {**base, "italic": True, "font_color": "#7F7F7F", "bg_color": "#F2F2F2", "border": 1}
        ),
        "title": book.add_format({**base, "bold": True, "font_size": 13}),
        "text": book.add_format({**base, "text_wrap": True}),
        "bold": book.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1}),
    }
    for kind, number_format in NUMBER_FORMATS.items():
        styles[f"column:{kind}"] = book.add_format({**base, "num_format": number_format})
        styles[f"example:{kind}"] = book.add_format(
            {**base, "num_format": number_format, "italic": True, "font_color": "#7F7F7F", "bg_color": "#FFF2CC"}
        )
    return styles


def _write_lists(book, dataset: Dataset, styles: dict) -> dict[str, str]:
    """The hidden sheet of code lists; returns column name -> the range its drop-down offers."""
    code_columns = [c for c in dataset.columns if c.type == CODE]
    if not code_columns:
        return {}
    sheet = book.add_worksheet(LISTS_SHEET)
    sources = {}
    for i, column in enumerate(code_columns):
        label_col, code_col = 2 * i, 2 * i + 1
        sheet.write(0, label_col, f"{column.zh}（可选值）", styles["bold"])
        sheet.write(0, code_col, f"{column.name} (code)", styles["bold"])
        for row, (code, names) in enumerate(column.codes.items(), start=1):
            sheet.write_string(row, label_col, names[0])
            sheet.write_string(row, code_col, code)
        letter = xl_col_to_name(label_col)
        sources[column.name] = f"='{LISTS_SHEET}'!${letter}$2:${letter}${len(column.codes) + 1}"
        sheet.set_column(label_col, code_col, 24)
    sheet.hide()
    return sources


def _write_data_sheet(sheet, dataset: Dataset, styles: dict, sources: dict[str, str]) -> None:
    example = example_row(dataset)
    for i, column in enumerate(dataset.columns):
        width = max(12, min(40, 2 * len(column.zh) + 4))
        sheet.set_column(i, i, width, styles[f"column:{column.type}"])
        sheet.write_string(HEADER_ROW - 1, i, column.zh, styles["header"])
        sheet.write_comment(
            HEADER_ROW - 1, i, f"{column.name}\n{hint_zh(dataset, column)}", {"x_scale": 2.5, "y_scale": 2}
        )
        sheet.write_string(ENGLISH_ROW - 1, i, column.name, styles["english"])
        _write_example(sheet, i, column, example[column.name], styles[f"example:{column.type}"])
        sheet.data_validation(
            EXAMPLE_ROW - 1, i, LAST_ROW - 1, i, validation(dataset, column, i, sources.get(column.name))
        )
    sheet.set_row(HEADER_ROW - 1, 30)
    sheet.freeze_panes(ENGLISH_ROW, 0)


def _write_example(sheet, col: int, column: Column, value: object, style) -> None:
    row = EXAMPLE_ROW - 1
    if column.type == DATE:
        sheet.write_datetime(row, col, dt.datetime.combine(value, dt.time()), style)
    elif column.type in (INT, DECIMAL):
        sheet.write_number(row, col, value, style)
    else:
        sheet.write_string(row, col, str(value), style)


def _write_instructions(sheet, dataset: Dataset, styles: dict) -> None:
    notes = [
        f"{dataset.zh}（{dataset.name}）每列填写说明",
        "",
        f"1. 在“{dataset.zh}”工作表填写：第1行为中文表头，第2行为英文列名，请勿修改或删除；从第{FIRST_DATA_ROW}行起每行一条记录。",
        f"2. 第{EXAMPLE_ROW}行为示例行（首列以“{EXAMPLE_MARKER}”开头），导入时自动跳过，可保留或删除；请勿在示例行中填写真实数据。",
        "3. 代码列请从下拉列表选择中文选项；日期列填写日期（如 2019-03-05）；金额单位为万元，只填数字。",
        f"4. 文件名须以“{dataset.name}”开头（如 {dataset.name}_2020_单位名称.xlsx），保存为 .xlsx，一个工作表只放一类数据。",
        f"5. 报送前请自查：scorecard check {dataset.name}_….xlsx（每个问题一行，并说明如何修改）。",
    ]
    for row, text in enumerate(notes):
        sheet.write_string(row, 0, text, styles["title"] if row == 0 else styles["text"])
    top = len(notes) + 1
    heads = ("列", "中文表头", "英文列名", "类型", "是否必填", "填写要求", "可选值")
    for col, text in enumerate(heads):
        sheet.write_string(top, col, text, styles["bold"])
    for i, column in enumerate(dataset.columns, start=1):
        rules = column_rules_zh(dataset, column)
        cells = (
            xl_col_to_name(i - 1),
            column.zh,
            column.name,
            TYPE_ZH[column.type],
            rules[0],
            "；".join([format_zh(column), *rules[1:]]),
            "、".join(labels(column)) if column.type == CODE else ("是、否" if column.type == BOOL else ""),
        )
        for col, text in enumerate(cells):
            sheet.write_string(top + i, col, text, styles["text"])
    row = top + len(dataset.columns) + 2
    for rule in dataset.row_rules:
        sheet.write_string(row, 0, "行规则", styles["bold"])
        sheet.write_string(row, 1, f"{rule_zh(dataset, rule.sql)}（否则：{rule.reason_zh}）", styles["text"])
        row += 1
    sheet.set_column(0, 0, 8)
    sheet.set_column(1, 2, 22)
    sheet.set_column(3, 4, 14)
    sheet.set_column(5, 6, 60)
