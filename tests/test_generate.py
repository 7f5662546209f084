"""The deterministic data generator (scorecard/generate/) and the committed bundle (data/raw)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from scorecard.generate import generate, write_summary

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"


def _hashes(d: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.iterdir())}


@pytest.mark.parametrize(
    "kwargs", [{"projects": 300, "messy": True}, {"projects": 500}, {"projects": 500, "fmt": "parquet"}]
)
def test_same_seed_gives_byte_identical_files(tmp_path, kwargs):
    s1 = generate(tmp_path / "a", seed=7, **kwargs)
    s2 = generate(tmp_path / "b", seed=7, **kwargs)
    assert _hashes(tmp_path / "a") == _hashes(tmp_path / "b")
    assert s1 == s2
    s3 = generate(tmp_path / "c", seed=8, **kwargs)
    assert _hashes(tmp_path / "c") != _hashes(tmp_path / "a")
    assert s3["generator"]["seed"] == 8


def test_committed_bundle_is_what_the_generator_writes(tmp_path):
    summary = generate(tmp_path, messy=True)
    assert _hashes(tmp_path) == _hashes(RAW), (
        "data/raw differs from generate(messy=True): regenerate, do not edit by hand"
    )
    out = tmp_path / "summary.json"
    write_summary(summary, out)
    assert out.read_bytes() == (ROOT / "data" / "bundle-summary.json").read_bytes()
    assert sum(p.stat().st_size for p in RAW.iterdir()) < 5 * 1024 * 1024


@pytest.fixture(scope="module")
def clean1000(tmp_path_factory):
    d = tmp_path_factory.mktemp("clean")
    summary = generate(d, projects=1000, seed=2017)
    return (
        d,
        summary,
        {n: pl.read_csv(d / f"{n}.csv", try_parse_dates=True, infer_schema_length=None) for n in summary["datasets"]},
    )


def test_clean_mode_counts_and_keys(clean1000):
    d, summary, t = clean1000
    assert sorted(p.name for p in d.iterdir()) == sorted(f"{n}.csv" for n in summary["datasets"])
    for name, info in summary["datasets"].items():
        assert t[name].height == info["rows"] == info["clean"] and info["quarantined"] == 0
    assert t["projects"].height == 1000
    assert sum(summary["program"]["projects_per_plan"].values()) == 1000
    keys = {
        "projects": ["project_id"],
        "milestones": ["project_id", "milestone_no"],
        "disbursements": ["payment_id"],
        "progress_reports": ["project_id", "period"],
        "kpi_targets": ["project_id", "indicator"],
        "kpi_actuals": ["project_id", "period", "indicator"],
        "expert_reviews": ["project_id", "review_year", "expert_id"],
        "review_decisions": ["project_id", "review_year"],
    }
    ids = set(t["projects"]["project_id"])
    for name, key in keys.items():
        assert t[name].select(key).is_duplicated().sum() == 0, name
        if name != "projects":
            assert set(t[name]["project_id"]) <= ids, name
    # shape per project (brief: ~5 milestones, ~4 payments while 2017-2019, ~6 KPI targets)
    assert 4.5 < t["milestones"].height / 1000 < 5.5
    assert 5.5 < t["kpi_targets"].height / 1000 < 6.5
    assert 1.8 < t["disbursements"].height / 1000 < 4.5


def test_clean_mode_rows_obey_the_rules(clean1000):
    _, summary, t = clean1000
    p = t["projects"]
    assert p.filter(pl.col("end_date") <= pl.col("start_date")).height == 0
    assert p["approval_year"].is_between(2017, 2019).all()
    assert p["project_id"].str.contains(r"^SZ20(17|18|19)-\d{7}$").all()
    assert (p["approved_funding_wan"] > 0).all() and (p["self_funding_wan"] >= 0).all()
    assert (t["disbursements"]["amount_wan"] > 0).all()
    assert t["disbursements"]["payment_date"].max() <= __import__("datetime").date(2019, 12, 31)
    r = t["progress_reports"]
    assert (r["total_spent_wan"] >= r["fiscal_spent_wan"]).all() and (r["fiscal_spent_wan"] >= 0).all()
    assert r["period"].str.contains(r"^20(17|18|19)Q[1-4]$").all()
    assert (t["milestones"]["weight"] > 0).all()
    assert (t["kpi_targets"]["target_value"] > 0).all() and (t["kpi_actuals"]["value"] >= 0).all()
    assert t["expert_reviews"]["score"].is_between(0, 100).all()
    assert set(t["review_decisions"]["review_year"]) == {2017, 2018}
    # cumulative series never decrease
    for name, col in (("progress_reports", "fiscal_spent_wan"), ("kpi_actuals", "value")):
        grp = ["project_id"] + (["indicator"] if name == "kpi_actuals" else [])
        diffs = t[name].sort([*grp, "period"]).with_columns(pl.col(col).diff().over(grp).alias("d"))
        assert (diffs["d"].drop_nulls() >= 0).all(), name
    net = summary["program"]["net_disbursement_per_year_wan"]
    assert round(sum(net.values()), 1) == round(t["disbursements"]["amount_wan"].sum(), 1)


def test_parquet_mode_has_proper_types(tmp_path):
    generate(tmp_path, projects=200, fmt="parquet")
    p = pl.read_parquet(tmp_path / "projects.parquet")
    assert p.schema["start_date"] == pl.Date and p.schema["approved_funding_wan"] == pl.Float64
    assert pl.read_parquet(tmp_path / "expert_reviews.parquet").schema["veto"] == pl.Boolean


def test_bundle_programme_facts():
    s = json.loads((ROOT / "data" / "bundle-summary.json").read_text(encoding="utf-8"))
    assert s["program"]["projects_per_plan"] == {
        "chain_fusion": 9,
        "core_tech": 56,
        "demonstration": 58,
        "industrialization": 205,
        "innovation_carrier": 92,
        "service_platform": 30,
    }
    net = s["program"]["net_disbursement_per_year_wan"]
    assert set(net) == {"2017", "2018", "2019"}
    assert all(185_000 <= v <= 215_000 for v in net.values()) and len({round(v) for v in net.values()}) == 3
    assert s["targets_met"] == {
        "chain_fusion": False,
        "core_tech": True,
        "demonstration": True,
        "industrialization": True,
        "innovation_carrier": False,
    }
    # every grade, flag and recommendation is expected in 2018 and in 2019 (docs/scoring.md §4-6)
    for y in ("2018", "2019"):
        e = s["expected_reviews"][y]
        assert set(e["grades"]) == {"A", "B", "C", "D", "insufficient"}, y
        assert set(e["flags"]) == {
            "stalled",
            "low_execution",
            "self_funds_gap",
            "missing_report",
            "overspend",
            "veto",
        }, y
        assert set(e["recommendations"]) == {
            "terminate",
            "acceptance_review",
            "suspend_funding",
            "rectify",
            "rolling_support",
        }, y
    assert {(o["review_year"], o["decision"]) for o in s["decision_overrides"]} >= {
        (2018, "rectify"),
        (2018, "terminate"),
    }


def test_bundle_quarantine_list_matches_the_files():
    s = json.loads((ROOT / "data" / "bundle-summary.json").read_text(encoding="utf-8"))
    bad = [b for d in s["datasets"].values() for b in d["quarantine"]]
    assert sorted((b["dataset"], b["reason"]) for b in bad) == sorted(
        [
            ("milestones", "unknown_project"),
            ("disbursements", "unknown_project"),
            ("disbursements", "out_of_range"),
            ("disbursements", "duplicate_key"),
            ("projects", "duplicate_key"),
            ("projects", "row_rule:end_after_start"),
            ("progress_reports", "row_rule:total_covers_fiscal"),
        ]
    )
    for b in bad:  # the row number points at the bad row (header = row 1)
        path = RAW / b["file"]
        enc = "gb18030" if b["file"] in ("projects_2019.csv", "disbursements_city.csv") else "utf-8-sig"
        lines = path.read_text(encoding=enc).splitlines()
        line = lines[b["row"] - 1]
        if b["reason"] == "unknown_project":
            assert "SZ2016-IN-0007" in line or "SZ2017-CT-0O12" in line
        elif b["reason"] == "out_of_range":
            assert ",-50.0," in line
        elif b["reason"] == "duplicate_key":
            key = line.split(",")[0]
            others = [ln for i, ln in enumerate(lines[1:], start=2) if ln.split(",")[0] == key and i != b["row"]]
            assert others or b["file"] == "projects_2019.csv"
            if b["file"] == "projects_2019.csv":
                assert (key + ",") in (RAW / "projects_2018.csv").read_text(encoding="utf-8")
        elif b["reason"] == "row_rule:end_after_start":
            assert line.startswith("SZ2018-IN-9001,")
        else:
            fiscal, _, total = (float(x) for x in line.split(",")[3:6])
            assert total < fiscal
    for name, d in s["datasets"].items():
        assert d["rows"] == sum(d["files"].values()) == d["clean"] + d["quarantined"], name


def test_bundle_formats_are_really_messy():
    city = (RAW / "disbursements_city.csv").read_bytes()
    for f in ("projects_2019.csv", "disbursements_city.csv"):
        with pytest.raises(UnicodeDecodeError):
            (RAW / f).read_bytes().decode("utf-8")
        assert (
            (RAW / f).read_bytes().decode("gb18030").startswith("项目编号" if f.startswith("projects") else "拨款编号")
        )
    assert '"1,' in city.decode("gb18030") or '"2,' in city.decode("gb18030")
    assert (RAW / "disbursements_district.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert (RAW / "progress_reports.csv").read_bytes().startswith(b"\xef\xbb\xbfproject_id,")
    p19 = (RAW / "projects_2019.csv").read_bytes().decode("gb18030")
    assert "年" in p19 and "/" in p19  # 2019年3月5日 and 2019/3/5 date styles
    assert "直接资助" in p19 and ",grant," in p19  # Chinese labels in some rows, codes in others
    assert "财政资助金额（万元）" in p19
    ws = openpyxl.load_workbook(RAW / "projects_2017.xlsx").worksheets[0]
    assert "项目台账" in ws["A1"].value and "A1" in str(ws.merged_cells.ranges)
    assert all(c.value is None for c in ws[2])
    assert [c.value for c in ws[3]][:2] == ["项目编号", "项目名称"]
    assert ws.cell(4, 12).is_date  # 开始日期 is a real date cell
    assert ws.max_row - 3 == 152
