"""Portal accounts: a YAML file of users with argon2 password hashes, a role and optional years.

```yaml
users:
  pingjia:
    role: evaluator            # evaluator: downloads; analyst: downloads + dashboards
    password_hash: $argon2id$v=19$m=65536,t=3,p=4$...
    years: [2019, 2018]        # optional; absent = every year (`scorecard user add --all-years`)
```

The file is rewritten atomically (temp file + rename, mode 0600). The portal re-reads it when
its stat changes, so `scorecard user add/remove` takes effect without a restart.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Literal

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from scorecard.files import load_yaml
from scorecard.years import parse_years as year_list

log = logging.getLogger("scorecard.portal")

Role = Literal["evaluator", "analyst"]
ROLES: tuple[str, ...] = ("evaluator", "analyst")
# \Z, not $: "$" also matches before a trailing newline ("pingjia\n" must not be a valid name).
NAME_RE = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9._@-]{0,63}\Z")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # the login form takes at most this many characters; longer is refused, not cut

_hasher = PasswordHasher()
# Verified against for unknown user names, so a miss costs the same time as a wrong password
# (a hash of a discarded random password, with the default parameters of `_hasher`).
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$EZeQbuHZak4dPuLPs+bNag$YDu7f+9H6AnLW2NSaktG3U8B7ZL+KKb5hnGVRH94pzI"


class AccountError(ValueError):
    pass


class AccountsUnavailable(AccountError):
    """The accounts file exists but cannot be read or validated (the portal answers 503)."""


class Account(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
    password_hash: str = Field(min_length=20)
    years: list[int] | None = None

    @field_validator("password_hash")
    @classmethod
    def _argon2(cls, value: str) -> str:
        if not value.startswith("$argon2"):
            raise ValueError("password_hash must be an argon2 hash")
        return value

    @field_validator("years")
    @classmethod
    def _years(cls, value: list[int] | None) -> list[int] | None:
        if value is None:
            return None
        if any(not 1900 <= y <= 2999 for y in value):
            raise ValueError("years must be four-digit years")
        return sorted(set(value), reverse=True)

    def may_see_year(self, year: int) -> bool:
        return self.years is None or year in self.years

    @property
    def may_open_dashboards(self) -> bool:
        return self.role == "analyst"

    @property
    def fingerprint(self) -> str:
        """Changes when the password changes: sessions carry it and end with a new password."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]


class AccountsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    users: dict[str, Account] = Field(default_factory=dict)

    @field_validator("users")
    @classmethod
    def _names(cls, value: dict[str, Account]) -> dict[str, Account]:
        for name in value:
            if not NAME_RE.match(name):
                raise ValueError(f"bad account name {name!r}")
        return value


def validate_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise AccountError("account names: 1-64 of A-Z a-z 0-9 . _ @ -, starting with a letter or digit")
    return name


def parse_years(text: str | None, all_years: bool = False) -> list[int] | None:
    """'2019,2018' -> [2019, 2018]; ``all_years`` -> None (every year). Exactly one must be given:
    an empty or missing list never silently means "every year"."""
    if all_years and text is not None:
        raise AccountError("give either --years or --all-years, not both")
    if all_years:
        return None
    if text is None or not text.strip():
        raise AccountError("say which years the account may see: --years 2019,2018 (or --all-years)")
    try:
        years = year_list(text)
    except ValueError:
        raise AccountError(f"--years must be comma-separated years, got {text!r}") from None
    if not years or any(not 1900 <= y <= 2999 for y in years):
        raise AccountError(f"--years must be four-digit years, got {text!r}")
    return sorted(years, reverse=True)


def _common_passwords() -> frozenset[str]:
    """zxcvbn's list of the 30,000 most common passwords (from leaked password sets), lower case."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def check_password(password: str, name: str) -> None:
    """At least 12 and at most 1,024 characters, not the account name, not a common password (also with
    digits or symbols appended, e.g. ``password2024!``)."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"passwords need at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"passwords may have at most {MAX_PASSWORD} characters (the login form takes no more)")
    lowered = password.lower()
    if name and name.lower() in lowered:
        raise AccountError("the password must not contain the account name")
    if len(set(lowered)) < 4:
        raise AccountError("the password needs at least 4 different characters")
    common = _common_passwords()
    stem = lowered.rstrip("0123456789!@#$%^&*()-_=+.,?~ ")
    if lowered in common or (len(stem) >= 4 and stem in common):
        raise AccountError("this password is on the list of common passwords; choose another")


def hash_password(password: str, name: str = "") -> str:
    check_password(password, name)
    return _hasher.hash(password)


def load_accounts(path: Path) -> AccountsFile:
    path = Path(path)
    if not path.exists():
        return AccountsFile()
    try:
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
        return AccountsFile.model_validate(data)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValidationError) as exc:
        reason = " ".join(str(exc).split())[:500]
        raise AccountsUnavailable(f"accounts file {path} is not valid ({type(exc).__name__}): {reason}") from None


def save_accounts(path: Path, accounts: AccountsFile) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"users": {n: a.model_dump(exclude_none=True) for n, a in sorted(accounts.users.items())}}
    text = "# Scorecard portal accounts; manage with `scorecard user add/list/remove`.\n"
    text += yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    fd, tmp = tempfile.mkstemp(prefix=".users-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def add_user(
    path: Path, name: str, password: str, role: str, years: list[int] | None = None, replace: bool = False
) -> Account:
    validate_name(name)
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    accounts = load_accounts(path)
    if name in accounts.users and not replace:
        raise AccountError(f"account {name!r} exists (use --replace to reset it)")
    account = Account(role=role, password_hash=hash_password(password, name), years=years)
    accounts.users[name] = account
    save_accounts(path, accounts)
    return account


def remove_user(path: Path, name: str) -> None:
    accounts = load_accounts(path)
    if name not in accounts.users:
        raise AccountError(f"no account {name!r}")
    del accounts.users[name]
    save_accounts(path, accounts)


class AccountStore:
    """Reads the accounts file, re-reading it when its stat changes; verifies passwords."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._accounts: AccountsFile | AccountsUnavailable = AccountsFile()

    def _current(self) -> AccountsFile:
        """The accounts; a malformed file fails closed (no session, no login: 503), logged once."""
        try:
            st = os.stat(self.path)
            key: tuple | None = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        except FileNotFoundError:
            key = None
        with self._lock:
            if key != self._key:
                self._key = key
                try:
                    self._accounts = load_accounts(self.path) if key else AccountsFile()
                except AccountsUnavailable as exc:
                    log.error("%s", exc)
                    self._accounts = exc
            if isinstance(self._accounts, AccountsUnavailable):
                raise self._accounts
            return self._accounts

    def get(self, name: str) -> Account | None:
        return self._current().users.get(name)

    def authenticate(self, name: str, password: str) -> Account | None:
        """The account when the password matches, else None (same cost for unknown names)."""
        account = self.get(name) if NAME_RE.match(name or "") and len(password) <= MAX_PASSWORD else None
        try:
            _hasher.verify(account.password_hash if account else _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return account
