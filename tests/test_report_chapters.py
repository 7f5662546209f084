"""The report as chapters (docs/report.md "How to add a chapter"): chapter modules found in order by
their file names, one context per year built once and rendered to both outputs, prose written in the
templates, and short functions in the report package."""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import re
import sys
from pathlib import Path

import pytest
from markupsafe import Markup

sys.path.insert(0, str(Path(__file__).parent))
from report_fixtures import fixture_connection

from scorecard.report import chapters as chapters_package
from scorecard.report import data
from scorecard.report.build import report_inputs
from scorecard.report.chapters import chapter_modules, discover
from scorecard.report.context import build_context
from scorecard.report.i18n import I18n
from scorecard.report.method import method_context
from scorecard.report.render import chart_markup, oneline, render_report
from scorecard.settings import DEFAULT_RUBRIC

REPORT = Path(__file__).resolve().parents[1] / "scorecard" / "report"
YEAR = 2019
CHAPTERS = [
    "ch01_background",
    "ch02_evaluation_work",
    "ch03_overall",
    "ch04_indicators",
    "ch05_experience",
    "ch06_recommendations",
    "ch07_other",
    "ch08_programme_management",
    "ch09_programme_overall",
    "ch10_annexes",
]
LEAF_REASON = ("leaf:process.spi", "进度指数得分 7.50（测试）", "SPI points 7.50 (test)")


@pytest.fixture(scope="module")
def con():
    con = fixture_connection()
    rule, zh, en = LEAF_REASON  # a per-indicator reason: listed in the HTML, not in the PDF
    con.execute(
        """INSERT INTO mart.review_reason SELECT * REPLACE (? AS rule_code, ? AS text_zh, ? AS text_en)
                   FROM mart.review_reason WHERE project_id = 'P07' AND review_year = ? LIMIT 1""",
        [rule, zh, en, YEAR],
    )
    yield con
    con.close()


def context(con, lang: str = "zh+en"):
    i18n = I18n(lang)
    inputs = [{"file": "projects_2019.xlsx", "dataset": "projects", "sha256": "a" * 64, "bytes": 1234}]
    return build_context(
        report_inputs(
            con, YEAR, i18n, method_context(DEFAULT_RUBRIC, i18n), inputs, "0.1.0+test", dt.datetime(2020, 1, 31, 10, 0)
        )
    )


def test_chapters_are_found_in_file_order_with_the_outline_numbers(con):
    assert [m.__name__.rsplit(".", 1)[1] for m in chapter_modules()] == CHAPTERS
    ctx = context(con)
    assert [ch.id for ch in ctx.chapters] == [f"s{i}" for i in range(1, 11)]  # 2019: the overall chapter (s9) too
    assert ctx.chapters[0].title == "一、基本情况 / 1. Background"
    assert ctx.chapters[0].sections == [
        "（一）项目概况与评价摘要 / 1.1 Summary",
        "（二）工作目标完成情况 / 1.2 Programme targets",
    ]
    assert ctx.chapters[6].title == "七、其他需要说明的问题 / 7. Other matters" and ctx.chapters[6].sections == []
    assert ctx.chapters[7].title == "八、项目组合管理 / 8. Programme management"
    assert ctx.chapters[8].title == "九、专项总体评估 / 9. Overall evaluation of the programme"
    assert ctx.chapters[9].title == "附件 / Annexes"
    assert ctx.chapters[9].sections[2] == "附件三  数据来源与血缘 / Annex 3. Inputs and lineage"
    for ch in ctx.chapters:  # each chapter has its template
        assert (REPORT / "templates" / ch.template).is_file(), ch.template
    html = render_report(ctx, "html", {})
    toc = re.findall(r'<li class="lvl(\d)"><a href="#([^"]+)">([^<]+)</a></li>', html)
    assert len(toc) == len(ctx.chapters) + sum(len(ch.sections) for ch in ctx.chapters) == 44
    for level, anchor, title in toc:  # every entry of the contents is a heading of the body
        heading = rf'<section class="chapter" id="{anchor}">\s*<h1>' if level == "1" else rf'<h2 id="{anchor}">'
        assert re.search(heading + re.escape(title) + f"</h{level}>", html), (anchor, title)


def _write_chapter(folder: Path, name: str, title: tuple[str, str], annex: bool = False) -> None:
    (folder / f"{name}.py").write_text(
        f"TITLE = {title!r}\nSECTIONS = [('甲', 'First'), ('乙', 'Second')]\nANNEX = {annex}\n\n\n"
        "def build(r):\n    return None\n",
        encoding="utf-8",
    )


def test_a_new_chapter_is_a_new_file(tmp_path, monkeypatch):
    """A chapter file between two others takes its place in the outline; the annex stays unnumbered."""
    package = tmp_path / "extra_chapters"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    _write_chapter(package, "ch01_first", ("第一章", "First chapter"))
    _write_chapter(package, "ch09_annex", ("附件", "Annexes"), annex=True)
    _write_chapter(package, "ch05_robustness", ("决策稳健性", "Decision robustness"))
    (package / "helpers.py").write_text("", encoding="utf-8")  # not a chapter: no chNN_ prefix
    monkeypatch.syspath_prepend(str(tmp_path))
    modules = discover(importlib.import_module("extra_chapters"))
    assert [m.__name__ for m in modules] == [
        "extra_chapters.ch01_first",
        "extra_chapters.ch05_robustness",
        "extra_chapters.ch09_annex",
    ]
    from scorecard.report.context import headings

    i18n = I18n("zh+en")
    assert headings(i18n, modules[1], 2) == (
        "二、决策稳健性 / 2. Decision robustness",
        ["（一）甲 / 2.1 First", "（二）乙 / 2.2 Second"],
    )
    assert headings(i18n, modules[2], 3) == (
        "附件 / Annexes",
        ["附件一  甲 / Annex 1. First", "附件二  乙 / Annex 2. Second"],
    )
    _write_chapter(package, "ch05_other", ("其他", "Other"))
    with pytest.raises(ValueError, match=r"share a number \(05\): ch01_first, ch05_other, ch05_robustness, ch09_annex"):
        discover(importlib.import_module("extra_chapters"))
    assert chapters_package.chapter_modules() == chapter_modules()  # the report's own registry is untouched


def test_one_context_is_rendered_to_both_outputs_without_querying_again(con):
    ctx = context(con)
    reads = dict(ctx.inputs._reads)
    # the lists of terminate, suspend and rectify projects, with all and with the decisive reasons: one query
    assert [k for k in reads if k[0] == data.recommendation_lists] == [
        (data.recommendation_lists, (YEAR, ("terminate", "suspend_funding", "rectify")))
    ]
    ctx.inputs.con = None  # rendering reads nothing more: the context holds every number
    html = render_report(ctx, "html", chart_markup(ctx.charts, "html"))
    pdf = render_report(ctx, "pdf", chart_markup(ctx.charts, "pdf"))
    assert ctx.inputs._reads == reads
    assert list(ctx.charts) == [
        "grades",
        "recommendations",
        "grades_field",
        "grades_plan",
        "transitions",
        "funds_year",
        "execution_field",
        "spi",
        "kpi",
        "flags_field",
        "flags_plan",
        "adjustment_heatmap",
        "budget_scenario",
        "overall_scores",
    ]
    assert html.count("<script") >= 1 and "<!--chart:" not in html
    assert pdf.count("<!--chart:") == 14 and 'src="https://' not in pdf

    # the PDF: decisive reasons only, fixed column widths; the HTML: every reason, automatic layout
    def terminate_list(page: str) -> str:
        return page[page.index('id="s6-2"') : page.index('id="s6-3"')]

    assert LEAF_REASON[1] in terminate_list(html) and LEAF_REASON[2] in terminate_list(html)
    assert "P07" in terminate_list(pdf) and LEAF_REASON[1] not in terminate_list(pdf)
    assert "<colgroup>" in pdf and "<colgroup>" not in html
    assert pdf.count("注：PDF 版本列示建议、预警和等级理由") == 2 and "注：PDF 版本列示建议" not in html
    # the XLSX's list keeps every reason
    assert any(LEAF_REASON[1] in r for r in ctx.frames["terminate_suspend"]["reasons_zh"].to_list())


def test_prose_lines_are_joined_and_escaped_once():
    assert oneline("甲，\n   乙。", "zh") == Markup("甲，乙。")
    assert oneline("one\n   two ", "en") == Markup("one two")
    # the template's literal text and the filled-in values are escaped alike, once
    assert oneline(Markup("the rubric's rules &amp; <b>"), "en") == Markup("the rubric&#39;s rules &amp; &lt;b&gt;")


def test_prose_is_in_the_templates_and_numbers_in_python():
    """The chapter modules hold no sentence: no Chinese full stop or comma in their code (docstrings
    and headings aside), and every chapter template writes its paragraphs with ``prose``."""
    for path in sorted((REPORT / "chapters").glob("ch*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = {
            id(n.body[0].value)
            for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.FunctionDef)) and n.body and isinstance(n.body[0], ast.Expr)
        }
        strings = [
            n.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs
        ]
        assert not [s for s in strings if "。" in s or "，" in s], path.name
    for path in sorted((REPORT / "templates" / "chapters").glob("ch*.html.j2")):
        text = path.read_text(encoding="utf-8")
        assert "prose()" in text and '<p class="zh"' not in text and '<p class="en"' not in text, path.name


def test_no_function_in_the_report_package_is_longer_than_60_lines():
    long = []
    for path in sorted(REPORT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > 60:
                long.append(f"{path.relative_to(REPORT)}:{node.lineno} {node.name}")
    assert not long
