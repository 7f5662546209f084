"""The XLSX's fast row writer (Polars-built XML, issue 16) against xlsxwriter's own cell writer: the same
cells, types, values and number formats, read back with openpyxl; values it cannot write exactly go
through xlsxwriter itself."""

from __future__ import annotations

import datetime as dt
import signal
import zipfile
import zlib
from decimal import Decimal

import openpyxl
import polars as pl
import pytest
import xlsxwriter
import xlsxwriter.workbook

from scorecard.report import xlsx
from scorecard.report.i18n import I18n

FRAME = pl.DataFrame(
    {
        "project_id": ["SZ2017-IC-0001", "A&B <c> d", "  leading", "trailing ", None, "深圳市 5G\n第二行"],
        "total_score": [82.1, 0.30000000000000004, None, 1e-05, 100.0, -3.5],
        "projects": [1, 2, 3, None, 5, 1_000_000],
        "net_disbursed_wan": [Decimal("526283.4000"), Decimal("0.0001"), None, Decimal("-12.5"), Decimal(0), None],
        "met": [True, False, None, True, True, False],
        "as_of_date": [dt.date(2019, 12, 31), dt.date(2017, 1, 1), None, dt.date(2020, 2, 29), None, None],
    },
    schema_overrides={"net_disbursed_wan": pl.Decimal(18, 4)},
)


def _write(path, frame: pl.DataFrame, fast: bool) -> None:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "nan_inf_to_errors": True})
    money = wb.add_format({"num_format": "#,##0.00"})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet("s")
    ws.write(0, 0, "title")
    styles = [None, money, None, money, None, date]
    for j, (col, style) in enumerate(zip(frame.columns, styles)):
        ws.write(2, j, col)
        ws.set_column(j, j, 12, style)
    body = frame.with_columns(pl.col("as_of_date").cast(pl.Datetime("us")))
    if fast:
        xlsx._write_rows(ws, body, styles)
    else:
        xlsx._write_cells(ws, body, 3)
    ws.freeze_panes(3, 0)
    ws.autofilter(2, 0, 2 + frame.height, frame.width - 1)
    wb.close()


def _cells(path) -> list[list[tuple]]:
    ws = openpyxl.load_workbook(path).active
    return [[(c.value, c.data_type, c.number_format) for c in row] for row in ws.iter_rows()], ws.dimensions


def test_fast_rows_read_back_as_the_cell_writer_s(tmp_path):
    assert xlsx._plain_values(FRAME.with_columns(pl.col("as_of_date").cast(pl.Datetime("us"))))
    _write(tmp_path / "fast.xlsx", FRAME, fast=True)
    _write(tmp_path / "slow.xlsx", FRAME, fast=False)
    fast, fast_dims = _cells(tmp_path / "fast.xlsx")
    slow, slow_dims = _cells(tmp_path / "slow.xlsx")
    assert fast_dims == slow_dims == "A1:F9"
    assert fast == slow
    # hand-checked cells: escaping, whitespace kept, Decimal exact, dates as dates with their format
    assert fast[4][0][0] == "A&B <c> d" and fast[5][0][0] == "  leading" and fast[6][0][0] == "trailing "
    assert fast[3][3][:3:2] == (526283.4, "#,##0.00")
    assert fast[3][5][0] == dt.datetime(2019, 12, 31) and fast[3][5][2] == "yyyy-mm-dd"
    assert fast[5][4][0] is None and fast[3][4][:2] == (True, "b")


@pytest.mark.parametrize(
    "column",
    [
        pl.Series("text", ["ok", "bell\x07"]),  # a control character: xlsxwriter writes _x0007_
        pl.Series("text", ["ok", "_x0041_"]),  # xlsxwriter escapes its own escape
        pl.Series("ratio", [1.0, float("nan")]),  # NaN becomes an error cell
        pl.Series("ratio", [1.0, float("inf")]),
    ],
)
def test_values_xlsxwriter_rewrites_go_through_it(column):
    assert not xlsx._plain_values(pl.DataFrame([column]))


def test_the_fast_writer_writes_the_same_as_xlsxwriter_for_a_special_frame(tmp_path):
    """A frame with a control character is written cell by cell, so both files agree there too."""
    frame = pl.DataFrame({"a": ["x\x07", "y"], "b": [1.5, 2.0]})
    paths = {}
    for fast in (True, False):
        paths[fast] = tmp_path / f"{fast}.xlsx"
        wb = xlsxwriter.Workbook(str(paths[fast]), {"constant_memory": True})
        ws = wb.add_worksheet()
        (xlsx._write_rows(ws, frame, [None, None]) if fast else xlsx._write_cells(ws, frame, 3))
        wb.close()
    assert _cells(paths[True]) == _cells(paths[False])
    assert _cells(paths[True])[0][3][0][0] == "x_x0007_"  # as xlsxwriter escapes a control character


# --- the workbook: its zip level, and written in a child process (issue 16) ---------------------------
SHEETS = [
    ("摘要 Summary", "摘要", "Summary", FRAME, None, False),
    ("第二 Second", "第二", "Second", pl.DataFrame({"field": ["5g", "graphene"], "projects": [3, 4]}), "field", True),
]


def test_the_workbook_is_deflated_at_the_zip_level_and_xlsxwriter_is_left_as_it_was(tmp_path):
    path = tmp_path / "w.xlsx"
    assert xlsx.write_workbook(path, SHEETS, I18n("zh+en")) == {"摘要 Summary": 6, "第二 Second": 2}
    with zipfile.ZipFile(path) as z:
        sheet = z.getinfo("xl/worksheets/sheet1.xml")
        level_1 = zlib.compressobj(1, zlib.DEFLATED, -15)
        expected = len(level_1.compress(z.read(sheet)) + level_1.flush())
        assert (sheet.compress_type, sheet.compress_size) == (zipfile.ZIP_DEFLATED, expected)
    assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile
    assert openpyxl.load_workbook(path).sheetnames == ["摘要 Summary", "第二 Second"]


def test_a_workbook_written_in_a_child_process_has_the_same_cells(tmp_path):
    xlsx.write_workbook(tmp_path / "here.xlsx", SHEETS, I18n("zh+en"))
    child = xlsx.WorkbookProcess(tmp_path / "apart.xlsx", SHEETS, I18n("zh+en"))
    try:
        counts, seconds = child.result()
    finally:
        child.close()
    assert counts == {"摘要 Summary": 6, "第二 Second": 2} and seconds > 0
    assert not child.folder.exists()
    here, apart = openpyxl.load_workbook(tmp_path / "here.xlsx"), openpyxl.load_workbook(tmp_path / "apart.xlsx")
    assert here.sheetnames == apart.sheetnames
    for name in here.sheetnames:
        cells = [[(c.value, c.number_format) for c in row] for row in here[name].iter_rows()]
        assert cells == [[(c.value, c.number_format) for c in row] for row in apart[name].iter_rows()]
    assert apart["第二 Second"]["A4"].value == "5G移动通信"  # the codes translated there too


def test_a_failing_child_raises_its_own_error_and_writes_no_workbook(tmp_path):
    bad = [("no [brackets]", "标题", "Title", FRAME, None, False)]  # Excel forbids [ ] in a sheet name
    child = xlsx.WorkbookProcess(tmp_path / "bad.xlsx", bad, I18n("zh+en"))
    try:
        with pytest.raises(RuntimeError, match=r"the XLSX failed(.|\n)*InvalidWorksheetName(.|\n)*no \[brackets\]"):
            child.result()
    finally:
        child.close()
    assert not (tmp_path / "bad.xlsx").exists()


def test_closing_a_running_child_kills_it(tmp_path):
    child = xlsx.WorkbookProcess(tmp_path / "killed.xlsx", SHEETS, I18n("zh+en"))
    child.close()  # the parent failed or was interrupted while the child was still starting
    assert child.proc.returncode == -signal.SIGKILL
    assert not child.folder.exists() and not (tmp_path / "killed.xlsx").exists()
