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


def test_a_browser_started_ahead_draws_the_same_and_closes_without_a_batch():
    """The chart child started ahead of its batch (ChartBrowser, started while a report's context is
    built) draws the same PNG; one closed before it is handed a batch is killed, and its lock freed."""
    import fcntl
    import signal
    import tempfile
    from pathlib import Path

    from scorecard.report.pdf import ChartBrowser

    browser = ChartBrowser()
    assert chart_images(_figs(), browser=browser) == chart_images(_figs())
    assert browser._proc.returncode == 0  # it drew the batch itself, and exited

    unused = ChartBrowser()
    unused.close()
    assert unused._proc.returncode == -signal.SIGKILL  # killed, with its session (its Chromium too)
    with open(Path(tempfile.gettempdir()) / "scorecard-kaleido.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # no browser holds the lock any more
        fcntl.flock(lock, fcntl.LOCK_UN)


def test_the_pdf_takes_each_chart_when_it_reaches_it_and_stops_if_the_batch_failed(tmp_path):
    """WeasyPrint asks for the PNG of <img src="chart:KEY"> only when it reaches it (the batch is
    drawn meanwhile); a failed batch stops the PDF instead of leaving the chart out."""
    import io
    import subprocess

    from PIL import Image

    from scorecard.report.pdf import chart_fetcher, chart_tag, write_pdf

    png = io.BytesIO()
    Image.new("RGB", (90, 30), "navy").save(png, format="PNG")
    html = f"<html><body><p>甲</p>{chart_tag('bars')}<p>乙</p></body></html>"
    asked: list[str] = []

    def images():
        asked.append("bars")
        return {"bars": png.getvalue()}

    write_pdf(html, tmp_path / "ok.pdf", url_fetcher=chart_fetcher(images))
    assert asked == ["bars"]
    listing = subprocess.run(["pdfimages", "-list", str(tmp_path / "ok.pdf")], capture_output=True, text=True).stdout
    assert [line.split()[3:5] for line in listing.splitlines()[2:]] == [["90", "30"]]

    def failed():
        raise RuntimeError("chart images (kaleido/Chromium) failed: no browser")

    with pytest.raises(RuntimeError, match=r"failed.pdf stopped: chart chart:bars: .* failed: no browser"):
        write_pdf(html, tmp_path / "failed.pdf", url_fetcher=chart_fetcher(failed))
    assert not (tmp_path / "failed.pdf").exists()
