"""The evaluator download portal: a small read-only Starlette app over the verified report folders.

Routes (all but /login, /static and /healthz need a session):

    GET  /                               -> /years or /login
    GET  /login, POST /login             login form (CSRF token, throttled)
    POST /logout                         (CSRF token)
    GET  /years                          verified years this account may see
    GET  /years/{year}                   summary + download links
    GET  /years/{year}/files/{name}      a deliverable listed in the verified manifest, or the manifest

The app reads only files: the report folders and the accounts file. It never opens the warehouse.
"""

from __future__ import annotations

import hmac
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from scorecard.codes import GRADES, RECOMMENDATIONS
from scorecard.portal.accounts import Account, AccountStore
from scorecard.portal.manifest import Deliverable, ManifestError, ManifestVerifier, VerifiedYear
from scorecard.portal.security import (
    ATTACHMENT_CSP,
    DASHBOARD_CSP,
    AuditLog,
    LoginThrottle,
    SecurityHeadersMiddleware,
    content_disposition,
    open_no_follow,
)

HERE = Path(__file__).parent
SESSION_SECONDS = 8 * 3600
LOGIN_CSRF_SECONDS = 3600
CHUNK = 256 * 1024

KIND_LABELS: dict[str, tuple[str, str]] = {
    "html": ("报告（网页版）", "Report (HTML)"),
    "pdf": ("报告（PDF）", "Report (PDF)"),
    "xlsx": ("报告数据表（Excel）", "Report tables (XLSX)"),
    "csv": ("项目评审明细（CSV）", "Project review rows (CSV)"),
    "manifest": ("清单与校验值（JSON）", "Manifest with hashes (JSON)"),
    "dashboard": ("分析看板", "Analyst dashboard"),
}
ERRORS: dict[int, tuple[str, str, str, str]] = {
    400: ("请求无效", "Bad request", "请求格式不正确。", "The request was malformed."),
    401: ("需要登录", "Login required", "请先登录。", "Please log in first."),
    403: ("无权访问", "Forbidden", "您的账号无权访问此内容，或表单已过期。",
          "Your account may not open this, or the form has expired."),
    404: ("未找到", "Not found", "所请求的文件或年度不存在或未通过校验。",
          "The requested file or year does not exist or did not pass verification."),
    405: ("方法不允许", "Method not allowed", "不支持该请求方法。", "This method is not allowed here."),
    429: ("尝试次数过多", "Too many attempts", "登录失败次数过多，请稍后再试。",
          "Too many failed logins; please try again later."),
}
ORDER_KINDS = ("html", "pdf", "xlsx", "csv")


class Portal:
    """State shared by the handlers of one app instance."""

    def __init__(self, reports_dir: Path, users_file: Path, audit_log: Path, secret: str,
                 secure_cookies: bool, clock: Callable[[], float]) -> None:
        if not secret or len(secret) < 16:
            raise ValueError("the portal secret must have at least 16 characters")
        self.verifier = ManifestVerifier(Path(reports_dir))
        self.accounts = AccountStore(Path(users_file))
        self.audit = AuditLog(Path(audit_log))
        self.throttle = LoginThrottle(clock=clock)
        self.secure = secure_cookies
        self.session_cookie = "__Host-scorecard_session" if secure_cookies else "scorecard_session"
        self.csrf_cookie = "__Host-scorecard_csrf" if secure_cookies else "scorecard_csrf"
        self.sessions = URLSafeTimedSerializer(secret, salt="scorecard-portal-session")
        self.login_csrf = URLSafeTimedSerializer(secret, salt="scorecard-portal-login-csrf")
        self._revoked: dict[str, float] = {}  # session id -> wall time it expires anyway
        self._revoked_lock = threading.Lock()
        self.env = Environment(loader=FileSystemLoader(HERE / "templates"),
                               autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
        self.css = (HERE / "static" / "portal.css").read_bytes()

    # ---- sessions -------------------------------------------------------------------------------
    def user(self, request: Request) -> tuple[str, Account, dict[str, Any]] | None:
        token = request.cookies.get(self.session_cookie)
        if not token:
            return None
        try:
            data = self.sessions.loads(token, max_age=SESSION_SECONDS)
        except BadSignature:
            return None
        if not isinstance(data, dict) or data.get("sid") in self._revoked:
            return None
        account = self.accounts.get(str(data.get("u", "")))
        if account is None or not hmac.compare_digest(str(data.get("fp", "")), account.fingerprint):
            return None  # removed account or changed password ends the session
        return data["u"], account, data

    def revoke(self, sid: str) -> None:
        now = time.time()
        with self._revoked_lock:
            self._revoked = {s: t for s, t in self._revoked.items() if t > now}
            self._revoked[sid] = now + SESSION_SECONDS

    def set_cookie(self, response: Response, name: str, value: str, max_age: int) -> None:
        response.set_cookie(name, value, max_age=max_age, path="/", httponly=True,
                            samesite="strict", secure=self.secure)

    def clear_cookie(self, response: Response, name: str) -> None:
        response.delete_cookie(name, path="/", httponly=True, samesite="strict", secure=self.secure)

    # ---- pages ----------------------------------------------------------------------------------
    def render(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        session = self.user(request)
        context.setdefault("user", session[0] if session else None)
        context.setdefault("account", session[1] if session else None)
        context.setdefault("logout_csrf", session[2]["csrf"] if session else None)
        html = self.env.get_template(template).render(**context)
        return HTMLResponse(html, status_code=status)

    def error(self, request: Request, status: int) -> HTMLResponse:
        zh, en, text_zh, text_en = ERRORS.get(status, (str(status), str(status), "", ""))
        response = self.render(request, "error.html", status=status, status_code=status,
                               title_zh=zh, title_en=en, text_zh=text_zh, text_en=text_en)
        if status == 401:
            response.headers["www-authenticate"] = 'FormBased realm="scorecard"'
        return response

    async def verified(self, year: int) -> VerifiedYear | None:
        try:
            return await run_in_threadpool(self.verifier.verify, year)
        except ManifestError:
            return None


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _require(portal: Portal, request: Request) -> tuple[str, Account, dict[str, Any]]:
    session = portal.user(request)
    if session is None:
        raise HTTPException(401)
    return session


def _iter_fd(fd: int) -> Iterator[bytes]:
    with os.fdopen(fd, "rb") as fh:
        while chunk := fh.read(CHUNK):
            yield chunk


def create_app(reports_dir: Path | str, users_file: Path | str, audit_log: Path | str, secret: str,
               secure_cookies: bool = False, *, clock: Callable[[], float] = time.monotonic) -> Starlette:
    """Build the portal. ``clock`` drives the login lockout (tests pass a fake one)."""
    portal = Portal(Path(reports_dir), Path(users_file), Path(audit_log), secret, secure_cookies, clock)

    async def index(request: Request) -> Response:
        target = "/years" if portal.user(request) else "/login"
        return RedirectResponse(target, status_code=303)

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def css(request: Request) -> Response:
        return Response(portal.css, media_type="text/css; charset=utf-8",
                        headers={"cache-control": "public, max-age=3600"})

    def login_form(request: Request, status: int = 200, message: tuple[str, str] | None = None,
                   username: str = "") -> Response:
        token = secrets.token_urlsafe(32)
        response = portal.render(request, "login.html", status=status, csrf=token, message=message,
                                 username=username, user=None, account=None, logout_csrf=None)
        portal.set_cookie(response, portal.csrf_cookie, portal.login_csrf.dumps(token), LOGIN_CSRF_SECONDS)
        return response

    async def login_page(request: Request) -> Response:
        if portal.user(request):
            return RedirectResponse("/years", status_code=303)
        return login_form(request)

    async def login_submit(request: Request) -> Response:
        form = await request.form()
        field = str(form.get("csrf_token", ""))
        cookie = request.cookies.get(portal.csrf_cookie, "")
        try:
            expected = portal.login_csrf.loads(cookie, max_age=LOGIN_CSRF_SECONDS) if cookie else None
        except BadSignature:
            expected = None
        if not field or not isinstance(expected, str) or not hmac.compare_digest(field, expected):
            raise HTTPException(403)
        username = str(form.get("username", "")).strip()[:64]
        password = str(form.get("password", ""))[:1024]
        ip = _client_ip(request)
        keys = (f"user:{username.lower()}", f"ip:{ip}")
        left = portal.throttle.locked_for(*keys)
        if left > 0:
            await run_in_threadpool(portal.audit.write, "login_locked", user=username, ip=ip)
            minutes = max(1, round(left / 60))
            return login_form(request, status=429, username=username,
                              message=(f"登录失败次数过多，请 {minutes} 分钟后再试。",
                                       f"Too many failed logins; try again in {minutes} min."))
        account = await run_in_threadpool(portal.accounts.authenticate, username, password)
        if account is None:
            portal.throttle.failure(*keys)
            await run_in_threadpool(portal.audit.write, "login_failed", user=username, ip=ip)
            return login_form(request, status=401, username=username,
                              message=("用户名或密码错误。", "Wrong user name or password."))
        portal.throttle.success(keys[0])
        await run_in_threadpool(portal.audit.write, "login", user=username, role=account.role, ip=ip)
        session = {"u": username, "sid": secrets.token_urlsafe(16), "fp": account.fingerprint,
                   "csrf": secrets.token_urlsafe(32)}
        response = RedirectResponse("/years", status_code=303)
        portal.set_cookie(response, portal.session_cookie, portal.sessions.dumps(session), SESSION_SECONDS)
        portal.clear_cookie(response, portal.csrf_cookie)
        return response

    async def logout(request: Request) -> Response:
        session = _require(portal, request)
        form = await request.form()
        field = str(form.get("csrf_token", ""))
        if not field or not hmac.compare_digest(field, str(session[2].get("csrf", ""))):
            raise HTTPException(403)
        portal.revoke(session[2]["sid"])
        await run_in_threadpool(portal.audit.write, "logout", user=session[0], ip=_client_ip(request))
        response = RedirectResponse("/login", status_code=303)
        portal.clear_cookie(response, portal.session_cookie)
        return response

    async def years(request: Request) -> Response:
        name, account, _ = _require(portal, request)
        verified = await run_in_threadpool(portal.verifier.verified_years)
        visible = [v for y, v in sorted(verified.items(), reverse=True) if account.may_see_year(y)]
        return portal.render(request, "years.html", years=visible)

    async def year_page(request: Request) -> Response:
        name, account, _ = _require(portal, request)
        year = request.path_params["year"]
        if not account.may_see_year(year):
            raise HTTPException(403)
        verified = await portal.verified(year)
        if verified is None:
            raise HTTPException(404)
        summary = verified.summary
        grades = _counts(summary.get("grades"), GRADES)
        recs = _counts(summary.get("recommendations"), RECOMMENDATIONS)
        targets = [t for t in summary.get("targets", []) or [] if isinstance(t, dict)]
        files = sorted((d for d in verified.files.values() if d.kind != "dashboard"),
                       key=lambda d: (ORDER_KINDS.index(d.kind), d.file))
        dashboards = sorted(verified.by_kind("dashboard"), key=lambda d: d.file)
        return portal.render(
            request, "year.html", v=verified, m=verified.manifest, summary=summary, grades=grades,
            recs=recs, targets=targets, files=files, dashboards=dashboards, kinds=KIND_LABELS,
            manifest_size=len(verified.manifest_bytes))

    async def download(request: Request) -> Response:
        name, account, _ = _require(portal, request)
        year = request.path_params["year"]
        rel = request.path_params["name"]
        ip = _client_ip(request)
        if not account.may_see_year(year):
            await run_in_threadpool(portal.audit.write, "download_denied", user=name, role=account.role,
                                    ip=ip, year=year, file=rel[:200], reason="year")
            raise HTTPException(403)
        verified = await portal.verified(year)
        if verified is None:
            raise HTTPException(404)
        head = request.method == "HEAD"
        if rel == verified.manifest_name:
            headers = {"content-disposition": content_disposition("attachment", rel, rel),
                       "content-security-policy": ATTACHMENT_CSP}
            if not head:
                await run_in_threadpool(portal.audit.write, "download", user=name, role=account.role,
                                        ip=ip, year=year, file=rel, kind="manifest",
                                        bytes=len(verified.manifest_bytes))
            return Response(b"" if head else verified.manifest_bytes, media_type="application/json",
                            headers=headers)
        item: Deliverable | None = verified.files.get(rel)  # the only way from a name to a file
        if item is None:
            raise HTTPException(404)
        if item.kind == "dashboard" and not account.may_open_dashboards:
            await run_in_threadpool(portal.audit.write, "download_denied", user=name, role=account.role,
                                    ip=ip, year=year, file=rel, reason="role")
            raise HTTPException(403)
        if item.kind == "dashboard":
            headers = {"content-disposition": content_disposition("inline", item.ascii_name,
                                                                  item.download_name),
                       "content-security-policy": DASHBOARD_CSP}
        else:
            headers = {"content-disposition": content_disposition("attachment", item.ascii_name,
                                                                  item.download_name),
                       "content-security-policy": ATTACHMENT_CSP}
        headers["content-length"] = str(item.bytes)
        if head:
            return Response(b"", media_type=item.media_type, headers=headers)
        try:
            fd = await run_in_threadpool(open_no_follow, verified.folder, item.file)
        except OSError:
            raise HTTPException(404) from None
        st = os.fstat(fd)
        if (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns) != (
                item.stat.ino, item.stat.size, item.stat.mtime_ns, item.stat.ctime_ns):
            os.close(fd)  # changed since it was verified: never serve unverified bytes
            raise HTTPException(404)
        await run_in_threadpool(portal.audit.write, "download", user=name, role=account.role, ip=ip,
                                year=year, file=rel, kind=item.kind, sha256=item.sha256, bytes=item.bytes)
        return StreamingResponse(_iter_fd(fd), media_type=item.media_type, headers=headers)

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        return portal.error(request, status)

    routes = [
        Route("/", index),
        Route("/healthz", health),
        Route("/static/portal.css", css),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login_submit, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/years", years),
        Route("/years/{year:int}", year_page),
        Route("/years/{year:int}/files/{name:path}", download),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error})
    app.state.portal = portal
    app.add_middleware(SecurityHeadersMiddleware, hsts=secure_cookies)
    return app


def _counts(raw: Any, labels: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    raw = raw if isinstance(raw, dict) else {}
    total = sum(v for v in raw.values() if isinstance(v, int)) or 0
    rows = []
    for code in list(labels) + [k for k in raw if k not in labels]:
        if code not in raw:
            continue
        count = raw[code] if isinstance(raw[code], int) else 0
        zh, en = labels.get(code, (code, code))
        rows.append({"code": code, "zh": zh, "en": en, "count": count, "total": total,
                     "pct": (100.0 * count / total) if total else 0.0})
    return rows


def app_from_env() -> Starlette:
    """Factory for ``uvicorn --factory scorecard.portal.app:app_from_env`` (settings from env vars).

    Needs SCORECARD_PORTAL_SECRET: with several workers or restarts, sessions must verify everywhere.
    """
    from scorecard.portal.config import get_portal_settings

    cfg = get_portal_settings()
    if not cfg.secret:
        raise RuntimeError("set SCORECARD_PORTAL_SECRET (at least 16 characters)")
    return create_app(cfg.reports_dir, cfg.users_file, cfg.audit_log, cfg.secret,
                      secure_cookies=cfg.secure_cookies)
