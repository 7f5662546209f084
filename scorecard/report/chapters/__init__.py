"""The report's chapters, one module each, found by name: ``chNN_name.py`` (two digits, then a name),
in the order of NN. A chapter module declares

    TITLE, SECTIONS = chapter_outline(__name__)  # from the outline (outline.yaml): ("中文标题", "English
                                                 # title") and its numbered sections (h2) [("中文", "English"), ...]
    ANNEX = True                                 # optional: titled 附件 / Annexes, sections 附件一 …
    def build(r: ReportInputs) -> ChapterData
    def applies(r: ReportInputs) -> bool         # optional: False leaves the chapter out of that year's report

and its template is ``templates/chapters/chNN_name.html.j2``. docs/report.md: "How to add a chapter".
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
from functools import cache
from types import ModuleType

CHAPTER = re.compile(r"ch(\d{2})_[a-z0-9_]+")


def discover(package: ModuleType) -> tuple[ModuleType, ...]:
    """The chapter modules of ``package`` in order; two chapters with one number are an error."""
    names = sorted(m.name for m in pkgutil.iter_modules(package.__path__) if CHAPTER.fullmatch(m.name))
    numbers = [n[2:4] for n in names]
    clash = sorted({n for n in numbers if numbers.count(n) > 1})
    if clash:
        raise ValueError(f"report chapters share a number ({', '.join(clash)}): {', '.join(names)}")
    return tuple(importlib.import_module(f"{package.__name__}.{n}") for n in names)


@cache
def chapter_modules() -> tuple[ModuleType, ...]:
    """The report's chapters (this package)."""
    return discover(sys.modules[__name__])
