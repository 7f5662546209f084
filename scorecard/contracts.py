"""Each raw dataset's contract, declared once (docs/architecture.md principle 1; docs/data-contract.md "Raw inputs").

Everything else derives from these declarations: the reader's header mapping and normalisation,
the quarantine rules, the warehouse column types, the Great Expectations suites and the README's
dataset table. There is no second list of columns anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from scorecard import codes

# Column types. `code` columns take a code set; `text` keeps the value as written (whitespace trimmed).
TEXT, ID, CODE, INT, DECIMAL, DATE, BOOL, PERIOD = "text", "id", "code", "int", "decimal", "date", "bool", "period"

# Decimals (money in 万元, weights, scores, KPI values) are exact: DECIMAL(18, 4) from the reader to the
# marts (docs/scoring.md §10). A value written with more than DECIMAL_SCALE decimals is quarantined,
# never silently rounded.
DECIMAL_PRECISION, DECIMAL_SCALE = 18, 4

# Plausibility limits of every date and text cell (a cell outside them is quarantined).
MIN_DATE, MAX_DATE = date(2000, 1, 1), date(2100, 12, 31)
MAX_TEXT = 2000  # characters; a longer cell is almost certainly a paste error

DUCKDB_TYPES = {
    TEXT: "VARCHAR",
    ID: "VARCHAR",
    CODE: "VARCHAR",
    INT: "INTEGER",
    DECIMAL: f"DECIMAL({DECIMAL_PRECISION},{DECIMAL_SCALE})",
    DATE: "DATE",
    BOOL: "BOOLEAN",
    PERIOD: "VARCHAR",
}


@dataclass(frozen=True)
class Column:
    name: str
    zh: str
    type: str
    required: bool = True  # the column must be present in the file (else the file fails)
    nullable: bool = False  # an empty cell is allowed
    codes: dict | None = None  # allowed codes -> (zh, en, ...) labels
    min: float | None = None  # inclusive lower bound (numbers; years)
    max: float | None = None  # inclusive upper bound
    gt: float | None = None  # exclusive lower bound
    aliases: tuple[str, ...] = ()  # further header spellings seen in real exports

    @property
    def bounds(self) -> list[str]:
        """The numeric bounds as rules: "≥ 0", "> 0", "≤ 100" (none for an unbounded column)."""
        parts = [f"≥ {self.min:g}"] if self.min is not None else []
        parts += [f"> {self.gt:g}"] if self.gt is not None else []
        return parts + ([f"≤ {self.max:g}"] if self.max is not None else [])


@dataclass(frozen=True)
class RowRule:
    """A rule between columns of one row; a row that breaks it is quarantined, not corrected."""

    name: str
    sql: str  # a DuckDB/Polars-free SQL boolean over the typed columns, NULLs pass
    left: str  # column reported in the quarantine row
    reason_zh: str
    reason_en: str


@dataclass(frozen=True)
class Dataset:
    name: str
    zh: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    references_projects: bool = True
    row_rules: tuple[RowRule, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


PROJECTS = Dataset(
    name="projects",
    zh="项目台账",
    key=("project_id",),
    references_projects=False,
    columns=(
        Column("project_id", "项目编号", ID),
        Column("project_name", "项目名称", TEXT),
        Column("field", "领域", CODE, codes=codes.FIELDS),
        Column("plan", "扶持计划", CODE, codes=codes.PLANS),
        Column("department", "主管单位", CODE, codes=codes.DEPARTMENTS),
        Column("undertaker", "承担单位", TEXT),
        Column("undertaker_type", "单位类型", CODE, codes=codes.UNDERTAKER_TYPES),
        Column("selection_method", "遴选方式", CODE, codes=codes.SELECTION_METHODS),
        Column("support_mode", "资助方式", CODE, codes=codes.SUPPORT_MODES),
        Column("funding_stage", "资助时点", CODE, codes=codes.FUNDING_STAGES),
        Column("approval_year", "立项年度", INT, min=2000, max=2100),
        Column("start_date", "开始日期", DATE),
        Column("end_date", "结束日期", DATE),
        Column("approved_funding_wan", "财政资助金额（万元）", DECIMAL, min=0),
        Column("self_funding_wan", "自筹资金（万元）", DECIMAL, min=0),
        Column("project_manager", "项目经理人", TEXT, required=False, nullable=True),
    ),
    row_rules=(
        RowRule(
            "end_after_start",
            "end_date > start_date",
            "end_date",
            "结束日期不晚于开始日期",
            "end_date is not after start_date",
        ),
    ),
)

MILESTONES = Dataset(
    name="milestones",
    zh="合同节点",
    key=("project_id", "milestone_no"),
    columns=(
        Column("project_id", "项目编号", ID),
        Column("milestone_no", "节点序号", INT, min=1),
        Column("description", "节点内容", TEXT, required=False, nullable=True),
        Column("planned_date", "计划完成日期", DATE),
        Column("weight", "权重", DECIMAL, gt=0),
        Column("completed_date", "实际完成日期", DATE, nullable=True),
    ),
)

DISBURSEMENTS = Dataset(
    name="disbursements",
    zh="拨款记录",
    key=("payment_id",),
    columns=(
        Column("payment_id", "拨款编号", ID),
        Column("project_id", "项目编号", ID),
        Column("payment_date", "拨款日期", DATE),
        Column("amount_wan", "金额（万元）", DECIMAL, gt=0),
        Column("kind", "类型", CODE, codes=codes.PAYMENT_KINDS),
        Column("source", "资金来源", CODE, codes=codes.FUND_SOURCES),
    ),
)

PROGRESS_REPORTS = Dataset(
    name="progress_reports",
    zh="进度报告",
    key=("project_id", "period"),
    columns=(
        Column("project_id", "项目编号", ID),
        Column("period", "报告期", PERIOD),
        Column("submitted_date", "提交日期", DATE),
        Column("fiscal_spent_wan", "财政资金累计支出（万元）", DECIMAL, min=0),
        Column("self_arrived_wan", "自筹资金累计到位（万元）", DECIMAL, min=0),
        Column("total_spent_wan", "累计总支出（万元）", DECIMAL, min=0),
        Column("risk_level", "风险等级", CODE, codes=codes.RISK_LEVELS),
        Column("summary", "进展摘要", TEXT, required=False, nullable=True),
    ),
    row_rules=(
        RowRule(
            "total_covers_fiscal",
            "total_spent_wan >= fiscal_spent_wan",
            "total_spent_wan",
            "累计总支出小于财政资金累计支出",
            "total_spent_wan is less than fiscal_spent_wan",
        ),
    ),
)

KPI_TARGETS = Dataset(
    name="kpi_targets",
    zh="绩效目标",
    key=("project_id", "indicator"),
    columns=(
        Column("project_id", "项目编号", ID),
        Column("indicator", "指标", CODE, codes=codes.INDICATORS),
        Column("target_value", "目标值", DECIMAL, gt=0),
        Column("due_date", "目标日期", DATE, required=False, nullable=True),
    ),
)

KPI_ACTUALS = Dataset(
    name="kpi_actuals",
    zh="绩效完成",
    key=("project_id", "period", "indicator"),
    columns=(
        Column("project_id", "项目编号", ID),
        Column("period", "报告期", PERIOD),
        Column("indicator", "指标", CODE, codes=codes.INDICATORS),
        Column("value", "累计完成值", DECIMAL, min=0),
        # patent, standard or software-registration numbers or DOIs of what was reported, as written; a cell
        # may hold several (docs/analytics.md §2 compares them normalised, for duplicate_evidence)
        Column("evidence_ref", "佐证编号", TEXT, required=False, nullable=True),
    ),
)

EXPERT_REVIEWS = Dataset(
    name="expert_reviews",
    zh="专家评审",
    key=("project_id", "review_year", "expert_id"),
    columns=(
        Column("project_id", "项目编号", ID),
        Column("review_year", "考核年度", INT, min=2000, max=2100),
        Column("expert_id", "专家编号", ID),
        Column("score", "评分", DECIMAL, min=0, max=100),
        Column("veto", "一票否决", BOOL, required=False, nullable=True),
        Column("comment", "意见", TEXT, required=False, nullable=True),
    ),
)

REVIEW_DECISIONS = Dataset(
    name="review_decisions",
    zh="考核决定",
    key=("project_id", "review_year"),
    columns=(
        Column("project_id", "项目编号", ID),
        Column("review_year", "考核年度", INT, min=2000, max=2100),
        Column("decision", "决定", CODE, codes=codes.RECOMMENDATIONS),
        Column("decided_date", "决定日期", DATE, required=False, nullable=True),
    ),
)

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        PROJECTS,
        MILESTONES,
        DISBURSEMENTS,
        PROGRESS_REPORTS,
        KPI_TARGETS,
        KPI_ACTUALS,
        EXPERT_REVIEWS,
        REVIEW_DECISIONS,
    )
}

# Lineage columns every clean row carries (docs/data-contract.md "Ingestion rules").
LINEAGE_COLUMNS = ("_source_file", "_source_row", "_file_sha256", "_loaded_at")
