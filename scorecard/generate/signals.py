"""Evidence references and planted signals for the generated data (docs/analytics.md §2, docs/data.md).

* ``with_evidence_refs``: every generated KPI actual of a countable result — granted patents, software
  copyrights, standards — with a value above 0 names its evidence (``evidence_ref`` 佐证编号): one reference
  per project and indicator, repeated in every later quarter (the actuals are cumulative), unique to the
  project. So the clean data has references and no duplicate between projects.
* ``plant_signals`` (the bundled data only): a few leads the bundled report must show, planted where they
  change no score — evidence references another project also claims, written the messy ways people write
  them (spaces, full-width characters, dashes and dots, lower case, several in one cell); progress summaries
  copied between projects with different spaces and punctuation; two potential problem projects of one
  undertaker whose name is written two ways. The year-end rush, the split expert panel and money paid
  without progress already arise from the simulation; ``planted`` lists what was planted, by project.

Everything here is deterministic (no random draws): the projects are picked in sorted order from the
simulated frames and the independent review of the bundle (``scorecard.generate.oracle``).
"""

from __future__ import annotations

import polars as pl

COUNTED = {"patents_granted": ("ZL", ".{d}"), "software_copyrights": ("SR", ""), "standards": ("T/SZ ", "-{y}")}

# long progress summaries (≥ 20 characters once normalised) copied between projects
COPIED_TEXTS = (
    "完成核心器件样机研制并通过第三方检测机构的性能测试",
    "项目组按合同节点推进关键技术攻关，已提交阶段性技术报告",
)


def _serial(project_id: str) -> str:
    return "".join(ch for ch in project_id if ch.isalnum())[2:]


def reference(project_id: str, indicator: str) -> str:
    """The evidence reference a project reports for one countable indicator (``ZL2017CT0001.1`` …)."""
    prefix, suffix = COUNTED[indicator]
    serial = _serial(project_id)
    digit = sum(ord(ch) for ch in serial) % 10
    return f"{prefix}{serial}{suffix.format(d=digit, y=serial[:4])}"


def with_evidence_refs(kpi: pl.DataFrame) -> pl.DataFrame:
    """``kpi_actuals`` with the column ``evidence_ref``: a reference per project and countable indicator on
    every row whose cumulative value is above 0, empty elsewhere."""
    pairs = kpi.filter(pl.col("indicator").is_in(list(COUNTED))).select("project_id", "indicator").unique()
    refs = pairs.with_columns(
        pl.struct("project_id", "indicator")
        .map_elements(lambda r: reference(r["project_id"], r["indicator"]), return_dtype=pl.String)
        .alias("_ref")
    )
    out = kpi.join(refs, on=["project_id", "indicator"], how="left", maintain_order="left")
    return out.with_columns(
        pl.when(pl.col("value") > 0).then(pl.col("_ref")).otherwise(None).alias("evidence_ref")
    ).drop("_ref")


# ---------------------------------------------------------------------------------------- the bundle


def _messy_spellings(ref: str) -> list[str]:
    """One reference written the ways people write it: spaced, full-width, lower case with dashes."""
    plain = ref.replace(".", "")
    spaced = " ".join(plain[i : i + 4] for i in range(0, len(plain), 4))
    full = "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in ref)
    dashed = "-".join(plain[i : i + 3] for i in range(0, len(plain), 3)).lower()
    return [spaced, full, dashed]


def _reviewed(res: dict, year: int) -> list[str]:
    return sorted(res.get(year, {}))


def _plant_duplicates(kpi: pl.DataFrame, res: dict, planted: list[dict]) -> pl.DataFrame:
    """Three claimants of another project's patent: B and C write A's reference two messy ways (C in one cell
    with its own reference, separated by a full-width semicolon), D writes E's lower case with dashes."""
    patents = kpi.filter(
        (pl.col("indicator") == "patents_granted") & (pl.col("value") > 0) & (pl.col("period") == "2018Q4")
    )
    owners = [p for p in _reviewed(res, 2019) if p in set(patents["project_id"].to_list())]
    if len(owners) < 12:
        return kpi
    a, b, c, e, d = owners[1], owners[4], owners[7], owners[9], owners[11]
    spell_a, spell_e = (
        _messy_spellings(reference(a, "patents_granted")),
        _messy_spellings(reference(e, "patents_granted")),
    )
    cells = {
        b: spell_a[0],
        c: f"{reference(c, 'patents_granted')}；{spell_a[1]}",
        d: f"{reference(d, 'patents_granted')}, {spell_e[2]}",
    }
    for claimant, owner in ((b, a), (c, a), (d, e)):
        planted.append(
            {
                "signal": "duplicate_evidence",
                "project_id": claimant,
                "other_project": owner,
                "period": "2018Q4",
                "evidence_ref": cells[claimant],
            }
        )
    hit = (
        (pl.col("indicator") == "patents_granted")
        & (pl.col("period") == "2018Q4")
        & pl.col("project_id").is_in(list(cells))
    )
    return kpi.with_columns(
        pl.when(hit)
        .then(pl.col("project_id").replace_strict(cells, default=None))
        .otherwise(pl.col("evidence_ref"))
        .alias("evidence_ref")
    )


def _set_summary(reports: pl.DataFrame, project_id: str, period: str, text: str) -> pl.DataFrame:
    hit = (pl.col("project_id") == project_id) & (pl.col("period") == period)
    return reports.with_columns(pl.when(hit).then(pl.lit(text)).otherwise(pl.col("summary")).alias("summary"))


def _plant_copies(reports: pl.DataFrame, res: dict, planted: list[dict]) -> pl.DataFrame:
    """Two copied summaries: F's 2019Q2 text is G's 2018Q4 one with other spaces and punctuation; H and J wrote
    the same 2019Q3 text, J with ideographic spaces."""
    have = set(zip(reports["project_id"].to_list(), reports["period"].to_list()))
    in_2019 = [
        p for p in _reviewed(res, 2019) if (p, "2019Q2") in have and (p, "2019Q3") in have and (p, "2018Q4") in have
    ]
    if len(in_2019) < 30:
        return reports
    f, g, h, j = in_2019[3], in_2019[13], in_2019[20], in_2019[27]
    first, second = COPIED_TEXTS
    writes = [
        (g, "2018Q4", first),
        (f, "2019Q2", first[:7] + "\u3000" + first[7:] + " "),  # an ideographic space inside, one at the end
        (h, "2019Q3", second),
        (j, "2019Q3", second.replace("，", " , ")),  # an ASCII comma between spaces for the full-width one
    ]
    for project_id, period, text in writes:
        reports = _set_summary(reports, project_id, period, text)
    planted += [
        {"signal": "copied_summary", "project_id": f, "other_project": g, "period": "2019Q2"},
        {"signal": "copied_summary", "project_id": h, "other_project": j, "period": "2019Q3"},
        {"signal": "copied_summary", "project_id": j, "other_project": h, "period": "2019Q3"},
    ]
    return reports


def _problem_projects(res: dict, year: int) -> list[str]:
    return [p for p, r in sorted(res.get(year, {}).items()) if len([f for f in r["flags"] if f != "veto"]) >= 2]


def _plant_cluster(projects: pl.DataFrame, res: dict, planted: list[dict]) -> pl.DataFrame:
    """Per review year 2018 and 2019, the second of two potential problem projects takes the first one's
    undertaker, its name written with a space and a full-width bracket where the first has none."""
    names = dict(zip(projects["project_id"].to_list(), projects["undertaker"].to_list()))
    renamed: dict[str, str] = {}
    for year in (2018, 2019):
        problem = [p for p in _problem_projects(res, year) if p not in renamed and p in names]
        if len(problem) < 2:
            continue
        first, second = problem[0], problem[-1]
        name = names[first]
        renamed[second] = name[:3] + " " + name[3:].replace("(", "（").replace(")", "）")
        planted.append(
            {
                "signal": "undertaker_cluster",
                "project_id": second,
                "other_project": first,
                "year": year,
                "undertaker": renamed[second],
            }
        )
    return projects.with_columns(
        pl.col("project_id").replace_strict(renamed, default=None).fill_null(pl.col("undertaker")).alias("undertaker")
    )


def plant_signals(frames: dict[str, pl.DataFrame], res: dict) -> tuple[dict[str, pl.DataFrame], list[dict]]:
    """The bundle's frames with the planted signals, and what was planted (for the summary and docs/data.md).
    ``res`` is the generator's independent review ({year: {project_id: {"flags": [...], ...}}})."""
    planted: list[dict] = []
    frames = dict(frames)
    frames["kpi_actuals"] = _plant_duplicates(with_evidence_refs(frames["kpi_actuals"]), res, planted)
    frames["progress_reports"] = _plant_copies(frames["progress_reports"], res, planted)
    frames["projects"] = _plant_cluster(frames["projects"], res, planted)
    return frames, planted
