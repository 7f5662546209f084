"""The portal on a real uvicorn on loopback: Chromium downloads, raw-socket traversal, bounded load."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from conftest import CHROMIUM_ARGS
from module_fixtures import load_module

from scorecard.portal.app import create_app

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE / "artifacts"
SECRET = "browser-test-secret-0123456789"


fixtures = load_module("portal_test_fixtures", HERE / "test_portal.py")  # build_year, write_users, ...
bench = load_module("portal_load_bench", HERE.parent / "bench" / "portal_load.py")


class LiveServer:
    """uvicorn in a thread on a socket bound to 127.0.0.1:0 (no port race)."""

    def __init__(self, app) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture
def live(tmp_path):
    reports = tmp_path / "reports"
    fixtures.build_year(reports, 2019)
    fixtures.build_year(reports, 2018)
    users = tmp_path / "users.yaml"
    fixtures.write_users(users, fixtures.BASE_USERS)
    audit = tmp_path / "audit.log"
    app = create_app(reports, users, audit, SECRET)
    with LiveServer(app) as server:
        yield {"server": server, "reports": reports, "audit": audit}


def test_evaluator_downloads_pdf_and_xlsx_in_chromium(live):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    url = live["server"].url
    folder = live["reports"] / "2019"
    csp_errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                accept_downloads=True, locale="zh-CN", viewport={"width": 1280, "height": 900}
            )
            page = context.new_page()
            page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
            page.goto(f"{url}/login")
            page.screenshot(path=str(ARTIFACTS / "portal-login.png"), full_page=True)
            page.fill("#username", "pingjia")
            page.fill("#password", fixtures.PASSWORD)
            page.click("#login")
            page.wait_for_url(f"{url}/years")
            assert page.inner_text("#who").startswith("pingjia")
            page.screenshot(path=str(ARTIFACTS / "portal-years.png"), full_page=True)
            page.click("#year-2019")
            page.wait_for_url(f"{url}/years/2019")
            assert page.inner_text("#projects-reviewed") == "389"
            page.screenshot(path=str(ARTIFACTS / "portal-year-2019.png"), full_page=True)
            for kind, rel, name in (
                ("pdf", "performance-evaluation-2019.pdf", "2019年度绩效评估报告.pdf"),
                ("xlsx", "performance-evaluation-2019.xlsx", "2019年度绩效评估报告.xlsx"),
            ):
                with page.expect_download() as info:
                    page.click(f"#dl-{kind}")
                download = info.value
                assert download.suggested_filename == name
                assert Path(download.path()).read_bytes() == (folder / rel).read_bytes()
            # the dashboard is refused to an evaluator with the bilingual page
            response = page.goto(f"{url}/years/2019/files/dashboards/portfolio-2019.html")
            assert response.status == 403
            assert "无权访问" in page.content() and "Forbidden" in page.content()
            page.screenshot(path=str(ARTIFACTS / "portal-403.png"), full_page=True)
        finally:
            browser.close()
    assert csp_errors == []  # the pages need nothing the CSP forbids
    downloads = [json.loads(line) for line in live["audit"].read_text(encoding="utf-8").splitlines()]
    assert [(d["user"], d["file"]) for d in downloads if d["event"] == "download"] == [
        ("pingjia", "performance-evaluation-2019.pdf"),
        ("pingjia", "performance-evaluation-2019.xlsx"),
    ]
    assert all(d["ip"] == "127.0.0.1" for d in downloads)


def _raw_request(port: int, target: str, cookie: str) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            (f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n").encode(
                "ascii"
            )
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return int(data.split(b" ", 2)[1])


def test_traversal_over_a_real_socket_is_404(live, tmp_path):
    server = live["server"]
    (live["reports"] / "2019" / "linked.pdf").symlink_to("/etc/passwd")
    cookies = bench.login_cookies(server.url, "fenxi", fixtures.PASSWORD)
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    assert _raw_request(server.port, "/years/2019/files/performance-evaluation-2019.pdf", cookie) == 200
    for target in (
        "/years/2019/files/../../../../etc/passwd",
        "/years/2019/files/%2e%2e/%2e%2e/etc/passwd",
        "/years/2019/files/..%2f..%2f..%2fetc%2fpasswd",
        "/years/2019/files//etc/passwd",
        "/years/2019/files/%2Fetc%2Fpasswd",
        "/years/2019/files/linked.pdf",
        "/years/2019/files/..%5c..%5cetc%5cpasswd",
    ):
        assert _raw_request(server.port, target, cookie) == 404, target


def test_bounded_load_2000_downloads_20_clients(live):
    server = live["server"]
    cookies = bench.login_cookies(server.url, "pingjia", fixtures.PASSWORD)
    files = bench.expected_files(server.url, cookies, 2019)
    assert len(files) == 4
    result = asyncio.run(bench.run_load(server.url, cookies, 2019, files, total=2000, concurrency=20))
    print(f"\nportal load: {result.line()}")
    assert result.ok == 2000 and result.errors == 0
    lines = live["audit"].read_text(encoding="utf-8").splitlines()
    assert sum(1 for line in lines if json.loads(line)["event"] == "download") == 2001  # + the manifest
    assert all(re.match(r"^\{.*\}$", line) for line in lines)  # no torn or interleaved lines
