"""The data providers' commands (数据报送): ``scorecard template``, ``scorecard check`` and
``scorecard feedback``. Mounted on the ``scorecard`` group by ``scorecard.cli``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from scorecard.contracts import DATASETS
from scorecard.settings import get_settings

OUT_DIR = click.Path(file_okay=False, path_type=Path)


def _by_option(help_text: str):
    """``--by undertaker|department``: how the feedback workbooks are split."""
    return click.option(
        "--by",
        type=click.Choice(["undertaker", "department"]),
        default="undertaker",
        show_default=True,
        help=help_text,
    )


@click.command()
@click.option("--out", "out_dir", type=OUT_DIR, required=True, help="Folder for the templates.")
@click.option(
    "--dataset", "names", multiple=True, type=click.Choice(list(DATASETS)), help="Only this dataset (repeatable)."
)
def template(out_dir: Path, names: tuple[str, ...]) -> None:
    """Write a fill-in XLSX template per dataset (headers, drop-downs, formats, hints, an example row)."""
    from scorecard.template import write_templates

    for path in write_templates(out_dir, list(names) or None):
        click.echo(str(path))


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--feedback", "feedback_dir", type=OUT_DIR, help="Also write the feedback workbooks to this folder.")
@_by_option("Feedback workbooks per undertaker (承担单位) or per department (主管单位).")
@click.option(
    "--dataset", type=click.Choice(list(DATASETS)), help="Treat every file as this dataset (else: by file name)."
)
def check(paths: tuple[Path, ...], as_json: bool, feedback_dir: Path | None, by: str, dataset: str | None) -> None:
    """Check raw files exactly as ingest would, without touching the warehouse.

    Exit 0 when every row is clean, 1 when rows need fixing, 2 when a file cannot be used."""
    from scorecard.preflight import check_paths, format_text

    report = check_paths(list(paths), dataset=dataset, warehouse=get_settings().warehouse)
    if as_json:
        click.echo(report.to_json())
    else:
        for line in format_text(report):
            click.echo(line)
    if feedback_dir is not None:
        from scorecard.feedback import write_feedback

        result = write_feedback(report.ledger, report.projects, feedback_dir, by)
        click.echo(f"feedback: {len(result.units)} workbooks, {result.rows} rows → {feedback_dir}", err=as_json)
    sys.exit(report.exit_code)


@click.command()
@click.option("--out", "out_dir", type=OUT_DIR, required=True, help="Folder for the feedback workbooks.")
@_by_option("One workbook per undertaker (承担单位) or per department (主管单位).")
def feedback(out_dir: Path, by: str) -> None:
    """Write one XLSX per submitting unit with its quarantined rows, from the warehouse's quarantine ledger."""
    import duckdb

    from scorecard.feedback import read_warehouse_ledger, write_feedback

    warehouse = get_settings().warehouse
    try:
        ledger, projects = read_warehouse_ledger(warehouse)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    except (duckdb.Error, OSError) as exc:  # in use by a writer, not a DuckDB file
        raise click.ClickException(f"{warehouse}: cannot read the warehouse: {str(exc).splitlines()[0]}") from None
    result = write_feedback(ledger, projects, out_dir, by)
    for unit in result.units:
        click.echo(f"{unit.rows:>5}  {unit.path}")
    click.echo(f"{len(result.units)} workbooks, {result.rows} quarantined rows; index: {result.index}")
