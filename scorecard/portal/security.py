"""Login throttling, password-verification slots, the hash-chained audit log, session revocations,
safe file opening and response headers (docs/portal.md)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
from starlette.responses import Response

log = logging.getLogger("scorecard.portal")

MAX_FAILURES = 5  # failed logins of one account from one client address before that pair is locked
ADDRESS_FAILURES = 30  # failed logins from one address over all account names (password spraying)
LOCKOUT_SECONDS = 15 * 60
LOCKED_AUDIT_SECONDS = 60  # at most one login_locked line per (account, address) per minute
GENESIS = "0" * 64  # the "previous line" hash of the first audit line
CHUNK = 256 * 1024

# Portal pages: only our own stylesheet; no inline script or style; not frameable.
PAGE_CSP = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
# Attachments: nothing may run should a browser render one anyway.
ATTACHMENT_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"
# Analyst dashboards (inline): Plotly's embedded script runs in a sandbox with an opaque origin
# (no allow-same-origin), so it cannot read portal cookies or call the portal; no network.
DASHBOARD_CSP = (
    "sandbox allow-scripts allow-downloads; default-src 'none'; "
    "script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; connect-src 'none'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000"

BASE_HEADERS: dict[str, str] = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


class SecurityHeadersMiddleware:
    """Pure ASGI, outermost: adds the base headers (and HSTS over HTTPS) to every response, the page
    CSP unless a route set its own, and turns an unexpected exception into a 500 page with the same
    headers (the traceback goes to the log, never to the client)."""

    def __init__(self, app, error_page: Callable[[int], bytes], force_hsts: bool = False) -> None:
        self.app = app
        self.error_page = error_page
        self.force_hsts = force_hsts

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False
        https = self.force_hsts or scope.get("scheme") == "https"

        async def send_with_headers(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": _with_headers(message.get("headers", []), https)}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            body = self.error_page(500)
            await send_with_headers(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"text/html; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send_with_headers({"type": "http.response.body", "body": body})


def _with_headers(headers: Iterable[tuple[bytes, bytes]], https: bool) -> list[tuple[bytes, bytes]]:
    headers = list(headers)
    present = {k.decode("latin-1").lower() for k, _ in headers}
    wanted = dict(BASE_HEADERS)
    if https:
        wanted["strict-transport-security"] = HSTS
    wanted.setdefault("content-security-policy", PAGE_CSP)
    wanted.setdefault("cache-control", "no-store")
    headers += [(k.encode(), v.encode()) for k, v in wanted.items() if k not in present]
    return headers


def content_disposition(disposition: str, ascii_name: str, name: str) -> str:
    """RFC 6266 with the RFC 5987 ``filename*`` for non-ASCII names, e.g.
    ``attachment; filename="performance-evaluation-2019.pdf"; filename*=UTF-8''2019%E5%B9%B4...pdf``.
    """
    fallback = "".join(ch if 0x20 <= ord(ch) < 0x7F and ch not in '"\\' else "_" for ch in ascii_name)
    value = f'{disposition}; filename="{fallback}"'
    if name != fallback:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value


def open_no_follow(folder: Path, rel: str) -> int:
    """Open ``folder/rel`` read-only, refusing a symlink at every component (dir_fd walk)."""
    flags_dir = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    fd = os.open(folder, flags_dir)
    try:
        parts = rel.split("/")
        for part in parts[:-1]:
            nxt = os.open(part, flags_dir, dir_fd=fd)
            os.close(fd)
            fd = nxt
        file_fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW, dir_fd=fd)
    finally:
        os.close(fd)
    if not stat.S_ISREG(os.fstat(file_fd).st_mode):
        os.close(file_fd)
        raise OSError("not a regular file")
    return file_fd


class OpenFileResponse(Response):
    """Streams an already opened, verified file descriptor and always closes it: at the end, when the
    client disconnects half-way, or when sending fails."""

    def __init__(self, fd: int, media_type: str, headers: dict[str, str]) -> None:
        self.fd = fd
        self.status_code = 200
        self.media_type = media_type
        self.background = None
        self.body = b""
        self.init_headers(headers)

    async def __call__(self, scope, receive, send) -> None:
        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(_cancel_on_disconnect, receive, tasks.cancel_scope)
                await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
                while chunk := await anyio.to_thread.run_sync(os.read, self.fd, CHUNK):
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                tasks.cancel_scope.cancel()
        finally:
            os.close(self.fd)


async def _cancel_on_disconnect(receive, scope: anyio.CancelScope) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()


# ---- login throttle ------------------------------------------------------------------------------


@dataclass
class _Counter:
    failures: list[float] = field(default_factory=list)
    in_flight: int = 0
    locked_until: float = 0.0


@dataclass(frozen=True)
class Attempt:
    """A reserved login attempt: the caller verifies the password, then calls ``finish`` once."""

    keys: tuple[tuple[str, int], ...]  # (key, limit)


class LoginThrottle:
    """Locks an (account, client address) pair for 15 minutes after 5 failures within 15 minutes, and an
    address after 30 failures over all names (spraying). Failures from one address never lock the
    account for another address, so nobody can lock a user out from elsewhere.

    ``begin`` checks and reserves in one step under a lock: attempts still being verified count as
    failures until they finish, so parallel requests cannot all pass the check before the first
    failure is recorded (the race of issue 17: 51 verifications, now at most 5).
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        max_failures: int = MAX_FAILURES,
        address_failures: int = ADDRESS_FAILURES,
        lockout_seconds: float = LOCKOUT_SECONDS,
    ) -> None:
        self.clock = clock
        self.max_failures = max_failures
        self.address_failures = address_failures
        self.lockout = lockout_seconds
        self._counters: dict[str, _Counter] = {}
        self._lock = threading.Lock()

    def keys(self, account: str, address: str) -> tuple[tuple[str, int], ...]:
        return ((f"pair:{account.lower()}\0{address}", self.max_failures), (f"addr:{address}", self.address_failures))

    def begin(self, account: str, address: str) -> Attempt | float:
        """An :class:`Attempt`, or the seconds left before this client may try this account again."""
        keys = self.keys(account, address)
        now = self.clock()
        with self._lock:
            counters = [(self._counter(key, now), limit) for key, limit in keys]
            left = max((c.locked_until - now for c, _ in counters), default=0.0)
            if left > 0:
                return left
            if any(len(c.failures) + c.in_flight >= limit for c, limit in counters):
                return 60.0  # attempts in flight may reach the limit: come back when they are decided
            for counter, _ in counters:
                counter.in_flight += 1
            return Attempt(keys)

    def finish(self, attempt: Attempt, ok: bool | None) -> None:
        """``ok`` True: right password (clears the pair); False: a failure; None: not verified."""
        now = self.clock()
        with self._lock:
            for key, limit in attempt.keys:
                counter = self._counter(key, now)
                counter.in_flight = max(0, counter.in_flight - 1)
                if ok is False:
                    counter.failures.append(now)
                    if len(counter.failures) >= limit:
                        counter.locked_until = now + self.lockout
                        counter.failures = []
                elif ok and key.startswith("pair:"):
                    counter.failures = []
            if len(self._counters) > 20_000:
                self._prune(now)

    def locked_for(self, account: str, address: str) -> float:
        now = self.clock()
        with self._lock:
            return max([0.0] + [self._counter(k, now).locked_until - now for k, _ in self.keys(account, address)])

    def _counter(self, key: str, now: float) -> _Counter:
        counter = self._counters.setdefault(key, _Counter())
        counter.failures = [t for t in counter.failures if now - t < self.lockout]
        return counter

    def _prune(self, now: float) -> None:
        self._counters = {
            k: c
            for k, c in self._counters.items()
            if c.in_flight or c.locked_until > now or any(now - t < self.lockout for t in c.failures)
        }


# ---- password verification slots ------------------------------------------------------------------


class Busy(Exception):
    """Every verification slot is taken and the queue is full (answered 503 with Retry-After)."""


def default_verification_slots(memory_per_verification: int = 64 << 20) -> int:
    """At most 4, at most one per CPU, and at most one per 4x the argon2 memory of available RAM."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            avail = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("MemAvailable:"))
    except (OSError, StopIteration, ValueError):
        avail = 1 << 30
    return max(1, min(4, os.cpu_count() or 1, avail // (4 * memory_per_verification)))


class VerificationGate:
    """Bounds concurrent argon2 verifications (each takes the hash's memory, 64 MiB by default).
    Up to ``slots`` run at once, up to ``queue`` more wait at most ``wait_seconds``; beyond that
    :class:`Busy` is raised at once, so a flood of logins costs neither memory nor threads."""

    def __init__(self, slots: int, queue: int | None = None, wait_seconds: float = 10.0) -> None:
        self.slots = slots
        self.queue = 8 * slots if queue is None else queue
        self.wait_seconds = wait_seconds
        self._semaphore: asyncio.Semaphore | None = None
        self._waiting = 0
        self.peak = 0  # most verifications that ran at once (observable in tests)
        self._running = 0

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.slots)
        if self._waiting >= self.queue:
            raise Busy
        self._waiting += 1
        try:
            await asyncio.wait_for(self._semaphore.acquire(), self.wait_seconds)
        except TimeoutError:
            raise Busy from None
        finally:
            self._waiting -= 1
        self._running += 1
        self.peak = max(self.peak, self._running)
        try:
            return await anyio.to_thread.run_sync(fn, *args)
        finally:
            self._running -= 1
            self._semaphore.release()


# ---- audit log -----------------------------------------------------------------------------------

# json.dumps escapes C0 controls; these are the other characters str.splitlines() breaks on.
_LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def encode_audit_line(record: dict[str, Any]) -> bytes:
    """One JSON object on one line for every reader: no raw line or paragraph separator survives."""
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)
    for raw, escaped in _LINE_BREAKS.items():
        text = text.replace(raw, escaped)
    return text.encode("utf-8", "backslashreplace")


def line_hash(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def _last_line(path: Path) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            end = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, end - (1 << 20)))
            lines = fh.read().rstrip(b"\n").split(b"\n")
    except FileNotFoundError:
        return None
    return lines[-1] if lines and lines[-1] else None


class AuditLog:
    """Append-only JSON lines, mode 0600, each chained to the one before by ``prev`` (the SHA-256 of the
    previous line's bytes) and numbered by ``seq``; ``scorecard audit verify`` checks the chain.

    The file is opened with O_APPEND per event (rotation by rename needs no signal: the chain goes on
    in the new file from the old one's last hash). Lines are written under a lock (the chain needs
    an order); the fsync runs after the lock, so concurrent writers share journal commits.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._prev, self._seq = GENESIS, 0
        last = _last_line(self.path)
        if last is not None:
            self._prev = line_hash(last)
            self._seq = _seq_of(last)
        os.close(os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600))
        os.chmod(self.path, 0o600)  # also when an older portal had created it 0644
        self.fsyncs = 0

    def write(self, event: str, *, durable: bool = True, **fields: Any) -> dict[str, Any]:
        with self._lock:
            record = {
                "seq": self._seq + 1,
                "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "event": event,
                **fields,
                "prev": self._prev,
            }
            line = encode_audit_line(record)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                os.write(fd, line + b"\n")  # one write(2) per line: appended whole
            except BaseException:
                os.close(fd)
                raise
            self._prev, self._seq = line_hash(line), self._seq + 1
        try:
            if durable:
                os.fsync(fd)
                self.fsyncs += 1
        finally:
            os.close(fd)
        return record


def _seq_of(line: bytes) -> int:
    try:
        seq = json.loads(line).get("seq", 0)
    except (ValueError, AttributeError):
        return 0
    return seq if isinstance(seq, int) else 0


@dataclass
class AuditReport:
    lines: int = 0
    chained: int = 0
    legacy: int = 0  # lines before the chain began (written by an older portal)
    head: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_audit_log(paths: Iterable[Path], continued: bool = False) -> AuditReport:
    """Check files in order (oldest first): each line JSON, ``seq`` + 1 and ``prev`` = SHA-256 of the
    previous line. ``continued``: the first file may start from an earlier (rotated-away) file."""
    report = AuditReport()
    prev_seq: int | None = None
    for path in paths:
        with open(path, "rb") as fh:
            data = fh.read()
        if data and not data.endswith(b"\n"):
            report.problems.append(f"{path}: the last line is not terminated (torn write or truncation)")
        for number, line in enumerate(data.split(b"\n")[:-1] if data.endswith(b"\n") else data.split(b"\n"), 1):
            prev_seq = _check_line(report, f"{path}:{number}", line, prev_seq, continued)
            report.head = line_hash(line)
            report.lines += 1
    return report


def _check_line(report: AuditReport, where: str, line: bytes, prev_seq: int | None, continued: bool) -> int | None:
    try:
        record = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        report.problems.append(f"{where}: not a JSON line")
        return None
    if not isinstance(record, dict) or "prev" not in record or "seq" not in record:
        if report.chained:
            report.problems.append(f"{where}: no seq/prev after the chain began (line inserted?)")
        else:
            report.legacy += 1
        return None
    first = report.chained == 0
    report.chained += 1
    seq, prev = record["seq"], record["prev"]
    if first and continued and report.lines == 0:
        return seq if isinstance(seq, int) else None
    if prev != report.head:
        report.problems.append(
            f"{where}: prev {str(prev)[:12]}… does not match the previous line "
            f"({report.head[:12]}…): a line before it was changed, removed or reordered"
        )
    expected = 1 if prev_seq is None else prev_seq + 1
    if seq != expected:
        report.problems.append(f"{where}: seq {seq!r}, expected {expected}")
    return seq if isinstance(seq, int) else None


# ---- session revocations -------------------------------------------------------------------------


class RevocationStore:
    """Logged-out session ids, persisted (one ``<sid> <expires-unix-time>`` line each, appended and
    fsync'd, mode 0600) so a logout survives a restart. Expired entries are dropped at start."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.clock = clock
        self._lock = threading.Lock()
        self._revoked: dict[str, float] = self._load()

    def _load(self) -> dict[str, float]:
        now = self.clock()
        revoked: dict[str, float] = {}
        try:
            text = self.path.read_text(encoding="ascii", errors="replace")
        except FileNotFoundError:
            return revoked
        for line in text.splitlines():
            parts = line.split()
            try:
                sid, expires = parts[0], float(parts[1])
            except (IndexError, ValueError):
                log.warning("%s: ignoring malformed line %r", self.path, line[:80])
                continue
            if expires > now:
                revoked[sid] = expires
        self._rewrite(revoked)
        return revoked

    def _rewrite(self, revoked: dict[str, float]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".revoked-", dir=self.path.parent)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.writelines(f"{sid} {expires:.0f}\n" for sid, expires in revoked.items())
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

    def revoke(self, sid: str, expires: float) -> None:
        with self._lock:
            self._revoked[sid] = expires
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                os.write(fd, f"{sid} {expires:.0f}\n".encode("ascii"))
                os.fsync(fd)
            finally:
                os.close(fd)

    def __contains__(self, sid: object) -> bool:
        return isinstance(sid, str) and self._revoked.get(sid, 0) > self.clock()
