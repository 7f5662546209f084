"""The project explains itself: every citation of a document in code, SQL, configuration and docs
points to a file of this repository, and a cited section (§N) exists in it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from scorecard.settings import PROJECT_ROOT

CITATION = re.compile(r"(?<![\w./-])((?:\.{1,2}/)*[\w./-]*[A-Za-z][\w-]*\.md)\b(?:\s+§(\d+))?")
TEXT_SUFFIXES = {".py", ".sql", ".md", ".yaml", ".yml", ".j2", ".toml", ".cfg", ""}


def tracked_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout
    paths = [PROJECT_ROOT / line for line in out.splitlines()]
    return [
        p
        for p in paths
        if p.suffix in TEXT_SUFFIXES and p.is_file() and "data" not in p.relative_to(PROJECT_ROOT).parts[:1]
    ]


def resolve(cited: str, source: Path) -> Path | None:
    for base in (source.parent, PROJECT_ROOT, PROJECT_ROOT / "docs"):
        candidate = (base / cited).resolve()
        if candidate.is_file() and PROJECT_ROOT in candidate.parents:
            return candidate
    return None


def sections(path: Path) -> set[str]:
    return set(re.findall(r"^#+\s+§(\d+)\b", path.read_text(encoding="utf-8"), re.M))


def test_every_cited_document_and_section_exists():
    missing = []
    for path in tracked_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for no, line in enumerate(text.splitlines(), start=1):
            for match in CITATION.finditer(line):
                cited, section = match.group(1), match.group(2)
                if (
                    "://" in line[max(0, match.start() - 12) : match.start()]
                    or line[match.end() : match.end() + 1] == "("
                ):
                    continue  # a URL or a call (MetadataValue.md(...)), not a citation
                target = resolve(cited, path)
                where = f"{path.relative_to(PROJECT_ROOT)}:{no}"
                if target is None:
                    missing.append(f"{where}: {cited} is not a file of the repository")
                elif section and section not in sections(target):
                    missing.append(f"{where}: {cited} has no section §{section}")
    assert missing == []
