"""Tables for the report's templates: cells formatted once (numbers, dates, code labels), bilingual
headers, and the per-output view (the PDF shows fewer rows of the long lists and gets fixed column
widths; the HTML and the XLSX are complete)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

import polars as pl

from scorecard import codes
from scorecard.report.data import COLUMNS
from scorecard.report.i18n import CJK, DIMENSIONS, LABELS, I18n, fmt_int, fmt_num, fmt_pct

MODES = ("html", "pdf")
# Rows shown of each long list; the XLSX is complete (and the CSV and the dashboards for the reviewed rows).
# The PDF's cost (WeasyPrint) grows with its pages, the HTML's with its rows: these caps bound both
# whatever the number of projects (docs/report.md). A capped table says so and names the XLSX.
PDF_CAPS = {
    "rolling": 50,
    "rectify": 60,
    "terminate": 60,
    "overdue": 50,
    "annex_scores": 100,
    "signals": 10,
    "fragile_hard": 60,
    "fragile_other": 30,
}
HTML_CAPS = {key: 1000 for key in PDF_CAPS}
PAGE_UNITS = 118  # half-ems of 8.5pt text across an A4 page's text width (see column_widths)
MIN_TEXT_UNITS = 12  # a wrapping text column keeps at least 6 CJK characters a line
NUMERIC_KINDS = {"int", "num", "money", "pct"}
CODE_TABLES = {
    "field": "field",
    "plan": "plan",
    "department": "department",
    "support_mode": "support_mode",
    "grade": "grade",
    "prev_grade": "grade",
    "recommendation": "recommendation",
    "flag": "flag",
    "indicator": "indicator",
    "prev_recommendation": "recommendation",
    "flip_to": "recommendation",
    "signal": "signal",
}
TOKEN = re.compile(r"[^\s\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")  # a run that does not break (CJK breaks anywhere)


def header_html(i18n: I18n, zh: str, en: str) -> str:
    if i18n.lang == "zh":
        return escape(zh)
    if i18n.lang == "en":
        return escape(en)
    return f'{escape(zh)}<br><span class="en">{escape(en)}</span>'


def _code_label(i18n: I18n, col: str, value, dimension: str | None) -> str:
    table = CODE_TABLES.get(col) or (dimension if col == "dimension_value" else None)
    if col == "prev_grade" and value == "new":
        return i18n.t("新纳入", "New")
    if table:
        label = i18n.one(LABELS[table], value)
        return label.replace("专项扶持计划", "") if table == "plan" and i18n.lang != "en" else label
    return str(value)


def cell(i18n: I18n, col: str, kind: str, value, dimension: str | None = None) -> str:
    """One table cell as text: numbers formatted, dates in the report's language, codes as labels."""
    if value is None:
        return "—"
    if col == "flags":
        return "、".join(i18n.one(codes.FLAGS, f) for f in str(value).split(",") if f) or "—"
    if kind in ("money", "num"):
        return fmt_num(value)
    if kind == "int":
        return fmt_int(value)
    if kind == "pct":
        return fmt_pct(value)
    if kind == "date":
        return i18n.date(value)
    if kind == "year":
        return str(value)
    if kind == "bool":
        return i18n.t("是", "Yes") if value else i18n.t("否", "No")
    if kind == "code":
        return _code_label(i18n, col, value, dimension)
    return str(value)


@dataclass
class Table:
    """A table formatted once for every output: ``rows`` holds as many rows as the most generous of
    ``caps`` (mode -> row cap, None: all); ``view(mode)`` is what that output's template gets."""

    i18n: I18n
    specs: list[tuple[str, str, str, str]]  # (column, 中文, English, kind)
    headers: list[str]
    numeric: list[bool]
    rows: list[list[str]]
    total: int
    caps: dict[str, int | None]
    fixed_layout: bool = True  # the PDF gets column widths (tables built by hand do not)

    def view(self, mode: str) -> dict:
        cap = self.caps.get(mode)
        rows = self.rows if cap is None else self.rows[:cap]
        out = {
            "headers": self.headers,
            "numeric": self.numeric,
            "rows": rows,
            "total": self.total,
            "shown": len(rows),
            "capped": len(rows) < self.total,
        }
        if mode == "pdf" and self.fixed_layout:
            out["widths"] = column_widths(self.i18n, self.specs, rows)
        return out


@dataclass
class PerMode:
    """A table whose rows differ between the outputs (e.g. the PDF's shorter reasons)."""

    tables: dict[str, Table]

    def view(self, mode: str) -> dict:
        return self.tables[mode].view(mode)


def column_specs(cols: list, dimension: str | None = None) -> list[tuple[str, str, str, str]]:
    """(column, 中文, English, kind) per column: a name from ``data.COLUMNS`` or a 4-tuple."""
    specs = []
    for c in cols:
        if isinstance(c, tuple):
            specs.append(c)
            continue
        zh, en, kind = COLUMNS[c]
        if c == "dimension_value" and dimension:
            zh, en = DIMENSIONS[dimension]
        specs.append((c, zh, en, kind))
    return specs


def caps_for(cap: str | int | None, modes: tuple[str, ...] = MODES) -> dict[str, int | None]:
    """Row cap per mode: a key of PDF_CAPS / HTML_CAPS, one number for every mode, or None (all rows)."""
    if cap is None or isinstance(cap, int):
        return {m: cap for m in modes}
    return {m: (PDF_CAPS if m == "pdf" else HTML_CAPS).get(cap) for m in modes}


def view(
    i18n: I18n,
    frame: pl.DataFrame,
    cols: list,
    cap: str | int | None = None,
    dimension: str | None = None,
    modes: tuple[str, ...] = MODES,
) -> Table:
    """A table ready for the templates of ``modes``: formatted cells, bilingual headers; ``cap`` names
    the row caps (PDF_CAPS, HTML_CAPS) of a long list."""
    specs = column_specs(cols, dimension)
    caps = caps_for(cap, modes)
    limit = None if any(c is None for c in caps.values()) else max(caps.values())
    shown = frame.head(limit) if limit is not None and frame.height > limit else frame
    rows = [
        [cell(i18n, name, kind, r.get(name), dimension) for name, _, _, kind in specs]
        for r in shown.iter_rows(named=True)
    ]
    return Table(
        i18n,
        specs,
        [header_html(i18n, zh, en) for _, zh, en, _ in specs],
        [kind in NUMERIC_KINDS for *_, kind in specs],
        rows,
        frame.height,
        caps,
    )


def _display_width(text: str) -> float:
    """Rough printed width in half-ems: a CJK character counts 2, anything else 1.15."""
    cjk = len(CJK.findall(text))
    return 2 * cjk + 1.15 * (len(text) - cjk)


def _min_width(text: str) -> float:
    return max((1.15 * len(t) for t in TOKEN.findall(text)), default=0) or (2 if text else 0)


def _column_bounds(i18n: I18n, spec: tuple, values: list[str]) -> tuple[float, float]:
    """(min, max) width in half-ems of one column, padding included."""
    _, zh, en, kind = spec
    words = [
        w for part in ((zh,) if i18n.lang == "zh" else (en,) if i18n.lang == "en" else (zh, en)) for w in part.split()
    ]
    head = min(16, max((_min_width(w) if not CJK.search(w) else 4 for w in words), default=4))
    full = max((_display_width(v) for v in values), default=1)
    if kind in NUMERIC_KINDS or kind in ("date", "year"):  # numbers do not wrap
        low = full
    else:
        low = max(max((_min_width(v) for v in values), default=1), min(full, MIN_TEXT_UNITS))
        if full > 2 * PAGE_UNITS:  # paragraphs (reasons): a third of the line, like the HTML's 38 %
            low = max(low, PAGE_UNITS // 3)
    low = max(4, head, low) + 2.5
    return low, max(low, min(full + 2.5, 3 * PAGE_UNITS))


def column_widths(i18n: I18n, specs: list[tuple], rows: list[list[str]]) -> list[float]:
    """Column widths (percent) for the PDF's fixed table layout, estimated from the texts the way the
    automatic layout would (between each column's min- and max-content width).

    WeasyPrint's automatic table layout measures the min- and max-content width of every cell, i.e.
    lays out every line-break opportunity of every cell (each CJK character is one): most of the PDF's
    time. With ``table-layout: fixed`` and these widths each cell is laid out once. Units: half an
    em (a CJK character is 2, a Latin one 1.15), plus 2.5 for the cell padding; a line across A4 holds
    PAGE_UNITS."""
    sample = rows[:200]
    bounds = [_column_bounds(i18n, spec, [r[j] for r in sample]) for j, spec in enumerate(specs)]
    lo, hi = [b[0] for b in bounds], [b[1] for b in bounds]
    if sum(hi) <= PAGE_UNITS:
        widths = hi
    elif sum(lo) >= PAGE_UNITS:
        widths = lo
    else:  # what is left above the minima goes to the columns in proportion to how much more they need
        spare = PAGE_UNITS - sum(lo)
        extra = sum(h - low for low, h in zip(lo, hi))
        widths = [low + spare * (h - low) / extra for low, h in zip(lo, hi)]
    total = sum(widths)
    return [round(100 * w / total, 2) for w in widths]
