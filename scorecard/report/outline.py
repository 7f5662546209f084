"""The report's outline, ``outline.yaml`` beside this module: the title and the numbered sections of
each chapter in both languages, in one place rather than in each chapter module."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

OUTLINE_FILE = Path(__file__).with_name("outline.yaml")

Title = tuple[str, str]  # (中文, English)


@cache
def outline() -> dict:
    return yaml.safe_load(OUTLINE_FILE.read_text(encoding="utf-8"))


def chapter_outline(module: str) -> tuple[Title, list[Title]]:
    """(TITLE, SECTIONS) of the chapter module named ``module`` (``__name__`` or ``chNN_name``)."""
    name = module.rsplit(".", 1)[-1]
    entry = outline()["chapters"].get(name)
    if entry is None:
        raise KeyError(f"report chapter {name} has no entry under chapters: in {OUTLINE_FILE}")
    zh, en = entry["title"]
    return (zh, en), [(szh, sen) for szh, sen in entry["sections"]]
