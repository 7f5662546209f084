"""Bounded load test of the download portal: N downloads over C concurrent httpx clients.

Against a running portal:

    .venv/bin/python bench/portal_load.py --url http://127.0.0.1:8080 --user pingjia --year 2019 \
        --password-stdin < pw.txt

Self-contained (builds a temporary report folder with realistic file sizes, starts
`uvicorn --factory scorecard.portal.app:app_from_env` on a free loopback port, then stops it):

    .venv/bin/python bench/portal_load.py --self-contained [--total 2000 --concurrency 20]

Every response must be 200 with the manifest's SHA-256; the run fails on any error.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class LoadResult:
    total: int
    concurrency: int
    ok: int
    errors: int
    seconds: float
    bytes: int

    @property
    def rps(self) -> float:
        return self.total / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        return (
            f"{self.total} downloads, {self.concurrency} clients: {self.ok} ok, {self.errors} errors, "
            f"{self.seconds:.2f} s, {self.rps:.0f} requests/s, {self.bytes / self.seconds / 1e6:.1f} MB/s"
        )


def login_cookies(base_url: str, username: str, password: str) -> httpx.Cookies:
    with httpx.Client(base_url=base_url, follow_redirects=False, timeout=30) as client:
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
        if response.status_code != 303:
            raise SystemExit(f"login failed: HTTP {response.status_code}")
        return client.cookies


def expected_files(base_url: str, cookies: httpx.Cookies, year: int) -> dict[str, str]:
    """file -> sha256 of the year's non-dashboard deliverables, from the portal's own manifest."""
    with httpx.Client(base_url=base_url, cookies=cookies, timeout=30) as client:
        response = client.get(f"/years/{year}/files/manifest-{year}.json")
        response.raise_for_status()
        doc = response.json()
    return {d["file"]: d["sha256"] for d in doc["deliverables"] if d["kind"] != "dashboard"}


async def run_load(
    base_url: str, cookies: httpx.Cookies, year: int, files: dict[str, str], total: int = 2000, concurrency: int = 20
) -> LoadResult:
    names = sorted(files)
    counter = iter(range(total))
    ok = errors = nbytes = 0

    async def worker() -> None:
        nonlocal ok, errors, nbytes
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=base_url, cookies=cookies, limits=limits, timeout=60) as client:
            for i in counter:
                name = names[i % len(names)]
                try:
                    response = await client.get(f"/years/{year}/files/{name}")
                    good = response.status_code == 200 and hashlib.sha256(response.content).hexdigest() == files[name]
                except httpx.HTTPError:
                    good = False
                    response = None
                if good:
                    ok += 1
                    nbytes += len(response.content)
                else:
                    errors += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return LoadResult(total, concurrency, ok, errors, time.perf_counter() - start, nbytes)


# ---- self-contained mode --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_fixture(reports: Path, year: int, sizes: dict[str, int]) -> None:
    """A manifest-conformant folder (docs/manifest.md) with random bytes of the given sizes."""
    kinds = {".html": "html", ".pdf": "pdf", ".xlsx": "xlsx", ".csv": "csv"}
    folder = reports / str(year)
    folder.mkdir(parents=True, exist_ok=True)
    deliverables = []
    for name, size in sizes.items():
        data = os.urandom(size)
        (folder / name).write_bytes(data)
        deliverables.append(
            {
                "file": name,
                "kind": kinds[Path(name).suffix],
                "bytes": size,
                "sha256": hashlib.sha256(data).hexdigest(),
                "download_name": f"{year}年度{name}",
            }
        )
    manifest = {"schema": "scorecard-manifest/1", "review_year": year, "summary": {}, "deliverables": deliverables}
    (folder / f"manifest-{year}.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


def start_server(env: dict[str, str], port: int) -> subprocess.Popen:
    def restore_signals() -> None:  # a background shell may hand SIGINT/SIGTERM down as ignored
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "scorecard.portal.app:app_from_env",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env={**os.environ, **env},
        cwd=ROOT,
        preexec_fn=restore_signals,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"portal exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("portal did not start within 30 s")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def self_contained(total: int, concurrency: int, sizes: dict[str, int]) -> LoadResult:
    import yaml
    from argon2 import PasswordHasher

    year = 2019
    with tempfile.TemporaryDirectory(prefix="portal-load-") as tmp:
        tmp_path = Path(tmp)
        write_fixture(tmp_path / "reports", year, sizes)
        password = secrets.token_urlsafe(16)
        users = tmp_path / "users.yaml"
        users.write_text(
            yaml.safe_dump(
                {"users": {"bench": {"role": "evaluator", "password_hash": PasswordHasher().hash(password)}}}
            ),
            encoding="utf-8",
        )
        env = {
            "SCORECARD_REPORTS_DIR": str(tmp_path / "reports"),
            "SCORECARD_PORTAL_USERS": str(users),
            "SCORECARD_PORTAL_AUDIT_LOG": str(tmp_path / "audit.log"),
            "SCORECARD_PORTAL_SECRET": secrets.token_urlsafe(32),
        }
        port = free_port()
        proc = start_server(env, port)
        try:
            base = f"http://127.0.0.1:{port}"
            cookies = login_cookies(base, "bench", password)
            files = expected_files(base, cookies, year)
            result = asyncio.run(run_load(base, cookies, year, files, total, concurrency))
        finally:
            stop_server(proc)
        audit = (tmp_path / "audit.log").read_text(encoding="utf-8").splitlines()
        downloads = sum(1 for line in audit if json.loads(line)["event"] == "download")
        print(f"audit log: {downloads} download lines")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url")
    parser.add_argument("--user")
    parser.add_argument("--password-stdin", action="store_true")
    parser.add_argument("--year", type=int, default=2019)
    parser.add_argument("--total", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--self-contained", action="store_true")
    parser.add_argument("--small", action="store_true", help="self-contained with ~2 KB files")
    args = parser.parse_args()
    if args.self_contained:
        if args.small:
            sizes = {
                f"performance-evaluation-{args.year}.html": 2048,
                f"performance-evaluation-{args.year}.pdf": 2048,
                f"performance-evaluation-{args.year}.xlsx": 2048,
                f"project-review-{args.year}.csv": 2048,
            }
        else:  # about the sizes of a real year: Plotly-embedded HTML, CJK PDF, XLSX, CSV
            sizes = {
                f"performance-evaluation-{args.year}.html": 4_800_000,
                f"performance-evaluation-{args.year}.pdf": 1_500_000,
                f"performance-evaluation-{args.year}.xlsx": 300_000,
                f"project-review-{args.year}.csv": 150_000,
            }
        result = self_contained(args.total, args.concurrency, sizes)
    else:
        if not (args.url and args.user):
            parser.error("--url and --user, or --self-contained")
        password = sys.stdin.readline().rstrip("\n") if args.password_stdin else __import__("getpass").getpass()
        cookies = login_cookies(args.url, args.user, password)
        files = expected_files(args.url, cookies, args.year)
        result = asyncio.run(run_load(args.url, cookies, args.year, files, args.total, args.concurrency))
    print(result.line())
    if result.errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
