"""Build one review year's deliverables (docs/report.md; docs/manifest.md):

    reports_dir/Y/performance-evaluation-Y.html|.pdf|.xlsx, project-review-Y.csv,
    dashboards/portfolio-Y.html, projects-Y.html, recommendations-Y.html, manifest-Y.json

Every file is first written into a hidden staging folder beside the year folder, the manifest last;
only then is the staging folder exchanged with the year folder in one atomic step (Linux
``renameat2(RENAME_EXCHANGE)``). A run that fails or is killed at any point leaves the previous year
folder exactly as it was; the next run removes the leftovers.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from dashboards.pages import build_dashboards
from scorecard import __version__, codes
from scorecard.hooks import crash_point
from scorecard.manifest import SCHEMA, deliverables, manifest_text
from scorecard.manifest import deliverable_names as names
from scorecard.report import data
from scorecard.report.context import ReportContext, ReportInputs, build_context
from scorecard.report.i18n import I18n, check_lang
from scorecard.report.method import method_context
from scorecard.report.pdf import ChartBrowser, chart_fetcher, chart_images, chart_tag, write_pdf
from scorecard.report.render import chart_markup, render_report
from scorecard.report.sheets import xlsx_sheets
from scorecard.report.xlsx import WorkbookProcess, write_workbook
from scorecard.settings import PROJECT_ROOT, get_settings

TZ = ZoneInfo("Asia/Shanghai")


def code_version() -> str:
    try:
        sha = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "rev-parse", "--short", "HEAD"],
            check=False,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha = ""
    return f"{__version__}+{sha or 'unknown'}"


def latest_inputs(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """The files of each dataset's latest load (raw.load_log)."""
    return [
        {"file": r["source_file"], "dataset": r["dataset"], "sha256": r["file_sha256"], "bytes": int(r["file_bytes"])}
        for r in data.load_summary(con).to_dicts()
    ]


def report_inputs(
    con, year: int, i18n: I18n, method: dict, inputs: list[dict], version: str, generated_at: dt.datetime
) -> ReportInputs:
    return ReportInputs(con, year, i18n, method, inputs, version, generated_at, names(year)["xlsx"])


def render(
    con,
    year: int,
    i18n: I18n,
    mode: str,
    method: dict,
    inputs: list[dict],
    version: str,
    generated_at: dt.datetime,
    images: dict | None = None,
) -> tuple[str, ReportContext, dict]:
    """Build the context and render the report in ``mode`` ('html' or 'pdf'); returns (html, context,
    figures). ``build_report`` builds the context once and renders it twice (``render_report``)."""
    ctx = build_context(report_inputs(con, year, i18n, method, inputs, version, generated_at))
    figs = ctx.charts
    return render_report(ctx, mode, chart_markup(figs, mode, images)), ctx, figs


# The XLSX is written in a child process (xlsx.WorkbookProcess) beside the PDF from this many project
# rows on: below, the child's start (about 0.6 CPU-s) costs more than the overlap saves.
XLSX_APART_MIN_ROWS = 20_000


def xlsx_apart_by_default(n_rows: int) -> bool:
    """Whether a year built alone writes its XLSX in a child process while it prints the PDF: when a
    core is spare and the workbook is large. The years of ``scorecard run`` built side by side
    (parallel.py, one worker per core) say no (``build_report(xlsx_apart=False)``): no core is spare."""
    return len(os.sched_getaffinity(0)) >= 2 and n_rows >= XLSX_APART_MIN_ROWS


def write_files(
    con: duckdb.DuckDBPyConnection,
    ctx: ReportContext,
    stage: Path,
    timings: dict[str, float],
    apart: bool = False,
    browser: ChartBrowser | None = None,
) -> dict[str, int]:
    """The HTML, XLSX, CSV, dashboards and PDF of ``ctx`` into ``stage``; returns the XLSX's rows per sheet.
    ``apart``: the XLSX in a child process (``xlsx.WorkbookProcess``) while this one does the rest; a
    failed child fails the year with its error, and the child is killed if this process fails first.
    ``browser``: the chart child started ahead, which draws the charts (else one is started here)."""
    year, i18n, method, n = ctx.inputs.year, ctx.inputs.i18n, ctx.inputs.method, names(ctx.inputs.year)
    figs = ctx.charts
    # kaleido draws the PNGs in its own browser process, started as soon as the figures exist,
    # while this thread writes the HTML and the other files.
    pool = ThreadPoolExecutor(max_workers=1)
    images_future = pool.submit(chart_images, {k: v.to_dict() for k, v in figs.items()}, browser=browser)
    pool.shutdown(wait=False)
    sheets = xlsx_sheets(ctx.frames, method, year)
    child = WorkbookProcess(stage / n["xlsx"], sheets, i18n) if apart else None
    try:
        t = time.perf_counter()
        (stage / n["html"]).write_text(render_report(ctx, "html", chart_markup(figs, "html")), encoding="utf-8")
        timings["html"] = time.perf_counter() - t

        if child is None:
            t = time.perf_counter()
            sheet_rows = write_workbook(stage / n["xlsx"], sheets, i18n)
            timings["xlsx"] = time.perf_counter() - t

        t = time.perf_counter()
        data.project_review(con, year).write_csv(stage / n["csv"], include_bom=True, date_format="%Y-%m-%d")
        timings["csv"] = time.perf_counter() - t

        t = time.perf_counter()
        for key, page in build_dashboards(con, year, i18n.lang).items():
            (stage / n[key]).write_text(page, encoding="utf-8")
        timings["dashboards"] = time.perf_counter() - t

        _write_pdf(ctx, images_future, stage / n["pdf"], timings)
        if child is not None:
            t = time.perf_counter()
            sheet_rows, timings["xlsx"] = child.result()
            timings["xlsx_wait"] = time.perf_counter() - t
    finally:
        if child is not None:
            child.close()
    return sheet_rows


def _write_pdf(ctx: ReportContext, images_future, target: Path, timings: dict[str, float]) -> None:
    """The PDF, with the chart images kaleido draws meanwhile (``images_future``): WeasyPrint parses
    and styles the report first and waits for the images only when it reaches the first chart."""
    t = time.perf_counter()
    pdf_html = render_report(ctx, "pdf", chart_markup(ctx.charts, "pdf"))
    for key in ctx.charts:
        pdf_html = pdf_html.replace(f"<!--chart:{key}-->", chart_tag(key))
    waited: list[float] = []

    def images() -> dict[str, bytes]:
        w = time.perf_counter()
        result = images_future.result()
        waited.append(time.perf_counter() - w)
        return result

    write_pdf(pdf_html, target, url_fetcher=chart_fetcher(images))
    images_future.result()  # the batch succeeded, whether or not the PDF asked for a chart
    timings["chart_images_wait"] = sum(waited)
    timings["pdf"] = time.perf_counter() - t


def build_report(
    con: duckdb.DuckDBPyConnection,
    year: int,
    reports_dir: Path,
    lang: str = "zh+en",
    rubric_path: Path | None = None,
    inputs: list[dict] | None = None,
    xlsx_apart: bool | None = None,
) -> dict:
    """Write the year's deliverables and manifest; return their paths, a summary and timings.
    ``xlsx_apart``: write the XLSX in a child process beside the PDF (None: when a core is spare and
    the year is large, ``xlsx_apart_by_default``).

    Everything is written into a hidden staging folder beside the year folder, the manifest last;
    then the staging folder and the year folder are exchanged in one atomic step (``publish``). A run
    that fails or is killed at any point leaves the previous year folder exactly as it was.
    """
    t0 = time.perf_counter()
    i18n = I18n(check_lang(lang))
    rubric_path = Path(rubric_path or get_settings().rubric)
    n_rows = con.sql("SELECT count(*) FROM mart.project_review WHERE review_year = ?", params=[year]).fetchall()[0][0]
    if not n_rows:
        raise ValueError(f"no mart.project_review rows for review year {year}: run the review first")
    reports_dir = Path(reports_dir)
    year_dir = reports_dir / str(year)
    stage = staging_dir(reports_dir, year)
    (stage / "dashboards").mkdir(parents=True)
    n = names(year)
    method = method_context(rubric_path, i18n)
    inputs = list(inputs) if inputs is not None else latest_inputs(con)
    version = code_version()
    generated_at = dt.datetime.now(TZ).replace(microsecond=0)
    timings: dict[str, float] = {}
    browser = ChartBrowser()  # its Chromium starts while the context is built
    try:
        t = time.perf_counter()
        ctx = build_context(report_inputs(con, year, i18n, method, inputs, version, generated_at))
        timings["context"] = time.perf_counter() - t
        apart = xlsx_apart_by_default(n_rows) if xlsx_apart is None else xlsx_apart
        sheet_rows = write_files(con, ctx, stage, timings, apart, browser)
        manifest, summary = _manifest(con, year, ctx, stage, n, method, inputs, version, generated_at, i18n, n_rows)
        (stage / n["manifest"]).write_text(manifest_text(manifest), encoding="utf-8")
        crash_point(f"report:{year}:staged")
        publish(stage, year_dir)
    finally:
        browser.close()
        shutil.rmtree(stage, ignore_errors=True)
    timings["total"] = time.perf_counter() - t0
    return {
        "year_dir": year_dir,
        "paths": {k: year_dir / v for k, v in n.items()},
        "manifest": manifest,
        "summary": summary,
        "sheet_rows": sheet_rows,
        "timings": {k: round(v, 2) for k, v in timings.items()},
    }


def staging_dir(reports_dir: Path, year: int) -> Path:
    """A fresh hidden staging folder for ``year``; leftovers of killed runs are removed first."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    year_dir = reports_dir / str(year)
    aside = sorted(reports_dir.glob(f".{year}.old-*"))
    if aside and not year_dir.exists():  # killed between the two renames of the fallback: restore
        os.rename(aside[0], year_dir)
    for leftover in reports_dir.glob(f".{year}.*"):
        shutil.rmtree(leftover, ignore_errors=True)
    return reports_dir / f".{year}.staging-{os.getpid()}"


_RENAME_EXCHANGE = 2  # linux/fs.h


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two folders (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


def publish(stage: Path, year_dir: Path) -> None:
    """Put the staged folder in place of the year folder in one atomic step; the old one ends up in
    ``stage`` (removed by the caller). Without renameat2, two renames (the old folder is kept aside
    under a hidden name until the new one is in place)."""
    if not year_dir.exists():
        os.rename(stage, year_dir)
        return
    if _exchange(stage, year_dir):
        crash_point(f"report:{year_dir.name}:published")
        return
    aside = year_dir.with_name(f".{year_dir.name}.old-{os.getpid()}")
    os.rename(year_dir, aside)
    os.rename(stage, year_dir)
    os.rename(aside, stage)


def _manifest(
    con, year, ctx, folder: Path, n, method, inputs, version, generated_at, i18n, n_rows
) -> tuple[dict, dict]:
    """The manifest of the files in ``folder`` (docs/manifest.md) and the summary it carries."""
    cur = ctx.facts.cur
    targets = [
        {
            "target": r["target"],
            "name_zh": r["name_zh"],
            "name_en": r["name_en"],
            "measured": r["measured"],
            "threshold": r["threshold"],
            "met": r["met"],
        }
        for r in ctx.frames["targets"].to_dicts()
    ]
    summary = {
        "projects_reviewed": int(cur.get("projects") or n_rows),
        "grades": {g: int(cur.get(f"grade_{g.lower()}") or 0) for g in codes.GRADES},
        "recommendations": {r: int(cur.get(f"rec_{r}") or 0) for r in codes.RECOMMENDATIONS},
        "targets": targets,
    }
    manifest = {
        "schema": SCHEMA,
        "review_year": year,
        "as_of_date": ctx.facts.as_of.isoformat(),
        "generated_at": generated_at.isoformat(),
        "code_version": version,
        "language": i18n.lang,
        "rubric": {"version": method["version"], "sha256": method["sha256"], "file": method["file"]},
        "programme": {
            "code": method["programme"].model.code,
            "sha256": method["programme"].sha256,
            "file": method["programme"].path.name,
        },
        "inputs": inputs,
        "row_counts": data.row_counts(con, year),
        "summary": summary,
        "deliverables": deliverables(folder, year),
    }
    return manifest, summary
