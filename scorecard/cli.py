"""The ``scorecard`` command: a thin face over the same Dagster definitions the UI shows
(docs/architecture.md principle 7). ``scorecard run`` materialises the assets in-process."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click

from scorecard.settings import get_settings


def path_option(*names: str, help: str, **path: bool):
    """An option that takes a path (a pathlib.Path, None when not given); ``path``: click.Path's checks."""
    return click.option(*names, type=click.Path(path_type=Path, **path), default=None, help=help)


def default_years() -> str:
    """The programme's review years: first review year .. end of its period (programme file)."""
    from scorecard.programme import load_programme

    programme = load_programme()
    return f"{programme.first_review_year}-{max(programme.end, programme.first_review_year)}"


def _parse_years(text: str) -> list[int]:
    from scorecard.programme import load_programme
    from scorecard.years import parse_years

    first = load_programme().first_review_year
    try:
        years = parse_years(text)
    except ValueError:
        years = []
    if not years or any(y < first or y > 2100 for y in years):
        raise click.BadParameter(
            f"review years must be {first} (the programme's first review year) or later, "
            f"e.g. {first},{first + 1} or {first}-{first + 2} (got {text!r})"
        )
    return years


def _failure_message(result) -> str:
    """The innermost error message of the first failed step (the file and problem, for a bad file)."""
    from pipelines.events import failure_message

    return failure_message(result.all_events)


def run_pipeline(years: list[int], *, instance=None, echo=click.echo) -> bool:
    """Ingest and build the warehouse, review each year in order (rescoring stale later years), then
    write every reviewed year's report in one run, the years side by side. True when all succeeded."""
    import dagster as dg

    from pipelines.definitions import defs

    if instance is None and os.environ.get("DAGSTER_HOME"):
        Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
        instance = dg.DagsterInstance.get()
    run = job_runner(defs, instance or dg.DagsterInstance.ephemeral())
    echo("▶ ingest_job")
    if not _succeeded(run("ingest_job"), "ingest_job", echo):
        return False
    for year in years:
        echo(f"▶ annual_review_job — review year {year}")
        if not _succeeded(run("annual_review_job", year, REVIEW), "annual_review_job", echo):
            return False
    rescored = _rescore_stale(run, echo)
    if rescored is None:
        return False
    return _reports(run, sorted(set(years) | set(rescored)), echo)


REVIEW, REPORT = "review", "report"  # the two parts of annual_review_job the CLI runs apart


def job_runner(defs, instance):
    """``run(job, year=None, part=None)``: the job in-process, for one year, or (``part`` REPORT) for a
    range of years in one run; ``part`` REVIEW runs the job without its report assets."""
    import dagster as dg

    from pipelines.partitions import partition_range_tags

    job = {name: defs.resolve_job_def(name) for name in ("ingest_job", "annual_review_job")}
    report_keys = dg.AssetSelection.groups("report").resolve(defs.resolve_asset_graph())
    review_keys = job["annual_review_job"].asset_layer.selected_asset_keys - report_keys

    def run(name: str, year=None, part=None):
        kwargs = {"run_config": {"loggers": {"progress": {}}}, "instance": instance, "raise_on_error": False}
        if part == REPORT:
            tags = partition_range_tags(*year)
            return job[name].execute_in_process(asset_selection=list(report_keys), tags=tags, **kwargs)
        selection = list(review_keys) if part == REVIEW else None
        key = str(year) if year is not None else None
        return job[name].execute_in_process(partition_key=key, asset_selection=selection, **kwargs)

    return run


def _succeeded(result, job_name: str, echo) -> bool:
    if not result.success:
        echo(f"✗ {job_name} failed (run {result.run_id})", err=True)
        echo(_failure_message(result), err=True)
    return result.success


def _rescore_stale(run, echo) -> list[int] | None:
    """Rescore, in order, every scored year whose year before was scored again after it (docs/scoring.md
    §10): a rescored 2018 makes the 2019 already in the warehouse stale, and so on. Returns the years
    rescored, None on a failure."""
    from scorecard.db import connect
    from scorecard.review import stale_years

    rescored: list[int] = []
    for _ in range(1000):
        with connect(get_settings().warehouse, read_only=True) as con:
            stale = stale_years(con)
        if not stale:
            return rescored
        echo(f"▶ annual_review_job — review year {stale[0]} (rescored: the year before it was scored again)")
        if not _succeeded(run("annual_review_job", stale[0], REVIEW), "annual_review_job", echo):
            return None
        rescored.append(stale[0])
    return None


def _reports(run, years: list[int], echo) -> bool:
    """The reports of ``years``: one run per block of consecutive years, built side by side."""
    from scorecard.years import consecutive_blocks

    for first, last in consecutive_blocks(years):
        span = str(first) if first == last else f"{first}–{last}"
        echo(f"▶ annual_review_job — reports {span}")
        if not _succeeded(run("annual_review_job", (first, last), REPORT), "annual_review_job", echo):
            return False
    return True


@click.group()
@click.version_option(package_name="special-projects-scorecard")
def cli() -> None:
    """Special Projects Scorecard — ingest, score and report the Ten Major S&T Industry Special Projects."""


@cli.command()
@click.option(
    "--years",
    default=lambda: os.environ.get("SCORECARD_YEARS") or default_years(),
    show_default="the programme's review years",
    help="Review years, e.g. 2018 or 2017-2019. Missing earlier years are scored first; later scored years are rescored.",
)
def run(years: str) -> None:
    """Run the whole review in-process: ingest → warehouse → review → summary → quality → report."""
    year_list = _parse_years(years)
    s = get_settings()
    click.echo(f"raw data   {s.raw_dir}\nwarehouse  {s.warehouse}\nreports    {s.reports_dir}\nrubric     {s.rubric}\n")
    started = time.perf_counter()
    from pipelines.resources import warehouse_lock

    # One run at a time per warehouse: a second `scorecard run` (or a UI run) waits, saying which PID
    # holds the warehouse, instead of interleaving its assets with ours (issue 9).
    with warehouse_lock(s.warehouse):
        ok = run_pipeline(year_list)
    if not ok:
        sys.exit(1)
    click.echo(f"\nDone in {time.perf_counter() - started:.1f} s.")
    click.echo(f"Warehouse: {s.warehouse}")
    for year in year_list:
        folder = s.reports_dir / str(year)
        if folder.is_dir():
            click.echo(f"Report {year}: {folder}")
            for path in sorted(folder.glob("*")):
                if path.is_file():
                    click.echo(f"    {path}")


@cli.command("generate-sample")
@click.option("--projects", default=450, show_default=True, help="Number of projects.")
@click.option("--seed", default=2017, show_default=True, help="Random seed (same seed, same files).")
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True, help="Output folder."
)
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
@click.option(
    "--messy/--clean",
    default=False,
    show_default=True,
    help="Messy: the bundled data's real-world mess (XLSX, GBK, Chinese headers, bad rows).",
)
def generate_sample(projects: int, seed: int, out_dir: Path, fmt: str, messy: bool) -> None:
    """Write a programme dataset (the docs/data-contract.md family of files) for tests and benchmarks."""
    from scorecard.generate import generate

    started = time.perf_counter()
    summary = generate(out_dir, projects=projects, seed=seed, fmt=fmt, messy=messy)
    click.echo(f"wrote {out_dir} in {time.perf_counter() - started:.1f} s")
    for name, info in sorted(summary.get("datasets", {}).items()):
        rows = info.get("rows") if isinstance(info, dict) else info
        click.echo(f"  {name:<18} {rows}")


@cli.command()
def docs() -> None:
    """Rewrite docs/datasets.md from the dataset contracts."""
    from scorecard.docs import datasets_markdown
    from scorecard.settings import PROJECT_ROOT

    target = PROJECT_ROOT / "docs" / "datasets.md"
    target.write_text(datasets_markdown(), encoding="utf-8")
    click.echo(f"wrote {target}")


@cli.command("backup")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: os.environ.get("SCORECARD_BACKUP_DIR"),
    required=True,
    help="Folder of the snapshots (default $SCORECARD_BACKUP_DIR).",
)
@click.option(
    "--keep",
    type=click.IntRange(min=1),
    default=lambda: int(os.environ.get("SCORECARD_BACKUP_KEEP", "7")),
    show_default="7 or $SCORECARD_BACKUP_KEEP",
    help="How many snapshots to keep (the oldest are removed).",
)
def backup_command(out_dir: Path, keep: int) -> None:
    """Snapshot the warehouse (under the writer lock), reports, portal accounts and audit log, rubric."""
    from scorecard.backup import BackupError, backup

    try:
        backup(out_dir, keep=keep, echo=click.echo)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None


@cli.command("restore")
@click.argument("backup_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@path_option(
    "--into",
    file_okay=False,
    help="Restore into this empty data folder (warehouse/, reports/, portal/, config/) instead of "
    "the configured locations.",
)
def restore_command(backup_dir: Path, into: Path | None) -> None:
    """Restore a snapshot (or the newest one in BACKUP_DIR) into an empty data folder, hashes checked first."""
    from scorecard.backup import BackupError, restore

    try:
        restore(backup_dir, into=into, echo=click.echo)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None


def _mount_optional_commands() -> None:
    """Commands from other parts of the platform (portal) join the same CLI."""
    try:
        from scorecard.portal.cli import audit, serve, user
    except ImportError:  # pragma: no cover - the portal package is part of the install
        return
    cli.add_command(serve)
    cli.add_command(user)
    cli.add_command(audit)


def _mount_provider_commands() -> None:
    """The data providers' commands (数据报送): template, check, feedback."""
    from scorecard.provider_cli import check, feedback, template

    for command in (template, check, feedback):
        cli.add_command(command)


_mount_optional_commands()
_mount_provider_commands()

if __name__ == "__main__":  # pragma: no cover
    cli()
