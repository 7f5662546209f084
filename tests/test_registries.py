"""Each registry and each small helper once (issue 13): the table registry read from sql/warehouse,
the manifest format shared by the report writer and the portal, the dashboards list, the file
helpers (one SHA-256, one raw-file discovery: a .tsv wakes the sensor), one Dagster event reader,
one year parser, one i18n."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import dagster as dg
import pytest

from scorecard.files import file_sha256, raw_files
from scorecard.manifest import DASHBOARDS, deliverable_names, deliverables, download_names, manifest_text
from scorecard.warehouse import REGISTRY, WAREHOUSE_TABLES, _sql_table, sql_reads, tables_read_by
from scorecard.years import parse_years

ROOT = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------- the table registry
def test_the_registry_reads_each_tables_inputs_from_its_sql_file():
    reads = {name: table.reads for name, table in REGISTRY.items()}
    assert reads["dim_field"] == reads["dim_date"] == ()
    assert reads["dim_project"] == reads["dim_undertaker"] == ("raw.projects",)
    assert reads["fact_kpi_target"] == ("raw.kpi_targets", "dim_project", "dim_indicator")
    assert reads["fact_milestone"] == ("raw.milestones", "dim_project")
    assert set(WAREHOUSE_TABLES) == {p.stem for p in (ROOT / "sql" / "warehouse").glob("*.sql")} | {
        "dim_field",
        "dim_plan",
        "dim_department",
        "dim_indicator",
    }
    assert REGISTRY["fact_disbursement"].description == "Payments 拨款记录, recoveries negative in signed_amount_wan"
    order = list(WAREHOUSE_TABLES)
    for name, table in REGISTRY.items():  # build order: a table after everything it reads
        assert all(order.index(r) < order.index(name) for r in table.reads if not r.startswith("raw.")), name


def test_the_warehouse_assets_depend_on_what_their_sql_reads():
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    deps = {k.to_user_string() for k in graph.get(dg.AssetKey("fact_kpi_target")).parent_keys}
    assert deps == {"raw/kpi_targets", "dim_project", "dim_indicator"}
    assert not graph.get(dg.AssetKey("dim_date")).parent_keys
    review = {k.to_user_string() for k in graph.get(dg.AssetKey("project_review")).parent_keys}
    assert review - {"project_review"} == {
        "dim_project",
        "fact_milestone",
        "fact_disbursement",
        "fact_progress",
        "fact_kpi_target",
        "fact_kpi",
        "fact_expert_review",
        "fact_review_decision",
    }
    assert set(tables_read_by("review")) == review - {"project_review"}
    ledger = {k.to_user_string() for k in graph.get(dg.AssetKey("data_quality")).parent_keys}
    assert {"raw/projects", "fact_progress", "project_review", "program_summary"} <= ledger
    summary = {k.to_user_string() for k in graph.get(dg.AssetKey("data_quality_summary")).parent_keys}
    assert "data_quality" in summary and "raw/quarantine" not in summary and "raw/projects" in summary


def test_sql_reads_skips_comments_ctes_and_table_functions(tmp_path):
    sql = """-- FROM raw.milestones is only a comment
    WITH latest AS (SELECT * FROM fact_progress)
    SELECT * FROM latest JOIN range(3) AS r ON true JOIN raw.projects USING (project_id)
    SEMI JOIN Dim_Project USING (project_id)"""
    assert sql_reads(sql, {"fact_progress", "dim_project"}) == ("fact_progress", "raw.projects", "dim_project")
    bad = tmp_path / "fact_x.sql"
    bad.write_text("CREATE TABLE fact_x AS SELECT 1;\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"fact_x.sql: no '-- asset: <description>' header line"):
        _sql_table(bad, set())


# ----------------------------------------------------------------------------- the manifest format
def test_one_manifest_format_for_writer_and_portal(tmp_path):
    import scorecard.manifest as fmt
    import scorecard.portal.manifest as portal
    from scorecard.report import build

    assert portal.SCHEMA is fmt.SCHEMA == "scorecard-manifest/1"
    assert portal.KINDS is fmt.KINDS and portal.manifest_name is fmt.manifest_name
    assert build.names is deliverable_names
    assert deliverable_names(2019) == {
        "html": "performance-evaluation-2019.html",
        "pdf": "performance-evaluation-2019.pdf",
        "xlsx": "performance-evaluation-2019.xlsx",
        "csv": "project-review-2019.csv",
        "portfolio": "dashboards/portfolio-2019.html",
        "projects": "dashboards/projects-2019.html",
        "recommendations": "dashboards/recommendations-2019.html",
        "manifest": "manifest-2019.json",
    }
    assert download_names(2019)["recommendations"] == "2019年度考核建议看板.html"
    (tmp_path / "dashboards").mkdir()
    for i, rel in enumerate(v for k, v in deliverable_names(2019).items() if k != "manifest"):
        (tmp_path / rel).write_bytes(b"x" * (i + 1))
    listed = deliverables(tmp_path, 2019)
    assert [d["kind"] for d in listed] == ["html", "pdf", "xlsx", "csv", "dashboard", "dashboard", "dashboard"]
    assert listed[6] == {
        "file": "dashboards/recommendations-2019.html",
        "kind": "dashboard",
        "sha256": hashlib.sha256(b"x" * 7).hexdigest(),
        "bytes": 7,
        "media_type": "text/html",
        "download_name": "2019年度考核建议看板.html",
    }
    text = manifest_text({"schema": fmt.SCHEMA, "名": 1})
    assert text == '{\n  "schema": "scorecard-manifest/1",\n  "名": 1\n}' and json.loads(text)["名"] == 1


def test_one_list_of_dashboards():
    from assets import report
    from dashboards import pages

    assert report.DASHBOARDS is DASHBOARDS
    assert list(pages._PAGES) == list(DASHBOARDS) == ["portfolio", "projects", "recommendations"]


# ----------------------------------------------------------------------------- file helpers
def test_file_sha256_and_raw_files(tmp_path):
    data = tmp_path / "projects_2020.tsv"
    data.write_bytes(b"a\tb\n" * 300_000)  # more than one 1 MiB block
    assert file_sha256(data) == hashlib.sha256(data.read_bytes()).hexdigest()
    link = tmp_path / "link.csv"
    link.symlink_to(data)
    assert file_sha256(link) == file_sha256(data)
    with pytest.raises(OSError):
        file_sha256(link, follow_symlinks=False)
    for name in (".hidden.csv", "~$projects.xlsx", "notes.json", "projects.xlsm"):
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in raw_files(tmp_path)] == ["link.csv", "projects.xlsm", "projects_2020.tsv"]


def test_a_tsv_file_wakes_the_sensor(tmp_path):
    from resource_fixtures import scorecard_paths

    from pipelines.definitions import defs
    from pipelines.sensors import raw_files_sensor

    raw = tmp_path / "raw"
    raw.mkdir()
    tsv = raw / "projects_2020.tsv"
    tsv.write_text("project_id\tproject_name\nP1\t甲\n", encoding="utf-8")
    os.utime(tsv, (time.time() - 3600, time.time() - 3600))
    (raw / "notes.txt").write_text("no dataset's file")
    context = dg.build_sensor_context(
        instance=dg.DagsterInstance.ephemeral(),
        resources={"paths": scorecard_paths(raw, tmp_path / "reports")},
        repository_def=defs.get_repository_def(),
    )
    data = raw_files_sensor.evaluate_tick(context)
    assert len(data.run_requests) == 1
    assert "added: projects_2020.tsv" in data.run_requests[0].tags["scorecard/raw_changes"]
    assert set(json.loads(data.cursor)["files"]) == {"projects_2020.tsv"}


# ----------------------------------------------------------------------------- Dagster events
def test_one_event_reader_for_cli_logger_and_bench(capsys):
    from pipelines.events import MATERIALIZATION, failure_message, step_event
    from pipelines.logging import progress_logger

    @dg.asset
    def counted() -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata={"dagster/row_count": 1234})

    @dg.asset(deps=[counted])
    def broken() -> None:
        try:
            raise OSError("projects.csv: not valid UTF-8 or GBK")
        except OSError as exc:
            raise RuntimeError("ingest failed") from exc

    defs = dg.Definitions(
        assets=[counted, broken], jobs=[dg.define_asset_job("j")], loggers={"progress": progress_logger}
    )
    job = defs.resolve_job_def("j")
    result = job.execute_in_process(raise_on_error=False, run_config={"loggers": {"progress": {}}})
    assert not result.success  # the innermost cause, as `scorecard run` prints it
    assert failure_message(result.all_events) == "broken: OSError: projects.csv: not valid UTF-8 or GBK"
    events = [e for e in (step_event(ev) for ev in result.all_events) if e is not None]
    mats = [e for e in events if e.kind == MATERIALIZATION]
    assert [(e.asset, e.metadata["dagster/row_count"]) for e in mats] == [("counted", 1234)]
    out = capsys.readouterr().out
    assert "✓ counted" in out and "1,234 rows" in out and "✗ step broken failed" in out


# ----------------------------------------------------------------------------- years, i18n
def test_one_year_parser():
    assert parse_years("2019") == [2019]
    assert parse_years(" 2019, 2017-2018 ,2018") == [2017, 2018, 2019]
    assert parse_years("") == []
    with pytest.raises(ValueError, match=r"'20x9' is not a year or a range of years"):
        parse_years("2018,20x9")
    from scorecard.portal.accounts import AccountError
    from scorecard.portal.accounts import parse_years as account_years

    assert account_years("2018,2019") == [2019, 2018]
    with pytest.raises(AccountError, match="comma-separated years"):
        account_years("2019,next")


def test_dashboards_and_report_share_one_i18n():
    from dashboards.pages import _labels, _t
    from scorecard import codes
    from scorecard.report.i18n import I18n

    for lang in ("zh", "en", "zh+en"):
        assert _t(lang, "等级分布", "Grades") == I18n(lang).t("等级分布", "Grades")
    assert _t("zh+en", "等级", "Grade") == "等级 / Grade"
    assert _labels("en")["flag"]["stalled"] == codes.FLAGS["stalled"][1]
    assert _labels("zh")["flag"]["stalled"] == codes.FLAGS["stalled"][0] == _labels("zh+en")["flag"]["stalled"]
