"""Static chart images (kaleido, one browser for the whole batch) and the PDF (WeasyPrint, printed
from the same Jinja template as the HTML with the print CSS)."""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio

IMAGE_WIDTH = 900
IMAGE_SCALE = 1.5


def chart_images(figs: dict[str, go.Figure]) -> dict[str, bytes]:
    """PNG bytes per chart, all written in one kaleido batch (each separate call starts a browser)."""
    if not figs:
        return {}
    keys = list(figs)
    with tempfile.TemporaryDirectory(prefix="scorecard-charts-") as tmp:
        paths = [Path(tmp) / f"{k}.png" for k in keys]
        pio.write_images(
            [figs[k] for k in keys], paths, format="png", width=IMAGE_WIDTH,
            height=[int(figs[k].layout.height or 400) for k in keys], scale=IMAGE_SCALE,
        )
        return {k: p.read_bytes() for k, p in zip(keys, paths)}


def img_tag(png: bytes, alt: str = "") -> str:
    return f'<img alt="{alt}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'


def write_pdf(html: str, target: Path) -> None:
    from weasyprint import HTML

    HTML(string=html, base_url=str(target.parent)).write_pdf(target, uncompressed_pdf=False)
