"""The evaluator download portal (issue 7): accounts, sessions, verification, safe serving, audit."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import subprocess
import sys
import warnings
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
import yaml
from click.testing import CliRunner

with warnings.catch_warnings():  # starlette 1.x nudges towards httpx2 at import time
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from argon2 import PasswordHasher

from scorecard.portal.accounts import load_accounts
from scorecard.portal.app import create_app
from scorecard.portal.cli import serve, user
from scorecard.portal.manifest import ManifestVerifier

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SECRET = "test-secret-0123456789abcdef"
PASSWORD = "correct horse battery"
HOSTS = ["testserver"]  # the Host header of starlette's TestClient
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---- fixture report folders (built here from the contract in docs/manifest.md) -------------------

# Cheap argon2 parameters for the fixture accounts (the portal reads the parameters from each hash;
# the CLI test below covers the default, costly ones).
CHEAP = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


def write_users(path: Path, users: dict[str, tuple[str, list[int] | None, str]]) -> None:
    """name -> (role, years, password): the accounts YAML as docs/portal.md describes it."""
    doc = {"users": {}}
    for name, (role, years, password) in users.items():
        doc["users"][name] = {"role": role, "password_hash": CHEAP.hash(password)}
        if years:
            doc["users"][name]["years"] = years
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")


BASE_USERS = {
    "pingjia": ("evaluator", None, PASSWORD),
    "fenxi": ("analyst", None, PASSWORD),
    "only2018": ("evaluator", [2018], PASSWORD),
}


def fake_files(year: int) -> dict[str, tuple[str, bytes, str]]:
    """file -> (kind, bytes, download_name)."""
    return {
        f"performance-evaluation-{year}.html": (
            "html",
            f"<!doctype html><html><body><h1>{year} 年度绩效评估报告</h1></body></html>".encode(),
            f"{year}年度绩效评估报告.html",
        ),
        f"performance-evaluation-{year}.pdf": (
            "pdf",
            b"%PDF-1.7\n1 0 obj<<>>endobj\n" + year.to_bytes(2, "big") * 300 + b"\n%%EOF\n",
            f"{year}年度绩效评估报告.pdf",
        ),
        f"performance-evaluation-{year}.xlsx": (
            "xlsx",
            b"PK\x03\x04" + bytes(range(256)) * 8,
            f"{year}年度绩效评估报告.xlsx",
        ),
        f"project-review-{year}.csv": (
            "csv",
            "\ufeffproject_id,grade,recommendation\nSZ-001,A,rolling_support\n".encode(),
            f"{year}年度项目评审明细.csv",
        ),
        f"dashboards/portfolio-{year}.html": (
            "dashboard",
            b"<!doctype html><html><body><script>var x=1;</script>portfolio</body></html>",
            f"{year}年度项目组合看板.html",
        ),
        f"dashboards/recommendations-{year}.html": (
            "dashboard",
            b"<!doctype html><html><body>recommendations</body></html>",
            f"{year}年度处理建议看板.html",
        ),
    }


def build_year(
    reports_dir: Path, year: int, *, extra_deliverables: list[dict] | None = None, drop_kinds: tuple[str, ...] = ()
) -> Path:
    folder = reports_dir / str(year)
    deliverables = []
    for rel, (kind, data, download_name) in fake_files(year).items():
        if kind in drop_kinds:
            continue
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        deliverables.append(
            {
                "file": rel,
                "kind": kind,
                "sha256": hashlib.sha256(data).hexdigest(),
                "bytes": len(data),
                "media_type": "ignored/by-the-portal",
                "download_name": download_name,
            }
        )
    deliverables += extra_deliverables or []
    manifest = {
        "schema": "scorecard-manifest/1",
        "review_year": year,
        "as_of_date": f"{year}-12-31",
        "generated_at": "2026-11-27T14:00:00+08:00",
        "code_version": "0.1.0+test",
        "language": "zh+en",
        "rubric": {"version": "v1", "sha256": "0" * 64, "file": "rubric-v1.yaml"},
        "inputs": [],
        "row_counts": {"mart.project_review": 380},
        "summary": {
            "projects_reviewed": 380 + year % 10,
            "grades": {"A": 50, "B": 120, "C": 150, "D": 40, "insufficient": 20},
            "recommendations": {
                "terminate": 12,
                "acceptance_review": 30,
                "suspend_funding": 5,
                "rectify": 200,
                "rolling_support": 133,
            },
            "targets": [
                {
                    "target": "core_tech_projects",
                    "name_zh": "核心技术攻关项目数",
                    "name_en": "Core-technology projects",
                    "measured": 56,
                    "threshold": 50,
                    "met": True,
                },
                {
                    "target": "leverage",
                    "name_zh": "社会资金撬动比",
                    "name_en": "Leverage",
                    "measured": 1.2,
                    "threshold": 2.0,
                    "met": False,
                },
            ],
        },
        "deliverables": deliverables,
    }
    (folder / f"manifest-{year}.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return folder


@pytest.fixture
def env(tmp_path):
    reports = tmp_path / "reports"
    build_year(reports, 2019)
    build_year(reports, 2018)
    build_year(reports, 2017, drop_kinds=("csv",))  # incomplete: never listed
    users = tmp_path / "portal" / "users.yaml"
    write_users(users, BASE_USERS)
    clock = FakeClock()
    audit = tmp_path / "portal" / "audit.log"
    app = create_app(reports, users, audit, SECRET, clock=clock, allowed_hosts=HOSTS)
    return {"reports": reports, "users": users, "audit": audit, "app": app, "clock": clock}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def login(client: TestClient, name: str, password: str = PASSWORD):
    page = client.get("/login")
    assert page.status_code == 200
    return client.post(
        "/login",
        data={"username": name, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )


def logged_in(app, name: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    assert login(client, name).status_code == 303
    return client


def audit_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def raw_get(app, raw_path: bytes, cookie: str = "") -> tuple[int, bytes]:
    """Drive the ASGI app the way uvicorn does: path = percent-decoded raw path, no normalisation
    (httpx would remove dot segments before sending)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(raw_path.decode("ascii")),
        "raw_path": raw_path,
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "headers": [(b"host", b"testserver"), (b"cookie", cookie.encode())],
    }
    out: dict = {"body": b""}
    sent = []

    async def receive():
        if not sent:
            sent.append(True)
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays connected until the response ends

    async def send(message):
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    asyncio.run(app(scope, receive, send))
    return out["status"], out["body"]


def cookie_header(client: TestClient) -> str:
    return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


# ---- login, sessions, CSRF, lockout --------------------------------------------------------------


def test_login_success_sets_strict_httponly_cookie_and_lists_verified_years(env):
    client = TestClient(env["app"], follow_redirects=False)
    response = login(client, "pingjia")
    assert response.status_code == 303 and response.headers["location"] == "/years"
    set_cookies = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
    session = next(c for c in set_cookies if c.startswith("scorecard_session="))
    flags = [part.strip().lower() for part in session.split(";")]
    assert "httponly" in flags and "samesite=strict" in flags and "path=/" in flags
    assert "secure" not in flags
    page = client.get("/years")
    assert page.status_code == 200
    assert re.findall(r'id="year-(\d{4})"', page.text) == ["2019", "2018"]  # 2017 is incomplete
    assert "pingjia" in page.text


def test_secure_cookies_mode_marks_cookies_secure_with_host_prefix(env, tmp_path):
    app = create_app(env["reports"], env["users"], tmp_path / "a.log", SECRET, secure_cookies=True, allowed_hosts=HOSTS)
    client = TestClient(app, base_url="https://testserver", follow_redirects=False)
    page = client.get("/login")
    csrf_cookie = page.headers["set-cookie"]
    assert csrf_cookie.startswith("__Host-scorecard_csrf=") and "; Secure" in csrf_cookie
    response = client.post(
        "/login", data={"username": "pingjia", "password": PASSWORD, "csrf_token": csrf_of(page.text)}
    )
    assert response.status_code == 303
    session = next(
        v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith("__Host-scorecard_session=")
    )
    assert "; Secure" in session and "HttpOnly" in session and "SameSite=strict" in session
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_login_failure_is_401_without_session_and_audited(env):
    client = TestClient(env["app"], follow_redirects=False)
    response = login(client, "pingjia", "wrong password!")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text and "Wrong user name or password" in response.text
    assert "scorecard_session" not in client.cookies
    assert client.get("/years").status_code == 401
    unknown = login(client, "nobody", PASSWORD)
    assert unknown.status_code == 401
    events = [(e["event"], e["user"]) for e in audit_lines(env["audit"])]
    assert events == [("login_failed", "pingjia"), ("login_failed", "nobody")]


def test_csrf_missing_or_wrong_is_403(env):
    client = TestClient(env["app"], follow_redirects=False)
    client.get("/login")  # gets the CSRF cookie
    no_field = client.post("/login", data={"username": "pingjia", "password": PASSWORD})
    assert no_field.status_code == 403 and "无权访问" in no_field.text and "Forbidden" in no_field.text
    wrong = client.post("/login", data={"username": "pingjia", "password": PASSWORD, "csrf_token": "x" * 43})
    assert wrong.status_code == 403
    fresh = TestClient(env["app"], follow_redirects=False)  # field without the cookie
    token = csrf_of(client.get("/login").text)
    assert (
        fresh.post("/login", data={"username": "pingjia", "password": PASSWORD, "csrf_token": token}).status_code == 403
    )
    assert "scorecard_session" not in client.cookies
    # logout needs the session's token too
    user_client = logged_in(env["app"], "pingjia")
    assert user_client.post("/logout", data={}).status_code == 403
    assert user_client.get("/years").status_code == 200  # still logged in


def test_logout_revokes_the_session(env):
    client = logged_in(env["app"], "pingjia")
    stolen = cookie_header(client)
    page = client.get("/years")
    response = client.post("/logout", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert 'scorecard_session=""' in response.headers["set-cookie"] or "Max-Age=0" in response.headers["set-cookie"]
    assert client.get("/years").status_code == 401
    status, body = raw_get(env["app"], b"/years", stolen)  # the old cookie replayed
    assert status == 401 and "需要登录".encode() in body
    assert [e["event"] for e in audit_lines(env["audit"])] == ["login", "logout"]


def test_lockout_after_five_failures_per_account_for_fifteen_minutes(env):
    client = TestClient(env["app"], follow_redirects=False)
    for _ in range(5):
        assert login(client, "pingjia", "wrong password!").status_code == 401
    locked = login(client, "pingjia")  # right password, but locked
    assert locked.status_code == 429 and "15 分钟" in locked.text and "15 min" in locked.text
    assert "scorecard_session" not in client.cookies
    env["clock"].now += 14 * 60
    assert login(client, "pingjia").status_code == 429
    env["clock"].now += 61
    assert login(client, "pingjia").status_code == 303
    events = [e["event"] for e in audit_lines(env["audit"])]
    assert events == ["login_failed"] * 5 + ["login_locked", "login_locked", "login"]


def test_lockout_is_per_account_and_address_and_spraying_locks_the_address(env):
    attacker = TestClient(env["app"], follow_redirects=False, client=("203.0.113.9", 4000))
    for _ in range(5):  # five failures for pingjia from the attacker's address
        assert login(attacker, "pingjia", "wrong password!").status_code == 401
    assert login(attacker, "pingjia").status_code == 429  # this (account, address) pair is locked
    owner = TestClient(env["app"], follow_redirects=False, client=("198.51.100.7", 4000))
    assert login(owner, "pingjia").status_code == 303  # the owner elsewhere is not locked out
    assert login(attacker, "fenxi").status_code == 303  # other accounts from that address are not locked
    sprayer = TestClient(env["app"], follow_redirects=False, client=("192.0.2.9", 4000))
    for i in range(30):  # thirty names from one address: the address is locked for every name
        assert login(sprayer, f"guess{i}", "guess-guess-guess").status_code == 401
    assert login(sprayer, "fenxi").status_code == 429
    assert (
        login(TestClient(env["app"], follow_redirects=False, client=("192.0.2.10", 4000)), "fenxi").status_code == 303
    )


def test_removed_account_or_new_password_ends_the_session(env):
    client = logged_in(env["app"], "pingjia")
    assert client.get("/years").status_code == 200
    write_users(env["users"], {**BASE_USERS, "pingjia": ("evaluator", None, "a brand new password")})
    assert client.get("/years").status_code == 401
    client = logged_in(env["app"], "fenxi")
    runner = CliRunner()
    result = runner.invoke(user, ["remove", "fenxi", "--users", str(env["users"])])
    assert result.exit_code == 0, result.output
    assert client.get("/years").status_code == 401


# ---- roles and years -----------------------------------------------------------------------------


def test_evaluator_may_not_open_dashboards_analyst_may_inline_sandboxed(env):
    evaluator = logged_in(env["app"], "pingjia")
    page = evaluator.get("/years/2019")
    assert "dashboards/portfolio-2019.html" not in page.text and "仅向分析员" in page.text
    denied = evaluator.get("/years/2019/files/dashboards/portfolio-2019.html")
    assert denied.status_code == 403 and "Forbidden" in denied.text
    analyst = logged_in(env["app"], "fenxi")
    assert "dashboards/portfolio-2019.html" in analyst.get("/years/2019").text
    shown = analyst.get("/years/2019/files/dashboards/portfolio-2019.html")
    assert shown.status_code == 200
    assert shown.content == fake_files(2019)["dashboards/portfolio-2019.html"][1]
    assert shown.headers["content-type"] == "text/html; charset=utf-8"
    assert shown.headers["content-disposition"].startswith('inline; filename="portfolio-2019.html"')
    csp = shown.headers["content-security-policy"]
    assert csp.startswith("sandbox allow-scripts") and "allow-same-origin" not in csp
    assert "connect-src 'none'" in csp
    denied_events = [e for e in audit_lines(env["audit"]) if e["event"] == "download_denied"]
    assert [(e["user"], e["file"], e["reason"]) for e in denied_events] == [
        ("pingjia", "dashboards/portfolio-2019.html", "role")
    ]


def test_year_restriction_hides_and_forbids_other_years(env):
    client = logged_in(env["app"], "only2018")
    assert re.findall(r'id="year-(\d{4})"', client.get("/years").text) == ["2018"]
    assert client.get("/years/2019").status_code == 403
    assert client.get("/years/2019/files/performance-evaluation-2019.pdf").status_code == 403
    ok = client.get("/years/2018/files/performance-evaluation-2018.pdf")
    assert ok.status_code == 200 and ok.content == fake_files(2018)["performance-evaluation-2018.pdf"][1]


def test_anonymous_gets_401_pages_and_root_redirects(env):
    client = TestClient(env["app"], follow_redirects=False)
    assert client.get("/").headers["location"] == "/login"
    for path in ("/years", "/years/2019", "/years/2019/files/performance-evaluation-2019.pdf"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert "需要登录" in response.text and "Login required" in response.text
    assert client.get("/healthz").text == "ok"


# ---- serving: content types, names, headers, audit ----------------------------------------------


def test_downloads_have_types_chinese_names_and_bytes(env):
    client = logged_in(env["app"], "pingjia")
    expected = {
        "pdf": "application/pdf",
        "xlsx": XLSX_TYPE,
        "csv": "text/csv; charset=utf-8",
        "html": "text/html; charset=utf-8",
    }
    for rel, (kind, data, download_name) in fake_files(2019).items():
        if kind == "dashboard":
            continue
        response = client.get(f"/years/2019/files/{rel}")
        assert response.status_code == 200, rel
        assert response.content == data
        assert response.headers["content-type"] == expected[kind]
        assert response.headers["content-length"] == str(len(data))
        assert response.headers["content-disposition"] == (
            f"attachment; filename=\"{rel}\"; filename*=UTF-8''{quote(download_name, safe='')}"
        )
        assert response.headers["content-security-policy"].startswith("default-src 'none'; sandbox")
        assert response.headers["x-content-type-options"] == "nosniff"
    pdf = client.get("/years/2019/files/performance-evaluation-2019.pdf")
    assert pdf.headers["content-disposition"] == (
        "attachment; filename=\"performance-evaluation-2019.pdf\"; filename*=UTF-8''"
        "2019%E5%B9%B4%E5%BA%A6%E7%BB%A9%E6%95%88%E8%AF%84%E4%BC%B0%E6%8A%A5%E5%91%8A.pdf"
    )
    manifest = client.get("/years/2019/files/manifest-2019.json")
    assert manifest.status_code == 200 and manifest.headers["content-type"] == "application/json"
    assert manifest.headers["content-disposition"] == 'attachment; filename="manifest-2019.json"'
    assert manifest.content == (env["reports"] / "2019" / "manifest-2019.json").read_bytes()


def test_year_page_shows_summary_and_links_with_strict_headers(env):
    client = logged_in(env["app"], "pingjia")
    page = client.get("/years/2019")
    assert page.status_code == 200
    html = page.text
    assert re.search(r'id="projects-reviewed">389<', html)
    assert re.search(r"A 优 <span class=\"en\">/ Excellent</span></td><td class=\"num\">50<", html)
    assert re.search(r"限期整改 <span class=\"en\">/ Rectify within a deadline</span></td><td class=\"num\">200<", html)
    assert re.search(r'id="targets-met">1 / 2<', html)
    assert "核心技术攻关项目数" in html and "✔ 达成 / met" in html and "✘ 未达成 / not met" in html
    for rel in (
        "performance-evaluation-2019.html",
        "performance-evaluation-2019.pdf",
        "performance-evaluation-2019.xlsx",
        "project-review-2019.csv",
        "manifest-2019.json",
    ):
        assert f'href="/years/2019/files/{rel}"' in html
    assert "<script" not in html and "style=" not in html and "<style" not in html
    headers = page.headers
    assert headers["content-security-policy"].startswith("default-src 'self'")
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"


def test_every_download_is_an_audit_json_line(env):
    client = logged_in(env["app"], "pingjia")
    client.get("/years/2019/files/performance-evaluation-2019.pdf")
    client.get("/years/2018/files/project-review-2018.csv")
    client.get("/years/2019/files/manifest-2019.json")
    lines = env["audit"].read_text(encoding="utf-8").splitlines()
    downloads = [json.loads(line) for line in lines if '"event":"download"' in line]
    assert [(d["user"], d["year"], d["file"]) for d in downloads] == [
        ("pingjia", 2019, "performance-evaluation-2019.pdf"),
        ("pingjia", 2018, "project-review-2018.csv"),
        ("pingjia", 2019, "manifest-2019.json"),
    ]
    pdf = downloads[0]
    assert pdf["ip"] == "testclient" and pdf["role"] == "evaluator" and pdf["kind"] == "pdf"
    data = fake_files(2019)["performance-evaluation-2019.pdf"][1]
    assert pdf["sha256"] == hashlib.sha256(data).hexdigest() and pdf["bytes"] == len(data)
    when = datetime.fromisoformat(pdf["ts"])
    assert when.tzinfo is not None and abs((datetime.now(when.tzinfo) - when).total_seconds()) < 60


# ---- path safety ---------------------------------------------------------------------------------

TRAVERSALS = [
    b"/years/2019/files/../../../etc/passwd",
    b"/years/2019/files/../2019/performance-evaluation-2019.pdf",
    b"/years/2019/files/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    b"/years/2019/files/%2E%2E/2018/performance-evaluation-2018.pdf",
    b"/years/2019/files/..%2f..%2f..%2fetc%2fpasswd",
    b"/years/2019/files/..%2F2018%2Fmanifest-2018.json",
    b"/years/2019/files//etc/passwd",
    b"/years/2019/files/%2Fetc%2Fpasswd",
    b"/years/2019/files/./performance-evaluation-2019.pdf",
    b"/years/2019/files/dashboards/../performance-evaluation-2019.pdf",
    b"/years/2019/files/performance-evaluation-2019.pdf%00.txt",
    b"/years/2019/files/manifest-2018.json",
    b"/years/2019/../../etc/passwd",
    b"/years/2019/files/secret.txt",  # a file in the folder, not in the manifest
    b"/years/2019/files/linked.pdf",  # a symlink in the folder, not in the manifest
    b"/years/2019/files/PERFORMANCE-EVALUATION-2019.PDF",
]


def test_every_traversal_form_is_404(env, tmp_path):
    folder = env["reports"] / "2019"
    (folder / "secret.txt").write_text("not a deliverable")
    outside = tmp_path / "outside.pdf"
    outside.write_bytes(b"%PDF outside")
    (folder / "linked.pdf").symlink_to(outside)
    client = logged_in(env["app"], "fenxi")
    cookie = cookie_header(client)
    status, _ = raw_get(env["app"], b"/years/2019/files/performance-evaluation-2019.pdf", cookie)
    assert status == 200  # the driver works for a listed file
    for raw in TRAVERSALS:
        status, body = raw_get(env["app"], raw, cookie)
        assert status == 404, raw
        assert b"root:" not in body and b"outside" not in body
        assert "未找到".encode() in body and b"Not found" in body
    assert all(
        e["event"] != "download" or e["file"] == "performance-evaluation-2019.pdf" for e in audit_lines(env["audit"])
    )


def test_listed_file_that_is_a_symlink_unverifies_the_year(env, tmp_path):
    folder = env["reports"] / "2019"
    pdf = folder / "performance-evaluation-2019.pdf"
    kept = tmp_path / "kept.pdf"
    kept.write_bytes(pdf.read_bytes())  # same bytes, same hash: only the link is wrong
    pdf.unlink()
    pdf.symlink_to(kept)
    client = logged_in(env["app"], "pingjia")
    assert re.findall(r'id="year-(\d{4})"', client.get("/years").text) == ["2018"]
    assert client.get("/years/2019").status_code == 404
    assert client.get("/years/2019/files/performance-evaluation-2019.xlsx").status_code == 404
    # a symlinked directory on the way is refused too
    env_2018 = env["reports"] / "2018"
    real = tmp_path / "real-dashboards"
    (env_2018 / "dashboards").rename(real)
    (env_2018 / "dashboards").symlink_to(real)
    assert client.get("/years/2018").status_code == 404


def test_tampered_deliverable_unlists_the_year_even_with_size_and_mtime_kept(env):
    client = logged_in(env["app"], "pingjia")
    verifier: ManifestVerifier = env["app"].state.portal.verifier
    assert client.get("/years/2019").status_code == 200
    runs = verifier.hash_runs
    for _ in range(3):  # cached: no re-hashing while nothing changes
        assert client.get("/years/2019/files/performance-evaluation-2019.pdf").status_code == 200
    assert verifier.hash_runs == runs
    pdf = env["reports"] / "2019" / "performance-evaluation-2019.pdf"
    original = pdf.read_bytes()
    st = os.stat(pdf)
    pdf.write_bytes(original[:-2] + b"X\n")  # same size
    os.utime(pdf, ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime: ctime still moves
    assert re.findall(r'id="year-(\d{4})"', client.get("/years").text) == ["2018"]
    assert client.get("/years/2019").status_code == 404
    assert client.get("/years/2019/files/performance-evaluation-2019.pdf").status_code == 404
    assert client.get("/years/2019/files/project-review-2019.csv").status_code == 404
    pdf.write_bytes(original)
    assert client.get("/years/2019/files/performance-evaluation-2019.pdf").content == original


def test_bad_manifests_are_not_verified(env):
    reports = env["reports"]
    evil = {"file": "../2018/performance-evaluation-2018.pdf", "kind": "pdf", "sha256": "0" * 64}
    build_year(reports, 2016, extra_deliverables=[evil])
    build_year(reports, 2015)
    manifest = reports / "2015" / "manifest-2015.json"
    doc = json.loads(manifest.read_text(encoding="utf-8"))
    doc["review_year"] = 2014
    manifest.write_text(json.dumps(doc), encoding="utf-8")
    build_year(reports, 2014)
    (reports / "2014" / "manifest-2014.json").write_text("{not json", encoding="utf-8")
    status = ManifestVerifier(reports).status()
    assert status[2019] == status[2018] == "verified"
    assert "bad file name" in status[2016]
    assert "review_year 2014 != folder 2015" in status[2015]
    assert "not valid UTF-8 JSON" in status[2014]
    assert "incomplete, no csv" in status[2017]
    client = logged_in(env["app"], "pingjia")
    assert re.findall(r'id="year-(\d{4})"', client.get("/years").text) == ["2019", "2018"]


def test_portal_never_imports_duckdb(env):
    code = (
        "import sys\n"
        "from starlette.testclient import TestClient\n"
        "from scorecard.portal.app import create_app\n"
        f"app = create_app({str(env['reports'])!r}, {str(env['users'])!r}, {str(env['audit'])!r}, 'x' * 32, allowed_hosts=['testserver'])\n"
        "c = TestClient(app)\n"
        "assert c.get('/login').status_code == 200\n"
        "assert 'duckdb' not in sys.modules, 'duckdb imported'\n"
    )
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


# ---- CLI -----------------------------------------------------------------------------------------


def test_user_cli_add_list_remove(tmp_path, env):
    users = tmp_path / "cli-users.yaml"
    runner = CliRunner()
    added = runner.invoke(
        user,
        ["add", "zhang", "--role", "evaluator", "--years", "2019,2018", "--password-stdin", "--users", str(users)],
        input="s3cret-password\n",
    )
    assert added.exit_code == 0, added.output
    prompted = runner.invoke(
        user,
        ["add", "li", "--role", "analyst", "--all-years", "--users", str(users)],
        input="another-password\nanother-password\n",
    )
    assert prompted.exit_code == 0, prompted.output
    assert "another-password" not in prompted.output  # hidden
    mismatch = runner.invoke(
        user,
        ["add", "wang", "--role", "analyst", "--all-years", "--users", str(users)],
        input="first-password\nsecond-password\n",
    )
    assert mismatch.exit_code != 0 and "do not match" in mismatch.output.lower()
    duplicate = runner.invoke(
        user,
        ["add", "zhang", "--role", "analyst", "--all-years", "--password-stdin", "--users", str(users)],
        input="s3cret-password\n",
    )
    assert duplicate.exit_code != 0 and "exists" in duplicate.output
    short = runner.invoke(
        user,
        ["add", "zhao", "--role", "analyst", "--all-years", "--password-stdin", "--users", str(users)],
        input="short\n",
    )
    assert short.exit_code != 0 and "at least 12" in short.output
    bad_role = runner.invoke(
        user,
        ["add", "qian", "--role", "admin", "--all-years", "--password-stdin", "--users", str(users)],
        input="s3cret-password\n",
    )
    assert bad_role.exit_code != 0
    listed = runner.invoke(user, ["list", "--users", str(users)])
    assert listed.exit_code == 0
    assert [line.split() for line in listed.output.splitlines()] == [
        ["li", "analyst", "all"],
        ["zhang", "evaluator", "2019,2018"],
    ]
    raw = yaml.safe_load(users.read_text(encoding="utf-8"))
    assert raw["users"]["zhang"]["password_hash"].startswith("$argon2id$")
    assert "s3cret-password" not in users.read_text(encoding="utf-8")
    assert oct(users.stat().st_mode & 0o777) == "0o600"
    removed = runner.invoke(user, ["remove", "li", "--users", str(users)])
    assert removed.exit_code == 0 and set(load_accounts(users).users) == {"zhang"}
    assert runner.invoke(user, ["remove", "li", "--users", str(users)]).exit_code != 0
    # the account made by the CLI logs in to the portal
    app = create_app(env["reports"], users, tmp_path / "cli-audit.log", SECRET, allowed_hosts=HOSTS)
    client = TestClient(app, follow_redirects=False)
    assert login(client, "zhang", "s3cret-password").status_code == 303
    assert client.get("/years/2019").status_code == 200


def test_serve_command_help_lists_options():
    result = CliRunner().invoke(serve, ["--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--proxy-headers", "--secure-cookies", "--users", "--audit-log"):
        assert option in result.output
