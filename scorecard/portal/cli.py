"""`scorecard serve`, `scorecard user add/list/remove` and `scorecard audit verify` (mounted by the main
CLI group)."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click

from scorecard.cli import path_option
from scorecard.portal.accounts import ROLES, AccountError, add_user, load_accounts, parse_years, remove_user
from scorecard.portal.config import get_portal_settings
from scorecard.portal.security import verify_audit_log


def _users_option(f):
    return path_option(
        "--users",
        "users_file",
        dir_okay=False,
        help="Accounts YAML (default $SCORECARD_PORTAL_USERS or data/portal/users.yaml).",
    )(f)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8080, show_default=True, type=int)
@path_option("--reports-dir", file_okay=False, help="Default $SCORECARD_REPORTS_DIR or data/reports.")
@_users_option
@path_option("--audit-log", dir_okay=False, help="Default $SCORECARD_PORTAL_AUDIT_LOG or data/portal/audit.log.")
@click.option(
    "--secure-cookies/--no-secure-cookies",
    default=None,
    help="Force Secure cookies and HSTS on every response. Without it they are set whenever the "
    "request came over HTTPS (TLS here, or X-Forwarded-Proto: https from a trusted proxy). "
    "Default $SCORECARD_PORTAL_SECURE_COOKIES.",
)
@click.option(
    "--proxy-headers",
    is_flag=True,
    help="Trust X-Forwarded-For/-Proto, but only from the addresses in --forwarded-allow-ips.",
)
@click.option(
    "--forwarded-allow-ips",
    default="127.0.0.1",
    show_default=True,
    help="Comma-separated proxy addresses (or networks) whose X-Forwarded-* headers are trusted "
    "with --proxy-headers; '*' is refused.",
)
@click.option(
    "--allowed-hosts",
    default=None,
    help="Comma-separated Host header values to accept (others: 400). Default "
    "$SCORECARD_PORTAL_ALLOWED_HOSTS or 127.0.0.1,localhost,[::1].",
)
@path_option("--ssl-certfile", dir_okay=False, exists=True, help="Serve HTTPS directly with this certificate (PEM).")
@path_option("--ssl-keyfile", dir_okay=False, exists=True, help="The private key for --ssl-certfile (PEM).")
@path_option(
    "--revocations",
    dir_okay=False,
    help="Logged-out sessions (kept across restarts). Default $SCORECARD_PORTAL_REVOCATIONS or "
    "revoked-sessions beside the accounts file.",
)
@click.option(
    "--idle-timeout",
    type=click.FloatRange(min=1),
    default=None,
    help="Seconds a session may stay unused. Default $SCORECARD_PORTAL_IDLE_SECONDS or 1800.",
)
@click.option(
    "--login-concurrency",
    type=click.IntRange(min=1, max=64),
    default=None,
    help="Password verifications at once (argon2, 64 MiB each). Default: min(4, CPUs, RAM/256 MiB).",
)
@click.option("--log-level", default="info", show_default=True)
def serve(
    host,
    port,
    reports_dir,
    users_file,
    audit_log,
    secure_cookies,
    proxy_headers,
    forwarded_allow_ips,
    allowed_hosts,
    ssl_certfile,
    ssl_keyfile,
    revocations,
    idle_timeout,
    login_concurrency,
    log_level,
):
    """Serve the read-only report download portal (uvicorn)."""
    import uvicorn

    from scorecard.portal.app import create_app
    from scorecard.portal.manifest import ManifestVerifier

    cfg = get_portal_settings()
    reports_dir = reports_dir or cfg.reports_dir
    users_file = users_file or cfg.users_file
    audit_log = audit_log or cfg.audit_log
    secure = cfg.secure_cookies if secure_cookies is None else secure_cookies
    secret = cfg.secret
    if not secret:
        secret = secrets.token_urlsafe(32)
        click.echo(
            "warning: SCORECARD_PORTAL_SECRET is not set; using a random secret "
            "(sessions end when the server restarts)",
            err=True,
        )
    if proxy_headers and "*" in forwarded_allow_ips.split(","):
        raise click.BadParameter(
            "'*' would trust X-Forwarded-For from any client; list the proxy's addresses",
            param_hint="--forwarded-allow-ips",
        )
    if bool(ssl_certfile) != bool(ssl_keyfile):
        raise click.UsageError("--ssl-certfile and --ssl-keyfile go together")
    try:
        if not users_file.exists() or not load_accounts(users_file).users:
            click.echo(f"warning: no accounts in {users_file}; add one with `scorecard user add`", err=True)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    for year, status in ManifestVerifier(reports_dir).status().items():
        click.echo(f"{year}: {status}", err=True)
    app = create_app(
        reports_dir,
        users_file,
        audit_log,
        secret,
        secure_cookies=secure,
        allowed_hosts=allowed_hosts.split(",") if allowed_hosts else cfg.allowed_hosts,
        revocations=revocations or cfg.revocations,
        idle_seconds=idle_timeout or cfg.idle_seconds,
        verification_slots=login_concurrency,
    )
    uvicorn.run(
        app,
        host=host,
        port=port,
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips if proxy_headers else None,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
        log_level=log_level,
        server_header=False,
    )


@click.group()
def user():
    """Manage portal accounts (YAML file with argon2 password hashes)."""


@user.command("add")
@click.argument("name")
@click.option(
    "--role", type=click.Choice(ROLES), required=True, help="evaluator: downloads; analyst: downloads and dashboards."
)
@click.option("--years", default=None, help="Comma-separated years this account may see, e.g. 2019,2018.")
@click.option("--all-years", is_flag=True, help="The account may see every year (instead of --years).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.option("--replace", is_flag=True, help="Replace an existing account (new password, role, years).")
@_users_option
def user_add(name, role, years, all_years, password_stdin, replace, users_file):
    """Add an account; prompts for the password twice (hidden) unless --password-stdin.

    Passwords: 12 to 1,024 characters, not containing the name, not a common password."""
    users_file = users_file or get_portal_settings().users_file
    try:
        year_list = parse_years(years, all_years)
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        add_user(users_file, name, password, role, year_list, replace=replace)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    scope = ", ".join(map(str, year_list)) if year_list else "all years"
    click.echo(f"{'replaced' if replace else 'added'} {name} ({role}; {scope}) in {users_file}")


@user.command("list")
@_users_option
def user_list(users_file):
    """List accounts: name, role, years."""
    users_file = users_file or get_portal_settings().users_file
    try:
        accounts = load_accounts(users_file).users
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    if not accounts:
        click.echo(f"no accounts in {users_file}")
        return
    width = max(len(n) for n in accounts)
    for name, account in sorted(accounts.items()):
        years = ",".join(map(str, account.years)) if account.years else "all"
        click.echo(f"{name:<{width}}  {account.role:<9}  {years}")


@user.command("remove")
@click.argument("name")
@_users_option
def user_remove(name, users_file):
    """Remove an account (its sessions end at the next request)."""
    users_file = users_file or get_portal_settings().users_file
    try:
        remove_user(users_file, name)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"removed {name} from {users_file}")


@click.group()
def audit():
    """Check the portal's audit log."""


@audit.command("verify")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--continued", is_flag=True, help="The first file continues a rotated-away one (its first line need not be seq 1)."
)
@click.option(
    "--head",
    "expected_head",
    default=None,
    help="The SHA-256 of the last line as recorded earlier (detects removed last lines).",
)
def audit_verify(files, continued, expected_head):
    """Verify the hash chain of the audit log FILES (oldest first; default the configured log).

    Every line must be one JSON object, numbered seq 1, 2, ... and carry in `prev` the SHA-256 of the
    line before it: a changed, removed, inserted or reordered line breaks the chain. Exit 1 on a break."""
    paths = list(files) or [get_portal_settings().audit_log]
    for path in paths:
        if not path.exists():
            raise click.ClickException(f"{path}: no such audit log")
    report = verify_audit_log(paths, continued=continued)
    if expected_head and report.head != expected_head.lower():
        report.problems.append(f"the last line's hash is {report.head}, not the recorded {expected_head}")
    for problem in report.problems[:50]:
        click.echo(f"TAMPERED {problem}", err=True)
    if len(report.problems) > 50:
        click.echo(f"... and {len(report.problems) - 50} more problems", err=True)
    legacy = f", {report.legacy} unchained older lines" if report.legacy else ""
    verdict = "ok" if report.ok else f"{len(report.problems)} problem(s)"
    click.echo(f"{verdict}: {report.lines} lines, {report.chained} chained{legacy}; head {report.head}")
    if not report.ok:
        if not continued and any(p.startswith(f"{paths[0]}:1:") for p in report.problems):
            click.echo(
                "hint: if the first file continues a rotated one, list the older files first or pass --continued",
                err=True,
            )
        sys.exit(1)
