"""The report's outline and the fixed words of its tables, ``outline.yaml`` beside this module: the
title and the numbered sections of each chapter in both languages, the XLSX sheets of the sections
beyond the rubric, and the labels of the programme analyses' codes — data in one place rather than a
same-shaped literal in each module."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

from scorecard.files import load_yaml

OUTLINE_FILE = Path(__file__).with_name("outline.yaml")

Title = tuple[str, str]  # (中文, English)


@cache
def outline() -> dict:
    return load_yaml(OUTLINE_FILE.read_text(encoding="utf-8"))


def chapter_outline(module: str) -> tuple[Title, list[Title]]:
    """(TITLE, SECTIONS) of the chapter module named ``module`` (``__name__`` or ``chNN_name``)."""
    name = module.rsplit(".", 1)[-1]
    entry = outline()["chapters"].get(name)
    if entry is None:
        raise KeyError(f"report chapter {name} has no entry under chapters: in {OUTLINE_FILE}")
    zh, en = entry["title"]
    return (zh, en), [(szh, sen) for szh, sen in entry["sections"]]


def sheets(group: str, frames: dict, year: int) -> list[tuple]:
    """(sheet, title zh, title en, frame key, dimension, translate) of scorecard/report/sheets.py: the
    sheets of ``group`` whose frame the chapters made, in their order, with the year in their titles."""
    return [
        (name, zh.format(year=year), en.format(year=year), key, None, translate)
        for name, zh, en, key, translate in outline()["sheets"][group]
        if key in frames
    ]


def code_labels(kind: str, codes: Iterable[str]) -> dict[str, Title]:
    """code -> (中文, English) of ``kind`` under labels:, for these codes and in their order."""
    table = outline()["labels"][kind]
    missing = [c for c in codes if c not in table]
    if missing:
        raise KeyError(f"no label for the {kind} codes {', '.join(missing)} in {OUTLINE_FILE}")
    return {c: (table[c][0], table[c][1]) for c in codes}
