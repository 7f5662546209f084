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
import logging
import os
import secrets
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from scorecard.codes import GRADES, RECOMMENDATIONS
from scorecard.manifest import REQUIRED_KINDS
from scorecard.portal.accounts import MAX_PASSWORD, Account, AccountStore, AccountsUnavailable
from scorecard.portal.manifest import Deliverable, ManifestError, ManifestVerifier, VerifiedYear
from scorecard.portal.security import (
    ATTACHMENT_CSP,
    DASHBOARD_CSP,
    LOCKED_AUDIT_SECONDS,
    Attempt,
    AuditLog,
    Busy,
    LoginThrottle,
    OpenFileResponse,
    RevocationStore,
    SecurityHeadersMiddleware,
    VerificationGate,
    content_disposition,
    default_verification_slots,
    open_no_follow,
)

log = logging.getLogger("scorecard.portal")

HERE = Path(__file__).parent
SESSION_SECONDS = 8 * 3600  # absolute session lifetime
IDLE_SECONDS = 30 * 60  # a session unused this long ends
LOGIN_CSRF_SECONDS = 3600
# the context of a page that no one is logged in to (the login form), whatever cookie came with it
SIGNED_OUT: dict[str, Any] = {"user": None, "account": None, "logout_csrf": None}
MAX_FORM_BYTES = 4096  # /login and /logout bodies: checked before parsing (413 beyond)
DEFAULT_ALLOWED_HOSTS = ("127.0.0.1", "localhost", "[::1]")

KIND_LABELS: dict[str, tuple[str, str]] = {
    "html": ("报告（网页版）", "Report (HTML)"),
    "pdf": ("报告（PDF）", "Report (PDF)"),
    "xlsx": ("报告数据表（Excel）", "Report tables (XLSX)"),
    "csv": ("项目评审明细（CSV）", "Project review rows (CSV)"),
    "manifest": ("清单与校验值（JSON）", "Manifest with hashes (JSON)"),
    "dashboard": ("分析看板", "Analyst dashboard"),
}
# status -> the error page's words, in the order of ERROR_FIELDS
ERROR_FIELDS = ("title_zh", "title_en", "text_zh", "text_en")
ERRORS: dict[int, tuple[str, str, str, str]] = {
    400: ("请求无效", "Bad request", "请求格式不正确。", "The request was malformed."),
    401: ("需要登录", "Login required", "请先登录。", "Please log in first."),
    403: (
        "无权访问",
        "Forbidden",
        "您的账号无权访问此内容，或表单已过期。",
        "Your account may not open this, or the form has expired.",
    ),
    404: (
        "未找到",
        "Not found",
        "所请求的文件或年度不存在或未通过校验。",
        "The requested file or year does not exist or did not pass verification.",
    ),
    405: ("方法不允许", "Method not allowed", "不支持该请求方法。", "This method is not allowed here."),
    413: ("请求过大", "Request too large", "提交的内容过长。", "The submitted form is too large."),
    415: ("格式不支持", "Unsupported form", "请使用登录页面提交。", "Please submit the form from the login page."),
    429: (
        "尝试次数过多",
        "Too many attempts",
        "登录失败次数过多，请稍后再试。",
        "Too many failed logins; please try again later.",
    ),
    500: ("服务器错误", "Server error", "服务器内部错误，已记录。", "An internal error occurred and was logged."),
    503: (
        "服务暂不可用",
        "Service unavailable",
        "服务繁忙或配置有误，请稍后再试。",
        "The portal is busy or misconfigured; please try again shortly.",
    ),
}
ORDER_KINDS = REQUIRED_KINDS  # the report files in the manifest's order


class YearConvertor(Convertor):
    """Exactly four digits: ``/years/<5,000 digits>`` is a 404, not an ``int()`` limit error (500)."""

    regex = "[0-9]{4}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return f"{value:04d}"


register_url_convertor("year", YearConvertor())


class Portal:
    """State shared by the handlers of one app instance."""

    def __init__(
        self,
        reports_dir: Path,
        users_file: Path,
        audit_log: Path,
        secret: str,
        *,
        secure_cookies: bool,
        clock: Callable[[], float],
        revocations: Path | None,
        idle_seconds: float,
        verification_slots: int | None,
    ) -> None:
        if not secret or len(secret) < 16:
            raise ValueError("the portal secret must have at least 16 characters")
        self.verifier = ManifestVerifier(Path(reports_dir))
        self.accounts = AccountStore(Path(users_file))
        self.audit = AuditLog(Path(audit_log))
        self.throttle = LoginThrottle(clock=clock)
        self.gate = VerificationGate(verification_slots or default_verification_slots())
        self.revoked = RevocationStore(revocations or Path(users_file).with_name("revoked-sessions"))
        self.force_secure = secure_cookies
        self.idle_seconds = idle_seconds
        self.sessions = URLSafeTimedSerializer(secret, salt="scorecard-portal-session")
        self.login_csrf = URLSafeTimedSerializer(secret, salt="scorecard-portal-login-csrf")
        self.locked_logged: dict[str, tuple[float, int]] = {}  # pair -> (last login_locked line, suppressed)
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.css = (HERE / "static" / "portal.css").read_bytes()

    # ---- cookies: Secure and __Host- names whenever the request came over HTTPS -----------------------
    def secure(self, request: Request) -> bool:
        return self.force_secure or request.url.scheme == "https"

    def cookie_name(self, request: Request, base: str) -> str:
        return f"__Host-{base}" if self.secure(request) else base

    def set_cookie(self, request: Request, response: Response, base: str, value: str, max_age: int) -> None:
        response.set_cookie(
            self.cookie_name(request, base),
            value,
            max_age=max_age,
            path="/",
            httponly=True,
            samesite="strict",
            secure=self.secure(request),
        )

    def clear_cookie(self, request: Request, response: Response, base: str) -> None:
        response.delete_cookie(
            self.cookie_name(request, base), path="/", httponly=True, samesite="strict", secure=self.secure(request)
        )

    # ---- sessions -------------------------------------------------------------------------------
    def user(self, request: Request) -> tuple[str, Account, dict[str, Any]] | None:
        """The session's (name, account, data), or None. Raises 503 when the accounts file is broken."""
        token = request.cookies.get(self.cookie_name(request, "scorecard_session"))
        if not token:
            return None
        try:
            data, signed = self.sessions.loads(token, max_age=self.idle_seconds, return_timestamp=True)
        except BadSignature:
            return None
        if not isinstance(data, dict) or data.get("sid") in self.revoked:
            return None
        if float(data.get("t0", 0)) + SESSION_SECONDS < time.time():
            return None
        try:
            account = self.accounts.get(str(data.get("u", "")))
        except AccountsUnavailable:
            raise HTTPException(503) from None
        if account is None or not _same(str(data.get("fp", "")), account.fingerprint):
            return None  # removed account or changed password ends the session
        request.state.session_signed = signed.timestamp()
        return data["u"], account, data

    def touch(self, request: Request, response: Response, data: dict[str, Any]) -> Response:
        """Slide the idle timeout: re-sign the session cookie when it is older than a quarter of it."""
        signed = getattr(request.state, "session_signed", None)
        if signed is not None and time.time() - signed > min(60.0, self.idle_seconds / 4):
            self.set_cookie(request, response, "scorecard_session", self.sessions.dumps(data), SESSION_SECONDS)
        return response

    # ---- pages ----------------------------------------------------------------------------------
    def render(self, request: Request | None, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        try:
            session = self.user(request) if request is not None else None
        except HTTPException:
            session = None
        context.setdefault("user", session[0] if session else None)
        context.setdefault("account", session[1] if session else None)
        context.setdefault("logout_csrf", session[2]["csrf"] if session else None)
        html = self.env.get_template(template).render(**context)
        return HTMLResponse(html, status_code=status)

    def error(self, request: Request | None, status: int) -> HTMLResponse:
        words = dict(zip(ERROR_FIELDS, ERRORS.get(status, (str(status), str(status), "", ""))))
        response = self.render(request, "error.html", status=status, status_code=status, **words)
        if status == 401:
            response.headers["www-authenticate"] = 'FormBased realm="scorecard"'
        if status == 503:
            response.headers["retry-after"] = "5"
        return response

    def error_bytes(self, status: int) -> bytes:
        return self.error(None, status).body

    async def verified(self, year: int) -> VerifiedYear | None:
        try:
            return await run_in_threadpool(self.verifier.verify, year)
        except ManifestError:
            return None

    async def audit_locked(self, username: str, ip: str) -> None:
        """login_locked lines cost no fsync and come at most once a minute per (account, address),
        with the number of locked attempts not written since."""
        key = f"{username.lower()}\0{ip}"
        now = self.throttle.clock()
        last, suppressed = self.locked_logged.get(key, (0.0, 0))
        if last and now - last < LOCKED_AUDIT_SECONDS:
            self.locked_logged[key] = (last, suppressed + 1)
            return
        if len(self.locked_logged) > 10_000:
            self.locked_logged.clear()
        self.locked_logged[key] = (now, 0)
        await _audit(self, "login_locked", durable=False, user=username, ip=ip, suppressed=suppressed)


def _same(a: str, b: str) -> bool:
    """Constant-time comparison that takes any text (compare_digest raises on non-ASCII str)."""
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _require(portal: Portal, request: Request) -> tuple[str, Account, dict[str, Any]]:
    session = portal.user(request)
    if session is None:
        raise HTTPException(401)
    return session


async def read_form(request: Request, limit: int = MAX_FORM_BYTES) -> dict[str, str]:
    """A urlencoded form of at most ``limit`` bytes, size checked before parsing; else 400/413/415."""
    declared = request.headers.get("content-length")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        if declared in (None, "0") and "transfer-encoding" not in request.headers:
            return {}  # an empty POST (no field at all)
        raise HTTPException(415)
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise HTTPException(413 if declared.isdigit() else 400)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413)
    try:
        fields = parse_qs(
            body.decode("ascii"), keep_blank_values=True, max_num_fields=16, encoding="utf-8", errors="strict"
        )
    except (UnicodeDecodeError, ValueError):
        raise HTTPException(400) from None
    return {k: v[0] for k, v in fields.items()}


def _parse_hosts(hosts: Iterable[str] | str | None) -> list[str]:
    if hosts is None:
        return list(DEFAULT_ALLOWED_HOSTS)
    if isinstance(hosts, str):
        hosts = hosts.split(",")
    return [h.strip() for h in hosts if h.strip()]


def create_app(
    reports_dir: Path | str,
    users_file: Path | str,
    audit_log: Path | str,
    secret: str,
    secure_cookies: bool = False,
    *,
    clock: Callable[[], float] = time.monotonic,
    allowed_hosts: Iterable[str] | str | None = None,
    revocations: Path | str | None = None,
    idle_seconds: float = IDLE_SECONDS,
    verification_slots: int | None = None,
) -> Starlette:
    """Build the portal. ``clock`` drives the login lockout (tests pass a fake one); ``allowed_hosts``
    are the Host header values accepted (default 127.0.0.1, localhost, [::1]; ``*`` any);
    ``secure_cookies`` forces Secure cookies and HSTS even over plain HTTP (else they follow the scheme)."""
    portal = Portal(
        Path(reports_dir),
        Path(users_file),
        Path(audit_log),
        secret,
        secure_cookies=secure_cookies,
        clock=clock,
        revocations=Path(revocations) if revocations else None,
        idle_seconds=idle_seconds,
        verification_slots=verification_slots,
    )
    routes = _routes(portal)
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error(portal)})
    app.router.redirect_slashes = False  # its redirects are absolute URLs built from the Host header
    app.state.portal = portal
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=_parse_hosts(allowed_hosts), www_redirect=False)
    app.add_middleware(SecurityHeadersMiddleware, error_page=portal.error_bytes, force_hsts=secure_cookies)
    return app


def _http_error(portal: Portal):
    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        return portal.error(request, status)

    return http_error


def _routes(portal: Portal) -> list[Route]:
    login = _LoginHandlers(portal)
    pages = _PageHandlers(portal)
    return [
        Route("/", pages.index),
        Route("/healthz", pages.health),
        Route("/static/portal.css", pages.css),
        Route("/login", login.page, methods=["GET"]),
        Route("/login", login.submit, methods=["POST"]),
        Route("/logout", login.logout, methods=["POST"]),
        Route("/years", pages.years),
        Route("/years/{year:year}", pages.year_page),
        Route("/years/{year:year}/files/{name:path}", pages.download),
    ]


class _LoginHandlers:
    def __init__(self, portal: Portal) -> None:
        self.portal = portal

    def form(
        self, request: Request, status: int = 200, message: tuple[str, str] | None = None, username: str = ""
    ) -> Response:
        token = secrets.token_urlsafe(32)
        response = self.portal.render(
            request,
            "login.html",
            status=status,
            csrf=token,
            message=message,
            username=username,
            **SIGNED_OUT,
        )
        self.portal.set_cookie(
            request, response, "scorecard_csrf", self.portal.login_csrf.dumps(token), LOGIN_CSRF_SECONDS
        )
        return response

    async def page(self, request: Request) -> Response:
        if self.portal.user(request):
            return RedirectResponse("/years", status_code=303)
        return self.form(request)

    def check_csrf(self, request: Request, field: str) -> None:
        cookie = request.cookies.get(self.portal.cookie_name(request, "scorecard_csrf"), "")
        try:
            expected = self.portal.login_csrf.loads(cookie, max_age=LOGIN_CSRF_SECONDS) if cookie else None
        except BadSignature:
            expected = None
        if not field or not isinstance(expected, str) or not _same(field, expected):
            raise HTTPException(403)

    async def submit(self, request: Request) -> Response:
        portal = self.portal
        form = await read_form(request)
        self.check_csrf(request, form.get("csrf_token", ""))
        username = form.get("username", "").strip()
        password = form.get("password", "")
        if len(username) > 64 or len(password) > MAX_PASSWORD:
            raise HTTPException(400)  # never cut: a cut name or password is not the one that was given
        ip = _client_ip(request)
        attempt = portal.throttle.begin(username, ip)
        if not isinstance(attempt, Attempt):
            await portal.audit_locked(username, ip)
            minutes = max(1, round(attempt / 60))
            return self.form(
                request,
                status=429,
                username=username,
                message=(
                    f"登录失败次数过多，请 {minutes} 分钟后再试。",
                    f"Too many failed logins; try again in {minutes} min.",
                ),
            )
        account, verified = None, None
        try:
            account = await portal.gate.run(portal.accounts.authenticate, username, password)
            verified = account is not None
        except Busy:
            return portal.error(request, 503)
        except AccountsUnavailable:
            raise HTTPException(503) from None
        finally:
            portal.throttle.finish(attempt, verified)
        if account is None:
            await _audit(portal, "login_failed", user=username, ip=ip)
            return self.form(
                request, status=401, username=username, message=("用户名或密码错误。", "Wrong user name or password.")
            )
        return await self.logged_in(request, username, account, ip)

    async def logged_in(self, request: Request, username: str, account: Account, ip: str) -> Response:
        portal = self.portal
        await _audit(portal, "login", user=username, role=account.role, ip=ip)
        session = {
            "u": username,
            "sid": secrets.token_urlsafe(16),
            "fp": account.fingerprint,
            "csrf": secrets.token_urlsafe(32),
            "t0": int(time.time()),
        }
        response = RedirectResponse("/years", status_code=303)
        portal.set_cookie(request, response, "scorecard_session", portal.sessions.dumps(session), SESSION_SECONDS)
        portal.clear_cookie(request, response, "scorecard_csrf")
        return response

    async def logout(self, request: Request) -> Response:
        portal = self.portal
        name, _, data = _require(portal, request)
        form = await read_form(request)
        if not _same(form.get("csrf_token", "") or "\0", str(data.get("csrf", ""))):
            raise HTTPException(403)
        expires = float(data.get("t0", time.time())) + SESSION_SECONDS
        await run_in_threadpool(portal.revoked.revoke, str(data["sid"]), expires)
        await _audit(portal, "logout", user=name, ip=_client_ip(request))
        response = RedirectResponse("/login", status_code=303)
        portal.clear_cookie(request, response, "scorecard_session")
        return response


class _PageHandlers:
    def __init__(self, portal: Portal) -> None:
        self.portal = portal

    async def index(self, request: Request) -> Response:
        target = "/years" if self.portal.user(request) else "/login"
        return RedirectResponse(target, status_code=303)

    async def health(self, request: Request) -> Response:
        return PlainTextResponse("ok")

    async def css(self, request: Request) -> Response:
        return Response(
            self.portal.css, media_type="text/css; charset=utf-8", headers={"cache-control": "public, max-age=3600"}
        )

    async def years(self, request: Request) -> Response:
        portal = self.portal
        _, account, data = _require(portal, request)
        verified = await run_in_threadpool(portal.verifier.verified_years)
        visible = [v for y, v in sorted(verified.items(), reverse=True) if account.may_see_year(y)]
        return portal.touch(request, portal.render(request, "years.html", years=visible), data)

    async def year_page(self, request: Request) -> Response:
        portal = self.portal
        _, account, data = _require(portal, request)
        year = request.path_params["year"]
        if not account.may_see_year(year):
            raise HTTPException(403)
        verified = await portal.verified(year)
        if verified is None:
            raise HTTPException(404)
        return portal.touch(request, portal.render(request, "year.html", **_year_context(verified)), data)

    async def download(self, request: Request) -> Response:
        portal = self.portal
        name, account, data = _require(portal, request)
        year = request.path_params["year"]
        rel = request.path_params["name"]
        who = {"user": name, "role": account.role, "ip": _client_ip(request), "year": year}
        head = request.method == "HEAD"
        if not account.may_see_year(year):
            await _audit(portal, "download_denied", **who, file=rel[:200], reason="year", method=request.method)
            raise HTTPException(403)
        verified = await portal.verified(year)
        if verified is None:
            raise HTTPException(404)
        if rel == verified.manifest_name:
            await _audit(
                portal,
                "download_head" if head else "download",
                **who,
                file=rel,
                kind="manifest",
                bytes=len(verified.manifest_bytes),
            )
            headers = {
                "content-disposition": content_disposition("attachment", rel, rel),
                "content-security-policy": ATTACHMENT_CSP,
            }
            response = Response(
                b"" if head else verified.manifest_bytes, media_type="application/json", headers=headers
            )
            return portal.touch(request, response, data)
        item: Deliverable | None = verified.files.get(rel)  # the only way from a name to a file
        if item is None:
            raise HTTPException(404)
        if item.kind == "dashboard" and not account.may_open_dashboards:
            await _audit(portal, "download_denied", **who, file=rel, reason="role", method=request.method)
            raise HTTPException(403)
        headers = _file_headers(item)
        if head:
            await _audit(portal, "download_head", **who, file=rel, kind=item.kind, sha256=item.sha256, bytes=item.bytes)
            return portal.touch(request, Response(b"", media_type=item.media_type, headers=headers), data)
        fd = await _open_verified(verified, item)
        try:
            await _audit(portal, "download", **who, file=rel, kind=item.kind, sha256=item.sha256, bytes=item.bytes)
        except BaseException:
            os.close(fd)
            raise
        return portal.touch(request, OpenFileResponse(fd, item.media_type, headers), data)


async def _audit(portal: Portal, event: str, durable: bool = True, **fields: Any) -> None:
    """Write an audit line; when it cannot be written, nothing is served and nobody logs in (503)."""
    try:
        await run_in_threadpool(lambda: portal.audit.write(event, durable=durable, **fields))
    except OSError as exc:
        log.error("audit log %s: %s", portal.audit.path, exc)
        raise HTTPException(503) from None


def _file_headers(item: Deliverable) -> dict[str, str]:
    if item.kind == "dashboard":
        headers = {
            "content-disposition": content_disposition("inline", item.ascii_name, item.download_name),
            "content-security-policy": DASHBOARD_CSP,
        }
    else:
        headers = {
            "content-disposition": content_disposition("attachment", item.ascii_name, item.download_name),
            "content-security-policy": ATTACHMENT_CSP,
        }
    headers["content-length"] = str(item.bytes)
    return headers


async def _open_verified(verified: VerifiedYear, item: Deliverable) -> int:
    try:
        fd = await run_in_threadpool(open_no_follow, verified.folder, item.file)
    except OSError:
        raise HTTPException(404) from None
    st = os.fstat(fd)
    if (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns) != (
        item.stat.ino,
        item.stat.size,
        item.stat.mtime_ns,
        item.stat.ctime_ns,
    ):
        os.close(fd)  # changed since it was verified: never serve unverified bytes
        raise HTTPException(404)
    return fd


def _year_context(verified: VerifiedYear) -> dict[str, Any]:
    """What year.html shows of a verified year: its summary's counts and targets, its files by kind."""
    summary = verified.summary
    return {
        "v": verified,
        "m": verified.manifest,
        "summary": summary,
        "grades": _counts(summary.get("grades"), GRADES),
        "recs": _counts(summary.get("recommendations"), RECOMMENDATIONS),
        "targets": [t for t in summary.get("targets", []) or [] if isinstance(t, dict)],
        "files": sorted(
            (d for d in verified.files.values() if d.kind != "dashboard"),
            key=lambda d: (ORDER_KINDS.index(d.kind), d.file),
        ),
        "dashboards": sorted(verified.by_kind("dashboard"), key=lambda d: d.file),
        "kinds": KIND_LABELS,
        "manifest_size": len(verified.manifest_bytes),
    }


def _counts(raw: Any, labels: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    raw = raw if isinstance(raw, dict) else {}
    total = sum(v for v in raw.values() if isinstance(v, int)) or 0
    rows = []
    for code in list(labels) + [k for k in raw if k not in labels]:
        if code not in raw:
            continue
        count = raw[code] if isinstance(raw[code], int) else 0
        zh, en = labels.get(code, (code, code))
        rows.append(
            {
                "code": code,
                "zh": zh,
                "en": en,
                "count": count,
                "total": total,
                "pct": (100.0 * count / total) if total else 0.0,
            }
        )
    return rows


def app_from_env() -> Starlette:
    """Factory for ``uvicorn --factory scorecard.portal.app:app_from_env`` (settings from env vars).

    Needs SCORECARD_PORTAL_SECRET: with several workers or restarts, sessions must verify everywhere.
    """
    from scorecard.portal.config import get_portal_settings

    cfg = get_portal_settings()
    if not cfg.secret:
        raise RuntimeError("set SCORECARD_PORTAL_SECRET (at least 16 characters)")
    return create_app(
        cfg.reports_dir,
        cfg.users_file,
        cfg.audit_log,
        cfg.secret,
        secure_cookies=cfg.secure_cookies,
        allowed_hosts=cfg.allowed_hosts,
        revocations=cfg.revocations,
        idle_seconds=cfg.idle_seconds,
    )
