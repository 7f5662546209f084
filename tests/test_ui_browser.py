"""The analyst's Dagster UI, end to end (issue 6): a real `dagster dev` on the bundled data, a run
launched through the GraphQL API (ingest), review year 2018 launched from the UI in headless
Chromium, success seen in the UI and the scores read from the warehouse file afterwards.

Screenshots go to tests/artifacts/ (git-ignored); the analyst guide's pictures in docs/img/ are
copies of these.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import urllib.request

import duckdb
import pytest
from conftest import CHROMIUM_ARGS, CHROMIUM_PATH, REPO_ROOT, _free_port
from services import own_process_group, stop_process

pytestmark = pytest.mark.slow

BUNDLED_RAW = REPO_ROOT / "data" / "raw"
LOCATION = "pipelines.definitions"
STARTUP_TIMEOUT = 120  # s; /server_info answers after ~8 s on an idle machine, more under load
RUN_TIMEOUT = 240  # s


@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory, artifacts_dir):
    """`dagster dev -w workspace.yaml` from the repo, DAGSTER_HOME in tmp with the repo's dagster.yaml,
    warehouse and reports in tmp, the bundled raw data. Schedules and sensors start switched off
    (SCORECARD_AUTOMATION=off) so that nothing but the test launches runs."""
    if not any(BUNDLED_RAW.glob("projects*")):
        pytest.fail(f"no bundled data in {BUNDLED_RAW} (scorecard generate-sample --messy --out data/raw)")
    root = tmp_path_factory.mktemp("ui")
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    warehouse = root / "warehouse" / "scorecard.duckdb"
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "SCORECARD_RAW_DIR": str(BUNDLED_RAW),
        "SCORECARD_WAREHOUSE": str(warehouse),
        "SCORECARD_REPORTS_DIR": str(root / "reports"),
        "SCORECARD_AUTOMATION": "off",
    }
    port = _free_port()
    log_path = artifacts_dir / "dagster-dev.log"
    log = log_path.open("w")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            str(REPO_ROOT / ".venv" / "bin" / "dagster"),
            "dev",
            "-w",
            "workspace.yaml",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=own_process_group,
    )
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"dagster dev exited with {proc.returncode}; see {log_path}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.perf_counter() - started > STARTUP_TIMEOUT:
                pytest.fail(f"dagster dev did not answer within {STARTUP_TIMEOUT} s; see {log_path}")
            time.sleep(0.5)
        print(f"dagster dev up in {time.perf_counter() - started:.1f} s on port {port}")
        yield {"port": port, "warehouse": warehouse, "root": root, "proc": proc}
    finally:
        stop_process(proc)
        log.close()


def _wait_for_run(client, run_id: str, timeout: float = RUN_TIMEOUT):
    from dagster import DagsterRunStatus

    deadline = time.time() + timeout
    while time.time() < deadline:
        status = client.get_run_status(run_id)
        if status in (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED):
            return status
        time.sleep(1)
    raise AssertionError(f"run {run_id} not finished after {timeout} s (status {status})")


def _dismiss_dialogs(page) -> None:
    """The "Join the Dagster community" dialog (nux) is off in dagster.yaml; skip it if it shows anyway."""
    skip = page.get_by_role("button", name="Skip")
    if skip.count() and skip.first.is_visible():
        skip.first.click()


def test_ingest_via_graphql_then_review_2018_from_the_ui(dagster_dev, artifacts_dir):
    from dagster import DagsterRunStatus
    from dagster_graphql import DagsterGraphQLClient
    from playwright.sync_api import expect, sync_playwright

    port, warehouse = dagster_dev["port"], dagster_dev["warehouse"]
    base = f"http://127.0.0.1:{port}"
    client = DagsterGraphQLClient("127.0.0.1", port_number=port)
    timings: dict[str, float] = {}

    # 1. ingest through the GraphQL API (the definitions' in-process executor: one process for all steps)
    t = time.perf_counter()
    ingest_run = client.submit_job_execution(
        "ingest_job",
        tags={"scorecard/test": "test_ui_browser"},
    )
    assert _wait_for_run(client, ingest_run) == DagsterRunStatus.SUCCESS
    timings["ingest (GraphQL)"] = time.perf_counter() - t

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(60_000)

            # 2. the analyst finds the review group: its assets, their kind and partitions
            t = time.perf_counter()
            page.goto(f"{base}/locations/{LOCATION}/asset-groups/review", wait_until="networkidle")
            _dismiss_dialogs(page)
            expect(page.get_by_text("project_review", exact=True).first).to_be_visible()
            expect(page.get_by_text("program_summary", exact=True).first).to_be_visible()
            expect(page.get_by_text("DuckDB").first).to_be_visible()
            page.wait_for_timeout(2000)  # asset nodes finish loading ~2 s after network idle
            page.screenshot(path=str(artifacts_dir / "ui-review-group.png"))

            # 3. Materialize → partition 2018 in the launch dialog → launch
            page.get_by_role("button", name=re.compile("Materialize all")).first.click()
            dialog = page.get_by_role("dialog")
            expect(dialog.get_by_text("Partition selection")).to_be_visible()
            keys = dialog.get_by_placeholder(re.compile("ex: 2017"))
            keys.fill("2018")
            keys.press("Enter")
            launch = dialog.get_by_role("button", name="Launch 1 run")
            expect(launch).to_be_enabled()
            expect(dialog.get_by_text("1 partition", exact=True)).to_be_visible()
            page.screenshot(path=str(artifacts_dir / "ui-launch-2018.png"))
            launch.click()
            view = page.locator("a[href^='/runs/']", has_text="View").first
            expect(view).to_be_visible()
            run_id = view.get_attribute("href").split("/runs/")[1].split("?")[0]
            timings["UI launch"] = time.perf_counter() - t

            # 4. the run page shows the run succeed (polled through the API meanwhile)
            t = time.perf_counter()
            assert _wait_for_run(client, run_id) == DagsterRunStatus.SUCCESS
            timings["review 2018 run"] = time.perf_counter() - t
            page.goto(f"{base}/runs/{run_id}", wait_until="networkidle")
            expect(page.get_by_text("Success", exact=True).first).to_be_visible()
            expect(page.get_by_text("partition: 2018").first).to_be_visible()
            expect(page.get_by_text("RUN_SUCCESS").first).to_be_visible()
            page.wait_for_timeout(1500)
            page.screenshot(path=str(artifacts_dir / "ui-run-2018.png"))

            # 5. the asset page of project_review, partition 2018: its metadata (row count, grades)
            page.goto(f"{base}/assets/project_review?partition=2018", wait_until="networkidle")
            expect(page.get_by_text("grades").first).to_be_visible()
            expect(page.get_by_text("rubric_version").first).to_be_visible()
            body = page.inner_text("body")
            page.wait_for_timeout(1000)
            page.screenshot(path=str(artifacts_dir / "ui-asset-project_review.png"), full_page=True)

            # the Automation page lists the schedule and the sensors (switched off in this test)
            page.goto(f"{base}/automation", wait_until="networkidle")
            expect(page.get_by_text("year_end_review_schedule").first).to_be_visible()
            expect(page.get_by_text("raw_files_sensor").first).to_be_visible()
            expect(page.get_by_text("review_after_ingest").first).to_be_visible()
            page.wait_for_timeout(1000)
            page.screenshot(path=str(artifacts_dir / "ui-automation.png"))

            page.goto(f"{base}/asset-groups", wait_until="networkidle")
            page.wait_for_timeout(2000)
            page.screenshot(path=str(artifacts_dir / "ui-lineage.png"))
        finally:
            browser.close()

    # 6. the warehouse file, read-only now that the runs have ended: the 2018 scores are there
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows, projects = con.sql(
            "SELECT count(*), count(DISTINCT project_id) FROM mart.project_review WHERE review_year = 2018"
        ).fetchall()[0]
        years = sorted(y for (y,) in con.sql("SELECT DISTINCT review_year FROM mart.project_review").fetchall())
        grades = dict(
            con.sql(
                "SELECT grade, count(*) FROM mart.project_review WHERE review_year = 2018 GROUP BY grade"
            ).fetchall()
        )
    # the year launched from the UI, on its history: 2017 was never scored, so it was scored first (docs/scoring.md §10)
    assert years == [2017, 2018]
    assert rows == projects > 50  # one row per reviewed project
    assert sum(grades.values()) == rows
    # the UI showed the same number of rows (dagster/row_count of the 2018 materialisation)
    assert re.search(rf"\b{rows:,}\b|\b{rows}\b", body), f"row count {rows} not on the asset page"
    print("timings:", {k: round(v, 1) for k, v in timings.items()})
