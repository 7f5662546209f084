"""The yearly report and dashboards, read back from the files (issue 5).

One report (zh+en, 2019) is built per module on the fixture warehouse of ``report_fixtures``;
the language and rubric tests render only the HTML, which is the same template."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
import yaml
from pypdf import PdfReader

sys.path.insert(0, str(Path(__file__).parent))
from report_fixtures import fixture_connection  # noqa: E402

from dashboards import pages as dashboards  # noqa: E402
from scorecard.report.build import (  # noqa: E402
    build_report,  # noqa: E402
    names,
    render,
)
from scorecard.report.i18n import CJK, I18n  # noqa: E402
from scorecard.report.method import method_context  # noqa: E402
from scorecard.settings import DEFAULT_RUBRIC  # noqa: E402

YEAR = 2019


@pytest.fixture(scope="module")
def con():
    with fixture_connection() as c:
        yield c


@pytest.fixture(scope="module")
def report(con, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    result = build_report(con, YEAR, out, lang="zh+en", rubric_path=DEFAULT_RUBRIC)
    return result


def year_dir(report) -> Path:
    return report["year_dir"]


def count(con, sql, params=None):
    return con.sql(sql, params=params or []).fetchall()[0][0]


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


# --- manifest -----------------------------------------------------------------------------------
def test_manifest_lists_every_deliverable_with_its_hash(report, con):
    d = year_dir(report)
    manifest = json.loads((d / f"manifest-{YEAR}.json").read_text(encoding="utf-8"))
    assert manifest["schema"] == "scorecard-manifest/1"
    assert manifest["review_year"] == YEAR and manifest["as_of_date"] == "2019-12-31"
    assert manifest["language"] == "zh+en"
    assert re.fullmatch(r"0\.1\.0\+\w+", manifest["code_version"])
    assert dt.datetime.fromisoformat(manifest["generated_at"]).utcoffset() == dt.timedelta(hours=8)
    files = {x["file"]: x for x in manifest["deliverables"]}
    assert set(files) == {v for k, v in names(YEAR).items() if k != "manifest"}
    for entry in manifest["deliverables"]:
        path = d / entry["file"]
        assert path.is_file()
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
        assert path.stat().st_size == entry["bytes"]
    assert {x["kind"] for x in manifest["deliverables"]} == {"html", "pdf", "xlsx", "csv", "dashboard"}
    assert sum(x["kind"] == "dashboard" for x in manifest["deliverables"]) == 3
    assert files[f"performance-evaluation-{YEAR}.pdf"]["download_name"] == "2019年度绩效评估报告.pdf"
    # rubric: the file's version and SHA-256
    assert manifest["rubric"] == {
        "version": "v1",
        "sha256": hashlib.sha256(DEFAULT_RUBRIC.read_bytes()).hexdigest(),
        "file": "rubric-v1.yaml",
    }
    # inputs: the latest load of each dataset, not the superseded file
    inputs = {x["file"]: x for x in manifest["inputs"]}
    assert "projects_old.xlsx" not in inputs and inputs["projects_2019.xlsx"]["sha256"] == "a" * 64
    assert len(inputs) == 6
    # row counts and summary from the mart
    assert (
        manifest["row_counts"]["mart.project_review"]
        == count(con, "SELECT count(*) FROM mart.project_review WHERE review_year = 2019")
        == 11
    )
    assert manifest["row_counts"]["mart.review_reason"] == 26
    assert manifest["row_counts"]["raw.quarantine"] == 5
    s = manifest["summary"]
    assert s["projects_reviewed"] == 11
    assert s["grades"] == {"A": 2, "B": 3, "C": 2, "D": 2, "insufficient": 2}
    assert s["recommendations"] == {
        "terminate": 2,
        "acceptance_review": 1,
        "suspend_funding": 1,
        "rectify": 5,
        "rolling_support": 2,
    }
    t = {x["target"]: x for x in s["targets"]}
    assert t["core_tech_projects"]["measured"] == 3 and t["core_tech_projects"]["met"] is False
    assert t["industry_scale"]["measured"] is None
    # nothing temporary left behind
    assert not [p for p in d.rglob("*") if ".tmp-" in p.name]


# --- PDF ------------------------------------------------------------------------------------------
def test_pdf_has_the_outline_in_both_languages_and_the_counts(report):
    text = pdf_text(year_dir(report) / f"performance-evaluation-{YEAR}.pdf")
    flat = re.sub(r"\s+", "", text)
    assert "深圳市十大重大科技产业专项" in flat and "2019年度绩效评估报告" in flat
    for heading in (
        "一、基本情况",
        "二、评价工作开展情况",
        "三、综合评价情况及评价结论",
        "四、绩效评价指标分析",
        "五、主要经验做法、存在的问题及原因分析",
        "六、有关建议",
        "七、其他需要说明的问题",
        "附件",
        "目录",
        "附件一",
        "评价指标体系与评分方法",
    ):
        assert heading in flat, heading
    for heading in (
        "Background",
        "Evaluationwork",
        "Overallevaluationandconclusions",
        "Indicatoranalysis",
        "Recommendations",
        "Othermatters",
        "Annexes",
    ):
        assert heading in flat, heading
    assert "共对11个专项项目" in flat and "11projectswerereviewed" in flat
    assert "优2个、良3个、中2个、差2个、数据不足2个" in flat
    # every terminate / suspend / rectify project is listed with its reasons and clawback
    for pid in ("P07", "P09", "P11", "P04", "P05", "P06", "P08", "P12"):
        assert pid in flat
    assert "936.00" in flat and "375.00" in flat
    assert "一票否决" in flat
    # money and dates the Chinese way
    assert "2019年12月31日" in flat and "23,100.00万元" in flat
    # the scores were made with the rubric shown in the method annex: no mismatch warning
    assert "不一致" not in flat
    # the method chapter from the rubric file
    assert "节点进度" in flat and "15×min(SPI,1)" in flat


def test_pdf_embeds_the_cjk_font_and_page_one_is_not_blank(report, tmp_path):
    pdf = year_dir(report) / f"performance-evaluation-{YEAR}.pdf"
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "NotoSansCJK" in line.replace("-", "")]
    assert cjk and all(line.split()[-5] == "yes" for line in cjk)  # emb column
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")], check=True)
    from PIL import Image

    img = Image.open(next(tmp_path.glob("p*.png"))).convert("L")
    dark = sum(1 for px in img.getdata() if px < 200)
    assert dark > 500, "page 1 looks blank"
    assert len(PdfReader(str(pdf)).pages) > 10


# --- XLSX -----------------------------------------------------------------------------------------
def test_xlsx_sheets_match_the_mart(report, con):
    wb = openpyxl.load_workbook(year_dir(report) / f"performance-evaluation-{YEAR}.xlsx")
    sheets = wb.sheetnames
    assert len(sheets) == len(report["sheet_rows"]) >= 20

    def data_rows(ws):
        return [r for r in ws.iter_rows(min_row=4, values_only=True) if any(v is not None for v in r)]

    pr = wb["项目评分明细 Project review"]
    header = [c.value for c in pr[3]]
    assert header[0] == "项目编号\nProject ID"
    assert len(data_rows(pr)) == count(con, "SELECT count(*) FROM mart.project_review WHERE review_year = 2019")
    assert [r[0] for r in data_rows(pr)] == [
        r[0]
        for r in con.sql("SELECT project_id FROM mart.project_review WHERE review_year = 2019 ORDER BY 1").fetchall()
    ]
    money_col = header.index("财政资助（万元）\nApproved (万元)") + 1
    assert pr.cell(4, money_col).number_format == "#,##0.00"
    assert pr.cell(4, header.index("数据覆盖率\nCoverage") + 1).number_format == "0.0%"
    for sheet, dim in (
        ("按领域 By Field", "field"),
        ("按扶持计划 By Plan", "plan"),
        ("按主管单位 By Department", "department"),
    ):
        assert len(data_rows(wb[sheet])) == count(
            con, "SELECT count(*) FROM mart.program_summary WHERE review_year = 2019 AND dimension = ?", [dim]
        )
    assert len(data_rows(wb["工作目标 Targets"])) == count(
        con, "SELECT count(*) FROM mart.program_target WHERE review_year = 2019"
    )
    assert len(data_rows(wb["年度拨款 Funds per year"])) == count(
        con, "SELECT count(*) FROM mart.disbursement_by_year WHERE review_year = 2019"
    )
    assert len(data_rows(wb["限期整改 Rectify"])) == 5 and len(data_rows(wb["滚动支持 Rolling support"])) == 2
    assert len(data_rows(wb["隔离数据 Quarantine"])) == 5
    # labels in Chinese for codes, the numbers as numbers
    field_rows = data_rows(wb["按领域 By Field"])
    assert "5G移动通信" in [r[0] for r in field_rows]
    five_g = next(r for r in field_rows if r[0] == "5G移动通信")
    assert five_g[1] == 2


# --- CSV ------------------------------------------------------------------------------------------
def test_csv_has_bom_and_the_contract_columns(report, con):
    raw = (year_dir(report) / f"project-review-{YEAR}.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    columns = [c for c in con.sql("SELECT * FROM mart.project_review LIMIT 0").columns]
    assert lines[0].split(",") == columns
    assert len(lines) - 1 == 11
    for needed in (
        "project_id",
        "review_year",
        "as_of_date",
        "grade",
        "flags",
        "recommendation",
        "clawback_wan",
        "spi_t",
        "prev_grade",
        "rubric_version",
    ):
        assert needed in columns


# --- HTML -----------------------------------------------------------------------------------------
EXTERNAL = re.compile(r"<(script|link|img)[^>]+(src|href)\s*=\s*[\"']?(https?:)?//", re.I)


def test_html_is_self_contained_with_plotly_embedded_once(report):
    html = (year_dir(report) / f"performance-evaluation-{YEAR}.html").read_text(encoding="utf-8")
    assert not EXTERNAL.search(html)
    assert html.count("* plotly.js v") == 1
    assert html.count('class="plotly-graph-div"') >= 10
    for page in ("portfolio", "projects", "recommendations"):
        dash = (year_dir(report) / "dashboards" / f"{page}-{YEAR}.html").read_text(encoding="utf-8")
        assert not EXTERNAL.search(dash)
        assert dash.count("* plotly.js v") == 1


def headings(html: str) -> list[str]:
    found = re.findall(r"<h[123][^>]*>(.*?)</h[123]>", html, re.S)
    found += re.findall(r'<li class="lvl\d"><a [^>]*>(.*?)</a>', html)
    return [re.sub(r"<[^>]+>", " ", h).strip() for h in found]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_single_language_headings(con, lang):
    i18n = I18n(lang)
    html, _, _ = render(
        con, YEAR, i18n, "html", method_context(DEFAULT_RUBRIC, i18n), [], "0.1.0+test", dt.datetime(2020, 1, 31, 10, 0)
    )
    hs = headings(html)
    assert len(hs) > 40
    if lang == "en":
        assert not [h for h in hs if CJK.search(h)]
        assert "1. Background" in hs and "7. Other matters" in hs
    else:
        assert not [h for h in hs if re.search(r"[A-Za-z]{3,}", h.replace("SPI", "").replace("KPI", ""))]
        assert "一、基本情况" in hs and "七、其他需要说明的问题" in hs


def test_a_changed_rubric_changes_the_method_chapter(con, tmp_path):
    """The method annex is rendered from the rubric file; a report whose rubric differs from the one
    recorded in the score rows says so in chapter 7."""
    data = yaml.safe_load(DEFAULT_RUBRIC.read_text(encoding="utf-8"))
    data["version"] = "v2-test"
    leaves = {leaf["code"]: leaf for ind in data["indicators"] for leaf in ind["leaves"]}
    leaves["spi"]["points"] = 20
    leaves["output"]["points"] = 35
    data["grade_bands"][0]["min"] = 92
    changed = tmp_path / "rubric-v2-test.yaml"
    changed.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    i18n = I18n("zh+en")

    def method_html(path):
        html, _, _ = render(con, YEAR, i18n, "html", method_context(path, i18n), [], "x", dt.datetime(2020, 1, 1))
        return html[html.index('id="s10-1"') : html.index('id="s10-2"')]

    old, new = method_html(DEFAULT_RUBRIC), method_html(changed)
    assert old != new
    assert "v2-test" in new and "v2-test" not in old
    assert "rubric-v2-test.yaml" in new
    assert re.search(r"节点进度 / Milestone progress</td><td class=\"num\">20</td>", new)
    assert re.search(r"节点进度 / Milestone progress</td><td class=\"num\">15</td>", old)
    assert "≥ 92" in new and "≥ 92" not in old
    assert hashlib.sha256(changed.read_bytes()).hexdigest() in new
    full, _, _ = render(con, YEAR, i18n, "html", method_context(changed, i18n), [], "x", dt.datetime(2020, 1, 1))
    assert "与附件一所列评分细则文件（v2-test）不一致" in full


# --- dashboards -----------------------------------------------------------------------------------
def payload(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="payload">(.*?)</script>', html, re.S)
    return json.loads(m.group(1))


def test_dashboards_embed_aggregates_and_capped_projects(report, con):
    d = year_dir(report) / "dashboards"
    pf = payload((d / f"portfolio-{YEAR}.html").read_text(encoding="utf-8"))
    rows = [dict(zip(pf["columns"], r)) for r in pf["rows"]]
    assert sum(r["projects"] for r in rows if r["review_year"] == YEAR) == 11
    assert sum(r["projects"] for r in rows if r["review_year"] == YEAR - 1) == 10
    assert sum(r["rec_terminate"] for r in rows if r["review_year"] == YEAR) == 2
    pj = payload((d / f"projects-{YEAR}.html").read_text(encoding="utf-8"))
    assert len(pj["projects"]) == 11
    p07 = next(p for p in pj["projects"] if p["project_id"] == "P07")
    assert len(p07["milestones"]) == 4 and p07["disbursed"] and p07["progress"] and len(p07["kpi"]) == 3
    assert [e[0] for e in p07["ev"]] == ["2018-12-31", "2019-12-31"]
    capped = dashboards.projects(con, YEAR, "zh+en", cap=3)
    pc = payload(capped)
    assert [p["project_id"] for p in pc["projects"]] == sorted(["P05", "P07", "P08"])  # most flags, lowest scores
    assert "预警最多、得分最低的 3 个" in capped
    rb = payload((d / f"recommendations-{YEAR}.html").read_text(encoding="utf-8"))
    assert rb["counts"] == {
        "terminate": 2,
        "acceptance_review": 1,
        "suspend_funding": 1,
        "rectify": 5,
        "rolling_support": 2,
    }
    assert len(rb["items"]) == 11


def test_a_failed_run_leaves_no_deliverable(con, tmp_path):
    with pytest.raises(ValueError, match="no mart.project_review rows"):
        build_report(con, 2031, tmp_path)
    assert not (tmp_path / "2031").exists() or not list((tmp_path / "2031").rglob("*.*"))
    with pytest.raises(ValueError, match="report language"):
        build_report(con, YEAR, tmp_path, lang="fr")
    assert not list(tmp_path.rglob("manifest-*.json"))


def test_report_can_be_rebuilt_over_the_previous_set(report, con, tmp_path):
    # the module's report folder, copied, rebuilt in place: manifest replaced, hashes still match
    d = tmp_path / "reports"
    shutil.copytree(year_dir(report).parent, d)
    before = json.loads((d / str(YEAR) / f"manifest-{YEAR}.json").read_text(encoding="utf-8"))
    assert before["deliverables"]
