"""The report's context: built once per review year from the marts, then rendered to the HTML and to
the PDF (``render.py``), written to the XLSX (``sheets.py``) and summarised in the manifest.

``ReportInputs`` is what every chapter receives: the connection, the year, the language, the rubric
and programme (``method``), the lineage inputs, and ``read`` — each mart query of ``data.py`` run at
most once per report, whichever chapters ask for it. ``facts`` holds the year's headline numbers
(``mart.program_summary``) that several chapters state.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

import duckdb
import polars as pl

from scorecard import codes
from scorecard.report import data
from scorecard.report.chapters import chapter_modules
from scorecard.report.data import GRADE_ORDER
from scorecard.report.i18n import I18n, section_no
from scorecard.report.tables import PerMode, Table

SUB_NO = ["（一）", "（二）", "（三）", "（四）", "（五）", "（六）"]


def share(a, b) -> float | None:
    return a / b if a is not None and b else None


def label(table: dict, code) -> dict[str, str]:
    """A code's label in each language (``scorecard.codes`` table; the code itself if unknown)."""
    entry = table.get(code)
    if not entry:
        return {"zh": "—" if code is None else str(code), "en": str(code)}
    return {"zh": entry[0], "en": entry[1]}


class Row(dict):
    """A mart row for the templates: a column it lacks reads as None (shown as —)."""

    def __missing__(self, key):
        return None


def a_or_b(row: dict) -> int:
    """Projects graded A or B in a ``program_summary`` row."""
    return (row.get("grade_a") or 0) + (row.get("grade_b") or 0)


@dataclass(frozen=True)
class YearFacts:
    """The year's headline numbers (``mart.program_summary``, dimension 'all') and last year's."""

    cur: dict
    prev: dict | None
    n: int  # projects reviewed
    as_of: dt.date
    grades: dict[str, int]  # A, B, C, D, insufficient
    recs: dict[str, int]  # per recommendation
    good: int  # projects graded A or B

    @property
    def good_share(self) -> float | None:
        return share(self.good, self.n)

    @property
    def prev_good_share(self) -> float | None:
        return share(a_or_b(self.prev), int(self.prev.get("projects") or 0)) if self.prev else None


@dataclass
class ReportInputs:
    con: duckdb.DuckDBPyConnection
    year: int
    i18n: I18n
    method: dict  # method.method_context: rubric, programme, problem_min_flags, the annex's rows
    inputs: list[dict]  # lineage: file, dataset, sha256, bytes
    code_version: str
    generated_at: dt.datetime
    xlsx_name: str
    _reads: dict = field(default_factory=dict, repr=False)

    def read(self, query, *args):
        """``query(con, *args)`` (a ``data.py`` function), run once per report."""
        key = (query, args)
        if key not in self._reads:
            self._reads[key] = query(self.con, *args)
        return self._reads[key]

    @cached_property
    def facts(self) -> YearFacts:
        y = self.year
        cur = Row(self.read(data.program_all, y) or {})
        prev = self.read(data.program_all, y - 1)
        grades = {k: int(cur.get(f"grade_{k.lower()}", 0) or 0) for k in GRADE_ORDER}
        return YearFacts(
            cur=cur,
            prev=Row(prev) if prev else None,
            n=int(cur.get("projects") or 0),
            as_of=self.read(data.as_of_date, y),
            grades=grades,
            recs={r: int(cur.get(f"rec_{r}", 0) or 0) for r in codes.RECOMMENDATIONS},
            good=a_or_b(cur),
        )


@dataclass
class ChapterData:
    """What a chapter's ``build`` returns: ``values`` (numbers and labels its template's prose fills
    in), ``tables`` (``tables.view`` results, or None for a table not shown), ``frames`` (the data
    behind them, for the XLSX sheets and the charts) and ``charts`` (Plotly figures by key)."""

    values: dict = field(default_factory=dict)
    tables: dict[str, Table | PerMode | None] = field(default_factory=dict)
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    charts: dict = field(default_factory=dict)


@dataclass
class Chapter:
    name: str  # module name, e.g. ch01_background; its template is chapters/<name>.html.j2
    id: str  # anchor: s1, s2, ... by position; sections are <id>-1, <id>-2, ...
    title: str
    sections: list[str]
    data: ChapterData

    @property
    def template(self) -> str:
        return f"chapters/{self.name}.html.j2"

    def tables_for(self, mode: str) -> dict:
        return {k: (t.view(mode) if t is not None else None) for k, t in self.data.tables.items()}


@dataclass
class ReportContext:
    inputs: ReportInputs
    chapters: list[Chapter]

    @property
    def facts(self) -> YearFacts:
        return self.inputs.facts

    @property
    def frames(self) -> dict[str, pl.DataFrame]:
        return {k: v for ch in self.chapters for k, v in ch.data.frames.items()}

    @property
    def charts(self) -> dict:
        """Every chapter's figures, in chapter order."""
        return {k: v for ch in self.chapters for k, v in ch.data.charts.items()}

    def toc(self) -> list[dict]:
        out = []
        for ch in self.chapters:
            out.append({"id": ch.id, "level": 1, "title": ch.title})
            out += [{"id": f"{ch.id}-{j}", "level": 2, "title": s} for j, s in enumerate(ch.sections, start=1)]
        return out


def headings(i18n: I18n, module, number: int) -> tuple[str, list[str]]:
    """A chapter's title and section headings: 一、… （一）… for the outline's chapters (``number``),
    附件 and 附件一 … for an annex chapter (``ANNEX = True``)."""
    zh, en = module.TITLE
    subs = getattr(module, "SECTIONS", [])
    if getattr(module, "ANNEX", False):
        return i18n.t(zh, en), [
            i18n.t(f"附件{section_no(j)}  {szh}", f"Annex {j}. {sen}") for j, (szh, sen) in enumerate(subs, start=1)
        ]
    title = i18n.t(f"{section_no(number)}、{zh}", f"{number}. {en}")
    return title, [i18n.t(f"{SUB_NO[j - 1]}{szh}", f"{number}.{j} {sen}") for j, (szh, sen) in enumerate(subs, start=1)]


def build_context(inputs: ReportInputs) -> ReportContext:
    """Every chapter's data, in the registry's order (``chapters/chNN_name.py``), built once."""
    chapters = []
    number = 0
    for position, module in enumerate(chapter_modules(), start=1):
        if not getattr(module, "applies", lambda _: True)(inputs):  # a chapter of some years only
            continue
        number += 0 if getattr(module, "ANNEX", False) else 1
        title, sections = headings(inputs.i18n, module, number)
        name = module.__name__.rsplit(".", 1)[1]
        chapters.append(Chapter(name, f"s{position}", title, sections, module.build(inputs)))
    return ReportContext(inputs, chapters)
