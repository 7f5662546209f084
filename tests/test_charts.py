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


def test_a_batch_in_one_tab_draws_what_plotly_draws(tmp_path):
    """The batch keeps its browser tab between figures (kaleido would reload it after each): the PNGs
    are the bytes plotly.io.write_images gives for the same figures."""
    import json

    import plotly.io as pio

    from scorecard.report.pdf import IMAGE_SCALE, IMAGE_WIDTH, _draw

    figs = [
        go.Figure(go.Bar(x=["甲", "乙"], y=[1, 2]), layout={"height": 300}).to_dict(),
        go.Figure(go.Heatmap(z=[[1, 2], [3, 4]], x=["A", "B"], y=["一", "二"]), layout={"height": 320}).to_dict(),
        go.Figure(go.Scatter(x=[1, 2, 3], y=[3, 1, 2], mode="lines+markers"), layout={"height": 280}).to_dict(),
    ]
    ours = [str(tmp_path / f"ours{i}.png") for i in range(len(figs))]
    theirs = [str(tmp_path / f"plotly{i}.png") for i in range(len(figs))]
    heights = [f["layout"]["height"] for f in figs]
    (tmp_path / "charts.json").write_text(json.dumps({"figures": figs, "paths": ours, "heights": heights}))
    _draw(str(tmp_path / "charts.json"))
    pio.write_images(figs, theirs, format="png", width=IMAGE_WIDTH, height=heights, scale=IMAGE_SCALE)
    for a, b in zip(ours, theirs):
        assert open(a, "rb").read() == open(b, "rb").read()
