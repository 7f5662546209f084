"""Texts that state numbers are filled from the file that holds the numbers (docs/scoring.md §10).

The rubric and the programme write their sentences as templates: a number appears only as a
placeholder (``{exec_target}``, ``{threshold}``) and is filled when the file is loaded. A digit written
into a template, or an unknown placeholder, is a load error, so a changed threshold can never leave a
stale number in any text.
"""

from __future__ import annotations

import re
import string

# Numbers a template may write as digits: the fixed parts of formulas (caps at 1, scores out of 100).
STRUCTURAL_NUMBERS = frozenset({"1", "100"})


def fill(template: str, names: dict[str, str], where: str, error: type[Exception]) -> str:
    """``template`` with its placeholders filled from ``names``; ``error(where: …)`` when it cannot be."""
    literal = "".join(part[0] for part in string.Formatter().parse(template))
    stray = [n for n in re.findall(r"\d+(?:\.\d+)?", literal) if n not in STRUCTURAL_NUMBERS]
    if stray:
        known = ", ".join("{" + k + "}" for k in sorted(names))
        raise error(f"{where}: the text states the number {stray[0]}; write it as a placeholder ({known})")
    try:
        return template.format_map(names)
    except (KeyError, ValueError, IndexError) as exc:
        raise error(f"{where}: unknown placeholder {exc} (known: {', '.join(sorted(names))})") from exc


def number(value: float | int) -> str:
    """A number as a reader writes it in a sentence: 0.8, 30, 200,000."""
    return f"{value:,g}" if abs(value) >= 10000 else f"{value:g}"
