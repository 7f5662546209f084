"""The report's HTML, for the browser (``mode='html'``: interactive Plotly charts) or for WeasyPrint
(``mode='pdf'``: chart images, the PDF's shorter lists and fixed table widths), from one context."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from scorecard.report.context import ReportContext
from scorecard.report.i18n import fmt_int, fmt_num, fmt_pct
from scorecard.report.pdf import img_tag

TEMPLATES = Path(__file__).parent / "templates"
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}
LINE_BREAK = re.compile(r"\s*\n\s*")


def oneline(text: str, lang: str) -> Markup:
    """A paragraph written over several template lines as one line: joined without a space in
    Chinese, with one in English; escaped once as a whole (the template's literal text included)."""
    joined = LINE_BREAK.sub("" if lang == "zh" else " ", Markup(text).unescape()).strip()
    return Markup(escape(joined))


def body_rows(v: dict) -> Markup:
    """A table view's body rows, ``<tr><td class="num|">cell</td>…</tr>`` with every cell escaped, in one
    pass: a loop over the cells in the template was most of the HTML's rendering time for the long lists."""
    classes = ["num" if numeric else "" for numeric in v["numeric"]]
    cells = '<td class="{}">{}</td>'.format
    return Markup(
        "".join(f"<tr>{''.join(cells(c, escape(x)) for c, x in zip(classes, row))}</tr>" for row in v["rows"])
    )


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["j2", "html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(num=fmt_num, pct=fmt_pct, count=fmt_int, oneline=oneline, body_rows=body_rows)
    return env


def chart_markup(figs: dict, mode: str, images: dict | None = None) -> dict[str, str]:
    """Per chart: the Plotly div (HTML; plotly.js embedded once, with the first), the PNG (PDF with
    ``images``), or a placeholder ``<!--chart:key-->`` to replace with the PNG once it is drawn."""
    if mode == "html":
        return {
            key: fig.to_html(
                full_html=False,
                include_plotlyjs=(k == 0),
                config=PLOTLY_CONFIG,
                div_id=f"chart-{key}",
                default_width="100%",
            )
            for k, (key, fig) in enumerate(figs.items())
        }
    if images is not None:
        return {k: img_tag(v, k) for k, v in images.items()}
    return {k: f"<!--chart:{k}-->" for k in figs}


def render_report(ctx: ReportContext, mode: str, charts: dict[str, str]) -> str:
    """The whole report for ``mode`` ('html' or 'pdf'): cover, contents, every chapter's template."""
    r = ctx.inputs
    i18n, year, at = r.i18n, r.year, r.generated_at
    title = i18n.t(
        f"深圳市十大重大科技产业专项{year}年度绩效评估报告",
        f"Shenzhen Ten Major S&T Industry Special Projects — {year} Performance Evaluation Report",
        " ",
    )
    header = i18n.t(
        f"深圳市十大重大科技产业专项 {year}年度绩效评估报告", f"{year} Performance Evaluation Report", " · "
    )
    generated = at.strftime("%Y-%m-%d %H:%M") if i18n.lang == "en" else i18n.date(at.date()) + at.strftime(" %H:%M")
    return (
        environment()
        .get_template("report.html.j2")
        .render(
            lang=i18n.lang,
            I=i18n,
            T=i18n.t,
            langs=[x for x in ("zh", "en") if getattr(i18n, x)],
            mode=mode,
            year=year,
            title=title,
            running_header=header.replace('"', "'"),
            generated=generated,
            method=r.method,
            charts=charts,
            scripts=[],
            xlsx_name=r.xlsx_name,
            as_of_date=ctx.facts.as_of,
            n_projects=ctx.facts.n,
            toc=ctx.toc(),
            chapters=[(ch, ch.tables_for(mode), ch.data.values) for ch in ctx.chapters],
        )
    )
