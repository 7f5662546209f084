"""The manifest format (docs/manifest.md), defined once for its writer and its reader.

The report writer (``scorecard.report.build``) names the deliverables and lists them with these
functions; the portal (``scorecard.portal.manifest``) checks a manifest against the same schema
name, kinds and file names. The dashboards are listed once, in :data:`DASHBOARDS`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scorecard.files import file_sha256
from scorecard.jsonable import plain

SCHEMA = "scorecard-manifest/1"
REQUIRED_KINDS = ("html", "pdf", "xlsx", "csv")  # the report's own deliverables, in listing order
DASHBOARD_KIND = "dashboard"
KINDS = frozenset((*REQUIRED_KINDS, DASHBOARD_KIND))

# The analysts' dashboards of a year: key (file stem), Chinese download title.
DASHBOARDS: dict[str, str] = {
    "portfolio": "项目组合看板",
    "projects": "项目明细看板",
    "recommendations": "考核建议看板",
}

# media_type as written in a manifest entry, per kind
MEDIA_BY_KIND = {
    "html": "text/html",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    DASHBOARD_KIND: "text/html",
}


def manifest_name(year: int) -> str:
    return f"manifest-{year}.json"


def deliverable_names(year: int) -> dict[str, str]:
    """Deliverable file names (relative to the year folder, '/'-separated), keyed html, pdf, xlsx,
    csv, one key per dashboard, then manifest."""
    return {
        "html": f"performance-evaluation-{year}.html",
        "pdf": f"performance-evaluation-{year}.pdf",
        "xlsx": f"performance-evaluation-{year}.xlsx",
        "csv": f"project-review-{year}.csv",
        **{key: f"dashboards/{key}-{year}.html" for key in DASHBOARDS},
        "manifest": manifest_name(year),
    }


def download_names(year: int) -> dict[str, str]:
    """The names a browser saves each deliverable under (the manifest's ``download_name``)."""
    return {
        "html": f"{year}年度绩效评估报告.html",
        "pdf": f"{year}年度绩效评估报告.pdf",
        "xlsx": f"{year}年度绩效评估报告.xlsx",
        "csv": f"{year}年度项目评分明细.csv",
        **{key: f"{year}年度{title}.html" for key, title in DASHBOARDS.items()},
    }


def kind_of(key: str) -> str:
    """The manifest kind of a deliverable key (a dashboard key → ``dashboard``)."""
    return DASHBOARD_KIND if key in DASHBOARDS else key


def deliverables(folder: Path, year: int) -> list[dict[str, Any]]:
    """The manifest's ``deliverables`` list for the files of ``folder``: report files, then dashboards."""
    files, downloads = deliverable_names(year), download_names(year)
    out = []
    for key in (*REQUIRED_KINDS, *DASHBOARDS):
        path = folder / files[key]
        kind = kind_of(key)
        out.append(
            {
                "file": files[key],
                "kind": kind,
                "sha256": file_sha256(path),
                "bytes": path.stat().st_size,
                "media_type": MEDIA_BY_KIND[kind],
                "download_name": downloads[key],
            }
        )
    return out


def manifest_text(manifest: dict[str, Any]) -> str:
    """The manifest file's text: UTF-8 JSON, indented by two, non-ASCII kept."""
    return json.dumps(manifest, ensure_ascii=False, indent=2, default=plain)
