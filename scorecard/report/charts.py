"""The report's Plotly figures, all drawn from aggregates (so their size does not grow with the
number of projects). Fonts: Noto Sans CJK SC, so Chinese renders in the HTML and in kaleido's PNGs."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from scorecard import codes
from scorecard.report.data import GRADE_ORDER
from scorecard.report.i18n import LABELS, I18n

FONT = "Noto Sans CJK SC, sans-serif"
GRADE_COLORS = {"A": "#1a7f37", "B": "#4c9f70", "C": "#d4a72c", "D": "#cf222e", "insufficient": "#8c959f"}
REC_COLORS = {
    "terminate": "#cf222e",
    "acceptance_review": "#0969da",
    "suspend_funding": "#bc4c00",
    "rectify": "#d4a72c",
    "rolling_support": "#1a7f37",
}
PALETTE = ["#1f4e79", "#c0504d", "#9bbb59", "#8064a2", "#4bacc6", "#f79646"]


def _layout(fig: go.Figure, title: str, height: int = 380) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "font": {"size": 15}},
        font={"family": FONT, "size": 12, "color": "#222"},
        template="plotly_white",
        height=height,
        margin={"l": 60, "r": 20, "t": 50, "b": 60},
        legend={"orientation": "h", "y": -0.18},
        colorway=PALETTE,
    )
    return fig


def grades(i18n: I18n, cur: dict, prev: dict | None) -> go.Figure:
    keys = ["grade_a", "grade_b", "grade_c", "grade_d", "grade_insufficient"]
    labels = [
        i18n.one(codes.GRADES, g) + ("" if i18n.lang == "en" else f" {g}" if g != "insufficient" else "")
        for g in GRADE_ORDER
    ]
    fig = go.Figure()
    if prev:
        fig.add_bar(
            x=labels, y=[prev.get(k, 0) for k in keys], name=i18n.t("上年度", "Last year"), marker_color="#c9d1d9"
        )
    fig.add_bar(
        x=labels,
        y=[cur.get(k, 0) for k in keys],
        name=i18n.t("本年度", "This year"),
        marker_color=[GRADE_COLORS[g] for g in GRADE_ORDER],
        text=[cur.get(k, 0) for k in keys],
        textposition="outside",
    )
    fig.update_yaxes(title=i18n.t("项目数", "Projects"))
    return _layout(fig, i18n.t("考核等级分布", "Grade distribution"))


def recommendations(i18n: I18n, cur: dict) -> go.Figure:
    recs = list(codes.RECOMMENDATIONS)
    values = [cur.get(f"rec_{r}", 0) for r in recs]
    fig = go.Figure(
        go.Bar(
            x=[i18n.one(codes.RECOMMENDATIONS, r) for r in recs],
            y=values,
            text=values,
            textposition="outside",
            marker_color=[REC_COLORS[r] for r in recs],
        )
    )
    fig.update_yaxes(title=i18n.t("项目数", "Projects"))
    return _layout(fig, i18n.t("考核建议分布", "Recommendations"))


def funds_by_year(i18n: I18n, frame: pl.DataFrame, budget_wan: str) -> go.Figure:
    years = [str(y) for y in frame["payment_year"].to_list()]
    fig = go.Figure()
    fig.add_bar(x=years, y=frame["disbursed_wan"].to_list(), name=i18n.t("拨付", "Disbursed"), marker_color="#1f4e79")
    fig.add_bar(
        x=years,
        y=[-v for v in frame["recovered_wan"].to_list()],
        name=i18n.t("追回", "Recovered"),
        marker_color="#c0504d",
    )
    fig.add_scatter(
        x=years,
        y=frame["net_disbursed_wan"].to_list(),
        name=i18n.t("净拨款", "Net disbursed"),
        mode="lines+markers",
        line={"color": "#222"},
    )
    budget = frame["budget_wan"].to_list()
    if any(b is not None for b in budget):
        fig.add_scatter(
            x=years,
            y=budget,
            name=i18n.t(f"年度预算 {budget_wan} 万元", f"Budget {budget_wan} 万元"),
            mode="lines",
            line={"dash": "dash", "color": "#f79646"},
        )
    fig.update_layout(barmode="relative")
    fig.update_yaxes(title="万元", tickformat=",.0f")
    return _layout(fig, i18n.t("年度拨款与预算", "Disbursement per year against the budget"))


def execution_by(i18n: I18n, frame: pl.DataFrame, dimension: str, title_zh: str, title_en: str) -> go.Figure:
    labels = [_short(i18n, dimension, v) for v in frame["dimension_value"].to_list()]
    fig = go.Figure()
    fig.add_bar(
        x=labels,
        y=frame["execution_rate"].to_list(),
        name=i18n.t("资金执行率", "Execution rate"),
        marker_color="#1f4e79",
    )
    _right_axis_markers(
        fig, labels, frame["leverage"], i18n.t("杠杆率（右轴）", "Leverage (right axis)"), 11, "#f79646"
    )
    fig.update_layout(
        yaxis={"tickformat": ".0%", "title": i18n.t("执行率", "Execution")},
        yaxis2={"overlaying": "y", "side": "right", "title": i18n.t("杠杆率", "Leverage"), "showgrid": False},
    )
    return _layout(fig, i18n.t(title_zh, title_en))


def spi_distribution(i18n: I18n, frame: pl.DataFrame) -> go.Figure:
    fig = go.Figure()
    bins = frame["bin"].to_list()
    fig.add_bar(x=bins, y=frame["spi"].to_list(), name="SPI", marker_color="#1f4e79")
    fig.add_bar(x=bins, y=frame["spi_t"].to_list(), name="SPI(t)", marker_color="#4bacc6")
    fig.update_yaxes(title=i18n.t("项目数", "Projects"))
    return _layout(fig, i18n.t("进度绩效指数 SPI 与 SPI(t) 分布", "SPI and SPI(t) distribution"))


def kpi_by_indicator(i18n: I18n, frame: pl.DataFrame) -> go.Figure:
    labels = [i18n.one(LABELS["indicator"], v) for v in frame["indicator"].to_list()]
    fig = go.Figure(
        go.Bar(
            y=labels,
            x=frame["achievement"].to_list(),
            orientation="h",
            marker_color=["#1f4e79" if k == "output" else "#9bbb59" for k in frame["kind"].to_list()],
            text=[f"{v:.0%}" if v is not None else "" for v in frame["achievement"].to_list()],
            textposition="outside",
        )
    )
    fig.update_xaxes(tickformat=".0%", title=i18n.t("完成值 / 目标值", "Actual / target"))
    fig.update_yaxes(autorange="reversed")
    return _layout(
        fig,
        i18n.t("绩效指标完成情况（按指标）", "KPI achievement by indicator"),
        height=max(300, 60 + 32 * frame.height),
    )


def grades_by(i18n: I18n, frame: pl.DataFrame, dimension: str, title_zh: str, title_en: str) -> go.Figure:
    labels = [_short(i18n, dimension, v) for v in frame["dimension_value"].to_list()]
    fig = go.Figure()
    for g, col in zip(GRADE_ORDER, ["grade_a", "grade_b", "grade_c", "grade_d", "grade_insufficient"]):
        fig.add_bar(x=labels, y=frame[col].to_list(), name=i18n.one(codes.GRADES, g), marker_color=GRADE_COLORS[g])
    _right_axis_markers(
        fig, labels, frame["mean_score"], i18n.t("平均分（右轴）", "Mean score (right axis)"), 10, "#222"
    )
    fig.update_layout(
        barmode="stack",
        yaxis={"title": i18n.t("项目数", "Projects")},
        yaxis2={
            "overlaying": "y",
            "side": "right",
            "range": [0, 100],
            "showgrid": False,
            "title": i18n.t("平均分", "Mean score"),
        },
    )
    return _layout(fig, i18n.t(title_zh, title_en))


def grade_transitions(i18n: I18n, frame: pl.DataFrame) -> go.Figure:
    prev = frame["prev_grade"].to_list()
    ylab = [i18n.one(codes.GRADES, p) if p != "new" else i18n.t("新纳入", "New") for p in prev]
    xlab = [i18n.one(codes.GRADES, g) for g in GRADE_ORDER]
    z = [[row[f"to_{g}"] for g in GRADE_ORDER] for row in frame.to_dicts()]
    fig = go.Figure(
        go.Heatmap(z=z, x=xlab, y=ylab, colorscale="Blues", text=z, texttemplate="%{text}", showscale=False)
    )
    fig.update_xaxes(title=i18n.t("本年度等级", "Grade this year"), side="bottom")
    fig.update_yaxes(title=i18n.t("上年度等级", "Last year's grade"), autorange="reversed")
    return _layout(fig, i18n.t("等级变化（上年 → 本年）", "Grade transitions (last year → this year)"))


def flags_by(i18n: I18n, frame: pl.DataFrame, dimension: str, title_zh: str, title_en: str) -> go.Figure:
    flags = list(codes.FLAGS)
    values = sorted(set(frame["dimension_value"].to_list()))
    got = {(r["dimension_value"], r["flag"]): r["count"] for r in frame.to_dicts()}
    z = [[got.get((v, f), 0) for f in flags] for v in values]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[i18n.one(codes.FLAGS, f) for f in flags],
            y=[_short(i18n, dimension, v) for v in values],
            colorscale="Reds",
            text=z,
            texttemplate="%{text}",
            showscale=False,
        )
    )
    return _layout(fig, i18n.t(title_zh, title_en), height=max(300, 120 + 30 * len(values)))


def _right_axis_markers(fig: go.Figure, labels: list, values: pl.Series, name: str, size: int, color: str) -> None:
    """Diamonds on the right-hand axis (y2) over the bars: a second measure per category."""
    fig.add_scatter(
        x=labels,
        y=values.to_list(),
        name=name,
        yaxis="y2",
        mode="markers",
        marker={"size": size, "color": color, "symbol": "diamond"},
    )


def _short(i18n: I18n, dimension: str, code: str) -> str:
    label = i18n.one(LABELS.get(dimension, {}), code)
    if dimension == "plan" and i18n.lang != "en":
        label = label.replace("专项扶持计划", "")
    return label
