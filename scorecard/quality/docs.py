"""The checks list of ``docs/quality.md``, generated from the suites.

python -m scorecard.quality.docs      # rewrite the generated block of docs/quality.md
"""

from __future__ import annotations

import json
from pathlib import Path

from scorecard.quality.suites import ERROR, all_suites
from scorecard.settings import PROJECT_ROOT

DOC = PROJECT_ROOT / "docs" / "quality.md"
BEGIN = "<!-- BEGIN generated checks list (python -m scorecard.quality.docs) -->"
END = "<!-- END generated checks list -->"


def _args(kwargs: dict) -> str:
    shown = {k: v for k, v in kwargs.items() if k not in ("column", "column_list", "column_A", "column_B")}
    if "value_set" in shown and len(shown["value_set"]) > 6:
        shown["value_set"] = shown["value_set"][:6] + ["…"]
    text = json.dumps(shown, ensure_ascii=False) if shown else ""
    return text.replace("|", "\\|")


def checks_markdown() -> str:
    lines: list[str] = []
    for s in all_suites().values():
        checks = ", ".join(
            f"`{'/'.join(s.asset)}:{'expectations' if sev == ERROR else 'soft_expectations'}` ({sev})"
            for sev in s.severities
        )
        lines += [
            f"### `{s.name}`",
            "",
            f"{s.description}",
            "",
            f"Asset checks: {checks}." + (" Per review year (partitioned)." if s.partitioned else ""),
            "",
        ]
        lines += ["| rule | column | severity | frame | GX expectation | arguments |", "|---|---|---|---|---|---|"]
        for e in s.expectations:
            args = _args(e.kwargs)
            if e.value_set_sql:
                args = f"value_set from `{e.value_set_sql}`"
            lines.append(f"| {e.name} | {e.column or ''} | {e.severity} | {e.frame} | {e.gx} | {args} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_doc(path: Path = DOC) -> None:
    text = path.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    path.write_text(text[:start] + "\n\n" + checks_markdown() + "\n" + text[end:], encoding="utf-8")


if __name__ == "__main__":
    write_doc()
    print(f"wrote {DOC}")
