"""Portal settings from ``SCORECARD_PORTAL_*`` environment variables (reports dir from scorecard.settings).

| variable | default |
|---|---|
| SCORECARD_REPORTS_DIR | data/reports (scorecard.settings) |
| SCORECARD_PORTAL_USERS | data/portal/users.yaml |
| SCORECARD_PORTAL_AUDIT_LOG | data/portal/audit.log |
| SCORECARD_PORTAL_SECRET | none: a random secret per process (sessions end at restart) |
| SCORECARD_PORTAL_SECURE_COOKIES | 0 (set 1 behind TLS) |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from scorecard.settings import PROJECT_ROOT, get_settings


def _path(var: str, default: Path) -> Path:
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


def get_portal_settings() -> PortalSettings:
    return PortalSettings(
        reports_dir=get_settings().reports_dir,
        users_file=_path("SCORECARD_PORTAL_USERS", PROJECT_ROOT / "data" / "portal" / "users.yaml"),
        audit_log=_path("SCORECARD_PORTAL_AUDIT_LOG", PROJECT_ROOT / "data" / "portal" / "audit.log"),
        secret=os.environ.get("SCORECARD_PORTAL_SECRET") or None,
        secure_cookies=_bool("SCORECARD_PORTAL_SECURE_COOKIES"),
    )
