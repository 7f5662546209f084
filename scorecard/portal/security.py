"""Login throttling, the append-only audit log, safe file opening, response headers."""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

MAX_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60

# Portal pages: only our own stylesheet; no inline script or style; not frameable.
PAGE_CSP = ("default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
            "object-src 'none'")
# Attachments: nothing may run should a browser render one anyway.
ATTACHMENT_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"
# Analyst dashboards (inline): Plotly's embedded script runs in a sandbox with an opaque origin
# (no allow-same-origin), so it cannot read portal cookies or call the portal; no network.
DASHBOARD_CSP = ("sandbox allow-scripts allow-downloads; default-src 'none'; "
                 "script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
                 "img-src data: blob:; font-src data:; connect-src 'none'; frame-ancestors 'none'")

BASE_HEADERS: dict[str, str] = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


class SecurityHeadersMiddleware:
    """Pure ASGI middleware: adds the base headers, and the page CSP unless a route set its own."""

    def __init__(self, app, hsts: bool = False) -> None:
        self.app = app
        self.headers = dict(BASE_HEADERS)
        if hsts:
            self.headers["strict-transport-security"] = "max-age=31536000"

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.decode("latin-1").lower() for k, _ in headers}
                for name, value in self.headers.items():
                    if name not in present:
                        headers.append((name.encode(), value.encode()))
                if "content-security-policy" not in present:
                    headers.append((b"content-security-policy", PAGE_CSP.encode()))
                if "cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


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


class LoginThrottle:
    """Lock a key (account name or client IP) for 15 minutes after 5 failures within 15 minutes."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 max_failures: int = MAX_FAILURES, lockout_seconds: float = LOCKOUT_SECONDS) -> None:
        self.clock = clock
        self.max_failures = max_failures
        self.lockout = lockout_seconds
        self._failures: dict[str, list[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def locked_for(self, *keys: str) -> float:
        """Seconds left on the longest lock among ``keys`` (0 when none is locked)."""
        now = self.clock()
        with self._lock:
            left = max((self._locked_until.get(k, 0) - now for k in keys), default=0)
        return max(left, 0.0)

    def failure(self, *keys: str) -> None:
        now = self.clock()
        with self._lock:
            for key in keys:
                recent = [t for t in self._failures.get(key, []) if now - t < self.lockout]
                recent.append(now)
                if len(recent) >= self.max_failures:
                    self._locked_until[key] = now + self.lockout
                    recent = []
                self._failures[key] = recent
            if len(self._failures) > 10_000:
                self._prune(now)

    def success(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def _prune(self, now: float) -> None:
        self._failures = {k: v for k, v in self._failures.items() if v and now - v[-1] < self.lockout}
        self._locked_until = {k: t for k, t in self._locked_until.items() if t > now}


class AuditLog:
    """Append-only JSON lines: opened with 'a' per event, one write per line, fsync'd."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, event: str, **fields: Any) -> dict[str, Any]:
        record = {"ts": datetime.now(UTC).isoformat(timespec="milliseconds"), "event": event, **fields}
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        # O_APPEND + one write(2) per line: the kernel appends each line whole, so concurrent
        # writers (threads, workers) need no lock, and their fsyncs share journal commits.
        with open(self.path, "ab", buffering=0) as fh:
            fh.write(line)
            os.fsync(fh.fileno())
        return record
