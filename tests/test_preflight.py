"""The pre-flight check (issue 18 item 2): `scorecard check` gives every file of the bad-input
catalogue (tests/badinput/cases.yaml) the catalogue's outcome — the same clean rows, quarantined rows
and reasons, file errors and messages as ingest — with exit 0 / 1 / 2, and never writes the warehouse."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml
from click.testing import CliRunner

from scorecard.cli import cli
from scorecard.contracts import DATASETS
from scorecard.ingest import load_dataset
from scorecard.warehouse import create_raw_tables

HERE = Path(__file__).resolve().parent / "badinput"
FILES, BASE = HERE / "files", HERE / "base"
CASES = yaml.safe_load((HERE / "cases.yaml").read_text(encoding="utf-8"))
EXIT = {"accepted": 0, "quarantine": 1, "file_error": 2}
SCORECARD = Path(sys.executable).with_name("scorecard")


def per_file(spec, files: list[str]) -> dict[str, list]:
    if spec is None:
        return {f: [] for f in files}
    if isinstance(spec, dict):
        return {f: spec.get(f, []) for f in files}
    return {files[0]: spec}


def run_check(args: list[str], warehouse: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["check", *args], env={"SCORECARD_WAREHOUSE": str(warehouse)})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_check_gives_the_catalogue_outcome(case, tmp_path):
    dataset = case.get("dataset", "projects")
    files = case["files"]
    paths = [str(FILES / f) for f in files]
    if dataset != "projects":
        paths.insert(0, str(BASE / "projects.csv"))  # the projects the facts refer to, as in the catalogue
    warehouse = tmp_path / "never.duckdb"
    code, output = run_check(["--json", *paths], warehouse)
    report = json.loads(output)
    assert code == report["exit_code"] == EXIT[case["outcome"]], output
    assert not warehouse.exists(), "the check created the warehouse"
    by_name = {f["file"]: f for f in report["files"]}
    assert list(by_name) == [Path(p).name for p in paths]
    if dataset != "projects":
        base = by_name.pop("projects.csv")
        assert (base["status"], base["rows_read"], base["rows_clean"]) == ("clean", 3, 3)
    if case["outcome"] == "file_error":
        refused = [f for f in by_name.values() if f["status"] == "unusable"]
        assert len(refused) == 1 and case["message"] in refused[0]["error"], refused
        return
    clean, quarantined = per_file(case.get("clean"), files), per_file(case.get("quarantined"), files)
    for name in files:
        got = by_name[name]
        assert got["dataset"] == dataset
        expected_q = sorted(quarantined[name])
        assert [[p["row"], p["column"], p["reason_code"]] for p in got["problems"]] == expected_q, name
        assert (got["rows_read"], got["rows_clean"], got["rows_to_fix"]) == (
            len(clean[name]) + len(expected_q),
            len(clean[name]),
            len(expected_q),
        )
        assert got["status"] == ("to_fix" if expected_q else "clean")
        assert all(p["reason_zh"] and p["reason_en"] and p["fix_zh"] for p in got["problems"])
    assert sum(f["normalised_cells"] for f in by_name.values()) == sum((case.get("normalised") or {}).values())
    ignored = [c for f in by_name.values() for c in f["ignored_columns"]]
    assert ignored == case.get("ignored", [])


def test_check_prints_one_line_per_problem_and_a_summary_per_file(tmp_path):
    code, output = run_check(
        [str(FILES / "projects_numbers.csv"), str(FILES / "projects_empty.csv")], tmp_path / "w.duckdb"
    )
    assert code == 2
    lines = output.splitlines()
    assert lines[0] == (
        "projects_numbers.csv:5: 财政资助金额（万元） [approved_funding_wan] = '1,23': 财政资助金额（万元）不是有效数字 | "
        "approved_funding_wan is not a number → 请只填写数字，如 1234.5（不写单位或文字）"
    )
    problems = [line for line in lines if line.startswith("projects_numbers.csv:")]
    assert [int(line.split(":")[1]) for line in problems] == [5, 6, 7, 8, 9, 10]
    assert (
        "projects_numbers.csv:10: 自筹资金（万元） [self_funding_wan] = '-20': 自筹资金（万元）超出允许范围 | self_funding_wan must be >= 0 → 自筹资金（万元）的取值须为 ≥ 0"
        in lines
    )
    assert (
        "projects_empty.csv: 文件无法使用 cannot be used: the file is empty (0 bytes); expected a header row and data rows"
        in lines
    )
    assert "projects_numbers.csv  [projects]  读取 9 行 read · 合格 3 clean · 需修改 6 to fix" in lines
    assert "projects_empty.csv  [projects]  无法使用 unusable" in lines
    assert lines[-1] == "结果 result: 有无法使用的文件 a file cannot be used (exit 2)"


def test_facts_are_checked_against_the_warehouse_projects_which_stay_untouched(tmp_path):
    """No projects file in the check: references are checked against raw.projects, read-only."""
    warehouse = tmp_path / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    create_raw_tables(con)
    load_dataset(con, DATASETS["projects"], BASE)
    con.close()
    before = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    code, output = run_check(["--json", str(FILES / "disbursements_ids.csv")], warehouse)
    report = json.loads(output)
    assert code == 1
    (only,) = report["files"]
    assert [p["reason_code"] for p in only["problems"]].count("unknown_project") >= 1
    assert any("checked against the warehouse" in n for n in report["notes"])
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == before
    # Without any warehouse the references cannot be checked, and the check says so.
    code, output = run_check(["--json", str(FILES / "disbursements_ids.csv")], tmp_path / "none.duckdb")
    report = json.loads(output)
    assert not any(p["reason_code"] == "unknown_project" for p in report["files"][0]["problems"])
    assert any(n.startswith("project references not checked") for n in report["notes"])


def test_unknown_dataset_and_forced_dataset(tmp_path):
    odd = tmp_path / "台账2019.csv"
    shutil.copy(FILES / "projects_bom.csv", odd)
    code, output = run_check(["--json", str(odd)], tmp_path / "w.duckdb")
    assert code == 2 and "cannot tell the dataset from the file name" in json.loads(output)["files"][0]["error"]
    code, output = run_check(["--json", "--dataset", "projects", str(odd)], tmp_path / "w.duckdb")
    assert code == 0 and json.loads(output)["files"][0]["rows_clean"] == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    code, output = run_check(["--json", str(empty)], tmp_path / "w.duckdb")
    assert code == 2 and json.loads(output)["files"][0]["error"] == "no .csv, .xlsx or .parquet files in this folder"


def test_the_installed_command_exits_1_and_writes_feedback(tmp_path):
    """The real console script in a child process: exit code, output, --feedback workbooks."""
    env = {**os.environ, "SCORECARD_WAREHOUSE": str(tmp_path / "none.duckdb")}
    out = tmp_path / "feedback"
    proc = subprocess.run(
        [str(SCORECARD), "check", str(FILES / "projects_unknown_codes.csv"), "--feedback", str(out)],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[-2] == "结果 result: 有需修改的行 rows need fixing (exit 1)"
    assert lines[-1] == f"feedback: 1 workbooks, 3 rows → {out}"
    manifest = json.loads((out / "feedback.json").read_text(encoding="utf-8"))
    fixes = sum(line.startswith("projects_unknown_codes.csv:") for line in proc.stdout.splitlines())
    assert manifest["rows"] == fixes > 0
    assert sorted(p.name for p in out.glob("*.xlsx")) == sorted([*(u["file"] for u in manifest["units"]), "索引.xlsx"])
