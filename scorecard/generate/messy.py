"""The messy writer: the bundled sample's files in government-export formats, with the few bad rows
listed in the summary.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import operator
from pathlib import Path

import polars as pl

from scorecard import codes
from scorecard.generate.bundle import _bundle_frames
from scorecard.generate.model import DATASET_NAMES, YEARS
from scorecard.generate.oracle import _index, _review
from scorecard.generate.signals import plant_signals
from scorecard.generate.summary import _add_net, _count, _summary


# ================================================================ bundled (messy) mode: the files
def _zh_headers(dataset: str) -> dict[str, str]:
    from scorecard import contracts

    return {c.name: c.zh for c in contracts.DATASETS[dataset].columns}


LABELS = {
    "field": codes.FIELDS,
    "plan": codes.PLANS,
    "department": codes.DEPARTMENTS,
    "undertaker_type": codes.UNDERTAKER_TYPES,
    "selection_method": codes.SELECTION_METHODS,
    "support_mode": codes.SUPPORT_MODES,
    "funding_stage": codes.FUNDING_STAGES,
    "kind": codes.PAYMENT_KINDS,
    "source": codes.FUND_SOURCES,
}


def _num(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v == int(v) else repr(round(v, 2))
    return str(v)


def _iso(d: dt.date | None) -> str:
    return "" if d is None else d.isoformat()


def _slash(d: dt.date | None) -> str:
    return "" if d is None else f"{d.year}/{d.month:02d}/{d.day:02d}"


def _cn(d: dt.date | None) -> str:
    return "" if d is None else f"{d.year}年{d.month}月{d.day}日"


def _short_slash(d: dt.date | None) -> str:
    return "" if d is None else f"{d.year}/{d.month}/{d.day}"


def _write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


class _Book:
    """Collects rows written per file and the quarantine list."""

    def __init__(self) -> None:
        self.files: dict[str, dict[str, int]] = {name: {} for name in DATASET_NAMES}
        self.bad: list[dict] = []

    def wrote(self, dataset: str, file: str, n: int) -> None:
        self.files[dataset][file] = n

    def quarantine(self, dataset: str, file: str, row: int, column: str, reason: str, note: str) -> None:
        self.bad.append(
            {"dataset": dataset, "file": file, "row": row, "column": column, "reason": reason, "note": note}
        )


def _records(df: pl.DataFrame) -> list[dict]:
    return df.to_dicts()


def _write_projects(out: Path, df: pl.DataFrame, book: _Book) -> None:
    cols = df.columns
    zh = _zh_headers("projects")
    by_year = {y: _records(df.filter(pl.col("approval_year") == y)) for y in YEARS}

    # 2017: government XLSX — merged title row, blank row, Chinese headers on row 3, labels, date cells
    import xlsxwriter

    name = "projects_2017.xlsx"
    wb = xlsxwriter.Workbook(str(out / name))
    wb.set_properties({"created": dt.datetime(2018, 1, 15, 9, 0, 0), "author": "深圳市科技创新委"})
    ws = wb.add_worksheet("项目台账")
    title = wb.add_format({"bold": True, "font_size": 14, "align": "center"})
    datef = wb.add_format({"num_format": "yyyy-mm-dd"})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    header = [zh[c] for c in cols] + ["备注"]
    ws.merge_range(0, 0, 0, len(header) - 1, "深圳市十大重大科技产业专项项目台账（2017年度）", title)
    ws.write_row(2, 0, header, head)
    for i, r in enumerate(by_year[2017]):
        for j, c in enumerate(cols):
            v = r[c]
            if isinstance(v, dt.date):
                ws.write_datetime(3 + i, j, dt.datetime(v.year, v.month, v.day), datef)
            elif c in LABELS:
                ws.write_string(3 + i, j, LABELS[c][v][0])
            elif v is None:
                ws.write_blank(3 + i, j, None)
            else:
                ws.write(3 + i, j, v)
        if i % 17 == 5:
            ws.write_string(3 + i, len(cols), "已签订合同")
    ws.set_column(0, len(header) - 1, 16)
    wb.close()
    book.wrote("projects", name, len(by_year[2017]))

    # 2018: plain UTF-8, English headers, ISO dates; one extra project whose end is before its start
    name = "projects_2018.csv"
    rows = [[_iso(r[c]) if isinstance(r[c], dt.date) else _num(r[c]) for c in cols] for r in by_year[2018]]
    bad = dict(by_year[2018][0])
    bad.update(
        project_id="SZ2018-IN-9001",
        project_name="深圳市新能源汽车智能充电网络产业化（录入错误）",
        start_date=dt.date(2018, 9, 1),
        end_date=dt.date(2018, 3, 1),
    )
    rows.append([_iso(bad[c]) if isinstance(bad[c], dt.date) else _num(bad[c]) for c in cols])
    book.quarantine(
        "projects",
        name,
        len(rows) + 1,
        "end_date",
        "row_rule:end_after_start",
        "extra project SZ2018-IN-9001 (no dependent rows)",
    )
    _write_csv(out / name, cols, rows)
    book.wrote("projects", name, len(rows))

    # 2019: GBK, Chinese headers, Chinese labels in every third row, 年月日 and d/m dates; a row re-entering a 2018 project
    name = "projects_2019.csv"
    rows = []
    for i, r in enumerate(by_year[2019]):
        row = []
        for c in cols:
            v = r[c]
            if isinstance(v, dt.date):
                row.append(_cn(v) if i % 2 == 0 else _short_slash(v))
            elif c in LABELS and i % 3 == 0:
                row.append(LABELS[c][v][0])
            else:
                row.append(_num(v))
        rows.append(row)
    dup = by_year[2018][1]
    at = len(rows) // 2
    rows.insert(at, [_short_slash(dup[c]) if isinstance(dup[c], dt.date) else _num(dup[c]) for c in cols])
    book.quarantine(
        "projects", name, at + 2, "project_id", "duplicate_key", f"{dup['project_id']} already in projects_2018.csv"
    )
    _write_csv(out / name, [zh[c] for c in cols], rows, encoding="gbk")
    book.wrote("projects", name, len(rows))


def _cells(r: dict, cols: list[str], date_fmt) -> list[str]:
    return [
        date_fmt(r[c]) if isinstance(r[c], dt.date) or (r[c] is None and c.endswith("date")) else _num(r[c])
        for c in cols
    ]


def _write_messy(out: Path, frames: dict[str, pl.DataFrame], book: _Book) -> None:
    _write_projects(out, frames["projects"], book)
    proj = _records(frames["projects"])

    # milestones: UTF-8, dates alternate ISO and YYYY/MM/DD; one row for an unknown project
    df = frames["milestones"]
    cols = df.columns
    rows = [_cells(r, cols, _iso if i % 2 == 0 else _slash) for i, r in enumerate(_records(df))]
    at = len(rows) * 2 // 3
    rows.insert(at, ["SZ2017-CT-0O12", "1", "完成总体方案设计与论证", "2018/03/31", "1", ""])
    book.quarantine(
        "milestones",
        "milestones.csv",
        at + 2,
        "project_id",
        "unknown_project",
        "SZ2017-CT-0O12: letter O typed for zero",
    )
    _write_csv(out / "milestones.csv", cols, rows)
    book.wrote("milestones", "milestones.csv", len(rows))

    # disbursements: city (GBK, Chinese headers and labels, thousands separators) and district (UTF-8 BOM)
    df = frames["disbursements"]
    cols = df.columns
    zh = _zh_headers("disbursements")
    city = _records(df.filter(pl.col("source") == "city"))
    rows = []
    for i, r in enumerate(city):
        row = []
        for c in cols:
            v = r[c]
            if c == "amount_wan" and v >= 1000 and i % 2 == 0:
                row.append(f"{v:,.1f}")
            elif c in LABELS:
                row.append(LABELS[c][v][0])
            elif isinstance(v, dt.date):
                row.append(_iso(v) if i % 3 else _short_slash(v))
            else:
                row.append(_num(v))
        rows.append(row)
    rows.append(["BK9999001", "SZ2016-IN-0007", "2018-06-30", "1,200.0", "拨付", "市级"])
    book.quarantine(
        "disbursements",
        "disbursements_city.csv",
        len(rows) + 1,
        "project_id",
        "unknown_project",
        "SZ2016-IN-0007 is not in the ledger",
    )
    rows.append(list(rows[10]))
    book.quarantine(
        "disbursements",
        "disbursements_city.csv",
        len(rows) + 1,
        "payment_id",
        "duplicate_key",
        f"{rows[10][0]} repeats row 12",
    )
    _write_csv(out / "disbursements_city.csv", [zh[c] for c in cols], rows, encoding="gbk")
    book.wrote("disbursements", "disbursements_city.csv", len(rows))
    district = _records(df.filter(pl.col("source") == "district"))
    rows = [_cells(r, cols, _iso) for r in district]
    victim = district[0]
    rows.insert(5, ["BK9999002", victim["project_id"], "2019-05-20", "-50.0", "disbursement", "district"])
    book.quarantine(
        "disbursements", "disbursements_district.csv", 7, "amount_wan", "out_of_range", "negative amount -50.0"
    )
    _write_csv(out / "disbursements_district.csv", cols, rows, encoding="utf-8-sig")
    book.wrote("disbursements", "disbursements_district.csv", len(rows))

    # progress reports: UTF-8 with BOM; one extra report (before the project's start) with total < fiscal.
    # Every 53rd report arrives late (45-65 days after its quarter): a soft (WARN) data-quality finding
    # that does not change any score, since the period, not the submission date, decides (docs/scoring.md §9).
    df = (
        frames["progress_reports"]
        .with_row_index("_i")
        .with_columns(
            pl.when(pl.col("_i") % 53 == 7)
            .then(pl.col("submitted_date") + pl.duration(days=40))
            .otherwise(pl.col("submitted_date"))
            .alias("submitted_date")
        )
        .drop("_i")
    )
    cols = df.columns
    recs = _records(df)
    rows = [_cells(r, cols, _iso) for r in recs]
    target = next(
        p for p in proj if p["start_date"].month >= 4 and p["project_id"] in set(df["project_id"].to_list()[:400])
    )
    q = (target["start_date"].month - 1) // 3  # quarter before the start quarter (1-based q)
    period = f"{target['start_date'].year}Q{q}"
    at = next(i for i, r in enumerate(recs) if r["project_id"] == target["project_id"])
    rows.insert(
        at,
        [
            target["project_id"],
            period,
            _iso(dt.date(target["start_date"].year, 3 * q + 1, 12)),
            "120.5",
            "0",
            "80",
            "low",
            "前期准备",
        ],
    )
    book.quarantine(
        "progress_reports",
        "progress_reports.csv",
        at + 2,
        "total_spent_wan",
        "row_rule:total_covers_fiscal",
        f"{target['project_id']} {period}: total 80 < fiscal 120.5 (extra period)",
    )
    _write_csv(out / "progress_reports.csv", cols, rows, encoding="utf-8-sig")
    book.wrote("progress_reports", "progress_reports.csv", len(rows))

    for name, fmt in (("kpi_targets", _iso), ("kpi_actuals", _iso)):
        df = frames[name]
        # the optional evidence column under its Chinese header, the others in English (one file, two languages)
        header = ["佐证编号" if c == "evidence_ref" else c for c in df.columns]
        _write_csv(out / f"{name}.csv", header, [_cells(r, df.columns, fmt) for r in _records(df)])
        book.wrote(name, f"{name}.csv", df.height)

    # expert reviews: two files; 2019 writes the veto as 是/否
    df = frames["expert_reviews"]
    for name, part, yes_no in (
        ("expert_reviews_2017-2018.csv", df.filter(pl.col("review_year") <= 2018), False),
        ("expert_reviews_2019.csv", df.filter(pl.col("review_year") == 2019), True),
    ):
        rows = [
            [("是" if r["veto"] else "否") if yes_no and c == "veto" else _num(r[c]) for c in df.columns]
            for r in _records(part)
        ]
        _write_csv(out / name, df.columns, rows)
        book.wrote("expert_reviews", name, len(rows))

    df = frames["review_decisions"]
    _write_csv(out / "review_decisions.csv", df.columns, [_cells(r, df.columns, _slash) for r in _records(df)])
    book.wrote("review_decisions", "review_decisions.csv", df.height)


def _targets_met(plan_counts: dict[str, int]) -> dict[str, bool]:
    """Per plan with a project-count target in the programme file: whether the bundle meets it (the
    file's threshold and comparison, so a changed target cannot silently disagree)."""
    from scorecard.programme import load_programme

    compare = {">": operator.gt, ">=": operator.ge}
    return {
        t.plan: compare[t.comparison](plan_counts.get(t.plan, 0), t.threshold)
        for t in load_programme().model.targets
        if t.measure == "plan_projects"
    }


def _generate_messy(out_dir: Path, projects: int, seed: int) -> dict:
    frames, arch, decisions = _bundle_frames(projects, seed)
    res = _review(_index(frames), decisions)
    # signals for follow-up planted where they change no score (docs/analytics.md §2, docs/data.md)
    frames, planted = plant_signals(frames, res)
    for old in out_dir.iterdir():
        if old.is_file() and old.name.startswith(DATASET_NAMES):
            old.unlink()
    book = _Book()
    _write_messy(out_dir, frames, book)
    datasets = {}
    for name in DATASET_NAMES:
        bad = sorted((b for b in book.bad if b["dataset"] == name), key=lambda b: (b["file"], b["row"]))
        total = sum(book.files[name].values())
        datasets[name] = {
            "files": book.files[name],
            "rows": total,
            "clean": total - len(bad),
            "quarantined": len(bad),
            "quarantine": bad,
        }
    p = frames["projects"]
    plan_counts = dict(p.group_by("plan").len().iter_rows())
    year_counts = {str(y): c for y, c in sorted(p.group_by("approval_year").len().iter_rows())}
    net: dict = {}
    _add_net(net, frames["disbursements"])
    expected = {}
    for y, r in res.items():
        expected[str(y)] = {
            "reviewed": len(r),
            "grades": _count(v["grade"] for v in r.values()),
            "flags": _count(f for v in r.values() for f in v["flags"]),
            "recommendations": _count(v["rec"] for v in r.values()),
        }
    overrides = [
        {"project_id": p_, "review_year": y, "decision": d, "recommendation": res[y][p_]["rec"]}
        for (p_, y), d in sorted(decisions.items())
        if res[y][p_]["rec"] != d
    ]
    extra = {
        "archetypes": _count(arch.values()),
        "expected_reviews": expected,
        "decision_overrides": overrides,
        "targets_met": _targets_met(plan_counts),
        "planted_signals": planted,
    }
    return _summary(projects, seed, "messy", True, datasets, plan_counts, year_counts, net, extra)
