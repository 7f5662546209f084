"""The XLSX: every table of the report on its own sheet, plus every ``mart.project_review`` row of
the year. Headers are Chinese with the English below; 万元 as ``#,##0.00``, rates as percentages."""

from __future__ import annotations

import datetime as dt
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import polars as pl
import xlsxwriter
import xlsxwriter.workbook
import xlsxwriter.worksheet
from xlsxwriter.utility import xl_col_to_name

from scorecard.report.data import COLUMNS
from scorecard.report.i18n import LABELS, I18n
from scorecard.report.tables import CODE_TABLES

FORMATS = {"money": "#,##0.00", "num": "#,##0.00", "pct": "0.0%", "int": "#,##0", "year": "0", "date": "yyyy-mm-dd"}
CODE_COLUMNS = CODE_TABLES  # one map of coded columns to their code table (tables.py)
# The zip's deflate level. At 100,000 projects the sheets are 385 MB of XML: zlib's default (6) takes
# 4.9 CPU-s to make 49 MB of them, level 1 1.6 s for 62 MB (docs/report.md, "The XLSX at scale").
ZIP_LEVEL = 1


class _LevelZipFile(zipfile.ZipFile):
    """A ZipFile whose members are deflated at ``ZIP_LEVEL`` unless told otherwise."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("compresslevel", ZIP_LEVEL)
        super().__init__(*args, **kwargs)


class Worksheet(xlsxwriter.worksheet.Worksheet):
    """xlsxwriter's worksheet, whose rows (kept in a temporary file in constant_memory mode) are copied
    into the sheet's XML as bytes: xlsxwriter reads them back as text, decoding and encoding every
    byte again (at 100,000 projects, 385 MB: about 2 CPU-s)."""

    def _write_optimized_sheet_data(self) -> None:
        if self.dim_rowmin is None or not hasattr(self.fh, "buffer"):
            super()._write_optimized_sheet_data()
            return
        self._xml_start_tag("sheetData")
        self.fh.flush()
        self.row_data_fh.flush()
        self.row_data_fh.buffer.seek(0)
        shutil.copyfileobj(self.row_data_fh.buffer, self.fh.buffer, 1 << 20)
        self.row_data_fh.close()
        os.unlink(self.row_data_filename)
        self._xml_end_tag("sheetData")


class Workbook(xlsxwriter.Workbook):
    """xlsxwriter's workbook, zipped at ``ZIP_LEVEL``: xlsxwriter has no option for the level, so its
    zip step (``_store_workbook``) is given a ZipFile that defaults to it, for that call only. Its
    sheets are ``Worksheet``s."""

    def add_worksheet(self, name: str | None = None, worksheet_class=None):
        return super().add_worksheet(name, worksheet_class or Worksheet)

    def _store_workbook(self) -> None:
        default = xlsxwriter.workbook.ZipFile
        xlsxwriter.workbook.ZipFile = _LevelZipFile
        try:
            super()._store_workbook()
        finally:
            xlsxwriter.workbook.ZipFile = default


def write_workbook(
    path: Path, sheets: list[tuple[str, str, str, pl.DataFrame, str | None, bool]], i18n: I18n
) -> dict[str, int]:
    """``sheets``: (sheet name, title zh, title en, frame, dimension of dimension_value, translate codes).
    Returns rows written per sheet."""
    wb = Workbook(
        str(path),
        {
            "nan_inf_to_errors": True,
            "remove_timezone": True,
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    bold = wb.add_format({"bold": True, "font_size": 13, "font_name": "Noto Sans CJK SC"})
    head = wb.add_format(
        {
            "bold": True,
            "text_wrap": True,
            "valign": "top",
            "bg_color": "#E8EEF5",
            "border": 1,
            "font_name": "Noto Sans CJK SC",
        }
    )
    fmts = {k: wb.add_format({"num_format": v}) for k, v in FORMATS.items()}
    counts = {}
    for name, title_zh, title_en, frame, dimension, translate in sheets:
        ws = wb.add_worksheet(name[:31])
        ws.write(0, 0, i18n.t(title_zh, title_en), bold)
        styles = []  # each column's number format: the column's default and its cells' style
        for j, col in enumerate(frame.columns):
            zh, en, kind = COLUMNS.get(col, (col, col, "text"))
            label = i18n.t(zh, en, sep="\n")
            if col not in COLUMNS:
                label = col
            ws.write(2, j, label, head)
            width = max(
                10, min(40, max((len(str(v)) for v in frame[col].head(200).to_list() if v is not None), default=8) + 2)
            )
            styles.append(fmts.get(kind))
            ws.set_column(j, j, width, styles[-1])
        ws.set_row(2, 32)
        _write_rows(ws, _prepare(frame, dimension, translate, i18n), styles)
        ws.freeze_panes(3, 0)
        if frame.width:
            ws.autofilter(2, 0, 2 + frame.height, frame.width - 1)
        counts[name[:31]] = frame.height
    wb.close()
    return counts


def _write_rows(ws, body: pl.DataFrame, styles: list, first_row: int = 3) -> None:
    """The body's rows from ``first_row`` on: as XML built column-wise by Polars (``_write_rows_xml``) where
    every value is plain, else cell by cell through xlsxwriter. ``styles``: each column's format."""
    if body.height and _plain_values(body):
        _write_rows_xml(ws, body, styles, first_row)
    else:
        _write_cells(ws, body, first_row)


def _write_cells(ws, body: pl.DataFrame, first_row: int) -> None:
    """Rows through the cell writer of each column's type, chosen once per column (``write_row``
    dispatches on the type of every cell). Empty cells are skipped (a blank without format writes
    nothing)."""
    writers = []
    for dtype in body.schema.values():
        if dtype.is_integer() or dtype.is_float():
            writers.append(ws._write_number)
        elif dtype == pl.String:
            writers.append(ws._write_string)
        elif dtype == pl.Boolean:
            writers.append(ws._write_boolean)
        elif isinstance(dtype, pl.Datetime):
            writers.append(ws._write_datetime)
        else:
            writers.append(ws._write)  # anything else: xlsxwriter's own dispatch
    columns = list(enumerate(writers))
    for i, row in enumerate(body.iter_rows(), start=first_row):
        for j, write in columns:
            value = row[j]
            if value is not None:
                write(i, j, value, None)


# Strings xlsxwriter would rewrite (control characters, its own _xHHHH_ escapes, non-characters, rich
# text, the 32,767-character limit) and numbers that are not finite go through xlsxwriter itself.
_SPECIAL_TEXT = r"[\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^<r>"
_XML_ROWS_CHUNK = 20_000
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def _plain_values(body: pl.DataFrame) -> bool:
    """Whether every value can be written by ``_rows_xml`` exactly as xlsxwriter would write it."""
    checks = []
    for name, dtype in body.schema.items():
        if dtype == pl.String:
            col = pl.col(name)
            checks.append((col.str.contains(_SPECIAL_TEXT) | (col.str.len_chars() > 16_000)).any())
        elif dtype.is_float():
            checks.append((~pl.col(name).is_finite()).any())
        elif not (dtype.is_integer() or dtype == pl.Boolean or isinstance(dtype, (pl.Datetime, pl.Decimal))):
            return False
    return not any(body.select(checks).row(0)) if checks else True


def _cell_xml(name: str, dtype, j: int, style, row_ref: pl.Expr) -> pl.Expr:
    """One column's ``<c>`` elements, as xlsxwriter writes them in constant_memory mode."""
    col = pl.col(name)
    head = f'<c r="{xl_col_to_name(j)}'
    s = f' s="{style._get_xf_index()}"' if style is not None else ""
    if dtype == pl.String:
        text = col.str.replace_all("&", "&amp;", literal=True)
        text = text.str.replace_all("<", "&lt;", literal=True).str.replace_all(">", "&gt;", literal=True)
        space = pl.when(col.str.contains(r"^\s|\s$")).then(pl.lit(' xml:space="preserve"')).otherwise(pl.lit(""))
        body = [pl.lit(f'"{s} t="inlineStr"><is><t'), space, pl.lit(">"), text, pl.lit("</t></is></c>")]
    elif dtype == pl.Boolean:
        body = [pl.lit(f'"{s} t="b"><v>'), col.cast(pl.Int8).cast(pl.String), pl.lit("</v></c>")]
    else:  # numbers: integers and decimals as Polars writes them, floats as rendered by _numbers_as_text
        body = [pl.lit(f'"{s}><v>'), col.cast(pl.String), pl.lit("</v></c>")]
    return pl.when(pl.col(name).is_null()).then(pl.lit("")).otherwise(pl.concat_str([pl.lit(head), row_ref, *body]))


def _numbers_as_text(chunk: pl.DataFrame) -> pl.DataFrame:
    """Floats and datetimes (as Excel serial dates: days since 1899-12-30) as xlsxwriter writes a number:
    16 significant digits (``%.16G``), so every cell reads back as the same double."""
    floats = chunk.select(
        (pl.col(n) - pl.lit(_EXCEL_EPOCH)).dt.total_microseconds() / 86_400_000_000
        if isinstance(t, pl.Datetime)
        else pl.col(n)
        for n, t in chunk.schema.items()
        if _float_like(t)
    )
    texts = [
        pl.Series(n, [None if v is None else f"{v:.16G}" for v in floats[n].to_list()], dtype=pl.String)
        for n in floats.columns
    ]
    return chunk.with_columns(texts) if texts else chunk


def _float_like(dtype) -> bool:
    return dtype.is_float() or isinstance(dtype, pl.Datetime)


def _write_rows_xml(ws, body: pl.DataFrame, styles: list, first_row: int) -> None:
    """The rows' XML into the worksheet's row file, a chunk at a time. What xlsxwriter's own row
    writer keeps (the sheet's dimensions, the last row written) is kept the same way."""
    last_row = first_row + body.height - 1
    ws._check_dimensions(first_row, 0)
    ws._check_dimensions(last_row, body.width - 1)
    ws._write_single_row(first_row)  # writes the rows above (title, header) that are still pending
    for start in range(0, body.height, _XML_ROWS_CHUNK):
        chunk = _numbers_as_text(body.slice(start, _XML_ROWS_CHUNK))
        row_ref = pl.int_range(first_row + 1 + start, first_row + 1 + start + chunk.height).cast(pl.String)
        cells = [_cell_xml(n, t, j, styles[j], row_ref) for j, (n, t) in enumerate(body.schema.items())]
        rows = chunk.select(pl.concat_str([pl.lit('<row r="'), row_ref, pl.lit('">'), *cells, pl.lit("</row>")]))
        ws.fh.flush()  # the rows as UTF-8 bytes, straight from Polars (no Python string of them)
        rows.write_csv(ws.fh.buffer, include_header=False, quote_style="never", line_terminator="")
    ws.previous_row = last_row


def _prepare(frame: pl.DataFrame, dimension: str | None, translate: bool, i18n: I18n) -> pl.DataFrame:
    """Codes to labels and dates to datetimes, column-wise in polars (not cell by cell)."""
    exprs = []
    for col, dtype in frame.schema.items():
        table = (CODE_COLUMNS.get(col) or (dimension if col == "dimension_value" else None)) if translate else None
        if table and dtype == pl.String:
            mapping = {k: i18n.one(LABELS[table], k) for k in LABELS[table]}
            exprs.append(pl.col(col).replace(mapping))
        elif dtype == pl.Date:
            exprs.append(pl.col(col).cast(pl.Datetime("us")))
    return frame.with_columns(exprs) if exprs else frame


class WorkbookProcess:
    """``write_workbook`` in a child process (a fresh interpreter, ``python -m scorecard.report.xlsx``),
    so that the parent can print the PDF meanwhile (build.py). Not a fork: a forked child inherits
    Polars' and DuckDB's thread pools without their threads and can hang in them. The sheets go to
    the child in files (the frames as Arrow IPC, the rest pickled), its rows per sheet and time come
    back pickled, its stderr is a file (a chatty child cannot block)."""

    def __init__(self, path: Path, sheets: list[tuple], i18n: I18n):
        self.folder = Path(tempfile.mkdtemp(prefix="scorecard-xlsx-"))
        for k, sheet in enumerate(sheets):  # Arrow IPC: at 100,000 projects 0.3 CPU-s against pickle's 0.7
            sheet[3].write_ipc(self.folder / f"{k}.arrow", compression="uncompressed")
        others = [sheet[:3] + sheet[4:] for sheet in sheets]
        (self.folder / "args").write_bytes(pickle.dumps((Path(path), others, i18n)))
        cmd = [sys.executable, "-m", "scorecard.report.xlsx", str(self.folder)]
        with open(self.folder / "err", "wb") as err:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)

    def result(self) -> tuple[dict[str, int], float]:
        """Wait for the child: (rows per sheet, its seconds); RuntimeError with the child's own error
        if it failed."""
        if self.proc.wait():
            text = (self.folder / "err").read_text(errors="replace").strip()[-2000:]
            raise RuntimeError(f"the XLSX failed (its process exited with code {self.proc.returncode}):\n{text}")
        return pickle.loads((self.folder / "result").read_bytes())

    def close(self) -> None:
        """Kill the child if it is still running (the parent failed or was interrupted); remove its files."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


# The child yields to its parent, which prints the PDF meanwhile (the year's critical path), and to
# the chart images the PDF waits for; it still has the rest of the machine's time.
CHILD_NICENESS = 5


def _workbook_child(folder: Path) -> None:
    os.nice(CHILD_NICENESS)
    t = time.perf_counter()
    path, others, i18n = pickle.loads((folder / "args").read_bytes())
    frames = [pl.read_ipc(folder / f"{k}.arrow") for k in range(len(others))]
    sheets = [sheet[:3] + (frame,) + sheet[3:] for sheet, frame in zip(others, frames)]
    counts = write_workbook(path, sheets, i18n)
    (folder / "result").write_bytes(pickle.dumps((counts, time.perf_counter() - t)))


if __name__ == "__main__":
    _workbook_child(Path(sys.argv[1]))
