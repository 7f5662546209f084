"""The projects file's columns as a provider writes them, English and Chinese, in the contract's order
(docs/data-contract.md) — written out here for the tests, which must not take them from the code under
test: the bad-input catalogue (make_fixtures.py) and the report fixtures (tests/report_fixtures.py)."""

PROJECT_COLUMNS = [
    "project_id",
    "project_name",
    "field",
    "plan",
    "department",
    "undertaker",
    "undertaker_type",
    "selection_method",
    "support_mode",
    "funding_stage",
    "approval_year",
    "start_date",
    "end_date",
    "approved_funding_wan",
    "self_funding_wan",
    "project_manager",
]
PROJECT_ZH = [
    "项目编号",
    "项目名称",
    "领域",
    "扶持计划",
    "主管单位",
    "承担单位",
    "单位类型",
    "遴选方式",
    "资助方式",
    "资助时点",
    "立项年度",
    "开始日期",
    "结束日期",
    "财政资助金额（万元）",
    "自筹资金（万元）",
    "项目经理人",
]
