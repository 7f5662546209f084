"""Ingest (issue 2 item 4): messy inputs read correctly, bad rows quarantined with reasons, row counts
reconcile, a broken file fails clearly and writes nothing, a rerun changes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import xlsxwriter
from badinput.make_fixtures import prow
from resource_fixtures import raw_warehouse

from scorecard.contracts import DATASETS, PROJECTS
from scorecard.ingest import load_dataset
from scorecard.reader import FileError

EN_HEADER = [c.name for c in PROJECTS.columns]
ZH_HEADER = [c.zh for c in PROJECTS.columns]


# the good projects row of the bad-input catalogue, as a 2017 project with these amounts
INGEST_ROW = {
    "approval_year": "2017",
    "start_date": "2017-03-01",
    "end_date": "2019-12-31",
    "approved_funding_wan": "1000",
    "self_funding_wan": "500",
}


def project_row(pid: str, **over) -> list[str]:
    return prow(pid, **{**INGEST_ROW, **over})


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8", sep: str = ",") -> Path:
    lines = [sep.join(header)] + [sep.join(f'"{v}"' if ("," in v or "\n" in v) else v for v in row) for row in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


@pytest.fixture
def con(tmp_path):
    with raw_warehouse(tmp_path / "w.duckdb") as c:
        yield c


def rows(con, sql):
    return con.sql(sql).fetchall()


def test_gbk_csv_with_chinese_headers_labels_and_date_styles(tmp_path, con):
    raw = tmp_path / "raw"
    raw.mkdir()
    write_csv(
        raw / "projects_2019.csv",
        ZH_HEADER,
        [
            project_row(
                "SZ-1",
                field="石墨烯",
                plan="核心关键技术攻关专项扶持计划",
                department="市科技创新委",
                undertaker_type="高校",
                selection_method="悬赏",
                support_mode="直接资助",
                funding_stage="事前资助",
                start_date="2019年3月5日",
                end_date="2021/3/5",
                approved_funding_wan="1,234.5",
                self_funding_wan="500万元",
            ),
            project_row(
                " SZ-2 ", field="ＮＥＶ", approval_year="２０１９", start_date="2019.03.05", end_date="2021-03-05"
            ),
        ],
        encoding="gbk",
    )
    summary = load_dataset(con, PROJECTS, raw)
    assert summary["rows_read"] == 2 and summary["rows_clean"] == 2 and summary["rows_quarantined"] == 0
    got = rows(
        con,
        "SELECT project_id, field, plan, department, undertaker_type, selection_method, support_mode, "
        "funding_stage, approval_year, start_date, end_date, approved_funding_wan, self_funding_wan "
        "FROM raw.projects ORDER BY project_id",
    )
    # the labels became codes; the years, dates and amounts their types
    assert got[0][:8] == ("SZ-1", "graphene", "core_tech", "stic", "university", "bounty", "grant", "ex_ante")
    assert got[0][8:] == (2017, dt.date(2019, 3, 5), dt.date(2021, 3, 5), 1234.5, 500.0)
    assert got[1][:2] == ("SZ-2", "nev") and got[1][8] == 2019 and got[1][9] == dt.date(2019, 3, 5)
    # normalisations are counted, per column
    norm = summary["normalised_cells"]
    assert norm["field"] == 2 and norm["project_id"] == 1 and norm["approved_funding_wan"] == 1
    lineage = rows(con, "SELECT _source_file, _source_row, length(_file_sha256) FROM raw.projects ORDER BY _source_row")
    assert lineage == [("projects_2019.csv", 2, 64), ("projects_2019.csv", 3, 64)]


def test_xlsx_with_title_rows_and_excel_dates(tmp_path, con):
    raw = tmp_path / "raw"
    raw.mkdir()
    wb = xlsxwriter.Workbook(str(raw / "projects_2017.xlsx"))
    ws = wb.add_worksheet("台账")
    ws.merge_range(0, 0, 0, len(ZH_HEADER) - 1, "深圳市十大重大科技产业专项项目台账（2017年度）")
    ws.write_row(2, 0, ZH_HEADER)  # row 2 blank, header on sheet row 3
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for r, pid in enumerate(["X-1", "X-2"], start=3):
        values = project_row(pid)
        ws.write_row(r, 0, values)
        ws.write_datetime(r, ZH_HEADER.index("开始日期"), dt.datetime(2017, 4, 1), date_fmt)
        ws.write_number(r, ZH_HEADER.index("财政资助金额（万元）"), 800)
    ws.write(4, ZH_HEADER.index("结束日期"), "2016-01-01")  # X-2 ends before it starts: quarantined
    wb.close()
    summary = load_dataset(con, PROJECTS, raw)
    assert (summary["rows_read"], summary["rows_clean"], summary["rows_quarantined"]) == (2, 1, 1)
    assert rows(con, "SELECT project_id, start_date, approved_funding_wan, _source_row FROM raw.projects") == [
        ("X-1", dt.date(2017, 4, 1), 800.0, 4)
    ]
    # the sheet's own row number: title row 1, blank row 2, header row 3, X-2 on row 5
    assert rows(con, "SELECT source_file, source_row, column_name, reason_code FROM raw.quarantine") == [
        ("projects_2017.xlsx", 5, "end_date", "row_rule:end_after_start")
    ]


def test_bad_rows_quarantined_with_reasons_and_counts_reconcile(tmp_path, con):
    raw = tmp_path / "raw"
    raw.mkdir()
    write_csv(
        raw / "projects_a.csv", EN_HEADER, [project_row("P1"), project_row("P2"), project_row("P3", field="quantum")]
    )
    write_csv(raw / "projects_b.csv", EN_HEADER, [project_row("P1"), project_row("P4", approved_funding_wan="-5")])
    write_csv(
        raw / "disbursements.csv",
        ["payment_id", "project_id", "payment_date", "amount_wan", "kind", "source"],
        [
            ["D1", "P1", "2017-05-01", "500", "拨付", "市级"],
            ["D2", "P9", "2017-05-01", "500", "disbursement", "city"],  # unknown project
            ["D1", "P2", "2017-06-01", "300", "disbursement", "city"],  # duplicate payment_id
            ["D3", "P2", "2017-06-01", "(300)", "disbursement", "city"],  # negative amount
            ["D4", "P2", "2017-06-31", "300", "disbursement", "city"],  # no such day
            ["D5", "P2", "2017-07-01", "inf", "recovery", "district"],  # not finite
        ],
    )
    load_dataset(con, PROJECTS, raw)
    load_dataset(con, DATASETS["disbursements"], raw)
    q = rows(
        con, "SELECT dataset, source_file, source_row, column_name, value, reason_code FROM raw.quarantine ORDER BY ALL"
    )
    assert q == [
        ("disbursements", "disbursements.csv", 3, "project_id", "P9", "unknown_project"),
        ("disbursements", "disbursements.csv", 4, "payment_id", "D1", "duplicate_key"),
        ("disbursements", "disbursements.csv", 5, "amount_wan", "(300)", "out_of_range"),
        ("disbursements", "disbursements.csv", 6, "payment_date", "2017-06-31", "bad_date"),
        ("disbursements", "disbursements.csv", 7, "amount_wan", "inf", "bad_number"),
        ("projects", "projects_a.csv", 4, "field", "quantum", "unknown_code"),
        ("projects", "projects_b.csv", 2, "project_id", "P1", "duplicate_key"),
        ("projects", "projects_b.csv", 3, "approved_funding_wan", "-5", "out_of_range"),
    ]
    log = rows(
        con, "SELECT source_file, rows_read, rows_clean, rows_quarantined FROM raw.load_log ORDER BY source_file"
    )
    assert log == [("disbursements.csv", 6, 1, 5), ("projects_a.csv", 3, 2, 1), ("projects_b.csv", 2, 0, 2)]
    assert all(r == c + q for _, r, c, q in log)
    assert rows(con, "SELECT project_id FROM raw.projects ORDER BY 1") == [("P1",), ("P2",)]
    assert rows(con, "SELECT _source_file FROM raw.projects WHERE project_id = 'P1'") == [("projects_a.csv",)]


def test_missing_required_column_fails_and_leaves_warehouse_untouched(tmp_path, con):
    raw = tmp_path / "raw"
    raw.mkdir()
    write_csv(raw / "projects.csv", EN_HEADER, [project_row("P1")])
    load_dataset(con, PROJECTS, raw)
    before = rows(con, "SELECT * FROM raw.projects")
    header = [h for h in EN_HEADER if h != "end_date"]
    write_csv(raw / "projects.csv", header, [[v for h, v in zip(EN_HEADER, project_row("P2")) if h != "end_date"]])
    with pytest.raises(FileError) as err:
        load_dataset(con, PROJECTS, raw)
    assert "projects.csv" in str(err.value) and "required column missing: end_date (结束日期)" in str(err.value)
    assert rows(con, "SELECT * FROM raw.projects") == before
    assert rows(con, "SELECT count(*) FROM raw.load_log") == [(1,)]


def test_semicolon_delimiter_and_quoted_newline(tmp_path, con):
    raw = tmp_path / "raw"
    raw.mkdir()
    write_csv(
        raw / "projects.csv", EN_HEADER, [project_row("P1", project_name="第一行\n第二行"), project_row("P2")], sep=";"
    )
    summary = load_dataset(con, PROJECTS, raw)
    assert summary["rows_clean"] == 2
    assert rows(con, "SELECT project_name, _source_row FROM raw.projects ORDER BY 2") == [
        ("第一行\n第二行", 2),
        ("项目P2", 3),
    ]


def test_reload_of_same_files_changes_nothing_and_changed_file_replaces_rows(tmp_path, con):
    raw = tmp_path / "raw"
    raw.mkdir()
    write_csv(raw / "projects.csv", EN_HEADER, [project_row("P1"), project_row("P2")])
    first = load_dataset(con, PROJECTS, raw)
    snapshot = rows(con, "SELECT * FROM raw.projects ORDER BY project_id")
    second = load_dataset(con, PROJECTS, raw)
    assert first["unchanged"] is False and second["unchanged"] is True
    assert rows(con, "SELECT * FROM raw.projects ORDER BY project_id") == snapshot
    assert rows(con, "SELECT count(DISTINCT load_id) FROM raw.load_log") == [(1,)]
    write_csv(raw / "projects.csv", EN_HEADER, [project_row("P1", approved_funding_wan="900")])
    load_dataset(con, PROJECTS, raw)
    assert rows(con, "SELECT project_id, approved_funding_wan FROM raw.projects") == [("P1", 900.0)]


def test_dataset_docs_are_generated_from_the_contracts():
    from scorecard.docs import datasets_markdown
    from scorecard.settings import PROJECT_ROOT

    text = (PROJECT_ROOT / "docs" / "datasets.md").read_text(encoding="utf-8")
    assert text == datasets_markdown(), "docs/datasets.md is stale: run `scorecard docs`"
    assert "| `approved_funding_wan` | 财政资助金额（万元） | decimal | ≥ 0 |" in text


def test_bare_carriage_return_in_the_header_is_a_file_error(tmp_path, con):
    """Found by the reader fuzz test: csv raised its own error instead of the platform's FileError."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "projects.csv").write_bytes(b"project_id,a\rb\nP1,x\n")
    with pytest.raises(FileError, match=r"projects\.csv: cannot read the header row \(row 1\)"):
        load_dataset(con, PROJECTS, raw)
    assert rows(con, "SELECT count(*) FROM raw.load_log") == [(0,)]


def test_a_raw_table_of_other_types_than_its_contract_is_dropped_with_its_load_state(con):
    """A warehouse written before money became DECIMAL: that table is recreated empty and its dataset
    reloaded on the next ingest; a table of the contract's types keeps its rows."""
    from scorecard.db import table_columns
    from scorecard.warehouse import create_raw_tables

    con.execute("INSERT INTO raw.milestones (project_id) VALUES ('P1')")
    con.execute("DROP TABLE raw.projects")
    con.execute("CREATE TABLE raw.projects (project_id VARCHAR, approved_funding_wan DOUBLE)")
    con.execute("INSERT INTO raw.projects VALUES ('P1', 1.5)")
    con.execute("INSERT INTO raw.load_state VALUES ('projects', 'f', 'l', now()), ('milestones', 'f', 'l', now())")
    create_raw_tables(con)
    assert dict(table_columns(con, "raw")["projects"])["approved_funding_wan"] == "DECIMAL(18,4)"
    assert rows(con, "SELECT count(*) FROM raw.projects") == [(0,)]
    assert rows(con, "SELECT count(*) FROM raw.milestones") == [(1,)]
    assert rows(con, "SELECT dataset FROM raw.load_state ORDER BY 1") == [("milestones",)]
