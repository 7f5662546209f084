"""Real services for the deployment tests: a throw-away PostgreSQL cluster, long-running processes
in their own process group, and the command lines of the systemd units in deploy/.

Everything listens on 127.0.0.1 only and lives in temporary folders.
"""

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEPLOY = REPO_ROOT / "deploy"
INSTALL_ROOT = "/opt/scorecard"  # where the units expect the checkout (docs/deploy.md)
PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
PG_USER_CANDIDATES = ("postgres", "scorecard-pgtest")
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A throw-away certificate and key for 127.0.0.1 / localhost (two days), as portal.crt and portal.key."""
    crt, key = folder / "portal.crt", folder / "portal.key"
    subprocess.run(
        [
            OPENSSL,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            str(key),
            "-out",
            str(crt),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return crt, key


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ----------------------------------------------------------------------------- PostgreSQL
def pg_bin_dir() -> Path | None:
    """The newest Debian PostgreSQL server binaries (``initdb``, ``pg_ctl``), or None."""
    found = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").exists()]
    found.sort(key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    return found[-1] if found else None


def _unprivileged_user() -> str | None:
    """initdb refuses to run as root: as root, the cluster belongs to ``postgres`` (Debian's package
    creates it) or, failing that, to a system user made for the purpose. None when not root."""
    if os.geteuid() != 0:
        return None
    for name in PG_USER_CANDIDATES:
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    name = PG_USER_CANDIDATES[-1]
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)
    return name


@dataclass
class PostgresCluster:
    """A cluster in a temporary folder, on 127.0.0.1:port, password (scram-sha-256) authentication."""

    root: Path
    port: int
    user: str = "scorecard"
    password: str = "pg-test-password-1"
    os_user: str | None = None
    bin_dir: Path | None = None

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "postgres.log"

    def _as_owner(self, args: list[str], **kwargs) -> subprocess.CompletedProcess:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self.os_user:
            cmd = ["runuser", "-u", self.os_user, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kwargs, check=False)

    def start(self) -> None:
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self.os_user:
            entry = pwd.getpwnam(self.os_user)
            for path in (self.root, pwfile):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        init = self._as_owner(
            [
                "initdb",
                "-D",
                str(self.data),
                "-U",
                self.user,
                "--pwfile",
                str(pwfile),
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ]
        )
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed: {init.stderr.strip()}")
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        started = self._as_owner(["pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start"])
        if started.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {started.stderr.strip()}\n{log[-2000:]}")

    def stop(self) -> None:
        if self.data.exists():
            self._as_owner(["pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(self.root, ignore_errors=True)

    def client_env(self) -> dict[str, str]:
        return {"PGHOST": "127.0.0.1", "PGPORT": str(self.port), "PGUSER": self.user, "PGPASSWORD": self.password}

    def create_database(self, name: str) -> None:
        done = subprocess.run(
            [str(self.bin_dir / "createdb"), name],
            env={**os.environ, **self.client_env()},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"createdb {name} failed: {done.stderr.strip()}")

    def connect(self, database: str):
        import psycopg2

        return psycopg2.connect(
            host="127.0.0.1", port=self.port, user=self.user, password=self.password, dbname=database
        )


def start_postgres() -> PostgresCluster:
    """Start a new cluster; raises LookupError when the Debian package is not installed."""
    bin_dir = pg_bin_dir()
    if bin_dir is None:
        raise LookupError(f"PostgreSQL server binaries not found ({PG_BIN_GLOB}/initdb): apt-get install postgresql")
    root = Path(tempfile.mkdtemp(prefix="scorecard-pg-"))  # not under pytest's 0700 root-only tmp
    cluster = PostgresCluster(root=root, port=free_port(), os_user=_unprivileged_user(), bin_dir=bin_dir)
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    return cluster


# ----------------------------------------------------------------------------- processes
def own_process_group() -> None:
    """The child gets its own process group and default SIGINT/SIGTERM handlers (docs/architecture.md:
    a background process of a non-interactive shell inherits them ignored)."""
    os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def start_process(argv: list[str], env: dict[str, str], log_path: Path, cwd: Path = REPO_ROOT) -> subprocess.Popen:
    log = log_path.open("ab")
    try:
        return subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=own_process_group
        )  # noqa: PLW1509 - before threads exist in the child
    finally:
        log.close()


def stop_process(proc: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM the process group, SIGKILL whatever is left after ``timeout`` seconds."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # children (code servers, run workers) share the group
    except ProcessLookupError:
        pass
    if proc.poll() is None:
        proc.wait(timeout=10)


def wait_for_http(url: str, proc: subprocess.Popen, log_path: Path, timeout: float, context=None) -> float:
    """Poll ``url`` until it answers 2xx/3xx/4xx; seconds it took. Fails if the process exits."""
    started = time.perf_counter()
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(url, timeout=2, context=context):
                return time.perf_counter() - started
        except urllib.error.HTTPError:
            return time.perf_counter() - started
        except OSError:
            pass
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"{url} did not answer within {timeout:g} s; see {log_path}")
        time.sleep(0.5)


# ----------------------------------------------------------------------------- systemd units
def unit_command(unit: str, replacements: dict[str, str] | None = None) -> list[str]:
    """The ExecStart command line of ``deploy/<unit>``, the install root replaced by this checkout and
    each ``replacements`` key (a regular expression) by its value."""
    text = (DEPLOY / unit).read_text(encoding="utf-8")
    match = re.search(r"^ExecStart=(.+)$", text, re.MULTILINE)
    if not match:
        raise AssertionError(f"deploy/{unit}: no ExecStart= line")
    line = match.group(1).replace(INSTALL_ROOT, str(REPO_ROOT))
    for pattern, value in (replacements or {}).items():
        line, count = re.subn(pattern, value, line)
        if count != 1:
            raise AssertionError(f"deploy/{unit}: expected one {pattern!r} in ExecStart, found {count}")
    return shlex.split(line)


def env_template_keys() -> dict[str, str]:
    """KEY → value of deploy/scorecard.env.example (comments and blank lines skipped)."""
    keys: dict[str, str] = {}
    for raw in (DEPLOY / "scorecard.env.example").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            keys[key.strip()] = value.strip()
    return keys
