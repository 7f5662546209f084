"""Small helpers that turn results into Dagster metadata an analyst can read in the UI."""

from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg

if TYPE_CHECKING:  # polars is imported by the assets that run, not when the definitions load
    import polars as pl


def markdown_table(frame: pl.DataFrame, limit: int = 10) -> dg.MarkdownMetadataValue:
    """The first ``limit`` rows of a frame as a markdown table (a preview in the asset page)."""
    head = frame.head(limit)
    if head.width == 0:
        return dg.MetadataValue.md("_(no rows)_")
    lines = ["| " + " | ".join(head.columns) + " |", "|" + "---|" * head.width]
    for row in head.iter_rows():
        lines.append("| " + " | ".join("" if v is None else _cell(v) for v in row) + " |")
    if frame.height > limit:
        lines.append(f"\n_{limit} of {frame.height:,} rows_")
    return dg.MetadataValue.md("\n".join(lines))


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.2f}"
    return str(value).replace("|", "\\|").replace("\n", " ")[:80]


def counts_md(counts: dict, header: tuple[str, str]) -> dg.MarkdownMetadataValue:
    lines = [f"| {header[0]} | {header[1]} |", "|---|---:|"] + [f"| {k} | {v:,} |" for k, v in counts.items()]
    return dg.MetadataValue.md("\n".join(lines))
