"""`scorecard serve` and `scorecard user add/list/remove` (mounted by the main CLI group)."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click

from scorecard.portal.accounts import ROLES, AccountError, add_user, load_accounts, parse_years, remove_user
from scorecard.portal.config import get_portal_settings


def _users_option(f):
    return click.option("--users", "users_file", type=click.Path(dir_okay=False, path_type=Path),
                        default=None, help="Accounts YAML (default $SCORECARD_PORTAL_USERS or "
                        "data/portal/users.yaml).")(f)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--reports-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Default $SCORECARD_REPORTS_DIR or data/reports.")
@_users_option
@click.option("--audit-log", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Default $SCORECARD_PORTAL_AUDIT_LOG or data/portal/audit.log.")
@click.option("--secure-cookies/--no-secure-cookies", default=None,
              help="Mark cookies Secure (behind TLS). Default $SCORECARD_PORTAL_SECURE_COOKIES.")
@click.option("--proxy-headers", is_flag=True,
              help="Trust X-Forwarded-For/-Proto from --forwarded-allow-ips (reverse proxy).")
@click.option("--forwarded-allow-ips", default="127.0.0.1", show_default=True)
@click.option("--log-level", default="info", show_default=True)
def serve(host, port, reports_dir, users_file, audit_log, secure_cookies, proxy_headers,
          forwarded_allow_ips, log_level):
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
        click.echo("warning: SCORECARD_PORTAL_SECRET is not set; using a random secret "
                   "(sessions end when the server restarts)", err=True)
    if not users_file.exists() or not load_accounts(users_file).users:
        click.echo(f"warning: no accounts in {users_file}; add one with `scorecard user add`", err=True)
    for year, status in ManifestVerifier(reports_dir).status().items():
        click.echo(f"{year}: {status}", err=True)
    app = create_app(reports_dir, users_file, audit_log, secret, secure_cookies=secure)
    uvicorn.run(app, host=host, port=port, proxy_headers=proxy_headers,
                forwarded_allow_ips=forwarded_allow_ips if proxy_headers else None,
                log_level=log_level, server_header=False)


@click.group()
def user():
    """Manage portal accounts (YAML file with argon2 password hashes)."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True,
              help="evaluator: downloads; analyst: downloads and dashboards.")
@click.option("--years", default=None, help="Comma-separated years this account may see (default: all).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.option("--replace", is_flag=True, help="Replace an existing account (new password, role, years).")
@_users_option
def user_add(name, role, years, password_stdin, replace, users_file):
    """Add an account; prompts for the password twice (hidden) unless --password-stdin."""
    users_file = users_file or get_portal_settings().users_file
    try:
        year_list = parse_years(years)
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
    accounts = load_accounts(users_file).users
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
