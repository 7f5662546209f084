"""The bad-input catalogue (issue 9 items 1–2): every file in tests/badinput/files/ is ingested into a
real DuckDB file and must end exactly as tests/badinput/cases.yaml says — accepted after
normalisation, quarantined with a named reason, or refused as a file with a named message and the
warehouse left as it was. For every case, rows read = clean + quarantined, per file, and every row
number ends in exactly one place."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from collections import Counter
from pathlib import Path

import duckdb
import pytest
import yaml

from scorecard.contracts import DATASETS
from scorecard.ingest import load_dataset
from scorecard.reader import FileError

HERE = Path(__file__).resolve().parent / "badinput"
FILES = HERE / "files"
BASE = HERE / "base"
CASES = yaml.safe_load((HERE / "cases.yaml").read_text(encoding="utf-8"))
BY_ID = {c["id"]: c for c in CASES}

sys.path.insert(0, str(HERE))
import make_fixtures  # noqa: E402
from resource_fixtures import pipeline_resources, raw_warehouse  # noqa: E402


def snapshot(con: duckdb.DuckDBPyConnection, dataset: str) -> dict:
    """Everything a load of ``dataset`` could change, as sorted rows."""
    q = "SELECT * EXCLUDE (loaded_at) FROM {t} WHERE dataset = '%s' ORDER BY ALL" % dataset
    return {
        "rows": con.sql(f"SELECT * FROM raw.{dataset} ORDER BY ALL").fetchall(),
        "quarantine": con.sql(q.format(t="raw.quarantine")).fetchall(),
        "history": con.sql(q.format(t="raw.quarantine_history")).fetchall(),
        "log": con.sql(q.format(t="raw.load_log")).fetchall(),
        "state": con.sql(f"SELECT * FROM raw.load_state WHERE dataset = '{dataset}'").fetchall(),
    }


def per_file(spec, files: list[str]) -> dict[str, list]:
    """clean / quarantined as file -> list (a plain list belongs to the case's only file)."""
    if spec is None:
        return {f: [] for f in files}
    if isinstance(spec, dict):
        return {f: spec.get(f, []) for f in files}
    assert len(files) == 1, "several files: key clean/quarantined by file name"
    return {files[0]: spec}


def plain(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return value


@pytest.fixture
def warehouse(tmp_path):
    with raw_warehouse(tmp_path / "scorecard.duckdb") as con:
        yield con


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_catalogue_case(case, tmp_path, warehouse):
    con = warehouse
    dataset = DATASETS[case.get("dataset", "projects")]
    files = case["files"]
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in files:
        assert name.startswith(dataset.name), f"{name}: a file of {dataset.name} must start with that name"
        shutil.copy(FILES / name, raw / name)
    # The state before: base/projects.csv loaded (the facts need it; for projects it is the
    # "previous warehouse state" a refused file must leave alone).
    load_dataset(con, DATASETS["projects"], BASE)
    before = snapshot(con, dataset.name)

    if case["outcome"] == "file_error":
        with pytest.raises(FileError) as caught:
            load_dataset(con, dataset, raw)
        error = caught.value
        assert Path(error.path).name in files
        assert str(error).startswith(Path(error.path).name + ": ")
        assert case["message"] in error.problem, error.problem
        assert snapshot(con, dataset.name) == before, "a refused file changed the warehouse"
        return

    summary = load_dataset(con, dataset, raw)
    expected_clean = per_file(case.get("clean"), files)
    expected_q = per_file(case.get("quarantined"), files)
    if case["outcome"] == "accepted":
        assert not any(expected_q.values()), "an accepted case quarantines nothing"

    for name in files:
        clean_rows = [
            r[0]
            for r in con.sql(
                f"SELECT _source_row FROM raw.{dataset.name} WHERE _source_file = ? ORDER BY 1", params=[name]
            ).fetchall()
        ]
        quarantined = con.sql(
            "SELECT source_row, column_name, reason_code, reason FROM raw.quarantine "
            "WHERE dataset = ? AND source_file = ? ORDER BY 1",
            params=[dataset.name, name],
        ).fetchall()
        assert clean_rows == sorted(expected_clean[name]), f"{name}: clean rows"
        assert [list(q[:3]) for q in quarantined] == sorted(expected_q[name]), f"{name}: quarantined rows"
        assert all(q[3] for q in quarantined), "every quarantined row has a reason a person can act on"

        # Reconciliation (the rows_reconcile invariant), checked three ways.
        log = con.sql(
            "SELECT rows_read, rows_clean, rows_quarantined FROM raw.load_log WHERE source_file = ? "
            "AND load_id = (SELECT load_id FROM raw.load_state WHERE dataset = ?)",
            params=[name, dataset.name],
        ).fetchall()
        assert len(log) == 1
        rows_read, rows_clean, rows_quarantined = log[0]
        assert rows_read == rows_clean + rows_quarantined
        assert (rows_clean, rows_quarantined) == (len(clean_rows), len(quarantined))
        assert rows_read == len(expected_clean[name]) + len(expected_q[name])
        numbers = clean_rows + [q[0] for q in quarantined]
        assert len(numbers) == len(set(numbers)), f"{name}: a row ended in two places"

    for row, columns in (case.get("values") or {}).items():
        names = list(columns)
        got = con.sql(
            f"SELECT {', '.join(names)} FROM raw.{dataset.name} WHERE _source_row = ? AND _source_file = ?",
            params=[int(row), files[0]],
        ).fetchall()
        assert len(got) == 1, f"row {row} is not clean"
        assert {n: plain(v) for n, v in zip(names, got[0])} == columns, f"row {row}"

    assert summary["normalised_cells"] == (case.get("normalised") or {})
    logged = con.sql(
        "SELECT sum(normalised_cells) FROM raw.load_log WHERE load_id = (SELECT load_id FROM raw.load_state WHERE dataset = ?)",
        params=[dataset.name],
    ).fetchall()[0][0]
    assert logged == sum((case.get("normalised") or {}).values())
    ignored = [c for f in summary["files"] for c in f["ignored_columns"].split(", ") if c]
    assert ignored == case.get("ignored", [])
    reasons = Counter(q[2] for qs in expected_q.values() for q in qs)
    assert summary["quarantine_reasons"] == dict(reasons)


def test_catalogue_covers_the_issue():
    """At least 30 cases; every file is used; every quarantine reason and outcome kind appears."""
    assert len(CASES) >= 30
    assert len(BY_ID) == len(CASES), "case ids are unique"
    used = {f for c in CASES for f in c["files"]}
    assert used == {p.name for p in FILES.iterdir()}, "every file in files/ has a case, every case a file"
    assert {c["outcome"] for c in CASES} == {"accepted", "quarantine", "file_error"}
    reasons = set()
    for c in CASES:
        q = c.get("quarantined") or []
        for rows in q.values() if isinstance(q, dict) else [q]:
            reasons |= {r[2].split(":")[0] for r in rows}
    assert reasons >= {
        "missing_value",
        "too_long",
        "unknown_code",
        "bad_number",
        "bad_date",
        "date_out_of_range",
        "bad_bool",
        "bad_period",
        "out_of_range",
        "row_rule",
        "unknown_project",
        "duplicate_key",
        "extra_cells",
    }


def test_fixture_script_writes_the_committed_bytes(tmp_path):
    """make_fixtures.py is deterministic and the committed files are its output."""
    make_fixtures.main(tmp_path / "files", tmp_path / "base")
    made = {p.name for p in (tmp_path / "files").iterdir()}
    assert made == {p.name for p in FILES.iterdir()} - make_fixtures.NOT_REGENERATED
    for name in sorted(made - make_fixtures.NOT_BYTE_STABLE):
        assert (tmp_path / "files" / name).read_bytes() == (FILES / name).read_bytes(), name
    assert (tmp_path / "base" / "projects.csv").read_bytes() == (BASE / "projects.csv").read_bytes()
    # The password-protected workbook is a real OLE compound file holding an encrypted package.
    data = (FILES / "projects_encrypted.xlsx").read_bytes()
    assert data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    assert "EncryptedPackage".encode("utf-16-le") in data and "EncryptionInfo".encode("utf-16-le") in data


def test_quarantine_keeps_file_row_value_and_a_readable_reason(tmp_path, warehouse):
    """A person can act on a quarantine row: file, row, column, the value as written, why."""
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(FILES / "projects_numbers.csv", raw / "projects.csv")
    load_dataset(warehouse, DATASETS["projects"], raw)
    rows = warehouse.sql(
        "SELECT source_file, source_row, column_name, value, reason FROM raw.quarantine ORDER BY source_row LIMIT 1"
    ).fetchall()
    assert rows == [("projects.csv", 5, "approved_funding_wan", "1,23", "approved_funding_wan is not a number")]
    long = tmp_path / "long"
    long.mkdir()
    shutil.copy(FILES / "projects_long_cell.csv", long / "projects.csv")
    load_dataset(warehouse, DATASETS["projects"], long)
    values = [r[0] for r in warehouse.sql("SELECT value FROM raw.quarantine ORDER BY source_row").fetchall()]
    assert values == ["长" * 200, "P" * 200], "long values are cut to 200 characters in the quarantine"


def test_a_good_file_next_to_a_refused_one_is_not_loaded_either(tmp_path, warehouse):
    """One unusable file fails the dataset's load as a whole: no half-loaded dataset."""
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(FILES / "projects_a.csv", raw / "projects_a.csv")
    shutil.copy(FILES / "projects_truncated.csv", raw / "projects_z.csv")
    load_dataset(warehouse, DATASETS["projects"], BASE)
    before = snapshot(warehouse, "projects")
    with pytest.raises(FileError, match="projects_z.csv: the CSV is cut off"):
        load_dataset(warehouse, DATASETS["projects"], raw)
    assert snapshot(warehouse, "projects") == before


@pytest.mark.slow
def test_ingest_asset_reports_reconciliation_and_normalisation(tmp_path, monkeypatch):
    """Through Dagster: the raw asset's rows_reconcile check passes on a messy folder and its metadata
    counts the normalised cells and the quarantine reasons."""
    import dagster as dg

    from assets.raw import raw_assets

    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("projects_numbers.csv", "projects_gbk.csv", "projects_title_merged.xlsx"):
        shutil.copy(FILES / name, raw / name)
    projects = next(a for a in raw_assets if a.key == dg.AssetKey(["raw", "projects"]))
    result = dg.materialize(
        [projects],
        resources=pipeline_resources(raw, tmp_path / "w.duckdb", tmp_path / "reports", rubric="unused.yaml"),
    )
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert [(c.check_name, c.passed) for c in checks] == [("rows_reconcile", True)]
    meta = result.asset_materializations_for_node(projects.node_def.name)[0].metadata
    # In file name order: gbk (P001, P002 clean); numbers (P001, P002 duplicates, P003 clean, 6 bad);
    # title_merged (P001, P002 duplicates, the 合计 footer).
    assert meta["rows_read"].value == 14
    assert (meta["rows_clean"].value, meta["rows_quarantined"].value) == (3, 11)
    normalised = meta["normalised_cells"].value
    assert "approved_funding_wan" in normalised and "field" in normalised
