"""Portal settings from ``SCORECARD_PORTAL_*`` environment variables (reports dir from scorecard.settings).

| variable | default |
|---|---|
| SCORECARD_REPORTS_DIR | data/reports (scorecard.settings) |
| SCORECARD_PORTAL_USERS | data/portal/users.yaml |
| SCORECARD_PORTAL_AUDIT_LOG | data/portal/audit.log |
| SCORECARD_PORTAL_SECRET | none: a random secret per process (sessions end at restart) |
| SCORECARD_PORTAL_SECURE_COOKIES | 0: Secure cookies and HSTS follow the request's scheme; 1 forces them |
| SCORECARD_PORTAL_ALLOWED_HOSTS | 127.0.0.1,localhost,[::1] (Host header values accepted) |
| SCORECARD_PORTAL_REVOCATIONS | revoked-sessions beside the accounts file |
| SCORECARD_PORTAL_IDLE_SECONDS | 1800 |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from scorecard.settings import PROJECT_ROOT, get_settings


def _path(var: str, default: Path | None) -> Path | None:
    value = os.environ.get(var)
    return Path(value).expanduser().resolve() if value else default


def _bool(var: str, default: bool = False) -> bool:
    value = os.environ.get(var)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class PortalSettings:
    reports_dir: Path
    users_file: Path
    audit_log: Path
    secret: str | None
    secure_cookies: bool
    allowed_hosts: tuple[str, ...] | None = None
    revocations: Path | None = None
    idle_seconds: float = 1800.0


def get_portal_settings() -> PortalSettings:
    return PortalSettings(
        reports_dir=get_settings().reports_dir,
        users_file=_path("SCORECARD_PORTAL_USERS", PROJECT_ROOT / "data" / "portal" / "users.yaml"),
        audit_log=_path("SCORECARD_PORTAL_AUDIT_LOG", PROJECT_ROOT / "data" / "portal" / "audit.log"),
        secret=os.environ.get("SCORECARD_PORTAL_SECRET") or None,
        secure_cookies=_bool("SCORECARD_PORTAL_SECURE_COOKIES"),
        allowed_hosts=_list("SCORECARD_PORTAL_ALLOWED_HOSTS"),
        revocations=_path("SCORECARD_PORTAL_REVOCATIONS", None),
        idle_seconds=float(os.environ.get("SCORECARD_PORTAL_IDLE_SECONDS") or 1800),
    )


def _list(var: str) -> tuple[str, ...] | None:
    value = os.environ.get(var)
    return tuple(v.strip() for v in value.split(",") if v.strip()) if value else None
