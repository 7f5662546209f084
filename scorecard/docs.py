"""Documentation generated from the contracts, so the docs can never list other columns than the code
(docs/architecture.md principle 1). ``scorecard docs`` rewrites ``docs/datasets.md``; a test checks it."""

from __future__ import annotations

from scorecard.contracts import DATASETS


def datasets_markdown() -> str:
    out = [
        "# Raw datasets (generated from `scorecard/contracts.py` by `scorecard docs`; do not edit)",
        "",
        "Each dataset is every file in the raw folder whose name starts with the dataset name "
        "(`projects_2017.xlsx`, `disbursements-q3.csv`, …): CSV (UTF-8, UTF-8 with BOM, GBK/GB18030; comma, "
        "semicolon or tab), XLSX (first sheet; the header row may sit below title rows) or Parquet. "
        "Headers may be the English name or the Chinese header; codes may be the code or its Chinese label.",
    ]
    for d in DATASETS.values():
        out += [
            "",
            f"## `{d.name}` {d.zh}",
            "",
            f"Key: ({', '.join(d.key)})"
            + ("; every `project_id` must be a clean project." if d.references_projects else "."),
            "",
        ]
        out += ["| column | 中文 header | type | rule |", "|---|---|---|---|"]
        for c in d.columns:
            rule = []
            if not c.required:
                rule.append("optional column")
            if c.nullable:
                rule.append("may be empty")
            if c.codes:
                rule.append("codes: " + ", ".join(f"`{k}` {v[0]}" for k, v in c.codes.items()))
            rule += c.bounds
            out.append(f"| `{c.name}` | {c.zh} | {c.type} | {'; '.join(rule)} |")
        for r in d.row_rules:
            out.append(f"| row rule `{r.name}` | {r.reason_zh} | | `{r.sql}` |")
    return "\n".join(out) + "\n"
