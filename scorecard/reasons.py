"""What each column asks for and what each quarantine reason means, in Chinese, for the people who
send the data: the templates' input hints, the pre-flight check's lines and the feedback workbooks.

Everything is derived from the dataset contracts (``scorecard.contracts``) and the reason codes that
``scorecard.ingest`` writes to ``raw.quarantine``; nothing here lists columns of its own.
"""

from __future__ import annotations

import re

from scorecard.contracts import (
    BOOL,
    CODE,
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

TYPE_ZH = {
    TEXT: "文本",
    ID: "编号（文本）",
    CODE: "代码（从下拉列表选择）",
    INT: "整数",
    DECIMAL: "数字",
    DATE: "日期",
    BOOL: "是/否",
    PERIOD: "报告期（季度）",
}

EXAMPLE_DATE = "2019-03-05"


def bounds_zh(column: Column) -> str | None:
    """The column's numeric bounds as a reader would say them: "≥ 0", "> 0", "2000 至 2100"."""
    if column.min is not None and column.max is not None:
        return f"{column.min:g} 至 {column.max:g}"
    return "，".join(column.bounds) or None


def labels(column: Column) -> list[str]:
    """The Chinese labels of a code column, in the contract's order (what the drop-down offers)."""
    return [label[0] for label in (column.codes or {}).values()]


def format_zh(column: Column) -> str:
    """How to write one value of the column."""
    if column.type == DATE:
        return f"日期，如 {EXAMPLE_DATE}（也可写 2019/3/5 或 2019年3月5日）"
    if column.type == PERIOD:
        return "季度，如 2019Q4（也可写 2019年第4季度）"
    if column.type == BOOL:
        return "填“是”或“否”"
    if column.type == CODE:
        return "从下拉列表选择：" + "、".join(labels(column))
    if column.type == INT:
        return "整数"
    if column.type == DECIMAL:
        return "数字（金额以万元计，不写单位）" if "万元" in column.zh else "数字"
    return f"文本，不超过 {MAX_TEXT} 字"


def column_rules_zh(dataset: Dataset, column: Column) -> list[str]:
    """Every rule the contract puts on a column, in Chinese (the template's input hints)."""
    rules = ["可不填" if column.nullable else "必填"]
    if column.type in (INT, DECIMAL) and (b := bounds_zh(column)):
        rules.append(f"取值 {b}")
    if column.type == DATE:
        rules.append(f"在 {MIN_DATE} 至 {MAX_DATE} 之间")
    if dataset.key == (column.name,):
        rules.append("不可重复")
    elif column.name in dataset.key:
        rules.append("与" + "、".join(dataset.column(k).zh for k in dataset.key if k != column.name) + "组合不可重复")
    if column.name == "project_id" and dataset.references_projects:
        rules.append("须是项目台账中的项目编号")
    for rule in dataset.row_rules:
        if column.name == rule.left:
            rules.append(f"须满足：{rule_zh(dataset, rule.sql)}")
    return rules


def hint_zh(dataset: Dataset, column: Column) -> str:
    """One line: how to write the value and its rules (a cell's input prompt)."""
    return format_zh(column) + "；" + "；".join(column_rules_zh(dataset, column))


def rule_zh(dataset: Dataset, sql: str) -> str:
    """A row rule's condition with the columns' Chinese headers: ``结束日期 > 开始日期``."""
    text = sql
    for column in sorted(dataset.columns, key=lambda c: -len(c.name)):
        text = re.sub(rf"\b{column.name}\b", column.zh, text)
    return text


def explain(dataset: Dataset, reason_code: str, column_name: str | None) -> tuple[str, str]:
    """(the problem in Chinese, how to fix it in Chinese) of one quarantine reason."""
    column = dataset.column(column_name) if column_name in dataset.column_names else None
    zh = column.zh if column else "整行"
    if reason_code.startswith("row_rule:"):
        rule = next((r for r in dataset.row_rules if f"row_rule:{r.name}" == reason_code), None)
        if rule is not None:
            return rule.reason_zh, f"请核对{zh}及相关列，使其满足：{rule_zh(dataset, rule.sql)}"
    if reason_code == "missing_value":
        return f"{zh}为空", f"请填写{zh}（{format_zh(column)}）" if column else "请补全该行"
    if reason_code == "too_long":
        return f"{zh}超过 {MAX_TEXT} 字", "请检查是否误粘贴了多余内容，并精简到规定字数以内"
    if reason_code == "unknown_code":
        return f"{zh}不是规定的选项", "请" + format_zh(column)
    if reason_code == "bad_number":
        return f"{zh}不是有效数字", "请只填写数字，如 1234.5（不写单位或文字）"
    if reason_code == "bad_date":
        return f"{zh}不是有效日期", f"请填写{format_zh(column)}"
    if reason_code == "date_out_of_range":
        return f"{zh}超出 {MIN_DATE} 至 {MAX_DATE}", "请核对年份是否输错"
    if reason_code == "bad_bool":
        return f"{zh}不是“是/否”", "请填“是”或“否”"
    if reason_code == "bad_period":
        return f"{zh}不是有效报告期", "请按季度填写，如 2019Q4"
    if reason_code == "out_of_range":
        return f"{zh}超出允许范围", f"{zh}的取值须为 {bounds_zh(column)}" if column else "请核对数值"
    if reason_code == "extra_cells":
        return (
            "该行的单元格比表头多（可能有未加引号的逗号）",
            "请检查该行是否有多余的逗号或错位的列，金额不要写千位分隔符",
        )
    if reason_code == "unknown_project":
        return "项目编号不在项目台账中", "请核对项目编号是否输错（如字母O与数字0），或先报送该项目的台账"
    if reason_code == "duplicate_key":
        key = "、".join(dataset.column(k).zh for k in dataset.key)
        return f"与前面的行重复（{key}相同）", f"请删除重复的行，或更正{key}；系统只保留第一行"
    return reason_code, "请核对该行"
