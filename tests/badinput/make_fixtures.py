"""Write the bad-input catalogue's files into ``tests/badinput/files/`` (deterministic: same bytes
every time, except the Parquet file whose footer names the writer's version).

    .venv/bin/python tests/badinput/make_fixtures.py

``cases.yaml`` beside this script says what each file is and what ingest must make of it.
``tests/test_badinput.py`` checks that this script still writes the committed bytes.

The one file this script does not write is ``projects_encrypted.xlsx``: a real password-protected
workbook (an OLE/CFB container starting D0 CF 11 E0 with an encrypted OOXML package inside; password
``scorecard``) made once with ``msoffcrypto-tool``'s ``OOXMLFile.encrypt`` (not a project dependency;
see ``make_encrypted`` below) and committed.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import sys
import zipfile
from pathlib import Path

import xlsxwriter

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # run as a script, or imported as badinput.make_fixtures by a test alone
from raw_columns import PROJECT_COLUMNS, PROJECT_ZH  # noqa: E402

FILES = HERE / "files"
BASE = HERE / "base"  # the good files a case is loaded on top of (projects for the facts)
FIXED = dt.datetime(2020, 1, 1)
NOT_REGENERATED = {"projects_encrypted.xlsx"}
NOT_BYTE_STABLE = {"projects_typed.parquet"}


def prow(pid: str, **over: str) -> list[str]:
    """A good projects row, with some cells replaced."""
    row = {
        "project_id": pid,
        "project_name": f"项目{pid}",
        "field": "5g",
        "plan": "core_tech",
        "department": "stic",
        "undertaker": "深圳某科技有限公司",
        "undertaker_type": "enterprise",
        "selection_method": "tender",
        "support_mode": "grant",
        "funding_stage": "ex_ante",
        "approval_year": "2018",
        "start_date": "2018-01-01",
        "end_date": "2020-12-31",
        "approved_funding_wan": "500",
        "self_funding_wan": "100",
        "project_manager": "张三",
    }
    unknown = set(over) - set(row)
    assert not unknown, unknown
    row.update(over)
    return [row[c] for c in PROJECT_COLUMNS]


def fact_row(good: dict[str, str], **over: str) -> list[str]:
    """The cells of a good row (column -> value, in the file's order), with some replaced."""
    unknown = set(over) - set(good)
    assert not unknown, unknown
    return list({**good, **over}.values())


def csv_text(header: list[str], rows: list[list[str]], sep: str = ",", eol: str = "\n") -> str:
    def cell(v: str) -> str:
        if any(ch in v for ch in (sep, '"', "\n", "\r")):
            return '"' + v.replace('"', '""') + '"'
        return v

    return "".join(sep.join(cell(v) for v in line) + eol for line in [header, *rows])


def write(name: str, data: bytes | str, encoding: str = "utf-8", folder: Path | None = None) -> None:
    folder = folder or FILES
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode(encoding))


def workbook(name: str, build) -> None:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "nan_inf_to_errors": True})
    wb.set_properties({"created": FIXED, "author": "badinput"})
    build(wb)
    wb.close()
    write(name, buf.getvalue())


def typed_project_row(ws, row: int, values: list[str], date_fmt) -> None:
    """Write a projects row the way Excel holds it: numbers as numbers, dates as date cells."""
    for col, (name, value) in enumerate(zip(PROJECT_COLUMNS, values)):
        if name in ("start_date", "end_date") and value[:4].isdigit() and "-" in value:
            ws.write_datetime(row, col, dt.datetime.fromisoformat(value), date_fmt)
        elif name in ("approval_year", "approved_funding_wan", "self_funding_wan"):
            ws.write_number(row, col, float(value))
        else:
            ws.write_string(row, col, value)


# ------------------------------------------------------------------------------------------ base


def base() -> None:
    write("projects.csv", csv_text(PROJECT_COLUMNS, [prow("P001"), prow("P002"), prow("P003")]), folder=BASE)


# ----------------------------------------------------------------------------------------- files


def files() -> None:  # noqa: PLR0915 - one block per catalogue file
    en = PROJECT_COLUMNS
    good = [prow("P001"), prow("P002")]

    # --- encodings, delimiters, shapes -----------------------------------------------------------
    write("projects_empty.csv", b"")
    write("projects_header_only.csv", csv_text(en, []))
    write("projects_bom.csv", b"\xef\xbb\xbf" + csv_text(PROJECT_ZH, good).encode())
    gbk_rows = [
        prow(
            "P001",
            field="5G移动通信",
            plan="核心关键技术攻关专项扶持计划",
            department="市科技创新委",
            undertaker_type="企业",
        ),
        prow(
            "P002",
            field="石墨烯",
            plan="重大产业化专项扶持计划",
            department="市发展改革委",
            selection_method="择优委托",
        ),
    ]
    write("projects_gbk.csv", csv_text(PROJECT_ZH, gbk_rows), encoding="gbk")
    rare = [
        prow("P001", undertaker="深圳𠮷野家科技有限公司", project_manager="𠮷田"),
        prow("P002", project_manager="䶮"),
    ]
    write("projects_gb18030.csv", csv_text(PROJECT_ZH, rare), encoding="gb18030")
    latin = csv_text(
        en, [prow("P001", project_name="Projet", undertaker="Café, Lumière SARL", project_manager="Zoé")]
    ).encode("cp1252")
    write("projects_cp1252.csv", latin)
    write("projects_semicolon.csv", csv_text(en, good, sep=";"))
    write("projects_tab.csv", csv_text(en, good, sep="\t", eol="\r\n"))
    write("projects_utf16.csv", csv_text(en, good, sep="\t", eol="\r\n").encode("utf-16"))
    write(
        "projects_quoted_newline.csv",
        csv_text(en, [prow("P001", project_name="第一行\n第二行, 含逗号", undertaker='某"引号"公司'), prow("P002")]),
    )
    stray = csv_text(en, good).replace("深圳某科技有限公司", '深圳27"显示器有限公司', 1)
    write("projects_stray_quote.csv", stray)
    write("projects_blank_lines.csv", csv_text(en, good).replace("\nP002", "\n,,,,,,,,,,,,,,,\n\nP002"))
    write(
        "projects_extra_columns.csv",
        csv_text([*en, "备注", ""], [[*prow("P001"), "重点项目", "x"], [*prow("P002"), "", ""]]),
    )
    write("projects_missing_optional.csv", csv_text(en[:-1], [r[:-1] for r in good]))
    no_field = [c for c in en if c != "field"]
    write(
        "projects_missing_required.csv", csv_text(no_field, [[v for c, v in zip(en, r) if c != "field"] for r in good])
    )
    write("projects_duplicate_header.csv", csv_text([*en, "项目编号"], [[*r, r[0]] for r in good]))
    ragged = csv_text(en, good).replace(",500,", ",1,500,", 1)  # an unquoted thousands separator
    write("projects_ragged.csv", ragged)
    truncated = csv_text(en, [prow("P001"), prow("P002", project_name="被截断的\n名称")])
    write("projects_truncated.csv", truncated[: truncated.index("被截断的") + 6])
    rng = random.Random(2017)
    write("projects_binary.csv", bytes(rng.randrange(256) for _ in range(4096)))
    write("projects_unsupported.json", b'{"project_id": "P001"}')

    # --- values ----------------------------------------------------------------------------------
    dates = [
        prow("P001", start_date="2018/3/5", end_date="2020/12/31"),
        prow("P002", start_date="2018年3月5日", end_date="2020年12月31日"),
        prow("P003", start_date="2018.03.05", end_date="2020.12.31"),
        prow("P004", start_date="43164", end_date="44196"),  # Excel serial numbers written into a CSV
        prow("P005", start_date="2018-3-5 00:00:00", end_date="2020-12-31T00:00:00"),
        prow("P006", start_date="3/5/2018"),  # month/day order unknown: ambiguous
        prow("P007", start_date="2018-02-30"),  # no such day
    ]
    write("projects_date_styles.csv", csv_text(en, dates))
    fullwidth = [
        prow(
            "P001",
            project_id="　Ｐ００１　",
            approved_funding_wan="１２３",
            self_funding_wan="４５．５",
            department="ＳＴＩＣ",
            approval_year="２０１８",
        ),
        prow("P002", project_name="　项目　二　", field=" 5G ", plan="CORE_TECH"),
    ]
    write("projects_fullwidth.csv", csv_text(en, fullwidth))
    numbers = [
        prow("P001", approved_funding_wan="1,234.5", self_funding_wan="1,234,567"),
        prow("P002", approved_funding_wan="500万元", self_funding_wan="80 万元"),
        prow("P003", approved_funding_wan="300万", self_funding_wan="￥20"),
        prow("P004", approved_funding_wan="1,23"),  # not groups of three: ambiguous
        prow("P005", approved_funding_wan="1.234,5"),  # European style: ambiguous
        prow("P006", approved_funding_wan="500元"),  # 元, not 万元: a factor of 10,000 apart
        prow("P007", approved_funding_wan="5亿"),
        prow("P008", approved_funding_wan="(500)"),  # accountants' negative → -500 < 0
        prow("P009", self_funding_wan="-20"),
    ]
    write("projects_numbers.csv", csv_text(en, numbers))
    not_numbers = ("NaN", "inf", "-Infinity", "1e999", "#N/A", "1e3")  # approved funding of P001 … P006
    nan = [prow(f"P{i:03d}", approved_funding_wan=v) for i, v in enumerate(not_numbers, start=1)]
    write("projects_nan_inf.csv", csv_text(en, nan))
    write(
        "projects_duplicate_key.csv",
        csv_text(en, [prow("P001"), prow("P002"), prow(" P001 ", project_name="重复")]),
    )
    write("projects_a.csv", csv_text(en, [prow("P001"), prow("P002")]))
    write("projects_b.csv", csv_text(en, [prow("P002", project_name="第二个文件里的P002"), prow("P003")]))
    codes = [
        prow("P001", field="6g"),
        prow("P002", department="fin"),  # pays, owns no projects
        prow("P003", plan="重大专项"),
        prow("P004", undertaker_type="Enterprise"),  # letter case: the same code
        prow("P005", field="Graphene"),  # English label: the same code
    ]
    write("projects_unknown_codes.csv", csv_text(en, codes))
    ranges = [
        prow("P001", start_date="2150-01-01", end_date="2151-01-01"),
        prow("P002", start_date="1999-12-31"),
        prow("P003", approval_year="1999"),
        prow("P004", end_date="2099-12-31"),
        prow("P005", approval_year="2018.0"),
        prow("P006", approval_year="2018.5"),
    ]
    write("projects_date_range.csv", csv_text(en, ranges))
    order = [
        prow("P001", start_date="2019-01-01", end_date="2018-12-31"),
        prow("P002", start_date="2019-01-01", end_date="2019-01-01"),
        prow("P003", start_date="2019-01-01", end_date="2019-01-02"),
    ]
    write("projects_end_before_start.csv", csv_text(en, order))
    write(
        "projects_long_cell.csv",
        csv_text(en, [prow("P001", project_name="长" * 10_000), prow("P002", project_id="P" * 10_000)]),
    )
    missing = [prow("P001", project_name=""), prow("P002", approved_funding_wan="  "), prow("P003", project_manager="")]
    write("projects_missing_values.csv", csv_text(en, missing))

    # --- facts (loaded on top of base/projects.csv: P001, P002, P003) ----------------------------
    pay = {"payment_id": "PAY1", "project_id": "P001", "payment_date": "2018-03-01"}
    pay |= {"amount_wan": "100", "kind": "disbursement", "source": "city"}
    payments = [
        fact_row(pay, payment_id=" PAY1 ", project_id=" P001 "),
        fact_row(pay, payment_id="PAY2", project_id="P002\u3000", kind="拨付", source="市级"),
        fact_row(pay, payment_id="PAY3", project_id="\u200bP003", kind="RECOVERY", source="区级"),
        fact_row(pay, payment_id="PAY4", project_id="P999"),  # not a project
        fact_row(pay, payment_id="PAY5", amount_wan="(50)"),
        fact_row(pay, payment_id="PAY6", amount_wan="0"),
        fact_row(pay, project_id="P002", payment_date="2018-04-01", amount_wan="10"),  # PAY1 again (after trimming)
        fact_row(pay, payment_id="PAY7", amount_wan="10", kind="refund"),
    ]
    write("disbursements_ids.csv", csv_text(list(pay), payments))
    milestone = {"project_id": "P001", "milestone_no": "1", "description": "样机", "planned_date": "2019-06-30"}
    milestone |= {"weight": "0.5", "completed_date": ""}
    milestones = [
        fact_row(milestone, planned_date="2018-06-30"),
        fact_row(milestone, milestone_no="2", description="中试", completed_date="2019年7月1日"),
        fact_row(milestone, milestone_no="0", description="零号"),
        fact_row(milestone, milestone_no="2", description="重复"),
        fact_row(milestone, project_id="P002", description="无权重", weight="0"),
        fact_row(milestone, project_id="P404", description="无此项目", weight="1"),
    ]
    write("milestones_mixed.csv", csv_text(list(milestone), milestones))
    pr_cols = [
        "project_id",
        "period",
        "submitted_date",
        "fiscal_spent_wan",
        "self_arrived_wan",
        "total_spent_wan",
        "risk_level",
        "summary",
    ]
    write(
        "progress_reports_rules.csv",
        csv_text(
            pr_cols,
            [
                ["P001", "2018Q4", "2019-01-15", "100", "50", "150", "low", ""],
                ["P001", "2019年第1季度", "2019-04-15", "120", "50", "170", "中", ""],
                ["P002", "2018Q4", "2019-01-15", "100", "50", "90", "low", ""],  # total < fiscal
                ["P002", "2018Q5", "2019-01-15", "100", "50", "150", "low", ""],
                ["P003", "2018 q4", "2019-01-15", "100", "50", "150", "High", ""],
            ],
        ),
    )
    review = {"project_id": "P001", "review_year": "2018", "expert_id": "E1", "score": "80", "veto": "", "comment": ""}
    vetoes = {"E3": "TRUE", "E4": "0", "E5": "", "E6": "maybe"}  # score 80, no comment
    reviews = [
        fact_row(review, score="85", veto="否"),
        fact_row(review, expert_id="E2", veto="是", comment="弄虚作假"),
        *(fact_row(review, expert_id=e, veto=v) for e, v in vetoes.items()),
        fact_row(review, expert_id="E7", score="101", veto="no"),
        fact_row(review, review_year="2018年", expert_id="E8", score="７５", veto="No"),
    ]
    write("expert_reviews_bools.csv", csv_text(list(review), reviews))

    # --- XLSX ------------------------------------------------------------------------------------
    def title_merged(wb):
        ws = wb.add_worksheet("项目台账")
        date_fmt = wb.add_format({"num_format": "yyyy年m月d日"})
        ws.merge_range(
            0, 0, 0, 8, "深圳市十大科技产业专项 项目台账（2018年）", wb.add_format({"bold": True, "align": "center"})
        )
        ws.merge_range(1, 0, 1, 3, "填报单位：市科技创新委")
        ws.write(1, 12, "单位：万元")
        ws.write_row(3, 0, PROJECT_ZH)  # the header on sheet row 4
        typed_project_row(ws, 4, prow("P001"), date_fmt)
        typed_project_row(ws, 5, prow("P002", start_date="2018-03-05"), date_fmt)
        ws.write(7, 0, "合计")  # a footer row: quarantined, never silently dropped

    workbook("projects_title_merged.xlsx", title_merged)

    def several_sheets(wb):
        notes = wb.add_worksheet("填报说明")
        notes.write(0, 0, "请在下一工作表填写项目台账；金额单位为万元。")
        data = wb.add_worksheet("台账")
        date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
        data.write_row(0, 0, PROJECT_COLUMNS)
        typed_project_row(data, 1, prow("P001"), date_fmt)
        typed_project_row(data, 2, prow("P002"), date_fmt)
        wb.add_worksheet("空白")

    workbook("projects_several_sheets.xlsx", several_sheets)

    def two_data_sheets(wb):
        for year, pid in (("2018", "P001"), ("2019", "P002")):
            ws = wb.add_worksheet(year)
            ws.write_row(0, 0, PROJECT_COLUMNS)
            ws.write_row(1, 0, prow(pid))

    workbook("projects_two_data_sheets.xlsx", two_data_sheets)

    def formulas(wb):
        ws = wb.add_worksheet("data")
        ws.write_row(0, 0, PROJECT_COLUMNS)
        for r, pid in ((1, "P001"), (2, "P002"), (3, "P003")):
            ws.write_row(r, 0, prow(pid))
        ws.write_formula(1, 13, "=300+200", None, 500)  # cached value, as Excel saves it
        ws.write_formula(1, 14, "=ROUND(100.4,0)", None, 100)
        ws.write_formula(2, 13, "=1/0", None, "#DIV/0!")
        ws.write_formula(3, 11, '="2018-"&"01-01"', None, "2018-01-01")

    workbook("projects_formulas.xlsx", formulas)

    def serial_dates(wb):
        ws = wb.add_worksheet("data")
        ws.write_row(0, 0, PROJECT_COLUMNS)
        date_fmt = wb.add_format({"num_format": "yyyy/m/d"})
        ws.write_row(1, 0, prow("P001"))
        ws.write_number(1, 11, 43164)  # a serial number in a General cell: 2018-03-05
        ws.write_number(1, 12, 44196)  # 2020-12-31
        ws.write_row(2, 0, prow("P002"))
        ws.write_datetime(2, 11, dt.datetime(2018, 3, 5), date_fmt)
        ws.write_datetime(2, 12, dt.datetime(2020, 12, 31), date_fmt)
        ws.write_number(2, 10, 2018)
        ws.write_row(3, 0, prow("P003"))
        ws.write_number(3, 11, 43164.5)  # noon: a time of day in a date column is not a date
        ws.write_row(4, 0, prow("P004"))
        ws.write_boolean(4, 13, True)  # TRUE in a money column

    workbook("projects_serial_dates.xlsx", serial_dates)

    def no_cells(wb):
        wb.add_worksheet("Sheet1")

    workbook("projects_no_cells.xlsx", no_cells)
    write("projects_zero_bytes.xlsx", b"")
    buf = io.BytesIO()
    workbook("_tmp.xlsx", several_sheets)
    full = (FILES / "_tmp.xlsx").read_bytes()
    (FILES / "_tmp.xlsx").unlink()
    write("projects_corrupt.xlsx", full[: len(full) // 2])  # a download cut in half
    write("projects_xlsx_named.csv", full)
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("readme.txt", date_time=(2020, 1, 1, 0, 0, 0))
        zf.writestr(info, "not a workbook")
    write("projects_zip_not_xlsx.xlsx", buf.getvalue())

    # --- Parquet (typed columns) -----------------------------------------------------------------
    import polars as pl

    frame = pl.DataFrame(
        {
            "project_id": ["P001", "P002"],
            "项目名称": ["项目一", "项目二"],
            **{c: [prow("P")[PROJECT_COLUMNS.index(c)]] * 2 for c in PROJECT_COLUMNS[2:10]},
            "approval_year": [2018, 2018],
            "start_date": [dt.date(2018, 1, 1), dt.date(2018, 3, 5)],
            "end_date": [dt.datetime(2020, 12, 31), dt.datetime(2020, 12, 31)],
            "approved_funding_wan": [500.0, 1234.5],
            "self_funding_wan": [100, None],
        }
    )
    buf = io.BytesIO()
    frame.write_parquet(buf)
    write("projects_typed.parquet", buf.getvalue())


def make_encrypted(out: Path) -> None:  # pragma: no cover - run by hand, needs msoffcrypto-tool
    """How projects_encrypted.xlsx was made: a one-row workbook encrypted with password 'scorecard'."""
    from msoffcrypto.format.ooxml import OOXMLFile

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet()
    ws.write_row(0, 0, PROJECT_COLUMNS)
    ws.write_row(1, 0, prow("P001"))
    wb.close()
    buf.seek(0)
    encrypted = io.BytesIO()
    OOXMLFile(buf).encrypt("scorecard", encrypted)
    out.write_bytes(encrypted.getvalue())


def main(target: Path = FILES, base_target: Path = BASE) -> None:
    global FILES, BASE
    FILES, BASE = target, base_target
    base()
    files()


if __name__ == "__main__":
    if sys.argv[1:] == ["--encrypted"]:
        make_encrypted(FILES / "projects_encrypted.xlsx")
    else:
        main()
