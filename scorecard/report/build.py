"""Build one review year's deliverables (REPORT.md; docs/manifest.md):

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
import json
import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import jinja2

from dashboards.pages import build_dashboards
from scorecard import __version__, codes
from scorecard.report import charts, data, programme_sections
from scorecard.report.context import Ctx, build_context
from scorecard.report.i18n import I18n, check_lang
from scorecard.jsonable import plain
from scorecard.report.method import method_context, rubric_table_rows
from scorecard.report.pdf import chart_images, img_tag, write_pdf
from scorecard.report.xlsx import write_workbook
from scorecard.hooks import crash_point
from scorecard.reader import file_sha256
from scorecard.settings import PROJECT_ROOT, get_settings

TEMPLATES = Path(__file__).parent / "templates"
TZ = ZoneInfo("Asia/Shanghai")
MEDIA = {"html": "text/html", "pdf": "application/pdf",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv", "dashboard": "text/html"}
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


def names(year: int) -> dict[str, str]:
    """Deliverable file names (relative to the year folder, '/'-separated) per docs/manifest.md."""
    return {
        "html": f"performance-evaluation-{year}.html",
        "pdf": f"performance-evaluation-{year}.pdf",
        "xlsx": f"performance-evaluation-{year}.xlsx",
        "csv": f"project-review-{year}.csv",
        "portfolio": f"dashboards/portfolio-{year}.html",
        "projects": f"dashboards/projects-{year}.html",
        "recommendations": f"dashboards/recommendations-{year}.html",
        "manifest": f"manifest-{year}.json",
    }


def download_names(year: int) -> dict[str, str]:
    return {
        "html": f"{year}年度绩效评估报告.html",
        "pdf": f"{year}年度绩效评估报告.pdf",
        "xlsx": f"{year}年度绩效评估报告.xlsx",
        "csv": f"{year}年度项目评分明细.csv",
        "portfolio": f"{year}年度项目组合看板.html",
        "projects": f"{year}年度项目明细看板.html",
        "recommendations": f"{year}年度考核建议看板.html",
    }


def code_version() -> str:
    try:
        sha = subprocess.run(["git", "-C", str(PROJECT_ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha = ""
    return f"{__version__}+{sha or 'unknown'}"



def latest_inputs(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """The files of each dataset's latest load (raw.load_log)."""
    return [{"file": r["source_file"], "dataset": r["dataset"], "sha256": r["file_sha256"], "bytes": int(r["file_bytes"])}
            for r in data.load_summary(con).to_dicts()]


def make_charts(ctx: dict, i18n: I18n, method: dict) -> dict:
    cur, prev, fr = ctx["cur"], ctx["prev"], ctx["frames"]
    budget_wan = method["programme"].text_values()["budget_wan"]
    figs = {
        "grades": charts.grades(i18n, cur, prev),
        "recommendations": charts.recommendations(i18n, cur),
        "grades_field": charts.grades_by(i18n, fr["by_field"], "field", "各领域等级分布与平均分", "Grades and mean score by field"),
        "grades_plan": charts.grades_by(i18n, fr["by_plan"], "plan", "各扶持计划等级分布与平均分", "Grades and mean score by plan"),
        "transitions": charts.grade_transitions(i18n, fr["transitions"]),
        "funds_year": charts.funds_by_year(i18n, fr["funds_by_year"], budget_wan),
        "execution_field": charts.execution_by(i18n, fr["by_field"], "field", "各领域资金执行率与杠杆率", "Execution rate and leverage by field"),
        "spi": charts.spi_distribution(i18n, fr["spi"]),
        "kpi": charts.kpi_by_indicator(i18n, fr["kpi_by_indicator"]),
        "flags_field": charts.flags_by(i18n, fr["flags_by_field"], "field", "各领域预警分布", "Flags by field"),
        "flags_plan": charts.flags_by(i18n, fr["flags_by_plan"], "plan", "各扶持计划预警分布", "Flags by plan"),
    }
    figs.update(programme_sections.figures(i18n, fr, charts._layout))  # docs/programme-management.md §4–§6
    return figs


def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=jinja2.select_autoescape(["j2", "html"]),
                              trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)


def render(con, year: int, i18n: I18n, mode: str, method: dict, inputs: list[dict], version: str, generated_at: dt.datetime,
           chart_html: dict | None = None, images: dict | None = None, on_figures=None) -> tuple[str, dict, dict]:
    """Render the report in ``mode`` ('html' or 'pdf'); returns (html, context, figures).
    ``on_figures(figs)`` is called as soon as the figures exist (to start drawing their images)."""
    n = names(year)
    ctx = build_context(Ctx(con, year, i18n, mode, n["xlsx"]), method, inputs, version, generated_at)
    figs = make_charts(ctx, i18n, method)
    if on_figures is not None:
        on_figures(figs)
    if mode == "html":
        chart_html = {}
        for k, (key, fig) in enumerate(figs.items()):
            chart_html[key] = fig.to_html(full_html=False, include_plotlyjs=(k == 0), config=PLOTLY_CONFIG,
                                          div_id=f"chart-{key}", default_width="100%")
    elif images is not None:
        chart_html = {k: img_tag(v, k) for k, v in images.items()}
    else:  # placeholders, filled in with the images once kaleido has drawn them
        chart_html = {k: f"<!--chart:{k}-->" for k in figs}
    title = i18n.t(f"深圳市十大重大科技产业专项{year}年度绩效评估报告",
                   f"Shenzhen Ten Major S&T Industry Special Projects — {year} Performance Evaluation Report", " ")
    header = i18n.t(f"深圳市十大重大科技产业专项 {year}年度绩效评估报告", f"{year} Performance Evaluation Report", " · ")
    html = _env().get_template("report.html.j2").render(
        lang=i18n.lang, I=i18n, T=i18n.t, mode=mode, year=year, title=title, running_header=header.replace('"', "'"),
        generated=generated_at.strftime("%Y-%m-%d %H:%M") if i18n.lang == "en" else i18n.date(generated_at.date()) + generated_at.strftime(" %H:%M"),
        method=method, charts=chart_html, scripts=[], xlsx_name=n["xlsx"], **{k: v for k, v in ctx.items() if k not in ("frames",)},
    )
    return html, ctx, figs


def xlsx_sheets(ctx: dict, method: dict, year: int) -> list:
    import polars as pl

    fr = ctx["frames"]
    s = fr["summary"].select("metric", "metric_zh", "metric_en", "value", "prev_value", "change")
    sheets = [
        ("摘要 Summary", "摘要", "Summary", s, None, False),
        ("工作目标 Targets", "工作目标完成情况", "Programme targets", fr["targets"], None, False),
        ("年度拨款 Funds per year", "年度净拨款与预算", "Net disbursement per year", fr["funds_by_year"], None, False),
    ]
    for d, zh, en in (("field", "领域", "Field"), ("plan", "扶持计划", "Plan"), ("department", "主管单位", "Department"),
                      ("support_mode", "资助方式", "Support mode")):
        sheets.append((f"按{zh} By {en}"[:31], f"按{zh}统计", f"By {en.lower()}", fr[f"by_{d}"], d, True))
    sheets += [
        ("节点完成 Milestones", "合同节点完成情况（按领域）", "Milestone completion by field", fr["milestones"], None, True),
        ("SPI分布 SPI", "SPI 与 SPI(t) 分布", "SPI and SPI(t) distribution", fr["spi"], None, False),
        ("逾期节点 Overdue", "逾期未完成节点", "Overdue milestones", fr["overdue"], None, True),
        ("绩效指标 KPI", "绩效指标完成情况（按指标）", "KPI achievement by indicator", fr["kpi_by_indicator"], None, True),
        ("领域绩效 KPI by field", "产出与效益完成度（按领域）", "Output and outcome achievement by field", fr["kpi_by_field"], None, True),
        ("等级变化 Transitions", "等级变化（上年→本年）", "Grade transitions", fr["transitions"], None, True),
        ("预警 Flags", "预警出现次数", "Flags raised", fr["flag_totals"], None, True),
        ("领域预警 Flags by field", "各领域预警", "Flags by field", fr["flags_by_field"], "field", True),
        ("计划预警 Flags by plan", "各扶持计划预警", "Flags by plan", fr["flags_by_plan"], "plan", True),
        ("评价理由 Reasons", "评价理由出现次数", "Reasons", fr["reasons"], None, False),
        ("中止暂停 Terminate", "中止淘汰与暂停拨款项目", "Terminate and suspend funding", fr["terminate_suspend"], None, True),
        ("限期整改 Rectify", "限期整改项目", "Rectify", fr["rectify"], None, True),
        ("滚动支持 Rolling support", "滚动支持项目", "Rolling support", fr["rolling_support"], None, True),
        *programme_sections.xlsx_sheets(fr, year),  # docs/programme-management.md §3–§7
    ]
    if "data_quality" in fr:
        sheets.append(("数据校验 Validation", "数据校验结果", "Validation results", fr["data_quality"], None, False))
    sheets += [
        ("隔离数据 Quarantine", "隔离数据（按数据集和原因）", "Quarantined rows", fr["quarantine"], None, False),
        ("评分细则 Rubric", f"评分细则 {method['version']}", f"Rubric {method['version']}", pl.DataFrame(rubric_table_rows(method)), None, False),
        ("项目评分明细 Project review", f"{year}年度项目评分明细（mart.project_review）", f"{year} project review (mart.project_review)",
         fr["project_review_named"], None, False),
    ]
    return sheets


def build_report(con: duckdb.DuckDBPyConnection, year: int, reports_dir: Path, lang: str = "zh+en",
                 rubric_path: Path | None = None, inputs: list[dict] | None = None) -> dict:
    """Write the year's deliverables and manifest; return their paths, a summary and timings.

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
    try:
        # kaleido draws the PNGs in its own browser process, started as soon as the figures exist,
        # while this thread writes the HTML and the other files.
        pool = ThreadPoolExecutor(max_workers=1)
        futures = []
        t = time.perf_counter()
        html, ctx, figs = render(con, year, i18n, "html", method, inputs, version, generated_at,
                                 on_figures=lambda f: futures.append(pool.submit(chart_images, {k: v.to_dict() for k, v in f.items()})))
        pool.shutdown(wait=False)
        images_future = futures[0]
        (stage / n["html"]).write_text(html, encoding="utf-8")
        timings["html"] = time.perf_counter() - t

        t = time.perf_counter()
        sheet_rows = write_workbook(stage / n["xlsx"], xlsx_sheets(ctx, method, year), i18n)
        timings["xlsx"] = time.perf_counter() - t

        t = time.perf_counter()
        data.project_review(con, year).write_csv(stage / n["csv"], include_bom=True, date_format="%Y-%m-%d")
        timings["csv"] = time.perf_counter() - t

        t = time.perf_counter()
        for key, page in build_dashboards(con, year, i18n.lang).items():
            (stage / n[key]).write_text(page, encoding="utf-8")
        timings["dashboards"] = time.perf_counter() - t

        t = time.perf_counter()
        pdf_html, _, _ = render(con, year, i18n, "pdf", method, inputs, version, generated_at)
        images = images_future.result()
        timings["chart_images_wait"] = time.perf_counter() - t
        for key, png in images.items():
            pdf_html = pdf_html.replace(f"<!--chart:{key}-->", img_tag(png, key))
        write_pdf(pdf_html, stage / n["pdf"])
        timings["pdf"] = time.perf_counter() - t

        manifest, summary = _manifest(con, year, ctx, stage, n, method, inputs, version, generated_at, i18n, n_rows)
        (stage / n["manifest"]).write_text(json.dumps(manifest, ensure_ascii=False, indent=2, default=plain), encoding="utf-8")
        crash_point(f"report:{year}:staged")
        publish(stage, year_dir)
    finally:
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


def _manifest(con, year, ctx, folder: Path, n, method, inputs, version, generated_at, i18n, n_rows) -> tuple[dict, dict]:
    """The manifest of the files in ``folder`` (docs/manifest.md) and the summary it carries."""
    cur = ctx["cur"]
    downloads = download_names(year)
    deliverables = []
    for key in ("html", "pdf", "xlsx", "csv", "portfolio", "projects", "recommendations"):
        path = folder / n[key]
        kind = key if key in ("html", "pdf", "xlsx", "csv") else "dashboard"
        deliverables.append({"file": n[key], "kind": kind, "sha256": file_sha256(path), "bytes": path.stat().st_size,
                             "media_type": MEDIA[kind], "download_name": downloads[key]})
    targets = [{"target": r["target"], "name_zh": r["name_zh"], "name_en": r["name_en"], "measured": r["measured"],
                "threshold": r["threshold"], "met": r["met"]} for r in ctx["frames"]["targets"].to_dicts()]
    summary = {
        "projects_reviewed": int(cur.get("projects") or n_rows),
        "grades": {g: int(cur.get(f"grade_{g.lower()}") or 0) for g in codes.GRADES},
        "recommendations": {r: int(cur.get(f"rec_{r}") or 0) for r in codes.RECOMMENDATIONS},
        "targets": targets,
    }
    manifest = {
        "schema": "scorecard-manifest/1",
        "review_year": year,
        "as_of_date": ctx["as_of_date"].isoformat(),
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
        "deliverables": deliverables,
    }
    return manifest, summary
