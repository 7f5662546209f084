"""Feedback workbooks (issue 18 items 3–4): after a real load of the bundled data (plus a file of
bad KPI targets), `scorecard feedback` writes one workbook per unit that lists exactly that unit's
quarantined rows — the row as sent, the column and value at fault, the reason and fix in Chinese,
the file and row — and an index; the Dagster ingest assets show the rows and the feedback asset
writes the workbooks."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections import Counter
from pathlib import Path

import dagster as dg
import duckdb
import openpyxl
import pytest
from click.testing import CliRunner
from resource_fixtures import pipeline_resources

from scorecard.cli import cli
from scorecard.contracts import DATASETS
from scorecard.feedback import INDEX_NAME, PROBLEM_HEADERS, UNASSIGNED
from scorecard.ingest import load_dataset
from scorecard.reader import header_key, header_map
from scorecard.reasons import explain
from scorecard.warehouse import create_raw_tables

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "data" / "raw"
FILES = REPO / "tests" / "badinput" / "files"
ZH_TO_DATASET = {d.zh: name for name, d in DATASETS.items()}
# Bad KPI targets: two for a project of 南方科技大学 (stic), one for another of its projects (drc), and
# one for SZ2018-IN-9001, whose own projects row was quarantined (its unit comes from that row as sent),
# one for SZ2018-CT-0003 of 北京大学深圳研究生院, which has no other problem.
EXTRA = (
    "project_id,indicator,target_value,due_date\n"
    "SZ2017-CT-0001,专利数,3,2021-04-17\n"
    "SZ2017-CT-0009,papers,-1,2021-04-17\n"
    "SZ2017-IN-0052,papers,2,2021-13-01\n"
    "SZ2018-IN-9001,papers,2,2021-04-17\n"
    "SZ2018-CT-0003,论文,,2021-04-17\n"
)

# Independent of scorecard/feedback.py: whose row is whose, in SQL over the same ledger.
EXPECTED_SQL = """
WITH sent AS (
    SELECT q.*, r.cells, json_extract_string(r.cells, '$.project_id') AS sent_project
    FROM raw.quarantine q JOIN raw.quarantine_rows r USING (dataset, source_file, source_row)
), quarantined_projects AS (
    SELECT sent_project AS project_id, any_value(json_extract_string(cells, '$.{by}')) AS unit
    FROM sent WHERE dataset = 'projects' GROUP BY 1
)
SELECT s.dataset, s.source_file, s.source_row, s.column_name, s.value,
       coalesce(CASE WHEN s.dataset = 'projects' THEN json_extract_string(s.cells, '$.{by}') END,
                p.{by}, qp.unit, '{unassigned}') AS unit
FROM sent s
LEFT JOIN raw.projects p ON p.project_id = s.sent_project AND s.dataset <> 'projects'
LEFT JOIN quarantined_projects qp ON qp.project_id = s.sent_project AND s.dataset <> 'projects'
"""


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    base = tmp_path_factory.mktemp("feedback")
    raw = base / "raw"
    shutil.copytree(BUNDLED, raw)
    (raw / "kpi_targets_extra.csv").write_text(EXTRA, encoding="utf-8")
    warehouse = base / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    create_raw_tables(con)
    for dataset in DATASETS.values():
        load_dataset(con, dataset, raw)
    expected = {
        by: con.sql(EXPECTED_SQL.format(by=by, unassigned=UNASSIGNED)).fetchall() for by in ("undertaker", "department")
    }
    total = con.sql("SELECT count(*) FROM raw.quarantine").fetchall()[0][0]
    con.close()
    return {"raw": raw, "warehouse": warehouse, "expected": expected, "total": total}


def run_feedback(loaded, out: Path, by: str) -> str:
    result = CliRunner().invoke(
        cli, ["feedback", "--out", str(out), "--by", by], env={"SCORECARD_WAREHOUSE": str(loaded["warehouse"])}
    )
    assert result.exit_code == 0, result.output
    return result.output


def read_unit_workbook(path: Path) -> list[dict]:
    """Every row of every dataset sheet, as the header -> cell of that sheet, plus its dataset."""
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[0] == "汇总"
    rows = []
    for sheet in book.worksheets[1:]:
        values = list(sheet.iter_rows(values_only=True))
        headers = values[0]
        assert headers[: len(PROBLEM_HEADERS)] == PROBLEM_HEADERS
        for row in values[1:]:
            rows.append({"dataset": ZH_TO_DATASET[sheet.title], **dict(zip(headers, row))})
    return rows


def department_label(value: str) -> str:
    from scorecard import codes

    return codes.ALL_DEPARTMENTS[value][0] if value in codes.ALL_DEPARTMENTS else value


@pytest.mark.parametrize("by", ["undertaker", "department"])
def test_each_unit_workbook_lists_exactly_that_units_quarantined_rows(loaded, tmp_path, by):
    out = tmp_path / "feedback"
    run_feedback(loaded, out, by)
    expected: dict[str, set] = {}
    for dataset, file, row, column, value, unit in loaded["expected"][by]:
        unit = department_label(unit) if by == "department" and unit != UNASSIGNED else unit
        expected.setdefault(unit, set()).add((dataset, file, row, column, value))
    manifest = json.loads((out / "feedback.json").read_text(encoding="utf-8"))
    assert {u["unit"]: u["rows"] for u in manifest["units"]} == {u: len(r) for u, r in expected.items()}
    assert manifest["rows"] == loaded["total"] == 12
    for entry in manifest["units"]:
        got = read_unit_workbook(out / entry["file"])
        listed = {(r["dataset"], r["原文件"], r["行号"], _column_name(r["出错列"]), r["出错值"] or None) for r in got}
        assert listed == expected[entry["unit"]], entry["unit"]
        assert len(got) == len(listed)
        for r in got:
            reason_zh, fix_zh = explain(DATASETS[r["dataset"]], _reason_code(loaded, r), _column_name(r["出错列"]))
            assert (r["问题"], r["修改建议"]) == (reason_zh, fix_zh)
    index = list(openpyxl.load_workbook(out / INDEX_NAME)["索引"].iter_rows(values_only=True))
    assert [(r[0], r[1], r[2]) for r in index[1:-1]] == [(u["unit"], u["file"], u["rows"]) for u in manifest["units"]]
    assert index[-1][:3] == ("合计", None, loaded["total"])


def _column_name(cell: str) -> str | None:
    return cell.split("[")[1].rstrip("]") if cell and "[" in cell else None


def _reason_code(loaded, row: dict) -> str:
    con = duckdb.connect(str(loaded["warehouse"]), read_only=True)
    try:
        return con.sql(
            "SELECT reason_code FROM raw.quarantine WHERE dataset = ? AND source_file = ? AND source_row = ?",
            params=[row["dataset"], row["原文件"], row["行号"]],
        ).fetchall()[0][0]
    finally:
        con.close()


def test_undertaker_workbook_holds_the_row_as_sent(loaded, tmp_path):
    """南方科技大学 gets its three KPI rows, its disbursement and its progress report, cell for cell as in
    the files."""
    out = tmp_path / "feedback"
    run_feedback(loaded, out, "undertaker")
    rows = read_unit_workbook(out / "南方科技大学.xlsx")
    assert sorted((r["dataset"], r["原文件"], r["行号"]) for r in rows) == [
        ("disbursements", "disbursements_city.csv", 861),
        ("kpi_targets", "kpi_targets_extra.csv", 2),
        ("kpi_targets", "kpi_targets_extra.csv", 3),
        ("kpi_targets", "kpi_targets_extra.csv", 4),
        ("progress_reports", "progress_reports.csv", 2),
    ]
    for r in rows:
        dataset = DATASETS[r["dataset"]]
        data = (loaded["raw"] / r["原文件"]).read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:  # disbursements_city.csv is a GBK export
            text = data.decode("gb18030")
        records = list(csv.reader(io.StringIO(text, newline="")))
        names = [header_map(dataset)[header_key(h)] for h in records[0]]  # English or Chinese headers
        record = dict(zip(names, records[r["行号"] - 1]))
        assert [r[c.zh] or "" for c in dataset.columns] == [record[c.name] for c in dataset.columns]
    fixes = {r["行号"]: (r["出错列"], r["出错值"], r["问题"]) for r in rows if r["dataset"] == "kpi_targets"}
    assert fixes == {
        2: ("指标 [indicator]", "专利数", "指标不是规定的选项"),
        3: ("目标值 [target_value]", "-1", "目标值超出允许范围"),
        4: ("目标日期 [due_date]", "2021-13-01", "目标日期不是有效日期"),
    }
    # SZ2018-IN-9001 is not in raw.projects, but its quarantined projects row names the undertaker.
    association = read_unit_workbook(out / "深圳市新能源汽车产业协会.xlsx")
    assert sorted((r["dataset"], r["行号"]) for r in association) == [("kpi_targets", 5), ("projects", 152)]
    unassigned = read_unit_workbook(out / f"{UNASSIGNED}.xlsx")
    assert sorted(r["项目编号"] for r in unassigned) == ["SZ2016-IN-0007", "SZ2017-CT-0O12"]


def test_a_rewrite_removes_the_workbooks_of_units_with_nothing_left_to_fix(loaded, tmp_path):
    out = tmp_path / "feedback"
    warehouse = tmp_path / "w.duckdb"
    shutil.copy(loaded["warehouse"], warehouse)
    run_feedback({**loaded, "warehouse": warehouse}, out, "undertaker")
    assert (out / "北京大学深圳研究生院.xlsx").is_file()
    (out / "notes.txt").write_text("kept", encoding="utf-8")
    fixed = tmp_path / "raw"
    shutil.copytree(loaded["raw"], fixed)
    (fixed / "kpi_targets_extra.csv").unlink()  # the bad KPI targets withdrawn: a real reload
    con = duckdb.connect(str(warehouse))
    try:
        load_dataset(con, DATASETS["kpi_targets"], fixed)
    finally:
        con.close()
    output = run_feedback({**loaded, "warehouse": warehouse}, out, "undertaker")
    assert not (out / "北京大学深圳研究生院.xlsx").exists()
    assert (out / "notes.txt").read_text(encoding="utf-8") == "kept"
    manifest = json.loads((out / "feedback.json").read_text(encoding="utf-8"))
    assert manifest["rows"] == loaded["total"] - 5
    assert sorted(p.name for p in out.glob("*.xlsx")) == sorted([*(u["file"] for u in manifest["units"]), INDEX_NAME])
    assert output.splitlines()[-1].startswith(
        f"{len(manifest['units'])} workbooks, {loaded['total'] - 5} quarantined rows"
    )


def test_feedback_without_a_warehouse_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(
        cli, ["feedback", "--out", str(tmp_path / "f")], env={"SCORECARD_WAREHOUSE": str(tmp_path / "no.duckdb")}
    )
    assert result.exit_code == 1
    assert (
        result.output.strip()
        == f"Error: {tmp_path / 'no.duckdb'}: no warehouse yet; run `scorecard run` (or ingest) first"
    )


def test_dagster_ingest_shows_quarantined_rows_and_the_feedback_asset_writes_the_workbooks(tmp_path):
    from assets.feedback import feedback_assets
    from assets.raw import raw_assets

    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(FILES / "projects_numbers.csv", raw / "projects.csv")
    reports = tmp_path / "reports"
    result = dg.materialize(
        [*raw_assets, *feedback_assets],
        resources=pipeline_resources(raw, tmp_path / "w.duckdb", reports, rubric="unused.yaml"),
    )
    assert result.success
    projects = result.asset_materializations_for_node("raw__projects")[0].metadata
    preview = projects["quarantine_preview"].value.splitlines()
    assert preview[0] == "| file | row | column | value | 原因 | reason |"
    assert (
        preview[2]
        == "| projects.csv | 5 | approved_funding_wan | 1,23 | 财政资助金额（万元）不是有效数字 | approved_funding_wan is not a number |"
    )
    assert len(preview) == 2 + 6
    assert projects["feedback_folder"].value == str(tmp_path / "feedback")
    meta = result.asset_materializations_for_node("feedback_workbooks")[0].metadata
    assert (meta["rows_to_fix"].value, meta["feedback_folder"].value) == (6, str(tmp_path / "feedback"))
    manifest = json.loads((tmp_path / "feedback" / "feedback.json").read_text(encoding="utf-8"))
    assert manifest["rows"] == 6 and meta["workbooks"].value == len(manifest["units"])
    listed = Counter(
        r["行号"] for u in manifest["units"] for r in read_unit_workbook(tmp_path / "feedback" / u["file"])
    )
    assert sorted(listed) == [5, 6, 7, 8, 9, 10] and set(listed.values()) == {1}
