"""Issue 17: each attack of the security review replayed against a real `scorecard serve` on 127.0.0.1.

Every test asserts the property that failed before (figures in docs/portal.md): bounded request counts
and time; parallel logins use at most 60 connections. Attackers and victims use different loopback
source addresses (127.0.x.y all reach the server on 127.0.0.1), so the per-address throttle sees them
as different clients. Lines starting with ``MEASURE`` (run with ``-s``) are the figures quoted in the
docs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from statistics import median

import httpx
import pytest
import yaml
from argon2 import PasswordHasher
from module_fixtures import load_module
from services import self_signed_certificate

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

HERE = Path(__file__).resolve().parent
SECRET = "attack-test-secret-0123456789abcdef"
PASSWORD = "correct horse battery"
POISON = 'P"><img src=x onerror="window.__xss=(window.__xss||0)+1">'
HEADERS = ("x-content-type-options", "content-security-policy", "x-frame-options", "referrer-policy")
BIG_PDF = 16 << 20  # larger than loopback socket buffers: an abandoned download cannot finish by itself


fixtures = load_module("portal_test_fixtures", HERE / "test_portal.py")  # build_year, write_users, CHEAP


# ---- a real `scorecard serve` in a subprocess ------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Serve:
    """`python -m scorecard.cli serve ...` on a free loopback port; restartable with the same files."""

    def __init__(self, root: Path, *options: str, scheme: str = "http") -> None:
        self.root = root
        self.options = list(options)
        self.scheme = scheme
        self.port = _free_port()
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self.log = root / "serve.log"
        self.proc: subprocess.Popen | None = None

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "scorecard.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--reports-dir",
            str(self.root / "reports"),
            "--users",
            str(self.root / "users.yaml"),
            "--audit-log",
            str(self.root / "audit.log"),
            "--log-level",
            "warning",
            *self.options,
        ]

    def start(self) -> Serve:
        env = {**os.environ, "SCORECARD_PORTAL_SECRET": SECRET}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.command(), cwd=self.root, env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"serve exited {self.proc.returncode}: {self.log.read_text()[-2000:]}"
            try:
                if httpx.get(f"{self.url}/healthz", verify=False, timeout=1).text == "ok":
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("serve did not answer /healthz within 30 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def fds(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def memory(self) -> dict[str, int]:
        """VmRSS and VmHWM (peak RSS since start) in bytes."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        return {
            k: int(re.search(rf"^{k}:\s+(\d+) kB", status, re.MULTILINE).group(1)) * 1024 for k in ("VmRSS", "VmHWM")
        }

    def client(self, source: str = "127.0.0.1", **kw) -> httpx.Client:
        transport = httpx.HTTPTransport(local_address=source, verify=False)
        return httpx.Client(base_url=self.url, transport=transport, follow_redirects=False, timeout=60, **kw)


def write_users(path: Path, costly: tuple[str, ...] = ()) -> None:
    """The fixture accounts (cheap argon2) plus ``costly`` accounts with the default parameters (64 MiB)."""
    fixtures.write_users(path, {**fixtures.BASE_USERS, "owner": ("evaluator", None, PASSWORD)})
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    for name in costly:
        doc["users"][name] = {"role": "evaluator", "password_hash": PasswordHasher().hash(PASSWORD)}
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")


def replace_deliverable(reports: Path, year: int, rel: str, data: bytes, kind: str = "dashboard") -> None:
    """Write one listed file (adding it to the manifest when new) with its hash and size: the year
    stays verified."""
    (reports / str(year) / rel).write_bytes(data)
    manifest = reports / str(year) / f"manifest-{year}.json"
    doc = json.loads(manifest.read_text(encoding="utf-8"))
    entry = next((item for item in doc["deliverables"] if item["file"] == rel), None)
    if entry is None:
        entry = {"file": rel, "kind": kind}
        doc["deliverables"].append(entry)
    entry["sha256"], entry["bytes"] = hashlib.sha256(data).hexdigest(), len(data)
    manifest.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def make_root(root: Path, costly: tuple[str, ...] = ("pingjia",)) -> Path:
    fixtures.build_year(root / "reports", 2019)
    fixtures.build_year(root / "reports", 2018)
    write_users(root / "users.yaml", costly)
    return root


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client: httpx.Client, name: str, password: str = PASSWORD) -> httpx.Response:
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"username": name, "password": password, "csrf_token": token})


def logged_in(server: Serve, name: str, source: str = "127.0.0.1") -> httpx.Client:
    client = server.client(source)
    assert login(client, name).status_code == 303
    return client


def audit(server: Serve) -> list[dict]:
    log = server.root / "audit.log"
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []


def response_of(call) -> httpx.Response | str:
    """The response, or the transport error's name (a server that dies mid-request resets the connection)."""
    try:
        return call()
    except httpx.TransportError as exc:
        return type(exc).__name__


def status_of(call) -> int | str:
    response = response_of(call)
    return response if isinstance(response, str) else response.status_code


def parallel_logins(server: Serve, attempts: list[tuple[str, str, str]]) -> list[int]:
    """(source address, name, password) attempts, prepared (CSRF) first, then posted all at once."""
    prepared = []
    for source, name, password in attempts:
        client = server.client(source)
        prepared.append(
            (client, {"username": name, "password": password, "csrf_token": csrf_of(client.get("/login").text)})
        )
    barrier = threading.Barrier(len(prepared))

    def post(item):
        client, form = item
        barrier.wait(timeout=30)
        try:
            return client.post("/login", data=form).status_code
        finally:
            client.close()

    with ThreadPoolExecutor(max_workers=len(prepared)) as pool:
        return list(pool.map(post, prepared))


def wait_for(predicate, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    root = make_root(tmp_path_factory.mktemp("attacks"))
    replace_deliverable(root / "reports", 2019, "performance-evaluation-2019.pdf", b"%PDF-1.7\n" + bytes(BIG_PDF))
    server = Serve(root).start()
    yield server
    server.stop()


# ---- 1. the throttle cannot be raced ---------------------------------------------------------------


def test_parallel_wrong_passwords_get_at_most_five_verifications(portal):
    before = len(audit(portal))
    attempts = [("127.0.1.1", "pingjia", f"wrong password {i:02d}") for i in range(50)]
    attempts.insert(37, ("127.0.1.1", "pingjia", PASSWORD))
    statuses = parallel_logins(portal, attempts)
    events = [e["event"] for e in audit(portal)[before:]]
    verified = events.count("login_failed") + events.count("login")
    print(
        f"\nMEASURE race: {len(attempts)} parallel logins -> {verified} argon2 verifications, "
        f"statuses {sorted(set(statuses))}, logged in {statuses.count(303)}"
    )
    assert verified <= 5
    assert statuses.count(401) + statuses.count(303) == verified
    assert set(statuses) <= {401, 429, 303}
    assert login(portal.client("127.0.1.1"), "pingjia").status_code == 429  # the pair is locked now


# ---- 2. the lockout is no denial of service --------------------------------------------------------


def test_failures_from_one_address_do_not_lock_the_owner_out(portal):
    attacker, owner = portal.client("127.0.2.1"), portal.client("127.0.2.2")
    for i in range(5):
        assert login(attacker, "owner", f"not the password {i}").status_code == 401
    assert login(attacker, "owner").status_code == 429  # the attacker's pair is locked
    owner_status = login(owner, "owner").status_code
    neighbour = login(attacker, "fenxi").status_code  # someone else behind the attacker's address
    print(
        f"\nMEASURE lockout: owner from another address -> {owner_status}, other account from the "
        f"attacker's address -> {neighbour}"
    )
    assert owner_status == 303 and neighbour == 303


# ---- 3. file descriptors ---------------------------------------------------------------------------


def _abandoned_download(port: int, cookie: str, target: str, wait: float | None) -> bytes:
    """Send the request, then reset the connection: after ``wait`` seconds (0 to 3 ms: while the server
    opens the file, before the body is streamed) or, with ``wait=None``, after the response head."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = RST
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n\r\n".encode())
        head = b""
        while wait is None and b"\r\n\r\n" not in head:
            head += sock.recv(4096)
        if wait:
            time.sleep(wait)
    return head


def test_abandoned_downloads_and_failing_audit_writes_close_their_files(portal):
    client = logged_in(portal, "fenxi")
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    target = "/years/2019/files/performance-evaluation-2019.pdf"
    assert len(client.get(target).content) == BIG_PDF + 9
    baseline = portal.fds()
    waits = (None, 0, 0.001, 0.003)
    heads = [_abandoned_download(portal.port, cookie, target, waits[i % 4]) for i in range(200)]
    assert all(h.startswith(b"HTTP/1.1 200") for h in heads[::4])
    settled = wait_for(lambda: portal.fds() <= baseline + 2)
    after_abandoned = portal.fds()
    print(f"\nMEASURE fds: baseline {baseline}, after 200 abandoned downloads {after_abandoned}")
    log = portal.root / "audit.log"
    log.rename(log.with_suffix(".kept"))
    log.mkdir()  # every audit write now fails (EISDIR)
    try:
        statuses = [status_of(lambda: client.get(target)) for _ in range(50)]
    finally:
        log.rmdir()
        log.with_suffix(".kept").rename(log)
    wait_for(lambda: portal.fds() <= baseline + 2)
    after_audit = portal.fds()
    print(f"MEASURE fds: after 50 downloads with a failing audit log {after_audit} (statuses {set(statuses)})")
    assert settled and after_abandoned <= baseline + 2
    assert statuses == [503] * 50 and after_audit <= baseline + 2
    assert client.get(target).status_code == 200  # still serving


# ---- 4. memory and the event loop under parallel logins; locked attempts cost no fsync -------------


def test_sixty_parallel_logins_bound_memory_and_keep_healthz_fast(tmp_path):
    server = Serve(make_root(tmp_path)).start()
    try:
        assert login(server.client("127.0.4.250"), "pingjia").status_code == 303  # argon2 loaded once
        baseline = server.memory()["VmRSS"]
        latencies: list[float] = []
        done = threading.Event()

        def probe():
            with httpx.Client(base_url=server.url, timeout=30) as c:
                while not done.is_set():
                    started = time.perf_counter()
                    assert c.get("/healthz").status_code == 200
                    latencies.append(time.perf_counter() - started)
                    time.sleep(0.05)

        prober = threading.Thread(target=probe)
        prober.start()
        started = time.perf_counter()
        statuses = parallel_logins(server, [(f"127.0.4.{i + 1}", "pingjia", f"wrong {i}") for i in range(60)])
        elapsed = time.perf_counter() - started
        done.set()
        prober.join()
        peak = server.memory()["VmHWM"]
        growth = (peak - baseline) / 2**20
        print(
            f"\nMEASURE memory: 60 parallel logins in {elapsed:.1f} s, RSS {baseline / 2**20:.0f} MiB -> peak "
            f"{peak / 2**20:.0f} MiB (+{growth:.0f} MiB), /healthz median {median(latencies):.3f} s, "
            f"max {max(latencies):.2f} s, "
            f"statuses {{401: {statuses.count(401)}, 503: {statuses.count(503)}}}"
        )
        assert set(statuses) <= {401, 503} and statuses.count(401) >= 1
        assert growth <= 4 * 64 + 64  # at most 4 verifications of 64 MiB at once, plus slack
        # the loop keeps answering: typically milliseconds; the max allows for a 2-core machine shared
        # with other jobs (before: 7.8 s)
        assert median(latencies) < 0.25 and max(latencies) < 2.0
    finally:
        server.stop()


def test_locked_attempts_write_almost_no_audit_lines(portal):
    client = portal.client("127.0.4.200")
    for i in range(5):
        assert login(client, "only2018", f"bad password {i}").status_code == 401
    before = len(audit(portal))
    started = time.perf_counter()
    token, statuses = csrf_of(client.get("/login").text), []
    for _ in range(300):
        response = client.post("/login", data={"username": "only2018", "password": "x" * 12, "csrf_token": token})
        statuses.append(response.status_code)
        token = csrf_of(response.text)  # each answer is a fresh login form
    elapsed = time.perf_counter() - started
    lines = [e for e in audit(portal)[before:] if e["user"] == "only2018"]
    print(f"\nMEASURE locked: 300 locked attempts in {elapsed:.1f} s wrote {len(lines)} audit line(s)")
    assert statuses == [429] * 300
    assert [e["event"] for e in lines] == ["login_locked"]


# ---- 5. bad input is a 4xx page with the security headers ------------------------------------------


def _raw(port: int, request: bytes) -> tuple[int | str, bytes]:
    """Status and response head of a hand-made request ("timeout" when no answer comes within 5 s)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        data = b""
        try:
            while b"\r\n\r\n" not in data and (chunk := sock.recv(65536)):
                data += chunk
        except TimeoutError:
            return "timeout", data
    return int(data.split(b" ", 2)[1]), data


def test_bad_input_answers_4xx_pages_with_security_headers(portal):
    client = logged_in(portal, "fenxi", "127.0.5.1")
    anon = portal.client("127.0.5.2")
    token = csrf_of(anon.get("/login").text)
    cases = {
        "non-ASCII CSRF token": (
            lambda: anon.post("/login", data={"username": "x", "password": "y", "csrf_token": "é" * 43}),
            403,
        ),
        "5,000-digit year": (lambda: client.get("/years/" + "9" * 5000), 404),
        "5,000-digit year, file": (lambda: client.get("/years/" + "9" * 5000 + "/files/a.pdf"), 404),
        "non-UTF-8 form": (
            lambda: anon.post(
                "/login",
                content=f"username=%ff&password=x&csrf_token={token}",
                headers={"content-type": "application/x-www-form-urlencoded"},
            ),
            400,
        ),
        "multipart form": (lambda: anon.post("/login", files={"f": ("a.txt", b"x")}), 415),
        "1,025-character password": (
            lambda: anon.post("/login", data={"username": "pingjia", "password": "p" * 1025, "csrf_token": token}),
            400,
        ),
        "undecodable file name": (lambda: client.get("/years/2019/files/%ff%fe.pdf"), 404),
    }
    status, raw = _raw(
        portal.port,
        b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
        b"application/x-www-form-urlencoded\r\nContent-Length: 10000000\r\n\r\n",
    )
    cookie_status, cookie_raw = _raw(
        portal.port, "GET /years HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: scorecard_session=é.x.y\r\n\r\n".encode()
    )
    responses = {name: response_of(call) for name, (call, _) in cases.items()}
    statuses = {name: getattr(r, "status_code", r) for name, r in responses.items()}
    print(
        "\nMEASURE bad input: "
        + ", ".join(f"{k} {v}" for k, v in statuses.items())
        + f", 10 MB login body {status}, non-ASCII session cookie {cookie_status}; without the security headers: "
        + str([k for k, r in responses.items() if isinstance(r, str) or not all(h in r.headers for h in HEADERS)])
    )
    assert cookie_status == 401 and b"x-content-type-options: nosniff" in cookie_raw.lower()
    assert statuses == {name: expected for name, (_, expected) in cases.items()}
    for name, response in responses.items():
        assert all(h in response.headers for h in HEADERS), name
    assert status == 413 and b"x-content-type-options: nosniff" in raw.lower()
    assert "Traceback" not in portal.log.read_text(errors="replace")


def test_an_unexpected_error_is_a_500_page_with_the_security_headers():
    from starlette.applications import Starlette
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from scorecard.portal.security import SecurityHeadersMiddleware

    async def broken(request):
        raise RuntimeError("boom")

    app = Starlette(routes=[Route("/", broken)])
    app.add_middleware(SecurityHeadersMiddleware, error_page=lambda status: f"<h1>{status}</h1>".encode())
    response = TestClient(app, raise_server_exceptions=False).get("/")
    assert response.status_code == 500 and response.text == "<h1>500</h1>"
    assert all(h in response.headers for h in HEADERS) and "boom" not in response.text


# ---- 6. the audit log: one line per record, 0600, hash-chained -------------------------------------


def _verify(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scorecard.cli", "audit", "verify", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_audit_lines_survive_splitlines_and_tampering_is_detected(portal, tmp_path):
    client = portal.client("127.0.6.1")
    names = ["a\u2028b", "c\u2029d", "e\u0085f", "g\r\nh", "评估\u2028机构"]
    for name in names:
        assert login(client, name, "wrong-password!").status_code == 401
    log = portal.root / "audit.log"
    text = log.read_text(encoding="utf-8")
    records = [json.loads(line) for line in text.splitlines()]  # would raise on a split record
    mode = oct(log.stat().st_mode & 0o777)
    print(
        f"\nMEASURE audit: {len(records)} lines, splitlines() == newline count: "
        f"{len(text.splitlines()) == text.count(chr(10))}, mode {mode}"
    )
    assert len(records) == text.count("\n")
    assert [r["user"] for r in records if r.get("ip") == "127.0.6.1"] == names
    assert mode == "0o600"
    ok = _verify(str(log))
    assert ok.returncode == 0 and ok.stdout.startswith(f"ok: {len(records)} lines"), ok.stdout + ok.stderr
    head = ok.stdout.split("head ")[1].strip()
    lines = log.read_bytes().split(b"\n")[:-1]
    edited = tmp_path / "edited.log"
    edited.write_bytes(b"\n".join(lines[:2] + [lines[2].replace(b'"event":"', b'"event":"x')] + lines[3:]) + b"\n")
    dropped = tmp_path / "dropped.log"
    dropped.write_bytes(b"\n".join(lines[:3] + lines[4:]) + b"\n")
    cut = tmp_path / "cut.log"
    cut.write_bytes(b"\n".join(lines[:-1]) + b"\n")
    results = {
        "edited": _verify(str(edited)),
        "dropped": _verify(str(dropped)),
        "cut": _verify(str(cut), "--head", head),
        "cut-without-head": _verify(str(cut)),
    }
    print("MEASURE tamper: " + ", ".join(f"{k} exit {r.returncode}" for k, r in results.items()))
    assert results["edited"].returncode == 1 and "edited.log:4: prev" in results["edited"].stderr
    assert results["dropped"].returncode == 1 and "dropped.log:4" in results["dropped"].stderr
    assert results["cut"].returncode == 1 and "not the recorded" in results["cut"].stderr
    assert results["cut-without-head"].returncode == 0  # why the head is worth recording elsewhere


def test_head_downloads_are_audited(portal):
    client = logged_in(portal, "fenxi", "127.0.6.2")
    response = client.head("/years/2018/files/performance-evaluation-2018.xlsx")
    assert response.status_code == 200 and response.content == b""
    last = audit(portal)[-1]
    print(f"\nMEASURE head: HEAD of an XLSX -> {response.status_code}, last audit event {last['event']!r}")
    assert (last["event"], last["file"], last["user"]) == ("download_head", "performance-evaluation-2018.xlsx", "fenxi")


# ---- 7. logout survives a restart; idle sessions end -----------------------------------------------


def test_a_logged_out_cookie_is_refused_after_a_restart(tmp_path):
    server = Serve(make_root(tmp_path, costly=())).start()
    try:
        leaver, stayer = logged_in(server, "pingjia"), logged_in(server, "fenxi")
        stolen = dict(leaver.cookies)
        csrf = csrf_of(leaver.get("/years").text)
        assert leaver.post("/logout", data={"csrf_token": csrf}).status_code == 303
        server.stop()
        server.start()
        replay = server.client(cookies=stolen)
        statuses = (
            replay.get("/years").status_code,
            replay.get("/years/2019/files/performance-evaluation-2019.pdf").status_code,
        )
        print(
            f"\nMEASURE restart: logged-out cookie after restart -> {statuses}; "
            f"other session -> {stayer.get('/years').status_code}"
        )
        assert statuses == (401, 401)
        assert stayer.get("/years").status_code == 200  # same secret: only the logout ended a session
        assert oct((tmp_path / "revoked-sessions").stat().st_mode & 0o777) == "0o600"
    finally:
        server.stop()


# ---- 8. dashboards escape data values (Chromium) ---------------------------------------------------


def _poisoned_dashboards() -> dict[str, bytes]:
    sys.path.insert(0, str(HERE))
    import report_fixtures

    from dashboards import pages

    con = report_fixtures.fixture_connection()
    con.execute("UPDATE dim_project SET project_name = ? WHERE project_id IN ('P01', 'P10')", [POISON])
    con.execute("UPDATE dim_project SET department = ? WHERE project_id = 'P02'", [POISON])
    con.execute("UPDATE mart.review_reason SET text_zh = ?, text_en = ?", [POISON, POISON])
    return {
        "portfolio": pages.portfolio(con, 2019).encode(),
        "projects": pages.projects(con, 2019).encode(),
        "recommendations": pages.recommendations(con, 2019).encode(),
    }


def test_a_poisoned_project_name_stays_text_in_chromium(portal, chromium_args):
    from playwright.sync_api import sync_playwright

    pages = _poisoned_dashboards()
    for name, html in pages.items():
        replace_deliverable(portal.root / "reports", 2019, f"dashboards/{name}-2019.html", html)
    cookies = logged_in(portal, "fenxi", "127.0.8.1").cookies
    ran: dict[str, object] = {}
    shown: dict[str, bool] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=chromium_args)
        try:
            context = browser.new_context()
            context.add_cookies([{"name": k, "value": v, "url": portal.url} for k, v in cookies.items()])
            page = context.new_page()
            for name, selector in (
                ("projects", "#pick"),
                ("portfolio", "#f-department"),
                ("recommendations", "#board"),
            ):
                response = page.goto(f"{portal.url}/years/2019/files/dashboards/{name}-2019.html")
                assert response.status == 200, name
                page.wait_for_timeout(300)  # let any injected onerror fire
                ran[name] = page.evaluate("window.__xss || 0")
                shown[name] = POISON in page.inner_text(selector) or POISON in page.text_content(selector)
        finally:
            browser.close()
    print(f"\nMEASURE dashboards: injected handlers that ran {ran}; poison shown as text {shown}")
    assert ran == {"projects": 0, "portfolio": 0, "recommendations": 0}
    assert all(shown.values())


# ---- 9. the smaller findings ------------------------------------------------------------------------


def test_host_header_is_checked_and_never_reflected(portal):
    evil = portal.client(headers={"host": "evil.example"})
    foreign = evil.get("/years/")
    own = portal.client().get("/years/")
    print(
        f"\nMEASURE host: Host evil.example -> {foreign.status_code} {foreign.headers.get('location')}; "
        f"own host /years/ -> {own.status_code} {own.headers.get('location')}"
    )
    assert foreign.status_code == 400 and "location" not in foreign.headers
    assert all(h in foreign.headers for h in HEADERS)
    assert own.status_code == 404 and "location" not in own.headers


def test_serve_refuses_to_trust_forwarded_headers_from_everyone(tmp_path):
    server = Serve(make_root(tmp_path, costly=()), "--proxy-headers", "--forwarded-allow-ips", "*")
    env = {**os.environ, "SCORECARD_PORTAL_SECRET": SECRET}
    try:
        result = subprocess.run(
            server.command(), cwd=tmp_path, env=env, check=False, capture_output=True, text=True, timeout=20
        )
    except subprocess.TimeoutExpired:
        pytest.fail("serve started with --forwarded-allow-ips '*'")
    assert result.returncode == 2 and "'*' would trust X-Forwarded-For from any client" in result.stderr


def login_over_https(client: httpx.Client, name: str) -> httpx.Response:
    """Log in as a browser talking HTTPS to the proxy would: httpx keeps Secure cookies off plain HTTP,
    so the CSRF cookie is sent by hand."""
    page = client.get("/login")
    cookie = page.headers["set-cookie"].split(";")[0]
    form = {"username": name, "password": PASSWORD, "csrf_token": csrf_of(page.text)}
    return client.post("/login", data=form, headers={"cookie": cookie})


def _session_cookie(response: httpx.Response) -> str:
    return next(v for k, v in response.headers.multi_items() if k == "set-cookie" and "session" in v)


def test_secure_cookies_and_hsts_behind_a_trusted_proxy_and_idle_timeout(tmp_path):
    root = make_root(tmp_path, costly=())
    server = Serve(root, "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1", "--idle-timeout", "2").start()
    try:
        forwarded = {"x-forwarded-proto": "https", "x-forwarded-for": "198.51.100.7"}
        proxied, spoofer = server.client("127.0.0.1", headers=forwarded), server.client("127.0.9.9", headers=forwarded)
        via_proxy, spoofed = login_over_https(proxied, "pingjia"), login_over_https(spoofer, "fenxi")
        print(
            f"\nMEASURE proxy: via the trusted proxy: {_session_cookie(via_proxy)[:32]}… Secure "
            f"{'Secure' in _session_cookie(via_proxy)}, HSTS {'strict-transport-security' in via_proxy.headers}; "
            f"from an untrusted client: Secure {'Secure' in _session_cookie(spoofed)}, HSTS "
            f"{'strict-transport-security' in spoofed.headers}"
        )
        assert via_proxy.status_code == 303 and _session_cookie(via_proxy).startswith("__Host-scorecard_session=")
        assert "; Secure" in _session_cookie(via_proxy) and via_proxy.headers["strict-transport-security"]
        assert spoofed.status_code == 303 and "Secure" not in _session_cookie(spoofed)
        assert "strict-transport-security" not in spoofed.headers
        ips = {e["user"]: e["ip"] for e in audit(server) if e["event"] == "login"}
        assert ips == {"pingjia": "198.51.100.7", "fenxi": "127.0.9.9"}
        plain = logged_in(server, "only2018", "127.0.9.10")
        assert plain.get("/years").status_code == 200
        time.sleep(3)  # idle longer than --idle-timeout 2
        assert plain.get("/years").status_code == 401
    finally:
        server.stop()


def test_secure_cookies_and_hsts_over_direct_https(tmp_path):
    root = make_root(tmp_path, costly=())
    cert, key = self_signed_certificate(tmp_path)
    server = Serve(root, "--ssl-certfile", str(cert), "--ssl-keyfile", str(key), scheme="https").start()
    try:
        page = server.client().get("/login")
        csrf_cookie = page.headers["set-cookie"]
        assert csrf_cookie.startswith("__Host-scorecard_csrf=") and "; Secure" in csrf_cookie
        assert page.headers["strict-transport-security"].startswith("max-age=")
        response = login(server.client(), "pingjia")
        assert response.status_code == 303 and "; Secure" in _session_cookie(response)
    finally:
        server.stop()


def test_password_policy_names_and_years_in_the_cli(tmp_path, portal):
    from click.testing import CliRunner

    from scorecard.portal.cli import user

    users = tmp_path / "users.yaml"

    def add(name: str, password: str, *years: str):
        return CliRunner().invoke(
            user,
            ["add", name, "--role", "evaluator", *years, "--password-stdin", "--users", str(users)],
            input=password + "\n",
        )

    refused = {
        "10 characters": add("zhang", "abcdefghij", "--all-years"),
        "the user name": add("zhangsan1234", "zhangsan1234", "--all-years"),
        "common (zxcvbn list)": add("zhang", "1qaz2wsx3edc", "--all-years"),
        "common + digits": add("zhang", "password2024!", "--all-years"),
        "1,025 characters": add("zhang", "k" * 1024 + "m", "--all-years"),
        "name with trailing newline": add("zhang\n", PASSWORD, "--all-years"),
        "--years ''": add("zhang", PASSWORD, "--years", ""),
        "no years option": add("zhang", PASSWORD),
    }
    print("\nMEASURE policy: " + ", ".join(f"{k} exit {r.exit_code}" for k, r in refused.items()))
    for case, result in refused.items():
        assert result.exit_code == 1 and "Error:" in result.output, case
    assert "common passwords" in refused["common (zxcvbn list)"].output
    assert add("zhang", PASSWORD, "--all-years").exit_code == 0
    assert add("li", "a long and fine passphrase", "--years", "2019").exit_code == 0
    doc = yaml.safe_load(users.read_text(encoding="utf-8"))["users"]
    assert "years" not in doc["zhang"] and doc["li"]["years"] == [2019]
    long_login = login(portal.client("127.0.9.20"), "pingjia", "p" * 1025)
    assert long_login.status_code == 400  # refused, not cut to 1,024 characters and verified


def test_malformed_users_file_is_503_and_refused_at_start(tmp_path):
    root = make_root(tmp_path, costly=())
    server = Serve(root).start()
    try:
        client = logged_in(server, "pingjia")
        (root / "users.yaml").write_text("users:\n  pingjia: [unclosed\n", encoding="utf-8")
        years, again = client.get("/years"), login(server.client("127.0.9.30"), "fenxi")
        print(f"\nMEASURE users file: malformed -> /years {years.status_code}, login {again.status_code}")
        assert years.status_code == 503 and again.status_code == 503
        assert all(h in years.headers for h in HEADERS)
        assert "Traceback" not in server.log.read_text(errors="replace")
        assert f"accounts file {root / 'users.yaml'} is not valid" in server.log.read_text()
    finally:
        server.stop()
    result = subprocess.run(
        server.command(),
        cwd=tmp_path,
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "SCORECARD_PORTAL_SECRET": SECRET},
    )
    assert result.returncode == 1 and f"accounts file {root / 'users.yaml'} is not valid (" in result.stderr


def test_the_audit_log_file_is_private_even_if_it_existed(tmp_path):
    root = make_root(tmp_path, costly=())
    (root / "audit.log").write_text('{"ts":"2026-01-01T00:00:00+00:00","event":"download"}\n', encoding="utf-8")
    os.chmod(root / "audit.log", 0o644)
    server = Serve(root).start()
    try:
        logged_in(server, "pingjia")
    finally:
        server.stop()
    assert oct((root / "audit.log").stat().st_mode & 0o777) == "0o600"
    result = _verify(str(root / "audit.log"))
    assert result.returncode == 0 and "1 unchained older lines" in result.stdout, result.stdout + result.stderr
