"""Static chart images (kaleido, one browser for the whole batch) and the PDF (WeasyPrint, printed
from the same Jinja template as the HTML with the print CSS)."""

from __future__ import annotations

import base64
import io
import tempfile
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio

IMAGE_WIDTH = 900
# 900 px × 1.25 over the 157 mm the print CSS gives a chart: about 180 dpi.
IMAGE_SCALE = 1.25


def _height(fig: go.Figure | dict) -> int:
    layout = fig.layout if isinstance(fig, go.Figure) else fig.get("layout", {})
    return int((layout.height if isinstance(fig, go.Figure) else layout.get("height")) or 400)


def chart_images(figs: dict[str, go.Figure | dict]) -> dict[str, bytes]:
    """PNG bytes per chart, all written in one kaleido batch (each separate call starts a browser).
    The PNGs are made opaque (RGB): WeasyPrint re-encodes an RGBA PNG twice (colour and alpha mask)."""
    if not figs:
        return {}
    keys = list(figs)
    with tempfile.TemporaryDirectory(prefix="scorecard-charts-") as tmp:
        paths = [Path(tmp) / f"{k}.png" for k in keys]
        pio.write_images([figs[k] for k in keys], paths, format="png", width=IMAGE_WIDTH,
                         height=[_height(figs[k]) for k in keys], scale=IMAGE_SCALE)
        return {k: _opaque(p.read_bytes()) for k, p in zip(keys, paths)}


def _opaque(png: bytes) -> bytes:
    from PIL import Image

    img = Image.open(io.BytesIO(png))
    if img.mode == "RGB":
        return png
    out = io.BytesIO()
    background = Image.new("RGB", img.size, "white")
    background.paste(img, mask=img.convert("RGBA").getchannel("A"))
    background.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def img_tag(png: bytes, alt: str = "") -> str:
    return f'<img alt="{alt}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'


def write_pdf(html: str, target: Path) -> None:
    from weasyprint import HTML

    HTML(string=html, base_url=str(target.parent)).write_pdf(target, uncompressed_pdf=False)
