"""The warehouse layer (group ``warehouse``): the star schema of DATA.md, built by the SQL files in
``sql/warehouse/`` from the raw tables. All tables are rebuilt together in one transaction, so the
star schema is never half old, half new."""


import time

import dagster as dg

from assets.metadata import markdown_table
from assets.raw import raw_key
from pipelines.resources import WRITER_POOL, Warehouse, ensure_schemas
from pipelines.sensors import LATEST_YEAR_KEY, LATEST_YEAR_SQL
from scorecard.db import count, transaction
from scorecard.warehouse import WAREHOUSE_TABLES, build_table

# table -> (what it is, the raw datasets and tables it reads)
TABLES: dict[str, tuple[str, list]] = {
    "dim_field": ("Fields 领域 (PROGRAM.md)", []),
    "dim_plan": ("Support plans 专项扶持计划 (PROGRAM.md)", []),
    "dim_department": ("Departments 主管单位 (PROGRAM.md)", []),
    "dim_indicator": ("KPI indicators 指标, output or outcome (DATA.md)", []),
    "dim_project": ("Projects 项目台账, one row per clean project", [raw_key("projects")]),
    "dim_undertaker": ("Undertaking organisations 承担单位", [raw_key("projects")]),
    "dim_date": ("Calendar 2000–2100 with quarters and periods", []),
    "fact_milestone": ("Contract milestones 合同节点 with normalised weights", [raw_key("milestones"), "dim_project"]),
    "fact_disbursement": ("Payments 拨款记录, recoveries negative in signed_amount_wan", [raw_key("disbursements"), "dim_project"]),
    "fact_progress": ("Quarterly progress reports 进度报告 (cumulative) with period_end", [raw_key("progress_reports"), "dim_project"]),
    "fact_kpi_target": ("KPI targets 绩效目标, due_date defaulted to end_date", [raw_key("kpi_targets"), "dim_project", "dim_indicator"]),
    "fact_kpi": ("KPI actuals 绩效完成 (cumulative) per quarter", [raw_key("kpi_actuals"), "dim_project"]),
    "fact_expert_review": ("Expert panel scores 专家评审", [raw_key("expert_reviews"), "dim_project"]),
    "fact_review_decision": ("Recorded review decisions 考核决定", [raw_key("review_decisions"), "dim_project"]),
}
assert tuple(TABLES) == WAREHOUSE_TABLES


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            name,
            description=description,
            deps=deps,
            group_name="warehouse",
            kinds={"duckdb"},
            owners=["team:data-engineering"],
        )
        for name, (description, deps) in TABLES.items()
    ],
    pool=WRITER_POOL,
    can_subset=False,
)
def star_schema(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Rebuild every dimension and fact from the raw tables, in one transaction."""
    with warehouse.get_connection() as con:
        ensure_schemas(con)
        counts, seconds = {}, {}
        with transaction(con):
            for name in WAREHOUSE_TABLES:
                started = time.perf_counter()
                counts[name] = build_table(con, name)
                seconds[name] = time.perf_counter() - started
        latest_year = con.sql(LATEST_YEAR_SQL).fetchall()[0][0]
        for name in WAREHOUSE_TABLES:
            preview = con.sql(f"SELECT * FROM {name} LIMIT 5").pl()
            preview = preview.drop([c for c in preview.columns if c.startswith("_")])
            metadata = {
                "dagster/row_count": counts[name],
                "build_seconds": round(seconds[name], 3),
                "preview": markdown_table(preview, 5),
            }
            source = _raw_source(name)
            if source:  # rows of the raw table it is built from (the difference: rows of unknown projects)
                metadata["rows_in"] = count(con, f"raw.{source}")
            if name == "fact_progress" and latest_year is not None:  # the review chain sensor reads it
                metadata[LATEST_YEAR_KEY] = int(latest_year)
            yield dg.MaterializeResult(asset_key=name, metadata=metadata)


def _raw_source(table: str) -> str | None:
    """The raw dataset a dimension or fact is built from (its first raw dependency), if any."""
    for dep in TABLES[table][1]:
        if isinstance(dep, dg.AssetKey) and dep.path[0] == "raw":
            return dep.path[-1]
    return None
