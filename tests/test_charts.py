"""Chart images for the PDF are drawn by kaleido/Chromium in a child process that is killed and
retried when it hangs (a hung kaleido once stalled a whole run)."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from scorecard.report.pdf import chart_images


def _figs():
    return {"bars": go.Figure(go.Bar(x=["甲", "乙"], y=[1, 2]), layout={"height": 300}).to_dict()}


def test_chart_images_are_png_of_the_requested_size():
    import io

    from PIL import Image

    images = chart_images(_figs())
    png = images["bars"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    img = Image.open(io.BytesIO(png))
    assert img.mode == "RGB" and img.size == (1125, 375)  # 900 × 300 at scale 1.25


def test_a_hung_chart_process_is_killed_and_reported():
    with pytest.raises(RuntimeError, match=r"timed out after 0 s \(attempt 2 of 2\)"):
        chart_images(_figs(), timeout=0.05, attempts=2)
