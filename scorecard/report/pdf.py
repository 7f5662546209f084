"""Static chart images (kaleido, one browser for the whole batch) and the PDF (WeasyPrint, printed
from the same Jinja template as the HTML with the print CSS)."""

from __future__ import annotations

import base64
import fcntl
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Callable

import plotly.graph_objects as go
from plotly.utils import PlotlyJSONEncoder

IMAGE_WIDTH = 900
# 900 px × 1.25 over the 157 mm the print CSS gives a chart: about 180 dpi.
IMAGE_SCALE = 1.25


def _height(fig: go.Figure | dict) -> int:
    layout = fig.layout if isinstance(fig, go.Figure) else fig.get("layout", {})
    return int((layout.height if isinstance(fig, go.Figure) else layout.get("height")) or 400)


def chart_images(
    figs: dict[str, go.Figure | dict],
    timeout: float | None = None,
    attempts: int = 2,
    browser: ChartBrowser | None = None,
) -> dict[str, bytes]:
    """PNG bytes per chart, all drawn in one kaleido batch (each separate call starts a browser).

    kaleido drives a headless Chromium, which can hang; the batch therefore runs in a child process
    of its own session, killed with its browser after ``timeout`` seconds (SCORECARD_CHART_TIMEOUT,
    default 180) and tried again once. ``browser``: a child started ahead, which draws the first
    attempt. The PNGs are made opaque (RGB): WeasyPrint re-encodes an RGBA PNG twice (colour and
    alpha mask)."""
    if not figs:
        return {}
    timeout = timeout or float(os.environ.get("SCORECARD_CHART_TIMEOUT", "180"))
    keys = list(figs)
    with tempfile.TemporaryDirectory(prefix="scorecard-charts-") as tmp:
        spec = {
            "figures": [figs[k].to_plotly_json() if isinstance(figs[k], go.Figure) else figs[k] for k in keys],
            "paths": [str(Path(tmp) / f"{k}.png") for k in keys],
            "heights": [_height(figs[k]) for k in keys],
        }
        (Path(tmp) / "charts.json").write_text(json.dumps(spec, cls=PlotlyJSONEncoder), encoding="utf-8")
        for attempt in range(1, attempts + 1):
            if attempt == 1 and browser is not None:
                err = browser.draw(Path(tmp) / "charts.json", timeout, attempts)
            else:
                with _one_browser_at_a_time(attempt > 1):
                    err = _draw_batch(Path(tmp) / "charts.json", timeout, attempt, attempts)
            missing = [p for p in spec["paths"] if not Path(p).is_file()]
            if err is None and not missing:
                return {k: _opaque(Path(p).read_bytes()) for k, p in zip(keys, spec["paths"])}
            err = err or f"kaleido exited without drawing {len(missing)} of {len(keys)} charts (attempt {attempt})"
        raise RuntimeError(f"chart images (kaleido/Chromium) failed: {err.strip()[-500:]}")


@contextmanager
def _one_browser_at_a_time(alone: bool):
    """Chart batches of this machine draw side by side (a shared lock), a retry alone (an exclusive
    one, once the others are done): reports built side by side (scorecard/report/parallel.py) on a
    busy machine have seen kaleido exit without drawing while another browser started."""
    with open(Path(tempfile.gettempdir()) / "scorecard-kaleido.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _draw_batch(spec_path: Path, timeout: float, attempt: int, attempts: int) -> str | None:
    """Draw the batch in a child process of its own session; None on success, else the error text."""
    proc = _chart_child(str(spec_path))
    return _finish(proc, None, timeout, attempt, attempts)


def _chart_child(*args: str, stdin=None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "scorecard.report.pdf", *args],
        start_new_session=True,
        stdin=stdin,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _finish(proc: subprocess.Popen, spec: bytes | None, timeout: float, attempt: int, attempts: int) -> str | None:
    """Wait for a chart child (handing it ``spec`` on stdin); None on success, else the error text."""
    try:
        _, err = proc.communicate(input=spec, timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the child and its Chromium
        proc.communicate()
        return f"timed out after {timeout:.0f} s (attempt {attempt} of {attempts})"
    return None if proc.returncode == 0 else err.decode(errors="replace")


class ChartBrowser:
    """A chart child started ahead of its batch: its Chromium starts and loads plotly.js (a few
    seconds) while the report's context and files are built; ``draw`` hands it the batch, and
    ``close`` kills it if it was never handed one (a failed build). It holds the shared browser lock
    (``_one_browser_at_a_time``) from its start until it is closed."""

    def __init__(self) -> None:
        self._stack = ExitStack()
        self._stack.enter_context(_one_browser_at_a_time(False))
        self._proc = _chart_child("--ahead", stdin=subprocess.PIPE)
        self._closed = threading.Lock()

    def draw(self, spec_path: Path, timeout: float, attempts: int) -> str | None:
        """Draw the batch ``spec_path`` (the first attempt); None on success, else the error text."""
        try:
            return _finish(self._proc, f"{spec_path}\n".encode(), timeout, 1, attempts)
        finally:
            self.close()

    def close(self) -> None:
        """Kill the child and its browser if they still run; release the lock (once)."""
        if not self._closed.acquire(blocking=False):
            return
        if self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
        self._stack.close()


def _draw(spec_path: str) -> None:
    """Child process: draw the batch described by ``charts.json`` (what ``plotly.io.write_images`` asks
    kaleido for, in a browser tab that is not reloaded between figures)."""
    import asyncio

    asyncio.run(_draw_in_one_tab(_figures(spec_path)))


def _figures(spec_path: str) -> list[dict]:
    """The batch of ``charts.json``, as ``plotly.io.write_images`` hands it to kaleido."""
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    return [
        {
            "fig": go.Figure(fig).to_dict(),
            "path": Path(path),
            "opts": {"format": "png", "width": IMAGE_WIDTH, "height": height, "scale": IMAGE_SCALE},
        }
        for fig, path, height in zip(spec["figures"], spec["paths"], spec["heights"])
    ]


def _one_tab_kaleido():
    """kaleido reloads its tab after every figure, which parses plotly.js (4.6 MB) again: about half of
    a report's chart time. Each of our figures is a new plot of its own, so the tab is handed back as
    it is; the PNGs are byte-identical (tests/test_charts.py), the batch takes half the CPU."""
    from kaleido import Kaleido

    class OneTab(Kaleido):
        async def _return_kaleido_tab(self, tab) -> None:  # kaleido's own reloads the page first
            await self.tabs_ready.put(tab)

    return OneTab()


async def _draw_in_one_tab(figures: list[dict]) -> None:
    async with _one_tab_kaleido() as k:
        await k.write_fig_from_object(figures)


async def _draw_when_handed() -> None:
    """Child started ahead (``ChartBrowser``): open the browser (its tab loads plotly.js) now, then
    draw the batch whose ``charts.json`` path arrives on stdin (nothing, if stdin closes first)."""
    import asyncio

    async with _one_tab_kaleido() as k:
        spec_path = (await asyncio.to_thread(sys.stdin.readline)).strip()
        if spec_path:
            await k.write_fig_from_object(_figures(spec_path))


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


CHART_URL = "chart:"  # <img src="chart:KEY">: a chart's PNG, handed to WeasyPrint by ChartFetcher


def chart_tag(key: str) -> str:
    """The PDF's ``<img>`` of chart ``key``, whose PNG ``ChartFetcher`` hands WeasyPrint."""
    return f'<img alt="{key}" src="{CHART_URL}{key}">'


def chart_fetcher(images: Callable[[], dict[str, bytes]]):
    """A WeasyPrint URL fetcher that hands it each chart's PNG when it reaches that chart, waiting for
    ``images()`` (the chart batch) only then: WeasyPrint parses and styles the report meanwhile. Every
    other URL is fetched as WeasyPrint would. A batch that failed stops the PDF (a fatal fetch error:
    WeasyPrint would otherwise leave the image out and go on)."""
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class ChartFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if not url.startswith(CHART_URL):
                return super().fetch(url, headers)
            try:
                png = images()[url[len(CHART_URL) :]]
            except Exception as exc:
                raise FatalURLFetchingError(f"chart {url}: {exc}") from exc
            return URLFetcherResponse(url, png, {"Content-Type": "image/png"})

    return ChartFetcher()


def write_pdf(html: str, target: Path, url_fetcher=None) -> None:
    """``html`` printed to ``target``. A fatal fetch error (WeasyPrint's, a BaseException) is raised
    as a RuntimeError, so that the step fails as for any other error."""
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError

    try:
        HTML(string=html, base_url=str(target.parent), url_fetcher=url_fetcher).write_pdf(
            target, uncompressed_pdf=False
        )
    except FatalURLFetchingError as exc:
        raise RuntimeError(f"the PDF {target.name} stopped: {exc}") from exc


if __name__ == "__main__":
    if sys.argv[1] == "--ahead":
        import asyncio

        asyncio.run(_draw_when_handed())
    else:
        _draw(sys.argv[1])
